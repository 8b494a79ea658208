//! Express workflows as users reach them: `StartSyncExecution` through aws-sdk-sfn,
//! the aws CLI and boto3 (each past the `sync-` host prefix its SDK adds), the exact
//! answers AWS gives (from the oracle's recordings), asynchronous Express starts, and
//! the Express rules at creation.
//!
//! The aws CLI and boto3 parts skip loudly when the tool is absent, and fail under
//! `CI=true`.
mod common;

use std::process::Command;

use aws_sdk_sfn::types::{StateMachineType, SyncExecutionStatus};
use common::*;
use serde_json::{json, Value};

/// The oracle's `BASE_RAISE_FAILURE`.
const BASE_RAISE_FAILURE: &str = r#"{"Comment":"BASE_RAISE_FAILURE","StartAt":"FailState","States":{"FailState":{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."}}}"#;

/// Creates an EXPRESS machine through the SDK; returns its ARN.
async fn create_express(t: &TestServer, name: &str, definition: &str) -> String {
    t.client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(ROLE_ARN)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateStateMachine {name}: {e:?}"))
        .state_machine_arn()
        .to_owned()
}

/// `arn:aws:states:us-east-1:<acct>:express:<machine>:<name>:<uuid>`.
#[track_caller]
fn assert_express_arn(arn: &str, machine: &str, name: Option<&str>) {
    let prefix = format!("arn:aws:states:us-east-1:{ACCOUNT}:express:{machine}:");
    let rest = arn.strip_prefix(&prefix).unwrap_or_else(|| panic!("{arn} is not under {prefix}"));
    let (exec_name, id) = rest.split_once(':').unwrap_or_else(|| panic!("{arn}: no id"));
    if let Some(name) = name {
        assert_eq!(exec_name, name, "{arn}");
    }
    assert!(is_uuid(id), "{arn}: the last part is not a UUID");
}

