//! `variables`: comparisons on the variables of the execution under approval, named as
//! CodePipeline names them (`#{variables.NAME}` for a pipeline-level variable,
//! `#{Namespace.NAME}` for an output variable of the action that declares `Namespace`), so
//! that a stage condition's VariableCheck rule moves over unchanged.
//!
//! A variable that is missing, that the execution's records cannot vouch for, or whose
//! value does not compare fails its comparison: there is never a default.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use serde::Deserialize;

use crate::check::{Check, Severity};
use crate::evidence::{ExecutionFacts, VariableName};
use crate::names;
use crate::policy::PolicyError;
use crate::policy::rx::Rx;

/// Comparisons in one rule: each is one line of a reason, and a rule is read by people.
const MAX_COMPARISONS: usize = 20;
/// CodePipeline's limit on variable and namespace names.
const MAX_NAME_CHARS: usize = 128;
/// How much of a value a reason quotes.
const QUOTED_CHARS: usize = 60;

/// One comparison as a rule document writes it: `variable` and exactly one operator.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "cli", schemars(extend("minProperties" = 2, "maxProperties" = 2)))]
#[serde(deny_unknown_fields)]
pub struct VariableDocument {
    /// The variable, in CodePipeline's syntax: `#{variables.NAME}` for a pipeline-level
    /// variable, `#{Namespace.NAME}` for an output variable of the action that declares
    /// the namespace.
    variable: String,
    /// The value must be exactly this text (VariableCheck's EQ).
    #[serde(default, deserialize_with = "crate::policy::present")]
    equals: Option<String>,
    /// The value must not be this text (NE). A missing variable still fails.
    #[serde(default, deserialize_with = "crate::policy::present")]
    not_equals: Option<String>,
    /// The value must contain this text (CONTAINS).
    #[serde(default, deserialize_with = "crate::policy::present")]
    contains: Option<String>,
    /// The whole value must match this regular expression (MATCHES).
    #[serde(default, deserialize_with = "crate::policy::present")]
    matches: Option<String>,
    /// The value must be a number at least this large.
    #[serde(default, deserialize_with = "crate::policy::present")]
    at_least: Option<f64>,
    /// The value must be a number at most this large.
    #[serde(default, deserialize_with = "crate::policy::present")]
    at_most: Option<f64>,
}

/// One validated comparison.
#[derive(Clone, Debug)]
pub struct VariableCheck {
    pub variable: VariableName,
    pub comparison: Comparison,
}

/// What the value of a variable is compared with.
#[derive(Clone, Debug)]
pub enum Comparison {
    Equals(String),
    NotEquals(String),
    Contains(String),
    Matches(Rx),
    AtLeast(f64),
    AtMost(f64),
}

impl VariableCheck {
    /// Validates a rule's `variables`.
    pub fn from_documents(
        documents: Vec<VariableDocument>,
        at: &str,
    ) -> Result<Vec<Self>, PolicyError> {
        if documents.is_empty() {
            return Err(PolicyError::at(
                at,
                "an empty list checks nothing: remove it, or name a variable",
            ));
        }
        if documents.len() > MAX_COMPARISONS {
            return Err(PolicyError::at(
                at,
                format!("at most {MAX_COMPARISONS} comparisons"),
            ));
        }
        documents
            .into_iter()
            .enumerate()
            .map(|(index, document)| Self::from_document(document, &format!("{at}[{index}]")))
            .collect()
    }

    fn from_document(document: VariableDocument, at: &str) -> Result<Self, PolicyError> {
        let variable = parse_variable(&document.variable)
            .map_err(|message| PolicyError::at(format!("{at}.variable"), message))?;
        let mut comparisons = Vec::new();
        if let Some(text) = document.equals {
            comparisons.push(Comparison::Equals(text));
        }
        if let Some(text) = document.not_equals {
            comparisons.push(Comparison::NotEquals(text));
        }
        if let Some(text) = document.contains {
            if text.is_empty() {
                return Err(PolicyError::at(
                    format!("{at}.contains"),
                    "every value contains the empty text",
                ));
            }
            comparisons.push(Comparison::Contains(text));
        }
        if let Some(text) = document.matches {
            let rx = Rx::whole(text)
                .map_err(|message| PolicyError::at(format!("{at}.matches"), message))?;
            comparisons.push(Comparison::Matches(rx));
        }
        for (field, bound, make) in [
            (
                "at_least",
                document.at_least,
                Comparison::AtLeast as fn(f64) -> _,
            ),
            ("at_most", document.at_most, Comparison::AtMost),
        ] {
            if let Some(bound) = bound {
                if !bound.is_finite() {
                    return Err(PolicyError::at(
                        format!("{at}.{field}"),
                        "a bound must be a finite number",
                    ));
                }
                comparisons.push(make(bound));
            }
        }
        let comparison = match comparisons.len() {
            1 => comparisons.pop(),
            _ => None,
        }
        .ok_or_else(|| {
            PolicyError::at(
                at,
                "give exactly one of equals, not_equals, contains, matches, at_least, at_most \
                 (one comparison per entry; list the variable again for another)",
            )
        })?;
        Ok(Self {
            variable,
            comparison,
        })
    }

