//! AWS's diagnostic codes and message wording, in one place.
//!
//! Provenance: "observed" means seen in an AWS response (LocalStack's AWS-recorded snapshots,
//! or AWS output quoted in public issues); "guess" means modelled on the observed ones.

/// Code: a problem with the JSON text itself.
pub const INVALID_JSON_DESCRIPTION: &str = "INVALID_JSON_DESCRIPTION";
/// Code: the definition does not match the language's schema.
pub const SCHEMA_VALIDATION_FAILED: &str = "SCHEMA_VALIDATION_FAILED";
/// Code: a transition names no state, or a state is not reachable.
pub const MISSING_TRANSITION_TARGET: &str = "MISSING_TRANSITION_TARGET";
/// Code: a graph has no terminal state.
pub const MISSING_END_STATE: &str = "MISSING_END_STATE";
/// Code: two states share a name.
pub const DUPLICATE_STATE_NAME: &str = "DUPLICATE_STATE_NAME";
/// Code: a state name breaks the naming rules.
pub const INVALID_STATE_NAME: &str = "INVALID_STATE_NAME";

/// Observed (empty definition; also used for JSON that is not an object).
pub const NOT_AN_OBJECT: &str = "Definition must be a valid JSON object";
/// Observed (`MISSING_END_STATE`, no location).
pub const NO_TERMINAL_STATE: &str = "Workflow has no terminal state";
/// Observed.
pub const EMPTY: &str = "Value cannot be empty";
/// Observed (Wait `Timestamp`).
pub const NOT_RFC3339: &str = "String does not match RFC3339 timestamp";
/// Observed (Map `…Path` fields).
pub const NOT_REFERENCE_PATH: &str = "Value is not a Reference Path";

/// Observed: `These fields are required: [States, StartAt]`.
pub fn required(fields: &[&str]) -> String {
    format!("These fields are required: [{}]", fields.join(", "))
}
/// Observed: `Field 'TimeoutSeconds' is not supported`.
pub fn not_supported(field: &str) -> String {
    format!("Field '{field}' is not supported")
}
/// Observed: `There should only be one of the following fields: [MaxItems, MaxItemsPath]`.
pub fn only_one_of(fields: &[&str]) -> String {
    format!("There should only be one of the following fields: [{}]", fields.join(", "))
}
/// Guess: when none of a required alternative is present.
pub fn exactly_one_of(fields: &[&str]) -> String {
    format!("There should be exactly one of the following fields: [{}]", fields.join(", "))
}
/// Observed: `The field 'Type' should have one of these values: [Task, …]`.
pub fn one_of_values(field: &str, values: &[&str]) -> String {
    format!("The field '{field}' should have one of these values: [{}]", values.join(", "))
}
/// Observed (from the brief's AWS example): `The field "Next" should be non-empty`.
pub fn non_empty(field: &str) -> String {
    format!("The field \"{field}\" should be non-empty")
}
/// Guess: a field of the wrong JSON type.
pub fn expected_type(ty: &str) -> String {
    format!("Expected value of type {ty}")
}
/// Observed: `Minimum value is 0`, `Minimum value is 0.0`.
pub fn minimum(v: &str) -> String {
    format!("Minimum value is {v}")
}
/// Observed: `Maximum value is 100.0`.
pub fn maximum(v: &str) -> String {
    format!("Maximum value is {v}")
}
/// Observed: `Missing 'Next' target: X` (the word `Next` for every transition field).
pub fn missing_target(name: &str) -> String {
    format!("Missing 'Next' target: {name}")
}
/// Observed: `State "C" is not reachable.`.
pub fn unreachable(name: &str) -> String {
    format!("State \"{name}\" is not reachable.")
}
/// Guess.
pub fn duplicate_state(name: &str) -> String {
    format!("Duplicate State name: {name}")
}
/// Guess, modelled on the observed `'parsed.$' must be a valid JSONPath or …`.
pub fn invalid_path(field: &str) -> String {
    format!("The value for the field '{field}' must be a valid JSONPath")
}
/// Observed.
pub fn jsonata_only(field: &str) -> String {
    format!("The QueryLanguage is set to 'JSONPath', but field '{field}' is only supported for the 'JSONata' QueryLanguage")
}
/// Observed.
pub const QUERY_LANGUAGE_DOWNGRADE: &str =
    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine";
/// Reported (public issue threads quoting AWS): a JSONPath-only field in a JSONata state.
pub fn jsonpath_only(field: &str) -> String {
    format!("The QueryLanguage is set to 'JSONata', but field '{field}' is only supported for the 'JSONPath' QueryLanguage")
}
/// Code: a JSONata expression that does not parse (reported from AWS in public issue
/// threads: `INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/Main/Output`;
/// the message is the parser's, without its code).
pub const INVALID_JSONATA_EXPRESSION: &str = "INVALID_JSONATA_EXPRESSION";
/// Observed.
pub fn invalid_resource(resource: &str) -> String {
    format!("The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.")
}
/// Guess.
pub const STATES_ALL_ALONE: &str =
    "Error name 'States.ALL' must be the only element in 'ErrorEquals'";
/// Guess.
pub const STATES_ALL_LAST: &str =
    "The 'States.ALL' error must appear in the last element of the array";
/// Guess.
pub const HEARTBEAT_TOO_LARGE: &str = "HeartbeatSeconds must be smaller than TimeoutSeconds";
/// Guess.
pub const NAME_TOO_LONG: &str = "State name is too long";

/// The code of a diagnostic AWS reports as a Python `ValueError` quoting the definition
/// (see [`super::error_message_in`]); never shown as a code.
pub const VALUE_ERROR: &str = "ValueError";

/// A Map `Label` longer than this is refused.
pub const MAX_LABEL_LENGTH: usize = 40;

/// Why AWS refuses a Map's `Label`, in its words (its validator is Python: a character is
/// quoted as Python's `repr` quotes it).
pub fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("Label cannot be empty".to_owned());
    }
    if label.chars().count() > MAX_LABEL_LENGTH {
        return Some(format!("Label cannot exceed {MAX_LABEL_LENGTH} characters"));
    }
    let bad = label.chars().find(|&c| " ?*<>{}[]:;,\\|^~$#%&`\"".contains(c) || c.is_control())?;
    Some(format!("Label contains invalid character: {}", python_repr(&bad.to_string())))
}

/// Python's `repr` of a string: single quotes unless it holds one and no double quote,
/// backslashes and the chosen quote escaped, control characters as `\\xNN`.
pub fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{a0}' || c == '\u{ad}' => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
