//! Drives the stand-in through the real AWS SDK, so that anything the SDK
//! cannot parse, or parses differently than the real service's answers,
//! shows up here rather than in the Lambda's tests.

use std::time::Duration;

use aws_sdk_codepipeline::config::retry::RetryConfig;
use aws_sdk_codepipeline::config::timeout::TimeoutConfig;
use aws_sdk_codepipeline::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codepipeline::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_codepipeline::types::{ActionExecutionStatus, ApprovalResult, ApprovalStatus};
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::{Value, json};
use stand_in::{Fault, StandIn};

const TOKEN: &str = "0b5c2a4e-7d1f-4a8b-9c3e-2f6d8a1b4c7e";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:approval-verdicts";

/// A pipeline waiting on the manual approval `Approve/Manual`.
fn web_shop() -> Value {
    json!({
        "pipelineName": "web-shop",
        "pipelineVersion": 3,
        "created": 1_700_000_000.0,
        "updated": 1_700_000_100.5,
        "stageStates": [
            {
                "stageName": "Source",
                "latestExecution": { "pipelineExecutionId": "exec-1", "status": "Succeeded" },
                "actionStates": [{
                    "actionName": "Checkout",
                    "currentRevision": {
                        "revisionId": "9f8e7d6c",
                        "revisionChangeId": "9f8e7d6c",
                        "created": 1_700_000_050
                    },
                    "latestExecution": { "status": "Succeeded", "lastStatusChange": 1_700_000_060 }
                }]
            },
            {
                "stageName": "Approve",
                "latestExecution": { "pipelineExecutionId": "exec-1", "status": "InProgress" },
                "actionStates": [{
                    "actionName": "Manual",
                    "latestExecution": {
                        "actionExecutionId": "act-1",
                        "status": "InProgress",
                        "token": TOKEN,
                        "lastStatusChange": 1_700_000_070
                    }
                }]
            }
        ]
    })
}

async fn seeded() -> StandIn {
    let stand_in = StandIn::start().await.expect("stand-in starts");
    stand_in.put_pipeline(web_shop());
    stand_in
}

/// Without retries, so each fault shows up as exactly one failed call.
fn codepipeline(stand_in: &StandIn) -> aws_sdk_codepipeline::Client {
    codepipeline_with(stand_in, RetryConfig::disabled(), TimeoutConfig::disabled())
}

fn codepipeline_with(
    stand_in: &StandIn,
    retry: RetryConfig,
    timeout: TimeoutConfig,
) -> aws_sdk_codepipeline::Client {
    // Built by hand rather than through aws-config so that nothing from the
    // environment (profiles, AWS_MAX_ATTEMPTS, ...) changes the outcome.
    let config = aws_sdk_codepipeline::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(stand_in.endpoint_url())
        .retry_config(retry)
        .timeout_config(timeout)
        .build();
    aws_sdk_codepipeline::Client::from_conf(config)
}

fn sns(stand_in: &StandIn) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .region(aws_sdk_sns::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(stand_in.endpoint_url())
        .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

fn approval(status: ApprovalStatus, summary: &str) -> ApprovalResult {
    ApprovalResult::builder()
        .status(status)
        .summary(summary)
        .build()
        .expect("status and summary are set")
}

#[tokio::test]
async fn get_pipeline_state_parses_into_sdk_types() {
    let stand_in = seeded().await;
    let state = codepipeline(&stand_in)
        .get_pipeline_state()
        .name("web-shop")
        .send()
        .await
        .expect("state is served");

    assert_eq!(state.pipeline_name(), Some("web-shop"));
    assert_eq!(state.pipeline_version(), Some(3));
    assert_eq!(state.created().map(|t| t.secs()), Some(1_700_000_000));
    assert_eq!(
        state.updated().map(|t| t.as_secs_f64()),
        Some(1_700_000_100.5)
    );

    let [source, approve] = state.stage_states() else {
        panic!("expected two stages, got {:?}", state.stage_states());
    };
    let revision = source.action_states()[0]
        .current_revision()
        .expect("revision");
    assert_eq!(revision.revision_id(), "9f8e7d6c");
    assert_eq!(revision.created().secs(), 1_700_000_050);

    let manual = &approve.action_states()[0];
    assert_eq!(manual.action_name(), Some("Manual"));
    let execution = manual.latest_execution().expect("pending execution");
    assert_eq!(execution.status(), Some(&ActionExecutionStatus::InProgress));
    assert_eq!(execution.token(), Some(TOKEN));
    assert_eq!(
        execution.last_status_change().map(|t| t.secs()),
        Some(1_700_000_070)
    );

    let calls = stand_in.calls_to("GetPipelineState");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body, json!({ "name": "web-shop" }));
    assert_eq!(calls[0].status, 200);
}

