//! AWS AppConfig Data (restJson1): `POST /configurationsessions` starts a session,
//! `GET /configuration?configuration_token=…` reads the configuration. Each token is good
//! for one read; a read returns the document only when its version changed since the
//! session's previous read (an empty body otherwise), and the token for the next read.

use hyper::Method;
use hyper::http::request::Parts;
use serde_json::{Value, json};

use crate::http::new_id;
use crate::world::{Answered, ApiError, AwsRequest, Protocol, World};

/// What AppConfig tells a session to wait between reads unless it asked for another
/// interval.
const DEFAULT_POLL_SECONDS: i64 = 60;

/// A hosted configuration, deployed.
#[derive(Clone, Debug)]
pub(crate) struct Hosted {
    pub(crate) content: String,
    pub(crate) content_type: String,
    pub(crate) version: u64,
}

/// What a token was issued for.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    profile: (String, String, String),
    /// The version the session's previous read returned; `None` before its first read.
    seen: Option<u64>,
    poll_seconds: i64,
}

/// The request, if it is one of AppConfig Data's.
pub(crate) fn parse(parts: &Parts, body: &[u8]) -> Option<AwsRequest> {
    let (operation, body) = match (&parts.method, parts.uri.path()) {
        (&Method::POST, "/configurationsessions") => (
            "StartConfigurationSession",
            serde_json::from_slice(body).unwrap_or_else(|_| json!({})),
        ),
        (&Method::GET, "/configuration") => {
            let query = parts.uri.query().unwrap_or_default();
            let token = form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "configuration_token")
                .map(|(_, value)| Value::from(value.into_owned()));
            (
                "GetLatestConfiguration",
                json!({ "ConfigurationToken": token }),
            )
        }
        _ => return None,
    };
    Some(AwsRequest {
        protocol: Protocol::Rest,
        operation: operation.to_owned(),
        body,
        malformed: false,
        function_name: None,
    })
}

impl World {
    pub(crate) fn appconfig(
        &mut self,
        operation: &str,
        input: &Value,
    ) -> Result<Answered, ApiError> {
        match operation {
            "StartConfigurationSession" => self.start_configuration_session(input),
            "GetLatestConfiguration" => self.get_latest_configuration(input),
            _ => Err(ApiError::new("BadRequestException", "unknown operation")),
        }
    }

    fn start_configuration_session(&mut self, input: &Value) -> Result<Answered, ApiError> {
        let field = |name: &str| {
            input
                .get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ApiError::new("BadRequestException", format!("{name} is required")))
        };
        let profile = (
            field("ApplicationIdentifier")?,
            field("EnvironmentIdentifier")?,
            field("ConfigurationProfileIdentifier")?,
        );
        let poll_seconds = match input.get("RequiredMinimumPollIntervalInSeconds") {
            None => DEFAULT_POLL_SECONDS,
            Some(value) => value
                .as_i64()
                .filter(|seconds| (15..=86_400).contains(seconds))
                .ok_or_else(|| {
                    ApiError::new(
                        "BadRequestException",
                        "RequiredMinimumPollIntervalInSeconds must be from 15 to 86400",
                    )
                })?,
        };
        if !self.configurations.contains_key(&profile) {
            return Err(not_found());
        }
        let token = self.issue(Session {
            profile,
            seen: None,
            poll_seconds,
        });
        Ok(Answered {
            status: 201,
            body: json!({ "InitialConfigurationToken": token })
                .to_string()
                .into_bytes(),
            headers: Vec::new(),
        })
    }

    fn get_latest_configuration(&mut self, input: &Value) -> Result<Answered, ApiError> {
        let token = input
            .get("ConfigurationToken")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::new("BadRequestException", "configuration_token is required")
            })?;
        let session = self.config_sessions.remove(token).ok_or_else(|| {
            ApiError::new(
                "BadRequestException",
                "the configuration token is invalid, expired or used already",
            )
        })?;
        let hosted = self
            .configurations
            .get(&session.profile)
            .cloned()
            .ok_or_else(not_found)?;
        let poll_seconds = self.poll_interval.unwrap_or(session.poll_seconds);
        let unchanged = session.seen == Some(hosted.version);
        let body = if unchanged {
            String::new()
        } else {
            hosted.content
        };
        let next = self.issue(Session {
            seen: Some(hosted.version),
            ..session
        });
        Ok(Answered {
            status: 200,
            body: body.into_bytes(),
            headers: [
                ("next-poll-configuration-token", next),
                ("next-poll-interval-in-seconds", poll_seconds.to_string()),
                ("content-type", hosted.content_type),
            ]
            .into_iter()
            // As AppConfig: the version label only on an answer that carries a version.
            .chain((!unchanged).then(|| ("version-label", hosted.version.to_string())))
            .collect(),
        })
    }

    fn issue(&mut self, session: Session) -> String {
        let token = new_id();
        self.config_sessions.insert(token.clone(), session);
        token
    }
}

fn not_found() -> ApiError {
    ApiError {
        status: 404,
        error_type: "ResourceNotFoundException".into(),
        message: "the application, environment or configuration profile was not found".into(),
    }
}
