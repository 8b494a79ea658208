//! What an Express definition may not use, checked as AWS checks it when an `EXPRESS`
//! machine is created or updated, or its definition validated with `type: EXPRESS`.
//!
//! Express executions cannot wait for someone else: AWS refuses activities, `.sync`
//! (and `.sync:2`) and `.waitForTaskToken` resources with a `SCHEMA_VALIDATION_FAILED`
//! diagnostic at the state's `Resource` (the walk over the definition is
//! [`crate::engine::resources`]'s). The messages are AWS's, as recorded; the
//! `.waitForTaskToken` one ends with a space, so the `CreateStateMachine` message built
//! from it has two spaces before `at`.
use crate::engine::dispatch::{Pattern, ServiceResource};

const ACTIVITY: &str = "Express state machine does not support Activity ARN";
const SYNC: &str = "Express state machine does not support '.sync' service integration";
const WAIT_FOR_TASK_TOKEN: &str =
    "Express state machine does not support '.waitForTaskToken' service integration ";

/// Why an Express machine may not use `resource`, if it may not.
pub(crate) fn refusal(resource: &str) -> Option<&'static str> {
    if is_activity(resource) {
        return Some(ACTIVITY);
    }
    match ServiceResource::parse(resource)?.pattern {
        Pattern::Sync | Pattern::Sync2 => Some(SYNC),
        Pattern::WaitForTaskToken => Some(WAIT_FOR_TASK_TOKEN),
        Pattern::RequestResponse => None,
    }
}

/// `arn:<partition>:states:<region>:<account>:activity:<name>`.
fn is_activity(resource: &str) -> bool {
    let parts: Vec<&str> = resource.splitn(7, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "states", _, _, "activity", name] if !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_response_and_lambda_are_allowed() {
        assert_eq!(refusal("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(refusal("arn:aws:lambda:us-east-1:123456789012:function:f"), None);
        assert_eq!(refusal("arn:aws:states:::aws-sdk:dynamodb:getItem"), None);
    }

    #[test]
    fn waiting_patterns_and_activities_are_refused() {
        assert_eq!(
            refusal("arn:aws:states:::sns:publish.waitForTaskToken"),
            Some(WAIT_FOR_TASK_TOKEN)
        );
        assert_eq!(refusal("arn:aws:states:::states:startExecution.sync"), Some(SYNC));
        assert_eq!(refusal("arn:aws:states:::states:startExecution.sync:2"), Some(SYNC));
        assert_eq!(refusal("arn:aws:states:us-east-1:123456789012:activity:a"), Some(ACTIVITY));
    }
}
