//! TestState's wire shapes: the request's fields into a [`TestStateRequest`], the engine's
//! answer into AWS's `TestStateOutput` (JSON values travel as JSON text).
use serde_json::{json, Map, Value};
use stepwise_engine::test_state::{
    InspectionData, InspectionLevel, TestMock, TestStateConfiguration, TestStateRequest,
    TestStateResult,
};
use stepwise_engine::Engine;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::request::Params;

mod json_text;

/// Runs `TestState`.
pub async fn test_state(engine: &Engine, p: &Params, caller: &Caller) -> Result<Value, ApiError> {
    let req = read(p, caller)?;
    Ok(render(engine.test_state(req).await?))
}

fn read(p: &Params, caller: &Caller) -> Result<TestStateRequest, ApiError> {
    let inspection_level = match p.opt_str("inspectionLevel")? {
        None | Some("INFO") => InspectionLevel::Info,
        Some("DEBUG") => InspectionLevel::Debug,
        Some("TRACE") => InspectionLevel::Trace,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
            )))
        }
    };
    let state_name = p.opt_str("stateName")?.map(str::to_owned);
    if state_name.as_deref() == Some("") {
        return Err(ApiError::validation(
            "1 validation error detected: Value '' at 'stateName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    Ok(TestStateRequest {
        definition: p.str("definition")?.to_owned(),
        role_arn: p.opt_str("roleArn")?.map(str::to_owned),
        input: p.opt_str("input")?.map(str::to_owned),
        inspection_level,
        reveal_secrets: p.opt_bool("revealSecrets")?.unwrap_or(false),
        variables: p.opt_str("variables")?.map(str::to_owned),
        state_name,
        mock: p.opt_value("mock").map(read_mock).transpose()?,
        context: p.opt_str("context")?.map(str::to_owned),
        configuration: read_configuration(p.opt_value("stateConfiguration"))?,
        region: caller.region.clone(),
        account: caller.account.clone(),
    })
}

fn text(v: &Value, field: &str) -> Result<Option<String>, ApiError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::validation(format!("Value at '{field}' must be a string"))),
    }
}

fn read_mock(v: &Value) -> Result<TestMock, ApiError> {
    let error_output = match v.get("errorOutput").filter(|e| !e.is_null()) {
        Some(e) => Some((text(e, "error")?, text(e, "cause")?)),
        None => None,
    };
    let field_validation_mode = text(v, "fieldValidationMode")?;
    if let Some(mode) = field_validation_mode.as_deref() {
        if !["STRICT", "PRESENT", "NONE"].contains(&mode) {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{mode}' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]"
            )));
        }
    }
    Ok(TestMock { result: text(v, "result")?, error_output, field_validation_mode })
}

fn read_configuration(v: Option<&Value>) -> Result<TestStateConfiguration, ApiError> {
    let Some(v) = v else { return Ok(TestStateConfiguration::default()) };
    let count = |field: &str| -> Result<Option<u32>, ApiError> {
        match v.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()).map(Some).ok_or_else(|| {
                ApiError::validation(format!(
                    "Value at 'stateConfiguration.{field}' must be a non-negative integer"
                ))
            }),
        }
    };
    Ok(TestStateConfiguration {
        retrier_retry_count: count("retrierRetryCount")?,
        error_caused_by_state: text(v, "errorCausedByState")?,
        map_iteration_failure_count: count("mapIterationFailureCount")?,
        map_item_reader_data: text(v, "mapItemReaderData")?,
    })
}

fn render(r: TestStateResult) -> Value {
    let r = TestStateResult { output: r.output.map(|o| respace(&o)), ..r };
    let mut out = Map::new();
    out.insert("status".into(), json!(r.status.as_str()));
    let fields =
        [("output", r.output), ("error", r.error), ("cause", r.cause), ("nextState", r.next_state)];
    for (key, value) in fields {
        if let Some(v) = value {
            out.insert(key.into(), Value::String(v));
        }
    }
    if let Some(data) = r.inspection {
        out.insert("inspectionData".into(), inspection(data));
    }
    Value::Object(out)
}

fn inspection(d: InspectionData) -> Value {
    let text = |v: &Value| Value::String(json_text::spaced(v));
    let mut out = Map::new();
    out.insert("input".into(), text(&d.input));
    let s = &d.steps;
    let steps = [
        ("afterInputPath", &s.after_input_path),
        ("afterParameters", &s.after_parameters),
        ("afterArguments", &s.after_arguments),
        ("afterItemsPath", &s.after_items_path),
        ("result", &s.result),
        ("afterResultSelector", &s.after_result_selector),
        ("afterResultPath", &s.after_result_path),
    ];
    for (key, value) in steps {
        if let Some(v) = value {
            out.insert(key.into(), text(v));
        }
    }
    if let Some(n) = d.max_concurrency {
        out.insert("maxConcurrency".into(), json!(n));
    }
    if let Some(n) = d.tolerated_failure_count {
        out.insert("toleratedFailureCount".into(), json!(n));
    }
    if let Some(p) = d.tolerated_failure_percentage {
        out.insert("toleratedFailurePercentage".into(), json!(p));
    }
    if let Some(vars) = d.variables {
        out.insert("variables".into(), text(&Value::Object(vars)));
    }
    if let Some(e) = d.error_details {
        let mut details = Map::new();
        if let Some(i) = e.catch_index {
            details.insert("catchIndex".into(), json!(i));
        }
        if let Some(i) = e.retry_index {
            details.insert("retryIndex".into(), json!(i));
        }
        if let Some(s) = e.retry_backoff_interval_seconds {
            details.insert("retryBackoffIntervalSeconds".into(), json!(s));
        }
        out.insert("errorDetails".into(), Value::Object(details));
    }
    Value::Object(out)
}

/// The engine's compact output, spaced as AWS writes it.
fn respace(compact: &str) -> String {
    match serde_json::from_str::<Value>(compact) {
        Ok(v) => json_text::spaced(&v),
        Err(_) => compact.to_owned(),
    }
}
