//! What the gate may rely on, each fact with the proof of where it came from.
//!
//! The state (`GetPipelineState`) shows an action's *latest* status, which may belong to an
//! older execution (a skipped stage keeps the statuses of the last run that executed it),
//! and a source's *current* revision, which says nothing about what an execution carries.
//! So the decision never reads those. It reads:
//!
//! - a [`LiveApproval`]: the notice's token waiting right now on the approval action, and
//!   the execution it waits in, proven from the same state;
//! - [`ExecutionFacts`]: what `GetPipelineExecution` and `ListActionExecutions` answered,
//!   kept only when the answer names that same execution, and used only once
//!   `ListActionExecutions` for that execution lists the approval's own action execution
//!   (its `actionExecutionId`, as the state shows it): the stage's `latestExecution` alone
//!   does not prove which execution the waiting token belongs to;
//! - [`SourceHead`]s: the newest revision each source has seen, which `latest` compares
//!   with what the execution carries, source by source.
//!
//! The types have private fields and are built only by the functions here, which check
//! the execution id, so a fact about another execution cannot reach `decide()`.

use jiff::{SignedDuration, Timestamp};

use crate::names::printable;
use crate::notice::{ApprovalTarget, ApprovalToken};
use std::collections::BTreeMap;

use crate::pipeline::{
    ActionKind, ActionRecord, ActionStatus, ArtifactRevision, Declaration, DeclaredNamespace,
    ExecutionRecord, ExecutionStatus, PipelineSnapshot, PipelineVariable, Staleness,
};

/// Output variables that carry a source action's revision id, by source kind: CodeCommit
/// and CodeStar connections (`CommitId`), ECR (`ImageDigest`), S3 (`VersionId`).
const REVISION_ID_VARIABLES: [&str; 3] = ["CommitId", "ImageDigest", "VersionId"];

/// The id of a pipeline execution: never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionId(String);

impl ExecutionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&printable(&self.0, 100))
    }
}

/// An approval whose token the state shows waiting (`InProgress`) right now, and the
/// execution it waits in (the approval stage's `latestExecution`).
#[derive(Clone, Debug)]
pub struct LiveApproval {
    target: ApprovalTarget,
    token: ApprovalToken,
    execution: ExecutionId,
    /// The approval action's `actionExecutionId` in the state, when it shows one.
    action_execution_id: Option<String>,
    since: Option<Timestamp>,
}

