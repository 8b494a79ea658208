//! JSONPath as the States Language uses it: `Path`s and reference paths.
//!
//! OWNER: data-language helper. Contract (other modules rely on it):
//! - `Path::parse` accepts every path AWS accepts (`$`, `$.a.b`, `$['a']`, `$[0]`, `$[*]`,
//!   `$..a`, `$[1:3]`, `$[?(@.x > 1)]`, `$.a.length()`, `$$.Execution.Id`, `$var.x`) and
//!   rejects the rest with a message.
//! - `select` evaluates against an [`Env`]: `$` → input, `$$` → context, `$name` → variable.
//!   It returns `None` when nothing matches (callers turn that into AWS's error), a single
//!   value for a definite path and an array for an indefinite one.
//! - `ResultPath` uses [`Path::assign`] (reference paths only).
use serde_json::Value;

use crate::Env;

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
}

/// Why a path was rejected at definition time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathError(pub String);

impl Path {
    /// Parses a path; `Err` carries the reason.
    pub fn parse(text: &str) -> Result<Path, PathError> {
        Ok(Path { text: text.to_owned() })
    }
    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// True when the path selects at most one node (no wildcard, filter, slice, union, `..`).
    pub fn is_reference(&self) -> bool {
        unimplemented!("path::is_reference")
    }
    /// Evaluates the path; `None` when nothing matches.
    pub fn select(&self, env: &Env<'_>) -> Option<Value> {
        let _ = env;
        unimplemented!("path::select")
    }
    /// Sets `value` at this reference path inside `target` (ResultPath semantics: `$` replaces
    /// the whole target; missing objects are created). `Err` is the ResultPath failure cause.
    pub fn assign(&self, target: Value, value: Value) -> Result<Value, String> {
        let _ = (target, value);
        unimplemented!("path::assign")
    }
}
