//! `calendar`: for each rule with windows, when it may approve, when it is outside its allow
//! windows and when it is frozen, in the rule's zone, with the clock changes marked.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use crate::policy::Rule;
use crate::policy::windows::{TimeCheck, WindowState, Windows};

/// The calendar of one rule's windows from `from` for `days` days of its zone's calendar
/// (a day with a clock change is 23 or 25 hours long).
pub fn rule_text(rule: &Rule, windows: &Windows, from: Timestamp, days: i64) -> String {
    let until = TimeZone::get(windows.timezone_name())
        .and_then(|zone| {
            from.to_zoned_datetime(zone)
                .checked_add(Span::new().days(days))
        })
        .map(|until| until.timestamp())
        .or_else(|_| from.checked_add(SignedDuration::from_hours(24 * days)))
        .unwrap_or(Timestamp::MAX);
    let zone = windows.timezone_name();
    let mut out = format!(
        "rule {} ({zone}), {} to {}\n",
        rule.name,
        windows.local(from),
        windows.local(until)
    );
    match windows.at(from) {
        TimeCheck::Open { reason } => out.push_str(&format!("  at the start: open, {reason}\n")),
        TimeCheck::Closed {
            reason,
            next_open_text,
            ..
        } => {
            out.push_str(&format!("  at the start: closed, {reason}\n"));
            out.push_str(&format!(
                "  opens next: {}\n",
                next_open_text.unwrap_or_else(|| "not within 400 days".into())
            ));
        }
    }
    let mut lines: Vec<(Timestamp, String)> = windows
        .periods(from, until)
        .into_iter()
        .map(|period| {
            let state = match period.state {
                WindowState::Open => "may approve".to_owned(),
                WindowState::Outside => "outside every allow window".to_owned(),
                WindowState::Frozen(freeze) => format!("frozen by {freeze}"),
            };
            (
                period.from,
                format!(
                    "  {} to {}  {state}\n",
                    windows.local(period.from),
                    windows.local(period.to)
                ),
            )
        })
        .collect();
    lines.extend(
        windows
            .clock_changes(from, until)
            .into_iter()
            .map(|change| {
                (
                    change.at,
                    format!(
                        "  -- clock change at {}: {}\n",
                        windows.local(change.at),
                        change.text
                    ),
                )
            }),
    );
    // A clock change sorts before the period that starts with it.
    lines.sort_by_key(|(at, line)| (*at, !line.starts_with("  --")));
    for (_, line) in lines {
        out.push_str(&line);
    }
    out
}
