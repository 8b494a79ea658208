//! `pass10`: closed-loop clients start executions of a chain of Pass states
//! and poll until each one SUCCEEDED.
//!
//! This is the engine's pure overhead: no waiting, no workers, only
//! transitions, history and the API. Each client has one execution in
//! flight, so throughput and latency trade off through `-c`.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::client::{CallError, Connection};
use super::stats::{self, Latencies, Tally};
use super::{budget, Context, Outcome};

/// The first pause between `DescribeExecution` polls. Short, because a Pass
/// chain should finish in well under a millisecond on the server.
const POLL_INITIAL: Duration = Duration::from_millis(1);
/// The longest pause between polls: bounds both the polling load of a slow
/// execution and how much the pause can inflate a measured latency.
const POLL_MAX: Duration = Duration::from_millis(20);

/// The definition: `states` Pass states, each copying `$.i` and its own step
/// number into `$.r<k>`, so every transition evaluates a path and writes a result.
pub(super) fn definition(states: u64) -> Value {
    let mut all = Map::new();
    for k in 1..=states {
        let mut state = json!({
            "Type": "Pass",
            "Parameters": { "i.$": "$.i", "step": k },
            "ResultPath": format!("$.r{k}"),
        });
        if k < states {
            state["Next"] = json!(format!("P{}", k + 1));
        } else {
            state["End"] = json!(true);
        }
        all.insert(format!("P{k}"), state);
    }
    json!({ "Comment": format!("{states} chained Pass states (stepwise bench)"), "StartAt": "P1", "States": all })
}

/// What one client, or all of them together, saw.
#[derive(Default)]
pub(super) struct ClientTally {
    /// From sending StartExecution to reading the DescribeExecution that says SUCCEEDED.
    pub(super) latencies: Latencies,
    /// When each succeeded execution was started, and its latency, in the order
    /// they finished: to tell *which* executions were slow.
    pub(super) runs: Vec<(Instant, Duration)>,
    pub(super) succeeded: u64,
    /// Executions that ended otherwise, by status.
    pub(super) ended_otherwise: Tally,
    /// Started but not seen to finish before the deadline.
    pub(super) unfinished: u64,
    describes: u64,
    pub(super) errors: Tally,
    last_done: Option<Instant>,
}

impl ClientTally {
    /// Adds another client's tally to this one.
    fn merge(&mut self, other: ClientTally) {
        self.latencies.extend(other.latencies);
        self.runs.extend(other.runs);
        self.succeeded += other.succeeded;
        self.ended_otherwise.merge(other.ended_otherwise);
        self.unfinished += other.unfinished;
        self.describes += other.describes;
        self.errors.merge(other.errors);
        self.last_done = self.last_done.max(other.last_done);
    }

    /// Adds the outcome of a client's task: its tally, or the task's failure.
    pub(super) fn join(&mut self, joined: Result<ClientTally, tokio::task::JoinError>) {
        match joined {
            Ok(t) => self.merge(t),
            Err(e) => self.errors.add_kind(format!("ClientTaskFailed: {e}")),
        }
    }
}

/// Runs the scenario.
pub(super) async fn run(context: &Context) -> anyhow::Result<Outcome> {
    let mut setup = Connection::new(context.endpoint.clone());
    let machine = create_chain(context, &mut setup).await?;
    drop(setup);

    let mut fields = Map::new();
    let total = run_clients(context, machine, &mut fields).await;
    let summary = format!(
        "pass10    {}/{} SUCCEEDED in {} s: {} exec/s, {} transitions/s, latency p50 {} ms p99 {} ms; \
         failed {}, unfinished {}, errors {}",
        total.succeeded,
        context.options.count,
        fields["elapsed_s"],
        fields["exec_per_s"],
        fields["transitions_per_s"],
        fields["lat_p50_ms"],
        fields["lat_p99_ms"],
        total.ended_otherwise.total(),
        total.unfinished,
        fields["errors"],
    );
    Ok(Outcome { fields, summary })
}

/// Creates the scenario's chain of `--states` Pass states and returns its ARN.
pub(super) async fn create_chain(
    context: &Context,
    connection: &mut Connection,
) -> anyhow::Result<Arc<str>> {
    context.create_machine(connection, "sm", &definition(context.options.states)).await
}

