//! Express executions: they run to their end in memory, answer `StartSyncExecution`
//! with their final row, end `TIMED_OUT` after 5 minutes, and leave nothing in the
//! store (no row, no history, no snapshot), even with the durable pipeline on.
use std::sync::Arc;

use serde_json::json;
use stepwise_engine::clock::ManualClock;
use stepwise_engine::model::{ExecutionStatus, MachineType};
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::Store;
use stepwise_engine::{Engine, Error, NewStateMachine, Options, StateMachineUpdate};

const START_MS: i64 = 1_700_000_000_000;
const ROLE: &str = "arn:aws:iam::123456789012:role/r";

struct Fixture {
    engine: Engine,
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
}

/// An engine with the durable pipeline (committer, snapshots) on a memory store, so a
/// test sees anything an Express execution would have written.
fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(START_MS));
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(Options {
        scope: Default::default(),
        clock: clock.clone(),
        store: store.clone(),
        token_key: Some([9; 32]),
        durable: true,
        mocks: None,
        seed: Some(7),
        integrations: Vec::new(),
    })
    .unwrap();
    Fixture { engine, clock, store }
}

impl Fixture {
    fn create(
        &self,
        name: &str,
        machine_type: MachineType,
        definition: serde_json::Value,
    ) -> String {
        self.engine
            .create_state_machine(NewStateMachine {
                name: name.into(),
                definition: definition.to_string(),
                role_arn: ROLE.into(),
                machine_type: Some(machine_type),
                ..Default::default()
            })
            .unwrap()
            .arn
    }

    /// Nothing of `arn` reached the store.
    fn assert_unrecorded(&self, arn: &str) {
        assert!(self.store.get_execution(arn).unwrap().is_none(), "a row for {arn}");
        assert!(self.store.history(arn).unwrap().is_empty(), "history for {arn}");
        assert!(self.store.snapshot(arn).unwrap().is_none(), "a snapshot of {arn}");
        assert!(self.store.snapshot_parts(arn).unwrap().is_empty(), "snapshot parts of {arn}");
        assert!(self.store.running_snapshots().unwrap().is_empty());
    }

    /// Lets spawned tasks run until `done` holds (bounded).
    async fn until(&self, done: impl Fn(&Engine) -> bool) {
        for _ in 0..10_000 {
            if done(&self.engine) {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the condition never held");
    }
}

fn pass_chain() -> serde_json::Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"got.$": "$.x", "name.$": "$$.Execution.Name"}, "Next": "B"},
        "B": {"Type": "Pass", "ResultPath": "$.b", "Result": 2, "End": true}
    }})
}

fn failing() -> serde_json::Value {
    json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "SomeFailure", "Cause": "because"}}})
}

fn sleeping(seconds: u64) -> serde_json::Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
        "P": {"Type": "Pass", "End": true}
    }})
}

