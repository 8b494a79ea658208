//! The evaluation timeout without a clock read per step.
//!
//! `jsonata-core` can check a wall-clock budget itself, but it reads the clock at every node
//! it evaluates (about 10 % of a typical evaluation). It also checks a cancellation flag at
//! the same places, which costs one atomic load. So each evaluation gets a flag instead, and
//! one watchdog thread for the process raises the flags whose deadlines pass.
//!
//! The thread sleeps until the earliest deadline it knows of. Arming an evaluation wakes it
//! only when the new deadline is earlier than that (or it has nothing to wait for), so a
//! stream of evaluations with the same timeout wakes it about once per timeout period, not
//! once per evaluation. Finished evaluations remove their entries; the thread is never told,
//! it just finds nothing due when it wakes.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use jsonata_core::evaluator::CancelToken;

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// Armed evaluations: id, deadline, flag.
    entries: Vec<(u64, Instant, CancelToken)>,
    /// When the thread will look next; `None` while it waits for work.
    planned: Option<Instant>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned one still holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The process's watchdog, started on first use; `None` if no thread could be started.
fn shared() -> Option<&'static Shared> {
    static SHARED: OnceLock<Option<&'static Shared>> = OnceLock::new();
    *SHARED.get_or_init(|| {
        let shared: &'static Shared =
            Box::leak(Box::new(Shared { state: Mutex::default(), wake: Condvar::new() }));
        std::thread::Builder::new()
            .name("jsonata-watchdog".into())
            .spawn(move || run(shared))
            .ok()
            .map(|_| shared)
    })
}

fn run(shared: &'static Shared) {
    let mut state = shared.lock();
    loop {
        let now = Instant::now();
        state.entries.retain(|(_, deadline, token)| {
            let due = *deadline <= now;
            if due {
                token.cancel();
            }
            !due
        });
        state.planned = state.entries.iter().map(|&(_, deadline, _)| deadline).min();
        state = match state.planned {
            None => shared.wake.wait(state).unwrap_or_else(PoisonError::into_inner),
            Some(at) => {
                shared
                    .wake
                    .wait_timeout(state, at.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

/// How one evaluation is bounded in time.
pub(crate) enum Deadline {
    /// The watchdog raises the flag at the deadline; dropping this disarms it.
    Watched(Armed),
    /// No watchdog thread: `jsonata-core` reads the clock itself.
    Clock,
    /// The timeout is beyond what `Instant` can hold: no bound.
    Never,
}

/// An armed deadline; dropped when the evaluation ends.
pub(crate) struct Armed {
    id: u64,
    token: CancelToken,
    shared: &'static Shared,
}

impl Armed {
    pub(crate) fn token(&self) -> CancelToken {
        self.token.clone()
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if let Some(i) = state.entries.iter().position(|&(id, _, _)| id == self.id) {
            state.entries.swap_remove(i);
        }
    }
}

/// Arms a deadline `timeout` from now.
pub(crate) fn arm(timeout: Duration) -> Deadline {
    let Some(deadline) = Instant::now().checked_add(timeout) else {
        return Deadline::Never;
    };
    let Some(shared) = shared() else {
        return Deadline::Clock;
    };
    let token = CancelToken::new();
    let mut state = shared.lock();
    let id = state.next_id;
    state.next_id += 1;
    state.entries.push((id, deadline, token.clone()));
    if state.planned.is_none_or(|planned| deadline < planned) {
        state.planned = Some(deadline);
        shared.wake.notify_one();
    }
    Deadline::Watched(Armed { id, token, shared })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_raised_at_its_deadline_and_not_before() {
        let Deadline::Watched(long) = arm(Duration::from_secs(60)) else { panic!("armed") };
        let Deadline::Watched(short) = arm(Duration::from_millis(30)) else { panic!("armed") };
        assert!(!short.token.is_cancelled());
        let start = Instant::now();
        while !short.token.is_cancelled() {
            assert!(start.elapsed() < Duration::from_secs(5), "the 30 ms deadline never fired");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(!long.token.is_cancelled());
    }

    #[test]
    fn a_dropped_deadline_is_removed() {
        let Deadline::Watched(armed) = arm(Duration::from_secs(60)) else { panic!("armed") };
        let id = armed.id;
        drop(armed);
        let state = shared().expect("watchdog").lock();
        assert!(state.entries.iter().all(|&(other, _, _)| other != id));
    }

    #[test]
    fn an_unrepresentable_timeout_is_no_bound() {
        assert!(matches!(arm(Duration::MAX), Deadline::Never));
    }
}
