//! AWS Lambda `Invoke` (restJson1): `POST /2015-03-31/functions/{FunctionName}/invocations`
//! with an optional `?Qualifier=`, the invocation type in `X-Amz-Invocation-Type` and the
//! payload as the raw body.
//!
//! The functions are seeded by the test ([`crate::StandIn::put_function`]): each is a
//! canned [`Function`], not code that runs. A request reaches the function registered with
//! the same function name and qualifier (none and `$LATEST` are the same); when both the
//! registration and the request give an account or a region (a full or partial ARN), those
//! must agree too. A registration spelled exactly as the request's FunctionName is preferred
//! over one that only matches.
//!
//! `RequestResponse` (the default) answers 200 with the function's payload and
//! `X-Amz-Executed-Version: $LATEST` (whatever the qualifier: aliases and versions are not
//! modelled); a function that raises answers 200 with `X-Amz-Function-Error: Unhandled`
//! and `{"errorMessage", "errorType"}`, as Lambda does. `Event` answers 202 and `DryRun` 204,
//! both with an empty body and without running the function. A function's delay is waited
//! out without holding the stand-in's state, so other calls are answered meanwhile.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;
use hyper::http::request::Parts;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::lock;
use crate::world::{Answered, ApiError, AwsRequest, Protocol, World};

const PATH_PREFIX: &str = "/2015-03-31/functions/";
const PATH_SUFFIX: &str = "/invocations";

/// Where a function named without an ARN lives, for the ARN in a not-found message.
const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_ACCOUNT: &str = "123456789012";

/// Lambda's limit on a function name (its ARN may be longer).
const MAX_NAME_CHARS: usize = 64;

/// The `errorType` of a function error: what a Node.js function's `throw new Error(..)`
/// reports.
const FUNCTION_ERROR_TYPE: &str = "Error";

/// The pattern Lambda names when it refuses a FunctionName.
const NAME_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";

/// A function the stand-in answers Invoke for: what it returns, and after how long.
///
/// ```
/// use std::time::Duration;
/// use stand_in::Function;
///
/// let slow = Function::answer(serde_json::json!({"pass": true, "reason": "ok"}))
///     .after(Duration::from_millis(200));
/// # let _ = slow;
/// ```
#[derive(Clone)]
pub struct Function {
    behaviour: Behaviour,
    delay: Duration,
}

#[derive(Clone)]
enum Behaviour {
    /// These bytes, as they are.
    Payload(Vec<u8>),
    /// `{"pass": true, "reason": <the request payload, as text>}`.
    Echo,
    /// What the closure makes of the request payload (JSON, or a string if it was none).
    Reply(Arc<dyn Fn(&Value) -> Value + Send + Sync>),
    /// A function error with this message.
    Raise(String),
}

impl Function {
    /// Returns `answer`, serialised as JSON.
    pub fn answer(answer: Value) -> Self {
        Self::raw(answer.to_string())
    }

    /// Returns exactly these bytes, JSON or not.
    pub fn raw(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(Behaviour::Payload(payload.into()))
    }

    /// Returns `{"pass": true, "reason": ...}` whose reason is the request payload as text
    /// (invalid UTF-8 replaced), so that what was sent comes back in what was decided.
    pub fn echo() -> Self {
        Self::new(Behaviour::Echo)
    }

    /// Returns what `reply` makes of the request payload (parsed as JSON; a payload that is
    /// not JSON is given as a string). It runs outside the stand-in's lock, once per
    /// invocation.
    pub fn reply(reply: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        Self::new(Behaviour::Reply(Arc::new(reply)))
    }

