//! Choice rules: compile the `Choices` array's rules, evaluate them against input.
//!
//! OWNER: data-language helper. Contract: `Rule::compile(value, location)` returns the rule or
//! a list of definition diagnostics; `Rule::matches(env)` evaluates it (`Err` is a runtime
//! fault, e.g. an invalid `…Path` operand). `Next` is read by the machine builder, not here.
use serde_json::Value;

use crate::{Env, Fault};

/// A compiled boolean rule (without its `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    raw: Value,
}

impl Rule {
    /// Compiles one rule; `location` is the JSON pointer used in diagnostics.
    pub fn compile(raw: &Value, location: &str) -> Result<Rule, Vec<(String, String)>> {
        let _ = location;
        Ok(Rule { raw: raw.clone() })
    }
    /// True when the rule matches.
    pub fn matches(&self, env: &Env<'_>) -> Result<bool, Fault> {
        let _ = env;
        let _ = &self.raw;
        unimplemented!("choice::matches")
    }
}
