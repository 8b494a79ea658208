//! `activity`: executions parked on an activity Task, answered by workers.
//!
//! This measures the matching path: StartExecution schedules a task, a
//! long-polling `GetActivityTask` receives it, `SendTaskSuccess` completes
//! the execution. Starters and workers are separate tasks on separate
//! connections, as they would be in a real deployment.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use super::client::Connection;
use super::stats::{self, Latencies, Tally};
use super::{budget, Context, Outcome};

/// The client's limit on one `GetActivityTask`: the server holds a poll for
/// up to 60 s, so this only catches a server that never answers.
const LONG_POLL_TIMEOUT: Duration = Duration::from_secs(70);
/// The pause after a failed poll, so a dead server is not hammered in a tight loop.
const POLL_ERROR_PAUSE: Duration = Duration::from_millis(10);
/// How long after the deadline the final ListExecutions check may take.
/// The check is a few paged calls, so this bound is rarely approached.
const VERIFY_GRACE: Duration = Duration::from_secs(10);

/// A task a worker received and answered.
struct Answered {
    /// The execution number from the task's input.
    id: Option<u64>,
    received: Instant,
    acked: Instant,
}

/// Runs the scenario.
pub(super) async fn run(context: &Context) -> anyhow::Result<Outcome> {
    let options = &context.options;
    let (activity, machine) = create(context).await?;

    let next = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = watch::channel(false);
    // Workers first, so the first tasks find pollers waiting as they would in steady state.
    let workers: Vec<_> = (0..options.workers)
        .map(|k| {
            let worker = Worker {
                connection: Connection::new(context.endpoint.clone()),
                poll: json!({ "activityArn": &*activity, "workerName": format!("stepwise-bench-w{k}") }),
                answered: answered.clone(),
                stop: stopped.clone(),
                deadline: context.deadline,
                done: Vec::new(),
                errors: Tally::default(),
            };
            tokio::spawn(worker.run())
        })
        .collect();
    let begin = Instant::now();
    let starters: Vec<_> = (0..options.concurrency)
        .map(|_| {
            let starter = Starter {
                connection: Connection::new(context.endpoint.clone()),
                machine: machine.clone(),
                tag: context.tag.clone(),
                next: next.clone(),
                count: options.count,
                deadline: context.deadline,
                started: Vec::new(),
                errors: Tally::default(),
            };
            tokio::spawn(starter.run())
        })
        .collect();

    let mut errors = Tally::default();
    // When each execution's StartExecution response arrived, by execution number.
    let mut started_at: Vec<Option<Instant>> = vec![None; usize::try_from(options.count)?];
    let mut started = 0u64;
    let mut last_start = None;
    for handle in starters {
        match handle.await {
            Ok(starter) => {
                for (id, at) in starter.started {
                    if let Some(slot) = usize::try_from(id).ok().and_then(|i| started_at.get_mut(i))
                    {
                        *slot = Some(at);
                        started += 1;
                        last_start = last_start.max(Some(at));
                    }
                }
                errors.merge(starter.errors);
            }
            Err(e) => errors.add_kind(format!("StarterTaskFailed: {e}")),
        }
    }
    // Every started execution answered, or the deadline: a millisecond tick
    // is enough here, as the figures come from the workers' own timestamps.
    while answered.load(Ordering::Relaxed) < started && Instant::now() < context.deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Ends the workers' outstanding long polls; dropping their connections
    // lets the server hand any late task to nobody rather than to a ghost.
    let _ = stop.send(true);

    let mut pickup = Latencies::default();
    let mut answer = Latencies::default();
    let mut start_to_answered = Latencies::default();
    let mut early = 0u64;
    let mut unmatched = 0u64;
    let mut total_answered = 0u64;
    let mut last_ack = None;
    for handle in workers {
        match handle.await {
            Ok(worker) => {
                errors.merge(worker.errors);
                for task in worker.done {
                    total_answered += 1;
                    last_ack = last_ack.max(Some(task.acked));
                    answer.push(task.acked - task.received);
                    let start = task
                        .id
                        .and_then(|id| usize::try_from(id).ok())
                        .and_then(|i| started_at.get(i).copied().flatten());
                    let Some(start) = start else {
                        unmatched += 1;
                        continue;
                    };
                    // The task may reach a worker before the starter has read
                    // its StartExecution response: that counts as zero, and is counted.
                    if task.received < start {
                        early += 1;
                    }
                    pickup.push(task.received.saturating_duration_since(start));
                    start_to_answered.push(task.acked.saturating_duration_since(start));
                }
            }
            Err(e) => errors.add_kind(format!("WorkerTaskFailed: {e}")),
        }
    }

    let statuses = verify(context, &machine, &mut errors).await;
    let succeeded = statuses.get("SUCCEEDED").copied().unwrap_or(0);
    let all_succeeded = started == options.count
        && succeeded == started
        && statuses.values().sum::<u64>() == started;

    let window = last_ack.map_or(0.0, |end| (end - begin).as_secs_f64());
    let mut fields = Map::new();
    fields.insert("workers".into(), json!(options.workers));
    fields.insert("started".into(), json!(started));
    // Starters do not wait for workers: when they start faster than workers
    // answer, tasks queue up and pickup latency is mostly time in that queue.
    let start_window = last_start.map_or(0.0, |end| (end - begin).as_secs_f64());
    fields.insert("starts_per_s".into(), stats::rate(started, start_window));
    fields.insert("answered".into(), json!(total_answered));
    fields.insert("elapsed_s".into(), json!(stats::round3(window)));
    fields.insert("roundtrips_per_s".into(), stats::rate(total_answered, window));
    pickup.report("pickup", &mut fields);
    fields.insert("pickup_before_start_response".into(), json!(early));
    answer.report("answer", &mut fields);
    start_to_answered.report("start_to_answered", &mut fields);
    fields.insert("statuses".into(), json!(statuses));
    fields.insert("all_succeeded".into(), json!(all_succeeded));
    fields.insert("unmatched_tasks".into(), json!(unmatched));
    fields.insert("errors".into(), errors.to_json());

    let summary = format!(
        "activity  {total_answered}/{} answered in {window:.2} s: {} round trips/s ({} starts/s), pickup p50 {} ms p99 {} ms; \
         final statuses {} (all SUCCEEDED: {all_succeeded}); errors {}",
        options.count,
        fields["roundtrips_per_s"],
        fields["starts_per_s"],
        fields["pickup_p50_ms"],
        fields["pickup_p99_ms"],
        fields["statuses"],
        fields["errors"],
    );
    Ok(Outcome { fields, summary })
}

