//! Intrinsic functions (`States.Format`, `States.Array`, …): parse and evaluate.
//!
//! OWNER: data-language helper. Contract: `Call::parse` at definition time, `Call::eval` at
//! run time with AWS's `States.IntrinsicFailure` causes. `States.UUID` and `States.MathRandom`
//! need randomness: it comes from `Env::seed`, so this crate stays pure.
use serde_json::Value;

use crate::{Env, Fault};

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    text: String,
}

impl Call {
    /// Parses `States.Xxx(args…)`; `Err` is the definition-time reason.
    pub fn parse(text: &str) -> Result<Call, String> {
        Ok(Call { text: text.to_owned() })
    }
    /// Evaluates the call.
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, Fault> {
        let _ = env;
        let _ = &self.text;
        unimplemented!("intrinsics::eval")
    }
}
