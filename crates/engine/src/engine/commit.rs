//! The group commit: decisions of many executions reach the store in one transaction.
//!
//! Two threads in a pipeline, so that encoding one group overlaps writing (and fsyncing)
//! the one before:
//! - `stepwise-committer` merges whatever batches are waiting and has the store encode
//!   them ([`Store::prepare`]);
//! - `stepwise-writer` takes every encoded group that is ready and writes them in one
//!   transaction ([`Store::commit_prepared`]), then answers each sender.
//!
//! Both are first in first out, and an execution's batches are sent under its lock, so
//! each execution's batches reach the store in the order they were decided.
//!
//! # Faults
//! A write that fails (disk full, an I/O error) fails every batch in it. Each execution
//! in it is marked failed (`Cell::failed`): its memory is ahead of the store, so none of
//! its later batches may be written either, since they build on the lost one. A group
//! holding a batch of a failed execution is therefore failed without being written.
//! Once all of a failed execution's batches are answered, the engine reloads it from
//! the store (`Engine::repair`), which holds exactly what was acknowledged.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{oneshot, Notify};

use super::registry::{Cell, Registry};
use crate::error::{Error, Result};
use crate::store::{Batch, Prepared, Store};
use crate::telemetry;

/// Who waits for a batch to be durable.
pub(crate) type Listener = oneshot::Sender<Result<()>>;

/// A batch on its way to the committer: the execution it belongs to and who waits for it.
pub(crate) struct Commit {
    pub(crate) batch: Batch,
    pub(crate) cell: Arc<Cell>,
    pub(crate) listeners: Vec<Listener>,
}

/// A commit on its way to the store; wait on it before acknowledging.
#[must_use = "a commit must be awaited before the operation answers"]
pub(crate) struct Ticket(pub(crate) Option<oneshot::Receiver<Result<()>>>);

impl Ticket {
    pub(crate) fn done() -> Ticket {
        Ticket(None)
    }

    /// Resolves once the batch is durable, or with the error that kept it from the store.
    pub(crate) async fn durable(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(rx) => rx.await.unwrap_or_else(|_| Err(unavailable("the committer stopped"))),
        }
    }
}

/// The error a caller gets when its change could not be made durable: AWS's 500, which
/// the SDKs retry. The execution itself is brought back to its last durable state.
pub(crate) fn unavailable(why: &str) -> Error {
    Error::Internal(format!("the change was not saved ({why}); retry"))
}

/// What the writer tells the engine about.
pub(crate) struct Feedback {
    /// Cells leave the registry here once their ended execution is durable.
    pub(crate) registry: Arc<Registry>,
    /// Failed executions waiting to be reloaded.
    pub(crate) repairs: Arc<Mutex<Vec<Arc<Cell>>>>,
    /// How many executions are failed and not yet reloaded.
    pub(crate) failed_cells: Arc<AtomicUsize>,
    /// Wakes the engine's timer loop (repairs, parking).
    pub(crate) wake: Arc<Notify>,
}

/// Starts the two threads; returns the queue to send batches to.
pub(crate) fn spawn_committer(store: Arc<dyn Store>, feedback: Feedback) -> mpsc::Sender<Commit> {
    let (tx, rx) = mpsc::channel::<Commit>();
    let (to_writer, prepared) = mpsc::channel::<Group>();
    std::thread::Builder::new()
        .name("stepwise-committer".into())
        .spawn({
            let store = store.clone();
            move || {
                while let Ok(first) = rx.recv() {
                    let mut merged = first.batch;
                    let mut cells = vec![first.cell];
                    let mut waiters = first.listeners;
                    while cells.len() < 4096 {
                        let Ok(next) = rx.try_recv() else { break };
                        merged.extend(next.batch);
                        cells.push(next.cell);
                        waiters.extend(next.listeners);
                    }
                    let group = Group { prepared: store.prepare(merged), cells, waiters };
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
                write_groups(&*store, groups, &feedback);
            }
        })
        .expect("spawning the writer thread");
    tx
}

/// Merged batches on their way from the committer thread to the writer thread.
struct Group {
    prepared: Result<Prepared>,
    /// The execution of each merged batch (one entry per batch).
    cells: Vec<Arc<Cell>>,
    waiters: Vec<Listener>,
}

/// Writes groups in one commit and answers their senders. A group that could not be
/// encoded, or that holds a batch of an execution already failed, fails without being
/// written; the others are written together.
fn write_groups(store: &dyn Store, groups: Vec<Group>, feedback: &Feedback) {
    let mut batches = Vec::with_capacity(groups.len());
    let mut outcomes: Vec<(Group, Option<Error>)> = Vec::with_capacity(groups.len());
    for mut group in groups {
        let refusal = match std::mem::replace(&mut group.prepared, Ok(Box::new(()))) {
            Err(e) => Some(e),
            Ok(_) if group.cells.iter().any(|c| c.is_failed()) => {
                Some(unavailable("an earlier change of the same execution failed"))
            }
            Ok(prepared) => {
                batches.push(prepared);
                None
            }
        };
        if refusal.is_some() {
            // At once, so that later groups of this same write see these executions
            // failed and are refused too.
            mark_failed(&group.cells, feedback);
        }
        outcomes.push((group, refusal));
    }
    let written = batches.len();
    let decisions: usize =
        outcomes.iter().filter(|(_, refusal)| refusal.is_none()).map(|(g, _)| g.cells.len()).sum();
    let started = std::time::Instant::now();
    let result = if batches.is_empty() { Ok(()) } else { store.commit_prepared(batches) };
    if written > 0 {
        metrics::histogram!(telemetry::COMMIT_BATCHES).record(decisions as f64);
        metrics::histogram!(telemetry::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
        if result.is_err() {
            metrics::counter!(telemetry::COMMIT_FAILURES).increment(1);
        }
    }
    tracing::trace!(
        groups = written,
        micros = started.elapsed().as_micros() as u64,
        "group commit"
    );
    if let Err(e) = &result {
        tracing::error!("commit failed: {e}");
    }
    for (group, refusal) in outcomes {
        let answer = match refusal {
            Some(e) => Err(e),
            None => result.clone().map_err(|e| unavailable(&e.to_string())),
        };
        settle_group(group, answer, feedback);
    }
}

/// Marks executions failed: none of their later batches may be written, and they are
/// queued to be reloaded from the store.
fn mark_failed(cells: &[Arc<Cell>], feedback: &Feedback) {
    let mut repairs = feedback.repairs.lock();
    for cell in cells {
        if !cell.failed.swap(true, Ordering::SeqCst) {
            feedback.failed_cells.fetch_add(1, Ordering::SeqCst);
            repairs.push(cell.clone());
        }
    }
}

/// Records a group's outcome on its executions, then answers its waiters.
fn settle_group(group: Group, answer: Result<()>, feedback: &Feedback) {
    let failed = answer.is_err();
    if failed {
        // Marked before `answered` moves, so whoever sees everything answered also sees
        // the failure.
        mark_failed(&group.cells, feedback);
    }
    for cell in &group.cells {
        let answered = cell.answered.fetch_add(1, Ordering::SeqCst) + 1;
        let settled = answered == cell.sent.load(Ordering::SeqCst);
        if settled && cell.ended.load(Ordering::SeqCst) && !cell.is_failed() {
            feedback.registry.remove_cell(cell);
        }
    }
    for waiter in group.waiters {
        let _ = waiter.send(answer.clone());
    }
    if failed {
        feedback.wake.notify_one();
    }
}
