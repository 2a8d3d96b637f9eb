//! Evidence per source: each test names the defect it guards against.

use super::*;

// --- evidence per source (each names the defect it guards against) ---

const NEW_DIGEST: &str = "sha256:9999999999999999999999999999999999999999999999999999999999999999";

fn run(
    action: &str,
    kind: ActionKind,
    outputs: &[&str],
    variables: &[(&str, &str)],
) -> ActionRecord {
    ActionRecord {
        kind,
        output_artifacts: outputs.iter().map(|name| (*name).to_owned()).collect(),
        variables: vars(variables),
        ..fixtures::record(EXECUTION, "Source", action, ActionStatus::Succeeded)
    }
}

fn artifact(name: &str, id: &str) -> ArtifactRevision {
    ArtifactRevision {
        name: name.into(),
        revision_id: Some(id.into()),
        revision_summary: None,
        created: Some(at("2026-11-26T07:00:00Z")),
    }
}

fn execution(artifacts: Vec<ArtifactRevision>, trigger: &str) -> ExecutionRecord {
    ExecutionRecord {
        variables: Vec::new(),
        execution_id: Some(EXECUTION.into()),
        artifacts,
        trigger: Some(trigger.into()),
        status: crate::pipeline::ExecutionStatus::InProgress,
    }
}

fn head(action: &str, current: Option<&str>) -> SourceHead {
    SourceHead {
        stage: "Source".into(),
        action: action.into(),
        current_revision: current.map(str::to_owned),
    }
}

#[test]
fn given_two_images_of_one_repository_when_only_one_is_newest_then_latest_fails_for_the_other() {
    // App carries the new digest, Canary the old one; the canary tag has moved since,
    // so both sources now show the new digest.
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(
            vec![
                artifact("AppImage", NEW_DIGEST),
                artifact("CanaryImage", DIGEST),
            ],
            "CloudWatchEvent",
        ))
        .with_actions(vec![
            run(
                "App",
                ActionKind::Source,
                &["AppImage"],
                &[("ImageDigest", NEW_DIGEST)],
            ),
            run(
                "Canary",
                ActionKind::Source,
                &["CanaryImage"],
                &[("ImageDigest", DIGEST)],
            ),
        ]);
    let heads = [
        head("App", Some(NEW_DIGEST)),
        head("Canary", Some(NEW_DIGEST)),
    ];
    let checks = revisions(r#"{"latest": true}"#).check(&facts, &heads, now(), RULE_ON_FAIL);
    assert_eq!(
        only_failure(&checks).reason,
        format!(
            "latest: source Canary has seen revision sha256:999999999999 since; execution \
             {EXECUTION} carries sha256:4f3c9e1a0b2d from it — the newer execution will ask \
             for its own approval"
        )
    );
}

#[test]
fn given_a_carried_artifact_whose_source_shows_no_current_revision_then_latest_fails() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(
            vec![artifact("App", COMMIT), artifact("Lib", GITHUB_COMMIT)],
            "Webhook",
        ))
        .with_actions(vec![
            run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("CommitId", COMMIT)],
            ),
            run(
                "LibSource",
                ActionKind::Source,
                &["Lib"],
                &[("CommitId", GITHUB_COMMIT)],
            ),
        ]);
    let heads = [head("AppSource", Some(COMMIT))];
    let checks = revisions(r#"{"latest": true}"#).check(&facts, &heads, now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .starts_with("latest: source LibSource shows no current revision"),
        "{checks:#?}"
    );
}

#[test]
fn given_a_source_that_did_not_run_in_the_execution_then_latest_fails() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
        .with_actions(vec![run("AppSource", ActionKind::Source, &["App"], &[])]);
    let heads = [
        head("AppSource", Some(COMMIT)),
        head("LibSource", Some(GITHUB_COMMIT)),
    ];
    let checks = revisions(r#"{"latest": true}"#).check(&facts, &heads, now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .starts_with("latest: source LibSource did not run in the execution"),
        "{checks:#?}"
    );
}

#[test]
fn given_a_carried_artifact_without_source_record_then_branches_fails() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(
            vec![artifact("App", COMMIT), artifact("Lib", GITHUB_COMMIT)],
            "Webhook",
        ))
        .with_actions(vec![run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "main"), ("CommitId", COMMIT)],
        )]);
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .starts_with("branches: revision ddbe7ef25751 cannot be paired with the source action"),
        "{checks:#?}"
    );
}

#[test]
fn given_a_source_record_of_unknown_kind_then_branches_and_latest_fail() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(
            vec![artifact("App", COMMIT), artifact("Lib", GITHUB_COMMIT)],
            "Webhook",
        ))
        .with_actions(vec![
            run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("BranchName", "main"), ("CommitId", COMMIT)],
            ),
            run(
                "LibSource",
                ActionKind::Unknown,
                &[],
                &[("BranchName", "feature/x"), ("CommitId", GITHUB_COMMIT)],
            ),
        ]);
    let heads = [
        head("AppSource", Some(COMMIT)),
        head("LibSource", Some(GITHUB_COMMIT)),
    ];
    let checks = revisions(r#"{"latest": true, "branches": ["main"]}"#).check(
        &facts,
        &heads,
        now(),
        RULE_ON_FAIL,
    );
    let failed = failures(&checks);
    assert_eq!(failed.len(), 2, "{checks:#?}");
    assert!(
        failed[0].contains("does not say what kind of action it is"),
        "{failed:?}"
    );
    assert!(
        failed[1].contains("does not say what kind of action it is"),
        "{failed:?}"
    );
}

