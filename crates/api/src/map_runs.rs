//! The Map Run operations: `DescribeMapRun`, `ListMapRuns`, `UpdateMapRun`.
use serde_json::{json, Value};
use stepwise_engine::{Engine, MapRunCounts, MapRunRecord, MapRunUpdate};

use crate::error::ApiError;
use crate::page::{self, Bounds};
use crate::request::Params;
use crate::wire;

type Reply = Result<Value, ApiError>;

/// Runs one of the Map Run operations.
pub async fn dispatch(engine: &Engine, op: &str, p: &Params) -> Reply {
    match op {
        "DescribeMapRun" => Ok(describe(&engine.describe_map_run(p.str("mapRunArn")?)?)),
        "ListMapRuns" => {
            let runs = engine.list_map_runs(p.str("executionArn")?)?;
            let key = "mapRuns";
            let (slice, next) = Bounds::read(p, 100, key)?.slice(&runs)?;
            Ok(page::render(key, slice, next, item))
        }
        "UpdateMapRun" => {
            let update = read_update(p)?;
            engine.update_map_run(p.str("mapRunArn")?, update).await?;
            Ok(json!({}))
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

fn read_update(p: &Params) -> Result<MapRunUpdate, ApiError> {
    let percentage = match p.opt_value("toleratedFailurePercentage") {
        None => None,
        Some(v) => {
            Some(v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(
                || ApiError::validation("Value at 'toleratedFailurePercentage' must be a number"),
            )?)
        }
    };
    let update = MapRunUpdate {
        max_concurrency: p.opt_u64("maxConcurrency")?,
        tolerated_failure_count: p.opt_u64("toleratedFailureCount")?,
        tolerated_failure_percentage: percentage,
    };
    if update.max_concurrency.is_none()
        && update.tolerated_failure_count.is_none()
        && update.tolerated_failure_percentage.is_none()
    {
        return Err(ApiError::validation(
            "At least one of the parameters maxConcurrency, toleratedFailurePercentage or toleratedFailureCount must be specified",
        ));
    }
    Ok(update)
}

fn counts(c: &MapRunCounts) -> Value {
    json!({
        "pending": c.pending,
        "running": c.running,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "timedOut": c.timed_out,
        "aborted": c.aborted,
        "total": c.total,
        "resultsWritten": c.results_written,
    })
}

fn describe(r: &MapRunRecord) -> Value {
    let mut out = json!({
        "mapRunArn": r.map_run_arn,
        "executionArn": r.execution_arn,
        "status": r.status.as_str(),
        "startDate": wire::date(r.start_ms),
        "maxConcurrency": r.max_concurrency,
        "toleratedFailurePercentage": r.tolerated_failure_percentage,
        "toleratedFailureCount": r.tolerated_failure_count,
        "itemCounts": counts(&r.item_counts),
        "executionCounts": counts(&r.execution_counts),
    });
    if let Some(stop) = r.stop_ms {
        out["stopDate"] = wire::date(stop);
    }
    out
}

fn item(r: &MapRunRecord) -> Value {
    let mut out = json!({
        "executionArn": r.execution_arn,
        "mapRunArn": r.map_run_arn,
        "stateMachineArn": r.state_machine_arn,
        "startDate": wire::date(r.start_ms),
    });
    if let Some(stop) = r.stop_ms {
        out["stopDate"] = wire::date(stop);
    }
    out
}
