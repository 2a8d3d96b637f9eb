//! Time windows and freezes: when a rule may approve at all.
//!
//! A rule's `windows` names a time zone, the weekly windows in which approving is allowed,
//! and the freezes in which it never is. A freeze always beats an allow window, and a
//! policy without allow windows is open whenever no freeze applies.
//!
//! # Wall-clock semantics
//!
//! Recurring windows (allow windows, weekly and yearly freezes) are written on the local wall
//! clock of the rule's zone. An allow window holds an instant when its civil time in that
//! zone falls within `[from, to)`. A window whose `to` is not after its `from` crosses
//! midnight (or, for a yearly freeze, the new year) and belongs to the day it starts on.
//! Around daylight-saving changes this means:
//!
//! - On a spring-forward day, a window whose start does not exist on the clock opens at the
//!   first instant after the gap (02:30 in Berlin on the last Sunday of March opens at
//!   03:00 CEST). A window lying entirely inside the gap does not open that day.
//! - On a fall-back day, clock times in the repeated hour happen twice and both count: a
//!   window over 02:00-03:00 in Berlin lasts two real hours. Equally, an allow window that
//!   starts inside the repeated hour (say 02:30-03:30) is left when the clock jumps back to
//!   02:00 and entered again at the second 02:30.
//!
//! Freezes never shrink around a fall-back. Each occurrence of a weekly or yearly freeze is a
//! span of real time from the first instant its `from` is on the clock to the last instant
//! its `to` is, so once begun it holds without a break: a Sunday freeze 02:30-03:30 in Berlin
//! on the last Sunday of October runs from 02:30 CEST to 03:30 CET, and one over 01:00-02:30
//! from 01:00 CEST to 02:30 CET. On a spring-forward day a bound the clock skips means the
//! first instant after the gap, as above; elsewhere this is the same as reading the clock.
//!
//! One-off freezes are spans of real time too, resolved the same way so the freeze is never
//! shorter than written: an ambiguous `from` (repeated hour) takes its earlier instant and an
//! ambiguous `to` its later one, and a time that does not exist takes the first instant after
//! the gap. This is deliberately not jiff's "compatible" rule, which would move 02:30 to
//! 03:30.
//!
//! In a year without February 29, a yearly boundary written as `02-29 HH:MM` means
//! `03-01 00:00`, whatever its clock time.
//!
//! Only the time zone database compiled into the binary is used: the Lambda image has no
//! `/usr/share/zoneinfo`, and a decision must not depend on the host it runs on.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::PolicyError;

