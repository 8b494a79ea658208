//! One function per operation: read the parameters, call the engine once, render the result.
use serde_json::{json, Value};
use stepwise_engine::model::{ExecutionStatus, MachineType, Tag};
use stepwise_engine::{Engine, NewStateMachine, StateMachineUpdate};

use std::sync::Arc;

use stepwise_engine::LONG_POLL;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::page::{self, Bounds};
use crate::polls::LongPolls;
use crate::request::Params;
use crate::{aliases, map_runs, versions, wire};

type Reply = Result<Value, ApiError>;

/// What a request brings besides its parameters.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Who sent it.
    pub caller: &'a Caller,
    /// The bounds on long polls, when the server sets them.
    pub polls: Option<&'a Arc<LongPolls>>,
}

/// Runs operation `op`. Only `GetActivityTask` awaits (it long-polls).
pub async fn dispatch(engine: &Engine, op: &str, p: Params, context: &Context<'_>) -> Reply {
    let caller = context.caller;
    caller.check_params(op, &p)?;
    let region = caller.region.as_deref();
    match op {
        "CreateStateMachine" => create_state_machine(engine, &p, caller),
        "DescribeStateMachine" => versions::describe_state_machine(engine, &p),
        "UpdateStateMachine" => update_state_machine(engine, &p),
        "DeleteStateMachine" => engine
            .delete_state_machine(p.str("stateMachineArn")?)
            .map(|()| json!({}))
            .map_err(Into::into),
        "ListStateMachines" => {
            let mut all = engine.list_state_machines()?;
            all.retain(|m| caller.owns(&m.arn));
            page(&p, &all, 100, "stateMachines", wire::state_machine_item)
        }
        "ValidateStateMachineDefinition" => validate_definition(&p),
        "StartExecution" => start_execution(engine, &p).await,
        "StartSyncExecution" => start_sync_execution(engine, &p).await,
        "DescribeExecution" => {
            Ok(wire::execution(&engine.describe_execution(p.str("executionArn")?)?))
        }
        "DescribeStateMachineForExecution" => describe_state_machine_for_execution(engine, &p),
        "ListExecutions" => list_executions(engine, &p),
        "StopExecution" => {
            let stop = engine
                .stop_execution(
                    p.str("executionArn")?,
                    p.opt_str("error")?.map(str::to_owned),
                    p.opt_str("cause")?.map(str::to_owned),
                )
                .await?;
            Ok(json!({ "stopDate": wire::date(stop) }))
        }
        "GetExecutionHistory" => execution_history(engine, &p),
        "CreateActivity" => {
            let tags = read_tags(&p)?;
            let a = engine.create_activity_for(
                p.str("name")?,
                tags,
                region,
                caller.account.as_deref(),
            )?;
            Ok(json!({ "activityArn": a.arn, "creationDate": wire::date(a.creation_ms) }))
        }
        "DescribeActivity" => Ok(wire::activity(&engine.describe_activity(p.str("activityArn")?)?)),
        "DeleteActivity" => {
            engine.delete_activity(p.str("activityArn")?).map(|()| json!({})).map_err(Into::into)
        }
        "ListActivities" => {
            let mut all = engine.list_activities()?;
            all.retain(|a| caller.owns(&a.arn));
            page(&p, &all, 100, "activities", wire::activity)
        }
        "GetActivityTask" => {
            let arn = p.str("activityArn")?;
            let worker = p.opt_str("workerName")?.map(str::to_owned);
            let polled = match context.polls {
                None => engine.get_activity_task(arn, worker).await?,
                Some(polls) => {
                    let _permit = polls.enter(arn)?;
                    engine.get_activity_task_until(arn, worker, LONG_POLL, polls.stopping()).await?
                }
            };
            Ok(match polled {
                Some(task) => json!({ "taskToken": task.task_token, "input": task.input }),
                None => json!({}),
            })
        }
        "SendTaskSuccess" => {
            engine.send_task_success(p.str("taskToken")?, p.str("output")?).await?;
            Ok(json!({}))
        }
        "SendTaskFailure" => {
            let error = p.opt_str("error")?.map(str::to_owned);
            let cause = p.opt_str("cause")?.map(str::to_owned);
            engine.send_task_failure(p.str("taskToken")?, error, cause).await?;
            Ok(json!({}))
        }
        "SendTaskHeartbeat" => {
            engine.send_task_heartbeat(p.str("taskToken")?).await?;
            Ok(json!({}))
        }
        "TagResource" => {
            let tags = read_tags(&p)?;
            engine.tag_resource(p.str("resourceArn")?, tags)?;
            Ok(json!({}))
        }
        "UntagResource" => {
            let keys: Vec<String> = match p.opt_value("tagKeys") {
                Some(Value::Array(keys)) => keys.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect(),
                _ => return Err(ApiError::validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")),
            };
            engine.untag_resource(p.str("resourceArn")?, &keys)?;
            Ok(json!({}))
        }
        "ListTagsForResource" => {
            Ok(json!({ "tags": wire::tags(&engine.list_tags(p.str("resourceArn")?)?) }))
        }
        "PublishStateMachineVersion" | "ListStateMachineVersions" | "DeleteStateMachineVersion" => {
            versions::dispatch(engine, op, &p)
        }
        "CreateStateMachineAlias"
        | "DescribeStateMachineAlias"
        | "UpdateStateMachineAlias"
        | "DeleteStateMachineAlias"
        | "ListStateMachineAliases" => aliases::dispatch(engine, op, &p),
        "TestState" => crate::test_state::test_state(engine, &p, caller).await,
        "RedriveExecution" => {
            let token = p.opt_str("clientToken")?.map(str::to_owned);
            let date = engine.redrive_execution(p.str("executionArn")?, token).await?;
            Ok(json!({ "redriveDate": wire::date(date) }))
        }
        "DescribeMapRun" | "ListMapRuns" | "UpdateMapRun" => {
            map_runs::dispatch(engine, op, &p).await
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

fn create_state_machine(engine: &Engine, p: &Params, caller: &Caller) -> Reply {
    let publish = versions::read_publish(p)?;
    let machine_type = read_type(p)?;
    let record = engine.create_state_machine(NewStateMachine {
        name: p.str("name")?.to_owned(),
        definition: p.str("definition")?.to_owned(),
        role_arn: p.str("roleArn")?.to_owned(),
        machine_type: Some(machine_type),
        logging_configuration: p.opt_value("loggingConfiguration").map(Value::to_string),
        tracing_enabled: tracing_flag(p).unwrap_or(false),
        tags: read_tags(p)?,
        region: caller.region.clone(),
        account: caller.account.clone(),
    })?;
    let mut out =
        json!({ "stateMachineArn": record.arn, "creationDate": wire::date(record.creation_ms) });
    versions::publish_after(engine, &record.arn, publish, &mut out)?;
    Ok(out)
}

/// The `type` of a state machine: STANDARD when absent.
fn read_type(p: &Params) -> Result<MachineType, ApiError> {
    match p.opt_str("type")? {
        None | Some("STANDARD") => Ok(MachineType::Standard),
        Some("EXPRESS") => Ok(MachineType::Express),
        Some(other) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
        ))),
    }
}

fn tracing_flag(p: &Params) -> Option<bool> {
    p.opt_value("tracingConfiguration")?.get("enabled")?.as_bool()
}

fn update_state_machine(engine: &Engine, p: &Params) -> Reply {
    let publish = versions::read_publish(p)?;
    let record = engine.update_state_machine(
        p.str("stateMachineArn")?,
        StateMachineUpdate {
            definition: p.opt_str("definition")?.map(str::to_owned),
            role_arn: p.opt_str("roleArn")?.map(str::to_owned),
            logging_configuration: p.opt_value("loggingConfiguration").map(Value::to_string),
            tracing_enabled: tracing_flag(p),
        },
    )?;
    let mut out =
        json!({ "updateDate": wire::date(record.update_ms.unwrap_or(record.creation_ms)) });
    if let Some(rev) = record.revision_id {
        out["revisionId"] = json!(rev);
    }
    versions::publish_after(engine, &record.arn, publish, &mut out)?;
    Ok(out)
}

fn validate_definition(p: &Params) -> Reply {
    let definition = p.str("definition")?;
    let machine_type = read_type(p)?;
    let mut validation = stepwise_asl::Machine::parse(definition);
    // Resources AWS does not offer, and those an Express machine may not wait for
    // (activities, `.sync`, `.waitForTaskToken`).
    if validation.machine.is_some() {
        let refused = stepwise_engine::resource_diagnostics(definition, machine_type);
        if !refused.is_empty() {
            validation.machine = None;
            validation.diagnostics.extend(refused);
        }
    }
    let ok = validation.machine.is_some();
    // AWS leaves `location` out when a finding has none.
    let diagnostics: Vec<Value> = validation
        .diagnostics
        .iter()
        .map(|d| {
            let mut v = json!({ "severity": d.severity, "code": d.code, "message": d.message });
            if !d.location.is_empty() {
                v["location"] = json!(d.location);
            }
            v
        })
        .collect();
    Ok(
        json!({ "result": if ok { "OK" } else { "FAIL" }, "diagnostics": diagnostics, "truncated": false }),
    )
}

async fn start_execution(engine: &Engine, p: &Params) -> Reply {
    let record = engine
        .start_execution(
            p.str("stateMachineArn")?,
            p.opt_str("name")?.map(str::to_owned),
            p.opt_str("input")?.map(str::to_owned),
        )
        .await?;
    Ok(json!({ "executionArn": record.arn, "startDate": wire::date(record.start_ms) }))
}

/// `StartSyncExecution`: HTTP 200 with the execution's end, whatever its status.
async fn start_sync_execution(engine: &Engine, p: &Params) -> Reply {
    let included = match p.opt_str("includedData")? {
        None | Some("INCLUDE_ALL_DATA") => true,
        Some("METADATA_ONLY") => false,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [INCLUDE_ALL_DATA, METADATA_ONLY]"
            )))
        }
    };
    let trace_header = p.opt_str("traceHeader")?;
    let record = engine
        .start_sync_execution(
            p.str("stateMachineArn")?,
            p.opt_str("name")?.map(str::to_owned),
            p.opt_str("input")?.map(str::to_owned),
        )
        .await?;
    Ok(wire::sync_execution(&record, trace_header, included))
}

