//! Unit tests of the time windows: shared helpers here, one file per topic.

use serde::Deserialize;
use serde_json::{Value, json};

use super::parse::error;
use super::*;
use crate::check::Severity;
use crate::policy::PolicyError;

mod bounds;
mod calendar;
mod cron;
mod dst;
mod example;
/// Random policies against a brute-force reading of the definition.
mod oracle;
mod parsing;
mod recurring;

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
    windows.at(utc(at)).is_open()
}

fn next_open(windows: &Windows, at: &str) -> Option<Timestamp> {
    match windows.at(utc(at)) {
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
