//! The AWS adapters: SDK types are converted to the project's own types here and nowhere
//! else, and every SDK error is classified once, as final or worth retrying.

mod appconfig;
mod cloudwatch;
mod codepipeline;
mod lambda;
mod scheduler;
mod sns;
mod ssm;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_codepipeline::config::http::HttpResponse;
use aws_sdk_codepipeline::error::{ProvideErrorMetadata, SdkError};

pub use appconfig::AppConfigPolicy;
pub use cloudwatch::CloudWatch;
pub use codepipeline::CodePipeline;
pub use lambda::Lambda;
pub use scheduler::Scheduler;
pub use sns::SnsDecisionTopic;
pub use ssm::Ssm;

/// How long and how often the SDK clients try. Explicit, so that a hung connection costs
/// seconds rather than the whole Lambda timeout. Throttling and transient errors are
/// retried by the SDK's standard strategy (exponential backoff with jitter) before the
/// invocation gives up and Lambda retries it.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// One HTTP attempt, including reading the answer.
    pub attempt_timeout: Duration,
    /// All attempts of one call together.
    pub operation_timeout: Duration,
    pub max_attempts: u32,
    pub initial_backoff: Duration,
}

impl Limits {
    /// What the function runs with: within its 120 s Lambda timeout, a notice's token wait
    /// (10 s) plus its reads and answer at their worst (15 s each) leave room to report, and
    /// a sweep of a hundred paced pipelines fits too.
    pub const LAMBDA: Self = Self {
        connect_timeout: Duration::from_secs(3),
        attempt_timeout: Duration::from_secs(5),
        operation_timeout: Duration::from_secs(15),
        max_attempts: 4,
        initial_backoff: Duration::from_secs(1),
    };
}

/// Applies `limits` to an SDK configuration loader.
pub fn configure(loader: ConfigLoader, limits: Limits) -> ConfigLoader {
    loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(limits.connect_timeout)
                .operation_attempt_timeout(limits.attempt_timeout)
                .operation_timeout(limits.operation_timeout)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(limits.max_attempts)
                .with_initial_backoff(limits.initial_backoff),
        )
}

/// The SDK configuration for the function: credentials and region from the Lambda
/// environment, endpoints overridable with `AWS_ENDPOINT_URL` (how the local stand-in is
/// reached).
pub async fn load_sdk_config() -> SdkConfig {
    configure(
        aws_config::defaults(BehaviorVersion::latest()),
        Limits::LAMBDA,
    )
    .load()
    .await
}

/// What the gate keeps of a failed SDK call: what kind of failure it was, the service's
/// error code and the HTTP status. Never the service's message or the response body: a
/// service may echo the request there, and a request to answer an approval carries its
/// token.
#[derive(Debug, thiserror::Error)]
#[error("{kind}{}{}", code.as_deref().map(|code| format!(" ({code})")).unwrap_or_default(), status.map(|status| format!(", HTTP {status}")).unwrap_or_default())]
pub struct SdkFailure {
    kind: &'static str,
    code: Option<String>,
    status: Option<u16>,
}

impl SdkFailure {
    pub fn of<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Self {
        let kind = match error {
            SdkError::ConstructionFailure(_) => "the request could not be built",
            SdkError::TimeoutError(_) => "the call timed out",
            SdkError::DispatchFailure(_) => "the request could not be sent",
            SdkError::ResponseError(_) => "the answer could not be read",
            SdkError::ServiceError(_) => "the service answered with an error",
            _ => "the call failed",
        };
        Self {
            kind,
            code: error.code().map(|code| crate::names::printable(code, 80)),
            status: error
                .raw_response()
                .map(|response| response.status().as_u16()),
        }
    }
}

fn timestamp(time: &aws_sdk_codepipeline::primitives::DateTime) -> Option<jiff::Timestamp> {
    jiff::Timestamp::new(time.secs(), i32::try_from(time.subsec_nanos()).ok()?).ok()
}

/// The adapters' readings of AWS's answers into the project's types, shared with
/// `approval-gate-cli explain`, which reads the same answers from the AWS CLI's files.
#[cfg(feature = "cli")]
pub(crate) mod answers {
    pub(crate) use super::cloudwatch::statuses as alarm_statuses;
    pub(crate) use super::codepipeline::{action_record, declaration, execution_record, snapshot};
    pub(crate) use super::ssm::calendar_state;
}
