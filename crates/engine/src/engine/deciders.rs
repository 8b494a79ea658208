//! Decider threads: the decisions no request waits on (timers that fire, executions
//! continuing after their step budget) run here, off the async workers.
//!
//! A decision can take long: a JSONata expression may evaluate for seconds, a parked
//! execution is read back from the store. Run on the timer loop, one such decision
//! would delay every other timer; run on an async worker, it would hold up requests.
//! So each job goes to a small pool of threads, one job (one execution) at a time: a
//! slow decision occupies one thread while the others go on.
use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::registry::Cell;
use super::timers::Due;
use super::Engine;

/// How many decider threads run: more than the cores, so that a few slow decisions
/// do not stop the rest.
const THREADS: usize = 4;

/// A decision to make.
pub(crate) enum Job {
    /// A timer came due at `now`.
    Fire(Due, i64),
    /// An execution has work left after its step budget.
    Continue(Arc<Cell>),
}

/// The queue the decider threads take jobs from.
#[derive(Default)]
pub(crate) struct Deciders {
    queue: Mutex<VecDeque<Job>>,
    wake: Condvar,
}

impl Deciders {
    /// Queues jobs for the decider threads.
    pub(crate) fn submit(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut queue = self.queue.lock();
        let before = queue.len();
        queue.extend(jobs);
        let added = queue.len() - before;
        drop(queue);
        if added == 1 {
            self.wake.notify_one();
        } else if added > 1 {
            self.wake.notify_all();
        }
    }

    fn take(&self) -> Job {
        let mut queue = self.queue.lock();
        loop {
            if let Some(job) = queue.pop_front() {
                return job;
            }
            self.wake.wait(&mut queue);
        }
    }
}

impl Engine {
    /// Starts the decider threads. They hold the engine for as long as the process runs,
    /// as the timer and driver loops do.
    pub(crate) fn spawn_deciders(&self) {
        for n in 0..THREADS {
            let engine = self.clone();
            let runtime = tokio::runtime::Handle::try_current().ok();
            std::thread::Builder::new()
                .name(format!("stepwise-decider-{n}"))
                .spawn(move || {
                    // Service calls a decision dispatches go to the engine's runtime.
                    let _guard = runtime.as_ref().map(|r| r.enter());
                    loop {
                        match engine.inner.deciders.take() {
                            Job::Fire(due, now) => engine.fire(due, now),
                            Job::Continue(cell) => engine.continue_one(&cell),
                        }
                    }
                })
                .expect("spawning a decider thread");
        }
    }
}
