//! The sweep's pace: at most one read per interval, the interval doubling when CodePipeline
//! throttles and shrinking back after reads that went through, and no read started past
//! the time the sweep must stop.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The slowest the pacer goes, as a multiple of its base interval: 32 times slower than
/// configured (3.2 s a read at the default 10 reads a second).
const SLOWEST: u32 = 32;

/// By how much a read that went through shortens the interval: an eighth, so that from
/// the slowest pace it takes about 26 reads to come back to the configured one.
const RECOVERY: u32 = 8;

pub(super) struct Pacer {
    base: Duration,
    state: Mutex<State>,
}

struct State {
    /// When the next read may start.
    next: Option<Instant>,
    interval: Duration,
    throttled: usize,
}

impl Pacer {
    pub(super) fn new(base: Duration) -> Self {
        Self {
            base,
            state: Mutex::new(State {
                next: None,
                interval: base,
                throttled: 0,
            }),
        }
    }

    /// Books the next read's turn: when it may start. `None` when that would be at or
    /// after `stop`: the read is not started, and neither is any later one (turns only
    /// move forward). Booking is immediate, so turns go in the order they are booked.
    pub(super) fn book(&self, stop: Option<Instant>) -> Option<Instant> {
        let mut state = self.state();
        let now = Instant::now();
        let slot = state.next.map_or(now, |next| next.max(now));
        if stop.is_some_and(|stop| slot >= stop) {
            return None;
        }
        state.next = Some(slot + state.interval);
        Some(slot)
    }

    /// CodePipeline throttled a read: twice the interval, up to the slowest pace, and the
    /// next read waits for the new interval.
    pub(super) fn throttled(&self) {
        let mut state = self.state();
        state.throttled += 1;
        state.interval = (state.interval * 2).min(self.base * SLOWEST);
        let later = Instant::now() + state.interval;
        state.next = Some(state.next.map_or(later, |next| next.max(later)));
    }

    /// A read went through: an eighth off the interval, down to the base.
    pub(super) fn went_through(&self) {
        let mut state = self.state();
        state.interval = (state.interval - state.interval / RECOVERY).max(self.base);
    }

    /// The interval now.
    pub(super) fn interval(&self) -> Duration {
        self.state().interval
    }

    /// How many reads were throttled.
    pub(super) fn throttled_reads(&self) -> usize {
        self.state().throttled
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the numbers half-written (each is
        // one assignment), so a poisoned lock is still a usable one.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(100);

    /// Books a turn and waits for it, as a read does.
    async fn turn(pacer: &Pacer, stop: Option<Instant>) -> bool {
        match pacer.book(stop) {
            Some(slot) => {
                tokio::time::sleep_until(slot).await;
                true
            }
            None => false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn reads_are_spaced_by_the_interval_and_the_first_goes_at_once() {
        let pacer = Pacer::new(BASE);
        let start = Instant::now();
        for _ in 0..10 {
            assert!(turn(&pacer, None).await);
        }
        // Ten turns: the first at once, then nine intervals.
        assert_eq!(start.elapsed(), BASE * 9);
    }

    #[tokio::test(start_paused = true)]
    async fn no_turn_is_given_at_or_after_the_stop() {
        let pacer = Pacer::new(BASE);
        let start = Instant::now();
        let stop = start + Duration::from_millis(450);
        let mut turns = 0;
        while turn(&pacer, Some(stop)).await {
            turns += 1;
        }
        // At 0, 100, 200, 300 and 400 ms; the one at 500 would be past the stop.
        assert_eq!(turns, 5);
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        assert!(
            !turn(&pacer, Some(stop)).await,
            "later turns are refused too"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(400),
            "without waiting"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_doubles_the_interval_up_to_the_slowest_pace() {
        let pacer = Pacer::new(BASE);
        pacer.throttled();
        assert_eq!(pacer.interval(), BASE * 2);
        pacer.throttled();
        assert_eq!(pacer.interval(), BASE * 4);
        for _ in 0..10 {
            pacer.throttled();
        }
        assert_eq!(pacer.interval(), BASE * SLOWEST);
        assert_eq!(pacer.throttled_reads(), 12);
    }

    #[tokio::test(start_paused = true)]
    async fn after_throttling_the_next_read_waits_the_longer_interval() {
        let pacer = Pacer::new(BASE);
        assert!(turn(&pacer, None).await);
        let throttled_at = Instant::now();
        pacer.throttled();
        assert!(turn(&pacer, None).await);
        assert_eq!(throttled_at.elapsed(), BASE * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn reads_that_go_through_bring_the_pace_back_gradually() {
        let pacer = Pacer::new(BASE);
        for _ in 0..5 {
            pacer.throttled();
        }
        let slow = pacer.interval();
        assert_eq!(slow, BASE * 32);
        pacer.went_through();
        assert_eq!(pacer.interval(), slow - slow / 8, "one eighth off");
        let mut reads = 1;
        while pacer.interval() > BASE {
            pacer.went_through();
            reads += 1;
        }
        assert!(
            (20..=30).contains(&reads),
            "back to the base after {reads} reads"
        );
        pacer.went_through();
        assert_eq!(pacer.interval(), BASE, "never faster than the base");
    }
}
