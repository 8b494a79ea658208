//! The schema and its migrations.
//!
//! The version lives in SQLite's `user_version` pragma (a field of the file header,
//! written in the same transaction as the migration, so a crash leaves either the old
//! schema and version or the new ones). A new database has version 0.
//!
//! To change the schema, append a migration to [`MIGRATIONS`]; never edit a released one
//! (databases in the field already ran it). `tests/migrations.rs` opens a frozen v1 file.
use rusqlite::{Connection, TransactionBehavior};
use stepwise_engine::{Error, Result};

use crate::sql;

/// `MIGRATIONS[i]` takes a database from version `i` to version `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this build writes (and the newest it can open).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// v1: records as JSON text, with the columns that queries filter or sort on beside them.
const V1: &str = "
CREATE TABLE state_machines (
    arn         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    creation_ms INTEGER NOT NULL,
    record      TEXT NOT NULL
);
CREATE TABLE activities (
    arn         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    creation_ms INTEGER NOT NULL,
    record      TEXT NOT NULL
);
-- The rowid (kept across upserts) breaks ties in start_ms, so executions that started
-- in the same millisecond list in start order, as in the memory store.
CREATE TABLE executions (
    arn               TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    status            TEXT NOT NULL,
    start_ms          INTEGER NOT NULL,
    stop_ms           INTEGER,
    record            TEXT NOT NULL
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_ms);
CREATE INDEX executions_by_stop ON executions (stop_ms) WHERE stop_ms IS NOT NULL;
-- Clustered on (execution, id): a history is one contiguous range of the b-tree.
CREATE TABLE events (
    execution_arn TEXT NOT NULL,
    id            INTEGER NOT NULL,
    event         TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
CREATE TABLE snapshots (
    execution_arn TEXT PRIMARY KEY,
    bytes         BLOB NOT NULL
);
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
";

/// v2: binary rows (see `stepwise-store-codec`). Definitions are stored once and referenced by id;
/// a decision's events are one `history` chunk instead of one row each. v1's rows stay
/// where they are and still read: an execution row whose `record` is JSON text carries its
/// own definition, and its older events stay in `events`.
const V2: &str = "
CREATE TABLE definitions (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
ALTER TABLE executions ADD COLUMN definition_id INTEGER REFERENCES definitions (id);
-- One row per run of consecutive events (ids first_id..=last_id) of one execution.
CREATE TABLE history (
    execution_arn TEXT NOT NULL,
    first_id      INTEGER NOT NULL,
    last_id       INTEGER NOT NULL,
    events        BLOB NOT NULL,
    PRIMARY KEY (execution_arn, first_id)
);
";

/// v3: the parts of a running execution's snapshot (`stepwise_engine::store::Part`): rows
/// written once each beside it (a Map's finished results, its items not started yet), so
/// that the snapshot rewritten at every decision holds only what runs. A rowid table:
/// a part may be large (a Map's items), which a WITHOUT ROWID table stores poorly.
const V3: &str = "
CREATE TABLE snapshot_parts (
    execution_arn TEXT NOT NULL,
    grp           INTEGER NOT NULL,
    idx           INTEGER NOT NULL,
    bytes         BLOB NOT NULL,
    PRIMARY KEY (execution_arn, grp, idx)
);
";

/// v4: state machine versions and aliases, one JSON record per machine (`arn` is the
/// machine's), with the columns every JSON record table has so that one edit routine serves
/// them all (`name` and `creation_ms` are unused here). Execution rows gain a tail with the
/// version and alias an execution was started on (`stepwise-store-codec`); older rows read without it.
const V4: &str = "
CREATE TABLE versioning (
    arn         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    creation_ms INTEGER NOT NULL,
    record      TEXT NOT NULL
);
";

/// v5: execution rows gain a second tail, their redrives (`stepwise-store-codec`; older rows read
/// without it), and an execution that ended unsuccessfully keeps its snapshot as its
/// redrive point, so recovery reads only the snapshots of running executions. No table
/// changes: the version makes an older build refuse rows it cannot read.
const V5: &str = "SELECT 1;";

/// The database's schema version.
pub(crate) fn version(conn: &Connection) -> Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get::<_, u32>(0)).map_err(sql)
}

/// Brings the database up to [`SCHEMA_VERSION`], all pending migrations in one
/// transaction. `IMMEDIATE` takes the write lock first, so two processes opening the
/// same new file do not both migrate. Returns the version found.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    let found = version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(Error::Internal(format!(
            "the database has schema version {found}, newer than this build's {SCHEMA_VERSION}: \
             it was written by a newer Stepwise"
        )));
    }
    for (from, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(migration).map_err(|e| {
            Error::Internal(format!("migrating schema v{from} to v{}: {e}", from + 1))
        })?;
    }
    if found < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    Ok(found)
}
