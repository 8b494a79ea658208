//! JSONata in states: `{% … %}` expressions inside field values (`Arguments`, `Output`,
//! `Assign`, `Items`, `ItemSelector`, `Condition`, …), compiled once at validation.
//!
//! A field value is any JSON; every string that starts with `{%` and ends with `%}` inside it
//! is a JSONata expression (its text between the delimiters, trimmed). Expressions are
//! evaluated with no context item (`$` is undefined) and these variables: `$states` (`input`,
//! `context`, and `result` or `errorOutput` where AWS provides them) and each workflow
//! variable as `$name`.
//!
//! Evaluation failures are `States.QueryEvaluationError` with AWS's cause texts:
//! `The JSONata expression '<expr>' specified for the field '<field>' returned nothing
//! (undefined).` and siblings. The field is written like AWS's history's `location`:
//! `Output`, `Output/result`, `Arguments/FunctionName`, `Assign/x`.
use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use serde_json::{Map, Value};
use stepwise_jsonata::{Bindings, Error as JError, Expr, Limits};

use crate::{Env, Fault};

/// The error name of a failed JSONata evaluation.
pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// True for a string AWS treats as a JSONata expression.
pub fn is_expression(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// The `location` of a `States.QueryEvaluationError` cause (AWS's `EvaluationFailed` event
/// carries it): the field named in `specified for the field '<location>'`.
pub fn evaluation_location(fault: &Fault) -> Option<&str> {
    if fault.error != QUERY_EVALUATION_ERROR {
        return None;
    }
    let start =
        fault.cause.find(" specified for the field '")? + " specified for the field '".len();
    let rest = &fault.cause[start..];
    rest.find("' ").map(|end| &rest[..end])
}

/// A compiled field value.
#[derive(Debug, Clone)]
pub struct JTemplate {
    root: Node,
}

impl PartialEq for JTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

#[derive(Debug, Clone)]
enum Node {
    Const(Value),
    Object(Box<[(Box<str>, Node)]>),
    Array(Box<[Node]>),
    Expr { text: Box<str>, field: Box<str>, expr: Arc<Expr> },
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Node::Const(a), Node::Const(b)) => a == b,
            (Node::Object(a), Node::Object(b)) => a == b,
            (Node::Array(a), Node::Array(b)) => a == b,
            (Node::Expr { text: a, field: fa, .. }, Node::Expr { text: b, field: fb, .. }) => {
                a == b && fa == fb
            }
            _ => false,
        }
    }
}

/// A definition-time problem: AWS's message and the location suffix below the field
/// (`Output/v`, `Arguments/a[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// The parser's message, without its code.
    pub message: String,
    /// The field path, e.g. `Output/v`.
    pub field: String,
}

impl JTemplate {
    /// Compiles `raw`, the value of field `field` (`Output`, `Assign`, …).
    pub fn compile(raw: &Value, field: &str) -> Result<JTemplate, CompileError> {
        Ok(JTemplate { root: compile(raw, field)? })
    }

    /// True when the value holds no expression.
    pub fn is_static(&self) -> bool {
        matches!(self.root, Node::Const(_))
    }

