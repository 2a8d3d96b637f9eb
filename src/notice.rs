//! From an SNS record to an [`ApprovalRequest`].
//!
//! The notice is the JSON that a Manual approval action publishes to SNS, carried as the
//! string `Records[i].Sns.Message`. Anything that is not such a notice is refused here with
//! a reason, before any AWS call is made.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::fmt;

use aws_lambda_events::event::sns::SnsRecord;
use jiff::Timestamp;
use serde::Deserialize;

use crate::names;

mod claims;
pub use claims::Claims;

/// The capability to answer one approval. Its `Debug` and `Display` never show the value,
/// so it cannot leak into logs, summaries or notifications by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApprovalToken(String);

impl ApprovalToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one call that needs it (`PutApprovalResult`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApprovalToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApprovalToken(<redacted>)")
    }
}

impl fmt::Display for ApprovalToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where an approval waits: pipeline, stage and action names, already validated against
/// CodePipeline's name rules.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalTarget {
    pub pipeline: String,
    pub stage: String,
    pub action: String,
}

impl fmt::Display for ApprovalTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.pipeline, self.stage, self.action)
    }
}

/// One approval that somebody (or something) asked the gate to decide.
#[derive(Clone, Debug)]
pub struct ApprovalRequest {
    pub target: ApprovalTarget,
    pub token: ApprovalToken,
    pub expires: Timestamp,
    pub region: Option<String>,
    /// The pipeline's console page (the review link is not kept: it embeds the token).
    pub console_link: Option<String>,
    pub custom_data: Option<String>,
}

impl ApprovalRequest {
    /// What the notice's `customData` claims about the execution. A claim that quotes this
    /// request's token is not kept (`quotes_token` says so instead), so claims can be
    /// shown anywhere.
    pub fn claims(&self) -> Claims {
        self.custom_data
            .as_deref()
            .map(|text| Claims::read(text, Some(self.token.expose())))
            .unwrap_or_default()
    }
}

/// Why a record was refused before anything was asked of AWS. Every variant is final: the
/// same record would be refused again, so it is dropped rather than retried.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoticeError {
    #[error("the SNS record is malformed at {path}: {message}")]
    Envelope { path: String, message: String },
    #[error("records from topic {0} are not allowed (GATE_ALLOWED_TOPIC_ARNS)")]
    TopicNotAllowed(String),
    #[error("the message is not JSON, so not an approval notice")]
    NotJson,
    #[error("the message is JSON but not an approval notice (no \"approval\" object)")]
    NotApprovalNotice,
    #[error("the approval notice is malformed at {path}: {message}")]
    Malformed { path: String, message: String },
    #[error("the approval notice has an invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// The wire shape of the notice. Unknown fields are ignored: AWS may add some.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireNotice {
    region: Option<String>,
    /// Read so that a notice with a malformed link is refused; never repeated (see below).
    #[serde(rename = "consoleLink")]
    _console_link: Option<String>,
    approval: WireApproval,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireApproval {
    pipeline_name: String,
    stage_name: String,
    action_name: String,
    token: String,
    expires: String,
    custom_data: Option<String>,
}

/// Reads one record of a Lambda SNS event (as JSON, so that a malformed envelope is a
/// reason, not a failed invocation) into its SNS part.
pub fn sns_record(record: &serde_json::Value) -> Result<SnsRecord, NoticeError> {
    let record: SnsRecord =
        serde_path_to_error::deserialize(record).map_err(|error| NoticeError::Envelope {
            path: error.path().to_string(),
            message: error.inner().to_string(),
        })?;
    // Subscription confirmations and records of other services are not notices, whatever
    // their message says.
    let expect = |path: &str, actual: &str, wanted: &str| {
        if actual == wanted {
            Ok(())
        } else {
            Err(NoticeError::Envelope {
                path: path.into(),
                message: format!(
                    "expected {wanted:?}, got {:?}",
                    names::printable(actual, 40)
                ),
            })
        }
    };
    expect("EventSource", &record.event_source, "aws:sns")?;
    expect("Sns.Type", &record.sns.sns_message_type, "Notification")?;
    Ok(record)
}

/// Checks the record's topic against the allow-list, when there is one.
pub fn check_topic(record: &SnsRecord, allowed: Option<&[String]>) -> Result<(), NoticeError> {
    match allowed {
        Some(allowed) if !allowed.contains(&record.sns.topic_arn) => Err(
            NoticeError::TopicNotAllowed(names::printable(&record.sns.topic_arn, 256)),
        ),
        _ => Ok(()),
    }
}

