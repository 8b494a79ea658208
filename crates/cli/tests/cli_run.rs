//! `stepwise run`: one execution in-process, through the binary.
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

const PASS: &str = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","End":true}}}"#;

#[test]
fn run_prints_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "pass.json", PASS);
    let out =
        stepwise().arg("run").arg(&def).args(["--input", r#"{"in":true}"#]).assert().success();
    let stdout: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(stdout, serde_json::json!({"in": true, "r": {"x": 1}}));
}

#[test]
fn run_reads_yaml_and_an_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "m.yaml", "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n");
    let input = write(&dir, "in.yaml", "greeting: hello\n");
    stepwise()
        .arg("run")
        .arg(&def)
        .arg("--input-file")
        .arg(&input)
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""greeting": "hello""#));
}

#[test]
fn a_failing_workflow_exits_non_zero_with_error_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        &dir,
        "fail.json",
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Oops","Cause":"it broke"}}}"#,
    );
    stepwise()
        .arg("run")
        .arg(&def)
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("execution FAILED"))
        .stderr(predicate::str::contains("error: Oops"))
        .stderr(predicate::str::contains("cause: it broke"));
}

#[test]
fn history_is_a_table_and_json_has_everything() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(&dir, "pass.json", PASS);
    stepwise()
        .arg("run")
        .arg(&def)
        .arg("--history")
        .assert()
        .success()
        .stdout(predicate::str::contains("ID  TYPE"))
        .stdout(predicate::function(|out: &[u8]| {
            String::from_utf8_lossy(out).lines().any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.starts_with(&["2", "PassStateEntered", "A", "input"])
            })
        }))
        .stdout(predicate::str::contains("ExecutionSucceeded"));
    let out = stepwise().arg("run").arg(&def).arg("--json").assert().success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["output"], serde_json::json!({"r": {"x": 1}}));
    assert_eq!(v["path"], serde_json::json!(["A"]));
    let types: Vec<&str> =
        v["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    );
}

#[test]
fn run_with_a_step_functions_local_mock_config() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        &dir,
        "m.json",
        r#"{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
            "Parameters":{"FunctionName":"f"},"OutputPath":"$.Payload",
            "Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":3600,"MaxAttempts":2}],
            "End":true}}}"#,
    );
    let mocks = write(
        &dir,
        "MockConfigFile.json",
        r#"{"StateMachines":{"LambdaFlow":{"TestCases":{"Flaky":{"Call":"FlakyLambda"}}}},
            "MockedResponses":{"FlakyLambda":{
              "0":{"Throw":{"Error":"Lambda.ServiceException","Cause":"boom"}},
              "1":{"Return":{"StatusCode":200,"Payload":{"ok":true}}}}}}"#,
    );
    let started = std::time::Instant::now();
    let out = stepwise()
        .arg("run")
        .arg(&def)
        .arg("--mock-config")
        .arg(&mocks)
        .args(["--test-case", "Flaky", "--json"])
        .assert()
        .success();
    assert!(started.elapsed().as_secs() < 5, "a one-hour backoff ran in virtual time");
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["output"], serde_json::json!({"ok": true}));
    let failed =
        v["events"].as_array().unwrap().iter().filter(|e| e["type"] == "TaskFailed").count();
    assert_eq!(failed, 1);
    // An unknown test case is refused as Step Functions Local refuses it.
    stepwise()
        .arg("run")
        .arg(&def)
        .arg("--mock-config")
        .arg(&mocks)
        .args(["--test-case", "Nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("Test case 'Nope' is not defined"));
}
