//! CodePipeline's naming rules, and making untrusted text safe to show.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

/// Pipeline, stage and action names match `[A-Za-z0-9.@\-_]+`, at most 100 characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 100 {
        return Err("expected 1 to 100 characters".into());
    }
    match name.chars().find(|c| !is_name_char(*c)) {
        Some(c) => Err(format!(
            "{c:?} is not allowed: names use letters, digits, '.', '@', '-' and '_'"
        )),
        None => Ok(()),
    }
}

pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_')
}

/// Untrusted text made fit for a log line, a summary or a mail subject: control characters
/// (including ANSI escapes and line breaks) become spaces, characters that are invisible or
/// reorder the text are removed, and the text is cut to `max` characters.
pub fn printable(text: &str, max: usize) -> String {
    let mut shown = text.chars().filter(|c| !is_invisible(*c)).map(|c| {
        if c.is_control() || is_separator(c) {
            ' '
        } else {
            c
        }
    });
    let mut out: String = shown.by_ref().take(max).collect();
    if shown.next().is_some() {
        out.pop();
        out.push('…');
    }
    out
}

/// Line and paragraph separators: shown as a space, as a line break is.
fn is_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters that show nothing or reorder the text around them: in a mail or a console
/// they can make a name read as something else, and between the characters of a token
/// they hide it from redaction. Removed: bidi controls, zero-width characters, joiners,
/// the soft hyphen, variation selectors and the byte order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Untrusted text made inert in a chat message rendered from markdown (Slack's or Teams'):
/// [`printable`] first, so it is one line without invisible characters; then every
/// character that could open a link, a mention, HTML or emphasis is replaced by one that
/// reads the same and means nothing (`<` `>` `&` as HTML entities, which both platforms
/// show as the character; `*` `~` `` ` `` `[` `]` `\` `@` and an `_` at a word's edge as
/// look-alikes). Cut, with a `…`, to at most `max` bytes between replacements, never
/// inside one: bytes are never fewer than characters or UTF-16 units, so the text fits a
/// limit counted in any of the three.
pub fn inert_markdown(text: &str, max: usize) -> String {
    let clean = printable(text, usize::MAX);
    let chars: Vec<char> = clean.chars().collect();
    let word = |at: Option<&char>| at.is_some_and(|c| c.is_alphanumeric());
    let mut pieces = Vec::with_capacity(chars.len());
    for (at, &c) in chars.iter().enumerate() {
        let piece: std::borrow::Cow<'static, str> = match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '*' => "\u{2217}".into(),
            '~' => "\u{223c}".into(),
            '`' => "\u{2035}".into(),
            '[' => "\u{ff3b}".into(),
            ']' => "\u{ff3d}".into(),
            '\\' => "\u{2216}".into(),
            '@' => "\u{ff20}".into(),
            // Inside a word (`web_shop`) an underscore emphasises nothing on either platform.
            '_' if !(word(at.checked_sub(1).and_then(|before| chars.get(before)))
                && word(chars.get(at + 1))) =>
            {
                "\u{ff3f}".into()
            }
            other => other.to_string().into(),
        };
        pieces.push(piece);
    }
    let total: usize = pieces.iter().map(|piece| piece.len()).sum();
    if total <= max {
        return pieces.concat();
    }
    // No room for the mark in a limit below its own 3 bytes: nothing rather than too much.
    let Some(room) = max.checked_sub('…'.len_utf8()) else {
        return String::new();
    };
    let mut out = String::with_capacity(max);
    for piece in pieces {
        if out.len() + piece.len() > room {
            break;
        }
        out.push_str(&piece);
    }
    out.push('…');
    out
}

/// An identifier from untrusted text (a claim in `customData`), shown only if it looks
/// like one: anything else could be markup meant for a mail client.
pub fn identifier(text: &str) -> String {
    let plausible = (1..=100).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if plausible {
        text.to_owned()
    } else {
        "(a value that is not an identifier)".to_owned()
    }
}

/// Cuts `text` to at most `max` characters on a character boundary, marking the cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    // No room for the mark in a limit of nothing: the limit wins.
    if max > 0 {
        out.push('…');
    }
    out
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut. Bytes are
/// never fewer than characters or UTF-16 units, so the result fits a limit counted in any
/// of the three.
pub fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    // Below the mark's own 3 bytes the limit wins: a plain cut, unmarked.
    let Some(room) = max.checked_sub('…'.len_utf8()) else {
        return split_at_char(text, max).0.to_owned();
    };
    let mut out = split_at_char(text, room).0.to_owned();
    out.push('…');
    out
}

