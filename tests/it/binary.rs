//! The release artifact's behaviour: the real `approval-gate` binary, driven through the
//! Lambda Runtime API, calling the stand-in through the real SDK. It approves exactly what
//! the documented policy says, and nothing else.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::*;
use stand_in::{Fault, Invocation, RuntimeApi, StandIn};

mod events;
mod execution_modes;
mod produced;
mod robustness;
mod wakeups;

const WAIT: Duration = Duration::from_secs(60);

struct Function {
    child: Child,
    /// Stdout and stderr, read as they come: a function that logs more than a pipe holds
    /// would otherwise block, and a leak would show as a timeout instead of the leak.
    output: Vec<JoinHandle<Vec<u8>>>,
}

impl Function {
    fn start(runtime: &RuntimeApi, stand_in: &StandIn, policy: &str) -> Self {
        Self::start_with(runtime, stand_in, policy, &[])
    }

    fn start_with(
        runtime: &RuntimeApi,
        stand_in: &StandIn,
        policy: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let mut command = Self::command(runtime, stand_in);
        command.env("GATE_POLICY", policy).envs(env.iter().copied());
        Self::spawn(command)
    }

    /// The function as Lambda runs it, against the stand-in, with no policy source yet.
    fn command(runtime: &RuntimeApi, stand_in: &StandIn) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_approval-gate"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "approval-gate")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_ENDPOINT_URL", stand_in.endpoint_url())
            .env("GATE_TOKEN_WAIT_SECONDS", "1")
            .env(
                "GATE_DECISION_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:decisions",
            );
        command
    }

    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().map(|pipe| read_all(Box::new(pipe)));
        let stderr = child.stderr.take().map(|pipe| read_all(Box::new(pipe)));
        let output = stdout.into_iter().chain(stderr).collect();
        Self { child, output }
    }

    /// Stops the function and returns everything it logged.
    fn logs(mut self) -> String {
        let _ = self.child.kill();
        self.child.wait().unwrap();
        self.output
            .drain(..)
            .map(|reader| String::from_utf8_lossy(&reader.join().unwrap()).into_owned())
            .collect()
    }
}

