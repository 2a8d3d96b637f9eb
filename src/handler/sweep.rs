//! The scheduled sweep: every approval waiting on the pipelines the policy covers is decided
//! as if its notice had just arrived, so deferred approvals are answered when their window
//! opens and lost notices are caught.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokio::time::Instant;

use super::bulkhead::{self, Breach};
use super::{Case, Declarations, Gate, Ports, Response};
use crate::error::GateError;
use crate::evidence::{InParallel, LiveApproval};
use crate::notice::{self, ApprovalTarget};
use crate::pipeline::{
    ActionStatus, ExecutionMode, Listed, PipelineSnapshot, Pipelines, ReadError,
};
use crate::policy::{Policy, Rule};
use crate::report::{Answer, Report};
use crate::wakeups::Wakeups;
use pacer::Pacer;
use rotation::Rotation;

mod pacer;
mod rotation;

/// How long one approval's reads and decision may take in the sweep before the sweep gives
/// up on it and goes on: several times what the SDK's own timeouts and retries allow one
/// read, and never past the invocation's deadline. Its answer is not cut off: once it may
/// be on its way, it is reported (the SDK's timeouts bound that call).
pub const APPROVAL_BUDGET: Duration = Duration::from_secs(30);

/// How many pipelines named exactly make a sweep list the account's pipelines for their
/// execution modes rather than ask each for its own (`GetPipeline`).
const LIST_FOR_MODES_ABOVE: usize = 20;

/// The pipelines a sweep covers, and the mode of each that `ListPipelines` listed.
struct Covered {
    names: Vec<String>,
    modes: HashMap<String, ExecutionMode>,
}

/// What a sweep keeps of its invocation's time to log its line and return.
const REPORT_TIME: Duration = Duration::from_millis(250);

/// Which pipelines a sweep reads.
pub(crate) enum Scope<'a> {
    /// Every pipeline the policy covers: the scheduled sweep, the backstop for whatever
    /// no notice or event brought.
    Covered,
    /// The pipelines these rules match: the alarm or Change Calendar they watch cleared or
    /// opened, so what it deferred may pass now. Every approval found is decided by the
    /// whole policy, from the state and the alarm or calendar read again, as always.
    Watching {
        watched: &'a Watched,
        rules: Vec<&'a Rule>,
    },
}

/// What an event said cleared or opened: an alarm (by name) or a Change Calendar (by its
/// document's ARN).
pub(crate) enum Watched {
    Alarm(String),
    Calendar(String),
}

impl Watched {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Alarm(_) => "alarm",
            Self::Calendar(_) => "calendar",
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Alarm(name) | Self::Calendar(name) => name,
        }
    }
}

impl Scope<'_> {
    fn label(&self) -> &'static str {
        match self {
            Self::Covered => "schedule",
            Self::Watching { watched, .. } => watched.kind(),
        }
    }
}

/// What a sweep saw.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// Pipelines the policy covers.
    pub pipelines: usize,
    /// Pipelines read (or tried) this time.
    pub covered: usize,
    /// Pipelines not read because the invocation's deadline came first; a later sweep of
    /// the round reads them.
    pub left: usize,
    /// Where in the sorted list of covered pipelines this sweep started.
    pub start: usize,
    /// Sweeps in a round: every covered pipeline is read in any this many consecutive
    /// sweeps, as long as each reads its share (`pipelines / round`).
    pub round: usize,
    /// The time between two reads when the sweep ended, in milliseconds (it grows when
    /// CodePipeline throttles).
    pub pacing_ms: u64,
    /// Reads CodePipeline throttled through the SDK's retries.
    pub throttled: usize,
    /// Approvals waiting that a rule matches.
    pub pending: usize,
    pub answered: usize,
    /// Pipelines or approvals that could not be handled this time (they are tried again
    /// by the next sweep).
    pub failures: Vec<String>,
    /// Of the failures, the pipelines or approvals a bulkhead stopped: the gate panicked
    /// on them, or they overran their time budget.
    pub isolated: usize,
}

