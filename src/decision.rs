//! The verdict: a pure function of the policy, the approval, the pipeline state and the
//! clock. No I/O happens here, so every rule can be tested exhaustively.

use std::fmt;

use jiff::Timestamp;

use crate::names;
use crate::notice::ApprovalRequest;
use crate::pipeline::{ActionStatus, ApprovalState, PipelineSnapshot};
use crate::policy::{ActionRef, OnFail, Policy, Rule};

/// PutApprovalResult refuses longer summaries.
pub const MAX_SUMMARY_CHARS: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
    /// Leave the approval to a human: no answer is sent.
    Abstain,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Abstain => "abstain",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// Decides one approval.
///
/// The first rule whose `match` fits decides; no fitting rule leaves the approval to a
/// human. A rule approves only when every one of its checks passes; otherwise it answers
/// its `on_fail`. Whatever the policy says, an approval whose token is not the live one,
/// or that has expired, is never approved.
pub fn decide(
    policy: &Policy,
    request: &ApprovalRequest,
    snapshot: &PipelineSnapshot,
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
    let approval = match snapshot.approval(&request.target) {
        Ok(approval) => approval,
        Err(staleness) => return Decision::abstain(Some(rule), staleness.to_string()),
    };
    if let Err(staleness) = approval.check_live(&request.token) {
        return Decision::abstain(Some(rule), format!("the token is not live: {staleness}"));
    }

    let checks: Vec<Check> = rule
        .require_succeeded
        .iter()
        .map(|required| check_succeeded(snapshot, &approval, required))
        .collect();
    let failed: Vec<String> = checks
        .iter()
        .filter(|check| !check.passed)
        .map(|check| check.reason.clone())
        .collect();
    if failed.is_empty() {
        let reasons = if checks.is_empty() {
            vec!["the rule has no checks, so every approval it matches is approved".into()]
        } else {
            checks.into_iter().map(|check| check.reason).collect()
        };
        return Decision {
            verdict: Verdict::Approve,
            rule: Some(rule.name.clone()),
            reasons,
        };
    }
    Decision {
        verdict: match rule.on_fail {
            OnFail::Reject => Verdict::Reject,
            OnFail::Abstain => Verdict::Abstain,
        },
        rule: Some(rule.name.clone()),
        reasons: failed,
    }
}

struct Check {
    passed: bool,
    reason: String,
}

impl Check {
    fn pass(reason: String) -> Self {
        Self {
            passed: true,
            reason,
        }
    }

    fn fail(reason: String) -> Self {
        Self {
            passed: false,
            reason,
        }
    }
}

/// An upstream action counts only if it succeeded in the execution under approval: the
/// stage it runs in must have last run that same execution. When a newer execution has
/// entered the stage since, success cannot be confirmed, and the check fails.
fn check_succeeded(
    snapshot: &PipelineSnapshot,
    approval: &ApprovalState<'_>,
    required: &ActionRef,
) -> Check {
    let Some(execution_id) = approval.execution_id() else {
        return Check::fail(format!(
            "{required} cannot be checked: the approval stage shows no pipeline execution"
        ));
    };
    let Some(stage) = snapshot.stage(&required.stage) else {
        return Check::fail(format!(
            "{required} is required but the pipeline has no stage {}",
            required.stage
        ));
    };
    let stage_execution = stage
        .execution
        .as_ref()
        .map(|execution| execution.pipeline_execution_id.as_str());
    if stage_execution != Some(execution_id) {
        return Check::fail(match stage_execution {
            Some(other) => format!(
                "{required} cannot be confirmed for execution {execution_id}: \
                 stage {} last ran execution {other}",
                required.stage
            ),
            None => format!("{required} has not run in execution {execution_id}"),
        });
    }
    let Some(action) = stage.actions.iter().find(|a| a.name == required.action) else {
        return Check::fail(format!(
            "{required} is required but stage {} has no action {}",
            required.stage, required.action
        ));
    };
    match action.execution.as_ref().map(|execution| &execution.status) {
        Some(ActionStatus::Succeeded) => {
            Check::pass(format!("{required} succeeded in execution {execution_id}"))
        }
        Some(status) => Check::fail(format!(
            "{required} is {} in execution {execution_id}, not Succeeded",
            status_name(status)
        )),
        None => Check::fail(format!(
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
        }
    }

    fn action(name: &str, status: ActionStatus, token: Option<&str>) -> ActionState {
        ActionState {
            name: name.into(),
            execution: Some(ActionExecution {
                status,
                token: token.map(ApprovalToken::new),
                summary: None,
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
                status: "InProgress".into(),
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

    fn decide_for(pipeline: &str, stage_name: &str, state: &PipelineSnapshot) -> Decision {
        let policy = Policy::from_json(POLICY).unwrap();
        decide(&policy, &request(pipeline, stage_name), state, now())
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
        let decision = decide(&policy, &request, &state, now());
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