/// What a trigger names of an approval waiting in a PARALLEL pipeline, whose state shows
/// no tokens.
#[derive(Clone, Copy, Debug)]
pub enum InParallel<'a> {
    /// A notice's token: the attempt's `externalExecutionId` must be it.
    Token(&'a ApprovalToken),
    /// An approval event's execution and action execution.
    ActionExecution {
        execution_id: &'a str,
        action_execution_id: &'a str,
    },
    /// A wake-up's, or the sweep's, execution.
    Execution(&'a str),
}

impl LiveApproval {
    /// Proves an approval waiting in a PARALLEL pipeline from `records`, the action
    /// attempts `ListActionExecutions` lists for every execution in progress of the
    /// pipeline: exactly one attempt of the approval action must be `InProgress`, be what
    /// `named` names, and carry an execution id and an `externalExecutionId`, which is the
    /// token (PutApprovalResult's reference: a PARALLEL pipeline's state has none), and no
    /// other attempt of the action may wait on that token. The execution it belongs to is
    /// the execution under approval.
    pub fn prove_in_parallel(
        records: &[ActionRecord],
        target: &ApprovalTarget,
        named: InParallel<'_>,
    ) -> Result<Self, Staleness> {
        let waiting: Vec<&ActionRecord> = records
            .iter()
            .filter(|record| {
                record.stage == target.stage
                    && record.action == target.action
                    && record.status == ActionStatus::InProgress
            })
            .filter(|record| {
                let execution = record.execution_id.as_deref().unwrap_or_default();
                let token = record.external_execution_id.as_deref().unwrap_or_default();
                !execution.is_empty()
                    && !token.is_empty()
                    && match named {
                        InParallel::Token(named) => token == named.expose(),
                        InParallel::ActionExecution {
                            execution_id,
                            action_execution_id,
                        } => {
                            execution == execution_id
                                && record.action_execution_id.as_deref()
                                    == Some(action_execution_id)
                        }
                        InParallel::Execution(execution_id) => execution == execution_id,
                    }
            })
            .collect();
        let [record] = waiting.as_slice() else {
            return Err(match waiting.len() {
                0 => Staleness::NotWaitingInParallel,
                many => Staleness::AmbiguousInParallel(many),
            });
        };
        // The answer goes by the token alone: another attempt of the approval waiting on
        // the same one (a list that contradicts itself) could be the one it reaches.
        let sharing = records
            .iter()
            .filter(|other| {
                other.stage == target.stage
                    && other.action == target.action
                    && other.status == ActionStatus::InProgress
                    && other.external_execution_id == record.external_execution_id
            })
            .count();
        if sharing > 1 {
            return Err(Staleness::AmbiguousInParallel(sharing));
        }
        Ok(Self {
            target: target.clone(),
            token: ApprovalToken::new(record.external_execution_id.clone().unwrap_or_default()),
            execution: ExecutionId(record.execution_id.clone().unwrap_or_default()),
            action_execution_id: record
                .action_execution_id
                .clone()
                .filter(|id| !id.is_empty()),
            since: record.started,
        })
    }

    /// Proves that `token` is the one the approval at `target` waits on in `snapshot`.
    pub fn prove(
        snapshot: &PipelineSnapshot,
        target: &ApprovalTarget,
        token: &ApprovalToken,
    ) -> Result<Self, Staleness> {
        let approval = snapshot.approval(target)?;
        approval.check_live(token)?;
        let stage_execution = approval
            .stage
            .execution
            .as_ref()
            .filter(|execution| !execution.pipeline_execution_id.is_empty())
            .ok_or(Staleness::NoExecution)?;
        if stage_execution.status != ExecutionStatus::InProgress {
            return Err(Staleness::ExecutionNotInProgress(
                stage_execution.status.clone(),
            ));
        }
        let execution = ExecutionId(stage_execution.pipeline_execution_id.clone());
        let action_execution = approval.action.execution.as_ref();
        Ok(Self {
            target: target.clone(),
            token: token.clone(),
            execution,
            action_execution_id: action_execution
                .and_then(|execution| execution.action_execution_id.clone())
                .filter(|id| !id.is_empty()),
            since: action_execution.and_then(|execution| execution.last_status_change),
        })
    }

    pub fn target(&self) -> &ApprovalTarget {
        &self.target
    }

    pub fn token(&self) -> &ApprovalToken {
        &self.token
    }

    pub fn execution(&self) -> &ExecutionId {
        &self.execution
    }

    /// When the approval started waiting (`lastStatusChange`), if the state says.
    pub fn since(&self) -> Option<Timestamp> {
        self.since
    }

    /// When CodePipeline fails the approval: when it started waiting plus its declared
    /// timeout. `None` when either is unknown; the notice's `expires` is never used,
    /// since anyone who can publish to the topic can write it.
    pub fn expiry(&self, declaration: Option<&Declaration>) -> Option<Expiry> {
        let timeout: SignedDuration = declaration?.approval_timeout(&self.target)?;
        self.since?.checked_add(timeout).ok().map(Expiry)
    }
}

/// When CodePipeline fails an approval nobody answers, proven from the state and the
/// declaration ([`LiveApproval::expiry`]): the only expiry the decision may act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry(Timestamp);

impl Expiry {
    pub fn at(self) -> Timestamp {
        self.0
    }
}

/// The newest revision a source action has seen (`currentRevision` in the state). It is
/// not tied to any execution: `latest` compares it with what the execution carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceHead {
    pub stage: String,
    pub action: String,
    pub current_revision: Option<String>,
}

impl SourceHead {
    /// Whether `run` is an attempt of this source action.
    pub fn is(&self, run: &SourceRun<'_>) -> bool {
        self.stage == run.record.stage && self.action == run.record.action
    }
}

impl SourceHead {
    /// Every action of the pipeline that shows a current revision.
    pub fn of(snapshot: &PipelineSnapshot) -> Vec<Self> {
        snapshot
            .stages
            .iter()
            .flat_map(|stage| stage.actions.iter().map(move |action| (stage, action)))
            .filter_map(|(stage, action)| {
                let revision = action.current_revision.as_ref()?;
                Some(Self {
                    stage: stage.name.clone(),
                    action: action.name.clone(),
                    current_revision: Some(revision.revision_id.clone())
                        .filter(|id| !id.is_empty()),
                })
            })
            .collect()
    }
}

