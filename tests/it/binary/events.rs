//! EventBridge approval events through the function's binary: decided as notices are.

use super::{Function, WAIT, outcome};
use crate::common::*;
use stand_in::RuntimeApi;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_event_is_decided_by_the_state_with_no_notice() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &demo_policy());
    let mut shop = event("approval-started");
    shop["detail"]["pipeline"] = "web-shop".into();
    shop["detail"]["execution-id"] = "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60".into();

    let checkout = runtime
        .invoke(event("approval-started"), WAIT)
        .await
        .unwrap();
    let approved = runtime.invoke(shop.clone(), WAIT).await.unwrap();
    let duplicate = runtime.invoke(shop, WAIT).await.unwrap();

    assert_eq!(outcome(&checkout), "defer", "its alarm fires");
    assert_eq!(outcome(&approved), "approve");
    assert_eq!(outcome(&duplicate), "stale");
    let answers = stand_in.accepted_answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].body["pipelineName"], "web-shop");
    let logs = function.logs();
    assert!(
        !logs.contains("4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31"),
        "the token leaked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_back_to_ok_answers_what_it_deferred_at_once() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, &demo_policy());

    let deferred = runtime
        .invoke(event("deferred-by-alarm"), WAIT)
        .await
        .unwrap();
    let too_early = runtime
        .invoke(event("alarm-ok-web-prod-5xx"), WAIT)
        .await
        .unwrap();
    stand_in.put_alarm(serde_json::json!({
        "AlarmName": "web-prod-5xx",
        "StateValue": "OK",
        "StateReason": "Threshold Crossed: no datapoint was greater than the threshold (5.0).",
    }));
    let cleared = runtime
        .invoke(event("alarm-ok-web-prod-5xx"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&deferred), "defer");
    let (stand_in::Invocation::Response(too_early), stand_in::Invocation::Response(cleared)) =
        (too_early, cleared)
    else {
        panic!("an alarm event failed");
    };
    assert_eq!(
        too_early["sweep"]["answered"], 0,
        "CloudWatch still said ALARM"
    );
    assert_eq!(cleared["sweep"]["answered"], 1, "{cleared}");
    assert_eq!(cleared["records"][0]["pipeline"], "web-checkout");
    assert_eq!(cleared["records"][0]["outcome"], "approve");
    assert_eq!(stand_in.accepted_answers().len(), 1);
}
