//! An HTTP Task's `Parameters` (or `Arguments`) read and checked: what to call, how,
//! with what, through which connection.
//!
//! The fields and their rules are those of AWS's HTTP Task reference ("Call HTTPS APIs in
//! Step Functions workflows"). A field AWS does not know, or a value of the wrong type,
//! fails the task with `States.Runtime` naming it.
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;
use serde_json::{Map, Value};
use stepwise_asl::Fault;

use super::faults;
use super::form::ArrayFormat;

/// A checked HTTP Task request, before the connection adds its part.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    pub method: Method,
    /// `ApiEndpoint` without a fragment; it may carry a query of its own.
    pub endpoint: String,
    pub connection_arn: String,
    /// The task's `Headers`, in order (a header given as an array repeats).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub query: Option<Query>,
    pub body: Option<Value>,
    pub url_encoded: bool,
    pub array_format: ArrayFormat,
}

/// `QueryParameters`: an object (or array) to encode, or a query string used as written.
#[derive(Debug, Clone)]
pub(crate) enum Query {
    Structured(Value),
    Raw(String),
}

const FIELDS: [&str; 8] = [
    "ApiEndpoint",
    "Method",
    "Authentication",
    "InvocationConfig",
    "Headers",
    "QueryParameters",
    "RequestBody",
    "Transform",
];

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// Headers AWS refuses in a task's `Headers` (it sets some itself, the others belong to
/// the connection or the transport), compared without case.
const FORBIDDEN_HEADERS: [&str; 32] = [
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
];

const FORBIDDEN_PREFIXES: [&str; 3] = ["x-forwarded-", "x-amz-", "x-amzn-"];

impl Invocation {
    /// Reads `parameters`, or says what AWS would refuse.
    pub(crate) fn read(parameters: &Value) -> Result<Invocation, Fault> {
        let Value::Object(p) = parameters else {
            return Err(faults::runtime("The HTTP Task's Parameters must be an object"));
        };
        if let Some(unknown) = p.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(faults::runtime(format!(
                "The field '{unknown}' is not supported by the HTTP Task; it takes {}",
                FIELDS.join(", ")
            )));
        }
        let (url_encoded, array_format) = transform(p.get("Transform"))?;
        Ok(Invocation {
            method: method(p)?,
            endpoint: endpoint(p)?,
            connection_arn: connection_arn(p)?,
            headers: headers(p.get("Headers"))?,
            query: query(p.get("QueryParameters"))?,
            body: p.get("RequestBody").cloned(),
            url_encoded,
            array_format,
        })
    }
}

fn required_string<'a>(p: &'a Map<String, Value>, field: &str) -> Result<&'a str, Fault> {
    match p.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(faults::runtime(format!(
            "The field '{field}' must be a string, not {}",
            type_name(other)
        ))),
        None => Err(faults::runtime(format!("The field '{field}' is required but was missing"))),
    }
}

fn method(p: &Map<String, Value>) -> Result<Method, Fault> {
    let name = required_string(p, "Method")?;
    if !METHODS.contains(&name) {
        return Err(faults::runtime(format!(
            "The Method '{name}' is not supported; use one of {}",
            METHODS.join(", ")
        )));
    }
    Method::from_bytes(name.as_bytes()).map_err(|_| faults::runtime("invalid Method"))
}

fn endpoint(p: &Map<String, Value>) -> Result<String, Fault> {
    let raw = required_string(p, "ApiEndpoint")?;
    let without_fragment = raw.split('#').next().unwrap_or_default();
    let valid = without_fragment.parse::<hyper::Uri>().ok().is_some_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https"))
            && uri.host().is_some_and(|h| !h.is_empty())
    });
    if !valid {
        return Err(faults::runtime(format!("The ApiEndpoint '{raw}' is not a valid http(s) URL")));
    }
    Ok(without_fragment.to_owned())
}

