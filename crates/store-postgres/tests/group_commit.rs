//! What PostgreSQL adds to the suite's checks: a group of many batches applied as one
//! statement (net effects in order, all or nothing), and record edits that stay atomic
//! between two stores sharing one database (two nodes).
use std::sync::Arc;

use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::suite::{self, create, ended, event, execution};
use stepwise_engine::store::{Batch, Part, Store};
use stepwise_store_postgres::testing::TestServer;
use stepwise_store_postgres::{Options, PostgresStore};

fn put(group: u64, index: u64, byte: u8) -> Part {
    Part::Put { group, index, bytes: vec![byte] }
}

#[test]
fn a_group_applies_its_batches_in_order_as_one_write() {
    let Some(server) = TestServer::start("group") else { return };
    let store = PostgresStore::open(&server.create_database()).expect("open");
    let e = execution("m", "e", 1);
    let arn: Arc<str> = e.arn.as_str().into();

    // A snapshot with parts, stored before the group.
    let mut first = create(&e, 2);
    first.snapshots.push((e.arn.clone(), Some(b"s0".to_vec())));
    first.parts = vec![(arn.clone(), put(1, 0, 10)), (arn.clone(), put(2, 0, 20))];
    store.commit(first).unwrap();

    // Three decisions of one execution in one group: a row written three times, a part
    // group deleted and written again, the snapshot replaced twice.
    let mut running = e.clone();
    running.output = Some("middle".into());
    let batches = vec![
        Batch {
            executions: vec![running],
            events: vec![(arn.clone(), event(3, 2))],
            snapshots: vec![(e.arn.clone(), Some(b"s1".to_vec()))],
            parts: vec![
                (arn.clone(), Part::DeleteGroup { group: 1 }),
                (arn.clone(), put(1, 1, 11)),
            ],
        },
        Batch {
            events: vec![(arn.clone(), event(4, 3)), (arn.clone(), event(5, 3))],
            parts: vec![
                (arn.clone(), put(3, 0, 30)),
                (arn.clone(), Part::DeleteGroup { group: 3 }),
            ],
            ..Batch::default()
        },
        Batch {
            executions: vec![ended(e.clone(), ExecutionStatus::Failed, 9)],
            events: vec![(arn.clone(), event(6, 9))],
            snapshots: vec![(e.arn.clone(), Some(b"redrive".to_vec()))],
            parts: vec![(arn.clone(), put(2, 0, 21))],
        },
    ];
    let prepared = batches.into_iter().map(|b| store.prepare(b).unwrap()).collect();
    store.commit_prepared(prepared).unwrap();

    let row = store.get_execution(&e.arn).unwrap().unwrap();
    assert_eq!(row.status, ExecutionStatus::Failed, "the last write of the row wins");
    let ids: Vec<u64> = store.history(&e.arn).unwrap().iter().map(|ev| ev.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(store.snapshot(&e.arn).unwrap().as_deref(), Some(&b"redrive"[..]));
    assert_eq!(
        store.snapshot_parts(&e.arn).unwrap(),
        [(1, 1, vec![11]), (2, 0, vec![21])],
        "group 1 deleted then written, group 3 written then deleted, group 2 replaced"
    );

    // A group whose snapshot is deleted and written again keeps only the later parts.
    let batches = vec![
        Batch { snapshots: vec![(e.arn.clone(), None)], ..Batch::default() },
        Batch {
            snapshots: vec![(e.arn.clone(), Some(b"again".to_vec()))],
            parts: vec![(arn.clone(), put(7, 0, 70))],
            ..Batch::default()
        },
    ];
    let prepared = batches.into_iter().map(|b| store.prepare(b).unwrap()).collect();
    store.commit_prepared(prepared).unwrap();
    assert_eq!(store.snapshot_parts(&e.arn).unwrap(), [(7, 0, vec![70])]);
    assert_eq!(store.snapshot(&e.arn).unwrap().as_deref(), Some(&b"again"[..]));
}

#[test]
fn a_history_gap_fails_the_whole_group() {
    let Some(server) = TestServer::start("gap") else { return };
    let store = PostgresStore::open(&server.create_database()).expect("open");
    let a = execution("m", "a", 1);
    store.commit(create(&a, 3)).unwrap();

    let b = execution("m", "b", 2);
    let batches = vec![
        create(&b, 2),
        // Event 5 after a's event 3: a gap, which only the database can see.
        Batch { events: vec![(a.arn.as_str().into(), event(5, 2))], ..Batch::default() },
    ];
    let prepared = batches.into_iter().map(|b| store.prepare(b).unwrap()).collect();
    let error = store.commit_prepared(prepared).expect_err("a gap is refused");
    assert!(error.to_string().contains("does not follow event 3"), "{error}");
    assert!(store.get_execution(&b.arn).unwrap().is_none(), "nothing of the group is written");
    assert!(store.history(&b.arn).unwrap().is_empty());

    // A history started twice, and a gap between two batches of one group.
    let error = store.commit(create(&a, 1)).expect_err("a second first event");
    assert!(error.to_string().contains("does not follow event 3"), "{error}");
    let batches = vec![
        Batch { events: vec![(a.arn.as_str().into(), event(4, 2))], ..Batch::default() },
        Batch { events: vec![(a.arn.as_str().into(), event(6, 2))], ..Batch::default() },
    ];
    let prepared = batches.into_iter().map(|b| store.prepare(b).unwrap()).collect();
    assert!(store.commit_prepared(prepared).is_err());
    assert_eq!(store.history(&a.arn).unwrap().len(), 3);
}

#[test]
fn two_stores_on_one_database_lose_no_edit() {
    let Some(server) = TestServer::start("shared") else { return };
    let url = server.create_database();
    suite::edits_between_stores_lose_nothing(|| {
        // Two stores on one database on purpose: the record edits' own atomicity.
        let shared = Options { exclusive: false, ..Options::default() };
        Arc::new(PostgresStore::open_with(&url, shared).expect("open")) as Arc<dyn Store>
    });
}

#[test]
fn a_store_works_from_async_tasks() {
    // The API calls the store from tokio workers (multi-threaded runtime) and tests from a
    // current-thread one; neither may panic or stall.
    let Some(server) = TestServer::start("async") else { return };
    let store = Arc::new(PostgresStore::open(&server.create_database()).expect("open"));
    for flavor in ["multi", "current"] {
        let runtime = match flavor {
            "multi" => tokio::runtime::Builder::new_multi_thread().worker_threads(2).build(),
            _ => tokio::runtime::Builder::new_current_thread().build(),
        }
        .unwrap();
        let store = Arc::clone(&store);
        runtime.block_on(async move {
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        let key = format!("{flavor}-{i}");
                        store.put_setting(&key, key.as_bytes()).unwrap();
                        store.get_setting(&key).unwrap()
                    })
                })
                .collect();
            for (i, task) in tasks.into_iter().enumerate() {
                let value = task.await.unwrap();
                assert_eq!(value, Some(format!("{flavor}-{i}").into_bytes()));
            }
        });
    }
}
