//! `decide()` on hand-made evidence: one spec a test.

use super::*;
use crate::fixtures::{self, EXECUTION, at};
use crate::notice::{ApprovalTarget, ApprovalToken};
use crate::pipeline::{
    ActionRecord, ArtifactRevision, ExecutionRecord, ExecutionStatus, PipelineSnapshot,
};

const POLICY: &str = r#"{"rules": [{"name": "prod-after-tests",
    "match": {"pipeline": "web-*", "stage": "Approve-Prod"},
    "require_succeeded": ["Build/IntegrationTests", "Build/Unit"],
    "on_fail": "reject"},
    {"name": "staging-soft", "match": {"stage": "Approve-Staging"},
     "require_succeeded": ["Build/Unit"]},
    {"name": "sandbox", "match": {"pipeline": "sandbox-*"}}]}"#;

const TOKEN: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const SWEEP: SignedDuration = SignedDuration::from_mins(5);

fn now() -> Timestamp {
    at("2026-11-26T08:00:00Z")
}

fn target(pipeline: &str, stage: &str) -> ApprovalTarget {
    fixtures::target(pipeline, stage, "Manual")
}

/// A pipeline waiting for approval of `EXECUTION` at `stage`, since `since`. Its Build
/// stage shows both actions succeeded: what GetPipelineState says, which the decision must
/// not trust.
fn snapshot(pipeline: &str, stage: &str, since: Option<Timestamp>) -> PipelineSnapshot {
    let builds = [
        ("IntegrationTests", ActionStatus::Succeeded),
        ("Unit", ActionStatus::Succeeded),
    ];
    fixtures::waiting(&target(pipeline, stage), TOKEN, since, &builds)
}

fn record(stage: &str, action: &str, status: ActionStatus, updated: Option<&str>) -> ActionRecord {
    ActionRecord {
        updated: updated.map(at),
        ..fixtures::record(EXECUTION, stage, action, status)
    }
}

fn both_builds(status: ActionStatus) -> Vec<ActionRecord> {
    vec![
        record("Build", "IntegrationTests", status.clone(), None),
        record("Build", "Unit", status, None),
    ]
}

struct Given {
    policy: Policy,
    snapshot: PipelineSnapshot,
    target: ApprovalTarget,
    /// What ListActionExecutions lists besides the approval's own attempt.
    records: Option<Vec<ActionRecord>>,
    /// The approval's own attempt, which ListActionExecutions lists with the others.
    own_attempt: Option<ActionRecord>,
    execution: Option<ExecutionRecord>,
    expiry: Option<Timestamp>,
    conditions: Conditions,
    function: FunctionAnswer,
}

impl Given {
    fn new(policy: &str, pipeline: &str, stage: &str) -> Self {
        Self {
            policy: Policy::from_json(policy).unwrap(),
            snapshot: snapshot(pipeline, stage, Some(at("2026-11-26T07:55:00Z"))),
            target: target(pipeline, stage),
            records: Some(both_builds(ActionStatus::Succeeded)),
            own_attempt: Some(record(stage, "Manual", ActionStatus::InProgress, None)),
            execution: None,
            expiry: Some(at("2026-12-03T07:55:00Z")),
            conditions: Conditions::none(),
            function: FunctionAnswer::NotAsked,
        }
    }

    fn prod() -> Self {
        Self::new(POLICY, "web-shop", "Approve-Prod")
    }

    fn decide_at(&self, now: Timestamp) -> Decision {
        self.with_evidence(now, |evidence| decide(&self.policy, evidence, now, SWEEP))
    }

    /// Whether the rule's function would be asked at `now`.
    fn asks_at(&self, now: Timestamp) -> bool {
        self.with_evidence(now, |evidence| {
            let rule = self.policy.rule_for(&self.target).unwrap();
            asks_function(rule, evidence, now, SWEEP)
        })
    }

