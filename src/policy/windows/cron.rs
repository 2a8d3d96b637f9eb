//! Allow windows written as cron expressions, in the syntax of CodePipeline's
//! `DeploymentWindow` rule (the AWS cron dialect), so that a rule moves from a stage
//! condition to the gate unchanged: `* * 9-16 ? * MON-THU *` is inside the window during
//! every minute it matches, on the rule's clock.
//!
//! The dialect: seconds (which must be `*`), minute, hour, day of month, month, day of week
//! (1-7 = SUN-SAT, or names) and an optional year (1970-2199); exactly one of day of month
//! and day of week is `?`. [`syntax`] reads each field exactly as AWS documents it; anything
//! else is refused at load time: an expression CodePipeline would not take is not guessed
//! at.
//!
//! The expression is evaluated here rather than by a cron library, because AWS's forms
//! (`L-3`, `L` alone as SAT) are not all in one, and because the set it matches is a
//! product: minutes x hours x a predicate on the date. That makes every search bounded by
//! construction: the next match is found a day at a time up to a given end, and a run of
//! matching minutes ends within two hours unless every minute matches, within two days
//! unless every hour does, and otherwise a day at a time up to that end.

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime, Time, Weekday};

mod syntax;

use syntax::{DayOfMonth, DayOfWeek, Field, Set};

/// A run that does not hold every minute of an hour ends in the hour it starts in or the
/// next one: 120 minute steps at most.
const RUN_MINUTE_STEPS: usize = 120;
/// A run that holds every minute but not every hour of a day ends on the day it starts or
/// the next: 48 hour steps at most.
const RUN_HOUR_STEPS: usize = 48;

#[derive(Clone, Debug)]
pub(super) struct CronWindow {
    text: String,
    minutes: Set,
    hours: Set,
    days: Days,
    months: Set,
    /// `None` when the year field is absent: every year.
    years: Option<Set>,
    every_minute: bool,
    every_hour: bool,
}

#[derive(Clone, Debug)]
enum Days {
    OfMonth(DayOfMonth),
    OfWeek(DayOfWeek),
}