fn describe_state_machine_for_execution(engine: &Engine, p: &Params) -> Reply {
    let execution = engine.describe_execution(p.str("executionArn")?)?;
    let machine = engine.describe_state_machine(&execution.state_machine_arn).ok();
    let mut out = json!({
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.state_machine_arn.rsplit(':').next().unwrap_or_default(),
        "definition": &*execution.definition,
        "roleArn": execution.role_arn,
        "updateDate": wire::date(machine.as_ref().map_or(execution.start_ms, |m| m.update_ms.unwrap_or(m.creation_ms))),
    });
    if let Some(m) = &machine {
        out["loggingConfiguration"] = wire::logging(m);
        out["tracingConfiguration"] = json!({ "enabled": m.tracing_enabled });
        // An execution of a version ran that version's revision.
        let revision = match &execution.state_machine_version_arn {
            Some(version_arn) => versions::version_revision(engine, version_arn),
            None => m.revision_id.clone(),
        };
        if let Some(rev) = revision {
            out["revisionId"] = json!(rev);
        }
    }
    if let Some(references) = wire::variable_references(&execution.definition) {
        out["variableReferences"] = references;
    }
    Ok(out)
}

fn list_executions(engine: &Engine, p: &Params) -> Reply {
    let status = match p.opt_str("statusFilter")? {
        None => None,
        Some(s) => Some(ExecutionStatus::parse(s).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{s}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
            ))
        })?),
    };
    let Some(arn) = p.opt_str("stateMachineArn")? else {
        if let Some(map_run) = p.opt_str("mapRunArn")? {
            // The Map Run must exist; its iterations are not kept as executions of their own.
            engine.describe_map_run(map_run)?;
            return Err(ApiError::unsupported(
                "ListExecutions with mapRunArn (a Map Run's iterations are not recorded as child executions)",
            ));
        }
        return Err(ApiError::validation("Must provide a StateMachine ARN or MapRun ARN"));
    };
    let redriven = match p.opt_str("redriveFilter")? {
        None => None,
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        Some(s) => return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{s}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"
        ))),
    };
    let bounds = Bounds::read(p, 100, "executions")?;
    let (rows, more) =
        engine.list_executions_filtered(arn, status, redriven, bounds.start, bounds.max)?;
    let next = bounds.next_after(rows.len(), more)?;
    Ok(page::render("executions", &rows, next, wire::execution_item))
}

