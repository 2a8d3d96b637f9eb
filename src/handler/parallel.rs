//! The reads that prove an approval waiting in a PARALLEL pipeline, whose state shows no
//! tokens: the action executions of every execution in progress (so that a token is known
//! to be one attempt's alone), and the status of the execution an approval waits in. A
//! notice, an approval event, a wake-up, the sweep and `explain` all prove it this way.

use super::{Gate, Ports};
use crate::error::GateError;
use crate::evidence::LiveApproval;
use crate::pipeline::{ActionRecord, ExecutionStatus, Pipelines, ReadError};

/// The most executions in progress whose action executions are read to prove an approval
/// of a PARALLEL pipeline (a `ListActionExecutions` each): a token is proven one attempt's
/// alone only among all of them, so with more in progress nothing is answered.
pub(crate) const MAX_EXECUTIONS_IN_PROGRESS: usize = 50;

impl<E: Ports> Gate<E> {
    /// The action attempts of every execution in progress of `pipeline`, and of `named`
    /// when a trigger names one, each execution's own only (a list may hold others'): what
    /// [`LiveApproval::prove_in_parallel`] proves from. `Ok(Err(reason))` when they cannot
    /// all be read for good, or too many executions are in progress.
    pub(super) async fn attempts_in_progress(
        &self,
        pipeline: &str,
        named: Option<&str>,
    ) -> Result<Result<Vec<ActionRecord>, String>, GateError> {
        let read_failed = |source| GateError::ReadFailed {
            pipeline: pipeline.to_owned(),
            source,
        };
        let mut executions = match self.pipelines.executions_in_progress(pipeline).await {
            Ok(executions) => executions,
            Err(ReadError::Final(reason)) => return Ok(Err(reason)),
            Err(error) => return Err(read_failed(error)),
        };
        // A trigger's execution not listed yet (the list may lag) is read too; whether it
        // is in progress is asked of GetPipelineExecution before anything is answered.
        if let Some(named) = named
            && !executions.iter().any(|execution| execution == named)
        {
            executions.push(named.to_owned());
        }
        if executions.len() > MAX_EXECUTIONS_IN_PROGRESS {
            return Ok(Err(format!(
                "{} executions are in progress in this PARALLEL pipeline, more than the \
                 {MAX_EXECUTIONS_IN_PROGRESS} whose approvals the gate reads, so no token can \
                 be proven one approval's alone",
                executions.len()
            )));
        }
        let mut attempts = Vec::new();
        for execution in &executions {
            match self.pipelines.action_records(pipeline, execution).await {
                Ok(records) => attempts.extend(
                    records
                        .into_iter()
                        .filter(|record| record.execution_id.as_deref() == Some(execution)),
                ),
                // An execution that ended meanwhile holds nothing waiting.
                Err(ReadError::Final(_)) => {}
                Err(error) => return Err(read_failed(error)),
            }
        }
        Ok(Ok(attempts))
    }

    /// Whether the execution a PARALLEL pipeline's approval waits in is in progress, as
    /// the state shows it of a stage's execution in the other modes: a stopping execution
    /// lets an approval it holds stay `InProgress`, and is never answered. `Ok(Some(reason))`
    /// when it is not (or cannot be read for good).
    pub(super) async fn not_in_progress(
        &self,
        approval: &LiveApproval,
    ) -> Result<Option<String>, GateError> {
        let pipeline = approval.target().pipeline.as_str();
        let execution = approval.execution();
        match self.pipelines.execution(pipeline, execution.as_str()).await {
            Ok(record) if record.execution_id.as_deref() != Some(execution.as_str()) => {
                Ok(Some(format!(
                    "GetPipelineExecution answered about another execution than {execution}, \
                     so whether it is in progress is not known"
                )))
            }
            Ok(record) if record.status == ExecutionStatus::InProgress => Ok(None),
            Ok(record) => Ok(Some(format!(
                "the approval's execution {execution} is {}, not InProgress, so it is not \
                 waiting",
                record.status
            ))),
            Err(ReadError::Final(reason)) => Ok(Some(format!(
                "whether the approval's execution {execution} is in progress cannot be read: \
                 {reason}"
            ))),
            Err(error) => Err(GateError::ReadFailed {
                pipeline: pipeline.to_owned(),
                source: error,
            }),
        }
    }
}