/// What was read about the execution under approval, and only what was proven to be
/// about it. A part that was not read, could not be read, or answered for another
/// execution is `None`, and every check that needs it fails. Nothing is used until the
/// execution's action attempts show the approval's own action execution
/// ([`ExecutionFacts::refused`] says why they did not).
#[derive(Clone, Debug)]
pub struct ExecutionFacts {
    execution: ExecutionId,
    /// The approval the facts are for: its stage, action and action execution id.
    approval: Option<(String, String, Option<String>)>,
    binding: Binding,
    artifacts: Option<Vec<ArtifactRevision>>,
    trigger: Option<String>,
    actions: Option<Vec<ActionRecord>>,
    /// The execution's pipeline-level variables, as GetPipelineExecution resolved them.
    pipeline_variables: Option<Vec<PipelineVariable>>,
    /// Which action declares each variable namespace (GetPipeline): an output variable is
    /// read from that action's attempt, which must itself name the namespace.
    namespaces: Option<Vec<DeclaredNamespace>>,
    /// Why the execution cannot have an approval answered: GetPipelineExecution shows it
    /// in a status other than `InProgress`.
    stopped: Option<String>,
}

/// Whether the approval is proven to wait in the execution the facts are about.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Binding {
    /// The action attempts were not read (yet): nothing is used.
    Unread,
    Proven,
    /// The attempts were read and do not list the approval's action execution.
    Refused(String),
}

impl ExecutionFacts {
    /// Nothing known yet about `approval`'s execution.
    pub fn of(approval: &LiveApproval) -> Self {
        Self {
            execution: approval.execution.clone(),
            approval: Some((
                approval.target.stage.clone(),
                approval.target.action.clone(),
                approval.action_execution_id.clone(),
            )),
            binding: Binding::Unread,
            artifacts: None,
            trigger: None,
            actions: None,
            pipeline_variables: None,
            namespaces: None,
            stopped: None,
        }
    }

    /// Nothing known yet about the execution with this id, for no approval in particular:
    /// for tests of one check, which take the facts as given. [`crate::decision::decide`]
    /// uses facts only when their id is the one the live approval waits in.
    #[cfg(any(test, feature = "fixtures"))]
    pub fn about(execution_id: &str) -> Self {
        Self {
            execution: ExecutionId(execution_id.to_owned()),
            approval: None,
            binding: Binding::Proven,
            artifacts: None,
            trigger: None,
            actions: None,
            pipeline_variables: None,
            namespaces: None,
            stopped: None,
        }
    }

    /// Adds what `GetPipelineExecution` answered, if it names this execution.
    pub fn with_execution(mut self, record: ExecutionRecord) -> Self {
        if record.execution_id.as_deref() == Some(self.execution.as_str()) {
            self.artifacts = Some(record.artifacts);
            self.trigger = record.trigger;
            self.pipeline_variables = Some(record.variables);
            if record.status != ExecutionStatus::InProgress {
                self.stopped = Some(format!(
                    "GetPipelineExecution shows execution {} as {}, not InProgress: an \
                     approval in an execution that is stopping, stopped, superseded or \
                     cancelled gets no answer",
                    self.execution, record.status
                ));
            }
        } else {
            tracing::warn!(
                execution_id = %self.execution,
                "GetPipelineExecution answered about another execution; its revisions are not used"
            );
        }
        self
    }

