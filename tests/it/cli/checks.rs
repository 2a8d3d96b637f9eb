//! `explain` with the `variables` and `function` checks, through the binary: variables read
//! from the AWS CLI's files as the function reads them from CodePipeline, a check
//! function's answer from the file `aws lambda invoke` writes, the command and request shown
//! when the answer is needed and not given (never the token), and `--live` asking the
//! function in the stand-in.

use std::process::Output;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{cli, live_env, stdout};
use crate::common::demo_stand_in;

/// The worked example of docs/cli.md: web-shop waiting at Approve-Prod/Manual.
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/explain");
/// The approval token in the example's state.
const TOKEN: &str = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";
const EXECUTION: &str = "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60";
const FUNCTION: &str = "arn:aws:lambda:eu-central-1:111122223333:function:change-ticket";
/// Inside the example's Berlin office hours; `CLOSED` is after them.
const OPEN: &str = "2026-11-26T10:00:00Z";
const CLOSED: &str = "2026-11-26T16:30:00Z";

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The example's CodePipeline files and a policy in a directory of their own, to change.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(rule: Value) -> Self {
        let files = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        for name in [
            "state.json",
            "execution.json",
            "actions.json",
            "pipeline.json",
        ] {
            files.write(name, &example(name));
        }
        files.write("policy.json", &json!({ "rules": [rule] }));
        files
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn write(&self, name: &str, value: &Value) {
        std::fs::write(self.path(name), value.to_string()).unwrap();
    }

    fn write_raw(&self, name: &str, bytes: &str) {
        std::fs::write(self.path(name), bytes).unwrap();
    }

    /// `explain` over the files (without `--declaration` when `declared` is false).
    fn explain_with(&self, declared: bool, extra: &[&str]) -> Output {
        let paths = [
            "policy.json",
            "state.json",
            "execution.json",
            "actions.json",
        ]
        .map(|name| self.path(name));
        let declaration = self.path("pipeline.json");
        let mut args = vec![
            "explain",
            "--pipeline",
            "web-shop",
            "--policy",
            &paths[0],
            "--state",
            &paths[1],
            "--execution",
            &paths[2],
            "--action-executions",
            &paths[3],
        ];
        if declared {
            args.extend(["--declaration", declaration.as_str()]);
        }
        args.extend(extra);
        cli(&args, &[])
    }

    fn explain(&self, extra: &[&str]) -> Output {
        self.explain_with(true, extra)
    }

    /// Changes the attempts of the action `name` in actions.json.
    fn change_attempts(&self, change: impl FnOnce(&mut Vec<Value>)) {
        let mut actions = example("actions.json");
        change(actions["actionExecutionDetails"].as_array_mut().unwrap());
        self.write("actions.json", &actions);
    }
}

fn attempt_of<'a>(attempts: &'a mut [Value], action: &str) -> &'a mut Value {
    attempts
        .iter_mut()
        .find(|attempt| attempt["actionName"] == action)
        .unwrap()
}

fn variables_rule() -> Value {
    json!({
        "name": "prod-variables",
        "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "variables": [
            {"variable": "#{variables.RELEASE_TYPE}", "equals": "standard"},
            {"variable": "#{SourceVariables.BranchName}", "equals": "main"},
            {"variable": "#{Tests.FAILED_TESTS}", "at_most": 0}
        ],
        "on_fail": "reject"
    })
}

