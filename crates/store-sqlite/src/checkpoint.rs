//! WAL checkpoints on a thread of their own, so that commits do not wait while pages are
//! copied into the database file.
//!
//! SQLite's own checkpoint runs inside the commit that crosses its threshold: that commit
//! (and every batch queued behind it) waits 10–20 ms while a thousand pages are copied and
//! the database file is fsynced. Here the writer does not checkpoint (but at a hard
//! limit, below). A background connection does it instead, in two steps:
//!
//! 1. a PASSIVE checkpoint, which copies every frame committed so far while the writer
//!    goes on appending new ones;
//! 2. once the WAL holds [`FINISH_FROM_FRAMES`] frames, a second PASSIVE checkpoint *on
//!    the writer's connection, under its lock*: with no commit in flight it copies the
//!    few frames appended during step 1 and completes, so the writer's next transaction
//!    starts the WAL over from its beginning. Short of the limit below, the writer waits
//!    for this step only (a few milliseconds, mostly the fsyncs of the WAL and the
//!    database; traced at `trace`).
//!
//! Step 2 is what keeps the WAL short: a checkpoint that races the writer never
//! catches up with it, and SQLite only restarts a WAL that is wholly copied. (An earlier
//! checkpointer without step 2 let the WAL grow to tens of MB under load.)
//!
//! Both steps need this thread to run, and on a busy machine it may not get the CPU
//! while the writer goes on committing (the WAL reached 13–22 MB when the tests ran on two
//! loaded cores). So the bound does not rest on it: the writer's WAL hook reports the
//! WAL's length at every commit, and the commit that takes it to [`LIMIT_FRAMES`] runs a
//! RESTART checkpoint itself, under the writer's lock, before the writer takes the next
//! batch ([`Checkpointer::restart`]). That is backpressure: commits wait for the copy only
//! when the thread fell behind, and the WAL never holds more than [`LIMIT_FRAMES`] frames
//! plus one transaction's (unless a reader keeps an older snapshot past the busy timeout:
//! SQLite cannot restart a WAL that someone still reads).
use std::cell::Cell;
use std::os::raw::c_int;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rusqlite::hooks::Wal;
use rusqlite::Connection;

/// From this many frames in the WAL (4 KiB pages: 4 MiB), the checkpointer finishes
/// under the writer's lock so that the WAL restarts. SQLite's own threshold is 1,000.
const FINISH_FROM_FRAMES: i64 = 1000;

/// At most one background pass per this interval: each pass fsyncs the database file,
/// and fewer passes copy a page written by many commits fewer times.
const PASS_INTERVAL: Duration = Duration::from_millis(25);

/// The WAL's hard limit, in frames (4 KiB pages: 8 MiB): the commit that takes the WAL
/// to this length checkpoints it itself before the writer goes on. Twice
/// [`FINISH_FROM_FRAMES`], so that a checkpoint thread that keeps up never lets it come
/// into play. The WAL file holds at most this many frames plus the largest transaction's.
pub const LIMIT_FRAMES: i64 = 2 * FINISH_FROM_FRAMES;

thread_local! {
    /// The WAL's length in frames after the last commit on this thread, as the writer's
    /// WAL hook reports it. The hook runs inside the commit, on the committing thread,
    /// and takes a function rather than a closure: a thread-local is its way out.
    static WAL_FRAMES: Cell<i64> = const { Cell::new(0) };
}

/// Installs the WAL hook that [`commit`] reads on the writer's connection. It replaces
/// SQLite's own hook, the automatic checkpoint (which `wal_autocheckpoint=0` has already
/// turned off).
pub(crate) fn watch(writer: &Connection) {
    writer.wal_hook(Some(record_frames));
}

fn record_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(frames.into());
    Ok(())
}

/// Commits `tx` on a connection [`watch`]ed by this module; returns the number of frames
/// in the WAL after it (0 when the transaction wrote nothing).
pub(crate) fn commit(tx: rusqlite::Transaction<'_>) -> rusqlite::Result<i64> {
    WAL_FRAMES.set(0);
    tx.commit()?;
    let frames = WAL_FRAMES.take();
    if frames > 0 {
        metrics::gauge!(WAL_FRAMES_METRIC).set(frames as f64);
    }
    Ok(frames)
}

