//! State machine versions: `PublishStateMachineVersion` (and `publish` on create and
//! update), `ListStateMachineVersions`, `DeleteStateMachineVersion`, a version's
//! description, and what a start on a version or alias ARN runs.
//!
//! A machine's versions and aliases are one [`Versioning`] record, changed only by
//! [`Store::update_versioning`](crate::store::Store::update_versioning) edits: numbers are
//! handed out without reuse, and a version an alias routes to is never deleted, even when
//! such calls race.
use super::Engine;
use crate::arn::{self, Qualifier};
use crate::error::{Error, Result};
use crate::model::{StateMachineRecord, VersionRecord, Versioning};

/// AWS allows 1000 versions per state machine.
const MAX_VERSIONS: usize = 1000;
/// AWS's bound on a version's (and an alias's) description.
pub(super) const MAX_DESCRIPTION: usize = 256;

/// What a `StartExecution` on a possibly qualified ARN runs.
pub(super) struct StartTarget {
    /// The machine as the execution sees it: for a version, the version's definition and
    /// role under the machine's (unqualified) ARN.
    pub(super) machine: StateMachineRecord,
    /// The version run, if a version or an alias was named.
    pub(super) version_arn: Option<String>,
    /// The alias named, if any.
    pub(super) alias_arn: Option<String>,
}

impl Engine {
    /// `PublishStateMachineVersion`: publishes the machine's current revision, or returns
    /// the version that already holds it (AWS's idempotency). With `revision_id`, publishes
    /// only if it is the current revision (`ConflictException` otherwise).
    pub fn publish_version(
        &self,
        machine_arn: &str,
        revision_id: Option<&str>,
        description: Option<String>,
    ) -> Result<VersionRecord> {
        check_description(description.as_deref(), "description")?;
        if arn::split_qualified(machine_arn)?.1.is_some() {
            return Err(does_not_exist(machine_arn));
        }
        let machine = self.describe_state_machine(machine_arn)?;
        if let Some(expected) = revision_id {
            if machine.revision_id.as_deref() != Some(expected) {
                return Err(Error::Conflict(format!(
                    "Failed to publish the State Machine version for revision {expected}. The current State Machine revision is {}.",
                    machine.revision_id.as_deref().unwrap_or("null")
                )));
            }
        }
        let now = self.now();
        let stored = self.store().update_versioning(machine_arn, &mut |current| {
            let mut versioning = current.cloned().unwrap_or_else(|| Versioning::empty(machine_arn));
            if versioning.versions.iter().any(|v| v.revision_id == machine.revision_id) {
                return Ok(None);
            }
            if versioning.versions.len() >= MAX_VERSIONS {
                return Err(Error::ServiceQuotaExceeded(format!(
                    "Too many versions of '{machine_arn}': at most {MAX_VERSIONS} may exist"
                )));
            }
            versioning.last_number += 1;
            let number = versioning.last_number;
            versioning.versions.push(VersionRecord {
                arn: format!("{machine_arn}:{number}"),
                number,
                definition: machine.definition.clone(),
                role_arn: machine.role_arn.clone(),
                machine_type: machine.machine_type,
                revision_id: machine.revision_id.clone(),
                description: description.clone(),
                creation_ms: now,
                logging_configuration: machine.logging_configuration.clone(),
                tracing_enabled: machine.tracing_enabled,
            });
            Ok(Some(versioning))
        })?;
        stored
            .and_then(|v| v.versions.into_iter().find(|v| v.revision_id == machine.revision_id))
            .ok_or_else(|| Error::Internal(format!("the version of {machine_arn} vanished")))
    }

    /// `ListStateMachineVersions`: newest first.
    pub fn list_versions(&self, machine_arn: &str) -> Result<Vec<VersionRecord>> {
        if arn::split_qualified(machine_arn)?.1.is_some() {
            return Err(Error::InvalidArn(format!("Invalid Arn: '{machine_arn}'")));
        }
        let mut versions =
            self.store().get_versioning(machine_arn)?.map(|v| v.versions).unwrap_or_default();
        versions.reverse();
        Ok(versions)
    }

