//! From a trigger to the approval it selects: an SNS notice (its token), CodePipeline's
//! EventBridge event (its execution and action execution) or a wake-up (its execution)
//! names an approval, and the live state must show it waiting as named before it is
//! decided, on the one path every trigger meets ([`Gate::decide_and_answer`]).

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::bulkhead;
use super::{Case, Declarations, Gate, Ports, Response};
use crate::error::GateError;
use crate::events::{ApprovalStarted, EventError, WokenUp};
use crate::evidence::{InParallel, LiveApproval};
use crate::notice::{self, ApprovalTarget, ApprovalToken, Claims};
use crate::pipeline::{ExecutionMode, PipelineSnapshot, Pipelines, ReadError, Staleness};
use crate::report::{Outcome, Report};
use crate::wakeups::WakeUp;

/// What a trigger names of the approval it is about. It only selects: the approval is
/// decided only once the state shows it waiting as named.
#[derive(Clone, Copy)]
enum Named<'a> {
    /// A notice's token: the approval must wait on it.
    Token(&'a ApprovalToken),
    /// An event's execution, and its action execution when it names one (a wake-up does
    /// not): the approval must wait in them, on the token the state shows.
    Execution {
        execution_id: &'a str,
        action_execution_id: Option<&'a str>,
    },
}

/// An event that selects one approval.
pub(super) enum Selecting {
    Started(ApprovalStarted),
    WokenUp(WokenUp),
}

/// What a trigger selected: the approval it names, how it names it, and what it says
/// beside (a notice's claims and console link).
struct Selection<'a> {
    message_id: Option<String>,
    target: &'a ApprovalTarget,
    named: Named<'a>,
    claims: Option<Claims>,
    console_link: Option<String>,
    /// The minute of the wake-up that selected it, if one did.
    woken_for: Option<jiff::Timestamp>,
}

/// What the live state says about the approval a trigger selected.
enum Liveness {
    Live(PipelineSnapshot, LiveApproval),
    Stale(String),
}

impl<E: Ports> Gate<E> {
    pub(super) async fn handle_record(
        &self,
        record: &serde_json::Value,
    ) -> Result<Report, GateError> {
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
                // Anyone who can publish chooses the message id too, and a parse error can
                // quote the message: neither carries a token, even that of a notice
                // refused as malformed.
                let token = record
                    .pointer("/Sns/Message")
                    .and_then(serde_json::Value::as_str)
                    .and_then(notice::token_in);
                let hide = |text: &str| match &token {
                    Some(token) => crate::names::redact(text, token),
                    None => text.to_owned(),
                };
                let message_id = message_id.as_deref().map(hide);
                return Ok(Report::dropped(
                    message_id,
                    hide(&error.to_string()),
                    dry_run,
                ));
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
        let selection = Selection {
            message_id,
            target: &request.target,
            named: Named::Token(&request.token),
            claims: Some(request.claims()),
            console_link: request.console_link.clone(),
            woken_for: None,
        };
        self.decide_selected(selection).await
    }

    /// The one path from a trigger's selection to a decision: the state must show the
    /// approval waiting as selected (re-read while it may lag); then it is decided and
    /// answered as every approval is. A notice and an approval event come this way; the
    /// sweep, which finds its approvals in the state, joins at [`Self::decide_and_answer`].
    async fn decide_selected(&self, selection: Selection<'_>) -> Result<Report, GateError> {
        let Selection {
            message_id,
            target,
            named,
            claims,
            console_link,
            woken_for,
        } = selection;
        // The pipeline's declaration, read at most once: its mode if the state does not
        // prove the approval, and the approval's timeout.
        let declarations = Declarations::default();
        match self.live_state(target, named, &declarations).await? {
            Liveness::Live(snapshot, approval) => {
                let case = Case {
                    message_id,
                    rule: self.policy.rule_for(approval.target()),
                    approval,
                    snapshot: &snapshot,
                    claims,
                    console_link,
                    revisit: self.sweep_every(),
                    woken_for,
                };
                self.decide_and_answer(case, &declarations).await
            }
            Liveness::Stale(reason) => Ok(Report::about_target(
                message_id,
                target,
                console_link,
                Outcome::Stale,
                vec![reason],
                self.settings.dry_run,
            )),
        }
    }

    /// An event that selects one approval (CodePipeline's, or a wake-up): decided as a
    /// notice is, with the token the state shows for the execution (and action execution)
    /// the event names. One report, logged and told; a malformed event is dropped.
    pub(super) async fn handle_selecting(
        &self,
        event: Result<Selecting, EventError>,
    ) -> Result<Response, GateError> {
        let woken = matches!(event, Ok(Selecting::WokenUp(_)));
        let report = match event {
            Err(error) => self.dropped_report(&error.to_string()),
            Ok(event) => {
                bulkhead::isolate_or_fail("an approval event", self.decide_event(event)).await?
            }
        };
        report.log();
        // A wake-up that finds its approval answered or gone (a person answered first, or
        // an alarm's event did) is a normal day: logged, and told nobody.
        if !(woken && report.outcome == Outcome::Stale) {
            self.tell(&report).await;
        }
        Ok(Response {
            records: vec![report],
            sweep: None,
        })
    }

