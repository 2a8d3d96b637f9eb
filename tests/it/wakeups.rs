//! Wake-ups through the real SDK against the stand-in's EventBridge Scheduler: a deferral
//! schedules one (once, however often it is decided), the stand-in fires it when due, and
//! the wake-up decides the approval by the state alone. A wake-up the state does not bear
//! out answers nothing; one that cannot be scheduled leaves the deferral to the sweep.

use std::cell::Cell;

use crate::common::*;
use approval_gate::aws::{CloudWatch, CodePipeline, Scheduler, SnsDecisionTopic, Ssm};
use approval_gate::config::WakeupSetting;
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::pipeline::ActionStatus;
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome, Report};
use approval_gate::wakeups::{ScheduleError, Scheduled, WakeUp, Wakeups};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use stand_in::{Fault, StandIn};

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";
const SHOP_EXECUTION: &str = "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:approval-gate";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/approval-gate-WakeUpRole";
const GROUP: &str = "approval-gate-wake-ups";

thread_local! {
    // The handler's clock, in seconds; 0 is the real clock. `#[tokio::test]` runs the
    // handler on the test's own thread.
    static NOW: Cell<i64> = const { Cell::new(0) };
}

fn clock() -> Timestamp {
    match NOW.with(Cell::get) {
        0 => Timestamp::now(),
        second => Timestamp::from_second(second).unwrap(),
    }
}

fn set_now(now: Timestamp) {
    NOW.with(|cell| cell.set(now.as_second()));
}

/// The whole minute `minutes` after the current one.
fn minute_after(minutes: i64) -> Timestamp {
    let now = Timestamp::now().as_second();
    Timestamp::from_second(now - now.rem_euclid(60) + minutes * 60).unwrap()
}

/// web-shop's approval is frozen until `until` (UTC), and approved after, tests passed.
fn frozen_until(until: Timestamp) -> String {
    let format = |at: Timestamp| at.strftime("%Y-%m-%dT%H:%M").to_string();
    json!({"rules": [{
        "name": "shop-after-freeze",
        "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "require_succeeded": ["Build/IntegrationTests"],
        "on_fail": "reject",
        "windows": {
            "timezone": "UTC",
            "freeze": [{"from": format(until - SignedDuration::from_hours(3)),
                        "to": format(until), "reason": "release freeze"}],
            "outside": "defer"
        }
    }]})
    .to_string()
}

type WakingGate = Gate<Adapters<CodePipeline, SnsDecisionTopic, CloudWatch, Ssm, Scheduler>>;

