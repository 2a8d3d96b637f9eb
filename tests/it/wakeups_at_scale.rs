//! A benchmark, not a test: wake-ups at account scale. Ignored by default; `make
//! bench-wakeups` runs it and it prints a report (the figures in docs/operations.md, "Wake-ups
//! at scale: measured").
//!
//! The gate as deployed (real SDK clients, production settings, the Scheduler adapter) runs
//! against the stand-in with 5,000 covered pipelines, 350 of them with an approval waiting:
//! 300 deferred by a freeze that ends at a random minute of the day, 50 by an alarm that
//! goes back to OK at a random second of it. Time is simulated: the gate's clock is a
//! static the benchmark moves on, one second a step, over a day. Each step fires the
//! schedules the stand-in holds due (invoked after a modelled Scheduler delay) and clears
//! the alarms whose time has come (their event delivered after a modelled EventBridge
//! delay). Every invocation is real: HTTP to the stand-in, real reads and answers. An
//! approval's latency is from the moment it may pass to the simulated moment its
//! invocation began, plus the invocation's real duration.
//!
//! The backstop sweep is not run inside the simulated day (each would read 5,000 pipelines
//! over HTTP): its cost is measured apart, on a second stand-in holding the same approvals
//! deferred, with the production plan on a tenth of the time (a tenth of the read interval,
//! timeout and margin: the same reads a sweep), for a round of consecutive sweeps at the
//! 15-minute default and at 5 minutes, the default before wake-ups. The pipelines each
//! sweep read give, for every deferral of the day, when sweeps alone would have answered it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::common::*;
use approval_gate::aws::{CloudWatch, CodePipeline, Scheduler, SnsDecisionTopic, Ssm};
use approval_gate::config::WakeupSetting;
use approval_gate::handler::{Adapters, Gate, Settings};
use approval_gate::policy::Policy;
use approval_gate::report::Outcome;
use jiff::Timestamp;
use serde_json::{Value, json};
use stand_in::{Call, StandIn};

const PIPELINES: usize = 5_000;
const BY_WINDOW: usize = 300;
const BY_ALARM: usize = 50;
/// The random minutes and seconds, and the modelled delays, come from this seed.
const SEED: u64 = 20_261_126;
/// The simulated day starts here; the approvals started waiting a minute before.
const T0: &str = "2026-11-26T09:00:00Z";
const DAY: i64 = 86_400;
/// Modelled, in whole seconds, uniform: how long after a schedule's minute EventBridge
/// Scheduler invokes the function (AWS publishes no figure for it).
const SCHEDULER_DELAY: (i64, i64) = (0, 30);
/// Modelled, in whole seconds, uniform: how long after an alarm's change EventBridge
/// delivers its "Alarm State Change" event.
const EVENT_DELAY: (i64, i64) = (1, 10);
/// The target: answered within this long of the moment it may pass.
const TARGET_SECONDS: f64 = 90.0;
/// The sweep's time scale: reads, timeout and margin a tenth of production's.
const SCALE: u32 = 10;
/// CodePipeline's read operations: what "reads" counts.
const READS: [&str; 6] = [
    "GetPipelineState",
    "ListActionExecutions",
    "GetPipeline",
    "GetPipelineExecution",
    "ListPipelines",
    "ListPipelineExecutions",
];
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:approval-gate";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/approval-gate-WakeUpRole";
const GROUP: &str = "approval-gate-wake-ups";
const DECISIONS: &str = "arn:aws:sns:us-east-1:123456789012:decisions";

/// The gate's clock, in milliseconds since the epoch: the simulated time.
static NOW_MS: AtomicI64 = AtomicI64::new(0);

fn clock() -> Timestamp {
    Timestamp::from_millisecond(NOW_MS.load(Ordering::Relaxed)).unwrap()
}

fn set_now(second: i64) {
    NOW_MS.store(second * 1000, Ordering::Relaxed);
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

/// xorshift64*: a fixed sequence from [`SEED`], no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, (low, high): (i64, i64)) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A freeze that ends at `moment`.
    Window,
    /// This alarm, in ALARM, goes back to OK at `moment`.
    Alarm(String),
}

