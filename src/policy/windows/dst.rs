//! Daylight saving: from a time on the rule's clock to the instants it names, when the clock
//! repeats an hour (fall back) or skips one (spring forward).

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

#[derive(Clone, Copy)]
pub(super) enum Side {
    Earliest,
    Latest,
}

/// Whether `now` is inside the real-time span of a recurring freeze that runs from `start`
/// to `end` on the clock: from the earliest instant of `start` to the latest of `end`, as a
/// one-off freeze resolves its bounds. Fails closed: a span that cannot be placed is in force.
pub(super) fn in_span(
    zone: &TimeZone,
    now: Timestamp,
    start: Option<DateTime>,
    end: Option<DateTime>,
) -> bool {
    let from = start.and_then(|start| resolve(zone, start, Side::Earliest));
    let to = end.and_then(|end| resolve(zone, end, Side::Latest));
    match (from, to) {
        (Some(from), Some(to)) => from <= now && now < to,
        _ => true,
    }
}

/// The instant a local date-time names, choosing a side when the clock repeats it and the
/// end of the gap when the clock skips it.
pub(super) fn resolve(zone: &TimeZone, civil: DateTime, side: Side) -> Option<Timestamp> {
    match zone.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(civil).ok(),
        AmbiguousOffset::Fold { before, after } => match side {
            Side::Earliest => before.to_timestamp(civil).ok(),
            Side::Latest => after.to_timestamp(civil).ok(),
        },
        AmbiguousOffset::Gap { after, .. } => gap_end(zone, civil, after),
    }
}

/// Read with the later offset, a time inside a gap lands before the transition, so the
/// next transition from there is where the clock resumes.
fn gap_end(zone: &TimeZone, civil: DateTime, after: Offset) -> Option<Timestamp> {
    let before_gap = after.to_timestamp(civil).ok()?;
    zone.following(before_gap)
        .next()
        .map(|transition| transition.timestamp())
}

/// Every instant at which the clock reaches `civil`: two in a repeated hour, and the end of
/// the gap for a time the clock skips.
pub(super) fn occurrences(zone: &TimeZone, civil: DateTime) -> Vec<Timestamp> {
    match zone.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => {
            offset.to_timestamp(civil).ok().into_iter().collect()
        }
        AmbiguousOffset::Fold { before, after } => [before, after]
            .into_iter()
            .filter_map(|offset| offset.to_timestamp(civil).ok())
            .collect(),
        AmbiguousOffset::Gap { after, .. } => gap_end(zone, civil, after).into_iter().collect(),
    }
}