fn read_all(mut pipe: Box<dyn Read + Send>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn outcome(invocation: &Invocation) -> String {
    match invocation {
        Invocation::Response(body) => body["records"][0]["outcome"].as_str().unwrap().to_owned(),
        Invocation::Error { body, .. } => format!("error {}", body["errorType"]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decides_every_sample_event_as_the_policy_says() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &demo_policy());

    let expected = [
        ("approved-by-rule", "approve"),
        ("rejected-by-rule", "reject"),
        ("no-rule-matches", "abstain"),
        ("stale-token", "stale"),
        ("not-an-approval-notice", "dropped"),
        ("malformed-notice", "dropped"),
        ("revision-latest-main", "approve"),
        ("revision-stale", "reject"),
        ("revision-skip-auto-approve", "abstain"),
        ("revision-feature-branch", "reject"),
        ("outside-window", "defer"),
        ("deferred-by-alarm", "defer"),
        ("deferred-by-freeze", "defer"),
        ("approval-started-payments", "approve"),
    ];
    let mut outcomes = Vec::new();
    for (name, _) in expected {
        let invocation = runtime.invoke(event(name), WAIT).await.unwrap();
        outcomes.push((name, outcome(&invocation)));
    }
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    let expected: Vec<(&str, String)> = expected.iter().map(|(n, o)| (*n, o.to_string())).collect();
    assert_eq!(outcomes, expected);
    let mut answers: Vec<_> = stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            format!(
                "{} {}",
                call.body["pipelineName"], call.body["result"]["status"]
            )
        })
        .collect();
    answers.sort();
    assert_eq!(
        answers,
        vec![
            "\"api-feature\" \"Rejected\"",
            "\"api-orders\" \"Approved\"",
            "\"api-stale\" \"Rejected\"",
            "\"web-api\" \"Rejected\"",
            "\"web-payments\" \"Approved\"",
            "\"web-shop\" \"Approved\"",
        ],
        "exactly what the policy says, and nothing else"
    );
    let Invocation::Response(sweep) = sweep else {
        panic!("the sweep failed: {sweep:?}");
    };
    assert_eq!(
        sweep["sweep"]["pending"], 4,
        "api-skip, reports-nightly, release-train (frozen) and web-checkout (its alarm firing) \
         still wait"
    );
    assert_eq!(sweep["sweep"]["answered"], 0);
    assert_eq!(
        stand_in.calls_to("Publish").len(),
        12,
        "every decision about an approval is told; dropped records are not"
    );

    let logs = function.logs();
    let decisions: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "decision")
        .collect();
    assert_eq!(
        decisions.len(),
        14,
        "one structured line per decision:\n{logs}"
    );
    // The Embedded Metric Format: documents on stdout beside the log lines.
    let metrics: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect();
    let counted = |verdict: &str, answer: &str| {
        metrics
            .iter()
            .filter(|document| document["Verdict"] == verdict && document["Answer"] == answer)
            .count()
    };
    assert_eq!(counted("approve", "sent"), 3, "{logs}");
    assert_eq!(counted("reject", "sent"), 3, "{logs}");
    let answered = metrics
        .iter()
        .find(|document| document["Answer"] == "sent")
        .unwrap();
    assert_eq!(
        answered["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "ApprovalGate"
    );
    assert!(
        answered["AnswerLatency"].as_f64().unwrap() >= 0.0,
        "{answered}"
    );
    let swept = metrics
        .iter()
        .find(|document| document.get("SweepPending").is_some())
        .expect("the sweep's figures are a metric");
    assert_eq!(swept["SweepPending"], 4.0);
    let approved = &decisions[0]["fields"];
    assert_eq!(approved["pipeline"], "web-shop");
    assert_eq!(approved["verdict"], "approve");
    assert_eq!(approved["rule"], "prod-after-tests");
    assert_eq!(
        approved["execution_id"],
        "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60"
    );
    for token in [
        "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31",
        "9a7d2c4e-1b3f-4d5a-8e6c-7b9a0d1c2e42",
    ] {
        assert!(!logs.contains(token), "a token leaked into the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_state_read_is_an_error_lambda_retries() {
    let stand_in = demo_stand_in().await;
    stand_in.inject_times(
        "GetPipelineState",
        Fault::error(400, "ThrottlingException"),
        100,
    );
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, &demo_policy());

    let invocation = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&invocation), "error \"ApprovalGate.ReadFailed\"");
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_policy_stops_the_function_at_init_naming_the_place() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let mut function = Function::start(
        &runtime,
        &stand_in,
        r#"{"rules":[{"name":"prod","match":{"stage":"Prod [eu]"}}]}"#,
    );

    let init_error = runtime.init_error(WAIT).await.expect("an init error");

    assert_eq!(init_error["errorType"], "ApprovalGate.InvalidPolicy");
    let message = init_error["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("invalid policy at rules[0].match.stage: "),
        "{message}"
    );
    let status = function.child.wait().unwrap();
    assert!(!status.success());
    assert!(stand_in.calls().is_empty());
}

/// The policy from AppConfig, as `main` wires it: read at cold start through the real SDK,
/// and an unreadable one stops the function before it decides anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_from_appconfig_decides_and_a_missing_one_stops_the_function() {
    let stand_in = demo_stand_in().await;
    stand_in.put_configuration("gate", "prod", "policy", &demo_policy());
    let runtime = RuntimeApi::start().await.unwrap();
    let mut command = Function::command(&runtime, &stand_in);
    command.env("GATE_POLICY_APPCONFIG", "gate/prod/policy");
    let function = Function::spawn(command);

    let invocation = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&invocation), "approve");
    assert_eq!(stand_in.calls_to("StartConfigurationSession").len(), 1);
    assert_eq!(stand_in.accepted_answers().len(), 1);
    drop(function.logs());

    let runtime = RuntimeApi::start().await.unwrap();
    let mut command = Function::command(&runtime, &stand_in);
    command.env("GATE_POLICY_APPCONFIG", "gate/prod/no-such-profile");
    let mut function = Function::spawn(command);
    let init_error = runtime.init_error(WAIT).await.expect("an init error");
    assert_eq!(init_error["errorType"], "ApprovalGate.PolicyUnreadable");
    assert!(!function.child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn even_at_trace_level_the_token_is_never_logged() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start_with(
        &runtime,
        &stand_in,
        &demo_policy(),
        &[("AWS_LAMBDA_LOG_LEVEL", "TRACE"), ("RUST_LOG", "trace")],
    );

    for name in ["approved-by-rule", "revision-latest-main"] {
        let invocation = runtime.invoke(event(name), WAIT).await.unwrap();
        assert_eq!(outcome(&invocation), "approve");
    }

    let logs = function.logs();
    assert!(logs.contains("decision"), "the function logged:\n{logs}");
    for token in [
        "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31",
        "a3a115bd-13ab-418c-8c4b-8ce3aadd95b9",
    ] {
        assert!(!logs.contains(token), "a token leaked into the TRACE logs");
    }
}

