//! `branches`, the `artifacts` selector, and every check at once.

use super::*;

// --- branches ---

#[test]
fn given_allowed_branches_when_checked_then_branches_passes_and_names_them() {
    let check = revisions(r#"{"branches": ["main", "release/*"]}"#);
    let checks = check.check_fixture(&github("Fix", "release/2026/11"), now());
    assert_all_pass(&checks);
    assert_eq!(
        checks[0].reason,
        "branches: source Checkout built release/2026/11"
    );
}

#[test]
fn given_a_feature_branch_when_checked_then_branches_fails_naming_the_patterns() {
    let check = revisions(r#"{"branches": ["main", "release/*"]}"#);
    let checks = check.check_fixture(&github("Fix", "feature/x"), now());
    assert_eq!(
        only_failure(&checks).reason,
        "branches: source Checkout built branch feature/x, not main or release/*"
    );
}

#[test]
fn given_a_question_mark_when_matching_branches_then_it_stands_for_one_character() {
    let check = revisions(r#"{"branches": ["hotfix-?"]}"#);
    assert_all_pass(&check.check_fixture(&github("Fix", "hotfix-1"), now()));
    assert!(!check.check_fixture(&github("Fix", "hotfix-12"), now())[0].passed());
    assert!(
        !revisions(r#"{"branches": ["Main"]}"#).check_fixture(&codecommit(), now())[0].passed()
    );
}

#[test]
fn given_s3_and_ecr_sources_when_checking_branches_then_they_fail_for_want_of_a_branch() {
    let check = revisions(r#"{"branches": ["main"]}"#);
    for (facts, action) in [(s3(), "Config"), (ecr(), "Image")] {
        let checks = check.check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            format!(
                "branches: source {action} reports no branch (no BranchName output \
                 variable; S3 and ECR sources have none)"
            )
        );
    }
}

#[test]
fn given_missing_source_variables_when_checking_branches_then_it_fails() {
    let check = revisions(r#"{"branches": ["main"]}"#);
    let mut facts = codecommit();
    facts.sources.clear();
    facts.source_variables = None;
    assert_eq!(
        only_failure(&check.check_fixture(&facts, now())).reason,
        "branches: revision 8d3f1c2b7a6e cannot be paired with the source action that \
         built it: the action executions of the execution could not be read"
    );
    facts.source_variables = Some(Vec::new());
    assert_eq!(
        only_failure(&check.check_fixture(&facts, now())).reason,
        "branches: revision 8d3f1c2b7a6e cannot be paired with the source action that \
         built it: no source action that ran in the execution produced it"
    );
}

// --- artifacts ---

#[test]
fn given_artifacts_selecting_the_app_when_checked_then_the_config_source_is_left_out() {
    let check = revisions(
        r#"{"max_age": "2h", "commit_message": {"deny": ["(?i)^wip"]},
                "branches": ["main"], "artifacts": ["Source*"]}"#,
    );
    let checks = check.check_fixture(&app_and_config(), now());
    assert_all_pass(&checks);
    assert_eq!(checks.len(), 3);
    assert_eq!(checks[2].reason, "branches: source Checkout built main");
}

#[test]
fn given_artifacts_naming_a_source_action_when_checked_then_its_artifact_is_selected() {
    let check = revisions(r#"{"max_age": "2h", "artifacts": ["Config"]}"#);
    let checks = check.check_fixture(&app_and_config(), now());
    assert_eq!(
        only_failure(&checks).reason,
        "max_age: revision 3sL4kqtJlcpX was created 12h ago, more than 2h"
    );
    let check = revisions(r#"{"branches": ["main"], "artifacts": ["ConfigBundle"]}"#);
    assert!(
        only_failure(&check.check_fixture(&app_and_config(), now()))
            .reason
            .starts_with("branches: source Config reports no branch")
    );
}

#[test]
fn given_artifacts_matching_nothing_when_checked_then_the_scoped_checks_fail() {
    let check = revisions(
        r#"{"latest": true, "max_age": "72h", "branches": ["main"], "artifacts": ["Sorce*"]}"#,
    );
    let checks = check.check_fixture(&app_and_config(), now());
    assert_eq!(
        failures(&checks),
        [
            format!("max_age: no artifact of execution {EXECUTION} matches artifacts Sorce*"),
            format!("branches: no artifact of execution {EXECUTION} matches artifacts Sorce*"),
        ]
    );
    assert!(checks[0].passed(), "latest is not narrowed by artifacts");
}

#[test]
fn given_a_source_that_cannot_be_paired_when_selecting_then_it_stays_in_scope() {
    let mut facts = app_and_config();
    facts.source_variables.as_mut().unwrap()[1]
        .variables
        .remove("VersionId");
    let check = revisions(r#"{"max_age": "2h", "branches": ["main"], "artifacts": ["Source*"]}"#);
    let reasons = failures(&check.check_fixture(&facts, now()))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(reasons.len(), 3, "{reasons:#?}");
    assert!(reasons[0].starts_with("max_age: revision 3sL4kqtJlcpX"));
    assert!(
        reasons[1].starts_with("branches: source Config reports no branch"),
        "the source no artifact pairs with is checked too: {reasons:#?}"
    );
    assert!(
        reasons[2].starts_with("branches: revision 3sL4kqtJlcpX cannot be paired"),
        "{reasons:#?}"
    );
}

#[test]
fn given_artifacts_and_unread_facts_when_checked_then_the_scoped_checks_fail() {
    let check = revisions(r#"{"max_age": "72h", "branches": ["main"], "artifacts": ["Source*"]}"#);
    let mut facts = app_and_config();
    facts.source_variables = None;
    let checks = check.check_fixture(&facts, now());
    assert_eq!(
        failures(&checks),
        [
            format!(
                "max_age: the action executions of execution {EXECUTION} could not be \
                 read, so artifacts cannot be applied"
            ),
            format!(
                "branches: the action executions of execution {EXECUTION} could not be \
                 read, so artifacts cannot be applied"
            ),
        ]
    );
    let mut facts = app_and_config();
    facts.artifacts = None;
    let checks = check.check_fixture(&facts, now());
    assert_eq!(
        failures(&checks),
        [
            format!("max_age: the revisions of execution {EXECUTION} could not be read"),
            format!("branches: the revisions of execution {EXECUTION} could not be read"),
        ]
    );
}

// --- everything at once ---

#[test]
fn given_several_problems_when_checked_then_every_failure_is_listed() {
    let mut facts = github("WIP: try", "feature/x");
    facts.sources[0].current_revision = Some(NEWER_COMMIT.into());
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-22T16:00:00Z"));
    facts.artifacts.as_mut().unwrap()[0].revision_id = Some(DIGEST.into());
    facts.source_variables.as_mut().unwrap()[0]
        .variables
        .insert("CommitId".into(), DIGEST.into());
    let checks = revisions(DOCUMENTED).check_fixture(&facts, now());
    assert_eq!(
        failures(&checks),
        [
            format!(
                "latest: source Checkout has seen revision f00dcafe1234 since; execution \
                 {EXECUTION} carries sha256:4f3c9e1a0b2d from it — the newer execution will \
                 ask for its own approval"
            ),
            "max_age: revision sha256:4f3c9e1a0b2d was created 88h ago, more than 72h".into(),
            "revision_id: revision sha256:4f3c9e1a0b2d matches no allow pattern \
             (^[0-9a-f]{40}$)"
                .into(),
            "commit_message: \"WIP: try\" matches deny pattern (?i)^wip".into(),
            "branches: source Checkout built branch feature/x, not main or release/*".into(),
        ]
    );
    let asked: Vec<_> = checks.iter().map(|check| check.failed).collect();
    assert_eq!(
        asked,
        [
            Some(RULE_ON_FAIL),
            Some(RULE_ON_FAIL),
            Some(RULE_ON_FAIL),
            Some(Severity::Abstain),
            Some(RULE_ON_FAIL)
        ],
        "only the deny match carries on_match"
    );
}

#[test]
fn given_no_facts_at_all_when_every_check_runs_then_none_passes() {
    let all = revisions(
        r#"{"latest": true, "max_age": "72h", "revision_id": {"deny": ["^0{40}$"]},
                "commit_message": {"deny": ["x"]}, "branches": ["*"], "artifacts": ["*"]}"#,
    );
    let empty = RevisionFacts::default();
    let unread = RevisionFacts {
        execution_id: EXECUTION.into(),
        trigger: None,
        ..RevisionFacts::default()
    };
    for facts in [empty, unread] {
        let checks = all.check_fixture(&facts, now());
        assert_eq!(checks.len(), 5, "{checks:#?}");
        assert!(checks.iter().all(|check| !check.passed()), "{checks:#?}");
    }
}

#[test]
fn given_any_single_field_missing_when_checked_then_no_check_passes_for_want_of_it() {
    let all = revisions(
        r#"{"latest": true, "max_age": "72h", "revision_id": {"deny": ["^0{40}$"]},
                "commit_message": {"deny": ["^DO NOT MERGE"]}, "branches": ["*"]}"#,
    );
    assert_all_pass(&all.check_fixture(&codecommit(), now()));
    type Strip = fn(&mut RevisionFacts);
    let strip: [(&str, Strip); 6] = [
        ("latest", |f| f.sources[0].current_revision = None),
        ("max_age", |f| {
            f.artifacts.as_mut().unwrap()[0].created = None
        }),
        ("revision_id", |f| {
            f.artifacts.as_mut().unwrap()[0].revision_id = None
        }),
        ("commit_message", |f| {
            f.artifacts.as_mut().unwrap()[0].revision_summary = None;
            f.source_variables.as_mut().unwrap()[0]
                .variables
                .remove("CommitMessage");
        }),
        ("branches", |f| {
            f.source_variables.as_mut().unwrap()[0]
                .variables
                .remove("BranchName");
        }),
        ("branches", |f| f.source_variables = None),
    ];
    for (check, strip) in strip {
        let mut facts = codecommit();
        strip(&mut facts);
        let results = all.check_fixture(&facts, now());
        let failed = results
            .iter()
            .find(|result| result.reason.starts_with(&format!("{check}: ")))
            .unwrap();
        assert!(!failed.passed(), "{check}: {results:#?}");
    }
}
