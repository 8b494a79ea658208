//! `RedriveExecution` through aws-sdk-sfn: a failed, aborted or timed-out Standard
//! execution runs again under its ARN from where it stopped, with its history continued
//! (`ExecutionRedriven`), `redriveCount`/`redriveStatus`/`redriveDate` in DescribeExecution
//! and ListExecutions (`redriveFilter`), `$$.Execution.RedriveCount`, inline Map
//! iterations redriven alone, `clientToken` idempotency, AWS's refusals, and durability
//! across restarts.
mod common;

use std::time::Duration;

use aws_sdk_sfn::types::{ExecutionRedriveFilter, ExecutionRedriveStatus, StateMachineType};
use common::*;
use serde_json::{json, Value};
use stepwise::serve::{ServeOptions, StoreKind};

/// Prep (a Pass) then one activity Task whose input shows `$$.Execution.RedriveCount`.
fn task_machine(activity: &str, extra: &str) -> String {
    json!({
        "StartAt": "Prep",
        "States": {
            "Prep": { "Type": "Pass", "Result": { "v": 7 }, "Next": "Work" },
            "Work": {
                "Type": "Task",
                "Resource": activity,
                "Parameters": { "v.$": "$.v", "redrives.$": "$$.Execution.RedriveCount" },
                "End": true
            }
        }
    })
    .to_string()
    .replacen("\"States\"", &format!("{extra}\"States\""), 1)
}

async fn redrive(
    t: &TestServer,
    exec: &str,
    token: Option<&str>,
) -> aws_sdk_sfn::primitives::DateTime {
    let out = t
        .client
        .redrive_execution()
        .execution_arn(exec)
        .set_client_token(token.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("RedriveExecution {exec}: {e:?}"));
    *out.redrive_date()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().expect("type")).collect()
}

