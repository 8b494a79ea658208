//! One running execution: its frames and how each decision advances them.
//!
//! This module holds no locks and does no I/O. The engine calls it with the
//! current time; it appends history events to `pending` and asks for side
//! effects (tasks to queue, timers to set) through `effects`, which the engine
//! commits and carries out together with the events.
//!
//! A *frame* is one thread of control inside the execution: the root graph,
//! a Parallel branch or a Map iteration. Each frame sits at one state.
//!
//! What is kept grows with what runs, not with what has run: a child frame leaves as
//! soon as its parent has taken its result, and the snapshot (written at every decision
//! of a durable execution) leaves out a fork's finished results and its children not
//! started yet. Those are written once each as the snapshot's *parts*
//! ([`crate::store::Part`], see [`Running::take_parts`]) and read back at restore.
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use stepwise_asl::{
    Entered, Env, ErrorDecision, Fault, Machine, Outcome, StateId, StateKind, WaitUntil,
};

use crate::engine::dispatch::{Pattern, ServiceResource};
use crate::engine::map_runs;
use crate::history::{ErrorCause, EventKind, HistoryEvent};
use crate::model::{ExecutionRecord, ExecutionStatus};
use crate::store::Part;
use crate::token::TaskId;
use frames::{AfterSleep, Fork, Frame, Frames, Phase, Unsaved};

/// AWS's quota on events per execution.
pub(crate) const HISTORY_LIMIT: u64 = 25_000;
/// AWS's quota on a state's input or output, in bytes.
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// A frame's id within its execution. Ids are never reused: a timer or a task of a frame
/// that has since ended finds no frame, and is ignored.
pub(crate) type FrameId = usize;

/// What the engine lends an execution while it advances.
pub(crate) trait Services {
    /// A fresh task id.
    fn new_task(&mut self) -> TaskId;
    /// Whether the activity exists now.
    fn activity_exists(&self, arn: &str) -> bool;
    /// Whether an integration is registered for Task resources of `resource_type`.
    fn integration_exists(&self, resource_type: &str) -> bool;
    /// The token of `task`, as `$$.Task.Token` shows it.
    fn task_token(&self, task: TaskId) -> String;
    /// The mocked response of a Task invocation in a test case, if any.
    fn mock(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        invocation: u32,
    ) -> Option<crate::mock::MockResponse>;
}

/// A side effect a decision asks the engine to carry out after committing.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Call a service integration (`aws-sdk:sfn:<action>` today), outside the engine's
    /// locks once this decision is durable; answer with [`Running::service_succeeded`]
    /// or [`Running::service_failed`]. Made again after a restart (at least once).
    Call {
        frame: FrameId,
        generation: u64,
        resource_type: String,
        action: String,
        pattern: Pattern,
        parameters: Value,
    },
    /// Queue an activity task for workers.
    ScheduleActivity {
        task: TaskId,
        activity_arn: String,
        input: String,
        frame: FrameId,
        heartbeat_seconds: Option<u64>,
    },
    /// Accept `SendTask*` with the token of `task` for `frame` (a `.waitForTaskToken`
    /// Task), with a heartbeat clock if `heartbeat_seconds` is set.
    AwaitToken { task: TaskId, frame: FrameId, heartbeat_seconds: Option<u64> },
    /// Call [`Running::on_timer`] with `(frame, generation)` at `at_ms`.
    Timer { at_ms: i64, frame: FrameId, generation: u64 },
    /// Set the execution-level timeout.
    ExecutionTimeout { at_ms: i64 },
    /// Tasks that no longer exist (the execution ended or a branch was cancelled).
    DropTasks(Vec<TaskId>),
}

/// The ways a running execution ends.
#[derive(Debug, Clone)]
pub(crate) enum Ending {
    Succeeded(String),
    Failed(Fault),
}

