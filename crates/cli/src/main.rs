//! `stepwise`: AWS Step Functions, rebuilt to run anywhere.
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stepwise::{bench, serve};

#[derive(Debug, Parser)]
#[command(name = "stepwise", version, about = "AWS Step Functions, rebuilt to run anywhere")]
struct Cli {
    /// Log filter, e.g. `info` or `stepwise_engine=debug`.
    #[arg(long, global = true, default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Step Functions API server.
    Serve(serve::ServeOptions),
    /// Drive a running server with load and report throughput and latency (loopback only).
    Bench(bench::BenchOptions),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log_level))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(options) => {
                let server = serve::start(options).await?;
                tracing::info!("stepwise listening on http://{}", server.addr);
                println!("listening on http://{}", server.addr);
                server.wait().await
            }
            Command::Bench(options) => bench::run(options).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
