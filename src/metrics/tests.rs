use jiff::SignedDuration;

use super::*;
use crate::decision::{Decision, Verdict};
use crate::handler::SweepSummary;
use crate::notice::ApprovalTarget;

const NOW: &str = "2026-11-26T10:00:05Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn target() -> ApprovalTarget {
    ApprovalTarget {
        pipeline: "web-shop".into(),
        stage: "Approve-Prod".into(),
        action: "Gate".into(),
    }
}

fn decided(verdict: Verdict, answer: Answer) -> Report {
    Report::decided(
        Some("msg-1".into()),
        &target(),
        None,
        "6c7a2f5e-3b1d-4e8a-9f0c-1d2e3f4a5b6c".into(),
        Decision {
            verdict,
            rule: Some("prod".into()),
            reasons: vec!["inside allow window".into()],
            wake_at: None,
        },
        answer,
        false,
    )
}

fn single(response: &Response) -> Value {
    let invocation = Invocation {
        response,
        read_retries: 0,
    };
    let mut documents = documents(invocation, "Shop/Gate", now());
    assert_eq!(documents.len(), 1, "{documents:#?}");
    documents.remove(0)
}

/// Every metric the `_aws` block names has a number beside it, and every dimension it
/// names has a string beside it: what CloudWatch requires to accept a document.
fn assert_valid_emf(document: &Value) {
    let aws = &document["_aws"];
    assert_eq!(aws["Timestamp"], now().as_millisecond());
    for directive in aws["CloudWatchMetrics"].as_array().unwrap() {
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(
                document[name].is_number(),
                "{name} has no value: {document}"
            );
        }
        for set in directive["Dimensions"].as_array().unwrap() {
            for dimension in set.as_array().unwrap() {
                let name = dimension.as_str().unwrap();
                let value = document[name].as_str();
                assert!(value.is_some(), "{name} has no value: {document}");
                assert_valid_dimension_value(value.unwrap());
            }
        }
    }
}

