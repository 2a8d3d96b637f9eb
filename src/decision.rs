//! The verdict: a pure function of the policy, the approval, the pipeline state and the
//! clock. No I/O happens here, so every rule can be tested exhaustively.

use std::fmt;

use jiff::Timestamp;

use crate::names;
use crate::notice::ApprovalRequest;
use crate::pipeline::{ActionStatus, ApprovalState, PipelineSnapshot};
use crate::policy::revisions::{FailAs, RevisionFacts, Revisions};
use crate::policy::windows::{Outside, TimeCheck, Windows};
use crate::policy::{ActionRef, OnFail, Policy, Rule};

/// PutApprovalResult refuses longer summaries.
pub const MAX_SUMMARY_CHARS: usize = 512;

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

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Abstain => "abstain",
            Self::Defer => "defer",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A deferred approval is answered in the sweep before CodePipeline fails it on expiry;
/// this is how close to the expiry that last chance is taken. The sweep must run more
/// often than this.
pub const EXPIRY_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_mins(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    /// The rule that decided; `None` when no rule matched.
    pub rule: Option<String>,
    /// Why, in words a release engineer reads in a summary, a mail or a log line.
    pub reasons: Vec<String>,
}

impl Decision {
    fn abstain(rule: Option<&Rule>, reason: String) -> Self {
        Self {
            verdict: Verdict::Abstain,
            rule: rule.map(|rule| rule.name.clone()),
            reasons: vec![reason],
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
        names::truncate(&names::printable(&text, usize::MAX), MAX_SUMMARY_CHARS)
    }
}

/// What the gate knows about the approval beyond the notice.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    /// `GetPipelineState`.
    pub snapshot: &'a PipelineSnapshot,
    /// The revisions of the execution under approval, when the rule or the notice's
    /// claims needed them.
    pub revisions: Option<&'a RevisionFacts>,
}

/// Decides one approval.
///
/// The first rule whose `match` fits decides; no fitting rule leaves the approval to a
/// human. A rule approves only when every one of its checks passes. Otherwise each failing
/// check asks for an outcome (the rule's `on_fail`, a window's `outside`, a commit
/// message's `on_match`) and the strictest wins: reject over abstain over defer. Whatever
/// the policy says, an approval whose token is not the live one, or that has expired, is
/// never approved.
pub fn decide(
    policy: &Policy,
    request: &ApprovalRequest,
    evidence: Evidence<'_>,
    now: Timestamp,
) -> Decision {
    let Some(rule) = policy.rule_for(&request.target) else {
        return Decision::abstain(None, format!("no rule matches {}", request.target));
    };
    if now >= request.expires {
        return Decision::abstain(
            Some(rule),
            format!("the approval expired at {}", request.expires),
        );
    }
    let approval = match evidence.snapshot.approval(&request.target) {
        Ok(approval) => approval,
        Err(staleness) => return Decision::abstain(Some(rule), staleness.to_string()),
    };
    if let Err(staleness) = approval.check_live(&request.token) {
        return Decision::abstain(Some(rule), format!("the token is not live: {staleness}"));
    }

    let mut checks = claims_agree(request, &approval, evidence.revisions);
    let on_fail = Severity::from(rule.on_fail);
    checks.extend(
        rule.require_succeeded
            .iter()
            .map(|required| check_succeeded(evidence.snapshot, &approval, required, on_fail)),
    );
    if let Some(windows) = &rule.windows {
        checks.push(check_windows(windows, now));
    }
    if let Some(revisions) = &rule.revisions {
        checks.extend(check_revisions(revisions, evidence.revisions, now, on_fail));
    }

    let strictest = checks.iter().filter_map(|check| check.failed).max();
    let Some(severity) = strictest else {
        let mut reasons: Vec<String> = if checks.is_empty() {
            vec!["the rule has no checks, so every approval it matches is approved".into()]
        } else {
            checks.into_iter().map(|check| check.reason).collect()
        };
        if let Some(waited) = why_it_waited(rule, request) {
            reasons.push(waited);
        }
        return Decision {
            verdict: Verdict::Approve,
            rule: Some(rule.name.clone()),
            reasons,
        };
    };
    let mut reasons: Vec<String> = checks
        .into_iter()
        .filter(|check| check.failed.is_some())
        .map(|check| check.reason)
        .collect();
    let verdict = match severity {
        Severity::Reject => Verdict::Reject,
        Severity::Abstain => Verdict::Abstain,
        Severity::Defer if now + EXPIRY_MARGIN >= request.expires => {
            reasons.push(format!(
                "the approval expires at {} before the gate may approve it, so it is \
                 rejected rather than left to fail",
                request.expires
            ));
            Verdict::Reject
        }
        Severity::Defer => Verdict::Defer,
    };
    Decision {
        verdict,
        rule: Some(rule.name.clone()),
        reasons,
    }
}

