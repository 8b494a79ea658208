//! Shared harness of the integration tests: a Stepwise server started
//! in-process on an ephemeral port, an `aws-sdk-sfn` client pointed at it, a
//! raw AWS JSON 1.0 client for exact-shape checks, and bounded waits.
//!
//! ```ignore
//! let t = TestServer::start().await;
//! let arn = t.create_state_machine("m", BASE_PASS_RESULT).await;
//! ```
#![allow(dead_code)]

use std::fmt::Debug;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::error::{BoxError, ProvideErrorMetadata};
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::Client;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use stepwise::serve::{self, ServeOptions, Server};

/// The account every ARN is minted in (the server's default).
pub const ACCOUNT: &str = "123456789012";
/// The role every test state machine uses.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/stepwise-test-role";
/// The oracle's default definition (`BASE_PASS_RESULT`).
pub const BASE_PASS_RESULT: &str = r#"{"Comment":"BASE_PASS_RESULT","StartAt":"State_1","States":{"State_1":{"Type":"Pass","Result":{"Arg1":"argument1"},"End":true}}}"#;
/// The oracle's `WAIT_1_MIN`: Wait 60 s, then Pass.
pub const WAIT_1_MIN: &str = r#"{"StartAt":"State_1","States":{"State_1":{"Type":"Wait","Seconds":60,"Next":"State_2"},"State_2":{"Type":"Pass","End":true}}}"#;

/// Longest any single wait in the tests may take.
pub const WAIT_LIMIT: Duration = Duration::from_secs(15);

/// A running server and clients for it.
pub struct TestServer {
    /// The server (its `engine` is reachable for checks the API cannot make quickly).
    pub server: Server,
    /// The AWS SDK client (retries off, so errors surface at once).
    pub client: Client,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    raw: HyperClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// A name unique within the test process: `<prefix>-<n>-<pid>`.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", UNIQUE.fetch_add(1, Ordering::Relaxed), std::process::id())
}

/// An SDK client for `endpoint` with static test credentials and no retries.
pub fn sdk_client(endpoint: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_sfn::config::Builder::new()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .behavior_version(BehaviorVersion::latest())
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .http_client(http)
        .build();
    Client::from_conf(config)
}

/// aws-sdk-sfn sends `StartSyncExecution` and `TestState` to `sync-<endpoint host>` (their
/// endpoint host prefix) and has no setting to turn that off (1.125), so a local endpoint
/// needs this interceptor: it takes the prefix off again before the request is signed.
/// (The README shows it.)
#[derive(Debug)]
pub struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request.uri().replacen("://sync-", "://", 1);
        request.set_uri(uri)?;
        Ok(())
    }
}

/// An SDK client for `endpoint` that reaches it with `StartSyncExecution` and `TestState`
/// too.
pub fn sync_client(endpoint: &str) -> Client {
    let config = sdk_client(endpoint).config().to_builder().interceptor(NoHostPrefix).build();
    Client::from_conf(config)
}

impl TestServer {
    /// Starts a fresh in-memory server on `127.0.0.1:0`.
    pub async fn start() -> TestServer {
        TestServer::start_with(ServeOptions::default()).await
    }

    /// Starts a server with `options` (say, a SQLite store in a temporary directory).
    pub async fn start_with(options: ServeOptions) -> TestServer {
        let server = serve::start(options).await.expect("server starts");
        let endpoint = format!("http://{}", server.addr);
        let client = sdk_client(&endpoint);
        let raw = HyperClient::builder(TokioExecutor::new()).build_http();
        TestServer { server, client, endpoint, raw }
    }

    /// The engine behind the server.
    pub fn engine(&self) -> &stepwise_engine::Engine {
        &self.server.engine
    }