/// The tokens of the demo's pipeline states: the sweep reads them all. A few double as
/// another pipeline's execution id, which the logs show by design; those are left out.
fn demo_tokens() -> Vec<String> {
    fn collect(
        value: &serde_json::Value,
        key: &str,
        tokens: &mut Vec<String>,
        other: &mut Vec<String>,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    collect(value, key, tokens, other);
                }
            }
            serde_json::Value::Array(values) => {
                for value in values {
                    collect(value, key, tokens, other);
                }
            }
            serde_json::Value::String(text) if key == "token" => tokens.push(text.clone()),
            serde_json::Value::String(text) => other.push(text.clone()),
            _ => {}
        }
    }
    let (mut tokens, mut other) = (Vec::new(), Vec::new());
    collect(&demo_fixture(), "", &mut tokens, &mut other);
    tokens.retain(|token| !other.contains(token));
    assert!(
        tokens.len() >= 5,
        "the demo has waiting approvals: {tokens:?}"
    );
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directive_naming_the_runtime_and_sdk_at_trace_does_not_log_the_token() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let directive =
        "lambda_runtime::layers=trace,aws_smithy_runtime::client::orchestrator::http=trace,trace";
    let function = Function::start_with(
        &runtime,
        &stand_in,
        &demo_policy(),
        &[("RUST_LOG", directive)],
    );
    let notice = event("approved-by-rule");
    let token = notice_of(&notice)["approval"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let invocation = runtime.invoke(notice, WAIT).await.unwrap();
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&invocation), "approve");
    assert!(matches!(sweep, Invocation::Response(_)), "{sweep:?}");
    let logs = function.logs();
    assert!(
        logs.contains(r#""level":"DEBUG""#),
        "the directive took effect for the gate itself:\n{logs}"
    );
    for token in demo_tokens().into_iter().chain([token]) {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(&token)).collect();
        assert!(leaks.is_empty(), "the token {token} leaked:\n{leaks:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_error_level_the_decision_line_is_still_logged() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start_with(
        &runtime,
        &stand_in,
        &demo_policy(),
        &[("AWS_LAMBDA_LOG_LEVEL", "ERROR")],
    );

    let invocation = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&invocation), "approve");
    let logs = function.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let said = |message: &str| {
        lines
            .iter()
            .filter(|line| line["fields"]["message"] == message)
            .count()
    };
    assert_eq!(said("approval-gate ready"), 1, "{logs}");
    assert_eq!(said("decision"), 1, "{logs}");
    let decision = lines
        .iter()
        .find(|line| line["fields"]["message"] == "decision")
        .unwrap();
    assert_eq!(decision["level"], "INFO");
    assert_eq!(decision["fields"]["pipeline"], "web-shop");
    assert_eq!(decision["fields"]["verdict"], "approve");
}

