//! CodePipeline: the state, executions and action executions of pipelines, and answers.

use std::collections::HashSet;

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_codepipeline::operation::get_pipeline::{GetPipelineError, GetPipelineOutput};
use aws_sdk_codepipeline::operation::get_pipeline_execution::{
    GetPipelineExecutionError, GetPipelineExecutionOutput,
};
use aws_sdk_codepipeline::operation::get_pipeline_state::{
    GetPipelineStateError, GetPipelineStateOutput,
};
use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsError;
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsError;
use aws_sdk_codepipeline::operation::list_pipelines::ListPipelinesError;
use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultError;
use aws_sdk_codepipeline::types;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionExecutionFilter, ApprovalResult, ApprovalStatus,
};

use super::{SdkFailure, timestamp};
use crate::notice::ApprovalToken;
use crate::pipeline::{
    ActionExecution, ActionKind, ActionRecord, ActionState, ActionStatus, AnswerError,
    ApprovalAnswer, ArtifactRevision, CurrentRevision, Declaration, DeclaredNamespace,
    ExecutionMode, ExecutionRecord, ExecutionStatus, Listed, MAX_EXECUTION_PAGES, PipelineSnapshot,
    PipelineVariable, Pipelines, ReadError, StageExecution, StageState,
};

#[derive(Clone, Debug)]
pub struct CodePipeline {
    client: Client,
}

impl CodePipeline {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl Pipelines for CodePipeline {
    async fn state(&self, pipeline: &str) -> Result<PipelineSnapshot, ReadError> {
        let output = self
            .client
            .get_pipeline_state()
            .name(pipeline)
            .send()
            .await
            .map_err(read_error)?;
        Ok(snapshot(pipeline, &output))
    }

    async fn list_pipelines(&self) -> Result<Vec<Listed>, ReadError> {
        let mut names = Vec::new();
        let mut pages = Pages::new("ListPipelines");
        loop {
            let output = self
                .client
                .list_pipelines()
                .max_results(1000)
                .set_next_token(pages.token())
                .send()
                .await
                .map_err(|error| {
                    transient_unless_invalid(error, |e| {
                        matches!(e, ListPipelinesError::ValidationException(_))
                    })
                })?;
            names.extend(output.pipelines().iter().filter_map(|summary| {
                Some(Listed {
                    name: summary.name()?.to_owned(),
                    mode: summary
                        .execution_mode()
                        .map(|mode| ExecutionMode::parse(Some(mode.as_str()))),
                })
            }));
            if pages.next(output.next_token())? {
                return Ok(names);
            }
        }
    }