    /// Adds the action attempts `ListActionExecutions` answered, keeping only those that
    /// name this execution, and proves the approval waits in it: one of them must be the
    /// approval's own action execution. Otherwise nothing about the execution is used.
    pub fn with_actions(mut self, records: Vec<ActionRecord>) -> Self {
        let execution = self.execution.as_str();
        let records: Vec<ActionRecord> = records
            .into_iter()
            .filter(|record| record.execution_id.as_deref() == Some(execution))
            .collect();
        if let Some((stage, action, id)) = &self.approval {
            self.binding = match id {
                None => Binding::Refused(format!(
                    "the state shows no action execution id for {}/{}, so the approval \
                     cannot be proven to wait in execution {}",
                    printable(stage, 100),
                    printable(action, 100),
                    self.execution
                )),
                Some(id)
                    if records.iter().any(|record| {
                        record.stage == *stage
                            && record.action == *action
                            && record.action_execution_id.as_deref() == Some(id.as_str())
                    }) =>
                {
                    Binding::Proven
                }
                Some(id) => Binding::Refused(format!(
                    "ListActionExecutions does not list the approval's action execution \
                     {} among those of execution {}, so the approval cannot be proven to \
                     wait in it, and nothing read about that execution is used",
                    printable(id, 100),
                    self.execution
                )),
            };
        }
        self.actions = Some(records);
        self
    }

    /// Adds which action declares each variable namespace, from the pipeline's declaration.
    pub fn with_namespaces(mut self, declaration: &Declaration) -> Self {
        self.namespaces = Some(declaration.namespaces.clone());
        self
    }

    pub fn execution(&self) -> &ExecutionId {
        &self.execution
    }

    /// The facts as they stood at `moment`: an attempt that last changed after it, or
    /// whose time is unknown, was still running then.
    pub fn as_of(&self, moment: Timestamp) -> Self {
        let mut facts = self.clone();
        for record in facts.actions.iter_mut().flatten() {
            if record.updated.is_none_or(|updated| updated > moment) {
                record.status = ActionStatus::InProgress;
            }
        }
        facts
    }

    /// Why the facts are not used although they were read: the execution's action
    /// attempts do not show the approval's own action execution.
    pub fn refused(&self) -> Option<&str> {
        if let Some(reason) = &self.stopped {
            return Some(reason);
        }
        match &self.binding {
            Binding::Refused(reason) => Some(reason),
            Binding::Unread | Binding::Proven => None,
        }
    }

    fn proven(&self) -> bool {
        self.binding == Binding::Proven && self.stopped.is_none()
    }

    /// The attempts, once the approval is proven to wait in this execution.
    fn records(&self) -> Option<&[ActionRecord]> {
        self.actions.as_deref().filter(|_| self.proven())
    }

    /// The artifact revisions the execution carries; `None` when unread or unproven.
    pub fn artifacts(&self) -> Option<&[ArtifactRevision]> {
        self.artifacts.as_deref().filter(|_| self.proven())
    }

    /// How the execution was started; `None` when unread, unknown or unproven.
    pub fn trigger(&self) -> Option<&str> {
        self.trigger.as_deref().filter(|_| self.proven())
    }

    /// Whether the action attempts were read (and the approval proven to wait in them).
    pub fn actions_read(&self) -> bool {
        self.records().is_some()
    }

    /// How `stage/action` ended in this execution: its latest attempt.
    pub fn action_outcome(&self, stage: &str, action: &str) -> ActionOutcome {
        let Some(records) = self.records() else {
            return ActionOutcome::Unread;
        };
        let attempts: Vec<&ActionRecord> = records
            .iter()
            .filter(|record| record.stage == stage && record.action == action)
            .collect();
        match attempts.as_slice() {
            [] => ActionOutcome::NotRun,
            [only] => ActionOutcome::Ran(only.status.clone()),
            several => {
                // A retried stage runs its actions again; the last attempt counts. When the
                // attempts cannot be ordered (a time is missing, or the latest is shared),
                // the action counts as succeeded only if every attempt did.
                let last = several.iter().filter_map(|record| record.updated).max();
                let ordered = several.iter().all(|record| record.updated.is_some())
                    && several
                        .iter()
                        .filter(|record| record.updated == last)
                        .count()
                        == 1;
                let counted: Vec<&&ActionRecord> = if ordered {
                    several
                        .iter()
                        .filter(|record| record.updated == last)
                        .collect()
                } else {
                    several.iter().collect()
                };
                match counted
                    .iter()
                    .find(|record| record.status != ActionStatus::Succeeded)
                {
                    Some(record) => ActionOutcome::Ran(record.status.clone()),
                    None => ActionOutcome::Ran(ActionStatus::Succeeded),
                }
            }
        }
    }

