use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{TimeCheck, parse};

const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Europe/London",
    "UTC",
];
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTE: SignedDuration = SignedDuration::from_mins(1);
const SEARCH_DAYS: i64 = 8;

#[derive(Clone, Debug)]
struct RawWeekly {
    days: BTreeSet<usize>,
    from: i32,
    to: i32,
}

#[derive(Clone, Debug)]
enum RawFreeze {
    /// Starts this many minutes from the anchor, on the local clock.
    OneOff {
        start: i64,
        length: i64,
        form: u8,
    },
    Yearly {
        near_anchor: bool,
        month: i8,
        day: i8,
        from: i32,
        days: i64,
        minutes: i32,
    },
    Weekly(RawWeekly),
}

#[derive(Clone, Debug)]
struct Raw {
    zone: usize,
    /// An index into the zone's 2026 transitions, or seconds into 2026.
    anchor: (bool, usize, i64),
    /// Seconds from the anchor to the instant checked.
    offset: i64,
    allow: Vec<RawWeekly>,
    freezes: Vec<RawFreeze>,
}

fn minute() -> impl Strategy<Value = i32> {
    prop_oneof![
        prop::sample::select(vec![0, 60, 90, 120, 135, 150, 165, 180, 210, 1380, 1439]),
        0i32..1440,
    ]
}

fn weekly() -> impl Strategy<Value = RawWeekly> {
    (
        prop::collection::btree_set(0usize..7, 1..=7),
        minute(),
        minute(),
        0u8..8,
    )
        .prop_map(|(days, from, to, shape)| {
            let to = match shape {
                0 => 1440,
                _ if to == from => (from + 60) % 1440,
                _ => to,
            };
            RawWeekly { days, from, to }
        })
}

fn freeze() -> impl Strategy<Value = RawFreeze> {
    prop_oneof![
        (-4320i64..4320, 1i64..2880, 0u8..4).prop_map(|(start, length, form)| {
            RawFreeze::OneOff {
                start,
                length,
                form,
            }
        }),
        (
            any::<bool>(),
            1i8..=12,
            1i8..=31,
            minute(),
            0i64..6,
            0i32..1440
        )
            .prop_map(|(near_anchor, month, day, from, days, minutes)| {
                RawFreeze::Yearly {
                    near_anchor,
                    month,
                    day,
                    from,
                    days,
                    minutes,
                }
            }),
        weekly().prop_map(RawFreeze::Weekly),
    ]
}

fn raw() -> impl Strategy<Value = Raw> {
    (
        0..ZONES.len(),
        (any::<bool>(), 0usize..8, 0i64..365 * 86_400),
        // Close to the anchor often, so instants land inside repeated hours and gaps.
        prop_oneof![-3 * 86_400i64..3 * 86_400, -4 * 3600i64..4 * 3600],
        prop::collection::vec(weekly(), 0..=3),
        prop::collection::vec(freeze(), 0..=3),
    )
        .prop_map(|(zone, anchor, offset, allow, freezes)| Raw {
            zone,
            anchor,
            offset,
            allow,
            freezes,
        })
}

struct Oracle {
    zone: TimeZone,
    allow: Vec<RawWeekly>,
    /// Every freeze as spans of real time `[from, to)`: a one-off's own, and each
    /// occurrence of a recurring one near the instant checked.
    freezes: Vec<(Timestamp, Timestamp)>,
}

impl RawWeekly {
    /// The window that starts on day `d` spans `[d + from, d + from + length)` on
    /// the local clock; only yesterday's and today's can hold `civil`.
    fn covers(&self, civil: DateTime) -> bool {
        let today = civil.date();
        [today.yesterday().unwrap(), today]
            .into_iter()
            .filter_map(|day| self.on_clock(day))
            .any(|(start, end)| start <= civil && civil < end)
    }

    /// The clock times `[start, end)` of the window that starts on `day`, if any.
    fn on_clock(&self, day: Date) -> Option<(DateTime, DateTime)> {
        let weekday = usize::try_from(day.weekday().to_monday_zero_offset()).unwrap();
        if !self.days.contains(&weekday) {
            return None;
        }
        let length = if self.to > self.from {
            self.to - self.from
        } else {
            self.to + 1440 - self.from
        };
        let start =
            day.to_datetime(Time::midnight()) + SignedDuration::from_mins(i64::from(self.from));
        Some((start, start + SignedDuration::from_mins(i64::from(length))))
    }

