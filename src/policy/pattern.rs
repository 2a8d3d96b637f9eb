//! The one glob type: `*` matches any run of characters (`/` included), `?` one. Patterns
//! over CodePipeline names (`match`) are checked against the name rules here; revision
//! checks check their own (branch names, artifact names) before they build one.

use std::fmt;

use wildmatch::WildMatch;

use crate::names;

/// CodePipeline's limit for pipeline, stage and action names.
const MAX_NAME: usize = 100;

#[derive(Clone)]
pub struct Pattern {
    text: String,
    matcher: WildMatch,
}

impl Pattern {
    /// A pattern may only use characters that can appear in a name, plus `*` and `?`, so a
    /// pattern that could never match (a typo such as `web-[a-z]*`) is refused at load time.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("a pattern cannot be empty (use \"*\" to match every name)".into());
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(names::is_name_char(*c) || matches!(c, '*' | '?')))
        {
            return Err(format!(
                "{c:?} cannot match: names use letters, digits, '.', '@', '-' and '_', \
                 patterns add '*' and '?'"
            ));
        }
        // Only name characters are left, all ASCII: the length in bytes is in characters.
        if text.len() > MAX_NAME {
            return Err(format!(
                "a pattern of {} characters is longer than any CodePipeline name (at most \
                 {MAX_NAME}), so it cannot be meant",
                text.len()
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            matcher: WildMatch::new(text),
        })
    }

    /// A glob over text that is not a CodePipeline name (a branch), which the caller has
    /// validated for what it matches.
    pub(crate) fn unchecked(text: String) -> Self {
        let matcher = WildMatch::new(&text);
        Self { text, matcher }
    }

    pub fn any() -> Self {
        Self {
            text: "*".into(),
            matcher: WildMatch::new("*"),
        }
    }

    /// The name this pattern matches, when it matches exactly one.
    pub fn literal(&self) -> Option<&str> {
        (!self.text.contains(['*', '?'])).then_some(self.text.as_str())
    }

    pub fn matches(&self, name: &str) -> bool {
        self.matcher.matches(name)
    }

    /// Whether every name `other` matches, this pattern matches too. Decided by matching
    /// `other`'s text as if it were a name, where `other`'s `*` can only be covered by a
    /// `*` here and its `?` by a `?` or a `*`: each way to expand `other` then expands the
    /// same way here. That proves inclusion and never claims a false one; a few exotic
    /// inclusions go unnoticed (`*?` covers `?*`, but this does not see it).
    pub fn covers(&self, other: &Pattern) -> bool {
        let mine = self.text.as_bytes();
        let theirs = other.text.as_bytes();
        // `covered[j]`: whether the rest of this pattern, from the current position,
        // covers `theirs[j..]`. Filled from the ends of both patterns backwards.
        let mut covered: Vec<bool> = (0..=theirs.len()).map(|j| j == theirs.len()).collect();
        for &p in mine.iter().rev() {
            let next = covered.clone();
            for j in (0..=theirs.len()).rev() {
                covered[j] = match (p, theirs.get(j)) {
                    // Absorb nothing, or one more of theirs (whatever it is).
                    (b'*', Some(_)) => next[j] || covered[j + 1],
                    (b'*', None) => next[j],
                    (b'?', Some(&t)) => t != b'*' && next[j + 1],
                    (p, Some(&t)) => p == t && next[j + 1],
                    (_, None) => false,
                };
            }
        }
        covered[0]
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_question_mark_match_like_shell_globs() {
        let web = Pattern::parse("web-*").unwrap();
        assert!(web.matches("web-shop"));
        assert!(web.matches("web-"));
        assert!(!web.matches("api-web-shop"));
        let one = Pattern::parse("Approve-?").unwrap();
        assert!(one.matches("Approve-1"));
        assert!(!one.matches("Approve-10"));
        assert!(Pattern::any().matches("anything.at@all"));
    }

    #[test]
    fn only_patterns_without_wildcards_are_literal() {
        assert_eq!(
            Pattern::parse("web-shop").unwrap().literal(),
            Some("web-shop")
        );
        assert_eq!(Pattern::parse("web-*").unwrap().literal(), None);
        assert_eq!(Pattern::parse("web-?").unwrap().literal(), None);
    }

    #[test]
    fn matching_is_case_sensitive_like_codepipeline_names() {
        assert!(!Pattern::parse("Prod").unwrap().matches("prod"));
    }

    #[test]
    fn refuses_patterns_that_could_never_match() {
        assert!(Pattern::parse("").is_err());
        assert!(Pattern::parse("web-[a-z]*").unwrap_err().contains("'['"));
        assert!(Pattern::parse("web shop").is_err());
    }

    #[test]
    fn refuses_patterns_longer_than_any_name() {
        // Given patterns at and past CodePipeline's 100-character limit for names
        let longest = "a".repeat(100);
        // Then the longest name is still a pattern, and anything longer is refused
        assert!(Pattern::parse(&longest).unwrap().matches(&longest));
        for long in ["a".repeat(101), format!("{longest}*"), "*".repeat(101)] {
            let error = Pattern::parse(&long).unwrap_err();
            assert!(
                error.contains("longer than any CodePipeline name"),
                "{error}"
            );
        }
    }

    fn covers(earlier: &str, later: &str) -> bool {
        Pattern::parse(earlier)
            .unwrap()
            .covers(&Pattern::parse(later).unwrap())
    }

    #[test]
    fn a_pattern_covers_what_it_matches_every_expansion_of() {
        for (earlier, later) in [
            ("*", "*"),
            ("*", "web-shop"),
            ("*", "w?b-*"),
            ("web-shop", "web-shop"),
            ("web-*", "web-shop"),
            ("web-*", "web-*-eu"),
            ("web-*", "web-?"),
            ("web-?", "web-1"),
            ("web-?", "web-?"),
            ("*-*", "a-*-b"),
            ("*shop", "web-*shop"),
            ("??*", "a?*"),
        ] {
            assert!(covers(earlier, later), "{earlier} covers {later}");
        }
    }

    #[test]
    fn a_pattern_does_not_cover_a_name_it_misses() {
        for (earlier, later) in [
            ("web-shop", "*"),
            ("web-shop", "web-shops"),
            ("web-*", "*"),
            ("web-*", "api-*"),
            ("web-*", "web"),
            ("web-?", "web-*"),
            ("web-?", "web-12"),
            ("*-*", "a*b"),
            ("Prod", "prod"),
        ] {
            assert!(!covers(earlier, later), "{earlier} must not cover {later}");
        }
    }

    #[test]
    fn coverage_agrees_with_matching_on_every_short_name() {
        // Given short patterns and every name over a small alphabet up to four characters
        let patterns = [
            "*", "a*", "*a", "?", "??", "a?", "?*", "*?", "a*b", "ab", "*a*", "b",
        ];
        let mut names = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = names
                .iter()
                .flat_map(|name| ["a", "b"].map(|c| format!("{name}{c}")))
                .collect();
            names.extend(longer);
        }
        names.sort();
        names.dedup();
        for earlier in patterns {
            for later in patterns {
                if covers(earlier, later) {
                    // Then whenever one is said to cover the other, it matches all it does
                    let (e, l) = (
                        Pattern::parse(earlier).unwrap(),
                        Pattern::parse(later).unwrap(),
                    );
                    for name in names.iter().filter(|name| l.matches(name)) {
                        assert!(
                            e.matches(name),
                            "{earlier} covers {later} but misses {name}"
                        );
                    }
                }
            }
        }
    }
}
