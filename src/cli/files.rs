//! The [`Pipelines`] port read from files: the JSON the AWS CLI prints for
//! `get-pipeline-state`, `get-pipeline-execution`, `list-action-executions` and
//! `get-pipeline` (the wire format's epoch seconds are accepted too). It converts into the
//! project's types exactly as the SDK adapter in [`crate::aws`] does, and it never answers.
//!
//! A file not given is a read that failed for good: the checks that needed it fail, as they
//! do in the function when CodePipeline cannot say.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

use crate::notice::ApprovalToken;
use crate::pipeline::{
    ActionExecution, ActionKind, ActionRecord, ActionState, ActionStatus, AnswerError,
    ApprovalAnswer, ArtifactRevision, CurrentRevision, Declaration, ExecutionMode, ExecutionRecord,
    ExecutionStatus, Listed, PipelineSnapshot, Pipelines, ReadError, StageExecution, StageState,
};

/// Evidence from files, as `approval-gate-cli explain --state … --execution …` reads it.
#[derive(Debug, Default)]
pub struct FilesPipelines {
    state: Option<PipelineSnapshot>,
    execution: Option<ExecutionRecord>,
    actions: Option<Vec<ActionRecord>>,
    declaration: Option<Declaration>,
    missing: Missing,
}

/// The reads a decision asked for that no file answered, e.g. `get-pipeline-execution`;
/// shared, so that it can be read once the adapter has moved into a gate.
#[derive(Clone, Debug, Default)]
pub struct Missing(Arc<Mutex<Vec<&'static str>>>);

impl Missing {
    pub fn list(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .map(|missing| missing.clone())
            .unwrap_or_default()
    }

    fn add(&self, what: &'static str) {
        if let Ok(mut missing) = self.0.lock()
            && !missing.contains(&what)
        {
            missing.push(what);
        }
    }
}

/// A file could not be read as the AWS CLI output it should be.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct FileError {
    pub what: &'static str,
    pub message: String,
}

impl FilesPipelines {
    /// `state` is `aws codepipeline get-pipeline-state` output; the others are optional.
    pub fn from_json(
        state: &str,
        execution: Option<&str>,
        actions: Option<&str>,
        declaration: Option<&str>,
    ) -> Result<Self, FileError> {
        let state: StateFile = parse("get-pipeline-state", state)?;
        let execution = execution
            .map(|text| parse::<ExecutionFile>("get-pipeline-execution", text))
            .transpose()?;
        let actions = actions
            .map(|text| parse::<ActionsFile>("list-action-executions", text))
            .transpose()?;
        let declaration = declaration
            .map(|text| parse::<DeclarationFile>("get-pipeline", text))
            .transpose()?;
        Ok(Self {
            state: Some(state.into_snapshot()),
            execution: execution.map(ExecutionFile::into_record),
            actions: actions.map(|file| {
                file.action_execution_details
                    .iter()
                    .map(action_record)
                    .collect()
            }),
            declaration: declaration.map(DeclarationFile::into_declaration),
            missing: Missing::default(),
        })
    }

    /// The name the state file gives its pipeline.
    pub fn pipeline(&self) -> Option<&str> {
        self.state.as_ref().map(|state| state.name.as_str())
    }

    /// What the decisions asked for that no file gave, as they are made.
    pub fn missing(&self) -> Missing {
        self.missing.clone()
    }

    fn not_given(&self, what: &'static str, option: &str) -> ReadError {
        self.missing.add(what);
        ReadError::Final(format!(
            "no {what} output was given ({option} FILE), so the checks that need it fail"
        ))
    }
}

fn parse<'de, T: Deserialize<'de>>(what: &'static str, text: &'de str) -> Result<T, FileError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| FileError {
        what,
        message: format!("at {}: {}", error.path(), error.inner()),
    })
}

impl Pipelines for FilesPipelines {
    async fn state(&self, pipeline: &str) -> Result<PipelineSnapshot, ReadError> {
        match &self.state {
            Some(state) if state.name == pipeline => Ok(state.clone()),
            Some(state) => Err(ReadError::Final(format!(
                "the state file is about pipeline {:?}, not {pipeline:?}",
                state.name
            ))),
            None => Err(self.not_given("get-pipeline-state", "--state")),
        }
    }

