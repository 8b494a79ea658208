//! A definition shown as YAML, highlighted like the JSON view (the same `j-*` classes).
//!
//! Strings are written in double quotes (JSON's escaping is valid YAML), so nothing a
//! definition holds (`"true"`, `"1.0"`, `"a: b"`, `"{% … %}"`) is misread as another
//! type; keys are written bare when they are plain words.
use std::fmt::Write as _;

use serde_json::Value;

use crate::html::esc;

/// `value` as highlighted YAML in a `<pre class="json yaml">`.
pub fn highlight(value: &Value) -> String {
    let mut out = String::from("<pre class=\"json yaml\">");
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => write_scalar(&mut out, scalar),
    }
    out.push_str("</pre>");
    out
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, depth: usize) {
    for (i, (key, item)) in map.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            indent(out, depth);
        }
        let _ = write!(out, "<span class=\"j-key\">{}</span>:", esc(&key_text(key)));
        write_child(out, item, depth);
    }
}

fn write_seq(out: &mut String, items: &[Value], depth: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            indent(out, depth);
        }
        out.push_str("- ");
        match item {
            // A mapping in a sequence starts on the dash's line, its keys aligned after it.
            Value::Object(map) if !map.is_empty() => write_map(out, map, depth + 1),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, depth + 1),
            scalar => write_scalar(out, scalar),
        }
    }
}

/// What follows `key:`: a scalar on the same line, a collection on the next ones.
fn write_child(out: &mut String, item: &Value, depth: usize) {
    match item {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            indent(out, depth + 1);
            write_map(out, map, depth + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            indent(out, depth + 1);
            write_seq(out, items, depth + 1);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar);
        }
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("<span class=\"j-lit\">null</span>"),
        Value::Bool(b) => {
            let _ = write!(out, "<span class=\"j-lit\">{b}</span>");
        }
        Value::Number(n) => {
            let _ = write!(out, "<span class=\"j-num\">{n}</span>");
        }
        Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            let _ = write!(out, "<span class=\"j-str\">{}</span>", esc(&quoted));
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A key bare when it is a plain word YAML reads back as the same string, else quoted.
fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
        && !key.starts_with(['-', '.', '$'])
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        )
        && key.parse::<f64>().is_err();
    if plain {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The text of the highlighted YAML, tags removed and entities decoded.
    fn text(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn a_definition_reads_as_yaml() {
        let definition = json!({
            "StartAt": "Pick",
            "States": {
                "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Done"}], "Default": "Done"},
                "Done": {"Type": "Succeed", "Comment": "true", "1": null, "Empty": {}, "None": []}
            }
        });
        let yaml = text(&highlight(&definition));
        assert_eq!(
            yaml,
            r#"StartAt: "Pick"
States:
  Pick:
    Type: "Choice"
    Choices:
      - Variable: "$.n"
        NumericGreaterThan: 1
        Next: "Done"
    Default: "Done"
  Done:
    Type: "Succeed"
    Comment: "true"
    "1": null
    Empty: {}
    None: []"#
        );
    }

    #[test]
    fn the_yaml_reads_back_as_the_definition() {
        let definition = json!({
            "Comment": "a: b # not a comment",
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Result": {"true": "yes", "on": [1.5, -2, [], [[1, "x"], {"k": null}]], "q": "{% $x %}"}, "End": true}},
            "n": [{"a": 1, "b": [true, false]}, "tail"]
        });
        let back: Value = serde_yaml_ng::from_str(&text(&highlight(&definition))).unwrap();
        assert_eq!(back, definition);
    }

    #[test]
    fn keys_yaml_would_misread_are_quoted() {
        for key in ["true", "No", "1.5", "a: b", "", "-x", "$x"] {
            assert!(key_text(key).starts_with('"'), "{key}");
        }
        for key in ["Type", "Next", "Result.Path", "my-state_1"] {
            assert_eq!(key_text(key), key);
        }
    }
}
