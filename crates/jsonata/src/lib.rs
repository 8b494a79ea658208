//! JSONata 2.0.6 as AWS Step Functions runs it.
//!
//! ```
//! use serde_json::{json, Map};
//! use stepwise_jsonata::{Expr, Limits};
//!
//! let expr = Expr::compile("$states.input.orders[price > 10].id").unwrap();
//! let mut bindings = Map::new();
//! bindings.insert("states".into(), json!({"input": {"orders": [
//!     {"id": "a", "price": 5}, {"id": "b", "price": 20}]}}));
//! let out = expr.evaluate(&json!(null), &bindings, &Limits::default()).unwrap();
//! assert_eq!(out, Some(json!("b")));
//! ```
//!
//! The language itself is the pinned `jsonata-core` crate (a JSONata 2.2 evaluator). This crate
//! narrows it to what AWS accepts: the `??` and `?:` operators (JSONata 2.1+) and `$eval` are
//! refused by [`Expr::compile`], and AWS's built-ins `$partition`, `$range`, `$hash`, `$random`
//! (seedable, `java.util.Random`'s sequence), `$uuid` and `$parse` are added (see [`aws`]).
//!
//! **Architecture Invariant:** pure. No I/O and no clock other than the evaluation timeout
//! (one watchdog thread per process raises the flag of an evaluation whose time is up);
//! `$random()` without a seed, `$uuid()` and `$now()`/`$millis()` are the only
//! non-deterministic functions.
//!
//! **Architecture Invariant:** no input reaches a known panic of `jsonata-core`. Its known
//! panics (picture strings, signatures, timestamps; see `guard`) are checked for before it
//! runs and become JSONata errors; `catch_unwind` around the evaluation is only the net for
//! unknown ones. The fuzz target (`fuzz/fuzz_targets/jsonata.rs`) aborts on any panic.
//!
//! Values cross the boundary as `serde_json::Value`: `Ok(None)` is JSONata's *undefined*; a
//! result that JSON cannot hold (a function, a regex, a non-finite number) is an [`Error`] with
//! code [`Error::NOT_JSON`], which a Step Functions caller maps to
//! `States.QueryEvaluationError`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aws;
mod check;
mod convert;
mod guard;
mod watchdog;

use std::time::Duration;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser::ParserError;
use jsonata_core::value::JValue;
use serde_json::{Map, Value};

/// A compiled JSONata expression: parse once, evaluate many times, from any thread.
#[derive(Debug)]
pub struct Expr {
    ast: AstNode,
    /// The function and variable names the expression refers to, sorted: only the host
    /// functions among them are registered for an evaluation.
    names: Vec<String>,
}

/// Variables converted once into the evaluator's values, for several evaluations on one
/// thread (the expressions of one state share `$states`). [`Expr::evaluate`] converts its
/// `Map` on every call; converting a large input is a good part of an evaluation's cost.
///
/// The values are reference-counted without atomics, so `Bindings` is neither `Send` nor
/// `Sync`: build it on the thread that evaluates. Cloning shares the converted values.
///
/// ```
/// use serde_json::{json, Map};
/// use stepwise_jsonata::{Bindings, Expr, Limits};
///
/// let mut b = Bindings::new(&Map::new());
/// b.insert_object("states", [("input", &json!({"n": 1})), ("context", &json!({}))]);
/// b.insert_field("states", "result", &json!(2));
/// let expr = Expr::compile("$states.input.n + $states.result").unwrap();
/// assert_eq!(expr.evaluate_with(None, &b, &Limits::default()).unwrap(), Some(json!(3)));
/// ```
#[derive(Debug, Default, Clone)]
pub struct Bindings {
    values: Vec<(String, JValue)>,
}

impl Bindings {
    /// Each entry of `map` as the variable `$<key>`.
    pub fn new(map: &Map<String, Value>) -> Bindings {
        Bindings { values: map.iter().map(|(k, v)| (k.clone(), convert::from_json(v))).collect() }
    }

    /// Binds `$<name>` to `value`, replacing an earlier binding of that name.
    pub fn insert(&mut self, name: impl Into<String>, value: &Value) {
        self.set(name.into(), convert::from_json(value));
    }

