//! Concurrent calls on one record lose nothing: TagResource/UntagResource from many clients
//! all land, and of concurrent CreateStateMachine calls with one name and different
//! definitions exactly one wins. Run on both stores: the read-modify-write is the store's.
mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::Tag;
use common::*;
use stepwise::serve::{DurabilityMode, ServeOptions, StoreKind};

const CLIENTS: usize = 8;
const ROUNDS: usize = 50;

/// A bound on a whole client's work (hundreds of calls), generous for a busy machine.
const CLIENT_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

async fn joined<T>(what: &str, task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(CLIENT_LIMIT, task)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {CLIENT_LIMIT:?}"))
        .unwrap_or_else(|e| panic!("{what} panicked: {e}"))
}

/// Each client tags `c{i}-{round}` then removes its previous key, so a resource never holds
/// more than 2 × [`CLIENTS`] tags (AWS's limit is 50). A lost update either drops a tag or
/// brings a removed one back for good, so the end state shows it: exactly `c{i}-{last}`.
async fn tag_and_untag(t: &Arc<TestServer>, arn: &str) {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (t, arn) = (Arc::clone(t), arn.to_owned());
            tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let tag = Tag::builder().key(format!("c{c}-{round}")).value("v").build();
                    t.client.tag_resource().resource_arn(&arn).tags(tag).send().await.unwrap();
                    if round > 0 {
                        t.client
                            .untag_resource()
                            .resource_arn(&arn)
                            .tag_keys(format!("c{c}-{}", round - 1))
                            .send()
                            .await
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        joined("a tagging client", task).await;
    }
    let out = t.client.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    let keys: BTreeSet<String> =
        out.tags().iter().map(|t| t.key().unwrap_or_default().to_owned()).collect();
    let expected: BTreeSet<String> = (0..CLIENTS).map(|c| format!("c{c}-{}", ROUNDS - 1)).collect();
    assert_eq!(keys, expected, "{arn}: every tag change landed, none came back");
}

/// [`CLIENTS`] concurrent CreateStateMachine calls with one name, each with its own
/// definition: one succeeds, the others get StateMachineAlreadyExists, and the machine
/// holds the winner's definition.
async fn create_race(t: &Arc<TestServer>) {
    let name = unique("race");
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (t, name) = (Arc::clone(t), name.clone());
            tokio::spawn(async move {
                let definition = format!(
                    r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","Result":{c},"End":true}}}}}}"#
                );
                let r = t
                    .client
                    .create_state_machine()
                    .name(&name)
                    .definition(&definition)
                    .role_arn(ROLE_ARN)
                    .send()
                    .await;
                (definition, r.map_err(|e| e.code().unwrap_or_default().to_owned()))
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (definition, result) = joined("a creating client", task).await;
        match result {
            Ok(_) => winners.push(definition),
            Err(code) => assert_eq!(code, "StateMachineAlreadyExists"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins: {winners:?}");
    let stored = t.client.describe_state_machine().state_machine_arn(t.sm_arn(&name)).send();
    assert_eq!(stored.await.unwrap().definition(), winners[0]);
}

/// Concurrent CreateActivity calls with one name all answer with the one activity.
async fn create_activity_race(t: &Arc<TestServer>) {
    let name = unique("race-activity");
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (t, name) = (Arc::clone(t), name.clone());
            tokio::spawn(async move {
                let out = t.client.create_activity().name(&name).send().await.unwrap();
                (out.activity_arn().to_owned(), out.creation_date().as_nanos())
            })
        })
        .collect();
    let mut answers = BTreeSet::new();
    for task in tasks {
        answers.insert(joined("a creating client", task).await);
    }
    assert_eq!(answers.len(), 1, "one activity, one creation date: {answers:?}");
}

async fn check(t: TestServer) {
    let t = Arc::new(t);
    let sm = t.create_state_machine(&unique("tagged"), BASE_PASS_RESULT).await;
    let activity = t.create_activity(&unique("tagged")).await;
    tag_and_untag(&t, &sm).await;
    tag_and_untag(&t, &activity).await;
    for _ in 0..5 {
        create_race(&t).await;
        create_activity_race(&t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_record_changes_all_land_in_memory() {
    check(TestServer::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_record_changes_all_land_in_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = ServeOptions {
        store: StoreKind::Sqlite,
        data_dir: dir.path().to_owned(),
        // Relaxed: the race is in the read-modify-write, not the fsync, and the test stays fast.
        durability: DurabilityMode::Relaxed,
        ..ServeOptions::default()
    };
    check(TestServer::start_with(options).await).await;
}
