//! Time windows through the whole handler: a notice outside its window is deferred, and
//! the sweep answers it when the window opens (or, before it expires, rejects it).

use std::cell::Cell;
use std::time::Duration;

use crate::common::*;
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::pipeline::{ActionStatus, ApprovalStatus, Declaration, PipelineSnapshot};
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome};
use jiff::Timestamp;

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";

const POLICY: &str = r#"{"rules": [{"name": "prod-office-hours",
    "match": {"pipeline": "web-*", "stage": "Approve-Prod"},
    "require_succeeded": ["Build/IntegrationTests"],
    "on_fail": "reject",
    "windows": {"timezone": "Europe/Berlin",
                "allow":  [{"days": ["mon","tue","wed","thu"], "from": "09:00", "to": "16:30"}],
                "freeze": [{"from": "2026-12-21T00:00", "to": "2027-01-04T06:00", "reason": "year-end freeze"},
                           {"every": "year", "from": "12-24 00:00", "to": "12-27 00:00"},
                           {"every": "week", "days": ["fri"], "from": "15:00", "to": "23:59"}],
                "outside": "defer"}}]}"#;

thread_local! {
    // The handler's clock: `#[tokio::test]` runs the handler on the test's own thread.
    static NOW: Cell<i64> = const { Cell::new(0) };
}

fn clock() -> Timestamp {
    Timestamp::from_second(NOW.with(Cell::get)).unwrap()
}

fn set_now(utc: &str) {
    let now: Timestamp = utc.parse().unwrap();
    NOW.with(|cell| cell.set(now.as_second()));
}

fn gate<'a>(
    policy: &str,
    pipelines: &'a FakePipelines,
    topic: &'a FakeTopic,
) -> Gate<Adapters<&'a FakePipelines, &'a FakeTopic>> {
    // The cases here were drawn for sweeps every five minutes.
    let settings = Settings {
        token_wait: Duration::from_millis(100),
        sweep_read_interval: Duration::from_millis(1),
        sweep_every: Duration::from_secs(5 * 60),
        ..Settings::default()
    };
    Gate::new(
        Policy::from_json(policy).unwrap(),
        settings,
        pipelines,
        Some(topic),
    )
    .with_clock(clock)
}

/// web-shop's declaration: its approval action times out after `minutes`, or after
/// CodePipeline's default of seven days.
fn declared_timeout(minutes: Option<i64>) -> Declaration {
    Declaration {
        timeouts: [(("Approve-Prod".to_owned(), "Manual".to_owned()), minutes)].into(),
        ..Declaration::default()
    }
}

/// An event for web-shop's approval whose notice says it expires at `expires` (anyone who
/// can publish to the topic and has seen the token can send this).
fn notice_expiring(expires: &str) -> serde_json::Value {
    let mut notice = notice_of(&event("approved-by-rule"));
    notice["approval"]["token"] = SHOP_TOKEN.into();
    notice["approval"]["expires"] = expires.into();
    sns_event(&notice.to_string())
}

/// web-shop, tests passed, its approval waiting since `since`.
fn shop_waiting_since(since: &str) -> PipelineSnapshot {
    let mut state = waiting(
        "web-shop",
        "Approve-Prod",
        "Manual",
        SHOP_TOKEN,
        ActionStatus::Succeeded,
    );
    let approval = state.stages[1].actions[0].execution.as_mut().unwrap();
    approval.last_status_change = Some(since.parse().unwrap());
    state
}

