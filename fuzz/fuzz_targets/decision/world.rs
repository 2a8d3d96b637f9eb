//! The evidence: the pipeline's state, its attempts, revisions and variables, the
//! namespaces its declaration gives, the alarms and calendars as read, and what a check
//! function answered, every text in them from outside.

use std::time::Duration;

use approval_gate::check_function::{FunctionAnswer, InvokeError};
use approval_gate::conditions::{
    AlarmReading, AlarmState, AlarmStatus, CalendarReading, CalendarReadings, CalendarState,
    Conditions,
};
use approval_gate::fixtures::{self, EXECUTION};
use approval_gate::notice::ApprovalTarget;
use approval_gate::pipeline::{
    ActionKind, ActionRecord, ActionStatus, ArtifactRevision, CurrentRevision, DeclaredNamespace,
    ExecutionRecord, ExecutionStatus, PipelineSnapshot, PipelineVariable,
};
use approval_gate::policy::Rule;
use jiff::Timestamp;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::json;

use crate::text::{maybe_time, seconds, text};

const BRANCHES: &[&str] = &["main", "release/2026.11", "hotfix-1", "feature/x", ""];
const TRIGGERS: &[&str] = &[
    "Webhook",
    "WebhookV2",
    "PollForSourceChanges",
    "StartPipelineExecution",
    "CreatePipeline",
    "PutActionRevision",
];

fn status(u: &mut Unstructured<'_>, token: &str) -> Result<ActionStatus> {
    Ok(match u.int_in_range(0..=6)? {
        0 => ActionStatus::InProgress,
        1 => ActionStatus::Failed,
        2 => ActionStatus::Abandoned,
        3 => ActionStatus::Other(text(u, token)?),
        _ => ActionStatus::Succeeded,
    })
}
fn revision_id(u: &mut Unstructured<'_>, token: &str) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => text(u, token)?,
        1 => format!("sha256:{}", "4f3c9e1a".repeat(8)),
        _ => {
            let bytes: [u8; 20] = u.arbitrary()?;
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
    })
}

pub(crate) type Pipeline = (
    PipelineSnapshot,
    Option<Vec<ActionRecord>>,
    Option<ExecutionRecord>,
);

