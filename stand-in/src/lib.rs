//! A local stand-in for AWS CodePipeline, SNS, AppConfig Data, CloudWatch alarms, SSM
//! Change Calendars, EventBridge Scheduler and Lambda Invoke, plus an emulator of the AWS
//! Lambda Runtime API.
//!
//! [`StandIn`] speaks the real wire protocols (awsJson1.1 for CodePipeline and SSM,
//! awsQuery for SNS, restJson1 for AppConfig Data, EventBridge Scheduler and Lambda Invoke,
//! Smithy RPC v2 CBOR for CloudWatch) on one port, so the unmodified AWS SDK can be pointed
//! at it with `AWS_ENDPOINT_URL` or `endpoint_url(..)`. Its state lives in memory; tests
//! seed it, inject faults, and inspect every call made.
//! Scheduler schedules (one-time `at(...)` ones, in UTC) fire only when asked to, at a time
//! the caller gives: [`StandIn::take_due_schedules`].
//! Lambda functions are canned answers seeded per test ([`StandIn::put_function`],
//! [`Function`]): a JSON answer, raw bytes, a function error, an answer made from the
//! request, each optionally after a delay; `Invoke` answers them as Lambda does.
//! [`RuntimeApi`] lets a test run the real Lambda binary and invoke it.
//!
//! This is test and demo tooling. It never ships in the Lambda itself.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use stand_in::{Fault, Function, StandIn};
//!
//! let aws = StandIn::start().await?;
//! aws.put_pipeline(serde_json::json!({ "pipelineName": "web-shop", "stageStates": [] }));
//! aws.inject("PutApprovalResult", Fault::error(400, "ThrottlingException"));
//! aws.put_function(
//!     "arn:aws:lambda:us-east-1:123456789012:function:change-ticket",
//!     Function::answer(serde_json::json!({ "pass": true, "reason": "CHG-42 approved" })),
//! );
//! // ... point a client at aws.endpoint_url() ...
//! assert!(aws.accepted_answers().is_empty());
//! # Ok(())
//! # }
//! ```

mod appconfig;
mod cbor;
mod cloudwatch;
mod codepipeline;
mod http;
mod lambda;
mod route;
mod runtime;
mod scheduler;
mod sns;
mod ssm;
mod world;

use std::collections::hash_map::Entry;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

use crate::http::Server;
use crate::world::World;

pub use crate::lambda::{Function, is_function_name};
pub use crate::runtime::{Invocation, InvokeTimedOut, RuntimeApi};
pub use crate::scheduler::DueSchedule;

/// Makes every approval waiting in `state` (an action `InProgress` with a token) look as
/// if it started waiting `seconds` ago. Fixtures are written once, while an approval's
/// expiry counts from when it started waiting: a demo fixture seeded this way never holds
/// approvals that expired on the calendar.
pub fn waiting_for(state: &mut Value, seconds: f64) {
    let since = crate::http::epoch_seconds() - seconds;
    let stages = state.get_mut("stageStates").and_then(Value::as_array_mut);
    for stage in stages.into_iter().flatten() {
        let actions = stage.get_mut("actionStates").and_then(Value::as_array_mut);
        for action in actions.into_iter().flatten() {
            let Some(execution) = action
                .get_mut("latestExecution")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let waiting = execution.get("status").and_then(Value::as_str) == Some("InProgress")
                && execution.contains_key("token");
            if waiting {
                execution.insert("lastStatusChange".into(), since.into());
            }
        }
    }
}

/// Makes every approval waiting in `details` (ActionExecutionDetail objects, as given to
/// [`StandIn::put_action_executions`]: `InProgress`, with a string
/// `output.executionResult.externalExecutionId`, and an `Approval` if the detail names its
/// category) look as if it started waiting `seconds` ago: its `startTime` and
/// `lastUpdateTime`. The counterpart of [`waiting_for`] for the approvals of a PARALLEL
/// pipeline, which wait in its action executions rather than in its state.
pub fn action_executions_waiting_for(details: &mut [Value], seconds: f64) {
    let since = crate::http::epoch_seconds() - seconds;
    for detail in details {
        let waiting = detail.get("status").and_then(Value::as_str) == Some("InProgress")
            && detail
                .pointer("/output/executionResult/externalExecutionId")
                .is_some_and(Value::is_string)
            && detail
                .pointer("/input/actionTypeId/category")
                .is_none_or(|category| category == "Approval");
        if let Some(detail) = detail.as_object_mut().filter(|_| waiting) {
            detail.insert("startTime".into(), since.into());
            detail.insert("lastUpdateTime".into(), since.into());
        }
    }
}

