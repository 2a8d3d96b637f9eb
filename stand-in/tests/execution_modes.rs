//! CodePipeline V2 execution modes through the real AWS SDK: GetPipeline's
//! `executionMode`, ListPipelineExecutions, the approvals of a PARALLEL pipeline (answered
//! with the `externalExecutionId` ListActionExecutions shows, never a state token) and a
//! QUEUED pipeline's state with a different execution in each stage.

use aws_sdk_codepipeline::config::retry::RetryConfig;
use aws_sdk_codepipeline::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{
    ActionExecutionFilter, ActionExecutionStatus, ApprovalResult, ApprovalStatus, ExecutionMode,
    PipelineExecutionFilter, PipelineExecutionStatus, StageExecutionStatus, SucceededInStageFilter,
};
use serde_json::{Value, json};
use stand_in::{Fault, StandIn};

/// Without retries, so each fault shows up as exactly one failed call.
fn codepipeline(stand_in: &StandIn) -> aws_sdk_codepipeline::Client {
    let config = aws_sdk_codepipeline::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(stand_in.endpoint_url())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_codepipeline::Client::from_conf(config)
}

fn approval(status: ApprovalStatus, summary: &str) -> ApprovalResult {
    ApprovalResult::builder()
        .status(status)
        .summary(summary)
        .build()
        .expect("status and summary are set")
}

const MANUAL: &str =
    r#"{"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}"#;

fn manual() -> Value {
    serde_json::from_str(MANUAL).unwrap()
}

/// A pipeline waiting on `Approve/Manual` in its state, with the token `state_token`.
fn state(name: &str, state_token: &str) -> Value {
    json!({
        "pipelineName": name,
        "pipelineVersion": 1,
        "stageStates": [{
            "stageName": "Approve",
            "latestExecution": { "pipelineExecutionId": "exec-2", "status": "InProgress" },
            "actionStates": [{
                "actionName": "Manual",
                "latestExecution": {
                    "status": "InProgress",
                    "token": state_token,
                    "lastStatusChange": 1_700_000_070
                }
            }]
        }]
    })
}

/// A Manual approval of `execution` waiting at `stage/action` on `token`, as
/// ListActionExecutions lists it.
fn waiting(execution: &str, stage: &str, action: &str, token: &str) -> Value {
    json!({
        "pipelineExecutionId": execution,
        "actionExecutionId": format!("{execution}-{action}"),
        "pipelineVersion": 1,
        "stageName": stage,
        "actionName": action,
        "startTime": 1_700_000_070,
        "lastUpdateTime": 1_700_000_070,
        "status": "InProgress",
        "input": { "actionTypeId": manual() },
        "output": { "executionResult": { "externalExecutionId": token } }
    })
}

const STATE_TOKEN: &str = "state-token-0000";
const TOKEN_1: &str = "11111111-1111-4111-8111-111111111111";
const TOKEN_2: &str = "22222222-2222-4222-8222-222222222222";
const SECURITY_TOKEN: &str = "33333333-3333-4333-8333-333333333333";

/// `fleet`, PARALLEL: two executions waiting at `Approve/Manual`, one also at
/// `Approve/Security`; its state (which a PARALLEL pipeline does not really have) shows a
/// token that must not work.
async fn parallel_fleet() -> StandIn {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_pipeline(state("fleet", STATE_TOKEN));
    stand_in.set_execution_mode("fleet", "PARALLEL");
    for (id, start) in [("exec-1", 1_700_000_000), ("exec-2", 1_700_000_060)] {
        stand_in.put_execution(
            "fleet",
            json!({ "pipelineName": "fleet", "pipelineExecutionId": id,
                    "status": "InProgress", "startTime": start }),
        );
    }
    stand_in.put_action_executions(
        "fleet",
        vec![
            waiting("exec-1", "Approve", "Manual", TOKEN_1),
            waiting("exec-2", "Approve", "Manual", TOKEN_2),
            waiting("exec-2", "Approve", "Security", SECURITY_TOKEN),
        ],
    );
    stand_in
}