    /// Binds `$<name>` to an object of `fields`, in their order, each value converted once
    /// (no JSON object of them needs to be built first). Replaces an earlier binding.
    pub fn insert_object<'a>(
        &mut self,
        name: impl Into<String>,
        fields: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) {
        let object = JValue::object(
            fields.into_iter().map(|(k, v)| (k.to_owned(), convert::from_json(v))).collect(),
        );
        self.set(name.into(), object);
    }

    /// Sets field `key` of the object bound to `$<name>`, converting only `value`: the other
    /// fields stay as they are (a replaced field keeps its place, a new one comes last). When
    /// `$<name>` is unbound or not an object, it becomes `{key: value}`.
    pub fn insert_field(&mut self, name: &str, key: &str, value: &Value) {
        let value = convert::from_json(value);
        match self.values.iter_mut().find(|(n, _)| n == name) {
            Some((_, JValue::Object(fields))) => {
                // Unshared once the evaluations that bound it are over: no copy then.
                std::rc::Rc::make_mut(fields).insert(key.to_owned(), value);
            }
            _ => self.set(
                name.to_owned(),
                JValue::object([(key.to_owned(), value)].into_iter().collect()),
            ),
        }
    }

    fn set(&mut self, name: String, value: JValue) {
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name, value)),
        }
    }
}

/// Bounds on one evaluation. Exceeding either ends it with code `U1001`, as the JSONata test
/// suite's harness does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most nested evaluation steps; a non-tail recursive call costs about three.
    pub max_depth: usize,
    /// Wall-clock budget. It is checked between evaluation steps, so one built-in working on a
    /// huge string can overrun it: cap payload sizes and run evaluations off async threads.
    pub timeout: Duration,
}

impl Default for Limits {
    /// 10,000 levels (about 3,300 nested non-tail calls) and 10 seconds.
    fn default() -> Self {
        Limits { max_depth: 10_000, timeout: Duration::from_secs(10) }
    }
}

/// A compile or evaluation error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    /// JSONata's error code (`S0201`, `T2001`, `D3030`, `U1001` for an exceeded [`Limits`]),
    /// or one of this crate's own: [`Error::NOT_JSON`], [`Error::UNSUPPORTED`],
    /// [`Error::INTERNAL`], `D3900`–`D3902` (see [`aws`]) and `D3903`, a picture string,
    /// timestamp or option the underlying evaluator cannot handle safely (where jsonata-js
    /// throws a plain JavaScript error or prints `NaN`: a year of more than 18 digits, a width
    /// over 1,000, roman numerals of a number over 10^9).
    pub code: String,
    /// The message, without the code.
    pub message: String,
    /// Character offset in the expression, when known (the underlying parser reports none
    /// today).
    pub position: Option<usize>,
}

impl Error {
    /// The result (or a part of it) is not JSON: a function, a regex or a non-finite number.
    pub const NOT_JSON: &'static str = "NotJson";
    /// The underlying evaluator panicked (a bug in it); the evaluation is abandoned.
    pub const INTERNAL: &'static str = "Internal";
    /// The expression uses what AWS's JSONata 2.0.6 lacks or forbids: `??`, `?:`, `$eval`.
    pub const UNSUPPORTED: &'static str = "Unsupported";

    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Error { code: code.to_string(), message: message.into(), position: None }
    }

    /// Splits a `"T2001: message"` text into code and message; `fallback` when it has no code.
    fn from_text(text: &str, fallback: &str) -> Self {
        match find_code(text) {
            Some((code, rest)) => Error::new(code, rest),
            None => Error::new(fallback, text),
        }
    }

    fn from_eval(e: &EvaluatorError, timeout_ms: u64) -> Self {
        let mut err = Error::from_text(e.message(), "D1001");
        // jsonata-js 2.0.6 has no depth or timeout options of its own; its test harness ends
        // both with U1001, and so do we (jsonata-core says D1011/D1012, and U1003 when the
        // watchdog stopped it).
        match err.code.as_str() {
            "D1011" | "D1012" => err.code = "U1001".to_string(),
            "U1003" => {
                err.code = "U1001".to_string();
                err.message = format!(
                    "Evaluation timeout after {timeout_ms} milliseconds. Check for infinite loop"
                );
            }
            _ => {}
        }
        err
    }
}

