use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::decision::{Decision, Verdict};
use crate::notice::ApprovalTarget;
use crate::report::DecisionFormat;

fn target() -> ApprovalTarget {
    ApprovalTarget {
        pipeline: "web-shop".into(),
        stage: "Approve-Prod".into(),
        action: "Manual".into(),
    }
}

fn report(verdict: Verdict, answer: Answer, dry_run: bool) -> Report {
    Report::decided(
        Some("m-1".into()),
        &target(),
        Some(
            "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-shop/view?region=eu-west-1"
                .into(),
        ),
        "exec-1".into(),
        Decision {
            verdict,
            rule: Some("prod-after-tests".into()),
            reasons: vec![
                "Build/Unit succeeded in execution exec-1".into(),
                "alarm \"web-5xx\" is OK".into(),
            ],
            wake_at: None,
        },
        answer,
        dry_run,
    )
}

fn chat(report: &Report) -> Value {
    let notice = report.notice(DecisionFormat::Chat).unwrap();
    serde_json::from_str(&notice.body).unwrap()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The documented limits, checked on the JSON as a reader of the documentation would.
fn assert_within_limits(message: &Value) {
    assert_eq!(message["version"], "1.0");
    assert_eq!(message["source"], "custom");
    assert_eq!(message["content"]["textType"], "client-markdown");
    let chars = |value: &Value| value.as_str().unwrap().chars().count();
    assert!(chars(&message["content"]["title"]) <= 250);
    assert!(chars(&message["content"]["description"]) <= 8_000);
    for step in strings(&message["content"]["nextSteps"]) {
        assert!(step.chars().count() <= 350, "{step:?}");
    }
    for keyword in strings(&message["content"]["keywords"]) {
        assert!(
            !keyword.is_empty() && keyword.chars().count() <= 75,
            "{keyword:?}"
        );
    }
    assert!(message["metadata"]["threadId"].is_string());
    assert_eq!(message["metadata"]["enableCustomActions"], false);
}

#[test]
fn an_approval_says_approved_with_the_rule_and_every_reason_and_asks_nothing() {
    let message = chat(&report(Verdict::Approve, Answer::Sent, false));

    assert_within_limits(&message);
    assert_eq!(
        message["content"]["title"],
        "Approved: web-shop / Approve-Prod / Manual"
    );
    let description = message["content"]["description"].as_str().unwrap();
    for expected in [
        "Pipeline: web-shop · Stage: Approve-Prod · Action: Manual",
        "Execution: exec-1",
        "Rule: prod-after-tests",
        "Answer: sent to CodePipeline",
        "- Build/Unit succeeded in execution exec-1",
        "- alarm \"web-5xx\" is OK",
        "Review: https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-shop/view?region=eu-west-1",
    ] {
        assert!(
            description.contains(expected),
            "{expected:?} not in {description}"
        );
    }
    assert!(message["content"].get("nextSteps").is_none());
    assert_eq!(
        strings(&message["content"]["keywords"]),
        ["approve", "web-shop", "prod-after-tests"]
    );
    assert_eq!(
        message["metadata"]["summary"],
        "Approved: web-shop/Approve-Prod/Manual, rule prod-after-tests"
    );
    assert_eq!(
        message["metadata"]["additionalContext"]["verdict"],
        "approve"
    );
    assert_eq!(message["metadata"]["additionalContext"]["answer"], "sent");
}

#[test]
fn a_rejection_tells_a_human_to_fix_the_cause_and_run_again() {
    let message = chat(&report(Verdict::Reject, Answer::Sent, false));

    assert_within_limits(&message);
    assert!(
        message["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Rejected: ")
    );
    let steps = strings(&message["content"]["nextSteps"]);
    assert!(
        steps
            .iter()
            .any(|step| step.contains("retry the failed stage")),
        "{steps:?}"
    );
    assert_eq!(strings(&message["content"]["keywords"])[0], "reject");
}

#[test]
fn an_abstention_asks_a_human_to_decide_in_the_console() {
    let message = chat(&report(Verdict::Abstain, Answer::None, false));

    assert_within_limits(&message);
    assert!(
        message["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Left for a human: ")
    );
    let steps = strings(&message["content"]["nextSteps"]);
    assert!(
        steps[0].contains("approve or reject it yourself"),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|step| step.contains("approval-gate-cli explain"))
    );
}

