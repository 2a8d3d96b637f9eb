//! Unit tests of `alarms`: validation, and the check over alarm states read at a moment.

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::policy::Policy;

fn parse(alarms: &str) -> Result<RequiredAlarms, PolicyError> {
    let text = format!(r#"{{"rules": [{{"name": "prod", "alarms": {alarms}}}]}}"#);
    Policy::from_json(&text).map(|policy| policy.rules[0].alarms.clone().unwrap())
}

fn read_at() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn alarm(name: &str, state: &str, changed_hours_ago: i64) -> AlarmStatus {
    AlarmStatus {
        name: name.into(),
        state: AlarmState::parse(state),
        reason: Some(
            "Threshold Crossed: 1 datapoint [7.0] was greater than the threshold (5.0)".into(),
        ),
        changed: Some(read_at() - SignedDuration::from_hours(changed_hours_ago)),
    }
}

fn by_name(found: Vec<AlarmStatus>) -> AlarmReading {
    AlarmReading {
        by_name: Some(Ok(found)),
        by_prefix: Vec::new(),
    }
}

#[test]
fn passes_when_every_named_alarm_is_ok() {
    let alarms = parse(r#"{"names": ["web-5xx", "web-latency"]}"#).unwrap();
    let reading = by_name(vec![
        alarm("web-5xx", "OK", 3),
        alarm("web-latency", "OK", 3),
    ]);
    let check = alarms.check(Some(&reading), read_at(), read_at());
    assert!(check.passed(), "{check:?}");
}

#[test]
fn an_alarm_in_alarm_asks_for_on_alarm_and_names_it_with_its_reason() {
    let alarms = parse(r#"{"names": ["web-5xx", "web-latency"], "on_alarm": "defer"}"#).unwrap();
    let reading = by_name(vec![
        alarm("web-5xx", "ALARM", 1),
        alarm("web-latency", "OK", 3),
    ]);
    let check = alarms.check(Some(&reading), read_at(), read_at());
    assert_eq!(check.failed, Some(Severity::Defer));
    assert_eq!(check.opens, None, "an alarm has no known opening");
    assert!(
        check
            .reason
            .starts_with("alarms: web-5xx is ALARM (Threshold Crossed"),
        "{}",
        check.reason
    );
    assert!(!check.reason.contains("web-latency"), "{}", check.reason);
    assert!(
        check.reason.len() < 200,
        "the state reason is cut short: {}",
        check.reason
    );
}

#[test]
fn on_alarm_defaults_to_abstain() {
    let alarms = parse(r#"{"names": ["web-5xx"]}"#).unwrap();
    let check = alarms.check(
        Some(&by_name(vec![alarm("web-5xx", "ALARM", 1)])),
        read_at(),
        read_at(),
    );
    assert_eq!(check.failed, Some(Severity::Abstain));
}

#[test]
fn insufficient_data_fails_unless_allowed() {
    let reading = by_name(vec![alarm("web-5xx", "INSUFFICIENT_DATA", 1)]);
    let strict = parse(r#"{"names": ["web-5xx"], "on_alarm": "reject"}"#).unwrap();
    assert_eq!(
        strict.check(Some(&reading), read_at(), read_at()).failed,
        Some(Severity::Reject)
    );
    let lenient = parse(r#"{"names": ["web-5xx"], "insufficient_data": "ok"}"#).unwrap();
    assert!(lenient.check(Some(&reading), read_at(), read_at()).passed());
}

#[test]
fn a_missing_name_fails_and_is_never_merely_deferred() {
    let alarms = parse(r#"{"names": ["web-5xx", "web-5xxx"], "on_alarm": "defer"}"#).unwrap();
    let check = alarms.check(
        Some(&by_name(vec![alarm("web-5xx", "OK", 1)])),
        read_at(),
        read_at(),
    );
    assert_eq!(check.failed, Some(Severity::Abstain));
    assert!(
        check.reason.contains("no alarm is named web-5xxx"),
        "{}",
        check.reason
    );
}

#[test]
fn a_prefix_matching_nothing_fails() {
    let alarms = parse(r#"{"prefixes": ["web-prod-"], "on_alarm": "reject"}"#).unwrap();
    let reading = AlarmReading {
        by_name: None,
        // An alarm the service returned that does not start with the prefix is no match.
        by_prefix: vec![("web-prod-".into(), Ok(vec![alarm("api-prod-5xx", "OK", 1)]))],
    };
    let check = alarms.check(Some(&reading), read_at(), read_at());
    assert_eq!(check.failed, Some(Severity::Reject));
    assert!(
        check
            .reason
            .contains("no alarm's name starts with \"web-prod-\""),
        "{}",
        check.reason
    );
}

#[test]
fn every_alarm_under_a_prefix_must_be_ok() {
    let alarms = parse(r#"{"prefixes": ["web-prod-"], "on_alarm": "reject"}"#).unwrap();
    let reading = |second: &str| AlarmReading {
        by_name: None,
        by_prefix: vec![(
            "web-prod-".into(),
            Ok(vec![
                alarm("web-prod-5xx", "OK", 2),
                alarm("web-prod-disk", second, 2),
            ]),
        )],
    };
    assert!(
        alarms
            .check(Some(&reading("OK")), read_at(), read_at())
            .passed()
    );
    let check = alarms.check(Some(&reading("ALARM")), read_at(), read_at());
    assert_eq!(check.failed, Some(Severity::Reject));
    assert!(
        check.reason.contains("web-prod-disk is ALARM"),
        "{}",
        check.reason
    );
}

#[test]
fn unreadable_or_unread_alarms_fail() {
    let alarms = parse(r#"{"names": ["web-5xx"], "on_alarm": "defer"}"#).unwrap();
    let denied = AlarmReading {
        by_name: Some(Err("access to the alarms was denied".into())),
        by_prefix: Vec::new(),
    };
    let check = alarms.check(Some(&denied), read_at(), read_at());
    assert_eq!(check.failed, Some(Severity::Abstain));
    assert!(check.reason.contains("denied"), "{}", check.reason);
    assert_eq!(
        alarms.check(None, read_at(), read_at()).failed,
        Some(Severity::Abstain)
    );
}

#[test]
fn an_unknown_state_is_never_ok() {
    let alarms = parse(r#"{"names": ["web-5xx"], "insufficient_data": "ok"}"#).unwrap();
    let check = alarms.check(
        Some(&by_name(vec![alarm("web-5xx", "", 1)])),
        read_at(),
        read_at(),
    );
    assert_eq!(check.failed, Some(Severity::Abstain));
}

#[test]
fn judged_in_the_past_an_alarm_that_changed_since_is_unknown() {
    let since = read_at() - SignedDuration::from_hours(2);
    let reading = by_name(vec![alarm("web-5xx", "OK", 1)]);
    // It recovered after the approval started waiting: what it was then is not known.
    let defer = parse(r#"{"names": ["web-5xx"], "on_alarm": "defer"}"#).unwrap();
    assert_eq!(
        defer.check(Some(&reading), read_at(), since).failed,
        Some(Severity::Defer)
    );
    let reject = parse(r#"{"names": ["web-5xx"], "on_alarm": "reject"}"#).unwrap();
    let check = reject.check(Some(&reading), read_at(), since);
    assert_eq!(check.failed, Some(Severity::Abstain));
    assert!(
        check.reason.contains("changed state since"),
        "{}",
        check.reason
    );
    // Unchanged since then, its state then is the state now.
    let steady = by_name(vec![alarm("web-5xx", "OK", 3)]);
    assert!(reject.check(Some(&steady), read_at(), since).passed());
}

#[test]
fn reasons_name_at_most_three_alarms() {
    let alarms = parse(r#"{"prefixes": ["web-"]}"#).unwrap();
    let found = (0..6)
        .map(|i| alarm(&format!("web-{i}"), "ALARM", 1))
        .collect();
    let reading = AlarmReading {
        by_name: None,
        by_prefix: vec![("web-".into(), Ok(found))],
    };
    let check = alarms.check(Some(&reading), read_at(), read_at());
    assert!(check.reason.contains("3 more not OK"), "{}", check.reason);
    assert!(!check.reason.contains("web-4"), "{}", check.reason);
}

#[test]
fn validation_names_the_place() {
    let cases = [
        (r#"{"names": []}"#, "rules[0].alarms.names"),
        (r#"{"names": ["a", ""]}"#, "rules[0].alarms.names[1]"),
        (r#"{"prefixes": [" "]}"#, "rules[0].alarms.prefixes[0]"),
        (r#"{}"#, "rules[0].alarms"),
        (
            r#"{"names": ["a"], "colour": "red"}"#,
            "rules[0].alarms.colour",
        ),
        (r#"{"names": null}"#, "rules[0].alarms.names"),
        (
            r#"{"names": ["a"], "on_alarm": null}"#,
            "rules[0].alarms.on_alarm",
        ),
        (
            r#"{"names": ["a"], "on_alarm": "approve"}"#,
            "rules[0].alarms.on_alarm",
        ),
        (
            r#"{"names": ["a"], "insufficient_data": "maybe"}"#,
            "rules[0].alarms.insufficient_data",
        ),
        (r#"{"names": ["a\u0007"]}"#, "rules[0].alarms.names[0]"),
    ];
    for (alarms, place) in cases {
        let error = parse(alarms).unwrap_err();
        assert_eq!(error.path, place, "{alarms}: {error}");
    }
    let null = Policy::from_json(r#"{"rules": [{"name": "p", "alarms": null}]}"#).unwrap_err();
    assert_eq!(null.path, "rules[0].alarms");
}

fn by_prefix(prefix: &str, found: Vec<AlarmStatus>) -> AlarmReading {
    AlarmReading {
        by_name: None,
        by_prefix: vec![(prefix.to_owned(), Ok(found))],
    }
}

#[test]
fn judged_well_before_the_read_the_alarms_a_prefix_matched_are_unknown() {
    // An alarm that fired when the approval started waiting and was deleted since no
    // longer shows: only the survivors would be judged, all OK.
    let reading = by_prefix("web-prod-", vec![alarm("web-prod-a", "OK", 24)]);
    let an_hour_before = read_at() - SignedDuration::from_hours(1);
    for (on_alarm, asks) in [
        ("abstain", Severity::Abstain),
        ("reject", Severity::Abstain),
        ("defer", Severity::Defer),
    ] {
        let alarms = parse(&format!(
            r#"{{"prefixes": ["web-prod-"], "on_alarm": "{on_alarm}"}}"#
        ))
        .unwrap();
        let check = alarms.check(Some(&reading), read_at(), an_hour_before);
        assert_eq!(check.failed, Some(asks), "{on_alarm}: {check:?}");
        assert!(check.reason.contains("is not known"), "{}", check.reason);
        // Now, and a moment ago, the prefix's alarms are the ones read.
        let check = alarms.check(Some(&reading), read_at(), read_at());
        assert!(check.passed(), "{check:?}");
        let moments_ago = read_at() - SignedDuration::from_secs(30);
        assert!(
            alarms
                .check(Some(&reading), read_at(), moments_ago)
                .passed()
        );
    }
}

#[test]
fn alarms_cloudwatch_was_not_asked_for_make_the_answer_untrusted() {
    let alarms = parse(r#"{"prefixes": ["web-prod-"]}"#).unwrap();
    let reading = by_prefix(
        "web-prod-",
        vec![alarm("web-prod-a", "OK", 3), alarm("", "ALARM", 1)],
    );
    let check = alarms.check(Some(&reading), read_at(), read_at());
    assert_eq!(check.failed, Some(Severity::Abstain), "{check:?}");
    assert!(check.reason.contains("not trusted"), "{}", check.reason);

    let alarms = parse(r#"{"names": ["web-5xx"]}"#).unwrap();
    let reading = by_name(vec![alarm("web-5xx", "OK", 3), alarm("other", "ALARM", 1)]);
    let check = alarms.check(Some(&reading), read_at(), read_at());
    assert_eq!(check.failed, Some(Severity::Abstain), "{check:?}");
    assert!(check.reason.contains("not asked for"), "{}", check.reason);
}
