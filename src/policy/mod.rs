//! The policy: which approvals the gate may decide, and how.
//!
//! The document is JSON, read and validated once at cold start. Every error names its
//! place (`rules[2].match.stage`), and an invalid policy stops the function at init, so
//! nothing is ever decided under a policy nobody meant.

pub mod alarms;
pub mod calendars;
pub mod function;
mod pattern;
pub mod revisions;
mod rx;
#[cfg(feature = "cli")]
mod schema;
pub mod source;
pub mod variables;
pub mod windows;

use std::collections::HashSet;

use serde::{Deserialize, Deserializer};

use crate::check::Severity;
use crate::names;
use crate::notice::ApprovalTarget;
use alarms::{AlarmsDocument, RequiredAlarms};
use calendars::{CalendarsDocument, ChangeCalendars};
use function::{CheckFunction, FunctionDocument};
pub use pattern::Pattern;
use revisions::{Revisions, RevisionsDocument};
#[cfg(feature = "cli")]
pub use schema::json_schema;
use variables::{VariableCheck, VariableDocument};
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
    /// CloudWatch alarms that must be OK.
    pub alarms: Option<RequiredAlarms>,
    /// Change Calendars that must be open.
    pub change_calendars: Option<ChangeCalendars>,
    /// Comparisons on the execution's pipeline-level and action output variables.
    pub variables: Vec<VariableCheck>,
    /// A Lambda function asked last, when every other check passes.
    pub function: Option<CheckFunction>,
    /// What a failing check asks for, unless the check says otherwise: reject or abstain.
    pub on_fail: Severity,
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

/// An approval-gate policy: rules tried in order, the first whose `match` fits decides.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct PolicyDocument {
    /// The JSON Schema an editor checks the file against, e.g. "./policy.schema.json".
    /// Ignored by the gate.
    #[serde(rename = "$schema", default, deserialize_with = "present")]
    #[allow(dead_code)]
    schema: Option<String>,
    rules: Vec<RuleDocument>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
// A rule with a function rejects, or gives the function an `on_fail` of its own: a
// function's failure may not abstain (see `function::CheckFunction::from_document`).
#[cfg_attr(
    feature = "cli",
    schemars(extend("anyOf" = [
        {"not": {"required": ["function"]}},
        {"required": ["on_fail"], "properties": {"on_fail": {"enum": ["reject"]}}},
        {"required": ["function"], "properties": {"function": {"required": ["on_fail"]}}}
    ]))
)]
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
    #[serde(default, deserialize_with = "present")]
    alarms: Option<AlarmsDocument>,
    #[serde(default, deserialize_with = "present")]
    change_calendars: Option<CalendarsDocument>,
    /// Comparisons on variables of the execution under approval, each
    /// `{"variable": "#{Namespace.NAME}", OPERATOR: value}` with exactly one operator.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = 20)))]
    variables: Option<Vec<VariableDocument>>,
    /// A Lambda function asked, once every other check passes, whether the approval may
    /// pass: it is shown what the gate proved and answers `{"pass": …, "reason": …}`.
    #[serde(default, deserialize_with = "present")]
    function: Option<FunctionDocument>,
    #[serde(default, deserialize_with = "final_answer")]
    #[cfg_attr(feature = "cli", schemars(with = "FinalAnswer"))]
    on_fail: Severity,
}

/// What `on_fail` and `on_match` may answer (see [`final_answer`]), for the JSON Schema.
#[cfg(feature = "cli")]
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum FinalAnswer {
    Reject,
    /// Leave the approval to a human (the default).
    Abstain,
}

#[derive(Default, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
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

/// For `on_fail` and `on_match`: what they answer has failed for good (an upstream action
/// or a revision does not change while the approval waits), so `defer` is refused. (A
/// window's `outside`, `on_alarm` and `on_closed` may defer: those checks can pass later.)
fn final_answer<'de, D>(deserializer: D) -> Result<Severity, D::Error>
where
    D: Deserializer<'de>,
{
    match not_null(deserializer)? {
        Severity::Defer => Err(serde::de::Error::custom(
            "defer is for checks that can pass later (windows): use reject or abstain",
        )),
        answer => Ok(answer),
    }
}

/// [`final_answer`] for an optional field.
fn final_answer_present<'de, D>(deserializer: D) -> Result<Option<Severity>, D::Error>
where
    D: Deserializer<'de>,
{
    final_answer(deserializer).map(Some)
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
    pub fn named_pipelines(&self) -> NamedPipelines {
        Self::pipelines_of(self.rules.iter())
    }

    fn pipelines_of<'a>(rules: impl Iterator<Item = &'a Rule> + Clone) -> NamedPipelines {
        let mut names: Vec<String> = rules
            .clone()
            .filter_map(|rule| rule.matcher.pipeline.literal())
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        let listing_needed = rules
            .clone()
            .any(|rule| rule.matcher.pipeline.literal().is_none());
        NamedPipelines {
            exact: names,
            listing_needed,
        }
    }

    /// The rules whose `alarms` name `alarm` or have a prefix of it: those whose approvals
    /// may pass once it is OK.
    pub fn rules_watching(&self, alarm: &str) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|rule| {
                rule.alarms.as_ref().is_some_and(|alarms| {
                    alarms.names.iter().any(|name| name == alarm)
                        || alarms
                            .prefixes
                            .iter()
                            .any(|prefix| alarm.starts_with(prefix.as_str()))
                })
            })
            .collect()
    }

    /// The rules whose `change_calendars` name the calendar the event's `arn` is about: by
    /// its document name (a calendar of the function's own account, as the default bus
    /// carries) or by that very ARN (a calendar shared from another account).
    pub fn rules_watching_calendar(&self, arn: &str) -> Vec<&Rule> {
        let document = arn
            .rsplit_once(":document/")
            .map_or(arn, |(_, document)| document);
        self.rules
            .iter()
            .filter(|rule| {
                rule.change_calendars.as_ref().is_some_and(|calendars| {
                    calendars
                        .names
                        .iter()
                        .any(|listed| listed == arn || listed == document)
                })
            })
            .collect()
    }

    /// The pipelines `rules` may match, as [`Policy::named_pipelines`] says it for all.
    pub fn pipelines_of_rules(rules: &[&Rule]) -> NamedPipelines {
        Self::pipelines_of(rules.iter().copied())
    }
}

/// The pipelines a policy covers, as far as its patterns say without listing any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedPipelines {
    /// Pipeline names some rule matches exactly, sorted.
    pub exact: Vec<String>,
    /// Some rule's pipeline pattern has a wildcard, so finding every covered pipeline
    /// takes listing them.
    pub listing_needed: bool,
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
        let alarms = rule
            .alarms
            .map(|document| RequiredAlarms::from_document(document, &format!("{at}.alarms")))
            .transpose()?;
        let change_calendars = rule
            .change_calendars
            .map(|document| {
                ChangeCalendars::from_document(document, &format!("{at}.change_calendars"))
            })
            .transpose()?;
        let variables = rule
            .variables
            .map(|documents| VariableCheck::from_documents(documents, &format!("{at}.variables")))
            .transpose()?
            .unwrap_or_default();
        let function = rule
            .function
            .map(|document| {
                CheckFunction::from_document(document, rule.on_fail, &format!("{at}.function"))
            })
            .transpose()?;
        Ok(Self {
            name: rule.name,
            matcher,
            require_succeeded,
            windows,
            revisions,
            alarms,
            change_calendars,
            variables,
            function,
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
mod tests;
