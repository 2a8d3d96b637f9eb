//! Unit tests of the revision checks: shared fixtures here, one file per topic.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::*;
use crate::check::{Check, Severity};
use crate::evidence::{ExecutionFacts, SourceHead};
use crate::fixtures::{self, at};
use crate::pipeline::{ActionKind, ActionRecord, ActionStatus, ArtifactRevision, ExecutionRecord};
use crate::policy::PolicyError;

mod checks;
mod evidence;
mod loading;
mod scope;

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
                variables: Vec::new(),
                execution_id: Some(id.to_owned()),
                artifacts: artifacts.clone(),
                trigger: Some(self.trigger.clone().unwrap_or_else(|| "Webhook".into())),
                status: crate::pipeline::ExecutionStatus::InProgress,
            });
        }
        if let Some(sources) = &self.source_variables {
            facts = facts.with_actions(
                sources
                    .iter()
                    .map(|source| ActionRecord {
                        kind: ActionKind::Source,
                        variables: source.variables.clone(),
                        ..fixtures::record(id, "Source", &source.action, ActionStatus::Succeeded)
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
    fn check_fixture(&self, facts: &RevisionFacts, now: Timestamp) -> Vec<Check> {
        let (facts, heads) = facts.evidence();
        self.check(&facts, &heads, now, RULE_ON_FAIL)
    }
}

const AT: &str = "rules[0].revisions";
/// The rule's `on_fail` the fixtures check under: not the default, so that a failure
/// that follows it is told apart from one that carries its own answer.
const RULE_ON_FAIL: Severity = Severity::Reject;
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
    let document: RevisionsDocument =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
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

fn failures(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|check| !check.passed())
        .map(|check| check.reason.as_str())
        .collect()
}

fn assert_all_pass(checks: &[Check]) {
    assert!(!checks.is_empty());
    assert!(failures(checks).is_empty(), "{checks:#?}");
}

fn only_failure(checks: &[Check]) -> &Check {
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert!(!checks[0].passed(), "{checks:#?}");
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
