//! Tokens of OAuth client-credentials connections, fetched from the connection's
//! authorization endpoint and kept until they are about to expire.
//!
//! As EventBridge does: the client ID and secret go as HTTP Basic credentials, with the
//! connection's `OAuthHttpParameters` (headers, query string, form body); a token is
//! replaced when it expires within 60 seconds, or when the endpoint answered 401 or 407.
//! One fetch runs at a time per connection, so a burst of tasks asks for one token.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::Request;
use serde_json::Value;
use stepwise_asl::Fault;

use super::connections::OAuthClient;
use super::{faults, form};
use crate::client::HttpClient;

/// A token is renewed once it has less than this left.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// The most of a token endpoint's answer that is read.
const MAX_ANSWER: usize = 1 << 20;

#[derive(Debug, Clone)]
struct Token {
    value: String,
    /// `None` when the endpoint gave no `expires_in`: kept until refused.
    expires: Option<Instant>,
}

/// Tokens by connection ARN.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    slots: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Token>>>>>,
}

impl Tokens {
    /// A token for connection `arn`: the kept one unless it is about to expire or
    /// `renew` (the endpoint refused it), else a new one.
    pub(crate) async fn token(
        &self,
        client: &HttpClient,
        arn: &str,
        oauth: &OAuthClient,
        deadline: Duration,
        renew: bool,
    ) -> Result<String, Fault> {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(arn.to_owned())
            .or_default()
            .clone();
        let mut kept = slot.lock().await;
        if let Some(token) = kept.as_ref() {
            let fresh = token.expires.is_none_or(|at| at > Instant::now() + RENEW_BEFORE);
            if fresh && !renew {
                return Ok(token.value.clone());
            }
        }
        let token = fetch(client, arn, oauth, deadline).await?;
        let value = token.value.clone();
        *kept = Some(token);
        Ok(value)
    }
}

async fn fetch(
    client: &HttpClient,
    arn: &str,
    oauth: &OAuthClient,
    deadline: Duration,
) -> Result<Token, Fault> {
    let refused = |why: String| {
        faults::connection(
            "InvalidConnectionState",
            format!(
                "Connection '{arn}' could not get an OAuth token from {}: {why}",
                oauth.endpoint
            ),
        )
    };
    let request = token_request(oauth).map_err(refused)?;
    let answer = client
        .send_capped(request, deadline, MAX_ANSWER)
        .await
        .map_err(|e| refused(e.to_string()))?;
    let response = answer.response;
    if !(200..300).contains(&response.status) {
        return Err(refused(format!("it answered {}", response.status)));
    }
    let json: Value = serde_json::from_slice(&response.body)
        .map_err(|_| refused("its answer is not JSON".into()))?;
    let Some(value) = json.get("access_token").and_then(Value::as_str) else {
        return Err(refused("its answer has no access_token".into()));
    };
    let lifetime = match json.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse::<f64>().ok(),
        _ => None,
    };
    let expires = lifetime
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .map(|secs| Instant::now() + Duration::from_secs_f64(secs.min(1e9)));
    Ok(Token { value: value.to_owned(), expires })
}

/// The client-credentials request: `grant_type=client_credentials` unless the
/// connection's body parameters say otherwise.
fn token_request(oauth: &OAuthClient) -> Result<Request<Full<Bytes>>, String> {
    let parameters = &oauth.parameters;
    let mut url = oauth.endpoint.clone();
    if !parameters.query.is_empty() {
        let query = pairs(&parameters.query);
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query);
    }
    let mut body = parameters.body.clone();
    if !body.iter().any(|(k, _)| k == "grant_type") {
        body.insert(0, ("grant_type".into(), "client_credentials".into()));
    }
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", oauth.client_id, oauth.client_secret));
    let mut builder = Request::builder()
        .method(oauth.method.as_str())
        .uri(&url)
        .header(header::AUTHORIZATION, format!("Basic {credentials}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    for (name, value) in &parameters.headers {
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("header '{name}' is not valid"))?;
        builder = builder.header(name.as_str(), value);
    }
    builder.body(Full::new(Bytes::from(pairs(&body)))).map_err(|e| e.to_string())
}

fn pairs(list: &[(String, String)]) -> String {
    list.iter()
        .map(|(k, v)| format!("{}={}", form::escape(k), form::escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::super::connections::HttpParameters;
    use super::*;

    #[test]
    fn the_request_carries_the_client_and_the_parameters() {
        let oauth = OAuthClient {
            endpoint: "https://auth.example.com/token".into(),
            method: "POST".into(),
            client_id: "id".into(),
            client_secret: "secret".into(),
            parameters: HttpParameters {
                headers: vec![("X-Tenant".into(), "t1".into())],
                query: vec![("v".into(), "2".into())],
                body: vec![("audience".into(), "https://api".into())],
            },
        };
        let request = token_request(&oauth).unwrap();
        assert_eq!(request.uri(), "https://auth.example.com/token?v=2");
        assert_eq!(request.headers()["authorization"], "Basic aWQ6c2VjcmV0");
        assert_eq!(request.headers()["x-tenant"], "t1");
        assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
    }
}
