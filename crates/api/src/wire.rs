//! Engine records rendered as AWS's response shapes.
use serde_json::{json, Map, Value};
use stepwise_engine::history::{ErrorCause, EventKind, HistoryEvent};
use stepwise_engine::model::{ActivityRecord, ExecutionRecord, StateMachineRecord, Tag};

/// Epoch seconds with millisecond precision, as the SDKs expect.
pub fn date(ms: i64) -> Value {
    // Whole seconds stay integers; the SDKs misread finer-than-ms fractions.
    if ms % 1000 == 0 {
        json!(ms / 1000)
    } else {
        json!(ms as f64 / 1000.0)
    }
}

/// `DescribeStateMachine`'s response.
pub fn state_machine(m: &StateMachineRecord) -> Value {
    let mut out = json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": "ACTIVE",
        "definition": &*m.definition,
        "roleArn": m.role_arn,
        "type": m.machine_type.as_str(),
        "creationDate": date(m.creation_ms),
        "loggingConfiguration": logging(m),
        "tracingConfiguration": { "enabled": m.tracing_enabled },
    });
    if let Some(rev) = &m.revision_id {
        out["revisionId"] = json!(rev);
    }
    if let Some(desc) = &m.description {
        out["description"] = json!(desc);
    }
    if let Some(references) = variable_references(&m.definition) {
        out["variableReferences"] = references;
    }
    out
}

/// `variableReferences`: the variables each state reads, left out (as AWS leaves it
/// out) when no state reads any.
pub fn variable_references(definition: &str) -> Option<Value> {
    let definition: Value = serde_json::from_str(definition).ok()?;
    let found = stepwise_asl::variable_references::of(&definition);
    (!found.is_empty()).then(|| json!(found))
}

/// The logging configuration, AWS's default when none was set.
pub fn logging(m: &StateMachineRecord) -> Value {
    m.logging_configuration
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({ "level": "OFF", "includeExecutionData": false }))
}

/// A `ListStateMachines` item.
pub fn state_machine_item(m: &StateMachineRecord) -> Value {
    json!({ "stateMachineArn": m.arn, "name": m.name, "type": m.machine_type.as_str(), "creationDate": date(m.creation_ms) })
}

/// `DescribeActivity`'s response and a `ListActivities` item.
pub fn activity(a: &ActivityRecord) -> Value {
    json!({ "activityArn": a.arn, "name": a.name, "creationDate": date(a.creation_ms) })
}

/// Tags as `[{key, value}]`.
pub fn tags(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({ "key": t.key, "value": t.value })).collect())
}

/// `DescribeExecution`'s response.
pub fn execution(e: &ExecutionRecord) -> Value {
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": date(e.start_ms),
        "input": &*e.input,
        "inputDetails": { "included": true },
        "redriveCount": e.redrive.count,
    });
    let o = out.as_object_mut().expect("object");
    if let Some(stop) = e.stop_ms {
        o.insert("stopDate".into(), date(stop));
    }
    started_on(e, o);
    if let Some(output) = &e.output {
        o.insert("output".into(), json!(output));
        o.insert("outputDetails".into(), json!({ "included": true }));
    }
    if let Some(error) = &e.error {
        o.insert("error".into(), json!(error));
    }
    if let Some(cause) = &e.cause {
        o.insert("cause".into(), json!(cause));
    }
    let status = e.redrive_status(now_ms());
    o.insert("redriveStatus".into(), json!(status.as_str()));
    if let Some(reason) = status.reason() {
        o.insert("redriveStatusReason".into(), json!(reason));
    }
    if let Some(ms) = e.redrive.last_ms {
        o.insert("redriveDate".into(), date(ms));
    }
    out
}

/// The time now, for the 14-day window of `redriveStatus` (the engine refuses a redrive
/// by the same rule, on its own clock).
fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `StartSyncExecution`'s response: the execution's end, with AWS's billing of it
/// (`included` false for `includedData: METADATA_ONLY` leaves input and output out).
pub fn sync_execution(e: &ExecutionRecord, trace_header: Option<&str>, included: bool) -> Value {
    let stop = e.stop_ms.unwrap_or(e.start_ms);
    let mut out = Map::new();
    out.insert("executionArn".into(), json!(e.arn));
    out.insert("stateMachineArn".into(), json!(e.state_machine_arn));
    out.insert("name".into(), json!(e.name));
    out.insert("startDate".into(), date(e.start_ms));
    out.insert("stopDate".into(), date(stop));
    out.insert("status".into(), json!(e.status.as_str()));
    if let Some(error) = &e.error {
        out.insert("error".into(), json!(error));
    }
    if let Some(cause) = &e.cause {
        out.insert("cause".into(), json!(cause));
    }
    if included {
        out.insert("input".into(), json!(&*e.input));
        if let Some(output) = &e.output {
            out.insert("output".into(), json!(output));
        }
    }
    // AWS says so even when a failed execution has no output.
    out.insert("inputDetails".into(), json!({ "included": included }));
    out.insert("outputDetails".into(), json!({ "included": included }));
    out.insert(
        "billingDetails".into(),
        json!({
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": billed_duration_ms(stop - e.start_ms),
        }),
    );
    if let Some(trace_header) = trace_header {
        out.insert("traceHeader".into(), json!(trace_header));
    }
    Value::Object(out)
}

