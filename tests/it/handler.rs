//! The whole handler, driven by the `events/` files, through fakes of the `Pipelines` and `DecisionTopic` ports.

use std::time::Duration;

use crate::common::*;
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::pipeline::{ActionStatus, AnswerError, ApprovalStatus, ReadError};
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome};

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";
const API_TOKEN: &str = "9a7d2c4e-1b3f-4d5a-8e6c-7b9a0d1c2e42";

fn settings() -> Settings {
    Settings {
        token_wait: Duration::from_millis(300),
        ..Settings::default()
    }
}

fn gate<'a>(
    pipelines: &'a FakePipelines,
    topic: &'a FakeTopic,
    settings: Settings,
) -> Gate<Adapters<&'a FakePipelines, &'a FakeTopic>> {
    let policy = Policy::from_json(&demo_policy()).unwrap();
    Gate::new(policy, settings, pipelines, Some(topic))
}

fn shop() -> approval_gate::pipeline::PipelineSnapshot {
    waiting(
        "web-shop",
        "Approve-Prod",
        "Manual",
        SHOP_TOKEN,
        ActionStatus::Succeeded,
    )
}

#[tokio::test]
async fn approves_what_the_rule_allows_and_says_why() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();

    let response = gate(&pipelines, &topic, settings())
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();

    let report = &response.records[0];
    assert_eq!(
        (report.outcome, report.answer),
        (Outcome::Approve, Answer::Sent)
    );
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests"));
    assert_eq!(report.execution_id.as_deref(), Some("exec-1"));
    let answers = pipelines.answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].status, ApprovalStatus::Approved);
    assert_eq!(answers[0].token.expose(), SHOP_TOKEN);
    assert_eq!(
        answers[0].target.to_string(),
        "web-shop/Approve-Prod/Manual"
    );
    assert_eq!(
        answers[0].summary,
        "Approved by approval-gate rule \"prod-after-tests\": Build/IntegrationTests succeeded in execution exec-1"
    );
    let notices = topic.notices();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].subject,
        "[approval-gate] Approved: web-shop/Approve-Prod/Manual"
    );
    assert_eq!(notices[0].verdict, Outcome::Approve);
}

#[tokio::test]
async fn rejects_when_a_required_action_failed() {
    let pipelines = FakePipelines::default().with_state(waiting(
        "web-api",
        "Approve-Prod",
        "Manual",
        API_TOKEN,
        ActionStatus::Failed,
    ));
    let topic = FakeTopic::default();

    let response = gate(&pipelines, &topic, settings())
        .handle(&event("rejected-by-rule"))
        .await
        .unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Reject);
    let answers = pipelines.answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].status, ApprovalStatus::Rejected);
    assert!(answers[0].summary.starts_with(
        "Rejected by approval-gate rule \"prod-after-tests\": Build/IntegrationTests is Failed"
    ));
}

#[tokio::test]
async fn leaves_unmatched_approvals_to_humans() {
    let pipelines = FakePipelines::default().with_state(waiting(
        "data-etl",
        "Approve",
        "SignOff",
        "3f1b52ff-f371-4e1a-b9a0-ed3ef177854b",
        ActionStatus::Succeeded,
    ));
    let topic = FakeTopic::default();

    let response = gate(&pipelines, &topic, settings())
        .handle(&event("no-rule-matches"))
        .await
        .unwrap();

    let report = &response.records[0];
    assert_eq!(
        (report.outcome, report.answer),
        (Outcome::Abstain, Answer::None)
    );
    assert_eq!(
        report.reasons,
        vec!["no rule matches data-etl/Approve/SignOff"]
    );
    assert!(pipelines.answers().is_empty());
    assert_eq!(topic.notices()[0].verdict, Outcome::Abstain);
}

