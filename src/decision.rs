//! The verdict: a pure function of the policy, the evidence and the clock. No I/O happens
//! here, so every rule can be tested exhaustively.
//!
//! The evidence is built in [`crate::evidence`] and carries its provenance: the approval
//! is proven live from the state, and every fact about the execution was proven to be
//! about the execution the approval waits in. The notice reaches this module only through
//! [`claims_veto`], which can stop an answer but never cause one.

use jiff::{SignedDuration, Timestamp};

use crate::check::{Check, Severity};
use crate::check_function::FunctionAnswer;
use crate::conditions::Conditions;
use crate::evidence::{ActionOutcome, ExecutionFacts, Expiry, LiveApproval, SourceHead};
use crate::names;
use crate::notice::Claims;
use crate::pipeline::ActionStatus;
use crate::policy::windows::TimeCheck;
use crate::policy::{ActionRef, Policy, Rule};

/// PutApprovalResult refuses longer summaries. Whether it counts characters, UTF-16 units
/// or bytes is not documented, so summaries are cut to this many bytes, which satisfies
/// all three.
pub const MAX_SUMMARY_BYTES: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
    /// Leave the approval to a human: no answer is sent.
    Abstain,
    /// Not yet: the approval stays pending and is decided again by the scheduled sweep,
    /// once its time window opens.
    Defer,
}

/// A deferred approval that no window will open for in time is rejected in the sweep
/// before CodePipeline fails it on expiry; this is how close to the expiry that happens.
/// The sweep must run more often than this.
pub const EXPIRY_MARGIN: SignedDuration = SignedDuration::from_mins(30);

/// How far ahead of the gate's clock a time in the state may be and still be believed.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    /// The rule that decided; `None` when no rule matched.
    pub rule: Option<String>,
    /// Why, in words a release engineer reads in a summary, a mail or a log line.
    pub reasons: Vec<String>,
    /// For a deferral: the next moment the decision may change (a window or calendar
    /// opens, or the approval comes within [`EXPIRY_MARGIN`] of its expiry), when a
    /// wake-up should look again. `None` for every other verdict, and for a deferral that
    /// only an event can end (an alarm that clears).
    pub wake_at: Option<Timestamp>,
}

impl Decision {
    fn abstain(rule: Option<&Rule>, reason: String) -> Self {
        Self {
            verdict: Verdict::Abstain,
            rule: rule.map(|rule| rule.name.clone()),
            reasons: vec![reason],
            wake_at: None,
        }
    }

    /// The approval summary: names the rule and the reasons, within CodePipeline's limit.
    pub fn summary(&self) -> String {
        let outcome = match self.verdict {
            Verdict::Approve => "Approved",
            Verdict::Reject => "Rejected",
            Verdict::Abstain => "Left for a human",
            Verdict::Defer => "Deferred",
        };
        let rule = self.rule.as_deref().unwrap_or("(none)");
        let text = format!(
            "{outcome} by approval-gate rule \"{}\": {}",
            names::printable(rule, 100),
            self.reasons.join("; ")
        );
        names::truncate_bytes(&names::printable(&text, usize::MAX), MAX_SUMMARY_BYTES)
    }

    /// [`Decision::summary`] for the approval whose token is `token`, redacted once more as a
    /// whole: the reasons were redacted one by one, but the summary's own cut can end a
    /// quote of the token's start just before its `…`, and cleaning the whole text removes
    /// invisible characters that may have stood between a token's characters. A second cut
    /// can only shorten the `<redacted>` it leaves.
    pub fn summary_for(&self, token: &str) -> String {
        names::truncate_bytes(&names::redact(&self.summary(), token), MAX_SUMMARY_BYTES)
    }

