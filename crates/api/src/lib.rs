//! The AWS JSON 1.0 protocol of Step Functions, and the query form, over the engine.
//!
//! `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON body,
//! or `GET|POST /?Action=<Operation>&param=…` (the seed's query form): both
//! reach the same [`ops::dispatch`]. Handlers only translate; the engine decides.
//!
//! # Example
//! ```no_run
//! # async fn run(engine: stepwise_engine::Engine) {
//! let app = stepwise_api::router(engine);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8083").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
pub mod aliases;
pub mod caller;
pub mod error;
pub mod map_runs;
pub mod ops;
pub mod page;
pub mod polls;
pub mod request;
pub mod test_state;
pub mod versions;
pub mod wire;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::Router;
use serde_json::{Map, Value};
use stepwise_engine::Engine;

pub use crate::caller::Caller;
use crate::error::ApiError;
use crate::request::Params;

/// The HTTP application: the API at `/`, and `GET /health`.
pub fn router(engine: Engine) -> Router {
    Router::new()
        .route("/", get(handle).post(handle))
        .route("/health", get(|| async { "ok" }))
        .with_state(engine)
}

async fn handle(
    State(engine): State<Engine>,
    caller: Option<Extension<Caller>>,
    polls: Option<Extension<std::sync::Arc<polls::LongPolls>>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    // Without an authentication layer, the region still comes from the SigV4 scope.
    let caller = match caller {
        Some(Extension(caller)) => caller,
        None => Caller { region: sigv4_region(&headers), account: None },
    };
    let polls = polls.map(|Extension(p)| p);
    let context = ops::Context { caller: &caller, polls: polls.as_ref() };
    match call(&engine, &context, &method, &headers, query.as_deref(), &body).await {
        Ok(value) => {
            // Written to bytes directly: `Value`'s `Display` goes through `fmt::Write` a
            // token at a time, several times slower.
            let body = serde_json::to_vec(&value).expect("a JSON value always serializes");
            let mut response = body.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.0"),
            );
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn call(
    engine: &Engine,
    context: &ops::Context<'_>,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Value, ApiError> {
    if let Some(target) = headers.get("x-amz-target") {
        let target =
            target.to_str().map_err(|_| ApiError::validation("X-Amz-Target is not ASCII"))?;
        let Some(op) = target.strip_prefix("AWSStepFunctions.") else {
            return Err(ApiError::unknown_operation(target));
        };
        let params = if body.is_empty() {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return Err(ApiError {
                        aws_type: "SerializationException",
                        ..ApiError::validation("The request body is not a JSON object")
                    })
                }
            }
        };
        return ops::dispatch(engine, op, Params(params), context).await;
    }
    // The query form: parameters in the query string, or a form-encoded POST body.
    let mut params = Map::new();
    let form_body = (*method == Method::POST && !body.is_empty()).then_some(body);
    for source in [query.map(str::as_bytes), form_body].into_iter().flatten() {
        for (k, v) in form_urlencoded::parse(source) {
            params.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let Some(Value::String(op)) = params.remove("Action") else {
        return Err(ApiError::validation("Missing X-Amz-Target header or Action parameter"));
    };
    params.remove("Version");
    ops::dispatch(engine, &op, Params(params), context).await
}

/// The region of a SigV4 `Authorization` header's credential scope, if any.
pub fn sigv4_region(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    // AKID/date/region/service/aws4_request
    let region = scope.split('/').nth(2)?;
    (!region.is_empty()).then(|| region.to_owned())
}
