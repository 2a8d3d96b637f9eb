//! The flow for one invocation. An SNS event: every record is parsed, checked against the
//! live pipeline state, decided, answered, told and logged; CodePipeline's EventBridge event
//! for an approval that started is decided the same way ([`select`]). A scheduled event:
//! the sweep finds every approval waiting on the pipelines the policy covers and decides each
//! as if its notice had just arrived, so deferred approvals are answered when their window
//! opens and lost notices are caught; an alarm back to OK or a Change Calendar that opened
//! runs the sweep on the pipelines of the rules that watch it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::check_function::{self, CheckFunctions, FunctionAnswer, InvokeError};
use crate::conditions::{Alarms, Calendars, Conditions, Unavailable};
pub use crate::config::Settings;
use crate::decision::{Decision, Evidence, Verdict, asks_function, claims_veto, decide_by};
use crate::error::GateError;
use crate::events;
use crate::evidence::{ExecutionFacts, Expiry, LiveApproval, SourceHead};
use crate::live_policy::InForce;
use crate::notice::Claims;
use crate::pipeline::{
    AnswerError, ApprovalAnswer, ApprovalStatus, Declaration, PipelineSnapshot, Pipelines,
};
use crate::policy::function::CheckFunction;
use crate::policy::{Policy, Rule};
use crate::report::{Answer, DecisionTopic, Report};
use crate::wakeups::{ScheduleError, Scheduled, WakeUp, Wakeups};
pub use bulkhead::{Breach, isolate, isolate_or_fail, log_panics};
pub use explain::{Explained, Explanation, FunctionOutcome};
pub use ports::{Adapters, Ports, WithConditions, WithFunctions, WithWakeups};
pub use sweep::SweepSummary;
use sweep::{Scope, Watched, is_scheduled};

mod bulkhead;
mod explain;
mod parallel;
mod ports;
mod reads;
mod select;
mod sweep;

/// The longest a deferral waits for its wake-up to be scheduled: past it, the deferral
/// stands and the sweep decides it again. It bounds what a slow Scheduler adds to an
/// invocation, a sweep's included (its approvals schedule outside their read budget).
const SCHEDULE_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// What an invocation keeps, after a check function answers, to decide again, answer,
/// publish and schedule: a function is not asked with less of the invocation left.
const ANSWER_TIME: std::time::Duration = std::time::Duration::from_secs(20);

/// The handler's answer to an invocation.
#[derive(Debug, Default, Serialize)]
pub struct Response {
    /// One report a record; for a sweep, one report an answered approval.
    pub records: Vec<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSummary>,
}

/// The gate over its [`Ports`]: CodePipeline, the decision topic, and CloudWatch alarms and
/// Change Calendars, which only rules with `alarms` or `change_calendars` read; without
/// them ([`Gate::with_conditions`]) such checks fail.
pub struct Gate<E: Ports> {
    pub(crate) policy: Arc<Policy>,
    /// Set when the policy from a live source may not be used (its newest version is
    /// invalid, or it could not be refreshed for too long): then `policy` has no rules, and
    /// every approval is left to a human with this reason.
    policy_unusable: Option<String>,
    pub(crate) settings: Settings,
    pub(crate) pipelines: E::Pipelines,
    decisions: Option<E::Topic>,
    alarms: E::Alarms,
    calendars: E::Calendars,
    wakeups: E::Wakeups,
    functions: E::Functions,
    clock: fn() -> Timestamp,
    /// State reads repeated while the state did not show a notice's token yet, since the
    /// last [`Gate::take_read_retries`].
    read_retries: AtomicUsize,
    /// Set when scheduling a wake-up failed in this invocation: the others are not tried
    /// (a slow or refusing Scheduler would cost every deferral of a sweep its time).
    scheduler_failed: AtomicBool,
    /// The current invocation's deadline, when it is ahead: a check function is asked only
    /// with the time left to answer after it.
    deadline: std::sync::Mutex<Option<SystemTime>>,
}