    /// Not decided yet at `now`, for a reason outside the rule (its check function could not
    /// be asked in the time left): deferred, with a wake-up a minute later. When the
    /// approval expires before that wake-up could have it answered, it is rejected rather
    /// than left to fail.
    pub fn postponed(rule: &Rule, reason: String, now: Timestamp, expiry: Option<Expiry>) -> Self {
        let wake_at = now.checked_add(SignedDuration::from_mins(1)).unwrap_or(now);
        match expiry.map(Expiry::at) {
            Some(expiry) if expiry <= wake_at + SignedDuration::from_mins(1) => Self {
                verdict: Verdict::Reject,
                rule: Some(rule.name.clone()),
                reasons: vec![
                    reason,
                    format!(
                        "the approval expires at {expiry}, before it could be asked again, so \
                         it is rejected rather than left to fail"
                    ),
                ],
                wake_at: None,
            },
            _ => Self {
                verdict: Verdict::Defer,
                rule: Some(rule.name.clone()),
                reasons: vec![format!("{reason}; a wake-up or the next sweep asks it")],
                wake_at: Some(wake_at),
            },
        }
    }

    /// The notice's claims stopped the answer: whatever the rule's checks say, an
    /// approval the notice may not be about gets no answer.
    pub fn vetoed(rule: &Rule, reason: String) -> Self {
        Self::abstain(Some(rule), reason)
    }
}

/// What the gate knows about the approval: every part proven to be about the execution
/// the approval waits in, except the sources' heads, which are the newest revisions and
/// belong to no execution.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    pub approval: &'a LiveApproval,
    pub execution: &'a ExecutionFacts,
    pub heads: &'a [SourceHead],
    /// When CodePipeline fails the approval: when it started waiting plus its declared
    /// timeout; `None` when either is unknown, and then the gate never rejects for expiry.
    pub expiry: Option<Expiry>,
    /// Alarm and calendar states: about the moment they were read, not the execution.
    pub conditions: &'a Conditions,
    /// What the rule's check function answered ([`FunctionAnswer::NotAsked`] until it is
    /// asked: see [`asks_function`]).
    pub function: &'a FunctionAnswer,
}

/// Decides one approval at `now`. `sweep_every` is how often the sweep runs: a deferral
/// is only worth keeping if a sweep can come while the window is open.
///
/// The first rule whose `match` fits decides; no fitting rule leaves the approval to a
/// human. A rule approves only when every one of its checks passes. Otherwise each failing
/// check asks for an outcome (the rule's `on_fail`, a window's `outside`, a commit
/// message's `on_match`) and the strictest wins: reject over abstain over defer. An
/// approval the rule left to a human when it started waiting stays with a human.
pub fn decide(
    policy: &Policy,
    evidence: &Evidence<'_>,
    now: Timestamp,
    sweep_every: SignedDuration,
) -> Decision {
    decide_by(
        policy.rule_for(evidence.approval.target()),
        evidence,
        now,
        sweep_every,
    )
}

/// [`decide`] with the rule already resolved (`policy.rule_for` of the approval's target),
/// for callers that needed the rule first to know what evidence to read.
pub fn decide_by(
    rule: Option<&Rule>,
    evidence: &Evidence<'_>,
    now: Timestamp,
    sweep_every: SignedDuration,
) -> Decision {
    let approval = evidence.approval;
    let Some(rule) = rule else {
        return Decision::abstain(None, format!("no rule matches {}", approval.target()));
    };
    let mut decision = decide_by_rule(rule, evidence, now, sweep_every);
    // The token is a capability: no reason may carry it, whatever the notice or the
    // pipeline put into the texts they are built from.
    let token = approval.token().expose();
    for reason in &mut decision.reasons {
        *reason = names::redact(reason, token);
    }
    decision
}