/// How far ahead `next_open` looks: a little over a year, so every yearly freeze ends inside it.
const HORIZON_DAYS: i64 = 400;
const MINUTES_PER_DAY: i32 = 24 * 60;
/// Reasons are quoted into a 512-character approval summary, so they must stay short.
const REASON_MAX_CHARS: usize = 100;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What a rule document holds under `"windows"`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsDocument {
    timezone: String,
    #[serde(default, deserialize_with = "super::not_null")]
    allow: Vec<WeeklyDocument>,
    #[serde(default, deserialize_with = "super::not_null")]
    freeze: Vec<FreezeDocument>,
    #[serde(default, deserialize_with = "super::not_null")]
    outside: Outside,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WeeklyDocument {
    days: Vec<String>,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FreezeDocument {
    #[serde(default, deserialize_with = "super::present")]
    every: Option<Every>,
    #[serde(default, deserialize_with = "super::present")]
    days: Option<Vec<String>>,
    from: String,
    to: String,
    #[serde(default, deserialize_with = "super::present")]
    reason: Option<String>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Every {
    Year,
    Week,
}

/// What a rule answers when an approval arrives outside its windows or inside a freeze.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outside {
    Reject,
    /// Leave the approval to a human: the safe default.
    #[default]
    Abstain,
    /// Hold the approval and decide it once the windows open again.
    Defer,
}

/// A rule's validated windows, ready to be checked against an instant.
#[derive(Clone, Debug)]
pub struct Windows {
    zone: TimeZone,
    zone_name: String,
    allow: Vec<Weekly>,
    freezes: Vec<Freeze>,
    outside: Outside,
}

/// Whether an instant lies inside a rule's windows, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeCheck {
    /// `reason` e.g. "inside allow window mon,tue,wed,thu 09:00-16:30 (Europe/Berlin)".
    Open { reason: String },
    /// `reason` names the freeze or says the instant is outside every allow window, with the
    /// local time. `next_open` is the next instant the gate may approve (`None` if nothing
    /// opens within 400 days), and `next_open_text` renders it in the rule's zone, e.g.
    /// "Mon 2027-01-04 09:00 CET (Europe/Berlin)".
    Closed {
        reason: String,
        next_open: Option<Timestamp>,
        next_open_text: Option<String>,
    },
}

impl TimeCheck {
    pub fn is_open(&self) -> bool {
        matches!(self, TimeCheck::Open { .. })
    }
}

impl Windows {
    /// `at` is the path of the windows object, e.g. `rules[0].windows`.
    pub fn from_document(document: WindowsDocument, at: &str) -> Result<Self, PolicyError> {
        let zone = resolve_zone(&document.timezone)
            .map_err(|message| error(format!("{at}.timezone"), message))?;
        let zone_name = zone.iana_name().unwrap_or(&document.timezone).to_string();
        let allow = document
            .allow
            .into_iter()
            .enumerate()
            .map(|(index, window)| {
                Weekly::parse(
                    &window.days,
                    &window.from,
                    &window.to,
                    &format!("{at}.allow[{index}]"),
                )
            })
            .collect::<Result<_, _>>()?;
        let freezes = document
            .freeze
            .into_iter()
            .enumerate()
            .map(|(index, freeze)| Freeze::parse(freeze, &zone, &format!("{at}.freeze[{index}]")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            zone,
            zone_name,
            allow,
            freezes,
            outside: document.outside,
        })
    }

    pub fn outside(&self) -> Outside {
        self.outside
    }

    pub fn timezone_name(&self) -> &str {
        &self.zone_name
    }

    /// Whether `now` is inside an allow window and outside every freeze, with words for why.
    pub fn check(&self, now: Timestamp) -> TimeCheck {
        let reason = match self.state(now) {
            State::Open(Some(window)) => {
                return TimeCheck::Open {
                    reason: format!("inside allow window {window} ({})", self.zone_name),
                };
            }
            State::Open(None) => {
                return TimeCheck::Open {
                    reason: format!(
                        "no allow windows and no freeze applies ({})",
                        self.zone_name
                    ),
                };
            }
            State::Frozen(freeze) => format!(
                "frozen by {} ({} {}); now {}",
                freeze.name(),
                freeze.span,
                self.zone_name,
                self.render(now)
            ),
            State::Outside => format!(
                "outside every allow window; now {} ({})",
                self.render(now),
                self.zone_name
            ),
        };
        let next_open = self.next_open(now);
        TimeCheck::Closed {
            reason,
            next_open,
            next_open_text: next_open.map(|at| format!("{} ({})", self.render(at), self.zone_name)),
        }
    }

    fn state(&self, now: Timestamp) -> State<'_> {
        let civil = self.zone.to_datetime(now);
        if let Some(freeze) = self
            .freezes
            .iter()
            .find(|f| f.covers(&self.zone, now, civil))
        {
            return State::Frozen(freeze);
        }
        if self.allow.is_empty() {
            return State::Open(None);
        }
        match self.allow.iter().find(|window| window.covers(civil)) {
            Some(window) => State::Open(Some(window)),
            None => State::Outside,
        }
    }

    /// The gate can only turn from closed to open where an allow window starts, a freeze
    /// ends, or the clock jumps at a zone transition; the earliest such instant that is open
    /// is the answer, so nothing needs to step through time.
    fn next_open(&self, now: Timestamp) -> Option<Timestamp> {
        let horizon = now
            .checked_add(SignedDuration::from_hours(24 * HORIZON_DAYS))
            .ok()?;
        let mut candidates: Vec<Timestamp> = self
            .zone
            .following(now)
            .map(|transition| transition.timestamp())
            .take_while(|&at| at <= horizon)
            .collect();
        let zone = &self.zone;
        let add = |candidates: &mut Vec<Timestamp>, civil: Option<DateTime>| {
            if let Some(civil) = civil {
                candidates.extend(occurrences(zone, civil));
            }
        };

        // Two days early, since an instant in a repeated hour after midnight can still read
        // as the previous day, and a freeze lasts until the last time its end is on the clock.
        let first_day = self
            .zone
            .to_datetime(now)
            .date()
            .yesterday()
            .and_then(|day| day.yesterday())
            .ok()?;
        let last_day = self.zone.to_datetime(horizon).date();
        let mut day = first_day;
        while day <= last_day {
            for window in &self.allow {
                add(&mut candidates, window.start(day));
            }
            for freeze in &self.freezes {
                if let Rule::Weekly(window) = &freeze.rule {
                    add(&mut candidates, window.end(day));
                }
            }
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        for freeze in &self.freezes {
            match &freeze.rule {
                Rule::OneOff { to, .. } => candidates.push(*to),
                Rule::Yearly { to, .. } => {
                    for year in first_day.year()..=last_day.year() {
                        add(&mut candidates, to.in_year(year));
                    }
                }
                Rule::Weekly(_) => {}
            }
        }

        candidates.retain(|&at| now < at && at <= horizon);
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .find(|&at| matches!(self.state(at), State::Open(_)))
    }

    /// e.g. "Thu 2026-11-26 09:00 CET"
    fn render(&self, at: Timestamp) -> String {
        let civil = self.zone.to_datetime(at);
        let info = self.zone.to_offset_info(at);
        format!(
            "{} {} {}",
            weekday_title(civil.weekday()),
            render_civil(civil),
            info.abbreviation()
        )
    }
}

enum State<'w> {
    /// Inside this allow window, or `None` when there are no allow windows.
    Open(Option<&'w Weekly>),
    Frozen(&'w Freeze),
    Outside,
}

/// A weekly span of wall-clock time, as minutes of the day: `to` up to 1440 ("24:00"), and
/// not after `from` when the span crosses midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Weekly {
    days: [bool; 7],
    from: i32,
    to: i32,
}

impl Weekly {
    fn parse(days: &[String], from: &str, to: &str, at: &str) -> Result<Self, PolicyError> {
        let days = parse_days(days, at)?;
        let from =
            parse_clock(from, false).map_err(|message| error(format!("{at}.from"), message))?;
        let to = parse_clock(to, true).map_err(|message| error(format!("{at}.to"), message))?;
        if from == to {
            return Err(error(
                format!("{at}.to"),
                "equals `from`, so the length is unclear; use 00:00 to 24:00 for a whole day",
            ));
        }
        Ok(Self { days, from, to })
    }

    fn on(&self, weekday: Weekday) -> bool {
        usize::try_from(weekday.to_monday_zero_offset())
            .ok()
            .and_then(|index| self.days.get(index).copied())
            .unwrap_or(false)
    }

    fn crosses_midnight(&self) -> bool {
        self.to <= self.from
    }

    fn covers(&self, civil: DateTime) -> bool {
        let minute = minute_of_day(civil);
        let today = self.on(civil.weekday());
        if self.crosses_midnight() {
            (today && minute >= self.from)
                || (self.on(civil.weekday().previous()) && minute < self.to)
        } else {
            today && self.from <= minute && minute < self.to
        }
    }

    /// Where the window that belongs to `day` starts on the clock, if it has one that day.
    fn start(&self, day: Date) -> Option<DateTime> {
        self.on(day.weekday()).then(|| at_minute(day, self.from))?
    }

    fn end(&self, day: Date) -> Option<DateTime> {
        let to = if self.crosses_midnight() {
            self.to + MINUTES_PER_DAY
        } else {
            self.to
        };
        self.on(day.weekday()).then(|| at_minute(day, to))?
    }
}

impl std::fmt::Display for Weekly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days: Vec<&str> = DAY_NAMES
            .iter()
            .zip(self.days)
            .filter_map(|(name, on)| on.then_some(*name))
            .collect();
        write!(
            f,
            "{} {}-{}",
            days.join(","),
            render_clock(self.from),
            render_clock(self.to)
        )
    }
}