#[tokio::test]
async fn drops_what_is_not_an_approval_notice_without_asking_aws() {
    for name in ["not-an-approval-notice", "malformed-notice"] {
        let pipelines = FakePipelines::default().with_state(shop());
        let topic = FakeTopic::default();

        let response = gate(&pipelines, &topic, settings())
            .handle(&event(name))
            .await
            .unwrap();

        let report = &response.records[0];
        assert_eq!(report.outcome, Outcome::Dropped, "{name}");
        assert_eq!(pipelines.read_count(), 0, "{name}");
        assert!(pipelines.answers().is_empty(), "{name}");
        assert!(topic.notices().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn malformed_notice_names_what_is_missing() {
    let pipelines = FakePipelines::default();
    let topic = FakeTopic::default();
    let response = gate(&pipelines, &topic, settings())
        .handle(&event("malformed-notice"))
        .await
        .unwrap();
    assert_eq!(
        response.records[0].reasons,
        vec!["the approval notice is malformed at approval: missing field `token`"]
    );
}

#[tokio::test]
async fn stale_token_is_never_answered() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();

    let response = gate(&pipelines, &topic, settings())
        .handle(&event("stale-token"))
        .await
        .unwrap();

    let report = &response.records[0];
    assert_eq!(report.outcome, Outcome::Stale);
    assert!(pipelines.answers().is_empty());
    assert!(
        pipelines.read_count() >= 2,
        "the state was re-read while waiting"
    );
    assert_eq!(topic.notices()[0].verdict, Outcome::Stale);
}

#[tokio::test]
async fn waits_for_the_state_to_show_the_token() {
    let pipelines = FakePipelines::default();
    pipelines.queue_state("web-shop", Ok(not_yet_waiting(&shop())));
    pipelines.queue_state("web-shop", Ok(not_yet_waiting(&shop())));
    pipelines.queue_state("web-shop", Ok(shop()));
    let topic = FakeTopic::default();
    let settings = Settings {
        token_wait: Duration::from_secs(2),
        ..Settings::default()
    };

    let response = gate(&pipelines, &topic, settings)
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Approve);
    assert_eq!(pipelines.read_count(), 3);
    assert_eq!(pipelines.answers().len(), 1);
}

#[tokio::test]
async fn missing_pipeline_is_final_and_unanswered() {
    let pipelines = FakePipelines::default();
    let topic = FakeTopic::default();
    let response = gate(&pipelines, &topic, settings())
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();
    assert_eq!(response.records[0].outcome, Outcome::Stale);
    assert_eq!(
        response.records[0].reasons,
        vec!["the pipeline does not exist"]
    );
    assert_eq!(pipelines.read_count(), 1);
}

#[tokio::test]
async fn dry_run_decides_and_tells_but_never_answers() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();
    let settings = Settings {
        dry_run: true,
        ..settings()
    };

    let response = gate(&pipelines, &topic, settings)
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();

    let report = &response.records[0];
    assert_eq!(
        (report.outcome, report.answer, report.dry_run),
        (Outcome::Approve, Answer::DryRun, true)
    );
    assert!(pipelines.answers().is_empty());
    let notice = &topic.notices()[0];
    assert!(
        notice
            .subject
            .starts_with("[approval-gate] Would approve (dry run)")
    );
    assert!(notice.dry_run);
}

#[tokio::test]
async fn an_approval_answered_first_elsewhere_is_a_normal_outcome() {
    for error in [
        "ApprovalAlreadyCompletedException",
        "InvalidApprovalTokenException",
    ] {
        let pipelines = FakePipelines::default().with_state(shop());
        pipelines.queue_answer(Err(AnswerError::AlreadyAnswered(error.into())));
        let topic = FakeTopic::default();

        let response = gate(&pipelines, &topic, settings())
            .handle(&event("approved-by-rule"))
            .await
            .unwrap();

        assert_eq!(
            response.records[0].answer,
            Answer::AlreadyAnswered,
            "{error}"
        );
    }
}

#[tokio::test]
async fn transient_read_failure_fails_the_invocation_for_a_retry() {
    let pipelines = FakePipelines::default();
    pipelines.queue_state(
        "web-shop",
        Err(ReadError::Transient("ThrottlingException".into())),
    );
    let topic = FakeTopic::default();

    let error = gate(&pipelines, &topic, settings())
        .handle(&event("approved-by-rule"))
        .await
        .unwrap_err();

    assert_eq!(error.error_type(), "ApprovalGate.ReadFailed");
    assert!(pipelines.answers().is_empty());
    assert!(topic.notices().is_empty());
}

#[tokio::test]
async fn transient_answer_failure_fails_the_invocation_for_a_retry() {
    let pipelines = FakePipelines::default().with_state(shop());
    pipelines.queue_answer(Err(AnswerError::Transient("503".into())));
    let topic = FakeTopic::default();

    let error = gate(&pipelines, &topic, settings())
        .handle(&event("approved-by-rule"))
        .await
        .unwrap_err();

    assert_eq!(error.error_type(), "ApprovalGate.AnswerFailed");
    let diagnostic: lambda_runtime::Diagnostic = error.into();
    assert_eq!(diagnostic.error_type, "ApprovalGate.AnswerFailed");
    assert!(
        diagnostic.error_message.contains("503"),
        "{}",
        diagnostic.error_message
    );
}

#[tokio::test]
async fn a_failed_decision_notice_does_not_undo_the_decision() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::failing();

    let response = gate(&pipelines, &topic, settings())
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();

    assert_eq!(response.records[0].answer, Answer::Sent);
    assert_eq!(pipelines.answers().len(), 1);
    assert_eq!(topic.notices().len(), 1, "the publish was attempted");
}

