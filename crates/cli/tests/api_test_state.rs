//! TestState through `aws-sdk-sfn`: one state run on its own, at each inspection level,
//! with mocked and real Task calls, AWS's statuses (SUCCEEDED, FAILED, RETRIABLE,
//! CAUGHT_ERROR) and AWS's validation errors. The expected values are those AWS recorded
//! for the same definitions (LocalStack's `test_state` snapshots).
mod common;
mod http_recorder;

use aws_sdk_sfn::operation::test_state::TestStateOutput;
use aws_sdk_sfn::types::{InspectionLevel, MockErrorOutput, MockInput, TestStateConfiguration};
use common::*;
use http_recorder::Recorder;
use serde_json::{json, Value};
use stepwise::serve::ServeOptions;

const NESTED_INPUT: &str = r#"{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234}}"#;
const IO_PASS: &str = r#"{"Type":"Pass","InputPath":"$.initialData","Parameters":{"staticValue":"some value","inputValue.$":"$.fieldFromInput"},"ResultPath":"$.modifiedData","End":true}"#;
const RETRYING_TASK: &str = r#"{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"foo","Payload":"bar"},"Retry":[{"ErrorEquals":["Retry.Me"],"IntervalSeconds":1,"MaxAttempts":5,"BackoffRate":2.0}],"End":true}"#;
const CATCHING_TASK: &str = r#"{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"foo","Payload":"bar"},"Catch":[{"ErrorEquals":["MockException"],"Next":"HandleMockError"},{"ErrorEquals":["States.TaskFailed"],"Next":"HandleThreshold"}],"End":true}"#;

/// A client that reaches TestState past its `sync-` host prefix.
fn sfn(t: &TestServer) -> aws_sdk_sfn::Client {
    sync_client(&t.endpoint)
}

fn parse(text: Option<&str>) -> Value {
    serde_json::from_str(text.expect("a value")).expect("JSON text")
}

async fn test(
    t: &TestServer,
    definition: &str,
    input: &str,
    level: InspectionLevel,
) -> TestStateOutput {
    sfn(t)
        .test_state()
        .definition(definition)
        .role_arn(ROLE_ARN)
        .input(input)
        .inspection_level(level)
        .send()
        .await
        .expect("TestState answers")
}

fn mock_result(result: &str) -> MockInput {
    MockInput::builder().result(result).build()
}

