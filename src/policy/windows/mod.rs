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

use crate::check::Severity;
use jiff::Timestamp;
use jiff::tz::TimeZone;

mod calendar;
mod check;
mod clock;
mod cron;
mod dst;
mod parse;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

pub use calendar::{ClockChange, Frozen, Period, WindowState};
pub use parse::WindowsDocument;

/// How far ahead `next_open` looks: a little over a year, so every yearly freeze ends inside it.
const HORIZON_DAYS: i64 = 400;
/// The days whose window starts and freeze ends `next_open` lists: the horizon, two days
/// before `now` (a freeze or a repeated hour reaching into today) and one spare.
const SEARCH_DAYS: i64 = HORIZON_DAYS + 3;
/// The most cron window starts one search for the next opening reads before it gives up
/// and says the next opening is unknown (never claiming one it did not find). Enough by far:
/// a search reads a cron window's starts only up to the first opening, and from a start
/// inside a freeze jumps past the freeze, so it reads about as many starts as there are
/// freeze occurrences within the horizon times the starts in an hour or two of clock
/// changes (at most 60), plus those before `now` and around clock changes; a weekly
/// freeze has 58 occurrences in 400 days, so ten of them need under 40,000.
const MAX_CRON_STARTS: usize = 100_000;
/// The longest span `Windows::periods` reads minute by minute: the 400 days the CLI's
/// calendar allows, and a day for clock changes.
const PERIODS_MAX_MINUTES: i64 = (HORIZON_DAYS + 1) * 24 * 60;
const MINUTES_PER_DAY: i32 = 24 * 60;
/// Reasons are quoted into a 512-character approval summary, so they must stay short.
const REASON_MAX_CHARS: usize = 100;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A rule's validated windows, ready to be checked against an instant.
#[derive(Clone, Debug)]
pub struct Windows {
    zone: TimeZone,
    zone_name: String,
    allow: Vec<Allow>,
    freezes: Vec<Freeze>,
    /// What a closed window asks for (`outside`): defer, abstain or reject.
    outside: Severity,
}

/// Whether an instant lies inside a rule's windows, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeCheck {
    /// `reason` e.g. "inside allow window mon,tue,wed,thu 09:00-16:30 (Europe/Berlin)".
    Open { reason: String },
    /// `reason` names the freeze or says the instant is outside every allow window, with the
    /// local time. `next_open` is the next instant the gate may approve (`None` if nothing
    /// opens within 400 days, or if the search gave up), and `next_open_text` renders it in
    /// the rule's zone, e.g. "Mon 2027-01-04 09:00 CET (Europe/Berlin)", or says it is
    /// unknown when the search gave up.
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
    pub fn outside(&self) -> Severity {
        self.outside
    }

    pub fn timezone_name(&self) -> &str {
        &self.zone_name
    }
}

/// An allow window: a weekly span, or a cron expression of CodePipeline's DeploymentWindow
/// rule.
#[derive(Clone, Debug)]
enum Allow {
    Weekly(Weekly),
    Cron(Box<cron::CronWindow>),
}

/// A weekly span of wall-clock time, as minutes of the day: `to` up to 1440 ("24:00"), and
/// not after `from` when the span crosses midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Weekly {
    days: [bool; 7],
    from: i32,
    to: i32,
}

#[derive(Clone, Debug)]
struct Freeze {
    rule: Recurrence,
    reason: Option<String>,
    /// The span as people read it, e.g. "12-24 00:00 to 12-27 00:00".
    span: String,
}

#[derive(Clone, Debug)]
enum Recurrence {
    OneOff { from: Timestamp, to: Timestamp },
    Yearly { from: YearlyPoint, to: YearlyPoint },
    Weekly(Weekly),
}

/// A point in every year, "MM-DD HH:MM"; ordered as it falls in a leap year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct YearlyPoint {
    month: i8,
    day: i8,
    minute: i32,
}