    async fn decide_event(&self, event: Selecting) -> Result<Report, GateError> {
        let (message_id, target, execution_id, action_execution_id, woken_for) = match event {
            Selecting::Started(ApprovalStarted {
                event_id,
                target,
                execution_id,
                action_execution_id,
            }) => (
                event_id,
                target,
                execution_id,
                Some(action_execution_id),
                None,
            ),
            Selecting::WokenUp(WokenUp {
                target,
                execution_id,
                at,
            }) => {
                // The schedule's name, as it was derived: what the console shows.
                let schedule = WakeUp {
                    target,
                    execution_id,
                    at,
                };
                (
                    Some(schedule.name()),
                    schedule.target,
                    schedule.execution_id,
                    None,
                    Some(at),
                )
            }
        };
        // An approval no rule covers costs no read and tells nobody: the event rule sends
        // every approval of the account, and a wake-up may outlive the rule that asked
        // for it. (A policy that may not be used goes on, so that its reason is what the
        // report says.)
        if self.policy_unusable.is_none() && self.policy.rule_for(&target).is_none() {
            let reason = "no rule matches this approval, so the gate leaves it alone (the \
                          event rule sends every approval of the account)"
                .to_owned();
            return Ok(Report::about_target(
                message_id,
                &target,
                None,
                Outcome::Dropped,
                vec![reason],
                self.settings.dry_run,
            ));
        }
        let selection = Selection {
            message_id,
            target: &target,
            named: Named::Execution {
                execution_id: &execution_id,
                action_execution_id: action_execution_id.as_deref(),
            },
            claims: None,
            console_link: self
                .settings
                .region
                .as_deref()
                .map(|region| notice::console_link(region, &target.pipeline)),
            woken_for,
        };
        self.decide_selected(selection).await
    }

    /// Reads the pipeline until it shows the approval waiting as `named`, or until the wait
    /// is over: a notice or an event can arrive before the state shows its approval. The
    /// pipeline's mode is read first (`GetPipeline`, once an invocation): in PARALLEL mode
    /// the state shows no tokens and is never taken for one, and the approval is proven
    /// from its action executions instead.
    async fn live_state(
        &self,
        target: &ApprovalTarget,
        named: Named<'_>,
        declarations: &Declarations,
    ) -> Result<Liveness, GateError> {
        let deadline = Instant::now() + self.settings.token_wait;
        let mut pause = Duration::from_millis(250);
        let mut mode_known = false;
        loop {
            let snapshot = match self.pipelines.state(&target.pipeline).await {
                Ok(snapshot) => snapshot,
                Err(ReadError::Final(reason)) => return Ok(Liveness::Stale(reason)),
                Err(error) => {
                    return Err(GateError::ReadFailed {
                        pipeline: target.pipeline.clone(),
                        source: error,
                    });
                }
            };
            if !mode_known {
                mode_known = true;
                let mode = self
                    .declaration(&target.pipeline, declarations)
                    .await?
                    .map(|declaration| declaration.mode)
                    .unwrap_or_default();
                if mode == ExecutionMode::Parallel {
                    return self.live_in_parallel(target, named, snapshot).await;
                }
            }
            let proof = match named {
                Named::Token(token) => LiveApproval::prove(&snapshot, target, token),
                Named::Execution {
                    execution_id,
                    action_execution_id,
                } => snapshot
                    .approval(target)
                    .and_then(|approval| approval.token_of(execution_id, action_execution_id))
                    .and_then(|token| LiveApproval::prove(&snapshot, target, &token)),
            };
            let staleness = match proof {
                Ok(approval) => return Ok(Liveness::Live(snapshot, approval)),
                Err(staleness) => staleness,
            };
            if !staleness.may_resolve() || Instant::now() + pause > deadline {
                return Ok(Liveness::Stale(not_waiting(named, &staleness)));
            }
            tokio::time::sleep(pause).await;
            self.read_retries.fetch_add(1, Ordering::Relaxed);
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// The approval named in a PARALLEL pipeline, proven from the action executions of the
    /// executions in progress ([`Gate::attempts_in_progress`]), and its execution shown in
    /// progress. Re-read while it may lag, as the state is. `snapshot` is the pipeline's
    /// state, kept for its sources' heads.
    async fn live_in_parallel(
        &self,
        target: &ApprovalTarget,
        named: Named<'_>,
        snapshot: PipelineSnapshot,
    ) -> Result<Liveness, GateError> {
        let (in_parallel, execution) = match named {
            Named::Token(token) => (InParallel::Token(token), None),
            Named::Execution {
                execution_id,
                action_execution_id: Some(action_execution_id),
            } => (
                InParallel::ActionExecution {
                    execution_id,
                    action_execution_id,
                },
                Some(execution_id),
            ),
            Named::Execution {
                execution_id,
                action_execution_id: None,
            } => (InParallel::Execution(execution_id), Some(execution_id)),
        };
        let deadline = Instant::now() + self.settings.token_wait;
        let mut pause = Duration::from_millis(250);
        loop {
            let attempts = match self
                .attempts_in_progress(&target.pipeline, execution)
                .await?
            {
                Ok(attempts) => attempts,
                Err(reason) => return Ok(Liveness::Stale(reason)),
            };
            let staleness = match LiveApproval::prove_in_parallel(&attempts, target, in_parallel) {
                Ok(approval) => {
                    return Ok(match self.not_in_progress(&approval).await? {
                        None => Liveness::Live(snapshot, approval),
                        Some(reason) => Liveness::Stale(reason),
                    });
                }
                Err(staleness) => staleness,
            };
            if !staleness.may_resolve() || Instant::now() + pause > deadline {
                return Ok(Liveness::Stale(not_waiting(named, &staleness)));
            }
            tokio::time::sleep(pause).await;
            self.read_retries.fetch_add(1, Ordering::Relaxed);
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

/// Why the approval a trigger named is not decided.
fn not_waiting(named: Named<'_>, staleness: &Staleness) -> String {
    match named {
        Named::Token(_) => stale_reason(staleness),
        Named::Execution { .. } => {
            format!("the approval the event names is not waiting: {staleness}")
        }
    }
}

fn stale_reason(staleness: &Staleness) -> String {
    format!("the notice's token is not the live one: {staleness}")
}
