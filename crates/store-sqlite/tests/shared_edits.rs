//! Record edits are atomic in the database, not only in one process: two stores open on
//! one directory (two nodes sharing a database) editing one record concurrently lose
//! nothing, because each edit reads and writes in one IMMEDIATE transaction.
mod common;

use std::sync::Arc;

use stepwise_engine::store::{suite, Store};
use stepwise_store_sqlite::{Durability, SqliteStore};

#[test]
fn two_stores_on_one_database_lose_no_edit() {
    let dir = common::TempDir::new("shared");
    suite::edits_between_stores_lose_nothing(|| {
        Arc::new(SqliteStore::open(dir.path(), Durability::Relaxed).expect("open"))
            as Arc<dyn Store>
    });
}