/// A running stand-in for the AWS services listed in the crate docs.
///
/// Clones share the same state and server. The server stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct StandIn {
    world: Arc<Mutex<World>>,
    server: Arc<Server>,
}

/// One request the stand-in received.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The operation name, e.g. `GetPipelineState` or `Publish`.
    pub operation: String,
    /// The JSON request body; for SNS, the form fields as a flat object of
    /// strings (`{"Action": "Publish", "TopicArn": ..., ...}`); for Lambda `Invoke`, the
    /// payload sent to the function. A body that was not valid JSON is kept as a string
    /// (an empty one as `""`).
    pub body: Value,
    /// The HTTP status answered, or 0 if the connection was dropped.
    pub status: u16,
    /// Whether this was a PutApprovalResult that answered a pending approval.
    pub accepted: bool,
    /// The AWS error type answered, if any (e.g. `InvalidApprovalTokenException`). A
    /// function error is no AWS error: Invoke answers it with status 200.
    pub error_type: Option<String>,
    /// For Lambda `Invoke`: the FunctionName as the request gave it (percent-decoded; a
    /// `Qualifier` query parameter is not added to it). `None` for other operations.
    pub function_name: Option<String>,
}

/// A misbehaviour to apply to one future call of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this AWS error instead of handling the call.
    Error { status: u16, error_type: String },
    /// Wait this long, then handle the call normally. Long enough delays
    /// trigger client timeouts.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
    /// Answer with exactly this body instead of handling the call.
    RawBody { status: u16, body: String },
    /// Handle the call at once (its change is made and recorded), then wait this long
    /// before answering: a client that gives up first never learns that it succeeded,
    /// as when AWS applies a request whose response is lost.
    DelayAnswer(Duration),
}

impl Fault {
    pub fn error(status: u16, error_type: impl Into<String>) -> Self {
        Self::Error {
            status,
            error_type: error_type.into(),
        }
    }
}

