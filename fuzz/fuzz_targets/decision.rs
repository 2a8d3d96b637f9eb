//! Bytes as a whole decision: a policy (only one `Policy::from_json` accepts is decided),
//! the pipeline's state and facts, its variables and namespaces, alarm and calendar
//! readings, a check function's answer, a token and a clock, all generated with
//! `arbitrary`. Text from outside (commit messages, branch names, alarm names and reasons,
//! calendar errors, variable names and values, namespaces, the function's reason) is
//! arbitrary Unicode and often quotes the token, whole or cut short; the clock sits near
//! daylight-saving changes.
//!
//! The function's answer is given as the handler gives it (only when `asks_function` says
//! so), and also when it was not asked for, as a hostile answer would be.
//!
//! Properties, for both decisions: nothing panics; `decide` returns within
//! [`DECIDE_BOUND`]; the summary fits [`MAX_SUMMARY_BYTES`] and has no control characters;
//! no reason and no summary carries the token (ASCII case ignored), nor a reason a piece of
//! its start cut short before `…`; nothing is approved at or past its expiry. Besides: a
//! rule with a function approves only on its pass, asked for; an answer not asked for
//! approves nothing; and no text of the document a function is shown carries the token.
//!
//! Set `DECISION_FUZZ_SHOW=1` when reproducing an artifact to print what it decides.

#![no_main]

// The crate root's directory is shared with the other targets, so the modules name
// their files.
#[path = "decision/policy.rs"]
mod policy;
#[path = "decision/text.rs"]
mod text;
#[path = "decision/world.rs"]
mod world;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use approval_gate::check_function::{self, FunctionAnswer};
use approval_gate::conditions::Conditions;
use approval_gate::decision::{
    Decision, Evidence, MAX_SUMMARY_BYTES, Verdict, asks_function, decide,
};
use approval_gate::evidence::Expiry;
use approval_gate::evidence::{ExecutionFacts, LiveApproval, SourceHead};
use approval_gate::fixtures;
use approval_gate::notice::{ApprovalTarget, ApprovalToken};
use approval_gate::pipeline::{ActionRecord, Declaration, ExecutionRecord, PipelineSnapshot};
use approval_gate::policy::Policy;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

use text::{ZONES, clock, seconds, token};

/// How long one decision may take. Far above what any decision needs (milliseconds, even
/// with the sanitizer); libFuzzer's `-timeout` catches a decision that never returns.
const DECIDE_BOUND: Duration = Duration::from_secs(1);

/// A cut-short quote keeps at least this much of the token before its `…` to count as
/// a piece of it (`names::redact` removes such pieces).
const SECRET_PIECE: usize = 8;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(scene) = Scene::generate(&mut u) {
        scene.check();
    }
});

/// One decision to make, and everything it is made from.
struct Scene {
    policy_json: String,
    policy: Policy,
    token: String,
    now: Timestamp,
    sweep_every: SignedDuration,
    snapshot: PipelineSnapshot,
    target: ApprovalTarget,
    execution: Option<ExecutionRecord>,
    records: Option<Vec<ActionRecord>>,
    declaration: Option<Declaration>,
    conditions: Conditions,
    /// What the rule's check function answers, if it is asked.
    function: FunctionAnswer,
}

impl Scene {
    fn generate(u: &mut Unstructured<'_>) -> Result<Self> {
        let token = token(u)?;
        let zone = *u.choose(ZONES)?;
        let tz = jiff::tz::db().get(zone).unwrap_or(TimeZone::UTC);
        let now = clock(u, &tz)?;
        let policy_json = policy::policy(u, zone, &tz, now)?.to_string();
        let Ok(policy) = Policy::from_json(&policy_json) else {
            return Err(libfuzzer_sys::arbitrary::Error::IncorrectFormat);
        };
        let target = fixtures::target("web-shop", "Approve-Prod", "Manual");
        let since = match u.int_in_range(0..=9)? {
            0 => None,
            1 => Some(now),
            2 => now.checked_add(seconds(u, 0..=600)?).ok(),
            3..=5 => now.checked_sub(seconds(u, 0..=3_600)?).ok(),
            _ => now.checked_sub(seconds(u, 0..=8 * 86_400)?).ok(),
        };
        let (snapshot, records, execution) = world::pipeline(u, &token, &target, since, now)?;
        let namespaces = world::namespaces(u, &token)?;
        let declaration = match u.int_in_range(0..=4)? {
            0 => None,
            1 => Some(Declaration {
                timeouts: [((target.stage.clone(), target.action.clone()), None)].into(),
                namespaces,
                ..Declaration::default()
            }),
            _ => {
                let minutes = *u.choose(&[4, 5, 30, 59, 60, 61, 1_440, 10_080, 86_400, 86_401])?;
                let minutes = if u.arbitrary()? {
                    minutes
                } else {
                    u.int_in_range(-10..=100_000)?
                };
                Some(Declaration {
                    namespaces,
                    ..fixtures::timeout(&target, minutes)
                })
            }
        };
        let rule = policy.rule_for(&target).cloned();
        let conditions = world::conditions(u, &token, rule.as_ref(), now, since)?;
        let sweep_every = SignedDuration::from_mins(*u.choose(&[1, 5, 15, 60])?);
        let function = world::function_answer(u, &token)?;
        Ok(Self {
            policy_json,
            policy,
            token,
            now,
            sweep_every,
            snapshot,
            target,
            execution,
            records,
            declaration,
            conditions,
            function,
        })
    }

