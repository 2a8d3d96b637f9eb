#!/usr/bin/env python3
"""Tests scripts/check_template.py: the real template passes, and every widened copy of it
fails with a message that names what was widened.

Each case copies template.yaml (decoded by cfn-lint, as the check reads it: the intrinsics
!Sub, !Join, !If, !Ref become Fn::Sub, Fn::Join, Fn::If, Ref), changes one thing and writes
the copy as JSON, which the check reads like YAML.

Usage: .venv/bin/python scripts/test_check_template.py   (run by `make test`)
"""

import copy
import json
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import jsonschema
from cfnlint.decode import decode

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
TEMPLATE = ROOT / "template.yaml"
sys.path.insert(0, str(SCRIPTS))
sys.dont_write_bytecode = True  # no scripts/__pycache__ in the work tree

import check_template  # noqa: E402
import sync_schema  # noqa: E402

FUNCTION = "ApprovalGateFunction"
ROLE = "ApprovalGateRole"
QUEUE_POLICY = "FailedDecisionsQueuePolicy"
WAKEUP_GROUP = "WakeUpGroup"
WAKEUP_ROLE = "WakeUpRole"
WAKEUP_POLICY = "WakeUpRolePolicy"


def load_real():
    template, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return json.loads(json.dumps(template))


def resources(t):
    return t["Resources"]


def function(t):
    return t["Resources"][FUNCTION]["Properties"]


def role(t):
    return t["Resources"][ROLE]["Properties"]


def find_sid(value, sid):
    """The statement with this Sid anywhere in value (Fn::If branches included)."""
    if isinstance(value, dict):
        if value.get("Sid") == sid:
            return value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = find_sid(item, sid)
            if found is not None:
                return found
    return None


def statement(t, sid):
    found = find_sid(role(t)["Policies"], sid)
    assert found is not None, f"no statement {sid} in the role"
    return found


def environment(t):
    return function(t)["Environment"]["Variables"]


def wakeup_role(t):
    return t["Resources"][WAKEUP_ROLE]["Properties"]


def wakeup_trust(t):
    return wakeup_role(t)["AssumeRolePolicyDocument"]["Statement"][0]


def approval_rule(t):
    return function(t)["Events"]["ApprovalStarted"]["Properties"]


def edit_approval_pattern(old, new):
    """Replaces text in the approval rule's pattern (the JSON text its Fn::Sub fills in)."""

    def change(t):
        sub = approval_rule(t)["Pattern"]["Fn::Sub"]
        assert old in sub[0], f"{old!r} is not in the approval rule's pattern {sub[0]!r}"
        sub[0] = sub[0].replace(old, new)

    return change


def invoke_statement(t):
    found = find_sid(resources(t)[WAKEUP_POLICY]["Properties"]["PolicyDocument"], "InvokeApprovalGate")
    assert found is not None, "no statement InvokeApprovalGate in the wake-up role's policy"
    return found


def drop_role_policy(policy_name):
    def change(t):
        role(t)["Policies"] = [
            p
            for p in role(t)["Policies"]
            if not (isinstance(p, dict) and p.get("PolicyName") == policy_name)
        ]

    return change


def queue_statement(t, sid):
    found = find_sid(resources(t)[QUEUE_POLICY]["Properties"]["PolicyDocument"], sid)
    assert found is not None, f"no statement {sid} in the queue policy"
    return found


def add_resource(name, kind, properties):
    def change(t):
        resources(t)[name] = {"Type": kind, "Properties": properties}

    return change


def set_key(getter, key, value):
    def change(t):
        getter(t)[key] = value

    return change


def delete_key(getter, key):
    def change(t):
        del getter(t)[key]

    return change


def in_statement(sid, key, value):
    return set_key(lambda t: statement(t, sid), key, value)


def append_to(sid, key, value):
    def change(t):
        target = statement(t, sid)
        items = target[key] if isinstance(target[key], list) else [target[key]]
        target[key] = items + [value]

    return change


def both(*changes):
    def change(t):
        for each in changes:
            each(t)

    return change


BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
EXTRA_POLICY = {
    "PolicyName": "extra",
    "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "codepipeline:ListPipelines", "Resource": "*"}],
    },
}
LOG_GROUP = "${ApprovalGateLogGroup}"
SCHEDULES = "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/"
POLICY_DOCUMENT = {"Version": "2012-10-17", "Statement": []}


def allow(action, resource="*", sid="Extra"):
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def other_role(statement, **more):
    """A second role of the template, trusted by Lambda, with one inline statement."""
    return dict(
        {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "other",
                    "PolicyDocument": dict(POLICY_DOCUMENT, Statement=[statement]),
                }
            ],
        },
        **more,
    )


# The approval rule's pattern as it was before it named the covered pipelines, and with the
# sample pipelines written out instead of taken from PipelineNames.
UNFILTERED_APPROVALS = {
    "source": ["aws.codepipeline"],
    "detail-type": ["CodePipeline Action Execution State Change"],
    "detail": {"type": {"category": ["Approval"]}, "state": ["STARTED"]},
}
LISTED_APPROVALS = dict(
    UNFILTERED_APPROVALS,
    detail=dict(
        UNFILTERED_APPROVALS["detail"],
        pipeline=[{"wildcard": name} for name in check_template.SAMPLE_PIPELINES],
    ),
)
PIPELINE_FILTER = '"pipeline": [{"wildcard": "${Names}"}]'
GROUP_ARN = "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/"

APPCONFIG_ARN = (
    "arn:${AWS::Partition}:appconfig:${AWS::Region}:${AWS::AccountId}:application/"
    "${AppConfigApplicationId}/environment/${AppConfigEnvironmentId}/configuration/"
    "${AppConfigProfileId}"
)