    fn with_evidence<R>(&self, _now: Timestamp, use_it: impl FnOnce(&Evidence<'_>) -> R) -> R {
        let approval =
            LiveApproval::prove(&self.snapshot, &self.target, &ApprovalToken::new(TOKEN)).unwrap();
        let mut facts = ExecutionFacts::of(&approval);
        if let Some(execution) = self.execution.clone() {
            facts = facts.with_execution(execution);
        }
        if let Some(mut records) = self.records.clone() {
            records.extend(self.own_attempt.clone());
            facts = facts.with_actions(records);
        }
        let heads = SourceHead::of(&self.snapshot);
        // The expiry the test names, as the declared timeout that yields it.
        let declaration = self.expiry.zip(approval.since()).map(|(expiry, since)| {
            fixtures::timeout(&self.target, expiry.duration_since(since).as_mins())
        });
        let expiry = approval.expiry(declaration.as_ref());
        assert_eq!(
            expiry.map(Expiry::at),
            self.expiry,
            "a timeout CodePipeline allows"
        );
        let evidence = Evidence {
            function: &self.function,
            approval: &approval,
            execution: &facts,
            heads: &heads,
            expiry,
            conditions: &self.conditions,
        };
        use_it(&evidence)
    }

    fn decide(&self) -> Decision {
        self.decide_at(now())
    }
}

#[test]
fn approves_when_required_actions_succeeded_in_the_execution() {
    let decision = Given::prod().decide();
    assert_eq!(decision.verdict, Verdict::Approve);
    assert_eq!(decision.rule.as_deref(), Some("prod-after-tests"));
    assert_eq!(
        decision.reasons,
        vec![
            "Build/IntegrationTests succeeded in execution exec-1",
            "Build/Unit succeeded in execution exec-1"
        ]
    );
}

#[test]
fn a_skipped_stage_proves_nothing_whatever_its_actions_show() {
    // The state shows Build's actions Succeeded (from a run three days ago); the execution
    // under approval skipped the stage, so ListActionExecutions has no attempt of them.
    let mut given = Given::prod();
    given.records = Some(Vec::new());
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(
        decision.reasons,
        vec![
            "Build/IntegrationTests did not run in execution exec-1 (a skipped stage, or no such stage or action)",
            "Build/Unit did not run in execution exec-1 (a skipped stage, or no such stage or action)"
        ]
    );
}

#[test]
fn attempts_of_another_execution_are_not_evidence() {
    let mut given = Given::prod();
    let mut records = both_builds(ActionStatus::Succeeded);
    for record in &mut records {
        record.execution_id = Some("exec-0".into());
    }
    given.records = Some(records);
    assert_eq!(given.decide().verdict, Verdict::Reject);
}

#[test]
fn facts_are_not_used_unless_the_attempts_list_the_approval_itself() {
    // A stage shows the newer execution while the token waiting in it is an older one's:
    // the newer execution's attempts do not list the approval's action execution.
    let mut given = Given::prod();
    given.own_attempt = Some(ActionRecord {
        execution_id: Some("exec-0".into()),
        ..record("Approve-Prod", "Manual", ActionStatus::InProgress, None)
    });
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Abstain, "{decision:?}");
    assert!(
        decision.reasons[0].starts_with(
            "ListActionExecutions does not list the approval's action execution ae-Manual \
             among those of execution exec-1"
        ),
        "{decision:?}"
    );

    // Listed, but under another action execution id: the same.
    given.own_attempt = Some(ActionRecord {
        action_execution_id: Some("ae-older".into()),
        ..record("Approve-Prod", "Manual", ActionStatus::InProgress, None)
    });
    assert_eq!(given.decide().verdict, Verdict::Abstain);

    // A state that shows no action execution id cannot be tied to any execution.
    let mut given = Given::prod();
    for stage in &mut given.snapshot.stages {
        for action in &mut stage.actions {
            if let Some(execution) = &mut action.execution {
                execution.action_execution_id = None;
            }
        }
    }
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Abstain, "{decision:?}");
    assert!(
        decision.reasons[0].starts_with("the state shows no action execution id"),
        "{decision:?}"
    );
}

#[test]
fn unread_action_executions_fail_the_check() {
    let mut given = Given::prod();
    given.records = None;
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Reject);
    assert!(
        decision.reasons[0].contains("could not be read"),
        "{decision:?}"
    );
}

#[test]
fn a_retried_action_counts_by_its_last_attempt() {
    let mut given = Given::prod();
    given.records = Some(vec![
        record(
            "Build",
            "IntegrationTests",
            ActionStatus::Failed,
            Some("2026-11-26T07:00:00Z"),
        ),
        record(
            "Build",
            "IntegrationTests",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:20:00Z"),
        ),
        record(
            "Build",
            "Unit",
            ActionStatus::Succeeded,
            Some("2026-11-26T07:20:00Z"),
        ),
        record(
            "Build",
            "Unit",
            ActionStatus::Failed,
            Some("2026-11-26T07:30:00Z"),
        ),
    ]);
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(
        decision.reasons,
        vec!["Build/Unit is Failed in execution exec-1, not Succeeded"]
    );
}

