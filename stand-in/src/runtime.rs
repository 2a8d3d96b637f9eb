//! An emulator of the AWS Lambda Runtime API (`/2018-06-01/runtime/...`),
//! so tests can run the real Lambda binary and invoke it like Lambda does.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;
use hyper::http::request::Parts;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use crate::http::{Reply, Server, new_id, respond, since_epoch};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:approval-gate";

/// How long the function is told it has per invocation.
const INVOCATION_BUDGET: Duration = Duration::from_secs(60);

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Invocation {
    /// The function posted this response body.
    Response(Value),
    /// The function reported an error. `error_type` is the
    /// `Lambda-Runtime-Function-Error-Type` header (the Rust runtime sends
    /// `unhandled`); `body` is the posted `{"errorType", "errorMessage"}`.
    Error { error_type: String, body: Value },
}

/// The function did not answer an invocation in time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvokeTimedOut {
    pub request_id: String,
    pub timeout: Duration,
}

impl fmt::Display for InvokeTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invocation {} got no response within {:?}",
            self.request_id, self.timeout
        )
    }
}

impl Error for InvokeTimedOut {}

/// A running Runtime API. Clones share the same server, which stops when the
/// last clone is dropped.
#[derive(Clone)]
pub struct RuntimeApi {
    state: Arc<State>,
    server: Arc<Server>,
}

struct State {
    queue: mpsc::UnboundedSender<Queued>,
    /// Behind an async mutex because a `/next` long-poll holds it while
    /// waiting for an event; a second concurrent poller simply waits its turn.
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    /// Invocations still awaiting an outcome, by request id.
    waiting: Mutex<HashMap<String, oneshot::Sender<Invocation>>>,
    init_error: watch::Sender<Option<Value>>,
}

struct Queued {
    request_id: String,
    event: Value,
}

impl RuntimeApi {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let (queue, next) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            queue,
            next: tokio::sync::Mutex::new(next),
            waiting: Mutex::new(HashMap::new()),
            init_error: watch::Sender::new(None),
        });
        let shared = Arc::clone(&state);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = Server::bind(addr, move |parts, body| {
            handle(Arc::clone(&shared), parts, body)
        })
        .await?;
        Ok(RuntimeApi {
            state,
            server: Arc::new(server),
        })
    }

    /// `127.0.0.1:PORT`, the value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.server.addr().to_string()
    }

    /// Queues `event` for the function and waits for its response or error.
    pub async fn invoke(
        &self,
        event: Value,
        timeout: Duration,
    ) -> Result<Invocation, InvokeTimedOut> {
        let request_id = new_id();
        let (sender, outcome) = oneshot::channel();
        self.state.waiting().insert(request_id.clone(), sender);
        let queued = Queued {
            request_id: request_id.clone(),
            event,
        };
        // The receiver lives in `state`, which `self` keeps alive.
        let _ = self.state.queue.send(queued);
        match tokio::time::timeout(timeout, outcome).await {
            Ok(Ok(invocation)) => Ok(invocation),
            _ => {
                // Forgetting the id also stops `/next` from handing out the
                // stale event later.
                self.state.waiting().remove(&request_id);
                Err(InvokeTimedOut {
                    request_id,
                    timeout,
                })
            }
        }
    }

    /// Waits up to `timeout` for the function to report an initialisation
    /// error, returning the posted `{"errorType", "errorMessage"}` body.
    pub async fn init_error(&self, timeout: Duration) -> Option<Value> {
        let mut reported = self.state.init_error.subscribe();
        let wait = reported.wait_for(Option::is_some);
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(error)) => error.clone(),
            _ => None,
        }
    }
}

impl State {
    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Invocation>>> {
        // The map stays consistent even if a holder panicked: every critical
        // section is a single insert or remove.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn complete(&self, request_id: &str, invocation: Invocation) -> Reply {
        match self.waiting().remove(request_id) {
            Some(sender) => {
                // The invoker may have given up already; nothing to do then.
                let _ = sender.send(invocation);
                Some(accepted())
            }
            None => Some(respond(
                400,
                "application/json",
                &[],
                json!({ "errorType": "InvalidRequestID", "errorMessage": "unknown request id" })
                    .to_string(),
            )),
        }
    }
}

async fn handle(state: Arc<State>, parts: Parts, body: Bytes) -> Reply {
    let path = parts.uri.path();
    let Some(route) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Some(not_found());
    };
    let segments: Vec<&str> = route.split('/').collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => Some(next_event(&state).await),
        (&Method::POST, ["invocation", request_id, "response"]) => {
            state.complete(request_id, Invocation::Response(json_or_text(&body)))
        }
        (&Method::POST, ["invocation", request_id, "error"]) => {
            let error_type = parts
                .headers
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = json_or_text(&body);
            state.complete(request_id, Invocation::Error { error_type, body })
        }
        (&Method::POST, ["init", "error"]) => {
            state.init_error.send_replace(Some(json_or_text(&body)));
            Some(accepted())
        }
        _ => Some(not_found()),
    }
}

/// Long-polls for the next event that someone is still waiting on.
async fn next_event(state: &State) -> crate::http::HttpResponse {
    let mut queue = state.next.lock().await;
    let queued = loop {
        // `state` holds a sender, so the channel never closes.
        let Some(queued) = queue.recv().await else {
            return not_found();
        };
        if state.waiting().contains_key(&queued.request_id) {
            break queued;
        }
    };
    let deadline = (since_epoch() + INVOCATION_BUDGET).as_millis().to_string();
    let trace_id = trace_id();
    respond(
        200,
        "application/json",
        &[
            ("lambda-runtime-aws-request-id", queued.request_id.as_str()),
            ("lambda-runtime-deadline-ms", deadline.as_str()),
            ("lambda-runtime-invoked-function-arn", FUNCTION_ARN),
            ("lambda-runtime-trace-id", trace_id.as_str()),
        ],
        queued.event.to_string(),
    )
}

/// An X-Ray trace header in the shape Lambda passes to functions.
fn trace_id() -> String {
    let hex = |digits: usize| new_id().replace('-', "")[..digits].to_owned();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        since_epoch().as_secs(),
        hex(24),
        hex(16)
    )
}

/// Bodies are normally JSON; anything else is kept as text so a test can
/// still see what the function sent.
fn json_or_text(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned().into())
}

fn accepted() -> crate::http::HttpResponse {
    respond(202, "application/json", &[], r#"{"status":"OK"}"#)
}

fn not_found() -> crate::http::HttpResponse {
    respond(
        404,
        "application/json",
        &[],
        json!({ "errorType": "NotFound", "errorMessage": "no such Runtime API route" }).to_string(),
    )
}
