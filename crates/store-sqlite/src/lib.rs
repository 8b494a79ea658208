//! [`Store`] on embedded SQLite: `--store sqlite`.
//!
//! One database file (`stepwise.db`) in a directory, in WAL mode. Records are kept as
//! JSON text (they derive serde in `stepwise_engine::model`), with the columns queries
//! filter or sort on copied beside them; histories are one row per event.
//!
//! # Example
//! ```
//! use stepwise_engine::store::Store;
//! use stepwise_store_sqlite::{Durability, SqliteStore};
//!
//! let dir = std::env::temp_dir().join(format!("stepwise-doc-{}", std::process::id()));
//! let store = SqliteStore::open(&dir, Durability::Full).unwrap();
//! store.put_setting("greeting", b"hello").unwrap();
//! assert_eq!(store.get_setting("greeting").unwrap().as_deref(), Some(&b"hello"[..]));
//! # drop(store); std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # Connections
//! One writer connection behind a mutex (SQLite has one writer anyway) and one read
//! connection behind another, so reads don't wait for a commit's fsync: in WAL mode a
//! reader sees every transaction committed before its statement began, which gives the
//! store contract's "reads reflect every batch whose `commit` has returned".
//!
//! One process should open a directory at a time: a second one would work (SQLite locks)
//! but would run executions the first one also runs.
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord,
};
use stepwise_engine::store::{Batch, Store};
use stepwise_engine::{Error, Result};

pub use schema::SCHEMA_VERSION;

/// The database file's name inside the store's directory.
pub const DB_FILE: &str = "stepwise.db";

/// How hard a commit works to survive a crash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: each commit fsyncs the WAL before it returns, so a batch that
    /// was acknowledged survives a process crash *and* a power loss or OS crash.
    #[default]
    Full,
    /// `synchronous=NORMAL`: commits are written to the WAL but fsynced only at
    /// checkpoints. A process crash loses nothing (the OS has the writes); a power loss
    /// or OS crash may lose the last transactions acknowledged before it, but never
    /// corrupts the database: it reopens at an earlier consistent state.
    Relaxed,
}

/// Waits this long for a lock held by another connection (e.g. a checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The store: see the crate docs.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, and migrates its schema to
    /// [`SCHEMA_VERSION`]. Fails on a database written by a newer schema version.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Internal(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);

        let mut writer = connect(&path)?;
        // WAL: readers don't block the writer, and a commit is one sequential append.
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Internal(format!(
                "{}: cannot use WAL (journal mode {mode})",
                path.display()
            )));
        }
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Relaxed => "NORMAL",
        };
        writer.pragma_update(None, "synchronous", synchronous).map_err(sql)?;
        schema::migrate(&mut writer)?;

        let reader = connect(&path)?;
        // A guard: nothing writes through the read connection.
        reader.pragma_update(None, "query_only", true).map_err(sql)?;

        Ok(SqliteStore { writer: Mutex::new(writer), reader: Mutex::new(reader), path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (always [`SCHEMA_VERSION`] after `open`).
    pub fn schema_version(&self) -> Result<u32> {
        schema::version(&self.reader.lock())
    }

    /// Runs `f` on the read connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.reader.lock()).map_err(sql)
    }

    /// Runs `f` in one write transaction; any error rolls it all back.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock();
        // IMMEDIATE takes the write lock at BEGIN, so the transaction cannot fail halfway
        // with SQLITE_BUSY when upgrading from a read lock.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let value = f(&tx)?;
        tx.commit().map_err(sql)?;
        Ok(value)
    }
}

/// Opens one connection with the settings both connections share.
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| Error::Internal(format!("opening {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    // Room for every statement this file prepares, so none is ever re-parsed.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A SQLite failure: the store could not do its job.
pub(crate) fn sql(e: rusqlite::Error) -> Error {
    Error::Internal(format!("sqlite: {e}"))
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("encoding a record: {e}")))
}

/// Decodes a stored record; a row that does not decode is an error, never a panic.
fn decode<T: DeserializeOwned>(table: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| Error::Internal(format!("corrupt row in {table}: {e}")))
}

fn decode_all<T: DeserializeOwned>(table: &str, rows: Vec<String>) -> Result<Vec<T>> {
    rows.iter().map(|json| decode(table, json)).collect()
}

/// Event ids are `u64` in the engine and INTEGER (i64) in SQLite.
fn event_id(event: &HistoryEvent) -> Result<i64> {
    i64::try_from(event.id)
        .map_err(|_| Error::Internal(format!("event id {} out of range", event.id)))
}

const UPSERT_EXECUTION: &str = "
    INSERT INTO executions (arn, state_machine_arn, status, start_ms, stop_ms, record)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (arn) DO UPDATE SET
        state_machine_arn = excluded.state_machine_arn, status = excluded.status,
        start_ms = excluded.start_ms, stop_ms = excluded.stop_ms, record = excluded.record";
const INSERT_EVENT: &str = "INSERT INTO events (execution_arn, id, event) VALUES (?1, ?2, ?3)";
const PUT_SNAPSHOT: &str =
    "INSERT OR REPLACE INTO snapshots (execution_arn, bytes) VALUES (?1, ?2)";
const DELETE_SNAPSHOT: &str = "DELETE FROM snapshots WHERE execution_arn = ?1";

/// Reads a list of JSON records with `query` and `params`.
fn query_records(
    conn: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(query)?;
    let rows = stmt.query_map(params, |row| row.get::<_, String>(0))?;
    rows.collect()
}

