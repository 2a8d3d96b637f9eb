//! What the gate says about each record: the structured log line, the handler's response,
//! and the decision notice for people. All three are built from one [`Report`], so they
//! can never disagree. No report carries the approval token.

// Text from outside is handled here: no index that could be out of range.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::future::Future;

use jiff::Timestamp;
use serde::Serialize;

use crate::decision::{Decision, Verdict};
use crate::names;
use crate::notice::{ApprovalRequest, ApprovalTarget};

mod chat;

/// Tells people what the gate decided (SNS). Failing to tell never changes a decision.
pub trait DecisionTopic: Send + Sync {
    fn publish(
        &self,
        notice: &DecisionNotice,
    ) -> impl Future<Output = Result<(), PublishError>> + Send;
}

#[derive(Debug, thiserror::Error)]
#[error("publishing the decision failed: {0}")]
pub struct PublishError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// How the record ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Approve,
    Reject,
    Abstain,
    /// Outside its time window: left pending, decided again by the sweep.
    Defer,
    /// The notice's token is not the live one: nothing to decide.
    Stale,
    /// Not an approval notice, malformed, from a topic not allowed, or expired.
    Dropped,
}

impl From<Verdict> for Outcome {
    fn from(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Approve => Self::Approve,
            Verdict::Reject => Self::Reject,
            Verdict::Abstain => Self::Abstain,
            Verdict::Defer => Self::Defer,
        }
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Abstain => "abstain",
            Self::Defer => "defer",
            Self::Stale => "stale",
            Self::Dropped => "dropped",
        }
    }
}

/// What happened to the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// PutApprovalResult accepted the answer.
    Sent,
    /// Dry run: the answer was decided but not sent.
    DryRun,
    /// No answer is due (abstain, stale, dropped).
    None,
    /// Somebody answered first, or the token expired: final and normal.
    AlreadyAnswered,
    /// CodePipeline refused the answer for good (the approval is gone).
    Refused,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub message_id: Option<String>,
    pub outcome: Outcome,
    pub answer: Answer,
    /// Where the approval waits; `None` for a record that named no approval.
    #[serde(flatten)]
    pub target: Option<ApprovalTarget>,
    pub execution_id: Option<String>,
    pub rule: Option<String>,
    pub reasons: Vec<String>,
    pub dry_run: bool,
    /// For a deferral: when a wake-up decides it again (`None`: at the next sweep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_up: Option<Timestamp>,
    #[serde(skip)]
    pub console_link: Option<String>,
    /// When SNS published the notice (the record's `Timestamp`), for the answer latency.
    #[serde(skip)]
    pub published: Option<Timestamp>,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::DryRun => "dry-run",
            Self::None => "none",
            Self::AlreadyAnswered => "already-answered",
            Self::Refused => "refused",
        }
    }
}

impl Report {
    pub fn dropped(message_id: Option<String>, reason: String, dry_run: bool) -> Self {
        Self {
            message_id,
            outcome: Outcome::Dropped,
            answer: Answer::None,
            target: None,
            execution_id: None,
            rule: None,
            reasons: vec![reason],
            dry_run,
            wake_up: None,
            console_link: None,
            published: None,
        }
    }

    pub fn about(
        message_id: Option<String>,
        request: &ApprovalRequest,
        outcome: Outcome,
        reasons: Vec<String>,
        dry_run: bool,
    ) -> Self {
        Self::about_target(
            message_id,
            &request.target,
            request.console_link.clone(),
            outcome,
            reasons,
            dry_run,
        )
    }

    pub(crate) fn about_target(
        message_id: Option<String>,
        target: &ApprovalTarget,
        console_link: Option<String>,
        outcome: Outcome,
        reasons: Vec<String>,
        dry_run: bool,
    ) -> Self {
        Self {
            message_id,
            outcome,
            answer: Answer::None,
            target: Some(target.clone()),
            execution_id: None,
            rule: None,
            reasons,
            dry_run,
            wake_up: None,
            console_link,
            published: None,
        }
    }

    pub fn decided(
        message_id: Option<String>,
        target: &ApprovalTarget,
        console_link: Option<String>,
        execution_id: String,
        decision: Decision,
        answer: Answer,
        dry_run: bool,
    ) -> Self {
        Self {
            execution_id: Some(execution_id),
            rule: decision.rule,
            answer,
            ..Self::about_target(
                message_id,
                target,
                console_link,
                decision.verdict.into(),
                decision.reasons,
                dry_run,
            )
        }
    }