/// Runs `-c` closed-loop clients on `machine` until `-n` executions were
/// started or the deadline passed, and reports what they saw into `fields`:
/// `states`, `succeeded`, `elapsed_s`, the rates, `lat_*`, `describes_per_exec`,
/// `failed`, `unfinished` and `errors`.
pub(super) async fn run_clients(
    context: &Context,
    machine: Arc<str>,
    fields: &mut Map<String, Value>,
) -> ClientTally {
    let options = &context.options;
    let next = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let clients: Vec<_> = (0..options.concurrency)
        .map(|_| {
            let client = Client::new(context, machine.clone(), next.clone(), json!({}));
            tokio::spawn(client.run())
        })
        .collect();
    let mut total = ClientTally::default();
    for handle in clients {
        total.join(handle.await);
    }

    let window = total.last_done.map_or(0.0, |end| (end - begin).as_secs_f64());
    let started = next.load(Ordering::Relaxed).min(options.count);
    fields.insert("states".into(), json!(options.states));
    fields.insert("succeeded".into(), json!(total.succeeded));
    fields.insert("elapsed_s".into(), json!(stats::round3(window)));
    fields.insert("exec_per_s".into(), stats::rate(total.succeeded, window));
    fields
        .insert("transitions_per_s".into(), stats::rate(total.succeeded * options.states, window));
    total.latencies.report("lat", fields);
    fields.insert("describes_per_exec".into(), json!(per(total.describes, started)));
    fields.insert("failed".into(), total.ended_otherwise.to_json());
    fields.insert("unfinished".into(), json!(total.unfinished));
    fields.insert("errors".into(), total.errors.to_json());
    total
}

/// `a / b` rounded, or `null` for an empty denominator.
fn per(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(stats::round3(a as f64 / b as f64))
    }
}

/// One closed-loop client: start an execution, wait for it, repeat.
pub(super) struct Client {
    connection: Connection,
    machine: Arc<str>,
    /// The next execution number, shared by all clients: they take numbers
    /// until `count` is reached, so a fast client does more of the work.
    next: Arc<AtomicU64>,
    count: u64,
    /// Each execution's input: this object with `"i"` set to the execution number.
    input: Value,
    deadline: Instant,
    tally: ClientTally,
}

impl Client {
    /// A client on its own connection that takes execution numbers from
    /// `next` up to `-n`, each started with `input` plus `"i"`.
    pub(super) fn new(
        context: &Context,
        machine: Arc<str>,
        next: Arc<AtomicU64>,
        input: Value,
    ) -> Client {
        Client {
            connection: Connection::new(context.endpoint.clone()),
            machine,
            next,
            count: context.options.count,
            input,
            deadline: context.deadline,
            tally: ClientTally::default(),
        }
    }

    pub(super) async fn run(mut self) -> ClientTally {
        while Instant::now() < self.deadline {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.count {
                break;
            }
            self.one(i).await;
        }
        self.tally
    }

    /// Starts execution `i` and polls it to the end; the latency runs from
    /// sending StartExecution to receiving the DescribeExecution that says SUCCEEDED.
    async fn one(&mut self, i: u64) {
        let Some(timeout) = budget(self.deadline) else { return };
        let t0 = Instant::now();
        let mut input = self.input.clone();
        input["i"] = json!(i);
        let start = json!({
            "stateMachineArn": &*self.machine,
            "name": format!("e{i}"),
            "input": input.to_string(),
        });
        let arn = match self.connection.call("StartExecution", &start, timeout).await {
            Ok(reply) => match reply.get("executionArn").and_then(Value::as_str) {
                Some(arn) => arn.to_owned(),
                None => return self.tally.errors.add_kind("StartExecutionWithoutArn"),
            },
            Err(e) => return self.tally.errors.add(&e),
        };
        let describe = json!({ "executionArn": arn });
        let mut pause = POLL_INITIAL;
        loop {
            let Some(timeout) = budget(self.deadline) else {
                self.tally.unfinished += 1;
                return;
            };
            self.tally.describes += 1;
            match self.connection.call("DescribeExecution", &describe, timeout).await {
                Ok(reply) => match reply.get("status").and_then(Value::as_str) {
                    Some("SUCCEEDED") => {
                        let done = Instant::now();
                        self.tally.latencies.push(done - t0);
                        self.tally.runs.push((t0, done - t0));
                        self.tally.succeeded += 1;
                        self.tally.last_done = Some(done);
                        return;
                    }
                    Some("RUNNING" | "PENDING_REDRIVE") => {}
                    Some(other) => return self.tally.ended_otherwise.add_kind(other),
                    None => return self.tally.errors.add_kind("DescribeExecutionWithoutStatus"),
                },
                // The server refused: polling again would only repeat the error.
                Err(e @ CallError::Api { .. }) => return self.tally.errors.add(&e),
                // A lost connection may be a blip: count it and poll again (on a new one).
                Err(e) => self.tally.errors.add(&e),
            }
            if Instant::now() + pause >= self.deadline {
                self.tally.unfinished += 1;
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(POLL_MAX);
        }
    }
}