/// The first `X9999: ` code in `text` (at its start, or after a prefix such as
/// "Invalid syntax: "), and the text after it.
fn find_code(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5)).find_map(|i| {
        let at_word = i == 0 || b[i - 1] == b' ';
        (at_word
            && b[i].is_ascii_uppercase()
            && b[i + 1..i + 5].iter().all(u8::is_ascii_digit)
            && b[i + 5] == b':')
            .then(|| (&text[i..i + 5], text[i + 6..].trim_start()))
    })
}

impl Expr {
    /// Parses `text`, refusing `??`, `?:` and `$eval` (code [`Error::UNSUPPORTED`]).
    pub fn compile(text: &str) -> Result<Expr, Error> {
        guard::check_signatures(text)?;
        let mut ast = jsonata_core::parser::parse(text).map_err(|e| {
            // The two uncoded parser errors get jsonata-js's codes.
            let fallback = match e {
                ParserError::UnclosedComment => "S0106",
                ParserError::InvalidNumber(_) => "S0102",
                _ => "S0201",
            };
            Error::from_text(&e.to_string(), fallback)
        })?;
        check::refuse_unsupported(&mut ast)?;
        let names = guard::route_calls(&mut ast);
        Ok(Expr { ast, names })
    }

    /// Evaluates with `input` as `$` and `bindings` as `$name` variables; `Ok(None)` is
    /// undefined.
    pub fn evaluate(
        &self,
        input: &Value,
        bindings: &Map<String, Value>,
        limits: &Limits,
    ) -> Result<Option<Value>, Error> {
        self.evaluate_input(Some(input), bindings, limits)
    }

    /// [`Expr::evaluate`] with an undefined `$` when `input` is `None` (the test suite's
    /// `"dataset": null`).
    #[doc(hidden)]
    pub fn evaluate_input(
        &self,
        input: Option<&Value>,
        bindings: &Map<String, Value>,
        limits: &Limits,
    ) -> Result<Option<Value>, Error> {
        self.evaluate_with(input, &Bindings::new(bindings), limits)
    }

    /// [`Expr::evaluate_input`] with variables converted beforehand.
    pub fn evaluate_with(
        &self,
        input: Option<&Value>,
        bindings: &Bindings,
        limits: &Limits,
    ) -> Result<Option<Value>, Error> {
        let mut context = Context::new();
        for (name, value) in &bindings.values {
            context.bind(name.clone(), value.clone());
        }
        let deadline = watchdog::arm(limits.timeout);
        let timeout_ms = u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX);
        let options = EvaluatorOptions {
            timeout_ms: matches!(deadline, watchdog::Deadline::Clock).then_some(timeout_ms),
            cancel: match &deadline {
                watchdog::Deadline::Watched(armed) => Some(armed.token()),
                _ => None,
            },
            max_stack_depth: Some(limits.max_depth),
            ..EvaluatorOptions::default()
        };
        let mut evaluator = Evaluator::with_options(context, options);
        aws::register(&mut evaluator, &self.names);
        if self.names.iter().any(|n| n == guard::SUBJECT) {
            guard::register_subject(&mut evaluator);
        }
        for name in guard::GUARDED {
            if self.names.iter().any(|n| *n == name || *n == guard::with_context(name)) {
                guard::register(&mut evaluator, name);
            }
        }
        let input = input.map_or(JValue::Undefined, convert::from_json);
        // A panic inside jsonata-core becomes an error of this evaluation; the evaluator is
        // dropped with it, so no broken state outlives it. The known panics are kept out of
        // reach (see `guard`); this is the net under them.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            evaluator.evaluate(&self.ast, &input)
        }))
        .map_err(|_| Error::new(Error::INTERNAL, "The JSONata evaluator failed (a bug)"))?
        .map_err(|e| Error::from_eval(&e, timeout_ms))?;
        drop(deadline);
        convert::to_json(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_split_from_messages() {
        assert_eq!(find_code("T2001: The left side"), Some(("T2001", "The left side")));
        assert_eq!(find_code("Invalid syntax: T1006: Attempted"), Some(("T1006", "Attempted")));
        assert_eq!(find_code("Unclosed comment"), None);
    }

    #[test]
    fn expr_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Expr>();
    }
}
