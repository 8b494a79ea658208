//! Which workflow variables each state reads: `DescribeStateMachine`'s
//! `variableReferences`, a map from state name to the sorted names of the variables
//! (`$name`) its JSONPath fields mention.
//!
//! As AWS reports them, a reference is a `$name` in a field that is evaluated: a `…Path`
//! field (`InputPath`, `ItemsPath`, `SecondsPath`, a Choice rule's `StringEqualsPath`, …;
//! not `ResultPath`, which only writes), a Choice rule's `Variable`, and the value of a
//! `key.$` field in a payload template (`Parameters`, `ResultSelector`, `ItemSelector`,
//! `Assign`, a catcher's `Assign`), a path or an intrinsic function, outside its quoted
//! strings. A literal `"$name"` (no `.$` key), `Result` and `Comment` are not read. States
//! of every depth (Parallel branches, Map processors) are listed under their own names.
//! JSONata states list none.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The variables each state of `definition` reads, for the states that read any.
///
/// ```
/// let definition = serde_json::json!({"StartAt": "A", "States": {
///     "A": {"Type": "Pass", "InputPath": "$answer", "Parameters": {"q.$": "$question.text"}, "End": true}
/// }});
/// let found = stepwise_asl::variable_references::of(&definition);
/// assert_eq!(found["A"].iter().collect::<Vec<_>>(), ["answer", "question"]);
/// ```
pub fn of(definition: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut found = BTreeMap::new();
    let jsonata = definition.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
    graph(definition, jsonata, &mut found);
    found
}

/// The states of one graph (the root, a branch, a processor), and those nested in them.
fn graph(graph: &Value, jsonata: bool, found: &mut BTreeMap<String, BTreeSet<String>>) {
    let Some(states) = graph.get("States").and_then(Value::as_object) else { return };
    for (name, state) in states {
        let jsonata = match state.get("QueryLanguage").and_then(Value::as_str) {
            Some(language) => language == "JSONata",
            None => jsonata,
        };
        if !jsonata {
            let mut names = BTreeSet::new();
            fields(state, true, &mut names);
            if !names.is_empty() {
                found.insert(name.clone(), names);
            }
        }
        if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
            for branch in branches {
                self::graph(branch, jsonata, found);
            }
        }
        for processor in ["ItemProcessor", "Iterator"] {
            if let Some(p) = state.get(processor) {
                self::graph(p, jsonata, found);
            }
        }
    }
}

/// The references in a state's fields (`top`: the state object itself, whose nested
/// graphs, `Result` and `Comment` are not read here).
fn fields(value: &Value, top: bool, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                if top
                    && matches!(
                        key.as_str(),
                        "Branches" | "ItemProcessor" | "Iterator" | "Result" | "Comment"
                    )
                {
                    continue;
                }
                let evaluated = key.ends_with(".$")
                    || (key.ends_with("Path") && key != "ResultPath")
                    || key == "Variable";
                match field {
                    Value::String(text) if evaluated => scan(text, names),
                    other => fields(other, false, names),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| fields(item, false, names)),
        _ => {}
    }
}

/// Adds the `$name`s of a path or intrinsic-function text, skipping `$`, `$$` and
/// anything inside single-quoted strings.
fn scan(text: &str, names: &mut BTreeSet<String>) {
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut quoted) = (0, false);
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '\'' => quoted = !quoted,
            '$' if !quoted => match chars.get(i + 1) {
                Some('$') => i += 1,
                Some(c) if c.is_alphabetic() || *c == '_' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                        end += 1;
                    }
                    names.insert(chars[start..end].iter().collect());
                    i = end;
                    continue;
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(definition: Value) -> Vec<(String, Vec<String>)> {
        of(&definition).into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
    }

    #[test]
    fn paths_templates_and_intrinsics_are_read_literals_are_not() {
        let found = refs(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"x.$": "$inResult"}, "ResultPath": "$.r",
                  "Parameters": {"f.$": "States.Format('{} $notAVar', $name, $$.Execution.Id)",
                                 "literal": "$bucket", "nested": {"p.$": "$deep.field[0]"}},
                  "Assign": {"v.$": "$.input"}, "Next": "C"},
            "C": {"Type": "Choice", "Default": "W", "Choices": [
                {"And": [{"Variable": "$answer", "StringEqualsPath": "$guess"}], "Next": "W"}]},
            "W": {"Type": "Wait", "SecondsPath": "$wait", "End": true}
        }}));
        assert_eq!(
            found,
            [
                ("A".to_owned(), vec!["deep".to_owned(), "name".to_owned()]),
                ("C".to_owned(), vec!["answer".to_owned(), "guess".to_owned()]),
                ("W".to_owned(), vec!["wait".to_owned()]),
            ]
        );
    }

    #[test]
    fn nested_states_are_listed_by_name_and_jsonata_states_not() {
        let found = refs(json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemsPath": "$items", "End": true, "ItemProcessor": {
                "StartAt": "In", "States": {
                    "In": {"Type": "Pass", "Parameters": {"b.$": "$bias"}, "Next": "J"},
                    "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $bias %}", "End": true}}}}
        }}));
        assert_eq!(
            found,
            [
                ("In".to_owned(), vec!["bias".to_owned()]),
                ("M".to_owned(), vec!["items".to_owned()])
            ]
        );
    }
}
