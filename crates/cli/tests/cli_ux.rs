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
/// `cargo tree --locked` makes the same check without building anything.
#[test]
fn the_lockfile_is_current_for_cargo_install_locked() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = std::process::Command::new(&cargo)
        .args(["tree", "--locked", "--offline", "--depth", "0", "--manifest-path", manifest])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = std::process::Command::new(&cargo)
        .args(["metadata", "--no-deps", "--locked", "--offline", "--format-version", "1"])
        .args(["--manifest-path", manifest])
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

mod config {
    use std::ffi::OsString;
    use std::path::PathBuf;
    use std::sync::Mutex;

    use clap::CommandFactory as _;
    use stepwise::config::{parse_with_config, ParseError};
    use stepwise::serve::{ServeOptions, StoreKind};

    /// `stepwise`'s shape: `serve` as a subcommand, its options as the binary has them.
    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Sub {
        Serve(ServeOptions),
    }

    /// The process's environment is shared by the tests of this binary.
    static ENV: Mutex<()> = Mutex::new(());

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<ServeOptions, ParseError> {
        let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
        for (k, v) in env {
            std::env::set_var(k, v);
        }
        let argv: Vec<OsString> =
            ["stepwise", "serve"].iter().chain(args).map(OsString::from).collect();
        let parsed = parse_with_config::<Cli>(Cli::command(), argv);
        for (k, _) in env {
            std::env::remove_var(k);
        }
        parsed.map(|cli| match cli.command {
            Sub::Serve(options) => options,
        })
    }

