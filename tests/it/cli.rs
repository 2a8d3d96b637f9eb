//! approval-gate-cli against the function: `explain` decides every demo approval exactly as
//! the handler does, from the same stand-in, whether the evidence comes from files in the
//! AWS CLI's format (ISO 8601 times or the wire's epoch seconds) or from CodePipeline
//! itself, and it never answers. Also the other subcommands' exit codes and output.

use std::io::{Read, Write};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{demo_fixture, demo_policy, demo_stand_in, event, sdk_for};
use approval_gate::aws::{CloudWatch, CodePipeline, Ssm};
use approval_gate::cli::NoTopic;
use approval_gate::cli::files::{
    FileAlarms, FileCalendars, FilesPipelines, Given, PipelineFiles, Problems,
};
use approval_gate::handler::{Explained, Gate, Settings};
use approval_gate::policy::Policy;
use approval_gate::report::Outcome;
use jiff::Timestamp;
use serde_json::{Value, json};

mod checks;

/// The demo notices that name an approval waiting in the stand-in.
const LIVE_NOTICES: [&str; 10] = [
    "approved-by-rule",
    "deferred-by-alarm",
    "deferred-by-freeze",
    "rejected-by-rule",
    "outside-window",
    "no-rule-matches",
    "revision-feature-branch",
    "revision-latest-main",
    "revision-skip-auto-approve",
    "revision-stale",
];

/// One moment for the function and the CLI (the gate's clock is a plain `fn`).
static AT: OnceLock<Timestamp> = OnceLock::new();

fn at() -> Timestamp {
    *AT.get_or_init(Timestamp::now)
}

