//! Building requests in the services' protocols, and the few facts calls read from
//! their parameters (a region in an ARN or a queue URL).
use std::time::Duration;

use serde_json::{Map, Value};
use stepwise_asl::Fault;

use super::config::Endpoint;
use super::errors::{transport_fault, ServiceError};
use super::service::{Protocol, Service};
use super::transport::{AwsClient, Reply, Request};

/// How long a call other than a Lambda invocation may take before it is a transport
/// error (the SDKs' default socket timeout is of this order).
pub(crate) const CALL_DEADLINE: Duration = Duration::from_secs(70);

/// One AWS JSON call (`POST /`, `X-Amz-Target: <prefix>.<Action>`) to `endpoint`.
pub(crate) fn json_request(
    service: Service,
    region: &str,
    endpoint: Endpoint,
    action: &str,
    body: &Value,
) -> Request {
    let Protocol::Json { version, target_prefix } = service.protocol() else {
        unreachable!("{service:?} does not speak AWS JSON")
    };
    Request {
        service,
        region: region.to_owned(),
        endpoint,
        method: "POST",
        path: "/".into(),
        headers: vec![
            ("content-type".into(), format!("application/x-amz-json-{version}")),
            ("x-amz-target".into(), format!("{target_prefix}.{action}")),
        ],
        body: serde_json::to_vec(body).unwrap_or_default(),
        deadline: CALL_DEADLINE,
    }
}

/// Sends a request and reads a JSON answer; errors become Faults through `to_fault`
/// (optimized or `aws-sdk:` naming), transport failures `<prefix>.SdkClientException`.
pub(crate) async fn call_json(
    aws: &AwsClient,
    request: Request,
    fault_prefix: &str,
    to_fault: impl Fn(&ServiceError) -> Fault,
) -> Result<(Reply, Value), Fault> {
    let host = host_of(&request.endpoint.url).to_owned();
    let reply = aws.send(request).await.map_err(|e| transport_fault(fault_prefix, &e, &host))?;
    if !reply.ok() {
        return Err(to_fault(&ServiceError::from_json(&reply)));
    }
    let mut body = reply.json().ok_or_else(|| {
        Fault::new(
            format!("{fault_prefix}.SdkClientException"),
            format!(
                "Unable to unmarshall response: {}",
                String::from_utf8_lossy(&reply.body).chars().take(200).collect::<String>()
            ),
        )
    })?;
    drop_nulls(&mut body);
    Ok((reply, body))
}

/// Removes `null` members: the SDK for Java reads a response into objects, where a null
/// member is an absent one, so Step Functions never shows a service's nulls (moto, for
/// one, answers `"NextToken": null`).
pub(crate) fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The host (and port) of a URL.
pub(crate) fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// `scheme://authority` of an http(s) URL, `None` for anything else.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = host_of(url);
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// The region field of an ARN (`arn:aws:lambda:eu-west-1:…` → `eu-west-1`).
pub(crate) fn region_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    if parts.next()? != "arn" {
        return None;
    }
    let region = parts.nth(2)?;
    (!region.is_empty()).then_some(region)
}

/// The region of an SQS queue URL on AWS (`https://sqs.eu-west-1.amazonaws.com/…`, or
/// the legacy `https://eu-west-1.queue.amazonaws.com/…`).
pub(crate) fn region_of_queue_url(url: &str) -> Option<&str> {
    let host = host_of(url);
    let host = host.split(':').next().unwrap_or(host);
    if !host.contains(".amazonaws.com") {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        ["sqs", region, ..] => Some(region),
        [region, "queue", ..] => Some(region),
        _ => None,
    }
}

/// A JSON value as text, the way Step Functions passes a non-string message body: a
/// string as it is, anything else serialized.
pub(crate) fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The state's parameters as an object (a Task with no Parameters passes its input).
pub(crate) fn object(parameters: &Value) -> Map<String, Value> {
    match parameters {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    }
}

/// An optimized integration's result: the service's fields, then
/// `SdkHttpMetadata`/`SdkResponseMetadata`, in the alphabetical order AWS's records use.
pub(crate) fn with_sdk_metadata(
    fields: Map<String, Value>,
    reply: &Reply,
    request_id: &str,
) -> Value {
    let mut all: Vec<(String, Value)> = fields.into_iter().collect();
    all.push(("SdkHttpMetadata".into(), reply.sdk_http_metadata()));
    all.push(("SdkResponseMetadata".into(), reply.sdk_response_metadata(request_id)));
    all.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(all.into_iter().collect())
}

/// A required string parameter, or the Fault AWS's validation would give at runtime.
pub(crate) fn required_str<'a>(
    p: &'a Map<String, Value>,
    name: &str,
    resource: &str,
) -> Result<&'a str, Fault> {
    p.get(name).and_then(Value::as_str).ok_or_else(|| {
        Fault::runtime(format!(
            "The parameter '{name}' of {resource} is required and must be a string"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_dropped_as_the_sdks_drop_them() {
        let mut v =
            serde_json::json!({"SecretList": [{"Name": "a", "Tags": null}], "NextToken": null});
        drop_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"SecretList": [{"Name": "a"}]}));
    }

    #[test]
    fn regions_and_hosts() {
        assert_eq!(region_of_arn("arn:aws:lambda:eu-west-1:1:function:f"), Some("eu-west-1"));
        assert_eq!(region_of_arn("my-function"), None);
        assert_eq!(region_of_arn("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(
            region_of_queue_url("https://sqs.ap-south-1.amazonaws.com/1/q"),
            Some("ap-south-1")
        );
        assert_eq!(
            region_of_queue_url("https://eu-west-2.queue.amazonaws.com/1/q"),
            Some("eu-west-2")
        );
        assert_eq!(region_of_queue_url("http://127.0.0.1:5000/1/q"), None);
        assert_eq!(
            origin_of("http://127.0.0.1:5000/1/q").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(origin_of("no-such-queue"), None);
        assert_eq!(host_of("http://no-such-queue-1"), "no-such-queue-1");
    }
}