    /// The target's names, each `missing` when the record named no approval.
    fn names<'a>(&'a self, missing: &'a str) -> (&'a str, &'a str, &'a str) {
        self.target
            .as_ref()
            .map_or((missing, missing, missing), |target| {
                (&target.pipeline, &target.stage, &target.action)
            })
    }

    /// Writes the one structured log line for this record.
    pub fn log(&self) {
        let reasons = self.reasons.join("; ");
        // Names the sweep found in a state were never checked as a notice's are: cleaned
        // like every other text from outside.
        let (pipeline, stage, action) = self.names("");
        let [pipeline, stage, action] =
            [pipeline, stage, action].map(|name| names::printable(name, 100));
        let message_id = self.message_id.as_deref().unwrap_or("");
        let execution_id = names::printable(self.execution_id.as_deref().unwrap_or(""), 100);
        let rule = self.rule.as_deref().unwrap_or("");
        let wake_up = self.wake_up.map(|at| at.to_string()).unwrap_or_default();
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    target: crate::logging::AUDIT,
                    message_id,
                    pipeline,
                    stage,
                    action,
                    execution_id,
                    verdict = self.outcome.as_str(),
                    answer = self.answer.as_str(),
                    rule,
                    reasons = %reasons,
                    dry_run = self.dry_run,
                    wake_up,
                    "decision"
                )
            };
        }
        match self.outcome {
            Outcome::Dropped => line!(warn),
            _ => line!(info),
        }
    }

    /// The decision notice for the decision topic in `format`, or `None` for records that
    /// were not about an approval (dropped ones are only logged).
    pub fn notice(&self, format: DecisionFormat) -> Option<DecisionNotice> {
        if self.outcome == Outcome::Dropped {
            return None;
        }
        let headline = self.headline();
        let (pipeline, stage, action) = self.names("?");
        let subject = subject(&format!(
            "[approval-gate] {headline}: {pipeline}/{stage}/{action}"
        ));
        let body = match format {
            DecisionFormat::Plain => self.plain_body(),
            DecisionFormat::Chat => chat::message(self),
        };
        Some(DecisionNotice {
            subject,
            body,
            verdict: self.outcome,
            pipeline: self
                .target
                .as_ref()
                .map(|target| target.pipeline.clone())
                .unwrap_or_default(),
            dry_run: self.dry_run,
        })
    }

    /// What the notice says happened, in a few words.
    fn headline(&self) -> &'static str {
        match (self.outcome, self.dry_run) {
            // The gate would have answered, but the approval had an answer already (a human's,
            // or the gate's own from a duplicate delivery): this notice announces none.
            (Outcome::Approve | Outcome::Reject, false)
                if matches!(self.answer, Answer::AlreadyAnswered | Answer::Refused) =>
            {
                "Not answered (already answered, or refused)"
            }
            (Outcome::Approve, false) => "Approved",
            (Outcome::Approve, true) => "Would approve (dry run)",
            (Outcome::Reject, false) => "Rejected",
            (Outcome::Reject, true) => "Would reject (dry run)",
            (Outcome::Abstain, _) => "Left for a human",
            (Outcome::Defer, _) => "Deferred until its window opens",
            (Outcome::Stale, _) | (Outcome::Dropped, _) => "Ignored stale notice",
        }
    }

    /// What became of the answer, for a reader.
    fn answer_text(&self) -> &'static str {
        match self.answer {
            Answer::Sent => "sent to CodePipeline",
            Answer::DryRun => "not sent (dry run)",
            Answer::None => "none due",
            // CodePipeline does not say by whom: a person, another delivery of the same
            // notice or event, or this gate's own attempt whose reply was lost.
            Answer::AlreadyAnswered => {
                "not sent: the approval was already answered (by a person, by another \
                 delivery, or by an earlier attempt of this one whose reply was lost)"
            }
            Answer::Refused => "refused by CodePipeline",
        }
    }

    /// The plain-text body, for mail and other subscribers that show text as it is.
    fn plain_body(&self) -> String {
        let headline = self.headline();
        let answer = self.answer_text();
        let (pipeline, stage, action) = self.names("-");
        let mut body = format!(
            "approval-gate: {headline}\n\n\
             Pipeline:  {}\nStage:     {}\nAction:    {}\nExecution: {}\n\
             Verdict:   {}\nRule:      {}\nAnswer:    {answer}\nDry run:   {}\n\nReasons:\n",
            names::printable(pipeline, 100),
            names::printable(stage, 100),
            names::printable(action, 100),
            names::printable(self.execution_id.as_deref().unwrap_or("-"), 100),
            self.outcome.as_str(),
            self.rule
                .as_deref()
                .map_or("(no rule matched)".into(), |r| names::printable(r, 100)),
            self.dry_run,
        );
        for reason in &self.reasons {
            body.push_str(&format!("  - {}\n", names::printable(reason, 2000)));
        }
        if let Some(link) = &self.console_link {
            body.push_str(&format!("\nReview: {}\n", names::printable(link, 2000)));
        }
        body
    }
}

/// How decision notices are written (`GATE_DECISION_FORMAT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecisionFormat {
    /// Text for mail and other subscribers that show the message as it is.
    #[default]
    Plain,
    /// The custom-notification JSON of Amazon Q Developer in chat applications (formerly
    /// AWS Chatbot), which posts it to Slack or Microsoft Teams.
    Chat,
}

impl DecisionFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Chat => "chat",
        }
    }
}

