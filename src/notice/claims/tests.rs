//! Unit tests of the notice's claims about the execution.

use super::*;

const FULL: &str = "9f2c1e7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

#[test]
fn claims_are_read_from_custom_data() {
    let claims = Claims::parse(
        "Release web-shop. PipelineExecutionId=5e3f9a1c-2b4d, CommitId: 8d3f1c2b7a6e",
    );
    assert_eq!(claims.execution_id.as_deref(), Some("5e3f9a1c-2b4d"));
    assert_eq!(claims.commit_id.as_deref(), Some("8d3f1c2b7a6e"));
    assert_eq!(
        Claims::parse("executionid=abc").execution_id.as_deref(),
        Some("abc")
    );
}

#[test]
fn prose_before_a_claim_does_not_swallow_it() {
    let claims = Claims::parse("Note: CommitId=abc1234 Reviewer: ops");
    assert_eq!(claims.commit_id.as_deref(), Some("abc1234"));
    assert!(!claims.conflicting);
    assert!(!claims.unreadable);
}

#[test]
fn a_claim_made_twice_with_different_values_conflicts() {
    assert!(Claims::parse("CommitId=abc1234 CommitId=def5678").conflicting);
    assert!(!Claims::parse("CommitId=abc1234 commitid=abc1234").conflicting);
}

#[test]
fn no_claims_in_plain_text_or_unresolved_variables() {
    assert_eq!(
        Claims::parse("Review the latest changes within seven days."),
        Claims::default()
    );
    assert_eq!(
        Claims::parse("PipelineExecutionId=#{codepipeline.PipelineExecutionId}"),
        Claims::default()
    );
    assert_eq!(
        Claims::parse(
            "**CommitId**: `#{SourceVariables.CommitId}`, see #{SourceVariables.CommitId}"
        ),
        Claims::default()
    );
}

#[test]
fn a_short_and_a_full_id_of_the_same_commit_are_one_claim() {
    for text in [
        format!("CommitId=9f2c1e7, RevisionId={FULL}"),
        format!("RevisionId={FULL} CommitId=9f2c1e7"),
        format!("CommitId=9F2C1E7 RevisionId={FULL}"),
        format!("CommitId={FULL} commitid={FULL}"),
    ] {
        // Given customData naming one commit by a short and a full id
        // When it is read
        let claims = Claims::parse(&text);
        // Then it is one claim, the full id
        assert!(!claims.conflicting, "{text}");
        assert_eq!(claims.commit_id.as_deref(), Some(FULL), "{text}");
    }
}

#[test]
fn commit_ids_that_are_not_one_commit_conflict() {
    for text in [
        // The shorter is under 7 characters
        format!("CommitId=9f2c1e RevisionId={FULL}"),
        // Not a prefix
        format!("CommitId=9f2c1e8 RevisionId={FULL}"),
        // Not hex
        "RevisionId=sha256:4f3c9e1a CommitId=sha256:4f3c9e1a77".to_string(),
        // Two full ids that share the short one
        format!("CommitId=9f2c1e7 RevisionId={FULL} CommitId=9f2c1e7bbbb"),
    ] {
        assert!(Claims::parse(&text).conflicting, "{text}");
    }
}

#[test]
fn execution_ids_agree_only_when_equal() {
    assert!(Claims::parse("PipelineExecutionId=5e3f9a1c ExecutionId=5e3f9a1c-2b4d").conflicting);
    assert!(Claims::parse("ExecutionId=5E3F9A1C ExecutionId=5e3f9a1c").conflicting);
    assert!(!Claims::parse("PipelineExecutionId=5e3f9a1c ExecutionId=5e3f9a1c").conflicting);
}

#[test]
fn reads_a_json_object_also_with_other_keys() {
    for text in [
        r#"{"PipelineExecutionId":"5e3f9a1c-2b4d","CommitId":"8d3f1c2b7a6e"}"#,
        r#"{"note": "release", "pipelineExecutionId": "5e3f9a1c-2b4d",
                "source": {"commitid": "8d3f1c2b7a6e"}, "reviewers": ["ops", 2]}"#,
        r#"{"note": "PipelineExecutionId=5e3f9a1c-2b4d CommitId=8d3f1c2b7a6e"}"#,
    ] {
        // Given customData that is a JSON object
        // When it is read
        let claims = Claims::parse(text);
        // Then its claims are read, and nothing else is
        assert_eq!(
            claims.execution_id.as_deref(),
            Some("5e3f9a1c-2b4d"),
            "{text}"
        );
        assert_eq!(claims.commit_id.as_deref(), Some("8d3f1c2b7a6e"), "{text}");
        assert!(!claims.unreadable && !claims.conflicting, "{text}");
    }
}

