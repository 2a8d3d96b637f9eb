//! Wake-ups: one-time EventBridge Scheduler schedules that invoke the function at the
//! moment a deferred approval may pass (a window or calendar opens, or the approval comes
//! within the expiry margin), so that it is answered then rather than at the next sweep.
//!
//! A wake-up names the approval's coordinates (pipeline, stage, action, execution), never
//! its token. It only selects, as a notice does: the function reads the state, and decides
//! the approval only if it still waits in that execution (see [`crate::events::woken_up`]).
//! A forged, late or duplicated wake-up can make the gate answer nothing the state alone
//! would not justify. If a wake-up cannot be scheduled, the deferral stands and the sweep
//! decides the approval as it would without wake-ups.

use std::future::Future;

use jiff::{SignedDuration, Timestamp};

use crate::conditions::Unavailable;
use crate::names;
use crate::notice::ApprovalTarget;

/// Scheduler's precision: a one-time schedule fires at a whole minute.
const MINUTE: i64 = 60;
/// What every schedule's name starts with, so that the gate's schedules are recognised in
/// the group.
const NAME_PREFIX: &str = "ag-";
/// The pipeline name's share of a schedule name: with the prefix, the minute and the hash,
/// the name stays within Scheduler's 64 characters.
const NAME_PIPELINE_CHARS: usize = 30;

/// One wake-up to schedule: the approval it selects, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WakeUp {
    pub target: ApprovalTarget,
    /// The pipeline execution the approval waits in.
    pub execution_id: String,
    /// A whole minute, in the future when planned.
    pub at: Timestamp,
}

impl WakeUp {
    /// The wake-up for an approval decided at `now` whose deferral may change at
    /// `wake_at`: at the first whole minute at or after it, and never at `now`'s minute or
    /// earlier (a one-time schedule in the past never fires). `woken_for` is the minute of
    /// the wake-up that is being handled, if any: one that finds the approval must wait
    /// again until that very minute (it fired early, or the clocks differ) is planned a
    /// minute later, under another name, rather than colliding with itself. Only then does
    /// it count: the minute is the wake-up's own word, and anyone who may invoke the
    /// function can write it, so it never moves a wake-up anywhere else.
    pub fn plan(
        target: ApprovalTarget,
        execution_id: String,
        wake_at: Timestamp,
        now: Timestamp,
        woken_for: Option<Timestamp>,
    ) -> Self {
        let earliest = minute_floor(now).saturating_add(MINUTE);
        let mut at = minute_ceil(wake_at).max(earliest);
        if woken_for.is_some_and(|woken_for| minute_ceil(woken_for) == at) {
            at = at.saturating_add(MINUTE);
        }
        let at = Timestamp::from_second(at).unwrap_or(Timestamp::MAX);
        Self {
            target,
            execution_id,
            at,
        }
    }

    /// The schedule's name: derived from everything the wake-up holds, so that planning
    /// the same wake-up again (a retried invocation, a duplicate notice, the next sweep)
    /// names the same schedule, and Scheduler's `ConflictException` says it exists. 1–64
    /// characters of `[0-9a-zA-Z-_.]`: `ag-`, the minute, the pipeline's name as far as
    /// it fits (readable in the console), and a hash of the whole approval.
    pub fn name(&self) -> String {
        let key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.target.pipeline, self.target.stage, self.target.action, self.execution_id
        );
        let pipeline: String = self
            .target
            .pipeline
            .chars()
            .map(|c| match c {
                '0'..='9' | 'a'..='z' | 'A'..='Z' | '-' | '_' | '.' => c,
                _ => '_',
            })
            .take(NAME_PIPELINE_CHARS)
            .collect();
        format!(
            "{NAME_PREFIX}{}-{pipeline}-{:016x}",
            self.at.strftime("%Y%m%dT%H%M"),
            names::fnv1a(key.as_bytes())
        )
    }

    /// Scheduler's one-time expression for the minute, read in UTC.
    pub fn expression(&self) -> String {
        format!("at({})", self.at.strftime("%Y-%m-%dT%H:%M:%S"))
    }

    /// How long after `now` it fires.
    pub fn after(&self, now: Timestamp) -> SignedDuration {
        self.at.duration_since(now)
    }
}

fn minute_floor(at: Timestamp) -> i64 {
    at.as_second().div_euclid(MINUTE) * MINUTE
}

fn minute_ceil(at: Timestamp) -> i64 {
    let floor = minute_floor(at);
    if floor == at.as_second() && at.subsec_nanosecond() == 0 {
        floor
    } else {
        floor.saturating_add(MINUTE)
    }
}

/// What scheduling a wake-up did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduled {
    Created,
    /// A schedule of that name exists: this same wake-up was scheduled before.
    AlreadyScheduled,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The function runs without a schedule group (local runs, tests): no wake-up is due.
    #[error("wake-ups are not configured (GATE_WAKEUP_GROUP and GATE_WAKEUP_ROLE_ARN)")]
    Unconfigured,
    #[error("{0}")]
    Failed(String),
}

/// Schedules wake-ups (EventBridge Scheduler's `CreateSchedule`).
pub trait Wakeups: Send + Sync {
    fn schedule(
        &self,
        wake_up: &WakeUp,
    ) -> impl Future<Output = Result<Scheduled, ScheduleError>> + Send;

    /// Whether wake-ups are scheduled at all: without them, deferrals count on the sweep
    /// alone, and the sweep warns when it cannot keep that promise.
    fn configured(&self) -> bool {
        true
    }
}

impl Wakeups for Unavailable {
    async fn schedule(&self, _wake_up: &WakeUp) -> Result<Scheduled, ScheduleError> {
        Err(ScheduleError::Unconfigured)
    }

    fn configured(&self) -> bool {
        false
    }
}

/// A scheduler the configuration may leave out.
impl<W: Wakeups> Wakeups for Option<W> {
    async fn schedule(&self, wake_up: &WakeUp) -> Result<Scheduled, ScheduleError> {
        match self {
            Some(wakeups) => wakeups.schedule(wake_up).await,
            None => Err(ScheduleError::Unconfigured),
        }
    }

    fn configured(&self) -> bool {
        self.as_ref().is_some_and(Wakeups::configured)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
