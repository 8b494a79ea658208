//! `arn:aws:states:::lambda:invoke` (and `.waitForTaskToken`) and the legacy bare
//! function ARN: Lambda's Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`).
//!
//! A function error (`X-Amz-Function-Error`) fails the Task with the function's own
//! `errorType` and its error payload as the cause, as AWS records it; an error without
//! `errorType` (a timeout, running out of memory) is `Lambda.Unknown`. An error of the
//! Lambda service itself is `Lambda.<Exception>` with the SDK for Java v1's cause.
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};
use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::errors::{transport_fault, unsupported_pattern, ServiceError};
use super::protocol::{host_of, object, region_of_arn, with_sdk_metadata};
use super::service::Service;
use super::transport::{AwsClient, Reply, Request};

/// A function may run 15 minutes; the call waits a little longer than that.
const INVOKE_DEADLINE: Duration = Duration::from_secs(15 * 60 + 30);

/// Path segments are encoded except for the unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The `lambda` optimized integration.
#[derive(Debug, Clone)]
pub struct Lambda {
    aws: AwsClient,
}

impl Lambda {
    pub fn new(aws: AwsClient) -> Lambda {
        Lambda { aws }
    }
}

impl Integration for Lambda {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, call) = (self.aws.clone(), call.clone());
        Box::pin(async move {
            if call.action != "invoke" {
                return Err(Fault::runtime(format!(
                    "Stepwise does not support the resource arn:aws:states:::lambda:{} yet",
                    call.action
                )));
            }
            if !matches!(call.pattern, Pattern::RequestResponse | Pattern::WaitForTaskToken) {
                return Err(unsupported_pattern("lambda", "invoke", &call.pattern.to_string()));
            }
            let p = object(&call.parameters);
            let Some(function) = p.get("FunctionName").and_then(Value::as_str) else {
                return Err(Fault::runtime(
                    "The parameter 'FunctionName' of arn:aws:states:::lambda:invoke is required and must be a string",
                ));
            };
            let reply = invoke(&aws, function, &p, &call.region).await?;
            Ok(invoke_result(&reply))
        })
    }
}

/// Invokes `function` (a name, a name with alias or version, or an ARN) with `payload`
/// for a Task whose Resource is the function's ARN itself (the legacy form), and returns
/// what the function returned: the payload alone, parsed as JSON when it is JSON.
pub async fn invoke_lambda(
    aws: &AwsClient,
    function: &str,
    payload: &Value,
    region: &str,
) -> Result<Value, Fault> {
    let mut p = Map::new();
    p.insert("Payload".into(), payload.clone());
    let reply = invoke(aws, function, &p, region).await?;
    Ok(payload_of(&reply))
}

/// Sends Invoke and turns every failure into the Fault AWS records.
async fn invoke(
    aws: &AwsClient,
    function: &str,
    p: &Map<String, Value>,
    call_region: &str,
) -> Result<Reply, Fault> {
    let region = region_of_arn(function).unwrap_or(call_region);
    let endpoint = aws.endpoint(Service::Lambda, region);
    let mut path =
        format!("/2015-03-31/functions/{}/invocations", utf8_percent_encode(function, SEGMENT));
    if let Some(q) = p.get("Qualifier").and_then(Value::as_str) {
        path.push_str(&format!("?Qualifier={}", utf8_percent_encode(q, SEGMENT)));
    }
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    for (param, header) in [
        ("InvocationType", "x-amz-invocation-type"),
        ("LogType", "x-amz-log-type"),
        ("ClientContext", "x-amz-client-context"),
    ] {
        if let Some(v) = p.get(param).and_then(Value::as_str) {
            headers.push((header.to_owned(), v.to_owned()));
        }
    }
    let host = host_of(&endpoint.url).to_owned();
    let request = Request {
        service: Service::Lambda,
        region: region.to_owned(),
        endpoint,
        method: "POST",
        path,
        headers,
        body: payload_bytes(p.get("Payload")),
        deadline: INVOKE_DEADLINE,
    };
    let reply = aws.send(request).await.map_err(|e| transport_fault("Lambda", &e, &host))?;
    if !reply.ok() {
        return Err(ServiceError::from_json(&reply).optimized_fault(Service::Lambda));
    }
    if reply.header("x-amz-function-error").is_some() {
        return Err(function_fault(&reply));
    }
    Ok(reply)
}

/// The request body: no payload (or `null`) sends none, which the function receives as
/// `{}`; a string that is JSON is sent as it is, any other string as a JSON string;
/// anything else is serialized.
fn payload_bytes(payload: Option<&Value>) -> Vec<u8> {
    match payload {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if serde_json::from_str::<Value>(s).is_ok() => {
            s.clone().into_bytes()
        }
        Some(other) => other.to_string().into_bytes(),
    }
}

/// What the function returned: JSON when it parses, its text otherwise.
fn payload_of(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&reply.body).into_owned()))
}

/// A function error: named by the payload's `errorType`, `Lambda.Unknown` without one;
/// the cause is the error payload as compact JSON (as AWS records it, whatever spacing
/// the runtime used), or its text when it is not JSON.
fn function_fault(reply: &Reply) -> Fault {
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    match serde_json::from_str::<Value>(&text) {
        Ok(payload) => {
            let error = payload
                .get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("Lambda.Unknown")
                .to_owned();
            Fault::new(error, payload.to_string())
        }
        Err(_) => Fault::new("Lambda.Unknown", text),
    }
}

/// The optimized integration's result, as AWS records it.
fn invoke_result(reply: &Reply) -> Value {
    let mut fields = Map::new();
    if let Some(v) = reply.header("x-amz-executed-version") {
        fields.insert("ExecutedVersion".into(), Value::String(v.to_owned()));
    }
    if let Some(v) = reply.header("x-amz-log-result") {
        fields.insert("LogResult".into(), Value::String(v.to_owned()));
    }
    fields.insert("Payload".into(), payload_of(reply));
    fields.insert("StatusCode".into(), Value::from(reply.status));
    with_sdk_metadata(fields, reply, &reply.request_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_sent_as_step_functions_sends_them() {
        let s = |v: Value| String::from_utf8(payload_bytes(Some(&v))).unwrap();
        assert_eq!(payload_bytes(None), b"");
        assert_eq!(s(Value::Null), "");
        assert_eq!(s(serde_json::json!({"a": 1})), r#"{"a":1}"#);
        assert_eq!(s(Value::String("\"HelloWorld\"".into())), "\"HelloWorld\"");
        assert_eq!(s(Value::String("null".into())), "null");
        assert_eq!(s(Value::String("not json".into())), "\"not json\"");
    }
}
