//! Lambda Invoke through the real aws-sdk-lambda: payloads, function errors, service errors,
//! faults, delays and what the stand-in records.

use std::time::{Duration, Instant};

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::timeout::TimeoutConfig;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::{Value, json};
use stand_in::{Fault, Function, StandIn};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:change-ticket";

/// Without retries, so each fault shows up as exactly one failed call.
fn lambda(stand_in: &StandIn) -> aws_sdk_lambda::Client {
    lambda_with(stand_in, TimeoutConfig::disabled())
}

fn lambda_with(stand_in: &StandIn, timeout: TimeoutConfig) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(stand_in.endpoint_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeout)
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

fn invoke(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: &[u8],
) -> aws_sdk_lambda::operation::invoke::builders::InvokeFluentBuilder {
    client
        .invoke()
        .function_name(function)
        .invocation_type(InvocationType::RequestResponse)
        .payload(Blob::new(payload))
}

fn payload(output: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> &[u8] {
    output.payload().map_or(&[][..], Blob::as_ref)
}

#[tokio::test]
async fn an_answer_round_trips_byte_for_byte() {
    let stand_in = StandIn::start().await.unwrap();
    // Spacing, key order and escapes as a function might write them; and bytes that are
    // not even UTF-8.
    let written = "{ \"reason\":\"CHG-1042 \\u00e9t\u{e9} approuv\u{e9}\",  \"pass\" : true }";
    stand_in.put_function(ARN, Function::raw(written));
    stand_in.put_function("garbage", Function::raw(&b"\xff\xfe<html>502</html>"[..]));
    let answer = json!({"pass": false, "reason": "no ticket for r-9f8e7d6c"});
    stand_in.put_function("answer", Function::answer(answer.clone()));
    let client = lambda(&stand_in);

    let output = invoke(&client, ARN, b"{}").send().await.unwrap();
    assert_eq!(output.status_code(), 200);
    assert_eq!(payload(&output), written.as_bytes());
    assert_eq!(output.executed_version(), Some("$LATEST"));
    assert_eq!(output.function_error(), None);

    let output = invoke(&client, "garbage", b"{}").send().await.unwrap();
    assert_eq!(payload(&output), b"\xff\xfe<html>502</html>");
    assert_eq!(output.function_error(), None);

    let output = invoke(&client, "answer", b"{}").send().await.unwrap();
    assert_eq!(payload(&output), answer.to_string().as_bytes());
}

#[tokio::test]
async fn a_function_error_is_unhandled_with_its_message() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(ARN, Function::error("ticket system down"));
    let output = invoke(&lambda(&stand_in), ARN, b"{}")
        .send()
        .await
        .expect("a function error is no service error");
    assert_eq!(output.status_code(), 200);
    assert_eq!(output.function_error(), Some("Unhandled"));
    let error: Value = serde_json::from_slice(payload(&output)).unwrap();
    assert_eq!(
        error,
        json!({"errorMessage": "ticket system down", "errorType": "Error"})
    );
    let calls = stand_in.calls_to("Invoke");
    assert_eq!(
        (calls[0].status, calls[0].error_type.as_deref()),
        (200, None)
    );
}