fn decide_by_rule(
    rule: &Rule,
    evidence: &Evidence<'_>,
    now: Timestamp,
    sweep_every: SignedDuration,
) -> Decision {
    let approval = evidence.approval;
    if evidence.execution.execution() != approval.execution() {
        return Decision::abstain(
            Some(rule),
            format!(
                "the facts read are about execution {}, not {} which the approval waits in",
                evidence.execution.execution(),
                approval.execution()
            ),
        );
    }
    // The attempts were read and do not show the approval among them: the execution the
    // facts are about may not be the one its token belongs to.
    if let Some(reason) = evidence.execution.refused() {
        return Decision::abstain(Some(rule), reason.to_owned());
    }
    if let Some(expiry) = evidence.expiry.map(Expiry::at)
        && now >= expiry
    {
        return Decision::abstain(Some(rule), format!("the approval expired at {expiry}"));
    }
    // Abstain is stable: what the rule left to a human when the approval started waiting
    // is not answered later, when a window has opened. That takes knowing when it started.
    let Some(since) = approval.since().filter(|since| *since <= now + CLOCK_SKEW) else {
        return Decision::abstain(
            Some(rule),
            "the state does not say when the approval started waiting (or names a time \
             ahead of the gate's clock), so whether the rule left it to a human then cannot \
             be judged"
                .into(),
        );
    };
    let mut decision = judge(rule, evidence, now, sweep_every);
    if decision.verdict != Verdict::Abstain && since < now {
        // Judged on the facts as read, and on the facts as they stood then (an action that
        // ran beside the approval and succeeded after it started waiting had not succeeded
        // yet). Either saying abstain keeps it: facts that looked worse then may fail a
        // check that rejects and hide the one that abstained.
        let then = evidence.execution.as_of(since);
        let as_they_stood = Evidence {
            execution: &then,
            ..*evidence
        };
        let first = [evidence, &as_they_stood]
            .into_iter()
            .map(|evidence| judge(rule, evidence, since, sweep_every))
            .find(|first| first.verdict == Verdict::Abstain);
        if let Some(first) = first {
            let mut reasons = vec![format!(
                "when the approval started waiting ({}) the rule left it to a human, and it \
                 stays with a human",
                since.strftime("%Y-%m-%d %H:%M UTC")
            )];
            reasons.extend(first.reasons);
            return Decision {
                verdict: Verdict::Abstain,
                rule: first.rule,
                reasons,
                wake_at: None,
            };
        }
    }
    if decision.verdict == Verdict::Approve
        && let Some(waited) = why_it_waited(rule, approval)
    {
        decision.reasons.push(waited);
    }
    decision
}

/// Every check of `rule` at `at`, passed or failed, in the order a summary lists them:
/// what a decision folds. Public so that `approval-gate-cli explain` can show the checks
/// that passed beside a failing one.
pub fn checks(
    rule: &Rule,
    evidence: &Evidence<'_>,
    at: Timestamp,
    sweep_every: SignedDuration,
) -> Vec<Check> {
    let mut checks: Vec<Check> = rule
        .require_succeeded
        .iter()
        .map(|required| check_succeeded(evidence.execution, required, rule.on_fail))
        .collect();
    if let Some(windows) = &rule.windows {
        checks.push(windows.check(at, sweep_every));
    }
    if let Some(revisions) = &rule.revisions {
        checks.extend(revisions.check(evidence.execution, evidence.heads, at, rule.on_fail));
    }
    let conditions = evidence.conditions;
    if let Some(alarms) = &rule.alarms {
        checks.push(alarms.check(conditions.alarms(), conditions.read_at(), at));
    }
    if let Some(calendars) = &rule.change_calendars {
        checks.extend(calendars.check(conditions, at));
    }
    checks.extend(
        rule.variables
            .iter()
            .map(|variable| variable.check(evidence.execution, rule.on_fail)),
    );
    // The function is asked only when every other check passes, so its check is listed
    // only then: a failing check it was not asked beside would weigh as its `on_fail`
    // (a window's deferral turned into a rejection) and say nothing of use. When every
    // other check passes, a function not asked fails.
    if let Some(function) = &rule.function
        && checks.iter().all(Check::passed)
    {
        checks.push(function.check(evidence.function, rule.on_fail));
    }
    checks
}

