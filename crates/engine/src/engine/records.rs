//! The record operations: state machines, activities and their tags.
//!
//! These touch rows only, never running executions (but for an activity's queue when it
//! is deleted), so they go straight to the store.
use std::sync::Arc;

use super::Engine;
use crate::arn::{self, Kind};
use crate::error::{Error, Result};
use crate::model::{ActivityRecord, MachineType, StateMachineRecord, Tag};

/// AWS allows 50 tags per resource.
const MAX_TAGS: usize = 50;

/// Fields of `CreateStateMachine`.
#[derive(Debug, Clone, Default)]
pub struct NewStateMachine {
    /// Name.
    pub name: String,
    /// Definition text.
    pub definition: String,
    /// Role ARN.
    pub role_arn: String,
    /// STANDARD (default) or EXPRESS.
    pub machine_type: Option<MachineType>,
    /// `loggingConfiguration` as JSON text.
    pub logging_configuration: Option<String>,
    /// `tracingConfiguration.enabled`.
    pub tracing_enabled: bool,
    /// Tags.
    pub tags: Vec<Tag>,
    /// The request's region (from its SigV4 scope); the engine's default if absent.
    pub region: Option<String>,
}

/// Fields of `UpdateStateMachine`.
#[derive(Debug, Clone, Default)]
pub struct StateMachineUpdate {
    /// New definition.
    pub definition: Option<String>,
    /// New role.
    pub role_arn: Option<String>,
    /// New logging configuration.
    pub logging_configuration: Option<String>,
    /// New tracing flag.
    pub tracing_enabled: Option<bool>,
}

impl Engine {
    // ----- state machines -------------------------------------------------

    /// `CreateStateMachine`: returns the record (new, or the identical existing one).
    pub fn create_state_machine(&self, new: NewStateMachine) -> Result<StateMachineRecord> {
        arn::validate_name(&new.name)?;
        let definition: Arc<str> = new.definition.into();
        self.machine_for(&definition)?;
        validate_role(&new.role_arn)?;
        check_tags(&new.tags)?;
        let arn = self.scope_for(new.region.as_deref()).state_machine_arn(&new.name);
        let machine_type = new.machine_type.unwrap_or(MachineType::Standard);
        if let Some(existing) = self.store().get_state_machine(&arn)? {
            // AWS: creating the same machine again is idempotent; a different one conflicts.
            if existing.definition == definition
                && existing.role_arn == new.role_arn
                && existing.machine_type == machine_type
            {
                return Ok(existing);
            }
            return Err(Error::StateMachineAlreadyExists(format!(
                "State Machine Already Exists: '{arn}'"
            )));
        }
        let record = StateMachineRecord {
            arn,
            name: new.name,
            definition,
            role_arn: new.role_arn,
            machine_type,
            creation_ms: self.now(),
            update_ms: None,
            revision_id: None,
            logging_configuration: new.logging_configuration,
            tracing_enabled: new.tracing_enabled,
            description: None,
            tags: new.tags,
        };
        self.store().put_state_machine(record.clone())?;
        Ok(record)
    }

    /// `DescribeStateMachine`.
    pub fn describe_state_machine(&self, arn: &str) -> Result<StateMachineRecord> {
        arn::parse(arn, Kind::StateMachine)?;
        self.store().get_state_machine(arn)?.ok_or_else(|| {
            Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
        })
    }

