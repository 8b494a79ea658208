//! Distributed Map states: their iterations run as a *Map Run*.
//!
//! A Map Run reuses the inline Map's fork (`forks.rs`): at most `MaxConcurrency`
//! iterations are frames at once, the items not started yet and the results are the
//! snapshot's parts, written once each, so a Map Run over N items holds what runs and
//! writes O(N) bytes. What differs is what the execution records: AWS records an
//! iteration in the iteration's own child execution, not in its parent's history, so the
//! frames of a Map Run are *quiet* (they record no event in the parent), and the parent
//! records `MapRunStarted` with the Map Run's ARN and `MapRunSucceeded`/`MapRunFailed`.
//! Failed iterations are tolerated up to `ToleratedFailureCount`/`Percentage`, past
//! which the Map Run fails with `States.ExceedToleratedFailureThreshold`.
//! The counts `DescribeMapRun` shows go to the engine as a [`MapRunRecord`] at each
//! change (`Running::map_run_updates`).
use super::*;
use crate::engine::map_runs::{MapRunCounts, MapRunRecord, MapRunStatus, MapRunUpdate};

/// AWS's error when failed iterations pass the threshold.
const EXCEEDED: &str = "States.ExceedToleratedFailureThreshold";
const EXCEEDED_CAUSE: &str = "The specified tolerated failure threshold was exceeded";

/// A Map Run in progress, kept in its fork (and so in the snapshot).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MapRun {
    pub(super) arn: String,
    /// `arn:…:stateMachine:<machine>/<label or id>`.
    state_machine_arn: String,
    start_ms: i64,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
    pub(super) succeeded: u64,
    failed: u64,
}

impl MapRun {
    /// Whether `failed` iterations of `total` pass the tolerated threshold: with neither
    /// field set, any failure does; with both, either one passed does.
    fn exceeded(&self, total: u64) -> bool {
        if self.failed == 0 {
            return false;
        }
        let (count, percentage) = (self.tolerated_count, self.tolerated_percentage);
        if count.is_none() && percentage.is_none() {
            return true;
        }
        let by_count = count.is_some_and(|c| self.failed > c);
        let by_percentage = percentage
            .is_some_and(|p| total > 0 && (self.failed as f64) * 100.0 / (total as f64) > p);
        by_count || by_percentage
    }
}

/// A UUID-shaped id from two draws of the execution's generator (deterministic per seed).
fn uuid_from(a: u64, b: u64) -> String {
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][(b >> 62) as usize],
        &hex[17..20],
        &hex[20..32]
    )
}

impl Running {
    /// Whether `frame`'s state is a Distributed Map.
    pub(super) fn is_distributed(&self, frame: FrameId) -> bool {
        self.machine.state(self.frames[frame].state).is_distributed_map()
    }

    /// Starts the Map Run of a Distributed Map state at `frame`: mints its ARN and records
    /// `MapRunStarted`.
    pub(super) fn start_map_run(
        &mut self,
        frame: FrameId,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
        now: i64,
    ) -> MapRun {
        let id = uuid_from(self.next_seed(), self.next_seed());
        let label = match self.machine.state(self.frames[frame].state).label() {
            Some(label) => label.to_owned(),
            None => uuid_from(self.next_seed(), self.next_seed()),
        };
        // `arn:<partition>:states:<region>:<account>:stateMachine:<name>` of the parent's
        // machine, with a version or alias suffix cut.
        let machine_arn = self.record.state_machine_arn.clone();
        let prefix: Vec<&str> = machine_arn.splitn(6, ':').take(5).collect();
        let prefix = prefix.join(":");
        let name = &self.state_machine_name;
        let map_run = MapRun {
            arn: format!("{prefix}:mapRun:{name}/{label}:{id}"),
            state_machine_arn: format!("{prefix}:stateMachine:{name}/{label}"),
            start_ms: now,
            tolerated_count,
            tolerated_percentage,
            succeeded: 0,
            failed: 0,
        };
        self.frame_event(frame, now, EventKind::MapRunStarted { map_run_arn: map_run.arn.clone() });
        map_run
    }

    /// Whether `frame` waits on a Map Run's iterations.
    pub(super) fn runs_map_run(&self, frame: FrameId) -> bool {
        matches!(&self.frames[frame].phase, Phase::Fork(Fork { map_run: Some(_), .. }))
    }

    /// An iteration of the Map Run at `parent` failed with `fault`. Tolerated: its slot
    /// holds the error and the run goes on (true). Past the threshold: the run fails,
    /// `MapRunFailed` is recorded, and the caller fails the state (false, with the fault).
    pub(super) fn iteration_failed(
        &mut self,
        parent: FrameId,
        slot: usize,
        fault: &Fault,
        now: i64,
    ) -> Result<(), Fault> {
        let Phase::Fork(fork) = &mut self.frames[parent].phase else { return Ok(()) };
        let total = fork.len as u64;
        let Some(run) = fork.map_run.as_mut() else { return Ok(()) };
        run.failed += 1;
        if run.exceeded(total) {
            let fault = Fault::new(EXCEEDED, EXCEEDED_CAUSE);
            self.map_run_ended(parent, MapRunStatus::Failed, now);
            let failed = EventKind::MapRunFailed(error_cause(&fault));
            self.frame_event(parent, now, failed);
            return Err(fault);
        }
        let output = json!({ "Error": fault.error, "Cause": fault.cause });
        self.iteration_done(parent, slot, output, 0, now);
        Ok(())
    }

