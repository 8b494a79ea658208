//! One module per page.
pub mod activities;
pub mod execution;
pub mod executions;
pub mod machines;

use serde::Deserialize;

/// `?arn=…`, or a form with `arn`.
#[derive(Debug, Deserialize)]
pub struct ArnParam {
    /// The resource's ARN.
    pub arn: String,
}