/// A worker fails the task; the execution is redriven from that Task (Prep does not run
/// again) and a worker succeeds it: the same ARN ends SUCCEEDED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_task_redriven_to_success() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("act")).await;
    let sm = t.create_state_machine(&unique("redrive"), &task_machine(&activity, "")).await;
    let exec = t.start_exec(&sm, None, Some(r#"{"in":1}"#)).await;
    let other = t.start_exec(&sm, None, None).await;

    let (token, input) = t.poll_task(&activity, Some("w1")).await;
    assert_eq!(serde_json::from_str::<Value>(&input).unwrap(), json!({"v": 7, "redrives": 0}));
    t.client
        .send_task_failure()
        .task_token(token)
        .error("Boom")
        .cause("first try")
        .send()
        .await
        .unwrap();
    let failed = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!(failed.redrive_count(), Some(0));
    assert_eq!(failed.redrive_status(), Some(&ExecutionRedriveStatus::Redrivable));
    assert_eq!(failed.redrive_status_reason(), None);
    assert!(failed.redrive_date().is_none());

    let date = redrive(&t, &exec, None).await;
    let running = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(running.status().as_str(), "RUNNING");
    assert_eq!(running.redrive_count(), Some(1));
    assert_eq!(running.redrive_date(), Some(&date));
    assert_eq!(running.redrive_status(), Some(&ExecutionRedriveStatus::NotRedrivable));
    assert_eq!(
        running.redrive_status_reason(),
        Some("Execution is RUNNING and cannot be redriven")
    );
    assert!(running.error().is_none() && running.stop_date().is_none());

    let (token, input) = t.poll_task(&activity, Some("w2")).await;
    // The other execution's task may come first: answer it and poll again.
    let (token, input) = if input.contains("\"redrives\":0") {
        t.client.send_task_success().task_token(token).output("{}").send().await.unwrap();
        t.poll_task(&activity, Some("w2")).await
    } else {
        (token, input)
    };
    assert_eq!(serde_json::from_str::<Value>(&input).unwrap(), json!({"v": 7, "redrives": 1}));
    t.client.send_task_success().task_token(token).output(r#"{"done":true}"#).send().await.unwrap();
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.execution_arn(), exec);
    assert_eq!(done.output(), Some(r#"{"done":true}"#));
    assert_eq!(done.redrive_count(), Some(1));
    assert_eq!(done.redrive_status_reason(), Some("Execution is SUCCEEDED and cannot be redriven"));

    let events = t.history_json(&exec).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivityFailed",
            "ExecutionFailed",
            "ExecutionRedriven",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded",
        ]
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i + 1), "ids increase by one: {e}");
    }
    assert_eq!(events[8]["executionRedrivenEventDetails"], json!({ "redriveCount": 1 }));
    assert_eq!(events[8]["previousEventId"], json!(8));
    assert_eq!(events[9]["previousEventId"], json!(9), "the state re-entered follows the redrive");
    assert_eq!(events[9]["stateEnteredEventDetails"]["input"], json!(r#"{"v":7}"#));

    // ListExecutions: redriveCount and redriveDate, and the redriveFilter.
    let list = |filter: Option<ExecutionRedriveFilter>| {
        let t = &t;
        let sm = sm.clone();
        async move {
            let out = t
                .client
                .list_executions()
                .state_machine_arn(sm)
                .set_redrive_filter(filter)
                .send()
                .await
                .unwrap();
            out.executions()
                .iter()
                .map(|e| {
                    (e.execution_arn().to_owned(), e.redrive_count(), e.redrive_date().cloned())
                })
                .collect::<Vec<_>>()
        }
    };
    let all = list(None).await;
    assert_eq!(all.len(), 2);
    assert!(all.contains(&(exec.clone(), Some(1), Some(date))));
    assert!(all.contains(&(other.clone(), Some(0), None)));
    assert_eq!(
        list(Some(ExecutionRedriveFilter::Redriven)).await,
        [(exec.clone(), Some(1), Some(date))]
    );
    assert_eq!(
        list(Some(ExecutionRedriveFilter::NotRedriven)).await,
        [(other.clone(), Some(0), None)]
    );
    let bad = t
        .raw("ListExecutions", json!({ "stateMachineArn": sm, "redriveFilter": "SOMETIMES" }))
        .await;
    t.assert_raw_error(
        &bad,
        "ValidationException",
        "1 validation error detected: Value 'SOMETIMES' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]",
    );
    // The raw answer: `redriveDate` is epoch seconds.
    let raw = t.raw_ok("DescribeExecution", json!({ "executionArn": exec })).await;
    assert!(raw["redriveDate"].is_number(), "{raw}");
    assert_eq!(raw["redriveCount"], json!(1));
}

/// An inline Map over five items whose third iteration fails: the redrive runs that
/// iteration alone, and the four that succeeded keep their results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_map_redrives_only_the_failed_iteration() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("map-act")).await;
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": { "Mode": "INLINE" },
                    "StartAt": "Work",
                    "States": { "Work": { "Type": "Task", "Resource": activity, "End": true } }
                },
                "End": true
            }
        }
    })
    .to_string();
    let sm = t.create_state_machine(&unique("map-redrive"), &definition).await;
    let exec = t.start_exec(&sm, None, Some(r#"{"items":[1,2,3,4,5]}"#)).await;

    // Four iterations succeed (answering with their item times ten); then the third fails.
    let mut third = None;
    for _ in 0..5 {
        let (token, input) = t.poll_task(&activity, None).await;
        let item: i64 = input.parse().expect("the item is the task's input");
        if item == 3 {
            third = Some(token);
        } else {
            let output = (item * 10).to_string();
            t.client.send_task_success().task_token(token).output(output).send().await.unwrap();
        }
    }
    t.wait_for_event(&exec, "MapIterationSucceeded").await;
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    while t
        .history_json(&exec)
        .await
        .iter()
        .filter(|e| e["type"] == "MapIterationSucceeded")
        .count()
        < 4
    {
        assert!(tokio::time::Instant::now() < deadline, "four iterations succeed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let third = third.expect("the third item's task");
    t.client.send_task_failure().task_token(third).error("ItemFailed").send().await.unwrap();
    let failed = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!(failed.error(), Some("ItemFailed"));
    let before = t.history_json(&exec).await.len();

    redrive(&t, &exec, None).await;
    let (token, input) = t.poll_task(&activity, None).await;
    assert_eq!(input, "3", "only the third iteration runs again");
    assert!(
        t.task_within(&activity, Duration::from_millis(300)).await.is_none(),
        "no other iteration is scheduled"
    );
    t.client.send_task_success().task_token(token).output("30").send().await.unwrap();
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.execution_arn(), exec);
    assert_eq!(done.output(), Some("[10,20,30,40,50]"));

    let events = t.history_json(&exec).await;
    assert_eq!(
        types(&events[before..]),
        [
            "ExecutionRedriven",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "MapIterationSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded",
        ]
    );
    assert_eq!(events[before + 6]["mapIterationSucceededEventDetails"]["index"], json!(2));
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i + 1), "ids increase by one: {e}");
    }
}

