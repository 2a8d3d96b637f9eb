//! CloudWatch metrics in the Embedded Metric Format: after each invocation, one JSON line
//! on stdout per decision and one for a sweep. Lambda's log pipeline turns them into
//! metrics, so there is no PutMetricData call and no permission for it.
//!
//! Dimensions are low-cardinality only: the verdict, the answer and the rule. Tokens,
//! execution ids and pipeline names never become dimensions (a pipeline name would make
//! one metric series per pipeline); the log line of the decision carries those.
//!
//! The documents are built from the invocation's [`Response`], a pure function of it and
//! the clock, so what is measured is exactly what was reported.

use std::io::Write;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::handler::Response;
use crate::names;
use crate::report::{Answer, Report};

/// The namespace when `GATE_METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "ApprovalGate";

/// The dimension value of a record no rule decided (stale, dropped, no rule matched).
const NO_RULE: &str = "(none)";

/// CloudWatch keeps dimension values up to 1024 characters; rule names are shorter in any
/// sensible policy, and a cut keeps a long one a valid dimension.
const MAX_DIMENSION_CHARS: usize = 250;

/// What one invocation measured: its response, and how often it read a pipeline's state
/// again because the state did not show the notice's token yet.
#[derive(Clone, Copy, Debug)]
pub struct Invocation<'a> {
    pub response: &'a Response,
    pub read_retries: usize,
}

/// The EMF documents of one invocation, at `now`.
pub fn documents(invocation: Invocation<'_>, namespace: &str, now: Timestamp) -> Vec<Value> {
    let response = invocation.response;
    let mut documents: Vec<Value> = response
        .records
        .iter()
        .map(|report| decision(report, namespace, now))
        .collect();
    if let Some(sweep) = &response.sweep {
        documents.push(document(
            namespace,
            now,
            &[],
            Map::new(),
            &[
                ("SweepPipelines", "Count", sweep.pipelines as f64),
                ("SweepCovered", "Count", sweep.covered as f64),
                ("SweepLeft", "Count", sweep.left as f64),
                ("SweepThrottled", "Count", sweep.throttled as f64),
                ("SweepPending", "Count", sweep.pending as f64),
                ("SweepAnswered", "Count", sweep.answered as f64),
                ("SweepFailures", "Count", sweep.failures.len() as f64),
            ],
        ));
    }
    if invocation.read_retries > 0 {
        documents.push(document(
            namespace,
            now,
            &[],
            Map::new(),
            &[("ReadRetries", "Count", invocation.read_retries as f64)],
        ));
    }
    documents
}

/// Writes the documents of an invocation to stdout, one line each. A failed write loses
/// metrics, never a decision: it is logged and the invocation goes on.
pub fn emit(invocation: Invocation<'_>, namespace: &str, now: Timestamp) {
    let mut out = std::io::stdout().lock();
    for document in documents(invocation, namespace, now) {
        if let Err(error) = writeln!(out, "{document}") {
            tracing::warn!(error = %error, "metrics not written");
            return;
        }
    }
}

/// One decision: counted by verdict, by answer and by rule; for an answer sent, the time
/// from the notice's publication (the SNS timestamp) to now, shortly after the answer.
fn decision(report: &Report, namespace: &str, now: Timestamp) -> Value {
    let rule = report.rule.as_deref().map_or_else(
        || NO_RULE.to_owned(),
        |rule| names::printable(rule, MAX_DIMENSION_CHARS),
    );
    let mut dimensions = Map::new();
    dimensions.insert("Verdict".into(), report.outcome.as_str().into());
    dimensions.insert("Answer".into(), report.answer.as_str().into());
    dimensions.insert("Rule".into(), rule.into());
    let mut metrics = vec![("Decisions", "Count", 1.0)];
    if report.answer == Answer::Sent
        && let Some(published) = report.published
    {
        let latency = now.duration_since(published).as_millis_f64().max(0.0);
        metrics.push(("AnswerLatency", "Milliseconds", latency));
    }
    document(
        namespace,
        now,
        &[&["Verdict"], &["Answer"], &["Rule"]],
        dimensions,
        &metrics,
    )
}

/// An EMF document: the `_aws` metadata naming the metrics and their dimension sets, with
/// the dimension values and the metric values beside it.
fn document(
    namespace: &str,
    now: Timestamp,
    dimension_sets: &[&[&str]],
    mut fields: Map<String, Value>,
    metrics: &[(&str, &str, f64)],
) -> Value {
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    let dimension_sets: Vec<&[&str]> = if dimension_sets.is_empty() {
        vec![&[]]
    } else {
        dimension_sets.to_vec()
    };
    fields.insert(
        "_aws".into(),
        json!({
            "Timestamp": now.as_millisecond(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": dimension_sets,
                "Metrics": definitions,
            }],
        }),
    );
    for (name, _, value) in metrics {
        fields.insert((*name).into(), json!(value));
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests;
