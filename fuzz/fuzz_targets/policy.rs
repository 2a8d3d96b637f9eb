//! Bytes as a policy document. Nothing may panic; an accepted policy must keep its promises
//! (unique, non-empty rule names), and no policy may approve a notice whose token is not
//! the live one, or one that has expired.

#![no_main]

use approval_gate::decision::{Evidence, Verdict, decide};
use approval_gate::notice::{self, ApprovalRequest, ApprovalTarget, ApprovalToken};
use approval_gate::pipeline::{
    ActionExecution, ActionState, ActionStatus, PipelineSnapshot, StageExecution, StageState,
};
use approval_gate::policy::Policy;
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

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
        let live = snapshot(&target, "live-token");
        let evidence = Evidence {
            snapshot: &live,
            revisions: None,
        };
        let stale = request(&target, "other-token", "2099-12-31T23:59:00Z");
        let verdict = decide(&policy, &stale, evidence, now).verdict;
        assert_ne!(verdict, Verdict::Approve, "approved a stale token");
        let expired = request(&target, "live-token", "2026-11-26T08:59:00Z");
        let verdict = decide(&policy, &expired, evidence, now).verdict;
        assert_ne!(verdict, Verdict::Approve, "approved an expired approval");
        let fresh = request(&target, "live-token", "2099-12-31T23:59:00Z");
        let decision = decide(&policy, &fresh, evidence, now);
        if decision.verdict == Verdict::Approve {
            assert!(decision.summary().chars().count() <= 512);
        }
    }
});

/// The request a notice for `target` makes (built by the notice parser, so the request
/// stays what the gate itself would build).
fn request(target: &ApprovalTarget, token: &str, expires: &str) -> ApprovalRequest {
    let notice = serde_json::json!({"approval": {
        "pipelineName": target.pipeline,
        "stageName": target.stage,
        "actionName": target.action,
        "token": token,
        "expires": expires,
    }});
    notice::parse_notice(&notice.to_string()).unwrap()
}

/// The pipeline waiting at `target` for `token`, after a `Build` stage whose actions all
/// succeeded in the same execution.
fn snapshot(target: &ApprovalTarget, token: &str) -> PipelineSnapshot {
    let execution = || {
        Some(StageExecution {
            pipeline_execution_id: "exec-1".into(),
        })
    };
    let action = |name: &str, status: ActionStatus, token: Option<&str>| ActionState {
        name: name.into(),
        execution: Some(ActionExecution {
            status,
            token: token.map(ApprovalToken::new),
            last_status_change: None,
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