#[test]
fn a_deferral_says_when_it_is_decided_again() {
    let mut deferred = report(Verdict::Defer, Answer::None, false);
    let at: Timestamp = "2026-12-03T08:00:00Z".parse().unwrap();
    deferred.wake_up = Some(at);
    let message = chat(&deferred);

    assert_within_limits(&message);
    let description = message["content"]["description"].as_str().unwrap();
    assert!(
        description.contains("Decided again: at 2026-12-03T08:00:00Z (a wake-up)"),
        "{description}"
    );
    assert!(strings(&message["content"]["nextSteps"])[0].contains("when its window opens"));

    deferred.wake_up = None;
    let description = chat(&deferred)["content"]["description"].to_string();
    assert!(
        description.contains("Decided again: at the next sweep."),
        "{description}"
    );
}

#[test]
fn a_dry_run_says_what_would_have_happened_and_that_nothing_was_sent() {
    for verdict in [Verdict::Approve, Verdict::Reject] {
        let message = chat(&report(verdict, Answer::DryRun, true));

        assert_within_limits(&message);
        let title = message["content"]["title"].as_str().unwrap();
        assert!(
            title.starts_with("Would ") && title.contains("(dry run)"),
            "{title}"
        );
        assert!(
            strings(&message["content"]["nextSteps"])[0].starts_with("Dry run: nothing was sent")
        );
        assert!(strings(&message["content"]["keywords"]).contains(&"dry run"));
        assert_eq!(message["metadata"]["additionalContext"]["dryRun"], "true");
    }
}

#[test]
fn an_approval_found_answered_announces_no_answer() {
    let message = chat(&report(Verdict::Approve, Answer::AlreadyAnswered, false));

    assert_within_limits(&message);
    assert!(
        message["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Not answered (already answered, or refused): ")
    );
    assert!(strings(&message["content"]["nextSteps"])[0].starts_with("Nothing to do"));
}

#[test]
fn a_stale_notice_is_told_and_a_dropped_record_is_not() {
    let mut stale = report(Verdict::Abstain, Answer::None, false);
    stale.outcome = Outcome::Stale;
    let message = chat(&stale);
    assert_within_limits(&message);
    assert!(
        message["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Ignored stale notice: ")
    );

    let dropped = Report::dropped(None, "not JSON".into(), false);
    assert_eq!(dropped.notice(DecisionFormat::Chat), None);
}

#[test]
fn every_message_about_one_approval_threads_together_and_others_do_not() {
    let approved = report(Verdict::Approve, Answer::Sent, false);
    let mut deferred = report(Verdict::Defer, Answer::None, false);
    deferred.wake_up = Some("2026-12-03T08:00:00Z".parse().unwrap());
    let thread = chat(&approved)["metadata"]["threadId"].clone();
    assert_eq!(chat(&deferred)["metadata"]["threadId"], thread);
    assert!(
        thread
            .as_str()
            .unwrap()
            .strip_prefix("approval-gate-")
            .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())),
        "{thread}"
    );

    let mut next_execution = approved.clone();
    next_execution.execution_id = Some("exec-2".into());
    let mut other_stage = approved.clone();
    if let Some(target) = &mut other_stage.target {
        target.stage = "Approve-Staging".into();
    }
    let mut shifted = approved.clone();
    // The same characters split at another place between the names.
    if let Some(target) = &mut shifted.target {
        target.pipeline = "web-shopA".into();
        target.stage = "pprove-Prod".into();
    }
    for other in [next_execution, other_stage, shifted] {
        assert_ne!(chat(&other)["metadata"]["threadId"], thread);
    }
}

#[test]
fn a_console_link_that_is_not_the_aws_console_is_left_out() {
    for link in [
        "https://console.example/web-shop",
        "http://console.aws.amazon.com/codepipeline",
        "https://console.aws.amazon.com.evil.example/x",
        "https://evil.example/?x=.console.aws.amazon.com",
        "https://user@evil.example@x.console.aws.amazon.com/",
        "https://console.aws.amazon.com/x)[Approve](https://evil.example",
        "https://console.aws.amazon.com/<!channel>",
        "https://console.aws.amazon.com/a b",
    ] {
        let mut approved = report(Verdict::Approve, Answer::Sent, false);
        approved.console_link = Some(link.into());
        let description = chat(&approved)["content"]["description"].to_string();
        assert!(!description.contains("evil"), "{link}: {description}");
        assert!(
            description.contains("is not an AWS console address"),
            "{link}: {description}"
        );
    }
    for link in [
        "https://console.aws.amazon.com/codepipeline/home?region=us-east-2#/view/MyFirstPipeline",
        "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/p/view?region=eu-west-1",
        "https://console.amazonaws.cn/codepipeline/home",
    ] {
        let mut approved = report(Verdict::Approve, Answer::Sent, false);
        approved.console_link = Some(link.into());
        let description = chat(&approved)["content"]["description"].to_string();
        assert!(
            description.contains(&format!("Review: {link}")),
            "{description}"
        );
    }
}

