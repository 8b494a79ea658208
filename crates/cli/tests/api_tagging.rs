//! TagResource, UntagResource and ListTagsForResource through the AWS SDK.
mod common;

use aws_sdk_sfn::types::Tag;
use common::*;
use serde_json::json;

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

async fn tags_of(t: &TestServer, arn: &str) -> Vec<(String, String)> {
    let out = t.client.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    out.tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_list_untag_state_machine() {
    let t = TestServer::start().await;
    let sm = t.create_state_machine(&unique("sm"), BASE_PASS_RESULT).await;
    let raw = t.raw_ok("ListTagsForResource", json!({ "resourceArn": sm })).await;
    assert_eq!(raw, json!({ "tags": [] }));

    // tags=[] is fine.
    let raw = t.raw_ok("TagResource", json!({ "resourceArn": sm, "tags": [] })).await;
    assert_eq!(raw, json!({}));
    assert_eq!(tags_of(&t, &sm).await, pairs(&[]));

    // An empty value is allowed; insertion order is kept.
    t.client
        .tag_resource()
        .resource_arn(&sm)
        .tags(tag("key1", ""))
        .tags(tag("key2", "value2"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&t, &sm).await, pairs(&[("key1", ""), ("key2", "value2")]));
    let raw = t.raw_ok("ListTagsForResource", json!({ "resourceArn": sm })).await;
    assert_eq!(
        raw,
        json!({ "tags": [{ "key": "key1", "value": "" }, { "key": "key2", "value": "value2" }] })
    );

    // Re-tagging a key overwrites its value in place.
    t.client
        .tag_resource()
        .resource_arn(&sm)
        .tags(tag("key1", "v1"))
        .tags(tag("key3", "v3"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&t, &sm).await,
        pairs(&[("key1", "v1"), ("key2", "value2"), ("key3", "v3")])
    );

    // UntagResource: [] changes nothing; repeated and absent keys are fine.
    let raw = t.raw_ok("UntagResource", json!({ "resourceArn": sm, "tagKeys": [] })).await;
    assert_eq!(raw, json!({}));
    assert_eq!(tags_of(&t, &sm).await.len(), 3);
    t.client
        .untag_resource()
        .resource_arn(&sm)
        .tag_keys("key1")
        .tag_keys("key1")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&t, &sm).await, pairs(&[("key2", "value2"), ("key3", "v3")]));
    t.client
        .untag_resource()
        .resource_arn(&sm)
        .tag_keys("key2")
        .tag_keys("absent")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&t, &sm).await, pairs(&[("key3", "v3")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_in_one_call_collapse() {
    let t = TestServer::start().await;
    let sm = t.create_state_machine(&unique("sm"), BASE_PASS_RESULT).await;
    t.client
        .tag_resource()
        .resource_arn(&sm)
        .tags(tag("key1", "value1"))
        .tags(tag("key1", "value1"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&t, &sm).await, pairs(&[("key1", "value1")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_given_at_creation() {
    let t = TestServer::start().await;
    let out = t
        .client
        .create_state_machine()
        .name(unique("sm"))
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .tags(tag("team", "core"))
        .tags(tag("env", "test"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&t, out.state_machine_arn()).await,
        pairs(&[("team", "core"), ("env", "test")])
    );

    let activity = t
        .client
        .create_activity()
        .name(unique("activity"))
        .tags(tag("kind", "worker"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&t, activity.activity_arn()).await, pairs(&[("kind", "worker")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_activity() {
    let t = TestServer::start().await;
    let activity = t.create_activity(&unique("activity")).await;
    t.client
        .tag_resource()
        .resource_arn(&activity)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&t, &activity).await, pairs(&[("a", "1"), ("b", "2")]));
    t.client.untag_resource().resource_arn(&activity).tag_keys("a").send().await.unwrap();
    assert_eq!(tags_of(&t, &activity).await, pairs(&[("b", "2")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagging_unknown_and_malformed_resources() {
    let t = TestServer::start().await;
    for missing in [t.sm_arn("nope"), t.activity_arn("nope")] {
        let message = format!("Resource not found: '{missing}'");
        let r = t.client.tag_resource().resource_arn(&missing).tags(tag("k", "v")).send().await;
        assert_error(r, "ResourceNotFound", &message);
        let r = t.client.untag_resource().resource_arn(&missing).tag_keys("k").send().await;
        assert_error(r, "ResourceNotFound", &message);
        let r = t.client.list_tags_for_resource().resource_arn(&missing).send().await;
        assert_error(r, "ResourceNotFound", &message);
    }
    let r = t.client.list_tags_for_resource().resource_arn("not_an_arn").send().await;
    assert_code(r, "InvalidArn");
    let r = t.client.tag_resource().resource_arn("not_an_arn").tags(tag("k", "v")).send().await;
    assert_code(r, "InvalidArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagging_a_version_arn_is_resource_not_found() {
    let t = TestServer::start().await;
    let created = t
        .client
        .create_state_machine()
        .name(unique("sm"))
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .publish(true)
        .send()
        .await
        .unwrap();
    // AWS: versions cannot be tagged (test_tag_state_machine_version).
    let version = created.state_machine_version_arn().expect("published").to_owned();
    assert_eq!(version, format!("{}:1", created.state_machine_arn()));
    let r = t.client.tag_resource().resource_arn(&version).tags(tag("k", "v")).send().await;
    assert_error(r, "ResourceNotFound", &format!("Resource not found: '{version}'"));
}
