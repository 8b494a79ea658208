//! Input/output processing shared by the state types, and AWS's runtime cause texts.
use std::borrow::Cow;

use serde_json::{Map, Value};

use super::inspect::{note, Inspection};
use super::{Entered, Outcome, ENTERED_EVENT_ID};
use crate::error::names;
use crate::machine::{MapSpec, Num, PathSpec, State};
use crate::template::Template;
use crate::{Env, Fault};

/// `States.Runtime` with AWS's prefix naming the state.
pub(crate) fn runtime(st: &State, detail: impl std::fmt::Display) -> Fault {
    Fault::runtime(with_prefix(st, detail))
}

pub(crate) fn with_prefix(st: &State, detail: impl std::fmt::Display) -> String {
    format!(
        "An error occurred while executing the state '{}' (entered at the event id {ENTERED_EVENT_ID}). {detail}",
        st.name
    )
}

/// Adds the state prefix to a runtime or intrinsic fault from a template or rule.
pub(crate) fn prefix(st: &State, mut f: Fault) -> Fault {
    let ours = f.error == names::RUNTIME || f.error == names::INTRINSIC_FAILURE;
    if ours && !f.cause.starts_with("An error occurred while executing the state") {
        f.cause = with_prefix(st, &f.cause);
    }
    f
}

/// A string shown as is, anything else as compact JSON (how AWS prints values in causes).
pub fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

/// Splits a simple path (`$.a.b[0]['c']`) into segments; `None` for anything fancier.
fn segments(path: &str) -> Option<Vec<Seg<'_>>> {
    let mut rest = path.strip_prefix('$')?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            out.push(Seg::Key(Cow::Borrowed(&r[..end])));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            let q = if rest.as_bytes()[1] == b'\'' { "']" } else { "\"]" };
            let end = r.find(q)?;
            out.push(Seg::Key(Cow::Borrowed(&r[..end])));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Seg::Index(r[..end].trim().parse().ok()?));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(out)
}

fn bracketed(segs: &[Seg<'_>]) -> String {
    let mut s = String::from("$");
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                s.push_str("['");
                s.push_str(k);
                s.push_str("']");
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// AWS's (Jayway's) text for a path that matched nothing in `root`:
/// `Invalid path '$.a.b' : No results for path: $['a']['b']` when only the last step is missing,
/// `Invalid path '$.a.b' : Missing property in path $['a']` when an earlier one is.
pub fn invalid_path_cause(path: &str, root: &Value) -> String {
    let detail = match segments(path) {
        Some(segs) => {
            let mut cur = root;
            let mut detail = format!("No results for path: {}", bracketed(&segs));
            for (i, seg) in segs.iter().enumerate() {
                let next = match seg {
                    Seg::Key(k) => cur.get(k.as_ref()),
                    Seg::Index(n) => cur.get(*n),
                };
                match next {
                    Some(n) => cur = n,
                    None => {
                        if i + 1 < segs.len() && matches!(seg, Seg::Key(_)) && cur.is_object() {
                            detail = format!("Missing property in path {}", bracketed(&segs[..=i]));
                        }
                        break;
                    }
                }
            }
            detail
        }
        None => format!("No results for path: {path}"),
    };
    format!("Invalid path '{path}' : {detail}")
}

/// Selects `spec` in `env` (whose input is the value to select from).
fn select<'v>(st: &State, spec: &PathSpec, env: &Env<'v>) -> Result<Cow<'v, Value>, Fault> {
    match spec {
        PathSpec::Whole => Ok(Cow::Borrowed(env.input)),
        PathSpec::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
        PathSpec::Path(p) => match p.select_cow(env) {
            Some(v) => Ok(v),
            None => {
                let root = if p.as_str().starts_with("$$") { env.context } else { env.input };
                Err(runtime(st, invalid_path_cause(p.as_str(), root)))
            }
        },
    }
}

/// The state's input after `InputPath`.
pub(crate) fn input_path<'v>(st: &State, env: &Env<'v>) -> Result<Cow<'v, Value>, Fault> {
    select(st, &st.io.input_path, env)
}

/// The state's effective input: `InputPath`, then `Parameters`.
pub(crate) fn effective_input(
    st: &State,
    env: &Env<'_>,
    ins: &mut Option<&mut Inspection>,
) -> Result<Value, Fault> {
    let input = input_path(st, env)?;
    note(ins, |i| &mut i.after_input_path, &input);
    let effective = match &st.io.parameters {
        Some(t) => t.render(&env.with_input(&input)).map_err(|f| prefix(st, f))?,
        None => input.into_owned(),
    };
    note(ins, |i| &mut i.after_parameters, &effective);
    Ok(effective)
}

