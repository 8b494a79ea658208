//! The records the engine keeps and the store persists.
//!
//! They derive serde so a store may encode them as it likes (the SQLite store uses JSON).
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// `STANDARD` or `EXPRESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MachineType {
    /// Durable, exactly-once workflows.
    Standard,
    /// Short, high-volume workflows.
    Express,
}

impl MachineType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// A state machine as created or last updated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateMachineRecord {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// The definition text as the user sent it.
    pub definition: Arc<str>,
    /// The IAM role ARN (recorded, not enforced).
    pub role_arn: String,
    /// STANDARD or EXPRESS.
    pub machine_type: MachineType,
    /// Epoch ms of creation.
    pub creation_ms: i64,
    /// Epoch ms of the last update, if any.
    pub update_ms: Option<i64>,
    /// Changes on every update.
    pub revision_id: Option<String>,
    /// The `loggingConfiguration` object as JSON text, if one was given.
    pub logging_configuration: Option<String>,
    /// `tracingConfiguration.enabled`.
    pub tracing_enabled: bool,
    /// The user's description, if any.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActivityRecord {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// Epoch ms of creation.
    pub creation_ms: i64,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// The status of an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExecutionStatus {
    /// Still going.
    Running,
    /// Ended with an output.
    Succeeded,
    /// Ended with an error.
    Failed,
    /// Ran past its TimeoutSeconds.
    TimedOut,
    /// Stopped by StopExecution.
    Aborted,
}

impl ExecutionStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "RUNNING" => ExecutionStatus::Running,
            "SUCCEEDED" => ExecutionStatus::Succeeded,
            "FAILED" => ExecutionStatus::Failed,
            "TIMED_OUT" => ExecutionStatus::TimedOut,
            "ABORTED" => ExecutionStatus::Aborted,
            _ => return None,
        })
    }
}

/// An execution's summary row (its history is kept beside it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// Its ARN.
    pub arn: String,
    /// The state machine it runs.
    pub state_machine_arn: String,
    /// Its name.
    pub name: String,
    /// Current status.
    pub status: ExecutionStatus,
    /// Epoch ms it started.
    pub start_ms: i64,
    /// Epoch ms it ended.
    pub stop_ms: Option<i64>,
    /// The input text.
    pub input: Arc<str>,
    /// The output text (succeeded only).
    pub output: Option<String>,
    /// The error name (failed, timed out, aborted).
    pub error: Option<String>,
    /// The cause text.
    pub cause: Option<String>,
    /// The definition it runs (the machine's definition at start). Left out of runtime
    /// snapshots (stores keep it once per definition): a restore takes it from the row.
    #[serde(default, skip_serializing)]
    pub definition: Arc<str>,
    /// The role ARN of the machine at start.
    pub role_arn: String,
}
