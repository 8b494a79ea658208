//! The request an HTTP Task sends: the task's fields merged with its connection's, as
//! AWS documents ("Merging EventBridge connection and HTTP Task definition data").
//!
//! The connection's headers, query parameters and body parameters are added to the
//! task's and win on the same key. The body is merged before it is encoded; a string body
//! cannot take the connection's body parameters (`States.Runtime`). Then Step Functions'
//! own headers are set: `User-Agent: Amazon|StepFunctions|HttpInvoke|<region>`,
//! `Range: bytes=0-262144`, and `Host`.
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::Request;
use serde_json::{Map, Value};
use stepwise_asl::Fault;

use super::connections::{Auth, Connection};
use super::faults;
use super::form;
use super::invocation::{Invocation, Query};

/// The `Range` AWS asks every endpoint for: the 256 KiB a state's payload may hold.
pub(crate) const RANGE: &str = "bytes=0-262144";

/// The parts of a request that do not change when it is sent again with a fresh token.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub method: hyper::Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

/// Merges `invocation` with `connection` (all but the credential), or says why AWS would
/// refuse.
pub(crate) fn prepare(
    invocation: &Invocation,
    connection: &Connection,
    region: &str,
) -> Result<Prepared, Fault> {
    let url = url(invocation, connection);
    let body = body(invocation, connection)?;
    let mut headers = HeaderMap::new();
    for (name, value) in &invocation.headers {
        headers.append(name.clone(), value.clone());
    }
    for (name, value) in &connection.invocation.headers {
        let (name, value) = header_pair(name, value)?;
        // HeaderMap compares names without case, as HTTP does: the connection's replaces.
        headers.insert(name, value);
    }
    if body.is_some() && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
    }
    let agent = format!("Amazon|StepFunctions|HttpInvoke|{region}");
    headers.insert(
        header::USER_AGENT,
        HeaderValue::from_str(&agent).map_err(|_| faults::runtime("invalid region"))?,
    );
    headers.insert(header::RANGE, HeaderValue::from_static(RANGE));
    Ok(Prepared { method: invocation.method.clone(), url, headers, body })
}

/// The credential a request carries: what the connection's authorization type puts in
/// its headers (for OAuth, the token it got).
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    Basic { username: String, password: String },
    ApiKey { name: String, value: String },
    Bearer(String),
}

impl Credential {
    /// The credential of a BASIC or API_KEY connection; `None` for OAuth, whose token
    /// must be fetched.
    pub(crate) fn fixed(auth: &Auth) -> Option<Credential> {
        match auth {
            Auth::Basic { username, password } => {
                Some(Credential::Basic { username: username.clone(), password: password.clone() })
            }
            Auth::ApiKey { name, value } => {
                Some(Credential::ApiKey { name: name.clone(), value: value.clone() })
            }
            Auth::ClientCredentials(_) => None,
        }
    }
}

