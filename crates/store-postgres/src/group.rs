//! A group of batches as the arguments of one `stepwise_commit` call (`schema.rs`).
//!
//! The group commit hands the store many batches at once, and PostgreSQL should get them in
//! one round trip. One statement per table, each over arrays, does that, but a statement
//! may not change a row twice (`ON CONFLICT DO UPDATE` refuses to), and the batches do:
//! an execution row updated at every decision, a snapshot replaced, a part written and its
//! group deleted. So the group is first reduced here to its net effect, applying the
//! batches in order as the store contract says (within a batch: rows, parts, snapshots,
//! events); what is left touches each row once.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use stepwise_engine::model::ExecutionRecord;
use stepwise_engine::store::{Batch, Part};
use stepwise_engine::{Error, Result};
use stepwise_store_codec as codec;

/// A definition's key: the SHA-256 of its text.
pub(crate) type DefinitionHash = [u8; 32];

/// The hash of a definition's text.
pub(crate) fn definition_hash(text: &str) -> DefinitionHash {
    Sha256::digest(text.as_bytes()).into()
}

/// A batch with its rows encoded (what `prepare` returns): the work done off the writer.
pub(crate) struct Encoded {
    executions: Vec<EncodedExecution>,
    parts: Vec<(Arc<str>, Part)>,
    snapshots: Vec<(String, Option<Vec<u8>>)>,
    chunks: Vec<codec::Chunk>,
}

struct EncodedExecution {
    record: ExecutionRecord,
    definition: DefinitionHash,
    bytes: Vec<u8>,
}

impl Encoded {
    pub(crate) fn new(batch: Batch) -> Result<Encoded> {
        let chunks = codec::encode_chunks(&batch.events)?;
        let executions = batch
            .executions
            .into_iter()
            .map(|record| {
                let bytes = codec::encode_execution(&record)?;
                let definition = definition_hash(&record.definition);
                Ok(EncodedExecution { record, definition, bytes })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoded { executions, parts: batch.parts, snapshots: batch.snapshots, chunks })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.executions.is_empty()
            && self.parts.is_empty()
            && self.snapshots.is_empty()
            && self.chunks.is_empty()
    }
}

/// What happens to one execution's snapshot parts over a group.
#[derive(Default)]
struct PartsEffect {
    /// Every stored part goes first (its snapshot was deleted).
    wipe: bool,
    /// Stored parts of these groups go first.
    deleted_groups: BTreeSet<i64>,
    /// Then these rows are written.
    puts: BTreeMap<(i64, i64), Vec<u8>>,
}

impl PartsEffect {
    fn apply(&mut self, part: Part) -> Result<()> {
        match part {
            Part::Put { group, index, bytes } => {
                self.puts.insert((part_key(group)?, part_key(index)?), bytes);
            }
            Part::DeleteGroup { group } => {
                let group = part_key(group)?;
                self.puts.retain(|(g, _), _| *g != group);
                if !self.wipe {
                    self.deleted_groups.insert(group);
                }
            }
        }
        Ok(())
    }

