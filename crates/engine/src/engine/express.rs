//! Express workflows: executions that live in memory only.
//!
//! An Express execution (of a state machine of type `EXPRESS`) runs through the same
//! interpreter, effects, timers and service calls as a Standard one, in a cell of its
//! own ([`Cell::express`]), but none of its decisions reaches the store: no execution row,
//! no history, no snapshot, no snapshot parts. So it costs no commit, and a crash loses
//! it, as AWS's semantics for Express allow (at most once for `StartSyncExecution`, at
//! least once for asynchronous starts, whose callers retry). AWS does not keep their
//! history either (it goes to CloudWatch Logs when logging is on): `DescribeExecution`,
//! `StopExecution` and `GetExecutionHistory` refuse an Express ARN as `InvalidArn`, and
//! `ListExecutions` refuses an Express machine with `StateMachineTypeNotSupported`.
//!
//! What differs from Standard executions:
//! - their ARN is `arn:aws:states:<region>:<account>:express:<machine>:<name>:<id>`, and
//!   names need not be unique (AWS manages no idempotency for Express starts);
//! - they end after 5 minutes at the latest ([`MAX_DURATION_MS`]), `TIMED_OUT`;
//! - `StartSyncExecution` waits for the end and answers with the final row;
//! - definitions with activities, `.sync` or `.waitForTaskToken` are refused when the
//!   machine is created or updated ([`rules`]).
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::commit::Ticket;
use super::decide::Decision;
use super::executions::PreparedStart;
use super::registry::{Cell, Life, Slot};
use super::timers::TimerKind;
use super::Engine;
use crate::error::{Error, Result};
use crate::model::{ExecutionRecord, MachineType};

pub mod rules;

/// The longest an Express execution runs: 5 minutes (AWS's quota). One still running
/// then ends `TIMED_OUT`.
pub const MAX_DURATION_MS: i64 = 5 * 60 * 1000;

/// The ARN of an Express execution: the machine's ARN with `express` for `stateMachine`,
/// then the execution's name and an id that tells executions of one name apart.
pub(super) fn execution_arn(machine_arn: &str, name: &str, id: &str) -> String {
    format!("{}:{name}:{id}", machine_arn.replacen(":stateMachine:", ":express:", 1))
}

/// AWS's answer to an operation that does not apply to the machine's type.
pub(crate) fn type_not_supported() -> Error {
    Error::StateMachineTypeNotSupported(
        "This operation is not supported by this type of state machine".into(),
    )
}

impl Engine {
    /// `StartSyncExecution`: runs an Express execution to its end and returns its final
    /// row (`SUCCEEDED`, `FAILED` or `TIMED_OUT`). A Standard machine is refused.
    pub async fn start_sync_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: Option<String>,
    ) -> Result<ExecutionRecord> {
        let start = self.prepare_start(state_machine_arn, name, input)?;
        if start.machine_record.machine_type != MachineType::Express {
            return Err(type_not_supported());
        }
        let (ended, end) = oneshot::channel();
        self.start_express(start, Some(ended)).await?;
        end.await.map_err(|_| Error::Internal("an Express execution ended unseen".into()))
    }

    /// `StartExecution` of an Express machine: starts it and returns at once.
    pub(super) async fn start_express_async(
        &self,
        start: PreparedStart,
    ) -> Result<ExecutionRecord> {
        self.start_express(start, None).await
    }

    /// Starts an Express execution and makes its first decision; `on_end` gets its final
    /// row. Returns the row it started with.
    async fn start_express(
        &self,
        start: PreparedStart,
        on_end: Option<oneshot::Sender<ExecutionRecord>>,
    ) -> Result<ExecutionRecord> {
        // A JSONata expression may evaluate for seconds: such a decision runs on a
        // blocking thread, as a Standard start's does.
        if start.machine.uses_jsonata() {
            let engine = self.clone();
            return tokio::task::spawn_blocking(move || engine.start_express_now(start, on_end))
                .await
                .map_err(|e| Error::Internal(format!("a decision panicked: {e}")));
        }
        Ok(self.start_express_now(start, on_end))
    }

    fn start_express_now(
        &self,
        start: PreparedStart,
        on_end: Option<oneshot::Sender<ExecutionRecord>>,
    ) -> ExecutionRecord {
        let now = self.now();
        let mut running = self.begin(start, now);
        let record = running.record.clone();
        if on_end.is_some() {
            running.set_sync_express();
        }
        let key: Arc<str> = record.arn.as_str().into();
        let cell = Cell::new_express(key.clone(), Life::Resident(Box::new(running)));
        let mut slot = cell.slot.lock();
        slot.on_end = on_end;
        let mut d = Decision::default();
        self.advance(&cell, &mut slot, now, &mut d);
        // Only an execution that goes on needs its 5-minute timer, and to be found by ARN
        // (a service call's answer looks it up): most end in their first decision, and
        // then cost neither. Its timers and its continuation hold its cell themselves.
        if !cell.ended.load(Ordering::SeqCst) {
            let deadline = now.saturating_add(MAX_DURATION_MS);
            if slot.running().is_some_and(|running| running.limit_duration(deadline)) {
                self.arm(&cell, &mut slot, deadline, TimerKind::Execution);
            }
            self.inner.registry.shard(&key).insert(key, cell.clone());
        }
        drop(self.finish_express(&cell, &mut slot, d));
        record
    }

    /// What [`Engine::finish`] does for an Express execution: nothing is committed. Its
    /// service calls go out at once (there is no batch to wait for), workers handed a task
    /// are answered, and once it ends its cell leaves the registry and whoever waits for
    /// its end gets its final row.
    pub(super) fn finish_express(&self, cell: &Arc<Cell>, slot: &mut Slot, d: Decision) -> Ticket {
        let Decision { batch, listeners, calls, .. } = d;
        for listener in listeners {
            let _ = listener.send(Ok(()));
        }
        if !calls.is_empty() {
            let (now, ready) = oneshot::channel();
            let _ = now.send(Ok(()));
            self.dispatch(calls, ready);
        }
        if cell.ended.load(Ordering::SeqCst) {
            self.inner.registry.remove_cell(cell);
            let last = batch.executions.into_iter().next_back();
            if let Some(record) = &last {
                tracing::debug!(
                    execution = %record.arn,
                    status = record.status.as_str(),
                    "express execution ended"
                );
            }
            if let (Some(waiter), Some(record)) = (slot.on_end.take(), last) {
                let _ = waiter.send(record);
            }
        }
        Ticket::done()
    }
}