/// The request to send: `prepared` with `credential`'s header.
pub(crate) fn build(
    prepared: &Prepared,
    credential: &Credential,
) -> Result<Request<Full<Bytes>>, Fault> {
    let mut headers = prepared.headers.clone();
    let (name, value) = match credential {
        Credential::Basic { username, password } => {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            (header::AUTHORIZATION.as_str().to_owned(), format!("Basic {encoded}"))
        }
        Credential::ApiKey { name, value } => (name.clone(), value.clone()),
        Credential::Bearer(token) => {
            (header::AUTHORIZATION.as_str().to_owned(), format!("Bearer {token}"))
        }
    };
    let (name, value) = header_pair(&name, &value)?;
    headers.insert(name, value);
    let mut request = Request::builder()
        .method(prepared.method.clone())
        .uri(&prepared.url)
        .body(Full::new(prepared.body.clone().unwrap_or_default()))
        .map_err(|e| faults::runtime(format!("cannot build the request: {e}")))?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// The endpoint with the merged query string.
fn url(invocation: &Invocation, connection: &Connection) -> String {
    let from_connection = &connection.invocation.query;
    let query = match &invocation.query {
        Some(Query::Structured(value)) => {
            let mut merged = match value {
                Value::Object(map) => map.clone(),
                Value::Array(items) => {
                    items.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect()
                }
                _ => Map::new(),
            };
            for (key, value) in from_connection {
                merged.insert(key.clone(), Value::String(value.clone()));
            }
            form::encode(&Value::Object(merged), invocation.array_format)
        }
        Some(Query::Raw(raw)) => {
            // A query string is the user's own encoding: kept as written, the
            // connection's parameters after it.
            let added = encode_pairs(from_connection);
            [raw.as_str(), added.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("&")
        }
        None => encode_pairs(from_connection),
    };
    if query.is_empty() {
        invocation.endpoint.clone()
    } else if invocation.endpoint.contains('?') {
        format!("{}&{query}", invocation.endpoint)
    } else {
        format!("{}?{query}", invocation.endpoint)
    }
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form::escape(k), form::escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The merged body, encoded: JSON by default, a form with `URL_ENCODED`, a string as it
/// is.
fn body(invocation: &Invocation, connection: &Connection) -> Result<Option<Bytes>, Fault> {
    let extra = &connection.invocation.body;
    let merged = match (&invocation.body, extra.is_empty()) {
        (None, true) => return Ok(None),
        (Some(body), true) => body.clone(),
        (None, false) => Value::Object(Map::new()),
        (Some(Value::Object(map)), false) => Value::Object(map.clone()),
        (Some(Value::String(_)), false) => {
            return Err(faults::runtime(
                "The RequestBody is a string, so the body parameters of the connection cannot be merged into it",
            ))
        }
        (Some(_), false) => {
            return Err(faults::runtime(
                "The RequestBody is not an object, so the body parameters of the connection cannot be merged into it",
            ))
        }
    };
    let merged = match merged {
        Value::Object(mut map) => {
            for (key, value) in extra {
                map.insert(key.clone(), Value::String(value.clone()));
            }
            Value::Object(map)
        }
        other => other,
    };
    let text = match &merged {
        Value::String(text) => text.clone(),
        Value::Object(_) | Value::Array(_) if invocation.url_encoded => {
            form::encode(&merged, invocation.array_format)
        }
        _ if invocation.url_encoded => {
            return Err(faults::runtime(
                "The RequestBody must be an object to be URL-encoded (Transform.RequestBodyEncoding: URL_ENCODED)",
            ))
        }
        other => other.to_string(),
    };
    Ok(Some(Bytes::from(text)))
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Fault> {
    let header = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| faults::runtime(format!("'{name}' is not a valid header name")))?;
    let value = HeaderValue::from_str(value)
        .map_err(|_| faults::runtime(format!("the value of the header '{name}' is not valid")))?;
    Ok((header, value))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::connections::HttpParameters;
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// AWS's merge example: the connection's values win, the task's others stay.
    #[test]
    fn merges_as_aws_documents() {
        let invocation = Invocation::read(&json!({
            "Authentication": {"ConnectionArn": "arn:c"},
            "ApiEndpoint": "https://example.com/path", "Method": "GET",
            "Headers": {"Request-Id": "my_request_id", "Header-Param": "state_machine_header_param"},
            "RequestBody": {"Job": "Software Engineer", "Company": "AnyCompany", "BodyParam": "state_machine_body_param"},
            "QueryParameters": {"QueryParam": "state_machine_query_param"}
        }))
        .unwrap();
        let connection = Connection {
            auth: Auth::ApiKey { name: "ApiKey".into(), value: "key_value".into() },
            invocation: HttpParameters {
                headers: pairs(&[("Header-Param", "connection_header_param")]),
                query: pairs(&[("QueryParam", "connection_query_param")]),
                body: pairs(&[("BodyParam", "connection_body_param")]),
            },
        };
        let prepared = prepare(&invocation, &connection, "us-east-2").unwrap();
        let credential = Credential::fixed(&connection.auth).unwrap();
        let request = build(&prepared, &credential).unwrap();
        assert_eq!(request.uri(), "https://example.com/path?QueryParam=connection_query_param");
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        let mut sorted = headers.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            pairs(&[
                ("apikey", "key_value"),
                ("content-type", "application/json; charset=UTF-8"),
                ("header-param", "connection_header_param"),
                ("range", "bytes=0-262144"),
                ("request-id", "my_request_id"),
                ("user-agent", "Amazon|StepFunctions|HttpInvoke|us-east-2"),
            ])
        );
        assert_eq!(
            prepared.body.unwrap(),
            r#"{"Job":"Software Engineer","Company":"AnyCompany","BodyParam":"connection_body_param"}"#
        );
    }

    #[test]
    fn a_string_body_cannot_take_connection_parameters() {
        let invocation = Invocation::read(&json!({
            "Authentication": {"ConnectionArn": "arn:c"}, "ApiEndpoint": "https://e.com", "Method": "POST",
            "RequestBody": "raw text"
        }))
        .unwrap();
        let mut connection = Connection {
            auth: Auth::Basic { username: "u".into(), password: "p".into() },
            invocation: HttpParameters::default(),
        };
        assert_eq!(prepare(&invocation, &connection, "r").unwrap().body.unwrap(), "raw text");
        connection.invocation.body = pairs(&[("k", "v")]);
        let fault = prepare(&invocation, &connection, "r").unwrap_err();
        assert_eq!(fault.error, "States.Runtime");
    }

    #[test]
    fn query_strings_join_the_endpoints_own() {
        let invocation = Invocation::read(&json!({
            "Authentication": {"ConnectionArn": "arn:c"}, "ApiEndpoint": "https://e.com/p?a=1", "Method": "GET",
            "QueryParameters": "b=2&c=%20"
        }))
        .unwrap();
        let connection = Connection {
            auth: Auth::Basic { username: "u".into(), password: "p".into() },
            invocation: HttpParameters {
                query: pairs(&[("d e", "4")]),
                ..HttpParameters::default()
            },
        };
        assert_eq!(
            prepare(&invocation, &connection, "r").unwrap().url,
            "https://e.com/p?a=1&b=2&c=%20&d%20e=4"
        );
    }
}