    fn wipe(&mut self) {
        *self = PartsEffect { wipe: true, ..PartsEffect::default() };
    }
}

/// The arguments of `stepwise_commit`, column by column.
#[derive(Default)]
pub(crate) struct Group {
    pub(crate) d_hash: Vec<Vec<u8>>,
    pub(crate) d_text: Vec<String>,
    pub(crate) e_arn: Vec<String>,
    pub(crate) e_machine: Vec<String>,
    pub(crate) e_status: Vec<&'static str>,
    pub(crate) e_start: Vec<i64>,
    pub(crate) e_stop: Vec<Option<i64>>,
    pub(crate) e_definition: Vec<Vec<u8>>,
    pub(crate) e_record: Vec<Vec<u8>>,
    pub(crate) wipe_arn: Vec<String>,
    pub(crate) dg_arn: Vec<String>,
    pub(crate) dg_grp: Vec<i64>,
    pub(crate) pp_arn: Vec<String>,
    pub(crate) pp_grp: Vec<i64>,
    pub(crate) pp_idx: Vec<i64>,
    pub(crate) pp_bytes: Vec<Vec<u8>>,
    pub(crate) sd_arn: Vec<String>,
    pub(crate) sp_arn: Vec<String>,
    pub(crate) sp_bytes: Vec<Vec<u8>>,
    pub(crate) h_arn: Vec<String>,
    pub(crate) h_first: Vec<i64>,
    pub(crate) h_last: Vec<i64>,
    pub(crate) h_events: Vec<Vec<u8>>,
    /// The definitions sent, to remember as stored once the group has committed.
    pub(crate) fresh_definitions: Vec<(DefinitionHash, Arc<str>)>,
}

impl Group {
    /// Reduces `batches`, in order, to their net effect. `known` says whether a definition
    /// is stored already (it is then not sent again).
    pub(crate) fn new(
        batches: Vec<Encoded>,
        known: impl Fn(&DefinitionHash) -> bool,
    ) -> Result<Group> {
        let mut group = Group::default();
        // Last write wins, in the place of the row's first write (new rows take their
        // `seq` in that order, as SQLite's rowid).
        let mut rows: Vec<EncodedExecution> = Vec::new();
        let mut row_of: HashMap<String, usize> = HashMap::new();
        let mut parts: Vec<(Arc<str>, PartsEffect)> = Vec::new();
        let mut parts_of: HashMap<Arc<str>, usize> = HashMap::new();
        let mut snapshots: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        let mut snapshot_of: HashMap<String, usize> = HashMap::new();
        // Each execution's last event id in the group, to check that its chunks follow
        // one another (the database checks the first against what is stored).
        let mut last_event: HashMap<String, i64> = HashMap::new();
        let mut sent_definitions = std::collections::HashSet::new();

        for batch in batches {
            for execution in batch.executions {
                let (hash, text) = (execution.definition, &execution.record.definition);
                if !known(&hash) && sent_definitions.insert(hash) {
                    group.d_hash.push(hash.to_vec());
                    group.d_text.push(text.to_string());
                    group.fresh_definitions.push((hash, text.clone()));
                }
                match row_of.get(&execution.record.arn) {
                    Some(&i) => rows[i] = execution,
                    None => {
                        row_of.insert(execution.record.arn.clone(), rows.len());
                        rows.push(execution);
                    }
                }
            }
            for (arn, part) in batch.parts {
                let i = *parts_of.entry(arn.clone()).or_insert_with(|| {
                    parts.push((arn, PartsEffect::default()));
                    parts.len() - 1
                });
                parts[i].1.apply(part)?;
            }
            for (arn, snapshot) in batch.snapshots {
                if snapshot.is_none() {
                    let key: Arc<str> = arn.as_str().into();
                    let i = *parts_of.entry(key.clone()).or_insert_with(|| {
                        parts.push((key, PartsEffect::default()));
                        parts.len() - 1
                    });
                    parts[i].1.wipe();
                }
                match snapshot_of.get(&arn) {
                    Some(&i) => snapshots[i].1 = snapshot,
                    None => {
                        snapshot_of.insert(arn.clone(), snapshots.len());
                        snapshots.push((arn, snapshot));
                    }
                }
            }
            for (arn, first, last, events) in batch.chunks {
                if let Some(previous) = last_event.get(&arn) {
                    if previous + 1 != first {
                        return Err(Error::Internal(format!(
                            "{arn}: event {first} does not follow event {previous}"
                        )));
                    }
                }
                last_event.insert(arn.clone(), last);
                group.h_arn.push(arn);
                group.h_first.push(first);
                group.h_last.push(last);
                group.h_events.push(events);
            }
        }

        for row in rows {
            group.e_arn.push(row.record.arn);
            group.e_machine.push(row.record.state_machine_arn);
            group.e_status.push(row.record.status.as_str());
            group.e_start.push(row.record.start_ms);
            group.e_stop.push(row.record.stop_ms);
            group.e_definition.push(row.definition.to_vec());
            group.e_record.push(row.bytes);
        }
        for (arn, effect) in parts {
            if effect.wipe {
                group.wipe_arn.push(arn.to_string());
            }
            for grp in effect.deleted_groups {
                group.dg_arn.push(arn.to_string());
                group.dg_grp.push(grp);
            }
            for ((grp, idx), bytes) in effect.puts {
                group.pp_arn.push(arn.to_string());
                group.pp_grp.push(grp);
                group.pp_idx.push(idx);
                group.pp_bytes.push(bytes);
            }
        }
        for (arn, snapshot) in snapshots {
            match snapshot {
                Some(bytes) => {
                    group.sp_arn.push(arn);
                    group.sp_bytes.push(bytes);
                }
                None => group.sd_arn.push(arn),
            }
        }
        Ok(group)
    }
}

/// Snapshot part keys are `u64` in the engine and `bigint` in PostgreSQL.
fn part_key(key: u64) -> Result<i64> {
    i64::try_from(key).map_err(|_| Error::Internal(format!("snapshot part key {key} out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(ops: Vec<Part>) -> PartsEffect {
        let mut effect = PartsEffect::default();
        for op in ops {
            effect.apply(op).unwrap();
        }
        effect
    }

    #[test]
    fn a_deleted_group_drops_the_puts_before_it_and_keeps_those_after() {
        let put = |group, index| Part::Put { group, index, bytes: vec![index as u8] };
        let effect = parts(vec![put(1, 0), put(2, 0), Part::DeleteGroup { group: 1 }, put(1, 5)]);
        assert!(!effect.wipe);
        assert_eq!(effect.deleted_groups.into_iter().collect::<Vec<_>>(), [1]);
        assert_eq!(effect.puts.keys().copied().collect::<Vec<_>>(), [(1, 5), (2, 0)]);
    }

    #[test]
    fn a_wipe_forgets_what_came_before() {
        let mut effect = parts(vec![
            Part::Put { group: 1, index: 0, bytes: vec![] },
            Part::DeleteGroup { group: 2 },
        ]);
        effect.wipe();
        effect.apply(Part::DeleteGroup { group: 3 }).unwrap();
        effect.apply(Part::Put { group: 4, index: 1, bytes: vec![] }).unwrap();
        assert!(effect.wipe);
        assert!(effect.deleted_groups.is_empty(), "the wipe covers every group");
        assert_eq!(effect.puts.keys().copied().collect::<Vec<_>>(), [(4, 1)]);
    }
}
