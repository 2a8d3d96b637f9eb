//! Pipelines in PARALLEL and QUEUED execution mode, through the real SDK against the
//! stand-in. A PARALLEL pipeline's state shows no tokens: its approvals are proven from
//! ListActionExecutions (the attempt's `externalExecutionId` is the token), each decided
//! with its own execution's facts. In QUEUED mode several executions wait in different
//! stages at once, each approval in its own stage's execution.

use crate::common::*;
use approval_gate::aws::{CodePipeline, SnsDecisionTopic};
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome, Report};
use serde_json::{Value, json};
use stand_in::StandIn;

pub(crate) const PIPELINE: &str = "feature-branches";
pub(crate) const EXECUTIONS: [&str; 2] = [
    "a1a1a1a1-0000-4000-8000-000000000001",
    "b2b2b2b2-0000-4000-8000-000000000002",
];
pub(crate) const TOKENS: [&str; 2] = [
    "7d0c1f3e-9b2a-4c5d-8e6f-0a1b2c3d4e01",
    "7d0c1f3e-9b2a-4c5d-8e6f-0a1b2c3d4e02",
];

pub(crate) const POLICY: &str = r#"{"rules": [{"name": "features-after-tests",
    "match": {"pipeline": "feature-*", "stage": "Approve"},
    "require_succeeded": ["Build/IntegrationTests"],
    "on_fail": "reject"}]}"#;

/// One execution's attempts: its integration tests ended as `tests`, and its approval
/// waiting on `token`.
fn runs(execution: &str, tests: &str, token: &str) -> Vec<Value> {
    let attempt = |stage: &str, action: &str, category: &str, status: &str| {
        json!({
            "pipelineExecutionId": execution,
            "actionExecutionId": format!("ae-{action}-{execution}"),
            "pipelineVersion": 1,
            "stageName": stage,
            "actionName": action,
            "startTime": 1795685340.0,
            "lastUpdateTime": 1795685400.0,
            "status": status,
            "input": {"actionTypeId": {"category": category, "owner": "AWS", "provider": "CodeBuild", "version": "1"}},
            "output": {},
        })
    };
    let mut approval = attempt("Approve", "Manual", "Approval", "InProgress");
    approval["output"] = json!({"executionResult": {"externalExecutionId": token}});
    vec![
        attempt("Build", "IntegrationTests", "Test", tests),
        approval,
    ]
}

