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

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

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

/// CloudWatch extracts a line only if each dimension value is 1 to 1,024 characters of
/// printable ASCII.
pub const MAX_DIMENSION_CHARS: usize = 1024;

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
                ("SweepIsolated", "Count", sweep.isolated as f64),
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
    let rule = report
        .rule
        .as_deref()
        .map_or_else(|| NO_RULE.to_owned(), dimension_value);
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

/// A rule's name as a dimension value CloudWatch accepts: 1 to 1,024 characters of
/// printable ASCII (space to `~`). A name of printable ASCII without a backslash, and short
/// enough, is kept as written. In any other name each other character becomes its escape
/// `\u{...}` and a backslash `\\`, so distinct names stay distinct: "Freigabe nach
/// Prüfung ✓" is `Freigabe nach Pr\u{fc}fung \u{2713}`. A value still longer than 1,024
/// characters keeps its first 1,007 and ends in `~` and 16 hex digits of a hash of the
/// whole name, so long names that share a start stay apart too.
pub fn dimension_value(name: &str) -> String {
    let is_kept = |c: char| c == ' ' || c.is_ascii_graphic();
    let as_written = |c: char| is_kept(c) && c != '\\';
    if !name.is_empty() && name.len() <= MAX_DIMENSION_CHARS && name.chars().all(as_written) {
        return name.to_owned();
    }
    let mut escaped = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            c if is_kept(c) => escaped.push(c),
            c => escaped.extend(c.escape_unicode()),
        }
    }
    if escaped.is_empty() {
        return NO_RULE.to_owned();
    }
    if escaped.len() <= MAX_DIMENSION_CHARS {
        return escaped;
    }
    // Every character of `escaped` is ASCII, so characters and bytes are the same here.
    let hash = format!("~{:016x}", names::fnv1a(name.as_bytes()));
    let mut cut: String = escaped
        .chars()
        .take(MAX_DIMENSION_CHARS - hash.len())
        .collect();
    cut.push_str(&hash);
    cut
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