#[tokio::test]
async fn unknown_pipeline_is_pipeline_not_found() {
    let stand_in = seeded().await;
    let error = codepipeline(&stand_in)
        .get_pipeline_state()
        .name("nope")
        .send()
        .await
        .expect_err("no such pipeline");
    assert!(error.into_service_error().is_pipeline_not_found_exception());
}

#[tokio::test]
async fn an_approval_is_accepted_once_then_already_completed() {
    let stand_in = seeded().await;
    let client = codepipeline(&stand_in);
    let answer = || {
        client
            .put_approval_result()
            .pipeline_name("web-shop")
            .stage_name("Approve")
            .action_name("Manual")
            .token(TOKEN)
            .result(approval(ApprovalStatus::Approved, "policy: low risk"))
            .send()
    };

    let first = answer().await.expect("first answer is accepted");
    assert!(first.approved_at().is_some());
    let execution = &stand_in.pipeline("web-shop").unwrap()["stageStates"][1]["actionStates"][0]["latestExecution"];
    assert_eq!(execution["status"], "Succeeded");
    assert_eq!(execution["summary"], "policy: low risk");
    assert!(execution.get("token").is_none());

    let second = answer().await.expect_err("a repeat is refused");
    assert!(
        second
            .into_service_error()
            .is_approval_already_completed_exception()
    );

    let accepted = stand_in.accepted_answers();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].body["result"]["status"], "Approved");
    let calls = stand_in.calls_to("PutApprovalResult");
    assert_eq!(
        calls[1].error_type.as_deref(),
        Some("ApprovalAlreadyCompletedException")
    );
    assert_eq!(calls[1].status, 400);
}

#[tokio::test]
async fn a_rejection_fails_the_action() {
    let stand_in = seeded().await;
    codepipeline(&stand_in)
        .put_approval_result()
        .pipeline_name("web-shop")
        .stage_name("Approve")
        .action_name("Manual")
        .token(TOKEN)
        .result(approval(
            ApprovalStatus::Rejected,
            "policy: outside change window",
        ))
        .send()
        .await
        .expect("rejection is accepted");
    let state = stand_in.pipeline("web-shop").unwrap();
    assert_eq!(
        state["stageStates"][1]["actionStates"][0]["latestExecution"]["status"],
        "Failed"
    );
}