/// A Parallel state whose second branch fails: the first branch's result is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_redrives_only_the_failed_branch() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("par-act")).await;
    let definition = json!({
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    { "StartAt": "A", "States": { "A": { "Type": "Pass", "Result": "a", "End": true } } },
                    { "StartAt": "B", "States": { "B": { "Type": "Task", "Resource": activity, "End": true } } }
                ],
                "End": true
            }
        }
    })
    .to_string();
    let sm = t.create_state_machine(&unique("par-redrive"), &definition).await;
    let exec = t.start_exec(&sm, None, None).await;
    let (token, _) = t.poll_task(&activity, None).await;
    t.client.send_task_failure().task_token(token).error("BranchFailed").send().await.unwrap();
    t.wait_for_status(&exec, "FAILED").await;
    let before = t.history_json(&exec).await;
    assert_eq!(before.iter().filter(|e| e["type"] == "PassStateEntered").count(), 1);

    redrive(&t, &exec, None).await;
    let (token, _) = t.poll_task(&activity, None).await;
    t.client.send_task_success().task_token(token).output(r#""b""#).send().await.unwrap();
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.output(), Some(r#"["a","b"]"#));
    let after = t.history_json(&exec).await;
    assert_eq!(after.iter().filter(|e| e["type"] == "PassStateEntered").count(), 1, "A ran once");
}

/// Aborted and timed-out executions are redriven too; a redrive's TimeoutSeconds counts
/// from the redrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_and_timed_out_executions_are_redriven() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("stop-act")).await;
    let sm = t.create_state_machine(&unique("stopped"), &task_machine(&activity, "")).await;
    let exec = t.start_exec(&sm, None, None).await;
    t.poll_task(&activity, None).await;
    t.client.stop_execution().execution_arn(&exec).error("Stop").send().await.unwrap();
    let aborted = t.wait_for_status(&exec, "ABORTED").await;
    assert_eq!(aborted.redrive_status(), Some(&ExecutionRedriveStatus::Redrivable));
    redrive(&t, &exec, None).await;
    let (token, _) = t.poll_task(&activity, None).await;
    t.client.send_task_success().task_token(token).output("1").send().await.unwrap();
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let events = t.history_json(&exec).await;
    let aborted_at = events.iter().position(|e| e["type"] == "ExecutionAborted").unwrap();
    assert_eq!(events[aborted_at + 1]["type"], "ExecutionRedriven");

    let timed = t
        .create_state_machine(&unique("timed"), &task_machine(&activity, r#""TimeoutSeconds":1,"#))
        .await;
    let exec = t.start_exec(&timed, None, None).await;
    t.poll_task(&activity, None).await;
    t.wait_for_status(&exec, "TIMED_OUT").await;
    redrive(&t, &exec, None).await;
    let (token, _) = t.poll_task(&activity, None).await;
    t.client.send_task_success().task_token(token).output("2").send().await.unwrap();
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.output(), Some("2"));
}

/// The same `clientToken` answers the same redrive (even while it runs); another token
/// is refused while the execution runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_token_makes_a_redrive_idempotent() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("tok-act")).await;
    let sm = t.create_state_machine(&unique("tok"), &task_machine(&activity, "")).await;
    let exec = t.start_exec(&sm, None, None).await;
    let (token, _) = t.poll_task(&activity, None).await;
    t.client.send_task_failure().task_token(token).send().await.unwrap();
    t.wait_for_status(&exec, "FAILED").await;

    let first = redrive(&t, &exec, Some("token-1")).await;
    let again = redrive(&t, &exec, Some("token-1")).await;
    assert_eq!(first, again, "the same redrive is answered");
    let other =
        t.client.redrive_execution().execution_arn(&exec).client_token("token-2").send().await;
    assert_error(other, "ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven");
    let described = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(described.redrive_count(), Some(1), "redriven once");
    let redriven =
        t.history_json(&exec).await.iter().filter(|e| e["type"] == "ExecutionRedriven").count();
    assert_eq!(redriven, 1);

    let long = "x".repeat(65);
    let refused =
        t.client.redrive_execution().execution_arn(&exec).client_token(&long).send().await;
    assert_error(
        refused,
        "ValidationException",
        &format!("1 validation error detected: Value '{long}' at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64"),
    );
}

