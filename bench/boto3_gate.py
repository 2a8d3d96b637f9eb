"""What a user would write instead of approval-gate: a Python Lambda with boto3.

It does the same work for the benchmark's event: parse the SNS approval notice, read the
pipeline, check the token and one upstream action, answer, publish the decision. It runs
under bench/python_runtime.py, a minimal custom runtime loop, as a Python Lambda would.
"""

import json

import boto3

codepipeline = boto3.client("codepipeline")
sns = boto3.client("sns")


def handler(event, _context):
    results = []
    for record in event.get("Records", []):
        notice = json.loads(record["Sns"]["Message"])["approval"]
        state = codepipeline.get_pipeline_state(name=notice["pipelineName"])
        stages = {stage["stageName"]: stage for stage in state["stageStates"]}
        approval = stages[notice["stageName"]]
        action = next(a for a in approval["actionStates"] if a["actionName"] == notice["actionName"])
        if action.get("latestExecution", {}).get("token") != notice["token"]:
            results.append("stale")
            continue
        execution = approval["latestExecution"]["pipelineExecutionId"]
        build = stages["Build"]
        tests = next(a for a in build["actionStates"] if a["actionName"] == "IntegrationTests")
        passed = (
            build["latestExecution"]["pipelineExecutionId"] == execution
            and tests["latestExecution"]["status"] == "Succeeded"
        )
        status = "Approved" if passed else "Rejected"
        codepipeline.put_approval_result(
            pipelineName=notice["pipelineName"],
            stageName=notice["stageName"],
            actionName=notice["actionName"],
            token=notice["token"],
            result={"status": status, "summary": f"{status} by rule prod-after-tests"},
        )
        sns.publish(
            TopicArn="arn:aws:sns:us-east-1:123456789012:approval-decisions",
            Subject=f"{status}: {notice['pipelineName']}",
            Message=json.dumps({"verdict": status}),
        )
        results.append(status)
    return {"results": results}
