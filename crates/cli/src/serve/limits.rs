//! How much the server takes: request sizes, requests at once, and how long a client may
//! take to send its body. Past a bound the server answers at once, in AWS's shape, rather
//! than queueing work and growing its memory.
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stepwise_api::error::ApiError;
use tokio::sync::Semaphore;

/// The largest request body read. AWS's largest field is a 1 MiB definition (with tags and
/// a JSON envelope around it); 2 MiB leaves room for that, escaped.
pub const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// The bounds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests being handled at once (long polls included).
    in_flight: Arc<Semaphore>,
    /// How long a client may take to send its body.
    body_timeout: Duration,
}

impl Limits {
    /// At most `max_requests` requests at once; bodies within `body_timeout`.
    pub fn new(max_requests: usize, body_timeout: Duration) -> Limits {
        Limits { in_flight: Arc::new(Semaphore::new(max_requests)), body_timeout }
    }
}

/// The middleware: a place among the requests in flight, then the whole body, bounded in
/// size and time, before anything else reads it.
pub async fn layer(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let Ok(_permit) = Arc::clone(&limits.in_flight).try_acquire_owned() else {
        return throttled().into_response();
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, body) = request.into_parts();
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        drain(body, limits.body_timeout).await;
        return too_large(MAX_REQUEST_BYTES).into_response();
    }
    let body = match read_body(body, limits.body_timeout).await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The whole body, at most [`MAX_REQUEST_BYTES`], within `timeout`.
async fn read_body(mut body: Body, timeout: Duration) -> Result<bytes::Bytes, ApiError> {
    use http_body_util::BodyExt;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut read = bytes::BytesMut::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(timed_out(timeout)),
            Ok(None) => return Ok(read.freeze()),
            Ok(Some(Err(e))) => {
                return Err(ApiError::validation(format!(
                    "The request body could not be read: {e}"
                )))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if read.len() + data.len() > MAX_REQUEST_BYTES {
                drain(body, deadline.saturating_duration_since(tokio::time::Instant::now())).await;
                return Err(too_large(MAX_REQUEST_BYTES));
            }
            read.extend_from_slice(&data);
        }
    }
}

/// Reads and drops what is left of a refused body (up to [`DRAIN_BYTES`], within
/// `timeout`), so that the client, still sending, reads the refusal instead of a reset.
async fn drain(body: Body, timeout: Duration) {
    let drained = http_body_util::Limited::new(body, DRAIN_BYTES);
    let _ = tokio::time::timeout(timeout, http_body_util::BodyExt::collect(drained)).await;
}

/// The most of a refused body read to answer it cleanly; past it the connection is closed.
const DRAIN_BYTES: usize = 8 * MAX_REQUEST_BYTES;

/// Too much at once: `ThrottlingException` (400), which the SDKs retry with backoff.
pub fn throttled() -> ApiError {
    ApiError {
        aws_type: "ThrottlingException",
        message: "Rate exceeded".into(),
        status: StatusCode::BAD_REQUEST,
    }
}

/// A body over `limit` bytes, in AWS's shape (`RequestEntityTooLargeException`, 413).
pub fn too_large(limit: usize) -> ApiError {
    ApiError {
        aws_type: "RequestEntityTooLargeException",
        message: format!("Request entity too large: the limit is {limit} bytes"),
        status: StatusCode::PAYLOAD_TOO_LARGE,
    }
}

/// A body not sent within the timeout (`RequestTimeoutException`, 408).
fn timed_out(limit: Duration) -> ApiError {
    ApiError {
        aws_type: "RequestTimeoutException",
        message: format!("Reading the request timed out after {} s", limit.as_secs_f64()),
        status: StatusCode::REQUEST_TIMEOUT,
    }
}
