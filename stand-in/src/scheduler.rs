//! Amazon EventBridge Scheduler (restJson1): `POST /schedules/{Name}` creates a schedule,
//! `GET /schedules/{Name}?groupName=…` reads it and `DELETE /schedules/{Name}?groupName=…`
//! deletes it. The name travels percent-encoded in the path, the group in the body (create)
//! or the query (read, delete); both are recorded as the SDK input's `Name` and `GroupName`.
//!
//! Only one-time schedules in UTC (`at(yyyy-mm-ddThh:mm:ss)`) are supported: anything else
//! is refused with a ValidationException, so that a schedule the stand-in could never fire
//! is noticed when it is created rather than silently never firing. Nothing fires by itself:
//! [`crate::StandIn::take_due_schedules`] fires what is due at a time its caller chooses,
//! so that a benchmark can run on simulated time.

use std::ops::Range;

use hyper::Method;
use hyper::http::request::Parts;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use crate::http::epoch_seconds;
use crate::ssm::{civil_from_days, days_from_civil};
use crate::world::{ApiError, AwsRequest, Protocol, World};

/// What a schedule ARN starts with; the group and name follow.
const ARN_PREFIX: &str = "arn:aws:scheduler:us-east-1:123456789012:schedule/";

/// The group of a schedule created without a `GroupName`, as in AWS.
const DEFAULT_GROUP: &str = "default";

/// AWS's limit on schedule and group names (which are also limited to [`is_name_char`]).
const MAX_NAME_CHARS: usize = 64;

/// AWS's limit on a flexible time window.
const MAX_WINDOW_MINUTES: Range<i64> = 1..1441;

/// Every operation [`parse`] recognises. Those without a handler below are answered with
/// an UnknownOperationException that names them, which says more than an unrecognised path.
const OPERATIONS: &[&str] = &[
    "CreateSchedule",
    "GetSchedule",
    "DeleteSchedule",
    "UpdateSchedule",
    "ListSchedules",
];

/// A one-time schedule whose time has come, as [`crate::StandIn::take_due_schedules`]
/// fires it.
#[derive(Clone, Debug, PartialEq)]
pub struct DueSchedule {
    pub name: String,
    pub group: String,
    /// When it was due, in epoch seconds: the time of its `at(...)` expression (UTC).
    pub at: f64,
    /// The target's `Arn`.
    pub target_arn: String,
    /// The target's `Input`, or `{}` when the schedule gave none.
    pub input: String,
}

/// A schedule as stored.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    /// What GetSchedule answers.
    pub(crate) description: Value,
    /// When it fires, in epoch seconds.
    at: f64,
    /// The ClientToken of the CreateSchedule that made it: the SDK sends the same one again
    /// when it retries, and that retry must succeed rather than conflict with itself.
    client_token: Option<String>,
    /// Whether it fired already. Only a schedule kept after completion (ActionAfterCompletion
    /// `NONE`) can be seen with this set; it is never fired twice.
    fired: bool,
}

impl Schedule {
    fn is_due(&self, now: f64) -> bool {
        !self.fired && self.at <= now && self.field("State") == "ENABLED"
    }

    fn field(&self, name: &str) -> &str {
        self.description
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn due(&self, group: &str, name: &str) -> DueSchedule {
        let target = |name: &str| self.description.pointer(&format!("/Target/{name}"));
        DueSchedule {
            name: name.to_owned(),
            group: group.to_owned(),
            at: self.at,
            target_arn: target("Arn")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            input: target("Input")
                .and_then(Value::as_str)
                .unwrap_or("{}")
                .to_owned(),
        }
    }
}

/// Whether `operation` is one of the Scheduler's (rather than AppConfig Data's, the other
/// restJson1 service).
pub(crate) fn serves(operation: &str) -> bool {
    OPERATIONS.contains(&operation)
}

/// The request, if it is one of EventBridge Scheduler's schedule operations.
pub(crate) fn parse(parts: &Parts, body: &[u8]) -> Option<AwsRequest> {
    let rest = parts.uri.path().strip_prefix("/schedules")?;
    let name = match rest {
        "" | "/" => None,
        // Only `/schedules/...`: `/schedulesX` is no path of the Scheduler's.
        _ => Some(rest.strip_prefix('/')?),
    };
    let operation = match (&parts.method, name) {
        (&Method::GET, None) => "ListSchedules",
        (&Method::POST, Some(_)) => "CreateSchedule",
        (&Method::GET, Some(_)) => "GetSchedule",
        (&Method::DELETE, Some(_)) => "DeleteSchedule",
        (&Method::PUT, Some(_)) => "UpdateSchedule",
        _ => return None,
    };
    let request = |body, malformed| AwsRequest {
        protocol: Protocol::Rest,
        operation: operation.to_owned(),
        body,
        malformed,
        function_name: None,
    };
    let mut members = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(members)) => members,
            _ => {
                let text = String::from_utf8_lossy(body).into_owned();
                return Some(request(text.into(), true));
            }
        }
    };
    // The members bound to the query and the path, under their names in the SDK input.
    let query = parts.uri.query().unwrap_or_default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let member = match key.as_ref() {
            "groupName" => "GroupName".to_owned(),
            "clientToken" => "ClientToken".to_owned(),
            other => other.to_owned(),
        };
        members.insert(member, value.into_owned().into());
    }
    if let Some(name) = name {
        let name = percent_decode_str(name).decode_utf8_lossy().into_owned();
        members.insert("Name".into(), name.into());
    }
    Some(request(Value::Object(members), false))
}

