//! The HTTP Task: `arn:aws:states:::http:invoke`, a Task that calls an HTTP API.
//!
//! A call reads the task's `Parameters` ([`invocation`]), finds its EventBridge
//! connection in the local connections file ([`connections`]), merges the two and adds
//! the credential ([`request`], [`oauth`]), sends the request with a 60-second deadline,
//! and turns the answer into AWS's result shape or error ([`response`], [`faults`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use stepwise_integrations::http_task::{self, Connections, HttpTaskConfig};
//!
//! let connections = Connections::load(std::path::Path::new("connections.json"))?;
//! let for_engine_options = http_task::integrations(HttpTaskConfig::new(connections));
//! # Ok(()) }
//! ```
use std::sync::Arc;
use std::time::Duration;

use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

mod connections;
mod faults;
mod form;
mod invocation;
mod oauth;
mod request;
mod response;

pub use connections::{Connections, LoadError};

use crate::client::{Error as ClientError, HttpClient};
use connections::Auth;
use invocation::Invocation;
use request::Credential;

/// AWS stops waiting for an HTTP Task's endpoint after 60 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How HTTP Tasks run.
#[derive(Debug, Clone)]
pub struct HttpTaskConfig {
    /// The connections tasks may name.
    pub connections: Connections,
    /// How long a request may take before the task fails with `States.Http.Socket`.
    pub timeout: Duration,
}

impl HttpTaskConfig {
    /// `connections`, with AWS's 60-second timeout.
    pub fn new(connections: Connections) -> HttpTaskConfig {
        HttpTaskConfig { connections, timeout: DEFAULT_TIMEOUT }
    }
}

impl Default for HttpTaskConfig {
    fn default() -> Self {
        HttpTaskConfig::new(Connections::none())
    }
}

/// The HTTP Task by the resource type it serves (`http`), for the engine's
/// `Options::integrations`.
pub fn integrations(config: HttpTaskConfig) -> Vec<(String, Arc<dyn Integration>)> {
    vec![("http".into(), Arc::new(HttpTask::new(config, HttpClient::new())))]
}

/// The `http` integration.
#[derive(Clone)]
pub struct HttpTask {
    inner: Arc<Inner>,
}

struct Inner {
    config: HttpTaskConfig,
    client: HttpClient,
    tokens: oauth::Tokens,
}

impl std::fmt::Debug for HttpTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTask")
            .field("connections", &self.inner.config.connections.len())
            .finish()
    }
}

impl HttpTask {
    /// An HTTP Task integration sending through `client`.
    pub fn new(config: HttpTaskConfig, client: HttpClient) -> HttpTask {
        HttpTask { inner: Arc::new(Inner { config, client, tokens: oauth::Tokens::default() }) }
    }

    /// Makes the call `call` describes: its result, or the error AWS would raise.
    pub async fn invoke(&self, call: &ServiceCall) -> Result<serde_json::Value, Fault> {
        if call.action != "invoke" {
            return Err(faults::runtime(format!(
                "The HTTP Task has no action '{}'; its resource is arn:aws:states:::http:invoke",
                call.action
            )));
        }
        if call.pattern != Pattern::RequestResponse {
            return Err(faults::runtime(format!(
                "The HTTP Task supports only the request-response pattern, not {}",
                call.pattern
            )));
        }
        let inner = &self.inner;
        let invocation = Invocation::read(&call.parameters)?;
        let Some(connection) = inner.config.connections.get(&invocation.connection_arn) else {
            return Err(faults::connection(
                "ResourceNotFound",
                format!(
                    "Connection '{}' does not exist: {}",
                    invocation.connection_arn,
                    inner.config.connections.looked_in()
                ),
            ));
        };
        let prepared = request::prepare(&invocation, connection, &call.region)?;
        let credential = match &connection.auth {
            Auth::ClientCredentials(oauth) => {
                let token = inner
                    .tokens
                    .token(
                        &inner.client,
                        &invocation.connection_arn,
                        oauth,
                        inner.config.timeout,
                        false,
                    )
                    .await?;
                Credential::Bearer(token)
            }
            fixed => Credential::fixed(fixed).expect("BASIC and API_KEY need no fetch"),
        };
        let mut answer = self.send(&prepared, &credential).await?;
        if let Auth::ClientCredentials(oauth) = &connection.auth {
            // A token the endpoint refuses is renewed once, as EventBridge does.
            if matches!(answer.response.status, 401 | 407) {
                let token = inner
                    .tokens
                    .token(
                        &inner.client,
                        &invocation.connection_arn,
                        oauth,
                        inner.config.timeout,
                        true,
                    )
                    .await?;
                answer = self.send(&prepared, &Credential::Bearer(token)).await?;
            }
        }
        response::outcome(&invocation.method, answer)
    }

    async fn send(
        &self,
        prepared: &request::Prepared,
        credential: &Credential,
    ) -> Result<crate::client::CappedResponse, Fault> {
        let request = request::build(prepared, credential)?;
        let timeout = self.inner.config.timeout;
        // Only the URL's scheme, host and path go into the cause: its query may hold a
        // connection's secret parameters, and the cause is kept in the history.
        let target = prepared.url.split('?').next().unwrap_or_default();
        self.inner.client.send_capped(request, timeout, response::MAX_BODY).await.map_err(|e| {
            match e {
                ClientError::Timeout(_) => faults::socket(format!(
                    "The request to {target} got no response within {} seconds",
                    timeout.as_secs_f64()
                )),
                ClientError::Transport(why) => {
                    faults::socket(format!("The request to {target} failed: {why}"))
                }
            }
        })
    }
}

impl Integration for HttpTask {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let task = self.clone();
        let call = call.clone();
        Box::pin(async move { task.invoke(&call).await })
    }
}
