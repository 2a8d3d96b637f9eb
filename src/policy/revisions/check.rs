//! Evaluation: running the configured checks against the facts of one execution.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::artifacts::{either, label, quote, short_id};
use super::max_age::MaxAge;
use super::sources::check_latest;
use super::{CommitMessageCheck, RevisionIdCheck, Revisions};
use crate::check::{Check, Severity};
use crate::evidence::{ExecutionFacts, SourceHead};
use crate::names::printable;
use crate::pipeline::ArtifactRevision;

/// Quoted commit messages are untrusted and end up in a 512-character approval summary.
pub(super) const MESSAGE_QUOTE_CHARS: usize = 80;

/// Commit dates are written by whoever pushes; a revision dated further ahead than this
/// is not trusted to be new.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

impl Revisions {
    /// Runs every configured check. A check that passes yields one passing entry; a check
    /// that fails yields one failing entry per problem, so every problem is reported. A
    /// failure asks for the rule's `on_fail`, except a commit message matching a deny
    /// pattern, which asks for `on_match` when it is set.
    pub fn check(
        &self,
        facts: &ExecutionFacts,
        heads: &[SourceHead],
        now: Timestamp,
        on_fail: Severity,
    ) -> Vec<Check> {
        let mut checks = Vec::new();
        if self.latest {
            checks.extend(passed_unless(check_latest(facts, heads), on_fail, || {
                "latest: every source is at its newest revision".into()
            }));
        }
        if let Some(max_age) = &self.max_age {
            checks.extend(passed_unless(
                self.check_max_age(max_age, facts, now),
                on_fail,
                || format!("max_age: every revision was created within the last {max_age}"),
            ));
        }
        if let Some(revision_id) = &self.revision_id {
            checks.extend(passed_unless(
                self.check_revision_id(revision_id, facts),
                on_fail,
                || "revision_id: every revision id is allowed".into(),
            ));
        }
        if let Some(commit_message) = &self.commit_message {
            let failures = self.check_commit_message(commit_message, facts, on_fail);
            if failures.is_empty() {
                checks.push(Check::pass(commit_message.passed()));
            }
            checks.extend(failures);
        }
        if let Some(branches) = &self.branches {
            match self.check_branches(branches, facts, heads) {
                Ok(built) => checks.push(Check::pass(format!("branches: {}", built.join(", ")))),
                Err(failures) => checks.extend(failed(failures, on_fail)),
            }
        }
        checks
    }

    fn check_max_age(
        &self,
        max_age: &MaxAge,
        facts: &ExecutionFacts,
        now: Timestamp,
    ) -> Vec<String> {
        let artifacts = match self.artifacts_in_scope("max_age", facts) {
            Ok(artifacts) => artifacts,
            Err(failure) => return vec![failure],
        };
        artifacts
            .into_iter()
            .filter_map(|artifact| {
                let Some(created) = artifact.created else {
                    return Some(format!(
                        "max_age: {} has no creation time, so its age is unknown",
                        label(artifact)
                    ));
                };
                let age = now.duration_since(created);
                if age < -CLOCK_SKEW {
                    return Some(format!(
                        "max_age: {} is dated {created}, more than {} minutes ahead of the \
                         gate's clock, so its age is unknown",
                        label(artifact),
                        CLOCK_SKEW.as_mins()
                    ));
                }
                (age > SignedDuration::from_secs(max_age.seconds)).then(|| {
                    format!(
                        "max_age: {} was created {} ago, more than {max_age}",
                        label(artifact),
                        max_age.unit.format_above(age)
                    )
                })
            })
            .collect()
    }