/// AWS's refusals: succeeded, running, unknown, malformed, Express, and a history with no
/// room for a redrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_redriven_is_refused() {
    let t = TestServer::start().await;
    let sm = t.create_state_machine(&unique("ok"), BASE_PASS_RESULT).await;
    let done = t.start_exec(&sm, None, None).await;
    t.wait_for_status(&done, "SUCCEEDED").await;
    let r = t.client.redrive_execution().execution_arn(&done).send().await;
    assert_error(r, "ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven");

    let waiting = t.create_state_machine(&unique("wait"), WAIT_1_MIN).await;
    let running = t.start_exec(&waiting, None, None).await;
    let r = t.client.redrive_execution().execution_arn(&running).send().await;
    assert_error(r, "ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven");

    let missing = t.execution_arn("nope", "never");
    let r = t.client.redrive_execution().execution_arn(&missing).send().await;
    assert_error(r, "ExecutionDoesNotExist", &format!("Execution Does Not Exist: '{missing}'"));
    let r = t.client.redrive_execution().execution_arn("not-an-arn").send().await;
    assert_code(r, "InvalidArn");

    let express = t
        .client
        .create_state_machine()
        .name(unique("express"))
        .definition(r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}"#)
        .role_arn(ROLE_ARN)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap();
    let started = t
        .client
        .start_execution()
        .state_machine_arn(express.state_machine_arn())
        .send()
        .await
        .unwrap();
    let r = t.client.redrive_execution().execution_arn(started.execution_arn()).send().await;
    assert_code(r, "ExecutionNotRedrivable");

    // A loop of Pass states until the history reaches AWS's 25,000 events: it fails, and
    // its history has no room for `ExecutionRedriven`.
    let looping = r#"{"StartAt":"Spin","States":{"Spin":{"Type":"Pass","Next":"Check"},"Check":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"Spin"},"Done":{"Type":"Succeed"}}}"#;
    let sm = t.create_state_machine(&unique("spin"), looping).await;
    let full = t.start_exec(&sm, None, None).await;
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT * 4;
    let failed = loop {
        let d = t.client.describe_execution().execution_arn(&full).send().await.unwrap();
        if d.status().as_str() == "FAILED" {
            break d;
        }
        assert!(tokio::time::Instant::now() < deadline, "the loop reaches the history limit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed.redrive_status(), Some(&ExecutionRedriveStatus::NotRedrivable));
    assert_eq!(failed.redrive_status_reason(), Some("Execution history event limit exceeded"));
    let r = t.client.redrive_execution().execution_arn(&full).send().await;
    assert_error(r, "ExecutionNotRedrivable", "Execution history event limit exceeded");
}

/// With the SQLite store, a failed execution's redrive point and a redriven execution
/// survive restarts: fail, restart, redrive, restart, finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redriven_execution_survives_restarts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = || ServeOptions {
        store: StoreKind::Sqlite,
        data_dir: dir.path().to_owned(),
        ..ServeOptions::default()
    };
    let activity_name = unique("durable-act");
    let (activity, exec) = {
        let t = TestServer::start_with(options()).await;
        let activity = t.create_activity(&activity_name).await;
        let sm = t.create_state_machine(&unique("durable"), &task_machine(&activity, "")).await;
        let exec = t.start_exec(&sm, None, None).await;
        let (token, _) = t.poll_task(&activity, None).await;
        t.client.send_task_failure().task_token(token).error("Crash").send().await.unwrap();
        t.wait_for_status(&exec, "FAILED").await;
        drop(t);
        (activity, exec)
    };
    {
        // Not recovered as running; redriven from the point kept on disk.
        let t = TestServer::start_with(options()).await;
        let d = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
        assert_eq!(d.status().as_str(), "FAILED");
        assert_eq!(d.redrive_status(), Some(&ExecutionRedriveStatus::Redrivable));
        redrive(&t, &exec, Some("durable-token")).await;
        t.wait_for_event(&exec, "ActivityScheduled").await;
        drop(t);
    }
    let t = TestServer::start_with(options()).await;
    let d = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(d.status().as_str(), "RUNNING", "recovered as running");
    assert_eq!(d.redrive_count(), Some(1));
    let (token, input) = t.poll_task(&activity, None).await;
    assert_eq!(serde_json::from_str::<Value>(&input).unwrap(), json!({"v": 7, "redrives": 1}));
    t.client
        .send_task_success()
        .task_token(token)
        .output(r#""after restarts""#)
        .send()
        .await
        .unwrap();
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.output(), Some(r#""after restarts""#));
    let events = t.history_json(&exec).await;
    assert_eq!(events.iter().filter(|e| e["type"] == "ExecutionRedriven").count(), 1);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i + 1), "ids increase by one: {e}");
    }
}
