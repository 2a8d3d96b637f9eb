//! `explain`: what the gate would decide, rendered for a terminal or as JSON.

use serde_json::{Value, json};

use super::utc;
use crate::check_function::FunctionAnswer;
use crate::decision::Verdict;
use crate::handler::{Explained, Explanation, FunctionOutcome};
use crate::report::Outcome;

/// What the gate would send, in words.
fn would_answer(explanation: &Explanation) -> &'static str {
    match explanation.decision.verdict {
        Verdict::Approve => "Approved (PutApprovalResult)",
        Verdict::Reject => "Rejected (PutApprovalResult)",
        Verdict::Abstain => "nothing: the approval stays with a human",
        Verdict::Defer => {
            "nothing for now: a wake-up, an alarm or calendar event or the sweep decides it again"
        }
    }
}

/// The explanations as text; `pipeline` names what was asked about when nothing waits.
pub fn text(pipeline: &str, explained: &[Explained]) -> String {
    if explained.is_empty() {
        return format!("no approval is waiting in pipeline {pipeline}\n");
    }
    let mut out = String::new();
    for (index, item) in explained.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        match item {
            Explained::NotWaiting { target, reason } => {
                out.push_str(&format!("{target}\n  not waiting: {reason}\n"));
                out.push_str("  the gate would answer: nothing\n");
            }
            Explained::Decided(explanation) => out.push_str(&decided(explanation)),
        }
    }
    out
}

fn decided(explanation: &Explanation) -> String {
    let decision = &explanation.decision;
    let mut out = format!("{}\n", explanation.target);
    out.push_str(&format!("  execution: {}\n", explanation.execution));
    out.push_str(&format!(
        "  waiting since: {}\n",
        explanation
            .since
            .map_or_else(|| "(the state does not say)".into(), utc)
    ));
    if let Some(expiry) = explanation.expiry {
        out.push_str(&format!("  expires: {}\n", utc(expiry)));
    }
    out.push_str(&format!("  decided at: {}\n", utc(explanation.at)));
    out.push_str(&format!(
        "  rule: {}\n",
        decision.rule.as_deref().unwrap_or("(none matches)")
    ));
    out.push_str(&format!(
        "  verdict: {}\n",
        Outcome::from(decision.verdict).as_str()
    ));
    out.push_str("  because:\n");
    for reason in &decision.reasons {
        out.push_str(&format!("    - {reason}\n"));
    }
    if !explanation.checks.is_empty() {
        out.push_str("  checks:\n");
        for check in &explanation.checks {
            let mark = match check.failed {
                None => "pass".to_owned(),
                Some(severity) => format!("fail ({})", severity.as_str()),
            };
            out.push_str(&format!("    {mark:<14} {}\n", check.reason));
        }
    }
    // A function not asked has no check beside a failing one: say why it is absent.
    if let Some(function) = &explanation.function
        && function.answer == FunctionAnswer::NotAsked
    {
        out.push_str(&format!(
            "  check function {} was not asked: it is asked only when its answer would \
             decide, that is when every other check passes\n",
            function.arn
        ));
    }
    out.push_str(&format!(
        "  the gate would answer: {}\n",
        would_answer(explanation)
    ));
    if matches!(decision.verdict, Verdict::Approve | Verdict::Reject) {
        out.push_str(&format!("  summary: {}\n", decision.summary()));
    }
    out
}

/// The explanations as one JSON document.
pub fn json(pipeline: &str, explained: &[Explained]) -> String {
    let approvals: Vec<Value> = explained
        .iter()
        .map(|item| match item {
            Explained::NotWaiting { target, reason } => json!({
                "pipeline": target.pipeline,
                "stage": target.stage,
                "action": target.action,
                "waiting": false,
                "reason": reason,
            }),
            Explained::Decided(explanation) => {
                let decision = &explanation.decision;
                json!({
                    "pipeline": explanation.target.pipeline,
                    "stage": explanation.target.stage,
                    "action": explanation.target.action,
                    "waiting": true,
                    "execution": explanation.execution,
                    "since": explanation.since.map(|at| at.to_string()),
                    "expiry": explanation.expiry.map(|at| at.to_string()),
                    "at": explanation.at.to_string(),
                    "rule": decision.rule,
                    "verdict": Outcome::from(decision.verdict).as_str(),
                    "reasons": decision.reasons,
                    "checks": explanation.checks.iter().map(|check| json!({
                        "passed": check.passed(),
                        "asks_for": check.failed.map(|severity| severity.as_str()),
                        "reason": check.reason,
                    })).collect::<Vec<_>>(),
                    "function": explanation.function.as_ref().map(function_json),
                })
            }
        })
        .collect();
    json!({ "pipeline": pipeline, "approvals": approvals }).to_string()
}

/// The rule's check function and what it answered: `answer` when it gave one, `unusable`
/// saying why when what it gave (or failed to give) is no answer.
fn function_json(function: &FunctionOutcome) -> Value {
    let (asked, answer, unusable) = match &function.answer {
        FunctionAnswer::NotAsked => (false, Value::Null, None),
        FunctionAnswer::Answered { pass, reason } => {
            (true, json!({"pass": pass, "reason": reason}), None)
        }
        FunctionAnswer::Unusable(why) => (true, Value::Null, Some(why)),
    };
    json!({
        "arn": function.arn,
        "asked": asked,
        "answer": answer,
        "unusable": unusable,
    })
}

/// Why no check function was asked about the approvals explained, for a `--function-answer`
/// file that was not read.
pub fn why_no_function_asked(explained: &[Explained]) -> &'static str {
    let decided: Vec<&Explanation> = explained
        .iter()
        .filter_map(|item| match item {
            Explained::Decided(explanation) => Some(explanation.as_ref()),
            Explained::NotWaiting { .. } => None,
        })
        .collect();
    if decided.is_empty() {
        "no approval waits to be decided"
    } else if decided
        .iter()
        .any(|explanation| explanation.function.is_some())
    {
        "a check function is asked only when its answer decides: when every other check of \
         its rule passes and the approval may be answered (not expired, proven to wait in \
         its execution, not left to a human when it started waiting), which is not the case"
    } else {
        "no rule explained has a check function"
    }
}

/// Whether every approval explained would be approved (false when none waits).
pub fn all_approved(explained: &[Explained]) -> bool {
    !explained.is_empty()
        && explained.iter().all(|item| {
            matches!(item, Explained::Decided(explanation)
                if explanation.decision.verdict == Verdict::Approve)
        })
}