impl<E: Ports> Gate<E> {
    /// Decides every approval waiting on the pipelines the policy covers. One failing
    /// pipeline does not stop the others; what failed is logged and tried again next time.
    ///
    /// With a `deadline` (the invocation's), no read starts later than the configured
    /// margin before it, and the sweep starts where its place in the rotation says, so
    /// that sweeps that cannot read everything still read every pipeline in turn. A sweep
    /// cut short returns normally: nothing is retried, the next sweeps go on.
    pub(crate) async fn sweep(
        &self,
        event: &serde_json::Value,
        deadline: Option<SystemTime>,
        scope: Scope<'_>,
    ) -> Result<Response, GateError> {
        let started = Instant::now();
        // Lambda always gives a deadline ahead of the invocation's start. One already past
        // (local emulators send the time of the request) says nothing about the time left:
        // the sweep then reads as it does without a deadline.
        let deadline = deadline.filter(|deadline| {
            let ahead = *deadline > SystemTime::now();
            if !ahead {
                tracing::warn!("the invocation's deadline has already passed; the sweep reads as if it had none");
            }
            ahead
        });
        // The invocation's time, to the whole second: the function's timeout on every
        // invocation, so that sweeps plan alike. Its stop is then a margin before it.
        let left = deadline.map(|deadline| {
            deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default()
        });
        let run_time =
            left.map(|left| Duration::from_secs((left.as_millis() + 500).div_euclid(1000) as u64));
        let window = run_time.map(|run_time| run_time.saturating_sub(self.settings.sweep_margin));
        let stop = window.map(|window| started + window);
        // No approval's work may run into the invocation's end: shortly before it, the
        // bulkheads stop what is left, so that the sweep still reports.
        let end = left.map(|left| started + left.saturating_sub(REPORT_TIME));
        if window.is_some_and(|window| window.is_zero()) {
            tracing::error!(
                margin_seconds = self.settings.sweep_margin.as_secs(),
                seconds_left = run_time.map_or(0, |run_time| run_time.as_secs()),
                "the sweep has no time to read: GATE_SWEEP_MARGIN_SECONDS is not shorter than the function's timeout"
            );
        }
        let rules: Vec<&Rule> = match &scope {
            Scope::Covered => self.policy.rules.iter().collect(),
            Scope::Watching { rules, .. } => rules.clone(),
        };
        let (
            Covered {
                names: pipelines,
                modes,
            },
            listing_failure,
        ) = match self.covered_pipelines(&rules).await {
            Ok(covered) => (covered, None),
            Err(error) => {
                // The exact names can still be swept; the next sweep lists again.
                tracing::error!(error = %error, "sweep could not list the pipelines");
                (
                    Covered {
                        names: Policy::pipelines_of_rules(&rules).exact,
                        modes: HashMap::new(),
                    },
                    Some(format!("ListPipelines: {error}")),
                )
            }
        };
        let modes = &modes;
        let time = event
            .get("time")
            .and_then(serde_json::Value::as_str)
            .and_then(|time| time.parse::<Timestamp>().ok())
            .unwrap_or_else(self.clock);
        let rotation = Rotation::plan(
            pipelines.len(),
            window.map(|window| {
                rotation::planned_capacity(window, self.settings.sweep_read_interval)
            }),
            rotation::sweep_number(time, self.settings.sweep_every),
        );
        // A pipeline is read once in a round of sweeps, so that is how long a deferral
        // may have to wait for its next read.
        let revisit = self
            .sweep_every()
            .checked_mul(i32::try_from(rotation.segments).unwrap_or(i32::MAX))
            .unwrap_or(SignedDuration::MAX);
        let count = pipelines.len();
        let pacer = &Pacer::new(self.settings.sweep_read_interval);
        let declarations = &Declarations::default();
        // Turns are booked as the stream hands out pipelines, in order, so the pipelines
        // read are the first ones of the rotation's order; once a turn is refused, every
        // later one is. Owned names, so that the futures borrow nothing from the stream's
        // items (which keeps them `Send` for the runtime).
        let swept: Vec<Swept> = futures_util::stream::iter(rotation.order(pipelines))
            .map(|pipeline| {
                let turn = pacer.book(stop);
                async move {
                    tokio::time::sleep_until(turn?).await;
                    // The pipeline's own bulkhead: a panic outside its approvals' (reading
                    // or listing what waits) ends this pipeline alone.
                    let work = self.sweep_pipeline(
                        &pipeline,
                        modes.get(&pipeline),
                        pacer,
                        declarations,
                        revisit,
                        Bounds { stop, end },
                    );
                    Some(
                        bulkhead::isolate(None, work)
                            .await
                            .unwrap_or_else(|breach| {
                                Swept::isolated(&crate::names::printable(&pipeline, 100), breach)
                            }),
                    )
                }
            })
            .buffer_unordered(self.settings.sweep_concurrency.max(1))
            .filter_map(std::future::ready)
            .collect()
            .await;

        let mut summary = SweepSummary {
            pipelines: count,
            covered: swept.len(),
            left: count - swept.len(),
            start: rotation.start,
            round: rotation.segments,
            pacing_ms: u64::try_from(pacer.interval().as_millis()).unwrap_or(u64::MAX),
            throttled: pacer.throttled_reads(),
            failures: listing_failure.into_iter().collect(),
            ..SweepSummary::default()
        };
        let mut records = Vec::new();
        for pipeline in swept {
            summary.pending += pipeline.pending;
            summary.isolated += pipeline.isolated;
            summary.failures.extend(pipeline.failures);
            records.extend(pipeline.answered);
        }
        summary.answered = records.len();
        tracing::info!(
            target: crate::logging::AUDIT,
            trigger = scope.label(),
            watched = match &scope {
                Scope::Watching { watched, .. } => crate::names::printable(watched.name(), 255),
                Scope::Covered => String::new(),
            },
            pipelines = summary.pipelines,
            covered = summary.covered,
            left = summary.left,
            start = summary.start,
            round = summary.round,
            pacing_ms = summary.pacing_ms,
            throttled = summary.throttled,
            pending = summary.pending,
            answered = summary.answered,
            failed = summary.failures.len(),
            isolated = summary.isolated,
            seconds = started.elapsed().as_secs_f64(),
            dry_run = self.settings.dry_run,
            "sweep"
        );
        self.warn_of_a_short_sweep(&summary, rotation, run_time);
        Ok(Response {
            records,
            sweep: Some(summary),
        })
    }

