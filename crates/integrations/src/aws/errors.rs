//! A service's error answer read from the wire, and the Fault Step Functions records for
//! it: named and worded after the SDK for Java v1 for optimized integrations, after the
//! SDK for Java v2 for `aws-sdk:` ones (`Service: DynamoDb, Status Code: 400, …`).
use serde_json::Value;
use stepwise_asl::Fault;

use super::service::Service;
use super::transport::{Reply, SendError};
use super::xml;

/// An error a service answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceError {
    pub status: u16,
    /// The error's name as the protocol carries it (`ResourceNotFoundException`,
    /// `QueueDoesNotExist`, SNS's `NotFound`).
    pub code: String,
    /// What the SDK for Java v1 shows as `Error Code:` (for SQS, the query protocol's
    /// code `MissingParameter`, given in `x-amzn-query-error`).
    pub wire_code: String,
    pub message: String,
    pub request_id: String,
}

impl ServiceError {
    /// Reads an error answer of a JSON-protocol or REST-JSON service.
    pub(crate) fn from_json(reply: &Reply) -> ServiceError {
        let body = reply.json().unwrap_or(Value::Null);
        let field = |names: &[&str]| {
            names.iter().find_map(|n| body.get(*n).and_then(Value::as_str)).map(str::to_owned)
        };
        let raw = reply
            .header("x-amzn-errortype")
            .map(str::to_owned)
            .or_else(|| field(&["__type", "code", "Code"]))
            .unwrap_or_else(|| format!("Http{}", reply.status));
        let code = short_code(&raw);
        let query =
            reply.header("x-amzn-query-error").and_then(|q| q.split(';').next()).map(str::to_owned);
        let message = field(&["message", "Message", "errorMessage"]).unwrap_or_default();
        ServiceError {
            status: reply.status,
            wire_code: query.unwrap_or_else(|| code.clone()),
            code,
            message,
            request_id: reply.request_id(),
        }
    }

    /// Reads an error answer of a query-protocol service (`<ErrorResponse><Error>…`).
    pub(crate) fn from_xml(reply: &Reply) -> ServiceError {
        let text = String::from_utf8_lossy(&reply.body);
        let code = xml::text_of(&text, "Code").unwrap_or_else(|| format!("Http{}", reply.status));
        let request_id = xml::text_of(&text, "RequestId").unwrap_or_else(|| reply.request_id());
        ServiceError {
            status: reply.status,
            wire_code: code.clone(),
            code,
            message: xml::text_of(&text, "Message").unwrap_or_default(),
            request_id,
        }
    }

    /// The Fault of an optimized integration: `SQS.AmazonSQSException`,
    /// `DynamoDB.ConditionalCheckFailedException`, `SNS.NotFoundException`, with the
    /// SDK for Java v1's cause.
    pub(crate) fn optimized_fault(&self, service: Service) -> Fault {
        let class = match service.modeled(&self.code) {
            Some(shape) => with_exception_suffix(shape),
            None => service.v1_generic_exception().to_owned(),
        };
        Fault::new(
            format!("{}.{class}", service.optimized_prefix()),
            format!(
                "{} (Service: {}; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
                self.message,
                service.v1_service_name(),
                self.status,
                self.wire_code,
                self.request_id
            ),
        )
    }

    /// The Fault of an `aws-sdk:` integration: `DynamoDb.ResourceNotFoundException`,
    /// `SecretsManager.SecretsManagerException`, with the SDK for Java v2's cause.
    pub(crate) fn sdk_fault(&self, service: Service) -> Fault {
        let name = service.sdk_name();
        let class = match service.modeled(&self.code) {
            Some(shape) => with_exception_suffix(shape),
            None => format!("{name}Exception"),
        };
        Fault::new(
            format!("{name}.{class}"),
            format!(
                "{} (Service: {name}, Status Code: {}, Request ID: {})",
                self.message, self.status, self.request_id
            ),
        )
    }
}

/// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` and
/// `ResourceNotFoundException:http://internal.amazon.com/…` are `ResourceNotFoundException`.
fn short_code(raw: &str) -> String {
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw).trim().to_owned()
}

/// The Java SDKs name an error shape's class with an `Exception` suffix.
pub(crate) fn with_exception_suffix(shape: &str) -> String {
    if shape.ends_with("Exception") {
        shape.to_owned()
    } else {
        format!("{shape}Exception")
    }
}

/// A request that got no answer: the SDKs' `SdkClientException`.
pub(crate) fn transport_fault(prefix: &str, error: &SendError, host: &str) -> Fault {
    let cause = match error {
        SendError::Build(e) => format!("Unable to execute HTTP request: {e}"),
        SendError::Transport(crate::client::Error::Timeout(d)) => {
            format!("Unable to execute HTTP request: no response within {} s", d.as_secs())
        }
        SendError::Transport(crate::client::Error::Transport(e)) => {
            if e.contains("dns error") || e.contains("failed to lookup address") {
                // The SDKs show the resolver's words after the host.
                format!("Unable to execute HTTP request: {host}: Name or service not known")
            } else {
                format!("Unable to execute HTTP request: {e}")
            }
        }
    };
    Fault::new(format!("{prefix}.SdkClientException"), cause)
}

/// A pattern the integration does not offer, refused as AWS refuses it.
pub(crate) fn unsupported_pattern(resource_type: &str, action: &str, pattern: &str) -> Fault {
    Fault::runtime(format!(
        "The resource arn:aws:states:::{resource_type}:{action} does not support the {pattern} integration pattern"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply::for_test(status, headers, body)
    }

    #[test]
    fn dynamodb_errors_both_ways() {
        let r = reply(
            400,
            &[("x-amzn-requestid", "RID")],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#,
        );
        let e = ServiceError::from_json(&r);
        let opt = e.optimized_fault(Service::DynamoDb);
        assert_eq!(opt.error, "DynamoDB.ResourceNotFoundException");
        assert_eq!(opt.cause, "Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: RID; Proxy: null)");
        let sdk = e.sdk_fault(Service::DynamoDb);
        assert_eq!(sdk.error, "DynamoDb.ResourceNotFoundException");
        assert_eq!(
            sdk.cause,
            "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: RID)"
        );

        let v = reply(
            400,
            &[],
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#,
        );
        let e = ServiceError::from_json(&v);
        assert_eq!(e.optimized_fault(Service::DynamoDb).error, "DynamoDB.AmazonDynamoDBException");
        assert_eq!(e.sdk_fault(Service::DynamoDb).error, "DynamoDb.DynamoDbException");
    }

    #[test]
    fn sqs_query_codes_and_sns_xml() {
        let r = reply(
            400,
            &[("x-amzn-query-error", "MissingParameter;Sender")],
            r#"{"__type":"com.amazonaws.sqs#MissingParameter","message":"The request must contain the parameter MessageBody."}"#,
        );
        let f = ServiceError::from_json(&r).optimized_fault(Service::Sqs);
        assert_eq!(f.error, "SQS.AmazonSQSException");
        assert!(f.cause.contains("Error Code: MissingParameter;"), "{}", f.cause);
        let q =
            reply(400, &[], r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"}"#);
        assert_eq!(
            ServiceError::from_json(&q).sdk_fault(Service::Sqs).error,
            "Sqs.QueueDoesNotExistException"
        );

        let x = reply(404, &[], "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>R1</RequestId></ErrorResponse>");
        let f = ServiceError::from_xml(&x).optimized_fault(Service::Sns);
        assert_eq!(f.error, "SNS.NotFoundException");
        assert_eq!(f.cause, "Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: R1; Proxy: null)");
    }
}
