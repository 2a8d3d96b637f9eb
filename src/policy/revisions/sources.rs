//! The checks that follow each artifact back to the source action that produced it:
//! `latest` (every source at its newest revision) and `branches` (built from an allowed branch).

use super::Revisions;
use super::artifacts::{either, label, short_id};
use crate::evidence::{ExecutionFacts, SourceHead, SourceRun};
use crate::names::printable;
use crate::policy::Pattern;

/// Branch names are untrusted too, though git keeps them shorter and tamer than messages.
const BRANCH_QUOTE_CHARS: usize = 60;

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

impl Revisions {
    /// Every artifact in scope must come from a source action that ran in the execution
    /// and reports a branch that fits; on success, what each source built. An execution
    /// started by hand may carry a source revision override (a commit from any branch
    /// while `BranchName` still names the configured one), so its branch is unproven.
    pub(super) fn check_branches(
        &self,
        branches: &[Pattern],
        facts: &ExecutionFacts,
        heads: &[SourceHead],
    ) -> Result<Vec<String>, Vec<String>> {
        let artifacts = self
            .artifacts_in_scope("branches", facts)
            .map_err(|failure| vec![failure])?;
        let execution = facts.execution();
        match facts.trigger() {
            Some(trigger) if HEAD_OF_BRANCH_TRIGGERS.contains(&trigger) => {}
            Some(trigger) => {
                return Err(vec![format!(
                    "branches: execution {execution} was started by {}, which can carry a \
                     revision chosen by its caller from any branch, so the branch it built \
                     is unproven",
                    printable(trigger, 40)
                )]);
            }
            None => {
                return Err(vec![format!(
                    "branches: how execution {execution} was started is unknown, so it may \
                     carry a revision chosen from any branch"
                )]);
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
                failures.push(format!(
                    "branches: source {} has no source record in execution {execution}, so \
                     the branch it built is unproven",
                    printable(&head.action, 100)
                ));
            }
        }
        for source in unpaired_sources {
            let action = printable(source.action(), 100);
            if !source.classified() {
                failures.push(format!(
                    "branches: action {action} ran in execution {execution}, but its record \
                     does not say what kind of action it is"
                ));
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
                Some(branch) if source.succeeded() => failures.push(format!(
                    "branches: source {action} built branch {}, not {}",
                    printable(branch, BRANCH_QUOTE_CHARS),
                    either(branches)
                )),
                Some(_) => failures.push(format!(
                    "branches: source {action} shows no successful run in execution {execution}"
                )),
                None => failures.push(format!(
                    "branches: source {action} reports no branch (no BranchName output \
                     variable; S3 and ECR sources have none)"
                )),
            }
        }
        for artifact in artifacts {
            let source = match facts.producer(artifact) {
                Ok(source) if source.classified() && source.succeeded() => source,
                Ok(source) => {
                    failures.push(format!(
                        "branches: {} comes from action {}, whose record in execution \
                         {execution} {}",
                        label(artifact),
                        printable(source.action(), 100),
                        if source.classified() {
                            "shows no successful run"
                        } else {
                            "does not say what kind of action it is"
                        }
                    ));
                    continue;
                }
                Err(unpaired) => {
                    failures.push(format!(
                        "branches: {} cannot be paired with the source action that built \
                         it: {unpaired}",
                        label(artifact)
                    ));
                    continue;
                }
            };
            let action = printable(source.action(), 100);
            match source.variable("BranchName") {
                None => failures.push(format!(
                    "branches: source {action} reports no branch (no BranchName output \
                     variable; S3 and ECR sources have none)"
                )),
                Some(branch) if !branches.iter().any(|glob| glob.matches(branch)) => {
                    failures.push(format!(
                        "branches: source {action} built branch {}, not {}",
                        printable(branch, BRANCH_QUOTE_CHARS),
                        either(branches)
                    ));
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
}

/// Source by source, the revision the execution carries must be the newest the source
/// has seen. Every artifact must be paired with the source action that produced it in
/// this execution, every such source must show a current revision, and every source that
/// shows one must have run in the execution: what cannot be accounted for fails. A source
/// that has seen a newer revision means a newer execution is on its way, and that one
/// will ask for its own approval; approving this one would ship code already superseded.
pub(super) fn check_latest(facts: &ExecutionFacts, heads: &[SourceHead]) -> Vec<String> {
    let execution = facts.execution();
    let unconfirmed = format!("so execution {execution} cannot be confirmed as the newest");
    let Some(artifacts) = facts.artifacts() else {
        return vec![format!(
            "latest: the revisions of execution {execution} could not be read"
        )];
    };
    if artifacts.is_empty() {
        return vec![format!(
            "latest: execution {execution} carries no artifact revisions, {unconfirmed}"
        )];
    }
    let Some(sources) = facts.sources() else {
        return vec![format!(
            "latest: the action executions of execution {execution} could not be read, \
             {unconfirmed}"
        )];
    };
    let mut failures = Vec::new();
    let mut accounted: Vec<SourceRun<'_>> = Vec::new();
    for artifact in artifacts {
        let name = printable(&artifact.name, 100);
        let source = match facts.producer(artifact) {
            Ok(source) => source,
            Err(unpaired) => {
                failures.push(format!(
                    "latest: artifact {name} cannot be paired with a source action: \
                     {unpaired}, {unconfirmed}"
                ));
                continue;
            }
        };
        accounted.push(source);
        let action = printable(source.action(), 100);
        if !source.succeeded() {
            failures.push(format!(
                "latest: artifact {name} comes from action {action}, which shows no \
                 successful run in the execution, {unconfirmed}"
            ));
            continue;
        }
        if !source.classified() {
            failures.push(format!(
                "latest: artifact {name} comes from action {action}, whose record does not \
                 say what kind of action it is, {unconfirmed}"
            ));
            continue;
        }
        let Some(carried) = artifact.revision_id.as_deref() else {
            failures.push(format!(
                "latest: artifact {name} has no revision id, {unconfirmed}"
            ));
            continue;
        };
        let head = heads.iter().find(|head| head.is(&source));
        match head.and_then(|head| head.current_revision.as_deref()) {
            None => failures.push(format!(
                "latest: source {action} shows no current revision in the pipeline state, \
                 {unconfirmed}"
            )),
            Some(current) if current != carried => failures.push(format!(
                "latest: source {action} has seen revision {} since; execution {execution} \
                 carries {} from it — the newer execution will ask for its own approval",
                short_id(current),
                short_id(carried)
            )),
            Some(_) => {}
        }
    }
    for source in &sources {
        let paired = accounted
            .iter()
            .any(|other| other.action() == source.action() && other.stage() == source.stage());
        if !paired {
            failures.push(format!(
                "latest: action {} ran in the execution as a {} but produced no artifact that \
                 the execution carries, {unconfirmed}",
                printable(source.action(), 100),
                if source.classified() {
                    "source"
                } else {
                    "possible source (its record does not say what kind of action it is)"
                }
            ));
        }
    }
    for head in heads {
        let ran = sources.iter().any(|source| head.is(source));
        if !ran {
            failures.push(format!(
                "latest: source {} did not run in the execution, {unconfirmed}",
                printable(&head.action, 100)
            ));
        }
    }
    failures
}
