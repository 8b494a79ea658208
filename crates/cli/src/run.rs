//! `stepwise run`: one execution in-process, its output on stdout.
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use stepwise_engine::model::ExecutionStatus;

use crate::local::{self, RunSpec};
use crate::mock_config::MockConfig;

/// Options of `stepwise run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunOptions {
    /// The state machine definition (JSON, or YAML by extension `.yaml`/`.yml`).
    pub definition: PathBuf,
    /// The execution input, JSON text (default `{}`).
    #[arg(long, conflicts_with = "input_file")]
    pub input: Option<String>,
    /// Reads the execution input from a file (JSON or YAML).
    #[arg(long)]
    pub input_file: Option<PathBuf>,
    /// Prints the history as a table before the output.
    #[arg(long)]
    pub history: bool,
    /// Prints everything as one JSON object: status, output, error, cause, path, `clock`
    /// (`virtual` or `real`: which clock stamped the events) and `events`, the history
    /// exactly as `GetExecutionHistory` answers it.
    #[arg(long)]
    pub json: bool,
    /// A Step Functions Local mock configuration file (`MockConfigFile.json`).
    #[arg(long, requires = "test_case")]
    pub mock_config: Option<PathBuf>,
    /// The test case of the mock configuration to run.
    #[arg(long, requires = "mock_config")]
    pub test_case: Option<String>,
    /// The state machine's name in the mock configuration (default: the only one it
    /// configures, else the definition's file name).
    #[arg(long)]
    pub state_machine: Option<String>,
    /// Runs Waits, backoffs and timeouts in real time instead of virtual time.
    #[arg(long)]
    pub real_time: bool,
    /// Seed of the randomness the execution draws (`States.UUID`, `States.MathRandom`,
    /// retry jitter): the same seed repeats them run after run. Without it each run draws one.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Runs; returns the process's success.
pub async fn run(options: RunOptions) -> anyhow::Result<bool> {
    // The definition's faults as `validate` prints them, at their line and column.
    let text = std::fs::read_to_string(&options.definition)
        .with_context(|| format!("reading {}", options.definition.display()))?;
    let findings = crate::validate::check(&options.definition, &text);
    if findings.iter().any(|f| f.severity == "ERROR") {
        for f in findings.iter().filter(|f| f.severity == "ERROR") {
            eprintln!("{}", crate::validate::report_line(&options.definition, f));
        }
        return Ok(false);
    }
    let definition = local::definition_text(&options.definition)?;
    let input = match (&options.input, &options.input_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => local::read_document(path)?.to_string(),
        (None, None) => "{}".to_owned(),
    };
    let mut machine_name = options.state_machine.clone();
    let mocks = match (&options.mock_config, &options.test_case) {
        (Some(path), Some(case)) => {
            let config = MockConfig::load(path)?;
            if machine_name.is_none() {
                machine_name = config.only_machine().map(str::to_owned);
            }
            Some((Arc::new(config) as Arc<dyn stepwise_engine::mock::TaskMocks>, case.clone()))
        }
        _ => None,
    };
    let spec = RunSpec {
        definition,
        input,
        machine_name: machine_name.unwrap_or_else(|| local::machine_name_for(&options.definition)),
        mocks,
        real_time: options.real_time,
        seed: options.seed,
    };
    let result = local::run(spec)
        .await
        .with_context(|| format!("running {}", options.definition.display()))?;
    let ok = result.status == ExecutionStatus::Succeeded;
    if options.json {
        println!("{}", serde_json::to_string_pretty(&result.to_json(!options.real_time))?);
        return Ok(ok);
    }
    if options.history {
        println!("{}", local::history_table(&result.history));
    }
    if ok {
        let output = result.output.unwrap_or_default();
        match serde_json::from_str::<serde_json::Value>(&output) {
            Ok(v) => println!("{}", serde_json::to_string_pretty(&v)?),
            Err(_) => println!("{output}"),
        }
    } else {
        eprintln!("execution {}", result.status.as_str());
        eprintln!("error: {}", result.error.as_deref().unwrap_or(""));
        eprintln!("cause: {}", result.cause.as_deref().unwrap_or(""));
    }
    Ok(ok)
}
