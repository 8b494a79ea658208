//! End to end through a real AWS client: the `aws` CLI, or boto3 when the CLI
//! is absent. Without either the test prints `SKIPPED: …` and passes, except
//! under `CI=true`, where a missing tool is a failure.
mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

enum Tool {
    AwsCli,
    Boto3,
}

fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

fn find_tool() -> Option<Tool> {
    if works("aws", &["--version"]) {
        Some(Tool::AwsCli)
    } else if works("python3", &["-c", "import boto3"]) {
        Some(Tool::Boto3)
    } else {
        None
    }
}

/// A command with test credentials and no user configuration.
fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/stepwise-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/stepwise-test-credentials")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL");
    c
}

/// Runs `aws stepfunctions <args> --endpoint-url <endpoint> --output json` off the runtime; returns its JSON.
async fn aws(endpoint: &str, args: &[&str]) -> Value {
    let mut c = command("aws");
    c.arg("stepfunctions").args(args).args(["--endpoint-url", endpoint, "--output", "json"]);
    let what = format!("aws stepfunctions {}", args.first().copied().unwrap_or_default());
    let output = bounded(&what, tokio::task::spawn_blocking(move || c.output()))
        .await
        .unwrap()
        .expect("aws runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{what} printed non-JSON ({e}): {stdout}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_round_trip_through_a_real_aws_client() {
    let Some(tool) = find_tool() else {
        let reason = "neither the `aws` CLI nor python3 with boto3 is installed (pip install awscli or boto3)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and {reason}");
        }
        eprintln!("\n\n*** SKIPPED: e2e_cli::activity_round_trip_through_a_real_aws_client: {reason} ***\n");
        return;
    };
    let t = TestServer::start().await;
    match tool {
        Tool::AwsCli => with_aws_cli(&t).await,
        Tool::Boto3 => with_boto3(&t).await,
    }
}

async fn with_aws_cli(t: &TestServer) {
    let e = t.endpoint.as_str();
    let activity_name = unique("cli-activity");
    let created = aws(e, &["create-activity", "--name", &activity_name]).await;
    let activity = created["activityArn"].as_str().expect("activityArn").to_owned();
    assert_eq!(activity, t.activity_arn(&activity_name));

    let definition = format!(
        r#"{{"StartAt":"Work","States":{{"Work":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}"#
    );
    let sm_name = unique("cli-sm");
    let sm = aws(
        e,
        &[
            "create-state-machine",
            "--name",
            &sm_name,
            "--definition",
            &definition,
            "--role-arn",
            ROLE_ARN,
        ],
    )
    .await;
    let sm = sm["stateMachineArn"].as_str().expect("stateMachineArn").to_owned();
    assert_eq!(sm, t.sm_arn(&sm_name));

    let started = aws(
        e,
        &[
            "start-execution",
            "--state-machine-arn",
            &sm,
            "--name",
            "cli-run",
            "--input",
            r#"{"from":"cli"}"#,
        ],
    )
    .await;
    let exec = started["executionArn"].as_str().expect("executionArn").to_owned();
    assert_eq!(exec, t.execution_arn(&sm_name, "cli-run"));

    let task =
        aws(e, &["get-activity-task", "--activity-arn", &activity, "--worker-name", "cli-worker"])
            .await;
    let token = task["taskToken"].as_str().expect("a task").to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(task["input"].as_str().unwrap()).unwrap(),
        serde_json::json!({ "from": "cli" })
    );
    aws(e, &["send-task-success", "--task-token", &token, "--task-output", r#"{"done":true}"#])
        .await;

    // Each CLI call costs ~1 s of Python start-up: let the engine finish first.
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let mut status = String::new();
    for _ in 0..50 {
        let d = aws(e, &["describe-execution", "--execution-arn", &exec]).await;
        status = d["status"].as_str().unwrap_or_default().to_owned();
        if status == "SUCCEEDED" {
            assert_eq!(
                serde_json::from_str::<Value>(d["output"].as_str().unwrap()).unwrap(),
                serde_json::json!({ "done": true })
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "SUCCEEDED");
    let history = aws(e, &["get-execution-history", "--execution-arn", &exec]).await;
    let types: Vec<&str> =
        history["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(history["events"][3]["activityStartedEventDetails"]["workerName"], "cli-worker");
}

const BOTO3_SCRIPT: &str = r#"
import json, sys, time, boto3
endpoint, activity_name, sm_name = sys.argv[1:4]
sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
activity = sfn.create_activity(name=activity_name)["activityArn"]
definition = json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}})
sm = sfn.create_state_machine(name=sm_name, definition=definition,
                              roleArn="arn:aws:iam::123456789012:role/stepwise-test-role")["stateMachineArn"]
execution = sfn.start_execution(stateMachineArn=sm, name="cli-run", input='{"from":"cli"}')["executionArn"]
task = sfn.get_activity_task(activityArn=activity, workerName="cli-worker")
assert json.loads(task["input"]) == {"from": "cli"}, task
sfn.send_task_heartbeat(taskToken=task["taskToken"])
sfn.send_task_success(taskToken=task["taskToken"], output='{"done":true}')
for _ in range(100):
    d = sfn.describe_execution(executionArn=execution)
    if d["status"] == "SUCCEEDED":
        break
    time.sleep(0.05)
events = sfn.get_execution_history(executionArn=execution)["events"]
print(json.dumps({"activity": activity, "sm": sm, "execution": execution, "status": d["status"],
                  "output": d.get("output"), "types": [e["type"] for e in events],
                  "worker": events[3].get("activityStartedEventDetails", {}).get("workerName")}))
"#;

async fn with_boto3(t: &TestServer) {
    let activity_name = unique("cli-activity");
    let sm_name = unique("cli-sm");
    let mut c = command("python3");
    c.args(["-c", BOTO3_SCRIPT, &t.endpoint, &activity_name, &sm_name]);
    let output = bounded("boto3 script", tokio::task::spawn_blocking(move || c.output()))
        .await
        .unwrap()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "boto3 script failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let r: Value = serde_json::from_str(stdout.trim()).expect("script prints JSON");
    assert_eq!(r["activity"], t.activity_arn(&activity_name));
    assert_eq!(r["sm"], t.sm_arn(&sm_name));
    assert_eq!(r["execution"], t.execution_arn(&sm_name, "cli-run"));
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(
        serde_json::from_str::<Value>(r["output"].as_str().unwrap()).unwrap(),
        serde_json::json!({ "done": true })
    );
    assert_eq!(
        r["types"],
        serde_json::json!([
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ])
    );
    assert_eq!(r["worker"], "cli-worker");
}

/// The boto3 path runs too when both tools exist, so neither rots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_round_trip_through_boto3() {
    if !works("python3", &["-c", "import boto3"]) {
        // Not fatal under CI: the test above already needs one real client.
        let reason = "python3 with boto3 is not installed (pip install boto3)";
        eprintln!("\n\n*** SKIPPED: e2e_cli::activity_round_trip_through_boto3: {reason} ***\n");
        return;
    }
    let t = TestServer::start().await;
    with_boto3(&t).await;
}