    /// Says when the rotation's guarantee did not hold or cannot reach approvals near
    /// their expiry, so that an operator raises the sweep's capacity.
    fn warn_of_a_short_sweep(
        &self,
        summary: &SweepSummary,
        rotation: Rotation,
        run_time: Option<Duration>,
    ) {
        if summary.covered < rotation.segment_len.min(summary.pipelines) {
            tracing::warn!(
                covered = summary.covered,
                share = rotation.segment_len,
                throttled = summary.throttled,
                "the sweep read less than its share of the round: some pipelines wait a round longer"
            );
        }
        // Two reads of one pipeline are at most a round of sweeps plus one sweep's run
        // apart; a deferred approval is rejected for expiry only if a read falls in its
        // last EXPIRY_MARGIN.
        let every = self.settings.sweep_every;
        let revisit = u32::try_from(rotation.segments)
            .ok()
            .and_then(|segments| every.checked_mul(segments))
            .and_then(|round| round.checked_add(run_time.unwrap_or_default()));
        let margin = crate::decision::EXPIRY_MARGIN.unsigned_abs();
        if revisit.is_none_or(|revisit| revisit > margin) {
            // With wake-ups, each deferral is woken at the start of its last 30 minutes
            // itself: only one whose wake-up could not be scheduled counts on the sweep.
            if self.wakeups.configured() {
                tracing::info!(
                    round = rotation.segments,
                    sweep_minutes = every.as_secs() / 60,
                    "a round of sweeps takes longer than the last 30 minutes before an approval expires: a deferral whose wake-up could not be scheduled may expire unanswered instead of being rejected"
                );
            } else {
                tracing::warn!(
                    round = rotation.segments,
                    sweep_minutes = every.as_secs() / 60,
                    "a round of sweeps takes longer than the last 30 minutes before an approval expires: a deferred approval may expire unanswered instead of being rejected; raise GATE_SWEEP_READS_PER_SECOND or sweep more often"
                );
            }
        }
    }

    /// The pipelines `rules` name exactly, and every listed pipeline a wildcard of theirs
    /// covers, with the mode of each that was listed.
    async fn covered_pipelines(&self, rules: &[&Rule]) -> Result<Covered, ReadError> {
        let named = Policy::pipelines_of_rules(rules);
        let (mut names, wildcard) = (named.exact, named.listing_needed);
        let mut modes = HashMap::new();
        // Listed also for many exact names: the list says each pipeline's execution mode
        // (one call a thousand pipelines of the account), which a PARALLEL pipeline's
        // approvals need; a few exact names are each asked GetPipeline instead.
        if wildcard || names.len() > LIST_FOR_MODES_ABOVE {
            let listed = self.pipelines.list_pipelines().await?;
            let exact: HashSet<String> = names.iter().cloned().collect();
            for Listed { name, mode } in listed {
                let covered = exact.contains(&name)
                    || rules
                        .iter()
                        .any(|rule| rule.matcher.pipeline.matches(&name));
                if !covered {
                    continue;
                }
                // A mode the list does not say is asked when the state shows nothing.
                if let Some(mode) = mode {
                    modes.insert(name.clone(), mode);
                }
                names.push(name);
            }
            names.sort();
            names.dedup();
        }
        Ok(Covered { names, modes })
    }

