//! The validated state machine: states resolved to ids, expressions compiled.
//!
//! OWNER: machine helper (with `definition.rs`, `step.rs`, `retry.rs`).
//! Public contract used by the engine: `Machine::parse`, `start_state`, `state`,
//! `timeout_seconds`, [`StateKind`], [`Validation`], [`Diagnostic`].
//!
//! **Invariant:** every [`StateId`] stored inside a [`Machine`] (a `Next`, a catcher's target,
//! a branch or processor start) indexes `Machine::states`. All states of all graphs share one
//! numbering; [`State::graph`] tells which graph (top level, a Parallel branch, a Map
//! processor) a state belongs to.
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::choice::Rule;
use crate::jsonata::JTemplate;
use crate::path::Path;
use crate::retry::{Catcher, Retrier};
use crate::template::Template;
use crate::Fault;

/// Index of a state in [`Machine`]; states of nested graphs (Parallel branches,
/// Map processors) share one numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StateId(pub u32);

/// Index of a graph (a `StartAt`/`States` pair) in [`Machine`]; `GraphId(0)` is the top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GraphId(pub u32);

/// The state types of the language; `as_str` is the prefix of its history events
/// (`PassStateEntered`, `TaskStateExited`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StateKind {
    /// `Pass`
    Pass,
    /// `Task`
    Task,
    /// `Choice`
    Choice,
    /// `Wait`
    Wait,
    /// `Succeed`
    Succeed,
    /// `Fail`
    Fail,
    /// `Parallel`
    Parallel,
    /// `Map`
    Map,
}

impl StateKind {
    /// The `Type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            StateKind::Pass => "Pass",
            StateKind::Task => "Task",
            StateKind::Choice => "Choice",
            StateKind::Wait => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail => "Fail",
            StateKind::Parallel => "Parallel",
            StateKind::Map => "Map",
        }
    }
    /// Parses a `Type` string.
    pub fn from_type(s: &str) -> Option<StateKind> {
        Some(match s {
            "Pass" => StateKind::Pass,
            "Task" => StateKind::Task,
            "Choice" => StateKind::Choice,
            "Wait" => StateKind::Wait,
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail,
            "Parallel" => StateKind::Parallel,
            "Map" => StateKind::Map,
            _ => return None,
        })
    }
}

/// How serious a diagnostic is: errors block the definition, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// The definition is invalid.
    Error,
    /// Valid, but probably not what was meant.
    Warning,
}

/// One finding of validation, in the shape of `ValidateStateMachineDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `ERROR` or `WARNING`.
    pub severity: Severity,
    /// AWS's code, e.g. `SCHEMA_VALIDATION_FAILED`, `INVALID_JSON_DESCRIPTION`.
    pub code: String,
    /// The message AWS gives, e.g. `The field "Next" should be non-empty`.
    pub message: String,
    /// Where: a JSON pointer such as `/States/A/Next` (array items as `Choices[0]`, AWS's
    /// style). Empty when AWS gives no location (e.g. `MISSING_END_STATE`): omit the field then.
    pub location: String,
}

/// The result of validation: a machine when there are no errors, and every diagnostic.
#[derive(Debug)]
pub struct Validation {
    /// The validated machine, present when no diagnostic is an error.
    pub machine: Option<Machine>,
    /// Errors and warnings, in definition order.
    pub diagnostics: Vec<Diagnostic>,
}

/// A validated state machine.
#[derive(Debug)]
pub struct Machine {
    pub(crate) states: Vec<State>,
    pub(crate) start: StateId,
    pub(crate) timeout_seconds: Option<u64>,
    /// Start state of each graph, indexed by [`GraphId`].
    pub(crate) graph_starts: Vec<StateId>,
    pub(crate) comment: Option<String>,
    /// Whether any field may read the Context object (see [`Machine::reads_context`]).
    pub(crate) reads_context: bool,
}

/// One state of a machine.
#[derive(Debug)]
pub struct State {
    /// Its name in its `States` object.
    pub name: String,
    /// Its type.
    pub kind: StateKind,
    pub(crate) graph: GraphId,
    pub(crate) io: Io,
    pub(crate) transition: Transition,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
    pub(crate) body: Body,
    /// `Assign`, compiled as a payload template (JSONPath mode).
    pub(crate) assign: Option<Template>,
    /// `Assign` as written.
    pub(crate) assign_raw: Option<Value>,
    /// The state's JSONata fields, when its query language is JSONata (then `io` is the
    /// default and `assign` is `None`).
    pub(crate) ja: Option<Box<Ja>>,
}