/// One approval waiting, and what became of it.
struct Approval {
    index: usize,
    pipeline: String,
    kind: Kind,
    /// When it may pass, in epoch seconds.
    moment: i64,
    /// The wake-up its deferral at the start scheduled.
    wake_up: Option<Timestamp>,
    /// When it was answered (simulated, in epoch milliseconds), and how.
    answered: Option<(i64, String)>,
}

impl Approval {
    fn latency(&self) -> Option<f64> {
        self.answered
            .as_ref()
            .map(|(ms, _)| (*ms - self.moment * 1000) as f64 / 1000.0)
    }
}

fn name(i: usize) -> String {
    format!("bench-{i:04}")
}

fn execution(i: usize) -> String {
    format!("b0000000-0000-4000-8000-{i:012}")
}

fn minute(second: i64) -> String {
    at(second).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// The 350 approvals: distinct pipelines drawn at random, their moments at random.
fn plan(rng: &mut Rng, t0: i64) -> Vec<Approval> {
    let mut indices: Vec<usize> = (0..PIPELINES).collect();
    for slot in 0..BY_WINDOW + BY_ALARM {
        let pick = slot + (rng.next() % (PIPELINES - slot) as u64) as usize;
        indices.swap(slot, pick);
    }
    indices[..BY_WINDOW + BY_ALARM]
        .iter()
        .enumerate()
        .map(|(slot, &index)| {
            let (kind, moment) = if slot < BY_WINDOW {
                (Kind::Window, t0 + rng.between((1, 1440)) * 60)
            } else {
                let alarm = format!("bench-alarm-{}", slot - BY_WINDOW);
                (Kind::Alarm(alarm), t0 + rng.between((1, DAY)))
            };
            Approval {
                index,
                pipeline: name(index),
                kind,
                moment,
                wake_up: None,
                answered: None,
            }
        })
        .collect()
}

/// A rule of its own for each approval (a freeze ending at its minute, or its alarm),
/// first; then the wildcard rule that covers the whole fleet. Every rule approves once
/// `Build/IntegrationTests` succeeded in the execution under approval.
fn policy(approvals: &[Approval], t0: i64) -> String {
    let tests = json!(["Build/IntegrationTests"]);
    let mut rules: Vec<Value> = approvals
        .iter()
        .map(|approval| {
            let mut rule = json!({
                "name": format!("deferred-{:04}", approval.index),
                "match": {"pipeline": approval.pipeline, "stage": "Approve-Prod", "action": "Manual"},
                "require_succeeded": tests,
                "on_fail": "reject",
            });
            match &approval.kind {
                Kind::Window => {
                    rule["windows"] = json!({
                        "timezone": "UTC",
                        "freeze": [{"from": minute(t0 - 3600), "to": minute(approval.moment),
                                    "reason": "benchmark freeze"}],
                        "outside": "defer",
                    });
                }
                Kind::Alarm(alarm) => {
                    rule["alarms"] = json!({"names": [alarm], "on_alarm": "defer"});
                }
            }
            rule
        })
        .collect();
    rules.push(json!({
        "name": "fleet",
        "match": {"pipeline": "bench-*"},
        "require_succeeded": tests,
        "on_fail": "reject",
    }));
    json!({ "rules": rules }).to_string()
}

/// The demo's `web-shop` as `bench-<i>`: its approval waiting since `since` in its own
/// execution, or answered long ago.
fn state(template: &Value, i: usize, waiting: bool, since: i64) -> Value {
    let mut state = template.clone();
    state["pipelineName"] = name(i).into();
    for stage in 0..3 {
        state["stageStates"][stage]["latestExecution"]["pipelineExecutionId"] = execution(i).into();
    }
    let approval = &mut state["stageStates"][2]["actionStates"][0]["latestExecution"];
    approval["actionExecutionId"] = format!("ae-manual-{i:04}").into();
    approval["lastStatusChange"] = json!(since as f64);
    if waiting {
        approval["token"] = format!("00000000-0000-4000-8000-{i:012}").into();
        approval["status"] = "InProgress".into();
    } else {
        approval.as_object_mut().unwrap().remove("token");
        approval["status"] = "Succeeded".into();
        state["stageStates"][2]["latestExecution"]["status"] = "Succeeded".into();
    }
    state
}

/// What GetPipeline answers for a bench pipeline: its actions, the approval with
/// CodePipeline's default timeout (seven days).
fn declaration(i: usize) -> Value {
    let action = |name: &str, category: &str, provider: &str| {
        json!({"name": name, "actionTypeId": {"category": category, "owner": "AWS",
                                               "provider": provider, "version": "1"}})
    };
    json!({
        "name": name(i),
        "roleArn": "arn:aws:iam::123456789012:role/bench",
        "version": 3,
        "stages": [
            {"name": "Source", "actions": [action("Source", "Source", "CodeCommit")]},
            {"name": "Build", "actions": [action("Compile", "Build", "CodeBuild"),
                                          action("IntegrationTests", "Test", "CodeBuild")]},
            {"name": "Approve-Prod", "actions": [action("Manual", "Approval", "Manual")]},
            {"name": "Deploy-Prod", "actions": [action("Deploy", "Deploy", "CodeDeploy")]},
        ],
    })
}

/// A stand-in with the fleet: 5,000 pipelines, the planned approvals waiting since a minute
/// before `t0` (their executions' actions succeeded before), their alarms in ALARM.
async fn fleet(approvals: &[Approval], t0: i64) -> StandIn {
    let stand_in = StandIn::start().await.unwrap();
    let template = demo_pipelines()[0].clone();
    let runs = shop_runs("Succeeded");
    let waiting: HashMap<usize, &Approval> = approvals.iter().map(|a| (a.index, a)).collect();
    for i in 0..PIPELINES {
        let approval = waiting.get(&i);
        stand_in.put_pipeline(state(&template, i, approval.is_some(), t0 - 60));
        let Some(approval) = approval else { continue };
        let runs = runs
            .iter()
            .map(|run| {
                let mut run = run.clone();
                run["pipelineExecutionId"] = execution(i).into();
                run["actionExecutionId"] =
                    format!("{}-{i:04}", run["actionExecutionId"].as_str().unwrap()).into();
                run
            })
            .collect();
        stand_in.put_action_executions(&name(i), runs);
        stand_in.put_declaration(declaration(i));
        if let Kind::Alarm(alarm) = &approval.kind {
            stand_in.put_alarm(json!({
                "AlarmName": alarm,
                "StateValue": "ALARM",
                "StateReason": "Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold (5.0).",
                "StateUpdatedTimestamp": (t0 - 7200) as f64,
            }));
        }
    }
    stand_in
}

type BenchGate = Gate<Adapters<CodePipeline, SnsDecisionTopic, CloudWatch, Ssm, Scheduler>>;

/// The gate as deployed, with wake-ups, on the simulated clock.
async fn gate(stand_in: &StandIn, policy: &str, settings: Settings) -> BenchGate {
    let sdk = sdk_for(stand_in).await;
    let scheduler = Scheduler::new(
        &sdk,
        WakeupSetting {
            group: GROUP.into(),
            role_arn: ROLE_ARN.into(),
        },
    );
    scheduler.invoke_as(FUNCTION_ARN);
    Gate::new(
        Policy::from_json(policy).unwrap(),
        Settings {
            region: Some("us-east-1".into()),
            ..settings
        },
        CodePipeline::new(&sdk),
        Some(SnsDecisionTopic::new(&sdk, DECISIONS.into())),
    )
    .with_conditions(CloudWatch::new(&sdk), Ssm::new(&sdk))
    .with_wakeups(scheduler)
    .with_clock(clock)
}

/// CodePipeline's "Action Execution State Change" for the approval that started waiting.
fn approval_started(approval: &Approval, t0: i64) -> Value {
    let mut event = event("approval-started");
    let i = approval.index;
    event["id"] = format!("00000000-0000-4000-8000-{i:012}").into();
    event["time"] = at(t0 - 60).to_string().into();
    event["resources"] = json!([format!(
        "arn:aws:codepipeline:us-east-1:123456789012:{}",
        approval.pipeline
    )]);
    let detail = &mut event["detail"];
    detail["pipeline"] = approval.pipeline.clone().into();
    detail["execution-id"] = execution(i).into();
    detail["action-execution-id"] = format!("ae-manual-{i:04}").into();
    detail["start-time"] = at(t0 - 60).to_string().into();
    event
}

/// CloudWatch's "Alarm State Change" to OK for `alarm`, which changed at `second`.
fn alarm_cleared(alarm: &str, second: i64) -> Value {
    let mut event = event("alarm-ok-web-prod-5xx");
    let when = at(second);
    event["time"] = when.to_string().into();
    event["resources"] = json!([format!(
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:{alarm}"
    )]);
    event["detail"]["alarmName"] = alarm.into();
    event["detail"]["state"]["timestamp"] = when
        .strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        .to_string()
        .into();
    event
}

/// What one invocation did.
struct Invoked {
    calls: Vec<Call>,
    took: Duration,
    outcomes: Vec<Outcome>,
    wake_ups: Vec<Option<Timestamp>>,
}

impl Invoked {
    fn reads(&self) -> usize {
        self.calls
            .iter()
            .filter(|call| READS.contains(&call.operation.as_str()))
            .count()
    }
}

/// Invokes the gate with `event`, as Lambda would (a 120-second deadline), and takes the
/// calls the stand-in received meanwhile.
async fn invoke(gate: &BenchGate, stand_in: &StandIn, event: &Value) -> Invoked {
    let before = stand_in.calls().len();
    let started = Instant::now();
    let deadline = SystemTime::now() + Duration::from_secs(120);
    // Boxed: the gate's future is large in a debug build.
    let response = Box::pin(gate.handle_until(event, Some(deadline)))
        .await
        .unwrap();
    let took = started.elapsed();
    Invoked {
        calls: stand_in.calls().split_off(before),
        took,
        outcomes: response.records.iter().map(|r| r.outcome).collect(),
        wake_ups: response.records.iter().map(|r| r.wake_up).collect(),
    }
}

/// The invocations of one kind, and their calls.
#[derive(Default)]
struct Tally {
    reads: Vec<usize>,
    operations: BTreeMap<String, usize>,
    outcomes: BTreeMap<String, usize>,
    took: Vec<f64>,
}

impl Tally {
    fn add(&mut self, invoked: &Invoked) {
        self.reads.push(invoked.reads());
        for call in &invoked.calls {
            *self.operations.entry(call.operation.clone()).or_default() += 1;
        }
        for outcome in &invoked.outcomes {
            *self.outcomes.entry(format!("{outcome:?}")).or_default() += 1;
        }
        self.took.push(invoked.took.as_secs_f64());
    }

    fn total(&self) -> usize {
        self.reads.iter().sum()
    }

    fn line(&self, what: &str) -> String {
        let count = self.reads.len();
        let max = self.reads.iter().max().copied().unwrap_or(0);
        let mean = self.total() as f64 / count.max(1) as f64;
        let operations: Vec<String> = self
            .operations
            .iter()
            .map(|(operation, n)| format!("{operation} {n}"))
            .collect();
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|(outcome, n)| format!("{outcome} {n}"))
            .collect();
        let mut took = self.took.clone();
        took.sort_by(f64::total_cmp);
        format!(
            "{what}: {count} invocation(s); CodePipeline reads {} in all, per invocation max {max}, \
             mean {mean:.2}; real time per invocation p50 {:.0} ms, max {:.0} ms\n    outcomes: {}\n    \
             calls: {}",
            self.total(),
            percentile(&took, 50.0) * 1000.0,
            took.last().copied().unwrap_or(0.0) * 1000.0,
            outcomes.join(", "),
            operations.join(", "),
        )
    }
}

/// Nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn latencies(values: impl Iterator<Item = f64>) -> String {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    let within = values.iter().filter(|v| **v <= TARGET_SECONDS).count();
    format!(
        "{} answered; latency p50 {:.1} s, p99 {:.1} s, max {:.1} s; within {TARGET_SECONDS:.0} s: {within}",
        values.len(),
        percentile(&values, 50.0),
        percentile(&values, 99.0),
        values.last().copied().unwrap_or(f64::NAN),
    )
}

/// What one sweep read.
struct SweepReads {
    /// CodePipeline reads, of which `states` GetPipelineState.
    reads: usize,
    states: usize,
    /// Pipelines left for the next sweeps of the round.
    left: usize,
}

/// A round of scheduled sweeps, as measured.
struct Round {
    period_minutes: i64,
    sweeps: Vec<SweepReads>,
    /// Sweeps in a round.
    round: usize,
    /// The pipelines each sweep of the round read, in order, by its place in the round.
    read: HashMap<usize, Vec<String>>,
    operations: BTreeMap<String, usize>,
}

impl Round {
    fn reads_per_sweep(&self) -> f64 {
        self.sweeps.iter().map(|s| s.reads).sum::<usize>() as f64 / self.sweeps.len() as f64
    }

    fn sweeps_per_hour(&self) -> f64 {
        60.0 / self.period_minutes as f64
    }