    /// Raises: Lambda answers 200 with `X-Amz-Function-Error: Unhandled` and
    /// `{"errorMessage": message, "errorType": "Error"}`.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Behaviour::Raise(message.into()))
    }

    /// The same function, answering only after `delay` (to outlast a caller's timeout).
    pub fn after(self, delay: Duration) -> Self {
        Self { delay, ..self }
    }

    fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            delay: Duration::ZERO,
        }
    }

    /// The answer to one RequestResponse invocation.
    fn run(&self, request: &Value, payload: &[u8]) -> Answered {
        let (body, raised) = match &self.behaviour {
            Behaviour::Payload(bytes) => (bytes.clone(), false),
            Behaviour::Echo => {
                let reason = String::from_utf8_lossy(payload);
                let answer = json!({ "pass": true, "reason": reason });
                (answer.to_string().into_bytes(), false)
            }
            Behaviour::Reply(reply) => (reply(request).to_string().into_bytes(), false),
            Behaviour::Raise(message) => {
                let error = json!({ "errorMessage": message, "errorType": FUNCTION_ERROR_TYPE });
                (error.to_string().into_bytes(), true)
            }
        };
        let mut headers = vec![("x-amz-executed-version", "$LATEST".to_owned())];
        if raised {
            headers.push(("x-amz-function-error", "Unhandled".to_owned()));
        }
        Answered {
            status: 200,
            body,
            headers,
        }
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let behaviour = match &self.behaviour {
            Behaviour::Payload(bytes) => format!("Payload({})", String::from_utf8_lossy(bytes)),
            Behaviour::Echo => "Echo".to_owned(),
            Behaviour::Reply(_) => "Reply(..)".to_owned(),
            Behaviour::Raise(message) => format!("Raise({message:?})"),
        };
        f.debug_struct("Function")
            .field("behaviour", &behaviour)
            .field("delay", &self.delay)
            .finish()
    }
}

/// What an Invoke request carries besides its FunctionName and payload (which travel in
/// the [`AwsRequest`]).
pub(crate) struct Invoke {
    /// The `Qualifier` query parameter.
    qualifier: Option<String>,
    /// The `X-Amz-Invocation-Type` header.
    invocation_type: Option<String>,
    payload: Bytes,
}

/// The request, if it is a Lambda Invoke.
pub(crate) fn parse(parts: &Parts, body: &Bytes) -> Option<(AwsRequest, Invoke)> {
    let name = parts
        .uri
        .path()
        .strip_prefix(PATH_PREFIX)?
        .strip_suffix(PATH_SUFFIX)?;
    if parts.method != Method::POST || name.is_empty() || name.contains('/') {
        return None;
    }
    let function_name = percent_decode_str(name).decode_utf8_lossy().into_owned();
    let query = parts.uri.query().unwrap_or_default();
    let qualifier = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "Qualifier")
        .map(|(_, value)| value.into_owned());
    let invocation_type = parts
        .headers
        .get("x-amz-invocation-type")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let payload = if body.is_empty() {
        Value::from("")
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned().into())
    };
    let request = AwsRequest {
        protocol: Protocol::Rest,
        operation: "Invoke".into(),
        body: payload,
        malformed: false,
        function_name: Some(function_name),
    };
    let invoke = Invoke {
        qualifier,
        invocation_type,
        payload: body.clone(),
    };
    Some((request, invoke))
}

/// Answers an Invoke: finds the function under the lock, then waits out its delay and runs
/// it without holding the lock.
pub(crate) async fn invoke(
    world: &Mutex<World>,
    request: &AwsRequest,
    invoke: &Invoke,
) -> Result<Answered, ApiError> {
    let name = request.function_name.as_deref().unwrap_or_default();
    let function = lock(world).function(name, invoke.qualifier.as_deref())?;
    let empty = |status| Answered {
        status,
        body: Vec::new(),
        headers: Vec::new(),
    };
    match invoke.invocation_type.as_deref() {
        None | Some("RequestResponse") => {}
        Some("Event") => return Ok(empty(202)),
        Some("DryRun") => return Ok(empty(204)),
        Some(other) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to \
                 satisfy constraint: Member must satisfy enum value set: \
                 [Event, RequestResponse, DryRun]"
            )));
        }
    }
    if serde_json::from_slice::<Value>(&invoke.payload).is_err() && !invoke.payload.is_empty() {
        return Err(ApiError::new(
            "InvalidRequestContentException",
            "Could not parse request body into json: the payload is not JSON",
        ));
    }
    if !function.delay.is_zero() {
        tokio::time::sleep(function.delay).await;
    }
    Ok(function.run(&request.body, &invoke.payload))
}

impl World {
    /// The function a request for `name` (with the `Qualifier` parameter `qualifier`)
    /// reaches; see the module docs.
    fn function(&self, name: &str, qualifier: Option<&str>) -> Result<Function, ApiError> {
        let wanted = FunctionRef::parse(name).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{name}' at 'functionName' failed to \
                 satisfy constraint: Member must satisfy regular expression pattern: \
                 {NAME_PATTERN}"
            ))
        })?;
        let qualifier = match (wanted.qualifier, latest_is_none(qualifier)) {
            (Some(derived), Some(given)) if derived != given => {
                return Err(ApiError::new(
                    "InvalidParameterValueException",
                    "The derived qualifier from the function name does not match the \
                     specified qualifier.",
                ));
            }
            (derived, given) => derived.or(given),
        };
        let wanted = FunctionRef {
            qualifier,
            ..wanted
        };
        let exact = self
            .functions
            .get(name)
            .filter(|_| FunctionRef::parse(name).is_some_and(|own| own == wanted));
        exact
            .or_else(|| {
                self.functions
                    .iter()
                    .find(|(key, _)| {
                        FunctionRef::parse(key).is_some_and(|key| wanted.reaches(&key))
                    })
                    .map(|(_, function)| function)
            })
            .cloned()
            .ok_or_else(|| ApiError {
                status: 404,
                error_type: "ResourceNotFoundException".into(),
                message: format!("Function not found: {}", wanted.arn()),
            })
    }
}