/// The environment that points `approval-gate-cli --live` at the stand-in at `endpoint`.
fn live_env(endpoint: &str) -> [(&'static str, &str); 5] {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_approval-gate-cli"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the CLI runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One awsJson1.1 call to the stand-in, by hand, so the test holds the response body
/// exactly as CodePipeline sends it (and as `aws codepipeline …` prints it, bar times).
fn call(address: &str, operation: &str, input: &Value) -> Option<Value> {
    call_target(
        address,
        &format!("CodePipeline_20150709.{operation}"),
        input,
    )
}

/// [`call`] for any awsJson1.1 target (`AmazonSSM.GetCalendarState`).
fn call_target(address: &str, target: &str, input: &Value) -> Option<Value> {
    let body = input.to_string();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: {target}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    // An error is a read the function cannot make either: no file to give.
    head.starts_with("HTTP/1.1 200")
        .then(|| serde_json::from_str(body).unwrap())
}

/// What `aws codepipeline get-pipeline-state`, `get-pipeline-execution`,
/// `list-action-executions` and `get-pipeline` return for the approval waiting in `pipeline`.
fn evidence_files(address: &str, pipeline: &str) -> [Option<Value>; 4] {
    let state = call(address, "GetPipelineState", &json!({ "name": pipeline })).unwrap();
    let execution_id = state["stageStates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|stage| stage["stageName"].as_str().unwrap().starts_with("Approve"))
        .map(|stage| stage["latestExecution"]["pipelineExecutionId"].clone())
        .unwrap();
    let execution = json!({ "pipelineName": pipeline, "pipelineExecutionId": execution_id });
    let execution = call(address, "GetPipelineExecution", &execution);
    let actions = call(
        address,
        "ListActionExecutions",
        &json!({ "pipelineName": pipeline, "filter": { "pipelineExecutionId": execution_id } }),
    );
    let declaration = call(address, "GetPipeline", &json!({ "name": pipeline }));
    [Some(state), execution, actions, declaration]
}

/// The AWS CLI prints times as ISO 8601 ("2026-11-26T09:12:03.540000+00:00").
fn as_cli_prints(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, field) in object.iter_mut() {
                let time = matches!(
                    key.as_str(),
                    "created"
                        | "updated"
                        | "lastStatusChange"
                        | "startTime"
                        | "lastUpdateTime"
                        | "StateUpdatedTimestamp"
                        | "StateTransitionedTimestamp"
                );
                match field.as_f64() {
                    Some(seconds) if time => {
                        let at = Timestamp::from_millisecond((seconds * 1000.0) as i64).unwrap();
                        *field = at
                            .strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
                            .to_string()
                            .into();
                    }
                    _ => as_cli_prints(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_cli_prints),
        _ => {}
    }
}

fn settings() -> Settings {
    Settings {
        dry_run: true,
        ..Settings::default()
    }
}

/// What `aws cloudwatch describe-alarms --output json` prints for the demo's alarms, read
/// through the SDK from the stand-in (which speaks CloudWatch's CBOR).
async fn alarms_file(sdk: &aws_config::SdkConfig) -> Value {
    use aws_sdk_cloudwatch::types::AlarmType;
    let names: Vec<String> = demo_fixture()["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alarm| alarm["AlarmName"].as_str().unwrap().to_owned())
        .collect();
    let output = aws_sdk_cloudwatch::Client::new(sdk)
        .describe_alarms()
        .set_alarm_names(Some(names))
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    let alarms: Vec<Value> = output
        .metric_alarms()
        .iter()
        .map(|alarm| {
            json!({
                "AlarmName": alarm.alarm_name(),
                "StateValue": alarm.state_value().map(|state| state.as_str()),
                "StateReason": alarm.state_reason(),
                "StateUpdatedTimestamp": alarm.state_updated_timestamp().map(|t| t.as_secs_f64()),
            })
        })
        .collect();
    json!({ "MetricAlarms": alarms, "CompositeAlarms": [] })
}

/// What `aws ssm get-calendar-state --calendar-names C --at-time T` prints for each of the
/// demo's calendars, at the moment the demo's approvals started waiting.
fn given(text: &Option<String>) -> Option<Given<'_>> {
    text.as_deref().map(|text| Given {
        name: "file.json",
        text,
    })
}

fn calendar_files(address: &str, since: Timestamp) -> Vec<(String, Value)> {
    demo_fixture()["calendars"]
        .as_object()
        .unwrap()
        .keys()
        .map(|calendar| {
            let input = json!({
                "CalendarNames": [calendar],
                "AtTime": since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            });
            let answer = call_target(address, "AmazonSSM.GetCalendarState", &input).unwrap();
            (calendar.clone(), answer)
        })
        .collect()
}

/// The evidence of one approval as files.
#[derive(Clone)]
struct Evidence {
    codepipeline: [Option<Value>; 4],
    alarms: Value,
    calendars: Vec<(String, Value)>,
}

async fn explain_from(evidence: &Evidence, pipeline: &str, stage: &str, action: &str) -> Explained {
    let [state, execution, actions, declaration] = evidence
        .codepipeline
        .each_ref()
        .map(|file| file.as_ref().map(Value::to_string));
    let problems = Problems::default();
    let files = FilesPipelines::read(
        pipeline,
        PipelineFiles {
            state: given(&state),
            executions: given(&execution).as_slice(),
            action_executions: given(&actions).as_slice(),
            declaration: given(&declaration),
        },
        problems.clone(),
    )
    .unwrap();
    let alarms = evidence.alarms.to_string();
    let alarms = FileAlarms::read(
        &[Given {
            name: "alarms.json",
            text: &alarms,
        }],
        at(),
        problems.clone(),
    )
    .unwrap();
    let calendar_texts: Vec<(String, String)> = evidence
        .calendars
        .iter()
        .map(|(calendar, answer)| (calendar.clone(), answer.to_string()))
        .collect();
    let calendar_files: Vec<(&str, Given<'_>)> = calendar_texts
        .iter()
        .map(|(calendar, text)| {
            (
                calendar.as_str(),
                Given {
                    name: "calendar.json",
                    text,
                },
            )
        })
        .collect();
    let calendars = FileCalendars::read(&calendar_files, problems.clone()).unwrap();
    let policy = Policy::from_json(&demo_policy()).unwrap();
    let gate =
        Gate::new(policy, settings(), files, None::<NoTopic>).with_conditions(alarms, calendars);
    let mut explained = gate
        .explain(pipeline, Some((stage, action)), at())
        .await
        .unwrap();
    assert_eq!(
        problems.list(),
        Vec::<String>::new(),
        "the files give every read"
    );
    assert_eq!(explained.len(), 1);
    explained.remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_from_files_decides_every_demo_notice_as_the_function_does() {
    let stand_in = demo_stand_in().await;
    let sdk = sdk_for(&stand_in).await;
    let policy = Policy::from_json(&demo_policy()).unwrap();
    let function = Gate::new(policy, settings(), CodePipeline::new(&sdk), None::<NoTopic>)
        .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk))
        .with_clock(at);
    let address = stand_in.address().to_string();
    let alarms = alarms_file(&sdk).await;
    // The demo's approvals started waiting an hour before the stand-in started.
    let since = at() - jiff::SignedDuration::from_hours(2);
    let calendars = {
        let address = address.clone();
        tokio::task::spawn_blocking(move || calendar_files(&address, since))
            .await
            .unwrap()
    };
    let mut rules_seen = Vec::new();
    let mut verdicts = Vec::new();
    for name in LIVE_NOTICES {
        let response = function.handle(&event(name)).await.unwrap();
        let report = &response.records[0];
        let target = report.target.clone().unwrap();
        let wire = {
            let (address, pipeline) = (address.clone(), target.pipeline.clone());
            tokio::task::spawn_blocking(move || evidence_files(&address, &pipeline))
                .await
                .unwrap()
        };
        let wire = Evidence {
            codepipeline: wire,
            alarms: alarms.clone(),
            calendars: calendars.clone(),
        };
        let mut printed = wire.clone();
        printed
            .codepipeline
            .iter_mut()
            .flatten()
            .chain([&mut printed.alarms])
            .for_each(as_cli_prints);
        for files in [&wire, &printed] {
            let Explained::Decided(explanation) =
                explain_from(files, &target.pipeline, &target.stage, &target.action).await
            else {
                panic!("{name}: the approval is waiting");
            };
            let decision = &explanation.decision;
            assert_eq!(
                (
                    Outcome::from(decision.verdict),
                    &decision.rule,
                    &decision.reasons
                ),
                (report.outcome, &report.rule, &report.reasons),
                "{name}"
            );
            assert_eq!(explanation.execution, report.execution_id.clone().unwrap());
        }
        verdicts.push(report.outcome.as_str());
        rules_seen.extend(report.rule.clone());
    }
    // The alarm and calendar rule is among them: explain reads CloudWatch and SSM as the
    // function does.
    assert!(
        rules_seen
            .iter()
            .any(|rule| rule == "checkout-while-healthy"),
        "{rules_seen:?}"
    );
    // The comparison covers every verdict.
    for verdict in ["approve", "reject", "abstain", "defer"] {
        assert!(verdicts.contains(&verdict), "{verdict} in {verdicts:?}");
    }
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_live_reads_codepipeline_and_never_answers() {
    let stand_in = demo_stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, demo_policy()).unwrap();
    let endpoint = stand_in.endpoint_url();
    let env = live_env(&endpoint);
    let policy = policy.to_str().unwrap().to_owned();
    let env = env.map(|(key, value)| (key, value.to_owned()));
    let output = tokio::task::spawn_blocking(move || {
        let env = env.each_ref().map(|(key, value)| (*key, value.as_str()));
        let args = [
            "explain",
            "--live",
            "--policy",
            &policy,
            "--pipeline",
            "web-shop",
        ];
        let text = cli(&args, &env);
        let json = cli(
            &[&args[..], &["--format", "json", "--exit-code"]].concat(),
            &env,
        );
        (text, json)
    })
    .await
    .unwrap();
    let (text, json) = output;
    assert_eq!(text.status.code(), Some(0), "{text:?}");
    let shown = stdout(&text);
    assert!(shown.contains("web-shop/Approve-Prod/Manual"), "{shown}");
    assert!(shown.contains("verdict: approve"), "{shown}");
    assert!(
        shown.contains("pass           Build/IntegrationTests succeeded"),
        "{shown}"
    );
    assert!(shown.contains("the gate would answer: Approved"), "{shown}");
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed["approvals"][0]["verdict"], "approve");
    assert_eq!(
        json.status.code(),
        Some(0),
        "every approval would be approved"
    );
    assert!(!stand_in.calls_to("GetPipelineState").is_empty());
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

#[test]
fn explain_exit_codes_say_what_went_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let policy = dir.join("policy.json");
    std::fs::write(&policy, demo_policy()).unwrap();
    let mut state = crate::common::demo_pipelines()
        .into_iter()
        .find(|state| state["pipelineName"] == "web-api")
        .unwrap();
    stand_in::waiting_for(&mut state, 60.0);
    let state_file = dir.join("state.json");
    std::fs::write(&state_file, state.to_string()).unwrap();
    let (policy, state_file) = (policy.to_str().unwrap(), state_file.to_str().unwrap());
    let base = ["explain", "--policy", policy, "--state", state_file];

    // Evidence the decision reads and no file gives is an error naming the command to
    // run, not a verdict decided without it (text or JSON).
    let output = cli(
        &[&base[..], &["--pipeline", "web-api", "--exit-code"]].concat(),
        &[],
    );
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(stdout(&output), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("run `aws codepipeline get-pipeline --name web-api --output json`"),
        "{stderr}"
    );
    let json = cli(
        &[&base[..], &["--pipeline", "web-api", "--format", "json"]].concat(),
        &[],
    );
    assert_eq!(json.status.code(), Some(3));
    let errors: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        errors["errors"][0]
            .as_str()
            .unwrap()
            .contains("--declaration"),
        "{errors}"
    );

    // A file about another pipeline, of another kind, or not JSON, is refused naming it.
    let other = cli(&[&base[..], &["--pipeline", "web-shop"]].concat(), &[]);
    assert_eq!(other.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains(r#"is about pipeline "web-api", not "web-shop""#),
        "{stderr}"
    );
    let wrong_kind = cli(
        &[
            &base[..],
            &["--pipeline", "web-api", "--declaration", state_file],
        ]
        .concat(),
        &[],
    );
    assert_eq!(wrong_kind.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&wrong_kind.stderr);
    assert!(
        stderr.contains(
            "looks like `aws codepipeline get-pipeline-state` output, but --declaration takes \
             `aws codepipeline get-pipeline` output"
        ),
        "{stderr}"
    );
    let yaml = dir.join("state.yaml");
    std::fs::write(
        &yaml,
        "pipelineName: web-api\nstageStates:\n- stageName: Source\n",
    )
    .unwrap();
    let as_yaml = cli(
        &[
            "explain",
            "--policy",
            policy,
            "--state",
            yaml.to_str().unwrap(),
            "--pipeline",
            "web-api",
        ],
        &[],
    );
    assert_eq!(as_yaml.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&as_yaml.stderr);
    assert!(
        stderr.contains("run the AWS CLI with --output json"),
        "{stderr}"
    );

    let gone = cli(
        &[
            "explain",
            "--policy",
            policy,
            "--state",
            "/nonexistent",
            "--pipeline",
            "x",
        ],
        &[],
    );
    assert_eq!(gone.status.code(), Some(3));
    let usage = cli(
        &["explain", "--policy", policy, "--pipeline", "web-api"],
        &[],
    );
    assert_eq!(usage.status.code(), Some(2), "neither --state nor --live");
    let declaration = dir.join("pipeline.json");
    let declared = json!({"pipeline": {"name": "web-api", "stages": [],
        "roleArn": "arn:aws:iam::111122223333:role/pipeline", "executionMode": "SUPERSEDED"}});
    std::fs::write(&declaration, declared.to_string()).unwrap();
    let not_waiting = cli(
        &[
            &base[..],
            &[
                "--declaration",
                declaration.to_str().unwrap(),
                "--pipeline",
                "web-api",
                "--stage",
                "Build",
                "--action",
                "Compile",
            ],
        ]
        .concat(),
        &[],
    );
    assert_eq!(not_waiting.status.code(), Some(0), "{not_waiting:?}");
    assert!(stdout(&not_waiting).contains("the gate would answer: nothing"));
}

#[test]
fn validate_prints_each_error_with_its_place_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let good = dir.join("good.json");
    std::fs::write(&good, demo_policy()).unwrap();
    let bad = dir.join("bad.json");
    let text = r#"{"rules": [{"name": "a", "windows": {"timezone": "UTC",
        "allow": [{"days": ["mon"], "from": "25:00", "to": "10:00"}]}}]}"#;
    std::fs::write(&bad, text).unwrap();
    let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());

    let ok = cli(&["validate", good], &[]);
    assert_eq!(
        (ok.status.code(), stdout(&ok).trim()),
        (Some(0), "1 policy valid")
    );

    let text = cli(&["validate", good, bad], &[]);
    assert_eq!(text.status.code(), Some(1));
    assert_eq!(
        stdout(&text),
        format!(
            "{bad}: rules[0].windows.allow[0].from: expected a time \"HH:MM\" from 00:00 to \
             23:59, got \"25:00\"\n"
        )
    );
    let json = cli(&["validate", "--format", "json", good, bad], &[]);
    assert_eq!(json.status.code(), Some(1));
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed["valid"], false);
    assert_eq!(parsed["errors"][0]["file"], bad);
    assert_eq!(
        parsed["errors"][0]["path"],
        "rules[0].windows.allow[0].from"
    );

    assert_eq!(
        cli(&["validate", "/nonexistent.json"], &[]).status.code(),
        Some(3)
    );
    assert_eq!(cli(&["validate"], &[]).status.code(), Some(2));
}

