//! State machine versions through `aws-sdk-sfn`: publishing (on create, on update and
//! `PublishStateMachineVersion`), `revisionId` conflicts, numbering, listing and paging,
//! deleting, executions of a version, and that versions survive a restart.
mod common;

use aws_sdk_sfn::types::RoutingConfigurationListItem;
use common::*;
use serde_json::json;
use stepwise::serve::{ServeOptions, StoreKind};

/// `BASE_PASS_RESULT` with another comment: a new revision.
fn revision(n: u32) -> String {
    BASE_PASS_RESULT.replace("\"BASE_PASS_RESULT\"", &format!("\"BASE_PASS_RESULT-R{n}\""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_publish_makes_version_one() {
    let t = TestServer::start().await;
    let name = unique("v");
    let out = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .publish(true)
        .version_description("HelloWorld!")
        .send()
        .await
        .unwrap();
    let arn = out.state_machine_arn().to_owned();
    assert_eq!(out.state_machine_version_arn(), Some(format!("{arn}:1").as_str()));

    // The version: the machine's fields under the version's ARN, with its description.
    let raw =
        t.raw_ok("DescribeStateMachine", json!({ "stateMachineArn": format!("{arn}:1") })).await;
    assert_eq!(raw["stateMachineArn"], json!(format!("{arn}:1")));
    assert_eq!(raw["name"], json!(name));
    assert_eq!(raw["description"], json!("HelloWorld!"));
    assert_eq!(raw["definition"], json!(BASE_PASS_RESULT));
    assert!(raw.get("revisionId").is_none(), "a machine never updated has no revision");
    assert_eq!(
        keys(&raw),
        sorted(&[
            "creationDate",
            "definition",
            "description",
            "loggingConfiguration",
            "name",
            "roleArn",
            "stateMachineArn",
            "status",
            "tracingConfiguration",
            "type"
        ])
    );
    // The machine itself shows no description.
    let raw = t.raw_ok("DescribeStateMachine", json!({ "stateMachineArn": arn })).await;
    assert!(raw.get("description").is_none());

    // Express machines publish too.
    let express = t
        .client
        .create_state_machine()
        .name(unique("vx"))
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .publish(true)
        .send()
        .await
        .unwrap();
    assert!(express.state_machine_version_arn().unwrap().ends_with(":1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_description_needs_publish() {
    let t = TestServer::start().await;
    let r = t
        .client
        .create_state_machine()
        .name(unique("v"))
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .version_description("HelloWorld!")
        .send()
        .await;
    assert_error(
        r,
        "ValidationException",
        "Version description can only be set when publish is true",
    );
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    let r = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(1))
        .version_description("x")
        .send()
        .await;
    assert_error(
        r,
        "ValidationException",
        "Version description can only be set when publish is true",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_with_publish_numbers_versions_and_lists_newest_first() {
    let t = TestServer::start().await;
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    let mut revisions = Vec::new();
    for n in 1..=2 {
        let out = t
            .client
            .update_state_machine()
            .state_machine_arn(&arn)
            .definition(revision(n))
            .publish(true)
            .send()
            .await
            .unwrap();
        assert_eq!(out.state_machine_version_arn(), Some(format!("{arn}:{n}").as_str()));
        revisions.push(out.revision_id().expect("a changed definition is a revision").to_owned());
    }
    let listed =
        t.client.list_state_machine_versions().state_machine_arn(&arn).send().await.unwrap();
    let arns: Vec<&str> =
        listed.state_machine_versions().iter().map(|v| v.state_machine_version_arn()).collect();
    assert_eq!(arns, [format!("{arn}:2"), format!("{arn}:1")]);

    // A version carries the revision it was published from.
    let v1 = t
        .client
        .describe_state_machine()
        .state_machine_arn(format!("{arn}:1"))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.revision_id(), Some(revisions[0].as_str()));
    assert_eq!(v1.definition(), revision(1));

    // A version is immutable: updating it is updating a machine that does not exist.
    let v2 = format!("{arn}:2");
    for publish in [false, true] {
        let r = t
            .client
            .update_state_machine()
            .state_machine_arn(&v2)
            .definition(revision(3))
            .publish(publish)
            .send()
            .await;
        assert_error(
            r,
            "StateMachineDoesNotExist",
            &format!("State Machine Does Not Exist: '{v2}'"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_an_unchanged_revision_answers_the_existing_version() {
    let t = TestServer::start().await;
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    let p1 = t.client.publish_state_machine_version().state_machine_arn(&arn).send().await.unwrap();
    let p2 = t.client.publish_state_machine_version().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(p1.state_machine_version_arn(), format!("{arn}:1"));
    assert_eq!(p2.state_machine_version_arn(), p1.state_machine_version_arn());
    assert_eq!(p2.creation_date(), p1.creation_date());
    // An update that changes nothing keeps the (absent) revision: publishing finds version 1.
    for _ in 0..2 {
        let raw = t
            .raw_ok(
                "UpdateStateMachine",
                json!({ "stateMachineArn": arn, "definition": BASE_PASS_RESULT, "publish": true }),
            )
            .await;
        assert_eq!(raw["stateMachineVersionArn"], json!(format!("{arn}:1")));
        assert_eq!(keys(&raw), sorted(&["stateMachineVersionArn", "updateDate"]));
    }
    let listed =
        t.client.list_state_machine_versions().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(listed.state_machine_versions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revision_id_must_be_the_current_one() {
    let t = TestServer::start().await;
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    let r2 = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(2))
        .send()
        .await
        .unwrap()
        .revision_id()
        .unwrap()
        .to_owned();
    let published = t
        .client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .revision_id(&r2)
        .description("PublishedV2Description")
        .send()
        .await
        .unwrap();
    assert_eq!(published.state_machine_version_arn(), format!("{arn}:1"));
    let r3 = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(3))
        .send()
        .await
        .unwrap()
        .revision_id()
        .unwrap()
        .to_owned();
    let r = t
        .client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .revision_id(&r2)
        .send()
        .await;
    assert_error(
        r,
        "ConflictException",
        &format!("Failed to publish the State Machine version for revision {r2}. The current State Machine revision is {r3}."),
    );
    let raw = t
        .raw("PublishStateMachineVersion", json!({ "stateMachineArn": arn, "revisionId": r2 }))
        .await;
    assert_eq!(raw.0, 409, "ConflictException is HTTP 409: {raw:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_errors() {
    let t = TestServer::start().await;
    let missing = t.sm_arn(&unique("nope"));
    let r = t.client.publish_state_machine_version().state_machine_arn(&missing).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{missing}'"),
    );
    let r = t.client.publish_state_machine_version().state_machine_arn("invalid_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_arn'");
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    let r = t
        .client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .description("x".repeat(257))
        .send()
        .await;
    assert_code(r, "ValidationException");
    let r = t.client.describe_state_machine().state_machine_arn(format!("{arn}:7")).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{arn}:7'"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_numbers_are_not_reused_and_deleting_is_idempotent() {
    let t = TestServer::start().await;
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    t.client.publish_state_machine_version().state_machine_arn(&arn).send().await.unwrap();
    t.client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(2))
        .publish(true)
        .send()
        .await
        .unwrap();
    let v2 = format!("{arn}:2");
    for _ in 0..2 {
        t.client
            .delete_state_machine_version()
            .state_machine_version_arn(&v2)
            .send()
            .await
            .unwrap();
    }
    let r = t.client.describe_state_machine().state_machine_arn(&v2).send().await;
    assert_code(r, "StateMachineDoesNotExist");
    let again =
        t.client.publish_state_machine_version().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(again.state_machine_version_arn(), format!("{arn}:3"), "2 is not handed out again");
    let r = t.client.delete_state_machine_version().state_machine_version_arn(&arn).send().await;
    assert_code(r, "InvalidArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_versions_pages() {
    let t = TestServer::start().await;
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    for n in 1..=13 {
        t.client
            .update_state_machine()
            .state_machine_arn(&arn)
            .definition(revision(n))
            .publish(true)
            .send()
            .await
            .unwrap();
    }
    let page1 = t
        .client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(page1.state_machine_versions().len(), 10);
    assert_eq!(page1.state_machine_versions()[0].state_machine_version_arn(), format!("{arn}:13"));
    let page2 = t
        .client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .max_results(3)
        .next_token(page1.next_token().expect("more follow"))
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> =
        page2.state_machine_versions().iter().map(|v| v.state_machine_version_arn()).collect();
    assert_eq!(arns, [format!("{arn}:3"), format!("{arn}:2"), format!("{arn}:1")]);
    assert!(page2.next_token().is_none());
    let r = t
        .client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .max_results(1001)
        .send()
        .await;
    assert_error(
        r,
        "ValidationException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    let r = t
        .client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .next_token("bogus")
        .send()
        .await;
    assert_code(r, "InvalidToken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_of_a_version() {
    let t = TestServer::start().await;
    let name = unique("v");
    let arn = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .publish(true)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_owned();
    let v1 = format!("{arn}:1");
    // The machine moves on; version 1 still runs what it was published with.
    let r2 = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(r#"{"StartAt":"S","States":{"S":{"Type":"Pass","Result":"new","End":true}}}"#)
        .send()
        .await
        .unwrap();
    assert!(r2.revision_id().is_some());
    let plain = t.start_exec(&arn, None, None).await;
    let on_version = t.start_exec(&v1, None, None).await;
    assert!(on_version.starts_with(&t.execution_arn(&name, "")), "{on_version}");
    let d = t.wait_for_status(&on_version, "SUCCEEDED").await;
    assert_eq!(d.output(), Some(r#"{"Arg1":"argument1"}"#));
    assert_eq!(d.state_machine_arn(), arn);
    assert_eq!(d.state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(d.state_machine_alias_arn(), None);
    let d = t.wait_for_status(&plain, "SUCCEEDED").await;
    assert_eq!(d.output(), Some(r#""new""#));
    assert_eq!(d.state_machine_version_arn(), None);

    // DescribeStateMachineForExecution: the version's definition under the machine's ARN,
    // without a revision (version 1 was the machine as created).
    let raw =
        t.raw_ok("DescribeStateMachineForExecution", json!({ "executionArn": on_version })).await;
    assert_eq!(raw["stateMachineArn"], json!(arn));
    assert_eq!(raw["definition"], json!(BASE_PASS_RESULT));
    assert!(raw.get("revisionId").is_none(), "{raw}");

    // ListExecutions: the machine's lists both; the version's only its own.
    let all = t.client.list_executions().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(all.executions().len(), 2);
    let of_version = t.client.list_executions().state_machine_arn(&v1).send().await.unwrap();
    let listed: Vec<&str> = of_version.executions().iter().map(|e| e.execution_arn()).collect();
    assert_eq!(listed, [on_version.as_str()]);
    assert_eq!(of_version.executions()[0].state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(of_version.executions()[0].state_machine_arn(), arn);

    // A version that does not exist cannot start.
    let r = t.client.start_execution().state_machine_arn(format!("{arn}:9")).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{arn}:9'"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_for_execution_of_a_published_revision() {
    let t = TestServer::start().await;
    let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
    let out = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(2))
        .publish(true)
        .send()
        .await
        .unwrap();
    let rev = out.revision_id().unwrap().to_owned();
    // A later revision of the machine does not change what the version's execution reports.
    t.client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(3))
        .send()
        .await
        .unwrap();
    let exec = t.start_exec(&format!("{arn}:1"), None, None).await;
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let d =
        t.client.describe_state_machine_for_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(d.revision_id(), Some(rev.as_str()));
    assert_eq!(d.definition(), revision(2));
    assert_eq!(d.state_machine_arn(), arn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_machine_deletes_its_versions_and_aliases() {
    let t = TestServer::start().await;
    let name = unique("v");
    let arn = t.create_state_machine(&name, BASE_PASS_RESULT).await;
    let v1 = t
        .client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn()
        .to_owned();
    let alias = t
        .client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(
            RoutingConfigurationListItem::builder()
                .state_machine_version_arn(&v1)
                .weight(100)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    t.client.delete_state_machine().state_machine_arn(&arn).send().await.unwrap();
    let r = t.client.describe_state_machine().state_machine_arn(&v1).send().await;
    assert_code(r, "StateMachineDoesNotExist");
    let r = t.client.describe_state_machine_alias().state_machine_alias_arn(&alias).send().await;
    assert_code(r, "ResourceNotFound");
    // A machine created again under the name starts over.
    t.create_state_machine(&name, BASE_PASS_RESULT).await;
    let listed =
        t.client.list_state_machine_versions().state_machine_arn(&arn).send().await.unwrap();
    assert!(listed.state_machine_versions().is_empty());
    let again =
        t.client.publish_state_machine_version().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(again.state_machine_version_arn(), v1);
}

/// Versions, aliases and the executions started on them are in the store: a server
/// started again on the same data directory answers as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_aliases_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = || ServeOptions {
        store: StoreKind::Sqlite,
        data_dir: dir.path().to_owned(),
        ..ServeOptions::default()
    };
    let (arn, exec, alias_arn) = {
        let t = TestServer::start_with(options()).await;
        let arn = t.create_state_machine(&unique("v"), BASE_PASS_RESULT).await;
        t.client
            .update_state_machine()
            .state_machine_arn(&arn)
            .definition(revision(2))
            .publish(true)
            .version_description("second")
            .send()
            .await
            .unwrap();
        let alias_arn = t
            .client
            .create_state_machine_alias()
            .name("prod")
            .description("production")
            .routing_configuration(
                RoutingConfigurationListItem::builder()
                    .state_machine_version_arn(format!("{arn}:1"))
                    .weight(100)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .state_machine_alias_arn()
            .to_owned();
        let exec = t.start_exec(&alias_arn, None, None).await;
        t.wait_for_status(&exec, "SUCCEEDED").await;
        // The first server goes idle; the second reads the same file, from disk (its own
        // caches are empty), as a restarted process would.
        drop(t);
        (arn, exec, alias_arn)
    };
    let t = TestServer::start_with(options()).await;
    let v1 = t
        .client
        .describe_state_machine()
        .state_machine_arn(format!("{arn}:1"))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.description(), Some("second"));
    assert_eq!(v1.definition(), revision(2));
    let alias = t
        .client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(alias.description(), Some("production"));
    assert_eq!(alias.routing_configuration().len(), 1);
    let d = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
    assert_eq!(d.state_machine_version_arn(), Some(format!("{arn}:1").as_str()));
    assert_eq!(d.state_machine_alias_arn(), Some(alias_arn.as_str()));
    let listed = t.client.list_executions().state_machine_arn(&alias_arn).send().await.unwrap();
    assert_eq!(listed.executions().len(), 1);
    // Numbering goes on from where it was.
    t.client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(revision(3))
        .send()
        .await
        .unwrap();
    let next =
        t.client.publish_state_machine_version().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(next.state_machine_version_arn(), format!("{arn}:2"));
}
