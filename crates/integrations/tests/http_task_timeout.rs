//! An endpoint that accepts the connection and never answers fails the HTTP Task with
//! `States.Http.Socket` once the timeout passes (60 s on AWS; shortened here).
use std::sync::Arc;
use std::time::Duration;

use stepwise_engine::arn::Scope;
use stepwise_engine::clock::SystemClock;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::{Engine, Integration, NewStateMachine, Options};
use stepwise_integrations::client::HttpClient;
use stepwise_integrations::http_task::{Connections, HttpTask, HttpTaskConfig};

const CONNECTION: &str = "arn:aws:events:us-east-1:123456789012:connection/basic/1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_is_states_http_socket() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    // Accepts and holds every connection, answering nothing.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });

    let connections = Connections::parse(&format!(
        r#"{{"Connections": {{"{CONNECTION}": {{"AuthorizationType": "BASIC",
            "AuthParameters": {{"BasicAuthParameters": {{"Username": "u", "Password": "p"}}}}}}}}}}"#
    ))
    .unwrap();
    let config = HttpTaskConfig { connections, timeout: Duration::from_millis(300) };
    let http: Arc<dyn Integration> = Arc::new(HttpTask::new(config, HttpClient::new()));
    let engine = Engine::start(Options {
        scope: Scope { region: "us-east-1".into(), account: "123456789012".into() },
        clock: Arc::new(SystemClock),
        store: Arc::new(MemoryStore::new()),
        token_key: None,
        durable: false,
        seed: None,
        mocks: None,
        integrations: vec![("http".into(), http)],
    })
    .unwrap();

    let definition = format!(
        r#"{{"StartAt":"Call","States":{{"Call":{{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
            "Parameters":{{"ApiEndpoint":"http://{addr}/slow","Method":"GET",
            "Authentication":{{"ConnectionArn":"{CONNECTION}"}}}},"End":true}}}}}}"#
    );
    let machine = engine
        .create_state_machine(NewStateMachine {
            name: "silent".into(),
            definition,
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap();
    let execution = engine.start_execution(&machine.arn, None, None).await.unwrap();
    let mut record = engine.describe_execution(&execution.arn).unwrap();
    for _ in 0..500 {
        if record.status != ExecutionStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        record = engine.describe_execution(&execution.arn).unwrap();
    }
    holder.abort();
    assert_eq!(record.status, ExecutionStatus::Failed);
    assert_eq!(record.error.as_deref(), Some("States.Http.Socket"));
    assert_eq!(
        record.cause.as_deref(),
        Some(
            format!("The request to http://{addr}/slow got no response within 0.3 seconds")
                .as_str()
        )
    );
}
