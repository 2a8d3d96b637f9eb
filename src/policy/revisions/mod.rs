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

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use wildmatch::WildMatch;

use super::PolicyError;
use crate::evidence::{ExecutionFacts, SourceHead, SourceRun};
use crate::names::printable;
use crate::pipeline::ArtifactRevision;
#[cfg(test)]
use crate::pipeline::ExecutionRecord;

/// A compiled pattern may use at most this much memory: policies are trusted, but a typo
/// such as `\w{1000}{1000}` should be refused at load time rather than exhaust the function.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A year is plenty for "not older than", and the cap keeps the arithmetic far from overflow.
const MAX_AGE_CAP_SECONDS: i64 = 365 * 86_400;

/// Quoted commit messages are untrusted and end up in a 512-character approval summary.
const MESSAGE_QUOTE_CHARS: usize = 80;

/// Branch names are untrusted too, though git keeps them shorter and tamer than messages.
const BRANCH_QUOTE_CHARS: usize = 60;

/// Commit dates are written by whoever pushes; a revision dated further ahead than this
/// is not trusted to be new.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Triggers that start an execution from the head of each source's configured branch:
/// a push (webhooks, EventBridge), polling, or the pipeline's creation. Every other
/// trigger may carry a revision its caller chose, from any branch, while the source action
/// still reports its configured `BranchName`: `StartPipelineExecution` with
/// `sourceRevisions`, `PutActionRevision`, and rollbacks, which replay an earlier
/// execution's revisions.
const HEAD_OF_BRANCH_TRIGGERS: [&str; 5] = [
    "Webhook",
    "WebhookV2",
    "CloudWatchEvent",
    "PollForSourceChanges",
    "CreatePipeline",
];

/// The `revisions` object of a rule, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionsDocument {
    #[serde(default, deserialize_with = "super::not_null")]
    latest: bool,
    #[serde(default, deserialize_with = "super::present")]
    max_age: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    revision_id: Option<RevisionIdDocument>,
    #[serde(default, deserialize_with = "super::present")]
    commit_message: Option<CommitMessageDocument>,
    #[serde(default, deserialize_with = "super::present")]
    branches: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    artifacts: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionIdDocument {
    #[serde(default, deserialize_with = "super::present")]
    allow: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    deny: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitMessageDocument {
    #[serde(default, deserialize_with = "super::present")]
    deny: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    require: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    on_match: Option<FailAs>,
}

/// The answer a failed check asks for instead of the rule's `on_fail`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailAs {
    Reject,
    Abstain,
}

/// Which calls beyond GetPipelineState the configured checks read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// GetPipelineExecution, for `artifactRevisions`.
    pub execution: bool,
    /// ListActionExecutions, for the source actions' output variables.
    pub action_executions: bool,
}

/// The outcome of one check, or of one failing revision within a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionCheck {
    pub passed: bool,
    pub reason: String,
    /// When failed: the answer to give instead of the rule's `on_fail`; `None` keeps it.
    pub on_fail: Option<FailAs>,
}

impl RevisionCheck {
    fn pass(reason: String) -> Self {
        Self {
            passed: true,
            reason,
            on_fail: None,
        }
    }

    fn fail(reason: String) -> Self {
        Self {
            passed: false,
            reason,
            on_fail: None,
        }
    }
}

/// A validated `revisions` object, with every pattern compiled.
#[derive(Clone, Debug)]
pub struct Revisions {
    latest: bool,
    max_age: Option<MaxAge>,
    revision_id: Option<RevisionIdCheck>,
    commit_message: Option<CommitMessageCheck>,
    branches: Option<Vec<Glob>>,
    artifacts: Option<Vec<Glob>>,
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
    on_match: Option<FailAs>,
}

impl Revisions {
    /// Validates a `revisions` object; `at` is its path, e.g. `rules[0].revisions`.
    pub fn from_document(document: RevisionsDocument, at: &str) -> Result<Self, PolicyError> {
        let max_age = document
            .max_age
            .map(|text| {
                MaxAge::parse(&text).map_err(|message| error(format!("{at}.max_age"), message))
            })
            .transpose()?;
        let revision_id = document
            .revision_id
            .map(|doc| {
                let at = format!("{at}.revision_id");
                let allow = regexes(doc.allow, &format!("{at}.allow"))?;
                let deny = regexes(doc.deny, &format!("{at}.deny"))?;
                if allow.is_empty() && deny.is_empty() {
                    return Err(error(at, "set allow, deny or both"));
                }
                Ok(RevisionIdCheck { allow, deny })
            })
            .transpose()?;
        let commit_message = document
            .commit_message
            .map(|doc| {
                let at = format!("{at}.commit_message");
                let deny = regexes(doc.deny, &format!("{at}.deny"))?;
                let require = regexes(doc.require, &format!("{at}.require"))?;
                if deny.is_empty() && require.is_empty() {
                    return Err(error(at, "set deny, require or both"));
                }
                if doc.on_match.is_some() && deny.is_empty() {
                    return Err(error(
                        format!("{at}.on_match"),
                        "on_match answers a deny match, and there are no deny patterns",
                    ));
                }
                Ok(CommitMessageCheck {
                    deny,
                    require,
                    on_match: doc.on_match,
                })
            })
            .transpose()?;
        let branches = document
            .branches
            .map(|list| globs(list, &format!("{at}.branches"), check_branch_glob))
            .transpose()?;
        let artifacts = document
            .artifacts
            .map(|list| globs(list, &format!("{at}.artifacts"), check_name_glob))
            .transpose()?;

        let scoped = max_age.is_some()
            || revision_id.is_some()
            || commit_message.is_some()
            || branches.is_some();
        if !document.latest && !scoped {
            return Err(error(
                at,
                "no check is set, so this would demand nothing: set latest, max_age, \
                 revision_id, commit_message or branches, or remove revisions",
            ));
        }
        if artifacts.is_some() && !scoped {
            return Err(error(
                format!("{at}.artifacts"),
                "artifacts narrows max_age, revision_id, commit_message and branches, and \
                 none is set (latest always covers every source)",
            ));
        }
        Ok(Self {
            latest: document.latest,
            max_age,
            revision_id,
            commit_message,
            branches,
            artifacts,
        })
    }

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

    /// Runs every configured check. A check that passes yields one passing entry; a check
    /// that fails yields one failing entry per problem, so every problem is reported.
    pub fn check(
        &self,
        facts: &ExecutionFacts,
        heads: &[SourceHead],
        now: Timestamp,
    ) -> Vec<RevisionCheck> {
        let mut checks = Vec::new();
        if self.latest {
            checks.extend(settle(check_latest(facts, heads), || {
                "latest: every source is at its newest revision".into()
            }));
        }
        if let Some(max_age) = &self.max_age {
            checks.extend(settle(self.check_max_age(max_age, facts, now), || {
                format!("max_age: every revision was created within the last {max_age}")
            }));
        }
        if let Some(revision_id) = &self.revision_id {
            checks.extend(settle(self.check_revision_id(revision_id, facts), || {
                "revision_id: every revision id is allowed".into()
            }));
        }
        if let Some(commit_message) = &self.commit_message {
            checks.extend(settle(
                self.check_commit_message(commit_message, facts),
                || commit_message.passed(),
            ));
        }
        if let Some(branches) = &self.branches {
            match self.check_branches(branches, facts, heads) {
                Ok(built) => checks.push(RevisionCheck::pass(format!(
                    "branches: {}",
                    built.join(", ")
                ))),
                Err(failures) => checks.extend(failures),
            }
        }
        checks
    }

    fn check_max_age(
        &self,
        max_age: &MaxAge,
        facts: &ExecutionFacts,
        now: Timestamp,
    ) -> Vec<RevisionCheck> {
        let artifacts = match self.artifacts_in_scope("max_age", facts) {
            Ok(artifacts) => artifacts,
            Err(failure) => return vec![failure],
        };
        artifacts
            .into_iter()
            .filter_map(|artifact| {
                let Some(created) = artifact.created else {
                    return Some(RevisionCheck::fail(format!(
                        "max_age: {} has no creation time, so its age is unknown",
                        label(artifact)
                    )));
                };
                let age = now.duration_since(created);
                if age < -CLOCK_SKEW {
                    return Some(RevisionCheck::fail(format!(
                        "max_age: {} is dated {created}, more than {} minutes ahead of the \
                         gate's clock, so its age is unknown",
                        label(artifact),
                        CLOCK_SKEW.as_mins()
                    )));
                }
                (age > SignedDuration::from_secs(max_age.seconds)).then(|| {
                    RevisionCheck::fail(format!(
                        "max_age: {} was created {} ago, more than {max_age}",
                        label(artifact),
                        max_age.unit.format_above(age)
                    ))
                })
            })
            .collect()
    }

    fn check_revision_id(
        &self,
        check: &RevisionIdCheck,
        facts: &ExecutionFacts,
    ) -> Vec<RevisionCheck> {
        let artifacts = match self.artifacts_in_scope("revision_id", facts) {
            Ok(artifacts) => artifacts,
            Err(failure) => return vec![failure],
        };
        let mut failures = Vec::new();
        for artifact in artifacts {
            let Some(id) = artifact.revision_id.as_deref() else {
                failures.push(RevisionCheck::fail(format!(
                    "revision_id: {} has no revision id",
                    label(artifact)
                )));
                continue;
            };
            if !check.allow.is_empty() && !check.allow.iter().any(|rx| rx.regex.is_match(id)) {
                failures.push(RevisionCheck::fail(format!(
                    "revision_id: revision {} matches no allow pattern ({})",
                    short_id(id),
                    either(&check.allow)
                )));
            }
            if let Some(rx) = check.deny.iter().find(|rx| rx.regex.is_match(id)) {
                failures.push(RevisionCheck::fail(format!(
                    "revision_id: revision {} matches deny pattern {rx}",
                    short_id(id)
                )));
            }
        }
        failures
    }

    fn check_commit_message(
        &self,
        check: &CommitMessageCheck,
        facts: &ExecutionFacts,
    ) -> Vec<RevisionCheck> {
        let artifacts = match self.artifacts_in_scope("commit_message", facts) {
            Ok(artifacts) => artifacts,
            Err(failure) => return vec![failure],
        };
        let mut failures = Vec::new();
        for artifact in artifacts {
            let message = match commit_message(artifact, facts) {
                Ok(message) => message,
                Err(failure) => {
                    failures.push(failure);
                    continue;
                }
            };
            if let Some(rx) = check.deny.iter().find(|rx| rx.regex.is_match(&message)) {
                failures.push(RevisionCheck {
                    passed: false,
                    reason: format!(
                        "commit_message: {} matches deny pattern {rx}",
                        quote(&message, MESSAGE_QUOTE_CHARS)
                    ),
                    on_fail: check.on_match,
                });
            }
            for rx in check
                .require
                .iter()
                .filter(|rx| !rx.regex.is_match(&message))
            {
                failures.push(RevisionCheck::fail(format!(
                    "commit_message: {} does not match required pattern {rx}",
                    quote(&message, MESSAGE_QUOTE_CHARS)
                )));
            }
        }
        failures
    }

