//! The execution operations: StartExecution, StopExecution and the reads.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::commit::Ticket;
use super::decide::Decision;
use super::registry::{Cell, Life};
use super::{Engine, MAX_PAYLOAD_BYTES};
use crate::arn::{self, Kind};
use crate::error::{Error, Result};
use crate::execution::Running;
use crate::history::{ErrorCause, HistoryEvent};
use crate::model::{ExecutionRecord, ExecutionStatus, MachineType};

impl Engine {
    /// `StartExecution`: idempotent for the same name and input while running.
    pub async fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: Option<String>,
    ) -> Result<ExecutionRecord> {
        let start = self.prepare_start(state_machine_arn, name, input)?;
        if start.machine_record.machine_type == MachineType::Express {
            return self.start_express_async(start).await;
        }
        // A JSONata expression may evaluate for seconds: such a decision runs on a
        // blocking thread, so it holds up no async worker (and no request behind it).
        let (record, ticket) = if start.machine.uses_jsonata() {
            let engine = self.clone();
            tokio::task::spawn_blocking(move || engine.start_prepared(start))
                .await
                .map_err(|e| Error::Internal(format!("a decision panicked: {e}")))??
        } else {
            self.start_prepared(start)?
        };
        ticket.durable().await?;
        Ok(record)
    }

    /// Checks a start's parameters and finds its machine, before anything is decided.
    pub(super) fn prepare_start(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: Option<String>,
    ) -> Result<PreparedStart> {
        // Step Functions Local's convention: `<stateMachineArn>#<TestCase>` runs a mock test case.
        let (state_machine_arn, test_case) = match state_machine_arn.split_once('#') {
            Some((arn, case)) => (arn, Some(case.to_owned())),
            None => (state_machine_arn, None),
        };
        let target = self.start_target(state_machine_arn)?;
        let machine_record = target.machine;
        if let Some(case) = &test_case {
            let known = self
                .inner
                .mocks
                .as_ref()
                .is_some_and(|m| m.has_test_case(&machine_record.name, case));
            if !known {
                return Err(Error::Validation(format!(
                    "Test case '{case}' is not defined for state machine '{}' in the mock configuration",
                    machine_record.name
                )));
            }
        }
        let input_text = input.unwrap_or_else(|| "{}".to_owned());
        if input_text.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
            )));
        }
        let input: Value = serde_json::from_str(&input_text).map_err(|e| {
            let reason = if input_text.trim().is_empty() {
                "Invalid execution input.".to_owned()
            } else {
                e.to_string()
            };
            Error::InvalidExecutionInput(format!(
                "Invalid State Machine Execution Input: '{reason}'"
            ))
        })?;
        let name = match name {
            Some(name) => {
                arn::validate_name(&name)?;
                name
            }
            None => self.next_uuid(),
        };
        // The execution lives where its state machine does.
        let arn = match machine_record.machine_type {
            MachineType::Standard => execution_arn(&machine_record.arn, &name),
            // Express names need not be unique: a fresh id tells executions apart.
            MachineType::Express => {
                super::express::execution_arn(&machine_record.arn, &name, &self.next_uuid())
            }
        };
        let machine = self.machine_for(&machine_record.definition)?;
        Ok(PreparedStart {
            machine_record,
            test_case,
            input_text,
            input,
            name,
            arn,
            machine,
            version_arn: target.version_arn,
            alias_arn: target.alias_arn,
        })
    }

    /// Starts a checked execution: registers it and makes its first decision.
    fn start_prepared(&self, start: PreparedStart) -> Result<(ExecutionRecord, Ticket)> {
        let (arn, input_text) = (start.arn.clone(), start.input_text.clone());
        let key: Arc<str> = arn.as_str().into();

        // Claim the name in memory first, locked, so a concurrent start of the same name
        // waits for this one instead of reading the store beside it.
        let cell = Cell::new(key.clone(), Life::Gone);
        let mut slot = cell.slot.lock();
        let existing = loop {
            let existing_cell = {
                let mut shard = self.inner.registry.shard(&key);
                match shard.get(&key) {
                    Some(existing) => Some(existing.clone()),
                    None => {
                        shard.insert(key.clone(), cell.clone());
                        None
                    }
                }
            };
            match existing_cell {
                Some(existing) => {
                    // Answered, unless the cell left the registry meanwhile (a start that
                    // failed to commit, reloaded away): then claim the name again.
                    if let Some(answer) = self.start_again(&existing, &arn, &input_text) {
                        return answer;
                    }
                }
                None => match self.store().get_execution(&arn) {
                    Ok(found) => break found,
                    Err(e) => {
                        self.inner.registry.remove_cell(&cell);
                        return Err(e);
                    }
                },
            }
        };
        if let Some(existing) = existing {
            // The name is taken: the cell registered for this start is not needed.
            self.inner.registry.remove_cell(&cell);
            if existing.status == ExecutionStatus::Running && *existing.input == *input_text {
                return Ok((existing, Ticket::done()));
            }
            return Err(already_exists(&arn));
        }
        let now = self.now();
        let running = self.begin(start, now);
        let record = running.record.clone();
        slot.life = Life::Resident(Box::new(running));
        let mut d = Decision::default();
        self.advance(&cell, &mut slot, now, &mut d);
        let ticket = self.finish(&cell, &mut slot, d);
        if ticket.is_err() {
            self.inner.registry.remove_cell(&cell);
        }
        Ok((record, ticket?))
    }

    /// StartExecution of a name this engine holds: the same input while it runs is the
    /// same start (AWS's idempotency); anything else conflicts.
    fn start_again(
        &self,
        existing: &Arc<Cell>,
        arn: &str,
        input_text: &str,
    ) -> Option<Result<(ExecutionRecord, Ticket)>> {
        let slot = match self.lock_for_decision(existing) {
            Ok(slot) => slot,
            Err(e) => return Some(Err(e)),
        };
        let registered = self.inner.registry.get(arn).is_some_and(|c| Arc::ptr_eq(&c, existing));
        if !registered {
            return None;
        }
        let record = match &slot.life {
            Life::Resident(running) => running.record.clone(),
            // Ended but not yet durable: it exists all the same.
            _ => return Some(Err(already_exists(arn))),
        };
        if record.status == ExecutionStatus::Running && *record.input == *input_text {
            return Some(Ok((record, Ticket::done())));
        }
        Some(Err(already_exists(arn)))
    }

    /// Removes executions that ended more than `retention` ago (AWS keeps them 90 days);
    /// their names become free again. Returns how many were removed.
    pub fn remove_expired(&self, retention: Duration) -> Result<usize> {
        let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = self.now().saturating_sub(retention);
        self.store().remove_ended_before(cutoff)
    }

    /// `DescribeExecution`.
    pub fn describe_execution(&self, arn: &str) -> Result<ExecutionRecord> {
        arn::parse(arn, Kind::Execution)?;
        self.store().get_execution(arn)?.ok_or_else(|| {
            Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'"))
        })
    }

    /// One page of `ListExecutions` (newest first), and whether more follow.
    pub fn list_executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ExecutionRecord>, bool)> {
        let (machine_arn, qualifier) = arn::split_qualified(state_machine_arn)?;
        let machine = match qualifier {
            None => self.describe_state_machine(machine_arn)?,
            // A version or an alias: its executions (the version must exist; an alias
            // lists what was started on it even after it is gone, as the rows say).
            Some(_) => self.start_target_machine(state_machine_arn)?,
        };
        if machine.machine_type == MachineType::Express {
            // Express executions are not recorded (AWS answers the same).
            return Err(super::express::type_not_supported());
        }
        let Some(qualifier) = qualifier else {
            return self.store().list_executions_page(state_machine_arn, status, offset, limit);
        };
        // Executions are indexed by machine only: those of one version or alias are
        // picked from the machine's (versions and aliases are an occasional filter).
        let started_on = |e: &ExecutionRecord| match qualifier {
            arn::Qualifier::Version(_) => {
                e.state_machine_version_arn.as_deref() == Some(state_machine_arn)
            }
            arn::Qualifier::Alias(_) => {
                e.state_machine_alias_arn.as_deref() == Some(state_machine_arn)
            }
        };
        let mut matching = self.store().list_executions(machine_arn, status)?;
        matching.retain(started_on);
        let more = matching.len() > offset.saturating_add(limit);
        Ok((matching.into_iter().skip(offset).take(limit).collect(), more))
    }

    /// The machine behind a version or alias ARN (for its type), without drawing a route.
    fn start_target_machine(&self, arn: &str) -> Result<crate::model::StateMachineRecord> {
        let (machine_arn, qualifier) = arn::split_qualified(arn)?;
        match qualifier {
            Some(arn::Qualifier::Version(_)) => self.start_target(arn).map(|t| t.machine),
            _ => self.describe_state_machine(machine_arn),
        }
    }

    /// `GetExecutionHistory`, in id order.
    pub fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>> {
        self.describe_execution(arn)?;
        self.store().history(arn)
    }

    /// `StopExecution`: returns the stop date (epoch ms).
    pub async fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<i64> {
        arn::parse(arn, Kind::Execution)?;
        let now = self.now();
        let ticket = match self.inner.registry.get(arn) {
            Some(cell) => {
                let mut slot = self.lock_for_decision(&cell)?;
                match slot.running() {
                    Some(running) => {
                        running.stop(ExecutionStatus::Aborted, ErrorCause { error, cause }, now);
                        let mut d = Decision::default();
                        self.advance(&cell, &mut slot, now, &mut d);
                        Some(self.finish(&cell, &mut slot, d)?)
                    }
                    None => None,
                }
            }
            None => None,
        };
        match ticket {
            Some(ticket) => {
                ticket.durable().await?;
                Ok(now)
            }
            // Already ended: AWS answers with the recorded stop date.
            None => {
                let record = self.describe_execution(arn)?;
                Ok(record.stop_ms.unwrap_or(now))
            }
        }
    }
}