/// The state, the attempts `ListActionExecutions` lists and what `GetPipelineExecution`
/// answered: up to two sources whose messages, branches and names are text from outside,
/// builds, and the approval waiting for `token` since `since`.
pub(crate) fn pipeline(
    u: &mut Unstructured<'_>,
    token: &str,
    target: &ApprovalTarget,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Result<Pipeline> {
    let mut snapshot = fixtures::waiting(
        target,
        token,
        since,
        &[
            ("Unit", status(u, token)?),
            ("IntegrationTests", status(u, token)?),
        ],
    );
    let mut sources = Vec::new();
    let mut artifacts = Vec::new();
    let mut source_records = Vec::new();
    for index in 0..u.int_in_range(0..=2)? {
        let name = match u.int_in_range(0..=4)? {
            0 => token.to_owned(),
            1 => format!("Ä-{index}"),
            _ => ["App", "Config"][index].to_owned(),
        };
        let carried = revision_id(u, token)?;
        let mut action = fixtures::action(&name, ActionStatus::Succeeded, since);
        action.current_revision = match u.int_in_range(0..=3)? {
            0 => None,
            1 => Some(CurrentRevision {
                revision_id: revision_id(u, token)?,
                created: None,
            }),
            _ => Some(CurrentRevision {
                revision_id: carried.clone(),
                created: None,
            }),
        };
        sources.push(action);
        let artifact = if u.ratio(1, 5)? {
            token.to_owned()
        } else {
            format!("{name}Artifact")
        };
        let message = text(u, token)?;
        let summary = match u.int_in_range(0..=4)? {
            0 => None,
            1 => Some(json!({"ProviderType": "GitHub", "CommitMessage": message}).to_string()),
            2 => Some(format!(
                "{{\"ProviderType\":\"GitHub\",\"CommitMessage\":\"{message}"
            )),
            _ => Some(message.clone()),
        };
        artifacts.push(ArtifactRevision {
            name: artifact.clone(),
            revision_id: if u.ratio(1, 8)? {
                None
            } else {
                Some(carried.clone())
            },
            revision_summary: summary,
            created: maybe_time(u, now)?,
        });
        let mut record = fixtures::record(EXECUTION, "Source", &name, status(u, token)?);
        record.kind = u
            .choose(&[
                ActionKind::Source,
                ActionKind::Source,
                ActionKind::Unknown,
                ActionKind::Other,
            ])?
            .clone();
        record.updated = maybe_time(u, now)?;
        if u.ratio(3, 4)? {
            record.output_artifacts.push(artifact);
        }
        for (variable, value) in [
            ("CommitId", carried),
            ("BranchName", (*u.choose(BRANCHES)?).to_owned()),
            ("CommitMessage", message),
        ] {
            let value = if u.ratio(1, 4)? {
                text(u, token)?
            } else {
                value
            };
            if u.ratio(5, 6)? {
                record.variables.insert(variable.into(), value);
            }
        }
        source_records.push(record);
    }
    if !sources.is_empty() {
        snapshot
            .stages
            .insert(0, fixtures::stage("Source", Some(EXECUTION), sources));
    }
    let records = u.ratio(7, 8)?.then(|| {
        let mut records = fixtures::runs_shown_by(&snapshot);
        // The state's source actions are replaced by their generated attempts.
        records.retain(|record| record.stage != "Source");
        records.extend(source_records);
        records
    });
    let records = match records {
        Some(mut records) => {
            records.extend(scan_attempts(u, token, now)?);
            for record in &mut records {
                match u.int_in_range(0..=12)? {
                    0 => record.execution_id = Some("exec-0".into()),
                    1 => record.updated = maybe_time(u, now)?,
                    2 => record.action_execution_id = None,
                    _ => {}
                }
            }
            if let Some(first) = records.first().cloned()
                && u.ratio(1, 4)?
            {
                records.push(ActionRecord {
                    status: status(u, token)?,
                    updated: maybe_time(u, now)?,
                    ..first
                });
            }
            Some(records)
        }
        None => None,
    };
    let variables = pipeline_variables(u, token)?;
    let execution = u.ratio(7, 8)?.then_some(ExecutionRecord {
        variables,
        execution_id: Some(if u.ratio(1, 10)? { "exec-0" } else { EXECUTION }.into()),
        artifacts,
        trigger: if u.ratio(1, 6)? {
            None
        } else {
            Some((*u.choose(TRIGGERS)?).to_owned())
        },
        // Mostly in progress, as an approval's execution is; sometimes stopped or unknown.
        status: match u.int_in_range(0..=9u8)? {
            0 => ExecutionStatus::Other("Stopping".into()),
            1 => ExecutionStatus::default(),
            _ => ExecutionStatus::InProgress,
        },
    });
    Ok((snapshot, records, execution))
}

/// Variable names: those the policies compare, and names from outside.
fn variable_name(u: &mut Unstructured<'_>, token: &str, names: &[&str]) -> Result<String> {
    Ok(match u.int_in_range(0..=5)? {
        0 => token.to_owned(),
        1 => text(u, token)?,
        _ => (*u.choose(names)?).to_owned(),
    })
}

/// Variable values: numbers and near-numbers, the values policies compare with, and text
/// from outside (often quoting the token).
fn variable_value(u: &mut Unstructured<'_>, token: &str) -> Result<String> {
    const VALUES: &[&str] = &[
        "0", "3", "-1", "2.5", "1e3", "NaN", "inf", "0x10", " 0", "", "standard", "minor",
        "CHG-42", "\u{663}", "１",
    ];
    Ok(if u.ratio(1, 3)? {
        text(u, token)?
    } else {
        (*u.choose(VALUES)?).to_owned()
    })
}

/// GetPipelineExecution's pipeline-level variables: listed once, twice, without a value.
fn pipeline_variables(u: &mut Unstructured<'_>, token: &str) -> Result<Vec<PipelineVariable>> {
    let mut variables = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        variables.push(PipelineVariable {
            name: variable_name(u, token, &["RELEASE_TYPE", "TICKET"])?,
            value: if u.ratio(1, 8)? {
                None
            } else {
                Some(variable_value(u, token)?)
            },
        });
    }
    Ok(variables)
}

