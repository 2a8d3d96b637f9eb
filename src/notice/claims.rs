//! What a notice's `customData` claims about the execution it was sent for.
//!
//! A pipeline's author can write CodePipeline variables into the approval action's custom
//! data; the gate reads them back as claims and checks them against the live state. The
//! text is untrusted and free-form, so reading errs towards "cannot read": a claim the gate
//! cannot read cannot be checked, and a claim that quotes the approval token is never kept.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::names::{between, split_at_char};

/// The keys a claim is made under, matched as a word and case-insensitively.
const KEYS: [(&str, Slot); 4] = [
    ("PipelineExecutionId", Slot::Execution),
    ("ExecutionId", Slot::Execution),
    ("CommitId", Slot::Commit),
    ("RevisionId", Slot::Commit),
];

/// The longest value read as a claim: S3 version ids, the longest revision ids, have at
/// most 1,024 bytes.
const VALUE_MAX_BYTES: usize = 1024;

/// A short commit id shorter than this could name many commits (git's own default).
const SHORT_COMMIT_MIN: usize = 7;

/// A value at least this long that the token contains is a piece of the token.
const TOKEN_PIECE_MIN: usize = 8;

/// What the pipeline's author wrote into `customData` about the execution, with
/// CodePipeline variables such as
/// `PipelineExecutionId=#{codepipeline.PipelineExecutionId} CommitId=#{SourceVariables.CommitId}`.
/// The gate checks these against the live state; they never replace it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub execution_id: Option<String>,
    /// A commit or other revision id; of a short and a full id of the same commit, the full
    /// one.
    pub commit_id: Option<String>,
    /// The same claim was made twice with different values: nothing can be trusted.
    pub conflicting: bool,
    /// The notice makes a claim the gate cannot read (a key with no value, or a value that
    /// is no id), so it cannot be checked: the gate leaves the approval to a human.
    pub unreadable: bool,
    /// A claim's value quotes the approval token (or a piece of it). The value is not kept,
    /// so the gate cannot repeat it anywhere; the gate leaves the approval to a human
    /// without quoting the claim.
    pub quotes_token: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Execution,
    Commit,
}

impl Claims {
    /// Reads the claims of `text`. The shapes, with case-insensitive keys:
    /// `Key=value` and `Key: value` (spaces around `=` or `:` allowed, on one line),
    /// markdown such as `**Key**: value` or `` `Key`: `value` ``, and a JSON object, also
    /// one with other keys (`{"PipelineExecutionId": "…", "note": "…"}`). Quotes, backticks
    /// and asterisks around a value and punctuation after it are not part of it. An
    /// unresolved variable (`#{...}` left as is) is no claim.
    pub fn parse(text: &str) -> Self {
        Self::read(text, None)
    }

    /// As [`Claims::parse`], and drops every value that quotes `token`.
    pub(super) fn read(text: &str, token: Option<&str>) -> Self {
        let fresh = || Reader {
            claims: Self::default(),
            token: token.filter(|token| !token.is_empty()),
            unreadable: Vec::new(),
            quoting: Vec::new(),
        };
        let mut reader = fresh();
        let walked = text.trim_start().starts_with('{') && {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            Walk(&mut reader)
                .deserialize(&mut deserializer)
                .and_then(|()| deserializer.end())
                .is_ok()
        };
        if !walked {
            // Not a JSON object after all: what the walk read so far is forgotten.
            reader = fresh();
            reader.text(text);
        }
        // One line a notice, naming keys only: the text is untrusted, and may be long.
        if !reader.unreadable.is_empty() {
            tracing::warn!(
                keys = ?reader.unreadable,
                "customData names a claim without a readable value, so it cannot be checked; \
                 the approval is left to a human"
            );
        }
        if !reader.quoting.is_empty() {
            tracing::warn!(
                keys = ?reader.quoting,
                "a customData claim quotes the approval token; it is not kept, and the \
                 approval is left to a human"
            );
        }
        reader.claims
    }
}

struct Reader<'t> {
    claims: Claims,
    token: Option<&'t str>,
    /// The keys that had no readable value, and that quoted the token (for the log).
    unreadable: Vec<&'static str>,
    quoting: Vec<&'static str>,
}

