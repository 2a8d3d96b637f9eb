//! Events that select approvals: CodePipeline's "Action Execution State Change" for a
//! Manual approval that started, CloudWatch's "Alarm State Change" to OK and SSM's
//! "Calendar State Change" to OPEN, after which approvals that alarm or calendar deferred
//! may pass, and the gate's own wake-ups ([`crate::wakeups`]).
//!
//! An approval event carries no token. It only selects: pipeline, stage and action, the
//! execution and the approval's action execution. The handler decides the approval only
//! once `GetPipelineState` shows it waiting as the event names it, and answers with the
//! token the state shows; an event that is forged, late, duplicated or about another
//! execution can make the gate answer nothing the state alone would not justify.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::names;
use crate::notice::ApprovalTarget;
use crate::wakeups::WakeUp;

/// `detail-type` of the events CodePipeline sends when an action changes state.
const ACTION_EXECUTION_STATE_CHANGE: &str = "CodePipeline Action Execution State Change";
/// `detail-type` of the events CloudWatch sends when an alarm changes state.
const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";
/// `detail-type` of the events SSM sends when a Change Calendar opens or closes.
const CALENDAR_STATE_CHANGE: &str = "Calendar State Change";
/// `source` of the events a wake-up invokes the function with.
const WAKE_UP_SOURCE: &str = "approval-gate";
/// `detail-type` of the events a wake-up invokes the function with.
const WAKE_UP: &str = "Approval Wake-up";
/// CloudWatch's limit on alarm names.
const MAX_ALARM_NAME_CHARS: usize = 255;

/// A Manual approval that started waiting, as an EventBridge event names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalStarted {
    /// The event's `id`, for the report (EventBridge's, not CodePipeline's).
    pub event_id: Option<String>,
    pub target: ApprovalTarget,
    /// `detail.execution-id`: the pipeline execution the approval waits in.
    pub execution_id: String,
    /// `detail.action-execution-id`: the approval's own action execution.
    pub action_execution_id: String,
}

/// Why an event about a CodePipeline action is not an approval the gate decides.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event cannot be read: {0}")]
    Malformed(String),
    #[error("the CodePipeline event is about an action of category {category}, not an approval")]
    NotAnApproval { category: String },
    #[error("the approval's state in the event is {state}, not STARTED: nothing waits")]
    NotStarted { state: String },
    #[error("the alarm went to {state}, not OK: nothing it held back may pass")]
    NotCleared { state: String },
    #[error("the calendar is {state}, not OPEN: nothing it held back may pass")]
    NotOpened { state: String },
}

/// The event a wake-up invokes the function with: the approval's coordinates and the
/// minute it was scheduled for; never a token.
pub fn wake_up_event(wake_up: &WakeUp) -> Value {
    json!({
        "version": "1",
        "source": WAKE_UP_SOURCE,
        "detail-type": WAKE_UP,
        "detail": {
            "pipeline": wake_up.target.pipeline,
            "stage": wake_up.target.stage,
            "action": wake_up.target.action,
            "execution-id": wake_up.execution_id,
            "at": wake_up.at.to_string(),
        },
    })
}

/// The approval a wake-up selects: it is decided if the state shows it still waiting in
/// that execution, with the token the state shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WokenUp {
    pub target: ApprovalTarget,
    pub execution_id: String,
    /// The minute the wake-up was scheduled for.
    pub at: Timestamp,
}

#[derive(Deserialize)]
struct WakeUpDetail {
    pipeline: String,
    stage: String,
    action: String,
    #[serde(rename = "execution-id")]
    execution_id: String,
    at: String,
}

/// The approval a wake-up names; `None` for every other event.
pub fn woken_up(event: &Value) -> Option<Result<WokenUp, EventError>> {
    is_event(event, WAKE_UP_SOURCE, WAKE_UP).then(|| {
        let detail = event
            .get("detail")
            .ok_or_else(|| EventError::Malformed("it has no detail".into()))?;
        let detail: WakeUpDetail = serde_path_to_error::deserialize(detail)
            .map_err(|error| EventError::Malformed(names::printable(&error.to_string(), 200)))?;
        let target = target(detail.pipeline, detail.stage, detail.action)?;
        if !is_id(&detail.execution_id) {
            return Err(EventError::Malformed(
                "detail.execution-id is not an id (1 to 100 letters, digits and '-')".into(),
            ));
        }
        let at = detail.at.parse::<Timestamp>().map_err(|_| {
            EventError::Malformed("detail.at is not a time (RFC 3339, in UTC)".into())
        })?;
        Ok(WokenUp {
            target,
            execution_id: detail.execution_id,
            at,
        })
    })
}