    /// Every artifact in scope must come from a source action that ran in the execution
    /// and reports a branch that fits; on success, what each source built. An execution
    /// started by hand may carry a source revision override (a commit from any branch
    /// while `BranchName` still names the configured one), so its branch is unproven.
    fn check_branches(
        &self,
        branches: &[Glob],
        facts: &ExecutionFacts,
        heads: &[SourceHead],
    ) -> Result<Vec<String>, Vec<RevisionCheck>> {
        let artifacts = self
            .artifacts_in_scope("branches", facts)
            .map_err(|failure| vec![failure])?;
        let execution = facts.execution();
        match facts.trigger() {
            Some(trigger) if HEAD_OF_BRANCH_TRIGGERS.contains(&trigger) => {}
            Some(trigger) => {
                return Err(vec![RevisionCheck::fail(format!(
                    "branches: execution {execution} was started by {}, which can carry a \
                     revision chosen by its caller from any branch, so the branch it built \
                     is unproven",
                    printable(trigger, 40)
                ))]);
            }
            None => {
                return Err(vec![RevisionCheck::fail(format!(
                    "branches: how execution {execution} was started is unknown, so it may \
                     carry a revision chosen from any branch"
                ))]);
            }
        }
        let mut built = Vec::new();
        let mut failures = Vec::new();
        // A source action that ran but that no carried artifact pairs with is checked too:
        // what cannot be paired is never skipped.
        let producers: Vec<SourceRun<'_>> = facts
            .artifacts()
            .unwrap_or_default()
            .iter()
            .filter_map(|artifact| facts.producer(artifact).ok())
            .collect();
        let unpaired_sources: Vec<SourceRun<'_>> = facts
            .sources()
            .unwrap_or_default()
            .into_iter()
            .filter(|source| {
                !producers.iter().any(|producer| {
                    producer.stage() == source.stage() && producer.action() == source.action()
                })
            })
            .collect();
        // A source the state shows (it has a current revision) must have run in the
        // execution as a source; a record that says otherwise proves nothing about it.
        let sources = facts.sources().unwrap_or_default();
        for head in heads {
            if !sources.iter().any(|source| head.is(source)) {
                failures.push(RevisionCheck::fail(format!(
                    "branches: source {} has no source record in execution {execution}, so \
                     the branch it built is unproven",
                    printable(&head.action, 100)
                )));
            }
        }
        for source in unpaired_sources {
            let action = printable(source.action(), 100);
            if !source.classified() {
                failures.push(RevisionCheck::fail(format!(
                    "branches: action {action} ran in execution {execution}, but its record \
                     does not say what kind of action it is"
                )));
                continue;
            }
            match source.variable("BranchName") {
                Some(branch)
                    if source.succeeded() && branches.iter().any(|g| g.matches(branch)) =>
                {
                    built.push(format!(
                        "source {action} built {}",
                        printable(branch, BRANCH_QUOTE_CHARS)
                    ));
                }
                Some(branch) if source.succeeded() => failures.push(RevisionCheck::fail(format!(
                    "branches: source {action} built branch {}, not {}",
                    printable(branch, BRANCH_QUOTE_CHARS),
                    either(branches)
                ))),
                Some(_) => failures.push(RevisionCheck::fail(format!(
                    "branches: source {action} shows no successful run in execution {execution}"
                ))),
                None => failures.push(RevisionCheck::fail(format!(
                    "branches: source {action} reports no branch (no BranchName output \
                     variable; S3 and ECR sources have none)"
                ))),
            }
        }
        for artifact in artifacts {
            let source = match facts.producer(artifact) {
                Ok(source) if source.classified() && source.succeeded() => source,
                Ok(source) => {
                    failures.push(RevisionCheck::fail(format!(
                        "branches: {} comes from action {}, whose record in execution \
                         {execution} {}",
                        label(artifact),
                        printable(source.action(), 100),
                        if source.classified() {
                            "shows no successful run"
                        } else {
                            "does not say what kind of action it is"
                        }
                    )));
                    continue;
                }
                Err(unpaired) => {
                    failures.push(RevisionCheck::fail(format!(
                        "branches: {} cannot be paired with the source action that built \
                         it: {unpaired}",
                        label(artifact)
                    )));
                    continue;
                }
            };
            let action = printable(source.action(), 100);
            match source.variable("BranchName") {
                None => failures.push(RevisionCheck::fail(format!(
                    "branches: source {action} reports no branch (no BranchName output \
                     variable; S3 and ECR sources have none)"
                ))),
                Some(branch) if !branches.iter().any(|glob| glob.matches(branch)) => {
                    failures.push(RevisionCheck::fail(format!(
                        "branches: source {action} built branch {}, not {}",
                        printable(branch, BRANCH_QUOTE_CHARS),
                        either(branches)
                    )));
                }
                Some(branch) => built.push(format!(
                    "source {action} built {}",
                    printable(branch, BRANCH_QUOTE_CHARS)
                )),
            }
        }
        if failures.is_empty() {
            Ok(built)
        } else {
            Err(failures)
        }
    }

    /// The artifact revisions the scoped checks apply to: all of them, or those `artifacts`
    /// selects by artifact name or by the name of the source action that produced them.
    /// An artifact that cannot be paired with a source action stays in scope, so a selector
    /// never skips a revision for lack of data.
    fn artifacts_in_scope<'a>(
        &self,
        check: &str,
        facts: &'a ExecutionFacts,
    ) -> Result<Vec<&'a ArtifactRevision>, RevisionCheck> {
        let execution = facts.execution();
        let Some(artifacts) = facts.artifacts() else {
            return Err(RevisionCheck::fail(format!(
                "{check}: the revisions of execution {execution} could not be read"
            )));
        };
        if artifacts.is_empty() {
            return Err(RevisionCheck::fail(format!(
                "{check}: execution {execution} carries no artifact revisions"
            )));
        }
        let Some(selector) = &self.artifacts else {
            return Ok(artifacts.iter().collect());
        };
        if !facts.actions_read() {
            return Err(RevisionCheck::fail(format!(
                "{check}: the action executions of execution {execution} could not be read, \
                 so artifacts cannot be applied"
            )));
        }
        let selected: Vec<_> = artifacts
            .iter()
            .filter(|artifact| {
                selects(selector, &artifact.name)
                    || match facts.producer(artifact) {
                        Ok(source) => !source.classified() || selects(selector, source.action()),
                        Err(_) => true,
                    }
            })
            .collect();
        if selected.is_empty() {
            return Err(RevisionCheck::fail(format!(
                "{check}: no artifact of execution {execution} matches artifacts {}",
                either(selector)
            )));
        }
        Ok(selected)
    }
}

impl CommitMessageCheck {
    fn passed(&self) -> String {
        match (self.deny.is_empty(), self.require.is_empty()) {
            (false, true) => "commit_message: no message matches a deny pattern".into(),
            (true, false) => "commit_message: every message matches the required patterns".into(),
            _ => "commit_message: no message matches a deny pattern, and every one matches \
                  the required patterns"
                .into(),
        }
    }
}

/// A check's failures, or one passing entry when there are none.
fn settle(failures: Vec<RevisionCheck>, passed: impl FnOnce() -> String) -> Vec<RevisionCheck> {
    if failures.is_empty() {
        vec![RevisionCheck::pass(passed())]
    } else {
        failures
    }
}

/// Source by source, the revision the execution carries must be the newest the source
/// has seen. Every artifact must be paired with the source action that produced it in
/// this execution, every such source must show a current revision, and every source that
/// shows one must have run in the execution: what cannot be accounted for fails. A source
/// that has seen a newer revision means a newer execution is on its way, and that one
/// will ask for its own approval; approving this one would ship code already superseded.
fn check_latest(facts: &ExecutionFacts, heads: &[SourceHead]) -> Vec<RevisionCheck> {
    let execution = facts.execution();
    let unconfirmed = format!("so execution {execution} cannot be confirmed as the newest");
    let Some(artifacts) = facts.artifacts() else {
        return vec![RevisionCheck::fail(format!(
            "latest: the revisions of execution {execution} could not be read"
        ))];
    };
    if artifacts.is_empty() {
        return vec![RevisionCheck::fail(format!(
            "latest: execution {execution} carries no artifact revisions, {unconfirmed}"
        ))];
    }
    let Some(sources) = facts.sources() else {
        return vec![RevisionCheck::fail(format!(
            "latest: the action executions of execution {execution} could not be read, \
             {unconfirmed}"
        ))];
    };
    let mut failures = Vec::new();
    let mut accounted: Vec<SourceRun<'_>> = Vec::new();
    for artifact in artifacts {
        let name = printable(&artifact.name, 100);
        let source = match facts.producer(artifact) {
            Ok(source) => source,
            Err(unpaired) => {
                failures.push(RevisionCheck::fail(format!(
                    "latest: artifact {name} cannot be paired with a source action: \
                     {unpaired}, {unconfirmed}"
                )));
                continue;
            }
        };
        accounted.push(source);
        let action = printable(source.action(), 100);
        if !source.succeeded() {
            failures.push(RevisionCheck::fail(format!(
                "latest: artifact {name} comes from action {action}, which shows no \
                 successful run in the execution, {unconfirmed}"
            )));
            continue;
        }
        if !source.classified() {
            failures.push(RevisionCheck::fail(format!(
                "latest: artifact {name} comes from action {action}, whose record does not \
                 say what kind of action it is, {unconfirmed}"
            )));
            continue;
        }
        let Some(carried) = artifact.revision_id.as_deref() else {
            failures.push(RevisionCheck::fail(format!(
                "latest: artifact {name} has no revision id, {unconfirmed}"
            )));
            continue;
        };
        let head = heads.iter().find(|head| head.is(&source));
        match head.and_then(|head| head.current_revision.as_deref()) {
            None => failures.push(RevisionCheck::fail(format!(
                "latest: source {action} shows no current revision in the pipeline state, \
                 {unconfirmed}"
            ))),
            Some(current) if current != carried => failures.push(RevisionCheck::fail(format!(
                "latest: source {action} has seen revision {} since; execution {execution} \
                 carries {} from it — the newer execution will ask for its own approval",
                short_id(current),
                short_id(carried)
            ))),
            Some(_) => {}
        }
    }
    for source in &sources {
        let paired = accounted
            .iter()
            .any(|other| other.action() == source.action() && other.stage() == source.stage());
        if !paired {
            failures.push(RevisionCheck::fail(format!(
                "latest: action {} ran in the execution as a {} but produced no artifact that \
                 the execution carries, {unconfirmed}",
                printable(source.action(), 100),
                if source.classified() {
                    "source"
                } else {
                    "possible source (its record does not say what kind of action it is)"
                }
            )));
        }
    }
    for head in heads {
        let ran = sources.iter().any(|source| head.is(source));
        if !ran {
            failures.push(RevisionCheck::fail(format!(
                "latest: source {} did not run in the execution, {unconfirmed}",
                printable(&head.action, 100)
            )));
        }
    }
    failures
}

