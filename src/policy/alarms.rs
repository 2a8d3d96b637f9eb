//! `alarms`: CloudWatch alarms that must be OK for the rule to approve.
//!
//! Every alarm named must exist and be OK; every alarm whose name starts with a prefix must
//! be OK, and a prefix must match at least one alarm. A name or prefix that finds nothing
//! fails the check: a typo must not open the gate.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::check::{Check, Severity};
use crate::conditions::{AlarmReading, AlarmState, AlarmStatus};
use crate::names;
use crate::policy::PolicyError;

/// `DescribeAlarms` takes at most 100 names in one request.
const MAX_NAMES: usize = 100;
/// Each prefix is one paginated `DescribeAlarms` read.
const MAX_PREFIXES: usize = 10;
/// CloudWatch's limit on alarm names and name prefixes.
const MAX_NAME_CHARS: usize = 255;
/// Alarms named in one reason; the rest are counted.
const NAMED_IN_REASON: usize = 3;
/// How long before the alarms were read the alarms a prefix matches are taken to be the
/// same: a notice is decided within seconds of the approval starting to wait.
const PREFIX_MEMORY: SignedDuration = SignedDuration::from_mins(5);
/// How much of an alarm's `StateReason` a reason quotes.
const STATE_REASON_CHARS: usize = 60;

/// What a rule document holds under `"alarms"`.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AlarmsDocument {
    #[serde(default, deserialize_with = "crate::policy::present")]
    names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    prefixes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    on_alarm: Severity,
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    insufficient_data: InsufficientData,
}

/// What `INSUFFICIENT_DATA` counts as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum InsufficientData {
    /// Not OK: the check fails (the default).
    #[default]
    Fail,
    Ok,
}

/// A rule's validated `alarms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredAlarms {
    pub names: Vec<String>,
    pub prefixes: Vec<String>,
    /// What an alarm that is not OK asks for: defer, abstain or reject.
    pub on_alarm: Severity,
    pub insufficient_data: InsufficientData,
}

impl RequiredAlarms {
    /// `at` is the path of the alarms object, e.g. `rules[0].alarms`.
    pub fn from_document(document: AlarmsDocument, at: &str) -> Result<Self, PolicyError> {
        let names = list(document.names, &format!("{at}.names"), MAX_NAMES)?;
        let prefixes = list(document.prefixes, &format!("{at}.prefixes"), MAX_PREFIXES)?;
        if names.is_empty() && prefixes.is_empty() {
            return Err(PolicyError::at(
                at,
                "name the alarms to check: \"names\", \"prefixes\" or both",
            ));
        }
        Ok(Self {
            names,
            prefixes,
            on_alarm: document.on_alarm,
            insufficient_data: document.insufficient_data,
        })
    }

    /// What a read that found nothing (or failed) asks for: such a problem does not clear
    /// by itself, so it is never merely deferred.
    fn unresolved(&self) -> Severity {
        self.on_alarm.max(Severity::Abstain)
    }

    /// The check at `at`, from the alarms as read at `read_at`. Judged at an earlier moment
    /// (when the approval started waiting), an alarm's state is known only if it has not
    /// changed since; otherwise the check fails, deferring when `on_alarm` defers and
    /// leaving the approval to a human else.
    pub fn check(
        &self,
        reading: Option<&AlarmReading>,
        read_at: Timestamp,
        at: Timestamp,
    ) -> Check {
        let Some(reading) = reading else {
            return Check::fail(self.unresolved(), "alarms: the alarms were not read");
        };
        let mut problems: Vec<String> = Vec::new();
        let mut not_ok: Vec<&AlarmStatus> = Vec::new();
        let mut unknown: Vec<&AlarmStatus> = Vec::new();
        let mut checked = 0;
        let judge = |alarm: &'_ AlarmStatus| -> Option<bool> {
            let known = at >= read_at || alarm.changed.is_some_and(|changed| changed <= at);
            if !known {
                return None;
            }
            Some(match alarm.state {
                AlarmState::Ok => true,
                AlarmState::InsufficientData => self.insufficient_data == InsufficientData::Ok,
                AlarmState::Alarm | AlarmState::Other(_) => false,
            })
        };
        let mut missing: Vec<&str> = Vec::new();
        let mut prefixes_unknown: Vec<&str> = Vec::new();
        if !self.names.is_empty() {
            match &reading.by_name {
                None => problems.push("the named alarms were not read".into()),
                Some(Err(why)) => problems.push(format!(
                    "the named alarms cannot be read ({})",
                    names::printable(why, 80)
                )),
                Some(Ok(found)) => {
                    let strays: Vec<&str> = found
                        .iter()
                        .filter(|alarm| !self.names.contains(&alarm.name))
                        .map(|alarm| alarm.name.as_str())
                        .collect();
                    if !strays.is_empty() {
                        problems.push(format!(
                            "CloudWatch answered for alarms not asked for ({}), so the answer \
                             is not trusted",
                            listed(&strays)
                        ));
                    }
                    for name in &self.names {
                        let mut seen = false;
                        for alarm in found.iter().filter(|alarm| &alarm.name == name) {
                            seen = true;
                            checked += 1;
                            match judge(alarm) {
                                Some(true) => {}
                                Some(false) => not_ok.push(alarm),
                                None => unknown.push(alarm),
                            }
                        }
                        if !seen {
                            missing.push(name);
                        }
                    }
                }
            }
        }
        for prefix in &self.prefixes {
            let found = reading
                .by_prefix
                .iter()
                .find(|(read, _)| read == prefix)
                .map(|(_, found)| found);
            match found {
                None => problems.push(format!(
                    "the alarms starting with {} were not read",
                    quoted(prefix)
                )),
                Some(Err(why)) => problems.push(format!(
                    "the alarms starting with {} cannot be read ({})",
                    quoted(prefix),
                    names::printable(why, 80)
                )),
                Some(Ok(found)) => {
                    let (matching, strays): (Vec<&AlarmStatus>, Vec<&AlarmStatus>) = found
                        .iter()
                        .partition(|alarm| alarm.name.starts_with(prefix.as_str()));
                    if !strays.is_empty() {
                        let names: Vec<&str> =
                            strays.iter().map(|alarm| alarm.name.as_str()).collect();
                        problems.push(format!(
                            "CloudWatch answered alarms that do not start with {} ({}), so \
                             the answer is not trusted",
                            quoted(prefix),
                            listed(&names)
                        ));
                    }
                    if matching.is_empty() {
                        problems.push(format!("no alarm's name starts with {}", quoted(prefix)));
                    }
                    // Deleted alarms vanish from CloudWatch: judged at an earlier moment,
                    // the alarms a prefix matched then are not known. An alarm that fired
                    // then and was deleted since must not count as OK.
                    if at
                        .checked_add(PREFIX_MEMORY)
                        .is_ok_and(|then| then < read_at)
                    {
                        prefixes_unknown.push(prefix.as_str());
                    }
                    for alarm in matching {
                        checked += 1;
                        match judge(alarm) {
                            Some(true) => {}
                            Some(false) => not_ok.push(alarm),
                            None => unknown.push(alarm),
                        }
                    }
                }
            }
        }
        if !missing.is_empty() {
            problems.insert(0, format!("no alarm is named {}", listed(&missing)));
        }
        not_ok.dedup_by(|a, b| a.name == b.name);
        unknown.dedup_by(|a, b| a.name == b.name);

