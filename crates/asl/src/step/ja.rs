//! The interpreter for states whose query language is JSONata.
//!
//! No InputPath/Parameters/ResultSelector/ResultPath/OutputPath: `Arguments` is the work's
//! input (default: the state input), `Output` the state output (default: the result for
//! Task/Parallel/Map, the input for the others). `$states.input` is the raw state input,
//! `$states.result` the work's result (in `Output`/`Assign` after the work),
//! `$states.errorOutput` the `{Error, Cause}` in a catcher, `$states.context` the Context
//! object. `Assign` reads the variables from before the state, like every other field.
use serde_json::{Map, Value};

use super::inspect::{note, Inspection};
use super::{io, Entered, ErrorDecision, Outcome, WaitUntil, MAX_TASK_SECONDS, NO_CHOICE_MATCHED};
use crate::jsonata::{unexpected_type, JTemplate, Scope};
use crate::machine::{Body, Ja, Num, State, Text};
use crate::retry::Catcher;
use crate::{Env, Fault};

/// Adds AWS's `An error occurred while executing the state …` prefix.
fn pre(st: &State, mut f: Fault) -> Fault {
    if !f.cause.starts_with("An error occurred while executing the state") {
        f.cause = io::with_prefix(st, &f.cause);
    }
    f
}

fn eval(st: &State, t: &JTemplate, scope: &Scope<'_>) -> Result<Value, Fault> {
    t.render(scope).map_err(|f| pre(st, f))
}

fn assign(st: &State, t: Option<&JTemplate>, scope: &Scope<'_>) -> Result<Assigned, Fault> {
    let Some(t) = t else { return Ok(None) };
    match eval(st, t, scope)? {
        Value::Object(m) => Ok(Some(m)),
        _ => Ok(Some(Map::new())),
    }
}

/// The variables a state assigns (`None` without `Assign`).
type Assigned = Option<Map<String, Value>>;

/// `Assign` then `Output` (`None` when the state has none).
fn assign_output(
    st: &State,
    ja: &Ja,
    scope: &Scope<'_>,
) -> Result<(Assigned, Option<Value>), Fault> {
    let assigned = assign(st, ja.get("Assign"), scope)?;
    let output = ja.get("Output").map(|t| eval(st, t, scope)).transpose()?;
    Ok((assigned, output))
}

/// An integer field: literal (`fixed`) or an expression in `ja`.
fn int_field(
    st: &State,
    ja: &Ja,
    scope: &Scope<'_>,
    field: &str,
    fixed: Option<u64>,
) -> Result<Option<u64>, Fault> {
    let Some(t) = ja.get(field) else { return Ok(fixed) };
    let v = eval(st, t, scope)?;
    match v
        .as_u64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
    {
        Some(n) => Ok(Some(n)),
        None => Err(pre(st, unexpected_type(t, field, "integer", &v))),
    }
}

/// A Task's `TimeoutSeconds`/`HeartbeatSeconds`: literal (`fixed`, checked at validation) or an
/// expression, which must give an integer (else `States.QueryEvaluationError`, as for any
/// integer field) in `1..=`[`MAX_TASK_SECONDS`] (else `States.Runtime`), so that no input can
/// make the engine's deadline overflow.
fn seconds_field(
    st: &State,
    ja: &Ja,
    scope: &Scope<'_>,
    field: &str,
    fixed: Option<u64>,
) -> Result<Option<u64>, Fault> {
    let Some(t) = ja.get(field) else { return Ok(fixed) };
    let v = eval(st, t, scope)?;
    let whole = v.as_i64().map(i128::from).or_else(|| v.as_u64().map(i128::from)).or_else(|| {
        // `as` saturates, so a huge float lands outside the range rather than wrapping into it.
        v.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0).map(|f| f as i128)
    });
    match whole {
        Some(n) if (1..=i128::from(MAX_TASK_SECONDS)).contains(&n) => Ok(u64::try_from(n).ok()),
        Some(_) => Err(io::runtime(
            st,
            format!(
                "The value of the field '{field}' must be a positive integer no greater than {MAX_TASK_SECONDS}, but was: {v}"
            ),
        )),
        None => Err(pre(st, unexpected_type(t, field, "integer", &v))),
    }
}