#[tokio::test]
async fn an_unknown_function_is_resource_not_found() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function("other", Function::answer(json!({"pass": true})));
    let error = invoke(&lambda(&stand_in), ARN, b"{}")
        .send()
        .await
        .expect_err("no such function")
        .into_service_error();
    assert!(error.is_resource_not_found_exception(), "{error:?}");
    assert_eq!(
        error.message(),
        Some(format!("Function not found: {ARN}").as_str())
    );
    let calls = stand_in.calls_to("Invoke");
    assert_eq!(calls[0].status, 404);
    assert_eq!(
        calls[0].error_type.as_deref(),
        Some("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn a_qualified_function_is_reached_by_its_qualifier_in_the_arn_or_the_query() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(
        &format!("{ARN}:prod"),
        Function::answer(json!({"pass": true})),
    );
    let client = lambda(&stand_in);
    for request in [
        invoke(&client, &format!("{ARN}:prod"), b"{}"),
        invoke(&client, ARN, b"{}").qualifier("prod"),
        invoke(&client, "change-ticket", b"{}").qualifier("prod"),
    ] {
        let output = request.send().await.expect("reached");
        assert_eq!(payload(&output), br#"{"pass":true}"#);
    }
    let unqualified = invoke(&client, ARN, b"{}").send().await.unwrap_err();
    assert!(
        unqualified
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let disagreeing = invoke(&client, &format!("{ARN}:prod"), b"{}")
        .qualifier("staging")
        .send()
        .await
        .unwrap_err();
    assert!(
        disagreeing
            .into_service_error()
            .is_invalid_parameter_value_exception()
    );
    // The FunctionName is recorded as sent, percent-decoded.
    let names: Vec<_> = stand_in
        .calls_to("Invoke")
        .into_iter()
        .map(|call| call.function_name.unwrap())
        .collect();
    assert_eq!(names[0], format!("{ARN}:prod"));
    assert_eq!(names[1], ARN);
}

#[tokio::test]
async fn injected_faults_reach_the_sdk() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(ARN, Function::answer(json!({"pass": true})));
    let client = lambda(&stand_in);

    stand_in.inject("Invoke", Fault::error(429, "TooManyRequestsException"));
    let error = invoke(&client, ARN, b"{}")
        .send()
        .await
        .expect_err("throttled")
        .into_service_error();
    assert!(error.is_too_many_requests_exception(), "{error:?}");
    assert_eq!(error.message(), Some("injected fault"));

    stand_in.inject("Invoke", Fault::Drop);
    let dropped = invoke(&client, ARN, b"{}").send().await.unwrap_err();
    assert!(
        matches!(dropped, SdkError::DispatchFailure(_)),
        "{dropped:?}"
    );

    // A fault for one FunctionName leaves the others alone.
    stand_in.put_function("other", Function::answer(json!({"pass": true})));
    stand_in.inject_for("Invoke", ARN, Fault::error(500, "ServiceException"), 1);
    invoke(&client, "other", b"{}")
        .send()
        .await
        .expect("not this one");
    let error = invoke(&client, ARN, b"{}").send().await.unwrap_err();
    assert!(error.into_service_error().is_service_exception());

    invoke(&client, ARN, b"{}")
        .send()
        .await
        .expect("faults used up");
    let statuses: Vec<_> = stand_in
        .calls_to("Invoke")
        .iter()
        .map(|call| call.status)
        .collect();
    assert_eq!(statuses, [429, 0, 200, 500, 200]);
}

#[tokio::test]
async fn a_delayed_answer_is_delayed_and_does_not_hold_up_other_calls() {
    let stand_in = StandIn::start().await.unwrap();
    let delay = Duration::from_millis(300);
    stand_in.put_function("slow", Function::answer(json!({"pass": true})).after(delay));
    stand_in.put_function("fast", Function::answer(json!({"pass": false})));
    let client = lambda(&stand_in);

    let started = Instant::now();
    let slow = tokio::spawn(invoke(&client, "slow", b"{}").send());
    tokio::time::sleep(Duration::from_millis(50)).await;
    invoke(&client, "fast", b"{}").send().await.unwrap();
    let fast_done = started.elapsed();
    slow.await.unwrap().unwrap();
    let slow_done = started.elapsed();

    assert!(slow_done >= delay, "{slow_done:?}");
    assert!(fast_done < delay, "the fast call waited: {fast_done:?}");
    // Recorded as answered: the fast one first.
    let names: Vec<_> = stand_in
        .calls_to("Invoke")
        .into_iter()
        .map(|call| call.function_name.unwrap())
        .collect();
    assert_eq!(names, ["fast", "slow"]);
}

#[tokio::test]
async fn a_caller_that_stops_waiting_times_out() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(
        ARN,
        Function::answer(json!({"pass": true})).after(Duration::from_millis(400)),
    );
    let timeout = TimeoutConfig::builder()
        .operation_timeout(Duration::from_millis(100))
        .build();
    let error = invoke(&lambda_with(&stand_in, timeout), ARN, b"{}")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, SdkError::TimeoutError(_)), "{error:?}");
}

#[tokio::test]
async fn the_recorded_call_holds_the_payload_sent_and_echo_returns_it() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(ARN, Function::echo());
    stand_in.put_function(
        "by-stage",
        Function::reply(|request| {
            let stage = &request["stage"];
            json!({"pass": stage == "Prod", "reason": format!("stage {stage}")})
        }),
    );
    let client = lambda(&stand_in);
    let sent = br#"{"pipeline":"web-shop", "stage": "Prod", "revision":"9f8e7d6c"}"#;

    let output = invoke(&client, ARN, sent).send().await.unwrap();
    let answer: Value = serde_json::from_slice(payload(&output)).unwrap();
    assert_eq!(
        answer,
        json!({"pass": true, "reason": std::str::from_utf8(sent).unwrap()})
    );
    let output = invoke(&client, "by-stage", sent).send().await.unwrap();
    assert_eq!(
        payload(&output),
        br#"{"pass":true,"reason":"stage \"Prod\""}"#
    );

    let calls = stand_in.calls_to("Invoke");
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].body,
        serde_json::from_slice::<Value>(sent).unwrap()
    );
    assert_eq!(calls[0].function_name.as_deref(), Some(ARN));
    assert_eq!(calls[0].to_string(), format!("Invoke {ARN} -> 200"));
}

#[tokio::test]
async fn a_payload_that_is_not_json_is_refused_and_recorded_as_text() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(ARN, Function::echo());
    let error = invoke(&lambda(&stand_in), ARN, b"pipeline=web-shop")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_request_content_exception(), "{error:?}");
    assert_eq!(
        stand_in.calls_to("Invoke")[0].body,
        json!("pipeline=web-shop")
    );
}

#[tokio::test]
async fn event_and_dry_run_answer_without_a_payload() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_function(ARN, Function::answer(json!({"pass": true})));
    let client = lambda(&stand_in);
    for (invocation_type, status) in [(InvocationType::Event, 202), (InvocationType::DryRun, 204)] {
        let output = invoke(&client, ARN, b"{}")
            .invocation_type(invocation_type)
            .send()
            .await
            .unwrap();
        assert_eq!(output.status_code(), status);
        assert_eq!(payload(&output), b"");
    }
    let error = invoke(&client, "missing", b"{}")
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .unwrap_err();
    assert!(error.into_service_error().is_resource_not_found_exception());
}
