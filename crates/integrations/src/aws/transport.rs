//! One signed request to an AWS service and its whole answer, over the shared client.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Map, Value};

use super::config::{AwsConfig, Endpoint};
use super::credentials::{CredentialCache, Keys};
use super::service::Service;
use crate::client::{self, HttpClient};

/// A request before it is signed.
#[derive(Debug)]
pub(crate) struct Request {
    pub service: Service,
    pub region: String,
    pub endpoint: Endpoint,
    pub method: &'static str,
    /// The path and query, already percent-encoded (`/`, `/2015-03-31/functions/f/invocations?Qualifier=1`).
    pub path: String,
    /// Lower-case names (S3's metadata headers are named by the caller: `x-amz-meta-*`).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub deadline: Duration,
}

/// A service's complete answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// A reply as a service would send it, for tests of the answers' readers.
    #[cfg(test)]
    pub(crate) fn for_test(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut map = hyper::HeaderMap::new();
        for (k, v) in headers {
            map.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Reply { status, headers: map, body: Bytes::from(body.to_owned()) }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request id the service gave (`x-amzn-RequestId`, or S3-style `x-amz-request-id`).
    pub(crate) fn request_id(&self) -> String {
        self.header("x-amzn-requestid")
            .or_else(|| self.header("x-amz-request-id"))
            .unwrap_or("")
            .to_owned()
    }

    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON; an empty body is `{}`.
    pub(crate) fn json(&self) -> Option<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Some(Value::Object(Map::new()));
        }
        serde_json::from_slice(&self.body).ok()
    }

    /// `SdkHttpMetadata` as Step Functions records it on optimized integrations' results:
    /// every header with all its values, every header with its first value, the status.
    pub(crate) fn sdk_http_metadata(&self) -> Value {
        let mut names: Vec<&hyper::header::HeaderName> = self.headers.keys().collect();
        names.sort_by_key(|n| n.as_str().to_ascii_lowercase());
        let mut all = Map::new();
        let mut first = Map::new();
        for name in names {
            let values: Vec<Value> = self
                .headers
                .get_all(name)
                .iter()
                .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let spelled = header_spelling(name.as_str());
            if let Some(v) = values.first() {
                first.insert(spelled.clone(), v.clone());
            }
            all.insert(spelled, Value::Array(values));
        }
        let mut m = Map::new();
        m.insert("AllHttpHeaders".into(), Value::Object(all));
        m.insert("HttpHeaders".into(), Value::Object(first));
        m.insert("HttpStatusCode".into(), Value::from(self.status));
        Value::Object(m)
    }

    /// `SdkResponseMetadata`: the request id.
    pub(crate) fn sdk_response_metadata(&self, request_id: &str) -> Value {
        serde_json::json!({ "RequestId": request_id })
    }
}

/// HTTP/1 header names reach us in lower case; AWS's records show them as the services
/// send them. The AWS headers are spelled as AWS does, the rest in the usual Title-Case.
fn header_spelling(lower: &str) -> String {
    const AWS: &[&str] = &[
        "x-amzn-RequestId",
        "x-amz-crc32",
        "x-amz-id-2",
        "x-amz-request-id",
        "X-Amz-Executed-Version",
        "X-Amz-Function-Error",
        "X-Amz-Log-Result",
        "X-Amzn-Trace-Id",
        "x-amzn-Remapped-Content-Length",
        "x-amzn-ErrorType",
        "x-amzn-query-error",
    ];
    if let Some(known) = AWS.iter().find(|k| k.eq_ignore_ascii_case(lower)) {
        return (*known).to_owned();
    }
    lower
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Why no answer came.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The request could not be built or signed (a bad endpoint URL, say).
    Build(String),
    /// Connecting or reading failed, or the deadline passed.
    Transport(client::Error),
}

/// Signs and sends AWS requests: the shared HTTP client, the configuration, credentials.
#[derive(Debug, Clone)]
pub struct AwsClient {
    http: HttpClient,
    config: Arc<AwsConfig>,
    credentials: Arc<CredentialCache>,
}

impl AwsClient {
    /// A client for `config` on `http`.
    pub fn new(http: HttpClient, config: AwsConfig) -> AwsClient {
        AwsClient { http, config: Arc::new(config), credentials: Arc::new(CredentialCache::new()) }
    }

    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    pub(crate) fn endpoint(&self, service: Service, region: &str) -> Endpoint {
        self.config.endpoint(service, region)
    }

    /// Signs `request` with SigV4 and sends it. With no credentials found, a request to
    /// a configured (local) endpoint is signed with the placeholder keys `test`/`test`,
    /// since emulators such as moto tell services apart by the signature's scope and do
    /// not check it; a request to AWS itself goes unsigned and AWS answers with its error.
    pub(crate) async fn send(&self, request: Request) -> Result<Reply, SendError> {
        let uri = format!("{}{}", request.endpoint.url, request.path);
        let body = Bytes::from(request.body);
        let mut builder = hyper::Request::builder().method(request.method).uri(&uri);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value);
        }
        let mut http_request = builder
            .body(Full::new(body.clone()))
            .map_err(|e| SendError::Build(format!("{uri}: {e}")))?;
        let keys = self.credentials.get(&self.config).or_else(|| {
            request.endpoint.overridden.then(|| Keys {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
                session_token: None,
            })
        });
        if let Some(keys) = keys {
            let credentials = Credentials::new(
                keys.access_key_id,
                keys.secret_access_key,
                keys.session_token,
                None,
                "stepwise",
            );
            let identity = credentials.into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region(&request.region)
                .name(request.service.signing_name())
                .time(SystemTime::now())
                .settings(signing_settings(request.service))
                .build()
                .map_err(|e| SendError::Build(e.to_string()))?
                .into();
            let signable = SignableRequest::new(
                request.method,
                uri.as_str(),
                request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                SignableBody::Bytes(&body),
            )
            .map_err(|e| SendError::Build(e.to_string()))?;
            let (instructions, _) =
                sign(signable, &params).map_err(|e| SendError::Build(e.to_string()))?.into_parts();
            instructions.apply_to_request_http1x(&mut http_request);
        }
        let response =
            self.http.send(http_request, request.deadline).await.map_err(SendError::Transport)?;
        Ok(Reply { status: response.status, headers: response.headers, body: response.body })
    }
}

/// How `service` wants its canonical request built. S3 signs the path as sent (encoded
/// once, not normalized: keys may hold `//` or `..`) and requires `x-amz-content-sha256`.
fn signing_settings(service: Service) -> SigningSettings {
    let mut settings = SigningSettings::default();
    if service == Service::S3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::header_spelling;

    #[test]
    fn headers_spelled_as_aws_records_them() {
        assert_eq!(header_spelling("content-type"), "Content-Type");
        assert_eq!(header_spelling("x-amzn-requestid"), "x-amzn-RequestId");
        assert_eq!(header_spelling("x-amz-executed-version"), "X-Amz-Executed-Version");
        assert_eq!(header_spelling("date"), "Date");
    }
}
