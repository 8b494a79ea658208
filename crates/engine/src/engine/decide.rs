//! Deciding for one execution: advance it, carry out its effects, commit what it decided.
//!
//! Everything here runs under the execution's own lock (its [`Slot`]) and no other
//! execution's. Effects that touch shared structures (the activity queues, the timer
//! wheel, the task index) take their short locks briefly; service calls are collected
//! and dispatched outside every lock once the decision is durable.
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::MutexGuard;
use tokio::sync::oneshot;

use super::commit::{unavailable, Commit, Listener, Ticket};
use super::dispatch::ServiceCall;
use super::registry::{Cell, Life, Slot, TaskRecord, TimerOwner};
use super::tasks::ActivityTask;
use super::timers::TimerKind;
use super::Engine;
use crate::activity::{Delivered, Handover, RemotePoller};
use crate::error::{Error, Result};
use crate::execution::{deadline_after, Effect, Services};
use crate::store::Batch;
use crate::token::TaskId;

/// How many decisions one execution may make before yielding to others.
const STEP_BUDGET: usize = 256;

/// What one decision of one execution collects before it is committed.
#[derive(Default)]
pub(crate) struct Decision {
    pub(crate) batch: Batch,
    /// Tasks handed to waiting workers, to claim in this same batch.
    pub(crate) handovers: Vec<Handover>,
    /// Who answers once this batch is durable (workers handed a task).
    pub(crate) listeners: Vec<Listener>,
    /// Service calls to make once this batch is durable.
    pub(crate) calls: Vec<ServiceCall>,
    /// The execution's state changed: a durable store gets a new snapshot.
    pub(crate) changed: bool,
    /// The execution ended unsuccessfully: where a redrive resumes, kept as its snapshot.
    pub(crate) redrive_point: Option<Vec<u8>>,
}

