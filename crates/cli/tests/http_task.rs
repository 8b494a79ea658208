//! The HTTP Task (`arn:aws:states:::http:invoke`) end to end: state machines run on an
//! in-process server with a connections file, calling an endpoint of the test that
//! records what it was sent. Each test checks the request the endpoint saw, the task's
//! output, and the history's TaskScheduled/TaskSucceeded/TaskFailed events exactly.
mod common;
mod http_recorder;

use common::*;
use http_recorder::{Recorder, Seen};
use serde_json::{json, Value};
use stepwise::serve::ServeOptions;

const BASIC: &str = "arn:aws:events:us-east-1:123456789012:connection/basic/0b5e";
const API_KEY: &str = "arn:aws:events:us-east-1:123456789012:connection/apikey/81210c42";
const OAUTH: &str = "arn:aws:events:us-east-1:123456789012:connection/oauth/aeabd89e";
const USER_AGENT: &str = "Amazon|StepFunctions|HttpInvoke|us-east-1";

/// A server whose connections file names the three connections above, and the endpoint
/// they lead to.
struct Fixture {
    t: TestServer,
    endpoint: Recorder,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Fixture {
        let endpoint = Recorder::start().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("connections.json");
        let connections = json!({"Connections": {
            BASIC: {"AuthorizationType": "BASIC", "AuthParameters": {
                "BasicAuthParameters": {"Username": "alice", "Password": "s3cret"}}},
            API_KEY: {"AuthorizationType": "API_KEY", "AuthParameters": {
                "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-123"},
                "InvocationHttpParameters": {
                    "HeaderParameters": [{"Key": "Header-Param", "Value": "connection_header_param"}],
                    "QueryStringParameters": [{"Key": "QueryParam", "Value": "connection_query_param"}],
                    "BodyParameters": [{"Key": "BodyParam", "Value": "connection_body_param", "IsValueSecret": true}]}}},
            OAUTH: {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {
                "OAuthParameters": {
                    "AuthorizationEndpoint": endpoint.url("/token"), "HttpMethod": "POST",
                    "ClientParameters": {"ClientID": "client", "ClientSecret": "secret"},
                    "OAuthHttpParameters": {"BodyParameters": [{"Key": "audience", "Value": "https://api.example.com"}]}}}}
        }});
        std::fs::write(&file, connections.to_string()).expect("write the connections file");
        let options = ServeOptions { connections: Some(file), ..ServeOptions::default() };
        Fixture { t: TestServer::start_with(options).await, endpoint, _dir: dir }
    }

    /// Runs a one-Task machine (`task` is the Task state) on `input`; returns the
    /// execution's ARN once it is `status`.
    async fn run(&self, task: Value, input: Value, status: &str) -> String {
        let definition = json!({"StartAt": "Call", "States": {"Call": task}});
        let machine = self.t.create_state_machine(&unique("http"), &definition.to_string()).await;
        let execution = self.t.start_exec(&machine, None, Some(&input.to_string())).await;
        self.t.wait_for_status(&execution, status).await;
        execution
    }

    async fn output(&self, execution: &str) -> Value {
        let d = self.t.client.describe_execution().execution_arn(execution).send().await.unwrap();
        serde_json::from_str(d.output().expect("an output")).expect("JSON output")
    }

    /// The details of the history's only event of `event_type`.
    async fn details(&self, execution: &str, event_type: &str) -> Value {
        let events = self.t.history_json(execution).await;
        let found: Vec<&Value> = events.iter().filter(|e| e["type"] == event_type).collect();
        assert_eq!(found.len(), 1, "one {event_type} in {events:#?}");
        let key = format!("{}{}EventDetails", event_type[..1].to_lowercase(), &event_type[1..]);
        found[0][key.as_str()].clone()
    }

    /// TaskScheduled records the evaluated parameters, TaskSucceeded the output.
    async fn assert_history(&self, execution: &str, parameters: &Value, output: &Value) {
        assert_eq!(
            self.details(execution, "TaskScheduled").await,
            json!({"parameters": parameters.to_string(), "region": "us-east-1",
                   "resource": "invoke", "resourceType": "http"})
        );
        assert_eq!(
            self.details(execution, "TaskSucceeded").await,
            json!({"output": output.to_string(), "outputDetails": {"truncated": false},
                   "resource": "invoke", "resourceType": "http"})
        );
    }
}