#[test]
fn attempts_that_cannot_be_ordered_count_only_if_all_succeeded() {
    let mut given = Given::prod();
    given.records = Some(vec![
        record("Build", "IntegrationTests", ActionStatus::Succeeded, None),
        record("Build", "IntegrationTests", ActionStatus::Failed, None),
        record("Build", "Unit", ActionStatus::Succeeded, None),
    ]);
    assert_eq!(given.decide().verdict, Verdict::Reject);
}

#[test]
fn rejects_with_every_failing_check_when_on_fail_is_reject() {
    let mut given = Given::prod();
    given.records = Some(vec![
        record("Build", "IntegrationTests", ActionStatus::Failed, None),
        record("Build", "Unit", ActionStatus::InProgress, None),
    ]);
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(
        decision.reasons,
        vec![
            "Build/IntegrationTests is Failed in execution exec-1, not Succeeded",
            "Build/Unit is InProgress in execution exec-1, not Succeeded"
        ]
    );
}

#[test]
fn abstains_on_failure_when_on_fail_defaults() {
    let mut given = Given::new(POLICY, "api", "Approve-Staging");
    given.records = Some(both_builds(ActionStatus::Failed));
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Abstain);
    assert_eq!(decision.rule.as_deref(), Some("staging-soft"));
}

#[test]
fn an_action_of_the_approvals_own_stage_counts_once_it_ran_in_the_execution() {
    let policy = r#"{"rules":[{"name":"same-stage","require_succeeded":["Approve-Prod/Smoke"]}]}"#;
    let mut given = Given::new(policy, "web-shop", "Approve-Prod");
    assert_eq!(given.decide().verdict, Verdict::Abstain);
    given.records = Some(vec![record(
        "Approve-Prod",
        "Smoke",
        ActionStatus::Succeeded,
        Some("2026-11-26T07:50:00Z"),
    )]);
    assert_eq!(given.decide().verdict, Verdict::Approve);
}

#[test]
fn an_action_beside_the_approval_that_succeeded_after_it_started_waiting_keeps_abstain() {
    // Smoke runs in the approval's stage beside it (the same runOrder). When the approval
    // started waiting (07:55) it was still running, so the rule, which abstains on a
    // failure, left the approval to a human then; that it succeeded at 07:58 does not
    // change it. Finished before the approval started, it counts.
    let policy = r#"{"rules":[{"name":"same-stage","require_succeeded":["Approve-Prod/Smoke"]}]}"#;
    let mut given = Given::new(policy, "web-shop", "Approve-Prod");
    given.records = Some(vec![record(
        "Approve-Prod",
        "Smoke",
        ActionStatus::Succeeded,
        Some("2026-11-26T07:58:00Z"),
    )]);
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Abstain, "{decision:?}");
    assert!(
        decision.reasons[0].contains("stays with a human"),
        "{decision:?}"
    );
    assert!(
        decision.reasons[1].contains("Approve-Prod/Smoke is InProgress"),
        "{decision:?}"
    );

    // An attempt whose time is unknown may have ended after the approval started waiting.
    given.records = Some(vec![record(
        "Approve-Prod",
        "Smoke",
        ActionStatus::Succeeded,
        None,
    )]);
    assert_eq!(given.decide().verdict, Verdict::Abstain);

    given.records = Some(vec![record(
        "Approve-Prod",
        "Smoke",
        ActionStatus::Succeeded,
        Some("2026-11-26T07:54:00Z"),
    )]);
    assert_eq!(given.decide().verdict, Verdict::Approve);
}

#[test]
fn abstains_without_rule_when_nothing_matches() {
    let decision = Given::new(POLICY, "api", "Deploy").decide();
    assert_eq!(decision.verdict, Verdict::Abstain);
    assert_eq!(decision.rule, None);
    assert_eq!(decision.reasons, vec!["no rule matches api/Deploy/Manual"]);
}

#[test]
fn a_rule_without_checks_approves_what_it_matches() {
    let mut given = Given::new(POLICY, "sandbox-1", "Go");
    given.records = None;
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Approve);
    assert_eq!(decision.rule.as_deref(), Some("sandbox"));
}

#[test]
fn never_approves_past_the_trusted_expiry() {
    let mut given = Given::new(POLICY, "sandbox-1", "Go");
    given.expiry = Some(now());
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Abstain);
    assert!(decision.reasons[0].contains("expired"));
}

