//! Systems Manager: the state of Change Calendars (`GetCalendarState`, awsJson1.1).

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::operation::get_calendar_state::{GetCalendarStateError, GetCalendarStateOutput};
use aws_sdk_ssm::types::CalendarState as SdkCalendarState;
use jiff::Timestamp;

use super::SdkFailure;
use crate::conditions::{CalendarReading, CalendarState, Calendars};
use crate::pipeline::ReadError;

#[derive(Clone, Debug)]
pub struct Ssm {
    client: Client,
}

impl Ssm {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl Calendars for Ssm {
    async fn state(&self, calendar: &str, at: Timestamp) -> Result<CalendarReading, ReadError> {
        // One calendar a call, so that a closed one can be named.
        let output = self
            .client
            .get_calendar_state()
            .calendar_names(calendar)
            .at_time(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .send()
            .await
            .map_err(read_error)?;
        // The state for another moment than the one asked for is not the state then: an
        // AtTime that reads as a different second is no reading of this moment.
        if let Some(answered) = output
            .at_time()
            .and_then(|text| text.parse::<Timestamp>().ok())
            .filter(|answered| answered.as_second() != at.as_second())
        {
            return Err(ReadError::Final(format!(
                "SSM answered for {}, not for the time asked",
                answered.strftime("%Y-%m-%d %H:%M:%S UTC")
            )));
        }
        let (state, next_transition) = calendar_state(&output)?;
        Ok(CalendarReading {
            at,
            state,
            next_transition,
        })
    }
}

/// What a `GetCalendarState` answer says: the state at the time it names, and when that
/// state changes next.
pub(crate) fn calendar_state(
    output: &GetCalendarStateOutput,
) -> Result<(CalendarState, Option<Timestamp>), ReadError> {
    let state = match output.state() {
        Some(SdkCalendarState::Open) => CalendarState::Open,
        Some(SdkCalendarState::Closed) => CalendarState::Closed,
        Some(other) => CalendarState::Other(other.as_str().to_owned()),
        None => return Err(ReadError::Final("SSM's answer has no state".into())),
    };
    // An opening that cannot be read is unknown: a deferral on it is then kept only as
    // long as one that never opens.
    let next_transition = output
        .next_transition_time()
        .and_then(|text| text.parse::<Timestamp>().ok());
    Ok((state, next_transition))
}

fn read_error(error: SdkError<GetCalendarStateError>) -> ReadError {
    use GetCalendarStateError as E;
    if error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        == Some("AccessDeniedException")
    {
        tracing::error!(error = %SdkFailure::of(&error), "access denied: is the calendar in the template's ChangeCalendarArns?");
        return ReadError::Final("access to the calendar was denied".into());
    }
    match error.as_service_error() {
        Some(E::InvalidDocument(_)) => ReadError::Final("the calendar does not exist".into()),
        Some(E::InvalidDocumentType(_)) => {
            ReadError::Final("the document is not a Change Calendar".into())
        }
        Some(E::UnsupportedCalendarException(_)) => {
            ReadError::Final("the calendar holds an entry SSM does not support".into())
        }
        _ => ReadError::Transient(Box::new(SdkFailure::of(&error))),
    }
}
