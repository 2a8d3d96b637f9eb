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
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.pop();
        out.push('…');
    }
    out
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
