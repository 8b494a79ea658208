//! A durable inline Map writes bytes in proportion to its items, not to their square:
//! each decision's snapshot holds what runs, and each result or waiting item is written
//! once. Run with `--nocapture` to see the figures.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::json;
use stepwise_engine::clock::{Clock, ManualClock};
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord,
};
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::{Batch, Part, Store};
use stepwise_engine::Result;
use stepwise_engine::{Engine, NewStateMachine, Options};

const START_MS: i64 = 1_700_000_000_000;

/// Bytes the engine asked the store to write, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Written {
    commits: u64,
    snapshots: u64,
    /// The snapshots' parts.
    parts: u64,
    /// Events, measured as their JSON text.
    events: u64,
    /// Restores: reads of an execution's snapshot parts (each unpark reads them).
    restores: u64,
}

impl Written {
    fn total(&self) -> u64 {
        self.snapshots + self.parts + self.events
    }
}

/// A memory store that counts what each commit writes.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    commits: AtomicU64,
    snapshots: AtomicU64,
    parts: AtomicU64,
    events: AtomicU64,
    restores: AtomicU64,
}

impl CountingStore {
    fn written(&self) -> Written {
        Written {
            commits: self.commits.load(Ordering::SeqCst),
            snapshots: self.snapshots.load(Ordering::SeqCst),
            parts: self.parts.load(Ordering::SeqCst),
            events: self.events.load(Ordering::SeqCst),
            restores: self.restores.load(Ordering::SeqCst),
        }
    }
}

impl Store for CountingStore {
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
    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        self.inner.put_activity(record)
    }
    fn update_state_machine(
        &self,
        arn: &str,
        edit: stepwise_engine::store::Edit<'_, StateMachineRecord>,
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
    fn update_activity(
        &self,
        arn: &str,
        edit: stepwise_engine::store::Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>> {
        self.inner.update_activity(arn, edit)
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
    fn commit(&self, batch: Batch) -> Result<()> {
        let snapshots: usize =
            batch.snapshots.iter().filter_map(|(_, s)| s.as_ref()).map(Vec::len).sum();
        let parts: usize = batch
            .parts
            .iter()
            .map(|(_, part)| match part {
                Part::Put { bytes, .. } => bytes.len(),
                Part::DeleteGroup { .. } => 0,
            })
            .sum();
        let events: usize =
            batch.events.iter().map(|(_, e)| serde_json::to_vec(e).unwrap().len()).sum();
        self.commits.fetch_add(1, Ordering::SeqCst);
        self.snapshots.fetch_add(snapshots as u64, Ordering::SeqCst);
        self.parts.fetch_add(parts as u64, Ordering::SeqCst);
        self.events.fetch_add(events as u64, Ordering::SeqCst);
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
        self.inner.snapshot(arn)
    }
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        self.inner.running_snapshots()
    }
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        self.restores.fetch_add(1, Ordering::SeqCst);
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

/// Runs a durable Map over `n` items, ten at a time, each iteration waiting 1 s;
/// returns what it wrote. Checks the output: the items, in order.
async fn run_map(n: usize) -> Written {
    let clock = Arc::new(ManualClock::new(START_MS));
    let store = Arc::new(CountingStore::default());
    let engine = Engine::new(Options {
        scope: Default::default(),
        clock: clock.clone(),
        store: store.clone(),
        token_key: Some([5; 32]),
        durable: true,
        mocks: None,
        seed: Some(42),
        integrations: Vec::new(),
    })
    .unwrap();
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 10,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Nap",
                    "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": true}}
                },
                "End": true
            }
        }
    });
    let machine = engine
        .create_state_machine(NewStateMachine {
            name: "wide".into(),
            definition: definition.to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap()
        .arn;
    let items: Vec<usize> = (0..n).collect();
    let input = json!({ "items": items }).to_string();
    let arn = engine.start_execution(&machine, Some("e".into()), Some(input)).await.unwrap().arn;
    // Before each deadline the execution is let leave memory (once its snapshot is
    // durable: a tick with nothing due parks it), so each wake-up restores it from its
    // snapshot and parts.
    while let Some(next) = engine.tick() {
        for _ in 0..50_000 {
            if engine.residency().parked == 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
            engine.tick();
        }
        clock.set(next.max(clock.now_ms()));
    }
    // The last batch may still be on the committer thread.
    let mut row = engine.describe_execution(&arn).unwrap();
    for _ in 0..1000 {
        if row.status != ExecutionStatus::Running {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        row = engine.describe_execution(&arn).unwrap();
    }
    assert_eq!(row.status, ExecutionStatus::Succeeded, "{:?} {:?}", row.error, row.cause);
    let output: Vec<usize> = serde_json::from_str(row.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, items);
    store.written()
}

/// AWS's quota of 25,000 events per execution caps an inline Map at about 6,000 items
/// (four events each), so the larger run is 6,000 and the smaller 600.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_map_writes_grow_linearly() {
    let small = run_map(600).await;
    let large = run_map(6_000).await;
    let ratio = large.total() as f64 / small.total() as f64;
    let snapshot_ratio = large.snapshots as f64 / small.snapshots as f64;
    eprintln!("600 items:   {small:?} total {}", small.total());
    eprintln!("6,000 items: {large:?} total {}", large.total());
    eprintln!("ratio total {ratio:.1}, snapshots {snapshot_ratio:.1}");
    // The execution left memory while its iterations slept, and came back from its
    // snapshot and parts.
    assert!(small.restores >= 60 && large.restores >= 600, "{small:?} {large:?}");
    assert!(ratio < 15.0, "ten times the items wrote {ratio:.1} times the bytes");
    assert!(
        snapshot_ratio < 15.0,
        "ten times the items wrote {snapshot_ratio:.1} times the snapshots"
    );
}
