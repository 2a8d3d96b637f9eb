//! Decision notices in the chat format (`GATE_DECISION_FORMAT=chat`): every outcome and any
//! text checked against the custom-notification schema written from the documentation
//! (`schema/chat-notification.schema.json`), and a decision published through the real
//! SDK to the stand-in.

use std::time::Duration;

use crate::common::*;
use crate::schema;
use approval_gate::aws::{CodePipeline, SnsDecisionTopic};
use approval_gate::decision::{Decision, Verdict};
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::notice::ApprovalTarget;
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, DecisionFormat, Outcome, Report};
use proptest::prelude::*;
use serde_json::Value;

fn notification_schema() -> Value {
    let path = format!(
        "{}/tests/it/schema/chat-notification.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn assert_fits_the_schema(message: &str) {
    let message: Value = serde_json::from_str(message).unwrap();
    let errors = schema::errors(&notification_schema(), &message);
    assert!(errors.is_empty(), "{errors:#?}\nin {message:#}");
}

fn shop() -> ApprovalTarget {
    ApprovalTarget {
        pipeline: "web-shop".into(),
        stage: "Approve-Prod".into(),
        action: "Manual".into(),
    }
}

fn decided(verdict: Verdict, answer: Answer, dry_run: bool) -> Report {
    Report::decided(
        Some("m-1".into()),
        &shop(),
        Some(
            "https://console.aws.amazon.com/codepipeline/home?region=eu-west-1#/view/web-shop"
                .into(),
        ),
        "exec-1".into(),
        Decision {
            verdict,
            rule: Some("prod-after-tests".into()),
            reasons: vec!["Build/Unit succeeded in execution exec-1".into()],
            wake_at: None,
        },
        answer,
        dry_run,
    )
}

#[test]
fn the_schema_refuses_what_the_documentation_refuses() {
    let schema = notification_schema();
    let good = serde_json::json!({"version": "1.0", "source": "custom",
        "content": {"textType": "client-markdown", "description": "d"}});
    assert!(schema::errors(&schema, &good).is_empty());
    for (pointer, bad) in [
        ("/version", Value::from("2.0")),
        ("/source", Value::from("aws.codepipeline")),
        ("/content/textType", Value::from("markdown")),
        ("/content/title", Value::from("t".repeat(251))),
        ("/content/description", Value::from("d".repeat(8_001))),
        ("/content/nextSteps", serde_json::json!(["s".repeat(351)])),
        ("/content/keywords", serde_json::json!(["k".repeat(76)])),
        ("/content/colour", Value::from("red")),
        (
            "/metadata",
            serde_json::json!({"additionalContext": {"n": 1}}),
        ),
    ] {
        let mut message = good.clone();
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut message
        } else {
            message.pointer_mut(parent).unwrap()
        };
        parent[name] = bad;
        assert!(
            !schema::errors(&schema, &message).is_empty(),
            "{pointer} accepted in {message}"
        );
    }
}

#[test]
fn every_outcome_is_a_notification_the_documentation_allows() {
    let mut reports = vec![
        decided(Verdict::Approve, Answer::Sent, false),
        decided(Verdict::Reject, Answer::Sent, false),
        decided(Verdict::Abstain, Answer::None, false),
        decided(Verdict::Defer, Answer::None, false),
        decided(Verdict::Approve, Answer::DryRun, true),
        decided(Verdict::Reject, Answer::DryRun, true),
        decided(Verdict::Approve, Answer::AlreadyAnswered, false),
        decided(Verdict::Reject, Answer::Refused, false),
    ];
    let mut woken = decided(Verdict::Defer, Answer::None, false);
    woken.wake_up = Some("2026-12-03T08:00:00Z".parse().unwrap());
    let mut stale = decided(Verdict::Abstain, Answer::None, false);
    stale.outcome = Outcome::Stale;
    reports.extend([woken, stale]);

    for report in reports {
        let notice = report.notice(DecisionFormat::Chat).unwrap();
        assert_fits_the_schema(&notice.body);
        let plain = report.notice(DecisionFormat::Plain).unwrap();
        assert_eq!(
            (
                &notice.subject,
                notice.verdict,
                &notice.pipeline,
                notice.dry_run
            ),
            (
                &plain.subject,
                plain.verdict,
                &plain.pipeline,
                plain.dry_run
            ),
            "the subject and the attributes do not depend on the format"
        );
    }
}

