//! One workflow end to end, as the integrations issue asks: Lambda → DynamoDB putItem →
//! SQS sendMessage.waitForTaskToken (the test reads the queue and answers with the
//! token) → Choice → nested `startExecution.sync:2` → HTTP Task → Succeed, run by an
//! in-process server against a Lambda endpoint of the test, moto's server, the server
//! itself and an HTTP endpoint of the test. Its history is compared event by event with
//! the shapes AWS records (LocalStack's AWS-recorded snapshots:
//! `services/test_lambda_task_service` `test_invoke`, `services/test_dynamodb_task_service`
//! `DYNAMODB_PUT_GET_ITEM`, `callback/test_callback` `test_sqs_wait_for_task_token` and
//! `test_start_execution_sync2`), and what each service was sent is checked where it
//! landed. Without moto the test skips loudly; under `CI=true` it fails instead.
mod aws_history;
mod common;
mod http_recorder;
mod local_aws;

use aws_history::*;
use common::*;
use http_recorder::Recorder;
use local_aws::*;
use serde_json::{json, Value};
use stepwise::serve::ServeOptions;

const CONNECTION: &str = "arn:aws:events:us-east-1:123456789012:connection/orders/5e1f";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_dynamodb_callback_choice_nested_http_workflow_matches_aws_history() {
    let Some(moto) = start_moto("lambda_dynamodb_callback_choice_nested_http_workflow").await
    else {
        return;
    };
    let lambda = start_lambda().await;
    let endpoint = Recorder::start().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let connections = dir.path().join("connections.json");
    let file = json!({"Connections": {CONNECTION: {"AuthorizationType": "BASIC", "AuthParameters": {
        "BasicAuthParameters": {"Username": "orders", "Password": "pw"}}}}});
    std::fs::write(&connections, file.to_string()).expect("write the connections file");
    let mut aws_endpoints = vec![format!("lambda={}", lambda.url)];
    aws_endpoints.extend(["dynamodb", "sqs"].map(|s| format!("{s}={}", moto.url)));
    let t = TestServer::start_with(ServeOptions {
        aws_endpoints,
        connections: Some(connections),
        ..Default::default()
    })
    .await;

    let table = unique("orders");
    moto.create_table(&table).await;
    let queue = moto.create_queue(&unique("approvals")).await;
    let child_definition = json!({"StartAt": "Double", "States": {"Double": {"Type": "Pass",
        "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": true}}});
    let child = t.create_state_machine(&unique("double"), &child_definition.to_string()).await;
    let notify_url = endpoint.url("/orders");

    let definition = json!({
        "StartAt": "Invoke",
        "States": {
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "echo", "Payload": {"orderId.$": "$.orderId", "amount.$": "$.amount"}},
                "ResultSelector": {"order.$": "$.Payload", "status.$": "$.StatusCode"},
                "ResultPath": "$.lambda", "Next": "Store"},
            "Store": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table, "Item": {
                    "id": {"S.$": "$.lambda.order.orderId"},
                    "amount": {"N.$": "States.Format('{}', $.lambda.order.amount)"}}},
                "ResultPath": null, "Next": "Approve"},
            "Approve": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue, "MessageBody": {"orderId.$": "$.orderId", "TaskToken.$": "$$.Task.Token"}},
                "HeartbeatSeconds": 60, "TimeoutSeconds": 600,
                "ResultPath": "$.approval", "Next": "Decide"},
            "Decide": {"Type": "Choice",
                "Choices": [{"Variable": "$.approval.approved", "BooleanEquals": true, "Next": "Child"}],
                "Default": "Rejected"},
            "Rejected": {"Type": "Fail", "Error": "Rejected"},
            "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.amount"}},
                "ResultSelector": {"twice.$": "$.Output.twice", "status.$": "$.Status"},
                "ResultPath": "$.child", "Next": "Notify"},
            "Notify": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {"ApiEndpoint": notify_url, "Method": "POST",
                    "Authentication": {"ConnectionArn": CONNECTION},
                    "RequestBody": {"orderId.$": "$.orderId", "twice.$": "$.child.twice", "approvedBy.$": "$.approval.by"}},
                "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"},
                "ResultPath": "$.notified", "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    });
    let machine = t.create_state_machine(&unique("orders"), &definition.to_string()).await;
    let input = json!({"orderId": "o-1", "amount": 21});
    let execution = t.start_exec(&machine, None, Some(&input.to_string())).await;

    // The callback: the message carries the token; the task waits until it is answered.
    let message = moto.receive(&queue, 15).await.expect("the Approve message reached the queue");
    let body: Value = serde_json::from_str(message["Body"].as_str().unwrap()).unwrap();
    let token = body["TaskToken"].as_str().expect("the message carries the token").to_owned();
    assert_eq!(body, json!({"orderId": "o-1", "TaskToken": token}));
    let waiting = t.wait_for_event(&execution, "TaskSubmitted").await;
    assert_eq!(waiting.last().unwrap()["type"], "TaskSubmitted", "waits for the token");
    let approval = json!({"approved": true, "by": "tester"});
    t.client
        .send_task_success()
        .task_token(&token)
        .output(approval.to_string())
        .send()
        .await
        .expect("SendTaskSuccess");

    let done = t.wait_for_status(&execution, "SUCCEEDED").await;
    let output: Value = serde_json::from_str(done.output().unwrap()).unwrap();
    let history = t.history_json(&execution).await;

    // What each service saw.
    let calls = lambda.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].function, "echo");
    assert_eq!(serde_json::from_str::<Value>(&calls[0].body).unwrap(), input);
    let item = moto
        .json(
            "1.0",
            "DynamoDB_20120810.GetItem",
            json!({"TableName": table, "Key": {"id": {"S": "o-1"}}}),
        )
        .await;
    assert_eq!(item["Item"], json!({"id": {"S": "o-1"}, "amount": {"N": "21"}}));
    let seen = endpoint.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].target.as_str()), ("POST", "/orders"));
    assert_eq!(
        serde_json::from_str::<Value>(&seen[0].body).unwrap(),
        json!({"orderId": "o-1", "twice": 42, "approvedBy": "tester"})
    );
    assert!(seen[0].headers.contains(&("authorization".into(), "Basic b3JkZXJzOnB3".into())));

    // The nested execution ran on this server, to its end.
    let child_execution = history
        .iter()
        .find(|e| {
            e["type"] == "TaskSubmitted"
                && e["taskSubmittedEventDetails"]["resourceType"] == "states"
        })
        .map(|e| parse(&e["taskSubmittedEventDetails"]["output"])["ExecutionArn"].clone())
        .and_then(|a| a.as_str().map(str::to_owned))
        .expect("the nested call's TaskSubmitted names the child");
    let child_described = t.wait_for_status(&child_execution, "SUCCEEDED").await;
    assert_eq!(child_described.state_machine_arn(), child);
    let child_name = child_described.name().unwrap().to_owned();
    let child_types: Vec<String> = t
        .history_json(&child_execution)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        child_types,
        ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    );

    // The final output, from each state's result.
    let after_invoke = with(&input, "lambda", json!({"order": input, "status": 200}));
    let after_approve = with(&after_invoke, "approval", approval.clone());
    let after_child = with(&after_approve, "child", json!({"twice": 42, "status": "SUCCEEDED"}));
    let after_notify =
        with(&after_child, "notified", json!({"status": 200, "body": {"received": true}}));
    assert_eq!(output, after_notify);

    // The history, event by event, as AWS records it. Values that differ from run to run
    // are replaced after their shape is checked: the token, SDK metadata, dates.
    let placeholders =
        [(token.as_str(), "<task_token>"), (child_execution.as_str(), "<child_arn>")];
    let sdk = "<SdkHttpMetadata>";
    let request_id = "<request_id>";
    let sent = moto_message(&message);
    let mut b = History::default();
    b.execution_started(&input, ROLE_ARN);
    // Invoke: lambda:invoke, request-response.
    b.entered("Task", "Invoke", &input);
    b.scheduled("lambda", "invoke", json!({"FunctionName": "echo", "Payload": input}), json!({}));
    b.started("lambda", "invoke");
    b.succeeded("lambda", "invoke", json!({"ExecutedVersion": "$LATEST", "Payload": input,
        "SdkHttpMetadata": sdk, "SdkResponseMetadata": {"RequestId": request_id}, "StatusCode": 200}));
    b.exited("Task", "Invoke", &after_invoke);
    // Store: dynamodb:putItem.
    b.entered("Task", "Store", &after_invoke);
    b.scheduled(
        "dynamodb",
        "putItem",
        json!({"TableName": table,
        "Item": {"id": {"S": "o-1"}, "amount": {"N": "21"}}}),
        json!({}),
    );
    b.started("dynamodb", "putItem");
    b.succeeded(
        "dynamodb",
        "putItem",
        json!({"SdkHttpMetadata": sdk, "SdkResponseMetadata": {"RequestId": request_id}}),
    );
    b.exited("Task", "Store", &after_invoke);
    // Approve: sqs:sendMessage.waitForTaskToken, with its limits recorded.
    let approve = "sendMessage.waitForTaskToken";
    b.entered("Task", "Approve", &after_invoke);
    b.scheduled(
        "sqs",
        approve,
        json!({"QueueUrl": queue, "MessageBody": {"orderId": "o-1", "TaskToken": "<task_token>"}}),
        json!({"heartbeatInSeconds": 60, "timeoutInSeconds": 600}),
    );
    b.started("sqs", approve);
    b.submitted(
        "sqs",
        approve,
        json!({"MD5OfMessageBody": sent.md5, "MessageId": sent.id,
        "SdkHttpMetadata": sdk, "SdkResponseMetadata": {"RequestId": request_id}}),
    );
    b.succeeded("sqs", approve, approval.clone());
    b.exited("Task", "Approve", &after_approve);
    // Decide.
    b.entered("Choice", "Decide", &after_approve);
    b.exited("Choice", "Decide", &after_approve);
    // Child: states:startExecution.sync:2, the child's description with its output parsed.
    let sync2 = "startExecution.sync:2";
    b.entered("Task", "Child", &after_approve);
    b.scheduled("states", sync2, json!({"StateMachineArn": child, "Input": {"n": 21}}), json!({}));
    b.started("states", sync2);
    b.submitted(
        "states",
        sync2,
        json!({"ExecutionArn": "<child_arn>", "SdkHttpMetadata": sdk,
        "SdkResponseMetadata": {"RequestId": request_id}, "StartDate": "<date>"}),
    );
    b.succeeded(
        "states",
        sync2,
        json!({"ExecutionArn": "<child_arn>", "Input": {"n": 21},
        "InputDetails": {"Included": true}, "Name": child_name, "Output": {"twice": 42},
        "OutputDetails": {"Included": true}, "StartDate": "<date>", "StateMachineArn": child,
        "Status": "SUCCEEDED", "StopDate": "<date>"}),
    );
    b.exited("Task", "Child", &after_child);
    // Notify: http:invoke.
    b.entered("Task", "Notify", &after_child);
    b.scheduled(
        "http",
        "invoke",
        json!({"ApiEndpoint": notify_url, "Method": "POST",
        "Authentication": {"ConnectionArn": CONNECTION},
        "RequestBody": {"orderId": "o-1", "twice": 42, "approvedBy": "tester"}}),
        json!({}),
    );
    b.started("http", "invoke");
    b.succeeded("http", "invoke", json!({
        "Headers": {"content-type": ["application/json"], "content-length": ["17"], "connection": ["close"]},
        "ResponseBody": {"received": true}, "StatusCode": 200, "StatusText": "OK"}));
    b.exited("Task", "Notify", &after_notify);
    // Done.
    b.entered("Succeed", "Done", &after_notify);
    b.exited("Succeed", "Done", &after_notify);
    b.execution_succeeded(&after_notify);

    assert_history(&history, &placeholders, &b);
}

/// `state` with `key` set to `value`.
fn with(state: &Value, key: &str, value: Value) -> Value {
    let mut s = state.clone();
    s[key] = value;
    s
}

struct Sent {
    id: String,
    md5: String,
}

/// The message as the queue holds it: its id and the MD5 of its body.
fn moto_message(message: &Value) -> Sent {
    Sent {
        id: message["MessageId"].as_str().unwrap().to_owned(),
        md5: message["MD5OfBody"].as_str().unwrap().to_owned(),
    }
}
