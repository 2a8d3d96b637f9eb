//! The in-memory state behind the stand-in, and the request types shared by
//! both wire protocols.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::Value;

use crate::{Call, Fault};

/// Everything the stand-in knows. Kept behind one mutex so that every
/// request is handled atomically: two concurrent answers to the same approval
/// can never both see it pending.
#[derive(Default)]
pub(crate) struct World {
    /// GetPipelineState bodies, keyed by pipeline name. A `BTreeMap` so that
    /// ListPipelines comes out sorted by name without extra work.
    pub(crate) pipelines: BTreeMap<String, Value>,
    /// `pipelineExecution` objects, keyed by (pipeline, execution id).
    pub(crate) executions: HashMap<(String, String), StoredExecution>,
    /// How many executions were ever stored: the order of the next one.
    pub(crate) executions_stored: u64,
    /// ActionExecutionDetail objects per pipeline.
    pub(crate) action_executions: HashMap<String, Vec<Value>>,
    /// GetPipeline `pipeline` declarations, keyed by pipeline name. A pipeline without
    /// one is declared from its state (every action a Manual approval without a timeout).
    pub(crate) declarations: HashMap<String, Value>,
    /// CloudWatch alarms as `DescribeAlarms` lists them (plus `AlarmType`), by name: a
    /// `BTreeMap`, so that pages come out sorted by name.
    pub(crate) alarms: BTreeMap<String, Value>,
    /// Change Calendars by name (or ARN): the spans of epoch seconds in which each is closed.
    pub(crate) calendars: HashMap<String, Vec<(f64, f64)>>,
    /// Approvals already answered, so a repeat can be told apart from a
    /// token that never existed.
    pub(crate) answered: HashSet<AnsweredApproval>,
    pub(crate) faults: HashMap<String, VecDeque<Fault>>,
    /// Remaining GetPipelineState reads per pipeline that hide pending tokens.
    pub(crate) hidden_reads: HashMap<String, usize>,
    /// The most items a page of a list holds, whatever the client asks for.
    pub(crate) page_cap: Option<usize>,
    /// AppConfig hosted configurations, keyed by (application, environment, profile).
    pub(crate) configurations: HashMap<(String, String, String), crate::appconfig::Hosted>,
    /// AppConfig tokens not used yet.
    pub(crate) config_sessions: HashMap<String, crate::appconfig::Session>,
    /// When set, AppConfig's NextPollIntervalInSeconds, whatever the session asked for.
    pub(crate) poll_interval: Option<i64>,
    /// EventBridge Scheduler schedules, keyed by (group, name).
    pub(crate) schedules: BTreeMap<(String, String), crate::scheduler::Schedule>,
    /// Lambda functions by the name or ARN they were registered under: a `BTreeMap`, so
    /// that of several registrations a request matches, the same one always answers.
    pub(crate) functions: BTreeMap<String, crate::lambda::Function>,
    pub(crate) calls: Vec<Call>,
    pub(crate) echo: bool,
}

/// The AWS default page size for the list operations.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;

/// A `pipelineExecution` object, with what ListPipelineExecutions needs to order it when
/// it gives no `startTime` of its own.
pub(crate) struct StoredExecution {
    pub(crate) execution: Value,
    /// The how-manieth execution stored this was (replacing one keeps its order).
    pub(crate) order: u64,
    /// Epoch seconds when it was first stored.
    pub(crate) stored_at: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct AnsweredApproval {
    pub(crate) pipeline: String,
    pub(crate) stage: String,
    pub(crate) action: String,
    pub(crate) token: String,
}

/// Which AWS protocol a request arrived in; decides how answers are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// awsJson1.1, as spoken by CodePipeline.
    Json,
    /// awsQuery, as spoken by SNS.
    Query,
    /// restJson1, as spoken by AppConfig Data, EventBridge Scheduler and Lambda.
    Rest,
    /// Smithy RPC v2 CBOR, as spoken by CloudWatch.
    Cbor,
}

