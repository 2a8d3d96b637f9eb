//! Daylight-saving changes and unusual offsets.

use super::*;

// --- daylight saving: Europe/Berlin (2026-03-29 02:00->03:00, 2026-10-25 03:00->02:00) ---

#[test]
fn window_starting_in_the_spring_gap_opens_when_the_clock_resumes() {
    let windows = allow("Europe/Berlin", &["sun"], "02:30", "04:00");
    assert!(!is_open(&windows, "2026-03-29T00:59Z")); // 01:59 CET
    assert!(is_open(&windows, "2026-03-29T01:00Z")); // 03:00 CEST
    assert!(!is_open(&windows, "2026-03-29T02:00Z")); // 04:00 CEST
    assert_eq!(
        windows.at(utc("2026-03-28T20:00Z")),
        TimeCheck::Closed {
            reason: "outside every allow window; now Sat 2026-03-28 21:00 CET (Europe/Berlin)"
                .into(),
            next_open: Some(utc("2026-03-29T01:00Z")),
            next_open_text: Some("Sun 2026-03-29 03:00 CEST (Europe/Berlin)".into()),
        }
    );
}

#[test]
fn window_inside_the_spring_gap_skips_that_day() {
    let windows = allow("Europe/Berlin", &["sun"], "02:15", "02:45");
    assert!(!is_open(&windows, "2026-03-29T01:00Z"));
    // the following Sunday, 02:15 CEST
    assert_eq!(
        next_open(&windows, "2026-03-28T12:00Z"),
        Some(utc("2026-04-05T00:15Z"))
    );
}

#[test]
fn window_over_the_repeated_hour_lasts_two_hours_in_autumn() {
    let windows = allow("Europe/Berlin", &["sun"], "02:00", "03:00");
    assert!(!is_open(&windows, "2026-10-24T23:59Z")); // 01:59 CEST
    assert!(is_open(&windows, "2026-10-25T00:00Z")); // 02:00 CEST
    assert!(is_open(&windows, "2026-10-25T01:00Z")); // 02:00 CET
    assert!(is_open(&windows, "2026-10-25T01:59Z")); // 02:59 CET
    assert!(!is_open(&windows, "2026-10-25T02:00Z")); // 03:00 CET
}

#[test]
fn window_starting_inside_the_repeated_hour_is_entered_twice() {
    let windows = allow("Europe/Berlin", &["sun"], "02:30", "03:30");
    assert!(is_open(&windows, "2026-10-25T00:30Z")); // 02:30 CEST
    assert!(!is_open(&windows, "2026-10-25T01:00Z")); // 02:00 CET, clock went back
    assert_eq!(
        next_open(&windows, "2026-10-25T01:00Z"),
        Some(utc("2026-10-25T01:30Z"))
    );
    assert!(is_open(&windows, "2026-10-25T02:29Z")); // 03:29 CET
    assert!(!is_open(&windows, "2026-10-25T02:30Z"));
}

#[test]
fn weekly_freeze_starting_inside_the_repeated_hour_holds_until_its_last_end() {
    // given a Sunday freeze 02:30-03:30 in Berlin, on the autumn change
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"every": "week", "days": ["sun"], "from": "02:30", "to": "03:30"}),
    );
    assert!(is_open(&windows, "2026-10-25T00:29Z")); // 02:29 CEST
    assert!(!is_open(&windows, "2026-10-25T00:30Z")); // 02:30 CEST
    assert!(!is_open(&windows, "2026-10-25T01:00Z")); // 02:00 CET, clock went back
    // when checked at 02:15 CET, a clock time before `from`
    let check = windows.at(utc("2026-10-25T01:15Z"));
    // then it is still frozen, until the clock reads 03:30 CET
    assert_eq!(
        check,
        TimeCheck::Closed {
            reason: "frozen by a weekly freeze (every sun 02:30-03:30 Europe/Berlin); \
                     now Sun 2026-10-25 02:15 CET"
                .into(),
            next_open: Some(utc("2026-10-25T02:30Z")),
            next_open_text: Some("Sun 2026-10-25 03:30 CET (Europe/Berlin)".into()),
        }
    );
    assert!(!is_open(&windows, "2026-10-25T02:29Z")); // 03:29 CET
    assert!(is_open(&windows, "2026-10-25T02:30Z")); // 03:30 CET
    // and on an ordinary Sunday it lasts the hour written
    assert!(!is_open(&windows, "2026-11-01T01:30Z")); // 02:30 CET
    assert!(is_open(&windows, "2026-11-01T02:30Z")); // 03:30 CET
}

