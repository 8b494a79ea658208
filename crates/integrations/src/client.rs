//! The one HTTP client every integration shares: HTTP/1.1 over plain TCP or TLS
//! (rustls), with pooled connections and a deadline on every request.
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Why a request got no response.
#[derive(Debug)]
pub enum Error {
    /// Connecting, sending or reading failed (refused, reset, TLS, DNS).
    Transport(String),
    /// No complete response within the deadline.
    Timeout(Duration),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Transport(e) => write!(f, "{e}"),
            Error::Timeout(d) => write!(f, "no response within {} s", d.as_secs_f64()),
        }
    }
}

impl std::error::Error for Error {}

/// A response read in full.
#[derive(Debug)]
pub struct FullResponse {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

/// A response whose body was read up to a limit.
#[derive(Debug)]
pub struct CappedResponse {
    /// The response, with at most the limit's bytes of its body.
    pub response: FullResponse,
    /// True when the body went on past the limit (the rest was not read).
    pub truncated: bool,
}

/// A cheap-to-clone pooled client.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A client for `http` and `https` URLs (TLS verified against Mozilla's roots).
    pub fn new() -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        HttpClient { inner }
    }

    /// Sends `request` and reads the whole response, or fails after `deadline`.
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Duration,
    ) -> Result<FullResponse, Error> {
        let exchange = async {
            let response: Response<hyper::body::Incoming> =
                self.inner.request(request).await.map_err(|e| Error::Transport(describe(&e)))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| Error::Transport(e.to_string()))?;
            Ok(FullResponse {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: body.to_bytes(),
            })
        };
        match tokio::time::timeout(deadline, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(deadline)),
        }
    }
}

impl HttpClient {
    /// Sends `request` and reads at most `max_body` bytes of the response body, or fails
    /// after `deadline`. For endpoints the user names (an HTTP Task's `ApiEndpoint`),
    /// whose answers may be of any size.
    ///
    /// A failure to connect reads `connection failed: <kind>` (`connection refused`, …),
    /// the same on every platform, since it may end up in an execution's history.
    pub async fn send_capped(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Duration,
        max_body: usize,
    ) -> Result<CappedResponse, Error> {
        let exchange = async {
            let response = self.inner.request(request).await.map_err(|e| {
                Error::Transport(match io_kind(&e) {
                    Some(kind) if e.is_connect() => format!("connection failed: {kind}"),
                    _ => describe(&e),
                })
            })?;
            let (parts, mut body) = response.into_parts();
            let mut bytes = Vec::new();
            let mut truncated = false;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Error::Transport(describe(&e)))?;
                let Ok(data) = frame.into_data() else { continue };
                let room = max_body - bytes.len();
                if data.len() > room {
                    bytes.extend_from_slice(&data[..room]);
                    truncated = true;
                    break;
                }
                bytes.extend_from_slice(&data);
            }
            let response = FullResponse {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: bytes.into(),
            };
            Ok(CappedResponse { response, truncated })
        };
        match tokio::time::timeout(deadline, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(deadline)),
        }
    }
}

/// The kind of the first I/O error among `e`'s sources.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// The error and its sources in one line (hyper's own message is only "client error").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
