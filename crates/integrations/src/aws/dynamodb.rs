//! `arn:aws:states:::dynamodb:getItem`, `putItem`, `updateItem`, `deleteItem`: the
//! DynamoDB optimized integration, which AWS offers for Request Response only.
use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::errors::unsupported_pattern;
use super::protocol::{call_json, json_request, object, with_sdk_metadata};
use super::service::Service;
use super::transport::AwsClient;

/// The `dynamodb` optimized integration.
#[derive(Debug, Clone)]
pub struct DynamoDb {
    aws: AwsClient,
}

impl DynamoDb {
    pub fn new(aws: AwsClient) -> DynamoDb {
        DynamoDb { aws }
    }
}

impl Integration for DynamoDb {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, call) = (self.aws.clone(), call.clone());
        Box::pin(async move {
            let action = match call.action.as_str() {
                "getItem" => "GetItem",
                "putItem" => "PutItem",
                "updateItem" => "UpdateItem",
                "deleteItem" => "DeleteItem",
                other => {
                    return Err(Fault::runtime(format!(
                    "Stepwise does not support the resource arn:aws:states:::dynamodb:{other} yet"
                )))
                }
            };
            if call.pattern != Pattern::RequestResponse {
                return Err(unsupported_pattern(
                    "dynamodb",
                    &call.action,
                    &call.pattern.to_string(),
                ));
            }
            let endpoint = aws.endpoint(Service::DynamoDb, &call.region);
            let body = serde_json::Value::Object(object(&call.parameters));
            let request = json_request(Service::DynamoDb, &call.region, endpoint, action, &body);
            let (reply, body) =
                call_json(&aws, request, "DynamoDB", |e| e.optimized_fault(Service::DynamoDb))
                    .await?;
            Ok(with_sdk_metadata(object(&body), &reply, &reply.request_id()))
        })
    }
}
