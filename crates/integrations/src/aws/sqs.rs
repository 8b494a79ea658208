//! `arn:aws:states:::sqs:sendMessage` (and its `.waitForTaskToken`), over SQS's JSON
//! protocol: the one action of AWS's optimized SQS integration (a batch goes through
//! `aws-sdk:sqs:sendMessageBatch`).
//!
//! As the SDK for Java does, a call goes to the host of its `QueueUrl` unless an endpoint
//! is configured for SQS: a queue URL of a local emulator reaches the emulator, and a
//! queue URL whose host does not resolve fails with `SQS.SdkClientException`.
use serde_json::Value;
use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::config::Endpoint;
use super::errors::unsupported_pattern;
use super::protocol::{
    as_text, call_json, json_request, object, origin_of, region_of_queue_url, required_str,
    with_sdk_metadata,
};
use super::service::Service;
use super::transport::AwsClient;

/// The `sqs` optimized integration.
#[derive(Debug, Clone)]
pub struct Sqs {
    aws: AwsClient,
}

impl Sqs {
    pub fn new(aws: AwsClient) -> Sqs {
        Sqs { aws }
    }
}

impl Integration for Sqs {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, call) = (self.aws.clone(), call.clone());
        Box::pin(async move {
            let action = match call.action.as_str() {
                "sendMessage" => "SendMessage",
                other => {
                    return Err(Fault::runtime(format!(
                        "Stepwise does not support the resource arn:aws:states:::sqs:{other} yet"
                    )))
                }
            };
            if !matches!(call.pattern, Pattern::RequestResponse | Pattern::WaitForTaskToken) {
                return Err(unsupported_pattern("sqs", &call.action, &call.pattern.to_string()));
            }
            let mut p = object(&call.parameters);
            let resource = format!("arn:aws:states:::sqs:{}", call.action);
            let queue_url = required_str(&p, "QueueUrl", &resource)?.to_owned();
            // A body that is not a string is sent as its JSON text.
            if let Some(body) = p.get_mut("MessageBody").filter(|b| !b.is_string() && !b.is_null())
            {
                *body = Value::String(as_text(body));
            }
            let region = region_of_queue_url(&queue_url).unwrap_or(&call.region).to_owned();
            let endpoint = queue_endpoint(&aws, &queue_url, &region);
            let request = json_request(Service::Sqs, &region, endpoint, action, &Value::Object(p));
            let (reply, body) =
                call_json(&aws, request, "SQS", |e| e.optimized_fault(Service::Sqs)).await?;
            Ok(with_sdk_metadata(object(&body), &reply, &reply.request_id()))
        })
    }
}

/// The configured SQS endpoint, else the queue URL's own origin, else (not a URL) the
/// queue URL as a host that will not resolve, as the SDK would try it.
fn queue_endpoint(aws: &AwsClient, queue_url: &str, region: &str) -> Endpoint {
    let configured = aws.endpoint(Service::Sqs, region);
    if configured.overridden {
        return configured;
    }
    match origin_of(queue_url) {
        Some(url) => Endpoint { url, overridden: false },
        None => Endpoint { url: format!("https://{queue_url}"), overridden: false },
    }
}
