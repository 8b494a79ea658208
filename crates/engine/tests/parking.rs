//! Executions that only sleep leave memory once their snapshot is durable, and come
//! back when a timer fires: same outputs, same histories as executions that stayed.
use std::sync::Arc;

use serde_json::json;
use stepwise_engine::clock::ManualClock;
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::{Engine, NewStateMachine, Options, Residency};

const START_MS: i64 = 1_700_000_000_000;

/// `durable` turns on the committer and snapshots (the memory store keeps them too).
fn engine(clock: Arc<ManualClock>, durable: bool) -> Engine {
    Engine::new(Options {
        scope: Default::default(),
        clock,
        store: Arc::new(MemoryStore::new()),
        token_key: Some([5; 32]),
        durable,
        mocks: None,
        seed: Some(42),
    })
    .unwrap()
}

/// A Wait, then a Parallel whose branches wait different times, then a Pass that reads
/// the Context object: every kind of sleeping frame, and state that must survive.
fn definition() -> serde_json::Value {
    json!({
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "ResultPath": "$.first", "Result": 1, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Both"},
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Short", "States": {"Short": {"Type": "Wait", "Seconds": 60, "End": true}}},
                    {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 600, "End": true}}}
                ],
                "ResultPath": "$.branches",
                "Next": "Last"
            },
            "Last": {
                "Type": "Pass",
                "Parameters": {"n.$": "$.n", "first.$": "$.first", "entered.$": "$$.State.EnteredTime", "name.$": "$$.Execution.Name"},
                "End": true
            }
        }
    })
}

/// Starts `n` executions, parks what parks, stops execution 0, then runs every timer.
/// Returns each execution's final row and history, and the residency after starting.
async fn run(
    durable: bool,
    n: usize,
) -> (Vec<(ExecutionStatus, Option<String>, Vec<HistoryEvent>)>, Residency) {
    let clock = Arc::new(ManualClock::new(START_MS));
    let engine = engine(clock.clone(), durable);
    let machine = engine
        .create_state_machine(NewStateMachine {
            name: "sleepy".into(),
            definition: definition().to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap()
        .arn;
    let mut arns = Vec::new();
    for i in 0..n {
        let input = json!({"n": i}).to_string();
        arns.push(
            engine.start_execution(&machine, Some(format!("e{i}")), Some(input)).await.unwrap().arn,
        );
    }
    engine.tick();
    let after_start = engine.residency();

    clock.advance(1000);
    engine.stop_execution(&arns[0], Some("Enough".into()), None).await.unwrap();
    // Through the Wait, then each Parallel branch; the ticks' commits are awaited by
    // the next start of the loop (the committer runs on its own thread).
    for _ in 0..10 {
        match engine.tick() {
            Some(next) => clock.set(next),
            None => break,
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    engine.tick();
    // The last tick's batch may still be on the committer thread: wait until every row ended.
    for _ in 0..400 {
        let running = arns
            .iter()
            .filter(|arn| {
                engine.describe_execution(arn).unwrap().status == ExecutionStatus::Running
            })
            .count();
        if running == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let ended = arns
        .iter()
        .map(|arn| {
            let row = engine.describe_execution(arn).unwrap();
            (row.status, row.output, engine.history(arn).unwrap())
        })
        .collect();
    (ended, after_start)
}

#[tokio::test]
async fn sleeping_executions_leave_memory_and_come_back_unchanged() {
    let n = 20;
    let (parked, residency) = run(true, n).await;
    assert_eq!(residency, Residency { resident: 0, parked: n }, "every sleeper left memory");

    let (resident, residency) = run(false, n).await;
    assert_eq!(residency, Residency { resident: n, parked: 0 }, "no snapshots, no parking");

    assert_eq!(parked[0].0, ExecutionStatus::Aborted, "StopExecution reaches a parked execution");
    for (i, ((status, output, history), stayed)) in parked.iter().zip(&resident).enumerate().skip(1)
    {
        assert_eq!(*status, ExecutionStatus::Succeeded, "e{i}");
        let output: serde_json::Value = serde_json::from_str(output.as_deref().unwrap()).unwrap();
        assert_eq!(output["n"], i, "e{i}");
        assert_eq!(output["first"], 1);
        assert_eq!(output["name"], format!("e{i}"));
        // Entered at the deadlines: 3600 s of Wait, then 600 s of the longer branch.
        assert_eq!(output["entered"], "2023-11-14T23:23:20.000Z", "e{i}");
        assert_eq!(history, &stayed.2, "e{i}: the same history as without parking");
    }
    assert_eq!(parked[0].2, resident[0].2, "the aborted history too");
}
