//! The Lambda entry point: logging, configuration and clients once, then the handler.

// No reachable panic on input: errors are values here, and tests may unwrap.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use approval_gate::aws::{self, CloudWatch, CodePipeline, SnsDecisionTopic, Ssm};
use approval_gate::config::{Config, ConfigError};
use approval_gate::handler::Gate;
use approval_gate::metrics;
use jiff::Timestamp;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    approval_gate::logging::init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(error = %error, error_type = error.error_type(), "the function will not start");
            report_init_error(&error).await;
            return Err(error.into());
        }
    };
    tracing::info!(
        target: approval_gate::logging::AUDIT,
        rules = config.policy.rules.len(),
        // Off: the policy was not read, and every invocation only logs that the gate is off.
        off = config.settings.off,
        dry_run = config.settings.dry_run,
        decision_topic = config.decision_topic_arn.is_some(),
        "approval-gate ready"
    );

    let sdk = aws::load_sdk_config().await;
    let decisions = config
        .decision_topic_arn
        .map(|arn| SnsDecisionTopic::new(&sdk, arn));
    let gate = Gate::new(
        config.policy,
        config.settings,
        CodePipeline::new(&sdk),
        decisions,
    )
    // Cheap: the clients share the one configuration and connect on first use.
    .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk));
    let gate = &gate;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let response = gate.handle(&event.payload).await;
            if let Ok(response) = &response {
                let invocation = metrics::Invocation {
                    response,
                    read_retries: gate.take_read_retries(),
                };
                metrics::emit(
                    invocation,
                    &gate.settings().metrics_namespace,
                    Timestamp::now(),
                );
            }
            response
        },
    ))
    .await
}

/// Tells the Lambda service why init failed, so the console and the invoke response show
/// the exact policy error instead of a bare exit code.
async fn report_init_error(error: &ConfigError) {
    let Ok(body) = serde_json::to_vec(&Diagnostic {
        error_type: error.error_type().into(),
        error_message: error.to_string(),
    }) else {
        return;
    };
    let client = lambda_runtime_api_client::PooledClient::builder().build();
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", error.error_type())
        .body(lambda_runtime_api_client::body::Body::from(body));
    if let Ok(request) = request
        && let Err(report_error) = client.call(request).await
    {
        tracing::warn!(error = %report_error, "could not report the init error to the runtime API");
    }
}
