//! [`Store`] kept in memory: `--store memory`, and the test double.
use std::collections::{BTreeMap, HashMap};

use parking_lot::RwLock;

use crate::error::{Error, Result};
use crate::history::HistoryEvent;
use crate::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, StateMachineRecord, Versioning,
};
use crate::store::{Batch, Edit, Part, Store};

/// Everything in memory, lost at exit.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    machines: HashMap<String, StateMachineRecord>,
    /// Versions and aliases, by machine ARN.
    versioning: HashMap<String, Versioning>,
    activities: HashMap<String, ActivityRecord>,
    executions: HashMap<String, ExecutionEntry>,
    /// Execution ARNs per state machine, in start order.
    by_machine: HashMap<String, Vec<String>>,
    snapshots: HashMap<String, Vec<u8>>,
    /// Each snapshot's parts, by `(group, index)`.
    parts: HashMap<String, BTreeMap<(u64, u64), Vec<u8>>>,
    settings: HashMap<String, Vec<u8>>,
}

#[derive(Debug)]
struct ExecutionEntry {
    record: ExecutionRecord,
    events: Vec<HistoryEvent>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn put_state_machine(&self, record: StateMachineRecord) -> Result<()> {
        self.inner.write().machines.insert(record.arn.clone(), record);
        Ok(())
    }
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>> {
        Ok(self.inner.read().machines.get(arn).cloned())
    }
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        let mut all: Vec<_> = self.inner.read().machines.values().cloned().collect();
        // AWS lists state machines by name, in byte order.
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }
    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        let mut inner = self.inner.write();
        inner.machines.remove(arn);
        inner.versioning.remove(arn);
        Ok(())
    }

    fn get_versioning(&self, machine_arn: &str) -> Result<Option<Versioning>> {
        Ok(self.inner.read().versioning.get(machine_arn).cloned())
    }

    fn update_versioning(
        &self,
        machine_arn: &str,
        edit: Edit<'_, Versioning>,
    ) -> Result<Option<Versioning>> {
        edit_row(&mut self.inner.write().versioning, machine_arn, edit, |r| &r.machine_arn)
    }

    fn update_state_machine(
        &self,
        arn: &str,
        edit: Edit<'_, StateMachineRecord>,
    ) -> Result<Option<StateMachineRecord>> {
        edit_row(&mut self.inner.write().machines, arn, edit, |r| &r.arn)
    }

    fn put_activity(&self, record: ActivityRecord) -> Result<()> {
        self.inner.write().activities.insert(record.arn.clone(), record);
        Ok(())
    }
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>> {
        Ok(self.inner.read().activities.get(arn).cloned())
    }
    fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        let mut all: Vec<_> = self.inner.read().activities.values().cloned().collect();
        all.sort_by(|a, b| (a.creation_ms, &a.name).cmp(&(b.creation_ms, &b.name)));
        Ok(all)
    }
    fn delete_activity(&self, arn: &str) -> Result<()> {
        self.inner.write().activities.remove(arn);
        Ok(())
    }

    fn update_activity(
        &self,
        arn: &str,
        edit: Edit<'_, ActivityRecord>,
    ) -> Result<Option<ActivityRecord>> {
        edit_row(&mut self.inner.write().activities, arn, edit, |r| &r.arn)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        let mut inner = self.inner.write();
        for record in batch.executions {
            match inner.executions.get_mut(&record.arn) {
                Some(entry) => entry.record = record,
                None => {
                    inner
                        .by_machine
                        .entry(record.state_machine_arn.clone())
                        .or_default()
                        .push(record.arn.clone());
                    inner
                        .executions
                        .insert(record.arn.clone(), ExecutionEntry { record, events: Vec::new() });
                }
            }
        }
        for (arn, part) in batch.parts {
            let parts = inner.parts.entry(arn.to_string()).or_default();
            match part {
                Part::Put { group, index, bytes } => {
                    parts.insert((group, index), bytes);
                }
                Part::DeleteGroup { group } => parts.retain(|(g, _), _| *g != group),
            }
        }
        for (arn, snapshot) in batch.snapshots {
            match snapshot {
                Some(bytes) => {
                    inner.snapshots.insert(arn, bytes);
                }
                None => {
                    inner.snapshots.remove(&arn);
                    inner.parts.remove(&arn);
                }
            };
        }
        for (arn, event) in batch.events {
            if let Some(entry) = inner.executions.get_mut(&*arn) {
                debug_assert_eq!(
                    entry.events.len() as u64 + 1,
                    event.id,
                    "events arrive in id order"
                );
                entry.events.push(event);
            }
        }
        Ok(())
    }
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>> {
        Ok(self.inner.read().executions.get(arn).map(|e| e.record.clone()))
    }
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
    ) -> Result<Vec<ExecutionRecord>> {
        let inner = self.inner.read();
        let Some(arns) = inner.by_machine.get(state_machine_arn) else { return Ok(Vec::new()) };
        Ok(arns
            .iter()
            .rev()
            .filter_map(|arn| inner.executions.get(arn))
            .filter(|e| status.is_none_or(|s| e.record.status == s))
            .map(|e| e.record.clone())
            .collect())
    }
    fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        Ok(self.inner.read().executions.get(arn).map(|e| e.events.clone()).unwrap_or_default())
    }
    fn snapshot(&self, arn: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.read().snapshots.get(arn).cloned())
    }
    fn running_snapshots(&self) -> Result<Vec<(ExecutionRecord, Vec<u8>)>> {
        let inner = self.inner.read();
        Ok(inner
            .snapshots
            .iter()
            .filter_map(|(arn, bytes)| {
                let record = &inner.executions.get(arn)?.record;
                let running = record.status == ExecutionStatus::Running;
                running.then(|| (record.clone(), bytes.clone()))
            })
            .collect())
    }
    fn snapshot_parts(&self, arn: &str) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        let inner = self.inner.read();
        let Some(parts) = inner.parts.get(arn) else { return Ok(Vec::new()) };
        Ok(parts.iter().map(|((group, index), bytes)| (*group, *index, bytes.clone())).collect())
    }
    fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.read().settings.get(key).cloned())
    }
    fn put_setting(&self, key: &str, value: &[u8]) -> Result<()> {
        self.inner.write().settings.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn remove_ended_before(&self, ended_before_ms: i64) -> Result<usize> {
        let mut inner = self.inner.write();
        let expired: Vec<String> = inner
            .executions
            .values()
            .filter(|e| e.record.stop_ms.is_some_and(|t| t < ended_before_ms))
            .map(|e| e.record.arn.clone())
            .collect();
        for arn in &expired {
            if let Some(entry) = inner.executions.remove(arn) {
                if let Some(list) = inner.by_machine.get_mut(&entry.record.state_machine_arn) {
                    list.retain(|a| a != arn);
                }
            }
        }
        Ok(expired.len())
    }
}

/// One [`Edit`] of `rows[arn]`, under the caller's write lock, which is what makes it atomic.
fn edit_row<T: Clone>(
    rows: &mut HashMap<String, T>,
    arn: &str,
    edit: Edit<'_, T>,
    arn_of: impl Fn(&T) -> &str,
) -> Result<Option<T>> {
    let Some(row) = edit(rows.get(arn))? else { return Ok(rows.get(arn).cloned()) };
    if arn_of(&row) != arn {
        return Err(Error::Internal(format!("an edit of {arn} returned {}", arn_of(&row))));
    }
    rows.insert(arn.to_owned(), row.clone());
    Ok(Some(row))
}
