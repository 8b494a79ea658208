//! A [`Store`] that fails on purpose: for tests of what the engine does when its store
//! does not do its job (a full disk, a flaky write, a slow fsync, a read error).
//!
//! [`FaultyStore`] wraps any store and delegates every call to it, except that, as its
//! faults say, a write sleeps first, or fails *before* reaching the inner store: a failed
//! write leaves no trace there, as a rolled-back transaction leaves none in SQLite.
//! Faults change at run time through `&self`, so a test keeps an `Arc<FaultyStore>` and
//! hands the engine the same `Arc` as an `Arc<dyn Store>`.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use stepwise_engine::store::faulty::{Fault, FaultyStore};
//! use stepwise_engine::store::memory::MemoryStore;
//! use stepwise_engine::store::suite::{create, execution};
//! use stepwise_engine::store::Store;
//!
//! let store = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
//! let record = execution("m", "a", 1);
//! store.set_fault(Fault::DiskFull);
//! let err = store.commit(create(&record, 2)).unwrap_err();
//! assert!(err.to_string().contains("database or disk is full"));
//! assert!(store.inner().get_execution(&record.arn).unwrap().is_none());
//! store.set_fault(Fault::None);
//! store.commit(create(&record, 2)).unwrap();
//! assert_eq!((store.writes(), store.failed_writes()), (2, 1));
//! ```
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::history::HistoryEvent;
use crate::model::{ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord};
use crate::store::{Batch, Prepared, Store};

/// Which writes fail. A *write* is one call that changes the store: `commit`,
/// `commit_prepared` (where the engine's durable mode writes; `prepare` only encodes and
/// never fails), `put_*`, `delete_*`, `put_setting` and `remove_ended_before`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    /// Every write goes through.
    #[default]
    None,
    /// The `n`th write after this fault was set fails, then the `2n`th, and so on
    /// (`EveryNth(1)` fails them all, `EveryNth(0)` none).
    EveryNth(u64),
    /// Every write fails with SQLite's message for a full disk, until the fault changes.
    DiskFull,
}

/// SQLite's text for `SQLITE_FULL`, as the SQLite store reports it.
pub const DISK_FULL: &str = "sqlite: database or disk is full";

/// The faults in force, changed together so that a new [`Fault::EveryNth`] counts from
/// its own start.
#[derive(Debug, Default)]
struct Faults {
    fault: Fault,
    /// Writes attempted since `fault` was set.
    writes_since_set: u64,
    /// How long each write sleeps before it goes on (a slow fsync).
    write_delay: Duration,
    /// Whether execution reads fail.
    fail_reads: bool,
}

/// A store that delegates to another and fails as told: see the module docs.
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    faults: Mutex<Faults>,
    writes: AtomicU64,
    failed_writes: AtomicU64,
    failed_reads: AtomicU64,
}

impl std::fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyStore")
            .field("faults", &*self.faults.lock())
            .field("writes", &self.writes())
            .field("failed_writes", &self.failed_writes())
            .field("failed_reads", &self.failed_reads())
            .finish_non_exhaustive()
    }
}

impl FaultyStore {
    /// Wraps `inner`, with no fault set.
    pub fn new(inner: Arc<dyn Store>) -> FaultyStore {
        FaultyStore {
            inner,
            faults: Mutex::new(Faults::default()),
            writes: AtomicU64::new(0),
            failed_writes: AtomicU64::new(0),
            failed_reads: AtomicU64::new(0),
        }
    }

    /// The wrapped store, to look at what really reached it.
    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    /// Sets which writes fail from now on; [`Fault::EveryNth`] counts from here.
    pub fn set_fault(&self, fault: Fault) {
        let mut faults = self.faults.lock();
        faults.fault = fault;
        faults.writes_since_set = 0;
    }

    /// Makes each write sleep `delay` before it goes on (or fails): a slow fsync.
    /// `Duration::ZERO` turns it off.
    pub fn set_write_delay(&self, delay: Duration) {
        self.faults.lock().write_delay = delay;
    }

    /// While `fail` is true, reads of executions (`get_execution`, `list_executions`,
    /// `list_executions_page`, `history`, `snapshot`, `running_snapshots`) fail. State
    /// machines, activities and settings still read, so the engine can still start.
    pub fn set_fail_reads(&self, fail: bool) {
        self.faults.lock().fail_reads = fail;
    }