async fn gate(stand_in: &StandIn, policy: &str) -> WakingGate {
    let sdk = sdk_for(stand_in).await;
    let scheduler = Scheduler::new(
        &sdk,
        WakeupSetting {
            group: GROUP.into(),
            role_arn: ROLE_ARN.into(),
        },
    );
    scheduler.invoke_as(FUNCTION_ARN);
    Gate::new(
        Policy::from_json(policy).unwrap(),
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
    .with_wakeups(scheduler)
    .with_clock(clock)
}

async fn decide(gate: &WakingGate, event: &Value) -> Report {
    let response = gate.handle(event).await.unwrap();
    assert_eq!(response.records.len(), 1, "{response:?}");
    response.records[0].clone()
}

fn answers(stand_in: &StandIn) -> Vec<(String, String)> {
    stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            (
                call.body["result"]["status"].as_str().unwrap().to_owned(),
                call.body["token"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The one wake-up the stand-in fires at `at`, as the event it invokes the function with.
fn fire(stand_in: &StandIn, at: Timestamp) -> Value {
    let due = stand_in.take_due_schedules(at.as_second() as f64);
    assert_eq!(due.len(), 1, "{due:?}");
    serde_json::from_str(&due[0].input).unwrap()
}

#[tokio::test]
async fn a_deferral_is_woken_when_its_freeze_ends_and_approved_by_the_state() {
    let stand_in = demo_stand_in().await;
    let until = minute_after(3);
    let gate = gate(&stand_in, &frozen_until(until)).await;

    let deferred = decide(&gate, &event("approved-by-rule")).await;

    assert_eq!(deferred.outcome, Outcome::Defer, "{deferred:?}");
    assert_eq!(deferred.wake_up, Some(until));
    assert!(
        deferred
            .reasons
            .last()
            .unwrap()
            .starts_with("a wake-up decides it again at "),
        "{deferred:?}"
    );
    let schedules = stand_in.schedules();
    assert_eq!(schedules.len(), 1, "{schedules:?}");
    let schedule = &schedules[0];
    assert_eq!(schedule["GroupName"], GROUP);
    assert_eq!(
        schedule["ScheduleExpression"],
        format!("at({})", until.strftime("%Y-%m-%dT%H:%M:%S"))
    );
    assert_eq!(schedule["ScheduleExpressionTimezone"], "UTC");
    assert_eq!(schedule["FlexibleTimeWindow"]["Mode"], "OFF");
    assert_eq!(schedule["ActionAfterCompletion"], "DELETE");
    assert_eq!(schedule["Target"]["Arn"], FUNCTION_ARN);
    assert_eq!(schedule["Target"]["RoleArn"], ROLE_ARN);
    let input = schedule["Target"]["Input"].as_str().unwrap();
    assert!(
        !input.contains(SHOP_TOKEN),
        "no token in a schedule: {input}"
    );
    let name = schedule["Name"].as_str().unwrap();
    assert!(name.starts_with("ag-") && name.len() <= 64, "{name}");

    // The same deferral again (a duplicate notice, a retry, the next sweep): one schedule.
    let again = decide(&gate, &event("approved-by-rule")).await;
    assert_eq!(again.outcome, Outcome::Defer);
    assert!(
        again
            .reasons
            .last()
            .unwrap()
            .ends_with("(scheduled before)"),
        "{again:?}"
    );
    assert_eq!(stand_in.schedules().len(), 1);
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());

    // Not due before its minute; due at it, and then gone (ActionAfterCompletion DELETE).
    assert!(
        stand_in
            .take_due_schedules((until.as_second() - 1) as f64)
            .is_empty()
    );
    let woken = fire(&stand_in, until);
    assert!(stand_in.schedules().is_empty());
    set_now(until + SignedDuration::from_secs(20));
    let approved = decide(&gate, &woken).await;

    assert_eq!(approved.outcome, Outcome::Approve, "{approved:?}");
    assert_eq!(approved.answer, Answer::Sent);
    assert_eq!(approved.message_id.as_deref(), Some(name));
    assert_eq!(approved.execution_id.as_deref(), Some(SHOP_EXECUTION));
    assert_eq!(
        answers(&stand_in),
        [("Approved".to_owned(), SHOP_TOKEN.to_owned())]
    );

    // Delivered twice (Lambda's asynchronous invocations are at least once): one answer,
    // and the second delivery, finding it answered, tells nobody.
    let told = stand_in.calls_to("Publish").len();
    let twice = decide(&gate, &woken).await;
    assert_eq!(twice.outcome, Outcome::Stale, "{twice:?}");
    assert_eq!(answers(&stand_in).len(), 1);
    assert_eq!(stand_in.calls_to("Publish").len(), told);
}

#[tokio::test]
async fn a_wake_up_that_fires_early_defers_again_a_minute_later_under_another_name() {
    let stand_in = demo_stand_in().await;
    let until = minute_after(3);
    let gate = gate(&stand_in, &frozen_until(until)).await;
    decide(&gate, &event("approved-by-rule")).await;
    let woken = fire(&stand_in, until);

    // The gate's clock is two seconds behind Scheduler's: still frozen.
    set_now(until - SignedDuration::from_secs(2));
    let early = decide(&gate, &woken).await;

    assert_eq!(early.outcome, Outcome::Defer, "{early:?}");
    let later = until + SignedDuration::from_mins(1);
    assert_eq!(early.wake_up, Some(later));
    assert_eq!(stand_in.schedules().len(), 1);
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
    let woken_again = fire(&stand_in, later);
    set_now(later + SignedDuration::from_secs(5));
    assert_eq!(decide(&gate, &woken_again).await.outcome, Outcome::Approve);
}

#[tokio::test]
async fn a_wake_up_the_state_does_not_bear_out_answers_nothing() {
    let stand_in = demo_stand_in().await;
    let until = minute_after(3);
    let gate = gate(&stand_in, &frozen_until(until)).await;
    decide(&gate, &event("approved-by-rule")).await;
    let woken = fire(&stand_in, until);
    set_now(until + SignedDuration::from_secs(5));

    // Forged: another execution, another action, a token beside another execution (it
    // is never read); and one for a
    // pipeline no rule covers, which costs no read.
    let mut other_execution = woken.clone();
    other_execution["detail"]["execution-id"] = "0a0a0a0a-0000-4000-8000-000000000000".into();
    let mut other_action = woken.clone();
    other_action["detail"]["action"] = "Sign-off".into();
    let mut with_token = woken.clone();
    with_token["detail"]["execution-id"] = "0b0b0b0b-0000-4000-8000-000000000000".into();
    with_token["detail"]["token"] = SHOP_TOKEN.into();
    for forged in [other_execution, other_action, with_token] {
        let report = decide(&gate, &forged).await;
        assert_eq!(report.outcome, Outcome::Stale, "{report:?}");
    }
    let calls = stand_in.calls().len();
    let mut uncovered = woken.clone();
    uncovered["detail"]["pipeline"] = "data-etl".into();
    let report = decide(&gate, &uncovered).await;
    assert_eq!(report.outcome, Outcome::Dropped, "{report:?}");
    assert_eq!(stand_in.calls().len(), calls, "no read for it");
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());

    // The integration tests of the execution under approval failed since: the wake-up
    // asks the state, and the state says reject.
    stand_in.put_action_executions("web-shop", shop_runs("Failed"));
    let report = decide(&gate, &woken).await;
    assert_eq!(report.outcome, Outcome::Reject, "{report:?}");
    assert_eq!(
        answers(&stand_in),
        [("Rejected".to_owned(), SHOP_TOKEN.to_owned())]
    );
}

#[tokio::test]
async fn a_wake_up_that_cannot_be_scheduled_leaves_the_deferral_to_the_sweep() {
    for fault in [
        Fault::error(500, "InternalServerException"),
        Fault::error(403, "AccessDeniedException"),
        Fault::error(400, "ValidationException"),
    ] {
        let stand_in = demo_stand_in().await;
        stand_in.inject_times("CreateSchedule", fault, 10);
        let gate = gate(&stand_in, &frozen_until(minute_after(3))).await;

        let report = decide(&gate, &event("approved-by-rule")).await;

        assert_eq!(report.outcome, Outcome::Defer, "{report:?}");
        assert_eq!(report.wake_up, None);
        let note = report.reasons.last().unwrap();
        assert!(
            note.starts_with("no wake-up could be scheduled")
                && note.ends_with("the sweep decides it again within 15 minutes"),
            "{note}"
        );
        assert!(!note.contains(SHOP_TOKEN));
        assert!(stand_in.calls_to("PutApprovalResult").is_empty());
    }
}

#[tokio::test]
async fn a_closed_change_calendar_wakes_the_approval_at_its_next_transition() {
    let stand_in = demo_stand_in().await;
    stand_in.put_calendar("prod-freeze", &[(-3600.0, 150.0)]);
    let policy = r#"{"rules": [{"name": "shop-when-open",
        "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
        "change_calendars": {"names": ["prod-freeze"], "on_closed": "defer"}}]}"#;
    let gate = gate(&stand_in, policy).await;

    let report = decide(&gate, &event("approved-by-rule")).await;

    assert_eq!(report.outcome, Outcome::Defer, "{report:?}");
    // The calendar opens at its next transition; the wake-up comes at that whole minute.
    let opens = Timestamp::now().as_second() + 150;
    let wake_up = report.wake_up.expect("a wake-up at the transition");
    assert_eq!(wake_up.as_second() % 60, 0);
    assert!(
        (opens - 2..opens + 62).contains(&wake_up.as_second()),
        "{wake_up} for an opening at {opens}"
    );
    assert_eq!(stand_in.schedules().len(), 1);
}

