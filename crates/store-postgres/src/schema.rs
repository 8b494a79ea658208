//! The schema and its migrations.
//!
//! The version lives in the table `stepwise_schema` (one row), written in the same
//! transaction as the migrations, so a crash leaves either the old schema and version or
//! the new ones. Nodes that open one new database at once take a transaction-scoped
//! advisory lock first, so one of them migrates and the others find the work done.
//!
//! To change the schema, append a migration to [`MIGRATIONS`]; never edit a released one
//! (databases in the field already ran it).
use postgres::Client;
use stepwise_engine::{Error, Result};

use crate::pool::pg;

/// `MIGRATIONS[i]` takes a database from version `i` to version `i + 1`.
const MIGRATIONS: &[&str] = &[V1];

/// The schema version this build writes (and the newest it can open).
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// The advisory lock key migrations hold (any constant; "stepwise" in ASCII).
const MIGRATION_LOCK: i64 = 0x7374_6570_7769_7365;

/// The advisory lock key an exclusive store holds while open ("stepnode" in ASCII).
pub(crate) const NODE_LOCK: i64 = 0x7374_6570_6e6f_6465;

/// v1: the rows of SQLite's schema v5, in PostgreSQL's types.
///
/// - State machines, activities and versioning records are JSON text with the columns that
///   queries sort on beside them, and a `revision` that every write increments: an edit
///   writes only if the revision it read is still there (`edit.rs`).
/// - Execution rows and history chunks are the binary formats of `stepwise-store-codec`.
///   An execution row references its definition by SHA-256: definitions are immutable, so
///   any node may cache one by its hash and none needs a sequence to name it.
/// - `seq` orders executions that started in the same millisecond by insertion (SQLite's
///   rowid); an upsert keeps it.
/// - `stepwise_commit` applies one group of batches in one statement: one round trip, and
///   atomic without BEGIN and COMMIT (`group.rs` computes its arguments).
///
/// Blobs that the codec has compressed already are stored `EXTERNAL` (not compressed again).
const V1: &str = r#"
CREATE TABLE state_machines (
    arn         text PRIMARY KEY,
    name        text NOT NULL,
    creation_ms bigint NOT NULL,
    revision    bigint NOT NULL DEFAULT 1,
    record      text NOT NULL
);
CREATE TABLE activities (
    arn         text PRIMARY KEY,
    name        text NOT NULL,
    creation_ms bigint NOT NULL,
    revision    bigint NOT NULL DEFAULT 1,
    record      text NOT NULL
);
CREATE TABLE versioning (
    arn         text PRIMARY KEY,
    name        text NOT NULL,
    creation_ms bigint NOT NULL,
    revision    bigint NOT NULL DEFAULT 1,
    record      text NOT NULL
);
CREATE TABLE definitions (
    hash bytea PRIMARY KEY,
    text text NOT NULL
);
CREATE TABLE executions (
    arn               text PRIMARY KEY,
    seq               bigint GENERATED ALWAYS AS IDENTITY,
    state_machine_arn text NOT NULL,
    status            text NOT NULL,
    start_ms          bigint NOT NULL,
    stop_ms           bigint,
    definition        bytea NOT NULL,
    record            bytea NOT NULL
);
ALTER TABLE executions ALTER COLUMN record SET STORAGE EXTERNAL;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_ms DESC, seq DESC);
CREATE INDEX executions_by_stop ON executions (stop_ms) WHERE stop_ms IS NOT NULL;
CREATE INDEX executions_running ON executions (arn) WHERE status = 'RUNNING';
CREATE TABLE history (
    execution_arn text NOT NULL,
    first_id      bigint NOT NULL,
    last_id       bigint NOT NULL,
    events        bytea NOT NULL,
    PRIMARY KEY (execution_arn, first_id)
);
ALTER TABLE history ALTER COLUMN events SET STORAGE EXTERNAL;
CREATE TABLE snapshots (
    execution_arn text PRIMARY KEY,
    bytes         bytea NOT NULL
);
CREATE TABLE snapshot_parts (
    execution_arn text NOT NULL,
    grp           bigint NOT NULL,
    idx           bigint NOT NULL,
    bytes         bytea NOT NULL,
    PRIMARY KEY (execution_arn, grp, idx)
);
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value bytea NOT NULL
);

