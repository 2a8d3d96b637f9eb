//! `latest`, `max_age`, `revision_id` and `commit_message`, source kind by source kind.

use super::*;
use crate::policy::revisions::check::MESSAGE_QUOTE_CHARS;

// --- latest ---

#[test]
fn given_every_source_at_the_carried_revision_when_checked_then_latest_passes() {
    let latest = revisions(r#"{"latest": true}"#);
    for facts in [
        codecommit(),
        github("Fix", "main"),
        s3(),
        ecr(),
        app_and_config(),
    ] {
        assert_all_pass(&latest.check_fixture(&facts, now()));
    }
}

#[test]
fn given_one_of_two_sources_has_seen_a_newer_revision_when_checked_then_latest_names_it() {
    let mut facts = app_and_config();
    facts.sources[0].current_revision = Some(NEWER_COMMIT.into());
    let checks = revisions(r#"{"latest": true}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        format!(
            "latest: source Checkout has seen revision f00dcafe1234 since; execution \
             {EXECUTION} carries ddbe7ef25751 from it — the newer execution will ask for \
             its own approval"
        )
    );
    assert_eq!(checks[0].failed, Some(RULE_ON_FAIL));
}

#[test]
fn given_a_source_without_current_revision_when_checked_then_latest_fails() {
    let mut facts = app_and_config();
    facts.sources[1].current_revision = None;
    let checks = revisions(r#"{"latest": true}"#).check_fixture(&facts, now());
    assert!(
        only_failure(&checks)
            .reason
            .starts_with("latest: source Config shows no current revision"),
        "{checks:#?}"
    );
}

#[test]
fn given_missing_latest_facts_when_checked_then_latest_fails_and_says_why() {
    let latest = revisions(r#"{"latest": true}"#);
    let reason = |facts: RevisionFacts| {
        only_failure(&latest.check_fixture(&facts, now()))
            .reason
            .clone()
    };

    let mut facts = codecommit();
    facts.artifacts = None;
    assert_eq!(
        reason(facts),
        format!("latest: the revisions of execution {EXECUTION} could not be read")
    );

    let mut facts = codecommit();
    facts.artifacts = Some(Vec::new());
    assert!(reason(facts).contains("carries no artifact revisions"));

    let mut facts = codecommit();
    facts.sources.clear();
    assert!(reason(facts).contains("source Source shows no current revision"));

    let mut facts = codecommit();
    facts.source_variables = None;
    assert!(reason(facts).contains("the action executions of execution"));

    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].revision_id = None;
    let checks = latest.check_fixture(&facts, now());
    let text = failures(&checks)[0].to_owned();
    assert!(
        text.starts_with("latest: artifact SourceArtifact cannot be paired"),
        "without an id, nothing pairs it with its source: {text}"
    );
}

// --- max_age ---

#[test]
fn given_revisions_within_max_age_when_checked_then_it_passes_for_every_source_kind() {
    let max_age = revisions(r#"{"max_age": "72h"}"#);
    for facts in [
        codecommit(),
        github("Fix", "main"),
        s3(),
        ecr(),
        app_and_config(),
    ] {
        assert_all_pass(&max_age.check_fixture(&facts, now()));
    }
}

#[test]
fn given_a_revision_older_than_max_age_when_checked_then_it_fails_with_its_age() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-22T16:00:00Z"));
    let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "max_age: revision 8d3f1c2b7a6e was created 88h ago, more than 72h"
    );
}

#[test]
fn given_a_revision_exactly_max_age_old_when_checked_then_it_passes_and_a_moment_more_fails() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-23T08:00:00Z"));
    assert_all_pass(&revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now()));
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-23T07:59:59.999Z"));
    let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
    assert!(only_failure(&checks).reason.contains("created 72h1m ago"));
}

