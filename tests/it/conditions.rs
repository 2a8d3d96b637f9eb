//! Alarms and Change Calendars end to end: the real CloudWatch (RPC v2 CBOR) and SSM
//! (awsJson1.1) SDKs against the stand-in, driven by the scheduled sweep.

use std::time::Duration;

use crate::common::*;
use approval_gate::aws::{CloudWatch, CodePipeline, SnsDecisionTopic, Ssm};
use approval_gate::handler::{Adapters, Gate, Settings, SweepSummary};
use approval_gate::policy::Policy;
use approval_gate::report::Outcome;
use serde_json::{Value, json};
use stand_in::{Fault, StandIn};

/// The demo's `web-shop` (tests passed), its approval waiting for an hour.
async fn shop() -> StandIn {
    let stand_in = StandIn::start().await.unwrap();
    let mut state = demo_pipelines()[0].clone();
    let approval = &mut state["stageStates"][2]["actionStates"][0]["latestExecution"];
    approval["lastStatusChange"] = json!(jiff::Timestamp::now().as_second() - 3600);
    stand_in.put_pipeline(state);
    stand_in.put_action_executions("web-shop", shop_runs("Succeeded"));
    stand_in
}

/// An alarm whose state has held for two hours, since before the approval started waiting.
fn alarm(name: &str, state: &str) -> Value {
    json!({
        "AlarmName": name,
        "StateValue": state,
        "StateReason": format!("Threshold Crossed: {name} went {state}"),
        "StateUpdatedTimestamp": jiff::Timestamp::now().as_second() - 7200,
    })
}

fn policy(checks: &str) -> String {
    format!(
        r#"{{"rules": [{{"name": "prod", "match": {{"pipeline": "web-shop", "stage": "Approve-Prod"}},
             "require_succeeded": ["Build/IntegrationTests"], {checks}}}]}}"#
    )
}

pub(crate) async fn gate(
    stand_in: &StandIn,
    policy: &str,
) -> Gate<Adapters<CodePipeline, SnsDecisionTopic, CloudWatch, Ssm>> {
    let sdk = sdk_for(stand_in).await;
    Gate::new(
        Policy::from_json(policy).unwrap(),
        Settings {
            sweep_read_interval: Duration::from_millis(5),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        None,
    )
    .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk))
}

async fn sweep(
    gate: &Gate<Adapters<CodePipeline, SnsDecisionTopic, CloudWatch, Ssm>>,
) -> SweepSummary {
    gate.handle(&event("scheduled-sweep"))
        .await
        .unwrap()
        .sweep
        .unwrap()
}

