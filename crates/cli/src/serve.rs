//! `stepwise serve`: the engine behind the HTTP API.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use stepwise_engine::arn::Scope;
use stepwise_engine::clock::SystemClock;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::Store;
use stepwise_engine::{Engine, Options};

/// Which store keeps the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// Everything in memory, lost at exit.
    Memory,
    /// Embedded SQLite in the data directory (not available yet).
    Sqlite,
}

/// Options of `stepwise serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8083")]
    pub bind: SocketAddr,
    /// Directory for the durable store.
    #[arg(long, default_value = "./stepwise-data")]
    pub data_dir: PathBuf,
    /// Where state is kept.
    #[arg(long, value_enum, default_value_t = StoreKind::Memory)]
    pub store: StoreKind,
    /// Region used in ARNs when a request carries no SigV4 credential scope.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Account id used in ARNs.
    #[arg(long, default_value = "123456789012")]
    pub account: String,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: "127.0.0.1:0".parse().expect("valid address"),
            data_dir: PathBuf::from("./stepwise-data"),
            store: StoreKind::Memory,
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }
}

/// A server accepting requests.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The engine behind it.
    pub engine: Engine,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves until the process ends or the listener fails.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task")?.context("server")
    }
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(options: ServeOptions) -> anyhow::Result<Server> {
    let store: Arc<dyn Store> = match options.store {
        StoreKind::Memory => Arc::new(MemoryStore::new()),
        StoreKind::Sqlite => {
            bail!("--store sqlite is not available yet in this build; use --store memory")
        }
    };
    let engine = Engine::start(Options {
        scope: Scope { region: options.region, account: options.account },
        clock: Arc::new(SystemClock),
        store,
        token_key: None,
        durable: false,
    })
    .context("starting the engine")?;
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .with_context(|| format!("binding {}", options.bind))?;
    let addr = listener.local_addr()?;
    let app = stepwise_api::router(engine.clone());
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Server { addr, engine, task })
}
