//! The subscriber: Lambda's log level for everything the gate says, except that the audit
//! lines always get through and the runtime, SDK and HTTP crates never log below INFO.
//!
//! Below INFO those crates log whole invocation events and request and response bodies,
//! which carry the approval token. A more specific directive wins in an `EnvFilter`
//! (`lambda_runtime::layers=trace` beats `lambda_runtime=info`), so the cap cannot be one
//! of the user's directives: it is a second filter, applied after them, that no directive
//! reaches. The audit trail (start, decisions, sweeps) is not the level's to silence
//! either: it passes at INFO and above whatever the directive says.
//!
//! The whole filter is `(user directive OR audit at INFO+) AND cap`.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{FilterExt, LevelFilter, ParseError, filter_fn};
use tracing_subscriber::layer::{Filter, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The target of the audit lines: the start line, one `decision` line per record and the
/// `sweep` line. They are logged at INFO (WARN for dropped records) whatever the level.
pub const AUDIT: &str = "approval_gate::audit";

/// Crates that log the token below INFO: the Lambda runtime (whole events), the AWS SDK
/// (request and response bodies) and the HTTP and TLS stack under it. Every `aws_*` crate
/// counts, so an SDK crate added later is held too.
const CAPPED_CRATES: &[&str] = &[
    "lambda_runtime",
    "lambda_runtime_api_client",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "tower",
    "reqwest",
];
const CAPPED_PREFIX: &str = "aws_";

/// Installs the subscriber: the level from `AWS_LAMBDA_LOG_LEVEL` or else `RUST_LOG`
/// (INFO by default), JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, no time (CloudWatch adds
/// it) and no target. Call once, at start.
pub fn init() {
    let directives = chosen_directives(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok(),
        std::env::var("RUST_LOG").ok(),
    );
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let registry = tracing_subscriber::registry();
    if json {
        registry
            .with(logs.json().with_filter(filter(&directives)))
            .init();
    } else {
        registry.with(logs.with_filter(filter(&directives))).init();
    }
    if let Err(error) = user_filter(&directives) {
        tracing::warn!(error = %error, "the log level is not understood; logging at INFO");
    }
}

/// The filter for a log level or `EnvFilter` directives (`WARN`, `debug`,
/// `approval_gate=debug,info`): `(directives OR audit at INFO+) AND cap`. Directives that
/// do not parse mean INFO.
pub fn filter<S>(directives: &str) -> impl Filter<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let user = user_filter(directives).unwrap_or_else(|_| level_filter(LevelFilter::INFO));
    // The hints let callsites below every level in use stay disabled without a lookup.
    let audit =
        filter_fn(|meta: &Metadata<'_>| meta.target() == AUDIT && *meta.level() <= Level::INFO)
            .with_max_level_hint(LevelFilter::INFO);
    let cap =
        filter_fn(|meta: &Metadata<'_>| !is_capped(meta.target()) || *meta.level() <= Level::INFO)
            .with_max_level_hint(LevelFilter::TRACE);
    // The user's filter comes first: it records per-callsite state when asked, and `and`
    // asks its second operand only when the first is interested.
    user.or(audit).and(cap)
}

/// `AWS_LAMBDA_LOG_LEVEL` first (Lambda's advanced logging controls set it), then
/// `RUST_LOG`; an empty value counts as unset.
fn chosen_directives(lambda_level: Option<String>, rust_log: Option<String>) -> String {
    [lambda_level, rust_log]
        .into_iter()
        .flatten()
        .find(|value| !value.trim().is_empty())
        .unwrap_or_default()
}

/// Lambda's levels (including `FATAL`, which tracing calls ERROR) or `EnvFilter`
/// directives. Field values are matched literally: a regex from the environment buys
/// nothing here and costs compile time.
fn user_filter(directives: &str) -> Result<EnvFilter, ParseError> {
    let trimmed = directives.trim();
    if trimmed.eq_ignore_ascii_case("fatal") {
        return Ok(level_filter(LevelFilter::ERROR));
    }
    EnvFilter::builder()
        .with_regex(false)
        .with_default_directive(LevelFilter::INFO.into())
        .parse(trimmed)
}

fn level_filter(level: LevelFilter) -> EnvFilter {
    EnvFilter::default().add_directive(level.into())
}

/// Whether `target` belongs to a capped crate: its first path segment is one of
/// [`CAPPED_CRATES`] or starts with [`CAPPED_PREFIX`] (`aws_smithy_runtime::client` is,
/// `hyperion` and `approval_gate` are not).
fn is_capped(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    krate.starts_with(CAPPED_PREFIX) || CAPPED_CRATES.contains(&krate)
}

#[cfg(test)]
mod tests;
