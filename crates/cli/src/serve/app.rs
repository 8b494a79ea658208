//! The HTTP application as `serve` runs it: the API behind its guards, in the order a
//! request meets them (outermost first): overload and size limits, the browser and `Host`
//! checks, then authentication.
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::middleware::from_fn_with_state;
use axum::Router;
use stepwise_engine::Engine;

use super::auth::{self, AccessKeys, AuthMode, Authenticator};
use super::guard::{self, Guard};

/// The flags of `serve` about who may call it and how much.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpOptions {
    /// Authentication: `none` (the default, as AWS's local emulators) or `sigv4` (every
    /// request signed with a key of `--access-keys`).
    #[arg(long, value_enum, default_value_t = AuthMode::None)]
    pub auth: AuthMode,
    /// The access keys of `--auth sigv4`, one a line: `ACCESS_KEY_ID SECRET_ACCESS_KEY
    /// ACCOUNT_ID`. Each key acts in its own account; accounts do not see each other.
    #[arg(long, value_name = "FILE")]
    pub access_keys: Option<PathBuf>,
    /// A web origin allowed to call the server from a browser, e.g. `http://localhost:3000`
    /// (repeatable; `*` allows all). Other origins are refused.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// A host name the server answers to besides IP addresses and `localhost` (repeatable):
    /// requests whose `Host` names anything else are refused, so DNS rebinding fails.
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            auth: AuthMode::None,
            access_keys: None,
            cors_origins: Vec::new(),
            allowed_hosts: Vec::new(),
        }
    }
}

/// Reads the files the options name, so that a bad one stops `serve` at once.
#[derive(Debug, Clone)]
pub struct Prepared {
    authenticator: Option<Authenticator>,
    guard: Guard,
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
        Ok(Prepared { authenticator, guard })
    }
}

/// The application for `engine`, listening on `addr`.
pub fn build(engine: Engine, prepared: &Prepared, _addr: SocketAddr) -> Router {
    let mut app = stepwise_api::router(engine);
    if let Some(authenticator) = &prepared.authenticator {
        app = app.layer(from_fn_with_state(authenticator.clone(), auth::layer));
    }
    app.layer(from_fn_with_state(prepared.guard.clone(), guard::layer))
}
