//! The version operations (`PublishStateMachineVersion`, `ListStateMachineVersions`,
//! `DeleteStateMachineVersion`), `publish` on create and update, and the reads that show a
//! version (`DescribeStateMachine` on a version ARN, `DescribeStateMachineForExecution`).
use serde_json::{json, Value};
use stepwise_engine::model::{StateMachineRecord, VersionRecord};
use stepwise_engine::Engine;

use crate::error::ApiError;
use crate::page::{self, Bounds};
use crate::request::Params;
use crate::wire;

type Reply = Result<Value, ApiError>;

/// Runs one of the version operations.
pub fn dispatch(engine: &Engine, op: &str, p: &Params) -> Reply {
    match op {
        "PublishStateMachineVersion" => {
            let version = engine.publish_version(
                p.str("stateMachineArn")?,
                p.opt_str("revisionId")?,
                p.opt_str("description")?.map(str::to_owned),
            )?;
            Ok(json!({
                "stateMachineVersionArn": version.arn,
                "creationDate": wire::date(version.creation_ms),
            }))
        }
        "ListStateMachineVersions" => {
            let versions = engine.list_versions(p.str("stateMachineArn")?)?;
            let key = "stateMachineVersions";
            let (slice, next) = Bounds::read(p, 100, key)?.slice(&versions)?;
            Ok(page::render(
                key,
                slice,
                next,
                |v| json!({ "stateMachineVersionArn": v.arn, "creationDate": wire::date(v.creation_ms) }),
            ))
        }
        "DeleteStateMachineVersion" => {
            engine.delete_version(p.str("stateMachineVersionArn")?)?;
            Ok(json!({}))
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

/// `publish` and `versionDescription` of CreateStateMachine and UpdateStateMachine, checked
/// before anything changes: `Some(description)` when a version is to be published.
pub fn read_publish(p: &Params) -> Result<Option<Option<String>>, ApiError> {
    let publish = p.opt_bool("publish")?.unwrap_or(false);
    let description = p.opt_str("versionDescription")?.map(str::to_owned);
    if !publish {
        if description.is_some() {
            return Err(ApiError::validation(
                "Version description can only be set when publish is true",
            ));
        }
        return Ok(None);
    }
    Ok(Some(description))
}

/// Publishes the machine's current revision if `publish` asked for it; adds
/// `stateMachineVersionArn` to `out`.
pub fn publish_after(
    engine: &Engine,
    machine_arn: &str,
    publish: Option<Option<String>>,
    out: &mut Value,
) -> Result<(), ApiError> {
    if let Some(description) = publish {
        let version = engine.publish_version(machine_arn, None, description)?;
        out["stateMachineVersionArn"] = json!(version.arn);
    }
    Ok(())
}

/// `DescribeStateMachine`: a machine, or a version when the ARN names one.
pub fn describe_state_machine(engine: &Engine, p: &Params) -> Reply {
    let arn = p.str("stateMachineArn")?;
    match stepwise_engine::arn::split_qualified(arn) {
        Ok((_, Some(_))) => {
            let (version, name) = engine.describe_version(arn)?;
            Ok(wire::state_machine(&as_machine(&version, name)))
        }
        _ => Ok(wire::state_machine(&engine.describe_state_machine(arn)?)),
    }
}

/// A version shown as `DescribeStateMachine` shows a machine, under the version's ARN.
fn as_machine(version: &VersionRecord, name: String) -> StateMachineRecord {
    StateMachineRecord {
        arn: version.arn.clone(),
        name,
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
    }
}

/// The revision an execution of a version ran: the version's (`None` when the version was
/// published from the machine as created, or has since been deleted).
pub fn version_revision(engine: &Engine, version_arn: &str) -> Option<String> {
    engine.describe_version(version_arn).ok().and_then(|(v, _)| v.revision_id)
}