/// The approval action an event names, each name checked as CodePipeline's names are.
fn target(pipeline: String, stage: String, action: String) -> Result<ApprovalTarget, EventError> {
    for (field, name) in [
        ("pipeline", &pipeline),
        ("stage", &stage),
        ("action", &action),
    ] {
        names::check_name(name)
            .map_err(|message| EventError::Malformed(format!("detail.{field}: {message}")))?;
    }
    Ok(ApprovalTarget {
        pipeline,
        stage,
        action,
    })
}

#[derive(Deserialize)]
struct Detail {
    pipeline: String,
    stage: String,
    action: String,
    #[serde(rename = "execution-id")]
    execution_id: String,
    #[serde(rename = "action-execution-id")]
    action_execution_id: String,
    state: String,
    #[serde(rename = "type")]
    kind: ActionType,
}

/// `detail.type`; its `version` (a number or a string in AWS's own examples) is not read.
#[derive(Deserialize)]
struct ActionType {
    category: String,
}

/// The approval an event names, if the event is CodePipeline's about an action; `None`
/// for every other event. An action event that is not an approval starting, or cannot
/// be read, is an error that says why (the event is dropped, never retried).
pub fn approval_started(event: &Value) -> Option<Result<ApprovalStarted, EventError>> {
    is_event(event, "aws.codepipeline", ACTION_EXECUTION_STATE_CHANGE).then(|| parse(event))
}

fn parse(event: &Value) -> Result<ApprovalStarted, EventError> {
    let detail = event
        .get("detail")
        .ok_or_else(|| EventError::Malformed("it has no detail".into()))?;
    let detail: Detail = serde_path_to_error::deserialize(detail)
        .map_err(|error| EventError::Malformed(names::printable(&error.to_string(), 200)))?;
    if detail.kind.category != "Approval" {
        return Err(EventError::NotAnApproval {
            category: names::printable(&detail.kind.category, 40),
        });
    }
    if detail.state != "STARTED" {
        return Err(EventError::NotStarted {
            state: names::printable(&detail.state, 40),
        });
    }
    let target = target(detail.pipeline, detail.stage, detail.action)?;
    for (field, id) in [
        ("execution-id", &detail.execution_id),
        ("action-execution-id", &detail.action_execution_id),
    ] {
        if !is_id(id) {
            return Err(EventError::Malformed(format!(
                "detail.{field} is not an id (1 to 100 letters, digits and '-')"
            )));
        }
    }
    Ok(ApprovalStarted {
        event_id: event
            .get("id")
            .and_then(Value::as_str)
            .map(|id| names::printable(id, 100)),
        target,
        execution_id: detail.execution_id,
        action_execution_id: detail.action_execution_id,
    })
}

/// An alarm that went back to OK: approvals that waited for it may pass now. It selects
/// which pipelines to look at; the alarm's state is read again when each is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmCleared {
    pub name: String,
}

/// The alarm a CloudWatch "Alarm State Change" event says is OK now; `None` for every
/// other event. A change to another state is an error saying so: nothing can pass then.
pub fn alarm_cleared(event: &Value) -> Option<Result<AlarmCleared, EventError>> {
    is_event(event, "aws.cloudwatch", ALARM_STATE_CHANGE).then(|| {
        let detail = event.get("detail");
        let name = detail
            .and_then(|detail| detail.get("alarmName"))
            .and_then(Value::as_str)
            .filter(|name| {
                (1..=MAX_ALARM_NAME_CHARS).contains(&name.chars().count())
                    && !name.chars().any(char::is_control)
            })
            .ok_or_else(|| EventError::Malformed("detail.alarmName is not an alarm name".into()))?;
        let state = detail
            .and_then(|detail| detail.pointer("/state/value"))
            .and_then(Value::as_str)
            .unwrap_or("(none)");
        if state != "OK" {
            return Err(EventError::NotCleared {
                state: names::printable(state, 40),
            });
        }
        Ok(AlarmCleared {
            name: name.to_owned(),
        })
    })
}

/// A Change Calendar that opened: approvals it held back may pass now. Best effort on
/// AWS's side (up to 15 minutes late, none for calendars shared from another account): the
/// sweep stays the backstop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarOpened {
    /// The calendar document's ARN, as the event's resource names it.
    pub arn: String,
}

