//! The endpoint's answer as the task's result: AWS's shape
//! `{"Headers": {name: [values]}, "ResponseBody": …, "StatusCode": n, "StatusText": "…"}`,
//! or the error AWS raises.
use hyper::header::{HeaderMap, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::{Map, Value};
use stepwise_asl::Fault;

use super::faults;
use crate::client::CappedResponse;

/// The most of a body a task may take: a state's payload limit.
pub(crate) const MAX_BODY: usize = 262_144;

/// The result of a call answered with `answer`.
pub(crate) fn outcome(method: &Method, answer: CappedResponse) -> Result<Value, Fault> {
    let response = answer.response;
    let status_text = status_text(response.status);
    if !(200..300).contains(&response.status) {
        return Err(faults::status(response.status, &status_text));
    }
    let media_type = media_type(&response.headers);
    if unsupported(&media_type) {
        return Err(faults::runtime(format!(
            "The response has the content-type '{media_type}', which the HTTP Task does not support (application/octet-stream, image/*, video/*, audio/*)"
        )));
    }
    if answer.truncated {
        return Err(faults::data_limit(format!(
            "The response body is larger than {MAX_BODY} bytes, the most a state's payload may hold"
        )));
    }
    let mut output = Map::new();
    output.insert("Headers".into(), headers(&response.headers));
    if *method != Method::HEAD && !response.body.is_empty() {
        let Ok(text) = std::str::from_utf8(&response.body) else {
            return Err(faults::runtime("The response body is not a valid UTF-8 string"));
        };
        output.insert("ResponseBody".into(), body(text, &media_type));
    }
    output.insert("StatusCode".into(), Value::from(response.status));
    output.insert("StatusText".into(), Value::String(status_text));
    Ok(Value::Object(output))
}

/// The status's reason phrase (`OK`, `Not Found`), empty for a code without one.
fn status_text(code: u16) -> String {
    StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default()
        .to_owned()
}

/// The content type without its parameters, lowercase (`application/json`).
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn unsupported(media_type: &str) -> bool {
    media_type == "application/octet-stream"
        || ["image/", "video/", "audio/"].iter().any(|p| media_type.starts_with(p))
}

/// Every header, lowercase, with its values in order.
fn headers(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match out.entry(name.as_str()).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(values) => values.push(Value::String(text)),
            _ => unreachable!("only arrays are inserted"),
        }
    }
    Value::Object(out)
}

/// A JSON body parsed, any other as text.
fn body(text: &str, media_type: &str) -> Value {
    let json = media_type == "application/json" || media_type.ends_with("+json");
    if json {
        if let Ok(value) = serde_json::from_str(text) {
            return value;
        }
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;
    use serde_json::json;

    use super::*;
    use crate::client::FullResponse;

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> CappedResponse {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(*n, HeaderValue::from_static(v));
        }
        CappedResponse {
            response: FullResponse { status, headers: map, body: body.to_owned().into() },
            truncated: false,
        }
    }

    #[test]
    fn json_is_parsed_and_headers_keep_their_order() {
        let out = outcome(
            &Method::GET,
            answer(
                200,
                &[("content-type", "application/json"), ("set-cookie", "a"), ("set-cookie", "b")],
                r#"{"a":[1]}"#,
            ),
        )
        .unwrap();
        assert_eq!(
            out.to_string(),
            r#"{"Headers":{"content-type":["application/json"],"set-cookie":["a","b"]},"ResponseBody":{"a":[1]},"StatusCode":200,"StatusText":"OK"}"#
        );
        let text =
            outcome(&Method::GET, answer(201, &[("content-type", "text/plain")], "[1]")).unwrap();
        assert_eq!(text["ResponseBody"], json!("[1]"));
        assert_eq!(text["StatusText"], json!("Created"));
    }

    #[test]
    fn errors() {
        let e = outcome(&Method::GET, answer(404, &[], "gone")).unwrap_err();
        assert_eq!(
            (e.error.as_str(), e.cause.as_str()),
            ("States.Http.StatusCode.404", "Not Found")
        );
        let e =
            outcome(&Method::GET, answer(200, &[("content-type", "image/png")], "x")).unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        let mut big = answer(200, &[], "x");
        big.truncated = true;
        assert_eq!(outcome(&Method::GET, big).unwrap_err().error, "States.DataLimitExceeded");
    }

    #[test]
    fn an_empty_body_has_no_response_body() {
        let out = outcome(&Method::DELETE, answer(204, &[], "")).unwrap();
        assert_eq!(out, json!({"Headers": {}, "StatusCode": 204, "StatusText": "No Content"}));
    }
}