    /// When sweeps alone would have answered a deferral that may pass at `moment`: the
    /// first sweep at or after it that reads the pipeline (the rotation repeats every round),
    /// at the production pace of one read each 100 ms from the sweep's start. Seconds.
    fn latency(&self, pipeline: &str, moment: i64) -> Option<f64> {
        let period = self.period_minutes * 60;
        let first = moment.div_euclid(period) + i64::from(moment.rem_euclid(period) != 0);
        (first..first + 3 * self.round as i64).find_map(|number| {
            let place = number.rem_euclid(self.round as i64) as usize;
            let position = self.read.get(&place)?.iter().position(|p| p == pipeline)?;
            Some((number * period - moment) as f64 + position as f64 * 0.1)
        })
    }
}

/// A round of consecutive scheduled sweeps over the fleet, on a tenth of production's time,
/// with the gate's clock held at `t0` (nothing may pass: each sweep reads and defers).
async fn sweep_round(stand_in: &StandIn, policy: &str, t0: i64, period_minutes: i64) -> Round {
    set_now(t0);
    let gate = gate(
        stand_in,
        policy,
        Settings {
            sweep_read_interval: Duration::from_millis(100) / SCALE,
            sweep_margin: Duration::from_secs(20) / SCALE,
            sweep_every: Duration::from_secs(period_minutes as u64 * 60),
            ..Settings::default()
        },
    )
    .await;
    let mut round = Round {
        period_minutes,
        sweeps: Vec::new(),
        round: 0,
        read: HashMap::new(),
        operations: BTreeMap::new(),
    };
    let mut sweep = 0;
    while sweep == 0 || sweep < round.round {
        let time = t0 + sweep as i64 * period_minutes * 60;
        let mut scheduled = event("scheduled-sweep");
        scheduled["time"] = at(time).to_string().into();
        let before = stand_in.calls().len();
        let started = Instant::now();
        let deadline = SystemTime::now() + Duration::from_secs(120) / SCALE;
        let response = Box::pin(gate.handle_until(&scheduled, Some(deadline)))
            .await
            .unwrap();
        let took = started.elapsed().as_secs_f64() * f64::from(SCALE);
        assert!(SystemTime::now() < deadline, "sweep {sweep} overran");
        let summary = response.sweep.unwrap();
        assert_eq!(summary.answered, 0, "nothing may pass at t0: {summary:?}");
        let calls = stand_in.calls().split_off(before);
        for call in &calls {
            *round.operations.entry(call.operation.clone()).or_default() += 1;
        }
        let states: Vec<String> = calls
            .iter()
            .filter(|call| call.operation == "GetPipelineState")
            .map(|call| call.body["name"].as_str().unwrap().to_owned())
            .collect();
        let reads = calls
            .iter()
            .filter(|call| READS.contains(&call.operation.as_str()))
            .count();
        let number = time / (period_minutes * 60);
        round.round = summary.round;
        println!(
            "  sweep {number} (every {period_minutes} min): {took:.1} s scaled up, covered {}, left {}, \
             start {}, round {}, pending {}, throttled {}, CodePipeline reads {reads} \
             (GetPipelineState {})",
            summary.covered,
            summary.left,
            summary.start,
            summary.round,
            summary.pending,
            summary.throttled,
            states.len(),
        );
        round.sweeps.push(SweepReads {
            reads,
            states: states.len(),
            left: summary.left,
        });
        round
            .read
            .insert(number.rem_euclid(summary.round as i64) as usize, states);
        sweep += 1;
    }
    round
}

