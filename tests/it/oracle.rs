//! A second, deliberately naive implementation of the decision rules (the oracle), written
//! from the policy reference's wording (docs/policy.md: the decision table, revision checks,
//! alarms and Change Calendars, the sweep and deferred approvals), and a property test that
//! holds `decide()` to it.
//!
//! The oracle reads the raw inputs only: the `GetPipelineState` snapshot, the attempts as
//! `ListActionExecutions` returned them (other executions' included), the
//! `GetPipelineExecution` record, the declaration, the alarms as `DescribeAlarms` would list
//! them, the spans in which each Change Calendar is closed, the clock, and its own
//! description of the policy. It shares no code with `decide()` or the evidence types: plain loops over plain
//! data. Where README could be read two ways, it takes the reading that approves less.
//!
//! The property: `decide()` approves only what the oracle approves (naming the README rule
//! that forbids it otherwise), and rejects only what the oracle rejects.

use std::cell::RefCell;
use std::collections::BTreeMap;

use approval_gate::check_function::FunctionAnswer;
use approval_gate::conditions::{
    AlarmReading, AlarmState, AlarmStatus, CalendarReading, CalendarReadings, CalendarState,
    Conditions,
};
use approval_gate::decision::{Decision, Evidence, Verdict, asks_function, decide};
use approval_gate::evidence::{ExecutionFacts, LiveApproval, SourceHead};
use approval_gate::fixtures;
use approval_gate::notice::{ApprovalTarget, ApprovalToken};
use approval_gate::pipeline::{
    ActionKind, ActionRecord, ActionState, ActionStatus, ArtifactRevision, CurrentRevision,
    Declaration, DeclaredNamespace, ExecutionRecord, ExecutionStatus, PipelineSnapshot,
    PipelineVariable,
};
use approval_gate::policy::Policy;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ---------------------------------------------------------------------------------------
// The raw world: what CodePipeline answered, the clock, and the policy.
// ---------------------------------------------------------------------------------------

const PIPELINE: &str = "web-shop";
const E0: &str = "e0-older";
const E1: &str = "e1-under-approval";
const E2: &str = "e2-newer";
const SWEEP_EVERY_SECONDS: i64 = 5 * 60;

#[derive(Clone, Debug)]
struct World {
    snapshot: PipelineSnapshot,
    target: ApprovalTarget,
    /// The notice's token (kept as text: `ApprovalToken`'s `Debug` hides it).
    token: String,
    /// `ListActionExecutions`, as returned; `None` when it could not be read.
    records: Option<Vec<ActionRecord>>,
    /// `GetPipelineExecution`; `None` when it could not be read.
    execution: Option<ExecutionRecord>,
    declaration: Declaration,
    now: Timestamp,
    rules: Vec<RuleSpec>,
    /// CloudWatch's alarms, as `DescribeAlarms` lists them.
    alarms: Vec<Alarm>,
    /// `DescribeAlarms` is denied (the role lacks `cloudwatch:DescribeAlarms`).
    alarms_denied: bool,
    /// The Change Calendars that exist: name, and the spans (seconds since the epoch, the
    /// end `None` when none is scheduled) in which each is closed.
    calendars: Vec<(&'static str, Vec<Span>)>,
    /// What the rule's check function answers, if it is asked.
    function: FnAnswer,
}

/// What a check function answers when it is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FnAnswer {
    /// `{"pass": true, …}`
    Pass,
    /// `{"pass": false, …}`
    Fail,
    /// An error, a timeout, a malformed or oversized answer.
    Unusable,
}

/// What the function check is judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FnSays {
    Asked(FnAnswer),
    NotAsked,
}

/// When a calendar is closed: from, and until (`None`: no end is scheduled), in seconds.
type Span = (i64, Option<i64>);

#[derive(Clone, Debug)]
struct Alarm {
    name: &'static str,
    /// `StateValue`, as CloudWatch writes it.
    state: &'static str,
    /// `StateUpdatedTimestamp`, seconds since the epoch.
    changed: Option<i64>,
}

/// What one rule says, in the oracle's own terms; also rendered as the policy JSON.
#[derive(Clone, Debug)]
struct RuleSpec {
    pipeline: &'static str,
    stage: &'static str,
    action: &'static str,
    require_succeeded: Vec<(&'static str, &'static str)>,
    windows: Option<WindowsSpec>,
    revisions: Option<RevisionsSpec>,
    alarms: Option<AlarmsSpec>,
    calendars: Option<CalendarsSpec>,
    variables: Vec<VarSpec>,
    function: Option<FunctionSpec>,
    on_fail: Option<Answer>,
}

/// One comparison of `variables`.
#[derive(Clone, Copy, Debug)]
struct VarSpec {
    variable: Var,
    op: Op,
}

/// The variables rules name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Var {
    /// `#{variables.RELEASE_TYPE}`: a pipeline-level variable.
    ReleaseType,
    /// `#{Scan.CRITICAL_FINDINGS}`: an output variable of Test/Scan, which declares `Scan`.
    Findings,
    /// `#{Lint.WARNINGS}`: a namespace no action declares.
    Undeclared,
}

