//! The checks every [`Store`] must pass (the Temporal pattern: one suite, every backend).
//!
//! A store crate runs them from a test:
//! ```ignore
//! stepwise_engine::store::suite::run_all(|| Arc::new(MyStore::open_fresh()));
//! ```
//! `make` must return an *empty* store each time; each check gets its own.
//! The checks panic (they are assertions) and follow [`MemoryStore`](super::memory::MemoryStore),
//! the reference implementation: where the trait leaves an order open, they sort first.
use std::sync::Arc;

use crate::error::Error;
use crate::history::{ErrorCause, EventKind, HistoryEvent};
use crate::model::{
    ActivityRecord, ExecutionRecord, ExecutionStatus, MachineType, StateMachineRecord, Tag,
};
use crate::store::{Batch, Part, Store};

pub mod versioning;

/// One check: panics unless `store` (empty at the start) behaves.
type Check = fn(&dyn Store);

/// Runs every check, each on a fresh store from `make`.
pub fn run_all(make: impl Fn() -> Arc<dyn Store>) {
    let checks: &[(&str, Check)] = &[
        ("state_machines", state_machines),
        ("activities", activities),
        ("state_machine_edits", state_machine_edits),
        ("activity_edits", activity_edits),
        ("commit_visible_whole", commit_visible_whole),
        ("commit_last_write_wins", commit_last_write_wins),
        ("events_in_id_order", events_in_id_order),
        ("snapshots", snapshots),
        ("snapshot_parts", snapshot_parts),
        ("redrive_points", redrive_points),
        ("settings", settings),
        ("list_executions", list_executions),
        ("remove_ended_before", remove_ended_before),
        ("empty_batch", empty_batch),
        ("versioning_edits", versioning::versioning_edits),
        ("versioning_deleted_with_machine", versioning::versioning_deleted_with_machine),
    ];
    for (name, check) in checks {
        eprintln!("store suite: {name}");
        let store = make();
        check(&*store);
    }
    eprintln!("store suite: concurrent_commits_read_back");
    concurrent_commits_read_back(make());
    eprintln!("store suite: concurrent_edits_lose_nothing");
    concurrent_edits_lose_nothing(make());
    eprintln!("store suite: concurrent_inserts_one_wins");
    concurrent_inserts_one_wins(make());
    eprintln!("store suite: concurrent_versioning_edits");
    versioning::concurrent_versioning_edits(make());
}

// ---------------------------------------------------------------- fixtures

/// A state machine named `name`, created at `creation_ms`.
pub fn machine(name: &str, creation_ms: i64) -> StateMachineRecord {
    StateMachineRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
        name: name.to_owned(),
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        machine_type: MachineType::Standard,
        creation_ms,
        update_ms: None,
        revision_id: None,
        logging_configuration: None,
        tracing_enabled: false,
        description: Some("ünïcode ✓".into()),
        tags: vec![Tag { key: "k".into(), value: "v".into() }],
    }
}

/// An activity named `name`, created at `creation_ms`.
pub fn activity(name: &str, creation_ms: i64) -> ActivityRecord {
    ActivityRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:activity:{name}"),
        name: name.to_owned(),
        creation_ms,
        tags: Vec::new(),
    }
}

/// A running execution `name` of `machine`, started at `start_ms`.
pub fn execution(machine: &str, name: &str, start_ms: i64) -> ExecutionRecord {
    ExecutionRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:execution:{machine}:{name}"),
        state_machine_arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{machine}"),
        name: name.to_owned(),
        status: ExecutionStatus::Running,
        start_ms,
        stop_ms: None,
        input: r#"{"x":1}"#.into(),
        output: None,
        error: None,
        cause: None,
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        redrive: Default::default(),
    }
}

