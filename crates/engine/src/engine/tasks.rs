//! The activity-worker operations: GetActivityTask and SendTaskSuccess/Failure/Heartbeat.
//!
//! A token names a task; the task index names the execution holding it, and only that
//! execution is locked to claim or finish the task.
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use std::sync::atomic::Ordering;

use super::commit::{unavailable, Ticket};
use super::decide::Decision;
use super::registry::{Cell, Slot, TimerOwner};
use super::{Engine, LONG_POLL, MAX_PAYLOAD_BYTES};
use crate::activity::Delivered;
use crate::error::{Error, Result};
use crate::execution::{deadline_after, FrameId, Running};
use crate::token::TaskId;

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    /// The token to answer with.
    pub task_token: String,
    /// The task's input, JSON text.
    pub input: String,
}

impl Engine {
    /// The tasks waiting on activity `arn` and the workers polling it, now.
    pub fn activity_queue(&self, arn: &str) -> crate::activity::QueueView {
        self.inner.queues.lock().view(arn)
    }

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
        self.get_activity_task_until(activity_arn, worker_name, wait, std::future::pending()).await
    }

    /// `GetActivityTask` that also ends, empty, when `stop` completes (the server is
    /// shutting down), exactly as at its deadline: a task already handed to this poll is
    /// still returned, and none can be handed to it after.
    pub async fn get_activity_task_until(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
        wait: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Option<ActivityTask>> {
        tokio::pin!(stop);
        self.describe_activity(activity_arn)?;
        let worker = worker_name;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let polled = self.inner.queues.lock().poll(activity_arn, &worker);
            let rx = match polled {
                Ok(task) => match self.claim(task, &worker)? {
                    Some((delivered, ticket)) => {
                        ticket.durable().await?;
                        return Ok(Some(delivered));
                    }
                    // The task ended between the queue and its execution: poll again.
                    None => continue,
                },
                Err(rx) => rx,
            };
            // A task scheduled while this poll waits arrives claimed, in the batch that
            // scheduled it (see `Engine::settle`). Should this request go away before
            // then, its dropped receiver tells the engine to pick another poller.
            let mut rx = rx;
            let (received, timed_out) = tokio::select! {
                received = &mut rx => (received.ok(), false),
                _ = tokio::time::sleep_until(deadline) => {
                    // Closed first, then read: a task handed over just before the deadline
                    // is still taken (it was claimed for this poll), and none can be after.
                    rx.close();
                    (rx.try_recv().ok(), true)
                }
                () = &mut stop => {
                    rx.close();
                    (rx.try_recv().ok(), true)
                }
            };
            match received {
                Some(Delivered { task, durable }) => {
                    Ticket(Some(durable)).durable().await?;
                    return Ok(Some(task));
                }
                None if timed_out => return Ok(None),
                // The task ended before it was claimed: poll again.
                None => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    /// Claims a queued task for `worker` in a batch of its execution's own.
    fn claim(
        &self,
        task: TaskId,
        worker: &Option<String>,
    ) -> Result<Option<(ActivityTask, Ticket)>> {
        let Some(cell) = self.cell_of_task(task) else { return Ok(None) };
        let mut slot = self.lock_for_decision(&cell)?;
        let mut d = Decision::default();
        let claimed = self.claim_into(&cell, &mut slot, task, worker, self.now(), &mut d);
        let ticket = self.finish(&cell, &mut slot, d)?;
        Ok(claimed.map(|c| (c, ticket)))
    }

    fn cell_of_task(&self, task: TaskId) -> Option<Arc<Cell>> {
        self.inner.task_index.shard(&task).get(&task).cloned()
    }

    /// The task a token names and the execution holding it.
    fn task_for_token(&self, token: &str) -> Result<(TaskId, Arc<Cell>)> {
        let task = self
            .inner
            .signer
            .verify(token)
            .ok_or_else(|| Error::InvalidToken("Invalid Token: 'Invalid token'".to_owned()))?;
        let Some(cell) = self.cell_of_task(task) else {
            // A failed commit may have dropped the task from memory while the store still
            // holds it: until every failed execution is reloaded, the caller retries.
            if self.inner.failed_cells.load(Ordering::SeqCst) > 0 {
                return Err(unavailable(
                    "the task's execution is being restored after a failed commit",
                ));
            }
            return Err(task_gone());
        };
        Ok((task, cell))
    }

    /// `SendTaskSuccess`.
    pub async fn send_task_success(&self, token: &str, output: &str) -> Result<()> {
        if output.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
            )));
        }
        let (task, cell) = self.task_for_token(token)?;
        let value: Value = serde_json::from_str(output)
            .map_err(|e| Error::InvalidOutput(format!("Invalid Output: '{e}'")))?;
        let text = output.to_owned();
        let ticket = self
            .finish_task_off_workers(cell, task, move |running, frame, now| {
                running.task_succeeded(frame, text, value, now)
            })
            .await?;
        ticket.durable().await
    }

    /// `SendTaskFailure`.
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<()> {
        let (task, cell) = self.task_for_token(token)?;
        let ticket = self
            .finish_task_off_workers(cell, task, move |running, frame, now| {
                running.task_failed(frame, error, cause, now)
            })
            .await?;
        ticket.durable().await
    }

    /// `SendTaskHeartbeat`: restarts the heartbeat clock.
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<()> {
        let (task, cell) = self.task_for_token(token)?;
        let ticket = {
            let mut slot = self.lock_for_decision(&cell)?;
            let now = self.now();
            let record = slot.tasks.get_mut(&task).ok_or_else(task_gone)?;
            let mut d = Decision::default();
            if let Some(secs) = record.heartbeat_seconds {
                record.heartbeat_deadline = Some(deadline_after(now, secs));
                // The new deadline must survive a restart: record the snapshot again.
                d.changed = true;
            }
            self.finish(&cell, &mut slot, d)?
        };
        ticket.durable().await
    }

    /// [`Engine::finish_task`], on a blocking thread when the execution's decisions may
    /// take long (JSONata), so that no async worker waits on them.
    async fn finish_task_off_workers(
        &self,
        cell: Arc<Cell>,
        task: TaskId,
        finish: impl FnOnce(&mut Running, FrameId, i64) + Send + 'static,
    ) -> Result<Ticket> {
        let slow = cell.slot.lock().running().is_some_and(|r| r.may_decide_slowly());
        if !slow {
            return self.finish_task(&cell, task, finish);
        }
        let engine = self.clone();
        tokio::task::spawn_blocking(move || engine.finish_task(&cell, task, finish))
            .await
            .map_err(|e| Error::Internal(format!("a decision panicked: {e}")))?
    }

    /// Ends a task with `finish` and advances its execution, in one batch.
    fn finish_task(
        &self,
        cell: &Arc<Cell>,
        task: TaskId,
        finish: impl FnOnce(&mut Running, FrameId, i64),
    ) -> Result<Ticket> {
        let mut slot = self.lock_for_decision(cell)?;
        let now = self.now();
        let record = slot.tasks.remove(&task).ok_or_else(task_gone)?;
        self.inner.timers.cancel(&mut slot.timers, TimerOwner::Heartbeat(task));
        self.forget_task(task, &record);
        let mut d = Decision::default();
        if let Some(running) = Slot::running(&mut slot) {
            finish(running, record.frame, now);
            self.advance(cell, &mut slot, now, &mut d);
        }
        self.finish(cell, &mut slot, d)
    }
}

/// A token of a task that has ended (or never existed in this store).
fn task_gone() -> Error {
    Error::TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'".to_owned())
}
