//! Glob patterns over CodePipeline names: `*` matches any run of characters, `?` one.

use std::fmt;

use wildmatch::WildMatch;

use crate::names;

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
        Ok(Self {
            text: text.to_owned(),
            matcher: WildMatch::new(text),
        })
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
}
