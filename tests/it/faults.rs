//! The fault matrix through the real SDK against the stand-in: throttled and failing reads
//! and answers, a refused connection, answers CodePipeline could never give, and fifty
//! notices at once. Whatever goes wrong, nothing is approved that should not be, and no
//! approval is ever answered twice or two ways.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use approval_gate::aws::{self, CodePipeline, Limits, SnsDecisionTopic};
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_codepipeline::config::Credentials;
use serde_json::{Value, json};
use stand_in::{Call, Fault, StandIn};

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";

fn gate_at(sdk: &SdkConfig) -> Gate<Adapters<CodePipeline, SnsDecisionTopic>> {
    Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings {
            token_wait: Duration::from_millis(600),
            ..Settings::default()
        },
        CodePipeline::new(sdk),
        Some(SnsDecisionTopic::new(
            sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    )
}

async fn gate(stand_in: &StandIn) -> Gate<Adapters<CodePipeline, SnsDecisionTopic>> {
    gate_at(&sdk_at(&stand_in.endpoint_url()).await)
}

/// The result status and token of a PutApprovalResult call.
fn answer_of(call: &Call) -> (String, String) {
    (
        call.body["result"]["status"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
        call.body["token"].as_str().unwrap_or("?").to_owned(),
    )
}

/// Every PutApprovalResult call for one token carries the same status: a retry can
/// repeat an answer, never change it.
fn assert_one_answer_per_token(calls: &[Call]) {
    let mut seen = std::collections::HashMap::new();
    for call in calls {
        let (status, token) = answer_of(call);
        let first = seen.entry(token.clone()).or_insert_with(|| status.clone());
        assert_eq!(
            *first, status,
            "token {token} was answered both {first} and {status}"
        );
    }
}

// ---- Reading the state ----

#[tokio::test]
async fn a_state_read_throttled_three_times_then_served_is_decided_once_after_four_reads() {
    // Given GetPipelineState throttled three times, then answering normally
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "GetPipelineState",
        Fault::error(400, "ThrottlingException"),
        3,
    );

    // When the approval notice is handled
    let response = gate(&stand_in)
        .await
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();

    // Then the fourth read decides it, and it is answered exactly once
    assert_eq!(response.records.len(), 1);
    assert_eq!(
        (response.records[0].outcome, response.records[0].answer),
        (Outcome::Approve, Answer::Sent)
    );
    assert_eq!(stand_in.calls_to("GetPipelineState").len(), 4);
    assert_eq!(stand_in.calls_to("PutApprovalResult").len(), 1);
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_fails_the_invocation_without_answering() {
    // Given an endpoint where nothing listens (a port bound, then released)
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let sdk = sdk_at(&format!("http://{closed}")).await;

    // When the approval notice is handled
    let started = std::time::Instant::now();
    let error = gate_at(&sdk)
        .handle(&event("approved-by-rule"))
        .await
        .unwrap_err();

    // Then the invocation fails at the read, so Lambda retries it, and nothing was
    // answered (an answer would have needed the read to succeed first)
    assert_eq!(error.error_type(), "ApprovalGate.ReadFailed");
    assert!(
        started.elapsed() < TEST_LIMITS.operation_timeout + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// The demo's web-shop state (token live, tests passed), edited.
fn shop_state(edit: impl FnOnce(&mut Value)) -> String {
    let mut state = demo_pipelines()[0].clone();
    edit(&mut state);
    state.to_string()
}

fn strip_everywhere(value: &mut Value, field: &str) {
    match value {
        Value::Object(object) => {
            object.remove(field);
            object.values_mut().for_each(|v| strip_everywhere(v, field));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_everywhere(v, field)),
        _ => {}
    }
}

/// GetPipelineState answers CodePipeline never gives: empty, mistyped, or the live state
/// with fields the API marks required taken out.
fn impossible_states() -> Vec<(&'static str, String)> {
    vec![
        ("an empty object", "{}".into()),
        ("null", "null".into()),
        ("a list", "[]".into()),
        ("stageStates a number", r#"{"stageStates": 42}"#.into()),
        (
            "stageStates of numbers",
            r#"{"pipelineName": "web-shop", "stageStates": [1, 2, 3]}"#.into(),
        ),
        (
            "actionStates a string",
            shop_state(|s| s["stageStates"][2]["actionStates"] = "Manual".into()),
        ),
        (
            "the approval's latestExecution a string",
            shop_state(|s| {
                s["stageStates"][2]["actionStates"][0]["latestExecution"] = "InProgress".into()
            }),
        ),
        (
            "lastStatusChange not a time",
            shop_state(|s| {
                s["stageStates"][1]["actionStates"][1]["latestExecution"]["lastStatusChange"] =
                    "yesterday".into()
            }),
        ),
        (
            "the token a number",
            shop_state(|s| {
                s["stageStates"][2]["actionStates"][0]["latestExecution"]["token"] = 42.into()
            }),
        ),
        (
            "no status anywhere",
            shop_state(|s| strip_everywhere(s, "status")),
        ),
        (
            "no stageName anywhere",
            shop_state(|s| strip_everywhere(s, "stageName")),
        ),
        (
            "no actionName anywhere",
            shop_state(|s| strip_everywhere(s, "actionName")),
        ),
        (
            "no latestExecution anywhere",
            shop_state(|s| strip_everywhere(s, "latestExecution")),
        ),
        (
            "the approval stage's latestExecution missing",
            shop_state(|s| {
                s["stageStates"][2]
                    .as_object_mut()
                    .unwrap()
                    .remove("latestExecution");
            }),
        ),
    ]
}

#[tokio::test]
async fn a_state_answer_missing_required_fields_is_never_approved() {
    let mut approvals = Vec::new();
    for (what, body) in impossible_states() {
        // Given GetPipelineState answering 200 with a body CodePipeline never sends
        let stand_in = demo_stand_in().await;
        stand_in.inject_times(
            "GetPipelineState",
            Fault::RawBody {
                status: 200,
                body: body.clone(),
            },
            50,
        );

        // When the approval notice is handled
        let handled = gate(&stand_in)
            .await
            .handle(&event("approved-by-rule"))
            .await;

        // Then it fails, or ends without approving; never an approval
        let approved = stand_in
            .calls_to("PutApprovalResult")
            .iter()
            .any(|call| answer_of(call).0 == "Approved");
        let outcome = handled
            .as_ref()
            .ok()
            .map(|response| response.records[0].outcome);
        if approved || outcome == Some(Outcome::Approve) {
            approvals.push(format!("{what}: {:?}", handled.map(|r| r.records)));
        }
    }
    assert!(
        approvals.is_empty(),
        "approved on an impossible state:\n{}",
        approvals.join("\n")
    );
}

#[tokio::test]
async fn a_state_without_execution_ids_is_never_approved() {
    // Given GetPipelineState answering the live state without any pipelineExecutionId (a
    // field the API marks required)
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "GetPipelineState",
        Fault::RawBody {
            status: 200,
            body: shop_state(|s| strip_everywhere(s, "pipelineExecutionId")),
        },
        50,
    );

    // When the approval notice is handled
    let handled = gate(&stand_in)
        .await
        .handle(&event("approved-by-rule"))
        .await;

    // Then the execution under approval is unknown, so the success of the tests in it
    // cannot be confirmed: no approval
    assert!(
        stand_in
            .calls_to("PutApprovalResult")
            .iter()
            .all(|call| answer_of(call).0 != "Approved"),
        "{:?}",
        handled.map(|r| r.records)
    );
}

// ---- Answering ----

async fn answered_after(faults: &[Fault]) -> (StandIn, approval_gate::handler::Response) {
    let stand_in = demo_stand_in().await;
    for fault in faults {
        stand_in.inject("PutApprovalResult", fault.clone());
    }
    let response = gate(&stand_in)
        .await
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();
    (stand_in, response)
}

#[tokio::test]
async fn an_answer_throttled_or_failing_then_served_is_accepted_once_and_never_changed() {
    let matrix: Vec<(&str, Vec<Fault>)> = vec![
        (
            "throttled twice",
            vec![Fault::error(400, "ThrottlingException"); 2],
        ),
        ("500 once", vec![Fault::error(500, "InternalFailure")]),
        (
            "503 three times",
            vec![Fault::error(503, "ServiceUnavailableException"); 3],
        ),
        (
            "throttled, 500, then a dropped connection",
            vec![
                Fault::error(400, "ThrottlingException"),
                Fault::error(500, "InternalFailure"),
                Fault::Drop,
            ],
        ),
    ];
    for (what, faults) in matrix {
        // Given PutApprovalResult failing in a retryable way, then answering normally
        // When the approval notice is handled
        let (stand_in, response) = answered_after(&faults).await;

        // Then the approval is answered exactly once, and every attempt said the same
        let calls = stand_in.calls_to("PutApprovalResult");
        assert_eq!(calls.len(), faults.len() + 1, "{what}");
        assert_eq!(stand_in.accepted_answers().len(), 1, "{what}");
        assert_one_answer_per_token(&calls);
        assert!(
            calls
                .iter()
                .all(|call| answer_of(call) == ("Approved".into(), SHOP_TOKEN.into())),
            "{what}"
        );
        assert_eq!(
            (response.records[0].outcome, response.records[0].answer),
            (Outcome::Approve, Answer::Sent),
            "{what}"
        );
    }
}

#[tokio::test]
async fn an_answer_applied_after_its_attempt_timed_out_is_repeated_never_changed() {
    // Given a PutApprovalResult that CodePipeline applies, but whose response arrives only
    // after the client gave up on the attempt
    let slow = TEST_LIMITS.attempt_timeout * 2;

    // When the approval notice is handled
    let (stand_in, response) = answered_after(&[Fault::DelayAnswer(slow)]).await;

    // Then the retry finds the approval answered: one answer accepted, both attempts
    // carrying the same one, and the invocation done
    let calls = stand_in.calls_to("PutApprovalResult");
    assert_eq!(calls.len(), 2);
    assert_eq!(stand_in.accepted_answers().len(), 1);
    assert_one_answer_per_token(&calls);
    assert_eq!(
        calls[1].error_type.as_deref(),
        Some("ApprovalAlreadyCompletedException")
    );
    assert_eq!(
        (response.records[0].outcome, response.records[0].answer),
        (Outcome::Approve, Answer::AlreadyAnswered)
    );
}

#[tokio::test]
async fn an_answer_failing_beyond_the_attempts_fails_the_invocation_with_nothing_accepted() {
    // Given PutApprovalResult throttled more often than the SDK tries
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "PutApprovalResult",
        Fault::error(400, "ThrottlingException"),
        TEST_LIMITS.max_attempts as usize + 2,
    );

    // When the approval notice is handled
    let error = gate(&stand_in)
        .await
        .handle(&event("approved-by-rule"))
        .await
        .unwrap_err();

    // Then the invocation fails for Lambda to retry, and every attempt said the same
    assert_eq!(error.error_type(), "ApprovalGate.AnswerFailed");
    assert!(stand_in.accepted_answers().is_empty());
    let calls = stand_in.calls_to("PutApprovalResult");
    assert_eq!(calls.len(), TEST_LIMITS.max_attempts as usize);
    assert_one_answer_per_token(&calls);
}

// ---- Many at once ----

fn numbered_token(i: usize) -> String {
    format!("{i:08x}-6d1f-4e9a-b7c5-0f2d8e6a1b31")
}

/// The demo's web-shop pipeline as `web-NN`, waiting with its own token; its integration
/// tests failed when `tests_fail`.
fn numbered_pipeline(i: usize, tests_fail: bool) -> Value {
    let mut state = demo_pipelines()[0].clone();
    state["pipelineName"] = format!("web-{i:02}").into();
    state["stageStates"][1]["actionStates"][1]["latestExecution"]["status"] =
        if tests_fail { "Failed" } else { "Succeeded" }.into();
    state["stageStates"][2]["actionStates"][0]["latestExecution"]["token"] =
        numbered_token(i).into();
    state
}

fn numbered_event(i: usize) -> Value {
    let mut notice = notice_of(&event("approved-by-rule"));
    notice["approval"]["pipelineName"] = format!("web-{i:02}").into();
    notice["approval"]["token"] = numbered_token(i).into();
    let mut event = sns_event(&notice.to_string());
    event["Records"][0]["Sns"]["MessageId"] = format!("message-{i:02}").into();
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_notices_for_fifty_pipelines_at_once_are_each_decided_and_answered_once() {
    // Given fifty pipelines waiting for approval, the odd ones after failed tests
    let stand_in = StandIn::start().await.unwrap();
    let fails = |i: usize| i % 2 == 1;
    for i in 0..50 {
        stand_in.put_pipeline(numbered_pipeline(i, fails(i)));
        stand_in.put_action_executions(
            &format!("web-{i:02}"),
            shop_runs(if fails(i) { "Failed" } else { "Succeeded" }),
        );
    }
    // Production timeouts: fifty calls at once on a busy machine must not time out.
    let sdk = aws::configure(
        aws_config::defaults(BehaviorVersion::latest()),
        Limits {
            initial_backoff: Duration::from_millis(10),
            ..Limits::LAMBDA
        },
    )
    .region(Region::new("us-east-1"))
    .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
    .endpoint_url(stand_in.endpoint_url())
    .load()
    .await;
    let gate = Arc::new(gate_at(&sdk));

    // When their fifty notices arrive at once
    let deliveries: Vec<_> = (0..50)
        .map(|i| {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { (i, gate.handle(&numbered_event(i)).await) })
        })
        .collect();
    let mut decided = Vec::new();
    for delivery in deliveries {
        let (i, response) = delivery.await.unwrap();
        let report = response.unwrap().records.remove(0);
        decided.push((
            i,
            report.target.as_ref().map(|target| target.pipeline.clone()),
            report.outcome,
            report.answer,
        ));
    }

    // Then each is decided by its own pipeline's state and answered exactly once
    for (i, pipeline, outcome, answer) in &decided {
        let expected = if fails(*i) {
            Outcome::Reject
        } else {
            Outcome::Approve
        };
        assert_eq!(
            (pipeline.as_deref(), *outcome),
            (Some(format!("web-{i:02}").as_str()), expected)
        );
        // An attempt that timed out after CodePipeline applied it is retried and found
        // answered: the same answer, once.
        assert!(
            matches!(answer, Answer::Sent | Answer::AlreadyAnswered),
            "web-{i:02}: {answer:?}"
        );
    }
    let accepted = stand_in.accepted_answers();
    assert_eq!(accepted.len(), 50);
    assert_one_answer_per_token(&stand_in.calls_to("PutApprovalResult"));
    for call in &accepted {
        let pipeline = call.body["pipelineName"].as_str().unwrap();
        let i: usize = pipeline["web-".len()..].parse().unwrap();
        let expected = if fails(i) { "Rejected" } else { "Approved" };
        assert_eq!(answer_of(call), (expected.into(), numbered_token(i)));
        let state = stand_in.pipeline(pipeline).unwrap();
        assert_eq!(
            state["stageStates"][2]["actionStates"][0]["latestExecution"]["status"],
            json!(if fails(i) { "Failed" } else { "Succeeded" })
        );
    }
}

#[tokio::test]
async fn a_failure_that_echoes_the_token_never_repeats_it() {
    // Given CodePipeline failing every answer with a body that quotes the request
    let stand_in = demo_stand_in().await;
    let echo = format!(
        r#"{{"__type":"InternalFailure","message":"could not answer token {SHOP_TOKEN}"}}"#
    );
    stand_in.inject_times(
        "PutApprovalResult",
        Fault::RawBody {
            status: 500,
            body: echo,
        },
        10,
    );
    let gate = gate(&stand_in).await;

    // When the approval is decided and answering fails for good
    let error = gate
        .handle(&event("approved-by-rule"))
        .await
        .expect_err("a 500 is worth a retry");

    // Then what Lambda is told names the failure, not the body
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "ApprovalGate.AnswerFailed");
    assert!(
        diagnostic.error_message.contains("InternalFailure"),
        "{}",
        diagnostic.error_message
    );
    assert!(
        !diagnostic.error_message.contains(SHOP_TOKEN),
        "{}",
        diagnostic.error_message
    );
}