/// The release binary on pipelines shaped a little differently from the samples: each
/// once got an answer it must not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_pipelines_and_forged_notice_fields_never_get_an_answer_they_must_not() {
    let stand_in = demo_stand_in().await;
    // web-shop's Build stage was skipped in the execution under approval: the state keeps
    // the successes of an earlier run, ListActionExecutions has no Build attempt.
    let mut shop = stand_in.pipeline("web-shop").unwrap();
    shop["stageStates"][1]["latestExecution"]["status"] = "Skipped".into();
    stand_in.put_pipeline(shop);
    let source_only: Vec<_> = demo_fixture()["actionExecutions"]["web-shop"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|run| run["stageName"] == "Source")
        .cloned()
        .collect();
    stand_in.put_action_executions("web-shop", source_only);
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &demo_policy());

    // A notice for web-api (tests failed, rule rejects) whose customData quotes its token.
    let api_token = "9a7d2c4e-1b3f-4d5a-8e6c-7b9a0d1c2e42";
    let mut quoting = notice_of(&event("rejected-by-rule"));
    quoting["approval"]["customData"] = format!("PipelineExecutionId={api_token}").into();
    // A notice for reports-nightly (deferred by a freeze) claiming it expires in minutes.
    let mut expiring = notice_of(&event("outside-window"));
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10);
    expiring["approval"]["expires"] = soon.strftime("%Y-%m-%dT%H:%MZ").to_string().into();
    // The api-orders notice with a short and a full id of the same commit.
    let mut both_ids = notice_of(&event("revision-latest-main"));
    both_ids["approval"]["customData"] =
        "CommitId=3f9a2c1, RevisionId=3f9a2c1d7e8b6a5f4c3d2e1f0a9b8c7d6e5f4a3b".into();

    let cases = [
        ("skipped stage", event("approved-by-rule"), "reject"),
        (
            "token in customData",
            sns_event(&quoting.to_string()),
            "abstain",
        ),
        ("forged expiry", sns_event(&expiring.to_string()), "defer"),
        (
            "short and full commit id",
            sns_event(&both_ids.to_string()),
            "approve",
        ),
    ];
    let mut outcomes = Vec::new();
    for (name, event, _) in &cases {
        let invocation = runtime.invoke(event.clone(), WAIT).await.unwrap();
        outcomes.push((*name, outcome(&invocation)));
    }

    let expected: Vec<_> = cases.iter().map(|(n, _, o)| (*n, o.to_string())).collect();
    assert_eq!(outcomes, expected);
    let answers: Vec<_> = stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            format!(
                "{} {}",
                call.body["pipelineName"], call.body["result"]["status"]
            )
        })
        .collect();
    assert_eq!(
        answers,
        vec!["\"web-shop\" \"Rejected\"", "\"api-orders\" \"Approved\""]
    );
    let logs = function.logs();
    let published: String = stand_in
        .calls_to("Publish")
        .iter()
        .map(|call| call.body.to_string())
        .collect();
    assert!(!logs.contains(api_token), "the token reached the logs");
    assert!(!published.contains(api_token), "the token reached a notice");
}

