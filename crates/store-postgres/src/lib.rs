//! [`Store`] on PostgreSQL: `--store postgres --database-url postgres://…`.
//!
//! The same rows as the SQLite store, in a database that several processes can reach:
//! state machines, activities and versioning records as JSON text (edited atomically with a
//! revision check, `edit.rs`), execution rows and history chunks in the binary formats of
//! `stepwise-store-codec` (`bytea`), snapshots and their parts as the engine's bytes.
//!
//! # Connections
//! Every call runs on a connection thread of a small pool (`pool.rs`), so a caller on a
//! tokio worker never drives a connection itself. The group commit has a connection of its
//! own (`writer`), so a commit never waits behind reads; everything else shares `readers`.
//!
//! # Group commit
//! [`Store::prepare`] encodes a batch's rows on the engine's committer thread;
//! [`Store::commit_prepared`] reduces the group to its net effect (`group.rs`) and applies
//! it with one call of the SQL function `stepwise_commit`: one statement, so one round trip
//! and one transaction (and one WAL flush) for any number of decisions.
//!
//! # Caching
//! Only definitions are cached (by their SHA-256, which never changes what it names): the
//! other rows may be changed by another process sharing the database, so they are read
//! from it each time.
mod edit;
mod group;
mod pool;
mod schema;
#[cfg(feature = "test-util")]
pub mod testing;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use edit::Record;
use group::{DefinitionHash, Encoded, Group};
use parking_lot::Mutex;
use pool::{pg, Pool};
use postgres::Config;
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord, Versioning,
};
use stepwise_engine::store::{take_prepared, Batch, Edit, Prepared, Store};
use stepwise_engine::{Error, Result};
use stepwise_store_codec as codec;

pub use schema::SCHEMA_VERSION;

/// How a [`PostgresStore`] connects.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connections for reads and record edits (the group commit has one more of its own).
    pub readers: usize,
    /// Refuse a database another open store already uses. Several nodes on one database
    /// need execution ownership (leases, fencing: `docs/postgres-multinode.md`), which is
    /// not built yet; without it two servers would advance the same executions. Only
    /// tests of the store's own record edits open two stores on one database.
    pub exclusive: bool,
}

impl Default for Options {
    fn default() -> Self {
        // The engine's parallel readers: API handlers on the tokio workers, four deciders.
        Options { readers: 4, exclusive: true }
    }
}

/// The store: see the crate docs.
pub struct PostgresStore {
    writer: Pool,
    readers: Pool,
    /// Definition texts by hash: those read, and those this store has committed.
    definitions: Mutex<HashMap<DefinitionHash, Arc<str>>>,
    /// The database, without its password, for messages.
    target: String,
}

