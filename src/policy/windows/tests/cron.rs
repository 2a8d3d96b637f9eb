//! Allow windows written as CodePipeline DeploymentWindow cron expressions.

use jiff::SignedDuration;

use super::*;

fn cron(zone: &str, expression: &str) -> Windows {
    windows(json!({"timezone": zone, "allow": [{"cron": expression}]}))
}

fn cron_error(expression: &str) -> PolicyError {
    parse(json!({"timezone": "UTC", "allow": [{"cron": expression}]})).unwrap_err()
}

#[test]
fn the_deployment_window_example_is_open_during_every_minute_it_matches() {
    let windows = cron("Europe/Berlin", "* * 9-16 ? * MON-THU *");
    // Thursday 2026-11-26, 15:00 and 16:59 in Berlin (CET, UTC+1).
    assert_eq!(
        windows.at(utc("2026-11-26T14:00Z")),
        TimeCheck::Open {
            reason: "inside allow window cron * * 9-16 ? * MON-THU * (Europe/Berlin)".into()
        }
    );
    assert!(is_open(&windows, "2026-11-26T15:59:59Z"));
    // 17:00 Thursday is past the last matching hour; Friday to Sunday never match.
    assert_eq!(
        windows.at(utc("2026-11-26T16:00Z")),
        TimeCheck::Closed {
            reason: "outside every allow window; now Thu 2026-11-26 17:00 CET (Europe/Berlin)"
                .into(),
            next_open: Some(utc("2026-11-30T08:00Z")),
            next_open_text: Some("Mon 2026-11-30 09:00 CET (Europe/Berlin)".into()),
        }
    );
}

#[test]
fn days_of_the_week_count_from_sunday_as_in_aws() {
    // 2 is Monday in AWS cron (1 = SUN ... 7 = SAT).
    let windows = cron("UTC", "* * 9 ? * 2 *");
    assert!(is_open(&windows, "2026-11-30T09:30Z"), "Monday");
    assert!(!is_open(&windows, "2026-11-29T09:30Z"), "Sunday");
    assert!(!is_open(&windows, "2026-12-01T09:30Z"), "Tuesday");
    assert_eq!(
        next_open(&windows, "2026-11-30T10:00Z"),
        Some(utc("2026-12-07T09:00Z"))
    );
}

#[test]
fn a_cron_window_and_the_same_weekly_window_agree_minute_by_minute_across_clock_changes() {
    let by_cron = cron("America/New_York", "* * 9-16 ? * MON-THU *");
    let by_days = allow(
        "America/New_York",
        &["mon", "tue", "wed", "thu"],
        "09:00",
        "17:00",
    );
    // Three weeks around the November change, every 7 minutes (so every minute of the
    // hour is hit across the days).
    let mut at = utc("2026-10-25T00:00Z");
    while at < utc("2026-11-15T00:00Z") {
        assert_eq!(
            by_cron.at(at).is_open(),
            by_days.at(at).is_open(),
            "at {at}"
        );
        if !by_days.at(at).is_open() {
            let next = |windows: &Windows| match windows.at(at) {
                TimeCheck::Closed { next_open, .. } => next_open,
                TimeCheck::Open { .. } => None,
            };
            assert_eq!(next(&by_cron), next(&by_days), "next opening after {at}");
        }
        at += SignedDuration::from_mins(7 * 60 + 7);
    }
}

#[test]
fn a_skipped_hour_never_opens_and_a_repeated_hour_is_open_both_times() {
    let windows = cron("Europe/Berlin", "* * 2 ? * * *");
    // 2026-03-29: 02:00 becomes 03:00 CEST, so 02:xx never happens that day; the window
    // next opens at 02:00 CEST the next night.
    assert_eq!(
        next_open(&windows, "2026-03-29T00:30Z"),
        Some(utc("2026-03-30T00:00Z"))
    );
    // 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:xx happens twice: open both times.
    assert!(is_open(&windows, "2026-10-25T00:30Z"), "02:30 CEST");
    assert!(is_open(&windows, "2026-10-25T01:30Z"), "02:30 CET");
    assert!(!is_open(&windows, "2026-10-25T02:00Z"), "03:00 CET");
}

