//! CodePipeline: `GetPipelineState` and `PutApprovalResult`.

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::operation::get_pipeline_state::{
    GetPipelineStateError, GetPipelineStateOutput,
};
use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultError;
use aws_sdk_codepipeline::types;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};

use super::timestamp;
use crate::notice::ApprovalToken;
use crate::pipeline::{
    ActionExecution, ActionState, ActionStatus, AnswerError, ApprovalAnswer, CurrentRevision,
    PipelineSnapshot, Pipelines, ReadError, StageExecution, StageState,
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

    async fn answer(&self, answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        let status = if answer.approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
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

fn read_error(error: SdkError<GetPipelineStateError>) -> ReadError {
    match error.as_service_error() {
        Some(GetPipelineStateError::PipelineNotFoundException(_)) => {
            ReadError::Final("the pipeline does not exist".into())
        }
        Some(GetPipelineStateError::ValidationException(_)) => {
            ReadError::Final("CodePipeline refused the request as invalid".into())
        }
        _ => ReadError::Transient(Box::new(error)),
    }
}

fn answer_error(error: SdkError<PutApprovalResultError>) -> AnswerError {
    use PutApprovalResultError as E;
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
        _ => AnswerError::Transient(Box::new(error)),
    }
}

fn snapshot(pipeline: &str, output: &GetPipelineStateOutput) -> PipelineSnapshot {
    PipelineSnapshot {
        name: output.pipeline_name().unwrap_or(pipeline).to_owned(),
        stages: output.stage_states().iter().map(stage).collect(),
    }
}

fn stage(stage: &types::StageState) -> StageState {
    StageState {
        name: stage.stage_name().unwrap_or_default().to_owned(),
        execution: stage.latest_execution().map(|execution| StageExecution {
            pipeline_execution_id: execution.pipeline_execution_id().to_owned(),
            status: execution.status().as_str().to_owned(),
        }),
        actions: stage.action_states().iter().map(action).collect(),
    }
}

fn action(action: &types::ActionState) -> ActionState {
    ActionState {
        name: action.action_name().unwrap_or_default().to_owned(),
        execution: action.latest_execution().map(|execution| ActionExecution {
            // A missing status is never taken for success.
            status: execution
                .status()
                .map_or(ActionStatus::Other("(none)".into()), |status| {
                    ActionStatus::parse(status.as_str())
                }),
            token: execution.token().map(ApprovalToken::new),
            summary: execution.summary().map(str::to_owned),
            last_status_change: execution.last_status_change().and_then(timestamp),
        }),
        current_revision: action.current_revision().map(|revision| CurrentRevision {
            revision_id: revision.revision_id().to_owned(),
            created: timestamp(revision.created()),
        }),
    }
}
