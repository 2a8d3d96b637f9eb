//! A policy that can change while the function runs: read from a [`PolicySource`] (AWS
//! AppConfig, `GATE_POLICY_APPCONFIG`) at cold start, and again on later invocations once
//! the refresh interval has passed.
//!
//! Failing closed, deliberately:
//! - at cold start, a policy that cannot be read or is invalid stops the function, as an
//!   invalid `GATE_POLICY` does;
//! - a new version that is invalid is never used, and the old one is not used either: its
//!   author meant to change the rules, so until a valid version arrives every approval is
//!   left to a human, with the policy error as the reason;
//! - a source that is gone for good (the profile deleted, access denied) is treated the
//!   same way;
//! - a refresh that fails transiently (throttling, 5xx, timeouts) keeps the policy in force,
//!   but only while it was confirmed current within ten refresh intervals; after that every
//!   approval is left to a human until the source answers again.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::time::Instant;

use crate::policy::source::{Latest, PolicySource, SourceError};
use crate::policy::{Policy, PolicyError};

/// How many refresh intervals a policy may go unconfirmed before the gate stops using it.
pub const MAX_STALE_INTERVALS: u32 = 10;

/// Why the policy could not be loaded at cold start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the policy from {location}: {source}")]
    Unreadable {
        location: String,
        #[source]
        source: SourceError,
    },
    #[error("the policy from {location} is empty")]
    Empty { location: String },
    #[error("the policy from {location} is not UTF-8 text")]
    NotText { location: String },
    #[error("the policy from {location} is invalid: {source}")]
    Invalid {
        location: String,
        #[source]
        source: PolicyError,
    },
}

/// The policy to decide an invocation by.
#[derive(Clone, Debug)]
pub enum InForce {
    Policy(Arc<Policy>),
    /// No policy may be used: every approval is left to a human, for this reason.
    Unusable(String),
}

/// A moment on both clocks. Ages are the larger of the two: a monotonic clock that
/// stood still while Lambda froze the function, or a wall clock set back, can only make
/// the gate refresh sooner and give up on a stale policy sooner, never later.
#[derive(Clone, Copy, Debug)]
struct Moment {
    monotonic: Instant,
    wall: Timestamp,
}

/// The policy from a [`PolicySource`], refreshed at most every `every`.
pub struct LivePolicy<S> {
    source: S,
    /// Named in every message, e.g. `AppConfig web/prod/gate-policy`.
    location: String,
    every: Duration,
    wall: fn() -> Timestamp,
    /// `None`: the next refresh starts a new session.
    token: Option<String>,
    /// The last valid policy.
    policy: Arc<Policy>,
    /// The version of the newest document read (valid or not), when the source names it.
    version: Option<String>,
    /// Why the policy may not be used until the source says otherwise: its newest
    /// version is invalid, or the source is gone.
    problem: Option<String>,
    /// When the source last answered (so the policy in force was current then).
    confirmed: Moment,
    last_poll: Moment,
    /// The longer of `every` and the interval the source last asked for.
    poll_every: Duration,
    /// The last transient failure since the source last answered.
    last_failure: Option<String>,
}

impl<S: PolicySource> LivePolicy<S> {
    /// Reads the policy at cold start: any failure, an empty or an invalid document is
    /// an error, and the function does not start.
    pub async fn load(
        source: S,
        location: String,
        every: Duration,
        wall: fn() -> Timestamp,
    ) -> Result<Self, LoadError> {
        let unreadable = |source| LoadError::Unreadable {
            location: location.clone(),
            source,
        };
        let token = source.start().await.map_err(unreadable)?;
        let latest = source.latest(&token).await.map_err(unreadable)?;
        if latest.content.is_empty() {
            return Err(LoadError::Empty { location });
        }
        let Ok(text) = std::str::from_utf8(&latest.content) else {
            return Err(LoadError::NotText { location });
        };
        let policy = Policy::from_json(text).map_err(|source| LoadError::Invalid {
            location: location.clone(),
            source,
        })?;
        let now = Moment {
            monotonic: Instant::now(),
            wall: wall(),
        };
        Ok(Self {
            source,
            location,
            every,
            wall,
            token: Some(latest.next_token),
            policy: Arc::new(policy),
            version: latest.version,
            problem: None,
            confirmed: now,
            last_poll: now,
            poll_every: every.max(latest.min_interval),
            last_failure: None,
        })
    }

