//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector`, `Result`'s cousin.
//!
//! OWNER: data-language helper. Contract: a template is compiled once at validation
//! (`compile`), then rendered per call. Keys ending in `.$` take a path (`$.x`, `$$.x`,
//! `$var`) or an intrinsic function call (`States.Format(...)`); other values are copied.
//!
//! Subtrees without any `.$` key are kept as one constant and cloned on render.
use serde_json::{Map, Value};

use crate::intrinsics::{path_not_found, Call};
use crate::path::Path;
use crate::{Env, Fault};

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Const(Value),
    /// An object with a `.$` key somewhere inside. `shape` is the output object with every
    /// constant entry in place and `null` where a dynamic one goes, one entry per node in
    /// order; rendering clones it (no key is hashed) and fills the slots. `None` when two
    /// entries write the same key (`"a"` and `"a.$"`): those render by inserting.
    Object {
        entries: Box<[(Box<str>, Node)]>,
        shape: Option<Map<String, Value>>,
    },
    Array(Box<[Node]>),
    /// `"key.$": "$.path"`; `field` is the key as written (with `.$`), for error texts.
    Path {
        field: Box<str>,
        path: Path,
    },
    /// `"key.$": "States.Fn(...)"`; `ordinal` separates the seeds of sibling calls.
    Call {
        field: Box<str>,
        call: Call,
        ordinal: u64,
    },
}

impl Template {
    /// Compiles a template; `Err` is a definition-time diagnostic message.
    pub fn compile(raw: &Value) -> Result<Template, String> {
        let mut ordinal = 0;
        Ok(Template { root: compile(raw, &mut ordinal)? })
    }

    /// True when the template has no `.$` key anywhere (it renders to itself).
    pub fn is_static(&self) -> bool {
        matches!(self.root, Node::Const(_))
    }

    /// Renders the template in `env`. A path that matches nothing fails with
    /// `States.Runtime` (AWS's cause text); a failing intrinsic with `States.IntrinsicFailure`.
    ///
    /// The cause is AWS's text without the `An error occurred while executing the state
    /// '<name>' (entered at the event id #<n>). ` prefix, which the caller adds.
    pub fn render(&self, env: &Env<'_>) -> Result<Value, Fault> {
        render(&self.root, env)
    }
}

fn compile(raw: &Value, ordinal: &mut u64) -> Result<Node, String> {
    match raw {
        Value::Object(m) => {
            let mut entries: Vec<(Box<str>, Node)> = Vec::with_capacity(m.len());
            let mut dynamic = false;
            for (k, v) in m {
                if let Some(out_key) = k.strip_suffix(".$") {
                    dynamic = true;
                    let invalid = || {
                        format!("The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call")
                    };
                    let Value::String(text) = v else { return Err(invalid()) };
                    let node = if Call::looks_like_call(text) {
                        let call = Call::parse(text).map_err(|_| invalid())?;
                        *ordinal += 1;
                        Node::Call { field: k.as_str().into(), call, ordinal: *ordinal }
                    } else if text.starts_with('$') {
                        Node::Path {
                            field: k.as_str().into(),
                            path: Path::parse(text).map_err(|_| invalid())?,
                        }
                    } else {
                        return Err(invalid());
                    };
                    entries.push((out_key.into(), node));
                } else {
                    let node = compile(v, ordinal)?;
                    dynamic |= !matches!(node, Node::Const(_));
                    entries.push((k.as_str().into(), node));
                }
            }
            if !dynamic {
                return Ok(Node::Const(raw.clone()));
            }
            let mut shape = Map::with_capacity(entries.len());
            for (k, n) in &entries {
                let slot = match n {
                    Node::Const(v) => v.clone(),
                    _ => Value::Null,
                };
                shape.insert(String::from(&**k), slot);
            }
            let shape = (shape.len() == entries.len()).then_some(shape);
            Ok(Node::Object { entries: entries.into(), shape })
        }
        Value::Array(a) => {
            let items = a.iter().map(|v| compile(v, ordinal)).collect::<Result<Vec<_>, _>>()?;
            Ok(if items.iter().all(|n| matches!(n, Node::Const(_))) {
                Node::Const(raw.clone())
            } else {
                Node::Array(items.into())
            })
        }
        other => Ok(Node::Const(other.clone())),
    }
}