async fn answer(
    client: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    (stage, action): (&str, &str),
    token: &str,
    status: ApprovalStatus,
) -> Result<(), String> {
    client
        .put_approval_result()
        .pipeline_name(pipeline)
        .stage_name(stage)
        .action_name(action)
        .token(token)
        .result(approval(status, &format!("{token} answered")))
        .send()
        .await
        .map(|output| assert!(output.approved_at().is_some()))
        .map_err(|error| error.code().unwrap_or("?").to_owned())
}

const MANUAL_ACTION: (&str, &str) = ("Approve", "Manual");

/// The AWS error code of a failed call.
fn error<T, E: ProvideErrorMetadata>(result: Result<T, E>) -> Result<(), String> {
    result
        .map(|_| ())
        .map_err(|error| error.code().unwrap_or("?").to_owned())
}

#[tokio::test]
async fn get_pipeline_returns_the_execution_mode() {
    let stand_in = StandIn::start().await.unwrap();
    let client = codepipeline(&stand_in);
    let mode = |name: &'static str| {
        let client = client.clone();
        async move {
            let output = client.get_pipeline().name(name).send().await.unwrap();
            let declaration = output.pipeline().unwrap().clone();
            (declaration.execution_mode().cloned(), declaration)
        }
    };

    // As given in a stored declaration.
    stand_in.put_declaration(json!({
        "name": "queued", "roleArn": "arn:aws:iam::123456789012:role/p", "version": 2,
        "executionMode": "QUEUED", "pipelineType": "V2",
        "stages": [{ "name": "Approve", "actions": [{ "name": "Manual", "actionTypeId": manual() }] }]
    }));
    assert_eq!(mode("queued").await.0, Some(ExecutionMode::Queued));

    // A pipeline known only by its state: absent (SUPERSEDED) until set, then declared
    // from its state with the mode set.
    stand_in.put_pipeline(state("shop", STATE_TOKEN));
    assert_eq!(mode("shop").await.0, None);
    assert!(stand_in.declaration("shop").is_none());
    stand_in.set_execution_mode("shop", "PARALLEL");
    let (shop_mode, declaration) = mode("shop").await;
    assert_eq!(shop_mode, Some(ExecutionMode::Parallel));
    assert_eq!(declaration.stages()[0].name(), "Approve");
    assert_eq!(declaration.stages()[0].actions()[0].name(), "Manual");
    assert_eq!(
        stand_in.declaration("shop").unwrap()["executionMode"],
        "PARALLEL"
    );

    // Set on a stored declaration, it changes only the mode.
    stand_in.set_execution_mode("queued", "SUPERSEDED");
    let (queued_mode, declaration) = mode("queued").await;
    assert_eq!(queued_mode, Some(ExecutionMode::Superseded));
    assert_eq!(declaration.version(), Some(2));

    // A pipeline nothing was stored for gets a declaration without stages.
    stand_in.set_execution_mode("bare", "PARALLEL");
    let (bare_mode, declaration) = mode("bare").await;
    assert_eq!(bare_mode, Some(ExecutionMode::Parallel));
    assert!(declaration.stages().is_empty());
}

/// `(id, startTime)`: `None` started when stored.
const EXECUTIONS: [(&str, Option<i64>); 7] = [
    ("e-old", Some(1_700_000_000)),
    ("e-new", Some(1_700_000_300)),
    ("e-mid-a", Some(1_700_000_100)),
    ("e-mid-b", Some(1_700_000_100)),
    ("e-newer", Some(1_700_000_200)),
    ("e-stored-1", None),
    ("e-stored-2", None),
];

async fn with_executions() -> StandIn {
    let stand_in = StandIn::start().await.unwrap();
    for (id, start) in EXECUTIONS {
        let mut execution = json!({ "pipelineName": "web", "pipelineExecutionId": id,
                                    "pipelineVersion": 1, "status": "Succeeded" });
        if let Some(start) = start {
            execution["startTime"] = start.into();
        }
        stand_in.put_execution("web", execution);
    }
    stand_in
}

