//! # approval-gate
//!
//! Decides AWS CodePipeline manual approvals by policy, and fails closed.
//!
//! ## The flow
//! 1. [`notice`]: each SNS record is read as a CodePipeline approval notice. Anything else
//!    (other JSON, plain text, a malformed notice, a topic not allowed, an expired
//!    approval) is logged and dropped. The notice only *selects* an approval: its target
//!    and token; its `customData` claims can only veto.
//! 2. [`handler`]: `GetPipelineState` must show the notice's token waiting (`InProgress`)
//!    on the approval action; the state is re-read for a few seconds, since the notice can
//!    arrive first. A token that is not live is stale: logged, never answered.
//! 3. [`evidence`]: what the matched rule needs is read (`GetPipelineExecution`,
//!    `ListActionExecutions`, `GetPipeline`) and kept only when it is proven to be about the
//!    execution the approval waits in.
//! 4. [`decision::decide`]: the first [`policy`] rule whose `match` fits decides. All its
//!    checks pass → approve; checks fail → the strictest answer they ask for; no rule
//!    fits → abstain, which leaves the approval to a human.
//! 5. Approve and reject are answered with `PutApprovalResult`, with a summary that names
//!    the rule and the reasons (not in dry run). Abstain and defer send nothing.
//! 6. [`report`]: one structured log line per record, and a notice on the decision topic.
//!
//! A scheduled event runs the sweep instead ([`handler`], in its own file): every approval waiting on the
//! pipelines the policy covers is decided from the state alone, so deferred approvals are
//! answered once their window opens.
//!
//! ## Decision table
//! | situation | answer |
//! |---|---|
//! | token not live, stage or action missing, notice expired | none |
//! | the approval stage's execution, or the execution `GetPipelineExecution` shows, is not `InProgress` | none |
//! | the notice's claims disagree with the evidence, cannot be read, or quote the token | none (abstain), whatever the checks say |
//! | no rule matches | none (abstain) |
//! | matching rule, every check passes (upstream actions, [`policy::windows`], [`policy::revisions`]) | Approved |
//! | matching rule, checks fail | the strictest they ask for: Rejected, none (abstain), or none for now (defer) |
//! | the rule abstained when the approval started waiting | none, ever (abstain is stable) |
//! | deferred, and no window opens in time for a sweep before the trusted expiry | Rejected in the last 30 minutes |
//!
//! ## On failure
//! Throttling, 5xx, timeouts and unreadable answers while reading state or answering make
//! the invocation fail, so Lambda retries it; nothing is approved meanwhile. Answers that
//! CodePipeline refuses because the approval was answered already are normal: logged, done.
//! A fact that cannot be read for good fails the checks that needed it.

// No reachable panic on input: errors are values here, and tests may unwrap. Text is
// never sliced by a byte index (`names::split_at_char` is the one place that cuts it).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::string_slice
    )
)]

#[cfg(feature = "aws")]
pub mod aws;
pub mod check;
pub mod check_function;
#[cfg(feature = "cli")]
pub mod cli;
pub mod conditions;
pub mod config;
pub mod decision;
pub mod error;
pub mod events;
pub mod evidence;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod handler;
pub mod live_policy;
pub mod logging;
pub mod metrics;
pub mod names;
pub mod notice;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod wakeups;
