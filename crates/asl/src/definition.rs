//! Reading a definition's JSON into a [`Machine`], with AWS's diagnostics.
//!
//! OWNER: machine helper.
//!
//! Validation never fails and never panics: it returns every diagnostic it finds, and a
//! [`Machine`] when none of them is an error (rust-analyzer's `(T, Vec<Error>)` shape).
//! Messages and locations follow what `ValidateStateMachineDefinition` returns on AWS
//! (see `messages` for the wording and where each was observed).
mod build;
mod jackson;
mod json;
pub mod messages;

pub(crate) use build::parse_timestamp;

use crate::machine::{Diagnostic, Severity, Validation};

/// Parses and validates `text`.
pub fn validate(text: &str) -> Validation {
    let value = match json::parse(text) {
        Ok(v) => v,
        Err(d) => return Validation { machine: None, diagnostics: vec![d] },
    };
    let mut b = build::Builder::default();
    let machine = b.machine(&value);
    let has_error = b.diags.iter().any(|d| d.severity == Severity::Error);
    Validation { machine: if has_error { None } else { machine }, diagnostics: b.diags }
}

/// The message of AWS's `InvalidDefinition` error for these diagnostics, e.g.
/// `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at
/// /States/A/Next, MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C'`.
/// Warnings are left out; a diagnostic without location reads `at null`, as on AWS.
pub fn error_message(diags: &[Diagnostic]) -> String {
    error_message_in("", diags)
}

/// [`error_message`] for the definition `text`: a diagnostic AWS reports as a Python
/// `ValueError` (a Map's `Label`, [`messages::VALUE_ERROR`]) quotes the whole definition, as
/// `Error=ValueError Args=['Label cannot be empty'] in definition '{…}'.`
pub fn error_message_in(text: &str, diags: &[Diagnostic]) -> String {
    if let Some(d) = diags.iter().find(|d| d.code == messages::VALUE_ERROR) {
        return format!(
            "Error=ValueError Args=[{}] in definition '{text}'.",
            messages::python_repr(&d.message)
        );
    }
    let parts: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let loc = if d.location.is_empty() { "null" } else { d.location.as_str() };
            format!("{}: {} at {}", d.code, d.message, loc)
        })
        .collect();
    format!("Invalid State Machine Definition: '{}'", parts.join(", "))
}
