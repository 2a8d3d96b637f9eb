//! Loading a `revisions` object, and the calls its checks need.

use super::*;

// --- loading ---

#[test]
fn given_the_documented_example_when_loaded_then_every_check_is_set() {
    let revisions = revisions(DOCUMENTED);
    assert!(revisions.latest);
    assert_eq!(revisions.max_age.as_ref().unwrap().seconds, 72 * 3_600);
    assert_eq!(revisions.revision_id.as_ref().unwrap().allow.len(), 1);
    let commit_message = revisions.commit_message.as_ref().unwrap();
    assert_eq!(commit_message.deny.len(), 2);
    assert_eq!(commit_message.on_match, Some(Severity::Abstain));
    assert_eq!(revisions.branches.as_ref().unwrap().len(), 2);
    assert!(revisions.artifacts.is_none());
}

#[test]
fn given_the_documented_example_when_a_codecommit_revision_fits_then_every_check_passes() {
    let checks = revisions(DOCUMENTED).check_fixture(&codecommit(), now());
    assert_all_pass(&checks);
    let reasons: Vec<_> = checks.iter().map(|check| check.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "latest: every source is at its newest revision",
            "max_age: every revision was created within the last 72h",
            "revision_id: every revision id is allowed",
            "commit_message: no message matches a deny pattern",
            "branches: source Source built main",
        ]
    );
    assert!(checks.iter().all(Check::passed));
}

#[test]
fn given_no_check_when_loaded_then_it_is_refused_at_the_revisions_object() {
    for json in [r#"{}"#, r#"{"latest": false}"#] {
        let error = parse_error(json);
        assert_eq!(error.path, AT, "{json}");
        assert!(error.message.contains("no check is set"), "{error:?}");
    }
}

