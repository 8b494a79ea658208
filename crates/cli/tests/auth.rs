//! `--auth sigv4`: signed requests from aws-sdk-sfn pass, and every refusal answers with
//! AWS's error name (wrong secret, unknown key, no signature, an incomplete one, an expired
//! one, a presigned URL past its expiry); each key's account sees only its own resources.
mod common;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_sfn::config::{BehaviorVersion, Region};
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use common::*;
use http_body_util::Full;
use serde_json::json;
use stepwise::serve::auth::AuthMode;
use stepwise::serve::ServeOptions;

const KEY_A: (&str, &str, &str) = ("AKIDALICE", "alice-secret", "111111111111");
const KEY_B: (&str, &str, &str) = ("AKIDBOB", "bob-secret", "222222222222");

struct Fixture {
    t: TestServer,
    _dir: tempfile::TempDir,
}

async fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(
        &keys,
        format!(
            "# test keys\n{} {} {}\n{} {} {}\n",
            KEY_A.0, KEY_A.1, KEY_A.2, KEY_B.0, KEY_B.1, KEY_B.2
        ),
    )
    .unwrap();
    let mut options = ServeOptions::default();
    options.http.auth = AuthMode::Sigv4;
    options.http.access_keys = Some(keys);
    Fixture { t: TestServer::start_with(options).await, _dir: dir }
}

fn client(endpoint: &str, key: &str, secret: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::config::Builder::new()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(key, secret, None, None, "static"))
        .behavior_version(BehaviorVersion::latest())
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