#[derive(Clone, Debug)]
struct Freeze {
    rule: Rule,
    reason: Option<String>,
    /// The span as people read it, e.g. "12-24 00:00 to 12-27 00:00".
    span: String,
}

#[derive(Clone, Debug)]
enum Rule {
    OneOff { from: Timestamp, to: Timestamp },
    Yearly { from: YearlyPoint, to: YearlyPoint },
    Weekly(Weekly),
}

impl Freeze {
    fn parse(document: FreezeDocument, zone: &TimeZone, at: &str) -> Result<Self, PolicyError> {
        let reason = document
            .reason
            .map(|text| check_reason(&text).map(|()| text))
            .transpose()
            .map_err(|message| error(format!("{at}.reason"), message))?;
        let from_at = format!("{at}.from");
        let to_at = format!("{at}.to");
        let not_weekly = |days: &Option<Vec<String>>| match days {
            Some(_) => Err(error(
                format!("{at}.days"),
                "`days` belongs only to a weekly freeze (\"every\": \"week\")",
            )),
            None => Ok(()),
        };
        let (rule, span) = match document.every {
            None => {
                not_weekly(&document.days)?;
                let from = parse_instant(&document.from, zone, Side::Earliest)
                    .map_err(|message| error(&from_at, message))?;
                let to = parse_instant(&document.to, zone, Side::Latest)
                    .map_err(|message| error(&to_at, message))?;
                if to <= from {
                    return Err(error(&to_at, "must be after `from`"));
                }
                let span = format!(
                    "{} to {}",
                    render_civil(zone.to_datetime(from)),
                    render_civil(zone.to_datetime(to))
                );
                (Rule::OneOff { from, to }, span)
            }
            Some(Every::Year) => {
                not_weekly(&document.days)?;
                let from = YearlyPoint::parse(&document.from)
                    .map_err(|message| error(&from_at, message))?;
                let to =
                    YearlyPoint::parse(&document.to).map_err(|message| error(&to_at, message))?;
                if from == to {
                    return Err(error(
                        &to_at,
                        "equals `from`: a yearly freeze needs a length",
                    ));
                }
                (
                    Rule::Yearly { from, to },
                    format!("every year {from} to {to}"),
                )
            }
            Some(Every::Week) => {
                let days = document
                    .days
                    .ok_or_else(|| error(format!("{at}.days"), "a weekly freeze needs `days`"))?;
                let window = Weekly::parse(&days, &document.from, &document.to, at)?;
                (Rule::Weekly(window), format!("every {window}"))
            }
        };
        Ok(Self { rule, reason, span })
    }

