//! Which artifact revisions a scoped check applies to, and how reasons name them.

use std::fmt;

use super::Revisions;
use crate::evidence::ExecutionFacts;
use crate::names::printable;
use crate::pipeline::ArtifactRevision;
use crate::policy::Pattern;

impl Revisions {
    /// The artifact revisions the scoped checks apply to: all of them, or those `artifacts`
    /// selects by artifact name or by the name of the source action that produced them.
    /// An artifact that cannot be paired with a source action stays in scope, so a selector
    /// never skips a revision for lack of data.
    pub(super) fn artifacts_in_scope<'a>(
        &self,
        check: &str,
        facts: &'a ExecutionFacts,
    ) -> Result<Vec<&'a ArtifactRevision>, String> {
        let execution = facts.execution();
        let Some(artifacts) = facts.artifacts() else {
            return Err(format!(
                "{check}: the revisions of execution {execution} could not be read"
            ));
        };
        if artifacts.is_empty() {
            return Err(format!(
                "{check}: execution {execution} carries no artifact revisions"
            ));
        }
        let Some(selector) = &self.artifacts else {
            return Ok(artifacts.iter().collect());
        };
        if !facts.actions_read() {
            return Err(format!(
                "{check}: the action executions of execution {execution} could not be read, \
                 so artifacts cannot be applied"
            ));
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
            return Err(format!(
                "{check}: no artifact of execution {execution} matches artifacts {}",
                either(selector)
            ));
        }
        Ok(selected)
    }
}

fn selects(selector: &[Pattern], name: &str) -> bool {
    selector.iter().any(|glob| glob.matches(name))
}

/// How a reason names a revision: by its short id, or by its artifact when it has none.
pub(super) fn label(artifact: &ArtifactRevision) -> String {
    match artifact.revision_id.as_deref() {
        Some(id) => format!("revision {}", short_id(id)),
        None => format!("artifact {}", printable(&artifact.name, usize::MAX)),
    }
}

/// Twelve characters tell revisions apart in a reason; an image digest keeps its
/// `sha256:` prefix so it still reads as one.
pub(super) fn short_id(id: &str) -> String {
    let (prefix, rest) = match id.strip_prefix("sha256:") {
        Some(rest) => ("sha256:", rest),
        None => ("", id),
    };
    let rest: String = printable(rest, usize::MAX).chars().take(12).collect();
    format!("{prefix}{rest}")
}

pub(super) fn quote(text: &str, max: usize) -> String {
    format!("\"{}\"", printable(text, max))
}

/// `a`, `a or b`: how a reason lists the patterns that did not match.
pub(super) fn either<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}