/// The calendar an SSM "Calendar State Change" event says is OPEN now; `None` for every
/// other event.
pub fn calendar_opened(event: &Value) -> Option<Result<CalendarOpened, EventError>> {
    is_event(event, "aws.ssm", CALENDAR_STATE_CHANGE).then(|| {
        let arn = event
            .get("resources")
            .and_then(Value::as_array)
            .and_then(|resources| resources.first())
            .and_then(Value::as_str)
            .filter(|arn| {
                arn.starts_with("arn:")
                    && arn.rsplit_once(":document/").is_some_and(|(_, name)| {
                        (3..=128).contains(&name.len())
                            && name
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                    })
            })
            .ok_or_else(|| {
                EventError::Malformed("resources[0] is not a Change Calendar's document ARN".into())
            })?;
        let state = event
            .pointer("/detail/state")
            .and_then(Value::as_str)
            .unwrap_or("(none)");
        if state != "OPEN" {
            return Err(EventError::NotOpened {
                state: names::printable(state, 40),
            });
        }
        Ok(CalendarOpened {
            arn: arn.to_owned(),
        })
    })
}

/// Whether `event` is EventBridge's from `source` of the kind `detail_type`.
fn is_event(event: &Value, source: &str, detail_type: &str) -> bool {
    event.get("source").and_then(Value::as_str) == Some(source)
        && event.get("detail-type").and_then(Value::as_str) == Some(detail_type)
}