    /// A recurring freeze is in force from the first instant its start is on the clock to
    /// the last instant its end is, so a repeated hour never opens a hole in it. Only the
    /// occurrences that begin near `civil` can hold `now`: a little more than a day back for
    /// a weekly one (it lasts at most a day), a year back for a yearly one, and one more day
    /// or year either way for a repeated hour that crosses midnight.
    fn covers(&self, zone: &TimeZone, now: Timestamp, civil: DateTime) -> bool {
        match &self.rule {
            Rule::OneOff { from, to } => *from <= now && now < *to,
            Rule::Yearly { from, to } => (-2..=1).any(|shift| {
                let Some(year) = civil.year().checked_add(shift) else {
                    return true;
                };
                let end_year = if to < from {
                    year.checked_add(1)
                } else {
                    Some(year)
                };
                in_span(
                    zone,
                    now,
                    from.in_year(year),
                    end_year.and_then(|end_year| to.in_year(end_year)),
                )
            }),
            Rule::Weekly(window) => (-2..=1).any(|shift| {
                let Ok(day) = civil
                    .date()
                    .checked_add(SignedDuration::from_hours(24 * shift))
                else {
                    return true;
                };
                window.on(day.weekday()) && in_span(zone, now, window.start(day), window.end(day))
            }),
        }
    }

    fn name(&self) -> String {
        match (&self.reason, &self.rule) {
            (Some(reason), _) => format!("\"{reason}\""),
            (None, Rule::OneOff { .. }) => "a one-off freeze".into(),
            (None, Rule::Yearly { .. }) => "a yearly freeze".into(),
            (None, Rule::Weekly(_)) => "a weekly freeze".into(),
        }
    }
}

/// Whether `now` is inside the real-time span of a recurring freeze that runs from `start`
/// to `end` on the clock: from the earliest instant of `start` to the latest of `end`, as a
/// one-off freeze resolves its bounds. Fails closed: a span that cannot be placed is in force.
fn in_span(
    zone: &TimeZone,
    now: Timestamp,
    start: Option<DateTime>,
    end: Option<DateTime>,
) -> bool {
    let from = start.and_then(|start| resolve(zone, start, Side::Earliest));
    let to = end.and_then(|end| resolve(zone, end, Side::Latest));
    match (from, to) {
        (Some(from), Some(to)) => from <= now && now < to,
        _ => true,
    }
}

/// A point in every year, "MM-DD HH:MM"; ordered as it falls in a leap year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct YearlyPoint {
    month: i8,
    day: i8,
    minute: i32,
}

impl YearlyPoint {
    fn parse(text: &str) -> Result<Self, String> {
        let expected = || format!("expected \"MM-DD HH:MM\", got {text:?}");
        let (date, clock) = text.split_once(' ').ok_or_else(expected)?;
        let (month, day) = date.split_once('-').ok_or_else(expected)?;
        let month = two_digits(month).ok_or_else(expected)?;
        let day = two_digits(day).ok_or_else(expected)?;
        // 2024 is a leap year, so Feb 29 counts as a real date here.
        Date::new(2024, month, day).map_err(|_| format!("{text:?} is not a day of the year"))?;
        let minute = parse_clock(clock, false)?;
        Ok(Self { month, day, minute })
    }

    fn in_year(self, year: i16) -> Option<DateTime> {
        match Date::new(year, self.month, self.day) {
            Ok(date) => at_minute(date, self.minute),
            Err(_) if self.month == 2 && self.day == 29 => {
                at_minute(Date::new(year, 3, 1).ok()?, 0)
            }
            Err(_) => None,
        }
    }
}

impl std::fmt::Display for YearlyPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}-{:02} {}",
            self.month,
            self.day,
            render_clock(self.minute)
        )
    }
}

#[derive(Clone, Copy)]
enum Side {
    Earliest,
    Latest,
}

fn resolve_zone(name: &str) -> Result<TimeZone, String> {
    if name.trim().is_empty() {
        return Err("a time zone is required, e.g. \"Europe/Berlin\"".into());
    }
    jiff::tz::db().get(name).map_err(|_| {
        format!("unknown time zone {name:?}: expected an IANA name such as \"Europe/Berlin\"")
    })
}

