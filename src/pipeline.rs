//! The pipeline as the gate sees it, and the ports through which it is read and answered.
//!
//! These are the project's own types: the AWS adapters in [`crate::aws`] convert SDK types
//! into them at the edge, so the decision logic never sees an SDK type.

use std::future::Future;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::notice::{ApprovalTarget, ApprovalToken};

/// What `GetPipelineState` said about one pipeline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PipelineSnapshot {
    pub name: String,
    pub stages: Vec<StageState>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageState {
    pub name: String,
    /// The execution that last entered this stage.
    pub execution: Option<StageExecution>,
    pub actions: Vec<ActionState>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageExecution {
    pub pipeline_execution_id: String,
    /// The stage's `latestExecution.status`: an approval waits only in a stage whose
    /// execution is `InProgress`.
    pub status: ExecutionStatus,
}

/// The status of a pipeline execution, or of a stage's latest execution. Only `InProgress`
/// lets an approval be answered: a stopping, stopped, superseded, cancelled, failed or
/// succeeded execution, or a status this build does not know, never is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// The status of every execution an approval waits in.
    InProgress,
    /// Any other value as AWS wrote it, or `(none)` when the answer had none.
    Other(String),
}

/// A status nobody set is none: a record built without one never lets an answer through.
impl Default for ExecutionStatus {
    fn default() -> Self {
        Self::Other("(none)".to_owned())
    }
}

