//! What the decision writes from text it did not choose (rule names, alarm names and
//! reasons, commit messages), for any Unicode: the summary fits CodePipeline's limit and
//! has no control character, reasons are clean, and the token never shows, whole or cut.

use proptest::prelude::*;

use super::*;
use crate::conditions::{AlarmReading, AlarmState, AlarmStatus};

/// Pieces of text from outside, weighted towards what breaks byte arithmetic and
/// display: several byte widths, control and bidi characters, the `…` of a cut.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ß".to_owned()),
        Just("ü".to_owned()),
        Just("🚀".to_owned()),
        Just("✓".to_owned()),
        Just("…".to_owned()),
        Just("\n".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("e\u{301}".to_owned()),
        "[a-zA-Z0-9 -]{1,12}",
        any::<char>().prop_map(String::from),
    ]
}

/// The token as a quote may hold it: whole, in capitals, or cut short.
fn token_quote() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(TOKEN.to_owned()),
        Just(TOKEN.to_uppercase()),
        Just(TOKEN[..20].to_owned() + "…"),
        Just(TOKEN[..9].to_owned()),
    ]
}

/// Text from outside, up to lengths around the places reasons are cut, quoting the token.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(prop_oneof![4 => piece(), 1 => token_quote()], 0..80)
            .prop_map(|pieces| pieces.concat()),
        "(?s).{0,300}",
    ]
}

/// As [`hostile`] without the token: a rule's name is the policy author's, and the summary
/// quotes it as written.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(piece(), 0..80).prop_map(|pieces| pieces.concat()),
        "(?s).{0,300}",
    ]
}

fn alarm(name: String, reason: String, state: AlarmState) -> AlarmStatus {
    AlarmStatus {
        name,
        state,
        reason: Some(reason),
        changed: Some(at("2026-11-25T00:00:00Z")),
    }
}

fn assert_clean(decision: &Decision) -> Result<(), TestCaseError> {
    let summary = decision.summary_for(TOKEN);
    prop_assert!(
        summary.len() <= MAX_SUMMARY_BYTES,
        "{} bytes",
        summary.len()
    );
    prop_assert!(!summary.chars().any(char::is_control), "{summary:?}");
    let token = TOKEN.to_ascii_lowercase();
    for text in decision.reasons.iter().chain([&summary]) {
        let lower = text.to_ascii_lowercase();
        prop_assert!(!lower.contains(&token), "the token in {text:?}");
        for piece in lower.split('…') {
            prop_assert!(
                (8..token.len()).all(|len| !piece.ends_with(&token[..len])),
                "a cut piece of the token in {text:?}"
            );
        }
    }
    for reason in &decision.reasons {
        prop_assert!(!reason.chars().any(char::is_control), "{reason:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_summary_fits_and_is_printable_whatever_it_quotes(
        rule in text(),
        reasons in proptest::collection::vec(hostile(), 0..6),
        verdict in prop_oneof![
            Just(Verdict::Approve), Just(Verdict::Reject), Just(Verdict::Abstain), Just(Verdict::Defer)
        ],
    ) {
        let decision = Decision { verdict, rule: Some(rule), reasons, wake_at: None };
        let summary = decision.summary();
        prop_assert!(summary.len() <= MAX_SUMMARY_BYTES, "{} bytes", summary.len());
        prop_assert!(!summary.chars().any(char::is_control), "{summary:?}");
        prop_assert!(summary.contains("by approval-gate rule"), "{summary:?}");
    }

    #[test]
    fn alarms_with_any_names_and_reasons_are_quoted_cleanly(
        named in proptest::collection::vec(hostile(), 1..4),
        reasons in proptest::collection::vec(hostile(), 4),
        firing in proptest::collection::vec(any::<bool>(), 4),
        rule in text(),
    ) {
        // Names the policy takes: non-empty, no control character, at most 255.
        let named: Vec<String> = named
            .into_iter()
            .map(|name| {
                let name: String =
                    name.chars().filter(|c| !c.is_control()).take(255).collect();
                if name.trim().is_empty() { "alarm".to_owned() } else { name }
            })
            .collect();
        let rule = if rule.trim().is_empty() { "rule".to_owned() } else { rule };
        let policy = serde_json::json!({"rules": [{
            "name": rule,
            "match": {"pipeline": "web-*", "stage": "Approve-Prod"},
            "alarms": {"names": named, "on_alarm": "defer"},
        }]});
        let Ok(policy) = Policy::from_json(&policy.to_string()) else {
            // A rule name the policy refuses (e.g. a control character) decides nothing.
            return Ok(());
        };
        let statuses = named
            .iter()
            .zip(reasons)
            .zip(firing)
            .map(|((name, reason), firing)| {
                let state = if firing { AlarmState::Alarm } else { AlarmState::Ok };
                alarm(name.clone(), reason, state)
            })
            .collect();
        let reading = AlarmReading { by_name: Some(Ok(statuses)), by_prefix: Vec::new() };
        let given = Given {
            policy,
            conditions: Conditions::read(now(), Some(reading), Vec::new()),
            ..Given::prod()
        };

        let decision = given.decide();

        assert_clean(&decision)?;
    }

    #[test]
    fn commit_messages_of_any_text_are_quoted_cleanly(
        message in hostile(),
        pattern in prop_oneof![Just("."), Just("ß"), Just("🚀"), Just("x+"), Just("(?s).{40}")],
        on_match in prop_oneof![Just("reject"), Just("abstain")],
    ) {
        let policy = serde_json::json!({"rules": [{
            "name": "commit",
            "match": {"pipeline": "web-*", "stage": "Approve-Prod"},
            "revisions": {"commit_message": {"deny": [pattern], "on_match": on_match}},
        }]});
        let summary = serde_json::json!({"ProviderType": "GitHub", "CommitMessage": message});
        let given = Given {
            policy: Policy::from_json(&policy.to_string()).unwrap(),
            execution: Some(ExecutionRecord {
                variables: Vec::new(),
                execution_id: Some(EXECUTION.into()),
                artifacts: vec![ArtifactRevision {
                    name: "SourceArtifact".into(),
                    revision_id: Some("8d3f1c2b7a6e5d4c3b2a1908f7e6d5c4b3a29180".into()),
                    revision_summary: Some(summary.to_string()),
                    ..ArtifactRevision::default()
                }],
                trigger: Some("Webhook".into()),
                status: crate::pipeline::ExecutionStatus::InProgress,
            }),
            ..Given::prod()
        };

        let decision = given.decide();

        assert_clean(&decision)?;
    }
}