/// A running execution held by the engine.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) record: ExecutionRecord,
    machine: Arc<Machine>,
    state_machine_name: String,
    next_event_id: u64,
    frames: Frames,
    ready: VecDeque<FrameId>,
    /// The group the next fork's parts get.
    next_group: u64,
    /// Parts to write or delete (see [`Running::take_parts`]).
    unsaved: Vec<Unsaved>,
    /// The Context object's fixed parts (see [`Running::take_context`]).
    context: Value,
    /// Events produced and not yet committed.
    pub(crate) pending: Vec<HistoryEvent>,
    /// Effects produced and not yet carried out.
    pub(crate) effects: Vec<Effect>,
    /// Frames whose timers became stale (their generation moved on) since the engine
    /// last looked: the engine cancels those timers, so none outlives its state.
    pub(crate) stale_frames: Vec<FrameId>,
    /// The row changed and must be committed.
    pub(crate) record_dirty: bool,
    seed: u64,
    /// The execution's TimeoutSeconds deadline.
    timeout_at: Option<i64>,
    /// The mock test case it runs (`StartExecution` on `<arn>#<TestCase>`).
    test_case: Option<String>,
    /// How often each Task state has been invoked (mocked responses are per invocation).
    invocations: std::collections::HashMap<String, u32>,
    /// A synchronous Express execution: AWS's Context object then has no
    /// `Execution.RedriveCount` (such executions cannot be redriven).
    sync_express: bool,
    /// Frames that left while a failure went up through their ancestors (the failed
    /// frame, its cancelled siblings), kept until an ancestor catches or retries it, or
    /// the execution fails: then they are where a redrive resumes (see `redrive.rs`).
    fallen: BTreeMap<FrameId, Frame>,
    /// The forks of frames whose Parallel or Map state failed, kept likewise.
    fallen_forks: BTreeMap<FrameId, Fork>,
    /// Set when the execution ends unsuccessfully: where a redrive resumes, for the
    /// engine to write as its snapshot.
    pub(crate) redrive_point: Option<Vec<u8>>,
    /// Map Run records changed since the engine last looked (see `map_run.rs`).
    pub(crate) map_run_updates: Vec<crate::engine::map_runs::MapRunRecord>,
    /// When its frames' tasks were scheduled and started, for the tasks' metrics.
    task_clocks: observe::TaskClocks,
}

/// A pending wait of a recovered execution, for the engine to re-arm.
#[derive(Debug)]
pub(crate) enum Pending {
    /// An activity task (re-armed from the engine's task record).
    Task { frame: FrameId, generation: u64, task: TaskId, timeout_at: Option<i64> },
    /// A timer of a frame.
    Timer { frame: FrameId, generation: u64, at_ms: i64 },
    /// A service task: its call is made again unless it had answered, its callback token
    /// (re-armed from the engine's task record) and its timeout are armed again.
    Service { frame: FrameId, generation: u64, token: Option<TaskId>, timeout_at: Option<i64> },
}

/// Compact JSON text of a value, as history events record it. Written to a byte buffer:
/// `Value`'s `Display` goes through `fmt::Write` a token at a time, several times slower.
fn json(value: &Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}

/// Epoch milliseconds as AWS writes timestamps in JSON text (`2024-01-02T03:04:05.678Z`).
///
/// Formatted by hand: this runs at every state entry (the Context object's `EnteredTime`),
/// and chrono's strftime parses its pattern on every call.
pub(crate) fn millis_to_iso(ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let year = t.year();
    if !(0..=9999).contains(&year) {
        // Outside four digits: chrono's own rendering (signed, wider years).
        return t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    }
    let millis = t.timestamp_subsec_millis().min(999);
    let fields = [
        (year as u32, 4, '-'),
        (t.month(), 2, '-'),
        (t.day(), 2, 'T'),
        (t.hour(), 2, ':'),
        (t.minute(), 2, ':'),
        (t.second(), 2, '.'),
        (millis, 3, 'Z'),
    ];
    let mut out = String::with_capacity(24);
    for (value, width, separator) in fields {
        let digits = [value / 1000 % 10, value / 100 % 10, value / 10 % 10, value % 10];
        out.extend(digits[4 - width..].iter().map(|d| char::from(b'0' + *d as u8)));
        out.push(separator);
    }
    out
}

