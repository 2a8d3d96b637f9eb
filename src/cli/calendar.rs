//! `calendar`: for each rule with windows, when it may approve, when it is outside its allow
//! windows and when it is frozen, in the rule's zone, with the clock changes marked.

use std::collections::BTreeMap;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};

use super::ics::{self, Ics};
use crate::names;
use crate::policy::Rule;
use crate::policy::windows::{Period, TimeCheck, WindowState, Windows};

/// The end of a listing of `days` days of the rule's zone's calendar from `from`.
pub fn until(windows: &Windows, from: Timestamp, days: i64) -> Timestamp {
    from.to_zoned_datetime(windows.zone().clone())
        .checked_add(Span::new().days(days))
        .map(|until| until.timestamp())
        .or_else(|_| from.checked_add(SignedDuration::from_hours(24 * days)))
        .unwrap_or(Timestamp::MAX)
}

/// The calendar of one rule's windows from `from` for `days` days of its zone's calendar
/// (a day with a clock change is 23 or 25 hours long).
pub fn rule_text(rule: &Rule, windows: &Windows, from: Timestamp, days: i64) -> String {
    let until = until(windows, from, days);
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
                WindowState::Frozen(freeze) => format!("frozen by {}", freeze.text),
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

/// One rule's part of a calendar: its periods from `from` until `until`.
pub struct Listing<'a> {
    pub rule: &'a Rule,
    pub windows: &'a Windows,
    pub from: Timestamp,
    pub until: Timestamp,
}

/// How far back the start of a listing's first period is looked for, so that its UID is
/// the same whenever the listing starts within it (a calendar re-imported from a later run
/// updates the event instead of adding a second one). A period already in one state for
/// longer keeps the listing's start.
const FIRST_PERIOD_LOOKBACK_DAYS: i64 = 31;

