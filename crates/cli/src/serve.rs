//! `stepwise serve`: the engine behind the HTTP API.
pub mod app;
pub mod auth;
pub mod guard;
pub mod limits;
pub mod observe;
pub mod shutdown;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use stepwise_engine::arn::Scope;
use stepwise_engine::clock::SystemClock;
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::Store;
use stepwise_engine::{Engine, Options};
use stepwise_integrations::http_task::{self, Connections, HttpTaskConfig};
use stepwise_store_sqlite::{Durability, SqliteStore};

/// Which store keeps the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// Everything in memory, lost at exit.
    Memory,
    /// Embedded SQLite in the data directory: durable, survives crashes.
    Sqlite,
    /// PostgreSQL at `--database-url`: durable, in a database the operator runs.
    Postgres,
}

/// How hard a commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DurabilityMode {
    /// Every acknowledged change survives a crash and a power loss (fsync per group commit).
    Full,
    /// Survives a process crash; a power loss may lose the last moments of commits.
    Relaxed,
}

/// Options of `stepwise serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, env = "STEPWISE_BIND", default_value = "127.0.0.1:8083")]
    pub bind: SocketAddr,
    /// Directory for the durable store.
    #[arg(long, env = "STEPWISE_DATA_DIR", default_value = "./stepwise-data")]
    pub data_dir: PathBuf,
    /// Where state is kept.
    #[arg(long, env = "STEPWISE_STORE", value_enum, default_value_t = StoreKind::Sqlite)]
    pub store: StoreKind,
    /// The database of `--store postgres`: `postgres://user:password@host:port/db`. Where
    /// neither this flag, its variable nor the config file gives it, `DATABASE_URL` does.
    #[arg(long, env = "STEPWISE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Durability of the SQLite store.
    #[arg(long, env = "STEPWISE_DURABILITY", value_enum, default_value_t = DurabilityMode::Full)]
    pub durability: DurabilityMode,
    /// Region used in ARNs when a request carries no SigV4 credential scope.
    #[arg(long, env = "STEPWISE_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Days an ended execution is kept (AWS keeps 90); then it and its history are removed.
    #[arg(long, env = "STEPWISE_RETENTION_DAYS", default_value_t = 90)]
    pub retention_days: u64,
    /// Account id used in ARNs.
    #[arg(long, env = "STEPWISE_ACCOUNT", default_value = "123456789012")]
    pub account: String,
    /// A Step Functions Local mock configuration file (`MockConfigFile.json`): a test case
    /// runs with `StartExecution` on `<stateMachineArn>#<TestCase>`.
    #[arg(long, env = "STEPWISE_MOCK_CONFIG")]
    pub mock_config: Option<PathBuf>,
    /// Where Task states reach an AWS service, above `AWS_ENDPOINT_URL_<SERVICE>` and
    /// the other variables (repeatable): `--aws-endpoint sqs=http://127.0.0.1:4566`.
    /// Services: lambda, sqs, sns, dynamodb, eventbridge (events), secretsmanager, ssm,
    /// kinesis, s3, sfn. The variable takes a comma-separated list.
    #[arg(
        long = "aws-endpoint",
        value_name = "SERVICE=URL",
        env = "STEPWISE_AWS_ENDPOINT",
        value_delimiter = ','
    )]
    pub aws_endpoints: Vec<String>,
    /// A JSON file of EventBridge connections for HTTP Tasks (`arn:aws:states:::http:invoke`):
    /// connection ARN → `AuthorizationType` and `AuthParameters`, as `aws events
    /// create-connection` takes them.
    #[arg(long, env = "STEPWISE_CONNECTIONS")]
    pub connections: Option<PathBuf>,
    /// Seed of the randomness the server draws (generated execution names, revision ids,
    /// `States.UUID`/`States.MathRandom`, retry jitter, an alias's weighted choice of version):
    /// a fixed seed repeats them, for tests.
    #[arg(long, env = "STEPWISE_SEED")]
    pub seed: Option<u64>,
    /// A TOML file of these options, keyed by flag name (`data-dir = "/var/lib/stepwise"`,
    /// `aws-endpoint = ["sqs=http://127.0.0.1:4566"]`): a flag wins over its environment
    /// variable, which wins over the file, which wins over the default. Unknown keys are refused.
    #[arg(long, env = "STEPWISE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Who may call the server and how much (`serve/app.rs`).
    #[command(flatten)]
    pub http: app::HttpOptions,
    /// How it is watched: logs and metrics (`serve/observe.rs`).
    #[command(flatten)]
    pub observe: observe::ObserveOptions,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: "127.0.0.1:0".parse().expect("valid address"),
            data_dir: PathBuf::from("./stepwise-data"),
            store: StoreKind::Memory,
            database_url: None,
            durability: DurabilityMode::Full,
            retention_days: 90,
            region: "us-east-1".into(),
            account: "123456789012".into(),
            mock_config: None,
            aws_endpoints: Vec::new(),
            connections: None,
            seed: None,
            config: None,
            http: app::HttpOptions::default(),
            observe: observe::ObserveOptions::default(),
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
    stop: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// Serves until [`Server::shutdown`] and the graceful shutdown after it end, or the
    /// listener fails.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task")?.context("server")
    }

    /// Stops accepting requests, answers waiting long polls empty and lets requests in
    /// flight finish (`serve/shutdown.rs`); [`Server::wait`] returns once they have.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// A function that calls [`Server::shutdown`], for a signal handler.
    pub fn stop_handle(&self) -> impl Fn() + Send + 'static {
        let stop = self.stop.clone();
        move || {
            stop.send_replace(true);
        }
    }
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(options: ServeOptions) -> anyhow::Result<Server> {
    let store: Arc<dyn Store> =
        match options.store {
            StoreKind::Memory => Arc::new(MemoryStore::new()),
            StoreKind::Sqlite => {
                let durability = match options.durability {
                    DurabilityMode::Full => Durability::Full,
                    DurabilityMode::Relaxed => Durability::Relaxed,
                };
                Arc::new(SqliteStore::open(&options.data_dir, durability).with_context(|| {
                    format!("opening the store in {}", options.data_dir.display())
                })?)
            }
            StoreKind::Postgres => Arc::new(open_postgres(options.database_url.as_deref())?),
        };
    let durable = options.store != StoreKind::Memory;
    let mut aws = stepwise_integrations::aws::AwsConfig::from_env();
    for flag in &options.aws_endpoints {
        aws.apply_endpoint_flag(flag).map_err(anyhow::Error::msg)?;
    }
    let mocks = match &options.mock_config {
        Some(path) => Some(Arc::new(crate::mock_config::MockConfig::load(path)?)
            as Arc<dyn stepwise_engine::mock::TaskMocks>),
        None => None,
    };
    // Read before the engine starts, so that a bad file stops `serve` before it recovers
    // executions that would need it.
    let connections = match &options.connections {
        Some(path) => Connections::load(path)?,
        None => Connections::none(),
    };
    let http = options.http.prepare()?;
    let engine = Engine::start(Options {
        scope: Scope { region: options.region, account: options.account },
        clock: Arc::new(SystemClock),
        store,
        token_key: None,
        durable,
        seed: options.seed,
        integrations: [
            stepwise_integrations::aws::integrations(aws),
            http_task::integrations(HttpTaskConfig::new(connections)),
        ]
        .concat(),
        mocks,
    })
    .context("starting the engine")?;
    spawn_retention(
        engine.clone(),
        std::time::Duration::from_secs(options.retention_days * 86_400),
    );
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .with_context(|| format!("binding {}", options.bind))?;
    let addr = listener.local_addr()?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let app = app::build(engine.clone(), &http, stopping.clone());
    let task = tokio::spawn(shutdown::serve(
        listener,
        app,
        http.header_timeout,
        http.shutdown_timeout,
        stopping,
    ));
    Ok(Server { addr, engine, task, stop })
}

/// The PostgreSQL store at `url`, else at `DATABASE_URL` (schema migrated); its errors
/// never show the password.
fn open_postgres(url: Option<&str>) -> anyhow::Result<stepwise_store_postgres::PostgresStore> {
    let url = match url {
        Some(url) => url.to_owned(),
        None => std::env::var("DATABASE_URL")
            .ok()
            .context("--store postgres needs --database-url (or DATABASE_URL)")?,
    };
    Ok(stepwise_store_postgres::PostgresStore::open(&url)?)
}

/// Removes expired executions at start and then every hour, so the store does not grow
/// without bound.
fn spawn_retention(engine: Engine, retention: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            match engine.remove_expired(retention) {
                Ok(0) => {}
                Ok(n) => tracing::info!("removed {n} executions past the retention period"),
                Err(e) => tracing::warn!("retention sweep failed: {e}"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}
