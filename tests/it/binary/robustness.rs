//! Ordinary text and windows that crashed or hung the function: multibyte text where a
//! reason is cut, an always-open cron window inside a freeze. Each is decided, within a
//! bound, and one such approval never stops the sweep from answering the others.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Function, WAIT, outcome};
use crate::common::*;
use stand_in::{Invocation, RuntimeApi, StandIn};

/// An alarm name CloudWatch allows and a German team writes.
const LONG_ALARM: &str =
    "Bestellservice-Zahlungsabwicklung-Fehlerrate-größer-fünf-Prozent-über-fünf-Minuten";
/// Tokens the demo's approvals wait on (and that are no execution id there as well),
/// which must never be logged.
const TOKENS: [&str; 2] = [
    "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31",
    "9a7d2c4e-1b3f-4d5a-8e6c-7b9a0d1c2e42",
];
/// Long enough for the slowest CI machine to decide a handful of approvals; a hang ran
/// for minutes.
const DECIDED_WITHIN: Duration = Duration::from_secs(15);

/// A rule name whose lines CloudWatch did not extract as metrics.
const GERMAN_RULE: &str = "Freigabe nach Prüfung ✓";

/// The demo's policy with the inputs that broke it: the checkout rule also watches the
/// long alarm and has a name beyond ASCII, the reports rule allows every minute by cron
/// (inside its freeze), and the api rule quotes a commit message it holds back and has a
/// name longer than a dimension value may be.
fn policy() -> String {
    let mut policy: Value = serde_json::from_str(&demo_policy()).unwrap();
    let rules = policy["rules"].as_array_mut().unwrap();
    rules[0]["name"] = GERMAN_RULE.into();
    rules[2]["name"] = "api-".repeat(275).into();
    rules[0]["alarms"]["names"] = json!(["web-prod-5xx", LONG_ALARM]);
    rules[2]["revisions"]["commit_message"]["deny"] = json!(["Zahlungsströme"]);
    rules[3]["windows"]["allow"] = json!([{"cron": "* * * ? * * *"}]);
    policy.to_string()
}

/// The demo world with the text that broke it: both alarms firing with reasons full of
/// umlauts and line breaks, and api-orders' commit message long and full of emoji.
async fn world() -> StandIn {
    let stand_in = demo_stand_in().await;
    let reason = format!(
        "Schwellenwert überschritten:\n{} über fünf Minuten\r\n{}",
        "ü".repeat(40),
        "größer ".repeat(30)
    );
    for name in ["web-prod-5xx", LONG_ALARM] {
        stand_in.put_alarm(json!({
            "AlarmName": name,
            "StateValue": "ALARM",
            "StateReason": reason,
        }));
    }
    let mut execution = demo_fixture()["executions"]["api-orders"][0].clone();
    let message = format!(
        "Überarbeitung 🚀 der Zahlungsströme {}",
        "✨ Prüfung der Beträge für Österreich 🇦🇹 ".repeat(20)
    );
    execution["artifactRevisions"][0]["revisionSummary"] =
        json!({"ProviderType": "GitHub", "CommitMessage": message})
            .to_string()
            .into();
    stand_in.put_execution("api-orders", execution);
    stand_in
}

