//! `function`: a Lambda function asked whether the approval may pass, shown what the gate
//! proved about the execution (see [`crate::check_function`]).

use std::time::Duration;

use serde::Deserialize;

use crate::check::{Check, Severity};
use crate::check_function::FunctionAnswer;
use crate::names;
use crate::policy::PolicyError;

/// How long the gate waits for a function when the rule does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a rule may let a function take: an approval's reads and decision have
/// 30 s in the sweep, and a function is asked after the reads.
pub const MAX_TIMEOUT_SECONDS: u64 = 10;

/// What a rule document holds under `"function"`.
#[derive(Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FunctionDocument {
    /// The function's full ARN, `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, or with a
    /// version or alias after another `:`. The stack's `CheckFunctionArns` must list it.
    arn: String,
    /// How long to wait for the answer, 1 to 10 seconds (default 5). No answer in time
    /// fails the check.
    #[serde(default, deserialize_with = "crate::policy::present")]
    timeout_seconds: Option<u64>,
    /// What the check asks for when it fails: `reject`, `abstain`, or `defer` (ask again in
    /// the next sweep). The rule's `on_fail` unless set.
    #[serde(default, deserialize_with = "crate::policy::present")]
    on_fail: Option<Severity>,
}

/// A rule's validated `function`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFunction {
    pub arn: String,
    pub timeout: Duration,
    /// `None`: the rule's `on_fail`.
    pub on_fail: Option<Severity>,
}

impl CheckFunction {
    pub fn from_document(document: FunctionDocument, at: &str) -> Result<Self, PolicyError> {
        check_arn(&document.arn)
            .map_err(|message| PolicyError::at(format!("{at}.arn"), message))?;
        let timeout = match document.timeout_seconds {
            None => DEFAULT_TIMEOUT,
            Some(seconds @ 1..=MAX_TIMEOUT_SECONDS) => Duration::from_secs(seconds),
            Some(_) => {
                return Err(PolicyError::at(
                    format!("{at}.timeout_seconds"),
                    format!("must be 1 to {MAX_TIMEOUT_SECONDS} seconds"),
                ));
            }
        };
        Ok(Self {
            arn: document.arn,
            timeout,
            on_fail: document.on_fail,
        })
    }

    /// The check, from what the function answered.
    pub fn check(&self, answer: &FunctionAnswer, rule_on_fail: Severity) -> Check {
        let on_fail = self.on_fail.unwrap_or(rule_on_fail);
        let function = names::printable(function_name(&self.arn), 100);
        match answer {
            FunctionAnswer::Answered { pass: true, reason } => {
                Check::pass(format!("function {function} passed: {reason}"))
            }
            FunctionAnswer::Answered {
                pass: false,
                reason,
            } => Check::fail(on_fail, format!("function {function} failed: {reason}")),
            FunctionAnswer::Unusable(why) => Check::fail(
                on_fail,
                format!("function {function} gave no usable answer: {why}"),
            ),
            // Not asked because another check refuses (`decision::asks_function`): the
            // function said nothing, so its check asks for the least, and the checks that
            // refuse decide alone. Its `on_fail` here would turn a deferral by a window
            // into a rejection, or into an abstention that is stable, for an answer
            // nobody gave. It still never passes.
            FunctionAnswer::NotAsked => Check::fail(
                Severity::Defer,
                format!(
                    "function {function} was not asked: it is asked only when every other \
                     check passes"
                ),
            ),
        }
    }
}

/// The function's name (with its qualifier) from its ARN, for reasons.
fn function_name(arn: &str) -> &str {
    arn.split_once(":function:").map_or(arn, |(_, name)| name)
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, as Lambda validates
/// each part.
fn check_arn(arn: &str) -> Result<(), String> {
    let expected = || {
        format!(
            "expected a function ARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], \
             got {:?}",
            names::printable(arn, 200)
        )
    };
    let parts: Vec<&str> = arn.split(':').collect();
    let (partition, region, account, name, qualifier) = match parts.as_slice() {
        [
            "arn",
            partition,
            "lambda",
            region,
            account,
            "function",
            name,
        ] => (*partition, *region, *account, *name, None),
        [
            "arn",
            partition,
            "lambda",
            region,
            account,
            "function",
            name,
            qualifier,
        ] => (*partition, *region, *account, *name, Some(*qualifier)),
        _ => return Err(expected()),
    };
    let word = |text: &str, extra: &str, max: usize| {
        !text.is_empty()
            && text.chars().count() <= max
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    let valid = partition.starts_with("aws")
        && word(partition, "-", 20)
        && word(region, "-", 30)
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && word(name, "-_", 64)
        && qualifier.is_none_or(|qualifier| qualifier == "$LATEST" || word(qualifier, "-_", 128));
    if valid { Ok(()) } else { Err(expected()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_function_arn_is_accepted() {
        for good in [
            "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket",
            "arn:aws:lambda:eu-west-1:123456789012:function:change_ticket:prod",
            "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket:7",
            "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket:$LATEST",
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f",
        ] {
            assert_eq!(check_arn(good), Ok(()), "{good}");
        }
        for bad in [
            "change-ticket",
            "arn:aws:lambda:eu-west-1:123456789012:function:*",
            "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket:*",
            "arn:aws:lambda:*:123456789012:function:f",
            "arn:aws:lambda:eu-west-1:12345678901:function:f",
            "arn:aws:lambda:eu-west-1:123456789012:layer:f",
            "arn:aws:states:eu-west-1:123456789012:function:f",
            "arn:aws:lambda:eu-west-1:123456789012:function:f:a:b",
            "arn:aws:lambda:eu-west-1:123456789012:function:",
            "arn:aws:lambda:eu-west-1:123456789012:function:fünf",
            "arn:aws:lambda:eu-west-1:123456789012:function:f\n",
            "",
        ] {
            assert!(check_arn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_answer_passes_only_when_the_function_said_pass() {
        let function = CheckFunction {
            arn: "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket".into(),
            timeout: DEFAULT_TIMEOUT,
            on_fail: None,
        };
        let passed = function.check(
            &FunctionAnswer::Answered {
                pass: true,
                reason: "CHG-42 approved".into(),
            },
            Severity::Reject,
        );
        assert_eq!(passed.failed, None);
        assert_eq!(
            passed.reason,
            "function change-ticket passed: CHG-42 approved"
        );
        for answer in [
            FunctionAnswer::Answered {
                pass: false,
                reason: "CHG-42 pending".into(),
            },
            FunctionAnswer::Unusable("timed out".into()),
        ] {
            assert_eq!(
                function.check(&answer, Severity::Reject).failed,
                Some(Severity::Reject)
            );
            let deferring = CheckFunction {
                on_fail: Some(Severity::Defer),
                ..function.clone()
            };
            assert_eq!(
                deferring.check(&answer, Severity::Reject).failed,
                Some(Severity::Defer)
            );
        }
    }

    #[test]
    fn a_function_not_asked_fails_asking_for_the_least() {
        let function = CheckFunction {
            arn: "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket".into(),
            timeout: DEFAULT_TIMEOUT,
            on_fail: Some(Severity::Reject),
        };
        let check = function.check(&FunctionAnswer::NotAsked, Severity::Reject);
        assert_eq!(check.failed, Some(Severity::Defer));
        assert!(check.reason.contains("was not asked"), "{}", check.reason);
    }
}
