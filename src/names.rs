//! CodePipeline's naming rules, and making untrusted text safe to show.

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
/// (including ANSI escapes and line breaks) become spaces, and the text is cut to `max`
/// characters.
pub fn printable(text: &str, max: usize) -> String {
    let blank = |c: char| c.is_control() || is_bidi_control(c);
    let mut out: String = text
        .chars()
        .map(|c| if blank(c) { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.pop();
        out.push('…');
    }
    out
}

/// Characters that are invisible or reorder the text around them: in a mail or a console
/// they can make a name read as something else.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
    )
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
    out.push('…');
    out
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut. Bytes are
/// never fewer than characters or UTF-16 units, so the result fits a limit counted in any
/// of the three.
pub fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let budget = max.saturating_sub('…'.len_utf8());
    let mut end = 0;
    for (index, c) in text.char_indices() {
        if index + c.len_utf8() > budget {
            break;
        }
        end = index + c.len_utf8();
    }
    let mut out = text[..end].to_owned();
    out.push('…');
    out
}

/// A cut-short quote keeps at least this much of a secret before its `…` for the cut
/// piece to be redacted too.
const SECRET_PIECE: usize = 8;

/// Replaces every occurrence of `secret` (ASCII case ignored) with `<redacted>`, and also a
/// piece of its start that a quote cut short just before a `…`.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_ascii_lowercase();
    let needle = secret.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(found) = lower[rest..].find(&needle) {
        out.push_str(&text[rest..rest + found]);
        out.push_str("<redacted>");
        rest += found + needle.len();
    }
    out.push_str(&text[rest..]);
    redact_cut_pieces(&out, &needle)
}

fn redact_cut_pieces(text: &str, needle: &str) -> String {
    let mut out = text.to_owned();
    let mut search_end = out.len();
    while let Some(cut) = out[..search_end].rfind('…') {
        let before = out[..cut].to_ascii_lowercase();
        let piece = (SECRET_PIECE..needle.len())
            .rev()
            .find(|len| before.len() >= *len && needle.starts_with(&before[before.len() - len..]));
        if let Some(len) = piece
            && out.is_char_boundary(cut - len)
        {
            out.replace_range(cut - len..cut, "<redacted>");
        }
        search_end = cut - piece.unwrap_or(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_blanks_control_characters_and_cuts() {
        assert_eq!(printable("a\u{1b}[31mb\nc", 100), "a [31mb c");
        assert_eq!(printable("abcdef", 4), "abc…");
        assert_eq!(printable("abcd", 4), "abcd");
        assert_eq!(printable("a\u{202e}b", 10), "a b");
    }

    #[test]
    fn redact_removes_the_secret_in_any_case_and_a_piece_cut_short() {
        let secret = "0f1e2d3c-4b5a-6978";
        assert_eq!(
            redact("a 0F1E2D3C-4B5A-6978 b 0f1e2d3c-4b5a-6978", secret),
            "a <redacted> b <redacted>"
        );
        assert_eq!(redact("status 0F1E2D3C-4…", secret), "status <redacted>…");
        assert_eq!(redact("short 0f1e…", secret), "short 0f1e…");
        assert_eq!(redact("nothing here…", secret), "nothing here…");
    }

    #[test]
    fn truncate_bytes_fits_any_count_of_the_limit() {
        let cut = truncate_bytes(&"😀".repeat(200), 512);
        assert!(cut.len() <= 512 && cut.ends_with('…'));
        assert_eq!(truncate_bytes("short", 512), "short");
    }

    #[test]
    fn truncate_cuts_on_a_character_boundary() {
        let text = "é".repeat(600);
        let cut = truncate(&text, 512);
        assert_eq!(cut.chars().count(), 512);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short", 512), "short");
    }
}