    async fn execution(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<ExecutionRecord, ReadError> {
        let output = self
            .client
            .get_pipeline_execution()
            .pipeline_name(pipeline)
            .pipeline_execution_id(execution_id)
            .send()
            .await
            .map_err(|error| {
                transient_unless_invalid(error, |e| {
                    matches!(
                        e,
                        GetPipelineExecutionError::PipelineExecutionNotFoundException(_)
                            | GetPipelineExecutionError::PipelineNotFoundException(_)
                            | GetPipelineExecutionError::ValidationException(_)
                    )
                })
            })?;
        Ok(execution_record(&output))
    }

    async fn executions_in_progress(&self, pipeline: &str) -> Result<Vec<String>, ReadError> {
        let mut executions = Vec::new();
        let mut pages = Pages::new("ListPipelineExecutions");
        // Newest first: the oldest executions past the pages read are not looked at, while
        // a page token handed back twice makes the whole list unreadable, as for the
        // other lists.
        for _ in 0..MAX_EXECUTION_PAGES {
            let output = self
                .client
                .list_pipeline_executions()
                .pipeline_name(pipeline)
                .max_results(100)
                .set_next_token(pages.token())
                .send()
                .await
                .map_err(|error| {
                    transient_unless_invalid(error, |e| {
                        matches!(
                            e,
                            ListPipelineExecutionsError::PipelineNotFoundException(_)
                                | ListPipelineExecutionsError::ValidationException(_)
                        )
                    })
                })?;
            for summary in output.pipeline_execution_summaries() {
                let in_progress =
                    summary.status() == Some(&types::PipelineExecutionStatus::InProgress);
                if let Some(id) = summary.pipeline_execution_id().filter(|_| in_progress)
                    && !executions.iter().any(|known| known == id)
                {
                    executions.push(id.to_owned());
                }
            }
            if pages.next(output.next_token())? {
                break;
            }
        }
        Ok(executions)
    }

    async fn action_records(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionRecord>, ReadError> {
        let mut records = Vec::new();
        let mut pages = Pages::new("ListActionExecutions");
        loop {
            let output = self
                .client
                .list_action_executions()
                .pipeline_name(pipeline)
                .filter(
                    ActionExecutionFilter::builder()
                        .pipeline_execution_id(execution_id)
                        .build(),
                )
                .max_results(100)
                .set_next_token(pages.token())
                .send()
                .await
                .map_err(|error| {
                    transient_unless_invalid(error, |e| {
                        matches!(
                            e,
                            ListActionExecutionsError::PipelineExecutionNotFoundException(_)
                                | ListActionExecutionsError::PipelineNotFoundException(_)
                                | ListActionExecutionsError::ValidationException(_)
                        )
                    })
                })?;
            records.extend(output.action_execution_details().iter().map(action_record));
            if pages.next(output.next_token())? {
                return Ok(records);
            }
        }
    }

    async fn declaration(&self, pipeline: &str) -> Result<Declaration, ReadError> {
        let output = self
            .client
            .get_pipeline()
            .name(pipeline)
            .send()
            .await
            .map_err(|error| {
                transient_unless_invalid(error, |e| {
                    matches!(
                        e,
                        GetPipelineError::PipelineNotFoundException(_)
                            | GetPipelineError::PipelineVersionNotFoundException(_)
                            | GetPipelineError::ValidationException(_)
                    )
                })
            })?;
        Ok(declaration(&output))
    }

    async fn answer(&self, answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        let status = match answer.status {
            crate::pipeline::ApprovalStatus::Approved => ApprovalStatus::Approved,
            crate::pipeline::ApprovalStatus::Rejected => ApprovalStatus::Rejected,
        };
        let result = ApprovalResult::builder()
            .status(status)
            .summary(&answer.summary)
            .build()
            .map_err(|error| AnswerError::Refused(error.to_string()))?;
        self.client
            .put_approval_result()
            .pipeline_name(&answer.target.pipeline)
            .stage_name(&answer.target.stage)
            .action_name(&answer.target.action)
            .token(answer.token.expose())
            .result(result)
            .send()
            .await
            .map(|_| ())
            .map_err(answer_error)
    }
}

/// The most pages a list is read to: 100 pages of ListActionExecutions (100 a page) are
/// 10,000 action executions, far beyond any one pipeline execution, and of ListPipelines
/// (1,000 a page) 100,000 pipelines, beyond any account's quota.
const MAX_PAGES: usize = 100;

/// Follows a list's page tokens. A list is read whole or not at all: a token the service
/// returned before (which would loop, and which the SDK's paginator answers by stopping
/// silently), or more pages than [`MAX_PAGES`], make the read fail for good, so that no
/// check ever judges part of a list as if it were all of it.
struct Pages {
    operation: &'static str,
    seen: HashSet<String>,
    token: Option<String>,
}

impl Pages {
    fn new(operation: &'static str) -> Self {
        Self {
            operation,
            seen: HashSet::new(),
            token: None,
        }
    }

    /// The token to send for the next page.
    fn token(&self) -> Option<String> {
        self.token.clone()
    }

    /// Takes the token a page ended with: `Ok(true)` when it was the last page.
    fn next(&mut self, token: Option<&str>) -> Result<bool, ReadError> {
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            return Ok(true);
        };
        if !self.seen.insert(token.to_owned()) {
            return Err(ReadError::Final(format!(
                "{} returned a page token it had returned before, so the list cannot be \
                 read whole",
                self.operation
            )));
        }
        if self.seen.len() >= MAX_PAGES {
            return Err(ReadError::Final(format!(
                "{} has more than {MAX_PAGES} pages, so the list is not read whole",
                self.operation
            )));
        }
        self.token = Some(token.to_owned());
        Ok(false)
    }
}

/// Denied by IAM: retrying cannot grant the permission (the policy covers a pipeline the
/// template's `PipelineNames` does not). Final, and logged loudly by the caller.
fn access_denied<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    error
        .as_service_error()
        .is_some_and(|e| e.code() == Some("AccessDeniedException"))
}

/// The error codes AWS services use for "slow down" (the SDK's retry classifier knows the
/// same ones); CodePipeline answers `ThrottlingException`.
fn throttled<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    matches!(
        error.code(),
        Some(
            "ThrottlingException"
                | "Throttling"
                | "ThrottledException"
                | "RequestThrottledException"
                | "TooManyRequestsException"
                | "RequestLimitExceeded"
        )
    )
}