fn reasons(invocation: &Invocation) -> String {
    match invocation {
        Invocation::Response(body) => body["records"][0]["reasons"].to_string(),
        Invocation::Error { body, .. } => body.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multibyte_text_in_alarms_and_commit_messages_is_decided_not_a_crash() {
    let stand_in = world().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &policy());

    let alarm = runtime
        .invoke(event("deferred-by-alarm"), WAIT)
        .await
        .unwrap();
    let commit = runtime
        .invoke(event("revision-latest-main"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&alarm), "defer", "{}", reasons(&alarm));
    let said = reasons(&alarm);
    assert!(said.contains("Bestellservice-Zahlungsabwicklung"), "{said}");
    assert!(said.contains("überschritten"), "{said}");
    assert_eq!(outcome(&commit), "abstain", "{}", reasons(&commit));
    assert!(
        reasons(&commit).contains("Zahlungsströme"),
        "{}",
        reasons(&commit)
    );
    assert!(stand_in.accepted_answers().is_empty());
    let logs = function.logs();
    assert!(!logs.contains("panicked"), "{logs}");
    // Both decisions are metrics CloudWatch extracts: every dimension value is 1 to 1,024
    // characters of printable ASCII.
    let rules: Vec<String> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .filter_map(|line| line["Rule"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(rules.len(), 2, "{logs}");
    assert_eq!(rules[0], r"Freigabe nach Pr\u{fc}fung \u{2713}");
    for rule in &rules {
        assert!(
            (1..=1024).contains(&rule.len()),
            "{} characters",
            rule.len()
        );
        assert!(rule.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{rule}");
    }
    for token in TOKENS {
        assert!(!logs.contains(token), "a token leaked into the logs");
    }
}

/// Each always-open form the hang was seen with, inside a one-off freeze (the demo's) and
/// inside a weekly one covering every day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_always_open_cron_window_inside_a_freeze_defers_at_once() {
    let stand_in = world().await;
    let weekly = json!([{"every": "week", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                         "from": "00:00", "to": "24:00", "reason": "weekly freeze"}]);
    for cron in ["* * * ? * * *", "* * * * * ? *", "* * * ? * 1-7 *"] {
        for freeze in [None, Some(&weekly)] {
            let mut policy: Value = serde_json::from_str(&policy()).unwrap();
            let windows = &mut policy["rules"][3]["windows"];
            windows["allow"] = json!([{ "cron": cron }]);
            if let Some(freeze) = freeze {
                windows["freeze"] = freeze.clone();
            }
            let runtime = RuntimeApi::start().await.unwrap();
            let _function = Function::start(&runtime, &stand_in, &policy.to_string());

            let started = Instant::now();
            let invocation = runtime.invoke(event("outside-window"), WAIT).await.unwrap();
            let took = started.elapsed();

            let case = format!(
                "{cron} in {}",
                if freeze.is_some() {
                    "a weekly freeze"
                } else {
                    "a one-off freeze"
                }
            );
            assert_eq!(
                outcome(&invocation),
                "defer",
                "{case}: {}",
                reasons(&invocation)
            );
            assert!(took < DECIDED_WITHIN, "{case}: took {took:?}");
            assert!(
                reasons(&invocation).contains("freeze"),
                "{case}: {}",
                reasons(&invocation)
            );
        }
    }
    assert!(stand_in.accepted_answers().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_answers_a_healthy_approval_beside_the_ones_that_broke_it() {
    let stand_in = world().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &policy());

    let started = Instant::now();
    let sweep = runtime
        .invoke(event("scheduled-sweep"), WAIT)
        .await
        .unwrap();
    let took = started.elapsed();

    let Invocation::Response(sweep) = sweep else {
        panic!("the sweep failed: {sweep:?}");
    };
    assert!(took < DECIDED_WITHIN, "took {took:?}");
    assert_eq!(sweep["sweep"]["failures"], json!([]), "{sweep}");
    assert_eq!(sweep["sweep"]["isolated"], 0);
    let approved: Vec<String> = stand_in
        .accepted_answers()
        .iter()
        .filter(|call| call.body["result"]["status"] == "Approved")
        .map(|call| call.body["pipelineName"].as_str().unwrap().to_owned())
        .collect();
    assert!(approved.contains(&"web-shop".to_owned()), "{approved:?}");
    for broken in ["web-checkout", "reports-nightly", "api-orders"] {
        assert!(
            !approved.contains(&broken.to_owned()),
            "{broken} approved: {approved:?}"
        );
    }
    let logs = function.logs();
    for token in TOKENS {
        assert!(!logs.contains(token), "a token leaked into the logs");
    }
}

/// Whether `text` holds eight letters or digits of `token` in a row, in any case, with or
/// without its dashes.
fn quotes_a_piece_of(text: &str, token: &str) -> bool {
    let letters: String = token.chars().filter(char::is_ascii_alphanumeric).collect();
    let text: String = text
        .to_ascii_lowercase()
        .chars()
        .filter(|c| *c != '-')
        .collect();
    (0..=letters.len() - 8).any(|at| text.contains(&letters[at..at + 8]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reason_quoting_the_token_in_part_or_reformatted_never_shows_it() {
    // web-checkout's approval waits on this token; its alarm's reason quotes it without
    // its dashes, in capitals, and a piece from its middle.
    let token = "2d4f6a8c-0e1b-4c3d-9e5f-7a9b1c3d5e7f";
    let stand_in = world().await;
    stand_in.put_alarm(json!({
        "AlarmName": "web-prod-5xx",
        "StateValue": "ALARM",
        "StateReason": "deploy 2D4F6A8C0E1B4C3D9E5F7A9B1C3D5E7F failed; see c3d-9e5f-7a9b and 2d4f6a8c",
    }));
    let runtime = RuntimeApi::start().await.unwrap();
    let function = Function::start(&runtime, &stand_in, &policy());

    let invocation = runtime
        .invoke(event("deferred-by-alarm"), WAIT)
        .await
        .unwrap();

    assert_eq!(outcome(&invocation), "defer", "{}", reasons(&invocation));
    assert!(
        reasons(&invocation).contains("deploy <redacted> failed"),
        "{}",
        reasons(&invocation)
    );
    let Invocation::Response(response) = &invocation else {
        panic!("{invocation:?}");
    };
    let published: Vec<String> = stand_in
        .calls_to("Publish")
        .iter()
        .map(|call| call.body.to_string())
        .collect();
    let logs = function.logs();
    for (what, text) in [("response", response.to_string()), ("logs", logs)]
        .into_iter()
        .chain(published.into_iter().map(|body| ("notice", body)))
    {
        assert!(
            !quotes_a_piece_of(&text, token),
            "the token in the {what}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_nested_deeper_than_json_is_read_is_dropped_not_retried() {
    let stand_in = demo_stand_in().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = Function::start(&runtime, &stand_in, &demo_policy());
    // 200 levels of arrays in a field nobody reads; serde_json reads values 128 deep.
    let mut nested = json!([]);
    for _ in 0..200 {
        nested = json!([nested]);
    }

    for name in ["approval-started", "approved-by-rule"] {
        let mut deep = event(name);
        deep["junk"] = nested.clone();
        let invocation = runtime.invoke(deep, WAIT).await.unwrap();
        assert_eq!(outcome(&invocation), "dropped", "{name}: {invocation:?}");
        assert!(
            reasons(&invocation).contains("cannot be read as JSON"),
            "{}",
            reasons(&invocation)
        );
    }
    assert!(stand_in.calls().is_empty(), "nothing was read");
}
