//! Placeholder replaced by the revision-check implementation.
use std::collections::BTreeMap;

use serde::Deserialize;

use super::PolicyError;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RevisionFacts {
    pub execution_id: String,
    pub artifacts: Option<Vec<ArtifactRevision>>,
    pub sources: Vec<SourceState>,
    pub source_variables: Option<Vec<SourceVariables>>,
}
#[derive(Clone, Debug, PartialEq)]
pub struct ArtifactRevision {
    pub name: String,
    pub revision_id: Option<String>,
    pub revision_summary: Option<String>,
    pub created: Option<jiff::Timestamp>,
}
#[derive(Clone, Debug, PartialEq)]
pub struct SourceState {
    pub action: String,
    pub current_revision: Option<String>,
}
#[derive(Clone, Debug, PartialEq)]
pub struct SourceVariables {
    pub action: String,
    pub variables: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionsDocument {
    latest: bool,
}
#[derive(Clone, Debug)]
pub struct Revisions {
    latest: bool,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    pub execution: bool,
    pub action_executions: bool,
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionCheck {
    pub passed: bool,
    pub reason: String,
    pub on_fail: Option<FailAs>,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailAs {
    Reject,
    Abstain,
}
impl Revisions {
    pub fn from_document(document: RevisionsDocument, _at: &str) -> Result<Self, PolicyError> {
        Ok(Self {
            latest: document.latest,
        })
    }
    pub fn needs(&self) -> Needs {
        Needs {
            execution: self.latest,
            action_executions: true,
        }
    }
    pub fn check(&self, _facts: &RevisionFacts, _now: jiff::Timestamp) -> Vec<RevisionCheck> {
        vec![RevisionCheck {
            passed: false,
            reason: "revision checks are not available".into(),
            on_fail: Some(FailAs::Abstain),
        }]
    }
}