/// The commit message of a revision. CodeCommit and GitHub (version 1) put it in the
/// revision summary; CodeStar connections wrap it as `{"ProviderType":..,"CommitMessage":..}`;
/// S3 puts there whatever the uploader set as `codepipeline-artifact-revision-summary`
/// metadata. A summary that looks like JSON but does not yield a `CommitMessage` (the API
/// cuts summaries at 2048 characters) is never matched as text: deny patterns would then
/// test the wrapper instead of the message. The `CommitMessage` output variable of the
/// source action that produced the artifact is the fallback.
fn commit_message(
    artifact: &ArtifactRevision,
    facts: &ExecutionFacts,
) -> Result<String, RevisionCheck> {
    if let Some(message) = artifact
        .revision_summary
        .as_deref()
        .and_then(message_from_summary)
    {
        return Ok(message);
    }
    match facts.producer(artifact) {
        Ok(source) if source.classified() => source
            .variable("CommitMessage")
            .map(str::to_owned)
            .ok_or_else(|| {
                RevisionCheck::fail(format!(
                    "commit_message: {} has no commit message in its summary or output \
                     variables (S3 and ECR sources carry none)",
                    label(artifact)
                ))
            }),
        Ok(source) => Err(RevisionCheck::fail(format!(
            "commit_message: {} has no commit message in its summary, and action {} does \
             not say what kind of action it is",
            label(artifact),
            printable(source.action(), 100)
        ))),
        Err(unpaired) => Err(RevisionCheck::fail(format!(
            "commit_message: {} has no commit message in its summary, and its source \
             action's variables cannot be used: {unpaired}",
            label(artifact)
        ))),
    }
}

/// The most of a revision summary CodePipeline keeps. Whether it counts characters,
/// UTF-16 units or bytes is not documented, so a summary is taken as possibly cut as
/// soon as it reaches the cap in bytes, the largest of the three counts.
const SUMMARY_CAP: usize = 2048;

fn message_from_summary(summary: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Wrapped {
        #[serde(rename = "CommitMessage")]
        commit_message: String,
    }
    if summary.trim().is_empty() {
        return None;
    }
    // At the cap, the end of the message (where trailers such as `[skip auto-approve]`
    // live) may be missing.
    if summary.len() >= SUMMARY_CAP {
        return None;
    }
    if !summary.trim_start().starts_with('{') {
        return Some(summary.to_owned());
    }
    serde_json::from_str::<Wrapped>(summary)
        .ok()
        .map(|wrapped| wrapped.commit_message)
}

fn selects(selector: &[Glob], name: &str) -> bool {
    selector.iter().any(|glob| glob.matches(name))
}

/// How a reason names a revision: by its short id, or by its artifact when it has none.
fn label(artifact: &ArtifactRevision) -> String {
    match artifact.revision_id.as_deref() {
        Some(id) => format!("revision {}", short_id(id)),
        None => format!("artifact {}", printable(&artifact.name, usize::MAX)),
    }
}

/// Twelve characters tell revisions apart in a reason; an image digest keeps its
/// `sha256:` prefix so it still reads as one.
fn short_id(id: &str) -> String {
    let (prefix, rest) = match id.strip_prefix("sha256:") {
        Some(rest) => ("sha256:", rest),
        None => ("", id),
    };
    let rest: String = printable(rest, usize::MAX).chars().take(12).collect();
    format!("{prefix}{rest}")
}

fn quote(text: &str, max: usize) -> String {
    format!("\"{}\"", printable(text, max))
}

/// `a`, `a or b`: how a reason lists the patterns that did not match.
fn either<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn error(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        message: message.into(),
    }
}

/// An absent list is fine; an empty one is refused, because it would check nothing while
/// reading as if it checked something.
fn non_empty(list: Option<Vec<String>>, at: &str) -> Result<Vec<String>, PolicyError> {
    match list {
        None => Ok(Vec::new()),
        Some(list) if list.is_empty() => Err(error(
            at,
            "an empty list checks nothing: remove the field instead",
        )),
        Some(list) => Ok(list),
    }
}

fn regexes(list: Option<Vec<String>>, at: &str) -> Result<Vec<Rx>, PolicyError> {
    non_empty(list, at)?
        .into_iter()
        .enumerate()
        .map(|(index, text)| {
            Rx::parse(text).map_err(|message| error(format!("{at}[{index}]"), message))
        })
        .collect()
}

fn globs(
    list: Vec<String>,
    at: &str,
    validate: fn(&str) -> Result<(), String>,
) -> Result<Vec<Glob>, PolicyError> {
    non_empty(Some(list), at)?
        .into_iter()
        .enumerate()
        .map(|(index, text)| {
            let at = format!("{at}[{index}]");
            if text.is_empty() {
                return Err(error(
                    at,
                    "a pattern cannot be empty (use \"*\" to match every name)",
                ));
            }
            validate(&text).map_err(|message| error(at, message))?;
            Ok(Glob::new(text))
        })
        .collect()
}

/// Git refuses these characters in branch names, so a pattern using one could never match;
/// `[` is most often a character class, which these globs do not have.
fn check_branch_glob(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '~' | '^' | ':' | '[' | '\\'))
    {
        Some(c) => Err(format!(
            "{c:?} cannot appear in a branch name; patterns support only '*' and '?'"
        )),
        None => Ok(()),
    }
}

/// Artifact names use `[A-Za-z0-9_-]` and action names add `.` and `@`, so a pattern with
/// any other character could never match either.
fn check_name_glob(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_' | '*' | '?')))
    {
        Some(c) => Err(format!(
            "{c:?} cannot match: artifact and action names use letters, digits, '.', '@', \
             '-' and '_', patterns add '*' and '?'"
        )),
        None => Ok(()),
    }
}

/// A regular expression together with the text it was written as, for reasons.
#[derive(Clone)]
struct Rx {
    text: String,
    regex: Regex,
}

impl Rx {
    fn parse(text: String) -> Result<Self, String> {
        if text.is_empty() {
            return Err("an empty pattern matches every text".into());
        }
        let regex = RegexBuilder::new(&text)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|error| format!("invalid regular expression: {}", one_line(&error)))?;
        // Checks search: a pattern that matches the empty text is found in every text (at
        // its start, unless anchors forbid), so its check cannot fail, or cannot pass.
        if regex.is_match("") {
            return Err(format!(
                "{text:?} matches the empty text, so it matches every text: make it require at \
                 least one character (x+ rather than x*)"
            ));
        }
        Ok(Self { text, regex })
    }
}

/// The regex crate explains syntax errors over several lines with a caret under the
/// offending spot; a policy error is one line, and its path already says where.
fn one_line(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("error: "))
        .map(str::to_owned)
        .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl fmt::Debug for Rx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for Rx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A glob: `*` matches any run of characters, `/` included, and `?` matches one.
#[derive(Clone)]
struct Glob {
    text: String,
    matcher: WildMatch,
}

impl Glob {
    fn new(text: String) -> Self {
        let matcher = WildMatch::new(&text);
        Self { text, matcher }
    }

    fn matches(&self, name: &str) -> bool {
        self.matcher.matches(name)
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `max_age`: one positive whole number of minutes, hours or days, as written.
#[derive(Clone, Debug)]
struct MaxAge {
    text: String,
    seconds: i64,
    unit: Unit,
}

#[derive(Clone, Copy, Debug)]
enum Unit {
    Minutes,
    Hours,
    Days,
}

impl MaxAge {
    fn parse(text: &str) -> Result<Self, String> {
        let explain = || {
            format!(
                "expected a whole number and a unit m, h or d, such as \"90m\", \"72h\" or \
                 \"14d\"; got {text:?}"
            )
        };
        let (digits, unit) = [('m', Unit::Minutes), ('h', Unit::Hours), ('d', Unit::Days)]
            .into_iter()
            .find_map(|(suffix, unit)| text.strip_suffix(suffix).map(|digits| (digits, unit)))
            .ok_or_else(explain)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(explain());
        }
        let seconds = digits
            .parse::<i64>()
            .ok()
            .and_then(|count| count.checked_mul(unit.seconds()))
            .filter(|seconds| *seconds <= MAX_AGE_CAP_SECONDS)
            .ok_or_else(|| format!("{text:?} is longer than the limit of 365d"))?;
        if seconds == 0 {
            return Err(format!(
                "{text:?} would refuse every revision; use a positive age"
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            seconds,
            unit,
        })
    }
}

impl fmt::Display for MaxAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Unit {
    fn seconds(self) -> i64 {
        match self {
            Self::Minutes => 60,
            Self::Hours => 3_600,
            Self::Days => 86_400,
        }
    }

    /// An age above the limit, in the limit's unit plus the next smaller one (`72h30m`,
    /// `15d2h`), rounded up so that it never reads as equal to the limit it exceeds.
    fn format_above(self, age: SignedDuration) -> String {
        let seconds = age.as_secs() + i64::from(age.subsec_nanos() > 0);
        let (big, small, big_name, small_name) = match self {
            Self::Minutes => return format!("{}m", div_ceil(seconds, 60)),
            Self::Hours => (3_600, 60, "h", "m"),
            Self::Days => (86_400, 3_600, "d", "h"),
        };
        let smalls = div_ceil(seconds, small);
        let per_big = big / small;
        match (smalls / per_big, smalls % per_big) {
            (whole, 0) => format!("{whole}{big_name}"),
            (whole, rest) => format!("{whole}{big_name}{rest}{small_name}"),
        }
    }
}

fn div_ceil(value: i64, by: i64) -> i64 {
    value / by + i64::from(value % by > 0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::pipeline::{ActionKind, ActionRecord, ActionStatus};

    /// The facts of one execution in the shape the tests write them: artifacts, the
    /// sources' heads, and the source actions' variables.
    #[derive(Clone, Debug, Default)]
    struct RevisionFacts {
        execution_id: String,
        artifacts: Option<Vec<ArtifactRevision>>,
        sources: Vec<SourceState>,
        source_variables: Option<Vec<SourceVariables>>,
        /// `None`: started by a push (`Webhook`).
        trigger: Option<String>,
    }

    #[derive(Clone, Debug, Default)]
    struct SourceState {
        action: String,
        current_revision: Option<String>,
    }

    #[derive(Clone, Debug, Default)]
    struct SourceVariables {
        action: String,
        variables: BTreeMap<String, String>,
    }

    impl RevisionFacts {
        fn evidence(&self) -> (ExecutionFacts, Vec<SourceHead>) {
            let id = if self.execution_id.is_empty() {
                "unknown-execution"
            } else {
                &self.execution_id
            };
            let mut facts = ExecutionFacts::about(id);
            if let Some(artifacts) = &self.artifacts {
                facts = facts.with_execution(ExecutionRecord {
                    execution_id: Some(id.to_owned()),
                    artifacts: artifacts.clone(),
                    trigger: Some(self.trigger.clone().unwrap_or_else(|| "Webhook".into())),
                });
            }
            if let Some(sources) = &self.source_variables {
                facts = facts.with_actions(
                    sources
                        .iter()
                        .map(|source| ActionRecord {
                            execution_id: Some(id.to_owned()),
                            stage: "Source".into(),
                            action: source.action.clone(),
                            kind: ActionKind::Source,
                            status: ActionStatus::Succeeded,
                            updated: None,
                            output_artifacts: Vec::new(),
                            variables: source.variables.clone(),
                        })
                        .collect(),
                );
            }
            let heads = self
                .sources
                .iter()
                .map(|source| SourceHead {
                    stage: "Source".into(),
                    action: source.action.clone(),
                    current_revision: source.current_revision.clone(),
                })
                .collect();
            (facts, heads)
        }
    }

    impl Revisions {
        fn check_fixture(&self, facts: &RevisionFacts, now: Timestamp) -> Vec<RevisionCheck> {
            let (facts, heads) = facts.evidence();
            self.check(&facts, &heads, now)
        }
    }

    const AT: &str = "rules[0].revisions";
    const EXECUTION: &str = "6c7a2f5e-3b1d-4e8a-9f0c-1d2e3f4a5b6c";
    const COMMIT: &str = "8d3f1c2b7a6e5d4c3b2a19087f6e5d4c3b2a1908";
    const NEWER_COMMIT: &str = "f00dcafe1234567890abcdef1234567890abcdef";
    const GITHUB_COMMIT: &str = "ddbe7ef257512f9455e9b74a5ebe8ef831e615b7";
    const S3_VERSION: &str = "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    const DIGEST: &str = "sha256:4f3c9e1a0b2d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f";
    const CONNECTION: &str = "arn:aws:codestar-connections:eu-west-1:111122223333:connection/4dde5c82-51d6-4ea9-918e-03aed6972ff3";

    const DOCUMENTED: &str = r#"{"latest": true,
        "max_age": "72h",
        "revision_id": {"allow": ["^[0-9a-f]{40}$"]},
        "commit_message": {"deny": ["(?i)\\[(no|skip)[ -]auto[ -]?approve\\]", "(?i)^wip"],
                           "on_match": "abstain"},
        "branches": ["main", "release/*"]}"#;

    fn now() -> Timestamp {
        "2026-11-26T08:00:00Z".parse().unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// Parses like the policy loader does: the path of a serde error is prefixed with the
    /// place of the `revisions` object.
    fn parse(json: &str) -> Result<Revisions, PolicyError> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let document: RevisionsDocument = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| {
                let path = format!("{AT}.{}", error.path());
                error_at(path, error.into_inner().to_string())
            })?;
        Revisions::from_document(document, AT)
    }

    fn error_at(path: String, message: String) -> PolicyError {
        PolicyError { path, message }
    }

    fn revisions(json: &str) -> Revisions {
        parse(json).unwrap()
    }

    fn parse_error(json: &str) -> PolicyError {
        parse(json).unwrap_err()
    }

    fn failures(checks: &[RevisionCheck]) -> Vec<&str> {
        checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| check.reason.as_str())
            .collect()
    }