const DEFER_AT_NINE: &str = r#"{"rules": [{"name": "office",
    "windows": {"timezone": "UTC",
                "allow": [{"days": ["mon","tue","wed","thu","fri","sat","sun"],
                           "from": "09:00", "to": "17:00"}],
                "outside": "defer"}}]}"#;

#[test]
fn a_deferral_whose_window_opens_before_expiry_is_kept_even_in_the_last_half_hour() {
    // Sweep at 08:50, the approval expires at 09:10, the window opens at 09:00.
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:10:00Z"));
    let decision = given.decide_at(at("2026-11-26T08:50:00Z"));
    assert_eq!(decision.verdict, Verdict::Defer, "{decision:?}");
}

#[test]
fn a_deferral_that_no_sweep_can_answer_in_time_is_rejected_in_the_last_half_hour() {
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:03:00Z"));
    assert_eq!(
        given.decide_at(at("2026-11-26T08:10:00Z")).verdict,
        Verdict::Defer,
        "more than half an hour left: still deferred"
    );
    let decision = given.decide_at(at("2026-11-26T08:40:00Z"));
    assert_eq!(decision.verdict, Verdict::Reject);
    assert!(
        decision
            .reasons
            .last()
            .unwrap()
            .contains("expires at 2026-11-26T09:03:00Z"),
        "{decision:?}"
    );
}

#[test]
fn a_window_must_open_more_than_one_sweep_period_before_the_expiry() {
    // The window opens at 09:00 and sweeps come every 5 minutes: the sweep that finds it
    // open may come as late as 09:04:59, so an approval expiring at 09:05 is rejected, and
    // one expiring at 09:06 is kept.
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:05:00Z"));
    assert_eq!(
        given.decide_at(at("2026-11-26T08:59:59Z")).verdict,
        Verdict::Reject
    );
    given.expiry = Some(at("2026-11-26T09:06:00Z"));
    assert_eq!(
        given.decide_at(at("2026-11-26T08:59:59Z")).verdict,
        Verdict::Defer
    );
}

#[test]
fn without_a_trusted_expiry_a_deferral_is_never_rejected() {
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = None;
    let decision = given.decide_at(at("2026-11-26T08:59:00Z"));
    assert_eq!(decision.verdict, Verdict::Defer);
}

#[test]
fn abstain_at_the_start_of_the_wait_stays_abstain_when_the_window_opens() {
    let policy = DEFER_AT_NINE.replace("\"defer\"", "\"abstain\"");
    let mut given = Given::new(&policy, "web-shop", "Approve-Prod");
    given.snapshot = snapshot("web-shop", "Approve-Prod", Some(at("2026-11-26T07:00:00Z")));
    let decision = given.decide_at(at("2026-11-26T10:00:00Z"));
    assert_eq!(decision.verdict, Verdict::Abstain);
    assert!(
        decision.reasons[0].contains("stays with a human"),
        "{decision:?}"
    );

    // A deferral, by contrast, is answered once the window opens, and says it waited.
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.snapshot = snapshot("web-shop", "Approve-Prod", Some(at("2026-11-26T07:00:00Z")));
    let decision = given.decide_at(at("2026-11-26T10:00:00Z"));
    assert_eq!(decision.verdict, Verdict::Approve);
    assert!(decision.reasons.last().unwrap().starts_with("it waited"));
}

#[test]
fn facts_about_another_execution_are_refused() {
    let given = Given::prod();
    let approval =
        LiveApproval::prove(&given.snapshot, &given.target, &ApprovalToken::new(TOKEN)).unwrap();
    let facts = ExecutionFacts::about("exec-0").with_actions(vec![ActionRecord {
        execution_id: Some("exec-0".into()),
        ..record("Build", "Unit", ActionStatus::Succeeded, None)
    }]);
    let evidence = Evidence {
        function: &FunctionAnswer::NotAsked,
        approval: &approval,
        execution: &facts,
        heads: &[],
        expiry: None,
        conditions: &Conditions::none(),
    };
    let decision = decide(&given.policy, &evidence, now(), SWEEP);
    assert_eq!(decision.verdict, Verdict::Abstain);
}

#[test]
fn no_reason_carries_the_token() {
    let policy = r#"{"rules":[{"name":"r","require_succeeded":["Build/Unit"]}]}"#;
    let mut given = Given::new(policy, "web-shop", "Approve-Prod");
    given.records = Some(vec![record(
        "Build",
        "Unit",
        ActionStatus::Other(format!("Weird-{}", TOKEN.to_uppercase())),
        None,
    )]);
    let decision = given.decide();
    let text = decision.reasons.join(" ").to_lowercase();
    assert!(!text.contains(TOKEN), "{decision:?}");
    assert!(text.contains("<redacted>"), "{decision:?}");
}

