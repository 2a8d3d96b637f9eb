//! Plays the client by hand with plain HTTP/1.1 over a TCP stream: for the
//! Lambda Runtime API, whose client lives in the Lambda binary, and for
//! protocol edges the SDK never produces.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use stand_in::{Invocation, RuntimeApi, StandIn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

/// One request on a fresh connection; `Connection: close` lets the response
/// be read to EOF instead of parsing lengths.
async fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    stream
        .write_all(format!("{head}\r\n{body}").as_bytes())
        .await
        .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.expect("read");

    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .expect("status line");
    Response {
        status: status.parse().expect("numeric status"),
        headers: lines
            .filter_map(|line| line.split_once(": "))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

#[tokio::test]
async fn runtime_api_delivers_events_and_collects_responses() {
    let api = RuntimeApi::start().await.unwrap();
    let addr = api.address();
    let event = json!({ "Records": [{ "Sns": { "Message": "hello" } }] });
    let invoker = tokio::spawn({
        let api = api.clone();
        let event = event.clone();
        async move { api.invoke(event, Duration::from_secs(5)).await }
    });

    let next = request(&addr, "GET", NEXT, &[], "").await;
    assert_eq!(next.status, 200);
    assert_eq!(next.json(), event);
    let request_id = next
        .header("lambda-runtime-aws-request-id")
        .expect("request id")
        .to_owned();
    let deadline: u128 = next
        .header("lambda-runtime-deadline-ms")
        .unwrap()
        .parse()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert!(
        deadline > now + 50_000 && deadline <= now + 60_000,
        "deadline {deadline}, now {now}"
    );
    assert_eq!(
        next.header("lambda-runtime-invoked-function-arn"),
        Some("arn:aws:lambda:us-east-1:123456789012:function:approval-gate")
    );
    assert!(
        next.header("lambda-runtime-trace-id")
            .unwrap()
            .starts_with("Root=1-")
    );

    let path = format!("/2018-06-01/runtime/invocation/{request_id}/response");
    let posted = request(&addr, "POST", &path, &[], r#"{"verdict":"approve"}"#).await;
    assert_eq!(posted.status, 202);
    assert_eq!(posted.json(), json!({ "status": "OK" }));

    let outcome = invoker.await.unwrap().expect("answered in time");
    assert_eq!(
        outcome,
        Invocation::Response(json!({ "verdict": "approve" }))
    );

    // A second answer for the same invocation has nobody to go to.
    assert_eq!(request(&addr, "POST", &path, &[], "{}").await.status, 400);
}

#[tokio::test]
async fn runtime_api_collects_function_errors() {
    let api = RuntimeApi::start().await.unwrap();
    let addr = api.address();
    let invoker = tokio::spawn({
        let api = api.clone();
        async move { api.invoke(json!({}), Duration::from_secs(5)).await }
    });

    let next = request(&addr, "GET", NEXT, &[], "").await;
    let request_id = next.header("lambda-runtime-aws-request-id").unwrap();
    let error = json!({ "errorType": "approval_gate::Error", "errorMessage": "state unreadable" });
    let posted = request(
        &addr,
        "POST",
        &format!("/2018-06-01/runtime/invocation/{request_id}/error"),
        &[("Lambda-Runtime-Function-Error-Type", "unhandled")],
        &error.to_string(),
    )
    .await;
    assert_eq!(posted.status, 202);

    let outcome = invoker.await.unwrap().expect("answered in time");
    assert_eq!(
        outcome,
        Invocation::Error {
            error_type: "unhandled".into(),
            body: error
        }
    );
}

#[tokio::test]
async fn runtime_api_reports_init_errors() {
    let api = RuntimeApi::start().await.unwrap();
    assert_eq!(api.init_error(Duration::from_millis(50)).await, None);

    let error = json!({ "errorType": "Runtime.InitError", "errorMessage": "missing TOPIC_ARN" });
    let posted = request(
        &api.address(),
        "POST",
        "/2018-06-01/runtime/init/error",
        &[("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")],
        &error.to_string(),
    )
    .await;
    assert_eq!(posted.status, 202);
    assert_eq!(api.init_error(Duration::from_secs(1)).await, Some(error));
}

#[tokio::test]
async fn a_timed_out_invocation_is_not_delivered_later() {
    let api = RuntimeApi::start().await.unwrap();
    let timed_out = api
        .invoke(json!({ "stale": true }), Duration::from_millis(20))
        .await;
    assert!(timed_out.is_err());

    let invoker = tokio::spawn({
        let api = api.clone();
        async move {
            api.invoke(json!({ "fresh": true }), Duration::from_secs(5))
                .await
        }
    });
    let next = request(&api.address(), "GET", NEXT, &[], "").await;
    assert_eq!(next.json(), json!({ "fresh": true }));
    invoker.abort();
}

#[tokio::test]
async fn unknown_operations_get_an_aws_json_error() {
    let stand_in = StandIn::start().await.unwrap();
    let addr = stand_in.address().to_string();
    let response = request(
        &addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "CodePipeline_20150709.DeletePipeline"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        r#"{"name":"web-shop"}"#,
    )
    .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(
        response.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
    assert_eq!(response.json()["__type"], "UnknownOperationException");

    let calls = stand_in.calls_to("DeletePipeline");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body, json!({ "name": "web-shop" }));
}

#[tokio::test]
async fn calls_print_without_tokens() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_pipeline(json!({
        "pipelineName": "web-shop",
        "stageStates": [{
            "stageName": "Approve",
            "actionStates": [{
                "actionName": "Manual",
                "latestExecution": { "status": "InProgress", "token": "secret-token" }
            }]
        }]
    }));
    let body = json!({
        "pipelineName": "web-shop",
        "stageName": "Approve",
        "actionName": "Manual",
        "token": "secret-token",
        "result": { "status": "Approved", "summary": "ok" }
    });
    let response = request(
        &stand_in.address().to_string(),
        "POST",
        "/",
        &[("X-Amz-Target", "CodePipeline_20150709.PutApprovalResult")],
        &body.to_string(),
    )
    .await;
    assert_eq!(response.status, 200);
    assert!(response.json()["approvedAt"].is_f64());

    let line = stand_in.calls()[0].to_string();
    assert_eq!(
        line,
        "PutApprovalResult web-shop/Approve/Manual -> accepted (Approved)"
    );
}

#[tokio::test]
async fn scheduler_errors_are_rest_json_errors() {
    let stand_in = StandIn::start().await.unwrap();
    let addr = stand_in.address().to_string();

    // restJson1: the error's name in the header, its members (`Message`) in the body.
    let missing = request(&addr, "GET", "/schedules/nope?groupName=default", &[], "").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some("application/json"));
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    assert_eq!(
        missing.json(),
        json!({ "Message": "Schedule nope does not exist." })
    );

    let malformed = request(
        &addr,
        "POST",
        "/schedules/recheck",
        &[("Content-Type", "application/json")],
        "{not json",
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.header("x-amzn-errortype"),
        Some("SerializationException")
    );

    // The name is percent-decoded from the path, so a slash in it is seen, and refused.
    let slashed = request(&addr, "DELETE", "/schedules/web%2Fshop", &[], "").await;
    assert_eq!(slashed.status, 400);
    assert_eq!(
        slashed.header("x-amzn-errortype"),
        Some("ValidationException")
    );
    let calls = stand_in.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[0].body,
        json!({ "Name": "nope", "GroupName": "default" })
    );
    assert_eq!(calls[1].operation, "CreateSchedule");
    assert_eq!(calls[2].body, json!({ "Name": "web/shop" }));
}