fn task(parameters: &Value) -> Value {
    json!({"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": parameters, "End": true})
}

/// The endpoint's answer to every successful call, as the task returns it.
fn received(status_code: u16) -> Value {
    json!({
        "Headers": {"content-type": ["application/json"], "content-length": ["17"], "connection": ["close"]},
        "ResponseBody": {"received": true},
        "StatusCode": status_code,
        "StatusText": "OK"
    })
}

fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    pairs.sort();
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_with_query_parameters_in_each_array_format() {
    let f = Fixture::start().await;
    let host = f.endpoint.host();
    let cases = [
        ("INDICES", "tags%5B0%5D=red&tags%5B1%5D=big%20one"),
        ("REPEAT", "tags=red&tags=big%20one"),
        ("COMMAS", "tags=red%2Cbig%20one"),
        ("BRACKETS", "tags%5B%5D=red&tags%5B%5D=big%20one"),
    ];
    for (format, tags) in cases {
        let parameters = json!({
            "ApiEndpoint": f.endpoint.url("/v1/items"),
            "Method": "GET",
            "Authentication": {"ConnectionArn": BASIC},
            "QueryParameters": {"tags": ["red", "big one"], "page": 2, "filter": {"kind": "a&b"}},
            "Transform": {"RequestEncodingOptions": {"ArrayFormat": format}}
        });
        let before = f.endpoint.seen().len();
        let execution = f.run(task(&parameters), json!({}), "SUCCEEDED").await;
        let seen = f.endpoint.seen();
        assert_eq!(seen.len(), before + 1, "{format}: one request");
        assert_eq!(
            seen[before],
            Seen {
                method: "GET".into(),
                target: format!("/v1/items?{tags}&page=2&filter%5Bkind%5D=a%26b"),
                headers: headers(&[
                    ("authorization", "Basic YWxpY2U6czNjcmV0"),
                    ("host", &host),
                    ("range", "bytes=0-262144"),
                    ("user-agent", USER_AGENT),
                ]),
                body: String::new(),
            },
            "{format}"
        );
        assert_eq!(f.output(&execution).await, received(200));
        f.assert_history(&execution, &parameters, &received(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_json_body_merged_with_the_connection() {
    let f = Fixture::start().await;
    // AWS's merge example: the connection's header, query and body parameters win.
    let parameters = json!({
        "ApiEndpoint": f.endpoint.url("/path"),
        "Method": "POST",
        "Authentication": {"ConnectionArn": API_KEY},
        "Headers": {"Request-Id": "my_request_id", "Header-Param": "state_machine_header_param"},
        "RequestBody": {"Job": "Software Engineer", "Company": "AnyCompany", "BodyParam": "state_machine_body_param"},
        "QueryParameters": {"QueryParam": "state_machine_query_param"}
    });
    let execution = f.run(task(&parameters), json!({}), "SUCCEEDED").await;
    let body =
        r#"{"Job":"Software Engineer","Company":"AnyCompany","BodyParam":"connection_body_param"}"#;
    assert_eq!(
        f.endpoint.seen(),
        [Seen {
            method: "POST".into(),
            target: "/path?QueryParam=connection_query_param".into(),
            headers: headers(&[
                ("content-length", &body.len().to_string()),
                ("content-type", "application/json; charset=UTF-8"),
                ("header-param", "connection_header_param"),
                ("host", &f.endpoint.host()),
                ("range", "bytes=0-262144"),
                ("request-id", "my_request_id"),
                ("user-agent", USER_AGENT),
                ("x-api-key", "key-123"),
            ]),
            body: body.into(),
        }]
    );
    assert_eq!(f.output(&execution).await, received(200));
    f.assert_history(&execution, &parameters, &received(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_url_encoded_body_from_the_input() {
    let f = Fixture::start().await;
    // AWS's invoice example, with the customer taken from the input.
    let task = task(&json!({
        "ApiEndpoint": f.endpoint.url("/v1/invoices"),
        "Method": "POST",
        "Authentication": {"ConnectionArn": BASIC},
        "Headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "RequestBody": {
            "customer.$": "$.customer_id",
            "description": "Monthly subscription",
            "metadata": {"order_details": "monthly report data"},
            "lines": [{"sku": "a-1", "qty": 2}]
        },
        "Transform": {"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "INDICES"}}
    }));
    let execution = f.run(task, json!({"customer_id": "cus 42"}), "SUCCEEDED").await;
    let body = "customer=cus%2042&description=Monthly%20subscription&metadata%5Border_details%5D=monthly%20report%20data&lines%5B0%5D%5Bsku%5D=a-1&lines%5B0%5D%5Bqty%5D=2";
    assert_eq!(
        f.endpoint.seen(),
        [Seen {
            method: "POST".into(),
            target: "/v1/invoices".into(),
            headers: headers(&[
                ("authorization", "Basic YWxpY2U6czNjcmV0"),
                ("content-length", &body.len().to_string()),
                ("content-type", "application/x-www-form-urlencoded"),
                ("host", &f.endpoint.host()),
                ("range", "bytes=0-262144"),
                ("user-agent", USER_AGENT),
            ]),
            body: body.into(),
        }]
    );
    let evaluated = json!({
        "ApiEndpoint": f.endpoint.url("/v1/invoices"),
        "Method": "POST",
        "Authentication": {"ConnectionArn": BASIC},
        "Headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "RequestBody": {
            "customer": "cus 42",
            "description": "Monthly subscription",
            "metadata": {"order_details": "monthly report data"},
            "lines": [{"sku": "a-1", "qty": 2}]
        },
        "Transform": {"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "INDICES"}}
    });
    f.assert_history(&execution, &evaluated, &received(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_client_credentials_fetches_one_token_and_renews_a_refused_one() {
    let f = Fixture::start().await;
    let call = |path: &str| {
        json!({"ApiEndpoint": f.endpoint.url(path), "Method": "GET",
               "InvocationConfig": {"ConnectionArn": OAUTH}})
    };
    let first = f.run(task(&call("/a")), json!({}), "SUCCEEDED").await;
    let second = f.run(task(&call("/b")), json!({}), "SUCCEEDED").await;
    let token_body = "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com";
    let token_request = Seen {
        method: "POST".into(),
        target: "/token".into(),
        headers: headers(&[
            ("accept", "application/json"),
            ("authorization", "Basic Y2xpZW50OnNlY3JldA=="),
            ("content-length", &token_body.len().to_string()),
            ("content-type", "application/x-www-form-urlencoded"),
            ("host", &f.endpoint.host()),
        ]),
        body: token_body.into(),
    };
    let call_with = |path: &str, token: &str| Seen {
        method: "GET".into(),
        target: path.into(),
        headers: headers(&[
            ("authorization", &format!("Bearer {token}")),
            ("host", &f.endpoint.host()),
            ("range", "bytes=0-262144"),
            ("user-agent", USER_AGENT),
        ]),
        body: String::new(),
    };
    // One token for both calls: it is kept until it is about to expire.
    assert_eq!(
        f.endpoint.seen(),
        [token_request.clone(), call_with("/a", "token-1"), call_with("/b", "token-1")]
    );
    f.assert_history(&first, &call("/a"), &received(200)).await;
    f.assert_history(&second, &call("/b"), &received(200)).await;

    // A 401 renews the token and repeats the call once.
    let third = f.run(task(&call("/stale-once")), json!({}), "SUCCEEDED").await;
    assert_eq!(
        f.endpoint.seen()[3..],
        [call_with("/stale-once", "token-1"), token_request, call_with("/stale-once", "token-2")]
    );
    assert_eq!(f.output(&third).await, received(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_is_caught_as_its_status_code() {
    let f = Fixture::start().await;
    let mut state = task(&json!({
        "ApiEndpoint": f.endpoint.url("/missing"), "Method": "DELETE",
        "Authentication": {"ConnectionArn": BASIC}
    }));
    state["Catch"] = json!([{"ErrorEquals": ["States.Http.StatusCode.404"], "ResultPath": "$.error", "Next": "Gone"}]);
    state.as_object_mut().unwrap().remove("End");
    state["Next"] = json!("Done");
    let definition = json!({"StartAt": "Call", "States": {
        "Call": state, "Gone": {"Type": "Pass", "End": true}, "Done": {"Type": "Succeed"}}});
    let machine = f.t.create_state_machine(&unique("http"), &definition.to_string()).await;
    let execution = f.t.start_exec(&machine, None, Some(r#"{"id":7}"#)).await;
    f.t.wait_for_status(&execution, "SUCCEEDED").await;
    assert_eq!(f.endpoint.seen().len(), 1);
    assert_eq!(f.endpoint.seen()[0].method, "DELETE");
    assert_eq!(
        f.details(&execution, "TaskFailed").await,
        json!({"error": "States.Http.StatusCode.404", "cause": "Not Found",
               "resource": "invoke", "resourceType": "http"})
    );
    assert_eq!(
        f.output(&execution).await,
        json!({"id": 7, "error": {"Error": "States.Http.StatusCode.404", "Cause": "Not Found"}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_caught_as_states_http_socket() {
    let f = Fixture::start().await;
    // A port that was free a moment ago and has no listener now.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let endpoint = format!("http://{closed}/v1/items");
    let mut state = task(&json!({
        "ApiEndpoint": endpoint, "Method": "GET", "Authentication": {"ConnectionArn": BASIC},
        "QueryParameters": {"secret": "not in the cause"}
    }));
    state["Catch"] = json!([{"ErrorEquals": ["States.Http.Socket"], "Next": "Unreachable"}]);
    state.as_object_mut().unwrap().remove("End");
    state["Next"] = json!("Unreachable");
    let definition = json!({"StartAt": "Call", "States": {
        "Call": state, "Unreachable": {"Type": "Pass", "End": true}}});
    let machine = f.t.create_state_machine(&unique("http"), &definition.to_string()).await;
    let execution = f.t.start_exec(&machine, None, None).await;
    f.t.wait_for_status(&execution, "SUCCEEDED").await;
    let cause = format!("The request to {endpoint} failed: connection failed: connection refused");
    assert_eq!(
        f.details(&execution, "TaskFailed").await,
        json!({"error": "States.Http.Socket", "cause": cause, "resource": "invoke", "resourceType": "http"})
    );
    assert_eq!(f.output(&execution).await, json!({"Error": "States.Http.Socket", "Cause": cause}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_not_in_the_file_fails_naming_it() {
    let f = Fixture::start().await;
    let unknown = "arn:aws:events:us-east-1:123456789012:connection/nowhere/1";
    let execution = f
        .run(
            task(&json!({"ApiEndpoint": f.endpoint.url("/x"), "Method": "GET",
                         "Authentication": {"ConnectionArn": unknown}})),
            json!({}),
            "FAILED",
        )
        .await;
    let d = f.t.client.describe_execution().execution_arn(&execution).send().await.unwrap();
    let file = f._dir.path().join("connections.json");
    let cause = format!(
        "Connection '{unknown}' does not exist: it is not in the connections file {}",
        file.display()
    );
    assert_eq!(d.error(), Some("Events.ConnectionResource.ResourceNotFound"));
    assert_eq!(d.cause(), Some(cause.as_str()));
    assert!(f.endpoint.seen().is_empty(), "nothing is sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_aws_forbids_fails_with_states_runtime() {
    let f = Fixture::start().await;
    let execution = f
        .run(
            task(&json!({"ApiEndpoint": f.endpoint.url("/x"), "Method": "GET",
                         "Authentication": {"ConnectionArn": BASIC},
                         "Headers": {"X-Amz-Security-Token": "t"}})),
            json!({}),
            "FAILED",
        )
        .await;
    let d = f.t.client.describe_execution().execution_arn(&execution).send().await.unwrap();
    assert_eq!(d.error(), Some("States.Runtime"));
    assert_eq!(d.cause(), Some("The header 'X-Amz-Security-Token' is not allowed in an HTTP Task"));
    assert!(f.endpoint.seen().is_empty(), "nothing is sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_connections_file_stops_serve() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("connections.json");
    std::fs::write(
        &file,
        r#"{"Connections": {"arn:c": {"AuthorizationType": "BASIC", "AuthParameters": {}}}}"#,
    )
    .unwrap();
    let error =
        stepwise::serve::start(ServeOptions { connections: Some(file), ..ServeOptions::default() })
            .await
            .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "connection arn:c: BASIC needs AuthParameters.BasicAuthParameters"
    );
}
