//! The validated state machine: states resolved to ids, expressions compiled.
//!
//! OWNER: machine helper (with `definition.rs`, `step.rs`, `retry.rs`).
//! Public contract used by the engine: `Machine::parse`, `start_state`, `state`,
//! `timeout_seconds`, [`StateKind`], [`Validation`], [`Diagnostic`].
use serde::Serialize;

/// Index of a state in [`Machine`]; states of nested graphs (Parallel branches,
/// Map processors) share one numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub u32);

/// The state types of the language; `as_str` is the prefix of its history events
/// (`PassStateEntered`, `TaskStateExited`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Where: a JSON pointer such as `/States/A/Next`.
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
}

/// One state of a machine.
#[derive(Debug)]
pub struct State {
    /// Its name in its `States` object.
    pub name: String,
    /// Its type.
    pub kind: StateKind,
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
    /// A state by id.
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.0 as usize]
    }
    /// The top-level `TimeoutSeconds`.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }
}