/// `record` ended with `status` at `stop_ms`.
pub fn ended(
    mut record: ExecutionRecord,
    status: ExecutionStatus,
    stop_ms: i64,
) -> ExecutionRecord {
    record.status = status;
    record.stop_ms = Some(stop_ms);
    match status {
        ExecutionStatus::Succeeded => record.output = Some(r#"{"done":true}"#.into()),
        _ => record.error = Some("Boom".into()),
    }
    record
}

/// Event `id` of an execution (id 1 is `ExecutionStarted`).
pub fn event(id: u64, timestamp_ms: i64) -> HistoryEvent {
    let kind = match (id, id % 3) {
        (1, _) => EventKind::ExecutionStarted {
            input: r#"{"x":1}"#.into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
        },
        (_, 0) => EventKind::ActivityFailed(ErrorCause {
            error: Some("E".into()),
            cause: Some(format!("cause {id}")),
        }),
        _ => EventKind::MapIterationStarted { name: "M".into(), index: id },
    };
    HistoryEvent { id, previous_event_id: id.saturating_sub(1), timestamp_ms, kind }
}

/// A batch creating `record` with events `1..=events` (and no snapshot).
pub fn create(record: &ExecutionRecord, events: u64) -> Batch {
    Batch {
        executions: vec![record.clone()],
        events: (1..=events)
            .map(|id| (record.arn.as_str().into(), event(id, record.start_ms)))
            .collect(),
        ..Batch::default()
    }
}

fn ids(events: &[HistoryEvent]) -> Vec<u64> {
    events.iter().map(|e| e.id).collect()
}

fn names(records: &[ExecutionRecord]) -> Vec<&str> {
    records.iter().map(|r| r.name.as_str()).collect()
}

// ---------------------------------------------------------------- checks

/// Put, get (round trip of every field), replace, list by name, delete.
pub fn state_machines(store: &dyn Store) {
    assert!(store.list_state_machines().unwrap().is_empty());
    let b = machine("b", 1);
    store.put_state_machine(b.clone()).unwrap();
    store.put_state_machine(machine("a", 2)).unwrap();
    store.put_state_machine(machine("c", 0)).unwrap();

    let got = store.get_state_machine(&b.arn).unwrap().expect("b was put");
    assert_eq!(format!("{got:?}"), format!("{b:?}"), "every field round-trips");
    assert!(store.get_state_machine("arn:nope").unwrap().is_none());

    let listed: Vec<_> = store.list_state_machines().unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(listed, ["a", "b", "c"], "listed by name");

    let mut updated = b.clone();
    updated.definition = r#"{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}"#.into();
    updated.update_ms = Some(5);
    updated.revision_id = Some("r2".into());
    store.put_state_machine(updated.clone()).unwrap();
    let got = store.get_state_machine(&b.arn).unwrap().unwrap();
    assert_eq!(format!("{got:?}"), format!("{updated:?}"), "put replaces");
    assert_eq!(store.list_state_machines().unwrap().len(), 3, "replace adds no row");

    store.delete_state_machine(&b.arn).unwrap();
    assert!(store.get_state_machine(&b.arn).unwrap().is_none());
    assert_eq!(store.list_state_machines().unwrap().len(), 2);
    store.delete_state_machine(&b.arn).unwrap(); // deleting what is gone is fine
}

/// Put, get, replace, list by creation time then name, delete.
pub fn activities(store: &dyn Store) {
    assert!(store.list_activities().unwrap().is_empty());
    store.put_activity(activity("late", 20)).unwrap();
    store.put_activity(activity("b", 10)).unwrap();
    store.put_activity(activity("a", 10)).unwrap();
    let a = activity("a", 10);
    let got = store.get_activity(&a.arn).unwrap().expect("a was put");
    assert_eq!(format!("{got:?}"), format!("{a:?}"));
    assert!(store.get_activity("arn:nope").unwrap().is_none());

    let listed: Vec<_> = store.list_activities().unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(listed, ["a", "b", "late"], "by creation time, then name");

    let mut tagged = a.clone();
    tagged.tags.push(Tag { key: "team".into(), value: "x".into() });
    store.put_activity(tagged.clone()).unwrap();
    assert_eq!(store.get_activity(&a.arn).unwrap().unwrap().tags, tagged.tags);
    assert_eq!(store.list_activities().unwrap().len(), 3);

    store.delete_activity(&a.arn).unwrap();
    assert!(store.get_activity(&a.arn).unwrap().is_none());
    assert_eq!(store.list_activities().unwrap().len(), 2);
}

/// `update_state_machine`: the edit sees the stored row (or `None`); `Some` writes (insert
/// or replace), `None` keeps the row, an error aborts and writes nothing; the answer is the
/// row as it is afterwards, and reads (cached or not) agree with it.
pub fn state_machine_edits(store: &dyn Store) {
    let m = machine("m", 1);
    let mut seen = Vec::new();
    let got = store
        .update_state_machine(&m.arn, &mut |row| {
            seen.push(row.cloned());
            Ok(None)
        })
        .unwrap();
    assert!(got.is_none(), "keeping nothing leaves nothing");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].is_none(), "the edit of an absent row sees None");
    assert!(store.get_state_machine(&m.arn).unwrap().is_none());

    let got = store.update_state_machine(&m.arn, &mut |_| Ok(Some(m.clone()))).unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", Some(&m)), "an insert answers the row");
    let read = store.get_state_machine(&m.arn).unwrap();
    assert_eq!(format!("{read:?}"), format!("{:?}", Some(&m)), "and reads back");

    let got = store
        .update_state_machine(&m.arn, &mut |row| {
            assert_eq!(format!("{row:?}"), format!("{:?}", Some(&m)), "the edit sees the row");
            Ok(None)
        })
        .unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", Some(&m)), "keeping answers the row");

    let mut updated = m.clone();
    updated.revision_id = Some("r2".into());
    updated.tags.push(Tag { key: "k2".into(), value: "v2".into() });
    let got = store
        .update_state_machine(&m.arn, &mut |row| {
            let mut row = row.expect("the row is there").clone();
            row.revision_id = Some("r2".into());
            row.tags.push(Tag { key: "k2".into(), value: "v2".into() });
            Ok(Some(row))
        })
        .unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", Some(&updated)));
    let read = store.get_state_machine(&m.arn).unwrap();
    assert_eq!(format!("{read:?}"), format!("{:?}", Some(&updated)), "a replace reads back");
    assert_eq!(store.list_state_machines().unwrap().len(), 1, "a replace adds no row");

    let err = store
        .update_state_machine(&m.arn, &mut |_| Err(Error::StateMachineAlreadyExists("no".into())))
        .unwrap_err();
    assert_eq!(err.aws_type(), "StateMachineAlreadyExists", "the edit's error comes back");
    let read = store.get_state_machine(&m.arn).unwrap();
    assert_eq!(format!("{read:?}"), format!("{:?}", Some(&updated)), "an error writes nothing");

    let other = machine("other", 1);
    assert!(
        store.update_state_machine(&m.arn, &mut |_| Ok(Some(other.clone()))).is_err(),
        "an edit may not move a row to another ARN"
    );
    assert!(store.get_state_machine(&other.arn).unwrap().is_none());
    let read = store.get_state_machine(&m.arn).unwrap();
    assert_eq!(format!("{read:?}"), format!("{:?}", Some(&updated)));

    store.delete_state_machine(&m.arn).unwrap();
    let got = store
        .update_state_machine(&m.arn, &mut |row| {
            assert!(row.is_none(), "a deleted row is gone for edits too");
            Ok(None)
        })
        .unwrap();
    assert!(got.is_none());
}