#[test]
fn weekly_freeze_ending_inside_the_repeated_hour_ends_at_its_second_occurrence() {
    // given a Sunday freeze 01:00-02:30 in Berlin, on the autumn change
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"every": "week", "days": ["sun"], "from": "01:00", "to": "02:30"}),
    );
    // then it runs without a break from 01:00 CEST to 02:30 CET, including 02:30-03:00
    // CEST, when the clock already reads past `to` but will read it again
    assert!(is_open(&windows, "2026-10-24T22:59Z")); // 00:59 CEST
    assert!(!is_open(&windows, "2026-10-24T23:00Z")); // 01:00 CEST
    assert!(!is_open(&windows, "2026-10-25T00:30Z")); // 02:30 CEST
    assert!(!is_open(&windows, "2026-10-25T00:59Z")); // 02:59 CEST
    assert!(!is_open(&windows, "2026-10-25T01:00Z")); // 02:00 CET
    assert!(!is_open(&windows, "2026-10-25T01:29Z")); // 02:29 CET
    assert!(is_open(&windows, "2026-10-25T01:30Z")); // 02:30 CET
    assert_eq!(
        next_open(&windows, "2026-10-25T00:45Z"),
        Some(utc("2026-10-25T01:30Z"))
    );
}

#[test]
fn weekly_freeze_ending_where_the_repeated_hour_begins_ends_at_its_second_occurrence() {
    // given a Sunday freeze 01:00-02:00 in Berlin: 02:00 is on the clock at 02:00 CEST
    // and again at 02:00 CET
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"every": "week", "days": ["sun"], "from": "01:00", "to": "02:00"}),
    );
    assert!(!is_open(&windows, "2026-10-25T00:00Z")); // 02:00 CEST
    assert!(!is_open(&windows, "2026-10-25T00:59Z")); // 02:59 CEST
    assert!(is_open(&windows, "2026-10-25T01:00Z")); // 02:00 CET
    assert_eq!(
        next_open(&windows, "2026-10-24T23:30Z"),
        Some(utc("2026-10-25T01:00Z"))
    );
}

#[test]
fn yearly_freeze_starting_inside_the_repeated_hour_holds_until_its_last_end() {
    // given a yearly freeze on 10-25 02:30-03:30 in Berlin; 2026-10-25 is the autumn change
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"every": "year", "from": "10-25 02:30", "to": "10-25 03:30"}),
    );
    assert!(is_open(&windows, "2026-10-25T00:29Z")); // 02:29 CEST
    assert!(!is_open(&windows, "2026-10-25T00:30Z")); // 02:30 CEST
    assert!(!is_open(&windows, "2026-10-25T01:15Z")); // 02:15 CET
    assert_eq!(
        windows.at(utc("2026-10-25T01:15Z")),
        TimeCheck::Closed {
            reason: "frozen by a yearly freeze (every year 10-25 02:30 to 10-25 03:30 \
                     Europe/Berlin); now Sun 2026-10-25 02:15 CET"
                .into(),
            next_open: Some(utc("2026-10-25T02:30Z")),
            next_open_text: Some("Sun 2026-10-25 03:30 CET (Europe/Berlin)".into()),
        }
    );
    assert!(is_open(&windows, "2026-10-25T02:30Z")); // 03:30 CET
    // in 2027 the change is on 10-31, so 10-25 02:30-03:30 is one CEST hour
    assert!(is_open(&windows, "2027-10-25T00:29Z"));
    assert!(!is_open(&windows, "2027-10-25T00:30Z"));
    assert!(is_open(&windows, "2027-10-25T01:30Z"));
}

