#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::evidence::ExecutionFacts;
use crate::fixtures::{self, EXECUTION};
use crate::pipeline::{
    ActionRecord, ActionStatus, Declaration, DeclaredNamespace, ExecutionRecord, ExecutionStatus,
    PipelineVariable,
};
use crate::policy::Policy;

/// The `variables` of a one-rule policy, validated as the gate validates it.
fn parse(variables: serde_json::Value) -> Result<Vec<VariableCheck>, PolicyError> {
    let policy = serde_json::json!({"rules": [{"name": "r", "variables": variables}]});
    Policy::from_json(&policy.to_string()).map(|mut policy| policy.rules.remove(0).variables)
}

fn one(comparison: serde_json::Value) -> VariableCheck {
    parse(serde_json::json!([comparison])).unwrap().remove(0)
}

fn refused(variables: serde_json::Value) -> PolicyError {
    parse(variables).expect_err("refused")
}

/// The attempt of `Stage/action`, declaring namespace `namespace`, with its outputs.
fn attempt(
    execution: &str,
    action: &str,
    status: ActionStatus,
    updated: Option<&str>,
    outputs: &[(&str, &str)],
) -> ActionRecord {
    ActionRecord {
        updated: updated.map(fixtures::at),
        namespace: Some(namespace_of(action).into()),
        variables: outputs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        ..fixtures::record(execution, "Build", action, status)
    }
}

fn namespace_of(action: &str) -> &'static str {
    match action {
        "Scan" => "Scan",
        "Coverage" => "Cov",
        _ => "Other",
    }
}

fn declaration() -> Declaration {
    Declaration {
        namespaces: ["Scan", "Coverage"]
            .into_iter()
            .map(|action| DeclaredNamespace {
                namespace: namespace_of(action).into(),
                stage: "Build".into(),
                action: action.into(),
            })
            .collect(),
        ..Declaration::default()
    }
}

/// The facts of `EXECUTION`, with `records` as its attempts and `pipeline` as its
/// pipeline-level variables.
fn facts(records: Vec<ActionRecord>, pipeline: &[(&str, Option<&str>)]) -> ExecutionFacts {
    ExecutionFacts::about(EXECUTION)
        .with_execution(ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            status: ExecutionStatus::InProgress,
            variables: pipeline
                .iter()
                .map(|(name, value)| PipelineVariable {
                    name: (*name).into(),
                    value: value.map(str::to_owned),
                })
                .collect(),
            ..ExecutionRecord::default()
        })
        .with_actions(records)
        .with_namespaces(&declaration())
}

fn scan(findings: &str) -> ExecutionFacts {
    facts(
        vec![attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:00:00Z"),
            &[("CRITICAL_FINDINGS", findings)],
        )],
        &[("RELEASE_TYPE", Some("standard"))],
    )
}

fn verdict(check: &VariableCheck, facts: &ExecutionFacts) -> Option<Severity> {
    check.check(facts, Severity::Reject).failed
}

#[test]
fn the_issues_example_reads_and_passes_on_the_execution_it_names() {
    let checks = parse(serde_json::json!([
        {"variable": "#{Scan.CRITICAL_FINDINGS}", "at_most": 0},
        {"variable": "#{variables.RELEASE_TYPE}", "equals": "standard"},
    ]))
    .unwrap();
    let facts = scan("0");
    let results: Vec<Check> = checks
        .iter()
        .map(|c| c.check(&facts, Severity::Reject))
        .collect();
    assert!(results.iter().all(Check::passed), "{results:?}");
    assert_eq!(
        results[0].reason,
        "variables: #{Scan.CRITICAL_FINDINGS} is \"0\", which is at most 0"
    );
    assert_eq!(
        checks[0].check(&scan("3"), Severity::Abstain),
        Check::fail(
            Severity::Abstain,
            "variables: #{Scan.CRITICAL_FINDINGS} is \"3\", which is above 0"
        )
    );
}

#[test]
fn each_operator_compares_as_documented() {
    let cases = [
        (serde_json::json!({"equals": "0"}), "0", true),
        (serde_json::json!({"equals": "0"}), "00", false),
        (serde_json::json!({"not_equals": "0"}), "1", true),
        (serde_json::json!({"not_equals": "0"}), "0", false),
        (
            serde_json::json!({"contains": "HIGH"}),
            "2 HIGH, 0 LOW",
            true,
        ),
        (serde_json::json!({"contains": "HIGH"}), "2 high", false),
        // The whole value must match, as Java's String.matches.
        (serde_json::json!({"matches": "[0-9]+"}), "42", true),
        (
            serde_json::json!({"matches": "[0-9]+"}),
            "42 critical",
            false,
        ),
        (serde_json::json!({"matches": "a|ab"}), "ab", true),
        (serde_json::json!({"at_least": 80}), "80", true),
        (serde_json::json!({"at_least": 80}), "80.0", true),
        (serde_json::json!({"at_least": 80}), "79.99", false),
        (serde_json::json!({"at_least": 80}), "8e1", true),
        (serde_json::json!({"at_most": -0.5}), "-1", true),
        (serde_json::json!({"at_most": 0}), "+0", true),
    ];
    for (comparison, value, passes) in cases {
        let mut document = comparison.clone();
        document["variable"] = "#{Scan.CRITICAL_FINDINGS}".into();
        let check = one(document);
        assert_eq!(
            verdict(&check, &scan(value)).is_none(),
            passes,
            "{comparison} on {value:?}"
        );
    }
}

