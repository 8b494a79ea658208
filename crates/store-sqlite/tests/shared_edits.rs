//! Record edits are atomic in the database, not only in one process: two stores open on
//! one directory (two nodes sharing a database) editing one record concurrently lose
//! nothing, because each edit reads and writes in one IMMEDIATE transaction.
mod common;

use std::sync::Arc;

use stepwise_engine::model::Tag;
use stepwise_engine::store::suite::{activity, machine};
use stepwise_engine::store::Store;
use stepwise_store_sqlite::{Durability, SqliteStore};

const THREADS_PER_STORE: usize = 3;
const ROUNDS: usize = 30;

#[test]
fn two_stores_on_one_database_lose_no_edit() {
    let dir = common::TempDir::new("shared");
    let nodes: Vec<Arc<SqliteStore>> = (0..2)
        .map(|_| Arc::new(SqliteStore::open(dir.path(), Durability::Relaxed).expect("open")))
        .collect();
    let (m, a) = (machine("m", 1), activity("a", 1));
    nodes[0].put_state_machine(m.clone()).unwrap();
    nodes[0].put_activity(a.clone()).unwrap();

    let handles: Vec<_> = (0..nodes.len() * THREADS_PER_STORE)
        .map(|t| {
            let node = Arc::clone(&nodes[t % nodes.len()]);
            let (m, a) = (m.arn.clone(), a.arn.clone());
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let tag = Tag { key: format!("t{t}-{round}"), value: String::new() };
                    node.update_state_machine(&m, &mut |row| {
                        let mut row = row.expect("m is there").clone();
                        row.tags.push(tag.clone());
                        Ok(Some(row))
                    })
                    .unwrap();
                    node.update_activity(&a, &mut |row| {
                        let mut row = row.expect("a is there").clone();
                        row.tags.push(tag.clone());
                        Ok(Some(row))
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("an editing thread panicked");
    }
    drop(nodes);

    // A third node reads the database afresh (the others' caches each saw only their writes).
    let reader = SqliteStore::open(dir.path(), Durability::Relaxed).expect("reopen");
    let edits = 2 * THREADS_PER_STORE * ROUNDS;
    let machine_tags = reader.get_state_machine(&m.arn).unwrap().unwrap().tags;
    assert_eq!(machine_tags.len(), edits + 1, "the fixture's tag and every edit's");
    let activity_tags = reader.get_activity(&a.arn).unwrap().unwrap().tags;
    assert_eq!(activity_tags.len(), edits, "every edit's tag");
}
