#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use super::*;
use crate::fixtures::{self, EXECUTION};
use crate::notice::ApprovalToken;
use crate::pipeline::{
    ActionKind, ActionRecord, ActionStatus, ArtifactRevision, Declaration, DeclaredNamespace,
    ExecutionRecord, ExecutionStatus, PipelineVariable,
};

const TOKEN: &str = "0d2a3f4e-1111-4111-8111-0123456789ab";

fn answer(payload: &str) -> FunctionAnswer {
    FunctionAnswer::read(Ok(payload.as_bytes().to_vec()), TOKEN)
}

#[test]
fn only_a_pass_and_a_reason_of_the_right_types_are_an_answer() {
    assert_eq!(
        answer(r#"{"pass": true, "reason": "CHG-42 approved"}"#),
        FunctionAnswer::Answered {
            pass: true,
            reason: "CHG-42 approved".into()
        }
    );
    assert_eq!(
        answer(r#"{"pass": false, "reason": "CHG-42 pending", "ticket": "CHG-42"}"#),
        FunctionAnswer::Answered {
            pass: false,
            reason: "CHG-42 pending".into()
        }
    );
    for garbage in [
        "",
        "null",
        "true",
        "not json",
        r#""{\"pass\": true, \"reason\": \"x\"}""#,
        r#"{"pass": "true", "reason": "x"}"#,
        r#"{"pass": 1, "reason": "x"}"#,
        r#"{"pass": true}"#,
        r#"{"reason": "x"}"#,
        r#"{"pass": true, "reason": null}"#,
        r#"{"pass": true, "reason": 5}"#,
        r#"{"pass": false, "pass": true, "reason": "x"}"#,
        r#"{"pass": true, "reason": "x"} trailing"#,
        r#"[{"pass": true, "reason": "x"}]"#,
    ] {
        assert!(
            matches!(answer(garbage), FunctionAnswer::Unusable(_)),
            "{garbage:?} read as {:?}",
            answer(garbage)
        );
    }
}

#[test]
fn an_oversized_answer_or_a_failed_invocation_is_unusable() {
    let padding = "x".repeat(MAX_ANSWER_BYTES);
    let oversized = format!(r#"{{"pass": true, "reason": "{padding}"}}"#);
    let FunctionAnswer::Unusable(why) = answer(&oversized) else {
        panic!("an oversized answer was used");
    };
    assert!(why.contains("more than the 4096"), "{why}");
    for error in [
        InvokeError::TimedOut(std::time::Duration::from_secs(5)),
        InvokeError::Function {
            kind: "Unhandled".into(),
            message: "KeyError: 'ticket'".into(),
        },
        InvokeError::Invoke("the service answered with an error (TooManyRequestsException)".into()),
    ] {
        let text = error.to_string();
        assert_eq!(
            FunctionAnswer::read(Err(error), TOKEN),
            FunctionAnswer::Unusable(text)
        );
    }
}

#[test]
fn the_token_is_redacted_before_a_reason_is_cut() {
    // Cut first, the reason would keep the token's first characters before its `…`.
    for padding in [150, 160, 163, 164, 170, 190, 192, 194, 199] {
        let reason = format!("{} {TOKEN}", "x".repeat(padding));
        let FunctionAnswer::Answered { reason, .. } =
            answer(&serde_json::json!({"pass": false, "reason": reason}).to_string())
        else {
            panic!("not read");
        };
        assert!(!reason.contains(&TOKEN[..4]), "{padding}: {reason}");
    }
    let error = InvokeError::Function {
        kind: "Unhandled".into(),
        message: format!("{} {TOKEN}", "y".repeat(290)),
    };
    let FunctionAnswer::Unusable(why) = FunctionAnswer::read(Err(error), TOKEN) else {
        panic!("used");
    };
    assert!(!why.contains(&TOKEN[..4]), "{why}");
}

#[test]
fn a_reason_is_cleaned_and_cut() {
    let long = format!(
        r#"{{"pass": false, "reason": "line one\nline two\u0007 {}"}}"#,
        "ä".repeat(500)
    );
    let FunctionAnswer::Answered { reason, .. } = answer(&long) else {
        panic!("not read");
    };
    assert!(reason.chars().count() <= REASON_CHARS + 1, "{reason}");
    assert!(!reason.chars().any(char::is_control), "{reason:?}");
    assert!(reason.starts_with("line one"), "{reason}");
}

/// The approval waiting in `EXECUTION` on `TOKEN`, whose execution carries a revision and
/// variables that quote the token, and ran its source and a scan.
fn proven() -> (crate::evidence::LiveApproval, ExecutionFacts) {
    let target = fixtures::target("web-shop", "Approve", "Manual");
    let snapshot = fixtures::waiting(
        &target,
        TOKEN,
        Some(fixtures::at("2026-11-26T08:00:00Z")),
        &[],
    );
    let approval =
        crate::evidence::LiveApproval::prove(&snapshot, &target, &ApprovalToken::new(TOKEN))
            .unwrap();
    let source = ActionRecord {
        kind: ActionKind::Source,
        updated: Some(fixtures::at("2026-11-26T07:00:00Z")),
        output_artifacts: vec!["SourceOutput".into()],
        variables: [("CommitId".to_owned(), "abc123".to_owned())].into(),
        namespace: Some("SourceVariables".into()),
        ..fixtures::record(EXECUTION, "Source", "Checkout", ActionStatus::Succeeded)
    };
    let failed_scan = ActionRecord {
        updated: Some(fixtures::at("2026-11-26T07:10:00Z")),
        variables: [("CRITICAL_FINDINGS".to_owned(), "0".to_owned())].into(),
        namespace: Some("Scan".into()),
        ..fixtures::record(EXECUTION, "Build", "Scan", ActionStatus::Failed)
    };
    let mut records = fixtures::runs_shown_by(&snapshot);
    records.extend([source, failed_scan]);
    let facts = ExecutionFacts::of(&approval)
        .with_execution(ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            status: ExecutionStatus::InProgress,
            trigger: Some("Webhook".into()),
            artifacts: vec![ArtifactRevision {
                name: "SourceOutput".into(),
                revision_id: Some("abc123".into()),
                revision_summary: Some(format!("fix: retry with token {TOKEN}")),
                created: Some(fixtures::at("2026-11-26T06:55:00Z")),
            }],
            variables: vec![PipelineVariable {
                name: "RELEASE_TYPE".into(),
                value: Some(format!("standard {TOKEN}")),
            }],
        })
        .with_actions(records)
        .with_namespaces(&Declaration {
            namespaces: vec![
                DeclaredNamespace {
                    namespace: "SourceVariables".into(),
                    stage: "Source".into(),
                    action: "Checkout".into(),
                },
                DeclaredNamespace {
                    namespace: "Scan".into(),
                    stage: "Build".into(),
                    action: "Scan".into(),
                },
            ],
            ..Declaration::default()
        });
    (approval, facts)
}

#[test]
fn the_request_shows_what_was_proven_and_never_the_token() {
    let (approval, facts) = proven();
    let request = request(
        "prod",
        &approval,
        &facts,
        fixtures::at("2026-11-26T08:05:00Z"),
    );
    assert_eq!(
        request,
        serde_json::json!({
            "schema": "approval-gate/check-function/v1",
            "rule": "prod",
            "pipeline": "web-shop",
            "stage": "Approve",
            "action": "Manual",
            "execution_id": EXECUTION,
            "waiting_since": "2026-11-26T08:00:00Z",
            "decided_at": "2026-11-26T08:05:00Z",
            "trigger": "Webhook",
            "revisions": [{
                "artifact": "SourceOutput",
                "revision_id": "abc123",
                "summary": "fix: retry with token <redacted>",
                "created": "2026-11-26T06:55:00Z",
                "source_action": "Source/Checkout",
            }],
            // The scan's last attempt failed: its outputs are not shown.
            "variables": {
                "SourceVariables": {"CommitId": "abc123"},
                "variables": {"RELEASE_TYPE": "standard <redacted>"},
            },
        })
    );
    assert!(!request.to_string().contains(TOKEN));
}

#[test]
fn nothing_unproven_is_shown() {
    let (approval, _) = proven();
    // The attempts were never read: the approval is not proven to wait in the execution.
    let unproven = ExecutionFacts::of(&approval).with_execution(ExecutionRecord {
        execution_id: Some(EXECUTION.into()),
        status: ExecutionStatus::InProgress,
        artifacts: vec![ArtifactRevision {
            name: "SourceOutput".into(),
            ..ArtifactRevision::default()
        }],
        variables: vec![PipelineVariable {
            name: "RELEASE_TYPE".into(),
            value: Some("standard".into()),
        }],
        ..ExecutionRecord::default()
    });
    let request = request(
        "prod",
        &approval,
        &unproven,
        fixtures::at("2026-11-26T08:05:00Z"),
    );
    assert_eq!(request["revisions"], serde_json::json!([]));
    assert_eq!(request["variables"], serde_json::json!({}));
    assert_eq!(request["trigger"], serde_json::Value::Null);
}

proptest! {
    /// Whatever bytes a function answers, reading them never panics, and what is kept is
    /// short and printable.
    #[test]
    fn any_payload_is_read_without_panic(payload in proptest::collection::vec(any::<u8>(), 0..600)) {
        match FunctionAnswer::read(Ok(payload), TOKEN) {
            FunctionAnswer::Answered { reason, .. } | FunctionAnswer::Unusable(reason) => {
                prop_assert!(reason.chars().count() <= 400);
                prop_assert!(!reason.chars().any(char::is_control));
            }
            FunctionAnswer::NotAsked => prop_assert!(false, "read as not asked"),
        }
    }

    /// Any reason a function gives, any text in it, comes back cleaned and cut.
    #[test]
    fn any_reason_is_cleaned_and_cut(reason in any::<String>(), pass in any::<bool>()) {
        let payload = serde_json::json!({"pass": pass, "reason": reason}).to_string();
        let FunctionAnswer::Answered { pass: read, reason } = FunctionAnswer::read(Ok(payload.into_bytes()), TOKEN) else {
            // Only an oversized answer is not read.
            return Ok(());
        };
        prop_assert_eq!(read, pass);
        prop_assert!(reason.chars().count() <= REASON_CHARS + 1);
        prop_assert!(!reason.chars().any(char::is_control));
    }
}

#[test]
fn an_action_namespace_named_as_codepipelines_own_is_not_shown() {
    let (approval, _) = proven();
    for namespace in [
        "variables",
        "Variables",
        "VARIABLES",
        "codepipeline",
        "CodePipeline",
    ] {
        let forged = ActionRecord {
            updated: Some(fixtures::at("2026-11-26T07:20:00Z")),
            variables: [("RELEASE_TYPE".to_owned(), "FORGED".to_owned())].into(),
            namespace: Some(namespace.into()),
            ..fixtures::record(EXECUTION, "Build", "Lint", ActionStatus::Succeeded)
        };
        let target = fixtures::target("web-shop", "Approve", "Manual");
        let snapshot = fixtures::waiting(
            &target,
            TOKEN,
            Some(fixtures::at("2026-11-26T08:00:00Z")),
            &[],
        );
        let mut records = fixtures::runs_shown_by(&snapshot);
        records.push(forged);
        let facts = ExecutionFacts::of(&approval)
            .with_execution(ExecutionRecord {
                execution_id: Some(EXECUTION.into()),
                status: ExecutionStatus::InProgress,
                variables: vec![PipelineVariable {
                    name: "RELEASE_TYPE".into(),
                    value: Some("standard".into()),
                }],
                ..ExecutionRecord::default()
            })
            .with_actions(records)
            .with_namespaces(&Declaration {
                namespaces: vec![DeclaredNamespace {
                    namespace: namespace.into(),
                    stage: "Build".into(),
                    action: "Lint".into(),
                }],
                ..Declaration::default()
            });
        let request = request(
            "prod",
            &approval,
            &facts,
            fixtures::at("2026-11-26T08:05:00Z"),
        );
        assert_eq!(
            request["variables"],
            serde_json::json!({"variables": {"RELEASE_TYPE": "standard"}}),
            "{namespace}"
        );
    }
}