impl Reader<'_> {
    fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if bytes.get(at..).is_some_and(|rest| rest.starts_with(b"#{")) {
                at = after_variable(text, at);
            } else if let Some((name, slot)) = key_at(bytes, at) {
                at = self.claim_after(text, at + name.len(), name, slot);
            } else {
                at += 1;
            }
        }
    }

    /// Reads the separator and value after a key that ends at `at`; returns where to go on.
    /// Only a known key takes a value, so that prose ("Note: CommitId=abc") cannot swallow
    /// a claim.
    fn claim_after(&mut self, text: &str, at: usize, name: &'static str, slot: Slot) -> usize {
        // `**CommitId**: `, `"CommitId": `, `CommitId = `, `**CommitId:** `.
        let rest = split_at_char(text, at)
            .1
            .trim_start_matches(|c| is_decoration(c) || is_blank(c));
        let Some(rest) = rest.strip_prefix(['=', ':']) else {
            self.cannot_read(name);
            return at;
        };
        let rest = rest.trim_start_matches(|c| is_decoration(c) || is_blank(c));
        let start = text.len() - rest.len();
        if rest.is_empty() || key_at(text.as_bytes(), start).is_some() {
            // `CommitId: ExecutionId=…`: the next key is read on its own.
            self.cannot_read(name);
            return start;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map_or(text.len(), |length| start + length);
        let value = between(text, start, end);
        self.value(name, slot, value);
        match value.find("#{") {
            // An unresolved variable may hold a key: skip all of it.
            Some(variable) => after_variable(text, start + variable).max(end),
            None => end,
        }
    }

    fn value(&mut self, name: &'static str, slot: Slot, raw: &str) {
        let value = raw
            .trim()
            .trim_start_matches(is_decoration)
            .trim_end_matches(|c| {
                is_decoration(c) || matches!(c, ',' | ';' | '.' | ':' | '!' | '?' | ')' | ']' | '}')
            });
        if self.token.is_some_and(|token| quotes(value, token)) {
            self.claims.quotes_token = true;
            if !self.quoting.contains(&name) {
                self.quoting.push(name);
            }
        } else if value.contains("#{") {
            // An unresolved variable is no claim.
        } else if !is_identifier(value) {
            self.cannot_read(name);
        } else {
            self.keep(slot, value);
        }
    }

    fn keep(&mut self, slot: Slot, value: &str) {
        let kept = match slot {
            Slot::Execution => &mut self.claims.execution_id,
            Slot::Commit => &mut self.claims.commit_id,
        };
        match kept {
            None => *kept = Some(value.to_owned()),
            Some(earlier) => match agreeing(slot, earlier, value) {
                Some(longer) => *earlier = longer.to_owned(),
                None => self.claims.conflicting = true,
            },
        }
    }

    fn cannot_read(&mut self, name: &'static str) {
        self.claims.unreadable = true;
        if !self.unreadable.contains(&name) {
            self.unreadable.push(name);
        }
    }
}

/// Walks a JSON document entry by entry, so that a key given twice is read twice (a map
/// would keep one of them and hide the conflict). Known keys take a string; other keys'
/// string values are read as text.
struct Walk<'a, 't>(&'a mut Reader<'t>);

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match known_key(key.trim()) {
                Some((name, slot)) => match map.next_value::<Value>()? {
                    Value::String(text) => self.0.value(name, slot, &text),
                    _ => self.0.cannot_read(name),
                },
                None => {
                    // A key such as "Source.CommitId" means a claim the gate does not know
                    // how to read.
                    if let Some(name) = first_key_in(&key) {
                        self.0.cannot_read(name);
                    }
                    map.next_value_seed(Walk(&mut *self.0))?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element_seed(Walk(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_str<E>(self, text: &str) -> Result<(), E> {
        self.0.text(text);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// The value to keep when two claims of the same kind agree, `None` when they do not.
/// Execution ids agree when equal; commit ids also when both are hex and the shorter, of at
/// least 7 characters, is a prefix of the longer (`9f2c1e7` and `9f2c1e7a…`).
fn agreeing<'a>(slot: Slot, earlier: &'a str, value: &'a str) -> Option<&'a str> {
    if earlier == value {
        return Some(earlier);
    }
    if slot == Slot::Execution {
        return None;
    }
    let is_hex = |text: &str| text.bytes().all(|b| b.is_ascii_hexdigit());
    let (shorter, longer) = if earlier.len() <= value.len() {
        (earlier, value)
    } else {
        (value, earlier)
    };
    let prefix = shorter.len() >= SHORT_COMMIT_MIN
        && is_hex(shorter)
        && is_hex(longer)
        && longer
            .as_bytes()
            .get(..shorter.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(shorter.as_bytes()));
    // Of two that differ only in case, the earlier is kept.
    prefix.then_some(if shorter.len() == longer.len() {
        earlier
    } else {
        longer
    })
}

/// Whether `value` quotes the token: it contains the token, or is a piece of it long
/// enough to matter, compared ASCII-case-insensitively; or it holds what redaction hides
/// anywhere (the token without its dashes, 8 of its letters or digits in a row).
fn quotes(value: &str, token: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let token_lower = token.to_ascii_lowercase();
    lower.contains(&token_lower)
        || (lower.len() >= TOKEN_PIECE_MIN && token_lower.contains(&lower))
        || crate::names::redact(value, token) != value
}

/// Revision ids use letters, digits and `-_.:/+=` (S3 version ids, `sha256:` digests);
/// anything else is not read as one.
fn is_identifier(value: &str) -> bool {
    (1..=VALUE_MAX_BYTES).contains(&value.len())
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'=')
        })
}

fn known_key(text: &str) -> Option<(&'static str, Slot)> {
    KEYS.into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
}

/// The known key starting at byte `at` as a whole word, if any. Keys are ASCII, so a match
/// starts and ends on character boundaries.
fn key_at(bytes: &[u8], at: usize) -> Option<(&'static str, Slot)> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    if at
        .checked_sub(1)
        .and_then(|before| bytes.get(before))
        .is_some_and(|&b| is_word(b))
    {
        return None;
    }
    KEYS.into_iter().find(|(name, _)| {
        let end = at + name.len();
        bytes
            .get(at..end)
            .is_some_and(|word| word.eq_ignore_ascii_case(name.as_bytes()))
            && bytes.get(end).is_none_or(|&b| !is_word(b))
    })
}

fn first_key_in(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|at| key_at(bytes, at).map(|(name, _)| name))
}

/// Where an unresolved variable starting at `at` (`#{...}`) ends.
fn after_variable(text: &str, at: usize) -> usize {
    let rest = split_at_char(text, at).1;
    let start = text.len() - rest.len();
    rest.find('}').map_or(text.len(), |end| start + end + 1)
}

/// Markup around a key or a value: quotes, backticks, markdown emphasis.
fn is_decoration(c: char) -> bool {
    matches!(c, '"' | '\'' | '`' | '*')
}

/// White space within a line: a claim's key and value are on one line.
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        && !matches!(
            c,
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
}

#[cfg(test)]
mod tests;
