//! The shared store suite on the reference implementation, `MemoryStore`.
use std::sync::Arc;

use stepwise_engine::store::{memory::MemoryStore, suite};

#[test]
fn memory_store_passes_the_suite() {
    suite::run_all(|| Arc::new(MemoryStore::new()));
}
