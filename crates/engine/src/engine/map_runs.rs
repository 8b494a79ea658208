//! Map Runs: what `DescribeMapRun`, `ListMapRuns` and `UpdateMapRun` read and change.
//!
//! A Distributed Map state's iterations run as a Map Run inside their execution (see
//! `execution/map_run.rs`); each decision that changes one hands its latest record to the
//! engine, which keeps it here. The records are small and fixed in size (counts, not
//! items), so a Map Run over 100,000 items costs one record.
//!
//! They live in memory, beside the execution's own snapshot: a restart forgets the records
//! of Map Runs that ended before it (a running one's is handed again at its next decision).
use std::collections::HashMap;

use parking_lot::Mutex;

use super::decide::Decision;
use super::Engine;
use crate::error::{Error, Result};
use crate::model::ExecutionStatus;

/// A Map Run's status, as AWS names it.
#[allow(missing_docs)] // AWS's fields, named as the API names them
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRunStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl MapRunStatus {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MapRunStatus::Running => "RUNNING",
            MapRunStatus::Succeeded => "SUCCEEDED",
            MapRunStatus::Failed => "FAILED",
            MapRunStatus::Aborted => "ABORTED",
        }
    }
}

/// How many of a Map Run's items (or child executions) are where.
#[allow(missing_docs)] // AWS's fields, named as the API names them
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapRunCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub total: u64,
    pub results_written: u64,
}

/// One Map Run, as `DescribeMapRun` shows it.
#[allow(missing_docs)] // AWS's fields, named as the API names them
#[derive(Debug, Clone, PartialEq)]
pub struct MapRunRecord {
    pub map_run_arn: String,
    pub execution_arn: String,
    /// `arn:…:stateMachine:<machine>/<label or id>`, as `ListMapRuns` shows it.
    pub state_machine_arn: String,
    pub status: MapRunStatus,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
    pub max_concurrency: u64,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    pub item_counts: MapRunCounts,
    pub execution_counts: MapRunCounts,
}

/// What `UpdateMapRun` changes (each `None` keeps the current value).
#[allow(missing_docs)] // AWS's fields, named as the API names them
#[derive(Debug, Clone, Copy, Default)]
pub struct MapRunUpdate {
    pub max_concurrency: Option<u64>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
}

/// The Map Runs the engine knows, by ARN, with each execution's in start order.
#[derive(Debug, Default)]
pub(crate) struct MapRuns {
    runs: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    by_arn: HashMap<String, MapRunRecord>,
    by_execution: HashMap<String, Vec<String>>,
}

impl MapRuns {
    /// Keeps the latest record of a Map Run.
    pub(crate) fn put(&self, record: MapRunRecord) {
        let mut index = self.runs.lock();
        if !index.by_arn.contains_key(&record.map_run_arn) {
            index
                .by_execution
                .entry(record.execution_arn.clone())
                .or_default()
                .push(record.map_run_arn.clone());
        }
        index.by_arn.insert(record.map_run_arn.clone(), record);
    }

    fn get(&self, arn: &str) -> Option<MapRunRecord> {
        self.runs.lock().by_arn.get(arn).cloned()
    }

    fn of_execution(&self, execution: &str) -> Vec<MapRunRecord> {
        let index = self.runs.lock();
        index
            .by_execution
            .get(execution)
            .map(|arns| arns.iter().filter_map(|a| index.by_arn.get(a).cloned()).collect())
            .unwrap_or_default()
    }
}

/// Checks that `arn` reads as a Map Run ARN: `arn:<partition>:states:<region>:<account>:mapRun:<machine>/<label>:<id>`.
fn check_map_run_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let ok = parts.len() == 7
        && parts[0] == "arn"
        && parts[2] == "states"
        && parts[5] == "mapRun"
        && parts[6].split_once('/').is_some_and(|(m, rest)| {
            !m.is_empty()
                && rest.rsplit_once(':').is_some_and(|(l, id)| !l.is_empty() && !id.is_empty())
        });
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArn(format!(
            "Invalid Arn: 'Resource type not valid in this context: {arn}'"
        )))
    }
}

fn not_found(arn: &str) -> Error {
    Error::ResourceNotFound(format!("Map Run Does Not Exist: '{arn}'"))
}

impl Engine {
    /// `DescribeMapRun`. A Map Run still marked running whose execution ended was aborted
    /// with it.
    pub fn describe_map_run(&self, arn: &str) -> Result<MapRunRecord> {
        check_map_run_arn(arn)?;
        let record = self.inner.map_runs.get(arn).ok_or_else(|| not_found(arn))?;
        Ok(self.settled(record))
    }

    /// `ListMapRuns`: the Map Runs of an execution, in the order they started.
    pub fn list_map_runs(&self, execution_arn: &str) -> Result<Vec<MapRunRecord>> {
        // The execution must exist (AWS: ExecutionDoesNotExist).
        self.describe_execution(execution_arn)?;
        let runs = self.inner.map_runs.of_execution(execution_arn);
        Ok(runs.into_iter().map(|r| self.settled(r)).collect())
    }

    /// `UpdateMapRun`: a running Map Run's concurrency and tolerated failures.
    pub async fn update_map_run(&self, arn: &str, update: MapRunUpdate) -> Result<()> {
        check_map_run_arn(arn)?;
        if let Some(p) = update.tolerated_failure_percentage {
            if !(0.0..=100.0).contains(&p) {
                return Err(Error::Validation(
                    "1 validation error detected: Value at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100".into(),
                ));
            }
        }
        let record = self.inner.map_runs.get(arn).ok_or_else(|| not_found(arn))?;
        let now = self.now();
        let ticket = match self.inner.registry.get(&record.execution_arn) {
            Some(cell) => {
                let mut slot = self.lock_for_decision(&cell)?;
                let updated = slot.running().is_some_and(|r| r.update_map_run(arn, update, now));
                if updated {
                    let mut d = Decision::default();
                    self.advance(&cell, &mut slot, now, &mut d);
                    Some(self.finish(&cell, &mut slot, d)?)
                } else {
                    None
                }
            }
            None => None,
        };
        match ticket {
            Some(ticket) => ticket.durable().await,
            // Ended: AWS accepts the update of a finished Map Run and changes nothing.
            None => Ok(()),
        }
    }

    /// A record as the API shows it: running ones of an ended execution were aborted.
    fn settled(&self, mut record: MapRunRecord) -> MapRunRecord {
        if record.status != MapRunStatus::Running {
            return record;
        }
        let Ok(execution) = self.describe_execution(&record.execution_arn) else {
            return record;
        };
        if execution.status != ExecutionStatus::Running {
            record.status = MapRunStatus::Aborted;
            record.stop_ms = execution.stop_ms;
            for counts in [&mut record.item_counts, &mut record.execution_counts] {
                counts.aborted += counts.running + counts.pending;
                counts.running = 0;
                counts.pending = 0;
            }
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::check_map_run_arn;

    #[test]
    fn map_run_arns() {
        assert!(check_map_run_arn("arn:aws:states:us-east-1:123456789012:mapRun:m/l:abc").is_ok());
        for bad in [
            "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "arn:aws:states:us-east-1:123456789012:mapRun:m",
            "arn:aws:states:us-east-1:123456789012:mapRun:m/l",
            "nope",
        ] {
            assert!(check_map_run_arn(bad).is_err(), "{bad}");
        }
    }
}
