//! The shared store suite on PostgreSQL: a private server, a fresh database per check.
use std::sync::Arc;

use stepwise_engine::store::{suite, Store};
use stepwise_store_postgres::testing::TestServer;
use stepwise_store_postgres::{PostgresStore, SCHEMA_VERSION};

#[test]
fn postgres_store_passes_the_suite() {
    let Some(server) = TestServer::start("suite") else { return };
    suite::run_all(|| {
        let store = PostgresStore::open(&server.create_database()).expect("open");
        Arc::new(store) as Arc<dyn Store>
    });
}

#[test]
fn postgres_schema_migrates_once_and_refuses_a_newer_one() {
    let Some(server) = TestServer::start("schema") else { return };
    let url = server.create_database();
    let store = PostgresStore::open(&url).expect("open a new database");
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store.put_setting("kept", b"1").unwrap();
    drop(store);

    // Opening again migrates nothing and keeps the rows.
    let store = PostgresStore::open(&url).expect("reopen");
    assert_eq!(store.get_setting("kept").unwrap().as_deref(), Some(&b"1"[..]));
    drop(store);

    server.execute(&url, "UPDATE stepwise_schema SET version = version + 1");
    let refused = PostgresStore::open(&url).expect_err("a newer schema is refused");
    assert!(refused.to_string().contains("newer than this build"), "{refused}");
}

#[test]
fn a_second_server_on_one_database_is_refused() {
    let Some(server) = TestServer::start("exclusive") else { return };
    let url = server.create_database();
    let first = PostgresStore::open(&url).expect("open");
    let refused = PostgresStore::open(&url).expect_err("a second store is refused");
    assert!(refused.to_string().contains("already used by another Stepwise server"), "{refused}");
    drop(first);
    // Closing the first releases the database.
    PostgresStore::open(&url).expect("open once the first is closed");
}

#[test]
fn postgres_store_reports_an_unreachable_database() {
    // A port of the test range that nothing listens on (found free just before).
    let Some(port) =
        (9750..=9799).rev().find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
    else {
        return;
    };
    let error = PostgresStore::open(&format!("postgres://stepwise@127.0.0.1:{port}/none"))
        .expect_err("nothing listens there");
    assert!(error.to_string().contains("connecting"), "{error}");
}
