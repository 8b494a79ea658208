//! The storage interface: everything the engine persists goes through [`Store`].
//!
//! Stores know nothing about the States Language: they keep records and
//! append-only histories. Each engine decision arrives as one [`Batch`],
//! committed atomically.
//!
//! # Contract
//! - `commit` applies a whole batch or nothing; batches are applied in the
//!   order they are committed, and events of one execution arrive in id order.
//! - Reads reflect every batch whose `commit` has returned.
//! - [`Store::update_state_machine`], [`Store::update_activity`] and
//!   [`Store::update_versioning`] are atomic read-modify-writes: no other write to the same record falls between the read the edit
//!   sees and the write it returns, even with several processes sharing one database.
#[cfg(feature = "test-util")]
pub mod faulty;
pub mod memory;
#[cfg(feature = "test-util")]
pub mod suite;

use crate::error::Result;
use crate::history::HistoryEvent;
use crate::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord, Versioning,
};

/// One atomic unit of change: execution rows upserted and events appended.
#[derive(Debug, Default)]
pub struct Batch {
    /// Executions created or updated (the whole row).
    pub executions: Vec<ExecutionRecord>,
    /// Events to append, each with its execution's ARN (shared by all its events).
    pub events: Vec<(std::sync::Arc<str>, HistoryEvent)>,
    /// The runtime state of executions, opaque to the store, replacing the previous one;
    /// `None` deletes it and its parts. A running execution's is what recovery reads back;
    /// an execution that ended unsuccessfully keeps one as its redrive point.
    pub snapshots: Vec<(String, Option<Vec<u8>>)>,
    /// Changes to the rows kept beside snapshots (see [`Part`]), in order, each with its
    /// execution's ARN.
    pub parts: Vec<(std::sync::Arc<str>, Part)>,
}

impl Batch {
    /// True when there is nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.executions.is_empty()
            && self.events.is_empty()
            && self.snapshots.is_empty()
            && self.parts.is_empty()
    }

    /// Appends `other`'s changes after this batch's.
    pub fn extend(&mut self, other: Batch) {
        self.executions.extend(other.executions);
        self.events.extend(other.events);
        self.snapshots.extend(other.snapshots);
        self.parts.extend(other.parts);
    }
}

/// A read-modify-write of one record, for [`Store::update_state_machine`] and
/// [`Store::update_activity`]: given the stored row (`None` if there is none), the row to
/// write (`Some`), or `None` to leave the row as it is; an `Err` aborts and writes nothing.
///
/// # Contract
/// The row written must have the ARN the edit was called for. The edit runs while the store
/// holds the record (its lock, or its transaction), so it must be quick and must not call
/// the store or take a lock of the engine's. It may run more than once (a store that retries
/// a transaction on conflict): only what its last run returns is applied.
pub type Edit<'a, T> = &'a mut dyn FnMut(Option<&T>) -> Result<Option<T>>;

// ----- Snapshot parts --------------------------------------------------------------

/// A change to the *parts* of a running execution's snapshot: rows beside it, keyed by
/// `(group, index)`, each written once and read back with it ([`Store::snapshot_parts`]).
/// The engine keeps there what grows with an execution's past (the outputs of a Map's
/// finished iterations, its items not started yet), so that the snapshot it writes at
/// every decision holds only what is running.
///
/// # Contract
/// - A batch's part changes apply in order, before its snapshots.
/// - Deleting a snapshot (`None` in [`Batch::snapshots`]) deletes all its parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Writes row `(group, index)`, replacing any.
    Put {
        /// A group of rows, deleted together.
        group: u64,
        /// The row within its group.
        index: u64,
        /// Opaque to the store.
        bytes: Vec<u8>,
    },
    /// Deletes every row of `group`.
    DeleteGroup {
        /// The group to delete.
        group: u64,
    },
}

/// A batch a store has encoded for writing ([`Store::prepare`]); only that store reads it.
pub type Prepared = Box<dyn std::any::Any + Send>;

/// The batches a store's [`Store::prepare`] made, back in that store's own type `T`, for
/// its [`Store::commit_prepared`]; a batch another store prepared is an error (an engine
/// bug), never a panic.
pub fn take_prepared<T: 'static>(batches: Vec<Prepared>) -> Result<Vec<T>> {
    batches
        .into_iter()
        .map(|prepared| {
            prepared
                .downcast::<T>()
                .map(|batch| *batch)
                .map_err(|_| crate::Error::Internal("a batch prepared by another store".into()))
        })
        .collect()
}

