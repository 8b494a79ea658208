//! What survives: a clean reopen, a killed writer, a failed batch, a corrupt row.
mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::faulty::{Fault, FaultyStore, DISK_FULL};
use stepwise_engine::store::suite::{activity, create, ended, event, execution, machine};
use stepwise_engine::store::{Batch, Store};
use stepwise_engine::Error;
use stepwise_store_sqlite::{Durability, SqliteStore, DB_FILE, WAL_LIMIT_FRAMES};

#[test]
fn reopen_after_drop_keeps_everything() {
    let dir = common::TempDir::new("reopen");
    let running = execution("m", "running", 1);
    let done = ended(execution("m", "done", 2), ExecutionStatus::Succeeded, 3);
    {
        let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
        store.put_state_machine(machine("m", 1)).unwrap();
        store.put_activity(activity("act", 1)).unwrap();
        store.put_setting("token_key", &[7; 32]).unwrap();
        let mut batch = create(&running, 3);
        batch.snapshots.push((running.arn.clone(), Some(b"frames".to_vec())));
        store.commit(batch).unwrap();
        store.commit(create(&done, 5)).unwrap();
    }
    let store = SqliteStore::open(dir.path(), Durability::Relaxed).unwrap();
    assert_eq!(store.list_state_machines().unwrap().len(), 1);
    assert!(store.get_activity(&activity("act", 1).arn).unwrap().is_some());
    assert_eq!(store.get_setting("token_key").unwrap(), Some(vec![7; 32]));
    assert_eq!(store.history(&running.arn).unwrap().len(), 3);
    assert_eq!(store.history(&done.arn).unwrap().len(), 5);
    let listed = store.list_executions(&running.state_machine_arn, None).unwrap();
    assert_eq!(listed.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["done", "running"]);
    let snaps = store.running_snapshots().unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!((snaps[0].0.name.as_str(), snaps[0].1.as_slice()), ("running", &b"frames"[..]));
}

/// The env var that turns `killed_writer_child` into the writer (otherwise it does nothing).
const CHILD_DIR: &str = "STEPWISE_SQLITE_CHILD_DIR";
/// Events per batch in the child.
const CHILD_EVENTS: u64 = 20;

/// Run as a child process by `killed_writer_keeps_acknowledged_batches`: commits batches
/// as fast as it can, printing `acked N` after each commit returns, and aborts (no
/// destructors, no clean close of SQLite) from another thread while commits are in flight.
#[test]
fn killed_writer_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else { return };
    let store = SqliteStore::open(std::path::Path::new(&dir), Durability::Full).unwrap();
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(400));
        std::process::abort();
    });
    let mut stdout = std::io::stdout();
    for n in 0.. {
        let record = execution("m", &format!("e{n}"), n);
        let mut batch = create(&record, CHILD_EVENTS);
        batch.snapshots.push((record.arn.clone(), Some(n.to_le_bytes().to_vec())));
        store.commit(batch).unwrap();
        writeln!(stdout, "acked {n}").unwrap();
        stdout.flush().unwrap();
    }
}

#[test]
fn killed_writer_keeps_acknowledged_batches() {
    let dir = common::TempDir::new("killed");
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["killed_writer_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child aborts");
    let acked: Vec<i64> = String::from_utf8_lossy(&output.stdout)
        .lines()
        // Not `starts_with`: libtest prints "test killed_writer_child ... " before the first one.
        .filter_map(|line| line.rsplit_once("acked ")?.1.parse().ok())
        .collect();
    assert!(!acked.is_empty(), "the child committed something before it was killed");

    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let m = execution("m", "x", 0).state_machine_arn;
    let rows = store.list_executions(&m, None).unwrap();
    // Every acknowledged batch is there; at most one more (committed, not yet printed).
    assert!(
        rows.len() >= acked.len() && rows.len() <= acked.len() + 1,
        "{} rows, {} acked",
        rows.len(),
        acked.len()
    );
    for n in &acked {
        assert!(store.get_execution(&execution("m", &format!("e{n}"), *n).arn).unwrap().is_some());
    }
    // And each batch is whole: its row, all its events and its snapshot.
    for row in &rows {
        let ids: Vec<u64> = store.history(&row.arn).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=CHILD_EVENTS).collect::<Vec<_>>(), "{}", row.name);
    }
    assert_eq!(store.running_snapshots().unwrap().len(), rows.len());
    eprintln!("killed writer: {} batches acknowledged, {} found", acked.len(), rows.len());
}

#[test]
fn failed_batch_leaves_nothing() {
    let dir = common::TempDir::new("atomic");
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let a = execution("m", "a", 1);
    store.commit(create(&a, 2)).unwrap();

    // A new execution, a snapshot, then an event id that already exists: the whole batch fails.
    let b = execution("m", "b", 2);
    let mut batch = create(&b, 3);
    batch.executions.push(ended(a.clone(), ExecutionStatus::Failed, 5));
    batch.snapshots.push((a.arn.clone(), Some(b"s".to_vec())));
    batch.events.push((a.arn.as_str().into(), event(3, 5)));
    batch.events.push((a.arn.as_str().into(), event(2, 5)));
    let err = store.commit(batch).unwrap_err();
    assert!(matches!(err, Error::Internal(_)), "{err:?}");

    assert!(store.get_execution(&b.arn).unwrap().is_none());
    assert!(store.history(&b.arn).unwrap().is_empty());
    assert_eq!(store.get_execution(&a.arn).unwrap().unwrap().status, ExecutionStatus::Running);
    assert_eq!(store.history(&a.arn).unwrap().len(), 2);
    assert!(store.running_snapshots().unwrap().is_empty());
    // The store still works after the failure.
    store
        .commit(Batch { events: vec![(a.arn.as_str().into(), event(3, 6))], ..Batch::default() })
        .unwrap();
    assert_eq!(store.history(&a.arn).unwrap().len(), 3);
}

