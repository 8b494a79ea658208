//! The engine: the operations of the Step Functions API over a [`Store`].
//!
//! All mutable runtime state (running executions, task tokens, activity
//! queues, timers) sits in one [`Core`] behind one mutex. Each operation takes
//! the lock, makes its decisions, commits their events and rows to the store
//! as one batch, and only then answers: what a caller sees acknowledged is
//! committed. Reads of records and histories go to the store, not the lock.
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;
use stepwise_asl::Machine;
use tokio::sync::{oneshot, Notify};

use crate::activity::{Delivered, Handover, LocalPoller, Queues};
use crate::arn::{self, Kind, Scope};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::execution::{Effect, FrameId, Pending, Running, Services};
use crate::history::{ErrorCause, HistoryEvent};
use crate::model::{ExecutionRecord, ExecutionStatus};
use crate::store::{Batch, Store};
use crate::token::{TaskId, TokenSigner};

mod records;
pub use records::{NewStateMachine, StateMachineUpdate};

/// How many decisions one execution may make before yielding to others.
const STEP_BUDGET: usize = 256;
/// How long a timer waits before trying again when its parked execution could not be loaded.
const UNPARK_RETRY_MS: i64 = 1000;
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
    core: Mutex<Core>,
    /// Wakes the driver: executions are ready to advance.
    driver: Notify,
    /// Wakes the timer loop: an earlier timer was set.
    timer_wake: Notify,
    /// Parsed machines by definition text, so starting an execution does not re-validate.
    machines: Mutex<HashMap<Arc<str>, Arc<Machine>>>,
    mocks: Option<Arc<dyn crate::mock::TaskMocks>>,
    /// The committer thread's queue, when commits are grouped.
    committer: Option<std::sync::mpsc::Sender<Commit>>,
    /// The sequence number of the last batch the committer made durable.
    durable_seq: Arc<AtomicU64>,
}

/// Where running executions are: see [`Engine::residency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Residency {
    /// In memory (advancing, or waiting on a task or a service call).
    pub resident: usize,
    /// Only sleeping, and only in the store until a timer fires.
    pub parked: usize,
}

/// A batch on its way to the committer: its sequence number and who waits for it.
type Commit = (Batch, u64, Vec<oneshot::Sender<Result<()>>>);

/// A commit on its way to the store; wait on it before acknowledging.
#[must_use = "a commit must be awaited before the operation answers"]
pub(crate) struct Ticket(Option<oneshot::Receiver<Result<()>>>);

impl Ticket {
    fn done() -> Ticket {
        Ticket(None)
    }
    /// Resolves once the batch is durable.
    pub(crate) async fn durable(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(rx) => {
                rx.await.unwrap_or_else(|_| Err(Error::Internal("the committer stopped".into())))
            }
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct TaskRecord {
    execution: Arc<str>,
    frame: FrameId,
    activity: String,
    input: String,
    heartbeat_seconds: Option<u64>,
    heartbeat_deadline: Option<i64>,
    started: bool,
}

#[derive(Debug, Clone)]
enum TimerKind {
    Frame { execution: Arc<str>, frame: FrameId, generation: u64 },
    Heartbeat { task: TaskId },
    Execution { execution: Arc<str> },
}

#[derive(Default)]
struct Core {
    running: HashMap<Arc<str>, Running>,
    tasks: HashMap<TaskId, TaskRecord>,
    queues: Queues,
    timers: BTreeMap<(i64, u64), TimerKind>,
    timer_seq: u64,
    ready: VecDeque<Arc<str>>,
    next_task: u128,
    /// Tasks handed to pollers while deciding, to claim in the same batch (`settle`).
    handovers: Vec<Handover>,
    /// Pollers waiting for the batch being built to be durable before they answer.
    listeners: Vec<oneshot::Sender<Result<()>>>,
    /// Running executions whose snapshot the batch being built must carry: written once
    /// per batch at `commit`, however many times the decision advanced them.
    to_snapshot: Vec<Arc<str>>,
    /// The seeded generator's state (execution seeds, generated names).
    seed: u64,
    /// The sequence number of the last batch handed to the committer.
    batch_seq: u64,
    /// Running executions that only sleep, waiting for their snapshot to be durable
    /// before they leave memory (see [`Engine::park_sleepers`]).
    to_park: VecDeque<Arc<str>>,
    /// Running executions not in memory: their snapshot is in the store and their timers
    /// are armed; the first timer (or StopExecution) loads them back.
    parked: HashSet<Arc<str>>,
}

impl Core {
    /// A fresh version-4 UUID from the core's generator (seeded, so runs can repeat).
    fn next_uuid(&mut self) -> String {
        let mut next = || {
            self.seed =
                self.seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.seed
        };
        let (a, b) = (next(), next());
        uuid_from(a, b)
    }
}

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    /// The token to answer with.
    pub task_token: String,
    /// The task's input, JSON text.
    pub input: String,
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
        let driver = engine.clone();
        tokio::spawn(async move { driver.drive().await });
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
        let core = Core { next_task: (base as u128) << 64, seed, ..Core::default() };
        let durable_seq = Arc::new(AtomicU64::new(0));
        let committer =
            options.durable.then(|| spawn_committer(options.store.clone(), durable_seq.clone()));
        Ok(Engine {
            inner: Arc::new(Inner {
                scope: options.scope,
                clock: options.clock,
                store: options.store,
                signer: TokenSigner::new(token_key),
                core: Mutex::new(core),
                driver: Notify::new(),
                timer_wake: Notify::new(),
                machines: Mutex::new(HashMap::new()),
                mocks: options.mocks,
                committer,
                durable_seq,
            }),
        })
    }

