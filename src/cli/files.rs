//! Evidence from files: the JSON the AWS CLI prints for `get-pipeline-state`,
//! `get-pipeline-execution`, `list-action-executions`, `get-pipeline`,
//! `ssm get-calendar-state` and `cloudwatch describe-alarms`.
//!
//! One reader for files and live answers: CodePipeline's and SSM's files are read by the
//! SDK's own deserializers (the code that reads those answers off the wire, so a member the
//! API requires and the file lacks is refused here as it is there), and every answer is
//! turned into the project's types by the function's adapters ([`crate::aws::answers`]).
//! CloudWatch's SDK reads CBOR only, so alarm files go through a small reader into the
//! SDK's own alarm types, and from there through the adapter.
//!
//! Each file's kind is recognised from its shape, so a file given to the wrong option is
//! refused, naming what it looks like. A file about another pipeline is refused; evidence
//! the decision needs and no file gives (a file not given, another execution's, an alarm
//! missing, a calendar read at another time) is a [`Problem`]: the decision goes on as the
//! function's would when AWS cannot answer, and the command reports the problems instead of
//! the verdict.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{CompositeAlarm, LogAlarm, MetricAlarm, StateValue};
use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::operation::get_pipeline_execution::GetPipelineExecutionOutput;
use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput;
use aws_sdk_ssm::operation::get_calendar_state::GetCalendarStateOutput;
use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::aws::answers;
use crate::conditions::{
    AlarmQuery, AlarmStatus, Alarms, CalendarReading, CalendarState, Calendars,
};
use crate::pipeline::{
    ActionRecord, ActionStatus, AnswerError, ApprovalAnswer, Declaration, ExecutionRecord, Listed,
    PipelineSnapshot, Pipelines, ReadError,
};

/// What a file holds: the output of one AWS CLI command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    PipelineState,
    PipelineExecution,
    ActionExecutions,
    Pipeline,
    PipelineExecutions,
    Pipelines,
    Alarms,
    CalendarState,
}

impl Kind {
    /// The AWS CLI command whose output this is.
    pub fn command(self) -> &'static str {
        match self {
            Self::PipelineState => "aws codepipeline get-pipeline-state",
            Self::PipelineExecution => "aws codepipeline get-pipeline-execution",
            Self::ActionExecutions => "aws codepipeline list-action-executions",
            Self::Pipeline => "aws codepipeline get-pipeline",
            Self::PipelineExecutions => "aws codepipeline list-pipeline-executions",
            Self::Pipelines => "aws codepipeline list-pipelines",
            Self::Alarms => "aws cloudwatch describe-alarms",
            Self::CalendarState => "aws ssm get-calendar-state",
        }
    }

    /// The option of `explain` that takes this kind of file.
    fn option(self) -> &'static str {
        match self {
            Self::PipelineState => "--state",
            Self::PipelineExecution => "--execution",
            Self::ActionExecutions => "--action-executions",
            Self::Pipeline => "--declaration",
            Self::Alarms => "--alarms",
            Self::CalendarState => "--calendars",
            Self::PipelineExecutions | Self::Pipelines => "no option",
        }
    }

    /// Whether the output comes in pages, which a file may hold one after another.
    fn paged(self) -> bool {
        matches!(
            self,
            Self::ActionExecutions | Self::Alarms | Self::PipelineExecutions | Self::Pipelines
        )
    }

    /// The kind a document's top-level members show, if any.
    fn of(document: &Map<String, Value>) -> Option<Self> {
        let has = |key: &str| document.contains_key(key);
        if has("pipelineExecution") {
            Some(Self::PipelineExecution)
        } else if has("actionExecutionDetails") {
            Some(Self::ActionExecutions)
        } else if has("pipelineExecutionSummaries") {
            Some(Self::PipelineExecutions)
        } else if has("stageStates") || (has("pipelineName") && has("pipelineVersion")) {
            Some(Self::PipelineState)
        } else if has("pipeline") {
            Some(Self::Pipeline)
        } else if has("pipelines") {
            Some(Self::Pipelines)
        } else if has("MetricAlarms") || has("CompositeAlarms") || has("LogAlarms") {
            Some(Self::Alarms)
        } else if has("State") && (has("AtTime") || has("NextTransitionTime")) {
            Some(Self::CalendarState)
        } else {
            None
        }
    }
}