/// `FaultyStore` hands SQLite's own encoded batches back to it: a group that fails at
/// `commit_prepared` writes nothing, and the same decisions commit once the fault is gone.
#[test]
fn a_faulty_store_fails_a_prepared_group_before_sqlite_sees_it() {
    let dir = common::TempDir::new("faulty");
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path(), Durability::Full).unwrap());
    let store = FaultyStore::new(sqlite);
    let a = execution("m", "a", 1);
    store.commit(create(&a, 2)).unwrap();
    let b = execution("m", "b", 2);
    let group = || {
        let next = Batch { events: vec![(a.arn.as_str().into(), event(3, 5))], ..Batch::default() };
        vec![store.prepare(create(&b, 1)).unwrap(), store.prepare(next).unwrap()]
    };

    store.set_fault(Fault::DiskFull);
    let err = store.commit_prepared(group()).unwrap_err();
    assert_eq!(err, Error::Internal(DISK_FULL.into()));
    assert!(store.inner().get_execution(&b.arn).unwrap().is_none());
    assert_eq!(store.inner().history(&a.arn).unwrap().len(), 2);

    store.set_fault(Fault::None);
    store.commit_prepared(group()).unwrap();
    assert_eq!(store.history(&a.arn).unwrap().len(), 3);
    assert_eq!(store.history(&b.arn).unwrap().len(), 1);
    assert_eq!((store.writes(), store.failed_writes()), (3, 1));
}

/// Corrupts the store's file behind its back, then opens it afresh (a running store
/// serves recent rows from memory; the damage shows when they are read from disk).
fn corrupt(dir: &common::TempDir, store: SqliteStore, sql: &str) -> SqliteStore {
    drop(store);
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        // The schema's foreign key forbids some of this; corruption does not ask.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        conn.execute_batch(sql).unwrap();
    }
    SqliteStore::open(dir.path(), Durability::Full).unwrap()
}

#[test]
fn corrupt_rows_are_errors_not_panics() {
    let dir = common::TempDir::new("corrupt");
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let a = execution("m", "a", 1);
    store.commit(create(&a, 2)).unwrap();
    store.put_state_machine(machine("m", 1)).unwrap();
    let store = corrupt(
        &dir,
        store,
        "UPDATE executions SET record = '{\"not\": \"a record\"}';
         UPDATE history SET events = x'01ff';
         UPDATE state_machines SET record = 42;",
    );
    let internal = |r: Result<(), Error>| assert!(matches!(r, Err(Error::Internal(_))), "{r:?}");
    internal(store.get_execution(&a.arn).map(drop));
    internal(store.list_executions(&a.state_machine_arn, None).map(drop));
    internal(store.history(&a.arn).map(drop));
    internal(store.get_state_machine(&machine("m", 1).arn).map(drop));
    internal(store.list_state_machines().map(drop));

    // A binary row whose definition reference, then whose bytes, are broken.
    let b = execution("m", "b", 2);
    store.commit(create(&b, 1)).unwrap();
    let update = |column: &str| format!("UPDATE executions SET {column} WHERE arn = '{}'", b.arn);
    let store = corrupt(&dir, store, &update("definition_id = 999"));
    internal(store.get_execution(&b.arn).map(drop));
    let store = corrupt(&dir, store, &update("record = x'01'"));
    internal(store.get_execution(&b.arn).map(drop));
}

/// Commits that never pause still let the WAL restart from its beginning, however little
/// CPU the checkpoint thread gets: the commit that takes the WAL to its limit copies it
/// itself. So the WAL file, which keeps the length of the longest WAL it held, never holds
/// more than [`WAL_LIMIT_FRAMES`] frames plus one commit's. Nothing here depends on the
/// machine's load: on two loaded cores the checkpoint thread alone let it reach 22 MB.
#[test]
fn the_wal_stays_bounded_under_continuous_commits() {
    let dir = common::TempDir::new("wal-bound");
    let store = SqliteStore::open(dir.path(), Durability::Relaxed).unwrap();
    const COMMITS: i64 = 3000;
    for i in 0..COMMITS {
        store.commit(create(&execution("m", &format!("e{i}"), i), 20)).unwrap();
    }
    let wal = std::fs::metadata(dir.path().join(format!("{DB_FILE}-wal"))).unwrap().len();
    let db = std::fs::metadata(dir.path().join(DB_FILE)).unwrap().len();
    let page: u64 = rusqlite::Connection::open(dir.path().join(DB_FILE))
        .unwrap()
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .unwrap();
    eprintln!("after {COMMITS} commits: database {db} bytes, WAL {wal} bytes");
    // A WAL file is a 32-byte header and frames of a 24-byte header and a page. One commit
    // here (a row, a history chunk of 20 events, their index entries) writes under ten
    // pages; 64 leaves room for a b-tree split or two.
    let frame = page + 24;
    let bound = 32 + (WAL_LIMIT_FRAMES as u64 + 64) * frame;
    // Without any checkpoint the WAL would hold all 3,000 commits: about 80 MB.
    assert!(wal <= bound, "the WAL grew to {wal} bytes, over {bound}");
}
