//! `arn:aws:states:::states:startExecution`: a nested workflow on this same server.
//!
//! - request-response: the child is started; the result is its ARN and start date;
//! - `.sync` / `.sync:2`: the call is recorded as submitted once the child starts, and
//!   the task ends with the child: its description (`Output` as text for `.sync`,
//!   parsed for `.sync:2`), or `States.TaskFailed` with that description as the cause;
//! - `.waitForTaskToken`: the child is started, and answers with the token itself.
//!
//! A child the call names no `Name` for gets one derived from the parent's frame and
//! call, so a call repeated after a restart finds the child it started before instead
//! of starting a second one. A parent that ends (stopped, timed out, failed) stops the
//! `.sync` children it still waits on, as AWS does.
use std::time::Duration;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use stepwise_asl::Fault;

use super::{CallFuture, Integration, Pattern, ServiceCall};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{ExecutionRecord, ExecutionStatus, MachineType};

pub(super) struct States;

impl Integration for States {
    fn call(&self, engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (engine, call) = (engine.clone(), call.clone());
        Box::pin(async move {
            if call.action != "startExecution" {
                return Err(Fault::runtime(format!(
                    "Stepwise does not support states:{} yet",
                    call.action
                )));
            }
            start_execution(&engine, &call).await
        })
    }
}

async fn start_execution(engine: &Engine, call: &ServiceCall) -> std::result::Result<Value, Fault> {
    let p = call.parameters.as_object().cloned().unwrap_or_default();
    let machine = p.get("StateMachineArn").and_then(Value::as_str).unwrap_or_default();
    let input = match p.get("Input") {
        // No input, or `null`, is an empty object, as AWS starts it.
        None | Some(Value::Null) => "{}".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(value) => value.to_string(),
    };
    let name = match p.get("Name").and_then(Value::as_str) {
        Some(name) => name.to_owned(),
        None => child_name(call),
    };
    let waits = matches!(call.pattern, Pattern::Sync | Pattern::Sync2);
    let express = engine
        .describe_state_machine(machine)
        .is_ok_and(|m| m.machine_type == MachineType::Express);
    if waits && express {
        // An Express child keeps no record to wait on: it runs to its end in the call.
        let record = engine
            .start_sync_execution(machine, Some(name), Some(input))
            .await
            .map_err(|e| sdk_fault(&e, engine.next_uuid()))?;
        return ended(&record, call.pattern);
    }
    let record =
        match engine.start_execution(machine, Some(name.clone()), Some(input.clone())).await {
            Ok(record) => record,
            // A call repeated after a restart: the child it started before.
            Err(Error::ExecutionAlreadyExists(_)) => {
                let arn = crate::engine::executions::execution_arn(machine, &name);
                match engine.describe_execution(&arn) {
                    Ok(existing) if *existing.input == *input => existing,
                    _ => {
                        let e = Error::ExecutionAlreadyExists(format!(
                            "Execution Already Exists: '{arn}'"
                        ));
                        return Err(sdk_fault(&e, engine.next_uuid()));
                    }
                }
            }
            Err(e) => return Err(sdk_fault(&e, engine.next_uuid())),
        };
    let started = started_output(&record, &engine.next_uuid());
    if !waits {
        return Ok(started);
    }
    engine.call_submitted(call, started);
    let record = tokio::select! {
        record = engine.wait_for_end(&record.arn) => record.map_err(|e| Fault::runtime(e.to_string()))?,
        _ = engine.wait_for_end(&call.execution) => {
            // The parent ended first: its child goes too.
            let cause = format!("The parent execution {} ended", call.execution);
            let _ = engine.stop_execution(&record.arn, Some("States.Aborted".into()), Some(cause)).await;
            return Err(Fault::runtime("the parent execution ended"));
        }
    };
    ended(&record, call.pattern)
}

