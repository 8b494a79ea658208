//! `stepwise bench`: a load generator for a running Stepwise server.
//!
//! It speaks the AWS JSON 1.0 protocol directly (`POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Op>`) over many keep-alive HTTP/1.1
//! connections, one per client task, so the figures measure the server and
//! not an SDK. The scenarios mirror `shared/bench/sfnbench.py`, whose Python
//! client saturates long before our server does:
//!
//! - `pass10`: closed-loop clients start executions of a chain of Pass states
//!   and poll `DescribeExecution` until they see `SUCCEEDED`.
//! - `activity`: starters start executions parked on an activity; workers
//!   long-poll `GetActivityTask` and answer `SendTaskSuccess`.
//! - `express-sync`: closed-loop clients run an EXPRESS machine of the same chain
//!   with `StartSyncExecution`, one request per execution (nothing is committed).
//! - `jsonata-beside`: `pass10`'s clients, while one more client starts
//!   executions of a JSONata Pass state whose `Output` takes seconds
//!   (`$filter` over `[1..n]`, `--slow-n`) back to back, so one is always
//!   evaluating. Executions advance independently, so the chain's p99 should
//!   stay under 50 ms; the line gives the chain's latencies (`lat_*`) and the
//!   slow executions' count and durations (`slow_succeeded`, `slow_ms`).
//! - `lambda`: `pass10`'s clients on a machine of `--invokes` `lambda:invoke` Tasks,
//!   against a Lambda endpoint the bench serves itself on `--lambda-bind` (start the
//!   server with `--aws-endpoint lambda=http://<that address>`); the line adds the
//!   Lambda round trips per second (`round_trips_per_s`).
//!
//! # Safety
//!
//! Only loopback endpoints are accepted, and every scenario is bounded by a
//! count (`-n`, at most [`MAX_COUNT`]) and a deadline (`--max-seconds`, at
//! most [`MAX_SECONDS`]); every loop, polling included, stops at the deadline.
//!
//! # Output
//!
//! One JSON line per scenario on stdout, then a human summary on stderr.
//!
//! ```sh
//! stepwise bench pass10 activity --endpoint http://127.0.0.1:18300 -n 20000 -c 64
//! stepwise bench jsonata-beside --endpoint http://127.0.0.1:18300 -n 5000 -c 16
//! stepwise serve --store memory --bind 127.0.0.1:18300 --aws-endpoint lambda=http://127.0.0.1:18301 &
//! stepwise bench lambda --endpoint http://127.0.0.1:18300 --lambda-bind 127.0.0.1:18301 -n 5000 -c 32
//! ```
mod activity;
mod client;
mod express;
mod jsonata_beside;
mod lambda;
mod pass;
mod stats;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use self::client::{CallError, Connection, Endpoint};

/// The most executions one scenario may start.
pub const MAX_COUNT: u64 = 1_000_000;
/// The longest one scenario may run, in seconds.
pub const MAX_SECONDS: u64 = 600;
/// The largest `--slow-n`: JSONata's range operator refuses more elements.
pub const MAX_SLOW_N: u64 = 10_000_000;
/// The longest any single non-polling call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The role ARN given to the bench's state machines (the server does not assume it).
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/stepwise-bench";