impl Var {
    fn written(self) -> &'static str {
        match self {
            Var::ReleaseType => "#{variables.RELEASE_TYPE}",
            Var::Findings => "#{Scan.CRITICAL_FINDINGS}",
            Var::Undeclared => "#{Lint.WARNINGS}",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Equals(&'static str),
    NotEquals(&'static str),
    Contains(&'static str),
    Matches(VarPattern),
    AtLeast(i64),
    AtMost(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VarPattern {
    /// `[0-9]+`
    Digits,
    /// `standard|minor`
    StandardOrMinor,
}

#[derive(Clone, Copy, Debug)]
struct FunctionSpec {
    /// `None`: the rule's `on_fail`.
    on_fail: Option<Answer>,
    timeout_seconds: Option<u64>,
}

const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:111122223333:function:change-ticket";

#[derive(Clone, Debug)]
struct AlarmsSpec {
    names: Vec<&'static str>,
    prefixes: Vec<&'static str>,
    on_alarm: Option<Answer>,
    /// `insufficient_data`: `Some(true)` is `"ok"`, `Some(false)` `"fail"`.
    insufficient_ok: Option<bool>,
}

#[derive(Clone, Debug)]
struct CalendarsSpec {
    names: Vec<&'static str>,
    on_closed: Option<Answer>,
}

#[derive(Clone, Debug)]
struct WindowsSpec {
    allow: Vec<AllowSpec>,
    outside: Option<Answer>,
}

#[derive(Clone, Debug)]
struct AllowSpec {
    /// 0 = Monday … 6 = Sunday.
    days: Vec<i64>,
    from_hour: i64,
    /// 1..=24; not after `from_hour` means the window crosses midnight.
    to_hour: i64,
}

#[derive(Clone, Debug)]
struct RevisionsSpec {
    latest: bool,
    /// As written, and in seconds.
    max_age: Option<(&'static str, i64)>,
    revision_id_allow: Vec<IdPattern>,
    branches: Vec<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdPattern {
    /// `^[0-9a-f]{40}$`
    Hex40,
    /// `^sha256:`
    Sha256,
}

/// What a failing check asks for, weakest first: the strictest wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Answer {
    Defer,
    Abstain,
    Reject,
}

impl Answer {
    fn json(self) -> &'static str {
        match self {
            Answer::Defer => "defer",
            Answer::Abstain => "abstain",
            Answer::Reject => "reject",
        }
    }
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn policy_json(rules: &[RuleSpec]) -> String {
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let mut object = serde_json::Map::new();
            object.insert("name".into(), format!("rule-{index}").into());
            object.insert(
                "match".into(),
                serde_json::json!({"pipeline": rule.pipeline, "stage": rule.stage, "action": rule.action}),
            );
            if !rule.require_succeeded.is_empty() {
                let names: Vec<String> = rule
                    .require_succeeded
                    .iter()
                    .map(|(stage, action)| format!("{stage}/{action}"))
                    .collect();
                object.insert("require_succeeded".into(), names.into());
            }
            if let Some(windows) = &rule.windows {
                let mut w = serde_json::Map::new();
                w.insert("timezone".into(), "UTC".into());
                let allow: Vec<serde_json::Value> = windows
                    .allow
                    .iter()
                    .map(|allow| {
                        let days: Vec<&str> =
                            allow.days.iter().map(|d| DAY_NAMES[*d as usize]).collect();
                        serde_json::json!({
                            "days": days,
                            "from": format!("{:02}:00", allow.from_hour),
                            "to": format!("{:02}:00", allow.to_hour),
                        })
                    })
                    .collect();
                w.insert("allow".into(), allow.into());
                if let Some(outside) = windows.outside {
                    w.insert("outside".into(), outside.json().into());
                }
                object.insert("windows".into(), w.into());
            }
            if let Some(revisions) = &rule.revisions {
                let mut r = serde_json::Map::new();
                if revisions.latest {
                    r.insert("latest".into(), true.into());
                }
                if let Some((written, _)) = revisions.max_age {
                    r.insert("max_age".into(), written.into());
                }
                if !revisions.revision_id_allow.is_empty() {
                    let allow: Vec<&str> = revisions
                        .revision_id_allow
                        .iter()
                        .map(|pattern| match pattern {
                            IdPattern::Hex40 => "^[0-9a-f]{40}$",
                            IdPattern::Sha256 => "^sha256:",
                        })
                        .collect();
                    r.insert("revision_id".into(), serde_json::json!({"allow": allow}));
                }
                if !revisions.branches.is_empty() {
                    r.insert("branches".into(), revisions.branches.clone().into());
                }
                object.insert("revisions".into(), r.into());
            }
            if let Some(alarms) = &rule.alarms {
                let mut a = serde_json::Map::new();
                if !alarms.names.is_empty() {
                    a.insert("names".into(), alarms.names.clone().into());
                }
                if !alarms.prefixes.is_empty() {
                    a.insert("prefixes".into(), alarms.prefixes.clone().into());
                }
                if let Some(on_alarm) = alarms.on_alarm {
                    a.insert("on_alarm".into(), on_alarm.json().into());
                }
                if let Some(ok) = alarms.insufficient_ok {
                    a.insert(
                        "insufficient_data".into(),
                        if ok { "ok" } else { "fail" }.into(),
                    );
                }
                object.insert("alarms".into(), a.into());
            }
            if let Some(calendars) = &rule.calendars {
                let mut c = serde_json::Map::new();
                c.insert("names".into(), calendars.names.clone().into());
                if let Some(on_closed) = calendars.on_closed {
                    c.insert("on_closed".into(), on_closed.json().into());
                }
                object.insert("change_calendars".into(), c.into());
            }
            if !rule.variables.is_empty() {
                let comparisons: Vec<serde_json::Value> = rule
                    .variables
                    .iter()
                    .map(|spec| {
                        let (operator, operand): (&str, serde_json::Value) = match spec.op {
                            Op::Equals(text) => ("equals", text.into()),
                            Op::NotEquals(text) => ("not_equals", text.into()),
                            Op::Contains(text) => ("contains", text.into()),
                            Op::Matches(VarPattern::Digits) => ("matches", "[0-9]+".into()),
                            Op::Matches(VarPattern::StandardOrMinor) => {
                                ("matches", "standard|minor".into())
                            }
                            Op::AtLeast(bound) => ("at_least", bound.into()),
                            Op::AtMost(bound) => ("at_most", bound.into()),
                        };
                        serde_json::json!({"variable": spec.variable.written(), operator: operand})
                    })
                    .collect();
                object.insert("variables".into(), comparisons.into());
            }
            if let Some(function) = &rule.function {
                let mut f = serde_json::Map::new();
                f.insert("arn".into(), FUNCTION_ARN.into());
                if let Some(seconds) = function.timeout_seconds {
                    f.insert("timeout_seconds".into(), seconds.into());
                }
                if let Some(on_fail) = function.on_fail {
                    f.insert("on_fail".into(), on_fail.json().into());
                }
                object.insert("function".into(), f.into());
            }
            if let Some(on_fail) = rule.on_fail {
                object.insert("on_fail".into(), on_fail.json().into());
            }
            serde_json::Value::Object(object)
        })
        .collect();
    serde_json::json!({ "rules": rules }).to_string()
}

// ---------------------------------------------------------------------------------------
// The oracle.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Said {
    /// Not the token waiting right now: nothing may be answered.
    Stale,
    /// At or after the trusted expiry: nothing may be answered.
    Expired,
    Approve,
    Reject,
    Abstain,
    Defer,
}

#[derive(Clone, Debug)]
struct Oracle {
    said: Said,
    /// Every README rule that stood in the way, in README's words.
    why: Vec<String>,
}

impl Oracle {
    fn new(said: Said, why: impl Into<String>) -> Self {
        Oracle {
            said,
            why: vec![why.into()],
        }
    }
}

/// The oracle's answer. A rule's check function is asked only when its answer decides: when
/// the rule would approve were it to pass. Otherwise it is not asked, and says nothing.
fn oracle(w: &World) -> Oracle {
    if oracle_asks(w) {
        oracle_given(w, FnSays::Asked(w.function))
    } else {
        oracle_given(w, FnSays::NotAsked)
    }
}

/// The rule the approval falls under: the first whose match fits.
fn matched_rule(w: &World) -> Option<&RuleSpec> {
    w.rules.iter().find(|rule| {
        glob(rule.pipeline, &w.target.pipeline)
            && glob(rule.stage, &w.target.stage)
            && glob(rule.action, &w.target.action)
    })
}

/// Whether the rule's check function is asked: it has one, and a pass would approve.
fn oracle_asks(w: &World) -> bool {
    matched_rule(w).is_some_and(|rule| rule.function.is_some())
        && oracle_given(w, FnSays::Asked(FnAnswer::Pass)).said == Said::Approve
}

fn oracle_given(w: &World, function: FnSays) -> Oracle {
    // README decision table, first row: the token must be the one the approval waits on
    // right now, the stage and action must exist, the approval stage must show an execution.
    let mut approval_stage = None;
    for stage in &w.snapshot.stages {
        if stage.name == w.target.stage {
            approval_stage = Some(stage);
            break;
        }
    }
    let Some(stage) = approval_stage else {
        return Oracle::new(Said::Stale, "stale: the approval stage is gone");
    };
    let mut approval_action = None;
    for action in &stage.actions {
        if action.name == w.target.action {
            approval_action = Some(action);
            break;
        }
    }
    let Some(action) = approval_action else {
        return Oracle::new(Said::Stale, "stale: the approval action is gone");
    };
    let Some(run) = &action.execution else {
        return Oracle::new(Said::Stale, "stale: the approval action has not run");
    };
    let shown_token = run.token.as_ref().map(|token| token.expose().to_owned());
    if shown_token != Some(w.token.clone()) {
        return Oracle::new(Said::Stale, "stale: the approval waits on another token");
    }
    if run.status != ActionStatus::InProgress {
        return Oracle::new(Said::Stale, "stale: the approval is not waiting");
    }
    let execution_id = match &stage.execution {
        Some(execution) if !execution.pipeline_execution_id.is_empty() => {
            execution.pipeline_execution_id.clone()
        }
        _ => return Oracle::new(Said::Stale, "stale: the approval stage shows no execution"),
    };

    // The trusted expiry: lastStatusChange plus the declared timeout (seven days unset).
    let since = run.last_status_change;
    let key = (w.target.stage.clone(), w.target.action.clone());
    let timeout_minutes = match w.declaration.timeouts.get(&key) {
        None => None,
        Some(None) => Some(7 * 24 * 60),
        Some(Some(minutes)) if *minutes >= 5 && *minutes <= 86_400 => Some(*minutes),
        // CodePipeline refuses such a declaration; nothing can be said about the expiry.
        Some(Some(_)) => None,
    };
    let expiry = match (since, timeout_minutes) {
        (Some(since), Some(minutes)) => Some(since.as_second() + minutes * 60),
        _ => None,
    };
    let now = w.now.as_second();
    if let Some(expiry) = expiry
        && now >= expiry
    {
        return Oracle::new(Said::Expired, "the approval has expired (trusted expiry)");
    }

    // The first rule whose match fits decides; none leaves it to a human.
    let mut rule = None;
    for candidate in &w.rules {
        if glob(candidate.pipeline, &w.target.pipeline)
            && glob(candidate.stage, &w.target.stage)
            && glob(candidate.action, &w.target.action)
        {
            rule = Some(candidate);
            break;
        }
    }
    let Some(rule) = rule else {
        return Oracle::new(Said::Abstain, "no rule matches");
    };

    // Whatever was read about the execution counts only if ListActionExecutions lists the
    // approval's own action execution (the actionExecutionId the state shows) in it.
    if let Some(records) = &w.records {
        let mut listed = false;
        if let Some(id) = run.action_execution_id.as_deref()
            && !id.is_empty()
        {
            for record in records {
                if record.execution_id.as_deref() == Some(execution_id.as_str())
                    && record.stage == w.target.stage
                    && record.action == w.target.action
                    && record.action_execution_id.as_deref() == Some(id)
                {
                    listed = true;
                }
            }
        }
        if !listed {
            return Oracle::new(
                Said::Abstain,
                "ListActionExecutions does not list the approval in its execution",
            );
        }
    }

    // Abstain is stable: the decision is also taken at lastStatusChange.
    let Some(since) = since else {
        // README says the sweep leaves such an approval alone, "since that cannot be
        // judged"; the oracle is no bolder for a notice.
        return Oracle::new(
            Said::Abstain,
            "abstain is stable: no lastStatusChange, so it cannot be judged",
        );
    };
    // Only abstain is stable. docs/policy.md also says a calendar closed when the approval
    // arrived "leaves it with a human even after it opens"; with `on_closed: reject` the
    // judgement then is a rejection, which the decision table does not keep: the oracle
    // follows the table there.
    // Judged then on the attempts as read, and as they stood then (docs/policy.md,
    // `require_succeeded`): an attempt that last changed later, or whose time is unknown,
    // was still running. Judged at the moment they were read, they stand as read.
    let stood = as_they_stood(w, since);
    let worlds = if since < w.now {
        vec![w, &stood]
    } else {
        vec![w]
    };
    let at_since = worlds
        .into_iter()
        .map(|world| {
            evaluate(
                world,
                rule,
                &execution_id,
                since.as_second(),
                expiry,
                function,
            )
        })
        .find(|judged| judged.said == Said::Abstain);
    if let Some(at_since) = at_since {
        let mut why = vec![
            "abstain is stable: the rule left it to a human when it started waiting".to_owned(),
        ];
        for reason in at_since.why {
            why.push(format!("at lastStatusChange, {reason}"));
        }
        return Oracle {
            said: Said::Abstain,
            why,
        };
    }
    evaluate(w, rule, &execution_id, now, expiry, function)
}

/// The world with the attempts as they stood at `moment`.
fn as_they_stood(w: &World, moment: Timestamp) -> World {
    let mut then = w.clone();
    for record in then.records.iter_mut().flatten() {
        if record.updated.is_none_or(|updated| updated > moment) {
            record.status = ActionStatus::InProgress;
        }
    }
    then
}

/// The matched rule's checks at `now` (seconds).
fn evaluate(
    w: &World,
    rule: &RuleSpec,
    execution: &str,
    now: i64,
    expiry: Option<i64>,
    function: FnSays,
) -> Oracle {
    let on_fail = rule.on_fail.unwrap_or(Answer::Abstain);
    let mut failing: Vec<(Answer, String)> = Vec::new();
    // When each deferring check expects to pass.
    let mut openings: Vec<Opening> = Vec::new();

    for (stage, action) in &rule.require_succeeded {
        if let Err(why) = required_succeeded(w, execution, stage, action) {
            failing.push((
                on_fail,
                format!("require_succeeded {stage}/{action}: {why}"),
            ));
        }
    }

    if let Some(windows) = &rule.windows
        && !window_open(windows, now)
    {
        let outside = windows.outside.unwrap_or(Answer::Abstain);
        failing.push((outside, "windows: outside every allow window".to_owned()));
        if outside == Answer::Defer {
            openings.push(Opening::Window);
        }
    }

    if let Some(revisions) = &rule.revisions {
        if revisions.latest
            && let Err(why) = latest_holds(w, execution)
        {
            failing.push((on_fail, format!("latest: {why}")));
        }
        if let Some((written, seconds)) = revisions.max_age
            && let Err(why) = max_age_holds(w, execution, seconds, now)
        {
            failing.push((on_fail, format!("max_age {written}: {why}")));
        }
        if !revisions.revision_id_allow.is_empty()
            && let Err(why) = revision_ids_allowed(w, execution, &revisions.revision_id_allow)
        {
            failing.push((on_fail, format!("revision_id: {why}")));
        }
        if !revisions.branches.is_empty()
            && let Err(why) = branches_hold(w, execution, &revisions.branches)
        {
            failing.push((on_fail, format!("branches: {why}")));
        }
    }

    if let Some(alarms) = &rule.alarms
        && let Some((answer, why)) = alarms_fail(w, alarms, now)
    {
        if answer == Answer::Defer {
            // An alarm has no known time of recovery.
            openings.push(Opening::Unknown);
        }
        failing.push((answer, why));
    }

    if let Some(calendars) = &rule.calendars {
        for name in &calendars.names {
            if let Some((answer, why, opening)) = calendar_fails(w, calendars, name, now) {
                if answer == Answer::Defer {
                    openings.push(opening);
                }
                failing.push((answer, why));
            }
        }
    }

    for spec in &rule.variables {
        if let Err(why) = variable_holds(w, execution, spec) {
            failing.push((
                on_fail,
                format!("variables: {} {why}", spec.variable.written()),
            ));
        }
    }

    if let Some(spec) = &rule.function {
        let asks = spec.on_fail.unwrap_or(on_fail);
        match function {
            FnSays::Asked(FnAnswer::Pass) => {}
            FnSays::Asked(answer) => {
                if asks == Answer::Defer {
                    // Nothing says when a function will pass.
                    openings.push(Opening::Unknown);
                }
                failing.push((asks, format!("function: answered {answer:?}")));
            }
            FnSays::NotAsked => {
                // It is asked only when every other check passes, so that its answer
                // decides; not asked, it said nothing. It cannot approve, and it asks for
                // no more than the checks that kept it from being asked: the weakest
                // answer, opening when they open (or never, alone).
                if failing.is_empty() {
                    openings.push(Opening::Unknown);
                }
                failing.push((Answer::Defer, "function: not asked".to_owned()));
            }
        }
    }

    if failing.is_empty() {
        return Oracle {
            said: Said::Approve,
            why: Vec::new(),
        };
    }
    let mut strictest = Answer::Defer;
    for (answer, _) in &failing {
        if *answer > strictest {
            strictest = *answer;
        }
    }
    let mut why: Vec<String> = failing.into_iter().map(|(_, why)| why).collect();
    let said = match strictest {
        Answer::Reject => Said::Reject,
        Answer::Abstain => Said::Abstain,
        Answer::Defer => {
            // Rejected in the last 30 minutes before the trusted expiry, unless every
            // deferring check opens in time for a sweep to approve: a window more than one
            // sweep period before it (and then open for a whole period), a calendar's next
            // transition early enough for a sweep before it; an alarm never.
            match expiry {
                Some(expiry) if now + 30 * 60 >= expiry => {
                    let mut in_time = true;
                    for opening in &openings {
                        let this = match opening {
                            Opening::Window => rule.windows.as_ref().is_some_and(|windows| {
                                opens_by(windows, now, expiry - SWEEP_EVERY_SECONDS - 1)
                            }),
                            Opening::At(at) => at + SWEEP_EVERY_SECONDS < expiry,
                            Opening::Unknown => false,
                        };
                        if !this {
                            in_time = false;
                        }
                    }
                    if in_time {
                        Said::Defer
                    } else {
                        why.push("deferred, and nothing opens before it expires".to_owned());
                        Said::Reject
                    }
                }
                _ => Said::Defer,
            }
        }
    };
    Oracle { said, why }
}

/// When a deferring check expects to pass.
#[derive(Clone, Copy, Debug)]
enum Opening {
    /// When the rule's allow windows next open.
    Window,
    /// A closed calendar's next transition (seconds since the epoch).
    At(i64),
    /// Not known (an alarm's recovery, a calendar closed with no transition scheduled).
    Unknown,
}

/// The `alarms` check judged at `moment` (seconds), from the alarms as read at `w.now`:
/// `None` when it passes, else what it asks for and why.
fn alarms_fail(w: &World, spec: &AlarmsSpec, moment: i64) -> Option<(Answer, String)> {
    let on_alarm = spec.on_alarm.unwrap_or(Answer::Abstain);
    // A name that finds nothing, a prefix that matches none, access denied: never less
    // than abstain.
    let unresolved = on_alarm.max(Answer::Abstain);
    if w.alarms_denied {
        return Some((unresolved, "alarms: DescribeAlarms is denied".into()));
    }
    let mut worst: Option<Answer> = None;
    let mut why: Vec<String> = Vec::new();
    let mut checked: Vec<&Alarm> = Vec::new();
    for name in &spec.names {
        let mut found = false;
        for alarm in &w.alarms {
            if alarm.name == *name {
                found = true;
                checked.push(alarm);
            }
        }
        if !found {
            worst = worst.max(Some(unresolved));
            why.push(format!("no alarm is named {name}"));
        }
    }
    for prefix in &spec.prefixes {
        let mut found = false;
        for alarm in &w.alarms {
            if alarm.name.starts_with(prefix) {
                found = true;
                checked.push(alarm);
            }
        }
        if !found {
            worst = worst.max(Some(unresolved));
            why.push(format!("no alarm starts with {prefix}"));
        }
        // Deleted alarms vanish: judged more than five minutes before the read, which
        // alarms a prefix matched then is not known.
        if moment + 5 * 60 < w.now.as_second() {
            let asks = if on_alarm == Answer::Defer {
                Answer::Defer
            } else {
                Answer::Abstain
            };
            worst = worst.max(Some(asks));
            why.push(format!(
                "which alarms started with {prefix} then is not known"
            ));
        }
    }
    let read_at = w.now.as_second();
    for alarm in checked {
        // Judged at an earlier moment than the read, a state is known only if it has not
        // changed since that moment.
        let known = moment >= read_at || alarm.changed.is_some_and(|changed| changed < moment);
        if !known {
            let asks = if on_alarm == Answer::Defer {
                Answer::Defer
            } else {
                Answer::Abstain
            };
            worst = worst.max(Some(asks));
            why.push(format!("{}'s state then is not known", alarm.name));
            continue;
        }
        let ok = match alarm.state {
            "OK" => true,
            "INSUFFICIENT_DATA" => spec.insufficient_ok == Some(true),
            _ => false,
        };
        if !ok {
            worst = worst.max(Some(on_alarm));
            why.push(format!("{} is {}", alarm.name, alarm.state));
        }
    }
    worst.map(|answer| (answer, format!("alarms: {}", why.join("; "))))
}

/// Whether the calendar's spans close it at `moment`, and if so when it opens (`None`: no
/// transition is scheduled).
fn calendar_closed_at(spans: &[Span], moment: i64) -> Option<Option<i64>> {
    let covering = |t: i64| {
        let mut end: Option<Option<i64>> = None;
        for (from, to) in spans {
            if *from <= t && to.is_none_or(|to| t < to) {
                // The latest end among the spans covering t.
                end = Some(match (end, to) {
                    (Some(None), _) | (_, None) => None,
                    (Some(Some(a)), Some(b)) => Some(a.max(*b)),
                    (None, Some(b)) => Some(*b),
                });
            }
        }
        end
    };
    let mut end = covering(moment)?;
    // Spans that touch or overlap keep it closed.
    while let Some(t) = end {
        match covering(t) {
            Some(later) => end = later,
            None => break,
        }
    }
    Some(end)
}

/// One calendar's check judged at `moment`: `None` when it is open.
fn calendar_fails(
    w: &World,
    spec: &CalendarsSpec,
    name: &str,
    moment: i64,
) -> Option<(Answer, String, Opening)> {
    let on_closed = spec.on_closed.unwrap_or(Answer::Abstain);
    let mut spans = None;
    for (calendar, closed) in &w.calendars {
        if *calendar == name {
            spans = Some(closed);
        }
    }
    let Some(spans) = spans else {
        return Some((
            on_closed.max(Answer::Abstain),
            format!("change_calendars: {name} does not exist"),
            Opening::Unknown,
        ));
    };
    let opens = calendar_closed_at(spans, moment)?;
    Some((
        on_closed,
        format!("change_calendars: {name} is CLOSED"),
        opens.map_or(Opening::Unknown, Opening::At),
    ))
}

/// The attempts `ListActionExecutions` reported for `execution` only.
fn attempts_in<'a>(w: &'a World, execution: &str) -> Option<Vec<&'a ActionRecord>> {
    let records = w.records.as_ref()?;
    let mut mine = Vec::new();
    for record in records {
        if record.execution_id.as_deref() == Some(execution) {
            mine.push(record);
        }
    }
    Some(mine)
}

/// The artifact revisions `GetPipelineExecution` reported, if it named `execution`, and
/// `ListActionExecutions` was read (it must list the approval in the execution before
/// anything about the execution counts).
fn artifacts_of<'a>(w: &'a World, execution: &str) -> Option<&'a Vec<ArtifactRevision>> {
    w.records.as_ref()?;
    let record = w.execution.as_ref()?;
    if record.execution_id.as_deref() != Some(execution) {
        return None;
    }
    Some(&record.artifacts)
}