/// `update_activity`, as [`state_machine_edits`].
pub fn activity_edits(store: &dyn Store) {
    let a = activity("a", 1);
    let got = store
        .update_activity(&a.arn, &mut |row| {
            assert!(row.is_none());
            Ok(Some(a.clone()))
        })
        .unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", Some(&a)));
    let got = store.update_activity(&a.arn, &mut |_| Ok(None)).unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", Some(&a)), "keeping answers the row");

    let mut tagged = a.clone();
    tagged.tags.push(Tag { key: "team".into(), value: "x".into() });
    let got = store
        .update_activity(&a.arn, &mut |row| {
            let mut row = row.expect("the row is there").clone();
            row.tags.push(Tag { key: "team".into(), value: "x".into() });
            Ok(Some(row))
        })
        .unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", Some(&tagged)));
    let read = store.get_activity(&a.arn).unwrap();
    assert_eq!(format!("{read:?}"), format!("{:?}", Some(&tagged)));

    let err =
        store.update_activity(&a.arn, &mut |_| Err(Error::TooManyTags("no".into()))).unwrap_err();
    assert_eq!(err.aws_type(), "TooManyTags");
    assert_eq!(store.get_activity(&a.arn).unwrap().unwrap().tags, tagged.tags);
    assert_eq!(store.list_activities().unwrap().len(), 1);
}

/// Edits from several threads on one state machine and one activity, each adding a tag of
/// its own: every tag lands (a read-then-write outside the store would lose some).
pub fn concurrent_edits_lose_nothing(store: Arc<dyn Store>) {
    const THREADS: usize = 8;
    const ROUNDS: usize = 50;
    let m = machine("m", 1);
    let a = activity("a", 1);
    store.put_state_machine(m.clone()).unwrap();
    store.put_activity(a.clone()).unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, m, a) = (Arc::clone(&store), m.arn.clone(), a.arn.clone());
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let tag = Tag { key: format!("t{t}-{round}"), value: round.to_string() };
                    tag_both(&*store, &m, &a, &tag);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("an editing thread panicked");
    }
    let sorted = |tags: Vec<Tag>| {
        let mut keys: Vec<String> = tags.into_iter().map(|t| t.key).collect();
        keys.sort();
        keys
    };
    let mut expected: Vec<String> = (0..THREADS)
        .flat_map(|t| (0..ROUNDS).map(move |r| format!("t{t}-{r}")))
        .chain(["k".to_owned()])
        .collect();
    expected.sort();
    let tags = store.get_state_machine(&m.arn).unwrap().unwrap().tags;
    assert_eq!(sorted(tags), expected, "every state-machine edit landed");
    expected.retain(|k| k != "k");
    let tags = store.get_activity(&a.arn).unwrap().unwrap().tags;
    assert_eq!(sorted(tags), expected, "every activity edit landed");
}