#[test]
fn calendar_lists_periods_freezes_and_clock_changes_in_the_rules_zone() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let policy = dir.join("policy.json");
    let text = r#"{"rules": [{"name": "prod", "windows": {"timezone": "Europe/Berlin",
        "allow": [{"days": ["fri", "mon"], "from": "09:00", "to": "17:00"}],
        "freeze": [{"from": "2027-03-29T12:00", "to": "2027-03-30T00:00", "reason": "audit"}]}}]}"#;
    std::fs::write(&policy, text).unwrap();
    let policy = policy.to_str().unwrap();
    let args = [
        "calendar",
        "--policy",
        policy,
        "--from",
        "2027-03-26",
        "--days",
        "4",
    ];
    let output = cli(&args, &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "rule prod (Europe/Berlin), Fri 2027-03-26 00:00 CET to Tue 2027-03-30 00:00 CEST\n\
         \x20 at the start: closed, outside every allow window; now Fri 2027-03-26 00:00 CET (Europe/Berlin)\n\
         \x20 opens next: Fri 2027-03-26 09:00 CET (Europe/Berlin)\n\
         \x20 Fri 2027-03-26 00:00 CET to Fri 2027-03-26 09:00 CET  outside every allow window\n\
         \x20 Fri 2027-03-26 09:00 CET to Fri 2027-03-26 17:00 CET  may approve\n\
         \x20 Fri 2027-03-26 17:00 CET to Mon 2027-03-29 09:00 CEST  outside every allow window\n\
         \x20 -- clock change at Sun 2027-03-28 03:00 CEST: clocks go from 02:00 CET to 03:00 CEST (+1h)\n\
         \x20 Mon 2027-03-29 09:00 CEST to Mon 2027-03-29 12:00 CEST  may approve\n\
         \x20 Mon 2027-03-29 12:00 CEST to Tue 2027-03-30 00:00 CEST  frozen by \"audit\" (2027-03-29 12:00 to 2027-03-30 00:00 Europe/Berlin)\n"
    );
    let unknown = cli(&["calendar", "--policy", policy, "--rule", "nope"], &[]);
    assert_eq!(unknown.status.code(), Some(1));
}

