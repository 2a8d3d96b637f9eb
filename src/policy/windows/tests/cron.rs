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
    // Each refusal names the field and shows a form that works.
    for (expression, says) in [
        ("* 9-16 ? * MON-THU", "has 5 fields"),
        ("@daily", "has 1 fields"),
        ("* * 9 ? * * * *", "has 8 fields"),
        ("0 * 9-16 ? * MON-THU *", "the seconds field must be `*`"),
        (
            "* * 9-16 * * MON-THU *",
            "exactly one of day of month and day of week must be `?`",
        ),
        (
            "* * 9-16 ? * ? *",
            "exactly one of day of month and day of week must be `?`",
        ),
        (
            "* 60 9 ? * * *",
            "the minute field `60` has 60, outside 0-59",
        ),
        ("* * 25 ? * * *", "the hour field `25` has 25, outside 0-23"),
        (
            "* * 9 0 * ? *",
            "the day-of-month field `0` has 0, outside 1-31",
        ),
        (
            "* * 9 ? 13 * *",
            "the month field `13` has 13, outside 1-12",
        ),
        (
            "* * 9 ? * 8 *",
            "the day-of-week field `8` has 8, outside 1-7",
        ),
        (
            "* * 9 ? * FUNDAY *",
            "the day-of-week field `FUNDAY` has `FUNDAY`",
        ),
        ("* ? 9 ? * * *", "the minute field `?` has `?`"),
        ("* 5L 9 ? * * *", "the minute field `5L` has `5L`"),
        // Years outside AWS's 1970-2199, and a two-digit year that would never open.
        (
            "* * 9 ? * * 1969",
            "the year field `1969` has 1969, outside 1970-2199",
        ),
        (
            "* * 9 ? * * 2200",
            "the year field `2200` has 2200, outside 1970-2199",
        ),
        (
            "* * 9 ? * * 26",
            "the year field `26` has 26, outside 1970-2199; write the full year, e.g. `2026`",
        ),
        // Empty list items are typos.
        (
            "* * 9,,10 ? * * *",
            "the hour field `9,,10` has an empty list item; write e.g. `9,10`",
        ),
        (
            "* * 9-16, ? * * *",
            "the hour field `9-16,` has an empty list item; write e.g. `9-16`",
        ),
        (
            "* * 9 ? * MON, *",
            "the day-of-week field `MON,` has an empty list item; write e.g. `MON`",
        ),
        // Ranges do not wrap in AWS cron.
        (
            "* * 9 ? * FRI-MON *",
            "the day-of-week field `FRI-MON` has the range `FRI-MON`, which wraps around; \
             ranges do not wrap in AWS cron: write `FRI-SAT,SUN-MON`",
        ),
        ("* * 22-2 ? * * *", "write `22-23,0-2`"),
        ("* * 9 ? NOV-FEB * *", "write `NOV-DEC,JAN-FEB`"),
        (
            "* * 9 ? * MON-5 *",
            "the day-of-week field `MON-5` mixes a name and a number",
        ),
        (
            "* 0/0 9 ? * * *",
            "the minute field `0/0` has the step `/0`",
        ),
        ("* 0/61 9 ? * * *", "which is not a number 1-60"),
        // `#` and `L` stand alone; EventBridge calls a list with `#` invalid.
        (
            "* * 9 ? * MON#1,MON#3 *",
            "the day-of-week field `MON#1,MON#3` puts `L` or `#` in a list",
        ),
        ("* * 9 ? * 2,6L *", "puts `L` or `#` in a list"),
        (
            "* * 9 ? * MON#6 *",
            "without a week 1-5 after it (e.g. `MON#1`)",
        ),
        (
            "* * 9 L,15 * ? *",
            "the day-of-month field `L,15` combines `L` or `W` with other days",
        ),
        ("* * 9 1-15W * ? *", "combines `L` or `W` with other days"),
        ("* * 9 L-31 * ? *", "not a number 0-30 (e.g. `L-3`)"),
        ("* * 9 32W * ? *", "(e.g. `15W`)"),
        ("* * 9 L-3W * ? *", "(e.g. `L-3`)"),
    ] {
        let error = cron_error(expression);
        assert_eq!(error.path, "rules[0].windows.allow[0].cron", "{expression}");
        assert!(
            error.message.contains(says),
            "{expression}: {}",
            error.message
        );
        assert!(
            error.message.contains("e.g.") || error.message.contains("write"),
            "{expression} shows no valid form: {}",
            error.message
        );
    }
}