    fn json(&self) -> Value {
        let days: Vec<&str> = self.days.iter().map(|&d| DAY_NAMES[d]).collect();
        json!({"days": days, "from": clock(self.from), "to": clock(self.to)})
    }
}

fn clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn yearly_point(year: i16, (month, day, minute): (i8, i8, i32)) -> DateTime {
    let midnight = match Date::new(year, month, day) {
        Ok(date) => date,
        Err(_) => {
            assert_eq!((month, day), (2, 29));
            return Date::new(year, 3, 1).unwrap().to_datetime(Time::midnight());
        }
    };
    midnight.to_datetime(Time::midnight()) + SignedDuration::from_mins(i64::from(minute))
}

/// The first minute at which the clock reads `civil` or later.
fn earliest(zone: &TimeZone, civil: DateTime) -> Timestamp {
    let mut at = Offset::UTC.to_timestamp(civil).unwrap() - SignedDuration::from_hours(15);
    while zone.to_datetime(at) < civil {
        at += MINUTE;
    }
    at
}

/// The last minute at which the clock reads `civil` (the second time, in a repeated
/// hour), or when it never does, the first minute at which it reads a later time.
fn latest(zone: &TimeZone, civil: DateTime) -> Timestamp {
    let as_utc = Offset::UTC.to_timestamp(civil).unwrap();
    let mut at = as_utc + SignedDuration::from_hours(15);
    while at > as_utc - SignedDuration::from_hours(15) {
        if zone.to_datetime(at) == civil {
            return at;
        }
        at -= MINUTE;
    }
    earliest(zone, civil)
}

impl Oracle {
    fn open(&self, at: Timestamp) -> bool {
        let civil = self.zone.to_datetime(at);
        let frozen = self
            .freezes
            .iter()
            .any(|(from, to)| *from <= at && at < *to);
        !frozen && (self.allow.is_empty() || self.allow.iter().any(|w| w.covers(civil)))
    }
}

fn local_text(civil: DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute()
    )
}