/// The rules of the iCalendar test: Berlin's clocks go forward on Sunday 2027-03-28 and a
/// freeze with a hostile reason starts on Monday; a second rule, with a hostile name long
/// enough to be folded, lives in UTC.
const ICS_RULES: [&str; 2] = [
    "prod",
    "night; \"ops\", ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé \\ 🦀🦀🦀🦀🦀🦀",
];
const ICS_FREEZE: &str = "audit, Q1; week\\end 🦀";

fn ics_policy(dir: &std::path::Path) -> String {
    let policy = json!({"rules": [
        {"name": ICS_RULES[0], "match": {"stage": "Prod"}, "windows": {
            "timezone": "Europe/Berlin",
            "allow": [{"days": ["fri", "mon"], "from": "09:00", "to": "17:00"}],
            "freeze": [{"from": "2027-03-29T12:00", "to": "2027-03-30T00:00", "reason": ICS_FREEZE}]}},
        {"name": ICS_RULES[1], "windows": {
            "timezone": "UTC",
            "allow": [{"days": ["sat"], "from": "22:00", "to": "23:00"}]}}
    ]});
    let path = dir.join("policy.json");
    std::fs::write(&path, policy.to_string()).unwrap();
    path.to_str().unwrap().to_owned()
}

/// One observance of a VTIMEZONE as a reader takes it: from `onset` (UTC) the zone's clock
/// is `offset` seconds ahead of UTC and called `name`.
#[derive(Debug, PartialEq)]
struct Observance {
    onset: Timestamp,
    offset: i64,
    name: String,
}