/// The answers CodePipeline accepted: (status, summary).
fn answers(stand_in: &StandIn) -> Vec<(String, String)> {
    stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            (
                call.body["result"]["status"].as_str().unwrap().to_owned(),
                call.body["result"]["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_alarm_ok_approves_and_every_alarm_type_is_asked_for() {
    let stand_in = shop().await;
    stand_in.put_alarm(alarm("web-prod-5xx", "OK"));
    let mut composite = alarm("web-prod-health", "OK");
    composite["AlarmType"] = "CompositeAlarm".into();
    stand_in.put_alarm(composite);
    // The approval has waited an hour: which alarms the prefix matched then is not known
    // (a deleted alarm no longer shows), so a rule that leaves it to a human when an alarm
    // fires cannot prove it would not have, and the sweep leaves it.
    let abstaining = gate(
        &stand_in,
        &policy(r#""alarms": {"names": ["web-prod-5xx"], "prefixes": ["web-prod-"]}"#),
    )
    .await;
    sweep(&abstaining).await;
    assert!(answers(&stand_in).is_empty());
    // A rule that defers may approve once every alarm is OK.
    let gate = gate(
        &stand_in,
        &policy(
            r#""alarms": {"names": ["web-prod-5xx"], "prefixes": ["web-prod-"], "on_alarm": "defer"}"#,
        ),
    )
    .await;

    sweep(&gate).await;

    let answers = answers(&stand_in);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].0, "Approved");
    assert!(
        answers[0]
            .1
            .contains("alarms: every alarm is OK (3 checked)"),
        "{}",
        answers[0].1
    );
    let calls = stand_in.calls_to("DescribeAlarms");
    assert_eq!(
        calls.len(),
        4,
        "for each sweep, one read by names, one by prefix"
    );
    for call in &calls {
        assert_eq!(
            call.body["AlarmTypes"],
            json!(["MetricAlarm", "CompositeAlarm", "LogAlarm"])
        );
    }
}

#[tokio::test]
async fn an_alarm_in_alarm_defers_and_the_sweep_approves_once_it_is_ok_again() {
    let stand_in = shop().await;
    stand_in.put_alarm(alarm("web-prod-5xx", "ALARM"));
    let gate = gate(
        &stand_in,
        &policy(r#""alarms": {"names": ["web-prod-5xx"], "on_alarm": "defer"}"#),
    )
    .await;

    let first = sweep(&gate).await;
    assert_eq!(
        (first.pending, first.answered),
        (1, 0),
        "deferred: no answer"
    );
    assert!(stand_in.accepted_answers().is_empty());

    // It recovers now, after the approval started waiting.
    let mut recovered = alarm("web-prod-5xx", "OK");
    recovered
        .as_object_mut()
        .unwrap()
        .remove("StateUpdatedTimestamp");
    stand_in.put_alarm(recovered);
    let second = sweep(&gate).await;

    assert_eq!(second.answered, 1);
    let answers = answers(&stand_in);
    assert_eq!(answers[0].0, "Approved", "{}", answers[0].1);
}

#[tokio::test]
async fn an_alarm_under_a_prefix_on_any_page_rejects_and_is_named() {
    let stand_in = shop().await;
    stand_in.set_list_page_size(1);
    stand_in.put_alarm(alarm("web-prod-5xx", "OK"));
    stand_in.put_alarm(alarm("web-prod-latency", "OK"));
    let mut composite = alarm("web-prod-zz-health", "ALARM");
    composite["AlarmType"] = "CompositeAlarm".into();
    stand_in.put_alarm(composite);
    let gate = gate(
        &stand_in,
        &policy(r#""alarms": {"prefixes": ["web-prod-"], "on_alarm": "reject"}"#),
    )
    .await;

    sweep(&gate).await;

    assert_eq!(
        stand_in.calls_to("DescribeAlarms").len(),
        3,
        "every page read"
    );
    let answers = answers(&stand_in);
    assert_eq!(answers[0].0, "Rejected");
    assert!(
        answers[0]
            .1
            .contains("web-prod-zz-health is ALARM (Threshold Crossed"),
        "{}",
        answers[0].1
    );
}

#[tokio::test]
async fn a_missing_or_denied_alarm_fails_the_check() {
    for (fault, expected) in [
        (None, "no alarm is named web-prod-5xxx"),
        (
            Some(Fault::error(400, "AccessDenied")),
            "the named alarms cannot be read (access to the alarms was denied)",
        ),
    ] {
        let stand_in = shop().await;
        stand_in.put_alarm(alarm("web-prod-5xx", "OK"));
        if let Some(fault) = fault {
            stand_in.inject("DescribeAlarms", fault);
        }
        let gate = gate(
            &stand_in,
            &policy(r#""alarms": {"names": ["web-prod-5xxx"], "on_alarm": "reject"}"#),
        )
        .await;

        sweep(&gate).await;

        let answers = answers(&stand_in);
        assert_eq!(answers[0].0, "Rejected");
        assert!(answers[0].1.contains(expected), "{}", answers[0].1);
    }
}

#[tokio::test]
async fn throttled_alarms_or_calendars_answer_nothing_and_are_retried() {
    for (operation, checks) in [
        ("DescribeAlarms", r#""alarms": {"names": ["web-prod-5xx"]}"#),
        (
            "GetCalendarState",
            r#""change_calendars": {"names": ["prod-freeze"]}"#,
        ),
    ] {
        let stand_in = shop().await;
        stand_in.put_alarm(alarm("web-prod-5xx", "OK"));
        stand_in.put_calendar("prod-freeze", &[]);
        let throttle = if operation == "DescribeAlarms" {
            "Throttling"
        } else {
            "ThrottlingException"
        };
        stand_in.inject_times(operation, Fault::error(400, throttle), 10);
        let gate = gate(&stand_in, &policy(checks)).await;

        let summary = sweep(&gate).await;

        assert_eq!(summary.answered, 0, "{operation}");
        assert_eq!(
            summary.failures.len(),
            1,
            "{operation}: {:?}",
            summary.failures
        );
        assert!(stand_in.accepted_answers().is_empty(), "{operation}");
        assert_eq!(
            stand_in.calls_to(operation).len(),
            TEST_LIMITS.max_attempts as usize,
            "{operation}: the SDK retried throttling"
        );
    }
}

#[tokio::test]
async fn an_open_calendar_approves_and_is_read_by_name_or_arn() {
    let stand_in = shop().await;
    let shared = "arn:aws:ssm:us-east-1:111122223333:document/org-freeze";
    stand_in.put_calendar("prod-freeze", &[(-7200.0, -3700.0)]);
    stand_in.put_calendar(shared, &[]);
    let gate = gate(
        &stand_in,
        &policy(&format!(
            r#""change_calendars": {{"names": ["prod-freeze", "{shared}"], "on_closed": "defer"}}"#
        )),
    )
    .await;

    sweep(&gate).await;

    let answers = answers(&stand_in);
    assert_eq!(answers[0].0, "Approved", "{}", answers[0].1);
    let calls = stand_in.calls_to("GetCalendarState");
    assert_eq!(
        calls.len(),
        2,
        "one call per calendar; defer needs no past reading"
    );
    assert!(calls.iter().all(|call| call.body["AtTime"].is_string()));
}

#[tokio::test]
async fn a_calendar_state_for_another_time_than_asked_is_not_trusted() {
    let stand_in = shop().await;
    stand_in.put_calendar("prod-freeze", &[]);
    let another_time = || Fault::RawBody {
        status: 200,
        body: r#"{"State": "OPEN", "AtTime": "2030-01-01T00:00:00Z"}"#.into(),
    };
    stand_in.inject("GetCalendarState", another_time());
    let gate = gate(
        &stand_in,
        &policy(r#""change_calendars": {"names": ["prod-freeze"], "on_closed": "defer"}"#),
    )
    .await;

    let summary = sweep(&gate).await;
    stand_in.inject("GetCalendarState", another_time());
    let notice = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert!(answers(&stand_in).is_empty(), "{summary:?}");
    assert_eq!(summary.answered, 0);
    let report = &notice.records[0];
    assert_eq!(report.outcome, Outcome::Abstain);
    assert_eq!(
        report.reasons,
        [
            "change_calendars: calendar prod-freeze cannot be read (SSM answered for \
          2030-01-01 00:00:00 UTC, not for the time asked)"
        ]
    );
}

#[tokio::test]
async fn a_closed_calendar_defers_with_its_opening_and_the_sweep_approves_once_it_opens() {
    let stand_in = shop().await;
    stand_in.put_calendar("prod-freeze", &[(-600.0, 7200.0)]);
    let gate = gate(
        &stand_in,
        &policy(r#""change_calendars": {"names": ["prod-freeze"], "on_closed": "defer"}"#),
    )
    .await;

    let first = sweep(&gate).await;
    assert_eq!((first.pending, first.answered), (1, 0));

    stand_in.put_calendar("prod-freeze", &[(-600.0, -60.0)]);
    let second = sweep(&gate).await;

    assert_eq!(second.answered, 1);
    assert_eq!(answers(&stand_in)[0].0, "Approved");
}

#[tokio::test]
async fn a_calendar_closed_when_the_approval_started_waiting_keeps_abstain_stable() {
    let stand_in = shop().await;
    // Closed from two hours ago until ten minutes ago: closed when the approval arrived.
    stand_in.put_calendar("prod-freeze", &[(-7200.0, -600.0)]);
    let gate = gate(
        &stand_in,
        &policy(r#""change_calendars": {"names": ["prod-freeze"]}"#),
    )
    .await;

    let summary = sweep(&gate).await;

    assert_eq!((summary.pending, summary.answered), (1, 0));
    assert!(stand_in.accepted_answers().is_empty(), "left to a human");
    assert_eq!(
        stand_in.calls_to("GetCalendarState").len(),
        2,
        "read now and when the approval started waiting"
    );
}

#[tokio::test]
async fn a_missing_or_denied_calendar_fails_the_check() {
    for (fault, expected) in [
        (
            None,
            "calendar no-such-calendar cannot be read (the calendar does not exist)",
        ),
        (
            Some(Fault::error(400, "AccessDeniedException")),
            "cannot be read (access to the calendar was denied)",
        ),
    ] {
        let stand_in = shop().await;
        if let Some(fault) = fault {
            stand_in.put_calendar("no-such-calendar", &[]);
            stand_in.inject("GetCalendarState", fault);
        }
        let gate = gate(
            &stand_in,
            &policy(
                r#""change_calendars": {"names": ["no-such-calendar"], "on_closed": "reject"}"#,
            ),
        )
        .await;

        sweep(&gate).await;

        let answers = answers(&stand_in);
        assert_eq!(answers[0].0, "Rejected");
        assert!(answers[0].1.contains(expected), "{}", answers[0].1);
        if expected.contains("does not exist") {
            let call = &stand_in.calls_to("GetCalendarState")[0];
            assert_eq!(call.error_type.as_deref(), Some("InvalidDocument"));
        }
    }
}
