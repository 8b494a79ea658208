//! `.waitForTaskToken` Tasks: the call hands `$$.Task.Token` to a service, the task waits
//! for `SendTaskSuccess`/`SendTaskFailure` with that token, its heartbeat and timeout end
//! it otherwise, and its token stays valid across a restart.
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{json, Value};
use stepwise_engine::clock::ManualClock;
use stepwise_engine::history::EventKind;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::Store;
use stepwise_engine::{
    CallFuture, Engine, Error, Integration, NewStateMachine, Options, Pattern, ServiceCall,
};

const START_MS: i64 = 1_700_000_000_000;

/// A service that records what it was sent and answers with a message id; or, when
/// `hang` is set, never answers.
#[derive(Default)]
struct Queue {
    sent: Mutex<Vec<(String, Pattern, Value)>>,
    hang: bool,
}

impl Integration for Queue {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        self.sent.lock().push((call.action.clone(), call.pattern, call.parameters.clone()));
        if self.hang {
            return Box::pin(std::future::pending());
        }
        let id = self.sent.lock().len();
        Box::pin(async move { Ok(json!({ "MessageId": format!("m-{id}") })) })
    }
}

fn options(
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    durable: bool,
    queue: Arc<Queue>,
) -> Options {
    Options {
        scope: Default::default(),
        clock,
        store,
        token_key: Some([3; 32]),
        durable,
        mocks: None,
        seed: Some(11),
        integrations: vec![("queue".into(), queue as Arc<dyn Integration>)],
    }
}

fn engine(clock: Arc<ManualClock>, queue: Arc<Queue>) -> Engine {
    Engine::new(options(clock, Arc::new(MemoryStore::new()), false, queue)).unwrap()
}

fn machine(engine: &Engine, task: Value) -> String {
    let definition = json!({
        "StartAt": "Ask",
        "States": {
            "Ask": task,
            "Done": {"Type": "Pass", "End": true}
        }
    });
    engine
        .create_state_machine(NewStateMachine {
            name: "callback".into(),
            definition: definition.to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap()
        .arn
}

fn callback_task(extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::queue:send.waitForTaskToken",
        "Parameters": {"Body.$": "$", "Token.$": "$$.Task.Token"},
        "Next": "Done"
    });
    task.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    task
}

/// Lets spawned calls run and their answers be decided.
async fn settle() {
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn types(engine: &Engine, execution: &str) -> Vec<&'static str> {
    engine.history(execution).unwrap().iter().map(|e| e.kind.type_name()).collect()
}