    /// Every approval waiting in `pipeline`, each proven live or with the reason it is
    /// not: from the state, or, in a PARALLEL pipeline (whose state shows no tokens, and
    /// whose state is then never taken for one), from the action executions of its
    /// executions in progress. The mode is the one `ListPipelines` listed, or else read
    /// with `GetPipeline`. The sweep and `explain` find approvals this way.
    pub(super) async fn waiting_in(
        &self,
        pipeline: &str,
        snapshot: &PipelineSnapshot,
        listed_mode: Option<&ExecutionMode>,
        declarations: &Declarations,
    ) -> Result<Vec<(ApprovalTarget, Result<LiveApproval, String>)>, GateError> {
        let mode = match listed_mode {
            Some(mode) => mode.clone(),
            None => self
                .declaration(pipeline, declarations)
                .await?
                .map(|declaration| declaration.mode)
                .unwrap_or_default(),
        };
        if mode != ExecutionMode::Parallel {
            return Ok(snapshot
                .pending_approvals()
                .into_iter()
                .map(|pending| {
                    let proven = LiveApproval::prove(snapshot, &pending.target, &pending.token)
                        .map_err(|staleness| staleness.to_string());
                    (pending.target, proven)
                })
                .collect());
        }
        let attempts = match self.attempts_in_progress(pipeline, None).await? {
            Ok(attempts) => attempts,
            Err(reason) => {
                tracing::warn!(
                    pipeline,
                    reason,
                    "the sweep cannot read the approvals of the PARALLEL pipeline; its notices and events still decide them"
                );
                return Ok(Vec::new());
            }
        };
        let mut waiting = Vec::new();
        for attempt in attempts.iter().filter(|attempt| {
            attempt.status == ActionStatus::InProgress && attempt.external_execution_id.is_some()
        }) {
            let target = ApprovalTarget {
                pipeline: pipeline.to_owned(),
                stage: attempt.stage.clone(),
                action: attempt.action.clone(),
            };
            let execution_id = attempt.execution_id.as_deref().unwrap_or_default();
            let named = match attempt.action_execution_id.as_deref() {
                Some(action_execution_id) => InParallel::ActionExecution {
                    execution_id,
                    action_execution_id,
                },
                None => InParallel::Execution(execution_id),
            };
            let proven = match LiveApproval::prove_in_parallel(&attempts, &target, named) {
                Ok(approval) => match self.not_in_progress(&approval).await? {
                    None => Ok(approval),
                    Some(reason) => Err(reason),
                },
                Err(staleness) => Err(staleness.to_string()),
            };
            waiting.push((target, proven));
        }
        Ok(waiting)
    }