    fn config_error(result: Result<ServeOptions, ParseError>) -> String {
        match result {
            Err(ParseError::Config(e)) => format!("{e:#}"),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> String {
        let path = dir.path().join("stepwise.toml");
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    #[test]
    fn flag_beats_environment_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            r#"
region = "file-region"
account = "111111111111"
retention-days = 7
data-dir = "/from/file"
seed = 42

[aws-endpoint]
sqs = "http://127.0.0.1:9701"
lambda = "http://127.0.0.1:9702"
"#,
        );
        let options = parse(
            &["--config", &file, "--region", "flag-region"],
            &[("STEPWISE_REGION", "env-region"), ("STEPWISE_ACCOUNT", "222222222222")],
        )
        .unwrap();
        assert_eq!(options.region, "flag-region", "a flag wins over everything");
        assert_eq!(options.account, "222222222222", "the environment wins over the file");
        assert_eq!(options.retention_days, 7, "the file wins over the default");
        assert_eq!(options.data_dir, PathBuf::from("/from/file"));
        assert_eq!(options.seed, Some(42));
        assert_eq!(options.store, StoreKind::Sqlite, "the default where nothing says");
        assert_eq!(
            options.aws_endpoints,
            ["lambda=http://127.0.0.1:9702", "sqs=http://127.0.0.1:9701"],
            "a table is KEY=VALUE pairs"
        );
        // A repeatable flag given on the command line replaces the file's list.
        let options =
            parse(&["--config", &file, "--aws-endpoint", "sns=http://127.0.0.1:9703"], &[])
                .unwrap();
        assert_eq!(options.aws_endpoints, ["sns=http://127.0.0.1:9703"]);
        // As does the environment's comma-separated list.
        let options = parse(
            &["--config", &file],
            &[("STEPWISE_AWS_ENDPOINT", "ssm=http://127.0.0.1:9704,kinesis=http://127.0.0.1:9705")],
        )
        .unwrap();
        assert_eq!(
            options.aws_endpoints,
            ["ssm=http://127.0.0.1:9704", "kinesis=http://127.0.0.1:9705"]
        );
    }

    #[test]
    fn the_environment_names_the_file_and_sets_every_option() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "store = \"memory\"\nbind = \"127.0.0.1:9710\"\n");
        let options = parse(&[], &[("STEPWISE_CONFIG", &file)]).unwrap();
        assert_eq!(options.store, StoreKind::Memory);
        assert_eq!(options.bind, "127.0.0.1:9710".parse().unwrap());
        let options = parse(
            &[],
            &[
                ("STEPWISE_BIND", "127.0.0.1:9711"),
                ("STEPWISE_DATA_DIR", "/from/env"),
                ("STEPWISE_SEED", "7"),
                ("STEPWISE_RETENTION_DAYS", "3"),
            ],
        )
        .unwrap();
        assert_eq!(options.bind, "127.0.0.1:9711".parse().unwrap());
        assert_eq!(options.data_dir, PathBuf::from("/from/env"));
        assert_eq!((options.seed, options.retention_days), (Some(7), 3));
        assert_eq!(options.config, None);
    }

    #[test]
    fn the_database_url_comes_from_the_flag_its_variable_or_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "store = \"postgres\"\ndatabase-url = \"postgres://file@127.0.0.1:9750/db\"\n",
        );
        let options = parse(&["--config", &file], &[]).unwrap();
        assert_eq!(options.store, StoreKind::Postgres);
        assert_eq!(options.database_url.as_deref(), Some("postgres://file@127.0.0.1:9750/db"));
        let options = parse(
            &["--config", &file],
            &[("STEPWISE_DATABASE_URL", "postgres://env@127.0.0.1:9750/db")],
        )
        .unwrap();
        assert_eq!(options.database_url.as_deref(), Some("postgres://env@127.0.0.1:9750/db"));
        let options = parse(&["--database-url", "postgres://flag@127.0.0.1:9750/db"], &[]).unwrap();
        assert_eq!(options.database_url.as_deref(), Some("postgres://flag@127.0.0.1:9750/db"));
    }

    #[test]
    fn postgres_without_a_database_url_is_refused() {
        let out = super::stepwise()
            .args(["serve", "--store", "postgres", "--bind", "127.0.0.1:9751"])
            .env_remove("DATABASE_URL")
            .env_remove("STEPWISE_DATABASE_URL")
            .env_remove("STEPWISE_CONFIG")
            .assert()
            .failure();
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains("--store postgres needs --database-url"), "{stderr}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "data_dir = \"/x\"\n");
        let message = config_error(parse(&["--config", &file], &[]));
        assert!(message.contains(&file), "{message}");
        assert!(message.contains("unknown key `data_dir`"), "{message}");
        assert!(message.contains("data-dir"), "the known keys are listed: {message}");
        let file = write(&dir, "config = \"other.toml\"\n");
        assert!(config_error(parse(&["--config", &file], &[])).contains("unknown key `config`"));
        let file = write(&dir, "bind = \"not an address\"\n");
        let message = config_error(parse(&["--config", &file], &[]));
        assert!(message.contains("invalid value 'not an address' for '--bind"), "{message}");
        let file = write(&dir, "store = \"mysql\"\n");
        let message = config_error(parse(&["--config", &file], &[]));
        assert!(message.contains("invalid value 'mysql' for '--store"), "{message}");
        let file = write(&dir, "region = [\n");
        assert!(config_error(parse(&["--config", &file], &[])).contains("invalid TOML"));
        let missing = dir.path().join("absent.toml").display().to_string();
        assert!(config_error(parse(&["--config", &missing], &[])).contains("reading"));
    }

    /// Every flag of `serve` (this branch's and any added later) has its variable,
    /// `STEPWISE_` and the flag's name, and `--help` shows it.
    #[test]
    fn every_serve_flag_has_an_environment_variable() {
        let command = Cli::command();
        let serve = command.find_subcommand("serve").unwrap();
        let mut checked = 0;
        for arg in serve.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" {
                continue;
            }
            let expected = format!("STEPWISE_{}", long.to_uppercase().replace('-', "_"));
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(expected.as_str()), "--{long}");
            checked += 1;
        }
        assert!(checked >= 12, "{checked} flags");
        let help = super::stdout_of(super::stepwise().args(["serve", "--help"]));
        for variable in ["STEPWISE_BIND", "STEPWISE_DATA_DIR", "STEPWISE_CONFIG", "STEPWISE_SEED"] {
            assert!(help.contains(&format!("[env: {variable}")), "{variable} in {help}");
        }
    }

    #[test]
    fn the_binary_stops_on_a_bad_file_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "port = 8083\n");
        let out = super::stepwise().args(["serve", "--config", &file]).assert().failure().code(2);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains("unknown key `port`"), "{stderr}");
    }
}

fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `run --json`'s `events` are `GetExecutionHistory`'s: AWS's names, epoch seconds (the
/// virtual clock's, said so), no engine-internal fields.
#[test]
fn run_json_prints_the_history_as_get_execution_history() {
    let dir = tempfile::tempdir().unwrap();
    let def = write_file(
        &dir,
        "pass.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","End":true}}}"#,
    );
    let out = stepwise()
        .arg("run")
        .arg(&def)
        .args(["--input", r#"{"in":true}"#, "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["clock"], "virtual");
    let events = v["events"].as_array().unwrap();
    assert_eq!(
        events[0],
        serde_json::json!({
            "timestamp": 1_704_067_200,
            "type": "ExecutionStarted",
            "id": 1,
            "previousEventId": 0,
            "executionStartedEventDetails": {
                "input": "{\"in\":true}",
                "inputDetails": {"truncated": false},
                "roleArn": "arn:aws:iam::123456789012:role/stepwise-local"
            }
        })
    );
    assert_eq!(events[1]["stateEnteredEventDetails"]["name"], "A");
    assert_eq!(events[2]["stateExitedEventDetails"]["output"], "{\"in\":true,\"r\":{\"x\":1}}");
    assert_eq!(events[3]["executionSucceededEventDetails"]["outputDetails"]["truncated"], false);
    let text = serde_json::to_string(&v["events"]).unwrap();
    for internal in ["details", "role_arn", "\"state\"", "assigned"] {
        assert!(!text.contains(internal), "{internal} in {text}");
    }
    let out = stepwise().arg("run").arg(&def).args(["--json", "--real-time"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["clock"], "real");
    assert!(v["events"][0]["timestamp"].as_f64().unwrap() > 1_704_067_200.0 + 86_400.0 * 365.0);
}

/// `--seed` is honoured: the same seed draws the same `States.UUID` and
/// `States.MathRandom`, another seed others.
#[test]
fn run_seed_repeats_the_random_draws() {
    let dir = tempfile::tempdir().unwrap();
    let def = write_file(
        &dir,
        "random.json",
        r#"{"StartAt":"R","States":{"R":{"Type":"Pass","Parameters":{"id.$":"States.UUID()","n.$":"States.MathRandom(0, 1000000)"},"End":true}}}"#,
    );
    let draw = |seed: &str| stdout_of(stepwise().arg("run").arg(&def).args(["--seed", seed]));
    let (a, b, c) = (draw("7"), draw("7"), draw("8"));
    assert!(a.contains("\"id\""), "{a}");
    assert_eq!(a, b, "the same seed");
    assert_ne!(a, c, "another seed");
}

/// A definition with its last two braces missing: `validate` and `run` alike point at
/// the end of the input and name the object left open, in Jackson's words.
#[test]
fn validate_and_run_point_at_the_json_fault() {
    let dir = tempfile::tempdir().unwrap();
    let def = write_file(
        &dir,
        "broken.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"End\": true}",
    );
    let expected = format!(
        "{}:4:39: ERROR INVALID_JSON_DESCRIPTION: Unexpected end-of-input: expected close marker for Object (start marker at line 3, column 13)",
        def.display()
    );
    let out = stepwise().arg("validate").arg(&def).assert().failure().code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout.trim_end(), expected);
    let out = stepwise().arg("run").arg(&def).assert().failure().code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end(), expected);
    // `--json` keeps AWS's message whole, as ValidateStateMachineDefinition answers it.
    let out = stepwise().arg("validate").arg(&def).arg("--json").assert().failure().code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let message = v[0]["diagnostics"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.ends_with("; line: 4, column: 39]"), "{v}");
}