#[test]
fn variables_are_read_from_the_aws_cli_files_as_from_codepipeline() {
    let files = Files::new(variables_rule());
    let passing = files.explain(&["--at", OPEN]);
    assert_eq!(passing.status.code(), Some(0), "{passing:?}");
    let shown = stdout(&passing);
    assert!(shown.contains("verdict: approve"), "{shown}");
    for line in [
        r#"pass           variables: #{variables.RELEASE_TYPE} is "standard", which equals "standard""#,
        r#"pass           variables: #{SourceVariables.BranchName} is "main", which equals "main""#,
        r#"pass           variables: #{Tests.FAILED_TESTS} is "0", which is at most 0"#,
    ] {
        assert!(shown.contains(line), "{line} in {shown}");
    }

    // The source action's attempt belongs to another execution: its variables are not
    // this execution's.
    files.change_attempts(|attempts| {
        attempt_of(attempts, "Source")["pipelineExecutionId"] =
            "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into();
    });
    let elsewhere = files.explain(&["--at", OPEN]);
    assert_eq!(elsewhere.status.code(), Some(0), "{elsewhere:?}");
    let shown = stdout(&elsewhere);
    assert!(shown.contains("verdict: reject"), "{shown}");
    assert!(
        shown.contains(
            "fail (reject)  variables: #{SourceVariables.BranchName} cannot be read: \
             Source/Source, which declares the namespace, did not run in this execution"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(r#"pass           variables: #{Tests.FAILED_TESTS} is "0""#),
        "{shown}"
    );

    // The tests were retried and the retry failed: the first attempt's variables are no
    // longer the action's.
    files.change_attempts(|attempts| {
        let mut retry = attempt_of(attempts, "IntegrationTests").clone();
        retry["actionExecutionId"] = "7c1d3e5f-6a8b-4c0d-9e2f-4a6b8c0d2e4f".into();
        retry["startTime"] = "2026-11-26T09:40:00.000000+00:00".into();
        retry["lastUpdateTime"] = "2026-11-26T09:52:10.000000+00:00".into();
        retry["status"] = "Failed".into();
        retry["output"]["outputVariables"] = json!({});
        attempts.push(retry);
    });
    let retried = files.explain(&["--at", OPEN]);
    let shown = stdout(&retried);
    assert!(shown.contains("verdict: reject"), "{shown}");
    assert!(
        shown.contains(
            "fail (reject)  variables: #{Tests.FAILED_TESTS} cannot be read: the last attempt \
             of Build/IntegrationTests in this execution is"
        ),
        "{shown}"
    );
    assert!(shown.contains("not Succeeded"), "{shown}");
    assert!(
        shown.contains(r#"pass           variables: #{SourceVariables.BranchName} is "main""#),
        "{shown}"
    );

    // The attempt ran under another namespace than the declaration now gives the action:
    // the pipeline changed since, and the variable is not proven.
    files.change_attempts(|attempts| {
        attempt_of(attempts, "Source")["input"]["namespace"] = "Src".into();
    });
    let renamed = stdout(&files.explain(&["--at", OPEN]));
    assert!(
        renamed.contains("fail (reject)  variables: #{SourceVariables.BranchName}"),
        "{renamed}"
    );

    // Which action declares a namespace is in the declaration: without it, the command
    // that gives it.
    let undeclared = files.explain_with(false, &["--at", OPEN]);
    assert_eq!(undeclared.status.code(), Some(3), "{undeclared:?}");
    assert_eq!(stdout(&undeclared), "");
    assert!(
        stderr(&undeclared).contains(
            "run `aws codepipeline get-pipeline --name web-shop --output json` and give its \
             output with --declaration"
        ),
        "{undeclared:?}"
    );
}

#[test]
fn a_variable_quoting_the_token_is_shown_redacted() {
    let files = Files::new(json!({
        "name": "prod-message",
        "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "variables": [{"variable": "#{SourceVariables.CommitMessage}", "equals": "release"}],
        "on_fail": "abstain"
    }));
    files.change_attempts(|attempts| {
        attempt_of(attempts, "Source")["output"]["outputVariables"]["CommitMessage"] =
            format!("approve with {TOKEN}").into();
    });
    for format in ["text", "json"] {
        let output = files.explain(&["--at", OPEN, "--format", format]);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let shown = stdout(&output);
        assert!(
            shown.contains(r#"#{SourceVariables.CommitMessage} is \"approve with <redacted>\""#)
                || shown
                    .contains(r#"#{SourceVariables.CommitMessage} is "approve with <redacted>""#),
            "{shown}"
        );
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

fn function_rule() -> Value {
    json!({
        "name": "prod-ticket",
        "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "variables": [{"variable": "#{variables.RELEASE_TYPE}", "equals": "standard"}],
        "function": {"arn": FUNCTION},
        "on_fail": "reject"
    })
}

#[test]
fn a_function_answer_file_decides_the_function_check() {
    let files = Files::new(function_rule());
    let answer = files.path("answer.json");
    let with_answer = ["--at", OPEN, "--function-answer", answer.as_str()];

    files.write(
        "answer.json",
        &json!({"pass": true, "reason": "change CHG-4711 is approved"}),
    );
    let passed = files.explain(&with_answer);
    assert_eq!(passed.status.code(), Some(0), "{passed:?}");
    let shown = stdout(&passed);
    assert!(shown.contains("verdict: approve"), "{shown}");
    assert!(
        shown.contains("pass           function change-ticket passed: change CHG-4711 is approved"),
        "{shown}"
    );
    assert_eq!(stderr(&passed), "", "the answer was read");
    let json = files.explain(&[&with_answer[..], &["--format", "json", "--exit-code"]].concat());
    assert_eq!(json.status.code(), Some(0), "approved: {json:?}");
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        parsed["approvals"][0]["function"],
        json!({"arn": FUNCTION, "asked": true, "unusable": null,
               "answer": {"pass": true, "reason": "change CHG-4711 is approved"}})
    );

    // A failing answer fails the check with the rule's on_fail and the function's reason.
    files.write(
        "answer.json",
        &json!({"pass": false, "reason": "change CHG-4711 is not approved"}),
    );
    let failed = stdout(&files.explain(&with_answer));
    assert!(failed.contains("verdict: reject"), "{failed}");
    assert!(
        failed.contains("    - function change-ticket failed: change CHG-4711 is not approved"),
        "{failed}"
    );
    assert!(
        failed.contains("the gate would answer: Rejected"),
        "{failed}"
    );

    // What the AWS CLI writes when the function raised, or anything else, is no answer.
    for garbage in [
        "not JSON at all",
        r#"{"errorMessage": "boom", "errorType": "Error"}"#,
        "",
    ] {
        files.write_raw("answer.json", garbage);
        let output = files.explain(&[&with_answer[..], &["--format", "json"]].concat());
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
        let approval = &parsed["approvals"][0];
        assert_eq!(approval["verdict"], "reject", "{garbage:?}: {approval}");
        assert_eq!(approval["function"]["asked"], true);
        assert_eq!(approval["function"]["answer"], Value::Null);
        assert!(approval["function"]["unusable"].is_string(), "{approval}");
        let check = approval["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| {
                check["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("function change-ticket")
            })
            .unwrap();
        assert_eq!(check["passed"], false);
        assert!(
            check["reason"]
                .as_str()
                .unwrap()
                .starts_with("function change-ticket gave no usable answer: "),
            "{check}"
        );
    }
}

/// The line after "The request:" in the problem, as JSON.
fn printed_request(stderr: &str) -> Value {
    let (_, after) = stderr.split_once("The request:\n").expect(stderr);
    serde_json::from_str(after.lines().next().unwrap().trim()).unwrap()
}

#[test]
fn a_needed_answer_not_given_shows_the_command_and_request_without_the_token() {
    let files = Files::new(function_rule());
    // The commit message and an output variable quote the token: the request must not.
    let mut execution = example("execution.json");
    execution["pipelineExecution"]["artifactRevisions"][0]["revisionSummary"] =
        format!("Merge pull request #42, approve with {TOKEN}").into();
    files.write("execution.json", &execution);
    files.change_attempts(|attempts| {
        attempt_of(attempts, "Source")["output"]["outputVariables"]["CommitMessage"] =
            format!("approve with {}", TOKEN.to_uppercase()).into();
    });

    let output = files.explain(&["--at", OPEN]);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert_eq!(stdout(&output), "");
    let problem = stderr(&output);
    assert!(
        problem.contains(&format!(
            "run `aws lambda invoke --function-name {FUNCTION} --cli-binary-format \
             raw-in-base64-out --payload file://request.json answer.json` and give \
             answer.json with --function-answer"
        )),
        "{problem}"
    );
    assert!(!problem.to_ascii_lowercase().contains(TOKEN), "{problem}");
    let request = printed_request(&problem);
    assert_eq!(request["schema"], "approval-gate/check-function/v1");
    assert_eq!(request["rule"], "prod-ticket");
    assert_eq!(request["execution_id"], EXECUTION);
    assert_eq!(request["decided_at"], OPEN);
    assert_eq!(
        request["variables"]["variables"]["RELEASE_TYPE"],
        "standard"
    );
    assert_eq!(
        request["variables"]["SourceVariables"]["CommitMessage"],
        "approve with <redacted>"
    );
    assert_eq!(
        request["revisions"][0]["summary"],
        "Merge pull request #42, approve with <redacted>"
    );

    // For scripts: the same request as JSON, beside the errors.
    let json = files.explain(&["--at", OPEN, "--format", "json"]);
    assert_eq!(json.status.code(), Some(3));
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        parsed["function_requests"],
        json!([{"function": FUNCTION, "request": request}])
    );
    assert!(
        !String::from_utf8_lossy(&json.stdout)
            .to_ascii_lowercase()
            .contains(TOKEN)
    );
}

#[test]
fn an_answer_is_needed_only_when_the_function_would_be_asked() {
    let mut rule = function_rule();
    rule["windows"] = json!({
        "timezone": "Europe/Berlin",
        "allow": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}],
        "outside": "defer"
    });
    let files = Files::new(rule);
    // After hours the window already fails: the function is not asked, so no answer is
    // needed, and the decision is the window's.
    let closed = files.explain(&["--at", CLOSED]);
    assert_eq!(closed.status.code(), Some(0), "{closed:?}");
    let shown = stdout(&closed);
    assert!(shown.contains("verdict: defer"), "{shown}");
    assert!(
        shown.contains(&format!("check function {FUNCTION} was not asked")),
        "{shown}"
    );
    assert!(!shown.contains("fail (reject)"), "{shown}");
    let json = files.explain(&["--at", CLOSED, "--format", "json"]);
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        parsed["approvals"][0]["function"],
        json!({"arn": FUNCTION, "asked": false, "answer": null, "unusable": null})
    );

    // An answer given then is not read, and the command says so.
    files.write("answer.json", &json!({"pass": false, "reason": "no"}));
    let answer = files.path("answer.json");
    let unread = files.explain(&["--at", CLOSED, "--function-answer", answer.as_str()]);
    assert_eq!(unread.status.code(), Some(0), "{unread:?}");
    assert_eq!(stdout(&unread), shown);
    assert!(
        stderr(&unread).contains(&format!(
            "note: --function-answer {answer} was not used: a check function is asked only \
             when its answer decides"
        )),
        "{unread:?}"
    );

    // A rule without a function reads no answer either.
    let without = Files::new(variables_rule());
    without.write("answer.json", &json!({"pass": false, "reason": "no"}));
    let answer = without.path("answer.json");
    let output = without.explain(&["--at", OPEN, "--function-answer", answer.as_str()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout(&output).contains("verdict: approve"));
    assert!(
        stderr(&output).contains("was not used: no rule explained has a check function"),
        "{output:?}"
    );

    // An answer file that cannot be read is an error, as any other file.
    let gone = files.explain(&[
        "--at",
        OPEN,
        "--function-answer",
        "/nonexistent/answer.json",
    ]);
    assert_eq!(gone.status.code(), Some(3), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_live_asks_the_function_with_the_gates_own_request() {
    let stand_in = demo_stand_in().await;
    let function = "arn:aws:lambda:us-east-1:123456789012:function:change-ticket";
    let shown: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = shown.clone();
    stand_in.put_function(
        function,
        stand_in::Function::reply(move |request| {
            seen.lock().unwrap().push(request.clone());
            json!({"pass": false, "reason": "no change ticket for web-shop"})
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    let rule = json!({
        "name": "shop-ticket",
        "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "function": {"arn": function, "on_fail": "defer"},
        "on_fail": "reject"
    });
    std::fs::write(&policy, json!({ "rules": [rule] }).to_string()).unwrap();
    let endpoint = stand_in.endpoint_url();
    let policy = policy.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let env = live_env(&endpoint);
        cli(
            &[
                "explain",
                "--live",
                "--policy",
                &policy,
                "--pipeline",
                "web-shop",
                "--format",
                "json",
            ],
            &env,
        )
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let approval = &parsed["approvals"][0];
    assert_eq!(approval["verdict"], "defer", "{approval}");
    assert_eq!(
        approval["function"]["answer"],
        json!({"pass": false, "reason": "no change ticket for web-shop"})
    );
    assert_eq!(stand_in.calls_to("Invoke").len(), 1);
    let requests = shown.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["schema"], "approval-gate/check-function/v1");
    assert_eq!(requests[0]["rule"], "shop-ticket");
    assert_eq!(requests[0]["action"], "Manual");
    let state = stand_in.pipeline("web-shop").unwrap().to_string();
    let token = state
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(!requests[0].to_string().contains(token));
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}
