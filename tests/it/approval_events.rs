//! EventBridge "CodePipeline Action Execution State Change" events for approvals that
//! started, through the real SDK against the stand-in: decided exactly as a notice is, with
//! the token the state shows; an event the state does not bear out answers nothing.

use crate::common::*;
use approval_gate::aws::{CloudWatch, CodePipeline, SnsDecisionTopic, Ssm};
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome, Report};
use serde_json::Value;
use stand_in::StandIn;

/// web-shop's approval (tests passed), as the event for its start names it.
fn started() -> Value {
    let mut event = event("approval-started");
    let detail = &mut event["detail"];
    detail["pipeline"] = "web-shop".into();
    detail["execution-id"] = "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60".into();
    event
}

async fn gate(
    stand_in: &StandIn,
) -> Gate<Adapters<CodePipeline, SnsDecisionTopic, CloudWatch, Ssm>> {
    let sdk = sdk_for(stand_in).await;
    Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings {
            token_wait: std::time::Duration::from_millis(300),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        Some(SnsDecisionTopic::new(
            &sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    )
    .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk))
}

async fn decide(stand_in: &StandIn, event: &Value) -> Report {
    let response = gate(stand_in).await.handle(event).await.unwrap();
    assert_eq!(response.records.len(), 1);
    response.records[0].clone()
}

fn approved(stand_in: &StandIn) -> Vec<String> {
    stand_in
        .accepted_answers()
        .iter()
        .filter(|call| call.body["result"]["status"] == "Approved")
        .map(|call| call.body["pipelineName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_approval_that_started_is_approved_with_the_token_the_state_shows() {
    let stand_in = demo_stand_in().await;

    let report = decide(&stand_in, &started()).await;

    assert_eq!(report.outcome, Outcome::Approve, "{report:?}");
    assert_eq!(report.answer, Answer::Sent);
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests"));
    assert_eq!(
        report.message_id.as_deref(),
        Some("4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f")
    );
    let answers = stand_in.accepted_answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(
        answers[0].body["token"],
        "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31"
    );
    assert_eq!(
        stand_in.calls_to("Publish").len(),
        1,
        "the decision is told"
    );
}

#[tokio::test]
async fn the_event_and_the_notice_for_one_approval_give_one_answer() {
    let stand_in = demo_stand_in().await;

    let by_event = decide(&stand_in, &started()).await;
    let by_notice = decide(&stand_in, &event("approved-by-rule")).await;
    let again = decide(&stand_in, &started()).await;

    assert_eq!(by_event.outcome, Outcome::Approve);
    assert_eq!(by_notice.outcome, Outcome::Stale, "{by_notice:?}");
    assert_eq!(again.outcome, Outcome::Stale, "{again:?}");
    assert_eq!(approved(&stand_in), ["web-shop"]);
}

#[tokio::test]
async fn an_event_the_state_does_not_bear_out_answers_nothing() {
    for (field, value) in [
        ("execution-id", "0a0a0a0a-0000-4000-8000-000000000000"),
        ("action-execution-id", "ae-someone-else"),
        ("stage", "Deploy-Prod"),
        ("action", "Nope"),
    ] {
        let stand_in = demo_stand_in().await;
        let mut event = started();
        event["detail"][field] = value.into();

        let report = decide(&stand_in, &event).await;

        assert!(
            matches!(report.outcome, Outcome::Stale | Outcome::Dropped),
            "{field}: {report:?}"
        );
        assert!(stand_in.calls_to("PutApprovalResult").is_empty(), "{field}");
    }
}

#[tokio::test]
async fn an_approval_no_rule_covers_is_left_alone_without_a_read_or_a_notice() {
    let stand_in = demo_stand_in().await;
    let mut event = started();
    event["detail"]["pipeline"] = "data-etl".into();

    let report = decide(&stand_in, &event).await;

    assert_eq!(report.outcome, Outcome::Dropped, "{report:?}");
    assert!(stand_in.calls().is_empty(), "no read, no notice");
}

#[tokio::test]
async fn an_event_that_is_not_an_approval_starting_is_dropped() {
    let stand_in = demo_stand_in().await;
    let mut succeeded = started();
    succeeded["detail"]["state"] = "SUCCEEDED".into();
    let mut garbled = started();
    garbled["detail"]["pipeline"] = "web shop; DROP".into();

    for event in [succeeded, garbled] {
        let report = decide(&stand_in, &event).await;
        assert_eq!(report.outcome, Outcome::Dropped, "{report:?}");
    }
    assert!(stand_in.calls().is_empty(), "nothing was read");
}

// ---- CloudWatch "Alarm State Change" to OK ----

fn alarm_event(name: &str, state: &str) -> Value {
    let mut event = event("alarm-ok-web-prod-5xx");
    event["detail"]["alarmName"] = name.into();
    event["detail"]["state"]["value"] = state.into();
    event
}

/// The demo, with web-checkout's alarm back to OK.
async fn alarm_cleared() -> StandIn {
    let stand_in = demo_stand_in().await;
    stand_in.put_alarm(serde_json::json!({
        "AlarmName": "web-prod-5xx",
        "StateValue": "OK",
        "StateReason": "Threshold Crossed: no datapoint was greater than the threshold (5.0).",
    }));
    stand_in
}

#[tokio::test]
async fn an_alarm_back_to_ok_decides_the_approvals_of_the_rules_watching_it_and_reads_no_other() {
    let stand_in = alarm_cleared().await;

    let response = gate(&stand_in)
        .await
        .handle(&event("alarm-ok-web-prod-5xx"))
        .await
        .unwrap();

    let sweep = response.sweep.unwrap();
    assert_eq!((sweep.pipelines, sweep.answered), (1, 1), "{sweep:?}");
    assert_eq!(response.records[0].outcome, Outcome::Approve);
    assert_eq!(approved(&stand_in), ["web-checkout"]);
    let read: Vec<String> = stand_in
        .calls_to("GetPipelineState")
        .iter()
        .map(|call| call.body["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        read,
        ["web-checkout"],
        "only the pipelines its rule matches"
    );
}

#[tokio::test]
async fn an_alarm_a_rule_watches_by_prefix_counts_too() {
    let stand_in = alarm_cleared().await;
    let policy = demo_policy().replace(
        r#""names": [
          "web-prod-5xx"
        ]"#,
        r#""prefixes": ["web-prod-"]"#,
    );
    assert!(
        policy.contains("web-prod-\"]"),
        "the demo policy changed shape"
    );
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy::from_json(&policy).unwrap(),
        Settings::default(),
        CodePipeline::new(&sdk),
        None::<SnsDecisionTopic>,
    )
    .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk));

    let response = gate.handle(&event("alarm-ok-web-prod-5xx")).await.unwrap();

    let sweep = response.sweep.unwrap();
    assert_eq!((sweep.pipelines, sweep.answered), (1, 1), "{sweep:?}");
}

