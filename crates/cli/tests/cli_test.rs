//! `stepwise test`: a folder of cases, virtual time, diffs, JUnit; and `serve --mock-config`.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tests")
}

/// A copy of the example folder to edit.
fn copy_examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn the_example_folder_passes_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    stepwise()
        .arg("test")
        .arg(examples())
        .arg("--junit")
        .arg(&junit)
        .assert()
        .success()
        .stdout(predicate::str::contains("running 4 test cases"))
        .stdout(predicate::str::contains("test result: ok. 4 passed; 0 failed"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains(r#"<testsuites name="stepwise" tests="4" failures="0" errors="0""#),
        "{xml}"
    );
    assert!(xml.contains(r#"<testcase name="order ships when the card is approved""#), "{xml}");
}

#[test]
fn a_failing_case_exits_non_zero_with_a_readable_diff() {
    let dir = copy_examples();
    let happy = dir.path().join("happy.test.yaml");
    let text = std::fs::read_to_string(&happy).unwrap();
    let text =
        text.replace("messageId: msg-1", "messageId: msg-2").replace("Cool off, Ship]", "Ship]");
    std::fs::write(&happy, text).unwrap();
    let junit = dir.path().join("junit.xml");
    let out = stepwise()
        .arg("test")
        .arg(dir.path())
        .arg("--junit")
        .arg(&junit)
        .assert()
        .failure()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("FAIL order ships when the card is approved"), "{stdout}");
    assert!(stdout.contains("output differs (- expected, + actual):"), "{stdout}");
    assert!(
        stdout.contains("    -     \"messageId\": \"msg-2\"\n    +     \"messageId\": \"msg-1\"\n"),
        "{stdout}"
    );
    assert!(stdout.contains("path differs (- expected, + actual):\n      Charge\n      Approved?\n    + Cool off\n      Ship\n"), "{stdout}");
    assert!(stdout.contains("test result: FAILED. 3 passed; 1 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"failures="1""#) && xml.contains("<failure message=\"output differs"),
        "{xml}"
    );
}

#[test]
fn status_error_and_broken_cases_are_reported() {
    let dir = copy_examples();
    std::fs::write(
        dir.path().join("wrong.test.yaml"),
        "definition: order.asl.json\ninput: {orderId: o, amount: 1}\nmockConfig: MockConfigFile.json\ntestCase: Declined\nexpect: {status: SUCCEEDED}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.test.yaml"), "definition: missing.json\n").unwrap();
    let out = stepwise().arg("test").arg(dir.path()).assert().failure();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("  status: expected SUCCEEDED, got FAILED\n    error: PaymentDeclined\n"),
        "{stdout}"
    );
    assert!(stdout.contains("missing.json"), "{stdout}");
    assert!(stdout.contains("4 passed; 2 failed"), "{stdout}");
}

/// A one-hour Wait and a Retry backing off 10 minutes, then 20, then 40: virtual time.
#[test]
fn an_hour_long_workflow_finishes_in_well_under_a_second() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slow.asl.json"),
        r#"{"StartAt":"Wait","States":{
            "Wait":{"Type":"Wait","Seconds":3600,"Next":"Call"},
            "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
              "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":600,"BackoffRate":2,"MaxAttempts":3}],
              "OutputPath":"$.Payload","End":true}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("slow.test.yaml"),
        "definition: slow.asl.json\nmocks:\n  Call:\n    \"0-2\": {Throw: {Error: Boom, Cause: again}}\n    \"3\": {Return: {Payload: {done: true}}}\nexpect:\n  output: {done: true}\n  path: [Wait, Call]\n",
    )
    .unwrap();
    let started = Instant::now();
    stepwise()
        .arg("test")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("1 passed"));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[tokio::test]
async fn serve_takes_a_mock_config() {
    let dir = tempfile::tempdir().unwrap();
    let mocks = dir.path().join("MockConfigFile.json");
    std::fs::write(
        &mocks,
        r#"{"StateMachines":{"m":{"TestCases":{"Happy":{"T":"Ok"}}}},
            "MockedResponses":{"Ok":{"0":{"Return":{"answer":42}}}}}"#,
    )
    .unwrap();
    let server = stepwise::serve::start(stepwise::serve::ServeOptions {
        mock_config: Some(mocks),
        ..Default::default()
    })
    .await
    .unwrap();
    let machine = server
        .engine
        .create_state_machine(stepwise_engine::NewStateMachine {
            name: "m".into(),
            definition: r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}"#.into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        })
        .unwrap();
    let execution =
        server.engine.start_execution(&format!("{}#Happy", machine.arn), None, None).await.unwrap();
    let mut record = server.engine.describe_execution(&execution.arn).unwrap();
    for _ in 0..100 {
        if record.output.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        record = server.engine.describe_execution(&execution.arn).unwrap();
    }
    assert_eq!(record.output.as_deref(), Some(r#"{"answer":42}"#));
}