#[tokio::test]
async fn sync_runs_to_the_end_and_records_nothing() {
    let f = fixture();
    let machine = f.create("chain", MachineType::Express, pass_chain());
    let done = f
        .engine
        .start_sync_execution(&machine, Some("first".into()), Some(r#"{"x":1}"#.into()))
        .await
        .unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some(r#"{"got":1,"name":"first","b":2}"#));
    assert!(
        done.arn.starts_with("arn:aws:states:us-east-1:123456789012:express:chain:first:"),
        "{}",
        done.arn
    );
    assert_eq!(done.name, "first");
    assert_eq!(done.state_machine_arn, machine);
    assert_eq!(done.stop_ms, Some(START_MS));
    f.assert_unrecorded(&done.arn);

    let failed = f.create("failing", MachineType::Express, failing());
    let done = f.engine.start_sync_execution(&failed, None, None).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("SomeFailure"));
    assert_eq!(done.cause.as_deref(), Some("because"));
    assert_eq!(done.output, None);
    f.assert_unrecorded(&done.arn);
    assert_eq!(f.engine.holdings().executions, 0);
}

#[tokio::test]
async fn names_may_repeat() {
    let f = fixture();
    let machine = f.create("chain", MachineType::Express, pass_chain());
    let a = f.engine.start_sync_execution(&machine, Some("same".into()), None).await.unwrap();
    let b = f.engine.start_sync_execution(&machine, Some("same".into()), None).await.unwrap();
    assert_ne!(a.arn, b.arn);
    let c = f.engine.start_execution(&machine, Some("same".into()), None).await.unwrap();
    let d = f.engine.start_execution(&machine, Some("same".into()), None).await.unwrap();
    assert_ne!(c.arn, d.arn);
}

#[tokio::test]
async fn sync_on_a_standard_machine_is_refused() {
    let f = fixture();
    let machine = f.create("standard", MachineType::Standard, pass_chain());
    let refused = f.engine.start_sync_execution(&machine, None, None).await.unwrap_err();
    assert_eq!(
        refused,
        Error::StateMachineTypeNotSupported(
            "This operation is not supported by this type of state machine".into()
        )
    );
}

#[tokio::test]
async fn async_express_sleeps_in_memory_only_and_cannot_be_read() {
    let f = fixture();
    let machine = f.create("sleepy", MachineType::Express, sleeping(10));
    let started = f.engine.start_execution(&machine, Some("nap".into()), None).await.unwrap();
    assert!(started.arn.contains(":express:sleepy:nap:"), "{}", started.arn);
    // Its Wait, and its 5-minute limit.
    let holdings = f.engine.holdings();
    assert_eq!((holdings.executions, holdings.timers), (1, 2));
    // Sleeping, it stays resident: it has no snapshot to park on.
    f.engine.tick();
    assert_eq!(f.engine.residency().resident, 1);
    f.assert_unrecorded(&started.arn);

    let refused =
        Error::InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'".into());
    assert_eq!(f.engine.describe_execution(&started.arn).unwrap_err(), refused);
    assert_eq!(f.engine.history(&started.arn).unwrap_err(), refused);
    assert_eq!(f.engine.stop_execution(&started.arn, None, None).await.unwrap_err(), refused);
    assert!(matches!(
        f.engine.list_executions_page(&machine, None, 0, 10),
        Err(Error::StateMachineTypeNotSupported(_))
    ));

    f.clock.advance(10_000);
    f.engine.tick();
    let holdings = f.engine.holdings();
    assert_eq!((holdings.executions, holdings.timers, holdings.frames), (0, 0, 0));
    f.assert_unrecorded(&started.arn);
}

#[tokio::test]
async fn express_times_out_after_five_minutes() {
    let f = fixture();
    let machine = f.create("long", MachineType::Express, sleeping(600));
    let engine = f.engine.clone();
    let run = tokio::spawn(async move { engine.start_sync_execution(&machine, None, None).await });
    f.until(|e| e.holdings().executions == 1).await;
    f.clock.advance(299_999);
    f.engine.tick();
    assert_eq!(f.engine.holdings().executions, 1, "still running before 5 minutes");
    f.clock.advance(1);
    f.engine.tick();
    let done = run.await.unwrap().unwrap();
    assert_eq!(done.status, ExecutionStatus::TimedOut);
    // As DescribeExecution of a timed-out Standard execution: neither error nor cause.
    assert_eq!((done.error, done.cause), (None, None));
    assert_eq!(done.stop_ms, Some(START_MS + 300_000));
    assert_eq!(f.engine.holdings().timers, 0);
    f.assert_unrecorded(&done.arn);
}

#[tokio::test]
async fn a_shorter_timeout_of_the_machine_wins() {
    let f = fixture();
    let mut definition = sleeping(600);
    definition["TimeoutSeconds"] = json!(60);
    let machine = f.create("short", MachineType::Express, definition);
    let engine = f.engine.clone();
    let run = tokio::spawn(async move { engine.start_sync_execution(&machine, None, None).await });
    f.until(|e| e.holdings().executions == 1).await;
    f.clock.advance(60_000);
    f.engine.tick();
    let done = run.await.unwrap().unwrap();
    assert_eq!(done.status, ExecutionStatus::TimedOut);
    assert_eq!(done.stop_ms, Some(START_MS + 60_000));
}

#[test]
fn express_definitions_may_not_wait_for_others() {
    let f = fixture();
    let activity = f.engine.create_activity("worker", Vec::new(), None).unwrap().arn;
    let with = |resource: &str| {
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": true}}})
            .to_string()
    };
    let create = |name: &str, machine_type, definition: String| {
        f.engine.create_state_machine(NewStateMachine {
            name: name.into(),
            definition,
            role_arn: ROLE.into(),
            machine_type: Some(machine_type),
            ..Default::default()
        })
    };
    let cases = [
        (
            activity.clone(),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at /States/T/Resource'",
        ),
        (
            "arn:aws:states:::states:startExecution.sync".into(),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/T/Resource'",
        ),
        (
            "arn:aws:states:::sns:publish.waitForTaskToken".into(),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/T/Resource'",
        ),
    ];
    for (i, (resource, message)) in cases.iter().enumerate() {
        let refused = create(&format!("express{i}"), MachineType::Express, with(resource));
        assert_eq!(refused.unwrap_err(), Error::InvalidDefinition((*message).into()));
        // A Standard machine may.
        create(&format!("standard{i}"), MachineType::Standard, with(resource)).unwrap();
    }

    // An update of an Express machine is held to the same rules.
    let machine = create("express", MachineType::Express, pass_chain().to_string()).unwrap().arn;
    let update = StateMachineUpdate { definition: Some(with(&activity)), ..Default::default() };
    assert!(matches!(
        f.engine.update_state_machine(&machine, update),
        Err(Error::InvalidDefinition(m)) if m == cases[0].1
    ));
}

/// AWS's recording (`test_express_sync.py::test_query_runtime_memory`): a synchronous
/// Express execution's Context object has no `Execution.RedriveCount`.
#[tokio::test]
async fn sync_context_has_no_redrive_count() {
    let f = fixture();
    let definition = json!({"StartAt": "Q", "States": {
        "Q": {"Type": "Pass", "Parameters": {"execution.$": "$$.Execution"}, "End": true}
    }});
    let machine = f.create("context", MachineType::Express, definition);
    let done = f.engine.start_sync_execution(&machine, Some("ctx".into()), None).await.unwrap();
    let output: serde_json::Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    let execution = output["execution"].as_object().unwrap();
    let keys: Vec<&str> = execution.keys().map(String::as_str).collect();
    assert_eq!(keys, ["Id", "Input", "StartTime", "Name", "RoleArn"]);
    assert_eq!(execution["Id"], json!(done.arn));
}
