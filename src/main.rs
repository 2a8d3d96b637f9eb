//! The Lambda entry point: logging, configuration and clients once, then the handler.

// No reachable panic on input: errors are values here, and tests may unwrap. Text is
// never sliced by a byte index (`names::split_at_char` is the one place that cuts it).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::string_slice
    )
)]

use approval_gate::aws::{
    self, AppConfigPolicy, CloudWatch, CodePipeline, Lambda, Scheduler, SnsDecisionTopic, Ssm,
};
use approval_gate::config::{Config, ConfigError};
use approval_gate::handler::{Gate, isolate_or_fail};
use approval_gate::live_policy::LivePolicy;
use approval_gate::metrics;
use jiff::Timestamp;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    approval_gate::logging::init();
    approval_gate::handler::log_panics();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(error = %error, error_type = error.error_type(), "the function will not start");
            report_init_error(&error).await;
            return Err(error.into());
        }
    };
    let sdk = aws::load_sdk_config().await;
    // A policy in AppConfig is read now, and refreshed before later invocations; one that
    // cannot be read or is invalid stops the function, as an invalid GATE_POLICY does.
    let mut live = None;
    let mut policy = config.policy;
    if let Some(setting) = config.appconfig {
        let source = AppConfigPolicy::new(
            &sdk,
            setting.application.clone(),
            setting.environment.clone(),
            setting.profile.clone(),
            setting.refresh_every,
        );
        match LivePolicy::load(
            source,
            setting.location(),
            setting.refresh_every,
            jiff::Timestamp::now,
        )
        .await
        {
            Ok(loaded) => {
                policy = loaded.policy().as_ref().clone();
                live = Some(loaded);
            }
            Err(error) => {
                let error = ConfigError::from(error);
                tracing::error!(error = %error, error_type = error.error_type(), "the function will not start");
                report_init_error(&error).await;
                return Err(error.into());
            }
        }
    }
    tracing::info!(
        target: approval_gate::logging::AUDIT,
        rules = policy.rules.len(),
        appconfig = live.is_some(),
        // Off: the policy was not read, and every invocation only logs that the gate is off.
        off = config.settings.off,
        dry_run = config.settings.dry_run,
        decision_topic = config.decision_topic_arn.is_some(),
        wake_ups = config.wakeups.is_some(),
        "approval-gate ready"
    );

    let decisions = config
        .decision_topic_arn
        .map(|arn| SnsDecisionTopic::new(&sdk, arn));
    // Without a schedule group, no wake-up is scheduled: the sweep decides deferrals again.
    let scheduler = config.wakeups.map(|setting| Scheduler::new(&sdk, setting));
    let gate = Gate::new(policy, config.settings, CodePipeline::new(&sdk), decisions)
        // Cheap: the clients share the one configuration and connect on first use.
        .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk))
        .with_wakeups(scheduler.clone())
        .with_functions(Lambda::new(&sdk));
    // Lambda runs one invocation at a time per process: the lock is never contended.
    let gate = tokio::sync::Mutex::new(gate);
    let live = tokio::sync::Mutex::new(live);
    let (gate, live, scheduler) = (&gate, &live, &scheduler);
    lambda_runtime::run(service_fn(
        // Raw JSON: the gate reads it, so an event it cannot read is dropped, not failed.
        move |event: LambdaEvent<Box<serde_json::value::RawValue>>| async move {
            let mut gate = gate.lock().await;
            if let Some(scheduler) = scheduler {
                scheduler.invoke_as(&event.context.invoked_function_arn);
            }
            if let Some(live) = live.lock().await.as_mut() {
                gate.use_policy(live.current().await);
            }
            // Lambda always sends the deadline; 0 (the runtime's default) would mean none was.
            let deadline = (event.context.deadline > 0).then(|| event.context.deadline());
            // The last bulkhead: a panic anywhere else in the invocation fails it with a
            // stable error, not with the panic's message (which can quote a token).
            let response =
                isolate_or_fail("the event", gate.handle_raw(&event.payload, deadline)).await;
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
