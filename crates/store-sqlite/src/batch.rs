//! A decision's batch as the writer commits it: its rows encoded once (off the writer's
//! lock, in `prepare`), then written with cached statements inside the group's
//! transaction, a history chunk refused when it does not follow the execution's last event.
use std::sync::Arc;

use rusqlite::params;
use stepwise_engine::model::ExecutionRecord;
use stepwise_engine::store::{Batch, Part};
use stepwise_engine::{Error, Result};
use stepwise_store_codec as codec;

use crate::{sql, SqliteStore};

/// A batch with its rows encoded: what [`SqliteStore::prepare`] returns.
pub(crate) struct Encoded {
    /// Each execution row with its encoded record.
    pub(crate) executions: Vec<(ExecutionRecord, Vec<u8>)>,
    snapshots: Vec<(String, Option<Vec<u8>>)>,
    /// Snapshot parts, in order.
    parts: Vec<EncodedPart>,
    /// History chunks: execution ARN, first and last event id, encoded events.
    chunks: Vec<(String, i64, i64, Vec<u8>)>,
}

/// A snapshot part change: ARN, group, and the row's index and bytes (`None` deletes the
/// group).
type EncodedPart = (Arc<str>, i64, Option<(i64, Vec<u8>)>);

impl Encoded {
    pub(crate) fn new(batch: Batch) -> Result<Encoded> {
        let chunks = codec::encode_chunks(&batch.events)?;
        let executions = batch
            .executions
            .into_iter()
            .map(|record| {
                let bytes = codec::encode_execution(&record)?;
                Ok((record, bytes))
            })
            .collect::<Result<Vec<_>>>()?;
        let parts = batch
            .parts
            .into_iter()
            .map(|(arn, part)| match part {
                Part::Put { group, index, bytes } => {
                    Ok((arn, part_key(group)?, Some((part_key(index)?, bytes))))
                }
                Part::DeleteGroup { group } => Ok((arn, part_key(group)?, None)),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoded { executions, snapshots: batch.snapshots, parts, chunks })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.executions.is_empty()
            && self.snapshots.is_empty()
            && self.parts.is_empty()
            && self.chunks.is_empty()
    }
}

impl SqliteStore {
    /// Writes one encoded batch inside the transaction `tx`; definitions it inserted are
    /// added to `fresh`.
    pub(crate) fn write_encoded(
        &self,
        tx: &rusqlite::Transaction<'_>,
        batch: &Encoded,
        fresh: &mut Vec<(i64, Arc<str>)>,
    ) -> Result<()> {
        let mut upsert = tx.prepare_cached(UPSERT_EXECUTION).map_err(sql)?;
        for (record, bytes) in &batch.executions {
            let definition_id = self.definition_id(tx, &record.definition, fresh)?;
            upsert
                .execute(params![
                    record.arn,
                    record.state_machine_arn,
                    record.status.as_str(),
                    record.start_ms,
                    record.stop_ms,
                    bytes,
                    definition_id
                ])
                .map_err(sql)?;
        }
        // Parts before snapshots: a snapshot deleted in this batch takes its parts along.
        let mut put_part = tx.prepare_cached(PUT_PART).map_err(sql)?;
        let mut delete_group = tx.prepare_cached(DELETE_PART_GROUP).map_err(sql)?;
        for (arn, group, row) in &batch.parts {
            match row {
                Some((index, bytes)) => put_part.execute(params![&**arn, group, index, bytes]),
                None => delete_group.execute(params![&**arn, group]),
            }
            .map_err(sql)?;
        }
        let mut put = tx.prepare_cached(PUT_SNAPSHOT).map_err(sql)?;
        let mut delete = tx.prepare_cached(DELETE_SNAPSHOT).map_err(sql)?;
        let mut delete_parts = tx.prepare_cached(DELETE_PARTS).map_err(sql)?;
        for (arn, snapshot) in &batch.snapshots {
            match snapshot {
                Some(bytes) => put.execute(params![arn, bytes]),
                None => delete.execute([arn]).and_then(|_| delete_parts.execute([arn])),
            }
            .map_err(sql)?;
        }
        let mut insert = tx.prepare_cached(INSERT_CHUNK).map_err(sql)?;
        let mut last_id = tx.prepare_cached(LAST_EVENT_ID).map_err(sql)?;
        for (arn, first, last, bytes) in &batch.chunks {
            // A history's first chunk needs no look-up: the primary key refuses a second.
            if *first != 1 {
                let recorded: i64 = last_id.query_row([arn], |row| row.get(0)).map_err(sql)?;
                if recorded + 1 != *first {
                    return Err(Error::Internal(format!(
                        "{arn}: event {first} does not follow event {recorded}"
                    )));
                }
            }
            insert.execute(params![arn, first, last, bytes]).map_err(sql)?;
        }
        Ok(())
    }
}

/// Snapshot part keys are `u64` in the engine and INTEGER (i64) in SQLite.
fn part_key(key: u64) -> Result<i64> {
    i64::try_from(key).map_err(|_| Error::Internal(format!("snapshot part key {key} out of range")))
}

const UPSERT_EXECUTION: &str = "
    INSERT INTO executions (arn, state_machine_arn, status, start_ms, stop_ms, record, definition_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (arn) DO UPDATE SET
        state_machine_arn = excluded.state_machine_arn, status = excluded.status,
        start_ms = excluded.start_ms, stop_ms = excluded.stop_ms, record = excluded.record,
        definition_id = excluded.definition_id";
const INSERT_CHUNK: &str =
    "INSERT INTO history (execution_arn, first_id, last_id, events) VALUES (?1, ?2, ?3, ?4)";
/// The last event id recorded for an execution: its last chunk's, else its last v1 event's.
const LAST_EVENT_ID: &str = "
    SELECT coalesce(
        (SELECT last_id FROM history WHERE execution_arn = ?1 ORDER BY first_id DESC LIMIT 1),
        (SELECT max(id) FROM events WHERE execution_arn = ?1),
        0)";
const PUT_SNAPSHOT: &str =
    "INSERT OR REPLACE INTO snapshots (execution_arn, bytes) VALUES (?1, ?2)";
const DELETE_SNAPSHOT: &str = "DELETE FROM snapshots WHERE execution_arn = ?1";
const PUT_PART: &str =
    "INSERT OR REPLACE INTO snapshot_parts (execution_arn, grp, idx, bytes) VALUES (?1, ?2, ?3, ?4)";
const DELETE_PART_GROUP: &str = "DELETE FROM snapshot_parts WHERE execution_arn = ?1 AND grp = ?2";
const DELETE_PARTS: &str = "DELETE FROM snapshot_parts WHERE execution_arn = ?1";