/// Parses an SNS message body as a CodePipeline approval notice.
pub fn parse_notice(message: &str) -> Result<ApprovalRequest, NoticeError> {
    let value: serde_json::Value =
        serde_json::from_str(message).map_err(|_| NoticeError::NotJson)?;
    if !value
        .get("approval")
        .is_some_and(serde_json::Value::is_object)
    {
        return Err(NoticeError::NotApprovalNotice);
    }
    let wire: WireNotice =
        serde_path_to_error::deserialize(value).map_err(|error| NoticeError::Malformed {
            path: error.path().to_string(),
            message: error.inner().to_string(),
        })?;
    let approval = wire.approval;
    let target = ApprovalTarget {
        pipeline: valid_name("approval.pipelineName", approval.pipeline_name)?,
        stage: valid_name("approval.stageName", approval.stage_name)?,
        action: valid_name("approval.actionName", approval.action_name)?,
    };
    // The notice's own links are not repeated: anyone who can publish to the topic could
    // put any link there. The console link is built from checked parts instead.
    let region = wire.region.filter(|region| is_region(region));
    Ok(ApprovalRequest {
        console_link: region
            .as_deref()
            .map(|region| console_link(region, &target.pipeline)),
        target,
        token: valid_token(approval.token)?,
        expires: parse_expires(&approval.expires)?,
        region,
        custom_data: approval.custom_data,
    })
}

/// The token a message carries at `approval.token`, however malformed the rest: what must
/// be kept out of the reports about a notice that is refused.
pub fn token_in(message: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(message).ok()?;
    value
        .pointer("/approval/token")?
        .as_str()
        .filter(|token| token.len() >= 8)
        .map(str::to_owned)
}

/// AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`.
fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [area, middle @ .., number] = parts.as_slice() else {
        return false;
    };
    !middle.is_empty()
        && area.len() == 2
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && middle
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// The pipeline's page in the CodePipeline console.
pub fn console_link(region: &str, pipeline: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/{pipeline}/view?region={region}"
    )
}

fn valid_name(field: &'static str, name: String) -> Result<String, NoticeError> {
    names::check_name(&name)
        .map(|()| name)
        .map_err(|message| NoticeError::Invalid { field, message })
}

