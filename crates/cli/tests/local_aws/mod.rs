//! A local AWS for the integration tests: moto's server (started per test on a port
//! the OS picks, stopped when dropped) and a Lambda Invoke endpoint served by
//! the test itself, plus raw calls to moto for setting up and checking.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes as AxumBytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// A running moto server; killed (by its own PID) when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the OS picks as free (moto's server takes a port number, not a listener, so
/// another process may take it in between; rare enough for tests). On a shared machine
/// `STEPWISE_TEST_PORTS=9900-9949` confines it to a range: the next port there that binds.
fn free_port() -> u16 {
    if let Some((low, high)) = port_range() {
        static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        let span = high - low + 1;
        for _ in 0..span {
            let port = low + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % span;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return port;
            }
        }
        panic!("no free port in STEPWISE_TEST_PORTS={low}-{high}");
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a free port");
    listener.local_addr().expect("address").port()
}

/// `STEPWISE_TEST_PORTS` as `(low, high)`, if set and well-formed.
fn port_range() -> Option<(u16, u16)> {
    let range = std::env::var("STEPWISE_TEST_PORTS").ok()?;
    let (low, high) = range.split_once('-')?;
    let (low, high): (u16, u16) = (low.trim().parse().ok()?, high.trim().parse().ok()?);
    (low <= high).then_some((low, high))
}

