//! What lets an operator watch the server: a request id on every response and in the
//! logs, one log line and two metrics per request, the logs as text or JSON, and
//! `GET /metrics` in Prometheus text format.
//!
//! The engine and the store emit their metrics through the `metrics` facade only
//! (`stepwise_engine::telemetry`); this module installs the recorder that collects them
//! (`metrics-exporter-prometheus`, without its own listener) and renders it on the main
//! server's port, beside the gauges read at scrape time.
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use stepwise_api::polls::LongPolls;
use stepwise_engine::Engine;
use tracing::Instrument as _;

/// The header AWS answers every request with, holding its id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Requests answered, by operation, HTTP status and AWS error name (count).
pub const REQUESTS: &str = "stepwise_requests_total";
/// Seconds from a request's arrival to its answer, by operation (histogram).
pub const REQUEST_SECONDS: &str = "stepwise_request_duration_seconds";
/// Running executions in memory (gauge, read at scrape).
pub const RESIDENT: &str = "stepwise_executions_resident";
/// Running executions parked in the store until a timer fires (gauge, read at scrape).
pub const PARKED: &str = "stepwise_executions_parked";
/// Timers armed (gauge, read at scrape).
pub const TIMERS: &str = "stepwise_timers";
/// Activity tasks scheduled or started (gauge, read at scrape).
pub const TASKS: &str = "stepwise_activity_tasks";
/// `GetActivityTask` long polls waiting (gauge, read at scrape).
pub const LONG_POLLS: &str = "stepwise_long_polls_waiting";

/// The operations of the Step Functions API: a request's operation is its label only if
/// it is one of these (anything else is `other`), so that a client cannot grow the
/// metrics without bound by sending made-up names.
const OPERATIONS: &[&str] = &[
    "CreateActivity",
    "CreateStateMachine",
    "CreateStateMachineAlias",
    "DeleteActivity",
    "DeleteStateMachine",
    "DeleteStateMachineAlias",
    "DeleteStateMachineVersion",
    "DescribeActivity",
    "DescribeExecution",
    "DescribeMapRun",
    "DescribeStateMachine",
    "DescribeStateMachineAlias",
    "DescribeStateMachineForExecution",
    "GetActivityTask",
    "GetExecutionHistory",
    "ListActivities",
    "ListExecutions",
    "ListMapRuns",
    "ListStateMachineAliases",
    "ListStateMachineVersions",
    "ListStateMachines",
    "ListTagsForResource",
    "PublishStateMachineVersion",
    "RedriveExecution",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "SendTaskSuccess",
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "TagResource",
    "TestState",
    "UntagResource",
    "UpdateMapRun",
    "UpdateStateMachine",
    "UpdateStateMachineAlias",
    "ValidateStateMachineDefinition",
];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line (`timestamp`, `level`, `fields`, `target`, `span`, `spans`).
    Json,
}

/// The flags of `serve` about watching it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ObserveOptions {
    /// How log lines are written: `text`, or `json` for log collectors.
    #[arg(long, env = "STEPWISE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Installs the global log subscriber: `filter` as `--log-level` takes it, to stderr.
pub fn init_logging(filter: &str, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).init(),
    }
}

/// The process's metrics recorder, installed by the first server started (tests start
/// several servers in one process; they share it, as they share the log subscriber).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics stays empty");
        }
        stepwise_engine::telemetry::describe();
        describe();
        spawn_upkeep(handle.clone());
        handle
    })
}

/// The recorder's settings: histograms with buckets (rendered as Prometheus histograms,
/// which aggregate across servers, rather than summaries), milliseconds for AWS's.
fn builder() -> PrometheusBuilder {
    const MS: &[f64] = &[
        1.0,
        5.0,
        10.0,
        25.0,
        50.0,
        100.0,
        250.0,
        500.0,
        1_000.0,
        2_500.0,
        5_000.0,
        10_000.0,
        30_000.0,
        60_000.0,
        300_000.0,
        3_600_000.0,
    ];
    const SECONDS: &[f64] =
        &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0];
    const SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0, 4096.0];
    let mut builder = PrometheusBuilder::new();
    for name in stepwise_engine::telemetry::MILLISECOND_HISTOGRAMS {
        builder = builder
            .set_buckets_for_metric(Matcher::Full((*name).to_owned()), MS)
            .expect("buckets are not empty");
    }
    builder
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(stepwise_engine::telemetry::COMMIT_BATCHES.into()),
                SIZES,
            )
        })
        .expect("buckets are not empty")
}

