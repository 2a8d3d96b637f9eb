//! EventBridge approval events through the function's binary: decided as notices are.

use super::{Function, WAIT, outcome};
use crate::common::*;
use stand_in::RuntimeApi;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_event_is_decided_by_the_state_with_no_notice() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &demo_policy());
    let mut shop = event("started-approval-web-checkout");
    shop["detail"]["pipeline"] = "web-shop".into();
    shop["detail"]["execution-id"] = "5e3f9a1c-2b4d-4c6e-8f0a-1b2c3d4e5f60".into();

    let checkout = runtime
        .invoke(event("started-approval-web-checkout"), WAIT)
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