#[tokio::test]
async fn sdk_start_sync_execution_succeeded_and_failed() {
    let t = TestServer::start().await;
    let client = sync_client(&t.endpoint);
    let name = unique("express-pass");
    let machine = create_express(&t, &name, BASE_PASS_RESULT).await;

    let out = client
        .start_sync_execution()
        .state_machine_arn(&machine)
        .name("first")
        .input("{}")
        .trace_header("Root=1-5759e988-bd862e3fe1be46a994272793")
        .send()
        .await
        .expect("StartSyncExecution");
    assert_eq!(out.status(), &SyncExecutionStatus::Succeeded);
    assert_express_arn(out.execution_arn(), &name, Some("first"));
    assert_eq!(out.state_machine_arn(), Some(machine.as_str()));
    assert_eq!(out.name(), Some("first"));
    assert_eq!(out.output(), Some(r#"{"Arg1":"argument1"}"#));
    assert_eq!(out.input(), Some("{}"));
    assert!(out.output_details().unwrap().included());
    assert!(out.input_details().unwrap().included());
    assert_eq!(out.error(), None);
    assert_eq!(out.trace_header(), Some("Root=1-5759e988-bd862e3fe1be46a994272793"));
    let billing = out.billing_details().expect("billingDetails");
    assert_eq!(billing.billed_memory_used_in_mb(), 64);
    assert_eq!(billing.billed_duration_in_milliseconds(), 100);
    assert!(out.stop_date() >= out.start_date());

    let failing = create_express(&t, &unique("express-fail"), BASE_RAISE_FAILURE).await;
    let out = client
        .start_sync_execution()
        .state_machine_arn(&failing)
        .send()
        .await
        .expect("a failed execution is still HTTP 200");
    assert_eq!(out.status(), &SyncExecutionStatus::Failed);
    assert_eq!(out.error(), Some("SomeFailure"));
    assert_eq!(out.cause(), Some("This state machines raises a 'SomeFailure' failure."));
    assert_eq!(out.output(), None);
    // No name given: one is generated, a UUID.
    assert!(is_uuid(out.name().unwrap()), "{:?}", out.name());
}

#[tokio::test]
async fn sdk_sync_on_a_standard_machine_is_refused() {
    let t = TestServer::start().await;
    let machine = t.create_state_machine(&unique("standard"), BASE_PASS_RESULT).await;
    let refused =
        sync_client(&t.endpoint).start_sync_execution().state_machine_arn(&machine).send().await;
    assert_error(
        refused,
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    );
}

/// The answer's exact shape, as the oracle recorded it (`test_express_sync.py`).
#[tokio::test]
async fn raw_answers_have_aws_shape() {
    let t = TestServer::start().await;
    let machine = create_express(&t, &unique("express-raw"), BASE_PASS_RESULT).await;
    let out =
        t.raw_ok("StartSyncExecution", json!({"stateMachineArn": machine, "input": "{}"})).await;
    assert_eq!(
        keys(&out),
        sorted(&[
            "billingDetails",
            "executionArn",
            "input",
            "inputDetails",
            "name",
            "output",
            "outputDetails",
            "startDate",
            "stateMachineArn",
            "status",
            "stopDate",
        ])
    );
    assert_eq!(
        out["billingDetails"],
        json!({"billedDurationInMilliseconds": 100, "billedMemoryUsedInMB": 64})
    );
    assert_eq!(out["inputDetails"], json!({"included": true}));
    assert_eq!(out["status"], json!("SUCCEEDED"));

    let failing = create_express(&t, &unique("express-raw-fail"), BASE_RAISE_FAILURE).await;
    let out =
        t.raw_ok("StartSyncExecution", json!({"stateMachineArn": failing, "input": "{}"})).await;
    assert_eq!(
        keys(&out),
        sorted(&[
            "billingDetails",
            "cause",
            "error",
            "executionArn",
            "input",
            "inputDetails",
            "name",
            "outputDetails",
            "startDate",
            "stateMachineArn",
            "status",
            "stopDate",
        ])
    );
    assert_eq!(out["status"], json!("FAILED"));
    assert_eq!(out["outputDetails"], json!({"included": true}));

    // METADATA_ONLY leaves the data out.
    let out = t
        .raw_ok(
            "StartSyncExecution",
            json!({"stateMachineArn": machine, "input": "{}", "includedData": "METADATA_ONLY"}),
        )
        .await;
    assert!(out.get("input").is_none() && out.get("output").is_none(), "{out}");
    assert_eq!(out["outputDetails"], json!({"included": false}));
}

/// An Express execution that waits on a timer and calls a service (its answer finds the
/// execution by ARN) before it ends; then nothing of it is left in the engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_execution_waits_and_calls_services() {
    let t = TestServer::start().await;
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskHeartbeat",
              "Parameters": {"TaskToken": "not-a-token"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
              "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}
    }});
    let machine = create_express(&t, &unique("express-waits"), &definition.to_string()).await;
    let out = bounded(
        "StartSyncExecution",
        t.raw_ok("StartSyncExecution", json!({"stateMachineArn": machine, "input": "{}"})),
    )
    .await;
    assert_eq!(out["status"], json!("SUCCEEDED"), "{out}");
    let output: Value = serde_json::from_str(out["output"].as_str().unwrap()).unwrap();
    let error = output["caught"]["Error"].as_str().unwrap_or_default();
    assert!(error.starts_with("Sfn."), "{output}");
    let billed = out["billingDetails"]["billedDurationInMilliseconds"].as_i64().unwrap();
    assert!(billed >= 1000 && billed % 100 == 0, "{out}");
    let holdings = t.engine().holdings();
    assert_eq!((holdings.executions, holdings.timers, holdings.frames), (0, 0, 0));
}