    /// The text of the expression when the whole value is one expression.
    pub fn whole_expression(&self) -> Option<&str> {
        match &self.root {
            Node::Expr { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Evaluates every expression in `scope`; `Err` is a `States.QueryEvaluationError` fault
    /// whose cause lacks the state prefix (the caller adds it).
    pub fn render(&self, scope: &Scope<'_>) -> Result<Value, Fault> {
        render(&self.root, scope)
    }
}

fn compile(raw: &Value, field: &str) -> Result<Node, CompileError> {
    match raw {
        Value::String(s) if is_expression(s) => {
            let text = s[2..s.len() - 2].trim();
            match Expr::compile(text) {
                Ok(expr) => {
                    Ok(Node::Expr { text: text.into(), field: field.into(), expr: Arc::new(expr) })
                }
                Err(e) => Err(CompileError { message: e.message, field: field.to_owned() }),
            }
        }
        Value::Object(m) => {
            let mut entries = Vec::with_capacity(m.len());
            let mut dynamic = false;
            for (k, v) in m {
                let node = compile(v, &format!("{field}/{k}"))?;
                dynamic |= !matches!(node, Node::Const(_));
                entries.push((k.as_str().into(), node));
            }
            Ok(if dynamic { Node::Object(entries.into()) } else { Node::Const(raw.clone()) })
        }
        Value::Array(a) => {
            let items = a
                .iter()
                .enumerate()
                .map(|(i, v)| compile(v, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if items.iter().all(|n| matches!(n, Node::Const(_))) {
                Node::Const(raw.clone())
            } else {
                Node::Array(items.into())
            })
        }
        other => Ok(Node::Const(other.clone())),
    }
}

fn render(node: &Node, scope: &Scope<'_>) -> Result<Value, Fault> {
    match node {
        Node::Const(v) => Ok(v.clone()),
        Node::Object(entries) => {
            let mut out = Map::with_capacity(entries.len());
            for (k, n) in entries.iter() {
                out.insert(String::from(&**k), render(n, scope)?);
            }
            Ok(Value::Object(out))
        }
        Node::Array(items) => {
            items.iter().map(|n| render(n, scope)).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
        Node::Expr { text, field, expr } => {
            match expr.evaluate_with(None, scope.bindings(), &scope.limits) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(failure(text, field, "returned nothing (undefined).")),
                Err(e) => Err(eval_error(text, field, &e)),
            }
        }
    }
}

fn eval_error(text: &str, field: &str, e: &JError) -> Fault {
    if e.code == JError::NOT_JSON {
        return failure(text, field, "returned an unsupported result type.");
    }
    // jsonata-core appends the token to T1006 (`…non-function: $f`); jsonata-js and AWS
    // do not (recorded: `T1006: Attempted to invoke a non-function`).
    let message = match (e.code.as_str(), e.message.split_once(": ")) {
        ("T1006", Some((m, _))) => m,
        _ => e.message.as_str(),
    };
    failure(text, field, format!("threw an error during evaluation. {}: {message}", e.code))
}

fn failure(text: &str, field: &str, what: impl std::fmt::Display) -> Fault {
    Fault::new(
        QUERY_EVALUATION_ERROR,
        format!("The JSONata expression '{text}' specified for the field '{field}' {what}"),
    )
}

/// AWS's JSON type name of a value, as in `Expected 'array', but was 'object'`.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `returned an unexpected result type. Expected '<expected>', but was '<type>' for value: <v>`
/// for a field whose template is `t` (named by the whole expression when it is one).
pub fn unexpected_type(t: &JTemplate, field: &str, expected: &str, v: &Value) -> Fault {
    let what = format!(
        "returned an unexpected result type. Expected '{expected}', but was '{}' for value: {v}",
        type_name(v)
    );
    match t.whole_expression() {
        Some(text) => failure(text, field, what),
        None => Fault::new(
            QUERY_EVALUATION_ERROR,
            format!("The value specified for the field '{field}' {}", &what["returned ".len()..]),
        ),
    }
}

/// The variables the expressions of one evaluation phase see (`enter`, `complete`, a catcher):
/// `$states` and the workflow variables, converted into the evaluator's values once, at the
/// first expression, and shared by all the phase's expressions.
///
/// A scope is not `Send` (the converted values are reference-counted without atomics): it lives
/// for one call into the interpreter and never leaves it.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    vars: &'a Map<String, Value>,
    input: &'a Value,
    context: Cow<'a, Value>,
    /// `$states.result` or `$states.errorOutput`.
    extra: Option<(&'static str, &'a Value)>,
    bindings: OnceCell<Bindings>,
    limits: Limits,
}

impl<'a> Scope<'a> {
    /// `$states` = `{input, context}` plus the workflow variables of `env`; `input` is
    /// `$states.input`.
    pub fn new(env: &Env<'a>, input: &'a Value) -> Scope<'a> {
        Scope {
            vars: env.vars,
            input,
            context: Cow::Borrowed(env.context),
            extra: None,
            bindings: OnceCell::new(),
            limits: Limits::default(),
        }
    }

    /// Adds `$states.<key>` (`result`, `errorOutput`), after `input` and `context`.
    pub fn with(mut self, key: &'static str, value: &'a Value) -> Scope<'a> {
        self.extra = Some((key, value));
        if let Some(b) = self.bindings.get_mut() {
            b.insert_field("states", key, value);
        }
        self
    }

    /// Replaces `$states.context` (it keeps its place in `$states`). Bindings already built are
    /// updated by converting the new context alone.
    pub fn set_context(&mut self, context: Value) {
        if let Some(b) = self.bindings.get_mut() {
            b.insert_field("states", "context", &context);
        }
        self.context = Cow::Owned(context);
    }

    /// The bindings, built at the first call.
    fn bindings(&self) -> &Bindings {
        self.bindings.get_or_init(|| {
            let mut b = Bindings::new(self.vars);
            let context: &Value = &self.context;
            b.insert_object(
                "states",
                [("input", self.input), ("context", context)].into_iter().chain(self.extra),
            );
            b
        })
    }
}