    async fn list_pipelines(&self) -> Result<Vec<Listed>, ReadError> {
        let mode = self
            .declaration
            .as_ref()
            .map(|declaration| declaration.mode.clone());
        Ok(self
            .pipeline()
            .map(|name| Listed {
                name: name.to_owned(),
                mode,
            })
            .into_iter()
            .collect())
    }

    async fn execution(
        &self,
        _pipeline: &str,
        _execution_id: &str,
    ) -> Result<ExecutionRecord, ReadError> {
        // The id the file carries is proven against the approval's in `evidence`.
        self.execution
            .clone()
            .ok_or_else(|| self.not_given("get-pipeline-execution", "--execution"))
    }

    /// The executions the `list-action-executions` output shows an attempt in progress in.
    async fn executions_in_progress(&self, _pipeline: &str) -> Result<Vec<String>, ReadError> {
        let records = self
            .actions
            .as_ref()
            .ok_or_else(|| self.not_given("list-action-executions", "--action-executions"))?;
        let mut executions: Vec<String> = records
            .iter()
            .filter(|record| record.status == ActionStatus::InProgress)
            .filter_map(|record| record.execution_id.clone())
            .collect();
        executions.sort();
        executions.dedup();
        Ok(executions)
    }

    async fn action_records(
        &self,
        _pipeline: &str,
        _execution_id: &str,
    ) -> Result<Vec<ActionRecord>, ReadError> {
        // Records of other executions are dropped in `evidence`, as from the SDK.
        self.actions
            .clone()
            .ok_or_else(|| self.not_given("list-action-executions", "--action-executions"))
    }

    async fn declaration(&self, _pipeline: &str) -> Result<Declaration, ReadError> {
        self.declaration
            .clone()
            .ok_or_else(|| self.not_given("get-pipeline", "--declaration"))
    }

    async fn answer(&self, _answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        Err(AnswerError::Refused(
            "evidence from files is only explained, never answered".into(),
        ))
    }
}