fn parse_days(days: &[String], at: &str) -> Result<[bool; 7], PolicyError> {
    if days.is_empty() {
        return Err(error(format!("{at}.days"), "needs at least one day"));
    }
    let mut set = [false; 7];
    for (index, day) in days.iter().enumerate() {
        let at = format!("{at}.days[{index}]");
        let slot = DAY_NAMES
            .iter()
            .position(|name| name == day)
            .and_then(|position| set.get_mut(position))
            .ok_or_else(|| {
                error(
                    &at,
                    format!("expected one of {}, got {day:?}", DAY_NAMES.join(", ")),
                )
            })?;
        if *slot {
            return Err(error(&at, format!("{day:?} is listed twice")));
        }
        *slot = true;
    }
    Ok(set)
}

/// "HH:MM" as minutes of the day; "24:00" only where it can end a day.
fn parse_clock(text: &str, end_of_day: bool) -> Result<i32, String> {
    let range = if end_of_day {
        "00:00 to 24:00"
    } else {
        "00:00 to 23:59"
    };
    let invalid = || format!("expected a time \"HH:MM\" from {range}, got {text:?}");
    let (hour, minute) = text.split_once(':').ok_or_else(invalid)?;
    let hour = i32::from(two_digits(hour).ok_or_else(invalid)?);
    let minute = i32::from(two_digits(minute).ok_or_else(invalid)?);
    let total = hour * 60 + minute;
    let fits = minute < 60 && (hour < 24 || (end_of_day && total == MINUTES_PER_DAY));
    if fits { Ok(total) } else { Err(invalid()) }
}

fn two_digits(text: &str) -> Option<i8> {
    match text.as_bytes() {
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9'] => {
            i8::try_from((tens - b'0') * 10 + (ones - b'0')).ok()
        }
        _ => None,
    }
}

/// "YYYY-MM-DDTHH:MM" in the rule's zone, or followed by "Z" or "+HH:MM"/"-HH:MM".
fn parse_instant(text: &str, zone: &TimeZone, side: Side) -> Result<Timestamp, String> {
    let invalid = || {
        format!(
            "expected \"YYYY-MM-DDTHH:MM\", optionally with an offset such as \"+01:00\" \
             or \"Z\", got {text:?}"
        )
    };
    let (local, offset) = match text.get(16..) {
        Some("") => (text, None),
        Some("Z") => (text.get(..16).ok_or_else(invalid)?, Some(0)),
        Some(suffix) => {
            let sign = match suffix.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(invalid()),
            };
            let minutes = suffix
                .get(1..)
                .and_then(|clock| parse_clock(clock, false).ok())
                .ok_or_else(invalid)?;
            (
                text.get(..16).ok_or_else(invalid)?,
                Some(sign * minutes * 60),
            )
        }
        None => return Err(invalid()),
    };
    let (date, clock) = local.split_once('T').ok_or_else(invalid)?;
    let mut parts = date.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let year: i16 = year.parse().map_err(|_| invalid())?;
    let month = two_digits(month).ok_or_else(invalid)?;
    let day = two_digits(day).ok_or_else(invalid)?;
    let date = Date::new(year, month, day).map_err(|_| format!("{text:?} is not a date"))?;
    let civil = at_minute(date, parse_clock(clock, false)?).ok_or_else(invalid)?;
    match offset {
        Some(seconds) => Offset::from_seconds(seconds)
            .and_then(|offset| offset.to_timestamp(civil))
            .map_err(|_| invalid()),
        None => resolve(zone, civil, side).ok_or_else(invalid),
    }
}

/// The instant a local date-time names, choosing a side when the clock repeats it and the
/// end of the gap when the clock skips it.
fn resolve(zone: &TimeZone, civil: DateTime, side: Side) -> Option<Timestamp> {
    match zone.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(civil).ok(),
        AmbiguousOffset::Fold { before, after } => match side {
            Side::Earliest => before.to_timestamp(civil).ok(),
            Side::Latest => after.to_timestamp(civil).ok(),
        },
        AmbiguousOffset::Gap { after, .. } => gap_end(zone, civil, after),
    }
}

/// Read with the later offset, a time inside a gap lands before the transition, so the
/// next transition from there is where the clock resumes.
fn gap_end(zone: &TimeZone, civil: DateTime, after: Offset) -> Option<Timestamp> {
    let before_gap = after.to_timestamp(civil).ok()?;
    zone.following(before_gap)
        .next()
        .map(|transition| transition.timestamp())
}

/// Every instant at which the clock reaches `civil`: two in a repeated hour, and the end of
/// the gap for a time the clock skips.
fn occurrences(zone: &TimeZone, civil: DateTime) -> Vec<Timestamp> {
    match zone.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => {
            offset.to_timestamp(civil).ok().into_iter().collect()
        }
        AmbiguousOffset::Fold { before, after } => [before, after]
            .into_iter()
            .filter_map(|offset| offset.to_timestamp(civil).ok())
            .collect(),
        AmbiguousOffset::Gap { after, .. } => gap_end(zone, civil, after).into_iter().collect(),
    }
}

