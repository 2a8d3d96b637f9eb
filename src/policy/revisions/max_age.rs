//! `max_age`: how old a revision may be, as written and as reported.

use std::fmt;

use jiff::SignedDuration;

/// A year is plenty for "not older than", and the cap keeps the arithmetic far from overflow.
const MAX_AGE_CAP_SECONDS: i64 = 365 * 86_400;

/// `max_age`: one positive whole number of minutes, hours or days, as written.
#[derive(Clone, Debug)]
pub(super) struct MaxAge {
    text: String,
    pub(super) seconds: i64,
    pub(super) unit: Unit,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Unit {
    Minutes,
    Hours,
    Days,
}

impl MaxAge {
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let explain = || {
            format!(
                "expected a whole number and a unit m, h or d, such as \"90m\", \"72h\" or \
                 \"14d\"; got {text:?}"
            )
        };
        let (digits, unit) = [('m', Unit::Minutes), ('h', Unit::Hours), ('d', Unit::Days)]
            .into_iter()
            .find_map(|(suffix, unit)| text.strip_suffix(suffix).map(|digits| (digits, unit)))
            .ok_or_else(explain)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(explain());
        }
        let seconds = digits
            .parse::<i64>()
            .ok()
            .and_then(|count| count.checked_mul(unit.seconds()))
            .filter(|seconds| *seconds <= MAX_AGE_CAP_SECONDS)
            .ok_or_else(|| format!("{text:?} is longer than the limit of 365d"))?;
        if seconds == 0 {
            return Err(format!(
                "{text:?} would refuse every revision; use a positive age"
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            seconds,
            unit,
        })
    }
}

impl fmt::Display for MaxAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Unit {
    fn seconds(self) -> i64 {
        match self {
            Self::Minutes => 60,
            Self::Hours => 3_600,
            Self::Days => 86_400,
        }
    }

    /// An age above the limit, in the limit's unit plus the next smaller one (`72h30m`,
    /// `15d2h`), rounded up so that it never reads as equal to the limit it exceeds.
    pub(super) fn format_above(self, age: SignedDuration) -> String {
        let seconds = age.as_secs() + i64::from(age.subsec_nanos() > 0);
        let (big, small, big_name, small_name) = match self {
            Self::Minutes => return format!("{}m", div_ceil(seconds, 60)),
            Self::Hours => (3_600, 60, "h", "m"),
            Self::Days => (86_400, 3_600, "d", "h"),
        };
        let smalls = div_ceil(seconds, small);
        let per_big = big / small;
        match (smalls / per_big, smalls % per_big) {
            (whole, 0) => format!("{whole}{big_name}"),
            (whole, rest) => format!("{whole}{big_name}{rest}{small_name}"),
        }
    }
}

fn div_ceil(value: i64, by: i64) -> i64 {
    value / by + i64::from(value % by > 0)
}