/// What a failing check asks for. The order is the precedence: the strictest wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Defer,
    Abstain,
    Reject,
}

impl From<OnFail> for Severity {
    fn from(on_fail: OnFail) -> Self {
        match on_fail {
            OnFail::Reject => Self::Reject,
            OnFail::Abstain => Self::Abstain,
        }
    }
}

struct Check {
    /// `None` when the check passed.
    failed: Option<Severity>,
    reason: String,
}

impl Check {
    fn pass(reason: String) -> Self {
        Self {
            failed: None,
            reason,
        }
    }

    fn fail(severity: Severity, reason: String) -> Self {
        Self {
            failed: Some(severity),
            reason,
        }
    }
}

/// What the notice's `customData` claims must agree with the live state; a disagreement
/// means the notice and the state are about different executions, so no rule may approve.
fn claims_agree(
    request: &ApprovalRequest,
    approval: &ApprovalState<'_>,
    revisions: Option<&RevisionFacts>,
) -> Vec<Check> {
    let claims = request.claims();
    let mut checks = Vec::new();
    if claims.conflicting {
        checks.push(Check::fail(
            Severity::Abstain,
            "the notice's customData names two different executions or commits".into(),
        ));
    }
    if let Some(claimed) = &claims.execution_id {
        let live = approval.execution_id();
        checks.push(if live == Some(claimed.as_str()) {
            Check::pass(format!(
                "the notice's execution {claimed} is the one waiting"
            ))
        } else {
            Check::fail(
                Severity::Abstain,
                format!(
                    "the notice names execution {} but the approval waits on {}",
                    names::identifier(claimed),
                    live.unwrap_or("no execution")
                ),
            )
        });
    }
    if let Some(claimed) = &claims.commit_id {
        let carried = revisions
            .and_then(|facts| facts.artifacts.as_ref())
            .is_some_and(|artifacts| {
                artifacts.iter().any(|artifact| {
                    artifact.revision_id.as_deref().is_some_and(|id| {
                        id == claimed
                            || (claimed.len() >= 7
                                && claimed.bytes().all(|b| b.is_ascii_hexdigit())
                                && id.starts_with(claimed.as_str()))
                    })
                })
            });
        checks.push(if carried {
            Check::pass(format!(
                "the notice's commit {} is in the execution",
                names::identifier(claimed)
            ))
        } else {
            Check::fail(
                Severity::Abstain,
                format!(
                    "the notice names commit {} but the execution under approval does not carry it",
                    names::identifier(claimed)
                ),
            )
        });
    }
    checks
}

/// An approval the sweep finds open now may have waited for its window: say so, so that
/// nobody wonders why an approval that arrived in the evening went out the next morning.
fn why_it_waited(rule: &Rule, request: &ApprovalRequest) -> Option<String> {
    let windows = rule.windows.as_ref()?;
    match windows.check(request.waiting_since?) {
        TimeCheck::Open { .. } => None,
        TimeCheck::Closed { reason, .. } => Some(format!("it waited: when it arrived, {reason}")),
    }
}

fn check_windows(windows: &Windows, now: Timestamp) -> Check {
    match windows.check(now) {
        TimeCheck::Open { reason } => Check::pass(reason),
        TimeCheck::Closed {
            reason,
            next_open_text,
            ..
        } => {
            let severity = match windows.outside() {
                Outside::Reject => Severity::Reject,
                Outside::Abstain => Severity::Abstain,
                Outside::Defer => Severity::Defer,
            };
            let next = next_open_text.map_or_else(
                || "no window opens in the next 400 days".to_owned(),
                |text| format!("next opening {text}"),
            );
            Check::fail(severity, format!("{reason}; {next}"))
        }
    }
}

