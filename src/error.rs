//! The errors an invocation returns: only failures worth retrying end up here. Everything
//! final (malformed notices, stale tokens, approvals answered already) is a logged outcome.

use lambda_runtime::Diagnostic;

use crate::handler::Breach;
use crate::pipeline::{AnswerError, ReadError};

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(
        "reading pipeline {pipeline} failed; nothing was answered and the invocation will be retried"
    )]
    ReadFailed {
        pipeline: String,
        #[source]
        source: ReadError,
    },
    /// Alarms or Change Calendars could not be read, and a retry may succeed.
    #[error("reading {what} failed; nothing was answered and the invocation will be retried")]
    ConditionReadFailed {
        what: String,
        #[source]
        source: ReadError,
    },
    #[error("answering {target} failed; nothing was answered and the invocation will be retried")]
    AnswerFailed {
        target: String,
        #[source]
        source: AnswerError,
    },
    /// A bulkhead stopped the work on one record (a panic, or a run past its budget).
    #[error("handling {what} stopped: {breach}; nothing was answered by it")]
    Isolated {
        what: String,
        #[source]
        breach: Breach,
    },
}

impl GateError {
    /// A stable name for the runtime's error report and for alarms.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::ReadFailed { .. } | Self::ConditionReadFailed { .. } => "ApprovalGate.ReadFailed",
            Self::AnswerFailed { .. } => "ApprovalGate.AnswerFailed",
            Self::Isolated { .. } => "ApprovalGate.Internal",
        }
    }
}

impl From<GateError> for Diagnostic {
    fn from(error: GateError) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Diagnostic {
            error_type: error.error_type().into(),
            error_message: message,
        }
    }
}
