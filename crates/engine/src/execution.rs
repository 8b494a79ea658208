//! One running execution: its frames and how each decision advances them.
//!
//! This module holds no locks and does no I/O. The engine calls it with the
//! current time; it appends history events to `pending` and asks for side
//! effects (tasks to queue, timers to set) through `effects`, which the engine
//! commits and carries out together with the events.
//!
//! A *frame* is one thread of control inside the execution: the root graph,
//! a Parallel branch or a Map iteration. Each frame sits at one state.
use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use stepwise_asl::{
    Entered, Env, ErrorDecision, Fault, Machine, Outcome, StateId, StateKind, WaitUntil,
};

use crate::history::{ErrorCause, EventKind, HistoryEvent};
use crate::model::{ExecutionRecord, ExecutionStatus};
use crate::token::TaskId;

/// AWS's quota on events per execution.
pub(crate) const HISTORY_LIMIT: u64 = 25_000;
/// AWS's quota on a state's input or output, in bytes.
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Index of a frame within its execution.
pub(crate) type FrameId = usize;

/// What the engine lends an execution while it advances.
pub(crate) trait Services {
    /// A fresh task id.
    fn new_task(&mut self) -> TaskId;
    /// Whether the activity exists now.
    fn activity_exists(&self, arn: &str) -> bool;
    /// The mocked response of a Task invocation in a test case, if any.
    fn mock(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        invocation: u32,
    ) -> Option<crate::mock::MockResponse>;
}

/// The prefix of the AWS SDK integration with Step Functions itself.
const SFN_SDK_PREFIX: &str = "arn:aws:states:::aws-sdk:sfn:";

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
    /// Call [`Running::on_timer`] with `(frame, generation)` at `at_ms`.
    Timer { at_ms: i64, frame: FrameId, generation: u64 },
    /// Set the execution-level timeout.
    ExecutionTimeout { at_ms: i64 },
    /// Tasks that no longer exist (the execution ended or a branch was cancelled).
    DropTasks(Vec<TaskId>),
}