fn claims(execution_id: Option<&str>, commit_id: Option<&str>) -> Claims {
    Claims {
        execution_id: execution_id.map(str::to_owned),
        commit_id: commit_id.map(str::to_owned),
        ..Claims::default()
    }
}

fn facts_with_commit(commit: &str) -> ExecutionFacts {
    ExecutionFacts::about(EXECUTION).with_execution(ExecutionRecord {
        variables: Vec::new(),
        execution_id: Some(EXECUTION.into()),
        artifacts: vec![ArtifactRevision {
            name: "SourceArtifact".into(),
            revision_id: Some(commit.into()),
            ..ArtifactRevision::default()
        }],
        trigger: Some("Webhook".into()),
        status: ExecutionStatus::InProgress,
    })
}

#[test]
fn claims_that_agree_with_the_evidence_do_not_veto() {
    let full = "9f2c1e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
    let facts = facts_with_commit(full);
    assert_eq!(
        claims_veto(&claims(Some(EXECUTION), Some(full)), &facts),
        None
    );
    assert_eq!(claims_veto(&claims(None, Some("9F2C1E7")), &facts), None);
    assert_eq!(claims_veto(&Claims::default(), &facts), None);
}

#[test]
fn a_claim_that_disagrees_vetoes_whatever_the_checks_say() {
    let facts = facts_with_commit("9f2c1e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
    let veto = claims_veto(&claims(Some("exec-0"), None), &facts).unwrap();
    assert!(veto.contains("names execution exec-0"), "{veto}");
    let veto = claims_veto(&claims(None, Some("9f2c1e8")), &facts).unwrap();
    assert!(veto.contains("does not carry it"), "{veto}");
    assert!(
        claims_veto(&claims(None, Some("9f2c1e")), &facts).is_some(),
        "too short"
    );
    assert!(
        claims_veto(
            &claims(
                None,
                Some("9f2c1e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5deadbeef")
            ),
            &facts
        )
        .is_some(),
        "longer than the revision: another commit"
    );
    let unread = ExecutionFacts::about(EXECUTION);
    assert!(claims_veto(&claims(None, Some("9f2c1e7")), &unread).is_some());
}

#[test]
fn claims_that_quote_the_token_or_cannot_be_read_veto_without_quoting() {
    let facts = facts_with_commit("9f2c1e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
    let quoting = Claims {
        quotes_token: true,
        ..Claims::default()
    };
    assert!(
        claims_veto(&quoting, &facts)
            .unwrap()
            .contains("quotes the approval token")
    );
    let unreadable = Claims {
        unreadable: true,
        ..Claims::default()
    };
    assert!(claims_veto(&unreadable, &facts).is_some());
}

#[test]
fn summary_names_rule_and_reasons_within_512_bytes() {
    let decision = Decision {
        verdict: Verdict::Reject,
        rule: Some("prod-after-tests".into()),
        reasons: vec!["Build/Unit is Failed".into(), "😀".repeat(1000)],
        wake_at: None,
    };
    let summary = decision.summary();
    assert!(summary.starts_with(
        "Rejected by approval-gate rule \"prod-after-tests\": Build/Unit is Failed; 😀"
    ));
    assert!(summary.len() <= MAX_SUMMARY_BYTES, "{}", summary.len());
    assert!(summary.len() > MAX_SUMMARY_BYTES - 4);
    assert!(summary.ends_with('…'));
}

#[test]
fn without_knowing_when_the_approval_started_waiting_nothing_is_answered() {
    let mut given = Given::new(POLICY, "sandbox-1", "Go");
    given.expiry = None;
    given.snapshot = snapshot("sandbox-1", "Go", None);
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Abstain);
    assert!(
        decision.reasons[0].contains("cannot be judged"),
        "{decision:?}"
    );

    // A start far ahead of the clock is not believed either; a few seconds ahead is.
    given.snapshot = snapshot("sandbox-1", "Go", Some(at("2026-11-26T09:00:00Z")));
    assert_eq!(given.decide().verdict, Verdict::Abstain);
    given.snapshot = snapshot("sandbox-1", "Go", Some(at("2026-11-26T08:00:30Z")));
    assert_eq!(given.decide().verdict, Verdict::Approve);
}

#[test]
fn a_window_shorter_than_the_sweep_period_does_not_save_a_deferral_from_expiry() {
    // The window is open for two minutes, 09:00-09:02, and the approval expires at 09:10:
    // a sweep every five minutes may miss it entirely.
    let policy = DEFER_AT_NINE.replace("\"17:00\"", "\"09:02\"");
    let mut given = Given::new(&policy, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:10:00Z"));
    let decision = given.decide_at(at("2026-11-26T08:50:00Z"));
    assert_eq!(decision.verdict, Verdict::Reject, "{decision:?}");
}

#[test]
fn an_execution_that_is_not_in_progress_gets_no_answer_whatever_the_checks_say() {
    for status in [
        "Stopping",
        "Stopped",
        "Superseded",
        "Cancelled",
        "Succeeded",
        "Failed",
        "Paused",
    ] {
        let given = Given {
            execution: Some(ExecutionRecord {
                execution_id: Some(EXECUTION.into()),
                status: ExecutionStatus::parse(Some(status)),
                ..ExecutionRecord::default()
            }),
            ..Given::prod()
        };
        let decision = given.decide();
        assert_eq!(decision.verdict, Verdict::Abstain, "{status}");
        assert!(
            decision.reasons[0].contains(&format!("execution exec-1 as {status}, not InProgress")),
            "{decision:?}"
        );
    }
    let missing = Given {
        execution: Some(ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            status: ExecutionStatus::parse(None),
            ..ExecutionRecord::default()
        }),
        ..Given::prod()
    };
    assert_eq!(missing.decide().verdict, Verdict::Abstain);
    let in_progress = Given {
        execution: Some(ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            status: ExecutionStatus::InProgress,
            ..ExecutionRecord::default()
        }),
        ..Given::prod()
    };
    assert_eq!(in_progress.decide().verdict, Verdict::Approve);
    // A record built without a status has none: it never lets an answer through.
    let unset = Given {
        execution: Some(ExecutionRecord {
            execution_id: Some(EXECUTION.into()),
            ..ExecutionRecord::default()
        }),
        ..Given::prod()
    };
    assert_eq!(unset.decide().verdict, Verdict::Abstain);
}

