//! AWS's quotas and clocks, checked on the engine with a manual clock: a one-year Wait
//! is a millisecond test.
use std::sync::Arc;
use std::time::Duration;

use stepwise_engine::clock::ManualClock;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::{Engine, NewStateMachine, Options};

fn engine(clock: Arc<ManualClock>) -> Engine {
    Engine::new(Options {
        scope: Default::default(),
        clock,
        store: Arc::new(MemoryStore::new()),
        token_key: Some([3; 32]),
        durable: false,
        mocks: None,
        seed: None,
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

/// Runs ticks (and, with `jump`, the clock to each next deadline) until nothing is due.
fn settle(engine: &Engine, clock: &ManualClock, jump: bool) {
    for _ in 0..1000 {
        match engine.tick() {
            Some(next) if jump => clock.set(next),
            _ => return,
        }
    }
}

#[tokio::test]
async fn a_one_year_wait_fires_at_its_deadline() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let engine = engine(clock.clone());
    let year = 365 * 24 * 3600;
    let arn = machine(
        &engine,
        "wait-a-year",
        serde_json::json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": year, "End": true}}}),
    );
    let execution = engine.start_execution(&arn, None, None).await.unwrap();
    clock.advance(year * 1000 - 1);
    settle(&engine, &clock, false);
    assert_eq!(engine.describe_execution(&execution.arn).unwrap().status, ExecutionStatus::Running);
    clock.advance(1);
    settle(&engine, &clock, false);
    let done = engine.describe_execution(&execution.arn).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.stop_ms, Some(1_700_000_000_000 + year * 1000));
}

#[tokio::test]
async fn an_output_over_256_kib_fails_with_data_limit_exceeded() {
    let clock = Arc::new(ManualClock::new(0));
    let engine = engine(clock.clone());
    let big = "a".repeat(257 * 1024);
    let arn = machine(
        &engine,
        "too-big",
        serde_json::json!({"StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": big}, "End": true}}}),
    );
    let execution = engine.start_execution(&arn, None, None).await.unwrap();
    let done = engine.describe_execution(&execution.arn).unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.DataLimitExceeded"));
    // AWS's text, from its recorded history (error_handling/test_start_large_input).
    assert_eq!(
        done.cause.as_deref(),
        Some("The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes service limit.")
    );
}

#[tokio::test]
async fn a_history_reaching_25000_events_fails_the_execution() {
    let clock = Arc::new(ManualClock::new(0));
    let engine = engine(clock.clone());
    let arn = machine(
        &engine,
        "forever",
        serde_json::json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "A"},
            "Done": {"Type": "Succeed"}
        }}),
    );
    let execution = engine.start_execution(&arn, None, None).await.unwrap();
    // A long loop yields after each step budget; each tick gives it another.
    for _ in 0..1000 {
        engine.tick();
    }
    let done = engine.describe_execution(&execution.arn).unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Runtime"));
    let history = engine.history(&execution.arn).unwrap();
    assert_eq!(history.len(), 25_000, "the last event is ExecutionFailed, number 25,000");
    assert_eq!(history.last().unwrap().kind.type_name(), "ExecutionFailed");
}

#[tokio::test]
async fn ended_executions_are_removed_after_the_retention_period() {
    let clock = Arc::new(ManualClock::new(0));
    let engine = engine(clock.clone());
    let arn = machine(
        &engine,
        "short",
        serde_json::json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
    );
    let execution = engine.start_execution(&arn, Some("once".into()), None).await.unwrap();
    let retention = Duration::from_secs(90 * 86_400);
    clock.advance(retention.as_millis() as i64 - 1);
    assert_eq!(engine.remove_expired(retention).unwrap(), 0);
    clock.advance(2);
    assert_eq!(engine.remove_expired(retention).unwrap(), 1);
    assert!(engine.describe_execution(&execution.arn).is_err());
    // The name is free again.
    engine.start_execution(&arn, Some("once".into()), None).await.unwrap();
}
