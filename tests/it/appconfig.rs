//! The policy from AWS AppConfig, through the real SDK against the stand-in (restJson1):
//! read at cold start, refreshed after the interval, and what the gate does when the new
//! version is invalid or the source cannot be read.

use std::time::Duration;

use crate::common::*;
use approval_gate::aws::{AppConfigPolicy, CodePipeline, SnsDecisionTopic};
use approval_gate::config::ConfigError;
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::live_policy::{LivePolicy, LoadError};
use approval_gate::policy::Policy;
use approval_gate::policy::source::{PolicySource, SourceError};
use approval_gate::report::{Answer, Outcome, Report};
use stand_in::{Fault, StandIn};

const REFRESH: Duration = Duration::from_millis(1500);
const LOCATION: (&str, &str, &str) = ("web", "prod", "gate-policy");

/// The demo policy under another rule name, so a report says which version decided.
fn renamed_policy() -> String {
    demo_policy().replace("prod-after-tests", "prod-after-tests-v2")
}

async fn source(stand_in: &StandIn) -> AppConfigPolicy {
    let (application, environment, profile) = LOCATION;
    AppConfigPolicy::new(
        &sdk_for(stand_in).await,
        application.into(),
        environment.into(),
        profile.into(),
        REFRESH,
    )
}

fn publish(stand_in: &StandIn, text: &str) {
    let (application, environment, profile) = LOCATION;
    stand_in.put_configuration(application, environment, profile, text);
}

async fn load(stand_in: &StandIn) -> Result<LivePolicy<AppConfigPolicy>, LoadError> {
    LivePolicy::load(
        source(stand_in).await,
        "AppConfig web/prod/gate-policy".into(),
        REFRESH,
        jiff::Timestamp::now,
    )
    .await
}

/// The demo pipelines, the demo policy in AppConfig, and AppConfig answering that the
/// next read may come at once (its least is 15 s; the refresh interval decides here).
async fn world() -> (
    StandIn,
    LivePolicy<AppConfigPolicy>,
    Gate<Adapters<CodePipeline, SnsDecisionTopic>>,
) {
    let stand_in = demo_stand_in().await;
    stand_in.set_poll_interval(0);
    publish(&stand_in, &demo_policy());
    let live = load(&stand_in).await.unwrap();
    let settings = Settings {
        token_wait: Duration::from_millis(600),
        dry_run: true,
        ..Settings::default()
    };
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy { rules: Vec::new() },
        settings,
        CodePipeline::new(&sdk),
        None,
    );
    (stand_in, live, gate)
}

/// One invocation as main runs it: the policy in force first, then the notice.
async fn invoke(
    live: &mut LivePolicy<AppConfigPolicy>,
    gate: &mut Gate<Adapters<CodePipeline, SnsDecisionTopic>>,
) -> Report {
    gate.use_policy(live.current().await);
    let mut response = gate.handle(&event("approved-by-rule")).await.unwrap();
    response.records.remove(0)
}

#[tokio::test]
async fn the_wire_protocol_is_appconfig_datas() {
    let stand_in = StandIn::start().await.unwrap();
    publish(&stand_in, &demo_policy());
    let source = source(&stand_in).await;

    let token = source.start().await.unwrap();
    let first = source.latest(&token).await.unwrap();
    assert_eq!(first.content, demo_policy().as_bytes());
    // The session asked for the refresh interval, raised to AppConfig's least, 15 s.
    assert_eq!(first.min_interval, Duration::from_secs(15));
    let start = &stand_in.calls_to("StartConfigurationSession")[0];
    assert_eq!(start.body["ApplicationIdentifier"], "web");
    assert_eq!(start.body["EnvironmentIdentifier"], "prod");
    assert_eq!(start.body["ConfigurationProfileIdentifier"], "gate-policy");
    assert_eq!(start.body["RequiredMinimumPollIntervalInSeconds"], 15);

    // Unchanged: an empty body and a new token; the old token is used up.
    let unchanged = source.latest(&first.next_token).await.unwrap();
    assert!(unchanged.content.is_empty());
    assert_ne!(unchanged.next_token, first.next_token);
    let reused = source.latest(&first.next_token).await.unwrap_err();
    assert!(matches!(reused, SourceError::TokenRefused(_)), "{reused}");

    publish(&stand_in, &renamed_policy());
    let changed = source.latest(&unchanged.next_token).await.unwrap();
    assert_eq!(changed.content, renamed_policy().as_bytes());
}

#[tokio::test]
async fn cold_start_reads_the_policy_and_an_unchanged_one_is_kept() {
    let (stand_in, mut live, mut gate) = world().await;
    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.outcome, Outcome::Approve);
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests"));

    tokio::time::sleep(REFRESH).await;
    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.outcome, Outcome::Approve);
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests"));
    // One session: the refresh used the token the cold start's read returned.
    assert_eq!(stand_in.calls_to("StartConfigurationSession").len(), 1);
    assert_eq!(stand_in.calls_to("GetLatestConfiguration").len(), 2);
}