impl StandIn {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub async fn start() -> std::io::Result<StandIn> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> std::io::Result<StandIn> {
        let world = Arc::new(Mutex::new(World::default()));
        let shared = Arc::clone(&world);
        let server = Server::bind(addr, move |parts, body| {
            route::handle(Arc::clone(&shared), parts, body)
        })
        .await?;
        Ok(StandIn {
            world,
            server: Arc::new(server),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The value for `AWS_ENDPOINT_URL` or an SDK's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address())
    }

    /// Stores (or replaces) a pipeline, given as a GetPipelineState response
    /// body and keyed by its `pipelineName`.
    ///
    /// # Panics
    ///
    /// If `state` has no string `pipelineName`: a fixture typo should fail
    /// the test that made it, not surface later as a missing pipeline.
    pub fn put_pipeline(&self, state: Value) {
        let name = state
            .get("pipelineName")
            .and_then(Value::as_str)
            .expect("put_pipeline: the state needs a string \"pipelineName\"")
            .to_owned();
        self.world().pipelines.insert(name, state);
    }

    /// The current state of a pipeline, including answers already applied.
    pub fn pipeline(&self, name: &str) -> Option<Value> {
        self.world().pipelines.get(name).cloned()
    }

    /// Stores a GetPipelineExecution result (the `pipelineExecution` object),
    /// keyed by its `pipelineExecutionId`.
    ///
    /// ListPipelineExecutions summarises the stored executions of a pipeline, newest
    /// first: by `startTime` (epoch seconds; an execution without one started when it was
    /// first stored), then the one stored later first. The `pipelineExecution` object
    /// may carry `startTime` and `lastUpdateTime` for that purpose (GetPipelineExecution
    /// returns them too, and the SDK ignores them there). Replacing an execution keeps its
    /// place in that order.
    ///
    /// # Panics
    ///
    /// If `execution` has no string `pipelineExecutionId`.
    pub fn put_execution(&self, pipeline: &str, execution: Value) {
        let id = execution
            .get("pipelineExecutionId")
            .and_then(Value::as_str)
            .expect("put_execution: the execution needs a string \"pipelineExecutionId\"")
            .to_owned();
        let mut guard = self.world();
        let world = &mut *guard;
        match world.executions.entry((pipeline.to_owned(), id)) {
            Entry::Occupied(mut stored) => stored.get_mut().execution = execution,
            Entry::Vacant(vacant) => {
                vacant.insert(world::StoredExecution {
                    execution,
                    order: world.executions_stored,
                    stored_at: crate::http::epoch_seconds(),
                });
                world.executions_stored += 1;
            }
        }
    }

    /// Replaces the ActionExecutionDetail list of a pipeline. ListActionExecutions
    /// filters it by each detail's `pipelineExecutionId`.
    ///
    /// For a PARALLEL pipeline (see [`StandIn::set_execution_mode`]) this list is where
    /// its approvals wait: a Manual approval waits in a detail whose `status` is
    /// `InProgress`, and its token is the detail's `output.executionResult.externalExecutionId`.
    pub fn put_action_executions(&self, pipeline: &str, details: Vec<Value>) {
        self.world()
            .action_executions
            .insert(pipeline.to_owned(), details);
    }

    /// The stored ActionExecutionDetail list of a pipeline, including answers applied to
    /// it (a PARALLEL pipeline's approvals are answered there); empty if none was stored.
    /// The approvals ListActionExecutions adds from a state are not in it.
    pub fn action_executions(&self, pipeline: &str) -> Vec<Value> {
        self.world()
            .action_executions
            .get(pipeline)
            .cloned()
            .unwrap_or_default()
    }

    /// Stores a GetPipeline declaration (the `pipeline` object), keyed by its `name`.
    ///
    /// # Panics
    ///
    /// If `declaration` has no string `name`.
    pub fn put_declaration(&self, declaration: Value) {
        let name = declaration
            .get("name")
            .and_then(Value::as_str)
            .expect("put_declaration: the declaration needs a string \"name\"")
            .to_owned();
        self.world().declarations.insert(name, declaration);
    }

    /// The stored GetPipeline declaration of a pipeline, if one was stored (by
    /// [`StandIn::put_declaration`] or [`StandIn::set_execution_mode`]); GetPipeline
    /// declares a pipeline without one from its state.
    pub fn declaration(&self, name: &str) -> Option<Value> {
        self.world().declarations.get(name).cloned()
    }

    /// Sets the `executionMode` (`SUPERSEDED`, `QUEUED` or `PARALLEL`; not checked) of a
    /// pipeline's declaration, which GetPipeline returns. A pipeline without a stored
    /// declaration is first given the one GetPipeline would declare from its state (every
    /// action a Manual approval without a timeout; no stages if it has no state either).
    ///
    /// A `PARALLEL` pipeline has no pipeline state to speak of: GetPipelineState shows no
    /// `token` in it, ListActionExecutions adds no approvals from it, and PutApprovalResult
    /// takes the tokens of the approvals waiting in the pipeline's action executions
    /// ([`StandIn::put_action_executions`]) instead of those in its state.
    pub fn set_execution_mode(&self, pipeline: &str, mode: &str) {
        let mut guard = self.world();
        let world = &mut *guard;
        let declaration = world
            .declarations
            .entry(pipeline.to_owned())
            .or_insert_with(|| {
                let state = world.pipelines.get(pipeline).unwrap_or(&Value::Null);
                codepipeline::declare_from_state(pipeline, state)
            });
        if let Some(declaration) = declaration.as_object_mut() {
            declaration.insert("executionMode".into(), mode.into());
        }
    }

    /// Stores (or replaces) a CloudWatch alarm, given as `DescribeAlarms` lists it
    /// (`AlarmName`, `StateValue`, `StateReason`, ...) plus an optional `AlarmType`
    /// (`MetricAlarm`, the default, `CompositeAlarm` or `LogAlarm`). Unless the alarm
    /// gives its own `StateUpdatedTimestamp`, it is now when the state changed, and the
    /// stored one otherwise.
    ///
    /// # Panics
    ///
    /// If `alarm` has no string `AlarmName`.
    pub fn put_alarm(&self, mut alarm: Value) {
        let name = alarm
            .get("AlarmName")
            .and_then(Value::as_str)
            .expect("put_alarm: the alarm needs a string \"AlarmName\"")
            .to_owned();
        let mut world = self.world();
        if alarm.get("StateUpdatedTimestamp").is_none() {
            let stored = world.alarms.get(&name);
            let unchanged =
                stored.is_some_and(|stored| stored.get("StateValue") == alarm.get("StateValue"));
            let since = match stored.and_then(|stored| stored.get("StateUpdatedTimestamp")) {
                Some(since) if unchanged => since.clone(),
                _ => crate::http::epoch_seconds().into(),
            };
            alarm["StateUpdatedTimestamp"] = since;
        }
        world.alarms.insert(name, alarm);
    }

    /// Stores (or replaces) a Change Calendar, open except in `closed`: spans of seconds
    /// relative to now (`(-60.0, 3600.0)`: closed since a minute ago, for an hour).
    /// `name` is what the request names: a document name or an ARN.
    pub fn put_calendar(&self, name: &str, closed: &[(f64, f64)]) {
        let now = crate::http::epoch_seconds().floor();
        let spans = closed
            .iter()
            .map(|(from, to)| (now + from, now + to))
            .collect();
        self.world().calendars.insert(name.to_owned(), spans);
    }

    /// The most items a page of ListPipelines, ListPipelineExecutions or
    /// ListActionExecutions holds,
    /// whatever `maxResults` the client asks for (by default a page holds what
    /// the client asks for, or 100 when it does not ask, as in AWS).
    pub fn set_list_page_size(&self, n: usize) {
        self.world().page_cap = Some(n.max(1));
    }

    /// Queues `fault` for the next call of `op` that has no fault queued
    /// before it. Each queued fault applies to exactly one call.
    pub fn inject(&self, op: &str, fault: Fault) {
        self.inject_times(op, fault, 1);
    }

    /// Queues `fault` for the next `n` calls of `op` about `pipeline` (the request's
    /// `name` or `pipelineName`; for `Invoke`, its FunctionName exactly as the request
    /// spells it), leaving calls about other pipelines alone.
    pub fn inject_for(&self, op: &str, pipeline: &str, fault: Fault, n: usize) {
        let mut world = self.world();
        let queue = world
            .faults
            .entry(world::fault_key(op, Some(pipeline)))
            .or_default();
        queue.extend(std::iter::repeat_n(fault, n));
    }

    /// Queues `fault` for the next `n` calls of `op`.
    pub fn inject_times(&self, op: &str, fault: Fault, n: usize) {
        let mut world = self.world();
        let queue = world.faults.entry(op.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, n));
    }