/// The gauge of the WAL's length in frames (4 KiB pages) after the latest commit.
pub const WAL_FRAMES_METRIC: &str = "stepwise_wal_frames";

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
    /// Held by the thread during step 1, whose checkpoint runs on its own connection:
    /// SQLite refuses a second checkpoint while one runs, without waiting, so the writer's
    /// [`Checkpointer::restart`] waits here instead.
    pass: Mutex<()>,
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

    /// Tells the thread a transaction was committed on `writer`, the writer's connection
    /// (locked by the caller, no transaction open); `frames` is the WAL's length that
    /// [`commit`] returned. At [`LIMIT_FRAMES`] the thread has fallen behind (on a busy
    /// machine it may not run for a while), so first the writer copies the WAL itself,
    /// before it takes another batch.
    pub(crate) fn committed(&self, writer: &Connection, frames: i64) {
        if frames >= LIMIT_FRAMES {
            self.restart(writer, frames);
        }
        self.shared.signal.lock().commits += 1;
        self.shared.wake.notify_one();
    }

    /// Copies the whole WAL into the database on `writer`, so that the next transaction
    /// starts the WAL over. Waits for the thread's pass in progress, if any, then for
    /// readers of older snapshots (RESTART waits for them, up to the busy timeout, where
    /// PASSIVE would leave their frames behind). A failure is logged, not returned, since
    /// the commit has happened; the next commit tries again.
    fn restart(&self, writer: &Connection, frames: i64) {
        let started = Instant::now();
        let pass = self.shared.pass.lock();
        let waited = started.elapsed();
        let result =
            writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| row.get::<_, bool>(0));
        drop(pass);
        match result {
            Ok(false) => tracing::debug!(
                frames,
                pass_wait_micros = waited.as_micros() as u64,
                restart_micros = (started.elapsed() - waited).as_micros() as u64,
                "the WAL reached its limit: restarted by the writer"
            ),
            Ok(true) => tracing::warn!(frames, "the WAL reached its limit and a reader kept it"),
            Err(e) => tracing::warn!(frames, "restarting the WAL: {e}"),
        }
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
        let pass = shared.pass.lock();
        let copied = passive(conn);
        // Released before the writer's lock is taken: the writer takes them the other way.
        drop(pass);
        match copied {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A checkpointer whose thread never runs: the extreme of a starved one.
    fn stalled() -> Checkpointer {
        Checkpointer { shared: Arc::default(), thread: None }
    }

    #[test]
    fn the_writer_restarts_the_wal_when_the_thread_never_runs() {
        let dir = std::env::temp_dir().join(format!("stepwise-checkpoint-{}", std::process::id()));
        // A directory of a dead process with the same id would hold an old table.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stalled.db");
        let mut conn = Connection::open(&path).unwrap();
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0)).unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        // No fsyncs: this test is about the WAL's length, not durability.
        conn.pragma_update(None, "synchronous", "OFF").unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        watch(&conn);
        let checkpointer = stalled();

        // Each commit writes a 10 kB blob: a few pages, so 1,000 commits would make a WAL
        // of several times the limit if nothing restarted it.
        let (mut written, mut longest, mut previous, mut restarts) = (0, 0, 0, 0);
        for _ in 0..1000 {
            let tx = conn.transaction().unwrap();
            tx.execute("INSERT INTO t (b) VALUES (zeroblob(10000))", []).unwrap();
            let frames = commit(tx).unwrap();
            assert!(frames > 0, "the WAL hook reports every commit");
            if frames < previous {
                restarts += 1;
                written += frames;
            } else {
                written += frames - previous;
            }
            (previous, longest) = (frames, longest.max(frames));
            checkpointer.committed(&conn, frames);
        }
        assert!(written > 2 * LIMIT_FRAMES, "{written} frames written in all");
        assert!(restarts >= 2, "{restarts} restarts");
        // The commit that reached the limit was the last before a restart: the WAL never
        // held more than the limit and that one commit's frames.
        assert!(longest < LIMIT_FRAMES + 8, "the WAL held {longest} frames");
        let wal = std::fs::metadata(dir.join("stalled.db-wal")).unwrap().len();
        assert!(wal <= 32 + (LIMIT_FRAMES as u64 + 8) * (4096 + 24), "WAL file of {wal} bytes");
        assert_eq!(
            conn.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0)).unwrap(),
            1000
        );
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