#[tokio::test]
async fn an_alarm_no_rule_watches_or_that_did_not_clear_reads_nothing() {
    let stand_in = alarm_cleared().await;
    for event in [
        alarm_event("api-latency", "OK"),
        alarm_event("web-prod-5xx", "ALARM"),
        alarm_event("web-prod-5xx", "INSUFFICIENT_DATA"),
    ] {
        let report = decide(&stand_in, &event).await;
        assert_eq!(report.outcome, Outcome::Dropped, "{report:?}");
    }
    assert!(stand_in.calls().is_empty(), "nothing was read");
}

#[tokio::test]
async fn an_alarm_event_cannot_approve_while_the_alarm_still_fires() {
    // The event says OK, CloudWatch still says ALARM: the state decides.
    let stand_in = demo_stand_in().await;

    let response = gate(&stand_in)
        .await
        .handle(&event("alarm-ok-web-prod-5xx"))
        .await
        .unwrap();

    let sweep = response.sweep.unwrap();
    assert_eq!((sweep.pending, sweep.answered), (1, 0), "{sweep:?}");
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

// ---- SSM "Calendar State Change" to OPEN ----

fn calendar_event(document: &str, state: &str) -> Value {
    serde_json::json!({
        "version": "0",
        "id": "47a3f03a-f30d-1011-ac9a-0a1b2c3d4e5f",
        "detail-type": "Calendar State Change",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2026-11-26T09:00:00Z",
        "region": "us-east-1",
        "resources": [format!("arn:aws:ssm:us-east-1:123456789012:document/{document}")],
        "detail": {"state": state, "atTime": "2026-11-26T09:00:00Z"}
    })
}

#[tokio::test]
async fn a_calendar_that_opened_decides_the_approvals_of_the_rules_naming_it() {
    let stand_in = demo_stand_in().await;
    // Closed from before the approval started waiting until a minute ago.
    stand_in.put_calendar("prod-freeze", &[(-7200.0, -60.0)]);
    let policy = r#"{"rules": [{"name": "prod", "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "change_calendars": {"names": ["prod-freeze"], "on_closed": "defer"}}]}"#;
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy::from_json(policy).unwrap(),
        Settings::default(),
        CodePipeline::new(&sdk),
        None::<SnsDecisionTopic>,
    )
    .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk));

    let other = gate
        .handle(&calendar_event("other-calendar", "OPEN"))
        .await
        .unwrap();
    let closed = gate
        .handle(&calendar_event("prod-freeze", "CLOSED"))
        .await
        .unwrap();
    let opened = gate
        .handle(&calendar_event("prod-freeze", "OPEN"))
        .await
        .unwrap();

    assert_eq!(other.records[0].outcome, Outcome::Dropped);
    assert_eq!(closed.records[0].outcome, Outcome::Dropped);
    let sweep = opened.sweep.unwrap();
    assert_eq!((sweep.pipelines, sweep.answered), (1, 1), "{sweep:?}");
    assert_eq!(approved(&stand_in), ["web-shop"]);
}
