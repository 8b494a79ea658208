//! Which Task resources a definition may name, checked as AWS checks them when a
//! machine is created or updated, or a definition validated.
//!
//! Two rules, each a `SCHEMA_VALIDATION_FAILED` diagnostic at the state's `Resource`:
//! - an optimized integration AWS does not offer (an action the service's integration
//!   lacks, such as `dynamodb:query`, or a pattern it lacks, such as `lambda:invoke.sync`)
//!   "is not recognized" ([`catalog`]);
//! - an Express machine may not wait for others ([`super::express::rules`]).
use serde_json::Value;
use stepwise_asl::{Diagnostic, Severity};

use crate::model::MachineType;

pub(crate) mod catalog;

/// The diagnostics AWS gives the resources of `definition` for a machine of
/// `machine_type`, in definition order; none for a definition that is not JSON (its
/// own validation reports that).
///
/// ```
/// use stepwise_engine::model::MachineType;
/// let definition = r#"{"StartAt":"Q","States":{"Q":{"Type":"Task",
///     "Resource":"arn:aws:states:::dynamodb:query","End":true}}}"#;
/// let found = stepwise_engine::resource_diagnostics(definition, MachineType::Standard);
/// assert_eq!(found[0].location, "/States/Q/Resource");
/// ```
pub fn diagnostics(definition: &str, machine_type: MachineType) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Ok(root) = serde_json::from_str::<Value>(definition) {
        let express = machine_type == MachineType::Express;
        check_graph(&root, "", express, &mut found);
    }
    found
}

/// Checks the Task states of one graph (the root, a Parallel branch, a Map's processor).
fn check_graph(graph: &Value, at: &str, express: bool, found: &mut Vec<Diagnostic>) {
    let Some(states) = graph.get("States").and_then(Value::as_object) else { return };
    for (name, state) in states {
        let here = format!("{at}/States/{name}");
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => {
                let Some(resource) = state.get("Resource").and_then(Value::as_str) else {
                    continue;
                };
                let message = match catalog::recognized(resource) {
                    false => Some(catalog::not_recognized(resource)),
                    true if express => super::express::rules::refusal(resource).map(str::to_owned),
                    true => None,
                };
                if let Some(message) = message {
                    found.push(Diagnostic {
                        severity: Severity::Error,
                        code: "SCHEMA_VALIDATION_FAILED".into(),
                        message,
                        location: format!("{here}/Resource"),
                    });
                }
            }
            Some("Parallel") => {
                let branches = state.get("Branches").and_then(Value::as_array);
                for (i, branch) in branches.into_iter().flatten().enumerate() {
                    check_graph(branch, &format!("{here}/Branches[{i}]"), express, found);
                }
            }
            Some("Map") => {
                for field in ["ItemProcessor", "Iterator"] {
                    if let Some(processor) = state.get(field) {
                        check_graph(processor, &format!("{here}/{field}"), express, found);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(definition: &str, machine_type: MachineType) -> Vec<(String, String)> {
        diagnostics(definition, machine_type).into_iter().map(|d| (d.location, d.message)).collect()
    }

    fn task(resource: &str) -> String {
        format!(
            r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{resource}","End":true}}}}}}"#
        )
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
        let locations: Vec<String> =
            found(definition, MachineType::Express).into_iter().map(|(at, _)| at).collect();
        assert_eq!(
            locations,
            [
                "/States/P/Branches[1]/States/B/Resource",
                "/States/M/ItemProcessor/States/C/Resource"
            ]
        );
        assert!(found(definition, MachineType::Standard).is_empty());
    }

    #[test]
    fn an_unknown_integration_is_refused_for_every_type() {
        for machine_type in [MachineType::Standard, MachineType::Express] {
            let message = stepwise_asl::definition::error_message(&diagnostics(
                &task("arn:aws:states:::dynamodb:query"),
                machine_type,
            ));
            assert_eq!(
                message,
                "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:query is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/T/Resource'"
            );
        }
    }

    #[test]
    fn the_express_message_is_aws_s() {
        let message = stepwise_asl::definition::error_message(&diagnostics(
            &task("arn:aws:states:::sns:publish.waitForTaskToken"),
            MachineType::Express,
        ));
        assert_eq!(
            message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/T/Resource'"
        );
    }
}