impl Running {
    /// Starts an execution: records `ExecutionStarted` and readies the start state.
    pub(crate) fn start(
        record: ExecutionRecord,
        machine: Arc<Machine>,
        state_machine_name: String,
        input: Value,
        seed: u64,
    ) -> Self {
        let start = machine.start_state();
        let now = record.start_ms;
        let mut run = Running {
            machine,
            state_machine_name,
            next_event_id: 1,
            frames: Frames::default(),
            ready: VecDeque::new(),
            next_group: 0,
            unsaved: Vec::new(),
            context: Value::Null,
            pending: Vec::new(),
            effects: Vec::new(),
            stale_frames: Vec::new(),
            record_dirty: true,
            seed,
            timeout_at: None,
            test_case: None,
            invocations: Default::default(),
            sync_express: false,
            fallen: BTreeMap::new(),
            fallen_forks: BTreeMap::new(),
            redrive_point: None,
            map_run_updates: Vec::new(),
            task_clocks: Default::default(),
            record,
        };
        let started = EventKind::ExecutionStarted {
            input: run.record.input.to_string(),
            role_arn: run.record.role_arn.clone(),
        };
        let id = run.push_event(now, 0, started);
        if let Some(secs) = run.machine.timeout_seconds() {
            let at_ms = deadline_after(now, secs);
            run.timeout_at = Some(at_ms);
            run.effects.push(Effect::ExecutionTimeout { at_ms });
        }
        let root = run.frames.insert(Frame {
            parent: None,
            state: start,
            input,
            input_text: None,
            phase: Phase::Enter { retry: false },
            attempts: Vec::new(),
            retry_count: 0,
            // AWS records the first state's Entered event with previousEventId 0.
            last_event: {
                let _ = id;
                0
            },
            entered_event: 0,
            entered_previous: 0,
            entered_ms: now,
            generation: 0,
            vars: Map::new(),
            quiet: false,
        });
        run.ready.push_back(root);
        run
    }

    /// Marks a synchronous Express execution (see `sync_express`).
    pub(crate) fn set_sync_express(&mut self) {
        self.sync_express = true;
    }

    /// The execution's TimeoutSeconds deadline.
    pub(crate) fn timeout_at(&self) -> Option<i64> {
        self.timeout_at
    }

    /// Ends the execution as timed out at `at_ms` at the latest (an Express execution's
    /// 5 minutes), unless its own TimeoutSeconds ends it sooner. Returns true if the
    /// deadline moved: the caller arms the execution's timer for it, replacing the one
    /// its TimeoutSeconds armed.
    pub(crate) fn limit_duration(&mut self, at_ms: i64) -> bool {
        if self.timeout_at.is_some_and(|at| at <= at_ms) {
            return false;
        }
        self.timeout_at = Some(at_ms);
        true
    }

    /// True while the execution has not ended.
    pub(crate) fn is_running(&self) -> bool {
        self.record.status == ExecutionStatus::Running
    }

    /// True when only timers can wake it: no frame is ready or waits on a task or a
    /// service call. Such an execution may leave memory until a timer fires, since its
    /// snapshot holds everything and its timers stay armed in the engine.
    pub(crate) fn only_sleeping(&self) -> bool {
        self.is_running()
            && self.ready.is_empty()
            && self.pending.is_empty()
            && self.effects.is_empty()
            && self
                .frames
                .values()
                .all(|f| matches!(f.phase, Phase::Sleeping { .. } | Phase::Fork(_) | Phase::Done))
    }

