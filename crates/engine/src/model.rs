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
    /// The version it runs, when started on a version or an alias (`<machine>:<n>`).
    #[serde(default)]
    pub state_machine_version_arn: Option<String>,
    /// The alias it was started on, if any (`<machine>:<alias>`).
    #[serde(default)]
    pub state_machine_alias_arn: Option<String>,
    /// Its redrives (`RedriveExecution`): none until the first.
    #[serde(default)]
    pub redrive: Redrive,
}

/// AWS's window for redriving an execution after it ended: 14 days.
pub const REDRIVE_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;
/// AWS's longest execution, past which it cannot be redriven: one year.
pub const MAX_EXECUTION_MS: i64 = 365 * 24 * 3600 * 1000;
/// How long a redrive's `clientToken` answers again with the same redrive: 15 minutes.
pub const REDRIVE_TOKEN_MS: i64 = 15 * 60 * 1000;
/// How many `clientToken`s of an execution's latest redrives are remembered.
pub const REDRIVE_TOKENS: usize = 10;

/// What an execution's redrives left on its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redrive {
    /// How many times it was redriven.
    pub count: u32,
    /// Epoch ms of the latest redrive.
    pub last_ms: Option<i64>,
    /// Why it can never be redriven, fixed when it ended (its history at the quota), or
    /// for a row written before Stepwise could redrive (it has no redrive point).
    pub refused: Option<String>,
    /// The `clientToken`s of its latest redrives (at most [`REDRIVE_TOKENS`]).
    pub tokens: Vec<RedriveToken>,
}

/// A `clientToken` that redrove an execution: the same token answers with the same
/// redrive for [`REDRIVE_TOKEN_MS`] after its first use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedriveToken {
    /// The token as the client sent it.
    pub token: String,
    /// Epoch ms of its redrive (its `redriveDate`).
    pub redrive_ms: i64,
}

/// Whether an execution can be redriven now, as `DescribeExecution` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedriveStatus {
    /// `REDRIVABLE`.
    Redrivable,
    /// `NOT_REDRIVABLE`, with AWS's reason.
    NotRedrivable(&'static str),
}

impl RedriveStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RedriveStatus::Redrivable => "REDRIVABLE",
            RedriveStatus::NotRedrivable(_) => "NOT_REDRIVABLE",
        }
    }
    /// The reason, when it cannot be redriven.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            RedriveStatus::Redrivable => None,
            RedriveStatus::NotRedrivable(reason) => Some(reason),
        }
    }
}

/// AWS's reason for an execution whose history has no room for a redrive.
pub const HISTORY_LIMIT_REASON: &str = "Execution history event limit exceeded";
/// AWS's reason for an execution that ended before redrive existed (here: a row written
/// before Stepwise kept redrive points).
pub const BEFORE_REDRIVE_REASON: &str =
    "Execution was started before the launch of RedriveExecution";

impl ExecutionRecord {
    /// Whether `RedriveExecution` would redrive it at `now_ms` (AWS's rules, in AWS's
    /// order: running, succeeded, the history quota, the year, the 14 days).
    pub fn redrive_status(&self, now_ms: i64) -> RedriveStatus {
        use RedriveStatus::NotRedrivable;
        match self.status {
            ExecutionStatus::Running => {
                return NotRedrivable("Execution is RUNNING and cannot be redriven")
            }
            ExecutionStatus::Succeeded => {
                return NotRedrivable("Execution is SUCCEEDED and cannot be redriven")
            }
            _ => {}
        }
        match self.redrive.refused.as_deref() {
            Some(HISTORY_LIMIT_REASON) => return NotRedrivable(HISTORY_LIMIT_REASON),
            Some(_) => return NotRedrivable(BEFORE_REDRIVE_REASON),
            None => {}
        }
        if now_ms.saturating_sub(self.start_ms) > MAX_EXECUTION_MS {
            return NotRedrivable("Execution has exceeded the max execution time");
        }
        let ended = self.stop_ms.unwrap_or(self.start_ms);
        if now_ms.saturating_sub(ended) > REDRIVE_WINDOW_MS {
            return NotRedrivable("Execution redrivable period exceeded");
        }
        RedriveStatus::Redrivable
    }

    /// The redrive date a `clientToken` already got, if it redrove this execution less
    /// than 15 minutes before `now_ms`.
    pub fn redriven_with(&self, token: &str, now_ms: i64) -> Option<i64> {
        self.redrive
            .tokens
            .iter()
            .find(|t| t.token == token && now_ms.saturating_sub(t.redrive_ms) < REDRIVE_TOKEN_MS)
            .map(|t| t.redrive_ms)
    }
}

