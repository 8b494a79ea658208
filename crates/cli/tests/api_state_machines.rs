//! State machine operations through the AWS SDK: Create, Describe, Update,
//! Delete, List (paging), ValidateStateMachineDefinition, with AWS's errors.
mod common;

use aws_sdk_sfn::types::{
    LogLevel, LoggingConfiguration, ValidateStateMachineDefinitionResultCode,
};
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_describe_state_machine() {
    let t = TestServer::start().await;
    let name = unique("sm");
    let created = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(created.state_machine_arn(), t.sm_arn(&name));
    assert_eq!(created.state_machine_version_arn(), None, "no version without publish=true");

    let d = t
        .client
        .describe_state_machine()
        .state_machine_arn(created.state_machine_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(d.state_machine_arn(), t.sm_arn(&name));
    assert_eq!(d.name(), name);
    assert_eq!(d.definition(), BASE_PASS_RESULT, "the definition string comes back verbatim");
    assert_eq!(d.role_arn(), ROLE_ARN);
    assert_eq!(d.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(d.r#type().as_str(), "STANDARD");
    assert_eq!(d.creation_date(), created.creation_date());
    assert_eq!(d.revision_id(), None, "no revisionId before the first update");
    let logging = d.logging_configuration().expect("loggingConfiguration");
    assert_eq!(logging.level(), Some(&LogLevel::Off));
    assert!(!logging.include_execution_data());
    assert_eq!(d.tracing_configuration().map(|c| c.enabled()), Some(false));

    // The exact wire shape (extra or missing members are diffs in the oracle).
    let raw = t.raw_ok("DescribeStateMachine", json!({ "stateMachineArn": t.sm_arn(&name) })).await;
    assert_eq!(
        keys(&raw),
        sorted(&[
            "creationDate",
            "definition",
            "loggingConfiguration",
            "name",
            "roleArn",
            "stateMachineArn",
            "status",
            "tracingConfiguration",
            "type"
        ])
    );
    assert_eq!(
        raw["loggingConfiguration"],
        json!({ "level": "OFF", "includeExecutionData": false })
    );
    assert_eq!(raw["tracingConfiguration"], json!({ "enabled": false }));
    assert!(raw["creationDate"].is_number(), "dates are epoch seconds: {raw}");

    let raw_create = t
        .raw_ok(
            "CreateStateMachine",
            json!({ "name": unique("sm"), "definition": BASE_PASS_RESULT, "roleArn": ROLE_ARN }),
        )
        .await;
    assert_eq!(keys(&raw_create), sorted(&["creationDate", "stateMachineArn"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_for_the_same_definition_string() {
    let t = TestServer::start().await;
    let name = unique("sm");
    let first = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap();
    let again = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(first.state_machine_arn(), again.state_machine_arn());
    assert_eq!(first.creation_date(), again.creation_date());

    // The same JSON, re-indented, is a different definition.
    let reindented = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(BASE_PASS_RESULT).unwrap(),
    )
    .unwrap();
    let r = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(reindented)
        .role_arn(ROLE_ARN)
        .send()
        .await;
    assert_error(
        r,
        "StateMachineAlreadyExists",
        &format!("State Machine Already Exists: '{}'", t.sm_arn(&name)),
    );

    let other = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;
    let r = t
        .client
        .create_state_machine()
        .name(&name)
        .definition(other)
        .role_arn(ROLE_ARN)
        .send()
        .await;
    assert_error(
        r,
        "StateMachineAlreadyExists",
        &format!("State Machine Already Exists: '{}'", t.sm_arn(&name)),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_invalid_names() {
    let t = TestServer::start().await;
    let too_long = "a".repeat(81);
    for bad in [
        "bad name",
        "bad*name",
        "bad:name",
        "bad/name",
        "bad{name}",
        "bad\u{0}name",
        "bad\u{7f}name",
        "",
        too_long.as_str(),
    ] {
        let r = t
            .client
            .create_state_machine()
            .name(bad)
            .definition(BASE_PASS_RESULT)
            .role_arn(ROLE_ARN)
            .send()
            .await;
        assert_error(r, "InvalidName", &format!("Invalid Name: '{bad}'"));
    }
    // Dots, dashes and underscores are fine, and such names work in ARNs.
    let dotted = unique("state.machine_v2");
    let arn = t.create_state_machine(&dotted, BASE_PASS_RESULT).await;
    assert_eq!(arn, t.sm_arn(&dotted));
    let d = t.client.describe_state_machine().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(d.name(), dotted);
    let exec = t.start_exec(&arn, None, None).await;
    t.wait_for_status(&exec, "SUCCEEDED").await;
    let eighty = "b".repeat(80);
    assert_eq!(t.create_state_machine(&eighty, BASE_PASS_RESULT).await, t.sm_arn(&eighty));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_invalid_definitions() {
    let t = TestServer::start().await;
    let no_states = r#"{"StartAt":"State_1"}"#;
    let r = t
        .client
        .create_state_machine()
        .name(unique("sm"))
        .definition(no_states)
        .role_arn(ROLE_ARN)
        .send()
        .await;
    let message = assert_code(r, "InvalidDefinition");
    assert!(message.starts_with("Invalid State Machine Definition: '"), "{message}");
    // AWS: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /' (text excused by the oracle).
    assert!(message.contains("SCHEMA_VALIDATION_FAILED"), "{message}");

    for bad in [
        "not json",
        "{}",
        r#"{"StartAt":"Missing","States":{"A":{"Type":"Pass","End":true}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Nope","End":true}}}"#,
    ] {
        let r = t
            .client
            .create_state_machine()
            .name(unique("sm"))
            .definition(bad)
            .role_arn(ROLE_ARN)
            .send()
            .await;
        assert_code(r, "InvalidDefinition");
    }
}

/// AWS refuses at creation an optimized integration it does not offer (an action or a
/// pattern), with the message AWS records; validation reports the same diagnostic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_integrations_aws_does_not_offer() {
    let t = TestServer::start().await;
    let task = |resource: &str| {
        json!({"StartAt": "Query", "States": {"Query": {"Type": "Task", "Resource": resource, "End": true}}})
            .to_string()
    };
    let r = t
        .client
        .create_state_machine()
        .name(unique("sm"))
        .definition(task("arn:aws:states:::dynamodb:query"))
        .role_arn(ROLE_ARN)
        .send()
        .await;
    assert_eq!(
        assert_code(r, "InvalidDefinition"),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:query is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/Query/Resource'"
    );
    for resource in [
        "arn:aws:states:::lambda:invoke.sync",
        "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
    ] {
        let out = t
            .client
            .validate_state_machine_definition()
            .definition(task(resource))
            .send()
            .await
            .unwrap();
        assert_eq!(out.result(), &ValidateStateMachineDefinitionResultCode::Fail, "{resource}");
        assert_eq!(out.diagnostics()[0].location(), Some("/States/Query/Resource"));
        assert!(out.diagnostics()[0].message().contains("is not recognized"), "{resource}");
    }
    // What AWS offers, and services Stepwise does not call, are accepted.
    for resource in ["arn:aws:states:::dynamodb:putItem", "arn:aws:states:::ecs:runTask.sync"] {
        t.client
            .create_state_machine()
            .name(unique("sm"))
            .definition(task(resource))
            .role_arn(ROLE_ARN)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{resource}: {e:?}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_unknown_and_malformed_arns() {
    let t = TestServer::start().await;
    let missing = t.sm_arn("does-not-exist");
    let r = t.client.describe_state_machine().state_machine_arn(&missing).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{missing}'"),
    );
    let r = t.client.describe_state_machine().state_machine_arn("not_a_valid_arn").send().await;
    assert_error(r, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'");
    // The str(exc) form the oracle compares.
    let r = t.client.describe_state_machine().state_machine_arn(&missing).send().await;
    let e = r.unwrap_err().into_service_error();
    assert!(e.is_state_machine_does_not_exist(), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_state_machine_revisions() {
    let t = TestServer::start().await;
    let name = unique("sm");
    let arn = t.create_state_machine(&name, BASE_PASS_RESULT).await;
    let other_role = "arn:aws:iam::123456789012:role/other-role";

    // Role change → a new revision (a UUID).
    let u1 = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .role_arn(other_role)
        .send()
        .await
        .unwrap();
    let rev1 = u1.revision_id().expect("revisionId").to_owned();
    assert!(is_uuid(&rev1), "revisionId is a UUID: {rev1}");
    assert_eq!(u1.state_machine_version_arn(), None);
    let d = t.client.describe_state_machine().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(d.revision_id(), Some(rev1.as_str()));
    assert_eq!(d.role_arn(), other_role);

    // Same definition and role → the same revision, still with an updateDate.
    let u2 = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(BASE_PASS_RESULT)
        .role_arn(other_role)
        .send()
        .await
        .unwrap();
    assert_eq!(u2.revision_id(), Some(rev1.as_str()));

    // Definition change → another revision; Describe shows it.
    let new_def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"new","End":true}}}"#;
    let u3 = t
        .client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(new_def)
        .send()
        .await
        .unwrap();
    let rev3 = u3.revision_id().expect("revisionId").to_owned();
    assert!(is_uuid(&rev3) && rev3 != rev1, "{rev3} vs {rev1}");
    let raw = t.raw_ok("DescribeStateMachine", json!({ "stateMachineArn": arn })).await;
    assert_eq!(raw["definition"], json!(new_def));
    assert_eq!(raw["revisionId"], json!(rev3));
    assert!(keys(&raw).contains(&"revisionId".to_owned()));

    // Executions use the new definition.
    let exec = t.start_exec(&arn, None, None).await;
    let done = t.wait_for_status(&exec, "SUCCEEDED").await;
    assert_eq!(done.output(), Some("\"new\""));

    // Logging configuration alone is a valid update.
    let logging =
        LoggingConfiguration::builder().level(LogLevel::Off).include_execution_data(false).build();
    t.client
        .update_state_machine()
        .state_machine_arn(&arn)
        .logging_configuration(logging)
        .send()
        .await
        .unwrap();

    // Nothing to update.
    let r = t.client.update_state_machine().state_machine_arn(&arn).send().await;
    assert_error(
        r,
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
    );

    // Invalid definition; unknown machine.
    let r = t.client.update_state_machine().state_machine_arn(&arn).definition("{}").send().await;
    assert_code(r, "InvalidDefinition");
    let missing = t.sm_arn("nope");
    let r = t
        .client
        .update_state_machine()
        .state_machine_arn(&missing)
        .definition(BASE_PASS_RESULT)
        .send()
        .await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{missing}'"),
    );
    let raw_update = t
        .raw_ok(
            "UpdateStateMachine",
            json!({ "stateMachineArn": arn, "definition": BASE_PASS_RESULT }),
        )
        .await;
    assert_eq!(keys(&raw_update), sorted(&["revisionId", "updateDate"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_state_machine() {
    let t = TestServer::start().await;
    let name = unique("sm");
    let arn = t.create_state_machine(&name, BASE_PASS_RESULT).await;
    let raw = t.raw_ok("DeleteStateMachine", json!({ "stateMachineArn": arn })).await;
    assert_eq!(raw, json!({}));
    let r = t.client.describe_state_machine().state_machine_arn(&arn).send().await;
    assert_error(r, "StateMachineDoesNotExist", &format!("State Machine Does Not Exist: '{arn}'"));
    let listed = t.client.list_state_machines().send().await.unwrap();
    assert!(
        listed.state_machines().iter().all(|m| m.state_machine_arn() != arn),
        "deleted machines are not listed"
    );
    // Deleting again, or something that never existed: 200 {}.
    t.client.delete_state_machine().state_machine_arn(&arn).send().await.unwrap();
    t.client.delete_state_machine().state_machine_arn(t.sm_arn("never-was")).send().await.unwrap();
    let r = t.client.delete_state_machine().state_machine_arn("not_a_valid_arn").send().await;
    assert_code(r, "InvalidArn");
    // The name is free again, even for another definition.
    let other = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;
    assert_eq!(t.create_state_machine(&name, other).await, arn);
    let r = t.client.start_execution().state_machine_arn(t.sm_arn("never-was")).send().await;
    assert_error(
        r,
        "StateMachineDoesNotExist",
        &format!("State Machine Does Not Exist: '{}'", t.sm_arn("never-was")),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_state_machines_pages_in_name_order() {
    let t = TestServer::start().await;
    let uid = std::process::id();
    // Created out of name order: the list is sorted by name (bytewise), not by creation.
    let mut names: Vec<String> = (0..13).rev().map(|i| format!("statemachine_{i}_{uid}")).collect();
    for n in &names {
        t.create_state_machine(n, BASE_PASS_RESULT).await;
    }
    names.sort();

    let all = t.client.list_state_machines().send().await.unwrap();
    let listed: Vec<&str> = all.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!(listed, names, "ascending by name");
    assert_eq!(all.next_token(), None);
    let item = &all.state_machines()[0];
    assert_eq!(item.state_machine_arn(), t.sm_arn(&names[0]));
    assert_eq!(item.r#type().as_str(), "STANDARD");
    let raw = t.raw_ok("ListStateMachines", json!({ "maxResults": 1 })).await;
    assert_eq!(keys(&raw), sorted(&["nextToken", "stateMachines"]));
    assert_eq!(
        keys(&raw["stateMachines"][0]),
        sorted(&["creationDate", "name", "stateMachineArn", "type"])
    );

    // Pages of 5: 5, 5, 3 — never an empty page, nextToken only when more follow.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = t
            .client
            .list_state_machines()
            .max_results(5)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages.push(page.state_machines().len());
        seen.extend(page.state_machines().iter().map(|m| m.name().to_owned()));
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, [5, 5, 3]);
    assert_eq!(seen, names);

    // Exactly a page's worth: no trailing token.
    let page = t.client.list_state_machines().max_results(13).send().await.unwrap();
    assert_eq!((page.state_machines().len(), page.next_token()), (13, None));
    // maxResults 0 → the default (100).
    let page = t.client.list_state_machines().max_results(0).send().await.unwrap();
    assert_eq!((page.state_machines().len(), page.next_token()), (13, None));
    // Deleted machines disappear.
    t.client.delete_state_machine().state_machine_arn(t.sm_arn(&names[0])).send().await.unwrap();
    let page = t.client.list_state_machines().send().await.unwrap();
    assert_eq!(page.state_machines().len(), 12);
    assert_eq!(page.state_machines()[0].name(), names[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_state_machines_validation_errors() {
    let t = TestServer::start().await;
    let r = t.client.list_state_machines().max_results(1001).send().await;
    assert_error(
        r,
        "ValidationException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    let long = "t".repeat(1025);
    let r = t.client.list_state_machines().next_token(&long).send().await;
    assert_error(
        r,
        "ValidationException",
        &format!("1 validation error detected: Value '{long}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024"),
    );
    // A well-sized token the server never issued.
    let r = t.client.list_state_machines().next_token("not-a-token-we-issued").send().await;
    assert_error(r, "InvalidToken", "Invalid Token: 'Invalid token'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_state_machine_definition() {
    let t = TestServer::start().await;
    let ok = t
        .client
        .validate_state_machine_definition()
        .definition(BASE_PASS_RESULT)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.result(), &ValidateStateMachineDefinitionResultCode::Ok);
    assert!(ok.diagnostics().is_empty(), "{:?}", ok.diagnostics());
    assert_eq!(ok.truncated(), Some(false));

    for bad in [" ", "not a definition", "{}", r#"{"States":{"A":{"Type":"Pass","End":true}}}"#] {
        let out =
            t.client.validate_state_machine_definition().definition(bad).send().await.unwrap();
        assert_eq!(out.result(), &ValidateStateMachineDefinitionResultCode::Fail, "{bad:?}");
        assert!(!out.diagnostics().is_empty(), "a FAIL carries diagnostics ({bad:?})");
        let d = &out.diagnostics()[0];
        assert_eq!(d.severity().as_str(), "ERROR");
        assert!(!d.code().is_empty() && !d.message().is_empty(), "{d:?}");
        assert_eq!(out.truncated(), Some(false));
    }
    let raw = t.raw_ok("ValidateStateMachineDefinition", json!({ "definition": "{}" })).await;
    assert_eq!(raw["result"], json!("FAIL"));
    assert_eq!(keys(&raw), sorted(&["diagnostics", "result", "truncated"]));
    // AWS: {"code":"SCHEMA_VALIDATION_FAILED","location":"/","message":"These fields are required: [States, StartAt]","severity":"ERROR"}.
    assert_eq!(raw["diagnostics"][0]["code"], json!("SCHEMA_VALIDATION_FAILED"), "{raw}");
    assert_eq!(raw["diagnostics"][0]["severity"], json!("ERROR"));
}

/// `variableReferences`: the variables each state reads, in DescribeStateMachine and
/// DescribeStateMachineForExecution, left out when no state reads any (AWS's shape).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_reports_the_variables_each_state_reads() {
    let t = TestServer::start().await;
    let definition = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"answer": 42, "guess": 41}, "Next": "Check"},
        "Check": {"Type": "Choice", "Default": "Done", "Choices": [
            {"Variable": "$answer", "NumericEqualsPath": "$guess", "Next": "Done"}]},
        "Done": {"Type": "Pass", "Parameters": {"a.$": "States.Format('{}', $answer)"}, "End": true}
    }});
    let arn = t
        .client
        .create_state_machine()
        .name(unique("refs"))
        .definition(definition.to_string())
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap()
        .state_machine_arn
        .clone();
    let described = t.client.describe_state_machine().state_machine_arn(&arn).send().await.unwrap();
    let references = described.variable_references().expect("variableReferences");
    assert_eq!(references.len(), 2, "{references:?}");
    assert_eq!(references["Check"], ["answer", "guess"]);
    assert_eq!(references["Done"], ["answer"]);
    let execution =
        t.client.start_execution().state_machine_arn(&arn).send().await.unwrap().execution_arn;
    let for_execution = t
        .client
        .describe_state_machine_for_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(for_execution.variable_references(), Some(references));

    let plain = t
        .client
        .create_state_machine()
        .name(unique("norefs"))
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap()
        .state_machine_arn
        .clone();
    let raw = t.raw_ok("DescribeStateMachine", json!({ "stateMachineArn": plain })).await;
    assert!(raw.get("variableReferences").is_none(), "{raw}");
}
