//! `arn:aws:states:::aws-sdk:<service>:<action>` for services on the AWS JSON protocols:
//! the action in lowerCamel becomes the `X-Amz-Target` operation (`getItem` →
//! `DynamoDB_20120810.GetItem`), the parameters are the API's own (PascalCase), the
//! result is the service's answer, and errors are `<Service>.<Exception>` as the SDK for
//! Java v2 names them (`DynamoDb.ResourceNotFoundException`, `Sqs.QueueDoesNotExistException`,
//! or the service's generic `DynamoDb.DynamoDbException` for an error its model does not declare).
use serde_json::Value;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::errors::unsupported_pattern;
use super::protocol::{call_json, json_request, object, region_of_queue_url};
use super::service::{Protocol, Service};
use super::transport::AwsClient;

/// The `aws-sdk:` services served here, by the name their resources use.
pub const SDK_SERVICES: [Service; 6] = [
    Service::DynamoDb,
    Service::Sqs,
    Service::EventBridge,
    Service::SecretsManager,
    Service::Ssm,
    Service::Kinesis,
];

/// One `aws-sdk:<service>` integration.
#[derive(Debug, Clone)]
pub struct Sdk {
    service: Service,
    aws: AwsClient,
}

impl Sdk {
    /// The integration for `service`, which must speak an AWS JSON protocol.
    pub fn new(service: Service, aws: AwsClient) -> Sdk {
        assert!(matches!(service.protocol(), Protocol::Json { .. }), "{service:?} is not AWS JSON");
        Sdk { service, aws }
    }

    /// The resource type it is registered under (`aws-sdk:dynamodb`).
    pub fn resource_type(&self) -> String {
        format!("aws-sdk:{}", self.service.key())
    }
}

impl Integration for Sdk {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, service, call) = (self.aws.clone(), self.service, call.clone());
        Box::pin(async move {
            if !matches!(call.pattern, Pattern::RequestResponse | Pattern::WaitForTaskToken) {
                return Err(unsupported_pattern(
                    &format!("aws-sdk:{}", service.key()),
                    &call.action,
                    &call.pattern.to_string(),
                ));
            }
            let body = Value::Object(object(&call.parameters));
            let region = match service {
                Service::Sqs => body
                    .get("QueueUrl")
                    .and_then(Value::as_str)
                    .and_then(region_of_queue_url)
                    .unwrap_or(&call.region)
                    .to_owned(),
                _ => call.region.clone(),
            };
            let endpoint = aws.endpoint(service, &region);
            let request = json_request(service, &region, endpoint, &operation(&call.action), &body);
            let (_, result) =
                call_json(&aws, request, service.sdk_name(), |e| e.sdk_fault(service)).await?;
            Ok(result)
        })
    }
}

/// `getItem` → `GetItem`.
fn operation(action: &str) -> String {
    let mut c = action.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_become_operations() {
        assert_eq!(super::operation("getItem"), "GetItem");
        assert_eq!(super::operation("listSecrets"), "ListSecrets");
    }
}
