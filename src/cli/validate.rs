//! `validate`: the function's own parser and validation over policy files. The parser stops
//! at the first error of a file, so each invalid file reports one error, with its place.

use serde::Serialize;

use crate::policy::Policy;

/// What validating one file found.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub file: String,
    /// The place in the policy, e.g. `rules[2].windows.allow[0].from`; `(file)` when the
    /// file could not be read.
    pub path: String,
    pub message: String,
}

/// The problems of one policy text; empty when it is valid.
pub fn check(file: &str, text: &str) -> Vec<Finding> {
    match Policy::from_json(text) {
        Ok(_) => Vec::new(),
        Err(error) => vec![Finding {
            file: file.to_owned(),
            path: error.path,
            message: error.message,
        }],
    }
}

/// The findings as lines for a terminal or a CI log: `FILE: PATH: MESSAGE`.
pub fn text(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|finding| format!("{}: {}: {}\n", finding.file, finding.path, finding.message))
        .collect()
}

/// The findings as one JSON document, for CI annotations:
/// `{"valid": false, "errors": [{"file", "path", "message"}]}`.
pub fn json(findings: &[Finding]) -> String {
    serde_json::json!({ "valid": findings.is_empty(), "errors": findings }).to_string()
}
