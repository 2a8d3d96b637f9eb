//! Hostile and malformed input through the whole handler. The corpus is generated here
//! from the real notice of `events/approved-by-rule.json`: truncations, wrong types,
//! missing and null fields, oversized and deeply nested documents, odd Unicode, control
//! characters, names and tokens CodePipeline would never send, foreign topics and events
//! of the wrong shape.
//!
//! Every input runs against a fake pipeline that shows the input's own approval waiting,
//! under a policy that approves anything: an input the gate wrongly accepted would end in
//! an answer, and the test would see it.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use crate::common::*;
use approval_gate::handler::{Gate, Settings};
use approval_gate::pipeline::ActionStatus;
use approval_gate::policy::Policy;
use approval_gate::report::{Answer, Outcome};
use futures_util::FutureExt;
use serde_json::{Value, json};

const SHOP_TOKEN: &str = "4c8e3a2b-6d1f-4e9a-b7c5-0f2d8e6a1b31";

/// Approves every approval it is asked about.
const APPROVE_ANYTHING: &str = r#"{"rules": [{"name": "approve-anything", "match": {}}]}"#;

/// One hostile input and what the gate must make of it.
struct Case {
    name: String,
    event: Value,
    /// The approval the fake pipeline shows waiting: the input's own names and token
    /// wherever the input carries strings there, so that accepting it would approve it.
    waiting: Waiting,
    /// `Dropped`, or `Stale` for a well-formed notice whose token is not the live one.
    expect: Outcome,
}

#[derive(Clone)]
struct Waiting {
    pipeline: String,
    stage: String,
    action: String,
    token: String,
}

impl Default for Waiting {
    fn default() -> Self {
        Self {
            pipeline: "web-shop".into(),
            stage: "Approve-Prod".into(),
            action: "Manual".into(),
            token: SHOP_TOKEN.into(),
        }
    }
}

impl Waiting {
    /// What a notice names, where it names it with strings.
    fn named_by(notice: &Value) -> Self {
        let base = Self::default();
        let field = |name: &str, default: String| {
            notice
                .pointer(&format!("/approval/{name}"))
                .and_then(Value::as_str)
                .map_or(default, str::to_owned)
        };
        Self {
            pipeline: field("pipelineName", base.pipeline),
            stage: field("stageName", base.stage),
            action: field("actionName", base.action),
            token: field("token", base.token),
        }
    }
}

fn base_event() -> Value {
    event("approved-by-rule")
}

