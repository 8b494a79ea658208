//! The record operations: state machines, activities and their tags.
//!
//! These touch rows only, never running executions (but for an activity's queue when it
//! is deleted), so they go straight to the store. Every read-modify-write is one
//! [`Store::update_state_machine`](crate::store::Store::update_state_machine) or
//! `update_activity` call, atomic at the store: concurrent calls, from this process or from
//! another node sharing the database, never lose one another's change.
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
    /// The caller's account (from its access key, under `--auth sigv4`); the engine's
    /// default if absent.
    pub account: Option<String>,
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
        let machine_type = new.machine_type.unwrap_or(MachineType::Standard);
        self.machine_for(&definition)?;
        check_resources(machine_type, &definition)?;
        validate_role(&new.role_arn)?;
        check_tags(&new.tags)?;
        let arn = self
            .scope_for_caller(new.region.as_deref(), new.account.as_deref())
            .state_machine_arn(&new.name);
        let record = StateMachineRecord {
            arn: arn.clone(),
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
        // Insert-if-absent at the store: of concurrent creates with one name, one inserts and
        // each other one sees its row.
        let stored = self.store().update_state_machine(&arn, &mut |existing| match existing {
            None => Ok(Some(record.clone())),
            // AWS: creating the same machine again is idempotent; a different one conflicts.
            Some(existing)
                if existing.definition == record.definition
                    && existing.role_arn == record.role_arn
                    && existing.machine_type == record.machine_type =>
            {
                Ok(None)
            }
            Some(_) => Err(Error::StateMachineAlreadyExists(format!(
                "State Machine Already Exists: '{arn}'"
            ))),
        })?;
        stored.ok_or_else(|| Error::Internal(format!("{arn} vanished as it was created")))
    }

    /// `DescribeStateMachine`.
    pub fn describe_state_machine(&self, arn: &str) -> Result<StateMachineRecord> {
        arn::parse(arn, Kind::StateMachine)?;
        self.store().get_state_machine(arn)?.ok_or_else(|| does_not_exist(arn))
    }

    /// `UpdateStateMachine`: returns the updated record.
    pub fn update_state_machine(
        &self,
        arn: &str,
        update: StateMachineUpdate,
    ) -> Result<StateMachineRecord> {
        // A version is immutable: AWS answers as for a machine that does not exist.
        if arn::split_qualified(arn).is_ok_and(|(_, qualifier)| qualifier.is_some()) {
            return Err(does_not_exist(arn));
        }
        // Checked in AWS's order: the machine exists, something is asked, then the new values.
        let machine_type = self.describe_state_machine(arn)?.machine_type;
        if update.definition.is_none()
            && update.role_arn.is_none()
            && update.logging_configuration.is_none()
            && update.tracing_enabled.is_none()
        {
            return Err(Error::MissingRequiredParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified".into(),
            ));
        }
        let definition: Option<Arc<str>> = update.definition.map(Into::into);
        if let Some(definition) = &definition {
            self.machine_for(definition)?;
            check_resources(machine_type, definition)?;
        }
        if let Some(role) = &update.role_arn {
            validate_role(role)?;
        }
        let now = self.now();
        // Drawn before the edit: the edit runs under the store's lock and must not take the
        // engine's (the engine takes them in the other order).
        let fresh_revision = self.next_uuid();
        let stored = self.store().update_state_machine(arn, &mut |current| {
            let Some(current) = current else { return Err(does_not_exist(arn)) };
            let mut record = current.clone();
            let mut changed = false;
            if let Some(definition) = &definition {
                changed |= record.definition != *definition;
                record.definition = definition.clone();
            }
            if let Some(role) = &update.role_arn {
                changed |= record.role_arn != *role;
                record.role_arn = role.clone();
            }
            if update.logging_configuration.is_some() {
                record.logging_configuration = update.logging_configuration.clone();
            }
            if let Some(tracing) = update.tracing_enabled {
                record.tracing_enabled = tracing;
            }
            record.update_ms = Some(now);
            // AWS keeps the revision when neither definition nor role changed (and a machine
            // never changed has none: publishing it again finds the version of its creation).
            if changed {
                record.revision_id = Some(fresh_revision.clone());
            }
            Ok(Some(record))
        })?;
        stored.ok_or_else(|| does_not_exist(arn))
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
        self.create_activity_for(name, tags, region, None)
    }

    /// `CreateActivity` for a caller of account `account` (the engine's default if `None`).
    pub fn create_activity_for(
        &self,
        name: &str,
        tags: Vec<Tag>,
        region: Option<&str>,
        account: Option<&str>,
    ) -> Result<ActivityRecord> {
        arn::validate_name(name)?;
        check_tags(&tags)?;
        let arn = self.scope_for_caller(region, account).activity_arn(name);
        let record = ActivityRecord {
            arn: arn.clone(),
            name: name.to_owned(),
            creation_ms: self.now(),
            tags,
        };
        // Insert-if-absent at the store: concurrent creates all answer with the one row.
        let stored = self.store().update_activity(&arn, &mut |existing| {
            Ok(existing.is_none().then(|| record.clone()))
        })?;
        stored.ok_or_else(|| Error::Internal(format!("{arn} vanished as it was created")))
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
        self.edit_tags(arn, &|existing| {
            for tag in &tags {
                match existing.iter_mut().find(|t| t.key == tag.key) {
                    Some(t) => t.value.clone_from(&tag.value),
                    None => existing.push(tag.clone()),
                }
            }
        })
    }

    /// `UntagResource`: removes tags by key.
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        self.edit_tags(arn, &|existing| existing.retain(|t| !keys.contains(&t.key)))
    }

    /// Applies `edit` to a resource's tags in one atomic edit at the store, so concurrent
    /// tag changes all land.
    fn edit_tags(&self, arn: &str, edit: &dyn Fn(&mut Vec<Tag>)) -> Result<()> {
        let not_found = || Error::ResourceNotFound(format!("Resource not found: '{arn}'"));
        match resource(arn)? {
            Resource::Machine => {
                self.store().update_state_machine(arn, &mut |current| {
                    let mut record = current.ok_or_else(not_found)?.clone();
                    edit(&mut record.tags);
                    check_tags(&record.tags)?;
                    Ok(Some(record))
                })?;
            }
            Resource::Activity => {
                self.store().update_activity(arn, &mut |current| {
                    let mut record = current.ok_or_else(not_found)?.clone();
                    edit(&mut record.tags);
                    check_tags(&record.tags)?;
                    Ok(Some(record))
                })?;
            }
        }
        Ok(())
    }

    fn tagged(&self, arn: &str) -> Result<Tagged> {
        let not_found = || Error::ResourceNotFound(format!("Resource not found: '{arn}'"));
        match resource(arn)? {
            Resource::Machine => {
                self.store().get_state_machine(arn)?.map(Tagged::Machine).ok_or_else(not_found)
            }
            Resource::Activity => {
                self.store().get_activity(arn)?.map(Tagged::Activity).ok_or_else(not_found)
            }
        }
    }
}

