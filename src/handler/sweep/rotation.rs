//! Where a sweep starts reading, so that sweeps cut short by their deadline still reach
//! every covered pipeline in turn, without any state kept between sweeps.
//!
//! The covered pipelines, sorted by name, form a ring of `n`. A sweep plans to read at
//! least `C` of them (its planned capacity, from its time and pace). The ring is cut into
//! `m = ceil(n / C)` segments of `ceil(n / m)` pipelines (the last may be shorter); the
//! sweep numbered `k` (its scheduled time over the sweep period) starts at the first
//! pipeline of segment `k mod m` and reads onward around the ring until it must stop.
//!
//! The guarantee: when every sweep reads at least its own segment, every covered pipeline
//! is read in any `m` consecutive sweeps, because those start at `m` different segments
//! that together make the ring. That holds while `n` and `C` do not change; when they do
//! (a pipeline created, a different timeout), the segments move and one round may miss a
//! few pipelines at the segments' edges, which the next round reads.

use std::time::Duration;

use jiff::Timestamp;

/// Where this sweep starts, and how many sweeps make a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rotation {
    /// Sweeps in a round (`m`): every pipeline is read in any this many consecutive sweeps.
    pub(super) segments: usize,
    /// Pipelines in a segment: what this sweep must read for the guarantee to hold.
    pub(super) segment_len: usize,
    /// Where in the sorted list this sweep starts.
    pub(super) start: usize,
}

impl Rotation {
    /// The plan for `count` pipelines, a sweep that can read `capacity` of them (`None`:
    /// as many as there are), and the sweep numbered `sweep`.
    pub(super) fn plan(count: usize, capacity: Option<usize>, sweep: u64) -> Self {
        let segments = match capacity {
            Some(capacity) => count.div_ceil(capacity.max(1)).max(1),
            None => 1,
        };
        let segment_len = count.div_ceil(segments);
        // Fewer segments than `u64::MAX`, so the remainder is a segment index; the start
        // is below `count` (`(m - 1) * ceil(n / m) < n`), taken modulo to be sure.
        let segment = usize::try_from(sweep % segments as u64).unwrap_or(0);
        let start = (segment * segment_len).checked_rem(count).unwrap_or(0);
        Self {
            segments,
            segment_len,
            start,
        }
    }

    /// The pipelines in the order this sweep reads them: from its start around the ring.
    pub(super) fn order<T>(&self, mut sorted: Vec<T>) -> Vec<T> {
        if self.start < sorted.len() {
            sorted.rotate_left(self.start);
        }
        sorted
    }
}

/// The sweep's number: its scheduled time over the sweep period. Consecutive scheduled
/// sweeps, `every` apart, get consecutive numbers; a retried invocation carries the same
/// time and so reads the same segment again.
pub(super) fn sweep_number(time: Timestamp, every: Duration) -> u64 {
    let every = i64::try_from(every.as_secs()).unwrap_or(i64::MAX).max(1);
    u64::try_from(time.as_second().div_euclid(every)).unwrap_or(0)
}

/// How many pipelines a sweep plans to read in `window` at one read per `interval`: half
/// of what the pace allows, leaving room for reads slowed by throttling and for the
/// approvals' own reads and answers. At least one.
pub(super) fn planned_capacity(window: Duration, interval: Duration) -> usize {
    let reads = window.as_millis() / interval.as_millis().max(1);
    usize::try_from(reads / 2).unwrap_or(usize::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_capacity_a_sweep_reads_everything_from_the_start() {
        let rotation = Rotation::plan(3000, None, 12345);
        assert_eq!(
            rotation,
            Rotation {
                segments: 1,
                segment_len: 3000,
                start: 0
            }
        );
        assert_eq!(rotation.order(vec![1, 2, 3]), vec![1, 2, 3]);
    }

    #[test]
    fn a_capacity_cuts_the_ring_into_equal_segments_taken_in_turn() {
        // 3,000 pipelines, 500 a sweep: six segments of 500.
        let starts: Vec<usize> = (0..8)
            .map(|sweep| Rotation::plan(3000, Some(500), sweep).start)
            .collect();
        assert_eq!(starts, vec![0, 500, 1000, 1500, 2000, 2500, 0, 500]);
        assert_eq!(Rotation::plan(3000, Some(500), 7).segments, 6);
        // 1,001 pipelines, 500 a sweep: three segments of 334, so each sweep's share is
        // less than it can read.
        let rotation = Rotation::plan(1001, Some(500), 2);
        assert_eq!((rotation.segments, rotation.segment_len), (3, 334));
        assert_eq!(rotation.start, 668);
    }

    #[test]
    fn any_round_of_consecutive_sweeps_reading_their_segment_reads_every_pipeline() {
        for count in [1, 2, 7, 499, 500, 501, 1000, 1001, 2999, 3000, 5003] {
            for capacity in [1, 3, 100, 333, 500, 1000, 6000] {
                let segments = Rotation::plan(count, Some(capacity), 0).segments;
                assert!(segments <= count.div_ceil(capacity));
                // A round starting anywhere, each sweep reading only its segment's length.
                for first in [0, 1, 5, 1_000_003] {
                    let mut read = vec![false; count];
                    for sweep in first..first + segments as u64 {
                        let rotation = Rotation::plan(count, Some(capacity), sweep);
                        assert!(rotation.segment_len <= capacity);
                        // The first `segment_len` pipelines of `order`.
                        for i in 0..rotation.segment_len {
                            read[(rotation.start + i) % count] = true;
                        }
                    }
                    assert!(
                        read.iter().all(|&read| read),
                        "{count} pipelines, {capacity} a sweep, from sweep {first}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_order_goes_round_the_ring_from_the_start() {
        let rotation = Rotation::plan(5, Some(2), 1);
        assert_eq!(rotation.start, 2);
        assert_eq!(
            rotation.order(vec!['a', 'b', 'c', 'd', 'e']),
            vec!['c', 'd', 'e', 'a', 'b']
        );
        assert!(
            Rotation::plan(0, Some(2), 1)
                .order(Vec::<char>::new())
                .is_empty()
        );
    }

    #[test]
    fn scheduled_sweeps_a_period_apart_get_consecutive_numbers() {
        let every = Duration::from_secs(300);
        let first: Timestamp = "2026-11-26T15:30:00Z".parse().unwrap();
        let numbers: Vec<u64> = (0..4)
            .map(|i| sweep_number(first + jiff::SignedDuration::from_mins(5 * i), every))
            .collect();
        assert_eq!(numbers[1], numbers[0] + 1);
        assert_eq!(numbers[3], numbers[0] + 3);
        // Seconds late within the period change nothing.
        let late: Timestamp = "2026-11-26T15:30:41Z".parse().unwrap();
        assert_eq!(sweep_number(late, every), numbers[0]);
        // Before 1970 (a forged time) is sweep 0, not a panic.
        assert_eq!(
            sweep_number("1960-01-01T00:00:00Z".parse().unwrap(), every),
            0
        );
    }

    #[test]
    fn the_plan_is_half_of_what_the_pace_allows() {
        // The default: 120 s, 20 s margin, 10 reads a second.
        assert_eq!(
            planned_capacity(Duration::from_secs(100), Duration::from_millis(100)),
            500
        );
        assert_eq!(
            planned_capacity(Duration::from_secs(100), Duration::from_millis(50)),
            1000
        );
        assert_eq!(
            planned_capacity(Duration::ZERO, Duration::from_millis(100)),
            1
        );
    }
}