    /// The Map Run at `frame` ends with all its iterations done: `MapRunSucceeded`.
    pub(super) fn map_run_succeeded(&mut self, frame: FrameId, now: i64) {
        self.map_run_ended(frame, MapRunStatus::Succeeded, now);
        self.frame_event(frame, now, EventKind::MapRunSucceeded);
    }

    /// Hands the engine the Map Run's record as it now stands.
    pub(super) fn report_map_run(&mut self, frame: FrameId, status: MapRunStatus, now: i64) {
        let Some(Frame { phase: Phase::Fork(fork), .. }) = self.frames.get(frame) else {
            return;
        };
        let Some(run) = &fork.map_run else { return };
        let counts = MapRunCounts {
            pending: fork.queued.len() as u64,
            running: if status == MapRunStatus::Running { fork.running as u64 } else { 0 },
            succeeded: run.succeeded,
            failed: run.failed,
            timed_out: 0,
            aborted: if status == MapRunStatus::Running {
                0
            } else {
                (fork.len as u64).saturating_sub(run.succeeded + run.failed)
            },
            total: fork.len as u64,
            results_written: run.succeeded,
        };
        let counts = MapRunCounts {
            pending: if status == MapRunStatus::Running { counts.pending } else { 0 },
            ..counts
        };
        let record = MapRunRecord {
            map_run_arn: run.arn.clone(),
            execution_arn: self.record.arn.clone(),
            state_machine_arn: run.state_machine_arn.clone(),
            status,
            start_ms: run.start_ms,
            stop_ms: (status != MapRunStatus::Running).then_some(now),
            max_concurrency: fork.max_concurrency as u64,
            tolerated_failure_count: run.tolerated_count.unwrap_or(0),
            tolerated_failure_percentage: run.tolerated_percentage.unwrap_or(0.0),
            item_counts: counts,
            execution_counts: counts,
        };
        self.map_run_updates.push(record);
    }

    fn map_run_ended(&mut self, frame: FrameId, status: MapRunStatus, now: i64) {
        self.report_map_run(frame, status, now);
    }

    /// `UpdateMapRun` on a running execution: true if one of its forks runs `arn`.
    pub(crate) fn update_map_run(&mut self, arn: &str, update: MapRunUpdate, now: i64) -> bool {
        let found = self.frames.live.iter().find_map(|(id, f)| match &f.phase {
            Phase::Fork(Fork { map_run: Some(run), .. }) if run.arn == arn => Some(*id),
            _ => None,
        });
        let Some(frame) = found else { return false };
        let Phase::Fork(fork) = &mut self.frames[frame].phase else { return false };
        let Some(run) = fork.map_run.as_mut() else { return false };
        if let Some(c) = update.tolerated_failure_count {
            run.tolerated_count = Some(c);
        }
        if let Some(p) = update.tolerated_failure_percentage {
            run.tolerated_percentage = Some(p);
        }
        if let Some(m) = update.max_concurrency {
            fork.max_concurrency = usize::try_from(m).unwrap_or(usize::MAX);
        }
        self.record_dirty = true;
        // A higher limit starts more iterations now.
        let is_map = fork.is_map;
        let limit = if fork.max_concurrency == 0 { usize::MAX } else { fork.max_concurrency };
        let mut launch = Vec::new();
        while fork.running + launch.len() < limit {
            let Some(child) = fork.queued.pop_front() else { break };
            fork.next = child.0 + 1;
            launch.push(child);
        }
        for (slot, start, input) in launch {
            if let Phase::Fork(fork) = &mut self.frames[frame].phase {
                fork.running += 1;
            }
            self.spawn_child(frame, slot, start, input, is_map, now);
        }
        self.report_map_run(frame, MapRunStatus::Running, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(count: Option<u64>, percentage: Option<f64>, failed: u64) -> MapRun {
        MapRun {
            arn: String::new(),
            state_machine_arn: String::new(),
            start_ms: 0,
            tolerated_count: count,
            tolerated_percentage: percentage,
            succeeded: 0,
            failed,
        }
    }

    #[test]
    fn thresholds() {
        assert!(!run(None, None, 0).exceeded(10));
        assert!(run(None, None, 1).exceeded(10));
        assert!(!run(Some(1), None, 1).exceeded(10));
        assert!(run(Some(1), None, 2).exceeded(10));
        assert!(!run(None, Some(20.0), 2).exceeded(10));
        assert!(run(None, Some(20.0), 3).exceeded(10));
        assert!(run(Some(5), Some(10.0), 2).exceeded(10));
    }

    #[test]
    fn uuids_have_the_shape() {
        let id = uuid_from(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        assert_eq!(id.len(), 36);
        assert_eq!(id.chars().filter(|c| *c == '-').count(), 4);
        assert_eq!(&id[14..15], "4");
    }
}
