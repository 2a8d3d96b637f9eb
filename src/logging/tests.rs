use std::io;
use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt;

use super::*;

const SECRET: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";

/// Directives a user might set, by mistake or to see everything.
const HOSTILE: &[&str] = &[
    "trace",
    "TRACE",
    "lambda_runtime::layers=trace",
    "aws_smithy_runtime::client::orchestrator::http=trace",
    "[{token}]=trace",
    "[invocation]=trace",
    "off",
    "error",
    "warn",
    "aws_smithy_runtime=trace,lambda_runtime=trace",
    "=trace",
    ",,,",
    "h2=trace,hyper=trace,rustls=trace",
    "approval_gate=off",
    "approval_gate::audit=off",
    "approval_gate::audit=off,off",
    "lambda_runtime=trace,aws_sdk_codepipeline=trace,aws_config=trace,trace",
    "\u{1F4A5}ü\u{0}[{=]}=läuft,☃=\u{202E}",
    "\u{1F4A5}\u{202E}ü",
];

/// Targets that log the token below INFO in the real crates, or would if they did.
macro_rules! each_capped_target {
    ($emit:ident) => {
        $emit!("lambda_runtime");
        $emit!("lambda_runtime::layers::trace");
        $emit!("lambda_runtime_api_client");
        $emit!("aws_smithy_runtime::client::orchestrator::http");
        $emit!("aws_smithy_http_client::hyper_legacy");
        $emit!("aws_sdk_codepipeline::operation::get_pipeline_state");
        $emit!("aws_config::profile");
        $emit!("aws_runtime::user_agent");
        $emit!("aws_credential_types::provider");
        $emit!("aws_sigv4::http_request::sign");
        $emit!("aws_types");
        $emit!("hyper::proto::h1::io");
        $emit!("hyper_util::client::legacy::pool");
        $emit!("h2::codec");
        $emit!("rustls::client::hs");
        $emit!("tower::buffer");
        $emit!("reqwest::connect");
    };
}

/// What one invocation might log: the capped crates at every level below INFO (events and
/// spans carrying the token), the gate's own lines, and an audit line, all inside a span
/// with a `token` field that a directive can select.
fn emit_everything() {
    macro_rules! below_info {
        ($target:literal) => {
            tracing::trace!(target: $target, body = SECRET, "event {SECRET}");
            tracing::debug!(target: $target, body = SECRET, "event {SECRET}");
            tracing::trace_span!(target: $target, "send", body = SECRET).in_scope(|| {
                tracing::info!(target: "approval_gate::handler", "inside a runtime span");
            });
            tracing::debug_span!(target: $target, "send", body = SECRET).in_scope(|| {
                tracing::info!(target: "approval_gate::handler", "inside a runtime span");
            });
        };
    }
    tracing::info_span!(target: "approval_gate::handler", "invocation", token = "<redacted>")
        .in_scope(|| {
            each_capped_target!(below_info);
            tracing::info!(target: "aws_smithy_runtime::client", "runtime info line");
            tracing::debug!(target: "approval_gate::handler", "gate debug line");
            tracing::info!(target: "approval_gate::handler", "gate info line");
            tracing::warn!(target: "approval_gate::handler", "gate warn line");
            tracing::info!(target: AUDIT, verdict = "approve", "decision");
        });
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Everything [`emit_everything`] leaves in the log under `directives`.
fn logs_under(directives: &str) -> String {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_filter(filter(directives)),
    );
    tracing::subscriber::with_default(subscriber, emit_everything);
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn no_directive_lets_the_token_through() {
    for directives in HOSTILE {
        let logs = logs_under(directives);

        assert!(
            !logs.contains(SECRET),
            "{directives:?} let the token through:\n{logs}"
        );
    }
}

#[test]
fn no_directive_silences_the_audit_line() {
    for directives in HOSTILE {
        let logs = logs_under(directives);

        assert!(
            logs.contains("decision verdict=\"approve\""),
            "{directives:?} silenced the audit line:\n{logs}"
        );
    }
}

#[test]
fn the_most_verbose_directives_still_show_the_runtime_at_info() {
    for directives in [
        "trace",
        "lambda_runtime::layers=trace,trace",
        "[{token}]=trace",
    ] {
        let logs = logs_under(directives);

        assert!(logs.contains("gate debug line"), "{directives:?}:\n{logs}");
        assert!(
            logs.contains("runtime info line"),
            "{directives:?}:\n{logs}"
        );
    }
}

#[test]
fn the_gate_logs_debug_lines_at_debug() {
    for directives in ["debug", "DEBUG", "approval_gate=debug", " Debug "] {
        let logs = logs_under(directives);

        assert!(logs.contains("gate debug line"), "{directives:?}:\n{logs}");
        assert!(logs.contains("gate info line"), "{directives:?}:\n{logs}");
    }
}

#[test]
fn warn_keeps_only_warnings_and_the_audit_line() {
    let logs = logs_under("warn");

    assert!(logs.contains("gate warn line"), "{logs}");
    assert!(!logs.contains("gate debug line"), "{logs}");
    assert!(!logs.contains("gate info line"), "{logs}");
    assert!(!logs.contains("runtime info line"), "{logs}");
    assert!(logs.contains("decision"), "{logs}");
}

#[test]
fn lambda_fatal_means_error() {
    let logs = logs_under("FATAL");

    assert!(!logs.contains("gate warn line"), "{logs}");
    assert!(logs.contains("decision"), "{logs}");
}

#[test]
fn unset_or_unparsable_directives_mean_info() {
    for directives in [
        "",
        "  ",
        ",,,",
        "\u{1F4A5}ü\u{0}[{=]}=läuft,☃=\u{202E}",
        "info=loud",
    ] {
        let logs = logs_under(directives);

        assert!(logs.contains("gate info line"), "{directives:?}:\n{logs}");
        assert!(!logs.contains("gate debug line"), "{directives:?}:\n{logs}");
    }
}

#[test]
fn unparsable_directives_are_reported() {
    assert!(user_filter("\u{1F4A5}ü\u{0}[{=]}=läuft,☃=\u{202E}").is_err());
    assert!(user_filter("WARN").is_ok());
    assert!(user_filter("approval_gate=debug,info").is_ok());
}

#[test]
fn the_lambda_level_comes_before_rust_log() {
    let chosen = |lambda: Option<&str>, rust: Option<&str>| {
        chosen_directives(lambda.map(Into::into), rust.map(Into::into))
    };

    assert_eq!(chosen(Some("WARN"), Some("trace")), "WARN");
    assert_eq!(chosen(None, Some("trace")), "trace");
    assert_eq!(chosen(Some(" "), Some("debug")), "debug");
    assert_eq!(chosen(None, None), "");
}

#[test]
fn the_cap_matches_whole_crate_names() {
    for capped in [
        "aws_smithy_runtime::client::orchestrator::http",
        "aws_sdk_sns",
        "aws_config",
        "lambda_runtime",
        "lambda_runtime::layers",
        "lambda_runtime_api_client::body",
        "hyper_util",
        "h2",
    ] {
        assert!(is_capped(capped), "{capped} is not capped");
    }
    for free in [
        "approval_gate",
        AUDIT,
        "approval_gate::aws",
        "hyperion",
        "h2o",
        "lambda_runtimes",
        "my_crate::aws_sdk",
        "",
    ] {
        assert!(!is_capped(free), "{free} is capped");
    }
}
