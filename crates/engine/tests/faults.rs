//! Failed commits are survived: with every Nth write failing, or the disk full for a
//! while, no acknowledged change is lost, no execution is wedged, histories have no gaps,
//! and every execution finishes once the fault is gone (also after a restart).
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use stepwise_engine::clock::ManualClock;
use stepwise_engine::history::{EventKind, HistoryEvent};
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::faulty::{Fault, FaultyStore};
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::Store;
use stepwise_engine::{Engine, Error, NewStateMachine, Options};

const START_MS: i64 = 1_700_000_000_000;

struct Rig {
    clock: Arc<ManualClock>,
    store: Arc<FaultyStore>,
    engine: Engine,
    activity: String,
    machines: Vec<String>,
}

/// A durable engine (group commit, snapshots, parking) over a store that fails on demand,
/// with three machines: a Pass chain, a Wait, and an activity Task with a heartbeat.
fn rig() -> Rig {
    let clock = Arc::new(ManualClock::new(START_MS));
    let store = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
    let engine = engine_on(clock.clone(), store.clone());
    let activity = engine.create_activity("work", Vec::new(), None).unwrap().arn;
    let definitions = [
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "End": true}}}),
        json!({"StartAt": "Nap", "States": {
            "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Done"},
            "Done": {"Type": "Pass", "End": true}}}),
        json!({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 600, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 5, "End": true}}}),
        // Three tasks of one execution, answered concurrently: several of its batches are
        // in flight at once, so a failed one has followers that must not be written.
        json!({"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "T1", "States": {"T1": {"Type": "Task", "Resource": activity, "End": true}}},
            {"StartAt": "T2", "States": {"T2": {"Type": "Task", "Resource": activity, "End": true}}},
            {"StartAt": "T3", "States": {"T3": {"Type": "Task", "Resource": activity, "End": true}}}
        ]}}}),
    ];
    let machines = definitions
        .iter()
        .enumerate()
        .map(|(i, definition)| {
            engine
                .create_state_machine(NewStateMachine {
                    name: format!("m{i}"),
                    definition: definition.to_string(),
                    role_arn: "arn:aws:iam::123456789012:role/r".into(),
                    ..Default::default()
                })
                .unwrap()
                .arn
        })
        .collect();
    Rig { clock, store, engine, activity, machines }
}

fn engine_on(clock: Arc<ManualClock>, store: Arc<FaultyStore>) -> Engine {
    Engine::new(Options {
        scope: Default::default(),
        clock,
        store,
        token_key: Some([3; 32]),
        durable: true,
        mocks: None,
        seed: Some(11),
        integrations: Vec::new(),
    })
    .unwrap()
}

/// A failed commit answers AWS's 500 (retryable), nothing else.
fn assert_retryable(e: &Error) {
    assert!(matches!(e, Error::Internal(_)), "a failed commit answers InternalFailure, got {e:?}");
}

impl Rig {
    /// Starts `name`, retrying while commits fail (as the SDKs retry a 500), up to
    /// `attempts` times. Returns whether the start was acknowledged.
    async fn start(&self, machine: usize, name: &str, attempts: usize) -> bool {
        for _ in 0..attempts {
            match self
                .engine
                .start_execution(&self.machines[machine], Some(name.into()), None)
                .await
            {
                Ok(_) => return true,
                Err(e) => assert_retryable(&e),
            }
            self.engine.tick();
        }
        false
    }

    /// Works the activity: takes tasks and answers them, retrying what fails.
    async fn work(&self, rounds: usize) {
        work(self.engine.clone(), self.activity.clone(), rounds).await
    }

    /// Works the activity with `workers` concurrent workers.
    async fn work_concurrently(&self, workers: usize, rounds: usize) {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..workers {
            set.spawn(work(self.engine.clone(), self.activity.clone(), rounds));
        }
        while let Some(joined) = set.join_next().await {
            joined.expect("a worker panicked");
        }
    }

    /// Moves time on and runs timers, repairs and parking.
    fn pass_time(&self, ms: i64) {
        self.clock.set(self.clock.now_ms_for_tests() + ms);
        self.engine.tick();
    }
}

/// How often a worker retries a call that failed (bounded, like an SDK's retries).
const RETRIES: usize = 200;

/// A retry's pause: a failed execution is reloaded once its batches still in the group
/// commit are answered, so a worker waits a little, as an SDK backs off.
async fn backoff(engine: &Engine) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    engine.tick();
}

/// A worker: takes tasks and answers them (with a heartbeat first), retrying what fails
/// as the SDKs retry a 500.
async fn work(engine: Engine, activity: String, rounds: usize) {
    for _ in 0..rounds {
        let polled = engine
            .get_activity_task_within(&activity, Some("w".into()), Duration::from_millis(1))
            .await;
        let task = match polled {
            Ok(Some(task)) => task,
            Ok(None) => return,
            Err(e) => {
                assert_retryable(&e);
                engine.tick();
                continue;
            }
        };
        for _ in 0..RETRIES {
            match engine.send_task_heartbeat(&task.task_token).await {
                Ok(()) => break,
                Err(e) => assert_retryable(&e),
            }
            backoff(&engine).await;
        }
        let mut answered = false;
        for _ in 0..RETRIES {
            match engine.send_task_success(&task.task_token, r#"{"done":true}"#).await {
                Ok(()) => {
                    answered = true;
                    break;
                }
                Err(e) => assert_retryable(&e),
            }
            backoff(&engine).await;
        }
        assert!(answered, "SendTaskSuccess got through within {RETRIES} attempts");
    }
}

