//! The HTTP application as `serve` runs it: the API behind its guards, in the order a
//! request meets them (outermost first): overload and size limits, the browser and `Host`
//! checks, then authentication; the bounds on long polls travel to the API as an extension.
//! Without authentication, the browser console sits beside the API, behind the same guards.
//! Around them all, `observe` gives each request its id, and logs and counts it.
use std::path::PathBuf;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::{Extension, Router};
use stepwise_api::polls::LongPolls;
use stepwise_engine::Engine;
use tokio::sync::watch;

use super::auth::{self, AccessKeys, AuthMode, Authenticator};
use super::guard::{self, Guard};
use super::limits::{self, Limits};
use super::observe;

/// The flags of `serve` about who may call it and how much.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpOptions {
    /// Authentication: `none` (the default, as AWS's local emulators) or `sigv4` (every
    /// request signed with a key of `--access-keys`).
    #[arg(long, env = "STEPWISE_AUTH", value_enum, default_value_t = AuthMode::None)]
    pub auth: AuthMode,
    /// The access keys of `--auth sigv4`, one a line: `ACCESS_KEY_ID SECRET_ACCESS_KEY
    /// ACCOUNT_ID`. Each key acts in its own account; accounts do not see each other.
    #[arg(long, env = "STEPWISE_ACCESS_KEYS", value_name = "FILE")]
    pub access_keys: Option<PathBuf>,
    /// A web origin allowed to call the server from a browser, e.g. `http://localhost:3000`
    /// (repeatable; `*` allows all). Other origins are refused.
    #[arg(
        long = "cors-origin",
        env = "STEPWISE_CORS_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// A host name the server answers to besides IP addresses and `localhost` (repeatable):
    /// requests whose `Host` names anything else are refused, so DNS rebinding fails.
    #[arg(
        long = "allowed-host",
        env = "STEPWISE_ALLOWED_HOST",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Requests handled at once (long polls included); past it the server answers
    /// `ThrottlingException`, which the SDKs retry.
    #[arg(long, env = "STEPWISE_MAX_CONCURRENT_REQUESTS", default_value_t = 4096)]
    pub max_concurrent_requests: usize,
    /// `GetActivityTask` polls waiting at once on all activities (then `ThrottlingException`).
    #[arg(long, env = "STEPWISE_MAX_LONG_POLLS", default_value_t = 2048)]
    pub max_long_polls: usize,
    /// `GetActivityTask` polls waiting at once on one activity (then
    /// `ActivityWorkerLimitExceeded`).
    #[arg(long, env = "STEPWISE_MAX_LONG_POLLS_PER_ACTIVITY", default_value_t = 1000)]
    pub max_long_polls_per_activity: usize,
    /// Seconds a client may take to send a request's headers, and then its body.
    #[arg(long, env = "STEPWISE_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Seconds `serve` waits, at SIGTERM or SIGINT, for requests in flight to finish.
    #[arg(long, env = "STEPWISE_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            auth: AuthMode::None,
            access_keys: None,
            cors_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_concurrent_requests: 4096,
            max_long_polls: 2048,
            max_long_polls_per_activity: 1000,
            request_timeout: 30,
            shutdown_timeout: 30,
        }
    }
}

/// Reads the files the options name, so that a bad one stops `serve` at once.
#[derive(Debug, Clone)]
pub struct Prepared {
    authenticator: Option<Authenticator>,
    guard: Guard,
    limits: Limits,
    polls: (usize, usize),
    /// How long a client may take to send its headers.
    pub header_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
}

impl HttpOptions {
    /// Checks the options and loads their files.
    pub fn prepare(&self) -> anyhow::Result<Prepared> {
        let authenticator = match (self.auth, &self.access_keys) {
            (AuthMode::None, _) => None,
            (AuthMode::Sigv4, None) => anyhow::bail!("--auth sigv4 needs --access-keys FILE"),
            (AuthMode::Sigv4, Some(path)) => {
                Some(Authenticator::new(AccessKeys::load(path)?, super::limits::MAX_REQUEST_BYTES))
            }
        };
        let guard = Guard::new(self.cors_origins.clone(), self.allowed_hosts.clone());
        let request_timeout = Duration::from_secs(self.request_timeout.max(1));
        Ok(Prepared {
            authenticator,
            guard,
            limits: Limits::new(self.max_concurrent_requests.max(1), request_timeout),
            polls: (self.max_long_polls_per_activity.max(1), self.max_long_polls.max(1)),
            header_timeout: request_timeout,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
        })
    }
}

/// The application for `engine`; `stopping` turns true at shutdown (long polls then
/// answer empty).
pub fn build(engine: Engine, prepared: &Prepared, stopping: watch::Receiver<bool>) -> Router {
    let (per_activity, total) = prepared.polls;
    let polls = LongPolls::new(per_activity, total, stopping);
    // The limits layer reads the body, bounded; the API's own bound is not needed.
    let mut app = stepwise_api::router(engine.clone())
        .layer(Extension(polls.clone()))
        .layer(DefaultBodyLimit::disable());
    if let Some(authenticator) = &prepared.authenticator {
        app = app.layer(from_fn_with_state(authenticator.clone(), auth::layer));
    } else {
        // The console (`/console/`, and a browser's bare `GET /`) shows every account's
        // resources and signs nothing, so only a server without authentication offers it.
        app = app
            .merge(stepwise_console::router(engine.clone()))
            .layer(axum::middleware::from_fn(stepwise_console::redirect_root));
    }
    // `/metrics` is outside authentication, as `/health` is: scrapers do not sign.
    app.merge(observe::routes(engine, polls))
        .layer(from_fn_with_state(prepared.guard.clone(), guard::layer))
        .layer(from_fn_with_state(prepared.limits.clone(), limits::layer))
        .layer(axum::middleware::from_fn(observe::layer))
}
