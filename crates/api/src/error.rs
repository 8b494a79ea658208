//! The one place engine errors become AWS error responses.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use stepwise_engine::Error;

/// An error on its way to the client: AWS's `__type` and message.
#[derive(Debug)]
pub struct ApiError {
    /// AWS error name, e.g. `InvalidArn`.
    pub aws_type: &'static str,
    /// Human-readable message.
    pub message: String,
    /// HTTP status (400 for client errors, 500 for ours).
    pub status: StatusCode,
}

impl ApiError {
    /// A `ValidationException` (a malformed request).
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError {
            aws_type: "ValidationException",
            message: message.into(),
            status: StatusCode::BAD_REQUEST,
        }
    }
    /// An operation Stepwise does not implement yet.
    pub fn unsupported(operation: &str) -> Self {
        ApiError {
            aws_type: "UnsupportedOperation",
            message: format!("Stepwise does not support the operation '{operation}' yet"),
            status: StatusCode::BAD_REQUEST,
        }
    }
    /// An unknown operation name.
    pub fn unknown_operation(operation: &str) -> Self {
        ApiError {
            aws_type: "UnknownOperationException",
            message: format!("Unknown operation: '{operation}'"),
            status: StatusCode::BAD_REQUEST,
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e {
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            // AWS's API reference gives these their own statuses.
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::ServiceQuotaExceeded(_) => StatusCode::PAYMENT_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("internal error: {e}");
            return ApiError { aws_type: e.aws_type(), message: "Internal error".into(), status };
        }
        ApiError { aws_type: e.aws_type(), message: e.message(), status }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&serde_json::json!({
            "__type": self.aws_type,
            "message": self.message
        }))
        .expect("a JSON value always serializes");
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.0"));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.aws_type));
        response
    }
}
