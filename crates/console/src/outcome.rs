//! What each state did in an execution, read from its history: every *visit* (one
//! `…StateEntered` and what followed from it) and each state's outcome, which colours the
//! graph.
//!
//! Events name their state only when it is entered and exited; the events between (a task's
//! scheduling, its failure) are tied to it by `previousEventId`, which AWS's histories (and
//! Stepwise's) chain from each event to the one it follows from, branch by branch. So an
//! event belongs to the visit its `previousEventId` belongs to, even when Parallel branches
//! and Map iterations interleave.
use std::collections::HashMap;

use stepwise_engine::history::{ErrorCause, EventKind, HistoryEvent};
use stepwise_engine::model::ExecutionStatus;

/// A state's outcome, as the graph and the table show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Entered and left normally (after retries, perhaps).
    Succeeded,
    /// Failed, and a Catch took the execution elsewhere.
    Caught,
    /// Failed (or was stopped) with nothing to catch it.
    Failed,
    /// Entered and not left yet.
    Running,
}

impl Outcome {
    /// The CSS class suffix and the word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Caught => "caught",
            Outcome::Failed => "failed",
            Outcome::Running => "running",
        }
    }
}

/// One visit of a state.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The state's name.
    pub name: String,
    /// Its type (`Task`, `Map`, …).
    pub kind: &'static str,
    /// The `…StateEntered` event's id.
    pub entered_id: u64,
    /// When it was entered (epoch ms).
    pub start_ms: i64,
    /// When it was left, if it was.
    pub end_ms: Option<i64>,
    /// Its input.
    pub input: String,
    /// Its output, once left.
    pub output: Option<String>,
    /// The last failure recorded in the visit.
    pub error: Option<ErrorCause>,
    /// What became of it.
    pub outcome: Outcome,
    /// Whether the last thing that happened to its work was a failure (then a later exit is
    /// a catch).
    failed_last: bool,
    /// The Parallel or Map visit it runs in.
    parent: Option<usize>,
    /// Whether it runs in a Map iteration (at any depth): such visits are many, and the
    /// table shows them state by state.
    pub in_map: bool,
}

/// The visits of an execution, in the order they began.
pub fn visits(events: &[HistoryEvent], status: ExecutionStatus) -> Vec<Visit> {
    let mut visits: Vec<Visit> = Vec::new();
    // Each event's visit, and whether the event is that visit's exit.
    let mut visit_of: HashMap<u64, (usize, bool)> = HashMap::with_capacity(events.len());
    for event in events {
        let from = visit_of.get(&event.previous_event_id).copied();
        let here = match &event.kind {
            EventKind::StateEntered { state, name, input } => {
                // After a state's exit comes its sibling; otherwise the state is entered
                // inside the Parallel or Map the previous event belongs to.
                let parent = match from {
                    Some((i, true)) => visits[i].parent,
                    Some((i, false)) => Some(i),
                    None => None,
                };
                let in_map = parent.is_some_and(|p| visits[p].kind == "Map" || visits[p].in_map);
                visits.push(Visit {
                    in_map,
                    name: name.clone(),
                    kind: state.as_str(),
                    entered_id: event.id,
                    start_ms: event.timestamp_ms,
                    end_ms: None,
                    input: input.clone(),
                    output: None,
                    error: None,
                    outcome: Outcome::Running,
                    failed_last: false,
                    parent,
                });
                Some((visits.len() - 1, false))
            }
            // A Parallel's or Map's exit follows its last branch's event: it belongs to the
            // nearest enclosing visit of that name.
            EventKind::StateExited { name, output, .. } => {
                let found = from.and_then(|(i, _)| enclosing(&visits, i, |v| v.name == *name));
                if let Some(i) = found {
                    let v = &mut visits[i];
                    v.end_ms = Some(event.timestamp_ms);
                    v.output = Some(output.clone());
                    v.outcome = if v.failed_last { Outcome::Caught } else { Outcome::Succeeded };
                }
                found.map(|i| (i, true))
            }
            kind => {
                let found = match from {
                    Some((i, _)) if is_fork_event(kind) => {
                        enclosing(&visits, i, |v| matches!(v.kind, "Parallel" | "Map"))
                    }
                    Some((i, _)) => Some(i),
                    None => None,
                };
                // A Parallel or Map fails with its child's error.
                let child_error = from.and_then(|(i, _)| visits[i].error.clone());
                if let Some(v) = found.map(|i| &mut visits[i]) {
                    if let Some(mut error) = failure(kind) {
                        if error.error.is_none() {
                            error = child_error.unwrap_or_default();
                        }
                        if error.error.is_some() || v.error.is_none() {
                            v.error = Some(error);
                        }
                        v.failed_last = true;
                    } else if is_success(kind) {
                        v.failed_last = false;
                    }
                }
                found.map(|i| (i, false))
            }
        };
        if let Some(at) = here {
            visit_of.insert(event.id, at);
        }
    }
    // Visits still open when the execution ended failed, timed out or was stopped.
    if status != ExecutionStatus::Running {
        let end = events.last().map_or(0, |e| e.timestamp_ms);
        for v in visits.iter_mut().filter(|v| v.outcome == Outcome::Running) {
            v.outcome = Outcome::Failed;
            v.end_ms = Some(end);
            if v.error.is_none() {
                v.error = execution_error(events);
            }
        }
    }
    visits
}