/// The API documents tokens as UUIDs, but the documented sample notice carries one that is
/// not, so only the shape that could ever be a token is enforced; whether it is the live
/// token is settled against `GetPipelineState`.
fn valid_token(token: String) -> Result<ApprovalToken, NoticeError> {
    let plausible = (1..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plausible {
        Ok(ApprovalToken::new(token))
    } else {
        Err(NoticeError::Invalid {
            field: "approval.token",
            message: "expected 1 to 128 letters, digits, '-' or '_'".into(),
        })
    }
}

/// CodePipeline writes `expires` to the minute (`2016-07-07T20:22Z`); RFC 3339 with seconds
/// is accepted too. A time without an offset is refused rather than guessed.
pub fn parse_expires(text: &str) -> Result<Timestamp, NoticeError> {
    let invalid = || NoticeError::Invalid {
        field: "approval.expires",
        // The value is not quoted: it could be anything, the token included.
        message: format!(
            "expected a UTC time like 2016-07-07T20:22Z, got {} characters that are not one",
            text.chars().count()
        ),
    };
    if let Some(minutes) = text.strip_suffix('Z').filter(|t| t.len() == 16) {
        return format!("{minutes}:00Z").parse().map_err(|_| invalid());
    }
    text.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_SAMPLE: &str = r#"{
      "region": "us-east-2",
      "consoleLink": "https://console.aws.amazon.com/codepipeline/home?region=us-east-2#/view/MyFirstPipeline",
      "approval": {
        "pipelineName": "MyFirstPipeline",
        "stageName": "MyApprovalStage",
        "actionName": "MyApprovalAction",
        "token": "1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN",
        "expires": "2016-07-07T20:22Z",
        "externalEntityLink": "http://example.com",
        "approvalReviewLink": "https://console.aws.amazon.com/codepipeline/home?region=us-east-2#/view/MyFirstPipeline/MyApprovalStage/MyApprovalAction/approve/1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN",
        "customData": "Review the latest changes and approve or reject within seven days."
      }
    }"#;

    fn with_approval(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut value: serde_json::Value = serde_json::from_str(DOC_SAMPLE).unwrap();
        edit(&mut value["approval"]);
        value.to_string()
    }

    #[test]
    fn parses_the_documented_sample_notice() {
        let request = parse_notice(DOC_SAMPLE).unwrap();
        assert_eq!(
            request.target.to_string(),
            "MyFirstPipeline/MyApprovalStage/MyApprovalAction"
        );
        assert_eq!(
            request.token.expose(),
            "1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN"
        );
        assert_eq!(
            request.expires,
            "2016-07-07T20:22:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(request.region.as_deref(), Some("us-east-2"));
        assert!(request.custom_data.unwrap().starts_with("Review"));
    }

    #[test]
    fn accepts_null_external_link_and_missing_custom_data() {
        let message = with_approval(|a| {
            a["externalEntityLink"] = serde_json::Value::Null;
            a.as_object_mut().unwrap().remove("customData");
            a.as_object_mut().unwrap().remove("approvalReviewLink");
            a.as_object_mut().unwrap().remove("consoleLink");
        });
        let request = parse_notice(&message).unwrap();
        assert_eq!(request.custom_data, None);
        assert!(request.console_link.is_some());
    }

    #[test]
    fn accepts_rfc3339_expiry_with_seconds_and_offset() {
        let message = with_approval(|a| a["expires"] = "2016-07-07T22:22:30+02:00".into());
        let request = parse_notice(&message).unwrap();
        assert_eq!(
            request.expires,
            "2016-07-07T20:22:30Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn refuses_expiry_without_offset() {
        let message = with_approval(|a| a["expires"] = "2016-07-07T20:22".into());
        let error = parse_notice(&message).unwrap_err();
        assert!(matches!(
            error,
            NoticeError::Invalid {
                field: "approval.expires",
                ..
            }
        ));
    }

    #[test]
    fn refuses_plain_text_and_other_json() {
        assert_eq!(
            parse_notice("Hello from the SNS console").unwrap_err(),
            NoticeError::NotJson
        );
        assert_eq!(
            parse_notice(r#"{"AlarmName":"cpu","NewStateValue":"ALARM"}"#).unwrap_err(),
            NoticeError::NotApprovalNotice
        );
        assert_eq!(
            parse_notice(r#"{"approval":"yes"}"#).unwrap_err(),
            NoticeError::NotApprovalNotice
        );
    }

    #[test]
    fn names_the_place_of_a_missing_or_mistyped_field() {
        let missing = with_approval(|a| {
            a.as_object_mut().unwrap().remove("stageName");
        });
        match parse_notice(&missing).unwrap_err() {
            NoticeError::Malformed { path, message } => {
                assert_eq!(path, "approval");
                assert!(message.contains("stageName"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let mistyped = with_approval(|a| a["token"] = 42.into());
        match parse_notice(&mistyped).unwrap_err() {
            NoticeError::Malformed { path, .. } => assert_eq!(path, "approval.token"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_names_codepipeline_would_never_send() {
        for bad in ["", "web shop", "web/shop", "<script>", &"a".repeat(101)] {
            let message = with_approval(|a| a["pipelineName"] = bad.into());
            assert!(
                matches!(
                    parse_notice(&message),
                    Err(NoticeError::Invalid {
                        field: "approval.pipelineName",
                        ..
                    })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn refuses_tokens_of_impossible_shape() {
        for bad in ["", "a b", "token\n", &"a".repeat(129), "tök"] {
            let message = with_approval(|a| a["token"] = bad.into());
            assert!(
                matches!(
                    parse_notice(&message),
                    Err(NoticeError::Invalid {
                        field: "approval.token",
                        ..
                    })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn claims_never_carry_the_requests_token() {
        // Given a notice whose customData quotes its own token as a claim
        let message = with_approval(|a| {
            a["customData"] =
                "PipelineExecutionId=1A2B3C4D-573F-4EA7-A67E-XAMPLETOKEN CommitId=9f2c1e7".into()
        });
        let request = parse_notice(&message).unwrap();
        // When its claims are read
        let claims = request.claims();
        // Then the quoting claim is not kept, the others are, and the claims say so
        assert!(claims.quotes_token);
        assert_eq!(claims.execution_id, None);
        assert_eq!(claims.commit_id.as_deref(), Some("9f2c1e7"));
        assert!(
            !format!("{claims:?}")
                .to_ascii_lowercase()
                .contains("xampletoken")
        );
    }

    #[test]
    fn token_never_shows_in_debug_or_display() {
        let request = parse_notice(DOC_SAMPLE).unwrap();
        let shown = format!("{request:?} {}", request.token);
        assert!(!shown.contains("XAMPLETOKEN"), "{shown}");
    }

    #[test]
    fn topic_allow_list_refuses_other_topics() {
        let record = sns_record(&serde_json::json!({
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:approvals:1",
            "Sns": {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:other",
                    "Subject": null, "Message": "{}", "Timestamp": "2026-11-26T08:00:00.000Z",
                    "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://x", "UnsubscribeUrl": "https://x",
                    "MessageAttributes": {}}
        }))
        .unwrap();
        let allowed = vec!["arn:aws:sns:us-east-1:123456789012:approvals".to_string()];
        assert!(matches!(
            check_topic(&record, Some(&allowed)),
            Err(NoticeError::TopicNotAllowed(_))
        ));
        assert_eq!(check_topic(&record, None), Ok(()));
    }

    #[test]
    fn names_the_missing_envelope_field() {
        let error = sns_record(&serde_json::json!({"Sns": {"Type": "Notification"}})).unwrap_err();
        assert!(
            matches!(error, NoticeError::Envelope { ref path, .. } if path == "Sns"),
            "{error:?}"
        );
    }
}