/// A StartExecution whose parameters are checked.
pub(super) struct PreparedStart {
    pub(super) machine_record: crate::model::StateMachineRecord,
    pub(super) test_case: Option<String>,
    pub(super) input_text: String,
    pub(super) input: Value,
    pub(super) name: String,
    pub(super) arn: String,
    pub(super) machine: Arc<stepwise_asl::Machine>,
    /// The version started, when the ARN named a version or an alias.
    pub(super) version_arn: Option<String>,
    /// The alias started on, if any.
    pub(super) alias_arn: Option<String>,
}

/// The ARN of the Standard execution `name` of the state machine `machine_arn`: it lives
/// where its state machine does.
pub(super) fn execution_arn(machine_arn: &str, name: &str) -> String {
    format!("{}:{name}", machine_arn.replacen(":stateMachine:", ":execution:", 1))
}

impl Engine {
    /// A checked start's execution as it begins at `now`, Standard or Express: its
    /// record (on the version and alias it was started through) and its first state.
    pub(super) fn begin(&self, start: PreparedStart, now: i64) -> Running {
        let PreparedStart {
            machine_record,
            test_case,
            input_text,
            input,
            name,
            arn,
            machine,
            version_arn,
            alias_arn,
        } = start;
        let mut record = new_record(&machine_record, arn, name, input_text, now);
        record.state_machine_version_arn = version_arn;
        record.state_machine_alias_arn = alias_arn;
        let seed = self.inner.execution_seed.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let mut running = Running::start(record, machine, machine_record.name, input, seed);
        running.set_test_case(test_case);
        running
    }
}

/// The record of an execution of `machine` starting now.
pub(super) fn new_record(
    machine: &crate::model::StateMachineRecord,
    arn: String,
    name: String,
    input_text: String,
    now: i64,
) -> ExecutionRecord {
    ExecutionRecord {
        arn,
        state_machine_arn: machine.arn.clone(),
        name,
        status: ExecutionStatus::Running,
        start_ms: now,
        stop_ms: None,
        input: input_text.into(),
        output: None,
        error: None,
        cause: None,
        definition: machine.definition.clone(),
        role_arn: machine.role_arn.clone(),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        redrive: Default::default(),
    }
}

fn already_exists(arn: &str) -> Error {
    Error::ExecutionAlreadyExists(format!("Execution Already Exists: '{arn}'"))
}