    /// Compares the variable's value in the execution under approval; fails with
    /// `on_fail` when the variable is missing, unproven or does not compare.
    pub fn check(&self, facts: &ExecutionFacts, on_fail: Severity) -> Check {
        let name = &self.variable;
        let value = match facts.variable(name) {
            Ok(value) => value,
            Err(missing) => {
                return Check::fail(on_fail, format!("variables: {name} {missing}"));
            }
        };
        let quoted = quote(value);
        let (passed, passing, failing) = match &self.comparison {
            Comparison::Equals(text) => (value == text, "equals", "is not"),
            Comparison::NotEquals(text) => (value != text, "is not", "equals"),
            Comparison::Contains(text) => (
                value.contains(text.as_str()),
                "contains",
                "does not contain",
            ),
            Comparison::Matches(rx) => (rx.regex.is_match(value), "matches", "does not match"),
            Comparison::AtLeast(bound) | Comparison::AtMost(bound) => {
                let Some(number) = number(value) else {
                    return Check::fail(
                        on_fail,
                        format!("variables: {name} is {quoted}, which is not a number"),
                    );
                };
                match self.comparison {
                    Comparison::AtLeast(_) => (number >= *bound, "is at least", "is below"),
                    _ => (number <= *bound, "is at most", "is above"),
                }
            }
        };
        let operand = match &self.comparison {
            Comparison::Equals(text) | Comparison::NotEquals(text) | Comparison::Contains(text) => {
                quote(text)
            }
            Comparison::Matches(rx) => quote(&rx.to_string()),
            Comparison::AtLeast(bound) | Comparison::AtMost(bound) => bound.to_string(),
        };
        if passed {
            Check::pass(format!(
                "variables: {name} is {quoted}, which {passing} {operand}"
            ))
        } else {
            Check::fail(
                on_fail,
                format!("variables: {name} is {quoted}, which {failing} {operand}"),
            )
        }
    }
}

/// A value read as a number: decimal digits with an optional sign, fraction and exponent,
/// nothing around them. `inf`, `NaN`, `0x10` and `80 %` are not numbers.
fn number(value: &str) -> Option<f64> {
    let digits_only = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
    if !digits_only || !value.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

/// A value as a reason quotes it: cleaned and cut.
fn quote(value: &str) -> String {
    format!("\"{}\"", names::printable(value, QUOTED_CHARS))
}

/// `#{Namespace.NAME}` as a policy writes it.
fn parse_variable(text: &str) -> Result<VariableName, String> {
    let inner = text
        .strip_prefix("#{")
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| {
            format!(
                "expected \"#{{Namespace.NAME}}\" or \"#{{variables.NAME}}\", got {}",
                quote(text)
            )
        })?;
    let (namespace, name) = inner.split_once('.').ok_or_else(|| {
        format!(
            "{} names no namespace: write \"#{{variables.NAME}}\" for a pipeline-level \
             variable, \"#{{Namespace.NAME}}\" for an action's output variable",
            quote(text)
        )
    })?;
    for (what, part) in [("namespace", namespace), ("variable name", name)] {
        let valid = !part.is_empty()
            && part.chars().count() <= MAX_NAME_CHARS
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '-' | '_'));
        if !valid {
            return Err(format!(
                "the {what} in {} must be 1 to {MAX_NAME_CHARS} of A-Z, a-z, 0-9, '@', '-' \
                 and '_'",
                quote(text)
            ));
        }
    }
    match namespace {
        "variables" => Ok(VariableName::Pipeline(name.to_owned())),
        "codepipeline" => Err(
            "the codepipeline namespace holds the execution's own id, which the gate proves \
             itself: compare a pipeline or action variable"
                .into(),
        ),
        _ => Ok(VariableName::Output {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests;
