//! The windows as a calendar: the periods in which a rule may approve, is outside its allow
//! windows, or is frozen, and the clock changes between them. `approval-gate-cli calendar`
//! prints these. The state at each instant is [`Windows::state`], the very evaluation the
//! gate decides with; this only finds where it changes.

use jiff::{SignedDuration, Timestamp};

use super::check::State;
use super::{PERIODS_MAX_MINUTES, Windows};

/// What the windows say at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowState {
    /// The rule may approve.
    Open,
    /// Outside every allow window.
    Outside,
    /// Inside a freeze.
    Frozen(Frozen),
}

/// The freeze a period lies in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frozen {
    /// The freeze's reason, or its kind when it has none: `year-end freeze`, `a weekly freeze`.
    pub name: String,
    /// Its name quoted and its span, e.g.
    /// `"year-end freeze" (2026-12-21 00:00 to 2027-01-04 06:00 Europe/Berlin)`.
    pub text: String,
}

/// A span of real time `[from, to)` in one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
    pub state: WindowState,
}

/// A change of the zone's offset (daylight saving starting or ending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockChange {
    pub at: Timestamp,
    /// e.g. "clocks go from 02:00 CET to 03:00 CEST (+1h)"
    pub text: String,
}

impl Windows {
    /// What the windows say at `at`.
    pub fn state_at(&self, at: Timestamp) -> WindowState {
        match self.state(at) {
            State::Open(_) => WindowState::Open,
            State::Outside => WindowState::Outside,
            State::Frozen(freeze) => WindowState::Frozen(Frozen {
                name: freeze.label(),
                text: format!("{} ({} {})", freeze.name(), freeze.span, self.zone_name),
            }),
        }
    }

    /// The periods from `from` until `until`, merged where the state does not change. Every
    /// bound of a window, a freeze or a clock change falls on a whole minute, so the state
    /// is read at each minute; the first period starts at `from`, the last ends at `until`,
    /// or at 401 days after `from` when `until` is later ([`PERIODS_MAX_MINUTES`]: the CLI
    /// lists at most 400 days).
    pub fn periods(&self, from: Timestamp, until: Timestamp) -> Vec<Period> {
        let until = from
            .checked_add(SignedDuration::from_mins(PERIODS_MAX_MINUTES))
            .map_or(until, |limit| until.min(limit));
        let mut periods: Vec<Period> = Vec::new();
        let mut at = from;
        // Each round moves to the next whole minute, so this ends within the bound above.
        while at < until {
            let state = self.state_at(at);
            let next = next_minute(at).min(until);
            match periods.last_mut() {
                Some(last) if last.state == state => last.to = next,
                _ => periods.push(Period {
                    from: at,
                    to: next,
                    state,
                }),
            }
            at = next;
        }
        periods
    }

    /// The offset changes of the rule's zone from `from` until `until`.
    pub fn clock_changes(&self, from: Timestamp, until: Timestamp) -> Vec<ClockChange> {
        self.zone
            .following(from)
            .take_while(|transition| transition.timestamp() < until)
            .filter_map(|transition| {
                let at = transition.timestamp();
                let before = at.checked_sub(SignedDuration::from_secs(1)).ok()?;
                let old = self.zone.to_offset_info(before);
                let new = self.zone.to_offset_info(at);
                let shift = new.offset().seconds() - old.offset().seconds();
                if shift == 0 {
                    return None;
                }
                let clock =
                    |offset: jiff::tz::Offset| offset.to_datetime(at).strftime("%H:%M").to_string();
                let sign = if shift > 0 { '+' } else { '-' };
                let minutes = shift.abs() / 60;
                let amount = if minutes % 60 == 0 {
                    format!("{}h", minutes / 60)
                } else {
                    format!("{minutes}m")
                };
                Some(ClockChange {
                    at,
                    text: format!(
                        "clocks go from {} {} to {} {} ({sign}{amount})",
                        clock(old.offset()),
                        old.abbreviation(),
                        clock(new.offset()),
                        new.abbreviation()
                    ),
                })
            })
            .collect()
    }

    /// The rule's zone.
    pub fn zone(&self) -> &jiff::tz::TimeZone {
        &self.zone
    }

    /// `at` on the rule's clock, e.g. "Thu 2026-11-26 09:00 CET".
    pub fn local(&self, at: Timestamp) -> String {
        self.render(at)
    }
}

/// The next whole minute after `at`.
fn next_minute(at: Timestamp) -> Timestamp {
    let seconds = at.as_second().div_euclid(60) * 60 + 60;
    Timestamp::from_second(seconds).unwrap_or(Timestamp::MAX)
}
