//! Drives the EventBridge Scheduler stand-in through the real `aws-sdk-scheduler`, so
//! that an answer the SDK parses differently than AWS's (an error that does not come out
//! as its modelled variant, a timestamp it cannot read) shows up here.

use aws_sdk_scheduler::config::retry::RetryConfig;
use aws_sdk_scheduler::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_scheduler::error::ProvideErrorMetadata;
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::operation::create_schedule::builders::CreateScheduleFluentBuilder;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use serde_json::json;
use stand_in::{DueSchedule, Fault, StandIn};

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:approval-gate";
const ROLE: &str = "arn:aws:iam::123456789012:role/approval-gate-scheduler";

/// 2030-01-01T00:00:00Z in epoch seconds.
const NEW_YEAR_2030: f64 = 1_893_456_000.0;

/// Without retries, so each fault shows up as exactly one failed call.
fn scheduler(stand_in: &StandIn) -> aws_sdk_scheduler::Client {
    let config = aws_sdk_scheduler::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(stand_in.endpoint_url())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_scheduler::Client::from_conf(config)
}

fn target(input: &str) -> Target {
    Target::builder()
        .arn(FUNCTION)
        .role_arn(ROLE)
        .input(input)
        .build()
        .expect("arn and role are set")
}

fn off() -> FlexibleTimeWindow {
    FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::Off)
        .build()
        .expect("mode is set")
}

/// A one-time schedule as the gate creates it: deleted once it fired.
fn one_time(
    client: &aws_sdk_scheduler::Client,
    name: &str,
    at: &str,
) -> CreateScheduleFluentBuilder {
    client
        .create_schedule()
        .name(name)
        .schedule_expression(format!("at({at})"))
        .schedule_expression_timezone("UTC")
        .flexible_time_window(off())
        .action_after_completion(ActionAfterCompletion::Delete)
        .target(target(&json!({ "recheck": name }).to_string()))
}

#[tokio::test]
async fn a_schedule_is_created_read_refused_twice_and_deleted() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);

    let created = one_time(&client, "recheck-web-shop", "2030-01-01T00:00:00")
        .description("re-check web-shop's approval")
        .send()
        .await
        .expect("created");
    assert_eq!(
        created.schedule_arn(),
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/recheck-web-shop"
    );

    let schedule = client
        .get_schedule()
        .name("recheck-web-shop")
        .send()
        .await
        .expect("read");
    assert_eq!(schedule.arn(), Some(created.schedule_arn()));
    assert_eq!(schedule.name(), Some("recheck-web-shop"));
    assert_eq!(schedule.group_name(), Some("default"));
    assert_eq!(
        schedule.schedule_expression(),
        Some("at(2030-01-01T00:00:00)")
    );
    assert_eq!(schedule.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(schedule.state(), Some(&ScheduleState::Enabled));
    assert_eq!(
        schedule.action_after_completion(),
        Some(&ActionAfterCompletion::Delete)
    );
    assert_eq!(
        schedule.flexible_time_window().map(|w| w.mode()),
        Some(&FlexibleTimeWindowMode::Off)
    );
    assert_eq!(schedule.description(), Some("re-check web-shop's approval"));
    let target = schedule.target().expect("target");
    assert_eq!(target.arn(), FUNCTION);
    assert_eq!(target.role_arn(), ROLE);
    assert_eq!(target.input(), Some(r#"{"recheck":"recheck-web-shop"}"#));
    // Epoch-second timestamps, as restJson1 sends them unless the model says otherwise.
    let created_at = schedule
        .creation_date()
        .expect("creation date")
        .as_secs_f64();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - created_at).abs() < 60.0, "{created_at} vs {now}");
    assert_eq!(schedule.last_modification_date(), schedule.creation_date());

    let repeat = one_time(&client, "recheck-web-shop", "2030-01-01T00:05:00")
        .send()
        .await
        .expect_err("the name is taken");
    let repeat = repeat.into_service_error();
    assert!(
        matches!(repeat, CreateScheduleError::ConflictException(_)),
        "{repeat:?}"
    );
    assert_eq!(
        repeat.message(),
        Some("Schedule recheck-web-shop already exists.")
    );
    // The first one stands.
    assert_eq!(
        stand_in.schedules()[0]["ScheduleExpression"],
        "at(2030-01-01T00:00:00)"
    );

    client
        .delete_schedule()
        .name("recheck-web-shop")
        .send()
        .await
        .expect("deleted");
    let gone = client
        .get_schedule()
        .name("recheck-web-shop")
        .send()
        .await
        .expect_err("deleted");
    assert!(gone.into_service_error().is_resource_not_found_exception());
    let again = client
        .delete_schedule()
        .name("recheck-web-shop")
        .send()
        .await
        .expect_err("deleted already");
    assert!(again.into_service_error().is_resource_not_found_exception());
    assert!(stand_in.schedules().is_empty());

    let creates = stand_in.calls_to("CreateSchedule");
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0].status, 200);
    assert_eq!(creates[0].body["Name"], "recheck-web-shop");
    assert_eq!(creates[0].body["Target"]["Arn"], FUNCTION);
    assert_eq!(creates[1].status, 409);
    assert_eq!(creates[1].error_type.as_deref(), Some("ConflictException"));
    let gets = stand_in.calls_to("GetSchedule");
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[1].status, 404);
    assert_eq!(
        gets[1].error_type.as_deref(),
        Some("ResourceNotFoundException")
    );
    assert_eq!(stand_in.calls_to("DeleteSchedule").len(), 2);
    assert_eq!(
        stand_in.calls()[0].to_string(),
        "CreateSchedule default/recheck-web-shop -> 200"
    );
}

