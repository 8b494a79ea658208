//! The seed's query form: `GET /?Action=<Op>&param=…` and `POST /` with a
//! form-encoded body, over plain HTTP (hyper), driving activity round trips.
mod common;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use serde_json::{json, Value};

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn query(params: &[(&str, &str)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

async fn get(t: &TestServer, params: &[(&str, &str)]) -> (u16, Value) {
    let request = hyper::Request::get(format!("{}/?{}", t.endpoint, query(params)))
        .body(Full::new(Bytes::new()))
        .unwrap();
    bounded("query-form GET", t.send_raw(request)).await
}

async fn post_form(t: &TestServer, params: &[(&str, &str)]) -> (u16, Value) {
    let request = hyper::Request::post(format!("{}/", t.endpoint))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(query(params))))
        .unwrap();
    bounded("query-form POST", t.send_raw(request)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_query_form_activity_round_trip() {
    let t = TestServer::start().await;
    let name = unique("activity");
    // CreateActivity changes state outside the seed's GET operations: it takes POST.
    let (status, created) = post_form(&t, &[("Action", "CreateActivity"), ("name", &name)]).await;
    assert_eq!(status, 200, "{created}");
    let activity = created["activityArn"].as_str().unwrap().to_owned();
    assert_eq!(activity, t.activity_arn(&name));
    let sm = t.activity_machine(&activity, r#""HeartbeatSeconds":30,"#).await;
    let exec = t.start_exec(&sm, None, Some(r#"{"Value1":"HelloWorld"}"#)).await;

    let (status, task) = get(
        &t,
        &[
            ("Action", "GetActivityTask"),
            ("activityArn", &activity),
            ("workerName", "query-worker"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(keys(&task), sorted(&["input", "taskToken"]));
    let token = task["taskToken"].as_str().unwrap().to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(task["input"].as_str().unwrap()).unwrap(),
        json!({ "Value1": "HelloWorld" })
    );

    let (status, hb) = get(&t, &[("Action", "SendTaskHeartbeat"), ("taskToken", &token)]).await;
    assert_eq!((status, hb), (200, json!({})));
    let output = r#"{"answer": "forty two & more", "n": [1, 2]}"#;
    let (status, ok) =
        get(&t, &[("Action", "SendTaskSuccess"), ("taskToken", &token), ("output", output)]).await;
    assert_eq!((status, ok), (200, json!({})));

    let d = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(
        serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
        json!({ "answer": "forty two & more", "n": [1, 2] })
    );
    let h = t.history_json(&exec).await;
    assert_eq!(h[3]["activityStartedEventDetails"], json!({ "workerName": "query-worker" }));

    // The token is spent; errors keep AWS's JSON shape.
    let answer =
        get(&t, &[("Action", "SendTaskSuccess"), ("taskToken", &token), ("output", "{}")]).await;
    t.assert_raw_error(
        &answer,
        "TaskTimedOut",
        "Task Timed Out: 'Provided task does not exist anymore'",
    );
    let answer = get(&t, &[("Action", "SendTaskHeartbeat"), ("taskToken", "made-up")]).await;
    t.assert_raw_error(&answer, "InvalidToken", "Invalid Token: 'Invalid token'");

    // Reads work too.
    let (status, described) =
        get(&t, &[("Action", "DescribeExecution"), ("executionArn", &exec)]).await;
    assert_eq!((status, described["status"].clone()), (200, json!("SUCCEEDED")));
    let (status, history) = get(
        &t,
        &[
            ("Action", "GetExecutionHistory"),
            ("executionArn", &exec),
            ("reverseOrder", "true"),
            ("maxResults", "2"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let ids: Vec<i64> =
        history["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [7, 6]);
    assert!(history["nextToken"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_form_activity_failure_round_trip() {
    let t = TestServer::start().await;
    let name = unique("activity");
    let (status, created) = post_form(&t, &[("Action", "CreateActivity"), ("name", &name)]).await;
    assert_eq!(status, 200, "{created}");
    let activity = created["activityArn"].as_str().unwrap().to_owned();
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(r#"{"job":1}"#)).await;

    let (status, task) = post_form(
        &t,
        &[("Action", "GetActivityTask"), ("activityArn", &activity), ("workerName", "form-worker")],
    )
    .await;
    assert_eq!(status, 200, "{task}");
    let token = task["taskToken"].as_str().unwrap().to_owned();
    let (status, failed) = post_form(
        &t,
        &[
            ("Action", "SendTaskFailure"),
            ("taskToken", &token),
            ("error", "Worker.Error"),
            ("cause", "it broke: 100% sure"),
        ],
    )
    .await;
    assert_eq!((status, failed), (200, json!({})));
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!((d.error(), d.cause()), (Some("Worker.Error"), Some("it broke: 100% sure")));
    let h = t.history_json(&exec).await;
    assert_eq!(h[3]["activityStartedEventDetails"], json!({ "workerName": "form-worker" }));
    assert_eq!(
        h[4]["activityFailedEventDetails"],
        json!({ "error": "Worker.Error", "cause": "it broke: 100% sure" })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_form_success_and_action_in_query() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(r#"{"x":1}"#)).await;
    // Action in the query string, the rest in the form body.
    let request = hyper::Request::post(format!("{}/?Action=GetActivityTask", t.endpoint))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(query(&[("activityArn", &activity)]))))
        .unwrap();
    let (status, task) = bounded("GetActivityTask", t.send_raw(request)).await;
    assert_eq!(status, 200, "{task}");
    let token = task["taskToken"].as_str().unwrap().to_owned();
    let (status, ok) = post_form(
        &t,
        &[("Action", "SendTaskSuccess"), ("taskToken", &token), ("output", r#"{"done":true}"#)],
    )
    .await;
    assert_eq!((status, ok), (200, json!({})));
    let d = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(
        serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
        json!({ "done": true })
    );
    // Without a worker name, ActivityStarted has empty details.
    let h = t.history_json(&exec).await;
    assert_eq!(h[3]["activityStartedEventDetails"], json!({}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_form_errors() {
    let t = TestServer::start().await;
    let answer =
        get(&t, &[("Action", "DescribeActivity"), ("activityArn", "no_an_activity_arn")]).await;
    t.assert_raw_error(
        &answer,
        "InvalidArn",
        "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'",
    );
    let missing = t.activity_arn("nope");
    let answer = get(&t, &[("Action", "GetActivityTask"), ("activityArn", &missing)]).await;
    t.assert_raw_error(
        &answer,
        "ActivityDoesNotExist",
        &format!("Activity Does Not Exist: '{missing}'"),
    );
    let answer = post_form(&t, &[("Action", "SendTaskFailure"), ("taskToken", "made-up")]).await;
    t.assert_raw_error(&answer, "InvalidToken", "Invalid Token: 'Invalid token'");
    let (status, body) = get(&t, &[("NoAction", "x")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&t, &[("Action", "NoSuchOperation")]).await;
    assert_eq!(status, 400, "{body}");
}
