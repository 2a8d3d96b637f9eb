//! Bytes as a policy document. Nothing may panic; an accepted policy must keep its promises
//! (unique, non-empty rule names), no policy may approve an approval past its expiry, and
//! a token that is not the live one is never proven live.

#![no_main]

use approval_gate::check_function::FunctionAnswer;
use approval_gate::conditions::Conditions;
use approval_gate::decision::{Evidence, MAX_SUMMARY_BYTES, Verdict, decide};
use approval_gate::evidence::{ExecutionFacts, LiveApproval, SourceHead};
use approval_gate::fixtures;
use approval_gate::notice::ApprovalToken;
use approval_gate::pipeline::ActionStatus;
use approval_gate::policy::Policy;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::from_json(text) else {
        return;
    };
    let mut names = std::collections::HashSet::new();
    for rule in &policy.rules {
        assert!(!rule.name.trim().is_empty(), "accepted an empty rule name");
        assert!(names.insert(&rule.name), "accepted {:?} twice", rule.name);
    }
    let _ = policy.named_pipelines();
    let now: Timestamp = "2026-11-26T09:00:00Z".parse().unwrap();
    let sweep_every = SignedDuration::from_mins(5);
    for (pipeline, stage, action) in [
        ("web-shop", "Approve-Prod", "Manual"),
        ("data-etl", "Approve", "SignOff"),
        ("a", "b", "c"),
    ] {
        let _ = policy.covers(pipeline);
        let target = fixtures::target(pipeline, stage, action);
        // Waiting for an hour, after the `Build` actions succeeded (as ListActionExecutions
        // shows them, too).
        let builds = [
            ("IntegrationTests", ActionStatus::Succeeded),
            ("Unit", ActionStatus::Succeeded),
        ];
        let since = now - SignedDuration::from_hours(1);
        let state = fixtures::waiting(&target, "live-token", Some(since), &builds);
        assert!(
            LiveApproval::prove(&state, &target, &ApprovalToken::new("other-token")).is_err(),
            "proved a stale token live"
        );
        let approval = LiveApproval::prove(&state, &target, &ApprovalToken::new("live-token"))
            .expect("the waiting token is live");
        let facts = ExecutionFacts::of(&approval).with_actions(fixtures::runs_shown_by(&state));
        let heads = SourceHead::of(&state);
        // A 59-minute timeout has expired, a 7-day one has not.
        let timeout = |minutes| fixtures::timeout(&target, minutes);
        let conditions = Conditions::none();
        let mut evidence = Evidence {
            approval: &approval,
            execution: &facts,
            heads: &heads,
            expiry: approval.expiry(Some(&timeout(59))),
            conditions: &conditions,
            function: &FunctionAnswer::NotAsked,
        };
        let verdict = decide(&policy, &evidence, now, sweep_every).verdict;
        assert_ne!(verdict, Verdict::Approve, "approved an expired approval");
        evidence.expiry = approval.expiry(Some(&timeout(7 * 24 * 60)));
        let decision = decide(&policy, &evidence, now, sweep_every);
        if decision.verdict == Verdict::Approve {
            assert!(decision.summary().len() <= MAX_SUMMARY_BYTES);
        }
    }
});