    /// `arn:aws:states:us-east-1:<acct>:stateMachine:<name>`.
    pub fn sm_arn(&self, name: &str) -> String {
        format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}")
    }

    /// `arn:aws:states:us-east-1:<acct>:activity:<name>`.
    pub fn activity_arn(&self, name: &str) -> String {
        format!("arn:aws:states:us-east-1:{ACCOUNT}:activity:{name}")
    }

    /// `arn:aws:states:us-east-1:<acct>:execution:<sm>:<name>`.
    pub fn execution_arn(&self, sm: &str, name: &str) -> String {
        format!("arn:aws:states:us-east-1:{ACCOUNT}:execution:{sm}:{name}")
    }

    // ----- raw AWS JSON 1.0 -------------------------------------------------

    /// Sends `POST /` with `X-Amz-Target: AWSStepFunctions.<op>` and `body`;
    /// returns the HTTP status and the parsed JSON answer.
    pub async fn raw(&self, op: &str, body: Value) -> (u16, Value) {
        let request = hyper::Request::post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AWSStepFunctions.{op}"))
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request");
        self.send_raw(request).await
    }

    /// Sends any request with a full body; returns status and JSON answer.
    pub async fn send_raw(&self, request: hyper::Request<Full<Bytes>>) -> (u16, Value) {
        let response = tokio::time::timeout(WAIT_LIMIT * 5, self.raw.request(request))
            .await
            .expect("raw request answered in time")
            .expect("raw request");
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!("answer is not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        (status, value)
    }

    /// A raw call that must succeed (HTTP 200); returns the JSON object.
    pub async fn raw_ok(&self, op: &str, body: Value) -> Value {
        let (status, value) = self.raw(op, body).await;
        assert_eq!(status, 200, "{op} failed: {value}");
        value
    }

    /// A raw call that must fail with HTTP 400, `__type` = `code` and `message` = `message`.
    #[track_caller]
    pub fn assert_raw_error(&self, answer: &(u16, Value), code: &str, message: &str) {
        let (status, value) = answer;
        assert_eq!(*status, 400, "expected a 400 {code}, got {status}: {value}");
        assert_eq!(value["__type"], json!(code), "error code in {value}");
        assert_eq!(value["message"], json!(message), "error message in {value}");
        let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 2, "an error carries exactly __type and message: {value}");
    }

    // ----- shortcuts --------------------------------------------------------

    /// Creates a state machine `name` (role [`ROLE_ARN`]); returns its ARN.
    pub async fn create_state_machine(&self, name: &str, definition: &str) -> String {
        let out = self
            .client
            .create_state_machine()
            .name(name)
            .definition(definition)
            .role_arn(ROLE_ARN)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateStateMachine {name}: {e:?}"));
        out.state_machine_arn().to_owned()
    }

    /// Creates an activity; returns its ARN.
    pub async fn create_activity(&self, name: &str) -> String {
        let out = self
            .client
            .create_activity()
            .name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateActivity {name}: {e:?}"));
        out.activity_arn().to_owned()
    }

    /// Starts an execution (optional name and input); returns its ARN.
    pub async fn start_exec(
        &self,
        sm_arn: &str,
        name: Option<&str>,
        input: Option<&str>,
    ) -> String {
        let out = self
            .client
            .start_execution()
            .state_machine_arn(sm_arn)
            .set_name(name.map(str::to_owned))
            .set_input(input.map(str::to_owned))
            .send()
            .await
            .unwrap_or_else(|e| panic!("StartExecution {sm_arn}: {e:?}"));
        out.execution_arn().to_owned()
    }

    /// The `{"StartAt":"ActivityTask",...}` machine of the oracle's activity tests
    /// (`extra` is spliced into the Task state, e.g. `"TimeoutSeconds":5,`).
    pub async fn activity_machine(&self, activity_arn: &str, extra: &str) -> String {
        let definition = format!(
            r#"{{"StartAt":"ActivityTask","States":{{"ActivityTask":{{"Type":"Task","Resource":"{activity_arn}",{extra}"End":true}}}}}}"#
        );
        self.create_state_machine(&unique("activity-sm"), &definition).await
    }

    /// Polls DescribeExecution until its status is `status` (bounded by [`WAIT_LIMIT`]).
    pub async fn wait_for_status(
        &self,
        execution_arn: &str,
        status: &str,
    ) -> DescribeExecutionOutput {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            let out = self
                .client
                .describe_execution()
                .execution_arn(execution_arn)
                .send()
                .await
                .unwrap_or_else(|e| panic!("DescribeExecution {execution_arn}: {e:?}"));
            if out.status().as_str() == status {
                return out;
            }
            if tokio::time::Instant::now() >= deadline {
                let history = self.history_json(execution_arn).await;
                panic!("{execution_arn} is {} after {WAIT_LIMIT:?}, expected {status}; history: {history:#?}", out.status().as_str());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls the history until an event of type `event_type` appears (bounded); returns the events.
    pub async fn wait_for_event(&self, execution_arn: &str, event_type: &str) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            let events = self.history_json(execution_arn).await;
            if events.iter().any(|e| e["type"] == event_type) {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {event_type} in {execution_arn} after {WAIT_LIMIT:?}: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The full history as raw JSON events (ascending).
    pub async fn history_json(&self, execution_arn: &str) -> Vec<Value> {
        let out =
            self.raw_ok("GetExecutionHistory", json!({ "executionArn": execution_arn })).await;
        out["events"].as_array().expect("events").clone()
    }

    /// The history with each event's `timestamp` removed (for exact comparisons).
    pub async fn history_without_timestamps(&self, execution_arn: &str) -> Vec<Value> {
        let mut events = self.history_json(execution_arn).await;
        for e in &mut events {
            let obj = e.as_object_mut().expect("event object");
            assert!(
                obj.remove("timestamp").is_some_and(|t| t.is_number()),
                "every event has a numeric timestamp: {obj:?}"
            );
        }
        events
    }

    /// `(id, previousEventId, type)` of every event, ascending.
    pub async fn history_summary(&self, execution_arn: &str) -> Vec<(i64, i64, String)> {
        self.history_json(execution_arn)
            .await
            .iter()
            .map(|e| {
                (
                    e["id"].as_i64().expect("id"),
                    e["previousEventId"].as_i64().expect("prev"),
                    e["type"].as_str().expect("type").to_owned(),
                )
            })
            .collect()
    }

    /// GetActivityTask through the SDK, bounded by [`WAIT_LIMIT`]; panics when no task came.
    pub async fn poll_task(&self, activity_arn: &str, worker: Option<&str>) -> (String, String) {
        let poll = self
            .client
            .get_activity_task()
            .activity_arn(activity_arn)
            .set_worker_name(worker.map(str::to_owned))
            .send();
        let Ok(answer) = tokio::time::timeout(WAIT_LIMIT, poll).await else {
            panic!("no activity task on {activity_arn} within {WAIT_LIMIT:?}")
        };
        let out = answer.unwrap_or_else(|e| panic!("GetActivityTask {activity_arn}: {e:?}"));
        let token = out
            .task_token()
            .unwrap_or_else(|| panic!("GetActivityTask returned no task: {out:?}"))
            .to_owned();
        (token, out.input().expect("a task has input").to_owned())
    }

    /// Whether a task is available on `activity_arn` within `wait` (engine-level:
    /// the API always long-polls 60 s). Claims it if there is one.
    pub async fn task_within(&self, activity_arn: &str, wait: Duration) -> Option<String> {
        self.engine()
            .get_activity_task_within(activity_arn, Some("probe".into()), wait)
            .await
            .expect("poll")
            .map(|t| t.task_token)
    }
}

/// Asserts that an SDK call failed with AWS error `code` and message `message`.
#[track_caller]
pub fn assert_error<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, E>,
    code: &str,
    message: &str,
) {
    match result {
        Ok(v) => panic!("expected {code} ({message}), got success: {v:?}"),
        Err(e) => {
            assert_eq!(e.code(), Some(code), "error code of {e:?}");
            assert_eq!(e.message(), Some(message), "error message of {e:?}");
        }
    }
}

/// Asserts that an SDK call failed with AWS error `code` (any message).
#[track_caller]
pub fn assert_code<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, E>,
    code: &str,
) -> String {
    match result {
        Ok(v) => panic!("expected {code}, got success: {v:?}"),
        Err(e) => {
            assert_eq!(e.code(), Some(code), "error code of {e:?}");
            e.message().unwrap_or_default().to_owned()
        }
    }
}

/// Runs `f` with a deadline of [`WAIT_LIMIT`].
pub async fn bounded<F: Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(WAIT_LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {WAIT_LIMIT:?}"))
}

/// The sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().cloned().collect();
    k.sort();
    k
}

/// Sorted owned strings, for comparing key sets.
pub fn sorted(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// Whether `s` looks like a lowercase UUID (8-4-4-4-12 hex).
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}
