//! Production's conditions: the states of CloudWatch alarms and of SSM Change Calendars,
//! and the ports through which they are read.
//!
//! Unlike [`crate::evidence`], nothing here is about the execution under approval: an alarm
//! or a calendar is about a *moment*. So every reading says when it holds: alarm states
//! were read at [`Conditions::read_at`] and carry the time they last changed; a calendar
//! reading holds at the instant it was asked about until its next transition. A check
//! judged at another moment (the decision also judges the moment the approval started
//! waiting, to keep "abstain" stable) uses a reading only where it is known to hold.

use std::future::Future;

use jiff::Timestamp;

use crate::pipeline::ReadError;

/// The state of one CloudWatch alarm (metric, composite or log alarm).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
    /// A state this build does not know; never treated as OK.
    Other(String),
}

impl AlarmState {
    pub fn parse(state: &str) -> Self {
        match state {
            "OK" => Self::Ok,
            "ALARM" => Self::Alarm,
            "INSUFFICIENT_DATA" => Self::InsufficientData,
            "" => Self::Other("(none)".to_owned()),
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
            Self::Other(other) => other,
        }
    }
}

/// One alarm as `DescribeAlarms` reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmStatus {
    pub name: String,
    pub state: AlarmState,
    /// `StateReason`: why it is in its state (written by CloudWatch, quoted shortened).
    pub reason: Option<String>,
    /// When its state last changed (the later of `StateUpdatedTimestamp` and
    /// `StateTransitionedTimestamp`); `None` when not reported.
    pub changed: Option<Timestamp>,
}

/// Which alarms to describe: `DescribeAlarms` takes names or one prefix, never both.
#[derive(Clone, Copy, Debug)]
pub enum AlarmQuery<'a> {
    Names(&'a [String]),
    Prefix(&'a str),
}

/// Reads alarm states (CloudWatch `DescribeAlarms`).
pub trait Alarms: Send + Sync {
    /// Every alarm of every type the query selects, all pages. A page cap reached is a
    /// final error, never a shorter list.
    fn describe(
        &self,
        query: AlarmQuery<'_>,
    ) -> impl Future<Output = Result<Vec<AlarmStatus>, ReadError>> + Send;
}

/// The state of a Change Calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarState {
    Open,
    Closed,
    /// A state this build does not know; never treated as open.
    Other(String),
}

/// What `GetCalendarState` said about one calendar at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarReading {
    /// The instant asked about (`AtTime`).
    pub at: Timestamp,
    pub state: CalendarState,
    /// `NextTransitionTime`: when the state changes next; `None` when no change is
    /// scheduled (or the answer's time could not be read).
    pub next_transition: Option<Timestamp>,
}

impl CalendarReading {
    /// Whether this reading says what the calendar's state is at `at`: from the instant
    /// asked about until the next transition.
    pub fn holds_at(&self, at: Timestamp) -> bool {
        self.at <= at && self.next_transition.is_none_or(|next| at < next)
    }
}

/// Reads Change Calendars (SSM `GetCalendarState`).
pub trait Calendars: Send + Sync {
    /// The state of one calendar (a document name, or the ARN of a shared one) at `at`.
    fn state(
        &self,
        calendar: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<CalendarReading, ReadError>> + Send;
}

/// The port for a gate built without CloudWatch or SSM clients: every read fails for
/// good, so a rule that needs one fails its check rather than passing it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unavailable;

impl Alarms for Unavailable {
    async fn describe(&self, _query: AlarmQuery<'_>) -> Result<Vec<AlarmStatus>, ReadError> {
        Err(ReadError::Final(
            "no CloudWatch client is configured".into(),
        ))
    }
}

impl Calendars for Unavailable {
    async fn state(&self, _calendar: &str, _at: Timestamp) -> Result<CalendarReading, ReadError> {
        Err(ReadError::Final("no SSM client is configured".into()))
    }
}

/// A read that failed for good, as the check quotes it.
pub type Unreadable = String;

/// The alarms a rule names, as read at [`Conditions::read_at`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmReading {
    /// The alarms described by name (`None` when the rule names none).
    pub by_name: Option<Result<Vec<AlarmStatus>, Unreadable>>,
    /// For each prefix of the rule, in order, the alarms whose names start with it.
    pub by_prefix: Vec<(String, Result<Vec<AlarmStatus>, Unreadable>)>,
}

/// The readings of one calendar: at the moment of the decision, and at the moment the
/// approval started waiting when that was needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarReadings {
    pub calendar: String,
    pub readings: Vec<Result<CalendarReading, Unreadable>>,
}

/// Production's conditions as read for one decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conditions {
    read_at: Timestamp,
    alarms: Option<AlarmReading>,
    calendars: Vec<CalendarReadings>,
}

impl Conditions {
    /// Nothing read: for rules without alarm or calendar checks.
    pub fn none() -> Self {
        Self {
            read_at: Timestamp::UNIX_EPOCH,
            alarms: None,
            calendars: Vec::new(),
        }
    }

    /// What was read, with `read_at` taken before the reads began (so that an alarm's
    /// state is never taken to hold earlier than it was read).
    pub fn read(
        read_at: Timestamp,
        alarms: Option<AlarmReading>,
        calendars: Vec<CalendarReadings>,
    ) -> Self {
        Self {
            read_at,
            alarms,
            calendars,
        }
    }

    pub fn read_at(&self) -> Timestamp {
        self.read_at
    }

    pub fn alarms(&self) -> Option<&AlarmReading> {
        self.alarms.as_ref()
    }

    pub fn calendar(&self, name: &str) -> Option<&CalendarReadings> {
        self.calendars
            .iter()
            .find(|readings| readings.calendar == name)
    }
}