/// A request signed by aws-sigv4 at `time` with `key`, in the header or as a presigned URL.
#[allow(clippy::too_many_arguments)]
fn signed(
    t: &TestServer,
    key: (&str, &str),
    time: SystemTime,
    location: SignatureLocation,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> hyper::Request<Full<Bytes>> {
    let uri = format!("{}{path_and_query}", t.endpoint);
    let host = t.endpoint.trim_start_matches("http://").to_owned();
    let mut all: Vec<(&str, &str)> = vec![("host", &host)];
    all.extend_from_slice(headers);
    let identity = Credentials::new(key.0, key.1, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    settings.expires_in = Some(Duration::from_secs(900));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("states")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        &uri,
        all.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method(method).uri(&uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn list_activities(
    t: &TestServer,
    key: (&str, &str),
    time: SystemTime,
) -> hyper::Request<Full<Bytes>> {
    signed(
        t,
        key,
        time,
        SignatureLocation::Headers,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AWSStepFunctions.ListActivities"),
        ],
        "{}",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_sdk_requests_pass_and_bad_ones_get_aws_errors() {
    let f = start().await;
    let alice = client(&f.t.endpoint, KEY_A.0, KEY_A.1);
    let arn =
        alice.create_activity().name("a").send().await.expect("a signed request").activity_arn;
    assert_eq!(arn, format!("arn:aws:states:us-east-1:{}:activity:a", KEY_A.2));

    let wrong_secret = client(&f.t.endpoint, KEY_A.0, "not-the-secret");
    assert_error(
        wrong_secret.list_activities().send().await,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
    let unknown = client(&f.t.endpoint, "AKIDNOBODY", "whatever");
    assert_error(
        unknown.list_activities().send().await,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    // The default harness's client signs with a key the file does not have.
    assert_code(f.t.client.list_activities().send().await, "UnrecognizedClientException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_requests_missing_incomplete_expired_and_tampered() {
    let f = start().await;
    let t = &f.t;
    // No signature at all.
    let answer = t.raw("ListActivities", json!({})).await;
    t.assert_raw_error(
        &answer,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );

    // A good one, to show the raw signing is right.
    let (status, body) =
        t.send_raw(list_activities(t, (KEY_A.0, KEY_A.1), SystemTime::now())).await;
    assert_eq!(status, 200, "{body}");

    // An Authorization header without its Signature.
    let mut request = list_activities(t, (KEY_A.0, KEY_A.1), SystemTime::now());
    let header = request.headers()["authorization"].to_str().unwrap().to_owned();
    let cut = header.split(", Signature=").next().unwrap().to_owned();
    request.headers_mut().insert("authorization", cut.parse().unwrap());
    let (status, body) = t.send_raw(request).await;
    assert_eq!(
        (status, body["__type"].clone()),
        (400, json!("IncompleteSignatureException")),
        "{body}"
    );
    assert_eq!(
        body["message"],
        json!(format!("Authorization header requires 'Signature' parameter. Authorization={cut}"))
    );

    // Signed ten minutes ago, and ten minutes ahead.
    let (status, body) = t
        .send_raw(list_activities(
            t,
            (KEY_A.0, KEY_A.1),
            SystemTime::now() - Duration::from_secs(600),
        ))
        .await;
    assert_eq!((status, body["__type"].clone()), (400, json!("InvalidSignatureException")));
    assert!(body["message"].as_str().unwrap().starts_with("Signature expired: "), "{body}");
    let (status, body) = t
        .send_raw(list_activities(
            t,
            (KEY_A.0, KEY_A.1),
            SystemTime::now() + Duration::from_secs(600),
        ))
        .await;
    assert_eq!((status, body["__type"].clone()), (400, json!("InvalidSignatureException")));
    assert!(body["message"].as_str().unwrap().starts_with("Signature not yet current: "), "{body}");

    // A body changed after signing.
    let request = list_activities(t, (KEY_A.0, KEY_A.1), SystemTime::now());
    let (parts, _) = request.into_parts();
    let tampered =
        hyper::Request::from_parts(parts, Full::new(Bytes::from_static(b"{\"maxResults\":1}")));
    let (status, body) = t.send_raw(tampered).await;
    assert_eq!(
        (status, body["__type"].clone()),
        (400, json!("InvalidSignatureException")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_query_form() {
    let f = start().await;
    let t = &f.t;
    let alice = client(&t.endpoint, KEY_A.0, KEY_A.1);
    alice.create_activity().name("presigned").send().await.unwrap();
    let presigned = |time| {
        signed(
            t,
            (KEY_A.0, KEY_A.1),
            time,
            SignatureLocation::QueryParams,
            "GET",
            "/?Action=ListActivities",
            &[],
            "",
        )
    };
    let request = presigned(SystemTime::now());
    assert!(request.uri().query().unwrap().contains("X-Amz-Signature="), "{}", request.uri());
    let (status, body) = t.send_raw(request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["activities"][0]["name"], json!("presigned"));

    // Valid for 900 s: one signed 20 minutes ago has expired.
    let (status, body) = t.send_raw(presigned(SystemTime::now() - Duration::from_secs(1200))).await;
    assert_eq!(
        (status, body["__type"].clone()),
        (400, json!("InvalidSignatureException")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().starts_with("Signature expired: "), "{body}");

    // A parameter changed after signing.
    let request = presigned(SystemTime::now());
    let uri = request.uri().to_string().replace("ListActivities", "ListStateMachines");
    let (mut parts, body) = request.into_parts();
    parts.uri = uri.parse().unwrap();
    let (status, answer) = t.send_raw(hyper::Request::from_parts(parts, body)).await;
    assert_eq!(
        (status, answer["__type"].clone()),
        (400, json!("InvalidSignatureException")),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_isolated() {
    let f = start().await;
    let alice = client(&f.t.endpoint, KEY_A.0, KEY_A.1);
    let bob = client(&f.t.endpoint, KEY_B.0, KEY_B.1);
    let machine = alice
        .create_state_machine()
        .name("m")
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    assert_eq!(machine, format!("arn:aws:states:us-east-1:{}:stateMachine:m", KEY_A.2));
    // The same name in Bob's account is another machine.
    let bobs = bob
        .create_state_machine()
        .name("m")
        .definition(BASE_PASS_RESULT)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    assert_eq!(bobs, format!("arn:aws:states:us-east-1:{}:stateMachine:m", KEY_B.2));

    let listed =
        |out: aws_sdk_sfn::operation::list_state_machines::ListStateMachinesOutput| -> Vec<String> {
            out.state_machines.iter().map(|m| m.state_machine_arn.clone()).collect()
        };
    assert_eq!(
        listed(alice.list_state_machines().send().await.unwrap()),
        std::slice::from_ref(&machine)
    );
    assert_eq!(
        listed(bob.list_state_machines().send().await.unwrap()),
        std::slice::from_ref(&bobs)
    );

    let execution =
        alice.start_execution().state_machine_arn(&machine).send().await.unwrap().execution_arn;
    let message = assert_code(
        bob.describe_execution().execution_arn(&execution).send().await,
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        format!("User: arn:aws:iam::{}:root is not authorized to perform: states:DescribeExecution on resource: {execution} because no resource-based policy allows the states:DescribeExecution action", KEY_B.2)
    );
    assert_code(
        bob.start_execution().state_machine_arn(&machine).send().await,
        "AccessDeniedException",
    );
    assert_code(
        bob.delete_state_machine().state_machine_arn(&machine).send().await,
        "AccessDeniedException",
    );
    assert_code(
        bob.tag_resource()
            .resource_arn(&machine)
            .tags(aws_sdk_sfn::types::Tag::builder().key("k").value("v").build())
            .send()
            .await,
        "AccessDeniedException",
    );
    // Alice's machine is untouched.
    let d = alice.describe_state_machine().state_machine_arn(&machine).send().await.unwrap();
    assert_eq!(d.name, "m");
    let activity = bob.create_activity().name("jobs").send().await.unwrap().activity_arn;
    assert_code(
        alice.get_activity_task().activity_arn(&activity).send().await,
        "AccessDeniedException",
    );
    let acts = alice.list_activities().send().await.unwrap();
    assert!(acts.activities.is_empty(), "{acts:?}");
}