    /// The source actions that ran in this execution, one per action: the attempt that
    /// succeeded (the last one, if several did), or the last attempt if none did. Records
    /// that do not say what kind of action they are count as sources of unknown kind.
    pub fn sources(&self) -> Option<Vec<SourceRun<'_>>> {
        let records = self.records()?;
        let mut runs: Vec<SourceRun<'_>> = Vec::new();
        for record in records
            .iter()
            .filter(|record| record.kind != ActionKind::Other)
        {
            let better = |current: &ActionRecord| {
                let succeeded = |r: &ActionRecord| r.status == ActionStatus::Succeeded;
                (succeeded(record), record.updated) > (succeeded(current), current.updated)
            };
            match runs
                .iter_mut()
                .find(|run| run.record.stage == record.stage && run.record.action == record.action)
            {
                Some(run) if better(run.record) => run.record = record,
                Some(_) => {}
                None => runs.push(SourceRun { record }),
            }
        }
        Some(runs)
    }

    /// The source action that produced `artifact` in this execution: the one whose record
    /// names the artifact among its outputs, or else, among the records that name no
    /// outputs at all, the one whose revision-id output variable equals the artifact's
    /// revision id. Several candidates, or none, is an error that says why.
    pub fn producer<'a>(&'a self, artifact: &ArtifactRevision) -> Result<SourceRun<'a>, Unpaired> {
        let sources = self.sources().ok_or(Unpaired::Unread)?;
        let by_name: Vec<_> = sources
            .iter()
            .filter(|run| run.record.output_artifacts.contains(&artifact.name))
            .collect();
        let candidates: Vec<_> = if by_name.is_empty() {
            let Some(id) = artifact.revision_id.as_deref() else {
                return Err(Unpaired::NoProducer);
            };
            sources
                .iter()
                .filter(|run| run.record.output_artifacts.is_empty())
                .filter(|run| run.revision_id_variables().any(|value| value == id))
                .collect()
        } else {
            by_name
        };
        let run = match candidates.as_slice() {
            [] => return Err(Unpaired::NoProducer),
            [only] => **only,
            several => {
                return Err(Unpaired::Ambiguous(
                    several.iter().map(|run| run.action().to_owned()).collect(),
                ));
            }
        };
        // The attempt must vouch for this very revision: a retried source, or an artifact
        // name carried twice, may pair a name with an attempt that produced another one.
        let mut ids = run.revision_id_variables().peekable();
        if ids.peek().is_some() && !ids.any(|id| artifact.revision_id.as_deref() == Some(id)) {
            return Err(Unpaired::OtherRevision(run.action().to_owned()));
        }
        Ok(run)
    }
}

impl ExecutionFacts {
    /// The value of `name` in this execution: a pipeline-level variable as
    /// GetPipelineExecution resolved it, or an output variable of the last attempt of the
    /// action that declares the namespace, which must have succeeded in this execution and
    /// name that namespace itself.
    pub fn variable(&self, name: &VariableName) -> Result<&str, Missing> {
        match name {
            VariableName::Pipeline(name) => self.pipeline_variable(name),
            VariableName::Output { namespace, name } => {
                let attempt = self.namespace_attempt(namespace)?;
                attempt
                    .variables
                    .get(name)
                    .map(String::as_str)
                    .ok_or_else(|| Missing::NoOutput(action_of(attempt)))
            }
        }
    }

    fn pipeline_variable(&self, name: &str) -> Result<&str, Missing> {
        let listed = self
            .pipeline_variables
            .as_deref()
            .filter(|_| self.proven())
            .ok_or(Missing::ExecutionUnread)?;
        let mut values = listed
            .iter()
            .filter(|variable| variable.name == name)
            .map(|variable| variable.value.as_deref());
        match (values.next(), values.next()) {
            (None, _) => Err(Missing::NotListed),
            (Some(None), None) => Err(Missing::Unresolved),
            (Some(Some(value)), None) => Ok(value),
            (Some(_), Some(_)) => Err(Missing::ListedTwice),
        }
    }