/// Options of `stepwise bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchOptions {
    /// Scenarios to run, in order (`all` runs every one).
    #[arg(value_enum, required = true, num_args = 1..)]
    pub scenarios: Vec<Scenario>,
    /// The server's endpoint (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8083")]
    pub endpoint: String,
    /// Executions per scenario.
    #[arg(short = 'n', long = "count", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_COUNT))]
    pub count: u64,
    /// Concurrent clients (connections), each with one request in flight.
    #[arg(short = 'c', long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrency: u64,
    /// `activity`: workers long-polling `GetActivityTask`, one connection each.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: u64,
    /// `pass10`, `express-sync`: the number of chained Pass states.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub states: u64,
    /// `jsonata-beside`: the slow expression filters `[1..slow-n]`; the default
    /// takes about 3 s in a release server on a 2-core machine.
    #[arg(long, default_value_t = 9_000_000, value_parser = clap::value_parser!(u64).range(1..=MAX_SLOW_N))]
    pub slow_n: u64,
    /// `lambda`: the number of chained `lambda:invoke` Tasks.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub invokes: u64,
    /// `lambda`: where the bench serves the Lambda Invoke API (loopback only).
    #[arg(long, default_value = "127.0.0.1:8084")]
    pub lambda_bind: std::net::SocketAddr,
    /// The deadline of each scenario, in seconds; loops stop there.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub max_seconds: u64,
    /// The server's PID, to report its CPU seconds per scenario (read from /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// A load scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// A STANDARD machine of chained Pass states: start, then poll until SUCCEEDED.
    Pass10,
    /// One activity Task: starters, and workers answering `SendTaskSuccess`.
    Activity,
    /// `pass10` beside an execution whose JSONata expression takes seconds.
    JsonataBeside,
    /// An EXPRESS machine of chained Pass states, run with `StartSyncExecution`.
    ExpressSync,
    /// Chained `lambda:invoke` Tasks against a Lambda endpoint the bench serves.
    Lambda,
    /// Every scenario above but `lambda`, which needs a server pointed at the bench.
    All,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Pass10 => "pass10",
            Scenario::Activity => "activity",
            Scenario::JsonataBeside => "jsonata-beside",
            Scenario::ExpressSync => "express-sync",
            Scenario::Lambda => "lambda",
            Scenario::All => "all",
        }
    }
}

/// What a scenario needs: the checked endpoint, the options, and its bounds.
struct Context {
    endpoint: Endpoint,
    options: BenchOptions,
    /// Makes resource names unique per run, so reruns against one server
    /// never collide with an earlier run's state machines or executions.
    tag: String,
    /// When every loop of the scenario stops.
    deadline: Instant,
}

impl Context {
    /// A resource name unique to this run and scenario.
    fn name(&self, what: &str) -> String {
        format!("stepwise-bench-{}-{what}", self.tag)
    }

    /// Creates the STANDARD state machine `<run>-<what>` and returns its ARN.
    async fn create_machine(
        &self,
        connection: &mut Connection,
        what: &str,
        definition: &Value,
    ) -> anyhow::Result<Arc<str>> {
        self.create_machine_of_type(connection, what, definition, "STANDARD").await
    }

    /// Creates the state machine `<run>-<what>` of `machine_type` (`STANDARD` or
    /// `EXPRESS`) and returns its ARN.
    async fn create_machine_of_type(
        &self,
        connection: &mut Connection,
        what: &str,
        definition: &Value,
        machine_type: &str,
    ) -> anyhow::Result<Arc<str>> {
        let created = self
            .setup_call(
                connection,
                "CreateStateMachine",
                &json!({
                    "name": self.name(what),
                    "definition": definition.to_string(),
                    "roleArn": ROLE_ARN,
                    "type": machine_type,
                }),
            )
            .await?;
        let Some(machine) = created.get("stateMachineArn").and_then(Value::as_str) else {
            anyhow::bail!("CreateStateMachine answered without a stateMachineArn: {created}");
        };
        Ok(machine.into())
    }

    /// A setup call (creating a machine or activity): failure ends the scenario.
    async fn setup_call(
        &self,
        connection: &mut Connection,
        op: &str,
        payload: &Value,
    ) -> anyhow::Result<Value> {
        connection
            .call(op, payload, CALL_TIMEOUT)
            .await
            .map_err(|e: CallError| anyhow::anyhow!("{op}: {e}"))
    }
}

/// The time a call may take now: [`CALL_TIMEOUT`] or what is left before
/// `deadline`, whichever is shorter; `None` once the deadline passed.
fn budget(deadline: Instant) -> Option<Duration> {
    let left = deadline.checked_duration_since(Instant::now())?;
    (!left.is_zero()).then(|| left.min(CALL_TIMEOUT))
}

/// What a scenario measured: its JSON fields and a one-line summary.
struct Outcome {
    fields: Map<String, Value>,
    summary: String,
}