/// Attempts of the actions that may declare a namespace: retried, unordered, failed, under
/// another namespace or none, with output variables from outside.
fn scan_attempts(
    u: &mut Unstructured<'_>,
    token: &str,
    now: Timestamp,
) -> Result<Vec<ActionRecord>> {
    let mut attempts = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let (stage, action) =
            *u.choose(&[("Test", "Scan"), ("Test", "Scan"), ("Build", "Unit")])?;
        let mut record = fixtures::record(EXECUTION, stage, action, status(u, token)?);
        record.updated = maybe_time(u, now)?;
        record.namespace = match u.int_in_range(0..=6)? {
            0 => None,
            1 => Some(token.to_owned()),
            2 => Some(text(u, token)?),
            3 => Some("Build_2".into()),
            _ => Some("Scan".into()),
        };
        for _ in 0..u.int_in_range(0..=3)? {
            let name = variable_name(u, token, &["CRITICAL_FINDINGS", "REPORT", "VERSION"])?;
            let value = variable_value(u, token)?;
            record.variables.insert(name, value);
        }
        attempts.push(record);
    }
    Ok(attempts)
}

/// The namespaces the declaration gives: `Scan` to Test/Scan (sometimes twice, to another
/// action, or not at all), and names from outside.
pub(crate) fn namespaces(u: &mut Unstructured<'_>, token: &str) -> Result<Vec<DeclaredNamespace>> {
    let mut declared = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let namespace = match u.int_in_range(0..=6)? {
            0 => token.to_owned(),
            1 => text(u, token)?,
            2 => "Build_2".into(),
            _ => "Scan".into(),
        };
        let (stage, action) = *u.choose(&[
            ("Test", "Scan"),
            ("Test", "Scan"),
            ("Build", "Unit"),
            ("Test", "Lint"),
        ])?;
        declared.push(DeclaredNamespace {
            namespace,
            stage: stage.into(),
            action: action.into(),
        });
    }
    Ok(declared)
}

/// What a check function answered, read as the gate reads it: a failure, a timeout, bytes,
/// an answer of the wrong shape, or `{"pass": …, "reason": …}` whose reason is text from
/// outside, often quoting the token.
pub(crate) fn function_answer(u: &mut Unstructured<'_>, token: &str) -> Result<FunctionAnswer> {
    let invoked = match u.int_in_range(0..=9)? {
        0 => Err(InvokeError::Function {
            kind: text(u, token)?,
            message: text(u, token)?,
        }),
        1 => Err(InvokeError::TimedOut(Duration::from_secs(
            u.int_in_range(1..=10)?,
        ))),
        2 => Err(InvokeError::Invoke(text(u, token)?)),
        3 => Ok(u.arbitrary::<&[u8]>()?.to_vec()),
        4 => Ok(json!({"pass": "true", "reason": text(u, token)?})
            .to_string()
            .into_bytes()),
        _ => Ok(
            json!({"pass": u.arbitrary::<bool>()?, "reason": text(u, token)?})
                .to_string()
                .into_bytes(),
        ),
    };
    Ok(FunctionAnswer::read(invoked, token))
}

fn alarm_state(u: &mut Unstructured<'_>, token: &str) -> Result<AlarmState> {
    Ok(match u.int_in_range(0..=4)? {
        0 => AlarmState::Alarm,
        1 => AlarmState::InsufficientData,
        2 => AlarmState::Other(text(u, token)?),
        _ => AlarmState::Ok,
    })
}

