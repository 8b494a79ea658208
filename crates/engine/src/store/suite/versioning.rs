//! The checks of [`Store::get_versioning`] and [`Store::update_versioning`]: a machine's
//! versions and aliases, edited atomically and deleted with their machine.
use std::sync::Arc;

use super::{execution, machine};
use crate::error::Error;
use crate::model::{AliasRecord, MachineType, Route, VersionRecord, Versioning};
use crate::store::{Batch, Store};

/// Version `number` of `machine_arn`.
pub fn version(machine_arn: &str, number: u64) -> VersionRecord {
    VersionRecord {
        arn: format!("{machine_arn}:{number}"),
        number,
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        machine_type: MachineType::Standard,
        revision_id: Some(format!("rev-{number}")),
        description: Some("déjà \"quoted\"".into()),
        creation_ms: 10 + number as i64,
        logging_configuration: Some(r#"{"level":"OFF"}"#.into()),
        tracing_enabled: true,
    }
}

/// A versioning record of `machine_arn` with versions 1 and 2 and an alias routing to both.
pub fn versioning(machine_arn: &str) -> Versioning {
    Versioning {
        machine_arn: machine_arn.to_owned(),
        last_number: 2,
        versions: vec![version(machine_arn, 1), version(machine_arn, 2)],
        aliases: vec![AliasRecord {
            arn: format!("{machine_arn}:prod"),
            name: "prod".into(),
            description: None,
            routes: vec![
                Route { version_arn: format!("{machine_arn}:1"), weight: 30 },
                Route { version_arn: format!("{machine_arn}:2"), weight: 70 },
            ],
            creation_ms: 20,
            update_ms: 21,
        }],
    }
}

/// Edits insert, keep (`None`), replace and abort (`Err`) as [`Store::update_state_machine`]
/// does; every field round-trips; reads agree with the edit's answer; machines are apart.
pub fn versioning_edits(store: &dyn Store) {
    let m = machine("m", 1);
    store.put_state_machine(m.clone()).unwrap();
    assert!(store.get_versioning(&m.arn).unwrap().is_none(), "no versions before publishing");

    let first = versioning(&m.arn);
    let mut seen = Vec::new();
    let got = store
        .update_versioning(&m.arn, &mut |current| {
            seen.push(current.is_some());
            Ok(Some(first.clone()))
        })
        .unwrap();
    assert_eq!(seen.last(), Some(&false), "the first edit sees no record");
    assert_eq!(got.as_ref(), Some(&first));
    assert_eq!(
        store.get_versioning(&m.arn).unwrap().as_ref(),
        Some(&first),
        "every field round-trips"
    );

    // `None` keeps the record and answers it.
    let kept = store.update_versioning(&m.arn, &mut |_| Ok(None)).unwrap();
    assert_eq!(kept.as_ref(), Some(&first));

    // An error writes nothing.
    let err =
        store.update_versioning(&m.arn, &mut |_| Err(Error::Conflict("no".into()))).unwrap_err();
    assert_eq!(err, Error::Conflict("no".into()));
    assert_eq!(store.get_versioning(&m.arn).unwrap().as_ref(), Some(&first));

    // A replacement is read back, through any cache.
    let mut second = first.clone();
    second.versions.remove(0);
    second.aliases.clear();
    second.last_number = 3;
    second.versions.push(version(&m.arn, 3));
    store.update_versioning(&m.arn, &mut |_| Ok(Some(second.clone()))).unwrap();
    assert_eq!(store.get_versioning(&m.arn).unwrap().as_ref(), Some(&second));

    // Another machine's record is its own.
    let other = machine("other", 2);
    assert!(store.get_versioning(&other.arn).unwrap().is_none());

    // A record for the wrong machine is refused.
    let wrong = versioning(&other.arn);
    assert!(store.update_versioning(&m.arn, &mut |_| Ok(Some(wrong.clone()))).is_err());
    assert_eq!(store.get_versioning(&m.arn).unwrap().as_ref(), Some(&second));
}

/// Deleting a machine deletes its versions and aliases, not another machine's, and not
/// the executions started on them.
pub fn versioning_deleted_with_machine(store: &dyn Store) {
    let (a, b) = (machine("a", 1), machine("b", 2));
    for m in [&a, &b] {
        store.put_state_machine(m.clone()).unwrap();
        let record = versioning(&m.arn);
        store.update_versioning(&m.arn, &mut |_| Ok(Some(record.clone()))).unwrap();
    }
    let mut started = execution("a", "on-version", 5);
    started.state_machine_version_arn = Some(format!("{}:1", a.arn));
    started.state_machine_alias_arn = Some(format!("{}:prod", a.arn));
    store.commit(Batch { executions: vec![started.clone()], ..Batch::default() }).unwrap();

    store.delete_state_machine(&a.arn).unwrap();
    assert!(store.get_versioning(&a.arn).unwrap().is_none(), "versions go with the machine");
    assert!(store.get_versioning(&b.arn).unwrap().is_some(), "another machine's stay");
    let row = store.get_execution(&started.arn).unwrap().expect("executions stay");
    assert_eq!(row.state_machine_version_arn, started.state_machine_version_arn);
    assert_eq!(row.state_machine_alias_arn, started.state_machine_alias_arn);
    // A new machine of the same name starts without versions.
    store.put_state_machine(a.clone()).unwrap();
    assert!(store.get_versioning(&a.arn).unwrap().is_none());
}

/// Concurrent edits of one machine's versions each see the others' (no number handed out
/// twice).
pub fn concurrent_versioning_edits(store: Arc<dyn Store>) {
    let m = machine("m", 1);
    store.put_state_machine(m.clone()).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            let arn = m.arn.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    store
                        .update_versioning(&arn, &mut |current| {
                            let mut v = current.cloned().unwrap_or_else(|| Versioning::empty(&arn));
                            v.last_number += 1;
                            v.versions.push(version(&arn, v.last_number));
                            Ok(Some(v))
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("an editing thread panicked");
    }
    let v = store.get_versioning(&m.arn).unwrap().expect("published");
    assert_eq!(v.last_number, 40);
    let numbers: Vec<u64> = v.versions.iter().map(|v| v.number).collect();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>(), "every number once, in order");
}