/// Each state's outcome over all its visits: running over failed over caught over
/// succeeded (a Map's inner states run once per item).
pub fn by_state(visits: &[Visit]) -> HashMap<&str, Outcome> {
    let mut out: HashMap<&str, Outcome> = HashMap::new();
    for v in visits {
        let slot = out.entry(v.name.as_str()).or_insert(v.outcome);
        *slot = (*slot).max(v.outcome);
    }
    out
}

/// Visit `i` or the nearest visit enclosing it that `wanted` accepts.
fn enclosing(visits: &[Visit], mut i: usize, wanted: impl Fn(&Visit) -> bool) -> Option<usize> {
    loop {
        if wanted(&visits[i]) {
            return Some(i);
        }
        i = visits[i].parent?;
    }
}

/// Events of a Parallel or Map state itself, which follow from its children's last events.
fn is_fork_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::ParallelStateSucceeded
            | EventKind::ParallelStateFailed
            | EventKind::ParallelStateAborted
            | EventKind::MapStateSucceeded
            | EventKind::MapStateFailed
            | EventKind::MapStateAborted
            | EventKind::MapIterationStarted { .. }
            | EventKind::MapIterationSucceeded { .. }
            | EventKind::MapIterationFailed { .. }
            | EventKind::MapIterationAborted { .. }
    )
}

/// The error and cause of a failure event.
fn failure(kind: &EventKind) -> Option<ErrorCause> {
    Some(match kind {
        EventKind::ActivityFailed(ec)
        | EventKind::ActivityTimedOut(ec)
        | EventKind::ActivityScheduleFailed(ec)
        | EventKind::LambdaFunctionFailed(ec)
        | EventKind::LambdaFunctionTimedOut(ec) => ec.clone(),
        EventKind::TaskFailed { error, .. } | EventKind::TaskTimedOut { error, .. } => {
            error.clone()
        }
        EventKind::EvaluationFailed { error, cause, .. } => {
            ErrorCause { error: Some(error.clone()), cause: Some(cause.clone()) }
        }
        EventKind::ParallelStateFailed | EventKind::MapStateFailed => ErrorCause::default(),
        _ => return None,
    })
}

/// Events after which a state's work stands done (a retry that succeeded).
fn is_success(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::ActivitySucceeded { .. }
            | EventKind::TaskSucceeded { .. }
            | EventKind::LambdaFunctionSucceeded { .. }
            | EventKind::ParallelStateSucceeded
            | EventKind::MapStateSucceeded
            | EventKind::ActivityScheduled { .. }
            | EventKind::TaskScheduled { .. }
            | EventKind::LambdaFunctionScheduled { .. }
    )
}

