//! Configuration from the environment, read once at cold start. Anything doubtful is an
//! error that stops the function before it decides anything.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::time::Duration;

use crate::live_policy::LoadError;
use crate::names;
use crate::policy::{Policy, PolicyError};
use crate::report::DecisionFormat;

/// Every variable the gate reads. Any other `GATE_` variable is an error: a misspelt
/// switch (`GATE_DRYRUN=true`) would otherwise leave its default, answering live, in place.
pub const KNOWN_VARIABLES: [&str; 16] = [
    "GATE_POLICY",
    "GATE_POLICY_FILE",
    "GATE_POLICY_APPCONFIG",
    "GATE_POLICY_REFRESH_SECONDS",
    "GATE_MODE",
    "GATE_DRY_RUN",
    "GATE_DECISION_TOPIC_ARN",
    "GATE_DECISION_FORMAT",
    "GATE_ALLOWED_TOPIC_ARNS",
    "GATE_TOKEN_WAIT_SECONDS",
    "GATE_SWEEP_MINUTES",
    "GATE_METRICS_NAMESPACE",
    "GATE_SWEEP_READS_PER_SECOND",
    "GATE_SWEEP_MARGIN_SECONDS",
    "GATE_WAKEUP_GROUP",
    "GATE_WAKEUP_ROLE_ARN",
];

/// How the gate behaves, beyond the policy.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The kill switch: read nothing, answer nothing, only log that the gate is off.
    pub off: bool,
    /// Decide, log and tell, but never call PutApprovalResult.
    pub dry_run: bool,
    /// When set, records from any other topic are refused.
    pub allowed_topics: Option<Vec<String>>,
    /// How long to keep re-reading the state while it does not show the notice's token yet.
    pub token_wait: Duration,
    /// How many pipelines the sweep reads at once.
    pub sweep_concurrency: usize,
    /// The least time between two pipeline reads of the sweep (one over
    /// `GATE_SWEEP_READS_PER_SECOND`), so that the sweep stays well under CodePipeline's
    /// request rate. The sweep slows down from here when it is throttled.
    pub sweep_read_interval: Duration,
    /// How long before the invocation's deadline the sweep stops starting reads, leaving
    /// the reads in flight the time to finish, answer and tell.
    pub sweep_margin: Duration,
    /// How often the scheduled sweep runs (the template's `SweepMinutes`): a deferred
    /// approval is kept waiting only if its window opens at least this long before it
    /// expires, so that a sweep comes while it is open.
    pub sweep_every: Duration,
    /// The function's region (`AWS_REGION`), for console links in the sweep's notices.
    pub region: Option<String>,
    /// The CloudWatch namespace of the gate's metrics (`GATE_METRICS_NAMESPACE`).
    pub metrics_namespace: String,
    /// How decision notices are written (`GATE_DECISION_FORMAT`).
    pub decision_format: DecisionFormat,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            off: false,
            dry_run: false,
            allowed_topics: None,
            token_wait: Duration::from_secs(10),
            sweep_concurrency: 4,
            sweep_read_interval: Duration::from_millis(100),
            sweep_margin: Duration::from_secs(20),
            sweep_every: Duration::from_secs(15 * 60),
            region: None,
            metrics_namespace: crate::metrics::DEFAULT_NAMESPACE.into(),
            decision_format: DecisionFormat::Plain,
        }
    }
}

/// Everything the function needs besides its AWS clients.
#[derive(Debug)]
pub struct Config {
    /// The policy from `GATE_POLICY` or `GATE_POLICY_FILE`. With `appconfig` set it has no
    /// rules (and so decides nothing): `main` reads the policy from AppConfig.
    pub policy: Policy,
    /// `GATE_POLICY_APPCONFIG`: the policy is read from AWS AppConfig, and refreshed.
    pub appconfig: Option<AppConfigSetting>,
    pub settings: Settings,
    pub decision_topic_arn: Option<String>,
    /// `GATE_WAKEUP_GROUP` and `GATE_WAKEUP_ROLE_ARN`: where deferrals schedule their
    /// wake-ups. Without them, the sweep alone decides deferred approvals again.
    pub wakeups: Option<WakeupSetting>,
}