/// `Authentication.ConnectionArn` or `InvocationConfig.ConnectionArn`: AWS takes either.
fn connection_arn(p: &Map<String, Value>) -> Result<String, Fault> {
    let field = match (p.get("Authentication"), p.get("InvocationConfig")) {
        (Some(_), Some(_)) => {
            return Err(faults::runtime(
                "Specify the connection in either Authentication or InvocationConfig, not both",
            ))
        }
        (Some(_), None) => "Authentication",
        (None, Some(_)) => "InvocationConfig",
        (None, None) => {
            return Err(faults::runtime(
                "The field 'Authentication' is required but was missing: an HTTP Task needs an EventBridge connection (Authentication.ConnectionArn)",
            ))
        }
    };
    let Some(Value::Object(config)) = p.get(field) else {
        return Err(faults::runtime(format!("The field '{field}' must be an object")));
    };
    match config.get("ConnectionArn") {
        Some(Value::String(arn)) if !arn.is_empty() => Ok(arn.clone()),
        _ => Err(faults::runtime(format!(
            "The field '{field}.ConnectionArn' is required but was missing"
        ))),
    }
}

fn headers(field: Option<&Value>) -> Result<Vec<(HeaderName, HeaderValue)>, Fault> {
    let Some(value) = field else { return Ok(Vec::new()) };
    let Value::Object(map) = value else {
        return Err(faults::runtime(format!(
            "The field 'Headers' must be an object, not {}",
            type_name(value)
        )));
    };
    let mut headers = Vec::new();
    for (name, value) in map {
        if is_forbidden(name) {
            return Err(faults::runtime(format!(
                "The header '{name}' is not allowed in an HTTP Task"
            )));
        }
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| faults::runtime(format!("'{name}' is not a valid header name")))?;
        let values: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for v in values {
            if matches!(v, Value::Object(_) | Value::Array(_) | Value::Null) {
                return Err(faults::runtime(format!(
                    "The header '{name}' must be a string, not {}",
                    type_name(v)
                )));
            }
            let text = super::form::scalar(v);
            let header_value = HeaderValue::from_str(&text).map_err(|_| {
                faults::runtime(format!(
                    "The value of the header '{name}' is not a valid header value"
                ))
            })?;
            headers.push((header.clone(), header_value));
        }
    }
    Ok(headers)
}

pub(crate) fn is_forbidden(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FORBIDDEN_HEADERS.contains(&lower.as_str())
        || FORBIDDEN_PREFIXES.iter().any(|prefix| lower.starts_with(prefix))
}

fn query(field: Option<&Value>) -> Result<Option<Query>, Fault> {
    match field {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Query::Raw(s.trim_start_matches('?').to_owned()))),
        Some(v @ (Value::Object(_) | Value::Array(_))) => Ok(Some(Query::Structured(v.clone()))),
        Some(other) => Err(faults::runtime(format!(
            "The field 'QueryParameters' must be an object, an array or a string, not {}",
            type_name(other)
        ))),
    }
}