#[tokio::test]
async fn list_pipeline_executions_pages_newest_first() {
    let stand_in = with_executions().await;
    stand_in.put_execution(
        "web",
        json!({ "pipelineExecutionId": "e-new", "status": "InProgress",
                "statusSummary": "waiting for approval",
                "startTime": 1_700_000_300, "lastUpdateTime": 1_700_000_350.5,
                "trigger": { "triggerType": "Webhook", "triggerDetail": "push" },
                "sourceRevisions": [{ "actionName": "Source", "revisionId": "abc123" }],
                "executionType": "STANDARD" }),
    );
    stand_in.put_declaration(json!({ "name": "web", "executionMode": "QUEUED", "stages": [] }));
    stand_in.set_list_page_size(3);
    let client = codepipeline(&stand_in);

    let pages: Vec<_> = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page is served");
    assert_eq!(pages.len(), 3);
    let summaries: Vec<_> = pages
        .iter()
        .flat_map(|page| page.pipeline_execution_summaries())
        .collect();
    let ids: Vec<_> = summaries
        .iter()
        .filter_map(|summary| summary.pipeline_execution_id())
        .collect();
    // Stored without a start time, they started when stored (after the others); equal
    // start times put the one stored later first; replacing e-new kept its place.
    assert_eq!(
        ids,
        [
            "e-stored-2",
            "e-stored-1",
            "e-new",
            "e-newer",
            "e-mid-b",
            "e-mid-a",
            "e-old"
        ]
    );
    let new = summaries[2];
    assert_eq!(new.status(), Some(&PipelineExecutionStatus::InProgress));
    assert_eq!(new.status_summary(), Some("waiting for approval"));
    assert_eq!(new.start_time().map(|t| t.secs()), Some(1_700_000_300));
    assert_eq!(
        new.last_update_time().map(|t| t.as_secs_f64()),
        Some(1_700_000_350.5)
    );
    assert_eq!(new.trigger().and_then(|t| t.trigger_detail()), Some("push"));
    assert_eq!(new.source_revisions()[0].revision_id(), Some("abc123"));
    assert_eq!(new.execution_mode(), Some(&ExecutionMode::Queued));
    assert!(new.execution_type().is_some());
    // Without a lastUpdateTime of its own, an execution was last updated when it started.
    let old = summaries[6];
    assert_eq!(old.status(), Some(&PipelineExecutionStatus::Succeeded));
    assert_eq!(old.last_update_time(), old.start_time());
    assert_eq!(old.start_time().map(|t| t.secs()), Some(1_700_000_000));

    // Paged the same way twice: the start times given to stored executions are stable.
    let again = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.pipeline_execution_summaries()[0].start_time(),
        summaries[0].start_time()
    );
    assert_eq!(again.next_token(), Some("3"));

    // GetPipelineExecution passes the extra start and update times through harmlessly.
    let execution = client
        .get_pipeline_execution()
        .pipeline_name("web")
        .pipeline_execution_id("e-new")
        .send()
        .await
        .expect("the SDK ignores fields it does not model");
    assert_eq!(
        execution
            .pipeline_execution()
            .and_then(|e| e.status_summary()),
        Some("waiting for approval")
    );

    let calls = stand_in.calls_to("ListPipelineExecutions");
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[0].body, json!({ "pipelineName": "web" }));
    assert_eq!(calls[1].body["nextToken"], "3");
    assert!(calls.iter().all(|call| call.status == 200));
}

