//! A redrive through the aws CLI, as issue 13 asks: an inline Map over five items whose
//! third iteration fails (its worker fails it), the worker fixed, `redrive-execution`,
//! and the same ARN ends SUCCEEDED with the history continued. Every call, the worker's
//! included, goes through the `aws` command. Skips loudly without the aws CLI, and fails
//! under `CI=true`.
mod common;

use std::process::Command;

use common::*;
use serde_json::{json, Value};

fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

/// Skips loudly (or fails under `CI=true`) when the aws CLI is missing.
fn skip_without_aws(test: &str) -> bool {
    if works("aws", &["--version"]) {
        return false;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and the aws CLI is not installed");
    }
    eprintln!("\n\n*** SKIPPED: redrive_cli::{test}: the aws CLI is not installed ***\n");
    true
}

/// `aws stepfunctions <args> --endpoint-url <endpoint>` with test credentials and no user
/// configuration; returns its JSON output (`{}` when it prints nothing).
async fn aws(endpoint: &str, args: &[&str]) -> Value {
    let mut c = Command::new("aws");
    c.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/stepwise-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/stepwise-test-credentials")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .arg("stepfunctions")
        .args(args)
        .args(["--endpoint-url", endpoint, "--output", "json"]);
    let what = format!("aws stepfunctions {}", args[0]);
    let output = bounded(&what, tokio::task::spawn_blocking(move || c.output()))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{what} runs: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    if stdout.trim().is_empty() {
        return json!({});
    }
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{what} printed non-JSON ({e}): {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_redrives_a_map_whose_third_iteration_failed() {
    if skip_without_aws("aws_cli_redrives_a_map_whose_third_iteration_failed") {
        return;
    }
    let t = TestServer::start().await;
    let e = t.endpoint.as_str();
    let activity = aws(e, &["create-activity", "--name", &unique("cli-item")]).await;
    let activity = activity["activityArn"].as_str().expect("activityArn").to_owned();
    let definition = json!({
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": { "Mode": "INLINE" },
                    "StartAt": "Process",
                    "States": { "Process": { "Type": "Task", "Resource": activity, "End": true } }
                },
                "End": true
            }
        }
    })
    .to_string();
    let machine = aws(
        e,
        &[
            "create-state-machine",
            "--name",
            &unique("cli-map"),
            "--definition",
            &definition,
            "--role-arn",
            ROLE_ARN,
        ],
    )
    .await;
    let machine = machine["stateMachineArn"].as_str().expect("stateMachineArn").to_owned();
    let started = aws(
        e,
        &[
            "start-execution",
            "--state-machine-arn",
            &machine,
            "--input",
            r#"{"items":[1,2,3,4,5]}"#,
        ],
    )
    .await;
    let exec = started["executionArn"].as_str().expect("executionArn").to_owned();

    // The worker: items 1, 2, 4 and 5 succeed first; its input source is broken for item 3.
    let mut third = None;
    for _ in 0..5 {
        let task = aws(e, &["get-activity-task", "--activity-arn", &activity]).await;
        let token = task["taskToken"].as_str().expect("a task").to_owned();
        let item: i64 = task["input"].as_str().expect("input").parse().expect("an item");
        if item == 3 {
            third = Some(token);
        } else {
            let output = format!(r#"{{"item":{item}}}"#);
            aws(e, &["send-task-success", "--task-token", &token, "--task-output", &output]).await;
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
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let third = third.expect("item 3's task");
    aws(
        e,
        &[
            "send-task-failure",
            "--task-token",
            &third,
            "--error",
            "InputUnavailable",
            "--cause",
            "item 3's source is down",
        ],
    )
    .await;
    t.wait_for_status(&exec, "FAILED").await;
    let failed = aws(e, &["describe-execution", "--execution-arn", &exec]).await;
    assert_eq!(failed["status"], json!("FAILED"));
    assert_eq!(failed["error"], json!("InputUnavailable"));
    assert_eq!(failed["redriveStatus"], json!("REDRIVABLE"));
    let before = aws(e, &["get-execution-history", "--execution-arn", &exec]).await;
    let before = before["events"].as_array().expect("events").len();

    // The source is fixed: redrive, and the worker now succeeds item 3 (the only task).
    let redriven = aws(e, &["redrive-execution", "--execution-arn", &exec]).await;
    assert!(
        redriven["redriveDate"].is_string() || redriven["redriveDate"].is_number(),
        "{redriven}"
    );
    let task = aws(e, &["get-activity-task", "--activity-arn", &activity]).await;
    assert_eq!(task["input"], json!("3"), "only the third iteration runs again");
    let token = task["taskToken"].as_str().expect("a task").to_owned();
    aws(e, &["send-task-success", "--task-token", &token, "--task-output", r#"{"item":3}"#]).await;
    t.wait_for_status(&exec, "SUCCEEDED").await;

    let done = aws(e, &["describe-execution", "--execution-arn", &exec]).await;
    assert_eq!(done["executionArn"], json!(exec), "the same ARN");
    assert_eq!(done["status"], json!("SUCCEEDED"));
    assert_eq!(done["redriveCount"], json!(1));
    assert_eq!(
        serde_json::from_str::<Value>(done["output"].as_str().expect("output")).unwrap(),
        json!([{"item":1},{"item":2},{"item":3},{"item":4},{"item":5}])
    );
    let history = aws(e, &["get-execution-history", "--execution-arn", &exec]).await;
    let events = history["events"].as_array().expect("events");
    let after: Vec<&str> = events[before..].iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        after,
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
    assert_eq!(events[before]["executionRedrivenEventDetails"], json!({ "redriveCount": 1 }));
    let listed = aws(
        e,
        &["list-executions", "--state-machine-arn", &machine, "--redrive-filter", "REDRIVEN"],
    )
    .await;
    assert_eq!(listed["executions"][0]["executionArn"], json!(exec));
    assert_eq!(listed["executions"][0]["redriveCount"], json!(1));
}