        let mut severity = None;
        let mut parts = Vec::new();
        if !problems.is_empty() {
            severity = Some(self.unresolved());
            parts.push(problems.join("; "));
        }
        if !not_ok.is_empty() {
            severity = severity.max(Some(self.on_alarm));
            parts.push(not_ok_reason(&not_ok));
        }
        if !unknown.is_empty() {
            let asks = if self.on_alarm == Severity::Defer {
                Severity::Defer
            } else {
                Severity::Abstain
            };
            severity = severity.max(Some(asks));
            let unknown_names: Vec<&str> =
                unknown.iter().map(|alarm| alarm.name.as_str()).collect();
            parts.push(format!(
                "{} changed state since {}, so its state then is not known",
                listed(&unknown_names),
                at.strftime("%Y-%m-%d %H:%M UTC")
            ));
        }
        if !prefixes_unknown.is_empty() {
            let asks = if self.on_alarm == Severity::Defer {
                Severity::Defer
            } else {
                Severity::Abstain
            };
            severity = severity.max(Some(asks));
            parts.push(format!(
                "which alarms started with {} at {} is not known (an alarm deleted since \
                 no longer shows)",
                listed(&prefixes_unknown),
                at.strftime("%Y-%m-%d %H:%M UTC")
            ));
        }
        match severity {
            Some(severity) => Check::fail(severity, format!("alarms: {}", parts.join("; "))),
            None => Check::pass(format!("alarms: every alarm is OK ({checked} checked)")),
        }
    }
}

/// A list field as written: when present, not empty, and every item a plausible alarm
/// name or prefix.
fn list(items: Option<Vec<String>>, at: &str, max: usize) -> Result<Vec<String>, PolicyError> {
    let Some(items) = items else {
        return Ok(Vec::new());
    };
    if items.is_empty() {
        return Err(PolicyError::at(
            at,
            "an empty list checks nothing: remove the field or name an alarm",
        ));
    }
    if items.len() > max {
        return Err(PolicyError::at(at, format!("at most {max} entries")));
    }
    for (index, item) in items.iter().enumerate() {
        let message = if item.trim().is_empty() {
            Some("an alarm name cannot be empty".to_owned())
        } else if item.chars().count() > MAX_NAME_CHARS {
            Some(format!(
                "longer than CloudWatch's {MAX_NAME_CHARS} characters"
            ))
        } else if item.chars().any(char::is_control) {
            Some("alarm names have no control characters".to_owned())
        } else {
            None
        };
        if let Some(message) = message {
            return Err(PolicyError::at(format!("{at}[{index}]"), message));
        }
    }
    Ok(items)
}

fn quoted(name: &str) -> String {
    format!("{:?}", names::printable(name, 80))
}

/// `a, b, c and 2 more`.
fn listed(items: &[&str]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(NAMED_IN_REASON)
        .map(|name| names::printable(name, 80))
        .collect();
    match items.len().saturating_sub(NAMED_IN_REASON) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

fn not_ok_reason(alarms: &[&AlarmStatus]) -> String {
    let mut described: Vec<String> = alarms
        .iter()
        .take(NAMED_IN_REASON)
        .map(|alarm| {
            let mut text = format!(
                "{} is {}",
                names::printable(&alarm.name, 80),
                names::printable(alarm.state.as_str(), 20)
            );
            if let Some(reason) = alarm.reason.as_deref().filter(|reason| !reason.is_empty()) {
                text.push_str(&format!(
                    " ({})",
                    names::truncate(&names::printable(reason, usize::MAX), STATE_REASON_CHARS)
                ));
            }
            text
        })
        .collect();
    let more = alarms.len().saturating_sub(NAMED_IN_REASON);
    if more > 0 {
        described.push(format!("{more} more not OK"));
    }
    described.join("; ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
