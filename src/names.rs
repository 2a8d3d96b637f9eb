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
    fn truncate_cuts_on_a_character_boundary() {
        let text = "é".repeat(600);
        let cut = truncate(&text, 512);
        assert_eq!(cut.chars().count(), 512);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short", 512), "short");
    }
}