/// A file that cannot be evidence for the option it was given to.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// A file as given: its name (for messages) and its text.
#[derive(Clone, Copy, Debug)]
pub struct Given<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// The JSON documents of a file (the AWS CLI prints one; pages printed one after another
/// are several), each with its bytes, all of the kind `expected`.
fn documents(given: Given<'_>, expected: Kind) -> Result<Vec<&[u8]>, FileError> {
    let option = expected.option();
    let refuse = |message: String| FileError {
        file: given.name.to_owned(),
        message,
    };
    if given.text.starts_with('\u{feff}') {
        return Err(refuse(
            "starts with a byte-order mark: save it as UTF-8 without one (PowerShell's `>` \
             writes one; use `| Out-File -Encoding utf8NoBOM`)"
                .into(),
        ));
    }
    let bytes = given.text.as_bytes();
    let mut stream = serde_json::Deserializer::from_str(given.text).into_iter::<Value>();
    let mut documents = Vec::new();
    let mut start = 0;
    while let Some(document) = stream.next() {
        let document = document.map_err(|error| {
            refuse(format!(
                "is not JSON ({error}). The AWS CLI prints YAML or text with --output yaml, \
                 --output text or a profile's `output` setting: run the AWS CLI with \
                 --output json"
            ))
        })?;
        let end = stream.byte_offset();
        let Value::Object(members) = &document else {
            return Err(refuse(format!(
                "holds a JSON {} where {} output is an object: run the AWS CLI with \
                 --output json and without --query",
                kind_of_value(&document),
                expected.command()
            )));
        };
        match Kind::of(members) {
            Some(kind) if kind == expected => {}
            Some(kind) => {
                return Err(refuse(format!(
                    "looks like `{}` output, but {option} takes `{}` output",
                    kind.command(),
                    expected.command()
                )));
            }
            None => {
                let keys: Vec<&str> = members.keys().map(String::as_str).take(5).collect();
                return Err(refuse(format!(
                    "is no AWS CLI output this tool knows (its members: {}); {option} takes \
                     `{}` output",
                    if keys.is_empty() {
                        "none".to_owned()
                    } else {
                        keys.join(", ")
                    },
                    expected.command()
                )));
            }
        }
        // The AWS CLI reads every page and drops the token; a token left means pages that
        // were not read, unless they follow in this file.
        let token = members
            .get("nextToken")
            .or_else(|| members.get("NextToken"));
        let more_pages = token.is_some_and(|token| !token.is_null());
        documents.push((bytes.get(start..end).unwrap_or_default(), more_pages));
        start = end;
    }
    match documents.as_slice() {
        [] => Err(refuse(format!(
            "is empty; {option} takes `{}` output",
            expected.command()
        ))),
        [.., (_, true)] => Err(refuse(format!(
            "ends with a page that names a next one (its next token): not every page was \
             read; run `{}` without --max-items or --no-paginate",
            expected.command()
        ))),
        [_, _, ..] if !expected.paged() => Err(refuse(format!(
            "holds {} documents; `{}` prints one, and which one is meant cannot be known \
             (was it written with >> instead of >?)",
            documents.len(),
            expected.command()
        ))),
        _ => Ok(documents
            .into_iter()
            .map(|(document, _)| document)
            .collect()),
    }
}

fn kind_of_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A deserializer the SDK generates for an answer.
type SdkDeserialize<T> = fn(
    &mut dyn aws_smithy_schema::serde::ShapeDeserializer,
) -> Result<T, aws_smithy_schema::serde::SerdeError>;

