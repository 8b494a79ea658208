//! JSON text → `Value`, with errors worded like AWS's (Jackson's) parser.
use serde_json::Value;

use super::jackson;
use super::messages as m;
use crate::machine::{Diagnostic, Severity};

/// Parses `text`; a failure is the one diagnostic AWS returns for it.
pub(crate) fn parse(text: &str) -> Result<Value, Diagnostic> {
    if text.trim().is_empty() {
        return Err(diag(m::SCHEMA_VALIDATION_FAILED, m::NOT_AN_OBJECT.to_owned(), String::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(diag(m::SCHEMA_VALIDATION_FAILED, m::NOT_AN_OBJECT.to_owned(), String::new())),
        Err(e) => Err(json_error(text, &e)),
    }
}

fn diag(code: &str, message: String, location: String) -> Diagnostic {
    Diagnostic { severity: Severity::Error, code: code.to_owned(), message, location }
}

fn json_error(text: &str, e: &serde_json::Error) -> Diagnostic {
    let (message, line, column) = match jackson::first_fault(text) {
        Some(fault) => (fault.message, fault.line, fault.column),
        // Text Jackson reads but serde_json does not: say plainly what is wrong.
        None => (plain(e), e.line().max(1), e.column().max(1)),
    };
    let location = jackson::source(text, line, column);
    diag(m::INVALID_JSON_DESCRIPTION, format!("{message}\n at {location}"), location)
}

/// serde_json's message without its ` at line 1 column 3` (the location says it).
fn plain(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    match message.as_str() {
        "trailing characters" => {
            "Unexpected content after the end of the definition's JSON object".into()
        }
        "recursion limit exceeded" => {
            "The definition nests objects and arrays more than 128 deep".into()
        }
        _ => {
            let mut chars = message.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jackson_like() {
        let d = parse("not a definition").unwrap_err();
        assert_eq!(d.location, "[Source: (String)\"not a definition\"; line: 1, column: 4]");
        assert_eq!(
            d.message,
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]"
        );
        let d = parse("").unwrap_err();
        assert_eq!((d.code.as_str(), d.location.as_str()), ("SCHEMA_VALIDATION_FAILED", ""));
        for bad in ["{", "{\"a\":", "[1,", "\u{1F600}x", "{\"a\"\n:\n tru }", "\"é", "{}}"] {
            let _ = parse(bad);
        }
    }
}
