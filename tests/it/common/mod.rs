//! Shared by the integration tests: the sample events, pipeline states in the project's
//! own types, and fakes of the `Pipelines` and `DecisionTopic` ports.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use approval_gate::fixtures;
use approval_gate::pipeline::{
    ActionRecord, ActionStatus, AnswerError, ApprovalAnswer, ArtifactRevision, Declaration,
    ExecutionRecord, ExecutionStatus, Listed, PipelineSnapshot, Pipelines, ReadError,
};
use approval_gate::report::{DecisionNotice, DecisionTopic, PublishError};
use serde_json::Value;

pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals";

/// A file of `events/`, exactly as `cargo lambda invoke --data-file` sends it.
pub fn event(name: &str) -> Value {
    let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The approval notice inside an event file.
pub fn notice_of(event: &Value) -> Value {
    serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap()
}

/// An SNS event carrying `message` as its one record.
pub fn sns_event(message: &str) -> Value {
    let mut event = event("approved-by-rule");
    event["Records"][0]["Sns"]["Message"] = message.into();
    event
}

/// The demo's fixture: pipeline states, executions and action executions (wire format).
pub fn demo_fixture() -> Value {
    let path = format!("{}/demo/pipelines.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The demo's pipeline states (wire format, as the stand-in serves them).
pub fn demo_pipelines() -> Vec<Value> {
    demo_fixture()["pipelines"].as_array().unwrap().clone()
}

/// Short SDK limits so fault tests take milliseconds; the mechanism (timeouts, standard
/// retries with backoff) is the production one.
pub const TEST_LIMITS: approval_gate::aws::Limits = approval_gate::aws::Limits {
    connect_timeout: std::time::Duration::from_millis(500),
    attempt_timeout: std::time::Duration::from_millis(400),
    operation_timeout: std::time::Duration::from_secs(3),
    max_attempts: 4,
    initial_backoff: std::time::Duration::from_millis(10),
};

/// The function's SDK configuration (with [`TEST_LIMITS`]) pointed at `endpoint`.
pub async fn sdk_at(endpoint: &str) -> aws_config::SdkConfig {
    approval_gate::aws::configure(
        aws_config::defaults(aws_config::BehaviorVersion::latest()),
        TEST_LIMITS,
    )
    .region(aws_config::Region::new("us-east-1"))
    .credentials_provider(aws_sdk_codepipeline::config::Credentials::new(
        "test", "test", None, None, "tests",
    ))
    .endpoint_url(endpoint)
    .load()
    .await
}

/// [`sdk_at`] the stand-in.
pub async fn sdk_for(stand_in: &stand_in::StandIn) -> aws_config::SdkConfig {
    sdk_at(&stand_in.endpoint_url()).await
}

/// A stand-in serving the whole demo fixture (its alarms changed state as it started).
pub async fn demo_stand_in() -> stand_in::StandIn {
    let stand_in = stand_in::StandIn::start().await.unwrap();
    let fixture = demo_fixture();
    for mut pipeline in demo_pipelines() {
        stand_in::waiting_for(&mut pipeline, 3600.0);
        stand_in.put_pipeline(pipeline);
    }
    for (pipeline, executions) in fixture["executions"].as_object().unwrap() {
        for execution in executions.as_array().unwrap() {
            stand_in.put_execution(pipeline, execution.clone());
        }
    }
    for (pipeline, details) in fixture["actionExecutions"].as_object().unwrap() {
        stand_in.put_action_executions(pipeline, details.as_array().unwrap().clone());
    }
    for declaration in fixture["declarations"].as_array().into_iter().flatten() {
        stand_in.put_declaration(declaration.clone());
    }
    for alarm in fixture["alarms"].as_array().into_iter().flatten() {
        stand_in.put_alarm(alarm.clone());
    }
    for (calendar, state) in fixture["calendars"].as_object().into_iter().flatten() {
        assert_eq!(state, "OPEN", "the demo's calendars are open");
        stand_in.put_calendar(calendar, &[]);
    }
    stand_in
}

/// What ListActionExecutions shows for the demo's `web-shop` execution, with its
/// integration tests ended as `tests`.
pub fn shop_runs(tests: &str) -> Vec<Value> {
    let mut runs = demo_fixture()["actionExecutions"]["web-shop"]
        .as_array()
        .unwrap()
        .clone();
    for run in &mut runs {
        if run["actionName"] == "IntegrationTests" {
            run["status"] = tests.into();
        }
    }
    runs
}

/// The execution under approval in the demo's `api-orders`.
pub const ORDERS_EXECUTION: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// The demo with `api-orders` reshaped: the given source actions (name, current revision)
/// in its Source stage, an execution carrying `artifacts` (name, revision id), and
/// ListActionExecutions answering `runs`.
pub async fn orders_with(
    sources: &[(&str, Option<&str>)],
    artifacts: &[(&str, &str)],
    runs: Vec<Value>,
) -> stand_in::StandIn {
    let stand_in = demo_stand_in().await;
    let mut state = stand_in.pipeline("api-orders").unwrap();
    let template = state["stageStates"][0]["actionStates"][0].clone();
    state["stageStates"][0]["actionStates"] = sources
        .iter()
        .map(|(name, current)| {
            let mut action = template.clone();
            action["actionName"] = (*name).into();
            match current {
                Some(id) => action["currentRevision"]["revisionId"] = (*id).into(),
                None => {
                    action.as_object_mut().unwrap().remove("currentRevision");
                }
            }
            action
        })
        .collect();
    stand_in.put_pipeline(state);
    let mut execution = demo_fixture()["executions"]["api-orders"][0].clone();
    execution["artifactRevisions"] = artifacts
        .iter()
        .map(|(name, id)| serde_json::json!({"name": name, "revisionId": id, "created": 1795680000.0}))
        .collect();
    stand_in.put_execution("api-orders", execution);
    stand_in.put_action_executions("api-orders", runs);
    stand_in
}

/// A source action's attempt in the api-orders execution, as ListActionExecutions sends
/// it; `category` `None` leaves out `input.actionTypeId`.
pub fn source_attempt(
    action: &str,
    category: Option<&str>,
    output: Option<&str>,
    variables: Value,
) -> Value {
    let mut run = serde_json::json!({
        "pipelineExecutionId": ORDERS_EXECUTION,
        "actionExecutionId": format!("ae-{action}"),
        "stageName": "Source",
        "actionName": action,
        "status": "Succeeded",
        "lastUpdateTime": 1795680060.0,
        "output": {"outputVariables": variables},
    });
    if let Some(category) = category {
        run["input"] = serde_json::json!({"actionTypeId": {"category": category, "owner": "AWS",
                                                           "provider": "ECR", "version": "1"}});
    }
    if let Some(output) = output {
        run["output"]["outputArtifacts"] = serde_json::json!([{"name": output}]);
    }
    run
}

// ---- api-orders reshaped as pipelines that once got a wrong answer ----

const OLD_DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const NEW_DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const APP_COMMIT: &str = "3f9a2c1d7e8b6a5f4c3d2e1f0a9b8c7d6e5f4a3b";
const LIB_COMMIT: &str = "c0ffee0000000000000000000000000000000001";

/// A rule for api-orders that checks `latest` only, and rejects.
pub const LATEST_ONLY: &str = r#"{"rules":[{"name":"latest","match":{"pipeline":"api-*"},
    "revisions":{"latest":true},"on_fail":"reject"}]}"#;
