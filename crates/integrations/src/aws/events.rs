//! `arn:aws:states:::events:putEvents` (and `.waitForTaskToken`).
//!
//! As on AWS, each entry's `Detail` that is not a string is sent as its JSON text, the
//! state machine's and the execution's ARNs are added to each entry's `Resources`, and
//! a call with failed entries fails the Task with `EventBridge.FailedEntry`, the
//! service's answer as the cause. The result carries no SDK metadata.
use serde_json::Value;
use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::errors::unsupported_pattern;
use super::protocol::{as_text, call_json, json_request, object};
use super::service::Service;
use super::transport::AwsClient;

/// The `events` optimized integration.
#[derive(Debug, Clone)]
pub struct Events {
    aws: AwsClient,
}

impl Events {
    pub fn new(aws: AwsClient) -> Events {
        Events { aws }
    }
}

impl Integration for Events {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, call) = (self.aws.clone(), call.clone());
        Box::pin(async move {
            if call.action != "putEvents" {
                return Err(Fault::runtime(format!(
                    "Stepwise does not support the resource arn:aws:states:::events:{} yet",
                    call.action
                )));
            }
            if !matches!(call.pattern, Pattern::RequestResponse | Pattern::WaitForTaskToken) {
                return Err(unsupported_pattern("events", "putEvents", &call.pattern.to_string()));
            }
            let mut p = object(&call.parameters);
            let resources = [state_machine_arn(&call.execution), Some(call.execution.to_string())];
            if let Some(Value::Array(entries)) = p.get_mut("Entries") {
                for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(detail) = entry.get_mut("Detail").filter(|d| !d.is_string()) {
                        *detail = Value::String(as_text(detail));
                    }
                    let list = entry.entry("Resources").or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = list {
                        list.extend(resources.iter().flatten().cloned().map(Value::String));
                    }
                }
            }
            let endpoint = aws.endpoint(Service::EventBridge, &call.region);
            let request = json_request(
                Service::EventBridge,
                &call.region,
                endpoint,
                "PutEvents",
                &Value::Object(p),
            );
            let (_, body) = call_json(&aws, request, "EventBridge", |e| {
                e.optimized_fault(Service::EventBridge)
            })
            .await?;
            if body.get("FailedEntryCount").and_then(Value::as_u64).unwrap_or(0) > 0 {
                return Err(Fault::new("EventBridge.FailedEntry", body.to_string()));
            }
            Ok(body)
        })
    }
}

/// `arn:…:execution:<machine>:<name>` → `arn:…:stateMachine:<machine>`.
fn state_machine_arn(execution: &str) -> Option<String> {
    let parts: Vec<&str> = execution.split(':').collect();
    if parts.len() < 8 || !matches!(parts[5], "execution" | "express") {
        return None;
    }
    Some(format!("{}:stateMachine:{}", parts[..5].join(":"), parts[6]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn machine_of_an_execution() {
        assert_eq!(
            super::state_machine_arn("arn:aws:states:us-east-1:1:execution:M:e1").as_deref(),
            Some("arn:aws:states:us-east-1:1:stateMachine:M")
        );
        assert_eq!(super::state_machine_arn("nonsense"), None);
    }
}