/// The windows of every listed rule as one iCalendar object (RFC 5545): a VTIMEZONE for
/// each zone (none for UTC, whose times are written as UTC) and a VEVENT for each period,
/// may approve, outside every allow window, or frozen, the same periods [`rule_text`] lists.
/// `stamp` is the DTSTAMP, the moment the calendar was made.
pub fn ics(listings: &[Listing<'_>], stamp: Timestamp) -> String {
    let mut out = Ics::default();
    out.begin("VCALENDAR");
    out.raw("VERSION", "", "2.0");
    out.raw(
        "PRODID",
        "",
        "-//approval-gate//approval-gate-cli calendar//EN",
    );
    out.raw("CALSCALE", "", "GREGORIAN");
    out.raw("METHOD", "", "PUBLISH");
    out.text("X-WR-CALNAME", "approval-gate windows");
    let listed: Vec<(&Listing<'_>, Vec<Period>)> = listings
        .iter()
        .map(|listing| {
            (
                listing,
                listing.windows.periods(listing.from, listing.until),
            )
        })
        .collect();
    // Each zone once, over the span of all its rules' periods.
    let mut zones: BTreeMap<&str, (&TimeZone, Timestamp, Timestamp)> = BTreeMap::new();
    for (listing, periods) in &listed {
        let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
            continue;
        };
        let zone = listing.windows.zone();
        zones
            .entry(listing.windows.timezone_name())
            .and_modify(|(_, from, until)| {
                *from = (*from).min(first.from);
                *until = (*until).max(last.to);
            })
            .or_insert((zone, first.from, last.to));
    }
    for (name, (zone, from, until)) in &zones {
        if !is_utc(zone, *from) {
            vtimezone(&mut out, name, zone, *from, *until);
        }
    }
    let stamp = utc_time(stamp);
    for (listing, periods) in &listed {
        for (i, period) in periods.iter().enumerate() {
            let began = if i == 0 {
                first_period_start(listing.windows, period)
            } else {
                period.from
            };
            vevent(&mut out, listing, period, began, &stamp);
        }
    }
    out.end("VCALENDAR");
    out.finish()
}

fn vevent(out: &mut Ics, listing: &Listing<'_>, period: &Period, began: Timestamp, stamp: &str) {
    let windows = listing.windows;
    let rule = names::printable(&listing.rule.name, 200);
    let (kind, summary, state) = match &period.state {
        WindowState::Open => ("open", "may approve".to_owned(), "may approve"),
        WindowState::Outside => (
            "outside",
            "outside allow windows".to_owned(),
            "is outside every allow window",
        ),
        WindowState::Frozen(freeze) => (
            "frozen",
            format!("frozen: {}", names::printable(&freeze.name, 200)),
            "is frozen",
        ),
    };
    let mut description = format!(
        "Rule {rule} {state} from {} to {} ({}).",
        windows.local(period.from),
        windows.local(period.to),
        windows.timezone_name()
    );
    if let WindowState::Frozen(freeze) = &period.state {
        description.push_str(&format!(
            "\nFreeze: {}.",
            names::printable(&freeze.text, 300)
        ));
    }
    if period.state != WindowState::Open {
        let outside = windows.outside().as_str();
        description.push_str(&format!(
            "\nThe rule may not approve then: its windows ask the gate to {outside} \
             (\"outside\": \"{outside}\")."
        ));
    }
    description.push_str("\nListed by approval-gate-cli calendar from the policy's windows.");
    out.begin("VEVENT");
    out.raw(
        "UID",
        "",
        &format!(
            "{}-{kind}-{:016x}@approval-gate",
            utc_time(began),
            fnv1a(listing.rule.name.as_bytes())
        ),
    );
    out.raw("DTSTAMP", "", stamp);
    date_time(out, "DTSTART", windows, period.from);
    date_time(out, "DTEND", windows, period.to);
    out.text("SUMMARY", &format!("{rule}: {summary}"));
    out.text("DESCRIPTION", &description);
    out.raw("CATEGORIES", "", &format!("approval-gate,{kind}"));
    // The events describe the gate, not anyone's time: they never show as busy.
    out.raw("TRANSP", "", "TRANSPARENT");
    out.end("VEVENT");
}

/// When the first period of a listing began: looked for up to
/// [`FIRST_PERIOD_LOOKBACK_DAYS`] back, else the listing's start.
fn first_period_start(windows: &Windows, period: &Period) -> Timestamp {
    let Ok(back) = period
        .from
        .checked_sub(SignedDuration::from_hours(24 * FIRST_PERIOD_LOOKBACK_DAYS))
    else {
        return period.from;
    };
    match windows.periods(back, period.from).last() {
        Some(last) if last.state == period.state && last.from > back => last.from,
        _ => period.from,
    }
}

/// A zone that is UTC at all times: its times are written as UTC, with no VTIMEZONE.
fn is_utc(zone: &TimeZone, at: Timestamp) -> bool {
    zone.to_offset(at) == Offset::UTC
        && zone.preceding(at).next().is_none()
        && zone.following(at).next().is_none()
}

/// A DTSTART or DTEND: the rule's local time with its TZID, so that calendars show the
/// rule's clock; or UTC where the local time would name another instant (the second pass
/// of a repeated hour, which RFC 5545 3.3.5 reads as the first) or the zone is UTC.
fn date_time(out: &mut Ics, name: &str, windows: &Windows, at: Timestamp) {
    let zone = windows.zone();
    let at = whole_second(at);
    let civil = zone.to_offset(at).to_datetime(at);
    let names_at = zone.to_ambiguous_timestamp(civil).earlier().ok() == Some(at);
    if names_at && !is_utc(zone, at) {
        let params = format!(";TZID={}", ics::param_value(windows.timezone_name()));
        out.raw(name, &params, &civil.strftime(LOCAL).to_string());
    } else {
        out.raw(name, "", &utc_time(at));
    }
}

const LOCAL: &str = "%Y%m%dT%H%M%S";

/// The zone's observances from the one in force at `from` to the last that begins by
/// `until`, from its real transitions.
fn vtimezone(out: &mut Ics, name: &str, zone: &TimeZone, from: Timestamp, until: Timestamp) {
    out.begin("VTIMEZONE");
    out.raw("TZID", "", &ics::escape_text(name));
    let after_from = from
        .checked_add(SignedDuration::from_secs(1))
        .unwrap_or(from);
    match zone.preceding(after_from).next() {
        Some(first) => {
            let later = zone
                .following(first.timestamp())
                .take_while(|transition| transition.timestamp() <= until);
            for transition in std::iter::once(first).chain(later) {
                let at = transition.timestamp();
                let before = at
                    .checked_sub(SignedDuration::from_secs(1))
                    .map_or(transition.offset(), |before| zone.to_offset(before));
                observance(
                    out,
                    transition.dst().is_dst(),
                    before.to_datetime(at),
                    before,
                    transition.offset(),
                    transition.abbreviation(),
                );
            }
        }
        // A zone without transitions: one observance, in force from the listing's start.
        None => {
            let info = zone.to_offset_info(from);
            observance(
                out,
                info.dst().is_dst(),
                info.offset().to_datetime(from),
                info.offset(),
                info.offset(),
                info.abbreviation(),
            );
        }
    }
    out.end("VTIMEZONE");
}

fn observance(
    out: &mut Ics,
    daylight: bool,
    starts: DateTime,
    from: Offset,
    to: Offset,
    abbreviation: &str,
) {
    let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
    out.begin(kind);
    out.raw("DTSTART", "", &starts.strftime(LOCAL).to_string());
    out.raw("TZOFFSETFROM", "", &utc_offset(from));
    out.raw("TZOFFSETTO", "", &utc_offset(to));
    out.text("TZNAME", abbreviation);
    out.end(kind);
}

/// A UTC-OFFSET value: `+0100`, `-0330`, with seconds only when there are any.
fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

fn utc_time(at: Timestamp) -> String {
    whole_second(at)
        .to_zoned_datetime(TimeZone::UTC)
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn whole_second(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// FNV-1a, 64 bits: a hash of a rule's name that stays the same across builds and
/// platforms, for UIDs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn rule(windows: &str) -> Rule {
        let policy = format!(r#"{{"rules": [{{"name": "prod", "windows": {windows}}}]}}"#);
        let mut policy = Policy::from_json(&policy).unwrap();
        policy.rules.remove(0)
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn written(windows: &Windows, instant: &str) -> String {
        let mut out = Ics::default();
        date_time(&mut out, "DTSTART", windows, at(instant));
        out.finish()
    }

    fn calendar(rule: &Rule, from: &str, until: &str) -> String {
        let listing = Listing {
            rule,
            windows: rule.windows.as_ref().unwrap(),
            from: at(from),
            until: at(until),
        };
        ics(&[listing], at("2026-12-01T00:00:00Z"))
    }

    #[test]
    fn a_time_in_the_second_pass_of_a_repeated_hour_is_written_in_utc() {
        // Berlin, 2026-10-25: 02:00-03:00 comes twice, first in CEST (00:00-01:00 UTC), then
        // in CET (01:00-02:00 UTC); a local time names the first pass (RFC 5545 3.3.5).
        let rule = rule(r#"{"timezone": "Europe/Berlin"}"#);
        let windows = rule.windows.as_ref().unwrap();
        assert_eq!(
            written(windows, "2026-10-25T00:30:00Z"),
            "DTSTART;TZID=Europe/Berlin:20261025T023000\r\n"
        );
        assert_eq!(
            written(windows, "2026-10-25T01:00:00Z"),
            "DTSTART:20261025T010000Z\r\n"
        );
        assert_eq!(
            written(windows, "2026-10-25T01:59:59Z"),
            "DTSTART:20261025T015959Z\r\n"
        );
        assert_eq!(
            written(windows, "2026-10-25T02:00:00Z"),
            "DTSTART;TZID=Europe/Berlin:20261025T030000\r\n"
        );
        // A time with a fraction of a second is written to its second.
        assert_eq!(
            written(windows, "2027-03-28T01:00:00.75Z"),
            "DTSTART;TZID=Europe/Berlin:20270328T030000\r\n"
        );
    }

    #[test]
    fn a_zone_without_transitions_has_one_observance_and_utc_has_none() {
        let fixed = rule(
            r#"{"timezone": "Etc/GMT-3", "allow": [{"days": ["mon"], "from": "09:00", "to": "10:00"}]}"#,
        );
        let text = calendar(&fixed, "2027-01-04T00:00:00Z", "2027-01-05T00:00:00Z");
        assert!(text.contains(
            "BEGIN:VTIMEZONE\r\nTZID:Etc/GMT-3\r\nBEGIN:STANDARD\r\nDTSTART:20270104T030000\r\n\
             TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nTZNAME:+03\r\nEND:STANDARD\r\n\
             END:VTIMEZONE\r\n"
        ));
        assert!(text.contains("DTSTART;TZID=Etc/GMT-3:20270104T090000\r\n"));
        let utc = rule(
            r#"{"timezone": "UTC", "allow": [{"days": ["mon"], "from": "09:00", "to": "10:00"}]}"#,
        );
        let text = calendar(&utc, "2027-01-04T00:00:00Z", "2027-01-05T00:00:00Z");
        assert!(!text.contains("VTIMEZONE"));
        assert!(text.contains("DTSTART:20270104T090000Z\r\nDTEND:20270104T100000Z\r\n"));
    }

    #[test]
    fn offsets_are_written_with_their_sign_and_seconds_only_when_there_are_any() {
        let offset = |seconds| utc_offset(Offset::from_seconds(seconds).unwrap());
        assert_eq!(offset(0), "+0000");
        assert_eq!(offset(-12_600), "-0330");
        assert_eq!(offset(20_700), "+0545");
        assert_eq!(offset(3_208), "+005328");
    }

    #[test]
    fn the_first_periods_uid_names_when_it_began_within_the_lookback() {
        // Open Mondays 09:00-17:00 UTC: a listing from Wednesday starts in a period that
        // began on Monday at 17:00.
        let weekly = rule(
            r#"{"timezone": "UTC", "allow": [{"days": ["mon"], "from": "09:00", "to": "17:00"}]}"#,
        );
        let text = calendar(&weekly, "2027-01-06T12:34:56Z", "2027-01-07T00:00:00Z");
        assert!(text.contains("UID:20270104T170000Z-outside-"), "{text}");
        assert!(text.contains("DTSTART:20270106T123456Z\r\n"));
        // Never open in the lookback: the bound is hit, and the listing's start stands.
        let always = rule(r#"{"timezone": "UTC"}"#);
        let text = calendar(&always, "2027-01-06T12:34:56Z", "2027-01-07T00:00:00Z");
        assert!(text.contains("UID:20270106T123456Z-open-"), "{text}");
    }

    #[test]
    fn hostile_rule_names_reach_the_calendar_escaped_on_one_line() {
        // Freeze reasons are refused unless printable; rule names are any text.
        let policy = r#"{"rules": [{"name": "x\r\nEND:VEVENT\u001b[2J;,\\\u202e",
            "windows": {"timezone": "UTC"}}]}"#;
        let hostile = Policy::from_json(policy).unwrap().rules.remove(0);
        let text = calendar(&hostile, "2027-01-06T00:00:00Z", "2027-01-07T00:00:00Z");
        assert!(
            text.contains("SUMMARY:x  END:VEVENT [2J\\;\\,\\\\: may approve\r\n"),
            "{text}"
        );
        assert_eq!(text.matches("END:VEVENT\r\n").count(), 1);
    }
}