    /// The policy read at cold start (or last refreshed), whatever its state.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy)
    }

    /// The policy to decide this invocation by, refreshed first when the interval has
    /// passed.
    pub async fn current(&mut self) -> InForce {
        if self.age(self.last_poll) >= self.poll_every {
            self.refresh().await;
        }
        if let Some(problem) = &self.problem {
            return InForce::Unusable(problem.clone());
        }
        let age = self.age(self.confirmed);
        let limit = self.poll_every * MAX_STALE_INTERVALS;
        if age > limit {
            return InForce::Unusable(format!(
                "the policy from {} could not be refreshed for {} s, more than {MAX_STALE_INTERVALS} \
                 refresh intervals ({} s), so it is no longer used: {}",
                self.location,
                age.as_secs(),
                limit.as_secs(),
                self.last_failure.as_deref().unwrap_or("no answer")
            ));
        }
        InForce::Policy(self.policy())
    }

    async fn refresh(&mut self) {
        self.last_poll = self.now();
        let (fresh_session, read) = self.read().await;
        let latest = match read {
            Ok(latest) => latest,
            Err(error @ SourceError::Final { .. }) => {
                tracing::error!(location = %self.location, error = %error, "the policy source is gone; every approval is left to a human until it answers");
                self.problem = Some(format!(
                    "the policy from {} cannot be read: {error}",
                    self.location
                ));
                // The next refresh starts a new session, whose first read is the whole
                // document.
                self.token = None;
                return;
            }
            Err(error) => {
                tracing::warn!(location = %self.location, error = %error, "the policy could not be refreshed; the policy in force stays for now");
                self.last_failure = Some(error.to_string());
                return;
            }
        };
        self.token = Some(latest.next_token);
        self.confirmed = self.last_poll;
        self.poll_every = self.every.max(latest.min_interval);
        self.last_failure = None;
        // Empty means unchanged, except on a new session's first read, which always
        // carries the document, or when the answer names a version other than the one
        // read last: then the document itself is empty.
        let new_version = latest
            .version
            .as_ref()
            .is_some_and(|version| self.version.as_ref() != Some(version));
        if latest.content.is_empty() && !fresh_session && !new_version {
            return;
        }
        if latest.version.is_some() {
            self.version = latest.version;
        }
        match parse(&latest.content) {
            Ok(policy) => {
                tracing::info!(
                    target: crate::logging::AUDIT,
                    location = %self.location,
                    rules = policy.rules.len(),
                    "policy refreshed"
                );
                self.policy = Arc::new(policy);
                self.problem = None;
            }
            Err(problem) => {
                tracing::error!(location = %self.location, error = %problem, "the new policy is invalid; every approval is left to a human until a valid version arrives");
                self.problem = Some(format!(
                    "the newest policy from {} is invalid, so no policy is used: {problem}",
                    self.location
                ));
            }
        }
    }

    /// One read, in the current session or a new one; a refused token (expired after
    /// 24 hours) starts a new session at once. Says whether the read was a new session's
    /// first.
    async fn read(&mut self) -> (bool, Result<Latest, SourceError>) {
        if let Some(token) = self.token.take() {
            match self.source.latest(&token).await {
                Err(SourceError::TokenRefused(cause)) => {
                    tracing::info!(location = %self.location, error = %cause, "the policy session's token was refused; starting a new session");
                }
                Err(error) => {
                    // Not used: the token stays good for the next try.
                    self.token = Some(token);
                    return (false, Err(error));
                }
                Ok(latest) => return (false, Ok(latest)),
            }
        }
        let read = match self.source.start().await {
            Ok(token) => self.source.latest(&token).await,
            Err(error) => Err(error),
        };
        (true, read)
    }

    fn now(&self) -> Moment {
        Moment {
            monotonic: Instant::now(),
            wall: (self.wall)(),
        }
    }

    fn age(&self, since: Moment) -> Duration {
        let now = self.now();
        let monotonic = now.monotonic.saturating_duration_since(since.monotonic);
        let wall = Duration::try_from(now.wall.duration_since(since.wall)).unwrap_or_default();
        monotonic.max(wall)
    }
}

fn parse(content: &[u8]) -> Result<Policy, String> {
    if content.is_empty() {
        return Err("the document is empty".into());
    }
    let text = std::str::from_utf8(content).map_err(|_| "the document is not UTF-8 text")?;
    Policy::from_json(text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests;
