//! Every search over time has a bound: always-open windows inside freezes, windows that never
//! open, and freezes longer than the horizon all answer, and quickly.

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use proptest::prelude::*;

use super::*;

/// Far below a hang, generous for a debug build on a slow machine.
const LIMIT: Duration = Duration::from_millis(250);

/// The check at `at` and how long it took; fails past [`LIMIT`].
fn timed_check(windows: &Windows, at: &str) -> TimeCheck {
    let started = Instant::now();
    let check = windows.at(utc(at));
    let took = started.elapsed();
    eprintln!("at({at}) took {took:?}");
    assert!(took < LIMIT, "at({at}) took {took:?}");
    check
}

fn timed_next_open(windows: &Windows, at: &str) -> Option<Timestamp> {
    match timed_check(windows, at) {
        TimeCheck::Open { reason } => panic!("expected closed, got open: {reason}"),
        TimeCheck::Closed { next_open, .. } => next_open,
    }
}

const ALWAYS: [&str; 3] = ["* * * ? * * *", "* * * * * ? *", "* * * ? * 1-7 *"];

#[test]
fn an_always_open_cron_window_inside_a_weekly_freeze_opens_when_the_freeze_ends() {
    for expression in ALWAYS {
        let windows = windows(json!({
            "timezone": "UTC",
            "allow": [{"cron": expression}],
            "freeze": [{"every": "week", "days": ["mon"], "from": "09:00", "to": "17:00"}]
        }));
        assert_eq!(
            timed_next_open(&windows, "2026-11-30T10:00Z"),
            Some(utc("2026-11-30T17:00Z")),
            "{expression}"
        );
        let started = Instant::now();
        let check = windows.check(utc("2026-11-30T10:00Z"), SignedDuration::from_mins(5));
        assert!(started.elapsed() < LIMIT);
        assert_eq!(check.opens, Some(utc("2026-11-30T17:00Z")));
    }
}

#[test]
fn an_always_open_cron_window_inside_a_one_off_freeze_opens_when_the_freeze_ends() {
    for (zone, end) in [
        ("UTC", "2026-11-05T00:00Z"),
        // Across the end of daylight saving time: 00:00 CET and 00:00 EST.
        ("Europe/Berlin", "2026-11-04T23:00Z"),
        ("America/New_York", "2026-11-05T05:00Z"),
    ] {
        for expression in ALWAYS {
            let windows = windows(json!({
                "timezone": zone,
                "allow": [{"cron": expression}],
                "freeze": [{"from": "2026-10-20T00:00", "to": "2026-11-05T00:00"}]
            }));
            let end = Some(utc(end));
            assert_eq!(
                timed_next_open(&windows, "2026-10-21T10:00Z"),
                end,
                "{zone} {expression}"
            );
        }
    }
}

#[test]
fn a_window_that_never_opens_reports_no_opening() {
    // A year that is past.
    let past = cron_only("UTC", "* * 9 ? * * 2025");
    assert_eq!(timed_next_open(&past, "2026-11-30T10:00Z"), None);
    // Allow windows entirely covered by freezes, a cron one and a weekly one.
    let covered = windows(json!({
        "timezone": "Europe/Berlin",
        "allow": [
            {"cron": "* * 9-16 ? * MON *"},
            {"days": ["mon"], "from": "09:00", "to": "17:00"}
        ],
        "freeze": [{"every": "week", "days": ["mon"], "from": "08:00", "to": "18:00"}]
    }));
    assert_eq!(timed_next_open(&covered, "2026-11-30T10:00Z"), None);
    // A day that never comes: February 30.
    let never = cron_only("America/New_York", "* * 9 30 2 ? *");
    assert_eq!(timed_next_open(&never, "2026-11-30T10:00Z"), None);
}

#[test]
fn a_dense_cron_window_under_a_freeze_longer_than_the_horizon_reports_no_opening() {
    // 720 starts a day for 400 days, every one frozen; across clock changes in both zones.
    for zone in ["UTC", "Europe/Berlin", "America/New_York"] {
        let windows = windows(json!({
            "timezone": zone,
            "allow": [{"cron": "* 0/2 * ? * * *"}],
            "freeze": [{"from": "2026-03-01T00:00", "to": "2036-03-01T00:00", "reason": "decade"}]
        }));
        for at in [
            "2026-03-15T10:00Z",
            "2026-10-25T01:30Z",
            "2026-11-01T06:30Z",
        ] {
            assert_eq!(timed_next_open(&windows, at), None, "{zone} {at}");
        }
        let started = Instant::now();
        let check = windows.check(utc("2026-10-25T01:30Z"), SignedDuration::from_mins(5));
        assert!(started.elapsed() < LIMIT);
        assert_eq!(check.opens, None);
        assert!(
            check
                .reason
                .ends_with("no window opens in the next 400 days")
        );
    }
}

