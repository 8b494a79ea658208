//! Executions in and out of memory: recovery at start, parking of sleepers, and the
//! reload of executions whose batch failed.
//!
//! All three restore an execution from its snapshot in the store (`Engine::install`):
//! the snapshot holds its frames and task records; installing re-arms its timers,
//! re-queues its unclaimed tasks and repeats its service calls (at least once).
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::decide::Decision;
use super::registry::{Cell, Life, Slot, TaskRecord};
use super::timers::TimerKind;
use super::Engine;
use crate::error::{Error, Result};
use crate::execution::{Pending, Running};
use crate::model::{ExecutionRecord, ExecutionStatus};
use crate::token::TaskId;

impl Engine {
    /// Restores every execution the store holds a snapshot of, and re-arms its
    /// tasks, timers and long polls at their recorded deadlines. Returns how many.
    pub(crate) fn recover(&self) -> Result<usize> {
        let snapshots = self.store().running_snapshots()?;
        let mut count = 0;
        for (record, bytes) in snapshots {
            let key: Arc<str> = record.arn.as_str().into();
            let cell = Cell::new(key.clone(), Life::Gone);
            let mut slot = cell.slot.lock();
            let mut d = Decision::default();
            if let Err(e) = self.install(&cell, &mut slot, &record, &bytes, &mut d) {
                tracing::error!("cannot recover {}: {e}", record.arn);
                continue;
            }
            self.inner.registry.shard(&key).insert(key, cell.clone());
            // Ready frames and repeated calls advance now; commit what recovery decided.
            self.advance(&cell, &mut slot, self.now(), &mut d);
            drop(self.finish(&cell, &mut slot, d)?);
            count += 1;
        }
        Ok(count)
    }

