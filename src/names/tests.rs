//! Cutting, cleaning and redacting text: examples, and properties over any Unicode.

use super::*;

#[test]
fn printable_blanks_control_characters_and_cuts() {
    assert_eq!(printable("a\u{1b}[31mb\nc", 100), "a [31mb c");
    assert_eq!(printable("abcdef", 4), "abc…");
    assert_eq!(printable("abcd", 4), "abcd");
    assert_eq!(printable("a\u{202e}b", 10), "ab");
    assert_eq!(printable("a\u{2028}b", 10), "a b");
    // Invisible characters between a token's characters are gone, so redaction sees it.
    let hidden = "4c8e\u{ad}3a2b\u{200b}-6d1f\u{fe0f}-4e9a-b7c5-0f2d8e6a1b31";
    assert_eq!(
        printable(hidden, 100),
        "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31"
    );
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
fn a_limit_too_small_for_the_mark_is_kept_by_an_unmarked_cut() {
    assert_eq!(truncate_bytes("abcdef", 2), "ab");
    assert_eq!(truncate_bytes("ßbcdef", 1), "");
    assert_eq!(truncate_bytes("abcdef", 0), "");
    assert_eq!(truncate("abcdef", 0), "");
    assert_eq!(truncate("abcdef", 1), "…");
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

const TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";

#[test]
fn redact_leaves_multibyte_text_before_a_cut_alone() {
    // Each of these panicked: a character of several bytes within a token's length before
    // the `…`, where the search for a cut-short token piece sliced the text.
    for text in [
        "Überarbeitung 🚀 der Zahlungsströme…",
        "Bestellservice-Zahlungsabwicklung-Fehlerrate-größer-fünf-Prozent-über-f…",
        "Threshold Crossed: 1 datapoint [5.0 (07/12/26 10:00:00)] über 5 ü ü ü…",
        "ß…ß…ßß…",
        "…",
    ] {
        assert_eq!(redact(text, TOKEN), text);
        let cut = printable(text, 40);
        assert_eq!(redact(&cut, TOKEN), cut);
    }
}

#[test]
fn redact_removes_a_token_piece_cut_short_after_multibyte_text() {
    let quoted = format!("Prüfung für {}…", &TOKEN[..20]);
    assert_eq!(redact(&quoted, TOKEN), "Prüfung für <redacted>…");
    let quoted = format!("ü{}…ß{}…", &TOKEN[..9], &TOKEN[..30].to_uppercase());
    assert_eq!(redact(&quoted, TOKEN), "ü<redacted>…ß<redacted>…");
}

#[test]
fn redact_removes_a_quote_of_the_token_in_part_or_without_its_dashes() {
    for (text, redacted) in [
        ("WIP 4c8e3a2b6d1f4e9ab7c50f2d8e6a1b31", "WIP <redacted>"),
        ("WIP 4c8e3a2b", "WIP <redacted>"),
        ("see a2b-6d1f-4e9a-b7c5-0 here", "see <redacted> here"),
        ("ends 0F2D8E6A1B31.", "ends <redacted>."),
        ("ü4c8e3a2b-6d1ß", "ü<redacted>ß"),
        // Seven characters of it, or eight that are not consecutive in it, stay.
        ("WIP 4c8e3a2 and 4c8e3a2c", "WIP 4c8e3a2 and 4c8e3a2c"),
        (
            "commit 8d3f1c2b7a6e5d4c3b2a1908f7e6d5c4b3a29180",
            "commit 8d3f1c2b7a6e5d4c3b2a1908f7e6d5c4b3a29180",
        ),
    ] {
        assert_eq!(redact(text, TOKEN), redacted, "{text}");
    }
}

#[test]
fn split_at_char_moves_a_position_inside_a_character_back_to_its_start() {
    let text = "aß🚀";
    assert_eq!(split_at_char(text, 0), ("", "aß🚀"));
    assert_eq!(split_at_char(text, 2), ("a", "ß🚀"));
    assert_eq!(split_at_char(text, 3), ("aß", "🚀"));
    assert_eq!(split_at_char(text, 6), ("aß", "🚀"));
    assert_eq!(split_at_char(text, 7), ("aß🚀", ""));
    assert_eq!(split_at_char(text, usize::MAX), ("aß🚀", ""));
    assert_eq!(between(text, 2, 6), "ß");
    assert_eq!(between(text, 6, 2), "");
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    /// Any text, weighted towards what breaks byte arithmetic: characters of two, three
    /// and four bytes, control characters, bidi controls and the `…` that marks a cut.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "(?s).{0,600}",
            proptest::collection::vec(
                prop_oneof![
                    Just('a'),
                    Just('ß'),
                    Just('ü'),
                    Just('…'),
                    Just('🚀'),
                    Just('\n'),
                    Just('\u{1b}'),
                    Just('\u{202e}'),
                    Just('-'),
                    Just('4'),
                    Just('C'),
                ],
                0..700
            )
            .prop_map(|chars| chars.into_iter().collect()),
        ]
    }

    /// A secret as CodePipeline writes tokens, in any ASCII case.
    fn secret() -> impl Strategy<Value = String> {
        "[0-9a-fA-F]{4}[0-9a-fA-F-]{0,32}[0-9a-fA-F]{4}"
    }

    /// `text` with pieces of `secret` (whole, or cut short and followed by `…`) inserted
    /// at arbitrary character positions.
    fn quoting() -> impl Strategy<Value = (String, String)> {
        (
            text(),
            secret(),
            proptest::collection::vec((any::<prop::sample::Index>(), 0usize..48), 1..4),
        )
            .prop_map(|(text, secret, inserts)| {
                let mut chars: Vec<char> = text.chars().collect();
                for (at, length) in inserts {
                    let position = at.index(chars.len() + 1);
                    let mut piece: Vec<char> = if length >= secret.len() {
                        secret.chars().collect()
                    } else {
                        secret.chars().take(length.max(8)).chain(['…']).collect()
                    };
                    if length % 2 == 0 {
                        piece.iter_mut().for_each(|c| *c = c.to_ascii_uppercase());
                    }
                    chars.splice(position..position, piece);
                }
                (chars.into_iter().collect(), secret)
            })
    }

    fn without_cut_pieces(text: &str, secret: &str) -> bool {
        let needle = secret.to_ascii_lowercase();
        text.to_ascii_lowercase()
            .split('…')
            .all(|piece| (8..needle.len()).all(|len| !piece.ends_with(&needle[..len])))
    }

    /// Whether `text` holds eight letters or digits of the secret in a row (dashes left
    /// out of both), or the secret itself: what redaction may remove.
    fn quotes(text: &str, secret: &str) -> bool {
        let flat = |s: &str| -> String {
            s.to_ascii_lowercase()
                .chars()
                .filter(|c| *c != '-')
                .collect()
        };
        let (text, letters) = (flat(text), flat(secret));
        text.contains(&letters)
            || (0..letters.len().saturating_sub(7)).any(|at| text.contains(&letters[at..at + 8]))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn printable_has_no_control_character_and_at_most_max_characters(
            text in text(),
            max in 1usize..700,
        ) {
            let shown = printable(&text, max);
            prop_assert!(shown.chars().count() <= max);
            let hidden = |c: char| c.is_control() || matches!(c, '\u{202e}' | '\u{200b}' | '\u{ad}');
            prop_assert!(!shown.chars().any(hidden), "{:?}", shown);
            let visible = text.chars().filter(|c| !is_invisible(*c)).count();
            if visible > max {
                prop_assert!(shown.ends_with('…'));
            } else {
                prop_assert_eq!(shown.chars().count(), visible);
            }
        }

        #[test]
        fn truncate_keeps_a_prefix_of_at_most_max_characters(
            text in text(),
            max in 1usize..700,
        ) {
            let cut = truncate(&text, max);
            prop_assert!(cut.chars().count() <= max);
            let kept = cut.strip_suffix('…').filter(|_| cut != text).unwrap_or(&cut);
            prop_assert!(text.starts_with(kept));
        }

        #[test]
        fn truncate_bytes_keeps_a_prefix_of_at_most_max_bytes(
            text in text(),
            max in 0usize..1100,
        ) {
            let cut = truncate_bytes(&text, max);
            prop_assert!(cut.len() <= max, "{} > {max}", cut.len());
            let kept = cut.strip_suffix('…').filter(|_| cut != text).unwrap_or(&cut);
            prop_assert!(text.starts_with(kept));
            // Nothing more than a character and the mark is given up.
            prop_assert!(cut == text || cut.len() + 4 + '…'.len_utf8() > max);
        }

        #[test]
        fn split_at_char_splits_at_the_boundary_at_or_before_any_position(
            text in text(),
            at in 0usize..2500,
        ) {
            let (left, right) = split_at_char(&text, at);
            prop_assert_eq!(format!("{left}{right}"), text.clone());
            prop_assert!(left.len() <= at);
            prop_assert!(left.len() == text.len() || at < left.len() + 4);
        }

        #[test]
        fn redact_leaves_no_secret_and_no_cut_piece_of_it(
            (text, secret) in quoting(),
            cut in 1usize..700,
        ) {
            for quoted in [text.clone(), printable(&text, cut), truncate_bytes(&text, cut + 3)] {
                let redacted = redact(&quoted, &secret);
                prop_assert!(
                    !redacted.to_ascii_lowercase().contains(&secret.to_ascii_lowercase()),
                    "{redacted:?}"
                );
                prop_assert!(without_cut_pieces(&redacted, &secret), "{redacted:?}");
            }
        }

        #[test]
        fn redact_changes_only_text_that_quotes_the_secret(
            text in text(),
            secret in secret(),
        ) {
            let redacted = redact(&text, &secret);
            if redacted != text {
                prop_assert!(quotes(&text, &secret), "{text:?} became {redacted:?}");
            }
        }

        #[test]
        fn redact_leaves_no_eight_letters_of_the_secret_in_a_row(
            (text, secret) in quoting(),
        ) {
            let redacted = redact(&text, &secret);
            prop_assert!(
                !quotes(&redacted.replace("<redacted>", " "), &secret),
                "{redacted:?}"
            );
        }
    }
}
