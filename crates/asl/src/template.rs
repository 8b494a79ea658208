//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector`, `Result`'s cousin.
//!
//! OWNER: data-language helper. Contract: a template is compiled once at validation
//! (`compile`), then rendered per call. Keys ending in `.$` take a path (`$.x`, `$$.x`,
//! `$var`) or an intrinsic function call (`States.Format(...)`); other values are copied.
use serde_json::Value;

use crate::{Env, Fault};

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    raw: Value,
}

impl Template {
    /// Compiles a template; `Err` is a definition-time diagnostic message.
    pub fn compile(raw: &Value) -> Result<Template, String> {
        Ok(Template { raw: raw.clone() })
    }
    /// Renders the template in `env`. A path that matches nothing fails with
    /// `States.Runtime` (AWS's cause text); a failing intrinsic with `States.IntrinsicFailure`.
    pub fn render(&self, env: &Env<'_>) -> Result<Value, Fault> {
        let _ = env;
        let _ = &self.raw;
        unimplemented!("template::render")
    }
}