impl World {
    pub(crate) fn scheduler(&mut self, operation: &str, input: &Value) -> Result<Value, ApiError> {
        match operation {
            "CreateSchedule" => self.create_schedule(input),
            "GetSchedule" => self.get_schedule(input),
            "DeleteSchedule" => self.delete_schedule(input),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("the stand-in does not support {operation}"),
            )),
        }
    }

    /// Validates everything before looking for a schedule of the same name, as AWS does:
    /// an invalid repeat is a ValidationException, not a conflict.
    fn create_schedule(&mut self, input: &Value) -> Result<Value, ApiError> {
        let (group, name) = schedule_key(input)?;
        let expression =
            string(input, "ScheduleExpression").ok_or_else(|| missing("ScheduleExpression"))?;
        let at = parse_at(expression).ok_or_else(|| {
            ApiError::validation(format!(
                "Invalid Schedule Expression {expression}: the stand-in supports only \
                 one-time schedules, at(yyyy-mm-ddThh:mm:ss)"
            ))
        })?;
        let zone = string(input, "ScheduleExpressionTimezone").unwrap_or("UTC");
        if zone != "UTC" {
            return Err(ApiError::validation(format!(
                "Invalid ScheduleExpressionTimezone {zone}: the stand-in supports only UTC"
            )));
        }
        validate_time_window(input)?;
        for member in ["Arn", "RoleArn"] {
            if input
                .pointer(&format!("/Target/{member}"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(missing(&format!("Target.{member}")));
            }
        }
        let state = one_of(input, "State", &["ENABLED", "DISABLED"])?;
        let after_completion = one_of(input, "ActionAfterCompletion", &["NONE", "DELETE"])?;

        let arn = format!("{ARN_PREFIX}{group}/{name}");
        let client_token = string(input, "ClientToken").map(str::to_owned);
        let key = (group.to_owned(), name.to_owned());
        if let Some(existing) = self.schedules.get(&key) {
            if client_token.is_some() && existing.client_token == client_token {
                return Ok(json!({ "ScheduleArn": arn }));
            }
            return Err(ApiError {
                status: 409,
                error_type: "ConflictException".into(),
                message: format!("Schedule {name} already exists."),
            });
        }

        let mut description = input.as_object().cloned().unwrap_or_default();
        description.remove("ClientToken");
        let now = epoch_seconds();
        for (member, value) in [
            ("Arn", Value::from(arn.as_str())),
            ("Name", name.into()),
            ("GroupName", group.into()),
            ("ScheduleExpressionTimezone", zone.into()),
            ("State", state.into()),
            ("ActionAfterCompletion", after_completion.into()),
            ("CreationDate", now.into()),
            ("LastModificationDate", now.into()),
        ] {
            description.insert(member.to_owned(), value);
        }
        self.schedules.insert(
            key,
            Schedule {
                description: Value::Object(description),
                at,
                client_token,
                fired: false,
            },
        );
        Ok(json!({ "ScheduleArn": arn }))
    }

    fn get_schedule(&self, input: &Value) -> Result<Value, ApiError> {
        let (group, name) = schedule_key(input)?;
        self.schedules
            .get(&(group.to_owned(), name.to_owned()))
            .map(|schedule| schedule.description.clone())
            .ok_or_else(|| not_found(name))
    }

    fn delete_schedule(&mut self, input: &Value) -> Result<Value, ApiError> {
        let (group, name) = schedule_key(input)?;
        self.schedules
            .remove(&(group.to_owned(), name.to_owned()))
            .map(|_| json!({}))
            .ok_or_else(|| not_found(name))
    }

    /// Fires every enabled schedule due at `now` (epoch seconds), earliest first (then by
    /// name), as EventBridge Scheduler fires a one-time schedule: once, and then deletes it
    /// if its ActionAfterCompletion says `DELETE`.
    pub(crate) fn take_due_schedules(&mut self, now: f64) -> Vec<DueSchedule> {
        let mut fired = Vec::new();
        self.schedules.retain(|(group, name), schedule| {
            if !schedule.is_due(now) {
                return true;
            }
            fired.push(schedule.due(group, name));
            schedule.fired = true;
            schedule.field("ActionAfterCompletion") != "DELETE"
        });
        fired.sort_by(|a, b| {
            a.at.total_cmp(&b.at)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.group.cmp(&b.group))
        });
        fired
    }
}