fn utc_offset_seconds(text: &str) -> i64 {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits: Vec<i64> = text
        .get(1..)
        .unwrap()
        .as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).unwrap().parse().unwrap())
        .collect();
    sign * (digits[0] * 3600 + digits[1] * 60 + digits.get(2).copied().unwrap_or(0))
}

fn civil(text: &str) -> jiff::civil::DateTime {
    jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", text).unwrap()
}

fn utc_of(civil: jiff::civil::DateTime, offset: i64) -> Timestamp {
    civil
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        - jiff::SignedDuration::from_secs(offset)
}

/// A VTIMEZONE's observances, read from the parsed component (DTSTART is local time in the
/// offset in force before the onset, TZOFFSETFROM).
fn observances(zone: &icalendar::parser::Component<'_>) -> Vec<Observance> {
    let mut all: Vec<Observance> = zone
        .components
        .iter()
        .map(|observance| {
            let value = |name: &str| observance.find_prop(name).unwrap().val.as_str().to_owned();
            Observance {
                onset: utc_of(
                    civil(&value("DTSTART")),
                    utc_offset_seconds(&value("TZOFFSETFROM")),
                ),
                offset: utc_offset_seconds(&value("TZOFFSETTO")),
                name: value("TZNAME"),
            }
        })
        .collect();
    all.sort_by_key(|observance| observance.onset);
    all
}

/// A DTSTART or DTEND as the text listing writes it ("Mon 2027-03-29 09:00 CEST"), with the
/// instant it names: a local time resolved through the calendar's own VTIMEZONE (the first
/// observance that can hold it, as RFC 5545 reads a repeated hour), or a UTC time.
fn resolve(
    when: icalendar::DatePerhapsTime,
    zones: &std::collections::BTreeMap<String, Vec<Observance>>,
) -> (String, Timestamp) {
    use icalendar::{CalendarDateTime, DatePerhapsTime};
    let show = |civil: jiff::civil::DateTime, name: &str| {
        format!("{} {name}", civil.strftime("%a %Y-%m-%d %H:%M"))
    };
    match when {
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let local = civil(&date_time.format("%Y%m%dT%H%M%S").to_string());
            let observances = &zones[&tzid];
            let (at, name) = observances
                .iter()
                .enumerate()
                .find_map(|(i, observance)| {
                    let at = utc_of(local, observance.offset);
                    let ends = observances
                        .get(i + 1)
                        .map_or(Timestamp::MAX, |next| next.onset);
                    (observance.onset <= at && at < ends).then_some((at, &observance.name))
                })
                .unwrap();
            (show(local, name), at)
        }
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(at)) => {
            let at = Timestamp::from_second(at.timestamp()).unwrap();
            let local = at.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime();
            (show(local, "UTC"), at)
        }
        other => panic!("expected a local or UTC date-time, got {other:?}"),
    }
}

/// The periods of the text listing, as (summary, start, end) in the words of the iCalendar.
fn text_periods(text: &str) -> Vec<(String, String, String)> {
    let mut rule = None;
    let mut periods = Vec::new();
    for line in text.lines() {
        if line.starts_with("rule ") {
            rule = Some(rule.map_or(0, |i| i + 1));
            continue;
        }
        let Some((span, state)) = line.strip_prefix("  ").and_then(|l| l.split_once("  ")) else {
            continue;
        };
        let Some((start, end)) = span.split_once(" to ") else {
            continue;
        };
        let state = match state {
            "may approve" => "may approve".to_owned(),
            "outside every allow window" => "outside allow windows".to_owned(),
            frozen => {
                assert!(
                    frozen.starts_with(&format!("frozen by \"{ICS_FREEZE}\"")),
                    "{frozen}"
                );
                format!("frozen: {ICS_FREEZE}")
            }
        };
        let name = ICS_RULES[rule.unwrap()];
        periods.push((format!("{name}: {state}"), start.to_owned(), end.to_owned()));
    }
    periods
}

