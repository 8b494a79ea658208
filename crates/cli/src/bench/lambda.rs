//! `lambda`: closed-loop clients run a STANDARD machine of `--invokes` chained
//! `arn:aws:states:::lambda:invoke` Tasks, against a Lambda endpoint the bench serves
//! itself.
//!
//! The endpoint answers the Lambda Invoke API (`POST /2015-03-31/functions/{name}/
//! invocations`) by echoing the event, in this process, so what is measured is the
//! server's round trip (decide, commit, sign, send, read, decide, commit), not a
//! function. The server must be started with `--aws-endpoint lambda=http://<--lambda-bind>`;
//! one probe execution checks that its calls arrive before the load starts.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::serve::ListenerExt;
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::client::Connection;
use super::pass::run_clients;
use super::stats;
use super::{Context, Outcome};

/// The function every Task invokes (the endpoint answers for any name).
const FUNCTION: &str = "stepwise-bench-echo";
/// How long the probe execution may take.
const PROBE_LIMIT: Duration = Duration::from_secs(10);

/// The definition: `invokes` lambda:invoke Tasks, each passing its input as the
/// payload and keeping only the function's payload, so the state stays small.
pub(super) fn definition(invokes: u64) -> Value {
    let mut all = Map::new();
    for k in 1..=invokes {
        let mut state = json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": { "FunctionName": FUNCTION, "Payload.$": "$" },
            "OutputPath": "$.Payload",
        });
        if k < invokes {
            state["Next"] = json!(format!("L{}", k + 1));
        } else {
            state["End"] = json!(true);
        }
        all.insert(format!("L{k}"), state);
    }
    json!({ "Comment": format!("{invokes} chained lambda:invoke Tasks (stepwise bench)"), "StartAt": "L1", "States": all })
}

/// Runs the scenario.
pub(super) async fn run(context: &Context) -> anyhow::Result<Outcome> {
    let options = &context.options;
    let endpoint = LambdaEndpoint::start(options.lambda_bind).await?;
    let mut setup = Connection::new(context.endpoint.clone());
    let machine =
        context.create_machine(&mut setup, "lambda", &definition(options.invokes)).await?;
    probe(context, &mut setup, &machine, &endpoint).await?;
    drop(setup);

    let (before, connections_before) = (endpoint.invocations(), endpoint.connections());
    let mut fields = Map::new();
    let total = run_clients(context, machine, &mut fields).await;
    let invocations = endpoint.invocations() - before;
    let window = fields["elapsed_s"].as_f64().unwrap_or(0.0);
    fields.insert("invokes".into(), json!(options.invokes));
    fields
        .insert("round_trips_per_s".into(), stats::rate(total.succeeded * options.invokes, window));
    fields.insert("endpoint_invocations".into(), json!(invocations));
    fields
        .insert("endpoint_connections".into(), json!(endpoint.connections() - connections_before));
    fields.remove("transitions_per_s");
    fields.remove("states");
    let summary = format!(
        "lambda    {}/{} SUCCEEDED in {} s: {} exec/s, {} round trips/s ({} invokes each), latency p50 {} ms p99 {} ms; \
         failed {}, unfinished {}, errors {}",
        total.succeeded,
        options.count,
        fields["elapsed_s"],
        fields["exec_per_s"],
        fields["round_trips_per_s"],
        options.invokes,
        fields["lat_p50_ms"],
        fields["lat_p99_ms"],
        total.ended_otherwise.total(),
        total.unfinished,
        fields["errors"],
    );
    Ok(Outcome { fields, summary })
}

/// Runs one execution to its end and checks that each of its Tasks reached the
/// endpoint: a server not pointed at it fails here, with the flag to give it.
async fn probe(
    context: &Context,
    connection: &mut Connection,
    machine: &str,
    endpoint: &LambdaEndpoint,
) -> anyhow::Result<()> {
    let start = json!({ "stateMachineArn": machine, "name": "probe", "input": "{\"i\":-1}" });
    let started = context.setup_call(connection, "StartExecution", &start).await?;
    let arn = started["executionArn"].as_str().unwrap_or_default().to_owned();
    let until = Instant::now() + PROBE_LIMIT;
    let described = loop {
        let d = context
            .setup_call(connection, "DescribeExecution", &json!({ "executionArn": arn }))
            .await?;
        if d["status"] != "RUNNING" || Instant::now() >= until {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let expected = context.options.invokes;
    if described["status"] != "SUCCEEDED" || endpoint.invocations() != expected {
        anyhow::bail!(
            "the probe execution is {} ({} {}) after {} of {expected} invocations reached {}: \
             start the server with --aws-endpoint lambda=http://{}",
            described["status"],
            described["error"],
            described["cause"],
            endpoint.invocations(),
            endpoint.addr,
            endpoint.addr,
        );
    }
    Ok(())
}

/// The Lambda Invoke API on a loopback address, echoing each event; stopped when
/// dropped.
struct LambdaEndpoint {
    addr: SocketAddr,
    invocations: Arc<AtomicU64>,
    /// TCP connections accepted: with connection reuse, about one per concurrent call.
    connections: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LambdaEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LambdaEndpoint {
    async fn start(bind: SocketAddr) -> anyhow::Result<LambdaEndpoint> {
        if !bind.ip().is_loopback() {
            anyhow::bail!("--lambda-bind {bind}: the Lambda endpoint listens on loopback only");
        }
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| anyhow::anyhow!("--lambda-bind {bind}: {e}"))?;
        let invocations = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let accepted = connections.clone();
        let listener = listener.tap_io(move |_| {
            accepted.fetch_add(1, Ordering::Relaxed);
        });
        let app = axum::Router::new()
            .route("/2015-03-31/functions/{function}/invocations", axum::routing::post(invoke))
            .with_state(invocations.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(LambdaEndpoint { addr: bind, invocations, connections, task })
    }

    fn invocations(&self) -> u64 {
        self.invocations.load(Ordering::Relaxed)
    }

    fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

/// A function that returns its event, with the headers Lambda sends.
async fn invoke(State(invocations): State<Arc<AtomicU64>>, event: Bytes) -> impl IntoResponse {
    invocations.fetch_add(1, Ordering::Relaxed);
    let headers = [
        (CONTENT_TYPE.as_str(), "application/json"),
        ("x-amzn-requestid", "5f3e1c7a-0b2d-4e6f-8a9b-1c2d3e4f5a6b"),
        ("x-amz-executed-version", "$LATEST"),
    ];
    (headers, event)
}
