//! Opening databases left by earlier schema versions (and refusing newer ones).
mod common;

use stepwise_engine::history::EventKind;
use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::suite::{create, execution};
use stepwise_engine::store::{Batch, Part, Store};
use stepwise_engine::Error;
use stepwise_store_sqlite::{Durability, SqliteStore, DB_FILE, SCHEMA_VERSION};

/// Writes `sql` into a new database file in a new directory, as an older build would have.
fn fixture(tag: &str, sql: &str) -> common::TempDir {
    let dir = common::TempDir::new(tag);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute_batch(sql).unwrap();
    dir
}

#[test]
fn opens_a_v0_database() {
    // v0: a file that exists but has no schema (user_version 0), e.g. created then interrupted.
    let dir = fixture("v0", "PRAGMA user_version = 0;");
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let e = execution("m", "e", 1);
    store.commit(create(&e, 2)).unwrap();
    assert_eq!(store.history(&e.arn).unwrap().len(), 2);
}

#[test]
fn opens_a_v1_database_with_its_data() {
    let dir = fixture("v1", include_str!("fixtures/v1.sql"));
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);

    let machines = store.list_state_machines().unwrap();
    assert_eq!(machines.len(), 1);
    assert_eq!(machines[0].name, "hello");
    assert_eq!(store.list_activities().unwrap()[0].tags[0].value, "x");
    let m = "arn:aws:states:us-east-1:123456789012:stateMachine:hello";
    let done = store.list_executions(m, Some(ExecutionStatus::Succeeded)).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].stop_ms, Some(1_700_000_000_200));
    let history = store.history(&done[0].arn).unwrap();
    assert_eq!(history.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2]);
    assert!(matches!(history[1].kind, EventKind::ExecutionSucceeded { .. }));
    assert_eq!(store.get_setting("token_key").unwrap(), Some(vec![1, 2, 3, 4, 5]));
    assert_eq!(store.remove_ended_before(i64::MAX).unwrap(), 1);
}

/// An execution that was running when its store was upgraded goes on: its v1 events stay,
/// new ones follow them in v2 chunks, and its row is rewritten in v2's format.
#[test]
fn a_v1_history_continues_in_v2() {
    let dir = fixture("v1-continue", include_str!("fixtures/v1.sql"));
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let arn = "arn:aws:states:us-east-1:123456789012:execution:hello:run1";
    let mut row = store.get_execution(arn).unwrap().unwrap();
    let mut later = store.history(arn).unwrap()[1].clone();
    later.id = 3;
    later.previous_event_id = 2;
    row.output = Some("{\"again\":true}".into());
    store
        .commit(Batch {
            executions: vec![row.clone()],
            events: vec![(arn.into(), later.clone())],
            ..Batch::default()
        })
        .unwrap();
    let history = store.history(arn).unwrap();
    assert_eq!(history.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(history[2], later);
    let read = store.get_execution(arn).unwrap().unwrap();
    assert_eq!(format!("{read:?}"), format!("{row:?}"), "the v2 row keeps the v1 definition");

    // A gap after the v1 events is refused.
    later.id = 5;
    let err =
        store.commit(Batch { events: vec![(arn.into(), later)], ..Batch::default() }).unwrap_err();
    assert!(matches!(&err, Error::Internal(m) if m.contains("does not follow event 3")), "{err:?}");
}

/// A snapshot written before v3 (no parts) still reads; once upgraded, snapshots get parts,
/// which go with them when the execution ends.
#[test]
fn an_older_snapshot_reads_and_gains_parts() {
    let dir = fixture("v1-snapshot", include_str!("fixtures/v1.sql"));
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute(
            "INSERT INTO snapshots (execution_arn, bytes) VALUES (?1, x'7b7d')",
            ["arn:aws:states:us-east-1:123456789012:execution:hello:run1"],
        )
        .unwrap();
    }
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let arn = "arn:aws:states:us-east-1:123456789012:execution:hello:run1";
    assert_eq!(store.snapshot(arn).unwrap().as_deref(), Some(&b"{}"[..]));
    assert_eq!(store.snapshot_parts(arn).unwrap(), []);
    let put = |index: u64| (arn.into(), Part::Put { group: 0, index, bytes: vec![index as u8] });
    store.commit(Batch { parts: vec![put(1), put(0)], ..Batch::default() }).unwrap();
    assert_eq!(store.snapshot_parts(arn).unwrap(), [(0, 0, vec![0]), (0, 1, vec![1])]);
    store.commit(Batch { snapshots: vec![(arn.into(), None)], ..Batch::default() }).unwrap();
    assert_eq!(store.snapshot_parts(arn).unwrap(), []);
}

#[test]
fn opening_twice_migrates_once() {
    let dir = common::TempDir::new("twice");
    drop(SqliteStore::open(dir.path(), Durability::Full).unwrap());
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = fixture("newer", &format!("PRAGMA user_version = {};", SCHEMA_VERSION + 1));
    let err = SqliteStore::open(dir.path(), Durability::Full).unwrap_err();
    assert!(matches!(&err, Error::Internal(m) if m.contains("newer")), "{err:?}");
}