/// The EventBridge Scheduler group wake-ups are created in, and the role Scheduler
/// invokes the function with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WakeupSetting {
    pub group: String,
    pub role_arn: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no policy: set GATE_POLICY (the JSON document), GATE_POLICY_FILE (its path) or \
         GATE_POLICY_APPCONFIG (application/environment/profile in AWS AppConfig)"
    )]
    NoPolicy,
    #[error(
        "more than one of GATE_POLICY, GATE_POLICY_FILE and GATE_POLICY_APPCONFIG is set: set \
         exactly one"
    )]
    TwoPolicies,
    #[error("cannot read the policy file {path}")]
    PolicyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The policy from AppConfig could not be read at cold start, or is invalid.
    #[error(transparent)]
    AppConfig(#[from] LoadError),
    #[error("{name} is invalid: {message}")]
    Variable { name: &'static str, message: String },
    #[error(
        "{name} is not a setting of approval-gate (did you mean {closest}?): a misspelt \
         setting leaves its default in place, so rename or remove it"
    )]
    UnknownVariable { name: String, closest: &'static str },
    #[error(
        "the environment variable {name} is not valid UTF-8: a GATE_ setting that cannot be \
         read cannot be trusted"
    )]
    NotUnicode { name: String },
}

impl ConfigError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Policy(_)
            | Self::AppConfig(
                LoadError::Invalid { .. } | LoadError::Empty { .. } | LoadError::NotText { .. },
            ) => "ApprovalGate.InvalidPolicy",
            Self::AppConfig(LoadError::Unreadable { .. }) => "ApprovalGate.PolicyUnreadable",
            _ => "ApprovalGate.InvalidConfiguration",
        }
    }
}

/// The kill switch, `GATE_MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    On,
    DryRun,
    Off,
}

