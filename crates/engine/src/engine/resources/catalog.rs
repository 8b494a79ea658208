//! The optimized integrations AWS offers, as far as a definition names them: for the
//! services Stepwise runs, each action and the patterns it may be called with, from
//! AWS's table of optimized integrations ("Integrating optimized services").
//!
//! Only what AWS documents is refused. A service missing here (ECS, Glue, Batch, …) is
//! accepted, as AWS accepts it, and answers at run time that Stepwise does not call it;
//! the generic `aws-sdk:<service>:<action>` integrations are accepted for any action,
//! but never with `.sync`, which AWS offers for none of them.
use crate::engine::dispatch::{Pattern, ServiceResource};

/// The actions of a service's optimized integration and the patterns each allows.
struct Service {
    name: &'static str,
    actions: &'static [&'static str],
    patterns: &'static [Pattern],
}

const REQUEST: Pattern = Pattern::RequestResponse;
const CALLBACK: Pattern = Pattern::WaitForTaskToken;

const SERVICES: &[Service] = &[
    Service { name: "lambda", actions: &["invoke"], patterns: &[REQUEST, CALLBACK] },
    Service { name: "sqs", actions: &["sendMessage"], patterns: &[REQUEST, CALLBACK] },
    Service { name: "sns", actions: &["publish"], patterns: &[REQUEST, CALLBACK] },
    Service { name: "events", actions: &["putEvents"], patterns: &[REQUEST, CALLBACK] },
    Service {
        name: "dynamodb",
        actions: &["getItem", "putItem", "updateItem", "deleteItem"],
        patterns: &[REQUEST],
    },
    Service {
        name: "states",
        actions: &["startExecution"],
        patterns: &[REQUEST, Pattern::Sync, Pattern::Sync2, CALLBACK],
    },
];

/// False for a resource AWS answers "is not recognized" for. Anything that is not a
/// service integration (an activity, a Lambda function ARN) is left to other checks.
pub(crate) fn recognized(resource: &str) -> bool {
    let Some(parsed) = ServiceResource::parse(resource) else { return true };
    if parsed.legacy_lambda {
        return true;
    }
    if parsed.resource_type.starts_with("aws-sdk:") {
        return !matches!(parsed.pattern, Pattern::Sync | Pattern::Sync2);
    }
    match SERVICES.iter().find(|s| s.name == parsed.resource_type) {
        Some(service) => {
            service.actions.contains(&parsed.action.as_str())
                && service.patterns.contains(&parsed.pattern)
        }
        None => true,
    }
}

/// AWS's message for a resource it does not recognize.
pub(crate) fn not_recognized(resource: &str) -> String {
    format!(
        "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_aws_offers_is_recognized() {
        for resource in [
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "arn:aws:states:::sns:publish",
            "arn:aws:states:::events:putEvents.waitForTaskToken",
            "arn:aws:states:::dynamodb:updateItem",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:::aws-sdk:dynamodb:query",
            "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
            "arn:aws:states:::ecs:runTask.sync",
            "arn:aws:states:::http:invoke",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:states:us-east-1:123456789012:activity:a",
        ] {
            assert!(recognized(resource), "{resource}");
        }
    }

    #[test]
    fn what_aws_lacks_is_not() {
        for resource in [
            "arn:aws:states:::dynamodb:query",
            "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
            "arn:aws:states:::lambda:invoke.sync",
            "arn:aws:states:::lambda:listFunctions",
            "arn:aws:states:::sqs:sendMessage.sync",
            "arn:aws:states:::states:describeExecution",
            "arn:aws:states:::aws-sdk:sfn:startExecution.sync",
        ] {
            assert!(!recognized(resource), "{resource}");
        }
    }
}