/// The query form reaches StartSyncExecution with no host prefix to avoid.
#[tokio::test]
async fn query_form_start_sync_execution() {
    let t = TestServer::start().await;
    let machine = create_express(&t, &unique("express-query"), BASE_PASS_RESULT).await;
    let encoded: String = machine.replace(':', "%3A");
    // It changes state, so it takes POST (a GET is refused, as for every operation that
    // changes state outside the seed's four).
    let query = format!("Action=StartSyncExecution&stateMachineArn={encoded}&input=%7B%7D");
    let get = hyper::Request::get(format!("{}/?{query}", t.endpoint))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let (status, out) = bounded("query-form GET", t.send_raw(get)).await;
    assert_eq!((status, &out["__type"]), (400, &json!("InvalidAction")), "{out}");
    let request = hyper::Request::post(format!("{}/?{query}", t.endpoint))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let (status, out) = bounded("query-form POST", t.send_raw(request)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], json!("SUCCEEDED"));
    assert_eq!(out["output"], json!(r#"{"Arg1":"argument1"}"#));
}

/// `test_sfn_api_express.py::test_start_async_describe_history_execution`: an Express
/// execution started with StartExecution cannot be described, stopped, listed or read.
#[tokio::test]
async fn async_express_executions_are_not_kept() {
    let t = TestServer::start().await;
    let name = unique("express-async");
    let machine = create_express(&t, &name, BASE_PASS_RESULT).await;
    let started = t
        .client
        .start_execution()
        .state_machine_arn(&machine)
        .name("async")
        .send()
        .await
        .expect("StartExecution of an EXPRESS machine");
    let arn = started.execution_arn().to_owned();
    assert_express_arn(&arn, &name, Some("async"));

    let refusal = "Invalid Arn: 'Resource type not valid in this context: express'";
    let answer = t.raw("DescribeExecution", json!({"executionArn": arn})).await;
    t.assert_raw_error(&answer, "InvalidArn", refusal);
    let answer = t.raw("StopExecution", json!({"executionArn": arn})).await;
    t.assert_raw_error(&answer, "InvalidArn", refusal);
    let answer = t.raw("GetExecutionHistory", json!({"executionArn": arn})).await;
    t.assert_raw_error(&answer, "InvalidArn", refusal);
    let answer = t.raw("ListExecutions", json!({"stateMachineArn": machine})).await;
    t.assert_raw_error(
        &answer,
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    );
    assert_error(
        t.client.describe_execution().execution_arn(&arn).send().await,
        "InvalidArn",
        refusal,
    );
    // It ran to its end and left nothing behind.
    bounded("the execution leaves", async {
        while t.engine().holdings().executions > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// `test_sfn_api_express.py::test_illegal_callbacks` and `test_illegal_activity_task`.
#[tokio::test]
async fn express_rules_refuse_waiting_resources() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    let cases = [
        (
            json!({"StartAt": "Publish", "States": {"Publish": {"Type": "Task", "End": true,
                "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message.$": "$$.Task.Token"}}}}),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/Publish/Resource'",
        ),
        (
            json!({"StartAt": "StartExecution", "States": {"StartExecution": {"Type": "Task", "End": true,
                "Resource": "arn:aws:states:::states:startExecution.sync",
                "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x"}}}}),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/StartExecution/Resource'",
        ),
        (
            json!({"StartAt": "ActivityTask", "States": {"ActivityTask": {"Type": "Task", "End": true,
                "Resource": activity}}}),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at /States/ActivityTask/Resource'",
        ),
    ];
    for (definition, message) in &cases {
        let refused = t
            .client
            .create_state_machine()
            .name(unique("illegal"))
            .definition(definition.to_string())
            .role_arn(ROLE_ARN)
            .r#type(StateMachineType::Express)
            .send()
            .await;
        assert_error(refused, "InvalidDefinition", message);
    }

    // ValidateStateMachineDefinition with type EXPRESS reports the same finding.
    let validation = t
        .raw_ok(
            "ValidateStateMachineDefinition",
            json!({"definition": cases[0].0.to_string(), "type": "EXPRESS"}),
        )
        .await;
    assert_eq!(
        validation,
        json!({"result": "FAIL", "truncated": false, "diagnostics": [{
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "Express state machine does not support '.waitForTaskToken' service integration ",
            "location": "/States/Publish/Resource",
        }]})
    );
    let standard = t
        .raw_ok("ValidateStateMachineDefinition", json!({"definition": cases[0].0.to_string()}))
        .await;
    assert_eq!(standard["result"], json!("OK"));
}

// ----- the aws CLI and boto3 ----------------------------------------------------

/// True if `program args` runs and succeeds.
fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

/// Skips loudly (or fails under `CI=true`) when `tool` is missing.
fn skip_without(test: &str, tool: &str, present: bool) -> bool {
    if present {
        return false;
    }
    let reason = format!("{tool} is not installed");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {reason}");
    }
    eprintln!("\n\n*** SKIPPED: express::{test}: {reason} ***\n");
    true
}

