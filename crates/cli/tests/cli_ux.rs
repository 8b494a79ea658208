//! The first hour of a new user: `--version`, shell completions, the lockfile that
//! `cargo install --locked` needs, and `serve`'s configuration from flags, the
//! environment and a TOML file.
use assert_cmd::Command;

fn stepwise() -> Command {
    let mut cmd = Command::cargo_bin("stepwise").expect("the stepwise binary");
    // The tests decide which STEPWISE_* variables the binary sees.
    for (key, _) in std::env::vars() {
        if key.starts_with("STEPWISE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let text = stdout_of(stepwise().arg("--version"));
    let line = text.trim();
    let expected_prefix = format!("stepwise {} (", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected_prefix) && line.ends_with(')'), "{line}");
    let commit = &line[expected_prefix.len()..line.len() - 1];
    // Inside this repository's checkout the build script finds the commit.
    let head = std::process::Command::new("git").args(["rev-parse", "HEAD"]).output();
    match head {
        Ok(out) if out.status.success() => {
            let head = String::from_utf8(out.stdout).unwrap();
            assert!(head.trim().starts_with(commit), "{commit} is not HEAD {head}");
        }
        _ => assert_eq!(commit, "unknown commit"),
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let bash = stdout_of(stepwise().args(["completions", "bash"]));
    assert!(bash.contains("_stepwise()") && bash.contains("complete -F _stepwise"), "{bash}");
    assert!(bash.contains("--data-dir"), "serve's flags are completed");
    let zsh = stdout_of(stepwise().args(["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef stepwise"), "{zsh}");
    let fish = stdout_of(stepwise().args(["completions", "fish"]));
    assert!(fish.contains("complete -c stepwise"), "{fish}");
    stepwise().args(["completions", "powershell"]).assert().failure().code(2);
}

/// `cargo install --locked --path crates/cli` refuses a lockfile that is out of date;
/// `cargo metadata --locked` makes the same check without building anything.
#[test]
fn the_lockfile_is_current_for_cargo_install_locked() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--locked", "--offline", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "stepwise")
        .expect("the stepwise package");
    let bins: Vec<&str> = cli["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"][0] == "bin")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(bins, ["stepwise"], "cargo install puts `stepwise` on the PATH");
}