/// Creates the run's activity and a machine with one Task state on it.
async fn create(context: &Context) -> anyhow::Result<(Arc<str>, Arc<str>)> {
    let mut setup = Connection::new(context.endpoint.clone());
    let created = context
        .setup_call(&mut setup, "CreateActivity", &json!({ "name": context.name("act") }))
        .await?;
    let Some(activity) = created.get("activityArn").and_then(Value::as_str).map(str::to_owned)
    else {
        anyhow::bail!("CreateActivity answered without an activityArn: {created}");
    };
    let definition = json!({
        "Comment": "one activity task (stepwise bench)",
        "StartAt": "Work",
        "States": { "Work": {
            "Type": "Task",
            "Resource": activity,
            // Executions the bench abandons at its deadline end on their own.
            "TimeoutSeconds": context.options.max_seconds + 60,
            "ResultPath": "$.result",
            "End": true,
        }},
    });
    let machine = context.create_machine(&mut setup, "sm", &definition).await?;
    Ok((activity.into(), machine))
}

/// Starts executions as fast as its connection allows.
struct Starter {
    connection: Connection,
    machine: Arc<str>,
    tag: String,
    next: Arc<AtomicU64>,
    count: u64,
    deadline: Instant,
    /// Execution number and when its StartExecution response arrived.
    started: Vec<(u64, Instant)>,
    errors: Tally,
}