fn execution_history(engine: &Engine, p: &Params) -> Reply {
    let mut events = engine.history(p.str("executionArn")?)?;
    if p.opt_bool("reverseOrder")?.unwrap_or(false) {
        events.reverse();
    }
    let data = p.opt_bool("includeExecutionData")?.unwrap_or(true);
    page(p, &events, 100, "events", |e| wire::event(e, data))
}

/// Pages `items` with `maxResults` (0 or absent → `default`, at most 1000) and `nextToken`.
fn page<T>(
    p: &Params,
    items: &[T],
    default: u64,
    key: &str,
    render: impl Fn(&T) -> Value,
) -> Reply {
    let (slice, next) = Bounds::read(p, default, key)?.slice(items)?;
    Ok(page::render(key, slice, next, render))
}

fn read_tags(p: &Params) -> Result<Vec<Tag>, ApiError> {
    let Some(tags) = p.opt_value("tags") else { return Ok(Vec::new()) };
    let Value::Array(tags) = tags else {
        return Err(ApiError::validation("Value at 'tags' must be a list"));
    };
    tags.iter()
        .map(|t| {
            let key = t.get("key").and_then(Value::as_str);
            let value = t.get("value").and_then(Value::as_str);
            match (key, value) {
                (Some(k), Some(v)) => Ok(Tag { key: k.to_owned(), value: v.to_owned() }),
                _ => Err(ApiError::validation("Each tag must have a string 'key' and 'value'")),
            }
        })
        .collect()
}