mod properties;

#[test]
fn a_summary_cut_just_after_a_quote_of_the_tokens_start_does_not_show_it_cut_short() {
    // The reasons quote the token's first 9 characters whole (the redaction left them: no
    // `…` followed), and the summary's own cut falls right after them.
    let head = "Left for a human by approval-gate rule \"r\": ";
    let filler = "x".repeat(MAX_SUMMARY_BYTES - '…'.len_utf8() - head.len() - 9);
    let decision = Decision {
        verdict: Verdict::Abstain,
        rule: Some("r".into()),
        reasons: vec![format!("{filler}{} and more", &TOKEN[..9])],
        wake_at: None,
    };
    assert!(decision.summary().ends_with(&format!("{}…", &TOKEN[..9])));

    let summary = decision.summary_for(TOKEN);

    assert!(!summary.contains(&TOKEN[..9]), "{summary}");
    assert!(summary.ends_with("x<redacted…"), "{summary}");
    assert!(summary.len() <= MAX_SUMMARY_BYTES);
}

#[test]
fn a_deferral_wakes_when_its_window_opens_however_briefly() {
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = None;
    let decision = given.decide_at(at("2026-11-26T08:00:00Z"));
    assert_eq!(decision.verdict, Verdict::Defer);
    assert_eq!(decision.wake_at, Some(at("2026-11-26T09:00:00Z")));
    // A window open for two minutes only still wakes the approval when it opens: the
    // sweep might miss it, a wake-up does not.
    let policy = DEFER_AT_NINE.replace("\"17:00\"", "\"09:02\"");
    let given = Given {
        expiry: None,
        ..Given::new(&policy, "web-shop", "Approve-Prod")
    };
    assert_eq!(
        given.decide_at(at("2026-11-26T08:00:00Z")).wake_at,
        Some(at("2026-11-26T09:00:00Z"))
    );
}