/// A PARALLEL pipeline with two executions waiting at its one approval action; the
/// second's integration tests ended as `second_tests`.
pub(crate) async fn parallel(second_tests: &str) -> StandIn {
    let stand_in = StandIn::start().await.unwrap();
    // What the state shows of a PARALLEL pipeline: stages, and no approval to answer.
    stand_in.put_pipeline(json!({
        "pipelineName": PIPELINE,
        "stageStates": [
            {"stageName": "Build", "actionStates": [{"actionName": "IntegrationTests"}]},
            {"stageName": "Approve", "actionStates": [{"actionName": "Manual"}]},
        ],
    }));
    stand_in.put_declaration(json!({
        "name": PIPELINE,
        "executionMode": "PARALLEL",
        "roleArn": "arn:aws:iam::123456789012:role/pipeline",
        "stages": [
            {"name": "Build", "actions": [{"name": "IntegrationTests",
                "actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"}}]},
            {"name": "Approve", "actions": [{"name": "Manual",
                "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]},
        ],
    }));
    let mut details = Vec::new();
    for (i, (execution, token)) in EXECUTIONS.iter().zip(TOKENS).enumerate() {
        stand_in.put_execution(
            PIPELINE,
            json!({"pipelineName": PIPELINE, "pipelineExecutionId": execution,
                   "status": "InProgress", "artifactRevisions": []}),
        );
        let tests = if i == 0 { "Succeeded" } else { second_tests };
        details.extend(runs(execution, tests, token));
    }
    stand_in::action_executions_waiting_for(&mut details, 600.0);
    stand_in.put_action_executions(PIPELINE, details);
    stand_in
}

async fn gate(stand_in: &StandIn, policy: &str) -> Gate<Adapters<CodePipeline, SnsDecisionTopic>> {
    let sdk = sdk_for(stand_in).await;
    Gate::new(
        Policy::from_json(policy).unwrap(),
        Settings {
            token_wait: std::time::Duration::from_millis(300),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        None,
    )
}

/// The notice for the approval at `stage`/`action` of `pipeline` waiting on `token`.
pub(crate) fn notice(pipeline: &str, stage: &str, action: &str, token: &str) -> Value {
    let mut notice = notice_of(&event("approved-by-rule"));
    let approval = &mut notice["approval"];
    approval["pipelineName"] = pipeline.into();
    approval["stageName"] = stage.into();
    approval["actionName"] = action.into();
    approval["token"] = token.into();
    approval["approvalReviewLink"] = Value::Null;
    approval["customData"] = Value::Null;
    sns_event(&notice.to_string())
}

async fn decide(gate: &Gate<Adapters<CodePipeline, SnsDecisionTopic>>, event: &Value) -> Report {
    let mut response = gate.handle(event).await.unwrap();
    assert_eq!(response.records.len(), 1);
    response.records.remove(0)
}

/// (status, token) of every answer CodePipeline took, in order.
fn answers(stand_in: &StandIn) -> Vec<(String, String)> {
    stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            (
                call.body["result"]["status"].as_str().unwrap().to_owned(),
                call.body["token"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn two_executions_waiting_at_one_parallel_approval_are_each_answered_by_their_own_facts() {
    let stand_in = parallel("Failed").await;
    let gate = gate(&stand_in, POLICY).await;

    let first = decide(&gate, &notice(PIPELINE, "Approve", "Manual", TOKENS[0])).await;
    let second = decide(&gate, &notice(PIPELINE, "Approve", "Manual", TOKENS[1])).await;

    assert_eq!(first.outcome, Outcome::Approve, "{first:?}");
    assert_eq!(first.execution_id.as_deref(), Some(EXECUTIONS[0]));
    assert_eq!(second.outcome, Outcome::Reject, "{second:?}");
    assert_eq!(second.execution_id.as_deref(), Some(EXECUTIONS[1]));
    assert!(
        second.reasons[0].contains(&format!("is Failed in execution {}", EXECUTIONS[1])),
        "{second:?}"
    );
    assert_eq!(
        answers(&stand_in),
        [
            ("Approved".to_owned(), TOKENS[0].to_owned()),
            ("Rejected".to_owned(), TOKENS[1].to_owned()),
        ]
    );

    // Delivered again: each is answered already, and nothing more is sent.
    let again = decide(&gate, &notice(PIPELINE, "Approve", "Manual", TOKENS[0])).await;
    assert_eq!(again.outcome, Outcome::Stale, "{again:?}");
    assert_eq!(answers(&stand_in).len(), 2);
}

#[tokio::test]
async fn approval_events_and_wake_ups_select_a_parallel_approval_by_its_execution() {
    let stand_in = parallel("Succeeded").await;
    let gate = gate(&stand_in, POLICY).await;
    let mut started = event("approval-started");
    let detail = &mut started["detail"];
    detail["pipeline"] = PIPELINE.into();
    detail["stage"] = "Approve".into();
    detail["action"] = "Manual".into();
    detail["execution-id"] = EXECUTIONS[0].into();
    detail["action-execution-id"] = format!("ae-Manual-{}", EXECUTIONS[0]).into();
    let woken = json!({
        "version": "1",
        "source": "approval-gate",
        "detail-type": "Approval Wake-up",
        "detail": {"pipeline": PIPELINE, "stage": "Approve", "action": "Manual",
                   "execution-id": EXECUTIONS[1], "at": "2026-12-07T09:00:00Z"},
    });

    let by_event = decide(&gate, &started).await;
    let by_wake_up = decide(&gate, &woken).await;

    assert_eq!(by_event.outcome, Outcome::Approve, "{by_event:?}");
    assert_eq!(by_event.execution_id.as_deref(), Some(EXECUTIONS[0]));
    assert_eq!(by_wake_up.outcome, Outcome::Approve, "{by_wake_up:?}");
    assert_eq!(by_wake_up.execution_id.as_deref(), Some(EXECUTIONS[1]));
    assert_eq!(
        answers(&stand_in),
        [
            ("Approved".to_owned(), TOKENS[0].to_owned()),
            ("Approved".to_owned(), TOKENS[1].to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_parallel_approval_the_action_executions_do_not_show_waiting_as_named_is_not_answered() {
    let stand_in = parallel("Succeeded").await;
    let gate = gate(&stand_in, POLICY).await;
    let mut other_action_execution = event("approval-started");
    let detail = &mut other_action_execution["detail"];
    detail["pipeline"] = PIPELINE.into();
    detail["stage"] = "Approve".into();
    detail["action"] = "Manual".into();
    detail["execution-id"] = EXECUTIONS[0].into();
    detail["action-execution-id"] = format!("ae-Manual-{}", EXECUTIONS[1]).into();

    for event in [
        notice(
            PIPELINE,
            "Approve",
            "Manual",
            "0f0f0f0f-0000-4000-8000-00000000000f",
        ),
        notice(PIPELINE, "Approve", "Sign-off", TOKENS[0]),
        other_action_execution,
    ] {
        let report = decide(&gate, &event).await;
        assert_eq!(report.outcome, Outcome::Stale, "{report:?}");
    }
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}

#[tokio::test]
async fn a_parallel_approval_whose_execution_is_stopping_is_not_answered() {
    let stand_in = parallel("Succeeded").await;
    stand_in.put_execution(
        PIPELINE,
        json!({"pipelineName": PIPELINE, "pipelineExecutionId": EXECUTIONS[0],
               "status": "Stopping", "artifactRevisions": []}),
    );
    let gate = gate(
        &stand_in,
        r#"{"rules": [{"name": "any-feature", "match": {"pipeline": "feature-*"}}]}"#,
    )
    .await;
    let mut woken = json!({
        "version": "1",
        "source": "approval-gate",
        "detail-type": "Approval Wake-up",
        "detail": {"pipeline": PIPELINE, "stage": "Approve", "action": "Manual",
                   "execution-id": EXECUTIONS[0], "at": "2026-12-07T09:00:00Z"},
    });

    let by_notice = decide(&gate, &notice(PIPELINE, "Approve", "Manual", TOKENS[0])).await;
    let by_wake_up = decide(&gate, &woken).await;
    woken["detail"]["execution-id"] = EXECUTIONS[1].into();
    let other = decide(&gate, &woken).await;

    assert_eq!(by_notice.outcome, Outcome::Stale, "{by_notice:?}");
    assert_eq!(by_wake_up.outcome, Outcome::Stale, "{by_wake_up:?}");
    assert!(
        by_wake_up.reasons[0].contains("is Stopping, not InProgress"),
        "{by_wake_up:?}"
    );
    assert_eq!(other.outcome, Outcome::Approve, "{other:?}");
    assert_eq!(
        answers(&stand_in),
        [("Approved".to_owned(), TOKENS[1].to_owned())]
    );
}

#[tokio::test]
async fn in_queued_mode_each_approval_waiting_in_its_own_stage_is_decided_by_its_own_execution() {
    // Two executions wait at once: the older at Approve-Prod, the newer at Approve-Staging.
    // Its integration tests failed in the newer one only.
    let stand_in = StandIn::start().await.unwrap();
    let (older, newer) = (EXECUTIONS[0], EXECUTIONS[1]);
    let waiting = |stage: &str, execution: &str, token: &str| {
        json!({"stageName": stage,
               "latestExecution": {"pipelineExecutionId": execution, "status": "InProgress"},
               "actionStates": [{"actionName": "Manual", "latestExecution": {
                   "actionExecutionId": format!("ae-Manual-{execution}"),
                   "status": "InProgress", "token": token}}]})
    };
    let mut state = json!({"pipelineName": "queue-orders", "stageStates": [
        {"stageName": "Build",
         "latestExecution": {"pipelineExecutionId": newer, "status": "Succeeded"},
         "actionStates": [{"actionName": "IntegrationTests"}]},
        waiting("Approve-Staging", newer, TOKENS[1]),
        waiting("Approve-Prod", older, TOKENS[0]),
    ]});
    stand_in::waiting_for(&mut state, 600.0);
    stand_in.put_pipeline(state);
    stand_in.set_execution_mode("queue-orders", "QUEUED");
    let mut details = Vec::new();
    for (execution, tests) in [(older, "Succeeded"), (newer, "Failed")] {
        stand_in.put_execution(
            "queue-orders",
            json!({"pipelineName": "queue-orders", "pipelineExecutionId": execution,
                   "status": "InProgress", "artifactRevisions": []}),
        );
        details.extend(
            runs(execution, tests, "unused")
                .into_iter()
                .filter(|run| run["stageName"] == "Build"),
        );
    }
    stand_in.put_action_executions("queue-orders", details);
    let policy = r#"{"rules": [{"name": "queue-after-tests",
        "match": {"pipeline": "queue-*", "stage": "Approve-*"},
        "require_succeeded": ["Build/IntegrationTests"], "on_fail": "reject"}]}"#;
    let gate = gate(&stand_in, policy).await;

    let prod = decide(
        &gate,
        &notice("queue-orders", "Approve-Prod", "Manual", TOKENS[0]),
    )
    .await;
    let staging = decide(
        &gate,
        &notice("queue-orders", "Approve-Staging", "Manual", TOKENS[1]),
    )
    .await;
    // A token shown at another stage is not this one's.
    let crossed = decide(
        &gate,
        &notice("queue-orders", "Approve-Prod", "Manual", TOKENS[1]),
    )
    .await;

    assert_eq!(prod.outcome, Outcome::Approve, "{prod:?}");
    assert_eq!(prod.execution_id.as_deref(), Some(older));
    assert_eq!(staging.outcome, Outcome::Reject, "{staging:?}");
    assert_eq!(staging.execution_id.as_deref(), Some(newer));
    assert_eq!(crossed.outcome, Outcome::Stale, "{crossed:?}");
    assert_eq!(
        answers(&stand_in),
        [
            ("Approved".to_owned(), TOKENS[0].to_owned()),
            ("Rejected".to_owned(), TOKENS[1].to_owned()),
        ]
    );
    assert_eq!(prod.answer, Answer::Sent);
}

#[tokio::test]
async fn the_sweep_finds_the_approvals_of_a_parallel_pipeline_in_its_executions_in_progress() {
    let exact = POLICY.replace("\"feature-*\"", "\"feature-branches\"");
    // Listed by a wildcard (its mode comes with the list), or named exactly (its mode is
    // read once its state shows nothing waiting).
    for policy in [POLICY, exact.as_str()] {
        let stand_in = parallel("Failed").await;
        let gate = gate(&stand_in, policy).await;

        let response = gate.handle(&event("scheduled-sweep")).await.unwrap();

        let summary = response.sweep.unwrap();
        assert_eq!((summary.pending, summary.answered), (2, 2), "{summary:?}");
        let mut decided: Vec<(Outcome, Option<String>)> = response
            .records
            .iter()
            .map(|report| (report.outcome, report.execution_id.clone()))
            .collect();
        decided.sort_by_key(|(_, execution)| execution.clone());
        assert_eq!(
            decided,
            [
                (Outcome::Approve, Some(EXECUTIONS[0].to_owned())),
                (Outcome::Reject, Some(EXECUTIONS[1].to_owned())),
            ]
        );
        let mut answered = answers(&stand_in);
        answered.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(
            answered,
            [
                ("Approved".to_owned(), TOKENS[0].to_owned()),
                ("Rejected".to_owned(), TOKENS[1].to_owned()),
            ]
        );
        // A second sweep finds nothing left to answer.
        let again = gate.handle(&event("scheduled-sweep")).await.unwrap();
        assert_eq!(again.sweep.unwrap().answered, 0);
        assert_eq!(answers(&stand_in).len(), 2);
    }
}

#[tokio::test]
async fn the_sweep_leaves_the_approval_of_a_parallel_execution_that_is_not_in_progress() {
    let stand_in = parallel("Succeeded").await;
    stand_in.put_execution(
        PIPELINE,
        json!({"pipelineName": PIPELINE, "pipelineExecutionId": EXECUTIONS[1],
               "status": "Stopping", "artifactRevisions": []}),
    );
    let gate = gate(&stand_in, POLICY).await;

    let response = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(response.sweep.unwrap().answered, 1);
    assert_eq!(
        answers(&stand_in),
        [("Approved".to_owned(), TOKENS[0].to_owned())]
    );
}

#[tokio::test]
async fn latest_in_parallel_mode_is_never_approved_when_the_sources_heads_cannot_be_read() {
    // The state of this PARALLEL pipeline shows no source action with a current revision:
    // which revision is the newest cannot be proven, so `latest` fails for both.
    let stand_in = parallel("Succeeded").await;
    let policy = r#"{"rules": [{"name": "features-latest",
        "match": {"pipeline": "feature-*"},
        "revisions": {"latest": true}, "on_fail": "reject"}]}"#;
    let gate = gate(&stand_in, policy).await;

    for token in TOKENS {
        let report = decide(&gate, &notice(PIPELINE, "Approve", "Manual", token)).await;
        assert_ne!(report.outcome, Outcome::Approve, "{report:?}");
    }
    assert!(
        answers(&stand_in)
            .iter()
            .all(|(status, _)| status != "Approved")
    );
}

// ---- CodePipeline answers that contradict themselves, through a fake ----

mod contradictions {
    use super::*;
    use approval_gate::fixtures;
    use approval_gate::pipeline::{
        ActionRecord, ActionStatus, Declaration, ExecutionMode, ExecutionRecord, ExecutionStatus,
        PipelineSnapshot,
    };

    const CLOCK: &str = "2026-11-26T08:00:00Z";

    fn target() -> approval_gate::notice::ApprovalTarget {
        fixtures::target(PIPELINE, "Approve", "Manual")
    }

    /// One execution's attempts: its tests ended as `tests`, its approval waits on `token`.
    fn attempts(execution: &str, tests: ActionStatus, token: &str) -> Vec<ActionRecord> {
        vec![
            fixtures::record(execution, "Build", "IntegrationTests", tests),
            ActionRecord {
                action_execution_id: Some(format!("ae-{execution}")),
                external_execution_id: Some(token.into()),
                started: Some(fixtures::at("2026-11-26T07:55:00Z")),
                ..fixtures::record(execution, "Approve", "Manual", ActionStatus::InProgress)
            },
        ]
    }

    /// A PARALLEL pipeline whose state is `state`; E1's tests failed, E2's passed; E2's
    /// execution has `second_status` in GetPipelineExecution.
    fn pipelines(
        state: PipelineSnapshot,
        tokens: [&str; 2],
        second_status: ExecutionStatus,
    ) -> FakePipelines {
        let pipelines = FakePipelines::default()
            .with_state(state)
            .with_declaration(
                PIPELINE,
                Declaration {
                    mode: ExecutionMode::Parallel,
                    ..Declaration::default()
                },
            )
            .with_runs(
                PIPELINE,
                EXECUTIONS[0],
                attempts(EXECUTIONS[0], ActionStatus::Failed, tokens[0]),
            )
            .with_runs(
                PIPELINE,
                EXECUTIONS[1],
                attempts(EXECUTIONS[1], ActionStatus::Succeeded, tokens[1]),
            );
        for (execution, status) in [
            (EXECUTIONS[0], ExecutionStatus::InProgress),
            (EXECUTIONS[1], second_status),
        ] {
            pipelines.executions.lock().unwrap().insert(
                execution.into(),
                ExecutionRecord {
                    execution_id: Some(execution.into()),
                    status,
                    ..ExecutionRecord::default()
                },
            );
        }
        pipelines
    }

    fn empty_state() -> PipelineSnapshot {
        PipelineSnapshot {
            name: PIPELINE.into(),
            stages: Vec::new(),
        }
    }

    fn fake_gate(pipelines: &FakePipelines) -> Gate<Adapters<&FakePipelines, &'static FakeTopic>> {
        Gate::new(
            Policy::from_json(POLICY).unwrap(),
            Settings {
                token_wait: std::time::Duration::from_millis(50),
                ..Settings::default()
            },
            pipelines,
            None,
        )
        .with_clock(|| CLOCK.parse().unwrap())
    }

    fn woken(execution: &str) -> Value {
        json!({"version": "1", "source": "approval-gate", "detail-type": "Approval Wake-up",
               "detail": {"pipeline": PIPELINE, "stage": "Approve", "action": "Manual",
                          "execution-id": execution, "at": "2026-11-26T08:00:00Z"}})
    }

    #[tokio::test]
    async fn a_token_two_waiting_attempts_share_answers_neither_on_any_path() {
        // E2's attempt carries E1's token: an answer with it could reach E1, whose tests
        // failed.
        let pipelines = pipelines(
            empty_state(),
            [TOKENS[0], TOKENS[0]],
            ExecutionStatus::InProgress,
        );
        let gate = fake_gate(&pipelines);
        let mut started = event("approval-started");
        let detail = &mut started["detail"];
        detail["pipeline"] = PIPELINE.into();
        detail["stage"] = "Approve".into();
        detail["action"] = "Manual".into();
        detail["execution-id"] = EXECUTIONS[1].into();
        detail["action-execution-id"] = format!("ae-{}", EXECUTIONS[1]).into();

        for event in [
            started,
            woken(EXECUTIONS[1]),
            notice(PIPELINE, "Approve", "Manual", TOKENS[0]),
        ] {
            let report = gate.handle(&event).await.unwrap().records.remove(0);
            assert_eq!(report.outcome, Outcome::Stale, "{report:?}");
            assert!(report.reasons[0].contains("cannot be proven"), "{report:?}");
        }
        let swept = gate.handle(&event("scheduled-sweep")).await.unwrap();
        assert_eq!(swept.sweep.unwrap().answered, 0);
        assert!(pipelines.answers().is_empty());
    }

    #[tokio::test]
    async fn the_sweep_and_explain_leave_an_approval_whose_execution_is_not_in_progress() {
        // ListPipelineExecutions (the fake: every execution with attempts) still lists E2,
        // while GetPipelineExecution says it is stopping.
        let pipelines = pipelines(
            empty_state(),
            TOKENS,
            ExecutionStatus::Other("Stopping".into()),
        );
        let gate = fake_gate(&pipelines);

        let swept = gate.handle(&event("scheduled-sweep")).await.unwrap();
        let explained = gate
            .explain(PIPELINE, None, CLOCK.parse().unwrap())
            .await
            .unwrap();

        // E1 is rejected (its tests failed); E2 is left alone.
        assert_eq!(swept.sweep.unwrap().answered, 1);
        let answers = pipelines.answers();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].token.expose(), TOKENS[0]);
        let stopping = explained
            .iter()
            .find_map(|explained| match explained {
                approval_gate::handler::Explained::NotWaiting { reason, .. } => Some(reason),
                approval_gate::handler::Explained::Decided(_) => None,
            })
            .expect("E2 is explained as not waiting");
        assert!(
            stopping.contains("is Stopping, not InProgress"),
            "{stopping}"
        );
    }

    #[tokio::test]
    async fn a_token_in_a_parallel_pipelines_state_is_never_taken() {
        // The state shows E1's token at the approval, in E2's stage execution: a PARALLEL
        // pipeline's state is not read for tokens at all.
        let mut state = fixtures::waiting(
            &target(),
            TOKENS[0],
            Some(fixtures::at("2026-11-26T07:55:00Z")),
            &[("IntegrationTests", ActionStatus::Succeeded)],
        );
        for stage in &mut state.stages {
            if let Some(execution) = &mut stage.execution {
                execution.pipeline_execution_id = EXECUTIONS[1].into();
            }
        }
        let pipelines = pipelines(state, TOKENS, ExecutionStatus::InProgress);
        let gate = fake_gate(&pipelines);

        let by_first = gate
            .handle(&notice(PIPELINE, "Approve", "Manual", TOKENS[0]))
            .await
            .unwrap()
            .records
            .remove(0);
        let by_second = gate
            .handle(&notice(PIPELINE, "Approve", "Manual", TOKENS[1]))
            .await
            .unwrap()
            .records
            .remove(0);

        // T1 is E1's (tests failed): rejected with E1's facts; T2 approved with E2's.
        assert_eq!(by_first.outcome, Outcome::Reject, "{by_first:?}");
        assert_eq!(by_first.execution_id.as_deref(), Some(EXECUTIONS[0]));
        assert_eq!(by_second.outcome, Outcome::Approve, "{by_second:?}");
        assert_eq!(by_second.execution_id.as_deref(), Some(EXECUTIONS[1]));
    }
}

#[tokio::test]
async fn a_list_of_executions_that_hands_back_a_page_token_twice_is_not_read() {
    let stand_in = parallel("Succeeded").await;
    let page = json!({"pipelineExecutionSummaries": [
        {"pipelineExecutionId": EXECUTIONS[0], "status": "InProgress"}],
        "nextToken": "again"})
    .to_string();
    stand_in.inject_times(
        "ListPipelineExecutions",
        stand_in::Fault::RawBody {
            status: 200,
            body: page,
        },
        20,
    );
    let gate = gate(&stand_in, POLICY).await;

    let report = decide(&gate, &notice(PIPELINE, "Approve", "Manual", TOKENS[0])).await;
    let swept = gate.handle(&event("scheduled-sweep")).await.unwrap();

    assert_eq!(report.outcome, Outcome::Stale, "{report:?}");
    assert!(
        report.reasons[0].contains("page token it had returned before"),
        "{report:?}"
    );
    assert_eq!(swept.sweep.unwrap().answered, 0);
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
}
