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
use serde_json::value::RawValue;

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
    /// The value must be a number at least this large (compared exactly, as written).
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(with = "f64"))]
    at_least: Option<Box<RawValue>>,
    /// The value must be a number at most this large (compared exactly, as written).
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(with = "f64"))]
    at_most: Option<Box<RawValue>>,
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
    AtLeast(Bound),
    AtMost(Bound),
}

/// A numeric bound as the policy wrote it: compared exactly, and quoted as written.
#[derive(Clone, Debug)]
pub struct Bound {
    text: String,
    value: Decimal,
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
                Comparison::AtLeast as fn(Bound) -> _,
            ),
            ("at_most", document.at_most, Comparison::AtMost),
        ] {
            if let Some(bound) = bound {
                let text = bound.get();
                // Any JSON value reads as raw text: only a number is a bound.
                let value = text
                    .starts_with(|c: char| c == '-' || c.is_ascii_digit())
                    .then(|| Decimal::parse(text))
                    .flatten()
                    .ok_or_else(|| {
                        PolicyError::at(
                            format!("{at}.{field}"),
                            format!(
                                "expected a JSON number (with an exponent of at most \
                                 {MAX_EXPONENT_DIGITS} digits), got {}",
                                quote(text)
                            ),
                        )
                    })?;
                comparisons.push(make(Bound {
                    text: text.to_owned(),
                    value,
                }));
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
                let Some(number) = Decimal::parse(value) else {
                    return Check::fail(
                        on_fail,
                        format!("variables: {name} is {quoted}, which is not a number"),
                    );
                };
                let order = number.cmp(&bound.value);
                match self.comparison {
                    Comparison::AtLeast(_) => (order.is_ge(), "is at least", "is below"),
                    _ => (order.is_le(), "is at most", "is above"),
                }
            }
        };
        let operand = match &self.comparison {
            Comparison::Equals(text) | Comparison::NotEquals(text) | Comparison::Contains(text) => {
                quote(text)
            }
            Comparison::Matches(rx) => quote(&rx.to_string()),
            Comparison::AtLeast(bound) | Comparison::AtMost(bound) => {
                names::printable(&bound.text, QUOTED_CHARS)
            }
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

/// A decimal number, exactly: what `at_least` and `at_most` compare, so that no value
/// passes by rounding (`1e-400` is above 0, `79.99999999999999999` below 80).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    /// The significant digits, without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// The value is `0.DIGITS × 10^exponent`.
    exponent: i64,
}

/// The most digits a value's exponent may have: `1e999999` is a number, a longer exponent
/// is not read.
const MAX_EXPONENT_DIGITS: usize = 6;

impl Decimal {
    /// A plain decimal number: ASCII digits with an optional sign, decimal point and
    /// exponent, nothing around them. `inf`, `NaN`, `0x10`, `1,5` and `80 %` are not.
    fn parse(text: &str) -> Option<Self> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, Some(exponent)),
            None => (unsigned, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(exponent) => {
                let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
                if digits.is_empty() || digits.len() > MAX_EXPONENT_DIGITS || !all_digits(digits) {
                    return None;
                }
                exponent.parse().ok()?
            }
        };
        let digits: Vec<u8> = whole
            .bytes()
            .chain(fraction.bytes())
            .map(|b| b - b'0')
            .collect();
        let leading = digits.iter().take_while(|digit| **digit == 0).count();
        let mut significant: Vec<u8> = digits.into_iter().skip(leading).collect();
        while significant.last() == Some(&0) {
            significant.pop();
        }
        let position = i64::try_from(whole.len()).ok()? - i64::try_from(leading).ok()?;
        Some(Self {
            negative: negative && !significant.is_empty(),
            exponent: if significant.is_empty() {
                0
            } else {
                position + exponent
            },
            digits: significant,
        })
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let magnitude = |a: &Self, b: &Self| match (a.digits.is_empty(), b.digits.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => a
                .exponent
                .cmp(&b.exponent)
                .then_with(|| a.digits.cmp(&b.digits)),
        };
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => magnitude(self, other),
            (true, true) => magnitude(other, self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
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
    for own in ["variables", "codepipeline"] {
        if namespace != own && namespace.eq_ignore_ascii_case(own) {
            return Err(format!(
                "the namespace {} differs from CodePipeline's own \"{own}\" only in case: a \
                 check function is not shown such an action's variables either",
                quote(namespace)
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