    /// `DeleteStateMachineVersion`: idempotent, but a version an alias routes to stays
    /// (`ConflictException` naming the aliases).
    pub fn delete_version(&self, version_arn: &str) -> Result<()> {
        let (machine_arn, Some(Qualifier::Version(number))) = arn::split_qualified(version_arn)?
        else {
            return Err(Error::InvalidArn(format!("Invalid Arn: '{version_arn}'")));
        };
        self.store().update_versioning(machine_arn, &mut |current| {
            let Some(current) = current else { return Ok(None) };
            if !current.versions.iter().any(|v| v.number == number) {
                return Ok(None);
            }
            let routing: Vec<&str> = current
                .aliases
                .iter()
                .filter(|a| a.routes.iter().any(|r| r.version_arn == version_arn))
                .map(|a| a.name.as_str())
                .collect();
            if !routing.is_empty() {
                return Err(Error::Conflict(format!(
                    "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                    routing.join(", ")
                )));
            }
            let mut versioning = current.clone();
            versioning.versions.retain(|v| v.number != number);
            Ok(Some(versioning))
        })?;
        Ok(())
    }

    /// `DescribeStateMachine` on a version ARN: the version and its machine's name.
    pub fn describe_version(&self, version_arn: &str) -> Result<(VersionRecord, String)> {
        let (machine_arn, Some(Qualifier::Version(number))) = arn::split_qualified(version_arn)?
        else {
            return Err(does_not_exist(version_arn));
        };
        let version = self
            .store()
            .get_versioning(machine_arn)?
            .and_then(|v| v.versions.into_iter().find(|v| v.number == number))
            .ok_or_else(|| does_not_exist(version_arn))?;
        Ok((version, machine_name(machine_arn)))
    }

    /// What a start on `arn` runs: the machine itself, one of its versions, or the version
    /// an alias routes this start to.
    pub(super) fn start_target(&self, arn: &str) -> Result<StartTarget> {
        let (machine_arn, qualifier) = arn::split_qualified(arn)?;
        let (version, alias_arn) = match qualifier {
            None => {
                let machine = self.describe_state_machine(machine_arn)?;
                return Ok(StartTarget { machine, version_arn: None, alias_arn: None });
            }
            Some(Qualifier::Version(_)) => (self.describe_version(arn)?.0, None),
            Some(Qualifier::Alias(_)) => {
                let versioning =
                    self.store().get_versioning(machine_arn)?.ok_or_else(|| does_not_exist(arn))?;
                let alias = versioning
                    .aliases
                    .iter()
                    .find(|a| a.arn == arn)
                    .ok_or_else(|| does_not_exist(arn))?;
                let chosen = self.route(&alias.routes);
                let version = versioning
                    .versions
                    .iter()
                    .find(|v| v.arn == chosen)
                    .cloned()
                    .ok_or_else(|| does_not_exist(&chosen))?;
                (version, Some(arn.to_owned()))
            }
        };
        let machine = StateMachineRecord {
            arn: machine_arn.to_owned(),
            name: machine_name(machine_arn),
            definition: version.definition.clone(),
            role_arn: version.role_arn.clone(),
            machine_type: version.machine_type,
            creation_ms: version.creation_ms,
            update_ms: None,
            revision_id: version.revision_id.clone(),
            logging_configuration: version.logging_configuration.clone(),
            tracing_enabled: version.tracing_enabled,
            description: version.description.clone(),
            tags: Vec::new(),
        };
        Ok(StartTarget { machine, version_arn: Some(version.arn), alias_arn })
    }
}

/// The name in an unqualified state machine ARN.
fn machine_name(machine_arn: &str) -> String {
    machine_arn.rsplit(':').next().unwrap_or_default().to_owned()
}

/// AWS's bound on descriptions, with its message.
pub(super) fn check_description(description: Option<&str>, field: &str) -> Result<()> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(Error::Validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {MAX_DESCRIPTION}"
        ))),
        _ => Ok(()),
    }
}

pub(super) fn does_not_exist(arn: &str) -> Error {
    Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
}
