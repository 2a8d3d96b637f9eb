use proptest::prelude::*;

use super::*;
use crate::events;

fn target(pipeline: &str) -> ApprovalTarget {
    ApprovalTarget {
        pipeline: pipeline.into(),
        stage: "Approve-Prod".into(),
        action: "Gate".into(),
    }
}

const EXECUTION: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn plan(wake_at: &str, now: &str, woken_for: Option<&str>) -> WakeUp {
    WakeUp::plan(
        target("web-checkout"),
        EXECUTION.into(),
        at(wake_at),
        at(now),
        woken_for.map(at),
    )
}

#[test]
fn a_wake_up_is_at_the_first_whole_minute_at_or_after_the_moment() {
    assert_eq!(
        plan("2026-12-07T09:00:00Z", "2026-12-07T07:12:31Z", None).at,
        at("2026-12-07T09:00:00Z")
    );
    assert_eq!(
        plan("2026-12-07T09:00:00.001Z", "2026-12-07T07:12:31Z", None).at,
        at("2026-12-07T09:01:00Z")
    );
    assert_eq!(
        plan("2026-12-07T08:59:59Z", "2026-12-07T07:12:31Z", None).at,
        at("2026-12-07T09:00:00Z")
    );
}

#[test]
fn a_wake_up_is_never_in_the_current_minute_or_the_past() {
    // A one-time schedule in the past never fires.
    assert_eq!(
        plan("2026-12-07T07:12:45Z", "2026-12-07T07:12:31Z", None).at,
        at("2026-12-07T07:13:00Z")
    );
    assert_eq!(
        plan("2026-12-07T07:00:00Z", "2026-12-07T07:12:00Z", None).at,
        at("2026-12-07T07:13:00Z")
    );
}

#[test]
fn a_wake_up_that_must_wait_again_for_its_own_minute_is_planned_a_minute_later() {
    // It fired at 08:59:58 by the gate's clock: the window opens at 09:00, its own minute.
    let again = plan(
        "2026-12-07T09:00:00Z",
        "2026-12-07T08:59:58Z",
        Some("2026-12-07T09:00:00Z"),
    );
    assert_eq!(again.at, at("2026-12-07T09:01:00Z"));
    let first = plan("2026-12-07T09:00:00Z", "2026-12-07T08:00:00Z", None);
    assert_ne!(again.name(), first.name());
    // A later moment is planned as it is.
    assert_eq!(
        plan(
            "2026-12-07T10:00:00Z",
            "2026-12-07T09:00:05Z",
            Some("2026-12-07T09:00:00Z")
        )
        .at,
        at("2026-12-07T10:00:00Z")
    );
}

#[test]
fn a_wake_ups_own_minute_never_moves_the_next_one_anywhere_but_a_minute_on() {
    // A forged minute far ahead, past the expiry, or off the whole minute: the next
    // wake-up is planned where the decision says, on a whole minute.
    for forged in [
        "2099-12-31T23:59:00Z",
        "2026-12-07T08:45:00Z",
        "2026-12-07T07:10:30Z",
        "0001-01-01T00:00:00Z",
    ] {
        let planned = plan("2026-12-07T09:00:00Z", "2026-12-07T07:00:05Z", Some(forged));
        assert_eq!(planned.at, at("2026-12-07T09:00:00Z"), "{forged}");
    }
    // Its own minute, not a whole one: still a whole minute on.
    let early = plan(
        "2026-12-07T09:00:00Z",
        "2026-12-07T08:59:58Z",
        Some("2026-12-07T08:59:30Z"),
    );
    assert_eq!(early.at, at("2026-12-07T09:01:00Z"));
    assert_eq!(early.at.as_second() % 60, 0);
}

#[test]
fn the_name_is_the_same_for_the_same_wake_up_and_differs_otherwise() {
    let one = plan("2026-12-07T09:00:00Z", "2026-12-07T07:00:00Z", None);
    assert_eq!(
        one.name(),
        plan("2026-12-07T08:59:30Z", "2026-12-07T07:30:00Z", None).name()
    );
    assert!(one.name().starts_with("ag-20261207T0900-web-checkout-"));
    let mut other = one.clone();
    other.execution_id = "1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into();
    assert_ne!(one.name(), other.name());
    let mut other = one.clone();
    other.target.action = "Gate2".into();
    assert_ne!(one.name(), other.name());
    let mut other = one.clone();
    other.at = at("2026-12-07T09:01:00Z");
    assert_ne!(one.name(), other.name());
}

#[test]
fn the_expression_is_schedulers_one_time_form() {
    let wake_up = plan("2026-12-07T09:00:00Z", "2026-12-07T07:00:00Z", None);
    assert_eq!(wake_up.expression(), "at(2026-12-07T09:00:00)");
}

#[test]
fn the_event_carries_the_coordinates_and_never_more_and_reads_back() {
    let wake_up = plan("2026-12-07T09:00:00Z", "2026-12-07T07:00:00Z", None);
    let event = events::wake_up_event(&wake_up);
    let detail = event["detail"].as_object().unwrap();
    let mut keys: Vec<&str> = detail.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["action", "at", "execution-id", "pipeline", "stage"]);
    let woken = events::woken_up(&event).unwrap().unwrap();
    assert_eq!(woken.target, wake_up.target);
    assert_eq!(woken.execution_id, wake_up.execution_id);
    assert_eq!(woken.at, wake_up.at);
}

proptest! {
    /// Scheduler's rule for names, whatever the pipeline is called, and a whole minute
    /// after now.
    #[test]
    fn every_name_is_valid_and_every_time_a_later_whole_minute(
        pipeline in "(?s).{1,120}",
        stage in "(?s).{1,120}",
        wake in 0i64..4_000_000_000,
        now in 0i64..4_000_000_000,
        nanos in 0i32..1_000_000_000,
        woken in proptest::option::of(0i64..4_000_000_000),
    ) {
        let wake_up = WakeUp::plan(
            ApprovalTarget { pipeline, stage, action: "a".into() },
            EXECUTION.into(),
            Timestamp::new(wake, nanos).unwrap(),
            Timestamp::from_second(now).unwrap(),
            woken.map(|woken| Timestamp::from_second(woken).unwrap()),
        );
        let name = wake_up.name();
        prop_assert!((1..=64).contains(&name.len()), "{name}");
        prop_assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "{name}"
        );
        prop_assert_eq!(wake_up.at.as_second() % 60, 0);
        prop_assert_eq!(wake_up.at.subsec_nanosecond(), 0);
        prop_assert!(wake_up.at.as_second() > now);
        prop_assert!(wake_up.at.as_second() >= wake);
        // A minute on at most, whatever the wake-up being handled says of itself.
        prop_assert!(wake_up.at.as_second() < wake.max(now) + 180);
    }
}