fn mock_error(error: &str, cause: &str) -> MockInput {
    MockInput::builder()
        .error_output(MockErrorOutput::builder().error(error).cause(cause).build())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_state_at_each_inspection_level() {
    let t = TestServer::start().await;
    let expected_output = json!({
        "initialData": {"fieldFromInput": "value from input", "otherField": "other"},
        "unrelatedData": {"someOtherField": 1234},
        "modifiedData": {"staticValue": "some value", "inputValue": "value from input"}
    });

    let info = test(&t, IO_PASS, NESTED_INPUT, InspectionLevel::Info).await;
    assert_eq!(info.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert_eq!(parse(info.output()), expected_output);
    assert!(info.inspection_data().is_none(), "INFO reports no inspection data");
    assert!(info.next_state().is_none());

    for level in [InspectionLevel::Debug, InspectionLevel::Trace] {
        let answer = test(&t, IO_PASS, NESTED_INPUT, level.clone()).await;
        assert_eq!(parse(answer.output()), expected_output);
        let data = answer.inspection_data().expect("inspection data");
        let parameters = json!({"staticValue": "some value", "inputValue": "value from input"});
        assert_eq!(parse(data.input()), parse(Some(NESTED_INPUT)));
        assert_eq!(
            parse(data.after_input_path()),
            json!({"fieldFromInput": "value from input", "otherField": "other"})
        );
        assert_eq!(parse(data.after_parameters()), parameters);
        assert_eq!(parse(data.after_result_selector()), parameters);
        assert_eq!(parse(data.after_result_path()), expected_output);
        assert!(data.result().is_none(), "a Pass without Result reports no result");
        assert!(data.after_arguments().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_with_result_reports_the_result_and_skips_input_processing() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Pass","InputPath":"$.initialData","Result":{"resultKey":"result value"},"ResultPath":"$.modifiedData","End":true}"#;
    let answer = test(&t, definition, NESTED_INPUT, InspectionLevel::Debug).await;
    let data = answer.inspection_data().expect("inspection data");
    assert_eq!(parse(data.result()), json!({"resultKey": "result value"}));
    assert_eq!(parse(data.after_result_selector()), json!({"resultKey": "result value"}));
    assert!(data.after_input_path().is_none() && data.after_parameters().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choice_names_the_next_state() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Choice","Choices":[{"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},{"And":[{"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],"Next":"ValueInTwenties"}],"Default":"DefaultState"}"#;
    let input = r#"{"type":"Private","value":22}"#;
    let answer = test(&t, definition, input, InspectionLevel::Trace).await;
    assert_eq!(answer.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert_eq!(answer.next_state(), Some("ValueInTwenties"));
    assert_eq!(parse(answer.output()), parse(Some(input)));
    let data = answer.inspection_data().expect("inspection data");
    assert_eq!(parse(data.after_input_path()), parse(Some(input)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_state_fails_with_its_error_and_cause() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."}"#;
    let answer = test(&t, definition, r#"{"Value":"HelloWorld"}"#, InspectionLevel::Info).await;
    assert_eq!(answer.status().map(|s| s.as_str()), Some("FAILED"));
    assert_eq!(answer.error(), Some("SomeFailure"));
    assert_eq!(answer.cause(), Some("This state machines raises a 'SomeFailure' failure."));
    assert!(answer.output().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_state_passes_its_input_on() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Wait","Seconds":1,"OutputPath":"$.keep","Next":"After"}"#;
    let answer = test(&t, definition, r#"{"keep":{"a":1}}"#, InspectionLevel::Debug).await;
    assert_eq!(answer.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert_eq!(answer.next_state(), Some("After"));
    assert_eq!(parse(answer.output()), json!({"a": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mocked_task_result_goes_through_output_processing() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.fn","Payload":{"x":1}},"ResultSelector":{"body.$":"$.Payload"},"ResultPath":"$.out","End":true}"#;
    let answer = sfn(&t)
        .test_state()
        .definition(definition)
        .input(r#"{"fn":"f"}"#)
        .inspection_level(InspectionLevel::Debug)
        .mock(mock_result(r#"{"Payload":{"ok":true},"StatusCode":200}"#))
        .send()
        .await
        .expect("TestState answers");
    assert_eq!(answer.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert_eq!(parse(answer.output()), json!({"fn": "f", "out": {"body": {"ok": true}}}));
    let data = answer.inspection_data().expect("inspection data");
    assert_eq!(parse(data.after_parameters()), json!({"FunctionName": "f", "Payload": {"x": 1}}));
    assert_eq!(parse(data.result()), json!({"Payload": {"ok": true}, "StatusCode": 200}));
    assert_eq!(parse(data.after_result_selector()), json!({"body": {"ok": true}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mocked_errors_are_caught_retried_or_fail() {
    let t = TestServer::start().await;
    let run = |definition: &'static str, mock: MockInput, retries: Option<i32>| {
        let mut call = sfn(&t)
            .test_state()
            .definition(definition)
            .input(r#"{"Value":"HelloWorld"}"#)
            .inspection_level(InspectionLevel::Debug)
            .mock(mock);
        if let Some(n) = retries {
            call = call.state_configuration(
                TestStateConfiguration::builder().retrier_retry_count(n).build(),
            );
        }
        call.send()
    };

    let caught = run(CATCHING_TASK, mock_error("States.TaskFailed", "The task failed."), None)
        .await
        .unwrap();
    assert_eq!(caught.status().map(|s| s.as_str()), Some("CAUGHT_ERROR"));
    assert_eq!(caught.next_state(), Some("HandleThreshold"));
    assert_eq!(caught.error(), Some("States.TaskFailed"));
    assert_eq!(caught.cause(), Some("The task failed."));
    assert_eq!(
        parse(caught.output()),
        json!({"Error": "States.TaskFailed", "Cause": "The task failed."})
    );
    let data = caught.inspection_data().unwrap();
    assert_eq!(data.error_details().and_then(|d| d.catch_index()), Some(1));
    assert_eq!(parse(data.after_arguments()), json!({"FunctionName": "foo", "Payload": "bar"}));

    let retried = run(RETRYING_TASK, mock_error("Retry.Me", "again"), Some(4)).await.unwrap();
    assert_eq!(retried.status().map(|s| s.as_str()), Some("RETRIABLE"));
    assert!(retried.next_state().is_none() && retried.output().is_none());
    let details = retried.inspection_data().unwrap().error_details().unwrap().clone();
    assert_eq!(details.retry_index(), Some(0));
    // IntervalSeconds 1, BackoffRate 2, four retries made: 1 × 2⁴.
    assert_eq!(details.retry_backoff_interval_seconds(), Some(16));

    let exhausted = run(RETRYING_TASK, mock_error("Retry.Me", "again"), Some(5)).await.unwrap();
    assert_eq!(exhausted.status().map(|s| s.as_str()), Some("FAILED"));
    let details = exhausted.inspection_data().unwrap().error_details().unwrap().clone();
    assert_eq!(details.retry_index(), Some(0));
    assert_eq!(details.retry_backoff_interval_seconds(), None);

    let failed = run(RETRYING_TASK, mock_error("Other", "no handler"), None).await.unwrap();
    assert_eq!(failed.status().map(|s| s.as_str()), Some("FAILED"));
    assert_eq!(failed.error(), Some("Other"));
    assert!(failed.inspection_data().unwrap().error_details().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmocked_http_task_calls_the_endpoint() {
    let endpoint = Recorder::start().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("connections.json");
    let connection = "arn:aws:events:us-east-1:123456789012:connection/basic/0b5e";
    let connections = json!({"Connections": {connection: {"AuthorizationType": "BASIC",
        "AuthParameters": {"BasicAuthParameters": {"Username": "alice", "Password": "s3cret"}}}}});
    std::fs::write(&file, connections.to_string()).expect("write the connections file");
    let t =
        TestServer::start_with(ServeOptions { connections: Some(file), ..ServeOptions::default() })
            .await;

    let definition = json!({"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint": endpoint.url("/v1/items"), "Method": "POST",
            "Authentication": {"ConnectionArn": connection}, "RequestBody.$": "$.body"},
        "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"},
        "End": true});
    let answer =
        test(&t, &definition.to_string(), r#"{"body":{"n":1}}"#, InspectionLevel::Debug).await;
    assert_eq!(answer.status().map(|s| s.as_str()), Some("SUCCEEDED"), "{answer:?}");
    assert_eq!(parse(answer.output()), json!({"status": 200, "body": {"received": true}}));
    let seen = endpoint.seen();
    assert_eq!(seen.len(), 1, "one request reached the endpoint");
    assert_eq!((seen[0].method.as_str(), seen[0].target.as_str()), ("POST", "/v1/items"));
    assert_eq!(serde_json::from_str::<Value>(&seen[0].body).unwrap(), json!({"n": 1}));
    let data = answer.inspection_data().unwrap();
    assert_eq!(parse(data.result())["StatusCode"], json!(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mocked_map_reports_its_settings_and_tolerated_failures() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Map","QueryLanguage":"JSONata","Items":"{% $states.input.Values %}","MaxConcurrency":"{% 1 %}","ToleratedFailureCount":1,"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Retry":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"MaxAttempts":2}],"End":true}"#;
    let run = |failures: i32| {
        sfn(&t)
            .test_state()
            .definition(definition)
            .input(r#"{"Values":[1,2,3]}"#)
            .inspection_level(InspectionLevel::Trace)
            .mock(mock_result("[1,0,0]"))
            .state_configuration(
                TestStateConfiguration::builder().map_iteration_failure_count(failures).build(),
            )
            .send()
    };
    let ok = run(1).await.unwrap();
    assert_eq!(ok.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert_eq!(parse(ok.output()), json!([1, 0, 0]));
    let data = ok.inspection_data().unwrap();
    assert_eq!((data.max_concurrency(), data.tolerated_failure_count()), (Some(1), Some(1)));

    let over = run(2).await.unwrap();
    assert_eq!(over.status().map(|s| s.as_str()), Some("RETRIABLE"));
    assert_eq!(over.error(), Some("States.ExceedToleratedFailureThreshold"));
    assert_eq!(over.cause(), Some("The specified tolerated failure threshold was exceeded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mocked_parallel_takes_the_mock_as_the_branches_outputs() {
    let t = TestServer::start().await;
    let definition = r#"{"Type":"Parallel","ResultPath":"$.parallelResult","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},{"StartAt":"B2","States":{"B2":{"Type":"Pass","End":true}}}],"End":true}"#;
    let answer = sfn(&t)
        .test_state()
        .definition(definition)
        .input(r#"{"a":1}"#)
        .mock(mock_result(r#"[{"b":1},{"b":2}]"#))
        .send()
        .await
        .unwrap();
    assert_eq!(parse(answer.output()), json!({"a": 1, "parallelResult": [{"b": 1}, {"b": 2}]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_of_a_whole_machine_with_variables_and_context() {
    let t = TestServer::start().await;
    let definition = r#"{"StartAt":"Init","States":{"Init":{"Type":"Pass","Next":"State0"},"State0":{"QueryLanguage":"JSONata","Type":"Pass","Assign":{"total":"{% $sum($states.input.v) + $base %}"},"Output":{"name":"{% $states.context.Execution.Name %}","state":"{% $states.context.State.Name %}"},"Next":"Done"},"Done":{"Type":"Succeed"}}}"#;
    let answer = sfn(&t)
        .test_state()
        .definition(definition)
        .state_name("State0")
        .input(r#"{"v":[1,2,3]}"#)
        .variables(r#"{"base":10}"#)
        .context(r#"{"Execution":{"Name":"exec-1"},"State":{"Name":"State0"}}"#)
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.next_state(), Some("Done"));
    assert_eq!(parse(answer.output()), json!({"name": "exec-1", "state": "State0"}));
    let data = answer.inspection_data().unwrap();
    assert_eq!(parse(data.variables()), json!({"base": 10, "total": 16}));

    // Without a Context object, TestState builds an Express execution's.
    let answer = sfn(&t)
        .test_state()
        .definition(definition)
        .state_name("State0")
        .variables(r#"{"base":0}"#)
        .input(r#"{"v":[]}"#)
        .send()
        .await
        .unwrap();
    let output = parse(answer.output());
    assert_eq!(output["state"], json!("StateName"));
    assert!(is_uuid(output["name"].as_str().unwrap()), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_are_aws_s() {
    let t = TestServer::start().await;
    let task = r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}"#;
    let pass = r#"{"Type":"Pass","End":true}"#;
    let map = r#"{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}"#;

    assert_error(
        sfn(&t).test_state().definition(task).send().await,
        "ValidationException",
        "RoleArn must be specified when testing a Task state",
    );
    assert_error(
        sfn(&t).test_state().definition(map).role_arn(ROLE_ARN).send().await,
        "InvalidDefinition",
        "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]",
    );
    assert_error(
        sfn(&t).test_state().definition(pass).mock(mock_result("{}")).send().await,
        "ValidationException",
        "State type 'Pass' is not supported when a mock is specified",
    );
    let both = MockInput::builder()
        .result("{}")
        .error_output(MockErrorOutput::builder().error("E").build())
        .build();
    assert_error(
        sfn(&t).test_state().definition(task).mock(both).send().await,
        "ValidationException",
        "A test mock should have only one of the following fields: [result, errorOutput].",
    );
    assert_error(
        sfn(&t).test_state().definition(task).mock(mock_result("not json")).send().await,
        "ValidationException",
        "Mocked result must be valid JSON",
    );
    assert_error(
        sfn(&t)
            .test_state()
            .definition(task)
            .mock(mock_result("{}"))
            .reveal_secrets(true)
            .send()
            .await,
        "ValidationException",
        "TestState does not support RevealSecrets when a mock is specified.",
    );
    assert_error(
        sfn(&t).test_state().definition(map).mock(mock_result("{}")).send().await,
        "ValidationException",
        "Mocked result must be an array.",
    );
    let machine = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;
    assert_error(
        sfn(&t).test_state().definition(machine).state_name("B").send().await,
        "ValidationException",
        "State not found in definition",
    );
    assert_error(
        sfn(&t).test_state().definition(r#"{"Type":"Pas","End":true}"#).send().await,
        "InvalidDefinition",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/StateName/Type'",
    );
    let activity = r#"{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","End":true}"#;
    assert_code(
        sfn(&t).test_state().definition(activity).role_arn(ROLE_ARN).send().await,
        "ValidationException",
    );
    assert_error(
        sfn(&t)
            .test_state()
            .definition(task)
            .mock(mock_result("{}"))
            .context(r#"{"Map":{"Item":{"Index":0}}}"#)
            .send()
            .await,
        "ValidationException",
        "Invalid Context object provided: 'Map' field is not supported when mocking a Context object",
    );
}