/// The schedule's group and name, each valid as AWS requires (the group `default` when the
/// request names none).
fn schedule_key(input: &Value) -> Result<(&str, &str), ApiError> {
    let name = string(input, "Name").ok_or_else(|| missing("Name"))?;
    validate_name("name", name)?;
    let group = string(input, "GroupName").unwrap_or(DEFAULT_GROUP);
    validate_name("groupName", group)?;
    Ok((group, name))
}

fn validate_name(member: &str, value: &str) -> Result<(), ApiError> {
    let chars = value.chars().count();
    if (1..=MAX_NAME_CHARS).contains(&chars) && value.chars().all(is_name_char) {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
         constraint: Member must have length between 1 and {MAX_NAME_CHARS} and satisfy \
         regular expression pattern: [0-9a-zA-Z-_.]+"
    )))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// `FlexibleTimeWindow` is required; a `FLEXIBLE` one needs its window. The stand-in fires
/// at the start of the window: a test wants to know when, not a random moment in it.
fn validate_time_window(input: &Value) -> Result<(), ApiError> {
    let window = input
        .get("FlexibleTimeWindow")
        .filter(|window| window.is_object())
        .ok_or_else(|| missing("FlexibleTimeWindow"))?;
    match window.get("Mode").and_then(Value::as_str) {
        Some("OFF") => Ok(()),
        Some("FLEXIBLE") => match window.get("MaximumWindowInMinutes").and_then(Value::as_i64) {
            Some(minutes) if MAX_WINDOW_MINUTES.contains(&minutes) => Ok(()),
            _ => Err(ApiError::validation(
                "FlexibleTimeWindow.MaximumWindowInMinutes must be from 1 to 1440 \
                 when the Mode is FLEXIBLE",
            )),
        },
        _ => Err(ApiError::validation(
            "FlexibleTimeWindow.Mode must be OFF or FLEXIBLE",
        )),
    }
}

/// An optional enum member: its value if it is one of `allowed`, the first of them when
/// absent (the default, as listed first).
fn one_of<'a>(input: &Value, member: &str, allowed: &[&'a str]) -> Result<&'a str, ApiError> {
    match string(input, member) {
        None => Ok(allowed[0]),
        Some(value) => allowed
            .iter()
            .find(|allowed| **allowed == value)
            .copied()
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "{member} must be one of {}, not {value}",
                    allowed.join(", ")
                ))
            }),
    }
}

fn string<'a>(input: &'a Value, member: &str) -> Option<&'a str> {
    input.get(member).and_then(Value::as_str)
}

fn missing(member: &str) -> ApiError {
    ApiError::validation(format!("{member} is required"))
}

fn not_found(name: &str) -> ApiError {
    ApiError {
        status: 404,
        error_type: "ResourceNotFoundException".into(),
        message: format!("Schedule {name} does not exist."),
    }
}

/// `at(yyyy-mm-ddThh:mm:ss)` as epoch seconds, the time taken as UTC (the only time zone
/// supported). `None` for any other expression and for times that do not exist.
fn parse_at(expression: &str) -> Option<f64> {
    let time = expression.strip_prefix("at(")?.strip_suffix(')')?;
    let shaped = time.len() == 19
        && time.bytes().enumerate().all(|(i, byte)| match i {
            4 | 7 => byte == b'-',
            10 => byte == b'T',
            13 | 16 => byte == b':',
            _ => byte.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    let number = |range: Range<usize>| time.get(range).and_then(|digits| digits.parse().ok());
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second): (i64, i64, i64) =
        (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // A day past the end of its month (or day 0) comes back as another date.
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_utc_times_parse() {
        assert_eq!(parse_at("at(1970-01-01T00:00:00)"), Some(0.0));
        assert_eq!(parse_at("at(2026-11-25T12:00:00)"), Some(1_795_608_000.0));
        assert_eq!(parse_at("at(2028-02-29T23:59:59)"), Some(1_835_481_599.0));
        for invalid in [
            "at(2026-02-29T12:00:00)",
            "at(2026-04-31T12:00:00)",
            "at(2026-13-01T12:00:00)",
            "at(2026-01-00T12:00:00)",
            "at(2026-01-01T24:00:00)",
            "at(2026-01-01T12:00:00Z)",
            "at(2026-01-01 12:00:00)",
            "at(2026-1-01T12:00:00)",
            "at(+026-01-01T12:00:00)",
            "rate(5 minutes)",
            "cron(0 12 * * ? *)",
        ] {
            assert_eq!(parse_at(invalid), None, "{invalid}");
        }
    }
}
