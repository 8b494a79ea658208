//! Where running executions live: one [`Cell`] per execution, each with its own lock.
//!
//! Executions advance independently: deciding for one locks only its cell, so a slow
//! JSONata expression, a store read or a snapshot's serialization in one execution never
//! holds up another. The maps that find a cell by ARN ([`Registry`]) or by task id
//! ([`TaskIndex`]) are split into shards whose locks are held only to look up, insert or
//! remove, never while deciding.
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use crate::execution::{FrameId, Running};
use crate::token::TaskId;

/// How many shards the lookup maps have: enough that two cores rarely meet on one.
const SHARDS: usize = 64;

/// One execution known to this engine: running in memory, parked in the store, or just
/// ended with its last batch still on its way to the store.
pub(crate) struct Cell {
    /// The execution's ARN.
    pub(crate) key: Arc<str>,
    /// Its state; locked while deciding for it, and only then.
    pub(crate) slot: Mutex<Slot>,
    /// Batches of this execution handed to the group commit (incremented under `slot`).
    pub(crate) sent: AtomicU64,
    /// Batches of this execution the group commit has answered, durable or failed.
    pub(crate) answered: AtomicU64,
    /// A batch of it failed: memory is ahead of the store. No later batch of it is
    /// written, and once every batch sent is answered it is reloaded from the store
    /// (see `Engine::repair`).
    pub(crate) failed: AtomicBool,
    /// It ended: once its last batch is durable the cell leaves the registry.
    pub(crate) ended: AtomicBool,
    /// An Express execution: it runs in memory only, and none of its decisions reaches
    /// the store (see `engine/express.rs`).
    pub(crate) express: bool,
    /// Who waits for it to end (a parent's `.sync` Task): told when the ended cell
    /// leaves the registry, that is once its end is durable.
    pub(crate) end_watchers: Mutex<Vec<tokio::sync::oneshot::Sender<()>>>,
}

impl Cell {
    pub(crate) fn new(key: Arc<str>, life: Life) -> Arc<Cell> {
        Cell::with_kind(key, life, false)
    }

    /// The cell of an Express execution (see [`Cell::express`]).
    pub(crate) fn new_express(key: Arc<str>, life: Life) -> Arc<Cell> {
        Cell::with_kind(key, life, true)
    }

    fn with_kind(key: Arc<str>, life: Life, express: bool) -> Arc<Cell> {
        Arc::new(Cell {
            key,
            slot: Mutex::new(Slot { life, ..Slot::default() }),
            sent: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            express,
            end_watchers: Mutex::new(Vec::new()),
        })
    }

    /// True while some batch of it has not been answered by the group commit.
    pub(crate) fn in_flight(&self) -> bool {
        self.answered.load(Ordering::SeqCst) < self.sent.load(Ordering::SeqCst)
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }
}

/// Where an execution's state is.
#[derive(Default)]
pub(crate) enum Life {
    /// In memory.
    Resident(Box<Running>),
    /// Only sleeping: its snapshot is durable in the store and its timers are armed;
    /// the first timer (or StopExecution) loads it back.
    Parked,
    /// Ended (or never durably started); the store has the rest.
    #[default]
    Gone,
}

/// What the engine keeps for one execution beside its `Running` state.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) life: Life,
    /// Its activity tasks, scheduled or started.
    pub(crate) tasks: HashMap<TaskId, TaskRecord>,
    /// Its armed timers, by what they belong to, so they can be cancelled.
    pub(crate) timers: SlotTimers,
    /// A snapshot of it is in the store (or on its way): its end must delete it.
    pub(crate) persisted: bool,
    /// The value of `Cell::sent` for the batch holding its latest snapshot: once that
    /// batch is answered (and none failed), an execution that only sleeps may park.
    pub(crate) snapshot_seq: u64,
    /// Who waits for an Express execution's end (`StartSyncExecution`): it gets the
    /// final row.
    pub(crate) on_end: Option<tokio::sync::oneshot::Sender<crate::model::ExecutionRecord>>,
}

impl Slot {
    pub(crate) fn running(&mut self) -> Option<&mut Running> {
        match &mut self.life {
            Life::Resident(running) => Some(running),
            _ => None,
        }
    }
}

/// An execution's armed timers, by owner.
pub(crate) type SlotTimers = HashMap<TimerOwner, TimerKey>;

/// A key in the timer wheel: the deadline and a sequence number that orders ties.
pub(crate) type TimerKey = (i64, u64);

/// What a timer belongs to; an execution has at most one timer per owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimerOwner {
    /// A frame's Wait, retry backoff or task timeout.
    Frame(FrameId),
    /// A task's heartbeat deadline.
    Heartbeat(TaskId),
    /// The execution's TimeoutSeconds.
    Execution,
}

/// An activity task of an execution.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct TaskRecord {
    pub(crate) frame: FrameId,
    pub(crate) activity: String,
    pub(crate) input: String,
    pub(crate) heartbeat_seconds: Option<u64>,
    pub(crate) heartbeat_deadline: Option<i64>,
    pub(crate) started: bool,
}

/// A map split into shards, each behind its own short-held lock.
pub(crate) struct Sharded<K, V> {
    shards: Vec<Mutex<HashMap<K, V>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl<K: Hash + Eq, V: Clone> Sharded<K, V> {
    pub(crate) fn new() -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
        }
    }

    pub(crate) fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> MutexGuard<'_, HashMap<K, V>> {
        let index = self.hasher.hash_one(key) as usize % SHARDS;
        self.shards[index].lock()
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// Every value, copied out shard by shard (for counts and sweeps, not hot paths).
    pub(crate) fn values(&self) -> Vec<V> {
        self.shards.iter().flat_map(|s| s.lock().values().cloned().collect::<Vec<_>>()).collect()
    }
}

/// Executions by ARN.
pub(crate) type Registry = Sharded<Arc<str>, Arc<Cell>>;

impl Registry {
    pub(crate) fn get(&self, arn: &str) -> Option<Arc<Cell>> {
        self.shard(arn).get(arn).cloned()
    }

    /// Removes `cell` if it is still the one registered under its key.
    pub(crate) fn remove_cell(&self, cell: &Arc<Cell>) {
        let mut shard = self.shard(&*cell.key);
        if shard.get(&cell.key).is_some_and(|c| Arc::ptr_eq(c, cell)) {
            shard.remove(&cell.key);
        }
        drop(shard);
        if cell.ended.load(Ordering::SeqCst) {
            for watcher in cell.end_watchers.lock().drain(..) {
                let _ = watcher.send(());
            }
        }
    }
}

/// Which execution holds a task, so a token finds its cell.
pub(crate) type TaskIndex = Sharded<TaskId, Arc<Cell>>;
