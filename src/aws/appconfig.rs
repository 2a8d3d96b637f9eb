//! AWS AppConfig Data: the policy as a configuration profile, read by sessions.

use std::time::Duration;

use aws_sdk_appconfigdata::Client;
use aws_sdk_appconfigdata::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_appconfigdata::operation::get_latest_configuration::GetLatestConfigurationError;
use aws_sdk_appconfigdata::operation::start_configuration_session::StartConfigurationSessionError;

use super::SdkFailure;
use crate::policy::source::{Latest, PolicySource, SourceError};

/// AppConfig refuses a required minimum poll interval outside these bounds (seconds).
const POLL_INTERVAL_BOUNDS: (u64, u64) = (15, 86_400);

/// One configuration profile in one environment of one application (IDs or names).
#[derive(Clone, Debug)]
pub struct AppConfigPolicy {
    client: Client,
    application: String,
    environment: String,
    profile: String,
    /// Asked of AppConfig as the session's minimum poll interval, so that it does not
    /// tell the gate to wait longer than the refresh interval (its default is 60 s).
    poll_every: i32,
}

impl AppConfigPolicy {
    pub fn new(
        config: &aws_config::SdkConfig,
        application: String,
        environment: String,
        profile: String,
        refresh_every: Duration,
    ) -> Self {
        let (least, most) = POLL_INTERVAL_BOUNDS;
        let seconds = refresh_every.as_secs().clamp(least, most);
        Self {
            client: Client::new(config),
            application,
            environment,
            profile,
            // Within 15..=86,400, so it fits.
            poll_every: i32::try_from(seconds).unwrap_or(i32::MAX),
        }
    }
}

impl PolicySource for AppConfigPolicy {
    async fn start(&self) -> Result<String, SourceError> {
        let output = self
            .client
            .start_configuration_session()
            .application_identifier(&self.application)
            .environment_identifier(&self.environment)
            .configuration_profile_identifier(&self.profile)
            .required_minimum_poll_interval_in_seconds(self.poll_every)
            .send()
            .await
            .map_err(start_error)?;
        output
            .initial_configuration_token()
            .map(str::to_owned)
            .ok_or_else(|| SourceError::Transient("AppConfig answered without a token".into()))
    }

    async fn latest(&self, token: &str) -> Result<Latest, SourceError> {
        let output = self
            .client
            .get_latest_configuration()
            .configuration_token(token)
            .send()
            .await
            .map_err(latest_error)?;
        let next_token = output
            .next_poll_configuration_token()
            .map(str::to_owned)
            .ok_or_else(|| {
                SourceError::Transient("AppConfig answered without a next token".into())
            })?;
        Ok(Latest {
            content: output
                .configuration()
                .map(|blob| blob.as_ref().to_vec())
                .unwrap_or_default(),
            next_token,
            // A negative interval is no interval.
            min_interval: Duration::from_secs(
                u64::try_from(output.next_poll_interval_in_seconds()).unwrap_or(0),
            ),
            version: output
                .version_label()
                .filter(|label| !label.is_empty())
                .map(str::to_owned),
        })
    }
}

fn start_error(error: SdkError<StartConfigurationSessionError>) -> SourceError {
    let what = match error.as_service_error() {
        Some(StartConfigurationSessionError::ResourceNotFoundException(_)) => {
            Some("the AppConfig application, environment or configuration profile does not exist")
        }
        Some(StartConfigurationSessionError::BadRequestException(_)) => {
            Some("AppConfig refused the application, environment or profile as invalid")
        }
        _ => None,
    };
    classify(&error, what)
}

fn latest_error(error: SdkError<GetLatestConfigurationError>) -> SourceError {
    match error.as_service_error() {
        // The token expired (after 24 hours) or was used already.
        Some(GetLatestConfigurationError::BadRequestException(_)) => {
            SourceError::TokenRefused(Box::new(SdkFailure::of(&error)))
        }
        Some(GetLatestConfigurationError::ResourceNotFoundException(_)) => classify(
            &error,
            Some("the AppConfig configuration profile or its deployment no longer exists"),
        ),
        _ => classify(&error, None),
    }
}

/// Final when `what` says so or access is denied; anything else may pass later.
fn classify<E: ProvideErrorMetadata>(
    error: &SdkError<E>,
    what: Option<&'static str>,
) -> SourceError {
    let denied = error
        .as_service_error()
        .is_some_and(|e| e.code() == Some("AccessDeniedException"));
    let what = what.or(denied.then_some(
        "access to the AppConfig configuration profile was denied (is it the template's?)",
    ));
    let source = Box::new(SdkFailure::of(error));
    match what {
        Some(what) => SourceError::Final { what, source },
        None => SourceError::Transient(source),
    }
}