/// A published version of a state machine: an immutable copy of one revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    /// `<machine ARN>:<number>`.
    pub arn: String,
    /// 1, 2, …: never reused, even after the version is deleted.
    pub number: u64,
    /// The definition of the revision published.
    pub definition: Arc<str>,
    /// The role of the revision published.
    pub role_arn: String,
    /// STANDARD or EXPRESS (the machine's).
    pub machine_type: MachineType,
    /// The revision published (`None`: the machine as created, never updated).
    pub revision_id: Option<String>,
    /// The `description` given when publishing, if any.
    pub description: Option<String>,
    /// Epoch ms it was published.
    pub creation_ms: i64,
    /// The machine's `loggingConfiguration` when published, as JSON text.
    pub logging_configuration: Option<String>,
    /// The machine's `tracingConfiguration.enabled` when published.
    pub tracing_enabled: bool,
}

/// One version an alias routes to, with the percentage of starts it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The version's ARN.
    pub version_arn: String,
    /// 0..=100; an alias's weights sum to 100.
    pub weight: u8,
}

/// An alias: a name that routes `StartExecution` to one or two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// `<machine ARN>:<name>`.
    pub arn: String,
    /// Its name (not all digits, so it never reads as a version number).
    pub name: String,
    /// The user's description, if any.
    pub description: Option<String>,
    /// One or two versions of the same machine.
    pub routes: Vec<Route>,
    /// Epoch ms of creation.
    pub creation_ms: i64,
    /// Epoch ms of the last update (the creation until then).
    pub update_ms: i64,
}

/// A state machine's versions and aliases, kept as one record so that the rules between
/// them (numbers never reused, a version an alias routes to cannot be deleted) hold under
/// one atomic edit ([`crate::store::Store::update_versioning`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioning {
    /// The machine's ARN.
    pub machine_arn: String,
    /// The highest version number handed out.
    pub last_number: u64,
    /// Versions, by number.
    pub versions: Vec<VersionRecord>,
    /// Aliases, by creation.
    pub aliases: Vec<AliasRecord>,
}

impl Versioning {
    /// No versions and no aliases yet.
    pub fn empty(machine_arn: &str) -> Self {
        Versioning {
            machine_arn: machine_arn.to_owned(),
            last_number: 0,
            versions: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(status: ExecutionStatus, start_ms: i64, stop_ms: i64) -> ExecutionRecord {
        ExecutionRecord {
            arn: "arn:aws:states:us-east-1:1:execution:m:e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
            name: "e".into(),
            status,
            start_ms,
            stop_ms: Some(stop_ms),
            input: "{}".into(),
            output: None,
            error: None,
            cause: None,
            definition: "".into(),
            role_arn: "r".into(),
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            redrive: Redrive::default(),
        }
    }

    #[test]
    fn redrivable_for_fourteen_days_after_the_end() {
        let e = ended(ExecutionStatus::Failed, 0, 1_000);
        assert_eq!(e.redrive_status(1_000 + REDRIVE_WINDOW_MS), RedriveStatus::Redrivable);
        assert_eq!(
            e.redrive_status(1_001 + REDRIVE_WINDOW_MS),
            RedriveStatus::NotRedrivable("Execution redrivable period exceeded")
        );
        for status in [ExecutionStatus::Aborted, ExecutionStatus::TimedOut] {
            assert_eq!(ended(status, 0, 1).redrive_status(2), RedriveStatus::Redrivable);
        }
        let succeeded = ended(ExecutionStatus::Succeeded, 0, 1).redrive_status(2);
        assert_eq!(succeeded.reason(), Some("Execution is SUCCEEDED and cannot be redriven"));
    }

    #[test]
    fn not_redrivable_past_a_year_or_with_a_full_history() {
        let e = ended(ExecutionStatus::Failed, 0, MAX_EXECUTION_MS);
        assert_eq!(
            e.redrive_status(MAX_EXECUTION_MS + 1).reason(),
            Some("Execution has exceeded the max execution time")
        );
        let mut full = ended(ExecutionStatus::Failed, 0, 1);
        full.redrive.refused = Some(HISTORY_LIMIT_REASON.into());
        assert_eq!(full.redrive_status(2).reason(), Some(HISTORY_LIMIT_REASON));
    }

    #[test]
    fn client_tokens_answer_for_fifteen_minutes() {
        let mut e = ended(ExecutionStatus::Running, 0, 1);
        e.redrive.tokens.push(RedriveToken { token: "t".into(), redrive_ms: 100 });
        assert_eq!(e.redriven_with("t", 100 + REDRIVE_TOKEN_MS - 1), Some(100));
        assert_eq!(e.redriven_with("t", 100 + REDRIVE_TOKEN_MS), None);
        assert_eq!(e.redriven_with("u", 101), None);
    }
}
