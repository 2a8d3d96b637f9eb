//! The regular expressions a `revisions` object holds, for revision ids and commit
//! messages; its globs (branch and artifact names) are [`crate::policy::Pattern`]s.

use std::fmt;

use regex::{Regex, RegexBuilder};

/// A compiled pattern may use at most this much memory: policies are trusted, but a typo
/// such as `\w{1000}{1000}` should be refused at load time rather than exhaust the function.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A regular expression together with the text it was written as, for reasons.
#[derive(Clone)]
pub(super) struct Rx {
    text: String,
    pub(super) regex: Regex,
}

impl Rx {
    pub(super) fn parse(text: String) -> Result<Self, String> {
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
