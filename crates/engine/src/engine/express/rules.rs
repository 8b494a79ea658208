//! What an Express definition may not use, checked as AWS checks it when an `EXPRESS`
//! machine is created or updated, or its definition validated with `type: EXPRESS`.
//!
//! Express executions cannot wait for someone else: AWS refuses activities, `.sync`
//! (and `.sync:2`) and `.waitForTaskToken` resources with a `SCHEMA_VALIDATION_FAILED`
//! diagnostic at the state's `Resource`. The messages are AWS's, as recorded; the
//! `.waitForTaskToken` one ends with a space, so the `CreateStateMachine` message built
//! from it has two spaces before `at`.
use serde_json::Value;
use stepwise_asl::{Diagnostic, Severity};

use crate::engine::dispatch::{Pattern, ServiceResource};

const ACTIVITY: &str = "Express state machine does not support Activity ARN";
const SYNC: &str = "Express state machine does not support '.sync' service integration";
const WAIT_FOR_TASK_TOKEN: &str =
    "Express state machine does not support '.waitForTaskToken' service integration ";

/// The diagnostics AWS gives a definition that an Express machine may not run, in
/// definition order; none for a definition Express can run (or one that is not JSON:
/// the definition's own validation reports that).
///
/// ```
/// let definition = r#"{"StartAt":"T","States":{"T":{"Type":"Task",
///     "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}"#;
/// let found = stepwise_engine::express_diagnostics(definition);
/// assert_eq!(found[0].location, "/States/T/Resource");
/// ```
pub fn diagnostics(definition: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Ok(root) = serde_json::from_str::<Value>(definition) {
        check_graph(&root, "", &mut found);
    }
    found
}

/// Checks the states of one graph (the root, a Parallel branch, a Map's processor).
fn check_graph(graph: &Value, at: &str, found: &mut Vec<Diagnostic>) {
    let Some(states) = graph.get("States").and_then(Value::as_object) else { return };
    for (name, state) in states {
        let here = format!("{at}/States/{name}");
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => {
                if let Some(resource) = state.get("Resource").and_then(Value::as_str) {
                    if let Some(message) = refusal(resource) {
                        found.push(Diagnostic {
                            severity: Severity::Error,
                            code: "SCHEMA_VALIDATION_FAILED".into(),
                            message: message.into(),
                            location: format!("{here}/Resource"),
                        });
                    }
                }
            }
            Some("Parallel") => {
                let branches = state.get("Branches").and_then(Value::as_array);
                for (i, branch) in branches.into_iter().flatten().enumerate() {
                    check_graph(branch, &format!("{here}/Branches[{i}]"), found);
                }
            }
            Some("Map") => {
                for field in ["ItemProcessor", "Iterator"] {
                    if let Some(processor) = state.get(field) {
                        check_graph(processor, &format!("{here}/{field}"), found);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Why an Express machine may not use `resource`, if it may not.
fn refusal(resource: &str) -> Option<&'static str> {
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

    fn found(definition: &str) -> Vec<(String, String)> {
        diagnostics(definition).into_iter().map(|d| (d.location, d.message)).collect()
    }

    fn task(resource: &str) -> String {
        format!(
            r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{resource}","End":true}}}}}}"#
        )
    }

    #[test]
    fn request_response_and_lambda_are_allowed() {
        assert!(found(&task("arn:aws:states:::lambda:invoke")).is_empty());
        assert!(found(&task("arn:aws:lambda:us-east-1:123456789012:function:f")).is_empty());
        assert!(found(&task("arn:aws:states:::aws-sdk:dynamodb:getItem")).is_empty());
        assert!(found(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#).is_empty());
    }

    #[test]
    fn waiting_patterns_and_activities_are_refused() {
        let at = "/States/T/Resource".to_owned();
        assert_eq!(
            found(&task("arn:aws:states:::sns:publish.waitForTaskToken")),
            [(at.clone(), WAIT_FOR_TASK_TOKEN.to_owned())]
        );
        assert_eq!(
            found(&task("arn:aws:states:::states:startExecution.sync")),
            [(at.clone(), SYNC.to_owned())]
        );
        assert_eq!(
            found(&task("arn:aws:states:::states:startExecution.sync:2")),
            [(at.clone(), SYNC.to_owned())]
        );
        assert_eq!(
            found(&task("arn:aws:states:us-east-1:123456789012:activity:a")),
            [(at, ACTIVITY.to_owned())]
        );
    }

    #[test]
    fn nested_graphs_are_checked_with_their_locations() {
        let definition = r#"{"StartAt":"P","States":{
            "P":{"Type":"Parallel","Next":"M","Branches":[
                {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
                {"StartAt":"B","States":{"B":{"Type":"Task","End":true,
                    "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken"}}}]},
            "M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"C","States":{
                "C":{"Type":"Task","End":true,
                    "Resource":"arn:aws:states:eu-west-1:123456789012:activity:x"}}}}}}"#;
        let locations: Vec<String> = found(definition).into_iter().map(|(at, _)| at).collect();
        assert_eq!(
            locations,
            [
                "/States/P/Branches[1]/States/B/Resource",
                "/States/M/ItemProcessor/States/C/Resource"
            ]
        );
    }

    #[test]
    fn the_create_message_is_aws_s() {
        let message = stepwise_asl::definition::error_message(&diagnostics(&task(
            "arn:aws:states:::sns:publish.waitForTaskToken",
        )));
        assert_eq!(
            message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/T/Resource'"
        );
    }
}