/// The kinds of resource that carry tags.
enum Resource {
    Machine,
    Activity,
}

/// Which taggable resource `arn` names.
fn resource(arn: &str) -> Result<Resource> {
    if arn::parse(arn, Kind::StateMachine).is_ok() {
        return Ok(Resource::Machine);
    }
    if arn::parse(arn, Kind::Activity).is_ok() {
        return Ok(Resource::Activity);
    }
    // A version ARN (`…:stateMachine:<name>:<n>`): AWS does not tag versions.
    if arn.starts_with("arn:") && arn.split(':').nth(5) == Some("stateMachine") {
        return Err(Error::ResourceNotFound(format!("Resource not found: '{arn}'")));
    }
    Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'")))
}

enum Tagged {
    Machine(StateMachineRecord),
    Activity(ActivityRecord),
}

fn does_not_exist(arn: &str) -> Error {
    Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
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

/// Refuses a definition whose resources AWS does not recognize or the machine's type
/// cannot run (an Express machine's activities, `.sync` and `.waitForTaskToken`
/// resources), with AWS's `InvalidDefinition` message.
fn check_resources(machine_type: MachineType, definition: &str) -> Result<()> {
    let refused = super::resources::diagnostics(definition, machine_type);
    if refused.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidDefinition(stepwise_asl::definition::error_message(&refused)))
}
