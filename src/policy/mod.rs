//! The policy: which approvals the gate may decide, and how.
//!
//! The document is JSON, read and validated once at cold start. Every error names its
//! place (`rules[2].match.stage`), and an invalid policy stops the function at init, so
//! nothing is ever decided under a policy nobody meant.

mod pattern;
pub mod revisions;
pub mod windows;

use std::collections::HashSet;

use serde::{Deserialize, Deserializer};

use crate::names;
use crate::notice::ApprovalTarget;
pub use pattern::Pattern;
use revisions::{Revisions, RevisionsDocument};
use windows::{Windows, WindowsDocument};

#[derive(Clone, Debug)]
pub struct Policy {
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub matcher: Matcher,
    /// `Stage/Action` pairs that must have succeeded in the execution under approval.
    pub require_succeeded: Vec<ActionRef>,
    /// When the rule may approve: allow windows and freezes in a time zone.
    pub windows: Option<Windows>,
    /// Which revision the rule may approve.
    pub revisions: Option<Revisions>,
    pub on_fail: OnFail,
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub pipeline: Pattern,
    pub stage: Pattern,
    pub action: Pattern,
}

impl Matcher {
    pub fn matches(&self, target: &ApprovalTarget) -> bool {
        self.pipeline.matches(&target.pipeline)
            && self.stage.matches(&target.stage)
            && self.action.matches(&target.action)
    }

    /// Whether this matcher fits every approval `other` fits (see [`Pattern::covers`]).
    pub fn covers(&self, other: &Matcher) -> bool {
        self.pipeline.covers(&other.pipeline)
            && self.stage.covers(&other.stage)
            && self.action.covers(&other.action)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRef {
    pub stage: String,
    pub action: String,
}

impl std::fmt::Display for ActionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.stage, self.action)
    }
}

/// What a rule answers when one of its checks fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFail {
    Reject,
    /// Leave the approval to a human: the safe default.
    #[default]
    Abstain,
}

/// Why a policy was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy at {path}: {message}")]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

impl PolicyError {
    fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDocument {
    rules: Vec<RuleDocument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDocument {
    name: String,
    #[serde(rename = "match", default, deserialize_with = "not_null")]
    matcher: MatchDocument,
    #[serde(default, deserialize_with = "not_null")]
    require_succeeded: Vec<String>,
    #[serde(default, deserialize_with = "present")]
    windows: Option<WindowsDocument>,
    #[serde(default, deserialize_with = "present")]
    revisions: Option<RevisionsDocument>,
    #[serde(default, deserialize_with = "not_null")]
    on_fail: OnFail,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchDocument {
    #[serde(default, deserialize_with = "present")]
    pipeline: Option<String>,
    #[serde(default, deserialize_with = "present")]
    stage: Option<String>,
    #[serde(default, deserialize_with = "present")]
    action: Option<String>,
}

/// For a field with a default (`#[serde(default, deserialize_with = "not_null")]`): `null`
/// is refused. Serde would read `"revisions": null` as if the field were not there, so a
/// policy could load without the checks its author meant to configure.
fn not_null<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)?
        .ok_or_else(|| serde::de::Error::custom("null is not allowed: remove the field instead"))
}

/// For an optional field (`#[serde(default, deserialize_with = "present")]`): a field left
/// out is `None`, a field set to `null` is refused (see [`not_null`]).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    not_null(deserializer).map(Some)
}

