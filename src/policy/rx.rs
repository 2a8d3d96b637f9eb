//! The regular expressions a policy holds (revision ids, commit messages, variable values):
//! one engine and one size limit for all. Its globs (branch and artifact names) are
//! [`crate::policy::Pattern`]s.

use std::fmt;

use regex::{Regex, RegexBuilder};

/// A compiled pattern may use at most this much memory: policies are trusted, but a typo
/// such as `\w{1000}{1000}` should be refused at load time rather than exhaust the function.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A regular expression together with the text it was written as, for reasons.
#[derive(Clone)]
pub struct Rx {
    text: String,
    pub(crate) regex: Regex,
}

impl Rx {
    pub(crate) fn parse(text: String) -> Result<Self, String> {
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

    /// A pattern the whole text must match (as Java's `String.matches`), not only a part:
    /// `\A(?:pattern)\z`, compiled with the same engine and limit as [`Rx::parse`]. It may
    /// match the empty text: what it is matched against is one value, not a search.
    ///
    /// The pattern must compile on its own (so its groups are balanced and cannot close the
    /// anchoring group early), and may not turn on verbose mode (`x`), whose comments run
    /// to the end of the line and would swallow the closing anchor.
    pub(crate) fn whole(text: String) -> Result<Self, String> {
        if text.is_empty() {
            return Err("an empty pattern: write the value it must match".into());
        }
        let compile = |pattern: &str| {
            RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|error| format!("invalid regular expression: {}", one_line(&error)))
        };
        compile(&text)?;
        if turns_on_verbose_mode(&text) {
            return Err("verbose mode ((?x)) is not supported here".into());
        }
        if has_possessive_quantifier(&text) {
            return Err(
                "a possessive quantifier (*+, ++, ?+, {n}+) is not supported: write a plain one"
                    .into(),
            );
        }
        let regex = compile(&format!("\\A(?:{text})\\z"))?;
        Ok(Self { text, regex })
    }
}

/// Whether `text` has a quantifier followed by `+`, outside a character class and not
/// escaped: Java reads `a*+` as possessive (it never gives characters back); this engine
/// reads it as a repetition of a repetition, which matches more, so a pattern moved over
/// from CodePipeline would pass values it refused there.
fn has_possessive_quantifier(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    let mut class_depth = 0usize;
    let mut after_quantifier = false;
    while let Some(c) = chars.next() {
        let quantifier = match c {
            '\\' => {
                // `\p{L}`, `\P{Lu}`, `\x{41}`: the braces are the escape's, no repetition.
                if chars.next().is_some_and(|c| matches!(c, 'p' | 'P' | 'x'))
                    && chars.peek() == Some(&'{')
                {
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                    }
                }
                false
            }
            '[' => {
                class_depth += 1;
                // `[]…]` and `[^]…]`: a `]` first in a class is one of its characters.
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                false
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                false
            }
            _ if class_depth > 0 => false,
            '+' if after_quantifier => return true,
            '*' | '+' | '?' | '}' => true,
            _ => false,
        };
        after_quantifier = quantifier;
    }
    false
}

/// Whether a `(?flags)` or `(?flags:` group in `text` turns on `x`. Errs on the side of
/// refusing: an escaped `\(?x)` is read as a flag group too.
fn turns_on_verbose_mode(text: &str) -> bool {
    text.split("(?").skip(1).any(|rest| {
        let flags = rest.split([')', ':']).next().unwrap_or_default();
        flags.chars().all(|c| "imsuxRU-".contains(c))
            && flags.split('-').next().unwrap_or_default().contains('x')
    })
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