#[test]
fn given_a_revision_just_over_max_age_when_checked_then_its_age_never_reads_as_the_limit() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-23T07:59:30Z"));
    let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "max_age: revision 8d3f1c2b7a6e was created 72h1m ago, more than 72h"
    );
    let checks = revisions(r#"{"max_age": "3d"}"#).check_fixture(&facts, now());
    assert!(
        only_failure(&checks)
            .reason
            .contains("created 3d1h ago, more than 3d")
    );
    let checks = revisions(r#"{"max_age": "4320m"}"#).check_fixture(&facts, now());
    assert!(
        only_failure(&checks)
            .reason
            .contains("created 4321m ago, more than 4320m")
    );
}

#[test]
fn given_an_old_ecr_image_when_checked_then_max_age_names_it_by_its_digest() {
    let mut facts = ecr();
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-10T06:00:00Z"));
    let checks = revisions(r#"{"max_age": "14d"}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "max_age: revision sha256:4f3c9e1a0b2d was created 16d2h ago, more than 14d"
    );
}

#[test]
fn given_a_revision_stamped_in_the_future_when_checked_then_max_age_counts_it_as_new() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-26T08:05:00Z"));
    assert_all_pass(&revisions(r#"{"max_age": "90m"}"#).check_fixture(&facts, now()));
}

#[test]
fn given_a_revision_without_creation_time_when_checked_then_max_age_fails() {
    let mut facts = s3();
    facts.artifacts.as_mut().unwrap()[0].created = None;
    let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "max_age: revision 3sL4kqtJlcpX has no creation time, so its age is unknown"
    );
}

#[test]
fn given_two_sources_one_old_when_checked_then_max_age_fails_only_for_that_one() {
    let facts = app_and_config();
    let checks = revisions(r#"{"max_age": "2h"}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "max_age: revision 3sL4kqtJlcpX was created 12h ago, more than 2h"
    );
}

// --- revision_id ---

#[test]
fn given_a_commit_id_allowed_by_pattern_when_checked_then_revision_id_passes() {
    let check = revisions(r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$"]}}"#);
    assert_all_pass(&check.check_fixture(&codecommit(), now()));
    assert_all_pass(&check.check_fixture(&github("Fix", "main"), now()));
}

#[test]
fn given_an_ecr_digest_when_only_commits_are_allowed_then_revision_id_fails() {
    let check = revisions(r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$", "^v[0-9]+$"]}}"#);
    let checks = check.check_fixture(&ecr(), now());
    assert_eq!(
        only_failure(&checks).reason,
        "revision_id: revision sha256:4f3c9e1a0b2d matches no allow pattern \
         (^[0-9a-f]{40}$ or ^v[0-9]+$)"
    );
}

#[test]
fn given_an_s3_version_when_allowed_by_its_own_pattern_then_revision_id_passes() {
    let check = revisions(r#"{"revision_id": {"allow": ["^[A-Za-z0-9._+/-]{32,}$"]}}"#);
    assert_all_pass(&check.check_fixture(&s3(), now()));
}

#[test]
fn given_a_denied_revision_id_when_checked_then_revision_id_fails() {
    let check =
        revisions(r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$"], "deny": ["^8d3f1c2b"]}}"#);
    let checks = check.check_fixture(&codecommit(), now());
    assert_eq!(
        only_failure(&checks).reason,
        "revision_id: revision 8d3f1c2b7a6e matches deny pattern ^8d3f1c2b"
    );
}

#[test]
fn given_a_revision_without_id_when_checked_then_revision_id_fails() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].revision_id = None;
    let checks =
        revisions(r#"{"revision_id": {"deny": ["^0{40}$"]}}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "revision_id: artifact SourceArtifact has no revision id"
    );
}

// --- commit_message ---

#[test]
fn given_a_codecommit_message_matching_deny_when_checked_then_it_fails_with_on_match() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].revision_summary = Some("WIP: try".into());
    let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"], "on_match": "abstain"}}"#);
    let failure = only_failure(&check.check_fixture(&facts, now())).clone();
    assert_eq!(
        failure.reason,
        "commit_message: \"WIP: try\" matches deny pattern (?i)^wip"
    );
    assert_eq!(failure.failed, Some(Severity::Abstain));
}

#[test]
fn given_on_match_reject_or_none_when_deny_matches_then_on_fail_follows_it() {
    let facts = github("[skip auto-approve] bump deps", "main");
    let (facts, heads) = facts.evidence();
    let with = |json: &str| {
        only_failure(&revisions(json).check(&facts, &heads, now(), Severity::Abstain)).failed
    };
    let deny = r"(?i)\\[(no|skip)[ -]auto[ -]?approve\\]";
    assert_eq!(
        with(&format!(
            r#"{{"commit_message": {{"deny": ["{deny}"], "on_match": "reject"}}}}"#
        )),
        Some(Severity::Reject)
    );
    assert_eq!(
        with(&format!(r#"{{"commit_message": {{"deny": ["{deny}"]}}}}"#)),
        Some(Severity::Abstain),
        "without on_match a deny match asks for the rule's on_fail"
    );
}

#[test]
fn given_a_codestar_json_summary_when_checked_then_the_commit_message_inside_is_matched() {
    let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
    let checks = check.check_fixture(&github("wip: half a feature", "main"), now());
    assert_eq!(
        only_failure(&checks).reason,
        "commit_message: \"wip: half a feature\" matches deny pattern (?i)^wip"
    );
    assert_all_pass(&check.check_fixture(&github("Ship the feature", "main"), now()));
}

#[test]
fn given_a_cut_json_summary_when_checked_then_the_commit_message_variable_is_used() {
    let mut facts = github("WIP: a very long message", "main");
    facts.artifacts.as_mut().unwrap()[0].revision_summary =
        Some(r#"{"ProviderType":"GitHub","CommitMessage":"WIP: a very lo"#.into());
    let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
    let checks = check.check_fixture(&facts, now());
    assert!(
        only_failure(&checks)
            .reason
            .starts_with("commit_message: \"WIP: a very long message\""),
        "{checks:#?}"
    );
}

#[test]
fn given_a_json_summary_without_message_and_no_variable_then_commit_message_fails() {
    let mut facts = github("Fix", "main");
    facts.artifacts.as_mut().unwrap()[0].revision_summary =
        Some(r#"{"ProviderType":"GitHub","CommitMessage":"Fix the th"#.into());
    facts.source_variables.as_mut().unwrap()[0]
        .variables
        .remove("CommitMessage");
    // A deny pattern that the raw wrapper would not match must not pass it.
    let checks =
        revisions(r#"{"commit_message": {"deny": ["^Fix"]}}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "commit_message: revision ddbe7ef25751 has no commit message in its summary or \
         output variables (S3 and ECR sources carry none)"
    );
}

#[test]
fn given_a_summary_absent_when_checked_then_the_commit_message_variable_is_used() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].revision_summary = None;
    facts.source_variables.as_mut().unwrap()[0]
        .variables
        .insert("CommitMessage".into(), "[no auto approve] risky".into());
    let check = revisions(DOCUMENTED);
    let checks = check.check_fixture(&facts, now());
    assert_eq!(
        failures(&checks),
        [
            "commit_message: \"[no auto approve] risky\" matches deny pattern \
             (?i)\\[(no|skip)[ -]auto[ -]?approve\\]"
        ]
    );
}

#[test]
fn given_an_s3_source_without_summary_when_checked_then_commit_message_fails() {
    let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
    let checks = check.check_fixture(&s3(), now());
    assert_eq!(
        only_failure(&checks).reason,
        "commit_message: revision 3sL4kqtJlcpX has no commit message in its summary or \
         output variables (S3 and ECR sources carry none)"
    );
    assert_eq!(
        checks[0].failed,
        Some(RULE_ON_FAIL),
        "a missing message is not a deny match"
    );
    let checks = check.check_fixture(&ecr(), now());
    assert!(
        only_failure(&checks)
            .reason
            .contains("has no commit message")
    );
}

#[test]
fn given_an_s3_summary_set_by_the_uploader_when_checked_then_it_is_the_message() {
    let mut facts = s3();
    facts.artifacts.as_mut().unwrap()[0].revision_summary =
        Some("a1b2c3d WIP: new rate limits".into());
    let check = revisions(r#"{"commit_message": {"deny": ["(?i)\\bwip\\b"]}}"#);
    assert!(
        only_failure(&check.check_fixture(&facts, now()))
            .reason
            .contains("matches deny pattern")
    );
}

#[test]
fn given_a_summary_and_unread_variables_when_checked_then_the_summary_suffices() {
    let mut facts = codecommit();
    facts.source_variables = None;
    let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
    assert_all_pass(&check.check_fixture(&facts, now()));
}

#[test]
fn given_no_summary_and_unread_variables_when_checked_then_commit_message_fails() {
    let mut facts = codecommit();
    facts.artifacts.as_mut().unwrap()[0].revision_summary = Some("  ".into());
    facts.source_variables = None;
    let checks =
        revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "commit_message: revision 8d3f1c2b7a6e has no commit message in its summary, and \
         its source action's variables cannot be used: the action executions of the \
         execution could not be read"
    );
}

#[test]
fn given_unread_revisions_when_checked_then_commit_message_fails() {
    let mut facts = codecommit();
    facts.artifacts = None;
    let checks = revisions(r#"{"commit_message": {"deny": ["x"]}}"#).check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        format!("commit_message: the revisions of execution {EXECUTION} could not be read")
    );
}

#[test]
fn given_a_message_missing_a_required_pattern_when_checked_then_it_fails_with_on_fail() {
    let check = revisions(
        r#"{"commit_message": {"deny": ["(?i)^wip"], "require": ["[A-Z]+-[0-9]+", "(?m)^Reviewed-by: "],
                "on_match": "reject"}}"#,
    );
    let facts = github("SHOP-1423 Add the holiday banner", "main");
    let checks = check.check_fixture(&facts, now());
    assert_eq!(
        only_failure(&checks).reason,
        "commit_message: \"SHOP-1423 Add the holiday banner\" does not match required \
         pattern (?m)^Reviewed-by: "
    );
    assert_eq!(
        checks[0].failed,
        Some(RULE_ON_FAIL),
        "on_match is for deny matches only"
    );
    let facts = github("SHOP-1423 Add the banner\n\nReviewed-by: Dana", "main");
    assert_eq!(
        check.check_fixture(&facts, now())[0].reason,
        "commit_message: no message matches a deny pattern, and every one matches the \
         required patterns"
    );
}

#[test]
fn given_an_untrusted_message_when_quoted_then_it_is_one_short_line() {
    let message = format!("WIP\u{1b}[31m\r\nfake: approved\u{202e}{}", "x".repeat(200));
    let checks = revisions(r#"{"commit_message": {"deny": ["^WIP"]}}"#)
        .check_fixture(&github(&message, "main"), now());
    let reason = &only_failure(&checks).reason;
    assert!(
        reason.chars().all(|c| !c.is_control() && c != '\u{202e}'),
        "{reason:?}"
    );
    let quoted = reason
        .strip_prefix("commit_message: \"")
        .and_then(|rest| rest.split_once("\" matches"))
        .map(|(quoted, _)| quoted)
        .unwrap();
    assert_eq!(quoted.chars().count(), MESSAGE_QUOTE_CHARS);
    assert!(
        quoted.starts_with("WIP [31m  fake: approvedxxx"),
        "{quoted:?}"
    );
    assert!(quoted.ends_with('…'));
}
