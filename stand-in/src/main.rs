//! Serves the AWS stand-in until killed, for demos and manual
//! runs of the Lambda against a local "AWS".
//!
//! ```text
//! stand-in [--port 4566] [--pipelines FILE.json] [--fire-into URL]
//! ```
//!
//! It listens on `127.0.0.1:PORT` (point `AWS_ENDPOINT_URL` there) and prints
//! one line per handled call to stderr, such as
//! `PutApprovalResult web-shop/Approve/Manual -> accepted (Approved)`.
//! Request bodies are never printed, so approval tokens stay out of the log.
//!
//! `FILE.json` is either a JSON array of GetPipelineState response bodies, or
//! an object with any of these keys:
//!
//! ```json
//! {
//!   "pipelines": [ { "pipelineName": "web-shop", "stageStates": [ ... ] } ],
//!   "executions": { "web-shop": [ { "pipelineExecutionId": "...", ... } ] },
//!   "actionExecutions": { "web-shop": [ { "pipelineExecutionId": "...", ... } ] },
//!   "declarations": [ { "name": "web-shop", "stages": [ ... ] } ]
//! }
//! ```
//!
//! `executions` holds GetPipelineExecution `pipelineExecution` objects and
//! `actionExecutions` holds ListActionExecutions `actionExecutionDetails`
//! entries, both grouped by pipeline name. As CodePipeline does, the stand-in gives every
//! action that ran an `actionExecutionId` (`ae-STAGE-ACTION` when the fixture gives none),
//! and ListActionExecutions lists each approval waiting in a state (`InProgress` with a
//! token) in its stage's latest execution, unless the fixture lists that action
//! execution itself; `declarations` holds GetPipeline
//! `pipeline` objects (a pipeline without one is declared from its state).
//!
//! A declaration's `executionMode` (`SUPERSEDED`, the default, `QUEUED` or `PARALLEL`) is
//! returned by GetPipeline and summarised by ListPipelineExecutions, which lists the
//! pipeline's `executions` newest first (by their `startTime`, epoch seconds, which a
//! `pipelineExecution` may carry along with `lastUpdateTime`). A QUEUED pipeline's state
//! may show a different execution in each stage's `latestExecution`, each approval waiting
//! with its own token. A PARALLEL pipeline has no pipeline state to speak of: GetPipelineState
//! shows no tokens (a `pipelines` entry for it is optional) and its approvals wait in its
//! `actionExecutions`, each `InProgress` with its token as
//! `output.executionResult.externalExecutionId`, which PutApprovalResult takes:
//!
//! ```json
//! {
//!   "declarations": [ { "name": "web-fleet", "executionMode": "PARALLEL", "stages": [
//!     { "name": "Approve", "actions": [ { "name": "Manual", "actionTypeId":
//!       { "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1" } } ] }
//!   ] } ],
//!   "executions": { "web-fleet": [
//!     { "pipelineExecutionId": "e-2", "status": "InProgress", "startTime": 1795685400 },
//!     { "pipelineExecutionId": "e-1", "status": "InProgress", "startTime": 1795685340 }
//!   ] },
//!   "actionExecutions": { "web-fleet": [
//!     { "pipelineExecutionId": "e-1", "actionExecutionId": "a-1", "stageName": "Approve",
//!       "actionName": "Manual", "status": "InProgress",
//!       "input": { "actionTypeId": { "category": "Approval", "owner": "AWS",
//!                                    "provider": "Manual", "version": "1" } },
//!       "output": { "executionResult": { "externalExecutionId": "TOKEN-1" } } },
//!     { "pipelineExecutionId": "e-2", "actionExecutionId": "a-2", "stageName": "Approve",
//!       "actionName": "Manual", "status": "InProgress",
//!       "input": { "actionTypeId": { "category": "Approval", "owner": "AWS",
//!                                    "provider": "Manual", "version": "1" } },
//!       "output": { "executionResult": { "externalExecutionId": "TOKEN-2" } } }
//!   ] }
//! }
//! ```
//!
//! Answering `TOKEN-1` completes action execution `a-1` only: its `status` becomes
//! `Succeeded` (or `Failed` when rejected), its `lastUpdateTime` the time of the answer and
//! its `output.executionResult.externalExecutionSummary` the answer's summary.
//! `"appconfig": [{"application": "a", "environment": "e", "profile": "p",
//! "content": "{...}"}]` holds AWS AppConfig configurations, served by AppConfig Data.
//!
//! `"alarms"` holds CloudWatch alarms as `DescribeAlarms` lists them, plus an optional
//! `AlarmType` (`MetricAlarm`, the default, `CompositeAlarm` or `LogAlarm`):
//! `[{"AlarmName": "web-prod-5xx", "StateValue": "ALARM", "StateReason": "..."}]`.
//! Unless an alarm gives its own `StateUpdatedTimestamp`, its state changed when it was
//! loaded with that state.
//!
//! `"calendars"` holds SSM Change Calendars by document name (or ARN): `"OPEN"`,
//! `"CLOSED"` (closed from a day before it was loaded until seven days after), or the
//! spans in which it is closed, as seconds relative to when it was loaded:
//! `{"prod-freeze": [[-60, 3600]]}` is closed since a minute before, for an hour.
//!
//! `"functions"` holds the Lambda functions that Invoke answers, by the function name,
//! partial ARN or ARN they are registered under (see `StandIn::put_function` for which
//! requests reach which), each with exactly one of `answer` (any JSON, returned as JSON),
//! `raw` (a string, returned as is: JSON or not), `error` (a message: the function raises,
//! and Invoke answers `X-Amz-Function-Error: Unhandled`) or `echo` (`true`: it returns
//! `{"pass": true, "reason": <the request payload, as text>}`), plus an optional `delay_ms`
//! (a whole number of milliseconds it takes to answer):
//!
//! ```json
//! {
//!   "functions": {
//!     "arn:aws:lambda:us-east-1:123456789012:function:change-ticket":
//!       { "answer": { "pass": true, "reason": "CHG-1042 is approved" } },
//!     "ticket-garbage": { "raw": "<html>502 Bad Gateway</html>" },
//!     "ticket-slow": { "answer": { "pass": true, "reason": "late" }, "delay_ms": 5000 },
//!     "ticket-broken": { "error": "connection to the ticket system refused" }
//!   }
//! }
//! ```
//!
//! On `SIGHUP` the stand-in reads the file again: pipeline states, declarations,
//! AppConfig configurations, alarms, calendars and functions in it replace those of the
//! same name (a
//! new version of a configuration, as a deployment makes one; an alarm whose state is new
//! changed state at the reload), so a running gate can be shown a change.
//! Approvals waiting in the fixture's states, and in its `actionExecutions` (`InProgress`,
//! with an `externalExecutionId`), are taken to have started waiting an hour before the
//! stand-in started (their `startTime` and `lastUpdateTime` in `actionExecutions`), so they
//! never expire on the calendar.
//!
//! With `--fire-into URL` (an `http://` URL, such as `cargo lambda watch`'s
//! `http://127.0.0.1:9001/2015-03-31/functions/approval-gate/invocations`), EventBridge
//! Scheduler schedules fire on the real clock: every 500 ms, each schedule that came due is
//! taken (see `StandIn::take_due_schedules`) and its target's `Input` POSTed to `URL` as
//! `application/json`, one at a time, and one line is printed to stdout for it:
//! `fired schedule NAME -> STATUS BODY` (the response body on one line), or
//! `fired schedule NAME -> failed: ERROR` when the POST failed. Without the flag schedules
//! are kept, and never fire.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use stand_in::{Function, StandIn};
use tokio::net::TcpStream;
use tokio::time::MissedTickBehavior;

