//! Nested workflows: `arn:aws:states:::states:startExecution` with each pattern, on the
//! same engine, with AWS's output shapes, and a stopped parent stopping its `.sync`
//! child.
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use stepwise_engine::clock::SystemClock;
use stepwise_engine::history::EventKind;
use stepwise_engine::model::{ExecutionRecord, ExecutionStatus};
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::{Engine, NewStateMachine, Options};

fn engine() -> Engine {
    Engine::start(Options {
        scope: Default::default(),
        clock: Arc::new(SystemClock),
        store: Arc::new(MemoryStore::new()),
        token_key: Some([4; 32]),
        durable: true,
        mocks: None,
        seed: Some(5),
        integrations: Vec::new(),
    })
    .unwrap()
}

fn machine(engine: &Engine, name: &str, definition: Value) -> String {
    engine
        .create_state_machine(NewStateMachine {
            name: name.into(),
            definition: definition.to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap()
        .arn
}

fn parent(engine: &Engine, name: &str, resource: &str, child: &str, extra: Value) -> String {
    let mut call = json!({
        "Type": "Task",
        "Resource": resource,
        "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
        "End": true
    });
    call.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    machine(engine, name, json!({"StartAt": "Call", "States": {"Call": call}}))
}

async fn finished(engine: &Engine, arn: &str) -> ExecutionRecord {
    tokio::time::timeout(Duration::from_secs(10), engine.wait_for_end(arn))
        .await
        .expect("ends within 10 s")
        .unwrap()
}

fn history_types(engine: &Engine, arn: &str) -> Vec<&'static str> {
    engine.history(arn).unwrap().iter().map(|e| e.kind.type_name()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_2_returns_the_childs_description_with_its_output_parsed() {
    let engine = engine();
    let child = machine(
        &engine,
        "double",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": true}}}),
    );
    let sm =
        parent(&engine, "p2", "arn:aws:states:::states:startExecution.sync:2", &child, json!({}));
    let arn = engine.start_execution(&sm, None, Some(r#"{"n":21}"#.into())).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let output: Value = serde_json::from_str(record.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["Output"], json!({"twice": 42}));
    assert_eq!(output["Input"], json!({"n": 21}));
    assert_eq!(output["Status"], "SUCCEEDED");
    assert_eq!(output["StateMachineArn"], json!(child));
    let child_arn = output["ExecutionArn"].as_str().unwrap();
    assert_eq!(engine.describe_execution(child_arn).unwrap().status, ExecutionStatus::Succeeded);
    assert_eq!(
        history_types(&engine, &arn),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let history = engine.history(&arn).unwrap();
    match &history[4].kind {
        EventKind::TaskSubmitted { resource_type, resource, output } => {
            assert_eq!(
                (resource_type.as_str(), resource.as_str()),
                ("states", "startExecution.sync:2")
            );
            let submitted: Value = serde_json::from_str(output).unwrap();
            assert_eq!(submitted["ExecutionArn"], json!(child_arn));
        }
        other => panic!("not TaskSubmitted: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_keeps_the_output_as_text_and_request_response_only_starts() {
    let engine = engine();
    let child = machine(
        &engine,
        "echo",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    );
    let sync =
        parent(&engine, "p1", "arn:aws:states:::states:startExecution.sync", &child, json!({}));
    let arn = engine.start_execution(&sync, None, Some(r#"{"n":1}"#.into())).await.unwrap().arn;
    let output: Value =
        serde_json::from_str(finished(&engine, &arn).await.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["Output"], json!(r#"{"n":1}"#));

    let start = parent(&engine, "p0", "arn:aws:states:::states:startExecution", &child, json!({}));
    let arn = engine.start_execution(&start, None, Some(r#"{"n":2}"#.into())).await.unwrap().arn;
    let output: Value =
        serde_json::from_str(finished(&engine, &arn).await.output.as_deref().unwrap()).unwrap();
    assert!(output["ExecutionArn"].as_str().unwrap().contains(":execution:echo:"));
    assert!(output["StartDate"].is_number());
    assert!(output.get("Output").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_child_fails_the_task_with_states_task_failed_for_catch() {
    let engine = engine();
    let child = machine(
        &engine,
        "boom",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}}),
    );
    let catch =
        json!({"Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], "End": null});
    let mut definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "Parameters": {"StateMachineArn": child}, "Next": "Caught"},
        "Caught": {"Type": "Pass", "End": true}
    }});
    definition["States"]["Call"]["Catch"] = catch["Catch"].clone();
    let sm = machine(&engine, "catcher", definition);
    let arn = engine.start_execution(&sm, None, None).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(record.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(output["Cause"].as_str().unwrap()).unwrap();
    assert_eq!((cause["Status"].as_str(), cause["Error"].as_str()), (Some("FAILED"), Some("Boom")));
    assert_eq!(cause["Cause"], "on purpose");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_state_machine_is_named_as_aws_names_it() {
    let engine = engine();
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nowhere";
    let sm = parent(&engine, "lost", "arn:aws:states:::states:startExecution", missing, json!({}));
    let arn = engine.start_execution(&sm, None, Some(r#"{"n":1}"#.into())).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.error.as_deref(), Some("StepFunctions.StateMachineDoesNotExistException"));
    assert!(record.cause.unwrap().contains(
        "(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist;"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_answers_its_parents_token() {
    let engine = engine();
    let child = machine(
        &engine,
        "answerer",
        json!({"StartAt": "Answer", "States": {"Answer": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
            "Parameters": {"TaskToken.$": "$.token", "Output": "{\"answered\":true}"},
            "End": true
        }}}),
    );
    let definition = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}},
        "End": true
    }}});
    let sm = machine(&engine, "asker", definition);
    let arn = engine.start_execution(&sm, None, None).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    assert_eq!(record.output.as_deref(), Some(r#"{"answered":true}"#));
}

/// AWS gives a `.sync` task a token too: a child that answers it ends the task with
/// that answer while the child itself goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_task_ends_with_its_token_answered_before_the_child_ends() {
    let engine = engine();
    let child = machine(
        &engine,
        "answers-then-waits",
        json!({"StartAt": "Answer", "States": {
            "Answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                "Parameters": {"TaskToken.$": "$.token", "Output": "\"early\""},
                "Next": "Linger"
            },
            "Linger": {"Type": "Wait", "Seconds": 3600, "End": true}
        }}),
    );
    let definition = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}},
        "End": true
    }}});
    let sm = machine(&engine, "sync-asker", definition);
    let arn = engine.start_execution(&sm, None, None).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    assert_eq!(record.output.as_deref(), Some(r#""early""#));
    // The token may be answered before the call records the child's start
    // (`TaskSubmitted`), which is then left out, the task being over.
    let types: Vec<&str> =
        history_types(&engine, &arn).into_iter().filter(|t| *t != "TaskSubmitted").collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_parent_stops_its_sync_child() {
    let engine = engine();
    let child = machine(
        &engine,
        "slow",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    );
    let sm =
        parent(&engine, "ps", "arn:aws:states:::states:startExecution.sync", &child, json!({}));
    let arn = engine.start_execution(&sm, None, Some(r#"{"n":1}"#.into())).await.unwrap().arn;
    // The child is running once the parent records the call as submitted.
    let child_arn = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let history = engine.history(&arn).unwrap();
            let submitted = history.iter().find_map(|e| match &e.kind {
                EventKind::TaskSubmitted { output, .. } => Some(output.clone()),
                _ => None,
            });
            if let Some(output) = submitted {
                let v: Value = serde_json::from_str(&output).unwrap();
                break v["ExecutionArn"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the child starts within 10 s: {:?}", history_types(&engine, &arn)));
    engine.stop_execution(&arn, None, None).await.unwrap();
    assert_eq!(engine.describe_execution(&arn).unwrap().status, ExecutionStatus::Aborted);
    let child = finished(&engine, &child_arn).await;
    assert_eq!(child.status, ExecutionStatus::Aborted, "{child:?}");
}

/// `aws-sdk:sfn:startExecution` (an object input sent as its JSON text, as AWS
/// serialises it) and `describeExecution`, with the SDK's member names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_sfn_starts_and_describes_an_execution() {
    let engine = engine();
    let child = machine(
        &engine,
        "target",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    );
    let definition = json!({"StartAt": "Start", "States": {
        "Start": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
            "Parameters": {"StateMachineArn": child, "Name": "from-sdk", "Input": {"key": "value"}},
            "Next": "Describe"
        },
        "Describe": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
            "Parameters": {"ExecutionArn.$": "$.ExecutionArn"},
            "End": true
        }
    }});
    let sm = machine(&engine, "sdk-starter", definition);
    let arn = engine.start_execution(&sm, None, None).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let output: Value = serde_json::from_str(record.output.as_deref().unwrap()).unwrap();
    let child_arn = child.replacen(":stateMachine:", ":execution:", 1) + ":from-sdk";
    assert_eq!(output["ExecutionArn"], json!(child_arn));
    assert_eq!(output["Name"], json!("from-sdk"));
    assert_eq!(output["Input"], json!(r#"{"key":"value"}"#));
    let start = output["StartDate"].as_str().expect("an ISO 8601 date");
    assert!(start.len() == 24 && start.ends_with('Z'), "{start}");
    let started = &engine.history(&arn).unwrap()[4];
    match &started.kind {
        EventKind::TaskSucceeded { output, .. } => {
            let v: Value = serde_json::from_str(output).unwrap();
            assert_eq!(
                v.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["ExecutionArn", "StartDate"]
            );
        }
        other => panic!("not TaskSucceeded: {other:?}"),
    }
}

/// `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` in a nested start's input names the
/// parent, as AWS documents; the child receives it in its input like any field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_started_by_field_reaches_the_child() {
    let engine = engine();
    let child = machine(
        &engine,
        "echo-parent",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    );
    let definition = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {
            "StateMachineArn": child,
            "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
        },
        "End": true
    }}});
    let sm = machine(&engine, "starter", definition);
    let arn = engine.start_execution(&sm, None, None).await.unwrap().arn;
    let record = finished(&engine, &arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let output: Value = serde_json::from_str(record.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["Output"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"], json!(arn));
}
