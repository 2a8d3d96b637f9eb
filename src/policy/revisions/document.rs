//! Reading a rule's `revisions` object as written into a validated [`Revisions`]: every
//! pattern compiled, every list non-empty, and no check that could never fail or pass.

use serde::Deserialize;

use super::max_age::MaxAge;
use super::{CommitMessageCheck, RevisionIdCheck, Revisions};
use crate::check::Severity;
use crate::policy::Pattern;
use crate::policy::PolicyError;
use crate::policy::rx::Rx;

/// The `revisions` object of a rule, as written.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RevisionsDocument {
    #[serde(default, deserialize_with = "crate::policy::not_null")]
    latest: bool,
    /// A whole number and a unit: "90m", "72h", "14d" (at most 365d).
    #[serde(default, deserialize_with = "crate::policy::present")]
    #[cfg_attr(feature = "cli", schemars(regex(pattern = "^[0-9]+[mhd]$")))]
    max_age: Option<String>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    revision_id: Option<RevisionIdDocument>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    commit_message: Option<CommitMessageDocument>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    branches: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    artifacts: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct RevisionIdDocument {
    #[serde(default, deserialize_with = "crate::policy::present")]
    allow: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    deny: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct CommitMessageDocument {
    #[serde(default, deserialize_with = "crate::policy::present")]
    deny: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::policy::present")]
    require: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::policy::final_answer_present")]
    #[cfg_attr(feature = "cli", schemars(with = "Option<crate::policy::FinalAnswer>"))]
    on_match: Option<Severity>,
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
) -> Result<Vec<Pattern>, PolicyError> {
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
            Ok(Pattern::unchecked(text))
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
