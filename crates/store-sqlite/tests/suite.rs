//! The shared store suite on SQLite, with both durabilities.
mod common;

use std::sync::{Arc, Mutex};

use stepwise_engine::store::{suite, Store};
use stepwise_store_sqlite::{Durability, SqliteStore};

fn run(durability: Durability) {
    // The directories live until the suite is done (the stores may still be open).
    let dirs = Mutex::new(Vec::new());
    suite::run_all(|| {
        let dir = common::TempDir::new("suite");
        let store = SqliteStore::open(dir.path(), durability).expect("open");
        dirs.lock().unwrap().push(dir);
        Arc::new(store) as Arc<dyn Store>
    });
}

#[test]
fn sqlite_store_passes_the_suite_full() {
    run(Durability::Full);
}

#[test]
fn sqlite_store_passes_the_suite_relaxed() {
    run(Durability::Relaxed);
}
