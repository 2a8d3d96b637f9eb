//! The flow for one invocation: every SNS record is parsed, checked against the live
//! pipeline state, decided, answered, told and logged.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use tokio::time::Instant;

use crate::decision::{Decision, Verdict, decide};
use crate::error::GateError;
use crate::notice::{self, ApprovalRequest};
use crate::pipeline::{
    AnswerError, ApprovalAnswer, DecisionTopic, PipelineSnapshot, Pipelines, ReadError, Staleness,
};
use crate::policy::Policy;
use crate::report::{Answer, Outcome, Report};

/// How the gate behaves, beyond the policy.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Decide, log and tell, but never call PutApprovalResult.
    pub dry_run: bool,
    /// When set, records from any other topic are refused.
    pub allowed_topics: Option<Vec<String>>,
    /// How long to keep re-reading the state while it does not show the notice's token yet.
    pub token_wait: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dry_run: false,
            allowed_topics: None,
            token_wait: Duration::from_secs(10),
        }
    }
}

/// The handler's answer to an invocation: one report a record.
#[derive(Debug, Serialize)]
pub struct Response {
    pub records: Vec<Report>,
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
    Live(PipelineSnapshot),
    Stale(String),
}

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
        let Some(records) = event.get("Records").and_then(serde_json::Value::as_array) else {
            let report = Report::dropped(
                None,
                "the event is not an SNS event (no \"Records\" list)".into(),
                self.settings.dry_run,
            );
            report.log();
            return Ok(Response {
                records: vec![report],
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
            None => Ok(Response { records: reports }),
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
            Err(error) => return Ok(Report::dropped(message_id, error.to_string(), dry_run)),
        };
        if (self.clock)() >= request.expires {
            let reason = format!("the approval expired at {}", request.expires);
            return Ok(Report {
                outcome: Outcome::Dropped,
                ..Report::about(
                    message_id,
                    &request,
                    Outcome::Dropped,
                    vec![reason],
                    dry_run,
                )
            });
        }

        let snapshot = match self.live_state(&request).await? {
            Liveness::Live(snapshot) => snapshot,
            Liveness::Stale(reason) => {
                return Ok(Report::about(
                    message_id,
                    &request,
                    Outcome::Stale,
                    vec![reason],
                    dry_run,
                ));
            }
        };
        let execution_id = snapshot
            .approval(&request.target)
            .ok()
            .and_then(|approval| approval.execution_id().map(str::to_owned));
        let decision = decide(&self.policy, &request, &snapshot, (self.clock)());
        let answer = self.answer(&request, &decision).await?;
        Ok(Report::decided(
            message_id,
            &request,
            execution_id,
            decision,
            answer,
            dry_run,
        ))
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
            let staleness = match snapshot
                .approval(&request.target)
                .and_then(|approval| approval.check_live(&request.token))
            {
                Ok(()) => return Ok(Liveness::Live(snapshot)),
                Err(staleness) => staleness,
            };
            if !staleness.may_resolve() || Instant::now() + pause > deadline {
                return Ok(Liveness::Stale(stale_reason(&staleness)));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn answer(
        &self,
        request: &ApprovalRequest,
        decision: &Decision,
    ) -> Result<Answer, GateError> {
        let approve = match decision.verdict {
            Verdict::Approve => true,
            Verdict::Reject => false,
            Verdict::Abstain => return Ok(Answer::None),
        };
        if self.settings.dry_run {
            return Ok(Answer::DryRun);
        }
        let answer = ApprovalAnswer {
            target: request.target.clone(),
            token: request.token.clone(),
            approve,
            summary: decision.summary(),
        };
        match self.pipelines.answer(&answer).await {
            Ok(()) => Ok(Answer::Sent),
            Err(AnswerError::AlreadyAnswered(reason)) => {
                tracing::info!(target_approval = %request.target, reason, "approval already answered");
                Ok(Answer::AlreadyAnswered)
            }
            Err(AnswerError::Refused(reason)) => {
                tracing::warn!(target_approval = %request.target, reason, "CodePipeline refused the answer");
                Ok(Answer::Refused)
            }
            Err(error) => Err(GateError::AnswerFailed {
                target: request.target.to_string(),
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
}

fn stale_reason(staleness: &Staleness) -> String {
    format!("the notice's token is not the live one: {staleness}")
}