#[tokio::test]
async fn the_token_reaches_the_service_and_its_answer_ends_the_task() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let queue = Arc::new(Queue::default());
    let engine = engine(clock, queue.clone());
    let sm = machine(&engine, callback_task(json!({"HeartbeatSeconds": 60})));
    let execution = engine.start_execution(&sm, None, Some(r#"{"n":1}"#.into())).await.unwrap().arn;
    settle().await;

    let (action, pattern, parameters) = queue.sent.lock()[0].clone();
    assert_eq!((action.as_str(), pattern), ("send", Pattern::WaitForTaskToken));
    assert_eq!(parameters["Body"], json!({"n": 1}));
    let token = parameters["Token"].as_str().expect("$$.Task.Token is a string").to_owned();
    assert_eq!(
        types(&engine, &execution),
        ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted"]
    );
    let history = engine.history(&execution).unwrap();
    match &history[2].kind {
        EventKind::TaskScheduled { resource_type, resource, heartbeat_seconds, .. } => {
            assert_eq!(resource_type, "queue");
            assert_eq!(resource, "send.waitForTaskToken");
            assert_eq!(*heartbeat_seconds, Some(60));
        }
        other => panic!("not TaskScheduled: {other:?}"),
    }
    match &history[4].kind {
        EventKind::TaskSubmitted { output, .. } => assert_eq!(output, r#"{"MessageId":"m-1"}"#),
        other => panic!("not TaskSubmitted: {other:?}"),
    }

    engine.send_task_heartbeat(&token).await.unwrap();
    engine.send_task_success(&token, r#"{"answer":42}"#).await.unwrap();
    let record = engine.describe_execution(&execution).unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output.as_deref(), Some(r#"{"answer":42}"#));
    assert_eq!(
        types(&engine, &execution)[5..],
        [
            "TaskSucceeded",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    // The token is spent.
    let again = engine.send_task_success(&token, "{}").await.unwrap_err();
    assert!(matches!(again, Error::TaskTimedOut(_)), "{again:?}");
    assert_eq!(queue.sent.lock().len(), 1, "the call was made once");
}

#[tokio::test]
async fn send_task_failure_fails_the_task_with_its_error_for_catch() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let queue = Arc::new(Queue::default());
    let engine = engine(clock, queue.clone());
    let catch =
        json!({"Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Done"}]});
    let sm = machine(&engine, callback_task(catch));
    let execution = engine.start_execution(&sm, None, Some("{}".into())).await.unwrap().arn;
    settle().await;
    let token = queue.sent.lock()[0].2["Token"].as_str().unwrap().to_owned();
    engine.send_task_failure(&token, Some("Rejected".into()), Some("no".into())).await.unwrap();
    let record = engine.describe_execution(&execution).unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output.as_deref(), Some(r#"{"error":{"Error":"Rejected","Cause":"no"}}"#));
    let history = engine.history(&execution).unwrap();
    match &history[5].kind {
        EventKind::TaskFailed { resource_type, resource, error } => {
            assert_eq!(
                (resource_type.as_str(), resource.as_str()),
                ("queue", "send.waitForTaskToken")
            );
            assert_eq!(error.error.as_deref(), Some("Rejected"));
            assert_eq!(error.cause.as_deref(), Some("no"));
        }
        other => panic!("not TaskFailed: {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_callback_times_out_by_heartbeat_and_its_token_dies() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let queue = Arc::new(Queue::default());
    let engine = engine(clock.clone(), queue.clone());
    let sm = machine(&engine, callback_task(json!({"HeartbeatSeconds": 5, "TimeoutSeconds": 100})));
    let execution = engine.start_execution(&sm, None, Some("{}".into())).await.unwrap().arn;
    settle().await;
    let token = queue.sent.lock()[0].2["Token"].as_str().unwrap().to_owned();
    clock.set(START_MS + 4_000);
    engine.send_task_heartbeat(&token).await.unwrap();
    clock.set(START_MS + 8_000);
    engine.tick();
    assert_eq!(engine.describe_execution(&execution).unwrap().status, ExecutionStatus::Running);
    clock.set(START_MS + 9_001);
    engine.tick();
    let record = engine.describe_execution(&execution).unwrap();
    assert_eq!(record.status, ExecutionStatus::Failed);
    // AWS records a callback's missed heartbeat as `States.Timeout` (an activity's is
    // `States.HeartbeatTimeout`).
    assert_eq!(record.error.as_deref(), Some("States.Timeout"));
    let history = engine.history(&execution).unwrap();
    let timed_out =
        history.iter().find(|e| e.kind.type_name() == "TaskTimedOut").expect("TaskTimedOut");
    match &timed_out.kind {
        EventKind::TaskTimedOut { error, .. } => {
            assert_eq!(error.error.as_deref(), Some("States.Timeout"))
        }
        other => panic!("{other:?}"),
    }
    assert!(engine.send_task_success(&token, "{}").await.is_err());
    assert_eq!(engine.holdings().timers, 0, "no timer left armed");
}

#[tokio::test]
async fn a_call_that_never_answers_ends_at_timeout_seconds() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let engine = engine(clock.clone(), Arc::new(Queue { hang: true, ..Default::default() }));
    let task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::queue:send",
        "TimeoutSeconds": 30,
        "Next": "Done"
    });
    let sm = machine(&engine, task);
    let execution = engine.start_execution(&sm, None, Some("{}".into())).await.unwrap().arn;
    settle().await;
    clock.set(START_MS + 30_000);
    engine.tick();
    let record = engine.describe_execution(&execution).unwrap();
    assert_eq!(record.status, ExecutionStatus::Failed);
    assert_eq!(record.error.as_deref(), Some("States.Timeout"));
    assert_eq!(
        types(&engine, &execution),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskTimedOut",
            "ExecutionFailed"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_token_survives_a_restart_without_calling_again() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let store = Arc::new(MemoryStore::new());
    let queue = Arc::new(Queue::default());
    let first = Engine::new(options(clock.clone(), store.clone(), true, queue.clone())).unwrap();
    let sm = machine(&first, callback_task(json!({})));
    let execution = first.start_execution(&sm, None, Some("{}".into())).await.unwrap().arn;
    settle().await;
    assert_eq!(types(&first, &execution).last(), Some(&"TaskSubmitted"));
    let token = queue.sent.lock()[0].2["Token"].as_str().unwrap().to_owned();
    drop(first);

    assert_eq!(store.running_snapshots().unwrap().len(), 1);
    let second = Engine::start(options(clock, store.clone(), true, queue.clone())).unwrap();
    second.send_task_success(&token, r#""late""#).await.unwrap();
    let record = second.describe_execution(&execution).unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output.as_deref(), Some(r#""late""#));
    assert_eq!(queue.sent.lock().len(), 1, "a submitted call is not repeated after a restart");
}