fn required_succeeded(w: &World, execution: &str, stage: &str, action: &str) -> Result<(), String> {
    let Some(records) = attempts_in(w, execution) else {
        return Err("ListActionExecutions could not be read".into());
    };
    let mut attempts = Vec::new();
    for record in records {
        if record.stage == stage && record.action == action {
            attempts.push(record);
        }
    }
    if attempts.is_empty() {
        return Err(format!("did not run in execution {execution}"));
    }
    let mut all_succeeded = true;
    for attempt in &attempts {
        if attempt.status != ActionStatus::Succeeded {
            all_succeeded = false;
        }
    }
    // Ordered only when every attempt has a time and one is strictly the latest.
    let mut latest: Option<&ActionRecord> = None;
    let mut orderable = true;
    for attempt in &attempts {
        let Some(updated) = attempt.updated else {
            orderable = false;
            continue;
        };
        match latest {
            None => latest = Some(attempt),
            Some(best) => {
                let best_time = best.updated.unwrap_or(Timestamp::MIN);
                if updated > best_time {
                    latest = Some(attempt);
                }
            }
        }
    }
    if let Some(best) = latest {
        let mut at_latest = 0;
        for attempt in &attempts {
            if attempt.updated == best.updated {
                at_latest += 1;
            }
        }
        if at_latest > 1 {
            orderable = false;
        }
    }
    if !orderable {
        return if all_succeeded {
            Ok(())
        } else {
            Err("attempts that cannot be ordered did not all succeed".into())
        };
    }
    match latest {
        Some(last) if last.status == ActionStatus::Succeeded => Ok(()),
        Some(last) => Err(format!("its last attempt ended {:?}", last.status)),
        None => Err("no attempt".into()),
    }
}

/// The source action that produced `artifact` in the execution: among the attempts that
/// may be sources (not known to be of another kind), the one action whose attempts name
/// the artifact among their outputs, or else the one whose `CommitId`, `ImageDigest` or
/// `VersionId` variable is the artifact's revision id (and whose outputs name nothing else). Returns that action's candidate
/// attempts (a retried source has several); which of them produced it is not known, so the
/// checks hold every one of them to the rule.
fn producer<'a>(
    attempts: &[&'a ActionRecord],
    artifact: &ArtifactRevision,
) -> Result<Vec<&'a ActionRecord>, String> {
    let mut by_name: Vec<&ActionRecord> = Vec::new();
    for attempt in attempts {
        if attempt.kind != ActionKind::Other && attempt.output_artifacts.contains(&artifact.name) {
            by_name.push(attempt);
        }
    }
    let candidates = if !by_name.is_empty() {
        by_name
    } else {
        let Some(id) = &artifact.revision_id else {
            return Err(format!("artifact {} has no revision id", artifact.name));
        };
        let mut by_id: Vec<&ActionRecord> = Vec::new();
        for attempt in attempts {
            if attempt.kind == ActionKind::Other {
                continue;
            }
            let mut carries = false;
            for variable in ["CommitId", "ImageDigest", "VersionId"] {
                if attempt.variables.get(variable) == Some(id) {
                    carries = true;
                }
            }
            // An attempt that lists its outputs, and not this one, did not produce it.
            if carries && attempt.output_artifacts.is_empty() {
                by_id.push(attempt);
            }
        }
        by_id
    };
    let mut actions: Vec<(&str, &str)> = Vec::new();
    for candidate in &candidates {
        let action = (candidate.stage.as_str(), candidate.action.as_str());
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    // An attempt that names a revision must name this one.
    for candidate in &candidates {
        let mut names_one = false;
        let mut names_this = false;
        for variable in ["CommitId", "ImageDigest", "VersionId"] {
            if let Some(value) = candidate.variables.get(variable) {
                names_one = true;
                if Some(value) == artifact.revision_id.as_ref() {
                    names_this = true;
                }
            }
        }
        if names_one && !names_this {
            return Err(format!(
                "the attempt of {} that produced artifact {} reports another revision",
                candidate.action, artifact.name
            ));
        }
    }
    match actions.len() {
        0 => Err(format!(
            "artifact {} was produced by no source action of the execution",
            artifact.name
        )),
        1 => Ok(candidates),
        several => Err(format!(
            "artifact {} could have been produced by {several} source actions",
            artifact.name
        )),
    }
}

/// Whether the attempt that produced an artifact can vouch for it: it says it is a source
/// action, and it succeeded (a failed attempt produced nothing).
fn vouches(attempt: &ActionRecord) -> Result<(), String> {
    if attempt.kind != ActionKind::Source {
        return Err(format!("{} is not known to be a source", attempt.action));
    }
    if attempt.status != ActionStatus::Succeeded {
        return Err(format!(
            "the attempt of {} that produced an artifact ended {:?}",
            attempt.action, attempt.status
        ));
    }
    Ok(())
}

/// The current revision the state shows for an action, if it shows one.
fn current_revision<'a>(w: &'a World, stage: &str, action: &str) -> Option<&'a str> {
    for s in &w.snapshot.stages {
        for a in &s.actions {
            if s.name == stage
                && a.name == action
                && let Some(revision) = &a.current_revision
            {
                return Some(revision.revision_id.as_str());
            }
        }
    }
    None
}

fn latest_holds(w: &World, execution: &str) -> Result<(), String> {
    let Some(artifacts) = artifacts_of(w, execution) else {
        return Err("GetPipelineExecution did not answer for this execution".into());
    };
    let Some(attempts) = attempts_in(w, execution) else {
        return Err("ListActionExecutions could not be read".into());
    };
    if artifacts.is_empty() {
        return Err("the execution carries no revision to compare".into());
    }
    for attempt in &attempts {
        if attempt.kind == ActionKind::Unknown {
            return Err(format!(
                "the record of {}/{} does not say what kind of action it is",
                attempt.stage, attempt.action
            ));
        }
        if attempt.kind == ActionKind::Source
            && current_revision(w, &attempt.stage, &attempt.action).is_none()
        {
            return Err(format!(
                "source {} shows no current revision",
                attempt.action
            ));
        }
    }
    let mut producers: Vec<(String, String)> = Vec::new();
    for artifact in artifacts {
        let Some(id) = &artifact.revision_id else {
            return Err(format!("artifact {} has no revision id", artifact.name));
        };
        let candidates = producer(&attempts, artifact)?;
        for candidate in &candidates {
            vouches(candidate)?;
        }
        let source = candidates[0];
        match current_revision(w, &source.stage, &source.action) {
            None => {
                return Err(format!(
                    "source {} shows no current revision",
                    source.action
                ));
            }
            Some(current) if current != id => {
                return Err(format!(
                    "source {} has seen revision {current} since; the execution carries {id}",
                    source.action
                ));
            }
            Some(_) => {}
        }
        producers.push((source.stage.clone(), source.action.clone()));
    }
    for stage in &w.snapshot.stages {
        for action in &stage.actions {
            if action.current_revision.is_some()
                && !producers.contains(&(stage.name.clone(), action.name.clone()))
            {
                return Err(format!(
                    "source {} shows a current revision but produced no artifact of the execution",
                    action.name
                ));
            }
        }
    }
    Ok(())
}

fn max_age_holds(w: &World, execution: &str, max_age: i64, now: i64) -> Result<(), String> {
    let Some(artifacts) = artifacts_of(w, execution) else {
        return Err("GetPipelineExecution did not answer for this execution".into());
    };
    if artifacts.is_empty() {
        return Err("the execution carries no revision".into());
    }
    for artifact in artifacts {
        let Some(created) = artifact.created else {
            return Err(format!("artifact {} has no creation time", artifact.name));
        };
        let created = created.as_second();
        if created > now + 5 * 60 {
            return Err(format!("artifact {} is dated in the future", artifact.name));
        }
        if now - created > max_age {
            return Err(format!("artifact {} is too old", artifact.name));
        }
    }
    Ok(())
}

fn id_matches(pattern: IdPattern, id: &str) -> bool {
    match pattern {
        IdPattern::Hex40 => {
            let mut all_hex = true;
            for c in id.chars() {
                if !(c.is_ascii_digit() || ('a'..='f').contains(&c)) {
                    all_hex = false;
                }
            }
            id.len() == 40 && all_hex
        }
        IdPattern::Sha256 => id.starts_with("sha256:"),
    }
}

fn revision_ids_allowed(w: &World, execution: &str, allow: &[IdPattern]) -> Result<(), String> {
    let Some(artifacts) = artifacts_of(w, execution) else {
        return Err("GetPipelineExecution did not answer for this execution".into());
    };
    if artifacts.is_empty() {
        return Err("the execution carries no revision".into());
    }
    for artifact in artifacts {
        let Some(id) = &artifact.revision_id else {
            return Err(format!("artifact {} has no revision id", artifact.name));
        };
        let mut allowed = false;
        for pattern in allow {
            if id_matches(*pattern, id) {
                allowed = true;
            }
        }
        if !allowed {
            return Err(format!("revision {id} matches no allow pattern"));
        }
    }
    Ok(())
}

fn branches_hold(w: &World, execution: &str, patterns: &[&str]) -> Result<(), String> {
    if w.records.is_none() {
        return Err("ListActionExecutions could not be read".into());
    }
    let Some(record) = &w.execution else {
        return Err("GetPipelineExecution could not be read".into());
    };
    if record.execution_id.as_deref() != Some(execution) {
        return Err("GetPipelineExecution answered about another execution".into());
    }
    // Only executions started by a push are trusted to carry their branch's revision.
    let pushed = [
        "Webhook",
        "WebhookV2",
        "CloudWatchEvent",
        "PollForSourceChanges",
    ];
    match record.trigger.as_deref() {
        Some(trigger) if pushed.contains(&trigger) => {}
        Some(trigger) => return Err(format!("the execution was started by {trigger}")),
        None => return Err("the execution's trigger is unknown".into()),
    }
    let Some(attempts) = attempts_in(w, execution) else {
        return Err("ListActionExecutions could not be read".into());
    };
    if record.artifacts.is_empty() {
        return Err("the execution carries no revision".into());
    }
    let branch_fits = |attempt: &ActionRecord| -> Result<(), String> {
        let Some(branch) = attempt.variables.get("BranchName") else {
            return Err(format!("source {} reports no branch", attempt.action));
        };
        for pattern in patterns {
            if glob(pattern, branch) {
                return Ok(());
            }
        }
        Err(format!("source {} built branch {branch}", attempt.action))
    };
    for attempt in &attempts {
        if attempt.kind == ActionKind::Unknown {
            return Err(format!(
                "the record of {}/{} does not say what kind of action it is",
                attempt.stage, attempt.action
            ));
        }
        if attempt.kind == ActionKind::Source {
            branch_fits(attempt)?;
        }
    }
    for artifact in &record.artifacts {
        for candidate in producer(&attempts, artifact)? {
            vouches(candidate)?;
            branch_fits(candidate)?;
        }
    }
    // Every source action that ran must have a successful attempt.
    for attempt in &attempts {
        if attempt.kind != ActionKind::Source {
            continue;
        }
        let mut succeeded = false;
        for other in &attempts {
            if other.stage == attempt.stage
                && other.action == attempt.action
                && other.status == ActionStatus::Succeeded
            {
                succeeded = true;
            }
        }
        if !succeeded {
            return Err(format!("source {} shows no successful run", attempt.action));
        }
    }
    // Every source the state shows must have run in the execution as a source.
    for stage in &w.snapshot.stages {
        for action in &stage.actions {
            if action.current_revision.is_none() {
                continue;
            }
            let mut ran_as_source = false;
            for attempt in &attempts {
                if attempt.stage == stage.name
                    && attempt.action == action.name
                    && attempt.kind == ActionKind::Source
                {
                    ran_as_source = true;
                }
            }
            if !ran_as_source {
                return Err(format!(
                    "source {}/{} shows a current revision but has no source record",
                    stage.name, action.name
                ));
            }
        }
    }
    Ok(())
}

/// A variable's value in the execution, or why there is none the gate may use.
fn variable_value<'a>(w: &'a World, execution: &str, var: Var) -> Result<&'a str, String> {
    match var {
        Var::ReleaseType => {
            // Pipeline-level: GetPipelineExecution's variables, once the approval is shown to
            // wait in the execution (ListActionExecutions was read and lists it).
            if w.records.is_none() {
                return Err("ListActionExecutions could not be read".into());
            }
            let Some(record) = &w.execution else {
                return Err("GetPipelineExecution could not be read".into());
            };
            if record.execution_id.as_deref() != Some(execution) {
                return Err("GetPipelineExecution answered about another execution".into());
            }
            let mut found: Vec<&Option<String>> = Vec::new();
            for variable in &record.variables {
                if variable.name == "RELEASE_TYPE" {
                    found.push(&variable.value);
                }
            }
            match found.as_slice() {
                [] => Err("is not listed".into()),
                [Some(value)] => Ok(value.as_str()),
                [None] => Err("has no resolved value".into()),
                _ => Err("is listed twice".into()),
            }
        }
        Var::Findings | Var::Undeclared => {
            let namespace = if var == Var::Findings { "Scan" } else { "Lint" };
            let Some(attempts) = attempts_in(w, execution) else {
                return Err("ListActionExecutions could not be read".into());
            };
            let mut owners = Vec::new();
            for declared in &w.declaration.namespaces {
                if declared.namespace == namespace {
                    owners.push(declared);
                }
            }
            let owner = match owners.as_slice() {
                [] => return Err("names a namespace no action declares".into()),
                [owner] => *owner,
                _ => return Err("names a namespace two actions declare".into()),
            };
            let mut mine = Vec::new();
            for attempt in attempts {
                if attempt.stage == owner.stage && attempt.action == owner.action {
                    mine.push(attempt);
                }
            }
            // The last attempt counts; attempts that cannot be ordered fail, whatever they say.
            let last = match mine.as_slice() {
                [] => return Err(format!("{} did not run in this execution", owner.action)),
                [only] => *only,
                several => {
                    let mut latest: Option<&ActionRecord> = None;
                    for attempt in several {
                        let Some(updated) = attempt.updated else {
                            return Err("attempts without a time cannot be ordered".into());
                        };
                        if latest.is_none_or(|best| best.updated < Some(updated)) {
                            latest = Some(attempt);
                        }
                    }
                    let Some(latest) = latest else {
                        return Err("no attempt".into());
                    };
                    let mut at_latest = 0;
                    for attempt in several {
                        if attempt.updated == latest.updated {
                            at_latest += 1;
                        }
                    }
                    if at_latest > 1 {
                        return Err("the latest attempts share a time".into());
                    }
                    latest
                }
            };
            if last.status != ActionStatus::Succeeded {
                return Err(format!("the last attempt ended {:?}", last.status));
            }
            if last.namespace.as_deref() != Some(namespace) {
                return Err(format!(
                    "the last attempt names namespace {:?}: the pipeline changed",
                    last.namespace
                ));
            }
            match last
                .variables
                .get("CRITICAL_FINDINGS")
                .filter(|_| var == Var::Findings)
            {
                Some(value) => Ok(value.as_str()),
                None => Err("is not among the last attempt's outputs".into()),
            }
        }
    }
}

/// A plain decimal number: an optional minus, digits, and optionally a point and digits.
fn decimal(value: &str) -> Option<f64> {
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|fraction| !digits(fraction)) {
        return None;
    }
    value.parse().ok()
}

