//! CloudWatch: the states of alarms (`DescribeAlarms`, Smithy RPC v2 CBOR on the wire).

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::operation::describe_alarms::{DescribeAlarmsError, DescribeAlarmsOutput};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{AlarmType, StateValue};

use super::{SdkFailure, timestamp};
use crate::conditions::{AlarmQuery, AlarmState, AlarmStatus, Alarms};
use crate::pipeline::ReadError;

/// `DescribeAlarms` answers at most 100 alarms a page.
const PAGE_SIZE: i32 = 100;
/// At most this many pages (5,000 alarms) per query. Reaching it fails the check: a
/// shorter list could leave out an alarm that is not OK.
const MAX_PAGES: usize = 50;

#[derive(Clone, Debug)]
pub struct CloudWatch {
    client: Client,
}

impl CloudWatch {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

/// The status of an alarm of any of the three kinds, whose types share these accessors but
/// no trait.
macro_rules! status {
    ($alarm:expr) => {
        status(
            $alarm.alarm_name(),
            $alarm.state_value(),
            $alarm.state_reason(),
            [
                $alarm.state_updated_timestamp(),
                $alarm.state_transitioned_timestamp(),
            ],
        )
    };
}

impl Alarms for CloudWatch {
    async fn describe(&self, query: AlarmQuery<'_>) -> Result<Vec<AlarmStatus>, ReadError> {
        let mut alarms = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            // Every alarm type: without `AlarmTypes` only metric alarms are returned, and a
            // composite alarm under a prefix would go unchecked.
            let mut request = self
                .client
                .describe_alarms()
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .alarm_types(AlarmType::LogAlarm)
                .max_records(PAGE_SIZE)
                .set_next_token(next_token.take());
            request = match query {
                AlarmQuery::Names(names) => request.set_alarm_names(Some(names.to_vec())),
                AlarmQuery::Prefix(prefix) => request.alarm_name_prefix(prefix),
            };
            let output = request.send().await.map_err(read_error)?;
            alarms.extend(statuses(&output));
            match output.next_token() {
                None => return Ok(alarms),
                // An empty token is neither the end nor a page to read: the list is not
                // known whole.
                Some("") => {
                    return Err(ReadError::Final(
                        "CloudWatch answered an empty page token; not all alarms could be read"
                            .into(),
                    ));
                }
                Some(token) => next_token = Some(token.to_owned()),
            }
        }
        Err(ReadError::Final(format!(
            "more than {MAX_PAGES} pages of alarms; not all could be checked"
        )))
    }
}

/// The alarms of one `DescribeAlarms` page, of every kind, as the project sees them.
pub(crate) fn statuses(output: &DescribeAlarmsOutput) -> Vec<AlarmStatus> {
    let metric = output.metric_alarms().iter().map(|alarm| status!(alarm));
    let composite = output.composite_alarms().iter().map(|alarm| status!(alarm));
    let log = output.log_alarms().iter().map(|alarm| status!(alarm));
    metric.chain(composite).chain(log).collect()
}

fn status(
    name: Option<&str>,
    state: Option<&StateValue>,
    reason: Option<&str>,
    changes: [Option<&DateTime>; 2],
) -> AlarmStatus {
    AlarmStatus {
        name: name.unwrap_or_default().to_owned(),
        // A missing state is unknown, and so never OK.
        // No state is not a state: shown as "(none)", and never OK.
        state: AlarmState::parse(state.map_or("(none)", StateValue::as_str)),
        reason: reason.map(str::to_owned),
        changed: changes.into_iter().flatten().filter_map(timestamp).max(),
    }
}

fn read_error(error: SdkError<DescribeAlarmsError>) -> ReadError {
    let code = error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code);
    match code {
        Some("AccessDenied" | "AccessDeniedException") => {
            tracing::error!(error = %SdkFailure::of(&error), "access denied: does the role allow cloudwatch:DescribeAlarms on *?");
            ReadError::Final("access to the alarms was denied".into())
        }
        Some(
            code @ ("InvalidNextToken"
            | "InvalidParameterValue"
            | "InvalidParameterCombination"
            | "ValidationError"
            | "ValidationException"),
        ) => ReadError::Final(format!("CloudWatch answered {code}")),
        _ => ReadError::Transient(Box::new(SdkFailure::of(&error))),
    }
}