#[test]
fn markup_in_names_and_reasons_is_shown_not_obeyed() {
    let mut hostile = report(Verdict::Reject, Answer::Sent, false);
    if let Some(target) = &mut hostile.target {
        target.pipeline = "<!channel> *web*".into();
        target.stage = "[Approve](https://evil.example)".into();
        target.action = "`Man\nual`".into();
    }
    hostile.rule = Some("@here _rule_".into());
    hostile.reasons = vec![
        "commit \"fix\u{1b}[31m\n# Heading\n> quote <https://evil.example|click> & more\"".into(),
    ];
    let message = chat(&hostile);
    assert_within_limits(&message);
    let text = message.to_string();

    for raw in [
        "<!channel>",
        "[Approve]",
        "<https://",
        "@here",
        "*web*",
        "`Man",
        "_rule_",
        "\u{1b}",
    ] {
        assert!(!text.contains(raw), "{raw:?} reached the message: {text}");
    }
    let description = message["content"]["description"].as_str().unwrap();
    assert!(
        description.contains("&lt;https://evil.example|click&gt; &amp; more"),
        "{description}"
    );
    assert!(
        description
            .lines()
            .all(|line| !line.starts_with('#') && !line.starts_with('>')),
        "{description}"
    );
}

#[test]
fn reasons_past_the_description_limit_are_counted_not_cut_mid_way() {
    let mut long = report(Verdict::Reject, Answer::Sent, false);
    long.reasons = (0..40)
        .map(|i| format!("reason {i}: {}", "ü".repeat(600)))
        .collect();
    let message = chat(&long);
    assert_within_limits(&message);
    let description = message["content"]["description"].as_str().unwrap();
    assert!(description.len() <= 8_000, "{} bytes", description.len());
    assert!(description.contains("- reason 0: "));
    assert!(
        description.contains("more (the function's log has every reason)"),
        "{description}"
    );
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,400}",
        "[<>&*_~`@\\[\\]\\\\#|()!:\u{1b}\u{202e}\u{200b}\n ]{0,300}",
        proptest::collection::vec(any::<char>(), 0..3_000)
            .prop_map(|chars| chars.into_iter().collect()),
    ]
}

proptest! {
    #[test]
    fn any_names_and_reasons_make_a_notification_within_the_documented_limits(
        pipeline in any_text(),
        stage in any_text(),
        action in any_text(),
        rule in proptest::option::of(any_text()),
        execution in any_text(),
        reasons in proptest::collection::vec(any_text(), 0..12),
        verdict in prop_oneof![
            Just(Verdict::Approve), Just(Verdict::Reject), Just(Verdict::Abstain), Just(Verdict::Defer)
        ],
        dry_run in any::<bool>(),
    ) {
        let target = ApprovalTarget { pipeline, stage, action };
        let report = Report::decided(
            None,
            &target,
            None,
            execution,
            Decision { verdict, rule, reasons, wake_at: None },
            if dry_run { Answer::DryRun } else { Answer::Sent },
            dry_run,
        );
        let notice = report.notice(DecisionFormat::Chat).unwrap();
        let message: Value = serde_json::from_str(&notice.body).unwrap();
        assert_within_limits(&message);
        for text in [&message["content"]["title"], &message["content"]["description"]] {
            let text = text.as_str().unwrap();
            prop_assert!(!text.contains(['<', '>', '`', '*', '[', '@']), "{text:?}");
            prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        }
    }

    #[test]
    fn inert_markdown_fits_its_byte_limit_at_every_cut(text in any_text(), max in 0usize..400) {
        let shown = names::inert_markdown(&text, max);
        prop_assert!(shown.len() <= max, "{} > {max}: {shown:?}", shown.len());
        prop_assert!(!shown.contains(['<', '>', '`', '*', '[', ']', '@', '\n']));
    }
}
