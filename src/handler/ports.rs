//! The gate's ports, bundled: one trait with an associated type per port, so that a new
//! port touches this trait and the one generic type that implements it, not every
//! signature of the gate.

use std::marker::PhantomData;

use crate::check_function::CheckFunctions;
use crate::conditions::{Alarms, Calendars, Unavailable};
use crate::pipeline::Pipelines;
use crate::report::DecisionTopic;
use crate::wakeups::Wakeups;

/// What the gate reads and writes through: CodePipeline, the decision topic, CloudWatch
/// alarms, Change Calendars, the Scheduler that wakes deferred approvals and the Lambda
/// functions rules ask. A port the
/// policy does not use may be [`Unavailable`]: its reads fail, so a check that needs it
/// fails rather than passes, and no wake-up is scheduled (the sweep decides instead).
pub trait Ports {
    type Pipelines: Pipelines;
    type Topic: DecisionTopic;
    type Alarms: Alarms;
    type Calendars: Calendars;
    type Wakeups: Wakeups;
    type Functions: CheckFunctions;
}

/// A set of ports named by their types: the AWS adapters in the function, the fakes in the
/// tests, the files in `approval-gate-cli`. It is never built, only named.
pub struct Adapters<P, T, A = Unavailable, K = Unavailable, W = Unavailable, F = Unavailable>(
    PhantomData<Named<P, T, A, K, W, F>>,
);

/// The types an [`Adapters`] names, without owning any: `fn() -> …` keeps it `Send`,
/// `Sync` and free of drop checks whatever they are.
type Named<P, T, A, K, W, F> = fn() -> (P, T, A, K, W, F);

impl<P: Pipelines, T: DecisionTopic, A: Alarms, K: Calendars, W: Wakeups, F: CheckFunctions> Ports
    for Adapters<P, T, A, K, W, F>
{
    type Pipelines = P;
    type Topic = T;
    type Alarms = A;
    type Calendars = K;
    type Wakeups = W;
    type Functions = F;
}

/// `E`'s ports with other alarms and calendars ([`Gate::with_conditions`](super::Gate::with_conditions)).
pub type WithConditions<E, A, K> = Adapters<
    <E as Ports>::Pipelines,
    <E as Ports>::Topic,
    A,
    K,
    <E as Ports>::Wakeups,
    <E as Ports>::Functions,
>;

/// `E`'s ports with another scheduler ([`Gate::with_wakeups`](super::Gate::with_wakeups)).
pub type WithWakeups<E, W> = Adapters<
    <E as Ports>::Pipelines,
    <E as Ports>::Topic,
    <E as Ports>::Alarms,
    <E as Ports>::Calendars,
    W,
    <E as Ports>::Functions,
>;

/// `E`'s ports with other check functions ([`Gate::with_functions`](super::Gate::with_functions)).
pub type WithFunctions<E, F> = Adapters<
    <E as Ports>::Pipelines,
    <E as Ports>::Topic,
    <E as Ports>::Alarms,
    <E as Ports>::Calendars,
    <E as Ports>::Wakeups,
    F,
>;
