//! `arn:aws:states:::aws-sdk:sfn:<action>`: Step Functions' own API, called from a Task
//! state of this engine. The activity-worker actions (an execution can act as a worker)
//! and starting, describing and stopping executions run here; they go through the same
//! operations as the API, outside every lock.
use serde_json::{json, Value};
use stepwise_asl::Fault;

use super::{CallFuture, Integration, ServiceCall};
use crate::engine::{Engine, LONG_POLL};
use crate::error::Error;

pub(super) struct Sfn;

impl Integration for Sfn {
    fn call(&self, engine: &Engine, call: &ServiceCall) -> CallFuture {
        let engine = engine.clone();
        let (action, p) = (call.action.clone(), call.parameters.clone());
        Box::pin(async move {
            let result = run(&engine, &action, &p).await;
            result.map_err(|e| sdk_fault(&e, engine.next_uuid()))
        })
    }
}

async fn run(engine: &Engine, action: &str, p: &Value) -> Result<Value, Error> {
    let field = |name: &str| p.get(name).and_then(Value::as_str);
    let required = |name: &str| {
        field(name).ok_or_else(|| Error::Validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(name)
        )))
    };
    match action {
        "getActivityTask" => {
            let arn = required("ActivityArn")?;
            let worker = field("WorkerName").map(str::to_owned);
            // The long poll ends after 60 s with no task, as on AWS.
            Ok(match engine.get_activity_task_within(arn, worker, LONG_POLL).await? {
                Some(task) => json!({ "TaskToken": task.task_token, "Input": task.input }),
                None => json!({}),
            })
        }
        "sendTaskSuccess" => {
            let (token, output) = (required("TaskToken")?, required("Output")?);
            engine.send_task_success(token, output).await?;
            Ok(json!({}))
        }
        "sendTaskFailure" => {
            let token = required("TaskToken")?;
            let (error, cause) =
                (field("Error").map(str::to_owned), field("Cause").map(str::to_owned));
            engine.send_task_failure(token, error, cause).await?;
            Ok(json!({}))
        }
        "sendTaskHeartbeat" => {
            engine.send_task_heartbeat(required("TaskToken")?).await?;
            Ok(json!({}))
        }
        "startExecution" => {
            let machine = required("StateMachineArn")?;
            // An object is sent as its JSON text (AWS serialises it implicitly); no
            // input, or `null`, starts with `{}`.
            let input = match p.get("Input") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(text.clone()),
                Some(value) => Some(value.to_string()),
            };
            let name = field("Name").map(str::to_owned);
            let record = engine.start_execution(machine, name, input).await?;
            Ok(json!({ "ExecutionArn": record.arn, "StartDate": date(record.start_ms) }))
        }
        "describeExecution" => {
            let record = engine.describe_execution(required("ExecutionArn")?)?;
            Ok(described(&record))
        }
        "stopExecution" => {
            let arn = required("ExecutionArn")?;
            let (error, cause) =
                (field("Error").map(str::to_owned), field("Cause").map(str::to_owned));
            let stop_ms = engine.stop_execution(arn, error, cause).await?;
            Ok(json!({ "StopDate": date(stop_ms) }))
        }
        other => {
            Err(Error::Unsupported(format!("Stepwise does not support aws-sdk:sfn:{other} yet")))
        }
    }
}

/// A timestamp as aws-sdk tasks receive it: ISO 8601 text (the optimized
/// `states:startExecution` integration gives epoch milliseconds instead).
fn date(ms: i64) -> String {
    crate::execution::millis_to_iso(ms)
}

/// `DescribeExecution`'s answer with the SDK's member names, as aws-sdk tasks see it.
fn described(record: &crate::model::ExecutionRecord) -> Value {
    let mut d = json!({
        "ExecutionArn": record.arn,
        "StateMachineArn": record.state_machine_arn,
        "Name": record.name,
        "Status": record.status.as_str(),
        "StartDate": date(record.start_ms),
        "Input": &*record.input,
        "InputDetails": {"Included": true},
    });
    let fields = [
        ("StopDate", record.stop_ms.map(|ms| Value::from(date(ms)))),
        ("Output", record.output.clone().map(Value::from)),
        ("Error", record.error.clone().map(Value::from)),
        ("Cause", record.cause.clone().map(Value::from)),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            d[name] = value;
        }
    }
    if record.output.is_some() {
        d["OutputDetails"] = json!({"Included": true});
    }
    d
}

/// An API error as an `aws-sdk:sfn` task failure: `Sfn.<Code>Exception` and AWS's cause format.
fn sdk_fault(e: &Error, request_id: String) -> Fault {
    let code = e.aws_type();
    let name = if code.ends_with("Exception") {
        format!("Sfn.{code}")
    } else {
        format!("Sfn.{code}Exception")
    };
    Fault::new(
        name,
        format!("{} (Service: Sfn, Status Code: 400, Request ID: {request_id})", e.message()),
    )
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}
