//! What TestState reports of a state's input and output processing: the value after each
//! step (`inspectionLevel` DEBUG and TRACE). The interpreter fills an [`Inspection`] as it
//! goes through the very same steps an execution does, so the data shown is what an
//! execution would compute; without one (every execution) nothing is copied.
use serde_json::Value;

use super::{Entered, Outcome};
use crate::{Env, Fault, Machine, StateId};

/// The value after each step of input and output processing, as far as the state got.
/// A step the state does not take (a Pass with `Result` reads no `InputPath`) stays `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// After `InputPath` (JSONPath).
    pub after_input_path: Option<Value>,
    /// After `Parameters` (JSONPath): the effective input.
    pub after_parameters: Option<Value>,
    /// After `Arguments` (JSONata): the effective input.
    pub after_arguments: Option<Value>,
    /// A Pass state's `Result`; the engine fills in a Task's result.
    pub result: Option<Value>,
    /// After `ResultSelector` (JSONPath).
    pub after_result_selector: Option<Value>,
    /// After `ResultPath` (JSONPath).
    pub after_result_path: Option<Value>,
    /// A Map state's items after `ItemsPath` (JSONPath).
    pub after_items_path: Option<Value>,
}

/// Records `value` into `field` of the inspection, if one is kept.
pub(crate) fn note(
    ins: &mut Option<&mut Inspection>,
    field: fn(&mut Inspection) -> &mut Option<Value>,
    value: &Value,
) {
    if let Some(i) = ins.as_deref_mut() {
        *field(i) = Some(value.clone());
    }
}

impl Machine {
    /// [`Machine::enter`], recording each step of input processing into `ins`.
    pub fn enter_inspected(&self, id: StateId, env: &Env<'_>, ins: &mut Inspection) -> Entered {
        match self.enter_with(self.state(id), env, &mut Some(ins)) {
            Ok(e) => e,
            Err(f) => Entered::Failed(f),
        }
    }

    /// [`Machine::complete`], recording each step of output processing into `ins`.
    pub fn complete_inspected(
        &self,
        id: StateId,
        env: &Env<'_>,
        result: Value,
        ins: &mut Inspection,
    ) -> Result<Outcome, Fault> {
        self.complete_with(id, env, result, &mut Some(ins))
    }

    /// The index of the `Retry` entry of state `id` that matches `error`, if any (whether or
    /// not it has attempts left).
    pub fn retry_index(&self, id: StateId, error: &str) -> Option<usize> {
        self.state(id).retry.iter().position(|r| crate::retry::matches(&r.error_equals, error))
    }

    /// The index of the `Catch` entry of state `id` that handles `error`, if any.
    pub fn catch_index(&self, id: StateId, error: &str) -> Option<usize> {
        self.state(id).catch.iter().position(|c| crate::retry::matches(&c.error_equals, error))
    }
}
