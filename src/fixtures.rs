//! Builders of the pipeline model for tests: one place that knows what a waiting pipeline,
//! a stage and an action attempt look like. The unit tests, the integration tests
//! (`tests/it`) and the fuzz targets build their worlds from these, and change what they
//! test with struct update syntax:
//!
//! ```
//! use approval_gate::fixtures::{self, EXECUTION};
//! use approval_gate::pipeline::{ActionRecord, ActionStatus};
//!
//! let retried = ActionRecord {
//!     updated: Some(fixtures::at("2026-11-26T07:40:00Z")),
//!     ..fixtures::record(EXECUTION, "Build", "Unit", ActionStatus::Succeeded)
//! };
//! assert_eq!(retried.execution_id.as_deref(), Some(EXECUTION));
//! ```
//!
//! Compiled for the crate's own tests and with the `fixtures` feature, never into the
//! function.

// Fixtures are literals written by the tests: a bad one is a bug in the test, and
// panicking names it.
#![allow(clippy::panic)]

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::notice::{ApprovalTarget, ApprovalToken};
use crate::pipeline::{
    ActionExecution, ActionKind, ActionRecord, ActionState, ActionStatus, Declaration,
    ExecutionStatus, PipelineSnapshot, StageExecution, StageState,
};

/// The pipeline execution the builders put a pipeline in, unless told otherwise.
pub const EXECUTION: &str = "exec-1";

/// A timestamp written in RFC 3339.
pub fn at(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|error| panic!("fixture time {text:?}: {error}"))
}

pub fn target(pipeline: &str, stage: &str, action: &str) -> ApprovalTarget {
    ApprovalTarget {
        pipeline: pipeline.into(),
        stage: stage.into(),
        action: action.into(),
    }
}

/// An action of its stage's latest execution, at `status` since `changed`. Its action
/// execution id is [`action_execution_id`] of its name.
pub fn action(name: &str, status: ActionStatus, changed: Option<Timestamp>) -> ActionState {
    ActionState {
        name: name.into(),
        execution: Some(ActionExecution {
            action_execution_id: Some(action_execution_id(name)),
            status,
            token: None,
            last_status_change: changed,
        }),
        current_revision: None,
    }
}

/// An approval action waiting (`InProgress`) for `token` since `since`.
pub fn approval(name: &str, token: &str, since: Option<Timestamp>) -> ActionState {
    let mut action = action(name, ActionStatus::InProgress, since);
    if let Some(execution) = &mut action.execution {
        execution.token = Some(ApprovalToken::new(token));
    }
    action
}

/// The action execution id the builders give the action `name`.
pub fn action_execution_id(name: &str) -> String {
    format!("ae-{name}")
}

/// A stage whose latest execution is `execution` (`None`: it never ran).
pub fn stage(name: &str, execution: Option<&str>, actions: Vec<ActionState>) -> StageState {
    StageState {
        name: name.into(),
        execution: execution.map(|id| StageExecution {
            pipeline_execution_id: id.into(),
            status: ExecutionStatus::InProgress,
        }),
        actions,
    }
}

/// The pipeline of `target`, waiting there for `token` since `since` in [`EXECUTION`],
/// after a `Build` stage whose actions show the given statuses (changed at `since` too).
pub fn waiting(
    target: &ApprovalTarget,
    token: &str,
    since: Option<Timestamp>,
    builds: &[(&str, ActionStatus)],
) -> PipelineSnapshot {
    let builds = builds
        .iter()
        .map(|(name, status)| action(name, status.clone(), since))
        .collect();
    PipelineSnapshot {
        name: target.pipeline.clone(),
        stages: vec![
            stage("Build", Some(EXECUTION), builds),
            stage(
                &target.stage,
                Some(EXECUTION),
                vec![approval(&target.action, token, since)],
            ),
        ],
    }
}

/// One attempt of `stage/action` in `execution`, as `ListActionExecutions` lists it: not a
/// source, no time, no artifacts, no variables; its action execution id is
/// [`action_execution_id`] of the action.
pub fn record(execution: &str, stage: &str, action: &str, status: ActionStatus) -> ActionRecord {
    ActionRecord {
        execution_id: Some(execution.into()),
        action_execution_id: Some(action_execution_id(action)),
        stage: stage.into(),
        action: action.into(),
        kind: ActionKind::Other,
        status,
        updated: None,
        output_artifacts: Vec::new(),
        variables: BTreeMap::new(),
        started: None,
        external_execution_id: None,
        namespace: None,
    }
}

/// The attempts a snapshot implies when every stage ran as it shows: each action that has
/// run (an approval waiting included), in the execution its stage shows, updated when its
/// status last changed, under the action execution id the state shows.
pub fn runs_shown_by(snapshot: &PipelineSnapshot) -> Vec<ActionRecord> {
    let mut records = Vec::new();
    for stage in &snapshot.stages {
        let Some(stage_execution) = &stage.execution else {
            continue;
        };
        for action in &stage.actions {
            let Some(execution) = &action.execution else {
                continue;
            };
            records.push(ActionRecord {
                action_execution_id: execution.action_execution_id.clone(),
                updated: execution.last_status_change,
                ..record(
                    &stage_execution.pipeline_execution_id,
                    &stage.name,
                    &action.name,
                    execution.status.clone(),
                )
            });
        }
    }
    records
}

/// A declaration (`GetPipeline`) that gives the approval action at `target` a timeout of
/// `minutes`.
pub fn timeout(target: &ApprovalTarget, minutes: i64) -> Declaration {
    Declaration {
        timeouts: [((target.stage.clone(), target.action.clone()), Some(minutes))].into(),
        ..Declaration::default()
    }
}
