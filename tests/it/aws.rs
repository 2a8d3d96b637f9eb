//! The AWS adapters through the real SDK, against the local stand-in that speaks the real
//! wire protocols (awsJson1.1 for CodePipeline, awsQuery for SNS).

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use approval_gate::aws::{CodePipeline, SnsDecisionTopic};
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::notice::{ApprovalTarget, ApprovalToken};
use approval_gate::pipeline::{
    ActionStatus, AnswerError, ApprovalAnswer, ApprovalStatus, Pipelines, ReadError,
};
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, DecisionTopic, Outcome};
use aws_config::SdkConfig;
use serde_json::json;
use stand_in::Fault;

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";

fn shop_answer(token: &str, approve: bool) -> ApprovalAnswer {
    ApprovalAnswer {
        target: ApprovalTarget {
            pipeline: "web-shop".into(),
            stage: "Approve-Prod".into(),
            action: "Manual".into(),
        },
        token: ApprovalToken::new(token),
        status: if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        },
        summary: "Approved by approval-gate rule \"r\": because".into(),
    }
}

fn gate(sdk: &SdkConfig, settings: Settings) -> Gate<Adapters<CodePipeline, SnsDecisionTopic>> {
    Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        settings,
        CodePipeline::new(sdk),
        Some(SnsDecisionTopic::new(
            sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    )
}

fn quick() -> Settings {
    Settings {
        token_wait: Duration::from_millis(600),
        ..Settings::default()
    }
}

#[tokio::test]
async fn reads_pipeline_state_into_the_projects_types() {
    let stand_in = demo_stand_in().await;
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    let snapshot = pipelines.state("web-shop").await.unwrap();

    assert_eq!(
        stand_in.calls_to("GetPipelineState")[0].body,
        json!({"name": "web-shop"})
    );
    assert_eq!(snapshot.name, "web-shop");
    let approval = snapshot.stage("Approve-Prod").unwrap();
    assert_eq!(
        approval.execution.as_ref().unwrap().pipeline_execution_id,
        "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60"
    );
    let manual = &approval.actions[0].execution.as_ref().unwrap();
    assert_eq!(manual.action_execution_id.as_deref(), Some("ae-manual"));
    assert_eq!(manual.status, ActionStatus::InProgress);
    assert_eq!(manual.token, Some(ApprovalToken::new(SHOP_TOKEN)));
    let source = &snapshot.stage("Source").unwrap().actions[0];
    let revision = source.current_revision.as_ref().unwrap();
    assert_eq!(
        revision.revision_id,
        "8d3f1c2b7a6e5d4c3b2a1908f7e6d5c4b3a29180"
    );
    assert_eq!(
        revision.created,
        Some("2026-11-26T08:00:00Z".parse().unwrap())
    );
}

#[tokio::test]
async fn answers_with_the_documented_request_shape() {
    let stand_in = demo_stand_in().await;
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    pipelines
        .answer(&shop_answer(SHOP_TOKEN, true))
        .await
        .unwrap();

    let calls = stand_in.accepted_answers();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].body,
        json!({
            "pipelineName": "web-shop",
            "stageName": "Approve-Prod",
            "actionName": "Manual",
            "token": SHOP_TOKEN,
            "result": {"status": "Approved", "summary": "Approved by approval-gate rule \"r\": because"}
        })
    );
}