impl ExecutionStatus {
    pub fn parse(status: Option<&str>) -> Self {
        match status {
            Some("InProgress") => Self::InProgress,
            Some(other) => Self::Other(other.to_owned()),
            None => Self::Other("(none)".to_owned()),
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InProgress => f.write_str("InProgress"),
            Self::Other(status) => f.write_str(&crate::names::printable(status, 40)),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionState {
    pub name: String,
    /// Absent on actions that have not run yet.
    pub execution: Option<ActionExecution>,
    /// Set on source actions: the newest revision the source has seen.
    pub current_revision: Option<CurrentRevision>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionExecution {
    /// `actionExecutionId`: the same id `ListActionExecutions` lists the attempt under,
    /// which ties the attempt to its pipeline execution.
    pub action_execution_id: Option<String>,
    pub status: ActionStatus,
    pub token: Option<ApprovalToken>,
    pub last_status_change: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    InProgress,
    Succeeded,
    Failed,
    Abandoned,
    /// A status this build does not know; never treated as success.
    Other(String),
}

impl ActionStatus {
    pub fn parse(status: &str) -> Self {
        match status {
            "InProgress" => Self::InProgress,
            "Succeeded" => Self::Succeeded,
            "Failed" => Self::Failed,
            "Abandoned" => Self::Abandoned,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InProgress => f.write_str("InProgress"),
            Self::Succeeded => f.write_str("Succeeded"),
            Self::Failed => f.write_str("Failed"),
            Self::Abandoned => f.write_str("Abandoned"),
            Self::Other(other) => f.write_str(&crate::names::printable(other, 40)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CurrentRevision {
    pub revision_id: String,
    pub created: Option<Timestamp>,
}

impl PipelineSnapshot {
    pub fn stage(&self, name: &str) -> Option<&StageState> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    /// Every approval waiting right now: actions in progress that hold a token.
    pub fn pending_approvals(&self) -> Vec<PendingApproval> {
        let mut pending = Vec::new();
        for stage in &self.stages {
            for action in &stage.actions {
                let Some(execution) = &action.execution else {
                    continue;
                };
                let Some(token) = &execution.token else {
                    continue;
                };
                if execution.status == ActionStatus::InProgress {
                    pending.push(PendingApproval {
                        target: ApprovalTarget {
                            pipeline: self.name.clone(),
                            stage: stage.name.clone(),
                            action: action.name.clone(),
                        },
                        token: token.clone(),
                        since: execution.last_status_change,
                    });
                }
            }
        }
        pending
    }

    /// The approval named by `target`, if its stage and action exist.
    pub fn approval(&self, target: &ApprovalTarget) -> Result<ApprovalState<'_>, Staleness> {
        let stage = self.stage(&target.stage).ok_or(Staleness::StageMissing)?;
        let action = stage
            .actions
            .iter()
            .find(|action| action.name == target.action)
            .ok_or(Staleness::ActionMissing)?;
        Ok(ApprovalState { stage, action })
    }
}

/// What `GetPipelineExecution` said about one execution. Raw: the proof that it belongs to
/// the execution under approval is made in [`crate::evidence`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutionRecord {
    /// The id the answer carries (not the one that was asked for).
    pub execution_id: Option<String>,
    pub artifacts: Vec<ArtifactRevision>,
    /// How the execution was started (`trigger.triggerType`), e.g. `Webhook`,
    /// `StartPipelineExecution`.
    pub trigger: Option<String>,
    /// The execution's `status`: facts about an execution that is not `InProgress` are
    /// never used to approve.
    pub status: ExecutionStatus,
    /// The pipeline-level variables (`variables`: name and `resolvedValue`), as listed.
    pub variables: Vec<PipelineVariable>,
}

/// One pipeline-level variable of an execution, as `GetPipelineExecution` resolved it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineVariable {
    pub name: String,
    /// `resolvedValue`; `None` when the answer gave none.
    pub value: Option<String>,
}

/// One entry of GetPipelineExecution's `artifactRevisions`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArtifactRevision {
    pub name: String,
    pub revision_id: Option<String>,
    pub revision_summary: Option<String>,
    pub created: Option<Timestamp>,
}

/// One attempt of one action, as `ListActionExecutions` reports it. Raw, like
/// [`ExecutionRecord`].
#[derive(Clone, Debug, PartialEq)]
pub struct ActionRecord {
    pub execution_id: Option<String>,
    /// `actionExecutionId`, as the state shows it for the action's latest attempt.
    pub action_execution_id: Option<String>,
    pub stage: String,
    pub action: String,
    pub kind: ActionKind,
    pub status: ActionStatus,
    /// When the attempt last changed (`lastUpdateTime`, or `startTime` when that is later
    /// or the only one given); orders the attempts of a retried action.
    pub updated: Option<Timestamp>,
    /// The names of the artifacts the attempt produced.
    pub output_artifacts: Vec<String>,
    pub variables: BTreeMap<String, String>,
    /// When the attempt started (`startTime`): when a waiting approval started waiting.
    pub started: Option<Timestamp>,
    /// `output.executionResult.externalExecutionId`: for a Manual approval waiting in a
    /// PARALLEL pipeline, the token it waits on (such a pipeline's state shows none).
    pub external_execution_id: Option<String>,
    /// `input.namespace`: the namespace the attempt's output variables fall under.
    pub namespace: Option<String>,
}

/// What kind of action a record is about (`input.actionTypeId.category`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionKind {
    Source,
    /// Build, Test, Deploy, Approval, Invoke, Compute.
    Other,
    /// The record did not say: it may be a source, so it is never ignored.
    Unknown,
}

/// What the gate reads from a pipeline's declaration (`GetPipeline`): how long its Manual
/// approval actions may wait, how it runs its executions, and which action each variable
/// namespace belongs to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declaration {
    /// `(stage, action)` → `timeoutInMinutes` as declared (`None`: not set, so
    /// CodePipeline's default of seven days).
    pub timeouts: BTreeMap<(String, String), Option<i64>>,
    pub mode: ExecutionMode,
    /// The actions that declare a variable namespace (`namespace`), in declaration order.
    pub namespaces: Vec<DeclaredNamespace>,
}

/// An action's variable namespace, as the declaration names it: `#{Namespace.NAME}` is
/// that action's output variable `NAME`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclaredNamespace {
    pub namespace: String,
    pub stage: String,
    pub action: String,
}

/// How a pipeline runs its executions (`GetPipeline`'s `executionMode`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ExecutionMode {
    /// A newer execution replaces an older one at a stage (CodePipeline's default when the
    /// declaration names no mode). The state shows each waiting approval and its token.
    #[default]
    Superseded,
    /// Executions wait their turn at each stage, several of them in different stages at
    /// once. The state shows each waiting approval and its token, as for Superseded.
    Queued,
    /// Executions run side by side, and the pipeline has no state to speak of: a waiting
    /// approval is known only from `ListActionExecutions`, and its token is the attempt's
    /// `externalExecutionId`.
    Parallel,
    /// A mode this build does not know: treated as Superseded, whose proof (the token in
    /// the state) it cannot satisfy without showing the approval waiting there.
    Other(String),
}