    async fn sweep_pipeline(
        &self,
        pipeline: &str,
        listed_mode: Option<&ExecutionMode>,
        pacer: &Pacer,
        declarations: &Declarations,
        revisit: SignedDuration,
        Bounds { stop, end }: Bounds,
    ) -> Swept {
        let mut swept = Swept::default();
        let read = self.pipelines.state(pipeline).await;
        match &read {
            Err(ReadError::Throttled(_)) => pacer.throttled(),
            _ => pacer.went_through(),
        }
        let snapshot = match read {
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
        let waiting = match self
            .waiting_in(pipeline, &snapshot, listed_mode, declarations)
            .await
        {
            Ok(waiting) => waiting,
            Err(error) => {
                tracing::error!(pipeline, error = %error, "sweep could not find the pipeline's approvals; the next sweep tries again");
                swept.failures.push(format!("{pipeline}: {error}"));
                return swept;
            }
        };
        let count = waiting.len();
        for (index, (target, proven)) in waiting.into_iter().enumerate() {
            let Some(rule) = self.policy.rule_for(&target) else {
                continue;
            };
            // A pipeline with many approvals waiting starts no more of them once the sweep's
            // stop has come, as no read of another pipeline starts then either. Until one
            // of them is pending, none is held back: the state was read before the stop.
            if swept.pending > 0 && stop.is_some_and(|stop| Instant::now() >= stop) {
                let left = count - index;
                tracing::warn!(
                    pipeline,
                    left,
                    "sweep stopped before deciding every approval of the pipeline; the next sweep decides them"
                );
                swept.failures.push(format!(
                    "{}: {left} approval(s) not reached before the sweep's stop",
                    crate::names::printable(pipeline, 100)
                ));
                break;
            }
            swept.pending += 1;
            let approval = match proven {
                Ok(approval) => approval,
                Err(staleness) => {
                    tracing::debug!(approval = %target, reason = %staleness, "sweep leaves the approval");
                    continue;
                }
            };
            // Abstain is stable: whether the rule left the approval to a human when it
            // started waiting is judged at that moment, which the state must show.
            if approval.since().is_none() {
                tracing::warn!(approval = %target, "sweep leaves the approval: the state does not say when it started waiting");
                continue;
            }
            let case = Case {
                console_link: self
                    .settings
                    .region
                    .as_deref()
                    .map(|region| notice::console_link(region, pipeline)),
                ..Case::found(approval, Some(rule), &snapshot, revisit)
            };
            // The approval's own bulkhead: its reads and decision within its time budget,
            // its answer and report without one (see `answer_assessed`), each isolated.
            let budget = end.map_or(APPROVAL_BUDGET, |end| {
                APPROVAL_BUDGET.min(end.saturating_duration_since(Instant::now()))
            });
            let what = || crate::names::printable(&target.to_string(), 310);
            let assessed =
                bulkhead::isolate(Some(budget), self.assess(&case, declarations, self.clock)).await;
            let decided = match assessed {
                Ok(Ok(assessment)) => {
                    match bulkhead::isolate(None, self.answer_assessed(case, assessment)).await {
                        Ok(decided) => decided,
                        Err(breach) => {
                            swept.breach(&what(), breach);
                            continue;
                        }
                    }
                }
                Ok(Err(error)) => Err(error),
                Err(breach) => {
                    swept.breach(&what(), breach);
                    continue;
                }
            };
            match decided {
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
                    approval = %target,
                    verdict = report.outcome.as_str(),
                    reasons = %report.reasons.join("; "),
                    "sweep leaves the approval waiting"
                ),
                Err(error) => {
                    if matches!(
                        error,
                        GateError::ReadFailed {
                            source: ReadError::Throttled(_),
                            ..
                        }
                    ) {
                        pacer.throttled();
                    }
                    // The source names what failed; the error's own words speak of a Lambda
                    // retry, which the sweep leaves to its next run instead.
                    let cause = std::error::Error::source(&error)
                        .map_or_else(|| error.to_string(), ToString::to_string);
                    tracing::error!(approval = %target, error = %cause, "sweep could not decide the approval; the next sweep tries again");
                    swept.failures.push(format!("{target}: {cause}"));
                }
            }
        }
        swept
    }
}

/// When a sweep starts no more work (`stop`), and when the work under way must have ended
/// (`end`, shortly before the invocation's deadline).
#[derive(Clone, Copy)]
struct Bounds {
    stop: Option<Instant>,
    end: Option<Instant>,
}

#[derive(Default)]
struct Swept {
    pending: usize,
    answered: Vec<Report>,
    failures: Vec<String>,
    isolated: usize,
}

impl Swept {
    /// A pipeline whose work a bulkhead stopped outside any one approval.
    fn isolated(pipeline: &str, breach: Breach) -> Self {
        let mut swept = Self::default();
        swept.breach(pipeline, breach);
        swept
    }

    /// `what` (a pipeline, or an approval's pipeline/stage/action: never its token) was
    /// stopped by a bulkhead; the sweep goes on, and the next one tries it again.
    fn breach(&mut self, what: &str, breach: Breach) {
        tracing::error!(
            what,
            breach = %breach,
            "sweep stopped its work on this and goes on with the others; the next sweep tries it again"
        );
        self.failures.push(format!("{what}: {breach}"));
        self.isolated += 1;
    }
}

/// EventBridge's scheduled events (rules and EventBridge Scheduler).
pub(crate) fn is_scheduled(event: &serde_json::Value) -> bool {
    event.get("detail-type").and_then(serde_json::Value::as_str) == Some("Scheduled Event")
        && matches!(
            event.get("source").and_then(serde_json::Value::as_str),
            Some("aws.events" | "aws.scheduler")
        )
}