/// A rule for api-orders that checks `branches` only, and rejects.
pub const MAIN_ONLY: &str = r#"{"rules":[{"name":"main","match":{"pipeline":"api-*"},
    "revisions":{"branches":["main"]},"on_fail":"reject"}]}"#;

fn image_attempt(action: &str, artifact: &str, digest: &str) -> Value {
    source_attempt(
        action,
        Some("Source"),
        Some(artifact),
        serde_json::json!({"ImageDigest": digest}),
    )
}

fn app_on_main() -> Value {
    source_attempt(
        "App",
        Some("Source"),
        Some("SourceArtifact"),
        serde_json::json!({"BranchName": "main", "CommitId": APP_COMMIT}),
    )
}

/// App and Canary read one ECR repository; the execution carries App=new, Canary=old, and
/// the canary tag has moved since, so both sources now show new.
pub async fn moved_canary_tag() -> stand_in::StandIn {
    orders_with(
        &[("App", Some(NEW_DIGEST)), ("Canary", Some(NEW_DIGEST))],
        &[("AppImage", NEW_DIGEST), ("CanaryImage", OLD_DIGEST)],
        vec![
            image_attempt("App", "AppImage", NEW_DIGEST),
            image_attempt("Canary", "CanaryImage", OLD_DIGEST),
        ],
    )
    .await
}