    /// The attempt whose outputs `#{namespace.…}` names: the last attempt, in this
    /// execution, of the one action the declaration gives the namespace.
    fn namespace_attempt(&self, namespace: &str) -> Result<&ActionRecord, Missing> {
        let records = self.records().ok_or(Missing::AttemptsUnread)?;
        let declared = self
            .namespaces
            .as_deref()
            .ok_or(Missing::DeclarationUnread)?;
        let owners: Vec<&DeclaredNamespace> = declared
            .iter()
            .filter(|declared| declared.namespace == namespace)
            .collect();
        let owner = match owners.as_slice() {
            [] => return Err(Missing::Undeclared),
            [owner] => *owner,
            _ => return Err(Missing::DeclaredTwice),
        };
        let action = format!("{}/{}", owner.stage, owner.action);
        let attempts: Vec<&ActionRecord> = records
            .iter()
            .filter(|record| record.stage == owner.stage && record.action == owner.action)
            .collect();
        let last = match attempts.as_slice() {
            [] => return Err(Missing::NotRun(action)),
            [only] => *only,
            several => {
                let latest = several.iter().filter_map(|record| record.updated).max();
                let at_latest: Vec<&&ActionRecord> = several
                    .iter()
                    .filter(|record| record.updated == latest)
                    .collect();
                match at_latest.as_slice() {
                    [last] if several.iter().all(|record| record.updated.is_some()) => **last,
                    _ => return Err(Missing::Unordered(action)),
                }
            }
        };
        if last.status != ActionStatus::Succeeded {
            return Err(Missing::NotSucceeded(action, last.status.clone()));
        }
        if last.namespace.as_deref() != Some(namespace) {
            return Err(Missing::OtherNamespace(action, last.namespace.clone()));
        }
        Ok(last)
    }

    /// Every variable this execution's records vouch for, by namespace (`variables` for
    /// the pipeline-level ones): what a check function is shown. A namespace whose action
    /// did not succeed last, or is declared twice, is left out, as is a pipeline variable
    /// listed twice or without a value.
    pub fn proven_variables(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut variables = BTreeMap::new();
        let pipeline: BTreeMap<String, String> = self
            .pipeline_variables
            .iter()
            .flatten()
            .filter_map(|variable| {
                let value = self.pipeline_variable(&variable.name).ok()?;
                Some((variable.name.clone(), value.to_owned()))
            })
            .collect();
        if !pipeline.is_empty() {
            variables.insert(PIPELINE_NAMESPACE.to_owned(), pipeline);
        }
        // An action's namespace named as CodePipeline's own would stand for what they hold.
        let actions = self.namespaces.iter().flatten().filter(|declared| {
            !declared.namespace.eq_ignore_ascii_case(PIPELINE_NAMESPACE)
                && !declared.namespace.eq_ignore_ascii_case("codepipeline")
        });
        for declared in actions {
            if let Ok(attempt) = self.namespace_attempt(&declared.namespace)
                && !attempt.variables.is_empty()
            {
                variables.insert(declared.namespace.clone(), attempt.variables.clone());
            }
        }
        variables
    }
}

/// The namespace CodePipeline gives pipeline-level variables: `#{variables.NAME}`.
pub const PIPELINE_NAMESPACE: &str = "variables";

fn action_of(record: &ActionRecord) -> String {
    format!("{}/{}", record.stage, record.action)
}

/// A variable as CodePipeline's syntax names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariableName {
    /// `#{variables.NAME}`: a pipeline-level variable.
    Pipeline(String),
    /// `#{Namespace.NAME}`: an output variable of the action that declares `Namespace`.
    Output { namespace: String, name: String },
}

impl std::fmt::Display for VariableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (namespace, name) = match self {
            Self::Pipeline(name) => (PIPELINE_NAMESPACE, name.as_str()),
            Self::Output { namespace, name } => (namespace.as_str(), name.as_str()),
        };
        write!(
            f,
            "#{{{}.{}}}",
            printable(namespace, 128),
            printable(name, 128)
        )
    }
}

