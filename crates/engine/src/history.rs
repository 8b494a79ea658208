//! Execution history events: the source of truth of every execution.
//!
//! Event types and detail fields are AWS's (`TaskStateEntered` with
//! `stateEnteredEventDetails`, …); the API layer only renders them.
use serde::{Deserialize, Serialize};
use stepwise_asl::StateKind;

/// One event of an execution's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// 1-based, increasing by one within an execution.
    pub id: u64,
    /// The event this one follows from (0 for `ExecutionStarted`).
    pub previous_event_id: u64,
    /// Epoch milliseconds.
    pub timestamp_ms: i64,
    /// What happened.
    pub kind: EventKind,
}

/// Optional `error` and `cause` of failure events.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorCause {
    /// The error name.
    pub error: Option<String>,
    /// The cause text.
    pub cause: Option<String>,
}

/// The event types, with their details. JSON payloads are kept as text, as AWS returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum EventKind {
    ExecutionStarted {
        input: String,
        role_arn: String,
    },
    ExecutionSucceeded {
        output: String,
    },
    ExecutionFailed(ErrorCause),
    ExecutionAborted(ErrorCause),
    ExecutionTimedOut(ErrorCause),
    StateEntered {
        state: StateKind,
        name: String,
        input: String,
    },
    /// `assigned`: the variables the state assigned, values as JSON text.
    StateExited {
        state: StateKind,
        name: String,
        output: String,
        assigned: Option<Vec<(String, String)>>,
    },
    ActivityScheduled {
        resource: String,
        input: String,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
    },
    ActivityScheduleFailed(ErrorCause),
    ActivityStarted {
        worker_name: Option<String>,
    },
    ActivitySucceeded {
        output: String,
    },
    ActivityFailed(ErrorCause),
    ActivityTimedOut(ErrorCause),
    /// `TaskScheduled` as written before its time limits were recorded: read from older
    /// stores only (stores encode variants by position, so this one keeps its place).
    #[serde(rename = "TaskScheduled")]
    TaskScheduledV1 {
        resource_type: String,
        resource: String,
        region: String,
        parameters: String,
    },
    TaskStarted {
        resource_type: String,
        resource: String,
    },
    TaskSucceeded {
        resource_type: String,
        resource: String,
        output: String,
    },
    TaskFailed {
        resource_type: String,
        resource: String,
        error: ErrorCause,
    },
    /// A JSONata expression failed (`States.QueryEvaluationError`), before the failure itself.
    EvaluationFailed {
        error: String,
        cause: String,
        location: Option<String>,
        state: String,
    },
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateStarted {
        length: u64,
    },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted {
        name: String,
        index: u64,
    },
    MapIterationSucceeded {
        name: String,
        index: u64,
    },
    MapIterationFailed {
        name: String,
        index: u64,
    },
    MapIterationAborted {
        name: String,
        index: u64,
    },
    // New variants go below: stores encode variants by position.
    /// A service integration task (`resource_type` like `lambda` or `aws-sdk:dynamodb`,
    /// `resource` the action with its pattern, as `sendMessage.waitForTaskToken`).
    #[serde(rename = "TaskScheduled2")]
    TaskScheduled {
        resource_type: String,
        resource: String,
        region: String,
        parameters: String,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
    },
    /// The call of a `.waitForTaskToken` or `.sync` task answered; the task goes on.
    TaskSubmitted {
        resource_type: String,
        resource: String,
        output: String,
    },
    TaskTimedOut {
        resource_type: String,
        resource: String,
        error: ErrorCause,
    },
    /// A Task whose Resource is a bare Lambda function ARN (AWS's older form).
    LambdaFunctionScheduled {
        resource: String,
        input: String,
        timeout_seconds: Option<u64>,
    },
    LambdaFunctionStarted,
    LambdaFunctionSucceeded {
        output: String,
    },
    LambdaFunctionFailed(ErrorCause),
    LambdaFunctionTimedOut(ErrorCause),
    /// `RedriveExecution` restarted the execution (`redrive_count`: its redrives so far).
    ExecutionRedriven {
        redrive_count: u32,
    },
    /// A Distributed Map state started its Map Run.
    MapRunStarted {
        map_run_arn: String,
    },
    MapRunSucceeded,
    MapRunFailed(ErrorCause),
    MapRunAborted,
}