/// Adds `tag` to the state machine `m` and the activity `a`, each in one edit.
fn tag_both(store: &dyn Store, m: &str, a: &str, tag: &Tag) {
    store
        .update_state_machine(m, &mut |row| {
            let mut row = row.expect("m is there").clone();
            row.tags.push(tag.clone());
            Ok(Some(row))
        })
        .unwrap();
    store
        .update_activity(a, &mut |row| {
            let mut row = row.expect("a is there").clone();
            row.tags.push(tag.clone());
            Ok(Some(row))
        })
        .unwrap();
}

/// Record edits are atomic in the database, not only in one process: two stores opened by
/// `open` on one database (two nodes) edit one record from several threads each, and a
/// third store opened afterwards (no cache of the others') finds every edit. For stores that
/// several processes can share; `open` must open the *same* database each time.
pub fn edits_between_stores_lose_nothing(open: impl Fn() -> Arc<dyn Store>) {
    const THREADS_PER_STORE: usize = 3;
    const ROUNDS: usize = 30;
    let nodes: Vec<Arc<dyn Store>> = (0..2).map(|_| open()).collect();
    let (m, a) = (machine("m", 1), activity("a", 1));
    nodes[0].put_state_machine(m.clone()).unwrap();
    nodes[1].put_activity(a.clone()).unwrap();
    let handles: Vec<_> = (0..nodes.len() * THREADS_PER_STORE)
        .map(|t| {
            let node = Arc::clone(&nodes[t % nodes.len()]);
            let (m, a) = (m.arn.clone(), a.arn.clone());
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let tag = Tag { key: format!("t{t}-{round}"), value: String::new() };
                    tag_both(&*node, &m, &a, &tag);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("an editing thread panicked");
    }
    drop(nodes);

    let reader = open();
    let edits = 2 * THREADS_PER_STORE * ROUNDS;
    let machine_tags = reader.get_state_machine(&m.arn).unwrap().unwrap().tags;
    assert_eq!(machine_tags.len(), edits + 1, "the fixture's tag and every edit's");
    let activity_tags = reader.get_activity(&a.arn).unwrap().unwrap().tags;
    assert_eq!(activity_tags.len(), edits, "every edit's tag");
}

/// Threads inserting the same ARN, each its own row, if absent: exactly one inserts, and
/// every other one sees the winner's row.
pub fn concurrent_inserts_one_wins(store: Arc<dyn Store>) {
    const THREADS: usize = 8;
    let arn = machine("race", 0).arn;
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, arn, barrier) = (Arc::clone(&store), arn.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut mine = machine("race", 0);
                mine.role_arn = format!("arn:aws:iam::123456789012:role/r{t}");
                barrier.wait();
                let mut inserted = false;
                let row = store
                    .update_state_machine(&arn, &mut |row| {
                        inserted = row.is_none();
                        Ok(row.is_none().then(|| mine.clone()))
                    })
                    .unwrap()
                    .expect("a row is there after an insert-if-absent");
                (inserted, row.role_arn)
            })
        })
        .collect();
    let results: Vec<(bool, String)> =
        handles.into_iter().map(|h| h.join().expect("an inserting thread panicked")).collect();
    let winners: Vec<&String> = results.iter().filter(|(i, _)| *i).map(|(_, r)| r).collect();
    assert_eq!(winners.len(), 1, "exactly one insert: {results:?}");
    assert!(results.iter().all(|(_, role)| role == winners[0]), "all see the winner: {results:?}");
    let stored = store.get_state_machine(&arn).unwrap().unwrap();
    assert_eq!(&stored.role_arn, winners[0]);
}

