//! The example check function (docs/examples/check-function/change_ticket.py) is run with
//! the request the gate really builds (`check_function::request`), and what it answers is
//! read the way the gate reads it (`FunctionAnswer::read`). The sample request committed
//! beside it, and the one docs/policy.md shows, are that same request.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use approval_gate::check_function::{self, FunctionAnswer};
use approval_gate::evidence::{ExecutionFacts, LiveApproval};
use approval_gate::fixtures::{self, action, approval, stage};
use approval_gate::notice::ApprovalToken;
use approval_gate::pipeline::{
    ActionKind, ActionStatus, ArtifactRevision, Declaration, DeclaredNamespace, ExecutionRecord,
    ExecutionStatus, PipelineSnapshot, PipelineVariable,
};
use serde_json::{Value, json};

const TOKEN: &str = "b41e07d2-95c3-4a8f-b6d1-e2f3a4c5d6e7";
const EXECUTION: &str = "6c7a2f5e-0b1d-4c8e-9f3a-2d4e6f8a0b1c";
const COMMIT: &str = "8d3f1c2b7a6e5d4c3b2a19087f6e5d4c3b2a1908";

/// Regenerate the committed sample with this variable set to 1.
const REGENERATE: &str = "APPROVAL_GATE_WRITE_SAMPLES";

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/check-function")
}

/// The request the gate builds for the rule `prod-change-ticket` about an approval waiting
/// at web-shop/Approve-Prod/Approve, whose execution ran a source and a scan and carries the
/// pipeline-level variable CHANGE_TICKET (`None`: not set).
fn request(ticket: Option<&str>) -> Value {
    let since = fixtures::at("2026-11-26T08:00:00Z");
    let target = fixtures::target("web-shop", "Approve-Prod", "Approve");
    let snapshot = PipelineSnapshot {
        name: target.pipeline.clone(),
        stages: vec![
            stage(
                "Source",
                Some(EXECUTION),
                vec![action(
                    "Checkout",
                    ActionStatus::Succeeded,
                    Some(fixtures::at("2026-11-26T07:41:00Z")),
                )],
            ),
            stage(
                "Build",
                Some(EXECUTION),
                vec![action(
                    "Scan",
                    ActionStatus::Succeeded,
                    Some(fixtures::at("2026-11-26T07:55:00Z")),
                )],
            ),
            stage(
                &target.stage,
                Some(EXECUTION),
                vec![approval(&target.action, TOKEN, Some(since))],
            ),
        ],
    };
    let live = LiveApproval::prove(&snapshot, &target, &ApprovalToken::new(TOKEN))
        .expect("the approval waits in the snapshot");
    let records = fixtures::runs_shown_by(&snapshot)
        .into_iter()
        .map(|mut record| {
            match record.action.as_str() {
                "Checkout" => {
                    record.kind = ActionKind::Source;
                    record.namespace = Some("SourceVariables".into());
                    record.output_artifacts = vec!["SourceArtifact".into()];
                    record.variables = [
                        ("BranchName".to_owned(), "main".to_owned()),
                        ("CommitId".to_owned(), COMMIT.to_owned()),
                    ]
                    .into();
                }
                "Scan" => {
                    record.namespace = Some("Scan".into());
                    record.variables = [
                        ("COVERAGE".to_owned(), "83.4".to_owned()),
                        ("CRITICAL_FINDINGS".to_owned(), "0".to_owned()),
                    ]
                    .into();
                }
                _ => {}
            }
            record
        })
        .collect();
    let mut variables = vec![PipelineVariable {
        name: "RELEASE_TYPE".into(),
        value: Some("standard".into()),
    }];
    if let Some(ticket) = ticket {
        variables.push(PipelineVariable {
            name: "CHANGE_TICKET".into(),
            value: Some(ticket.into()),
        });
    }
    let declared = |namespace: &str, stage: &str, action: &str| DeclaredNamespace {
        namespace: namespace.into(),
        stage: stage.into(),
        action: action.into(),
    };
    let facts = ExecutionFacts::of(&live)
        .with_execution(ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            status: ExecutionStatus::InProgress,
            trigger: Some("Webhook".into()),
            artifacts: vec![ArtifactRevision {
                name: "SourceArtifact".into(),
                revision_id: Some(COMMIT.into()),
                revision_summary: Some(
                    r#"{"ProviderType":"GitHub","CommitMessage":"Retry payment capture once on timeout"}"#
                        .into(),
                ),
                created: Some(fixtures::at("2026-11-26T07:38:12Z")),
            }],
            variables,
        })
        .with_actions(records)
        .with_namespaces(&Declaration {
            namespaces: vec![
                declared("SourceVariables", "Source", "Checkout"),
                declared("Scan", "Build", "Scan"),
            ],
            ..Declaration::default()
        });
    check_function::request(
        "prod-change-ticket",
        &live,
        &facts,
        fixtures::at("2026-11-26T08:00:04Z"),
    )
}

