//! Evaluation: whether an instant lies inside a rule's windows, and when they next open.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::clock::{at_minute, minute_of_day, render_civil, render_clock, weekday_title};
use super::cron::CronWindow;
use super::dst::{in_span, occurrences};
use super::{
    Allow, DAY_NAMES, Freeze, HORIZON_DAYS, MAX_CRON_STARTS, MINUTES_PER_DAY, Recurrence,
    SEARCH_DAYS, TimeCheck, Weekly, Windows, YearlyPoint,
};
use crate::check::Check;

impl Windows {
    /// The windows as a rule's check at `at`: a closed window asks for the rule's `outside`
    /// until it opens. A deferral counts an opening only if the windows then stay open for
    /// a whole sweep period (`sweep_every`), so that a sweep is sure to come while they are.
    pub fn check(&self, at: Timestamp, sweep_every: SignedDuration) -> Check {
        match self.at(at) {
            TimeCheck::Open { reason } => Check::pass(reason),
            TimeCheck::Closed {
                reason,
                next_open,
                next_open_text,
            } => {
                let last_sweep_moment = sweep_every - SignedDuration::from_secs(1);
                let opens = next_open.filter(|opens| {
                    opens
                        .checked_add(last_sweep_moment)
                        .is_ok_and(|until| self.at(until).is_open())
                });
                let next = next_open_text.map_or_else(
                    || format!("no window opens in the next {HORIZON_DAYS} days"),
                    |text| format!("next opening {text}"),
                );
                Check {
                    opens,
                    may_pass_from: next_open,
                    ..Check::fail(self.outside, format!("{reason}; {next}"))
                }
            }
        }
    }

    /// Whether `now` is inside an allow window and outside every freeze, with words for why.
    pub fn at(&self, now: Timestamp) -> TimeCheck {
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
        let (next_open, next_open_text) = match self.next_open(now) {
            NextOpen::At(at) => (
                Some(at),
                Some(format!("{} ({})", self.render(at), self.zone_name)),
            ),
            NextOpen::Never => (None, None),
            NextOpen::Unknown => (
                None,
                Some(format!(
                    "unknown (the search stopped after {MAX_CRON_STARTS} cron window starts)"
                )),
            ),
        };
        TimeCheck::Closed {
            reason,
            next_open,
            next_open_text,
        }
    }