#[tokio::test]
async fn list_pipeline_executions_honours_max_results_and_refuses_what_aws_refuses() {
    let stand_in = with_executions().await;
    let client = codepipeline(&stand_in);
    let first = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.pipeline_execution_summaries().len(), 2);
    let rest = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.pipeline_execution_summaries().len(), 5);
    assert_eq!(rest.next_token(), None);

    let unknown = client
        .list_pipeline_executions()
        .pipeline_name("nope")
        .send()
        .await;
    assert_eq!(error(unknown), Err("PipelineNotFoundException".into()));
    let bad_token = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .next_token("not-a-token")
        .send()
        .await;
    assert_eq!(error(bad_token), Err("InvalidNextTokenException".into()));
    let too_many = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .max_results(101)
        .send()
        .await;
    assert_eq!(error(too_many), Err("ValidationException".into()));

    // A pipeline known only by its declaration has no executions yet.
    stand_in.put_declaration(json!({ "name": "fresh", "stages": [] }));
    let fresh = client
        .list_pipeline_executions()
        .pipeline_name("fresh")
        .send()
        .await
        .unwrap();
    assert!(fresh.pipeline_execution_summaries().is_empty());

    // Faults apply as to any operation, per pipeline too.
    stand_in.inject_for(
        "ListPipelineExecutions",
        "web",
        Fault::error(400, "ThrottlingException"),
        1,
    );
    let fresh_still_fine = client
        .list_pipeline_executions()
        .pipeline_name("fresh")
        .send()
        .await;
    assert_eq!(error(fresh_still_fine), Ok(()));
    let throttled = client
        .list_pipeline_executions()
        .pipeline_name("web")
        .send()
        .await;
    assert_eq!(error(throttled), Err("ThrottlingException".into()));
    let last = stand_in.calls_to("ListPipelineExecutions").pop().unwrap();
    assert_eq!(last.error_type.as_deref(), Some("ThrottlingException"));
}

#[tokio::test]
async fn list_pipeline_executions_filters_by_the_stage_succeeded_in() {
    let stand_in = with_executions().await;
    let ran = |execution: &str, status: &str| {
        json!({ "pipelineExecutionId": execution, "actionExecutionId": format!("{execution}-b"),
                "stageName": "Build", "actionName": "Compile", "status": status })
    };
    stand_in.put_action_executions(
        "web",
        vec![
            ran("e-old", "Succeeded"),
            ran("e-new", "Failed"),
            ran("e-newer", "Succeeded"),
        ],
    );
    let filter = PipelineExecutionFilter::builder()
        .succeeded_in_stage(
            SucceededInStageFilter::builder()
                .stage_name("Build")
                .build(),
        )
        .build();
    let listed = codepipeline(&stand_in)
        .list_pipeline_executions()
        .pipeline_name("web")
        .filter(filter)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = listed
        .pipeline_execution_summaries()
        .iter()
        .filter_map(|summary| summary.pipeline_execution_id())
        .collect();
    assert_eq!(ids, ["e-newer", "e-old"]);
}