/// What the example function answers to `request`, with `APPROVED_TICKETS` set to
/// `approved`, read as the gate reads a function's answer.
fn ask(request: &Value, approved: &str) -> FunctionAnswer {
    let driver = "import json, sys\n\
                  sys.dont_write_bytecode = True\n\
                  sys.path.insert(0, sys.argv[1])\n\
                  import change_ticket\n\
                  print(json.dumps(change_ticket.handler(json.load(sys.stdin), None)))\n";
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(driver)
        .arg(example_dir())
        .env("APPROVED_TICKETS", approved)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs the example check function (it is needed for `make test` too)");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(request.to_string().as_bytes())
        .expect("the request is written");
    let output = child.wait_with_output().expect("python3 ends");
    assert!(
        output.status.success(),
        "the example function raised on {request}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    FunctionAnswer::read(Ok(output.stdout), TOKEN)
}

#[test]
fn the_example_function_passes_an_approved_ticket_and_fails_any_other() {
    let approved = "CHG-1234, CHG-1300";
    assert_eq!(
        ask(&request(Some("CHG-1234")), approved),
        FunctionAnswer::Answered {
            pass: true,
            reason: "change CHG-1234 is approved".into()
        }
    );
    for (ticket, reason) in [
        (Some("CHG-999"), "change CHG-999 is not approved"),
        (
            Some("CHG-1234 CHG-1300"),
            "CHANGE_TICKET is not a ticket id like CHG-1234",
        ),
        (
            Some("CHG-1234\n"),
            "CHANGE_TICKET is not a ticket id like CHG-1234",
        ),
        (None, "the execution carries no CHANGE_TICKET variable"),
    ] {
        assert_eq!(
            ask(&request(ticket), approved),
            FunctionAnswer::Answered {
                pass: false,
                reason: reason.into()
            },
            "{ticket:?}"
        );
    }
    // No ticket is approved when the change system lists none.
    assert!(matches!(
        ask(&request(Some("CHG-1234")), ""),
        FunctionAnswer::Answered { pass: false, .. }
    ));
}

#[test]
fn the_example_function_refuses_another_schema_and_answers_odd_requests() {
    let mut newer = request(Some("CHG-1234"));
    newer["schema"] = json!("approval-gate/check-function/v2");
    let mut odd = vec![
        newer,
        json!(null),
        json!([]),
        json!("CHG-1234"),
        json!({}),
        json!({"schema": check_function::REQUEST_SCHEMA}),
        json!({"schema": check_function::REQUEST_SCHEMA, "variables": null}),
        json!({"schema": check_function::REQUEST_SCHEMA, "variables": {"variables": []}}),
        json!({"schema": check_function::REQUEST_SCHEMA, "variables": {"variables": {"CHANGE_TICKET": 1234}}}),
        json!({"schema": ["approval-gate/check-function/v1"]}),
    ];
    let mut unhashable = request(Some("CHG-1234"));
    unhashable["variables"]["variables"]["CHANGE_TICKET"] = json!(["CHG-1234"]);
    odd.push(unhashable);
    for request in odd {
        assert!(
            matches!(
                ask(&request, "CHG-1234"),
                FunctionAnswer::Answered { pass: false, .. }
            ),
            "{request}"
        );
    }
}

#[test]
fn the_committed_sample_request_is_the_one_the_gate_builds() {
    let built = request(Some("CHG-1234"));
    assert!(
        !built.to_string().contains(TOKEN),
        "the request shows the token"
    );
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&built).expect("a request is JSON")
    );
    let path = example_dir().join("request.json");
    if std::env::var(REGENERATE).is_ok_and(|value| value == "1") {
        fs::write(&path, &text).expect("the sample is written");
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is not the request the gate builds; regenerate it with\n    \
         {REGENERATE}=1 cargo test --features cli --test it check_function_example::\n\
         and update the request shown in docs/policy.md. The gate builds:\n{text}",
        path.display()
    );
}

#[test]
fn the_request_docs_policy_md_shows_is_the_committed_sample() {
    let sample: Value = serde_json::from_str(
        &fs::read_to_string(example_dir().join("request.json")).expect("the sample exists"),
    )
    .expect("the sample is JSON");
    let policy_md =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/policy.md"))
            .expect("docs/policy.md");
    let shown = policy_md
        .split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter_map(|block| serde_json::from_str::<Value>(block).ok())
        .any(|block| block == sample);
    assert!(
        shown,
        "docs/policy.md shows no ```json block equal to docs/examples/check-function/request.json"
    );
}
