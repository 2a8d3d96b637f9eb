//! One call on the wire: read as an [`AwsRequest`] whatever its protocol, faults applied,
//! answered by the [`World`], recorded, and written back in the protocol it came in.

use std::sync::{Arc, Mutex};

use hyper::body::Bytes;
use hyper::header::CONTENT_TYPE;
use hyper::http::request::Parts;
use serde_json::{Value, json};

use crate::http::{HttpResponse, Reply, new_id, respond};
use crate::world::{Answered, ApiError, AwsRequest, Protocol, World};
use crate::{
    Call, Fault, appconfig, cbor, cloudwatch, codepipeline, lambda, lock, scheduler, sns, ssm,
};

pub(crate) async fn handle(world: Arc<Mutex<World>>, parts: Parts, body: Bytes) -> Reply {
    let (request, invoke) = match lambda::parse(&parts, &body) {
        Some((request, invoke)) => (request, Some(invoke)),
        None => (parse(&parts, &body), None),
    };
    let fault = lock(&world).take_fault(&request);
    let mut answer_after = None;
    match fault {
        None => {}
        Some(Fault::DelayAnswer(delay)) => answer_after = Some(delay),
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Drop) => {
            lock(&world).record(call(request, 0, None, false));
            return None;
        }
        Some(Fault::Error { status, error_type }) => {
            let error = ApiError {
                status,
                error_type,
                message: "injected fault".into(),
            };
            let response = error_response(request.protocol, &error);
            lock(&world).record(call(request, status, Some(error.error_type), false));
            return Some(response);
        }
        Some(Fault::RawBody { status, body }) => {
            let response = respond(status, content_type(request.protocol), &[], body);
            lock(&world).record(call(request, status, None, false));
            return Some(response);
        }
    }

    let response = match invoke {
        // A function may take its time: it is answered without holding the world, and
        // recorded once it has answered.
        Some(invoke) => {
            let answered = lambda::invoke(&world, &request, &invoke).await;
            let (response, status, error_type) = render(request.protocol, answered);
            lock(&world).record(call(request, status, error_type, false));
            response
        }
        None => answer_and_record(&world, request),
    };
    if let Some(delay) = answer_after {
        tokio::time::sleep(delay).await;
    }
    Some(response)
}

fn answer_and_record(world: &Mutex<World>, request: AwsRequest) -> HttpResponse {
    // Answering and recording under one lock keeps `calls()` in the order
    // the state actually changed.
    let mut world = lock(world);
    let (response, status, error_type) = render(request.protocol, world.answer(&request));
    // A PutApprovalResult only succeeds by answering a pending approval.
    // Faulted calls return earlier, so they never count as accepted.
    let accepted = request.operation == "PutApprovalResult" && error_type.is_none();
    world.record(call(request, status, error_type, accepted));
    response
}

/// The HTTP response for an answer or an error, with its status and AWS error type.
fn render(
    protocol: Protocol,
    answer: Result<Answered, ApiError>,
) -> (HttpResponse, u16, Option<String>) {
    match answer {
        Ok(answered) => {
            let request_id = new_id();
            let mut headers = vec![("x-amzn-requestid", request_id.as_str())];
            headers.extend_from_slice(protocol_headers(protocol));
            headers.extend(
                answered
                    .headers
                    .iter()
                    .map(|(name, value)| (*name, value.as_str())),
            );
            let response = respond(
                answered.status,
                content_type(protocol),
                &headers,
                answered.body,
            );
            (response, answered.status, None)
        }
        Err(error) => (
            error_response(protocol, &error),
            error.status,
            Some(error.error_type),
        ),
    }
}

fn call(request: AwsRequest, status: u16, error_type: Option<String>, accepted: bool) -> Call {
    Call {
        accepted,
        operation: request.operation,
        body: request.body,
        status,
        error_type,
        function_name: request.function_name,
    }
}