#[test]
fn calendar_as_ics_is_one_icalendar_a_parser_reads_with_the_text_listings_periods() {
    use icalendar::{Component as _, EventLike as _};
    let dir = tempfile::tempdir().unwrap();
    let policy = ics_policy(dir.path());
    let args = [
        "calendar",
        "--policy",
        &policy,
        "--from",
        "2027-03-26",
        "--days",
        "4",
    ];
    let text = cli(&args, &[]);
    assert_eq!(text.status.code(), Some(0));
    let expected = text_periods(&stdout(&text));
    assert_eq!(expected.len(), 8, "{}", stdout(&text));
    let output = cli(&[&args[..], &["--format", "ics"]].concat(), &[]);
    assert_eq!(output.status.code(), Some(0));
    let ics = String::from_utf8(output.stdout).unwrap();

    // CRLF line endings only, and no physical line longer than 75 octets.
    let physical: Vec<&str> = ics.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    assert!(physical.iter().all(|line| !line.contains(['\r', '\n'])));
    assert!(physical.iter().all(|line| line.len() <= 75));
    assert!(
        physical.iter().any(|line| line.starts_with(' ')),
        "nothing was folded"
    );

    let unfolded = icalendar::parser::unfold(&ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    let property = |name: &str| {
        calendar
            .properties
            .iter()
            .find(|property| property.name == name)
            .map(|property| property.val.as_str().to_owned())
    };
    assert_eq!(property("VERSION").as_deref(), Some("2.0"));
    assert_eq!(property("CALSCALE").as_deref(), Some("GREGORIAN"));
    assert!(property("PRODID").is_some());

    // One VTIMEZONE, Berlin's (UTC needs none), with the offsets in force across the change.
    let zones: std::collections::BTreeMap<String, Vec<Observance>> = calendar
        .components
        .iter()
        .filter(|component| component.name == "VTIMEZONE")
        .map(|zone| {
            let id = zone.find_prop("TZID").unwrap().val.as_str().to_owned();
            (id, observances(zone))
        })
        .collect();
    assert_eq!(zones.keys().collect::<Vec<_>>(), ["Europe/Berlin"]);
    assert_eq!(
        zones["Europe/Berlin"],
        [
            Observance {
                onset: "2026-10-25T01:00:00Z".parse().unwrap(),
                offset: 3600,
                name: "CET".into()
            },
            Observance {
                onset: "2027-03-28T01:00:00Z".parse().unwrap(),
                offset: 7200,
                name: "CEST".into()
            },
        ]
    );

    // The events: the text listing's periods, in its order, at the same local times.
    let typed = icalendar::Calendar::from(calendar.clone());
    let events: Vec<&icalendar::Event> = typed
        .components
        .iter()
        .filter_map(|component| match component {
            icalendar::CalendarComponent::Event(event) => Some(event),
            _ => None,
        })
        .collect();
    let mut instants = Vec::new();
    let periods: Vec<(String, String, String)> = events
        .iter()
        .map(|event| {
            let (start, from) = resolve(event.get_start().unwrap(), &zones);
            let (end, to) = resolve(event.get_end().unwrap(), &zones);
            assert!(from < to);
            instants.push((from, to));
            (event.get_summary().unwrap().to_owned(), start, end)
        })
        .collect();
    assert_eq!(periods, expected);
    // Friday's window opens at 09:00 CET, Monday's at 09:00 CEST: an hour apart in UTC.
    assert_eq!(instants[1].0, "2027-03-26T08:00:00Z".parse().unwrap());
    assert_eq!(instants[3].0, "2027-03-29T07:00:00Z".parse().unwrap());
    // Each rule's periods follow one another without a gap.
    assert!(instants[..5].windows(2).all(|pair| pair[0].1 == pair[1].0));

    for event in &events {
        assert_eq!(event.property_value("TRANSP"), Some("TRANSPARENT"));
        assert!(
            event
                .get_description()
                .is_some_and(|text| text.contains('\n'))
        );
        assert!(event.get_timestamp().is_some());
    }
    let categories: Vec<Vec<String>> = events
        .iter()
        .map(|event| event.get_categories().unwrap())
        .collect();
    assert_eq!(categories[4], ["approval-gate", "frozen"]);
    assert_eq!(categories[3], ["approval-gate", "open"]);
    assert_eq!(categories[0], ["approval-gate", "outside"]);

    // UIDs: one per event, and the same from another run (a re-import updates the events).
    let uids = |ics: &str| -> Vec<String> {
        icalendar::parser::unfold(ics)
            .lines()
            .filter_map(|line| line.strip_prefix("UID:").map(str::to_owned))
            .collect()
    };
    let first = uids(&ics);
    assert_eq!(first.len(), expected.len());
    assert_eq!(
        first
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        first.len()
    );
    let again = cli(&[&args[..], &["--format", "ics"]].concat(), &[]);
    assert_eq!(uids(&String::from_utf8(again.stdout).unwrap()), first);
}

#[test]
fn calendar_as_ics_refuses_a_policy_without_windows() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"rules": [{"name": "any"}]}"#).unwrap();
    let policy = policy.to_str().unwrap();
    for rule in [&[][..], &["--rule", "any"][..]] {
        let args = [
            &["calendar", "--policy", policy, "--format", "ics"][..],
            rule,
        ]
        .concat();
        let output = cli(&args, &[]);
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        assert!(String::from_utf8_lossy(&output.stderr).contains("may approve at any time"));
    }
}

