//! Values an AWS answer may hold that this version does not know (a new status, a new
//! alarm state): through the real SDK, none of them is taken for one that approves.

use crate::common::*;
use crate::conditions::gate;
use approval_gate::report::Outcome;
use serde_json::json;

#[tokio::test]
async fn an_upstream_action_in_a_status_not_known_is_not_a_success() {
    for status in ["Skipped", "SucceededWithWarnings", "succeeded", ""] {
        let stand_in = demo_stand_in().await;
        let mut state = stand_in.pipeline("web-shop").unwrap();
        state["stageStates"][1]["actionStates"][1]["latestExecution"]["status"] = status.into();
        stand_in.put_pipeline(state);
        stand_in.put_action_executions("web-shop", shop_runs(status));
        let gate = gate(&stand_in, &demo_policy()).await;

        let response = gate.handle(&event("approved-by-rule")).await.unwrap();

        let report = &response.records[0];
        assert_ne!(report.outcome, Outcome::Approve, "{status:?}: {report:?}");
        assert!(
            !stand_in
                .accepted_answers()
                .iter()
                .any(|call| call.body["result"]["status"] == "Approved"),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn an_alarm_in_a_state_not_known_is_not_ok() {
    for state in ["PENDING", "ok", "Ok", ""] {
        let stand_in = demo_stand_in().await;
        stand_in.put_alarm(json!({
            "AlarmName": "web-prod-5xx",
            "StateValue": state,
            "StateReason": "a state this version does not know",
        }));
        let gate = gate(&stand_in, &demo_policy()).await;

        let response = gate.handle(&event("deferred-by-alarm")).await.unwrap();

        let report = &response.records[0];
        assert_ne!(report.outcome, Outcome::Approve, "{state:?}: {report:?}");
        assert!(stand_in.accepted_answers().is_empty(), "{state:?}");
    }
}

#[tokio::test]
async fn a_calendar_in_a_state_not_known_is_not_open() {
    let stand_in = demo_stand_in().await;
    stand_in.put_calendar("prod-freeze", &[]);
    stand_in.inject(
        "GetCalendarState",
        stand_in::Fault::RawBody {
            status: 200,
            body: r#"{"State": "HALF_OPEN"}"#.into(),
        },
    );
    let policy = r#"{"rules": [{"name": "prod", "match": {"pipeline": "web-shop"},
        "change_calendars": {"names": ["prod-freeze"]}}]}"#;
    let gate = gate(&stand_in, policy).await;

    let response = gate.handle(&event("approved-by-rule")).await.unwrap();

    let report = &response.records[0];
    assert_eq!(report.outcome, Outcome::Abstain, "{report:?}");
    assert!(
        report.reasons[0].contains("HALF_OPEN, not OPEN"),
        "{report:?}"
    );
    assert!(stand_in.accepted_answers().is_empty());
}