#[test]
fn a_value_that_is_not_a_plain_number_fails_a_numeric_comparison() {
    let check = one(serde_json::json!({"variable": "#{Scan.CRITICAL_FINDINGS}", "at_most": 100}));
    for value in [
        "",
        "abc",
        "NaN",
        "inf",
        "-infinity",
        "1e9999999",
        "1e",
        "1_0",
        "0\n",
        "--1",
        "1e+-1",
        " 1",
        "1 ",
        "80 %",
        "0x10",
        "1,5",
        "٣",
        "+",
        ".",
    ] {
        let result = check.check(&scan(value), Severity::Reject);
        assert_eq!(result.failed, Some(Severity::Reject), "{value:?}");
        assert!(
            result.reason.contains("not a number"),
            "{value:?}: {}",
            result.reason
        );
    }
}

#[test]
fn numbers_compare_exactly_as_decimals() {
    let at_most_zero =
        one(serde_json::json!({"variable": "#{Scan.CRITICAL_FINDINGS}", "at_most": 0}));
    let at_least_80 =
        one(serde_json::json!({"variable": "#{Scan.CRITICAL_FINDINGS}", "at_least": 80}));
    let at_most_big = one(
        serde_json::json!({"variable": "#{Scan.CRITICAL_FINDINGS}", "at_most": 9007199254740992_u64}),
    );
    let at_least_tenth =
        one(serde_json::json!({"variable": "#{Scan.CRITICAL_FINDINGS}", "at_least": 0.1}));
    // Bounds too: read as written, not rounded to a 64-bit float on the way in.
    let exact_bound = |bound: &str| {
        let policy = format!(
            r##"{{"rules": [{{"name": "r", "variables": [
                {{"variable": "#{{Scan.CRITICAL_FINDINGS}}", "at_least": {bound}}}]}}]}}"##
        );
        Policy::from_json(&policy)
            .unwrap()
            .rules
            .remove(0)
            .variables
            .remove(0)
    };
    let above_2_53 = exact_bound("9007199254740993");
    let beyond_float = exact_bound("0.30000000000000001");
    for (check, value, passes) in [
        // What rounding to a 64-bit float would let through.
        (&at_most_zero, "1e-400", false),
        (&at_most_zero, "0.0000000000000000000001", false),
        (&at_most_zero, "-1e-400", true),
        (&at_most_zero, "-0", true),
        (&at_most_zero, "0e5", true),
        (&at_least_80, "79.99999999999999999", false),
        (&at_least_80, "80.00000000000000001", true),
        (&at_least_80, "0080", true),
        (&at_least_80, "8E1", true),
        (&at_least_80, "800e-1", true),
        (&at_least_80, "1e400", true),
        (&at_most_big, "9007199254740993", false),
        (&at_most_big, "9007199254740992", true),
        (&at_least_tenth, "0.1", true),
        (&at_least_tenth, "0.09999999999999999999", false),
        (&at_least_tenth, ".1", true),
        (&at_least_tenth, "1.", true),
        (&above_2_53, "9007199254740992", false),
        (&above_2_53, "9007199254740993", true),
        (&beyond_float, "0.3", false),
        (&beyond_float, "0.30000000000000001", true),
    ] {
        assert_eq!(verdict(check, &scan(value)).is_none(), passes, "{value}");
    }
}

#[test]
fn a_missing_variable_fails_whatever_the_operator() {
    // `not_equals` would pass on a default: there is none.
    for comparison in [
        serde_json::json!({"not_equals": "blocked"}),
        serde_json::json!({"at_least": 0}),
        serde_json::json!({"matches": ".*"}),
    ] {
        for variable in ["#{Scan.OTHER}", "#{variables.OTHER}", "#{Nowhere.X}"] {
            let mut document = comparison.clone();
            document["variable"] = variable.into();
            let result = one(document).check(&scan("0"), Severity::Abstain);
            assert_eq!(result.failed, Some(Severity::Abstain), "{variable}");
        }
    }
    let unresolved = facts(Vec::new(), &[("RELEASE_TYPE", None)]);
    let check =
        one(serde_json::json!({"variable": "#{variables.RELEASE_TYPE}", "not_equals": "x"}));
    assert!(
        check
            .check(&unresolved, Severity::Reject)
            .reason
            .contains("no resolved value")
    );
    let twice = facts(
        Vec::new(),
        &[
            ("RELEASE_TYPE", Some("standard")),
            ("RELEASE_TYPE", Some("hotfix")),
        ],
    );
    assert!(
        check
            .check(&twice, Severity::Reject)
            .reason
            .contains("listed twice")
    );
}

