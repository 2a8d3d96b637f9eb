//! The flow for one invocation. An SNS event: every record is parsed, checked against the
//! live pipeline state, decided, answered, told and logged. A scheduled event: the sweep
//! finds every approval waiting on the pipelines the policy covers and decides each as if
//! its notice had just arrived, so deferred approvals are answered when their window opens
//! and lost notices are caught.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::{Instant, Interval, MissedTickBehavior};

pub use crate::config::Settings;
use crate::decision::{Decision, Evidence, Verdict, claims_veto, decide};
use crate::error::GateError;
use crate::evidence::{ExecutionFacts, LiveApproval, SourceHead};
use crate::notice::{self, ApprovalRequest, Claims};
use crate::pipeline::{
    AnswerError, ApprovalAnswer, ApprovalStatus, Declaration, PipelineSnapshot, Pipelines,
    ReadError, Staleness,
};
use crate::policy::windows::Outside;
use crate::policy::{Policy, Rule};
use crate::report::{Answer, DecisionTopic, Outcome, Report};

/// The handler's answer to an invocation.
#[derive(Debug, Default, Serialize)]
pub struct Response {
    /// One report a record; for a sweep, one report an answered approval.
    pub records: Vec<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSummary>,
}

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

pub struct Gate<P, T> {
    policy: Policy,
    settings: Settings,
    pipelines: P,
    decisions: Option<T>,
    clock: fn() -> Timestamp,
}

/// What the live state says about a notice.
enum Liveness {
    Live(PipelineSnapshot, LiveApproval),
    Stale(String),
}

/// One approval to decide, proven live, and what is known about it beyond the state.
struct Case<'a> {
    message_id: Option<String>,
    approval: LiveApproval,
    snapshot: &'a PipelineSnapshot,
    /// The notice's `customData` claims; the sweep has none.
    claims: Option<Claims>,
    console_link: Option<String>,
}

/// The approval actions' declared timeouts, read once per pipeline and invocation:
/// `None` when the declaration could not be read for good (then no expiry is known).
type Declarations = Mutex<HashMap<String, Option<Declaration>>>;

impl<P: Pipelines, T: DecisionTopic> Gate<P, T> {
    pub fn new(policy: Policy, settings: Settings, pipelines: P, decisions: Option<T>) -> Self {
        Self {
            policy,
            settings,
            pipelines,
            decisions,
            clock: Timestamp::now,
        }
    }

