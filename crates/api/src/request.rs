//! Reading request fields with AWS's validation messages.
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The parameters of one request, from a JSON body or a query string.
#[derive(Debug)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// A required string field.
    pub fn str(&self, name: &str) -> Result<&str, ApiError> {
        match self.0.get(name) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(ApiError::validation(format!(
                "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
            ))),
            Some(_) => Err(ApiError::validation(format!("Value at '{name}' must be a string"))),
        }
    }
    /// An optional string field.
    pub fn opt_str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::validation(format!("Value at '{name}' must be a string"))),
        }
    }
    /// An optional boolean (query-form values arrive as "true"/"false").
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(ApiError::validation(format!("Value at '{name}' must be a boolean"))),
        }
    }
    /// An optional integer (query-form values arrive as strings).
    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(Value::String(s)) if s.parse::<u64>().is_ok() => Ok(s.parse().ok()),
            Some(_) => Err(ApiError::validation(format!("Value at '{name}' must be an integer"))),
        }
    }
    /// An optional object or array, as raw JSON.
    pub fn opt_value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }
}