#[test]
fn yearly_freeze_ending_inside_the_repeated_hour_ends_at_its_second_occurrence() {
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"every": "year", "from": "10-20 00:00", "to": "10-25 02:30"}),
    );
    assert!(!is_open(&windows, "2026-10-25T00:30Z")); // 02:30 CEST
    assert!(!is_open(&windows, "2026-10-25T01:29Z")); // 02:29 CET
    assert!(is_open(&windows, "2026-10-25T01:30Z")); // 02:30 CET
    assert_eq!(
        next_open(&windows, "2026-10-22T12:00Z"),
        Some(utc("2026-10-25T01:30Z"))
    );
}

#[test]
fn next_open_keeps_the_wall_clock_across_transitions() {
    let windows = allow("Europe/Berlin", &["mon"], "09:00", "17:00");
    // Friday before the spring change, then before the autumn change
    assert_eq!(
        next_open(&windows, "2026-03-27T18:00Z"),
        Some(utc("2026-03-30T07:00Z"))
    );
    assert_eq!(
        next_open(&windows, "2026-10-23T18:00Z"),
        Some(utc("2026-10-26T08:00Z"))
    );
}

#[test]
fn ambiguous_one_off_bounds_cover_both_occurrences() {
    // given a freeze written from 02:30 to 02:45 on the autumn change
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"from": "2026-10-25T02:30", "to": "2026-10-25T02:45"}),
    );
    // then it runs from the first 02:30 (CEST) to the second 02:45 (CET)
    assert!(is_open(&windows, "2026-10-25T00:29Z"));
    assert!(!is_open(&windows, "2026-10-25T00:30Z"));
    assert!(!is_open(&windows, "2026-10-25T01:10Z"));
    assert!(!is_open(&windows, "2026-10-25T01:44Z"));
    assert!(is_open(&windows, "2026-10-25T01:45Z"));
}

#[test]
fn non_existent_one_off_bounds_move_to_the_end_of_the_gap() {
    let windows = freeze_only(
        "Europe/Berlin",
        json!({"from": "2026-03-29T02:30", "to": "2026-03-29T04:00"}),
    );
    assert!(is_open(&windows, "2026-03-29T00:59Z"));
    assert!(!is_open(&windows, "2026-03-29T01:00Z"));
    assert_eq!(
        next_open(&windows, "2026-03-29T01:00Z"),
        Some(utc("2026-03-29T02:00Z"))
    );
}

#[test]
fn one_off_inside_a_single_gap_is_refused_as_empty() {
    let path = error_path(json!({"timezone": "Europe/Berlin", "freeze": [
        {"from": "2026-03-29T02:10", "to": "2026-03-29T02:40"}
    ]}));
    assert_eq!(path, "rules[0].windows.freeze[0].to");
}

// --- daylight saving: America/New_York (2026-03-08 02:00->03:00, 2026-11-01 02:00->01:00) ---

#[test]
fn new_york_window_starting_in_the_gap_opens_at_three() {
    let windows = allow("America/New_York", &["sun"], "02:30", "03:30");
    assert!(!is_open(&windows, "2026-03-08T06:59Z")); // 01:59 EST
    assert!(is_open(&windows, "2026-03-08T07:00Z")); // 03:00 EDT
    assert!(!is_open(&windows, "2026-03-08T07:30Z")); // 03:30 EDT
    assert_eq!(
        next_open(&windows, "2026-03-08T01:00Z"),
        Some(utc("2026-03-08T07:00Z"))
    );
}

#[test]
fn new_york_window_over_the_repeated_hour_lasts_two_hours() {
    let windows = allow("America/New_York", &["sun"], "01:00", "02:00");
    assert!(is_open(&windows, "2026-11-01T05:00Z")); // 01:00 EDT
    assert!(is_open(&windows, "2026-11-01T06:30Z")); // 01:30 EST
    assert!(!is_open(&windows, "2026-11-01T07:00Z")); // 02:00 EST
}

