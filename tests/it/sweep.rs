//! The scheduled sweep end to end: the real SDK against the stand-in, with several
//! pipelines, some waiting, some not, some no rule covers, one throttled; and at account
//! scale, thousands of pipelines through the fake, on tokio's paused clock.

use std::time::{Duration, SystemTime};

use crate::common::*;
use approval_gate::aws::{CodePipeline, SnsDecisionTopic};
use approval_gate::handler::{Adapters, Gate, Settings, SweepSummary};
use approval_gate::pipeline::{ActionStatus, ReadError};
use approval_gate::policy::Policy;
use approval_gate::report::Outcome;
use serde_json::{Value, json};
use stand_in::{Fault, StandIn};

fn scheduled_event() -> Value {
    event("scheduled-sweep")
}

/// The demo's `web-shop` pipeline (tests passed, approval waiting) under another name,
/// with its own token; `tests` and `waiting` vary it.
fn pipeline(name: &str, token: &str, tests: &str, waiting: bool) -> Value {
    let mut state = demo_pipelines()[0].clone();
    state["pipelineName"] = name.into();
    state["stageStates"][1]["actionStates"][1]["latestExecution"]["status"] = tests.into();
    let approval = &mut state["stageStates"][2]["actionStates"][0]["latestExecution"];
    approval["token"] = token.into();
    approval["lastStatusChange"] = json!(jiff::Timestamp::now().as_second() - 3600);
    if !waiting {
        approval["status"] = "Succeeded".into();
        approval.as_object_mut().unwrap().remove("token");
    }
    state
}