#[tokio::test]
async fn concurrent_duplicate_answers_are_accepted_exactly_once() {
    let stand_in = seeded().await;
    let client = codepipeline(&stand_in);
    let answers = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .put_approval_result()
                .pipeline_name("web-shop")
                .stage_name("Approve")
                .action_name("Manual")
                .token(TOKEN)
                .result(approval(ApprovalStatus::Approved, "ok"))
                .send()
                .await
        })
    });
    let mut accepted = 0;
    for answer in answers.collect::<Vec<_>>() {
        match answer.await.expect("task completes") {
            Ok(_) => accepted += 1,
            Err(error) => assert!(
                error
                    .into_service_error()
                    .is_approval_already_completed_exception()
            ),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test]
async fn a_wrong_token_is_invalid() {
    let stand_in = seeded().await;
    let error = codepipeline(&stand_in)
        .put_approval_result()
        .pipeline_name("web-shop")
        .stage_name("Approve")
        .action_name("Manual")
        .token("not-the-token")
        .result(approval(ApprovalStatus::Approved, "ok"))
        .send()
        .await
        .expect_err("wrong token");
    assert!(
        error
            .into_service_error()
            .is_invalid_approval_token_exception()
    );
    assert!(stand_in.accepted_answers().is_empty());
}

#[tokio::test]
async fn answers_are_validated_like_aws() {
    let stand_in = seeded().await;
    let client = codepipeline(&stand_in);
    let answer = |stage: &str, action: &str, summary: String| {
        client
            .put_approval_result()
            .pipeline_name("web-shop")
            .stage_name(stage)
            .action_name(action)
            .token(TOKEN)
            .result(approval(ApprovalStatus::Approved, &summary))
            .send()
    };

    let too_long = answer("Approve", "Manual", "x".repeat(513))
        .await
        .unwrap_err();
    assert!(too_long.into_service_error().is_validation_exception());
    let no_stage = answer("Deploy", "Manual", "ok".into()).await.unwrap_err();
    assert!(no_stage.into_service_error().is_stage_not_found_exception());
    let no_action = answer("Approve", "Review", "ok".into()).await.unwrap_err();
    assert!(
        no_action
            .into_service_error()
            .is_action_not_found_exception()
    );

    // The longest allowed summary still goes through.
    answer("Approve", "Manual", "x".repeat(512))
        .await
        .expect("512 chars is fine");
}

#[tokio::test]
async fn hidden_tokens_reappear_after_the_given_reads() {
    let stand_in = seeded().await;
    stand_in.hide_tokens_for_reads("web-shop", 1);
    let client = codepipeline(&stand_in);
    let read = || async {
        let state = client
            .get_pipeline_state()
            .name("web-shop")
            .send()
            .await
            .unwrap();
        state.stage_states()[1].action_states()[0]
            .latest_execution()
            .cloned()
    };
    assert_eq!(read().await, None);
    assert_eq!(
        read()
            .await
            .and_then(|e| e.token().map(str::to_owned))
            .as_deref(),
        Some(TOKEN)
    );
}

#[tokio::test]
async fn sns_publish_is_recorded_with_its_form_fields() {
    let stand_in = StandIn::start().await.unwrap();
    let attribute = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("approve")
        .build()
        .unwrap();
    let output = sns(&stand_in)
        .publish()
        .topic_arn(TOPIC)
        .subject("web-shop approved")
        .message("{\"verdict\":\"approve\"}")
        .message_attributes("verdict", attribute)
        .send()
        .await
        .expect("publish succeeds");
    assert!(output.message_id().is_some_and(|id| !id.is_empty()));

    let calls = stand_in.calls_to("Publish");
    assert_eq!(calls.len(), 1);
    let body = &calls[0].body;
    assert_eq!(body["Action"], "Publish");
    assert_eq!(body["TopicArn"], TOPIC);
    assert_eq!(body["Subject"], "web-shop approved");
    assert_eq!(body["Message"], "{\"verdict\":\"approve\"}");
    assert_eq!(body["MessageAttributes.entry.1.Name"], "verdict");
    assert_eq!(body["MessageAttributes.entry.1.Value.DataType"], "String");
    assert_eq!(
        body["MessageAttributes.entry.1.Value.StringValue"],
        "approve"
    );
}

#[tokio::test]
async fn an_injected_sns_error_reaches_the_sdk_as_its_modelled_variant() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.inject("Publish", Fault::error(404, "NotFound"));
    let error = sns(&stand_in)
        .publish()
        .topic_arn(TOPIC)
        .message("hello")
        .send()
        .await
        .expect_err("injected error");
    assert!(error.into_service_error().is_not_found_exception());
    assert_eq!(stand_in.calls_to("Publish")[0].status, 404);
}

