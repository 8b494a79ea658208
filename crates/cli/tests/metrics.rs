//! `GET /metrics`, request ids and JSON logs: executions that succeed, fail, are aborted
//! and time out, and activity tasks that succeed and fail, move AWS's CloudWatch metrics
//! by exactly as much, labelled by state machine and activity; every response carries its
//! own `x-amzn-RequestId`; `--log-format json` writes one JSON object a line, with the id.
mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_sfn::operation::RequestId as _;
use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use stepwise::serve::{ServeOptions, StoreKind};

/// The metrics text at `endpoint`, with the answer's content type.
async fn scrape(endpoint: &str) -> String {
    let client = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response =
        client.get(format!("{endpoint}/metrics").parse().unwrap()).await.expect("GET /metrics");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// A sample's name, labels and value.
type Sample<'a> = (&'a str, Vec<(String, String)>, f64);

/// The labels of a sample line `name{k="v",…} value`, and its value.
fn parse_sample(line: &str) -> Option<Sample<'_>> {
    if line.starts_with('#') || line.is_empty() {
        return None;
    }
    let (series, value) = line.rsplit_once(' ')?;
    let value = value.parse().ok()?;
    let Some((name, labels)) = series.split_once('{') else {
        return Some((series, Vec::new(), value));
    };
    let labels = labels.strip_suffix('}')?;
    let mut out = Vec::new();
    let mut rest = labels;
    while let Some((key, after)) = rest.split_once("=\"") {
        let end = after.find('"')?;
        out.push((key.trim_start_matches(',').to_owned(), after[..end].to_owned()));
        rest = &after[end + 1..];
    }
    Some((name, out, value))
}