/// Once `commit` returns, every part of the batch reads back: rows, events, snapshots,
/// for several executions at once.
pub fn commit_visible_whole(store: &dyn Store) {
    let one = execution("m", "one", 1);
    let two = execution("m", "two", 2);
    let mut batch = create(&one, 3);
    batch.executions.push(two.clone());
    batch.events.extend((1..=2).map(|id| (two.arn.as_str().into(), event(id, 2))));
    batch.snapshots.push((one.arn.clone(), Some(b"one".to_vec())));
    batch.snapshots.push((two.arn.clone(), Some(vec![0, 255, 1])));
    assert!(!batch.is_empty());
    store.commit(batch).unwrap();

    let got = store.get_execution(&one.arn).unwrap().expect("row committed");
    assert_eq!(format!("{got:?}"), format!("{one:?}"), "every field round-trips");
    assert_eq!(
        store.history(&one.arn).unwrap(),
        (1..=3).map(|id| event(id, 1)).collect::<Vec<_>>()
    );
    assert_eq!(ids(&store.history(&two.arn).unwrap()), [1, 2]);
    let mut snaps = store.running_snapshots().unwrap();
    snaps.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let snaps: Vec<_> = snaps.into_iter().map(|(r, s)| (r.name, s)).collect();
    assert_eq!(snaps, [("one".to_owned(), b"one".to_vec()), ("two".to_owned(), vec![0, 255, 1])]);

    assert!(store.get_execution("arn:nope").unwrap().is_none());
    assert!(store.history("arn:nope").unwrap().is_empty());
}

/// A row written twice (in one batch or across batches) keeps the last write.
pub fn commit_last_write_wins(store: &dyn Store) {
    let e = execution("m", "e", 1);
    let mut batch = create(&e, 1);
    let mut running = e.clone();
    running.output = Some("intermediate".into());
    batch.executions.push(running);
    store.commit(batch).unwrap();
    assert_eq!(
        store.get_execution(&e.arn).unwrap().unwrap().output.as_deref(),
        Some("intermediate")
    );

    let done = ended(e.clone(), ExecutionStatus::Succeeded, 9);
    store
        .commit(Batch {
            executions: vec![done.clone()],
            events: vec![(e.arn.as_str().into(), event(2, 9))],
            ..Batch::default()
        })
        .unwrap();
    let got = store.get_execution(&e.arn).unwrap().unwrap();
    assert_eq!(format!("{got:?}"), format!("{done:?}"));
    assert_eq!(
        store.list_executions(&e.state_machine_arn, None).unwrap().len(),
        1,
        "no second row"
    );
}

/// Histories come back in id order, appended across batches, kept per execution.
pub fn events_in_id_order(store: &dyn Store) {
    let a = execution("m", "a", 1);
    let b = execution("m", "b", 2);
    store.commit(create(&a, 5)).unwrap();
    store.commit(create(&b, 1)).unwrap();
    // Interleaved appends to both executions, in one batch and in many.
    let mut batch = Batch::default();
    for id in 6..=12 {
        batch.events.push((a.arn.as_str().into(), event(id, 3)));
        batch.events.push((b.arn.as_str().into(), event(id - 4, 3)));
    }
    store.commit(batch).unwrap();
    for id in 13..=40 {
        store
            .commit(Batch {
                events: vec![(a.arn.as_str().into(), event(id, 4))],
                ..Batch::default()
            })
            .unwrap();
    }
    assert_eq!(ids(&store.history(&a.arn).unwrap()), (1..=40).collect::<Vec<_>>());
    assert_eq!(ids(&store.history(&b.arn).unwrap()), (1..=8).collect::<Vec<_>>());
    assert_eq!(store.history(&a.arn).unwrap()[2], event(3, 1), "events round-trip");
}

/// Snapshots replace the previous one; `None` deletes; only those with a snapshot are listed.
pub fn snapshots(store: &dyn Store) {
    let a = execution("m", "a", 1);
    let b = execution("m", "b", 2);
    let mut batch = create(&a, 1);
    batch.executions.push(b.clone());
    batch.snapshots.push((a.arn.clone(), Some(b"a1".to_vec())));
    store.commit(batch).unwrap();
    let names_of = |store: &dyn Store| {
        let mut all: Vec<_> = store
            .running_snapshots()
            .unwrap()
            .into_iter()
            .map(|(r, s)| (r.name, String::from_utf8(s).unwrap()))
            .collect();
        all.sort();
        all
    };
    assert_eq!(names_of(store), [("a".to_owned(), "a1".to_owned())]);
    assert_eq!(store.snapshot(&a.arn).unwrap().as_deref(), Some(&b"a1"[..]));
    assert_eq!(store.snapshot(&b.arn).unwrap(), None);

    // Replace a's; give b one, then replace it in the same batch.
    store
        .commit(Batch {
            snapshots: vec![
                (a.arn.clone(), Some(b"a2".to_vec())),
                (b.arn.clone(), Some(b"b1".to_vec())),
                (b.arn.clone(), Some(b"b2".to_vec())),
            ],
            ..Batch::default()
        })
        .unwrap();
    assert_eq!(names_of(store), [("a".into(), "a2".into()), ("b".into(), "b2".into())]);
    assert_eq!(store.snapshot(&b.arn).unwrap().as_deref(), Some(&b"b2"[..]));

    // a ends: its row changes and its snapshot goes, in one batch. Deleting a missing one is fine.
    store
        .commit(Batch {
            executions: vec![ended(a.clone(), ExecutionStatus::Failed, 5)],
            events: vec![(a.arn.as_str().into(), event(2, 5))],
            snapshots: vec![(a.arn.clone(), None), ("arn:never".into(), None)],
            ..Batch::default()
        })
        .unwrap();
    let left = store.running_snapshots().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(format!("{:?}", left[0].0), format!("{b:?}"), "the row comes with its snapshot");
    assert_eq!(left[0].1, b"b2");
    assert_eq!(store.snapshot(&a.arn).unwrap(), None, "an ended execution's snapshot is gone");

    // Set then delete within one batch: gone.
    store
        .commit(Batch {
            snapshots: vec![(b.arn.clone(), Some(b"b3".to_vec())), (b.arn.clone(), None)],
            ..Batch::default()
        })
        .unwrap();
    assert!(store.running_snapshots().unwrap().is_empty());
}