/// The execution's own error and cause, from its last event.
pub fn execution_error(events: &[HistoryEvent]) -> Option<ErrorCause> {
    match &events.last()?.kind {
        EventKind::ExecutionFailed(ec)
        | EventKind::ExecutionAborted(ec)
        | EventKind::ExecutionTimedOut(ec) => Some(ec.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_engine::history::EventKind as K;

    fn ev(id: u64, prev: u64, kind: EventKind) -> HistoryEvent {
        HistoryEvent { id, previous_event_id: prev, timestamp_ms: id as i64 * 10, kind }
    }

    fn entered(name: &str, kind: stepwise_asl::StateKind) -> EventKind {
        K::StateEntered { state: kind, name: name.into(), input: "{}".into() }
    }

    fn exited(name: &str, kind: stepwise_asl::StateKind) -> EventKind {
        K::StateExited { state: kind, name: name.into(), output: "{}".into(), assigned: None }
    }

    #[test]
    fn a_caught_failure_a_retried_success_and_an_open_state() {
        use stepwise_asl::StateKind::{Pass, Task, Wait};
        let err = ErrorCause { error: Some("Boom".into()), cause: Some("why".into()) };
        let events = vec![
            ev(1, 0, K::ExecutionStarted { input: "{}".into(), role_arn: "r".into() }),
            ev(2, 0, entered("T", Task)),
            ev(3, 2, K::ActivityFailed(err.clone())),
            ev(4, 3, exited("T", Task)),
            ev(5, 4, entered("R", Task)),
            ev(6, 5, K::ActivityFailed(err.clone())),
            ev(
                7,
                6,
                K::ActivityScheduled {
                    resource: "a".into(),
                    input: "{}".into(),
                    timeout_seconds: None,
                    heartbeat_seconds: None,
                },
            ),
            ev(8, 7, K::ActivitySucceeded { output: "{}".into() }),
            ev(9, 8, exited("R", Task)),
            ev(10, 9, entered("P", Pass)),
            ev(11, 10, exited("P", Pass)),
            ev(12, 11, entered("W", Wait)),
        ];
        let running = visits(&events, ExecutionStatus::Running);
        let outcomes: Vec<_> = running.iter().map(|v| (v.name.as_str(), v.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                ("T", Outcome::Caught),
                ("R", Outcome::Succeeded),
                ("P", Outcome::Succeeded),
                ("W", Outcome::Running)
            ]
        );
        assert_eq!(running[0].error, Some(err));
        let stopped = visits(&events, ExecutionStatus::Aborted);
        assert_eq!(stopped[3].outcome, Outcome::Failed);
    }

    /// AWS's `SQS_PARALLEL_WAIT_FOR_TASK_TOKEN` history: the Parallel's own events follow
    /// from its branch's failure.
    #[test]
    fn a_parallel_caught_after_its_branch_failed() {
        use stepwise_asl::StateKind::{Parallel, Pass, Task};
        let events = vec![
            ev(1, 0, K::ExecutionStarted { input: "{}".into(), role_arn: "r".into() }),
            ev(2, 0, entered("ParallelJob", Parallel)),
            ev(3, 2, K::ParallelStateStarted),
            ev(4, 3, entered("Send", Task)),
            ev(
                8,
                4,
                K::TaskFailed {
                    resource_type: "sqs".into(),
                    resource: "x".into(),
                    error: ErrorCause { error: Some("E".into()), cause: None },
                },
            ),
            ev(10, 8, K::ParallelStateFailed),
            ev(11, 10, exited("ParallelJob", Parallel)),
            ev(12, 11, entered("Caught", Pass)),
            ev(13, 12, exited("Caught", Pass)),
        ];
        let all = visits(&events, ExecutionStatus::Succeeded);
        let outcomes: Vec<_> = all.iter().map(|v| (v.name.as_str(), v.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                ("ParallelJob", Outcome::Caught),
                ("Send", Outcome::Failed),
                ("Caught", Outcome::Succeeded)
            ]
        );
        assert_eq!(all[0].error.as_ref().and_then(|e| e.error.as_deref()), Some("E"));
    }

    #[test]
    fn the_worst_visit_colours_the_state() {
        use stepwise_asl::StateKind::Task;
        let events = vec![
            ev(1, 0, entered("T", Task)),
            ev(2, 1, exited("T", Task)),
            ev(3, 0, entered("T", Task)),
            ev(4, 3, K::ActivityFailed(ErrorCause::default())),
        ];
        let all = visits(&events, ExecutionStatus::Failed);
        assert_eq!(by_state(&all)["T"], Outcome::Failed);
    }
}
