//! Overload (issue 16, item 3): forty clients start executions back to back, without
//! backoff, against a server that handles eight requests at once (`--max-concurrent-
//! requests 8`: five times what it admits). The server answers the excess
//! `ThrottlingException` at once instead of queueing it, its memory stays flat while the
//! load goes on, and every start it acknowledged (HTTP 200) exists and finishes.
//!
//! The figures it prints are in BENCHMARKS.md ("Overload").
mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sfn::error::ProvideErrorMetadata as _;
use aws_sdk_sfn::types::ExecutionStatus;
use common::*;

/// The server's cap on requests in flight.
const CAPACITY: usize = 8;
/// Clients, each with one request in flight at a time: five times the cap.
const CLIENTS: usize = 5 * CAPACITY;
/// How long the load lasts, in two halves whose memory is compared.
const LOAD: Duration = Duration::from_secs(10);

/// A second's Wait then a Pass: every execution is running for a while, with a timer.
const WAIT_THEN_PASS: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#;

/// `VmRSS` and `RssAnon` of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("RssAnon:")?))
}

#[derive(Default)]
struct Tally {
    acknowledged: Vec<String>,
    throttled: u64,
    other: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_times_capacity_throttles_keeps_memory_flat_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--store", "sqlite", "--bind", "127.0.0.1:0", "--log-level", "warn"])
        .args(["--max-concurrent-requests", &CAPACITY.to_string()])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server starts");
    let pid = child.id();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let endpoint = first.trim().strip_prefix("listening on ").expect("the address").to_owned();
    let client = sdk_client(&endpoint);
    let machine = client
        .create_state_machine()
        .name("overload")
        .definition(WAIT_THEN_PASS)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect("create")
        .state_machine_arn;

    // Memory, sampled every 200 ms while the load runs.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            while !done.load(Ordering::SeqCst) {
                if let Some(rss) = rss_kib(pid) {
                    samples.push((started.elapsed(), rss));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            samples
        })
    };
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let mut clients = Vec::new();
    for worker in 0..CLIENTS {
        let client = client.clone();
        let machine = machine.clone();
        let tally = Arc::clone(&tally);
        clients.push(tokio::spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < LOAD {
                n += 1;
                let name = format!("c{worker}-{n}");
                let answer =
                    client.start_execution().state_machine_arn(&machine).name(&name).send().await;
                let mut tally = tally.lock().unwrap();
                match answer {
                    Ok(out) => tally.acknowledged.push(out.execution_arn),
                    Err(e) if e.code() == Some("ThrottlingException") => tally.throttled += 1,
                    Err(e) => tally.other.push(format!("{e:?}")),
                }
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let samples = sampler.join().unwrap();
    let Tally { acknowledged, throttled, other } = std::mem::take(&mut *tally.lock().unwrap());
    assert!(
        other.is_empty(),
        "only throttling may refuse a start: {:?}",
        &other[..other.len().min(3)]
    );
    assert!(throttled > 0, "40 clients against 8 places must be throttled");
    assert!(!acknowledged.is_empty());

    // Memory: the second half of the load holds no more than the first half did, give or
    // take the allocator's slack; growing with the work done would double it.
    let half = LOAD / 2;
    let max_in = |from: Duration, to: Duration, pick: fn(&(u64, u64)) -> u64| {
        samples.iter().filter(|(at, _)| *at >= from && *at < to).map(|(_, r)| pick(r)).max()
    };
    let warm = Duration::from_secs(1);
    let anon_first = max_in(warm, half, |r| r.1).expect("samples in the first half");
    let anon_second = max_in(half, LOAD, |r| r.1).expect("samples in the second half");
    let rss_first = max_in(warm, half, |r| r.0).unwrap();
    let rss_second = max_in(half, LOAD, |r| r.0).unwrap();
    let requests = acknowledged.len() as u64 + throttled;
    eprintln!(
        "overload: {CLIENTS} clients, cap {CAPACITY}, {:.1} s: {requests} StartExecution \
         ({:.0}/s), {} acknowledged ({:.0}/s), {throttled} throttled ({:.0}%); \
         VmRSS max {rss_first} KiB (1st half) / {rss_second} KiB (2nd half); \
         RssAnon max {anon_first} / {anon_second} KiB",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        acknowledged.len(),
        acknowledged.len() as f64 / elapsed.as_secs_f64(),
        throttled as f64 * 100.0 / requests as f64,
    );
    assert!(
        anon_second <= anon_first + anon_first / 4 + 8 * 1024,
        "memory grew under overload: {anon_first} KiB then {anon_second} KiB"
    );

    // Every acknowledged start exists and finishes.
    let wanted: HashSet<String> = acknowledged.into_iter().collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut succeeded = HashSet::new();
        let mut pages = client
            .list_executions()
            .state_machine_arn(&machine)
            .status_filter(ExecutionStatus::Succeeded)
            .max_results(1000)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("ListExecutions");
            succeeded.extend(page.executions.into_iter().map(|e| e.execution_arn));
        }
        let missing = wanted.difference(&succeeded).count();
        if missing == 0 {
            assert_eq!(succeeded.len(), wanted.len(), "no execution the server refused ran");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} acknowledged executions had not succeeded after 120 s",
            wanted.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The metrics scraped after the load say the same, exactly.
    let text = scrape(&endpoint).await;
    let acknowledged = wanted.len() as f64;
    let started = format!("ExecutionsStarted{{StateMachineArn=\"{machine}\"}}");
    let succeeded = format!("ExecutionsSucceeded{{StateMachineArn=\"{machine}\"}}");
    let refused = "stepwise_requests_total{operation=\"StartExecution\",status=\"400\",error=\"ThrottlingException\"}";
    assert_eq!(value(&text, &started), acknowledged, "{text}");
    assert_eq!(value(&text, &succeeded), acknowledged, "{text}");
    assert_eq!(value(&text, refused), throttled as f64, "{text}");
    child.kill().expect("the server is stopped");
    let _ = child.wait();
}

/// `GET /metrics` of the server at `endpoint`.
async fn scrape(endpoint: &str) -> String {
    use http_body_util::BodyExt as _;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let response = client.get(format!("{endpoint}/metrics").parse().unwrap()).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// The value of the sample `series` (name and labels as rendered), 0 if absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series)?.trim().parse().ok()).unwrap_or(0.0)
}