fn text_field(
    st: &State,
    ja: &Ja,
    scope: &Scope<'_>,
    field: &str,
    fixed: Option<&Text>,
) -> Result<String, Fault> {
    if let Some(t) = ja.get(field) {
        return match eval(st, t, scope)? {
            Value::String(s) => Ok(s),
            v => Err(pre(st, unexpected_type(t, field, "string", &v))),
        };
    }
    Ok(match fixed {
        Some(Text::Fixed(s)) => s.clone(),
        _ => String::new(),
    })
}

pub(super) fn enter(
    st: &State,
    ja: &Ja,
    env: &Env<'_>,
    ins: &mut Option<&mut Inspection>,
) -> Result<Entered, Fault> {
    let scope = Scope::new(env, env.input);
    Ok(match &st.body {
        Body::Pass { .. } | Body::Succeed => {
            let (assigned, output) = assign_output(st, ja, &scope)?;
            let output = output.unwrap_or_else(|| env.input.clone());
            Entered::Done(io::transition(st, output, assigned))
        }
        Body::Task { resource, timeout, heartbeat, .. } => {
            let fixed = |n: &Option<Num<u64>>| match n {
                Some(Num::Fixed(v)) => Some(*v),
                _ => None,
            };
            let timeout_seconds = seconds_field(st, ja, &scope, "TimeoutSeconds", fixed(timeout))?;
            let heartbeat_seconds =
                seconds_field(st, ja, &scope, "HeartbeatSeconds", fixed(heartbeat))?;
            let parameters = match ja.get("Arguments") {
                Some(t) => eval(st, t, &scope)?,
                None => env.input.clone(),
            };
            note(ins, |i| &mut i.after_arguments, &parameters);
            Entered::Task {
                resource: resource.clone(),
                parameters,
                timeout_seconds,
                heartbeat_seconds,
            }
        }
        Body::Choice { default, .. } => {
            let mut matched = None;
            for c in &ja.choices {
                match eval(st, &c.condition, &scope)? {
                    Value::Bool(true) => {
                        matched = Some(c);
                        break;
                    }
                    Value::Bool(false) => {}
                    v => {
                        return Err(pre(
                            st,
                            unexpected_type(&c.condition, "Condition", "boolean", &v),
                        ))
                    }
                }
            }
            let (next, output, assign_t) = match (matched, *default) {
                (Some(c), _) => (c.next, c.output.as_ref().or(ja.get("Output")), c.assign.as_ref()),
                (None, Some(d)) => (d, ja.get("Output"), ja.get("Assign")),
                (None, None) => {
                    return Err(Fault::new(
                        crate::error::names::NO_CHOICE_MATCHED,
                        NO_CHOICE_MATCHED,
                    ))
                }
            };
            let assigned = assign(st, assign_t, &scope)?;
            let output = match output {
                Some(t) => eval(st, t, &scope)?,
                None => env.input.clone(),
            };
            Entered::Done(Outcome::Next { next, output, assigned })
        }
        Body::Wait(spec) => {
            if let Some(t) = ja.get("Seconds") {
                let v = eval(st, t, &scope)?;
                match v.as_u64() {
                    Some(n) => Entered::Wait(WaitUntil::Seconds(n)),
                    None => return Err(pre(st, unexpected_type(t, "Seconds", "integer", &v))),
                }
            } else if let Some(t) = ja.get("Timestamp") {
                let v = eval(st, t, &scope)?;
                match v.as_str().and_then(crate::definition::parse_timestamp) {
                    Some(ms) => Entered::Wait(WaitUntil::TimestampMillis(ms)),
                    None => return Err(pre(st, unexpected_type(t, "Timestamp", "timestamp", &v))),
                }
            } else {
                Entered::Wait(super::wait_until(st, env, spec)?)
            }
        }
        Body::Fail { error, cause } => {
            let error = text_field(st, ja, &scope, "Error", error.as_ref())?;
            let cause = text_field(st, ja, &scope, "Cause", cause.as_ref())?;
            Entered::Done(Outcome::Fail(Fault::new(error, cause)))
        }
        Body::Parallel { branches } => {
            let input = match ja.get("Arguments") {
                Some(t) => eval(st, t, &scope)?,
                None => env.input.clone(),
            };
            Entered::Parallel(branches.iter().map(|b| (*b, input.clone())).collect())
        }
        Body::Map(spec) => {
            let items = match ja.get("Items") {
                Some(t) => match eval(st, t, &scope)? {
                    Value::Array(a) => a,
                    v => return Err(pre(st, unexpected_type(t, "Items", "array", &v))),
                },
                // Without `Items`, the input itself must be an array (AWS's recorded cause).
                None => match env.input {
                    Value::Array(a) => a.clone(),
                    other => {
                        let cause = format!("Map state input must be an array but was: {}", other);
                        return Err(pre(
                            st,
                            Fault::new(crate::jsonata::QUERY_EVALUATION_ERROR, cause),
                        ));
                    }
                },
            };
            let items = match ja.get("ItemSelector") {
                None => items,
                Some(t) => {
                    let mut scope = scope.clone();
                    let base = match env.context {
                        Value::Object(m) => m.clone(),
                        _ => Map::new(),
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.into_iter().enumerate() {
                        let mut ctx = base.clone();
                        let mut entry = Map::with_capacity(2);
                        entry.insert("Index".to_owned(), Value::from(i));
                        entry.insert("Value".to_owned(), item);
                        let mut map = Map::with_capacity(1);
                        map.insert("Item".to_owned(), Value::Object(entry));
                        ctx.insert("Map".to_owned(), Value::Object(map));
                        scope.set_context(Value::Object(ctx));
                        out.push(eval(st, t, &scope)?);
                    }
                    out
                }
            };
            let fixed_mc = match &spec.max_concurrency {
                Num::Fixed(n) => u64::from(*n),
                Num::Path(_) => 0,
            };
            let max_concurrency = int_field(st, ja, &scope, "MaxConcurrency", Some(fixed_mc))?
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
            let tolerated_failure_percentage = match ja.get("ToleratedFailurePercentage") {
                Some(t) => {
                    let v = eval(st, t, &scope)?;
                    match v.as_f64() {
                        Some(f) if (0.0..=100.0).contains(&f) => Some(f),
                        Some(_) => {
                            return Err(io::runtime(
                                st,
                                "ToleratedFailurePercentage must be between 0 and 100.",
                            ))
                        }
                        None => {
                            return Err(pre(
                                st,
                                unexpected_type(t, "ToleratedFailurePercentage", "number", &v),
                            ))
                        }
                    }
                }
                None => match &spec.tolerated_failure_percentage {
                    Some(Num::Fixed(f)) => Some(*f),
                    _ => None,
                },
            };
            let fixed_tc = match &spec.tolerated_failure_count {
                Some(Num::Fixed(n)) => Some(*n),
                _ => None,
            };
            let tolerated_failure_count =
                int_field(st, ja, &scope, "ToleratedFailureCount", fixed_tc)?;
            Entered::Map {
                start: spec.start,
                items,
                max_concurrency,
                tolerated_failure_percentage,
                tolerated_failure_count,
                late_fault: None,
            }
        }
    })
}

pub(super) fn complete(
    st: &State,
    ja: &Ja,
    env: &Env<'_>,
    result: Value,
) -> Result<Outcome, Fault> {
    match &st.body {
        Body::Task { .. } | Body::Parallel { .. } | Body::Map(_) => {
            let (assigned, output) =
                assign_output(st, ja, &Scope::new(env, env.input).with("result", &result))?;
            Ok(io::transition(st, output.unwrap_or(result), assigned))
        }
        Body::Pass { .. } | Body::Wait(_) => {
            let (assigned, output) = assign_output(st, ja, &Scope::new(env, env.input))?;
            Ok(io::transition(st, output.unwrap_or_else(|| env.input.clone()), assigned))
        }
        Body::Choice { .. } | Body::Succeed | Body::Fail { .. } => {
            match enter(st, ja, env, &mut None)? {
                Entered::Done(o) => Ok(o),
                _ => Ok(io::transition(st, result, None)),
            }
        }
    }
}

/// A JSONata catcher: `Output` (default: the error output) and `Assign`, with
/// `$states.errorOutput`. A catcher whose expressions fail does not handle the error.
pub(super) fn catch(st: &State, c: &Catcher, env: &Env<'_>, err: Value) -> ErrorDecision {
    let scope = Scope::new(env, env.input).with("errorOutput", &err);
    let Ok(assigned) = assign(st, c.ja_assign.as_ref(), &scope) else {
        return ErrorDecision::Fail;
    };
    let output = match &c.ja_output {
        Some(t) => match eval(st, t, &scope) {
            Ok(v) => Some(v),
            Err(_) => return ErrorDecision::Fail,
        },
        None => None,
    };
    drop(scope);
    ErrorDecision::Catch { next: c.next(), output: output.unwrap_or(err), assigned }
}
