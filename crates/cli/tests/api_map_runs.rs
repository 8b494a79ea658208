//! Distributed Map through aws-sdk-sfn: a `DISTRIBUTED` Map state runs its iterations as
//! a Map Run (`MapRunStarted`/`MapRunSucceeded`/`MapRunFailed` in the parent's history,
//! no iteration events there), tolerated failures and `States.ExceedToleratedFailureThreshold`,
//! `DescribeMapRun`, `ListMapRuns`, `UpdateMapRun` with AWS's errors, and a Map `Label`
//! refused as AWS words it. Event shapes are those AWS recorded (LocalStack's
//! `test_base_scenarios` and `test_sfn_api_map_run` snapshots).
mod common;

use aws_sdk_sfn::types::MapRunStatus;
use common::*;
use serde_json::{json, Value};

/// A Distributed Map over `$.Items` whose iteration fails on a negative item.
fn distributed(extra: Value) -> String {
    let mut map = json!({
        "Type": "Map",
        "ItemsPath": "$.Items",
        "Label": "numbers",
        "MaxConcurrency": 2,
        "ItemProcessor": {
            "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" },
            "StartAt": "Check",
            "States": {
                "Check": {
                    "Type": "Choice",
                    "Choices": [{ "Variable": "$", "NumericLessThan": 0, "Next": "Bad" }],
                    "Default": "Good"
                },
                "Bad": { "Type": "Fail", "Error": "Negative", "Cause": "below zero" },
                "Good": { "Type": "Pass", "End": true }
            }
        },
        "End": true
    });
    for (k, v) in extra.as_object().expect("an object") {
        map[k] = v.clone();
    }
    json!({ "StartAt": "MapState", "States": { "MapState": map } }).to_string()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().expect("type")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_run_succeeds_with_awss_history_and_counts() {
    let t = TestServer::start().await;
    let machine = unique("dmap");
    let sm = t.create_state_machine(&machine, &distributed(json!({}))).await;
    let items: Vec<i64> = (1..=25).collect();
    let exec = t.start_exec(&sm, None, Some(&json!({ "Items": items }).to_string())).await;
    t.wait_for_status(&exec, "SUCCEEDED").await;

    let events = t.history_without_timestamps(&exec).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    // AWS chains MapStateSucceeded and MapStateExited both to MapRunSucceeded.
    let ids: Vec<(i64, i64)> = events
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e["previousEventId"].as_i64().unwrap()))
        .collect();
    assert_eq!(ids, [(1, 0), (2, 0), (3, 2), (4, 3), (5, 4), (6, 5), (7, 5), (8, 7)]);
    assert_eq!(events[2]["mapStateStartedEventDetails"], json!({ "length": 25 }));
    let map_run_arn =
        events[3]["mapRunStartedEventDetails"]["mapRunArn"].as_str().expect("a Map Run ARN");
    let prefix = format!("arn:aws:states:us-east-1:{ACCOUNT}:mapRun:{machine}/numbers:");
    assert!(map_run_arn.starts_with(&prefix), "{map_run_arn}");
    assert!(is_uuid(&map_run_arn[prefix.len()..]), "{map_run_arn}");
    let output: Value = serde_json::from_str(
        events[7]["executionSucceededEventDetails"]["output"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(output, json!(items));

    let listed = t.client.list_map_runs().execution_arn(&exec).send().await.unwrap();
    assert_eq!(listed.map_runs().len(), 1);
    let item = &listed.map_runs()[0];
    assert_eq!(item.map_run_arn(), map_run_arn);
    assert_eq!(item.execution_arn(), exec);
    assert_eq!(
        item.state_machine_arn(),
        format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{machine}/numbers")
    );
    assert!(item.stop_date().is_some());

    let described = t.client.describe_map_run().map_run_arn(map_run_arn).send().await.unwrap();
    assert_eq!(described.status(), &MapRunStatus::Succeeded);
    assert_eq!(described.max_concurrency(), 2);
    assert_eq!(described.tolerated_failure_count(), 0);
    assert_eq!(described.tolerated_failure_percentage(), 0.0);
    let counts = described.item_counts().expect("item counts");
    assert_eq!((counts.total(), counts.succeeded(), counts.failed()), (25, 25, 0));
    assert_eq!((counts.pending(), counts.running(), counts.results_written()), (0, 0, 25));
    assert!(described.stop_date().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_past_the_tolerated_count_fail_the_map_run() {
    let t = TestServer::start().await;
    let sm = t
        .create_state_machine(&unique("dmap"), &distributed(json!({"ToleratedFailureCount": 1})))
        .await;
    // One failure is tolerated: the run succeeds and the failed slot holds the error.
    let exec = t.start_exec(&sm, None, Some(r#"{"Items":[1,-1,2]}"#)).await;
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    let output: Value = serde_json::from_str(done.output().unwrap()).unwrap();
    assert_eq!(output, json!([1, { "Error": "Negative", "Cause": "below zero" }, 2]));

    // Two are not.
    let exec = t.start_exec(&sm, None, Some(r#"{"Items":[-1,1,-2]}"#)).await;
    t.wait_for_status(&exec, "FAILED").await;
    let events = t.history_without_timestamps(&exec).await;
    assert_eq!(
        types(&events)[3..],
        ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    );
    let failed = json!({
        "error": "States.ExceedToleratedFailureThreshold",
        "cause": "The specified tolerated failure threshold was exceeded"
    });
    assert_eq!(events[4]["mapRunFailedEventDetails"], failed);
    assert_eq!(events[6]["executionFailedEventDetails"], failed);
    let runs = t.client.list_map_runs().execution_arn(&exec).send().await.unwrap();
    let arn = runs.map_runs()[0].map_run_arn();
    let described = t.client.describe_map_run().map_run_arn(arn).send().await.unwrap();
    assert_eq!(described.status(), &MapRunStatus::Failed);
    assert_eq!(described.tolerated_failure_count(), 1);
    assert_eq!(described.item_counts().unwrap().failed(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tolerated_failure_path_that_is_not_an_integer_fails_after_map_state_started() {
    let t = TestServer::start().await;
    let sm = t
        .create_state_machine(
            &unique("dmap"),
            &distributed(json!({"ToleratedFailureCountPath": "$.Tolerated"})),
        )
        .await;
    let exec = t.start_exec(&sm, None, Some(r#"{"Items":[1],"Tolerated":"NoNumber"}"#)).await;
    t.wait_for_status(&exec, "FAILED").await;
    let events = t.history_without_timestamps(&exec).await;
    assert_eq!(
        types(&events),
        ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "ExecutionFailed"]
    );
    assert_eq!(
        events[3]["executionFailedEventDetails"]["cause"],
        "An error occurred while executing the state 'MapState' (entered at the event id #2). The ToleratedFailureCountPath field refers to value \"NoNumber\" which is not a valid integer: $.Tolerated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_map_run_raises_the_concurrency_of_a_running_map_run() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("act")).await;
    let definition = json!({
        "StartAt": "MapState",
        "States": { "MapState": {
            "Type": "Map",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" },
                "StartAt": "Work",
                "States": { "Work": { "Type": "Task", "Resource": activity, "End": true } }
            },
            "End": true
        }}
    })
    .to_string();
    let sm = t.create_state_machine(&unique("dmap"), &definition).await;
    let exec = t.start_exec(&sm, None, Some("[1,2,3]")).await;
    let events = t.wait_for_event(&exec, "MapRunStarted").await;
    let arn = events[3]["mapRunStartedEventDetails"]["mapRunArn"].as_str().unwrap().to_owned();

    // One task at a time: the second waits for the first.
    let (first, _) = t.poll_task(&activity, None).await;
    assert!(t.task_within(&activity, std::time::Duration::from_millis(200)).await.is_none());
    let running = t.client.describe_map_run().map_run_arn(&arn).send().await.unwrap();
    assert_eq!(running.status(), &MapRunStatus::Running);
    let counts = running.item_counts().unwrap();
    assert_eq!((counts.running(), counts.pending(), counts.total()), (1, 2, 3));

    t.client
        .update_map_run()
        .map_run_arn(&arn)
        .max_concurrency(3)
        .tolerated_failure_count(2)
        .send()
        .await
        .unwrap();
    let (second, _) = t.poll_task(&activity, None).await;
    let (third, _) = t.poll_task(&activity, None).await;
    let updated = t.client.describe_map_run().map_run_arn(&arn).send().await.unwrap();
    assert_eq!((updated.max_concurrency(), updated.tolerated_failure_count()), (3, 2));
    for token in [first, second, third] {
        t.client.send_task_success().task_token(token).output("\"ok\"").send().await.unwrap();
    }
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.output(), Some(r#"["ok","ok","ok"]"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_run_errors() {
    let t = TestServer::start().await;
    let missing = format!("arn:aws:states:us-east-1:{ACCOUNT}:mapRun:m/l:0000");
    let e = t.client.describe_map_run().map_run_arn(&missing).send().await;
    assert_code(e, "ResourceNotFound");
    let e = t.client.describe_map_run().map_run_arn("not-an-arn").send().await;
    assert_code(e, "InvalidArn");
    let e = t.client.update_map_run().map_run_arn(&missing).send().await;
    assert_code(e, "ValidationException");
    let e = t.client.update_map_run().map_run_arn(&missing).max_concurrency(2).send().await;
    assert_code(e, "ResourceNotFound");
    let exec = t.execution_arn("nope", "nope");
    let e = t.client.list_map_runs().execution_arn(&exec).send().await;
    assert_code(e, "ExecutionDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_refused_as_aws_words_it() {
    let t = TestServer::start().await;
    for (label, problem) in [
        ("", "'Label cannot be empty'"),
        ("label_ ", "\"Label contains invalid character: ' '\""),
        ("label_\u{0}", "\"Label contains invalid character: '\\\\x00'\""),
        ("label_\"", "'Label contains invalid character: \\'\"\\''"),
        (&"1".repeat(41), "'Label cannot exceed 40 characters'"),
    ] {
        let definition = distributed(json!({ "Label": label }));
        let e = t
            .client
            .create_state_machine()
            .name(unique("label"))
            .definition(&definition)
            .role_arn(ROLE_ARN)
            .send()
            .await;
        let expected = format!("Error=ValueError Args=[{problem}] in definition '{definition}'.");
        assert_error(e, "InvalidDefinition", &expected);
    }
}
