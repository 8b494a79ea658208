//! One execution in-process, without a server: the engine on a memory store, driven by
//! [`Engine::tick`]. Shared by `stepwise run` and `stepwise test`.
//!
//! With virtual time (the default) the clock is a [`ManualClock`] that jumps to the next
//! timer's deadline whenever nothing else can happen, so Wait states, retry backoffs and
//! timeouts complete at once and in the same order every time.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};
use stepwise_engine::clock::{Clock, ManualClock, SystemClock};
use stepwise_engine::history::{EventKind, HistoryEvent};
use stepwise_engine::mock::TaskMocks;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::{Engine, NewStateMachine, Options};

/// The most engine ticks one execution may take before it is declared stuck.
const MAX_TICKS: usize = 1_000_000;
/// Virtual time starts here (2024-01-01T00:00:00Z), so timestamps repeat run to run.
const VIRTUAL_EPOCH_MS: i64 = 1_704_067_200_000;

/// Reads a JSON or YAML file (by extension: `.yaml`/`.yml` are YAML) as a JSON value.
pub fn read_document(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_document(path, &text)
}

/// Whether the file is YAML, by its extension.
pub fn is_yaml(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// Parses a document's text: YAML by extension, JSON otherwise.
pub fn parse_document(path: &Path, text: &str) -> anyhow::Result<Value> {
    if is_yaml(path) {
        serde_yaml_ng::from_str::<Value>(text)
            .with_context(|| format!("{}: invalid YAML", path.display()))
    } else {
        serde_json::from_str(text).with_context(|| format!("{}: invalid JSON", path.display()))
    }
}

/// A definition file's text as JSON (YAML is converted; JSON is kept byte for byte).
pub fn definition_text(path: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if is_yaml(path) {
        let value: Value = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("{}: invalid YAML", path.display()))?;
        Ok(value.to_string())
    } else {
        Ok(text)
    }
}

/// A name AWS accepts for a state machine, made from a file name.
pub fn machine_name_for(path: &Path) -> String {
    let stem = path.file_name().and_then(|s| s.to_str()).unwrap_or("local");
    let stem = stem.split('.').next().unwrap_or(stem);
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(80)
        .collect();
    if name.is_empty() {
        "local".into()
    } else {
        name
    }
}

/// How to run.
#[derive(Clone, Default)]
pub struct RunSpec {
    /// The definition, JSON text.
    pub definition: String,
    /// The input, JSON text.
    pub input: String,
    /// The state machine's name (mock configurations are keyed by it).
    pub machine_name: String,
    /// Mocked Task responses, and the test case to run.
    pub mocks: Option<(Arc<dyn TaskMocks>, String)>,
    /// Real time instead of virtual time.
    pub real_time: bool,
    /// Seed for `States.UUID`/`States.MathRandom`; `None` draws one.
    pub seed: Option<u64>,
}

/// How an execution ended.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Final status.
    pub status: ExecutionStatus,
    /// Output (succeeded only).
    pub output: Option<String>,
    /// Error name.
    pub error: Option<String>,
    /// Cause text.
    pub cause: Option<String>,
    /// Every history event.
    pub history: Vec<HistoryEvent>,
}