#[tokio::test]
async fn defers_at_20_00_and_approves_at_09_00_berlin_the_next_morning() {
    // Wednesday 2026-11-25 20:00 in Berlin (CET, UTC+1).
    let pipelines = FakePipelines::default().with_state(shop_waiting_since("2026-11-25T19:00:00Z"));
    let topic = FakeTopic::default();
    let gate = gate(POLICY, &pipelines, &topic);

    set_now("2026-11-25T19:00:00Z");
    let arrived = gate.handle(&event("approved-by-rule")).await.unwrap();

    let report = &arrived.records[0];
    assert_eq!(
        (report.outcome, report.answer),
        (Outcome::Defer, Answer::None)
    );
    let reasons = report.reasons.join("; ");
    assert!(reasons.contains("outside every allow window"), "{reasons}");
    assert!(
        reasons.contains("next opening Thu 2026-11-26 09:00"),
        "{reasons}"
    );
    assert!(pipelines.answers().is_empty());
    assert_eq!(topic.notices()[0].verdict, Outcome::Defer);
    assert!(
        topic.notices()[0]
            .subject
            .starts_with("[approval-gate] Deferred")
    );

    set_now("2026-11-26T07:59:00Z");
    let early = gate.handle(&event("scheduled-sweep")).await.unwrap();
    assert_eq!(
        early.sweep.unwrap().answered,
        0,
        "08:59 is still outside the window"
    );
    assert_eq!(
        topic.notices().len(),
        1,
        "a waiting approval is not announced again"
    );

    set_now("2026-11-26T08:00:00Z");
    let opened = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(opened.sweep.unwrap().answered, 1);
    let answers = pipelines.answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].status, ApprovalStatus::Approved);
    let summary = &answers[0].summary;
    assert!(
        summary.starts_with("Approved by approval-gate rule \"prod-office-hours\""),
        "{summary}"
    );
    assert!(summary.contains("inside allow window"), "{summary}");
    assert!(
        summary.contains("it waited: when it arrived, outside every allow window"),
        "{summary}"
    );
    assert_eq!(topic.notices().len(), 2);
}

#[tokio::test]
async fn a_freeze_beats_the_allow_window_and_is_named() {
    // Tuesday 2026-12-22 10:00 Berlin: inside office hours, inside the year-end freeze.
    let pipelines = FakePipelines::default().with_state(shop_waiting_since("2026-12-22T09:00:00Z"));
    let topic = FakeTopic::default();
    let policy = POLICY.replace(r#""outside": "defer""#, r#""outside": "reject""#);
    let gate = gate(&policy, &pipelines, &topic);
    set_now("2026-12-22T09:00:00Z");

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Reject);
    let summary = &pipelines.answers()[0].summary;
    assert!(summary.contains("year-end freeze"), "{summary}");
    assert!(
        summary.contains("next opening Mon 2027-01-04 09:00"),
        "{summary}"
    );
}

#[tokio::test]
async fn outside_abstain_leaves_it_to_a_human() {
    let pipelines = FakePipelines::default().with_state(shop_waiting_since("2026-11-27T15:30:00Z"));
    let topic = FakeTopic::default();
    let policy = POLICY.replace(r#""outside": "defer""#, r#""outside": "abstain""#);
    let gate = gate(&policy, &pipelines, &topic);
    // Friday 16:30 Berlin: the weekly Friday freeze.
    set_now("2026-11-27T15:30:00Z");

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Abstain);
    assert!(pipelines.answers().is_empty());
}

#[tokio::test]
async fn a_deferral_that_would_outlive_the_approval_is_rejected_before_it_expires() {
    // Arrived Sunday 2026-12-20 12:00 Berlin; the freeze lasts until 2027-01-04, and the
    // approval expires seven days after it started waiting.
    let pipelines = FakePipelines::default()
        .with_state(shop_waiting_since("2026-12-20T11:00:00Z"))
        .with_declaration("web-shop", declared_timeout(None));
    let topic = FakeTopic::default();
    let gate = gate(POLICY, &pipelines, &topic);

    set_now("2026-12-27T10:00:00Z");
    let day_before = gate.handle(&event("scheduled-sweep")).await.unwrap();
    assert_eq!(
        day_before.sweep.unwrap().answered,
        0,
        "still deferred an hour before expiry"
    );

    set_now("2026-12-27T10:40:00Z");
    let last_chance = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(last_chance.sweep.unwrap().answered, 1);
    let answer = &pipelines.answers()[0];
    assert_eq!(answer.status, ApprovalStatus::Rejected);
    assert!(
        answer.summary.contains("rejected rather than left to fail"),
        "{}",
        answer.summary
    );
}

#[tokio::test]
async fn a_rule_without_windows_is_never_deferred() {
    let pipelines = FakePipelines::default().with_state(shop_waiting_since("2026-11-25T19:00:00Z"));
    let topic = FakeTopic::default();
    let gate = gate(&demo_policy(), &pipelines, &topic);
    set_now("2026-11-25T19:00:00Z");

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Approve);
}

