//! `jsonata-beside`: 10-Pass executions beside one execution that evaluates a
//! slow JSONata expression.
//!
//! Executions should advance independently: an execution busy in a
//! seconds-long expression must hold up no other one. One client starts slow
//! executions back to back on its own connection for the whole run, so one is
//! always evaluating, while `-c` closed-loop clients run `pass10`'s chain
//! exactly as `pass10` does. The latency figures (`lat_*`) are the chain's
//! only; the slow executions are counted apart (`slow_*`).
//!
//! A p99 under 50 ms can still hide a few executions held up for a whole
//! slow evaluation, so the line also counts the chain's executions over
//! 50 ms (`lat_over_50ms`) and gives when they started beside when the slow
//! ones did (`lat_over_50ms_started_s`, `slow_started_s`).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map};
use tokio::time::Instant;

use super::client::Connection;
use super::pass::{self, Client};
use super::stats;
use super::{Context, Outcome, MAX_COUNT};

/// The p99 the chain's executions should stay under while the slow one evaluates.
const TARGET_P99: Duration = Duration::from_millis(50);
/// The most start times of over-target executions the line lists.
const MAX_LISTED: usize = 32;
/// How long the slow client runs alone before the chain's clients start, so
/// that its first StartExecution has reached the server and is evaluating.
const HEAD_START: Duration = Duration::from_millis(200);

/// A Pass state whose JSONata `Output` takes seconds: it filters the range
/// `[1..n]` (`n` from the input) with a lambda and counts what is left.
fn slow_definition() -> serde_json::Value {
    json!({
        "Comment": "a slow JSONata expression (stepwise bench)",
        "QueryLanguage": "JSONata",
        "StartAt": "Slow",
        "States": { "Slow": {
            "Type": "Pass",
            "Output": "{% $count($filter([1..$states.input.n], function($v){ $v % 7 = 0 })) %}",
            "End": true,
        }},
    })
}

/// Runs the scenario.
pub(super) async fn run(context: &Context) -> anyhow::Result<Outcome> {
    let options = &context.options;
    let mut setup = Connection::new(context.endpoint.clone());
    let chain = pass::create_chain(context, &mut setup).await?;
    let slow_machine = context.create_machine(&mut setup, "slow", &slow_definition()).await?;
    drop(setup);

    let begin = Instant::now();
    // The slow client has a counter of its own: setting it to MAX_COUNT stops
    // it after the execution in flight, which it still waits for (up to the deadline).
    let slow_next = Arc::new(AtomicU64::new(0));
    let slow =
        Client::new(context, slow_machine, slow_next.clone(), json!({ "n": options.slow_n }));
    let slow = tokio::spawn(slow.run());
    tokio::time::sleep(HEAD_START).await;

    let mut fields = Map::new();
    let chain_tally = pass::run_clients(context, chain, &mut fields).await;
    slow_next.store(MAX_COUNT, Ordering::Relaxed);
    let mut slow_tally = pass::ClientTally::default();
    slow_tally.join(slow.await);

    fields.insert("slow_n".into(), json!(options.slow_n));
    fields.insert("slow_succeeded".into(), json!(slow_tally.succeeded));
    // In the order they ran: a few dozen at most.
    let slow_ms: Vec<f64> = slow_tally.runs.iter().map(|(_, d)| stats::ms(*d)).collect();
    fields.insert("slow_ms".into(), json!(slow_ms));
    fields.insert("slow_failed".into(), slow_tally.ended_otherwise.to_json());
    fields.insert("slow_unfinished".into(), json!(slow_tally.unfinished));
    fields.insert("slow_errors".into(), slow_tally.errors.to_json());
    let p99 = fields["lat_p99_ms"].as_f64();
    let met = p99.is_some_and(|p| p < stats::ms(TARGET_P99));
    fields.insert("p99_target_met".into(), json!(met));
    // A p99 under target can hide a few executions held up for the whole
    // slow evaluation: count them, and say when they and the slow ones
    // started (seconds since the slow client began), to match them up.
    let since = |t: Instant| stats::round3((t - begin).as_secs_f64());
    let mut over_started: Vec<f64> =
        chain_tally.runs.iter().filter(|(_, d)| *d > TARGET_P99).map(|(t, _)| since(*t)).collect();
    let over = over_started.len();
    fields.insert("lat_over_50ms".into(), json!(over));
    over_started.sort_by(f64::total_cmp);
    over_started.truncate(MAX_LISTED);
    fields.insert("lat_over_50ms_started_s".into(), json!(over_started));
    let slow_started: Vec<f64> = slow_tally.runs.iter().map(|(t, _)| since(*t)).collect();
    fields.insert("slow_started_s".into(), json!(slow_started));

    let summary = format!(
        "jsonata-beside {}/{} 10-Pass SUCCEEDED in {} s: {} exec/s, latency p50 {} ms p99 {} ms max {} ms \
         (p99 < 50 ms: {met}, {over} over 50 ms); failed {}, unfinished {}, errors {}; \
         {} slow executions (n = {}) SUCCEEDED, each took {:?} ms; slow errors {}",
        chain_tally.succeeded,
        options.count,
        fields["elapsed_s"],
        fields["exec_per_s"],
        fields["lat_p50_ms"],
        fields["lat_p99_ms"],
        fields["lat_max_ms"],
        chain_tally.ended_otherwise.total(),
        chain_tally.unfinished,
        fields["errors"],
        slow_tally.succeeded,
        options.slow_n,
        slow_ms,
        fields["slow_errors"],
    );
    Ok(Outcome { fields, summary })
}
