//! How fast `SqliteStore::commit` is: batches of N events, N = 1, 10, 100, 1000.
//!
//! Each batch is what one engine decision (or a group commit of several) writes: one
//! execution row, N history events (~250 bytes of JSON each) and a 256-byte snapshot.
//! Each size runs for about a second with `Durability::Full`, then `Relaxed` for comparison.
//!
//! ```text
//! cargo run --release -p stepwise-store-sqlite --example commit_bench [DIR]
//! ```
//! `DIR` (default: the system temp dir) picks the disk to measure; the run's files are removed.
use std::time::{Duration, Instant};

use stepwise_engine::history::{EventKind, HistoryEvent};
use stepwise_engine::model::{ExecutionRecord, ExecutionStatus};
use stepwise_engine::store::{Batch, Store};
use stepwise_store_sqlite::{Durability, SqliteStore};

/// Time spent on each (durability, N).
const BUDGET: Duration = Duration::from_secs(1);

fn record(n: u64) -> ExecutionRecord {
    ExecutionRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:execution:bench:e{n}"),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench".into(),
        name: format!("e{n}"),
        status: ExecutionStatus::Running,
        start_ms: n as i64,
        stop_ms: None,
        input: r#"{"order":{"id":12345,"items":[1,2,3]}}"#.into(),
        output: None,
        error: None,
        cause: None,
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        redrive: Default::default(),
    }
}

fn event(id: u64) -> HistoryEvent {
    HistoryEvent {
        id,
        previous_event_id: id - 1,
        timestamp_ms: 1_700_000_000_000 + id as i64,
        kind: EventKind::TaskScheduled {
            resource_type: "lambda".into(),
            resource: "invoke".into(),
            region: "us-east-1".into(),
            parameters: r#"{"FunctionName":"process-order","Payload":{"order":{"id":12345,"items":[1,2,3]}}}"#.into(),
            timeout_seconds: None,
            heartbeat_seconds: None,
        },
    }
}

/// Commits batches of `n` events for about [`BUDGET`]; returns (commits, elapsed).
fn run(store: &SqliteStore, n: u64) -> (u64, Duration) {
    let start = Instant::now();
    let mut commits = 0;
    while start.elapsed() < BUDGET {
        // A new execution per batch, so histories stay realistic in length.
        let row = record(n * 1_000_000 + commits);
        let batch = Batch {
            events: (1..=n).map(|id| (row.arn.as_str().into(), event(id))).collect(),
            snapshots: vec![(row.arn.clone(), Some(vec![7; 256]))],
            executions: vec![row],
            ..Batch::default()
        };
        store.commit(batch).expect("commit");
        commits += 1;
    }
    (commits, start.elapsed())
}

fn main() {
    let base = std::env::args().nth(1).map_or_else(std::env::temp_dir, Into::into);
    println!("{:<8} {:>6} {:>10} {:>12} {:>14}", "durab.", "N", "commits", "commits/s", "events/s");
    for (label, durability) in [("full", Durability::Full), ("relaxed", Durability::Relaxed)] {
        for n in [1, 10, 100, 1000] {
            let dir =
                base.join(format!("stepwise-commit-bench-{}-{label}-{n}", std::process::id()));
            let store = SqliteStore::open(&dir, durability).expect("open");
            let (commits, elapsed) = run(&store, n);
            let secs = elapsed.as_secs_f64();
            println!(
                "{label:<8} {n:>6} {commits:>10} {:>12.0} {:>14.0}",
                commits as f64 / secs,
                (commits * n) as f64 / secs
            );
            drop(store);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