/// The SNS message of the real notice, exactly as the event file carries it.
fn base_message() -> String {
    base_event()["Records"][0]["Sns"]["Message"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn base_notice() -> Value {
    notice_of(&base_event())
}

fn dropped(name: impl Into<String>, event: Value) -> Case {
    Case {
        name: name.into(),
        event,
        waiting: Waiting::default(),
        expect: Outcome::Dropped,
    }
}

/// The real event with `message` as its SNS message.
fn message_case(name: impl Into<String>, message: &str) -> Case {
    dropped(name, sns_event(message))
}

/// The real notice, edited; the fake shows the edited approval waiting.
fn notice_case(name: impl Into<String>, edit: impl FnOnce(&mut Value)) -> Case {
    let mut notice = base_notice();
    edit(&mut notice);
    Case {
        waiting: Waiting::named_by(&notice),
        ..message_case(name, &notice.to_string())
    }
}

/// The real event, with its one record edited.
fn record_case(name: impl Into<String>, edit: impl FnOnce(&mut Value)) -> Case {
    let mut event = base_event();
    edit(&mut event["Records"][0]);
    dropped(name, event)
}

/// The real notice's message text with `from` replaced by raw JSON text `to` (for what a
/// `serde_json::Value` cannot hold, such as lone surrogates).
fn raw_case(name: impl Into<String>, from: &str, to: &str) -> Case {
    let message = base_message();
    assert!(message.contains(from), "{from:?} is not in the notice");
    message_case(name, &message.replacen(from, to, 1))
}

fn set(notice: &mut Value, pointer: &str, value: Value) {
    *notice.pointer_mut(pointer).unwrap() = value;
}

fn remove(notice: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        notice
    } else {
        notice.pointer_mut(parent).unwrap()
    };
    parent.as_object_mut().unwrap().remove(key);
}

/// A string of `n` bytes, long enough to be the largest message SNS delivers.
fn filler(n: usize) -> String {
    "A".repeat(n)
}

const MAX_SNS_MESSAGE: usize = 256 * 1024;

// ---- The corpus, by family ----

fn truncated_notices() -> Vec<Case> {
    // The closing brace is the notice's last character, so every cut before it (at each
    // character boundary) leaves text that is not JSON.
    let message = base_message();
    assert!(message.ends_with('}'));
    (0..message.len())
        .filter(|cut| message.is_char_boundary(*cut))
        .map(|cut| message_case(format!("notice cut at byte {cut}"), &message[..cut]))
        .collect()
}

fn wrong_types() -> Vec<Case> {
    let not_strings = || {
        vec![
            json!(42),
            json!(-1.5e300),
            json!(true),
            json!([]),
            json!(["web-shop"]),
            json!({}),
            json!({"S": "web-shop"}),
        ]
    };
    let string_fields = [
        "/region",
        "/consoleLink",
        "/approval/pipelineName",
        "/approval/stageName",
        "/approval/actionName",
        "/approval/token",
        "/approval/expires",
        "/approval/customData",
    ];
    let mut cases = Vec::new();
    for field in string_fields {
        for value in not_strings() {
            cases.push(notice_case(format!("{field} is {value}"), |n| {
                set(n, field, value.clone())
            }));
        }
    }
    for value in [
        json!(42),
        json!(true),
        json!("approve"),
        json!([]),
        json!([{"pipelineName": "web-shop"}]),
    ] {
        cases.push(notice_case(format!("/approval is {value}"), |n| {
            set(n, "/approval", value.clone())
        }));
    }
    cases
}

fn missing_and_null_notice_fields() -> Vec<Case> {
    let required = [
        "/approval",
        "/approval/pipelineName",
        "/approval/stageName",
        "/approval/actionName",
        "/approval/token",
        "/approval/expires",
    ];
    let mut cases = Vec::new();
    for field in required {
        cases.push(notice_case(format!("{field} missing"), |n| {
            remove(n, field)
        }));
        cases.push(notice_case(format!("{field} null"), |n| {
            set(n, field, Value::Null)
        }));
    }
    cases.push(notice_case("every field missing", |n| *n = json!({})));
    cases.push(notice_case("approval empty", |n| {
        set(n, "/approval", json!({}))
    }));
    cases
}

fn envelope_fields() -> Vec<Case> {
    let sns_fields = [
        "Type",
        "MessageId",
        "TopicArn",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertUrl",
        "UnsubscribeUrl",
        "Message",
    ];
    let mut cases = Vec::new();
    for field in sns_fields {
        cases.push(record_case(format!("Sns.{field} missing"), |r| {
            r["Sns"].as_object_mut().unwrap().remove(field);
        }));
        for value in [
            Value::Null,
            json!(42),
            json!(false),
            json!([]),
            json!({"Value": "x"}),
        ] {
            cases.push(record_case(format!("Sns.{field} is {value}"), |r| {
                r["Sns"][field] = value.clone();
            }));
        }
    }
    // The notice as an object rather than the string SNS delivers.
    cases.push(record_case("Sns.Message is the notice as an object", |r| {
        r["Sns"]["Message"] = base_notice();
    }));
    for timestamp in ["", "yesterday", "2026-11-26", "2026-13-40T99:99:99.000Z"] {
        cases.push(record_case(
            format!("Sns.Timestamp is {timestamp:?}"),
            |r| {
                r["Sns"]["Timestamp"] = timestamp.into();
            },
        ));
    }
    cases.push(record_case("Sns.MessageAttributes is a string", |r| {
        r["Sns"]["MessageAttributes"] = "verdict=approve".into();
    }));
    for field in ["EventSource", "EventVersion", "EventSubscriptionArn"] {
        cases.push(record_case(format!("{field} missing"), |r| {
            r.as_object_mut().unwrap().remove(field);
        }));
        cases.push(record_case(format!("{field} null"), |r| {
            r[field] = Value::Null
        }));
    }
    for sns in [
        Value::Null,
        json!("Sns"),
        json!([]),
        json!({}),
        json!([base_event()["Records"][0]["Sns"].clone()]),
    ] {
        cases.push(record_case(format!("Sns is {}", short(&sns)), |r| {
            r["Sns"] = sns.clone();
        }));
    }
    cases.push(record_case("Sns missing", |r| {
        r.as_object_mut().unwrap().remove("Sns");
    }));
    cases
}

fn event_shapes() -> Vec<Case> {
    let record = base_event()["Records"][0].clone();
    let mut cases = Vec::new();
    for records in [
        Value::Null,
        json!(42),
        json!("Records"),
        json!({}),
        json!({"0": record.clone()}),
        record.clone(),
    ] {
        cases.push(dropped(
            format!("Records is {}", short(&records)),
            json!({ "Records": records }),
        ));
    }
    for event in [
        Value::Null,
        json!(true),
        json!(42),
        json!("Records"),
        json!([]),
        json!([record.clone()]),
        json!({}),
        json!({"records": [record.clone()]}),
        json!({"Record": [record.clone()]}),
        json!({"detail-type": "Scheduled Event", "source": "aws.events.evil"}),
        json!({"detail-type": "Scheduled event", "source": "aws.events"}),
        json!({"detail-type": "Scheduled Event", "source": ["aws.events"]}),
    ] {
        cases.push(dropped(format!("event is {}", short(&event)), event));
    }
    for item in [
        Value::Null,
        json!(42),
        json!("record"),
        json!([]),
        json!({}),
        json!([record.clone()]),
    ] {
        cases.push(dropped(
            format!("Records holds {}", short(&item)),
            json!({ "Records": [item] }),
        ));
    }
    cases.push(dropped(
        "three hostile records",
        json!({"Records": [null, {"Sns": 1}, {"Sns": {"Message": "{}"}}]}),
    ));
    cases.push(dropped("no records at all", json!({"Records": []})));
    cases
}

fn oversized() -> Vec<Case> {
    let mut cases = vec![
        message_case("256 KB of text", &filler(MAX_SNS_MESSAGE)),
        message_case(
            "256 KB JSON array",
            &format!("[{}1]", "1,".repeat(MAX_SNS_MESSAGE / 2 - 2)),
        ),
    ];
    for field in [
        "/approval/pipelineName",
        "/approval/stageName",
        "/approval/actionName",
        "/approval/token",
        "/approval/expires",
    ] {
        cases.push(notice_case(format!("{field} of 256 KB"), |n| {
            set(n, field, filler(MAX_SNS_MESSAGE - 1024).into())
        }));
    }
    // Just over the limits CodePipeline itself keeps.
    cases.push(notice_case("pipelineName of 101 characters", |n| {
        set(n, "/approval/pipelineName", "p".repeat(101).into())
    }));
    cases.push(notice_case("token of 129 characters", |n| {
        set(n, "/approval/token", "a".repeat(129).into())
    }));
    cases
}

fn deeply_nested() -> Vec<Case> {
    let deep = 10_000;
    let mut cases = vec![
        message_case("10 000 levels of [", &"[".repeat(deep)),
        message_case(
            "10 000 levels of balanced []",
            &format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        ),
        message_case(
            "10 000 levels of {\"a\":",
            &format!("{}1{}", "{\"a\":".repeat(deep), "}".repeat(deep)),
        ),
        message_case(
            "approval nested 10 000 levels deep",
            &format!("{{\"approval\":{}{}}}", "[".repeat(deep), "]".repeat(deep)),
        ),
        raw_case(
            "pipelineName nested 10 000 levels deep",
            "\"web-shop\",",
            &format!("{}\"web-shop\"{},", "[".repeat(deep), "]".repeat(deep)),
        ),
    ];
    // What the Lambda runtime itself could hand over is bounded by its own parser, but a
    // nested value in the event must not trip the handler either.
    let mut nested = json!("web-shop");
    for _ in 0..1_000 {
        nested = json!([nested]);
    }
    cases.push(record_case("Sns.Message nested 1 000 levels", |r| {
        r["Sns"]["Message"] = nested.clone();
    }));
    cases.push(dropped(
        "a record nested 1 000 levels",
        json!({ "Records": [nested] }),
    ));
    cases
}

/// Names that are not `[A-Za-z0-9.@\-_]{1,100}`: odd Unicode, control characters, ANSI
/// escapes, and text meant for HTML, shells, paths and queries.
fn hostile_names() -> Vec<String> {
    [
        "",
        " ",
        "web shop",
        " web-shop",
        "web-shop ",
        "web/shop",
        "../web-shop",
        "web-shop/../other",
        "web:shop",
        "web*",
        "web?shop",
        "web%2Dshop",
        "web+shop",
        "web,shop",
        "web=shop",
        "web#shop",
        "web-shop\"",
        "web-shop'",
        "web-shop\\",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "web-shop&amp;",
        "$(reboot)",
        "`id`",
        "web-shop;rm -rf /",
        "web-shop|tee",
        "web-shop' OR '1'='1",
        "${jndi:ldap://x/a}",
        "{{7*7}}",
        "web-shop\u{202e}dorp",
        "\u{202d}web-shop",
        "web\u{200b}-shop",
        "web\u{200d}-shop",
        "\u{feff}web-shop",
        "web-shop\u{2028}",
        "web\u{a0}shop",
        "w\u{435}b-shop",
        "\u{ff57}eb-shop",
        "web-shop\u{301}",
        "web-shop-\u{1f680}",
        "web-shop\u{fffd}",
        "web-shop\0",
        "web-shop\n",
        "web-shop\r\nX-Injected: 1",
        "web-shop\t",
        "web-shop\u{7}",
        "web-shop\u{7f}",
        "web-shop\u{85}",
        "\u{1b}[31mweb-shop\u{1b}[0m",
        "\u{1b}]0;pwned\u{7}web-shop",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(["p".repeat(101)])
    .collect()
}

fn names_outside_the_pattern() -> Vec<Case> {
    let mut cases = Vec::new();
    for field in ["pipelineName", "stageName", "actionName"] {
        for name in hostile_names() {
            cases.push(notice_case(format!("{field} {name:?}"), |n| {
                n["approval"][field] = name.clone().into();
            }));
        }
    }
    cases
}

fn lone_surrogates() -> Vec<Case> {
    let mut cases = Vec::new();
    let places = [
        ("pipelineName", "\"web-shop\",", "\"web-shop{}\","),
        ("stageName", "\"Approve-Prod\"", "\"Approve{}-Prod\""),
        ("actionName", "\"Manual\"", "\"{}Manual\""),
        ("token", "\"4c8e3a2b-", "\"4c8e3a2b{}-"),
        ("customData", "\"Release ", "\"Release {}"),
    ];
    for (field, from, to) in places {
        for surrogate in ["\\ud800", "\\udfff", "\\ud83d\\u0041"] {
            cases.push(raw_case(
                format!("{field} with the lone surrogate {surrogate}"),
                from,
                &to.replace("{}", surrogate),
            ));
        }
    }
    cases
}

fn tokens_of_the_wrong_shape() -> Vec<Case> {
    let live = SHOP_TOKEN;
    [
        String::new(),
        " ".into(),
        format!("{live} "),
        format!(" {live}"),
        format!("{live}\n"),
        format!("{live}\0"),
        format!("{live}\u{200b}"),
        format!("{live}\u{202e}"),
        format!("\u{1b}[8m{live}"),
        live.replace('-', "+"),
        live.replace('-', "."),
        live.replace('-', "/"),
        format!("{live}/../x"),
        "t\u{f6}ken".into(),
        "\u{ff14}c8e3a2b".into(),
        "<script>alert(1)</script>".into(),
        "$(cat /proc/self/environ)".into(),
        "*".into(),
        "%".into(),
        "a".repeat(129),
    ]
    .into_iter()
    .map(|token| {
        notice_case(format!("token {token:?}"), |n| {
            n["approval"]["token"] = token.clone().into();
        })
    })
    .collect()
}

/// Well-formed tokens that are not the one waiting: the notice is read, the state is
/// asked, and nothing is answered.
fn tokens_that_are_not_live() -> Vec<Case> {
    let documented_sample = "1a2b3c4d-573f-4ea7-a67E-XAMPLETOKEN".to_owned();
    [
        SHOP_TOKEN.to_uppercase(),
        SHOP_TOKEN[..8].to_owned(),
        format!("{SHOP_TOKEN}-0"),
        format!("0{SHOP_TOKEN}"),
        "00000000-0000-4000-8000-000000000000".into(),
        documented_sample,
        "a".repeat(128),
    ]
    .into_iter()
    .map(|token| {
        let mut case = notice_case(format!("token {token:?} that is not live"), |n| {
            n["approval"]["token"] = token.clone().into();
        });
        case.waiting.token = SHOP_TOKEN.into();
        case.expect = Outcome::Stale;
        case
    })
    .collect()
}

fn expiry_times() -> Vec<Case> {
    [
        "",
        "soon",
        "2099-12-31T23:59",
        "2099-12-31T23:59ZZ",
        "2099-13-31T23:59Z",
        "2099-12-32T23:59Z",
        "2099-12-31T24:61Z",
        "2099-12-31T23:59+99:00",
        "+99999-12-31T23:59Z",
        "4102444800",
        " 2099-12-31T23:59Z",
        "2099-12-31T23:59Z\n",
        "2099-12-31T23:59Z\u{202e}",
        // Already over: dropped before any AWS call.
        "2016-07-07T20:22Z",
        "1970-01-01T00:00Z",
        "2000-01-01T00:00:00+14:00",
    ]
    .into_iter()
    .map(|expires| {
        notice_case(format!("expires {expires:?}"), |n| {
            n["approval"]["expires"] = expires.into();
        })
    })
    .collect()
}

fn topics_not_allowed() -> Vec<Case> {
    [
        "arn:aws:sns:us-east-1:123456789012:other-topic",
        "arn:aws:sns:us-east-1:123456789012:codepipeline-approval",
        "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals-evil",
        "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals.fifo",
        "arn:aws:sns:us-east-1:123456789012:CodePipeline-Approvals",
        "arn:aws:sns:us-east-1:210987654321:codepipeline-approvals",
        "arn:aws:sns:eu-west-1:123456789012:codepipeline-approvals",
        "arn:aws-cn:sns:us-east-1:123456789012:codepipeline-approvals",
        "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals ",
        " arn:aws:sns:us-east-1:123456789012:codepipeline-approvals",
        "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals\n",
        "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals\0",
        "\u{1b}[2Jarn:aws:sns:us-east-1:123456789012:codepipeline-approvals",
        "*",
        "",
    ]
    .into_iter()
    .map(|topic| {
        record_case(format!("topic {topic:?}"), |r| {
            r["Sns"]["TopicArn"] = topic.into();
        })
    })
    .collect()
}

fn messages_that_are_not_notices() -> Vec<Case> {
    let notice = base_message();
    let compact = base_notice().to_string();
    let mut cases: Vec<Case> = [
        "",
        " ",
        "\n",
        "null",
        "true",
        "42",
        "\"approval\"",
        "[]",
        "{}",
        "{\"approval\": null}",
        "{\"approval\": []}",
        "{\"approval\": \"approve\"}",
        "{\"approval\": true}",
        "<approval><pipelineName>web-shop</pipelineName></approval>",
        "approval:\n  pipelineName: web-shop\n",
        "APPROVAL NEEDED: AWS CodePipeline web-shop for action Manual",
        "{\"approval\": {\"pipelineName\": \"web-shop\"}}",
        "{\"expires\": 1e400}",
    ]
    .into_iter()
    .map(|message| message_case(format!("message {message:?}"), message))
    .collect();
    cases.extend([
        message_case(
            "the notice encoded twice",
            &Value::String(notice.clone()).to_string(),
        ),
        message_case("the notice followed by text", &format!("{notice}x")),
        message_case("two notices in a row", &format!("{notice}{notice}")),
        message_case("the notice after a BOM", &format!("\u{feff}{notice}")),
        message_case("the notice in a list", &format!("[{compact}]")),
        message_case(
            "the notice wrapped in another SNS message",
            &json!({"Type": "Notification", "Message": compact}).to_string(),
        ),
        message_case(
            "the notice with a trailing comma",
            &format!("{},}}", &compact[..compact.len() - 1]),
        ),
        message_case("the notice with single quotes", &compact.replace('"', "'")),
        message_case("the notice with a NUL byte", &format!("{notice}\0")),
    ]);
    cases
}

/// Every family; each case is a distinct input.
fn corpus() -> Vec<Case> {
    [
        truncated_notices(),
        wrong_types(),
        missing_and_null_notice_fields(),
        envelope_fields(),
        event_shapes(),
        oversized(),
        deeply_nested(),
        names_outside_the_pattern(),
        lone_surrogates(),
        tokens_of_the_wrong_shape(),
        tokens_that_are_not_live(),
        expiry_times(),
        topics_not_allowed(),
        messages_that_are_not_notices(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

// ---- The oracle ----

fn settings() -> Settings {
    Settings {
        allowed_topics: Some(vec![TOPIC.to_owned()]),
        // A token that is not live is stale at the first read.
        token_wait: Duration::ZERO,
        ..Settings::default()
    }
}

/// Characters that make text lie about itself on a terminal or in a log viewer: control
/// characters (ANSI escapes, line breaks), bidirectional overrides and invisible ones.
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}')
}

fn printable_text(text: &str) -> bool {
    !text.trim().is_empty() && !text.chars().any(is_deceptive)
}

/// How many reports the event must produce: one a record, or one for an event that is not
/// a list of records.
fn records_in(event: &Value) -> usize {
    event
        .get("Records")
        .and_then(Value::as_array)
        .map_or(1, Vec::len)
}

/// Runs one case and says everything that is wrong with how it ended.
async fn problems_with(case: &Case) -> Vec<String> {
    let w = &case.waiting;
    let pipelines = FakePipelines::default().with_state(waiting(
        &w.pipeline,
        &w.stage,
        &w.action,
        &w.token,
        ActionStatus::Succeeded,
    ));
    let topic = FakeTopic::default();
    let gate = Gate::new(
        Policy::from_json(APPROVE_ANYTHING).unwrap(),
        settings(),
        &pipelines,
        Some(&topic),
    );

    let handled = AssertUnwindSafe(gate.handle(&case.event))
        .catch_unwind()
        .await;

    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(format!("{}: {text}", case.name));
    let response = match handled {
        Err(_) => {
            problem("the handler panicked".into());
            return problems;
        }
        Ok(Err(error)) => {
            problem(format!(
                "the invocation failed (Lambda would retry it): {error}"
            ));
            return problems;
        }
        Ok(Ok(response)) => response,
    };
    if !pipelines.answers().is_empty() {
        problem(format!(
            "answered {} time(s); approve: {:?}",
            pipelines.answers().len(),
            pipelines
                .answers()
                .iter()
                .map(|a| a.status)
                .collect::<Vec<_>>()
        ));
    }
    if response.records.len() != records_in(&case.event) {
        problem(format!(
            "{} report(s) for {} record(s)",
            response.records.len(),
            records_in(&case.event)
        ));
    }
    for report in &response.records {
        if report.outcome != case.expect || report.answer != Answer::None {
            problem(format!(
                "ended {:?}/{:?}, expected {:?} with no answer ({:?})",
                report.outcome, report.answer, case.expect, report.reasons
            ));
        }
        if report.reasons.is_empty() || !report.reasons.iter().all(|r| printable_text(r)) {
            problem(format!("reasons not printable text: {:?}", report.reasons));
        }
    }
    if case.expect == Outcome::Dropped && pipelines.read_count() != 0 {
        problem("a dropped record was looked up in CodePipeline".into());
    }
    let notices = topic.notices();
    if case.expect == Outcome::Dropped && !notices.is_empty() {
        problem("a dropped record was announced on the decision topic".into());
    }
    let told = notices
        .iter()
        .map(|n| format!("{}\n{}", n.subject, n.body))
        .collect::<String>();
    let said = serde_json::to_string(&response).unwrap();
    if said.contains(SHOP_TOKEN) || told.contains(SHOP_TOKEN) {
        problem("the live token shows in the response or a notice".into());
    }
    problems
}

async fn assert_all_fail_closed(cases: Vec<Case>) {
    assert!(!cases.is_empty());
    let mut problems = Vec::new();
    for case in &cases {
        problems.extend(problems_with(case).await);
    }
    assert!(
        problems.is_empty(),
        "{} of {} inputs were not dropped cleanly:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

// ---- The oracle can see an approval ----

#[tokio::test]
async fn the_unedited_notice_is_approved_by_the_same_fake_and_policy() {
    // Given the real notice, unedited, in the world every hostile case runs in
    let case = notice_case("unedited", |_| {});

    // When it is handled, then the oracle reports the approval it would report for a
    // hostile input that got through
    let problems = problems_with(&case).await;

    assert!(
        problems.iter().any(|p| p.contains("answered 1 time(s)")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn a_notice_naming_another_valid_approval_is_approved_by_its_own_fake() {
    // Given a notice naming another approval with valid names, and a fake showing it waiting
    let case = notice_case("other valid names", |n| {
        n["approval"]["pipelineName"] = "web-Shop.v2@eu_1".into();
        n["approval"]["stageName"] = "p".repeat(100).into();
        n["approval"]["actionName"] = "A".into();
        n["approval"]["token"] = "a".repeat(128).into();
    });

    // When it is handled, then it is answered: the fake follows the notice's names
    let problems = problems_with(&case).await;

    assert!(
        problems.iter().any(|p| p.contains("answered 1 time(s)")),
        "{problems:?}"
    );
}

// ---- Hostile input is dropped, never answered, never retried ----

#[tokio::test]
async fn the_corpus_has_well_over_a_hundred_and_twenty_distinct_inputs() {
    let corpus = corpus();
    let distinct: std::collections::HashSet<String> = corpus
        .iter()
        .map(|case| serde_json::to_string(&case.event).unwrap())
        .collect();
    println!("{} inputs, {} distinct", corpus.len(), distinct.len());
    assert!(corpus.len() >= 120, "{}", corpus.len());
    assert!(distinct.len() >= 120, "{}", distinct.len());
    assert_eq!(
        corpus.iter().filter(|c| c.expect == Outcome::Stale).count(),
        tokens_that_are_not_live().len()
    );
}

#[tokio::test]
async fn notices_cut_short_anywhere_are_dropped() {
    assert_all_fail_closed(truncated_notices()).await;
}

#[tokio::test]
async fn notice_fields_of_the_wrong_type_are_dropped() {
    assert_all_fail_closed(wrong_types()).await;
}

#[tokio::test]
async fn notices_missing_a_required_field_or_holding_null_are_dropped() {
    assert_all_fail_closed(missing_and_null_notice_fields()).await;
}

#[tokio::test]
async fn sns_records_with_a_missing_null_or_mistyped_field_are_dropped() {
    assert_all_fail_closed(envelope_fields()).await;
}

#[tokio::test]
async fn events_that_are_not_lists_of_sns_records_are_dropped() {
    assert_all_fail_closed(event_shapes()).await;
}

#[tokio::test]
async fn oversized_messages_and_fields_are_dropped() {
    assert_all_fail_closed(oversized()).await;
}

#[tokio::test]
async fn deeply_nested_json_is_dropped_without_overflowing_the_stack() {
    assert_all_fail_closed(deeply_nested()).await;
}

#[tokio::test]
async fn names_outside_codepipelines_pattern_are_dropped() {
    assert_all_fail_closed(names_outside_the_pattern()).await;
}

#[tokio::test]
async fn lone_surrogates_anywhere_in_the_notice_are_dropped() {
    assert_all_fail_closed(lone_surrogates()).await;
}

#[tokio::test]
async fn tokens_of_impossible_shape_are_dropped() {
    assert_all_fail_closed(tokens_of_the_wrong_shape()).await;
}

#[tokio::test]
async fn well_formed_tokens_that_are_not_live_are_stale_and_unanswered() {
    assert_all_fail_closed(tokens_that_are_not_live()).await;
}

#[tokio::test]
async fn unreadable_or_past_expiry_times_are_dropped() {
    assert_all_fail_closed(expiry_times()).await;
}

#[tokio::test]
async fn records_from_topics_not_allowed_are_dropped() {
    assert_all_fail_closed(topics_not_allowed()).await;
}

#[tokio::test]
async fn messages_that_are_not_approval_notices_are_dropped() {
    assert_all_fail_closed(messages_that_are_not_notices()).await;
}

#[tokio::test]
async fn hostile_records_beside_a_valid_one_do_not_stop_or_change_its_decision() {
    // Given one valid record between two hostile ones
    let valid = base_event()["Records"][0].clone();
    let mut foreign = valid.clone();
    foreign["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:other".into();
    let event = json!({"Records": [{"Sns": null}, valid, foreign]});
    let pipelines = FakePipelines::default().with_state(waiting(
        "web-shop",
        "Approve-Prod",
        "Manual",
        SHOP_TOKEN,
        ActionStatus::Succeeded,
    ));
    let topic = FakeTopic::default();
    let gate = Gate::new(
        Policy::from_json(APPROVE_ANYTHING).unwrap(),
        settings(),
        &pipelines,
        Some(&topic),
    );

    // When the event is handled
    let response = gate.handle(&event).await.unwrap();

    // Then the valid record alone is answered, and each record has its report in order
    let outcomes: Vec<Outcome> = response.records.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![Outcome::Dropped, Outcome::Approve, Outcome::Dropped]
    );
    assert_eq!(pipelines.answers().len(), 1);
}

// ---- Hostile customData in a valid notice is never shown raw ----

const CUSTOM_DATA: &[&str] = &[
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "\u{1b}[31mRED\u{1b}[0m \u{1b}]0;pwned\u{7} \u{1b}[2J",
    "line one\nSubject: injected\r\n\r\nforged body",
    "$(reboot) `id` ; rm -rf / | tee && echo",
    "\u{202e}evorppa\u{202c} \u{200b}hidden\u{feff}",
    // Claims are quoted in reasons when they disagree with the state.
    "PipelineExecutionId=exec-9\u{1b}[2J CommitId=\u{1b}[31mdeadbeef\u{7}",
    "PipelineExecutionId=exec-1\u{85}Subject:\u{7f}forged",
];

/// The policy under which a valid notice is decided as `verdict` (the fake's tests pass
/// for approve, fail otherwise).
fn deciding(verdict: Outcome) -> (&'static str, ActionStatus) {
    match verdict {
        Outcome::Approve => (
            r#"{"rules": [{"name": "r", "require_succeeded": ["Build/IntegrationTests"]}]}"#,
            ActionStatus::Succeeded,
        ),
        Outcome::Reject => (
            r#"{"rules": [{"name": "r", "require_succeeded": ["Build/IntegrationTests"], "on_fail": "reject"}]}"#,
            ActionStatus::Failed,
        ),
        _ => (
            r#"{"rules": [{"name": "r", "require_succeeded": ["Build/IntegrationTests"], "on_fail": "abstain"}]}"#,
            ActionStatus::Failed,
        ),
    }
}

fn fits_a_mail_subject(subject: &str) -> bool {
    subject.len() < 100 && subject.chars().all(|c| c == ' ' || c.is_ascii_graphic())
}

/// The markup of `custom_data` that must never be seen raw in a decision notice.
fn markup_in(custom_data: &str) -> Vec<&str> {
    ["<script", "<img", "<b>", "onerror="]
        .into_iter()
        .filter(|fragment| custom_data.contains(fragment))
        .collect()
}

async fn decide_with_custom_data(
    custom_data: &str,
    verdict: Outcome,
) -> (approval_gate::handler::Response, FakePipelines, FakeTopic) {
    decide_notice(verdict, |notice| {
        notice["approval"]["customData"] = custom_data.into();
    })
    .await
}

async fn decide_notice(
    verdict: Outcome,
    edit: impl FnOnce(&mut Value),
) -> (approval_gate::handler::Response, FakePipelines, FakeTopic) {
    let (policy, tests) = deciding(verdict);
    let pipelines = FakePipelines::default().with_state(waiting(
        "web-shop",
        "Approve-Prod",
        "Manual",
        SHOP_TOKEN,
        tests,
    ));
    let topic = FakeTopic::default();
    let mut notice = base_notice();
    edit(&mut notice);
    let response = {
        let gate = Gate::new(
            Policy::from_json(policy).unwrap(),
            settings(),
            &pipelines,
            Some(&topic),
        );
        gate.handle(&sns_event(&notice.to_string())).await.unwrap()
    };
    (response, pipelines, topic)
}

/// Everything wrong with what the gate said about a decided notice: the subject must fit
/// a mail client; the body (lines apart), the summary and the reasons must hold nothing
/// deceptive; nothing may show the token.
fn problems_in_what_was_said(
    response: &approval_gate::handler::Response,
    pipelines: &FakePipelines,
    topic: &FakeTopic,
) -> Vec<String> {
    let mut problems = Vec::new();
    let notices = topic.notices();
    if notices.len() != 1 {
        problems.push(format!("{} decision notices", notices.len()));
    }
    for notice in &notices {
        if !fits_a_mail_subject(&notice.subject) || notice.subject.contains(SHOP_TOKEN) {
            problems.push(format!("subject unfit for mail: {:?}", notice.subject));
        }
        if notice
            .body
            .lines()
            .any(|line| line.chars().any(is_deceptive))
        {
            problems.push(format!(
                "body holds deceptive characters: {:?}",
                notice.body
            ));
        }
        if notice.body.lines().any(|line| line.starts_with("Subject:")) {
            problems.push(format!("a line of the body was forged: {:?}", notice.body));
        }
        if notice.body.contains(SHOP_TOKEN) {
            problems.push("the body shows the token".into());
        }
    }
    for answer in pipelines.answers() {
        if answer.summary.chars().any(is_deceptive) || answer.summary.contains(SHOP_TOKEN) {
            problems.push(format!("summary unfit: {:?}", answer.summary));
        }
    }
    for report in &response.records {
        if !report.reasons.iter().all(|r| printable_text(r)) {
            problems.push(format!("reasons not printable: {:?}", report.reasons));
        }
    }
    if serde_json::to_string(response)
        .unwrap()
        .contains(SHOP_TOKEN)
    {
        problems.push("the response shows the token".into());
    }
    problems
}

#[tokio::test]
async fn custom_data_never_reaches_a_subject_or_body_raw_and_the_token_never_shows() {
    let mut problems = Vec::new();
    for custom_data in CUSTOM_DATA {
        for verdict in [Outcome::Approve, Outcome::Reject, Outcome::Abstain] {
            // Given a valid notice whose customData is hostile, decided as `verdict`
            // When it is handled
            let (response, pipelines, topic) = decide_with_custom_data(custom_data, verdict).await;

            // Then it is decided as the policy says, told once, and nothing of the
            // customData shows raw
            // A notice naming another execution than the one waiting, or a commit it does
            // not carry, gets no answer at all, whatever the rule says.
            let expected = if custom_data.contains("exec-9") {
                Outcome::Abstain
            } else {
                verdict
            };
            let mut found = problems_in_what_was_said(&response, &pipelines, &topic);
            if response.records[0].outcome != expected {
                found.push(format!("decided {:?}", response.records[0]));
            }
            let body = topic
                .notices()
                .iter()
                .map(|n| n.body.clone())
                .collect::<String>();
            for fragment in markup_in(custom_data) {
                if body.contains(fragment) {
                    found.push(format!("the body shows {fragment:?} raw"));
                }
            }
            problems.extend(
                found
                    .into_iter()
                    .map(|p| format!("{verdict:?} with {custom_data:?}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn a_256_kb_custom_data_is_decided_and_kept_out_of_the_notice() {
    // Given a valid notice carrying the most customData SNS could deliver
    let custom_data = filler(MAX_SNS_MESSAGE - 2048);

    // When it is decided
    let (response, pipelines, topic) =
        decide_with_custom_data(&custom_data, Outcome::Abstain).await;

    // Then it is left for a human, and the notice stays small
    assert_eq!(response.records[0].outcome, Outcome::Abstain);
    assert!(pipelines.answers().is_empty());
    assert_eq!(
        problems_in_what_was_said(&response, &pipelines, &topic),
        Vec::<String>::new()
    );
    assert!(topic.notices()[0].body.len() < 4096);
}

// ---- Envelope, claims, topic and link hardening ----

#[tokio::test]
async fn markup_and_bidi_controls_in_a_custom_data_claim_never_reach_the_notice_or_summary() {
    let mut problems = Vec::new();
    for custom_data in [
        "PipelineExecutionId=<b>exec-9</b><img/src=x/onerror=alert(1)>",
        "PipelineExecutionId=exec-9\u{202e}1-cexe",
        "CommitId=\u{200b}<script>deadbeef",
    ] {
        for verdict in [Outcome::Reject, Outcome::Abstain] {
            // Given a valid notice whose customData claim disagrees with the state and
            // carries markup or a right-to-left override
            // When it is decided
            let (response, pipelines, topic) = decide_with_custom_data(custom_data, verdict).await;

            // Then neither the notice's body nor the summary shows the claim raw
            let mut found = problems_in_what_was_said(&response, &pipelines, &topic);
            let shown = topic
                .notices()
                .iter()
                .map(|n| n.body.clone())
                .chain(pipelines.answers().into_iter().map(|a| a.summary))
                .collect::<String>();
            for fragment in markup_in(custom_data) {
                if shown.contains(fragment) {
                    found.push(format!("{fragment:?} shown raw"));
                }
            }
            problems.extend(
                found
                    .into_iter()
                    .map(|p| format!("{verdict:?} with {custom_data:?}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn a_refused_topic_is_named_without_bidi_or_invisible_characters() {
    // Given a record from a topic not allowed whose ARN reverses the text after it
    let case = record_case("right-to-left topic", |r| {
        r["Sns"]["TopicArn"] =
            "arn:aws:sns:us-east-1:123456789012:\u{202e}slavorppa-enilepidoc".into();
    });

    // When it is handled, then it is dropped with a reason a log viewer shows as is
    assert_eq!(problems_with(&case).await, Vec::<String>::new());
}

#[tokio::test]
async fn the_review_link_of_a_decision_notice_only_ever_points_at_the_codepipeline_console() {
    let mut problems = Vec::new();
    for link in [
        "https://codepipeline.evil.example/approve",
        "javascript:alert(1)",
        "https://console.aws.amazon.com.evil.example/codepipeline",
    ] {
        // Given a notice whose consoleLink points elsewhere, with a token that is not live
        let (response, _, topic) = decide_notice(Outcome::Abstain, |notice| {
            notice["consoleLink"] = link.into();
            notice["approval"]["token"] = "00000000-0000-4000-8000-000000000000".into();
        })
        .await;

        // When it is told as stale, then the link is not repeated
        assert_eq!(response.records[0].outcome, Outcome::Stale);
        if topic.notices().iter().any(|n| n.body.contains(link)) {
            problems.push(format!("{link} was repeated in the decision notice"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn records_that_are_not_sns_notifications_are_dropped() {
    let cases = vec![
        record_case("Type SubscriptionConfirmation", |r| {
            r["Sns"]["Type"] = "SubscriptionConfirmation".into();
        }),
        record_case("Type UnsubscribeConfirmation", |r| {
            r["Sns"]["Type"] = "UnsubscribeConfirmation".into();
        }),
        record_case("Type empty", |r| r["Sns"]["Type"] = "".into()),
        record_case("EventSource aws:sqs", |r| {
            r["EventSource"] = "aws:sqs".into()
        }),
    ];
    assert_all_fail_closed(cases).await;
}

#[tokio::test]
async fn a_token_put_in_the_expiry_or_the_message_id_is_never_repeated() {
    // Given a notice whose `expires` and SNS MessageId are the live token
    let mut notice = notice_of(&event("approved-by-rule"));
    notice["approval"]["expires"] = SHOP_TOKEN.into();
    let mut bad_expiry = sns_event(&notice.to_string());
    bad_expiry["Records"][0]["Sns"]["MessageId"] = SHOP_TOKEN.into();
    let mut good_expiry = event("approved-by-rule");
    good_expiry["Records"][0]["Sns"]["MessageId"] = SHOP_TOKEN.into();
    let pipelines = FakePipelines::default().with_state(waiting(
        "web-shop",
        "Approve-Prod",
        "Manual",
        SHOP_TOKEN,
        ActionStatus::Succeeded,
    ));
    let topic = FakeTopic::default();
    let gate = Gate::new(
        Policy::from_json(APPROVE_ANYTHING).unwrap(),
        settings(),
        &pipelines,
        Some(&topic),
    );

    for event in [bad_expiry, good_expiry] {
        // When it is handled
        let response = gate.handle(&event).await.unwrap();

        // Then neither the response nor the notice repeats the token
        let said = serde_json::to_string(&response).unwrap()
            + &topic
                .notices()
                .iter()
                .map(|n| n.body.clone())
                .collect::<String>();
        assert!(!said.contains(SHOP_TOKEN), "{said}");
    }
}
