//! Connections, each owned by a thread of its own, and the calls that wait for them.
//!
//! The `Store` trait is synchronous and is called from everywhere: the engine's writer
//! thread, decider threads, blocking tasks, and the API's async handlers on tokio workers.
//! The synchronous `postgres` client cannot run on a tokio worker (it drives its
//! connection with a runtime of its own, and tokio refuses to start one inside another), so
//! no caller touches a connection: a call is a job sent to one of the pool's threads, and
//! the caller waits for its answer. On a worker of a multi-threaded runtime the wait is in
//! `block_in_place`, which hands the worker's other tasks to another thread first.
//!
//! A thread connects when it starts and again before a job if its connection was lost, so
//! a database that restarts costs the calls in flight, not the store.
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;

use parking_lot::Mutex;
use postgres::{Client, Config, NoTls, Statement};
use stepwise_engine::{Error, Result};

/// One connection, with the statements it has prepared.
pub(crate) struct Conn {
    pub(crate) client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    /// `sql`, prepared once per connection.
    pub(crate) fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(pg)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// A job: given the thread's connection (or why there is none), it does its work and
/// sends its own answer.
type Job = Box<dyn FnOnce(Result<&mut Conn>) + Send>;

/// A fixed number of connection threads sharing one queue of jobs.
pub(crate) struct Pool {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Pool {
    /// Starts `size` threads named `name`, each connecting with `config`.
    pub(crate) fn start(name: &str, size: usize, config: &Config) -> Result<Pool> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let threads = (0..size.max(1))
            .map(|_| {
                let (receiver, config) = (Arc::clone(&receiver), config.clone());
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || serve(&config, &receiver))
                    .map_err(|e| Error::Internal(format!("starting {name}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Pool { jobs: Mutex::new(Some(sender)), threads: Mutex::new(threads) })
    }

    /// Runs `work` on a connection and waits for its result.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            // The caller may be gone (it never is: it waits); nothing to do then.
            let _ = answer.send(conn.and_then(work));
        });
        let sent = match &*self.jobs.lock() {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            return Err(Error::Internal("postgres: the store is closed".into()));
        }
        wait(answered)
    }
}

impl Drop for Pool {
    /// Closes the queue, so each thread ends (and closes its connection) once the jobs
    /// before are done.
    fn drop(&mut self) {
        self.jobs.lock().take();
        for thread in self.threads.lock().drain(..) {
            let _ = thread.join();
        }
    }
}

/// A connection thread: takes jobs until the queue closes.
fn serve(config: &Config, jobs: &Mutex<Receiver<Job>>) {
    let mut conn: Option<Conn> = None;
    loop {
        // The lock is held only while waiting for a job, never while doing one.
        let Ok(job) = jobs.lock().recv() else { return };
        if conn.as_ref().is_some_and(|c| c.client.is_closed()) {
            conn = None;
        }
        if conn.is_none() {
            match config.connect(NoTls) {
                Ok(client) => conn = Some(Conn { client, statements: HashMap::new() }),
                Err(e) => {
                    job(Err(Error::Internal(format!("postgres: connecting: {e}"))));
                    continue;
                }
            }
        }
        let connected = conn.as_mut().expect("connected above");
        // A job that panics (a bug) answers nothing (its caller sees the thread's error);
        // its connection may be mid-transaction, so it is closed, and the thread goes on.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(Ok(connected)))).is_err() {
            conn = None;
        }
    }
}

/// Waits for a job's answer without stalling a tokio worker's other tasks.
fn wait<T>(answered: Receiver<Result<T>>) -> Result<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let on_worker = Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread);
    let answer =
        if on_worker { tokio::task::block_in_place(|| answered.recv()) } else { answered.recv() };
    answer.unwrap_or_else(|_| Err(Error::Internal("postgres: a connection thread ended".into())))
}

/// A PostgreSQL failure: the store could not do its job.
pub(crate) fn pg(e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::Internal(format!("postgres: {}", db.message())),
        None => Error::Internal(format!("postgres: {e}")),
    }
}