#[derive(Debug, Serialize, Deserialize)]
enum Phase {
    /// Ready to enter its state (`retry`: re-entering after a Retry, no Entered event).
    Enter { retry: bool },
    /// Waiting for an activity task to finish (`timeout_at`: its TimeoutSeconds deadline).
    Task { task: TaskId, timeout_at: Option<i64> },
    /// Waiting for a service integration call (`parameters` let recovery call again).
    Service { generation: u64, resource_type: String, action: String, parameters: Value },
    /// Waiting until `at_ms` for a Wait state's timer or a retry's backoff.
    Sleeping { then: AfterSleep, at_ms: i64 },
    /// Waiting for children (Parallel branches or Map iterations).
    Fork(Fork),
    /// Finished or cancelled.
    Done,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum AfterSleep {
    /// The Wait state is over: complete it.
    CompleteWait,
    /// The backoff is over: enter the state again.
    Retry,
}

#[derive(Debug, Serialize, Deserialize)]
struct Fork {
    is_map: bool,
    results: Vec<Option<Value>>,
    running: usize,
    /// Children not started yet: result slot, start state, input.
    queued: VecDeque<(usize, StateId, Value)>,
    /// 0 means unbounded.
    max_concurrency: usize,
    children: Vec<FrameId>,
    /// The event the state's Succeeded event points at: the latest MapIterationSucceeded,
    /// or the latest branch event for Parallel.
    last_done: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Frame {
    /// The parent frame and this frame's slot in its results.
    parent: Option<(FrameId, usize)>,
    state: StateId,
    /// The state's raw input.
    input: Value,
    /// `input` as JSON text, when the previous state's StateExited event already wrote it
    /// out: the next StateEntered event reuses it instead of serializing `input` again.
    #[serde(skip)]
    input_text: Option<String>,
    phase: Phase,
    /// Retries made per Retry entry of the current state.
    attempts: Vec<u32>,
    /// Total retries of the current state (`$$.State.RetryCount`).
    retry_count: u32,
    /// The id of this frame's latest event (previousEventId of its next one).
    last_event: u64,
    /// The id of the current state's Entered event (AWS cites it in runtime errors).
    entered_event: u64,
    /// The previousEventId of that Entered event (AWS chains EvaluationFailed to it).
    #[serde(default)]
    entered_previous: u64,
    entered_ms: i64,
    /// Bumped whenever a timer of this frame becomes stale.
    generation: u64,
    /// Workflow variables visible here. A Map iteration or Parallel branch works on a
    /// copy of its parent's, discarded when it ends (AWS's scoping rule).
    vars: Map<String, Value>,
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
    frames: Vec<Frame>,
    ready: VecDeque<FrameId>,
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
}

/// What recovery needs of a running execution (everything but what is derived:
/// the machine comes from the definition, the Context object from the record).
#[derive(Serialize)]
struct SnapshotRef<'a> {
    record: &'a ExecutionRecord,
    state_machine_name: &'a str,
    next_event_id: u64,
    frames: &'a [Frame],
    ready: &'a VecDeque<FrameId>,
    seed: u64,
    timeout_at: Option<i64>,
    test_case: &'a Option<String>,
    invocations: &'a std::collections::HashMap<String, u32>,
    /// What the engine keeps beside the execution (its task records).
    extra: Value,
}

#[derive(Deserialize)]
struct Snapshot {
    record: ExecutionRecord,
    state_machine_name: String,
    #[serde(default)]
    #[allow(dead_code)]
    input: Value,
    next_event_id: u64,
    frames: Vec<Frame>,
    ready: VecDeque<FrameId>,
    seed: u64,
    timeout_at: Option<i64>,
    #[serde(default)]
    test_case: Option<String>,
    #[serde(default)]
    invocations: std::collections::HashMap<String, u32>,
    extra: Value,
}

/// A pending wait of a recovered execution, for the engine to re-arm.
#[derive(Debug)]
pub(crate) enum Pending {
    /// An activity task (re-armed from the engine's task record).
    Task { frame: FrameId, generation: u64, task: TaskId, timeout_at: Option<i64> },
    /// A timer of a frame.
    Timer { frame: FrameId, generation: u64, at_ms: i64 },
    /// A service call to make again (a long poll).
    Service { frame: FrameId, generation: u64, action: String, parameters: Value },
}

/// Compact JSON text of a value, as history events record it. Written to a byte buffer:
/// `Value`'s `Display` goes through `fmt::Write` a token at a time, several times slower.
fn json(value: &Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}

///
/// Formatted by hand: this runs at every state entry (the Context object's `EnteredTime`),
/// and chrono's strftime parses its pattern on every call.
fn millis_to_iso(ms: i64) -> String {
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
            frames: Vec::new(),
            ready: VecDeque::new(),
            context: Value::Null,
            pending: Vec::new(),
            effects: Vec::new(),
            stale_frames: Vec::new(),
            record_dirty: true,
            seed,
            timeout_at: None,
            test_case: None,
            invocations: Default::default(),
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
        run.frames.push(Frame {
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
        });
        run.ready.push_back(0);
        run
    }

    /// The Context object's parts that do not change during the execution.
    fn fixed_context(&self) -> Value {
        json!({
            "Execution": {
                "Id": self.record.arn,
                "Input": serde_json::from_str::<Value>(&self.record.input).unwrap_or(Value::Null),
                "StartTime": millis_to_iso(self.record.start_ms),
                "Name": self.record.name,
                "RoleArn": self.record.role_arn,
                "RedriveCount": 0,
            },
            "StateMachine": { "Id": self.record.state_machine_arn, "Name": self.state_machine_name },
        })
    }

    /// The snapshot recovery restores from (see [`Running::restore`]).
    pub(crate) fn snapshot(&self, extra: Value) -> Vec<u8> {
        let snapshot = SnapshotRef {
            record: &self.record,
            state_machine_name: &self.state_machine_name,
            next_event_id: self.next_event_id,
            frames: &self.frames,
            ready: &self.ready,
            seed: self.seed,
            timeout_at: self.timeout_at,
            test_case: &self.test_case,
            invocations: &self.invocations,
            extra,
        };
        serde_json::to_vec(&snapshot).expect("snapshots serialize")
    }

