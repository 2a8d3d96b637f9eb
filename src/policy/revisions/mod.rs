//! Revision checks: what a rule may demand of the code or image under approval.
//!
//! A rule's `revisions` object can demand that the execution carries the newest revision of
//! every source (`latest`), that its revisions are recent (`max_age`), that their ids, commit
//! messages and branches fit patterns, and it can narrow the last four to some sources
//! (`artifacts`). Everything here is pure: the handler gathers
//! [`ExecutionFacts`] (proven to be about the execution under approval) and the sources'
//! [`SourceHead`]s, and [`Revisions::check`] judges them against the clock it is given.
//!
//! Every check fails closed. A fact that is missing, unreadable or cannot be paired with
//! another one fails the check with a reason; no check ever passes for lack of data.
//!
//! [`ExecutionFacts`]: crate::evidence::ExecutionFacts
//! [`SourceHead`]: crate::evidence::SourceHead

use crate::check::Severity;

mod artifacts;
mod check;
mod document;
mod max_age;
mod sources;
#[cfg(test)]
mod tests;

use crate::policy::Pattern;
use crate::policy::rx::Rx;
pub use document::RevisionsDocument;
use max_age::MaxAge;

/// Which calls beyond GetPipelineState the configured checks read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// GetPipelineExecution, for `artifactRevisions`.
    pub execution: bool,
    /// ListActionExecutions, for the source actions' output variables.
    pub action_executions: bool,
}

/// A validated `revisions` object, with every pattern compiled.
#[derive(Clone, Debug)]
pub struct Revisions {
    latest: bool,
    max_age: Option<MaxAge>,
    revision_id: Option<RevisionIdCheck>,
    commit_message: Option<CommitMessageCheck>,
    branches: Option<Vec<Pattern>>,
    artifacts: Option<Vec<Pattern>>,
}

#[derive(Clone, Debug)]
struct RevisionIdCheck {
    allow: Vec<Rx>,
    deny: Vec<Rx>,
}

#[derive(Clone, Debug)]
struct CommitMessageCheck {
    deny: Vec<Rx>,
    require: Vec<Rx>,
    /// What a deny match asks for instead of the rule's `on_fail`.
    on_match: Option<Severity>,
}

impl Revisions {
    /// Which calls the checks read. GetPipelineExecution carries the revisions themselves
    /// (and the trigger, which `branches` needs); ListActionExecutions carries the source
    /// actions of the execution, which pair each artifact with the action that produced it
    /// (`latest`, `branches`, `artifacts`) and hold the `BranchName` and `CommitMessage`
    /// output variables.
    pub fn needs(&self) -> Needs {
        Needs {
            execution: true,
            action_executions: self.latest
                || self.branches.is_some()
                || self.commit_message.is_some()
                || self.artifacts.is_some(),
        }
    }
}