/// Runs the chosen scenarios one after another and reports each.
pub async fn run(options: BenchOptions) -> anyhow::Result<()> {
    let endpoint = Endpoint::loopback(&options.endpoint).await?;
    let mut scenarios: Vec<Scenario> = Vec::new();
    for s in &options.scenarios {
        let expanded: &[Scenario] = match s {
            Scenario::All => &[
                Scenario::Pass10,
                Scenario::Activity,
                Scenario::JsonataBeside,
                Scenario::ExpressSync,
            ],
            one => std::slice::from_ref(one),
        };
        for s in expanded {
            if !scenarios.contains(s) {
                scenarios.push(*s);
            }
        }
    }
    let run_id = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    let mut summaries = Vec::new();
    let mut failed = 0;
    for scenario in scenarios {
        let context = Context {
            endpoint: endpoint.clone(),
            options: options.clone(),
            tag: format!("{run_id}-{}-{}", std::process::id(), scenario.name()),
            deadline: Instant::now() + Duration::from_secs(options.max_seconds.min(MAX_SECONDS)),
        };
        let line = measure(scenario, &context).await;
        match line {
            Ok((fields, summary)) => {
                println!("{}", Value::Object(fields));
                summaries.push(summary);
            }
            Err((fields, e)) => {
                println!("{}", Value::Object(fields));
                summaries.push(format!("{:<9} not run: {e:#}", scenario.name()));
                failed += 1;
            }
        }
    }
    eprintln!("\n== stepwise bench against {} ({}) ==", options.endpoint, endpoint.addr());
    for s in &summaries {
        eprintln!("{s}");
    }
    if failed > 0 {
        anyhow::bail!("{failed} scenario(s) could not run");
    }
    Ok(())
}

type Line = Map<String, Value>;

/// Runs one scenario and wraps its fields with what every line carries:
/// name, size, timing, load average and CPU use.
async fn measure(
    scenario: Scenario,
    context: &Context,
) -> Result<(Line, String), (Line, anyhow::Error)> {
    let options = &context.options;
    let server_pid = options.server_pid.map(|p| p.to_string());
    let load_before = stats::loadavg_1m();
    let cpu_before = stats::cpu_seconds("self");
    let server_cpu_before = server_pid.as_deref().and_then(stats::cpu_seconds);
    let started = Instant::now();

    let result = match scenario {
        Scenario::Pass10 => pass::run(context).await,
        Scenario::Activity => activity::run(context).await,
        Scenario::JsonataBeside => jsonata_beside::run(context).await,
        Scenario::ExpressSync => express::run(context).await,
        Scenario::Lambda => lambda::run(context).await,
        Scenario::All => unreachable!("`all` is expanded before running"),
    };

    let mut line = Map::new();
    line.insert("scenario".into(), json!(scenario.name()));
    line.insert("n".into(), json!(options.count));
    line.insert("concurrency".into(), json!(options.concurrency));
    let outcome = match result {
        Ok(outcome) => {
            line.extend(outcome.fields);
            Ok(outcome.summary)
        }
        Err(e) => {
            line.insert("error".into(), json!(format!("{e:#}")));
            Err(e)
        }
    };
    line.insert("total_s".into(), json!(stats::round3(started.elapsed().as_secs_f64())));
    line.insert("loadavg_1m_before".into(), json!(load_before));
    line.insert("loadavg_1m_after".into(), json!(stats::loadavg_1m()));
    let delta = |before: Option<f64>, after: Option<f64>| {
        before.zip(after).map(|(b, a)| stats::round3(a - b))
    };
    line.insert("client_cpu_s".into(), json!(delta(cpu_before, stats::cpu_seconds("self"))));
    if let Some(pid) = &server_pid {
        line.insert(
            "server_cpu_s".into(),
            json!(delta(server_cpu_before, stats::cpu_seconds(pid))),
        );
    }
    line.insert(
        "host_cpus".into(),
        json!(std::thread::available_parallelism().map_or(0, |n| n.get())),
    );
    match outcome {
        Ok(summary) => Ok((line, summary)),
        Err(e) => Err((line, e)),
    }
}