async fn gate(
    stand_in: &StandIn,
    policy: &str,
    dry_run: bool,
) -> Gate<Adapters<CodePipeline, SnsDecisionTopic>> {
    let sdk = sdk_for(stand_in).await;
    Gate::new(
        Policy::from_json(policy).unwrap(),
        Settings {
            dry_run,
            sweep_read_interval: Duration::from_millis(5),
            region: Some("us-east-1".into()),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        Some(SnsDecisionTopic::new(
            &sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    )
}

async fn fleet() -> StandIn {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.set_list_page_size(2);
    for (name, tests) in [
        ("web-shop", "Succeeded"),
        ("web-api", "Failed"),
        ("web-idle", "Succeeded"),
        ("web-busy", "Succeeded"),
        ("data-etl", "Succeeded"),
    ] {
        stand_in.put_action_executions(name, shop_runs(tests));
    }
    stand_in.put_pipeline(pipeline(
        "web-shop",
        "00000000-0000-4000-8000-000000000001",
        "Succeeded",
        true,
    ));
    stand_in.put_pipeline(pipeline(
        "web-api",
        "00000000-0000-4000-8000-000000000002",
        "Failed",
        true,
    ));
    stand_in.put_pipeline(pipeline(
        "web-idle",
        "00000000-0000-4000-8000-000000000003",
        "Succeeded",
        false,
    ));
    stand_in.put_pipeline(pipeline(
        "web-busy",
        "00000000-0000-4000-8000-000000000004",
        "Succeeded",
        true,
    ));
    stand_in.put_pipeline(pipeline(
        "data-etl",
        "00000000-0000-4000-8000-000000000005",
        "Succeeded",
        true,
    ));
    stand_in
}

#[tokio::test]
async fn decides_every_waiting_approval_a_rule_covers_and_nothing_else() {
    let stand_in = fleet().await;
    stand_in.inject_for(
        "GetPipelineState",
        "web-busy",
        Fault::error(400, "ThrottlingException"),
        10,
    );
    let gate = gate(&stand_in, &demo_policy(), false).await;

    let response = gate.handle(&scheduled_event()).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!(
        (summary.pipelines, summary.pending, summary.answered),
        (4, 2, 2),
        "web-shop, web-api, web-idle and web-busy are covered; data-etl is not"
    );
    assert_eq!(summary.failures.len(), 1);
    assert!(
        summary.failures[0].starts_with("web-busy: "),
        "{:?}",
        summary.failures
    );
    let mut answered: Vec<(String, String)> = stand_in
        .accepted_answers()
        .iter()
        .map(|call| {
            (
                call.body["pipelineName"].as_str().unwrap().to_owned(),
                call.body["result"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    answered.sort();
    assert_eq!(
        answered,
        vec![
            ("web-api".into(), "Rejected".into()),
            ("web-shop".into(), "Approved".into())
        ]
    );
    let outcomes: Vec<Outcome> = response.records.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes.len(), 2);
    let published = stand_in.calls_to("Publish");
    assert_eq!(published.len(), 2, "one notice per answer");
    for call in &published {
        let message = call.body["Message"].as_str().unwrap();
        assert!(
            message.contains(
                "Review: https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-"
            ),
            "the sweep's notice links the console: {message}"
        );
    }
    assert!(
        stand_in.calls_to("ListPipelines").len() >= 3,
        "every page was read"
    );
    let read: Vec<String> = stand_in
        .calls_to("GetPipelineState")
        .iter()
        .map(|call| call.body["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !read.contains(&"data-etl".to_string()),
        "uncovered pipelines are not read"
    );
}

#[tokio::test]
async fn a_second_sweep_finds_nothing_left_and_tells_nobody() {
    let stand_in = fleet().await;
    let gate = gate(&stand_in, &demo_policy(), false).await;
    gate.handle(&scheduled_event()).await.unwrap();
    let published = stand_in.calls_to("Publish").len();

    let response = gate.handle(&scheduled_event()).await.unwrap();

    assert_eq!(
        response.sweep.unwrap(),
        SweepSummary {
            pipelines: 4,
            covered: 4,
            left: 0,
            start: 0,
            round: 1,
            pacing_ms: 5,
            throttled: 0,
            pending: 0,
            answered: 0,
            failures: vec![],
            isolated: 0,
        }
    );
    assert_eq!(stand_in.calls_to("Publish").len(), published);
    assert_eq!(
        stand_in.accepted_answers().len(),
        3,
        "web-shop, web-api, web-busy once each"
    );
}

#[tokio::test]
async fn approvals_the_rule_leaves_to_humans_stay_waiting_silently() {
    let stand_in = fleet().await;
    let policy = r#"{"rules":[{"name":"tests","match":{"pipeline":"web-*"},
        "require_succeeded":["Build/IntegrationTests"]}]}"#;
    let gate = gate(&stand_in, policy, false).await;

    let response = gate.handle(&scheduled_event()).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!((summary.pending, summary.answered), (3, 2));
    let state = stand_in.pipeline("web-api").unwrap();
    assert_eq!(
        state["stageStates"][2]["actionStates"][0]["latestExecution"]["status"], "InProgress",
        "the failed-tests approval is left for a human"
    );
    assert_eq!(stand_in.calls_to("Publish").len(), 2);
}

#[tokio::test]
async fn a_few_exact_pipeline_names_need_no_listing() {
    let stand_in = fleet().await;
    let policy = r#"{"rules":[{"name":"shop","match":{"pipeline":"web-shop"}},
                              {"name":"gone","match":{"pipeline":"no-such-pipeline"}}]}"#;
    let gate = gate(&stand_in, policy, false).await;

    let response = gate.handle(&scheduled_event()).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!((summary.pipelines, summary.answered), (2, 1));
    assert!(
        summary.failures.is_empty(),
        "a pipeline that does not exist is skipped"
    );
    // A few exact names: each pipeline that exists is asked its execution mode, and the
    // account's pipelines are not listed.
    assert!(stand_in.calls_to("ListPipelines").is_empty());
    assert_eq!(stand_in.calls_to("GetPipeline").len(), 1);
    let read: Vec<String> = stand_in
        .calls_to("GetPipelineState")
        .iter()
        .map(|call| call.body["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(read, ["no-such-pipeline", "web-shop"]);
}

#[tokio::test]
async fn dry_run_sweep_answers_nothing_and_tells_nobody() {
    let stand_in = fleet().await;
    let gate = gate(&stand_in, &demo_policy(), true).await;

    let response = gate.handle(&scheduled_event()).await.unwrap();

    assert_eq!(response.sweep.unwrap().pending, 3);
    assert!(stand_in.calls_to("PutApprovalResult").is_empty());
    assert!(stand_in.calls_to("Publish").is_empty());
}

#[tokio::test]
async fn a_failing_listing_is_reported_and_left_to_the_next_sweep() {
    let stand_in = fleet().await;
    stand_in.inject_times("ListPipelines", Fault::error(500, "InternalFailure"), 10);
    let policy = r#"{"rules":[{"name":"shop","match":{"pipeline":"web-shop"}},{"name":"web","match":{"pipeline":"web-*"}}]}"#;
    let gate = gate(&stand_in, policy, false).await;

    let response = gate.handle(&scheduled_event()).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!(summary.failures.len(), 1);
    assert!(
        summary.failures[0].starts_with("ListPipelines: "),
        "{:?}",
        summary.failures
    );
    assert_eq!(
        (summary.pipelines, summary.answered),
        (1, 1),
        "the exact name is still swept"
    );
    let answered: Vec<_> = stand_in
        .accepted_answers()
        .iter()
        .map(|c| c.body["pipelineName"].clone())
        .collect();
    assert_eq!(answered, vec!["web-shop"]);
}

#[tokio::test]
async fn a_hundred_pipelines_are_swept_without_tripping_throttling() {
    let stand_in = StandIn::start().await.unwrap();
    for i in 0..100 {
        let token = format!("00000000-0000-4000-8000-{i:012}");
        stand_in.put_pipeline(pipeline(&format!("web-{i:03}"), &token, "Succeeded", true));
    }
    let gate = gate(&stand_in, &demo_policy(), false).await;
    let started = std::time::Instant::now();

    let response = gate.handle(&scheduled_event()).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!((summary.pipelines, summary.answered), (100, 100));
    assert!(summary.failures.is_empty());
    // Reads are paced: 100 reads at one per 5 ms take at least half a second.
    assert!(
        started.elapsed() >= Duration::from_millis(495),
        "{:?}",
        started.elapsed()
    );
}

/// A deadline already past when the sweep starts (as local emulators send it) says
/// nothing about the time left: the sweep reads every pipeline, as without a deadline.
#[tokio::test]
async fn a_deadline_already_past_is_read_as_none() {
    let stand_in = StandIn::start().await.unwrap();
    for i in 0..20 {
        let token = format!("00000000-0000-4000-8000-{i:012}");
        stand_in.put_pipeline(pipeline(&format!("web-{i:03}"), &token, "Succeeded", true));
    }
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings {
            sweep_read_interval: Duration::from_millis(1),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        None::<SnsDecisionTopic>,
    );

    let response = gate
        .handle_until(&scheduled_at(2), Some(SystemTime::now()))
        .await
        .unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!((summary.covered, summary.left), (20, 0), "{summary:?}");
    assert_eq!(summary.answered, 20);
}

/// A sweep cut short by its deadline: the real SDK against the stand-in, in real time.
#[tokio::test]
async fn a_sweep_stops_starting_reads_a_margin_before_its_deadline() {
    let stand_in = StandIn::start().await.unwrap();
    for i in 0..300 {
        let token = format!("00000000-0000-4000-8000-{i:012}");
        stand_in.put_pipeline(pipeline(&format!("web-{i:03}"), &token, "Succeeded", true));
    }
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings {
            sweep_read_interval: Duration::from_millis(20),
            sweep_margin: Duration::from_secs(1),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        None::<SnsDecisionTopic>,
    );
    let deadline = SystemTime::now() + Duration::from_secs(3);

    let response = gate
        .handle_until(&scheduled_at(2), Some(deadline))
        .await
        .unwrap();

    let finished = SystemTime::now();
    let summary = response.sweep.unwrap();
    assert!(finished < deadline, "finished before the deadline");
    // Two seconds of reads at one per 20 ms: about a hundred, never all 300.
    assert!((10..=101).contains(&summary.covered), "{summary:?}");
    assert_eq!(summary.covered + summary.left, 300);
    assert_eq!(stand_in.calls_to("GetPipelineState").len(), summary.covered);
    // Every pipeline read was decided as a full sweep decides it: answered.
    assert_eq!(stand_in.accepted_answers().len(), summary.covered);
    assert_eq!(summary.answered, summary.covered);
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    // A plan of 50 a sweep (half of what the pace allows) cuts 300 into 6 segments.
    assert_eq!(summary.round, 6);
    // The sweep at 08:30 is number 1,995,202 (its time over the 15-minute period), the
    // fifth of its round (mod 6 = 4): it starts at the fifth segment, and reads the
    // pipelines from there in order.
    assert_eq!(summary.start, 200);
    let mut read: Vec<String> = stand_in
        .calls_to("GetPipelineState")
        .iter()
        .map(|call| call.body["name"].as_str().unwrap().to_owned())
        .collect();
    read.sort();
    let expected: Vec<String> = (200..200 + summary.covered)
        .map(|i| format!("web-{i:03}"))
        .collect();
    assert_eq!(read, expected);
}

// ---- at account scale, through the fake, on tokio's paused clock ----

const FLEET: usize = 3000;

/// A sweep `sweeps` periods after the first one.
fn scheduled_at(sweeps: i64) -> Value {
    let mut event = scheduled_event();
    let period = jiff::SignedDuration::try_from(Settings::default().sweep_every).unwrap();
    let time = "2026-11-26T08:00:00Z".parse::<jiff::Timestamp>().unwrap()
        + period * i32::try_from(sweeps).unwrap();
    event["time"] = time.to_string().into();
    event
}

/// `web-0000`, `web-0001`, …, each with an approval the demo policy approves waiting.
fn fleet_of_fakes(count: usize) -> FakePipelines {
    let pipelines = FakePipelines::default();
    for i in 0..count {
        let (name, state) = fake(i);
        pipelines.queue_state(&name, Ok(state));
    }
    pipelines
}

fn fake(i: usize) -> (String, approval_gate::pipeline::PipelineSnapshot) {
    let name = format!("web-{i:04}");
    let token = format!("00000000-0000-4000-8000-{i:012}");
    let state = waiting(
        &name,
        "Approve-Prod",
        "Manual",
        &token,
        ActionStatus::Succeeded,
    );
    (name, state)
}

/// The gate as deployed: 10 reads a second, a 20-second margin, the demo policy (which
/// approves every one of these), at a fixed moment after the approvals started waiting.
pub(crate) fn deployed_gate(
    pipelines: &FakePipelines,
) -> Gate<Adapters<&FakePipelines, &'static FakeTopic>> {
    Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings::default(),
        pipelines,
        None,
    )
    .with_clock(|| "2026-11-26T08:00:00Z".parse().unwrap())
}

#[tokio::test(start_paused = true)]
async fn at_account_scale_each_sweep_ends_in_time_and_a_round_reads_every_pipeline() {
    let pipelines = fleet_of_fakes(FLEET);
    let gate = deployed_gate(&pipelines);
    let mut unread: std::collections::BTreeSet<String> =
        (0..FLEET).map(|i| format!("web-{i:04}")).collect();
    let mut round = None;

    // Any round of consecutive sweeps will do: start at the 7th.
    for sweep in 7..7 + 6 {
        // Lambda's 120 s timeout; the fake answers at once, so only the pace takes time.
        let deadline = SystemTime::now() + Duration::from_secs(120);
        let started = tokio::time::Instant::now();
        let reads_before = pipelines.read_count();

        let response = gate
            .handle_until(&scheduled_at(sweep), Some(deadline))
            .await
            .unwrap();

        let took = started.elapsed();
        let summary = response.sweep.unwrap();
        assert!(
            took < Duration::from_secs(100),
            "sweep {sweep} started no read in the last 20 s: it took {took:?}"
        );
        assert!(took > Duration::from_secs(90), "{took:?}: it used its time");
        assert_eq!(summary.covered + summary.left, FLEET);
        assert!(
            (500..=1000).contains(&summary.covered),
            "at least its share, at most what the pace allows: {summary:?}"
        );
        assert_eq!(summary.answered, summary.covered);
        round.get_or_insert(summary.round);
        assert_eq!(summary.round, 6, "3,000 pipelines at 500 a sweep");
        for name in &pipelines.reads.lock().unwrap()[reads_before..] {
            unread.remove(name);
        }
    }

    assert!(
        unread.is_empty(),
        "{} pipelines unread after a round of {round:?} sweeps, e.g. {:?}",
        unread.len(),
        unread.first()
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_deadline_a_sweep_reads_everything_as_before() {
    let pipelines = fleet_of_fakes(FLEET);
    let gate = deployed_gate(&pipelines);

    let response = gate.handle(&scheduled_at(3)).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!(
        (summary.covered, summary.left, summary.start, summary.round),
        (FLEET, 0, 0, 1)
    );
    assert_eq!(pipelines.read_count(), FLEET);
}

#[tokio::test(start_paused = true)]
async fn throttled_reads_slow_the_sweep_and_are_counted() {
    let pipelines = FakePipelines::default();
    for i in 0..100 {
        let (name, state) = fake(i);
        if i % 10 == 0 {
            // Throttled once, then readable: the fake keeps the last state.
            let throttled = ReadError::Throttled("ThrottlingException".into());
            pipelines.queue_state(&name, Err(throttled));
        }
        pipelines.queue_state(&name, Ok(state));
    }
    let gate = deployed_gate(&pipelines);
    let started = tokio::time::Instant::now();

    let response = gate.handle(&scheduled_at(0)).await.unwrap();

    let summary = response.sweep.unwrap();
    assert_eq!(summary.throttled, 10);
    assert_eq!(summary.failures.len(), 10, "{:?}", summary.failures);
    assert_eq!(summary.answered, 90);
    // 100 reads at the base pace take 9.9 s; each throttle doubled the interval.
    assert!(
        started.elapsed() > Duration::from_secs(11),
        "{:?}",
        started.elapsed()
    );

    // The next sweep reads them, at the base pace again.
    let response = gate.handle(&scheduled_at(1)).await.unwrap();
    let summary = response.sweep.unwrap();
    assert_eq!((summary.throttled, summary.answered), (0, 100));
    assert_eq!(summary.pacing_ms, 100);
}

/// The figures in docs/operations.md: the sweep as deployed (10 reads a second, 120 s
/// timeout, 20 s margin), every pipeline with an approval waiting, against the stand-in
/// through the real SDK, with time scaled down by `SWEEP_SCALE` (the rate times it, the
/// timeout and margin over it: the same plan and reads a sweep, in less time). Prints each
/// sweep and how many it took to read every pipeline. `SWEEP_PIPELINES` sets the fleet.
///
/// `SWEEP_PIPELINES=5000 SWEEP_SCALE=10 cargo test --test sweep measure -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, minutes long"]
async fn measure_sweeps_until_every_pipeline_is_read() {
    let count: usize = std::env::var("SWEEP_PIPELINES").map_or(1000, |n| n.parse().unwrap());
    let scale: u32 = std::env::var("SWEEP_SCALE").map_or(10, |n| n.parse().unwrap());
    let stand_in = StandIn::start().await.unwrap();
    for i in 0..count {
        let name = format!("web-{i:05}");
        let token = format!("00000000-0000-4000-8000-{i:012}");
        stand_in.put_pipeline(pipeline(&name, &token, "Succeeded", true));
        stand_in.put_action_executions(&name, shop_runs("Succeeded"));
    }
    let sdk = sdk_for(&stand_in).await;
    let gate = Gate::new(
        Policy::from_json(&demo_policy()).unwrap(),
        Settings {
            sweep_read_interval: Duration::from_millis(100) / scale,
            sweep_margin: Duration::from_secs(20) / scale,
            region: Some("us-east-1".into()),
            ..Settings::default()
        },
        CodePipeline::new(&sdk),
        Some(SnsDecisionTopic::new(
            &sdk,
            "arn:aws:sns:us-east-1:123456789012:decisions".into(),
        )),
    );
    let mut unread: std::collections::BTreeSet<String> =
        (0..count).map(|i| format!("web-{i:05}")).collect();
    let mut sweep = 0;
    while !unread.is_empty() {
        let reads_before = stand_in.calls_to("GetPipelineState").len();
        let deadline = SystemTime::now() + Duration::from_secs(120) / scale;
        let started = std::time::Instant::now();

        let response = gate
            .handle_until(&scheduled_at(sweep), Some(deadline))
            .await
            .unwrap();

        let took = started.elapsed();
        let summary = response.sweep.unwrap();
        for call in &stand_in.calls_to("GetPipelineState")[reads_before..] {
            unread.remove(call.body["name"].as_str().unwrap());
        }
        sweep += 1;
        println!(
            "sweep {sweep}: {:.1} s (scaled up), covered {}, left {}, start {}, round {}, \
             answered {}, throttled {}, {} unread",
            took.as_secs_f64() * f64::from(scale),
            summary.covered,
            summary.left,
            summary.start,
            summary.round,
            summary.answered,
            summary.throttled,
            unread.len()
        );
        assert!(SystemTime::now() < deadline, "sweep {sweep} overran");
    }
    println!("{count} pipelines: every one read after {sweep} sweep(s)");
}