/// One invocation of the release binary under `policy` against `stand_in`.
async fn invoke_once(stand_in: &StandIn, policy: &str, event: serde_json::Value) -> String {
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, stand_in, policy);
    let invocation = runtime.invoke(event, WAIT).await.unwrap();
    outcome(&invocation)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_are_checked_one_by_one_and_nothing_unaccounted_for_passes() {
    let cases = [
        ("a moved canary tag", LATEST_ONLY, moved_canary_tag().await),
        (
            "a source without current revision",
            LATEST_ONLY,
            source_without_current_revision().await,
        ),
        (
            "an artifact without source record",
            MAIN_ONLY,
            artifact_without_source_record().await,
        ),
        (
            "a source record of unknown kind",
            MAIN_ONLY,
            source_record_of_unknown_kind().await,
        ),
    ];
    let mut outcomes = Vec::new();
    for (name, policy, stand_in) in &cases {
        outcomes.push((*name, invoke_once(stand_in, policy, orders_event()).await));
        assert_eq!(
            stand_in
                .accepted_answers()
                .iter()
                .map(|call| call.body["result"]["status"].to_string())
                .collect::<Vec<_>>(),
            vec!["\"Rejected\""],
            "{name}"
        );
    }
    assert!(
        outcomes.iter().all(|(_, outcome)| outcome == "reject"),
        "{outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferral_whose_window_opens_before_expiry_is_kept() {
    // reports-nightly started waiting an hour ago and times out after 80 minutes; its
    // window opens in eleven minutes. Twenty minutes before the expiry (which the notice
    // states too), the gate defers: with sweeps every five minutes, one will come while the
    // window is open.
    let stand_in = demo_stand_in().await;
    stand_in.put_declaration(serde_json::json!({
        "name": "reports-nightly",
        "roleArn": "arn:aws:iam::123456789012:role/pipeline",
        "stages": [{"name": "Approve-Prod", "actions": [{"name": "Manual",
            "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
            "timeoutInMinutes": 80}]}],
    }));
    let opens = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(11);
    let day = opens.strftime("%a").to_string().to_lowercase();
    let policy = format!(
        r#"{{"rules":[{{"name":"nightly","match":{{"pipeline":"reports-*"}},
            "windows":{{"timezone":"UTC","outside":"defer",
            "allow":[{{"days":["{day}"],"from":"{}","to":"{}"}}]}}}}]}}"#,
        opens.strftime("%H:%M"),
        (opens + jiff::SignedDuration::from_hours(1)).strftime("%H:%M"),
    );

    let runtime = RuntimeApi::start().await.unwrap();
    let _function =
        Function::start_with(&runtime, &stand_in, &policy, &[("GATE_SWEEP_MINUTES", "5")]);
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    let Invocation::Response(sweep) = sweep else {
        panic!("the sweep failed: {sweep:?}");
    };
    assert_eq!(sweep["sweep"]["answered"], 0, "{sweep}");
    assert!(stand_in.accepted_answers().is_empty());
    assert_eq!(stand_in.calls_to("GetPipeline").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_dry_run_or_mode_stops_the_function_at_init() {
    for variable in ["GATE_DRY_RUN", "GATE_MODE"] {
        let stand_in = demo_stand_in().await;
        let runtime = RuntimeApi::start().await.unwrap();
        let mut function =
            Function::start_with(&runtime, &stand_in, &demo_policy(), &[(variable, "")]);

        let status = function.child.wait().unwrap();

        assert!(!status.success(), "{variable}=\"\" must not start the gate");
        assert!(stand_in.calls().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switched_off_with_an_invalid_policy_it_starts_and_reads_and_answers_nothing() {
    // Given the kill switch off and a policy that would stop the function at init
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start_with(
        &runtime,
        &stand_in,
        r#"{"rules":[{"name":"prod","match":{"stage":"Prod [eu]"}}]}"#,
        &[("GATE_MODE", "off")],
    );

    // When an approval notice and a sweep arrive
    let notice = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    // Then each is dropped as "off", no AWS API is called, and each is logged once
    for invocation in [&notice, &sweep] {
        assert_eq!(outcome(invocation), "dropped");
        let Invocation::Response(body) = invocation else {
            unreachable!("the outcome was read from a response");
        };
        let reason = body["records"][0]["reasons"][0].as_str().unwrap();
        assert!(reason.contains("GATE_MODE=off"), "{reason}");
    }
    assert!(stand_in.calls().is_empty(), "{:?}", stand_in.calls());
    let logs = function.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let ready: Vec<_> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "approval-gate ready")
        .collect();
    assert_eq!(ready.len(), 1, "{logs}");
    assert_eq!(ready[0]["fields"]["off"], true, "{logs}");
    let decisions = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "decision")
        .count();
    assert_eq!(decisions, 2, "one line per invocation:\n{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeps_decision_notices_link_the_pipeline_in_the_console() {
    // Given the demo's approvals waiting, and no notice handled yet
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, &demo_policy());

    // When the sweep runs and answers them
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    // Then every notice it publishes carries the console link, built from AWS_REGION
    let Invocation::Response(sweep) = sweep else {
        panic!("the sweep failed: {sweep:?}");
    };
    assert!(sweep["sweep"]["answered"].as_u64().unwrap() > 0, "{sweep}");
    let published = stand_in.calls_to("Publish");
    assert!(!published.is_empty());
    for call in published {
        let message = call.body["Message"].as_str().unwrap();
        assert!(
            message.contains(
                "Review: https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/"
            ),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_deferred_on_a_firing_alarm_is_approved_by_the_sweep_once_it_clears() {
    // Given web-checkout's tests passed and its alarm web-prod-5xx firing, under a rule
    // that defers on alarms
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, &demo_policy());

    // When its notice arrives, and a sweep runs while the alarm still fires (answering the
    // demo's other approvals)
    let notice = runtime
        .invoke(event("deferred-by-alarm"), WAIT)
        .await
        .unwrap();
    let firing = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    // Then it is deferred, naming the alarm, and nothing answers it
    assert_eq!(outcome(&notice), "defer");
    let Invocation::Response(body) = &notice else {
        unreachable!("the outcome was read from a response");
    };
    let reasons = body["records"][0]["reasons"].to_string();
    assert!(reasons.contains("web-prod-5xx is ALARM"), "{reasons}");
    let Invocation::Response(firing) = firing else {
        panic!("the sweep failed: {firing:?}");
    };
    assert!(firing["sweep"]["failures"].as_array().unwrap().is_empty());
    let checkout_answers = || {
        stand_in
            .accepted_answers()
            .iter()
            .filter(|call| call.body["pipelineName"] == "web-checkout")
            .map(|call| call.body["result"]["status"].to_string())
            .collect::<Vec<_>>()
    };
    assert!(checkout_answers().is_empty(), "{firing}");

    // When the alarm clears and the next sweep runs
    stand_in.put_alarm(serde_json::json!({
        "AlarmName": "web-prod-5xx",
        "StateValue": "OK",
        "StateReason": "Threshold Crossed: no datapoint was greater than the threshold",
    }));
    let cleared = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();

    // Then that sweep approves web-checkout, and only it
    let Invocation::Response(cleared) = cleared else {
        panic!("the sweep failed: {cleared:?}");
    };
    assert_eq!(cleared["sweep"]["answered"], 1, "{cleared}");
    assert_eq!(checkout_answers(), vec!["\"Approved\""]);
    let record = &cleared["records"][0];
    assert_eq!(record["pipeline"], "web-checkout", "{cleared}");
    assert_eq!(record["outcome"], "approve", "{cleared}");
    assert!(
        record["reasons"]
            .to_string()
            .contains("alarms: every alarm is OK"),
        "{record}"
    );
    assert!(
        !stand_in.calls_to("DescribeAlarms").is_empty(),
        "the alarm was read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_the_policy_names_that_does_not_exist_never_lets_an_approval_through() {
    // Given web-checkout's tests passed and a rule naming an alarm CloudWatch does not have
    // (a typo), even one that only defers on alarms; every alarm that exists is OK
    let stand_in = demo_stand_in().await;
    stand_in.put_alarm(serde_json::json!({
        "AlarmName": "web-prod-5xx",
        "StateValue": "OK",
        "StateReason": "Threshold Crossed: no datapoint was greater than the threshold",
    }));
    let policy = demo_policy().replace("\"web-prod-5xx\"", "\"web-prod-5xxx\"");
    assert!(
        policy.contains("web-prod-5xxx"),
        "the demo policy names the alarm"
    );
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, &policy);

    // When its notice arrives, and two sweeps run
    let notice = runtime
        .invoke(event("deferred-by-alarm"), WAIT)
        .await
        .unwrap();
    let mut sweeps = Vec::new();
    for _ in 0..2 {
        sweeps.push(
            runtime
                .invoke(event("scheduled-sweep"), WAIT)
                .await
                .unwrap(),
        );
    }

    // Then it is left to a human, not merely deferred, and never answered
    assert_eq!(outcome(&notice), "abstain");
    let Invocation::Response(body) = &notice else {
        unreachable!("the outcome was read from a response");
    };
    let reasons = body["records"][0]["reasons"].to_string();
    assert!(
        reasons.contains("no alarm is named web-prod-5xxx"),
        "{reasons}"
    );
    for sweep in sweeps {
        let Invocation::Response(sweep) = sweep else {
            panic!("the sweep failed: {sweep:?}");
        };
        let answered: Vec<_> = sweep["records"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|record| record["pipeline"] == "web-checkout")
            .collect();
        assert!(answered.is_empty(), "{sweep}");
    }
    assert!(
        !stand_in
            .accepted_answers()
            .iter()
            .any(|call| call.body["pipelineName"] == "web-checkout"),
        "{:?}",
        stand_in.accepted_answers()
    );
}
