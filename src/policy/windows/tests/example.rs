//! The example policy from the docs.

use super::*;

// --- the example policy ---

#[test]
fn defers_outside_office_hours_until_next_morning() {
    // given the example policy, on Wednesday 2026-11-25 at 20:00 in Berlin
    let windows = windows(example());
    // when checked
    let check = windows.at(utc("2026-11-25T19:00Z"));
    // then it is closed until Thursday 09:00 Berlin
    assert_eq!(
        check,
        TimeCheck::Closed {
            reason: "outside every allow window; now Wed 2026-11-25 20:00 CET (Europe/Berlin)"
                .into(),
            next_open: Some(utc("2026-11-26T08:00Z")),
            next_open_text: Some("Thu 2026-11-26 09:00 CET (Europe/Berlin)".into()),
        }
    );
    assert_eq!(windows.outside(), Severity::Defer);
    assert_eq!(windows.timezone_name(), "Europe/Berlin");
}

#[test]
fn opens_inside_office_hours() {
    let windows = windows(example());
    assert_eq!(
        windows.at(utc("2026-11-26T09:00Z")),
        TimeCheck::Open {
            reason: "inside allow window mon,tue,wed,thu 09:00-16:30 (Europe/Berlin)".into()
        }
    );
}

#[test]
fn allow_window_end_is_exclusive() {
    let windows = windows(example());
    assert!(is_open(&windows, "2026-11-26T08:00:00Z"));
    assert!(is_open(&windows, "2026-11-26T15:29:59Z"));
    assert!(!is_open(&windows, "2026-11-26T15:30:00Z"));
    assert!(!is_open(&windows, "2026-11-26T07:59:59Z"));
}

#[test]
fn one_off_freeze_beats_allow_window_and_names_its_reason() {
    // given the example policy, on Monday 2026-12-21 at 10:00, inside the year-end freeze
    let windows = windows(example());
    let check = windows.at(utc("2026-12-21T09:00Z"));
    // then the freeze wins and the gate reopens on the first office morning after it
    assert_eq!(
        check,
        TimeCheck::Closed {
            reason: "frozen by \"year-end freeze\" (2026-12-21 00:00 to 2027-01-04 06:00 \
                     Europe/Berlin); now Mon 2026-12-21 10:00 CET"
                .into(),
            next_open: Some(utc("2027-01-04T08:00Z")),
            next_open_text: Some("Mon 2027-01-04 09:00 CET (Europe/Berlin)".into()),
        }
    );
}

#[test]
fn one_off_freeze_accepts_explicit_offsets() {
    // given the same span written in UTC and with an offset
    let zulu = freeze_only(
        "Europe/Berlin",
        json!({"from": "2026-06-01T10:00Z", "to": "2026-06-01T12:00Z"}),
    );
    let offset = freeze_only(
        "Europe/Berlin",
        json!({"from": "2026-06-01T12:00+02:00", "to": "2026-06-01T07:00-05:00"}),
    );
    for windows in [zulu, offset] {
        assert!(is_open(&windows, "2026-06-01T09:59Z"));
        assert!(!is_open(&windows, "2026-06-01T10:00Z"));
        assert_eq!(
            windows.at(utc("2026-06-01T11:00Z")),
            TimeCheck::Closed {
                reason: "frozen by a one-off freeze (2026-06-01 12:00 to 2026-06-01 14:00 \
                         Europe/Berlin); now Mon 2026-06-01 13:00 CEST"
                    .into(),
                next_open: Some(utc("2026-06-01T12:00Z")),
                next_open_text: Some("Mon 2026-06-01 14:00 CEST (Europe/Berlin)".into()),
            }
        );
    }
}

#[test]
fn without_allow_windows_is_open_unless_frozen() {
    let windows = windows(json!({"timezone": "Europe/Berlin", "allow": []}));
    assert_eq!(
        windows.at(utc("2026-11-25T03:00Z")),
        TimeCheck::Open {
            reason: "no allow windows and no freeze applies (Europe/Berlin)".into()
        }
    );
    assert_eq!(windows.outside(), Severity::Abstain);
}

#[test]
fn never_opening_windows_have_no_next_open() {
    // given a Monday window that a Monday-long weekly freeze always covers
    let windows = windows(json!({
        "timezone": "Europe/Berlin",
        "allow": [{"days": ["mon"], "from": "09:00", "to": "17:00"}],
        "freeze": [{"every": "week", "days": ["mon"], "from": "00:00", "to": "24:00"}]
    }));
    // then nothing opens within the horizon
    match windows.at(utc("2026-11-23T10:00Z")) {
        TimeCheck::Closed {
            next_open,
            next_open_text,
            reason,
        } => {
            assert_eq!(next_open, None);
            assert_eq!(next_open_text, None);
            assert_eq!(
                reason,
                "frozen by a weekly freeze (every mon 00:00-24:00 Europe/Berlin); \
                 now Mon 2026-11-23 11:00 CET"
            );
        }
        other => panic!("expected closed, got {other:?}"),
    }
}
