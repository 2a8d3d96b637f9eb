//! The decision notice as a custom notification of Amazon Q Developer in chat applications
//! (formerly AWS Chatbot), which posts the JSON it finds in an SNS message to the Slack
//! channels and Microsoft Teams channels mapped to the topic.
//!
//! The schema is the one documented in "Custom notifications using Amazon Q Developer in
//! chat applications", <https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html>:
//! `version` "1.0" and `source` "custom" are required; `content` carries `textType`
//! ("client-markdown", the only one), `title`, `description`, `nextSteps` and `keywords`;
//! `metadata` carries `threadId` (notifications with the same one are threaded together),
//! `summary` (shown on the thread's top message), `enableCustomActions` and
//! `additionalContext` (strings to strings). The lengths below are the documented ones
//! where a limit is documented (title 250, description 8,000, each next step 350, each
//! keyword 75 characters) and the gate's own, smaller than any platform's, where none is.
//! Every text from outside (names, rule names, reasons quoting commit messages and alarm
//! reasons) goes through [`names::inert_markdown`]: one line, no link, mention, HTML or
//! emphasis, cut on a character boundary to a number of bytes, so that it fits the limit
//! however the limit counts.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Answer, Outcome, Report};
use crate::names;

/// The documented limits.
pub(crate) const TITLE_MAX: usize = 250;
pub(crate) const DESCRIPTION_MAX: usize = 8_000;
pub(crate) const NEXT_STEP_MAX: usize = 350;
pub(crate) const KEYWORD_MAX: usize = 75;
/// The gate's own limits, where the documentation states none.
const SUMMARY_MAX: usize = 250;
const CONTEXT_VALUE_MAX: usize = 128;
/// A name as shown in the description: CodePipeline's names are at most 100 characters,
/// and an `@` shows as three bytes.
const NAME_MAX: usize = 300;
/// One reason in the description: long enough for a quoted commit message's first lines.
const REASON_MAX: usize = 1_000;

#[derive(Serialize)]
struct Notification {
    version: &'static str,
    source: &'static str,
    content: Content,
    metadata: Metadata,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    text_type: &'static str,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    next_steps: Vec<String>,
    keywords: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    thread_id: String,
    summary: String,
    /// No buttons: a notice tells; answering an approval is the console's business.
    enable_custom_actions: bool,
    additional_context: BTreeMap<&'static str, String>,
}

/// The SNS message for `report` in the chat format.
pub(super) fn message(report: &Report) -> String {
    let notification = notification(report);
    // Strings, booleans and maps with string keys: serde_json cannot fail on them. The
    // fallback keeps this free of a panic path, and is itself a valid notification.
    serde_json::to_string(&notification).unwrap_or_else(|_| {
        r#"{"version":"1.0","source":"custom","content":{"textType":"client-markdown","description":"approval-gate: a decision notice could not be written; see the function's log"}}"#.to_owned()
    })
}

fn notification(report: &Report) -> Notification {
    let headline = report.headline();
    let (pipeline, stage, action) = report.names("?");
    let rule = report.rule.as_deref();
    let mut keywords = vec![report.outcome.as_str().to_owned()];
    keywords.extend(
        report
            .target
            .as_ref()
            .map(|target| names::inert_markdown(&target.pipeline, KEYWORD_MAX)),
    );
    keywords.push(rule.map_or("no rule".to_owned(), |rule| {
        names::inert_markdown(rule, KEYWORD_MAX)
    }));
    if report.dry_run {
        keywords.push("dry run".to_owned());
    }
    keywords.retain(|keyword| !keyword.is_empty());
    let mut context = BTreeMap::from([
        ("verdict", report.outcome.as_str().to_owned()),
        ("answer", report.answer.as_str().to_owned()),
        ("dryRun", report.dry_run.to_string()),
    ]);
    if let Some(execution) = &report.execution_id {
        context.insert(
            "executionId",
            names::inert_markdown(execution, CONTEXT_VALUE_MAX),
        );
    }
    if let Some(rule) = rule {
        context.insert("rule", names::inert_markdown(rule, CONTEXT_VALUE_MAX));
    }
    Notification {
        version: "1.0",
        source: "custom",
        content: Content {
            text_type: "client-markdown",
            title: names::inert_markdown(
                &format!("{headline}: {pipeline} / {stage} / {action}"),
                TITLE_MAX,
            ),
            description: description(report),
            next_steps: next_steps(report)
                .into_iter()
                .map(|step| names::truncate_bytes(&step, NEXT_STEP_MAX))
                .collect(),
            keywords,
        },
        metadata: Metadata {
            thread_id: thread_id(report),
            summary: names::inert_markdown(
                &format!(
                    "{headline}: {pipeline}/{stage}/{action}, rule {}",
                    rule.unwrap_or("(none)")
                ),
                SUMMARY_MAX,
            ),
            enable_custom_actions: false,
            additional_context: context,
        },
    }
}

