//! How much the server takes: request sizes, and the answers when it is too much.
use axum::http::StatusCode;
use stepwise_api::error::ApiError;

/// The largest request body read. AWS's largest field is a 1 MiB definition (with tags and
/// a JSON envelope around it); 2 MiB leaves room for that, escaped.
pub const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// A body over `limit` bytes, in AWS's shape (`RequestEntityTooLargeException`, 413).
pub fn too_large(limit: usize) -> ApiError {
    ApiError {
        aws_type: "RequestEntityTooLargeException",
        message: format!("Request entity too large: the limit is {limit} bytes"),
        status: StatusCode::PAYLOAD_TOO_LARGE,
    }
}
