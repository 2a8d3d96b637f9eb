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
    #[cfg_attr(feature = "cli", schemars(range(min = 1, max = 10)))]
    timeout_seconds: Option<u64>,
    /// What the check asks for when it fails: `reject`, or `defer` (ask again in the next
    /// sweep). The rule's `on_fail` unless set, which must then be `reject`: `abstain` is
    /// refused, since the function's next answer could approve what was left to a human.
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(with = "Option<FunctionFailure>"))]
    on_fail: Option<Severity>,
}

/// What a failing function may answer, for the JSON Schema.
#[cfg(feature = "cli")]
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum FunctionFailure {
    Reject,
    /// Keep the approval pending and ask again in the next sweep.
    Defer,
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
    /// Validates a rule's `function`; `rule_on_fail` is the rule's `on_fail`, which a
    /// failing function answers unless it says otherwise.
    pub fn from_document(
        document: FunctionDocument,
        rule_on_fail: Severity,
        at: &str,
    ) -> Result<Self, PolicyError> {
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
        // Abstain is stable: what a rule leaves to a human when the approval starts waiting
        // stays with a human. A function is asked about the present only, so its next
        // answer could approve what it left to a human.
        if document.on_fail.unwrap_or(rule_on_fail) == Severity::Abstain {
            return Err(PolicyError::at(
                format!("{at}.on_fail"),
                "a function's answer can change while the approval waits, so a failure that \
                 leaves the approval to a human would not stay so: give the function \
                 \"on_fail\": \"reject\" or \"defer\" (the rule's on_fail is abstain)",
            ));
        }
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
            FunctionAnswer::NotAsked => Check::fail(
                on_fail,
                format!("function {function} was not asked, so it did not pass"),
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
#[allow(clippy::unwrap_used, clippy::expect_used)]
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

    /// The `function` of a one-rule policy whose `on_fail` is `rule_on_fail`.
    fn load(function: serde_json::Value, rule_on_fail: &str) -> Result<CheckFunction, PolicyError> {
        let policy = serde_json::json!({"rules": [
            {"name": "r", "function": function, "on_fail": rule_on_fail}]});
        crate::policy::Policy::from_json(&policy.to_string())
            .map(|mut policy| policy.rules.remove(0).function.unwrap())
    }

    #[test]
    fn a_failing_function_may_reject_or_defer_but_never_leave_it_to_a_human() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket";
        let loaded = load(serde_json::json!({"arn": arn}), "reject").unwrap();
        assert_eq!((loaded.timeout, loaded.on_fail), (DEFAULT_TIMEOUT, None));
        let deferring = load(
            serde_json::json!({"arn": arn, "on_fail": "defer", "timeout_seconds": 10}),
            "abstain",
        )
        .unwrap();
        assert_eq!(deferring.on_fail, Some(Severity::Defer));
        for (function, rule_on_fail, path) in [
            (
                serde_json::json!({"arn": arn}),
                "abstain",
                "rules[0].function.on_fail",
            ),
            (
                serde_json::json!({"arn": arn, "on_fail": "abstain"}),
                "reject",
                "rules[0].function.on_fail",
            ),
            (
                serde_json::json!({"arn": arn, "timeout_seconds": 0}),
                "reject",
                "rules[0].function.timeout_seconds",
            ),
            (
                serde_json::json!({"arn": arn, "timeout_seconds": 11}),
                "reject",
                "rules[0].function.timeout_seconds",
            ),
            (
                serde_json::json!({"arn": "change-ticket"}),
                "reject",
                "rules[0].function.arn",
            ),
            (
                serde_json::json!({"arn": arn, "on_fail": null}),
                "reject",
                "rules[0].function.on_fail",
            ),
            (
                serde_json::json!({"arn": arn, "qualifier": "live"}),
                "reject",
                "rules[0].function.qualifier",
            ),
        ] {
            let error = load(function.clone(), rule_on_fail).expect_err("refused");
            assert_eq!(error.path, path, "{function}: {error}");
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
            FunctionAnswer::NotAsked,
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
}
