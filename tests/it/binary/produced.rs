//! `variables` and `function` in the release binary: the function decides web-shop's
//! approval from the variables of the execution under approval and a check function served
//! by the stand-in's Lambda Invoke, and the token reaches neither the function, the logs,
//! nor a notice.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Function, WAIT, outcome};
use crate::common::*;
use crate::produced::{
    ARN, EXECUTION, TOKEN, passing_tests, policy, scan_checks, shop, tests_attempt,
};
use stand_in::{Function as CheckFunction, RuntimeApi, StandIn};

/// The scan comparisons, and the change-ticket function asked with a one-second timeout.
fn gated() -> String {
    policy(json!({
        "variables": scan_checks(),
        "function": {"arn": ARN, "timeout_seconds": 1},
    }))
}

/// One notice for web-shop's approval, decided by the binary: its outcome, what it
/// logged, and how long it took.
async fn decide(stand_in: &StandIn) -> (String, String, Duration) {
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, stand_in, &gated());
    let started = Instant::now();
    let invocation = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();
    let took = started.elapsed();
    (outcome(&invocation), function.logs(), took)
}

/// The summary PutApprovalResult was sent, if any.
fn summary(stand_in: &StandIn) -> Option<String> {
    stand_in
        .accepted_answers()
        .first()
        .map(|call| call.body["result"]["summary"].as_str().unwrap().to_owned())
}

/// Everything the stand-in was sent but the answer's own token field, and the logs: none
/// may carry the token.
fn assert_no_token(stand_in: &StandIn, logs: &str) {
    assert!(!logs.contains(TOKEN), "the token reached the logs");
    for call in stand_in.calls() {
        let text = call.body.to_string();
        let without_capability = text.replace(&format!("\"token\":\"{TOKEN}\""), "");
        assert!(
            !without_capability.contains(TOKEN),
            "the token reached {}: {text}",
            call.operation
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_and_a_passing_function_approve_and_the_function_never_sees_the_token() {
    let stand_in = shop(passing_tests()).await;
    stand_in.put_function(
        ARN,
        CheckFunction::reply(|request: &Value| {
            let clean = request["variables"]["Tests"]["CRITICAL_FINDINGS"] == "0";
            json!({"pass": clean, "reason": format!("scan of {} checked", request["execution_id"])})
        }),
    );
    let (outcome, logs, _) = decide(&stand_in).await;
    assert_eq!(outcome, "approve", "{logs}");
    let summary = summary(&stand_in).unwrap();
    assert!(
        summary.contains(&format!(
            "function change-ticket passed: scan of \"{EXECUTION}\" checked"
        )),
        "{summary}"
    );
    assert_eq!(stand_in.calls_to("Invoke").len(), 1);
    assert_no_token(&stand_in, &logs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_execution_under_approval_did_not_produce_is_never_approved() {
    let other = "0ld0ld00-0000-4000-8000-000000000000";
    let clean = json!({"CRITICAL_FINDINGS": "0", "COVERAGE": "95"});
    let cases = [
        (
            "a scan that ran in another execution",
            vec![tests_attempt(other, "Succeeded", 0.0, clean.clone())],
            "did not run in this execution",
        ),
        (
            "a retried scan whose last attempt failed",
            vec![
                tests_attempt(EXECUTION, "Succeeded", 0.0, clean.clone()),
                tests_attempt(EXECUTION, "Failed", 5.0, json!({})),
            ],
            "is Failed, not Succeeded",
        ),
    ];
    for (case, attempts, reason) in cases {
        let stand_in = shop(attempts).await;
        stand_in.put_function(
            ARN,
            CheckFunction::answer(json!({"pass": true, "reason": "ok"})),
        );
        let (outcome, logs, _) = decide(&stand_in).await;
        assert_eq!(outcome, "reject", "{case}: {logs}");
        let summary = summary(&stand_in).unwrap();
        assert!(summary.contains(reason), "{case}: {summary}");
        // The function is asked only when its answer decides.
        assert!(stand_in.calls_to("Invoke").is_empty(), "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_that_times_out_answers_garbage_or_quotes_the_token_never_approves() {
    let cases = [
        (
            "times out",
            CheckFunction::answer(json!({"pass": true, "reason": "late"}))
                .after(Duration::from_secs(5)),
            "did not answer within 1 s",
        ),
        (
            "answers garbage",
            CheckFunction::raw(&b"\xff\xfe{\"pass\": tru"[..]),
            "gave no usable answer",
        ),
        (
            "quotes the token",
            CheckFunction::answer(
                json!({"pass": false, "reason": format!("{TOKEN} is not a ticket")}),
            ),
            "<redacted> is not a ticket",
        ),
    ];
    for (case, function, reason) in cases {
        let stand_in = shop(passing_tests()).await;
        stand_in.put_function(ARN, function);
        let (outcome, logs, took) = decide(&stand_in).await;
        assert_eq!(outcome, "reject", "{case}: {logs}");
        assert!(took < Duration::from_secs(5), "{case}: took {took:?}");
        let summary = summary(&stand_in).unwrap();
        assert!(summary.contains(reason), "{case}: {summary}");
        assert_no_token(&stand_in, &logs);
    }
}
