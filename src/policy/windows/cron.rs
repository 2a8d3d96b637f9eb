//! Allow windows written as cron expressions, in the syntax of CodePipeline's
//! `DeploymentWindow` rule (the AWS cron dialect), so that a rule moves from a stage
//! condition to the gate unchanged: `* * 9-16 ? * MON-THU *` is inside the window during
//! every minute it matches, on the rule's clock.
//!
//! The dialect: seconds (which must be `*`), minute, hour, day of month, month, day of week
//! (1-7 = SUN-SAT, or names) and an optional year; exactly one of day of month and day of
//! week is `?`. `L`, `W` and `#` work as in AWS. Anything else is refused at load time:
//! an expression CodePipeline would not take is not guessed at.

use croner::Cron;
use croner::errors::CronError;
use croner::parser::{CronParser, Seconds, Year};
use croner::{CivilDate, CivilDateTime, CivilTime, CronDateTime, Resolution, Weekday};
use jiff::SignedDuration;
use jiff::civil::DateTime;

/// The longest run of matching minutes followed to its end: a week. A window matching
/// longer than that (`* * * ? * *`) is open whenever it matches, and its run starts are
/// only needed where something else (a freeze) closed it, which gives its own candidates.
const LONGEST_RUN_MINUTES: i64 = 7 * 24 * 60;

/// Each field's range in AWS cron: seconds, minute, hour, day of month, month, day of
/// week (1 = SUN), year.
const FIELD_RANGES: [(u32, u32); 7] = [
    (0, 59),
    (0, 59),
    (0, 23),
    (1, 31),
    (1, 12),
    (1, 7),
    (1970, 2199),
];

/// `*/n` and `a/n` as AWS reads them, `first-last/n` and `a-last/n`, item by item of a
/// list; everything else unchanged.
fn with_explicit_steps(field: &str, first: u32, last: u32) -> String {
    field
        .split(',')
        .map(|item| match item.split_once('/') {
            Some(("*", step)) => format!("{first}-{last}/{step}"),
            Some((start, step)) if start.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{start}-{last}/{step}")
            }
            _ => item.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Clone, Debug)]
pub(super) struct CronWindow {
    text: String,
    cron: Cron,
}

impl CronWindow {
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if !(6..=7).contains(&fields.len()) {
            return Err(format!(
                "has {} fields; a DeploymentWindow expression has 6 (seconds, minute, hour, \
                 day of month, month, day of week) and an optional year",
                fields.len()
            ));
        }
        if fields[0] != "*" {
            return Err("the seconds field must be `*`".into());
        }
        if text.contains('@') {
            return Err("nicknames such as @daily are not part of the AWS cron syntax".into());
        }
        if fields[5]
            .split(',')
            .any(|item| item.eq_ignore_ascii_case("L"))
        {
            return Err(
                "`L` alone in the day of week is ambiguous here: write `7` (or `SAT`) for the \
                 last day of the week, or `nL` for the last such weekday of the month"
                    .into(),
            );
        }
        match (fields[3] == "?", fields[5] == "?") {
            (true, false) | (false, true) => {}
            _ => {
                return Err(
                    "exactly one of day of month and day of week must be `?`, as in AWS cron"
                        .into(),
                );
            }
        }
        // AWS cron counts a step from the first value of its field's range (`*/3` in the
        // year is 1970, 1973, ...; `0/15` in the minute is 0, 15, 30, 45); say so to the
        // parser with explicit ranges, whose steps count from their start.
        let text = fields
            .iter()
            .zip(FIELD_RANGES)
            .map(|(field, (first, last))| with_explicit_steps(field, first, last))
            .collect::<Vec<_>>()
            .join(" ");
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Optional)
            .alternative_weekdays(true)
            .build()
            .parse(&text)
            .map_err(|error| format!("is not a valid cron expression: {error}"))?;
        Ok(Self {
            text: fields.join(" "),
            cron,
        })
    }

    /// Whether the minute `civil` lies in (on the rule's clock) matches.
    pub(super) fn covers(&self, civil: DateTime) -> bool {
        self.cron
            .is_time_matching(&Wall(
                civil
                    .with()
                    .second(0)
                    .subsec_nanosecond(0)
                    .build()
                    .unwrap_or(civil),
            ))
            // A time croner cannot place (outside its years 1 to 4999) is outside the window.
            .unwrap_or(false)
    }

    /// Where runs of matching minutes start on the clock after `from`, in order: the
    /// minutes that match while the minute before does not. Lazy, so that a search for
    /// the next opening reads only as far as it needs.
    pub(super) fn starts(&self, from: DateTime) -> impl Iterator<Item = DateTime> + '_ {
        let mut cursor = Some(from);
        std::iter::from_fn(move || {
            loop {
                let Ok(Wall(start)) = self.cron.find_next_occurrence(&Wall(cursor?), false) else {
                    cursor = None;
                    return None;
                };
                let before = start.checked_sub(SignedDuration::from_mins(1));
                let is_start = before.map_or(true, |before| !self.covers(before));
                // Past the end of this run: the next occurrence is then the next run's start.
                let mut end = start;
                for _ in 0..LONGEST_RUN_MINUTES {
                    match end.checked_add(SignedDuration::from_mins(1)) {
                        Ok(next) if self.covers(next) => end = next,
                        _ => break,
                    }
                }
                cursor = Some(end);
                if is_start {
                    return Some(start);
                }
            }
        })
    }
}

impl std::fmt::Display for CronWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cron {}", self.text)
    }
}

/// A time on the rule's clock, as croner searches it: without a zone (the windows module
/// places clock times in the zone itself, daylight saving included).
#[derive(Clone, Copy, Debug)]
struct Wall(DateTime);

impl CronDateTime for Wall {
    fn to_civil(&self) -> CivilDateTime {
        let civil = self.0;
        CivilDateTime::new(
            CivilDate::from_parts_unchecked(
                i32::from(civil.year()),
                civil.month().unsigned_abs().into(),
                civil.day().unsigned_abs().into(),
            ),
            CivilTime::from_parts_unchecked(
                civil.hour().unsigned_abs().into(),
                civil.minute().unsigned_abs().into(),
                civil.second().unsigned_abs().into(),
            ),
        )
    }

    fn civil_weekday(&self) -> Weekday {
        Weekday::from_days_from_sunday(
            self.0
                .weekday()
                .to_sunday_zero_offset()
                .unsigned_abs()
                .into(),
        )
    }

    fn resolve_civil(&self, civil: CivilDateTime) -> Result<Resolution<Self>, CronError> {
        let field = |value: u32| i8::try_from(value).map_err(|_| CronError::InvalidDate);
        let year = i16::try_from(civil.year()).map_err(|_| CronError::InvalidDate)?;
        DateTime::new(
            year,
            field(civil.month())?,
            field(civil.day())?,
            field(civil.hour())?,
            field(civil.minute())?,
            field(civil.second())?,
            0,
        )
        .map(|datetime| Resolution::Single(Wall(datetime)))
        .map_err(|_| CronError::InvalidDate)
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(Wall)
    }

    fn cmp_instant(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