/// A command with test credentials and no user configuration.
fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/stepwise-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/stepwise-test-credentials")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_DISABLE_HOST_PREFIX_INJECTION");
    c
}

/// Runs `c` off the runtime, bounded; returns its stdout as JSON.
async fn run_json(what: &str, mut c: Command) -> Value {
    let output = bounded(what, tokio::task::spawn_blocking(move || c.output()))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{what} runs: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{what} printed non-JSON ({e}): {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_start_sync_execution() {
    let test = "aws_cli_start_sync_execution";
    if skip_without(test, "the aws CLI", works("aws", &["--version"])) {
        return;
    }
    let t = TestServer::start().await;
    let machine = create_express(&t, &unique("cli-express"), BASE_PASS_RESULT).await;
    let mut c = command("aws");
    // The CLI would send it to sync-127.0.0.1 otherwise.
    c.env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true");
    c.args(["stepfunctions", "start-sync-execution", "--state-machine-arn", &machine]).args([
        "--input",
        r#"{"a":1}"#,
        "--endpoint-url",
        &t.endpoint,
        "--output",
        "json",
    ]);
    let out = run_json("aws stepfunctions start-sync-execution", c).await;
    assert_eq!(out["status"], json!("SUCCEEDED"), "{out}");
    assert_eq!(out["output"], json!(r#"{"Arg1":"argument1"}"#));
    assert_eq!(out["input"], json!(r#"{"a":1}"#));
    assert_eq!(out["billingDetails"]["billedMemoryUsedInMB"], json!(64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_start_sync_execution() {
    let test = "boto3_start_sync_execution";
    if skip_without(test, "python3 with boto3", works("python3", &["-c", "import boto3"])) {
        return;
    }
    let t = TestServer::start().await;
    let machine = create_express(&t, &unique("boto3-express"), BASE_RAISE_FAILURE).await;
    // Both ways of turning the prefix off: the client's Config, and the environment.
    let script = r#"
import json, sys, boto3
from botocore.config import Config
endpoint, machine, how = sys.argv[1], sys.argv[2], sys.argv[3]
config = Config(inject_host_prefix=False) if how == "config" else None
sfn = boto3.client("stepfunctions", endpoint_url=endpoint, config=config)
out = sfn.start_sync_execution(stateMachineArn=machine, input="{}")
print(json.dumps({k: out[k] for k in ("status", "error", "cause", "executionArn", "billingDetails")}))
"#;
    for how in ["config", "env"] {
        let mut c = command("python3");
        if how == "env" {
            c.env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true");
        }
        c.args(["-c", script, &t.endpoint, &machine, how]);
        let out = run_json(&format!("boto3 start_sync_execution ({how})"), c).await;
        assert_eq!(out["status"], json!("FAILED"), "{out}");
        assert_eq!(out["error"], json!("SomeFailure"));
        assert_eq!(out["billingDetails"]["billedDurationInMilliseconds"], json!(100));
        assert!(out["executionArn"].as_str().unwrap().contains(":express:"), "{out}");
    }
}