impl ExecutionMode {
    pub fn parse(mode: Option<&str>) -> Self {
        match mode {
            None | Some("SUPERSEDED") => Self::Superseded,
            Some("QUEUED") => Self::Queued,
            Some("PARALLEL") => Self::Parallel,
            Some(other) => Self::Other(other.to_owned()),
        }
    }
}

/// CodePipeline fails an approval nobody answers after this long, unless its action
/// declares `timeoutInMinutes`.
pub const DEFAULT_APPROVAL_TIMEOUT: SignedDuration = SignedDuration::from_hours(7 * 24);

impl Declaration {
    /// How long the approval action at `target` may wait; `None` when the declaration
    /// does not have the action or declares a timeout outside CodePipeline's range
    /// (5 to 86,400 minutes), so nothing can be said about its expiry.
    pub fn approval_timeout(&self, target: &ApprovalTarget) -> Option<SignedDuration> {
        let declared = self
            .timeouts
            .get(&(target.stage.clone(), target.action.clone()))?;
        match declared {
            None => Some(DEFAULT_APPROVAL_TIMEOUT),
            Some(minutes) if (5..=86_400).contains(minutes) => {
                Some(SignedDuration::from_mins(*minutes))
            }
            Some(_) => None,
        }
    }
}

/// An approval found waiting in the state (rather than announced by a notice).
#[derive(Clone, Debug)]
pub struct PendingApproval {
    pub target: ApprovalTarget,
    pub token: ApprovalToken,
    /// When it started waiting; CodePipeline fails it seven days later.
    pub since: Option<Timestamp>,
}

/// The approval action and the stage it waits in.
#[derive(Clone, Copy, Debug)]
pub struct ApprovalState<'a> {
    pub stage: &'a StageState,
    pub action: &'a ActionState,
}

impl ApprovalState<'_> {
    /// Whether `token` is the one the approval is waiting on right now.
    pub fn check_live(&self, token: &ApprovalToken) -> Result<(), Staleness> {
        let execution = self.action.execution.as_ref().ok_or(Staleness::NotRun)?;
        if execution.token.as_ref() != Some(token) {
            return Err(Staleness::OtherToken);
        }
        match &execution.status {
            ActionStatus::InProgress => Ok(()),
            status => Err(Staleness::NotPending(status.clone())),
        }
    }

    /// The token the approval waits on, if it waits in the execution `execution_id` (as
    /// the action execution `action_execution_id`, when one is named), as an event names
    /// it: the event selects, the state must show exactly that. Whether it is still
    /// waiting is [`LiveApproval::prove`](crate::evidence::LiveApproval::prove)'s to say.
    pub fn token_of(
        &self,
        execution_id: &str,
        action_execution_id: Option<&str>,
    ) -> Result<ApprovalToken, Staleness> {
        let execution = self.action.execution.as_ref().ok_or(Staleness::NotRun)?;
        let other_action_execution = action_execution_id
            .is_some_and(|named| execution.action_execution_id.as_deref() != Some(named));
        if self.execution_id() != Some(execution_id) || other_action_execution {
            return Err(Staleness::OtherExecution);
        }
        execution.token.clone().ok_or(match &execution.status {
            ActionStatus::InProgress => Staleness::NoToken,
            status => Staleness::NotPending(status.clone()),
        })
    }

    /// The pipeline execution waiting at the approval.
    pub fn execution_id(&self) -> Option<&str> {
        self.stage
            .execution
            .as_ref()
            .map(|execution| execution.pipeline_execution_id.as_str())
            .filter(|id| !id.is_empty())
    }
}

