//! The JSON records (state machines, activities, versioning) and their atomic edits.
//!
//! An [`Edit`] is a closure of the caller's, neither `Send` nor `'static`, so it runs on
//! the calling thread, not on a connection's: the edit reads the row and its `revision`,
//! runs the closure, and writes only if the revision is still the one it read (an
//! `UPDATE … WHERE revision = $read`, or an `INSERT … ON CONFLICT DO NOTHING` where there
//! was no row). A write that finds another in between writes nothing, and the edit runs
//! again on the newer row, which the `Edit` contract allows. This is atomic in the
//! database, so it holds between nodes too, and no transaction stays open while the
//! closure runs.
use serde::de::DeserializeOwned;
use serde::Serialize;
use stepwise_engine::model::{ActivityRecord, StateMachineRecord, Versioning};
use stepwise_engine::store::Edit;
use stepwise_engine::{Error, Result};

use crate::pool::{pg, Pool};

/// A record kept as JSON text beside the columns `arn, name, creation_ms`.
pub(crate) trait Record: Serialize + DeserializeOwned + Clone {
    /// The SQL of its table.
    const SQL: &'static TableSql;
    /// The values of the columns `arn, name, creation_ms`.
    fn columns(&self) -> (&str, &str, i64);
}

/// The statements on one record table.
pub(crate) struct TableSql {
    pub(crate) table: &'static str,
    /// `record, revision` of one row.
    pub(crate) select: &'static str,
    /// Writes a row unconditionally (a `put`).
    pub(crate) upsert: &'static str,
    /// Inserts a row if there is none.
    insert_new: &'static str,
    /// Updates a row if its revision is still `$5`.
    update_if: &'static str,
}

macro_rules! table_sql {
    ($table:literal) => {
        TableSql {
            table: $table,
            select: concat!("SELECT record, revision FROM ", $table, " WHERE arn = $1"),
            upsert: concat!(
                "INSERT INTO ",
                $table,
                " AS t (arn, name, creation_ms, record) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (arn) DO UPDATE SET name = excluded.name,
                     creation_ms = excluded.creation_ms, record = excluded.record,
                     revision = t.revision + 1"
            ),
            insert_new: concat!(
                "INSERT INTO ",
                $table,
                " (arn, name, creation_ms, record) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (arn) DO NOTHING"
            ),
            update_if: concat!(
                "UPDATE ",
                $table,
                " SET name = $2, creation_ms = $3, record = $4, revision = revision + 1
                 WHERE arn = $1 AND revision = $5"
            ),
        }
    };
}

const STATE_MACHINES: TableSql = table_sql!("state_machines");
const ACTIVITIES: TableSql = table_sql!("activities");
const VERSIONING: TableSql = table_sql!("versioning");

impl Record for StateMachineRecord {
    const SQL: &'static TableSql = &STATE_MACHINES;
    fn columns(&self) -> (&str, &str, i64) {
        (&self.arn, &self.name, self.creation_ms)
    }
}

impl Record for ActivityRecord {
    const SQL: &'static TableSql = &ACTIVITIES;
    fn columns(&self) -> (&str, &str, i64) {
        (&self.arn, &self.name, self.creation_ms)
    }
}

impl Record for Versioning {
    const SQL: &'static TableSql = &VERSIONING;
    /// Keyed by the machine's ARN; the table's `name` and `creation_ms` are not used.
    fn columns(&self) -> (&str, &str, i64) {
        (&self.machine_arn, "", 0)
    }
}

/// How many times an edit may find another write in between before it gives up. Each lost
/// race means another edit of the same row committed, so this bounds nothing but a storm.
const MAX_ATTEMPTS: usize = 10_000;

/// The row `arn` of `T`'s table and its revision.
pub(crate) fn read<T: Record>(pool: &Pool, arn: &str) -> Result<Option<(T, i64)>> {
    let arn = arn.to_owned();
    let row = pool.run(move |conn| {
        let statement = conn.statement(T::SQL.select)?;
        let row = conn.client.query_opt(&statement, &[&arn]).map_err(pg)?;
        Ok(row.map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1))))
    })?;
    row.map(|(json, revision)| Ok((decode(T::SQL.table, &json)?, revision))).transpose()
}

/// Writes `record` whatever is stored.
pub(crate) fn put<T: Record>(pool: &Pool, record: &T) -> Result<()> {
    let (arn, name, creation_ms) = record.columns();
    let (arn, name, json) = (arn.to_owned(), name.to_owned(), encode(record)?);
    pool.run(move |conn| {
        let statement = conn.statement(T::SQL.upsert)?;
        conn.client.execute(&statement, &[&arn, &name, &creation_ms, &json]).map_err(pg)?;
        Ok(())
    })
}

/// One [`Edit`] of the row `arn` (see the module's docs).
pub(crate) fn edit<T: Record>(pool: &Pool, arn: &str, edit: Edit<'_, T>) -> Result<Option<T>> {
    for _ in 0..MAX_ATTEMPTS {
        let current = read::<T>(pool, arn)?;
        let (row, revision) = match current {
            Some((row, revision)) => (Some(row), Some(revision)),
            None => (None, None),
        };
        let Some(new) = edit(row.as_ref())? else { return Ok(row) };
        let (row_arn, name, creation_ms) = new.columns();
        if row_arn != arn {
            return Err(Error::Internal(format!("an edit of {arn} returned {row_arn}")));
        }
        let (arn_owned, name, json) = (arn.to_owned(), name.to_owned(), encode(&new)?);
        let written = pool.run(move |conn| {
            let params: [&(dyn postgres::types::ToSql + Sync); 4] =
                [&arn_owned, &name, &creation_ms, &json];
            match revision {
                Some(revision) => {
                    let statement = conn.statement(T::SQL.update_if)?;
                    let mut all = params.to_vec();
                    all.push(&revision);
                    conn.client.execute(&statement, &all).map_err(pg)
                }
                None => {
                    let statement = conn.statement(T::SQL.insert_new)?;
                    conn.client.execute(&statement, &params).map_err(pg)
                }
            }
        })?;
        if written == 1 {
            return Ok(Some(new));
        }
    }
    Err(Error::Internal(format!("{arn}: the edit lost {MAX_ATTEMPTS} races in a row")))
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("encoding a record: {e}")))
}

/// Decodes a stored record; a row that does not decode is an error, never a panic.
pub(crate) fn decode<T: DeserializeOwned>(table: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| Error::Internal(format!("corrupt row in {table}: {e}")))
}