/// Builds the policy document, its oracle and the instant to check; the flag says
/// whether the document should be accepted (a one-off may resolve to nothing).
fn build(raw: &Raw) -> (Value, Oracle, Timestamp, bool) {
    let name = ZONES[raw.zone];
    let zone = jiff::tz::db().get(name).unwrap();
    let year_start = zone
        .to_timestamp(Date::new(2026, 1, 1).unwrap().into())
        .unwrap();
    let transitions: Vec<Timestamp> = zone
        .following(year_start)
        .map(|t| t.timestamp())
        .take_while(|t| *t < year_start + SignedDuration::from_hours(24 * 365))
        .collect();
    let anchor = match raw.anchor {
        (true, index, _) if !transitions.is_empty() => transitions[index % transitions.len()],
        (_, _, seconds) => year_start + SignedDuration::from_secs(seconds),
    };
    let anchor_civil = zone.to_datetime(anchor);
    let anchor_minute = anchor_civil
        .date()
        .to_datetime(Time::new(anchor_civil.hour(), anchor_civil.minute(), 0, 0).unwrap());

    let now = anchor + SignedDuration::from_secs(raw.offset);
    // Recurring freezes are placed from a few days before `now` to past the end of
    // the search for the next opening.
    let first = zone.to_datetime(now - SignedDuration::from_hours(24 * 3));
    let last = zone.to_datetime(now + SignedDuration::from_hours(24 * (SEARCH_DAYS + 2)));
    // A recurring freeze runs from the first time its start is on the clock to the
    // last time its end is.
    let span = |(start, end): (DateTime, DateTime)| (earliest(&zone, start), latest(&zone, end));

    let mut valid = true;
    let mut freezes = Vec::new();
    let mut freeze_json = Vec::new();
    for freeze in &raw.freezes {
        match freeze {
            RawFreeze::OneOff {
                start,
                length,
                form,
            } => {
                let from = anchor_minute + SignedDuration::from_mins(*start);
                let to = from + SignedDuration::from_mins(*length);
                let (from_text, to_text, span) = match form {
                    0 | 1 => {
                        let span = (earliest(&zone, from), latest(&zone, to));
                        (local_text(from), local_text(to), span)
                    }
                    _ => {
                        let from = zone.to_timestamp(from).unwrap();
                        let to = zone.to_timestamp(to).unwrap();
                        let (offset, suffix) = if *form == 2 {
                            (Offset::UTC, "Z")
                        } else {
                            (Offset::from_seconds(-(3 * 3600 + 1800)).unwrap(), "-03:30")
                        };
                        (
                            format!("{}{suffix}", local_text(offset.to_datetime(from))),
                            format!("{}{suffix}", local_text(offset.to_datetime(to))),
                            (from, to),
                        )
                    }
                };
                valid &= span.0 < span.1;
                freezes.push(span);
                freeze_json.push(json!({"from": from_text, "to": to_text}));
            }
            RawFreeze::Yearly {
                near_anchor,
                month,
                day,
                from,
                days,
                minutes,
            } => {
                let start = if *near_anchor {
                    anchor_civil.date() - SignedDuration::from_hours(24 * 2)
                } else {
                    let day = (*day).min(Date::new(2024, *month, 1).unwrap().days_in_month());
                    Date::new(2024, *month, day).unwrap()
                };
                // Read the month and day in a leap year, as the policy does.
                let start = Date::new(2024, start.month(), start.day())
                    .unwrap()
                    .to_datetime(Time::midnight())
                    + SignedDuration::from_mins(i64::from(*from));
                let end = start
                    + SignedDuration::from_hours(24 * days)
                    + SignedDuration::from_mins(i64::from(*minutes));
                let point = |at: DateTime| {
                    (
                        at.month(),
                        at.day(),
                        i32::from(at.hour()) * 60 + i32::from(at.minute()),
                    )
                };
                let (from, to) = (point(start), point(end));
                let text =
                    |(m, d, minute): (i8, i8, i32)| format!("{m:02}-{d:02} {}", clock(minute));
                valid &= from != to;
                for year in first.year() - 1..=last.year() {
                    let end_year = if to < from { year + 1 } else { year };
                    freezes.push(span((yearly_point(year, from), yearly_point(end_year, to))));
                }
                freeze_json.push(json!({"every": "year", "from": text(from), "to": text(to)}));
            }
            RawFreeze::Weekly(window) => {
                let mut document = window.json();
                document["every"] = json!("week");
                let mut day = first.date();
                while day <= last.date() {
                    freezes.extend(window.on_clock(day).map(span));
                    day = day.tomorrow().unwrap();
                }
                freeze_json.push(document);
            }
        }
    }
    let document = json!({
        "timezone": name,
        "allow": raw.allow.iter().map(RawWeekly::json).collect::<Vec<_>>(),
        "freeze": freeze_json,
    });
    let oracle = Oracle {
        zone,
        allow: raw.allow.clone(),
        freezes,
    };
    (document, oracle, now, valid)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn check_and_next_open_agree_with_the_definition(raw in raw()) {
        // given a random policy and an instant near a transition or anywhere in 2026
        let (document, oracle, now, valid) = build(&raw);
        let parsed = parse(document.clone());
        prop_assert_eq!(parsed.is_ok(), valid, "{} {:?}", document, parsed.as_ref().err());
        let Ok(windows) = parsed else { return Ok(()) };

        // when checked
        let check = windows.at(now);

        // then open or closed is as the definition says
        let open = oracle.open(now);
        prop_assert_eq!(check.is_open(), open, "{} at {}: {:?}", document, now, check);
        let TimeCheck::Closed { next_open, reason, .. } = check else { return Ok(()) };
        prop_assert!(!reason.chars().any(char::is_control) && reason.len() < 300);

        // and next_open is the first open minute, as far as stepping can afford to look
        let limit = now + SignedDuration::from_hours(24 * SEARCH_DAYS);
        let next_minute = (now.as_second().div_euclid(60) + 1) * 60;
        let mut at = Timestamp::from_second(next_minute).unwrap();
        while at <= limit && !oracle.open(at) {
            at += MINUTE;
        }
        if at <= limit {
            prop_assert_eq!(next_open, Some(at), "{} at {}", document, now);
        } else {
            let beyond = next_open.is_none_or(|next| next > limit);
            prop_assert!(beyond, "{} at {}", document, now);
        }
    }
}