/// The execution carries two artifacts; the state shows a current revision for App only.
pub async fn source_without_current_revision() -> stand_in::StandIn {
    orders_with(
        &[("App", Some(NEW_DIGEST)), ("Lib", None)],
        &[("AppImage", NEW_DIGEST), ("LibSource", LIB_COMMIT)],
        vec![
            image_attempt("App", "AppImage", NEW_DIGEST),
            source_attempt(
                "Lib",
                Some("Source"),
                Some("LibSource"),
                serde_json::json!({"CommitId": LIB_COMMIT}),
            ),
        ],
    )
    .await
}

/// The execution carries App and Lib artifacts; ListActionExecutions has App's record only.
pub async fn artifact_without_source_record() -> stand_in::StandIn {
    orders_with(
        &[("App", Some(APP_COMMIT)), ("Lib", Some(LIB_COMMIT))],
        &[("SourceArtifact", APP_COMMIT), ("LibSource", LIB_COMMIT)],
        vec![app_on_main()],
    )
    .await
}

/// Lib's record names the carried commit and a feature branch, but not its kind.
pub async fn source_record_of_unknown_kind() -> stand_in::StandIn {
    orders_with(
        &[("App", Some(APP_COMMIT)), ("Lib", Some(LIB_COMMIT))],
        &[("SourceArtifact", APP_COMMIT), ("LibSource", LIB_COMMIT)],
        vec![
            app_on_main(),
            source_attempt(
                "Lib",
                None,
                None,
                serde_json::json!({"BranchName": "feature/x", "CommitId": LIB_COMMIT}),
            ),
        ],
    )
    .await
}

/// The api-orders notice, without the customData claims that name the demo's commit.
pub fn orders_event() -> Value {
    let mut notice = notice_of(&event("revision-latest-main"));
    notice["approval"]["customData"] = Value::Null;
    sns_event(&notice.to_string())
}