    fn assert_all_pass(checks: &[RevisionCheck]) {
        assert!(!checks.is_empty());
        assert!(failures(checks).is_empty(), "{checks:#?}");
    }

    fn only_failure(checks: &[RevisionCheck]) -> &RevisionCheck {
        assert_eq!(checks.len(), 1, "{checks:#?}");
        assert!(!checks[0].passed, "{checks:#?}");
        &checks[0]
    }

    /// CodeCommit: a 40-hex commit, the plain commit message as summary.
    fn codecommit() -> RevisionFacts {
        RevisionFacts {
            execution_id: EXECUTION.into(),
            trigger: None,
            artifacts: Some(vec![ArtifactRevision {
                name: "SourceArtifact".into(),
                revision_id: Some(COMMIT.into()),
                revision_summary: Some("Fix the retry loop in checkout".into()),
                created: Some(at("2026-11-26T06:00:00Z")),
            }]),
            sources: vec![SourceState {
                action: "Source".into(),
                current_revision: Some(COMMIT.into()),
            }],
            source_variables: Some(vec![SourceVariables {
                action: "Source".into(),
                variables: vars(&[
                    ("AuthorDate", "2026-11-26T05:58:12Z"),
                    ("BranchName", "main"),
                    ("CommitId", COMMIT),
                    ("CommitMessage", "Fix the retry loop in checkout"),
                    ("CommitterDate", "2026-11-26T06:00:00Z"),
                    ("RepositoryName", "shop-web"),
                ]),
            }]),
        }
    }

    /// GitHub through a CodeStar connection: the summary wraps the message in JSON.
    fn github(message: &str, branch: &str) -> RevisionFacts {
        let summary = serde_json::json!({"ProviderType": "GitHub", "CommitMessage": message});
        RevisionFacts {
            execution_id: EXECUTION.into(),
            trigger: None,
            artifacts: Some(vec![ArtifactRevision {
                name: "SourceOutput".into(),
                revision_id: Some(GITHUB_COMMIT.into()),
                revision_summary: Some(summary.to_string()),
                created: Some(at("2026-11-26T07:30:00Z")),
            }]),
            sources: vec![SourceState {
                action: "Checkout".into(),
                current_revision: Some(GITHUB_COMMIT.into()),
            }],
            source_variables: Some(vec![SourceVariables {
                action: "Checkout".into(),
                variables: vars(&[
                    ("AuthorDate", "2026-11-26T07:29:41Z"),
                    ("BranchName", branch),
                    ("CommitId", GITHUB_COMMIT),
                    ("CommitMessage", message),
                    ("ConnectionArn", CONNECTION),
                    ("FullRepositoryName", "example-org/shop-web"),
                ]),
            }]),
        }
    }

    /// S3: a version id, and no summary unless the uploader set one as object metadata.
    fn s3() -> RevisionFacts {
        RevisionFacts {
            execution_id: EXECUTION.into(),
            trigger: None,
            artifacts: Some(vec![ArtifactRevision {
                name: "ConfigBundle".into(),
                revision_id: Some(S3_VERSION.into()),
                revision_summary: None,
                created: Some(at("2026-11-25T20:00:00Z")),
            }]),
            sources: vec![SourceState {
                action: "Config".into(),
                current_revision: Some(S3_VERSION.into()),
            }],
            source_variables: Some(vec![SourceVariables {
                action: "Config".into(),
                variables: vars(&[
                    ("ETag", "0f343b0931126a20f133d67c2b018a3b"),
                    ("VersionId", S3_VERSION),
                ]),
            }]),
        }
    }

    /// ECR: the image digest is the revision id.
    fn ecr() -> RevisionFacts {
        RevisionFacts {
            execution_id: EXECUTION.into(),
            trigger: None,
            artifacts: Some(vec![ArtifactRevision {
                name: "Image".into(),
                revision_id: Some(DIGEST.into()),
                revision_summary: None,
                created: Some(at("2026-11-26T07:00:00Z")),
            }]),
            sources: vec![SourceState {
                action: "Image".into(),
                current_revision: Some(DIGEST.into()),
            }],
            source_variables: Some(vec![SourceVariables {
                action: "Image".into(),
                variables: vars(&[
                    ("ImageDigest", DIGEST),
                    ("ImageTag", "latest"),
                    (
                        "ImageURI",
                        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop-web@sha256:4f3c9e1a0b2d",
                    ),
                    ("RegistryId", "111122223333"),
                    ("RepositoryName", "shop-web"),
                ]),
            }]),
        }
    }

    /// Application code from GitHub plus configuration from S3.
    fn app_and_config() -> RevisionFacts {
        let mut facts = github("Add the holiday banner", "main");
        let config = s3();
        facts
            .artifacts
            .as_mut()
            .unwrap()
            .extend(config.artifacts.unwrap());
        facts.sources.extend(config.sources);
        facts
            .source_variables
            .as_mut()
            .unwrap()
            .extend(config.source_variables.unwrap());
        facts
    }

    // --- loading ---

    #[test]
    fn given_the_documented_example_when_loaded_then_every_check_is_set() {
        let revisions = revisions(DOCUMENTED);
        assert!(revisions.latest);
        assert_eq!(revisions.max_age.as_ref().unwrap().seconds, 72 * 3_600);
        assert_eq!(revisions.revision_id.as_ref().unwrap().allow.len(), 1);
        let commit_message = revisions.commit_message.as_ref().unwrap();
        assert_eq!(commit_message.deny.len(), 2);
        assert_eq!(commit_message.on_match, Some(FailAs::Abstain));
        assert_eq!(revisions.branches.as_ref().unwrap().len(), 2);
        assert!(revisions.artifacts.is_none());
    }