fn check_revisions(
    revisions: &Revisions,
    facts: Option<&RevisionFacts>,
    now: Timestamp,
    on_fail: Severity,
) -> Vec<Check> {
    // Data that could not be read says nothing against the release: a human decides.
    let Some(facts) = facts else {
        return vec![Check::fail(
            Severity::Abstain,
            "the revisions of the execution under approval could not be read".into(),
        )];
    };
    revisions
        .check(facts, now)
        .into_iter()
        .map(|check| {
            if check.passed {
                Check::pass(check.reason)
            } else {
                let severity = match check.on_fail {
                    Some(FailAs::Reject) => Severity::Reject,
                    Some(FailAs::Abstain) => Severity::Abstain,
                    None => on_fail,
                };
                Check::fail(severity, check.reason)
            }
        })
        .collect()
}

/// An upstream action counts only if it succeeded in the execution under approval: the
/// stage it runs in must have last run that same execution. When a newer execution has
/// entered the stage since, success cannot be confirmed, and the check fails.
fn check_succeeded(
    snapshot: &PipelineSnapshot,
    approval: &ApprovalState<'_>,
    required: &ActionRef,
    on_fail: Severity,
) -> Check {
    let fail = |reason| Check::fail(on_fail, reason);
    // Actions of the approval's own stage may not have run yet in this execution, and
    // then still show the previous execution's status.
    if required.stage == approval.stage.name {
        return fail(format!(
            "{required} is in the approval's own stage, where its status may be a previous \
             execution's: require actions of earlier stages"
        ));
    }
    let Some(execution_id) = approval.execution_id() else {
        return fail(format!(
            "{required} cannot be checked: the approval stage shows no pipeline execution"
        ));
    };
    let Some(stage) = snapshot.stage(&required.stage) else {
        return fail(format!(
            "{required} is required but the pipeline has no stage {}",
            required.stage
        ));
    };
    let stage_execution = stage
        .execution
        .as_ref()
        .map(|execution| execution.pipeline_execution_id.as_str());
    if stage_execution != Some(execution_id) {
        return fail(match stage_execution {
            Some(other) => format!(
                "{required} cannot be confirmed for execution {execution_id}: \
                 stage {} last ran execution {other}",
                required.stage
            ),
            None => format!("{required} has not run in execution {execution_id}"),
        });
    }
    let Some(action) = stage.actions.iter().find(|a| a.name == required.action) else {
        return fail(format!(
            "{required} is required but stage {} has no action {}",
            required.stage, required.action
        ));
    };
    match action.execution.as_ref().map(|execution| &execution.status) {
        Some(ActionStatus::Succeeded) => {
            Check::pass(format!("{required} succeeded in execution {execution_id}"))
        }
        Some(status) => fail(format!(
            "{required} is {} in execution {execution_id}, not Succeeded",
            status_name(status)
        )),
        None => fail(format!(
            "{required} has not run in execution {execution_id}"
        )),
    }
}