/// The one place text is cut by a byte position: `text` split at `at`, moved back to the
/// character boundary at or before it (and to the end of `text` if `at` is past it), so
/// that no position, however it was computed, can split a character or panic.
pub fn split_at_char(text: &str, at: usize) -> (&str, &str) {
    let at = text.floor_char_boundary(at);
    // `floor_char_boundary` returns a boundary no greater than the length, so the split
    // always succeeds; the fallback only keeps this free of a panic path.
    text.split_at_checked(at).unwrap_or((text, ""))
}

/// The text between byte positions `start` and `end`, each moved back to a character
/// boundary as [`split_at_char`] does (empty when `end` is not after `start`).
pub fn between(text: &str, start: usize, end: usize) -> &str {
    let (_, rest) = split_at_char(text, start);
    split_at_char(rest, end.saturating_sub(text.len() - rest.len())).0
}

/// A quote of the secret this long (counting letters and digits only, in any case) is
/// redacted wherever it stands: a token cut short, reformatted without its dashes, or a
/// piece from its middle is still a quote of it.
const SECRET_PIECE: usize = 8;
const REDACTED: &str = "<redacted>";

/// Replaces every occurrence of `secret` (ASCII case ignored) with `<redacted>`, a piece
/// of its start cut short before a `…`, and every run of letters, digits and dashes that
/// holds [`SECRET_PIECE`] consecutive letters or digits of the secret (dashes ignored,
/// ASCII case ignored) as a whole: the secret written without its dashes, or quoted in part.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    // ASCII lowercasing keeps every byte where it was, so a match in `lower` is at the
    // same (character boundary) positions in `text`.
    let lower = text.to_ascii_lowercase();
    let needle = secret.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0;
    for (found, _) in lower.match_indices(&needle) {
        let (before, after) = split_at_char(rest, found - consumed);
        let (_, after) = split_at_char(after, needle.len());
        out.push_str(before);
        out.push_str(REDACTED);
        consumed = text.len() - after.len();
        rest = after;
    }
    out.push_str(rest);
    redact_pieces(&redact_cut_pieces(&out, needle.as_bytes()), &needle)
}

/// Redacts, before each `…`, the longest piece (at least [`SECRET_PIECE`] bytes, dashes
/// counted) that is the start of the secret: a quote of the token cut short.
fn redact_cut_pieces(text: &str, needle: &[u8]) -> String {
    let mut pieces = text.split('…');
    let mut out = String::with_capacity(text.len());
    let Some(mut current) = pieces.next() else {
        return out;
    };
    for next in pieces {
        let piece = (SECRET_PIECE..needle.len()).rev().find(|&len| {
            let tail = current
                .len()
                .checked_sub(len)
                .and_then(|start| current.as_bytes().get(start..));
            tail.zip(needle.get(..len))
                .is_some_and(|(tail, start)| tail.eq_ignore_ascii_case(start))
        });
        let kept = piece.map_or(current, |len| split_at_char(current, current.len() - len).0);
        out.push_str(kept);
        if kept.len() < current.len() {
            out.push_str(REDACTED);
        }
        out.push('…');
        current = next;
    }
    out.push_str(current);
    out
}

/// Redacts each run of ASCII letters, digits and dashes whose letters and digits hold a
/// piece of the secret's: [`SECRET_PIECE`] of them in a row.
fn redact_pieces(text: &str, needle: &str) -> String {
    let secret: Vec<u8> = needle.bytes().filter(u8::is_ascii_alphanumeric).collect();
    // A secret of fewer letters and digits is quoted only whole.
    let piece = SECRET_PIECE.min(secret.len());
    if piece == 0 {
        return text.to_owned();
    }
    let pieces: Vec<&[u8]> = secret.windows(piece).collect();
    let in_run = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(in_run) {
        let (before, from) = split_at_char(rest, start);
        let end = from.find(|c: char| !in_run(c)).unwrap_or(from.len());
        let (run, after) = split_at_char(from, end);
        let letters: Vec<u8> = run
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        let quotes = letters
            .windows(piece)
            .any(|window| pieces.contains(&window));
        out.push_str(before);
        out.push_str(if quotes { REDACTED } else { run });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// FNV-1a, 64 bits: a hash that is the same in every build and on every machine (std's
/// `DefaultHasher` promises neither), so that a name derived from it (a metric's series,
/// a wake-up's schedule) is the same wherever it is derived.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