/// Why a notice's token is not (or not yet) the live one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Staleness {
    #[error("the stage does not exist in the pipeline")]
    StageMissing,
    #[error("the action does not exist in the stage")]
    ActionMissing,
    #[error("the approval action has not run")]
    NotRun,
    #[error(
        "the approval action does not show this token (it belongs to another execution or was answered)"
    )]
    OtherToken,
    #[error("the approval was already answered (status {0:?})")]
    NotPending(ActionStatus),
    #[error("the approval stage shows no pipeline execution, so nothing can be proven about it")]
    NoExecution,
    #[error(
        "the state does not show the approval waiting in the execution and action execution the event names"
    )]
    OtherExecution,
    #[error("the approval action is in progress but shows no token yet")]
    NoToken,
    #[error("the approval stage's execution is {0}, not InProgress, so it is not waiting")]
    ExecutionNotInProgress(ExecutionStatus),
    #[error(
        "no action execution of the approval in the pipeline's executions in progress is waiting as named (PARALLEL mode: the approval is proven from ListActionExecutions)"
    )]
    NotWaitingInParallel,
    #[error(
        "{0} action executions of the approval are waiting as named (PARALLEL mode): which one is meant cannot be proven"
    )]
    AmbiguousInParallel(usize),
}

impl Staleness {
    /// Whether reading the state again could change the answer: the notice may arrive
    /// before the state shows its token, but a missing stage or an answered token stays so.
    pub fn may_resolve(&self) -> bool {
        matches!(
            self,
            Self::NotRun
                | Self::OtherToken
                | Self::NoExecution
                | Self::OtherExecution
                | Self::NoToken
                | Self::NotWaitingInParallel
        )
    }
}

/// An answer to one approval.
#[derive(Clone, Debug)]
pub struct ApprovalAnswer {
    pub target: ApprovalTarget,
    pub token: ApprovalToken,
    pub status: ApprovalStatus,
    pub summary: String,
}

/// What an answer says, as `PutApprovalResult` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalStatus {
    Approved,
    Rejected,
}

/// Reading a pipeline (or an alarm, or a calendar) failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Final: the pipeline (alarm, calendar) does not exist, access was denied, or the
    /// request was refused as invalid.
    #[error("{0}")]
    Final(String),
    /// Worth retrying: throttling, 5xx, timeouts, connection failures, unreadable answers.
    #[error("the read failed and may succeed on retry: {0}")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Worth retrying, later: CodePipeline asked the caller to slow down, and went on
    /// asking through the SDK's own retries. Kept apart so that the sweep can slow down.
    #[error("CodePipeline throttled the read: {0}")]
    Throttled(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Answering an approval failed.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Final and normal: somebody (or an earlier delivery) answered first, or the token
    /// expired. Nothing to do.
    #[error("the approval was already answered or its token is no longer valid ({0})")]
    AlreadyAnswered(String),
    /// Final: the pipeline, stage or action is gone, or the request was refused.
    #[error("the approval could not be answered ({0})")]
    Refused(String),
    /// Worth retrying; nothing was answered.
    #[error("answering the approval failed and may succeed on retry: {0}")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A pipeline as `ListPipelines` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    /// `None` when the list did not say: the sweep then asks `GetPipeline` whenever the
    /// pipeline's state shows nothing waiting.
    pub mode: Option<ExecutionMode>,
}

/// How many pages of `ListPipelineExecutions` (100 executions each, newest first) are read
/// to find a PARALLEL pipeline's executions in progress: an approval waits at most 30 days
/// (CodePipeline's longest timeout), and a pipeline that starts more than 1,000
/// executions in that time has its oldest ones' approvals left to the sweep's successors
/// or to humans, never answered from a partial list of the wrong ones.
pub const MAX_EXECUTION_PAGES: usize = 10;

/// Reads pipelines and answers approvals (CodePipeline).
pub trait Pipelines: Send + Sync {
    fn state(
        &self,
        pipeline: &str,
    ) -> impl Future<Output = Result<PipelineSnapshot, ReadError>> + Send;

    /// Every pipeline in the account and region (all pages), with its execution mode.
    fn list_pipelines(&self) -> impl Future<Output = Result<Vec<Listed>, ReadError>> + Send;