#[tokio::test]
async fn without_a_schedule_group_nothing_is_scheduled_and_nothing_is_said() {
    let stand_in = demo_stand_in().await;
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy::from_json(&frozen_until(minute_after(3))).unwrap(),
        Settings {
            token_wait: std::time::Duration::from_millis(300),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        None::<SnsDecisionTopic>,
    )
    .with_wakeups(None::<Scheduler>);

    let report = gate
        .handle(&event("approved-by-rule"))
        .await
        .unwrap()
        .records
        .remove(0);

    assert_eq!(report.outcome, Outcome::Defer);
    assert_eq!(report.wake_up, None);
    assert!(
        report
            .reasons
            .iter()
            .all(|reason| !reason.contains("wake-up")),
        "{report:?}"
    );
    assert!(stand_in.calls_to("CreateSchedule").is_empty());
}

/// A Scheduler that never answers.
struct Silent;

impl Wakeups for Silent {
    async fn schedule(&self, _wake_up: &WakeUp) -> Result<Scheduled, ScheduleError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_scheduler_that_does_not_answer_costs_five_seconds_and_leaves_the_deferral_standing() {
    let policy = r#"{"rules": [{"name": "shop-after-freeze", "match": {"pipeline": "web-shop"},
        "windows": {"timezone": "UTC", "outside": "defer",
                    "freeze": [{"from": "2026-11-26T00:00", "to": "2026-11-26T09:00"}]}}]}"#;
    let pipelines = FakePipelines::default().with_state(waiting(
        "web-shop",
        "Approve-Prod",
        "Manual",
        SHOP_TOKEN,
        ActionStatus::Succeeded,
    ));
    let gate = Gate::new(
        Policy::from_json(policy).unwrap(),
        Settings::default(),
        &pipelines,
        None::<&FakeTopic>,
    )
    .with_wakeups(Silent)
    .with_clock(|| "2026-11-26T08:00:00Z".parse().unwrap());
    let started = tokio::time::Instant::now();

    let report = gate
        .handle(&event("approved-by-rule"))
        .await
        .unwrap()
        .records
        .remove(0);

    assert_eq!(report.outcome, Outcome::Defer, "{report:?}");
    assert_eq!(report.wake_up, None);
    assert!(
        report
            .reasons
            .last()
            .unwrap()
            .contains("(Scheduler did not answer within 5 s)"),
        "{report:?}"
    );
    assert!(started.elapsed() <= std::time::Duration::from_secs(6));
}

