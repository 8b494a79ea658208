//! The engine: the operations of the Step Functions API over a [`Store`].
//!
//! Each running execution lives in its own [`registry::Cell`] with its own lock, so
//! executions advance independently: an operation locks the one execution it touches,
//! decides, hands the decision's events and rows to the group commit as one batch, and
//! answers once that batch is durable. Nothing slow runs under a lock that another
//! execution needs. The rooms:
//! - `records`: state machines, activities and tags (rows only);
//! - `versions` and `aliases`: published versions of a machine and the aliases that route
//!   starts to them (one record per machine);
//! - `executions`: StartExecution, StopExecution and the execution reads;
//! - `tasks`: the activity-worker operations (GetActivityTask, SendTask*);
//! - `decide`: advancing one execution and committing what it decided;
//! - `timers`: the timer wheel; `parking`: executions that only sleep leave memory,
//!   and failed ones are reloaded from the store;
//! - `commit`: the group-commit pipeline and its fault handling;
//! - `dispatch`: service integrations, called outside every lock;
//! - `express`: Express executions, which run in memory only and commit nothing.
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use stepwise_asl::Machine;
use tokio::sync::Notify;

use crate::activity::Queues;
use crate::arn::Scope;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::token::{TaskId, TokenSigner};

mod aliases;
mod commit;
mod decide;
mod deciders;
pub mod dispatch;
mod executions;
pub mod express;
pub mod map_runs;
mod parking;
mod records;
mod redrive;
mod registry;
pub mod resources;
mod tasks;
pub mod test_state;
mod timers;
mod versions;

pub use dispatch::{CallFuture, CallResult, Integration, Pattern, ServiceCall};
pub use records::{NewStateMachine, StateMachineUpdate};
pub use tasks::ActivityTask;

use commit::Commit;
use registry::{Cell, Registry, TaskIndex};

/// AWS's long-poll duration for `GetActivityTask`.
pub const LONG_POLL: Duration = Duration::from_secs(60);
/// AWS's maximum payload size (input, output), in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// What the engine is built from.
#[derive(Clone)]
pub struct Options {
    /// Region and account of minted ARNs.
    pub scope: Scope,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// Where records and histories go.
    pub store: Arc<dyn Store>,
    /// Secret for task tokens; `None` reads it from the store, creating it on first start,
    /// so tokens stay valid across restarts.
    pub token_key: Option<[u8; 32]>,
    /// The store is durable: record runtime snapshots for recovery, and commit on a
    /// committer thread that merges concurrent batches into one transaction (one
    /// fsync for many decisions). Off for the memory store, where a commit costs
    /// less than the hand-off and nothing survives a restart anyway.
    pub durable: bool,
    /// Mocked Task responses for test cases (`StartExecution` on `<arn>#<TestCase>`).
    pub mocks: Option<Arc<dyn crate::mock::TaskMocks>>,
    /// Seed for the randomness executions see (`States.UUID`, `States.MathRandom`, jitter);
    /// `None` draws one. A fixed seed makes local runs repeatable.
    pub seed: Option<u64>,
    /// Service integrations by resource type (`lambda`, `aws-sdk:dynamodb`, …), beside the
    /// built-in `aws-sdk:sfn`. Given here, not registered later, because recovery at
    /// start already repeats the calls restored executions wait on.
    pub integrations: Vec<(String, Arc<dyn dispatch::Integration>)>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options").field("scope", &self.scope).finish_non_exhaustive()
    }
}

/// A cheap-to-clone handle on the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