    fn push_event(&mut self, now: i64, previous: u64, kind: EventKind) -> u64 {
        self.observe_execution(now, &kind);
        let id = self.next_event_id;
        self.next_event_id += 1;
        self.pending.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp_ms: now,
            kind,
        });
        id
    }

    fn frame_event(&mut self, frame: FrameId, now: i64, kind: EventKind) -> u64 {
        self.observe_task(frame, now, &kind);
        let prev = self.frames[frame].last_event;
        if self.frames[frame].quiet {
            return prev;
        }
        let id = self.push_event(now, prev, kind);
        self.frames[frame].last_event = id;
        id
    }

    /// An event that points at the frame's latest event without becoming it
    /// (AWS chains MapIterationSucceeded/Failed and *StateSucceeded this way).
    fn side_event(&mut self, frame: FrameId, now: i64, kind: EventKind) -> u64 {
        let prev = self.frames[frame].last_event;
        if self.frames[frame].quiet {
            return prev;
        }
        self.push_event(now, prev, kind)
    }

    fn next_seed(&mut self) -> u64 {
        // SplitMix64: a deterministic sequence per execution.
        self.seed = self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Advances ready frames until none is ready or `budget` decisions were made.
    /// Returns true if work remains (the caller re-queues the execution).
    pub(crate) fn advance(&mut self, now: i64, budget: usize, services: &mut dyn Services) -> bool {
        let mut steps = 0;
        while let Some(frame) = self.ready.pop_front() {
            if !self.is_running() {
                self.ready.clear();
                return false;
            }
            if steps >= budget {
                self.ready.push_front(frame);
                return true;
            }
            steps += 1;
            if self.next_event_id >= HISTORY_LIMIT {
                // AWS's quota: an execution whose history reaches 25,000 events fails.
                let cause = format!(
                    "The execution reached the maximum number of history events ({HISTORY_LIMIT})."
                );
                self.end(Ending::Failed(Fault::new("States.Runtime", cause)), now);
                return false;
            }
            // A frame cancelled since it was readied is gone, or no longer entering.
            let Some(Frame { phase: Phase::Enter { retry }, .. }) = self.frames.get(frame) else {
                continue;
            };
            let retry = *retry;
            self.enter(frame, retry, now, services);
        }
        false
    }

    fn enter(&mut self, frame: FrameId, retry: bool, now: i64, services: &mut dyn Services) {
        let state_id = self.frames[frame].state;
        let state = self.machine.state(state_id);
        let (kind, name) = (state.kind, state.name.clone());
        if !retry {
            self.frames[frame].entered_ms = now;
            let f = &mut self.frames[frame];
            let input = f.input_text.take().unwrap_or_else(|| json(&f.input));
            let previous = self.frames[frame].last_event;
            let id =
                self.frame_event(frame, now, EventKind::StateEntered { state: kind, name, input });
            self.frames[frame].entered_event = id;
            self.frames[frame].entered_previous = previous;
        }
        if let Some(fault) = self.machine.state(state_id).map_unsupported_fault() {
            return self.fault(frame, fault, now);
        }
        let token = self.callback_task(frame, services);
        let token_text = token.map(|task| services.task_token(task));
        let ctx = self.take_context(frame, token_text);
        let seed = self.next_seed();
        let machine = self.machine.clone();
        let Frame { input, vars, .. } = &mut self.frames[frame];
        // A Pass state takes its input (it builds its output in it); others leave it.
        let env = Env { input: &Value::Null, context: &ctx, vars, seed };
        let entered = machine.enter_taking(state_id, input, env);
        self.restore_context(ctx);
        match entered {
            Entered::Done(outcome) => self.finish_state(frame, outcome, now),
            // A Map state whose JSONata input evaluation fails records MapStateFailed, as AWS
            // does; a JSONPath input failure (States.Runtime) fails without it.
            Entered::Failed(fault)
                if kind == StateKind::Map && fault.error == "States.QueryEvaluationError" =>
            {
                self.fault_with(frame, fault, Some(EventKind::MapStateFailed), now)
            }
            Entered::Failed(fault) => self.fault(frame, fault, now),
            Entered::Task { resource, parameters, timeout_seconds, heartbeat_seconds } => self
                .schedule_task(
                    frame,
                    services,
                    resource,
                    parameters,
                    timeout_seconds,
                    heartbeat_seconds,
                    token,
                    now,
                ),
            Entered::Wait(until) => {
                let at_ms = match until {
                    WaitUntil::Seconds(s) => deadline_after(now, s),
                    WaitUntil::TimestampMillis(ms) => ms,
                };
                self.sleep(frame, at_ms, AfterSleep::CompleteWait);
            }
            Entered::Parallel(branches) => {
                self.frame_event(frame, now, EventKind::ParallelStateStarted);
                let fork = Fork {
                    is_map: false,
                    group: None,
                    len: branches.len(),
                    results: vec![None; branches.len()],
                    running: 0,
                    next: 0,
                    queued: branches
                        .into_iter()
                        .enumerate()
                        .map(|(i, (start, input))| (i, start, input))
                        .collect(),
                    max_concurrency: 0,
                    children: Vec::new(),
                    last_done: 0,
                    input: Value::Null,
                    map_run: None,
                };
                self.fork(frame, fork, now);
            }
            Entered::Map {
                start,
                items,
                max_concurrency,
                tolerated_failure_count,
                tolerated_failure_percentage,
                late_fault,
            } => {
                let length = items.len() as u64;
                self.frame_event(frame, now, EventKind::MapStateStarted { length });
                if let Some(fault) = late_fault {
                    return self.fault(frame, fault, now);
                }
                let map_run = self.is_distributed(frame).then(|| {
                    self.start_map_run(
                        frame,
                        tolerated_failure_count,
                        tolerated_failure_percentage,
                        now,
                    )
                });
                let fork = Fork {
                    is_map: true,
                    group: None,
                    len: items.len(),
                    results: vec![None; items.len()],
                    running: 0,
                    next: 0,
                    queued: items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| (i, start, item))
                        .collect(),
                    max_concurrency: max_concurrency as usize,
                    children: Vec::new(),
                    last_done: 0,
                    input: Value::Null,
                    map_run,
                };
                self.fork(frame, fork, now);
                if self.frames.get(frame).is_some_and(|_| self.runs_map_run(frame)) {
                    self.report_map_run(frame, map_runs::MapRunStatus::Running, now);
                }
            }
        }
    }

    fn sleep(&mut self, frame: FrameId, at_ms: i64, then: AfterSleep) {
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        let generation = f.generation;
        f.phase = Phase::Sleeping { then, at_ms };
        self.effects.push(Effect::Timer { at_ms, frame, generation });
    }

    /// A state finished with `outcome`.
    fn finish_state(&mut self, frame: FrameId, outcome: Outcome, now: i64) {
        let state = self.machine.state(self.frames[frame].state);
        let (kind, name) = (state.kind, state.name.clone());
        let text = match &outcome {
            Outcome::Next { output, .. } | Outcome::End { output, .. } => json(output),
            Outcome::Fail(_) => String::new(),
        };
        // AWS's payload quota: a state's output over 256 KiB fails the state (not catchable by States.ALL).
        if text.len() > MAX_PAYLOAD_BYTES {
            let cause = format!(
                "The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."
            );
            return self.fault(frame, Fault::new("States.DataLimitExceeded", cause), now);
        }
        match outcome {
            Outcome::Next { next, output, assigned } => {
                let assigned = self.assign(frame, assigned);
                self.frame_event(
                    frame,
                    now,
                    EventKind::StateExited { state: kind, name, output: text.clone(), assigned },
                );
                let f = &mut self.frames[frame];
                f.state = next;
                f.input = output;
                f.input_text = Some(text);
                f.attempts.clear();
                f.retry_count = 0;
                f.phase = Phase::Enter { retry: false };
                self.ready.push_back(frame);
            }
            Outcome::End { output, assigned } => {
                let assigned = self.assign(frame, assigned);
                // The root frame's output is the execution's: reuse its text.
                let execution_output = self.frames[frame].parent.is_none().then(|| text.clone());
                self.frame_event(
                    frame,
                    now,
                    EventKind::StateExited { state: kind, name, output: text, assigned },
                );
                self.frames[frame].phase = Phase::Done;
                match execution_output {
                    Some(text) => self.end(Ending::Succeeded(text), now),
                    None => self.end_frame(frame, Ok(output), now),
                }
            }
            Outcome::Fail(fault) => {
                self.frames[frame].phase = Phase::Done;
                self.end_frame(frame, Err(fault), now);
            }
        }
    }

    /// Applies a state's `Assign` to the frame's variables; returns them as AWS records them.
    fn assign(
        &mut self,
        frame: FrameId,
        assigned: Option<Map<String, Value>>,
    ) -> Option<Vec<(String, String)>> {
        // AWS records nothing for an empty `Assign: {}`.
        let assigned = assigned.filter(|a| !a.is_empty())?;
        let recorded = assigned.iter().map(|(k, v)| (k.clone(), json(v))).collect();
        self.frames[frame].vars.extend(assigned);
        Some(recorded)
    }

    /// A frame's graph ended: the execution ends, or the parent collects the result.
    fn end_frame(&mut self, frame: FrameId, result: Result<Value, Fault>, now: i64) {
        let Some((parent, slot)) = self.frames[frame].parent else {
            return match result {
                Ok(output) => self.end(Ending::Succeeded(json(&output)), now),
                Err(fault) => self.end(Ending::Failed(fault), now),
            };
        };
        // The child leaves: the parent takes its result (and its variables are dropped,
        // AWS's scoping rule).
        let child = self.frames.remove(frame).expect("a live frame");
        let distributed = self.runs_map_run(parent);
        if !distributed {
            // The parent's chain continues from the child's last state event.
            self.frames[parent].last_event = child.last_event;
        }
        let last_child_event = child.last_event;
        if result.is_err() {
            // A redrive resumes it, unless the failure is caught above.
            self.fallen.insert(frame, child);
        }
        let parent_frame = &mut self.frames[parent];
        let (is_map, name) = match &mut parent_frame.phase {
            Phase::Fork(fork) => {
                fork.children.retain(|c| *c != frame);
                let name = self.machine.state(parent_frame.state).name.clone();
                (fork.is_map && !distributed, name)
            }
            _ => return,
        };
        let fault = match result {
            Ok(output) => {
                let done_event = if is_map {
                    self.side_event(
                        parent,
                        now,
                        EventKind::MapIterationSucceeded { name, index: slot as u64 },
                    )
                } else if distributed {
                    if let Phase::Fork(Fork { map_run: Some(run), .. }) =
                        &mut self.frames[parent].phase
                    {
                        run.succeeded += 1;
                    }
                    0
                } else {
                    last_child_event
                };
                return self.iteration_done(parent, slot, output, done_event, now);
            }
            Err(fault) if distributed => match self.iteration_failed(parent, slot, &fault, now) {
                Ok(()) => return,
                Err(exceeded) => exceeded,
            },
            Err(fault) => fault,
        };
        if is_map {
            self.side_event(
                parent,
                now,
                EventKind::MapIterationFailed { name, index: slot as u64 },
            );
        }
        self.cancel_children(parent);
        let is_map_state = self.machine.state(self.frames[parent].state).kind == StateKind::Map;
        if let Some(fork) = self.end_fork(parent) {
            self.fallen_forks.insert(parent, fork);
        }
        let failed =
            if is_map_state { EventKind::MapStateFailed } else { EventKind::ParallelStateFailed };
        self.fault_with(parent, fault, Some(failed), now);
    }

    /// A child of the fork at `parent` finished with `output` in `slot`: the next child
    /// starts, or the fork joins when it was the last.
    fn iteration_done(
        &mut self,
        parent: FrameId,
        slot: usize,
        output: Value,
        done_event: u64,
        now: i64,
    ) {
        let Phase::Fork(fork) = &mut self.frames[parent].phase else { return };
        let (is_map, group) = (fork.is_map, fork.group);
        if done_event != 0 {
            fork.last_done = done_event;
        }
        fork.results[slot] = Some(output);
        fork.running -= 1;
        let next = if fork.max_concurrency == 0 || fork.running < fork.max_concurrency {
            fork.queued.pop_front()
        } else {
            None
        };
        if let Some((slot, ..)) = &next {
            fork.next = slot + 1;
        }
        if let Some(group) = group {
            self.unsaved.push(Unsaved::Result { frame: parent, group, slot });
        }
        let done = fork.running == 0 && fork.queued.is_empty() && next.is_none();
        if let Some((slot, start, input)) = next {
            if let Phase::Fork(fork) = &mut self.frames[parent].phase {
                fork.running += 1;
            }
            self.spawn_child(parent, slot, start, input, is_map, now);
        } else if done {
            return self.join(parent, now);
        }
        if self.runs_map_run(parent) {
            self.report_map_run(parent, map_runs::MapRunStatus::Running, now);
        }
    }

    /// The state's work produced `result`: apply its output processing.
    fn complete(&mut self, frame: FrameId, result: Value, now: i64) {
        let ctx = self.take_context(frame, None);
        let seed = self.next_seed();
        let machine = self.machine.clone();
        let f = &self.frames[frame];
        let env = Env { input: &f.input, context: &ctx, vars: &f.vars, seed };
        let completed = machine.complete(f.state, &env, result);
        self.restore_context(ctx);
        match completed {
            Ok(outcome) => self.finish_state(frame, outcome, now),
            Err(fault) => self.fault(frame, fault, now),
        }
    }

    /// The current generation of a frame's timers; `None` once the frame is gone.
    pub(crate) fn frame_generation(&self, frame: FrameId) -> Option<u64> {
        self.frames.get(frame).map(|f| f.generation)
    }

    /// How many frames the execution holds in memory (for tests of bounded memory).
    pub(crate) fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// True when its decisions may take long (its machine evaluates JSONata).
    pub(crate) fn may_decide_slowly(&self) -> bool {
        self.machine.uses_jsonata()
    }
}

