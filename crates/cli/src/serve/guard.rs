//! Safe by default on a developer's machine: a web page the user visits must not be able to
//! reach the server on `127.0.0.1`.
//!
//! - A browser's request from another origin (its `Origin`, or `Sec-Fetch-Site: cross-site`
//!   for requests that carry no `Origin`, such as an `<img>`'s GET) is refused unless the
//!   origin is allowed with `--cors-origin`; allowed origins get CORS answers, preflights
//!   included.
//! - The `Host` header must name this server: an IP address, `localhost`, or a name given
//!   with `--allowed-host` (and the `sync-` prefix the SDKs put before the host for
//!   `StartSyncExecution` and `TestState`). A DNS-rebinding page reaches the server under its
//!   own domain name, so it is refused.
//! - A GET changes state only where the seed's query form describes it (`GetActivityTask`,
//!   `SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`); other operations that change
//!   state must come as POST. Reads (`Describe*`, `List*`, `GetExecutionHistory`) stay open.
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stepwise_api::error::ApiError;

/// The operations the seed's query form sends with GET that change state.
const SEED_GET_OPERATIONS: &[&str] =
    &["GetActivityTask", "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"];

/// Headers an allowed origin may send (the SDKs' and SigV4's).
const ALLOWED_HEADERS: &str = "authorization, content-type, x-amz-target, x-amz-date, x-amz-content-sha256, x-amz-security-token, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request";
/// Response headers an allowed origin's scripts may read.
const EXPOSED_HEADERS: &str = "x-amzn-requestid, x-amzn-errortype";

/// The checks' configuration.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Origins allowed to call from a browser (`--cors-origin`), e.g. `http://localhost:3000`;
    /// `*` allows every origin.
    cors_origins: Arc<Vec<String>>,
    /// Host names accepted besides IP addresses and `localhost` (`--allowed-host`).
    allowed_hosts: Arc<Vec<String>>,
}

impl Guard {
    /// A guard allowing `cors_origins` and `allowed_hosts`.
    pub fn new(cors_origins: Vec<String>, allowed_hosts: Vec<String>) -> Guard {
        let cors_origins = cors_origins.into_iter().map(|o| o.trim_end_matches('/').to_owned());
        let allowed_hosts = allowed_hosts.into_iter().map(|h| h.to_ascii_lowercase());
        Guard {
            cors_origins: Arc::new(cors_origins.collect()),
            allowed_hosts: Arc::new(allowed_hosts.collect()),
        }
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.cors_origins.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }

    /// Whether `host` (a `Host` header, port included) names this server.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        let name = name.strip_prefix("sync-").unwrap_or(&name);
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        bare.parse::<std::net::IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.allowed_hosts.iter().any(|h| h == name)
    }
}

/// The middleware.
pub async fn layer(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(host) = headers.get(header::HOST) {
        let host = host.to_str().unwrap_or("");
        if !guard.host_allowed(host) {
            return refuse(format!(
                "The Host header '{host}' does not name this server; start it with --allowed-host to accept that name"
            ));
        }
    }
    let origin = headers.get(header::ORIGIN).map(|o| o.to_str().unwrap_or("null").to_owned());
    let allowed_origin = match &origin {
        Some(origin) if guard.origin_allowed(origin) => Some(origin.clone()),
        Some(origin) if same_origin(origin, headers) => None,
        Some(origin) => {
            return refuse(format!(
                "Requests from the web origin '{origin}' are refused; start the server with --cors-origin {origin} to allow it"
            ))
        }
        None if cross_site_fetch(headers) => {
            return refuse(
                "Cross-site requests from a browser are refused; start the server with --cors-origin to allow an origin".into(),
            )
        }
        None => None,
    };
    if request.method() == Method::OPTIONS {
        return match allowed_origin {
            Some(origin) => preflight(&origin),
            None => refuse("A CORS preflight needs an origin allowed with --cors-origin".into()),
        };
    }
    if let Some(op) = get_that_changes_state(&request) {
        return ApiError {
            aws_type: "InvalidAction",
            message: format!(
                "{op} changes state and is not accepted with GET: send it with POST (GET takes the read operations and {})",
                SEED_GET_OPERATIONS.join(", ")
            ),
            status: StatusCode::BAD_REQUEST,
        }
        .into_response();
    }
    let mut response = next.run(request).await;
    if let Some(origin) = allowed_origin {
        allow_origin(response.headers_mut(), &origin);
    }
    response
}

/// A GET (or HEAD) naming an operation that changes state and is not one of the seed's.
fn get_that_changes_state(request: &Request) -> Option<String> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) || request.uri().path() != "/" {
        return None;
    }
    let op = match request.headers().get("x-amz-target") {
        Some(target) => target.to_str().ok()?.strip_prefix("AWSStepFunctions.").map(str::to_owned),
        None => form_urlencoded::parse(request.uri().query()?.as_bytes())
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.into_owned()),
    }?;
    let reads = op.starts_with("Describe")
        || op.starts_with("List")
        || op == "GetExecutionHistory"
        || op == "ValidateStateMachineDefinition";
    (!reads && !SEED_GET_OPERATIONS.contains(&op.as_str())).then_some(op)
}

/// `Sec-Fetch-Site` of a request a browser made for another site's page.
fn cross_site_fetch(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| matches!(v.to_str(), Ok("cross-site" | "same-site")))
}

/// Whether `origin` is the server's own (`http://<Host>`).
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host))
}

/// `host:port`, `[v6]:port` or `host` → the host.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn preflight(origin: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    allow_origin(headers, origin);
    headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST"));
    headers.insert("access-control-allow-headers", HeaderValue::from_static(ALLOWED_HEADERS));
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert("access-control-allow-origin", value);
        headers.insert("access-control-expose-headers", HeaderValue::from_static(EXPOSED_HEADERS));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn refuse(message: String) -> Response {
    tracing::info!("refused: {message}");
    ApiError { aws_type: "AccessDeniedException", message, status: StatusCode::FORBIDDEN }
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_name_this_server() {
        let guard = Guard::new(vec![], vec!["stepwise.internal".into()]);
        for host in [
            "127.0.0.1:8083",
            "localhost:8083",
            "LOCALHOST",
            "[::1]:8083",
            "10.0.0.5",
            "sync-127.0.0.1:8083",
            "api.localhost:1",
            "stepwise.internal:8083",
        ] {
            assert!(guard.host_allowed(host), "{host}");
        }
        for host in
            ["evil.example", "evil.example:8083", "127.0.0.1.evil.example", "localhost.evil"]
        {
            assert!(!guard.host_allowed(host), "{host}");
        }
    }
}