/// What is left once a read is neither final nor denied: throttled, or transient.
fn retryable<E: ProvideErrorMetadata>(error: &SdkError<E>) -> ReadError {
    if throttled(error) {
        ReadError::Throttled(Box::new(SdkFailure::of(error)))
    } else {
        ReadError::Transient(Box::new(SdkFailure::of(error)))
    }
}

fn read_error(error: SdkError<GetPipelineStateError>) -> ReadError {
    if access_denied(&error) {
        tracing::error!(error = %SdkFailure::of(&error), "access denied: is the pipeline in the template's PipelineNames?");
        return ReadError::Final("access to the pipeline was denied".into());
    }
    match error.as_service_error() {
        Some(GetPipelineStateError::PipelineNotFoundException(_)) => {
            ReadError::Final("the pipeline does not exist".into())
        }
        Some(GetPipelineStateError::ValidationException(_)) => {
            ReadError::Final("CodePipeline refused the request as invalid".into())
        }
        _ => retryable(&error),
    }
}

/// Reads that fail for good (`is_final`) leave the fact unknown; anything else may pass on
/// a retry.
fn transient_unless_invalid<E>(error: SdkError<E>, is_final: impl Fn(&E) -> bool) -> ReadError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    if access_denied(&error) {
        tracing::error!(error = %SdkFailure::of(&error), "access denied: is the pipeline in the template's PipelineNames?");
        return ReadError::Final("access was denied".into());
    }
    match error.as_service_error() {
        Some(service_error) if is_final(service_error) => ReadError::Final(format!(
            "CodePipeline answered {}",
            service_error.code().unwrap_or("an error")
        )),
        _ => retryable(&error),
    }
}

fn answer_error(error: SdkError<PutApprovalResultError>) -> AnswerError {
    use PutApprovalResultError as E;
    if access_denied(&error) {
        tracing::error!(error = %SdkFailure::of(&error), "access denied: is the pipeline in the template's PipelineNames?");
        return AnswerError::Refused("AccessDeniedException".into());
    }
    match error.as_service_error() {
        Some(E::ApprovalAlreadyCompletedException(_)) => {
            AnswerError::AlreadyAnswered("ApprovalAlreadyCompletedException".into())
        }
        Some(E::InvalidApprovalTokenException(_)) => {
            AnswerError::AlreadyAnswered("InvalidApprovalTokenException".into())
        }
        Some(E::ActionNotFoundException(_)) => {
            AnswerError::Refused("ActionNotFoundException".into())
        }
        Some(E::StageNotFoundException(_)) => AnswerError::Refused("StageNotFoundException".into()),
        Some(E::PipelineNotFoundException(_)) => {
            AnswerError::Refused("PipelineNotFoundException".into())
        }
        Some(E::ValidationException(_)) => AnswerError::Refused("ValidationException".into()),
        _ => AnswerError::Transient(Box::new(SdkFailure::of(&error))),
    }
}