/// Why a variable has no value the gate may use. Read after the variable's name: "#{…}
/// is not among …".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    ExecutionUnread,
    NotListed,
    Unresolved,
    ListedTwice,
    AttemptsUnread,
    DeclarationUnread,
    Undeclared,
    DeclaredTwice,
    /// The action (`Stage/Action`) that declares the namespace did not run here.
    NotRun(String),
    /// Its last attempt did not succeed.
    NotSucceeded(String, ActionStatus),
    /// Its attempts cannot be ordered, so which came last is unknown.
    Unordered(String),
    /// Its last attempt names another namespace, or none.
    OtherNamespace(String, Option<String>),
    /// Its last attempt has no such output variable.
    NoOutput(String),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = |action: &str| printable(action, 200);
        match self {
            Self::ExecutionUnread => f.write_str(
                "cannot be read: the execution (GetPipelineExecution) was not read, or not \
                 proven to be the one the approval waits in",
            ),
            Self::NotListed => f.write_str("is not among the execution's pipeline variables"),
            Self::Unresolved => f.write_str("has no resolved value in the execution"),
            Self::ListedTwice => {
                f.write_str("is listed twice among the execution's pipeline variables")
            }
            Self::AttemptsUnread => f.write_str(
                "cannot be read: the execution's action attempts (ListActionExecutions) were \
                 not read, or do not show the approval",
            ),
            Self::DeclarationUnread => f.write_str(
                "cannot be read: the pipeline's declaration (GetPipeline), which says which \
                 action declares the namespace, was not read",
            ),
            Self::Undeclared => f.write_str("names a namespace no action of the pipeline declares"),
            Self::DeclaredTwice => {
                f.write_str("names a namespace the declaration gives two actions")
            }
            Self::NotRun(name) => write!(
                f,
                "cannot be read: {}, which declares the namespace, did not run in this execution",
                action(name)
            ),
            Self::NotSucceeded(name, status) => write!(
                f,
                "cannot be read: the last attempt of {} in this execution is {status}, not \
                 Succeeded",
                action(name)
            ),
            Self::Unordered(name) => write!(
                f,
                "cannot be read: {} ran several times in this execution and which attempt came \
                 last is unknown",
                action(name)
            ),
            Self::OtherNamespace(name, found) => write!(
                f,
                "cannot be read: the attempt of {} names {} as its namespace, not this one (the \
                 pipeline changed after the execution started?)",
                action(name),
                found.as_deref().map_or("none".to_owned(), |found| format!(
                    "\"{}\"",
                    printable(found, 128)
                ))
            ),
            Self::NoOutput(name) => write!(
                f,
                "is not among the output variables of {}'s last attempt",
                action(name)
            ),
        }
    }
}

/// How an action ended in the execution under approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionOutcome {
    /// `ListActionExecutions` was not read, or could not be.
    Unread,
    /// No attempt in this execution (e.g. its stage was skipped).
    NotRun,
    /// The status of its last attempt in this execution.
    Ran(ActionStatus),
}

/// A source action's attempt in the execution under approval.
#[derive(Clone, Copy, Debug)]
pub struct SourceRun<'a> {
    record: &'a ActionRecord,
}

impl<'a> SourceRun<'a> {
    pub fn stage(&self) -> &'a str {
        &self.record.stage
    }

    pub fn action(&self) -> &'a str {
        &self.record.action
    }

    /// Whether the record said it is a source action; a record of unknown kind is kept
    /// (it may be one) but never vouches for anything.
    pub fn classified(&self) -> bool {
        self.record.kind == ActionKind::Source
    }

    pub fn succeeded(&self) -> bool {
        self.record.status == ActionStatus::Succeeded
    }

    pub fn variable(&self, name: &str) -> Option<&'a str> {
        self.record.variables.get(name).map(String::as_str)
    }

    fn revision_id_variables(&self) -> impl Iterator<Item = &'a str> {
        let record = self.record;
        REVISION_ID_VARIABLES
            .iter()
            .filter_map(move |name| record.variables.get(*name).map(String::as_str))
    }
}

/// Why an artifact could not be paired with the source action that produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unpaired {
    /// The action attempts of the execution could not be read.
    Unread,
    /// No source action of the execution produced it.
    NoProducer,
    /// Several did (by name or by revision id): which one is unknown.
    Ambiguous(Vec<String>),
    /// The action that names it as its output reports another revision.
    OtherRevision(String),
}