/// One approval to decide, proven live, and what is known about it beyond the state.
pub(crate) struct Case<'a> {
    pub(crate) message_id: Option<String>,
    pub(crate) approval: LiveApproval,
    /// The rule whose `match` fits the approval's target, resolved once
    /// ([`Policy::rule_for`]); `None`: no rule matches, nothing is answered.
    pub(crate) rule: Option<&'a Rule>,
    pub(crate) snapshot: &'a PipelineSnapshot,
    /// The notice's `customData` claims; the sweep has none.
    pub(crate) claims: Option<Claims>,
    pub(crate) console_link: Option<String>,
    /// The longest the sweep may take to read this approval's pipeline again: its period,
    /// times the sweeps in its rotation's round when it reads pipelines in turn. A deferral
    /// is kept only if a read is sure to come while the approval may be approved.
    pub(crate) revisit: SignedDuration,
    /// The minute of the wake-up that selected the approval, if one did.
    pub(crate) woken_for: Option<Timestamp>,
}

impl<'a> Case<'a> {
    /// An approval found waiting in the state, without a notice: no message id, no claims.
    pub(crate) fn found(
        approval: LiveApproval,
        rule: Option<&'a Rule>,
        snapshot: &'a PipelineSnapshot,
        revisit: SignedDuration,
    ) -> Self {
        Self {
            message_id: None,
            approval,
            rule,
            snapshot,
            claims: None,
            console_link: None,
            revisit,
            woken_for: None,
        }
    }
}

/// What the gate read about one approval and decided at `now`, before any answer.
pub(crate) struct Assessment {
    pub(crate) decision: Decision,
    pub(crate) facts: ExecutionFacts,
    pub(crate) heads: Vec<SourceHead>,
    pub(crate) expiry: Option<Expiry>,
    pub(crate) conditions: Conditions,
    /// What the rule's check function answered, if it was asked.
    pub(crate) function: FunctionAnswer,
    pub(crate) now: Timestamp,
}

/// The approval actions' declared timeouts, read once per pipeline and invocation:
/// `None` when the declaration could not be read for good (then no expiry is known).
pub(crate) type Declarations = Mutex<HashMap<String, Option<Declaration>>>;

impl<P: Pipelines, T: DecisionTopic> Gate<Adapters<P, T>> {
    pub fn new(policy: Policy, settings: Settings, pipelines: P, decisions: Option<T>) -> Self {
        Self {
            policy: Arc::new(policy),
            policy_unusable: None,
            settings,
            pipelines,
            decisions,
            alarms: Unavailable,
            calendars: Unavailable,
            wakeups: Unavailable,
            functions: Unavailable,
            clock: Timestamp::now,
            read_retries: AtomicUsize::new(0),
            scheduler_failed: AtomicBool::new(false),
            deadline: std::sync::Mutex::new(None),
        }
    }
}

impl<E: Ports> Gate<E> {
    /// The same gate, reading alarms and Change Calendars through these ports.
    pub fn with_conditions<A2: Alarms, K2: Calendars>(
        self,
        alarms: A2,
        calendars: K2,
    ) -> Gate<WithConditions<E, A2, K2>> {
        Gate {
            policy: self.policy,
            policy_unusable: self.policy_unusable,
            settings: self.settings,
            pipelines: self.pipelines,
            decisions: self.decisions,
            alarms,
            calendars,
            wakeups: self.wakeups,
            functions: self.functions,
            clock: self.clock,
            read_retries: self.read_retries,
            scheduler_failed: self.scheduler_failed,
            deadline: self.deadline,
        }
    }

    /// The same gate, scheduling wake-ups for its deferrals through this port.
    pub fn with_wakeups<W2: Wakeups>(self, wakeups: W2) -> Gate<WithWakeups<E, W2>> {
        Gate {
            policy: self.policy,
            policy_unusable: self.policy_unusable,
            settings: self.settings,
            pipelines: self.pipelines,
            decisions: self.decisions,
            alarms: self.alarms,
            calendars: self.calendars,
            wakeups,
            functions: self.functions,
            clock: self.clock,
            read_retries: self.read_retries,
            scheduler_failed: self.scheduler_failed,
            deadline: self.deadline,
        }
    }

