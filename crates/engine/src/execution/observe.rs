//! Metrics taken where history events are recorded: every event of every execution passes
//! through [`Running::push_event`], so counting there misses none and needs no second
//! list of places; a task's events are taken in `frame_event`, which knows the frame and
//! so the Task's Resource. Names, units and dimensions are AWS's CloudWatch ones
//! ([`crate::telemetry`]).
//!
//! Most events are not measured (a state's Entered and Exited events): one `match` that
//! falls through is all they cost.
use super::*;
use crate::telemetry::{self, TaskNames};

/// When a task of a frame was scheduled and started (epoch ms), for its durations.
///
/// Kept in memory only: a task in flight across a restart is still counted when it ends,
/// but its durations are not measured.
#[derive(Debug, Default)]
pub(crate) struct TaskClocks(std::collections::HashMap<FrameId, (i64, Option<i64>)>);

/// What an event does to a task.
#[derive(Clone, Copy)]
enum Step {
    Scheduled,
    Started,
    Succeeded,
    Failed,
    TimedOut,
    HeartbeatTimedOut,
}

impl Running {
    /// Counts an execution's start, end or redrive, by its state machine.
    pub(super) fn observe_execution(&self, now: i64, kind: &EventKind) {
        let (name, ends) = match kind {
            EventKind::ExecutionStarted { .. } => (telemetry::EXECUTIONS_STARTED, false),
            EventKind::ExecutionSucceeded { .. } => (telemetry::EXECUTIONS_SUCCEEDED, true),
            EventKind::ExecutionFailed(_) => (telemetry::EXECUTIONS_FAILED, true),
            EventKind::ExecutionAborted(_) => (telemetry::EXECUTIONS_ABORTED, true),
            EventKind::ExecutionTimedOut(_) => (telemetry::EXECUTIONS_TIMED_OUT, true),
            EventKind::ExecutionRedriven { .. } => (telemetry::EXECUTIONS_REDRIVEN, false),
            _ => return,
        };
        let machine = self.record.state_machine_arn.clone();
        if ends {
            let elapsed = (now - self.record.start_ms).max(0) as f64;
            metrics::histogram!(telemetry::EXECUTION_TIME, telemetry::STATE_MACHINE_ARN => machine.clone())
                .record(elapsed);
        }
        metrics::counter!(name, telemetry::STATE_MACHINE_ARN => machine).increment(1);
    }

    /// Counts what happens to the task of `frame` (an activity, a bare Lambda function or a
    /// service integration), by the Task's Resource, and measures its durations.
    pub(super) fn observe_task(&mut self, frame: FrameId, now: i64, kind: &EventKind) {
        use EventKind::*;
        use Step::*;
        let activities = telemetry::ACTIVITIES;
        let lambdas = telemetry::LAMBDA_FUNCTIONS;
        let services = telemetry::SERVICE_INTEGRATIONS;
        let (names, step): (TaskNames, Step) = match kind {
            ActivityScheduled { .. } => (activities, Scheduled),
            ActivityStarted { .. } => (activities, Started),
            ActivitySucceeded { .. } => (activities, Succeeded),
            ActivityFailed(_) | ActivityScheduleFailed(_) => (activities, Failed),
            ActivityTimedOut(ec) if is_heartbeat(ec) => (activities, HeartbeatTimedOut),
            ActivityTimedOut(_) => (activities, TimedOut),
            LambdaFunctionScheduled { .. } => (lambdas, Scheduled),
            LambdaFunctionStarted => (lambdas, Started),
            LambdaFunctionSucceeded { .. } => (lambdas, Succeeded),
            LambdaFunctionFailed(_) => (lambdas, Failed),
            LambdaFunctionTimedOut(_) => (lambdas, TimedOut),
            TaskScheduled { .. } | TaskScheduledV1 { .. } => (services, Scheduled),
            TaskStarted { .. } => (services, Started),
            TaskSucceeded { .. } => (services, Succeeded),
            TaskFailed { .. } => (services, Failed),
            TaskTimedOut { .. } => (services, TimedOut),
            _ => return,
        };
        let Some(resource) = self.machine.state(self.frames[frame].state).resource() else {
            return;
        };
        let resource = resource.to_owned();
        let (name, closes) = match step {
            Scheduled => (names.scheduled, false),
            Started => (names.started, false),
            Succeeded => (names.succeeded, true),
            Failed => (names.failed, true),
            TimedOut => (names.timed_out, true),
            HeartbeatTimedOut => (names.heartbeat_timed_out, true),
        };
        let clocks = &mut self.task_clocks.0;
        let mut durations: [(&'static str, Option<i64>); 3] = [("", None); 3];
        match step {
            Scheduled => {
                clocks.insert(frame, (now, None));
            }
            Started => {
                if let Some((scheduled, started)) = clocks.get_mut(&frame) {
                    *started = Some(now);
                    durations[0] = (names.schedule_time, Some(now - *scheduled));
                }
            }
            _ if closes => {
                if let Some((scheduled, started)) = clocks.remove(&frame) {
                    durations[1] = (names.time, Some(now - scheduled));
                    durations[2] = (names.run_time, started.map(|s| now - s));
                }
            }
            _ => {}
        }
        for (histogram, ms) in durations {
            if let Some(ms) = ms {
                metrics::histogram!(histogram, names.dimension => resource.clone())
                    .record(ms.max(0) as f64);
            }
        }
        metrics::counter!(name, names.dimension => resource).increment(1);
    }
}

/// A heartbeat's timeout (`States.HeartbeatTimeout`), which AWS counts apart.
fn is_heartbeat(ec: &ErrorCause) -> bool {
    ec.error.as_deref() == Some("States.HeartbeatTimeout")
}
