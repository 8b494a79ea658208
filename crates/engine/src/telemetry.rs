//! The names of the metrics the engine emits, through the `metrics` facade.
//!
//! The engine only calls the facade's macros; which recorder turns them into something
//! readable (`stepwise serve` renders Prometheus text at `GET /metrics`) is the binary's
//! choice. Without a recorder the macros do nothing. Where AWS's CloudWatch has a metric
//! for an event (namespace `AWS/States`), the name, unit and dimension are AWS's, so a
//! dashboard built for Step Functions reads Stepwise's; the server's own metrics are
//! prefixed `stepwise_`.
//!
//! Counts are taken when the history event is recorded (`execution/observe.rs`), which is
//! one place for Standard and Express executions alike; a decision whose batch then fails
//! to commit is decided again after its execution reloads, and counted again.

/// The dimension of the execution metrics: the state machine's ARN.
pub const STATE_MACHINE_ARN: &str = "StateMachineArn";
/// The dimension of the activity metrics.
pub const ACTIVITY_ARN: &str = "ActivityArn";
/// The dimension of the metrics of Tasks whose Resource is a bare Lambda function ARN.
pub const LAMBDA_FUNCTION_ARN: &str = "LambdaFunctionArn";
/// The dimension of the service integration metrics: the Task's Resource.
pub const SERVICE_INTEGRATION_RESOURCE_ARN: &str = "ServiceIntegrationResourceArn";

/// Executions started (count).
pub const EXECUTIONS_STARTED: &str = "ExecutionsStarted";
/// Executions that succeeded (count).
pub const EXECUTIONS_SUCCEEDED: &str = "ExecutionsSucceeded";
/// Executions that failed (count).
pub const EXECUTIONS_FAILED: &str = "ExecutionsFailed";
/// Executions stopped by `StopExecution` (count).
pub const EXECUTIONS_ABORTED: &str = "ExecutionsAborted";
/// Executions past their `TimeoutSeconds` (count).
pub const EXECUTIONS_TIMED_OUT: &str = "ExecutionsTimedOut";
/// Executions redriven (count).
pub const EXECUTIONS_REDRIVEN: &str = "ExecutionsRedriven";
/// From an execution's start to its end, in milliseconds (histogram).
pub const EXECUTION_TIME: &str = "ExecutionTime";

/// The group-commit pipeline: decisions (batches) written per transaction (histogram).
pub const COMMIT_BATCHES: &str = "stepwise_commit_batches";
/// The group-commit pipeline: seconds one transaction took, fsync included (histogram).
pub const COMMIT_SECONDS: &str = "stepwise_commit_duration_seconds";
/// Transactions the store refused (count): their executions reload from the store.
pub const COMMIT_FAILURES: &str = "stepwise_commit_failures_total";

/// What happens to a task of one kind, each with AWS's metric name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskNames {
    /// The dimension naming the Task's Resource.
    pub(crate) dimension: &'static str,
    pub(crate) scheduled: &'static str,
    pub(crate) started: &'static str,
    pub(crate) succeeded: &'static str,
    pub(crate) failed: &'static str,
    pub(crate) timed_out: &'static str,
    /// Heartbeat timeouts, where AWS counts them apart (activities only).
    pub(crate) heartbeat_timed_out: &'static str,
    /// Scheduled to started, ms.
    pub(crate) schedule_time: &'static str,
    /// Started to closed, ms.
    pub(crate) run_time: &'static str,
    /// Scheduled to closed, ms.
    pub(crate) time: &'static str,
}

/// Activity tasks (`ActivityArn`).
pub(crate) const ACTIVITIES: TaskNames = TaskNames {
    dimension: ACTIVITY_ARN,
    scheduled: "ActivitiesScheduled",
    started: "ActivitiesStarted",
    succeeded: "ActivitiesSucceeded",
    failed: "ActivitiesFailed",
    timed_out: "ActivitiesTimedOut",
    heartbeat_timed_out: "ActivitiesHeartbeatTimedOut",
    schedule_time: "ActivityScheduleTime",
    run_time: "ActivityRunTime",
    time: "ActivityTime",
};