    fn check(&self) {
        if show() {
            eprintln!("{self}");
        }
        let approval = LiveApproval::prove(
            &self.snapshot,
            &self.target,
            &ApprovalToken::new(self.token.as_str()),
        )
        .unwrap_or_else(|stale| panic!("the generated approval is not live: {stale:?}\n{self}"));
        let mut facts = ExecutionFacts::of(&approval);
        if let Some(execution) = self.execution.clone() {
            facts = facts.with_execution(execution);
        }
        if let Some(records) = self.records.clone() {
            facts = facts.with_actions(records);
        }
        if let Some(declaration) = &self.declaration {
            facts = facts.with_namespaces(declaration);
        }
        let heads = SourceHead::of(&self.snapshot);
        let expiry = approval.expiry(self.declaration.as_ref());
        let evidence = |function| Evidence {
            approval: &approval,
            execution: &facts,
            heads: &heads,
            expiry,
            conditions: &self.conditions,
            function,
        };
        let rule = self.policy.rule_for(&self.target);

        // As the handler decides: the function's answer only where `asks_function` says.
        let started = Instant::now();
        let asks = rule.is_some_and(|rule| {
            asks_function(
                rule,
                &evidence(&FunctionAnswer::NotAsked),
                self.now,
                self.sweep_every,
            )
        });
        let given = if asks {
            &self.function
        } else {
            &FunctionAnswer::NotAsked
        };
        let decision = decide(&self.policy, &evidence(given), self.now, self.sweep_every);
        self.check_decision(&decision, expiry, started.elapsed());
        if decision.verdict == Verdict::Approve && rule.is_some_and(|rule| rule.function.is_some())
        {
            assert!(
                asks && matches!(self.function, FunctionAnswer::Answered { pass: true, .. }),
                "approved without the function's pass: {:?}\n{self}",
                decision.summary()
            );
        }

        // An answer nobody asked for, as a hostile or confused function might give.
        let started = Instant::now();
        let unasked = decide(
            &self.policy,
            &evidence(&self.function),
            self.now,
            self.sweep_every,
        );
        self.check_decision(&unasked, expiry, started.elapsed());
        if !asks && rule.is_some_and(|rule| rule.function.is_some()) {
            assert_ne!(
                unasked.verdict,
                Verdict::Approve,
                "an answer the gate did not ask for approved: {:?}\n{self}",
                unasked.summary()
            );
        }

        // What the function is shown carries no token, in any text or name.
        if let Some(rule) = rule.filter(|rule| rule.function.is_some()) {
            let request = check_function::request(&rule.name, &approval, &facts, self.now);
            let token = self.token.to_ascii_lowercase();
            let mut texts = Vec::new();
            strings(&request, &mut texts);
            for text in texts {
                assert!(
                    !text.to_ascii_lowercase().contains(&token),
                    "the token in the function's request: {text:?}\n{self}"
                );
            }
        }
    }

    fn check_decision(&self, decision: &Decision, expiry: Option<Expiry>, took: Duration) {
        let summary = decision.summary();
        assert!(took < DECIDE_BOUND, "deciding took {took:?}\n{self}");
        assert!(
            summary.len() <= MAX_SUMMARY_BYTES,
            "a summary of {} bytes: {summary:?}\n{self}",
            summary.len()
        );
        assert!(
            !summary.chars().any(char::is_control),
            "a control character in the summary {summary:?}\n{self}"
        );
        for text in decision.reasons.iter().chain([&summary]) {
            assert!(
                !text
                    .to_ascii_lowercase()
                    .contains(&self.token.to_ascii_lowercase()),
                "the token in {text:?}\n{self}"
            );
        }
        for reason in &decision.reasons {
            if let Some(piece) = cut_piece(reason, &self.token) {
                panic!("a piece of the token, {piece:?}, cut short in {reason:?}\n{self}");
            }
        }
        if decision.verdict == Verdict::Approve
            && let Some(expiry) = expiry
        {
            assert!(
                self.now < expiry.at(),
                "approved at {} although it expired at {}: {summary}\n{self}",
                self.now,
                expiry.at()
            );
        }
    }
}

/// Every string in a JSON value, object keys included.
fn strings<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(text) => out.push(text),
        serde_json::Value::Array(values) => values.iter().for_each(|value| strings(value, out)),
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                out.push(key);
                strings(value, out);
            }
        }
        _ => {}
    }
}

impl std::fmt::Display for Scene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "policy: {}", self.policy_json)?;
        writeln!(f, "token: {:?}", self.token)?;
        writeln!(f, "now: {} (sweep every {})", self.now, self.sweep_every)?;
        writeln!(f, "state: {:#?}", self.snapshot)?;
        writeln!(f, "execution: {:#?}", self.execution)?;
        writeln!(f, "action executions: {:#?}", self.records)?;
        writeln!(f, "declaration: {:?}", self.declaration)?;
        writeln!(f, "function: {:?}", self.function)?;
        write!(f, "conditions: {:#?}", self.conditions)
    }
}

fn show() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("DECISION_FUZZ_SHOW").is_some())
}

/// The longest piece of the token's start (at least [`SECRET_PIECE`] long, shorter than
/// the token) that ends right before a `…`, ASCII case ignored.
fn cut_piece(text: &str, token: &str) -> Option<String> {
    let text = text.to_ascii_lowercase();
    let token = token.to_ascii_lowercase();
    text.match_indices('…').find_map(|(cut, _)| {
        let before = text.get(..cut)?;
        (SECRET_PIECE..token.len())
            .rev()
            .filter_map(|len| token.get(..len))
            .find(|piece| before.ends_with(piece))
            .map(str::to_owned)
    })
}