    /// `UpdateStateMachine`: returns the updated record.
    pub fn update_state_machine(
        &self,
        arn: &str,
        update: StateMachineUpdate,
    ) -> Result<StateMachineRecord> {
        let mut record = self.describe_state_machine(arn)?;
        if update.definition.is_none()
            && update.role_arn.is_none()
            && update.logging_configuration.is_none()
            && update.tracing_enabled.is_none()
        {
            return Err(Error::MissingRequiredParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified".into(),
            ));
        }
        let mut changed = false;
        if let Some(definition) = update.definition {
            let definition: Arc<str> = definition.into();
            self.machine_for(&definition)?;
            changed |= record.definition != definition;
            record.definition = definition;
        }
        if let Some(role) = update.role_arn {
            validate_role(&role)?;
            changed |= record.role_arn != role;
            record.role_arn = role;
        }
        if update.logging_configuration.is_some() {
            record.logging_configuration = update.logging_configuration;
        }
        if let Some(tracing) = update.tracing_enabled {
            record.tracing_enabled = tracing;
        }
        let now = self.now();
        record.update_ms = Some(now);
        // AWS keeps the revision when neither definition nor role changed.
        if changed || record.revision_id.is_none() {
            record.revision_id = Some(self.next_uuid());
        }
        self.store().put_state_machine(record.clone())?;
        Ok(record)
    }

    /// `DeleteStateMachine` (idempotent, as on AWS).
    pub fn delete_state_machine(&self, arn: &str) -> Result<()> {
        arn::parse(arn, Kind::StateMachine)?;
        self.store().delete_state_machine(arn)
    }

    /// `ListStateMachines`, oldest first.
    pub fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>> {
        self.store().list_state_machines()
    }

    // ----- activities -----------------------------------------------------

    /// `CreateActivity` (idempotent for the same name).
    pub fn create_activity(
        &self,
        name: &str,
        tags: Vec<Tag>,
        region: Option<&str>,
    ) -> Result<ActivityRecord> {
        arn::validate_name(name)?;
        check_tags(&tags)?;
        let arn = self.scope_for(region).activity_arn(name);
        if let Some(existing) = self.store().get_activity(&arn)? {
            return Ok(existing);
        }
        let record = ActivityRecord { arn, name: name.to_owned(), creation_ms: self.now(), tags };
        self.store().put_activity(record.clone())?;
        Ok(record)
    }

    /// `DescribeActivity`.
    pub fn describe_activity(&self, arn: &str) -> Result<ActivityRecord> {
        arn::parse(arn, Kind::Activity)?;
        self.store()
            .get_activity(arn)?
            .ok_or_else(|| Error::ActivityDoesNotExist(format!("Activity Does Not Exist: '{arn}'")))
    }

    /// `DeleteActivity` (idempotent).
    pub fn delete_activity(&self, arn: &str) -> Result<()> {
        arn::parse(arn, Kind::Activity)?;
        self.store().delete_activity(arn)?;
        self.inner.queues.lock().drop_activity(arn);
        Ok(())
    }

    /// `ListActivities`, oldest first.
    pub fn list_activities(&self) -> Result<Vec<ActivityRecord>> {
        self.store().list_activities()
    }

    // ----- tags -------------------------------------------------------------

    /// `ListTagsForResource`.
    pub fn list_tags(&self, arn: &str) -> Result<Vec<Tag>> {
        Ok(match self.tagged(arn)? {
            Tagged::Machine(m) => m.tags,
            Tagged::Activity(a) => a.tags,
        })
    }

    /// `TagResource`: adds or overwrites tags.
    pub fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<()> {
        self.edit_tags(arn, |existing| {
            for tag in tags {
                match existing.iter_mut().find(|t| t.key == tag.key) {
                    Some(t) => t.value = tag.value,
                    None => existing.push(tag),
                }
            }
        })
    }

    /// `UntagResource`: removes tags by key.
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        self.edit_tags(arn, |existing| existing.retain(|t| !keys.contains(&t.key)))
    }

    fn edit_tags(&self, arn: &str, edit: impl FnOnce(&mut Vec<Tag>)) -> Result<()> {
        match self.tagged(arn)? {
            Tagged::Machine(mut m) => {
                edit(&mut m.tags);
                check_tags(&m.tags)?;
                self.store().put_state_machine(m)
            }
            Tagged::Activity(mut a) => {
                edit(&mut a.tags);
                check_tags(&a.tags)?;
                self.store().put_activity(a)
            }
        }
    }

    fn tagged(&self, arn: &str) -> Result<Tagged> {
        let not_found = || Error::ResourceNotFound(format!("Resource not found: '{arn}'"));
        if arn::parse(arn, Kind::StateMachine).is_ok() {
            return self.store().get_state_machine(arn)?.map(Tagged::Machine).ok_or_else(not_found);
        }
        if arn::parse(arn, Kind::Activity).is_ok() {
            return self.store().get_activity(arn)?.map(Tagged::Activity).ok_or_else(not_found);
        }
        // A version ARN (`…:stateMachine:<name>:<n>`): AWS does not tag versions.
        if arn.starts_with("arn:") && arn.split(':').nth(5) == Some("stateMachine") {
            return Err(not_found());
        }
        Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'")))
    }
}

enum Tagged {
    Machine(StateMachineRecord),
    Activity(ActivityRecord),
}

fn validate_role(role: &str) -> Result<()> {
    if role.is_empty() || !role.starts_with("arn:") {
        return Err(Error::InvalidArn(format!(
            "Invalid Arn: 'Resource type not valid in this context: {role}'"
        )));
    }
    Ok(())
}

fn check_tags(tags: &[Tag]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::TooManyTags(format!(
            "Too many tags: {} (at most {MAX_TAGS})",
            tags.len()
        )));
    }
    Ok(())
}