/// The compiled JSONata fields of a state whose `QueryLanguage` is JSONata.
#[derive(Debug, Default)]
pub(crate) struct Ja {
    /// Top-level fields by name: `Arguments`, `Output`, `Assign`, `Items`, `ItemSelector`,
    /// `TimeoutSeconds`, `HeartbeatSeconds`, `Seconds`, `Timestamp`, `Error`, `Cause`,
    /// `MaxConcurrency`, `ToleratedFailurePercentage`, `ToleratedFailureCount`.
    pub fields: Vec<(&'static str, JTemplate)>,
    /// Choice rules: `Condition`, `Next`, and the rule's own `Output`/`Assign`.
    pub choices: Vec<JaChoice>,
}

impl Ja {
    pub(crate) fn get(&self, field: &str) -> Option<&JTemplate> {
        self.fields.iter().find(|(k, _)| *k == field).map(|(_, t)| t)
    }
}

/// One rule of a JSONata Choice state.
#[derive(Debug)]
pub(crate) struct JaChoice {
    pub condition: JTemplate,
    pub next: StateId,
    pub output: Option<JTemplate>,
    pub assign: Option<JTemplate>,
}

/// Where a state goes after it completes normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Next(StateId),
    End,
    /// Choice, Succeed, Fail: decided by the state itself.
    None,
}

/// `InputPath` / `OutputPath` / `ResultPath`: absent means `$`, `null` is meaningful.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PathSpec {
    /// `$` or absent: the whole value.
    Whole,
    /// `null`: InputPath/OutputPath give `{}`, ResultPath discards the result.
    Null,
    /// Any other path.
    Path(Path),
}

/// The input/output processing fields of a state.
#[derive(Debug, Clone)]
pub(crate) struct Io {
    pub input_path: PathSpec,
    pub output_path: PathSpec,
    pub result_path: PathSpec,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
}

impl Default for Io {
    fn default() -> Self {
        Io {
            input_path: PathSpec::Whole,
            output_path: PathSpec::Whole,
            result_path: PathSpec::Whole,
            parameters: None,
            result_selector: None,
        }
    }
}

/// A number given literally or read from the input with a `…Path` field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Num<T> {
    Fixed(T),
    Path(Path),
}

/// A string given literally or read with a `…Path` field (Fail's Error/Cause).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Text {
    Fixed(String),
    Path(Path),
    /// `ErrorPath`/`CausePath` may hold an intrinsic function call.
    Intrinsic(crate::intrinsics::Call),
}

/// How a Wait state waits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WaitSpec {
    Seconds(u64),
    TimestampMillis(i64),
    SecondsPath(Path),
    TimestampPath(Path),
}

/// What is specific to each state type.
#[derive(Debug)]
pub(crate) enum Body {
    Pass {
        result: Option<Value>,
    },
    Task {
        resource: String,
        timeout: Option<Num<u64>>,
        heartbeat: Option<Num<u64>>,
        credentials: Option<Value>,
    },
    Choice {
        /// Each rule with its `Next` and its own `Assign`.
        choices: Vec<(Rule, StateId, Option<Template>)>,
        default: Option<StateId>,
    },
    Wait(WaitSpec),
    Succeed,
    Fail {
        error: Option<Text>,
        cause: Option<Text>,
    },
    Parallel {
        branches: Vec<StateId>,
    },
    Map(Box<MapSpec>),
}

/// A Map state's settings.
#[derive(Debug)]
pub(crate) struct MapSpec {
    pub start: StateId,
    pub items_path: PathSpec,
    pub item_selector: Option<Template>,
    pub max_concurrency: Num<u32>,
    pub tolerated_failure_percentage: Option<Num<f64>>,
    pub tolerated_failure_count: Option<Num<u64>>,
    pub distributed: bool,
    pub label: Option<String>,
    /// The first of `ItemReader`, `ItemBatcher`, `ResultWriter` it names: accepted by
    /// validation, refused by name when an execution enters the state (not built yet).
    pub unsupported: Option<&'static str>,
}