impl Config {
    /// Reads the process environment. Every `GATE_` variable must be valid UTF-8 and one of
    /// [`KNOWN_VARIABLES`]; other variables are read only by name (`AWS_REGION`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(unicode_vars(std::env::vars_os())?)
    }

    /// Reads the configuration from `(name, value)` pairs, as [`Config::from_env`] passes
    /// the process environment, so tests need not touch it. A `GATE_` name the gate does
    /// not read is an error naming the closest one it does, except when `GATE_MODE=off`:
    /// the kill switch works whatever else is wrong.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        // Sorted, so that the first unknown name reported does not depend on the
        // environment's order.
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let lookup = |name: &str| vars.get(name).cloned();
        if mode(&lookup)? != Mode::Off
            && let Some(name) = vars.keys().find(|name| {
                is_gate_name(name.as_bytes()) && !KNOWN_VARIABLES.contains(&name.as_str())
            })
        {
            return Err(ConfigError::UnknownVariable {
                name: names::printable(name, 64),
                closest: closest_known(name),
            });
        }
        Self::from_lookup(lookup)
    }

    /// Reads the configuration through `lookup`. Empty variables count as unset, except for
    /// the switches (`GATE_MODE`, `GATE_DRY_RUN`, `GATE_ALLOWED_TOPIC_ARNS`,
    /// `GATE_DECISION_FORMAT`, the `GATE_SWEEP_` ones, and the AppConfig ones): an empty
    /// switch is an error.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // The kill switch is read first and, when off, alone: an operator turns the gate off
        // because something is wrong, perhaps the policy itself, and an init error would
        // fail every notice, have Lambda retry it and park it, token and all, in the
        // failure queue. Off reads nothing and answers nothing, so nothing else matters.
        let mode = mode(&lookup)?;
        if mode == Mode::Off {
            return Ok(Self {
                policy: Policy { rules: Vec::new() },
                settings: Settings {
                    off: true,
                    ..Settings::default()
                },
                decision_topic_arn: None,
                appconfig: None,
                wakeups: None,
            });
        }
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let switch = |name: &'static str, expected: &str| read_switch(&lookup, name, expected);
        let appconfig = read_appconfig(&lookup)?;
        let policy_text = match (get("GATE_POLICY"), get("GATE_POLICY_FILE"), &appconfig) {
            (Some(text), None, None) => Some(text),
            (None, Some(path), None) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::PolicyFile { path, source })?,
            ),
            (None, None, Some(_)) => None,
            (None, None, None) => return Err(ConfigError::NoPolicy),
            _ => return Err(ConfigError::TwoPolicies),
        };
        let policy = match policy_text {
            Some(text) => Policy::from_json(&text)?,
            None => Policy { rules: Vec::new() },
        };

        // Where GATE_MODE and GATE_DRY_RUN disagree, the more cautious one wins.
        let dry_run = mode == Mode::DryRun
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
            Some(list) => Some(
                list.split(',')
                    .enumerate()
                    .map(|(index, item)| {
                        let item = item.trim();
                        check_topic_arn(item)
                            .map(|()| item.to_owned())
                            .map_err(|problem| ConfigError::Variable {
                                name: "GATE_ALLOWED_TOPIC_ARNS",
                                message: format!(
                                    "item {} ({:?}) is not an SNS topic ARN: {problem}",
                                    index + 1,
                                    names::printable(item, 80)
                                ),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
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
        // A whole number, so that the read interval is exact; the upper bound keeps a typo
        // from spending the account's CodePipeline request quota.
        let sweep_read_interval = match switch(
            "GATE_SWEEP_READS_PER_SECOND",
            "whole reads per second from 1 to 100",
        )? {
            None => Settings::default().sweep_read_interval,
            Some(text) => match text.parse::<u32>() {
                Ok(reads @ 1..=100) => Duration::from_secs(1) / reads,
                _ => {
                    return Err(ConfigError::Variable {
                        name: "GATE_SWEEP_READS_PER_SECOND",
                        message: format!(
                            "expected whole reads per second from 1 to 100, got {text:?}"
                        ),
                    });
                }
            },
        };
        // At least the time one read, its answer and its notice take when the SDK retries;
        // at most what leaves a 15-minute invocation (Lambda's longest) time to read.
        let sweep_margin = match switch("GATE_SWEEP_MARGIN_SECONDS", "whole seconds from 5 to 600")?
        {
            None => Settings::default().sweep_margin,
            Some(text) => match text.parse::<u64>() {
                Ok(seconds @ 5..=600) => Duration::from_secs(seconds),
                _ => {
                    return Err(ConfigError::Variable {
                        name: "GATE_SWEEP_MARGIN_SECONDS",
                        message: format!("expected whole seconds from 5 to 600, got {text:?}"),
                    });
                }
            },
        };
        // Empty stays unset: the template passes an empty string when there is no topic.
        let decision_topic_arn = get("GATE_DECISION_TOPIC_ARN")
            .map(|text| {
                let arn = text.trim();
                check_topic_arn(arn)
                    .map(|()| arn.to_owned())
                    .map_err(|problem| ConfigError::Variable {
                        name: "GATE_DECISION_TOPIC_ARN",
                        message: format!(
                            "{:?} is not an SNS topic ARN: {problem}",
                            names::printable(arn, 80)
                        ),
                    })
            })
            .transpose()?;
        // A switch: the template always passes its parameter, so an empty one is a broken
        // template, not "plain".
        let decision_format = match switch("GATE_DECISION_FORMAT", "plain or chat")?.as_deref() {
            None | Some("plain") => DecisionFormat::Plain,
            Some("chat") => DecisionFormat::Chat,
            Some(other) => {
                return Err(ConfigError::Variable {
                    name: "GATE_DECISION_FORMAT",
                    message: format!(
                        "expected plain (text for mail) or chat (the custom-notification JSON \
                         of Amazon Q Developer in chat applications), got {:?}",
                        names::printable(other, 40)
                    ),
                });
            }
        };
        let metrics_namespace = match get("GATE_METRICS_NAMESPACE") {
            None => Settings::default().metrics_namespace,
            Some(text) => check_namespace(&text)
                .map(|()| text.clone())
                .map_err(|problem| ConfigError::Variable {
                    name: "GATE_METRICS_NAMESPACE",
                    message: format!("{:?} {problem}", names::printable(&text, 80)),
                })?,
        };
        let wakeups = read_wakeups(&get)?;
        // Set by Lambda; it goes into console links, so only a region's shape is kept.
        let region = lookup("AWS_REGION").filter(|region| looks_like_region(region));
        Ok(Self {
            policy,
            settings: Settings {
                dry_run,
                allowed_topics,
                token_wait,
                sweep_every,
                sweep_read_interval,
                sweep_margin,
                region,
                metrics_namespace,
                decision_format,
                ..Settings::default()
            },
            decision_topic_arn,
            appconfig,
            wakeups,
        })
    }
}

/// The wake-ups' group and role: both or neither (the template sets both).
fn read_wakeups(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<WakeupSetting>, ConfigError> {
    let (group, role_arn) = match (get("GATE_WAKEUP_GROUP"), get("GATE_WAKEUP_ROLE_ARN")) {
        (None, None) => return Ok(None),
        (Some(group), Some(role_arn)) => (group.trim().to_owned(), role_arn.trim().to_owned()),
        (Some(_), None) | (None, Some(_)) => {
            return Err(ConfigError::Variable {
                name: "GATE_WAKEUP_GROUP",
                message: "GATE_WAKEUP_GROUP and GATE_WAKEUP_ROLE_ARN go together: set both, \
                          or neither (then the sweep alone decides deferred approvals again)"
                    .into(),
            });
        }
    };
    let valid_group = (1..=64).contains(&group.len())
        && group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_group {
        return Err(ConfigError::Variable {
            name: "GATE_WAKEUP_GROUP",
            message: format!(
                "{:?} is not a schedule group name (1 to 64 letters, digits, '-', '_' and '.')",
                names::printable(&group, 80)
            ),
        });
    }
    if !is_role_arn(&role_arn) {
        return Err(ConfigError::Variable {
            name: "GATE_WAKEUP_ROLE_ARN",
            message: format!(
                "{:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
                names::printable(&role_arn, 120)
            ),
        });
    }
    Ok(Some(WakeupSetting { group, role_arn }))
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
fn is_role_arn(text: &str) -> bool {
    let mut parts = text.splitn(6, ':');
    let fields: [Option<&str>; 6] = std::array::from_fn(|_| parts.next());
    match fields {
        [
            Some("arn"),
            Some(partition),
            Some("iam"),
            Some(""),
            Some(account),
            Some(resource),
        ] => {
            partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|name| !name.is_empty() && !name.chars().any(char::is_whitespace))
        }
        _ => false,
    }
}

/// CloudWatch's rules for a namespace: 1 to 255 characters from letters, digits and
/// `.-_/#:`, not starting with `:`, and not `AWS/` (reserved for AWS services).
fn check_namespace(text: &str) -> Result<(), &'static str> {
    if text.len() > 255 {
        return Err("is longer than 255 characters");
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c))
    {
        return Err("may hold only letters, digits, spaces and . - _ / # :");
    }
    if text.starts_with(':') || text.trim() != text {
        return Err("may not start with ':' or start or end with a space");
    }
    if text.starts_with("AWS/") {
        return Err("may not start with AWS/, which is reserved for AWS services");
    }
    Ok(())
}

/// The variables that are valid UTF-8. A `GATE_` variable that is not, in its name or its
/// value, is an error; any other is left out (a non-UTF-8 `AWS_REGION` counts as unset).
fn unicode_vars(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut unicode = Vec::new();
    for (name, value) in vars {
        let ours = is_gate_name(name.as_encoded_bytes());
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => unicode.push((name, value)),
            (Ok(name), Err(_)) if ours => {
                return Err(ConfigError::NotUnicode {
                    name: names::printable(&name, 64),
                });
            }
            (Err(name), _) if ours => {
                return Err(ConfigError::NotUnicode {
                    name: names::printable(&name.to_string_lossy(), 64),
                });
            }
            _ => {}
        }
    }
    Ok(unicode)
}

/// The value of a switch: `None` when the variable is not set, an error when it is set but
/// empty. CloudFormation and Terraform turn a missing parameter into an empty string, so an
/// empty switch more likely means a broken template than "use the default": the default of
/// GATE_MODE is `on` and of GATE_ALLOWED_TOPIC_ARNS any topic.
fn read_switch(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name) {
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
    }
}