impl CronWindow {
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        // Fields are separated by spaces; any other blank (a tab, a line break, a
        // no-break space) or character outside ASCII is not AWS's syntax.
        if let Some(odd) = text.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
            return Err(format!(
                "{odd:?} is not part of the AWS cron syntax: write the fields in ASCII, \
                 separated by spaces, e.g. `* * 9-16 ? * MON-FRI *`"
            ));
        }
        let fields: Vec<&str> = text.split(' ').filter(|field| !field.is_empty()).collect();
        let [
            seconds,
            minute,
            hour,
            day_of_month,
            month,
            day_of_week,
            year @ ..,
        ] = fields.as_slice()
        else {
            return Err(field_count(fields.len()));
        };
        if year.len() > 1 {
            return Err(field_count(fields.len()));
        }
        if *seconds != "*" {
            return Err(format!(
                "the seconds field must be `*` (a window is made of whole minutes), not \
                 `{seconds}`: write e.g. `* * 9-16 ? * MON-FRI *`"
            ));
        }
        let minutes = syntax::values(Field::Minute, minute)?;
        let hours = syntax::values(Field::Hour, hour)?;
        let days = match (*day_of_month == "?", *day_of_week == "?") {
            (true, false) => Days::OfWeek(syntax::day_of_week(day_of_week)?),
            (false, true) => Days::OfMonth(syntax::day_of_month(day_of_month)?),
            _ => {
                return Err(format!(
                    "exactly one of day of month and day of week must be `?`, as in AWS cron \
                     (not `{day_of_month}` and `{day_of_week}`): write e.g. `* * 9-16 ? * \
                     MON-FRI *` or `* * 9-16 1-15 * ? *`"
                ));
            }
        };
        let months = syntax::values(Field::Month, month)?;
        let years = year
            .first()
            .map(|year| syntax::values(Field::Year, year))
            .transpose()?;
        Ok(Self {
            text: fields.join(" "),
            every_minute: minutes == Set::full(Field::Minute),
            every_hour: hours == Set::full(Field::Hour),
            minutes,
            hours,
            days,
            months,
            years,
        })
    }

    /// Whether the minute `civil` lies in (on the rule's clock) matches.
    pub(super) fn covers(&self, civil: DateTime) -> bool {
        self.on(civil.date())
            && self.hours.contains(unsigned(civil.hour()))
            && self.minutes.contains(unsigned(civil.minute()))
    }

    /// Whether the expression matches some minutes of `date`.
    fn on(&self, date: Date) -> bool {
        self.in_year(date.year())
            && self.months.contains(unsigned(date.month()))
            && self.days.on(date)
    }

    fn in_year(&self, year: i16) -> bool {
        self.years
            .as_ref()
            .is_none_or(|years| years.contains(unsigned(year)))
    }

    /// Where runs of matching minutes start on the clock from `from` up to `until`, in
    /// order: the minutes that match while the minute before does not. Lazy, so that a
    /// search for the next opening reads only as far as it needs; each start costs a
    /// bounded search (see [`Self::next_match`] and [`Self::run_end`]), and the iterator ends
    /// once it passes `until`.
    pub(super) fn starts(
        &self,
        from: DateTime,
        until: DateTime,
    ) -> impl Iterator<Item = DateTime> + '_ {
        let mut cursor = Some(from);
        std::iter::from_fn(move || {
            // The first match may lie inside a run; once past that run's end, the next
            // match starts a run. So two rounds find a start; a third is never needed.
            for _ in 0..3 {
                let Some(start) = cursor.and_then(|from| self.next_match(from, until)) else {
                    cursor = None;
                    return None;
                };
                let before = start.checked_sub(SignedDuration::from_mins(1));
                let is_start = before.map_or(true, |before| !self.covers(before));
                let end = self.run_end(start, until);
                cursor = end
                    .checked_add(SignedDuration::from_mins(1))
                    .ok()
                    .filter(|next| *next <= until);
                if is_start {
                    return Some(start);
                }
            }
            cursor = None;
            None
        })
    }

    /// The first matching minute at or after `from`, if one comes by `until`. Each round
    /// moves to a later day (skipping whole months and years that do not match), so the
    /// search reads at most the days up to `until`.
    fn next_match(&self, from: DateTime, until: DateTime) -> Option<DateTime> {
        let mut date = from.date();
        let mut first_minute = u32::try_from(i32::from(from.hour()) * 60)
            .ok()?
            .checked_add(unsigned(from.minute()))?
            + u32::from(from.second() > 0 || from.subsec_nanosecond() > 0);
        while date <= until.date() {
            if !self.in_year(date.year()) {
                let next = self
                    .years
                    .as_ref()?
                    .next(unsigned(date.year()).checked_add(1)?)?;
                date = Date::new(i16::try_from(next).ok()?, 1, 1).ok()?;
                first_minute = 0;
                continue;
            }
            if !self.months.contains(unsigned(date.month())) {
                date = match self.months.next(unsigned(date.month()) + 1) {
                    Some(month) => Date::new(date.year(), i8::try_from(month).ok()?, 1).ok()?,
                    None => Date::new(date.year().checked_add(1)?, 1, 1).ok()?,
                };
                first_minute = 0;
                continue;
            }
            if self.days.on(date)
                && let Some(time) = self.first_time(first_minute)
            {
                let at = date.to_datetime(time);
                return (at <= until).then_some(at);
            }
            date = date.tomorrow().ok()?;
            first_minute = 0;
        }
        None
    }

    /// The first matching time of a matching day at or after its `minute`.
    fn first_time(&self, minute: u32) -> Option<Time> {
        let mut hour = self.hours.next(minute / 60)?;
        let mut from = if hour == minute / 60 { minute % 60 } else { 0 };
        loop {
            if let Some(minute) = self.minutes.next(from) {
                return Time::new(i8::try_from(hour).ok()?, i8::try_from(minute).ok()?, 0, 0).ok();
            }
            hour = self.hours.next(hour + 1)?;
            from = 0;
        }
    }

    /// The last matching minute of the run `start` lies in, or a minute at or past `until`
    /// when the run lasts that long. A run holds a whole hour only if every minute matches,
    /// and a whole day only if every hour does too, so it is followed a minute, an hour or
    /// a day at a time.
    fn run_end(&self, start: DateTime, until: DateTime) -> DateTime {
        let step = |end: DateTime, by: SignedDuration| {
            end.checked_add(by).ok().filter(|next| self.covers(*next))
        };
        let mut end = start;
        if !self.every_minute {
            for _ in 0..RUN_MINUTE_STEPS {
                match step(end, SignedDuration::from_mins(1)) {
                    Some(next) => end = next,
                    None => break,
                }
            }
            return end;
        }
        end = with_minute(end, 59);
        if !self.every_hour {
            for _ in 0..RUN_HOUR_STEPS {
                match step(end, SignedDuration::from_mins(1)) {
                    Some(next) => end = with_minute(next, 59),
                    None => break,
                }
            }
            return end;
        }
        end = end.date().to_datetime(Time::constant(23, 59, 0, 0));
        // Whole days: bounded by `until`, which the caller keeps within its horizon.
        while end < until {
            match step(end, SignedDuration::from_mins(1)) {
                Some(next) => end = next.date().to_datetime(Time::constant(23, 59, 0, 0)),
                None => break,
            }
        }
        end
    }
}

