//! Policy authoring tooling behind `approval-gate-cli` (built with the `cli` feature, never
//! part of the Lambda): validating policies, their JSON Schema, explaining what the gate
//! would decide, and a rule's calendar. The decisions come from the function's own code
//! ([`crate::handler::Gate::explain`]); nothing here answers an approval.

pub mod calendar;
pub mod explain;
pub mod files;
pub mod functions;
pub mod ics;
pub mod validate;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

use crate::pipeline::{
    ActionRecord, AnswerError, ApprovalAnswer, Declaration, ExecutionRecord, Listed,
    PipelineSnapshot, Pipelines, ReadError,
};
use crate::report::{DecisionNotice, DecisionTopic, PublishError};

/// Exit codes of `approval-gate-cli`.
pub mod exit {
    /// Done: the policies are valid, or the explanation or calendar was printed.
    pub const OK: u8 = 0;
    /// A policy is invalid; or, with `explain --exit-code`, an approval would not be
    /// approved (or none is waiting).
    pub const FAILED: u8 = 1;
    /// The command line is wrong (clap's own code for usage errors).
    pub const USAGE: u8 = 2;
    /// A file or CodePipeline could not be read.
    pub const UNREADABLE: u8 = 3;
}

/// Any [`Pipelines`] with answering taken away: `explain --live` reads CodePipeline under
/// the caller's credentials, and whatever happens, it must never answer.
pub struct ReadOnly<P>(pub P);

impl<P: Pipelines> Pipelines for ReadOnly<P> {
    async fn state(&self, pipeline: &str) -> Result<PipelineSnapshot, ReadError> {
        self.0.state(pipeline).await
    }

    async fn list_pipelines(&self) -> Result<Vec<Listed>, ReadError> {
        self.0.list_pipelines().await
    }

    async fn execution(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<ExecutionRecord, ReadError> {
        self.0.execution(pipeline, execution_id).await
    }

    async fn executions_in_progress(&self, pipeline: &str) -> Result<Vec<String>, ReadError> {
        self.0.executions_in_progress(pipeline).await
    }

    async fn action_records(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionRecord>, ReadError> {
        self.0.action_records(pipeline, execution_id).await
    }

    async fn declaration(&self, pipeline: &str) -> Result<Declaration, ReadError> {
        self.0.declaration(pipeline).await
    }

    async fn answer(&self, _answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        Err(AnswerError::Refused(
            "approval-gate-cli only explains; it never answers".into(),
        ))
    }
}

/// No decision topic: the CLI tells nobody.
pub struct NoTopic;

impl DecisionTopic for NoTopic {
    async fn publish(&self, _notice: &DecisionNotice) -> Result<(), PublishError> {
        Ok(())
    }
}

/// `--at`: an RFC 3339 time (`2026-11-26T09:00:00Z`, `2026-11-26T10:00+01:00`) or a civil
/// time with its zone (`2026-11-26T10:00[Europe/Berlin]`).
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<ZonedDateTime>()
        .map(|zoned| zoned.timestamp())
        .map_err(|_| {
            format!(
                "expected an RFC 3339 time such as 2026-11-26T09:00:00Z or a civil time with \
                 its zone such as 2026-11-26T10:00[Europe/Berlin], got {text:?}"
            )
        })
}

/// A time for people: UTC, to the minute.
pub fn utc(at: Timestamp) -> String {
    at.to_zoned_datetime(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}