    /// Puts the execution of `record` back in memory from its snapshot: its task
    /// records, timers and service calls armed again. Unclaimed tasks may be handed to
    /// waiting workers in `d`.
    pub(crate) fn install(
        &self,
        cell: &Arc<Cell>,
        slot: &mut Slot,
        record: &ExecutionRecord,
        bytes: &[u8],
        d: &mut Decision,
    ) -> Result<()> {
        let parts = self.store().snapshot_parts(&record.arn)?;
        let (mut running, waits, extra) = Running::restore(bytes, parts, record, |def| {
            self.machine_for(def).map_err(|e| e.to_string())
        })
        .map_err(Error::Internal)?;
        let tasks: Vec<(TaskId, TaskRecord)> = serde_json::from_value(extra).unwrap_or_default();
        let mut tasks: std::collections::HashMap<TaskId, TaskRecord> = tasks.into_iter().collect();
        for wait in waits {
            match wait {
                Pending::Task { frame, generation, task, timeout_at } => {
                    let Some(task_record) = tasks.remove(&task) else { continue };
                    if let Some(at_ms) = timeout_at {
                        self.arm(cell, slot, at_ms, TimerKind::Frame { frame, generation });
                    }
                    self.inner.task_index.shard(&task).insert(task, cell.clone());
                    if task_record.started {
                        if let Some(deadline) = task_record.heartbeat_deadline {
                            self.arm(cell, slot, deadline, TimerKind::Heartbeat { task });
                        }
                    } else {
                        let activity = task_record.activity.clone();
                        self.inner.queues.lock().offer(&activity, task, &mut d.handovers);
                    }
                    slot.tasks.insert(task, task_record);
                }
                Pending::Timer { frame, generation, at_ms } => {
                    self.arm(cell, slot, at_ms, TimerKind::Frame { frame, generation })
                }
                Pending::Service { frame, generation, token, timeout_at } => {
                    if let Some(at_ms) = timeout_at {
                        self.arm(cell, slot, at_ms, TimerKind::Frame { frame, generation });
                    }
                    if let Some(task) = token {
                        if let Some(task_record) = tasks.remove(&task) {
                            if let Some(deadline) = task_record.heartbeat_deadline {
                                self.arm(cell, slot, deadline, TimerKind::Heartbeat { task });
                            }
                            self.inner.task_index.shard(&task).insert(task, cell.clone());
                            slot.tasks.insert(task, task_record);
                        }
                    }
                    running.repeat_service_call(frame, generation)
                }
            }
        }
        if let Some(at_ms) = running.timeout_at() {
            self.arm(cell, slot, at_ms, TimerKind::Execution);
        }
        slot.persisted = true;
        slot.snapshot_seq = cell.sent.load(Ordering::SeqCst);
        slot.life = Life::Resident(Box::new(running));
        cell.ended.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Moves executions that only sleep out of memory once their latest snapshot is
    /// durable. What stays is their cell and their armed timers; [`Engine::unpark`]
    /// loads them back. (Only with a durable store: the memory store keeps no snapshots.)
    pub(crate) fn park_sleepers(&self) {
        let candidates: Vec<_> = self.inner.to_park.lock().drain(..).collect();
        let mut not_yet = Vec::new();
        for cell in candidates {
            let Some(mut slot) = cell.slot.try_lock() else {
                not_yet.push(cell);
                continue;
            };
            let sleeping = slot.persisted && slot.running().is_some_and(|r| r.only_sleeping());
            if !sleeping {
                continue;
            }
            // `answered` first: a failure is marked before it moves.
            let answered = cell.answered.load(Ordering::SeqCst);
            if cell.is_failed() {
                continue;
            }
            if answered >= slot.snapshot_seq {
                slot.life = Life::Parked;
            } else {
                drop(slot);
                not_yet.push(cell);
            }
        }
        self.inner.to_park.lock().extend(not_yet);
    }

    /// Loads a parked execution back into memory (its timers are still armed).
    pub(crate) fn unpark(&self, cell: &Arc<Cell>, slot: &mut Slot) -> Result<()> {
        if !matches!(slot.life, Life::Parked) {
            return Ok(());
        }
        let arn = &*cell.key;
        let bytes = self
            .store()
            .snapshot(arn)?
            .ok_or_else(|| Error::Internal(format!("parked execution {arn} has no snapshot")))?;
        let record = self
            .store()
            .get_execution(arn)?
            .ok_or_else(|| Error::Internal(format!("parked execution {arn} has no row")))?;
        let parts = self.store().snapshot_parts(arn)?;
        let (running, _waits, _extra) = Running::restore(&bytes, parts, &record, |def| {
            self.machine_for(def).map_err(|e| e.to_string())
        })
        .map_err(Error::Internal)?;
        // Its waits are timers, still armed; no tasks, no service calls.
        slot.life = Life::Resident(Box::new(running));
        Ok(())
    }

    /// Brings a failed execution back to what the store holds: what memory had beyond
    /// it was never acknowledged. Called with nothing of it in flight.
    pub(crate) fn reload(&self, cell: &Arc<Cell>, slot: &mut Slot) -> Result<()> {
        self.inner.timers.cancel_all(slot);
        for (task, record) in slot.tasks.drain() {
            self.forget_task(task, &record);
        }
        slot.life = Life::Gone;
        slot.persisted = false;
        let record = self.store().get_execution(&cell.key)?;
        let mut d = Decision::default();
        match record {
            Some(record) if record.status == ExecutionStatus::Running => {
                let bytes = self.store().snapshot(&cell.key)?.ok_or_else(|| {
                    Error::Internal(format!("running execution {} has no snapshot", cell.key))
                })?;
                self.install(cell, slot, &record, &bytes, &mut d)?;
                self.clear_failed(cell);
                tracing::info!("execution {} reloaded after a failed commit", cell.key);
                self.advance(cell, slot, self.now(), &mut d);
                drop(self.finish(cell, slot, d)?);
            }
            // Never durably started, or ended: nothing of it runs.
            _ => {
                cell.ended.store(true, Ordering::SeqCst);
                self.clear_failed(cell);
                self.inner.registry.remove_cell(cell);
            }
        }
        Ok(())
    }

    /// Marks a reloaded execution healthy again.
    fn clear_failed(&self, cell: &Arc<Cell>) {
        if cell.failed.swap(false, Ordering::SeqCst) {
            self.inner.failed_cells.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Reloads the executions whose batches failed, once none of their batches is in
    /// flight; the others wait for a later tick.
    pub(crate) fn repair_failed(&self) {
        let failed: Vec<_> = std::mem::take(&mut *self.inner.repairs.lock());
        let mut later = Vec::new();
        for cell in failed {
            let mut slot = cell.slot.lock();
            if !cell.is_failed() {
                continue;
            }
            if cell.in_flight() {
                drop(slot);
                later.push(cell);
                continue;
            }
            if let Err(e) = self.reload(&cell, &mut slot) {
                tracing::warn!("cannot reload {} yet: {e}", cell.key);
                drop(slot);
                later.push(cell);
            }
        }
        self.inner.repairs.lock().extend(later);
    }
}