#[test]
fn a_freeze_closes_a_cron_window_and_its_end_inside_a_run_opens_it() {
    let windows = windows(json!({
        "timezone": "UTC",
        "allow": [{"cron": "* * 9-16 ? * * *"}],
        "freeze": [{"from": "2026-12-01T00:00", "to": "2026-12-01T12:30", "reason": "release"}]
    }));
    assert!(!is_open(&windows, "2026-12-01T10:00Z"));
    assert_eq!(
        next_open(&windows, "2026-12-01T10:00Z"),
        Some(utc("2026-12-01T12:30Z"))
    );
}

#[test]
fn an_expression_codepipeline_would_not_take_is_refused_at_its_place() {
    for (expression, says) in [
        ("* 9-16 ? * MON-THU", "has 5 fields"),
        ("0 * 9-16 ? * MON-THU *", "seconds field must be `*`"),
        (
            "* * 9-16 * * MON-THU *",
            "exactly one of day of month and day of week",
        ),
        (
            "* * 9-16 ? * ? *",
            "exactly one of day of month and day of week",
        ),
        ("* * 25 ? * * *", "is not a valid cron expression"),
        ("* * 9 ? * FUNDAY *", "is not a valid cron expression"),
        ("@daily", "has 1 fields"),
        ("* * 9 ? * L *", "`L` alone in the day of week"),
        ("* * 9 ? * FRI-MON *", "is not a valid cron expression"),
    ] {
        let error = cron_error(expression);
        assert_eq!(error.path, "rules[0].windows.allow[0].cron", "{expression}");
        assert!(
            error.message.contains(says),
            "{expression}: {}",
            error.message
        );
    }
}

#[test]
fn a_window_is_cron_or_days_from_and_to_never_both_or_half() {
    let path = |allow: Value| error_path(json!({"timezone": "UTC", "allow": [allow]}));
    assert_eq!(
        path(json!({"cron": "* * 9 ? * * *", "days": ["mon"]})),
        "rules[0].windows.allow[0].cron"
    );
    assert_eq!(
        path(json!({"days": ["mon"], "from": "09:00"})),
        "rules[0].windows.allow[0].to"
    );
    assert_eq!(path(json!({})), "rules[0].windows.allow[0].days");
    assert_eq!(
        path(json!({"cron": null})),
        "rules[0].windows.allow[0].cron"
    );
}

#[test]
fn a_step_counts_from_the_start_of_its_fields_range_as_in_aws() {
    // Years count from 1970: */3 is 2024, 2027, 2030, ... not 2026 or 2028 (steps
    // counted from year 1 would give 2026 and 2029).
    let windows = cron("UTC", "* * 9 ? * * */3");
    assert!(!is_open(&windows, "2026-11-30T09:30Z"));
    assert!(is_open(&windows, "2027-03-01T09:30Z"));
    assert!(!is_open(&windows, "2028-03-01T09:30Z"));
    assert_eq!(
        next_open(&windows, "2026-11-30T09:30Z"),
        Some(utc("2027-01-01T09:00Z"))
    );
    // A start with a step: 0/15 in the minute is 0, 15, 30 and 45.
    let windows = cron("UTC", "* 0/15 9 ? * * *");
    assert!(is_open(&windows, "2026-11-30T09:15:30Z"));
    assert!(!is_open(&windows, "2026-11-30T09:16Z"));
    assert!(is_open(&windows, "2026-11-30T09:45Z"));
    // A year from which on: 2027/1.
    let windows = cron("UTC", "* * 9 ? * * 2027/1");
    assert!(!is_open(&windows, "2026-11-30T09:30Z"));
    assert!(is_open(&windows, "2027-11-30T09:30Z"));
}