/// Persistent storage for state machines, activities, executions and histories.
pub trait Store: Send + Sync + 'static {
    /// Inserts or replaces a state machine.
    fn put_state_machine(&self, record: StateMachineRecord) -> Result<()>;
    /// A state machine by ARN.
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>>;
    /// All state machines, by creation time.
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>>;
    /// Removes a state machine and its versions and aliases, in one atomic write (its
    /// executions stay).
    fn delete_state_machine(&self, arn: &str) -> Result<()>;
    /// Reads the state machine `arn` and writes what `edit` makes of it, atomically (see
    /// [`Edit`]): what `CreateStateMachine`, `UpdateStateMachine` and tagging need so that
    /// concurrent calls never lose one another's change. Returns the row as it is afterwards.
    fn update_state_machine(
        &self,
        arn: &str,
        edit: Edit<'_, StateMachineRecord>,
    ) -> Result<Option<StateMachineRecord>>;

    /// The versions and aliases of the state machine `machine_arn`, if it ever had any.
    fn get_versioning(&self, machine_arn: &str) -> Result<Option<Versioning>>;
    /// Reads the versions and aliases of `machine_arn` and writes what `edit` makes of them,
    /// atomically (see [`Edit`]): publishing numbers versions without reuse, and deleting a
    /// version checks the aliases, so each must see the others' changes. Returns the record
    /// as it is afterwards.
    fn update_versioning(
        &self,
        machine_arn: &str,
        edit: Edit<'_, Versioning>,
    ) -> Result<Option<Versioning>>;

    /// Inserts or replaces an activity.
    fn put_activity(&self, record: ActivityRecord) -> Result<()>;
    /// An activity by ARN.
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>>;
    /// All activities, by creation time.
    fn list_activities(&self) -> Result<Vec<ActivityRecord>>;
    /// Removes an activity.
    fn delete_activity(&self, arn: &str) -> Result<()>;
    /// Reads the activity `arn` and writes what `edit` makes of it, atomically (see
    /// [`Edit`]). Returns the row as it is afterwards.
    fn update_activity(
        &self,
        arn: &str,
        edit: Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>>;

    /// Applies a batch atomically.
    fn commit(&self, batch: Batch) -> Result<()>;
    /// Encodes a batch for [`Store::commit_prepared`]. The engine's group commit calls it
    /// on one thread while another writes the previous group, so a store that encodes
    /// rows does it here, off the writing thread. By default the batch stays as it is.
    fn prepare(&self, batch: Batch) -> Result<Prepared> {
        Ok(Box::new(batch))
    }
    /// Applies batches returned by this store's [`Store::prepare`], in order, in one
    /// atomic commit.
    fn commit_prepared(&self, batches: Vec<Prepared>) -> Result<()> {
        let mut merged = Batch::default();
        for batch in take_prepared::<Batch>(batches)? {
            merged.extend(batch);
        }
        self.commit(merged)
    }
    /// An execution's row.
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>>;
    /// Executions of a state machine, newest first, optionally of one status.
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>>;
    /// One page of [`Store::list_executions`]: up to `limit` rows after skipping `offset`,
    /// and whether more follow. Stores with an index override it to read just the page.
    fn list_executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ExecutionRecord>, bool)> {
        let all = self.list_executions(state_machine_arn, status)?;
        let more = all.len() > offset.saturating_add(limit);
        Ok((all.into_iter().skip(offset).take(limit).collect(), more))
    }
    /// An execution's history, in id order.
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>>;

    /// The snapshot of one execution, if it has one.
    fn snapshot(&self, arn: &str) -> Result<Option<Vec<u8>>>;
    /// Every execution whose row is `RUNNING` and that has a snapshot, with it (an ended
    /// execution's snapshot is its redrive point, not something to recover).
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>>;
    /// The parts of an execution's snapshot (see [`Part`]), as `(group, index, bytes)`
    /// in key order; none once its snapshot is deleted.
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>>;
    /// A server setting (e.g. the task-token key), if set.
    fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Sets a server setting durably.
    fn put_setting(&self, key: &str, value: &[u8]) -> Result<()>;
    /// Removes executions (rows and histories) that ended before `ended_before_ms`;
    /// returns how many were removed.
    fn remove_ended_before(&self, ended_before_ms: i64) -> Result<usize>;
}
