//! Testing Step Functions workflows with `aws-sdk-sfn` and `cargo test`, against Stepwise.
//!
//! In your own crate: dev-dependencies `aws-sdk-sfn` (feature `behavior-version-latest`;
//! with its default features the plain-HTTP client line below can go), `aws-smithy-http-client`,
//! `tokio` (`macros`, `rt-multi-thread`, `process`, `io-util`) and `serde_json`; then
//! `STEPWISE_BIN=path/to/stepwise cargo test` (without it, `stepwise` is looked up on the
//! PATH). In this repository the file is a test of the `stepwise` crate
//! (`cargo test -p stepwise --test example_rust`), which runs the binary it just built.
//!
//! Each test starts an in-memory server on a port the system picks; the SDK client
//! only needs its endpoint.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::error::BoxError;
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ROLE: &str = "arn:aws:iam::123456789012:role/example";
const REVIEW: &str = include_str!("../workflows/review.asl.json");
const TOTAL: &str = include_str!("../workflows/total.asl.json");

/// A server for one test, stopped when dropped.
struct Stepwise {
    _process: Child,
    client: Client,
}

impl Stepwise {
    async fn start() -> Stepwise {
        let binary = std::env::var("STEPWISE_BIN")
            .ok()
            .or_else(|| option_env!("CARGO_BIN_EXE_stepwise").map(String::from))
            .unwrap_or_else(|| "stepwise".into());
        let mut process = Command::new(binary)
            .args(["serve", "--store", "memory", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start stepwise (set STEPWISE_BIN or put it on the PATH)");
        // The first line is "listening on http://127.0.0.1:PORT".
        let stdout = process.stdout.take().expect("piped stdout");
        let first = BufReader::new(stdout).lines().next_line().await.unwrap().unwrap_or_default();
        let endpoint = first.strip_prefix("listening on ").expect("the server's first line");
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "example"))
            // Plain HTTP to loopback: no TLS client needed.
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .interceptor(NoHostPrefix)
            .build();
        Stepwise { _process: process, client: Client::from_conf(config) }
    }
}

/// StartSyncExecution and TestState go to `sync-<host>`, which does not resolve for
/// 127.0.0.1; aws-sdk-sfn has no setting to turn that prefix off, so this takes it off
/// before the request is signed.
#[derive(Debug)]
struct NoHostPrefix;

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

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    format!("{prefix}-{}", nanos.as_nanos())
}

async fn wait_for_end(
    sfn: &Client,
    execution_arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let described = sfn.describe_execution().execution_arn(execution_arn).send().await.unwrap();
        if described.status() != &ExecutionStatus::Running {
            return described;
        }
        assert!(Instant::now() < deadline, "{execution_arn} still running after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_approved_order_succeeds_with_this_test_as_the_activity_worker() {
    let stepwise = Stepwise::start().await;
    let sfn = &stepwise.client;
    let activity = sfn.create_activity().name(unique("review")).send().await.unwrap();
    let machine = sfn
        .create_state_machine()
        .name(unique("review"))
        .definition(REVIEW.replace("ACTIVITY_ARN", activity.activity_arn()))
        .role_arn(ROLE)
        .send()
        .await
        .unwrap();

    let started = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(json!({"orderId": "o-1"}).to_string())
        .send()
        .await
        .unwrap();
    let task = sfn
        .get_activity_task()
        .activity_arn(activity.activity_arn())
        .worker_name("cargo-test")
        .send()
        .await
        .unwrap();
    let order: Value = serde_json::from_str(task.input().unwrap()).unwrap();
    assert_eq!(order, json!({"orderId": "o-1"}));
    sfn.send_task_success()
        .task_token(task.task_token().unwrap())
        .output(json!({"approved": true}).to_string())
        .send()
        .await
        .unwrap();

    let ended = wait_for_end(sfn, started.execution_arn()).await;
    assert_eq!(ended.status(), &ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(ended.output().unwrap()).unwrap();
    assert_eq!(output, json!({"orderId": "o-1", "review": {"approved": true}}));
}

#[tokio::test]
async fn an_express_workflow_answers_in_the_request() {
    let stepwise = Stepwise::start().await;
    let sfn = &stepwise.client;
    let machine = sfn
        .create_state_machine()
        .name(unique("total"))
        .definition(TOTAL)
        .role_arn(ROLE)
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .unwrap();
    let order = json!({"orderId": "o-3", "items": [{"price": 2.5, "quantity": 4}, {"price": 1, "quantity": 3}]});

    let result = sfn
        .start_sync_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(order.to_string())
        .send()
        .await
        .unwrap();

    assert_eq!(result.status(), &aws_sdk_sfn::types::SyncExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(result.output().unwrap()).unwrap();
    assert_eq!(output, json!({"orderId": "o-3", "total": 13}));
}

#[tokio::test]
async fn a_bad_definition_is_refused_with_aws_error() {
    let stepwise = Stepwise::start().await;
    let refused = stepwise
        .client
        .create_state_machine()
        .name(unique("broken"))
        .definition(json!({"StartAt": "Missing", "States": {"A": {"Type": "Succeed"}}}).to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(refused.is_invalid_definition(), "{refused:?}");
    assert!(refused.to_string().contains("MISSING_TRANSITION_TARGET"), "{refused}");
}