#[tokio::test]
async fn a_new_version_is_used_after_the_refresh_interval_and_not_before() {
    let (stand_in, mut live, mut gate) = world().await;
    publish(&stand_in, &renamed_policy());

    let before = invoke(&mut live, &mut gate).await;
    assert_eq!(before.rule.as_deref(), Some("prod-after-tests"));
    assert_eq!(stand_in.calls_to("GetLatestConfiguration").len(), 1);

    tokio::time::sleep(REFRESH).await;
    let after = invoke(&mut live, &mut gate).await;
    assert_eq!(after.rule.as_deref(), Some("prod-after-tests-v2"));
    assert_eq!(after.outcome, Outcome::Approve);
}

#[tokio::test]
async fn an_invalid_version_makes_the_gate_abstain_naming_the_error() {
    let (stand_in, mut live, mut gate) = world().await;
    publish(
        &stand_in,
        &demo_policy().replace("\"on_fail\"", "\"on_fial\""),
    );
    tokio::time::sleep(REFRESH).await;

    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.outcome, Outcome::Abstain);
    assert_eq!(report.answer, Answer::None);
    assert_eq!(report.rule, None);
    let reason = report.reasons.join("; ");
    assert!(
        reason.contains("is invalid") && reason.contains("on_fial"),
        "{reason}"
    );

    // The sweep answers nothing either, and says why.
    let sweep = gate.handle(&event("scheduled-sweep")).await.unwrap();
    let summary = sweep.sweep.unwrap();
    assert_eq!((summary.pipelines, summary.answered), (0, 0));
    assert!(summary.failures[0].contains("on_fial"));

    // A valid version brings the gate back.
    publish(&stand_in, &renamed_policy());
    tokio::time::sleep(REFRESH).await;
    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests-v2"));
}

#[tokio::test]
async fn an_empty_new_version_makes_the_gate_abstain_rather_than_keep_the_old_policy() {
    let (stand_in, mut live, mut gate) = world().await;
    // A new hosted version with no content: AppConfig names its version, so the empty
    // answer is that version, not "unchanged".
    publish(&stand_in, "");
    tokio::time::sleep(REFRESH).await;

    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.outcome, Outcome::Abstain);
    assert_eq!(report.answer, Answer::None);
    let reason = report.reasons.join("; ");
    assert!(reason.contains("empty"), "{reason}");
    // Unchanged answers after it do not bring the old policy back.
    tokio::time::sleep(REFRESH).await;
    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.outcome, Outcome::Abstain);
}

#[tokio::test]
async fn throttled_refreshes_keep_the_last_policy() {
    let (stand_in, mut live, mut gate) = world().await;
    publish(&stand_in, &renamed_policy());
    // Every attempt the SDK makes is throttled.
    stand_in.inject_times(
        "GetLatestConfiguration",
        Fault::error(429, "ThrottlingException"),
        TEST_LIMITS.max_attempts as usize,
    );
    tokio::time::sleep(REFRESH).await;

    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.outcome, Outcome::Approve);
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests"));
    let throttled = stand_in.calls_to("GetLatestConfiguration");
    assert_eq!(throttled.len(), 1 + TEST_LIMITS.max_attempts as usize);
    assert!(throttled[1..].iter().all(|call| call.status == 429));
}

#[tokio::test]
async fn an_expired_token_starts_a_new_session() {
    let (stand_in, mut live, mut gate) = world().await;
    publish(&stand_in, &renamed_policy());
    stand_in.expire_configuration_tokens();
    tokio::time::sleep(REFRESH).await;

    let report = invoke(&mut live, &mut gate).await;
    assert_eq!(report.rule.as_deref(), Some("prod-after-tests-v2"));
    assert_eq!(stand_in.calls_to("StartConfigurationSession").len(), 2);
}

#[tokio::test]
async fn a_missing_profile_at_cold_start_is_an_init_error() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.put_configuration("web", "prod", "another-profile", &demo_policy());

    let error = ConfigError::from(load(&stand_in).await.err().unwrap());
    assert_eq!(error.error_type(), "ApprovalGate.PolicyUnreadable");
    let text = error.to_string();
    assert!(
        text.contains("AppConfig web/prod/gate-policy") && text.contains("does not exist"),
        "{text}"
    );
    // Final: not retried by the SDK.
    assert_eq!(stand_in.calls_to("StartConfigurationSession").len(), 1);
}

#[tokio::test]
async fn an_invalid_policy_at_cold_start_is_an_init_error() {
    let stand_in = StandIn::start().await.unwrap();
    publish(&stand_in, r#"{"rules": "all"}"#);
    let error = ConfigError::from(load(&stand_in).await.err().unwrap());
    assert_eq!(error.error_type(), "ApprovalGate.InvalidPolicy");
    assert!(error.to_string().contains("rules"), "{error}");
}