/// Reads every document of a file with the SDK's own deserializer for the answer, set up as
/// the SDK's AWS JSON 1.1 protocol sets it up (member names as the model spells them; times
/// as epoch seconds or, as the AWS CLI prints them, ISO 8601 with an offset).
fn sdk_read_all<T>(
    given: Given<'_>,
    kind: Kind,
    read: SdkDeserialize<T>,
) -> Result<Vec<T>, FileError> {
    let codec = JsonCodec::new(
        JsonCodecSettings::builder()
            .use_json_name(false)
            .default_timestamp_format(aws_smithy_types::date_time::Format::EpochSeconds)
            .build(),
    );
    documents(given, kind)?
        .into_iter()
        .map(|document| {
            read(&mut codec.create_deserializer(document)).map_err(|error| FileError {
                file: given.name.to_owned(),
                message: format!(
                    "is not `{}` output as the AWS API defines it: {error}",
                    kind.command()
                ),
            })
        })
        .collect()
}

/// What the decisions needed that the files did not give; shared, so that it can be read
/// once the adapters have moved into a gate.
#[derive(Clone, Debug, Default)]
pub struct Problems(Arc<Mutex<Vec<String>>>);

impl Problems {
    pub fn list(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|problems| problems.clone())
            .unwrap_or_default()
    }

    /// Records a problem and returns the read error the decision sees: a read that failed
    /// for good, as in the function when AWS cannot answer.
    fn add(&self, problem: String) -> ReadError {
        self.record(problem.clone());
        ReadError::Final(problem)
    }

    /// Records a problem once.
    pub(crate) fn record(&self, problem: String) {
        if let Ok(mut problems) = self.0.lock()
            && !problems.contains(&problem)
        {
            problems.push(problem);
        }
    }
}

/// CodePipeline's answers from files, as `approval-gate-cli explain --state …` reads them.
#[derive(Debug)]
pub struct FilesPipelines {
    pipeline: String,
    state: PipelineSnapshot,
    executions: Vec<ExecutionRecord>,
    actions: Option<Vec<ActionRecord>>,
    declaration: Option<Declaration>,
    problems: Problems,
}

/// The CodePipeline files given to `explain`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PipelineFiles<'a> {
    pub state: Option<Given<'a>>,
    pub executions: &'a [Given<'a>],
    pub action_executions: &'a [Given<'a>],
    pub declaration: Option<Given<'a>>,
}

