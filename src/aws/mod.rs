//! The AWS adapters: SDK types are converted to the project's own types here and nowhere
//! else, and every SDK error is classified once, as final or worth retrying.

mod codepipeline;
mod sns;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};

pub use codepipeline::CodePipeline;
pub use sns::SnsDecisionTopic;

/// Explicit limits, so a hung connection costs seconds, not the whole Lambda timeout.
/// Throttling and transient errors are retried by the SDK's standard strategy (with
/// backoff and jitter) before the invocation gives up and Lambda retries it.
pub fn configure(loader: ConfigLoader) -> ConfigLoader {
    loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .read_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(15))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(4))
}

/// The SDK configuration for the function: credentials and region from the Lambda
/// environment, endpoints overridable with `AWS_ENDPOINT_URL` (used by the local stand-in).
pub async fn load_sdk_config() -> SdkConfig {
    configure(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await
}

fn timestamp(time: &aws_smithy_types::DateTime) -> Option<jiff::Timestamp> {
    jiff::Timestamp::new(time.secs(), i32::try_from(time.subsec_nanos()).ok()?).ok()
}
