//! Executions that only sleep leave memory once their snapshot is durable, and come
//! back when a timer fires: same outputs, same histories as executions that stayed.
use std::sync::Arc;

use serde_json::json;
use stepwise_engine::clock::ManualClock;
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::model::{ActivityRecord, ExecutionRecord, StateMachineRecord};
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::{Batch, Edit, Store};
use stepwise_engine::{Engine, NewStateMachine, Options, Residency};
use stepwise_engine::{Error, Result};

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
        integrations: Vec::new(),
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

/// A memory store whose `snapshot` fails while `broken` is set (a disk error, say).
#[derive(Default)]
struct FlakyStore {
    inner: MemoryStore,
    broken: std::sync::atomic::AtomicBool,
}

impl Store for FlakyStore {
    fn put_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        self.inner.put_state_machine(record)
    }
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        self.inner.get_state_machine(arn)
    }
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.inner.list_state_machines()
    }
    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        self.inner.delete_state_machine(arn)
    }
    fn update_state_machine(
        &self,
        arn: &str,
        edit: Edit<'_, StateMachineRecord>,
    ) -> Result<Option<StateMachineRecord>> {
        self.inner.update_state_machine(arn, edit)
    }
    fn get_versioning(
        &self,
        machine_arn: &str,
    ) -> Result<Option<stepwise_engine::model::Versioning>> {
        self.inner.get_versioning(machine_arn)
    }
    fn update_versioning(
        &self,
        machine_arn: &str,
        edit: stepwise_engine::store::Edit<'_, stepwise_engine::model::Versioning>,
    ) -> Result<Option<stepwise_engine::model::Versioning>> {
        self.inner.update_versioning(machine_arn, edit)
    }
    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        self.inner.put_activity(record)
    }
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        self.inner.get_activity(arn)
    }
    fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        self.inner.list_activities()
    }
    fn delete_activity(&self, arn: &str) -> Result<()> {
        self.inner.delete_activity(arn)
    }
    fn update_activity(
        &self,
        arn: &str,
        edit: Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>> {
        self.inner.update_activity(arn, edit)
    }
    fn commit(&self, batch: Batch) -> Result<()> {
        self.inner.commit(batch)
    }
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        self.inner.get_execution(arn)
    }
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>> {
        self.inner.list_executions(state_machine_arn, status)
    }
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        self.inner.history(arn)
    }
    fn snapshot(&self, arn: &str) -> Result<Option<Vec<u8>>> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Internal("disk error".into()));
        }
        self.inner.snapshot(arn)
    }
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        self.inner.running_snapshots()
    }
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Internal("disk error".into()));
        }
        self.inner.snapshot_parts(arn)
    }
    fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get_setting(key)
    }
    fn put_setting(&self, key: &str, value: &[u8]) -> Result<()> {
        self.inner.put_setting(key, value)
    }
    fn remove_ended_before(&self, ended_before_ms: i64) -> Result<usize> {
        self.inner.remove_ended_before(ended_before_ms)
    }
}

/// A parked execution whose snapshot cannot be read when its timer fires stays parked
/// and is tried again a second later; it is never lost.
#[tokio::test]
async fn a_failed_load_is_retried() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let store = Arc::new(FlakyStore::default());
    let engine = Engine::new(Options {
        scope: Default::default(),
        clock: clock.clone(),
        store: store.clone(),
        token_key: Some([5; 32]),
        durable: true,
        mocks: None,
        seed: Some(1),
        integrations: Vec::new(),
    })
    .unwrap();
    let machine = engine
        .create_state_machine(NewStateMachine {
            name: "nap".into(),
            definition: json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}})
                .to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap()
        .arn;
    let arn = engine.start_execution(&machine, None, Some("{\"k\":1}".into())).await.unwrap().arn;
    engine.tick();
    assert_eq!(engine.residency(), Residency { resident: 0, parked: 1 });

    store.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    clock.advance(60_000);
    engine.tick();
    assert_eq!(engine.residency(), Residency { resident: 0, parked: 1 }, "still parked");
    assert_eq!(engine.describe_execution(&arn).unwrap().status, ExecutionStatus::Running);

    store.broken.store(false, std::sync::atomic::Ordering::SeqCst);
    clock.advance(1_000);
    engine.tick();
    for _ in 0..400 {
        if engine.describe_execution(&arn).unwrap().status != ExecutionStatus::Running {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let done = engine.describe_execution(&arn).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some("{\"k\":1}"));
}