    /// Writes attempted so far, failed ones included.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Writes that failed so far.
    pub fn failed_writes(&self) -> u64 {
        self.failed_writes.load(Ordering::SeqCst)
    }

    /// Reads that failed so far.
    pub fn failed_reads(&self) -> u64 {
        self.failed_reads.load(Ordering::SeqCst)
    }

    /// Counts one write, sleeps if writes are slow, then says whether it may go on.
    /// The sleep happens outside the lock, so that a test can change faults meanwhile.
    fn write(&self) -> Result<()> {
        let (fault, n, delay) = {
            let mut faults = self.faults.lock();
            faults.writes_since_set += 1;
            (faults.fault, faults.writes_since_set, faults.write_delay)
        };
        self.writes.fetch_add(1, Ordering::SeqCst);
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let failure = match fault {
            Fault::None => return Ok(()),
            Fault::EveryNth(every) if every > 0 && n % every == 0 => {
                format!("injected fault: write {n} of every {every} failed")
            }
            Fault::EveryNth(_) => return Ok(()),
            Fault::DiskFull => DISK_FULL.to_owned(),
        };
        self.failed_writes.fetch_add(1, Ordering::SeqCst);
        Err(Error::Internal(failure))
    }

    /// Says whether an execution read may go on.
    fn read(&self) -> Result<()> {
        if !self.faults.lock().fail_reads {
            return Ok(());
        }
        self.failed_reads.fetch_add(1, Ordering::SeqCst);
        Err(Error::Internal("injected fault: read failed".into()))
    }
}

impl Store for FaultyStore {
    fn put_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        self.write()?;
        self.inner.put_state_machine(record)
    }
    fn update_state_machine(
        &self,
        arn: &str,
        edit: crate::store::Edit<'_, StateMachineRecord>,
    ) -> Result<Option<StateMachineRecord>> {
        self.write()?;
        self.inner.update_state_machine(arn, edit)
    }
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        self.inner.get_state_machine(arn)
    }
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.inner.list_state_machines()
    }
    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        self.write()?;
        self.inner.delete_state_machine(arn)
    }
    fn get_versioning(&self, machine_arn: &str) -> Result<Option<crate::model::Versioning>> {
        self.inner.get_versioning(machine_arn)
    }
    fn update_versioning(
        &self,
        machine_arn: &str,
        edit: crate::store::Edit<'_, crate::model::Versioning>,
    ) -> Result<Option<crate::model::Versioning>> {
        self.write()?;
        self.inner.update_versioning(machine_arn, edit)
    }

    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        self.write()?;
        self.inner.put_activity(record)
    }
    fn update_activity(
        &self,
        arn: &str,
        edit: crate::store::Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>> {
        self.write()?;
        self.inner.update_activity(arn, edit)
    }
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        self.inner.get_activity(arn)
    }
    fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        self.inner.list_activities()
    }
    fn delete_activity(&self, arn: &str) -> Result<()> {
        self.write()?;
        self.inner.delete_activity(arn)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        self.write()?;
        self.inner.commit(batch)
    }
    /// The inner store's encoding, so that its `commit_prepared` gets what it expects.
    fn prepare(&self, batch: Batch) -> Result<Prepared> {
        self.inner.prepare(batch)
    }
    fn commit_prepared(&self, batches: Vec<Prepared>) -> Result<()> {
        self.write()?;
        self.inner.commit_prepared(batches)
    }

    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        self.read()?;
        self.inner.get_execution(arn)
    }
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>> {
        self.read()?;
        self.inner.list_executions(state_machine_arn, status)
    }
    fn list_executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ExecutionRecord>, bool)> {
        self.read()?;
        self.inner.list_executions_page(state_machine_arn, status, offset, limit)
    }
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        self.read()?;
        self.inner.history(arn)
    }

    fn snapshot(&self, arn: &str) -> Result<Option<Vec<u8>>> {
        self.read()?;
        self.inner.snapshot(arn)
    }
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        self.read()?;
        self.inner.snapshot_parts(arn)
    }
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        self.read()?;
        self.inner.running_snapshots()
    }
    fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get_setting(key)
    }
    fn put_setting(&self, key: &str, value: &[u8]) -> Result<()> {
        self.write()?;
        self.inner.put_setting(key, value)
    }
    fn remove_ended_before(&self, ended_before_ms: i64) -> Result<usize> {
        self.write()?;
        self.inner.remove_ended_before(ended_before_ms)
    }
}