impl Starter {
    async fn run(mut self) -> Starter {
        while let Some(timeout) = budget(self.deadline) {
            let id = self.next.fetch_add(1, Ordering::Relaxed);
            if id >= self.count {
                break;
            }
            // The id in the input is how a worker's task is matched to its start.
            let start = json!({
                "stateMachineArn": &*self.machine,
                "name": format!("a{id}"),
                "input": json!({ "id": id, "run": self.tag }).to_string(),
            });
            match self.connection.call("StartExecution", &start, timeout).await {
                Ok(_) => self.started.push((id, Instant::now())),
                Err(e) => self.errors.add(&e),
            }
        }
        self
    }
}

/// Long-polls for tasks and answers each with `SendTaskSuccess`.
struct Worker {
    connection: Connection,
    poll: Value,
    /// Tasks answered by all workers, for the coordinator to know when to stop.
    answered: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
    deadline: Instant,
    done: Vec<Answered>,
    errors: Tally,
}

impl Worker {
    async fn run(mut self) -> Worker {
        loop {
            let reply = tokio::select! {
                biased;
                _ = self.stop.wait_for(|stop| *stop) => break,
                reply = self.connection.call("GetActivityTask", &self.poll, LONG_POLL_TIMEOUT) => reply,
            };
            let received = Instant::now();
            let task = match reply {
                Ok(task) => task,
                Err(e) => {
                    self.errors.add(&e);
                    tokio::time::sleep(POLL_ERROR_PAUSE).await;
                    continue;
                }
            };
            // An empty answer means the long poll ran out with no task: poll again.
            let Some(token) =
                task.get("taskToken").and_then(Value::as_str).filter(|t| !t.is_empty())
            else {
                continue;
            };
            let id = task
                .get("input")
                .and_then(Value::as_str)
                .and_then(|input| serde_json::from_str::<Value>(input).ok())
                .and_then(|input| input.get("id").and_then(Value::as_u64));
            let Some(timeout) = budget(self.deadline) else {
                self.errors.add_kind("UnansweredAtDeadline");
                break;
            };
            let success = json!({ "taskToken": token, "output": r#"{"ok":true}"# });
            match self.connection.call("SendTaskSuccess", &success, timeout).await {
                Ok(_) => {
                    self.done.push(Answered { id, received, acked: Instant::now() });
                    self.answered.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => self.errors.add(&e),
            }
        }
        self
    }
}

/// Counts the machine's executions by status with ListExecutions, listing
/// again while some are still RUNNING (an answered task's execution may
/// finish just after the answer is acknowledged), until [`VERIFY_GRACE`]
/// past the deadline.
async fn verify(context: &Context, machine: &str, errors: &mut Tally) -> BTreeMap<String, u64> {
    let deadline = context.deadline.max(Instant::now()) + VERIFY_GRACE;
    let mut connection = Connection::new(context.endpoint.clone());
    // A bound on pages, should a server hand out nextTokens forever.
    let max_pages = context.options.count / 1000 + 2;
    loop {
        let mut statuses = BTreeMap::new();
        let mut token: Option<String> = None;
        let mut complete = false;
        for _ in 0..max_pages {
            let Some(timeout) = budget(deadline) else { break };
            let mut request = json!({ "stateMachineArn": machine, "maxResults": 1000 });
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let page = match connection.call("ListExecutions", &request, timeout).await {
                Ok(page) => page,
                Err(e) => {
                    errors.add(&e);
                    break;
                }
            };
            for execution in page.get("executions").and_then(Value::as_array).into_iter().flatten()
            {
                let status = execution.get("status").and_then(Value::as_str).unwrap_or("UNKNOWN");
                *statuses.entry(status.to_owned()).or_insert(0) += 1;
            }
            token = page.get("nextToken").and_then(Value::as_str).map(str::to_owned);
            if token.is_none() {
                complete = true;
                break;
            }
        }
        let pending = !complete || statuses.contains_key("RUNNING");
        if !pending || Instant::now() + Duration::from_millis(50) >= deadline {
            return statuses;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