#[tokio::test]
async fn injected_throttling_is_retried_by_the_standard_retry() {
    let stand_in = seeded().await;
    stand_in.inject("GetPipelineState", Fault::error(400, "ThrottlingException"));
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(10));
    let client = codepipeline_with(&stand_in, retry, TimeoutConfig::disabled());

    client
        .get_pipeline_state()
        .name("web-shop")
        .send()
        .await
        .expect("the retry succeeds");

    let statuses: Vec<u16> = stand_in.calls().iter().map(|call| call.status).collect();
    assert_eq!(statuses, [400, 200]);
}

#[tokio::test]
async fn faults_are_consumed_in_order_one_call_each() {
    let stand_in = seeded().await;
    stand_in.inject_times("GetPipelineState", Fault::error(500, "InternalFailure"), 2);
    stand_in.inject("GetPipelineState", Fault::error(400, "ThrottlingException"));
    let client = codepipeline(&stand_in);
    for _ in 0..4 {
        let _ = client.get_pipeline_state().name("web-shop").send().await;
    }
    let outcomes: Vec<_> = stand_in
        .calls()
        .into_iter()
        .map(|call| (call.status, call.error_type))
        .collect();
    assert_eq!(
        outcomes,
        [
            (500, Some("InternalFailure".to_owned())),
            (500, Some("InternalFailure".to_owned())),
            (400, Some("ThrottlingException".to_owned())),
            (200, None),
        ]
    );
}

#[tokio::test]
async fn a_malformed_body_is_an_sdk_error() {
    let stand_in = seeded().await;
    stand_in.inject(
        "GetPipelineState",
        Fault::RawBody {
            status: 200,
            body: "{\"pipelineName\": ".into(),
        },
    );
    let error = codepipeline(&stand_in)
        .get_pipeline_state()
        .name("web-shop")
        .send()
        .await
        .expect_err("unparseable body");
    // The SDK reports a 200 it cannot parse as a response error (aws-sdk-codepipeline 1.84
    // reported an unmodelled service error).
    assert!(matches!(error, SdkError::ResponseError(_)), "{error:?}");
    assert_eq!(error.code(), None);
    assert_eq!(stand_in.calls_to("GetPipelineState")[0].status, 200);
}

#[tokio::test]
async fn a_dropped_connection_is_a_dispatch_failure() {
    let stand_in = seeded().await;
    stand_in.inject("GetPipelineState", Fault::Drop);
    let error = codepipeline(&stand_in)
        .get_pipeline_state()
        .name("web-shop")
        .send()
        .await
        .expect_err("no response");
    assert!(
        matches!(
            error,
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        ),
        "{error:?}"
    );
    let calls = stand_in.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status, 0);
}

#[tokio::test]
async fn a_delay_longer_than_the_client_timeout_times_out() {
    let stand_in = seeded().await;
    stand_in.inject("GetPipelineState", Fault::Delay(Duration::from_secs(2)));
    let timeout = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(200))
        .build();
    let client = codepipeline_with(&stand_in, RetryConfig::disabled(), timeout);
    let error = client
        .get_pipeline_state()
        .name("web-shop")
        .send()
        .await
        .expect_err("times out");
    assert!(matches!(error, SdkError::TimeoutError(_)), "{error:?}");
}

#[tokio::test]
async fn a_delayed_answer_applies_the_call_even_when_the_client_gives_up() {
    let stand_in = seeded().await;
    stand_in.inject(
        "PutApprovalResult",
        Fault::DelayAnswer(Duration::from_secs(2)),
    );
    let timeout = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(200))
        .build();
    let client = codepipeline_with(&stand_in, RetryConfig::disabled(), timeout);

    let error = client
        .put_approval_result()
        .pipeline_name("web-shop")
        .stage_name("Approve")
        .action_name("Manual")
        .token(TOKEN)
        .result(approval(ApprovalStatus::Approved, "policy: low risk"))
        .send()
        .await
        .expect_err("times out");

    assert!(matches!(error, SdkError::TimeoutError(_)), "{error:?}");
    assert_eq!(stand_in.accepted_answers().len(), 1);
    let execution = &stand_in.pipeline("web-shop").unwrap()["stageStates"][1]["actionStates"][0]["latestExecution"];
    assert_eq!(execution["status"], "Succeeded");
}

