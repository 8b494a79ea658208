//! Execution operations through the AWS SDK: StartExecution, DescribeExecution,
//! DescribeStateMachineForExecution, ListExecutions, StopExecution,
//! GetExecutionHistory, with AWS's errors and recorded shapes.
mod common;

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use common::*;
use serde_json::{json, Value};

const WAIT_30: &str =
    r#"{"StartAt":"State_1","States":{"State_1":{"Type":"Wait","Seconds":30,"End":true}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_and_describe_succeeded_execution() {
    let t = TestServer::start().await;
    let sm_name = unique("sm");
    let sm = t.create_state_machine(&sm_name, BASE_PASS_RESULT).await;
    let started = t.client.start_execution().state_machine_arn(&sm).send().await.unwrap();
    let exec = started.execution_arn().to_owned();
    let prefix = format!("arn:aws:states:us-east-1:{ACCOUNT}:execution:{sm_name}:");
    let name = exec.strip_prefix(&prefix).unwrap_or_else(|| panic!("{exec} starts with {prefix}"));
    assert!(is_uuid(name), "an unnamed execution gets a UUID name: {name}");

    let d = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(d.execution_arn(), exec);
    assert_eq!(d.state_machine_arn(), sm);
    assert_eq!(d.name(), Some(name));
    assert_eq!(d.input(), Some("{}"), "no input → {{}}");
    assert_eq!(
        serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
        json!({ "Arg1": "argument1" })
    );
    assert_eq!(d.start_date(), started.start_date());
    assert!(d.stop_date().is_some());

    let raw = t.raw_ok("DescribeExecution", json!({ "executionArn": exec })).await;
    assert_eq!(
        keys(&raw),
        sorted(&[
            "executionArn",
            "input",
            "inputDetails",
            "name",
            "output",
            "outputDetails",
            "redriveCount",
            "redriveStatus",
            "redriveStatusReason",
            "startDate",
            "stateMachineArn",
            "status",
            "stopDate",
        ])
    );
    assert_eq!(raw["inputDetails"], json!({ "included": true }));
    assert_eq!(raw["outputDetails"], json!({ "included": true }));
    assert_eq!(raw["redriveCount"], json!(0));
    assert_eq!(raw["redriveStatus"], json!("NOT_REDRIVABLE"));
    assert_eq!(raw["redriveStatusReason"], json!("Execution is SUCCEEDED and cannot be redriven"));
    let raw_start =
        t.raw_ok("StartExecution", json!({ "stateMachineArn": sm, "name": "named" })).await;
    assert_eq!(keys(&raw_start), sorted(&["executionArn", "startDate"]));
    assert_eq!(raw_start["executionArn"], json!(t.execution_arn(&sm_name, "named")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_execution_shape() {
    let t = TestServer::start().await;
    let def =
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"MyError","Cause":"my cause"}}}"#;
    let sm = t.create_state_machine(&unique("sm"), def).await;
    let exec = t.start_exec(&sm, None, Some(r#"{"a":1}"#)).await;
    let d = t.wait_for_status(&exec, "FAILED").await;
    assert_eq!((d.error(), d.cause()), (Some("MyError"), Some("my cause")));
    let raw = t.raw_ok("DescribeExecution", json!({ "executionArn": exec })).await;
    assert_eq!(
        keys(&raw),
        sorted(&[
            "cause",
            "error",
            "executionArn",
            "input",
            "inputDetails",
            "name",
            "redriveCount",
            "redriveStatus",
            "startDate",
            "stateMachineArn",
            "status",
            "stopDate"
        ])
    );
    assert_eq!(raw["redriveStatus"], json!("REDRIVABLE"));
    let history = t.history_without_timestamps(&exec).await;
    assert_eq!(
        history.last().unwrap(),
        &json!({ "id": 3, "previousEventId": 2, "type": "ExecutionFailed", "executionFailedEventDetails": { "error": "MyError", "cause": "my cause" } })
    );

    // A Fail state without error/cause: neither key anywhere.
    let bare = t
        .create_state_machine(&unique("sm"), r#"{"StartAt":"F","States":{"F":{"Type":"Fail"}}}"#)
        .await;
    let exec = t.start_exec(&bare, None, None).await;
    t.wait_for_status(&exec, "FAILED").await;
    let raw = t.raw_ok("DescribeExecution", json!({ "executionArn": exec })).await;
    assert!(raw.get("error").is_none() && raw.get("cause").is_none(), "{raw}");
    let history = t.history_json(&exec).await;
    assert_eq!(history.last().unwrap()["executionFailedEventDetails"], json!({}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_history_exact_and_paged() {
    let t = TestServer::start().await;
    let sm = t.create_state_machine(&unique("sm"), BASE_PASS_RESULT).await;
    let exec = t.start_exec(&sm, None, None).await;
    t.wait_for_status(&exec, "SUCCEEDED").await;

    let history = t.history_without_timestamps(&exec).await;
    let expected = vec![
        json!({"id":1,"previousEventId":0,"type":"ExecutionStarted","executionStartedEventDetails":{"input":"{}","inputDetails":{"truncated":false},"roleArn":ROLE_ARN}}),
        json!({"id":2,"previousEventId":0,"type":"PassStateEntered","stateEnteredEventDetails":{"name":"State_1","input":"{}","inputDetails":{"truncated":false}}}),
        json!({"id":3,"previousEventId":2,"type":"PassStateExited","stateExitedEventDetails":{"name":"State_1","output":"{\"Arg1\":\"argument1\"}","outputDetails":{"truncated":false}}}),
        json!({"id":4,"previousEventId":3,"type":"ExecutionSucceeded","executionSucceededEventDetails":{"output":"{\"Arg1\":\"argument1\"}","outputDetails":{"truncated":false}}}),
    ];
    // Outputs are compared as JSON (the oracle parses strings starting with '{').
    assert_eq!(normalise(history), normalise(expected));

    // Timestamps never decrease with id.
    let events = t.client.get_execution_history().execution_arn(&exec).send().await.unwrap();
    let stamps: Vec<_> = events.events().iter().map(|e| e.timestamp().as_secs_f64()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");

    // reverseOrder: the same events, descending, ids unchanged.
    let rev = t
        .client
        .get_execution_history()
        .execution_arn(&exec)
        .reverse_order(true)
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = rev.events().iter().map(|e| e.id()).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    assert_eq!(rev.events()[0].r#type(), &HistoryEventType::ExecutionSucceeded);
    assert_eq!(rev.events()[3].previous_event_id(), 0);

    // includeExecutionData=false: no inputs or outputs.
    let raw = t
        .raw_ok(
            "GetExecutionHistory",
            json!({ "executionArn": exec, "includeExecutionData": false }),
        )
        .await;
    let text = raw.to_string();
    assert!(
        !text.contains("argument1") && !text.contains("\"input\"") && !text.contains("\"output\""),
        "{raw:#}"
    );
    assert_eq!(raw["events"][0]["executionStartedEventDetails"]["roleArn"], json!(ROLE_ARN));
    assert_eq!(raw["events"][1]["stateEnteredEventDetails"]["name"], json!("State_1"));
    let sdk = t
        .client
        .get_execution_history()
        .execution_arn(&exec)
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    assert_eq!(sdk.events().len(), 4);
    assert!(sdk.events()[0].execution_started_event_details().unwrap().input().is_none());

    // Pages of 3: ids 1-3 + token, then 4 and no token; reversed pages too.
    let p1 =
        t.client.get_execution_history().execution_arn(&exec).max_results(3).send().await.unwrap();
    assert_eq!(p1.events().iter().map(|e| e.id()).collect::<Vec<_>>(), [1, 2, 3]);
    let token = p1.next_token().expect("more events follow").to_owned();
    let p2 = t
        .client
        .get_execution_history()
        .execution_arn(&exec)
        .max_results(3)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.events().iter().map(|e| e.id()).collect::<Vec<_>>(), [4]);
    assert_eq!(p2.next_token(), None);
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let p = t
            .client
            .get_execution_history()
            .execution_arn(&exec)
            .reverse_order(true)
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert_eq!(p.events().len(), 1);
        ids.push(p.events()[0].id());
        token = p.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(ids, [4, 3, 2, 1]);
    let full =
        t.client.get_execution_history().execution_arn(&exec).max_results(4).send().await.unwrap();
    assert_eq!((full.events().len(), full.next_token()), (4, None));
}

/// Parses every string that starts with `{` (as the oracle does) so `{"a":1}` equals `{ "a": 1 }`.
fn normalise(events: Vec<Value>) -> Vec<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::String(s) if s.starts_with('{') => {
                if let Ok(parsed) = serde_json::from_str(s) {
                    *v = parsed;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(o) => o.values_mut().for_each(walk),
            _ => {}
        }
    }
    events
        .into_iter()
        .map(|mut e| {
            walk(&mut e);
            e
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_errors() {
    let t = TestServer::start().await;
    let missing = t.execution_arn("nope", "nope");
    let r = t.client.get_execution_history().execution_arn(&missing).send().await;
    assert_error(r, "ExecutionDoesNotExist", &format!("Execution Does Not Exist: '{missing}'"));
    let r =
        t.client.get_execution_history().execution_arn("invalid_state_machine_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_execution_inputs() {
    let t = TestServer::start().await;
    let echo = t
        .create_state_machine(
            &unique("sm"),
            r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
        )
        .await;
    for input in ["2", "\"some text\"", "null", "[1,2]", r#"{"a":{"b":[true,false]}}"#] {
        let exec = t.start_exec(&echo, None, Some(input)).await;
        let d = t.wait_for_status(&exec, "SUCCEEDED").await;
        assert_eq!(d.input(), Some(input));
        assert_eq!(
            serde_json::from_str::<Value>(d.output().unwrap()).unwrap(),
            serde_json::from_str::<Value>(input).unwrap()
        );
    }
    let bad = |input: &'static str| {
        t.client.start_execution().state_machine_arn(&echo).input(input).send()
    };
    let m = assert_code(bad("not some json").await, "InvalidExecutionInput");
    // AWS (Jackson) text: "Invalid State Machine Execution Input: 'Unrecognized token 'not': ...'" (excused by the oracle).
    assert!(m.starts_with("Invalid State Machine Execution Input: '"), "{m}");
    let m = assert_code(bad("{'not': 'json'").await, "InvalidExecutionInput");
    assert!(m.starts_with("Invalid State Machine Execution Input: '"), "{m}");
    assert_error(
        bad("").await,
        "InvalidExecutionInput",
        "Invalid State Machine Execution Input: 'Invalid execution input.'",
    );
    // Nothing was started by the rejected calls.
    let listed = t.client.list_executions().state_machine_arn(&echo).send().await.unwrap();
    assert_eq!(listed.executions().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_execution_errors_and_idempotency() {
    let t = TestServer::start().await;
    let missing = t.sm_arn("nope");
    let r = t.client.start_execution().state_machine_arn(&missing).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{missing}'"),
    );
    let r = t.client.start_execution().state_machine_arn("invalid_state_machine_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
    let r = t.client.start_execution().state_machine_arn(&missing).name("bad name").send().await;
    assert!(r.is_err());

    let sm_name = unique("sm");
    let sm = t.create_state_machine(&sm_name, WAIT_30).await;
    let first = t.start_exec(&sm, Some("run"), Some(r#"{"x":1}"#)).await;
    assert_eq!(first, t.execution_arn(&sm_name, "run"));
    // Same name, same input, still running: the same execution.
    let again = t.start_exec(&sm, Some("run"), Some(r#"{"x":1}"#)).await;
    assert_eq!(again, first);
    // Same name, other input.
    let r = t
        .client
        .start_execution()
        .state_machine_arn(&sm)
        .name("run")
        .input(r#"{"x":2}"#)
        .send()
        .await;
    assert_error(r, "ExecutionAlreadyExists", &format!("Execution Already Exists: '{first}'"));
    let r = t.client.start_execution().state_machine_arn(&sm).name("bad name").send().await;
    assert_error(r, "InvalidName", "Invalid Name: 'bad name'");
    t.client.stop_execution().execution_arn(&first).send().await.unwrap();
    t.wait_for_status(&first, "ABORTED").await;

    // A deleted machine cannot start executions.
    t.client.delete_state_machine().state_machine_arn(&sm).send().await.unwrap();
    let r = t.client.start_execution().state_machine_arn(&sm).send().await;
    assert_error(r, "StateMachineDoesNotExist", &format!("State Machine Does Not Exist: '{sm}'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_execution_errors() {
    let t = TestServer::start().await;
    let missing = t.execution_arn("nope", "nope");
    let r = t.client.describe_execution().execution_arn(&missing).send().await;
    assert_error(r, "ExecutionDoesNotExist", &format!("Execution Does Not Exist: '{missing}'"));
    let r = t.client.describe_execution().execution_arn("invalid_state_machine_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
    let r = t.client.describe_state_machine_for_execution().execution_arn(&missing).send().await;
    assert_error(r, "ExecutionDoesNotExist", &format!("Execution Does Not Exist: '{missing}'"));
    let r = t
        .client
        .describe_state_machine_for_execution()
        .execution_arn("invalid_state_machine_arn")
        .send()
        .await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_state_machine_for_execution() {
    let t = TestServer::start().await;
    let name = unique("sm");
    let sm = t.create_state_machine(&name, BASE_PASS_RESULT).await;
    let exec = t.start_exec(&sm, None, None).await;
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let d =
        t.client.describe_state_machine_for_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(d.state_machine_arn(), sm);
    assert_eq!(d.name(), name);
    assert_eq!(d.definition(), BASE_PASS_RESULT);
    assert_eq!(d.role_arn(), ROLE_ARN);
    let raw = t.raw_ok("DescribeStateMachineForExecution", json!({ "executionArn": exec })).await;
    assert_eq!(
        keys(&raw),
        sorted(&[
            "definition",
            "loggingConfiguration",
            "name",
            "roleArn",
            "stateMachineArn",
            "tracingConfiguration",
            "updateDate"
        ])
    );
    assert_eq!(
        raw["loggingConfiguration"],
        json!({ "level": "OFF", "includeExecutionData": false })
    );
    assert_eq!(raw["tracingConfiguration"], json!({ "enabled": false }));

    // After an update, the revision shows up.
    let rev = t
        .client
        .update_state_machine()
        .state_machine_arn(&sm)
        .role_arn("arn:aws:iam::123456789012:role/other")
        .send()
        .await
        .unwrap()
        .revision_id()
        .unwrap()
        .to_owned();
    let exec2 = t.start_exec(&sm, None, None).await;
    let d =
        t.client.describe_state_machine_for_execution().execution_arn(&exec2).send().await.unwrap();
    assert_eq!(d.revision_id(), Some(rev.as_str()));
    assert_eq!(d.role_arn(), "arn:aws:iam::123456789012:role/other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_executions_newest_first_with_paging() {
    let t = TestServer::start().await;
    let sm_name = unique("sm");
    let sm = t.create_state_machine(&sm_name, BASE_PASS_RESULT).await;
    let succeeded = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    assert!(succeeded.executions().is_empty());
    let raw = t.raw_ok("ListExecutions", json!({ "stateMachineArn": sm })).await;
    assert_eq!(raw, json!({ "executions": [] }));

    let mut arns = Vec::new();
    for i in 0..13 {
        let exec = t.start_exec(&sm, Some(&format!("exec_{i}")), None).await;
        t.wait_for_status(&exec, "SUCCEEDED").await;
        arns.push(exec);
    }
    let newest_first: Vec<String> = arns.iter().rev().cloned().collect();

    let p1 =
        t.client.list_executions().state_machine_arn(&sm).max_results(10).send().await.unwrap();
    let got: Vec<&str> = p1.executions().iter().map(|e| e.execution_arn()).collect();
    assert_eq!(got, newest_first[..10]);
    let token = p1.next_token().expect("3 more follow").to_owned();
    let p2 = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .max_results(3)
        .next_token(token)
        .send()
        .await
        .unwrap();
    let got: Vec<&str> = p2.executions().iter().map(|e| e.execution_arn()).collect();
    assert_eq!(got, newest_first[10..]);
    assert_eq!(p2.next_token(), None);

    let all =
        t.client.list_executions().state_machine_arn(&sm).max_results(0).send().await.unwrap();
    assert_eq!((all.executions().len(), all.next_token()), (13, None));
    let item = &all.executions()[0];
    assert_eq!(
        (item.name(), item.state_machine_arn(), item.status()),
        ("exec_12", sm.as_str(), &ExecutionStatus::Succeeded)
    );
    let raw = t.raw_ok("ListExecutions", json!({ "stateMachineArn": sm, "maxResults": 1 })).await;
    assert_eq!(keys(&raw), sorted(&["executions", "nextToken"]));
    assert_eq!(
        keys(&raw["executions"][0]),
        sorted(&[
            "executionArn",
            "name",
            "redriveCount",
            "startDate",
            "stateMachineArn",
            "status",
            "stopDate"
        ])
    );

    let running = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .unwrap();
    assert!(running.executions().is_empty());
    let succeeded = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    assert_eq!(succeeded.executions().len(), 13);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_executions_status_filter_and_errors() {
    let t = TestServer::start().await;
    let sm = t.create_state_machine(&unique("sm"), WAIT_30).await;
    let running = t.start_exec(&sm, Some("running"), None).await;
    let stopped = t.start_exec(&sm, Some("stopped"), None).await;
    t.client.stop_execution().execution_arn(&stopped).send().await.unwrap();

    let r = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.executions().iter().map(|e| e.execution_arn()).collect::<Vec<_>>(),
        [running.as_str()]
    );
    let raw = t
        .raw_ok("ListExecutions", json!({ "stateMachineArn": sm, "statusFilter": "RUNNING" }))
        .await;
    assert!(
        raw["executions"][0].get("stopDate").is_none(),
        "running executions have no stopDate: {raw}"
    );
    let a = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Aborted)
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.executions().iter().map(|e| e.execution_arn()).collect::<Vec<_>>(),
        [stopped.as_str()]
    );
    assert!(a.executions()[0].stop_date().is_some());

    let r = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::from("succeeded"))
        .send()
        .await;
    assert_error(
        r,
        "ValidationException",
        "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    );
    let r = t.client.list_executions().state_machine_arn(&sm).max_results(1001).send().await;
    assert_error(
        r,
        "ValidationException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    let long = "t".repeat(3097);
    let r = t.client.list_executions().state_machine_arn(&sm).next_token(&long).send().await;
    assert_error(
        r,
        "ValidationException",
        &format!("1 validation error detected: Value '{long}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096"),
    );
    let missing = t.sm_arn("nope");
    let r = t.client.list_executions().state_machine_arn(&missing).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{missing}'"),
    );
    let r = t.client.list_executions().state_machine_arn("invalid_state_machine_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
    t.client.stop_execution().execution_arn(&running).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_execution() {
    let t = TestServer::start().await;
    let sm = t.create_state_machine(&unique("sm"), WAIT_1_MIN).await;
    let exec = t.start_exec(&sm, None, None).await;
    t.wait_for_event(&exec, "WaitStateEntered").await;

    let raw = t.raw_ok("StopExecution", json!({ "executionArn": exec })).await;
    assert_eq!(keys(&raw), ["stopDate"]);
    let d = t.wait_for_status(&exec, "ABORTED").await;
    assert!(d.stop_date().is_some());
    assert!(d.output().is_none());
    let raw = t.raw_ok("DescribeExecution", json!({ "executionArn": exec })).await;
    assert_eq!(raw["redriveStatus"], json!("REDRIVABLE"));

    let history = t.history_without_timestamps(&exec).await;
    let summary: Vec<(i64, i64, String)> = history
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["previousEventId"].as_i64().unwrap(),
                e["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, 0, "ExecutionStarted".to_owned()),
            (2, 0, "WaitStateEntered".to_owned()),
            (3, 0, "ExecutionAborted".to_owned())
        ]
    );
    assert_eq!(
        history[2],
        json!({ "id": 3, "previousEventId": 0, "type": "ExecutionAborted", "executionAbortedEventDetails": {} })
    );

    // Stopping again is fine; the stop date stays.
    let again = t.client.stop_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(Some(again.stop_date()), d.stop_date());
    assert_eq!(t.history_json(&exec).await.len(), 3);

    // error and cause are recorded.
    let exec = t.start_exec(&sm, None, None).await;
    t.client
        .stop_execution()
        .execution_arn(&exec)
        .error("Halt")
        .cause("operator said so")
        .send()
        .await
        .unwrap();
    let d = t.wait_for_status(&exec, "ABORTED").await;
    assert_eq!((d.error(), d.cause()), (Some("Halt"), Some("operator said so")));
    let history = t.history_json(&exec).await;
    assert_eq!(
        history.last().unwrap()["executionAbortedEventDetails"],
        json!({ "error": "Halt", "cause": "operator said so" })
    );

    let missing = t.execution_arn("nope", "nope");
    let r = t.client.stop_execution().execution_arn(&missing).send().await;
    assert_error(r, "ExecutionDoesNotExist", &format!("Execution Does Not Exist: '{missing}'"));
    let r = t.client.stop_execution().execution_arn("invalid_state_machine_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_timeout_seconds() {
    let t = TestServer::start().await;
    let def = r#"{"TimeoutSeconds":1,"StartAt":"State_1","States":{"State_1":{"Type":"Wait","Seconds":30,"End":true}}}"#;
    let sm = t.create_state_machine(&unique("sm"), def).await;
    let exec = t.start_exec(&sm, None, None).await;
    let d = t.wait_for_status(&exec, "TIMED_OUT").await;
    assert!(d.stop_date().is_some());
    let raw = t.raw_ok("DescribeExecution", json!({ "executionArn": exec })).await;
    assert_eq!(
        keys(&raw),
        sorted(&[
            "executionArn",
            "input",
            "inputDetails",
            "name",
            "redriveCount",
            "redriveStatus",
            "startDate",
            "stateMachineArn",
            "status",
            "stopDate"
        ]),
        "TIMED_OUT: like FAILED without error/cause"
    );
    let history = t.history_without_timestamps(&exec).await;
    let last = history.last().unwrap();
    assert_eq!(last["type"], json!("ExecutionTimedOut"));
    assert_eq!(last["id"], json!(3));
    let listed = t
        .client
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::TimedOut)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 1);
}
