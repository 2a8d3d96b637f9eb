//! The fields of an AWS cron expression, read one by one into the values they allow. Each
//! refusal names its field and shows a form that field takes, so a policy author can fix
//! the expression without a cron manual.
//!
//! | Field        | Values          | Special characters |
//! |--------------|-----------------|--------------------|
//! | minute       | 0-59            | `, - * /`          |
//! | hour         | 0-23            | `, - * /`          |
//! | day of month | 1-31            | `, - * ? / L W`    |
//! | month        | 1-12, JAN-DEC   | `, - * /`          |
//! | day of week  | 1-7, SUN-SAT    | `, - * ? / L #`    |
//! | year         | 1970-2199       | `, - * /`          |
//!
//! `L`, `L-n`, `nW` and `LW` (day of month), and `L`, `nL` and `n#k` (day of week) stand
//! alone in their field, as Quartz (whose dialect AWS documents) requires; EventBridge calls a
//! list with `#` invalid.

/// A field of the expression, after the seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Field {
    fn name(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
            Self::Year => "year",
        }
    }

    /// The first and last value of the field.
    pub(super) fn range(self) -> (u32, u32) {
        match self {
            Self::Minute => (0, 59),
            Self::Hour => (0, 23),
            Self::DayOfMonth => (1, 31),
            Self::Month => (1, 12),
            Self::DayOfWeek => (1, 7),
            Self::Year => (1970, 2199),
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Self::Month => &MONTH_NAMES,
            Self::DayOfWeek => &WEEKDAY_NAMES,
            _ => &[],
        }
    }

    /// What the field takes, for a refusal: "numbers 0-59 with `, - * /` (e.g. `0/15`)".
    fn takes(self) -> &'static str {
        match self {
            Self::Minute => "numbers 0-59 with `, - * /` (e.g. `0/15` or `0-29`)",
            Self::Hour => "numbers 0-23 with `, - * /` (e.g. `9-16`)",
            Self::DayOfMonth => {
                "numbers 1-31 with `, - * /`, or one of `L`, `L-3`, `15W`, `LW` alone, or `?` \
                 (e.g. `1-15`)"
            }
            Self::Month => "numbers 1-12 or JAN-DEC with `, - * /` (e.g. `JAN-JUN`)",
            Self::DayOfWeek => {
                "numbers 1-7 (1 = SUN) or SUN-SAT with `, - * /`, or one of `L`, `6L`, `MON#1` \
                 alone, or `?` (e.g. `MON-FRI`)"
            }
            Self::Year => "years 1970-2199 with `, - * /` (e.g. `2026` or `2026-2027`)",
        }
    }

    fn refuse(self, text: &str, problem: &str) -> String {
        format!(
            "the {} field `{text}` {problem}; it takes {}",
            self.name(),
            self.takes()
        )
    }
}

/// A set of a field's values, as bits from the field's first value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Set {
    first: u32,
    bits: [u64; 4],
}

impl Set {
    fn empty(field: Field) -> Self {
        Self {
            first: field.range().0,
            bits: [0; 4],
        }
    }

    pub(super) fn full(field: Field) -> Self {
        let (first, last) = field.range();
        let mut set = Self::empty(field);
        set.insert_range(first, last, 1);
        set
    }

    fn insert_range(&mut self, from: u32, to: u32, step: u32) {
        let mut value = from;
        while value <= to {
            let bit = value - self.first;
            if let Some(word) = self.bits.get_mut((bit / 64) as usize) {
                *word |= 1 << (bit % 64);
            }
            value = value.saturating_add(step.max(1));
        }
    }

    pub(super) fn contains(&self, value: u32) -> bool {
        value
            .checked_sub(self.first)
            .and_then(|bit| self.bits.get((bit / 64) as usize).map(|word| (bit, word)))
            .is_some_and(|(bit, word)| word & (1 << (bit % 64)) != 0)
    }