    /// The same gate, asking rules' check functions through this port.
    pub fn with_functions<F2: CheckFunctions>(self, functions: F2) -> Gate<WithFunctions<E, F2>> {
        Gate {
            policy: self.policy,
            policy_unusable: self.policy_unusable,
            settings: self.settings,
            pipelines: self.pipelines,
            decisions: self.decisions,
            alarms: self.alarms,
            calendars: self.calendars,
            wakeups: self.wakeups,
            functions,
            clock: self.clock,
            read_retries: self.read_retries,
            scheduler_failed: self.scheduler_failed,
            deadline: self.deadline,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// How many state reads were repeated since the last call, for the metrics: each
    /// invocation takes its own count.
    pub fn take_read_retries(&self) -> usize {
        self.read_retries.swap(0, Ordering::Relaxed)
    }

    /// Replaces the clock, so tests can decide "at" any moment.
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// Decides from now on by the policy a live source has in force (see
    /// [`crate::live_policy`]); when it has none, by no rule at all.
    pub fn use_policy(&mut self, in_force: InForce) {
        match in_force {
            InForce::Policy(policy) => {
                self.policy = policy;
                self.policy_unusable = None;
            }
            InForce::Unusable(reason) => {
                // No rules: whatever path reads the policy finds nothing to approve by.
                self.policy = Arc::new(Policy { rules: Vec::new() });
                self.policy_unusable = Some(reason);
            }
        }
    }

    /// Handles one invocation with no deadline (tests, local runs): a sweep reads every
    /// covered pipeline. See [`Gate::handle_until`].
    pub async fn handle(&self, event: &serde_json::Value) -> Result<Response, GateError> {
        self.handle_until(event, None).await
    }

    /// Handles one invocation that must end by `deadline` (the Lambda context's). Returns
    /// an error only when a retry may succeed; every record is still handled first, so one
    /// failing record does not hide the others. A sweep stops starting reads a margin
    /// before the deadline and returns what it did.
    pub async fn handle_until(
        &self,
        event: &serde_json::Value,
        deadline: Option<SystemTime>,
    ) -> Result<Response, GateError> {
        self.scheduler_failed.store(false, Ordering::Relaxed);
        // A deadline already past (local emulators send the time of the request) says
        // nothing about the time left.
        *self
            .deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            deadline.filter(|deadline| *deadline > SystemTime::now());
        if self.settings.off {
            return Ok(self.dropped(
                "approval-gate is switched off (GATE_MODE=off): nothing was read or answered",
            ));
        }
        let watched = events::alarm_cleared(event)
            .map(|cleared| cleared.map(|alarm| Watched::Alarm(alarm.name)))
            .or_else(|| {
                events::calendar_opened(event)
                    .map(|opened| opened.map(|calendar| Watched::Calendar(calendar.arn)))
            });
        // Every sweep, scheduled or scoped, is skipped while no policy may be used.
        if (is_scheduled(event) || watched.is_some())
            && let Some(reason) = &self.policy_unusable
        {
            tracing::error!(target: crate::logging::AUDIT, reason, "sweep skipped: no policy may be used");
            return Ok(Response {
                records: Vec::new(),
                sweep: Some(SweepSummary {
                    failures: vec![reason.clone()],
                    ..SweepSummary::default()
                }),
            });
        }
        if is_scheduled(event) {
            return self.sweep(event, deadline, Scope::Covered).await;
        }
        if let Some(watched) = watched {
            let watched = match watched {
                Ok(watched) => watched,
                Err(error) => return Ok(self.dropped(&error.to_string())),
            };
            let rules = match &watched {
                Watched::Alarm(name) => self.policy.rules_watching(name),
                Watched::Calendar(arn) => self.policy.rules_watching_calendar(arn),
            };
            if rules.is_empty() {
                return Ok(self.dropped(&format!(
                    "no rule watches {} {}, so its change decides nothing",
                    watched.kind(),
                    crate::names::printable(watched.name(), 255)
                )));
            }
            let scope = Scope::Watching {
                watched: &watched,
                rules,
            };
            return self.sweep(event, deadline, scope).await;
        }
        if let Some(started) = events::approval_started(event) {
            return self
                .handle_selecting(started.map(select::Selecting::Started))
                .await;
        }
        if let Some(woken) = events::woken_up(event) {
            return self
                .handle_selecting(woken.map(select::Selecting::WokenUp))
                .await;
        }
        let Some(records) = event.get("Records").and_then(serde_json::Value::as_array) else {
            return Ok(self.dropped(
                "the event is none the gate handles: not an SNS event (no \"Records\" list), a \
                 scheduled event, a CodePipeline approval that started, a wake-up, an alarm \
                 back to OK or a Change Calendar that opened",
            ));
        };
        let mut reports = Vec::with_capacity(records.len());
        let mut first_error = None;
        for record in records {
            // One record's panic does not stop the others; it fails the invocation, so
            // that Lambda's retries and its failed-decisions queue see it.
            let handled = bulkhead::isolate_or_fail("a notice", self.handle_record(record)).await;
            match handled {
                Ok(mut report) => {
                    report.published = record
                        .pointer("/Sns/Timestamp")
                        .and_then(serde_json::Value::as_str)
                        .and_then(|time| time.parse().ok());
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

    /// Handles one invocation whose payload is raw JSON, as the runtime hands it over: an
    /// event that is JSON but cannot be read as a value (nested deeper than 128 levels) is
    /// dropped with its reason, as any other event the gate cannot use, rather than failed.
    pub async fn handle_raw(
        &self,
        event: &serde_json::value::RawValue,
        deadline: Option<SystemTime>,
    ) -> Result<Response, GateError> {
        match serde_json::from_str::<serde_json::Value>(event.get()) {
            Ok(event) => self.handle_until(&event, deadline).await,
            Err(error) => Ok(self.dropped(&format!(
                "the event cannot be read as JSON ({}), so it is none the gate handles",
                crate::names::printable(&error.to_string(), 120)
            ))),
        }
    }

    /// The whole event dropped for `reason`, logged: nothing was read or answered.
    fn dropped(&self, reason: &str) -> Response {
        let report = self.dropped_report(reason);
        report.log();
        Response {
            records: vec![report],
            sweep: None,
        }
    }

    fn dropped_report(&self, reason: &str) -> Report {
        Report::dropped(None, reason.into(), self.settings.dry_run)
    }

    /// Gathers what the matched rule needs, decides and answers.
    pub(crate) async fn decide_and_answer(
        &self,
        case: Case<'_>,
        declarations: &Declarations,
    ) -> Result<Report, GateError> {
        let assessment = self.assess(&case, declarations, self.clock).await?;
        self.answer_assessed(case, assessment).await
    }

    /// Answers what `assessment` decided about `case`, and reports it. The sweep runs
    /// this outside an approval's time budget: once an answer may be on its way, the
    /// report of it must not be cut off (the SDK's own timeouts bound the call).
    pub(crate) async fn answer_assessed(
        &self,
        case: Case<'_>,
        assessment: Assessment,
    ) -> Result<Report, GateError> {
        let decision = assessment.decision;
        let approval = &case.approval;
        let target = approval.target();
        let answer = self.answer(approval, &decision).await?;
        let wake_up = match decision.wake_at {
            Some(wake_at) => self.wake_up(&case, wake_at, assessment.now).await,
            None => None,
        };
        let mut report = Report::decided(
            case.message_id,
            target,
            case.console_link,
            approval.execution().as_str().to_owned(),
            decision,
            answer,
            self.settings.dry_run,
        );
        if let Some((at, note)) = wake_up {
            report.wake_up = at;
            report.reasons.push(note);
        }
        Ok(report)
    }

    /// Schedules the wake-up a deferral asks for, and says what came of it: when the
    /// approval is decided again, or why only the sweep will. A failure changes nothing
    /// else: the deferral stands, and the sweep decides the approval as without wake-ups.
    async fn wake_up(
        &self,
        case: &Case<'_>,
        wake_at: Timestamp,
        now: Timestamp,
    ) -> Option<(Option<Timestamp>, String)> {
        let approval = &case.approval;
        let wake_up = WakeUp::plan(
            approval.target().clone(),
            approval.execution().as_str().to_owned(),
            wake_at,
            now,
            case.woken_for,
        );
        let when = wake_up.at.strftime("%Y-%m-%d %H:%M UTC");
        let scheduled = if self.scheduler_failed.load(Ordering::Relaxed) {
            Err(ScheduleError::Failed(
                "Scheduler failed earlier in this invocation, so it was not asked again".into(),
            ))
        } else {
            tokio::time::timeout(SCHEDULE_TIME, self.wakeups.schedule(&wake_up))
                .await
                .unwrap_or_else(|_| {
                    Err(ScheduleError::Failed(format!(
                        "Scheduler did not answer within {} s",
                        SCHEDULE_TIME.as_secs()
                    )))
                })
        };
        if matches!(scheduled, Err(ScheduleError::Failed(_))) {
            self.scheduler_failed.store(true, Ordering::Relaxed);
        }
        match scheduled {
            Ok(Scheduled::Created) => Some((
                Some(wake_up.at),
                format!("a wake-up decides it again at {when}"),
            )),
            Ok(Scheduled::AlreadyScheduled) => Some((
                Some(wake_up.at),
                format!("a wake-up decides it again at {when} (scheduled before)"),
            )),
            // Without a schedule group (local runs), the sweep is how deferrals end.
            Err(ScheduleError::Unconfigured) => None,
            Err(ScheduleError::Failed(reason)) => {
                tracing::warn!(approval = %approval.target(), schedule = wake_up.name(), reason, "no wake-up scheduled; the sweep decides the approval");
                Some((
                    None,
                    format!(
                        "no wake-up could be scheduled for {when} ({reason}), so the sweep \
                         decides it again within {} minutes",
                        case.revisit.as_mins()
                    ),
                ))
            }
        }
    }

    /// Gathers what the matched rule needs and decides, answering nothing: the decision
    /// [`Self::decide_and_answer`] acts on, and the one `approval-gate-cli explain` shows.
    /// `clock` is read as the reads begin (alarm and calendar states hold from then) and
    /// again once the evidence is in.
    pub(crate) async fn assess(
        &self,
        case: &Case<'_>,
        declarations: &Declarations,
        clock: impl Fn() -> Timestamp,
    ) -> Result<Assessment, GateError> {
        let approval = &case.approval;
        let rule = case.rule;
        let (facts, declaration, conditions) = match rule {
            Some(rule) => {
                self.read_evidence(rule, approval, case.claims.as_ref(), declarations, clock())
                    .await?
            }
            None => (ExecutionFacts::of(approval), None, Conditions::none()),
        };
        let heads = SourceHead::of(case.snapshot);
        let expiry = approval.expiry(declaration.as_ref());
        let mut now = clock();
        // Claims only matter where a rule would decide: without one, nothing is answered.
        // A veto's reason quotes claims, text from outside: redacted as every reason is.
        let veto = rule.zip(case.claims.as_ref()).and_then(|(rule, claims)| {
            claims_veto(claims, &facts).map(|reason| {
                Decision::vetoed(
                    rule,
                    crate::names::redact(&reason, approval.token().expose()),
                )
            })
        });
        let mut function = FunctionAnswer::NotAsked;
        let mut postponed = None;
        if let Some(rule) = rule
            && let Some(asked) = &rule.function
            && self.policy_unusable.is_none()
            && veto.is_none()
        {
            let before = Evidence {
                approval,
                execution: &facts,
                heads: &heads,
                expiry,
                conditions: &conditions,
                function: &function,
            };
            if asks_function(rule, &before, now, case.revisit) {
                if self.has_time_to_ask(asked.timeout) {
                    function = self.ask_function(rule, asked, approval, &facts, now).await;
                    // The answer took time: the rest of the rule is judged again at the
                    // moment it came.
                    now = clock();
                } else {
                    // Too little of the invocation is left to wait for the answer as long
                    // as the rule allows, and then answer: not yet, and soon again.
                    postponed = Some(Decision::postponed(
                        rule,
                        format!(
                            "function {} was not asked: too little of this invocation's time \
                             was left to wait for it",
                            crate::names::printable(&asked.arn, 200)
                        ),
                        now,
                        expiry,
                    ));
                }
            }
        }
        let evidence = Evidence {
            approval,
            execution: &facts,
            heads: &heads,
            expiry,
            conditions: &conditions,
            function: &function,
        };
        let decision = match &self.policy_unusable {
            Some(reason) => Decision {
                verdict: Verdict::Abstain,
                rule: None,
                reasons: vec![reason.clone()],
                wake_at: None,
            },
            None => veto
                .or(postponed)
                .unwrap_or_else(|| decide_by(rule, &evidence, now, case.revisit)),
        };
        Ok(Assessment {
            decision,
            facts,
            heads,
            expiry,
            conditions,
            function,
            now,
        })
    }

    /// Whether the invocation has time to wait for a check function as long as its rule
    /// allows (`timeout`) and still keep [`ANSWER_TIME`]: always without a deadline. A
    /// shorter wait would count a function that answers in its time as one that did not.
    fn has_time_to_ask(&self, timeout: std::time::Duration) -> bool {
        let deadline = *self
            .deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        deadline.is_none_or(|deadline| {
            deadline
                .duration_since(SystemTime::now())
                .is_ok_and(|left| left >= ANSWER_TIME + timeout)
        })
    }

    /// Asks the rule's check function about the approval, showing it what was proven, and
    /// waits at most its rule's timeout, whatever the port does.
    async fn ask_function(
        &self,
        rule: &Rule,
        function: &CheckFunction,
        approval: &LiveApproval,
        facts: &ExecutionFacts,
        now: Timestamp,
    ) -> FunctionAnswer {
        let request = check_function::request(&rule.name, approval, facts, now);
        let timeout = function.timeout;
        let invoked = match serde_json::to_vec(&request) {
            Ok(payload) => tokio::time::timeout(
                timeout,
                self.functions.invoke(&function.arn, payload, timeout),
            )
            .await
            .unwrap_or(Err(InvokeError::TimedOut(timeout))),
            Err(error) => Err(InvokeError::Invoke(format!(
                "the request could not be written: {error}"
            ))),
        };
        let answer = FunctionAnswer::read(invoked, approval.token().expose());
        // The reason is the function's text, which may quote anything: the decision's line
        // shows it redacted; this one says only how it went.
        let outcome = match &answer {
            FunctionAnswer::Answered { pass: true, .. } => "pass",
            FunctionAnswer::Answered { pass: false, .. } => "fail",
            FunctionAnswer::Unusable(_) => "unusable",
            FunctionAnswer::NotAsked => "not asked",
        };
        tracing::info!(
            approval = %approval.target(),
            function = %crate::names::printable(&function.arn, 200),
            outcome,
            "check function asked"
        );
        answer
    }

    pub(crate) fn sweep_every(&self) -> SignedDuration {
        SignedDuration::try_from(self.settings.sweep_every).unwrap_or(SignedDuration::MAX)
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
            summary: decision.summary_for(approval.token().expose()),
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
    pub(crate) async fn tell(&self, report: &Report) {
        let (Some(topic), Some(notice)) = (
            &self.decisions,
            report.notice(self.settings.decision_format),
        ) else {
            return;
        };
        if let Err(error) = topic.publish(&notice).await {
            tracing::warn!(error = %error, verdict = notice.verdict.as_str(), pipeline = notice.pipeline, "decision notice not published; the decision stands");
        }
    }
}