    /// Rebuilds a running execution from its snapshot; returns it with the waits the
    /// engine must re-arm (tasks, timers, long polls) and its execution deadline.
    /// `machine_for` gives the parsed machine of the recorded definition.
    /// `definition` is the execution row's (snapshots leave it out; older ones had it).
    pub(crate) fn restore(
        bytes: &[u8],
        definition: &Arc<str>,
        machine_for: impl FnOnce(&Arc<str>) -> Result<Arc<Machine>, String>,
    ) -> Result<(Running, Vec<Pending>, Value), String> {
        let mut s: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| format!("unreadable snapshot: {e}"))?;
        if s.record.definition.is_empty() {
            s.record.definition = definition.clone();
        }
        let machine = machine_for(&s.record.definition)?;
        let run = Running {
            record: s.record,
            machine,
            state_machine_name: s.state_machine_name,
            next_event_id: s.next_event_id,
            frames: s.frames,
            ready: s.ready,
            context: Value::Null,
            pending: Vec::new(),
            effects: Vec::new(),
            stale_frames: Vec::new(),
            record_dirty: false,
            seed: s.seed,
            timeout_at: s.timeout_at,
            test_case: s.test_case,
            invocations: s.invocations,
        };
        let mut waits = Vec::new();
        for (frame, f) in run.frames.iter().enumerate() {
            match &f.phase {
                Phase::Task { task, timeout_at } => waits.push(Pending::Task {
                    frame,
                    generation: f.generation,
                    task: *task,
                    timeout_at: *timeout_at,
                }),
                Phase::Sleeping { at_ms, .. } => {
                    waits.push(Pending::Timer { frame, generation: f.generation, at_ms: *at_ms })
                }
                Phase::Service { generation, action, parameters, .. } => {
                    waits.push(Pending::Service {
                        frame,
                        generation: *generation,
                        action: action.clone(),
                        parameters: parameters.clone(),
                    })
                }
                _ => {}
            }
        }
        Ok((run, waits, s.extra))
    }

    /// The tasks its frames wait on.
    pub(crate) fn tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.frames.iter().filter_map(|f| match f.phase {
            Phase::Task { task, .. } => Some(task),
            _ => None,
        })
    }

    /// Asks the engine to make a service call again (recovery of a long poll).
    pub(crate) fn repeat_service_call(
        &mut self,
        frame: FrameId,
        generation: u64,
        action: String,
        parameters: Value,
    ) {
        let resource_type = match &self.frames.get(frame).map(|f| &f.phase) {
            Some(Phase::Service { resource_type, .. }) => resource_type.clone(),
            _ => "aws-sdk:sfn".to_owned(),
        };
        self.effects.push(Effect::Call { frame, generation, resource_type, action, parameters });
    }

    /// The execution's TimeoutSeconds deadline.
    pub(crate) fn timeout_at(&self) -> Option<i64> {
        self.timeout_at
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
                .iter()
                .all(|f| matches!(f.phase, Phase::Sleeping { .. } | Phase::Fork(_) | Phase::Done))
    }

    fn push_event(&mut self, now: i64, previous: u64, kind: EventKind) -> u64 {
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
        let prev = self.frames[frame].last_event;
        let id = self.push_event(now, prev, kind);
        self.frames[frame].last_event = id;
        id
    }

    /// An event that points at the frame's latest event without becoming it
    /// (AWS chains MapIterationSucceeded/Failed and *StateSucceeded this way).
    fn side_event(&mut self, frame: FrameId, now: i64, kind: EventKind) -> u64 {
        let prev = self.frames[frame].last_event;
        self.push_event(now, prev, kind)
    }

    /// The Context object (`$$`) for the frame's state. The Execution and StateMachine
    /// parts are built once per execution; only State changes per entry. Give it back
    /// with [`Running::restore_context`] so the next entry reuses it. A machine that never
    /// reads it gets `null`.
    fn take_context(&mut self, frame: FrameId) -> Value {
        if !self.machine.reads_context() {
            return Value::Null;
        }
        let mut ctx = std::mem::take(&mut self.context);
        if ctx.is_null() {
            ctx = self.fixed_context();
        }
        let f = &self.frames[frame];
        let state = self.machine.state(f.state);
        let mut current = Map::new();
        current.insert("Name".into(), Value::String(state.name.clone()));
        current.insert("EnteredTime".into(), Value::String(millis_to_iso(f.entered_ms)));
        // AWS reports RetryCount only for the states that can retry.
        if matches!(state.kind, StateKind::Task | StateKind::Parallel | StateKind::Map) {
            current.insert("RetryCount".into(), json!(f.retry_count));
        }
        if let Value::Object(o) = &mut ctx {
            o.insert("State".into(), Value::Object(current));
        }
        ctx
    }

    fn restore_context(&mut self, ctx: Value) {
        self.context = ctx;
    }

    /// Frees the cached Context object; a parked execution then holds only its state.
    /// The next decision rebuilds it (see [`Running::take_context`]).
    pub(crate) fn release_context(&mut self) {
        self.context = Value::Null;
        // Buffers keep their capacity after draining; a parked execution gives it back.
        self.pending = Vec::new();
        self.effects = Vec::new();
        self.frames.shrink_to_fit();
        self.ready.shrink_to_fit();
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
            let Phase::Enter { retry } = self.frames[frame].phase else { continue };
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
        let ctx = self.take_context(frame);
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
                    results: vec![None; branches.len()],
                    running: 0,
                    queued: branches
                        .into_iter()
                        .enumerate()
                        .map(|(i, (start, input))| (i, start, input))
                        .collect(),
                    max_concurrency: 0,
                    children: Vec::new(),
                    last_done: 0,
                };
                self.fork(frame, fork, now);
            }
            Entered::Map { start, items, max_concurrency, .. } => {
                let length = items.len() as u64;
                self.frame_event(frame, now, EventKind::MapStateStarted { length });
                let fork = Fork {
                    is_map: true,
                    results: vec![None; items.len()],
                    running: 0,
                    queued: items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| (i, start, item))
                        .collect(),
                    max_concurrency: max_concurrency as usize,
                    children: Vec::new(),
                    last_done: 0,
                };
                self.fork(frame, fork, now);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn schedule_task(
        &mut self,
        frame: FrameId,
        services: &mut dyn Services,
        resource: String,
        parameters: Value,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
        now: i64,
    ) {
        if let Some(test_case) = &self.test_case {
            let state = self.machine.state(self.frames[frame].state).name.clone();
            let invocation = self.invocations.get(&state).copied().unwrap_or(0);
            if let Some(response) =
                services.mock(&self.state_machine_name, test_case, &state, invocation)
            {
                self.invocations.insert(state, invocation + 1);
                return self.answer_from_mock(frame, &resource, parameters, response, now);
            }
        }
        if let Some(action) = resource.strip_prefix(SFN_SDK_PREFIX) {
            return self.call_service(frame, "aws-sdk:sfn", action.to_owned(), parameters, now);
        }
        let runtime_error = |this: &Self, what: String| {
            let f = &this.frames[frame];
            let name = &this.machine.state(f.state).name;
            Fault::runtime(format!(
                "An error occurred while executing the state '{name}' (entered at the event id #{}). {what}",
                f.entered_event
            ))
        };
        if !resource.contains(":activity:") {
            let fault = runtime_error(self, format!("Stepwise does not support the Task resource '{resource}' yet: only activities and aws-sdk:sfn run."));
            return self.fault(frame, fault, now);
        }
        if !services.activity_exists(&resource) {
            let fault = runtime_error(self, format!("The activity {resource} does not exist."));
            return self.fault(frame, fault, now);
        }
        let task = services.new_task();
        let input = json(&parameters);
        self.frame_event(
            frame,
            now,
            EventKind::ActivityScheduled {
                resource: resource.clone(),
                input: input.clone(),
                timeout_seconds,
                heartbeat_seconds,
            },
        );
        self.frames[frame].generation += 1;
        self.stale_frames.push(frame);
        let generation = self.frames[frame].generation;
        let timeout_at = timeout_seconds.map(|secs| deadline_after(now, secs));
        self.frames[frame].phase = Phase::Task { task, timeout_at };
        if let Some(at_ms) = timeout_at {
            self.effects.push(Effect::Timer { at_ms, frame, generation });
        }
        self.effects.push(Effect::ScheduleActivity {
            task,
            activity_arn: resource,
            input,
            frame,
            heartbeat_seconds,
        });
    }

    /// A mocked Task: recorded as the service integration it stands for, answered at once.
    fn answer_from_mock(
        &mut self,
        frame: FrameId,
        resource: &str,
        parameters: Value,
        response: crate::mock::MockResponse,
        now: i64,
    ) {
        let (resource_type, action) = crate::mock::resource_parts(resource);
        let region = self.record.arn.split(':').nth(3).unwrap_or_default().to_owned();
        let scheduled = EventKind::TaskScheduled {
            resource_type: resource_type.clone(),
            resource: action.clone(),
            region,
            parameters: json(&parameters),
        };
        self.frame_event(frame, now, scheduled);
        self.frame_event(
            frame,
            now,
            EventKind::TaskStarted {
                resource_type: resource_type.clone(),
                resource: action.clone(),
            },
        );
        match response {
            crate::mock::MockResponse::Return(output) => {
                let text = json(&output);
                self.frame_event(
                    frame,
                    now,
                    EventKind::TaskSucceeded { resource_type, resource: action, output: text },
                );
                self.complete(frame, output, now);
            }
            crate::mock::MockResponse::Throw { error, cause } => {
                let fault = Fault::new(error, cause);
                let ec = error_cause(&fault);
                self.frame_event(
                    frame,
                    now,
                    EventKind::TaskFailed { resource_type, resource: action, error: ec },
                );
                self.fault(frame, fault, now);
            }
        }
    }

    /// Runs this execution as mock test case `test_case`.
    pub(crate) fn set_test_case(&mut self, test_case: Option<String>) {
        self.test_case = test_case;
    }

    fn call_service(
        &mut self,
        frame: FrameId,
        resource_type: &'static str,
        action: String,
        parameters: Value,
        now: i64,
    ) {
        let region = self.record.arn.split(':').nth(3).unwrap_or_default().to_owned();
        self.frame_event(
            frame,
            now,
            EventKind::TaskScheduled {
                resource_type: resource_type.into(),
                resource: action.clone(),
                region,
                parameters: json(&parameters),
            },
        );
        self.frame_event(
            frame,
            now,
            EventKind::TaskStarted {
                resource_type: resource_type.into(),
                resource: action.clone(),
            },
        );
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        let generation = f.generation;
        f.phase = Phase::Service {
            generation,
            resource_type: resource_type.to_owned(),
            action: action.clone(),
            parameters: parameters.clone(),
        };
        let resource_type = resource_type.to_owned();
        self.effects.push(Effect::Call { frame, generation, resource_type, action, parameters });
    }

    /// The frame's service call, if it is still waiting for that call.
    fn service_phase(&self, frame: FrameId, generation: u64) -> Option<(String, String)> {
        match &self.frames.get(frame)?.phase {
            Phase::Service { generation: g, resource_type, action, .. }
                if *g == generation && self.is_running() =>
            {
                Some((resource_type.clone(), action.clone()))
            }
            _ => None,
        }
    }

    /// True while `frame` still waits for the service call of `generation`.
    pub(crate) fn awaits_service(&self, frame: FrameId, generation: u64) -> bool {
        self.service_phase(frame, generation).is_some()
    }

    /// A service call answered.
    pub(crate) fn service_succeeded(
        &mut self,
        frame: FrameId,
        generation: u64,
        output: Value,
        now: i64,
    ) {
        let Some((resource_type, resource)) = self.service_phase(frame, generation) else { return };
        self.frames[frame].phase = Phase::Done;
        let text = json(&output);
        self.frame_event(
            frame,
            now,
            EventKind::TaskSucceeded { resource_type, resource, output: text },
        );
        self.complete(frame, output, now);
    }

    /// A service call failed.
    pub(crate) fn service_failed(
        &mut self,
        frame: FrameId,
        generation: u64,
        fault: Fault,
        now: i64,
    ) {
        let Some((resource_type, resource)) = self.service_phase(frame, generation) else { return };
        self.frames[frame].phase = Phase::Done;
        let error = error_cause(&fault);
        self.frame_event(frame, now, EventKind::TaskFailed { resource_type, resource, error });
        self.fault(frame, fault, now);
    }

    fn sleep(&mut self, frame: FrameId, at_ms: i64, then: AfterSleep) {
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        let generation = f.generation;
        f.phase = Phase::Sleeping { then, at_ms };
        self.effects.push(Effect::Timer { at_ms, frame, generation });
    }

    fn fork(&mut self, frame: FrameId, mut fork: Fork, now: i64) {
        if fork.results.is_empty() {
            self.frames[frame].phase = Phase::Fork(fork);
            return self.join(frame, now);
        }
        let limit = if fork.max_concurrency == 0 { usize::MAX } else { fork.max_concurrency };
        let mut launch = Vec::new();
        while fork.running < limit {
            let Some(child) = fork.queued.pop_front() else { break };
            fork.running += 1;
            launch.push(child);
        }
        let is_map = fork.is_map;
        self.frames[frame].phase = Phase::Fork(fork);
        for (slot, start, input) in launch {
            self.spawn_child(frame, slot, start, input, is_map, now);
        }
    }

    fn spawn_child(
        &mut self,
        parent: FrameId,
        slot: usize,
        start: StateId,
        input: Value,
        is_map: bool,
        now: i64,
    ) {
        let mut last_event = self.frames[parent].last_event;
        if is_map {
            let name = self.machine.state(self.frames[parent].state).name.clone();
            last_event = self.frame_event(
                parent,
                now,
                EventKind::MapIterationStarted { name, index: slot as u64 },
            );
        }
        let child = self.frames.len();
        self.frames.push(Frame {
            parent: Some((parent, slot)),
            state: start,
            input,
            input_text: None,
            phase: Phase::Enter { retry: false },
            attempts: Vec::new(),
            retry_count: 0,
            last_event,
            entered_event: 0,
            entered_previous: 0,
            entered_ms: now,
            generation: 0,
            vars: self.frames[parent].vars.clone(),
        });
        if let Phase::Fork(fork) = &mut self.frames[parent].phase {
            fork.children.push(child);
        }
        self.ready.push_back(child);
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
        // The parent's chain continues from the child's last state event.
        let last_child_event = self.frames[frame].last_event;
        self.frames[parent].last_event = last_child_event;
        let (is_map, name) = match &self.frames[parent].phase {
            Phase::Fork(fork) => {
                (fork.is_map, self.machine.state(self.frames[parent].state).name.clone())
            }
            _ => return,
        };
        match result {
            Ok(output) => {
                let done_event = if is_map {
                    self.side_event(
                        parent,
                        now,
                        EventKind::MapIterationSucceeded { name, index: slot as u64 },
                    )
                } else {
                    last_child_event
                };
                let Phase::Fork(fork) = &mut self.frames[parent].phase else { return };
                fork.last_done = done_event;
                fork.results[slot] = Some(output);
                fork.running -= 1;
                let next = if fork.max_concurrency == 0 || fork.running < fork.max_concurrency {
                    fork.queued.pop_front()
                } else {
                    None
                };
                let done = fork.running == 0 && fork.queued.is_empty() && next.is_none();
                if let Some((slot, start, input)) = next {
                    if let Phase::Fork(fork) = &mut self.frames[parent].phase {
                        fork.running += 1;
                    }
                    self.spawn_child(parent, slot, start, input, is_map, now);
                } else if done {
                    self.join(parent, now);
                }
            }
            Err(fault) => {
                if is_map {
                    self.side_event(
                        parent,
                        now,
                        EventKind::MapIterationFailed { name, index: slot as u64 },
                    );
                }
                self.cancel_children(parent);
                self.frames[parent].phase = Phase::Done;
                let failed =
                    if is_map { EventKind::MapStateFailed } else { EventKind::ParallelStateFailed };
                self.fault_with(parent, fault, Some(failed), now);
            }
        }
    }

    fn cancel_children(&mut self, parent: FrameId) {
        let children = match &mut self.frames[parent].phase {
            Phase::Fork(fork) => std::mem::take(&mut fork.children),
            _ => return,
        };
        let mut dropped = Vec::new();
        let mut stack = children;
        while let Some(child) = stack.pop() {
            let f = &mut self.frames[child];
            f.generation += 1;
            self.stale_frames.push(child);
            match std::mem::replace(&mut f.phase, Phase::Done) {
                Phase::Task { task, .. } => dropped.push(task),
                Phase::Fork(fork) => stack.extend(fork.children),
                _ => {}
            }
        }
        self.ready.retain(|f| matches!(self.frames[*f].phase, Phase::Enter { .. }));
        if !dropped.is_empty() {
            self.effects.push(Effect::DropTasks(dropped));
        }
    }

    /// All children of a Parallel/Map finished: complete the state with their outputs.
    fn join(&mut self, frame: FrameId, now: i64) {
        let Phase::Fork(fork) = std::mem::replace(&mut self.frames[frame].phase, Phase::Done)
        else {
            return;
        };
        let succeeded = if fork.is_map {
            EventKind::MapStateSucceeded
        } else {
            EventKind::ParallelStateSucceeded
        };
        // AWS points both the Succeeded and the Exited event at the last iteration's end.
        if fork.last_done != 0 {
            self.frames[frame].last_event = fork.last_done;
        }
        self.side_event(frame, now, succeeded);
        let results =
            Value::Array(fork.results.into_iter().map(|r| r.unwrap_or(Value::Null)).collect());
        self.complete(frame, results, now);
    }

    /// The state's work produced `result`: apply its output processing.
    fn complete(&mut self, frame: FrameId, result: Value, now: i64) {
        let ctx = self.take_context(frame);
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

    /// A fault was raised in the frame's state: retry, catch, or propagate.
    fn fault(&mut self, frame: FrameId, fault: Fault, now: i64) {
        self.fault_with(frame, fault, None, now)
    }

    /// Like [`Running::fault`]; `failed` is recorded first when the fault is not retried
    /// (AWS records MapStateFailed/ParallelStateFailed only then).
    fn fault_with(
        &mut self,
        frame: FrameId,
        mut fault: Fault,
        failed: Option<EventKind>,
        now: i64,
    ) {
        stepwise_asl::step::fill_entered_event_id(&mut fault, self.frames[frame].entered_event);
        if fault.error == "States.QueryEvaluationError" {
            // AWS records a failed JSONata expression as its own event, chained to the
            // event before the state's Entered event.
            let kind = EventKind::EvaluationFailed {
                error: fault.error.clone(),
                cause: fault.cause.clone(),
                location: stepwise_asl::jsonata::evaluation_location(&fault).map(str::to_owned),
                state: self.machine.state(self.frames[frame].state).name.clone(),
            };
            let id = self.push_event(now, self.frames[frame].entered_previous, kind);
            self.frames[frame].last_event = id;
        }
        let ctx = self.take_context(frame);
        let jitter = (self.next_seed() >> 11) as f64 / (1u64 << 53) as f64;
        let machine = self.machine.clone();
        let f = &self.frames[frame];
        let env = Env { input: &f.input, context: &ctx, vars: &f.vars, seed: 0 };
        let decision = machine.on_error(f.state, &env, &fault, &f.attempts, jitter);
        self.restore_context(ctx);
        match decision {
            ErrorDecision::Retry { retrier, delay_ms } => {
                let f = &mut self.frames[frame];
                if f.attempts.len() <= retrier {
                    f.attempts.resize(retrier + 1, 0);
                }
                f.attempts[retrier] += 1;
                f.retry_count += 1;
                self.sleep(frame, now + delay_ms as i64, AfterSleep::Retry);
            }
            ErrorDecision::Catch { next, output, assigned } => {
                if let Some(failed) = failed {
                    self.frame_event(frame, now, failed);
                }
                self.finish_state(frame, Outcome::Next { next, output, assigned }, now)
            }
            ErrorDecision::Fail => {
                if let Some(failed) = failed {
                    self.frame_event(frame, now, failed);
                }
                self.frames[frame].phase = Phase::Done;
                self.end_frame(frame, Err(fault), now);
            }
        }
    }

    /// A timer of this execution fired.
    pub(crate) fn on_timer(
        &mut self,
        frame: FrameId,
        generation: u64,
        now: i64,
        timed_out_task: &mut Option<TaskId>,
    ) {
        if !self.is_running() {
            return;
        }
        let Some(f) = self.frames.get_mut(frame) else { return };
        if f.generation != generation {
            return;
        }
        match f.phase {
            Phase::Sleeping { then: AfterSleep::CompleteWait, .. } => {
                f.phase = Phase::Done;
                self.complete(frame, Value::Null, now);
            }
            Phase::Sleeping { then: AfterSleep::Retry, .. } => {
                f.phase = Phase::Enter { retry: true };
                self.ready.push_back(frame);
            }
            Phase::Task { task, .. } => {
                *timed_out_task = Some(task);
                self.task_timed_out(frame, "States.Timeout", now);
            }
            // A `getActivityTask` long poll ended without a task.
            Phase::Service { .. } => {
                self.service_succeeded(frame, generation, Value::Object(Map::new()), now)
            }
            _ => {}
        }
    }

    /// The task's timeout or heartbeat timeout elapsed.
    pub(crate) fn task_timed_out(&mut self, frame: FrameId, error: &str, now: i64) {
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        f.phase = Phase::Done;
        let ec = ErrorCause { error: Some(error.to_owned()), cause: None };
        self.frame_event(frame, now, EventKind::ActivityTimedOut(ec));
        self.fault(frame, Fault::new(error, ""), now);
    }

    /// A worker took the task.
    pub(crate) fn task_started(&mut self, frame: FrameId, worker_name: Option<String>, now: i64) {
        self.frame_event(frame, now, EventKind::ActivityStarted { worker_name });
    }

    /// The frame's task succeeded with `output` (already validated JSON).
    pub(crate) fn task_succeeded(
        &mut self,
        frame: FrameId,
        output_text: String,
        output: Value,
        now: i64,
    ) {
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        f.phase = Phase::Done;
        self.frame_event(frame, now, EventKind::ActivitySucceeded { output: output_text });
        self.complete(frame, output, now);
    }

    /// The frame's task failed.
    pub(crate) fn task_failed(
        &mut self,
        frame: FrameId,
        error: Option<String>,
        cause: Option<String>,
        now: i64,
    ) {
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        f.phase = Phase::Done;
        self.frame_event(
            frame,
            now,
            EventKind::ActivityFailed(ErrorCause { error: error.clone(), cause: cause.clone() }),
        );
        self.fault(frame, Fault::new(error.unwrap_or_default(), cause.unwrap_or_default()), now);
    }

    /// The current generation of a frame's timers; `None` once the frame is gone.
    pub(crate) fn frame_generation(&self, frame: FrameId) -> Option<u64> {
        self.frames.get(frame).map(|f| f.generation)
    }

    /// How many frames the execution holds in memory (for tests of bounded memory).
    pub(crate) fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The task of `frame`, if it is waiting on one.
    pub(crate) fn frame_task(&self, frame: FrameId) -> Option<TaskId> {
        match self.frames.get(frame)?.phase {
            Phase::Task { task, .. } => Some(task),
            _ => None,
        }
    }

    /// Ends the execution (success, failure, abort or timeout).
    pub(crate) fn end(&mut self, ending: Ending, now: i64) {
        if !self.is_running() {
            return;
        }
        let prev = self
            .frames
            .first()
            .map_or(0, |f| f.last_event)
            .max(self.next_event_id.saturating_sub(1));
        let (status, kind) = match ending {
            Ending::Succeeded(output) => {
                self.record.output = Some(output.clone());
                (ExecutionStatus::Succeeded, EventKind::ExecutionSucceeded { output })
            }
            Ending::Failed(fault) => {
                let ec = error_cause(&fault);
                self.record.error = ec.error.clone();
                self.record.cause = ec.cause.clone();
                (ExecutionStatus::Failed, EventKind::ExecutionFailed(ec))
            }
        };
        self.push_event(now, prev, kind);
        self.close(status, now);
    }

    /// Stops the execution from outside (StopExecution or its TimeoutSeconds).
    pub(crate) fn stop(&mut self, status: ExecutionStatus, ec: ErrorCause, now: i64) {
        if !self.is_running() {
            return;
        }
        // AWS records ExecutionAborted/TimedOut with previousEventId 0.
        let prev = 0;
        // DescribeExecution of a TIMED_OUT execution has neither error nor cause.
        if status != ExecutionStatus::TimedOut {
            self.record.error = ec.error.clone();
            self.record.cause = ec.cause.clone();
        }
        let kind = match status {
            ExecutionStatus::TimedOut => EventKind::ExecutionTimedOut(ec),
            _ => EventKind::ExecutionAborted(ec),
        };
        self.push_event(now, prev, kind);
        self.close(status, now);
    }

    fn close(&mut self, status: ExecutionStatus, now: i64) {
        self.record.status = status;
        self.record.stop_ms = Some(now);
        self.record_dirty = true;
        self.ready.clear();
        let tasks: Vec<TaskId> = self
            .frames
            .iter_mut()
            .filter_map(|f| match std::mem::replace(&mut f.phase, Phase::Done) {
                Phase::Task { task, .. } => Some(task),
                _ => None,
            })
            .collect();
        if !tasks.is_empty() {
            self.effects.push(Effect::DropTasks(tasks));
        }
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