    /// The smallest value in the set at or after `from`.
    pub(super) fn next(&self, from: u32) -> Option<u32> {
        let mut bit = from.saturating_sub(self.first);
        while let Some(word) = self.bits.get((bit / 64) as usize) {
            let rest = word >> (bit % 64);
            if rest != 0 {
                return Some(self.first + bit + rest.trailing_zeros());
            }
            bit = (bit / 64 + 1) * 64;
        }
        None
    }
}

/// The day of month field, other than `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum DayOfMonth {
    Days(Set),
    /// `L` (offset 0) and `L-n`: the last day of the month, or `n` days before it.
    Last(u32),
    /// `nW`: the weekday (Monday to Friday) nearest day `n`, within its month.
    NearestWeekday(u32),
    /// `LW`: the last weekday of the month.
    LastWeekday,
}

/// The day of week field, other than `?`; days count 1 = SUN to 7 = SAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum DayOfWeek {
    /// Also `L` alone, which is `7` (SAT).
    Days(Set),
    /// `nL`: the last such weekday of the month.
    Last(u32),
    /// `n#k`: the `k`-th such weekday of the month, `k` 1 to 5.
    Nth(u32, u32),
}

/// A field of values with `, - * /` (minute, hour, month, year, and the plain forms of
/// the day fields).
pub(super) fn values(field: Field, text: &str) -> Result<Set, String> {
    let items: Vec<&str> = text.split(',').collect();
    if items.iter().any(|item| item.is_empty()) {
        let fixed: Vec<&str> = items.into_iter().filter(|item| !item.is_empty()).collect();
        let example = if fixed.is_empty() {
            "*".to_owned()
        } else {
            fixed.join(",")
        };
        return Err(format!(
            "the {} field `{text}` has an empty list item; write e.g. `{example}`",
            field.name()
        ));
    }
    let mut set = Set::empty(field);
    for item in items {
        let (from, to, step) = item_range(field, text, item)?;
        set.insert_range(from, to, step);
    }
    Ok(set)
}

/// One list item: `*`, `a`, `a-b`, each with an optional `/step`; a step after a single
/// value runs to the end of the field's range, as in AWS.
fn item_range(field: Field, text: &str, item: &str) -> Result<(u32, u32, u32), String> {
    let (first, last) = field.range();
    let (body, step) = match item.split_once('/') {
        Some((body, step)) => (body, Some(step)),
        None => (item, None),
    };
    let step = match step {
        None => 1,
        Some(step) => {
            let size = last - first + 1;
            match number(step) {
                Some(value) if (1..=size).contains(&value) => value,
                _ => {
                    return Err(field.refuse(
                        text,
                        &format!("has the step `/{step}`, which is not a number 1-{size}"),
                    ));
                }
            }
        }
    };
    if body == "*" {
        return Ok((first, last, step));
    }
    let Some((start, end)) = body.split_once('-') else {
        let (value, _) = value(field, text, body)?;
        let end = if item.contains('/') { last } else { value };
        return Ok((value, end, step));
    };
    let (start, start_is_name) = value(field, text, start)?;
    let (end, end_is_name) = value(field, text, end)?;
    if start_is_name != end_is_name {
        return Err(field.refuse(
            text,
            &format!("mixes a name and a number in the range `{body}`; write both ends alike"),
        ));
    }
    if start > end {
        let (low, high) = if start_is_name {
            (name_of(field, first), name_of(field, last))
        } else {
            (first.to_string(), last.to_string())
        };
        let (from, to) = body.split_once('-').unwrap_or((body, body));
        return Err(format!(
            "the {} field `{text}` has the range `{body}`, which wraps around; ranges do not \
             wrap in AWS cron: write `{from}-{high},{low}-{to}`",
            field.name()
        ));
    }
    Ok((start, end, step))
}

fn name_of(field: Field, value: u32) -> String {
    let (first, _) = field.range();
    field
        .names()
        .get((value - first) as usize)
        .map_or_else(|| value.to_string(), |name| (*name).to_owned())
}