#[tokio::test]
async fn list_pipelines_paginates_through_the_sdk_paginator() {
    let stand_in = StandIn::start().await.unwrap();
    for name in ["echo", "alpha", "delta", "charlie", "bravo"] {
        stand_in
            .put_pipeline(json!({ "pipelineName": name, "pipelineVersion": 1, "stageStates": [] }));
    }
    stand_in.set_list_page_size(2);

    let pages: Vec<_> = codepipeline(&stand_in)
        .list_pipelines()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page is served");

    let names: Vec<&str> = pages
        .iter()
        .flat_map(|page| page.pipelines())
        .filter_map(|pipeline| pipeline.name())
        .collect();
    assert_eq!(names, ["alpha", "bravo", "charlie", "delta", "echo"]);
    assert_eq!(pages.len(), 3);
    assert_eq!(stand_in.calls_to("ListPipelines").len(), 3);
}

#[tokio::test]
async fn executions_and_action_executions_are_served() {
    let stand_in = seeded().await;
    stand_in.put_execution(
        "web-shop",
        json!({
            "pipelineName": "web-shop",
            "pipelineVersion": 3,
            "pipelineExecutionId": "exec-1",
            "status": "InProgress",
            "artifactRevisions": [{ "name": "SourceArtifact", "revisionId": "9f8e7d6c" }]
        }),
    );
    let detail = |execution: &str, action: &str| {
        json!({
            "pipelineExecutionId": execution,
            "actionExecutionId": format!("{execution}-{action}"),
            "pipelineVersion": 3,
            "stageName": "Approve",
            "actionName": action,
            "startTime": 1_700_000_070,
            "status": "InProgress"
        })
    };
    stand_in.put_action_executions(
        "web-shop",
        vec![detail("exec-0", "Manual"), detail("exec-1", "Manual")],
    );
    let client = codepipeline(&stand_in);

    let execution = client
        .get_pipeline_execution()
        .pipeline_name("web-shop")
        .pipeline_execution_id("exec-1")
        .send()
        .await
        .expect("execution is served");
    let execution = execution.pipeline_execution().expect("execution");
    assert_eq!(
        execution.artifact_revisions()[0].revision_id(),
        Some("9f8e7d6c")
    );

    let missing = client
        .get_pipeline_execution()
        .pipeline_name("web-shop")
        .pipeline_execution_id("exec-9")
        .send()
        .await
        .expect_err("unknown execution");
    assert!(
        missing
            .into_service_error()
            .is_pipeline_execution_not_found_exception()
    );

    let filter = aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
        .pipeline_execution_id("exec-1")
        .build();
    let listed = client
        .list_action_executions()
        .pipeline_name("web-shop")
        .filter(filter)
        .send()
        .await
        .expect("details are served");
    let ids: Vec<_> = listed
        .action_execution_details()
        .iter()
        .filter_map(|detail| detail.action_execution_id())
        .collect();
    // The fixture's attempt of exec-1, then the approval the state shows waiting in exec-1
    // (act-1), which the fixture does not list itself.
    assert_eq!(ids, ["exec-1-Manual", "act-1"]);

    // Listed by the fixture, the waiting approval is not listed twice.
    stand_in.put_action_executions(
        "web-shop",
        vec![
            json!({"pipelineExecutionId": "exec-0", "actionExecutionId": "act-1",
                    "stageName": "Approve", "actionName": "Manual", "status": "InProgress"}),
        ],
    );
    let listed = client
        .list_action_executions()
        .pipeline_name("web-shop")
        .send()
        .await
        .expect("details are served");
    let listed: Vec<_> = listed
        .action_execution_details()
        .iter()
        .map(|detail| (detail.pipeline_execution_id(), detail.action_execution_id()))
        .collect();
    assert_eq!(listed, [(Some("exec-0"), Some("act-1"))]);
}