    /// Makes the next `n` GetPipelineState reads of `pipeline` omit the
    /// `latestExecution` of every in-progress action, as if the approval
    /// notice had outrun the pipeline state.
    pub fn hide_tokens_for_reads(&self, pipeline: &str, n: usize) {
        let mut world = self.world();
        if n == 0 {
            world.hidden_reads.remove(pipeline);
        } else {
            world.hidden_reads.insert(pipeline.to_owned(), n);
        }
    }

    /// Deploys `content` (JSON) as the configuration of an AppConfig profile, as a new
    /// version: sessions read it at their next read. Identifiers are matched exactly, so
    /// a test may use names or IDs.
    pub fn put_configuration(
        &self,
        application: &str,
        environment: &str,
        profile: &str,
        content: &str,
    ) {
        let mut world = self.world();
        let key = (
            application.to_owned(),
            environment.to_owned(),
            profile.to_owned(),
        );
        let version = world
            .configurations
            .get(&key)
            .map_or(1, |hosted| hosted.version + 1);
        world.configurations.insert(
            key,
            appconfig::Hosted {
                content: content.to_owned(),
                content_type: "application/json".into(),
                version,
            },
        );
    }

    /// Makes every AppConfig token issued so far invalid, as 24 hours would.
    pub fn expire_configuration_tokens(&self) {
        self.world().config_sessions.clear();
    }

    /// Answers every AppConfig read with this NextPollIntervalInSeconds, whatever the
    /// session asked for (AppConfig's least is 15; tests want less).
    pub fn set_poll_interval(&self, seconds: i64) {
        self.world().poll_interval = Some(seconds);
    }

    /// Every EventBridge Scheduler schedule, as GetSchedule would answer it, ordered by
    /// group and then name.
    pub fn schedules(&self) -> Vec<Value> {
        self.world()
            .schedules
            .values()
            .map(|schedule| schedule.description.clone())
            .collect()
    }

    /// Fires the schedules due at `now_epoch_seconds`: returns every enabled schedule whose
    /// `at(...)` time (UTC) is at or before it and that has not fired yet, ordered by time
    /// and then name. As EventBridge Scheduler does with a one-time schedule, each fires
    /// once: a schedule whose ActionAfterCompletion is `DELETE` is deleted, one with `NONE`
    /// (the default) is kept but never fired again. The time is a parameter so that a
    /// benchmark can run on simulated time; nothing fires until this is called.
    pub fn take_due_schedules(&self, now_epoch_seconds: f64) -> Vec<DueSchedule> {
        self.world().take_due_schedules(now_epoch_seconds)
    }