#[test]
fn the_example_in_the_operations_guide_fits_the_schema() {
    let path = format!("{}/docs/operations.md", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let section = text
        .split("## Decision notices in chat")
        .nth(1)
        .expect("the section");
    let example = section
        .split("```json\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("a json example");
    assert_fits_the_schema(example);
    // The example is exactly what the gate writes for that decision.
    let example: Value = serde_json::from_str(example).unwrap();
    let report = Report::decided(
        None,
        &shop(),
        Some("https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-shop/view?region=eu-west-1".into()),
        "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60".into(),
        Decision {
            verdict: Verdict::Reject,
            rule: Some("prod-after-tests".into()),
            reasons: vec!["Build/IntegrationTests did not succeed in execution 5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60 (status Failed)".into()],
            wake_at: None,
        },
        Answer::Sent,
        false,
    );
    let written: Value =
        serde_json::from_str(&report.notice(DecisionFormat::Chat).unwrap().body).unwrap();
    assert_eq!(example, written);
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,300}",
        proptest::collection::vec(any::<char>(), 0..2_500)
            .prop_map(|chars| chars.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_unicode_in_names_and_reasons_fits_the_schema(
        pipeline in any_text(),
        stage in any_text(),
        action in any_text(),
        rule in proptest::option::of(any_text()),
        reasons in proptest::collection::vec(any_text(), 0..10),
        link in any_text(),
    ) {
        let report = Report::decided(
            None,
            &ApprovalTarget { pipeline, stage, action },
            Some(link),
            "exec-1".into(),
            Decision { verdict: Verdict::Reject, rule, reasons, wake_at: None },
            Answer::Sent,
            false,
        );
        assert_fits_the_schema(&report.notice(DecisionFormat::Chat).unwrap().body);
    }
}

fn chat_gate(sdk: &aws_config::SdkConfig) -> Gate<Adapters<CodePipeline, SnsDecisionTopic>> {
    Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings {
            token_wait: Duration::from_millis(600),
            decision_format: DecisionFormat::Chat,
            ..Settings::default()
        },
        CodePipeline::new(sdk),
        Some(SnsDecisionTopic::new(
            sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    )
}

#[tokio::test]
async fn a_decision_is_published_as_a_chat_notification_with_the_same_subject_and_attributes() {
    let stand_in = demo_stand_in().await;
    let sdk = sdk_for(&stand_in).await;
    let gate = chat_gate(&sdk);

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    assert_eq!(response.records[0].outcome, Outcome::Approve);
    let published = stand_in.calls_to("Publish");
    assert_eq!(published.len(), 1);
    let form = &published[0].body;
    let message = form["Message"].as_str().unwrap();
    assert_fits_the_schema(message);
    let message: Value = serde_json::from_str(message).unwrap();
    assert_eq!(
        message["content"]["title"],
        "Approved: web-shop / Approve-Prod / Manual"
    );
    assert_eq!(
        form["Subject"],
        "[approval-gate] Approved: web-shop/Approve-Prod/Manual"
    );
    assert_eq!(
        published_attributes(form),
        [
            ("dry_run".to_owned(), "false".to_owned()),
            ("pipeline".to_owned(), "web-shop".to_owned()),
            ("verdict".to_owned(), "approve".to_owned()),
        ]
    );
    let thread = message["metadata"]["threadId"].as_str().unwrap();
    assert!(thread.starts_with("approval-gate-"), "{thread}");
}

#[tokio::test]
async fn a_reason_quoting_the_token_does_not_leak_it_into_the_chat() {
    // Given a pipeline whose source reports a branch named after the approval's token
    let stand_in = demo_stand_in().await;
    let notice = notice_of(&event("revision-latest-main"));
    let token = notice["approval"]["token"].as_str().unwrap().to_owned();
    let mut runs = demo_fixture()["actionExecutions"]["api-orders"].clone();
    for run in runs.as_array_mut().unwrap() {
        if let Some(variables) = run.pointer_mut("/output/outputVariables")
            && variables.get("BranchName").is_some()
        {
            variables["BranchName"] = format!("leak-{token}").into();
        }
    }
    stand_in.put_action_executions("api-orders", runs.as_array().unwrap().clone());
    let sdk = sdk_for(&stand_in).await;
    let gate = chat_gate(&sdk);

    // When the gate decides it and tells the chat
    let response = gate.handle(&event("revision-latest-main")).await.unwrap();

    // Then the reason that quotes the branch is in the message, and the token is not
    let report = &response.records[0];
    assert_eq!(report.outcome, Outcome::Reject, "{:?}", report.reasons);
    let published = stand_in.calls_to("Publish");
    let message = published[0].body["Message"].as_str().unwrap();
    assert_fits_the_schema(message);
    assert!(message.contains("leak-"), "the branch is quoted: {message}");
    let undashed = token.replace('-', "");
    for secret in [token.as_str(), undashed.as_str()] {
        assert!(
            !message
                .to_ascii_lowercase()
                .contains(&secret.to_ascii_lowercase()),
            "the token leaked: {message}"
        );
    }
}
