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
use super::{budget, Context, Outcome, ROLE_ARN};

/// The first pause between `DescribeExecution` polls. Short, because a Pass
/// chain should finish in well under a millisecond on the server.
const POLL_INITIAL: Duration = Duration::from_millis(1);
/// The longest pause between polls: bounds both the polling load of a slow
/// execution and how much the pause can inflate a measured latency.
const POLL_MAX: Duration = Duration::from_millis(20);

/// The definition: `states` Pass states, each copying `$.i` and its own step
/// number into `$.r<k>`, so every transition evaluates a path and writes a result.
fn definition(states: u64) -> Value {
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

/// What one client saw.
#[derive(Default)]
struct ClientTally {
    latencies: Latencies,
    succeeded: u64,
    /// Executions that ended otherwise, by status.
    ended_otherwise: Tally,
    /// Started but not seen to finish before the deadline.
    unfinished: u64,
    describes: u64,
    errors: Tally,
    last_done: Option<Instant>,
}

/// Runs the scenario.
pub(super) async fn run(context: &Context) -> anyhow::Result<Outcome> {
    let options = &context.options;
    let mut setup = Connection::new(context.endpoint.clone());
    let created = context
        .setup_call(
            &mut setup,
            "CreateStateMachine",
            &json!({
                "name": context.name("sm"),
                "definition": definition(options.states).to_string(),
                "roleArn": ROLE_ARN,
                "type": "STANDARD",
            }),
        )
        .await?;
    let Some(machine) = created.get("stateMachineArn").and_then(Value::as_str).map(str::to_owned)
    else {
        anyhow::bail!("CreateStateMachine answered without a stateMachineArn: {created}");
    };
    drop(setup);

    let machine: Arc<str> = machine.into();
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
            Ok(t) => {
                total.latencies.extend(t.latencies);
                total.succeeded += t.succeeded;
                total.ended_otherwise.merge(t.ended_otherwise);
                total.unfinished += t.unfinished;
                total.describes += t.describes;
                total.errors.merge(t.errors);
                total.last_done = total.last_done.max(t.last_done);
            }
            Err(e) => total.errors.add_kind(format!("ClientTaskFailed: {e}")),
        }
    }

    let window = total.last_done.map_or(0.0, |end| (end - begin).as_secs_f64());
    let started = next.load(Ordering::Relaxed).min(options.count);
    let mut fields = Map::new();
    fields.insert("states".into(), json!(options.states));
    fields.insert("succeeded".into(), json!(total.succeeded));
    fields.insert("elapsed_s".into(), json!(stats::round3(window)));
    fields.insert("exec_per_s".into(), stats::rate(total.succeeded, window));
    fields
        .insert("transitions_per_s".into(), stats::rate(total.succeeded * options.states, window));
    total.latencies.report("lat", &mut fields);
    fields.insert("describes_per_exec".into(), json!(per(total.describes, started)));
    fields.insert("failed".into(), total.ended_otherwise.to_json());
    fields.insert("unfinished".into(), json!(total.unfinished));
    fields.insert("errors".into(), total.errors.to_json());

    let summary = format!(
        "pass10    {}/{} SUCCEEDED in {:.2} s: {} exec/s, {} transitions/s, latency p50 {} ms p99 {} ms; \
         failed {}, unfinished {}, errors {}",
        total.succeeded,
        options.count,
        window,
        fields["exec_per_s"],
        fields["transitions_per_s"],
        fields["lat_p50_ms"],
        fields["lat_p99_ms"],
        total.ended_otherwise.total(),
        total.unfinished,
        total.errors.to_json(),
    );
    Ok(Outcome { fields, summary })
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
struct Client {
    connection: Connection,
    machine: Arc<str>,
    /// The next execution number, shared by all clients: they take numbers
    /// until `count` is reached, so a fast client does more of the work.
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

    /// Starts execution `i` and polls it to the end; the latency runs from
    /// sending StartExecution to receiving the DescribeExecution that says SUCCEEDED.
    async fn one(&mut self, i: u64) {
        let Some(timeout) = budget(self.deadline) else { return };
        let t0 = Instant::now();
        let start = json!({
            "stateMachineArn": &*self.machine,
            "name": format!("e{i}"),
            "input": json!({ "i": i }).to_string(),
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
