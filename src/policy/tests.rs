//! Unit tests of the policy model: parsing, validation and rule matching.

use super::*;

const EXAMPLE: &str = r#"{"rules": [{"name": "prod-after-tests",
        "match": {"pipeline": "web-*", "stage": "Approve-Prod", "action": "*"},
        "require_succeeded": ["Build/IntegrationTests"],
        "on_fail": "reject"}]}"#;

fn target(pipeline: &str, stage: &str, action: &str) -> ApprovalTarget {
    ApprovalTarget {
        pipeline: pipeline.into(),
        stage: stage.into(),
        action: action.into(),
    }
}

fn error_of(text: &str) -> PolicyError {
    Policy::from_json(text).unwrap_err()
}

#[test]
fn loads_the_documented_example() {
    let policy = Policy::from_json(EXAMPLE).unwrap();
    let rule = &policy.rules[0];
    assert_eq!(rule.name, "prod-after-tests");
    assert_eq!(rule.on_fail, Severity::Reject);
    assert_eq!(
        rule.require_succeeded,
        vec![ActionRef {
            stage: "Build".into(),
            action: "IntegrationTests".into()
        }]
    );
}

#[test]
fn match_fields_default_to_any_and_on_fail_to_abstain() {
    let policy = Policy::from_json(r#"{"rules":[{"name":"all"}]}"#).unwrap();
    assert!(policy.rules[0].matcher.matches(&target("a", "b", "c")));
    assert_eq!(policy.rules[0].on_fail, Severity::Abstain);
}

#[test]
fn first_matching_rule_wins() {
    let policy = Policy::from_json(
        r#"{"rules":[{"name":"prod","match":{"stage":"Prod*"}},{"name":"rest"}]}"#,
    )
    .unwrap();
    let name = |stage| {
        policy
            .rule_for(&target("p", stage, "a"))
            .map(|r| r.name.as_str())
    };
    assert_eq!(name("Prod-EU"), Some("prod"));
    assert_eq!(name("Staging"), Some("rest"));
}

#[test]
fn no_rule_matches_outside_every_pattern() {
    let policy = Policy::from_json(EXAMPLE).unwrap();
    assert!(
        policy
            .rule_for(&target("api-shop", "Approve-Prod", "A"))
            .is_none()
    );
    assert!(
        policy
            .rule_for(&target("web-shop", "Approve-Staging", "A"))
            .is_none()
    );
    assert!(
        policy
            .rule_for(&target("web-shop", "Approve-Prod", "A"))
            .is_some()
    );
}

#[test]
fn a_schema_reference_for_editors_is_accepted_and_ignored() {
    let with = r#"{"$schema": "./policy.schema.json", "rules": [{"name": "a"}]}"#;
    let policy = Policy::from_json(with).unwrap();
    assert_eq!(policy.rules.len(), 1);
    assert_eq!(
        error_of(r#"{"$schema": null, "rules": []}"#).path,
        "$schema"
    );
    assert_eq!(error_of(r#"{"$schema": 1, "rules": []}"#).path, "$schema");
    // Only at the top: a rule has no such key.
    assert_eq!(
        error_of(r#"{"rules": [{"name": "a", "$schema": "x"}]}"#).path,
        "rules[0].$schema"
    );
}

#[test]
fn bad_json_names_the_document() {
    let error = error_of("{\"rules\": [");
    assert_eq!(error.path, "rules");
    assert!(error.message.contains("EOF"), "{error}");
    assert_eq!(error_of("not json").path, "(document)");
    assert_eq!(error_of(r#"{"rules": []} trailing"#).path, "(document)");
}

#[test]
fn unknown_field_names_its_place() {
    let error = error_of(r#"{"rules":[{"name":"a"},{"name":"b","match":{"stgae":"x"}}]}"#);
    assert_eq!(error.path, "rules[1].match.stgae");
    assert!(error.message.contains("unknown field"), "{error}");
    let error = error_of(r#"{"rules":[], "extra": 1}"#);
    assert_eq!(error.path, "extra");
}

#[test]
fn bad_pattern_names_its_place() {
    let error = error_of(
        r#"{"rules":[{"name":"a"},{"name":"b"},{"name":"c","match":{"stage":"Prod [eu]"}}]}"#,
    );
    assert_eq!(error.path, "rules[2].match.stage");
    assert_eq!(
        error_of(r#"{"rules":[{"name":"a","match":{"pipeline":""}}]}"#).path,
        "rules[0].match.pipeline"
    );
}

#[test]
fn bad_on_fail_names_its_place() {
    let error = error_of(r#"{"rules":[{"name":"a","on_fail":"approve"}]}"#);
    assert_eq!(error.path, "rules[0].on_fail");
}

#[test]
fn on_fail_defer_is_refused_because_a_failed_action_or_revision_stays_failed() {
    let error = error_of(r#"{"rules":[{"name":"a","on_fail":"defer"}]}"#);
    assert_eq!(error.path, "rules[0].on_fail");
    assert!(error.message.contains("use reject or abstain"), "{error:?}");
    let error = error_of(r#"{"rules":[{"name":"a","on_fail":null}]}"#);
    assert_eq!(error.path, "rules[0].on_fail");
}

#[test]
fn duplicate_and_empty_rule_names_are_refused() {
    let error = error_of(r#"{"rules":[{"name":"a"},{"name":"a"}]}"#);
    assert_eq!(error.path, "rules[1].name");
    assert!(error.message.contains("used twice"));
    assert_eq!(
        error_of(r#"{"rules":[{"name":" "}]}"#).path,
        "rules[0].name"
    );
    assert_eq!(error_of(r#"{"rules":[{"match":{}}]}"#).path, "rules[0]");
}

#[test]
fn rule_names_that_differ_only_by_spaces_around_them_are_duplicates() {
    // Given two rules named "prod" and "prod "
    let error = error_of(
        r#"{"rules":[{"name":"prod","match":{"stage":"A"}},
                         {"name":" prod\t","match":{"stage":"B"}}]}"#,
    );
    // Then the second is refused as a duplicate
    assert_eq!(error.path, "rules[1].name");
    assert!(error.message.contains("used twice"), "{error}");
}

#[test]
fn a_match_pattern_longer_than_any_name_is_refused_at_its_place() {
    let text = format!(
        r#"{{"rules":[{{"name":"a","match":{{"action":"{}"}}}}]}}"#,
        "A".repeat(101)
    );
    let error = error_of(&text);
    assert_eq!(error.path, "rules[0].match.action");
    assert!(
        error.message.contains("longer than any CodePipeline name"),
        "{error}"
    );
}

#[test]
fn a_rule_an_earlier_rule_covers_is_refused_naming_both() {
    for (earlier, later) in [
        // The issue's example: a catch-all first.
        (r#"{}"#, r#"{"pipeline":"web-shop","stage":"Approve-Prod"}"#),
        // Each pattern `*` or equal to the later one's.
        (
            r#"{"stage":"Approve-Prod"}"#,
            r#"{"pipeline":"web-shop","stage":"Approve-Prod","action":"Manual"}"#,
        ),
        (
            r#"{"pipeline":"web-shop","stage":"Approve-Prod","action":"Manual"}"#,
            r#"{"pipeline":"web-shop","stage":"Approve-Prod","action":"Manual"}"#,
        ),
        // Glob inclusion.
        (r#"{"pipeline":"web-*"}"#, r#"{"pipeline":"web-shop-*"}"#),
        (r#"{"stage":"Approve-?"}"#, r#"{"stage":"Approve-1"}"#),
    ] {
        // Given a broad rule before a narrower one
        let text = format!(
            r#"{{"rules":[{{"name":"other","match":{{"pipeline":"x"}}}},
                               {{"name":"everything-else","match":{earlier}}},
                               {{"name":"prod-strict","match":{later},"on_fail":"reject"}}]}}"#
        );
        // When the policy is loaded
        let error = error_of(&text);
        // Then the later rule is refused, naming the rule that hides it
        assert_eq!(error.path, "rules[2].match", "{earlier} {later}");
        assert_eq!(
            error.message,
            "rule \"prod-strict\" can never decide: rule \"everything-else\" (rules[1]) \
             comes first and matches every approval it matches; put the narrower rule first"
        );
    }
}

#[test]
fn a_narrower_rule_first_and_overlapping_rules_load() {
    for rules in [
        r#"[{"name":"prod-strict","match":{"stage":"Approve-Prod"}},{"name":"rest"}]"#,
        r#"[{"name":"web","match":{"pipeline":"web-*"}},{"name":"prod","match":{"stage":"Prod"}}]"#,
        r#"[{"name":"a","match":{"pipeline":"web-?"}},{"name":"b","match":{"pipeline":"web-*"}}]"#,
        r#"[{"name":"a","match":{"pipeline":"web-*"}},{"name":"b","match":{"pipeline":"*-shop"}}]"#,
    ] {
        let text = format!(r#"{{"rules":{rules}}}"#);
        assert!(Policy::from_json(&text).is_ok(), "{rules}");
    }
}

#[test]
fn require_succeeded_entries_must_be_stage_slash_action() {
    for bad in ["Build", "Build/", "/Tests", "Build/Unit Tests"] {
        let text =
            format!(r#"{{"rules":[{{"name":"a","require_succeeded":["Build/Ok",{bad:?}]}}]}}"#);
        assert_eq!(
            error_of(&text).path,
            "rules[0].require_succeeded[1]",
            "{bad}"
        );
    }
}

/// Every field of the README's example policies, in one rule.
fn every_field() -> serde_json::Value {
    serde_json::json!({"rules": [{
        "name": "prod",
        "match": {"pipeline": "web-*", "stage": "Approve-Prod", "action": "*"},
        "require_succeeded": ["Build/IntegrationTests"],
        "windows": {
            "timezone": "Europe/Berlin",
            "allow": [{"days": ["mon", "tue"], "from": "09:00", "to": "16:30"}],
            "freeze": [
                {"from": "2026-12-21T00:00", "to": "2027-01-04T06:00", "reason": "year-end freeze"},
                {"every": "year", "from": "12-24 00:00", "to": "12-27 00:00"},
                {"every": "week", "days": ["fri"], "from": "15:00", "to": "24:00"}],
            "outside": "defer"},
        "revisions": {
            "latest": true,
            "max_age": "72h",
            "revision_id": {"allow": ["^[0-9a-f]{40}$"], "deny": ["^0{40}$"]},
            "commit_message": {"deny": ["(?i)^wip"], "require": ["[A-Z]+-[0-9]+"],
                               "on_match": "abstain"},
            "branches": ["main", "release/*"],
            "artifacts": ["App*"]},
        "on_fail": "reject"}]})
}

#[test]
fn null_is_refused_for_every_field_naming_its_place() {
    // Given the README's examples, every field set, which load
    assert!(Policy::from_json(&every_field().to_string()).is_ok());
    for (pointer, place) in [
        ("/rules", "rules"),
        ("/rules/0/name", "rules[0].name"),
        ("/rules/0/match", "rules[0].match"),
        ("/rules/0/match/pipeline", "rules[0].match.pipeline"),
        ("/rules/0/match/stage", "rules[0].match.stage"),
        ("/rules/0/match/action", "rules[0].match.action"),
        ("/rules/0/require_succeeded", "rules[0].require_succeeded"),
        (
            "/rules/0/require_succeeded/0",
            "rules[0].require_succeeded[0]",
        ),
        ("/rules/0/on_fail", "rules[0].on_fail"),
        ("/rules/0/windows", "rules[0].windows"),
        ("/rules/0/windows/timezone", "rules[0].windows.timezone"),
        ("/rules/0/windows/allow", "rules[0].windows.allow"),
        (
            "/rules/0/windows/allow/0/days",
            "rules[0].windows.allow[0].days",
        ),
        (
            "/rules/0/windows/allow/0/from",
            "rules[0].windows.allow[0].from",
        ),
        ("/rules/0/windows/freeze", "rules[0].windows.freeze"),
        (
            "/rules/0/windows/freeze/0/reason",
            "rules[0].windows.freeze[0].reason",
        ),
        (
            "/rules/0/windows/freeze/0/to",
            "rules[0].windows.freeze[0].to",
        ),
        (
            "/rules/0/windows/freeze/1/every",
            "rules[0].windows.freeze[1].every",
        ),
        (
            "/rules/0/windows/freeze/2/days",
            "rules[0].windows.freeze[2].days",
        ),
        ("/rules/0/windows/outside", "rules[0].windows.outside"),
        ("/rules/0/revisions", "rules[0].revisions"),
        ("/rules/0/revisions/latest", "rules[0].revisions.latest"),
        ("/rules/0/revisions/max_age", "rules[0].revisions.max_age"),
        (
            "/rules/0/revisions/revision_id",
            "rules[0].revisions.revision_id",
        ),
        (
            "/rules/0/revisions/revision_id/allow",
            "rules[0].revisions.revision_id.allow",
        ),
        (
            "/rules/0/revisions/revision_id/deny",
            "rules[0].revisions.revision_id.deny",
        ),
        (
            "/rules/0/revisions/commit_message",
            "rules[0].revisions.commit_message",
        ),
        (
            "/rules/0/revisions/commit_message/deny",
            "rules[0].revisions.commit_message.deny",
        ),
        (
            "/rules/0/revisions/commit_message/require",
            "rules[0].revisions.commit_message.require",
        ),
        (
            "/rules/0/revisions/commit_message/on_match",
            "rules[0].revisions.commit_message.on_match",
        ),
        ("/rules/0/revisions/branches", "rules[0].revisions.branches"),
        (
            "/rules/0/revisions/artifacts",
            "rules[0].revisions.artifacts",
        ),
    ] {
        // When one field is null
        let mut document = every_field();
        *document.pointer_mut(pointer).unwrap() = serde_json::Value::Null;
        let error = error_of(&document.to_string());
        // Then the policy is refused at that field, and the message says null
        assert_eq!(error.path, place, "{error}");
        assert!(error.message.contains("null"), "{error}");
    }
}

#[test]
fn a_null_optional_field_says_to_remove_it() {
    let error = error_of(r#"{"rules":[{"name":"a","revisions":null}]}"#);
    assert_eq!(
        error.to_string().split(" at line").next(),
        Some("invalid policy at rules[0].revisions: null is not allowed: remove the field instead")
    );
}

#[test]
fn error_message_reads_as_one_line() {
    let error = error_of(r#"{"rules":[{"name":"a","match":{"stage":"a b"}}]}"#);
    let text = error.to_string();
    assert!(
        text.starts_with("invalid policy at rules[0].match.stage: "),
        "{text}"
    );
}

#[test]
fn a_calendar_event_selects_the_rules_naming_its_document_or_its_very_arn() {
    let policy = Policy::from_json(
        r#"{"rules": [
            {"name": "own", "match": {"pipeline": "a"}, "change_calendars": {"names": ["prod-cal"]}},
            {"name": "shared", "match": {"pipeline": "b"}, "change_calendars": {"names": ["arn:aws:ssm:us-east-1:111122223333:document/org-freeze"]}},
            {"name": "none", "match": {"pipeline": "c"}}]}"#,
    )
    .unwrap();
    let watching = |arn: &str| -> Vec<&str> {
        policy
            .rules_watching_calendar(arn)
            .iter()
            .map(|rule| rule.name.as_str())
            .collect()
    };

    assert_eq!(
        watching("arn:aws:ssm:us-east-1:123456789012:document/prod-cal"),
        ["own"]
    );
    assert_eq!(
        watching("arn:aws:ssm:us-east-1:111122223333:document/org-freeze"),
        ["shared"]
    );
    assert!(watching("arn:aws:ssm:us-east-1:123456789012:document/org-freeze").is_empty());
    assert!(watching("arn:aws:ssm:us-east-1:123456789012:document/other").is_empty());
}

#[test]
fn an_alarm_event_selects_the_rules_naming_it_or_a_prefix_of_it() {
    let policy = Policy::from_json(
        r#"{"rules": [
            {"name": "named", "match": {"pipeline": "a"}, "alarms": {"names": ["web-prod-5xx"]}},
            {"name": "prefixed", "match": {"pipeline": "b"}, "alarms": {"prefixes": ["web-prod-"]}},
            {"name": "other", "match": {"pipeline": "c"}, "alarms": {"names": ["api-5xx"]}}]}"#,
    )
    .unwrap();
    let watching = |alarm: &str| -> Vec<&str> {
        policy
            .rules_watching(alarm)
            .iter()
            .map(|rule| rule.name.as_str())
            .collect()
    };

    assert_eq!(watching("web-prod-5xx"), ["named", "prefixed"]);
    assert_eq!(watching("web-prod-latency"), ["prefixed"]);
    assert!(watching("WEB-PROD-5XX").is_empty());
    assert!(watching("web-prod").is_empty());
}