    fn check_revision_id(&self, check: &RevisionIdCheck, facts: &ExecutionFacts) -> Vec<String> {
        let artifacts = match self.artifacts_in_scope("revision_id", facts) {
            Ok(artifacts) => artifacts,
            Err(failure) => return vec![failure],
        };
        let mut failures = Vec::new();
        for artifact in artifacts {
            let Some(id) = artifact.revision_id.as_deref() else {
                failures.push(format!(
                    "revision_id: {} has no revision id",
                    label(artifact)
                ));
                continue;
            };
            if !check.allow.is_empty() && !check.allow.iter().any(|rx| rx.regex.is_match(id)) {
                failures.push(format!(
                    "revision_id: revision {} matches no allow pattern ({})",
                    short_id(id),
                    either(&check.allow)
                ));
            }
            if let Some(rx) = check.deny.iter().find(|rx| rx.regex.is_match(id)) {
                failures.push(format!(
                    "revision_id: revision {} matches deny pattern {rx}",
                    short_id(id)
                ));
            }
        }
        failures
    }

    fn check_commit_message(
        &self,
        check: &CommitMessageCheck,
        facts: &ExecutionFacts,
        on_fail: Severity,
    ) -> Vec<Check> {
        let artifacts = match self.artifacts_in_scope("commit_message", facts) {
            Ok(artifacts) => artifacts,
            Err(failure) => return vec![Check::fail(on_fail, failure)],
        };
        let mut failures = Vec::new();
        for artifact in artifacts {
            let message = match commit_message(artifact, facts) {
                Ok(message) => message,
                Err(failure) => {
                    failures.push(Check::fail(on_fail, failure));
                    continue;
                }
            };
            if let Some(rx) = check.deny.iter().find(|rx| rx.regex.is_match(&message)) {
                failures.push(Check::fail(
                    check.on_match.unwrap_or(on_fail),
                    format!(
                        "commit_message: {} matches deny pattern {rx}",
                        quote(&message, MESSAGE_QUOTE_CHARS)
                    ),
                ));
            }
            for rx in check
                .require
                .iter()
                .filter(|rx| !rx.regex.is_match(&message))
            {
                failures.push(Check::fail(
                    on_fail,
                    format!(
                        "commit_message: {} does not match required pattern {rx}",
                        quote(&message, MESSAGE_QUOTE_CHARS)
                    ),
                ));
            }
        }
        failures
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

/// A check's failures, each asking for `severity`, or one passing entry when there are none.
fn passed_unless(
    failures: Vec<String>,
    severity: Severity,
    passed: impl FnOnce() -> String,
) -> Vec<Check> {
    if failures.is_empty() {
        vec![Check::pass(passed())]
    } else {
        failed(failures, severity)
    }
}

fn failed(failures: Vec<String>, severity: Severity) -> Vec<Check> {
    failures
        .into_iter()
        .map(|reason| Check::fail(severity, reason))
        .collect()
}

/// The commit message of a revision. CodeCommit and GitHub (version 1) put it in the
/// revision summary; CodeStar connections wrap it as `{"ProviderType":..,"CommitMessage":..}`;
/// S3 puts there whatever the uploader set as `codepipeline-artifact-revision-summary`
/// metadata. A summary that looks like JSON but does not yield a `CommitMessage` (the API
/// cuts summaries at 2048 characters) is never matched as text: deny patterns would then
/// test the wrapper instead of the message. The `CommitMessage` output variable of the
/// source action that produced the artifact is the fallback.
fn commit_message(artifact: &ArtifactRevision, facts: &ExecutionFacts) -> Result<String, String> {
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
                format!(
                    "commit_message: {} has no commit message in its summary or output \
                     variables (S3 and ECR sources carry none)",
                    label(artifact)
                )
            }),
        Ok(source) => Err(format!(
            "commit_message: {} has no commit message in its summary, and action {} does \
             not say what kind of action it is",
            label(artifact),
            printable(source.action(), 100)
        )),
        Err(unpaired) => Err(format!(
            "commit_message: {} has no commit message in its summary, and its source \
             action's variables cannot be used: {unpaired}",
            label(artifact)
        )),
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