pub fn demo_policy() -> String {
    std::fs::read_to_string(format!("{}/demo/policy.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// When the approval of [`waiting`] started waiting.
pub const WAITING_SINCE: &str = "2026-11-26T07:55:00Z";

/// A pipeline waiting at `stage_name/action_name` for `token` since [`WAITING_SINCE`], in
/// execution `exec-1`, after `Build/IntegrationTests` ended with `tests`.
pub fn waiting(
    pipeline: &str,
    stage_name: &str,
    action_name: &str,
    token: &str,
    tests: ActionStatus,
) -> PipelineSnapshot {
    fixtures::waiting(
        &fixtures::target(pipeline, stage_name, action_name),
        token,
        Some(fixtures::at(WAITING_SINCE)),
        &[("IntegrationTests", tests)],
    )
}

/// The same pipeline, as it looks before the state shows the approval's token.
pub fn not_yet_waiting(snapshot: &PipelineSnapshot) -> PipelineSnapshot {
    let mut snapshot = snapshot.clone();
    if let Some(stage) = snapshot.stages.last_mut() {
        for action in &mut stage.actions {
            action.execution = None;
        }
    }
    snapshot
}

/// A fake CodePipeline: answers reads from queued results (the last one repeats) and
/// records every answer. A state given with [`FakePipelines::with_state`] ran as it shows
/// ([`fixtures::runs_shown_by`]) unless the test says otherwise with [`FakePipelines::with_runs`].
#[derive(Default)]
pub struct FakePipelines {
    states: Mutex<HashMap<String, VecDeque<Result<PipelineSnapshot, ReadError>>>>,
    answer_results: Mutex<VecDeque<Result<(), AnswerError>>>,
    pub reads: Mutex<Vec<String>>,
    pub answers: Mutex<Vec<ApprovalAnswer>>,
    /// GetPipelineExecution answers and action attempts, by execution id.
    pub executions: Mutex<HashMap<String, ExecutionRecord>>,
    /// Action attempts by pipeline and execution id.
    pub runs: Mutex<HashMap<(String, String), Vec<ActionRecord>>>,
    pub declarations: Mutex<HashMap<String, Declaration>>,
    /// `GetPipelineExecution`, `ListActionExecutions` and `GetPipeline` calls, by name.
    pub revision_reads: Mutex<Vec<&'static str>>,
    /// Pipelines whose reads break the gate, as a bug or a stuck connection would.
    pub broken: Mutex<HashMap<String, Breakage>>,
}

/// How a read of a [`FakePipelines`] pipeline breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breakage {
    /// `GetPipelineState` panics.
    StatePanics,
    /// `ListActionExecutions` panics: inside one approval's work.
    AttemptsPanic,
    /// `ListActionExecutions` never returns.
    AttemptsHang,
}

impl FakePipelines {
    pub fn breaking(self, pipeline: &str, breakage: Breakage) -> Self {
        self.broken
            .lock()
            .unwrap()
            .insert(pipeline.into(), breakage);
        self
    }

    /// Breaks as told for `pipeline`; no lock is held then, so nothing is poisoned.
    async fn break_if(&self, pipeline: &str, when: &[Breakage]) {
        let breakage = self.broken.lock().unwrap().get(pipeline).copied();
        match breakage {
            Some(breakage) if when.contains(&breakage) => match breakage {
                Breakage::AttemptsHang => std::future::pending::<()>().await,
                _ => panic!("{pipeline} breaks: {breakage:?}"),
            },
            _ => {}
        }
    }

    pub fn with_state(self, snapshot: PipelineSnapshot) -> Self {
        self.queue_state(&snapshot.name.clone(), Ok(snapshot));
        self
    }

    /// Queues a read; a state read also records the attempts it shows, unless the test
    /// gave the attempts of that execution itself.
    pub fn queue_state(&self, pipeline: &str, result: Result<PipelineSnapshot, ReadError>) {
        if let Ok(snapshot) = &result {
            let mut runs = self.runs.lock().unwrap();
            let mut shown: HashMap<(String, String), Vec<ActionRecord>> = HashMap::new();
            for record in fixtures::runs_shown_by(snapshot) {
                if let Some(execution) = record.execution_id.clone() {
                    shown
                        .entry((pipeline.to_owned(), execution))
                        .or_default()
                        .push(record);
                }
            }
            for (key, records) in shown {
                let known = runs.entry(key).or_insert_with(|| records.clone());
                // An approval waiting in the state is listed with its execution's attempts,
                // as CodePipeline lists it, whatever else the test gave.
                for record in records {
                    let waiting = record.status == ActionStatus::InProgress;
                    let listed = known
                        .iter()
                        .any(|known| known.action_execution_id == record.action_execution_id);
                    if waiting && !listed {
                        known.push(record);
                    }
                }
            }
        }
        self.states
            .lock()
            .unwrap()
            .entry(pipeline.into())
            .or_default()
            .push_back(result);
    }

    pub fn queue_answer(&self, result: Result<(), AnswerError>) {
        self.answer_results.lock().unwrap().push_back(result);
    }

    /// The execution carries `artifacts`, and was started by a push.
    pub fn with_artifacts(self, execution_id: &str, artifacts: Vec<ArtifactRevision>) -> Self {
        self.executions.lock().unwrap().insert(
            execution_id.into(),
            ExecutionRecord {
                variables: Vec::new(),
                execution_id: Some(execution_id.into()),
                artifacts,
                trigger: Some("Webhook".into()),
                status: ExecutionStatus::InProgress,
            },
        );
        self
    }

    /// Replaces the attempts of `execution_id` in `pipeline`.
    pub fn with_runs(self, pipeline: &str, execution_id: &str, records: Vec<ActionRecord>) -> Self {
        self.runs
            .lock()
            .unwrap()
            .insert((pipeline.into(), execution_id.into()), records);
        self
    }

    /// Adds attempts to `execution_id` in `pipeline`.
    pub fn with_more_runs(
        self,
        pipeline: &str,
        execution_id: &str,
        records: Vec<ActionRecord>,
    ) -> Self {
        self.runs
            .lock()
            .unwrap()
            .entry((pipeline.into(), execution_id.into()))
            .or_default()
            .extend(records);
        self
    }

    pub fn with_declaration(self, pipeline: &str, declaration: Declaration) -> Self {
        self.declarations
            .lock()
            .unwrap()
            .insert(pipeline.into(), declaration);
        self
    }

    pub fn revision_reads(&self) -> Vec<&'static str> {
        self.revision_reads.lock().unwrap().clone()
    }

    pub fn read_count(&self) -> usize {
        self.reads.lock().unwrap().len()
    }

    pub fn answers(&self) -> Vec<ApprovalAnswer> {
        self.answers.lock().unwrap().clone()
    }
}

impl Pipelines for FakePipelines {
    async fn state(&self, pipeline: &str) -> Result<PipelineSnapshot, ReadError> {
        self.break_if(pipeline, &[Breakage::StatePanics]).await;
        self.reads.lock().unwrap().push(pipeline.into());
        let mut states = self.states.lock().unwrap();
        let Some(queue) = states.get_mut(pipeline) else {
            return Err(ReadError::Final("the pipeline does not exist".into()));
        };
        // The last state stays: a pipeline keeps looking the same until told otherwise.
        if let [Ok(snapshot)] = queue.make_contiguous() {
            return Ok(snapshot.clone());
        }
        queue
            .pop_front()
            .unwrap_or_else(|| Err(ReadError::Final("the pipeline does not exist".into())))
    }

    async fn list_pipelines(&self) -> Result<Vec<Listed>, ReadError> {
        let mut names: Vec<String> = self.states.lock().unwrap().keys().cloned().collect();
        names.sort();
        let declarations = self.declarations.lock().unwrap();
        Ok(names
            .into_iter()
            .map(|name| Listed {
                mode: declarations
                    .get(&name)
                    .map(|declaration| declaration.mode.clone()),
                name,
            })
            .collect())
    }

    async fn execution(
        &self,
        _pipeline: &str,
        execution_id: &str,
    ) -> Result<ExecutionRecord, ReadError> {
        self.revision_reads
            .lock()
            .unwrap()
            .push("GetPipelineExecution");
        self.executions
            .lock()
            .unwrap()
            .get(execution_id)
            .cloned()
            .ok_or_else(|| ReadError::Final("PipelineExecutionNotFoundException".into()))
    }

    async fn executions_in_progress(&self, pipeline: &str) -> Result<Vec<String>, ReadError> {
        self.revision_reads
            .lock()
            .unwrap()
            .push("ListPipelineExecutions");
        let mut executions: Vec<String> = self
            .runs
            .lock()
            .unwrap()
            .keys()
            .filter(|(name, _)| name == pipeline)
            .map(|(_, execution)| execution.clone())
            .collect();
        executions.sort();
        Ok(executions)
    }

    async fn action_records(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionRecord>, ReadError> {
        self.break_if(pipeline, &[Breakage::AttemptsPanic, Breakage::AttemptsHang])
            .await;
        self.revision_reads
            .lock()
            .unwrap()
            .push("ListActionExecutions");
        Ok(self
            .runs
            .lock()
            .unwrap()
            .get(&(pipeline.to_owned(), execution_id.to_owned()))
            .cloned()
            .unwrap_or_default())
    }

    async fn declaration(&self, pipeline: &str) -> Result<Declaration, ReadError> {
        self.revision_reads.lock().unwrap().push("GetPipeline");
        self.declarations
            .lock()
            .unwrap()
            .get(pipeline)
            .cloned()
            .ok_or_else(|| ReadError::Final("PipelineNotFoundException".into()))
    }

    async fn answer(&self, answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        self.answers.lock().unwrap().push(answer.clone());
        self.answer_results
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(()))
    }
}

/// A fake decision topic that records notices, or fails every publish.
#[derive(Default)]
pub struct FakeTopic {
    pub fail: bool,
    pub notices: Mutex<Vec<DecisionNotice>>,
}

impl FakeTopic {
    pub fn failing() -> Self {
        Self {
            fail: true,
            ..Self::default()
        }
    }

    pub fn notices(&self) -> Vec<DecisionNotice> {
        self.notices.lock().unwrap().clone()
    }
}

impl DecisionTopic for &FakeTopic {
    async fn publish(&self, notice: &DecisionNotice) -> Result<(), PublishError> {
        self.notices.lock().unwrap().push(notice.clone());
        if self.fail {
            return Err(PublishError("the topic is unavailable".into()));
        }
        Ok(())
    }
}

impl Pipelines for &FakePipelines {
    async fn state(&self, pipeline: &str) -> Result<PipelineSnapshot, ReadError> {
        (*self).state(pipeline).await
    }

    async fn list_pipelines(&self) -> Result<Vec<Listed>, ReadError> {
        (*self).list_pipelines().await
    }

    async fn execution(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<ExecutionRecord, ReadError> {
        (*self).execution(pipeline, execution_id).await
    }

    async fn executions_in_progress(&self, pipeline: &str) -> Result<Vec<String>, ReadError> {
        (*self).executions_in_progress(pipeline).await
    }

    async fn action_records(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionRecord>, ReadError> {
        (*self).action_records(pipeline, execution_id).await
    }

    async fn declaration(&self, pipeline: &str) -> Result<Declaration, ReadError> {
        (*self).declaration(pipeline).await
    }

    async fn answer(&self, answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        (*self).answer(answer).await
    }
}

/// The Publish request's message attributes, by name.
pub fn published_attributes(form: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = (1..=3)
        .map(|i| {
            (
                form[format!("MessageAttributes.entry.{i}.Name")]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                form[format!("MessageAttributes.entry.{i}.Value.StringValue")]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// The gate over the real SDK against `stand_in`, deciding by `policy`, publishing its
/// decisions to a topic there, and asking check functions through Lambda Invoke there.
pub async fn sdk_gate(
    stand_in: &stand_in::StandIn,
    policy: &str,
) -> approval_gate::handler::Gate<
    approval_gate::handler::WithFunctions<
        approval_gate::handler::Adapters<
            approval_gate::aws::CodePipeline,
            approval_gate::aws::SnsDecisionTopic,
        >,
        approval_gate::aws::Lambda,
    >,
> {
    let sdk = sdk_for(stand_in).await;
    approval_gate::handler::Gate::new(
        approval_gate::policy::Policy::from_json(policy).unwrap(),
        approval_gate::handler::Settings {
            token_wait: std::time::Duration::from_millis(200),
            ..approval_gate::handler::Settings::default()
        },
        approval_gate::aws::CodePipeline::new(&sdk),
        Some(approval_gate::aws::SnsDecisionTopic::new(
            &sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    )
    .with_functions(approval_gate::aws::Lambda::new(&sdk))
}
