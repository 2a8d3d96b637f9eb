//! `variables` and `function` end to end: the real SDK against the stand-in, which serves
//! the demo's `web-shop` execution with pipeline-level variables, its action attempts with
//! their namespaces and output variables, its declaration, and a check function over Lambda
//! Invoke.

use std::time::{Duration, Instant};

use crate::common::*;
use approval_gate::report::{Outcome, Report};
use serde_json::{Value, json};
use stand_in::{Fault, Function, StandIn};

/// The execution `approved-by-rule` asks about, and its token.
pub(crate) const EXECUTION: &str = "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60";
pub(crate) const TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";
pub(crate) const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:change-ticket";

/// A rule for web-shop's Approve-Prod with these checks, rejecting on failure.
pub(crate) fn policy(checks: Value) -> String {
    let mut rule = json!({"name": "prod-produced", "match": {"pipeline": "web-*",
        "stage": "Approve-Prod"}, "on_fail": "reject"});
    for (key, value) in checks.as_object().unwrap() {
        rule[key] = value.clone();
    }
    json!({"rules": [rule]}).to_string()
}

/// The scan and coverage comparisons of the issue's example.
pub(crate) fn scan_checks() -> Value {
    json!([
        {"variable": "#{Tests.CRITICAL_FINDINGS}", "at_most": 0},
        {"variable": "#{Tests.COVERAGE}", "at_least": 80},
        {"variable": "#{variables.RELEASE_TYPE}", "equals": "standard"},
        {"variable": "#{SourceVariables.BranchName}", "equals": "main"},
    ])
}

/// The IntegrationTests attempt of `execution`, in namespace `Tests`, ended `status` at
/// `minute` past the demo's build time, with these outputs.
pub(crate) fn tests_attempt(execution: &str, status: &str, minute: f64, outputs: Value) -> Value {
    let mut run = shop_runs("Succeeded")
        .into_iter()
        .find(|run| run["actionName"] == "IntegrationTests")
        .unwrap();
    run["pipelineExecutionId"] = execution.into();
    run["actionExecutionId"] = format!("ae-tests-{execution}-{minute}").into();
    run["status"] = status.into();
    run["lastUpdateTime"] = (1_795_685_400.0 + minute * 60.0).into();
    run["input"]["namespace"] = "Tests".into();
    run["output"]["outputVariables"] = outputs;
    run
}

/// The demo's web-shop, its execution carrying `RELEASE_TYPE=standard`, its source in
/// namespace `SourceVariables` (branch main), and `tests` as its IntegrationTests attempts.
pub(crate) async fn shop(tests: Vec<Value>) -> StandIn {
    let stand_in = demo_stand_in().await;
    let mut runs: Vec<Value> = shop_runs("Succeeded")
        .into_iter()
        .filter(|run| run["actionName"] != "IntegrationTests")
        .collect();
    for run in &mut runs {
        if run["actionName"] == "Source" {
            run["input"]["namespace"] = "SourceVariables".into();
            run["output"]["outputVariables"] = json!({"BranchName": "main", "CommitId": "9f8e7d6"});
        }
    }
    runs.extend(tests);
    stand_in.put_action_executions("web-shop", runs);
    stand_in.put_execution(
        "web-shop",
        json!({"pipelineExecutionId": EXECUTION, "pipelineName": "web-shop",
               "pipelineVersion": 3, "status": "InProgress",
               "artifactRevisions": [{"name": "SourceArtifact", "revisionId": "9f8e7d6",
                                      "revisionSummary": format!("fix checkout (token {TOKEN})"),
                                      "created": 1_795_685_000.0}],
               "trigger": {"triggerType": "Webhook"},
               "variables": [{"name": "RELEASE_TYPE", "resolvedValue": "standard"}]}),
    );
    // GetPipeline declares the namespaces.
    stand_in.set_execution_mode("web-shop", "SUPERSEDED");
    let mut declaration = stand_in.declaration("web-shop").unwrap();
    for stage in declaration["stages"].as_array_mut().unwrap() {
        for action in stage["actions"].as_array_mut().unwrap() {
            match action["name"].as_str() {
                Some("Source") => action["namespace"] = "SourceVariables".into(),
                Some("IntegrationTests") => action["namespace"] = "Tests".into(),
                _ => {}
            }
        }
    }
    stand_in.put_declaration(declaration);
    stand_in
}