/// `now` plus `seconds`, saturating: a duration from any input (a path value near 2^64)
/// never overflows, it only lands at the end of time.
pub(crate) fn deadline_after(now: i64, seconds: u64) -> i64 {
    let millis = i64::try_from(seconds).unwrap_or(i64::MAX).saturating_mul(1000);
    now.saturating_add(millis)
}

/// AWS omits empty error/cause fields.
fn error_cause(fault: &Fault) -> ErrorCause {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ErrorCause { error: some(&fault.error), cause: some(&fault.cause) }
}

mod context;
mod ending;
mod forks;
mod frames;
mod map_run;
mod observe;
mod redrive;
mod service;
mod snapshot;
mod task;

#[cfg(test)]
mod fork_tests;

#[cfg(test)]
mod tests {
    use super::millis_to_iso;

    #[test]
    fn iso_timestamps_match_chrono() {
        for ms in [
            0,
            1,
            999,
            1_700_000_000_123,
            951_782_400_000,
            253_402_300_799_999,
            -1,
            -62_135_596_800_000,
        ] {
            let chrono = chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            assert_eq!(millis_to_iso(ms), chrono, "{ms}");
        }
        assert_eq!(millis_to_iso(1_700_000_000_007), "2023-11-14T22:13:20.007Z");
        // Past year 9999 chrono's wider form is kept.
        assert!(millis_to_iso(253_402_300_800_000).starts_with("+10000-"));
    }
}