impl Days {
    fn on(&self, date: Date) -> bool {
        let day = unsigned(date.day());
        let last = unsigned(date.days_in_month());
        match self {
            Self::OfMonth(DayOfMonth::Days(days)) => days.contains(day),
            Self::OfMonth(DayOfMonth::Last(offset)) => last.checked_sub(*offset) == Some(day),
            Self::OfMonth(DayOfMonth::NearestWeekday(target)) => {
                nearest_weekday(date, *target) == Some(day)
            }
            Self::OfMonth(DayOfMonth::LastWeekday) => nearest_weekday(date, last) == Some(day),
            Self::OfWeek(week) => {
                let weekday = unsigned(date.weekday().to_sunday_one_offset());
                match week {
                    DayOfWeek::Days(days) => days.contains(weekday),
                    DayOfWeek::Last(on) => weekday == *on && day + 7 > last,
                    DayOfWeek::Nth(on, nth) => weekday == *on && (day - 1) / 7 + 1 == *nth,
                }
            }
        }
    }
}

/// The weekday (Monday to Friday) nearest day `target` of `date`'s month, never leaving the
/// month (Quartz's `W`): a Saturday moves to Friday, or to Monday on the 1st; a Sunday to
/// Monday, or to Friday on the month's last day. None when the month has no such day.
fn nearest_weekday(date: Date, target: u32) -> Option<u32> {
    let last = unsigned(date.days_in_month());
    if target > last {
        return None;
    }
    let day = date
        .first_of_month()
        .with()
        .day(i8::try_from(target).ok()?)
        .build()
        .ok()?;
    Some(match day.weekday() {
        Weekday::Saturday if target == 1 => 3,
        Weekday::Saturday => target - 1,
        Weekday::Sunday if target == last => target - 2,
        Weekday::Sunday => target + 1,
        _ => target,
    })
}

fn with_minute(civil: DateTime, minute: i8) -> DateTime {
    civil.with().minute(minute).build().unwrap_or(civil)
}

/// Civil fields are never negative; a negative one (which jiff does not produce) reads as a
/// value no field holds.
fn unsigned(value: impl Into<i32>) -> u32 {
    u32::try_from(value.into()).unwrap_or(u32::MAX)
}

fn field_count(count: usize) -> String {
    format!(
        "has {count} fields; a DeploymentWindow expression has 6 (seconds, minute, hour, day \
         of month, month, day of week) and an optional year, e.g. `* * 9-16 ? * MON-THU *`"
    )
}

impl std::fmt::Display for CronWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cron {}", self.text)
    }
}