const USAGE: &str = "usage: stand-in [--port PORT] [--pipelines FILE.json] [--fire-into URL]";

/// LocalStack's port, so existing `AWS_ENDPOINT_URL` habits carry over.
const DEFAULT_PORT: u16 = 4566;

#[derive(Debug, PartialEq, Eq)]
struct Args {
    port: u16,
    pipelines: Option<PathBuf>,
    /// Where due schedules are POSTed; `None`: schedules never fire.
    fire_into: Option<Uri>,
}

/// How often `--fire-into` looks for due schedules.
const FIRE_EVERY: Duration = Duration::from_millis(500);

/// The longest a fired POST may take: Lambda's own limit on an invocation, so that neither
/// a slow invocation nor a first one that waits for `cargo lambda watch` to build is cut
/// short, while a target that never answers cannot hold back later schedules for ever.
const FIRE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("stand-in: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("stand-in: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let fixture = match &args.pipelines {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let fixture = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
            Some(fixture)
        }
        None => None,
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let stand_in = StandIn::start_on(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if let Some(fixture) = fixture {
        let count = load_fixture(&stand_in, fixture)?;
        eprintln!("loaded {count} pipeline(s)");
    }
    stand_in.echo_calls(true);
    eprintln!("listening on {}", stand_in.endpoint_url());
    if let Some(into) = args.fire_into.clone() {
        eprintln!("firing due schedules into {into}");
        tokio::spawn(fire_schedules(stand_in.clone(), into));
    }
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("cannot watch SIGHUP: {e}"))?;
    while hangups.recv().await.is_some() {
        let Some(path) = &args.pipelines else {
            continue;
        };
        let reloaded = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|text| serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}")))
            .and_then(|fixture| load_fixture(&stand_in, fixture));
        match reloaded {
            Ok(count) => eprintln!("reloaded {count} pipeline(s)"),
            Err(message) => eprintln!("stand-in: reload refused: {message}"),
        }
    }
    Ok(())
}

