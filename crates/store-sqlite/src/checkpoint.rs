//! WAL checkpoints on a thread of their own, so that commits do not wait while pages are
//! copied into the database file.
//!
//! SQLite's own checkpoint runs inside the commit that crosses its threshold: that commit
//! (and every batch queued behind it) waits 10–20 ms while a thousand pages are copied and
//! the database file is fsynced. Here the writer never checkpoints. A background
//! connection does it instead, in two steps:
//!
//! 1. a PASSIVE checkpoint, which copies every frame committed so far while the writer
//!    goes on appending new ones;
//! 2. once the WAL holds [`FINISH_FROM_FRAMES`] frames, a second PASSIVE checkpoint *on
//!    the writer's connection, under its lock*: with no commit in flight it copies the
//!    few frames appended during step 1 and completes, so the writer's next transaction
//!    starts the WAL over from its beginning. The writer waits for this step only (a few
//!    milliseconds, mostly the fsyncs of the WAL and the database; traced at `trace`).
//!
//! Step 2 is what keeps the WAL bounded: a checkpoint that races the writer never
//! catches up with it, and SQLite only restarts a WAL that is wholly copied. (An earlier
//! checkpointer without step 2 let the WAL grow to tens of MB under load.)
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rusqlite::Connection;

/// From this many frames in the WAL (4 KiB pages: 4 MiB), the checkpointer finishes
/// under the writer's lock so that the WAL restarts. SQLite's own threshold is 1,000.
const FINISH_FROM_FRAMES: i64 = 1000;

/// At most one background pass per this interval: each pass fsyncs the database file,
/// and fewer passes copy a page written by many commits fewer times.
const PASS_INTERVAL: Duration = Duration::from_millis(25);

/// Commits since the last pass, and whether the store is closing.
#[derive(Default)]
struct Signal {
    commits: u64,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    signal: Mutex<Signal>,
    wake: Condvar,
}

/// The checkpoint thread; stopped (and joined) when dropped.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread. `conn` is its own connection to the database; `writer` is the
    /// store's write connection, locked only for the finishing step.
    pub(crate) fn start(conn: Connection, writer: Arc<Mutex<Connection>>) -> Checkpointer {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("stepwise-checkpoint".into())
            .spawn({
                let shared = shared.clone();
                move || run(&shared, &conn, &writer)
            })
            .expect("spawning the checkpoint thread");
        Checkpointer { shared, thread: Some(thread) }
    }

    /// Tells the thread a transaction was committed.
    pub(crate) fn committed(&self) {
        self.shared.signal.lock().commits += 1;
        self.shared.wake.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.signal.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, conn: &Connection, writer: &Mutex<Connection>) {
    let mut last_pass = Instant::now();
    loop {
        {
            let mut signal = shared.signal.lock();
            while signal.commits == 0 && !signal.stop {
                shared.wake.wait(&mut signal);
            }
            if signal.stop {
                return;
            }
            signal.commits = 0;
        }
        if let Some(rest) = PASS_INTERVAL.checked_sub(last_pass.elapsed()) {
            std::thread::sleep(rest);
        }
        last_pass = Instant::now();
        match passive(conn) {
            Ok(frames) if frames >= FINISH_FROM_FRAMES => {
                let started = Instant::now();
                let writer = writer.lock();
                let waited = started.elapsed();
                if let Err(e) = passive(&writer) {
                    tracing::warn!("finishing a WAL checkpoint: {e}");
                }
                drop(writer);
                tracing::trace!(
                    frames,
                    pass_micros = (started - last_pass).as_micros() as u64,
                    lock_wait_micros = waited.as_micros() as u64,
                    finish_micros = (started.elapsed() - waited).as_micros() as u64,
                    "WAL checkpoint finished"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("WAL checkpoint: {e}"),
        }
    }
}

/// A PASSIVE checkpoint: copies what it can without waiting for anyone. Returns the
/// number of frames in the WAL.
fn passive(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1))
}
