//! Wake-ups through the function's binary: a deferral schedules its wake-up with the
//! Scheduler the template configures, the wake-up decides by the state, and a forged one
//! answers nothing.

use super::{Function, WAIT, outcome};
use crate::common::*;
use stand_in::{Invocation, RuntimeApi};

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/approval-gate-WakeUpRole";

/// web-shop waits while the Change Calendar `prod-freeze` is closed.
const POLICY: &str = r#"{"rules": [{"name": "shop-when-open",
    "match": {"pipeline": "web-shop", "stage": "Approve-Prod"},
    "require_succeeded": ["Build/IntegrationTests"],
    "change_calendars": {"names": ["prod-freeze"], "on_closed": "defer"},
    "on_fail": "reject"}]}"#;

/// The function with wake-ups configured, as the template configures them.
fn waking(runtime: &RuntimeApi, stand_in: &stand_in::StandIn) -> Function {
    Function::start_with(
        runtime,
        stand_in,
        POLICY,
        &[
            ("GATE_WAKEUP_GROUP", "approval-gate-wake-ups"),
            ("GATE_WAKEUP_ROLE_ARN", ROLE_ARN),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferral_schedules_its_wake_up_and_the_wake_up_answers_by_the_state() {
    let stand_in = demo_stand_in().await;
    stand_in.put_calendar("prod-freeze", &[(-3600.0, 300.0)]);
    let runtime = RuntimeApi::start().await.unwrap();
    let function = waking(&runtime, &stand_in);

    let deferred = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&deferred), "defer");
    let Invocation::Response(deferred) = deferred else {
        unreachable!()
    };
    let wake_up = deferred["records"][0]["wake_up"]
        .as_str()
        .unwrap()
        .to_owned();
    let schedules = stand_in.schedules();
    assert_eq!(schedules.len(), 1, "{schedules:?}");
    assert_eq!(schedules[0]["GroupName"], "approval-gate-wake-ups");
    assert_eq!(schedules[0]["Target"]["RoleArn"], ROLE_ARN);
    assert_eq!(
        schedules[0]["Target"]["Arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:approval-gate",
        "the function wakes itself, as it was invoked"
    );
    assert!(
        !schedules[0]["Target"]["Input"]
            .as_str()
            .unwrap()
            .contains(SHOP_TOKEN)
    );

    // The calendar opens early (someone edited it): the wake-up still asks the state.
    stand_in.put_calendar("prod-freeze", &[]);
    let at: jiff::Timestamp = wake_up.parse().unwrap();
    let due = stand_in.take_due_schedules(at.as_second() as f64);
    assert_eq!(due.len(), 1);
    let woken: serde_json::Value = serde_json::from_str(&due[0].input).unwrap();
    let approved = runtime.invoke(woken.clone(), WAIT).await.unwrap();
    let duplicate = runtime.invoke(woken.clone(), WAIT).await.unwrap();
    let mut forged = woken;
    forged["detail"]["execution-id"] = "0a0a0a0a-0000-4000-8000-000000000000".into();
    forged["detail"]["token"] = SHOP_TOKEN.into();
    let forged = runtime.invoke(forged, WAIT).await.unwrap();

    assert_eq!(outcome(&approved), "approve");
    assert_eq!(outcome(&duplicate), "stale");
    assert_eq!(outcome(&forged), "stale");
    let answers = stand_in.accepted_answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].body["token"], SHOP_TOKEN);
    assert!(!function.logs().contains(SHOP_TOKEN), "the token leaked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduler_that_refuses_leaves_the_deferral_standing() {
    let stand_in = demo_stand_in().await;
    stand_in.put_calendar("prod-freeze", &[(-3600.0, 300.0)]);
    stand_in.inject_times(
        "CreateSchedule",
        stand_in::Fault::error(403, "AccessDeniedException"),
        10,
    );
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = waking(&runtime, &stand_in);

    let deferred = runtime
        .invoke(event("approved-by-rule"), WAIT)
        .await
        .unwrap();

    let Invocation::Response(deferred) = deferred else {
        panic!("a refused schedule failed the invocation: {deferred:?}")
    };
    let record = &deferred["records"][0];
    assert_eq!(record["outcome"], "defer");
    assert!(record.get("wake_up").is_none(), "{record}");
    let reasons = record["reasons"].to_string();
    assert!(
        reasons.contains("no wake-up could be scheduled"),
        "{reasons}"
    );
    assert!(stand_in.accepted_answers().is_empty());
}
