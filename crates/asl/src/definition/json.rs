//! JSON text → `Value`, with errors worded like AWS's (Jackson's) parser.
use serde_json::Value;

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

/// Jackson's location text: `[Source: (String)"…"; line: 1, column: 4]`.
fn source(text: &str, line: usize, column: usize) -> String {
    const MAX: usize = 500;
    let n = text.chars().count();
    let shown: String = text.chars().take(MAX).collect();
    let more = if n > MAX { format!("[truncated {} chars]", n - MAX) } else { String::new() };
    format!("[Source: (String)\"{shown}\"{more}; line: {line}, column: {column}]")
}

fn json_error(text: &str, e: &serde_json::Error) -> Diagnostic {
    let (line, col) = (e.line().max(1), e.column().max(1));
    // Byte offset of the error position (serde's column counts chars, 1-based).
    let line_start: usize =
        text.split_inclusive('\n').take(line - 1).map(str::len).sum::<usize>().min(text.len());
    let line_text = &text[line_start..];
    let err_char = col.saturating_sub(1);
    // Find the start of the token under the error position.
    let chars: Vec<char> = line_text.chars().take_while(|c| *c != '\n').collect();
    let mut start = err_char.min(chars.len());
    while start > 0 && is_token_char(chars[start - 1]) {
        start -= 1;
    }
    let token: String = chars[start..].iter().take_while(|c| is_token_char(**c)).collect();
    let (message, column) = if !token.is_empty()
        && token.chars().next().is_some_and(|c| c.is_alphabetic())
    {
        (
            format!(
                "Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
            ),
            start + token.chars().count() + 1,
        )
    } else {
        let msg = e.to_string();
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_owned(),
            None => msg,
        };
        (msg, col)
    };
    let location = source(text, line, column);
    diag(m::INVALID_JSON_DESCRIPTION, format!("{message}\n at {location}"), location)
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
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