/// Describes the server's own metrics.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(REQUESTS, Unit::Count, "Requests answered, by operation, status and error");
    describe_histogram!(REQUEST_SECONDS, Unit::Seconds, "Seconds to answer a request");
    describe_gauge!(RESIDENT, Unit::Count, "Running executions in memory");
    describe_gauge!(PARKED, Unit::Count, "Running executions parked until a timer fires");
    describe_gauge!(TIMERS, Unit::Count, "Timers armed");
    describe_gauge!(TASKS, Unit::Count, "Activity tasks scheduled or started");
    describe_gauge!(LONG_POLLS, Unit::Count, "GetActivityTask long polls waiting");
    describe_gauge!(
        stepwise_store_sqlite::WAL_FRAMES_METRIC,
        Unit::Count,
        "Frames (4 KiB pages) in the SQLite WAL after the latest commit"
    );
}

/// Histograms keep their samples until upkeep folds them in; without scrapes they would
/// grow, so upkeep runs every few seconds on a thread of its own.
fn spawn_upkeep(handle: PrometheusHandle) {
    let _ = std::thread::Builder::new().name("stepwise-metrics".into()).spawn(move || loop {
        std::thread::sleep(Duration::from_secs(5));
        handle.run_upkeep();
    });
}

/// What `GET /metrics` reads besides the recorder.
#[derive(Clone)]
struct Scrape {
    engine: Engine,
    polls: Arc<LongPolls>,
}

/// `GET /metrics`.
pub fn routes(engine: Engine, polls: Arc<LongPolls>) -> Router {
    recorder();
    Router::new().route("/metrics", get(metrics)).with_state(Scrape { engine, polls })
}

async fn metrics(State(scrape): State<Scrape>) -> Response {
    let residency = scrape.engine.residency();
    let holdings = scrape.engine.holdings();
    metrics::gauge!(RESIDENT).set(residency.resident as f64);
    metrics::gauge!(PARKED).set(residency.parked as f64);
    metrics::gauge!(TIMERS).set(holdings.timers as f64);
    metrics::gauge!(TASKS).set(holdings.tasks as f64);
    metrics::gauge!(LONG_POLLS).set(scrape.polls.waiting() as f64);
    let text = recorder().render();
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The middleware, outermost: gives the request its id (a UUID, in a span around
/// everything below, so every log line of the request carries it), and once answered,
/// sets `x-amzn-RequestId`, counts it, times it and logs it.
pub async fn layer(request: Request, next: Next) -> Response {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string();
    let operation = operation_of(&request);
    let started = Instant::now();
    let span = tracing::info_span!("request", id = %id, operation);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let error = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    metrics::counter!(
        REQUESTS,
        "operation" => operation,
        "status" => status.as_str().to_owned(),
        "error" => error.clone()
    )
    .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "operation" => operation).record(elapsed.as_secs_f64());
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    if status >= 500 {
        tracing::warn!(request_id = %id, operation, status, error, latency_ms, "request");
    } else if status >= 400 && error != "ThrottlingException" {
        tracing::info!(request_id = %id, operation, status, error, latency_ms, "request");
    } else {
        tracing::debug!(request_id = %id, operation, status, error, latency_ms, "request");
    }
    response
}

/// The operation a request names (`X-Amz-Target: AWSStepFunctions.<Op>`, or the query
/// form's `Action`), if it is one of the API's; the path for `/metrics` and `/health`.
fn operation_of(request: &Request) -> &'static str {
    let named = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("AWSStepFunctions."))
        .map(str::to_owned)
        .or_else(|| {
            let query = request.uri().query()?;
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.into_owned())
        });
    match named {
        Some(op) => OPERATIONS.iter().find(|known| **known == op).copied().unwrap_or("other"),
        None => match request.uri().path() {
            "/metrics" => "metrics",
            "/health" => "health",
            _ => "other",
        },
    }
}
