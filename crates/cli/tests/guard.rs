//! Safe by default: foreign `Host` names (DNS rebinding), browsers' cross-site requests and
//! state-changing GETs are refused in AWS's JSON shape; `--allowed-host` and `--cors-origin`
//! open what the user asks for, with CORS answers for allowed origins.
mod common;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use serde_json::json;
use stepwise::serve::ServeOptions;

fn post(t: &TestServer, op: &str, headers: &[(&str, &str)]) -> hyper::Request<Full<Bytes>> {
    let mut request = hyper::Request::post(format!("{}/", t.endpoint))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("AWSStepFunctions.{op}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Full::new(Bytes::from_static(b"{}"))).unwrap()
}

fn get(t: &TestServer, query: &str, headers: &[(&str, &str)]) -> hyper::Request<Full<Bytes>> {
    let mut request = hyper::Request::get(format!("{}/?{query}", t.endpoint));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Full::new(Bytes::new())).unwrap()
}

#[track_caller]
fn assert_refused(answer: &(u16, serde_json::Value), code: &str, status: u16) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["__type"], json!(code), "{}", answer.1);
    assert!(answer.1["message"].is_string(), "{}", answer.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_is_refused_unless_allowed() {
    let t = TestServer::start().await;
    let answer =
        t.send_raw(post(&t, "ListActivities", &[("host", "rebind.evil.example:8083")])).await;
    assert_refused(&answer, "AccessDeniedException", 403);
    for host in ["localhost:8083", "127.0.0.1", "[::1]:1", "sync-127.0.0.1:8083"] {
        let (status, body) = t.send_raw(post(&t, "ListActivities", &[("host", host)])).await;
        assert_eq!(status, 200, "{host}: {body}");
    }

    let mut options = ServeOptions::default();
    options.http.allowed_hosts = vec!["stepwise.internal".into()];
    let t = TestServer::start_with(options).await;
    let (status, body) =
        t.send_raw(post(&t, "ListActivities", &[("host", "stepwise.internal:8083")])).await;
    assert_eq!(status, 200, "{body}");
    let answer = t.send_raw(post(&t, "ListActivities", &[("host", "other.internal")])).await;
    assert_refused(&answer, "AccessDeniedException", 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_browser_requests_are_refused() {
    let t = TestServer::start().await;
    // A page's fetch() from another origin, and an <img>'s GET (no Origin).
    let answer =
        t.send_raw(post(&t, "ListActivities", &[("origin", "https://evil.example")])).await;
    assert_refused(&answer, "AccessDeniedException", 403);
    let name = unique("from-img");
    let query = format!("Action=ListActivities&x={name}");
    let answer = t.send_raw(get(&t, &query, &[("sec-fetch-site", "cross-site")])).await;
    assert_refused(&answer, "AccessDeniedException", 403);
    // The preflight is refused too, with no CORS headers.
    let preflight = hyper::Request::builder()
        .method("OPTIONS")
        .uri(format!("{}/", t.endpoint))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let answer = t.send_raw(preflight).await;
    assert_refused(&answer, "AccessDeniedException", 403);
    // A user typing the URL (Sec-Fetch-Site: none) and tools without these headers pass.
    let (status, body) =
        t.send_raw(get(&t, "Action=ListActivities", &[("sec-fetch-site", "none")])).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_gets_cors_answers() {
    let mut options = ServeOptions::default();
    options.http.cors_origins = vec!["http://localhost:3000".into()];
    let t = TestServer::start_with(options).await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let preflight = hyper::Request::builder()
        .method("OPTIONS")
        .uri(format!("{}/", t.endpoint))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, x-amz-target")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = bounded("preflight", client.request(preflight)).await.unwrap();
    assert_eq!(response.status(), 204);
    let h = response.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
    assert!(h["access-control-allow-headers"].to_str().unwrap().contains("x-amz-target"));
    assert!(h["access-control-allow-methods"].to_str().unwrap().contains("POST"));

    let request = post(&t, "ListActivities", &[("origin", "http://localhost:3000")]);
    let response = bounded("allowed origin", client.request(request)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "http://localhost:3000");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        json!({"activities": []})
    );
    // Another origin is still refused.
    let answer =
        t.send_raw(post(&t, "ListActivities", &[("origin", "http://localhost:4000")])).await;
    assert_refused(&answer, "AccessDeniedException", 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_changes_state_only_for_the_seeds_operations() {
    let t = TestServer::start().await;
    let name = unique("by-get");
    let answer = t.send_raw(get(&t, &format!("Action=CreateActivity&name={name}"), &[])).await;
    t.assert_raw_error(
        &answer,
        "InvalidAction",
        "CreateActivity changes state and is not accepted with GET: send it with POST (GET takes the read operations and GetActivityTask, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat)",
    );
    let listed = t.raw_ok("ListActivities", json!({})).await;
    assert_eq!(listed, json!({"activities": []}), "nothing was created");
    let machine = t.create_state_machine(&unique("m"), BASE_PASS_RESULT).await;
    for query in [
        format!("Action=DeleteStateMachine&stateMachineArn={machine}"),
        format!("Action=StartExecution&stateMachineArn={machine}"),
    ] {
        let answer = t.send_raw(get(&t, &query, &[])).await;
        assert_refused(&answer, "InvalidAction", 400);
    }
    // Also with the JSON protocol's header on a GET.
    let request = hyper::Request::get(format!("{}/", t.endpoint))
        .header("x-amz-target", "AWSStepFunctions.DeleteStateMachine")
        .body(Full::new(Bytes::from(json!({"stateMachineArn": machine}).to_string())))
        .unwrap();
    assert_refused(&t.send_raw(request).await, "InvalidAction", 400);
    t.raw_ok("DescribeStateMachine", json!({"stateMachineArn": machine})).await;
    // Reads stay open to GET.
    let (status, body) = t
        .send_raw(get(&t, &format!("Action=DescribeStateMachine&stateMachineArn={machine}"), &[]))
        .await;
    assert_eq!(status, 200, "{body}");
}
