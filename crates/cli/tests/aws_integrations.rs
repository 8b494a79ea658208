//! AWS service integrations end to end: state machines run by an in-process server call
//! a Lambda endpoint served by the test and moto's server (DynamoDB, SQS, SNS,
//! EventBridge, Secrets Manager, SSM, Kinesis, S3), and their results, histories and
//! error names are checked as AWS records them.
//! Without moto the moto tests skip loudly; under `CI=true` they fail instead.
mod common;
mod local_aws;

use common::*;
use local_aws::*;
use serde_json::{json, Value};
use stepwise::serve::ServeOptions;

/// A server whose AWS integrations reach `lambda` and `moto`.
async fn server(lambda: Option<&str>, moto: Option<&str>) -> TestServer {
    let mut endpoints = Vec::new();
    if let Some(l) = lambda {
        endpoints.push(format!("lambda={l}"));
    }
    if let Some(m) = moto {
        for s in ["dynamodb", "sqs", "sns", "events", "secretsmanager", "ssm", "kinesis", "s3"] {
            endpoints.push(format!("{s}={m}"));
        }
    }
    TestServer::start_with(ServeOptions { aws_endpoints: endpoints, ..Default::default() }).await
}

/// Runs `definition` on `input` to its end; returns the final description's output
/// (or error) and the history.
async fn run(
    t: &TestServer,
    definition: &Value,
    input: Value,
    status: &str,
) -> (Value, Vec<Value>) {
    let arn = t.create_state_machine(&unique("aws"), &definition.to_string()).await;
    let exec = t.start_exec(&arn, None, Some(&input.to_string())).await;
    let d = t.wait_for_status(&exec, status).await;
    let history = t.history_json(&exec).await;
    let output = match d.output() {
        Some(o) => serde_json::from_str(o).unwrap(),
        None => json!({ "error": d.error(), "cause": d.cause() }),
    };
    (output, history)
}

/// `(resourceType, resource, error)` of every TaskFailed, in order.
fn task_failures(history: &[Value]) -> Vec<(String, String, String)> {
    history
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .map(|e| {
            let d = &e["taskFailedEventDetails"];
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (s("resourceType"), s("resource"), s("error"))
        })
        .collect()
}

fn task(resource: &str, parameters: Value, result_path: &str, next: &str) -> Value {
    json!({ "Type": "Task", "Resource": resource, "Parameters": parameters, "ResultPath": result_path, "Next": next })
}