impl FilesPipelines {
    /// Reads the files about `pipeline`; a file about another pipeline is refused.
    pub fn read(
        pipeline: &str,
        files: PipelineFiles<'_>,
        problems: Problems,
    ) -> Result<Self, FileError> {
        let about = |given: Given<'_>, named: Option<&str>, what: &str| match named {
            Some(name) if name == pipeline => Ok(()),
            Some(name) => Err(FileError {
                file: given.name.to_owned(),
                message: format!("is about pipeline {name:?}, not {pipeline:?}"),
            }),
            None => Err(FileError {
                file: given.name.to_owned(),
                message: format!("names no pipeline ({what}), so it cannot be about {pipeline:?}"),
            }),
        };
        let state_file = files.state.ok_or_else(|| FileError {
            file: "--state".into(),
            message: "no get-pipeline-state output was given".into(),
        })?;
        let mut state = None;
        for output in sdk_read_all(
            state_file,
            Kind::PipelineState,
            GetPipelineStateOutput::deserialize,
        )? {
            about(state_file, output.pipeline_name(), "pipelineName")?;
            state = Some(answers::snapshot(pipeline, &output));
        }
        let mut executions = Vec::new();
        for &given in files.executions {
            for output in sdk_read_all(
                given,
                Kind::PipelineExecution,
                GetPipelineExecutionOutput::deserialize,
            )? {
                let execution = output.pipeline_execution();
                about(
                    given,
                    execution.and_then(|execution| execution.pipeline_name()),
                    "pipelineExecution.pipelineName",
                )?;
                let record = answers::execution_record(&output);
                if let Some(known) = executions
                    .iter()
                    .find(|known: &&ExecutionRecord| known.execution_id == record.execution_id)
                    && *known != record
                {
                    return Err(FileError {
                        file: given.name.to_owned(),
                        message: format!(
                            "is about execution {}, and another --execution file says \
                             otherwise about it; give one",
                            record.execution_id.as_deref().unwrap_or("(none)")
                        ),
                    });
                }
                executions.push(record);
            }
        }
        let mut actions: Option<Vec<ActionRecord>> = None;
        for &given in files.action_executions {
            for output in sdk_read_all(
                given,
                Kind::ActionExecutions,
                ListActionExecutionsOutput::deserialize,
            )? {
                let records = output.action_execution_details().iter();
                actions
                    .get_or_insert_default()
                    .extend(records.map(answers::action_record));
            }
        }
        let mut declaration = None;
        if let Some(given) = files.declaration {
            for output in sdk_read_all(given, Kind::Pipeline, GetPipelineOutput::deserialize)? {
                about(
                    given,
                    output.pipeline().map(|declared| declared.name()),
                    "pipeline.name",
                )?;
                declaration = Some(answers::declaration(&output));
            }
        }
        Ok(Self {
            pipeline: pipeline.to_owned(),
            // `documents` returns at least one document, and each set the state.
            state: state.unwrap_or_else(|| PipelineSnapshot {
                name: pipeline.to_owned(),
                stages: Vec::new(),
            }),
            executions,
            actions,
            declaration,
            problems,
        })
    }

    /// The problem of a read no file answers: what it is, and the command whose output
    /// `kind`'s option takes.
    fn not_given(&self, what: &str, kind: Kind, command: String) -> ReadError {
        self.problems.add(format!(
            "the decision reads {what}, and no file gives it: run `{command} --output json` \
             and give its output with {}",
            kind.option()
        ))
    }
}

impl Pipelines for FilesPipelines {
    async fn state(&self, pipeline: &str) -> Result<PipelineSnapshot, ReadError> {
        if pipeline == self.pipeline {
            Ok(self.state.clone())
        } else {
            Err(self.problems.add(format!(
                "the decision reads pipeline {pipeline:?}, and the files are about {:?}",
                self.pipeline
            )))
        }
    }

    async fn list_pipelines(&self) -> Result<Vec<Listed>, ReadError> {
        Ok(vec![Listed {
            name: self.pipeline.clone(),
            mode: self
                .declaration
                .as_ref()
                .map(|declaration| declaration.mode.clone()),
        }])
    }