fn check_reason(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("must not be blank; leave it out instead".into());
    }
    if text.chars().any(char::is_control) {
        return Err("must be one line of printable text".into());
    }
    if text.chars().count() > REASON_MAX_CHARS {
        return Err(format!("must be at most {REASON_MAX_CHARS} characters"));
    }
    Ok(())
}

/// `minute` may run past midnight into the next day (a window crossing midnight ends there).
fn at_minute(date: Date, minute: i32) -> Option<DateTime> {
    let (date, minute) = if minute >= MINUTES_PER_DAY {
        (date.tomorrow().ok()?, minute - MINUTES_PER_DAY)
    } else {
        (date, minute)
    };
    let hour = i8::try_from(minute / 60).ok()?;
    let minute = i8::try_from(minute % 60).ok()?;
    Time::new(hour, minute, 0, 0)
        .ok()
        .map(|time| date.to_datetime(time))
}

fn minute_of_day(civil: DateTime) -> i32 {
    i32::from(civil.hour()) * 60 + i32::from(civil.minute())
}

fn render_clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn render_civil(civil: DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {}",
        civil.year(),
        civil.month(),
        civil.day(),
        render_clock(minute_of_day(civil))
    )
}

fn weekday_title(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

fn error(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        message: message.into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Stands in for the rule document, so paths read as they do in a real policy.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RuleDocument {
        windows: WindowsDocument,
    }

    fn parse(windows: Value) -> Result<Windows, PolicyError> {
        let text = json!({ "windows": windows }).to_string();
        let mut deserializer = serde_json::Deserializer::from_str(&text);
        let rule: RuleDocument = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|e| error(format!("rules[0].{}", e.path()), e.into_inner().to_string()))?;
        Windows::from_document(rule.windows, "rules[0].windows")
    }

    fn windows(document: Value) -> Windows {
        parse(document).unwrap()
    }

    fn error_path(document: Value) -> String {
        match parse(document) {
            Ok(_) => panic!("expected the document to be refused"),
            Err(error) => error.path,
        }
    }

    fn utc(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn is_open(windows: &Windows, at: &str) -> bool {
        windows.check(utc(at)).is_open()
    }

    fn next_open(windows: &Windows, at: &str) -> Option<Timestamp> {
        match windows.check(utc(at)) {
            TimeCheck::Open { reason } => panic!("expected closed, got open: {reason}"),
            TimeCheck::Closed { next_open, .. } => next_open,
        }
    }

    fn example() -> Value {
        json!({
            "timezone": "Europe/Berlin",
            "allow": [{"days": ["mon", "tue", "wed", "thu"], "from": "09:00", "to": "16:30"}],
            "freeze": [
                {"from": "2026-12-21T00:00", "to": "2027-01-04T06:00", "reason": "year-end freeze"},
                {"every": "year", "from": "12-24 00:00", "to": "12-27 00:00"},
                {"every": "week", "days": ["fri"], "from": "15:00", "to": "23:59"}
            ],
            "outside": "defer"
        })
    }

    fn allow(zone: &str, days: &[&str], from: &str, to: &str) -> Windows {
        windows(json!({"timezone": zone, "allow": [{"days": days, "from": from, "to": to}]}))
    }

    fn freeze_only(zone: &str, freeze: Value) -> Windows {
        windows(json!({"timezone": zone, "freeze": [freeze]}))
    }

    // --- the example policy ---

    #[test]
    fn defers_outside_office_hours_until_next_morning() {
        // given the example policy, on Wednesday 2026-11-25 at 20:00 in Berlin
        let windows = windows(example());
        // when checked
        let check = windows.check(utc("2026-11-25T19:00Z"));
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
        assert_eq!(windows.outside(), Outside::Defer);
        assert_eq!(windows.timezone_name(), "Europe/Berlin");
    }

    #[test]
    fn opens_inside_office_hours() {
        let windows = windows(example());
        assert_eq!(
            windows.check(utc("2026-11-26T09:00Z")),
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
        let check = windows.check(utc("2026-12-21T09:00Z"));
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
                windows.check(utc("2026-06-01T11:00Z")),
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
            windows.check(utc("2026-11-25T03:00Z")),
            TimeCheck::Open {
                reason: "no allow windows and no freeze applies (Europe/Berlin)".into()
            }
        );
        assert_eq!(windows.outside(), Outside::Abstain);
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
        match windows.check(utc("2026-11-23T10:00Z")) {
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
        let check = windows.check(utc("2026-11-27T15:00Z"));
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
            windows.check(utc("2026-11-28T19:00Z")),
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
            windows.check(utc("2026-12-25T09:00Z")),
            TimeCheck::Closed {
                reason: "frozen by a yearly freeze (every year 12-24 00:00 to 12-27 00:00 \
                         Europe/Berlin); now Fri 2026-12-25 10:00 CET"
                    .into(),
                next_open: Some(utc("2026-12-26T23:00Z")),
                next_open_text: Some("Sun 2026-12-27 00:00 CET (Europe/Berlin)".into()),
            }
        );
    }

    // --- daylight saving: Europe/Berlin (2026-03-29 02:00->03:00, 2026-10-25 03:00->02:00) ---

    #[test]
    fn window_starting_in_the_spring_gap_opens_when_the_clock_resumes() {
        let windows = allow("Europe/Berlin", &["sun"], "02:30", "04:00");
        assert!(!is_open(&windows, "2026-03-29T00:59Z")); // 01:59 CET
        assert!(is_open(&windows, "2026-03-29T01:00Z")); // 03:00 CEST
        assert!(!is_open(&windows, "2026-03-29T02:00Z")); // 04:00 CEST
        assert_eq!(
            windows.check(utc("2026-03-28T20:00Z")),
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
        let check = windows.check(utc("2026-10-25T01:15Z"));
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
            windows.check(utc("2026-10-25T01:15Z")),
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
            windows.check(utc("2026-11-01T06:15Z")),
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
            windows.check(utc("2026-03-08T01:00Z")),
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
            windows.check(utc("2026-07-06T04:00Z")),
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

    // --- parsing ---

    #[test]
    fn outside_defaults_to_abstain_and_reads_every_answer() {
        for (text, outside) in [
            ("reject", Outside::Reject),
            ("abstain", Outside::Abstain),
            ("defer", Outside::Defer),
        ] {
            let windows = windows(json!({"timezone": "UTC", "outside": text}));
            assert_eq!(windows.outside(), outside);
        }
        assert_eq!(
            windows(json!({"timezone": "UTC"})).outside(),
            Outside::Abstain
        );
    }

    #[test]
    fn refuses_an_unknown_time_zone() {
        let error = parse(json!({"timezone": "Europe/Berln"})).err().unwrap();
        assert_eq!(error.path, "rules[0].windows.timezone");
        assert!(error.message.contains("Europe/Berln"), "{}", error.message);
        assert_eq!(
            error_path(json!({"timezone": ""})),
            "rules[0].windows.timezone"
        );
    }

    #[test]
    fn refuses_a_missing_time_zone() {
        assert_eq!(error_path(json!({"allow": []})), "rules[0].windows");
    }

    #[test]
    fn refuses_bad_days_where_they_are() {
        let with_days = |days: Value| {
            json!({
                "timezone": "UTC",
                "allow": [{"days": days, "from": "09:00", "to": "17:00"}]
            })
        };
        assert_eq!(
            error_path(with_days(json!(["mon", "Tue"]))),
            "rules[0].windows.allow[0].days[1]"
        );
        assert_eq!(
            error_path(with_days(json!(["mon", "mon"]))),
            "rules[0].windows.allow[0].days[1]"
        );
        assert_eq!(
            error_path(with_days(json!([]))),
            "rules[0].windows.allow[0].days"
        );
    }

    #[test]
    fn refuses_bad_clock_times() {
        let window = |from: &str, to: &str| {
            json!({
                "timezone": "UTC",
                "allow": [{"days": ["mon"], "from": from, "to": to}]
            })
        };
        assert_eq!(
            error_path(window("25:00", "26:00")),
            "rules[0].windows.allow[0].from"
        );
        assert_eq!(
            error_path(window("9:00", "17:00")),
            "rules[0].windows.allow[0].from"
        );
        assert_eq!(
            error_path(window("24:00", "02:00")),
            "rules[0].windows.allow[0].from"
        );
        assert_eq!(
            error_path(window("09:00", "17:60")),
            "rules[0].windows.allow[0].to"
        );
        assert_eq!(
            error_path(window("09:00", "24:01")),
            "rules[0].windows.allow[0].to"
        );
        assert_eq!(
            error_path(window("09:00", "09:00")),
            "rules[0].windows.allow[0].to"
        );
        assert!(parse(window("00:00", "24:00")).is_ok());
    }

    #[test]
    fn refuses_bad_freezes_where_they_are() {
        // A valid freeze first, so each path must name the second.
        let freeze = |freeze: Value| {
            json!({
                "timezone": "UTC",
                "freeze": [
                    {"every": "week", "days": ["mon"], "from": "01:00", "to": "02:00"},
                    freeze
                ]
            })
        };
        let day = "2026-12-21T00:00";
        let next_day = "2026-12-22T00:00";
        let cases = [
            (
                json!({"from": "2026-12-21T00:00", "to": "2026-12-21T00:00"}),
                "freeze[1].to",
            ),
            (
                json!({"from": "2026-12-21T00:00", "to": "2026-12-20T00:00"}),
                "freeze[1].to",
            ),
            (
                json!({"from": "2026-12-21 00:00", "to": "2026-12-22T00:00"}),
                "freeze[1].from",
            ),
            (
                json!({"from": "2026-02-30T00:00", "to": "2026-03-02T00:00"}),
                "freeze[1].from",
            ),
            (
                json!({"from": "2026-12-21T00:00+1", "to": "2026-12-22T00:00"}),
                "freeze[1].from",
            ),
            (
                json!({"every": "month", "from": "01", "to": "02"}),
                "freeze[1].every",
            ),
            (
                json!({"every": "year", "from": "02-30 00:00", "to": "03-02 00:00"}),
                "freeze[1].from",
            ),
            (
                json!({"every": "year", "from": "12-24 00:00", "to": "12-24 00:00"}),
                "freeze[1].to",
            ),
            (
                json!({"every": "year", "from": "12-24 00:00", "to": "12-31 24:00"}),
                "freeze[1].to",
            ),
            (
                json!({
                    "every": "year",
                    "days": ["mon"],
                    "from": "12-24 00:00",
                    "to": "12-25 00:00"
                }),
                "freeze[1].days",
            ),
            (
                json!({"every": "week", "from": "15:00", "to": "18:00"}),
                "freeze[1].days",
            ),
            (
                json!({"every": "week", "days": ["fr"], "from": "15:00", "to": "18:00"}),
                "freeze[1].days[0]",
            ),
            (
                json!({"every": "week", "days": ["fri"], "from": "15:00", "to": "15:00"}),
                "freeze[1].to",
            ),
            (
                json!({"from": day, "to": next_day, "reason": "two\nlines"}),
                "freeze[1].reason",
            ),
            (
                json!({"from": day, "to": next_day, "reason": "x".repeat(101)}),
                "freeze[1].reason",
            ),
            (
                json!({"from": day, "to": next_day, "why": "x"}),
                "freeze[1].why",
            ),
        ];
        for (document, path) in cases {
            assert_eq!(
                error_path(freeze(document.clone())),
                format!("rules[0].windows.{path}"),
                "{document}"
            );
        }
    }

    #[test]
    fn refuses_unknown_fields_anywhere() {
        assert_eq!(
            error_path(json!({"timezone": "UTC", "timezones": "UTC"})),
            "rules[0].windows.timezones"
        );
        assert_eq!(
            error_path(json!({
                "timezone": "UTC",
                "allow": [{"days": ["mon"], "from": "09:00", "to": "10:00", "until": "x"}]
            })),
            "rules[0].windows.allow[0].until"
        );
        assert_eq!(
            error_path(json!({"timezone": "UTC", "outside": "approve"})),
            "rules[0].windows.outside"
        );
    }

    #[test]
    fn works_without_system_zoneinfo() {
        // jiff is built without reading the system database; prove it by running this test
        // again in a child process whose TZDIR points at an empty directory.
        const CHILD: &str = "WINDOWS_TEST_EMPTY_TZDIR";
        if std::env::var_os(CHILD).is_some() {
            assert!(jiff::tz::db().get("Europe/Berlin").is_ok());
            let windows = windows(example());
            assert_eq!(
                next_open(&windows, "2026-11-25T19:00Z"),
                Some(utc("2026-11-26T08:00Z"))
            );
            println!("checked without zoneinfo");
            return;
        }
        let empty = std::env::temp_dir().join(format!("empty-tzdir-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let path = module_path!();
        let module = path.split_once("::").map_or(path, |(_, rest)| rest);
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                &format!("{module}::works_without_system_zoneinfo"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("TZDIR", &empty)
            .env("TZ", "Europe/Berlin")
            .output()
            .unwrap();
        let _ = std::fs::remove_dir(&empty);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(stdout.contains("checked without zoneinfo"), "{stdout}");
    }

    /// Random policies against a brute-force reading of the definition.
    mod oracle {
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
                let start = day.to_datetime(Time::midnight())
                    + SignedDuration::from_mins(i64::from(self.from));
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
                (true, index, _) if !transitions.is_empty() => {
                    transitions[index % transitions.len()]
                }
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
            let span =
                |(start, end): (DateTime, DateTime)| (earliest(&zone, start), latest(&zone, end));

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
                            let day =
                                (*day).min(Date::new(2024, *month, 1).unwrap().days_in_month());
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
                        let text = |(m, d, minute): (i8, i8, i32)| {
                            format!("{m:02}-{d:02} {}", clock(minute))
                        };
                        valid &= from != to;
                        for year in first.year() - 1..=last.year() {
                            let end_year = if to < from { year + 1 } else { year };
                            freezes
                                .push(span((yearly_point(year, from), yearly_point(end_year, to))));
                        }
                        freeze_json
                            .push(json!({"every": "year", "from": text(from), "to": text(to)}));
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
                let check = windows.check(now);

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
    }
}