fn sweep_lines(round: &Round) -> String {
    let reads: Vec<usize> = round.sweeps.iter().map(|s| s.reads).collect();
    let states: Vec<usize> = round.sweeps.iter().map(|s| s.states).collect();
    let left: Vec<usize> = round.sweeps.iter().map(|s| s.left).collect();
    let operations: Vec<String> = round
        .operations
        .iter()
        .map(|(operation, n)| format!("{operation} {n}"))
        .collect();
    format!(
        "every {} min: {} sweeps (a round is {}); CodePipeline reads per sweep {}–{} (mean {:.0}; \
         GetPipelineState {}–{}), pipelines left per sweep {}–{}; per hour ({:.0} sweeps) {:.0}\n    \
         calls in the round: {}",
        round.period_minutes,
        round.sweeps.len(),
        round.round,
        reads.iter().min().unwrap(),
        reads.iter().max().unwrap(),
        round.reads_per_sweep(),
        states.iter().min().unwrap(),
        states.iter().max().unwrap(),
        left.iter().min().unwrap(),
        left.iter().max().unwrap(),
        round.sweeps_per_hour(),
        round.reads_per_sweep() * round.sweeps_per_hour(),
        operations.join(", "),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark, minutes long: make bench-wakeups"]
async fn measure_wakeups_over_a_simulated_day() {
    let real_start = Instant::now();
    let t0 = T0.parse::<Timestamp>().unwrap().as_second();
    let mut rng = Rng(SEED);
    let mut approvals = plan(&mut rng, t0);
    let policy = policy(&approvals, t0);
    let by_pipeline: HashMap<String, usize> = approvals
        .iter()
        .enumerate()
        .map(|(slot, approval)| (approval.pipeline.clone(), slot))
        .collect();
    let stand_in = fleet(&approvals, t0).await;
    set_now(t0);
    let gate = gate(&stand_in, &policy, Settings::default()).await;
    let settings = gate.settings();
    println!(
        "wake-ups at scale: {PIPELINES} pipelines, {BY_WINDOW} approvals deferred by a freeze \
         ending at a random minute, {BY_ALARM} by an alarm clearing at a random second, over \
         the day from {T0}; seed {SEED}; gate settings: sweep every {} min, {} ms between sweep \
         reads, {} s margin, token wait {} s",
        settings.sweep_every.as_secs() / 60,
        settings.sweep_read_interval.as_millis(),
        settings.sweep_margin.as_secs(),
        settings.token_wait.as_secs(),
    );

    // t0: each approval is announced by CodePipeline's event and deferred.
    let mut announced = Tally::default();
    for approval in &mut approvals {
        let invoked = invoke(&gate, &stand_in, &approval_started(approval, t0)).await;
        assert_eq!(invoked.outcomes, [Outcome::Defer], "{}", approval.pipeline);
        approval.wake_up = invoked.wake_ups[0];
        announced.add(&invoked);
    }
    let scheduled = stand_in.schedules().len();
    assert_eq!(scheduled, BY_WINDOW + BY_ALARM, "one wake-up a deferral");
    let rounding: Vec<i64> = approvals
        .iter()
        .filter(|a| a.kind == Kind::Window)
        .map(|a| a.wake_up.expect("a wake-up at the opening").as_second() - a.moment)
        .collect();
    let expiry_wake_ups = approvals
        .iter()
        .filter(|a| matches!(a.kind, Kind::Alarm(_)))
        .filter(|a| a.wake_up.is_some_and(|w| w.as_second() > t0 + 6 * DAY))
        .count();

    // The day, one simulated second a step.
    enum Delivery {
        WakeUp(Value),
        Alarm(usize),
    }
    let mut queue: BTreeMap<(i64, usize), Delivery> = BTreeMap::new();
    let mut sequence = 0;
    let mut alarms: Vec<usize> = (0..approvals.len())
        .filter(|slot| matches!(approvals[*slot].kind, Kind::Alarm(_)))
        .collect();
    alarms.sort_by_key(|slot| approvals[*slot].moment);
    let mut next_alarm = 0;
    let (mut woken, mut cleared) = (Tally::default(), Tally::default());
    let day_start = Instant::now();
    for second in t0 + 1..=t0 + DAY + 900 {
        for due in stand_in.take_due_schedules(second as f64) {
            let input: Value = serde_json::from_str(&due.input).unwrap();
            let delivered = second + rng.between(SCHEDULER_DELAY);
            queue.insert((delivered, sequence), Delivery::WakeUp(input));
            sequence += 1;
        }
        while let Some(&slot) = alarms.get(next_alarm)
            && approvals[slot].moment <= second
        {
            let Kind::Alarm(alarm) = &approvals[slot].kind else {
                unreachable!()
            };
            stand_in.put_alarm(json!({
                "AlarmName": alarm,
                "StateValue": "OK",
                "StateReason": "Threshold Crossed: 1 out of the last 1 datapoints was not greater than the threshold (5.0).",
                "StateUpdatedTimestamp": approvals[slot].moment as f64,
            }));
            let delivered = approvals[slot].moment + rng.between(EVENT_DELAY);
            queue.insert((delivered, sequence), Delivery::Alarm(slot));
            sequence += 1;
            next_alarm += 1;
        }
        while let Some(entry) = queue.first_entry()
            && entry.key().0 <= second
        {
            let delivery = entry.remove();
            set_now(second);
            let (invoked, tally) = match delivery {
                Delivery::WakeUp(input) => (invoke(&gate, &stand_in, &input).await, &mut woken),
                Delivery::Alarm(slot) => {
                    let Kind::Alarm(alarm) = &approvals[slot].kind else {
                        unreachable!()
                    };
                    let event = alarm_cleared(alarm, approvals[slot].moment);
                    (invoke(&gate, &stand_in, &event).await, &mut cleared)
                }
            };
            tally.add(&invoked);
            let answered_ms = second * 1000 + invoked.took.as_millis() as i64;
            for call in invoked.calls.iter().filter(|call| call.accepted) {
                let pipeline = call.body["pipelineName"].as_str().unwrap();
                let status = call.body["result"]["status"].as_str().unwrap().to_owned();
                let approval = &mut approvals[by_pipeline[pipeline]];
                assert!(approval.answered.is_none(), "{pipeline} answered twice");
                approval.answered = Some((answered_ms, status));
            }
        }
    }
    let day_took = day_start.elapsed();

    // What the day left in the schedule group: the alarm deferrals' wake-ups at the start
    // of their last half hour, for approvals answered since. Fired when due.
    let left = stand_in.schedules().len();
    let mut leftover = Tally::default();
    for due in stand_in.take_due_schedules((t0 + 8 * DAY) as f64) {
        set_now(due.at as i64 + rng.between(SCHEDULER_DELAY));
        let input: Value = serde_json::from_str(&due.input).unwrap();
        leftover.add(&invoke(&gate, &stand_in, &input).await);
    }

    // The backstop sweep, on a second stand-in holding the same 350 approvals deferred.
    println!("\nthe backstop sweep, production plan on a tenth of the time:");
    let swept = fleet(&approvals, t0).await;
    let every_15 = sweep_round(&swept, &policy, t0, 15).await;
    let every_5 = sweep_round(&swept, &policy, t0, 5).await;

    // The report.
    let unanswered: Vec<&str> = approvals
        .iter()
        .filter(|a| a.answered.is_none())
        .map(|a| a.pipeline.as_str())
        .collect();
    let not_approved = approvals
        .iter()
        .filter(|a| a.answered.as_ref().is_some_and(|(_, s)| s != "Approved"))
        .count();
    println!("\n==== report ====");
    println!(
        "simulated: the gate's clock (one-second steps over the day and 15 minutes more), \
         Scheduler's invocation \
         {}–{} s after a schedule's minute and EventBridge's alarm event {}–{} s after the \
         change (modelled, uniform, seeded); real: every invocation, through the AWS SDK over \
         HTTP to the stand-in, its reads and answers, and its duration (added to the simulated \
         answer time)",
        SCHEDULER_DELAY.0, SCHEDULER_DELAY.1, EVENT_DELAY.0, EVENT_DELAY.1,
    );
    println!(
        "at t0: {} approvals announced and deferred; {scheduled} wake-ups scheduled \
         ({BY_WINDOW} at the freeze's end, the wake-up's minute after the opening by {}; \
         {expiry_wake_ups} alarm deferrals' at the start of their last half hour, 6.5 days on)",
        approvals.len(),
        match (
            rounding.iter().min().unwrap(),
            rounding.iter().max().unwrap()
        ) {
            (low, high) if low == high => format!("{low} s for each"),
            (low, high) => format!("{low} to {high} s"),
        },
    );
    println!("  {}", announced.line("announcements"));
    println!(
        "\nanswered: {} of {} ({not_approved} not Approved; PutApprovalResult calls in all: {}){}",
        approvals.len() - unanswered.len(),
        approvals.len(),
        [&announced, &woken, &cleared, &leftover]
            .iter()
            .filter_map(|tally| tally.operations.get("PutApprovalResult"))
            .sum::<usize>(),
        if unanswered.is_empty() {
            String::new()
        } else {
            format!("; NOT answered: {unanswered:?}")
        }
    );
    println!(
        "  all:     {}",
        latencies(approvals.iter().filter_map(Approval::latency))
    );
    println!(
        "  windows: {}",
        latencies(
            approvals
                .iter()
                .filter(|a| a.kind == Kind::Window)
                .filter_map(Approval::latency)
        )
    );
    println!(
        "  alarms:  {}",
        latencies(
            approvals
                .iter()
                .filter(|a| a.kind != Kind::Window)
                .filter_map(Approval::latency)
        )
    );
    println!("  {}", woken.line("wake-ups"));
    println!("  {}", cleared.line("alarm events"));
    println!(
        "  {}",
        leftover.line(&format!(
            "wake-ups left in the group after the day ({left}), fired when due"
        ))
    );
    let event_driven = woken.total() + cleared.total();
    println!(
        "event-driven CodePipeline reads over the day (wake-ups and alarm events): {event_driven}, \
         {:.1} an hour; with the announcements ({}) and the leftover wake-ups ({}): {}, {:.1} an hour",
        event_driven as f64 / 24.0,
        announced.total(),
        leftover.total(),
        event_driven + announced.total() + leftover.total(),
        (event_driven + announced.total() + leftover.total()) as f64 / 24.0,
    );

    println!(
        "\nthe backstop sweep ({PIPELINES} pipelines, {} approvals waiting, deferred):",
        approvals.len()
    );
    println!("  {}", sweep_lines(&every_15));
    println!("  {}", sweep_lines(&every_5));
    let sweeps_alone = |round: &Round| {
        let mut missed = 0;
        let values: Vec<f64> = approvals
            .iter()
            .filter(|a| a.kind == Kind::Window)
            .filter_map(|a| {
                let latency = round.latency(&a.pipeline, a.moment);
                missed += usize::from(latency.is_none());
                latency
            })
            .collect();
        format!(
            "every {} min: {}{}",
            round.period_minutes,
            latencies(values.into_iter()),
            if missed > 0 {
                format!("; {missed} never read in three rounds")
            } else {
                String::new()
            }
        )
    };
    println!(
        "the {BY_WINDOW} window deferrals answered by sweeps alone (no wake-ups; from the pipelines \
         each measured sweep read, its round repeating):"
    );
    println!("  {}", sweeps_alone(&every_5));
    println!("  {}", sweeps_alone(&every_15));
    // The wake-ups left after the day are the same day's approvals, read days later: a
    // day like this one every day reads that many a day. The announcements and the alarm
    // events came before wake-ups too, and are counted apart.
    let woken_per_hour = (woken.total() + leftover.total()) as f64 / 24.0;
    let sweeps_now = every_15.reads_per_sweep() * every_15.sweeps_per_hour();
    let sweeps_before = every_5.reads_per_sweep() * every_5.sweeps_per_hour();
    println!(
        "\nCodePipeline reads an hour, the announcements ({:.1}) and alarm events ({:.1}) aside: \
         with wake-ups, 15-minute sweeps {sweeps_now:.0} + wake-ups and the leftover ones \
         {woken_per_hour:.1} = {:.0}; before wake-ups, 5-minute sweeps {sweeps_before:.0}",
        announced.total() as f64 / 24.0,
        cleared.total() as f64 / 24.0,
        sweeps_now + woken_per_hour,
    );
    println!(
        "real time: the day {:.1} s, the whole benchmark {:.1} s",
        day_took.as_secs_f64(),
        real_start.elapsed().as_secs_f64()
    );

    assert!(unanswered.is_empty(), "unanswered: {unanswered:?}");
}
