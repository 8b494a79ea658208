//! [`Store`] on embedded SQLite: `--store sqlite`.
//!
//! One database file (`stepwise.db`) in a directory, in WAL mode. State machines and
//! activities are kept as JSON text (they derive serde in `stepwise_engine::model`), with
//! the columns queries filter or sort on copied beside them. Execution rows and histories,
//! written at every decision, are binary (`stepwise-store-codec`): an execution row references its
//! definition (stored once) and a decision's events are one `history` chunk, so a
//! ten-state execution costs two rows, not twenty-five.
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
mod batch;
use batch::Encoded;
mod cache;
mod checkpoint;
mod schema;
mod versioning;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cache::RowCache;
use checkpoint::Checkpointer;
use parking_lot::Mutex;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord, Versioning,
};
use stepwise_engine::store::{take_prepared, Batch, Edit, Prepared, Store};
use stepwise_engine::{Error, Result};
use stepwise_store_codec as codec;

pub use checkpoint::LIMIT_FRAMES as WAL_LIMIT_FRAMES;
pub use checkpoint::WAL_FRAMES_METRIC;
pub use schema::SCHEMA_VERSION;

/// How much of the database file the read connection maps. Mapped pages that reads touch
/// count in the process's RSS (as reclaimable page cache), so the map is capped: the hot
/// pages of a busy store are recent ones, and the rest is read with pread as before.
const READER_MMAP_BYTES: i64 = 64 << 20;

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
    writer: Arc<Mutex<Connection>>,
    /// Copies the WAL into the database file off the commit path (`checkpoint.rs`).
    checkpointer: Checkpointer,
    reader: Mutex<Connection>,
    path: PathBuf,
    /// Definition ids both ways, of committed `definitions` rows only.
    definitions: Mutex<Definitions>,
    state_machines: RowCache<StateMachineRecord>,
    activities: RowCache<ActivityRecord>,
    /// Versions and aliases, by machine (read at every start on a version or alias).
    versioning: RowCache<Versioning>,
    /// The executions written or read most recently.
    executions: RowCache<ExecutionRecord>,
}

/// How many rows of each kind [`SqliteStore`] keeps in memory. A few thousand recent
/// executions cover every client polling what it just started, for a few MiB.
const CACHED_STATE_MACHINES: usize = 1024;
const CACHED_ACTIVITIES: usize = 1024;
const CACHED_EXECUTIONS: usize = 4096;

/// A cache of the `definitions` table: a row's definition id without a query, and a
/// definition's text without a query. Bounded: a store that saw more definitions than
/// [`Definitions::CAPACITY`] starts the cache over.
#[derive(Default)]
struct Definitions {
    ids: HashMap<Arc<str>, i64>,
    texts: HashMap<i64, Arc<str>>,
}

impl Definitions {
    const CAPACITY: usize = 10_000;

    fn remember(&mut self, id: i64, text: Arc<str>) {
        if self.ids.len() >= Self::CAPACITY {
            self.ids.clear();
            self.texts.clear();
        }
        self.ids.insert(text.clone(), id);
        self.texts.insert(id, text);
    }
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
        // The checkpointer's thread copies the WAL into the database, not the commits
        // (but for the commit that takes the WAL to its limit: see `write`).
        writer.pragma_update(None, "wal_autocheckpoint", 0).map_err(sql)?;
        checkpoint::watch(&writer);
        let writer = Arc::new(Mutex::new(writer));
        let checkpoint_conn = connect(&path)?;
        checkpoint_conn.pragma_update(None, "synchronous", synchronous).map_err(sql)?;
        let checkpointer = Checkpointer::start(checkpoint_conn, writer.clone());

        let reader = connect(&path)?;
        // A guard: nothing writes through the read connection.
        reader.pragma_update(None, "query_only", true).map_err(sql)?;
        // Each commit of the writer empties this connection's page cache (WAL mode); with
        // the file mapped, pages come back by pointer instead of a pread copy each.
        reader.pragma_update(None, "mmap_size", READER_MMAP_BYTES).map_err(sql)?;