/// Whether the rule's check function is to be asked: only when its answer decides, that is
/// when the decision would approve were the function to pass. Every other check, the
/// proof that the approval waits in the execution, its expiry and what the rule said when
/// it started waiting are judged first, so a function is never asked about an approval the
/// rest of the rule refuses, and its answer can only keep it from being approved.
pub fn asks_function(
    rule: &Rule,
    evidence: &Evidence<'_>,
    now: Timestamp,
    sweep_every: SignedDuration,
) -> bool {
    // A pass assumed only here, to see whether the answer would matter; the decision is
    // made again on what the function actually answers.
    let assumed = FunctionAnswer::Answered {
        pass: true,
        reason: String::new(),
    };
    rule.function.is_some()
        && decide_by(
            Some(rule),
            &Evidence {
                function: &assumed,
                ..*evidence
            },
            now,
            sweep_every,
        )
        .verdict
            == Verdict::Approve
}

/// The rule's checks at `at`, folded into a decision.
fn judge(
    rule: &Rule,
    evidence: &Evidence<'_>,
    at: Timestamp,
    sweep_every: SignedDuration,
) -> Decision {
    let checks = checks(rule, evidence, at, sweep_every);

    let strictest = checks.iter().filter_map(|check| check.failed).max();
    let Some(severity) = strictest else {
        let reasons: Vec<String> = if checks.is_empty() {
            vec!["the rule has no checks, so every approval it matches is approved".into()]
        } else {
            checks.into_iter().map(|check| check.reason).collect()
        };
        return Decision {
            verdict: Verdict::Approve,
            rule: Some(rule.name.clone()),
            reasons,
            wake_at: None,
        };
    };
    let opens = checks
        .iter()
        .filter(|check| check.failed == Some(Severity::Defer))
        .map(|check| check.opens)
        .max_by(|a, b| match (a, b) {
            // An opening that never comes outweighs every other.
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        })
        .flatten();
    let wake_at = (severity == Severity::Defer)
        .then(|| wake_at(&checks, evidence.expiry, at))
        .flatten();
    let mut reasons: Vec<String> = checks
        .into_iter()
        .filter(|check| check.failed.is_some())
        .map(|check| check.reason)
        .collect();
    let verdict = match severity {
        Severity::Reject => Verdict::Reject,
        Severity::Abstain => Verdict::Abstain,
        Severity::Defer => match evidence.expiry.map(Expiry::at) {
            Some(expiry)
                if at + EXPIRY_MARGIN >= expiry && !in_time(opens, expiry, sweep_every) =>
            {
                reasons.push(format!(
                    "the approval expires at {expiry}, before the gate may approve it, so \
                     it is rejected rather than left to fail"
                ));
                Verdict::Reject
            }
            _ => Verdict::Defer,
        },
    };
    Decision {
        verdict,
        rule: Some(rule.name.clone()),
        reasons,
        wake_at: wake_at.filter(|_| verdict == Verdict::Defer),
    }
}

/// When a deferral decided at `at` may change: the first moment every deferring check
/// whose opening is known may pass, or the start of the expiry margin, whichever comes
/// first. A check whose opening is unknown (an alarm) is ended by its own event; the
/// others still wake the approval when they open, in case that event was lost.
fn wake_at(checks: &[Check], expiry: Option<Expiry>, at: Timestamp) -> Option<Timestamp> {
    let opening = checks
        .iter()
        .filter(|check| check.failed == Some(Severity::Defer))
        .filter_map(|check| check.may_pass_from)
        .max();
    let margin = expiry.and_then(|expiry| expiry.at().checked_sub(EXPIRY_MARGIN).ok());
    [opening, margin]
        .into_iter()
        .flatten()
        .filter(|moment| *moment > at)
        .min()
}

/// Whether a deferral opening at `opens` leaves a sweep (one every `sweep_every`) the
/// time to approve before `expiry`.
fn in_time(opens: Option<Timestamp>, expiry: Timestamp, sweep_every: SignedDuration) -> bool {
    opens
        .and_then(|opens| opens.checked_add(sweep_every).ok())
        .is_some_and(|swept| swept < expiry)
}