#[test]
fn a_key_given_twice_in_json_is_read_twice() {
    let claims = Claims::parse(r#"{"CommitId": "abc1234", "CommitId": "def5678"}"#);
    assert!(claims.conflicting);
    let claims = Claims::parse(r#"{"a": {"CommitId": "9f2c1e7"}, "b": [{"commitId": "9f2c1e7"}]}"#);
    assert_eq!(claims.commit_id.as_deref(), Some("9f2c1e7"));
    assert!(!claims.conflicting);
}

#[test]
fn json_that_is_not_an_object_or_not_whole_is_read_as_text() {
    let claims = Claims::parse(r#"{"CommitId": "abc1234"} CommitId=def5678"#);
    assert!(claims.conflicting);
    let claims = Claims::parse(r#"{"CommitId": "abc1234""#);
    assert_eq!(claims.commit_id.as_deref(), Some("abc1234"));
}

#[test]
fn reads_claims_with_spaces_markdown_and_quotes_around_them() {
    for text in [
        "PipelineExecutionId = 5e3f9a1c-2b4d\nCommitId : 8d3f1c2b7a6e",
        "**PipelineExecutionId**: 5e3f9a1c-2b4d\n**CommitId:** `8d3f1c2b7a6e`",
        "`PipelineExecutionId`: `5e3f9a1c-2b4d`; \"CommitId\": \"8d3f1c2b7a6e\".",
        "'PipelineExecutionId': '5e3f9a1c-2b4d', 'CommitId': '8d3f1c2b7a6e'",
        "- PipelineExecutionId: **5e3f9a1c-2b4d**,\n- CommitId=8d3f1c2b7a6e;",
        r#"Release {"PipelineExecutionId": "5e3f9a1c-2b4d", "CommitId": "8d3f1c2b7a6e"}"#,
    ] {
        // Given one of the recognised shapes
        // When it is read
        let claims = Claims::parse(text);
        // Then the values come without their markup or punctuation
        assert_eq!(
            claims.execution_id.as_deref(),
            Some("5e3f9a1c-2b4d"),
            "{text}"
        );
        assert_eq!(claims.commit_id.as_deref(), Some("8d3f1c2b7a6e"), "{text}");
        assert!(!claims.unreadable && !claims.conflicting, "{text}");
    }
}

#[test]
fn a_known_key_without_a_readable_value_makes_the_claims_unreadable() {
    for text in [
        "Check the CommitId before approving.",
        "CommitId",
        "CommitId=",
        "CommitId: ; see below",
        "CommitId:\n8d3f1c2b7a6e",
        "| CommitId | 8d3f1c2b7a6e |",
        "CommitId=<b>8d3f1c2b7a6e</b>",
        "ExecutionId=exec-9\u{1b}[2J",
        r#"{"CommitId": null}"#,
        r#"{"CommitId": 1234567}"#,
        r#"{"CommitId": "8d3f 1c2b"}"#,
        r#"{"Source.CommitId": "8d3f1c2b7a6e"}"#,
    ] {
        // Given customData that names a claim the gate cannot read
        // When it is read
        let claims = Claims::parse(text);
        // Then that is said, and no value is made up
        assert!(claims.unreadable, "{text}");
        assert_eq!(claims.commit_id, None, "{text}");
        assert_eq!(claims.execution_id, None, "{text}");
    }
    // A key read on its own after one without a value
    let claims = Claims::parse("CommitId: PipelineExecutionId=5e3f9a1c");
    assert!(claims.unreadable);
    assert_eq!(claims.execution_id.as_deref(), Some("5e3f9a1c"));
}

#[test]
fn keys_inside_other_words_are_not_claims() {
    for text in [
        "SourceCommitId=8d3f1c2b7a6e",
        "CommitIds are checked",
        "pipeline_execution_id=5e3f",
    ] {
        assert_eq!(Claims::parse(text), Claims::default(), "{text}");
    }
}

#[test]
fn the_warning_names_the_key_never_the_text() {
    // Given customData with an unreadable claim and a secret-looking text
    let text = "CommitId: <secret-text> and RevisionId";
    // When it is read under a subscriber that records the log
    let log = logged(|| Claims::parse(text));
    // Then one warning names the keys, and none of the text
    assert_eq!(log.matches("WARN").count(), 1, "{log}");
    assert!(
        log.contains("CommitId") && log.contains("RevisionId"),
        "{log}"
    );
    assert!(!log.contains("secret-text"), "{log}");

    // Given many claims quoting the token, when read, then one short warning names the
    // key once and never the value
    let text = "CommitId=XAMPLETOKEN ".repeat(1000);
    let log = logged(|| Claims::read(&text, Some("1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN")));
    assert_eq!(log.matches("WARN").count(), 1, "{log}");
    assert_eq!(log.matches("CommitId").count(), 1, "{log}");
    assert!(!log.to_ascii_lowercase().contains("xampletoken"), "{log}");
}

#[test]
fn a_claim_quoting_the_token_is_not_kept() {
    let token = "1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN";
    for text in [
        "CommitId=1a2b3c4d-573f-4ea7-a67e-xampletoken",
        "PipelineExecutionId=x1A2B3C4D-573F-4EA7-A67E-XAMPLETOKENx",
        "ExecutionId=573f-4ea7",
        r#"{"RevisionId": "XAMPLETOKEN"}"#,
        "CommitId=8d3f1c2b7a6e CommitId=1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN",
        // Without its dashes, or a piece of it that spans one.
        "CommitId=1a2b3c4d573f4ea7a67exampletoken",
        "ExecutionId=1a2b3c4d573f",
        r#"{"CommitId": "3c4d573f4EA7"}"#,
    ] {
        // Given customData whose claim quotes the token, or a piece of it
        // When it is read for the request with that token
        let claims = Claims::read(text, Some(token));
        // Then the value is not kept and the claims say so
        assert!(claims.quotes_token, "{text}");
        let shown = format!("{claims:?}").to_ascii_lowercase();
        assert!(!shown.contains("573f-4ea7"), "{shown}");
        assert!(!shown.contains("xampletoken"), "{shown}");
    }
    // A short value the token happens to contain is an ordinary claim
    let claims = Claims::read("CommitId=1a2b3c4", Some(token));
    assert!(!claims.quotes_token);
    assert_eq!(claims.commit_id.as_deref(), Some("1a2b3c4"));
}

fn logged(run: impl FnOnce() -> Claims) -> String {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, run);
    let bytes = sink.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}
