//! The durability promise, tested the hard way: a workload of a few thousand executions
//! (Pass chains, Waits, activity tasks answered by workers, retries) runs while the server
//! process is killed with SIGKILL at random moments and restarted on the same data dir.
//! At the end every execution must have ended with the right output, every acknowledged
//! `SendTaskSuccess` must have taken effect exactly once, and every history must be
//! gap-free and duplicate-free.
//!
//! It runs on each durable store: SQLite in a data dir, and PostgreSQL in a private server
//! (`stepwise_store_postgres::testing`), which lives on while Stepwise is killed.
mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sfn::Client;
use common::{sdk_client, ROLE_ARN};
use serde_json::{json, Value};
use stepwise_store_postgres::testing::TestServer as Postgres;

/// Executions per kind of workflow (four kinds).
const PER_KIND: usize = 500;
/// How many times the server is killed.
const KILLS: usize = 4;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Where the killed server keeps its data.
enum Backing {
    Sqlite(PathBuf),
    /// The database's URL, on a server that outlives every kill.
    Postgres(String),
}

impl Backing {
    fn store_args(&self) -> Vec<String> {
        match self {
            Backing::Sqlite(dir) => {
                vec![
                    "--store".into(),
                    "sqlite".into(),
                    "--data-dir".into(),
                    dir.display().to_string(),
                ]
            }
            Backing::Postgres(url) => {
                vec!["--store".into(), "postgres".into(), "--database-url".into(), url.clone()]
            }
        }
    }
}

/// The server process, killed if the test ends without doing it (a failed assertion).
struct Killable(Child);

impl Killable {
    fn kill(&mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reaped");
    }
}

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(backing: &Backing, port: u16) -> Killable {
    Killable(
        Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--log-level", "warn"])
            .args(backing.store_args())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server starts"),
    )
}

async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server did not come back within 30 s");
}

fn pass_chain() -> String {
    let mut states = serde_json::Map::new();
    for k in 0..10 {
        let mut s = json!({ "Type": "Pass", "Parameters": { "n.$": "$.n", "k": k }, "ResultPath": format!("$.r{k}") });
        if k == 9 {
            s["End"] = json!(true);
        } else {
            s["Next"] = json!(format!("P{}", k + 1));
        }
        states.insert(format!("P{k}"), s);
    }
    json!({ "StartAt": "P0", "States": states }).to_string()
}

fn waiting() -> String {
    json!({ "StartAt": "W", "States": {
        "W": { "Type": "Wait", "Seconds": 2, "Next": "Done" },
        "Done": { "Type": "Pass", "Parameters": { "n.$": "$.n", "waited": true }, "End": true }
    }})
    .to_string()
}

/// A task whose delivery is lost (the server died after recording ActivityStarted but
/// before the worker read the answer; AWS delivers at most once too) times out after 5 s
/// and is retried, as a user would write it.
fn activity_task(activity: &str, flaky: bool) -> String {
    let errors = if flaky { json!(["Flaky", "States.Timeout"]) } else { json!(["States.Timeout"]) };
    let task = json!({
        "Type": "Task", "Resource": activity, "TimeoutSeconds": 5, "End": true,
        "Retry": [{ "ErrorEquals": errors, "IntervalSeconds": 1, "MaxAttempts": 10, "BackoffRate": 1.0 }]
    });
    json!({ "StartAt": "T", "States": { "T": task } }).to_string()
}