/// Whether `name_or_arn` is something a function can be registered under
/// ([`crate::StandIn::put_function`]): a function name, a partial ARN or an ARN, each
/// optionally qualified.
pub fn is_function_name(name_or_arn: &str) -> bool {
    FunctionRef::parse(name_or_arn).is_some()
}

/// A FunctionName taken apart: a name (`change-ticket`), a partial ARN
/// (`123456789012:function:change-ticket`) or a full ARN
/// (`arn:aws:lambda:us-east-1:123456789012:function:change-ticket`), each optionally
/// qualified (`...:prod`). A `$LATEST` qualifier is kept as none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FunctionRef<'a> {
    region: Option<&'a str>,
    account: Option<&'a str>,
    name: &'a str,
    qualifier: Option<&'a str>,
}

impl<'a> FunctionRef<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let parts: Vec<&str> = text.split(':').collect();
        let (region, account, rest) = match parts.as_slice() {
            [
                "arn",
                partition,
                "lambda",
                region,
                account,
                "function",
                rest @ ..,
            ] if partition.starts_with("aws") && is_region(region) && is_account(account) => {
                (Some(*region), Some(*account), rest)
            }
            [account, "function", rest @ ..] if is_account(account) => (None, Some(*account), rest),
            rest => (None, None, rest),
        };
        let (name, qualifier) = match rest {
            [name] => (*name, None),
            [name, qualifier] => (*name, Some(*qualifier)),
            _ => return None,
        };
        let name_ok = (1..=MAX_NAME_CHARS).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let qualifier_ok = qualifier.is_none_or(|qualifier| {
            qualifier == "$LATEST"
                || (!qualifier.is_empty()
                    && qualifier
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        });
        (name_ok && qualifier_ok).then(|| Self {
            region,
            account,
            name,
            qualifier: latest_is_none(qualifier),
        })
    }

    /// Whether a request for `self` reaches the function registered as `registered`.
    fn reaches(&self, registered: &FunctionRef<'_>) -> bool {
        let agree = |a: Option<&str>, b: Option<&str>| a.zip(b).is_none_or(|(a, b)| a == b);
        self.name == registered.name
            && self.qualifier == registered.qualifier
            && agree(self.account, registered.account)
            && agree(self.region, registered.region)
    }

    /// The full ARN, in the stand-in's region and account unless it names its own.
    fn arn(&self) -> String {
        let region = self.region.unwrap_or(DEFAULT_REGION);
        let account = self.account.unwrap_or(DEFAULT_ACCOUNT);
        let qualifier = self
            .qualifier
            .map(|qualifier| format!(":{qualifier}"))
            .unwrap_or_default();
        format!(
            "arn:aws:lambda:{region}:{account}:function:{}{qualifier}",
            self.name
        )
    }
}

fn latest_is_none(qualifier: Option<&str>) -> Option<&str> {
    qualifier.filter(|qualifier| *qualifier != "$LATEST")
}

fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_region(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:change-ticket";

    fn world(registered: &[&str]) -> World {
        let mut world = World::default();
        for (i, name) in registered.iter().enumerate() {
            world
                .functions
                .insert((*name).to_owned(), Function::answer(json!(i)));
        }
        world
    }

    /// Which registration (by its index in `world`) a request reaches, or the error type.
    fn reached(world: &World, name: &str, qualifier: Option<&str>) -> Result<u64, String> {
        match world.function(name, qualifier) {
            Ok(function) => {
                let answer = function.run(&Value::Null, b"");
                Ok(serde_json::from_slice::<Value>(&answer.body)
                    .unwrap()
                    .as_u64()
                    .unwrap())
            }
            Err(error) => Err(error.error_type),
        }
    }

    #[test]
    fn a_registered_arn_is_reached_by_its_arn_its_partial_arn_and_its_name() {
        let world = world(&[ARN]);
        for name in [
            ARN,
            "123456789012:function:change-ticket",
            "change-ticket",
            "change-ticket:$LATEST",
        ] {
            assert_eq!(reached(&world, name, None), Ok(0), "{name}");
        }
        assert_eq!(reached(&world, "change-ticket", Some("$LATEST")), Ok(0));
    }

    #[test]
    fn another_account_region_name_or_qualifier_is_not_found() {
        let world = world(&[ARN]);
        for name in [
            "arn:aws:lambda:us-east-1:210987654321:function:change-ticket",
            "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket",
            "210987654321:function:change-ticket",
            "change-tickets",
            "change-ticket:prod",
        ] {
            assert_eq!(
                reached(&world, name, None),
                Err("ResourceNotFoundException".into()),
                "{name}"
            );
        }
        assert_eq!(
            reached(&world, "change-ticket", Some("prod")),
            Err("ResourceNotFoundException".into())
        );
    }

    #[test]
    fn a_qualified_registration_is_reached_only_with_its_qualifier() {
        let world = world(&[&format!("{ARN}:prod")]);
        assert_eq!(reached(&world, &format!("{ARN}:prod"), None), Ok(0));
        assert_eq!(reached(&world, ARN, Some("prod")), Ok(0));
        assert_eq!(reached(&world, "change-ticket:prod", None), Ok(0));
        assert_eq!(
            reached(&world, ARN, None),
            Err("ResourceNotFoundException".into())
        );
        assert_eq!(
            reached(&world, "change-ticket:staging", None),
            Err("ResourceNotFoundException".into())
        );
    }

    #[test]
    fn a_bare_name_is_reached_by_any_arn_of_that_name() {
        let world = world(&["change-ticket"]);
        assert_eq!(reached(&world, ARN, None), Ok(0));
        assert_eq!(
            reached(
                &world,
                "arn:aws:lambda:eu-west-1:210987654321:function:change-ticket",
                None
            ),
            Ok(0)
        );
    }

    #[test]
    fn the_exact_spelling_wins_over_a_match() {
        // "change-ticket" sorts first and matches ARN too; ARN is registered as spelled.
        let world = world(&["change-ticket", ARN]);
        assert_eq!(reached(&world, ARN, None), Ok(1));
        assert_eq!(reached(&world, "change-ticket", None), Ok(0));
    }

    #[test]
    fn qualifiers_that_disagree_or_malformed_names_are_refused() {
        let world = world(&[ARN]);
        assert_eq!(
            reached(&world, &format!("{ARN}:prod"), Some("staging")),
            Err("InvalidParameterValueException".into())
        );
        let too_long = "f".repeat(MAX_NAME_CHARS + 1);
        for name in [
            "",
            "change ticket",
            "a:b:c",
            "arn:aws:lambda:us-east-1:123456789012:function:",
            "change-ticket:",
            "change-ticket:pr$od",
            "chänge-ticket",
            too_long.as_str(),
        ] {
            assert_eq!(
                reached(&world, name, None),
                Err("ValidationException".into()),
                "{name:?}"
            );
        }
    }

    #[test]
    fn not_found_names_the_full_arn() {
        let error = world(&[]).function("change-ticket:prod", None).unwrap_err();
        assert_eq!(error.status, 404);
        assert_eq!(
            error.message,
            format!("Function not found: {ARN}:prod"),
            "{error:?}"
        );
    }

    #[test]
    fn a_raised_error_is_an_unhandled_function_error() {
        let answered = Function::error("ticket system down").run(&Value::Null, b"{}");
        assert_eq!(answered.status, 200);
        assert!(
            answered
                .headers
                .contains(&("x-amz-function-error", "Unhandled".to_owned()))
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&answered.body).unwrap(),
            json!({"errorMessage": "ticket system down", "errorType": "Error"})
        );
    }

    #[test]
    fn echo_and_reply_answer_from_the_request() {
        let sent = br#"{"pipeline": "web-shop",  "stage":"Prod"}"#;
        let echoed = Function::echo().run(&Value::Null, sent);
        assert_eq!(
            serde_json::from_slice::<Value>(&echoed.body).unwrap(),
            json!({"pass": true, "reason": String::from_utf8_lossy(sent)})
        );
        let reply = Function::reply(|request| json!({"pass": request["stage"] == "Prod"}));
        let replied = reply.run(&json!({"stage": "Prod"}), b"");
        assert_eq!(replied.body, br#"{"pass":true}"#);
    }
}