struct Inner {
    scope: Scope,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    signer: TokenSigner,
    /// Executions by ARN.
    registry: Arc<Registry>,
    /// Which execution holds each activity task.
    task_index: TaskIndex,
    /// Activity queues and their waiting workers.
    queues: Mutex<Queues>,
    timers: timers::Timers,
    /// Executions with work left after their step budget, for the next [`Engine::tick`]
    /// (without background threads; with them, they go to the deciders).
    ready: Mutex<VecDeque<Arc<Cell>>>,
    /// Decisions no request waits on, for the decider threads.
    deciders: deciders::Deciders,
    /// The timer loop and decider threads run (`Engine::start`); otherwise tests drive
    /// the engine with `tick`.
    background: AtomicBool,
    /// Executions that only sleep, waiting for their snapshot to be durable to park.
    to_park: Mutex<VecDeque<Arc<Cell>>>,
    /// Executions whose batch failed, to reload from the store.
    repairs: Arc<Mutex<Vec<Arc<Cell>>>>,
    /// How many executions are failed and not yet reloaded: while any is, memory may
    /// lack a task the store still holds (see `Engine::task_for_token`).
    failed_cells: Arc<std::sync::atomic::AtomicUsize>,
    /// Wakes the timer loop: an earlier timer was set, or a repair is waiting.
    timer_wake: Arc<Notify>,
    /// Parsed machines by definition text, so starting an execution does not re-validate.
    machines: Mutex<HashMap<Arc<str>, Arc<Machine>>>,
    mocks: Option<Arc<dyn crate::mock::TaskMocks>>,
    /// Service integrations by resource type (`aws-sdk:sfn`, …).
    integrations: dispatch::Integrations,
    /// The committer thread's queue, when commits are grouped (durable stores).
    committer: Option<std::sync::mpsc::Sender<Commit>>,
    /// The seeded generator's state (generated names, revision ids).
    uuid_seed: Mutex<u64>,
    /// Seeds handed to executions, one apart.
    execution_seed: AtomicU64,
    /// The Map Runs of Distributed Map states.
    map_runs: map_runs::MapRuns,
    /// The last task id minted.
    next_task: AtomicU64,
    /// The high half of every task id minted by this process (random per process).
    task_base: u128,
}

/// Where running executions are: see [`Engine::residency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Residency {
    /// In memory (advancing, or waiting on a task or a service call).
    pub resident: usize,
    /// Only sleeping, and only in the store until a timer fires.
    pub parked: usize,
}

/// What the engine holds, for tests that check nothing accumulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holdings {
    /// Executions the engine knows (resident, parked, or ended and not yet durable).
    pub executions: usize,
    /// Timers armed.
    pub timers: usize,
    /// Activity tasks scheduled or started.
    pub tasks: usize,
    /// Frames of resident executions.
    pub frames: usize,
}

impl Engine {
    /// Builds the engine, recovers the executions the store left running, and starts
    /// the driver and timer loops on the current tokio runtime.
    pub fn start(options: Options) -> Result<Engine> {
        let engine = Engine::new(options)?;
        let recovered = engine.recover()?;
        if recovered > 0 {
            tracing::info!("recovered {recovered} running executions");
        }
        engine.inner.background.store(true, Ordering::SeqCst);
        engine.spawn_deciders();
        // What recovery left ready goes to the deciders now.
        let ready: Vec<_> = engine.inner.ready.lock().drain(..).collect();
        engine.inner.deciders.submit(ready.into_iter().map(deciders::Job::Continue));
        let timers = engine.clone();
        tokio::spawn(async move { timers.run_timers().await });
        Ok(engine)
    }

    /// Builds the engine without background loops (tests drive it with [`Engine::tick`]).
    pub fn new(options: Options) -> Result<Engine> {
        let token_key = match options.token_key {
            Some(key) => key,
            None => token_key_of(&*options.store)?,
        };
        // Task ids must not repeat across restarts: each process numbers from a random base.
        let base: u64 = rand::random();
        let seed: u64 = options.seed.unwrap_or_else(rand::random);
        let registry = Arc::new(Registry::new());
        let repairs = Arc::new(Mutex::new(Vec::new()));
        let failed_cells = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let timer_wake = Arc::new(Notify::new());
        let committer = options.durable.then(|| {
            commit::spawn_committer(
                options.store.clone(),
                commit::Feedback {
                    registry: registry.clone(),
                    repairs: repairs.clone(),
                    failed_cells: failed_cells.clone(),
                    wake: timer_wake.clone(),
                },
            )
        });
        Ok(Engine {
            inner: Arc::new(Inner {
                scope: options.scope,
                clock: options.clock,
                store: options.store,
                signer: TokenSigner::new(token_key),
                registry,
                task_index: TaskIndex::new(),
                queues: Mutex::new(Queues::default()),
                timers: timers::Timers::default(),
                ready: Mutex::new(VecDeque::new()),
                to_park: Mutex::new(VecDeque::new()),
                repairs,
                failed_cells,
                deciders: deciders::Deciders::default(),
                background: AtomicBool::new(false),
                timer_wake,
                machines: Mutex::new(HashMap::new()),
                mocks: options.mocks,
                integrations: dispatch::Integrations::with_builtins(options.integrations),
                committer,
                uuid_seed: Mutex::new(seed),
                execution_seed: AtomicU64::new(seed),
                map_runs: map_runs::MapRuns::default(),
                next_task: AtomicU64::new(0),
                task_base: (base as u128) << 64,
            }),
        })
    }

    /// The region and account ARNs are minted in.
    pub fn scope(&self) -> &Scope {
        &self.inner.scope
    }

    fn scope_for(&self, region: Option<&str>) -> Scope {
        self.scope_for_caller(region, None)
    }