/// `Ok(None)` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        port: DEFAULT_PORT,
        pipelines: None,
        fire_into: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => {
                let port = value()?;
                parsed.port = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
            }
            "--pipelines" => parsed.pipelines = Some(value()?.into()),
            "--fire-into" => parsed.fire_into = Some(http_url(&value()?)?),
            "-h" | "--help" => return Ok(None),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(parsed))
}

/// An `http://` URL with a host: the firing POSTs speak plain HTTP/1.1, as `cargo lambda
/// watch` does, so an `https://` one is refused at start-up rather than failing every POST.
fn http_url(text: &str) -> Result<Uri, String> {
    let invalid = || format!("--fire-into needs an http:// URL, not {text:?}");
    let uri: Uri = text.parse().map_err(|_| invalid())?;
    let has_host = uri.host().is_some_and(|host| !host.is_empty());
    if uri.scheme_str() != Some("http") || !has_host {
        return Err(invalid());
    }
    Ok(uri)
}

/// Fires the schedules that come due on the real clock, forever: the `--fire-into` loop.
/// One POST at a time, so the lines come out in the order the schedules came due.
async fn fire_schedules(stand_in: StandIn, into: Uri) {
    let mut ticks = tokio::time::interval(FIRE_EVERY);
    // A slow POST delays the next look rather than causing a burst of them.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        for due in stand_in.take_due_schedules(now) {
            let outcome = match tokio::time::timeout(FIRE_TIMEOUT, post(&into, due.input)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("no answer within {FIRE_TIMEOUT:?}")),
            };
            let mut stdout = std::io::stdout().lock();
            // A closed stdout must not stop the firing; the target still gets its POSTs.
            let _ = writeln!(stdout, "{}", fired_line(&due.name, &outcome));
            let _ = stdout.flush();
        }
    }
}

/// The stdout line for a fired schedule, which a demo script greps: the response body is
/// put on one line so that the line stays one.
fn fired_line(name: &str, outcome: &Result<(u16, String), String>) -> String {
    match outcome {
        Ok((status, body)) => {
            let body = body.lines().collect::<Vec<_>>().join(" ");
            format!("fired schedule {name} -> {status} {body}")
                .trim_end()
                .to_owned()
        }
        Err(error) => format!("fired schedule {name} -> failed: {error}"),
    }
}