/// One thread per approval: its pipeline, stage and action and the execution it waits
/// in, hashed (names are hostile, and threads need no more than a stable name). The
/// token is never part of it: a new token for the same execution (a retried stage) is
/// still the same approval to a reader.
pub(crate) fn thread_id(report: &Report) -> String {
    let (pipeline, stage, action) = report.names("");
    let execution = report.execution_id.as_deref().unwrap_or("");
    // A separator that no name can hold keeps ("a-b", "c") apart from ("a", "b-c").
    let key = [pipeline, stage, action, execution].join("\u{1f}");
    format!("approval-gate-{:016x}", names::fnv1a(key.as_bytes()))
}

fn description(report: &Report) -> String {
    let (pipeline, stage, action) = report.names("-");
    let show = |text: &str| names::inert_markdown(text, NAME_MAX);
    let mut lines = vec![
        format!("{} by approval-gate.", report.headline()),
        format!(
            "Pipeline: {} · Stage: {} · Action: {}",
            show(pipeline),
            show(stage),
            show(action)
        ),
        format!(
            "Execution: {}",
            show(report.execution_id.as_deref().unwrap_or("-"))
        ),
        format!(
            "Rule: {}",
            report
                .rule
                .as_deref()
                .map_or("(no rule matched)".into(), show)
        ),
        format!("Answer: {}", report.answer_text()),
    ];
    let mut tail = Vec::new();
    if report.outcome == Outcome::Defer {
        tail.push(match report.wake_up {
            Some(at) => format!("Decided again: at {at} (a wake-up), or by a sweep before then."),
            None => "Decided again: at the next sweep.".to_owned(),
        });
    }
    if let Some(link) = &report.console_link {
        tail.push(match console_link(link) {
            Some(link) => format!("Review: {link}"),
            None => "Review: (the notice's console link is not an AWS console address, so it \
                     is left out)"
                .to_owned(),
        });
    }
    // Every reason that fits; the rest are counted, and the log line has them all.
    let used = |lines: &[String]| lines.iter().map(|line| line.len() + 1).sum::<usize>();
    let room_for_count = 80;
    let mut budget = DESCRIPTION_MAX
        .saturating_sub(used(&lines) + used(&tail) + "Reasons:".len() + 1 + room_for_count);
    lines.push("Reasons:".to_owned());
    let mut left_out = 0;
    for reason in &report.reasons {
        let line = format!("- {}", names::inert_markdown(reason, REASON_MAX));
        if left_out == 0 && line.len() < budget {
            budget -= line.len() + 1;
            lines.push(line);
        } else {
            left_out += 1;
        }
    }
    if report.reasons.is_empty() {
        lines.push("- (none given)".to_owned());
    }
    if left_out > 0 {
        lines.push(format!(
            "- and {left_out} more (the function's log has every reason)"
        ));
    }
    lines.extend(tail);
    // The budget above keeps the text within the limit; the cut is a second guard.
    names::truncate_bytes(&lines.join("\n"), DESCRIPTION_MAX)
}

/// The console link, if it is an `https` address of the AWS console made of characters
/// that cannot end a link early or start markup. The notice is untrusted: anyone who may
/// publish to the approval topic chooses its `consoleLink`.
fn console_link(link: &str) -> Option<&str> {
    let rest = link.strip_prefix("https://")?;
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let console = [
        "console.aws.amazon.com",
        "console.amazonaws.cn",
        "console.amazonaws-us-gov.com",
    ]
    .iter()
    .any(|domain| {
        host == *domain
            || host
                .strip_suffix(domain)
                .is_some_and(|region| region.ends_with('.') && !region.contains(['@', ':']))
    });
    let plain = link.len() <= 2_000
        && link
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#!$&'+,;=%".contains(&b));
    (console && plain).then_some(link)
}

/// What a reader should do now, by outcome. Only the gate's own words: nothing here
/// quotes text from outside.
fn next_steps(report: &Report) -> Vec<String> {
    let already = matches!(report.answer, Answer::AlreadyAnswered | Answer::Refused);
    match report.outcome {
        _ if report.dry_run && matches!(report.outcome, Outcome::Approve | Outcome::Reject) => {
            vec![
                "Dry run: nothing was sent. Approve or reject the approval in the CodePipeline \
                 console yourself."
                    .into(),
                "When the gate's dry-run decisions look right, deploy with DryRun=false \
                 (GATE_DRY_RUN=false) to let it answer."
                    .into(),
            ]
        }
        Outcome::Approve | Outcome::Reject if already => vec![
            "Nothing to do: the approval already had an answer. The pipeline's execution \
             history shows which."
                .into(),
        ],
        Outcome::Approve => Vec::new(),
        Outcome::Reject => vec![
            "Read the reasons above: the approval is rejected and the stage has failed.".into(),
            "Fix the cause, then release a new change or retry the failed stage in the \
             CodePipeline console; the gate decides the new approval."
                .into(),
        ],
        Outcome::Abstain => vec![
            "Review the approval in the CodePipeline console and approve or reject it \
             yourself: the gate leaves this one to a human."
                .into(),
            "If a rule should have decided it, run approval-gate-cli explain against the \
             policy to see why none did."
                .into(),
        ],
        Outcome::Defer => vec![
            "Nothing to do: the gate decides the approval again when its window opens.".into(),
            "To release it sooner, approve it in the CodePipeline console yourself.".into(),
        ],
        Outcome::Stale | Outcome::Dropped => {
            vec!["Nothing to do: the notice named an approval that is no longer waiting.".into()]
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
