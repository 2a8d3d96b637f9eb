//! Bulkheads: one approval's panic or overrun ends that approval's work alone, and is
//! reported; the invocation goes on with the others.
//!
//! A panic is a bug, never an answer: nothing is approved by it, and the approval is left
//! waiting for the next sweep (or, for a notice, the invocation fails so that Lambda's
//! retries and its failed-decisions queue see it). The panic's message is never logged:
//! it can quote the text that was being handled, and that text can hold the token. Its
//! location is logged by [`log_panics`].
//!
//! The time budget bounds waiting for reads; an answer, once it may be on its way, is not
//! cut off (the SDK's timeouts bound it), so that what was answered is always reported.
//! Computation needs no budget of its own: every search over time in the policy has a
//! proven bound.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use crate::error::GateError;

/// Why a bulkhead stopped its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    #[error("the gate panicked while handling it (a bug; the log has the location)")]
    Panicked,
    #[error("it did not finish within its time budget of {} s", .0.as_secs())]
    Overran(Duration),
}

/// Runs `work` as a bulkhead: a panic inside it, or (with a `budget`) a run past the
/// budget, ends it and is returned as a [`Breach`].
pub async fn isolate<F: Future>(budget: Option<Duration>, work: F) -> Result<F::Output, Breach> {
    // Unwind safety: the gate's shared state across a bulkhead is the pacer (whose lock
    // guards plain numbers written one at a time) and the declarations cache (a tokio
    // lock, which is not poisoned and holds only whole answers); a panic leaves both valid.
    // Boxed: the work of one approval is a large future, and bulkheads nest (a pipeline's
    // around its approvals'), so keeping it inline would grow every enclosing future.
    let caught = AssertUnwindSafe(Box::pin(work)).catch_unwind();
    let outcome = match budget {
        Some(budget) => tokio::time::timeout(budget, caught)
            .await
            .map_err(|_| Breach::Overran(budget))?,
        None => caught.await,
    };
    outcome.map_err(|_| Breach::Panicked)
}

/// [`isolate`] for work that answers with a [`GateError`]: a breach becomes
/// [`GateError::Isolated`] about `what`, so the caller handles it as any other failure.
pub async fn isolate_or_fail<T, F>(what: &str, work: F) -> Result<T, GateError>
where
    F: Future<Output = Result<T, GateError>>,
{
    isolate(None, work).await.unwrap_or_else(|breach| {
        Err(GateError::Isolated {
            what: what.to_owned(),
            breach,
        })
    })
}

/// Replaces the panic hook with one that logs where a panic happened, without its message
/// (which can quote a commit message, an alarm reason, or the token). The function calls
/// it once at start.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map_or_else(|| "(unknown)".to_owned(), ToString::to_string);
        tracing::error!(
            location,
            "panic: a bug in the gate; the approval it was handling gets no answer from this invocation"
        );
    }));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_that_finishes_in_time_gives_its_output() {
        assert_eq!(
            isolate(Some(Duration::from_secs(1)), async { 7 }).await,
            Ok(7)
        );
        assert_eq!(isolate(None, async { 7 }).await, Ok(7));
    }

    #[tokio::test]
    async fn a_panic_is_caught_and_reported_as_a_breach() {
        let outcome = isolate(None, async {
            let text = "Zahlungsströme";
            // A cut inside 'ö', as a byte index would make it.
            #[allow(clippy::string_slice)]
            let cut = &text[..12];
            cut.len()
        })
        .await;
        assert_eq!(outcome, Err(Breach::Panicked));
    }

    #[tokio::test(start_paused = true)]
    async fn work_that_overruns_its_budget_is_stopped() {
        let outcome = isolate(
            Some(Duration::from_secs(30)),
            tokio::time::sleep(Duration::from_secs(3600)),
        )
        .await;
        assert_eq!(outcome, Err(Breach::Overran(Duration::from_secs(30))));
    }
}