/// `ResultPath` semantics: where `result` goes inside the raw input.
pub(crate) fn result_path(
    st: &State,
    spec: &PathSpec,
    raw: Cow<'_, Value>,
    result: Value,
) -> Result<Value, Fault> {
    match spec {
        PathSpec::Whole => Ok(result),
        PathSpec::Null => Ok(raw.into_owned()),
        PathSpec::Path(p) => p
            .assign(raw.into_owned(), result)
            .map_err(|cause| Fault::new(names::RESULT_PATH_MATCH_FAILURE, with_prefix(st, cause))),
    }
}

/// `OutputPath` applied to `value`.
pub(crate) fn output_path(st: &State, env: &Env<'_>, value: Value) -> Result<Value, Fault> {
    match &st.io.output_path {
        PathSpec::Whole => Ok(value),
        spec => select(st, spec, &env.with_input(&value)).map(Cow::into_owned),
    }
}

/// The outcome for a state that produced `output` and assigned `assigned`.
pub(crate) fn transition(
    st: &State,
    output: Value,
    assigned: Option<Map<String, Value>>,
) -> Outcome {
    match super::next_of(st) {
        Some(next) => Outcome::Next { next, output, assigned },
        None => Outcome::End { output, assigned },
    }
}

/// Evaluates an `Assign` template with `dollar` as `$`; `$$` and the variables are `env`'s,
/// that is the values from before the state (AWS's evaluation-before-assignment rule).
pub(crate) fn assign(
    st: &State,
    template: Option<&Template>,
    env: &Env<'_>,
    dollar: &Value,
) -> Result<Option<Map<String, Value>>, Fault> {
    let Some(t) = template else { return Ok(None) };
    // Another seed than Parameters/ResultSelector, so `States.UUID()` differs between them.
    let scope = Env { input: dollar, seed: env.seed ^ 0xA55A_5AA5_0F0F_F0F0, ..*env };
    match t.render(&scope).map_err(|f| prefix(st, f))? {
        Value::Object(m) => Ok(Some(m)),
        // Validation only accepts an object.
        _ => Ok(Some(Map::new())),
    }
}

/// `Assign` (on `result`) → `ResultPath` → `OutputPath` → transition. `result` is the
/// result after `ResultSelector`.
pub(crate) fn finish(
    st: &State,
    env: &Env<'_>,
    result: Value,
    ins: &mut Option<&mut Inspection>,
) -> Result<Outcome, Fault> {
    note(ins, |i| &mut i.after_result_selector, &result);
    let assigned = assign(st, st.assign.as_ref(), env, &result)?;
    let combined = result_path(st, &st.io.result_path, Cow::Borrowed(env.input), result)?;
    note(ins, |i| &mut i.after_result_path, &combined);
    let output = output_path(st, env, combined)?;
    Ok(transition(st, output, assigned))
}

/// [`finish`] for a state that no longer needs its raw input, given as `raw`: the
/// output is built from it in place (a ResultPath into the input copies nothing).
/// `env.input` is not read.
pub(crate) fn finish_taking(
    st: &State,
    env: &Env<'_>,
    raw: Value,
    result: Value,
) -> Result<Outcome, Fault> {
    let assigned = assign(st, st.assign.as_ref(), env, &result)?;
    let combined = result_path(st, &st.io.result_path, Cow::Owned(raw), result)?;
    let output = output_path(st, env, combined)?;
    Ok(transition(st, output, assigned))
}

/// [`finish_taking`] for a state whose result is its raw input itself (a Pass state with
/// the default `InputPath`, no `Parameters` and no `Result`): with the default `ResultPath`
/// (or `null`) the input becomes the output without a copy.
pub(crate) fn finish_passing(st: &State, env: &Env<'_>, raw: Value) -> Result<Outcome, Fault> {
    let assigned = assign(st, st.assign.as_ref(), env, &raw)?;
    let combined = match &st.io.result_path {
        PathSpec::Whole | PathSpec::Null => raw,
        spec => {
            let result = raw.clone();
            result_path(st, spec, Cow::Owned(raw), result)?
        }
    };
    let output = output_path(st, env, combined)?;
    Ok(transition(st, output, assigned))
}

fn resolve_int(st: &State, env: &Env<'_>, n: &Num<u64>, field: &str) -> Result<u64, Fault> {
    match n {
        Num::Fixed(v) => Ok(*v),
        Num::Path(p) => {
            let v = p
                .select(env)
                .ok_or_else(|| runtime(st, invalid_path_cause(p.as_str(), env.input)))?;
            // AWS parses a string holding an integer too (recorded: MaxConcurrencyPath → "1").
            let v = match &v {
                Value::String(s) => s.trim().parse::<i64>().map(Value::from).unwrap_or(v),
                _ => v,
            };
            if let Some(n) = v.as_u64() {
                return Ok(n);
            }
            if v.as_i64().is_some() && field == "ToleratedFailureCountPath" {
                return Err(runtime(st, "ToleratedFailureCount cannot be negative."));
            }
            Err(runtime(
                st,
                format!(
                    "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                    json_text(&v),
                    p.as_str()
                ),
            ))
        }
    }
}

