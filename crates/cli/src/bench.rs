//! `stepwise bench`: a load generator for a running server (owned by the bench helper).
use clap::Args;

/// Options of `stepwise bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchOptions {
    /// The server's endpoint (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8083")]
    pub endpoint: String,
}

/// Runs the benchmark.
pub async fn run(options: BenchOptions) -> anyhow::Result<()> {
    anyhow::bail!("stepwise bench is not implemented yet (endpoint {})", options.endpoint)
}
