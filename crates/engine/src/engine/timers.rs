//! Timers: Wait states, retry backoffs, task timeouts, heartbeats, execution timeouts.
//!
//! One wheel (a map ordered by deadline) for the whole engine, locked only to arm, cancel
//! or take due timers; firing one locks only its execution. Each execution's slot keeps
//! the keys of its timers ([`Slot::timers`]), so a timer is cancelled when its frame
//! moves on, its task ends, or its execution ends: the wheel holds what is armed for
//! running work, never what has run.
use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::registry::{Cell, Slot, SlotTimers, TimerKey, TimerOwner};
use crate::execution::{FrameId, Running};

/// What a due timer does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TimerKind {
    /// Calls `Running::on_timer(frame, generation)`.
    Frame { frame: FrameId, generation: u64 },
    /// Checks a task's heartbeat deadline.
    Heartbeat { task: crate::token::TaskId },
    /// The execution's TimeoutSeconds elapsed.
    Execution,
}

impl TimerKind {
    fn owner(self) -> TimerOwner {
        match self {
            TimerKind::Frame { frame, .. } => TimerOwner::Frame(frame),
            TimerKind::Heartbeat { task } => TimerOwner::Heartbeat(task),
            TimerKind::Execution => TimerOwner::Execution,
        }
    }
}

/// A due timer, taken out of the wheel.
pub(crate) struct Due {
    pub(crate) key: TimerKey,
    pub(crate) cell: Arc<Cell>,
    pub(crate) kind: TimerKind,
}

#[derive(Default)]
struct Inner {
    wheel: BTreeMap<TimerKey, (Arc<Cell>, TimerKind)>,
    seq: u64,
}

/// The engine's timer wheel.
#[derive(Default)]
pub(crate) struct Timers {
    inner: Mutex<Inner>,
}

impl Timers {
    /// Arms a timer for `cell` at `at_ms`, replacing the one its owner had. Returns
    /// true if it is now the earliest (the timer loop must wake earlier).
    pub(crate) fn arm(
        &self,
        cell: &Arc<Cell>,
        timers: &mut SlotTimers,
        at_ms: i64,
        kind: TimerKind,
    ) -> bool {
        let mut inner = self.inner.lock();
        if let Some(old) = timers.remove(&kind.owner()) {
            inner.wheel.remove(&old);
        }
        inner.seq += 1;
        let key = (at_ms, inner.seq);
        let earliest = inner.wheel.keys().next().is_none_or(|first| key < *first);
        inner.wheel.insert(key, (cell.clone(), kind));
        timers.insert(kind.owner(), key);
        earliest
    }

    /// Cancels the timer of `owner`, if armed.
    pub(crate) fn cancel(&self, timers: &mut SlotTimers, owner: TimerOwner) {
        if let Some(key) = timers.remove(&owner) {
            self.inner.lock().wheel.remove(&key);
        }
    }

    /// Cancels every timer of an execution (it ended, or is being reloaded).
    pub(crate) fn cancel_all(&self, slot: &mut Slot) {
        if slot.timers.is_empty() {
            return;
        }
        let mut inner = self.inner.lock();
        for (_, key) in slot.timers.drain() {
            inner.wheel.remove(&key);
        }
    }

    /// Cancels the timers of frames that moved on since they were armed.
    pub(crate) fn cancel_stale(&self, timers: &mut SlotTimers, running: &mut Running) {
        for frame in std::mem::take(&mut running.stale_frames) {
            let owner = TimerOwner::Frame(frame);
            let Some(key) = timers.get(&owner).copied() else { continue };
            let mut inner = self.inner.lock();
            let stale = match inner.wheel.get(&key) {
                Some((_, TimerKind::Frame { generation, .. })) => {
                    running.frame_generation(frame) != Some(*generation)
                }
                _ => true,
            };
            if stale {
                inner.wheel.remove(&key);
                timers.remove(&owner);
            }
        }
    }

    /// Takes every timer due at `now`.
    pub(crate) fn take_due(&self, now: i64) -> Vec<Due> {
        let mut inner = self.inner.lock();
        let mut due = Vec::new();
        while let Some(entry) = inner.wheel.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (key, (cell, kind)) = entry.remove_entry();
            due.push(Due { key, cell, kind });
        }
        due
    }

    /// The earliest deadline armed.
    pub(crate) fn next_deadline(&self) -> Option<i64> {
        self.inner.lock().wheel.keys().next().map(|(at, _)| *at)
    }

    /// How many timers are armed.
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().wheel.len()
    }
}

/// Forgets a fired timer in its slot (if the slot still names it: it may have been
/// re-armed since it was taken out of the wheel).
pub(crate) fn forget_fired(slot: &mut Slot, due: &Due) {
    let owner = due.kind.owner();
    if slot.timers.get(&owner) == Some(&due.key) {
        slot.timers.remove(&owner);
    }
}

impl super::Engine {
    /// Fires every timer due now, each under its own execution's lock only.
    pub(crate) fn fire_due(&self) {
        let now = self.now();
        for due in self.inner.timers.take_due(now) {
            self.fire(due, now);
        }
    }

    pub(crate) fn fire(&self, due: Due, now: i64) {
        use crate::history::ErrorCause;
        use crate::model::ExecutionStatus;
        let cell = due.cell.clone();
        let mut slot = cell.slot.lock();
        forget_fired(&mut slot, &due);
        if cell.is_failed() {
            // Its reload re-arms every timer from the store.
            self.inner.repairs.lock().push(cell.clone());
            return;
        }
        if let Err(e) = self.unpark(&cell, &mut slot) {
            // The store could not give it back now: try again shortly.
            tracing::error!("cannot load parked execution {}: {e}", cell.key);
            self.arm(&cell, &mut slot, now.saturating_add(UNPARK_RETRY_MS), due.kind);
            return;
        }
        let mut d = super::decide::Decision::default();
        match due.kind {
            TimerKind::Frame { frame, generation } => {
                let Some(running) = slot.running() else { return };
                let mut timed_out = None;
                running.on_timer(frame, generation, now, &mut timed_out);
                if let Some(task) = timed_out {
                    if let Some(record) = slot.tasks.remove(&task) {
                        self.inner.timers.cancel(&mut slot.timers, TimerOwner::Heartbeat(task));
                        self.forget_task(task, &record);
                    }
                }
            }
            TimerKind::Heartbeat { task } => {
                let Some(record) = slot.tasks.get(&task) else { return };
                match record.heartbeat_deadline {
                    Some(deadline) if deadline > now => {
                        return self.arm(&cell, &mut slot, deadline, due.kind);
                    }
                    _ => {
                        let record = slot.tasks.remove(&task).expect("present");
                        self.forget_task(task, &record);
                        let Some(running) = slot.running() else { return };
                        if running.frame_task(record.frame) == Some(task) {
                            running.task_timed_out(record.frame, "States.HeartbeatTimeout", now);
                        }
                    }
                }
            }
            TimerKind::Execution => {
                let Some(running) = slot.running() else { return };
                running.stop(
                    ExecutionStatus::TimedOut,
                    ErrorCause { error: Some("States.Timeout".into()), cause: None },
                    now,
                );
            }
        }
        self.advance(&cell, &mut slot, now, &mut d);
        if let Err(e) = self.finish(&cell, &mut slot, d) {
            tracing::error!("cannot commit {}: {e}", cell.key);
        }
    }
}

/// How long a timer waits before trying again when its parked execution could not be loaded.
const UNPARK_RETRY_MS: i64 = 1000;