/// How many definitions [`PostgresStore`] keeps in memory before it starts over.
const CACHED_DEFINITIONS: usize = 10_000;

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, or
    /// libpq's `key=value` form) and migrates its schema to [`SCHEMA_VERSION`]. Fails on a
    /// database written by a newer schema version, or one it cannot reach.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_with(url, Options::default())
    }

    /// [`PostgresStore::open`] with `options`.
    pub fn open_with(url: &str, options: Options) -> Result<Self> {
        let mut config: Config =
            url.parse().map_err(|e| Error::Internal(format!("postgres: the database URL: {e}")))?;
        config.application_name("stepwise");
        let target = describe(&config);
        let writer = Pool::start("stepwise-pg-writer", 1, &config)?;
        writer
            .run(|conn| schema::migrate(&mut conn.client))
            .map_err(|e| Error::Internal(format!("opening {target}: {e}")))?;
        if options.exclusive {
            // A session lock on the group commit's connection: held while this store is
            // open, released by PostgreSQL when the connection closes (a killed server's
            // too). If that connection is lost and made again, the lock is not retaken.
            let held = writer.run(|conn| {
                let row = conn
                    .client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&schema::NODE_LOCK])
                    .map_err(pg)?;
                Ok(row.get::<_, bool>(0))
            })?;
            if !held {
                return Err(Error::Internal(format!(
                    "{target} is already used by another Stepwise server; several nodes on \
                     one database are not supported yet"
                )));
            }
        }
        let readers = Pool::start("stepwise-pg", options.readers, &config)?;
        Ok(PostgresStore { writer, readers, definitions: Mutex::new(HashMap::new()), target })
    }

    /// The schema version of the database (always [`SCHEMA_VERSION`] after `open`).
    pub fn schema_version(&self) -> Result<i32> {
        self.readers.run(|conn| schema::version(&mut conn.client))
    }

    /// Runs one statement on a reader and returns its rows.
    fn query(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn postgres::types::ToSql + Send + Sync>>,
    ) -> Result<Vec<postgres::Row>> {
        self.readers.run(move |conn| {
            let statement = conn.statement(sql)?;
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| &**p as &(dyn postgres::types::ToSql + Sync)).collect();
            conn.client.query(&statement, &params).map_err(pg)
        })
    }

    /// Execution rows from rows whose first two columns are `record, definition`.
    fn executions(&self, rows: Vec<postgres::Row>) -> Result<Vec<ExecutionRecord>> {
        let rows: Vec<(Vec<u8>, Vec<u8>)> =
            rows.into_iter().map(|row| (row.get(0), row.get(1))).collect();
        let hashes: Vec<DefinitionHash> =
            rows.iter().map(|(_, hash)| hash_of(hash)).collect::<Result<_>>()?;
        let texts = self.definitions_of(&hashes)?;
        rows.iter()
            .zip(hashes)
            .map(|((bytes, _), hash)| codec::decode_execution(bytes, texts[&hash].clone()))
            .collect()
    }

    /// The texts of the definitions `hashes`, from the cache or in one query.
    fn definitions_of(
        &self,
        hashes: &[DefinitionHash],
    ) -> Result<HashMap<DefinitionHash, Arc<str>>> {
        let mut found = HashMap::new();
        let mut missing = HashSet::new();
        {
            let cache = self.definitions.lock();
            for hash in hashes {
                match cache.get(hash) {
                    Some(text) => {
                        found.insert(*hash, text.clone());
                    }
                    None => {
                        missing.insert(hash.to_vec());
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let missing: Vec<Vec<u8>> = missing.into_iter().collect();
        let rows = self.query(
            "SELECT hash, text FROM definitions WHERE hash = ANY ($1)",
            vec![Box::new(missing.clone())],
        )?;
        let mut cache = self.definitions.lock();
        for row in rows {
            let hash = hash_of(row.get::<_, &[u8]>(0))?;
            let text: Arc<str> = row.get::<_, String>(1).into();
            remember(&mut cache, hash, text.clone());
            found.insert(hash, text);
        }
        drop(cache);
        for hash in &missing {
            if !found.contains_key(&hash_of(hash)?) {
                return Err(Error::Internal(format!(
                    "corrupt row in executions: no definition {}",
                    hex(hash)
                )));
            }
        }
        Ok(found)
    }
}

/// Caches a definition, starting over when the cache is full.
fn remember(cache: &mut HashMap<DefinitionHash, Arc<str>>, hash: DefinitionHash, text: Arc<str>) {
    if cache.len() >= CACHED_DEFINITIONS {
        cache.clear();
    }
    cache.insert(hash, text);
}

/// A stored definition hash.
fn hash_of(bytes: &[u8]) -> Result<DefinitionHash> {
    bytes.try_into().map_err(|_| Error::Internal(format!("corrupt definition hash {}", hex(bytes))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `host:port/db` of a configuration, for messages (never its password).
fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("postgres {host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

/// Page bounds as `bigint`s (saturating: a huge offset reads nothing, as it should).
fn clamp(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

const SELECT_EXECUTION: &str = "SELECT record, definition FROM executions WHERE arn = $1";
const LIST_EXECUTIONS: &str = "SELECT record, definition FROM executions
    WHERE state_machine_arn = $1 AND ($2::text IS NULL OR status = $2)
    ORDER BY start_ms DESC, seq DESC LIMIT $3 OFFSET $4";
const COMMIT: &str = "SELECT stepwise_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
    $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)";

impl Store for PostgresStore {
    fn put_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        edit::put(&self.readers, &record)
    }
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        Ok(edit::read(&self.readers, arn)?.map(|(row, _)| row))
    }
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        // By name, bytewise (as SQLite and the memory store), whatever the database's locale.
        let rows = self.query(
            r#"SELECT record FROM state_machines ORDER BY name COLLATE "C", arn COLLATE "C""#,
            vec![],
        )?;
        rows.iter().map(|row| edit::decode(StateMachineRecord::SQL.table, row.get(0))).collect()
    }
    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        // One statement, so one atomic write: the machine and its versions and aliases.
        self.query(
            "WITH machine AS (DELETE FROM state_machines WHERE arn = $1)
             DELETE FROM versioning WHERE arn = $1",
            vec![Box::new(arn.to_owned())],
        )?;
        Ok(())
    }
    fn update_state_machine(
        &self,
        arn: &str,
        edit: Edit<'_, StateMachineRecord>,
    ) -> Result<Option<StateMachineRecord>> {
        edit::edit(&self.readers, arn, edit)
    }

    fn get_versioning(&self, machine_arn: &str) -> Result<Option<Versioning>> {
        Ok(edit::read(&self.readers, machine_arn)?.map(|(row, _)| row))
    }
    fn update_versioning(
        &self,
        machine_arn: &str,
        edit: Edit<'_, Versioning>,
    ) -> Result<Option<Versioning>> {
        edit::edit(&self.readers, machine_arn, edit)
    }

    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        edit::put(&self.readers, &record)
    }
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        Ok(edit::read(&self.readers, arn)?.map(|(row, _)| row))
    }
    fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        let rows = self.query(
            r#"SELECT record FROM activities
               ORDER BY creation_ms, name COLLATE "C", arn COLLATE "C""#,
            vec![],
        )?;
        rows.iter().map(|row| edit::decode(ActivityRecord::SQL.table, row.get(0))).collect()
    }
    fn delete_activity(&self, arn: &str) -> Result<()> {
        self.query("DELETE FROM activities WHERE arn = $1", vec![Box::new(arn.to_owned())])?;
        Ok(())
    }
    fn update_activity(
        &self,
        arn: &str,
        edit: Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>> {
        edit::edit(&self.readers, arn, edit)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        self.commit_prepared(vec![self.prepare(batch)?])
    }

    /// Encodes the rows (bincode, LZ4) on the committer's thread.
    fn prepare(&self, batch: Batch) -> Result<Prepared> {
        Ok(Box::new(Encoded::new(batch)?))
    }

    /// One `stepwise_commit` call for all the batches (see the crate docs).
    fn commit_prepared(&self, batches: Vec<Prepared>) -> Result<()> {
        let batches = take_prepared::<Encoded>(batches)?;
        if batches.iter().all(Encoded::is_empty) {
            return Ok(());
        }
        let group = {
            let known = self.definitions.lock();
            let group = Group::new(batches, |hash| known.contains_key(hash));
            drop(known);
            group?
        };
        let fresh = self.writer.run(move |conn| {
            let statement = conn.statement(COMMIT)?;
            let g = &group;
            conn.client
                .execute(
                    &statement,
                    &[
                        &g.d_hash,
                        &g.d_text,
                        &g.e_arn,
                        &g.e_machine,
                        &g.e_status,
                        &g.e_start,
                        &g.e_stop,
                        &g.e_definition,
                        &g.e_record,
                        &g.wipe_arn,
                        &g.dg_arn,
                        &g.dg_grp,
                        &g.pp_arn,
                        &g.pp_grp,
                        &g.pp_idx,
                        &g.pp_bytes,
                        &g.sd_arn,
                        &g.sp_arn,
                        &g.sp_bytes,
                        &g.h_arn,
                        &g.h_first,
                        &g.h_last,
                        &g.h_events,
                    ],
                )
                .map_err(pg)?;
            Ok(group.fresh_definitions)
        })?;
        let mut cache = self.definitions.lock();
        for (hash, text) in fresh {
            remember(&mut cache, hash, text);
        }
        Ok(())
    }
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        let rows = self.query(SELECT_EXECUTION, vec![Box::new(arn.to_owned())])?;
        Ok(self.executions(rows)?.pop())
    }
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>> {
        Ok(self.list_executions_page(state_machine_arn, status, 0, usize::MAX)?.0)
    }
    /// The page's rows only: the index is walked past `offset` without decoding anything.
    fn list_executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ExecutionRecord>, bool)> {
        // One more than asked says whether more follow.
        let rows = self.query(
            LIST_EXECUTIONS,
            vec![
                Box::new(state_machine_arn.to_owned()),
                Box::new(status.map(|s| s.as_str().to_owned())),
                Box::new(clamp(limit.saturating_add(1))),
                Box::new(clamp(offset)),
            ],
        )?;
        let mut records = self.executions(rows)?;
        let more = records.len() > limit;
        records.truncate(limit);
        Ok((records, more))
    }
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        let rows = self.query(
            "SELECT events FROM history WHERE execution_arn = $1 ORDER BY first_id",
            vec![Box::new(arn.to_owned())],
        )?;
        let mut events = Vec::new();
        for row in rows {
            events.extend(codec::decode_events(row.get::<_, &[u8]>(0))?);
        }
        Ok(events)
    }

    fn snapshot(&self, arn: &str) -> Result<Option<Vec<u8>>> {
        let rows = self.query(
            "SELECT bytes FROM snapshots WHERE execution_arn = $1",
            vec![Box::new(arn.to_owned())],
        )?;
        Ok(rows.into_iter().next().map(|row| row.get(0)))
    }
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        let rows = self.query(
            "SELECT e.record, e.definition, s.bytes
             FROM snapshots s JOIN executions e ON e.arn = s.execution_arn
             WHERE e.status = 'RUNNING'",
            vec![],
        )?;
        let snapshots: Vec<Vec<u8>> = rows.iter().map(|row| row.get(2)).collect();
        Ok(self.executions(rows)?.into_iter().zip(snapshots).collect())
    }
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        let rows = self.query(
            "SELECT grp, idx, bytes FROM snapshot_parts WHERE execution_arn = $1
             ORDER BY grp, idx",
            vec![Box::new(arn.to_owned())],
        )?;
        // Keys were written from u64 values (`group.rs`), so they are not negative.
        Ok(rows
            .into_iter()
            .map(|row| (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64, row.get(2)))
            .collect())
    }
    fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let rows = self
            .query("SELECT value FROM settings WHERE key = $1", vec![Box::new(key.to_owned())])?;
        Ok(rows.into_iter().next().map(|row| row.get(0)))
    }
    fn put_setting(&self, key: &str, value: &[u8]) -> Result<()> {
        self.query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![Box::new(key.to_owned()), Box::new(value.to_vec())],
        )?;
        Ok(())
    }
    /// Rows, histories and any snapshot of the expired executions, in one statement.
    fn remove_ended_before(&self, ended_before_ms: i64) -> Result<usize> {
        let rows = self.query(
            "WITH gone AS (DELETE FROM executions WHERE stop_ms < $1 RETURNING arn),
                  h AS (DELETE FROM history WHERE execution_arn IN (SELECT arn FROM gone)),
                  s AS (DELETE FROM snapshots WHERE execution_arn IN (SELECT arn FROM gone)),
                  p AS (DELETE FROM snapshot_parts
                        WHERE execution_arn IN (SELECT arn FROM gone))
             SELECT count(*) FROM gone",
            vec![Box::new(ended_before_ms)],
        )?;
        let count: i64 = rows.first().map_or(0, |row| row.get(0));
        Ok(usize::try_from(count).unwrap_or(0))
    }
}
