//! The one shape every check of a rule returns, and the one scale of what a failing check
//! asks for. `decide()` folds a rule's checks: the strictest failure wins.

use jiff::Timestamp;
use serde::Deserialize;

/// What a failing check asks for. The order is the precedence: the strictest wins.
/// A policy writes it in lowercase: `on_fail`, `outside`, `on_match`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not yet: keep the approval pending and decide it again in the sweep, once the check
    /// may pass (a window opens).
    Defer,
    /// Leave the approval to a human: no answer is sent. The default wherever a policy
    /// may choose.
    #[default]
    Abstain,
    Reject,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Defer => "defer",
            Self::Abstain => "abstain",
            Self::Reject => "reject",
        }
    }
}

/// The outcome of one check (or of one problem a check found, so that every problem is
/// reported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `None` when the check passed; otherwise what it asks for.
    pub failed: Option<Severity>,
    /// Why, in words a release engineer reads in a summary.
    pub reason: String,
    /// For a deferring check: when it may pass and stays so long enough for a sweep to
    /// see it (`None`: not within the search horizon). A deferral is kept near its expiry
    /// only if this leaves the sweep the time to approve.
    pub opens: Option<Timestamp>,
    /// For a deferring check: the first moment it may pass, however briefly (`None`: not
    /// known). A wake-up is scheduled for it, so that a read comes then.
    pub may_pass_from: Option<Timestamp>,
}

impl Check {
    pub fn pass(reason: impl Into<String>) -> Self {
        Self {
            failed: None,
            reason: reason.into(),
            opens: None,
            may_pass_from: None,
        }
    }

    pub fn fail(severity: Severity, reason: impl Into<String>) -> Self {
        Self {
            failed: Some(severity),
            reason: reason.into(),
            opens: None,
            may_pass_from: None,
        }
    }

    pub fn passed(&self) -> bool {
        self.failed.is_none()
    }
}