/// An execution that ended unsuccessfully keeps a snapshot (its redrive point), written in
/// the batch that ends it after deleting the running one and its parts: it is read back by
/// ARN but not recovered, until a redrive makes its row `RUNNING` again. The row keeps its
/// redrives.
pub fn redrive_points(store: &dyn Store) {
    let a = execution("m", "a", 1);
    let mut batch = create(&a, 1);
    batch.snapshots.push((a.arn.clone(), Some(b"running".to_vec())));
    batch.parts.push((a.arn.as_str().into(), Part::Put { group: 0, index: 0, bytes: vec![1] }));
    store.commit(batch).unwrap();
    assert_eq!(store.running_snapshots().unwrap().len(), 1);

    store
        .commit(Batch {
            executions: vec![ended(a.clone(), ExecutionStatus::Failed, 5)],
            events: vec![(a.arn.as_str().into(), event(2, 5))],
            snapshots: vec![(a.arn.clone(), None), (a.arn.clone(), Some(b"point".to_vec()))],
            ..Batch::default()
        })
        .unwrap();
    assert!(store.running_snapshots().unwrap().is_empty(), "an ended execution is not recovered");
    assert_eq!(store.snapshot(&a.arn).unwrap().as_deref(), Some(&b"point"[..]));
    assert!(store.snapshot_parts(&a.arn).unwrap().is_empty(), "the running parts went");

    let mut redriven = a.clone();
    redriven.redrive.count = 1;
    redriven.redrive.last_ms = Some(7);
    redriven.redrive.tokens.push(crate::model::RedriveToken { token: "t".into(), redrive_ms: 7 });
    store
        .commit(Batch {
            executions: vec![redriven.clone()],
            events: vec![(a.arn.as_str().into(), event(3, 7))],
            snapshots: vec![(a.arn.clone(), Some(b"again".to_vec()))],
            ..Batch::default()
        })
        .unwrap();
    let running = store.running_snapshots().unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].0.redrive, redriven.redrive);
    assert_eq!(running[0].1, b"again");
    assert_eq!(store.get_execution(&a.arn).unwrap().unwrap().redrive, redriven.redrive);
    assert_eq!(ids(&store.history(&a.arn).unwrap()), [1, 2, 3]);
}

