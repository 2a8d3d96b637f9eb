//! A rule's check function: the document it is shown, the answer it gives, and the port it
//! is asked through (Lambda `Invoke`, RequestResponse).
//!
//! The document holds only what the gate proved about the execution under approval, and
//! never the token. The answer can only pass or fail the `function` check: the decision
//! folds it with the others, so it cannot approve what another check refuses.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::conditions::Unavailable;
use crate::evidence::{ExecutionFacts, LiveApproval};
use crate::names;

/// The version of the document a function is shown, in its `schema` field. A change that
/// removes or renames a field, or changes what one means, gets a new version.
pub const REQUEST_SCHEMA: &str = "approval-gate/check-function/v1";
/// The largest answer read: `{"pass": …, "reason": …}` needs far less. A larger one fails
/// the check.
pub const MAX_ANSWER_BYTES: usize = 4096;
/// How much of an answer's `reason` a summary shows.
pub const REASON_CHARS: usize = 200;
/// How much of a function's error message a reason quotes.
const ERROR_CHARS: usize = 120;

/// What the function said, or why it said nothing usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionAnswer {
    /// The function was not asked: another check already refuses, or nothing was proven
    /// to show it. The `function` check fails.
    NotAsked,
    /// It answered `{"pass": …, "reason": …}`; the reason is cleaned and cut.
    Answered { pass: bool, reason: String },
    /// It failed, timed out, or answered something else: the check fails, saying why.
    Unusable(String),
}

/// Why invoking a function gave no payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The function ran and raised (`X-Amz-Function-Error`).
    #[error("the function failed ({kind}): {message}")]
    Function { kind: String, message: String },
    /// No answer within the rule's timeout.
    #[error("the function did not answer within {} s", .0.as_secs())]
    TimedOut(Duration),
    /// Lambda refused or failed the call: not found, access denied, throttled, unreachable.
    #[error("the function could not be invoked: {0}")]
    Invoke(String),
}

/// Invokes check functions synchronously (Lambda `Invoke`, RequestResponse).
pub trait CheckFunctions: Send + Sync {
    /// Invokes `function` (an ARN) with `payload` and returns what it answered, within
    /// `timeout`.
    fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Vec<u8>, InvokeError>> + Send;
}

impl CheckFunctions for Unavailable {
    async fn invoke(
        &self,
        _function: &str,
        _payload: Vec<u8>,
        _timeout: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        Err(InvokeError::Invoke("no Lambda client is configured".into()))
    }
}

/// The answer a function must give.
#[derive(Deserialize)]
struct Answer {
    pass: bool,
    reason: String,
}

impl FunctionAnswer {
    /// Reads what the invocation gave: an error, an oversized or malformed payload is
    /// [`FunctionAnswer::Unusable`]. `secret` (the token) is redacted from the texts kept
    /// before they are cut, so that no piece of it survives a cut.
    pub fn read(invoked: Result<Vec<u8>, InvokeError>, secret: &str) -> Self {
        let keep = |text: &str, chars: usize| names::printable(&names::redact(text, secret), chars);
        let payload = match invoked {
            Ok(payload) => payload,
            Err(error) => return Self::Unusable(keep(&error.to_string(), 300)),
        };
        if payload.len() > MAX_ANSWER_BYTES {
            return Self::Unusable(format!(
                "the function answered {} bytes, more than the {MAX_ANSWER_BYTES} an answer \
                 may have",
                payload.len()
            ));
        }
        match serde_json::from_slice::<Answer>(&payload) {
            Ok(answer) => Self::Answered {
                pass: answer.pass,
                reason: keep(answer.reason.trim(), REASON_CHARS),
            },
            Err(error) => Self::Unusable(format!(
                "the function's answer is not {{\"pass\": true|false, \"reason\": \"…\"}} \
                 ({})",
                keep(&error.to_string(), ERROR_CHARS)
            )),
        }
    }
}

/// What a function is shown: the approval, and what the gate proved about the execution it
/// waits in (its revisions, each with the source action that produced it when that is
/// proven, and its variables), at `at`. Every text from outside has the token removed, in
/// case something quotes it.
pub fn request(
    rule: &str,
    approval: &LiveApproval,
    facts: &ExecutionFacts,
    at: Timestamp,
) -> Value {
    let token = approval.token().expose();
    let text = |text: &str| names::redact(text, token);
    let optional = |optional: Option<&str>| optional.map(text);
    let target = approval.target();
    let revisions: Vec<Value> = facts
        .artifacts()
        .unwrap_or_default()
        .iter()
        .map(|artifact| {
            let producer = facts
                .producer(artifact)
                .ok()
                .map(|run| text(&format!("{}/{}", run.stage(), run.action())));
            json!({
                "artifact": text(&artifact.name),
                "revision_id": optional(artifact.revision_id.as_deref()),
                "summary": optional(artifact.revision_summary.as_deref()),
                "created": artifact.created.map(seconds),
                "source_action": producer,
            })
        })
        .collect();
    let variables: serde_json::Map<String, Value> = facts
        .proven_variables()
        .into_iter()
        .map(|(namespace, values)| {
            let values: serde_json::Map<String, Value> = values
                .into_iter()
                .map(|(name, value)| (text(&name), Value::String(text(&value))))
                .collect();
            (text(&namespace), Value::Object(values))
        })
        .collect();
    json!({
        "schema": REQUEST_SCHEMA,
        "rule": text(rule),
        "pipeline": text(&target.pipeline),
        "stage": text(&target.stage),
        "action": text(&target.action),
        "execution_id": text(facts.execution().as_str()),
        "waiting_since": approval.since().map(seconds),
        "decided_at": seconds(at),
        "trigger": optional(facts.trigger()),
        "revisions": revisions,
        "variables": variables,
    })
}

/// A time as RFC 3339 in UTC, to the second: `2026-11-26T08:00:04Z`.
fn seconds(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests;