fn status_name(status: &ActionStatus) -> String {
    match status {
        ActionStatus::InProgress => "InProgress".into(),
        ActionStatus::Succeeded => "Succeeded".into(),
        ActionStatus::Failed => "Failed".into(),
        ActionStatus::Abandoned => "Abandoned".into(),
        ActionStatus::Other(other) => names::printable(other, 40),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::{ApprovalTarget, ApprovalToken};
    use crate::pipeline::{ActionExecution, ActionState, StageExecution, StageState};

    const POLICY: &str = r#"{"rules": [{"name": "prod-after-tests",
        "match": {"pipeline": "web-*", "stage": "Approve-Prod"},
        "require_succeeded": ["Build/IntegrationTests", "Build/Unit"],
        "on_fail": "reject"},
        {"name": "staging-soft", "match": {"stage": "Approve-Staging"},
         "require_succeeded": ["Build/Unit"]},
        {"name": "sandbox", "match": {"pipeline": "sandbox-*"}}]}"#;

    fn now() -> Timestamp {
        "2026-11-26T08:00:00Z".parse().unwrap()
    }

    fn request(pipeline: &str, stage: &str) -> ApprovalRequest {
        ApprovalRequest {
            target: ApprovalTarget {
                pipeline: pipeline.into(),
                stage: stage.into(),
                action: "Manual".into(),
            },
            token: ApprovalToken::new("tok-1"),
            expires: "2026-12-03T08:00:00Z".parse().unwrap(),
            region: None,
            console_link: None,
            custom_data: None,
            waiting_since: None,
        }
    }

    fn action(name: &str, status: ActionStatus, token: Option<&str>) -> ActionState {
        ActionState {
            name: name.into(),
            execution: Some(ActionExecution {
                status,
                token: token.map(ApprovalToken::new),
                last_status_change: None,
            }),
            current_revision: None,
        }
    }

    fn stage(name: &str, execution: &str, actions: Vec<ActionState>) -> StageState {
        StageState {
            name: name.into(),
            execution: Some(StageExecution {
                pipeline_execution_id: execution.into(),
            }),
            actions,
        }
    }

    /// A pipeline whose Build stage ran `build_execution` with the given statuses, waiting
    /// for approval of execution `exec-1` in `approval_stage`.
    fn snapshot(
        pipeline: &str,
        approval_stage: &str,
        build_execution: &str,
        tests: ActionStatus,
        unit: ActionStatus,
    ) -> PipelineSnapshot {
        PipelineSnapshot {
            name: pipeline.into(),
            stages: vec![
                stage(
                    "Build",
                    build_execution,
                    vec![
                        action("IntegrationTests", tests, None),
                        action("Unit", unit, None),
                    ],
                ),
                stage(
                    approval_stage,
                    "exec-1",
                    vec![action("Manual", ActionStatus::InProgress, Some("tok-1"))],
                ),
            ],
        }
    }

    fn evidence(snapshot: &PipelineSnapshot) -> Evidence<'_> {
        Evidence {
            snapshot,
            revisions: None,
        }
    }

    fn decide_for(pipeline: &str, stage_name: &str, state: &PipelineSnapshot) -> Decision {
        let policy = Policy::from_json(POLICY).unwrap();
        decide(
            &policy,
            &request(pipeline, stage_name),
            evidence(state),
            now(),
        )
    }

    #[test]
    fn approves_when_required_actions_succeeded_in_the_same_execution() {
        let state = snapshot(
            "web-shop",
            "Approve-Prod",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        let decision = decide_for("web-shop", "Approve-Prod", &state);
        assert_eq!(decision.verdict, Verdict::Approve);
        assert_eq!(decision.rule.as_deref(), Some("prod-after-tests"));
        assert_eq!(
            decision.reasons,
            vec![
                "Build/IntegrationTests succeeded in execution exec-1",
                "Build/Unit succeeded in execution exec-1"
            ]
        );
    }

    #[test]
    fn rejects_with_every_failing_check_when_on_fail_is_reject() {
        let state = snapshot(
            "web-shop",
            "Approve-Prod",
            "exec-1",
            ActionStatus::Failed,
            ActionStatus::InProgress,
        );
        let decision = decide_for("web-shop", "Approve-Prod", &state);
        assert_eq!(decision.verdict, Verdict::Reject);
        assert_eq!(
            decision.reasons,
            vec![
                "Build/IntegrationTests is Failed in execution exec-1, not Succeeded",
                "Build/Unit is InProgress in execution exec-1, not Succeeded"
            ]
        );
    }

    #[test]
    fn abstains_on_failure_when_on_fail_defaults() {
        let state = snapshot(
            "api",
            "Approve-Staging",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Failed,
        );
        let decision = decide_for("api", "Approve-Staging", &state);
        assert_eq!(decision.verdict, Verdict::Abstain);
        assert_eq!(decision.rule.as_deref(), Some("staging-soft"));
    }

    #[test]
    fn success_in_an_older_execution_does_not_count() {
        let state = snapshot(
            "web-shop",
            "Approve-Prod",
            "exec-0",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        let decision = decide_for("web-shop", "Approve-Prod", &state);
        assert_eq!(decision.verdict, Verdict::Reject);
        assert!(
            decision.reasons[0].contains("stage Build last ran execution exec-0"),
            "{:?}",
            decision.reasons
        );
    }

    #[test]
    fn required_action_that_does_not_exist_fails_the_check() {
        let mut state = snapshot(
            "web-shop",
            "Approve-Prod",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        state.stages[0].actions.pop();
        let decision = decide_for("web-shop", "Approve-Prod", &state);
        assert_eq!(decision.verdict, Verdict::Reject);
        assert_eq!(
            decision.reasons,
            vec!["Build/Unit is required but stage Build has no action Unit"]
        );

        state.stages.remove(0);
        let decision = decide_for("web-shop", "Approve-Prod", &state);
        assert!(decision.reasons[0].contains("has no stage Build"));
    }

    #[test]
    fn required_action_that_never_ran_fails_the_check() {
        let mut state = snapshot(
            "web-shop",
            "Approve-Prod",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        state.stages[0].actions[1].execution = None;
        let decision = decide_for("web-shop", "Approve-Prod", &state);
        assert_eq!(
            decision.reasons,
            vec!["Build/Unit has not run in execution exec-1"]
        );
    }

    #[test]
    fn abstains_without_rule_when_nothing_matches() {
        let state = snapshot(
            "api",
            "Deploy",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        let decision = decide_for("api", "Deploy", &state);
        assert_eq!(decision.verdict, Verdict::Abstain);
        assert_eq!(decision.rule, None);
        assert_eq!(decision.reasons, vec!["no rule matches api/Deploy/Manual"]);
    }

    #[test]
    fn a_rule_without_checks_approves_what_it_matches() {
        let state = snapshot(
            "sandbox-1",
            "Go",
            "exec-9",
            ActionStatus::Failed,
            ActionStatus::Failed,
        );
        let decision = decide_for("sandbox-1", "Go", &state);
        assert_eq!(decision.verdict, Verdict::Approve);
        assert_eq!(decision.rule.as_deref(), Some("sandbox"));
    }

    #[test]
    fn never_approves_a_token_that_is_not_live() {
        let mut state = snapshot(
            "sandbox-1",
            "Go",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        state.stages[1].actions[0] = action("Manual", ActionStatus::InProgress, Some("tok-2"));
        assert_eq!(
            decide_for("sandbox-1", "Go", &state).verdict,
            Verdict::Abstain
        );
        state.stages[1].actions[0] = action("Manual", ActionStatus::Succeeded, Some("tok-1"));
        assert_eq!(
            decide_for("sandbox-1", "Go", &state).verdict,
            Verdict::Abstain
        );
    }

    #[test]
    fn an_action_in_the_approvals_own_stage_cannot_be_confirmed() {
        let policy = Policy::from_json(
            r#"{"rules":[{"name":"same-stage","require_succeeded":["Approve-Prod/Smoke"]}]}"#,
        )
        .unwrap();
        let mut state = snapshot(
            "web-shop",
            "Approve-Prod",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        state.stages[1]
            .actions
            .push(action("Smoke", ActionStatus::Succeeded, None));

        let decision = decide(
            &policy,
            &request("web-shop", "Approve-Prod"),
            evidence(&state),
            now(),
        );

        assert_eq!(decision.verdict, Verdict::Abstain);
        assert!(
            decision.reasons[0].contains("approval's own stage"),
            "{:?}",
            decision.reasons
        );
    }

    #[test]
    fn never_approves_an_expired_approval() {
        let state = snapshot(
            "sandbox-1",
            "Go",
            "exec-1",
            ActionStatus::Succeeded,
            ActionStatus::Succeeded,
        );
        let policy = Policy::from_json(POLICY).unwrap();
        let mut request = request("sandbox-1", "Go");
        request.expires = now();
        let decision = decide(&policy, &request, evidence(&state), now());
        assert_eq!(decision.verdict, Verdict::Abstain);
        assert!(decision.reasons[0].contains("expired"));
    }

    #[test]
    fn summary_names_rule_and_reasons_within_512_characters() {
        let decision = Decision {
            verdict: Verdict::Reject,
            rule: Some("prod-after-tests".into()),
            reasons: vec!["Build/Unit is Failed".into(), "ü".repeat(1000)],
        };
        let summary = decision.summary();
        assert!(summary.starts_with(
            "Rejected by approval-gate rule \"prod-after-tests\": Build/Unit is Failed; ü"
        ));
        assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
    }
}
