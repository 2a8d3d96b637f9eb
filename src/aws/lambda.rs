//! Lambda `Invoke` (RequestResponse, restJson1): how a rule's check function is asked.

use std::time::Duration;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::config::Region;
use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::timeout::TimeoutConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;

use super::SdkFailure;
use crate::check_function::{CheckFunctions, InvokeError};
use crate::names;

/// How much of a function's error message is kept here: far more than a reason shows, which
/// is cut only once the token is redacted (a cut here could leave a piece of it).
const ERROR_MESSAGE_CHARS: usize = 4096;

#[derive(Clone, Debug)]
pub struct Lambda {
    client: Client,
}

impl Lambda {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

/// The region a function ARN names (`arn:aws:lambda:REGION:…`): Lambda takes a call for a
/// function only in its own region, which may not be the gate's.
fn region_of(function: &str) -> Option<&str> {
    function
        .split(':')
        .nth(3)
        .filter(|region| !region.is_empty())
}

impl CheckFunctions for Lambda {
    async fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        // The rule's timeout bounds the call and each attempt, so an attempt that timed out
        // is not made again (the function may still be running it). Throttling and 5xx,
        // when the function did not run, are retried by the SDK within that time.
        // One retry at most: a throttled or failed call says so in the reason rather than
        // retrying until the timeout hides why.
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(timeout)
            .operation_attempt_timeout(timeout)
            .build();
        let mut config = aws_sdk_lambda::Config::builder()
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(2));
        if let Some(region) = region_of(function) {
            config = config.region(Region::new(region.to_owned()));
        }
        let invoked = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .customize()
            .config_override(config)
            .send()
            .await;
        let output = match invoked {
            Ok(output) => output,
            Err(aws_sdk_lambda::error::SdkError::TimeoutError(_)) => {
                return Err(InvokeError::TimedOut(timeout));
            }
            Err(error) => return Err(InvokeError::Invoke(SdkFailure::of(&error).to_string())),
        };
        // RequestResponse answers 200; anything else (202 for an event, 204 for a dry run)
        // is not the function's answer.
        if output.status_code() != 200 {
            return Err(InvokeError::Invoke(format!(
                "Lambda answered HTTP {}, not 200 with the function's answer",
                output.status_code()
            )));
        }
        let payload = output
            .payload()
            .map(|payload| payload.as_ref().to_vec())
            .unwrap_or_default();
        match output.function_error() {
            Some(kind) => Err(InvokeError::Function {
                kind: names::printable(kind, 40),
                message: error_message(&payload),
            }),
            None => Ok(payload),
        }
    }
}

/// A raised function's `{"errorType": …, "errorMessage": …}`, as one cut line.
fn error_message(payload: &[u8]) -> String {
    let error: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    let text = |key: &str| error.get(key).and_then(serde_json::Value::as_str);
    match (text("errorType"), text("errorMessage")) {
        (Some(kind), Some(message)) => {
            names::printable(&format!("{kind}: {message}"), ERROR_MESSAGE_CHARS)
        }
        (None, Some(message)) => names::printable(message, ERROR_MESSAGE_CHARS),
        _ => "(no error message)".into(),
    }
}