    pub(super) fn state(&self, now: Timestamp) -> State<'_> {
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
    /// is the answer, so nothing needs to step through time. Every loop here has a bound:
    /// the days up to the horizon, the transitions and candidates within it, and for cron
    /// windows [`MAX_CRON_STARTS`].
    fn next_open(&self, now: Timestamp) -> NextOpen {
        let Ok(horizon) = now.checked_add(SignedDuration::from_hours(24 * HORIZON_DAYS)) else {
            return NextOpen::Never;
        };
        let transitions: Vec<Timestamp> = self
            .zone
            .following(now)
            .map(|transition| transition.timestamp())
            .take_while(|&at| at <= horizon)
            .collect();
        let slack = self.clock_slack(&transitions);
        let mut candidates = transitions.clone();
        let zone = &self.zone;
        let add = |candidates: &mut Vec<Timestamp>, civil: Option<DateTime>| {
            if let Some(civil) = civil {
                candidates.extend(occurrences(zone, civil));
            }
        };

        // Two days early, since an instant in a repeated hour after midnight can still read
        // as the previous day, and a freeze lasts until the last time its end is on the clock.
        let Ok(first_day) = self
            .zone
            .to_datetime(now)
            .date()
            .yesterday()
            .and_then(|day| day.yesterday())
        else {
            return NextOpen::Never;
        };
        let last_day = self.zone.to_datetime(horizon).date();
        let mut day = first_day;
        for _ in 0..SEARCH_DAYS {
            if day > last_day {
                break;
            }
            for window in &self.allow {
                if let Allow::Weekly(window) = window {
                    add(&mut candidates, window.start(day));
                }
            }
            for freeze in &self.freezes {
                if let Recurrence::Weekly(window) = &freeze.rule {
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
                Recurrence::OneOff { to, .. } => candidates.push(*to),
                Recurrence::Yearly { to, .. } => {
                    for year in first_day.year()..=last_day.year() {
                        add(&mut candidates, to.in_year(year));
                    }
                }
                Recurrence::Weekly(_) => {}
            }
        }

        candidates.retain(|&at| now < at && at <= horizon);
        candidates.sort_unstable();
        candidates.dedup();
        // The candidates up to the first open one, and whether each is frozen: where a cron
        // start inside a freeze may jump to.
        let mut closed: Vec<(Timestamp, bool)> = Vec::new();
        let mut first = None;
        for at in candidates {
            match self.state(at) {
                State::Open(_) => {
                    first = Some(at);
                    break;
                }
                State::Frozen(_) => closed.push((at, true)),
                State::Outside => closed.push((at, false)),
            }
        }
        let search = Search {
            windows: self,
            now,
            horizon,
            slack,
            transitions: &transitions,
            closed: &closed,
        };
        let mut budget = MAX_CRON_STARTS;
        for window in &self.allow {
            let Allow::Cron(cron) = window else {
                continue;
            };
            match search.cron(cron, first, &mut budget) {
                Some(Some(at)) => first = Some(first.map_or(at, |first| first.min(at))),
                Some(None) => {}
                None => return NextOpen::Unknown,
            }
        }
        first.map_or(NextOpen::Never, NextOpen::At)
    }

    /// How far the clock can read behind real time over the search, and so how much
    /// earlier on the clock a later instant can be: every offset change within it, added up
    /// (an hour or two a year where daylight saving is kept, nothing in UTC).
    fn clock_slack(&self, transitions: &[Timestamp]) -> SignedDuration {
        transitions
            .iter()
            .filter_map(|&at| {
                let before = at.checked_sub(SignedDuration::from_secs(1)).ok()?;
                let change = self.zone.to_offset_info(at).offset().seconds()
                    - self.zone.to_offset_info(before).offset().seconds();
                Some(SignedDuration::from_secs(i64::from(change.abs())))
            })
            .fold(SignedDuration::ZERO, |sum, change| {
                sum.checked_add(change).unwrap_or(SignedDuration::MAX)
            })
    }

    /// e.g. "Thu 2026-11-26 09:00 CET"
    pub(super) fn render(&self, at: Timestamp) -> String {
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

/// What the search for the next opening found.
enum NextOpen {
    At(Timestamp),
    /// Nothing opens within the horizon.
    Never,
    /// The search gave up ([`MAX_CRON_STARTS`]); no opening is claimed.
    Unknown,
}

/// The search for a cron window's first opening in `(now, horizon]`.
struct Search<'w> {
    windows: &'w Windows,
    now: Timestamp,
    horizon: Timestamp,
    /// [`Windows::clock_slack`]: a clock time more than this before `civil(at)` names only
    /// instants before `at`, and one more than this after it only instants after `at`.
    slack: SignedDuration,
    transitions: &'w [Timestamp],
    /// The other candidates before the first that opens, and whether each is frozen.
    closed: &'w [(Timestamp, bool)],
}

impl Search<'_> {
    /// The earliest open instant a start of `cron` names, if earlier than `first` (the best
    /// opening so far); `None` when the budget of starts ran out.
    ///
    /// Starts are read in clock order; a start's instants are at most `slack` earlier than
    /// those of the starts before it, so the search ends at the first start beyond the best
    /// opening plus `slack`. A start inside a freeze jumps ahead: the gate stays frozen up to
    /// the next candidate that is not frozen (a freeze ends only at a candidate), so the
    /// starts before it on the clock, less `slack`, are skipped. A jump is taken only from a
    /// start that names exactly one instant with no clock change in the `slack` before it,
    /// so no unread start can name an earlier instant.
    fn cron(
        &self,
        cron: &CronWindow,
        first: Option<Timestamp>,
        budget: &mut usize,
    ) -> Option<Option<Timestamp>> {
        let zone = &self.windows.zone;
        let civil = |at: Timestamp| zone.to_datetime(at);
        let past = |at: Timestamp, limit: Timestamp| {
            limit.checked_add(self.slack).is_ok_and(|limit| at > limit)
        };
        let until = civil(self.horizon)
            .checked_add(self.slack)
            .unwrap_or(DateTime::MAX);
        let mut from = civil(self.now)
            .checked_sub(self.slack)
            .unwrap_or(DateTime::MIN);
        let mut best = first;
        'restart: loop {
            for start in cron.starts(from, until) {
                *budget = budget.checked_sub(1)?;
                let instants = occurrences(zone, start);
                let Some(&earliest) = instants.first() else {
                    continue;
                };
                if past(earliest, best.unwrap_or(self.horizon).min(self.horizon)) {
                    return Some(best);
                }
                let relevant: Vec<Timestamp> = instants
                    .iter()
                    .copied()
                    .filter(|&at| self.now < at && at <= self.horizon)
                    .collect();
                let mut frozen = !relevant.is_empty();
                for &at in &relevant {
                    match self.windows.state(at) {
                        State::Open(_) => {
                            best = Some(best.map_or(at, |best| best.min(at)));
                            frozen = false;
                            break;
                        }
                        State::Frozen(_) => {}
                        State::Outside => frozen = false,
                    }
                }
                let [frozen_at] = instants.as_slice() else {
                    continue;
                };
                if !frozen || civil(*frozen_at) != start || self.near_a_change(*frozen_at) {
                    continue;
                }
                if first.is_some_and(|first| *frozen_at >= first) {
                    continue;
                }
                let thaws = self
                    .closed
                    .iter()
                    .find(|(at, is_frozen)| at > frozen_at && !is_frozen)
                    .map(|(at, _)| *at)
                    .or(first);
                // Frozen from here to the horizon: nothing later opens.
                let Some(thaws) = thaws else {
                    return Some(best);
                };
                let resume = civil(thaws)
                    .checked_sub(self.slack)
                    .unwrap_or(DateTime::MIN);
                if resume > start {
                    from = resume;
                    continue 'restart;
                }
            }
            return Some(best);
        }
    }