    #[test]
    fn given_the_documented_example_when_a_codecommit_revision_fits_then_every_check_passes() {
        let checks = revisions(DOCUMENTED).check_fixture(&codecommit(), now());
        assert_all_pass(&checks);
        let reasons: Vec<_> = checks.iter().map(|check| check.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "latest: every source is at its newest revision",
                "max_age: every revision was created within the last 72h",
                "revision_id: every revision id is allowed",
                "commit_message: no message matches a deny pattern",
                "branches: source Source built main",
            ]
        );
        assert!(checks.iter().all(|check| check.on_fail.is_none()));
    }

    #[test]
    fn given_no_check_when_loaded_then_it_is_refused_at_the_revisions_object() {
        for json in [r#"{}"#, r#"{"latest": false}"#] {
            let error = parse_error(json);
            assert_eq!(error.path, AT, "{json}");
            assert!(error.message.contains("no check is set"), "{error:?}");
        }
    }

    #[test]
    fn given_latest_alone_when_loaded_then_it_is_a_check() {
        assert!(revisions(r#"{"latest": true}"#).latest);
    }

    #[test]
    fn given_an_unknown_field_when_loaded_then_the_error_names_its_place() {
        let cases = [
            (
                r#"{"latest": true, "newest": true}"#,
                "rules[0].revisions.newest",
            ),
            (
                r#"{"commit_message": {"deny": ["x"], "onmatch": "reject"}}"#,
                "rules[0].revisions.commit_message.onmatch",
            ),
            (
                r#"{"revision_id": {"allow": ["x"], "denied": ["y"]}}"#,
                "rules[0].revisions.revision_id.denied",
            ),
        ];
        for (json, path) in cases {
            let error = parse_error(json);
            assert_eq!(error.path, path, "{json}");
            assert!(error.message.contains("unknown field"), "{error:?}");
        }
    }

    #[test]
    fn given_a_field_of_the_wrong_type_when_loaded_then_the_error_names_its_place() {
        let cases = [
            (r#"{"latest": "yes"}"#, "rules[0].revisions.latest"),
            (r#"{"max_age": 72}"#, "rules[0].revisions.max_age"),
            (r#"{"branches": "main"}"#, "rules[0].revisions.branches"),
            (
                r#"{"revision_id": {"allow": "^[0-9a-f]{40}$"}}"#,
                "rules[0].revisions.revision_id.allow",
            ),
        ];
        for (json, path) in cases {
            assert_eq!(parse_error(json).path, path, "{json}");
        }
    }

    #[test]
    fn given_an_invalid_regex_when_loaded_then_the_error_names_its_place_in_one_line() {
        let cases = [
            (
                r#"{"commit_message": {"deny": ["(?i)^wip", "(?i)^wip("]}}"#,
                "rules[0].revisions.commit_message.deny[1]",
            ),
            (
                r#"{"commit_message": {"require": ["[Z-A]+-[0-9]+"]}}"#,
                "rules[0].revisions.commit_message.require[0]",
            ),
            (
                r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$"], "deny": ["*"]}}"#,
                "rules[0].revisions.revision_id.deny[0]",
            ),
            (
                r#"{"revision_id": {"allow": ["^[0-9a-f]{40,2}$"]}}"#,
                "rules[0].revisions.revision_id.allow[0]",
            ),
        ];
        for (json, path) in cases {
            let error = parse_error(json);
            assert_eq!(error.path, path, "{json}");
            assert!(
                error.message.starts_with("invalid regular expression: "),
                "{error:?}"
            );
            assert!(!error.message.contains('\n'), "{error:?}");
        }
        let error = parse_error(r#"{"commit_message": {"deny": ["(?i)^wip("]}}"#);
        assert_eq!(error.message, "invalid regular expression: unclosed group");
    }

    #[test]
    fn given_a_regex_too_big_to_compile_when_loaded_then_it_is_refused_at_its_place() {
        let error = parse_error(r#"{"revision_id": {"deny": ["(\\w{100}){100}"]}}"#);
        assert_eq!(error.path, "rules[0].revisions.revision_id.deny[0]");
        assert!(error.message.contains("size limit"), "{error:?}");
        assert!(!error.message.contains('\n'), "{error:?}");
    }

    #[test]
    fn given_an_empty_regex_when_loaded_then_it_is_refused_because_it_matches_everything() {
        let error = parse_error(r#"{"commit_message": {"deny": ["(?i)^wip", ""]}}"#);
        assert_eq!(error.path, "rules[0].revisions.commit_message.deny[1]");
        assert!(error.message.contains("matches every text"), "{error:?}");
    }

    #[test]
    fn given_a_regex_that_matches_the_empty_text_when_loaded_then_it_is_refused() {
        for (field, list) in [
            ("revision_id", "allow"),
            ("revision_id", "deny"),
            ("commit_message", "deny"),
            ("commit_message", "require"),
        ] {
            for pattern in [
                "x*",
                "^",
                "$",
                "a|",
                "(?:)",
                "(?i)(wip)?",
                "\\b*",
                "[a-z]{0,3}",
            ] {
                // Given a pattern that matches the empty text, after a sound one
                let json = format!(
                    r#"{{"{field}": {{"{list}": ["^[0-9a-f]{{40}}$", {}]}}}}"#,
                    serde_json::to_string(pattern).unwrap()
                );
                // When the policy is loaded
                let error = parse_error(&json);
                // Then it is refused at its place, saying it matches every text
                assert_eq!(
                    error.path,
                    format!("rules[0].revisions.{field}.{list}[1]"),
                    "{json}"
                );
                assert!(error.message.contains("matches every text"), "{error:?}");
            }
        }
        // A pattern that needs at least one character still loads
        revisions(r#"{"commit_message": {"deny": ["(?i)^wip", "x+", "^a|b$"]}}"#);
    }

    #[test]
    fn given_max_age_when_written_as_one_number_and_unit_then_it_loads() {
        for (text, seconds) in [
            ("90m", 90 * 60),
            ("72h", 72 * 3_600),
            ("14d", 14 * 86_400),
            ("365d", 365 * 86_400),
            ("1m", 60),
        ] {
            let json = format!(r#"{{"max_age": {text:?}}}"#);
            assert_eq!(revisions(&json).max_age.unwrap().seconds, seconds, "{text}");
        }
    }

    #[test]
    fn given_max_age_when_malformed_zero_or_too_long_then_it_is_refused_at_its_place() {
        for text in [
            "",
            "h",
            "72",
            "0h",
            "0d",
            "-1h",
            "+1h",
            "1h30m",
            "72H",
            " 72h",
            "72h ",
            "1.5h",
            "1w",
            "366d",
            "8761h",
            "525601m",
            "99999999999999999999d",
            "７２h",
        ] {
            let json = format!(r#"{{"max_age": {text:?}}}"#);
            let error = parse_error(&json);
            assert_eq!(error.path, "rules[0].revisions.max_age", "{text:?}");
        }
        assert!(
            parse_error(r#"{"max_age": "366d"}"#)
                .message
                .contains("365d")
        );
    }

    #[test]
    fn given_an_empty_list_when_loaded_then_it_is_refused_because_it_checks_nothing() {
        let cases = [
            (r#"{"branches": []}"#, "rules[0].revisions.branches"),
            (
                r#"{"latest": true, "revision_id": {"allow": []}}"#,
                "rules[0].revisions.revision_id.allow",
            ),
            (
                r#"{"commit_message": {"deny": [], "require": ["x"]}}"#,
                "rules[0].revisions.commit_message.deny",
            ),
            (
                r#"{"max_age": "1d", "artifacts": []}"#,
                "rules[0].revisions.artifacts",
            ),
        ];
        for (json, path) in cases {
            let error = parse_error(json);
            assert_eq!(error.path, path, "{json}");
            assert!(error.message.contains("empty list"), "{error:?}");
        }
    }

    #[test]
    fn given_a_check_object_without_patterns_when_loaded_then_it_is_refused() {
        let error = parse_error(r#"{"latest": true, "revision_id": {}}"#);
        assert_eq!(error.path, "rules[0].revisions.revision_id");
        let error = parse_error(r#"{"commit_message": {}}"#);
        assert_eq!(error.path, "rules[0].revisions.commit_message");
        let error = parse_error(r#"{"commit_message": {"on_match": "reject"}}"#);
        assert_eq!(error.path, "rules[0].revisions.commit_message");
    }

    #[test]
    fn given_on_match_without_deny_patterns_when_loaded_then_it_is_refused() {
        let error = parse_error(r#"{"commit_message": {"require": ["x"], "on_match": "reject"}}"#);
        assert_eq!(error.path, "rules[0].revisions.commit_message.on_match");
    }

    #[test]
    fn given_on_match_approve_when_loaded_then_it_is_refused_because_a_match_never_approves() {
        let error = parse_error(r#"{"commit_message": {"deny": ["x"], "on_match": "approve"}}"#);
        assert_eq!(error.path, "rules[0].revisions.commit_message.on_match");
        assert!(error.message.contains("unknown variant"), "{error:?}");
    }

    #[test]
    fn given_a_branch_pattern_that_could_never_match_when_loaded_then_it_is_refused() {
        for bad in [
            "release/[0-9]*",
            "",
            "feature x",
            "main~1",
            "refs:heads",
            "a\\b",
        ] {
            let json = format!(r#"{{"branches": ["main", {bad:?}]}}"#);
            assert_eq!(
                parse_error(&json).path,
                "rules[0].revisions.branches[1]",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn given_an_artifacts_pattern_that_could_never_match_when_loaded_then_it_is_refused() {
        for bad in ["Source Artifact", "", "App/[a-z]", "Src#1"] {
            let json = format!(r#"{{"max_age": "1d", "artifacts": ["App*", {bad:?}]}}"#);
            assert_eq!(
                parse_error(&json).path,
                "rules[0].revisions.artifacts[1]",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn given_artifacts_with_only_latest_when_loaded_then_it_is_refused_as_meaningless() {
        let error = parse_error(r#"{"latest": true, "artifacts": ["App*"]}"#);
        assert_eq!(error.path, "rules[0].revisions.artifacts");
        assert!(error.message.contains("latest always covers"), "{error:?}");
    }

    // --- needs ---

    #[test]
    fn given_each_check_when_asked_then_needs_names_the_calls_it_reads() {
        let needs = |json: &str| revisions(json).needs();
        let both = Needs {
            execution: true,
            action_executions: true,
        };
        let execution_only = Needs {
            execution: true,
            action_executions: false,
        };
        assert_eq!(
            needs(r#"{"latest": true}"#),
            both,
            "latest pairs each artifact with its source action"
        );
        assert_eq!(needs(r#"{"max_age": "1d"}"#), execution_only);
        assert_eq!(
            needs(r#"{"revision_id": {"deny": ["^0{40}$"]}}"#),
            execution_only
        );
        assert_eq!(needs(r#"{"commit_message": {"deny": ["x"]}}"#), both);
        assert_eq!(
            needs(r#"{"branches": ["main"]}"#),
            both,
            "branches reads how the execution was started"
        );
        assert_eq!(needs(r#"{"latest": true, "branches": ["main"]}"#), both);
        assert_eq!(
            needs(r#"{"max_age": "1d", "artifacts": ["App*"]}"#),
            both,
            "pairing artifacts with source actions reads both"
        );
        assert_eq!(
            needs(r#"{"branches": ["main"], "artifacts": ["App*"]}"#),
            both
        );
        assert_eq!(needs(DOCUMENTED), both);
    }

    // --- latest ---

    #[test]
    fn given_every_source_at_the_carried_revision_when_checked_then_latest_passes() {
        let latest = revisions(r#"{"latest": true}"#);
        for facts in [
            codecommit(),
            github("Fix", "main"),
            s3(),
            ecr(),
            app_and_config(),
        ] {
            assert_all_pass(&latest.check_fixture(&facts, now()));
        }
    }

    #[test]
    fn given_one_of_two_sources_has_seen_a_newer_revision_when_checked_then_latest_names_it() {
        let mut facts = app_and_config();
        facts.sources[0].current_revision = Some(NEWER_COMMIT.into());
        let checks = revisions(r#"{"latest": true}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            format!(
                "latest: source Checkout has seen revision f00dcafe1234 since; execution \
                 {EXECUTION} carries ddbe7ef25751 from it — the newer execution will ask for \
                 its own approval"
            )
        );
        assert_eq!(checks[0].on_fail, None);
    }

    #[test]
    fn given_a_source_without_current_revision_when_checked_then_latest_fails() {
        let mut facts = app_and_config();
        facts.sources[1].current_revision = None;
        let checks = revisions(r#"{"latest": true}"#).check_fixture(&facts, now());
        assert!(
            only_failure(&checks)
                .reason
                .starts_with("latest: source Config shows no current revision"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_missing_latest_facts_when_checked_then_latest_fails_and_says_why() {
        let latest = revisions(r#"{"latest": true}"#);
        let reason = |facts: RevisionFacts| {
            only_failure(&latest.check_fixture(&facts, now()))
                .reason
                .clone()
        };

        let mut facts = codecommit();
        facts.artifacts = None;
        assert_eq!(
            reason(facts),
            format!("latest: the revisions of execution {EXECUTION} could not be read")
        );

        let mut facts = codecommit();
        facts.artifacts = Some(Vec::new());
        assert!(reason(facts).contains("carries no artifact revisions"));

        let mut facts = codecommit();
        facts.sources.clear();
        assert!(reason(facts).contains("source Source shows no current revision"));

        let mut facts = codecommit();
        facts.source_variables = None;
        assert!(reason(facts).contains("the action executions of execution"));

        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].revision_id = None;
        let checks = latest.check_fixture(&facts, now());
        let text = failures(&checks)[0].to_owned();
        assert!(
            text.starts_with("latest: artifact SourceArtifact cannot be paired"),
            "without an id, nothing pairs it with its source: {text}"
        );
    }

    // --- max_age ---

    #[test]
    fn given_revisions_within_max_age_when_checked_then_it_passes_for_every_source_kind() {
        let max_age = revisions(r#"{"max_age": "72h"}"#);
        for facts in [
            codecommit(),
            github("Fix", "main"),
            s3(),
            ecr(),
            app_and_config(),
        ] {
            assert_all_pass(&max_age.check_fixture(&facts, now()));
        }
    }

    #[test]
    fn given_a_revision_older_than_max_age_when_checked_then_it_fails_with_its_age() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-22T16:00:00Z"));
        let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "max_age: revision 8d3f1c2b7a6e was created 88h ago, more than 72h"
        );
    }

    #[test]
    fn given_a_revision_exactly_max_age_old_when_checked_then_it_passes_and_a_moment_more_fails() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-23T08:00:00Z"));
        assert_all_pass(&revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now()));
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-23T07:59:59.999Z"));
        let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
        assert!(only_failure(&checks).reason.contains("created 72h1m ago"));
    }

    #[test]
    fn given_a_revision_just_over_max_age_when_checked_then_its_age_never_reads_as_the_limit() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-23T07:59:30Z"));
        let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "max_age: revision 8d3f1c2b7a6e was created 72h1m ago, more than 72h"
        );
        let checks = revisions(r#"{"max_age": "3d"}"#).check_fixture(&facts, now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("created 3d1h ago, more than 3d")
        );
        let checks = revisions(r#"{"max_age": "4320m"}"#).check_fixture(&facts, now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("created 4321m ago, more than 4320m")
        );
    }

    #[test]
    fn given_an_old_ecr_image_when_checked_then_max_age_names_it_by_its_digest() {
        let mut facts = ecr();
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-10T06:00:00Z"));
        let checks = revisions(r#"{"max_age": "14d"}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "max_age: revision sha256:4f3c9e1a0b2d was created 16d2h ago, more than 14d"
        );
    }

    #[test]
    fn given_a_revision_stamped_in_the_future_when_checked_then_max_age_counts_it_as_new() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-26T08:05:00Z"));
        assert_all_pass(&revisions(r#"{"max_age": "90m"}"#).check_fixture(&facts, now()));
    }

    #[test]
    fn given_a_revision_without_creation_time_when_checked_then_max_age_fails() {
        let mut facts = s3();
        facts.artifacts.as_mut().unwrap()[0].created = None;
        let checks = revisions(r#"{"max_age": "72h"}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "max_age: revision 3sL4kqtJlcpX has no creation time, so its age is unknown"
        );
    }

    #[test]
    fn given_two_sources_one_old_when_checked_then_max_age_fails_only_for_that_one() {
        let facts = app_and_config();
        let checks = revisions(r#"{"max_age": "2h"}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "max_age: revision 3sL4kqtJlcpX was created 12h ago, more than 2h"
        );
    }

    // --- revision_id ---

    #[test]
    fn given_a_commit_id_allowed_by_pattern_when_checked_then_revision_id_passes() {
        let check = revisions(r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$"]}}"#);
        assert_all_pass(&check.check_fixture(&codecommit(), now()));
        assert_all_pass(&check.check_fixture(&github("Fix", "main"), now()));
    }

    #[test]
    fn given_an_ecr_digest_when_only_commits_are_allowed_then_revision_id_fails() {
        let check = revisions(r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$", "^v[0-9]+$"]}}"#);
        let checks = check.check_fixture(&ecr(), now());
        assert_eq!(
            only_failure(&checks).reason,
            "revision_id: revision sha256:4f3c9e1a0b2d matches no allow pattern \
             (^[0-9a-f]{40}$ or ^v[0-9]+$)"
        );
    }

    #[test]
    fn given_an_s3_version_when_allowed_by_its_own_pattern_then_revision_id_passes() {
        let check = revisions(r#"{"revision_id": {"allow": ["^[A-Za-z0-9._+/-]{32,}$"]}}"#);
        assert_all_pass(&check.check_fixture(&s3(), now()));
    }

    #[test]
    fn given_a_denied_revision_id_when_checked_then_revision_id_fails() {
        let check =
            revisions(r#"{"revision_id": {"allow": ["^[0-9a-f]{40}$"], "deny": ["^8d3f1c2b"]}}"#);
        let checks = check.check_fixture(&codecommit(), now());
        assert_eq!(
            only_failure(&checks).reason,
            "revision_id: revision 8d3f1c2b7a6e matches deny pattern ^8d3f1c2b"
        );
    }

    #[test]
    fn given_a_revision_without_id_when_checked_then_revision_id_fails() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].revision_id = None;
        let checks =
            revisions(r#"{"revision_id": {"deny": ["^0{40}$"]}}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "revision_id: artifact SourceArtifact has no revision id"
        );
    }

    // --- commit_message ---

    #[test]
    fn given_a_codecommit_message_matching_deny_when_checked_then_it_fails_with_on_match() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].revision_summary = Some("WIP: try".into());
        let check =
            revisions(r#"{"commit_message": {"deny": ["(?i)^wip"], "on_match": "abstain"}}"#);
        let failure = only_failure(&check.check_fixture(&facts, now())).clone();
        assert_eq!(
            failure.reason,
            "commit_message: \"WIP: try\" matches deny pattern (?i)^wip"
        );
        assert_eq!(failure.on_fail, Some(FailAs::Abstain));
    }

    #[test]
    fn given_on_match_reject_or_none_when_deny_matches_then_on_fail_follows_it() {
        let facts = github("[skip auto-approve] bump deps", "main");
        let with = |json: &str| only_failure(&revisions(json).check_fixture(&facts, now())).on_fail;
        let deny = r"(?i)\\[(no|skip)[ -]auto[ -]?approve\\]";
        assert_eq!(
            with(&format!(
                r#"{{"commit_message": {{"deny": ["{deny}"], "on_match": "reject"}}}}"#
            )),
            Some(FailAs::Reject)
        );
        assert_eq!(
            with(&format!(r#"{{"commit_message": {{"deny": ["{deny}"]}}}}"#)),
            None
        );
    }

    #[test]
    fn given_a_codestar_json_summary_when_checked_then_the_commit_message_inside_is_matched() {
        let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
        let checks = check.check_fixture(&github("wip: half a feature", "main"), now());
        assert_eq!(
            only_failure(&checks).reason,
            "commit_message: \"wip: half a feature\" matches deny pattern (?i)^wip"
        );
        assert_all_pass(&check.check_fixture(&github("Ship the feature", "main"), now()));
    }

    #[test]
    fn given_a_cut_json_summary_when_checked_then_the_commit_message_variable_is_used() {
        let mut facts = github("WIP: a very long message", "main");
        facts.artifacts.as_mut().unwrap()[0].revision_summary =
            Some(r#"{"ProviderType":"GitHub","CommitMessage":"WIP: a very lo"#.into());
        let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
        let checks = check.check_fixture(&facts, now());
        assert!(
            only_failure(&checks)
                .reason
                .starts_with("commit_message: \"WIP: a very long message\""),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_json_summary_without_message_and_no_variable_then_commit_message_fails() {
        let mut facts = github("Fix", "main");
        facts.artifacts.as_mut().unwrap()[0].revision_summary =
            Some(r#"{"ProviderType":"GitHub","CommitMessage":"Fix the th"#.into());
        facts.source_variables.as_mut().unwrap()[0]
            .variables
            .remove("CommitMessage");
        // A deny pattern that the raw wrapper would not match must not pass it.
        let checks =
            revisions(r#"{"commit_message": {"deny": ["^Fix"]}}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "commit_message: revision ddbe7ef25751 has no commit message in its summary or \
             output variables (S3 and ECR sources carry none)"
        );
    }

    #[test]
    fn given_a_summary_absent_when_checked_then_the_commit_message_variable_is_used() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].revision_summary = None;
        facts.source_variables.as_mut().unwrap()[0]
            .variables
            .insert("CommitMessage".into(), "[no auto approve] risky".into());
        let check = revisions(DOCUMENTED);
        let checks = check.check_fixture(&facts, now());
        assert_eq!(
            failures(&checks),
            [
                "commit_message: \"[no auto approve] risky\" matches deny pattern \
                 (?i)\\[(no|skip)[ -]auto[ -]?approve\\]"
            ]
        );
    }

    #[test]
    fn given_an_s3_source_without_summary_when_checked_then_commit_message_fails() {
        let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
        let checks = check.check_fixture(&s3(), now());
        assert_eq!(
            only_failure(&checks).reason,
            "commit_message: revision 3sL4kqtJlcpX has no commit message in its summary or \
             output variables (S3 and ECR sources carry none)"
        );
        assert_eq!(
            checks[0].on_fail, None,
            "a missing message is not a deny match"
        );
        let checks = check.check_fixture(&ecr(), now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("has no commit message")
        );
    }

    #[test]
    fn given_an_s3_summary_set_by_the_uploader_when_checked_then_it_is_the_message() {
        let mut facts = s3();
        facts.artifacts.as_mut().unwrap()[0].revision_summary =
            Some("a1b2c3d WIP: new rate limits".into());
        let check = revisions(r#"{"commit_message": {"deny": ["(?i)\\bwip\\b"]}}"#);
        assert!(
            only_failure(&check.check_fixture(&facts, now()))
                .reason
                .contains("matches deny pattern")
        );
    }

    #[test]
    fn given_a_summary_and_unread_variables_when_checked_then_the_summary_suffices() {
        let mut facts = codecommit();
        facts.source_variables = None;
        let check = revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#);
        assert_all_pass(&check.check_fixture(&facts, now()));
    }

    #[test]
    fn given_no_summary_and_unread_variables_when_checked_then_commit_message_fails() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].revision_summary = Some("  ".into());
        facts.source_variables = None;
        let checks =
            revisions(r#"{"commit_message": {"deny": ["(?i)^wip"]}}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "commit_message: revision 8d3f1c2b7a6e has no commit message in its summary, and \
             its source action's variables cannot be used: the action executions of the \
             execution could not be read"
        );
    }

    #[test]
    fn given_unread_revisions_when_checked_then_commit_message_fails() {
        let mut facts = codecommit();
        facts.artifacts = None;
        let checks =
            revisions(r#"{"commit_message": {"deny": ["x"]}}"#).check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            format!("commit_message: the revisions of execution {EXECUTION} could not be read")
        );
    }

    #[test]
    fn given_a_message_missing_a_required_pattern_when_checked_then_it_fails_with_on_fail() {
        let check = revisions(
            r#"{"commit_message": {"deny": ["(?i)^wip"], "require": ["[A-Z]+-[0-9]+", "(?m)^Reviewed-by: "],
                "on_match": "reject"}}"#,
        );
        let facts = github("SHOP-1423 Add the holiday banner", "main");
        let checks = check.check_fixture(&facts, now());
        assert_eq!(
            only_failure(&checks).reason,
            "commit_message: \"SHOP-1423 Add the holiday banner\" does not match required \
             pattern (?m)^Reviewed-by: "
        );
        assert_eq!(checks[0].on_fail, None, "on_match is for deny matches only");
        let facts = github("SHOP-1423 Add the banner\n\nReviewed-by: Dana", "main");
        assert_eq!(
            check.check_fixture(&facts, now())[0].reason,
            "commit_message: no message matches a deny pattern, and every one matches the \
             required patterns"
        );
    }

    #[test]
    fn given_an_untrusted_message_when_quoted_then_it_is_one_short_line() {
        let message = format!("WIP\u{1b}[31m\r\nfake: approved\u{202e}{}", "x".repeat(200));
        let checks = revisions(r#"{"commit_message": {"deny": ["^WIP"]}}"#)
            .check_fixture(&github(&message, "main"), now());
        let reason = &only_failure(&checks).reason;
        assert!(
            reason.chars().all(|c| !c.is_control() && c != '\u{202e}'),
            "{reason:?}"
        );
        let quoted = reason
            .strip_prefix("commit_message: \"")
            .and_then(|rest| rest.split_once("\" matches"))
            .map(|(quoted, _)| quoted)
            .unwrap();
        assert_eq!(quoted.chars().count(), MESSAGE_QUOTE_CHARS);
        assert!(
            quoted.starts_with("WIP [31m  fake: approved "),
            "{quoted:?}"
        );
        assert!(quoted.ends_with('…'));
    }

    // --- branches ---

    #[test]
    fn given_allowed_branches_when_checked_then_branches_passes_and_names_them() {
        let check = revisions(r#"{"branches": ["main", "release/*"]}"#);
        let checks = check.check_fixture(&github("Fix", "release/2026/11"), now());
        assert_all_pass(&checks);
        assert_eq!(
            checks[0].reason,
            "branches: source Checkout built release/2026/11"
        );
    }

    #[test]
    fn given_a_feature_branch_when_checked_then_branches_fails_naming_the_patterns() {
        let check = revisions(r#"{"branches": ["main", "release/*"]}"#);
        let checks = check.check_fixture(&github("Fix", "feature/x"), now());
        assert_eq!(
            only_failure(&checks).reason,
            "branches: source Checkout built branch feature/x, not main or release/*"
        );
    }

    #[test]
    fn given_a_question_mark_when_matching_branches_then_it_stands_for_one_character() {
        let check = revisions(r#"{"branches": ["hotfix-?"]}"#);
        assert_all_pass(&check.check_fixture(&github("Fix", "hotfix-1"), now()));
        assert!(!check.check_fixture(&github("Fix", "hotfix-12"), now())[0].passed);
        assert!(
            !revisions(r#"{"branches": ["Main"]}"#).check_fixture(&codecommit(), now())[0].passed
        );
    }

    #[test]
    fn given_s3_and_ecr_sources_when_checking_branches_then_they_fail_for_want_of_a_branch() {
        let check = revisions(r#"{"branches": ["main"]}"#);
        for (facts, action) in [(s3(), "Config"), (ecr(), "Image")] {
            let checks = check.check_fixture(&facts, now());
            assert_eq!(
                only_failure(&checks).reason,
                format!(
                    "branches: source {action} reports no branch (no BranchName output \
                     variable; S3 and ECR sources have none)"
                )
            );
        }
    }

    #[test]
    fn given_missing_source_variables_when_checking_branches_then_it_fails() {
        let check = revisions(r#"{"branches": ["main"]}"#);
        let mut facts = codecommit();
        facts.sources.clear();
        facts.source_variables = None;
        assert_eq!(
            only_failure(&check.check_fixture(&facts, now())).reason,
            "branches: revision 8d3f1c2b7a6e cannot be paired with the source action that \
             built it: the action executions of the execution could not be read"
        );
        facts.source_variables = Some(Vec::new());
        assert_eq!(
            only_failure(&check.check_fixture(&facts, now())).reason,
            "branches: revision 8d3f1c2b7a6e cannot be paired with the source action that \
             built it: no source action that ran in the execution produced it"
        );
    }

    // --- artifacts ---

    #[test]
    fn given_artifacts_selecting_the_app_when_checked_then_the_config_source_is_left_out() {
        let check = revisions(
            r#"{"max_age": "2h", "commit_message": {"deny": ["(?i)^wip"]},
                "branches": ["main"], "artifacts": ["Source*"]}"#,
        );
        let checks = check.check_fixture(&app_and_config(), now());
        assert_all_pass(&checks);
        assert_eq!(checks.len(), 3);
        assert_eq!(checks[2].reason, "branches: source Checkout built main");
    }

    #[test]
    fn given_artifacts_naming_a_source_action_when_checked_then_its_artifact_is_selected() {
        let check = revisions(r#"{"max_age": "2h", "artifacts": ["Config"]}"#);
        let checks = check.check_fixture(&app_and_config(), now());
        assert_eq!(
            only_failure(&checks).reason,
            "max_age: revision 3sL4kqtJlcpX was created 12h ago, more than 2h"
        );
        let check = revisions(r#"{"branches": ["main"], "artifacts": ["ConfigBundle"]}"#);
        assert!(
            only_failure(&check.check_fixture(&app_and_config(), now()))
                .reason
                .starts_with("branches: source Config reports no branch")
        );
    }

    #[test]
    fn given_artifacts_matching_nothing_when_checked_then_the_scoped_checks_fail() {
        let check = revisions(
            r#"{"latest": true, "max_age": "72h", "branches": ["main"], "artifacts": ["Sorce*"]}"#,
        );
        let checks = check.check_fixture(&app_and_config(), now());
        assert_eq!(
            failures(&checks),
            [
                format!("max_age: no artifact of execution {EXECUTION} matches artifacts Sorce*"),
                format!("branches: no artifact of execution {EXECUTION} matches artifacts Sorce*"),
            ]
        );
        assert!(checks[0].passed, "latest is not narrowed by artifacts");
    }

    #[test]
    fn given_a_source_that_cannot_be_paired_when_selecting_then_it_stays_in_scope() {
        let mut facts = app_and_config();
        facts.source_variables.as_mut().unwrap()[1]
            .variables
            .remove("VersionId");
        let check =
            revisions(r#"{"max_age": "2h", "branches": ["main"], "artifacts": ["Source*"]}"#);
        let reasons = failures(&check.check_fixture(&facts, now()))
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert_eq!(reasons.len(), 3, "{reasons:#?}");
        assert!(reasons[0].starts_with("max_age: revision 3sL4kqtJlcpX"));
        assert!(
            reasons[1].starts_with("branches: source Config reports no branch"),
            "the source no artifact pairs with is checked too: {reasons:#?}"
        );
        assert!(
            reasons[2].starts_with("branches: revision 3sL4kqtJlcpX cannot be paired"),
            "{reasons:#?}"
        );
    }

    #[test]
    fn given_artifacts_and_unread_facts_when_checked_then_the_scoped_checks_fail() {
        let check =
            revisions(r#"{"max_age": "72h", "branches": ["main"], "artifacts": ["Source*"]}"#);
        let mut facts = app_and_config();
        facts.source_variables = None;
        let checks = check.check_fixture(&facts, now());
        assert_eq!(
            failures(&checks),
            [
                format!(
                    "max_age: the action executions of execution {EXECUTION} could not be \
                     read, so artifacts cannot be applied"
                ),
                format!(
                    "branches: the action executions of execution {EXECUTION} could not be \
                     read, so artifacts cannot be applied"
                ),
            ]
        );
        let mut facts = app_and_config();
        facts.artifacts = None;
        let checks = check.check_fixture(&facts, now());
        assert_eq!(
            failures(&checks),
            [
                format!("max_age: the revisions of execution {EXECUTION} could not be read"),
                format!("branches: the revisions of execution {EXECUTION} could not be read"),
            ]
        );
    }

    // --- everything at once ---

    #[test]
    fn given_several_problems_when_checked_then_every_failure_is_listed() {
        let mut facts = github("WIP: try", "feature/x");
        facts.sources[0].current_revision = Some(NEWER_COMMIT.into());
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-22T16:00:00Z"));
        facts.artifacts.as_mut().unwrap()[0].revision_id = Some(DIGEST.into());
        facts.source_variables.as_mut().unwrap()[0]
            .variables
            .insert("CommitId".into(), DIGEST.into());
        let checks = revisions(DOCUMENTED).check_fixture(&facts, now());
        assert_eq!(
            failures(&checks),
            [
                format!(
                    "latest: source Checkout has seen revision f00dcafe1234 since; execution \
                     {EXECUTION} carries sha256:4f3c9e1a0b2d from it — the newer execution will \
                     ask for its own approval"
                ),
                "max_age: revision sha256:4f3c9e1a0b2d was created 88h ago, more than 72h".into(),
                "revision_id: revision sha256:4f3c9e1a0b2d matches no allow pattern \
                 (^[0-9a-f]{40}$)"
                    .into(),
                "commit_message: \"WIP: try\" matches deny pattern (?i)^wip".into(),
                "branches: source Checkout built branch feature/x, not main or release/*".into(),
            ]
        );
        let overrides: Vec<_> = checks.iter().map(|check| check.on_fail).collect();
        assert_eq!(
            overrides,
            [None, None, None, Some(FailAs::Abstain), None],
            "only the deny match carries on_match"
        );
    }

    #[test]
    fn given_no_facts_at_all_when_every_check_runs_then_none_passes() {
        let all = revisions(
            r#"{"latest": true, "max_age": "72h", "revision_id": {"deny": ["^0{40}$"]},
                "commit_message": {"deny": ["x"]}, "branches": ["*"], "artifacts": ["*"]}"#,
        );
        let empty = RevisionFacts::default();
        let unread = RevisionFacts {
            execution_id: EXECUTION.into(),
            trigger: None,
            ..RevisionFacts::default()
        };
        for facts in [empty, unread] {
            let checks = all.check_fixture(&facts, now());
            assert_eq!(checks.len(), 5, "{checks:#?}");
            assert!(checks.iter().all(|check| !check.passed), "{checks:#?}");
        }
    }

    #[test]
    fn given_any_single_field_missing_when_checked_then_no_check_passes_for_want_of_it() {
        let all = revisions(
            r#"{"latest": true, "max_age": "72h", "revision_id": {"deny": ["^0{40}$"]},
                "commit_message": {"deny": ["^DO NOT MERGE"]}, "branches": ["*"]}"#,
        );
        assert_all_pass(&all.check_fixture(&codecommit(), now()));
        type Strip = fn(&mut RevisionFacts);
        let strip: [(&str, Strip); 6] = [
            ("latest", |f| f.sources[0].current_revision = None),
            ("max_age", |f| {
                f.artifacts.as_mut().unwrap()[0].created = None
            }),
            ("revision_id", |f| {
                f.artifacts.as_mut().unwrap()[0].revision_id = None
            }),
            ("commit_message", |f| {
                f.artifacts.as_mut().unwrap()[0].revision_summary = None;
                f.source_variables.as_mut().unwrap()[0]
                    .variables
                    .remove("CommitMessage");
            }),
            ("branches", |f| {
                f.source_variables.as_mut().unwrap()[0]
                    .variables
                    .remove("BranchName");
            }),
            ("branches", |f| f.source_variables = None),
        ];
        for (check, strip) in strip {
            let mut facts = codecommit();
            strip(&mut facts);
            let results = all.check_fixture(&facts, now());
            let failed = results
                .iter()
                .find(|result| result.reason.starts_with(&format!("{check}: ")))
                .unwrap();
            assert!(!failed.passed, "{check}: {results:#?}");
        }
    }

    // --- evidence per source (each names the defect it guards against) ---

    const NEW_DIGEST: &str =
        "sha256:9999999999999999999999999999999999999999999999999999999999999999";

    fn run(
        action: &str,
        kind: ActionKind,
        outputs: &[&str],
        variables: &[(&str, &str)],
    ) -> ActionRecord {
        ActionRecord {
            execution_id: Some(EXECUTION.into()),
            stage: "Source".into(),
            action: action.into(),
            kind,
            status: ActionStatus::Succeeded,
            updated: None,
            output_artifacts: outputs.iter().map(|name| (*name).to_owned()).collect(),
            variables: vars(variables),
        }
    }

    fn artifact(name: &str, id: &str) -> ArtifactRevision {
        ArtifactRevision {
            name: name.into(),
            revision_id: Some(id.into()),
            revision_summary: None,
            created: Some(at("2026-11-26T07:00:00Z")),
        }
    }

    fn execution(artifacts: Vec<ArtifactRevision>, trigger: &str) -> ExecutionRecord {
        ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            artifacts,
            trigger: Some(trigger.into()),
        }
    }

    fn head(action: &str, current: Option<&str>) -> SourceHead {
        SourceHead {
            stage: "Source".into(),
            action: action.into(),
            current_revision: current.map(str::to_owned),
        }
    }

    #[test]
    fn given_two_images_of_one_repository_when_only_one_is_newest_then_latest_fails_for_the_other()
    {
        // App carries the new digest, Canary the old one; the canary tag has moved since,
        // so both sources now show the new digest.
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(
                vec![
                    artifact("AppImage", NEW_DIGEST),
                    artifact("CanaryImage", DIGEST),
                ],
                "CloudWatchEvent",
            ))
            .with_actions(vec![
                run(
                    "App",
                    ActionKind::Source,
                    &["AppImage"],
                    &[("ImageDigest", NEW_DIGEST)],
                ),
                run(
                    "Canary",
                    ActionKind::Source,
                    &["CanaryImage"],
                    &[("ImageDigest", DIGEST)],
                ),
            ]);
        let heads = [
            head("App", Some(NEW_DIGEST)),
            head("Canary", Some(NEW_DIGEST)),
        ];
        let checks = revisions(r#"{"latest": true}"#).check(&facts, &heads, now());
        assert_eq!(
            only_failure(&checks).reason,
            format!(
                "latest: source Canary has seen revision sha256:999999999999 since; execution \
                 {EXECUTION} carries sha256:4f3c9e1a0b2d from it — the newer execution will ask \
                 for its own approval"
            )
        );
    }

    #[test]
    fn given_a_carried_artifact_whose_source_shows_no_current_revision_then_latest_fails() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(
                vec![artifact("App", COMMIT), artifact("Lib", GITHUB_COMMIT)],
                "Webhook",
            ))
            .with_actions(vec![
                run(
                    "AppSource",
                    ActionKind::Source,
                    &["App"],
                    &[("CommitId", COMMIT)],
                ),
                run(
                    "LibSource",
                    ActionKind::Source,
                    &["Lib"],
                    &[("CommitId", GITHUB_COMMIT)],
                ),
            ]);
        let heads = [head("AppSource", Some(COMMIT))];
        let checks = revisions(r#"{"latest": true}"#).check(&facts, &heads, now());
        assert!(
            only_failure(&checks)
                .reason
                .starts_with("latest: source LibSource shows no current revision"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_source_that_did_not_run_in_the_execution_then_latest_fails() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
            .with_actions(vec![run("AppSource", ActionKind::Source, &["App"], &[])]);
        let heads = [
            head("AppSource", Some(COMMIT)),
            head("LibSource", Some(GITHUB_COMMIT)),
        ];
        let checks = revisions(r#"{"latest": true}"#).check(&facts, &heads, now());
        assert!(
            only_failure(&checks)
                .reason
                .starts_with("latest: source LibSource did not run in the execution"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_carried_artifact_without_source_record_then_branches_fails() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(
                vec![artifact("App", COMMIT), artifact("Lib", GITHUB_COMMIT)],
                "Webhook",
            ))
            .with_actions(vec![run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("BranchName", "main"), ("CommitId", COMMIT)],
            )]);
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now());
        assert!(
            only_failure(&checks).reason.starts_with(
                "branches: revision ddbe7ef25751 cannot be paired with the source action"
            ),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_source_record_of_unknown_kind_then_branches_and_latest_fail() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(
                vec![artifact("App", COMMIT), artifact("Lib", GITHUB_COMMIT)],
                "Webhook",
            ))
            .with_actions(vec![
                run(
                    "AppSource",
                    ActionKind::Source,
                    &["App"],
                    &[("BranchName", "main"), ("CommitId", COMMIT)],
                ),
                run(
                    "LibSource",
                    ActionKind::Unknown,
                    &[],
                    &[("BranchName", "feature/x"), ("CommitId", GITHUB_COMMIT)],
                ),
            ]);
        let heads = [
            head("AppSource", Some(COMMIT)),
            head("LibSource", Some(GITHUB_COMMIT)),
        ];
        let checks =
            revisions(r#"{"latest": true, "branches": ["main"]}"#).check(&facts, &heads, now());
        let failed = failures(&checks);
        assert_eq!(failed.len(), 2, "{checks:#?}");
        assert!(
            failed[0].contains("does not say what kind of action it is"),
            "{failed:?}"
        );
        assert!(
            failed[1].contains("does not say what kind of action it is"),
            "{failed:?}"
        );
    }

    #[test]
    fn given_a_retried_source_when_the_second_attempt_succeeded_then_that_attempt_counts() {
        let mut failed = run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "feature/x")],
        );
        failed.status = ActionStatus::Failed;
        failed.updated = Some(at("2026-11-26T06:00:00Z"));
        let mut succeeded = run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "main"), ("CommitId", COMMIT)],
        );
        succeeded.updated = Some(at("2026-11-26T06:10:00Z"));
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
            .with_actions(vec![succeeded, failed]);
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now());
        assert_all_pass(&checks);
    }

    #[test]
    fn given_an_execution_started_by_hand_then_branches_fails_as_unproven() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(
                vec![artifact("App", COMMIT)],
                "StartPipelineExecution",
            ))
            .with_actions(vec![run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("BranchName", "main"), ("CommitId", COMMIT)],
            )]);
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("chosen by its caller"),
            "{checks:#?}"
        );
        for trigger in [
            "PutActionRevision",
            "ManualRollback",
            "AutomatedRollback",
            "",
            "Future",
        ] {
            let facts = ExecutionFacts::about(EXECUTION)
                .with_execution(execution(vec![artifact("App", COMMIT)], trigger))
                .with_actions(vec![run(
                    "AppSource",
                    ActionKind::Source,
                    &["App"],
                    &[("BranchName", "main"), ("CommitId", COMMIT)],
                )]);
            let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now());
            assert_eq!(failures(&checks).len(), 1, "{trigger:?}: {checks:#?}");
        }
        let unknown = ExecutionFacts::about(EXECUTION)
            .with_execution(ExecutionRecord {
                trigger: None,
                ..execution(vec![artifact("App", COMMIT)], "")
            })
            .with_actions(Vec::new());
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&unknown, &[], now());
        assert!(
            only_failure(&checks).reason.contains("is unknown"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_revision_dated_in_the_future_then_max_age_passes_within_skew_and_fails_beyond() {
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2026-11-26T08:04:00Z"));
        assert_all_pass(&revisions(r#"{"max_age": "1h"}"#).check_fixture(&facts, now()));
        facts.artifacts.as_mut().unwrap()[0].created = Some(at("2027-11-26T08:00:00Z"));
        let checks = revisions(r#"{"max_age": "1h"}"#).check_fixture(&facts, now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("ahead of the gate's clock"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_summary_of_emoji_at_the_byte_cap_then_the_message_variable_is_used() {
        // 1,024 emoji are 1,024 characters but 2,048 UTF-16 units and 4,096 bytes: the
        // summary may have been cut, so the variable (which ends in the trailer) decides.
        let mut facts = codecommit();
        facts.artifacts.as_mut().unwrap()[0].revision_summary = Some("😀".repeat(1024));
        facts.source_variables.as_mut().unwrap()[0]
            .variables
            .insert(
                "CommitMessage".into(),
                format!("{} [skip auto-approve]", "😀".repeat(1024)),
            );
        let checks = revisions(DOCUMENTED).check_fixture(&facts, now());
        assert!(
            failures(&checks)
                .iter()
                .any(|reason| reason.starts_with("commit_message:")),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_retried_source_whose_attempts_built_different_commits_then_branches_fails() {
        // Attempt one built feature/x at the carried commit; attempt two built main at
        // another commit. The artifact is attempt one's.
        let mut first = run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "feature/x"), ("CommitId", COMMIT)],
        );
        first.updated = Some(at("2026-11-26T06:00:00Z"));
        let mut second = run(
            "AppSource",
            ActionKind::Source,
            &["App"],
            &[("BranchName", "main"), ("CommitId", NEWER_COMMIT)],
        );
        second.updated = Some(at("2026-11-26T06:10:00Z"));
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
            .with_actions(vec![first, second]);
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("reports another revision"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_an_artifact_name_carried_twice_then_the_revision_its_source_did_not_build_fails() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(
                vec![artifact("App", COMMIT), artifact("App", NEWER_COMMIT)],
                "Webhook",
            ))
            .with_actions(vec![run(
                "AppSource",
                ActionKind::Source,
                &["App"],
                &[("BranchName", "main"), ("CommitId", COMMIT)],
            )]);
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &[], now());
        assert!(
            only_failure(&checks)
                .reason
                .starts_with("branches: revision f00dcafe1234"),
            "{checks:#?}"
        );
    }

    #[test]
    fn given_a_source_of_the_state_whose_record_says_it_is_no_source_then_branches_fails() {
        let facts = ExecutionFacts::about(EXECUTION)
            .with_execution(execution(vec![artifact("App", COMMIT)], "Webhook"))
            .with_actions(vec![
                run(
                    "AppSource",
                    ActionKind::Source,
                    &["App"],
                    &[("BranchName", "main"), ("CommitId", COMMIT)],
                ),
                run(
                    "Feat",
                    ActionKind::Other,
                    &[],
                    &[("BranchName", "feature/x")],
                ),
            ]);
        let heads = [
            head("AppSource", Some(COMMIT)),
            head("Feat", Some(NEWER_COMMIT)),
        ];
        let checks = revisions(r#"{"branches": ["main"]}"#).check(&facts, &heads, now());
        assert!(
            only_failure(&checks)
                .reason
                .contains("source Feat has no source record"),
            "{checks:#?}"
        );
    }
}