#[test]
fn schema_prints_the_checked_in_policy_schema() {
    let output = cli(&["schema"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, approval_gate::policy::json_schema());
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_finds_a_parallel_pipelines_approvals_live_and_from_files() {
    use crate::execution_modes::{EXECUTIONS, PIPELINE, POLICY, parallel};
    let stand_in = parallel("Failed").await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    // The files as `aws codepipeline … --output json` prints them: the state (no tokens),
    // the declaration (its mode), and every action execution of the pipeline.
    let address = stand_in.address().to_string();
    let state = call(&address, "GetPipelineState", &json!({ "name": PIPELINE })).unwrap();
    let declaration = call(&address, "GetPipeline", &json!({ "name": PIPELINE })).unwrap();
    let actions = call(
        &address,
        "ListActionExecutions",
        &json!({ "pipelineName": PIPELINE }),
    )
    .unwrap();
    let execution = |id: &str| {
        call(
            &address,
            "GetPipelineExecution",
            &json!({ "pipelineName": PIPELINE, "pipelineExecutionId": id }),
        )
        .unwrap()
    };
    let executions = [execution(EXECUTIONS[0]), execution(EXECUTIONS[1])];
    let file = |name: &str, value: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, value.to_string()).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (state, declaration, actions, first, second) = (
        file("state.json", &state),
        file("pipeline.json", &declaration),
        file("actions.json", &actions),
        file("execution-1.json", &executions[0]),
        file("execution-2.json", &executions[1]),
    );
    let endpoint = stand_in.endpoint_url();
    let policy = policy.to_str().unwrap().to_owned();
    let (live, files, one) = tokio::task::spawn_blocking(move || {
        let env = live_env(&endpoint);
        let live = cli(
            &[
                "explain",
                "--live",
                "--policy",
                &policy,
                "--pipeline",
                PIPELINE,
                "--format",
                "json",
            ],
            &env,
        );
        let files = [
            "explain",
            "--policy",
            &policy,
            "--state",
            &state,
            "--declaration",
            &declaration,
            "--action-executions",
            &actions,
            "--pipeline",
            PIPELINE,
            "--format",
            "json",
            "--execution",
            &first,
        ];
        let one = cli(&files, &[]);
        let both = cli(&[&files[..], &[second.as_str()]].concat(), &[]);
        (live, both, one)
    })
    .await
    .unwrap();

    let decided = |how: &str, output: &std::process::Output| {
        assert_eq!(output.status.code(), Some(0), "{how}: {output:?}");
        let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut decided: Vec<(String, String)> = parsed["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|approval| {
                (
                    approval["execution"].as_str().unwrap_or("-").to_owned(),
                    approval["verdict"]
                        .as_str()
                        .unwrap_or("not waiting")
                        .to_owned(),
                )
            })
            .collect();
        decided.sort();
        decided
    };
    assert_eq!(
        decided("live", &live),
        [
            (EXECUTIONS[0].to_owned(), "approve".to_owned()),
            (EXECUTIONS[1].to_owned(), "reject".to_owned()),
        ]
    );
    // From files, each execution's get-pipeline-execution output is needed (its status is
    // read, as the function reads it): with both, the same decisions as live; with one,
    // no verdict, and the command to run for the other.
    assert_eq!(decided("files", &files), decided("live", &live));
    assert_eq!(one.status.code(), Some(3), "{one:?}");
    let errors: Value = serde_json::from_slice(&one.stdout).unwrap();
    let errors = errors["errors"].to_string();
    assert!(
        errors.contains(&format!(
            "execution {}, and the --execution output is about execution {}",
            EXECUTIONS[1], EXECUTIONS[0]
        )),
        "{errors}"
    );
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

/// The `approval-gate-cli` commands in docs/cli.md's `sh` blocks, with the `text` block that
/// follows each block when there is one.
fn documented_commands() -> Vec<(Vec<String>, Option<String>)> {
    let text =
        std::fs::read_to_string(format!("{}/docs/cli.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```").filter(|lang| !lang.is_empty()) {
            let body: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
            blocks.push((lang.to_owned(), body.join("\n")));
        } else if line == "```" {
            let body: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
            blocks.push((String::new(), body.join("\n")));
        }
    }
    let mut commands = Vec::new();
    for (index, (lang, body)) in blocks.iter().enumerate() {
        if lang != "sh" {
            continue;
        }
        let joined = body.replace("\\\n", " ");
        let expected = blocks
            .get(index + 1)
            .filter(|(lang, _)| lang == "text")
            .map(|(_, body)| format!("{body}\n"));
        let runs: Vec<Vec<String>> = joined
            .lines()
            .filter_map(|line| line.trim().strip_prefix("approval-gate-cli "))
            .map(|args| {
                // A redirection or pipe is the shell's: the command is what comes before.
                args.split_whitespace()
                    .take_while(|arg| !matches!(*arg, ">" | "|" | ">>"))
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        let single = runs.len() == 1;
        for args in runs {
            commands.push((args, expected.clone().filter(|_| single)));
        }
    }
    commands
}

#[test]
fn every_documented_command_on_the_repositorys_files_runs_as_documented() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut ran = 0;
    for (args, expected) in documented_commands() {
        // Commands on the reader's own files (policy.json, --live) cannot run here.
        let files_exist = args
            .iter()
            .filter(|arg| arg.ends_with(".json"))
            .all(|path| {
                std::path::Path::new(root)
                    .join(path.rsplit('=').next().unwrap())
                    .exists()
            });
        if !files_exist || args.iter().any(|arg| arg == "--live") {
            continue;
        }
        let output = Command::new(env!("CARGO_BIN_EXE_approval-gate-cli"))
            .args(&args)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?}: {output:?}"
        );
        if let Some(expected) = expected {
            assert_eq!(stdout(&output), expected, "{args:?}");
        }
        ran += 1;
    }
    // The worked explain examples with every kind of check are among them.
    assert!(ran >= 4, "{ran} documented commands ran");
}