/// A decision as told to the decision topic's subscribers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionNotice {
    /// Fit for a mail client: printable ASCII, under 100 characters (SNS's limit). The
    /// same in both formats: chat applications show the message, mail the subject.
    pub subject: String,
    /// The SNS message: plain text, or the chat notification's JSON.
    pub body: String,
    /// Message attributes, so subscribers can filter.
    pub verdict: Outcome,
    pub pipeline: String,
    pub dry_run: bool,
}

/// SNS subjects must be ASCII without control characters and shorter than 100 characters.
fn subject(text: &str) -> String {
    let ascii: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() < 100 {
        ascii
    } else {
        // ASCII: 96 characters are 96 bytes.
        format!("{}...", ascii.chars().take(96).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::ApprovalToken;

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            target: ApprovalTarget {
                pipeline: "web-shop".into(),
                stage: "Approve-Prod".into(),
                action: "Manual".into(),
            },
            token: ApprovalToken::new("secret-token"),
            expires: "2026-12-03T08:00:00Z".parse().unwrap(),
            region: Some("eu-west-1".into()),
            console_link: Some("https://console.example/web-shop".into()),
            custom_data: None,
        }
    }

    fn decided(verdict: Verdict, dry_run: bool) -> Report {
        let decision = Decision {
            verdict,
            rule: Some("prod-after-tests".into()),
            reasons: vec!["Build/Unit succeeded in execution exec-1".into()],
            wake_at: None,
        };
        let answer = if dry_run {
            Answer::DryRun
        } else {
            Answer::Sent
        };
        let request = request();
        Report::decided(
            Some("m-1".into()),
            &request.target,
            request.console_link.clone(),
            "exec-1".into(),
            decision,
            answer,
            dry_run,
        )
    }

    #[test]
    fn a_decision_that_found_the_approval_answered_does_not_announce_an_answer() {
        for answer in [Answer::AlreadyAnswered, Answer::Refused] {
            let mut report = decided(Verdict::Approve, false);
            report.answer = answer;
            let notice = report.notice(DecisionFormat::Plain).unwrap();
            assert_eq!(
                notice.subject,
                "[approval-gate] Not answered (already answered, or refused): web-shop/Approve-Prod/Manual"
            );
        }
    }

    #[test]
    fn notice_names_everything_a_reader_needs() {
        let notice = decided(Verdict::Approve, false)
            .notice(DecisionFormat::Plain)
            .unwrap();
        assert_eq!(
            notice.subject,
            "[approval-gate] Approved: web-shop/Approve-Prod/Manual"
        );
        for expected in [
            "Pipeline:  web-shop",
            "Stage:     Approve-Prod",
            "Action:    Manual",
            "Execution: exec-1",
            "Verdict:   approve",
            "Rule:      prod-after-tests",
            "  - Build/Unit succeeded in execution exec-1",
            "Review: https://console.example/web-shop",
        ] {
            assert!(
                notice.body.contains(expected),
                "{expected:?} missing from\n{}",
                notice.body
            );
        }
        assert_eq!(
            (notice.verdict, notice.pipeline.as_str(), notice.dry_run),
            (Outcome::Approve, "web-shop", false)
        );
    }

    #[test]
    fn dry_run_notice_says_what_would_have_happened() {
        let notice = decided(Verdict::Reject, true)
            .notice(DecisionFormat::Plain)
            .unwrap();
        assert!(
            notice
                .subject
                .starts_with("[approval-gate] Would reject (dry run): ")
        );
        assert!(notice.body.contains("not sent (dry run)"));
        assert!(notice.dry_run);
    }

    #[test]
    fn dropped_records_have_no_notice() {
        assert_eq!(
            Report::dropped(None, "not JSON".into(), false).notice(DecisionFormat::Plain),
            None
        );
    }

    #[test]
    fn subject_is_short_printable_ascii() {
        let long = subject(&format!(
            "[approval-gate] Approved: {}\u{1b}ü",
            "p".repeat(200)
        ));
        assert!(long.len() < 100 && long.ends_with("..."), "{long}");
        assert_eq!(subject("a\nü"), "a??");
    }

    #[test]
    fn the_log_line_shows_names_from_a_state_without_control_characters() {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut report = decided(Verdict::Reject, false);
        if let Some(target) = &mut report.target {
            target.stage = "App\u{1b}[31m\nrove".into();
            target.action = "Man\u{202e}ual".into();
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .finish();

        tracing::subscriber::with_default(subscriber, || report.log());

        let line = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line["fields"]["stage"], "App [31m rove");
        assert_eq!(
            line["fields"]["action"], "Manual",
            "the bidi control is gone"
        );
    }

    proptest::proptest! {
        #[test]
        fn every_subject_is_printable_ascii_under_100_characters(text in "(?s).{0,300}") {
            let subject = subject(&text);
            proptest::prop_assert!(subject.len() < 100, "{subject:?}");
            proptest::prop_assert!(
                subject.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
                "{subject:?}"
            );
        }
    }

    #[test]
    fn response_json_has_no_token() {
        let json = serde_json::to_string(&decided(Verdict::Approve, false)).unwrap();
        assert!(!json.contains("secret-token"));
        assert!(json.contains(r#""outcome":"approve""#), "{json}");
    }
}