/// A successful answer.
pub(crate) struct Answered {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// Beyond the protocol's content type and headers and the request id (a
    /// `content-type` here replaces the protocol's).
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Answered {
    pub(crate) fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            headers: Vec::new(),
        }
    }
}

/// A request decoded from either protocol.
pub(crate) struct AwsRequest {
    pub(crate) protocol: Protocol,
    pub(crate) operation: String,
    /// The JSON body, or for awsQuery the form fields as a flat object of
    /// strings. If the JSON could not be parsed, the raw text as a string.
    pub(crate) body: Value,
    pub(crate) malformed: bool,
    /// For a Lambda Invoke, whose body is the function's payload: the FunctionName, as
    /// the request gave it (percent-decoded).
    pub(crate) function_name: Option<String>,
}

/// An AWS error: rendered as `{"__type": ...}` for awsJson and CBOR, `{"Message": ...}`
/// for restJson1 and as an `ErrorResponse` document for awsQuery.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) error_type: String,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(error_type: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            error_type: error_type.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }
}

impl World {
    /// A fault queued for this operation on this pipeline (for Invoke: this FunctionName,
    /// as the request spells it) wins over one queued for the operation on any.
    pub(crate) fn take_fault(&mut self, request: &AwsRequest) -> Option<Fault> {
        // An Invoke's body is the function's payload, which names no pipeline of its own.
        let pipeline = match &request.function_name {
            Some(function) => Some(function.as_str()),
            None => ["name", "pipelineName"]
                .iter()
                .find_map(|field| request.body.get(field).and_then(serde_json::Value::as_str)),
        };
        if let Some(pipeline) = pipeline
            && let Some(fault) = self.take_queued(&fault_key(&request.operation, Some(pipeline)))
        {
            return Some(fault);
        }
        self.take_queued(&request.operation)
    }

    fn take_queued(&mut self, key: &str) -> Option<Fault> {
        let queue = self.faults.get_mut(key)?;
        let fault = queue.pop_front();
        if queue.is_empty() {
            self.faults.remove(key);
        }
        fault
    }

    pub(crate) fn record(&mut self, call: Call) {
        if self.echo {
            eprintln!("{call}");
        }
        self.calls.push(call);
    }

    /// Answers a request that no fault intercepted.
    pub(crate) fn answer(&mut self, request: &AwsRequest) -> Result<Answered, ApiError> {
        match request.protocol {
            Protocol::Json | Protocol::Cbor | Protocol::Rest if request.malformed => Err(
                ApiError::new("SerializationException", "the request body cannot be read"),
            ),
            Protocol::Json if request.operation == "GetCalendarState" => self
                .ssm(&request.operation, &request.body)
                .map(|output| Answered::ok(output.to_string())),
            Protocol::Json => self
                .codepipeline(&request.operation, &request.body)
                .map(|output| Answered::ok(output.to_string())),
            Protocol::Cbor => self
                .cloudwatch(&request.operation, &request.body)
                .map(|output| Answered::ok(crate::cbor::encode(&output))),
            Protocol::Query => {
                crate::sns::answer(&request.operation, &request.body).map(Answered::ok)
            }
            Protocol::Rest if crate::scheduler::serves(&request.operation) => self
                .scheduler(&request.operation, &request.body)
                .map(|output| Answered::ok(output.to_string())),
            Protocol::Rest => self.appconfig(&request.operation, &request.body),
        }
    }

    /// Whether anything at all was stored for this pipeline; the lookups
    /// below use it to choose between "no such pipeline" and "no such
    /// execution", as AWS does.
    pub(crate) fn knows_pipeline(&self, name: &str) -> bool {
        self.pipelines.contains_key(name)
            || self.declarations.contains_key(name)
            || self.action_executions.contains_key(name)
            || self.executions.keys().any(|(pipeline, _)| pipeline == name)
    }
}

/// The key under which faults for `operation` (on one pipeline, or on any) are queued.
pub(crate) fn fault_key(operation: &str, pipeline: Option<&str>) -> String {
    match pipeline {
        Some(pipeline) => format!("{operation} {pipeline}"),
        None => operation.to_owned(),
    }
}