/// Parts are written and replaced by key, deleted by group, read back in key order, and
/// go with their snapshot; a batch applies its part changes in order, before its snapshots.
pub fn snapshot_parts(store: &dyn Store) {
    let a = execution("m", "a", 1);
    let b = execution("m", "b", 2);
    let put = |arn: &str, group: u64, index: u64, bytes: &[u8]| {
        (arn.into(), Part::Put { group, index, bytes: bytes.to_vec() })
    };
    let mut batch = create(&a, 1);
    batch.executions.push(b.clone());
    batch.snapshots.push((a.arn.clone(), Some(b"a1".to_vec())));
    batch.snapshots.push((b.arn.clone(), Some(b"b1".to_vec())));
    batch.parts = vec![
        put(&a.arn, 2, 10, b"a-2-10"),
        put(&a.arn, 1, 5, b"a-1-5"),
        put(&a.arn, 2, 3, b"first"),
        put(&a.arn, 2, 3, b"a-2-3"),
        put(&b.arn, 1, 0, b"b-1-0"),
        put(&a.arn, u64::from(u32::MAX) + 7, 0, b"a-big"),
    ];
    store.commit(batch).unwrap();
    let parts = |arn: &str| -> Vec<(u64, u64, String)> {
        store
            .snapshot_parts(arn)
            .unwrap()
            .into_iter()
            .map(|(g, i, bytes)| (g, i, String::from_utf8(bytes).unwrap()))
            .collect()
    };
    let big = u64::from(u32::MAX) + 7;
    assert_eq!(
        parts(&a.arn),
        [
            (1, 5, "a-1-5".into()),
            (2, 3, "a-2-3".into()),
            (2, 10, "a-2-10".into()),
            (big, 0, "a-big".into())
        ],
        "in key order, the last write of a key wins"
    );
    assert_eq!(parts(&b.arn), [(1, 0, "b-1-0".into())]);
    assert_eq!(parts("arn:never"), []);

    // Delete a's group 2 and write it again in one batch: only the new row is left.
    store
        .commit(Batch {
            parts: vec![
                (a.arn.as_str().into(), Part::DeleteGroup { group: 2 }),
                put(&a.arn, 2, 1, b"again"),
                (b.arn.as_str().into(), Part::DeleteGroup { group: 9 }),
            ],
            ..Batch::default()
        })
        .unwrap();
    assert_eq!(
        parts(&a.arn),
        [(1, 5, "a-1-5".into()), (2, 1, "again".into()), (big, 0, "a-big".into())]
    );
    assert_eq!(parts(&b.arn), [(1, 0, "b-1-0".into())], "another execution's groups stay");

    // a ends: a part written in the same batch goes with its snapshot.
    store
        .commit(Batch {
            executions: vec![ended(a.clone(), ExecutionStatus::Succeeded, 5)],
            snapshots: vec![(a.arn.clone(), None)],
            parts: vec![put(&a.arn, 3, 0, b"late")],
            ..Batch::default()
        })
        .unwrap();
    assert_eq!(parts(&a.arn), []);
    assert_eq!(parts(&b.arn), [(1, 0, "b-1-0".into())]);
}

/// Settings: absent, set, replaced, binary-safe.
pub fn settings(store: &dyn Store) {
    assert_eq!(store.get_setting("token_key").unwrap(), None);
    store.put_setting("token_key", &[1, 2, 3]).unwrap();
    assert_eq!(store.get_setting("token_key").unwrap(), Some(vec![1, 2, 3]));
    let binary: Vec<u8> = (0..=255).collect();
    store.put_setting("token_key", &binary).unwrap();
    store.put_setting("other", b"").unwrap();
    assert_eq!(store.get_setting("token_key").unwrap(), Some(binary));
    assert_eq!(store.get_setting("other").unwrap(), Some(Vec::new()));
}

/// Newest first, per state machine, optionally one status.
pub fn list_executions(store: &dyn Store) {
    let m = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    for (i, name) in ["e1", "e2", "e3", "e4", "e5"].iter().enumerate() {
        store.commit(create(&execution("m", name, 100 + i as i64 * 10), 1)).unwrap();
    }
    // Same start time as e5: the later-committed one comes first, as in start order.
    store.commit(create(&execution("m", "e6", 140), 1)).unwrap();
    store.commit(create(&execution("other", "x", 1000), 1)).unwrap();
    store
        .commit(Batch {
            executions: vec![
                ended(execution("m", "e2", 110), ExecutionStatus::Succeeded, 200),
                ended(execution("m", "e4", 130), ExecutionStatus::Failed, 210),
                ended(execution("m", "e1", 100), ExecutionStatus::Succeeded, 220),
            ],
            ..Batch::default()
        })
        .unwrap();

    let all = store.list_executions(m, None).unwrap();
    assert_eq!(names(&all), ["e6", "e5", "e4", "e3", "e2", "e1"], "newest first");
    let ok = store.list_executions(m, Some(ExecutionStatus::Succeeded)).unwrap();
    assert_eq!(names(&ok), ["e2", "e1"]);
    assert!(ok.iter().all(|r| r.status == ExecutionStatus::Succeeded && r.output.is_some()));
    assert_eq!(
        names(&store.list_executions(m, Some(ExecutionStatus::Running)).unwrap()),
        ["e6", "e5", "e3"]
    );
    assert_eq!(names(&store.list_executions(m, Some(ExecutionStatus::Failed)).unwrap()), ["e4"]);
    assert!(store.list_executions(m, Some(ExecutionStatus::Aborted)).unwrap().is_empty());
    assert!(store.list_executions("arn:nope", None).unwrap().is_empty());

    // Pages are slices of the same order, and say whether more follow.
    let page = |status, offset, limit| {
        let (rows, more) = store.list_executions_page(m, status, offset, limit).unwrap();
        (rows.into_iter().map(|r| r.name).collect::<Vec<_>>().join(","), more)
    };
    assert_eq!(page(None, 0, 4), ("e6,e5,e4,e3".into(), true));
    assert_eq!(page(None, 4, 4), ("e2,e1".into(), false));
    assert_eq!(page(None, 2, 4), ("e4,e3,e2,e1".into(), false), "an exact fit: no more");
    assert_eq!(page(None, 9, 4), (String::new(), false));
    assert_eq!(page(Some(ExecutionStatus::Running), 1, 1), ("e5".into(), true));
    assert_eq!(page(Some(ExecutionStatus::Running), 2, 1), ("e3".into(), false));
    // Deleting the machine keeps its executions.
    store.put_state_machine(machine("m", 1)).unwrap();
    store.delete_state_machine(m).unwrap();
    assert_eq!(store.list_executions(m, None).unwrap().len(), 6);
}