#[test]
fn an_output_variable_comes_only_from_the_last_attempt_in_this_execution_if_it_succeeded() {
    let check = one(serde_json::json!({"variable": "#{Scan.CRITICAL_FINDINGS}", "equals": "0"}));
    let result = |records: Vec<ActionRecord>| check.check(&facts(records, &[]), Severity::Reject);
    // Ran in another execution only: not here.
    let elsewhere = result(vec![attempt(
        "exec-0",
        "Scan",
        ActionStatus::Succeeded,
        Some("2026-11-26T07:00:00Z"),
        &[("CRITICAL_FINDINGS", "0")],
    )]);
    assert!(
        elsewhere.reason.contains("did not run in this execution"),
        "{}",
        elsewhere.reason
    );
    // Retried: a failed attempt, then one that succeeded. The last one counts.
    let retried = result(vec![
        attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Failed,
            Some("2026-11-26T07:00:00Z"),
            &[("CRITICAL_FINDINGS", "7")],
        ),
        attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:10:00Z"),
            &[("CRITICAL_FINDINGS", "0")],
        ),
    ]);
    assert!(retried.passed(), "{}", retried.reason);
    // A success, then a failed retry: the last attempt failed.
    let failed_last = result(vec![
        attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:00:00Z"),
            &[("CRITICAL_FINDINGS", "0")],
        ),
        attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Failed,
            Some("2026-11-26T07:10:00Z"),
            &[],
        ),
    ]);
    assert!(
        failed_last.reason.contains("is Failed, not Succeeded"),
        "{}",
        failed_last.reason
    );
    // Two attempts that cannot be ordered.
    let unordered = result(vec![
        attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:00:00Z"),
            &[("CRITICAL_FINDINGS", "0")],
        ),
        attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Succeeded,
            None,
            &[("CRITICAL_FINDINGS", "9")],
        ),
    ]);
    assert!(
        unordered
            .reason
            .contains("which attempt came last is unknown"),
        "{}",
        unordered.reason
    );
    // The attempt says its outputs fall under another namespace: the declaration read now
    // is not the one the execution ran with.
    let renamed = result(vec![ActionRecord {
        namespace: Some("OldScan".into()),
        ..attempt(
            EXECUTION,
            "Scan",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:00:00Z"),
            &[("CRITICAL_FINDINGS", "0")],
        )
    }]);
    assert!(
        renamed
            .reason
            .contains("names \"OldScan\" as its namespace"),
        "{}",
        renamed.reason
    );
    for failed in [elsewhere, failed_last, unordered, renamed] {
        assert_eq!(failed.failed, Some(Severity::Reject));
    }
}

#[test]
fn nothing_is_read_before_the_execution_is_proven() {
    let check =
        one(serde_json::json!({"variable": "#{variables.RELEASE_TYPE}", "equals": "standard"}));
    // The attempts were never read, so the approval is not proven to wait in it.
    let unproven = ExecutionFacts::of(&fixtures_approval()).with_execution(ExecutionRecord {
        execution_id: Some(EXECUTION.into()),
        status: ExecutionStatus::InProgress,
        variables: vec![PipelineVariable {
            name: "RELEASE_TYPE".into(),
            value: Some("standard".into()),
        }],
        ..ExecutionRecord::default()
    });
    assert_eq!(verdict(&check, &unproven), Some(Severity::Reject));
}

fn fixtures_approval() -> crate::evidence::LiveApproval {
    let target = fixtures::target("web-shop", "Approve", "Manual");
    let snapshot = fixtures::waiting(&target, "tok-1", None, &[]);
    crate::evidence::LiveApproval::prove(
        &snapshot,
        &target,
        &crate::notice::ApprovalToken::new("tok-1"),
    )
    .unwrap()
}

