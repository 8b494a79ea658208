//! Limits and overload: an oversized body, too many pollers (per activity and in all), too
//! many requests at once and a body that never arrives are each answered at once in AWS's
//! shape; at shutdown, waiting polls answer empty.
mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use serde_json::{json, Value};
use stepwise::serve::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn poll(t: &TestServer, activity: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let request = hyper::Request::post(format!("{}/", t.endpoint))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AWSStepFunctions.GetActivityTask")
        .body(Full::new(Bytes::from(json!({ "activityArn": activity }).to_string())))
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    tokio::spawn(async move {
        use http_body_util::BodyExt;
        let response = client.request(request).await.expect("poll answered");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap())
    })
}

/// Waits until the engine-facing gate counts `n` waiting polls (seen through throttling
/// of one more request would race; a short settle is enough on loopback).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_in_aws_shape() {
    let t = TestServer::start().await;
    let big = "x".repeat(2 * 1024 * 1024 + 1);
    let request = hyper::Request::post(format!("{}/", t.endpoint))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AWSStepFunctions.CreateActivity")
        .body(Full::new(Bytes::from(big)))
        .unwrap();
    let (status, body) = t.send_raw(request).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["__type"], json!("RequestEntityTooLargeException"), "{body}");
    // Under the limit, the operation's own rules answer (a 256 KiB input is AWS's bound).
    let (status, _) = t.raw("ListActivities", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_pollers_and_shutdown_ends_them() {
    let mut options = ServeOptions::default();
    options.http.max_long_polls_per_activity = 2;
    options.http.max_long_polls = 3;
    let t = TestServer::start_with(options).await;
    let a = t.create_activity(&unique("a")).await;
    let b = t.create_activity(&unique("b")).await;
    let c = t.create_activity(&unique("c")).await;
    let waiting = vec![poll(&t, &a), poll(&t, &a)];
    settle().await;
    let answer = t.raw("GetActivityTask", json!({ "activityArn": a })).await;
    assert_eq!(answer.1["__type"], json!("ActivityWorkerLimitExceeded"), "{}", answer.1);
    assert_eq!(answer.0, 400);
    let mut waiting = waiting;
    waiting.push(poll(&t, &b));
    settle().await;
    let answer = t.raw("GetActivityTask", json!({ "activityArn": c })).await;
    t.assert_raw_error(&answer, "ThrottlingException", "Rate exceeded");

    // Shutdown answers every waiting poll at once, empty, well before its minute.
    let started = std::time::Instant::now();
    t.server.shutdown();
    for p in waiting {
        let (status, body) = bounded("poll at shutdown", p).await.unwrap();
        assert_eq!((status, body), (200, json!({})));
    }
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_throttled_not_queued() {
    let mut options = ServeOptions::default();
    options.http.max_concurrent_requests = 2;
    let t = TestServer::start_with(options).await;
    let a = t.create_activity(&unique("a")).await;
    let waiting = [poll(&t, &a), poll(&t, &a)];
    settle().await;
    let answer = t.raw("ListActivities", json!({})).await;
    t.assert_raw_error(&answer, "ThrottlingException", "Rate exceeded");
    t.server.shutdown();
    for p in waiting {
        assert_eq!(bounded("poll", p).await.unwrap().0, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_comes_times_out() {
    let mut options = ServeOptions::default();
    options.http.request_timeout = 1;
    let t = TestServer::start_with(options).await;
    let mut stream = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\nContent-Length: 100\r\n\r\n{{",
        t.server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("RequestTimeoutException"), "{text}");
}