#[test]
fn an_answered_approval_counts_by_verdict_answer_and_rule_with_its_latency() {
    let mut report = decided(Verdict::Approve, Answer::Sent);
    report.published = Some(now() - SignedDuration::from_millis(4_250));
    let document = single(&Response {
        records: vec![report],
        sweep: None,
    });
    assert_valid_emf(&document);
    let directive = &document["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "Shop/Gate");
    assert_eq!(
        directive["Dimensions"],
        json!([["Verdict"], ["Answer"], ["Rule"]])
    );
    assert_eq!(document["Verdict"], "approve");
    assert_eq!(document["Answer"], "sent");
    assert_eq!(document["Rule"], "prod");
    assert_eq!(document["Decisions"], 1.0);
    assert_eq!(document["AnswerLatency"], 4250.0);
}

#[test]
fn no_identifier_of_an_execution_or_approval_becomes_a_metric_field() {
    let mut report = decided(Verdict::Reject, Answer::Sent);
    report.published = Some(now());
    let document = single(&Response {
        records: vec![report],
        sweep: None,
    });
    let text = document.to_string();
    for identifier in ["6c7a2f5e", "msg-1", "web-shop", "Approve-Prod"] {
        assert!(!text.contains(identifier), "{identifier} in {text}");
    }
}

#[test]
fn latency_is_measured_only_for_an_answer_sent_after_a_known_publication() {
    for (answer, published) in [
        (Answer::DryRun, Some(now())),
        (Answer::None, Some(now())),
        (Answer::AlreadyAnswered, Some(now())),
        (Answer::Sent, None),
    ] {
        let mut report = decided(Verdict::Approve, answer);
        report.published = published;
        let document = single(&Response {
            records: vec![report],
            sweep: None,
        });
        assert_valid_emf(&document);
        assert!(document.get("AnswerLatency").is_none(), "{document}");
        let names = &document["_aws"]["CloudWatchMetrics"][0]["Metrics"];
        assert_eq!(names, &json!([{"Name": "Decisions", "Unit": "Count"}]));
    }
}

#[test]
fn stale_and_dropped_notices_count_under_their_verdict_without_a_rule() {
    let dropped = Report::dropped(None, "not an approval notice".into(), false);
    let document = single(&Response {
        records: vec![dropped],
        sweep: None,
    });
    assert_valid_emf(&document);
    assert_eq!(document["Verdict"], "dropped");
    assert_eq!(document["Answer"], "none");
    assert_eq!(document["Rule"], "(none)");
}

#[test]
fn a_sweep_reports_its_figures_without_dimensions_and_one_line_per_answer() {
    let response = Response {
        records: vec![decided(Verdict::Approve, Answer::Sent)],
        sweep: Some(SweepSummary {
            pipelines: 12,
            covered: 9,
            left: 3,
            throttled: 4,
            pending: 3,
            answered: 1,
            failures: vec!["web-a: throttled".into(), "web-b: throttled".into()],
            ..SweepSummary::default()
        }),
    };
    let invocation = Invocation {
        response: &response,
        read_retries: 2,
    };
    let documents = documents(invocation, "ApprovalGate", now());
    assert_eq!(documents.len(), 3, "{documents:#?}");
    documents.iter().for_each(assert_valid_emf);
    let sweep = &documents[1];
    assert_eq!(
        sweep["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([[]])
    );
    assert_eq!(sweep["SweepPipelines"], 12.0);
    assert_eq!(sweep["SweepCovered"], 9.0);
    assert_eq!(sweep["SweepLeft"], 3.0);
    assert_eq!(sweep["SweepThrottled"], 4.0);
    assert_eq!(sweep["SweepPending"], 3.0);
    assert_eq!(sweep["SweepAnswered"], 1.0);
    assert_eq!(sweep["SweepFailures"], 2.0);
    assert_eq!(documents[2]["ReadRetries"], 2.0);
}

/// The EMF specification's limit for a dimension value: 1 to 1,024 characters, each
/// printable ASCII; CloudWatch does not extract a line with any other.
fn assert_valid_dimension_value(value: &str) {
    assert!(
        (1..=1024).contains(&value.chars().count()),
        "{} characters: {value:?}",
        value.chars().count()
    );
    assert!(
        value.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "not printable ASCII: {value:?}"
    );
}

#[test]
fn a_rule_name_of_printable_ascii_is_its_own_dimension_value() {
    assert_eq!(dimension_value("prod-weekday-hours"), "prod-weekday-hours");
    let longest = "r".repeat(1024);
    assert_eq!(dimension_value(&longest), longest);
}

#[test]
fn a_rule_name_beyond_printable_ascii_becomes_its_escaped_form() {
    let mut report = decided(Verdict::Approve, Answer::Sent);
    report.rule = Some("Freigabe nach Prüfung ✓".into());
    let document = single(&Response {
        records: vec![report],
        sweep: None,
    });
    assert_eq!(document["Rule"], r"Freigabe nach Pr\u{fc}fung \u{2713}");
    // A backslash is escaped too, so no name can pass for another's escaped form.
    assert_eq!(dimension_value(r"prod\nightly"), r"prod\\nightly");
    assert_eq!(dimension_value("prod\n1"), r"prod\u{a}1");
    assert_eq!(dimension_value("a\tb\u{1b}"), r"a\u{9}b\u{1b}");
}

#[test]
fn a_rule_name_too_long_for_a_dimension_is_cut_and_keeps_a_hash_of_the_whole() {
    let long = "x".repeat(1100);
    let longer = format!("{long}y");
    let value = dimension_value(&long);
    assert_valid_dimension_value(&value);
    assert_eq!(value.len(), 1024);
    assert!(value.starts_with(&"x".repeat(1007)));
    assert!(value[1007..].starts_with('~'));
    assert_ne!(value, dimension_value(&longer));
    assert_eq!(
        value,
        dimension_value(&long),
        "the same name, the same series"
    );
}

proptest::proptest! {
    #[test]
    fn every_rule_name_becomes_a_valid_dimension_value(name in "(?s).{0,1200}") {
        assert_valid_dimension_value(&dimension_value(&name));
    }

    #[test]
    fn distinct_rule_names_become_distinct_dimension_values(
        a in "[a-z\\\\ü✓{}u0-9\n]{0,12}",
        b in "[a-z\\\\ü✓{}u0-9\n]{0,12}",
    ) {
        proptest::prop_assume!(a != b && !a.is_empty() && !b.is_empty());
        proptest::prop_assert_ne!(dimension_value(&a), dimension_value(&b));
    }
}
