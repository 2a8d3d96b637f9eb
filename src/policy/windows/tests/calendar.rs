//! The windows as a calendar: periods where the state changes, and clock changes.

use jiff::SignedDuration;

use super::*;

fn states(windows: &Windows, from: &str, until: &str) -> Vec<(String, String, WindowState)> {
    windows
        .periods(utc(from), utc(until))
        .into_iter()
        .map(|period| (period.from.to_string(), period.to.to_string(), period.state))
        .collect()
}

#[test]
fn periods_merge_minutes_of_one_state_and_name_the_freeze() {
    let windows = windows(example());
    // Thu 2026-12-17 in Berlin (UTC+1): open 09:00-16:30, closed until Friday's 09:00.
    let periods = states(&windows, "2026-12-17T00:00:00Z", "2026-12-18T00:00:00Z");
    assert_eq!(
        periods,
        vec![
            (
                "2026-12-17T00:00:00Z".into(),
                "2026-12-17T08:00:00Z".into(),
                WindowState::Outside
            ),
            (
                "2026-12-17T08:00:00Z".into(),
                "2026-12-17T15:30:00Z".into(),
                WindowState::Open
            ),
            (
                "2026-12-17T15:30:00Z".into(),
                "2026-12-18T00:00:00Z".into(),
                WindowState::Outside
            ),
        ]
    );
    let frozen = states(&windows, "2026-12-22T00:00:00Z", "2026-12-22T01:00:00Z");
    assert_eq!(
        frozen[0].2,
        WindowState::Frozen(Frozen {
            name: "year-end freeze".into(),
            text: "\"year-end freeze\" (2026-12-21 00:00 to 2027-01-04 06:00 Europe/Berlin)".into()
        })
    );
}

#[test]
fn periods_agree_with_the_check_at_every_minute_around_a_fall_back() {
    // The repeated hour of the last Sunday of October 2026 in Berlin: 02:00-03:00 twice.
    let windows = allow("Europe/Berlin", &["sun"], "02:30", "03:30");
    let (from, until) = (utc("2026-10-24T22:00:00Z"), utc("2026-10-25T04:00:00Z"));
    let periods = windows.periods(from, until);
    for period in &periods {
        let mut at = period.from;
        while at < period.to {
            assert_eq!(
                windows.state_at(at) == WindowState::Open,
                windows.at(at).is_open()
            );
            assert_eq!(windows.state_at(at), period.state, "at {at}");
            at = at.checked_add(SignedDuration::from_mins(1)).unwrap();
        }
    }
    // Entered at 02:30 CEST, left when the clock turns back to 02:00, entered again at the
    // second 02:30 and left at 03:30 CET.
    let open: Vec<(String, String)> = periods
        .iter()
        .filter(|period| period.state == WindowState::Open)
        .map(|period| (period.from.to_string(), period.to.to_string()))
        .collect();
    assert_eq!(
        open,
        vec![
            ("2026-10-25T00:30:00Z".into(), "2026-10-25T01:00:00Z".into()),
            ("2026-10-25T01:30:00Z".into(), "2026-10-25T02:30:00Z".into()),
        ]
    );
    let changes = windows.clock_changes(from, until);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].at, utc("2026-10-25T01:00:00Z"));
    assert_eq!(
        changes[0].text,
        "clocks go from 03:00 CEST to 02:00 CET (-1h)"
    );
}

#[test]
fn a_cron_window_and_the_same_weekly_window_show_the_same_periods() {
    let by_cron = windows(json!({
        "timezone": "Europe/Berlin",
        "allow": [{"cron": "* * 9-16 ? * MON-THU *"}]
    }));
    let by_days = allow(
        "Europe/Berlin",
        &["mon", "tue", "wed", "thu"],
        "09:00",
        "17:00",
    );
    // A week that spans the end of daylight saving time.
    let (from, until) = ("2026-10-22T00:00:00Z", "2026-10-30T00:00:00Z");
    let periods = states(&by_cron, from, until);
    assert_eq!(periods, states(&by_days, from, until));
    assert_eq!(
        periods
            .iter()
            .filter(|(_, _, state)| *state == WindowState::Open)
            .count(),
        5,
        "Thu 22, Mon 26 to Thu 29 October, and no Friday"
    );
}