fn transform(field: Option<&Value>) -> Result<(bool, ArrayFormat), Fault> {
    let Some(value) = field else { return Ok((false, ArrayFormat::default())) };
    let Value::Object(t) = value else {
        return Err(faults::runtime("The field 'Transform' must be an object"));
    };
    if let Some(unknown) =
        t.keys().find(|k| !matches!(k.as_str(), "RequestBodyEncoding" | "RequestEncodingOptions"))
    {
        return Err(faults::runtime(format!(
            "The field 'Transform.{unknown}' is not supported; Transform takes RequestBodyEncoding and RequestEncodingOptions"
        )));
    }
    let url_encoded = match t.get("RequestBodyEncoding") {
        None => false,
        Some(Value::String(s)) if s == "NONE" => false,
        Some(Value::String(s)) if s == "URL_ENCODED" => true,
        Some(other) => {
            return Err(faults::runtime(format!(
                "Transform.RequestBodyEncoding must be NONE or URL_ENCODED, not {other}"
            )))
        }
    };
    let array_format = match t.get("RequestEncodingOptions") {
        None => ArrayFormat::default(),
        Some(Value::Object(options)) => match options.get("ArrayFormat") {
            None => ArrayFormat::default(),
            Some(Value::String(name)) => ArrayFormat::parse(name).ok_or_else(|| {
                faults::runtime(format!(
                    "Transform.RequestEncodingOptions.ArrayFormat must be INDICES, REPEAT, COMMAS or BRACKETS, not '{name}'"
                ))
            })?,
            Some(other) => {
                return Err(faults::runtime(format!(
                    "Transform.RequestEncodingOptions.ArrayFormat must be a string, not {}",
                    type_name(other)
                )))
            }
        },
        Some(_) => {
            return Err(faults::runtime("Transform.RequestEncodingOptions must be an object"))
        }
    };
    Ok((url_encoded, array_format))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn base() -> Value {
        json!({"ApiEndpoint": "https://api.example.com/v1", "Method": "GET",
               "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:1:connection/c/1"}})
    }

    fn with(field: &str, value: Value) -> Value {
        let mut p = base();
        p[field] = value;
        p
    }

    #[track_caller]
    fn refused(parameters: Value, cause: &str) {
        let fault = Invocation::read(&parameters).unwrap_err();
        assert_eq!((fault.error.as_str(), fault.cause.as_str()), ("States.Runtime", cause));
    }

    #[test]
    fn reads_every_field() {
        let p = json!({"ApiEndpoint": "https://api.example.com/v1?x=1#frag", "Method": "POST",
            "InvocationConfig": {"ConnectionArn": "arn:c"},
            "Headers": {"Content-Type": "application/x-www-form-urlencoded", "X-N": 3, "X-Many": ["a", "b"]},
            "QueryParameters": {"q": ["a", "b"]}, "RequestBody": {"k": "v"},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "COMMAS"}}});
        let i = Invocation::read(&p).unwrap();
        assert_eq!(i.method, Method::POST);
        assert_eq!(i.endpoint, "https://api.example.com/v1?x=1");
        assert_eq!(i.connection_arn, "arn:c");
        let headers: Vec<(String, String)> = i
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            headers,
            [
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-n", "3"),
                ("x-many", "a"),
                ("x-many", "b")
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        assert!(matches!(i.query, Some(Query::Structured(_))));
        assert_eq!(i.body, Some(json!({"k": "v"})));
        assert!(i.url_encoded);
        assert_eq!(i.array_format, ArrayFormat::Commas);
    }

    #[test]
    fn refuses_what_aws_refuses() {
        refused(
            with("Headers", json!({"Authorization": "x"})),
            "The header 'Authorization' is not allowed in an HTTP Task",
        );
        refused(
            with("Headers", json!({"X-Amz-Date": "x"})),
            "The header 'X-Amz-Date' is not allowed in an HTTP Task",
        );
        refused(
            with("Headers", json!({"x-forwarded-for": "x"})),
            "The header 'x-forwarded-for' is not allowed in an HTTP Task",
        );
        refused(with("Method", json!("TRACE")), "The Method 'TRACE' is not supported; use one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD");
        refused(
            with("ApiEndpoint", json!("ftp://x")),
            "The ApiEndpoint 'ftp://x' is not a valid http(s) URL",
        );
        refused(
            with("Transform", json!({"RequestBodyEncoding": "GZIP"})),
            "Transform.RequestBodyEncoding must be NONE or URL_ENCODED, not \"GZIP\"",
        );
        refused(with("Extra", json!(1)), "The field 'Extra' is not supported by the HTTP Task; it takes ApiEndpoint, Method, Authentication, InvocationConfig, Headers, QueryParameters, RequestBody, Transform");
        let mut p = base();
        p.as_object_mut().unwrap().remove("Authentication");
        refused(p, "The field 'Authentication' is required but was missing: an HTTP Task needs an EventBridge connection (Authentication.ConnectionArn)");
        let mut p = base();
        p.as_object_mut().unwrap().remove("Method");
        refused(p, "The field 'Method' is required but was missing");
    }

    #[test]
    fn set_headers_are_allowed() {
        for allowed in ["Content-Type", "Accept", "User-Agent", "Range", "X-Custom"] {
            assert!(!is_forbidden(allowed), "{allowed}");
        }
    }
}
