//! SNS operations (awsQuery: form-encoded requests, XML responses).

use serde_json::{Map, Value};

use crate::http::new_id;
use crate::world::ApiError;

const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// Decodes a form body into a flat JSON object of its fields, which is how
/// SNS calls are recorded (e.g. `MessageAttributes.entry.1.Name`).
pub(crate) fn form_fields(body: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(body)
        .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())))
        .collect()
}

pub(crate) fn answer(action: &str, fields: &Value) -> Result<String, ApiError> {
    match action {
        "Publish" => publish(fields),
        "" => Err(ApiError::new("MissingAction", "the request has no Action")),
        _ => Err(ApiError::new(
            "InvalidAction",
            format!("unsupported action {action:?}"),
        )),
    }
}

fn publish(fields: &Value) -> Result<String, ApiError> {
    let has = |field: &str| {
        fields
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    if !["TopicArn", "TargetArn", "PhoneNumber"]
        .iter()
        .any(|field| has(field))
    {
        return Err(ApiError::new(
            "InvalidParameter",
            "a TopicArn, TargetArn or PhoneNumber is required",
        ));
    }
    if !has("Message") {
        return Err(ApiError::new("InvalidParameter", "Message is required"));
    }
    Ok(format!(
        "<PublishResponse xmlns=\"{XMLNS}\"><PublishResult><MessageId>{}</MessageId></PublishResult>\
         <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></PublishResponse>",
        new_id(),
        new_id()
    ))
}

/// The awsQuery error document. The SDK reads `Error/Code` as the error type.
pub(crate) fn error_body(error: &ApiError) -> String {
    // AWS blames the caller for 4xx and itself for everything else.
    let fault = if (400..500).contains(&error.status) {
        "Sender"
    } else {
        "Receiver"
    };
    format!(
        "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error>\
         <RequestId>{}</RequestId></ErrorResponse>",
        escape(&error.error_type),
        escape(&error.message),
        new_id()
    )
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            _ => escaped.push(c),
        }
    }
    escaped
}