/// Removes executions that ended strictly before the cut-off, with their histories;
/// running ones and later ones stay.
pub fn remove_ended_before(store: &dyn Store) {
    let old = ended(execution("m", "old", 1), ExecutionStatus::Succeeded, 10);
    let edge = ended(execution("m", "edge", 2), ExecutionStatus::Aborted, 50);
    let recent = ended(execution("m", "recent", 3), ExecutionStatus::TimedOut, 90);
    let running = execution("m", "running", 0);
    for record in [&old, &edge, &recent, &running] {
        let mut batch = create(record, 4);
        if record.stop_ms.is_none() {
            batch.snapshots.push((record.arn.clone(), Some(b"s".to_vec())));
        }
        store.commit(batch).unwrap();
    }
    assert_eq!(store.remove_ended_before(50).unwrap(), 1, "only `old` ended before 50");
    assert!(store.get_execution(&old.arn).unwrap().is_none());
    assert!(store.history(&old.arn).unwrap().is_empty(), "history goes with the row");
    assert!(store.get_execution(&edge.arn).unwrap().is_some(), "the cut-off is exclusive");
    assert_eq!(store.history(&edge.arn).unwrap().len(), 4);

    assert_eq!(store.remove_ended_before(1_000).unwrap(), 2);
    assert_eq!(
        names(&store.list_executions(&running.state_machine_arn, None).unwrap()),
        ["running"]
    );
    assert_eq!(store.history(&running.arn).unwrap().len(), 4);
    assert_eq!(store.running_snapshots().unwrap().len(), 1);
    assert_eq!(store.remove_ended_before(i64::MAX).unwrap(), 0, "running executions never expire");

    // A name can be reused after removal, with a fresh history.
    store.commit(create(&execution("m", "old", 2_000), 2)).unwrap();
    assert_eq!(ids(&store.history(&old.arn).unwrap()), [1, 2]);
}

/// An empty batch commits and changes nothing.
pub fn empty_batch(store: &dyn Store) {
    let batch = Batch::default();
    assert!(batch.is_empty());
    store.commit(batch).unwrap();
    assert!(store.running_snapshots().unwrap().is_empty());
}

/// Commits from several threads; each thread reads its own writes right after `commit`
/// returns ("reads reflect every batch whose commit has returned").
pub fn concurrent_commits_read_back(store: Arc<dyn Store>) {
    const THREADS: usize = 4;
    const ROUNDS: u64 = 40;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let record = execution("m", &format!("t{t}"), t as i64);
                store.commit(create(&record, 1)).unwrap();
                for round in 1..=ROUNDS {
                    let mut row = record.clone();
                    row.output = Some(round.to_string());
                    store
                        .commit(Batch {
                            executions: vec![row],
                            events: vec![(
                                record.arn.as_str().into(),
                                event(round + 1, round as i64),
                            )],
                            snapshots: vec![(
                                record.arn.clone(),
                                Some(round.to_le_bytes().to_vec()),
                            )],
                            ..Batch::default()
                        })
                        .unwrap();
                    let got = store.get_execution(&record.arn).unwrap().unwrap();
                    assert_eq!(got.output, Some(round.to_string()));
                    assert_eq!(store.history(&record.arn).unwrap().len() as u64, round + 1);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a committing thread panicked");
    }
    let m = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    assert_eq!(store.list_executions(m, None).unwrap().len(), THREADS);
    for (record, snapshot) in store.running_snapshots().unwrap() {
        assert_eq!(snapshot, ROUNDS.to_le_bytes());
        assert_eq!(ids(&store.history(&record.arn).unwrap()), (1..=ROUNDS + 1).collect::<Vec<_>>());
    }
}
