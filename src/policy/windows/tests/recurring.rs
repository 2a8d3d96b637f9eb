//! Weekly windows and freezes, and yearly freezes.

use super::*;

// --- weekly windows and freezes ---

#[test]
fn weekly_freeze_closes_an_open_day() {
    // given every day 08:00-20:00 open but Friday afternoons frozen
    let windows = windows(json!({
        "timezone": "Europe/Berlin",
        "allow": [{
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "from": "08:00",
            "to": "20:00"
        }],
        "freeze": [{
            "every": "week",
            "days": ["fri"],
            "from": "15:00",
            "to": "23:59",
            "reason": "no Friday deploys"
        }]
    }));
    // when checked on Friday 2026-11-27 at 16:00
    let check = windows.at(utc("2026-11-27T15:00Z"));
    // then it is frozen until Saturday 08:00
    assert_eq!(
        check,
        TimeCheck::Closed {
            reason: "frozen by \"no Friday deploys\" (every fri 15:00-23:59 Europe/Berlin); \
                     now Fri 2026-11-27 16:00 CET"
                .into(),
            next_open: Some(utc("2026-11-28T07:00Z")),
            next_open_text: Some("Sat 2026-11-28 08:00 CET (Europe/Berlin)".into()),
        }
    );
    assert!(is_open(&windows, "2026-11-27T13:59Z"));
}

#[test]
fn midnight_crossing_allow_window_belongs_to_its_start_day() {
    // given Friday 22:00 to 02:00
    let windows = allow("UTC", &["fri"], "22:00", "02:00");
    assert!(!is_open(&windows, "2026-11-27T21:59Z")); // Fri
    assert!(is_open(&windows, "2026-11-27T22:00Z"));
    assert!(is_open(&windows, "2026-11-28T01:59Z")); // Sat, still Friday's window
    assert!(!is_open(&windows, "2026-11-28T02:00Z"));
    assert!(!is_open(&windows, "2026-11-28T23:00Z")); // Sat evening is not Friday
    assert!(!is_open(&windows, "2026-11-27T01:00Z")); // Fri early is Thursday's, not listed
    assert_eq!(
        next_open(&windows, "2026-11-28T03:00Z"),
        Some(utc("2026-12-04T22:00Z"))
    );
}

#[test]
fn midnight_crossing_weekly_freeze_reaches_into_the_next_day() {
    let windows = freeze_only(
        "UTC",
        json!({"every": "week", "days": ["sun"], "from": "22:00", "to": "06:00"}),
    );
    assert!(is_open(&windows, "2026-11-29T21:59Z")); // Sun
    assert!(!is_open(&windows, "2026-11-30T05:00Z")); // Mon
    assert_eq!(
        next_open(&windows, "2026-11-30T05:00Z"),
        Some(utc("2026-11-30T06:00Z"))
    );
}

#[test]
fn window_to_24_00_runs_to_the_end_of_the_day() {
    let windows = allow("UTC", &["sat"], "18:00", "24:00");
    assert!(is_open(&windows, "2026-11-28T23:59:59Z"));
    assert!(!is_open(&windows, "2026-11-29T00:00Z"));
    assert_eq!(
        windows.at(utc("2026-11-28T19:00Z")),
        TimeCheck::Open {
            reason: "inside allow window sat 18:00-24:00 (UTC)".into()
        }
    );
}

// --- yearly freezes ---

#[test]
fn yearly_freeze_crosses_the_new_year() {
    let windows = freeze_only(
        "UTC",
        json!({"every": "year", "from": "12-20 00:00", "to": "01-06 00:00"}),
    );
    assert!(is_open(&windows, "2026-12-19T23:59Z"));
    assert!(!is_open(&windows, "2026-12-20T00:00Z"));
    assert!(!is_open(&windows, "2026-12-31T23:59Z"));
    assert!(!is_open(&windows, "2027-01-05T12:00Z"));
    assert!(is_open(&windows, "2027-01-06T00:00Z"));
    assert!(is_open(&windows, "2027-06-01T00:00Z"));
    assert_eq!(
        next_open(&windows, "2026-12-25T00:00Z"),
        Some(utc("2027-01-06T00:00Z"))
    );
    assert_eq!(
        next_open(&windows, "2027-01-02T00:00Z"),
        Some(utc("2027-01-06T00:00Z"))
    );
}

#[test]
fn yearly_freeze_from_leap_day_starts_on_march_first_in_common_years() {
    let windows = freeze_only(
        "UTC",
        json!({"every": "year", "from": "02-29 12:00", "to": "03-02 00:00"}),
    );
    // 2028 is a leap year
    assert!(is_open(&windows, "2028-02-29T11:59Z"));
    assert!(!is_open(&windows, "2028-02-29T12:00Z"));
    assert!(is_open(&windows, "2028-03-02T00:00Z"));
    // 2027 is not: the boundary becomes 03-01 00:00
    assert!(is_open(&windows, "2027-02-28T23:59Z"));
    assert!(!is_open(&windows, "2027-03-01T00:00Z"));
    assert!(is_open(&windows, "2027-03-02T00:00Z"));
}

#[test]
fn yearly_freeze_to_leap_day_ends_on_march_first_in_common_years() {
    let windows = freeze_only(
        "UTC",
        json!({"every": "year", "from": "02-20 00:00", "to": "02-29 12:00"}),
    );
    assert!(!is_open(&windows, "2028-02-29T11:59Z"));
    assert!(is_open(&windows, "2028-02-29T12:00Z"));
    assert!(!is_open(&windows, "2027-02-28T23:59Z"));
    assert!(is_open(&windows, "2027-03-01T00:00Z"));
    assert_eq!(
        next_open(&windows, "2027-02-25T00:00Z"),
        Some(utc("2027-03-01T00:00Z"))
    );
    assert_eq!(
        next_open(&windows, "2028-02-25T00:00Z"),
        Some(utc("2028-02-29T12:00Z"))
    );
}

#[test]
fn yearly_freeze_is_read_on_the_local_clock() {
    // given the example's Christmas freeze, in Berlin
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"every": "year", "from": "12-24 00:00", "to": "12-27 00:00"}),
    );
    assert!(is_open(&windows, "2026-12-23T22:59Z"));
    assert!(!is_open(&windows, "2026-12-23T23:00Z"));
    assert_eq!(
        windows.at(utc("2026-12-25T09:00Z")),
        TimeCheck::Closed {
            reason: "frozen by a yearly freeze (every year 12-24 00:00 to 12-27 00:00 \
                     Europe/Berlin); now Fri 2026-12-25 10:00 CET"
                .into(),
            next_open: Some(utc("2026-12-26T23:00Z")),
            next_open_text: Some("Sun 2026-12-27 00:00 CET (Europe/Berlin)".into()),
        }
    );
}