impl Store for SqliteStore {
    fn put_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        let json = encode(&record)?;
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO state_machines (arn, name, creation_ms, record) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![record.arn, record.name, record.creation_ms, json]))
            .map_err(sql)?;
            Ok(())
        })
    }
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        let json = self.read(|conn| {
            conn.prepare_cached("SELECT record FROM state_machines WHERE arn = ?1")?
                .query_row([arn], |row| row.get::<_, String>(0))
                .optional()
        })?;
        json.map(|json| decode("state_machines", &json)).transpose()
    }
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        // By name, as the memory store (and AWS) list them.
        let rows = self.read(|conn| {
            query_records(conn, "SELECT record FROM state_machines ORDER BY name, arn", [])
        })?;
        decode_all("state_machines", rows)
    }
    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM state_machines WHERE arn = ?1", [arn]).map_err(sql)?;
            Ok(())
        })
    }

    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        let json = encode(&record)?;
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO activities (arn, name, creation_ms, record) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![record.arn, record.name, record.creation_ms, json]))
            .map_err(sql)?;
            Ok(())
        })
    }
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        let json = self.read(|conn| {
            conn.prepare_cached("SELECT record FROM activities WHERE arn = ?1")?
                .query_row([arn], |row| row.get::<_, String>(0))
                .optional()
        })?;
        json.map(|json| decode("activities", &json)).transpose()
    }
    fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        let rows = self.read(|conn| {
            query_records(conn, "SELECT record FROM activities ORDER BY creation_ms, name, arn", [])
        })?;
        decode_all("activities", rows)
    }
    fn delete_activity(&self, arn: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM activities WHERE arn = ?1", [arn]).map_err(sql)?;
            Ok(())
        })
    }

    /// One transaction for the whole batch, with cached statements; one fsync at COMMIT
    /// under [`Durability::Full`], however many rows. Applied in the memory store's order:
    /// rows, then snapshots, then events. A duplicate event id fails the whole batch
    /// (it would be an engine bug: history is append-only).
    fn commit(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Encode before taking the lock, so the writer is held only for SQLite's work.
        let executions = batch
            .executions
            .iter()
            .map(|record| Ok((record, encode(record)?)))
            .collect::<Result<Vec<_>>>()?;
        let events = batch
            .events
            .iter()
            .map(|(arn, event)| Ok((arn, event_id(event)?, encode(event)?)))
            .collect::<Result<Vec<_>>>()?;

        self.write(|tx| {
            let mut upsert = tx.prepare_cached(UPSERT_EXECUTION).map_err(sql)?;
            for (record, json) in &executions {
                upsert
                    .execute(params![
                        record.arn,
                        record.state_machine_arn,
                        record.status.as_str(),
                        record.start_ms,
                        record.stop_ms,
                        json
                    ])
                    .map_err(sql)?;
            }
            let mut put = tx.prepare_cached(PUT_SNAPSHOT).map_err(sql)?;
            let mut delete = tx.prepare_cached(DELETE_SNAPSHOT).map_err(sql)?;
            for (arn, snapshot) in &batch.snapshots {
                match snapshot {
                    Some(bytes) => put.execute(params![arn, bytes]),
                    None => delete.execute([arn]),
                }
                .map_err(sql)?;
            }
            let mut insert = tx.prepare_cached(INSERT_EVENT).map_err(sql)?;
            for (arn, id, json) in &events {
                insert.execute(params![arn, id, json]).map_err(sql)?;
            }
            Ok(())
        })
    }
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        let json = self.read(|conn| {
            conn.prepare_cached("SELECT record FROM executions WHERE arn = ?1")?
                .query_row([arn], |row| row.get::<_, String>(0))
                .optional()
        })?;
        json.map(|json| decode("executions", &json)).transpose()
    }
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>> {
        // Newest first; rowid DESC keeps start order among equal start times.
        // Both queries walk the (state_machine_arn, start_ms) index backwards.
        let rows = self.read(|conn| match status {
            None => query_records(
                conn,
                "SELECT record FROM executions WHERE state_machine_arn = ?1
                 ORDER BY start_ms DESC, rowid DESC",
                [state_machine_arn],
            ),
            Some(status) => query_records(
                conn,
                "SELECT record FROM executions WHERE state_machine_arn = ?1 AND status = ?2
                 ORDER BY start_ms DESC, rowid DESC",
                [state_machine_arn, status.as_str()],
            ),
        })?;
        decode_all("executions", rows)
    }
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        let rows = self.read(|conn| {
            query_records(
                conn,
                "SELECT event FROM events WHERE execution_arn = ?1 ORDER BY id",
                [arn],
            )
        })?;
        decode_all("events", rows)
    }

    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        let rows = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT e.record, s.bytes FROM snapshots s JOIN executions e ON e.arn = s.execution_arn",
            )?;
            let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(|(json, bytes)| Ok((decode("executions", &json)?, bytes))).collect()
    }
    fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([key], |row| row.get::<_, Vec<u8>>(0))
                .optional()
        })
    }
    fn put_setting(&self, key: &str, value: &[u8]) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(sql)?;
            Ok(())
        })
    }
    /// Rows, histories and any snapshot of the expired executions, in one transaction.
    fn remove_ended_before(&self, ended_before_ms: i64) -> Result<usize> {
        self.write(|tx| {
            const EXPIRED: &str = "SELECT arn FROM executions WHERE stop_ms < ?1";
            tx.execute(
                &format!("DELETE FROM events WHERE execution_arn IN ({EXPIRED})"),
                [ended_before_ms],
            )
            .map_err(sql)?;
            tx.execute(
                &format!("DELETE FROM snapshots WHERE execution_arn IN ({EXPIRED})"),
                [ended_before_ms],
            )
            .map_err(sql)?;
            tx.execute("DELETE FROM executions WHERE stop_ms < ?1", [ended_before_ms]).map_err(sql)
        })
    }
}