#[tokio::test]
async fn a_parallel_pipeline_shows_its_approvals_only_in_its_action_executions() {
    let stand_in = parallel_fleet().await;
    let client = codepipeline(&stand_in);

    let state = client
        .get_pipeline_state()
        .name("fleet")
        .send()
        .await
        .unwrap();
    let manual = state.stage_states()[0].action_states()[0]
        .latest_execution()
        .expect("the action's latest execution is still shown");
    assert_eq!(manual.status(), Some(&ActionExecutionStatus::InProgress));
    assert_eq!(
        manual.token(),
        None,
        "a PARALLEL pipeline's state shows no token"
    );
    // The stored state itself is left alone.
    assert_eq!(
        stand_in.pipeline("fleet").unwrap()["stageStates"][0]["actionStates"][0]["latestExecution"]
            ["token"],
        STATE_TOKEN
    );

    // Only the fixture's records: none is made up from the state.
    let listed = client
        .list_action_executions()
        .pipeline_name("fleet")
        .send()
        .await
        .unwrap();
    let tokens: Vec<_> = listed
        .action_execution_details()
        .iter()
        .map(|detail| {
            (
                detail.pipeline_execution_id().unwrap(),
                detail.action_name().unwrap(),
                detail
                    .output()
                    .and_then(|output| output.execution_result())
                    .and_then(|result| result.external_execution_id())
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tokens,
        [
            ("exec-1", "Manual", TOKEN_1),
            ("exec-2", "Manual", TOKEN_2),
            ("exec-2", "Security", SECURITY_TOKEN)
        ]
    );
}

#[tokio::test]
async fn each_parallel_token_answers_only_its_own_action_execution() {
    let stand_in = parallel_fleet().await;
    let client = codepipeline(&stand_in);
    let status_of = |stand_in: &StandIn, index: usize| {
        stand_in.action_executions("fleet")[index]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // The state's token and unknown tokens are refused, changing nothing.
    for token in [STATE_TOKEN, "no-such-token", SECURITY_TOKEN] {
        assert_eq!(
            answer(
                &client,
                "fleet",
                MANUAL_ACTION,
                token,
                ApprovalStatus::Approved
            )
            .await,
            Err("InvalidApprovalTokenException".into()),
            "{token}"
        );
    }
    assert!(stand_in.accepted_answers().is_empty());

    let before = stand_in.action_executions("fleet");
    assert_eq!(
        answer(
            &client,
            "fleet",
            MANUAL_ACTION,
            TOKEN_2,
            ApprovalStatus::Rejected
        )
        .await,
        Ok(())
    );
    let after = stand_in.action_executions("fleet");
    assert_eq!(after[0], before[0], "exec-1's approval is untouched");
    assert_eq!(after[2], before[2], "exec-2's other approval is untouched");
    assert_eq!(after[1]["status"], "Failed");
    assert_eq!(
        after[1]["output"]["executionResult"],
        json!({ "externalExecutionId": TOKEN_2,
                "externalExecutionSummary": format!("{TOKEN_2} answered") })
    );
    assert!(after[1]["lastUpdateTime"].as_f64().unwrap() > 1_700_000_070.0);
    assert_eq!(after[1]["startTime"], before[1]["startTime"]);

    assert_eq!(
        answer(
            &client,
            "fleet",
            MANUAL_ACTION,
            TOKEN_2,
            ApprovalStatus::Approved
        )
        .await,
        Err("ApprovalAlreadyCompletedException".into())
    );
    assert_eq!(status_of(&stand_in, 1), "Failed");

    assert_eq!(
        answer(
            &client,
            "fleet",
            MANUAL_ACTION,
            TOKEN_1,
            ApprovalStatus::Approved
        )
        .await,
        Ok(())
    );
    assert_eq!(status_of(&stand_in, 0), "Succeeded");
    assert_eq!(status_of(&stand_in, 2), "InProgress");
    assert_eq!(
        answer(
            &client,
            "fleet",
            ("Approve", "Security"),
            SECURITY_TOKEN,
            ApprovalStatus::Approved
        )
        .await,
        Ok(())
    );
    assert_eq!(status_of(&stand_in, 2), "Succeeded");

    // Recorded as for any pipeline; the state is never touched.
    let accepted: Vec<_> = stand_in
        .accepted_answers()
        .into_iter()
        .map(|call| {
            (
                call.body["token"].as_str().unwrap().to_owned(),
                call.body["result"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        [
            (TOKEN_2.to_owned(), "Rejected".to_owned()),
            (TOKEN_1.to_owned(), "Approved".to_owned()),
            (SECURITY_TOKEN.to_owned(), "Approved".to_owned()),
        ]
    );
    assert_eq!(
        stand_in.pipeline("fleet").unwrap()["stageStates"][0]["actionStates"][0]["latestExecution"]
            ["status"],
        "InProgress"
    );
    let refused = stand_in.calls_to("PutApprovalResult");
    assert_eq!(
        refused[4].error_type.as_deref(),
        Some("ApprovalAlreadyCompletedException")
    );

    // What the SDK reads back from ListActionExecutions.
    let listed = client
        .list_action_executions()
        .pipeline_name("fleet")
        .filter(
            ActionExecutionFilter::builder()
                .pipeline_execution_id("exec-2")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rejected = &listed.action_execution_details()[0];
    assert_eq!(rejected.status(), Some(&ActionExecutionStatus::Failed));
    let result = rejected.output().unwrap().execution_result().unwrap();
    assert_eq!(result.external_execution_id(), Some(TOKEN_2));
    assert_eq!(
        result.external_execution_summary(),
        Some(format!("{TOKEN_2} answered").as_str())
    );
    assert!(rejected.last_update_time().unwrap().secs() > 1_700_000_070);
}

#[tokio::test]
async fn parallel_answers_name_stages_and_actions_that_exist() {
    let stand_in = parallel_fleet().await;
    let client = codepipeline(&stand_in);
    for (target, error) in [
        (("Deploy", "Manual"), "StageNotFoundException"),
        (("Approve", "Review"), "ActionNotFoundException"),
    ] {
        assert_eq!(
            answer(&client, "fleet", target, TOKEN_1, ApprovalStatus::Approved).await,
            Err(error.into())
        );
    }
    // A pipeline declared with no stages still knows the stages its approvals ran in.
    let bare = StandIn::start().await.unwrap();
    bare.set_execution_mode("bare", "PARALLEL");
    bare.put_action_executions("bare", vec![waiting("e-1", "Approve", "Manual", TOKEN_1)]);
    let client = codepipeline(&bare);
    assert_eq!(
        answer(
            &client,
            "bare",
            MANUAL_ACTION,
            TOKEN_1,
            ApprovalStatus::Approved
        )
        .await,
        Ok(())
    );
    assert_eq!(
        answer(
            &client,
            "bare",
            ("Approve", "Other"),
            TOKEN_1,
            ApprovalStatus::Approved
        )
        .await,
        Err("ActionNotFoundException".into())
    );
    assert_eq!(
        answer(
            &client,
            "nope",
            MANUAL_ACTION,
            TOKEN_1,
            ApprovalStatus::Approved
        )
        .await,
        Err("PipelineNotFoundException".into())
    );
}

#[tokio::test]
async fn concurrent_parallel_answers_are_accepted_exactly_once() {
    let stand_in = parallel_fleet().await;
    let client = codepipeline(&stand_in);
    let answers: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                answer(
                    &client,
                    "fleet",
                    MANUAL_ACTION,
                    TOKEN_1,
                    ApprovalStatus::Approved,
                )
                .await
            })
        })
        .collect();
    let mut accepted = 0;
    for outcome in answers {
        match outcome.await.unwrap() {
            Ok(()) => accepted += 1,
            Err(code) => assert_eq!(code, "ApprovalAlreadyCompletedException"),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(stand_in.accepted_answers().len(), 1);
}

#[tokio::test]
async fn other_modes_answer_from_the_state_as_before() {
    for mode in [None, Some("SUPERSEDED"), Some("QUEUED")] {
        let stand_in = StandIn::start().await.unwrap();
        stand_in.put_pipeline(state("shop", STATE_TOKEN));
        if let Some(mode) = mode {
            stand_in.set_execution_mode("shop", mode);
        }
        // Records carrying tokens of their own do not make those tokens answerable.
        stand_in.put_action_executions(
            "shop",
            vec![waiting("exec-2", "Approve", "Manual", TOKEN_1)],
        );
        let client = codepipeline(&stand_in);

        let state = client
            .get_pipeline_state()
            .name("shop")
            .send()
            .await
            .unwrap();
        let shown = state.stage_states()[0].action_states()[0]
            .latest_execution()
            .and_then(|execution| execution.token());
        assert_eq!(shown, Some(STATE_TOKEN), "{mode:?}");

        assert_eq!(
            answer(
                &client,
                "shop",
                MANUAL_ACTION,
                TOKEN_1,
                ApprovalStatus::Approved
            )
            .await,
            Err("InvalidApprovalTokenException".into()),
            "{mode:?}"
        );
        assert_eq!(
            answer(
                &client,
                "shop",
                MANUAL_ACTION,
                STATE_TOKEN,
                ApprovalStatus::Approved
            )
            .await,
            Ok(()),
            "{mode:?}"
        );
        assert_eq!(
            answer(
                &client,
                "shop",
                MANUAL_ACTION,
                STATE_TOKEN,
                ApprovalStatus::Approved
            )
            .await,
            Err("ApprovalAlreadyCompletedException".into()),
            "{mode:?}"
        );
        let latest = &stand_in.pipeline("shop").unwrap()["stageStates"][0]["actionStates"][0]["latestExecution"];
        assert_eq!(latest["status"], "Succeeded", "{mode:?}");
        assert_eq!(
            stand_in.action_executions("shop")[0]["status"],
            "InProgress",
            "{mode:?}"
        );
        assert_eq!(stand_in.accepted_answers().len(), 1, "{mode:?}");
    }
}

/// A QUEUED pipeline with three executions in flight: exec-3 waits at `Review/Manual`,
/// exec-2 at `Approve/Manual`, exec-1 deploys, and exec-4 is queued to enter `Review`.
fn queued_state() -> Value {
    let stage = |name: &str, execution: &str, action: Value| {
        json!({
            "stageName": name,
            "latestExecution": { "pipelineExecutionId": execution, "status": "InProgress" },
            "actionStates": [action]
        })
    };
    let approval = |token: &str, since: i64| {
        json!({
            "actionName": "Manual",
            "latestExecution": { "status": "InProgress", "token": token, "lastStatusChange": since }
        })
    };
    let mut review = stage("Review", "exec-3", approval(TOKEN_1, 1_700_000_300));
    review["inboundExecutions"] =
        json!([{ "pipelineExecutionId": "exec-4", "status": "InProgress" }]);
    json!({
        "pipelineName": "train",
        "pipelineVersion": 4,
        "stageStates": [
            review,
            stage("Approve", "exec-2", approval(TOKEN_2, 1_700_000_200)),
            stage("Deploy", "exec-1", json!({
                "actionName": "Rollout",
                "latestExecution": { "status": "InProgress", "lastStatusChange": 1_700_000_100 }
            })),
        ]
    })
}

#[tokio::test]
async fn a_queued_state_with_an_execution_in_each_stage_round_trips() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_pipeline(queued_state());
    stand_in.set_execution_mode("train", "QUEUED");
    let client = codepipeline(&stand_in);

    let state = client
        .get_pipeline_state()
        .name("train")
        .send()
        .await
        .unwrap();
    let stages: Vec<_> = state
        .stage_states()
        .iter()
        .map(|stage| {
            let latest = stage.latest_execution().unwrap();
            assert_eq!(latest.status(), &StageExecutionStatus::InProgress);
            (
                stage.stage_name().unwrap(),
                latest.pipeline_execution_id(),
                stage.action_states()[0]
                    .latest_execution()
                    .and_then(|execution| execution.token()),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("Review", "exec-3", Some(TOKEN_1)),
            ("Approve", "exec-2", Some(TOKEN_2)),
            ("Deploy", "exec-1", None),
        ]
    );
    let inbound = state.stage_states()[0].inbound_executions();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].pipeline_execution_id(), "exec-4");

    // Each waiting approval is listed in its own stage's execution.
    for (execution, stage) in [("exec-3", "Review"), ("exec-2", "Approve")] {
        let listed = client
            .list_action_executions()
            .pipeline_name("train")
            .filter(
                ActionExecutionFilter::builder()
                    .pipeline_execution_id(execution)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let details = listed.action_execution_details();
        assert_eq!(details.len(), 1, "{execution}");
        assert_eq!(details[0].stage_name(), Some(stage));
        assert_eq!(
            details[0].status(),
            Some(&ActionExecutionStatus::InProgress)
        );
    }

    // Each token answers its own stage only.
    assert_eq!(
        answer(
            &client,
            "train",
            ("Review", "Manual"),
            TOKEN_2,
            ApprovalStatus::Approved
        )
        .await,
        Err("InvalidApprovalTokenException".into())
    );
    assert_eq!(
        answer(
            &client,
            "train",
            ("Approve", "Manual"),
            TOKEN_2,
            ApprovalStatus::Approved
        )
        .await,
        Ok(())
    );
    let stored = stand_in.pipeline("train").unwrap();
    let status = |stage: usize| {
        stored["stageStates"][stage]["actionStates"][0]["latestExecution"]["status"].clone()
    };
    assert_eq!(status(0), "InProgress");
    assert_eq!(status(1), "Succeeded");
    assert_eq!(
        answer(
            &client,
            "train",
            ("Review", "Manual"),
            TOKEN_1,
            ApprovalStatus::Rejected
        )
        .await,
        Ok(())
    );
    assert_eq!(stand_in.accepted_answers().len(), 2);
}