#[tokio::test]
async fn a_second_answer_or_a_wrong_token_is_already_answered() {
    let stand_in = demo_stand_in().await;
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);
    pipelines
        .answer(&shop_answer(SHOP_TOKEN, false))
        .await
        .unwrap();

    let again = pipelines
        .answer(&shop_answer(SHOP_TOKEN, true))
        .await
        .unwrap_err();
    let wrong = pipelines
        .answer(&shop_answer("00000000-0000-4000-8000-000000000000", true))
        .await
        .unwrap_err();

    assert!(
        matches!(again, AnswerError::AlreadyAnswered(ref e) if e == "ApprovalAlreadyCompletedException"),
        "{again:?}"
    );
    assert!(
        matches!(wrong, AnswerError::AlreadyAnswered(ref e) if e == "InvalidApprovalTokenException"),
        "{wrong:?}"
    );
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test]
async fn missing_pipeline_stage_or_action_is_final() {
    let stand_in = demo_stand_in().await;
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    let read = pipelines.state("no-such-pipeline").await.unwrap_err();
    assert!(matches!(read, ReadError::Final(_)), "{read:?}");

    let mut answer = shop_answer(SHOP_TOKEN, true);
    answer.target.stage = "Nope".into();
    let refused = pipelines.answer(&answer).await.unwrap_err();
    assert!(
        matches!(refused, AnswerError::Refused(ref e) if e == "StageNotFoundException"),
        "{refused:?}"
    );
    answer.target.stage = "Approve-Prod".into();
    answer.target.action = "Nope".into();
    let refused = pipelines.answer(&answer).await.unwrap_err();
    assert!(
        matches!(refused, AnswerError::Refused(ref e) if e == "ActionNotFoundException"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn throttled_reads_are_retried_by_the_sdk() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "GetPipelineState",
        Fault::error(400, "ThrottlingException"),
        3,
    );
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    let snapshot = pipelines.state("web-shop").await.unwrap();

    assert_eq!(snapshot.name, "web-shop");
    assert_eq!(stand_in.calls_to("GetPipelineState").len(), 4);
}

#[tokio::test]
async fn unreadable_or_failing_reads_are_transient() {
    let faults = [
        ("persistent 500", Fault::error(500, "InternalFailure")),
        ("dropped connection", Fault::Drop),
        (
            "slower than the attempt timeout",
            Fault::Delay(Duration::from_secs(2)),
        ),
        (
            "not JSON",
            Fault::RawBody {
                status: 200,
                body: "<html>oops".into(),
            },
        ),
    ];
    for (what, fault) in faults {
        let stand_in = demo_stand_in().await;
        stand_in.inject_times("GetPipelineState", fault, 10);
        let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

        let error = pipelines.state("web-shop").await.unwrap_err();

        assert!(
            matches!(error, ReadError::Transient(_)),
            "{what}: {error:?}"
        );
    }
}

#[tokio::test]
async fn reads_throttled_beyond_the_attempts_say_so() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "GetPipelineState",
        Fault::error(400, "ThrottlingException"),
        10,
    );
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    let error = pipelines.state("web-shop").await.unwrap_err();

    assert!(matches!(error, ReadError::Throttled(_)), "{error:?}");
    assert!(error.to_string().contains("ThrottlingException"), "{error}");
    assert_eq!(
        stand_in.calls_to("GetPipelineState").len(),
        4,
        "the SDK retried first"
    );
}

#[tokio::test]
async fn throttled_answers_are_retried_and_accepted_once() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "PutApprovalResult",
        Fault::error(400, "ThrottlingException"),
        2,
    );
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    pipelines
        .answer(&shop_answer(SHOP_TOKEN, true))
        .await
        .unwrap();

    assert_eq!(stand_in.calls_to("PutApprovalResult").len(), 3);
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test]
async fn failing_answers_are_transient() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "PutApprovalResult",
        Fault::error(503, "ServiceUnavailableException"),
        10,
    );
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);

    let error = pipelines
        .answer(&shop_answer(SHOP_TOKEN, true))
        .await
        .unwrap_err();

    assert!(matches!(error, AnswerError::Transient(_)), "{error:?}");
    assert!(stand_in.accepted_answers().is_empty());
}

#[tokio::test]
async fn publishes_decision_notices_with_filterable_attributes() {
    let stand_in = demo_stand_in().await;
    let sdk = sdk_for(&stand_in).await;
    let topic = SnsDecisionTopic::new(&sdk, "arn:aws:sns:us-east-1:123456789012:decisions".into());
    let notice = approval_gate::report::DecisionNotice {
        subject: "[approval-gate] Approved: web-shop/Approve-Prod/Manual".into(),
        body: "approval-gate: Approved\n".into(),
        verdict: Outcome::Approve,
        pipeline: "web-shop".into(),
        dry_run: false,
    };

    topic.publish(&notice).await.unwrap();

    let calls = stand_in.calls_to("Publish");
    assert_eq!(calls.len(), 1);
    let form = &calls[0].body;
    assert_eq!(
        form["TopicArn"],
        "arn:aws:sns:us-east-1:123456789012:decisions"
    );
    assert_eq!(form["Subject"], notice.subject);
    assert_eq!(form["Message"], notice.body);
    let attributes = published_attributes(form);
    for expected in [
        ("verdict", "approve"),
        ("pipeline", "web-shop"),
        ("dry_run", "false"),
    ] {
        assert!(
            attributes.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} not in {attributes:?}"
        );
    }
}

#[tokio::test]
async fn end_to_end_approval_through_the_sdk() {
    let stand_in = demo_stand_in().await;
    let gate = gate(&sdk_for(&stand_in).await, quick());

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Approve);
    let accepted = stand_in.accepted_answers();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].body["result"]["status"], "Approved");
    let state = stand_in.pipeline("web-shop").unwrap();
    assert_eq!(
        state["stageStates"][2]["actionStates"][0]["latestExecution"]["status"],
        "Succeeded"
    );
    let published = stand_in.calls_to("Publish");
    assert_eq!(published.len(), 1);
    assert!(
        !published[0].body.to_string().contains(SHOP_TOKEN),
        "the token leaked into the notice"
    );
}