#[tokio::test]
async fn a_group_is_part_of_the_name() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    let created = one_time(&client, "recheck", "2030-01-01T00:00:00")
        .group_name("approval-gate")
        .send()
        .await
        .expect("created");
    assert_eq!(
        created.schedule_arn(),
        "arn:aws:scheduler:us-east-1:123456789012:schedule/approval-gate/recheck"
    );
    // The same name in another group is another schedule.
    one_time(&client, "recheck", "2030-01-01T00:00:00")
        .send()
        .await
        .expect("created in the default group");

    let schedule = client
        .get_schedule()
        .name("recheck")
        .group_name("approval-gate")
        .send()
        .await
        .expect("read");
    assert_eq!(schedule.group_name(), Some("approval-gate"));
    assert_eq!(
        stand_in.calls_to("GetSchedule")[0].body,
        json!({ "Name": "recheck", "GroupName": "approval-gate" })
    );

    client
        .delete_schedule()
        .name("recheck")
        .group_name("approval-gate")
        .send()
        .await
        .expect("deleted");
    let left: Vec<_> = stand_in
        .schedules()
        .iter()
        .map(|schedule| schedule["GroupName"].clone())
        .collect();
    assert_eq!(left, [json!("default")]);
}

#[tokio::test]
async fn a_retried_create_with_its_client_token_is_not_a_conflict() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    let create = |token: &str| {
        one_time(&client, "recheck", "2030-01-01T00:00:00")
            .client_token(token)
            .send()
    };
    let first = create("token-1").await.expect("created");
    let retried = create("token-1").await.expect("the same request again");
    assert_eq!(retried.schedule_arn(), first.schedule_arn());
    let other = create("token-2").await.expect_err("another request");
    assert!(other.into_service_error().is_conflict_exception());
    assert_eq!(stand_in.schedules().len(), 1);
    assert!(stand_in.schedules()[0].get("ClientToken").is_none());
}

#[tokio::test]
async fn invalid_schedules_are_validation_errors() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    let long_name = "n".repeat(65);
    let cases = [
        (
            "a name with a slash",
            one_time(&client, "web/shop", "2030-01-01T00:00:00"),
            "'web/shop' at 'name'",
        ),
        (
            "a name of 65 chars",
            one_time(&client, &long_name, "2030-01-01T00:00:00"),
            "at 'name'",
        ),
        (
            "a bad group name",
            one_time(&client, "recheck", "2030-01-01T00:00:00").group_name("a group"),
            "at 'groupName'",
        ),
        (
            "a rate expression",
            one_time(&client, "recheck", "2030-01-01T00:00:00")
                .schedule_expression("rate(5 minutes)"),
            "rate(5 minutes)",
        ),
        (
            "a day that does not exist",
            one_time(&client, "recheck", "2030-02-30T00:00:00"),
            "at(2030-02-30T00:00:00)",
        ),
        (
            "a zone other than UTC",
            one_time(&client, "recheck", "2030-01-01T00:00:00")
                .schedule_expression_timezone("Europe/Berlin"),
            "Europe/Berlin",
        ),
        (
            "no flexible time window",
            one_time(&client, "recheck", "2030-01-01T00:00:00").set_flexible_time_window(None),
            "FlexibleTimeWindow is required",
        ),
        (
            "a flexible window without its size",
            one_time(&client, "recheck", "2030-01-01T00:00:00").flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Flexible)
                    .build()
                    .unwrap(),
            ),
            "MaximumWindowInMinutes",
        ),
        (
            "no target",
            one_time(&client, "recheck", "2030-01-01T00:00:00").set_target(None),
            "Target.Arn is required",
        ),
        (
            "a target without a role",
            one_time(&client, "recheck", "2030-01-01T00:00:00").target(
                Target::builder()
                    .arn(FUNCTION)
                    .role_arn("")
                    .build()
                    .unwrap(),
            ),
            "Target.RoleArn is required",
        ),
        (
            "no expression",
            one_time(&client, "recheck", "2030-01-01T00:00:00").set_schedule_expression(None),
            "ScheduleExpression is required",
        ),
    ];
    for (case, request, message) in cases {
        let error = request.send().await.expect_err(case).into_service_error();
        assert!(
            matches!(error, CreateScheduleError::ValidationException(_)),
            "{case}: {error:?}"
        );
        let text = error.message().unwrap_or_default();
        assert!(text.contains(message), "{case}: {text}");
    }
    assert!(stand_in.schedules().is_empty());

    let error = client
        .get_schedule()
        .name(&long_name)
        .send()
        .await
        .expect_err("65 chars")
        .into_service_error();
    assert!(error.is_validation_exception(), "{error:?}");
}