/// Tells the services apart (Lambda Invoke is told apart before, by [`lambda::parse`]):
/// the restJson1 ones (AppConfig Data, Scheduler) by method and path, CloudWatch by its
/// `smithy-protocol` header, CodePipeline and SSM name their operation in `X-Amz-Target`,
/// SNS sends a form with an `Action` field.
fn parse(parts: &Parts, body: &[u8]) -> AwsRequest {
    if let Some(request) = appconfig::parse(parts, body) {
        return request;
    }
    if let Some(request) = scheduler::parse(parts, body) {
        return request;
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if header("smithy-protocol") == Some("rpc-v2-cbor") {
        let operation = parts
            .uri
            .path()
            .strip_prefix(cloudwatch::PATH_PREFIX)
            .unwrap_or_default();
        let parsed = if body.is_empty() {
            Ok(json!({}))
        } else {
            cbor::decode(body)
        };
        let malformed = parsed.is_err();
        return AwsRequest {
            protocol: Protocol::Cbor,
            operation: operation.to_owned(),
            body: parsed.unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned().into()),
            malformed,
            function_name: None,
        };
    }
    if let Some(target) = header("x-amz-target") {
        let operation = target
            .strip_prefix(codepipeline::TARGET_PREFIX)
            .or_else(|| target.strip_prefix(ssm::TARGET_PREFIX))
            .unwrap_or(target);
        let parsed = if body.is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_slice(body)
        };
        let malformed = parsed.is_err();
        return AwsRequest {
            protocol: Protocol::Json,
            operation: operation.to_owned(),
            body: parsed.unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned().into()),
            malformed,
            function_name: None,
        };
    }
    let is_form = header(CONTENT_TYPE.as_str())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let fields = sns::form_fields(body);
        let action = fields
            .get("Action")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return AwsRequest {
            protocol: Protocol::Query,
            operation: action,
            body: Value::Object(fields),
            malformed: false,
            function_name: None,
        };
    }
    // Neither protocol: answer as awsJson with an unknown (empty) operation.
    AwsRequest {
        protocol: Protocol::Json,
        operation: String::new(),
        body: String::from_utf8_lossy(body).into_owned().into(),
        malformed: false,
        function_name: None,
    }
}

fn content_type(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Json => "application/x-amz-json-1.1",
        Protocol::Query => "text/xml",
        Protocol::Rest => "application/json",
        Protocol::Cbor => "application/cbor",
    }
}

/// Headers every answer in `protocol` carries besides the request id.
fn protocol_headers(protocol: Protocol) -> &'static [(&'static str, &'static str)] {
    match protocol {
        Protocol::Cbor => &[("smithy-protocol", "rpc-v2-cbor")],
        Protocol::Json | Protocol::Query | Protocol::Rest => &[],
    }
}

fn error_response(protocol: Protocol, error: &ApiError) -> HttpResponse {
    let request_id = new_id();
    match protocol {
        Protocol::Json => respond(
            error.status,
            content_type(protocol),
            &[
                ("x-amzn-errortype", error.error_type.as_str()),
                ("x-amzn-requestid", request_id.as_str()),
            ],
            codepipeline::error_body(error),
        ),
        // restJson1 names the error in the header only; the body holds the error's
        // members, of which the SDK reads `Message` into the modelled error's message.
        Protocol::Rest => respond(
            error.status,
            content_type(protocol),
            &[
                ("x-amzn-errortype", error.error_type.as_str()),
                ("x-amzn-requestid", request_id.as_str()),
            ],
            json!({ "Message": error.message }).to_string(),
        ),
        Protocol::Query => respond(
            error.status,
            content_type(protocol),
            &[("x-amzn-requestid", request_id.as_str())],
            sns::error_body(error),
        ),
        // RPC v2 CBOR carries the error's name in the body's `__type` only.
        Protocol::Cbor => respond(
            error.status,
            content_type(protocol),
            &[
                ("x-amzn-requestid", request_id.as_str()),
                ("smithy-protocol", "rpc-v2-cbor"),
            ],
            cbor::encode(&json!({ "__type": error.error_type, "message": error.message })),
        ),
    }
}