        Ok(SqliteStore {
            writer,
            checkpointer,
            reader: Mutex::new(reader),
            path,
            definitions: Mutex::new(Definitions::default()),
            state_machines: RowCache::new(CACHED_STATE_MACHINES),
            activities: RowCache::new(CACHED_ACTIVITIES),
            versioning: RowCache::new(CACHED_STATE_MACHINES),
            executions: RowCache::new(CACHED_EXECUTIONS),
        })
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

    /// The JSON record of `arn` in `table` (`state_machines` or `activities`), if any.
    fn read_record<T: DeserializeOwned>(&self, table: &str, arn: &str) -> Result<Option<T>> {
        let query = format!("SELECT record FROM {table} WHERE arn = ?1");
        let json = self.read(|conn| {
            conn.prepare_cached(&query)?.query_row([arn], |row| row.get::<_, String>(0)).optional()
        })?;
        json.map(|json| decode(table, &json)).transpose()
    }

    /// Reads execution rows selected by `query` (columns `record, definition_id`).
    fn read_executions(
        &self,
        query: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ExecutionRecord>> {
        let rows = self.read(|conn| {
            let mut stmt = conn.prepare_cached(query)?;
            let rows = stmt.query_map(params, StoredExecution::from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(|row| self.decode_execution(row)).collect()
    }

    /// An execution row as a record: v1's JSON text carries its definition; v2's blob
    /// references one.
    fn decode_execution(&self, row: StoredExecution) -> Result<ExecutionRecord> {
        match row {
            StoredExecution::Json(json) => decode("executions", &json),
            StoredExecution::Binary(bytes, definition_id) => {
                let definition = self.definition(definition_id)?;
                codec::decode_execution(&bytes, definition)
            }
        }
    }

    /// A definition's text by id, from the cache or the table.
    fn definition(&self, id: Option<i64>) -> Result<Arc<str>> {
        let id = id
            .ok_or_else(|| Error::Internal("corrupt row in executions: no definition_id".into()))?;
        if let Some(text) = self.definitions.lock().texts.get(&id) {
            return Ok(text.clone());
        }
        let text: Option<String> = self.read(|conn| {
            conn.prepare_cached("SELECT text FROM definitions WHERE id = ?1")?
                .query_row([id], |row| row.get(0))
                .optional()
        })?;
        let text: Arc<str> = text
            .ok_or_else(|| {
                Error::Internal(format!("corrupt row in executions: no definition {id}"))
            })?
            .into();
        self.definitions.lock().remember(id, text.clone());
        Ok(text)
    }

    /// The id of `text` in `definitions`, inserting it if new. New ids join `fresh`, to be
    /// cached once the transaction commits (a rolled-back id must never be cached).
    fn definition_id(
        &self,
        tx: &rusqlite::Transaction<'_>,
        text: &Arc<str>,
        fresh: &mut Vec<(i64, Arc<str>)>,
    ) -> Result<i64> {
        if let Some(id) = self.definitions.lock().ids.get(text) {
            return Ok(*id);
        }
        if let Some((id, _)) = fresh.iter().find(|(_, t)| t == text) {
            return Ok(*id);
        }
        let id = tx
            .prepare_cached("SELECT id FROM definitions WHERE text = ?1")
            .and_then(|mut stmt| stmt.query_row([&**text], |row| row.get(0)).optional())
            .map_err(sql)?;
        let id = match id {
            Some(id) => id,
            None => {
                tx.prepare_cached("INSERT INTO definitions (text) VALUES (?1)")
                    .and_then(|mut stmt| stmt.execute([&**text]))
                    .map_err(sql)?;
                tx.last_insert_rowid()
            }
        };
        fresh.push((id, text.clone()));
        Ok(id)
    }

    /// Runs `f` in one write transaction; any error rolls it all back.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_then(f, |_| {})
    }

    /// [`SqliteStore::write`], then `committed` once the transaction has committed, still
    /// holding the writer: the cache then sees record writes in commit order (two writers
    /// updating it after releasing the writer could leave the older row cached).
    fn write_then<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
        committed: impl FnOnce(&T),
    ) -> Result<T> {
        let mut conn = self.writer.lock();
        // IMMEDIATE takes the write lock at BEGIN, so the transaction cannot fail halfway
        // with SQLITE_BUSY when upgrading from a read lock. It also makes a read followed by a
        // write in `f` atomic against every other connection, in this process or another.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let value = f(&tx)?;
        let frames = checkpoint::commit(tx).map_err(sql)?;
        committed(&value);
        // At the WAL's limit, this checkpoints before the writer's lock is released.
        self.checkpointer.committed(&conn, frames);
        Ok(value)
    }

    /// One [`Edit`] of the JSON record `arn` in `table` (`state_machines` or `activities`):
    /// the row is read and written in one IMMEDIATE transaction on the writer connection.
    /// The read skips `cache`, which may lag behind a write that has just committed.
    fn edit_record<T: Record>(
        &self,
        table: &str,
        arn: &str,
        edit: Edit<'_, T>,
        cache: &RowCache<T>,
    ) -> Result<Option<T>> {
        let select = format!("SELECT record FROM {table} WHERE arn = ?1");
        let upsert = format!(
            "INSERT OR REPLACE INTO {table} (arn, name, creation_ms, record) VALUES (?1, ?2, ?3, ?4)"
        );
        let (row, written) = self.write_then(
            |tx| {
                let json: Option<String> = tx
                    .prepare_cached(&select)
                    .and_then(|mut stmt| stmt.query_row([arn], |row| row.get(0)).optional())
                    .map_err(sql)?;
                let current: Option<T> = json.map(|json| decode(table, &json)).transpose()?;
                let Some(row) = edit(current.as_ref())? else { return Ok((current, false)) };
                let (row_arn, name, creation_ms) = row.columns();
                if row_arn != arn {
                    return Err(Error::Internal(format!("an edit of {arn} returned {row_arn}")));
                }
                let json = encode(&row)?;
                tx.prepare_cached(&upsert)
                    .and_then(|mut stmt| stmt.execute(params![arn, name, creation_ms, json]))
                    .map_err(sql)?;
                Ok((Some(row), true))
            },
            |(row, written)| {
                if let (Some(row), true) = (row, written) {
                    cache.put(arn, row.clone());
                }
            },
        )?;
        debug_assert!(!written || row.is_some(), "a write leaves a row");
        Ok(row)
    }
}

/// A record kept as JSON text beside the columns `arn, name, creation_ms` (state machines and
/// activities).
trait Record: Serialize + DeserializeOwned + Clone {
    /// The values of the columns `arn, name, creation_ms`.
    fn columns(&self) -> (&str, &str, i64);
}

impl Record for StateMachineRecord {
    fn columns(&self) -> (&str, &str, i64) {
        (&self.arn, &self.name, self.creation_ms)
    }
}

impl Record for ActivityRecord {
    fn columns(&self) -> (&str, &str, i64) {
        (&self.arn, &self.name, self.creation_ms)
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

/// An execution row as stored: v1 JSON text, or a v2 blob and its definition's id.
enum StoredExecution {
    Json(String),
    Binary(Vec<u8>, Option<i64>),
}

impl StoredExecution {
    /// From a row whose first two columns are `record, definition_id`.
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(match row.get_ref(0)? {
            ValueRef::Blob(bytes) => StoredExecution::Binary(bytes.to_vec(), row.get(1)?),
            _ => StoredExecution::Json(row.get(0)?),
        })
    }
}

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
        self.write_then(
            |tx| {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO state_machines (arn, name, creation_ms, record) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut stmt| stmt.execute(params![record.arn, record.name, record.creation_ms, json]))
                .map_err(sql)?;
                Ok(())
            },
            |()| self.state_machines.put(&record.arn, record.clone()),
        )
    }
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        self.state_machines.get_or_load(arn, || self.read_record("state_machines", arn))
    }
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        // By name, as the memory store (and AWS) list them.
        let rows = self.read(|conn| {
            query_records(conn, "SELECT record FROM state_machines ORDER BY name, arn", [])
        })?;
        decode_all("state_machines", rows)
    }
    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        self.write_then(
            |tx| {
                tx.execute("DELETE FROM state_machines WHERE arn = ?1", [arn]).map_err(sql)?;
                tx.execute("DELETE FROM versioning WHERE arn = ?1", [arn]).map_err(sql)?;
                Ok(())
            },
            |()| {
                self.state_machines.remove(arn);
                self.versioning.remove(arn);
            },
        )
    }
    fn get_versioning(&self, machine_arn: &str) -> Result<Option<Versioning>> {
        self.versioning.get_or_load(machine_arn, || self.read_record("versioning", machine_arn))
    }
    fn update_versioning(
        &self,
        machine_arn: &str,
        edit: Edit<'_, Versioning>,
    ) -> Result<Option<Versioning>> {
        self.edit_record("versioning", machine_arn, edit, &self.versioning)
    }
    fn update_state_machine(
        &self,
        arn: &str,
        edit: Edit<'_, StateMachineRecord>,
    ) -> Result<Option<StateMachineRecord>> {
        self.edit_record("state_machines", arn, edit, &self.state_machines)
    }

    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        let json = encode(&record)?;
        self.write_then(
            |tx| {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO activities (arn, name, creation_ms, record) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut stmt| stmt.execute(params![record.arn, record.name, record.creation_ms, json]))
                .map_err(sql)?;
                Ok(())
            },
            |()| self.activities.put(&record.arn, record.clone()),
        )
    }
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        self.activities.get_or_load(arn, || self.read_record("activities", arn))
    }
    fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        let rows = self.read(|conn| {
            query_records(conn, "SELECT record FROM activities ORDER BY creation_ms, name, arn", [])
        })?;
        decode_all("activities", rows)
    }
    fn delete_activity(&self, arn: &str) -> Result<()> {
        self.write_then(
            |tx| {
                tx.execute("DELETE FROM activities WHERE arn = ?1", [arn]).map_err(sql)?;
                Ok(())
            },
            |()| self.activities.remove(arn),
        )
    }
    fn update_activity(
        &self,
        arn: &str,
        edit: Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>> {
        self.edit_record("activities", arn, edit, &self.activities)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        self.commit_prepared(vec![self.prepare(batch)?])
    }

    /// Encodes the rows (bincode, LZ4) so that the writer is held only for SQLite's work.
    fn prepare(&self, batch: Batch) -> Result<Prepared> {
        Ok(Box::new(Encoded::new(batch)?))
    }

    /// One transaction for all the batches, with cached statements; one fsync at COMMIT
    /// under [`Durability::Full`], however many rows. Applied in the memory store's order:
    /// rows, then snapshots, then events. Each run of consecutive events of one execution
    /// is one chunk, which must continue that execution's history: a duplicate or missing
    /// event id fails the whole commit (it would be an engine bug: history is append-only).
    fn commit_prepared(&self, batches: Vec<Prepared>) -> Result<()> {
        let batches = take_prepared::<Encoded>(batches)?;
        if batches.iter().all(|batch| batch.is_empty()) {
            return Ok(());
        }
        let mut fresh = Vec::new();
        self.write(|tx| {
            for batch in &batches {
                self.write_encoded(tx, batch, &mut fresh)?;
            }
            Ok(())
        })?;
        let mut definitions = self.definitions.lock();
        for (id, text) in fresh {
            definitions.remember(id, text);
        }
        drop(definitions);
        for batch in batches {
            for (record, _) in batch.executions {
                self.executions.put(&record.arn.clone(), record);
            }
        }
        Ok(())
    }
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        self.executions.get_or_load(arn, || {
            let row = self.read(|conn| {
                conn.prepare_cached("SELECT record, definition_id FROM executions WHERE arn = ?1")?
                    .query_row([arn], StoredExecution::from_row)
                    .optional()
            })?;
            row.map(|row| self.decode_execution(row)).transpose()
        })
    }
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>> {
        // Newest first; rowid DESC keeps start order among equal start times.
        // Both queries walk the (state_machine_arn, start_ms) index backwards.
        match status {
            None => self.read_executions(
                "SELECT record, definition_id FROM executions WHERE state_machine_arn = ?1
                 ORDER BY start_ms DESC, rowid DESC",
                [state_machine_arn],
            ),
            Some(status) => self.read_executions(
                "SELECT record, definition_id FROM executions
                 WHERE state_machine_arn = ?1 AND status = ?2
                 ORDER BY start_ms DESC, rowid DESC",
                [state_machine_arn, status.as_str()],
            ),
        }
    }
    /// The page's rows only: the index is walked past `offset` without decoding anything.
    fn list_executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ExecutionRecord>, bool)> {
        // One more than asked says whether more follow. SQLite reads a negative LIMIT as "no
        // limit" and a negative OFFSET as zero, so the casts saturate instead of wrapping.
        let clamp = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let (take, skip) = (clamp(limit.saturating_add(1)), clamp(offset));
        let mut rows = match status {
            None => self.read_executions(
                "SELECT record, definition_id FROM executions WHERE state_machine_arn = ?1
                 ORDER BY start_ms DESC, rowid DESC LIMIT ?2 OFFSET ?3",
                params![state_machine_arn, take, skip],
            )?,
            Some(status) => self.read_executions(
                "SELECT record, definition_id FROM executions
                 WHERE state_machine_arn = ?1 AND status = ?2
                 ORDER BY start_ms DESC, rowid DESC LIMIT ?3 OFFSET ?4",
                params![state_machine_arn, status.as_str(), take, skip],
            )?,
        };
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }
    /// v1's event rows (an execution that was running when the store was upgraded), then
    /// the chunks, in id order.
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        let (legacy, chunks) = self.read(|conn| {
            let legacy = query_records(
                conn,
                "SELECT event FROM events WHERE execution_arn = ?1 ORDER BY id",
                [arn],
            )?;
            let mut stmt = conn.prepare_cached(
                "SELECT events FROM history WHERE execution_arn = ?1 ORDER BY first_id",
            )?;
            let chunks = stmt
                .query_map([arn], |row| row.get::<_, Vec<u8>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((legacy, chunks))
        })?;
        let mut events: Vec<HistoryEvent> = decode_all("events", legacy)?;
        for chunk in chunks {
            events.extend(codec::decode_events(&chunk)?);
        }
        Ok(events)
    }

    fn snapshot(&self, arn: &str) -> Result<Option<Vec<u8>>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT bytes FROM snapshots WHERE execution_arn = ?1")?
                .query_row([arn], |row| row.get(0))
                .optional()
        })
    }
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        let rows = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT e.record, e.definition_id, s.bytes
                 FROM snapshots s JOIN executions e ON e.arn = s.execution_arn
                 WHERE e.status = 'RUNNING'",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((StoredExecution::from_row(row)?, row.get::<_, Vec<u8>>(2)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(|(row, bytes)| Ok((self.decode_execution(row)?, bytes))).collect()
    }
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        let rows = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT grp, idx, bytes FROM snapshot_parts WHERE execution_arn = ?1
                 ORDER BY grp, idx",
            )?;
            let rows = stmt.query_map([arn], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, Vec<u8>>(2)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        // Keys were written from u64 values (see `batch::part_key`), so they are not negative.
        Ok(rows
            .into_iter()
            .map(|(group, index, bytes)| (group as u64, index as u64, bytes))
            .collect())
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
            for table in ["events", "history", "snapshots", "snapshot_parts"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE execution_arn IN ({EXPIRED})"),
                    [ended_before_ms],
                )
                .map_err(sql)?;
            }
            tx.execute("DELETE FROM executions WHERE stop_ms < ?1", [ended_before_ms]).map_err(sql)
        })
        .inspect(|_| self.executions.clear())
    }
}