/// A time as the AWS CLI prints it ("2026-11-26T09:12:03.540000+00:00") or as the wire
/// protocol carries it (epoch seconds, possibly fractional).
#[derive(Clone, Copy, Debug)]
struct Time(Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(f64),
            Text(String),
        }
        let invalid = |what: String| {
            serde::de::Error::custom(format!(
                "expected an ISO 8601 time with an offset or epoch seconds, got {what}"
            ))
        };
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(seconds) if seconds.is_finite() => {
                let whole = seconds.floor();
                // Both casts are in range for any time Timestamp can hold, which `new` checks.
                #[allow(clippy::cast_possible_truncation)]
                let (secs, nanos) = (whole as i64, ((seconds - whole) * 1e9).round() as i32);
                Timestamp::new(secs, nanos.min(999_999_999))
                    .map(Time)
                    .map_err(|_| invalid(seconds.to_string()))
            }
            Raw::Seconds(seconds) => Err(invalid(seconds.to_string())),
            Raw::Text(text) => text.parse().map(Time).map_err(|_| invalid(text)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateFile {
    pipeline_name: String,
    #[serde(default)]
    stage_states: Vec<StageFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StageFile {
    stage_name: Option<String>,
    latest_execution: Option<StageExecutionFile>,
    #[serde(default)]
    action_states: Vec<ActionFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StageExecutionFile {
    #[serde(default)]
    pipeline_execution_id: String,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionFile {
    action_name: Option<String>,
    latest_execution: Option<ActionExecutionFile>,
    current_revision: Option<CurrentRevisionFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionExecutionFile {
    action_execution_id: Option<String>,
    status: Option<String>,
    token: Option<String>,
    last_status_change: Option<Time>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CurrentRevisionFile {
    #[serde(default)]
    revision_id: String,
    created: Option<Time>,
}

/// A missing status is never taken for success (as in the SDK adapter).
fn status(status: Option<&str>) -> ActionStatus {
    status.map_or(ActionStatus::Other("(none)".into()), ActionStatus::parse)
}

impl StateFile {
    fn into_snapshot(self) -> PipelineSnapshot {
        PipelineSnapshot {
            name: self.pipeline_name,
            stages: self
                .stage_states
                .into_iter()
                .map(|stage| StageState {
                    name: stage.stage_name.unwrap_or_default(),
                    // A missing or empty id is no execution at all (as in the SDK adapter).
                    execution: stage
                        .latest_execution
                        .filter(|execution| !execution.pipeline_execution_id.is_empty())
                        .map(|execution| StageExecution {
                            pipeline_execution_id: execution.pipeline_execution_id,
                            status: ExecutionStatus::parse(execution.status.as_deref()),
                        }),
                    actions: stage
                        .action_states
                        .into_iter()
                        .map(|action| ActionState {
                            name: action.action_name.unwrap_or_default(),
                            execution: action.latest_execution.map(|execution| ActionExecution {
                                action_execution_id: execution.action_execution_id,
                                status: status(execution.status.as_deref()),
                                token: execution.token.map(ApprovalToken::new),
                                last_status_change: execution.last_status_change.map(|t| t.0),
                            }),
                            current_revision: action.current_revision.map(|revision| {
                                CurrentRevision {
                                    revision_id: revision.revision_id,
                                    created: revision.created.map(|t| t.0),
                                }
                            }),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionFile {
    pipeline_execution: Option<PipelineExecutionFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineExecutionFile {
    pipeline_execution_id: Option<String>,
    #[serde(default)]
    artifact_revisions: Vec<ArtifactRevisionFile>,
    trigger: Option<TriggerFile>,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactRevisionFile {
    name: Option<String>,
    revision_id: Option<String>,
    revision_summary: Option<String>,
    created: Option<Time>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TriggerFile {
    trigger_type: Option<String>,
}

impl ExecutionFile {
    fn into_record(self) -> ExecutionRecord {
        let Some(execution) = self.pipeline_execution else {
            return ExecutionRecord {
                status: ExecutionStatus::parse(None),
                ..ExecutionRecord::default()
            };
        };
        ExecutionRecord {
            execution_id: execution.pipeline_execution_id,
            artifacts: execution
                .artifact_revisions
                .into_iter()
                .map(|revision| ArtifactRevision {
                    name: revision.name.unwrap_or_default(),
                    revision_id: revision.revision_id,
                    revision_summary: revision.revision_summary,
                    created: revision.created.map(|t| t.0),
                })
                .collect(),
            trigger: execution.trigger.and_then(|trigger| trigger.trigger_type),
            status: ExecutionStatus::parse(execution.status.as_deref()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionsFile {
    #[serde(default)]
    action_execution_details: Vec<ActionDetailFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionDetailFile {
    pipeline_execution_id: Option<String>,
    action_execution_id: Option<String>,
    stage_name: Option<String>,
    action_name: Option<String>,
    status: Option<String>,
    start_time: Option<Time>,
    last_update_time: Option<Time>,
    input: Option<ActionInputFile>,
    output: Option<ActionOutputFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionInputFile {
    action_type_id: Option<ActionTypeFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionTypeFile {
    category: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionOutputFile {
    #[serde(default)]
    output_artifacts: Vec<ArtifactFile>,
    output_variables: Option<BTreeMap<String, String>>,
    execution_result: Option<ExecutionResultFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionResultFile {
    external_execution_id: Option<String>,
}

#[derive(Deserialize)]
struct ArtifactFile {
    name: Option<String>,
}

/// As the SDK adapter's `action_record`: a record that does not say what kind of action it
/// is may be a source, so it is never ignored.
fn action_record(detail: &ActionDetailFile) -> ActionRecord {
    let category = detail
        .input
        .as_ref()
        .and_then(|input| input.action_type_id.as_ref())
        .and_then(|id| id.category.as_deref());
    let kind = match category {
        Some("Source") => ActionKind::Source,
        Some("Approval" | "Build" | "Compute" | "Deploy" | "Invoke" | "Test") => ActionKind::Other,
        _ => ActionKind::Unknown,
    };
    let output = detail.output.as_ref();
    ActionRecord {
        execution_id: detail.pipeline_execution_id.clone(),
        action_execution_id: detail.action_execution_id.clone(),
        stage: detail.stage_name.clone().unwrap_or_default(),
        action: detail.action_name.clone().unwrap_or_default(),
        kind,
        status: status(detail.status.as_deref()),
        // An attempt cannot have changed last before it started.
        updated: [detail.last_update_time, detail.start_time]
            .into_iter()
            .flatten()
            .map(|t| t.0)
            .max(),
        output_artifacts: output
            .map(|output| {
                output
                    .output_artifacts
                    .iter()
                    .filter_map(|artifact| artifact.name.clone())
                    .collect()
            })
            .unwrap_or_default(),
        variables: output
            .and_then(|output| output.output_variables.clone())
            .unwrap_or_default(),
        started: detail.start_time.as_ref().map(|t| t.0),
        external_execution_id: output
            .and_then(|output| output.execution_result.as_ref())
            .and_then(|result| result.external_execution_id.clone()),
    }
}

#[derive(Deserialize)]
struct DeclarationFile {
    pipeline: Option<PipelineDeclarationFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineDeclarationFile {
    #[serde(default)]
    stages: Vec<StageDeclarationFile>,
    execution_mode: Option<String>,
}

#[derive(Deserialize)]
struct StageDeclarationFile {
    name: String,
    #[serde(default)]
    actions: Vec<ActionDeclarationFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionDeclarationFile {
    name: String,
    timeout_in_minutes: Option<i64>,
}

impl DeclarationFile {
    fn into_declaration(self) -> Declaration {
        Declaration {
            mode: ExecutionMode::parse(
                self.pipeline
                    .as_ref()
                    .and_then(|pipeline| pipeline.execution_mode.as_deref()),
            ),
            timeouts: self
                .pipeline
                .map(|pipeline| pipeline.stages)
                .unwrap_or_default()
                .into_iter()
                .flat_map(|stage| {
                    let name = stage.name;
                    stage
                        .actions
                        .into_iter()
                        .map(move |action| ((name.clone(), action.name), action.timeout_in_minutes))
                })
                .collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::notice::ApprovalTarget;
    use crate::pipeline::ApprovalStatus;

    const STATE: &str = r#"{"pipelineName": "web-shop", "stageStates": [
        {"stageName": "Approve", "latestExecution": {"pipelineExecutionId": "e-1", "status": "InProgress"},
         "actionStates": [{"actionName": "Manual", "latestExecution": {"status": "InProgress",
            "token": "t-1", "lastStatusChange": "2026-11-26T09:12:03.540000+00:00"}}]},
        {"stageName": "Source", "latestExecution": {"pipelineExecutionId": ""},
         "actionStates": [{"actionName": "Git", "currentRevision": {"revisionId": "abc",
            "created": 1795685400.5}}]}]}"#;

    fn answer() -> ApprovalAnswer {
        ApprovalAnswer {
            target: ApprovalTarget {
                pipeline: "web-shop".into(),
                stage: "Approve".into(),
                action: "Manual".into(),
            },
            token: ApprovalToken::new("t-1"),
            status: ApprovalStatus::Approved,
            summary: "no".into(),
        }
    }

    #[tokio::test]
    async fn reads_cli_and_wire_times_and_converts_as_the_sdk_adapter() {
        let files = FilesPipelines::from_json(STATE, None, None, None).unwrap();
        let state = files.state("web-shop").await.unwrap();
        let approval = state.stages[0].actions[0].execution.clone().unwrap();
        assert_eq!(
            approval.last_status_change,
            Some("2026-11-26T09:12:03.54Z".parse().unwrap())
        );
        assert_eq!(approval.status, ActionStatus::InProgress);
        // An empty execution id is no execution, as the SDK adapter reads it.
        assert_eq!(state.stages[1].execution, None);
        let revision = state.stages[1].actions[0].current_revision.clone().unwrap();
        assert_eq!(
            revision.created,
            Some(Timestamp::new(1_795_685_400, 500_000_000).unwrap())
        );
    }

    #[tokio::test]
    async fn never_answers_and_a_missing_file_is_a_final_read_it_names() {
        let files = FilesPipelines::from_json(STATE, None, None, None).unwrap();
        assert!(matches!(
            files.answer(&answer()).await,
            Err(AnswerError::Refused(_))
        ));
        let read = files.execution("web-shop", "e-1").await.unwrap_err();
        assert!(matches!(read, ReadError::Final(_)));
        assert_eq!(files.missing().list(), vec!["get-pipeline-execution"]);
        assert!(matches!(
            files.state("web-api").await,
            Err(ReadError::Final(_))
        ));
    }

    #[tokio::test]
    async fn the_live_wrapper_never_answers_either() {
        let files = FilesPipelines::from_json(STATE, None, None, None).unwrap();
        let live = crate::cli::ReadOnly(files);
        assert!(matches!(
            live.answer(&answer()).await,
            Err(AnswerError::Refused(_))
        ));
    }

    #[test]
    fn a_time_without_an_offset_is_refused() {
        let state = STATE.replace("+00:00", "");
        let error = FilesPipelines::from_json(&state, None, None, None).unwrap_err();
        assert!(error.message.contains("lastStatusChange"), "{error}");
    }
}