impl std::fmt::Display for Unpaired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unread => f.write_str("the action executions of the execution could not be read"),
            Self::NoProducer => {
                f.write_str("no source action that ran in the execution produced it")
            }
            Self::OtherRevision(action) => write!(
                f,
                "source action {} names it as its output but reports another revision",
                printable(action, 100)
            ),
            Self::Ambiguous(actions) => write!(
                f,
                "source actions {} could each have produced it",
                actions
                    .iter()
                    .map(|action| printable(action, 100))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::fixtures;

    const ONE: &str = "11111111-1111-4111-8111-111111111111";
    const TWO: &str = "22222222-2222-4222-8222-222222222222";

    fn target() -> ApprovalTarget {
        fixtures::target("feature-branches", "Approve", "Manual")
    }

    /// The approval's attempt in `execution`, waiting on `token`.
    fn waiting(execution: &str, token: &str) -> ActionRecord {
        ActionRecord {
            action_execution_id: Some(format!("ae-{execution}")),
            external_execution_id: Some(token.into()),
            started: Some(fixtures::at("2026-11-26T07:55:00Z")),
            ..fixtures::record(execution, "Approve", "Manual", ActionStatus::InProgress)
        }
    }

    #[test]
    fn two_executions_waiting_at_one_approval_are_each_proven_with_their_own_token() {
        let records = [waiting("exec-1", ONE), waiting("exec-2", TWO)];
        for (token, execution) in [(ONE, "exec-1"), (TWO, "exec-2")] {
            let token = ApprovalToken::new(token);
            let approval =
                LiveApproval::prove_in_parallel(&records, &target(), InParallel::Token(&token))
                    .unwrap();
            assert_eq!(approval.execution().as_str(), execution);
            assert_eq!(approval.token(), &token);
            assert_eq!(approval.since(), Some(fixtures::at("2026-11-26T07:55:00Z")));
        }
        let woken =
            LiveApproval::prove_in_parallel(&records, &target(), InParallel::Execution("exec-2"))
                .unwrap();
        assert_eq!(woken.token().expose(), TWO);
        let started = LiveApproval::prove_in_parallel(
            &records,
            &target(),
            InParallel::ActionExecution {
                execution_id: "exec-1",
                action_execution_id: "ae-exec-1",
            },
        )
        .unwrap();
        assert_eq!(started.token().expose(), ONE);
    }

    #[test]
    fn nothing_but_exactly_one_waiting_attempt_as_named_is_proven() {
        let token = ApprovalToken::new(ONE);
        let prove = |records: &[ActionRecord], named| {
            LiveApproval::prove_in_parallel(records, &target(), named).map(|_| ())
        };
        // Answered, another action, no token, no execution, another execution's attempt.
        let answered = ActionRecord {
            status: ActionStatus::Succeeded,
            ..waiting("exec-1", ONE)
        };
        let elsewhere = ActionRecord {
            action: "Sign-off".into(),
            ..waiting("exec-1", ONE)
        };
        let tokenless = ActionRecord {
            external_execution_id: None,
            ..waiting("exec-1", ONE)
        };
        let unowned = ActionRecord {
            execution_id: None,
            ..waiting("exec-1", ONE)
        };
        for record in [answered, elsewhere, tokenless, unowned] {
            assert_eq!(
                prove(&[record], InParallel::Token(&token)),
                Err(Staleness::NotWaitingInParallel)
            );
        }
        let records = [waiting("exec-1", ONE)];
        assert_eq!(
            prove(
                &records,
                InParallel::ActionExecution {
                    execution_id: "exec-1",
                    action_execution_id: "ae-other",
                }
            ),
            Err(Staleness::NotWaitingInParallel)
        );
        assert_eq!(
            prove(&records, InParallel::Execution("exec-2")),
            Err(Staleness::NotWaitingInParallel)
        );
        // The same token twice (a duplicated record, or a retried approval listed twice):
        // which one is meant cannot be proven.
        let twice = [waiting("exec-1", ONE), waiting("exec-1", ONE)];
        assert_eq!(
            prove(&twice, InParallel::Token(&token)),
            Err(Staleness::AmbiguousInParallel(2))
        );
        // Named by its execution, but its token is another execution's too: the answer
        // could reach that one.
        let shared = [waiting("exec-1", ONE), waiting("exec-2", ONE)];
        for named in [
            InParallel::Execution("exec-2"),
            InParallel::ActionExecution {
                execution_id: "exec-2",
                action_execution_id: "ae-exec-2",
            },
        ] {
            assert_eq!(
                prove(&shared, named),
                Err(Staleness::AmbiguousInParallel(2))
            );
        }
    }
}