/// What request-response answers, and `.sync` records as submitted: the
/// StartExecution response with the SDK metadata AWS records beside it (the headers of
/// Step Functions' answer, `SdkResponseMetadata` with its request id), as in AWS's
/// history of `startExecution.sync:2` (LocalStack's `test_start_execution_sync2`).
fn started_output(record: &ExecutionRecord, request_id: &str) -> Value {
    // The body Step Functions answers StartExecution with, for its Content-Length.
    let start_date = if record.start_ms % 1000 == 0 {
        json!(record.start_ms / 1000)
    } else {
        json!(record.start_ms as f64 / 1000.0)
    };
    let body = json!({"executionArn": record.arn, "startDate": start_date}).to_string();
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let headers = [
        ("Content-Length", body.len().to_string()),
        ("Content-Type", "application/x-amz-json-1.0".to_owned()),
        ("Date", date),
        ("connection", "keep-alive".to_owned()),
        ("x-amzn-RequestId", request_id.to_owned()),
    ];
    let all: Map<String, Value> =
        headers.iter().map(|(name, value)| ((*name).to_owned(), json!([value]))).collect();
    let first: Map<String, Value> =
        headers.iter().map(|(name, value)| ((*name).to_owned(), json!(value))).collect();
    json!({
        "ExecutionArn": record.arn,
        "SdkHttpMetadata": {"AllHttpHeaders": all, "HttpHeaders": first, "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": record.start_ms,
    })
}

/// The result of a `.sync` task from its child's end: the child's description, or
/// `States.TaskFailed` with it as the cause.
fn ended(record: &ExecutionRecord, pattern: Pattern) -> std::result::Result<Value, Fault> {
    let mut d = Map::new();
    d.insert("ExecutionArn".into(), json!(record.arn));
    let parse = |text: &str| -> Value {
        if pattern == Pattern::Sync2 {
            serde_json::from_str(text).unwrap_or_else(|_| json!(text))
        } else {
            json!(text)
        }
    };
    d.insert("Input".into(), parse(&record.input));
    d.insert("InputDetails".into(), json!({"Included": true}));
    d.insert("Name".into(), json!(record.name));
    if let Some(output) = &record.output {
        d.insert("Output".into(), parse(output));
        d.insert("OutputDetails".into(), json!({"Included": true}));
    }
    d.insert("StartDate".into(), json!(record.start_ms));
    d.insert("StateMachineArn".into(), json!(record.state_machine_arn));
    d.insert("Status".into(), json!(record.status.as_str()));
    if let Some(stop) = record.stop_ms {
        d.insert("StopDate".into(), json!(stop));
    }
    if record.status == ExecutionStatus::Succeeded {
        return Ok(Value::Object(d));
    }
    if let Some(error) = &record.error {
        d.insert("Error".into(), json!(error));
    }
    if let Some(cause) = &record.cause {
        d.insert("Cause".into(), json!(cause));
    }
    Err(Fault::new("States.TaskFailed", Value::Object(d).to_string()))
}

/// A child name that is the same each time the same call is made (execution, frame,
/// generation), shaped like the UUIDs AWS generates.
fn child_name(call: &ServiceCall) -> String {
    let digest = Sha256::digest(format!("{}/{}/{}", call.execution, call.frame, call.generation));
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// An API error as the `states` integration reports it: `StepFunctions.<Code>Exception`
/// and the Java SDK v1's cause format, as AWS records it.
fn sdk_fault(e: &Error, request_id: String) -> Fault {
    let code = e.aws_type();
    let name = if code.ends_with("Exception") {
        format!("StepFunctions.{code}")
    } else {
        format!("StepFunctions.{code}Exception")
    };
    Fault::new(
        name,
        format!(
            "{} (Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; Request ID: {request_id}; Proxy: null)",
            e.message()
        ),
    )
}

impl Engine {
    /// The execution `arn` once it has ended and its end is durable.
    pub async fn wait_for_end(&self, arn: &str) -> Result<ExecutionRecord> {
        loop {
            let (tell, told) = tokio::sync::oneshot::channel();
            if let Some(cell) = self.inner.registry.get(arn) {
                cell.end_watchers.lock().push(tell);
            }
            let record = self.describe_execution(arn)?;
            if record.status != ExecutionStatus::Running {
                return Ok(record);
            }
            // Told when its ended cell leaves the registry; the timeout covers a cell
            // replaced (reloaded) in between.
            let _ = tokio::time::timeout(Duration::from_secs(1), told).await;
        }
    }

    /// Records a `.sync` call's first answer (the job started) as `TaskSubmitted`, if
    /// its frame still waits for that call.
    pub fn call_submitted(&self, call: &ServiceCall, output: Value) {
        let Some(cell) = self.inner.registry.get(&call.execution) else { return };
        let Ok(mut slot) = self.lock_for_decision(&cell) else { return };
        let now = self.now();
        let Some(running) = slot.running() else { return };
        running.service_submitted(call.frame, call.generation, output, now);
        // Its event reaches the batch the way every decision's events do.
        let mut d = super::super::decide::Decision::default();
        self.advance(&cell, &mut slot, now, &mut d);
        match self.finish(&cell, &mut slot, d) {
            Ok(ticket) => drop(ticket),
            Err(e) => tracing::error!("cannot commit {}: {e}", cell.key),
        }
    }
}