/// A number of ASCII digits (at most nine, so it cannot overflow).
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A single value, a number in the field's range or a name; and whether it was a name.
fn value(field: Field, text: &str, token: &str) -> Result<(u32, bool), String> {
    let (first, last) = field.range();
    if let Some(value) = number(token) {
        if (first..=last).contains(&value) {
            return Ok((value, false));
        }
        let hint = match field {
            Field::Year if value < 100 => format!("write the full year, e.g. `{}`", 2000 + value),
            _ => format!("it takes {}", field.takes()),
        };
        return Err(format!(
            "the {} field `{text}` has {value}, outside {first}-{last}; {hint}",
            field.name()
        ));
    }
    let upper = token.to_ascii_uppercase();
    if let Some(index) = field.names().iter().position(|name| *name == upper) {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        return Ok((first + index, true));
    }
    Err(field.refuse(text, &format!("has `{token}`, which is not a value")))
}

/// The day of month field when it is not `?`.
pub(super) fn day_of_month(text: &str) -> Result<DayOfMonth, String> {
    let field = Field::DayOfMonth;
    let upper = text.to_ascii_uppercase();
    if !upper.contains(['L', 'W']) {
        return values(field, text).map(DayOfMonth::Days);
    }
    let with_others = if upper.starts_with("L-") {
        upper.contains([',', '/', '*'])
    } else {
        upper.contains([',', '-', '/', '*'])
    };
    if with_others {
        return Err(format!(
            "the day-of-month field `{text}` combines `L` or `W` with other days; AWS takes \
             `L`, `L-3`, `15W` and `LW` only alone: write e.g. `L`, and for more days add \
             another cron window"
        ));
    }
    if upper == "L" {
        return Ok(DayOfMonth::Last(0));
    }
    if upper == "LW" {
        return Ok(DayOfMonth::LastWeekday);
    }
    if let Some(offset) = upper.strip_prefix("L-") {
        return match number(offset) {
            Some(offset) if offset <= 30 => Ok(DayOfMonth::Last(offset)),
            _ => Err(field.refuse(
                text,
                "has an offset from the last day that is not a number 0-30 (e.g. `L-3`)",
            )),
        };
    }
    if let Some(day) = upper.strip_suffix('W') {
        return match number(day) {
            Some(day) if (1..=31).contains(&day) => Ok(DayOfMonth::NearestWeekday(day)),
            _ => Err(field.refuse(
                text,
                "has `W` after something other than a day 1-31 or `L` (e.g. `15W`)",
            )),
        };
    }
    Err(field.refuse(text, "is not one of `L`, `L-n`, `nW` or `LW`"))
}

/// The day of week field when it is not `?`.
pub(super) fn day_of_week(text: &str) -> Result<DayOfWeek, String> {
    let field = Field::DayOfWeek;
    let upper = text.to_ascii_uppercase();
    let special = |item: &str| item.contains('#') || item.ends_with('L');
    if upper.contains(',') && upper.split(',').any(special) {
        return Err(format!(
            "the day-of-week field `{text}` puts `L` or `#` in a list; AWS takes `L`, `6L` and \
             `MON#1` only alone: write e.g. `MON#1` in one cron window and `MON#3` in another"
        ));
    }
    if upper == "L" {
        let mut set = Set::empty(field);
        set.insert_range(7, 7, 1);
        return Ok(DayOfWeek::Days(set));
    }
    if let Some((day, nth)) = upper.split_once('#') {
        let (day, _) = value(field, text, day)?;
        return match number(nth) {
            Some(nth) if (1..=5).contains(&nth) => Ok(DayOfWeek::Nth(day, nth)),
            _ => Err(field.refuse(text, "has `#` without a week 1-5 after it (e.g. `MON#1`)")),
        };
    }
    if let Some(day) = upper.strip_suffix('L') {
        let (day, _) = value(field, text, day)?;
        return Ok(DayOfWeek::Last(day));
    }
    values(field, text).map(DayOfWeek::Days)
}
