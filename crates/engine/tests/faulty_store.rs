//! `FaultyStore` on `MemoryStore`: each fault does what it says, and a failed write leaves
//! no trace in the inner store.
use std::sync::Arc;
use std::time::{Duration, Instant};

use stepwise_engine::model::ExecutionStatus;
use stepwise_engine::store::faulty::{Fault, FaultyStore, DISK_FULL};
use stepwise_engine::store::memory::MemoryStore;
use stepwise_engine::store::suite::{self, create, ended, event, execution, machine};
use stepwise_engine::store::{Batch, Store};
use stepwise_engine::Error;

fn faulty() -> Arc<FaultyStore> {
    Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())))
}

/// A batch appending event `id` to `arn`'s history.
fn append(arn: &str, id: u64) -> Batch {
    Batch { events: vec![(arn.into(), event(id, 10))], ..Batch::default() }
}

fn history_ids(store: &dyn Store, arn: &str) -> Vec<u64> {
    store.history(arn).unwrap().iter().map(|e| e.id).collect()
}

#[test]
fn without_faults_it_passes_the_store_suite() {
    suite::run_all(|| faulty());
}

#[test]
fn every_nth_write_fails_and_leaves_nothing() {
    let store = faulty();
    store.set_fault(Fault::EveryNth(3));
    let mut results = Vec::new();
    for i in 0..9 {
        let record = execution("m", &format!("e{i}"), i);
        results.push(store.commit(create(&record, 2)).is_ok());
    }
    assert_eq!(results, [true, true, false, true, true, false, true, true, false]);
    for (i, ok) in results.iter().enumerate() {
        let arn = execution("m", &format!("e{i}"), 0).arn;
        assert_eq!(store.inner().get_execution(&arn).unwrap().is_some(), *ok, "e{i}");
        assert_eq!(store.inner().history(&arn).unwrap().len(), if *ok { 2 } else { 0 }, "e{i}");
    }
    assert_eq!((store.writes(), store.failed_writes()), (9, 3));

    // A new fault counts from its own start, and can change while the store is shared.
    let other = store.clone();
    std::thread::spawn(move || other.set_fault(Fault::EveryNth(2))).join().unwrap();
    let a = execution("m", "e0", 0);
    assert!(store.commit(append(&a.arn, 3)).is_ok());
    let err = store.commit(append(&a.arn, 3)).unwrap_err();
    assert!(matches!(&err, Error::Internal(m) if m.contains("injected fault")), "{err:?}");
    assert_eq!(history_ids(store.inner().as_ref(), &a.arn), [1, 2, 3]);
    store.set_fault(Fault::EveryNth(0));
    assert!(store.commit(append(&a.arn, 4)).is_ok());
    assert_eq!((store.writes(), store.failed_writes()), (12, 4));
}

/// The engine's durable path: `prepare` encodes (and never fails), `commit_prepared` is
/// the write that fails, with the inner store unchanged.
#[test]
fn a_failed_commit_prepared_leaves_the_inner_store_unchanged() {
    let store = faulty();
    let a = execution("m", "a", 1);
    store.commit(create(&a, 2)).unwrap();

    store.set_fault(Fault::EveryNth(1));
    let b = execution("m", "b", 2);
    let mut first = create(&b, 1);
    first.snapshots.push((b.arn.clone(), Some(b"frames".to_vec())));
    let mut second = append(&a.arn, 3);
    second.executions.push(ended(a.clone(), ExecutionStatus::Succeeded, 5));
    second.snapshots.push((a.arn.clone(), None));
    let prepared = vec![store.prepare(first).unwrap(), store.prepare(second).unwrap()];
    assert!(store.commit_prepared(prepared).is_err());
    assert_eq!((store.writes(), store.failed_writes()), (2, 1), "prepare is not a write");

    let inner = store.inner();
    assert!(inner.get_execution(&b.arn).unwrap().is_none());
    assert!(inner.snapshot(&b.arn).unwrap().is_none());
    assert_eq!(inner.get_execution(&a.arn).unwrap().unwrap().status, ExecutionStatus::Running);
    assert_eq!(history_ids(inner.as_ref(), &a.arn), [1, 2]);

    // Once the fault is gone the same decisions commit.
    store.set_fault(Fault::None);
    let prepared =
        vec![store.prepare(create(&b, 1)).unwrap(), store.prepare(append(&a.arn, 3)).unwrap()];
    store.commit_prepared(prepared).unwrap();
    assert_eq!(history_ids(inner.as_ref(), &a.arn), [1, 2, 3]);
    assert_eq!(history_ids(inner.as_ref(), &b.arn), [1]);
}

