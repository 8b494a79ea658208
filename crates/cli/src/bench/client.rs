//! A minimal AWS JSON 1.0 client: one keep-alive HTTP/1.1 connection per bench task.
//!
//! The bench owns its connections instead of sharing a pool, so that `-c 64`
//! means exactly 64 sockets with at most one request in flight each, and a
//! worker's 60-second `GetActivityTask` long poll never blocks anyone else.
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A server address that was checked to be on this machine.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The resolved address; connections go here, so a later DNS answer
    /// cannot redirect the load off the loopback interface.
    addr: SocketAddr,
    /// The `Host` header: the endpoint's authority as the user wrote it.
    authority: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/]` and accepts it only if every address the
    /// host resolves to is a loopback one (127.0.0.0/8 or ::1).
    ///
    /// A load generator pointed at someone else's server is a denial of
    /// service, so this is a hard refusal, not a warning.
    pub async fn loopback(url: &str) -> anyhow::Result<Endpoint> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("bad endpoint {url:?}: want http://127.0.0.1:PORT"))?;
        if uri.scheme_str() != Some("http") {
            bail!("bad endpoint {url:?}: only http:// is supported (loopback needs no TLS)");
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            bail!("bad endpoint {url:?}: the API lives at /, give no path");
        }
        let Some(authority) = uri.authority() else {
            bail!("bad endpoint {url:?}: no host");
        };
        if authority.as_str().contains('@') {
            bail!("bad endpoint {url:?}: credentials in the URL are not supported");
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(80);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .with_context(|| format!("cannot resolve {host}"))?
            .collect();
        if addrs.is_empty() {
            bail!("{host} resolves to no address");
        }
        if let Some(remote) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            bail!("refusing non-loopback endpoint {url} ({host} resolves to {})", remote.ip());
        }
        Ok(Endpoint { addr: addrs[0], authority: authority.as_str().to_owned() })
    }

    /// The address connections go to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Why one API call failed. Load runs count these by [`CallError::kind`]
/// rather than stopping, because a few failures under load are a result.
#[derive(Debug)]
pub enum CallError {
    /// The TCP connection could not be opened.
    Connect(std::io::Error),
    /// The connection broke while sending or receiving.
    Transport(hyper::Error),
    /// No complete answer within the call's time budget.
    Timeout,
    /// A 2xx answer whose body is not JSON.
    Decode,
    /// The server answered with an AWS error.
    Api {
        /// HTTP status.
        status: u16,
        /// The AWS error code (`__type` without its namespace).
        code: String,
        /// The error message, if any.
        message: String,
    },
}

impl CallError {
    /// A short, stable label to count errors by: the AWS code for API errors.
    pub fn kind(&self) -> String {
        match self {
            CallError::Connect(_) => "Connect".into(),
            CallError::Transport(_) => "Transport".into(),
            CallError::Timeout => "Timeout".into(),
            CallError::Decode => "Decode".into(),
            CallError::Api { code, .. } => code.clone(),
        }
    }

    /// Whether the connection is in an unknown state afterwards and must be replaced.
    fn breaks_connection(&self) -> bool {
        !matches!(self, CallError::Api { .. } | CallError::Decode)
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Connect(e) => write!(f, "cannot connect: {e}"),
            CallError::Transport(e) => write!(f, "connection error: {e}"),
            CallError::Timeout => f.write_str("timed out"),
            CallError::Decode => f.write_str("response body is not JSON"),
            CallError::Api { status, code, message } => {
                write!(f, "HTTP {status} {code}: {message}")
            }
        }
    }
}

impl std::error::Error for CallError {}

/// An open HTTP/1.1 connection and the task that drives its I/O.
struct Live {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

impl Drop for Live {
    /// Closes the socket now: otherwise an abandoned long poll would keep the
    /// driver (and the server's poller) alive until the server answers.
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// One keep-alive connection, reopened on demand after a transport failure.
pub struct Connection {
    endpoint: Endpoint,
    live: Option<Live>,
}

impl Connection {
    /// A connection to `endpoint`; the socket opens on the first call.
    pub fn new(endpoint: Endpoint) -> Connection {
        Connection { endpoint, live: None }
    }

    /// Calls `AWSStepFunctions.<op>` with `payload`, within `timeout`.
    ///
    /// Nothing is retried: a load generator that hid failures would report
    /// better numbers than the server deserves. A broken connection is
    /// replaced on the next call.
    pub async fn call(
        &mut self,
        op: &str,
        payload: &Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        let result = match tokio::time::timeout(timeout, self.exchange(op, payload)).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout),
        };
        if let Err(e) = &result {
            if e.breaks_connection() {
                self.live = None;
            }
        }
        result
    }

    async fn exchange(&mut self, op: &str, payload: &Value) -> Result<Value, CallError> {
        let request = Request::post("/")
            .header(HOST, &self.endpoint.authority)
            .header(CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AWSStepFunctions.{op}"))
            .body(Full::new(Bytes::from(
                serde_json::to_vec(payload).expect("a JSON value always serializes"),
            )))
            .expect("a request built from valid constant parts");
        let sender = self.sender().await?;
        sender.ready().await.map_err(CallError::Transport)?;
        let response = sender.send_request(request).await.map_err(CallError::Transport)?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(CallError::Transport)?.to_bytes();
        if status.is_success() {
            if body.is_empty() {
                return Ok(Value::Object(Default::default()));
            }
            return serde_json::from_slice(&body).map_err(|_| CallError::Decode);
        }
        let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let code = error
            .get("__type")
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
            .unwrap_or_else(|| format!("HTTP{}", status.as_u16()));
        let message = ["message", "Message"]
            .iter()
            .find_map(|k| error.get(*k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        Err(CallError::Api { status: status.as_u16(), code, message })
    }

    /// The open connection's sender, connecting first if there is none or the
    /// server closed the last one (e.g. after `Connection: close`).
    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, CallError> {
        if self.live.as_ref().is_some_and(|live| live.sender.is_closed()) {
            self.live = None;
        }
        let live = match self.live.take() {
            Some(live) => live,
            None => self.connect().await?,
        };
        Ok(&mut self.live.insert(live).sender)
    }

    async fn connect(&self) -> Result<Live, CallError> {
        let stream = TcpStream::connect(self.endpoint.addr).await.map_err(CallError::Connect)?;
        // Requests are small and latency is what we measure: no Nagle delay.
        stream.set_nodelay(true).map_err(CallError::Connect)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(CallError::Transport)?;
        // The driver's own error surfaces through the sender on the next call.
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Live { sender, driver })
    }
}