# (name, change, words the failure must contain)
WIDENINGS = [
    # Alarms and Change Calendars.
    (
        "reads every calendar",
        in_statement("ReadChangeCalendars", "Resource", "*"),
        "not exactly the calendars of ChangeCalendarArns",
    ),
    (
        "reads a calendar nobody gave",
        append_to(
            "ReadChangeCalendars", "Resource", "arn:aws:ssm:us-east-1:123456789012:document/other"
        ),
        "not exactly the calendars of ChangeCalendarArns",
    ),
    (
        "reads every ssm document",
        in_statement("ReadChangeCalendars", "Resource", "arn:aws:ssm:*:*:document/*"),
        "not exactly the calendars of ChangeCalendarArns",
    ),
    (
        "describes alarms and changes them",
        append_to("ReadAlarms", "Action", "cloudwatch:SetAlarmState"),
        "'cloudwatch:SetAlarmState' is not one of",
    ),
    (
        "reads every cloudwatch action",
        in_statement("ReadAlarms", "Action", "cloudwatch:Describe*"),
        "has a wildcard",
    ),
    (
        "reads calendars with every ssm action",
        append_to("ReadChangeCalendars", "Action", "ssm:GetDocument"),
        "'ssm:GetDocument' is not one of",
    ),
    # Resources that cover every pipeline.
    (
        "reads every pipeline",
        in_statement("ReadPipelineState", "Resource", "arn:*:codepipeline:*:*:*"),
        "covers every pipeline",
    ),
    (
        "reads pipelines named *-prod",
        append_to("ReadExecutions", "Resource", "arn:aws:codepipeline:us-east-1:123456789012:*-prod"),
        "'*-prod' is or starts with a wildcard",
    ),
    (
        "answers every pipeline",
        in_statement("AnswerApprovals", "Resource", "arn:*:codepipeline:*:*:*/*"),
        "covers every pipeline",
    ),
    (
        "answers every pipeline, segment ?*",
        in_statement("AnswerApprovals", "Resource", "arn:*:codepipeline:*:*:?*/*"),
        "covers every pipeline",
    ),
    (
        "reads on resource *",
        in_statement("ReadExecutions", "Resource", "*"),
        'Resource "*" for',
    ),
    (
        "reads a pipeline PipelineNames does not name",
        append_to("ReadPipelineState", "Resource", "arn:*:codepipeline:*:*:other-pipeline"),
        "not one each of the pipelines given",
    ),
    (
        "answers whole pipelines, not their actions",
        in_statement(
            "AnswerApprovals",
            "Resource",
            {
                "Fn::Split": [
                    ",",
                    {
                        "Fn::Sub": [
                            "arn:*:codepipeline:*:*:${Names}",
                            {"Names": {"Fn::Join": [",arn:*:codepipeline:*:*:", {"Ref": "PipelineNames"}]}},
                        ]
                    },
                ]
            },
        ),
        "is not arn:...:codepipeline:...:PIPELINE/* for one pipeline",
    ),
    (
        "PipelineNames refuses no leading wildcard",
        delete_key(lambda t: t["Parameters"]["PipelineNames"], "AllowedPattern"),
        "parameter PipelineNames accepts",
    ),
    (
        "PipelineNames pattern lets * lead",
        set_key(lambda t: t["Parameters"]["PipelineNames"], "AllowedPattern", "^[A-Za-z0-9.@_*?-]{1,100}$"),
        "parameter PipelineNames accepts ['*'",
    ),
    (
        "region condition dropped",
        delete_key(lambda t: statement(t, "ReadPipelineState"), "Condition"),
        "grants every region",
    ),
    (
        "region condition names another region",
        in_statement(
            "ListPipelinesForSweep",
            "Condition",
            {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        ),
        "grants every region",
    ),
    # sns:Publish beyond the decision topic.
    (
        "publishes to the approvals topic",
        in_statement("PublishDecisions", "Resource", {"Ref": "ApprovalTopicArn"}),
        "sns:Publish on 'arn:aws:sns:us-east-1:123456789012:ApprovalTopicArn', "
        "which is not the decision topic",
    ),
    (
        "publishes to every topic",
        in_statement("PublishDecisions", "Resource", "arn:aws:sns:*:*:*"),
        "sns:Publish on 'arn:aws:sns:*:*:*', which is not the decision topic",
    ),
    (
        "publishes on resource *",
        in_statement("PublishDecisions", "Resource", "*"),
        "Resource \"*\" for ['sns:Publish']",
    ),
    (
        "publishes from the read statement",
        append_to("ReadPipelineState", "Action", "sns:Publish"),
        "which is not the decision topic",
    ),
    (
        "publishes everywhere in the else branch of an Fn::If",
        lambda t: role(t)["Policies"].append(
            {
                "Fn::If": [
                    "HasDecisionTopic",
                    {"Ref": "AWS::NoValue"},
                    {
                        "PolicyName": "hidden",
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Sid": "Hidden",
                                    "Effect": "Allow",
                                    "Action": "sns:Publish",
                                    "Resource": "*",
                                }
                            ]
                        },
                    },
                ]
            }
        ),
        "Policies[hidden] Hidden: Resource \"*\" for ['sns:Publish']",
    ),
    # Actions off the allow-list.
    (
        "an action off the allow-list",
        append_to("AnswerApprovals", "Action", "codepipeline:StartPipelineExecution"),
        "Action 'codepipeline:StartPipelineExecution' is not one of",
    ),
    (
        "an action wildcard",
        in_statement("ReadExecutions", "Action", "codepipeline:Get*"),
        "Action 'codepipeline:Get*' has a wildcard",
    ),
    (
        "NotAction",
        both(
            delete_key(lambda t: statement(t, "AnswerApprovals"), "Action"),
            in_statement("AnswerApprovals", "NotAction", "iam:*"),
        ),
        "uses NotAction",
    ),
    (
        "logs:CreateLogGroup",
        append_to("WriteLogs", "Action", "logs:CreateLogGroup"),
        "Action 'logs:CreateLogGroup' is not one of",
    ),
    # Logs beyond the function's log group.
    (
        "logs on resource *",
        in_statement("WriteLogs", "Resource", "*"),
        'Resource "*" for',
    ),
    (
        "logs on every log group",
        in_statement("WriteLogs", "Resource", "arn:aws:logs:*:*:log-group:*"),
        "logs:PutLogEvents on 'arn:aws:logs:*:*:log-group:*', which is not the function's log group",
    ),
    (
        "logs on the group's name in every region",
        append_to(
            "WriteLogs",
            "Resource",
            {"Fn::Sub": "arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:" + LOG_GROUP + ":*"},
        ),
        "which is not the function's log group",
    ),
    # sqs:SendMessage beyond the failure destination.
    (
        "sends to every queue",
        in_statement("SendFailedInvocations", "Resource", "arn:aws:sqs:*:*:*"),
        "sqs:SendMessage on 'arn:aws:sqs:*:*:*', which is not the function's OnFailure destination",
    ),
    (
        "sends to another queue",
        both(
            add_resource("OtherQueue", "AWS::SQS::Queue", {}),
            in_statement("SendFailedInvocations", "Resource", {"Fn::GetAtt": ["OtherQueue", "Arn"]}),
        ),
        "which is not the function's OnFailure destination",
    ),
    # Other policies attached to the role, or a role that is not the template's.
    (
        "AWSLambdaBasicExecutionRole on the role",
        set_key(role, "ManagedPolicyArns", [BASIC_EXECUTION]),
        "ApprovalGateRole.ManagedPolicyArns",
    ),
    (
        "an AWS::IAM::Policy on the role",
        add_resource("Extra", "AWS::IAM::Policy", dict(EXTRA_POLICY, Roles=[{"Ref": ROLE}])),
        "Extra: AWS::IAM::Policy attaches policies",
    ),
    (
        "an AWS::IAM::ManagedPolicy on the role",
        add_resource(
            "Extra",
            "AWS::IAM::ManagedPolicy",
            {"PolicyDocument": EXTRA_POLICY["PolicyDocument"], "Roles": [{"Ref": ROLE}]},
        ),
        "Extra: AWS::IAM::ManagedPolicy attaches policies",
    ),
    (
        "an AWS::IAM::RolePolicy on the role",
        add_resource("Extra", "AWS::IAM::RolePolicy", dict(EXTRA_POLICY, RoleName={"Ref": ROLE})),
        "Extra: AWS::IAM::RolePolicy attaches policies",
    ),
    (
        "a SAM connector",
        add_resource(
            "Extra",
            "AWS::Serverless::Connector",
            {
                "Source": {"Id": FUNCTION},
                "Destination": {"Id": "FailedDecisionsQueue"},
                "Permissions": ["Read"],
            },
        ),
        "Extra: AWS::Serverless::Connector attaches policies",
    ),
    (
        "a managed policy name in the function's Policies",
        set_key(function, "Policies", ["AWSLambdaBasicExecutionRole"]),
        "Policies[0]: managed policy 'AWSLambdaBasicExecutionRole'",
    ),
    (
        "a managed policy ARN in the function's Policies",
        set_key(function, "Policies", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "managed policy 'arn:aws:iam::aws:policy/AdministratorAccess'",
    ),
    (
        "a SAM policy template in the function's Policies",
        set_key(function, "Policies", [{"SQSPollerPolicy": {"QueueName": "anything"}}]),
        "Policies[0]: SAM policy template SQSPollerPolicy",
    ),
    (
        "a policy document in the function's Policies",
        set_key(function, "Policies", [EXTRA_POLICY["PolicyDocument"]]),
        "SAM ignores Policies beside a Role",
    ),
    (
        "a managed policy in Globals",
        set_key(lambda t: t, "Globals", {"Function": {"Policies": ["AmazonS3FullAccess"]}}),
        "managed policy 'AmazonS3FullAccess'",
    ),
    (
        "a managed policy name among the role's Policies",
        lambda t: role(t)["Policies"].append("AdministratorAccess"),
        "Policies entry 'AdministratorAccess' is not an inline policy",
    ),
    (
        "no Role: SAM's own role and AWSLambdaBasicExecutionRole",
        delete_key(function, "Role"),
        "no Role: SAM would make one with the managed policy AWSLambdaBasicExecutionRole",
    ),
    (
        "Role is some other role's ARN",
        set_key(function, "Role", "arn:aws:iam::123456789012:role/admin"),
        "Role 'arn:aws:iam::123456789012:role/admin' points elsewhere",
    ),
    (
        "Role from a parameter",
        both(
            set_key(lambda t: t["Parameters"], "RoleArn", {"Type": "String"}),
            set_key(function, "Role", {"Ref": "RoleArn"}),
        ),
        "points elsewhere",
    ),
    (
        "Role behind an Fn::If",
        set_key(
            function,
            "Role",
            {"Fn::If": ["HasDecisionTopic", {"Fn::GetAtt": [ROLE, "Arn"]}, {"Ref": "AWS::NoValue"}]},
        ),
        "points elsewhere",
    ),
    (
        "Role is another resource's Arn",
        set_key(function, "Role", {"Fn::GetAtt": ["FailedDecisionsQueue", "Arn"]}),
        "points elsewhere",
    ),
    (
        "anyone may assume the role",
        set_key(
            lambda t: role(t)["AssumeRolePolicyDocument"]["Statement"][0], "Principal", {"AWS": "*"}
        ),
        "only lambda.amazonaws.com may sts:AssumeRole",
    ),
    (
        "another service may assume the role",
        set_key(
            lambda t: role(t)["AssumeRolePolicyDocument"]["Statement"][0],
            "Principal",
            {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
        ),
        "only lambda.amazonaws.com may sts:AssumeRole",
    ),
    # Reserved concurrency, and who reads the failure records.
    (
        "no reserved concurrency",
        delete_key(function, "ReservedConcurrentExecutions"),
        "no ReservedConcurrentExecutions",
    ),
    (
        "reserved concurrency may be 0",
        set_key(lambda t: t["Parameters"]["ReservedConcurrency"], "MinValue", 0),
        "must be a Number with MinValue 1 or more",
    ),
    (
        "no queue policy",
        lambda t: resources(t).pop(QUEUE_POLICY),
        "FailedDecisionsQueue: no AWS::SQS::QueuePolicy",
    ),
    (
        "queue policy without the read Deny",
        lambda t: resources(t)[QUEUE_POLICY]["Properties"]["PolicyDocument"]["Statement"].pop(0),
        "no Deny of ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage']",
    ),
    (
        "read Deny that spares every role (ArnNotLike)",
        set_key(
            lambda t: queue_statement(t, "OnlyTheFailureReaderReads"),
            "Condition",
            {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
        ),
        "no Deny of",
    ),
    (
        "read Deny that spares principals by ArnNotEquals, which reads wildcards",
        lambda t: queue_statement(t, "OnlyTheFailureReaderReads").update(
            Condition={
                "ArnNotEquals": queue_statement(t, "OnlyTheFailureReaderReads")["Condition"][
                    "StringNotEquals"
                ]
            }
        ),
        "no Deny of",
    ),
    (
        "read Deny that leaves out ReceiveMessage",
        set_key(
            lambda t: queue_statement(t, "OnlyTheFailureReaderReads"),
            "Action",
            ["sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
        ),
        "no Deny of",
    ),
    (
        "read Deny that spares a hard-coded role",
        set_key(
            lambda t: queue_statement(t, "OnlyTheFailureReaderReads"),
            "Condition",
            {
                "StringNotEquals": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::123456789012:role/ops",
                        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"},
                    ]
                }
            },
        ),
        "the read Deny exempts 'arn:aws:iam::123456789012:role/ops'",
    ),
    # Reading the policy from AppConfig: that one configuration profile only.
    (
        "AppConfig on every resource",
        in_statement("ReadPolicyFromAppConfig", "Resource", "*"),
        'Resource "*" for',
    ),
    (
        "AppConfig on every profile of the application",
        in_statement(
            "ReadPolicyFromAppConfig",
            "Resource",
            {"Fn::Sub": APPCONFIG_ARN.replace("${AppConfigProfileId}", "*")},
        ),
        "which is not the configuration profile",
    ),
    (
        "AppConfig on every application",
        in_statement(
            "ReadPolicyFromAppConfig",
            "Resource",
            {"Fn::Sub": "arn:${AWS::Partition}:appconfig:${AWS::Region}:${AWS::AccountId}:application/*"},
        ),
        "which is not the configuration profile",
    ),
    (
        "AppConfig on a second, hard-coded profile",
        append_to(
            "ReadPolicyFromAppConfig",
            "Resource",
            "arn:aws:appconfig:us-east-1:123456789012:application/abc1234/environment/def5678/configuration/ghi9012",
        ),
        "which is not the configuration profile",
    ),
    (
        "AppConfig actions by wildcard",
        in_statement("ReadPolicyFromAppConfig", "Action", "appconfig:*"),
        "has a wildcard",
    ),
    (
        "another AppConfig action",
        append_to("ReadPolicyFromAppConfig", "Action", "appconfig:GetConfiguration"),
        "is not one of",
    ),
    (
        "AppConfig profile parameter that accepts a wildcard",
        delete_key(lambda t: t["Parameters"]["AppConfigProfileId"], "AllowedPattern"),
        "parameter AppConfigProfileId accepts",
    ),
    (
        "AppConfig application parameter pattern that allows any characters",
        set_key(lambda t: t["Parameters"]["AppConfigApplicationId"], "AllowedPattern", "^.*$"),
        "parameter AppConfigApplicationId accepts",
    ),
    (
        "queue policy allows everyone",
        lambda t: resources(t)[QUEUE_POLICY]["Properties"]["PolicyDocument"]["Statement"].append(
            {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}
        ),
        "Everyone: allows ['sqs:*'] to '*'",
    ),
]

# The policy's sources: Policy alone, the three AppConfig IDs, or the store the stack creates.
STORE_ARN = (
    "arn:${AWS::Partition}:appconfig:${AWS::Region}:${AWS::AccountId}:application/"
    "${PolicyApplication.ApplicationId}/environment/${PolicyEnvironment.EnvironmentId}/"
    "configuration/${PolicyProfile.ConfigurationProfileId}"
)


def store(name):
    return lambda t: t["Resources"][name]["Properties"]


def one_policy_source(t):
    return t["Rules"]["OnePolicySource"]["Assertions"][0]


def drop_store_clause(t):
    """The IDs' branch of the Rule without CreatePolicyStore = "false"."""
    branch = one_policy_source(t)["Assert"]["Fn::Or"][1]["Fn::And"]
    kept = [c for c in branch if "CreatePolicyStore" not in json.dumps(c)]
    assert len(kept) == len(branch) - 1, "no CreatePolicyStore clause in the IDs' branch"
    one_policy_source(t)["Assert"]["Fn::Or"][1]["Fn::And"] = kept


WIDENINGS += [
    (
        "the Rules accept the store beside the three IDs",
        drop_store_clause,
        "the Rules accept",
    ),
    (
        "no Rules",
        lambda t: t.pop("Rules"),
        "the Rules accept",
    ),
    (
        "the Rules refuse the store",
        lambda t: one_policy_source(t).__setitem__(
            "Assert",
            {"Fn::And": [one_policy_source(t)["Assert"], {"Fn::Equals": [{"Ref": "CreatePolicyStore"}, "false"]}]},
        ),
        "the Rules refuse",
    ),
    (
        "the store's grant names the IDs' parameters",
        in_statement("ReadPolicyFromAppConfig", "Resource", {"Fn::Sub": APPCONFIG_ARN}),
        "the AppConfig grant is",
    ),
    (
        "the store's grant on every profile of its application",
        in_statement(
            "ReadPolicyFromAppConfig",
            "Resource",
            {
                "Fn::If": [
                    "CreatesPolicyStore",
                    {"Fn::Sub": STORE_ARN.replace("${PolicyProfile.ConfigurationProfileId}", "*")},
                    {"Fn::Sub": APPCONFIG_ARN},
                ]
            },
        ),
        "the AppConfig grant is",
    ),
    (
        "the store's grant on the profile in a second environment",
        in_statement(
            "ReadPolicyFromAppConfig",
            "Resource",
            {
                "Fn::If": [
                    "CreatesPolicyStore",
                    [{"Fn::Sub": STORE_ARN}, {"Fn::Sub": STORE_ARN.replace("${PolicyEnvironment.EnvironmentId}", "abc1234")}],
                    {"Fn::Sub": APPCONFIG_ARN},
                ]
            },
        ),
        "the AppConfig grant is",
    ),
    (
        "the AppConfig grant with Policy alone",
        lambda t: t["Conditions"].__setitem__("UsesAppConfig", True),
        "with Policy alone",
    ),
    (
        "GATE_POLICY_APPCONFIG names the IDs' parameters with the store",
        set_key(
            environment,
            "GATE_POLICY_APPCONFIG",
            {
                "Fn::If": [
                    "UsesAppConfig",
                    {"Fn::Sub": "${AppConfigApplicationId}/${AppConfigEnvironmentId}/${AppConfigProfileId}"},
                    {"Ref": "AWS::NoValue"},
                ]
            },
        ),
        "GATE_POLICY_APPCONFIG is",
    ),
    (
        "GATE_POLICY beside the store",
        set_key(environment, "GATE_POLICY", {"Ref": "Policy"}),
        "GATE_POLICY is set",
    ),
    (
        "the store with GATE_POLICY and no grant (UsesAppConfig without it)",
        lambda t: t["Conditions"].__setitem__(
            "UsesAppConfig", {"Fn::Not": [{"Fn::Equals": [{"Ref": "AppConfigProfileId"}, ""]}]}
        ),
        "GATE_POLICY is set",
    ),
    (
        "the store created whatever CreatePolicyStore says",
        lambda t: t["Resources"]["PolicyApplication"].pop("Condition"),
        'AppConfig resources only with CreatePolicyStore "true"',
    ),
    (
        "a second configuration profile in the store",
        lambda t: t["Resources"].__setitem__("PolicyProfile2", copy.deepcopy(t["Resources"]["PolicyProfile"])),
        "not one",
    ),
    (
        "the validator is policy.schema.json as it is (draft 2020-12)",
        lambda t: store("PolicyProfile")(t)["Validators"][0].__setitem__(
            "Content", (ROOT / "policy.schema.json").read_text()
        ),
        "make sync-schema",
    ),
    (
        "no validator",
        delete_key(store("PolicyProfile"), "Validators"),
        "make sync-schema",
    ),
    (
        "a Lambda validator instead of the schema",
        lambda t: store("PolicyProfile")(t).__setitem__(
            "Validators", [{"Type": "LAMBDA", "Content": "arn:aws:lambda:us-east-1:123456789012:function:ok"}]
        ),
        "make sync-schema",
    ),
    (
        "the profile in S3",
        set_key(store("PolicyProfile"), "LocationUri", "s3://bucket/policy.json"),
        "not a hosted AWS.Freeform profile",
    ),
    (
        "the environment of another application",
        set_key(store("PolicyEnvironment"), "ApplicationId", {"Ref": "AppConfigApplicationId"}),
        "not of the policy's application",
    ),
    (
        "the first version not the Policy parameter",
        set_key(store("PolicyFirstVersion"), "Content", '{"rules": [{"name": "all", "match": {}, "on_match": "approve"}]}'),
        "not the Policy parameter",
    ),
    (
        "the first version as text",
        set_key(store("PolicyFirstVersion"), "ContentType", "text/plain"),
        "not the Policy parameter as application/json",
    ),
    (
        "the deployment of a fixed version",
        set_key(store("PolicyDeployment"), "ConfigurationVersion", "1"),
        "does not deploy",
    ),
    (
        "the deployment by a predefined strategy",
        set_key(store("PolicyDeployment"), "DeploymentStrategyId", "AppConfig.Canary10Percent20Minutes"),
        "does not deploy",
    ),
]

WIDENINGS += [
    (
        "an EventBridge rule on every CodePipeline event",
        set_key(approval_rule, "Pattern", {"source": ["aws.codepipeline"]}),
        "the pattern is not exactly one of",
    ),
    (
        "an EventBridge rule for actions of every category",
        edit_approval_pattern('["Approval"]', '["Approval", "Build"]'),
        "the pattern is not exactly one of",
    ),
    # The approval rule names the covered pipelines, from PipelineNames, and nothing else.
    (
        "an approval rule for every pipeline (the filter dropped)",
        set_key(approval_rule, "Pattern", UNFILTERED_APPROVALS),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule for every pipeline (the filter cut from its string)",
        edit_approval_pattern(", " + PIPELINE_FILTER, ""),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule with a * wildcard added",
        edit_approval_pattern('"${Names}"}]', '"${Names}"}, {"wildcard": "*"}]'),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule with prefix matching instead of wildcards",
        edit_approval_pattern('[{"wildcard": "${Names}"}]', '[{"prefix": "${Names}"}]'),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule with the pipelines anywhere in detail",
        edit_approval_pattern(PIPELINE_FILTER, '"$or": [{' + PIPELINE_FILTER + '}, {"stage": [{"prefix": ""}]}]'),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule with an extra event field",
        edit_approval_pattern('"state": ["STARTED"]', '"state": ["STARTED"], "stage": [{"prefix": ""}]'),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule with an extra top-level field",
        edit_approval_pattern('{"source"', '{"account": [{"prefix": ""}], "source"'),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule that lists the pipelines instead of PipelineNames",
        set_key(approval_rule, "Pattern", LISTED_APPROVALS),
        "the pattern does not follow PipelineNames",
    ),
    (
        "an approval rule that lists the pipelines in a string",
        set_key(approval_rule, "Pattern", json.dumps(LISTED_APPROVALS)),
        "the pattern does not follow PipelineNames",
    ),
    (
        "an approval rule that names the pipelines of another parameter",
        both(
            lambda t: t["Parameters"].__setitem__(
                "OtherNames", dict(t["Parameters"]["PipelineNames"])
            ),
            lambda t: approval_rule(t)["Pattern"]["Fn::Sub"][1]["Names"]["Fn::Join"].__setitem__(
                1, {"Ref": "OtherNames"}
            ),
        ),
        "the pattern does not follow PipelineNames",
    ),
    (
        "an approval rule that names the first pipeline only",
        lambda t: approval_rule(t)["Pattern"]["Fn::Sub"][1].__setitem__(
            "Names", {"Fn::Select": [0, {"Ref": "PipelineNames"}]}
        ),
        "the pattern is not exactly one of",
    ),
    (
        "an approval rule whose string is not JSON",
        edit_approval_pattern('"${Names}"}]}}', '"${Names}"}]}'),
        "is not valid JSON",
    ),
    (
        "an approval rule that repeats the pipeline key",
        edit_approval_pattern(PIPELINE_FILTER, '"pipeline": [{"wildcard": "*"}], ' + PIPELINE_FILTER),
        "repeat in one object",
    ),
    (
        "an approval rule unfiltered in one branch of an Fn::If",
        lambda t: approval_rule(t).__setitem__(
            "Pattern", {"Fn::If": ["HasAlarmTopic", approval_rule(t)["Pattern"], UNFILTERED_APPROVALS]}
        ),
        "the pattern is not exactly one of",
    ),
    (
        "PipelineNames accepts ? and consecutive wildcards",
        set_key(
            lambda t: t["Parameters"]["PipelineNames"],
            "AllowedPattern",
            "^[A-Za-z0-9.@_-][A-Za-z0-9.@_*?-]{0,99}$",
        ),
        "parameter PipelineNames accepts ['web-?', 'web-**', 'web-*?']",
    ),
    (
        "PipelineNames accepts characters JSON escapes",
        set_key(lambda t: t["Parameters"]["PipelineNames"], "AllowedPattern", "^[A-Za-z0-9.@_-][^?]{0,99}$"),
        """parameter PipelineNames accepts ['web"shop'""",
    ),
    (
        "PipelineNames refuses the names the check renders with",
        set_key(lambda t: t["Parameters"]["PipelineNames"], "AllowedPattern", "^[a-z-]{1,100}$"),
        "parameter PipelineNames refuses ['api-*', 'ops.deploy@eu', 'team_a-*-prod']",
    ),
    (
        "an EventBridge rule on every alarm change",
        lambda t: resources(t)[FUNCTION]["Properties"]["Events"]["AlarmCleared"]["Properties"][
            "Pattern"
        ].pop("detail"),
        "the pattern is not exactly one of",
    ),
    (
        "an EventBridge rule on a custom bus",
        lambda t: resources(t)[FUNCTION]["Properties"]["Events"]["ApprovalStarted"]["Properties"].__setitem__(
            "EventBusName", "anyone-can-put"
        ),
        "a bus other than the default one",
    ),
    (
        "a queue trigger",
        lambda t: resources(t)[FUNCTION]["Properties"]["Events"].__setitem__(
            "Queue", {"Type": "SQS", "Properties": {"Queue": "arn:aws:sqs:us-east-1:123456789012:q"}}
        ),
        "a SQS trigger is not one the function handles",
    ),
]

# Wake-ups: the function creates schedules in its group and passes the wake-up role to
# Scheduler; the wake-up role invokes the function; nothing else touches either.
WIDENINGS += [
    # scheduler:CreateSchedule.
    (
        "schedules in every group",
        in_statement("CreateWakeUps", "Resource", {"Fn::Sub": SCHEDULES + "*/*"}),
        "not exactly the schedules of the wake-up group",
    ),
    (
        "schedules on resource *",
        in_statement("CreateWakeUps", "Resource", "*"),
        'Resource "*" for [\'scheduler:CreateSchedule\']',
    ),
    (
        "schedules in the default group",
        in_statement("CreateWakeUps", "Resource", {"Fn::Sub": SCHEDULES + "default/*"}),
        "not exactly the schedules of the wake-up group",
    ),
    (
        "schedules in the group and in every region",
        append_to(
            "CreateWakeUps",
            "Resource",
            {"Fn::Sub": "arn:${AWS::Partition}:scheduler:*:${AWS::AccountId}:schedule/${WakeUpGroup}/*"},
        ),
        "not exactly the schedules of the wake-up group",
    ),
    (
        "schedules and deletes them",
        append_to("CreateWakeUps", "Action", "scheduler:DeleteSchedule"),
        "'scheduler:DeleteSchedule' is not one of",
    ),
    (
        "scheduler actions by wildcard",
        in_statement("CreateWakeUps", "Action", "scheduler:*"),
        "Action 'scheduler:*' has a wildcard",
    ),
    (
        "creates schedules and passes roles in one statement",
        append_to("CreateWakeUps", "Action", "iam:PassRole"),
        "each take a statement of their own",
    ),
    (
        "a condition on CreateSchedule",
        in_statement(
            "CreateWakeUps", "Condition", {"StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}}
        ),
        "the grant is exactly CreateSchedule on the wake-up group's schedules",
    ),
    # iam:PassRole.
    (
        "passes every role",
        in_statement("PassWakeUpRole", "Resource", "*"),
        "not exactly the wake-up role",
    ),
    (
        "passes every role of the account",
        in_statement(
            "PassWakeUpRole", "Resource", {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}
        ),
        "not exactly the wake-up role",
    ),
    (
        "passes the function's own role",
        in_statement("PassWakeUpRole", "Resource", {"Fn::GetAtt": [ROLE, "Arn"]}),
        "not exactly the wake-up role",
    ),
    (
        "passes the wake-up role and another",
        append_to("PassWakeUpRole", "Resource", "arn:aws:iam::123456789012:role/admin"),
        "not exactly the wake-up role",
    ),
    (
        "PassRole without a condition",
        delete_key(lambda t: statement(t, "PassWakeUpRole"), "Condition"),
        "not exactly StringEquals iam:PassedToService = scheduler.amazonaws.com",
    ),
    (
        "PassRole to Lambda",
        in_statement(
            "PassWakeUpRole", "Condition", {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
        ),
        "not exactly StringEquals iam:PassedToService = scheduler.amazonaws.com",
    ),
    (
        "PassRole to Scheduler and Lambda",
        in_statement(
            "PassWakeUpRole",
            "Condition",
            {"StringEquals": {"iam:PassedToService": ["scheduler.amazonaws.com", "lambda.amazonaws.com"]}},
        ),
        "not exactly StringEquals iam:PassedToService = scheduler.amazonaws.com",
    ),
    (
        "PassRole to any service by StringLike",
        in_statement("PassWakeUpRole", "Condition", {"StringLike": {"iam:PassedToService": "*"}}),
        "not exactly StringEquals iam:PassedToService = scheduler.amazonaws.com",
    ),
    (
        "PassRole by wildcard",
        in_statement("PassWakeUpRole", "Action", "iam:Pass*"),
        "Action 'iam:Pass*' has a wildcard",
    ),
    # The function's wake-up variables.
    (
        "wake-ups in the default group",
        set_key(environment, "GATE_WAKEUP_GROUP", "default"),
        "GATE_WAKEUP_GROUP 'default' is not !Ref of an AWS::Scheduler::ScheduleGroup",
    ),
    (
        "wake-up group from a parameter",
        set_key(environment, "GATE_WAKEUP_GROUP", {"Ref": "MetricsNamespace"}),
        "is not !Ref of an AWS::Scheduler::ScheduleGroup of this template",
    ),
    (
        "wake-up role from outside the template",
        set_key(environment, "GATE_WAKEUP_ROLE_ARN", "arn:aws:iam::123456789012:role/admin"),
        "is not !GetAtt ROLE.Arn of an AWS::IAM::Role of this template",
    ),
    (
        "wake-ups run with the function's own role",
        both(
            set_key(environment, "GATE_WAKEUP_ROLE_ARN", {"Fn::GetAtt": [ROLE, "Arn"]}),
            in_statement("PassWakeUpRole", "Resource", {"Fn::GetAtt": [ROLE, "Arn"]}),
        ),
        "GATE_WAKEUP_ROLE_ARN names the function's own role",
    ),
    (
        "schedule grants without the wake-up group",
        delete_key(environment, "GATE_WAKEUP_GROUP"),
        "not exactly the schedules of the wake-up group",
    ),
    (
        "wake-up group without the grants",
        drop_role_policy("schedule-wake-ups"),
        "GATE_WAKEUP_GROUP is set, but its role may not scheduler:CreateSchedule",
    ),
    (
        "a schedule group name Scheduler refuses",
        set_key(lambda t: resources(t)[WAKEUP_GROUP]["Properties"], "Name", "approval gate wake-ups"),
        "is not 1-64 characters of [0-9a-zA-Z-_.]",
    ),
    (
        "a schedule group name over 64 characters",
        set_key(lambda t: resources(t)[WAKEUP_GROUP]["Properties"], "Name", "w" * 65),
        "is not 1-64 characters of [0-9a-zA-Z-_.]",
    ),
    # The wake-up role's trust.
    (
        "wake-up trust without SourceAccount",
        delete_key(wakeup_trust, "Condition"),
        "is not exactly StringEquals aws:SourceAccount = AWS::AccountId",
    ),
    (
        "wake-up trust for another account",
        set_key(wakeup_trust, "Condition", {"StringEquals": {"aws:SourceAccount": "111122223333"}}),
        "is not exactly StringEquals aws:SourceAccount = AWS::AccountId",
    ),
    (
        "wake-up trust for any account by StringLike",
        set_key(wakeup_trust, "Condition", {"StringLike": {"aws:SourceAccount": "*"}}),
        "is not exactly StringEquals aws:SourceAccount = AWS::AccountId",
    ),
    (
        "wake-up trust without SourceArn",
        set_key(wakeup_trust, "Condition", {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}),
        "and aws:SourceArn = the wake-up group's ARN",
    ),
    (
        "wake-up trust for every schedule group",
        lambda t: wakeup_trust(t)["Condition"]["StringEquals"].__setitem__(
            "aws:SourceArn", {"Fn::Sub": GROUP_ARN + "*"}
        ),
        "and aws:SourceArn = the wake-up group's ARN",
    ),
    (
        "wake-up trust for every schedule group by ArnLike",
        set_key(
            wakeup_trust,
            "Condition",
            {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {"aws:SourceArn": {"Fn::Sub": GROUP_ARN + "*"}},
            },
        ),
        "and aws:SourceArn = the wake-up group's ARN",
    ),
    (
        "wake-up trust for the default schedule group",
        lambda t: wakeup_trust(t)["Condition"]["StringEquals"].__setitem__(
            "aws:SourceArn", {"Fn::Sub": GROUP_ARN + "default"}
        ),
        "and aws:SourceArn = the wake-up group's ARN",
    ),
    (
        "wake-up trust scoped to schedules, not their group",
        lambda t: wakeup_trust(t)["Condition"]["StringEquals"].__setitem__(
            "aws:SourceArn",
            {"Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${WakeUpGroup}/*"},
        ),
        "and aws:SourceArn = the wake-up group's ARN",
    ),
    (
        "wake-up trust with SourceArn but without SourceAccount",
        lambda t: wakeup_trust(t)["Condition"]["StringEquals"].pop("aws:SourceAccount"),
        "and aws:SourceArn = the wake-up group's ARN",
    ),
    (
        "wake-up role trusted by Lambda too",
        set_key(
            wakeup_trust, "Principal", {"Service": ["scheduler.amazonaws.com", "lambda.amazonaws.com"]}
        ),
        "only scheduler.amazonaws.com may sts:AssumeRole the wake-up role",
    ),
    (
        "wake-up role trusted by anyone",
        set_key(wakeup_trust, "Principal", {"AWS": "*"}),
        "only scheduler.amazonaws.com may sts:AssumeRole the wake-up role",
    ),
    # The wake-up role's permission.
    (
        "wake-up role invokes on resource *",
        set_key(invoke_statement, "Resource", "*"),
        "not exactly the function ApprovalGateFunction and its qualified form",
    ),
    (
        "wake-up role invokes every function",
        set_key(invoke_statement, "Resource", "arn:aws:lambda:*:*:function:*"),
        "not exactly the function ApprovalGateFunction and its qualified form",
    ),
    (
        "wake-up role invokes another function too",
        lambda t: invoke_statement(t)["Resource"].append(
            {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:other"}
        ),
        "not exactly the function ApprovalGateFunction and its qualified form",
    ),
    (
        "wake-up role cannot invoke the function's versions and aliases",
        set_key(invoke_statement, "Resource", [{"Fn::GetAtt": [FUNCTION, "Arn"]}]),
        "not exactly the function ApprovalGateFunction and its qualified form",
    ),
    (
        "wake-up role does more than invoke",
        set_key(invoke_statement, "Action", ["lambda:InvokeFunction", "lambda:UpdateFunctionCode"]),
        "the wake-up role may do exactly lambda:InvokeFunction",
    ),
    (
        "wake-up role invokes by wildcard",
        set_key(invoke_statement, "Action", "lambda:Invoke*"),
        "the wake-up role may do exactly lambda:InvokeFunction",
    ),
    (
        "wake-up role with a managed policy",
        set_key(wakeup_role, "ManagedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "the wake-up role may invoke the function and nothing else",
    ),
    (
        "a second policy on the wake-up role",
        add_resource(
            "Extra",
            "AWS::IAM::RolePolicy",
            {
                "RoleName": {"Ref": WAKEUP_ROLE},
                "PolicyName": "extra",
                "PolicyDocument": dict(POLICY_DOCUMENT, Statement=[allow("sqs:SendMessage")]),
            },
        ),
        "the wake-up role may do exactly lambda:InvokeFunction",
    ),
    (
        "wake-up role may pass roles",
        lambda t: resources(t)[WAKEUP_POLICY]["Properties"]["PolicyDocument"]["Statement"].append(
            allow("iam:PassRole")
        ),
        "grants ['iam:PassRole']: only the function's role may",
    ),
    (
        "wake-up policy attached to the function's role too",
        lambda t: resources(t).__setitem__(
            WAKEUP_POLICY,
            {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "invoke-approval-gate",
                    "Roles": [{"Ref": WAKEUP_ROLE}, {"Ref": ROLE}],
                    "PolicyDocument": resources(t)[WAKEUP_POLICY]["Properties"]["PolicyDocument"],
                },
            },
        ),
        "WakeUpRolePolicy: AWS::IAM::Policy attaches policies beside",
    ),
    (
        "wake-up role without its invoke permission",
        lambda t: resources(t).pop(WAKEUP_POLICY),
        "the wake-up role is not allowed lambda:InvokeFunction on the function",
    ),
    # Nothing else creates schedules or passes roles.
    (
        "another role may create schedules",
        add_resource("Other", "AWS::IAM::Role", other_role(allow("scheduler:CreateSchedule"))),
        "Other.Policies[other] Extra: grants ['scheduler:CreateSchedule']",
    ),
    (
        "another role may do everything in iam",
        add_resource("Other", "AWS::IAM::Role", other_role(allow("iam:*"))),
        "grants ['iam:*']: only the function's role may",
    ),
    (
        "another role may do everything",
        add_resource("Other", "AWS::IAM::Role", other_role(allow("*"))),
        "grants ['*']: only the function's role may",
    ),
    (
        "another role with NotAction",
        add_resource(
            "Other",
            "AWS::IAM::Role",
            other_role({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
        ),
        "uses NotAction, which may grant scheduler:* or iam:PassRole",
    ),
    (
        "another role with a managed policy",
        add_resource(
            "Other",
            "AWS::IAM::Role",
            other_role(
                allow("sqs:SendMessage"), ManagedPolicyArns=["arn:aws:iam::aws:policy/IAMFullAccess"]
            ),
        ),
        "Other.ManagedPolicyArns: managed policies may grant scheduler:* or iam:PassRole",
    ),
    (
        "a user that may pass roles",
        add_resource(
            "Someone",
            "AWS::IAM::User",
            {
                "Policies": [
                    {"PolicyName": "p", "PolicyDocument": dict(POLICY_DOCUMENT, Statement=[allow("iam:PassRole")])}
                ]
            },
        ),
        "Someone.Policies[p] Extra: grants ['iam:PassRole']",
    ),
]

# Check functions: the function's role invokes exactly the functions of CheckFunctionArns, and
# only when some are given.
CHECK_FUNCTIONS = "CheckFunctionArns"
INVOKE_POLICY = "invoke-check-functions"


def check_functions_grant(t):
    """The role's Policies entry (an Fn::If) that holds the check functions' grant."""
    for entry in role(t)["Policies"]:
        if isinstance(entry, dict) and set(entry) == {"Fn::If"}:
            branch = entry["Fn::If"][1]
            if isinstance(branch, dict) and branch.get("PolicyName") == INVOKE_POLICY:
                return entry
    raise AssertionError(f"no Fn::If entry {INVOKE_POLICY} in the role")


def grant_condition(name):
    """The check functions' grant under the condition `name` instead of its own."""
    return lambda t: check_functions_grant(t)["Fn::If"].__setitem__(0, name)


def set_condition(name, expression):
    return lambda t: t["Conditions"].__setitem__(name, expression)


def ungated_grant(t):
    """The check functions' grant as a plain Policies entry, present whatever the parameter."""
    policies = role(t)["Policies"]
    entry = check_functions_grant(t)
    policies[policies.index(entry)] = entry["Fn::If"][1]


def grant_on_wakeup_role(t):
    """The check functions' statement moved from the function's role to the wake-up role."""
    moved = copy.deepcopy(statement(t, "InvokeCheckFunctions"))
    role(t)["Policies"].remove(check_functions_grant(t))
    resources(t)[WAKEUP_POLICY]["Properties"]["PolicyDocument"]["Statement"].append(moved)


EVERY_VERSION_AND_ALIAS = {
    "Fn::Split": [
        ",",
        {"Fn::Sub": ["${Arns}:*", {"Arns": {"Fn::Join": [":*,", {"Ref": CHECK_FUNCTIONS}]}}]},
    ]
}
NOT_EMPTY = {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": CHECK_FUNCTIONS}]}, ""]}]}
WIDENINGS += [
    (
        "invokes on resource *",
        in_statement("InvokeCheckFunctions", "Resource", "*"),
        "Resource \"*\" for ['lambda:InvokeFunction']",
    ),
    (
        "invokes every function",
        in_statement("InvokeCheckFunctions", "Resource", "arn:aws:lambda:*:*:function:*"),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "invokes every function of the account",
        in_statement(
            "InvokeCheckFunctions",
            "Resource",
            {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*"},
        ),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "invokes the listed functions and another",
        append_to(
            "InvokeCheckFunctions", "Resource", "arn:aws:lambda:us-east-1:123456789012:function:other"
        ),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "invokes the listed functions and the gate itself",
        append_to("InvokeCheckFunctions", "Resource", {"Fn::GetAtt": [FUNCTION, "Arn"]}),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "invokes every version and alias of the listed functions",
        in_statement("InvokeCheckFunctions", "Resource", EVERY_VERSION_AND_ALIAS),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "invokes the first listed function only",
        in_statement("InvokeCheckFunctions", "Resource", {"Fn::Select": [0, {"Ref": CHECK_FUNCTIONS}]}),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "invokes the sample functions written out instead of CheckFunctionArns",
        in_statement("InvokeCheckFunctions", "Resource", list(check_template.SAMPLE_CHECK_FUNCTIONS)),
        "with CheckFunctionArns = ['arn:aws:lambda:eu-west-1:123456789012:function:soak_test:7'",
    ),
    (
        "invokes the functions of another list parameter",
        both(
            set_key(lambda t: t["Parameters"], "OtherArns", {"Type": "CommaDelimitedList", "Default": ""}),
            in_statement("InvokeCheckFunctions", "Resource", {"Ref": "OtherArns"}),
        ),
        "not exactly the functions of CheckFunctionArns",
    ),
    (
        "a second lambda action",
        append_to("InvokeCheckFunctions", "Action", "lambda:GetFunction"),
        "Action 'lambda:GetFunction' is not one of",
    ),
    (
        "invokes and changes the functions",
        append_to("InvokeCheckFunctions", "Action", "lambda:UpdateFunctionCode"),
        "Action 'lambda:UpdateFunctionCode' is not one of",
    ),
    (
        "invokes by wildcard",
        in_statement("InvokeCheckFunctions", "Action", "lambda:Invoke*"),
        "Action 'lambda:Invoke*' has a wildcard",
    ),
    (
        "every lambda action",
        in_statement("InvokeCheckFunctions", "Action", "lambda:*"),
        "Action 'lambda:*' has a wildcard",
    ),
    (
        "every action on the listed functions",
        in_statement("InvokeCheckFunctions", "Action", "*"),
        "Action '*' has a wildcard",
    ),
    (
        "every action but some on the listed functions (NotAction)",
        both(
            delete_key(lambda t: statement(t, "InvokeCheckFunctions"), "Action"),
            in_statement("InvokeCheckFunctions", "NotAction", "lambda:DeleteFunction"),
        ),
        "uses NotAction",
    ),
    (
        "invokes in the statement of another action",
        append_to("InvokeCheckFunctions", "Action", "sqs:SendMessage"),
        "lambda:InvokeFunction takes a statement of its own",
    ),
    (
        "invokes the check functions from the answer statement",
        append_to("AnswerApprovals", "Action", "lambda:InvokeFunction"),
        "lambda:InvokeFunction takes a statement of its own",
    ),
    (
        "a condition on the invoke grant",
        in_statement(
            "InvokeCheckFunctions", "Condition", {"StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}}
        ),
        "the grant is exactly lambda:InvokeFunction on the functions of CheckFunctionArns",
    ),
    # Only when some are given: an empty CommaDelimitedList is [""], not [].
    (
        "invokes without the condition",
        ungated_grant,
        "with CheckFunctionArns empty (its default, which CloudFormation gives as [\"\"]) the role "
        "may lambda:InvokeFunction on ['']",
    ),
    (
        "invokes in both branches of its Fn::If",
        lambda t: check_functions_grant(t)["Fn::If"].__setitem__(
            2, copy.deepcopy(check_functions_grant(t)["Fn::If"][1])
        ),
        "with CheckFunctionArns empty",
    ),
    (
        "invokes under a condition that reads [\"\"] as given",
        set_condition(
            "HasCheckFunctions", {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": [",", {"Ref": CHECK_FUNCTIONS}]}, ","]}]}
        ),
        "with CheckFunctionArns empty",
    ),
    (
        "invokes under AlarmChecks' condition",
        grant_condition("HasAlarmChecks"),
        "with CheckFunctionArns empty (its default, which CloudFormation gives as [\"\"]) (with "
        "HasAlarmChecks true)",
    ),
    (
        "invokes also when alarm checks are on",
        set_condition("HasCheckFunctions", {"Fn::Or": [NOT_EMPTY, {"Condition": "HasAlarmChecks"}]}),
        "(with HasCheckFunctions true) the role may lambda:InvokeFunction on ['']",
    ),
    (
        "invokes only when alarm checks are on too",
        set_condition("HasCheckFunctions", {"Fn::And": [NOT_EMPTY, {"Condition": "HasAlarmChecks"}]}),
        "(with HasCheckFunctions false) the role may lambda:InvokeFunction on [], not exactly those functions",
    ),
    (
        "never invokes",
        set_condition("HasCheckFunctions", {"Fn::Equals": ["a", "b"]}),
        "the role may lambda:InvokeFunction on [], not exactly those functions",
    ),
    (
        "the invoke statement on the wake-up role",
        grant_on_wakeup_role,
        "not exactly the function ApprovalGateFunction and its qualified form",
    ),
    (
        "the invoke statement on the wake-up role leaves the check functions ungranted",
        grant_on_wakeup_role,
        "ApprovalGateRole: with CheckFunctionArns = ['arn:aws:lambda:us-east-1:123456789012:function:"
        "change-ticket-open', 'arn:aws:lambda:us-east-1:111122223333:function:org-release-check:prod'] "
        "the role may lambda:InvokeFunction on [], not exactly those functions",
    ),
    (
        "the wake-up role invokes the check functions too",
        lambda t: invoke_statement(t)["Resource"].append({"Ref": CHECK_FUNCTIONS}),
        "not exactly the function ApprovalGateFunction and its qualified form",
    ),
    # CheckFunctionArns itself refuses what IAM reads as wildcards.
    (
        "CheckFunctionArns without an AllowedPattern",
        delete_key(lambda t: t["Parameters"][CHECK_FUNCTIONS], "AllowedPattern"),
        "parameter CheckFunctionArns is not a CommaDelimitedList with an AllowedPattern",
    ),
    (
        "CheckFunctionArns accepts wildcards",
        set_key(
            lambda t: t["Parameters"][CHECK_FUNCTIONS],
            "AllowedPattern",
            "^$|^arn:aws[a-z-]*:lambda:[a-z0-9*-]+:[0-9*]{1,12}:function:[A-Za-z0-9_*?-]{1,64}(:[A-Za-z0-9_$*-]+)?$",
        ),
        "parameter CheckFunctionArns accepts ['arn:aws:lambda:*:*:function:*'",
    ),
    (
        "CheckFunctionArns accepts a policy variable",
        set_key(
            lambda t: t["Parameters"][CHECK_FUNCTIONS],
            "AllowedPattern",
            "^$|^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_${}:-]{1,64}$",
        ),
        "parameter CheckFunctionArns accepts ['arn:aws:lambda:us-east-1:123456789012:function:${aws:username}']",
    ),
    (
        "CheckFunctionArns refuses its empty default",
        lambda t: t["Parameters"][CHECK_FUNCTIONS].__setitem__(
            "AllowedPattern", t["Parameters"][CHECK_FUNCTIONS]["AllowedPattern"].removeprefix("^$|")
        ),
        "parameter CheckFunctionArns refuses ['']",
    ),
    (
        "CheckFunctionArns as a single string",
        set_key(lambda t: t["Parameters"][CHECK_FUNCTIONS], "Type", "String"),
        "parameter CheckFunctionArns is not a CommaDelimitedList",
    ),
]

# Changes that must not fail the check.
NARROWINGS = [
    (
        "the check functions' condition tests the first entry",
        set_condition(
            "HasCheckFunctions",
            {"Fn::Not": [{"Fn::Equals": [{"Fn::Select": [0, {"Ref": CHECK_FUNCTIONS}]}, ""]}]},
        ),
    ),
    (
        "the check functions' grant in the else branch of the opposite condition",
        both(
            set_condition("NoCheckFunctions", {"Fn::Not": [{"Condition": "HasCheckFunctions"}]}),
            lambda t: check_functions_grant(t).__setitem__(
                "Fn::If",
                ["NoCheckFunctions", {"Ref": "AWS::NoValue"}, check_functions_grant(t)["Fn::If"][1]],
            ),
        ),
    ),
    (
        "the check functions' condition joined with one that holds whenever they are given",
        set_condition("HasCheckFunctions", {"Fn::And": [NOT_EMPTY, {"Fn::Equals": ["a", "a"]}]}),
    ),
    (
        "the wake-up group's ARN in the trust by Fn::Sub",
        lambda t: wakeup_trust(t)["Condition"]["StringEquals"].__setitem__(
            "aws:SourceArn", {"Fn::Sub": GROUP_ARN + "${WakeUpGroup}"}
        ),
    ),
    (
        "the approval rule's pattern laid out differently",
        edit_approval_pattern('{"source": ["aws.codepipeline"], ', '{ "source" :\n ["aws.codepipeline"] ,'),
    ),
    (
        "a permissions boundary on the role",
        set_key(role, "PermissionsBoundary", "arn:aws:iam::123456789012:policy/boundary"),
    ),
    (
        "a literal reserved concurrency",
        set_key(function, "ReservedConcurrentExecutions", 3),
    ),
    (
        "a permissions boundary on the wake-up role",
        set_key(wakeup_role, "PermissionsBoundary", "arn:aws:iam::123456789012:policy/boundary"),
    ),
    (
        "the wake-up permission as an AWS::IAM::Policy of the wake-up role",
        lambda t: resources(t).__setitem__(
            WAKEUP_POLICY,
            {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "invoke-approval-gate",
                    "Roles": [{"Ref": WAKEUP_ROLE}],
                    "PolicyDocument": resources(t)[WAKEUP_POLICY]["Properties"]["PolicyDocument"],
                },
            },
        ),
    ),
    (
        "the function named by its ARN in the wake-up permission",
        set_key(
            invoke_statement,
            "Resource",
            [
                {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${ApprovalGateFunction}"},
                {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${ApprovalGateFunction}:*"},
            ],
        ),
    ),
]


class CheckTemplate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.real = load_real()
        cls.directory = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()

    def write(self, template, name):
        path = Path(self.directory.name) / (name.replace(" ", "-").replace("/", "-") + ".json")
        path.write_text(json.dumps(template, indent=1))
        return path

    def problems(self, change, name):
        template = copy.deepcopy(self.real)
        change(template)
        self.assertNotEqual(template, self.real, f"{name}: the change changed nothing")
        decoded, matches = decode(str(self.write(template, name)))
        self.assertEqual(matches, [], name)
        return check_template.check(decoded)

    def test_real_template_passes(self):
        decoded, matches = decode(str(TEMPLATE))
        self.assertEqual(matches, [])
        checked, problems = check_template.check(decoded)
        self.assertEqual(problems, [])
        # read state, read executions, list, alarms, calendars, invoke check functions,
        # answer, publish, read AppConfig (the profile given, or the one the stack creates),
        # create wake-ups, pass the wake-up role, send failures, write logs; and the wake-up
        # role's invoke
        self.assertEqual(checked, 15)

    def test_script_exit_status(self):
        ok = subprocess.run(
            [sys.executable, str(SCRIPTS / "check_template.py")], capture_output=True, text=True
        )
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("statements checked, ok", ok.stdout)
        widened = copy.deepcopy(self.real)
        statement(widened, "ReadPipelineState")["Resource"] = "arn:*:codepipeline:*:*:*"
        failed = subprocess.run(
            [sys.executable, str(SCRIPTS / "check_template.py"), str(self.write(widened, "exit"))],
            capture_output=True,
            text=True,
        )
        self.assertEqual(failed.returncode, 1)
        self.assertIn("covers every pipeline", failed.stderr)

    def test_dashboard_and_alarms_name_only_metrics_the_function_emits(self):
        # The metric names as src/metrics.rs writes them: ("Name", "Unit", value).
        source = (ROOT / "src" / "metrics.rs").read_text()
        emitted = set(re.findall(r'\("([A-Za-z]+)", "(?:Count|Milliseconds)"', source))
        self.assertIn("Decisions", emitted)
        body = resources(self.real)["ApprovalGateDashboard"]["Properties"]["DashboardBody"]
        text, variables = body["Fn::Sub"]
        for name in ["AWS::Region", *variables]:
            text = text.replace("${" + name + "}", "sample")
        dashboard = json.loads(text)
        named = set()
        for widget in dashboard["widgets"]:
            previous = None
            for row in widget["properties"]["metrics"]:
                names = [item for item in row if isinstance(item, str)]
                if names[0] == "...":
                    continue
                namespace, metric = names[0], names[1]
                if namespace == ".":
                    namespace = previous
                previous = namespace
                if namespace == "sample":
                    named.add(metric)
        self.assertTrue(named, "the dashboard shows the gate's own metrics")
        self.assertLessEqual(named, emitted)
        alarm = resources(self.real)["SweepFailuresAlarm"]["Properties"]
        self.assertIn(alarm["MetricName"], emitted)
        self.assertEqual(alarm["Namespace"], {"Ref": "MetricsNamespace"})

    def test_every_case_is_distinct(self):
        names = [name for name, _, _ in WIDENINGS] + [name for name, _ in NARROWINGS]
        self.assertEqual(len(names), len(set(names)))


class PolicySchemaForAppConfig(unittest.TestCase):
    """The profile's validator (draft 4, what AppConfig reads) accepts and refuses exactly
    what policy.schema.json (draft 2020-12) does, and the template holds its current form."""

    @classmethod
    def setUpClass(cls):
        cls.schema = json.loads((ROOT / "policy.schema.json").read_text())
        cls.translated = json.loads(sync_schema.validator_content(json.dumps(cls.schema)))
        cls.original = jsonschema.Draft202012Validator(cls.schema)
        cls.draft4 = jsonschema.Draft4Validator(cls.translated)
        cls.examples = {
            path.name: json.loads(path.read_text()) for path in sorted((ROOT / "examples").glob("*.json"))
        }

    def test_the_translation_is_a_draft_4_schema(self):
        jsonschema.Draft4Validator.check_schema(self.translated)
        self.assertEqual(self.translated["$schema"], sync_schema.DRAFT_04)
        text = json.dumps(self.translated)
        for keyword in ('"$defs"', '"const"', "#/$defs/"):
            self.assertNotIn(keyword, text)

    def test_the_template_holds_the_translation(self):
        profile = resources(load_real())["PolicyProfile"]["Properties"]
        self.assertEqual(
            profile["Validators"], [{"Type": "JSON_SCHEMA", "Content": sync_schema.validator_content(json.dumps(self.schema))}]
        )
        result = subprocess.run(
            [sys.executable, str(SCRIPTS / "sync_schema.py"), "--check"], capture_output=True, text=True
        )
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_changed_policy_schema_fails_the_check(self):
        changed = copy.deepcopy(self.schema)
        changed["$defs"]["Severity"]["oneOf"].append({"const": "approve", "type": "string"})
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "policy.schema.json"
            path.write_text(json.dumps(changed))
            saved = check_template.POLICY_SCHEMA
            check_template.POLICY_SCHEMA = path
            try:
                decoded, _ = decode(str(TEMPLATE))
                _, problems = check_template.check(decoded)
            finally:
                check_template.POLICY_SCHEMA = saved
        self.assertTrue(any("make sync-schema" in p for p in problems), problems)

    def test_keywords_without_a_translation_stop_the_script(self):
        for schema in (
            {"prefixItems": [{"type": "string"}]},
            {"if": {"type": "string"}, "then": {"minLength": 1}},
            {"exclusiveMinimum": 1},
            {"unevaluatedProperties": False},
            {"$ref": "https://example.com/other.json"},
            {"$schema": "http://json-schema.org/draft-07/schema#"},
            {"items": [{"type": "string"}]},
        ):
            with self.assertRaises(sync_schema.Untranslatable, msg=json.dumps(schema)):
                sync_schema.translate(schema)

    def test_a_ref_with_siblings_keeps_both(self):
        schema = {"$defs": {"A": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/A", "maxLength": 2}}}
        translated = sync_schema.translate(schema)
        self.assertEqual(
            translated["properties"]["a"], {"maxLength": 2, "allOf": [{"$ref": "#/definitions/A"}]}
        )
        for value, valid in (({"a": "ab"}, True), ({"a": "abc"}, False), ({"a": 1}, False)):
            self.assertEqual(jsonschema.Draft202012Validator(schema).is_valid(value), valid)
            self.assertEqual(jsonschema.Draft4Validator(translated).is_valid(value), valid)

    def test_a_draft_4_reader_misreads_the_schema_as_it_is(self):
        # Why the translation: draft 4 has no const, so {"enum": ["reject"]} and
        # {"const": "abstain"} both match "reject" (oneOf fails) and any string passes.
        misread = jsonschema.Draft4Validator(self.schema)
        rule = {"name": "r", "match": {}, "on_fail": "reject"}
        self.assertTrue(self.original.is_valid({"rules": [rule]}))
        self.assertFalse(misread.is_valid({"rules": [rule]}))
        bogus = dict(rule, on_fail="approve")
        self.assertFalse(self.original.is_valid({"rules": [bogus]}))
        self.assertTrue(misread.is_valid({"rules": [bogus]}))
        self.assertFalse(self.draft4.is_valid({"rules": [bogus]}))

    def test_both_schemas_accept_and_refuse_the_same_policies(self):
        self.assertGreaterEqual(len(self.examples), 5)
        corpus = []
        for name, example in self.examples.items():
            corpus.append((name, example))
            corpus += [(f"{name} {label}", variant) for label, variant in variants_of(example)]
        corpus += [("empty object", {}), ("a list", []), ("a string", "rules"), ("rules not a list", {"rules": {}})]
        accepted = refused = 0
        for label, document in corpus:
            original = self.original.is_valid(document)
            self.assertEqual(
                self.draft4.is_valid(document), original, f"{label}: {json.dumps(document)[:300]}"
            )
            accepted, refused = accepted + original, refused + (not original)
        for name, example in self.examples.items():
            self.assertTrue(self.original.is_valid(example), name)
        # Not vacuous: many of both, and every keyword's refusals among them.
        self.assertGreater(accepted, 100)
        self.assertGreater(refused, 1000)


# Values a policy's leaves are swapped for: every word of the schema's enums and consts,
# wrong types, and strings the patterns and lengths refuse.
SWAPS = [
    "reject", "abstain", "defer", "fail", "ok", "approve", "year", "week", "mon", "Mon",
    "", "x" * 101, "25:00", "24:00", "08:00", "12-24 00:00", "2030-01-01T00:00Z", 7, None, True, [], {},
]


def variants_of(document, path=()):
    """(label, document) for each one-place change of document: every leaf swapped for each
    of SWAPS, every object member removed and an unknown one added, every list emptied."""

    def at(value):
        out = copy.deepcopy(document)
        if not path:
            return value
        target = out
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return out

    node = document
    for key in path:
        node = node[key]
    where = "/".join(str(k) for k in path) or "(root)"
    found = []
    if isinstance(node, dict):
        found.append((f"{where} + unknown member", at(dict(node, unknown=1))))
        for key in node:
            found.append((f"{where} - {key}", at(dict((k, v) for k, v in node.items() if k != key))))
            found += variants_of(document, path + (key,))
    elif isinstance(node, list):
        found.append((f"{where} emptied", at([])))
        found.append((f"{where} + 7", at(node + [7])))
        for index in range(len(node)):
            found += variants_of(document, path + (index,))
    if path:
        found += [(f"{where} = {json.dumps(swap)[:20]}", at(swap)) for swap in SWAPS if swap != node]
    return found


def widening_test(change, words, name):
    def test(self):
        checked, problems = self.problems(change, name)
        self.assertTrue(problems, f"{name}: passed the check")
        self.assertTrue(
            any(words in problem for problem in problems),
            f"{name}: no problem says {words!r}:\n" + "\n".join(problems),
        )

    return test


def narrowing_test(change, name):
    def test(self):
        checked, problems = self.problems(change, name)
        self.assertEqual(problems, [], name)

    return test


for _name, _change, _words in WIDENINGS:
    setattr(CheckTemplate, "test_fails_" + _name.replace(" ", "_"), widening_test(_change, _words, _name))
for _name, _change in NARROWINGS:
    setattr(CheckTemplate, "test_passes_" + _name.replace(" ", "_"), narrowing_test(_change, _name))


if __name__ == "__main__":
    unittest.main(verbosity=1)