#[test]
fn a_deferral_wakes_at_the_expiry_margin_when_that_comes_first() {
    // The window opens at 09:00; the approval expires at 09:20, so at 08:50 the gate must
    // look again: the sweep's rule would reject then, as no sweep could approve in time.
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:20:00Z"));
    let decision = given.decide_at(at("2026-11-26T08:00:00Z"));
    assert_eq!(decision.verdict, Verdict::Defer);
    assert_eq!(decision.wake_at, Some(at("2026-11-26T08:50:00Z")));
    // Within the margin already, the opening is next.
    given.expiry = Some(at("2026-11-26T09:10:00Z"));
    let decision = given.decide_at(at("2026-11-26T08:50:00Z"));
    assert_eq!(decision.verdict, Verdict::Defer);
    assert_eq!(decision.wake_at, Some(at("2026-11-26T09:00:00Z")));
}

#[test]
fn only_a_deferral_wakes() {
    let decision = Given::prod().decide();
    assert_eq!(decision.verdict, Verdict::Approve);
    assert_eq!(decision.wake_at, None);
    let mut given = Given::new(DEFER_AT_NINE, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:03:00Z"));
    let decision = given.decide_at(at("2026-11-26T08:40:00Z"));
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(decision.wake_at, None);
}

#[test]
fn a_deferral_on_a_closed_calendar_wakes_at_its_next_transition() {
    use crate::conditions::{CalendarReading, CalendarReadings, CalendarState};
    let policy = r#"{"rules": [{"name": "calendar",
        "change_calendars": {"names": ["prod-freeze"], "on_closed": "defer"}}]}"#;
    let mut given = Given::new(policy, "web-shop", "Approve-Prod");
    given.expiry = None;
    let reading = |next: Option<&str>| {
        Conditions::read(
            now(),
            None,
            vec![CalendarReadings {
                calendar: "prod-freeze".into(),
                readings: vec![Ok(CalendarReading {
                    at: now(),
                    state: CalendarState::Closed,
                    next_transition: next.map(at),
                })],
            }],
        )
    };
    given.conditions = reading(Some("2026-11-26T10:30:00Z"));
    let decision = given.decide();
    assert_eq!(decision.verdict, Verdict::Defer, "{decision:?}");
    assert_eq!(decision.wake_at, Some(at("2026-11-26T10:30:00Z")));
    // No transition known, no expiry: only the calendar's event or the sweep ends it.
    given.conditions = reading(None);
    assert_eq!(given.decide().wake_at, None);
}

const FUNCTION_POLICY: &str = r#"{"rules": [{"name": "prod-ticket",
    "match": {"stage": "Approve-Prod"},
    "require_succeeded": ["Build/IntegrationTests"],
    "function": {"arn": "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket"},
    "on_fail": "reject"}]}"#;

fn ticket() -> Given {
    Given::new(FUNCTION_POLICY, "web-shop", "Approve-Prod")
}

fn answered(pass: bool, reason: &str) -> FunctionAnswer {
    FunctionAnswer::Answered {
        pass,
        reason: reason.into(),
    }
}

#[test]
fn a_function_is_asked_only_when_its_answer_decides() {
    let given = ticket();
    assert!(given.asks_at(now()));
    // Not asked (yet): the check fails, whatever else passes.
    let unasked = given.decide();
    assert_eq!(unasked.verdict, Verdict::Reject);
    assert!(
        unasked.reasons[0].contains("change-ticket was not asked"),
        "{unasked:?}"
    );
    let approved = Given {
        function: answered(true, "CHG-42 is approved"),
        ..ticket()
    }
    .decide();
    assert_eq!(approved.verdict, Verdict::Approve);
    assert_eq!(
        approved.reasons.last().map(String::as_str),
        Some("function change-ticket passed: CHG-42 is approved")
    );
    let refused = Given {
        function: answered(false, "CHG-42 is still in review"),
        ..ticket()
    }
    .decide();
    assert_eq!(refused.verdict, Verdict::Reject);
    assert_eq!(
        refused.reasons,
        vec!["function change-ticket failed: CHG-42 is still in review"]
    );
}

#[test]
fn a_passing_function_never_approves_what_another_check_refuses() {
    // The tests failed in the execution under approval: the function is not asked, and
    // a pass it might have given changes nothing.
    let failed_tests = Given {
        records: Some(both_builds(ActionStatus::Failed)),
        function: answered(true, "looks fine"),
        ..ticket()
    };
    assert!(!failed_tests.asks_at(now()));
    assert_eq!(failed_tests.decide().verdict, Verdict::Reject);
    // Expired: nothing is answered, and nothing is asked.
    let expired = Given {
        function: answered(true, "looks fine"),
        ..ticket()
    };
    let after_expiry = at("2026-12-03T08:00:00Z");
    assert!(!expired.asks_at(after_expiry));
    assert_eq!(expired.decide_at(after_expiry).verdict, Verdict::Abstain);
    // The attempts do not show the approval: the execution is not proven.
    let unproven = Given {
        own_attempt: None,
        function: answered(true, "looks fine"),
        ..ticket()
    };
    assert!(!unproven.asks_at(now()));
    assert_ne!(unproven.decide().verdict, Verdict::Approve);
}

