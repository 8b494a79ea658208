//! A bare Lambda function ARN as a Task's Resource (the integration before
//! `lambda:invoke`): the function is invoked with the state's input, its payload alone
//! is the result, and the history holds the legacy `LambdaFunction*` events. Compared
//! event by event with AWS's records (LocalStack's AWS-recorded snapshots
//! `services/test_lambda_task` `test_invoke_pipe`, `error_handling/test_task_lambda`
//! `test_raise_exception_catch`, `timeouts/test_timeouts` for `LambdaFunctionTimedOut`).
//! The functions are served by the test's own Lambda endpoint.
mod aws_history;
mod common;
mod local_aws;

use aws_history::*;
use common::*;
use local_aws::*;
use serde_json::{json, Value};
use stepwise::serve::ServeOptions;

fn function(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_function_arn_records_legacy_lambda_events_as_aws_does() {
    let lambda = start_lambda().await;
    let t = TestServer::start_with(ServeOptions {
        aws_endpoints: vec![format!("lambda={}", lambda.url)],
        ..Default::default()
    })
    .await;
    let (echo, fail, slow) = (function("echo"), function("fail"), function("slow"));
    let definition = json!({
        "StartAt": "Echo",
        "States": {
            "Echo": {"Type": "Task", "Resource": echo, "Next": "Fail"},
            "Fail": {"Type": "Task", "Resource": fail, "Next": "Done",
                "Catch": [{"ErrorEquals": ["CustomError"], "ResultPath": "$.caught", "Next": "Slow"}]},
            "Slow": {"Type": "Task", "Resource": slow, "TimeoutSeconds": 1, "Next": "Done",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timedOut", "Next": "Done"}]},
            "Done": {"Type": "Succeed"}
        }
    });
    let machine = t.create_state_machine(&unique("legacy"), &definition.to_string()).await;
    let input = json!({"n": 1, "words": ["a", "b"]});
    let execution = t.start_exec(&machine, None, Some(&input.to_string())).await;
    let done = t.wait_for_status(&execution, "SUCCEEDED").await;
    let output: Value = serde_json::from_str(done.output().unwrap()).unwrap();
    let history = t.history_json(&execution).await;

    // Each function got the state's input as its event, unwrapped.
    let calls = lambda.calls.lock().unwrap().clone();
    let called: Vec<(&str, Value)> = calls
        .iter()
        .map(|c| (c.function.as_str(), serde_json::from_str(&c.body).unwrap()))
        .collect();
    let after_fail = {
        let mut s = input.clone();
        s["caught"] = json!({"Error": "CustomError", "Cause": LAMBDA_FAIL_PAYLOAD});
        s
    };
    assert_eq!(
        called,
        [
            (echo.as_str(), input.clone()),
            (fail.as_str(), input.clone()),
            (slow.as_str(), after_fail.clone())
        ]
    );
    // AWS catches a Task's timeout as `States.Timeout` with an empty cause.
    let mut after_slow = after_fail.clone();
    after_slow["timedOut"] = json!({"Error": "States.Timeout", "Cause": ""});
    assert_eq!(output, after_slow);

    let mut b = History::default();
    b.execution_started(&input, ROLE_ARN);
    // Echo: the payload alone is the result (not `lambda:invoke`'s wrapper).
    b.entered("Task", "Echo", &input);
    b.lambda_scheduled(&echo, &input, None);
    b.bare("LambdaFunctionStarted");
    b.event(
        "LambdaFunctionSucceeded",
        "lambdaFunctionSucceededEventDetails",
        json!({"output": input, "outputDetails": {"truncated": false}}),
    );
    b.exited("Task", "Echo", &input);
    // Fail: the function's error type is the error, its payload text the cause.
    b.entered("Task", "Fail", &input);
    b.lambda_scheduled(&fail, &input, None);
    b.bare("LambdaFunctionStarted");
    b.event(
        "LambdaFunctionFailed",
        "lambdaFunctionFailedEventDetails",
        json!({"cause": LAMBDA_FAIL_PAYLOAD, "error": "CustomError"}),
    );
    b.exited("Task", "Fail", &after_fail);
    // Slow: past TimeoutSeconds, `LambdaFunctionTimedOut` with `States.Timeout` only.
    b.entered("Task", "Slow", &after_fail);
    b.lambda_scheduled(&slow, &after_fail, Some(1));
    b.bare("LambdaFunctionStarted");
    b.event(
        "LambdaFunctionTimedOut",
        "lambdaFunctionTimedOutEventDetails",
        json!({"error": "States.Timeout"}),
    );
    b.exited("Task", "Slow", &after_slow);
    b.entered("Succeed", "Done", &after_slow);
    b.exited("Succeed", "Done", &after_slow);
    b.execution_succeeded(&after_slow);
    assert_history(&history, &[], &b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_function_arn_failure_uncaught_fails_the_execution_with_the_functions_error() {
    let lambda = start_lambda().await;
    let t = TestServer::start_with(ServeOptions {
        aws_endpoints: vec![format!("lambda={}", lambda.url)],
        ..Default::default()
    })
    .await;
    let fail = function("fail");
    let definition = json!({"StartAt": "Fail", "States": {"Fail": {"Type": "Task", "Resource": fail, "End": true}}});
    let machine = t.create_state_machine(&unique("legacy"), &definition.to_string()).await;
    let input = json!({});
    let execution = t.start_exec(&machine, None, Some("{}")).await;
    let done = t.wait_for_status(&execution, "FAILED").await;
    assert_eq!(done.error(), Some("CustomError"));
    assert_eq!(done.cause(), Some(LAMBDA_FAIL_PAYLOAD));

    let mut b = History::default();
    b.execution_started(&input, ROLE_ARN);
    b.entered("Task", "Fail", &input);
    b.lambda_scheduled(&fail, &input, None);
    b.bare("LambdaFunctionStarted");
    b.event(
        "LambdaFunctionFailed",
        "lambdaFunctionFailedEventDetails",
        json!({"cause": LAMBDA_FAIL_PAYLOAD, "error": "CustomError"}),
    );
    b.event(
        "ExecutionFailed",
        "executionFailedEventDetails",
        json!({"cause": LAMBDA_FAIL_PAYLOAD, "error": "CustomError"}),
    );
    assert_history(&t.history_json(&execution).await, &[], &b);
}

/// TestState of a Task with a bare function ARN invokes the function with the state's
/// input and answers with its payload alone, as an execution's Task does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_state_invokes_a_bare_function_arn_as_an_execution_does() {
    let lambda = start_lambda().await;
    let t = TestServer::start_with(ServeOptions {
        aws_endpoints: vec![format!("lambda={}", lambda.url)],
        ..Default::default()
    })
    .await;
    let definition = json!({"Type": "Task", "Resource": function("echo"), "End": true});
    let input = json!({"inputData": "HelloWorld"});
    let answer = t
        .raw_ok(
            "TestState",
            json!({
                "definition": definition.to_string(),
                "roleArn": "arn:aws:iam::123456789012:role/r",
                "input": input.to_string(),
            }),
        )
        .await;
    assert_eq!(answer["status"], json!("SUCCEEDED"), "{answer}");
    let output: Value = serde_json::from_str(answer["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, input, "the payload alone");
    let calls = lambda.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(serde_json::from_str::<Value>(&calls[0].body).unwrap(), input);
}