/// The kill switch: `off` stops every read and answer, `dry-run` every answer.
fn mode(lookup: &impl Fn(&str) -> Option<String>) -> Result<Mode, ConfigError> {
    match read_switch(lookup, "GATE_MODE", "on, dry-run or off")?.as_deref() {
        None | Some("on") => Ok(Mode::On),
        Some("dry-run") => Ok(Mode::DryRun),
        Some("off") => Ok(Mode::Off),
        Some(other) => Err(ConfigError::Variable {
            name: "GATE_MODE",
            message: format!("expected on, dry-run or off, got {other:?}"),
        }),
    }
}

/// `GATE_…` in any case: Lambda's variable names are case-sensitive, so `Gate_Mode` would
/// be silently ignored like any other typo.
fn is_gate_name(name: &[u8]) -> bool {
    name.get(..5)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"GATE_"))
}

/// The known variable nearest to `name`: one that `name` is the start of (`GATE_TOKEN_WAIT`
/// is nearer `GATE_TOKEN_WAIT_SECONDS` than `GATE_MODE`, which an edit distance alone
/// would not say), else the nearest by edit distance.
fn closest_known(name: &str) -> &'static str {
    let name = name.to_ascii_uppercase();
    KNOWN_VARIABLES
        .into_iter()
        .min_by_key(|known| (!known.starts_with(&name), edit_distance(&name, known)))
        .unwrap_or(KNOWN_VARIABLES[0])
}

