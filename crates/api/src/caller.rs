//! Who sent a request, and the account isolation that follows from it.
//!
//! Without `--auth`, every request is the server's one account and nothing here refuses
//! anything. With `--auth sigv4`, the server's authentication layer puts a [`Caller`] with
//! the access key's account in the request's extensions; then a request may name only its
//! own account's resources, and listings show only them, as separate AWS accounts would.
use serde_json::Value;

use crate::error::ApiError;
use crate::request::Params;

/// The caller of one request, as the authentication layer established it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The region of the request's SigV4 credential scope, if it carried one.
    pub region: Option<String>,
    /// The account of the verified access key; `None` when authentication is off.
    pub account: Option<String>,
}

impl Caller {
    /// Whether `arn` may be shown to this caller: always without authentication, else only
    /// when the ARN is in the caller's account.
    pub fn owns(&self, arn: &str) -> bool {
        match &self.account {
            None => true,
            Some(account) => arn_account(arn).is_none_or(|a| a == account),
        }
    }

    /// Refuses a request that names a resource of another account (`AccessDeniedException`,
    /// as IAM answers a caller without a resource policy granting it).
    pub fn check_params(&self, op: &str, p: &Params) -> Result<(), ApiError> {
        if self.account.is_none() {
            return Ok(());
        }
        for (key, value) in &p.0 {
            match value {
                Value::String(arn) if names_resource(key) => self.check_arn(op, arn)?,
                // An alias's routing configuration names versions.
                Value::Array(items) if key == "routingConfiguration" => {
                    for arn in items.iter().filter_map(|i| i["stateMachineVersionArn"].as_str()) {
                        self.check_arn(op, arn)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_arn(&self, op: &str, arn: &str) -> Result<(), ApiError> {
        if self.owns(arn) {
            return Ok(());
        }
        let account = self.account.as_deref().unwrap_or_default();
        Err(ApiError {
            aws_type: "AccessDeniedException",
            message: format!(
                "User: arn:aws:iam::{account}:root is not authorized to perform: states:{op} on resource: {arn} because no resource-based policy allows the states:{op} action"
            ),
            status: axum::http::StatusCode::BAD_REQUEST,
        })
    }
}

/// Parameters holding the ARN of a Step Functions resource (not `roleArn`, an IAM role).
fn names_resource(key: &str) -> bool {
    key.ends_with("Arn") && key != "roleArn"
}

/// The account of a Step Functions ARN (`arn:aws:states:<region>:<account>:…`).
fn arn_account(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, account) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (service == "states").then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_owns_only_its_accounts_arns() {
        let caller = Caller { region: None, account: Some("111111111111".into()) };
        assert!(caller.owns("arn:aws:states:us-east-1:111111111111:stateMachine:m"));
        assert!(!caller.owns("arn:aws:states:us-east-1:222222222222:stateMachine:m"));
        // Not an ARN at all: the operation's own validation answers it.
        assert!(caller.owns("not-an-arn"));
        assert!(Caller::default().owns("arn:aws:states:us-east-1:222222222222:activity:a"));
    }
}