/// Execution and action execution ids are UUIDs; anything else is not taken as one.
fn is_id(text: &str) -> bool {
    (1..=100).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    /// AWS's example of the event, for a Manual approval that started.
    fn started() -> Value {
        json!({
            "version": "0",
            "id": "01234567-0123-0123-0123-012345678901",
            "detail-type": "CodePipeline Action Execution State Change",
            "source": "aws.codepipeline",
            "account": "123456789012",
            "time": "2026-11-26T07:55:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:codepipeline:us-east-1:123456789012:web-shop"],
            "detail": {
                "pipeline": "web-shop",
                "execution-id": "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60",
                "start-time": "2026-11-26T07:55:00.000Z",
                "stage": "Approve-Prod",
                "action-execution-id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
                "action": "Manual",
                "state": "STARTED",
                "region": "us-east-1",
                "type": {"owner": "AWS", "provider": "Manual", "category": "Approval", "version": "1"},
                "version": 3.0,
                "pipeline-execution-attempt": 1.0
            }
        })
    }

    #[test]
    fn an_approval_that_started_names_its_approval_execution_and_action_execution() {
        let parsed = approval_started(&started()).unwrap().unwrap();
        assert_eq!(
            parsed,
            ApprovalStarted {
                event_id: Some("01234567-0123-0123-0123-012345678901".into()),
                target: ApprovalTarget {
                    pipeline: "web-shop".into(),
                    stage: "Approve-Prod".into(),
                    action: "Manual".into(),
                },
                execution_id: "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60".into(),
                action_execution_id: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".into(),
            }
        );
    }

    #[test]
    fn versions_are_read_as_numbers_or_strings_or_not_at_all() {
        for version in [json!(1), json!("1"), json!(2.0), json!(null)] {
            let mut event = started();
            event["detail"]["type"]["version"] = version.clone();
            event["detail"]["version"] = version.clone();
            assert!(approval_started(&event).unwrap().is_ok(), "{version}");
        }
    }

    #[test]
    fn other_events_are_not_this_kind() {
        for (key, value) in [
            ("source", "aws.events"),
            ("detail-type", "CodePipeline Stage Execution State Change"),
        ] {
            let mut event = started();
            event[key] = value.into();
            assert_eq!(approval_started(&event), None, "{key}");
        }
    }

    #[test]
    fn an_action_that_is_no_approval_or_did_not_start_is_refused_with_a_reason() {
        let mut build = started();
        build["detail"]["type"]["category"] = "Build".into();
        assert_eq!(
            approval_started(&build).unwrap(),
            Err(EventError::NotAnApproval {
                category: "Build".into()
            })
        );
        let mut succeeded = started();
        succeeded["detail"]["state"] = "SUCCEEDED".into();
        assert_eq!(
            approval_started(&succeeded).unwrap(),
            Err(EventError::NotStarted {
                state: "SUCCEEDED".into()
            })
        );
    }

    fn cleared(name: &str, state: &str) -> Value {
        json!({
            "version": "0",
            "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
            "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch",
            "account": "123456789012",
            "time": "2026-11-26T09:00:00Z",
            "region": "us-east-1",
            "resources": [format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}")],
            "detail": {
                "alarmName": name,
                "state": {"value": state, "reason": "Threshold Crossed", "timestamp": "2026-11-26T09:00:00.000+0000"},
                "previousState": {"value": "ALARM", "reason": "Threshold Crossed"},
                "configuration": {"metrics": []}
            }
        })
    }

    #[test]
    fn an_alarm_back_to_ok_names_the_alarm() {
        let name = "Bestellservice-Fehlerrate-größer-fünf-Prozent";
        assert_eq!(
            alarm_cleared(&cleared(name, "OK")),
            Some(Ok(AlarmCleared { name: name.into() }))
        );
        assert_eq!(alarm_cleared(&started()), None);
        assert_eq!(approval_started(&cleared(name, "OK")), None);
    }

    #[test]
    fn an_alarm_going_anywhere_but_ok_or_without_a_name_is_refused() {
        assert_eq!(
            alarm_cleared(&cleared("web-prod-5xx", "ALARM")),
            Some(Err(EventError::NotCleared {
                state: "ALARM".into()
            }))
        );
        for name in ["", "a\nb", &"x".repeat(256)] {
            assert!(
                matches!(
                    alarm_cleared(&cleared(name, "OK")),
                    Some(Err(EventError::Malformed(_)))
                ),
                "{name:?}"
            );
        }
    }

    fn calendar(arn: &str, state: &str) -> Value {
        json!({
            "version": "0",
            "id": "47a3f03a-f30d-1011-ac9a-0a1b2c3d4e5f",
            "detail-type": "Calendar State Change",
            "source": "aws.ssm",
            "account": "123456789012",
            "time": "2026-11-26T09:00:00Z",
            "region": "us-east-1",
            "resources": [arn],
            "detail": {
                "state": state,
                "atTime": "2026-11-26T09:00:00Z",
                "nextTransitionTime": "2026-11-27T09:00:00Z"
            }
        })
    }

    #[test]
    fn a_calendar_that_opened_names_its_document() {
        let arn = "arn:aws:ssm:us-east-1:123456789012:document/prod-freeze";
        assert_eq!(
            calendar_opened(&calendar(arn, "OPEN")),
            Some(Ok(CalendarOpened { arn: arn.into() }))
        );
        assert_eq!(
            calendar_opened(&calendar(arn, "CLOSED")),
            Some(Err(EventError::NotOpened {
                state: "CLOSED".into()
            }))
        );
        for arn in [
            "arn:aws:ssm:us-east-1:123456789012:parameter/x",
            "prod-freeze",
            "arn:aws:ssm:us-east-1:1:document/a b",
        ] {
            assert!(
                matches!(
                    calendar_opened(&calendar(arn, "OPEN")),
                    Some(Err(EventError::Malformed(_)))
                ),
                "{arn}"
            );
        }
        assert_eq!(calendar_opened(&started()), None);
    }

    #[test]
    fn names_and_ids_outside_codepipelines_rules_are_refused() {
        for (field, value) in [
            ("pipeline", json!("web shop")),
            ("stage", json!("Approve\nProd")),
            ("action", json!("")),
            ("execution-id", json!("5e3f/../x")),
            ("action-execution-id", json!("a".repeat(101))),
            ("execution-id", json!(7)),
        ] {
            let mut event = started();
            event["detail"][field] = value;
            let refused = approval_started(&event).unwrap();
            assert!(
                matches!(refused, Err(EventError::Malformed(_))),
                "{field}: {refused:?}"
            );
        }
        let mut event = started();
        event.as_object_mut().unwrap().remove("detail");
        assert!(matches!(
            approval_started(&event).unwrap(),
            Err(EventError::Malformed(_))
        ));
    }

    fn woken() -> Value {
        json!({
            "version": "1",
            "source": "approval-gate",
            "detail-type": "Approval Wake-up",
            "detail": {
                "pipeline": "web-shop",
                "stage": "Approve-Prod",
                "action": "Gate",
                "execution-id": "5e3f1c4a-8f7e-4a2b-9c1d-0e2f3a4b5c6d",
                "at": "2026-12-07T09:00:00Z"
            }
        })
    }

    #[test]
    fn a_wake_up_names_an_execution_and_a_minute() {
        let read = woken_up(&woken()).unwrap().unwrap();
        assert_eq!(read.target.to_string(), "web-shop/Approve-Prod/Gate");
        assert_eq!(read.execution_id, "5e3f1c4a-8f7e-4a2b-9c1d-0e2f3a4b5c6d");
        assert_eq!(read.at, "2026-12-07T09:00:00Z".parse().unwrap());
        // A token beside them is not read: it could only be forged.
        let mut event = woken();
        event["detail"]["token"] = json!("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        assert!(woken_up(&event).unwrap().is_ok());
        assert_eq!(woken_up(&started()), None);
        assert_eq!(approval_started(&woken()), None);
    }

    #[test]
    fn a_malformed_wake_up_is_refused_with_the_field_it_got_wrong() {
        for (field, value) in [
            ("pipeline", json!("web shop")),
            ("execution-id", json!("../x")),
            ("execution-id", json!(null)),
            ("at", json!("tomorrow")),
            ("at", json!(1_765_098_000)),
        ] {
            let mut event = woken();
            event["detail"][field] = value;
            let refused = woken_up(&event).unwrap();
            assert!(
                matches!(refused, Err(EventError::Malformed(_))),
                "{field}: {refused:?}"
            );
        }
    }
}
