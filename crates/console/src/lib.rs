//! The browser console: state machines, executions and activities as server-rendered HTML
//! pages under `/console/`, with a little JavaScript (the live update of a running
//! execution, the history's filter, the input check) and the stylesheet, both compiled into
//! the binary. It reads and acts only through [`Engine`] methods, as the API does, so it
//! works the same on every store.
//!
//! ```no_run
//! # async fn run(engine: stepwise_engine::Engine) {
//! let app = stepwise_api::router(engine.clone())
//!     .merge(stepwise_console::router(engine))
//!     .layer(axum::middleware::from_fn(stepwise_console::redirect_root));
//! # }
//! ```
pub mod graph;
pub mod html;
pub mod outcome;
mod pages;
pub mod yaml;

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use stepwise_engine::Engine;

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The console's routes, all under `/console`.
pub fn router(engine: Engine) -> Router {
    Router::new()
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(pages::machines::list))
        .route("/console/machine", get(pages::machines::show))
        .route("/console/start", post(pages::machines::start))
        .route("/console/executions", get(pages::executions::list))
        .route("/console/execution", get(pages::execution::show))
        .route("/console/execution/progress", get(pages::execution::progress))
        .route("/console/execution/events", get(pages::execution::events))
        .route("/console/stop", post(pages::execution::stop))
        .route("/console/redrive", post(pages::execution::redrive))
        .route("/console/activities", get(pages::activities::list))
        .route(
            "/console/assets/console.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/assets/console.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .with_state(engine)
}

/// Middleware: a browser's bare `GET /` (no query at all, no `X-Amz-Target`) goes to the
/// console; every API request passes, and so does a query without `Action`, which the
/// API answers with its error, as before.
pub async fn redirect_root(request: Request, next: Next) -> Response {
    let bare_get = request.method() == Method::GET
        && request.uri().path() == "/"
        && request.uri().query().is_none_or(str::is_empty)
        && !request.headers().contains_key("x-amz-target");
    if bare_get {
        return Redirect::to("/console/").into_response();
    }
    next.run(request).await
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
        .into_response()
}

/// A page, or an error page saying what went wrong.
type Page = Result<Response, Failure>;

/// An engine error (or a bad request), shown as a page.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    message: String,
}

impl From<stepwise_engine::Error> for Failure {
    fn from(e: stepwise_engine::Error) -> Failure {
        let status = if e.aws_type().ends_with("DoesNotExist") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        Failure { status, message: format!("{}: {e}", e.aws_type()) }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = format!("<p class=\"error-box\" role=\"alert\">{}</p><p><a href=\"/console/\">Back to the state machines</a></p>", html::esc(&self.message));
        (self.status, html_response(html::page("Error", html::Nav::Machines, &body)))
            .into_response()
    }
}

fn html_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}