    /// Whether the clock changes within `slack` before `at`.
    fn near_a_change(&self, at: Timestamp) -> bool {
        let since = at.checked_sub(self.slack).unwrap_or(Timestamp::MIN);
        self.transitions
            .iter()
            .any(|&change| since < change && change <= at)
    }
}

pub(super) enum State<'w> {
    /// Inside this allow window, or `None` when there are no allow windows.
    Open(Option<&'w Allow>),
    Frozen(&'w Freeze),
    Outside,
}

impl Allow {
    fn covers(&self, civil: DateTime) -> bool {
        match self {
            Self::Weekly(window) => window.covers(civil),
            Self::Cron(cron) => cron.covers(civil),
        }
    }
}

impl std::fmt::Display for Allow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Weekly(window) => window.fmt(f),
            Self::Cron(cron) => cron.fmt(f),
        }
    }
}

impl Weekly {
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

impl Freeze {
    /// A recurring freeze is in force from the first instant its start is on the clock to
    /// the last instant its end is, so a repeated hour never opens a hole in it. Only the
    /// occurrences that begin near `civil` can hold `now`: a little more than a day back for
    /// a weekly one (it lasts at most a day), a year back for a yearly one, and one more day
    /// or year either way for a repeated hour that crosses midnight.
    fn covers(&self, zone: &TimeZone, now: Timestamp, civil: DateTime) -> bool {
        match &self.rule {
            Recurrence::OneOff { from, to } => *from <= now && now < *to,
            Recurrence::Yearly { from, to } => (-2..=1).any(|shift| {
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
            Recurrence::Weekly(window) => (-2..=1).any(|shift| {
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

    pub(super) fn name(&self) -> String {
        match &self.reason {
            Some(reason) => format!("\"{reason}\""),
            None => self.label(),
        }
    }

    /// The reason as it stands, or the kind of freeze when there is none.
    pub(super) fn label(&self) -> String {
        match (&self.reason, &self.rule) {
            (Some(reason), _) => reason.clone(),
            (None, Recurrence::OneOff { .. }) => "a one-off freeze".into(),
            (None, Recurrence::Yearly { .. }) => "a yearly freeze".into(),
            (None, Recurrence::Weekly(_)) => "a weekly freeze".into(),
        }
    }
}

impl YearlyPoint {
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
