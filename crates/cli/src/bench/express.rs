//! `express-sync`: closed-loop clients run an EXPRESS machine of chained Pass states
//! with `StartSyncExecution`.
//!
//! One request per execution, answered when the execution has ended: no polling, and
//! nothing committed (Express executions keep no history), so this measures the
//! interpreter and the HTTP path alone. Each client has one execution in flight.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::client::Connection;
use super::pass::definition;
use super::stats::{self, Latencies, Tally};
use super::{budget, Context, Outcome};

/// Runs the scenario.
pub(super) async fn run(context: &Context) -> anyhow::Result<Outcome> {
    let options = &context.options;
    let mut setup = Connection::new(context.endpoint.clone());
    let machine = context
        .create_machine_of_type(&mut setup, "express", &definition(options.states), "EXPRESS")
        .await?;
    drop(setup);

    let next = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let clients: Vec<_> = (0..options.concurrency)
        .map(|_| {
            let client = Client {
                connection: Connection::new(context.endpoint.clone()),
                machine: machine.clone(),
                next: next.clone(),
                count: options.count,
                deadline: context.deadline,
                tally: ClientTally::default(),
            };
            tokio::spawn(client.run())
        })
        .collect();
    let mut total = ClientTally::default();
    for handle in clients {
        match handle.await {
            Ok(tally) => total.merge(tally),
            Err(e) => total.errors.add_kind(format!("ClientTaskFailed: {e}")),
        }
    }

    let window = total.last_done.map_or(0.0, |end| (end - begin).as_secs_f64());
    let mut fields = Map::new();
    fields.insert("states".into(), json!(options.states));
    fields.insert("succeeded".into(), json!(total.succeeded));
    fields.insert("elapsed_s".into(), json!(stats::round3(window)));
    fields.insert("exec_per_s".into(), stats::rate(total.succeeded, window));
    fields
        .insert("transitions_per_s".into(), stats::rate(total.succeeded * options.states, window));
    total.latencies.report("lat", &mut fields);
    fields.insert("failed".into(), total.ended_otherwise.to_json());
    fields.insert("errors".into(), total.errors.to_json());
    let summary = format!(
        "express-sync {}/{} SUCCEEDED in {} s: {} exec/s, {} transitions/s, latency p50 {} ms p99 {} ms; \
         failed {}, errors {}",
        total.succeeded,
        options.count,
        fields["elapsed_s"],
        fields["exec_per_s"],
        fields["transitions_per_s"],
        fields["lat_p50_ms"],
        fields["lat_p99_ms"],
        total.ended_otherwise.total(),
        fields["errors"],
    );
    Ok(Outcome { fields, summary })
}

/// What one client, or all of them together, saw.
#[derive(Default)]
struct ClientTally {
    /// From sending StartSyncExecution to reading its answer.
    latencies: Latencies,
    succeeded: u64,
    /// Executions that ended otherwise, by status.
    ended_otherwise: Tally,
    errors: Tally,
    last_done: Option<Instant>,
}

impl ClientTally {
    fn merge(&mut self, other: ClientTally) {
        self.latencies.extend(other.latencies);
        self.succeeded += other.succeeded;
        self.ended_otherwise.merge(other.ended_otherwise);
        self.errors.merge(other.errors);
        self.last_done = self.last_done.max(other.last_done);
    }
}

/// One closed-loop client: run an execution to its end, repeat.
struct Client {
    connection: Connection,
    machine: Arc<str>,
    /// The next execution number, shared by all clients up to `count`.
    next: Arc<AtomicU64>,
    count: u64,
    deadline: Instant,
    tally: ClientTally,
}

impl Client {
    async fn run(mut self) -> ClientTally {
        while Instant::now() < self.deadline {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.count {
                break;
            }
            self.one(i).await;
        }
        self.tally
    }

    async fn one(&mut self, i: u64) {
        let Some(timeout) = budget(self.deadline) else { return };
        let t0 = Instant::now();
        let start = json!({
            "stateMachineArn": &*self.machine,
            "name": format!("e{i}"),
            "input": json!({ "i": i }).to_string(),
        });
        match self.connection.call("StartSyncExecution", &start, timeout).await {
            Ok(reply) => match reply.get("status").and_then(Value::as_str) {
                Some("SUCCEEDED") => {
                    let done = Instant::now();
                    self.tally.latencies.push(done - t0);
                    self.tally.succeeded += 1;
                    self.tally.last_done = Some(done);
                }
                Some(other) => self.tally.ended_otherwise.add_kind(other),
                None => self.tally.errors.add_kind("StartSyncExecutionWithoutStatus"),
            },
            Err(e) => self.tally.errors.add(&e),
        }
    }
}