-- One group commit. The arrays are columns: element i of each array of a prefix is one
-- row. The caller has already reduced the group to its net effect (`group.rs`), so no
-- statement touches a row twice; the steps run in the order of the store contract.
CREATE FUNCTION stepwise_commit(
    d_hash bytea[], d_text text[],
    e_arn text[], e_machine text[], e_status text[], e_start bigint[], e_stop bigint[],
    e_definition bytea[], e_record bytea[],
    wipe_arn text[],
    dg_arn text[], dg_grp bigint[],
    pp_arn text[], pp_grp bigint[], pp_idx bigint[], pp_bytes bytea[],
    sd_arn text[],
    sp_arn text[], sp_bytes bytea[],
    h_arn text[], h_first bigint[], h_last bigint[], h_events bytea[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    gap record;
BEGIN
    INSERT INTO definitions (hash, text)
        SELECT * FROM unnest(d_hash, d_text) ON CONFLICT (hash) DO NOTHING;
    INSERT INTO executions
            (arn, state_machine_arn, status, start_ms, stop_ms, definition, record)
        SELECT a, m, s, st, sp, d, r
        FROM unnest(e_arn, e_machine, e_status, e_start, e_stop, e_definition, e_record)
            WITH ORDINALITY AS u (a, m, s, st, sp, d, r, n)
        ORDER BY n
        ON CONFLICT (arn) DO UPDATE SET
            state_machine_arn = excluded.state_machine_arn, status = excluded.status,
            start_ms = excluded.start_ms, stop_ms = excluded.stop_ms,
            definition = excluded.definition, record = excluded.record;
    DELETE FROM snapshot_parts WHERE execution_arn = ANY (wipe_arn);
    DELETE FROM snapshot_parts p USING unnest(dg_arn, dg_grp) AS g (a, grp)
        WHERE p.execution_arn = g.a AND p.grp = g.grp;
    INSERT INTO snapshot_parts (execution_arn, grp, idx, bytes)
        SELECT * FROM unnest(pp_arn, pp_grp, pp_idx, pp_bytes)
        ON CONFLICT (execution_arn, grp, idx) DO UPDATE SET bytes = excluded.bytes;
    DELETE FROM snapshots WHERE execution_arn = ANY (sd_arn);
    INSERT INTO snapshots (execution_arn, bytes)
        SELECT * FROM unnest(sp_arn, sp_bytes)
        ON CONFLICT (execution_arn) DO UPDATE SET bytes = excluded.bytes;
    -- Each execution's first chunk in the group must continue its history (the later
    -- ones were checked against it by the caller): a gap or an overlap is an engine bug,
    -- and fails the whole group.
    SELECT c.arn, c.first_id, coalesce(h.last_id, 0) AS recorded INTO gap
        FROM (SELECT DISTINCT ON (a) a, f
              FROM unnest(h_arn, h_first) WITH ORDINALITY AS u (a, f, n)
              ORDER BY a, n) AS c (arn, first_id)
        LEFT JOIN LATERAL (
            SELECT last_id FROM history WHERE execution_arn = c.arn
            ORDER BY first_id DESC LIMIT 1) h ON true
        WHERE coalesce(h.last_id, 0) + 1 <> c.first_id
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: event % does not follow event %',
            gap.arn, gap.first_id, gap.recorded;
    END IF;
    INSERT INTO history (execution_arn, first_id, last_id, events)
        SELECT * FROM unnest(h_arn, h_first, h_last, h_events);
END
$$;
"#;

/// Brings the database up to [`SCHEMA_VERSION`], all pending migrations in one
/// transaction. Returns the version found; fails on a database of a newer version.
pub(crate) fn migrate(client: &mut Client) -> Result<i32> {
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS stepwise_schema (
             one     boolean PRIMARY KEY DEFAULT true CHECK (one),
             version integer NOT NULL
         )",
    )
    .map_err(pg)?;
    let found: i32 = tx
        .query_opt("SELECT version FROM stepwise_schema", &[])
        .map_err(pg)?
        .map_or(0, |row| row.get(0));
    if found > SCHEMA_VERSION {
        return Err(Error::Internal(format!(
            "the database has schema version {found}, newer than this build's {SCHEMA_VERSION}: \
             it was written by a newer Stepwise"
        )));
    }
    for (from, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(migration).map_err(|e| {
            Error::Internal(format!("migrating schema v{from} to v{}: {}", from + 1, pg(e)))
        })?;
    }
    if found < SCHEMA_VERSION {
        tx.execute(
            "INSERT INTO stepwise_schema (version) VALUES ($1)
             ON CONFLICT (one) DO UPDATE SET version = excluded.version",
            &[&SCHEMA_VERSION],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)?;
    Ok(found)
}

/// The database's schema version.
pub(crate) fn version(client: &mut Client) -> Result<i32> {
    Ok(client
        .query_opt("SELECT version FROM stepwise_schema", &[])
        .map_err(pg)?
        .map_or(0, |row| row.get(0)))
}
