//! Runs the `stand-in` binary with `--fire-into` against a one-shot HTTP server standing in
//! for `cargo lambda watch`'s invoke endpoint: a schedule that comes due on the real clock
//! is POSTed there, and the binary says so on stdout in the line a demo script greps.

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_scheduler::config::retry::RetryConfig;
use aws_sdk_scheduler::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_scheduler::primitives::{DateTime, DateTimeFormat};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::time::timeout;

const INVOKE_PATH: &str = "/2015-03-31/functions/approval-gate/invocations";
const WAIT: Duration = Duration::from_secs(20);

/// What the one-shot server received.
struct Received {
    head: String,
    body: String,
}

/// Accepts one request, answers it with a JSON body spread over two lines, and returns it.
async fn answer_one(listener: TcpListener) -> Received {
    let (stream, _) = listener.accept().await.expect("a connection");
    let mut stream = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await.expect("a header line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .expect("a content-length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.expect("the body");
    let answer = "{\"decision\": \"approved\",\n \"pipeline\": \"web-shop\"}\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{answer}",
        answer.len()
    );
    stream
        .get_mut()
        .write_all(response.as_bytes())
        .await
        .expect("answered");
    Received {
        head,
        body: String::from_utf8(body).expect("UTF-8"),
    }
}

#[tokio::test]
async fn a_due_schedule_is_posted_into_the_url() {
    let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_addr = target.local_addr().unwrap();
    let server = tokio::spawn(answer_one(target));

    let mut child = Command::new(env!("CARGO_BIN_EXE_stand-in"))
        .args(["--port", "0", "--fire-into"])
        .arg(format!("http://{target_addr}{INVOKE_PATH}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let endpoint = timeout(WAIT, async {
        while let Some(line) = stderr.next_line().await.expect("stderr") {
            if let Some(endpoint) = line.strip_prefix("listening on ") {
                return endpoint.to_owned();
            }
        }
        panic!("the stand-in ended before listening");
    })
    .await
    .expect("the stand-in listens");
    // Keep reading stderr so the binary never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });

    let config = aws_sdk_scheduler::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    let client = aws_sdk_scheduler::Client::from_conf(config);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    // A second ago, so that it is due at the binary's next look.
    let at = DateTime::from_secs(now.as_secs() as i64 - 1)
        .fmt(DateTimeFormat::DateTime)
        .unwrap();
    let input = r#"{"kind":"recheck","pipeline":"web-shop"}"#;
    client
        .create_schedule()
        .name("recheck-web-shop")
        .schedule_expression(format!("at({})", at.trim_end_matches('Z')))
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .unwrap(),
        )
        .action_after_completion(ActionAfterCompletion::Delete)
        .target(
            Target::builder()
                .arn("arn:aws:lambda:us-east-1:123456789012:function:approval-gate")
                .role_arn("arn:aws:iam::123456789012:role/scheduler")
                .input(input)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("created");

    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = timeout(WAIT, stdout.next_line())
        .await
        .expect("a line in time")
        .expect("stdout")
        .expect("a line");
    assert_eq!(
        line,
        r#"fired schedule recheck-web-shop -> 200 {"decision": "approved",  "pipeline": "web-shop"}"#
    );

    let received = timeout(WAIT, server).await.expect("posted").unwrap();
    assert!(
        received
            .head
            .starts_with(&format!("POST {INVOKE_PATH} HTTP/1.1\r\n")),
        "{}",
        received.head
    );
    assert!(
        received
            .head
            .to_ascii_lowercase()
            .contains("content-type: application/json\r\n"),
        "{}",
        received.head
    );
    assert_eq!(received.body, input);

    // Fired and deleted, as its ActionAfterCompletion says.
    let gone = client
        .get_schedule()
        .name("recheck-web-shop")
        .send()
        .await
        .expect_err("deleted after firing");
    assert!(gone.into_service_error().is_resource_not_found_exception());

    child.kill().await.expect("stopped");
}
