//! Explaining, never answering: what the gate would decide about the approvals waiting in a
//! pipeline, found as the sweep finds them (in the state, or in a PARALLEL pipeline's
//! action executions), through the reads and the decision the handler itself uses
//! ([`Gate::assess`]), with every check of the matched rule. `approval-gate-cli explain`
//! runs this. Like the sweep, it has no notice, so `customData` claims play no part.

use jiff::Timestamp;

use super::{Case, Declarations, Gate, Ports};
use crate::check::Check;
use crate::check_function::FunctionAnswer;
use crate::decision::{self, Decision, Evidence};
use crate::error::GateError;
use crate::notice::ApprovalTarget;
use crate::pipeline::{PipelineSnapshot, Pipelines};

/// What the gate would do about one approval.
#[derive(Debug)]
pub enum Explained {
    /// The approval waits, and this is what the gate would decide.
    Decided(Box<Explanation>),
    /// The approval asked about is not waiting, so the gate would answer nothing.
    NotWaiting {
        target: ApprovalTarget,
        reason: String,
    },
}

/// The decision about one waiting approval, and everything it rests on.
#[derive(Debug)]
pub struct Explanation {
    pub target: ApprovalTarget,
    /// The pipeline execution the approval waits in.
    pub execution: String,
    /// When the approval started waiting, if the state says.
    pub since: Option<Timestamp>,
    /// The trusted expiry, when the matched rule needed it and it is known.
    pub expiry: Option<Timestamp>,
    /// The moment decided at.
    pub at: Timestamp,
    pub decision: Decision,
    /// Every check of the matched rule at `at`, passed or failed; empty when no rule
    /// matches or the rule has no checks.
    pub checks: Vec<Check>,
    /// The matched rule's check function and what it answered; `None` when the rule has
    /// none (or no rule matches).
    pub function: Option<FunctionOutcome>,
}

/// A rule's check function, and its answer as the decision read it.
#[derive(Debug)]
pub struct FunctionOutcome {
    pub arn: String,
    /// [`FunctionAnswer::NotAsked`] when another check already fails.
    pub answer: FunctionAnswer,
}

impl<E: Ports> Gate<E> {
    /// What the gate would decide at `at` about every approval waiting in `pipeline`, or
    /// only about the one at `stage`/`action`. Nothing is answered: this never reaches
    /// [`Pipelines::answer`]. An empty list means no approval is waiting.
    pub async fn explain(
        &self,
        pipeline: &str,
        only: Option<(&str, &str)>,
        at: Timestamp,
    ) -> Result<Vec<Explained>, GateError> {
        let snapshot =
            self.pipelines
                .state(pipeline)
                .await
                .map_err(|source| GateError::ReadFailed {
                    pipeline: pipeline.to_owned(),
                    source,
                })?;
        let declarations = Declarations::default();
        let waiting: Vec<_> = self
            .waiting_in(pipeline, &snapshot, None, &declarations)
            .await?
            .into_iter()
            .filter(|(target, _)| {
                only.is_none_or(|(stage, action)| target.stage == stage && target.action == action)
            })
            .collect();
        if let (Some((stage, action)), true) = (only, waiting.is_empty()) {
            let target = ApprovalTarget {
                pipeline: snapshot.name.clone(),
                stage: stage.to_owned(),
                action: action.to_owned(),
            };
            let reason = not_waiting(&snapshot, &target);
            return Ok(vec![Explained::NotWaiting { target, reason }]);
        }
        let mut explained = Vec::with_capacity(waiting.len());
        for (target, proven) in waiting {
            let approval = match proven {
                Ok(approval) => approval,
                Err(staleness) => {
                    explained.push(Explained::NotWaiting {
                        target,
                        reason: staleness.to_string(),
                    });
                    continue;
                }
            };
            let rule = self.policy.rule_for(approval.target());
            let case = Case::found(approval, rule, &snapshot, self.sweep_every());
            let assessment = self.assess(&case, &declarations, || at).await?;
            let approval = &case.approval;
            // The token is a capability: what is shown redacts it, as every reason the
            // decision gives does.
            let token = approval.token().expose();
            let checks = match case.rule {
                Some(rule) => {
                    let evidence = Evidence {
                        approval,
                        execution: &assessment.facts,
                        heads: &assessment.heads,
                        expiry: assessment.expiry,
                        conditions: &assessment.conditions,
                        function: &assessment.function,
                    };
                    decision::checks(rule, &evidence, assessment.now, case.revisit)
                        .into_iter()
                        .map(|check| Check {
                            reason: crate::names::redact(&check.reason, token),
                            ..check
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            let function = case
                .rule
                .and_then(|rule| rule.function.as_ref())
                .map(|function| FunctionOutcome {
                    arn: function.arn.clone(),
                    // Read with the token redacted from its texts already.
                    answer: assessment.function.clone(),
                });
            explained.push(Explained::Decided(Box::new(Explanation {
                target: approval.target().clone(),
                execution: approval.execution().as_str().to_owned(),
                since: approval.since(),
                expiry: assessment.expiry.map(|expiry| expiry.at()),
                at: assessment.now,
                decision: assessment.decision,
                checks,
                function,
            })));
        }
        Ok(explained)
    }
}

/// Why the approval at `target` is not waiting, in the words of the state.
fn not_waiting(snapshot: &PipelineSnapshot, target: &ApprovalTarget) -> String {
    match snapshot.approval(target) {
        Err(staleness) => staleness.to_string(),
        Ok(state) => match &state.action.execution {
            None => "the approval action has not run".into(),
            Some(execution) if execution.token.is_none() => {
                "the action holds no approval token (it is not a waiting Manual approval)".into()
            }
            Some(execution) => format!(
                "the approval is not waiting: its latest run is {:?}",
                execution.status
            ),
        },
    }
}