/// `(expression, [(instant, open)])` in UTC.
fn assert_matches(expression: &str, cases: &[(&str, bool)]) {
    let windows = cron("UTC", expression);
    for (at, open) in cases {
        assert_eq!(is_open(&windows, at), *open, "{expression} at {at}");
    }
}

#[test]
fn an_offset_from_the_last_day_of_the_month_is_that_many_days_before_it() {
    // November 2026 has 30 days: L-3 is the 27th.
    let windows = cron("UTC", "* * 9 L-3 * ? *");
    assert_eq!(
        next_open(&windows, "2026-11-01T00:00Z"),
        Some(utc("2026-11-27T09:00Z"))
    );
    assert_matches(
        "* * 9 L-3 * ? *",
        &[
            ("2026-11-26T09:30Z", false),
            ("2026-11-27T09:59Z", true),
            ("2026-11-28T09:30Z", false),
            // February 2027 has 28 days: the 25th; December 2026, the 28th.
            ("2027-02-25T09:00Z", true),
            ("2026-12-28T09:00Z", true),
        ],
    );
    // L alone is the last day: February 28 in 2027, 29 in 2028.
    assert_matches(
        "* * 9 L * ? *",
        &[
            ("2027-02-28T09:00Z", true),
            ("2028-02-28T09:00Z", false),
            ("2028-02-29T09:00Z", true),
        ],
    );
}

#[test]
fn w_is_the_nearest_weekday_within_the_month_and_lw_the_last_weekday() {
    // 2026-11-15 is a Sunday: Monday the 16th; 2026-08-15 a Saturday: Friday the 14th.
    assert_matches(
        "* * 9 15W * ? *",
        &[
            ("2026-11-15T09:00Z", false),
            ("2026-11-16T09:00Z", true),
            ("2026-08-14T09:00Z", true),
            ("2026-08-15T09:00Z", false),
            ("2026-12-15T09:00Z", true),
        ],
    );
    // 2026-08-01 is a Saturday: 1W stays in August, on Monday the 3rd.
    assert_matches(
        "* * 9 1W * ? *",
        &[("2026-07-31T09:00Z", false), ("2026-08-03T09:00Z", true)],
    );
    // 2027-01-31 is a Sunday: the last weekday of January 2027 is Friday the 29th.
    assert_matches(
        "* * 9 LW * ? *",
        &[
            ("2027-01-29T09:00Z", true),
            ("2027-01-31T09:00Z", false),
            ("2026-11-30T09:00Z", true),
        ],
    );
}

#[test]
fn l_alone_in_the_day_of_week_is_saturday_and_after_a_day_the_last_such_day() {
    // AWS: `L` alone "simply means 7 or SAT".
    assert_matches(
        "* * 9 ? * L *",
        &[
            ("2026-11-28T09:00Z", true),
            ("2026-11-27T09:00Z", false),
            ("2026-11-29T09:00Z", false),
        ],
    );
    // 6L and FRIL: the last Friday of November 2026 is the 27th.
    for expression in ["* * 9 ? * 6L *", "* * 9 ? * FRIL *"] {
        assert_matches(
            expression,
            &[("2026-11-27T09:00Z", true), ("2026-11-20T09:00Z", false)],
        );
    }
}