    /// Restores every execution the store holds a snapshot of, and re-arms its
    /// tasks, timers and long polls at their recorded deadlines. Returns how many.
    fn recover(&self) -> Result<usize> {
        let snapshots = self.store().running_snapshots()?;
        let now = self.now();
        let mut core = self.inner.core.lock();
        let mut batch = Batch::default();
        let mut count = 0;
        for (record, bytes) in snapshots {
            let restored = self.store().snapshot_parts(&record.arn).map_err(|e| e.to_string());
            let restored = restored.and_then(|parts| {
                Running::restore(&bytes, parts, &record, |definition| {
                    self.machine_for(definition).map_err(|e| e.to_string())
                })
            });
            let (mut running, waits, extra) = match restored {
                Ok(restored) => restored,
                Err(e) => {
                    tracing::error!("cannot recover {}: {e}", record.arn);
                    continue;
                }
            };
            let key: Arc<str> = record.arn.as_str().into();
            let tasks: Vec<(TaskId, TaskRecord)> =
                serde_json::from_value(extra).unwrap_or_default();
            let mut tasks: HashMap<TaskId, TaskRecord> = tasks.into_iter().collect();
            for wait in waits {
                match wait {
                    Pending::Task { frame, generation, task, timeout_at } => {
                        let Some(mut task_record) = tasks.remove(&task) else { continue };
                        task_record.execution = key.clone();
                        if let Some(at_ms) = timeout_at {
                            self.set_timer(
                                &mut core,
                                at_ms,
                                TimerKind::Frame { execution: key.clone(), frame, generation },
                            );
                        }
                        if task_record.started {
                            if let Some(deadline) = task_record.heartbeat_deadline {
                                self.set_timer(&mut core, deadline, TimerKind::Heartbeat { task });
                            }
                        } else {
                            let core = &mut *core;
                            core.queues.offer(&task_record.activity, task, &mut core.handovers);
                        }
                        core.tasks.insert(task, task_record);
                    }
                    Pending::Timer { frame, generation, at_ms } => self.set_timer(
                        &mut core,
                        at_ms,
                        TimerKind::Frame { execution: key.clone(), frame, generation },
                    ),
                    Pending::Service { frame, generation, action, parameters } => {
                        running.repeat_service_call(frame, generation, action, parameters)
                    }
                }
            }
            if let Some(at_ms) = running.timeout_at() {
                self.set_timer(&mut core, at_ms, TimerKind::Execution { execution: key.clone() });
            }
            running.persisted = true;
            core.running.insert(key.clone(), running);
            core.ready.push_back(key);
            count += 1;
        }
        // Ready frames and repeated calls advance on the driver; commit what recovery decided.
        let ready: Vec<_> = core.ready.drain(..).collect();
        for key in ready {
            self.advance(&mut core, &key, now, &mut batch);
        }
        drop(self.commit(&mut core, batch)?);
        Ok(count)
    }

    /// The region and account ARNs are minted in.
    pub fn scope(&self) -> &Scope {
        &self.inner.scope
    }