impl Engine {
    /// Locks an execution to decide for it: a failed one is first reloaded from the
    /// store (once none of its batches is in flight), a parked one loaded back.
    pub(crate) fn lock_for_decision<'c>(
        &self,
        cell: &'c Arc<Cell>,
    ) -> Result<MutexGuard<'c, Slot>> {
        let mut slot = cell.slot.lock();
        if cell.is_failed() {
            if cell.in_flight() {
                return Err(unavailable(
                    "an earlier change of this execution is still being saved",
                ));
            }
            self.reload(cell, &mut slot)?;
        }
        self.unpark(cell, &mut slot)?;
        Ok(slot)
    }

    /// Advances one execution, carries out its effects and collects what to commit.
    pub(crate) fn advance(&self, cell: &Arc<Cell>, slot: &mut Slot, now: i64, d: &mut Decision) {
        let Life::Resident(mut running) = std::mem::take(&mut slot.life) else { return };
        let mut services = EngineServices { engine: self };
        let more = running.advance(now, STEP_BUDGET, &mut services);
        for effect in std::mem::take(&mut running.effects) {
            self.apply(cell, slot, effect, d);
        }
        for record in running.map_run_updates.drain(..) {
            self.inner.map_runs.put(record);
        }
        self.inner.timers.cancel_stale(&mut slot.timers, &mut running);
        if !running.pending.is_empty() || running.record_dirty {
            d.changed = true;
        }
        d.batch.events.extend(running.pending.drain(..).map(|e| (cell.key.clone(), e)));
        // The snapshot's parts ride with the events of the decisions that made them.
        let parts = running.take_parts(self.durable() && !cell.express);
        d.batch.parts.extend(parts.into_iter().map(|part| (cell.key.clone(), part)));
        if running.record_dirty {
            running.record_dirty = false;
            d.batch.executions.push(running.record.clone());
        }
        if running.is_running() {
            if more {
                self.continue_later(cell);
            } else {
                running.release_context();
            }
            slot.life = Life::Resident(running);
        } else {
            // Ended: nothing of it stays armed.
            if !cell.express {
                d.redrive_point = running.redrive_point.take();
            }
            self.inner.timers.cancel_all(slot);
            for (task, record) in slot.tasks.drain() {
                self.forget_task(task, &record);
            }
            cell.ended.store(true, Ordering::SeqCst);
        }
    }

    fn apply(&self, cell: &Arc<Cell>, slot: &mut Slot, effect: Effect, d: &mut Decision) {
        match effect {
            Effect::Call { frame, generation, resource_type, action, pattern, parameters } => {
                let region = cell.key.split(':').nth(3).unwrap_or_default().to_owned();
                d.calls.push(ServiceCall {
                    execution: cell.key.clone(),
                    frame,
                    generation,
                    resource_type,
                    action,
                    pattern,
                    region,
                    parameters,
                });
            }
            Effect::ScheduleActivity { task, activity_arn, input, frame, heartbeat_seconds } => {
                let record = TaskRecord {
                    frame,
                    activity: activity_arn.clone(),
                    input,
                    heartbeat_seconds,
                    heartbeat_deadline: None,
                    started: false,
                };
                slot.tasks.insert(task, record);
                self.inner.task_index.shard(&task).insert(task, cell.clone());
                self.inner.queues.lock().offer(&activity_arn, task, &mut d.handovers);
            }
            Effect::AwaitToken { task, frame, heartbeat_seconds } => {
                // A callback's task is started from the outset: no worker claims it.
                let heartbeat_deadline =
                    heartbeat_seconds.map(|secs| deadline_after(self.now(), secs));
                let record = TaskRecord {
                    frame,
                    activity: String::new(),
                    input: String::new(),
                    heartbeat_seconds,
                    heartbeat_deadline,
                    started: true,
                };
                slot.tasks.insert(task, record);
                self.inner.task_index.shard(&task).insert(task, cell.clone());
                if let Some(at) = heartbeat_deadline {
                    self.arm(cell, slot, at, TimerKind::Heartbeat { task });
                }
            }
            Effect::Timer { at_ms, frame, generation } => {
                self.arm(cell, slot, at_ms, TimerKind::Frame { frame, generation })
            }
            Effect::ExecutionTimeout { at_ms } => self.arm(cell, slot, at_ms, TimerKind::Execution),
            Effect::DropTasks(tasks) => {
                for task in tasks {
                    if let Some(record) = slot.tasks.remove(&task) {
                        self.inner.timers.cancel(&mut slot.timers, TimerOwner::Heartbeat(task));
                        self.forget_task(task, &record);
                    }
                }
            }
        }
    }

    /// Removes an ended task from the queues and the index.
    pub(crate) fn forget_task(&self, task: TaskId, record: &TaskRecord) {
        if !record.started {
            self.inner.queues.lock().remove(&record.activity, task);
        }
        self.inner.task_index.shard(&task).remove(&task);
    }

    pub(crate) fn arm(&self, cell: &Arc<Cell>, slot: &mut Slot, at_ms: i64, kind: TimerKind) {
        if self.inner.timers.arm(cell, &mut slot.timers, at_ms, kind) {
            self.inner.timer_wake.notify_one();
        }
    }

    /// Marks a task started by `worker`: records `ActivityStarted` and advances.
    pub(crate) fn claim_into(
        &self,
        cell: &Arc<Cell>,
        slot: &mut Slot,
        task: TaskId,
        worker: &Option<String>,
        now: i64,
        d: &mut Decision,
    ) -> Option<ActivityTask> {
        let record = slot.tasks.get_mut(&task).filter(|r| !r.started)?;
        record.started = true;
        let (frame, input, heartbeat) =
            (record.frame, record.input.clone(), record.heartbeat_seconds);
        if let Some(secs) = heartbeat {
            let at = deadline_after(now, secs);
            record.heartbeat_deadline = Some(at);
            self.arm(cell, slot, at, TimerKind::Heartbeat { task });
        }
        slot.running()?.task_started(frame, worker.clone(), now);
        self.advance(cell, slot, now, d);
        Some(ActivityTask { task_token: self.inner.signer.mint(task), input })
    }

    /// Completes the handovers made while deciding: each task is claimed in this batch,
    /// so a worker that was already waiting costs no commit of its own, and answers once
    /// the batch is durable.
    fn settle(&self, cell: &Arc<Cell>, slot: &mut Slot, d: &mut Decision) {
        while let Some(Handover { task, poller }) = d.handovers.pop() {
            self.settle_one(cell, slot, task, poller, d);
        }
    }

    fn settle_one(
        &self,
        cell: &Arc<Cell>,
        slot: &mut Slot,
        task: TaskId,
        poller: RemotePoller,
        d: &mut Decision,
    ) {
        // Only a task still waiting for a worker is handed over; otherwise dropping
        // `poller` makes it poll again.
        let Some(input) = slot.tasks.get(&task).filter(|r| !r.started).map(|r| r.input.clone())
        else {
            return;
        };
        if slot.running().is_none() {
            return;
        }
        // The worker gets its task before the claim is recorded: if it went away, the task
        // is not claimed and goes to the next poller, so no task is lost to a poll that
        // ended meanwhile.
        let (listener, durable) = oneshot::channel();
        let delivered = ActivityTask { task_token: self.inner.signer.mint(task), input };
        if poller.reply.send(Delivered { task: delivered, durable }).is_err() {
            if let Some(record) = slot.tasks.get(&task) {
                let activity = record.activity.clone();
                self.inner.queues.lock().give_back(&activity, task, &mut d.handovers);
            }
            return;
        }
        d.listeners.push(listener);
        let now = self.now();
        let claimed = self.claim_into(cell, slot, task, &poller.worker, now, d);
        debug_assert!(claimed.is_some(), "a waiting task of a resident execution is claimed");
    }

    /// Commits what a decision collected, as one batch; the ticket resolves once it is
    /// durable. Service calls go out once it is.
    pub(crate) fn finish(
        &self,
        cell: &Arc<Cell>,
        slot: &mut Slot,
        mut d: Decision,
    ) -> Result<Ticket> {
        self.settle(cell, slot, &mut d);
        if cell.express {
            return Ok(self.finish_express(cell, slot, d));
        }
        let durable = self.durable();
        if durable && d.changed {
            if slot.running().is_some() {
                let bytes = snapshot_of(slot);
                d.batch.snapshots.push((cell.key.to_string(), Some(bytes)));
                slot.persisted = true;
            } else if slot.persisted {
                d.batch.snapshots.push((cell.key.to_string(), None));
                slot.persisted = false;
            }
        }
        if let Some(point) = d.redrive_point.take() {
            // With any store, durable or not: the running snapshot and its parts go, and
            // the redrive point takes its place (recovery reads only running executions').
            d.batch.snapshots.push((cell.key.to_string(), None));
            d.batch.snapshots.push((cell.key.to_string(), Some(point)));
        }
        let calls = std::mem::take(&mut d.calls);
        let mut listeners = std::mem::take(&mut d.listeners);
        let calls_wait = (!calls.is_empty()).then(|| {
            let (tx, rx) = oneshot::channel();
            listeners.push(tx);
            rx
        });
        let ticket = if d.batch.is_empty() {
            for listener in listeners {
                let _ = listener.send(Ok(()));
            }
            Ticket::done()
        } else {
            match &self.inner.committer {
                None => {
                    let result = self.store().commit(d.batch);
                    for listener in listeners {
                        let _ = listener.send(result.clone());
                    }
                    if cell.ended.load(Ordering::SeqCst) {
                        self.inner.registry.remove_cell(cell);
                    }
                    result.map(|()| Ticket::done())?
                }
                Some(queue) => {
                    let (tx, rx) = oneshot::channel();
                    listeners.push(tx);
                    let seq = cell.sent.fetch_add(1, Ordering::SeqCst) + 1;
                    if slot.persisted {
                        slot.snapshot_seq = seq;
                    }
                    let commit = Commit { batch: d.batch, cell: cell.clone(), listeners };
                    if queue.send(commit).is_err() {
                        return Err(Error::Internal("the committer stopped".into()));
                    }
                    Ticket(Some(rx))
                }
            }
        };
        if durable && slot.persisted && slot.running().is_some_and(|r| r.only_sleeping()) {
            self.inner.to_park.lock().push_back(cell.clone());
        }
        if let Some(wait) = calls_wait {
            self.dispatch(calls, wait);
        }
        Ok(ticket)
    }

    /// An execution with work left after its step budget goes on later, so others
    /// get their turn: on a decider thread, or at the next `tick`.
    fn continue_later(&self, cell: &Arc<Cell>) {
        if self.inner.background.load(Ordering::Relaxed) {
            self.inner.deciders.submit([super::deciders::Job::Continue(cell.clone())]);
        } else {
            self.inner.ready.lock().push_back(cell.clone());
        }
    }

    /// Advances the executions left ready (without background threads).
    pub(crate) fn run_ready(&self) {
        let ready: Vec<_> = self.inner.ready.lock().drain(..).collect();
        for cell in ready {
            self.continue_one(&cell);
        }
    }

    /// Advances one execution that had work left.
    pub(crate) fn continue_one(&self, cell: &Arc<Cell>) {
        let Ok(mut slot) = self.lock_for_decision(cell) else { return };
        let mut d = Decision::default();
        self.advance(cell, &mut slot, self.now(), &mut d);
        if let Err(e) = self.finish(cell, &mut slot, d) {
            tracing::error!("cannot commit {}: {e}", cell.key);
        }
    }
}

/// A running execution's snapshot, with the task records of its frames.
pub(crate) fn snapshot_of(slot: &mut Slot) -> Vec<u8> {
    let Slot { life: Life::Resident(running), tasks, .. } = slot else { return Vec::new() };
    let tasks: Vec<(TaskId, &TaskRecord)> =
        running.tasks().filter_map(|t| Some((t, tasks.get(&t)?))).collect();
    running.snapshot(serde_json::to_value(tasks).expect("task records serialize"))
}

struct EngineServices<'a> {
    engine: &'a Engine,
}

impl Services for EngineServices<'_> {
    fn new_task(&mut self) -> TaskId {
        self.engine.new_task_id()
    }
    fn activity_exists(&self, arn: &str) -> bool {
        matches!(self.engine.store().get_activity(arn), Ok(Some(_)))
    }
    fn integration_exists(&self, resource_type: &str) -> bool {
        self.engine.inner.integrations.has(resource_type)
    }
    fn task_token(&self, task: TaskId) -> String {
        self.engine.inner.signer.mint(task)
    }
    fn mock(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        invocation: u32,
    ) -> Option<crate::mock::MockResponse> {
        self.engine.inner.mocks.as_deref()?.response(state_machine, test_case, state, invocation)
    }
}
