//! `arn:aws:states:::sns:publish` (and `.waitForTaskToken`): SNS speaks the query
//! protocol, a form body with `Action=Publish`, and answers in XML.
use serde_json::{Map, Value};
use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::errors::{transport_fault, unsupported_pattern, ServiceError};
use super::protocol::{as_text, host_of, object, region_of_arn, with_sdk_metadata, CALL_DEADLINE};
use super::service::{Protocol, Service};
use super::transport::{AwsClient, Request};
use super::xml;

/// The `sns` optimized integration.
#[derive(Debug, Clone)]
pub struct Sns {
    aws: AwsClient,
}

impl Sns {
    pub fn new(aws: AwsClient) -> Sns {
        Sns { aws }
    }
}

impl Integration for Sns {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, call) = (self.aws.clone(), call.clone());
        Box::pin(async move {
            if call.action != "publish" {
                return Err(Fault::runtime(format!(
                    "Stepwise does not support the resource arn:aws:states:::sns:{} yet",
                    call.action
                )));
            }
            if !matches!(call.pattern, Pattern::RequestResponse | Pattern::WaitForTaskToken) {
                return Err(unsupported_pattern("sns", "publish", &call.pattern.to_string()));
            }
            let p = object(&call.parameters);
            let target =
                ["TopicArn", "TargetArn"].iter().find_map(|k| p.get(*k).and_then(Value::as_str));
            let region = target.and_then(region_of_arn).unwrap_or(&call.region).to_owned();
            let endpoint = aws.endpoint(Service::Sns, &region);
            let host = host_of(&endpoint.url).to_owned();
            let request = Request {
                service: Service::Sns,
                region,
                endpoint,
                method: "POST",
                path: "/".into(),
                headers: vec![(
                    "content-type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                )],
                body: publish_form(&p).into_bytes(),
                deadline: CALL_DEADLINE,
            };
            let reply = aws.send(request).await.map_err(|e| transport_fault("SNS", &e, &host))?;
            if !reply.ok() {
                return Err(ServiceError::from_xml(&reply).optimized_fault(Service::Sns));
            }
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            let mut fields = Map::new();
            for name in ["MessageId", "SequenceNumber"] {
                if let Some(v) = xml::text_of(&text, name) {
                    fields.insert(name.into(), Value::String(v));
                }
            }
            let request_id = xml::text_of(&text, "RequestId").unwrap_or_else(|| reply.request_id());
            Ok(with_sdk_metadata(fields, &reply, &request_id))
        })
    }
}

/// The Publish request as a query-protocol form. A `Message` that is not a string is
/// sent as its JSON text; `MessageAttributes` become `MessageAttributes.entry.N.*`.
fn publish_form(p: &Map<String, Value>) -> String {
    let Protocol::Query { version } = Service::Sns.protocol() else { unreachable!("SNS is query") };
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", "Publish").append_pair("Version", version);
    for (name, value) in p {
        match (name.as_str(), value) {
            ("MessageAttributes", Value::Object(attributes)) => {
                for (n, (attr, v)) in attributes.iter().enumerate() {
                    let prefix = format!("MessageAttributes.entry.{}", n + 1);
                    form.append_pair(&format!("{prefix}.Name"), attr);
                    for field in ["DataType", "StringValue", "BinaryValue"] {
                        if let Some(x) = v.get(field) {
                            form.append_pair(&format!("{prefix}.Value.{field}"), &as_text(x));
                        }
                    }
                }
            }
            (_, Value::Null) => {}
            (name, value) => {
                form.append_pair(name, &as_text(value));
            }
        }
    }
    form.finish()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn publish_is_a_query_form() {
        let p = super::object(&json!({
            "TopicArn": "arn:aws:sns:us-east-1:1:t",
            "Message": {"a": 1},
            "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}
        }));
        let form = super::publish_form(&p);
        assert!(form.starts_with("Action=Publish&Version=2010-03-31&"), "{form}");
        assert!(form.contains("Message=%7B%22a%22%3A1%7D"), "{form}");
        assert!(form.contains("MessageAttributes.entry.1.Name=k"), "{form}");
        assert!(form.contains("MessageAttributes.entry.1.Value.StringValue=v"), "{form}");
    }
}