#[test]
fn comparisons_are_validated_with_their_place() {
    let cases = [
        (serde_json::json!([]), "rules[0].variables", "empty list"),
        (
            serde_json::json!([{"variable": "Scan.X", "equals": "0"}]),
            "rules[0].variables[0].variable",
            "expected",
        ),
        (
            serde_json::json!([{"variable": "#{X}", "equals": "0"}]),
            "rules[0].variables[0].variable",
            "names no namespace",
        ),
        (
            serde_json::json!([{"variable": "#{Sc an.X}", "equals": "0"}]),
            "rules[0].variables[0].variable",
            "namespace",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.}", "equals": "0"}]),
            "rules[0].variables[0].variable",
            "variable name",
        ),
        (
            serde_json::json!([{"variable": "#{codepipeline.PipelineExecutionId}", "equals": "0"}]),
            "rules[0].variables[0].variable",
            "codepipeline",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}"}]),
            "rules[0].variables[0]",
            "exactly one",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "equals": "0", "at_most": 0}]),
            "rules[0].variables[0]",
            "exactly one",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "contains": ""}]),
            "rules[0].variables[0].contains",
            "empty text",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "matches": "a)|(b"}]),
            "rules[0].variables[0].matches",
            "invalid regular expression",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "matches": "(?x)a#"}]),
            "rules[0].variables[0].matches",
            "verbose",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "matches": "(?<=a)b"}]),
            "rules[0].variables[0].matches",
            "invalid regular expression",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "equals": null}]),
            "rules[0].variables[0].equals",
            "null",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "equals": 0}]),
            "rules[0].variables[0].equals",
            "expected a string",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "at_most": "0"}]),
            "rules[0].variables[0].at_most",
            "expected a JSON number",
        ),
        (
            serde_json::json!([{"variable": "#{Scan.X}", "equals": "0", "operator": "EQ"}]),
            "rules[0].variables[0].operator",
            "unknown field",
        ),
    ];
    for (variables, path, message) in cases {
        let error = refused(variables.clone());
        assert_eq!(error.path, path, "{variables}: {error}");
        assert!(error.message.contains(message), "{variables}: {error}");
    }
    let many: Vec<_> = (0..=MAX_COMPARISONS)
        .map(|_| serde_json::json!({"variable": "#{Scan.X}", "equals": "0"}))
        .collect();
    assert!(
        refused(serde_json::Value::from(many))
            .message
            .contains("at most")
    );
    // Escaped, or in a class, `*+` is no possessive quantifier; a lazy one is fine.
    for pattern in [
        r"\*+",
        r"\++",
        r"[*+]+",
        r"a+?",
        r"\++?",
        r"[a\]*+]",
        r"[]*+]",
        r"[^]*+]x+",
    ] {
        one(serde_json::json!({"variable": "#{Scan.X}", "matches": pattern}));
    }
    for pattern in [r"a{2}+", r"[a]*+", r"(ab)?+", r"a++b", r"\p{L}++", r"\pL*+"] {
        let error = refused(serde_json::json!([{"variable": "#{Scan.X}", "matches": pattern}]));
        assert!(error.message.contains("possessive"), "{pattern}: {error}");
    }
    // A named group whose name has an x is not verbose mode.
    one(serde_json::json!({"variable": "#{Scan.X}", "matches": "(?P<index>[0-9]+)"}));
}

proptest! {
    /// Any value, any comparison: the check never panics, passes exactly when its
    /// operator holds, and quotes the value cleaned and cut.
    #[test]
    fn any_value_is_compared_without_panic_and_quoted_short(
        value in any::<String>(),
        operand in "[a-z0-9]{1,4}",
        operator in 0usize..6,
    ) {
        let document = match operator {
            0 => serde_json::json!({"equals": operand}),
            1 => serde_json::json!({"not_equals": operand}),
            2 => serde_json::json!({"contains": operand}),
            3 => serde_json::json!({"matches": operand}),
            4 => serde_json::json!({"at_least": 1}),
            _ => serde_json::json!({"at_most": 1}),
        };
        let mut document = document;
        document["variable"] = "#{Scan.CRITICAL_FINDINGS}".into();
        let check = one(document);
        let result = check.check(&scan(&value), Severity::Reject);
        let expected = match operator {
            0 | 3 => value == operand,
            1 => value != operand,
            2 => value.contains(&operand),
            4 => Decimal::parse(&value).is_some_and(|n| n >= Decimal::parse("1").unwrap()),
            _ => Decimal::parse(&value).is_some_and(|n| n <= Decimal::parse("1").unwrap()),
        };
        prop_assert_eq!(result.passed(), expected);
        prop_assert!(result.reason.chars().count() < 200);
        prop_assert!(!result.reason.chars().any(char::is_control));
    }
}

#[test]
fn a_namespace_that_is_codepipelines_own_but_for_case_is_refused() {
    for variable in ["#{Variables.X}", "#{VARIABLES.X}", "#{CodePipeline.X}"] {
        let error = refused(serde_json::json!([{"variable": variable, "equals": "0"}]));
        assert_eq!(error.path, "rules[0].variables[0].variable", "{variable}");
        assert!(
            error.message.contains("only in case"),
            "{variable}: {error}"
        );
    }
}
