//! Between JSON and the evaluator's values.

use jsonata_core::value::{JArray, JValue};
use serde_json::{Map, Number, Value};

use crate::Error;

/// Deepest result this converts; a deeper one (which only a runaway `$reduce` can build) is an
/// error rather than a native stack overflow.
const MAX_NESTING: usize = 2_000;

/// `None` for undefined; undefined inside an array is dropped and inside an object the field is
/// left out, as `JSON.stringify` does. Functions, regexes and non-finite numbers are errors.
pub(crate) fn to_json(value: &JValue) -> Result<Option<Value>, Error> {
    convert(value, 0)
}

fn convert(value: &JValue, depth: usize) -> Result<Option<Value>, Error> {
    if depth > MAX_NESTING {
        return Err(Error::new(
            Error::NOT_JSON,
            format!("The result is nested deeper than {MAX_NESTING} levels"),
        ));
    }
    Ok(Some(match value {
        JValue::Undefined => return Ok(None),
        JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => Value::Number(number(*n)?),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.extend(convert(item, depth + 1)?);
            }
            Value::Array(out)
        }
        JValue::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (key, field) in fields.iter() {
                if let Some(field) = convert(field, depth + 1)? {
                    out.insert(key.clone(), field);
                }
            }
            Value::Object(out)
        }
        JValue::Lambda(_) | JValue::Builtin { .. } => {
            return Err(Error::new(Error::NOT_JSON, "The result is a function, not JSON"))
        }
        JValue::Regex { .. } => {
            return Err(Error::new(Error::NOT_JSON, "The result is a regular expression, not JSON"))
        }
    }))
}

/// An integral number within ±2^53 becomes a JSON integer (`3`, not `3.0`), as JavaScript
/// prints it; `-0` becomes `0`.
pub(crate) fn number(n: f64) -> Result<Number, Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.fract() == 0.0 && n.abs() <= EXACT {
        #[allow(clippy::cast_possible_truncation)]
        return Ok(Number::from(n as i64));
    }
    Number::from_f64(n).ok_or_else(|| {
        Error::new(
            Error::NOT_JSON,
            format!("The result holds the number {n}, which JSON cannot hold"),
        )
    })
}

/// JSON into the evaluator, by reference (`JValue::from` would need an owned, cloned tree).
pub(crate) fn from_json(value: &Value) -> JValue {
    match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::String(s.as_str().into()),
        Value::Array(items) => {
            let flat = !items.iter().any(Value::is_array);
            JValue::Array(JArray::new_flat(items.iter().map(from_json).collect(), flat))
        }
        Value::Object(fields) => {
            JValue::object(fields.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}