/// `explain --live` and `explain` from the same answers as files, through the binary.
async fn live_and_files(stand_in: &stand_in::StandIn, pipeline: &'static str) -> [Output; 2] {
    let address = stand_in.address().to_string();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, demo_policy()).unwrap();
    let paths = {
        let dir = dir.path().to_owned();
        tokio::task::spawn_blocking(move || {
            evidence_files(&address, pipeline).map(|file| {
                file.map(|file| {
                    let path = dir.join(format!("{}.json", first_member(&file)));
                    std::fs::write(&path, file.to_string()).unwrap();
                    path.to_str().unwrap().to_owned()
                })
            })
        })
        .await
        .unwrap()
    };
    let endpoint = stand_in.endpoint_url();
    let policy = policy.to_str().unwrap().to_owned();
    let outputs = tokio::task::spawn_blocking(move || {
        let common = [
            "explain",
            "--policy",
            &policy,
            "--pipeline",
            pipeline,
            "--format",
            "json",
        ];
        let env = live_env(&endpoint);
        let live = cli(&[&common[..], &["--live"]].concat(), &env);
        let mut args: Vec<&str> = common.to_vec();
        for (option, path) in [
            "--state",
            "--execution",
            "--action-executions",
            "--declaration",
        ]
        .into_iter()
        .zip(&paths)
        {
            if let Some(path) = path {
                args.extend([option, path.as_str()]);
            }
        }
        [live, cli(&args, &[])]
    })
    .await
    .unwrap();
    drop(dir);
    outputs
}

/// A file name from the answer's first member, so the four files never collide.
fn first_member(file: &Value) -> String {
    file.as_object()
        .and_then(|members| members.keys().next().cloned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn files_and_live_answers_are_refused_or_read_alike() {
    // StageExecution.status is required: the SDK refuses the answer, so --live cannot read
    // the pipeline, and the same answer as a file is refused too.
    let stand_in = demo_stand_in().await;
    let mut state = crate::common::demo_pipelines()
        .into_iter()
        .find(|state| state["pipelineName"] == "web-shop")
        .unwrap();
    stand_in::waiting_for(&mut state, 600.0);
    for stage in state["stageStates"].as_array_mut().unwrap() {
        if let Some(execution) = stage["latestExecution"].as_object_mut() {
            execution.remove("status");
        }
    }
    stand_in.put_pipeline(state);
    let address = stand_in.address().to_string();
    let refused = tokio::task::spawn_blocking(move || {
        call(&address, "GetPipelineState", &json!({"name": "web-shop"})).unwrap()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (policy, state_file) = (
        dir.path().join("policy.json"),
        dir.path().join("state.json"),
    );
    std::fs::write(&policy, demo_policy()).unwrap();
    std::fs::write(&state_file, refused.to_string()).unwrap();
    let from_file = cli(
        &[
            "explain",
            "--policy",
            policy.to_str().unwrap(),
            "--pipeline",
            "web-shop",
            "--state",
            state_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(from_file.status.code(), Some(3), "{from_file:?}");
    let endpoint = stand_in.endpoint_url();
    let policy_path = policy.to_str().unwrap().to_owned();
    let live = tokio::task::spawn_blocking(move || {
        let env = live_env(&endpoint);
        let args = [
            "explain",
            "--policy",
            &policy_path,
            "--pipeline",
            "web-shop",
            "--live",
        ];
        cli(&args, &env)
    })
    .await
    .unwrap();
    assert_eq!(live.status.code(), Some(3), "{live:?}");

    // ActionTypeId.owner is required too: --live cannot read the attempts without it, and
    // neither can the files.
    let stand_in = demo_stand_in().await;
    let mut runs = crate::common::shop_runs("Succeeded");
    for run in &mut runs {
        if let Some(id) = run["input"]["actionTypeId"].as_object_mut() {
            id.remove("owner");
        }
    }
    stand_in.put_action_executions("web-shop", runs);
    let [live, files] = live_and_files(&stand_in, "web-shop").await;
    assert_eq!(live.status.code(), Some(3), "{live:?}");
    assert_eq!(files.status.code(), Some(3), "{files:?}");
    let stderr = String::from_utf8_lossy(&files.stderr);
    assert!(stderr.contains("list-action-executions"), "{stderr}");

    // The same answers whole: both read them, and decide alike.
    let stand_in = demo_stand_in().await;
    let [live, files] = live_and_files(&stand_in, "web-shop").await;
    let verdicts = |output: &Output| {
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
        parsed["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|approval| (approval["verdict"].clone(), approval["reasons"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(verdicts(&live), verdicts(&files));
    assert_eq!(verdicts(&live)[0].0, "approve");
}
