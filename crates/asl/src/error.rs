//! Errors that happen *inside* an execution: data, not Rust failures.
//!
//! A [`Fault`] is what AWS records as `error` and `cause`; it can be retried
//! and caught. Names follow the States Language spec (`States.Runtime`, …).

/// An execution-level error: the `Error` and `Cause` AWS records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The error name, e.g. `States.Runtime` or a user's `MyError`.
    pub error: String,
    /// The human-readable cause text.
    pub cause: String,
}

impl Fault {
    /// A fault with the given name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Fault { error: error.into(), cause: cause.into() }
    }
    /// `States.Runtime`: not retriable, only caught by `States.ALL`… per spec.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Fault::new(names::RUNTIME, cause)
    }
}

/// The predefined error names of the States Language.
pub mod names {
    /// Matches any error name (only valid alone and last in Retry/Catch).
    pub const ALL: &str = "States.ALL";
    /// A Task's `TimeoutSeconds` elapsed.
    pub const TIMEOUT: &str = "States.Timeout";
    /// No heartbeat within `HeartbeatSeconds`.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// A task failed (matches every task failure except timeouts).
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// Runtime errors such as a path that does not match.
    pub const RUNTIME: &str = "States.Runtime";
    /// A Choice found no matching rule and has no Default.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// A Parameters path did not match.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// A ResultPath could not be applied.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// A Parallel branch failed.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// A Map item failed beyond the tolerated threshold.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// A payload exceeded the size limit.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// Insufficient privileges.
    pub const PERMISSIONS: &str = "States.Permissions";
    /// Map items were not an array, etc.
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
}
