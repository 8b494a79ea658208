//! Activities through the AWS SDK: CRUD, GetActivityTask long polls, task
//! tokens (SendTaskSuccess/Failure/Heartbeat), timeouts, stops, concurrency,
//! dropped polls, and the exact histories AWS records.
mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

const INPUT: &str = r#"{"Value1":"HelloWorld"}"#;

// ----- CRUD -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_describe_list_delete_activity() {
    let t = TestServer::start().await;
    let name = unique("activity");
    let created = t.client.create_activity().name(&name).send().await.unwrap();
    assert_eq!(created.activity_arn(), t.activity_arn(&name));
    let raw = t.raw_ok("CreateActivity", json!({ "name": name })).await;
    assert_eq!(keys(&raw), sorted(&["activityArn", "creationDate"]));
    assert_eq!(raw["activityArn"], json!(t.activity_arn(&name)), "creating again is idempotent");
    let again = t.client.create_activity().name(&name).send().await.unwrap();
    assert_eq!(again.creation_date(), created.creation_date());

    let d = t.client.describe_activity().activity_arn(created.activity_arn()).send().await.unwrap();
    assert_eq!((d.activity_arn(), d.name()), (created.activity_arn(), name.as_str()));
    assert_eq!(d.creation_date(), created.creation_date());

    let names: Vec<String> = (0..3).map(|i| format!("{name}-{i}")).collect();
    for n in &names {
        t.create_activity(n).await;
    }
    let listed = t.client.list_activities().send().await.unwrap();
    assert_eq!(listed.next_token(), None);
    let mine: Vec<&str> = listed
        .activities()
        .iter()
        .map(|a| a.name())
        .filter(|n| names.iter().any(|m| m == n))
        .collect();
    assert_eq!(mine, names);
    let raw = t.raw_ok("ListActivities", json!({})).await;
    assert_eq!(keys(&raw), ["activities"]);
    assert_eq!(keys(&raw["activities"][0]), sorted(&["activityArn", "creationDate", "name"]));
    let page = t.client.list_activities().max_results(2).send().await.unwrap();
    assert_eq!(page.activities().len(), 2);
    let rest = t
        .client
        .list_activities()
        .max_results(2)
        .next_token(page.next_token().expect("token"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.activities().len(), 2);
    assert_eq!(rest.next_token(), None);

    let deleted =
        t.raw_ok("DeleteActivity", json!({ "activityArn": created.activity_arn() })).await;
    assert_eq!(deleted, json!({}));
    t.client
        .delete_activity()
        .activity_arn(created.activity_arn())
        .send()
        .await
        .expect("deleting twice is fine");
    let r = t.client.describe_activity().activity_arn(created.activity_arn()).send().await;
    assert_error(
        r,
        "ActivityDoesNotExist",
        &format!("Activity Does Not Exist: '{}'", created.activity_arn()),
    );
    let r = t.client.describe_activity().activity_arn("no_an_activity_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'");
    let r = t.client.delete_activity().activity_arn("no_an_activity_arn").send().await;
    assert_code(r, "InvalidArn");
    let listed = t.client.list_activities().send().await.unwrap();
    assert!(listed.activities().iter().all(|a| a.name() != name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_names() {
    let t = TestServer::start().await;
    for good in ["activity.name.v2", "a", "A-b_c.d", &format!("{}-{}", "a".repeat(71), "12345678")]
    {
        let arn = t.create_activity(good).await;
        assert_eq!(arn, t.activity_arn(good));
    }
    let mut bad: Vec<String> =
        " <>{}[]?*\"#%\\^|~`$&,;:/".chars().map(|c| format!("activity{c}name")).collect();
    bad.extend(
        ["\u{0}activity", "activity\u{1f}", "activity\u{7f}", "activity\u{85}", ""]
            .map(str::to_owned),
    );
    bad.push("a".repeat(81));
    for name in &bad {
        let r = t.client.create_activity().name(name).send().await;
        assert_error(r, "InvalidName", &format!("Invalid Name: '{name}'"));
    }
    // The raw wire form escapes control characters in the message JSON.
    let answer = t.raw("CreateActivity", json!({ "name": "\u{0}activity" })).await;
    t.assert_raw_error(&answer, "InvalidName", "Invalid Name: '\u{0}activity'");
}

// ----- GetActivityTask and tokens: errors ----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_activity_task_and_token_errors() {
    let t = TestServer::start().await;
    let arn = t.create_activity(&unique("activity")).await;
    t.client.delete_activity().activity_arn(&arn).send().await.unwrap();
    let r =
        bounded("GetActivityTask", t.client.get_activity_task().activity_arn(&arn).send()).await;
    assert_error(r, "ActivityDoesNotExist", &format!("Activity Does Not Exist: '{arn}'"));
    let r = bounded(
        "GetActivityTask",
        t.client.get_activity_task().activity_arn("no_an_activity_arn").send(),
    )
    .await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'");

    for token in ["garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let r = t.client.send_task_success().task_token(token).output("{}").send().await;
        assert_error(r, "InvalidToken", "Invalid Token: 'Invalid token'");
        let r = t.client.send_task_failure().task_token(token).error("E").send().await;
        assert_error(r, "InvalidToken", "Invalid Token: 'Invalid token'");
        let r = t.client.send_task_heartbeat().task_token(token).send().await;
        assert_error(r, "InvalidToken", "Invalid Token: 'Invalid token'");
    }
}

// ----- round trips with exact histories -----------------------------------------

/// Events without timestamps, JSON strings starting with `{` parsed (as the oracle compares).
async fn history(t: &TestServer, exec: &str) -> Vec<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::String(s) if s.starts_with('{') => {
                if let Ok(p) = serde_json::from_str(s) {
                    *v = p;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(o) => o.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut events = t.history_without_timestamps(exec).await;
    events.iter_mut().for_each(walk);
    events
}

fn head_events(activity: &str, scheduled_extra: Value) -> Vec<Value> {
    let mut scheduled = json!({ "resource": activity, "input": { "Value1": "HelloWorld" }, "inputDetails": { "truncated": false } });
    for (k, v) in scheduled_extra.as_object().unwrap() {
        scheduled[k] = v.clone();
    }
    vec![
        json!({"id":1,"previousEventId":0,"type":"ExecutionStarted","executionStartedEventDetails":{"input":{"Value1":"HelloWorld"},"inputDetails":{"truncated":false},"roleArn":ROLE_ARN}}),
        json!({"id":2,"previousEventId":0,"type":"TaskStateEntered","stateEnteredEventDetails":{"name":"ActivityTask","input":{"Value1":"HelloWorld"},"inputDetails":{"truncated":false}}}),
        json!({"id":3,"previousEventId":2,"type":"ActivityScheduled","activityScheduledEventDetails":scheduled}),
    ]
}

fn success_tail(started: Value) -> Vec<Value> {
    vec![
        json!({"id":4,"previousEventId":3,"type":"ActivityStarted","activityStartedEventDetails":started}),
        json!({"id":5,"previousEventId":4,"type":"ActivitySucceeded","activitySucceededEventDetails":{"output":{"Value1":"HelloWorld"},"outputDetails":{"truncated":false}}}),
        json!({"id":6,"previousEventId":5,"type":"TaskStateExited","stateExitedEventDetails":{"name":"ActivityTask","output":{"Value1":"HelloWorld"},"outputDetails":{"truncated":false}}}),
        json!({"id":7,"previousEventId":6,"type":"ExecutionSucceeded","executionSucceededEventDetails":{"output":{"Value1":"HelloWorld"},"outputDetails":{"truncated":false}}}),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_task_round_trip_history() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("BASE_ID_ACTIVITY_CONSUMER")).await;
    assert_eq!(serde_json::from_str::<Value>(&input).unwrap(), json!({ "Value1": "HelloWorld" }));
    let raw = t.raw_ok("SendTaskSuccess", json!({ "taskToken": token, "output": input })).await;
    assert_eq!(raw, json!({}));
    let d = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(
        serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
        json!({ "Value1": "HelloWorld" })
    );

    let mut expected = head_events(&activity, json!({}));
    expected.extend(success_tail(json!({ "workerName": "BASE_ID_ACTIVITY_CONSUMER" })));
    assert_eq!(history(&t, &exec).await, expected);

    // The token of an ended task.
    let r = t.client.send_task_success().task_token(&token).output("{}").send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    let r = t.client.send_task_heartbeat().task_token(&token).send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    let r = t.client.send_task_failure().task_token(&token).send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_task_without_worker_name() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, None).await;
    t.client.send_task_success().task_token(token).output(input).send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let mut expected = head_events(&activity, json!({}));
    expected.extend(success_tail(json!({})));
    assert_eq!(history(&t, &exec).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_task_with_heartbeat_history() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, r#""TimeoutSeconds":60,"HeartbeatSeconds":10,"#).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("BASE_ID_ACTIVITY_CONSUMER")).await;
    let raw = t.raw_ok("SendTaskHeartbeat", json!({ "taskToken": token })).await;
    assert_eq!(raw, json!({}));
    t.client.send_task_success().task_token(&token).output(input).send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let mut expected =
        head_events(&activity, json!({ "heartbeatInSeconds": 10, "timeoutInSeconds": 60 }));
    expected.extend(success_tail(json!({ "workerName": "BASE_ID_ACTIVITY_CONSUMER" })));
    assert_eq!(history(&t, &exec).await, expected, "heartbeats produce no events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_task_failure_history() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("BASE_ID_ACTIVITY_CONSUMER")).await;
    let raw = t
        .raw_ok(
            "SendTaskFailure",
            json!({ "taskToken": token, "error": "Programmatic Error", "cause": input }),
        )
        .await;
    assert_eq!(raw, json!({}));
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!(d.error(), Some("Programmatic Error"));
    assert_eq!(d.cause(), Some(input.as_str()));

    let mut expected = head_events(&activity, json!({}));
    expected.push(json!({"id":4,"previousEventId":3,"type":"ActivityStarted","activityStartedEventDetails":{"workerName":"BASE_ID_ACTIVITY_CONSUMER"}}));
    expected.push(json!({"id":5,"previousEventId":4,"type":"ActivityFailed","activityFailedEventDetails":{"error":"Programmatic Error","cause":{"Value1":"HelloWorld"}}}));
    expected.push(json!({"id":6,"previousEventId":5,"type":"ExecutionFailed","executionFailedEventDetails":{"error":"Programmatic Error","cause":{"Value1":"HelloWorld"}}}));
    assert_eq!(history(&t, &exec).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_task_start_timeout_history() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, r#""TimeoutSeconds":1,"#).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, _input) = t.poll_task(&activity, Some("BASE_ID_ACTIVITY_CONSUMER")).await;
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!((d.error(), d.cause()), (Some("States.Timeout"), None));
    let mut expected = head_events(&activity, json!({ "timeoutInSeconds": 1 }));
    expected.push(json!({"id":4,"previousEventId":3,"type":"ActivityStarted","activityStartedEventDetails":{"workerName":"BASE_ID_ACTIVITY_CONSUMER"}}));
    expected.push(json!({"id":5,"previousEventId":4,"type":"ActivityTimedOut","activityTimedOutEventDetails":{"error":"States.Timeout"}}));
    expected.push(json!({"id":6,"previousEventId":5,"type":"ExecutionFailed","executionFailedEventDetails":{"error":"States.Timeout"}}));
    assert_eq!(history(&t, &exec).await, expected);
    let r = t.client.send_task_success().task_token(&token).output("{}").send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_task_on_deleted_activity() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    t.client.delete_activity().activity_arn(&activity).send().await.unwrap();
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let d = t.wait_for_status(&exec, "FAILED").await;
    let cause = format!("An error occurred while executing the state 'ActivityTask' (entered at the event id #2). The activity {activity} does not exist.");
    assert_eq!((d.error(), d.cause()), (Some("States.Runtime"), Some(cause.as_str())));
    let events = history(&t, &exec).await;
    assert_eq!(events.len(), 3, "{events:#?}");
    assert_eq!(
        events[2],
        json!({"id":3,"previousEventId":2,"type":"ExecutionFailed","executionFailedEventDetails":{"error":"States.Runtime","cause":cause}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_task_success_with_invalid_output_keeps_the_task() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, None).await;
    let r = t.client.send_task_success().task_token(&token).output("not json").send().await;
    assert_code(r, "InvalidOutput");
    // The task is still open: a valid answer completes it.
    t.client.send_task_success().task_token(&token).output(input).send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
}

// ----- heartbeats and timeouts ----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_timeout_fails_the_execution() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, r#""TimeoutSeconds":30,"HeartbeatSeconds":1,"#).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, _) = t.poll_task(&activity, Some("silent-worker")).await;
    // The worker never heartbeats.
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!(d.error(), Some("States.HeartbeatTimeout"));
    let events = history(&t, &exec).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivityTimedOut",
            "ExecutionFailed"
        ]
    );
    assert_eq!(events[2]["activityScheduledEventDetails"]["heartbeatInSeconds"], json!(1));
    assert_eq!(
        events[4]["activityTimedOutEventDetails"]["error"],
        json!("States.HeartbeatTimeout")
    );
    assert_eq!(events[4]["previousEventId"], json!(4));
    assert_eq!(events[5]["executionFailedEventDetails"]["error"], json!("States.HeartbeatTimeout"));
    let r = t.client.send_task_heartbeat().task_token(&token).send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    let r = t.client.send_task_success().task_token(&token).output("{}").send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_task_alive() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, r#""HeartbeatSeconds":1,"#).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("busy-worker")).await;
    // 2.4 s of work, twice the heartbeat interval, heartbeating every 300 ms.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        t.client.send_task_heartbeat().task_token(&token).send().await.expect("task still alive");
    }
    let d = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(d.status().as_str(), "RUNNING");
    t.client.send_task_success().task_token(&token).output(input).send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let types: Vec<String> =
        t.history_summary(&exec).await.into_iter().map(|(_, _, ty)| ty).collect();
    assert!(!types.iter().any(|ty| ty == "ActivityTimedOut"), "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_timeout_without_any_worker() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, r#""TimeoutSeconds":1,"#).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!(d.error(), Some("States.Timeout"));
    let types: Vec<String> =
        t.history_summary(&exec).await.into_iter().map(|(_, _, ty)| ty).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityTimedOut",
            "ExecutionFailed"
        ]
    );
    // The timed-out task is not handed out any more.
    assert_eq!(t.task_within(&activity, Duration::from_millis(200)).await, None);
}

// ----- stops -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_while_a_worker_long_polls() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    // The first execution waits before its task; it is stopped before it gets there.
    let waits_first = format!(
        r#"{{"StartAt":"W","States":{{"W":{{"Type":"Wait","Seconds":30,"Next":"T"}},"T":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}"#
    );
    let slow = t.create_state_machine(&unique("sm"), &waits_first).await;
    let direct = t.activity_machine(&activity, "").await;

    let client = t.client.clone();
    let arn = activity.clone();
    let poller = tokio::spawn(async move {
        client.get_activity_task().activity_arn(arn).worker_name("patient").send().await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopped = t.start_exec(&slow, None, Some(r#"{"n":1}"#)).await;
    t.wait_for_event(&stopped, "WaitStateEntered").await;
    t.client.stop_execution().execution_arn(&stopped).send().await.unwrap();
    t.wait_for_status(&stopped, "ABORTED").await;
    assert!(!poller.is_finished(), "the poll goes on after an unrelated stop");

    // The still-polling worker gets the next execution's task.
    let exec = t.start_exec(&direct, None, Some(r#"{"n":2}"#)).await;
    let got = bounded("the long poll", poller).await.unwrap().unwrap();
    assert_eq!(serde_json::from_str::<Value>(got.input().unwrap()).unwrap(), json!({ "n": 2 }));
    t.client
        .send_task_success()
        .task_token(got.task_token().unwrap())
        .output("{}")
        .send()
        .await
        .unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let h = t.history_json(&exec).await;
    assert_eq!(h[3]["activityStartedEventDetails"], json!({ "workerName": "patient" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_before_delivery_withdraws_the_task() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    t.wait_for_event(&exec, "ActivityScheduled").await;
    t.client.stop_execution().execution_arn(&exec).send().await.unwrap();
    t.wait_for_status(&exec, "ABORTED").await;
    // Nobody gets the task of a stopped execution (the API's poll lasts 60 s: ask the engine for 300 ms).
    assert_eq!(t.task_within(&activity, Duration::from_millis(300)).await, None);
    let summary = t.history_summary(&exec).await;
    assert_eq!(summary.last().unwrap(), &(4, 0, "ExecutionAborted".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_after_delivery_times_out_the_token() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("late-worker")).await;
    t.client.stop_execution().execution_arn(&exec).send().await.unwrap();
    t.wait_for_status(&exec, "ABORTED").await;
    let r = t.client.send_task_success().task_token(&token).output(input).send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    let r = t.client.send_task_heartbeat().task_token(&token).send().await;
    assert_error(r, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    let types: Vec<(i64, i64, String)> = t.history_summary(&exec).await;
    assert_eq!(
        types,
        [
            (1, 0, "ExecutionStarted".to_owned()),
            (2, 0, "TaskStateEntered".to_owned()),
            (3, 2, "ActivityScheduled".to_owned()),
            (4, 3, "ActivityStarted".to_owned()),
            (5, 0, "ExecutionAborted".to_owned()),
        ]
    );
    assert_eq!(
        t.client.describe_execution().execution_arn(&exec).send().await.unwrap().status().as_str(),
        "ABORTED"
    );
}

// ----- concurrency and disconnects --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pollers_each_get_one_distinct_task() {
    const N: usize = 8;
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    let mut pollers = Vec::new();
    for i in 0..N {
        let client = t.client.clone();
        let arn = activity.clone();
        pollers.push(tokio::spawn(async move {
            let out = client
                .get_activity_task()
                .activity_arn(arn)
                .worker_name(format!("worker-{i}"))
                .send()
                .await
                .expect("poll");
            (
                i,
                out.task_token().expect("a task").to_owned(),
                out.input().expect("input").to_owned(),
            )
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut execs = Vec::new();
    for i in 0..N {
        execs.push(
            t.start_exec(&sm, Some(&format!("exec-{i}")), Some(&json!({ "i": i }).to_string()))
                .await,
        );
    }
    let mut tokens = HashSet::new();
    let mut inputs = HashSet::new();
    let mut worker_of_input = Vec::new();
    for p in pollers {
        let (worker, token, input) = bounded("a poller", p).await.unwrap();
        assert!(tokens.insert(token.clone()), "token handed out twice");
        let i = serde_json::from_str::<Value>(&input).unwrap()["i"].as_u64().unwrap() as usize;
        assert!(inputs.insert(i), "task {i} handed out twice");
        worker_of_input.push((i, worker));
        t.client.send_task_success().task_token(token).output(input).send().await.unwrap();
    }
    assert_eq!(inputs.len(), N);
    for (i, worker) in worker_of_input {
        t.wait_for_status(&execs[i], "SUCCEEDED").await;
        let h = t.history_json(&execs[i]).await;
        let started: Vec<&Value> = h.iter().filter(|e| e["type"] == "ActivityStarted").collect();
        assert_eq!(started.len(), 1);
        assert_eq!(
            started[0]["activityStartedEventDetails"]["workerName"],
            json!(format!("worker-{worker}")),
            "worker name recorded"
        );
    }
    assert_eq!(
        t.task_within(&activity, Duration::from_millis(100)).await,
        None,
        "no task left over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_queued_before_pollers() {
    const N: usize = 8;
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    for i in 0..N {
        t.start_exec(&sm, None, Some(&json!({ "i": i }).to_string())).await;
    }
    let mut handles = Vec::new();
    for _ in 0..N {
        let client = t.client.clone();
        let arn = activity.clone();
        handles.push(tokio::spawn(async move {
            client.get_activity_task().activity_arn(arn).send().await.expect("poll")
        }));
    }
    let mut tokens = HashSet::new();
    let mut inputs = HashSet::new();
    for h in handles {
        let out = bounded("a poller", h).await.unwrap();
        assert!(tokens.insert(out.task_token().expect("task").to_owned()));
        assert!(inputs.insert(out.input().unwrap().to_owned()));
    }
    assert_eq!(inputs.len(), N);
}

/// A GetActivityTask request on a raw socket, which the test then closes.
async fn abandoned_poll(t: &TestServer, activity: &str) {
    let body = json!({ "activityArn": activity, "workerName": "vanishing" }).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.GetActivityTask\r\nContent-Length: {}\r\n\r\n{body}",
        t.server.addr,
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.flush().await.unwrap();
    // Let the server register the poll, then hang up.
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(socket);
    tokio::time::sleep(Duration::from_millis(150)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_raw_poll_does_not_swallow_the_task() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    abandoned_poll(&t, &activity).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("survivor")).await;
    t.client.send_task_success().task_token(token).output(input).send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let h = t.history_json(&exec).await;
    let started: Vec<&Value> = h.iter().filter(|e| e["type"] == "ActivityStarted").collect();
    assert_eq!(started.len(), 1, "only the live worker started the task: {h:#?}");
    assert_eq!(started[0]["activityStartedEventDetails"], json!({ "workerName": "survivor" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_sdk_poll_does_not_swallow_the_task() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let sm = t.activity_machine(&activity, "").await;
    // A client of its own, so the abandoned connection is not shared with the next poll.
    let impatient = sdk_client(&t.endpoint);
    let r = tokio::time::timeout(
        Duration::from_millis(200),
        impatient.get_activity_task().activity_arn(&activity).worker_name("impatient").send(),
    )
    .await;
    assert!(r.is_err(), "no task yet, the poll was cut short: {r:?}");
    drop(impatient);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let exec = t.start_exec(&sm, None, Some(INPUT)).await;
    let (token, input) = t.poll_task(&activity, Some("survivor")).await;
    t.client.send_task_success().task_token(token).output(input).send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let h = t.history_json(&exec).await;
    assert_eq!(h[3]["activityStartedEventDetails"], json!({ "workerName": "survivor" }));
}

// ----- retry and catch -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_then_catch_on_send_task_failure() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let def = format!(
        r#"{{"StartAt":"Work","States":{{
            "Work":{{"Type":"Task","Resource":"{activity}",
                "Retry":[{{"ErrorEquals":["CustomError"],"IntervalSeconds":1,"MaxAttempts":1,"BackoffRate":1.0}}],
                "Catch":[{{"ErrorEquals":["CustomError"],"ResultPath":"$.error","Next":"Handled"}}],
                "End":true}},
            "Handled":{{"Type":"Pass","End":true}}}}}}"#
    );
    let sm = t.create_state_machine(&unique("sm"), &def).await;
    let exec = t.start_exec(&sm, None, Some(r#"{"job":7}"#)).await;
    for attempt in 0..2 {
        let (token, input) = t.poll_task(&activity, Some("flaky")).await;
        assert_eq!(
            serde_json::from_str::<Value>(&input).unwrap(),
            json!({ "job": 7 }),
            "attempt {attempt}"
        );
        t.client
            .send_task_failure()
            .task_token(token)
            .error("CustomError")
            .cause(format!("boom {attempt}"))
            .send()
            .await
            .unwrap();
    }
    let d = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(
        serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
        json!({ "job": 7, "error": { "Error": "CustomError", "Cause": "boom 1" } })
    );
    let summary = t.history_summary(&exec).await;
    let types: Vec<&str> = summary.iter().map(|(_, _, ty)| ty.as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivityFailed",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivityFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded",
        ]
    );
    let ids: Vec<i64> = summary.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, (1..=12).collect::<Vec<_>>());
    let events = t.history_json(&exec).await;
    assert_eq!(
        events[4]["activityFailedEventDetails"],
        json!({ "error": "CustomError", "cause": "boom 0" })
    );
    assert_eq!(
        events[7]["activityFailedEventDetails"],
        json!({ "error": "CustomError", "cause": "boom 1" })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncaught_other_error_is_not_retried() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let def = format!(
        r#"{{"StartAt":"Work","States":{{"Work":{{"Type":"Task","Resource":"{activity}",
            "Retry":[{{"ErrorEquals":["CustomError"],"IntervalSeconds":1,"MaxAttempts":3}}],"End":true}}}}}}"#
    );
    let sm = t.create_state_machine(&unique("sm"), &def).await;
    let exec = t.start_exec(&sm, None, None).await;
    let (token, _) = t.poll_task(&activity, None).await;
    t.client.send_task_failure().task_token(token).error("OtherError").send().await.unwrap();
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!((d.error(), d.cause()), (Some("OtherError"), None));
    let events = t.history_json(&exec).await;
    let failed: Vec<&Value> = events.iter().filter(|e| e["type"] == "ActivityFailed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["activityFailedEventDetails"], json!({ "error": "OtherError" }));
}
