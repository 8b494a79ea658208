//! State machine aliases through `aws-sdk-sfn`: create (idempotent, or a conflict),
//! describe, update, delete, list and page, AWS's validation of names and routing
//! configurations, executions started on an alias, weighted routing repeatable under a
//! seed, and the rule that a version an alias routes to cannot be deleted.
mod common;

use aws_sdk_sfn::types::RoutingConfigurationListItem;
use common::*;
use serde_json::json;
use stepwise::serve::ServeOptions;

fn route(version_arn: &str, weight: i32) -> RoutingConfigurationListItem {
    RoutingConfigurationListItem::builder()
        .state_machine_version_arn(version_arn)
        .weight(weight)
        .build()
        .unwrap()
}

/// A machine with `versions` published versions (each its own revision); returns its ARN.
async fn machine_with_versions(t: &TestServer, versions: u32) -> String {
    let arn = t.create_state_machine(&unique("a"), BASE_PASS_RESULT).await;
    for n in 1..=versions {
        let definition = format!(
            r#"{{"Comment":"v{n}","StartAt":"S","States":{{"S":{{"Type":"Pass","Result":{n},"End":true}}}}}}"#
        );
        t.client
            .update_state_machine()
            .state_machine_arn(&arn)
            .definition(definition)
            .publish(true)
            .send()
            .await
            .unwrap();
    }
    arn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_create_describe_update_list_delete() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 2).await;
    let (v1, v2) = (format!("{arn}:1"), format!("{arn}:2"));
    let empty = t.client.list_state_machine_aliases().state_machine_arn(&arn).send().await.unwrap();
    assert!(empty.state_machine_aliases().is_empty());

    let created = t
        .client
        .create_state_machine_alias()
        .name("prod")
        .description("create state machine alias description")
        .routing_configuration(route(&v1, 100))
        .send()
        .await
        .unwrap();
    let alias = format!("{arn}:prod");
    assert_eq!(created.state_machine_alias_arn(), alias);

    let raw = t.raw_ok("DescribeStateMachineAlias", json!({ "stateMachineAliasArn": alias })).await;
    assert_eq!(
        keys(&raw),
        sorted(&[
            "creationDate",
            "description",
            "name",
            "routingConfiguration",
            "stateMachineAliasArn",
            "updateDate"
        ])
    );
    assert_eq!(raw["name"], json!("prod"));
    assert_eq!(
        raw["routingConfiguration"],
        json!([{ "stateMachineVersionArn": v1, "weight": 100 }])
    );

    t.client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .description("new description")
        .send()
        .await
        .unwrap();
    t.client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .routing_configuration(route(&v1, 50))
        .routing_configuration(route(&v2, 50))
        .send()
        .await
        .unwrap();
    let d = t
        .client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(d.description(), Some("new description"), "a routing update keeps the description");
    let routes: Vec<(&str, i32)> = d
        .routing_configuration()
        .iter()
        .map(|r| (r.state_machine_version_arn(), r.weight()))
        .collect();
    assert_eq!(routes, [(v1.as_str(), 50), (v2.as_str(), 50)]);

    // Neither field: nothing to update.
    let r = t.client.update_state_machine_alias().state_machine_alias_arn(&alias).send().await;
    assert_code(r, "ValidationException");

    t.client
        .create_state_machine_alias()
        .name("second")
        .routing_configuration(route(&v2, 100))
        .send()
        .await
        .unwrap();
    let listed =
        t.client.list_state_machine_aliases().state_machine_arn(&arn).send().await.unwrap();
    let arns: Vec<&str> =
        listed.state_machine_aliases().iter().map(|a| a.state_machine_alias_arn()).collect();
    assert_eq!(arns, [alias.clone(), format!("{arn}:second")], "oldest first");

    for _ in 0..2 {
        t.client.delete_state_machine_alias().state_machine_alias_arn(&alias).send().await.unwrap();
    }
    let r = t.client.describe_state_machine_alias().state_machine_alias_arn(&alias).send().await;
    assert_error(r, "ResourceNotFound", "Request references a resource that does not exist.");
    let r = t
        .client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .description("Updated state machine alias description")
        .send()
        .await;
    assert_error(r, "ResourceNotFound", "Request references a resource that does not exist.");
    let listed =
        t.client.list_state_machine_aliases().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(listed.state_machine_aliases().len(), 1);
    let r =
        t.client.describe_state_machine_alias().state_machine_alias_arn("invalid_arn").send().await;
    assert_code(r, "InvalidArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_only_for_the_same_alias() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 2).await;
    let (v1, v2) = (format!("{arn}:1"), format!("{arn}:2"));
    let create = |description: &str, routes: Vec<RoutingConfigurationListItem>| {
        t.client
            .create_state_machine_alias()
            .name("same")
            .description(description)
            .set_routing_configuration(Some(routes))
            .send()
    };
    let first = create("d", vec![route(&v1, 100)]).await.unwrap();
    let again = create("d", vec![route(&v1, 100)]).await.unwrap();
    assert_eq!(again.state_machine_alias_arn(), first.state_machine_alias_arn());
    assert_eq!(again.creation_date(), first.creation_date());
    let conflict = "Failed to create alias because an alias with the same name and a different routing configuration already exists.";
    assert_error(create("other", vec![route(&v1, 100)]).await, "ConflictException", conflict);
    assert_error(
        create("d", vec![route(&v1, 50), route(&v2, 50)]).await,
        "ConflictException",
        conflict,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_routing_configurations_are_validated_as_aws_does() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 3).await;
    let v: Vec<String> = (1..=3).map(|n| format!("{arn}:{n}")).collect();
    let create = |name: &str, routes: Vec<RoutingConfigurationListItem>| {
        t.client
            .create_state_machine_alias()
            .name(name)
            .set_routing_configuration(Some(routes))
            .send()
    };
    let pattern =
        r"Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$";
    for bad in ["123", "INVALID ALIAS", "!INVALID", "ALIAS@"] {
        assert_error(
            create(bad, vec![route(&v[0], 100)]).await,
            "ValidationException",
            &format!("1 validation error detected: Value '{bad}' at 'name' failed to satisfy constraint: {pattern}"),
        );
    }
    let long = "A".repeat(81);
    assert_error(
        create(&long, vec![route(&v[0], 100)]).await,
        "ValidationException",
        &format!("1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"),
    );
    let msg = assert_code(
        create("a", vec![route(&v[0], 50), route(&v[1], 30), route(&v[2], 20)]).await,
        "ValidationException",
    );
    assert!(msg.ends_with("at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2"), "{msg}");
    assert!(
        msg.contains(&format!(
            "RoutingConfigurationListItem(stateMachineVersionArn={}, weight=50)",
            v[0]
        )),
        "{msg}"
    );
    assert_error(
        create("a", vec![route(&v[0], 50), route(&v[0], 50)]).await,
        "ValidationException",
        &format!("Routing configuration must contain distinct state machine version ARNs. Received: [{0}, {0}]", v[0]),
    );
    assert_error(
        create("a", vec![route(&arn, 70), route(&v[1], 30)]).await,
        "ValidationException",
        &format!(
            "Routing configuration must contain state machine version ARNs. Received: [{arn}, {}]",
            v[1]
        ),
    );
    assert_error(
        create("a", vec![route(&v[0], 101)]).await,
        "ValidationException",
        "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    for (w, shown) in [(29, "[70, 29]"), (31, "[70, 31]")] {
        assert_error(
            create("a", vec![route(&v[0], 70), route(&v[1], w)]).await,
            "ValidationException",
            &format!("Sum of routing configuration weights must equal 100. Received: {shown}"),
        );
    }
    // Versions of two machines.
    let other = machine_with_versions(&t, 1).await;
    let msg = assert_code(
        create("a", vec![route(&v[0], 50), route(&format!("{other}:1"), 50)]).await,
        "ValidationException",
    );
    assert!(msg.contains("same state machine"), "{msg}");
    // A version that does not exist.
    assert_code(create("a", vec![route(&format!("{arn}:9"), 100)]).await, "ResourceNotFound");
    // Nothing was created by any of these.
    let listed =
        t.client.list_state_machine_aliases().state_machine_arn(&arn).send().await.unwrap();
    assert!(listed.state_machine_aliases().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_version_cannot_be_deleted() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 2).await;
    let (v1, v2) = (format!("{arn}:1"), format!("{arn}:2"));
    for name in ["one", "two"] {
        t.client
            .create_state_machine_alias()
            .name(name)
            .routing_configuration(route(&v1, 100))
            .send()
            .await
            .unwrap();
    }
    let r = t.client.delete_state_machine_version().state_machine_version_arn(&v1).send().await;
    assert_error(
        r,
        "ConflictException",
        "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [one, two]",
    );
    for name in ["one", "two"] {
        t.client
            .update_state_machine_alias()
            .state_machine_alias_arn(format!("{arn}:{name}"))
            .routing_configuration(route(&v2, 100))
            .send()
            .await
            .unwrap();
    }
    t.client.delete_state_machine_version().state_machine_version_arn(&v1).send().await.unwrap();
    // An alias cannot route to a version that is gone.
    let r = t
        .client
        .update_state_machine_alias()
        .state_machine_alias_arn(format!("{arn}:one"))
        .routing_configuration(route(&v1, 100))
        .send()
        .await;
    assert_code(r, "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_started_on_an_alias() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 1).await;
    let v1 = format!("{arn}:1");
    let alias = t
        .client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(route(&v1, 100))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    let through_alias = t.start_exec(&alias, None, Some("{}")).await;
    let through_version = t.start_exec(&v1, None, Some("{}")).await;
    let d = t.wait_for_status(&through_alias, "SUCCEEDED").await;
    assert_eq!(d.output(), Some("1"));
    assert_eq!(d.state_machine_arn(), arn);
    assert_eq!(d.state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(d.state_machine_alias_arn(), Some(alias.as_str()));
    t.wait_for_status(&through_version, "SUCCEEDED").await;

    let all = t.raw_ok("ListExecutions", json!({ "stateMachineArn": arn })).await;
    let items = all["executions"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["executionArn"], json!(through_version));
    assert!(items[0].get("stateMachineAliasArn").is_none());
    assert_eq!(items[1]["stateMachineAliasArn"], json!(alias));
    assert_eq!(items[1]["stateMachineVersionArn"], json!(v1));

    let of_alias = t.client.list_executions().state_machine_arn(&alias).send().await.unwrap();
    let listed: Vec<&str> = of_alias.executions().iter().map(|e| e.execution_arn()).collect();
    assert_eq!(listed, [through_alias.as_str()]);

    let r = t.client.start_execution().state_machine_arn(format!("{arn}:nope")).send().await;
    assert_code(r, "StateMachineDoesNotExist");
}

/// The versions a 50/50 alias picks for 40 starts on a server seeded with `seed`.
async fn choices(seed: u64) -> Vec<String> {
    let t =
        TestServer::start_with(ServeOptions { seed: Some(seed), ..ServeOptions::default() }).await;
    let arn = machine_with_versions(&t, 2).await;
    let alias = t
        .client
        .create_state_machine_alias()
        .name("split")
        .routing_configuration(route(&format!("{arn}:1"), 50))
        .routing_configuration(route(&format!("{arn}:2"), 50))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    let mut picked = Vec::new();
    for n in 0..40 {
        let exec = t.start_exec(&alias, Some(&format!("e{n}")), None).await;
        let d = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
        let version = d.state_machine_version_arn().unwrap();
        picked.push(version.rsplit(':').next().unwrap().to_owned());
    }
    picked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_routing_is_repeatable_under_a_seed() {
    let first = choices(7).await;
    assert_eq!(first, choices(7).await, "the same seed routes the same way");
    let ones = first.iter().filter(|v| *v == "1").count();
    assert!((8..=32).contains(&ones), "both versions get starts at 50/50: {first:?}");
    assert_ne!(first, choices(8).await, "another seed routes otherwise");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_of_zero_and_hundred_route_every_start() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 2).await;
    let alias = t
        .client
        .create_state_machine_alias()
        .name("all-to-two")
        .routing_configuration(route(&format!("{arn}:1"), 0))
        .routing_configuration(route(&format!("{arn}:2"), 100))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    for _ in 0..20 {
        let exec = t.start_exec(&alias, None, None).await;
        let d = t.client.describe_execution().execution_arn(&exec).send().await.unwrap();
        assert_eq!(d.state_machine_version_arn(), Some(format!("{arn}:2").as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_aliases_pages() {
    let t = TestServer::start().await;
    let arn = machine_with_versions(&t, 1).await;
    for n in 1..=3 {
        t.client
            .create_state_machine_alias()
            .name(format!("AliasName-{n}"))
            .routing_configuration(route(&format!("{arn}:1"), 100))
            .send()
            .await
            .unwrap();
    }
    let page1 = t
        .client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page1.state_machine_aliases()[0].state_machine_alias_arn(),
        format!("{arn}:AliasName-1")
    );
    let page2 = t
        .client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .next_token(page1.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page2.state_machine_aliases().len(), 2);
    assert!(page2.next_token().is_none());
    let r = t
        .client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .next_token("InvalidToken")
        .send()
        .await;
    assert_error(r, "InvalidToken", "Invalid Token: 'Invalid token'");
    let r = t
        .client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .max_results(1001)
        .send()
        .await;
    assert_code(r, "ValidationException");
    let missing = t.sm_arn(&unique("nope"));
    let r = t.client.list_state_machine_aliases().state_machine_arn(&missing).send().await;
    assert_code(r, "StateMachineDoesNotExist");
}