#[test]
fn given_latest_alone_when_loaded_then_it_is_a_check() {
    assert!(revisions(r#"{"latest": true}"#).latest);
}

#[test]
fn given_an_unknown_field_when_loaded_then_the_error_names_its_place() {
    let cases = [
        (
            r#"{"latest": true, "newest": true}"#,
            "rules[0].revisions.newest",
        ),
        (
            r#"{"commit_message": {"deny": ["x"], "onmatch": "reject"}}"#,
            "rules[0].revisions.commit_message.onmatch",
        ),
        (
            r#"{"revision_id": {"allow": ["x"], "denied": ["y"]}}"#,
            "rules[0].revisions.revision_id.denied",
        ),
    ];
    for (json, path) in cases {
        let error = parse_error(json);
        assert_eq!(error.path, path, "{json}");
        assert!(error.message.contains("unknown field"), "{error:?}");
    }
}

#[test]
fn given_a_field_of_the_wrong_type_when_loaded_then_the_error_names_its_place() {
    let cases = [
        (r#"{"latest": "yes"}"#, "rules[0].revisions.latest"),
        (r#"{"max_age": 72}"#, "rules[0].revisions.max_age"),
        (r#"{"branches": "main"}"#, "rules[0].revisions.branches"),
        (
            r#"{"revision_id": {"allow": "^[0-9a-f]{40}$"}}"#,
            "rules[0].revisions.revision_id.allow",
        ),
    ];
    for (json, path) in cases {
        assert_eq!(parse_error(json).path, path, "{json}");
    }
}

#[test]
fn given_an_invalid_regex_when_loaded_then_the_error_names_its_place_in_one_line() {
    let cases = [
        (
            r#"{"commit_message": {"deny": ["(?i)^wip", "(?i)^wip("]}}"#,
            "rules[0].revisions.commit_message.deny[1]",
        ),
        (
            r#"{"commit_message": {"require": ["[Z-A]+-[0-9]+"]}}"#,
            "rules[0].revisions.commit_message.require[0]",
        ),
        (
            r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$"], "deny": ["*"]}}"#,
            "rules[0].revisions.revision_id.deny[0]",
        ),
        (
            r#"{"revision_id": {"allow": ["^[0-9a-f]{40,2}$"]}}"#,
            "rules[0].revisions.revision_id.allow[0]",
        ),
    ];
    for (json, path) in cases {
        let error = parse_error(json);
        assert_eq!(error.path, path, "{json}");
        assert!(
            error.message.starts_with("invalid regular expression: "),
            "{error:?}"
        );
        assert!(!error.message.contains('\n'), "{error:?}");
    }
    let error = parse_error(r#"{"commit_message": {"deny": ["(?i)^wip("]}}"#);
    assert_eq!(error.message, "invalid regular expression: unclosed group");
}

#[test]
fn given_a_regex_too_big_to_compile_when_loaded_then_it_is_refused_at_its_place() {
    let error = parse_error(r#"{"revision_id": {"deny": ["(\\w{100}){100}"]}}"#);
    assert_eq!(error.path, "rules[0].revisions.revision_id.deny[0]");
    assert!(error.message.contains("size limit"), "{error:?}");
    assert!(!error.message.contains('\n'), "{error:?}");
}

#[test]
fn given_an_empty_regex_when_loaded_then_it_is_refused_because_it_matches_everything() {
    let error = parse_error(r#"{"commit_message": {"deny": ["(?i)^wip", ""]}}"#);
    assert_eq!(error.path, "rules[0].revisions.commit_message.deny[1]");
    assert!(error.message.contains("matches every text"), "{error:?}");
}

#[test]
fn given_a_regex_that_matches_the_empty_text_when_loaded_then_it_is_refused() {
    for (field, list) in [
        ("revision_id", "allow"),
        ("revision_id", "deny"),
        ("commit_message", "deny"),
        ("commit_message", "require"),
    ] {
        for pattern in [
            "x*",
            "^",
            "$",
            "a|",
            "(?:)",
            "(?i)(wip)?",
            "\\b*",
            "[a-z]{0,3}",
        ] {
            // Given a pattern that matches the empty text, after a sound one
            let json = format!(
                r#"{{"{field}": {{"{list}": ["^[0-9a-f]{{40}}$", {}]}}}}"#,
                serde_json::to_string(pattern).unwrap()
            );
            // When the policy is loaded
            let error = parse_error(&json);
            // Then it is refused at its place, saying it matches every text
            assert_eq!(
                error.path,
                format!("rules[0].revisions.{field}.{list}[1]"),
                "{json}"
            );
            assert!(error.message.contains("matches every text"), "{error:?}");
        }
    }
    // A pattern that needs at least one character still loads
    revisions(r#"{"commit_message": {"deny": ["(?i)^wip", "x+", "^a|b$"]}}"#);
}

#[test]
fn given_max_age_when_written_as_one_number_and_unit_then_it_loads() {
    for (text, seconds) in [
        ("90m", 90 * 60),
        ("72h", 72 * 3_600),
        ("14d", 14 * 86_400),
        ("365d", 365 * 86_400),
        ("1m", 60),
    ] {
        let json = format!(r#"{{"max_age": {text:?}}}"#);
        assert_eq!(revisions(&json).max_age.unwrap().seconds, seconds, "{text}");
    }
}

#[test]
fn given_max_age_when_malformed_zero_or_too_long_then_it_is_refused_at_its_place() {
    for text in [
        "",
        "h",
        "72",
        "0h",
        "0d",
        "-1h",
        "+1h",
        "1h30m",
        "72H",
        " 72h",
        "72h ",
        "1.5h",
        "1w",
        "366d",
        "8761h",
        "525601m",
        "99999999999999999999d",
        "７２h",
    ] {
        let json = format!(r#"{{"max_age": {text:?}}}"#);
        let error = parse_error(&json);
        assert_eq!(error.path, "rules[0].revisions.max_age", "{text:?}");
    }
    assert!(
        parse_error(r#"{"max_age": "366d"}"#)
            .message
            .contains("365d")
    );
}

#[test]
fn given_an_empty_list_when_loaded_then_it_is_refused_because_it_checks_nothing() {
    let cases = [
        (r#"{"branches": []}"#, "rules[0].revisions.branches"),
        (
            r#"{"latest": true, "revision_id": {"allow": []}}"#,
            "rules[0].revisions.revision_id.allow",
        ),
        (
            r#"{"commit_message": {"deny": [], "require": ["x"]}}"#,
            "rules[0].revisions.commit_message.deny",
        ),
        (
            r#"{"max_age": "1d", "artifacts": []}"#,
            "rules[0].revisions.artifacts",
        ),
    ];
    for (json, path) in cases {
        let error = parse_error(json);
        assert_eq!(error.path, path, "{json}");
        assert!(error.message.contains("empty list"), "{error:?}");
    }
}

#[test]
fn given_a_check_object_without_patterns_when_loaded_then_it_is_refused() {
    let error = parse_error(r#"{"latest": true, "revision_id": {}}"#);
    assert_eq!(error.path, "rules[0].revisions.revision_id");
    let error = parse_error(r#"{"commit_message": {}}"#);
    assert_eq!(error.path, "rules[0].revisions.commit_message");
    let error = parse_error(r#"{"commit_message": {"on_match": "reject"}}"#);
    assert_eq!(error.path, "rules[0].revisions.commit_message");
}

#[test]
fn given_on_match_without_deny_patterns_when_loaded_then_it_is_refused() {
    let error = parse_error(r#"{"commit_message": {"require": ["x"], "on_match": "reject"}}"#);
    assert_eq!(error.path, "rules[0].revisions.commit_message.on_match");
}

#[test]
fn given_on_match_approve_when_loaded_then_it_is_refused_because_a_match_never_approves() {
    let error = parse_error(r#"{"commit_message": {"deny": ["x"], "on_match": "approve"}}"#);
    assert_eq!(error.path, "rules[0].revisions.commit_message.on_match");
    assert!(error.message.contains("unknown variant"), "{error:?}");
}

#[test]
fn given_on_match_defer_when_loaded_then_it_is_refused_because_a_message_never_changes() {
    let error = parse_error(r#"{"commit_message": {"deny": ["x"], "on_match": "defer"}}"#);
    assert_eq!(error.path, "rules[0].revisions.commit_message.on_match");
    assert!(error.message.contains("use reject or abstain"), "{error:?}");
}

#[test]
fn given_a_branch_pattern_that_could_never_match_when_loaded_then_it_is_refused() {
    for bad in [
        "release/[0-9]*",
        "",
        "feature x",
        "main~1",
        "refs:heads",
        "a\\b",
    ] {
        let json = format!(r#"{{"branches": ["main", {bad:?}]}}"#);
        assert_eq!(
            parse_error(&json).path,
            "rules[0].revisions.branches[1]",
            "{bad:?}"
        );
    }
}

#[test]
fn given_an_artifacts_pattern_that_could_never_match_when_loaded_then_it_is_refused() {
    for bad in ["Source Artifact", "", "App/[a-z]", "Src#1"] {
        let json = format!(r#"{{"max_age": "1d", "artifacts": ["App*", {bad:?}]}}"#);
        assert_eq!(
            parse_error(&json).path,
            "rules[0].revisions.artifacts[1]",
            "{bad:?}"
        );
    }
}

#[test]
fn given_artifacts_with_only_latest_when_loaded_then_it_is_refused_as_meaningless() {
    let error = parse_error(r#"{"latest": true, "artifacts": ["App*"]}"#);
    assert_eq!(error.path, "rules[0].revisions.artifacts");
    assert!(error.message.contains("latest always covers"), "{error:?}");
}

// --- needs ---

#[test]
fn given_each_check_when_asked_then_needs_names_the_calls_it_reads() {
    let needs = |json: &str| revisions(json).needs();
    let both = Needs {
        execution: true,
        action_executions: true,
    };
    let execution_only = Needs {
        execution: true,
        action_executions: false,
    };
    assert_eq!(
        needs(r#"{"latest": true}"#),
        both,
        "latest pairs each artifact with its source action"
    );
    assert_eq!(needs(r#"{"max_age": "1d"}"#), execution_only);
    assert_eq!(
        needs(r#"{"revision_id": {"deny": ["^0{40}$"]}}"#),
        execution_only
    );
    assert_eq!(needs(r#"{"commit_message": {"deny": ["x"]}}"#), both);
    assert_eq!(
        needs(r#"{"branches": ["main"]}"#),
        both,
        "branches reads how the execution was started"
    );
    assert_eq!(needs(r#"{"latest": true, "branches": ["main"]}"#), both);
    assert_eq!(
        needs(r#"{"max_age": "1d", "artifacts": ["App*"]}"#),
        both,
        "pairing artifacts with source actions reads both"
    );
    assert_eq!(
        needs(r#"{"branches": ["main"], "artifacts": ["App*"]}"#),
        both
    );
    assert_eq!(needs(DOCUMENTED), both);
}