/// POSTs `body` as JSON to `into` over a fresh HTTP/1.1 connection; the answer's status and
/// body (lossily decoded).
async fn post(into: &Uri, body: String) -> Result<(u16, String), String> {
    let host = into.host().ok_or("the URL has no host")?;
    let port = into.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    // Drives the connection; it ends once the answer is read and `sender` dropped.
    tokio::spawn(connection);
    let target = into.path_and_query().map_or("/", |path| path.as_str());
    let authority = into
        .authority()
        .map_or(host, |authority| authority.as_str());
    let request = Request::post(target)
        .header(HOST, authority)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// How long the fixture's approvals have been waiting when the stand-in starts.
const WAITING_SECONDS: f64 = 3600.0;

/// Seeds the stand-in from a fixture (see the module docs) and returns how
/// many pipelines it held. Malformed entries are errors rather than being
/// skipped, so a typo in a demo fixture is noticed at start-up.
fn load_fixture(stand_in: &StandIn, fixture: Value) -> Result<usize, String> {
    let mut alarms = Vec::new();
    let mut calendars = serde_json::Map::new();
    let mut functions = serde_json::Map::new();
    let (pipelines, executions, action_executions, declarations, configurations) = match fixture {
        Value::Array(pipelines) => (pipelines, Value::Null, Value::Null, Vec::new(), Vec::new()),
        Value::Object(mut object) => {
            alarms = match object.remove("alarms") {
                Some(Value::Array(alarms)) => alarms,
                None => Vec::new(),
                Some(_) => return Err("\"alarms\" must be an array".into()),
            };
            calendars = match object.remove("calendars") {
                Some(Value::Object(calendars)) => calendars,
                None => serde_json::Map::new(),
                Some(_) => return Err("\"calendars\" must be an object keyed by name".into()),
            };
            functions = match object.remove("functions") {
                Some(Value::Object(functions)) => functions,
                None => serde_json::Map::new(),
                Some(_) => {
                    return Err("\"functions\" must be an object keyed by name or ARN".into());
                }
            };
            let pipelines = match object.remove("pipelines") {
                Some(Value::Array(pipelines)) => pipelines,
                None => Vec::new(),
                Some(_) => return Err("\"pipelines\" must be an array".into()),
            };
            let executions = object.remove("executions").unwrap_or_default();
            let action_executions = object.remove("actionExecutions").unwrap_or_default();
            let declarations = match object.remove("declarations") {
                Some(Value::Array(declarations)) => declarations,
                None => Vec::new(),
                Some(_) => return Err("\"declarations\" must be an array".into()),
            };
            let configurations = match object.remove("appconfig") {
                Some(Value::Array(configurations)) => configurations,
                None => Vec::new(),
                Some(_) => return Err("\"appconfig\" must be an array".into()),
            };
            (
                pipelines,
                executions,
                action_executions,
                declarations,
                configurations,
            )
        }
        _ => return Err("the fixture must be an array or an object".into()),
    };

    let count = pipelines.len();
    for mut state in pipelines {
        if !state.get("pipelineName").is_some_and(Value::is_string) {
            return Err("every pipeline needs a \"pipelineName\"".into());
        }
        stand_in::waiting_for(&mut state, WAITING_SECONDS);
        stand_in.put_pipeline(state);
    }
    for (pipeline, list) in grouped(executions, "executions")? {
        for execution in list {
            if !execution
                .get("pipelineExecutionId")
                .is_some_and(Value::is_string)
            {
                return Err(format!(
                    "an execution of {pipeline} has no \"pipelineExecutionId\""
                ));
            }
            stand_in.put_execution(&pipeline, execution);
        }
    }
    for (pipeline, mut details) in grouped(action_executions, "actionExecutions")? {
        stand_in::action_executions_waiting_for(&mut details, WAITING_SECONDS);
        stand_in.put_action_executions(&pipeline, details);
    }
    for declaration in declarations {
        if !declaration.get("name").is_some_and(Value::is_string) {
            return Err("every declaration needs a \"name\"".into());
        }
        let mode = declaration.get("executionMode");
        let known = ["SUPERSEDED", "QUEUED", "PARALLEL"];
        if mode.is_some_and(|mode| !mode.as_str().is_some_and(|mode| known.contains(&mode))) {
            return Err(format!(
                "declaration {}: \"executionMode\" must be SUPERSEDED, QUEUED or PARALLEL",
                declaration["name"]
            ));
        }
        stand_in.put_declaration(declaration);
    }
    for configuration in configurations {
        let field = |name: &str| {
            configuration
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("every appconfig entry needs a string \"{name}\""))
        };
        stand_in.put_configuration(
            field("application")?,
            field("environment")?,
            field("profile")?,
            field("content")?,
        );
    }
    for alarm in alarms {
        if !alarm.get("AlarmName").is_some_and(Value::is_string) {
            return Err("every alarm needs an \"AlarmName\"".into());
        }
        let state = alarm.get("StateValue").and_then(Value::as_str);
        if !state.is_some_and(|state| ["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&state)) {
            return Err(format!(
                "alarm {}: \"StateValue\" must be OK, ALARM or INSUFFICIENT_DATA",
                alarm["AlarmName"]
            ));
        }
        stand_in.put_alarm(alarm);
    }
    for (name, calendar) in calendars {
        stand_in.put_calendar(&name, &closed_spans(&name, &calendar)?);
    }
    // Read all before registering any, so that a refused reload changes no function.
    let functions = functions
        .iter()
        .map(|(name, function)| Ok((name, fixture_function(name, function)?)))
        .collect::<Result<Vec<_>, String>>()?;
    for (name, function) in functions {
        stand_in.put_function(name, function);
    }
    Ok(count)
}

/// A fixture's function (see the module docs). Anything else, including a key it does
/// not know, is refused, so that a typo is noticed at start-up.
fn fixture_function(name: &str, function: &Value) -> Result<Function, String> {
    let invalid = |why: &str| format!("function {name:?}: {why}");
    if !stand_in::is_function_name(name) {
        return Err(invalid(
            "the key must be a function name, a partial ARN or an ARN",
        ));
    }
    let Some(fields) = function.as_object() else {
        return Err(invalid("must be an object"));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|key| !["answer", "raw", "error", "echo", "delay_ms"].contains(&key.as_str()))
    {
        return Err(invalid(&format!("unknown key {unknown:?}")));
    }
    let behaviours: Vec<Function> = [
        fields
            .get("answer")
            .map(|answer| Ok(Function::answer(answer.clone()))),
        fields.get("raw").map(|raw| match raw {
            Value::String(raw) => Ok(Function::raw(raw.as_bytes())),
            _ => Err(invalid("\"raw\" must be a string")),
        }),
        fields.get("error").map(|error| match error {
            Value::String(message) => Ok(Function::error(message.as_str())),
            _ => Err(invalid("\"error\" must be a string (the message)")),
        }),
        fields.get("echo").map(|echo| match echo {
            Value::Bool(true) => Ok(Function::echo()),
            _ => Err(invalid("\"echo\" can only be true")),
        }),
    ]
    .into_iter()
    .flatten()
    .collect::<Result<_, _>>()?;
    let [function] = <[Function; 1]>::try_from(behaviours)
        .map_err(|_| invalid("needs exactly one of \"answer\", \"raw\", \"error\" and \"echo\""))?;
    match fields.get("delay_ms") {
        None => Ok(function),
        Some(delay) => delay
            .as_u64()
            .map(|millis| function.after(Duration::from_millis(millis)))
            .ok_or_else(|| invalid("\"delay_ms\" must be a whole number of milliseconds")),
    }
}

/// How long a calendar given as `"CLOSED"` has been closed, and stays closed.
const CLOSED_BEFORE_SECONDS: f64 = 86_400.0;
const CLOSED_AFTER_SECONDS: f64 = 7.0 * 86_400.0;

/// A fixture's calendar as the spans (seconds relative to now) in which it is closed.
fn closed_spans(name: &str, calendar: &Value) -> Result<Vec<(f64, f64)>, String> {
    let invalid = || {
        format!(
            "calendar {name:?} must be \"OPEN\", \"CLOSED\" or a list of [from, to] spans \
             in seconds relative to now, each from before to"
        )
    };
    match calendar {
        Value::String(state) if state == "OPEN" => Ok(Vec::new()),
        Value::String(state) if state == "CLOSED" => {
            Ok(vec![(-CLOSED_BEFORE_SECONDS, CLOSED_AFTER_SECONDS)])
        }
        Value::Array(spans) => spans
            .iter()
            .map(|span| match span.as_array().map(Vec::as_slice) {
                Some([from, to]) => match (from.as_f64(), to.as_f64()) {
                    (Some(from), Some(to)) if from < to => Ok((from, to)),
                    _ => Err(invalid()),
                },
                _ => Err(invalid()),
            })
            .collect(),
        _ => Err(invalid()),
    }
}

/// Reads `{"pipeline": [ ... ], ...}`; `null` (absent) means empty.
fn grouped(value: Value, key: &str) -> Result<Vec<(String, Vec<Value>)>, String> {
    let object = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Object(object) => object,
        _ => return Err(format!("{key:?} must be an object keyed by pipeline name")),
    };
    object
        .into_iter()
        .map(|(pipeline, list)| match list {
            Value::Array(list) => Ok((pipeline, list)),
            _ => Err(format!("{key:?}.{pipeline:?} must be an array")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(list: &[&str]) -> Result<Option<Args>, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    const INVOKE: &str = "http://127.0.0.1:9001/2015-03-31/functions/approval-gate/invocations";

    #[test]
    fn parses_every_flag_and_defaults() {
        assert_eq!(
            args(&[
                "--port",
                "9000",
                "--pipelines",
                "p.json",
                "--fire-into",
                INVOKE
            ]),
            Ok(Some(Args {
                port: 9000,
                pipelines: Some("p.json".into()),
                fire_into: Some(Uri::from_static(INVOKE)),
            }))
        );
        assert_eq!(
            args(&[]),
            Ok(Some(Args {
                port: DEFAULT_PORT,
                pipelines: None,
                fire_into: None,
            }))
        );
        assert_eq!(args(&["--help"]), Ok(None));
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(args(&["--port"]).is_err());
        assert!(args(&["--port", "http"]).is_err());
        assert!(args(&["--verbose"]).is_err());
        assert!(args(&["--fire-into"]).is_err());
        for url in [
            "https://127.0.0.1:9001/invocations",
            "127.0.0.1:9001",
            "/2015-03-31/functions/approval-gate/invocations",
            "http://",
            "not a url",
        ] {
            assert!(args(&["--fire-into", url]).is_err(), "{url}");
        }
    }

    #[test]
    fn a_fired_line_is_one_line() {
        assert_eq!(
            fired_line("recheck-1", &Ok((200, "{\"a\": 1,\n \"b\": 2}\n".into()))),
            "fired schedule recheck-1 -> 200 {\"a\": 1,  \"b\": 2}"
        );
        assert_eq!(
            fired_line("recheck-1", &Ok((202, String::new()))),
            "fired schedule recheck-1 -> 202"
        );
        assert_eq!(
            fired_line("recheck-1", &Err("refused".into())),
            "fired schedule recheck-1 -> failed: refused"
        );
    }

    #[tokio::test]
    async fn a_post_to_nothing_fails_with_the_reason() {
        // A port that was just free: nothing listens there.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let into = http_url(&format!("http://{addr}/invocations")).unwrap();
        let error = post(&into, "{}".into()).await.unwrap_err();
        assert!(error.starts_with(&format!("cannot connect to 127.0.0.1:{}", addr.port())));
    }

    #[tokio::test]
    async fn loads_both_fixture_shapes() {
        let stand_in = StandIn::start().await.unwrap();
        let state = json!({ "pipelineName": "web-shop", "stageStates": [] });
        assert_eq!(load_fixture(&stand_in, json!([state])), Ok(1));
        assert_eq!(stand_in.pipeline("web-shop"), Some(state));

        let fixture = json!({
            "pipelines": [{ "pipelineName": "api", "stageStates": [] }],
            "executions": { "api": [{ "pipelineExecutionId": "e-1", "status": "InProgress" }] },
            "actionExecutions": { "api": [{ "pipelineExecutionId": "e-1" }] },
        });
        assert_eq!(load_fixture(&stand_in, fixture), Ok(1));
        assert!(stand_in.pipeline("api").is_some());

        assert!(load_fixture(&stand_in, json!([{ "stageStates": [] }])).is_err());
        assert!(load_fixture(&stand_in, json!({ "executions": [] })).is_err());
    }

    /// The module docs' example fixture that has a line containing `marker`.
    fn documented_fixture(marker: &str) -> Value {
        let docs: Vec<&str> = include_str!("main.rs")
            .lines()
            .map_while(|line| line.strip_prefix("//!"))
            .collect();
        let block = docs
            .split(|line| line.trim() == "```json" || line.trim() == "```")
            .find(|block| block.iter().any(|line| line.contains(marker)))
            .unwrap_or_else(|| panic!("the docs show a fixture with {marker}"));
        serde_json::from_str(&block.join("\n")).expect("the documented fixture is JSON")
    }

    /// The module docs' example of a PARALLEL fixture.
    fn documented_parallel_fixture() -> Value {
        documented_fixture("\"PARALLEL\"")
    }

    #[tokio::test]
    async fn loads_the_documented_parallel_fixture() {
        let stand_in = StandIn::start().await.unwrap();
        assert_eq!(
            load_fixture(&stand_in, documented_parallel_fixture()),
            Ok(0)
        );
        assert_eq!(
            stand_in.declaration("web-fleet").unwrap()["executionMode"],
            "PARALLEL"
        );
        // Its approvals started waiting an hour before.
        let an_hour_ago = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            - WAITING_SECONDS;
        let details = stand_in.action_executions("web-fleet");
        assert_eq!(details.len(), 2);
        for detail in &details {
            let started = detail["startTime"].as_f64().unwrap();
            assert!((started - an_hour_ago).abs() < 60.0, "{detail}");
            assert_eq!(detail["lastUpdateTime"], detail["startTime"]);
        }

        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(stand_in.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_codepipeline::config::Credentials::for_tests())
            .load()
            .await;
        let client = aws_sdk_codepipeline::Client::new(&sdk);
        let executions = client
            .list_pipeline_executions()
            .pipeline_name("web-fleet")
            .send()
            .await
            .unwrap();
        let ids: Vec<_> = executions
            .pipeline_execution_summaries()
            .iter()
            .filter_map(|summary| summary.pipeline_execution_id())
            .collect();
        assert_eq!(ids, ["e-2", "e-1"]);
        let result = aws_sdk_codepipeline::types::ApprovalResult::builder()
            .status(aws_sdk_codepipeline::types::ApprovalStatus::Approved)
            .summary("ok")
            .build()
            .unwrap();
        client
            .put_approval_result()
            .pipeline_name("web-fleet")
            .stage_name("Approve")
            .action_name("Manual")
            .token("TOKEN-1")
            .result(result)
            .send()
            .await
            .expect("the documented token answers");
        let details = stand_in.action_executions("web-fleet");
        assert_eq!(details[0]["status"], "Succeeded");
        assert_eq!(details[1]["status"], "InProgress");
    }

    #[tokio::test]
    async fn refuses_an_unknown_execution_mode() {
        let stand_in = StandIn::start().await.unwrap();
        for mode in [json!("parallel"), json!(3)] {
            let fixture = json!({"declarations": [{"name": "p", "executionMode": mode}]});
            assert!(load_fixture(&stand_in, fixture).is_err(), "{mode}");
        }
        let fixture = json!({"declarations": [{"name": "p", "executionMode": "QUEUED"}]});
        assert_eq!(load_fixture(&stand_in, fixture), Ok(0));
    }

    #[tokio::test]
    async fn loads_appconfig_configurations_and_refuses_incomplete_ones() {
        let stand_in = StandIn::start().await.unwrap();
        let fixture = json!({"appconfig": [{"application": "gate", "environment": "prod",
                                            "profile": "policy", "content": "{\"rules\": []}"}]});
        assert_eq!(load_fixture(&stand_in, fixture), Ok(0));
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(stand_in.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_appconfigdata::config::Credentials::for_tests())
            .load()
            .await;
        let client = aws_sdk_appconfigdata::Client::new(&sdk);
        let session = client
            .start_configuration_session()
            .application_identifier("gate")
            .environment_identifier("prod")
            .configuration_profile_identifier("policy")
            .send()
            .await
            .unwrap();
        let configuration = client
            .get_latest_configuration()
            .configuration_token(session.initial_configuration_token().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            configuration.configuration().unwrap().as_ref(),
            b"{\"rules\": []}"
        );

        let incomplete = json!({"appconfig": [{"application": "gate", "content": "{}"}]});
        assert!(load_fixture(&stand_in, incomplete).is_err());
    }

    async fn cloudwatch_and_ssm(
        stand_in: &StandIn,
    ) -> (aws_sdk_cloudwatch::Client, aws_sdk_ssm::Client) {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(stand_in.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::for_tests())
            .load()
            .await;
        (
            aws_sdk_cloudwatch::Client::new(&sdk),
            aws_sdk_ssm::Client::new(&sdk),
        )
    }

    async fn alarm_state(client: &aws_sdk_cloudwatch::Client, name: &str) -> String {
        let described = client
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .unwrap();
        described.metric_alarms()[0]
            .state_value()
            .unwrap()
            .as_str()
            .to_owned()
    }

    async fn calendar_state(client: &aws_sdk_ssm::Client, name: &str) -> String {
        let state = client
            .get_calendar_state()
            .calendar_names(name)
            .send()
            .await
            .unwrap();
        state.state().unwrap().as_str().to_owned()
    }

    #[tokio::test]
    async fn loads_alarms_and_calendars_and_a_reload_replaces_them() {
        let stand_in = StandIn::start().await.unwrap();
        let (cloudwatch, ssm) = cloudwatch_and_ssm(&stand_in).await;
        let fixture = |alarm: &str, freeze: Value| {
            json!({
                "alarms": [{"AlarmName": "web-prod-5xx", "StateValue": alarm,
                            "StateReason": "Threshold Crossed"}],
                "calendars": {"prod-freeze": freeze, "org-freeze": "OPEN",
                              "year-end": [[-60, 3600], [7200, 9000]]},
            })
        };

        assert_eq!(
            load_fixture(&stand_in, fixture("ALARM", json!("CLOSED"))),
            Ok(0)
        );
        assert_eq!(alarm_state(&cloudwatch, "web-prod-5xx").await, "ALARM");
        assert_eq!(calendar_state(&ssm, "prod-freeze").await, "CLOSED");
        assert_eq!(calendar_state(&ssm, "org-freeze").await, "OPEN");
        assert_eq!(calendar_state(&ssm, "year-end").await, "CLOSED");

        // As on SIGHUP: the file read again replaces what it names.
        assert_eq!(load_fixture(&stand_in, fixture("OK", json!("OPEN"))), Ok(0));
        assert_eq!(alarm_state(&cloudwatch, "web-prod-5xx").await, "OK");
        assert_eq!(calendar_state(&ssm, "prod-freeze").await, "OPEN");
    }

    /// The module docs' example of a fixture's functions.
    fn documented_functions_fixture() -> Value {
        documented_fixture("\"functions\": {")
    }

    #[tokio::test]
    async fn loads_the_documented_functions_and_invoke_answers_them() {
        let stand_in = StandIn::start().await.unwrap();
        assert_eq!(
            load_fixture(&stand_in, documented_functions_fixture()),
            Ok(0)
        );
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(stand_in.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::for_tests())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_millis(300))
                    .build(),
            )
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        let client = aws_sdk_lambda::Client::new(&sdk);
        let invoke = |name: &str| {
            client
                .invoke()
                .function_name(name)
                .payload(aws_sdk_lambda::primitives::Blob::new("{}"))
                .send()
        };
        let payload = |output: &aws_sdk_lambda::operation::invoke::InvokeOutput| {
            output.payload().unwrap().as_ref().to_vec()
        };

        let answered = invoke("change-ticket").await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&payload(&answered)).unwrap(),
            json!({"pass": true, "reason": "CHG-1042 is approved"})
        );
        let garbage = invoke("ticket-garbage").await.unwrap();
        assert_eq!(payload(&garbage), b"<html>502 Bad Gateway</html>");
        let broken = invoke("ticket-broken").await.unwrap();
        assert_eq!(broken.function_error(), Some("Unhandled"));
        let slow = invoke("ticket-slow").await.unwrap_err();
        assert!(
            matches!(slow, aws_sdk_lambda::error::SdkError::TimeoutError(_)),
            "{slow:?}"
        );

        // As on SIGHUP: the file read again replaces what it names.
        let reloaded = json!({"functions": {"change-ticket": {"echo": true}}});
        assert_eq!(load_fixture(&stand_in, reloaded), Ok(0));
        let echoed = invoke("change-ticket").await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&payload(&echoed)).unwrap(),
            json!({"pass": true, "reason": "{}"})
        );
    }

    #[tokio::test]
    async fn refuses_malformed_functions() {
        let stand_in = StandIn::start().await.unwrap();
        for fixture in [
            json!({"functions": [{"answer": {}}]}),
            json!({"functions": {"not a name": {"answer": {}}}}),
            json!({"functions": {"f": {"answer": {}}, "g": "answer"}}),
            json!({"functions": {"f": {}}}),
            json!({"functions": {"f": {"delay_ms": 10}}}),
            json!({"functions": {"f": {"answer": {}, "error": "both"}}}),
            json!({"functions": {"f": {"raw": {"not": "a string"}}}}),
            json!({"functions": {"f": {"error": 500}}}),
            json!({"functions": {"f": {"echo": false}}}),
            json!({"functions": {"f": {"answer": {}, "delay_ms": -1}}}),
            json!({"functions": {"f": {"answer": {}, "delay_ms": 1.5}}}),
            json!({"functions": {"f": {"answer": {}, "delay": 10}}}),
        ] {
            assert!(
                load_fixture(&stand_in, fixture.clone()).is_err(),
                "{fixture}"
            );
        }
        let valid = json!({"functions": {"f": {"answer": null, "delay_ms": 0}}});
        assert_eq!(load_fixture(&stand_in, valid), Ok(0));
    }

    #[tokio::test]
    async fn refuses_malformed_alarms_and_calendars() {
        let stand_in = StandIn::start().await.unwrap();
        for fixture in [
            json!({"alarms": {"web-prod-5xx": "ALARM"}}),
            json!({"alarms": [{"StateValue": "ALARM"}]}),
            json!({"alarms": [{"AlarmName": "web-prod-5xx", "StateValue": "RED"}]}),
            json!({"calendars": ["prod-freeze"]}),
            json!({"calendars": {"prod-freeze": "SHUT"}}),
            json!({"calendars": {"prod-freeze": [[3600, 60]]}}),
            json!({"calendars": {"prod-freeze": [[0]]}}),
        ] {
            assert!(
                load_fixture(&stand_in, fixture.clone()).is_err(),
                "{fixture}"
            );
        }
    }
}
