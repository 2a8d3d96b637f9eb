//! `change_calendars`: SSM Change Calendars that must be OPEN for the rule to approve.
//!
//! Each calendar is read on its own (`GetCalendarState`), so that a reason names the
//! closed one and its opening; a deferral on a closed calendar carries that opening, so it
//! is kept only if a sweep can approve before the approval expires.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use jiff::Timestamp;
use serde::Deserialize;

use crate::check::{Check, Severity};
use crate::conditions::{CalendarReadings, CalendarState, Conditions};
use crate::names;
use crate::policy::PolicyError;

/// Each calendar is one `GetCalendarState` read per decision (two when the past is needed).
const MAX_CALENDARS: usize = 10;

/// What a rule document holds under `"change_calendars"`.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CalendarsDocument {
    names: Vec<String>,
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    on_closed: Severity,
}

/// A rule's validated `change_calendars`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeCalendars {
    /// Document names, or ARNs of calendars shared from another account.
    pub names: Vec<String>,
    /// What a closed calendar asks for: defer, abstain or reject.
    pub on_closed: Severity,
}

impl ChangeCalendars {
    /// `at` is the path of the object, e.g. `rules[0].change_calendars`.
    pub fn from_document(document: CalendarsDocument, at: &str) -> Result<Self, PolicyError> {
        let names_at = format!("{at}.names");
        if document.names.is_empty() {
            return Err(PolicyError::at(
                names_at,
                "an empty list checks nothing: remove the field or name a calendar",
            ));
        }
        if document.names.len() > MAX_CALENDARS {
            return Err(PolicyError::at(
                names_at,
                format!("at most {MAX_CALENDARS} calendars"),
            ));
        }
        for (index, name) in document.names.iter().enumerate() {
            check_calendar_name(name)
                .map_err(|message| PolicyError::at(format!("{names_at}[{index}]"), message))?;
        }
        Ok(Self {
            names: document.names,
            on_closed: document.on_closed,
        })
    }

    /// Whether judging the moment the approval started waiting takes reading the
    /// calendars at that moment too. A calendar whose state then is unknown asks for
    /// `defer` when `on_closed` defers, which is right whatever the state was; otherwise
    /// it must be read.
    pub fn needs_the_past(&self) -> bool {
        self.on_closed != Severity::Defer
    }

    /// One check per calendar, at `at`.
    pub fn check(&self, conditions: &Conditions, at: Timestamp) -> Vec<Check> {
        self.names
            .iter()
            .map(|name| self.check_one(name, conditions.calendar(name), at))
            .collect()
    }

    fn check_one(&self, name: &str, readings: Option<&CalendarReadings>, at: Timestamp) -> Check {
        let shown = names::printable(name, 140);
        let unresolved = self.on_closed.max(Severity::Abstain);
        let readings = readings
            .map(|readings| readings.readings.as_slice())
            .unwrap_or_default();
        if let Some(why) = readings.iter().find_map(|reading| reading.as_ref().err()) {
            return Check::fail(
                unresolved,
                format!(
                    "change_calendars: calendar {shown} cannot be read ({})",
                    names::printable(why, 80)
                ),
            );
        }
        let Some(reading) = readings
            .iter()
            .filter_map(|reading| reading.as_ref().ok())
            .find(|reading| reading.holds_at(at))
        else {
            let asks = if self.on_closed == Severity::Defer {
                Severity::Defer
            } else {
                Severity::Abstain
            };
            return Check::fail(
                asks,
                format!(
                    "change_calendars: the state of calendar {shown} at {} was not read",
                    at.strftime("%Y-%m-%d %H:%M UTC")
                ),
            );
        };
        let next = reading.next_transition.map_or_else(
            || "no change is scheduled".to_owned(),
            |next| format!("until {}", next.strftime("%Y-%m-%d %H:%M UTC")),
        );
        match &reading.state {
            CalendarState::Open => Check::pass(format!("change_calendars: {shown} is OPEN")),
            CalendarState::Closed => Check {
                failed: Some(self.on_closed),
                reason: format!("change_calendars: {shown} is CLOSED ({next})"),
                opens: reading.next_transition,
                may_pass_from: reading.next_transition,
            },
            CalendarState::Other(state) => Check::fail(
                unresolved,
                format!(
                    "change_calendars: {shown} is in state {}, not OPEN",
                    names::printable(state, 20)
                ),
            ),
        }
    }
}

/// An SSM document name (`[a-zA-Z0-9_.-]{3,128}`), or the ARN of a document shared from
/// another account: `arn:PARTITION:ssm:REGION:ACCOUNT:document/NAME`.
fn check_calendar_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a calendar name cannot be empty".into());
    }
    let Some(rest) = name.strip_prefix("arn:") else {
        return check_document_name(name);
    };
    let explain = || {
        format!(
            "{:?} is not a document ARN (arn:PARTITION:ssm:REGION:ACCOUNT:document/NAME)",
            names::printable(name, 140)
        )
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, region, account, resource] = parts[..] else {
        return Err(explain());
    };
    let partition_ok = partition == "aws" || partition.starts_with("aws-");
    let region_ok = !region.is_empty()
        && region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if !(partition_ok && service == "ssm" && region_ok && account_ok) {
        return Err(explain());
    }
    let document = resource.strip_prefix("document/").ok_or_else(explain)?;
    check_document_name(document)
}

fn check_document_name(name: &str) -> Result<(), String> {
    let length_ok = (3..=128).contains(&name.len());
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if length_ok && chars_ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not an SSM document name (3 to 128 letters, digits, '_', '.' and '-') \
             or document ARN",
            names::printable(name, 140)
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
