//! `stepwise`: AWS Step Functions, rebuilt to run anywhere.
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};
use stepwise::{bench, config, run, serve, test_runner, validate};

/// mimalloc instead of glibc's malloc: the server allocates and frees many small JSON
/// values per state, and glibc's malloc and free were about a third of its instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `stepwise --version`: the crate's version and the commit it was built from (`build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("STEPWISE_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "stepwise", version = VERSION, about = "AWS Step Functions, rebuilt to run anywhere")]
struct Cli {
    /// Log filter, e.g. `info` or `stepwise_engine=debug`.
    #[arg(long, global = true, default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once at start: the size of `serve`'s options costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the Step Functions API server.
    Serve(serve::ServeOptions),
    /// Drive a running server with load and report throughput and latency (loopback only).
    Bench(bench::BenchOptions),
    /// Run one execution in-process and print its output (exit code 1 if it fails).
    Run(run::RunOptions),
    /// Check definitions as AWS does; diagnostics point at line:column (exit code 1 on errors).
    Validate(validate::ValidateOptions),
    /// Run a folder of test cases (`*.test.yaml`, `*.test.json`) with virtual time.
    Test(test_runner::TestOptions),
    /// Prints a shell completion script: `stepwise completions bash > /etc/bash_completion.d/stepwise`.
    Completions {
        /// The shell to complete in.
        shell: Shell,
    },
}

/// The shells `stepwise completions` writes scripts for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the completion script for `shell` to stdout.
fn print_completions(shell: Shell) {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "stepwise", &mut std::io::stdout());
}

fn main() -> ExitCode {
    let cli = match config::parse_with_config::<Cli>(Cli::command(), std::env::args_os().collect())
    {
        Ok(cli) => cli,
        Err(config::ParseError::Usage(e)) => e.exit(),
        Err(config::ParseError::Config(e)) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if let Command::Completions { shell } = cli.command {
        print_completions(shell);
        return ExitCode::SUCCESS;
    }
    let log_format = match &cli.command {
        Command::Serve(options) => options.observe.log_format,
        _ => serve::observe::LogFormat::Text,
    };
    serve::observe::init_logging(&cli.log_level, log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let passed = match cli.command {
            Command::Serve(options) => {
                let server = serve::start(options).await?;
                tracing::info!("stepwise listening on http://{}", server.addr);
                println!("listening on http://{}", server.addr);
                let stop = server.stop_handle();
                tokio::spawn(async move {
                    serve::shutdown::signal().await;
                    tracing::info!("signal received: shutting down");
                    stop();
                });
                server.wait().await.map(|()| true)
            }
            Command::Bench(options) => bench::run(options).await.map(|()| true),
            Command::Run(options) => run::run(options).await,
            Command::Validate(options) => Ok(validate::run(&options)),
            Command::Test(options) => test_runner::run(options).await,
            Command::Completions { .. } => unreachable!("answered before the runtime starts"),
        };
        passed
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
