//! Reading a rule's `windows` object as written: every field validated, every time placed
//! on the rule's clock, so that [`Windows`] holds nothing that can fail later.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use serde::Deserialize;

use super::clock::{at_minute, render_civil};
use super::cron::CronWindow;
use super::dst::{Side, resolve};
use super::{
    Allow, DAY_NAMES, Freeze, MINUTES_PER_DAY, REASON_MAX_CHARS, Recurrence, Weekly, Windows,
    YearlyPoint,
};
use crate::check::Severity;
use crate::policy::PolicyError;

/// What a rule document holds under `"windows"`.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WindowsDocument {
    /// IANA zone name every local time in `windows` is read in, e.g. "Europe/Berlin".
    timezone: String,
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    allow: Vec<AllowDocument>,
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    freeze: Vec<FreezeDocument>,
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    outside: Severity,
}

/// An allow window: `days`, `from` and `to`, or `cron` alone.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "cli",
    schemars(extend("oneOf" = [{"required": ["days", "from", "to"], "maxProperties": 3},
                               {"required": ["cron"], "maxProperties": 1}]))
)]
#[serde(deny_unknown_fields)]
struct AllowDocument {
    /// With `from` and `to`: the days the window opens ("mon" ... "sun").
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(inner(regex(pattern = DAY_PATTERN))))]
    days: Option<Vec<String>>,
    /// Local clock time "HH:MM".
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(regex(pattern = CLOCK_PATTERN)))]
    from: Option<String>,
    /// Local clock time "HH:MM", exclusive; "24:00" ends the day. Not after `from`: the
    /// window crosses midnight.
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(regex(pattern = END_CLOCK_PATTERN)))]
    to: Option<String>,
    /// Instead of `days`, `from` and `to`: a cron expression of CodePipeline's
    /// DeploymentWindow rule, e.g. "* * 9-16 ? * MON-THU *".
    #[serde(default, deserialize_with = "crate::policy::present")]
    cron: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct FreezeDocument {
    #[serde(default, deserialize_with = "crate::policy::present")]
    every: Option<Every>,
    /// Only for `"every": "week"`.
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(inner(regex(pattern = DAY_PATTERN))))]
    days: Option<Vec<String>>,
    /// One-off: "YYYY-MM-DDTHH:MM", optionally with "Z" or an offset; yearly: "MM-DD HH:MM";
    /// weekly: "HH:MM".
    #[cfg_attr(feature = "cli", schemars(regex(pattern = FREEZE_TIME_PATTERN)))]
    from: String,
    /// As `from`; a weekly freeze may end at "24:00".
    #[cfg_attr(feature = "cli", schemars(regex(pattern = FREEZE_TIME_PATTERN)))]
    to: String,
    /// Quoted when the freeze closes the gate: one line, at most 100 characters.
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = 100)))]
    reason: Option<String>,
}

// The shapes the parser below accepts, for the JSON Schema (the parser is the authority:
// it also checks ranges such as 23:59 and real dates).
#[cfg(feature = "cli")]
const DAY_PATTERN: &str = "^(mon|tue|wed|thu|fri|sat|sun)$";
#[cfg(feature = "cli")]
const CLOCK_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
#[cfg(feature = "cli")]
const END_CLOCK_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
#[cfg(feature = "cli")]
const FREEZE_TIME_PATTERN: &str = "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?|[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}|[0-9]{2}:[0-9]{2})$";

#[derive(Clone, Copy, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
enum Every {
    Year,
    Week,
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
            .map(|(index, window)| Allow::parse(window, &format!("{at}.allow[{index}]")))
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
}

impl Allow {
    fn parse(document: AllowDocument, at: &str) -> Result<Self, PolicyError> {
        match document {
            AllowDocument {
                cron: Some(text),
                days: None,
                from: None,
                to: None,
            } => CronWindow::parse(&text)
                .map(|window| Allow::Cron(Box::new(window)))
                .map_err(|message| error(format!("{at}.cron"), message)),
            AllowDocument { cron: Some(_), .. } => Err(error(
                format!("{at}.cron"),
                "a window is either `cron` or `days`, `from` and `to`, not both",
            )),
            AllowDocument {
                days: Some(days),
                from: Some(from),
                to: Some(to),
                cron: None,
            } => Weekly::parse(&days, &from, &to, at).map(Allow::Weekly),
            AllowDocument { days, from, .. } => {
                let missing = if days.is_none() {
                    "days"
                } else if from.is_none() {
                    "from"
                } else {
                    "to"
                };
                Err(error(
                    format!("{at}.{missing}"),
                    "missing: a window needs `days`, `from` and `to`, or a `cron` expression",
                ))
            }
        }
    }
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
                (Recurrence::OneOff { from, to }, span)
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
                    Recurrence::Yearly { from, to },
                    format!("every year {from} to {to}"),
                )
            }
            Some(Every::Week) => {
                let days = document
                    .days
                    .ok_or_else(|| error(format!("{at}.days"), "a weekly freeze needs `days`"))?;
                let window = Weekly::parse(&days, &document.from, &document.to, at)?;
                (Recurrence::Weekly(window), format!("every {window}"))
            }
        };
        Ok(Self { rule, reason, span })
    }
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

pub(super) fn error(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        message: message.into(),
    }
}