trait NowForTests {
    fn now_ms_for_tests(&self) -> i64;
}
impl NowForTests for ManualClock {
    fn now_ms_for_tests(&self) -> i64 {
        use stepwise_engine::clock::Clock;
        self.now_ms()
    }
}

/// Event ids 1..=n without a gap, each pointing back; one start and one end.
fn assert_history_whole(arn: &str, history: &[HistoryEvent]) {
    for (i, event) in history.iter().enumerate() {
        assert_eq!(event.id, i as u64 + 1, "{arn}: event ids have a gap: {history:#?}");
        assert!(event.previous_event_id < event.id, "{arn}: event {} points forward", event.id);
    }
    let starts = history.iter().filter(|e| matches!(e.kind, EventKind::ExecutionStarted { .. }));
    assert_eq!(starts.count(), 1, "{arn}: one ExecutionStarted");
    let ends = history.iter().filter(|e| matches!(e.kind, EventKind::ExecutionSucceeded { .. }));
    assert_eq!(ends.count(), 1, "{arn}: one ExecutionSucceeded: {history:#?}");
}

/// Runs everything to its end without faults, then checks every acknowledged execution.
async fn finish_and_check(rig: &Rig, acknowledged: &BTreeMap<String, usize>) {
    rig.store.set_fault(Fault::None);
    rig.store.set_write_delay(Duration::ZERO);
    for _ in 0..40 {
        rig.engine.tick();
        rig.work_concurrently(4, 100).await;
        rig.pass_time(5_000);
    }
    let store: &dyn Store = &*rig.store;
    for (name, machine) in acknowledged {
        let arn = format!(
            "{}:{name}",
            rig.machines[*machine].replacen(":stateMachine:", ":execution:", 1)
        );
        let record = store
            .get_execution(&arn)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged execution {arn} was lost"));
        if record.status != ExecutionStatus::Succeeded {
            let kinds: Vec<String> = store
                .history(&arn)
                .unwrap()
                .iter()
                .map(|e| format!("{} {:?}", e.id, e.kind).chars().take(90).collect())
                .collect();
            panic!("{arn} did not finish: {:?} {kinds:#?}", rig.engine.holdings());
        }
        assert_history_whole(&arn, &store.history(&arn).unwrap());
    }
    let holdings = rig.engine.holdings();
    assert_eq!((holdings.timers, holdings.tasks), (0, 0), "nothing left armed: {holdings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_third_write_failing_loses_nothing_acknowledged() {
    let rig = rig();
    rig.store.set_fault(Fault::EveryNth(3));
    // Slow writes, so that batches of one execution overlap in the group commit.
    rig.store.set_write_delay(Duration::from_millis(2));
    let mut acknowledged = BTreeMap::new();
    for round in 0..5 {
        for i in 0..32 {
            let machine = i % 4;
            let name = format!("r{round}-e{i}");
            if rig.start(machine, &name, 20).await {
                acknowledged.insert(name, machine);
            }
        }
        rig.work_concurrently(8, 20).await;
        rig.pass_time(3_000);
    }
    assert!(
        rig.store.failed_writes() > 5,
        "the fault was exercised: {}",
        rig.store.failed_writes()
    );
    assert_eq!(acknowledged.len(), 160, "every start got through within its retries");
    finish_and_check(&rig, &acknowledged).await;
    println!(
        "{} writes failed; all {} executions finished",
        rig.store.failed_writes(),
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_wedges_nothing_and_a_restart_finds_every_acknowledged_execution() {
    let rig = rig();
    let mut acknowledged = BTreeMap::new();
    // Before the fault: executions in every phase (running, waiting, holding a task).
    for i in 0..30 {
        let name = format!("before-{i}");
        assert!(rig.start(i % 3, &name, 1).await);
        acknowledged.insert(name, i % 3);
    }
    let claimed = rig
        .engine
        .get_activity_task_within(&rig.activity, None, Duration::from_millis(1))
        .await
        .unwrap()
        .expect("a task to hold through the fault");

    rig.store.set_fault(Fault::DiskFull);
    for i in 0..30 {
        // Nothing can be acknowledged while the disk is full.
        assert!(!rig.start(i % 3, &format!("during-{i}"), 1).await);
    }
    let refused = rig.engine.send_task_success(&claimed.task_token, "{}").await;
    assert_retryable(&refused.expect_err("no change is acknowledged on a full disk"));
    rig.pass_time(20_000); // timers fire into the full disk
    rig.work(20).await;

    // Space is back: the same names start (their failed starts left nothing), the held
    // task's token still works, and everything finishes.
    rig.store.set_fault(Fault::None);
    rig.engine.tick();
    for i in 0..30 {
        let name = format!("during-{i}");
        assert!(rig.start(i % 3, &name, 3).await, "{name} starts once the disk has space");
        acknowledged.insert(name, i % 3);
    }
    rig.engine.send_task_success(&claimed.task_token, r#"{"held":true}"#).await.unwrap();
    finish_and_check(&rig, &acknowledged).await;

    // A restart on the same store finds every acknowledged execution, ended.
    let restarted = engine_on(rig.clock.clone(), rig.store.clone());
    for (name, machine) in &acknowledged {
        let arn = format!(
            "{}:{name}",
            rig.machines[*machine].replacen(":stateMachine:", ":execution:", 1)
        );
        let record =
            restarted.describe_execution(&arn).expect("acknowledged execution survives a restart");
        assert_eq!(record.status, ExecutionStatus::Succeeded);
    }
}
