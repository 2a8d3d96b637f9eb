//! One approval is one bulkhead in the sweep: its panic or its hang is reported with the
//! pipeline (never the token), counted, and the sweep answers the others.

use std::time::{Duration, SystemTime};

use crate::common::*;
use crate::sweep::deployed_gate;
use approval_gate::pipeline::ActionStatus;
use serde_json::Value;

fn approvable(name: &str, number: u32) -> approval_gate::pipeline::PipelineSnapshot {
    waiting(
        name,
        "Approve-Prod",
        "Manual",
        &format!("00000000-0000-4000-8000-{number:012}"),
        ActionStatus::Succeeded,
    )
}

/// Four pipelines the demo policy approves: one whose state read panics, one whose
/// approval's attempts read panics, one whose attempts read never returns, one healthy.
fn fleet() -> FakePipelines {
    let pipelines = FakePipelines::default()
        .with_state(approvable("web-a-state-panics", 1))
        .with_state(approvable("web-b-attempts-panic", 2))
        .with_state(approvable("web-c-attempts-hang", 3))
        .with_state(approvable("web-d-healthy", 4));
    pipelines
        .breaking("web-a-state-panics", Breakage::StatePanics)
        .breaking("web-b-attempts-panic", Breakage::AttemptsPanic)
        .breaking("web-c-attempts-hang", Breakage::AttemptsHang)
}

fn sweep_event() -> Value {
    event("scheduled-sweep")
}

#[tokio::test(start_paused = true)]
async fn a_panic_or_a_hang_on_one_pipeline_stops_only_that_one() {
    let pipelines = fleet();
    let gate = deployed_gate(&pipelines);
    let started = tokio::time::Instant::now();

    let response = gate
        .handle_until(
            &sweep_event(),
            Some(SystemTime::now() + Duration::from_secs(120)),
        )
        .await
        .unwrap();

    let summary = response.sweep.unwrap();
    let answered: Vec<String> = pipelines
        .answers()
        .iter()
        .map(|answer| answer.target.pipeline.clone())
        .collect();
    assert_eq!(answered, ["web-d-healthy"]);
    assert_eq!(summary.answered, 1);
    assert_eq!(summary.isolated, 3, "{summary:?}");
    let mut failures = summary.failures.clone();
    failures.sort();
    assert_eq!(
        failures,
        [
            "web-a-state-panics: the gate panicked while handling it (a bug; the log has the location)",
            "web-b-attempts-panic/Approve-Prod/Manual: the gate panicked while handling it (a bug; the log has the location)",
            "web-c-attempts-hang/Approve-Prod/Manual: it did not finish within its time budget of 30 s",
        ]
    );
    for failure in &failures {
        assert!(!failure.contains("00000000-0000-4000-8000"), "{failure}");
    }
    // The hang cost its budget, not the invocation.
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn an_approval_near_the_deadline_gets_only_the_time_left() {
    let pipelines = FakePipelines::default()
        .with_state(approvable("web-c-attempts-hang", 3))
        .breaking("web-c-attempts-hang", Breakage::AttemptsHang);
    let gate = deployed_gate(&pipelines);
    let started = tokio::time::Instant::now();

    let response = gate
        .handle_until(
            &sweep_event(),
            Some(SystemTime::now() + Duration::from_secs(25)),
        )
        .await
        .unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!(summary.isolated, 1);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(25),
        "the sweep returned in time: {took:?}"
    );
    assert!(took > Duration::from_secs(24), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn the_next_sweep_tries_a_broken_pipeline_again() {
    let pipelines = fleet();
    let gate = deployed_gate(&pipelines);
    gate.handle(&sweep_event()).await.unwrap();
    pipelines.broken.lock().unwrap().clear();

    let response = gate.handle(&sweep_event()).await.unwrap();

    // The fake's states do not change when answered: the healthy one is answered again.
    let summary = response.sweep.unwrap();
    assert_eq!((summary.answered, summary.isolated), (4, 0), "{summary:?}");
    let mut answered: Vec<String> = pipelines
        .answers()
        .iter()
        .map(|answer| answer.target.pipeline.clone())
        .collect();
    answered.sort();
    answered.dedup();
    assert_eq!(answered.len(), 4, "{answered:?}");
}

#[tokio::test]
async fn a_panic_while_deciding_a_notice_fails_that_record_alone() {
    let pipelines = FakePipelines::default()
        .with_state(waiting(
            "web-shop",
            "Approve-Prod",
            "Manual",
            "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31",
            ActionStatus::Succeeded,
        ))
        .breaking("web-shop", Breakage::AttemptsPanic);
    let gate = deployed_gate(&pipelines);

    let error = gate.handle(&event("approved-by-rule")).await.unwrap_err();

    assert_eq!(error.error_type(), "ApprovalGate.Internal");
    assert!(pipelines.answers().is_empty());
    let message = format!("{error}");
    assert!(!message.contains("4c8e3a2b"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn a_pipeline_with_many_approvals_starts_none_after_the_sweeps_stop() {
    // Three approvals waiting in one pipeline; the first one's reads hang past the stop.
    let mut state = approvable("web-c-attempts-hang", 3);
    let approve = state
        .stages
        .iter()
        .position(|stage| stage.name == "Approve-Prod")
        .unwrap();
    for (number, name) in [(5, "Approve-Prod-2"), (6, "Approve-Prod-3")] {
        let mut stage = state.stages[approve].clone();
        stage.name = name.into();
        if let Some(execution) = stage.actions[0].execution.as_mut() {
            execution.token = Some(approval_gate::notice::ApprovalToken::new(format!(
                "00000000-0000-4000-8000-{number:012}"
            )));
        }
        state.stages.push(stage);
    }
    let pipelines = FakePipelines::default()
        .with_state(state)
        .breaking("web-c-attempts-hang", Breakage::AttemptsHang);
    let policy = r#"{"rules": [{"name": "all", "match": {"pipeline": "web-*"},
        "require_succeeded": ["Build/IntegrationTests"]}]}"#;
    let gate = approval_gate::handler::Gate::new(
        approval_gate::policy::Policy::from_json(policy).unwrap(),
        approval_gate::handler::Settings::default(),
        &pipelines,
        None::<&FakeTopic>,
    )
    .with_clock(|| "2026-11-26T08:00:00Z".parse().unwrap());
    let started = tokio::time::Instant::now();

    let response = gate
        .handle_until(
            &sweep_event(),
            Some(SystemTime::now() + Duration::from_secs(25)),
        )
        .await
        .unwrap();

    let summary = response.sweep.unwrap();
    assert!(started.elapsed() < Duration::from_secs(25));
    assert_eq!(summary.isolated, 1, "{summary:?}");
    assert!(
        summary.failures.contains(
            &"web-c-attempts-hang: 2 approval(s) not reached before the sweep's stop".to_owned()
        ),
        "{summary:?}"
    );
}
