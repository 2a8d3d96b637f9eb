//! Lambda `Invoke` (RequestResponse, restJson1): how a rule's check function is asked.

use std::time::Duration;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::config::timeout::TimeoutConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;

use super::SdkFailure;
use crate::check_function::{CheckFunctions, InvokeError};
use crate::names;

/// How much of a function's error message is kept.
const ERROR_MESSAGE_CHARS: usize = 120;

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
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(timeout)
            .operation_attempt_timeout(timeout)
            .build();
        let invoked = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .customize()
            .config_override(aws_sdk_lambda::Config::builder().timeout_config(timeouts))
            .send()
            .await;
        let output = match invoked {
            Ok(output) => output,
            Err(aws_sdk_lambda::error::SdkError::TimeoutError(_)) => {
                return Err(InvokeError::TimedOut(timeout));
            }
            Err(error) => return Err(InvokeError::Invoke(SdkFailure::of(&error).to_string())),
        };
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
