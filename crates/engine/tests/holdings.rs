//! Nothing accumulates: timers go when their state, task or execution ends, and an
//! ended execution leaves the engine (its rows are in the store).
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use stepwise_engine::clock::ManualClock;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::{Engine, Holdings, NewStateMachine, Options};

const START_MS: i64 = 1_700_000_000_000;

fn engine(clock: Arc<ManualClock>) -> Engine {
    Engine::new(Options {
        scope: Default::default(),
        clock,
        store: Arc::new(MemoryStore::new()),
        token_key: Some([9; 32]),
        durable: false,
        mocks: None,
        seed: Some(7),
        integrations: Vec::new(),
    })
    .unwrap()
}

fn machine(engine: &Engine, name: &str, definition: serde_json::Value) -> String {
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

const EMPTY: Holdings = Holdings { executions: 0, timers: 0, tasks: 0, frames: 0 };

#[tokio::test]
async fn a_day_long_execution_timeout_goes_with_its_execution() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let engine = engine(clock.clone());
    let definition = json!({
        "TimeoutSeconds": 86400,
        "StartAt": "Nap",
        "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": true}}
    });
    let sm = machine(&engine, "day", definition);
    for _ in 0..100 {
        engine.start_execution(&sm, None, None).await.unwrap();
    }
    let running = engine.holdings();
    // Each execution: its Wait and its TimeoutSeconds.
    assert_eq!((running.executions, running.timers), (100, 200));
    clock.set(START_MS + 1_000);
    engine.tick();
    assert_eq!(engine.holdings(), EMPTY, "100 ended executions leave nothing armed");
}

#[tokio::test]
async fn a_finished_task_takes_its_timeout_and_heartbeat_timers_along() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let engine = engine(clock.clone());
    let activity = engine.create_activity("work", Vec::new(), None).unwrap().arn;
    let definition = json!({
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 100, "HeartbeatSeconds": 50, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 10, "End": true}
        }
    });
    let sm = machine(&engine, "task", definition);
    let execution = engine.start_execution(&sm, None, None).await.unwrap().arn;
    let task = engine
        .get_activity_task_within(&activity, None, Duration::from_millis(10))
        .await
        .unwrap()
        .expect("a task");
    // The task's timeout and its heartbeat.
    assert_eq!(engine.holdings(), Holdings { executions: 1, timers: 2, tasks: 1, frames: 1 });
    engine.send_task_success(&task.task_token, "{}").await.unwrap();
    // Only the Wait's timer is left.
    assert_eq!(engine.holdings(), Holdings { executions: 1, timers: 1, tasks: 0, frames: 1 });
    clock.set(START_MS + 10_000);
    engine.tick();
    assert_eq!(engine.describe_execution(&execution).unwrap().status, ExecutionStatus::Succeeded);
    assert_eq!(engine.holdings(), EMPTY);
}

#[tokio::test]
async fn a_retried_task_keeps_one_timer_per_frame() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let engine = engine(clock.clone());
    let activity = engine.create_activity("flaky", Vec::new(), None).unwrap().arn;
    let definition = json!({
        "StartAt": "Work",
        "States": {"Work": {
            "Type": "Task", "Resource": activity, "TimeoutSeconds": 1000,
            "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 50, "BackoffRate": 1}],
            "End": true
        }}
    });
    let sm = machine(&engine, "retry", definition);
    let execution = engine.start_execution(&sm, None, None).await.unwrap().arn;
    for attempt in 0..20 {
        let task = engine
            .get_activity_task_within(&activity, None, Duration::from_millis(10))
            .await
            .unwrap()
            .expect("a task");
        engine.send_task_failure(&task.task_token, Some("Boom".into()), None).await.unwrap();
        // Backing off: the backoff timer only, not one task timeout per attempt.
        assert_eq!(engine.holdings().timers, 1, "attempt {attempt}");
        clock.set(START_MS + (attempt + 1) * 1_000);
        engine.tick();
    }
    let task = engine
        .get_activity_task_within(&activity, None, Duration::from_millis(10))
        .await
        .unwrap()
        .expect("a task");
    engine.send_task_success(&task.task_token, "{}").await.unwrap();
    assert_eq!(engine.describe_execution(&execution).unwrap().status, ExecutionStatus::Succeeded);
    assert_eq!(engine.holdings(), EMPTY);
}
