//! Amazon States Language: parse → validate → evaluate.
//!
//! This crate is pure: it does no I/O, reads no clock and has no async code.
//! The same definition, input and context always give the same result; the
//! engine supplies everything that varies (time, randomness, ids) as values.
//!
//! # Example
//! ```
//! use serde_json::json;
//! use stepwise_asl::{Machine, Env, Entered, Outcome};
//!
//! let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","End":true}}}"#;
//! let machine = Machine::parse(def).machine.expect("valid definition");
//! let start = machine.start_state();
//! let input = json!({"in": true});
//! let ctx = json!({});
//! let vars = serde_json::Map::new();
//! let env = Env { input: &input, context: &ctx, vars: &vars, seed: 7 };
//! match machine.enter(start, &env) {
//!     Entered::Done(Outcome::End { output, assigned }) => {
//!         assert_eq!(output, json!({"in": true, "r": {"x": 1}}));
//!         assert_eq!(assigned, None);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```
#![warn(missing_docs)]

pub mod choice;
pub mod definition;
pub mod error;
pub mod intrinsics;
pub mod jsonata;
pub mod machine;
pub mod path;
pub mod retry;
pub mod step;
pub mod template;
pub mod variable_references;

pub use error::Fault;
pub use machine::{Diagnostic, Machine, Severity, State, StateId, StateKind, Validation};
pub use step::{Entered, ErrorDecision, Inspection, Outcome, WaitUntil};

/// The scope an expression is evaluated in.
///
/// `$` in a path refers to `input`, `$$` to `context` (the Context object
/// the engine builds: `Execution`, `StateMachine`, `State`, `Task`, `Map`),
/// and `$name` to the variable `name` in `vars`.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The value `$` refers to.
    pub input: &'a serde_json::Value,
    /// The Context object, `$$`.
    pub context: &'a serde_json::Value,
    /// Workflow variables visible to the state.
    pub vars: &'a serde_json::Map<String, serde_json::Value>,
    /// Seed for `States.UUID` and `States.MathRandom`: the engine draws it per
    /// state entry, so replaying the same entry gives the same values.
    pub seed: u64,
}

impl<'a> Env<'a> {
    /// The same scope with another value as `$`.
    pub fn with_input(self, input: &'a serde_json::Value) -> Env<'a> {
        Env { input, ..self }
    }
}