#[test]
fn new_york_weekly_freeze_starting_inside_the_repeated_hour_holds_until_its_last_end() {
    // given a Sunday freeze 01:30-02:30; on 2026-11-01 the clock goes 02:00 EDT -> 01:00 EST
    let windows = freeze_only(
        "America/New_York",
        json!({"every": "week", "days": ["sun"], "from": "01:30", "to": "02:30"}),
    );
    assert!(is_open(&windows, "2026-11-01T05:29Z")); // 01:29 EDT
    assert!(!is_open(&windows, "2026-11-01T05:30Z")); // 01:30 EDT
    assert!(!is_open(&windows, "2026-11-01T06:00Z")); // 01:00 EST, clock went back
    assert!(!is_open(&windows, "2026-11-01T06:15Z")); // 01:15 EST
    assert!(!is_open(&windows, "2026-11-01T07:29Z")); // 02:29 EST
    assert!(is_open(&windows, "2026-11-01T07:30Z")); // 02:30 EST
    assert_eq!(
        windows.at(utc("2026-11-01T06:15Z")),
        TimeCheck::Closed {
            reason: "frozen by a weekly freeze (every sun 01:30-02:30 America/New_York); \
                     now Sun 2026-11-01 01:15 EST"
                .into(),
            next_open: Some(utc("2026-11-01T07:30Z")),
            next_open_text: Some("Sun 2026-11-01 02:30 EST (America/New_York)".into()),
        }
    );
}

#[test]
fn new_york_next_open_across_the_spring_change() {
    let windows = allow("America/New_York", &["sun"], "09:00", "17:00");
    // Saturday 20:00 EST; Sunday 09:00 is already EDT
    assert_eq!(
        windows.at(utc("2026-03-08T01:00Z")),
        TimeCheck::Closed {
            reason: "outside every allow window; now Sat 2026-03-07 20:00 EST \
                     (America/New_York)"
                .into(),
            next_open: Some(utc("2026-03-08T13:00Z")),
            next_open_text: Some("Sun 2026-03-08 09:00 EDT (America/New_York)".into()),
        }
    );
}

// --- other offsets ---

#[test]
fn kolkata_half_hour_offset() {
    let windows = allow(
        "Asia/Kolkata",
        &["mon", "tue", "wed", "thu", "fri"],
        "10:00",
        "18:00",
    );
    assert_eq!(
        windows.at(utc("2026-07-06T04:00Z")),
        TimeCheck::Closed {
            reason: "outside every allow window; now Mon 2026-07-06 09:30 IST (Asia/Kolkata)"
                .into(),
            next_open: Some(utc("2026-07-06T04:30Z")),
            next_open_text: Some("Mon 2026-07-06 10:00 IST (Asia/Kolkata)".into()),
        }
    );
    assert!(is_open(&windows, "2026-07-06T12:29Z"));
    assert!(!is_open(&windows, "2026-07-06T12:30Z"));
}

#[test]
fn lord_howe_half_hour_spring_gap() {
    // 2026-10-04 02:00 +10:30 becomes 02:30 +11:00 (15:30Z)
    let windows = allow("Australia/Lord_Howe", &["sun"], "02:00", "03:00");
    assert!(!is_open(&windows, "2026-10-03T15:29Z")); // 01:59 +10:30
    assert!(is_open(&windows, "2026-10-03T15:30Z")); // 02:30 +11:00
    assert!(!is_open(&windows, "2026-10-03T16:00Z")); // 03:00 +11:00
    assert_eq!(
        next_open(&windows, "2026-10-03T12:00Z"),
        Some(utc("2026-10-03T15:30Z"))
    );
}

#[test]
fn lord_howe_half_hour_repeated_in_autumn() {
    // 2026-04-05 02:00 +11:00 becomes 01:30 +10:30 (15:00Z)
    let windows = allow("Australia/Lord_Howe", &["sun"], "01:30", "02:00");
    assert!(!is_open(&windows, "2026-04-04T14:29Z"));
    assert!(is_open(&windows, "2026-04-04T14:30Z")); // 01:30 +11:00
    assert!(is_open(&windows, "2026-04-04T15:00Z")); // 01:30 +10:30
    assert!(is_open(&windows, "2026-04-04T15:29Z")); // 01:59 +10:30
    assert!(!is_open(&windows, "2026-04-04T15:30Z")); // 02:00 +10:30
}
