//! `stepwise validate`: AWS's diagnostics with the line and column in the file.
use assert_cmd::Command;
use predicates::prelude::*;

fn stepwise() -> Command {
    Command::cargo_bin("stepwise").expect("the stepwise binary")
}

#[test]
fn an_invalid_definition_points_at_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bad.json");
    std::fs::write(
        &json,
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\n      \"Type\": \"Pass\",\n      \"Next\": \"Nowhere\"\n    },\n    \"B\": {\"Type\": \"Succeed\"}\n  }\n}\n",
    )
    .unwrap();
    let yaml = dir.path().join("bad.yaml");
    std::fs::write(
        &yaml,
        "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Nowhere\n  B:\n    Type: Succeed\n",
    )
    .unwrap();
    let out = stepwise().arg("validate").arg(&json).arg(&yaml).assert().failure().code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let expected_json = format!(
        "{}:6:7: ERROR MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere (at /States/A/Next)",
        json.display()
    );
    let expected_yaml = format!(
        "{}:5:5: ERROR MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere (at /States/A/Next)",
        yaml.display()
    );
    assert!(stdout.lines().any(|l| l == expected_json), "{stdout}");
    assert!(stdout.lines().any(|l| l == expected_yaml), "{stdout}");
}

#[test]
fn a_valid_definition_passes_and_syntax_errors_have_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#).unwrap();
    stepwise()
        .arg("validate")
        .arg(&good)
        .assert()
        .success()
        .stdout(predicate::str::ends_with(": OK\n"));
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\"StartAt\": \"A\",\n \"States\": {\"A\": {\"Type\": \"Succeed\",}}}",
    )
    .unwrap();
    stepwise()
        .arg("validate")
        .arg(&good)
        .arg(&broken)
        .assert()
        .failure()
        .stdout(predicate::str::contains(format!("{}:2:", broken.display())))
        .stdout(predicate::str::contains("INVALID_JSON_DESCRIPTION"));
}

#[test]
fn json_output_lists_each_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("m.json");
    std::fs::write(
        &def,
        "{\"StartAt\": \"A\",\n \"States\": {\"A\": {\"Type\": \"Wait\", \"End\": true}}}",
    )
    .unwrap();
    let out = stepwise().arg("validate").arg("--json").arg(&def).assert().failure();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let d = &v[0]["diagnostics"][0];
    assert_eq!(d["severity"], "ERROR");
    assert_eq!(d["location"], "/States/A");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(2), Some(13)));
}
