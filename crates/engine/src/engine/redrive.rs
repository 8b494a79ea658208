//! `RedriveExecution`: an execution that failed, was stopped or timed out runs again,
//! under the same ARN, from where it stopped (its redrive point, see
//! `execution/redrive.rs`), with its history continued.
use std::sync::Arc;

use super::decide::Decision;
use super::registry::{Cell, Life};
use super::Engine;
use crate::arn::{self, Kind};
use crate::error::{Error, Result};
use crate::model::{RedriveStatus, RedriveToken, BEFORE_REDRIVE_REASON, REDRIVE_TOKENS};

impl Engine {
    /// `RedriveExecution`: returns the redrive date (epoch ms). A `client_token` that
    /// redrove this execution in the last 15 minutes answers that redrive again.
    pub async fn redrive_execution(&self, arn: &str, client_token: Option<String>) -> Result<i64> {
        if let Some(token) = &client_token {
            check_client_token(token)?;
        }
        if is_express_arn(arn) {
            return Err(not_redrivable("Execution of an EXPRESS state machine cannot be redriven"));
        }
        arn::parse(arn, Kind::Execution)?;
        // Deciding may evaluate JSONata, which may take long: not on an async worker.
        let engine = self.clone();
        let arn = arn.to_owned();
        let (date, ticket) =
            tokio::task::spawn_blocking(move || engine.redrive_now(&arn, client_token))
                .await
                .map_err(|e| Error::Internal(format!("a decision panicked: {e}")))??;
        ticket.durable().await?;
        Ok(date)
    }

    fn redrive_now(
        &self,
        arn: &str,
        client_token: Option<String>,
    ) -> Result<(i64, super::commit::Ticket)> {
        let now = self.now();
        let row = self.describe_execution(arn)?;
        if let Some(date) = client_token.as_deref().and_then(|t| row.redriven_with(t, now)) {
            return Ok((date, super::commit::Ticket::done()));
        }
        // Claim the ARN in memory, as a start claims its name: a running execution, or a
        // redrive under way, holds it.
        let key: Arc<str> = arn.into();
        let cell = Cell::new(key.clone(), Life::Gone);
        let mut slot = cell.slot.lock();
        {
            let mut shard = self.inner.registry.shard(&key);
            if shard.contains_key(&key) {
                return Err(not_redrivable("Execution is RUNNING and cannot be redriven"));
            }
            shard.insert(key.clone(), cell.clone());
        }
        let answer = self.redrive_claimed(&cell, &mut slot, arn, client_token, now);
        if !matches!(answer, Ok((_, Some(_)))) {
            self.inner.registry.remove_cell(&cell);
        }
        let (date, ticket) = answer?;
        Ok((date, ticket.unwrap_or_else(super::commit::Ticket::done)))
    }

    /// Redrives the execution whose ARN `cell` holds; the ticket is `None` when nothing
    /// was redriven (its `client_token` answered an earlier redrive).
    fn redrive_claimed(
        &self,
        cell: &Arc<Cell>,
        slot: &mut super::registry::Slot,
        arn: &str,
        client_token: Option<String>,
        now: i64,
    ) -> Result<(i64, Option<super::commit::Ticket>)> {
        // Read again now that no one else can change it.
        let row = self.describe_execution(arn)?;
        if let Some(date) = client_token.as_deref().and_then(|t| row.redriven_with(t, now)) {
            return Ok((date, None));
        }
        if let RedriveStatus::NotRedrivable(reason) = row.redrive_status(now) {
            return Err(not_redrivable(reason));
        }
        // None: it ended before this server kept redrive points.
        let point =
            self.store().snapshot(arn)?.ok_or_else(|| not_redrivable(BEFORE_REDRIVE_REASON))?;
        let mut d = Decision::default();
        self.install(cell, slot, &row, &point, &mut d)?;
        let mut record = row;
        if let Some(token) = client_token {
            let tokens = &mut record.redrive.tokens;
            tokens.push(RedriveToken { token, redrive_ms: now });
            let excess = tokens.len().saturating_sub(REDRIVE_TOKENS);
            tokens.drain(..excess);
        }
        let running = slot.running().ok_or_else(|| {
            Error::Internal(format!("the redrive point of {arn} did not restore"))
        })?;
        running.redrive(record, now);
        self.advance(cell, slot, now, &mut d);
        let ticket = self.finish(cell, slot, d)?;
        Ok((now, Some(ticket)))
    }
}

impl Engine {
    /// A page of `ListExecutions` with its `redriveFilter`: `Some(true)` keeps the
    /// executions redriven at least once, `Some(false)` the others.
    pub fn list_executions_filtered(
        &self,
        state_machine_arn: &str,
        status: Option<crate::model::ExecutionStatus>,
        redriven: Option<bool>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<crate::model::ExecutionRecord>, bool)> {
        let Some(redriven) = redriven else {
            return self.list_executions_page(state_machine_arn, status, offset, limit);
        };
        // An occasional filter: the executions are picked from all of the machine's.
        let (mut all, _) = self.list_executions_page(state_machine_arn, status, 0, usize::MAX)?;
        all.retain(|e| (e.redrive.count > 0) == redriven);
        let more = all.len() > offset.saturating_add(limit);
        Ok((all.into_iter().skip(offset).take(limit).collect(), more))
    }
}

fn not_redrivable(reason: &str) -> Error {
    Error::ExecutionNotRedrivable(reason.to_owned())
}

/// An Express execution's ARN (`…:express:<machine>:<name>:<id>`).
fn is_express_arn(arn: &str) -> bool {
    arn.starts_with("arn:") && arn.split(':').nth(5) == Some("express")
}

/// AWS's constraints on `clientToken`: 1 to 64 printable ASCII characters.
fn check_client_token(token: &str) -> Result<()> {
    let problem = if token.is_empty() {
        "Member must have length greater than or equal to 1"
    } else if token.len() > 64 {
        "Member must have length less than or equal to 64"
    } else if !token.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        "Member must satisfy regular expression pattern: [!-~]+"
    } else {
        return Ok(());
    };
    Err(Error::Validation(format!(
        "1 validation error detected: Value '{token}' at 'clientToken' failed to satisfy constraint: {problem}"
    )))
}
