//! Placeholder replaced by the time-window implementation.
use serde::Deserialize;

use super::PolicyError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsDocument {
    timezone: String,
}

#[derive(Clone, Debug)]
pub struct Windows {
    zone: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outside {
    Reject,
    #[default]
    Abstain,
    Defer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeCheck {
    Open {
        reason: String,
    },
    Closed {
        reason: String,
        next_open: Option<jiff::Timestamp>,
        next_open_text: Option<String>,
    },
}

impl Windows {
    pub fn from_document(document: WindowsDocument, _at: &str) -> Result<Self, PolicyError> {
        Ok(Self {
            zone: document.timezone,
        })
    }
    pub fn outside(&self) -> Outside {
        Outside::Abstain
    }
    pub fn timezone_name(&self) -> &str {
        &self.zone
    }
    pub fn check(&self, _now: jiff::Timestamp) -> TimeCheck {
        TimeCheck::Closed {
            reason: "stub".into(),
            next_open: None,
            next_open_text: None,
        }
    }
}