/// Express executions are billed by the 100 ms, at least 100 ms.
fn billed_duration_ms(duration_ms: i64) -> i64 {
    (duration_ms.max(1) + 99) / 100 * 100
}

/// A `ListExecutions` item.
pub fn execution_item(e: &ExecutionRecord) -> Value {
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": date(e.start_ms),
        "redriveCount": e.redrive.count,
    });
    if let Some(stop) = e.stop_ms {
        out["stopDate"] = date(stop);
    }
    if let Some(ms) = e.redrive.last_ms {
        out["redriveDate"] = date(ms);
    }
    if let Some(o) = out.as_object_mut() {
        started_on(e, o);
    }
    out
}

/// The version and alias an execution was started on, when it was.
fn started_on(e: &ExecutionRecord, out: &mut Map<String, Value>) {
    if let Some(version) = &e.state_machine_version_arn {
        out.insert("stateMachineVersionArn".into(), json!(version));
    }
    if let Some(alias) = &e.state_machine_alias_arn {
        out.insert("stateMachineAliasArn".into(), json!(alias));
    }
}

fn error_cause(ec: &ErrorCause) -> Value {
    let mut m = Map::new();
    if let Some(e) = &ec.error {
        m.insert("error".into(), json!(e));
    }
    if let Some(c) = &ec.cause {
        m.insert("cause".into(), json!(c));
    }
    Value::Object(m)
}

