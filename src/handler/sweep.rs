//! The scheduled sweep: every approval waiting on the pipelines the policy covers is decided
//! as if its notice had just arrived, so deferred approvals are answered when their window
//! opens and lost notices are caught.

use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::{Interval, MissedTickBehavior};

use super::{Case, Declarations, Gate, Response};
use crate::conditions::{Alarms, Calendars};
use crate::error::GateError;
use crate::evidence::LiveApproval;
use crate::notice;
use crate::pipeline::{Pipelines, ReadError};
use crate::report::{Answer, DecisionTopic, Report};

/// What a sweep saw.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub pipelines: usize,
    /// Approvals waiting that a rule matches.
    pub pending: usize,
    pub answered: usize,
    /// Pipelines or approvals that could not be handled this time (they are tried again
    /// by the next sweep).
    pub failures: Vec<String>,
}

impl<P: Pipelines, T: DecisionTopic, A: Alarms, K: Calendars> Gate<P, T, A, K> {
    /// Decides every approval waiting on the pipelines the policy covers. One failing
    /// pipeline does not stop the others; what failed is logged and tried again next time.
    pub(crate) async fn sweep(&self) -> Result<Response, GateError> {
        let (pipelines, listing_failure) = match self.covered_pipelines().await {
            Ok(pipelines) => (pipelines, None),
            Err(error) => {
                // The exact names can still be swept; the next sweep lists again.
                tracing::error!(error = %error, "sweep could not list the pipelines");
                (
                    self.policy.named_pipelines().exact,
                    Some(format!("ListPipelines: {error}")),
                )
            }
        };
        let mut pacer = tokio::time::interval(self.settings.sweep_read_interval);
        pacer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let pacer = Mutex::new(pacer);
        let pacer = &pacer;
        let declarations = Declarations::default();
        let declarations = &declarations;
        // Owned names, so that the futures borrow nothing from the stream's items (which
        // keeps them `Send` for the runtime).
        let swept: Vec<Swept> = futures_util::stream::iter(pipelines.clone())
            .map(
                |pipeline| async move { self.sweep_pipeline(&pipeline, pacer, declarations).await },
            )
            .buffer_unordered(self.settings.sweep_concurrency.max(1))
            .collect()
            .await;

        let mut summary = SweepSummary {
            pipelines: pipelines.len(),
            failures: listing_failure.into_iter().collect(),
            ..SweepSummary::default()
        };
        let mut records = Vec::new();
        for pipeline in swept {
            summary.pending += pipeline.pending;
            summary.failures.extend(pipeline.failures);
            records.extend(pipeline.answered);
        }
        summary.answered = records.len();
        tracing::info!(
            target: crate::logging::AUDIT,
            pipelines = summary.pipelines,
            pending = summary.pending,
            answered = summary.answered,
            failed = summary.failures.len(),
            dry_run = self.settings.dry_run,
            "sweep"
        );
        Ok(Response {
            records,
            sweep: Some(summary),
        })
    }

    /// The exact pipeline names in the policy, and every listed pipeline a wildcard covers.
    async fn covered_pipelines(&self) -> Result<Vec<String>, ReadError> {
        let named = self.policy.named_pipelines();
        let (mut names, wildcard) = (named.exact, named.listing_needed);
        if wildcard {
            let listed = self.pipelines.list_pipelines().await?;
            names.extend(listed.into_iter().filter(|name| self.policy.covers(name)));
            names.sort();
            names.dedup();
        }
        Ok(names)
    }

    async fn sweep_pipeline(
        &self,
        pipeline: &str,
        pacer: &Mutex<Interval>,
        declarations: &Declarations,
    ) -> Swept {
        let mut swept = Swept::default();
        pacer.lock().await.tick().await;
        let snapshot = match self.pipelines.state(pipeline).await {
            Ok(snapshot) => snapshot,
            Err(ReadError::Final(reason)) => {
                tracing::debug!(pipeline, reason, "sweep skips the pipeline");
                return swept;
            }
            Err(error) => {
                tracing::error!(pipeline, error = %error, "sweep could not read the pipeline; the next sweep tries again");
                swept.failures.push(format!("{pipeline}: {error}"));
                return swept;
            }
        };
        for pending in snapshot.pending_approvals() {
            if self.policy.rule_for(&pending.target).is_none() {
                continue;
            }
            swept.pending += 1;
            // Abstain is stable: whether the rule left the approval to a human when it
            // started waiting is judged at that moment, which the state must show.
            if pending.since.is_none() {
                tracing::warn!(approval = %pending.target, "sweep leaves the approval: the state does not say when it started waiting");
                continue;
            }
            let approval = match LiveApproval::prove(&snapshot, &pending.target, &pending.token) {
                Ok(approval) => approval,
                Err(staleness) => {
                    tracing::debug!(approval = %pending.target, reason = %staleness, "sweep leaves the approval");
                    continue;
                }
            };
            let case = Case {
                message_id: None,
                approval,
                snapshot: &snapshot,
                claims: None,
                console_link: self
                    .settings
                    .region
                    .as_deref()
                    .map(|region| notice::console_link(region, pipeline)),
            };
            match self.decide_and_answer(case, declarations).await {
                // Only answers are told: an approval still waiting would otherwise be
                // announced again at every sweep.
                Ok(report)
                    if matches!(
                        report.answer,
                        Answer::Sent | Answer::AlreadyAnswered | Answer::Refused
                    ) =>
                {
                    report.log();
                    self.tell(&report).await;
                    swept.answered.push(report);
                }
                Ok(report) if report.answer == Answer::DryRun => report.log(),
                Ok(report) => tracing::debug!(
                    approval = %pending.target,
                    verdict = report.outcome.as_str(),
                    reasons = %report.reasons.join("; "),
                    "sweep leaves the approval waiting"
                ),
                Err(error) => {
                    // The source names what failed; the error's own words speak of a Lambda
                    // retry, which the sweep leaves to its next run instead.
                    let cause = std::error::Error::source(&error)
                        .map_or_else(|| error.to_string(), ToString::to_string);
                    tracing::error!(approval = %pending.target, error = %cause, "sweep could not decide the approval; the next sweep tries again");
                    swept.failures.push(format!("{}: {cause}", pending.target));
                }
            }
        }
        swept
    }
}

#[derive(Default)]
struct Swept {
    pending: usize,
    answered: Vec<Report>,
    failures: Vec<String>,
}

/// EventBridge's scheduled events (rules and EventBridge Scheduler).
pub(crate) fn is_scheduled(event: &serde_json::Value) -> bool {
    event.get("detail-type").and_then(serde_json::Value::as_str) == Some("Scheduled Event")
        && matches!(
            event.get("source").and_then(serde_json::Value::as_str),
            Some("aws.events" | "aws.scheduler")
        )
}
