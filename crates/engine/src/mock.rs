//! Mocked Task results, as AWS Step Functions Local's mock configuration defines them.
//!
//! An execution started on `<stateMachineArn>#<TestCase>` runs that test case: each Task
//! state the test case names answers with its mocked response for that invocation
//! (`"0"`, `"1-2"`, …) instead of calling anything. The file format lives in the CLI;
//! the engine only asks this trait.
use serde_json::Value;

/// What a mocked Task invocation answers.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    /// The task succeeds with this result.
    Return(Value),
    /// The task fails with this error and cause.
    Throw {
        /// The error name.
        error: String,
        /// The cause text.
        cause: String,
    },
}

/// Looks up mocked responses.
pub trait TaskMocks: Send + Sync + 'static {
    /// The response of the `invocation`-th (0-based) run of `state` in `test_case` of the
    /// state machine named `state_machine`, if mocked. `None` when the test case does not
    /// mock that state (it then runs for real).
    fn response(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        invocation: u32,
    ) -> Option<MockResponse>;
    /// Whether `test_case` exists for `state_machine` (StartExecution refuses unknown ones).
    fn has_test_case(&self, state_machine: &str, test_case: &str) -> bool;
}

/// `resourceType` and `resource` of a Task resource ARN, as history events name them:
/// `arn:aws:states:::lambda:invoke` → (`lambda`, `invoke`),
/// `arn:aws:states:::aws-sdk:s3:getObject` → (`aws-sdk:s3`, `getObject`).
pub(crate) fn resource_parts(resource: &str) -> (String, String) {
    let tail = resource.strip_prefix("arn:aws:states:::").unwrap_or(resource);
    let tail = tail
        .split(".waitForTaskToken")
        .next()
        .unwrap_or(tail)
        .split(".sync")
        .next()
        .unwrap_or(tail);
    if resource.starts_with("arn:aws:lambda:") {
        return ("lambda".into(), "invoke".into());
    }
    match tail.rsplit_once(':') {
        Some((ty, action)) => (ty.to_owned(), action.to_owned()),
        None => (tail.to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::resource_parts;

    #[test]
    fn resource_parts_follow_aws_history_names() {
        assert_eq!(
            resource_parts("arn:aws:states:::lambda:invoke"),
            ("lambda".into(), "invoke".into())
        );
        assert_eq!(
            resource_parts("arn:aws:states:::aws-sdk:s3:getObject"),
            ("aws-sdk:s3".into(), "getObject".into())
        );
        assert_eq!(
            resource_parts("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            ("sqs".into(), "sendMessage".into())
        );
        assert_eq!(
            resource_parts("arn:aws:lambda:us-east-1:1:function:f"),
            ("lambda".into(), "invoke".into())
        );
    }
}