#[tokio::test]
async fn a_deferral_whose_window_opens_before_expiry_is_not_rejected() {
    // Waiting since Wednesday 09:10 Berlin with a 24-hour timeout: it expires Thursday
    // 09:10, and the window opens Thursday 09:00. The sweep at 08:50 keeps it deferred;
    // the one at 09:00 approves it.
    let pipelines = FakePipelines::default()
        .with_state(shop_waiting_since("2026-11-25T08:10:00Z"))
        .with_declaration("web-shop", declared_timeout(Some(24 * 60)));
    let topic = FakeTopic::default();
    let gate = gate(POLICY, &pipelines, &topic);

    set_now("2026-11-26T07:50:00Z");
    let before = gate.handle(&event("scheduled-sweep")).await.unwrap();
    assert_eq!(
        before.sweep.unwrap().answered,
        0,
        "{:?}",
        pipelines.answers()
    );

    set_now("2026-11-26T08:00:00Z");
    let opened = gate.handle(&event("scheduled-sweep")).await.unwrap();
    assert_eq!(opened.sweep.unwrap().answered, 1);
    assert_eq!(pipelines.answers()[0].status, ApprovalStatus::Approved);
}

#[tokio::test]
async fn a_forged_expiry_in_the_notice_never_causes_a_rejection() {
    // The approval started waiting an hour ago and has days left; a notice with the live
    // token claims it expires in 15 minutes, outside the window.
    let pipelines = FakePipelines::default()
        .with_state(shop_waiting_since("2026-11-25T18:00:00Z"))
        .with_declaration("web-shop", declared_timeout(None));
    let topic = FakeTopic::default();
    let gate = gate(POLICY, &pipelines, &topic);
    set_now("2026-11-25T19:00:00Z");

    let response = gate
        .handle(&notice_expiring("2026-11-25T19:15Z"))
        .await
        .unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Defer);
    assert!(pipelines.answers().is_empty());
}

#[tokio::test]
async fn the_sweep_takes_the_expiry_from_the_declared_timeout() {
    // A 30-day timeout: on day 6.5 the approval has weeks left, so the freeze defers it.
    let pipelines = FakePipelines::default()
        .with_state(shop_waiting_since("2026-12-20T11:00:00Z"))
        .with_declaration("web-shop", declared_timeout(Some(30 * 24 * 60)));
    let topic = FakeTopic::default();
    let gate = gate(POLICY, &pipelines, &topic);

    set_now("2026-12-27T10:40:00Z");
    let response = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(response.sweep.unwrap().answered, 0);
    assert!(pipelines.answers().is_empty());
    assert_eq!(
        pipelines
            .revision_reads()
            .iter()
            .filter(|read| **read == "GetPipeline")
            .count(),
        1
    );
}

#[tokio::test]
async fn without_a_readable_declaration_no_deferral_is_rejected_for_expiry() {
    let pipelines = FakePipelines::default().with_state(shop_waiting_since("2026-12-20T11:00:00Z"));
    let topic = FakeTopic::default();
    let gate = gate(POLICY, &pipelines, &topic);

    set_now("2026-12-27T10:50:00Z");
    let response = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(response.sweep.unwrap().answered, 0);
    assert!(pipelines.answers().is_empty());
}

#[tokio::test]
async fn an_approval_left_to_a_human_is_not_answered_when_the_window_opens() {
    // Arrived Wednesday 20:00 Berlin under `outside: abstain`; Thursday 09:00 the window
    // is open, but the rule left the approval to a human when it arrived.
    let pipelines = FakePipelines::default().with_state(shop_waiting_since("2026-11-25T19:00:00Z"));
    let topic = FakeTopic::default();
    let policy = POLICY.replace(r#""outside": "defer""#, r#""outside": "abstain""#);
    let gate = gate(&policy, &pipelines, &topic);

    set_now("2026-11-26T08:05:00Z");
    let response = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(response.sweep.unwrap().answered, 0);
    assert!(pipelines.answers().is_empty());
}