    /// Registers (or replaces) a Lambda function under a function name
    /// (`change-ticket`), a partial ARN (`123456789012:function:change-ticket`) or a full
    /// ARN, each optionally qualified (`...:prod`). `Invoke` answers it as `function`
    /// says. Which requests reach it: a request naming the same function name and qualifier
    /// (none and `$LATEST` are the same); if both the registration and the request give an
    /// account or a region, those too. So a registered full ARN is reached by itself, its
    /// partial ARN and its bare name, and a qualified one only with its qualifier. A
    /// registration spelled exactly as a request is preferred over others it matches.
    ///
    /// # Panics
    ///
    /// If `name_or_arn` is none of those: a fixture typo should fail the test that made
    /// it, not surface later as a missing function.
    pub fn put_function(&self, name_or_arn: &str, function: Function) {
        assert!(
            lambda::is_function_name(name_or_arn),
            "put_function: {name_or_arn:?} is no function name, partial ARN or ARN"
        );
        self.world()
            .functions
            .insert(name_or_arn.to_owned(), function);
    }

    /// Prints one line per handled call to stderr. Lines never include
    /// request bodies, so approval tokens stay out of logs.
    pub fn echo_calls(&self, on: bool) {
        self.world().echo = on;
    }

    /// Every call received so far, in the order they were answered.
    pub fn calls(&self) -> Vec<Call> {
        self.world().calls.clone()
    }

    pub fn calls_to(&self, op: &str) -> Vec<Call> {
        self.world()
            .calls
            .iter()
            .filter(|call| call.operation == op)
            .cloned()
            .collect()
    }

    /// PutApprovalResult calls that answered a pending approval.
    pub fn accepted_answers(&self) -> Vec<Call> {
        self.world()
            .calls
            .iter()
            .filter(|call| call.accepted)
            .cloned()
            .collect()
    }

    fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }
}

/// A panic in one test thread must not take the whole stand-in down with a
/// poisoned lock; the state is still consistent because every mutation
/// happens in one critical section without user code in it.
pub(crate) fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One log line per call, e.g.
/// `PutApprovalResult web-shop/Approve/Manual -> accepted (Approved)`.
/// Only names are printed: bodies may carry approval tokens.
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = |name: &str| self.body.get(name).and_then(Value::as_str).unwrap_or("?");
        match self.operation.as_str() {
            "PutApprovalResult" => write!(
                f,
                "PutApprovalResult {}/{}/{}",
                field("pipelineName"),
                field("stageName"),
                field("actionName")
            )?,
            "GetPipelineState" => write!(f, "GetPipelineState {}", field("name"))?,
            "GetPipeline" => write!(f, "GetPipeline {}", field("name"))?,
            "GetPipelineExecution" => write!(
                f,
                "GetPipelineExecution {}/{}",
                field("pipelineName"),
                field("pipelineExecutionId")
            )?,
            "ListActionExecutions" => write!(f, "ListActionExecutions {}", field("pipelineName"))?,
            "ListPipelineExecutions" => {
                write!(f, "ListPipelineExecutions {}", field("pipelineName"))?
            }
            "Publish" => write!(f, "Publish {}", field("TopicArn"))?,
            "Invoke" => write!(f, "Invoke {}", self.function_name.as_deref().unwrap_or("?"))?,
            operation @ ("CreateSchedule" | "GetSchedule" | "DeleteSchedule") => {
                let group = self.body.get("GroupName").and_then(Value::as_str);
                write!(
                    f,
                    "{operation} {}/{}",
                    group.unwrap_or("default"),
                    field("Name")
                )?
            }
            "DescribeAlarms" => match self.body.get("AlarmNames").and_then(Value::as_array) {
                Some(names) => {
                    let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
                    write!(f, "DescribeAlarms {}", names.join(","))?
                }
                None => write!(f, "DescribeAlarms {}*", field("AlarmNamePrefix"))?,
            },
            "GetCalendarState" => {
                let names = self.body.get("CalendarNames").and_then(Value::as_array);
                let names: Vec<&str> = names
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                write!(f, "GetCalendarState {}", names.join(","))?
            }
            "" => f.write_str("(unrecognised request)")?,
            operation => f.write_str(operation)?,
        }
        if self.status == 0 {
            f.write_str(" -> dropped")
        } else if self.accepted {
            let verdict = self
                .body
                .pointer("/result/status")
                .and_then(Value::as_str)
                .unwrap_or("?");
            write!(f, " -> accepted ({verdict})")
        } else if let Some(error_type) = &self.error_type {
            write!(f, " -> {} {error_type}", self.status)
        } else {
            write!(f, " -> {}", self.status)
        }
    }
}