    async fn execution(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<ExecutionRecord, ReadError> {
        if let Some(record) = self
            .executions
            .iter()
            .find(|record| record.execution_id.as_deref() == Some(execution_id))
        {
            return Ok(record.clone());
        }
        if self.executions.is_empty() {
            return Err(self.not_given(
                &format!("execution {execution_id}"),
                Kind::PipelineExecution,
                format!(
                    "aws codepipeline get-pipeline-execution --pipeline-name {pipeline} \
                     --pipeline-execution-id {execution_id}"
                ),
            ));
        }
        let given: Vec<&str> = self
            .executions
            .iter()
            .map(|record| record.execution_id.as_deref().unwrap_or("(none)"))
            .collect();
        Err(self.problems.add(format!(
            "the decision reads execution {execution_id}, and the --execution output is about \
             execution {}: run `aws codepipeline get-pipeline-execution --pipeline-name \
             {pipeline} --pipeline-execution-id {execution_id} --output json`",
            given.join(", ")
        )))
    }

    /// The executions the `list-action-executions` output shows an attempt in progress in.
    async fn executions_in_progress(&self, pipeline: &str) -> Result<Vec<String>, ReadError> {
        let records = self.actions.as_ref().ok_or_else(|| {
            self.not_given(
                "the execution's attempts",
                Kind::ActionExecutions,
                format!("aws codepipeline list-action-executions --pipeline-name {pipeline}"),
            )
        })?;
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
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionRecord>, ReadError> {
        let command = format!(
            "aws codepipeline list-action-executions --pipeline-name {pipeline} --filter \
             pipelineExecutionId={execution_id}"
        );
        let records = self.actions.as_ref().ok_or_else(|| {
            self.not_given(
                "the execution's attempts",
                Kind::ActionExecutions,
                command.clone(),
            )
        })?;
        // An execution that reached an approval has at least that attempt: a file with none
        // of its attempts is about other executions.
        if !records
            .iter()
            .any(|record| record.execution_id.as_deref() == Some(execution_id))
        {
            let mut others: Vec<&str> = records
                .iter()
                .filter_map(|record| record.execution_id.as_deref())
                .collect();
            others.sort_unstable();
            others.dedup();
            return Err(self.problems.add(format!(
                "the decision reads the attempts of execution {execution_id}, and the \
                 --action-executions output has none ({}): run `{command} --output json`",
                if others.is_empty() {
                    "it has no attempt at all".to_owned()
                } else {
                    format!("it is about execution {}", others.join(", "))
                }
            )));
        }
        // Records of other executions are dropped in `evidence`, as from the SDK.
        Ok(records.clone())
    }

    async fn declaration(&self, pipeline: &str) -> Result<Declaration, ReadError> {
        self.declaration.clone().ok_or_else(|| {
            self.not_given(
                "the pipeline's declaration",
                Kind::Pipeline,
                format!("aws codepipeline get-pipeline --name {pipeline}"),
            )
        })
    }

    async fn answer(&self, _answer: &ApprovalAnswer) -> Result<(), AnswerError> {
        Err(AnswerError::Refused(
            "evidence from files is only explained, never answered".into(),
        ))
    }
}

/// CloudWatch's alarms from `describe-alarms` files.
#[derive(Debug)]
pub struct FileAlarms {
    /// `None` when no file was given.
    alarms: Option<Vec<AlarmStatus>>,
    /// The moment decided at: a state that changed later did not hold then.
    at: Timestamp,
    problems: Problems,
}

/// The members of `describe-alarms` output the gate reads, as the AWS CLI prints them.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AlarmsFile {
    #[serde(default)]
    metric_alarms: Vec<AlarmFile>,
    #[serde(default)]
    composite_alarms: Vec<AlarmFile>,
    #[serde(default)]
    log_alarms: Vec<AlarmFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AlarmFile {
    alarm_name: Option<String>,
    state_value: Option<String>,
    state_reason: Option<String>,
    state_updated_timestamp: Option<Time>,
    state_transitioned_timestamp: Option<Time>,
}

/// A time as the AWS CLI prints it ("2026-11-26T09:12:03.540000+00:00") or as the API's
/// JSON protocols carry it (epoch seconds).
#[derive(Clone, Copy, Debug)]
struct Time(aws_smithy_types::DateTime);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(f64),
            Text(String),
        }
        use aws_smithy_types::date_time::Format;
        let invalid = |what: String| {
            serde::de::Error::custom(format!(
                "expected an ISO 8601 time with an offset or epoch seconds, got {what}"
            ))
        };
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(seconds) if seconds.is_finite() => {
                Ok(Time(aws_smithy_types::DateTime::from_secs_f64(seconds)))
            }
            Raw::Seconds(seconds) => Err(invalid(seconds.to_string())),
            Raw::Text(text) => {
                aws_smithy_types::DateTime::from_str(&text, Format::DateTimeWithOffset)
                    .map(Time)
                    .map_err(|_| invalid(text))
            }
        }
    }
}