/// One history event; `data` false drops inputs and outputs (includeExecutionData).
pub fn event(e: &HistoryEvent, data: bool) -> Value {
    let mut out = Map::new();
    out.insert("timestamp".into(), date(e.timestamp_ms));
    out.insert("type".into(), json!(e.kind.type_name()));
    out.insert("id".into(), json!(e.id));
    out.insert("previousEventId".into(), json!(e.previous_event_id));
    let payload = |field: &str, text: &str, details: &str| -> Vec<(String, Value)> {
        if data {
            vec![
                (field.to_owned(), json!(text)),
                (details.to_owned(), json!({ "truncated": false })),
            ]
        } else {
            vec![]
        }
    };
    let (key, details): (&str, Value) = match &e.kind {
        EventKind::ExecutionStarted { input, role_arn } => {
            let mut d = Map::new();
            d.extend(payload("input", input, "inputDetails"));
            d.insert("roleArn".into(), json!(role_arn));
            ("executionStartedEventDetails", Value::Object(d))
        }
        EventKind::ExecutionSucceeded { output } => (
            "executionSucceededEventDetails",
            Value::Object(payload("output", output, "outputDetails").into_iter().collect()),
        ),
        EventKind::ExecutionFailed(ec) => ("executionFailedEventDetails", error_cause(ec)),
        EventKind::ExecutionAborted(ec) => ("executionAbortedEventDetails", error_cause(ec)),
        EventKind::ExecutionTimedOut(ec) => ("executionTimedOutEventDetails", error_cause(ec)),
        EventKind::StateEntered { name, input, .. } => {
            let mut d = Map::new();
            d.insert("name".into(), json!(name));
            d.extend(payload("input", input, "inputDetails"));
            ("stateEnteredEventDetails", Value::Object(d))
        }
        EventKind::StateExited { name, output, assigned, .. } => {
            let mut d = Map::new();
            d.insert("name".into(), json!(name));
            d.extend(payload("output", output, "outputDetails"));
            if let (Some(vars), true) = (assigned, data) {
                let vars: Map<String, Value> =
                    vars.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                d.insert("assignedVariables".into(), Value::Object(vars));
                d.insert("assignedVariablesDetails".into(), json!({ "truncated": false }));
            }
            ("stateExitedEventDetails", Value::Object(d))
        }
        EventKind::ActivityScheduled { resource, input, timeout_seconds, heartbeat_seconds } => {
            let mut d = Map::new();
            d.insert("resource".into(), json!(resource));
            d.extend(payload("input", input, "inputDetails"));
            if let Some(t) = timeout_seconds {
                d.insert("timeoutInSeconds".into(), json!(t));
            }
            if let Some(h) = heartbeat_seconds {
                d.insert("heartbeatInSeconds".into(), json!(h));
            }
            ("activityScheduledEventDetails", Value::Object(d))
        }
        EventKind::ActivityScheduleFailed(ec) => {
            ("activityScheduleFailedEventDetails", error_cause(ec))
        }
        EventKind::ActivityStarted { worker_name } => {
            let details = match worker_name {
                Some(w) => json!({ "workerName": w }),
                None => json!({}),
            };
            ("activityStartedEventDetails", details)
        }
        EventKind::ActivitySucceeded { output } => (
            "activitySucceededEventDetails",
            Value::Object(payload("output", output, "outputDetails").into_iter().collect()),
        ),
        EventKind::ActivityFailed(ec) => ("activityFailedEventDetails", error_cause(ec)),
        EventKind::ActivityTimedOut(ec) => ("activityTimedOutEventDetails", error_cause(ec)),
        EventKind::TaskScheduledV1 { resource_type, resource, region, parameters } => (
            "taskScheduledEventDetails",
            json!({ "resourceType": resource_type, "resource": resource, "region": region, "parameters": parameters }),
        ),
        EventKind::TaskScheduled {
            resource_type,
            resource,
            region,
            parameters,
            timeout_seconds,
            heartbeat_seconds,
        } => {
            let mut d = Map::new();
            d.insert("resourceType".into(), json!(resource_type));
            d.insert("resource".into(), json!(resource));
            d.insert("region".into(), json!(region));
            d.insert("parameters".into(), json!(parameters));
            if let Some(t) = timeout_seconds {
                d.insert("timeoutInSeconds".into(), json!(t));
            }
            if let Some(h) = heartbeat_seconds {
                d.insert("heartbeatInSeconds".into(), json!(h));
            }
            ("taskScheduledEventDetails", Value::Object(d))
        }
        EventKind::TaskSubmitted { resource_type, resource, output } => {
            let mut d = Map::new();
            d.insert("resourceType".into(), json!(resource_type));
            d.insert("resource".into(), json!(resource));
            d.extend(payload("output", output, "outputDetails"));
            ("taskSubmittedEventDetails", Value::Object(d))
        }
        EventKind::TaskTimedOut { resource_type, resource, error } => {
            let mut d = error_cause(error);
            d["resourceType"] = json!(resource_type);
            d["resource"] = json!(resource);
            ("taskTimedOutEventDetails", d)
        }
        EventKind::LambdaFunctionScheduled { resource, input, timeout_seconds } => {
            let mut d = Map::new();
            d.insert("resource".into(), json!(resource));
            d.extend(payload("input", input, "inputDetails"));
            if let Some(t) = timeout_seconds {
                d.insert("timeoutInSeconds".into(), json!(t));
            }
            ("lambdaFunctionScheduledEventDetails", Value::Object(d))
        }
        EventKind::LambdaFunctionSucceeded { output } => (
            "lambdaFunctionSucceededEventDetails",
            Value::Object(payload("output", output, "outputDetails").into_iter().collect()),
        ),
        EventKind::LambdaFunctionFailed(ec) => {
            ("lambdaFunctionFailedEventDetails", error_cause(ec))
        }
        EventKind::LambdaFunctionTimedOut(ec) => {
            ("lambdaFunctionTimedOutEventDetails", error_cause(ec))
        }
        EventKind::ExecutionRedriven { redrive_count } => {
            ("executionRedrivenEventDetails", json!({ "redriveCount": redrive_count }))
        }
        EventKind::TaskStarted { resource_type, resource } => (
            "taskStartedEventDetails",
            json!({ "resourceType": resource_type, "resource": resource }),
        ),
        EventKind::TaskSucceeded { resource_type, resource, output } => {
            let mut d = Map::new();
            d.insert("resourceType".into(), json!(resource_type));
            d.insert("resource".into(), json!(resource));
            d.extend(payload("output", output, "outputDetails"));
            ("taskSucceededEventDetails", Value::Object(d))
        }
        EventKind::TaskFailed { resource_type, resource, error } => {
            let mut d = error_cause(error);
            d["resourceType"] = json!(resource_type);
            d["resource"] = json!(resource);
            ("taskFailedEventDetails", d)
        }
        EventKind::EvaluationFailed { error, cause, location, state } => {
            let mut d = json!({ "error": error, "cause": cause, "state": state });
            if let Some(location) = location {
                d["location"] = json!(location);
            }
            ("evaluationFailedEventDetails", d)
        }
        EventKind::MapStateStarted { length } => {
            ("mapStateStartedEventDetails", json!({ "length": length }))
        }
        EventKind::MapIterationStarted { name, index } => {
            ("mapIterationStartedEventDetails", json!({ "name": name, "index": index }))
        }
        EventKind::MapIterationSucceeded { name, index } => {
            ("mapIterationSucceededEventDetails", json!({ "name": name, "index": index }))
        }
        EventKind::MapIterationFailed { name, index } => {
            ("mapIterationFailedEventDetails", json!({ "name": name, "index": index }))
        }
        EventKind::MapIterationAborted { name, index } => {
            ("mapIterationAbortedEventDetails", json!({ "name": name, "index": index }))
        }
        EventKind::MapRunStarted { map_run_arn } => {
            ("mapRunStartedEventDetails", json!({ "mapRunArn": map_run_arn }))
        }
        EventKind::MapRunFailed(ec) => ("mapRunFailedEventDetails", error_cause(ec)),
        EventKind::MapRunSucceeded
        | EventKind::MapRunAborted
        | EventKind::ParallelStateStarted
        | EventKind::ParallelStateSucceeded
        | EventKind::ParallelStateFailed
        | EventKind::ParallelStateAborted
        | EventKind::MapStateSucceeded
        | EventKind::MapStateFailed
        | EventKind::MapStateAborted
        | EventKind::LambdaFunctionStarted => return Value::Object(out),
    };
    out.insert(key.into(), details);
    Value::Object(out)
}
