//! Systems Manager `GetCalendarState` (awsJson1.1, target prefix `AmazonSSM`).
//!
//! A calendar is `DEFAULT_OPEN` with events that close it: spans of epoch seconds.

use serde_json::{Value, json};

use crate::http::epoch_seconds;
use crate::world::{ApiError, World};

/// The `X-Amz-Target` prefix the SDK puts before the operation name.
pub(crate) const TARGET_PREFIX: &str = "AmazonSSM.";

impl World {
    pub(crate) fn ssm(&mut self, operation: &str, input: &Value) -> Result<Value, ApiError> {
        match operation {
            "GetCalendarState" => self.get_calendar_state(input),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("unknown operation {operation:?}"),
            )),
        }
    }

    fn get_calendar_state(&self, input: &Value) -> Result<Value, ApiError> {
        let names: Vec<&str> = input
            .get("CalendarNames")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if names.is_empty() {
            return Err(ApiError::validation("CalendarNames is required"));
        }
        let at = match input.get("AtTime").and_then(Value::as_str) {
            None => epoch_seconds().floor(),
            Some(text) => parse_time(text).ok_or_else(|| {
                ApiError::new(
                    "InvalidDocumentContent",
                    format!("AtTime {text:?} is not ISO 8601"),
                )
            })?,
        };
        let mut closed_spans = Vec::new();
        for name in &names {
            let spans = self.calendars.get(*name).ok_or_else(|| {
                ApiError::new("InvalidDocument", format!("calendar {name} does not exist"))
            })?;
            closed_spans.extend(spans.iter().copied());
        }
        let closed = |t: f64| closed_spans.iter().any(|(from, to)| *from <= t && t < *to);
        let is_closed = closed(at);
        let next = if is_closed {
            // The first moment no span covers.
            let mut t = at;
            while let Some((_, to)) = closed_spans.iter().find(|(from, to)| *from <= t && t < *to) {
                t = *to;
            }
            Some(t)
        } else {
            closed_spans
                .iter()
                .map(|(from, _)| *from)
                .filter(|from| *from > at)
                .min_by(f64::total_cmp)
        };
        let mut output = json!({
            "State": if is_closed { "CLOSED" } else { "OPEN" },
            "AtTime": format_time(at),
        });
        if let Some(next) = next {
            output["NextTransitionTime"] = format_time(next).into();
        }
        Ok(output)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (optionally with fractional seconds) to epoch seconds.
fn parse_time(text: &str) -> Option<f64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let mut time = time.splitn(3, ':');
    let hour: i64 = time.next()?.parse().ok()?;
    let minute: i64 = time.next()?.parse().ok()?;
    let second: f64 = time.next().unwrap_or("0").parse().ok()?;
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3_600 + minute * 60) as f64 + second)
}

fn format_time(seconds: f64) -> String {
    let seconds = seconds.floor() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_the_calendar() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-02-28T23:59:59Z",
            "2028-02-29T12:30:00Z",
        ] {
            assert_eq!(format_time(parse_time(text).unwrap()), text);
        }
        assert_eq!(parse_time("2026-11-25T12:00:00Z"), Some(1_795_608_000.0));
    }
}