#[tokio::test]
async fn once_the_scheduler_fails_an_invocation_asks_it_no_more() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "CreateSchedule",
        Fault::error(403, "AccessDeniedException"),
        10,
    );
    let gate = gate(&stand_in, &demo_policy()).await;
    // Two deferred approvals in one invocation: reports-nightly (its demo freeze) and
    // release-train (its release freeze).
    let mut event = event("outside-window");
    let second = crate::common::event("deferred-by-freeze")["Records"][0].clone();
    event["Records"].as_array_mut().unwrap().push(second);

    let response = gate.handle(&event).await.unwrap();

    let notes: Vec<&str> = response
        .records
        .iter()
        .map(|report| {
            assert_eq!(report.outcome, Outcome::Defer, "{report:?}");
            report.reasons.last().unwrap().as_str()
        })
        .collect();
    assert!(notes[0].contains("AccessDeniedException"), "{notes:?}");
    assert!(
        notes[1].contains("Scheduler failed earlier in this invocation"),
        "{notes:?}"
    );
    assert_eq!(stand_in.calls_to("CreateSchedule").len(), 1);
    // The next invocation asks again.
    gate.handle(&crate::common::event("deferred-by-freeze"))
        .await
        .unwrap();
    assert_eq!(stand_in.calls_to("CreateSchedule").len(), 2);
}