pub(crate) fn enter_map(
    st: &State,
    env: &Env<'_>,
    spec: &MapSpec,
    ins: &mut Option<&mut Inspection>,
) -> Result<Entered, Fault> {
    let input = input_path(st, env)?;
    note(ins, |i| &mut i.after_input_path, &input);
    let scope = env.with_input(&input);
    let items = select(st, &spec.items_path, &scope)?;
    note(ins, |i| &mut i.after_items_path, &items);
    let path = match &spec.items_path {
        PathSpec::Path(p) => p.as_str(),
        _ => "$",
    };
    let Value::Array(_) = items.as_ref() else {
        // AWS prints context paths without their first `$`.
        let shown = path.strip_prefix('$').filter(|p| p.starts_with('$')).unwrap_or(path);
        return Err(runtime(st, format!("Reference path \"{shown}\" must point to array.")));
    };
    let items: Vec<Value> = match items {
        Cow::Owned(Value::Array(a)) => a,
        Cow::Borrowed(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let items = match &spec.item_selector {
        None => items,
        Some(t) => {
            let mut ctx = match env.context {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let mut entry = Map::with_capacity(2);
                entry.insert("Index".to_owned(), Value::from(i));
                entry.insert("Value".to_owned(), item);
                let mut map = Map::with_capacity(1);
                map.insert("Item".to_owned(), Value::Object(entry));
                ctx.insert("Map".to_owned(), Value::Object(map));
                let ctx_value = Value::Object(std::mem::take(&mut ctx));
                let rendered = t.render(&Env {
                    input: &input,
                    context: &ctx_value,
                    vars: env.vars,
                    seed: env.seed,
                });
                if let Value::Object(m) = ctx_value {
                    ctx = m;
                }
                out.push(rendered.map_err(|f| prefix(st, f))?);
            }
            out
        }
    };
    let max_concurrency = match &spec.max_concurrency {
        Num::Fixed(n) => *n,
        Num::Path(p) => {
            let n = resolve_int(st, env, &Num::Path(p.clone()), "MaxConcurrencyPath")?;
            u32::try_from(n).unwrap_or(u32::MAX)
        }
    };
    let tolerated = (|| {
        let percentage = tolerated_percentage(st, env, spec)?;
        let count = match &spec.tolerated_failure_count {
            None => None,
            Some(n) => Some(resolve_int(st, env, n, "ToleratedFailureCountPath")?),
        };
        Ok::<_, Fault>((percentage, count))
    })();
    // A Distributed Map records MapStateStarted before it resolves these (AWS's order).
    let (tolerated_failure_percentage, tolerated_failure_count, late_fault) = match tolerated {
        Ok((p, c)) => (p, c, None),
        Err(fault) if spec.distributed => (None, None, Some(fault)),
        Err(fault) => return Err(fault),
    };
    Ok(Entered::Map {
        start: spec.start,
        items,
        max_concurrency,
        tolerated_failure_percentage,
        tolerated_failure_count,
        late_fault,
    })
}

fn tolerated_percentage(st: &State, env: &Env<'_>, spec: &MapSpec) -> Result<Option<f64>, Fault> {
    Ok(match &spec.tolerated_failure_percentage {
        None => None,
        Some(Num::Fixed(f)) => Some(*f),
        Some(Num::Path(p)) => {
            let v = p
                .select(env)
                .ok_or_else(|| runtime(st, invalid_path_cause(p.as_str(), env.input)))?;
            let parsed = match &v {
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                other => other.as_f64(),
            };
            let Some(f) = parsed else {
                return Err(runtime(
                    st,
                    format!(
                        "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                        json_text(&v),
                        p.as_str()
                    ),
                ));
            };
            if !(0.0..=100.0).contains(&f) {
                return Err(runtime(st, "ToleratedFailurePercentage must be between 0 and 100."));
            }
            Some(f)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jayway_texts() {
        let input = json!({"a": {"b": 1}, "l": [1]});
        assert_eq!(
            invalid_path_cause("$.x", &input),
            "Invalid path '$.x' : No results for path: $['x']"
        );
        assert_eq!(
            invalid_path_cause("$.no.such.result.path", &input),
            "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
        );
        assert_eq!(
            invalid_path_cause("$.a.c", &input),
            "Invalid path '$.a.c' : No results for path: $['a']['c']"
        );
        assert_eq!(
            invalid_path_cause("$.l[3]", &input),
            "Invalid path '$.l[3]' : No results for path: $['l'][3]"
        );
        assert_eq!(
            invalid_path_cause("$['a']['z']", &input),
            "Invalid path '$['a']['z']' : No results for path: $['a']['z']"
        );
        for weird in ["$", "$.", "$[", "$['", "$[x]", "$..a", "$.a[*]", "x"] {
            let _ = invalid_path_cause(weird, &input);
        }
    }
}