/// Retries a call across server restarts until it succeeds or `what` times out.
macro_rules! retrying {
    ($what:expr, $call:expr) => {{
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            match $call.await {
                Ok(v) => break v,
                Err(e) => {
                    if Instant::now() > deadline {
                        panic!("{} kept failing: {e:?}", $what);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }};
}

#[derive(Default)]
struct Ledger {
    /// Execution ARN → the output its activity task was answered with (acknowledged).
    acknowledged: HashMap<String, String>,
    /// Executions whose first attempt was failed on purpose (retry workflow).
    failed_once: HashMap<String, u32>,
}

/// The variants share two cores: one workload at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_survive_sigkill() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let data_dir: PathBuf =
        std::env::temp_dir().join(format!("stepwise-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    survive_sigkill(&Backing::Sqlite(data_dir.clone()), free_port()).await;
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_survive_sigkill_on_postgres() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(postgres) = Postgres::start("crash") else { return };
    let url = postgres.create_database();
    // Stepwise's port from the range the PostgreSQL tests use, above the database's.
    let port = (9750..=9799)
        .rev()
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port in 9750-9799");
    survive_sigkill(&Backing::Postgres(url), port).await;
}

/// The workload, the kills and the checks, on a server keeping its data in `backing`.
async fn survive_sigkill(backing: &Backing, port: u16) {
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut server = start_server(backing, port);
    wait_healthy(port).await;
    let client = sdk_client(&endpoint);

    // Set-up: one activity, four state machines.
    let activity = retrying!("CreateActivity", client.create_activity().name("crash-work").send())
        .activity_arn()
        .to_owned();
    let mut machines = Vec::new();
    for (name, definition) in [
        ("crash-pass", pass_chain()),
        ("crash-wait", waiting()),
        ("crash-task", activity_task(&activity, false)),
        ("crash-retry", activity_task(&activity, true)),
    ] {
        let created = retrying!(
            "CreateStateMachine",
            client
                .create_state_machine()
                .name(name)
                .definition(&definition)
                .role_arn(ROLE_ARN)
                .send()
        );
        machines.push((name, created.state_machine_arn().to_owned()));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let polls_answered = Arc::new(AtomicU64::new(0));

    // Workers: answer tasks; the retry workflow's first attempt is failed with `Flaky`.
    let mut workers = Vec::new();
    for w in 0..8 {
        let (client, activity, stop, ledger, answered) = (
            sdk_client(&endpoint),
            activity.clone(),
            stop.clone(),
            ledger.clone(),
            polls_answered.clone(),
        );
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                // No client-side timeout on the long poll: dropping a poll whose answer is on
                // its way would lose the task (on AWS as here). Workers are aborted at the end.
                let polled = client
                    .get_activity_task()
                    .activity_arn(&activity)
                    .worker_name(format!("w{w}"))
                    .send()
                    .await;
                let Ok(task) = polled else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let (Some(token), Some(input)) = (task.task_token(), task.input()) else {
                    continue;
                };
                let input: Value = serde_json::from_str(input).expect("task input is JSON");
                let execution =
                    input["execution"].as_str().expect("execution name in input").to_owned();
                let flaky = input["flaky"].as_bool().unwrap_or(false);
                let first_time =
                    flaky && !ledger.lock().unwrap().failed_once.contains_key(&execution);
                if first_time {
                    let failed = client
                        .send_task_failure()
                        .task_token(token)
                        .error("Flaky")
                        .cause("first attempt")
                        .send()
                        .await;
                    if failed.is_ok() {
                        *ledger.lock().unwrap().failed_once.entry(execution).or_default() += 1;
                    }
                    continue;
                }
                let output = json!({ "answer": input["n"] }).to_string();
                // An answer that errors (the server died mid-call) is not acknowledged; the
                // task stays open with a valid token and is retried after the restart.
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    match client.send_task_success().task_token(token).output(&output).send().await
                    {
                        Ok(_) => {
                            let previous = ledger
                                .lock()
                                .unwrap()
                                .acknowledged
                                .insert(execution.clone(), output.clone());
                            assert!(
                                previous.is_none(),
                                "{execution}: a second acknowledged SendTaskSuccess"
                            );
                            answered.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Err(e) => {
                            let code = e
                                .as_service_error()
                                .and_then(|s| aws_sdk_sfn::error::ProvideErrorMetadata::code(s))
                                .map(str::to_owned);
                            // TaskTimedOut: an unacknowledged earlier answer did take effect.
                            if code.as_deref() == Some("TaskTimedOut") || Instant::now() > deadline
                            {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        }));
    }

    // Starters: start every execution by name (idempotent), in a round robin over kinds.
    let started = Arc::new(AtomicU64::new(0));
    let mut starters = Vec::new();
    for s in 0..4 {
        let (client, machines, started) =
            (sdk_client(&endpoint), machines.clone(), started.clone());
        starters.push(tokio::spawn(async move {
            for n in (s..PER_KIND * 4).step_by(4) {
                let (kind, arn) = &machines[n % 4];
                let name = format!("{kind}-{n}");
                let input = json!({ "n": n, "execution": name, "flaky": *kind == "crash-retry" })
                    .to_string();
                let deadline = Instant::now() + Duration::from_secs(90);
                loop {
                    match client
                        .start_execution()
                        .state_machine_arn(arn)
                        .name(&name)
                        .input(&input)
                        .send()
                        .await
                    {
                        Ok(_) => break,
                        Err(e) => {
                            let code = e
                                .as_service_error()
                                .and_then(|s| aws_sdk_sfn::error::ProvideErrorMetadata::code(s))
                                .map(str::to_owned);
                            // Already started before a crash, and already finished since.
                            if code.as_deref() == Some("ExecutionAlreadyExists") {
                                break;
                            }
                            assert!(
                                Instant::now() < deadline,
                                "{name}: StartExecution kept failing: {e:?}"
                            );
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                started.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    // The killer: SIGKILL at random moments, restart on the same data dir and port.
    let mut rng_state = std::process::id() as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let mut next_random = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    for kill in 0..KILLS {
        let pause = 700 + next_random() % 1500;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill();
        println!(
            "kill {} at {} ms: {} starts, {} answers acknowledged",
            kill + 1,
            pause,
            started.load(Ordering::Relaxed),
            polls_answered.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(next_random() % 300)).await;
        server = start_server(backing, port);
        wait_healthy(port).await;
    }
    for starter in starters {
        starter.await.expect("starter");
    }

    // Every execution ends.
    let all: Vec<(String, String, usize)> = (0..PER_KIND * 4)
        .map(|n| {
            let (kind, arn) = &machines[n % 4];
            let execution_arn =
                format!("{}:{kind}-{n}", arn.replacen(":stateMachine:", ":execution:", 1));
            (kind.to_string(), execution_arn, n)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut running = 0;
        for (_, arn, _) in &all {
            let d = retrying!(
                "DescribeExecution",
                client.describe_execution().execution_arn(arn).send()
            );
            if *d.status() == ExecutionStatus::Running {
                running += 1;
            }
        }
        if running == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{running} executions still running after 120 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in &workers {
        // Every execution has ended: what a worker is doing now (a long poll) can go.
        worker.abort();
    }

    // Check every execution: status, output, and its history.
    // Take the ledger out of its mutex: the checks below await.
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    let mut checked_events = 0;
    for (kind, arn, n) in &all {
        let d =
            retrying!("DescribeExecution", client.describe_execution().execution_arn(arn).send());
        assert_eq!(
            *d.status(),
            ExecutionStatus::Succeeded,
            "{arn}: {:?} {:?}",
            d.error(),
            d.cause()
        );
        let output: Value = serde_json::from_str(d.output().expect("output")).expect("JSON output");
        match kind.as_str() {
            "crash-pass" => {
                assert_eq!(output["n"], json!(n));
                assert_eq!(output["r9"], json!({ "n": n, "k": 9 }), "{arn}");
            }
            "crash-wait" => assert_eq!(output, json!({ "n": n, "waited": true })),
            _ => assert_eq!(output, json!({ "answer": n }), "{arn}"),
        }
        let history = history(&client, arn).await;
        checked_events += history.len();
        for (i, (id, _)) in history.iter().enumerate() {
            assert_eq!(*id, i as i64 + 1, "{arn}: event ids have a gap or a duplicate");
        }
        let count = |t: &HistoryEventType| history.iter().filter(|(_, ty)| ty == t).count();
        assert_eq!(count(&HistoryEventType::ExecutionStarted), 1, "{arn}");
        assert_eq!(count(&HistoryEventType::ExecutionSucceeded), 1, "{arn}");
        if kind == "crash-task" || kind == "crash-retry" {
            assert_eq!(
                count(&HistoryEventType::ActivitySucceeded),
                1,
                "{arn}: the answer took effect once"
            );
            let name = format!("{kind}-{n}");
            if let Some(acknowledged) = ledger.acknowledged.get(&name) {
                assert_eq!(acknowledged, &json!({ "answer": n }).to_string());
            }
        }
        if kind == "crash-retry" {
            let failures = count(&HistoryEventType::ActivityFailed);
            assert!(failures >= 1, "{arn}: the retry workflow failed its first attempt");
        }
    }
    println!(
        "checked {} executions ({} per kind), {} history events, {} acknowledged answers, {} kills",
        all.len(),
        PER_KIND,
        checked_events,
        ledger.acknowledged.len(),
        KILLS
    );
    server.kill();
}

async fn history(client: &Client, arn: &str) -> Vec<(i64, HistoryEventType)> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = retrying!(
            "GetExecutionHistory",
            client
                .get_execution_history()
                .execution_arn(arn)
                .max_results(1000)
                .set_next_token(token.clone())
                .send()
        );
        events.extend(page.events().iter().map(|e| (e.id(), e.r#type().clone())));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return events;
        }
    }
}