impl RunResult {
    /// The names of the states entered, in history order.
    pub fn path(&self) -> Vec<String> {
        self.history
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::StateEntered { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Everything as JSON: status, output, error, cause, the path, which clock stamped
    /// the events, and `events` exactly as `GetExecutionHistory` answers them (the API's
    /// own renderer: AWS's field names, epoch-second timestamps, inputs and outputs as
    /// JSON text).
    pub fn to_json(&self, virtual_clock: bool) -> Value {
        let output = self.output.as_deref().map(|o| serde_json::from_str(o).unwrap_or(json!(o)));
        json!({
            "status": self.status.as_str(),
            "output": output,
            "error": self.error,
            "cause": self.cause,
            "path": self.path(),
            "clock": if virtual_clock { "virtual" } else { "real" },
            "events": self.history.iter().map(|e| stepwise_api::wire::event(e, true)).collect::<Vec<_>>(),
        })
    }
}

/// Runs one execution to its end.
pub async fn run(spec: RunSpec) -> anyhow::Result<RunResult> {
    let manual = Arc::new(ManualClock::new(VIRTUAL_EPOCH_MS));
    let clock: Arc<dyn Clock> = if spec.real_time { Arc::new(SystemClock) } else { manual.clone() };
    let (mocks, test_case) = match spec.mocks {
        Some((m, case)) => (Some(m), Some(case)),
        None => (None, None),
    };
    let engine = Engine::new(Options {
        scope: Default::default(),
        clock: clock.clone(),
        store: Arc::new(MemoryStore::new()),
        token_key: Some([7; 32]),
        durable: false,
        mocks,
        seed: spec.seed,
        integrations: Vec::new(),
    })
    .context("starting the engine")?;
    let machine = engine
        .create_state_machine(NewStateMachine {
            name: spec.machine_name.clone(),
            definition: spec.definition,
            role_arn: "arn:aws:iam::123456789012:role/stepwise-local".into(),
            ..Default::default()
        })
        .map_err(|e| anyhow!("{}", e.message()))?;
    let target = match &test_case {
        Some(case) => format!("{}#{case}", machine.arn),
        None => machine.arn.clone(),
    };
    let execution = engine
        .start_execution(&target, Some("local".into()), Some(spec.input))
        .await
        .map_err(|e| anyhow!("{}", e.message()))?;
    let (mut idle, mut events) = (0, 0);
    for _ in 0..MAX_TICKS {
        // Service calls run on tasks of their own: let them answer before looking.
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        let next = engine.tick();
        let record = engine.describe_execution(&execution.arn).map_err(|e| anyhow!("{e}"))?;
        if record.status != ExecutionStatus::Running {
            let history = engine.history(&execution.arn).map_err(|e| anyhow!("{e}"))?;
            return Ok(RunResult {
                status: record.status,
                output: record.output,
                error: record.error,
                cause: record.cause,
                history,
            });
        }
        match next {
            Some(at) if spec.real_time => {
                let wait = (at - clock.now_ms()).clamp(0, 60_000) as u64;
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            Some(at) => {
                if at > manual.now_ms() {
                    manual.set(at);
                }
            }
            None => {
                // Long Pass/Choice loops yield after a step budget: go on while history grows.
                let history = engine.history(&execution.arn).unwrap_or_default();
                if history.len() > events {
                    events = history.len();
                    idle = 0;
                    continue;
                }
                idle += 1;
                if idle > 3 {
                    let waiting = waiting_on(&history);
                    bail!(
                        "the execution cannot go on: it waits for {waiting}, and nothing runs it locally (mock the state with --mock-config)"
                    );
                }
                continue;
            }
        }
        idle = 0;
    }
    bail!("the execution did not end within {MAX_TICKS} steps")
}

fn waiting_on(history: &[HistoryEvent]) -> String {
    let last_state = history.iter().rev().find_map(|e| match &e.kind {
        EventKind::StateEntered { name, .. } => Some(name.clone()),
        _ => None,
    });
    match last_state {
        Some(name) => format!("state '{name}' (a worker or callback)"),
        None => "a worker or callback".into(),
    }
}

/// A short one-line summary of an event's details, for the history table.
pub fn short_details(kind: &EventKind) -> (Option<&str>, String) {
    fn clip(s: &str) -> String {
        const MAX: usize = 60;
        let s = s.replace('\n', " ");
        if s.chars().count() > MAX {
            format!("{}…", s.chars().take(MAX - 1).collect::<String>())
        } else {
            s
        }
    }
    fn ec(e: &stepwise_engine::history::ErrorCause) -> String {
        match (&e.error, &e.cause) {
            (Some(e), Some(c)) => clip(&format!("{e}: {c}")),
            (Some(e), None) => clip(e),
            (None, Some(c)) => clip(c),
            (None, None) => String::new(),
        }
    }
    use EventKind::*;
    match kind {
        ExecutionStarted { input, .. } => (None, format!("input {}", clip(input))),
        ExecutionSucceeded { output } => (None, format!("output {}", clip(output))),
        ExecutionFailed(e) | ExecutionAborted(e) | ExecutionTimedOut(e) => (None, ec(e)),
        StateEntered { name, input, .. } => (Some(name), format!("input {}", clip(input))),
        StateExited { name, output, .. } => (Some(name), format!("output {}", clip(output))),
        ActivityScheduled { resource, .. } => (None, clip(resource)),
        ActivityScheduleFailed(e) | ActivityFailed(e) | ActivityTimedOut(e) => (None, ec(e)),
        ActivityStarted { worker_name } => (None, worker_name.clone().unwrap_or_default()),
        ActivitySucceeded { output } => (None, format!("output {}", clip(output))),
        TaskScheduled { resource_type, resource, .. }
        | TaskScheduledV1 { resource_type, resource, .. }
        | TaskStarted { resource_type, resource } => (None, format!("{resource_type}:{resource}")),
        TaskSubmitted { output, .. } => (None, format!("submitted {}", clip(output))),
        TaskTimedOut { error, .. } => (None, ec(error)),
        LambdaFunctionScheduled { resource, .. } => (None, clip(resource)),
        LambdaFunctionSucceeded { output } => (None, format!("output {}", clip(output))),
        LambdaFunctionFailed(e) | LambdaFunctionTimedOut(e) => (None, ec(e)),
        TaskSucceeded { output, .. } => (None, format!("output {}", clip(output))),
        TaskFailed { error, .. } => (None, ec(error)),
        ExecutionRedriven { redrive_count } => (None, format!("redrive {redrive_count}")),
        MapStateStarted { length } => (None, format!("{length} items")),
        MapIterationStarted { name, index }
        | MapIterationSucceeded { name, index }
        | MapIterationFailed { name, index }
        | MapIterationAborted { name, index } => (Some(name), format!("index {index}")),
        _ => (None, String::new()),
    }
}

/// The history as a table: id, type, state, details.
pub fn history_table(history: &[HistoryEvent]) -> String {
    let rows: Vec<(String, &str, String, String)> = history
        .iter()
        .map(|e| {
            let (state, details) = short_details(&e.kind);
            (e.id.to_string(), e.kind.type_name(), state.unwrap_or("").to_owned(), details)
        })
        .collect();
    let w_id = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(2);
    let w_ty = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(4);
    let w_st = rows.iter().map(|r| r.2.chars().count()).max().unwrap_or(0).max(5);
    let mut out = format!("{:>w_id$}  {:<w_ty$}  {:<w_st$}  DETAILS\n", "ID", "TYPE", "STATE");
    for (id, ty, st, details) in rows {
        let line = format!("{id:>w_id$}  {ty:<w_ty$}  {st:<w_st$}  {details}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