fn variable_holds(w: &World, execution: &str, spec: &VarSpec) -> Result<(), String> {
    let value = variable_value(w, execution, spec.variable)?;
    let holds = match spec.op {
        Op::Equals(text) => value == text,
        Op::NotEquals(text) => value != text,
        Op::Contains(text) => value.contains(text),
        Op::Matches(VarPattern::Digits) => {
            !value.is_empty() && value.chars().all(|c| c.is_ascii_digit())
        }
        Op::Matches(VarPattern::StandardOrMinor) => value == "standard" || value == "minor",
        Op::AtLeast(bound) | Op::AtMost(bound) => {
            let Some(number) = decimal(value) else {
                return Err(format!("is {value:?}, not a number"));
            };
            match spec.op {
                Op::AtLeast(_) => number >= bound as f64,
                _ => number <= bound as f64,
            }
        }
    };
    if holds {
        Ok(())
    } else {
        Err(format!("is {value:?}, which fails {:?}", spec.op))
    }
}

/// `*` any run of characters, `?` one character, everything else literal.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    fn at(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => {
                for skip in 0..=t.len() {
                    if at(&p[1..], &t[skip..]) {
                        return true;
                    }
                }
                false
            }
            Some('?') => !t.is_empty() && at(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && at(&p[1..], &t[1..]),
        }
    }
    at(&pattern, &text)
}

/// Whether the UTC allow windows are open at `moment` (seconds since the epoch).
fn window_open(windows: &WindowsSpec, moment: i64) -> bool {
    if windows.allow.is_empty() {
        return true;
    }
    let day = moment.div_euclid(86_400);
    let weekday = (day + 3).rem_euclid(7); // 1970-01-01 was a Thursday; 0 = Monday
    let yesterday = (weekday + 6).rem_euclid(7);
    let minute = moment.rem_euclid(86_400) / 60;
    for allow in &windows.allow {
        let from = allow.from_hour * 60;
        let to = allow.to_hour * 60;
        if from < to {
            if allow.days.contains(&weekday) && from <= minute && minute < to {
                return true;
            }
        } else {
            // Crosses midnight and belongs to the day it starts.
            if allow.days.contains(&weekday) && minute >= from {
                return true;
            }
            if allow.days.contains(&yesterday) && minute < to {
                return true;
            }
        }
    }
    false
}

/// Whether the windows are open at some moment from `now` up to `deadline`. Windows open
/// on whole minutes, so looking at `now` and every whole minute after it is enough.
fn opens_by(windows: &WindowsSpec, now: i64, deadline: i64) -> bool {
    if now <= deadline && window_open(windows, now) {
        return true;
    }
    // The next opening counts if it comes by the deadline and the window then stays open
    // for a whole sweep period, so that a sweep is sure to find it open.
    let mut moment = (now.div_euclid(60) + 1) * 60;
    while moment <= deadline {
        if window_open(windows, moment) {
            return window_open(windows, moment + SWEEP_EVERY_SECONDS - 1);
        }
        moment += 60;
    }
    false
}

// ---------------------------------------------------------------------------------------
// The gate, driven the way the handler drives it.
// ---------------------------------------------------------------------------------------

/// What `decide()` is given about a world, but the function's answer.
struct Inputs {
    policy: Policy,
    approval: LiveApproval,
    facts: ExecutionFacts,
    heads: Vec<SourceHead>,
    conditions: Conditions,
}

/// `None` when the token cannot be proven live.
fn inputs(w: &World) -> Option<Inputs> {
    let policy = Policy::from_json(&policy_json(&w.rules))
        .unwrap_or_else(|error| panic!("generated an invalid policy: {error}"));
    let token = ApprovalToken::new(w.token.clone());
    let approval = LiveApproval::prove(&w.snapshot, &w.target, &token).ok()?;
    let mut facts = ExecutionFacts::of(&approval);
    if let Some(record) = &w.execution {
        facts = facts.with_execution(record.clone());
    }
    if let Some(records) = &w.records {
        facts = facts.with_actions(records.clone());
    }
    facts = facts.with_namespaces(&w.declaration);
    let heads = SourceHead::of(&w.snapshot);
    let conditions = match policy.rule_for(&w.target) {
        Some(rule) if rule.alarms.is_some() || rule.change_calendars.is_some() => {
            read_conditions(w, rule, approval.since())
        }
        _ => Conditions::none(),
    };
    Some(Inputs {
        policy,
        approval,
        facts,
        heads,
        conditions,
    })
}

/// `decide()` on the inputs, given what the function answered.
fn decide_given(w: &World, inputs: &Inputs, function: &FunctionAnswer) -> Decision {
    decide(
        &inputs.policy,
        &evidence(w, inputs, function),
        w.now,
        SignedDuration::from_secs(SWEEP_EVERY_SECONDS),
    )
}

fn evidence<'a>(w: &World, inputs: &'a Inputs, function: &'a FunctionAnswer) -> Evidence<'a> {
    Evidence {
        function,
        approval: &inputs.approval,
        execution: &inputs.facts,
        heads: &inputs.heads,
        expiry: inputs.approval.expiry(Some(&w.declaration)),
        conditions: &inputs.conditions,
    }
}

/// Whether the gate asks the rule's check function (`decision::asks_function`).
fn gate_asks(w: &World, inputs: &Inputs) -> bool {
    inputs.policy.rule_for(&w.target).is_some_and(|rule| {
        asks_function(
            rule,
            &evidence(w, inputs, &FunctionAnswer::NotAsked),
            w.now,
            SignedDuration::from_secs(SWEEP_EVERY_SECONDS),
        )
    })
}

/// The function's answer, as `FunctionAnswer::read` would give it. Its reason quotes the
/// token, as a careless function might: no reason may carry it on.
fn answer_of(w: &World, answer: FnAnswer) -> FunctionAnswer {
    match answer {
        FnAnswer::Pass => FunctionAnswer::Answered {
            pass: true,
            reason: format!("CHG-42 approved for {}", w.token),
        },
        FnAnswer::Fail => FunctionAnswer::Answered {
            pass: false,
            reason: format!("CHG-42 pending ({})", w.token),
        },
        FnAnswer::Unusable => {
            FunctionAnswer::Unusable("the function did not answer within 5 s".into())
        }
    }
}

/// The decision, with the function asked only when `asks_function` says so, as the
/// handler asks it. `None` when the token cannot be proven live.
fn gate(w: &World) -> Option<Decision> {
    let inputs = inputs(w)?;
    let answer = if gate_asks(w, &inputs) {
        answer_of(w, w.function)
    } else {
        FunctionAnswer::NotAsked
    };
    Some(decide_given(w, &inputs, &answer))
}

/// What the handler reads for a rule with alarms or calendars, all at `w.now`: the alarms
/// by name and by each prefix, and each calendar now and, for a rule that judges the
/// moment the approval started waiting with it, at that moment.
fn read_conditions(
    w: &World,
    rule: &approval_gate::policy::Rule,
    since: Option<Timestamp>,
) -> Conditions {
    let describe = |selects: &dyn Fn(&str) -> bool| -> Result<Vec<AlarmStatus>, String> {
        if w.alarms_denied {
            return Err("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms".into());
        }
        Ok(w.alarms
            .iter()
            .filter(|alarm| selects(alarm.name))
            .map(|alarm| AlarmStatus {
                name: alarm.name.to_owned(),
                state: AlarmState::parse(alarm.state),
                reason: Some(format!(
                    "Threshold Crossed: {} went {}",
                    alarm.name, alarm.state
                )),
                changed: alarm.changed.map(at),
            })
            .collect())
    };
    let alarms = rule.alarms.as_ref().map(|required| AlarmReading {
        by_name: (!required.names.is_empty())
            .then(|| describe(&|name| required.names.iter().any(|wanted| wanted == name))),
        by_prefix: required
            .prefixes
            .iter()
            .map(|prefix| {
                (
                    prefix.clone(),
                    describe(&|name| name.starts_with(prefix.as_str())),
                )
            })
            .collect(),
    });
    let state_at = |name: &str, moment: i64| -> Result<CalendarReading, String> {
        let Some((_, spans)) = w.calendars.iter().find(|(calendar, _)| *calendar == name) else {
            return Err(format!("InvalidDocument: calendar {name} does not exist"));
        };
        let (state, next_transition) = match calendar_closed_at(spans, moment) {
            Some(opens) => (CalendarState::Closed, opens),
            None => {
                let mut next: Option<i64> = None;
                for (from, _) in spans {
                    if *from > moment {
                        next = Some(next.map_or(*from, |next| next.min(*from)));
                    }
                }
                (CalendarState::Open, next)
            }
        };
        Ok(CalendarReading {
            at: at(moment),
            state,
            next_transition: next_transition.map(at),
        })
    };
    let now = w.now.as_second();
    let calendars = rule
        .change_calendars
        .iter()
        .flat_map(|calendars| {
            let past = since.filter(|since| calendars.needs_the_past() && *since < w.now);
            calendars.names.iter().map(move |name| {
                let mut readings = vec![state_at(name, now)];
                if let Some(since) = past {
                    readings.push(state_at(name, since.as_second()));
                }
                CalendarReadings {
                    calendar: name.clone(),
                    readings,
                }
            })
        })
        .collect();
    Conditions::read(w.now, alarms, calendars)
}

/// Holds `decide()` to the oracle on one world; returns both answers.
fn compare(w: &World) -> Result<(Option<Verdict>, Said), String> {
    let said = oracle(w);
    let decision = gate(w);
    let verdict = decision.as_ref().map(|decision| decision.verdict);
    let context = || {
        format!(
            "\n  oracle: {:?} because {:?}\n  decide: {decision:?}\n  policy: {}\n  now: {}",
            said.said,
            said.why,
            policy_json(&w.rules),
            w.now
        )
    };
    match (verdict, said.said) {
        (None, Said::Stale) => {}
        (None, _) => {
            return Err(format!(
                "decide was never asked: the token did not prove live{}",
                context()
            ));
        }
        (Some(_), Said::Stale) => {
            return Err(format!(
                "the token proved live, but README calls it stale{}",
                context()
            ));
        }
        // P1, P3: an approval the README does not allow, with the rules it breaks.
        (Some(Verdict::Approve), said_now) if said_now != Said::Approve => {
            return Err(format!(
                "decide approved what README forbids: {}{}",
                said.why.join("; "),
                context()
            ));
        }
        // P2: a rejection the README does not ask for.
        (Some(Verdict::Reject), said_now) if said_now != Said::Reject => {
            return Err(format!(
                "decide rejected where README says {said_now:?}{}",
                context()
            ));
        }
        _ => {}
    }
    function_properties(w, &said).map_err(|problem| format!("{problem}{}", context()))?;
    Ok((verdict, said.said))
}