    /// `GetPipelineExecution`.
    fn execution(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<ExecutionRecord, ReadError>> + Send;

    /// The ids of the pipeline's executions in progress (`ListPipelineExecutions`, newest
    /// first, at most [`MAX_EXECUTION_PAGES`] pages): where a PARALLEL pipeline's
    /// approvals wait.
    fn executions_in_progress(
        &self,
        pipeline: &str,
    ) -> impl Future<Output = Result<Vec<String>, ReadError>> + Send;

    /// Every action attempt of the execution (`ListActionExecutions` filtered by the
    /// execution id, all pages).
    fn action_records(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<Vec<ActionRecord>, ReadError>> + Send;

    /// The approval actions' timeouts (`GetPipeline`).
    fn declaration(
        &self,
        pipeline: &str,
    ) -> impl Future<Output = Result<Declaration, ReadError>> + Send;

    fn answer(
        &self,
        answer: &ApprovalAnswer,
    ) -> impl Future<Output = Result<(), AnswerError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    /// web-shop, its `Approve/Manual` action at `status` for `token`, in `exec-1`.
    fn snapshot(status: ActionStatus, token: Option<&str>) -> PipelineSnapshot {
        let mut action = fixtures::action("Manual", status, None);
        if let Some(execution) = &mut action.execution {
            execution.token = token.map(ApprovalToken::new);
        }
        PipelineSnapshot {
            name: "web-shop".into(),
            stages: vec![fixtures::stage(
                "Approve",
                Some(fixtures::EXECUTION),
                vec![action],
            )],
        }
    }

    fn target(stage: &str, action: &str) -> ApprovalTarget {
        fixtures::target("web-shop", stage, action)
    }

    #[test]
    fn token_is_live_only_when_it_matches_and_waits() {
        let token = ApprovalToken::new("t-1");
        let live = snapshot(ActionStatus::InProgress, Some("t-1"));
        let approval = live.approval(&target("Approve", "Manual")).unwrap();
        assert_eq!(approval.check_live(&token), Ok(()));
        assert_eq!(approval.execution_id(), Some("exec-1"));

        let other = snapshot(ActionStatus::InProgress, Some("t-2"));
        let approval = other.approval(&target("Approve", "Manual")).unwrap();
        assert_eq!(approval.check_live(&token), Err(Staleness::OtherToken));

        let answered = snapshot(ActionStatus::Succeeded, Some("t-1"));
        let approval = answered.approval(&target("Approve", "Manual")).unwrap();
        assert_eq!(
            approval.check_live(&token),
            Err(Staleness::NotPending(ActionStatus::Succeeded))
        );
    }

    #[test]
    fn missing_stage_or_action_is_final() {
        let state = snapshot(ActionStatus::InProgress, Some("t-1"));
        let stage = state.approval(&target("Nope", "Manual")).unwrap_err();
        let action = state.approval(&target("Approve", "Nope")).unwrap_err();
        assert_eq!(
            (stage.clone(), action.clone()),
            (Staleness::StageMissing, Staleness::ActionMissing)
        );
        assert!(!stage.may_resolve() && !action.may_resolve());
        assert!(Staleness::OtherToken.may_resolve());
    }

    #[test]
    fn an_approval_is_live_only_while_its_stage_execution_is_in_progress() {
        let token = ApprovalToken::new("t-1");
        for status in [
            "Stopping",
            "Stopped",
            "Succeeded",
            "Failed",
            "Cancelled",
            "Paused",
        ] {
            let mut state = snapshot(ActionStatus::InProgress, Some("t-1"));
            let execution = state.stages[0].execution.as_mut().unwrap();
            execution.status = ExecutionStatus::parse(Some(status));
            let proof =
                crate::evidence::LiveApproval::prove(&state, &target("Approve", "Manual"), &token);
            assert_eq!(
                proof.unwrap_err(),
                Staleness::ExecutionNotInProgress(ExecutionStatus::Other(status.into())),
                "{status}"
            );
        }
        let state = snapshot(ActionStatus::InProgress, Some("t-1"));
        assert!(
            crate::evidence::LiveApproval::prove(&state, &target("Approve", "Manual"), &token)
                .is_ok()
        );
        assert_eq!(
            ExecutionStatus::parse(None),
            ExecutionStatus::Other("(none)".into())
        );
        assert!(!Staleness::ExecutionNotInProgress(ExecutionStatus::parse(None)).may_resolve());
    }
}