macro_rules! alarm {
    ($builder:expr, $file:expr) => {
        $builder
            .set_alarm_name($file.alarm_name.clone())
            .set_state_value($file.state_value.as_deref().map(StateValue::from))
            .set_state_reason($file.state_reason.clone())
            .set_state_updated_timestamp($file.state_updated_timestamp.map(|t| t.0))
            .set_state_transitioned_timestamp($file.state_transitioned_timestamp.map(|t| t.0))
            .build()
    };
}

impl FileAlarms {
    /// Reads every page of every file given to `--alarms`, for a decision at `at`.
    pub fn read(files: &[Given<'_>], at: Timestamp, problems: Problems) -> Result<Self, FileError> {
        if files.is_empty() {
            return Ok(Self {
                alarms: None,
                at,
                problems,
            });
        }
        let mut alarms = Vec::new();
        for &given in files {
            for document in documents(given, Kind::Alarms)? {
                let mut deserializer = serde_json::Deserializer::from_slice(document);
                let file: AlarmsFile = serde_path_to_error::deserialize(&mut deserializer)
                    .map_err(|error| FileError {
                        file: given.name.to_owned(),
                        message: format!(
                            "is not `aws cloudwatch describe-alarms` output: at {}: {}",
                            error.path(),
                            error.inner()
                        ),
                    })?;
                let output = DescribeAlarmsOutput::builder()
                    .set_metric_alarms(Some(
                        file.metric_alarms
                            .iter()
                            .map(|alarm| alarm!(MetricAlarm::builder(), alarm))
                            .collect(),
                    ))
                    .set_composite_alarms(Some(
                        file.composite_alarms
                            .iter()
                            .map(|alarm| alarm!(CompositeAlarm::builder(), alarm))
                            .collect(),
                    ))
                    .set_log_alarms(Some(
                        file.log_alarms
                            .iter()
                            .map(|alarm| alarm!(LogAlarm::builder(), alarm))
                            .collect(),
                    ))
                    .build();
                for alarm in answers::alarm_statuses(&output) {
                    match alarms
                        .iter()
                        .find(|known: &&AlarmStatus| known.name == alarm.name)
                    {
                        Some(known) if *known == alarm => {}
                        Some(_) => {
                            return Err(FileError {
                                file: given.name.to_owned(),
                                message: format!(
                                    "says of alarm {} otherwise than another --alarms file \
                                     or page; give one reading of it",
                                    alarm.name
                                ),
                            });
                        }
                        None => alarms.push(alarm),
                    }
                }
            }
        }
        Ok(Self {
            alarms: Some(alarms),
            at,
            problems,
        })
    }
}

const DESCRIBE_ALARMS: &str =
    "aws cloudwatch describe-alarms --alarm-types MetricAlarm CompositeAlarm";

impl Alarms for FileAlarms {
    async fn describe(&self, query: AlarmQuery<'_>) -> Result<Vec<AlarmStatus>, ReadError> {
        let Some(alarms) = &self.alarms else {
            return Err(self.problems.add(format!(
                "the decision reads alarm states, and no file gives them: run `{DESCRIBE_ALARMS} \
                 {} --output json` and give its output with --alarms",
                query_options(query)
            )));
        };
        match query {
            AlarmQuery::Names(names) => {
                let found: Vec<AlarmStatus> = alarms
                    .iter()
                    .filter(|alarm| names.contains(&alarm.name))
                    .cloned()
                    .collect();
                let absent: Vec<&str> = names
                    .iter()
                    .filter(|name| !found.iter().any(|alarm| &alarm.name == *name))
                    .map(String::as_str)
                    .collect();
                if let Some(late) = found
                    .iter()
                    .find(|alarm| alarm.changed.is_some_and(|changed| changed > self.at))
                {
                    Err(self.problems.add(format!(
                        "alarm {} changed state after the moment decided at, so its state \
                         then is not in the file: decide at a later --at, or read it then",
                        late.name
                    )))
                } else if absent.is_empty() {
                    Ok(found)
                } else {
                    Err(self.problems.add(format!(
                        "the decision reads alarm {}, and no --alarms file has it: run \
                         `{DESCRIBE_ALARMS} {} --output json`",
                        absent.join(", "),
                        query_options(query)
                    )))
                }
            }
            // No file can show that it lists every alarm under a prefix (the live read
            // can): one that left an alarm out would read as OK.
            AlarmQuery::Prefix(prefix) => Err(self.problems.add(format!(
                "the decision reads every alarm whose name starts with {prefix:?}, and a file \
                 cannot show that it lists them all: explain this rule with --live"
            ))),
        }
    }
}

fn query_options(query: AlarmQuery<'_>) -> String {
    match query {
        AlarmQuery::Names(names) => format!("--alarm-names {}", names.join(" ")),
        AlarmQuery::Prefix(prefix) => format!("--alarm-name-prefix {prefix}"),
    }
}

/// SSM Change Calendars' states from `get-calendar-state` files, by calendar.
#[derive(Debug)]
pub struct FileCalendars {
    readings: BTreeMap<String, Vec<(Timestamp, CalendarState, Option<Timestamp>)>>,
    problems: Problems,
}

impl FileCalendars {
    /// Reads `--calendars` files: each is `get-calendar-state` output for the calendar
    /// `calendar` names (the output does not name its calendar).
    pub fn read(files: &[(&str, Given<'_>)], problems: Problems) -> Result<Self, FileError> {
        let mut readings: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for &(calendar, given) in files {
            for output in sdk_read_all(
                given,
                Kind::CalendarState,
                GetCalendarStateOutput::deserialize,
            )? {
                let refuse = |message: String| FileError {
                    file: given.name.to_owned(),
                    message,
                };
                let at = output
                    .at_time()
                    .and_then(|text| text.parse::<Timestamp>().ok())
                    .ok_or_else(|| refuse("has no AtTime that reads as a time".into()))?;
                let (state, next) =
                    answers::calendar_state(&output).map_err(|error| refuse(error.to_string()))?;
                readings
                    .entry(calendar.to_owned())
                    .or_default()
                    .push((at, state, next));
            }
        }
        Ok(Self { readings, problems })
    }
}

impl Calendars for FileCalendars {
    /// A file's state holds from the time it was read (`AtTime`) until its next transition,
    /// so it answers for any moment in between.
    async fn state(&self, calendar: &str, at: Timestamp) -> Result<CalendarReading, ReadError> {
        let command = format!(
            "aws ssm get-calendar-state --calendar-names {calendar} --at-time {} --output json",
            at.strftime("%Y-%m-%dT%H:%M:%SZ")
        );
        let Some(readings) = self.readings.get(calendar) else {
            return Err(self.problems.add(format!(
                "the decision reads calendar {calendar}, and no file gives it: run `{command}` \
                 and give its output with --calendars {calendar}=FILE"
            )));
        };
        let holding: Vec<_> = readings
            .iter()
            .filter(|(read_at, _, next)| *read_at <= at && next.is_none_or(|next| at < next))
            .collect();
        if holding
            .iter()
            .any(|(_, state, _)| Some(state) != holding.first().map(|(_, first, _)| first))
        {
            return Err(self.problems.add(format!(
                "the --calendars files for {calendar} disagree about its state at {}; give one \
                 reading of it",
                at.strftime("%Y-%m-%d %H:%M:%S UTC")
            )));
        }
        holding
            .first()
            .map(|(_, state, next)| CalendarReading {
                at,
                state: state.clone(),
                next_transition: *next,
            })
            .ok_or_else(|| {
                self.problems.add(format!(
                    "the decision reads calendar {calendar} at {}, and no --calendars file for \
                     it covers that moment: run `{command}`",
                    at.strftime("%Y-%m-%d %H:%M:%S UTC")
                ))
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