#[test]
fn a_full_disk_fails_every_write_until_turned_off() {
    let store = faulty();
    let a = execution("m", "a", 1);
    store.commit(create(&a, 2)).unwrap();
    store.put_setting("k", b"old").unwrap();

    store.set_fault(Fault::DiskFull);
    let failures = [
        store.commit(append(&a.arn, 3)),
        store.commit_prepared(vec![store.prepare(append(&a.arn, 3)).unwrap()]),
        store.put_state_machine(machine("sm", 1)),
        store.put_setting("k", b"new"),
        store.remove_ended_before(i64::MAX).map(drop),
    ];
    for failure in failures {
        assert_eq!(failure, Err(Error::Internal(DISK_FULL.into())));
    }
    assert_eq!(store.failed_writes(), 5);
    // Reads still work, and show nothing changed.
    assert_eq!(history_ids(&*store, &a.arn), [1, 2]);
    assert!(store.get_state_machine(&machine("sm", 1).arn).unwrap().is_none());
    assert_eq!(store.get_setting("k").unwrap().as_deref(), Some(&b"old"[..]));

    store.set_fault(Fault::None);
    store.commit(append(&a.arn, 3)).unwrap();
    assert_eq!(history_ids(&*store, &a.arn), [1, 2, 3]);
    assert_eq!((store.writes(), store.failed_writes()), (8, 5));
}

/// Only lower bounds on time: a busy machine makes everything slower, never faster.
#[test]
fn slow_writes_sleep_before_they_go_on() {
    let store = faulty();
    let delay = Duration::from_millis(60);
    store.set_write_delay(delay);
    let a = execution("m", "a", 1);
    let started = Instant::now();
    store.commit(create(&a, 2)).unwrap();
    store.commit_prepared(vec![store.prepare(append(&a.arn, 3)).unwrap()]).unwrap();
    assert!(started.elapsed() >= 2 * delay, "{:?}", started.elapsed());
    assert_eq!(history_ids(&*store, &a.arn), [1, 2, 3]);

    // A slow write that fails still sleeps first, and still leaves nothing.
    store.set_fault(Fault::DiskFull);
    let started = Instant::now();
    assert!(store.commit(append(&a.arn, 4)).is_err());
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(history_ids(&*store, &a.arn), [1, 2, 3]);
    assert_eq!((store.writes(), store.failed_writes()), (3, 1));
}

#[test]
fn failing_reads_fail_execution_reads_only() {
    let store = faulty();
    let a = execution("m", "a", 1);
    let mut batch = create(&a, 2);
    batch.snapshots.push((a.arn.clone(), Some(b"frames".to_vec())));
    store.commit(batch).unwrap();
    store.put_state_machine(machine("m", 1)).unwrap();

    store.set_fail_reads(true);
    let injected = |r: Result<(), Error>| {
        assert!(matches!(&r, Err(Error::Internal(m)) if m.contains("injected fault")), "{r:?}")
    };
    injected(store.get_execution(&a.arn).map(drop));
    injected(store.history(&a.arn).map(drop));
    injected(store.snapshot(&a.arn).map(drop));
    injected(store.running_snapshots().map(drop));
    injected(store.list_executions(&a.state_machine_arn, None).map(drop));
    injected(store.list_executions_page(&a.state_machine_arn, None, 0, 10).map(drop));
    assert_eq!(store.failed_reads(), 6);
    assert!(store.get_state_machine(&machine("m", 1).arn).unwrap().is_some());
    // Writes go on while reads fail.
    store.commit(append(&a.arn, 3)).unwrap();

    store.set_fail_reads(false);
    assert_eq!(history_ids(&*store, &a.arn), [1, 2, 3]);
    assert_eq!(store.snapshot(&a.arn).unwrap().as_deref(), Some(&b"frames"[..]));
    assert_eq!(store.failed_reads(), 6);
}
