//! Writing iCalendar (RFC 5545) text: TEXT values escaped, content lines folded at 75
//! octets on character boundaries, CRLF line endings. The calendar itself is built in
//! [`super::calendar`]; what is written here is safe for any text it is given.

use crate::names;

/// RFC 5545 3.1: a content line is folded so that no physical line is longer than this many
/// octets, not counting its CRLF.
const LINE_OCTETS: usize = 75;

/// An iCalendar object being written: one content line at a time, each folded and ended
/// with CRLF.
#[derive(Default)]
pub struct Ics {
    out: String,
}

impl Ics {
    /// A property whose value is already in its value type's syntax (a date-time, an
    /// offset, a keyword), with parameters already encoded (`;TZID=…`).
    pub fn raw(&mut self, name: &str, params: &str, value: &str) {
        self.out.push_str(&fold(&format!("{name}{params}:{value}")));
    }

    /// A property of value type TEXT, escaped.
    pub fn text(&mut self, name: &str, value: &str) {
        self.raw(name, "", &escape_text(value));
    }

    pub fn begin(&mut self, component: &str) {
        self.raw("BEGIN", "", component);
    }

    pub fn end(&mut self, component: &str) {
        self.raw("END", "", component);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, a line break
/// (LF, CR LF, a lone CR, or a line or paragraph separator) written `\n`, every other control
/// character dropped, and the characters that show nothing or reorder the text around them
/// removed (see [`names::printable`]), so a hostile name can neither break the line nor
/// disguise itself.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                // CR LF is one line break.
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("\\n"),
            c if c.is_control() || names::is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (RFC 5545 3.2): quoted when it holds `:`, `;` or `,`; a double quote
/// or a control character, which no parameter value may hold, is dropped.
pub fn param_value(text: &str) -> String {
    let value: String = text
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if value.contains([':', ';', ',']) {
        format!("\"{value}\"")
    } else {
        value
    }
}

/// One content line (which holds no CR or LF: the writers above never produce one) folded
/// as RFC 5545 3.1 asks: a CRLF and a space before every 75th octet, never inside a UTF-8
/// character, and a CRLF at the end. Unfolding (removing each CRLF followed by a space)
/// gives back the line.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 37 + 2);
    let mut rest = line;
    // The first physical line has all 75 octets; each continuation gives one to its space.
    let mut room = LINE_OCTETS;
    loop {
        let (head, tail) = names::split_at_char(rest, room);
        out.push_str(head);
        out.push_str("\r\n");
        if tail.is_empty() {
            return out;
        }
        out.push(' ');
        rest = tail;
        room = LINE_OCTETS - 1;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn escape_text_escapes_the_specials_and_writes_line_breaks_as_backslash_n() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg\u{2028}h:i"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng\\nh:i"
        );
    }

    #[test]
    fn escape_text_drops_control_and_invisible_characters_and_keeps_the_rest() {
        assert_eq!(
            escape_text("pr\u{1b}[31mod\u{0}\u{7f}\t\u{202e}\u{200b}ü 🦀 名"),
            "pr[31modü 🦀 名"
        );
    }

    #[test]
    fn param_value_quotes_values_with_delimiters_and_drops_quotes() {
        assert_eq!(param_value("Europe/Berlin"), "Europe/Berlin");
        assert_eq!(param_value("a:b\"c"), "\"a:bc\"");
    }

    #[test]
    fn fold_leaves_a_short_line_alone_and_cuts_a_long_one_at_75_octets() {
        assert_eq!(fold("SUMMARY:x"), "SUMMARY:x\r\n");
        let line = "x".repeat(75 + 74 + 1);
        assert_eq!(
            fold(&line),
            format!("{}\r\n {}\r\n x\r\n", "x".repeat(75), "x".repeat(74))
        );
        assert_eq!(fold(&"y".repeat(75)), format!("{}\r\n", "y".repeat(75)));
    }

    #[test]
    fn fold_never_splits_a_character_that_straddles_the_75th_octet() {
        // 74 octets, then a 4-octet character: it goes whole to the next line.
        let line = format!("{}🦀z", "x".repeat(74));
        assert_eq!(fold(&line), format!("{}\r\n 🦀z\r\n", "x".repeat(74)));
    }

    proptest! {
        #[test]
        fn folding_any_line_unfolds_to_it_in_short_valid_lines(
            line in "[^\r\n]{0,400}",
            prefix in 0usize..80,
        ) {
            // Shift the text against the fold points so every character lands on one.
            let line = format!("{}{line}", "p".repeat(prefix));
            let folded = fold(&line);
            prop_assert!(folded.ends_with("\r\n"));
            let unfolded = unfold(&folded);
            prop_assert_eq!(unfolded.strip_suffix("\r\n"), Some(line.as_str()));
            let bytes = folded.as_bytes();
            let physical: Vec<&[u8]> = bytes
                .strip_suffix(b"\r\n")
                .unwrap_or(bytes)
                .split(|b| *b == b'\n')
                .collect();
            for (i, piece) in physical.iter().enumerate() {
                let piece = if i + 1 < physical.len() {
                    piece.strip_suffix(b"\r").unwrap_or(piece)
                } else {
                    piece
                };
                prop_assert!(piece.len() <= LINE_OCTETS, "{} octets", piece.len());
                prop_assert!(std::str::from_utf8(piece).is_ok());
                if i > 0 {
                    prop_assert_eq!(piece.first(), Some(&b' '));
                    // A continuation carries at least one character.
                    prop_assert!(piece.len() > 1);
                }
            }
        }

        #[test]
        fn escaped_text_is_one_line_without_controls_that_unescapes_to_the_visible_text(
            text in any::<String>(),
        ) {
            let escaped = escape_text(&text);
            prop_assert!(!escaped.chars().any(char::is_control));
            // Unescaping (as a reader does) gives the text less what was dropped, with every
            // line break as LF.
            let mut unescaped = String::new();
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => unescaped.push('\n'),
                        Some(other) => unescaped.push(other),
                        None => prop_assert!(false, "a trailing backslash"),
                    }
                } else {
                    prop_assert!(c != ';' && c != ',');
                    unescaped.push(c);
                }
            }
            let expected: String = text
                .replace("\r\n", "\n")
                .chars()
                .map(|c| if matches!(c, '\r' | '\u{2028}' | '\u{2029}') { '\n' } else { c })
                .filter(|c| *c == '\n' || !(c.is_control() || names::is_invisible(*c)))
                .collect();
            prop_assert_eq!(unescaped, expected);
        }
    }
}