#[test]
fn a_dense_cron_window_opens_at_its_first_start_after_a_long_freeze() {
    // A freeze of 300 days: the search jumps over it rather than reading 216,000 starts.
    for (zone, end) in [
        ("UTC", "2027-01-01T00:00Z"),
        ("Europe/Berlin", "2026-12-31T23:00Z"),
        ("America/New_York", "2027-01-01T05:00Z"),
    ] {
        let windows = windows(json!({
            "timezone": zone,
            "allow": [{"cron": "* 0/2 * ? * * *"}],
            "freeze": [
                {"from": "2026-03-01T00:00", "to": "2026-12-31T23:59"},
                {"every": "week", "days": ["sun"], "from": "00:00", "to": "24:00"}
            ]
        }));
        // 2026-12-31 23:59 is not an even minute; the next start is 00:00 on Friday.
        assert_eq!(
            timed_next_open(&windows, "2026-03-15T10:00Z"),
            Some(utc(end)),
            "{zone}"
        );
    }
}

#[test]
fn periods_read_at_most_the_calendars_longest_span() {
    let windows = allow("UTC", &["mon"], "09:00", "17:00");
    let from = utc("2026-01-01T00:00Z");
    let started = Instant::now();
    let periods = windows.periods(from, utc("2036-01-01T00:00Z"));
    let took = started.elapsed();
    eprintln!("periods over 401 days took {took:?}");
    assert!(took < Duration::from_secs(2), "periods took {took:?}");
    assert_eq!(
        periods.last().map(|period| period.to),
        Some(from + SignedDuration::from_hours(24 * 401))
    );
}

fn cron_only(zone: &str, expression: &str) -> Windows {
    windows(json!({"timezone": zone, "allow": [{"cron": expression}]}))
}

const ZONES: [&str; 3] = ["UTC", "Europe/Berlin", "America/New_York"];

fn expression() -> impl Strategy<Value = String> {
    let minute = prop::sample::select(vec!["*", "0/2", "0-29", "15,45", "0/15", "59", "58-59,0-1"]);
    let hour = prop::sample::select(vec!["*", "9-16", "0-1,22-23", "2", "*/3", "1-3"]);
    let days = prop::sample::select(vec![
        "* * ? *",
        "? * * *",
        "L-3 * ? *",
        "L * ? *",
        "15W * ? *",
        "LW * ? *",
        "1/3 * ? *",
        "? * L *",
        "? * 6L *",
        "? * MON#1 *",
        "? * MON/2 *",
        "? * MON-FRI *",
        "1 JAN/3 ? *",
        "* * ? 2025",
        "* * ? 2026-2027",
        "? * 1-7 2027/1",
        "30 2 ? *",
    ]);
    (minute, hour, days).prop_map(|(minute, hour, days)| format!("* {minute} {hour} {days}"))
}

fn freeze() -> impl Strategy<Value = Value> {
    prop_oneof![
        (
            prop::sample::subsequence(vec!["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 1..=7),
            0i32..24,
            0i32..24
        )
            .prop_map(|(days, from, to)| {
                json!({"every": "week", "days": days,
                       "from": format!("{from:02}:00"), "to": format!("{to:02}:30")})
            }),
        (0i64..365, 1i64..(3 * 365)).prop_map(|(start, days)| {
            let from = jiff::civil::date(2026, 1, 1) + SignedDuration::from_hours(24 * start);
            let to = from + SignedDuration::from_hours(24 * days);
            json!({"from": format!("{from}T00:00"), "to": format!("{to}T00:00")})
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_reported_opening_is_open_and_nothing_sampled_before_it_is(
        zone in 0..ZONES.len(),
        allow in prop::collection::vec(expression(), 1..=2),
        freezes in prop::collection::vec(freeze(), 0..=3),
        seconds in 0i64..(365 * 86_400),
        samples in prop::collection::vec(0.0f64..1.0, 50),
    ) {
        // given cron windows from the accepted grammar, freezes and an instant in 2026
        let allow: Vec<Value> = allow.iter().map(|cron| json!({"cron": cron})).collect();
        let document = json!({"timezone": ZONES[zone], "allow": allow, "freeze": freezes});
        let windows = windows(document.clone());
        let now = utc("2026-01-01T00:00Z") + SignedDuration::from_secs(seconds);

        // when checked
        let started = Instant::now();
        let check = windows.at(now);
        let took = started.elapsed();

        // then it answers within the bound
        prop_assert!(took < LIMIT * 2, "{document} at {now}: {took:?}");
        let TimeCheck::Closed { next_open: Some(next), .. } = check else { return Ok(()) };
        // and a reported opening is later, open, and nothing sampled before it is open
        prop_assert!(next > now, "{document} at {now}: {next}");
        prop_assert!(windows.at(next).is_open(), "{document} at {now}: {next}");
        let first = now.as_second().div_euclid(60) + 1;
        let last = next.as_second().div_euclid(60);
        for sample in samples {
            if last <= first {
                break;
            }
            let span = (last - first) as f64;
            let minute = first + (sample * span) as i64;
            let at = Timestamp::from_second(minute * 60).unwrap();
            if at < next {
                prop_assert!(!windows.at(at).is_open(), "{document} at {now}: {at} < {next}");
            }
        }
    }
}