/// Tasks whose Resource is a bare Lambda function ARN (`LambdaFunctionArn`).
pub(crate) const LAMBDA_FUNCTIONS: TaskNames = TaskNames {
    dimension: LAMBDA_FUNCTION_ARN,
    scheduled: "LambdaFunctionsScheduled",
    started: "LambdaFunctionsStarted",
    succeeded: "LambdaFunctionsSucceeded",
    failed: "LambdaFunctionsFailed",
    timed_out: "LambdaFunctionsTimedOut",
    heartbeat_timed_out: "LambdaFunctionsTimedOut",
    schedule_time: "LambdaFunctionScheduleTime",
    run_time: "LambdaFunctionRunTime",
    time: "LambdaFunctionTime",
};

/// Service integration Tasks (`ServiceIntegrationResourceArn`).
pub(crate) const SERVICE_INTEGRATIONS: TaskNames = TaskNames {
    dimension: SERVICE_INTEGRATION_RESOURCE_ARN,
    scheduled: "ServiceIntegrationsScheduled",
    started: "ServiceIntegrationsStarted",
    succeeded: "ServiceIntegrationsSucceeded",
    failed: "ServiceIntegrationsFailed",
    timed_out: "ServiceIntegrationsTimedOut",
    heartbeat_timed_out: "ServiceIntegrationsTimedOut",
    schedule_time: "ServiceIntegrationScheduleTime",
    run_time: "ServiceIntegrationRunTime",
    time: "ServiceIntegrationTime",
};

/// The histograms measured in milliseconds, as AWS measures them (for a recorder that
/// needs bucket bounds per metric).
pub const MILLISECOND_HISTOGRAMS: &[&str] = &[
    EXECUTION_TIME,
    "ActivityScheduleTime",
    "ActivityRunTime",
    "ActivityTime",
    "LambdaFunctionScheduleTime",
    "LambdaFunctionRunTime",
    "LambdaFunctionTime",
    "ServiceIntegrationScheduleTime",
    "ServiceIntegrationRunTime",
    "ServiceIntegrationTime",
];

/// Describes every metric the engine emits (help text and unit), for the recorder's output.
/// Call once after installing a recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(EXECUTIONS_STARTED, Unit::Count, "Executions started");
    describe_counter!(EXECUTIONS_SUCCEEDED, Unit::Count, "Executions that succeeded");
    describe_counter!(EXECUTIONS_FAILED, Unit::Count, "Executions that failed");
    describe_counter!(EXECUTIONS_ABORTED, Unit::Count, "Executions aborted (StopExecution)");
    describe_counter!(EXECUTIONS_TIMED_OUT, Unit::Count, "Executions that timed out");
    describe_counter!(EXECUTIONS_REDRIVEN, Unit::Count, "Executions redriven");
    describe_histogram!(
        EXECUTION_TIME,
        Unit::Milliseconds,
        "Milliseconds from an execution's start to its end"
    );
    for names in [ACTIVITIES, LAMBDA_FUNCTIONS, SERVICE_INTEGRATIONS] {
        describe_counter!(names.scheduled, Unit::Count, "Tasks scheduled");
        describe_counter!(names.started, Unit::Count, "Tasks started");
        describe_counter!(names.succeeded, Unit::Count, "Tasks that succeeded");
        describe_counter!(names.failed, Unit::Count, "Tasks that failed");
        describe_counter!(names.timed_out, Unit::Count, "Tasks that timed out");
        describe_histogram!(
            names.schedule_time,
            Unit::Milliseconds,
            "Milliseconds from a task's scheduling to its start"
        );
        describe_histogram!(
            names.run_time,
            Unit::Milliseconds,
            "Milliseconds from a task's start to its end"
        );
        describe_histogram!(
            names.time,
            Unit::Milliseconds,
            "Milliseconds from a task's scheduling to its end"
        );
    }
    describe_counter!(
        ACTIVITIES.heartbeat_timed_out,
        Unit::Count,
        "Activity tasks whose heartbeat timed out"
    );
    describe_histogram!(COMMIT_BATCHES, Unit::Count, "Decisions written per store transaction");
    describe_histogram!(COMMIT_SECONDS, Unit::Seconds, "Seconds one store transaction took");
    describe_counter!(COMMIT_FAILURES, Unit::Count, "Store transactions that failed");
}