/// One attempt as the project sees it. Whether it belongs to the execution under approval
/// is proven later, from the id it carries; a record that does not say what kind of action
/// it is stays, as a possible source of unknown kind.
pub(crate) fn action_record(detail: &types::ActionExecutionDetail) -> ActionRecord {
    let kind = match detail
        .input()
        .and_then(|input| input.action_type_id())
        .map(|id| id.category())
    {
        Some(ActionCategory::Source) => ActionKind::Source,
        Some(
            ActionCategory::Approval
            | ActionCategory::Build
            | ActionCategory::Compute
            | ActionCategory::Deploy
            | ActionCategory::Invoke
            | ActionCategory::Test,
        ) => ActionKind::Other,
        // A category this build does not know, or none: it may be a source.
        _ => ActionKind::Unknown,
    };
    let output = detail.output();
    ActionRecord {
        execution_id: detail.pipeline_execution_id().map(str::to_owned),
        action_execution_id: detail.action_execution_id().map(str::to_owned),
        stage: detail.stage_name().unwrap_or_default().to_owned(),
        action: detail.action_name().unwrap_or_default().to_owned(),
        kind,
        // A missing status is never taken for success.
        status: detail
            .status()
            .map_or(ActionStatus::Other("(none)".into()), |status| {
                ActionStatus::parse(status.as_str())
            }),
        // An attempt cannot have changed last before it started.
        updated: [detail.last_update_time(), detail.start_time()]
            .into_iter()
            .flatten()
            .filter_map(timestamp)
            .max(),
        output_artifacts: output
            .map(|output| {
                output
                    .output_artifacts()
                    .iter()
                    .filter_map(|artifact| artifact.name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        started: detail.start_time().and_then(timestamp),
        external_execution_id: output
            .and_then(|output| output.execution_result())
            .and_then(|result| result.external_execution_id())
            .map(str::to_owned),
        variables: output
            .and_then(|output| output.output_variables())
            .map(|variables| {
                variables
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        namespace: detail
            .input()
            .and_then(|input| input.namespace())
            .map(str::to_owned),
    }
}

pub(crate) fn snapshot(pipeline: &str, output: &GetPipelineStateOutput) -> PipelineSnapshot {
    PipelineSnapshot {
        name: output.pipeline_name().unwrap_or(pipeline).to_owned(),
        stages: output.stage_states().iter().map(stage).collect(),
    }
}

fn stage(stage: &types::StageState) -> StageState {
    StageState {
        name: stage.stage_name().unwrap_or_default().to_owned(),
        // The SDK turns a missing id into "": that is no execution at all, and two
        // missing ids must never compare equal.
        execution: stage
            .latest_execution()
            .filter(|execution| !execution.pipeline_execution_id().is_empty())
            .map(|execution| StageExecution {
                pipeline_execution_id: execution.pipeline_execution_id().to_owned(),
                // The SDK reads a value it does not know as `Unknown`; its text is kept,
                // and anything but InProgress stops an answer.
                status: ExecutionStatus::parse(Some(execution.status().as_str())),
            }),
        actions: stage.action_states().iter().map(action).collect(),
    }
}

fn action(action: &types::ActionState) -> ActionState {
    ActionState {
        name: action.action_name().unwrap_or_default().to_owned(),
        execution: action.latest_execution().map(|execution| ActionExecution {
            action_execution_id: execution.action_execution_id().map(str::to_owned),
            // A missing status is never taken for success.
            status: execution
                .status()
                .map_or(ActionStatus::Other("(none)".into()), |status| {
                    ActionStatus::parse(status.as_str())
                }),
            token: execution.token().map(ApprovalToken::new),
            last_status_change: execution.last_status_change().and_then(timestamp),
        }),
        current_revision: action.current_revision().map(|revision| CurrentRevision {
            revision_id: revision.revision_id().to_owned(),
            created: timestamp(revision.created()),
        }),
    }
}

/// A `GetPipelineExecution` answer as the project sees it.
pub(crate) fn execution_record(output: &GetPipelineExecutionOutput) -> ExecutionRecord {
    let Some(execution) = output.pipeline_execution() else {
        return ExecutionRecord {
            status: ExecutionStatus::parse(None),
            ..ExecutionRecord::default()
        };
    };
    ExecutionRecord {
        execution_id: execution.pipeline_execution_id().map(str::to_owned),
        artifacts: execution
            .artifact_revisions()
            .iter()
            .map(|revision| ArtifactRevision {
                name: revision.name().unwrap_or_default().to_owned(),
                revision_id: revision.revision_id().map(str::to_owned),
                revision_summary: revision.revision_summary().map(str::to_owned),
                created: revision.created().and_then(timestamp),
            })
            .collect(),
        trigger: execution
            .trigger()
            .and_then(|trigger| trigger.trigger_type())
            .map(|trigger| trigger.as_str().to_owned()),
        status: ExecutionStatus::parse(execution.status().map(|status| status.as_str())),
        variables: execution
            .variables()
            .iter()
            .map(|variable| PipelineVariable {
                name: variable.name().unwrap_or_default().to_owned(),
                value: variable.resolved_value().map(str::to_owned),
            })
            .collect(),
    }
}

/// A `GetPipeline` answer as the project sees it: its execution mode, its actions'
/// timeouts and variable namespaces.
pub(crate) fn declaration(output: &GetPipelineOutput) -> Declaration {
    let stages = output
        .pipeline()
        .map(|declaration| declaration.stages())
        .unwrap_or_default();
    Declaration {
        mode: ExecutionMode::parse(
            output
                .pipeline()
                .and_then(|declaration| declaration.execution_mode())
                .map(|mode| mode.as_str()),
        ),
        timeouts: stages
            .iter()
            .flat_map(|stage| {
                stage.actions().iter().map(|action| {
                    (
                        (stage.name().to_owned(), action.name().to_owned()),
                        action.timeout_in_minutes().map(i64::from),
                    )
                })
            })
            .collect(),
        namespaces: stages
            .iter()
            .flat_map(|stage| {
                stage.actions().iter().filter_map(|action| {
                    Some(DeclaredNamespace {
                        namespace: action.namespace()?.to_owned(),
                        stage: stage.name().to_owned(),
                        action: action.name().to_owned(),
                    })
                })
            })
            .collect(),
    }
}
