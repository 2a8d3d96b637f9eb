//! Bytes as a policy document. Nothing may panic; an accepted policy must keep its promises
//! (unique, non-empty rule names), no policy may approve an approval past its expiry, and
//! a token that is not the live one is never proven live.

#![no_main]

use std::collections::BTreeMap;

use approval_gate::conditions::Conditions;
use approval_gate::decision::{Evidence, MAX_SUMMARY_BYTES, Verdict, decide};
use approval_gate::evidence::{ExecutionFacts, LiveApproval, SourceHead};
use approval_gate::notice::{ApprovalTarget, ApprovalToken};
use approval_gate::pipeline::{
    ActionExecution, ActionKind, ActionRecord, ActionState, ActionStatus, Declaration,
    PipelineSnapshot, StageExecution, StageState,
};
use approval_gate::policy::Policy;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::fuzz_target;

const EXECUTION: &str = "exec-1";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::from_json(text) else {
        return;
    };
    let mut names = std::collections::HashSet::new();
    for rule in &policy.rules {
        assert!(!rule.name.trim().is_empty(), "accepted an empty rule name");
        assert!(names.insert(&rule.name), "accepted {:?} twice", rule.name);
    }
    let _ = policy.named_pipelines();
    let now: Timestamp = "2026-11-26T09:00:00Z".parse().unwrap();
    let sweep_every = SignedDuration::from_mins(5);
    for (pipeline, stage, action) in [
        ("web-shop", "Approve-Prod", "Manual"),
        ("data-etl", "Approve", "SignOff"),
        ("a", "b", "c"),
    ] {
        let _ = policy.covers(pipeline);
        let target = ApprovalTarget {
            pipeline: pipeline.into(),
            stage: stage.into(),
            action: action.into(),
        };
        let state = snapshot(&target, "live-token", now - SignedDuration::from_hours(1));
        assert!(
            LiveApproval::prove(&state, &target, &ApprovalToken::new("other-token")).is_err(),
            "proved a stale token live"
        );
        let approval = LiveApproval::prove(&state, &target, &ApprovalToken::new("live-token"))
            .expect("the waiting token is live");
        let facts = ExecutionFacts::of(&approval).with_actions(builds_succeeded());
        let heads = SourceHead::of(&state);
        // Waiting for an hour: a 59-minute timeout has expired, a 7-day one has not.
        let timeout = |minutes: i64| Declaration {
            timeouts: [((target.stage.clone(), target.action.clone()), Some(minutes))].into(),
        };
        let conditions = Conditions::none();
        let mut evidence = Evidence {
            approval: &approval,
            execution: &facts,
            heads: &heads,
            expiry: approval.expiry(Some(&timeout(59))),
            conditions: &conditions,
        };
        let verdict = decide(&policy, &evidence, now, sweep_every).verdict;
        assert_ne!(verdict, Verdict::Approve, "approved an expired approval");
        evidence.expiry = approval.expiry(Some(&timeout(7 * 24 * 60)));
        let decision = decide(&policy, &evidence, now, sweep_every);
        if decision.verdict == Verdict::Approve {
            assert!(decision.summary().len() <= MAX_SUMMARY_BYTES);
        }
    }
});

/// What ListActionExecutions shows: the `Build` actions succeeded in the execution.
fn builds_succeeded() -> Vec<ActionRecord> {
    ["IntegrationTests", "Unit"]
        .into_iter()
        .map(|action| ActionRecord {
            execution_id: Some(EXECUTION.into()),
            stage: "Build".into(),
            action: action.into(),
            kind: ActionKind::Other,
            status: ActionStatus::Succeeded,
            updated: None,
            output_artifacts: Vec::new(),
            variables: BTreeMap::new(),
        })
        .collect()
}

/// The pipeline waiting at `target` for `token` since `since`, in execution `exec-1`.
fn snapshot(target: &ApprovalTarget, token: &str, since: Timestamp) -> PipelineSnapshot {
    let execution = || {
        Some(StageExecution {
            pipeline_execution_id: EXECUTION.into(),
        })
    };
    let action = |name: &str, status: ActionStatus, token: Option<&str>| ActionState {
        name: name.into(),
        execution: Some(ActionExecution {
            status,
            token: token.map(ApprovalToken::new),
            last_status_change: Some(since),
        }),
        current_revision: None,
    };
    PipelineSnapshot {
        name: target.pipeline.clone(),
        stages: vec![
            StageState {
                name: "Build".into(),
                execution: execution(),
                actions: vec![
                    action("IntegrationTests", ActionStatus::Succeeded, None),
                    action("Unit", ActionStatus::Succeeded, None),
                ],
            },
            StageState {
                name: target.stage.clone(),
                execution: execution(),
                actions: vec![action(
                    &target.action,
                    ActionStatus::InProgress,
                    Some(token),
                )],
            },
        ],
    }
}
