//! The gate's ports, bundled: one trait with an associated type per port, so that a new
//! port touches this trait and the one generic type that implements it, not every
//! signature of the gate.

use std::marker::PhantomData;

use crate::conditions::{Alarms, Calendars, Unavailable};
use crate::pipeline::Pipelines;
use crate::report::DecisionTopic;

/// What the gate reads and writes through: CodePipeline, the decision topic, CloudWatch
/// alarms and Change Calendars. A port the policy does not use may be [`Unavailable`]:
/// its reads fail, so a check that needs it fails rather than passes.
pub trait Ports {
    type Pipelines: Pipelines;
    type Topic: DecisionTopic;
    type Alarms: Alarms;
    type Calendars: Calendars;
}

/// A set of ports named by their types: the AWS adapters in the function, the fakes in the
/// tests, the files in `approval-gate-cli`. It is never built, only named.
pub struct Adapters<P, T, A = Unavailable, K = Unavailable>(PhantomData<Named<P, T, A, K>>);

/// The types an [`Adapters`] names, without owning any: `fn() -> …` keeps it `Send`,
/// `Sync` and free of drop checks whatever they are.
type Named<P, T, A, K> = fn() -> (P, T, A, K);

impl<P: Pipelines, T: DecisionTopic, A: Alarms, K: Calendars> Ports for Adapters<P, T, A, K> {
    type Pipelines = P;
    type Topic = T;
    type Alarms = A;
    type Calendars = K;
}