pub(crate) fn passing_tests() -> Vec<Value> {
    vec![tests_attempt(
        EXECUTION,
        "Succeeded",
        0.0,
        json!({"CRITICAL_FINDINGS": "0", "COVERAGE": "87.5"}),
    )]
}

async fn decide(stand_in: &StandIn, policy: &str) -> Report {
    let gate = sdk_gate(stand_in, policy).await;
    let response = gate.handle(&event("approved-by-rule")).await.unwrap();
    response.records[0].clone()
}

fn reasons(report: &Report) -> String {
    report.reasons.join("; ")
}

/// What PutApprovalResult was sent, as status and summary.
fn answered(stand_in: &StandIn) -> (String, String) {
    let answers = stand_in.accepted_answers();
    assert_eq!(answers.len(), 1, "one answer");
    let result = &answers[0].body["result"];
    (
        result["status"].as_str().unwrap().to_owned(),
        result["summary"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn variables_of_the_execution_under_approval_approve_when_every_comparison_holds() {
    let stand_in = shop(passing_tests()).await;
    let report = decide(&stand_in, &policy(json!({"variables": scan_checks()}))).await;
    assert_eq!(report.outcome, Outcome::Approve, "{}", reasons(&report));
    assert!(
        reasons(&report).contains("#{Tests.COVERAGE} is \"87.5\", which is at least 80"),
        "{}",
        reasons(&report)
    );
    assert_eq!(answered(&stand_in).0, "Approved");
    // Read for the execution under approval, and the declaration for its namespaces.
    let listed = &stand_in.calls_to("ListActionExecutions")[0].body;
    assert_eq!(listed["filter"]["pipelineExecutionId"], EXECUTION);
    assert_eq!(
        stand_in.calls_to("GetPipelineExecution")[0].body["pipelineExecutionId"],
        EXECUTION
    );
    assert!(!stand_in.calls_to("GetPipeline").is_empty());
}

#[tokio::test]
async fn a_variable_of_an_action_that_ran_in_another_execution_fails() {
    // The scan ran, clean, in an older execution; in this one it did not run.
    let stand_in = shop(vec![tests_attempt(
        "0ld0ld00-0000-4000-8000-000000000000",
        "Succeeded",
        0.0,
        json!({"CRITICAL_FINDINGS": "0", "COVERAGE": "99"}),
    )])
    .await;
    let report = decide(&stand_in, &policy(json!({"variables": scan_checks()}))).await;
    assert_eq!(report.outcome, Outcome::Reject, "{}", reasons(&report));
    assert!(
        reasons(&report).contains(
            "#{Tests.CRITICAL_FINDINGS} cannot be read: Build/IntegrationTests, which declares \
             the namespace, did not run in this execution"
        ),
        "{}",
        reasons(&report)
    );
    assert_eq!(answered(&stand_in).0, "Rejected");
}

#[tokio::test]
async fn a_retried_action_counts_by_its_last_attempt() {
    // Clean, then retried and failed: the last attempt failed.
    let failed_last = shop(vec![
        tests_attempt(
            EXECUTION,
            "Succeeded",
            0.0,
            json!({"CRITICAL_FINDINGS": "0", "COVERAGE": "90"}),
        ),
        tests_attempt(EXECUTION, "Failed", 5.0, json!({})),
    ])
    .await;
    let report = decide(&failed_last, &policy(json!({"variables": scan_checks()}))).await;
    assert_eq!(report.outcome, Outcome::Reject, "{}", reasons(&report));
    assert!(
        reasons(&report).contains("is Failed, not Succeeded"),
        "{}",
        reasons(&report)
    );
    // Failed with findings, then retried clean: the clean retry counts.
    let passed_last = shop(vec![
        tests_attempt(
            EXECUTION,
            "Failed",
            0.0,
            json!({"CRITICAL_FINDINGS": "4", "COVERAGE": "90"}),
        ),
        tests_attempt(
            EXECUTION,
            "Succeeded",
            5.0,
            json!({"CRITICAL_FINDINGS": "0", "COVERAGE": "90"}),
        ),
    ])
    .await;
    let report = decide(&passed_last, &policy(json!({"variables": scan_checks()}))).await;
    assert_eq!(report.outcome, Outcome::Approve, "{}", reasons(&report));
}

#[tokio::test]
async fn an_attempt_that_names_another_namespace_does_not_vouch_for_its_outputs() {
    // The pipeline was changed after the execution started: the attempt ran as `OldTests`.
    let mut renamed = tests_attempt(
        EXECUTION,
        "Succeeded",
        0.0,
        json!({"CRITICAL_FINDINGS": "0", "COVERAGE": "90"}),
    );
    renamed["input"]["namespace"] = "OldTests".into();
    let stand_in = shop(vec![renamed]).await;
    let report = decide(&stand_in, &policy(json!({"variables": scan_checks()}))).await;
    assert_eq!(report.outcome, Outcome::Reject, "{}", reasons(&report));
    assert!(
        reasons(&report).contains("names \"OldTests\" as its namespace"),
        "{}",
        reasons(&report)
    );
}

fn with_function(timeout: u64) -> String {
    policy(json!({
        "variables": scan_checks(),
        "function": {"arn": ARN, "timeout_seconds": timeout},
    }))
}

#[tokio::test]
async fn a_passing_function_is_shown_the_proven_evidence_and_never_the_token() {
    let stand_in = shop(passing_tests()).await;
    stand_in.put_function(
        ARN,
        Function::answer(json!({"pass": true, "reason": "CHG-7 is approved"})),
    );
    let report = decide(&stand_in, &with_function(5)).await;
    assert_eq!(report.outcome, Outcome::Approve, "{}", reasons(&report));
    assert!(reasons(&report).contains("function change-ticket passed: CHG-7 is approved"));
    let invoked = stand_in.calls_to("Invoke");
    assert_eq!(invoked.len(), 1);
    let request = &invoked[0].body;
    assert_eq!(request["schema"], "approval-gate/check-function/v1");
    assert_eq!(request["execution_id"], EXECUTION);
    assert_eq!(request["rule"], "prod-produced");
    assert_eq!(
        request["variables"],
        json!({"SourceVariables": {"BranchName": "main", "CommitId": "9f8e7d6"},
               "Tests": {"COVERAGE": "87.5", "CRITICAL_FINDINGS": "0"},
               "variables": {"RELEASE_TYPE": "standard"}})
    );
    assert_eq!(request["revisions"][0]["source_action"], "Source/Source");
    assert_eq!(
        request["revisions"][0]["summary"],
        "fix checkout (token <redacted>)"
    );
    assert!(!request.to_string().contains(TOKEN), "{request}");
}

#[tokio::test]
async fn a_function_is_not_asked_when_another_check_refuses() {
    let stand_in = shop(vec![tests_attempt(
        EXECUTION,
        "Succeeded",
        0.0,
        json!({"CRITICAL_FINDINGS": "2", "COVERAGE": "90"}),
    )])
    .await;
    stand_in.put_function(
        ARN,
        Function::answer(json!({"pass": true, "reason": "fine"})),
    );
    let report = decide(&stand_in, &with_function(5)).await;
    assert_eq!(report.outcome, Outcome::Reject, "{}", reasons(&report));
    assert!(stand_in.calls_to("Invoke").is_empty());
    assert!(
        reasons(&report).contains("is above 0"),
        "{}",
        reasons(&report)
    );
}

/// What a function that answers `function` does to web-shop's approval.
async fn with_answer(function: Function, timeout: u64) -> (Report, StandIn) {
    let stand_in = shop(passing_tests()).await;
    stand_in.put_function(ARN, function);
    let report = decide(&stand_in, &with_function(timeout)).await;
    (report, stand_in)
}

#[tokio::test]
async fn a_function_that_says_fail_rejects_with_its_reason() {
    let (report, stand_in) = with_answer(
        Function::answer(json!({"pass": false, "reason": "CHG-7 is still in review"})),
        5,
    )
    .await;
    assert_eq!(report.outcome, Outcome::Reject);
    let (status, summary) = answered(&stand_in);
    assert_eq!(status, "Rejected");
    assert!(
        summary.contains("function change-ticket failed: CHG-7 is still in review"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_function_that_times_out_fails_its_check_in_its_time() {
    let started = Instant::now();
    let (report, _) = with_answer(
        Function::answer(json!({"pass": true, "reason": "late"})).after(Duration::from_secs(4)),
        1,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.outcome, Outcome::Reject);
    assert!(
        reasons(&report).contains("gave no usable answer: the function did not answer within 1 s"),
        "{}",
        reasons(&report)
    );
}

#[tokio::test]
async fn garbage_an_error_an_oversized_answer_or_throttling_fail_the_check() {
    let oversized = json!({"pass": true, "reason": "x".repeat(5_000)});
    for (function, expected) in [
        (
            Function::raw("<html>502 Bad Gateway</html>"),
            "is not {\"pass\": true|false",
        ),
        (
            Function::raw(r#"{"pass": "yes", "reason": "ok"}"#),
            "is not {\"pass\": true|false",
        ),
        (
            Function::error("KeyError: 'ticket'"),
            "the function failed (Unhandled)",
        ),
        (Function::answer(oversized), "more than the 4096"),
    ] {
        let (report, stand_in) = with_answer(function, 5).await;
        assert_eq!(report.outcome, Outcome::Reject, "{}", reasons(&report));
        assert!(
            reasons(&report).contains(expected),
            "{expected}: {}",
            reasons(&report)
        );
        assert_eq!(answered(&stand_in).0, "Rejected");
    }
    let stand_in = shop(passing_tests()).await;
    stand_in.put_function(ARN, Function::answer(json!({"pass": true, "reason": "ok"})));
    for _ in 0..8 {
        stand_in.inject("Invoke", Fault::error(429, "TooManyRequestsException"));
    }
    let report = decide(&stand_in, &with_function(5)).await;
    assert_eq!(report.outcome, Outcome::Reject, "{}", reasons(&report));
    assert!(
        reasons(&report).contains("TooManyRequestsException"),
        "{}",
        reasons(&report)
    );
}

#[tokio::test]
async fn a_function_that_quotes_the_token_has_it_removed_everywhere() {
    let (report, stand_in) = with_answer(
        Function::reply(
            |_| json!({"pass": false, "reason": format!("token {TOKEN} is not in CHG-7")}),
        ),
        5,
    )
    .await;
    assert_eq!(report.outcome, Outcome::Reject);
    let (_, summary) = answered(&stand_in);
    assert!(
        summary.contains("token <redacted> is not in CHG-7"),
        "{summary}"
    );
    let published = stand_in.calls_to("Publish");
    assert!(!published.is_empty());
    for call in published.iter().chain(stand_in.accepted_answers().iter()) {
        let text = call.body.to_string();
        // The answer's own token field is the capability itself; nothing else carries it.
        let without_capability = text.replace(&format!("\"token\":\"{TOKEN}\""), "");
        assert!(!without_capability.contains(TOKEN), "{text}");
    }
    assert!(!reasons(&report).contains(TOKEN));
}

#[tokio::test]
async fn a_function_is_never_waited_for_into_the_end_of_the_invocation() {
    let stand_in = shop(passing_tests()).await;
    stand_in.put_function(
        ARN,
        Function::answer(json!({"pass": false, "reason": "CHG-7 is in review"}))
            .after(Duration::from_secs(4)),
    );
    let policy = policy(json!({
        "variables": scan_checks(),
        "function": {"arn": ARN, "timeout_seconds": 5, "on_fail": "defer"},
    }));
    let gate = sdk_gate(&stand_in, &policy).await;
    // Eight deliveries of the notice in one event, with 30 s left: 20 s are kept to answer
    // and publish, so the function (4 s to answer) is asked while its whole 5 s timeout is
    // left beyond them: at the start, perhaps once more, and never after 10 s.
    let mut deliveries = event("approved-by-rule");
    let record = deliveries["Records"][0].clone();
    deliveries["Records"] = Value::Array(vec![record; 8]);
    let started = Instant::now();
    let deadline = std::time::SystemTime::now() + Duration::from_secs(30);
    let response = gate
        .handle_until(&deliveries, Some(deadline))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let asked = stand_in.calls_to("Invoke").len();
    assert!(
        (1..=2).contains(&asked),
        "asked {asked} times: {:?}",
        response.records[0].reasons
    );
    assert!(
        response
            .records
            .iter()
            .all(|report| report.outcome == Outcome::Defer)
    );
    let postponed = response
        .records
        .iter()
        .filter(|report| reasons(report).contains("too little of this invocation's time was left"))
        .count();
    assert_eq!(postponed, 8 - asked);
    assert!(stand_in.accepted_answers().is_empty());
    // With less than its timeout left beyond the 20 s, it is not asked at all: a shorter
    // wait would count a function that answers in its time as one that did not.
    let deadline = std::time::SystemTime::now() + Duration::from_secs(24);
    let response = gate
        .handle_until(&event("approved-by-rule"), Some(deadline))
        .await
        .unwrap();
    assert_eq!(stand_in.calls_to("Invoke").len(), asked);
    assert_eq!(response.records[0].outcome, Outcome::Defer);
}
