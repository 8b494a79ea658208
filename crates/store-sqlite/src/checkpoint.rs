//! WAL checkpoints on their own thread, so commits find little left to copy.
//!
//! SQLite runs a checkpoint inside the COMMIT that pushes the WAL past 1,000 pages: that
//! commit copies the WAL into the database file and fsyncs it, and every execution waiting
//! on the group commit waits too (stalls of 10–20 ms under load). Here a thread with its
//! own connection runs a PASSIVE checkpoint (which never blocks the writer or readers)
//! every [`INTERVAL`] when something was committed since, so most pages are already
//! copied when the writer's own checkpoint comes. The writer's checkpoint is kept: only a
//! checkpoint by the writer, with no other write in between, can complete and let the
//! next transaction restart the WAL from its beginning; without it the WAL grows for as
//! long as commits keep coming.
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use stepwise_engine::Result;

use crate::{connect, sql};

/// How often the checkpointer looks for work.
const INTERVAL: Duration = Duration::from_millis(100);

/// The running checkpointer; it stops when dropped (with the store).
pub(crate) struct Checkpointer {
    /// Set by each commit; cleared by each checkpoint.
    dirty: Arc<AtomicBool>,
    /// Dropping it tells the thread to stop.
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own to `path`.
    pub(crate) fn start(path: &Path) -> Result<Checkpointer> {
        let conn = connect(path)?;
        let dirty = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let seen = dirty.clone();
        std::thread::Builder::new()
            .name("stepwise-checkpoint".into())
            .spawn(move || loop {
                match stopped.recv_timeout(INTERVAL) {
                    Err(RecvTimeoutError::Timeout) => {}
                    // The store is gone: SQLite checkpoints as the last connection closes.
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                if seen.swap(false, Ordering::AcqRel) {
                    let result = conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                        .map_err(sql);
                    if let Err(e) = result {
                        tracing::warn!("WAL checkpoint: {e}");
                    }
                }
            })
            .map_err(|e| {
                stepwise_engine::Error::Internal(format!("starting the checkpointer: {e}"))
            })?;
        Ok(Checkpointer { dirty, _stop: stop })
    }

    /// Notes that a transaction committed.
    pub(crate) fn committed(&self) {
        self.dirty.store(true, Ordering::Release);
    }
}