#[test]
fn a_function_may_defer_and_its_reason_never_carries_the_token() {
    let policy = FUNCTION_POLICY.replace(
        r#"function:change-ticket"}"#,
        r#"function:change-ticket", "on_fail": "defer"}"#,
    );
    let deferred = Given {
        function: answered(false, &format!("ticket for {TOKEN} not approved yet")),
        ..Given::new(&policy, "web-shop", "Approve-Prod")
    }
    .decide();
    assert_eq!(deferred.verdict, Verdict::Defer);
    // No moment is known when it may pass: the sweep asks again, and a wake-up comes only
    // at the start of the expiry margin.
    assert_eq!(deferred.wake_at, Some(at("2026-12-03T07:25:00Z")));
    assert!(!deferred.summary_for(TOKEN).contains(TOKEN));
    assert!(deferred.reasons[0].contains("<redacted>"), "{deferred:?}");
    let unusable = Given {
        function: FunctionAnswer::Unusable("the function did not answer within 5 s".into()),
        ..Given::new(&policy, "web-shop", "Approve-Prod")
    }
    .decide();
    assert_eq!(unusable.verdict, Verdict::Defer);
    assert_eq!(
        unusable.reasons,
        vec![
            "function change-ticket gave no usable answer: the function did not answer within 5 s"
        ]
    );
}

#[test]
fn a_function_not_asked_beside_a_deferring_window_leaves_the_deferral_as_it_is() {
    // The function would reject; the window is closed, so it is not asked, and the
    // approval waits for the window, in time before its expiry, as without a function.
    let policy = DEFER_AT_NINE.replace(
        r#""outside": "defer"}"#,
        r#""outside": "defer"},
           "function": {"arn": "arn:aws:lambda:eu-west-1:123456789012:function:change-ticket"},
           "on_fail": "reject""#,
    );
    let mut given = Given::new(&policy, "web-shop", "Approve-Prod");
    given.expiry = Some(at("2026-11-26T09:10:00Z"));
    let early = at("2026-11-26T08:50:00Z");
    assert!(!given.asks_at(early));
    let decision = given.decide_at(early);
    assert_eq!(decision.verdict, Verdict::Defer, "{decision:?}");
    assert!(
        decision
            .reasons
            .iter()
            .all(|reason| !reason.contains("function")),
        "{decision:?}"
    );
    assert_eq!(decision.wake_at, Some(at("2026-11-26T09:00:00Z")));
    // Once the window is open, the function decides.
    let open = at("2026-11-26T09:01:00Z");
    assert!(given.asks_at(open));
    given.function = answered(false, "CHG-42 is still in review");
    assert_eq!(given.decide_at(open).verdict, Verdict::Reject);
}

#[test]
fn a_function_not_asked_for_want_of_time_is_deferred_a_minute_or_rejected_before_expiry() {
    let given = ticket();
    let rule = given.policy.rule_for(&given.target).unwrap();
    let reason = "function change-ticket was not asked: too little time".to_owned();
    let postponed = Decision::postponed(rule, reason.clone(), now(), None);
    assert_eq!(postponed.verdict, Verdict::Defer);
    assert_eq!(postponed.wake_at, Some(at("2026-11-26T08:01:00Z")));
    let expiring = |expiry: &str| {
        let approval =
            LiveApproval::prove(&given.snapshot, &given.target, &ApprovalToken::new(TOKEN))
                .unwrap();
        let since = approval.since().unwrap();
        let declaration =
            fixtures::timeout(&given.target, at(expiry).duration_since(since).as_mins());
        Decision::postponed(
            rule,
            reason.clone(),
            now(),
            approval.expiry(Some(&declaration)),
        )
    };
    // A wake-up at 08:01 can still have it answered before 08:05.
    assert_eq!(expiring("2026-11-26T08:05:00Z").verdict, Verdict::Defer);
    let rejected = expiring("2026-11-26T08:02:00Z");
    assert_eq!(rejected.verdict, Verdict::Reject);
    assert_eq!(rejected.wake_at, None);
    assert!(rejected.reasons[1].contains("rejected rather than left to fail"));
}
