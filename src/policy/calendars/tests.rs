//! Unit tests of `change_calendars`: validation, and the check over calendar readings.

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::conditions::CalendarReading;
use crate::policy::Policy;

fn parse(calendars: &str) -> Result<ChangeCalendars, PolicyError> {
    let text = format!(r#"{{"rules": [{{"name": "prod", "change_calendars": {calendars}}}]}}"#);
    Policy::from_json(&text).map(|policy| policy.rules[0].change_calendars.clone().unwrap())
}

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn reading(at: Timestamp, state: CalendarState, next: Option<Timestamp>) -> CalendarReading {
    CalendarReading {
        at,
        state,
        next_transition: next,
    }
}

fn conditions(calendars: Vec<(&str, Vec<Result<CalendarReading, String>>)>) -> Conditions {
    let calendars = calendars
        .into_iter()
        .map(|(calendar, readings)| CalendarReadings {
            calendar: calendar.into(),
            readings,
        })
        .collect();
    Conditions::read(now(), None, calendars)
}

#[test]
fn open_calendars_pass() {
    let calendars = parse(r#"{"names": ["prod-freeze"]}"#).unwrap();
    let read = conditions(vec![(
        "prod-freeze",
        vec![Ok(reading(now(), CalendarState::Open, None))],
    )]);
    let checks = calendars.check(&read, now());
    assert!(checks.iter().all(Check::passed), "{checks:?}");
}

#[test]
fn a_closed_calendar_is_named_with_its_opening_and_carries_it() {
    let opens = now() + SignedDuration::from_hours(5);
    let calendars =
        parse(r#"{"names": ["prod-freeze", "team-freeze"], "on_closed": "defer"}"#).unwrap();
    let read = conditions(vec![
        (
            "prod-freeze",
            vec![Ok(reading(now(), CalendarState::Open, None))],
        ),
        (
            "team-freeze",
            vec![Ok(reading(now(), CalendarState::Closed, Some(opens)))],
        ),
    ]);
    let checks = calendars.check(&read, now());
    assert!(checks[0].passed());
    assert_eq!(checks[1].failed, Some(Severity::Defer));
    assert_eq!(checks[1].opens, Some(opens));
    assert_eq!(
        checks[1].reason,
        "change_calendars: team-freeze is CLOSED (until 2026-11-25 17:00 UTC)"
    );
}

#[test]
fn on_closed_defaults_to_abstain() {
    let calendars = parse(r#"{"names": ["prod-freeze"]}"#).unwrap();
    let read = conditions(vec![(
        "prod-freeze",
        vec![Ok(reading(now(), CalendarState::Closed, None))],
    )]);
    assert_eq!(
        calendars.check(&read, now())[0].failed,
        Some(Severity::Abstain)
    );
}

#[test]
fn an_unreadable_calendar_fails_and_is_never_merely_deferred() {
    let calendars = parse(r#"{"names": ["prod-freeze"], "on_closed": "defer"}"#).unwrap();
    let read = conditions(vec![(
        "prod-freeze",
        vec![Err("the calendar does not exist".into())],
    )]);
    let check = &calendars.check(&read, now())[0];
    assert_eq!(check.failed, Some(Severity::Abstain));
    assert!(
        check
            .reason
            .contains("cannot be read (the calendar does not exist)"),
        "{}",
        check.reason
    );
    let unread = calendars.check(&Conditions::none(), now());
    assert_eq!(unread[0].failed, Some(Severity::Defer));
}

#[test]
fn an_unknown_state_is_never_open() {
    let calendars = parse(r#"{"names": ["prod-freeze"], "on_closed": "reject"}"#).unwrap();
    let read = conditions(vec![(
        "prod-freeze",
        vec![Ok(reading(
            now(),
            CalendarState::Other("HALF".into()),
            None,
        ))],
    )]);
    assert_eq!(
        calendars.check(&read, now())[0].failed,
        Some(Severity::Reject)
    );
}

#[test]
fn a_reading_holds_from_its_instant_until_the_next_transition() {
    let since = now() - SignedDuration::from_hours(3);
    let calendars = parse(r#"{"names": ["prod-freeze"], "on_closed": "reject"}"#).unwrap();
    // Read now only: open now, but what it was when the approval started is unknown.
    let read = conditions(vec![(
        "prod-freeze",
        vec![Ok(reading(now(), CalendarState::Open, None))],
    )]);
    let past = &calendars.check(&read, since)[0];
    assert_eq!(past.failed, Some(Severity::Abstain), "{past:?}");
    // Read then as well: closed then, open now.
    let read = conditions(vec![(
        "prod-freeze",
        vec![
            Ok(reading(now(), CalendarState::Open, None)),
            Ok(reading(
                since,
                CalendarState::Closed,
                Some(now() - SignedDuration::from_hours(1)),
            )),
        ],
    )]);
    assert_eq!(
        calendars.check(&read, since)[0].failed,
        Some(Severity::Reject)
    );
    assert!(calendars.check(&read, now())[0].passed());
}

#[test]
fn validation_names_the_place() {
    let cases = [
        (r#"{"names": []}"#, "rules[0].change_calendars.names"),
        (
            r#"{"names": ["prod-freeze", ""]}"#,
            "rules[0].change_calendars.names[1]",
        ),
        (r#"{"names": ["ab"]}"#, "rules[0].change_calendars.names[0]"),
        (
            r#"{"names": ["prod freeze"]}"#,
            "rules[0].change_calendars.names[0]",
        ),
        (
            r#"{"names": ["arn:aws:ssm:us-east-1:1111:document/org-freeze"]}"#,
            "rules[0].change_calendars.names[0]",
        ),
        (
            r#"{"names": ["arn:aws:s3:us-east-1:111122223333:document/org-freeze"]}"#,
            "rules[0].change_calendars.names[0]",
        ),
        (
            r#"{"names": ["arn:aws:ssm:us-east-1:111122223333:parameter/org-freeze"]}"#,
            "rules[0].change_calendars.names[0]",
        ),
        (
            r#"{"names": ["prod-freeze"], "on_closed": "later"}"#,
            "rules[0].change_calendars.on_closed",
        ),
        (
            r#"{"names": ["prod-freeze"], "on_closed": null}"#,
            "rules[0].change_calendars.on_closed",
        ),
        (
            r#"{"names": ["prod-freeze"], "extra": 1}"#,
            "rules[0].change_calendars.extra",
        ),
        (r#"{"on_closed": "defer"}"#, "rules[0].change_calendars"),
    ];
    for (calendars, place) in cases {
        let error = parse(calendars).unwrap_err();
        assert_eq!(error.path, place, "{calendars}: {error}");
    }
    let ok = parse(
        r#"{"names": ["prod-freeze", "arn:aws:ssm:us-east-1:111122223333:document/org-freeze"]}"#,
    )
    .unwrap();
    assert_eq!(ok.names.len(), 2);
}
