//! The port for a source of policy text that can change while the function runs (AWS
//! AppConfig). The refresh built on it, and what the gate does when the text changes or
//! cannot be read, is in `crate::live_policy`.

use std::future::Future;
use std::time::Duration;

/// What a source error keeps of its cause (for AWS, the SDK failure without the message).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Where policy text comes from, by sessions: a session starts with a token, and every
/// read returns the text only when it changed since the session's previous read, and the
/// token for the next read (AppConfig Data's `StartConfigurationSession` and
/// `GetLatestConfiguration`).
pub trait PolicySource {
    /// Starts a session: the token for its first read.
    fn start(&self) -> impl Future<Output = Result<String, SourceError>> + Send;

    /// The policy text if it changed since the previous read of the session (always, on
    /// the session's first read), and the token for the next read.
    fn latest(&self, token: &str) -> impl Future<Output = Result<Latest, SourceError>> + Send;
}

/// One read of a session.
#[derive(Clone, Debug)]
pub struct Latest {
    /// The document; empty when it has not changed since the session's previous read.
    pub content: Vec<u8>,
    /// The token for the next read; each token is used once.
    pub next_token: String,
    /// The least time the source asks to wait before the next read.
    pub min_interval: Duration,
    /// The version the answer carries, when the source names one (AppConfig's
    /// `VersionLabel` of a hosted version; absent when the configuration is unchanged).
    /// An empty document with a version that is not the one in force is a new, empty
    /// version, not "unchanged".
    pub version: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The session's token was refused (it expires after 24 hours): a new session is needed.
    #[error("the session's token was refused: {0}")]
    TokenRefused(#[source] Cause),
    /// Worth trying again later: throttling, 5xx, timeouts, connection failures.
    #[error("reading the policy failed and may succeed later: {0}")]
    Transient(#[source] Cause),
    /// Trying again will not help: the configuration does not exist, or access is denied.
    #[error("{what}: {source}")]
    Final {
        what: &'static str,
        #[source]
        source: Cause,
    },
}