impl EventKind {
    /// AWS's event type name, e.g. `TaskStateEntered`.
    pub fn type_name(&self) -> &'static str {
        use EventKind::*;
        match self {
            ExecutionStarted { .. } => "ExecutionStarted",
            ExecutionSucceeded { .. } => "ExecutionSucceeded",
            ExecutionFailed(_) => "ExecutionFailed",
            ExecutionAborted(_) => "ExecutionAborted",
            ExecutionTimedOut(_) => "ExecutionTimedOut",
            StateEntered { state, .. } => entered_name(*state),
            StateExited { state, .. } => exited_name(*state),
            ActivityScheduled { .. } => "ActivityScheduled",
            ActivityScheduleFailed(_) => "ActivityScheduleFailed",
            ActivityStarted { .. } => "ActivityStarted",
            ActivitySucceeded { .. } => "ActivitySucceeded",
            ActivityFailed(_) => "ActivityFailed",
            ActivityTimedOut(_) => "ActivityTimedOut",
            TaskScheduled { .. } | TaskScheduledV1 { .. } => "TaskScheduled",
            TaskSubmitted { .. } => "TaskSubmitted",
            TaskTimedOut { .. } => "TaskTimedOut",
            LambdaFunctionScheduled { .. } => "LambdaFunctionScheduled",
            LambdaFunctionStarted => "LambdaFunctionStarted",
            LambdaFunctionSucceeded { .. } => "LambdaFunctionSucceeded",
            LambdaFunctionFailed(_) => "LambdaFunctionFailed",
            LambdaFunctionTimedOut(_) => "LambdaFunctionTimedOut",
            ExecutionRedriven { .. } => "ExecutionRedriven",
            TaskStarted { .. } => "TaskStarted",
            TaskSucceeded { .. } => "TaskSucceeded",
            TaskFailed { .. } => "TaskFailed",
            EvaluationFailed { .. } => "EvaluationFailed",
            ParallelStateStarted => "ParallelStateStarted",
            ParallelStateSucceeded => "ParallelStateSucceeded",
            ParallelStateFailed => "ParallelStateFailed",
            ParallelStateAborted => "ParallelStateAborted",
            MapStateStarted { .. } => "MapStateStarted",
            MapStateSucceeded => "MapStateSucceeded",
            MapStateFailed => "MapStateFailed",
            MapStateAborted => "MapStateAborted",
            MapIterationStarted { .. } => "MapIterationStarted",
            MapIterationSucceeded { .. } => "MapIterationSucceeded",
            MapIterationFailed { .. } => "MapIterationFailed",
            MapIterationAborted { .. } => "MapIterationAborted",
            MapRunStarted { .. } => "MapRunStarted",
            MapRunSucceeded => "MapRunSucceeded",
            MapRunFailed(_) => "MapRunFailed",
            MapRunAborted => "MapRunAborted",
        }
    }
}

fn entered_name(kind: StateKind) -> &'static str {
    match kind {
        StateKind::Pass => "PassStateEntered",
        StateKind::Task => "TaskStateEntered",
        StateKind::Choice => "ChoiceStateEntered",
        StateKind::Wait => "WaitStateEntered",
        StateKind::Succeed => "SucceedStateEntered",
        StateKind::Fail => "FailStateEntered",
        StateKind::Parallel => "ParallelStateEntered",
        StateKind::Map => "MapStateEntered",
    }
}

fn exited_name(kind: StateKind) -> &'static str {
    match kind {
        StateKind::Pass => "PassStateExited",
        StateKind::Task => "TaskStateExited",
        StateKind::Choice => "ChoiceStateExited",
        StateKind::Wait => "WaitStateExited",
        StateKind::Succeed => "SucceedStateExited",
        StateKind::Fail => "FailStateExited",
        StateKind::Parallel => "ParallelStateExited",
        StateKind::Map => "MapStateExited",
    }
}
