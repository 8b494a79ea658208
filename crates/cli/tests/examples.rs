//! Runs the README's "Use it from your tests" examples under `examples/` as their
//! users would (pytest; npm), against the binary this build made, so an example that
//! stops working fails the build. (The Rust one is the `example_rust` test.)
//!
//! A missing toolchain (pytest, Node.js) skips the example with a notice outside CI;
//! under `CI=true` it fails, since `.ci/run` installs both.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `program args` runs; when it does not, skip loudly (or fail under CI).
fn available(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!in_ci(), "{what} is required under CI=true (.ci/run installs it)");
        eprintln!("SKIPPED: {what} is not installed; the example did not run");
    }
    ok
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_python_example_passes_under_pytest() {
    if !available("python3", &["-c", "import pytest, boto3"], "python3 with pytest and boto3") {
        return;
    }
    run(
        Command::new("python3")
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(examples().join("python"))
            .env("STEPWISE_BIN", env!("CARGO_BIN_EXE_stepwise")),
        "pytest examples/python",
    );
}

#[test]
fn the_typescript_example_passes_under_node_test() {
    if !available("npm", &["--version"], "Node.js with npm") {
        return;
    }
    let dir = examples().join("typescript");
    if !dir.join("node_modules").exists() {
        run(
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir),
            "npm ci in examples/typescript",
        );
    }
    run(
        Command::new("npm")
            .args(["test"])
            .current_dir(&dir)
            .env("STEPWISE_BIN", env!("CARGO_BIN_EXE_stepwise")),
        "npm test in examples/typescript",
    );
}