    /// Replaces the clock, so tests can decide "at" any moment.
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// Handles one invocation. Returns an error only when a retry may succeed; every
    /// record is still handled first, so one failing record does not hide the others.
    pub async fn handle(&self, event: &serde_json::Value) -> Result<Response, GateError> {
        if self.settings.off {
            let report = Report::dropped(
                None,
                "approval-gate is switched off (GATE_MODE=off): nothing was read or answered"
                    .into(),
                self.settings.dry_run,
            );
            report.log();
            return Ok(Response {
                records: vec![report],
                sweep: None,
            });
        }
        if is_scheduled(event) {
            return self.sweep().await;
        }
        let Some(records) = event.get("Records").and_then(serde_json::Value::as_array) else {
            let report = Report::dropped(
                None,
                "the event is neither an SNS event (no \"Records\" list) nor a scheduled event"
                    .into(),
                self.settings.dry_run,
            );
            report.log();
            return Ok(Response {
                records: vec![report],
                sweep: None,
            });
        };
        let mut reports = Vec::with_capacity(records.len());
        let mut first_error = None;
        for record in records {
            match self.handle_record(record).await {
                Ok(report) => {
                    report.log();
                    self.tell(&report).await;
                    reports.push(report);
                }
                Err(error) => {
                    tracing::error!(error = %error, error_type = error.error_type(), "record will be retried");
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(Response {
                records: reports,
                sweep: None,
            }),
        }
    }

    async fn handle_record(&self, record: &serde_json::Value) -> Result<Report, GateError> {
        let dry_run = self.settings.dry_run;
        let message_id = record
            .pointer("/Sns/MessageId")
            .and_then(serde_json::Value::as_str)
            .map(|id| crate::names::printable(id, 100));
        let request = match notice::sns_record(record)
            .and_then(|sns| {
                notice::check_topic(&sns, self.settings.allowed_topics.as_deref())?;
                Ok(sns)
            })
            .and_then(|sns| notice::parse_notice(&sns.sns.message))
        {
            Ok(request) => request,
            Err(error) => {
                // Anyone who can publish chooses the message id too: it never carries a
                // token, even that of a notice refused as malformed.
                let token = record
                    .pointer("/Sns/Message")
                    .and_then(serde_json::Value::as_str)
                    .and_then(notice::token_in);
                let message_id = match token {
                    Some(token) => message_id.map(|id| crate::names::redact(&id, &token)),
                    None => message_id,
                };
                return Ok(Report::dropped(message_id, error.to_string(), dry_run));
            }
        };
        let message_id = message_id.map(|id| crate::names::redact(&id, request.token.expose()));
        if (self.clock)() >= request.expires {
            let reason = format!("the approval expired at {}", request.expires);
            return Ok(Report::about(
                message_id,
                &request,
                Outcome::Dropped,
                vec![reason],
                dry_run,
            ));
        }
        match self.live_state(&request).await? {
            Liveness::Live(snapshot, approval) => {
                let case = Case {
                    message_id,
                    approval,
                    snapshot: &snapshot,
                    claims: Some(request.claims()),
                    console_link: request.console_link.clone(),
                };
                self.decide_and_answer(case, &Declarations::default()).await
            }
            Liveness::Stale(reason) => Ok(Report::about(
                message_id,
                &request,
                Outcome::Stale,
                vec![reason],
                dry_run,
            )),
        }
    }

    /// Reads the pipeline until it shows the notice's token waiting, or until the wait is
    /// over: the notice can arrive before the state shows its token.
    async fn live_state(&self, request: &ApprovalRequest) -> Result<Liveness, GateError> {
        let deadline = Instant::now() + self.settings.token_wait;
        let mut pause = Duration::from_millis(250);
        loop {
            let snapshot = match self.pipelines.state(&request.target.pipeline).await {
                Ok(snapshot) => snapshot,
                Err(ReadError::Final(reason)) => return Ok(Liveness::Stale(reason)),
                Err(error) => {
                    return Err(GateError::ReadFailed {
                        pipeline: request.target.pipeline.clone(),
                        source: error,
                    });
                }
            };
            let staleness = match LiveApproval::prove(&snapshot, &request.target, &request.token) {
                Ok(approval) => return Ok(Liveness::Live(snapshot, approval)),
                Err(staleness) => staleness,
            };
            if !staleness.may_resolve() || Instant::now() + pause > deadline {
                return Ok(Liveness::Stale(stale_reason(&staleness)));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Gathers what the matched rule needs, decides and answers.
    async fn decide_and_answer(
        &self,
        case: Case<'_>,
        declarations: &Declarations,
    ) -> Result<Report, GateError> {
        let approval = &case.approval;
        let target = approval.target();
        let rule = self.policy.rule_for(target);
        let (facts, declaration) = match rule {
            Some(rule) => {
                self.read_evidence(rule, approval, case.claims.as_ref(), declarations)
                    .await?
            }
            None => (ExecutionFacts::of(approval), None),
        };
        let heads = SourceHead::of(case.snapshot);
        let evidence = Evidence {
            approval,
            execution: &facts,
            heads: &heads,
            expiry: approval.expiry(declaration.as_ref()),
        };
        let now = (self.clock)();
        // Claims only matter where a rule would decide: without one, nothing is answered.
        let veto = rule.zip(case.claims.as_ref()).and_then(|(rule, claims)| {
            claims_veto(claims, &facts).map(|reason| Decision::vetoed(rule, reason))
        });
        let decision =
            veto.unwrap_or_else(|| decide(&self.policy, &evidence, now, self.sweep_every()));
        let answer = self.answer(approval, &decision).await?;
        Ok(Report::decided(
            case.message_id,
            target,
            case.console_link,
            approval.execution().as_str().to_owned(),
            decision,
            answer,
            self.settings.dry_run,
        ))
    }

    fn sweep_every(&self) -> SignedDuration {
        SignedDuration::try_from(self.settings.sweep_every).unwrap_or(SignedDuration::MAX)
    }

    /// Reads what the matched rule (and the notice's claims) need, with the independent
    /// calls made at once: the execution, its action attempts, and the declared timeout of
    /// the approval when the rule may defer. What cannot be read for good stays unknown,
    /// which fails the checks that needed it; transient failures fail the invocation.
    async fn read_evidence(
        &self,
        rule: &Rule,
        approval: &LiveApproval,
        claims: Option<&Claims>,
        declarations: &Declarations,
    ) -> Result<(ExecutionFacts, Option<Declaration>), GateError> {
        let needs = rule
            .revisions
            .as_ref()
            .map(|revisions| revisions.needs())
            .unwrap_or_default();
        let needs_execution =
            needs.execution || claims.is_some_and(|claims| claims.commit_id.is_some());
        let needs_actions = needs.action_executions || !rule.require_succeeded.is_empty();
        let needs_declaration = rule
            .windows
            .as_ref()
            .is_some_and(|windows| windows.outside() == Outside::Defer);
        let pipeline = approval.target().pipeline.as_str();
        let execution_id = approval.execution().as_str();
        let (execution, actions, declaration) = tokio::join!(
            async {
                if needs_execution {
                    Some(self.pipelines.execution(pipeline, execution_id).await)
                } else {
                    None
                }
            },
            async {
                if needs_actions {
                    Some(self.pipelines.action_records(pipeline, execution_id).await)
                } else {
                    None
                }
            },
            async {
                if needs_declaration {
                    self.declaration(pipeline, declarations).await.map(Some)
                } else {
                    Ok(None)
                }
            },
        );
        let mut facts = ExecutionFacts::of(approval);
        if let Some(record) = settle(pipeline, execution)? {
            facts = facts.with_execution(record);
        }
        if let Some(records) = settle(pipeline, actions)? {
            facts = facts.with_actions(records);
        }
        Ok((facts, declaration?.flatten()))
    }

    /// The pipeline's declaration, read at most once per invocation.
    async fn declaration(
        &self,
        pipeline: &str,
        declarations: &Declarations,
    ) -> Result<Option<Declaration>, GateError> {
        let mut cache = declarations.lock().await;
        if let Some(known) = cache.get(pipeline) {
            return Ok(known.clone());
        }
        let read = match self.pipelines.declaration(pipeline).await {
            Ok(declaration) => Some(declaration),
            Err(ReadError::Final(reason)) => {
                tracing::warn!(
                    pipeline,
                    reason,
                    "the pipeline's declaration could not be read; its approvals' expiry is unknown, so none is rejected for expiry"
                );
                None
            }
            Err(error) => {
                return Err(GateError::ReadFailed {
                    pipeline: pipeline.to_owned(),
                    source: error,
                });
            }
        };
        cache.insert(pipeline.to_owned(), read.clone());
        Ok(read)
    }

    async fn answer(
        &self,
        approval: &LiveApproval,
        decision: &Decision,
    ) -> Result<Answer, GateError> {
        let status = match decision.verdict {
            Verdict::Approve => ApprovalStatus::Approved,
            Verdict::Reject => ApprovalStatus::Rejected,
            Verdict::Abstain | Verdict::Defer => return Ok(Answer::None),
        };
        if self.settings.dry_run {
            return Ok(Answer::DryRun);
        }
        let target = approval.target();
        let answer = ApprovalAnswer {
            target: target.clone(),
            token: approval.token().clone(),
            status,
            summary: decision.summary(),
        };
        match self.pipelines.answer(&answer).await {
            Ok(()) => Ok(Answer::Sent),
            Err(AnswerError::AlreadyAnswered(reason)) => {
                tracing::info!(approval = %target, reason, "approval already answered");
                Ok(Answer::AlreadyAnswered)
            }
            Err(AnswerError::Refused(reason)) => {
                tracing::warn!(approval = %target, reason, "CodePipeline refused the answer");
                Ok(Answer::Refused)
            }
            Err(error) => Err(GateError::AnswerFailed {
                target: target.to_string(),
                source: error,
            }),
        }
    }

    /// Tells the decision topic. A failure is logged and changes nothing.
    async fn tell(&self, report: &Report) {
        let (Some(topic), Some(notice)) = (&self.decisions, report.notice()) else {
            return;
        };
        if let Err(error) = topic.publish(&notice).await {
            tracing::warn!(error = %error, verdict = notice.verdict, pipeline = notice.pipeline, "decision notice not published; the decision stands");
        }
    }

    /// Decides every approval waiting on the pipelines the policy covers. One failing
    /// pipeline does not stop the others; what failed is logged and tried again next time.
    async fn sweep(&self) -> Result<Response, GateError> {
        let (pipelines, listing_failure) = match self.covered_pipelines().await {
            Ok(pipelines) => (pipelines, None),
            Err(error) => {
                // The exact names can still be swept; the next sweep lists again.
                tracing::error!(error = %error, "sweep could not list the pipelines");
                (
                    self.policy.named_pipelines().0,
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
        let (mut names, wildcard) = self.policy.named_pipelines();
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
fn is_scheduled(event: &serde_json::Value) -> bool {
    event.get("detail-type").and_then(serde_json::Value::as_str) == Some("Scheduled Event")
        && matches!(
            event.get("source").and_then(serde_json::Value::as_str),
            Some("aws.events" | "aws.scheduler")
        )
}

/// A read that was needed: transient failures fail the invocation; final ones leave the
/// fact unknown (so the checks that needed it fail).
fn settle<V>(pipeline: &str, read: Option<Result<V, ReadError>>) -> Result<Option<V>, GateError> {
    match read {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(ReadError::Final(reason))) => {
            tracing::warn!(
                pipeline,
                reason,
                "revisions could not be read; the checks that need them fail"
            );
            Ok(None)
        }
        Some(Err(error)) => Err(GateError::ReadFailed {
            pipeline: pipeline.to_owned(),
            source: error,
        }),
    }
}

fn stale_reason(staleness: &Staleness) -> String {
    format!("the notice's token is not the live one: {staleness}")
}
