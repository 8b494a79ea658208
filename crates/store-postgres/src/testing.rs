//! A private PostgreSQL server for tests (feature `test-util`): `initdb` into a temporary
//! directory, `pg_ctl start` on a free port of 9750–9799 (TCP on 127.0.0.1, its unix socket
//! in the same directory), stopped and removed when the [`TestServer`] is dropped, also
//! when a test panics.
//!
//! The server is the installed one: `initdb` and `pg_ctl` on `PATH`, else Debian's
//! `/usr/lib/postgresql/<version>/bin`. Without them a test skips loudly, except under
//! `CI=true`, where it fails. `initdb` refuses to run as root, so as root the server runs as
//! the `postgres` user (Debian's package creates it), else as `nobody`.
//!
//! It runs with `fsync=off`: the tests kill Stepwise, never the database, and a test
//! server that flushes nothing is much faster on a shared machine.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The ports test servers may listen on.
const PORTS: std::ops::RangeInclusive<u16> = 9750..=9799;

/// The superuser the test cluster is created with (trusted, no password).
pub const USER: &str = "stepwise";

/// A running private server; dropping it stops it and removes its files.
pub struct TestServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// The user the server runs as (`None`: the current one).
    run_as: Option<String>,
    databases: AtomicUsize,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer").field("dir", &self.dir).field("port", &self.port).finish()
    }
}

impl TestServer {
    /// Starts a server for the test `tag`, or returns `None` after saying why on stderr
    /// when PostgreSQL is not installed and `CI` is not `true`.
    ///
    /// # Panics
    /// Under `CI=true` without PostgreSQL, and when the server does not start.
    pub fn start(tag: &str) -> Option<TestServer> {
        let Some(bin) = binaries() else {
            let why = "PostgreSQL's initdb and pg_ctl are not installed (PATH, /usr/lib/postgresql/*/bin)";
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("{why}; CI=true: .ci/run installs Debian's `postgresql` package");
            }
            eprintln!("SKIPPED: {tag}: {why}; install Debian's `postgresql` package to run it");
            return None;
        };
        let dir = temp_dir(tag);
        let run_as = is_root().then(unprivileged_user);
        if let Some(user) = &run_as {
            // initdb refuses root; the server's user must own its directory.
            run(Command::new("chown").arg("-R").arg(format!("{user}:")).arg(&dir));
        }
        let mut server = TestServer { dir, bin, port: 0, run_as, databases: AtomicUsize::new(0) };
        let data = server.data();
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(&data).args(["-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync"]);
        run(&mut initdb);

        // A port that is free now may be taken before the server binds it (other tests,
        // other agents): then the next one.
        let first = PORTS.start() + (std::process::id() % PORTS.len() as u32) as u16;
        let ports = (first..=*PORTS.end()).chain(*PORTS.start()..first);
        for port in ports {
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                server.dir.display()
            );
            let mut start = server.command("pg_ctl");
            start.arg("-D").arg(&data).arg("-l").arg(server.dir.join("server.log"));
            start.args(["-w", "-t", "60", "-o", &options, "start"]);
            if start.output().is_ok_and(|out| out.status.success()) {
                server.port = port;
                eprintln!("{tag}: PostgreSQL at 127.0.0.1:{port} in {}", server.dir.display());
                return Some(server);
            }
        }
        let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
        panic!("PostgreSQL did not start on any port of {PORTS:?}:\n{log}");
    }

    /// The server's TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub fn create_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{n}");
        let admin = self.url("postgres");
        let statement = format!("CREATE DATABASE {name}");
        // On a thread of its own: the synchronous client cannot run inside a tokio runtime,
        // and the caller may be an async test.
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&admin, postgres::NoTls)
                .unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
            client.batch_execute(&statement).unwrap_or_else(|e| panic!("{statement}: {e}"));
        })
        .join()
        .expect("creating a database");
        self.url(&name)
    }

    /// Runs SQL statements on the database at `url` (for tests that tamper with one).
    pub fn execute(&self, url: &str, sql: &str) {
        let (url, sql) = (url.to_owned(), sql.to_owned());
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls)
                .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
            client.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
        .join()
        .expect("running SQL");
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `program` of the server's installation, as the server's user.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.port != 0 {
            let mut stop = self.command("pg_ctl");
            stop.arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]);
            if let Err(e) = stop.output() {
                eprintln!("stopping the test PostgreSQL in {}: {e}", self.dir.display());
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The directory holding `initdb` and `pg_ctl`: on `PATH`, else the newest of Debian's.
pub fn binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|dir| has_both(dir)) {
            return Some(dir);
        }
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    debian.sort();
    debian.pop().map(|(_, bin)| bin)
}

fn temp_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Short: the socket's path must fit in 107 bytes.
    let dir = std::env::temp_dir().join(format!("sw-pg-{tag}-{}-{n}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `postgres` if there is such a user, else `nobody`.
fn unprivileged_user() -> String {
    let exists = Command::new("id").arg("-u").arg("postgres").output();
    if exists.is_ok_and(|out| out.status.success()) { "postgres" } else { "nobody" }.to_owned()
}

/// Runs a setup command; panics with its output if it fails.
fn run(command: &mut Command) -> Output {
    let out = command.output().unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{command:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}