impl Policy {
    /// Parses and validates a policy document.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let document: PolicyDocument = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner();
                let path = if path == "." {
                    "(document)".into()
                } else {
                    path
                };
                PolicyError::at(path, inner.to_string())
            })?;
        deserializer
            .end()
            .map_err(|error| PolicyError::at("(document)", error.to_string()))?;

        let mut seen = HashSet::new();
        let rules = document
            .rules
            .into_iter()
            .enumerate()
            .map(|(index, rule)| {
                let at = format!("rules[{index}]");
                if rule.name.trim().is_empty() {
                    return Err(PolicyError::at(format!("{at}.name"), "a rule needs a name"));
                }
                // Compared trimmed: `prod` and `prod ` read the same in every summary.
                if !seen.insert(rule.name.trim().to_owned()) {
                    return Err(PolicyError::at(
                        format!("{at}.name"),
                        format!(
                            "the rule name {:?} is used twice (names are compared without \
                             the spaces around them)",
                            rule.name
                        ),
                    ));
                }
                Rule::from_document(rule, &at)
            })
            .collect::<Result<Vec<Rule>, _>>()?;
        // The first rule whose match fits decides, so a rule whose match an earlier one
        // covers never decides anything: its checks would read as if they guarded something.
        for (index, rule) in rules.iter().enumerate() {
            if let Some((earlier_index, earlier)) = rules[..index]
                .iter()
                .enumerate()
                .find(|(_, earlier)| earlier.matcher.covers(&rule.matcher))
            {
                return Err(PolicyError::at(
                    format!("rules[{index}].match"),
                    format!(
                        "rule {:?} can never decide: rule {:?} (rules[{earlier_index}]) comes \
                         first and matches every approval it matches; put the narrower rule \
                         first",
                        rule.name, earlier.name
                    ),
                ));
            }
        }
        Ok(Self { rules })
    }

    /// The first rule whose `match` fits the approval: rules are tried in order.
    pub fn rule_for(&self, target: &ApprovalTarget) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.matcher.matches(target))
    }

    /// Whether any rule could match approvals in `pipeline`.
    pub fn covers(&self, pipeline: &str) -> bool {
        self.rules
            .iter()
            .any(|rule| rule.matcher.pipeline.matches(pipeline))
    }

    /// The pipelines named exactly by some rule, and whether some rule uses a wildcard (so
    /// that finding every covered pipeline takes listing them).
    pub fn named_pipelines(&self) -> (Vec<String>, bool) {
        let mut names: Vec<String> = self
            .rules
            .iter()
            .filter_map(|rule| rule.matcher.pipeline.literal())
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        let wildcard = self
            .rules
            .iter()
            .any(|rule| rule.matcher.pipeline.literal().is_none());
        (names, wildcard)
    }
}

impl Rule {
    fn from_document(rule: RuleDocument, at: &str) -> Result<Self, PolicyError> {
        let pattern = |field: &str, text: Option<String>| match text {
            None => Ok(Pattern::any()),
            Some(text) => Pattern::parse(&text)
                .map_err(|message| PolicyError::at(format!("{at}.match.{field}"), message)),
        };
        let matcher = Matcher {
            pipeline: pattern("pipeline", rule.matcher.pipeline)?,
            stage: pattern("stage", rule.matcher.stage)?,
            action: pattern("action", rule.matcher.action)?,
        };
        let require_succeeded = rule
            .require_succeeded
            .iter()
            .enumerate()
            .map(|(index, text)| {
                parse_action_ref(text).map_err(|message| {
                    PolicyError::at(format!("{at}.require_succeeded[{index}]"), message)
                })
            })
            .collect::<Result<_, _>>()?;
        let windows = rule
            .windows
            .map(|document| Windows::from_document(document, &format!("{at}.windows")))
            .transpose()?;
        let revisions = rule
            .revisions
            .map(|document| Revisions::from_document(document, &format!("{at}.revisions")))
            .transpose()?;
        Ok(Self {
            name: rule.name,
            matcher,
            require_succeeded,
            windows,
            revisions,
            on_fail: rule.on_fail,
        })
    }
}

fn parse_action_ref(text: &str) -> Result<ActionRef, String> {
    let (stage, action) = text
        .split_once('/')
        .ok_or_else(|| format!("expected \"Stage/Action\", got {text:?}"))?;
    for name in [stage, action] {
        names::check_name(name).map_err(|message| format!("in {text:?}: {message}"))?;
    }
    Ok(ActionRef {
        stage: stage.into(),
        action: action.into(),
    })
}

#[cfg(test)]
mod tests {
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
        assert_eq!(rule.on_fail, OnFail::Reject);
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
        assert_eq!(policy.rules[0].on_fail, OnFail::Abstain);
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
            Some(
                "invalid policy at rules[0].revisions: null is not allowed: remove the field instead"
            )
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
}