fn alarm(
    u: &mut Unstructured<'_>,
    token: &str,
    name: String,
    now: Timestamp,
) -> Result<AlarmStatus> {
    Ok(AlarmStatus {
        name,
        state: alarm_state(u, token)?,
        reason: if u.ratio(1, 5)? {
            None
        } else {
            Some(text(u, token)?)
        },
        changed: maybe_time(u, now)?,
    })
}

/// What `DescribeAlarms` answered: per name or prefix, the alarms asked for (sometimes
/// missing, twice, or beside strays whose names are text from outside), or an error.
fn alarm_answer(
    u: &mut Unstructured<'_>,
    token: &str,
    names: &[String],
    prefix: Option<&str>,
    now: Timestamp,
) -> Result<std::result::Result<Vec<AlarmStatus>, String>> {
    if u.ratio(1, 8)? {
        return Ok(Err(text(u, token)?));
    }
    let mut found = Vec::new();
    for name in names {
        for _ in 0..*u.choose(&[1, 1, 1, 0, 2])? {
            found.push(alarm(u, token, name.clone(), now)?);
        }
    }
    if let Some(prefix) = prefix {
        for _ in 0..u.int_in_range(0..=3)? {
            let name = format!("{prefix}{}", text(u, token)?);
            found.push(alarm(u, token, name, now)?);
        }
    }
    if u.ratio(1, 6)? {
        let name = text(u, token)?;
        found.push(alarm(u, token, name, now)?);
    }
    Ok(Ok(found))
}

fn calendar_reading(
    u: &mut Unstructured<'_>,
    token: &str,
    at: Timestamp,
    now: Timestamp,
) -> Result<std::result::Result<CalendarReading, String>> {
    if u.ratio(1, 8)? {
        return Ok(Err(text(u, token)?));
    }
    let state = match u.int_in_range(0..=4)? {
        0 | 1 => CalendarState::Closed,
        2 => CalendarState::Other(text(u, token)?),
        _ => CalendarState::Open,
    };
    let next_transition = match u.int_in_range(0..=3)? {
        0 => None,
        1 => maybe_time(u, now)?,
        _ => at.checked_add(seconds(u, 1..=40 * 86_400)?).ok(),
    };
    Ok(Ok(CalendarReading {
        at,
        state,
        next_transition,
    }))
}

/// The alarms and calendars as read for the rule that matches, with readings at now, at
/// the moment the approval started waiting, and at another moment nobody asked about.
pub(crate) fn conditions(
    u: &mut Unstructured<'_>,
    token: &str,
    rule: Option<&Rule>,
    now: Timestamp,
    since: Option<Timestamp>,
) -> Result<Conditions> {
    let read_at = now.checked_sub(seconds(u, 0..=90)?).unwrap_or(now);
    let mut alarms = None;
    if let Some(required) = rule.and_then(|rule| rule.alarms.as_ref())
        && u.ratio(9, 10)?
    {
        let by_name = if required.names.is_empty() || u.ratio(1, 10)? {
            None
        } else {
            Some(alarm_answer(u, token, &required.names, None, now)?)
        };
        let mut by_prefix = Vec::new();
        for prefix in &required.prefixes {
            if u.ratio(9, 10)? {
                by_prefix.push((
                    prefix.clone(),
                    alarm_answer(u, token, &[], Some(prefix), now)?,
                ));
            }
        }
        alarms = Some(AlarmReading { by_name, by_prefix });
    }
    let mut calendars = Vec::new();
    for name in rule
        .and_then(|rule| rule.change_calendars.as_ref())
        .map(|c| c.names.clone())
        .unwrap_or_default()
    {
        let mut readings = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let at = match u.int_in_range(0..=3)? {
                0 | 1 => now,
                2 => since.unwrap_or(now),
                _ => maybe_time(u, now)?.unwrap_or(now),
            };
            readings.push(calendar_reading(u, token, at, now)?);
        }
        calendars.push(CalendarReadings {
            calendar: name,
            readings,
        });
    }
    Ok(Conditions::read(read_at, alarms, calendars))
}
