//! Configuration from the environment, read once at cold start. Anything doubtful is an
//! error that stops the function before it decides anything.

use std::time::Duration;

use crate::handler::Settings;
use crate::policy::{Policy, PolicyError};

/// Everything the function needs besides its AWS clients.
#[derive(Debug)]
pub struct Config {
    pub policy: Policy,
    pub settings: Settings,
    pub decision_topic_arn: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no policy: set GATE_POLICY (the JSON document) or GATE_POLICY_FILE (its path)")]
    NoPolicy,
    #[error("both GATE_POLICY and GATE_POLICY_FILE are set: set exactly one")]
    TwoPolicies,
    #[error("cannot read the policy file {path}")]
    PolicyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{name} is invalid: {message}")]
    Variable { name: &'static str, message: String },
}

impl ConfigError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Policy(_) => "ApprovalGate.InvalidPolicy",
            _ => "ApprovalGate.InvalidConfiguration",
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process
    /// environment. Empty variables count as unset, except for the switches
    /// (`GATE_MODE`, `GATE_DRY_RUN`, `GATE_ALLOWED_TOPIC_ARNS`, `GATE_SWEEP_MINUTES`): an
    /// empty switch is an error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        // CloudFormation and Terraform turn a missing parameter into an empty string, so an
        // empty switch more likely means a broken template than "use the default": the
        // default of GATE_MODE is `on` and of GATE_ALLOWED_TOPIC_ARNS any topic.
        let switch = |name: &'static str, expected: &str| match lookup(name) {
            None => Ok(None),
            Some(value) if value.trim().is_empty() => Err(ConfigError::Variable {
                name,
                message: format!(
                    "it is set but empty, and an empty value is not \"unset\" (CloudFormation \
                     and Terraform produce empty strings from missing parameters): set \
                     {expected}, or remove the variable"
                ),
            }),
            Some(value) => Ok(Some(value.trim().to_owned())),
        };
        let policy_text = match (get("GATE_POLICY"), get("GATE_POLICY_FILE")) {
            (Some(text), None) => text,
            (None, Some(path)) => std::fs::read_to_string(&path)
                .map_err(|source| ConfigError::PolicyFile { path, source })?,
            (None, None) => return Err(ConfigError::NoPolicy),
            (Some(_), Some(_)) => return Err(ConfigError::TwoPolicies),
        };
        let policy = Policy::from_json(&policy_text)?;

        // The kill switch: `off` stops every read and answer, `dry-run` every answer. Where
        // GATE_MODE and GATE_DRY_RUN disagree, the more cautious one wins.
        let (off, mode_dry_run) = match switch("GATE_MODE", "on, dry-run or off")?.as_deref() {
            None | Some("on") => (false, false),
            Some("dry-run") => (false, true),
            Some("off") => (true, false),
            Some(other) => {
                return Err(ConfigError::Variable {
                    name: "GATE_MODE",
                    message: format!("expected on, dry-run or off, got {other:?}"),
                });
            }
        };
        let dry_run = mode_dry_run
            || match switch("GATE_DRY_RUN", "true or false")?.as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(ConfigError::Variable {
                        name: "GATE_DRY_RUN",
                        message: format!("expected true or false, got {other:?}"),
                    });
                }
            };
        let allowed_topics = match switch("GATE_ALLOWED_TOPIC_ARNS", "comma-separated topic ARNs")?
        {
            None => None,
            Some(list) => {
                let arns: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|arn| !arn.is_empty())
                    .map(str::to_owned)
                    .collect();
                if arns.is_empty() {
                    return Err(ConfigError::Variable {
                        name: "GATE_ALLOWED_TOPIC_ARNS",
                        message: format!("{list:?} names no topic ARN"),
                    });
                }
                Some(arns)
            }
        };
        let token_wait = match get("GATE_TOKEN_WAIT_SECONDS") {
            None => Settings::default().token_wait,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(seconds) if seconds <= 60 => Duration::from_secs(seconds),
                _ => {
                    return Err(ConfigError::Variable {
                        name: "GATE_TOKEN_WAIT_SECONDS",
                        message: format!("expected whole seconds from 0 to 60, got {text:?}"),
                    });
                }
            },
        };
        // The sweep must run more often than the 30-minute margin before an approval
        // expires, and an hour is the most that still reads as "a schedule".
        let sweep_every = match switch("GATE_SWEEP_MINUTES", "whole minutes from 1 to 60")? {
            None => Settings::default().sweep_every,
            Some(text) => match text.parse::<u64>() {
                Ok(minutes @ 1..=60) => Duration::from_secs(minutes * 60),
                _ => {
                    return Err(ConfigError::Variable {
                        name: "GATE_SWEEP_MINUTES",
                        message: format!("expected whole minutes from 1 to 60, got {text:?}"),
                    });
                }
            },
        };
        // Set by Lambda; it goes into console links, so only a region's shape is kept.
        let region = lookup("AWS_REGION").filter(|region| looks_like_region(region));
        Ok(Self {
            policy,
            settings: Settings {
                off,
                dry_run,
                allowed_topics,
                token_wait,
                sweep_every,
                region,
                ..Settings::default()
            },
            decision_topic_arn: get("GATE_DECISION_TOPIC_ARN"),
        })
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`: lowercase letters, digits and inner hyphens.
fn looks_like_region(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && !text.ends_with('-')
        && text.contains('-')
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const POLICY: &str = r#"{"rules":[{"name":"all"}]}"#;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn reads_every_setting() {
        let config = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_DRY_RUN", "true"),
            ("GATE_ALLOWED_TOPIC_ARNS", "arn:a, arn:b,"),
            ("GATE_TOKEN_WAIT_SECONDS", "3"),
            ("GATE_DECISION_TOPIC_ARN", "arn:decisions"),
            ("GATE_SWEEP_MINUTES", "15"),
            ("AWS_REGION", "eu-central-1"),
        ])
        .unwrap();
        assert!(config.settings.dry_run);
        assert_eq!(config.settings.sweep_every, Duration::from_secs(15 * 60));
        assert_eq!(config.settings.region.as_deref(), Some("eu-central-1"));
        assert_eq!(
            config.settings.allowed_topics,
            Some(vec!["arn:a".to_string(), "arn:b".to_string()])
        );
        assert_eq!(config.settings.token_wait, Duration::from_secs(3));
        assert_eq!(config.decision_topic_arn.as_deref(), Some("arn:decisions"));
        assert_eq!(config.policy.rules[0].name, "all");
    }

    #[test]
    fn defaults_are_live_answers_any_topic_and_a_ten_second_wait() {
        let config = config(&[("GATE_POLICY", POLICY), ("GATE_DECISION_TOPIC_ARN", "")]).unwrap();
        assert!(!config.settings.dry_run);
        assert_eq!(config.settings.allowed_topics, None);
        assert_eq!(config.settings.token_wait, Duration::from_secs(10));
        assert_eq!(config.decision_topic_arn, None);
        assert_eq!(config.settings.sweep_every, Duration::from_secs(5 * 60));
        assert_eq!(config.settings.region, None);
    }

    #[test]
    fn an_empty_switch_is_an_error_not_unset() {
        for name in [
            "GATE_MODE",
            "GATE_DRY_RUN",
            "GATE_ALLOWED_TOPIC_ARNS",
            "GATE_SWEEP_MINUTES",
        ] {
            for blank in ["", "  ", "\t\n"] {
                // Given a switch set to an empty value, as a template's missing parameter
                // When the configuration is read
                let error = config(&[("GATE_POLICY", POLICY), (name, blank)]).unwrap_err();
                // Then the function does not start, and the error says why
                let text = error.to_string();
                assert_eq!(error.error_type(), "ApprovalGate.InvalidConfiguration");
                assert!(text.starts_with(&format!("{name} is invalid")), "{text}");
                assert!(text.contains("not \"unset\""), "{text}");
                assert!(text.contains("CloudFormation and Terraform"), "{text}");
            }
        }
    }

    #[test]
    fn switches_are_trimmed_before_they_are_compared() {
        let config = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_MODE", " off "),
            ("GATE_DRY_RUN", "true\n"),
            ("GATE_SWEEP_MINUTES", " 2 "),
        ])
        .unwrap();
        assert!(config.settings.off && config.settings.dry_run);
        assert_eq!(config.settings.sweep_every, Duration::from_secs(2 * 60));
    }

    #[test]
    fn an_allowed_topic_list_without_an_arn_is_an_error() {
        for list in [",", " , ,"] {
            let error =
                config(&[("GATE_POLICY", POLICY), ("GATE_ALLOWED_TOPIC_ARNS", list)]).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("GATE_ALLOWED_TOPIC_ARNS is invalid"),
                "{error}"
            );
        }
    }

    #[test]
    fn empty_policy_file_decision_topic_and_token_wait_still_count_as_unset() {
        // Given the variables a template passes empty when their parameter is not set
        let config = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_POLICY_FILE", ""),
            ("GATE_DECISION_TOPIC_ARN", " "),
            ("GATE_TOKEN_WAIT_SECONDS", ""),
        ])
        .unwrap();
        // Then they take their defaults
        assert_eq!(config.decision_topic_arn, None);
        assert_eq!(config.settings.token_wait, Duration::from_secs(10));
    }

    #[test]
    fn the_sweep_period_is_whole_minutes_from_one_to_sixty() {
        for (text, minutes) in [("1", 1), ("5", 5), ("60", 60)] {
            let config = config(&[("GATE_POLICY", POLICY), ("GATE_SWEEP_MINUTES", text)]).unwrap();
            assert_eq!(
                config.settings.sweep_every,
                Duration::from_secs(minutes * 60)
            );
        }
        for bad in ["0", "61", "-1", "5.5", "5m", "five", "+5 5"] {
            let error =
                config(&[("GATE_POLICY", POLICY), ("GATE_SWEEP_MINUTES", bad)]).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("GATE_SWEEP_MINUTES is invalid"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn the_region_is_kept_only_when_it_looks_like_one() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-northwest-1",
        ] {
            let config = config(&[("GATE_POLICY", POLICY), ("AWS_REGION", region)]).unwrap();
            assert_eq!(config.settings.region.as_deref(), Some(region));
        }
        for odd in [
            "",
            "US-EAST-1",
            "us east 1",
            "us-east-1/x",
            "evil.example/?",
            "-us-1",
            "local",
        ] {
            let config = config(&[("GATE_POLICY", POLICY), ("AWS_REGION", odd)]).unwrap();
            assert_eq!(config.settings.region, None, "{odd:?}");
        }
    }

    #[test]
    fn no_policy_or_two_policies_is_an_error() {
        assert!(matches!(config(&[]), Err(ConfigError::NoPolicy)));
        assert!(matches!(
            config(&[("GATE_POLICY", POLICY), ("GATE_POLICY_FILE", "/p.json")]),
            Err(ConfigError::TwoPolicies)
        ));
    }

    #[test]
    fn reads_the_policy_file_or_says_which_file_failed() {
        let path = std::env::temp_dir().join(format!("gate-policy-{}.json", std::process::id()));
        std::fs::write(&path, POLICY).unwrap();
        let loaded = config(&[("GATE_POLICY_FILE", path.to_str().unwrap())]).unwrap();
        assert_eq!(loaded.policy.rules.len(), 1);
        std::fs::remove_file(&path).unwrap();
        let error = config(&[("GATE_POLICY_FILE", path.to_str().unwrap())]).unwrap_err();
        assert!(error.to_string().contains(path.to_str().unwrap()));
    }

    #[test]
    fn gate_mode_switches_the_gate_off_or_to_dry_run() {
        let off = config(&[("GATE_POLICY", POLICY), ("GATE_MODE", "off")]).unwrap();
        assert!(off.settings.off);
        let dry = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_MODE", "dry-run"),
            ("GATE_DRY_RUN", "false"),
        ])
        .unwrap();
        assert!(dry.settings.dry_run && !dry.settings.off);
        let on = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_MODE", "on"),
            ("GATE_DRY_RUN", "true"),
        ])
        .unwrap();
        assert!(on.settings.dry_run, "the more cautious switch wins");
        let error = config(&[("GATE_POLICY", POLICY), ("GATE_MODE", "of")]).unwrap_err();
        assert!(
            error.to_string().starts_with("GATE_MODE is invalid"),
            "{error}"
        );
    }

    #[test]
    fn a_doubtful_dry_run_switch_is_an_error_not_false() {
        let error = config(&[("GATE_POLICY", POLICY), ("GATE_DRY_RUN", "yes")]).unwrap_err();
        assert!(
            error.to_string().starts_with("GATE_DRY_RUN is invalid"),
            "{error}"
        );
    }

    #[test]
    fn invalid_policy_is_an_init_error_with_its_place() {
        let error = config(&[("GATE_POLICY", r#"{"rules":[{"name":""}]}"#)]).unwrap_err();
        assert_eq!(error.error_type(), "ApprovalGate.InvalidPolicy");
        assert!(error.to_string().contains("rules[0].name"), "{error}");
    }
}