#[test]
fn given_a_retried_source_when_the_second_attempt_succeeded_then_that_attempt_counts() {
    let mut failed = run(
        "AppSource",
        ActionKind::Source,
        &["App"],
        &[("BranchName", "feature/x")],
    );
    failed.status = ActionStatus::Failed;
    failed.updated = Some(at("2026-11-26T06:00:00Z"));
    let mut succeeded = run(
        "AppSource",
        ActionKind::Source,
        &["App"],
        &[("BranchName", "main"), ("CommitId", COMMIT)],
    );
    succeeded.updated = Some(at("2026-11-26T06:10:00Z"));
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
        .with_actions(vec![succeeded, failed]);
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now(), RULE_ON_FAIL);
    assert_all_pass(&checks);
}

#[test]
fn given_an_execution_started_by_hand_then_branches_fails_as_unproven() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(
            vec![artifact("App", COMMIT)],
            "StartPipelineExecution",
        ))
        .with_actions(vec![run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "main"), ("CommitId", COMMIT)],
        )]);
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .contains("chosen by its caller"),
        "{checks:#?}"
    );
    for trigger in [
        "PutActionRevision",
        "ManualRollback",
        "AutomatedRollback",
        "",
        "Future",
    ] {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(vec![artifact("App", COMMIT)], trigger))
            .with_actions(vec![run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("BranchName", "main"), ("CommitId", COMMIT)],
            )]);
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now(), RULE_ON_FAIL);
        assert_eq!(failures(&checks).len(), 1, "{trigger:?}: {checks:#?}");
    }
    let unknown = ExecutionFacts::about(EXECUTION)
        .with_execution(ExecutionRecord {
            trigger: None,
            ..execution(vec![artifact("App", COMMIT)], "")
        })
        .with_actions(Vec::new());
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&unknown, &[], now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks).reason.contains("is unknown"),
        "{checks:#?}"
    );
}

#[test]
fn given_a_revision_dated_in_the_future_then_max_age_passes_within_skew_and_fails_beyond() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-26T08:04:00Z"));
    assert_all_pass(&revisions(r#"{"max_age": "1h"}"#).check_fixture(&facts, now()));
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2027-11-26T08:00:00Z"));
    let checks = revisions(r#"{"max_age": "1h"}"#).check_fixture(&facts, now());
    assert!(
        only_failure(&checks)
            .reason
            .contains("ahead of the gate's clock"),
        "{checks:#?}"
    );
}

#[test]
fn given_a_summary_of_emoji_at_the_byte_cap_then_the_message_variable_is_used() {
    // 1,024 emoji are 1,024 characters but 2,048 UTF-16 units and 4,096 bytes: the
    // summary may have been cut, so the variable (which ends in the trailer) decides.
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].revision_summary = Some("😀".repeat(1024));
    facts.source_variables.as_mut().unwrap()[0]
        .variables
        .insert(
            "CommitMessage".into(),
            format!("{} [skip auto-approve]", "😀".repeat(1024)),
        );
    let checks = revisions(DOCUMENTED).check_fixture(&facts, now());
    assert!(
        failures(&checks)
            .iter()
            .any(|reason| reason.starts_with("commit_message:")),
        "{checks:#?}"
    );
}

#[test]
fn given_a_retried_source_whose_attempts_built_different_commits_then_branches_fails() {
    // Attempt one built feature/x at the carried commit; attempt two built main at
    // another commit. The artifact is attempt one's.
    let mut first = run(
        "AppSource",
        ActionKind::Source,
        &["App"],
        &[("BranchName", "feature/x"), ("CommitId", COMMIT)],
    );
    first.updated = Some(at("2026-11-26T06:00:00Z"));
    let mut second = run(
        "AppSource",
        ActionKind::Source,
        &["App"],
        &[("BranchName", "main"), ("CommitId", NEWER_COMMIT)],
    );
    second.updated = Some(at("2026-11-26T06:10:00Z"));
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
        .with_actions(vec![first, second]);
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .contains("reports another revision"),
        "{checks:#?}"
    );
}

#[test]
fn given_an_artifact_name_carried_twice_then_the_revision_its_source_did_not_build_fails() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(
            vec![artifact("App", COMMIT), artifact("App", NEWER_COMMIT)],
            "Webhook",
        ))
        .with_actions(vec![run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "main"), ("CommitId", COMMIT)],
        )]);
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .starts_with("branches: revision f00dcafe1234"),
        "{checks:#?}"
    );
}

#[test]
fn given_a_source_of_the_state_whose_record_says_it_is_no_source_then_branches_fails() {
    let facts = ExecutionFacts::about(EXECUTION)
        .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
        .with_actions(vec![
            run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("BranchName", "main"), ("CommitId", COMMIT)],
            ),
            run(
                "Feat",
                ActionKind::Other,
                &[],
                &[("BranchName", "feature/x")],
            ),
        ]);
    let heads = [
        head("AppSource", Some(COMMIT)),
        head("Feat", Some(NEWER_COMMIT)),
    ];
    let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &heads, now(), RULE_ON_FAIL);
    assert!(
        only_failure(&checks)
            .reason
            .contains("source Feat has no source record"),
        "{checks:#?}"
    );
}