fn render(node: &Node, env: &Env<'_>) -> Result<Value, Fault> {
    match node {
        Node::Const(v) => Ok(v.clone()),
        Node::Object { entries, shape: Some(shape) } => {
            let mut out = shape.clone();
            for (slot, (_, n)) in out.values_mut().zip(entries.iter()) {
                if !matches!(n, Node::Const(_)) {
                    *slot = render(n, env)?;
                }
            }
            Ok(Value::Object(out))
        }
        Node::Object { entries, shape: None } => {
            let mut out = Map::with_capacity(entries.len());
            for (k, n) in entries.iter() {
                // `String::from`, not `to_string`: `Box<str>`'s goes through the formatter.
                out.insert(String::from(&**k), render(n, env)?);
            }
            Ok(Value::Object(out))
        }
        Node::Array(items) => {
            items.iter().map(|n| render(n, env)).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
        Node::Path { field, path } => {
            path.select(env).ok_or_else(|| path_not_found(path, Some(field), env))
        }
        Node::Call { field, call, ordinal } => {
            let env = Env { seed: env.seed ^ ordinal.wrapping_mul(0xD1B5_4A32_D192_ED03), ..*env };
            call.eval_field(&env, Some(field))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// One case: `template` rendered against a fixed input gives `expected`.
    fn check(template: Value, expected: Result<Value, (&str, &str)>) {
        let input = json!({"a": 1, "b": {"c": [1, 2]}, "s": "x"});
        let ctx = json!({"Execution": {"Id": "arn:e"}});
        let mut vars = Map::new();
        vars.insert("v".into(), json!({"k": "var"}));
        let env = Env { input: &input, context: &ctx, vars: &vars, seed: 3 };
        let t = Template::compile(&template).unwrap_or_else(|e| panic!("{template}: {e}"));
        let got = t.render(&env).map_err(|f| (f.error, f.cause));
        let expected = expected.map_err(|(e, c)| (e.to_owned(), c.to_owned()));
        assert_eq!(got, expected, "{template}");
    }

    #[test]
    fn renders() {
        check(json!({"x": 1, "y": [true, null]}), Ok(json!({"x": 1, "y": [true, null]})));
        check(json!({"x.$": "$.a", "lit": "$.a"}), Ok(json!({"x": 1, "lit": "$.a"})));
        check(
            json!({"n": {"deep.$": "$.b.c[1]"}, "arr": [{"i.$": "$$.Execution.Id"}, 3]}),
            Ok(json!({"n": {"deep": 2}, "arr": [{"i": "arn:e"}, 3]})),
        );
        check(
            json!({"all.$": "$", "var.$": "$v.k"}),
            Ok(json!({"all": {"a": 1, "b": {"c": [1, 2]}, "s": "x"}, "var": "var"})),
        );
        check(json!({"f.$": "States.Format('{}-{}', $.s, $.a)"}), Ok(json!({"f": "x-1"})));
        // A key written twice: the later entry wins, in the earlier one's place.
        check(json!({"x.$": "$.s", "y": 2, "x": 5}), Ok(json!({"x": 5, "y": 2})));
        check(json!({"x": 5, "y.$": "$.a", "x.$": "$.s"}), Ok(json!({"x": "x", "y": 1})));
        check(json!({"many.$": "$.b.c[*]"}), Ok(json!({"many": [1, 2]})));
        check(
            json!({"value.$": "$.no_such_jsonpath"}),
            Err((
                "States.Runtime",
                "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"a\":1,\"b\":{\"c\":[1,2]},\"s\":\"x\"}'",
            )),
        );
        check(
            json!({"value.$": "$$.Execution.Input.x"}),
            Err((
                "States.Runtime",
                "The JSONPath '$$.Execution.Input.x' specified for the field 'value.$' could not be found in the input '{\"a\":1,\"b\":{\"c\":[1,2]},\"s\":\"x\"}'",
            )),
        );
        check(json!({"bad.$": "States.ArrayGetItem($.b.c, 5)"}), Err(("States.IntrinsicFailure", "Invalid arguments in States.ArrayGetItem: the index 5 is out of bounds for an array of length 2")));
    }

    #[test]
    fn two_uuids_differ() {
        let t =
            Template::compile(&json!({"a.$": "States.UUID()", "b.$": "States.UUID()"})).unwrap();
        let (input, ctx, vars) = (json!({}), json!({}), Map::new());
        let out = t.render(&Env { input: &input, context: &ctx, vars: &vars, seed: 9 }).unwrap();
        assert_ne!(out["a"], out["b"]);
    }

    #[test]
    fn compile_errors() {
        for bad in [
            json!({"x.$": 1}),
            json!({"x.$": "a.b"}),
            json!({"n": {"x.$": "$."}}),
            json!({"x.$": "States.Nope()"}),
            json!([{"parsed.$": "States.Format('He said, \\\"Hi\\\"')"}]),
        ] {
            let err = Template::compile(&bad).unwrap_err();
            assert!(
                err.starts_with("The value for the field '")
                    && err
                        .ends_with("' must be a valid JSONPath or a valid intrinsic function call"),
                "{err}"
            );
        }
    }

    fn json_without_dollar_keys() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z$.]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z]{1,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Renders by inserting every entry into a new object, the way the shape of an object
    /// node must agree with.
    fn render_by_inserting(node: &Node, env: &Env<'_>) -> Result<Value, Fault> {
        match node {
            Node::Object { entries, .. } => {
                let mut out = Map::new();
                for (k, n) in entries.iter() {
                    out.insert(k.to_string(), render_by_inserting(n, env)?);
                }
                Ok(Value::Object(out))
            }
            Node::Array(items) => items
                .iter()
                .map(|n| render_by_inserting(n, env))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => render(other, env),
        }
    }

    /// Templates with some dynamic keys, some of them written twice (`k` and `k.$`).
    fn dynamic_templates() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,3}".prop_map(Value::String),
        ];
        let entry = prop_oneof![
            ("[a-c]", leaf.clone()).prop_map(|(k, v)| (k, v)),
            ("[a-c]", prop_oneof![Just("$.a"), Just("$.b"), Just("$"), Just("$.b.c[0]")])
                .prop_map(|(k, p)| (format!("{k}.$"), Value::from(p))),
        ];
        leaf.prop_recursive(3, 24, 5, move |inner| {
            let entry = entry.clone();
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(prop_oneof![entry, ("[a-c]", inner)], 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Rendering an object from its shape gives what inserting each entry gives.
        #[test]
        fn shape_renders_as_inserting(v in dynamic_templates()) {
            let t = Template::compile(&v).unwrap();
            let input = json!({"a": 1, "b": {"c": [true]}});
            let (ctx, vars) = (json!({}), Map::new());
            let env = Env { input: &input, context: &ctx, vars: &vars, seed: 0 };
            prop_assert_eq!(t.render(&env), render_by_inserting(&t.root, &env));
        }

        /// A template without `.$` keys renders to itself.
        #[test]
        fn static_template_is_identity(v in json_without_dollar_keys()) {
            let t = Template::compile(&v).unwrap();
            prop_assert!(t.is_static());
            let (input, ctx, vars) = (json!({"q": 1}), json!({}), Map::new());
            prop_assert_eq!(t.render(&Env { input: &input, context: &ctx, vars: &vars, seed: 0 }).unwrap(), v);
        }
    }
}