/// Starts moto's server, or returns `None` (saying so loudly) when moto is not
/// installed; under `CI=true` a missing moto fails the test.
pub async fn start_moto(test: &str) -> Option<Moto> {
    let present = Command::new("python3")
        .args(["-c", "import moto.server, flask"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: moto[server] is not installed, and CI=true requires it (python3 -m pip install 'moto[server]')"
        );
        eprintln!(
            "SKIPPED {test}: moto[server] is not installed (python3 -m pip install 'moto[server]')"
        );
        return None;
    }
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server starts");
    let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if get(&format!("{}/moto-api/", moto.url)).await.is_some() {
            return Some(moto);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "moto did not answer on {} within 60 s",
            moto.url
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(url: &str) -> Option<u16> {
    let client = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::get(url).body(Full::new(Bytes::new())).ok()?;
    let answer =
        tokio::time::timeout(Duration::from_secs(2), client.request(request)).await.ok()?;
    answer.ok().map(|r| r.status().as_u16())
}

/// `POST` with a body; returns the status and the body as text.
pub async fn post(url: &str, headers: &[(&str, &str)], body: String) -> (u16, String) {
    let client = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::post(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request.body(Full::new(Bytes::from(body))).expect("request");
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("moto answers within 30 s")
        .expect("moto answers");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

impl Moto {
    /// An AWS JSON call (`X-Amz-Target: <target>`); panics unless it succeeds.
    pub async fn json(&self, version: &str, target: &str, body: Value) -> Value {
        let service = match target.split('.').next().unwrap_or_default() {
            "DynamoDB_20120810" => "dynamodb",
            "AmazonSQS" => "sqs",
            "AWSEvents" => "events",
            other => panic!("no signing name known for {other}"),
        };
        let (status, text) = post(
            &format!("{}/", self.url),
            &[
                ("content-type", &format!("application/x-amz-json-{version}")),
                ("x-amz-target", target),
                ("authorization", &authorization(service)),
            ],
            body.to_string(),
        )
        .await;
        assert!((200..300).contains(&status), "{target}: {status} {text}");
        if text.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{target}: {e}: {text}"))
        }
    }

    /// A query-protocol call (SNS); returns the XML.
    pub async fn query(&self, params: &[(&str, &str)]) -> String {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        let (status, text) = post(
            &format!("{}/", self.url),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", &authorization("sns")),
            ],
            body,
        )
        .await;
        assert!((200..300).contains(&status), "{params:?}: {status} {text}");
        text
    }

    /// A DynamoDB table keyed by the string `id`.
    pub async fn create_table(&self, name: &str) {
        self.json(
            "1.0",
            "DynamoDB_20120810.CreateTable",
            json!({
                "TableName": name,
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .await;
    }

    /// A queue; returns its URL.
    pub async fn create_queue(&self, name: &str) -> String {
        let out = self.json("1.0", "AmazonSQS.CreateQueue", json!({ "QueueName": name })).await;
        out["QueueUrl"].as_str().expect("QueueUrl").to_owned()
    }

    /// The queue's ARN, as moto mints it.
    pub fn queue_arn(name: &str) -> String {
        format!("arn:aws:sqs:us-east-1:123456789012:{name}")
    }

    /// Receives one message within `seconds`, or `None`.
    pub async fn receive(&self, queue_url: &str, seconds: u64) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let out = self
                .json(
                    "1.0",
                    "AmazonSQS.ReceiveMessage",
                    json!({ "QueueUrl": queue_url, "MaxNumberOfMessages": 1, "WaitTimeSeconds": 1 }),
                )
                .await;
            if let Some(m) = out["Messages"].as_array().and_then(|m| m.first()) {
                return Some(m.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
        }
    }
}

/// moto tells services apart by the SigV4 scope of the Authorization header (it checks
/// no signature): a placeholder header naming the service.
fn authorization(service: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0")
}

/// One request the Lambda endpoint received.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub function: String,
    pub qualifier: Option<String>,
    pub invocation_type: Option<String>,
    pub body: String,
}

/// A Lambda Invoke endpoint of the test's own, with four functions:
/// `echo` returns its event, `slow` returns it after 3 s, `fail` raises `CustomError`,
/// `crash` fails without an error type (as a timeout does); any other function does
/// not exist.
pub struct LambdaServer {
    pub url: String,
    pub calls: Arc<Mutex<Vec<Invocation>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LambdaServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The request id the endpoint answers with.
pub const LAMBDA_REQUEST_ID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// What `fail` answers (with `X-Amz-Function-Error: Unhandled`), byte for byte.
pub const LAMBDA_FAIL_PAYLOAD: &str = r#"{"errorMessage":"it broke","errorType":"CustomError","requestId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","stackTrace":[]}"#;

pub async fn start_lambda() -> LambdaServer {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/2015-03-31/functions/{function}/invocations", axum::routing::post(invoke))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    LambdaServer { url, calls, task }
}

async fn invoke(
    State(calls): State<Arc<Mutex<Vec<Invocation>>>>,
    Path(function): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: AxumBytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).into_owned();
    calls.lock().unwrap().push(Invocation {
        function: function.clone(),
        qualifier: query.get("Qualifier").cloned(),
        invocation_type: headers
            .get("x-amz-invocation-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: text.clone(),
    });
    let name = function.rsplit(':').next().unwrap_or(&function).to_owned();
    let name = if function.contains(":function:") {
        function.split(":function:").nth(1).unwrap_or("").split(':').next().unwrap_or("").to_owned()
    } else {
        name
    };
    let base = [
        ("content-type", "application/json"),
        ("x-amzn-requestid", LAMBDA_REQUEST_ID),
        ("x-amz-executed-version", "$LATEST"),
    ];
    if name == "slow" {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    match name.as_str() {
        "echo" | "slow" => {
            let event = if text.is_empty() { "{}".to_owned() } else { text };
            (StatusCode::OK, base, event).into_response()
        }
        "fail" => {
            let mut r = (StatusCode::OK, base, LAMBDA_FAIL_PAYLOAD).into_response();
            r.headers_mut().insert("x-amz-function-error", "Unhandled".parse().unwrap());
            r
        }
        "crash" => {
            let mut r =
                (StatusCode::OK, base, r#"{"errorMessage":"Task timed out after 1.00 seconds"}"#)
                    .into_response();
            r.headers_mut().insert("x-amz-function-error", "Unhandled".parse().unwrap());
            r
        }
        _ => {
            let message = format!(
                "Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}:$LATEST"
            );
            (
                StatusCode::NOT_FOUND,
                [
                    ("content-type", "application/json"),
                    ("x-amzn-requestid", LAMBDA_REQUEST_ID),
                    ("x-amzn-errortype", "ResourceNotFoundException"),
                ],
                json!({ "Type": "User", "Message": message }).to_string(),
            )
                .into_response()
        }
    }
}