    fn scope_for(&self, region: Option<&str>) -> Scope {
        match region {
            Some(region) => {
                Scope { region: region.to_owned(), account: self.inner.scope.account.clone() }
            }
            None => self.inner.scope.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    /// A fresh version-4 UUID from the engine's seeded generator.
    fn next_uuid(&self) -> String {
        self.inner.core.lock().next_uuid()
    }

    // ----- executions -------------------------------------------------------

    /// `StartExecution`: idempotent for the same name and input while running.
    pub async fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: Option<String>,
    ) -> Result<ExecutionRecord> {
        let (record, ticket) = self.start_execution_locked(state_machine_arn, name, input)?;
        ticket.durable().await?;
        Ok(record)
    }

    fn start_execution_locked(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: Option<String>,
    ) -> Result<(ExecutionRecord, Ticket)> {
        // Step Functions Local's convention: `<stateMachineArn>#<TestCase>` runs a mock test case.
        let (state_machine_arn, test_case) = match state_machine_arn.split_once('#') {
            Some((arn, case)) => (arn, Some(case.to_owned())),
            None => (state_machine_arn, None),
        };
        let machine_record = self.describe_state_machine(state_machine_arn)?;
        if let Some(case) = &test_case {
            let known = self
                .inner
                .mocks
                .as_ref()
                .is_some_and(|m| m.has_test_case(&machine_record.name, case));
            if !known {
                return Err(Error::Validation(format!(
                    "Test case '{case}' is not defined for state machine '{}' in the mock configuration",
                    machine_record.name
                )));
            }
        }
        let input_text = input.unwrap_or_else(|| "{}".to_owned());
        if input_text.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
            )));
        }
        let input: Value = serde_json::from_str(&input_text).map_err(|e| {
            let reason = if input_text.trim().is_empty() {
                "Invalid execution input.".to_owned()
            } else {
                e.to_string()
            };
            Error::InvalidExecutionInput(format!(
                "Invalid State Machine Execution Input: '{reason}'"
            ))
        })?;
        let name = match name {
            Some(name) => {
                arn::validate_name(&name)?;
                name
            }
            None => self.inner.core.lock().next_uuid(),
        };
        // The execution lives where its state machine does.
        let arn =
            format!("{}:{name}", machine_record.arn.replacen(":stateMachine:", ":execution:", 1));
        let machine = self.machine_for(&machine_record.definition)?;
        let mut core = self.inner.core.lock();
        // A running execution may not have reached the store yet (group commit): ask the core first.
        let existing = match core.running.get(arn.as_str()) {
            Some(running) => Some(running.record.clone()),
            None => self.store().get_execution(&arn)?,
        };
        if let Some(existing) = existing {
            if existing.status == ExecutionStatus::Running && *existing.input == *input_text {
                return Ok((existing, Ticket::done()));
            }
            return Err(Error::ExecutionAlreadyExists(format!(
                "Execution Already Exists: '{arn}'"
            )));
        }
        let now = self.now();
        let record = ExecutionRecord {
            arn: arn.clone(),
            state_machine_arn: machine_record.arn.clone(),
            name,
            status: ExecutionStatus::Running,
            start_ms: now,
            stop_ms: None,
            input: input_text.into(),
            output: None,
            error: None,
            cause: None,
            definition: machine_record.definition.clone(),
            role_arn: machine_record.role_arn.clone(),
        };
        core.seed = core.seed.wrapping_add(1);
        let mut running =
            Running::start(record.clone(), machine, machine_record.name, input, core.seed);
        running.set_test_case(test_case);
        let key: Arc<str> = arn.into();
        core.running.insert(key.clone(), running);
        let mut batch = Batch::default();
        self.advance(&mut core, &key, now, &mut batch);
        let ticket = self.commit(&mut core, batch)?;
        Ok((record, ticket))
    }

    /// The validated machine of a definition, parsed once and cached.
    fn machine_for(&self, definition: &Arc<str>) -> Result<Arc<Machine>> {
        if let Some(machine) = self.inner.machines.lock().get(definition) {
            return Ok(machine.clone());
        }
        let validation = Machine::parse(definition);
        let Some(machine) = validation.machine else {
            return Err(Error::InvalidDefinition(stepwise_asl::definition::error_message(
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

    /// Removes executions that ended more than `retention` ago (AWS keeps them 90 days);
    /// their names become free again. Returns how many were removed.
    pub fn remove_expired(&self, retention: Duration) -> Result<usize> {
        let cutoff = self.now() - retention.as_millis() as i64;
        self.store().remove_ended_before(cutoff)
    }

    /// `DescribeExecution`.
    pub fn describe_execution(&self, arn: &str) -> Result<ExecutionRecord> {
        arn::parse(arn, Kind::Execution)?;
        self.store().get_execution(arn)?.ok_or_else(|| {
            Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'"))
        })
    }

    /// One page of `ListExecutions` (newest first), and whether more follow.
    pub fn list_executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ExecutionRecord>, bool)> {
        self.describe_state_machine(state_machine_arn)?;
        self.store().list_executions_page(state_machine_arn, status, offset, limit)
    }

    /// `GetExecutionHistory`, in id order.
    pub fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        self.describe_execution(arn)?;
        self.store().history(arn)
    }

    /// `StopExecution`: returns the stop date (epoch ms).
    pub async fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<i64> {
        arn::parse(arn, Kind::Execution)?;
        let (stop, ticket) = {
            let mut core = self.inner.core.lock();
            let now = self.now();
            if !self.unpark(&mut core, arn) {
                return Err(Error::Internal(format!("cannot load {arn} to stop it")));
            }
            match core.running.get_mut(arn) {
                Some(running) => {
                    running.stop(ExecutionStatus::Aborted, ErrorCause { error, cause }, now);
                    let key: Arc<str> = arn.into();
                    let mut batch = Batch::default();
                    self.advance(&mut core, &key, now, &mut batch);
                    (now, self.commit(&mut core, batch)?)
                }
                None => {
                    // Already ended: AWS answers with the recorded stop date.
                    drop(core);
                    let record = self.describe_execution(arn)?;
                    (record.stop_ms.unwrap_or(now), Ticket::done())
                }
            }
        };
        ticket.durable().await?;
        Ok(stop)
    }

    // ----- activity tasks ---------------------------------------------------

    /// `GetActivityTask`: long-polls up to [`LONG_POLL`]; `None` when no task came.
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
    ) -> Result<Option<ActivityTask>> {
        self.get_activity_task_within(activity_arn, worker_name, LONG_POLL).await
    }

    /// `GetActivityTask` with a chosen poll duration.
    pub async fn get_activity_task_within(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
        wait: Duration,
    ) -> Result<Option<ActivityTask>> {
        self.describe_activity(activity_arn)?;
        let worker = worker_name;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let polled = {
                let mut core = self.inner.core.lock();
                match core.queues.poll(activity_arn, &worker) {
                    Ok(task) => Ok(self.claim(&mut core, task, &worker)?),
                    Err(rx) => Err(rx),
                }
            };
            let rx = match polled {
                Ok(Some((delivered, ticket))) => {
                    ticket.durable().await?;
                    return Ok(Some(delivered));
                }
                Ok(None) => continue,
                Err(rx) => rx,
            };
            // A task scheduled while this poll waits arrives claimed, in the batch that
            // scheduled it (see `Engine::settle`). Should this request go away before
            // then, its dropped receiver tells the engine to pick another poller.
            match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(Delivered { task, durable })) => {
                    Ticket(Some(durable)).durable().await?;
                    return Ok(Some(task));
                }
                // The task ended before it was claimed: poll again.
                Ok(Err(_)) => {}
                Err(_elapsed) => return Ok(None),
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    /// Marks a delivered task started: records `ActivityStarted` and commits.
    fn claim(
        &self,
        core: &mut Core,
        task: TaskId,
        worker: &Option<String>,
    ) -> Result<Option<(ActivityTask, Ticket)>> {
        let mut batch = Batch::default();
        let claimed = self.claim_into(core, task, worker, self.now(), &mut batch);
        let ticket = self.commit(core, batch)?;
        Ok(claimed.map(|c| (c, ticket)))
    }

    /// Marks a delivered task started, collecting `ActivityStarted` into `batch`.
    fn claim_into(
        &self,
        core: &mut Core,
        task: TaskId,
        worker: &Option<String>,
        now: i64,
        batch: &mut Batch,
    ) -> Option<ActivityTask> {
        let record = core.tasks.get_mut(&task)?;
        record.started = true;
        let (execution, frame, input) =
            (record.execution.clone(), record.frame, record.input.clone());
        if let Some(secs) = record.heartbeat_seconds {
            let at = now + secs as i64 * 1000;
            record.heartbeat_deadline = Some(at);
            self.set_timer(core, at, TimerKind::Heartbeat { task });
        }
        let running = core.running.get_mut(&execution)?;
        running.task_started(frame, worker.clone(), now);
        self.advance(core, &execution, now, batch);
        Some(ActivityTask { task_token: self.inner.signer.mint(task), input })
    }

    fn task_for_token(&self, core: &Core, token: &str) -> Result<TaskId> {
        let task = self
            .inner
            .signer
            .verify(token)
            .ok_or_else(|| Error::InvalidToken("Invalid Token: 'Invalid token'".to_owned()))?;
        if !core.tasks.contains_key(&task) {
            return Err(Error::TaskTimedOut(
                "Task Timed Out: 'Provided task does not exist anymore'".to_owned(),
            ));
        }
        Ok(task)
    }

    /// `SendTaskSuccess`.
    pub async fn send_task_success(&self, token: &str, output: &str) -> Result<()> {
        let ticket = self.send_task_success_locked(token, output)?;
        ticket.durable().await
    }

    fn send_task_success_locked(&self, token: &str, output: &str) -> Result<Ticket> {
        if output.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
            )));
        }
        let mut core = self.inner.core.lock();
        let task = self.task_for_token(&core, token)?;
        let value: Value = serde_json::from_str(output)
            .map_err(|e| Error::InvalidOutput(format!("Invalid Output: '{e}'")))?;
        self.finish_task(&mut core, task, |running, frame, now| {
            running.task_succeeded(frame, output.to_owned(), value, now)
        })
    }

    /// `SendTaskFailure`.
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<()> {
        let ticket = {
            let mut core = self.inner.core.lock();
            let task = self.task_for_token(&core, token)?;
            self.finish_task(&mut core, task, |running, frame, now| {
                running.task_failed(frame, error, cause, now)
            })?
        };
        ticket.durable().await
    }

    /// `SendTaskHeartbeat`: restarts the heartbeat clock.
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<()> {
        let ticket = {
            let mut core = self.inner.core.lock();
            let task = self.task_for_token(&core, token)?;
            let now = self.now();
            let mut rearmed = None;
            if let Some(record) = core.tasks.get_mut(&task) {
                if let Some(secs) = record.heartbeat_seconds {
                    record.heartbeat_deadline = Some(now + secs as i64 * 1000);
                    rearmed = Some(record.execution.clone());
                }
            }
            // The new deadline must survive a restart: record the snapshot again.
            if let Some(execution) = rearmed.filter(|_| self.inner.committer.is_some()) {
                snapshot_at_commit(&mut core, &execution);
            }
            self.commit(&mut core, Batch::default())?
        };
        ticket.durable().await
    }

    /// A running execution's snapshot, with the task records of its frames.
    fn snapshot_of(&self, core: &Core, running: &Running) -> Vec<u8> {
        let tasks: Vec<(TaskId, &TaskRecord)> =
            running.tasks().filter_map(|t| Some((t, core.tasks.get(&t)?))).collect();
        running.snapshot(serde_json::to_value(tasks).expect("task records serialize"))
    }

    fn finish_task(
        &self,
        core: &mut Core,
        task: TaskId,
        finish: impl FnOnce(&mut Running, FrameId, i64),
    ) -> Result<Ticket> {
        let mut batch = Batch::default();
        self.finish_task_into(core, task, finish, self.now(), &mut batch);
        self.commit(core, batch)
    }

    fn finish_task_into(
        &self,
        core: &mut Core,
        task: TaskId,
        finish: impl FnOnce(&mut Running, FrameId, i64),
        now: i64,
        batch: &mut Batch,
    ) {
        let Some(record) = core.tasks.remove(&task) else { return };
        if !record.started {
            core.queues.remove(&record.activity, task);
        }
        let Some(running) = core.running.get_mut(&record.execution) else { return };
        finish(running, record.frame, now);
        self.advance(core, &record.execution, now, batch);
    }

    // ----- driving executions -----------------------------------------------

    /// Advances one execution, carries out its effects and collects what to commit.
    fn advance(&self, core: &mut Core, key: &Arc<str>, now: i64, batch: &mut Batch) {
        let Some(mut running) = core.running.remove(key) else { return };
        let mut more;
        loop {
            let mut services = EngineServices {
                next_task: &mut core.next_task,
                store: self.store(),
                mocks: self.inner.mocks.as_deref(),
            };
            more = running.advance(now, STEP_BUDGET, &mut services);
            let effects = std::mem::take(&mut running.effects);
            if effects.is_empty() {
                break;
            }
            for effect in effects {
                self.apply(core, key, &mut running, effect, now, batch);
            }
            // Effects answered inline (aws-sdk:sfn calls) may have readied frames.
            if more || !running.has_work() {
                break;
            }
        }
        let changed = !running.pending.is_empty() || running.record_dirty;
        batch.events.extend(running.pending.drain(..).map(|e| (key.clone(), e)));
        // The snapshot's parts ride with the events of the decisions that made them.
        let parts = running.take_parts(self.inner.committer.is_some());
        batch.parts.extend(parts.into_iter().map(|part| (key.clone(), part)));
        if running.record_dirty {
            running.record_dirty = false;
            batch.executions.push(running.record.clone());
        }
        // With a durable store, a running execution's snapshot travels with its events;
        // an ended one's is deleted. (A Pass chain that ends in one go never writes one.)
        if self.inner.committer.is_some() && changed {
            if running.is_running() {
                snapshot_at_commit(core, key);
                running.persisted = true;
                // The batch being built goes to the committer next, under this same lock.
                running.snapshot_seq = core.batch_seq + 1;
            } else if running.persisted {
                batch.snapshots.push((key.to_string(), None));
            }
        }
        if running.is_running() {
            if more {
                core.ready.push_back(key.clone());
                self.inner.driver.notify_one();
            } else {
                running.release_context();
                if running.persisted && running.only_sleeping() {
                    core.to_park.push_back(key.clone());
                }
            }
            core.running.insert(key.clone(), running);
        }
    }

    /// Moves executions that only sleep out of memory once their latest snapshot is
    /// durable. What stays is their key and their armed timers; [`Engine::unpark`] loads
    /// them back. (Only with a durable store: the memory store keeps no snapshots.)
    fn park_sleepers(&self, core: &mut Core) {
        let durable = self.inner.durable_seq.load(Ordering::Acquire);
        while let Some(key) = core.to_park.front() {
            match core.running.get(key) {
                // Queued in sequence order: the rest are not durable yet either.
                Some(running) if running.snapshot_seq > durable => break,
                Some(running) if running.only_sleeping() && running.persisted => {
                    let key = core.to_park.pop_front().expect("front exists");
                    core.running.remove(&key);
                    core.parked.insert(key);
                }
                // Woke up since, or ended.
                _ => {
                    core.to_park.pop_front();
                }
            }
        }
    }

    /// Loads a parked execution back into memory (its timers are still armed). Returns
    /// false if it could not be read; it then stays parked and the error is logged.
    fn unpark(&self, core: &mut Core, arn: &str) -> bool {
        let Some(key) = core.parked.take(arn) else { return true };
        let restored = self
            .store()
            .snapshot(arn)
            .and_then(|bytes| bytes.ok_or_else(|| Error::Internal("no snapshot".into())))
            .and_then(|bytes| {
                let record = self
                    .store()
                    .get_execution(arn)?
                    .ok_or_else(|| Error::Internal("no execution row".into()))?;
                let parts = self.store().snapshot_parts(arn)?;
                Running::restore(&bytes, parts, &record, |definition| {
                    self.machine_for(definition).map_err(|e| e.to_string())
                })
                .map_err(Error::Internal)
            });
        match restored {
            Ok((running, _waits, _extra)) => {
                // Its waits are timers, still armed; no tasks, no service calls.
                core.running.insert(key, running);
                true
            }
            Err(e) => {
                tracing::error!("cannot load parked execution {arn}: {e}");
                core.parked.insert(key);
                false
            }
        }
    }

    fn apply(
        &self,
        core: &mut Core,
        key: &Arc<str>,
        running: &mut Running,
        effect: Effect,
        now: i64,
        batch: &mut Batch,
    ) {
        match effect {
            Effect::SfnCall { frame, generation, action, parameters } => {
                let poller = LocalPoller {
                    activity: String::new(),
                    execution: key.clone(),
                    frame,
                    generation,
                    worker: None,
                };
                match self.sfn_call(core, poller, &action, &parameters, now, batch) {
                    Some(Ok(output)) => running.service_succeeded(frame, generation, output, now),
                    Some(Err(e)) => running.service_failed(
                        frame,
                        generation,
                        sdk_fault(&e, core.next_uuid()),
                        now,
                    ),
                    None => {}
                }
            }
            Effect::ScheduleActivity { task, activity_arn, input, frame, heartbeat_seconds } => {
                core.tasks.insert(
                    task,
                    TaskRecord {
                        execution: key.clone(),
                        frame,
                        activity: activity_arn.clone(),
                        input,
                        heartbeat_seconds,
                        heartbeat_deadline: None,
                        started: false,
                    },
                );
                core.queues.offer(&activity_arn, task, &mut core.handovers);
            }
            Effect::Timer { at_ms, frame, generation } => self.set_timer(
                core,
                at_ms,
                TimerKind::Frame { execution: key.clone(), frame, generation },
            ),
            Effect::ExecutionTimeout { at_ms } => {
                self.set_timer(core, at_ms, TimerKind::Execution { execution: key.clone() })
            }
            Effect::DropTasks(tasks) => {
                for task in tasks {
                    if let Some(record) = core.tasks.remove(&task) {
                        core.queues.remove(&record.activity, task);
                    }
                }
            }
        }
    }

    fn set_timer(&self, core: &mut Core, at_ms: i64, kind: TimerKind) {
        core.timer_seq += 1;
        let earliest = core.timers.keys().next().is_none_or(|(t, _)| at_ms < *t);
        core.timers.insert((at_ms, core.timer_seq), kind);
        if earliest {
            self.inner.timer_wake.notify_one();
        }
    }

    /// Hands a batch to the store. Batches leave in decision order (this runs under the
    /// core lock, and the group commit is a first-in-first-out pipeline); the ticket
    /// resolves once durable.
    fn commit(&self, core: &mut Core, mut batch: Batch) -> Result<Ticket> {
        self.settle(core, &mut batch);
        // Snapshots last, once each: an execution advanced twice in this decision (a task
        // scheduled and at once claimed) is written once, with its task records as final.
        for key in std::mem::take(&mut core.to_snapshot) {
            if let Some(running) = core.running.get(&key).filter(|r| r.is_running()) {
                let bytes = self.snapshot_of(core, running);
                batch.snapshots.push((key.to_string(), Some(bytes)));
            }
        }
        let mut listeners = std::mem::take(&mut core.listeners);
        if batch.is_empty() {
            for listener in listeners {
                let _ = listener.send(Ok(()));
            }
            return Ok(Ticket::done());
        }
        match &self.inner.committer {
            None => {
                let result = self.store().commit(batch);
                for listener in listeners {
                    let _ = listener.send(result.clone());
                }
                result.map(|()| Ticket::done())
            }
            Some(queue) => {
                let (tx, rx) = oneshot::channel();
                listeners.push(tx);
                core.batch_seq += 1;
                queue
                    .send((batch, core.batch_seq, listeners))
                    .map_err(|_| Error::Internal("the committer stopped".into()))?;
                self.park_sleepers(core);
                Ok(Ticket(Some(rx)))
            }
        }
    }

    /// `aws-sdk:sfn:<action>` called by an execution; `None` while it waits (a long poll).
    fn sfn_call(
        &self,
        core: &mut Core,
        mut poller: LocalPoller,
        action: &str,
        p: &Value,
        now: i64,
        batch: &mut Batch,
    ) -> Option<Result<Value>> {
        let field = |name: &str| p.get(name).and_then(Value::as_str);
        let required = |name: &str| {
            field(name).ok_or_else(|| Error::Validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(name)
            )))
        };
        let result = match action {
            "getActivityTask" => {
                let arn = match required("ActivityArn")
                    .and_then(|arn| self.describe_activity(arn).map(|_| arn.to_owned()))
                {
                    Ok(arn) => arn,
                    Err(e) => return Some(Err(e)),
                };
                poller.worker = field("WorkerName").map(str::to_owned);
                poller.activity = arn.clone();
                let (frame, generation, execution) =
                    (poller.frame, poller.generation, poller.execution.clone());
                let worker = poller.worker.clone();
                match core.queues.poll_local(&arn, poller) {
                    Some(task) => match self.claim_into(core, task, &worker, now, batch) {
                        Some(t) => Ok(json_task(&t)),
                        None => Ok(serde_json::json!({})),
                    },
                    None => {
                        // The long poll ends after 60 s with no task, as on AWS.
                        let at = now + LONG_POLL.as_millis() as i64;
                        self.set_timer(core, at, TimerKind::Frame { execution, frame, generation });
                        return None;
                    }
                }
            }
            "sendTaskSuccess" => (|| {
                let token = required("TaskToken")?;
                let output = required("Output")?;
                let task = self.task_for_token(core, token)?;
                let value: Value = serde_json::from_str(output)
                    .map_err(|e| Error::InvalidOutput(format!("Invalid Output: '{e}'")))?;
                let text = output.to_owned();
                self.finish_task_into(
                    core,
                    task,
                    |r, f, now| r.task_succeeded(f, text, value, now),
                    now,
                    batch,
                );
                Ok(serde_json::json!({}))
            })(),
            "sendTaskFailure" => (|| {
                let task = self.task_for_token(core, required("TaskToken")?)?;
                let (error, cause) =
                    (field("Error").map(str::to_owned), field("Cause").map(str::to_owned));
                self.finish_task_into(
                    core,
                    task,
                    |r, f, now| r.task_failed(f, error, cause, now),
                    now,
                    batch,
                );
                Ok(serde_json::json!({}))
            })(),
            "sendTaskHeartbeat" => (|| {
                let task = self.task_for_token(core, required("TaskToken")?)?;
                if let Some(record) = core.tasks.get_mut(&task) {
                    if let Some(secs) = record.heartbeat_seconds {
                        record.heartbeat_deadline = Some(now + secs as i64 * 1000);
                    }
                }
                Ok(serde_json::json!({}))
            })(),
            other => Err(Error::Unsupported(format!(
                "Stepwise does not support aws-sdk:sfn:{other} yet"
            ))),
        };
        Some(result)
    }

    /// Completes the handovers made while deciding: each task is claimed in `batch`, so a
    /// poller that was already waiting costs no commit of its own. A worker's request
    /// gets its task with the durability of `batch`, and answers once that is durable.
    fn settle(&self, core: &mut Core, batch: &mut Batch) {
        while let Some(handover) = core.handovers.pop() {
            match handover {
                Handover::Remote(task, poller) => self.settle_remote(core, task, poller, batch),
                Handover::Local(task, poller) => self.settle_local(core, task, poller, batch),
            }
        }
    }

    fn settle_remote(
        &self,
        core: &mut Core,
        task: TaskId,
        poller: crate::activity::RemotePoller,
        batch: &mut Batch,
    ) {
        if poller.reply.is_closed() {
            // The worker went away since it was chosen: the next poller gets the task.
            if let Some(record) = core.tasks.get(&task) {
                let activity = record.activity.clone();
                core.queues.give_back(&activity, task, &mut core.handovers);
            }
            return;
        }
        // None: the task ended before it was claimed; dropping `reply` makes the poller
        // poll again.
        if let Some(delivered) = self.claim_into(core, task, &poller.worker, self.now(), batch) {
            let (listener, durable) = oneshot::channel();
            core.listeners.push(listener);
            if poller.reply.send(Delivered { task: delivered, durable }).is_err() {
                // Gone between the check and now: like a response lost on the network,
                // the task is started and waits for its timeouts.
                tracing::debug!("a worker left as its task was delivered");
            }
        }
    }

    /// An `aws-sdk:sfn:getActivityTask` Task state's handover.
    fn settle_local(&self, core: &mut Core, task: TaskId, poller: LocalPoller, batch: &mut Batch) {
        let waiting = core
            .running
            .get(&poller.execution)
            .is_some_and(|r| r.awaits_service(poller.frame, poller.generation));
        if !waiting {
            if core.tasks.contains_key(&task) {
                core.queues.give_back(&poller.activity, task, &mut core.handovers);
            }
            return;
        }
        let now = self.now();
        match self.claim_into(core, task, &poller.worker, now, batch) {
            Some(delivered) => {
                if let Some(running) = core.running.get_mut(&poller.execution) {
                    running.service_succeeded(
                        poller.frame,
                        poller.generation,
                        json_task(&delivered),
                        now,
                    );
                }
                self.advance(core, &poller.execution, now, batch);
            }
            None => {
                // The task ended before the poller took it: keep polling.
                let activity = poller.activity.clone();
                if let Some(task) = core.queues.poll_local(&activity, poller.clone()) {
                    core.handovers.push(Handover::Local(task, poller));
                }
            }
        }
    }

    /// How many running executions are in memory, and how many are parked in the store.
    pub fn residency(&self) -> Residency {
        let core = self.inner.core.lock();
        Residency { resident: core.running.len(), parked: core.parked.len() }
    }

    /// Fires every timer due at the clock's current time and advances ready
    /// executions. Returns the deadline of the next timer, if any.
    pub fn tick(&self) -> Option<i64> {
        let now = self.now();
        let mut core = self.inner.core.lock();
        let mut batch = Batch::default();
        while let Some(entry) = core.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let kind = entry.remove();
            self.fire(&mut core, kind, now, &mut batch);
        }
        let ready: Vec<_> = core.ready.drain(..).collect();
        for key in ready {
            self.advance(&mut core, &key, now, &mut batch);
        }
        if let Err(e) = self.commit(&mut core, batch).map(drop) {
            tracing::error!("commit failed: {e}");
        }
        // Sleepers whose snapshot became durable since the last commit leave memory.
        self.park_sleepers(&mut core);
        core.timers.keys().next().map(|(t, _)| *t)
    }

    fn fire(&self, core: &mut Core, kind: TimerKind, now: i64, batch: &mut Batch) {
        match kind {
            TimerKind::Frame { execution, frame, generation } => {
                if !self.unpark(core, &execution) {
                    // The store could not give it back now: try again shortly.
                    let retry = TimerKind::Frame { execution, frame, generation };
                    return self.set_timer(core, now + UNPARK_RETRY_MS, retry);
                }
                let Some(running) = core.running.get_mut(&execution) else { return };
                let mut timed_out = None;
                running.on_timer(frame, generation, now, &mut timed_out);
                if let Some(task) = timed_out {
                    if let Some(record) = core.tasks.remove(&task) {
                        core.queues.remove(&record.activity, task);
                    }
                }
                self.advance(core, &execution, now, batch);
            }
            TimerKind::Heartbeat { task } => {
                let Some(record) = core.tasks.get(&task) else { return };
                match record.heartbeat_deadline {
                    Some(deadline) if deadline > now => {
                        self.set_timer(core, deadline, TimerKind::Heartbeat { task })
                    }
                    _ => {
                        let record = core.tasks.remove(&task).expect("present");
                        let Some(running) = core.running.get_mut(&record.execution) else { return };
                        if running.frame_task(record.frame) == Some(task) {
                            running.task_timed_out(record.frame, "States.HeartbeatTimeout", now);
                        }
                        self.advance(core, &record.execution, now, batch);
                    }
                }
            }
            TimerKind::Execution { execution } => {
                if !self.unpark(core, &execution) {
                    let retry = TimerKind::Execution { execution };
                    return self.set_timer(core, now + UNPARK_RETRY_MS, retry);
                }
                let Some(running) = core.running.get_mut(&execution) else { return };
                running.stop(
                    ExecutionStatus::TimedOut,
                    ErrorCause { error: Some("States.Timeout".into()), cause: None },
                    now,
                );
                self.advance(core, &execution, now, batch);
            }
        }
    }

    async fn drive(self) {
        loop {
            self.inner.driver.notified().await;
            tokio::task::yield_now().await;
            self.tick();
        }
    }

    async fn run_timers(self) {
        loop {
            let next = self.tick();
            let now = self.now();
            // At least once a second, so sleepers park even when nothing else happens.
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
}

/// The group commit: two threads in a pipeline, so that encoding one group overlaps
/// writing (and fsyncing) the one before.
///
/// - `stepwise-committer` merges whatever batches are waiting and has the store encode
///   them ([`Store::prepare`]);
/// - `stepwise-writer` takes every encoded group that is ready and writes them in one
///   transaction ([`Store::commit_prepared`]), then tells each sender.
///
/// Both are first in first out, so batches reach the store in the order they were decided.
fn spawn_committer(
    store: Arc<dyn Store>,
    durable_seq: Arc<AtomicU64>,
) -> std::sync::mpsc::Sender<Commit> {
    let (tx, rx) = std::sync::mpsc::channel::<Commit>();
    let (to_writer, prepared) = std::sync::mpsc::channel::<Group>();
    std::thread::Builder::new()
        .name("stepwise-committer".into())
        .spawn({
            let store = store.clone();
            move || {
                while let Ok(first) = rx.recv() {
                    let (mut merged, mut last_seq, mut waiters) = first;
                    let mut batches = 1;
                    while batches < 4096 {
                        let Ok((batch, seq, more)) = rx.try_recv() else { break };
                        merged.extend(batch);
                        last_seq = seq;
                        waiters.extend(more);
                        batches += 1;
                    }
                    let group = Group { prepared: store.prepare(merged), last_seq, waiters };
                    if to_writer.send(group).is_err() {
                        return;
                    }
                }
            }
        })
        .expect("spawning the committer thread");
    std::thread::Builder::new()
        .name("stepwise-writer".into())
        .spawn(move || {
            while let Ok(first) = prepared.recv() {
                let mut groups = vec![first];
                while let Ok(group) = prepared.try_recv() {
                    groups.push(group);
                }
                write_groups(&*store, groups, &durable_seq);
            }
        })
        .expect("spawning the writer thread");
    tx
}

/// Merged batches on their way from the committer thread to the writer thread.
struct Group {
    prepared: Result<crate::store::Prepared>,
    /// The sequence number of the group's last batch.
    last_seq: u64,
    waiters: Vec<oneshot::Sender<Result<()>>>,
}

/// Writes groups in one commit and answers their senders. A group that could not be
/// encoded fails alone; the others are still written.
fn write_groups(store: &dyn Store, groups: Vec<Group>, durable_seq: &AtomicU64) {
    let mut batches = Vec::with_capacity(groups.len());
    let mut last_seq = None;
    let mut answers = Vec::with_capacity(groups.len());
    for group in groups {
        match group.prepared {
            Ok(prepared) => {
                batches.push(prepared);
                last_seq = Some(group.last_seq);
                answers.push((group.waiters, None));
            }
            Err(e) => {
                tracing::error!("encoding a commit failed: {e}");
                answers.push((group.waiters, Some(e)));
            }
        }
    }
    let written = batches.len();
    let started = std::time::Instant::now();
    let result = if batches.is_empty() { Ok(()) } else { store.commit_prepared(batches) };
    tracing::trace!(
        groups = written,
        batches = answers.iter().map(|(w, _)| w.len()).sum::<usize>(),
        micros = started.elapsed().as_micros() as u64,
        "group commit"
    );
    match (&result, last_seq) {
        // Batches arrive in sequence order: all up to `last_seq` are durable.
        (Ok(()), Some(seq)) => durable_seq.store(seq, Ordering::Release),
        (Ok(()), None) => {}
        (Err(e), _) => tracing::error!("commit failed: {e}"),
    }
    for (waiters, failure) in answers {
        let answer = match failure {
            Some(e) => Err(e),
            None => result.clone(),
        };
        for waiter in waiters {
            let _ = waiter.send(answer.clone());
        }
    }
}

/// Has the batch being built carry `key`'s snapshot: written once, at `Engine::commit`,
/// however many times the decision touches the execution.
fn snapshot_at_commit(core: &mut Core, key: &Arc<str>) {
    if !core.to_snapshot.contains(key) {
        core.to_snapshot.push(key.clone());
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

struct EngineServices<'a> {
    next_task: &'a mut u128,
    store: &'a dyn Store,
    mocks: Option<&'a dyn crate::mock::TaskMocks>,
}

impl Services for EngineServices<'_> {
    fn new_task(&mut self) -> TaskId {
        *self.next_task += 1;
        TaskId(*self.next_task)
    }
    fn activity_exists(&self, arn: &str) -> bool {
        matches!(self.store.get_activity(arn), Ok(Some(_)))
    }
    fn mock(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        invocation: u32,
    ) -> Option<crate::mock::MockResponse> {
        self.mocks?.response(state_machine, test_case, state, invocation)
    }
}

/// `GetActivityTask`'s result as the SDK integration returns it.
fn json_task(task: &ActivityTask) -> Value {
    serde_json::json!({ "TaskToken": task.task_token, "Input": task.input })
}

/// An API error as an `aws-sdk:sfn` task failure: `Sfn.<Code>Exception` and AWS's cause format.
fn sdk_fault(e: &Error, request_id: String) -> stepwise_asl::Fault {
    let code = e.aws_type();
    let name = if code.ends_with("Exception") {
        format!("Sfn.{code}")
    } else {
        format!("Sfn.{code}Exception")
    };
    stepwise_asl::Fault::new(
        name,
        format!("{} (Service: Sfn, Status Code: 400, Request ID: {request_id})", e.message()),
    )
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

/// A version-4 UUID string from two random words.
pub(crate) fn uuid_from(a: u64, b: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
