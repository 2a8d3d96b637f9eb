//! `GATE_POLICY_APPCONFIG` and `GATE_POLICY_REFRESH_SECONDS`: where the policy lives in AWS
//! AppConfig, and how often it is read again.

use std::time::Duration;

use super::{ConfigError, read_switch};
use crate::names;

/// Where the policy lives in AWS AppConfig, and how often it is read again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfigSetting {
    /// The application, environment and configuration profile, each an ID or a name.
    pub application: String,
    pub environment: String,
    pub profile: String,
    pub refresh_every: Duration,
}

impl AppConfigSetting {
    /// `AppConfig application/environment/profile`, for messages.
    pub fn location(&self) -> String {
        format!(
            "AppConfig {}/{}/{}",
            self.application, self.environment, self.profile
        )
    }
}

/// The refresh interval when `GATE_POLICY_REFRESH_SECONDS` is not set.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(60);

/// `GATE_POLICY_APPCONFIG` and `GATE_POLICY_REFRESH_SECONDS`. Both are switches (empty is
/// an error, not unset): the template sets them only when AppConfig is used.
pub(super) fn read_appconfig(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<AppConfigSetting>, ConfigError> {
    let location = read_switch(
        lookup,
        "GATE_POLICY_APPCONFIG",
        "application/environment/profile (IDs or names)",
    )?;
    let refresh = read_switch(
        lookup,
        "GATE_POLICY_REFRESH_SECONDS",
        "whole seconds from 15 to 3600",
    )?;
    let Some(location) = location else {
        return match refresh {
            None => Ok(None),
            // A refresh interval without AppConfig says someone expects a refresh that
            // will not happen.
            Some(_) => Err(ConfigError::Variable {
                name: "GATE_POLICY_REFRESH_SECONDS",
                message: "it only applies to a policy from GATE_POLICY_APPCONFIG, which is \
                          not set"
                    .into(),
            }),
        };
    };
    let parts: Vec<&str> = location.split('/').map(str::trim).collect();
    let [application, environment, profile] = parts.as_slice() else {
        return Err(ConfigError::Variable {
            name: "GATE_POLICY_APPCONFIG",
            message: format!(
                "expected application/environment/profile, got {:?}",
                names::printable(&location, 200)
            ),
        });
    };
    for (part, what) in [
        (application, "application"),
        (environment, "environment"),
        (profile, "configuration profile"),
    ] {
        // AppConfig identifiers are IDs or names of at most 128 characters.
        if part.is_empty()
            || part.chars().count() > 128
            || part.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(ConfigError::Variable {
                name: "GATE_POLICY_APPCONFIG",
                message: format!(
                    "the {what} {:?} is not an AppConfig ID or name (1 to 128 characters, \
                     no spaces)",
                    names::printable(part, 80)
                ),
            });
        }
    }
    // AppConfig refuses to be polled more often than every 15 seconds; an hour is the
    // most that still lets an operator declare a freeze "now".
    let refresh_every = match refresh {
        None => DEFAULT_REFRESH,
        Some(text) => match text.parse::<u64>() {
            Ok(seconds @ 15..=3600) => Duration::from_secs(seconds),
            _ => {
                return Err(ConfigError::Variable {
                    name: "GATE_POLICY_REFRESH_SECONDS",
                    message: format!("expected whole seconds from 15 to 3600, got {text:?}"),
                });
            }
        },
    };
    Ok(Some(AppConfigSetting {
        application: (*application).to_owned(),
        environment: (*environment).to_owned(),
        profile: (*profile).to_owned(),
        refresh_every,
    }))
}