/// Levenshtein distance. Written out rather than taken from a crate: a dozen lines, used
/// once, on names a few dozen characters long.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // `row[j]`: the distance between the prefix of `a` read so far and `b[..j]`.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `arn:<partition>:sns:<region>:<account>:<topic>`, as SNS names a topic: a 12-digit
/// account, and a topic name of 1 to 256 letters, digits, `-` and `_`, where a FIFO topic's
/// ends in `.fifo` (the suffix counts toward the 256). Anything else (a wildcard, a list
/// joined with `;`, a bare topic name) could never equal a record's `TopicArn`.
fn check_topic_arn(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("an empty item (a comma too many?)".into());
    }
    if text.contains(['*', '?']) {
        return Err("wildcards are not allowed: list every topic's ARN".into());
    }
    if text.contains(';') {
        return Err("separate ARNs with commas, not ';'".into());
    }
    let parts: Vec<&str> = text.split(':').collect();
    let [arn, partition, service, region, account, topic] = parts.as_slice() else {
        return Err("expected arn:<partition>:sns:<region>:<account>:<topic name>".into());
    };
    if *arn != "arn" || !(*partition == "aws" || partition.starts_with("aws-")) {
        return Err("expected it to start with arn:aws: (or another AWS partition)".into());
    }
    if !partition
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'-')
        || partition.ends_with('-')
    {
        return Err(format!("{partition:?} is not an AWS partition"));
    }
    if *service != "sns" {
        return Err("not an SNS ARN".into());
    }
    if !looks_like_region(region) {
        return Err("the region is missing or malformed".into());
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the account must be 12 digits".into());
    }
    let stem = topic.strip_suffix(".fifo").unwrap_or(topic);
    if stem.is_empty()
        || topic.len() > 256
        || !stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err(
            "a topic name is 1 to 256 letters, digits, '-' and '_' (a FIFO topic's ending in \
             .fifo)"
                .into(),
        );
    }
    Ok(())
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

mod appconfig;
use appconfig::read_appconfig;
pub use appconfig::{AppConfigSetting, DEFAULT_REFRESH};

#[cfg(test)]
mod tests;