#[test]
fn a_hash_is_the_nth_such_weekday_of_the_month() {
    // The first Monday of November 2026 is the 2nd; the fifth Monday is the 30th.
    for expression in ["* * 9 ? * MON#1 *", "* * 9 ? * 2#1 *"] {
        assert_matches(
            expression,
            &[("2026-11-02T09:00Z", true), ("2026-11-09T09:00Z", false)],
        );
    }
    assert_matches(
        "* * 9 ? * 2#5 *",
        &[("2026-11-30T09:00Z", true), ("2026-11-23T09:00Z", false)],
    );
}

#[test]
fn a_name_may_start_a_step_as_a_number_may() {
    // JAN/3: January, April, July and October.
    for expression in ["* * 9 1 JAN/3 ? *", "* * 9 1 1/3 ? *"] {
        assert_matches(
            expression,
            &[
                ("2027-01-01T09:00Z", true),
                ("2027-02-01T09:00Z", false),
                ("2027-04-01T09:00Z", true),
                ("2027-10-01T09:00Z", true),
                ("2027-12-01T09:00Z", false),
            ],
        );
    }
    // MON/2: Monday, Wednesday and Friday; */2 in the day of week: SUN, TUE, THU, SAT.
    for expression in [
        "* * 9 ? * MON/2 *",
        "* * 9 ? * 2/2 *",
        "* * 9 ? * mon-fri/2 *",
    ] {
        assert_matches(
            expression,
            &[
                ("2026-11-30T09:00Z", true),
                ("2026-12-01T09:00Z", false),
                ("2026-12-02T09:00Z", true),
                ("2026-12-04T09:00Z", true),
                ("2026-12-05T09:00Z", false),
            ],
        );
    }
    assert_matches(
        "* * 9 ? * */2 *",
        &[
            ("2026-11-29T09:00Z", true),
            ("2026-11-30T09:00Z", false),
            ("2026-12-01T09:00Z", true),
            ("2026-12-05T09:00Z", true),
        ],
    );
    // 1/3 in the day of month: 1, 4, 7, ... 31.
    assert_matches(
        "* * 9 1/3 * ? *",
        &[
            ("2026-12-01T09:00Z", true),
            ("2026-12-02T09:00Z", false),
            ("2026-12-04T09:00Z", true),
            ("2026-12-31T09:00Z", true),
        ],
    );
}

#[test]
fn every_field_takes_lists_ranges_and_steps_as_aws_documents() {
    assert_matches(
        "* 0-14,30/10 9,12-13 ? JAN-MAR,NOV * 2026-2027,2030/5",
        &[
            ("2026-11-30T09:14Z", true),
            ("2026-11-30T09:15Z", false),
            ("2026-11-30T09:50Z", true),
            ("2026-11-30T13:30Z", true),
            ("2026-11-30T10:00Z", false),
            ("2026-12-01T09:00Z", false),
            ("2028-01-03T09:00Z", false),
            ("2035-01-03T09:00Z", true),
        ],
    );
    // The year's own bounds are years AWS takes.
    assert!(cron_error_free("* * 9 ? * * 1970-2199"));
    assert!(cron_error_free("* * 9 ? * * 2199"));
    assert!(cron_error_free("* * 9 ? * SUN-SAT"));
}

fn cron_error_free(expression: &str) -> bool {
    parse(json!({"timezone": "UTC", "allow": [{"cron": expression}]})).is_ok()
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

#[test]
fn a_blank_other_than_a_space_or_a_character_outside_ascii_is_refused() {
    for expression in [
        "*\u{a0}* 9-16 ? * MON-FRI *",
        "* * 9-16 ? * MON-FRI *\n",
        "*\t* 9-16 ? * MON-FRI *",
        "* * 9-16 ? * MON-FRI\u{3000}*",
        "* * ９ ? * MON-FRI *",
    ] {
        let error = cron_error(expression);
        assert!(
            error.message.contains("is not part of the AWS cron syntax"),
            "{expression:?}: {error:?}"
        );
    }
}