#[tokio::test]
async fn due_schedules_are_taken_once_in_time_order() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    for (name, at) in [
        ("second", "2030-01-01T00:00:10"),
        ("first", "2030-01-01T00:00:00"),
        ("also-second", "2030-01-01T00:00:10"),
        ("later", "2030-01-01T01:00:00"),
    ] {
        one_time(&client, name, at).send().await.expect("created");
    }
    one_time(&client, "kept", "2030-01-01T00:00:05")
        .action_after_completion(ActionAfterCompletion::None)
        .send()
        .await
        .expect("created");
    one_time(&client, "disabled", "2030-01-01T00:00:00")
        .state(ScheduleState::Disabled)
        .send()
        .await
        .expect("created");

    assert!(stand_in.take_due_schedules(NEW_YEAR_2030 - 1.0).is_empty());
    let due = stand_in.take_due_schedules(NEW_YEAR_2030 + 10.0);
    let fired: Vec<_> = due.iter().map(|due| due.name.as_str()).collect();
    assert_eq!(fired, ["first", "kept", "also-second", "second"]);
    assert_eq!(
        due[0],
        DueSchedule {
            name: "first".into(),
            group: "default".into(),
            at: NEW_YEAR_2030,
            target_arn: FUNCTION.into(),
            input: r#"{"recheck":"first"}"#.into(),
        }
    );

    // Once each: deleted after firing, except the one kept, which never fires again.
    assert!(stand_in.take_due_schedules(NEW_YEAR_2030 + 10.0).is_empty());
    let left: Vec<_> = stand_in
        .schedules()
        .iter()
        .map(|schedule| schedule["Name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["disabled", "kept", "later"]);
    let fired = client
        .get_schedule()
        .name("first")
        .send()
        .await
        .expect_err("deleted after firing");
    assert!(fired.into_service_error().is_resource_not_found_exception());

    let later = stand_in.take_due_schedules(NEW_YEAR_2030 + 7200.0);
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].name, "later");
    assert_eq!(later[0].at, NEW_YEAR_2030 + 3600.0);
}

#[tokio::test]
async fn a_schedule_without_input_fires_an_empty_object() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    one_time(&client, "bare", "2030-01-01T00:00:00")
        .target(
            Target::builder()
                .arn(FUNCTION)
                .role_arn(ROLE)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("created");
    let due = stand_in.take_due_schedules(NEW_YEAR_2030);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].input, "{}");
}

#[tokio::test]
async fn an_injected_fault_reaches_the_sdk_as_its_modelled_variant() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    stand_in.inject("CreateSchedule", Fault::error(429, "ThrottlingException"));

    let error = one_time(&client, "recheck", "2030-01-01T00:00:00")
        .send()
        .await
        .expect_err("throttled")
        .into_service_error();
    assert!(error.is_throttling_exception(), "{error:?}");
    assert_eq!(error.message(), Some("injected fault"));
    assert!(stand_in.schedules().is_empty());

    one_time(&client, "recheck", "2030-01-01T00:00:00")
        .send()
        .await
        .expect("the fault applied once");
    let calls = stand_in.calls_to("CreateSchedule");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, 429);
    assert_eq!(calls[0].error_type.as_deref(), Some("ThrottlingException"));
    assert_eq!(calls[1].status, 200);
}

#[tokio::test]
async fn unsupported_scheduler_operations_are_named() {
    let stand_in = StandIn::start().await.unwrap();
    let client = scheduler(&stand_in);
    let error = client
        .list_schedules()
        .send()
        .await
        .expect_err("not supported");
    assert_eq!(error.code(), Some("UnknownOperationException"));
    assert_eq!(
        error.message(),
        Some("the stand-in does not support ListSchedules")
    );
    assert_eq!(stand_in.calls_to("ListSchedules").len(), 1);
}