/// The function is asked exactly when the oracle says a pass would approve; an approval
/// rests on every variable comparison holding and on the function's pass; and a pass the
/// function was not asked for changes nothing.
fn function_properties(w: &World, said: &Oracle) -> Result<(), String> {
    let Some(inputs) = inputs(w) else {
        return Ok(());
    };
    let asks = gate_asks(w, &inputs);
    if asks != oracle_asks(w) {
        return Err(format!(
            "asks_function says {asks}, the oracle says the function decides: {}",
            oracle_asks(w)
        ));
    }
    let decision = gate(w).ok_or("the token proved live once, not twice")?;
    if decision.summary_for(&w.token).contains(&w.token) {
        return Err(format!(
            "the summary quotes the token: {}",
            decision.summary()
        ));
    }
    let Some(rule) = matched_rule(w) else {
        return Ok(());
    };
    if decision.verdict == Verdict::Approve {
        let execution = inputs.approval.execution().as_str();
        for spec in &rule.variables {
            variable_holds(w, execution, spec)
                .map_err(|why| format!("approved though {} {why}", spec.variable.written()))?;
        }
        if rule.function.is_some() && !(asks && w.function == FnAnswer::Pass) {
            return Err(format!(
                "approved though the function was {}",
                if asks {
                    "asked and did not pass"
                } else {
                    "not asked"
                }
            ));
        }
        if said.said != Said::Approve {
            return Err("approved against the oracle".into());
        }
    }
    if rule.function.is_some() && !asks {
        // The checks that kept the function from being asked decide alone: a pass would
        // not approve, and being left unasked asks for nothing more.
        let passed = decide_given(w, &inputs, &answer_of(w, FnAnswer::Pass)).verdict;
        let unasked = decide_given(w, &inputs, &FunctionAnswer::NotAsked).verdict;
        if passed == Verdict::Approve || passed != unasked {
            return Err(format!(
                "not asked, the function decides: with a pass {passed:?}, unasked {unasked:?}"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Generating worlds: knobs, then a plain builder.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exec {
    E0,
    E1,
    E2,
    /// The record names no execution.
    Unnamed,
}

impl Exec {
    fn id(self) -> Option<String> {
        match self {
            Exec::E0 => Some(E0.into()),
            Exec::E1 => Some(E1.into()),
            Exec::E2 => Some(E2.into()),
            Exec::Unnamed => None,
        }
    }
}

const SOURCES: [(&str, &str); 3] = [
    ("App", "AppArtifact"),
    ("Canary", "CanaryArtifact"),
    ("Lib", "LibArtifact"),
];

const GIT_IDS: [&str; 4] = [
    "8d3f1c2b7a6e5d4c3b2a19087f6e5d4c3b2a1908",
    "f00dcafe1234567890abcdef1234567890abcdef",
    "0123456789abcdef0123456789abcdef01234567",
    // Upper case: no `^[0-9a-f]{40}$` match.
    "8D3F1C2B7A6E5D4C3B2A19087F6E5D4C3B2A1908",
];

const ECR_IDS: [&str; 4] = [
    "sha256:4f3c9e1a0b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e",
    "sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    // An S3 version id, in the wrong place.
    "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
];

#[derive(Clone, Copy, Debug)]
enum Head {
    Same,
    /// A newer revision than the execution carries.
    Moved(usize),
    Missing,
    Empty,
}

#[derive(Clone, Copy, Debug)]
enum Outputs {
    Own,
    Nothing,
    /// Another source's artifact name.
    Neighbour,
}

#[derive(Clone, Copy, Debug)]
enum IdVariable {
    Carried,
    Other(usize),
    Absent,
}

#[derive(Clone, Debug)]
struct SourceRecordKnobs {
    kind: u8, // 0 Source, 1 Unknown, 2 Other
    succeeded: bool,
    outputs: Outputs,
    id_variable: IdVariable,
    branch: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct ArtifactKnobs {
    own_name: bool,
    has_id: bool,
    /// Minutes after `since` (negative: before).
    created: Option<i64>,
}

#[derive(Clone, Debug)]
struct SourceKnobs {
    ecr: bool,
    carried: usize,
    head: Head,
    record: Option<SourceRecordKnobs>,
    artifact: Option<ArtifactKnobs>,
    /// A record of the same source in another execution, carrying the head.
    foreign: Option<Exec>,
}

#[derive(Clone, Debug)]
struct BuildKnobs {
    state_execution: Option<Exec>,
    state_statuses: (u8, u8),
    /// Per action (Unit, IntegrationTests): attempts in E1 as (succeeded, updated slot).
    attempts: [Vec<(bool, Option<u8>)>; 2],
    /// Attempts of other executions: (action, execution, succeeded).
    foreign: Vec<(usize, Exec, bool)>,
}

#[derive(Clone, Copy, Debug)]
enum Timeout {
    Default,
    Minutes(i64),
    Undeclared,
}

#[derive(Clone, Copy, Debug)]
enum Now {
    Uniform(i64),
    /// Minutes and seconds before the expiry (after `since` when it is unknown).
    BeforeExpiry(i64, i64),
    AtSince,
    Soon(i64),
}

#[derive(Clone, Debug)]
struct ApprovalKnobs {
    /// 0 E1, 1 E2, 2 none, 3 empty id.
    prod_execution: u8,
    staging: Option<Exec>,
    target_staging: bool,
    wrong_token: bool,
    answered: bool,
    since_minutes: i64,
    since_seconds: i64,
    timeouts: (Timeout, Timeout),
    now: Now,
    /// Where `ListActionExecutions` lists the approvals' own attempts: 0 in their stage's
    /// execution, 1 nowhere, 2 under the other execution.
    listed: u8,
}

#[derive(Clone, Debug)]
struct Knobs {
    sources: Vec<SourceKnobs>,
    build: BuildKnobs,
    /// `GetPipelineExecution`: which execution it names, and the trigger.
    execution: Option<(Exec, Option<&'static str>)>,
    records_read: bool,
    reverse_records: bool,
    approval: ApprovalKnobs,
    rules: Vec<RuleSpec>,
    /// For each of [`ALARMS`], whether it exists and how.
    alarms: Vec<Option<AlarmKnobs>>,
    alarms_denied: bool,
    /// For each of [`CALENDARS`], whether it exists and the spans closing it.
    calendars: Vec<Option<Vec<SpanKnobs>>>,
    variables: VariableKnobs,
    /// What the rule's check function answers when asked.
    function: FnAnswer,
}

/// Values `RELEASE_TYPE` takes.
const RELEASE_TYPES: [&str; 6] = ["standard", "hotfix", "minor", "", "Standard", "standard "];
/// Values `CRITICAL_FINDINGS` takes: numbers, and text that is not a plain decimal number.
const FINDINGS: [&str; 13] = [
    "0", "3", "10", "-1", "2.5", "", "zero", " 0", "NaN", "inf", "0x0", "\u{663}", "1,000",
];

#[derive(Clone, Copy, Debug)]
enum Release {
    /// Listed once, with this value of [`RELEASE_TYPES`].
    Listed(usize),
    /// Listed without a resolved value.
    Unresolved,
    Absent,
    /// Listed twice, with these values.
    Twice(usize, usize),
}

/// One attempt of Test/Scan, the action that declares the namespace `Scan`.
#[derive(Clone, Debug)]
struct ScanAttempt {
    status: u8,
    /// Minutes after the approval's build attempts begin; `None`: no time.
    slot: Option<u8>,
    /// `input.namespace`: 0 `Scan`, 1 none, 2 `OldScan`.
    namespace: u8,
    /// `CRITICAL_FINDINGS` among its outputs: an index of [`FINDINGS`].
    findings: Option<usize>,
}

#[derive(Clone, Debug)]
struct VariableKnobs {
    release: Release,
    /// Test/Scan's attempts in E1.
    scan: Vec<ScanAttempt>,
    /// A successful Test/Scan attempt with no findings, in another execution.
    foreign_scan: Option<Exec>,
    /// Which action GetPipeline says declares `Scan`: 0 Test/Scan, 1 none, 2 Test/Scan and
    /// Build/Unit, 3 Build/Unit.
    declared: u8,
}

/// The alarms that may exist; rules also name `db-prod-cpu`, which never does.
const ALARMS: [&str; 3] = ["web-prod-5xx", "web-prod-latency", "api-prod-5xx"];
const ALARM_STATES: [&str; 4] = ["OK", "ALARM", "INSUFFICIENT_DATA", "DEGRADED"];
/// The calendars that may exist; rules also name `missing-freeze`, which never does.
const CALENDARS: [&str; 3] = [
    "prod-freeze",
    "org-freeze",
    "arn:aws:ssm:us-east-1:111122223333:document/shared-freeze",
];

#[derive(Clone, Debug)]
struct AlarmKnobs {
    state: usize,
    /// Seconds after the approval started waiting that the state last changed (negative:
    /// before; never exactly then); `None` when not reported.
    changed: Option<i64>,
}

#[derive(Clone, Debug)]
struct SpanKnobs {
    /// Whether the span is placed around now rather than around `since`.
    around_now: bool,
    /// Minutes from that moment to the span's start.
    start: i64,
    /// Minutes it lasts; `None` when it has no scheduled end.
    minutes: Option<i64>,
}

fn base_time() -> Timestamp {
    // A Monday.
    "2026-03-02T00:00:00Z".parse().unwrap()
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn status(code: u8) -> ActionStatus {
    match code % 4 {
        0 => ActionStatus::Succeeded,
        1 => ActionStatus::Failed,
        2 => ActionStatus::InProgress,
        _ => ActionStatus::Abandoned,
    }
}

fn outcome(succeeded: bool) -> ActionStatus {
    if succeeded {
        ActionStatus::Succeeded
    } else {
        ActionStatus::Failed
    }
}

fn build(k: &Knobs) -> World {
    let a = &k.approval;
    let since = base_time().as_second() + a.since_minutes * 60 + a.since_seconds;
    let ids = |ecr: bool| if ecr { ECR_IDS } else { GIT_IDS };

    // GetPipelineState.
    let mut source_actions = Vec::new();
    for (index, source) in k.sources.iter().enumerate() {
        let pool = ids(source.ecr);
        let carried = pool[source.carried];
        let current = match source.head {
            Head::Same => Some(carried.to_owned()),
            Head::Moved(step) => Some(pool[(source.carried + 1 + step % 3) % 4].to_owned()),
            Head::Missing => None,
            Head::Empty => Some(String::new()),
        };
        source_actions.push(ActionState {
            current_revision: current.map(|revision_id| CurrentRevision {
                revision_id,
                created: Some(at(since - 7_200)),
            }),
            ..fixtures::action(
                SOURCES[index].0,
                ActionStatus::Succeeded,
                Some(at(since - 3_600)),
            )
        });
    }
    let build_actions = ["Unit", "IntegrationTests"];
    let build_execution = k.build.state_execution.and_then(Exec::id);
    let mut stages = vec![
        fixtures::stage("Source", Some(E2), source_actions),
        fixtures::stage(
            "Build",
            build_execution.as_deref(),
            vec![
                fixtures::action(
                    build_actions[0],
                    status(k.build.state_statuses.0),
                    Some(at(since - 600)),
                ),
                fixtures::action(
                    build_actions[1],
                    status(k.build.state_statuses.1),
                    Some(at(since - 300)),
                ),
            ],
        ),
    ];
    let approval_stage = |name: &str, execution: Option<String>, token: &str| {
        let mut approval = fixtures::approval("Manual", token, Some(at(since)));
        if a.answered
            && let Some(execution) = &mut approval.execution
        {
            execution.status = ActionStatus::Succeeded;
        }
        fixtures::stage(name, execution.as_deref(), vec![approval])
    };
    if let Some(execution) = a.staging {
        stages.push(approval_stage(
            "Approve-Staging",
            execution.id(),
            "tok-staging",
        ));
    }
    let prod_execution = match a.prod_execution {
        0 => Some(E1.to_owned()),
        1 => Some(E2.to_owned()),
        2 => None,
        _ => Some(String::new()),
    };
    stages.push(approval_stage("Approve-Prod", prod_execution, "tok-prod"));
    let snapshot = PipelineSnapshot {
        name: PIPELINE.into(),
        stages,
    };

    let staging = a.target_staging && a.staging.is_some();
    let stage = if staging {
        "Approve-Staging"
    } else {
        "Approve-Prod"
    };
    let target = fixtures::target(PIPELINE, stage, "Manual");
    let token = match (staging, a.wrong_token) {
        (true, false) | (false, true) => "tok-staging",
        (false, false) | (true, true) => "tok-prod",
    }
    .to_owned();

    // ListActionExecutions.
    let mut records = Vec::new();
    for (index, source) in k.sources.iter().enumerate() {
        let pool = ids(source.ecr);
        let (name, artifact) = SOURCES[index];
        let id_variable = if source.ecr {
            "ImageDigest"
        } else {
            "CommitId"
        };
        if let Some(r) = &source.record {
            let mut variables = BTreeMap::new();
            match r.id_variable {
                IdVariable::Carried => {
                    variables.insert(id_variable.to_owned(), pool[source.carried].to_owned());
                }
                IdVariable::Other(step) => {
                    variables.insert(
                        id_variable.to_owned(),
                        pool[(source.carried + 1 + step % 3) % 4].to_owned(),
                    );
                }
                IdVariable::Absent => {}
            }
            if let Some(branch) = r.branch {
                variables.insert("BranchName".into(), branch.into());
            }
            records.push(ActionRecord {
                kind: match r.kind {
                    0 => ActionKind::Source,
                    1 => ActionKind::Unknown,
                    _ => ActionKind::Other,
                },
                updated: Some(at(since - 3_000)),
                output_artifacts: match r.outputs {
                    Outputs::Own => vec![artifact.into()],
                    Outputs::Nothing => vec![],
                    Outputs::Neighbour => vec![SOURCES[(index + 1) % 3].1.into()],
                },
                variables,
                ..fixtures::record(E1, "Source", name, outcome(r.succeeded))
            });
        }
        if let Some(execution) = source.foreign {
            let head = snapshot.stages[0].actions[index]
                .current_revision
                .as_ref()
                .map_or(pool[0].to_owned(), |revision| revision.revision_id.clone());
            let mut variables = BTreeMap::new();
            variables.insert(id_variable.to_owned(), head);
            variables.insert("BranchName".into(), "main".into());
            records.push(ActionRecord {
                execution_id: execution.id(),
                kind: ActionKind::Source,
                updated: Some(at(since - 1_000)),
                output_artifacts: vec![artifact.into()],
                variables,
                ..fixtures::record(E1, "Source", name, ActionStatus::Succeeded)
            });
        }
    }
    for (which, attempts) in k.build.attempts.iter().enumerate() {
        for (succeeded, slot) in attempts {
            records.push(ActionRecord {
                updated: slot.map(|slot| at(since - 2_000 + i64::from(slot) * 60)),
                output_artifacts: vec!["BuildOutput".into()],
                ..fixtures::record(E1, "Build", build_actions[which], outcome(*succeeded))
            });
        }
    }
    for scan in &k.variables.scan {
        let mut variables = BTreeMap::new();
        if let Some(findings) = scan.findings {
            variables.insert(
                "CRITICAL_FINDINGS".to_owned(),
                FINDINGS[findings].to_owned(),
            );
        }
        records.push(ActionRecord {
            updated: scan
                .slot
                .map(|slot| at(since - 1_800 + i64::from(slot) * 60)),
            namespace: match scan.namespace {
                0 => Some("Scan".into()),
                1 => None,
                _ => Some("OldScan".into()),
            },
            variables,
            ..fixtures::record(E1, "Test", "Scan", status(scan.status))
        });
    }
    if let Some(execution) = k.variables.foreign_scan {
        let mut variables = BTreeMap::new();
        variables.insert("CRITICAL_FINDINGS".to_owned(), "0".to_owned());
        records.push(ActionRecord {
            execution_id: execution.id(),
            updated: Some(at(since - 900)),
            namespace: Some("Scan".into()),
            variables,
            ..fixtures::record(E1, "Test", "Scan", ActionStatus::Succeeded)
        });
    }
    for (which, execution, succeeded) in &k.build.foreign {
        records.push(ActionRecord {
            execution_id: execution.id(),
            updated: Some(at(since - 500)),
            ..fixtures::record(E1, "Build", build_actions[*which], outcome(*succeeded))
        });
    }
    // The approvals' own attempts, in their stage's execution unless the knob says else.
    for stage in &snapshot.stages {
        let Some(execution) = &stage.execution else {
            continue;
        };
        for action in &stage.actions {
            let Some(run) = action.execution.as_ref().filter(|run| run.token.is_some()) else {
                continue;
            };
            let listed_in = match a.listed {
                0 => execution.pipeline_execution_id.clone(),
                1 => continue,
                _ if execution.pipeline_execution_id == E1 => E2.to_owned(),
                _ => E1.to_owned(),
            };
            records.push(ActionRecord {
                execution_id: Some(listed_in),
                action_execution_id: run.action_execution_id.clone(),
                updated: run.last_status_change,
                ..fixtures::record(E1, &stage.name, &action.name, run.status.clone())
            });
        }
    }
    if k.reverse_records {
        records.reverse();
    }

    // GetPipelineExecution.
    let execution = k.execution.map(|(names, trigger)| {
        let mut artifacts = Vec::new();
        for (index, source) in k.sources.iter().enumerate() {
            let Some(artifact) = &source.artifact else {
                continue;
            };
            artifacts.push(ArtifactRevision {
                name: if artifact.own_name {
                    SOURCES[index].1.into()
                } else {
                    "Unnamed".into()
                },
                revision_id: artifact
                    .has_id
                    .then(|| ids(source.ecr)[source.carried].to_owned()),
                revision_summary: None,
                created: artifact.created.map(|minutes| at(since + minutes * 60)),
            });
        }
        let variable = |value: Option<usize>| PipelineVariable {
            name: "RELEASE_TYPE".into(),
            value: value.map(|index| RELEASE_TYPES[index].to_owned()),
        };
        ExecutionRecord {
            variables: match k.variables.release {
                Release::Listed(index) => vec![variable(Some(index))],
                Release::Unresolved => vec![variable(None)],
                Release::Absent => vec![],
                Release::Twice(a, b) => vec![variable(Some(a)), variable(Some(b))],
            },
            execution_id: names.id(),
            artifacts,
            trigger: trigger.map(str::to_owned),
            status: ExecutionStatus::InProgress,
        }
    });

    // GetPipeline.
    let mut timeouts = BTreeMap::new();
    let mut expiry_minutes = None;
    for (stage, timeout) in [
        ("Approve-Prod", a.timeouts.0),
        ("Approve-Staging", a.timeouts.1),
    ] {
        let declared = match timeout {
            Timeout::Default => Some(None),
            Timeout::Minutes(minutes) => Some(Some(minutes)),
            Timeout::Undeclared => None,
        };
        if let Some(declared) = declared {
            timeouts.insert((stage.to_owned(), "Manual".to_owned()), declared);
            if stage == target.stage {
                expiry_minutes = Some(declared.unwrap_or(7 * 24 * 60));
            }
        }
    }
    let now = match a.now {
        Now::Uniform(minutes) => since + minutes * 60,
        Now::BeforeExpiry(minutes, seconds) => {
            let end = since + expiry_minutes.unwrap_or(0) * 60;
            (end - minutes * 60 - seconds).max(since)
        }
        Now::AtSince => since,
        Now::Soon(minutes) => since + minutes * 60,
    };

    // DescribeAlarms and GetCalendarState.
    let mut alarms = Vec::new();
    for (name, knobs) in ALARMS.iter().zip(&k.alarms) {
        if let Some(knobs) = knobs {
            alarms.push(Alarm {
                name,
                state: ALARM_STATES[knobs.state % ALARM_STATES.len()],
                changed: knobs.changed.map(|seconds| since + seconds),
            });
        }
    }
    let mut calendars = Vec::new();
    for (name, spans) in CALENDARS.iter().zip(&k.calendars) {
        if let Some(spans) = spans {
            let spans = spans
                .iter()
                .map(|span| {
                    let from = if span.around_now { now } else { since } + span.start * 60;
                    (from, span.minutes.map(|minutes| from + minutes * 60))
                })
                .collect();
            calendars.push((*name, spans));
        }
    }

    World {
        snapshot,
        target,
        token,
        records: k.records_read.then_some(records),
        execution,
        declaration: Declaration {
            timeouts,
            namespaces: {
                let scan = |stage: &str, action: &str| DeclaredNamespace {
                    namespace: "Scan".into(),
                    stage: stage.into(),
                    action: action.into(),
                };
                match k.variables.declared {
                    0 => vec![scan("Test", "Scan")],
                    1 => vec![],
                    2 => vec![scan("Test", "Scan"), scan("Build", "Unit")],
                    _ => vec![scan("Build", "Unit")],
                }
            },
            ..Declaration::default()
        },
        now: at(now),
        rules: k.rules.clone(),
        alarms,
        alarms_denied: k.alarms_denied,
        calendars,
        function: k.function,
    }
}

fn exec_strategy() -> impl Strategy<Value = Exec> {
    prop_oneof![
        Just(Exec::E0),
        Just(Exec::E1),
        Just(Exec::E2),
        Just(Exec::Unnamed)
    ]
}

fn source_strategy() -> impl Strategy<Value = SourceKnobs> {
    let record = (
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        proptest::bool::weighted(0.9),
        prop_oneof![6 => Just(Outputs::Own), 2 => Just(Outputs::Nothing), 1 => Just(Outputs::Neighbour)],
        prop_oneof![
            6 => Just(IdVariable::Carried),
            1 => (0..3usize).prop_map(IdVariable::Other),
            1 => Just(IdVariable::Absent)
        ],
        prop_oneof![
            6 => Just(Some("main")),
            1 => Just(Some("release/2026/11")),
            1 => Just(Some("feature/x")),
            1 => Just(None)
        ],
    )
        .prop_map(
            |(kind, succeeded, outputs, id_variable, branch)| SourceRecordKnobs {
                kind,
                succeeded,
                outputs,
                id_variable,
                branch,
            },
        );
    let artifact = (
        proptest::bool::weighted(0.85),
        proptest::bool::weighted(0.9),
        proptest::option::weighted(0.9, prop_oneof![3 => -12_000i64..0, 1 => 0i64..2_880]),
    )
        .prop_map(|(own_name, has_id, created)| ArtifactKnobs {
            own_name,
            has_id,
            created,
        });
    (
        proptest::bool::weighted(0.3),
        prop_oneof![9 => 0..3usize, 1 => Just(3usize)],
        prop_oneof![
            6 => Just(Head::Same),
            2 => (0..3usize).prop_map(Head::Moved),
            1 => Just(Head::Missing),
            1 => Just(Head::Empty)
        ],
        proptest::option::weighted(0.92, record),
        proptest::option::weighted(0.92, artifact),
        proptest::option::weighted(
            0.3,
            prop_oneof![Just(Exec::E0), Just(Exec::E2), Just(Exec::Unnamed)],
        ),
    )
        .prop_map(
            |(ecr, carried, head, record, artifact, foreign)| SourceKnobs {
                ecr,
                carried,
                head,
                record,
                artifact,
                foreign,
            },
        )
}

fn build_strategy() -> impl Strategy<Value = BuildKnobs> {
    let attempt = (
        proptest::bool::weighted(0.8),
        proptest::option::weighted(0.85, 0..4u8),
    );
    let attempts = prop_oneof![
        1 => Just(Vec::new()),
        6 => proptest::collection::vec(attempt.clone(), 1..=1),
        2 => proptest::collection::vec(attempt, 2..=3),
    ];
    (
        proptest::option::weighted(0.9, exec_strategy()),
        (0..4u8, 0..4u8),
        attempts.clone(),
        attempts,
        proptest::collection::vec((0..2usize, exec_strategy(), any::<bool>()), 0..=2),
    )
        .prop_map(
            |(state_execution, state_statuses, unit, integration, foreign)| BuildKnobs {
                state_execution,
                state_statuses,
                attempts: [unit, integration],
                foreign,
            },
        )
}

fn timeout_strategy() -> impl Strategy<Value = Timeout> {
    prop_oneof![
        4 => Just(Timeout::Default),
        2 => (5i64..=60).prop_map(Timeout::Minutes),
        2 => (60i64..=1_440).prop_map(Timeout::Minutes),
        1 => (1_440i64..=86_400).prop_map(Timeout::Minutes),
        1 => Just(Timeout::Undeclared),
    ]
}

fn approval_strategy() -> impl Strategy<Value = ApprovalKnobs> {
    (
        prop_oneof![40 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
        proptest::option::weighted(0.3, prop_oneof![Just(Exec::E1), Just(Exec::E2)]),
        any::<bool>(),
        proptest::bool::weighted(0.03),
        proptest::bool::weighted(0.03),
        0i64..10_080,
        prop_oneof![4 => Just(0i64), 1 => 1i64..60],
        (timeout_strategy(), timeout_strategy()),
        prop_oneof![
            3 => (0i64..=57_600).prop_map(Now::Uniform),
            4 => (0i64..=40, 0i64..60).prop_map(|(m, s)| Now::BeforeExpiry(m, s)),
            1 => Just(Now::AtSince),
            2 => (0i64..=180).prop_map(Now::Soon),
        ],
        prop_oneof![60 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(
            |(
                prod_execution,
                staging,
                target_staging,
                wrong_token,
                answered,
                since_minutes,
                since_seconds,
                timeouts,
                now,
                listed,
            )| ApprovalKnobs {
                prod_execution,
                staging,
                target_staging,
                wrong_token,
                answered,
                since_minutes,
                since_seconds,
                timeouts,
                now,
                listed,
            },
        )
}

fn allow_strategy() -> impl Strategy<Value = AllowSpec> {
    (1u8..=127, 0i64..24, 1i64..=24)
        .prop_filter("from equal to to is refused", |(_, from, to)| from != to)
        .prop_map(|(days, from_hour, to_hour)| AllowSpec {
            days: (0..7).filter(|day| days & (1 << day) != 0).collect(),
            from_hour,
            to_hour,
        })
}

fn answer_strategy() -> impl Strategy<Value = Answer> {
    prop_oneof![1 => Just(Answer::Reject), 1 => Just(Answer::Abstain), 2 => Just(Answer::Defer)]
}

fn rule_strategy() -> impl Strategy<Value = RuleSpec> {
    let windows = (
        proptest::collection::vec(allow_strategy(), 1..=2),
        proptest::option::weighted(0.8, answer_strategy()),
    )
        .prop_map(|(allow, outside)| WindowsSpec { allow, outside });
    let revisions = (
        any::<bool>(),
        proptest::option::weighted(
            0.35,
            prop_oneof![
                Just(("90m", 90 * 60)),
                Just(("72h", 72 * 3_600)),
                Just(("14d", 14 * 86_400)),
                Just(("1h", 3_600)),
            ],
        ),
        prop_oneof![
            2 => Just(vec![]),
            1 => Just(vec![IdPattern::Hex40]),
            1 => Just(vec![IdPattern::Sha256]),
            1 => Just(vec![IdPattern::Hex40, IdPattern::Sha256]),
        ],
        prop_oneof![
            2 => Just(vec![]),
            1 => Just(vec!["main"]),
            1 => Just(vec!["main", "release/*"]),
        ],
    )
        .prop_map(|(latest, max_age, revision_id_allow, branches)| {
            let nothing = !latest && max_age.is_none();
            RevisionsSpec {
                // A revisions object must set at least one check.
                latest: latest || (nothing && revision_id_allow.is_empty() && branches.is_empty()),
                max_age,
                revision_id_allow,
                branches,
            }
        });
    (
        prop_oneof![4 => Just("*"), 2 => Just("web-shop"), 2 => Just("web-*"), 1 => Just("api-*")],
        prop_oneof![
            3 => Just("*"),
            2 => Just("Approve-Prod"),
            2 => Just("Approve-*"),
            1 => Just("Approve-Staging"),
            1 => Just("Deploy")
        ],
        prop_oneof![4 => Just("*"), 2 => Just("Manual"), 1 => Just("Man?al"), 1 => Just("Auto")],
        prop_oneof![
            2 => Just(vec![]),
            2 => Just(vec![("Build", "Unit")]),
            1 => Just(vec![("Build", "IntegrationTests")]),
            2 => Just(vec![("Build", "Unit"), ("Build", "IntegrationTests")]),
        ],
        proptest::option::weighted(0.4, windows),
        proptest::option::weighted(0.6, revisions),
        proptest::option::weighted(
            0.7,
            prop_oneof![Just(Answer::Reject), Just(Answer::Abstain)],
        ),
        proptest::option::weighted(0.3, alarms_spec_strategy()),
        proptest::option::weighted(0.25, calendars_spec_strategy()),
        prop_oneof![
            7 => Just(vec![]),
            1 => proptest::collection::vec(var_spec_strategy(), 1..=2),
        ],
        proptest::option::weighted(0.15, function_spec_strategy()),
    )
        .prop_map(
            |(
                pipeline,
                stage,
                action,
                require_succeeded,
                windows,
                revisions,
                on_fail,
                alarms,
                calendars,
                variables,
                function,
            )| RuleSpec {
                pipeline,
                stage,
                action,
                require_succeeded,
                windows,
                revisions,
                alarms,
                calendars,
                variables,
                // A function's failure may not abstain: without a rule that rejects, the
                // function defers.
                function: function.map(|function| FunctionSpec {
                    on_fail: function
                        .on_fail
                        .or((on_fail != Some(Answer::Reject)).then_some(Answer::Defer)),
                    ..function
                }),
                on_fail,
            },
        )
}

fn var_spec_strategy() -> impl Strategy<Value = VarSpec> {
    let release = prop_oneof![
        Just(Op::Equals("standard")),
        Just(Op::NotEquals("hotfix")),
        Just(Op::Contains("stand")),
        Just(Op::Matches(VarPattern::StandardOrMinor)),
    ]
    .prop_map(|op| VarSpec {
        variable: Var::ReleaseType,
        op,
    });
    let findings = prop_oneof![
        6 => Just(Op::AtMost(0)),
        2 => Just(Op::AtMost(5)),
        1 => Just(Op::AtLeast(1)),
        2 => Just(Op::AtLeast(-1)),
        2 => Just(Op::Equals("0")),
        1 => Just(Op::NotEquals("0")),
        2 => Just(Op::Matches(VarPattern::Digits)),
        1 => Just(Op::Contains("0")),
    ]
    .prop_map(|op| VarSpec {
        variable: Var::Findings,
        op,
    });
    prop_oneof![
        8 => release,
        10 => findings,
        1 => Just(VarSpec { variable: Var::Undeclared, op: Op::AtMost(5) }),
    ]
}

/// A function's `on_fail` is `reject` or `defer`; a rule whose own `on_fail` is not
/// `reject` gives its function one (a function's failure may not abstain).
fn function_spec_strategy() -> impl Strategy<Value = FunctionSpec> {
    (
        proptest::option::weighted(
            0.6,
            prop_oneof![1 => Just(Answer::Reject), 2 => Just(Answer::Defer)],
        ),
        proptest::option::weighted(0.3, 1u64..=10),
    )
        .prop_map(|(on_fail, timeout_seconds)| FunctionSpec {
            on_fail,
            timeout_seconds,
        })
}

fn variable_knobs_strategy() -> impl Strategy<Value = VariableKnobs> {
    let attempt = (
        prop_oneof![12 => Just(0u8), 1 => Just(1u8), 1 => Just(3u8)],
        proptest::option::weighted(0.9, 0..4u8),
        prop_oneof![12 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        proptest::option::weighted(
            0.92,
            prop_oneof![30 => Just(0usize), 3 => 1..FINDINGS.len()],
        ),
    )
        .prop_map(|(status, slot, namespace, findings)| ScanAttempt {
            status,
            slot,
            namespace,
            findings,
        });
    (
        prop_oneof![
            40 => prop_oneof![12 => Just(0usize), 1 => 1..RELEASE_TYPES.len()].prop_map(Release::Listed),
            1 => Just(Release::Unresolved),
            1 => Just(Release::Absent),
            1 => (0..2usize, 0..RELEASE_TYPES.len()).prop_map(|(a, b)| Release::Twice(a, b)),
        ],
        prop_oneof![
            1 => Just(Vec::new()),
            16 => proptest::collection::vec(attempt.clone(), 1..=1),
            3 => proptest::collection::vec(attempt, 2..=3),
        ],
        proptest::option::weighted(0.2, exec_strategy()),
        prop_oneof![24 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
    )
        .prop_map(|(release, scan, foreign_scan, declared)| VariableKnobs {
            release,
            scan,
            foreign_scan,
            declared,
        })
}

fn fn_answer_strategy() -> impl Strategy<Value = FnAnswer> {
    prop_oneof![20 => Just(FnAnswer::Pass), 2 => Just(FnAnswer::Fail), 1 => Just(FnAnswer::Unusable)]
}

/// `on_alarm`, `on_closed`: mostly `defer`, as a production check usually is.
fn condition_answer_strategy() -> impl Strategy<Value = Answer> {
    prop_oneof![1 => Just(Answer::Reject), 1 => Just(Answer::Abstain), 3 => Just(Answer::Defer)]
}

fn alarms_spec_strategy() -> impl Strategy<Value = AlarmsSpec> {
    (
        prop_oneof![
            1 => Just(vec![]),
            4 => Just(vec!["web-prod-5xx"]),
            2 => Just(vec!["web-prod-5xx", "api-prod-5xx"]),
            1 => Just(vec!["db-prod-cpu"]),
        ],
        prop_oneof![
            3 => Just(vec![]),
            2 => Just(vec!["web-prod-"]),
            1 => Just(vec!["api-", "web-"]),
            1 => Just(vec!["db-"]),
        ],
        proptest::option::weighted(0.8, condition_answer_strategy()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(names, prefixes, on_alarm, insufficient_ok)| AlarmsSpec {
            // `alarms` needs names, prefixes or both.
            names: if names.is_empty() && prefixes.is_empty() {
                vec!["web-prod-latency"]
            } else {
                names
            },
            prefixes,
            on_alarm,
            insufficient_ok,
        })
}

fn calendars_spec_strategy() -> impl Strategy<Value = CalendarsSpec> {
    (
        prop_oneof![
            4 => Just(vec![CALENDARS[0]]),
            2 => Just(vec![CALENDARS[1], CALENDARS[2]]),
            1 => Just(vec![CALENDARS[0], "missing-freeze"]),
        ],
        proptest::option::weighted(0.8, condition_answer_strategy()),
    )
        .prop_map(|(names, on_closed)| CalendarsSpec { names, on_closed })
}

fn alarm_knobs_strategy() -> impl Strategy<Value = Option<AlarmKnobs>> {
    proptest::option::weighted(
        0.92,
        (
            prop_oneof![10 => Just(0usize), 3 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize)],
            prop_oneof![
                8 => (-40_000i64..=-1).prop_map(Some),
                2 => (1i64..=200_000).prop_map(Some),
                1 => Just(None),
            ],
        )
            .prop_map(|(state, changed)| AlarmKnobs { state, changed }),
    )
}

fn calendar_knobs_strategy() -> impl Strategy<Value = Option<Vec<SpanKnobs>>> {
    let span = (
        any::<bool>(),
        -600i64..=600,
        proptest::option::weighted(0.9, 1i64..=2_000),
    )
        .prop_map(|(around_now, start, minutes)| SpanKnobs {
            around_now,
            start,
            minutes,
        });
    proptest::option::weighted(
        0.93,
        prop_oneof![
            4 => Just(Vec::new()),
            3 => proptest::collection::vec(span.clone(), 1..=1),
            1 => proptest::collection::vec(span, 2..=3),
        ],
    )
}

/// The rules without those an earlier rule's patterns cover, read as names: such a rule
/// could never decide, and the loader refuses it. Dropping it changes no answer, since the
/// first rule that matches decides. (Read as a name, a later `*` can be taken by an earlier
/// `?`, which the loader does not allow: this drops at least what the loader refuses.)
fn reachable(rules: Vec<RuleSpec>) -> Vec<RuleSpec> {
    let mut kept: Vec<RuleSpec> = Vec::new();
    for rule in rules {
        let hidden = kept.iter().any(|earlier| {
            glob(earlier.pipeline, rule.pipeline)
                && glob(earlier.stage, rule.stage)
                && glob(earlier.action, rule.action)
        });
        if !hidden {
            kept.push(rule);
        }
    }
    kept
}

fn world_strategy() -> impl Strategy<Value = World> {
    (
        proptest::collection::vec(source_strategy(), 1..=3),
        build_strategy(),
        proptest::option::weighted(
            0.9,
            (
                prop_oneof![8 => Just(Exec::E1), 1 => Just(Exec::E0), 1 => Just(Exec::E2)],
                prop_oneof![
                    6 => Just(Some("Webhook")),
                    2 => Just(Some("StartPipelineExecution")),
                    1 => Just(None)
                ],
            ),
        ),
        proptest::bool::weighted(0.92),
        any::<bool>(),
        approval_strategy(),
        proptest::collection::vec(rule_strategy(), 1..=2).prop_map(reachable),
        (
            proptest::collection::vec(alarm_knobs_strategy(), ALARMS.len()),
            proptest::bool::weighted(0.03),
            proptest::collection::vec(calendar_knobs_strategy(), CALENDARS.len()),
        ),
        (variable_knobs_strategy(), fn_answer_strategy()),
    )
        .prop_map(
            |(
                sources,
                build_knobs,
                execution,
                records_read,
                reverse_records,
                approval,
                rules,
                (alarms, alarms_denied, calendars),
                (variables, function),
            )| {
                build(&Knobs {
                    sources,
                    build: build_knobs,
                    execution,
                    records_read,
                    reverse_records,
                    approval,
                    rules,
                    alarms,
                    alarms_denied,
                    calendars,
                    variables,
                    function,
                })
            },
        )
}

// ---------------------------------------------------------------------------------------
// The property.
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    cases: usize,
    both_approve: usize,
    both_reject: usize,
    /// Under a rule with `alarms` or `change_calendars`: approved, deferred and rejected
    /// by both.
    conditions: [usize; 3],
    /// Under a rule with `variables` or `function`: approved, deferred and rejected by both.
    checked: [usize; 3],
    /// Worlds in which the gate asked the function.
    asked: usize,
}

/// Whether the rule that decides the world's approval checks alarms or calendars.
fn checks_conditions(w: &World) -> bool {
    w.rules
        .iter()
        .find(|rule| {
            glob(rule.pipeline, &w.target.pipeline)
                && glob(rule.stage, &w.target.stage)
                && glob(rule.action, &w.target.action)
        })
        .is_some_and(|rule| rule.alarms.is_some() || rule.calendars.is_some())
}

#[test]
fn decide_answers_only_what_the_readme_oracle_allows() {
    let config = Config {
        cases: 4096,
        failure_persistence: None,
        ..Config::default()
    };
    let tally = RefCell::new(Tally::default());
    let result = TestRunner::new(config).run(&world_strategy(), |world| {
        let (verdict, said) = compare(&world).map_err(TestCaseError::fail)?;
        let mut tally = tally.borrow_mut();
        tally.cases += 1;
        if verdict == Some(Verdict::Approve) && said == Said::Approve {
            tally.both_approve += 1;
        }
        if verdict == Some(Verdict::Reject) && said == Said::Reject {
            tally.both_reject += 1;
        }
        let agreed = [
            (Verdict::Approve, Said::Approve),
            (Verdict::Defer, Said::Defer),
            (Verdict::Reject, Said::Reject),
        ];
        let checked = matched_rule(&world)
            .is_some_and(|rule| !rule.variables.is_empty() || rule.function.is_some());
        for (index, pair) in agreed.iter().enumerate() {
            if (verdict, said) == (Some(pair.0), pair.1) {
                if checks_conditions(&world) {
                    tally.conditions[index] += 1;
                }
                if checked {
                    tally.checked[index] += 1;
                }
            }
        }
        if oracle_asks(&world) {
            tally.asked += 1;
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    // The property means something only if the worlds reach both answers often.
    let tally = tally.into_inner();
    // Rules with variables and check functions approve less often than the others: 184 to
    // 242 approvals by both in 4,096 worlds over ten runs, so the bar is one in 25.
    assert!(
        tally.both_approve * 25 >= tally.cases && tally.both_reject * 25 >= tally.cases,
        "too few approvals ({}) or rejections ({}) in {} cases",
        tally.both_approve,
        tally.both_reject,
        tally.cases
    );
    // And alarms and calendars must decide some of them, every way (deferrals agreed by
    // both are the rarest: 13 to 30 in 4,096 worlds over six runs, so the bar is about 4).
    assert!(
        tally
            .conditions
            .iter()
            .all(|agreed| agreed * 1000 >= tally.cases),
        "too few approvals, deferrals or rejections under alarms or calendars: {:?} in {} \
         cases",
        tally.conditions,
        tally.cases
    );
    // And variables and check functions must approve and reject some (about 35 and 170 in
    // 4,096 worlds over three runs, so the bar is about 20 of each).
    assert!(
        tally.checked[0] * 200 >= tally.cases && tally.checked[2] * 200 >= tally.cases,
        "too few approvals or rejections under variables or a function: {:?} in {} cases",
        tally.checked,
        tally.cases
    );
    eprintln!(
        "{} cases: {} approved and {} rejected by both; under alarms or calendars, \
         approved, deferred, rejected by both: {:?}; under variables or a function: {:?}, \
         the function asked in {}",
        tally.cases,
        tally.both_approve,
        tally.both_reject,
        tally.conditions,
        tally.checked,
        tally.asked
    );
}

// ---------------------------------------------------------------------------------------
// Examples: the odd shapes README names, each one change away from a clean approval.
// ---------------------------------------------------------------------------------------

fn clean_source(ecr: bool, carried: usize) -> SourceKnobs {
    SourceKnobs {
        ecr,
        carried,
        head: Head::Same,
        record: Some(SourceRecordKnobs {
            kind: 0,
            succeeded: true,
            outputs: Outputs::Own,
            id_variable: IdVariable::Carried,
            branch: (!ecr).then_some("main"),
        }),
        artifact: Some(ArtifactKnobs {
            own_name: true,
            has_id: true,
            created: Some(-60),
        }),
        foreign: None,
    }
}

fn strict_rule(revisions: RevisionsSpec) -> RuleSpec {
    RuleSpec {
        pipeline: "web-*",
        stage: "Approve-*",
        action: "*",
        require_succeeded: vec![("Build", "Unit"), ("Build", "IntegrationTests")],
        windows: None,
        revisions: Some(revisions),
        alarms: None,
        calendars: None,
        variables: vec![],
        function: None,
        on_fail: Some(Answer::Reject),
    }
}

fn revisions(latest: bool, branches: Vec<&'static str>) -> RevisionsSpec {
    RevisionsSpec {
        latest,
        max_age: Some(("72h", 72 * 3_600)),
        revision_id_allow: vec![IdPattern::Hex40, IdPattern::Sha256],
        branches,
    }
}

/// Two repository sources on `main`, built and tested in E1, pushed by a webhook, waiting
/// for 30 minutes: approved by a strict rule.
fn clean() -> Knobs {
    Knobs {
        sources: vec![clean_source(false, 0), clean_source(false, 1)],
        build: BuildKnobs {
            state_execution: Some(Exec::E1),
            state_statuses: (0, 0),
            attempts: [vec![(true, Some(0))], vec![(true, Some(1))]],
            foreign: vec![],
        },
        execution: Some((Exec::E1, Some("Webhook"))),
        records_read: true,
        reverse_records: false,
        approval: ApprovalKnobs {
            prod_execution: 0,
            staging: None,
            target_staging: false,
            wrong_token: false,
            answered: false,
            since_minutes: 600,
            since_seconds: 0,
            timeouts: (Timeout::Default, Timeout::Default),
            now: Now::Soon(30),
            listed: 0,
        },
        rules: vec![strict_rule(revisions(true, vec!["main"]))],
        alarms: vec![None; ALARMS.len()],
        alarms_denied: false,
        calendars: vec![None; CALENDARS.len()],
        variables: VariableKnobs {
            release: Release::Listed(0),
            scan: vec![ScanAttempt {
                status: 0,
                slot: Some(1),
                namespace: 0,
                findings: Some(0),
            }],
            foreign_scan: None,
            declared: 0,
        },
        function: FnAnswer::Pass,
    }
}

/// Both answers for the world the knobs describe, after the property's own checks.
fn both(knobs: &Knobs) -> (Option<Verdict>, Said) {
    let world = build(knobs);
    compare(&world).unwrap_or_else(|failure| panic!("{failure}\n{world:#?}"))
}

fn assert_both_reject(knobs: &Knobs) {
    let world = build(knobs);
    let (verdict, said) = both(knobs);
    assert_eq!(
        (verdict, said),
        (Some(Verdict::Reject), Said::Reject),
        "oracle: {:?}\ndecide: {:?}",
        oracle(&world).why,
        gate(&world)
    );
}

#[test]
fn the_clean_world_is_approved_by_both() {
    assert_eq!(both(&clean()), (Some(Verdict::Approve), Said::Approve));
}

#[test]
fn a_skipped_build_stage_does_not_count_with_the_statuses_of_an_older_run() {
    let mut knobs = clean();
    // The state shows Build as E0 left it, all green; E1 skipped it.
    knobs.build.state_execution = Some(Exec::E0);
    knobs.build.attempts = [vec![], vec![]];
    knobs.build.foreign = vec![(0, Exec::E0, true), (1, Exec::E0, true)];
    knobs.rules = vec![RuleSpec {
        revisions: None,
        ..strict_rule(revisions(false, vec![]))
    }];
    assert_both_reject(&knobs);
}

#[test]
fn two_ecr_sources_with_a_moved_tag_are_compared_each_with_its_own_head() {
    let mut knobs = clean();
    // App and Canary read one repository: E1 carries digests 0 and 1, and since then each
    // tag has moved to the other's digest. As a set nothing changed; source by source
    // both moved.
    knobs.sources = vec![clean_source(true, 0), clean_source(true, 1)];
    knobs.sources[0].head = Head::Moved(0); // digest 1
    knobs.sources[1].head = Head::Moved(2); // digest 0
    knobs.rules = vec![strict_rule(revisions(true, vec![]))];
    assert_both_reject(&knobs);
}

#[test]
fn a_source_with_no_current_revision_fails_latest() {
    let mut knobs = clean();
    knobs.sources.push(clean_source(false, 2));
    knobs.sources[2].head = Head::Missing;
    assert_both_reject(&knobs);
}

#[test]
fn an_unclassified_source_record_vouches_for_nothing() {
    let mut knobs = clean();
    if let Some(record) = &mut knobs.sources[0].record {
        record.kind = 1; // ActionKind::Unknown
    }
    assert_both_reject(&knobs);
}

#[test]
fn a_manually_started_execution_cannot_prove_its_branch() {
    let mut knobs = clean();
    knobs.execution = Some((Exec::E1, Some("StartPipelineExecution")));
    knobs.rules = vec![strict_rule(revisions(false, vec!["main"]))];
    assert_both_reject(&knobs);
}

// ---------------------------------------------------------------------------------------
// Disagreements the property found: decide() approves where README says it must not.
// ---------------------------------------------------------------------------------------

/// Asserts README's answer (the oracle rejects) and that `decide()` does not approve.
fn assert_not_approved(knobs: &Knobs, readme: &str) {
    let world = build(knobs);
    let said = oracle(&world);
    assert_eq!(said.said, Said::Reject, "oracle: {:?}", said.why);
    let decision = gate(&world);
    assert_ne!(
        decision.as_ref().map(|decision| decision.verdict),
        Some(Verdict::Approve),
        "README: {readme}\noracle: {:?}\ndecide: {decision:?}",
        said.why
    );
}

#[test]
fn attempts_with_equal_times_cannot_be_ordered_and_count_only_if_all_succeeded() {
    let mut knobs = clean();
    knobs.rules = vec![RuleSpec {
        revisions: None,
        ..strict_rule(revisions(false, vec![]))
    }];
    // Unit ran twice in E1, and both attempts report the same time: one failed.
    knobs.build.attempts[0] = vec![(false, Some(2)), (true, Some(2))];
    for reverse_records in [false, true] {
        knobs.reverse_records = reverse_records;
        assert_not_approved(
            &knobs,
            "attempts that cannot be ordered count only if all succeeded",
        );
    }
}

#[test]
fn latest_pairs_an_artifact_only_with_a_source_attempt_that_produced_it() {
    let mut knobs = clean();
    knobs.rules = vec![strict_rule(RevisionsSpec {
        latest: true,
        max_age: None,
        revision_id_allow: vec![],
        branches: vec![],
    })];
    // App's only attempt in E1 failed: it produced nothing the execution could carry.
    if let Some(record) = &mut knobs.sources[0].record {
        record.succeeded = false;
    }
    assert_not_approved(
        &knobs,
        "latest fails for an artifact no source action (or more than one) produced",
    );
}

#[test]
fn latest_accounts_for_a_source_that_ran_but_shows_no_current_revision() {
    let mut knobs = clean();
    knobs.rules = vec![strict_rule(revisions(true, vec![]))];
    // Canary ran in E1, but the state shows no current revision for it, and
    // GetPipelineExecution lists no artifact of it.
    knobs.sources[1].head = Head::Missing;
    knobs.sources[1].artifact = None;
    assert_not_approved(
        &knobs,
        "latest fails when anything cannot be accounted for: ... a source that shows no current revision",
    );
}

#[test]
fn branches_checks_every_source_action_including_one_no_artifact_pairs_with() {
    let mut knobs = clean();
    knobs.rules = vec![strict_rule(revisions(false, vec!["main"]))];
    // Canary built feature/x in E1; GetPipelineExecution lists no artifact of it.
    knobs.sources[1].artifact = None;
    if let Some(record) = &mut knobs.sources[1].record {
        record.branch = Some("feature/x");
    }
    assert_not_approved(
        &knobs,
        "the branch each source action built must match one; an action that cannot be paired is always checked",
    );
}

// ---------------------------------------------------------------------------------------
// Alarms and Change Calendars: the shapes docs/policy.md names, from the clean world.
// ---------------------------------------------------------------------------------------

/// The clean world under a rule that also requires `alarms` and `change_calendars`, with
/// web-prod-5xx OK since before the approval started waiting and prod-freeze open.
fn healthy() -> Knobs {
    let mut knobs = clean();
    knobs.rules[0].alarms = Some(AlarmsSpec {
        names: vec!["web-prod-5xx"],
        prefixes: vec![],
        on_alarm: Some(Answer::Defer),
        insufficient_ok: None,
    });
    knobs.rules[0].calendars = Some(CalendarsSpec {
        names: vec!["prod-freeze"],
        on_closed: Some(Answer::Abstain),
    });
    knobs.alarms[0] = Some(AlarmKnobs {
        state: 0,
        changed: Some(-7_200),
    });
    knobs.calendars[0] = Some(Vec::new());
    knobs
}

#[test]
fn alarms_ok_and_calendars_open_are_approved_by_both() {
    assert_eq!(both(&healthy()), (Some(Verdict::Approve), Said::Approve));
}

#[test]
fn a_firing_alarm_defers_and_the_sweep_approves_once_it_clears() {
    let mut knobs = healthy();
    knobs.alarms[0] = Some(AlarmKnobs {
        state: 1,
        changed: Some(-7_200),
    });
    assert_eq!(both(&knobs), (Some(Verdict::Defer), Said::Defer));
    // It cleared after the approval started waiting: its state then is unknown, which
    // defers there, so the approval is not left to a human.
    knobs.alarms[0] = Some(AlarmKnobs {
        state: 0,
        changed: Some(600),
    });
    assert_eq!(both(&knobs), (Some(Verdict::Approve), Said::Approve));
}

#[test]
fn an_alarm_deferral_in_the_last_half_hour_is_rejected() {
    let mut knobs = healthy();
    knobs.alarms[0] = Some(AlarmKnobs {
        state: 1,
        changed: Some(-7_200),
    });
    // Two hours to decide, so that only the alarm stands in the way.
    knobs.approval.timeouts.0 = Timeout::Minutes(120);
    knobs.approval.now = Now::BeforeExpiry(20, 0);
    assert_both_reject(&knobs);
}

#[test]
fn a_missing_alarm_is_never_merely_deferred() {
    let mut knobs = healthy();
    knobs.alarms[0] = None;
    assert_eq!(both(&knobs), (Some(Verdict::Abstain), Said::Abstain));
}

#[test]
fn a_calendar_closed_when_the_approval_arrived_leaves_it_with_a_human_after_it_opens() {
    let mut knobs = healthy();
    // Closed from an hour before the approval started waiting to ten minutes after.
    knobs.calendars[0] = Some(vec![SpanKnobs {
        around_now: false,
        start: -60,
        minutes: Some(70),
    }]);
    assert_eq!(both(&knobs), (Some(Verdict::Abstain), Said::Abstain));
}

#[test]
fn a_calendar_deferral_is_kept_in_the_last_half_hour_only_if_it_opens_in_time() {
    let mut knobs = healthy();
    knobs.rules[0].calendars = Some(CalendarsSpec {
        names: vec!["prod-freeze"],
        on_closed: Some(Answer::Defer),
    });
    knobs.approval.timeouts.0 = Timeout::Minutes(120);
    knobs.approval.now = Now::BeforeExpiry(25, 0);
    // Closed until 10 minutes from now: a sweep comes before the expiry.
    knobs.calendars[0] = Some(vec![SpanKnobs {
        around_now: true,
        start: -60,
        minutes: Some(70),
    }]);
    assert_eq!(both(&knobs), (Some(Verdict::Defer), Said::Defer));
    // Closed until 22 minutes from now: too late.
    knobs.calendars[0] = Some(vec![SpanKnobs {
        around_now: true,
        start: -60,
        minutes: Some(82),
    }]);
    assert_both_reject(&knobs);
}

// ---------------------------------------------------------------------------------------
// Variables and the check function: a decision table, one change from a clean approval per
// row. Each row is held to the oracle and to the answer the issue names; the table is
// printed with both answers, so a failing row is read beside the others.
// ---------------------------------------------------------------------------------------

/// The clean world under a rule that also compares `#{variables.RELEASE_TYPE}` and
/// `#{Scan.CRITICAL_FINDINGS}` and asks a check function (which passes).
fn checked() -> Knobs {
    let mut knobs = clean();
    knobs.rules[0].variables = vec![
        VarSpec {
            variable: Var::ReleaseType,
            op: Op::Equals("standard"),
        },
        VarSpec {
            variable: Var::Findings,
            op: Op::AtMost(0),
        },
    ];
    knobs.rules[0].function = Some(FunctionSpec {
        on_fail: None,
        timeout_seconds: None,
    });
    knobs
}

fn scan(status: u8, slot: Option<u8>, findings: usize) -> ScanAttempt {
    ScanAttempt {
        status,
        slot,
        namespace: 0,
        findings: Some(findings),
    }
}

/// Closed all of Monday, when the clean world's approval waits: open from Tuesday.
fn closed_on_mondays(outside: Answer) -> WindowsSpec {
    WindowsSpec {
        allow: vec![AllowSpec {
            days: (1..7).collect(),
            from_hour: 0,
            to_hour: 24,
        }],
        outside: Some(outside),
    }
}

const APPROVED: (Verdict, Said) = (Verdict::Approve, Said::Approve);
const REJECTED: (Verdict, Said) = (Verdict::Reject, Said::Reject);
const ABSTAINED: (Verdict, Said) = (Verdict::Abstain, Said::Abstain);
const DEFERRED: (Verdict, Said) = (Verdict::Defer, Said::Defer);

fn variable_and_function_rows() -> Vec<(&'static str, Knobs, (Verdict, Said))> {
    let row = |name, change: &dyn Fn(&mut Knobs), expected| {
        let mut knobs = checked();
        change(&mut knobs);
        (name, knobs, expected)
    };
    let findings =
        |index: usize| move |k: &mut Knobs| k.variables.scan = vec![scan(0, Some(1), index)];
    vec![
        row(
            "every comparison holds, the function passes",
            &|_| {},
            APPROVED,
        ),
        row(
            "RELEASE_TYPE is not listed",
            &|k| k.variables.release = Release::Absent,
            REJECTED,
        ),
        row(
            "not_equals on a variable that is not listed",
            &|k| {
                k.variables.release = Release::Absent;
                k.rules[0].variables[0].op = Op::NotEquals("hotfix");
            },
            REJECTED,
        ),
        row(
            "RELEASE_TYPE has no resolved value",
            &|k| k.variables.release = Release::Unresolved,
            REJECTED,
        ),
        row(
            "RELEASE_TYPE is listed twice, once as standard",
            &|k| k.variables.release = Release::Twice(0, 0),
            REJECTED,
        ),
        row(
            "RELEASE_TYPE is Standard (equals is exact)",
            &|k| k.variables.release = Release::Listed(4),
            REJECTED,
        ),
        row("CRITICAL_FINDINGS is 3, above 0", &findings(1), REJECTED),
        row("CRITICAL_FINDINGS is -1", &findings(3), APPROVED),
        row("CRITICAL_FINDINGS is empty", &findings(5), REJECTED),
        row("CRITICAL_FINDINGS is \" 0\"", &findings(7), REJECTED),
        row("CRITICAL_FINDINGS is NaN", &findings(8), REJECTED),
        row(
            "CRITICAL_FINDINGS is an Arabic-Indic three",
            &findings(11),
            REJECTED,
        ),
        row(
            "CRITICAL_FINDINGS is not among the outputs",
            &|k| k.variables.scan[0].findings = None,
            REJECTED,
        ),
        row(
            "Test/Scan ran only in an older execution",
            &|k| {
                k.variables.scan = vec![];
                k.variables.foreign_scan = Some(Exec::E0);
            },
            REJECTED,
        ),
        row(
            "Test/Scan was retried and its last attempt succeeded",
            &|k| k.variables.scan = vec![scan(1, Some(0), 1), scan(0, Some(2), 0)],
            APPROVED,
        ),
        row(
            "Test/Scan's last attempt failed, an earlier one succeeded",
            &|k| k.variables.scan = vec![scan(0, Some(0), 0), scan(1, Some(2), 0)],
            REJECTED,
        ),
        row(
            "Test/Scan's attempts share the latest time, both succeeded",
            &|k| k.variables.scan = vec![scan(0, Some(2), 0), scan(0, Some(2), 0)],
            REJECTED,
        ),
        row(
            "one of Test/Scan's attempts has no time, both succeeded",
            &|k| k.variables.scan = vec![scan(0, None, 0), scan(0, Some(2), 0)],
            REJECTED,
        ),
        row(
            "Test/Scan's attempt names another namespace",
            &|k| k.variables.scan[0].namespace = 2,
            REJECTED,
        ),
        row(
            "Test/Scan's attempt names no namespace",
            &|k| k.variables.scan[0].namespace = 1,
            REJECTED,
        ),
        row(
            "no action declares Scan",
            &|k| k.variables.declared = 1,
            REJECTED,
        ),
        row(
            "two actions declare Scan",
            &|k| k.variables.declared = 2,
            REJECTED,
        ),
        row(
            "another action declares Scan",
            &|k| k.variables.declared = 3,
            REJECTED,
        ),
        row(
            "#{Lint.WARNINGS}: no action declares Lint",
            &|k| {
                k.rules[0].variables.push(VarSpec {
                    variable: Var::Undeclared,
                    op: Op::AtMost(5),
                });
            },
            REJECTED,
        ),
        row(
            "the function fails: the rule's on_fail",
            &|k| k.function = FnAnswer::Fail,
            REJECTED,
        ),
        row(
            "the function gives no usable answer, its on_fail defer",
            &|k| {
                k.function = FnAnswer::Unusable;
                k.rules[0].function = Some(FunctionSpec {
                    on_fail: Some(Answer::Defer),
                    timeout_seconds: Some(2),
                });
            },
            DEFERRED,
        ),
        row(
            "the function fails, its on_fail defer",
            &|k| {
                k.function = FnAnswer::Fail;
                k.rules[0].function = Some(FunctionSpec {
                    on_fail: Some(Answer::Defer),
                    timeout_seconds: None,
                });
            },
            DEFERRED,
        ),
        row(
            "the function fails, its on_fail defer, in the last half hour",
            &|k| {
                k.function = FnAnswer::Fail;
                k.rules[0].function = Some(FunctionSpec {
                    on_fail: Some(Answer::Defer),
                    timeout_seconds: None,
                });
                k.approval.timeouts.0 = Timeout::Minutes(120);
                k.approval.now = Now::BeforeExpiry(20, 0);
            },
            REJECTED,
        ),
        row(
            "a variable fails: the function's pass is not asked for and approves nothing",
            &|k| k.variables.scan = vec![scan(0, Some(1), 1)],
            REJECTED,
        ),
        row(
            "outside a deferring window: not asked, deferred (on_fail reject)",
            &|k| k.rules[0].windows = Some(closed_on_mondays(Answer::Defer)),
            DEFERRED,
        ),
        row(
            "outside a deferring window: not asked, deferred (rule abstains, function defers)",
            &|k| {
                k.rules[0].windows = Some(closed_on_mondays(Answer::Defer));
                k.rules[0].on_fail = Some(Answer::Abstain);
                k.rules[0].function = Some(FunctionSpec {
                    on_fail: Some(Answer::Defer),
                    timeout_seconds: None,
                });
            },
            DEFERRED,
        ),
        row(
            "the window was open when it started waiting and is closed now: deferred",
            &|k| {
                // Waiting from 09:30; the window is Monday 09:00 to 10:00; now 10:00.
                k.approval.since_minutes = 570;
                k.rules[0].windows = Some(WindowsSpec {
                    allow: vec![AllowSpec {
                        days: vec![0],
                        from_hour: 9,
                        to_hour: 10,
                    }],
                    outside: Some(Answer::Defer),
                });
                k.rules[0].on_fail = Some(Answer::Abstain);
                k.rules[0].function = Some(FunctionSpec {
                    on_fail: Some(Answer::Defer),
                    timeout_seconds: None,
                });
            },
            DEFERRED,
        ),
        row(
            "outside an abstaining window: not asked, left to a human",
            &|k| k.rules[0].windows = Some(closed_on_mondays(Answer::Abstain)),
            ABSTAINED,
        ),
    ]
}

#[test]
fn variables_and_the_check_function_decide_as_the_table_says() {
    let mut table = vec![format!(
        "{:<78} {:<9} {:<9} {:<9}",
        "row", "expected", "decide", "oracle"
    )];
    let mut failures = Vec::new();
    for (name, knobs, expected) in variable_and_function_rows() {
        let world = build(&knobs);
        let decided = gate(&world).map(|decision| decision.verdict);
        let said = oracle(&world).said;
        table.push(format!(
            "{name:<78} {:<9} {:<9} {:<9}",
            format!("{:?}", expected.0),
            format!("{decided:?}"),
            format!("{said:?}")
        ));
        if let Err(failure) = compare(&world) {
            failures.push(format!("{name}: {failure}"));
        } else if (decided, said) != (Some(expected.0), expected.1) {
            failures.push(format!(
                "{name}: expected {expected:?}, got {decided:?} and {said:?}; oracle: {:?}; \
                 decide: {:?}",
                oracle(&world).why,
                gate(&world).map(|decision| decision.reasons)
            ));
        }
    }
    let table = table.join("\n");
    assert!(failures.is_empty(), "{table}\n\n{}", failures.join("\n\n"));
    eprintln!("{table}");
}