fn catching(mut state: Value, error: &str, result_path: &str, next: &str) -> Value {
    state["Catch"] = json!([{ "ErrorEquals": [error], "ResultPath": result_path, "Next": next }]);
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_invoke_results_and_errors_as_aws_records_them() {
    let lambda = start_lambda().await;
    let t = server(Some(&lambda.url), None).await;
    let invoke = "arn:aws:states:::lambda:invoke";
    let definition = json!({
        "StartAt": "Echo",
        "States": {
            "Echo": task(invoke, json!({"FunctionName": "echo", "Payload.$": "$", "Qualifier": "live"}), "$.echo", "Fail"),
            "Fail": catching(task(invoke, json!({"FunctionName": "fail", "Payload": {}}), "$.never", "Done"), "CustomError", "$.caught", "Crash"),
            "Crash": catching(task(invoke, json!({"FunctionName": "crash"}), "$.never", "Done"), "Lambda.Unknown", "$.unknown", "Missing"),
            "Missing": catching(
                task(invoke, json!({"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:nope"}), "$.never", "Done"),
                "Lambda.ResourceNotFoundException", "$.missing", "Done"),
            "Done": {"Type": "Succeed"}
        }
    });
    let (out, history) = run(&t, &definition, json!({"greeting": "hi"}), "SUCCEEDED").await;

    let echo = &out["echo"];
    assert_eq!(echo["Payload"], json!({"greeting": "hi"}));
    assert_eq!(echo["StatusCode"], json!(200));
    assert_eq!(echo["ExecutedVersion"], json!("$LATEST"));
    assert_eq!(echo["SdkResponseMetadata"], json!({"RequestId": LAMBDA_REQUEST_ID}));
    assert_eq!(echo["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
    assert_eq!(
        echo["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"],
        json!(LAMBDA_REQUEST_ID)
    );
    assert_eq!(
        echo["SdkHttpMetadata"]["AllHttpHeaders"]["X-Amz-Executed-Version"],
        json!(["$LATEST"])
    );
    assert_eq!(
        keys(echo),
        sorted(&[
            "ExecutedVersion",
            "Payload",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StatusCode"
        ])
    );

    // The function's own error type, its payload as the cause.
    assert_eq!(out["caught"]["Error"], json!("CustomError"));
    let cause: Value = serde_json::from_str(out["caught"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], json!("it broke"));
    assert_eq!(out["unknown"]["Error"], json!("Lambda.Unknown"));
    assert_eq!(out["missing"]["Error"], json!("Lambda.ResourceNotFoundException"));
    assert_eq!(
        out["missing"]["Cause"],
        json!(format!("Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {LAMBDA_REQUEST_ID}; Proxy: null)"))
    );
    let lambda_failure = |e: &str| ("lambda".to_owned(), "invoke".to_owned(), e.to_owned());
    assert_eq!(
        task_failures(&history),
        vec![
            lambda_failure("CustomError"),
            lambda_failure("Lambda.Unknown"),
            lambda_failure("Lambda.ResourceNotFoundException")
        ]
    );

    let calls = lambda.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[0].qualifier.as_deref(), Some("live"));
    assert_eq!(serde_json::from_str::<Value>(&calls[0].body).unwrap(), json!({"greeting": "hi"}));
    assert_eq!(calls[2].body, "", "no Payload sends no body");
    assert_eq!(calls[3].function, "arn:aws:lambda:eu-west-1:123456789012:function:nope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_lambda_returns_the_payload_for_bare_function_arns() {
    let lambda = start_lambda().await;
    let mut config = stepwise_integrations::aws::AwsConfig::with_env(Vec::new());
    config.apply_endpoint_flag(&format!("lambda={}", lambda.url)).unwrap();
    let aws = stepwise_integrations::aws::AwsClient::new(
        stepwise_integrations::client::HttpClient::new(),
        config,
    );
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:echo";
    let out = stepwise_integrations::aws::invoke_lambda(&aws, arn, &json!({"n": 1}), "us-east-1")
        .await
        .unwrap();
    assert_eq!(out, json!({"n": 1}));
    let fault = stepwise_integrations::aws::invoke_lambda(
        &aws,
        "arn:aws:lambda:us-east-1:123456789012:function:fail",
        &json!({}),
        "us-east-1",
    )
    .await
    .unwrap_err();
    assert_eq!(fault.error, "CustomError");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimized_dynamodb_sqs_sns_and_eventbridge_calls() {
    let Some(moto) = start_moto("optimized_dynamodb_sqs_sns_and_eventbridge_calls").await else {
        return;
    };
    let table = unique("table");
    moto.create_table(&table).await;
    let queue_name = unique("queue");
    let queue = moto.create_queue(&queue_name).await;
    // SNS delivers to a queue of its own, EventBridge (by a rule) to another.
    let topic_xml = moto.query(&[("Action", "CreateTopic"), ("Name", &unique("topic"))]).await;
    let topic = between(&topic_xml, "<TopicArn>", "</TopicArn>");
    let sns_queue_name = unique("from-sns");
    let sns_queue = moto.create_queue(&sns_queue_name).await;
    let queue_arn = Moto::queue_arn(&sns_queue_name);
    moto.query(&[
        ("Action", "Subscribe"),
        ("TopicArn", &topic),
        ("Protocol", "sqs"),
        ("Endpoint", &queue_arn),
        ("Attributes.entry.1.key", "RawMessageDelivery"),
        ("Attributes.entry.1.value", "true"),
    ])
    .await;
    let events_queue_name = unique("from-events");
    let events_queue = moto.create_queue(&events_queue_name).await;
    let rule = unique("rule");
    moto.json(
        "1.1",
        "AWSEvents.PutRule",
        json!({"Name": rule, "EventPattern": json!({"source": ["stepwise.test"]}).to_string()}),
    )
    .await;
    moto.json(
        "1.1",
        "AWSEvents.PutTargets",
        json!({"Rule": rule, "Targets": [{"Id": "q", "Arn": Moto::queue_arn(&events_queue_name)}]}),
    )
    .await;

    let t = server(None, Some(&moto.url)).await;
    let ddb = |action: &str| format!("arn:aws:states:::dynamodb:{action}");
    let key = json!({"id": {"S": "k1"}});
    let definition = json!({
        "StartAt": "Put",
        "States": {
            "Put": task(&ddb("putItem"), json!({"TableName": table, "Item": {"id": {"S": "k1"}, "v": {"S.$": "$.value"}}}), "$.put", "Get"),
            "Get": task(&ddb("getItem"), json!({"TableName": table, "Key": key}), "$.get", "Update"),
            "Update": task(&ddb("updateItem"), json!({"TableName": table, "Key": key, "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"S": "updated"}}, "ReturnValues": "ALL_NEW"}), "$.update", "PutAgain"),
            "PutAgain": catching(task(&ddb("putItem"), json!({"TableName": table, "Item": {"id": {"S": "k1"}},
                "ConditionExpression": "attribute_not_exists(id)"}), "$.never", "Done"),
                "DynamoDB.ConditionalCheckFailedException", "$.conditional", "Delete"),
            "Delete": task(&ddb("deleteItem"), json!({"TableName": table, "Key": key}), "$.delete", "NoTable"),
            "NoTable": catching(task(&ddb("getItem"), json!({"TableName": "no-such-table", "Key": key}), "$.never", "Done"),
                "DynamoDB.ResourceNotFoundException", "$.noTable", "Send"),
            "Send": task("arn:aws:states:::sqs:sendMessage", json!({"QueueUrl": queue, "MessageBody": {"hello.$": "$.value"}}), "$.send", "SendBatch"),
            // AWS's optimized SQS integration has sendMessage only; a batch goes through aws-sdk.
            "SendBatch": task("arn:aws:states:::aws-sdk:sqs:sendMessageBatch", json!({"QueueUrl": queue, "Entries": [
                {"Id": "one", "MessageBody": "first"}, {"Id": "two", "MessageBody": "{\"n\":2}"}]}), "$.batch", "NoTopic"),
            "NoTopic": catching(task("arn:aws:states:::sns:publish", json!({"TopicArn": "arn:aws:sns:us-east-1:123456789012:no-such-topic",
                "Message": "x"}), "$.never", "Done"), "SNS.NotFoundException", "$.noTopic", "Publish"),
            "Publish": task("arn:aws:states:::sns:publish", json!({"TopicArn": topic, "Message": "published",
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "test"}}}), "$.publish", "Events"),
            "Events": task("arn:aws:states:::events:putEvents", json!({"Entries": [
                {"Source": "stepwise.test", "DetailType": "tested", "Detail": {"a": 1}}]}), "$.events", "Done"),
            "Done": {"Type": "Succeed"}
        }
    });
    let (out, history) = run(&t, &definition, json!({"value": "world"}), "SUCCEEDED").await;

    assert_eq!(keys(&out["put"]), sorted(&["SdkHttpMetadata", "SdkResponseMetadata"]));
    assert_eq!(out["put"]["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
    assert_eq!(out["get"]["Item"], json!({"id": {"S": "k1"}, "v": {"S": "world"}}));
    assert_eq!(out["update"]["Attributes"]["v"], json!({"S": "updated"}));
    assert_eq!(out["conditional"]["Error"], json!("DynamoDB.ConditionalCheckFailedException"));
    let cause = out["conditional"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: "),
        "{cause}"
    );
    assert_eq!(out["noTable"]["Error"], json!("DynamoDB.ResourceNotFoundException"));
    assert_eq!(
        task_failures(&history),
        vec![
            (
                "dynamodb".into(),
                "putItem".into(),
                "DynamoDB.ConditionalCheckFailedException".into()
            ),
            ("dynamodb".into(), "getItem".into(), "DynamoDB.ResourceNotFoundException".into()),
            ("sns".into(), "publish".into(), "SNS.NotFoundException".into()),
        ]
    );
    let gone = moto
        .json("1.0", "DynamoDB_20120810.GetItem", json!({"TableName": table, "Key": key}))
        .await;
    assert!(gone.get("Item").is_none(), "deleteItem removed the item: {gone}");

    // SQS: the message is in the queue, its body the JSON text of the object.
    let send = &out["send"];
    assert_eq!(
        keys(send),
        sorted(&["MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"])
    );
    // The queue holds the message and the batch's two, in whatever order SQS gives them.
    let mut received = Vec::new();
    for _ in 0..3 {
        let m = moto.receive(&queue, 10).await.expect("every message reached the queue");
        moto.json(
            "1.0",
            "AmazonSQS.DeleteMessage",
            json!({"QueueUrl": queue, "ReceiptHandle": m["ReceiptHandle"]}),
        )
        .await;
        received.push(m);
    }
    let message = received
        .iter()
        .find(|m| m["MessageId"] == send["MessageId"])
        .expect("the sendMessage message is in the queue");
    assert_eq!(message["MD5OfBody"], send["MD5OfMessageBody"]);
    assert_eq!(
        serde_json::from_str::<Value>(message["Body"].as_str().unwrap()).unwrap(),
        json!({"hello": "world"})
    );
    let batch = &out["batch"];
    assert_eq!(batch["Successful"].as_array().map(Vec::len), Some(2), "{batch}");
    let mut bodies: Vec<&str> = received
        .iter()
        .filter(|m| m["MessageId"] != send["MessageId"])
        .map(|m| m["Body"].as_str().unwrap())
        .collect();
    bodies.sort();
    assert_eq!(bodies, vec!["first", r#"{"n":2}"#]);
    let cause = out["noTopic"]["Cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: "),
        "{cause}"
    );

    // SNS: a MessageId and the request id from the XML answer; delivered to the queue.
    let publish = &out["publish"];
    assert_eq!(keys(publish), sorted(&["MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]));
    assert!(publish["SdkResponseMetadata"]["RequestId"].as_str().is_some_and(|r| !r.is_empty()));
    let delivered =
        moto.receive(&sns_queue, 10).await.expect("SNS delivered to the subscribed queue");
    assert_eq!(delivered["Body"], json!("published"));

    // EventBridge: entries and count, no SDK metadata; the event names the execution.
    assert_eq!(keys(&out["events"]), sorted(&["Entries", "FailedEntryCount"]));
    assert_eq!(out["events"]["FailedEntryCount"], json!(0));
    assert!(out["events"]["Entries"][0]["EventId"].is_string());
    let event = moto.receive(&events_queue, 10).await.expect("the rule delivered the event");
    let event: Value = serde_json::from_str(event["Body"].as_str().unwrap()).unwrap();
    assert_eq!(event["detail"], json!({"a": 1}));
    let resources = event["resources"].as_array().unwrap();
    assert!(resources.iter().any(|r| r.as_str().unwrap().contains(":execution:")), "{event}");
    assert!(resources.iter().any(|r| r.as_str().unwrap().contains(":stateMachine:")), "{event}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_calls_and_their_errors_by_name() {
    let Some(moto) = start_moto("aws_sdk_calls_and_their_errors_by_name").await else { return };
    let table = unique("sdk-table");
    moto.create_table(&table).await;
    let secret = unique("secret");
    let parameter = format!("/stepwise/{}", unique("p"));
    let t = server(None, Some(&moto.url)).await;
    let sdk = |s: &str| format!("arn:aws:states:::aws-sdk:{s}");
    let missing_queue = format!("{}/123456789012/no-such-queue", moto.url);
    let definition = json!({
        "StartAt": "CreateSecret",
        "States": {
            "CreateSecret": task(&sdk("secretsmanager:createSecret"), json!({"Name": secret, "SecretString": "s3cr3t"}), "$.created", "GetSecret"),
            "GetSecret": task(&sdk("secretsmanager:getSecretValue"), json!({"SecretId": secret}), "$.secret", "MissingSecret"),
            "MissingSecret": catching(task(&sdk("secretsmanager:getSecretValue"), json!({"SecretId": "no-such-secret"}), "$.never", "Done"),
                "SecretsManager.ResourceNotFoundException", "$.missingSecret", "PutParameter"),
            "PutParameter": task(&sdk("ssm:putParameter"), json!({"Name": parameter, "Value": "v1", "Type": "String"}), "$.putParameter", "GetParameter"),
            "GetParameter": task(&sdk("ssm:getParameter"), json!({"Name": parameter}), "$.parameter", "MissingParameter"),
            "MissingParameter": catching(task(&sdk("ssm:getParameter"), json!({"Name": "/no/such/parameter"}), "$.never", "Done"),
                "Ssm.ParameterNotFoundException", "$.missingParameter", "PutItem"),
            "PutItem": task(&sdk("dynamodb:putItem"), json!({"TableName": table, "Item": {"id": {"S": "a"}, "n": {"N": "7"}}}), "$.putItem", "GetItem"),
            "GetItem": task(&sdk("dynamodb:getItem"), json!({"TableName": table, "Key": {"id": {"S": "a"}}}), "$.getItem", "NoTable"),
            "NoTable": catching(task(&sdk("dynamodb:putItem"), json!({"TableName": "no-such-table", "Item": {"id": {"S": "a"}}}), "$.never", "Done"),
                "DynamoDb.ResourceNotFoundException", "$.noTable", "NoQueue"),
            "NoQueue": catching(task(&sdk("sqs:sendMessage"), json!({"QueueUrl": missing_queue, "MessageBody": "x"}), "$.never", "Done"),
                "Sqs.QueueDoesNotExistException", "$.noQueue", "ListStreams"),
            "ListStreams": task(&sdk("kinesis:listStreams"), json!({}), "$.streams", "PutEvents"),
            "PutEvents": task(&sdk("eventbridge:putEvents"), json!({"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}]}), "$.events", "Done"),
            "Done": {"Type": "Succeed"}
        }
    });
    let (out, history) = run(&t, &definition, json!({}), "SUCCEEDED").await;

    assert_eq!(out["created"]["Name"], json!(secret));
    assert!(out["created"]["ARN"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:secretsmanager:us-east-1:"));
    assert!(
        out["created"].get("SdkHttpMetadata").is_none(),
        "aws-sdk results carry no SDK metadata"
    );
    assert_eq!(out["secret"]["SecretString"], json!("s3cr3t"));
    assert_eq!(out["parameter"]["Parameter"]["Value"], json!("v1"));
    assert_eq!(out["putItem"], json!({}));
    assert_eq!(out["getItem"], json!({"Item": {"id": {"S": "a"}, "n": {"N": "7"}}}));
    assert!(out["streams"]["StreamNames"].is_array(), "{}", out["streams"]);
    assert_eq!(out["events"]["FailedEntryCount"], json!(0));

    let cause = out["noTable"]["Cause"].as_str().unwrap();
    assert!(cause.contains("(Service: DynamoDb, Status Code: 400, Request ID: "), "{cause}");
    assert_eq!(
        task_failures(&history),
        vec![
            (
                "aws-sdk:secretsmanager".into(),
                "getSecretValue".into(),
                "SecretsManager.ResourceNotFoundException".into()
            ),
            ("aws-sdk:ssm".into(), "getParameter".into(), "Ssm.ParameterNotFoundException".into()),
            (
                "aws-sdk:dynamodb".into(),
                "putItem".into(),
                "DynamoDb.ResourceNotFoundException".into()
            ),
            ("aws-sdk:sqs".into(), "sendMessage".into(), "Sqs.QueueDoesNotExistException".into()),
        ]
    );
    // TaskScheduled records the resource type, action, region and parameters.
    let scheduled = history.iter().find(|e| e["type"] == "TaskScheduled").unwrap();
    let d = &scheduled["taskScheduledEventDetails"];
    assert_eq!(d["resourceType"], json!("aws-sdk:secretsmanager"));
    assert_eq!(d["resource"], json!("createSecret"));
    assert_eq!(d["region"], json!("us-east-1"));
}

/// `aws-sdk:s3` over REST-XML: the outputs and error names of AWS's recordings
/// (test_aws_sdk_task_service.py's test_s3_put_object/test_s3_get_object, and
/// error_handling/test_aws_sdk.py's test_no_such_bucket/test_s3_no_such_key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_s3_objects_lists_and_errors_as_aws_records_them() {
    let Some(moto) = start_moto("aws_sdk_s3_objects_lists_and_errors_as_aws_records_them").await
    else {
        return;
    };
    let t = server(None, Some(&moto.url)).await;
    let bucket = unique("bucket").to_ascii_lowercase();
    let s3 = |action: &str| format!("arn:aws:states:::aws-sdk:s3:{action}");
    let b = |extra: Value| {
        let mut p = json!({"Bucket": bucket});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    let definition = json!({
        "StartAt": "CreateBucket",
        "States": {
            "CreateBucket": task(&s3("createBucket"), b(json!({})), "$.created", "PutText"),
            "PutText": task(&s3("putObject"), b(json!({"Key": "file-key", "Body.$": "$.text"})), "$.putText", "PutDict"),
            "PutDict": task(&s3("putObject"), b(json!({"Key": "dir/dict.json", "Body": {"Dict": "Value"},
                "Metadata": {"origin": "stepwise"}})), "$.putDict", "GetText"),
            "GetText": task(&s3("getObject"), b(json!({"Key": "file-key"})), "$.getText", "GetDict"),
            "GetDict": task(&s3("getObject"), b(json!({"Key": "dir/dict.json"})), "$.getDict", "ListV2"),
            "ListV2": task(&s3("listObjectsV2"), b(json!({})), "$.listV2", "ListV1"),
            "ListV1": task(&s3("listObjects"), b(json!({"Prefix": "dir/"})), "$.listV1", "NoKey"),
            "NoKey": catching(task(&s3("getObject"), b(json!({"Key": "no_such_key.json"})), "$.never", "Done"),
                "S3.NoSuchKeyException", "$.noKey", "NoBucket"),
            "NoBucket": catching(task(&s3("listObjects"), json!({"Bucket": "some-nonexistent-bucket-name"}), "$.never", "Done"),
                "States.TaskFailed", "$.noBucket", "Delete"),
            "Delete": task(&s3("deleteObject"), b(json!({"Key": "file-key"})), "$.deleted", "Gone"),
            "Gone": catching(task(&s3("getObject"), b(json!({"Key": "file-key"})), "$.never", "Done"),
                "S3.NoSuchKeyException", "$.gone", "Done"),
            "Done": {"Type": "Succeed"}
        }
    });
    let (out, history) = run(&t, &definition, json!({"text": "text data"}), "SUCCEEDED").await;

    assert_eq!(out["created"], json!({"Location": format!("/{bucket}")}));
    // A body is sent as its JSON text ("text data" with its quotes): the ETag and CRC32
    // are the ones AWS recorded for the same bodies.
    let put = &out["putText"];
    assert_eq!(put["ETag"], json!("\"2b5df3712557f503a9977a8ea893b2c9\""), "{put}");
    assert_eq!(put["ChecksumCRC32"], json!("KUmHvQ=="), "{put}");
    assert!(put.get("Body").is_none() && put.get("ContentLength").is_none(), "{put}");
    assert_eq!(out["putDict"]["ETag"], json!("\"49e31cee5aec8faf3345893addb14346\""));

    let get = &out["getText"];
    let get_keys: Vec<&str> = get.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(get_keys.last(), Some(&"Body"), "Body comes last, as AWS records it: {get}");
    assert_eq!(get["Body"], json!("\"text data\""));
    assert_eq!(get["ContentLength"], json!(11));
    assert_eq!(get["ContentType"], json!("text/plain; charset=UTF-8"));
    assert_eq!(get["ETag"], put["ETag"]);
    assert_eq!(get["Metadata"], json!({}));
    let modified = get["LastModified"].as_str().unwrap();
    assert!(
        modified.len() == 20 && modified.ends_with('Z') && modified.as_bytes()[10] == b'T',
        "an ISO 8601 instant: {modified}"
    );
    assert_eq!(out["getDict"]["Body"], json!(r#"{"Dict":"Value"}"#));
    assert_eq!(out["getDict"]["Metadata"], json!({"origin": "stepwise"}));

    let list = &out["listV2"];
    assert_eq!(list["Name"], json!(bucket));
    assert_eq!(list["KeyCount"], json!(2));
    assert_eq!(list["IsTruncated"], json!(false));
    let contents = list["Contents"].as_array().unwrap();
    let listed: Vec<(&str, i64)> = contents
        .iter()
        .map(|c| (c["Key"].as_str().unwrap(), c["Size"].as_i64().unwrap()))
        .collect();
    assert_eq!(listed, vec![("dir/dict.json", 16), ("file-key", 11)]);
    assert_eq!(contents[1]["ETag"], put["ETag"]);
    assert_eq!(contents[1]["LastModified"].as_str().map(str::len), Some(20));
    let v1 = &out["listV1"];
    assert_eq!(v1["Prefix"], json!("dir/"));
    assert_eq!(v1["Contents"].as_array().map(Vec::len), Some(1), "{v1}");

    assert_eq!(out["noKey"]["Error"], json!("S3.NoSuchKeyException"));
    let cause = out["noKey"]["Cause"].as_str().unwrap();
    assert!(
        cause.starts_with(
            "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: "
        ),
        "{cause}"
    );
    assert_eq!(out["noBucket"]["Error"], json!("S3.NoSuchBucketException"));
    let cause = out["noBucket"]["Cause"].as_str().unwrap();
    assert!(
        cause.starts_with(
            "The specified bucket does not exist (Service: S3, Status Code: 404, Request ID: "
        ),
        "{cause}"
    );
    assert_eq!(out["gone"]["Error"], json!("S3.NoSuchKeyException"), "deleteObject removed it");
    assert_eq!(
        task_failures(&history),
        vec![
            ("aws-sdk:s3".into(), "getObject".into(), "S3.NoSuchKeyException".into()),
            ("aws-sdk:s3".into(), "listObjects".into(), "S3.NoSuchBucketException".into()),
            ("aws-sdk:s3".into(), "getObject".into(), "S3.NoSuchKeyException".into()),
        ]
    );

    // An action Stepwise does not call fails naming it.
    let select = json!({"StartAt": "Select", "States": {"Select": {"Type": "Task",
        "Resource": s3("selectObjectContent"), "Parameters": {"Bucket": bucket}, "End": true}}});
    let (out, _) = run(&t, &select, json!({}), "FAILED").await;
    assert_eq!(out["error"], json!("States.Runtime"));
    assert!(
        out["cause"].as_str().unwrap().contains("arn:aws:states:::aws-sdk:s3:selectObjectContent"),
        "{out}"
    );
}

/// The text between `start` and `end`.
fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start} in {text}")) + start.len();
    let to = text[from..].find(end).unwrap() + from;
    text[from..to].to_owned()
}