/// What the notice's `customData` claims must agree with the evidence. A claim can only
/// stop the gate: when one disagrees, cannot be read, or quotes the token, the notice may
/// be about another execution, and it gets no answer at all, whatever the rule's checks
/// say. Claims are quoted only once shown not to carry the token.
pub fn claims_veto(claims: &Claims, facts: &ExecutionFacts) -> Option<String> {
    if claims.quotes_token {
        return Some("the notice's customData quotes the approval token, so its claims are not read and the approval is left to a human".into());
    }
    if claims.unreadable {
        return Some(
            "the notice's customData makes a claim whose value cannot be read, so it cannot \
             be checked"
                .into(),
        );
    }
    if claims.conflicting {
        return Some("the notice's customData names two different executions or commits".into());
    }
    let live = facts.execution();
    if let Some(claimed) = &claims.execution_id
        && claimed != live.as_str()
    {
        return Some(format!(
            "the notice names execution {} but the approval waits on {live}",
            names::identifier(claimed),
        ));
    }
    // Facts that are not used cannot check a commit claim: say why they are not, rather
    // than that the execution does not carry the commit.
    if claims.commit_id.is_some()
        && let Some(reason) = facts.refused()
    {
        return Some(reason.to_owned());
    }
    if let Some(claimed) = &claims.commit_id {
        let carried = facts.artifacts().is_some_and(|artifacts| {
            artifacts.iter().any(|artifact| {
                artifact
                    .revision_id
                    .as_deref()
                    .is_some_and(|id| same_commit(id, claimed))
            })
        });
        if !carried {
            return Some(format!(
                "the notice names commit {} but the execution under approval does not carry it",
                names::identifier(claimed)
            ));
        }
    }
    None
}

/// A claimed commit agrees with a revision id when it is the id, or a hex prefix of it of
/// at least 7 characters (git's short ids). A claim longer than the id never agrees.
fn same_commit(id: &str, claimed: &str) -> bool {
    id == claimed
        || (claimed.len() >= 7
            && claimed.len() <= id.len()
            && claimed.bytes().all(|b| b.is_ascii_hexdigit())
            && id.bytes().all(|b| b.is_ascii_hexdigit())
            && id
                .as_bytes()
                .get(..claimed.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(claimed.as_bytes())))
}

/// An approval the sweep finds open now may have waited for its window: say so, so that
/// nobody wonders why an approval that arrived in the evening went out the next morning.
fn why_it_waited(rule: &Rule, approval: &LiveApproval) -> Option<String> {
    let windows = rule.windows.as_ref()?;
    match windows.at(approval.since()?) {
        TimeCheck::Open { .. } => None,
        TimeCheck::Closed { reason, .. } => Some(format!("it waited: when it arrived, {reason}")),
    }
}

/// An upstream action counts only if `ListActionExecutions` shows that it ran in the
/// execution under approval and that its last attempt there succeeded. The state's action
/// status is never used: it is the latest run's, which may be an older execution's (a
/// skipped stage keeps its actions' statuses from the last run that executed them).
fn check_succeeded(facts: &ExecutionFacts, required: &ActionRef, on_fail: Severity) -> Check {
    let execution = facts.execution();
    match facts.action_outcome(&required.stage, &required.action) {
        ActionOutcome::Ran(ActionStatus::Succeeded) => {
            Check::pass(format!("{required} succeeded in execution {execution}"))
        }
        ActionOutcome::Ran(status) => Check::fail(
            on_fail,
            format!("{required} is {status} in execution {execution}, not Succeeded"),
        ),
        ActionOutcome::NotRun => Check::fail(
            on_fail,
            format!(
                "{required} did not run in execution {execution} (a skipped stage, or no such \
                 stage or action)"
            ),
        ),
        ActionOutcome::Unread => Check::fail(
            on_fail,
            format!(
                "{required} cannot be confirmed: the action executions of execution \
                 {execution} could not be read"
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