/// The sum of the samples of `name` whose labels include all of `labels` (0 if none).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter_map(parse_sample)
        .filter(|(n, have, _)| {
            *n == name && labels.iter().all(|(k, v)| have.iter().any(|(hk, hv)| hk == k && hv == v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

/// The nested-execution integration's Resource.
const NESTED: &str = "arn:aws:states:::states:startExecution";
const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
const FAIL: &str =
    r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"on purpose"}}}"#;
const WAIT: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#;
const TIMES_OUT: &str =
    r#"{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_metrics_move_by_exactly_what_ran() {
    let dir = tempfile::tempdir().unwrap();
    let t = TestServer::start_with(ServeOptions {
        store: StoreKind::Sqlite,
        data_dir: dir.path().to_owned(),
        ..ServeOptions::default()
    })
    .await;
    let before = scrape(&t.endpoint).await;
    let starts_before = sample(
        &before,
        "stepwise_requests_total",
        &[("operation", "StartExecution"), ("status", "200")],
    );

    let pass = t.create_state_machine(&unique("m-pass"), PASS).await;
    let fail = t.create_state_machine(&unique("m-fail"), FAIL).await;
    let wait = t.create_state_machine(&unique("m-wait"), WAIT).await;
    let times_out = t.create_state_machine(&unique("m-timeout"), TIMES_OUT).await;
    let activity = t.create_activity(&unique("act")).await;
    let worked = t.activity_machine(&activity, "").await;

    for _ in 0..3 {
        let arn = t.start_exec(&pass, None, None).await;
        t.wait_for_status(&arn, "SUCCEEDED").await;
    }
    for _ in 0..2 {
        let arn = t.start_exec(&fail, None, None).await;
        t.wait_for_status(&arn, "FAILED").await;
    }
    let aborted = t.start_exec(&wait, None, None).await;
    t.client.stop_execution().execution_arn(&aborted).send().await.unwrap();
    t.wait_for_status(&aborted, "ABORTED").await;
    let timed_out = t.start_exec(&times_out, None, None).await;
    // Two activity tasks: one succeeds, one fails.
    let ok = t.start_exec(&worked, None, Some("{}")).await;
    let (token, _) = t.poll_task(&activity, Some("w")).await;
    t.client.send_task_success().task_token(token).output("{}").send().await.unwrap();
    t.wait_for_status(&ok, "SUCCEEDED").await;
    let ko = t.start_exec(&worked, None, Some("{}")).await;
    let (token, _) = t.poll_task(&activity, Some("w")).await;
    t.client.send_task_failure().task_token(token).error("E").send().await.unwrap();
    t.wait_for_status(&ko, "FAILED").await;
    t.wait_for_status(&timed_out, "TIMED_OUT").await;
    // A service integration: a nested execution of its own child machine.
    let child = t.create_state_machine(&unique("m-child"), PASS).await;
    let nested = format!(
        r#"{{"StartAt":"S","States":{{"S":{{"Type":"Task","Resource":"{NESTED}","Parameters":{{"StateMachineArn":"{child}"}},"End":true}}}}}}"#
    );
    let parent = t.create_state_machine(&unique("m-parent"), &nested).await;
    let arn = t.start_exec(&parent, None, None).await;
    t.wait_for_status(&arn, "SUCCEEDED").await;

    let after = scrape(&t.endpoint).await;
    let by = |arn: &str| [("StateMachineArn", arn.to_owned())];
    let count = |name: &str, arn: &str| {
        let labels = by(arn);
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sample(&after, name, &labels)
    };
    assert_eq!(count("ExecutionsStarted", &pass), 3.0, "{after}");
    assert_eq!(count("ExecutionsSucceeded", &pass), 3.0);
    assert_eq!(count("ExecutionsFailed", &pass), 0.0);
    assert_eq!(count("ExecutionTime_count", &pass), 3.0);
    let all = sample(
        &after,
        "ExecutionTime_bucket",
        &[("StateMachineArn", pass.as_str()), ("le", "+Inf")],
    );
    assert_eq!(all, 3.0, "a histogram with buckets: {after}");
    assert_eq!(count("ExecutionsStarted", &fail), 2.0);
    assert_eq!(count("ExecutionsFailed", &fail), 2.0);
    assert_eq!(count("ExecutionsSucceeded", &fail), 0.0);
    assert_eq!(count("ExecutionsStarted", &wait), 1.0);
    assert_eq!(count("ExecutionsAborted", &wait), 1.0);
    assert_eq!(count("ExecutionsTimedOut", &times_out), 1.0);
    let timeout_ms = count("ExecutionTime_sum", &times_out);
    assert!((1000.0..30_000.0).contains(&timeout_ms), "TimeoutSeconds 1: {timeout_ms} ms");
    assert_eq!(count("ExecutionsStarted", &worked), 2.0);
    assert_eq!(count("ExecutionsSucceeded", &worked), 1.0);
    assert_eq!(count("ExecutionsFailed", &worked), 1.0);

    let on_activity = |name: &str| sample(&after, name, &[("ActivityArn", activity.as_str())]);
    assert_eq!(on_activity("ActivitiesScheduled"), 2.0, "{after}");
    assert_eq!(on_activity("ActivitiesStarted"), 2.0);
    assert_eq!(on_activity("ActivitiesSucceeded"), 1.0);
    assert_eq!(on_activity("ActivitiesFailed"), 1.0);
    assert_eq!(on_activity("ActivitiesTimedOut"), 0.0);
    assert_eq!(on_activity("ActivityScheduleTime_count"), 2.0);
    assert_eq!(on_activity("ActivityRunTime_count"), 2.0);
    assert_eq!(on_activity("ActivityTime_count"), 2.0);

    assert_eq!(count("ExecutionsSucceeded", &parent), 1.0);
    assert_eq!(count("ExecutionsStarted", &child), 1.0, "started by the parent's Task");
    let on_service =
        |name: &str| sample(&after, name, &[("ServiceIntegrationResourceArn", NESTED)]);
    // Counts of every test of this binary: only this one calls a service.
    assert_eq!(on_service("ServiceIntegrationsScheduled"), 1.0, "{after}");
    assert_eq!(on_service("ServiceIntegrationsStarted"), 1.0);
    assert_eq!(on_service("ServiceIntegrationsSucceeded"), 1.0);
    assert_eq!(on_service("ServiceIntegrationsFailed"), 0.0);
    assert_eq!(on_service("ServiceIntegrationTime_count"), 1.0);

    // The server's own: this test's ten StartExecution calls (3 + 2 + 1 + 1 + 2 + 1; no other
    // test of this binary starts an execution in this process), commits, gauges.
    let starts = sample(
        &after,
        "stepwise_requests_total",
        &[("operation", "StartExecution"), ("status", "200")],
    );
    assert_eq!(starts - starts_before, 10.0, "{after}");
    assert!(
        sample(
            &after,
            "stepwise_request_duration_seconds_count",
            &[("operation", "StartExecution")]
        ) >= 10.0
    );
    assert!(sample(&after, "stepwise_commit_batches_count", &[]) > 0.0);
    assert!(sample(&after, "stepwise_commit_duration_seconds_count", &[]) > 0.0);
    assert!(sample(&after, "stepwise_wal_frames", &[]) > 0.0, "{after}");
    for gauge in [
        "stepwise_executions_resident",
        "stepwise_executions_parked",
        "stepwise_timers",
        "stepwise_activity_tasks",
        "stepwise_long_polls_waiting",
    ] {
        assert!(after.lines().any(|l| l.starts_with(gauge)), "{gauge} in {after}");
    }
    // Help and type lines, as Prometheus reads them.
    assert!(after.contains("# TYPE ExecutionsStarted counter"), "{after}");
    assert!(after.contains("# TYPE ExecutionTime histogram"), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_its_own_request_id() {
    let t = TestServer::start().await;
    let mut seen = HashSet::new();
    // Through the SDK, which reads the header.
    for _ in 0..5 {
        let out = t.client.list_state_machines().send().await.unwrap();
        let id = out.request_id().expect("x-amzn-RequestId").to_owned();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        assert!(seen.insert(id));
    }
    let error = t.client.describe_activity().activity_arn("nope").send().await.unwrap_err();
    let id = error.request_id().expect("errors carry the id too").to_owned();
    assert!(seen.insert(id));
    // Raw: an unknown operation, a refused Host, and /health.
    let client = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let requests = [
        hyper::Request::post(format!("{}/", t.endpoint))
            .header("x-amz-target", "AWSStepFunctions.MadeUp")
            .body(Full::new(Bytes::from("{}")))
            .unwrap(),
        hyper::Request::post(format!("{}/", t.endpoint))
            .header("host", "evil.example")
            .header("x-amz-target", "AWSStepFunctions.ListActivities")
            .body(Full::new(Bytes::from("{}")))
            .unwrap(),
        hyper::Request::get(format!("{}/health", t.endpoint)).body(Full::default()).unwrap(),
    ];
    for request in requests {
        let response = client.request(request).await.unwrap();
        let id = response.headers()["x-amzn-requestid"].to_str().unwrap().to_owned();
        assert!(seen.insert(id));
    }
}

#[test]
fn json_logs_carry_the_request_id() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--store", "memory", "--bind", "127.0.0.1:0"])
        .args(["--log-format", "json", "--log-level", "debug"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let endpoint = first.trim().strip_prefix("listening on ").expect("the address").to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let id = runtime.block_on(async {
        let client = sdk_client(&endpoint);
        let error = client.describe_activity().activity_arn("nope").send().await.unwrap_err();
        error.request_id().expect("x-amzn-RequestId").to_owned()
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut found = None;
    let mut all = Vec::new();
    while found.is_none() && std::time::Instant::now() < deadline {
        let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) else { continue };
        let parsed: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        if parsed["fields"]["request_id"] == id.as_str() {
            found = Some(parsed.clone());
        }
        all.push(line);
    }
    child.kill().expect("the server is stopped");
    let _ = child.wait();
    let line = found.unwrap_or_else(|| panic!("no log line with request id {id}: {all:#?}"));
    assert_eq!(line["fields"]["operation"], "DescribeActivity", "{line}");
    assert_eq!(line["fields"]["status"], 400, "{line}");
    assert_eq!(line["fields"]["error"], "InvalidArn", "{line}");
    assert!(line["fields"]["latency_ms"].is_number(), "{line}");
    assert!(line["level"].is_string() && line["timestamp"].is_string(), "{line}");
}