#[tokio::test]
async fn records_from_a_topic_not_allowed_are_refused() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();
    let settings = Settings {
        allowed_topics: Some(vec!["arn:aws:sns:us-east-1:123456789012:other".into()]),
        ..settings()
    };

    let response = gate(&pipelines, &topic, settings)
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Dropped);
    assert!(response.records[0].reasons[0].contains("not allowed"));
    assert_eq!(pipelines.read_count(), 0);
}

#[tokio::test]
async fn the_listed_topic_is_allowed() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();
    let settings = Settings {
        allowed_topics: Some(vec![TOPIC.into()]),
        ..settings()
    };
    let response = gate(&pipelines, &topic, settings)
        .handle(&event("approved-by-rule"))
        .await
        .unwrap();
    assert_eq!(response.records[0].outcome, Outcome::Approve);
}

#[tokio::test]
async fn expired_notices_are_not_acted_on() {
    let mut expired = event("approved-by-rule");
    let mut notice = notice_of(&expired);
    notice["approval"]["expires"] = "2026-01-01T00:00Z".into();
    expired["Records"][0]["Sns"]["Message"] = notice.to_string().into();
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();

    let response = gate(&pipelines, &topic, settings())
        .handle(&expired)
        .await
        .unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Dropped);
    assert!(response.records[0].reasons[0].contains("expired"));
    assert_eq!(pipelines.read_count(), 0);
}

#[tokio::test]
async fn events_that_are_not_sns_are_dropped() {
    let pipelines = FakePipelines::default();
    let topic = FakeTopic::default();
    for event in [
        serde_json::json!({}),
        serde_json::json!([1, 2]),
        serde_json::json!({"Records": "x"}),
    ] {
        let response = gate(&pipelines, &topic, settings())
            .handle(&event)
            .await
            .unwrap();
        assert_eq!(response.records[0].outcome, Outcome::Dropped);
    }
    let response = gate(&pipelines, &topic, settings())
        .handle(&serde_json::json!({"Records": [{"Sns": {"Type": "Notification"}}]}))
        .await
        .unwrap();
    assert_eq!(response.records[0].outcome, Outcome::Dropped);
    assert!(response.records[0].reasons[0].starts_with("the SNS record is malformed at Sns"));
    assert_eq!(pipelines.read_count(), 0);
}

#[tokio::test]
async fn every_record_of_an_event_is_decided() {
    let mut both = event("approved-by-rule");
    let rejected = event("rejected-by-rule");
    both["Records"]
        .as_array_mut()
        .unwrap()
        .push(rejected["Records"][0].clone());
    let pipelines = FakePipelines::default()
        .with_state(shop())
        .with_state(waiting(
            "web-api",
            "Approve-Prod",
            "Manual",
            API_TOKEN,
            ActionStatus::Failed,
        ));
    let topic = FakeTopic::default();

    let response = gate(&pipelines, &topic, settings())
        .handle(&both)
        .await
        .unwrap();

    let outcomes: Vec<_> = response.records.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, vec![Outcome::Approve, Outcome::Reject]);
    assert_eq!(pipelines.answers().len(), 2);
}

#[tokio::test]
async fn one_retryable_record_fails_the_invocation_after_the_others_are_decided() {
    let mut both = event("rejected-by-rule");
    let approved = event("approved-by-rule");
    both["Records"]
        .as_array_mut()
        .unwrap()
        .push(approved["Records"][0].clone());
    let pipelines = FakePipelines::default().with_state(shop());
    pipelines.queue_state("web-api", Err(ReadError::Transient("timeout".into())));
    let topic = FakeTopic::default();

    let error = gate(&pipelines, &topic, settings())
        .handle(&both)
        .await
        .unwrap_err();

    assert_eq!(error.error_type(), "ApprovalGate.ReadFailed");
    assert_eq!(
        pipelines.answers().len(),
        1,
        "the healthy record was still answered"
    );
}

#[tokio::test]
async fn switched_off_it_reads_and_answers_nothing() {
    let pipelines = FakePipelines::default().with_state(shop());
    let topic = FakeTopic::default();
    let settings = Settings {
        off: true,
        ..settings()
    };

    for event in [event("approved-by-rule"), event("scheduled-sweep")] {
        let response = gate(&pipelines, &topic, settings.clone())
            .handle(&event)
            .await
            .unwrap();
        assert_eq!(response.records[0].outcome, Outcome::Dropped);
        assert!(response.records[0].reasons[0].contains("GATE_MODE=off"));
    }
    assert_eq!(pipelines.read_count(), 0);
    assert!(pipelines.answers().is_empty());
    assert!(topic.notices().is_empty());
}