impl Machine {
    /// Parses and validates a definition (JSON text).
    pub fn parse(text: &str) -> Validation {
        crate::definition::validate(text)
    }
    /// The top-level `StartAt` state.
    pub fn start_state(&self) -> StateId {
        self.start
    }
    /// A state by id. Panics on an id that did not come from this machine.
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.0 as usize]
    }
    /// A state by id, `None` when out of range.
    pub fn get(&self, id: StateId) -> Option<&State> {
        self.states.get(id.0 as usize)
    }
    /// The top-level `TimeoutSeconds`.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }
    /// The top-level `Comment`.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }
    /// False when no field of the definition can read the Context object (`$$` in
    /// JSONPath, `$states.context` in JSONata): the interpreter may then pass an empty one
    /// instead of building it at every state.
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }
    /// True when some state evaluates JSONata, whose expressions (unlike JSONPath, bounded
    /// by the payload size) may run for seconds: the engine then decides off its async
    /// workers.
    pub fn uses_jsonata(&self) -> bool {
        self.states.iter().any(|state| state.is_jsonata())
    }
    /// Number of states, all graphs included.
    pub fn len(&self) -> usize {
        self.states.len()
    }
    /// Never true for a validated machine; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
    /// Every state with its id, in numbering order (top level first, in definition order).
    pub fn states(&self) -> impl Iterator<Item = (StateId, &State)> + '_ {
        self.states.iter().enumerate().map(|(i, s)| (StateId(i as u32), s))
    }
    /// The start state of graph `graph`.
    pub fn graph_start(&self, graph: GraphId) -> StateId {
        self.graph_starts[graph.0 as usize]
    }
    /// Finds a state by name inside `graph`.
    pub fn find(&self, graph: GraphId, name: &str) -> Option<StateId> {
        self.states().find(|(_, s)| s.graph == graph && s.name == name).map(|(id, _)| id)
    }
}

impl State {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its type.
    pub fn kind(&self) -> StateKind {
        self.kind
    }
    /// The graph it belongs to: `GraphId(0)` is the top level.
    pub fn graph(&self) -> GraphId {
        self.graph
    }
    /// True when the state has `"End": true`, or is a Succeed or Fail state.
    pub fn is_end(&self) -> bool {
        matches!(self.transition, Transition::End)
            || matches!(self.kind, StateKind::Succeed | StateKind::Fail)
    }
    /// Its `Next`, if it has one (Choice states choose at run time: `None`).
    pub fn next(&self) -> Option<StateId> {
        match self.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        }
    }
    /// A Task's `Resource`.
    pub fn resource(&self) -> Option<&str> {
        match &self.body {
            Body::Task { resource, .. } => Some(resource),
            _ => None,
        }
    }
    /// A Task's `Credentials` object, raw.
    pub fn credentials(&self) -> Option<&Value> {
        match &self.body {
            Body::Task { credentials, .. } => credentials.as_ref(),
            _ => None,
        }
    }
    /// A Parallel state's branch start states.
    pub fn branches(&self) -> &[StateId] {
        match &self.body {
            Body::Parallel { branches } => branches,
            _ => &[],
        }
    }
    /// A Map state's item processor start state.
    pub fn processor(&self) -> Option<StateId> {
        match &self.body {
            Body::Map(m) => Some(m.start),
            _ => None,
        }
    }
    /// True for a Map state with `ProcessorConfig.Mode` `DISTRIBUTED`.
    pub fn is_distributed_map(&self) -> bool {
        matches!(&self.body, Body::Map(m) if m.distributed)
    }
    /// A Map state's field that executions do not support yet (see `MapSpec::unsupported`).
    pub fn map_unsupported_field(&self) -> Option<&'static str> {
        match &self.body {
            Body::Map(m) => m.unsupported,
            _ => None,
        }
    }
    /// `States.Runtime` naming [`State::map_unsupported_field`], with AWS's state prefix.
    pub fn map_unsupported_fault(&self) -> Option<Fault> {
        let field = self.map_unsupported_field()?;
        Some(crate::step::io::runtime(
            self,
            format!("The Map state's {field} is not supported by Stepwise yet."),
        ))
    }
    /// A Map state's `Label`.
    pub fn label(&self) -> Option<&str> {
        match &self.body {
            Body::Map(m) => m.label.as_deref(),
            _ => None,
        }
    }
    /// Number of `Retry` entries (the length of `attempts` in [`Machine::on_error`]).
    pub fn retrier_count(&self) -> usize {
        self.retry.len()
    }
    /// True when the state's query language is JSONata.
    pub fn is_jsonata(&self) -> bool {
        self.ja.is_some()
    }
    /// The raw `Assign` object, if any (evaluated by [`Machine::enter`]/[`Machine::complete`]).
    pub fn assign(&self) -> Option<&Value> {
        self.assign_raw.as_ref()
    }
}