#[tokio::test]
async fn the_same_notice_three_times_is_answered_once() {
    let stand_in = demo_stand_in().await;
    let gate = gate(&sdk_for(&stand_in).await, quick());

    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let response = gate.handle(&event("approved-by-rule")).await.unwrap();
        outcomes.push(response.records[0].outcome);
    }

    assert_eq!(
        outcomes,
        vec![Outcome::Approve, Outcome::Stale, Outcome::Stale]
    );
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_notice_three_times_at_once_is_answered_once() {
    let stand_in = demo_stand_in().await;
    let gate = Arc::new(gate(&sdk_for(&stand_in).await, quick()));

    let deliveries: Vec<_> = (0..3)
        .map(|_| {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.handle(&event("approved-by-rule")).await })
        })
        .collect();
    let mut answers = Vec::new();
    for delivery in deliveries {
        let response = delivery.await.unwrap().unwrap();
        answers.push(response.records[0].answer);
    }

    assert_eq!(stand_in.accepted_answers().len(), 1);
    assert_eq!(
        answers.iter().filter(|a| **a == Answer::Sent).count(),
        1,
        "{answers:?}"
    );
}

#[tokio::test]
async fn a_notice_ahead_of_the_state_is_decided_once_the_token_shows() {
    let stand_in = demo_stand_in().await;
    stand_in.hide_tokens_for_reads("web-shop", 2);
    let gate = gate(
        &sdk_for(&stand_in).await,
        Settings {
            token_wait: Duration::from_secs(3),
            ..Settings::default()
        },
    );

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Approve);
    assert_eq!(stand_in.calls_to("GetPipelineState").len(), 3);
}

#[tokio::test]
async fn a_throttled_state_read_fails_the_invocation_without_an_answer() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "GetPipelineState",
        Fault::error(400, "ThrottlingException"),
        10,
    );
    let gate = gate(&sdk_for(&stand_in).await, quick());

    let error = gate.handle(&event("approved-by-rule")).await.unwrap_err();

    assert_eq!(error.error_type(), "ApprovalGate.ReadFailed");
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

#[tokio::test]
async fn a_failing_decision_topic_changes_nothing() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times("Publish", Fault::error(403, "AuthorizationError"), 10);
    let gate = gate(&sdk_for(&stand_in).await, quick());

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].answer, Answer::Sent);
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test]
async fn a_pipeline_list_is_read_whole_or_fails_for_good() {
    let stand_in = demo_stand_in().await;
    stand_in.set_list_page_size(2);
    let pipelines = CodePipeline::new(&sdk_for(&stand_in).await);
    let all: Vec<String> = pipelines
        .list_pipelines()
        .await
        .unwrap()
        .into_iter()
        .map(|listed| listed.name)
        .collect();
    assert!(all.len() > 2, "{all:?}");
    let mut sorted = all.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "no pipeline twice: {all:?}");

    let looping = json!({"pipelines": [{"name": "web-shop"}], "nextToken": "again"}).to_string();
    stand_in.inject_times(
        "ListPipelines",
        Fault::RawBody {
            status: 200,
            body: looping,
        },
        2,
    );
    let error = pipelines.list_pipelines().await.unwrap_err();
    assert!(
        matches!(&error, ReadError::Final(reason) if reason.contains("page token")),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_its_executions_attempts_do_not_list_is_never_answered() {
    // The approval stage shows execution 5e3f9a1c, but ListActionExecutions lists the
    // action execution waiting on its Manual action (ae-manual) under an older execution,
    // whose tests failed: the token belongs to that one, and the newer execution's
    // successful tests say nothing about it.
    let stand_in = demo_stand_in().await;
    let mut runs = shop_runs("Succeeded");
    runs.push(
        json!({"pipelineExecutionId": "0ld00000-2b4d-4c6e-8f0a-1b2c3d4e5f60",
                     "actionExecutionId": "ae-manual", "stageName": "Approve-Prod",
                     "actionName": "Manual", "status": "InProgress"}),
    );
    runs.push(
        json!({"pipelineExecutionId": "0ld00000-2b4d-4c6e-8f0a-1b2c3d4e5f60",
                     "actionExecutionId": "ae-old-tests", "stageName": "Build",
                     "actionName": "IntegrationTests", "status": "Failed"}),
    );
    stand_in.put_action_executions("web-shop", runs);
    let gate = gate(&sdk_for(&stand_in).await, quick());

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();
    let report = &response.records[0];
    assert_eq!(report.outcome, Outcome::Abstain, "{:?}", report.reasons);
    assert!(
        report.reasons[0].starts_with(
            "ListActionExecutions does not list the approval's action execution ae-manual \
             among those of execution 5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60"
        ),
        "{:?}",
        report.reasons
    );

    let swept = gate.handle(&event("scheduled-sweep")).await.unwrap();
    assert!(swept.sweep.is_some());
    let answered_shop = stand_in
        .calls_to("PutApprovalResult")
        .iter()
        .any(|call| call.body["pipelineName"] == "web-shop");
    assert!(!answered_shop, "nothing is answered for web-shop");
}