    /// The scope a caller's new resources are minted in: its region and account where the
    /// request names them (SigV4 scope, access key), the engine's defaults otherwise.
    pub fn scope_for_caller(&self, region: Option<&str>, account: Option<&str>) -> Scope {
        Scope {
            region: region.unwrap_or(&self.inner.scope.region).to_owned(),
            account: account.unwrap_or(&self.inner.scope.account).to_owned(),
        }
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    fn durable(&self) -> bool {
        self.inner.committer.is_some()
    }

    /// A fresh version-4 UUID from the engine's seeded generator (repeatable under a seed).
    fn next_uuid(&self) -> String {
        let mut seed = self.inner.uuid_seed.lock();
        let mut next = || {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *seed
        };
        let (a, b) = (next(), next());
        uuid_from(a, b)
    }

    /// A task id never used before, in this process or an earlier one.
    fn new_task_id(&self) -> TaskId {
        let n = self.inner.next_task.fetch_add(1, Ordering::Relaxed) + 1;
        TaskId(self.inner.task_base | n as u128)
    }

    /// The validated machine of a definition, parsed once and cached.
    fn machine_for(&self, definition: &Arc<str>) -> Result<Arc<Machine>> {
        if let Some(machine) = self.inner.machines.lock().get(definition) {
            return Ok(machine.clone());
        }
        let validation = Machine::parse(definition);
        let Some(machine) = validation.machine else {
            return Err(Error::InvalidDefinition(stepwise_asl::definition::error_message_in(
                definition,
                &validation.diagnostics,
            )));
        };
        let machine = Arc::new(machine);
        let mut cache = self.inner.machines.lock();
        // Definitions are few; a bound keeps a pathological client from growing it forever.
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.insert(definition.clone(), machine.clone());
        Ok(machine)
    }

    /// How many running executions are in memory, and how many are parked in the store.
    pub fn residency(&self) -> Residency {
        let mut residency = Residency { resident: 0, parked: 0 };
        for cell in self.inner.registry.values() {
            match cell.slot.lock().life {
                registry::Life::Resident(_) => residency.resident += 1,
                registry::Life::Parked => residency.parked += 1,
                registry::Life::Gone => {}
            }
        }
        residency
    }

    /// What the engine holds now: executions, timers, tasks and frames. Tests use it to
    /// show that nothing accumulates once work has ended.
    pub fn holdings(&self) -> Holdings {
        let cells = self.inner.registry.values();
        let frames = cells
            .iter()
            .map(|cell| cell.slot.lock().running().map_or(0, |r| r.frame_count()))
            .sum();
        Holdings {
            executions: cells.len(),
            timers: self.inner.timers.len(),
            tasks: self.inner.task_index.len(),
            frames,
        }
    }

    async fn run_timers(self) {
        loop {
            self.repair_failed();
            let now = self.now();
            let due = self.inner.timers.take_due(now);
            self.inner.deciders.submit(due.into_iter().map(|due| deciders::Job::Fire(due, now)));
            self.park_sleepers();
            let next = self.inner.timers.next_deadline();
            let now = self.now();
            // At least once a second, so sleepers park and repairs retry.
            let sleep = match next {
                Some(at) => Duration::from_millis((at - now).clamp(0, 1_000) as u64),
                None => Duration::from_secs(1),
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.inner.timer_wake.notified() => {}
            }
        }
    }

    /// Fires every timer due at the clock's current time, advances ready executions,
    /// reloads failed ones and parks sleepers, all on the calling thread. Returns the
    /// deadline of the next timer. (Tests and the local runner drive the engine this
    /// way, with virtual time; a started engine does it on its own threads.)
    pub fn tick(&self) -> Option<i64> {
        self.repair_failed();
        self.fire_due();
        self.run_ready();
        self.park_sleepers();
        self.inner.timers.next_deadline()
    }
}

/// The task-token key: from the store, or made and stored on first start.
fn token_key_of(store: &dyn Store) -> Result<[u8; 32]> {
    const KEY: &str = "token_key";
    if let Some(bytes) = store.get_setting(KEY)? {
        if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(key);
        }
    }
    let key: [u8; 32] = rand::random();
    store.put_setting(KEY, &key)?;
    Ok(key)
}

/// A version-4 UUID string from two random words.
pub(crate) fn uuid_from(a: u64, b: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    // Written digit by digit: one allocation (this runs at every start without a name,
    // and twice for an Express one).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_have_the_canonical_form() {
        assert_eq!(
            super::uuid_from(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
            "efcdab89-6745-4301-9032-547698badcfe"
        );
    }
}
