//! Histories as AWS records them, for comparing a run's history event by event with
//! AWS's (the shapes of LocalStack's AWS-recorded snapshots): `normalized` turns an
//! event into the snapshot form (JSON texts parsed, values that change from run to run
//! checked and replaced), `History` builds the expected list with AWS's ids.
#![allow(dead_code)]

use serde_json::{json, Value};

use crate::common::{keys, sorted};

/// A JSON text as its value.
pub fn parse(text: &Value) -> Value {
    let text = text.as_str().unwrap_or_else(|| panic!("not a JSON text: {text}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// An event as AWS's snapshots show it: without its timestamp (checked to be a
/// number), with its JSON texts (`input`, `output`, `parameters`, each checked to be a
/// string) parsed, SDK metadata checked and replaced, dates checked and replaced, and
/// the run's own values (`placeholders`) replaced by names.
pub fn normalized(event: &Value, placeholders: &[(&str, &str)]) -> Value {
    let mut e = event.clone();
    let o = e.as_object_mut().expect("an event is an object");
    assert!(o.remove("timestamp").is_some_and(|t| t.is_number()), "a numeric timestamp: {event}");
    for (key, details) in o.iter_mut() {
        if !key.ends_with("EventDetails") {
            continue;
        }
        for field in ["input", "output", "parameters"] {
            if let Some(text) = details.get(field).cloned() {
                details[field] = parse(&text);
            }
        }
    }
    replace_values(&mut e, placeholders);
    e
}

pub fn replace_values(value: &mut Value, placeholders: &[(&str, &str)]) {
    match value {
        Value::String(s) => {
            if let Some((_, name)) = placeholders.iter().find(|(v, _)| v == s) {
                *s = (*name).to_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_values(v, placeholders)),
        Value::Object(o) => {
            if let Some(metadata) = o.get("SdkHttpMetadata") {
                let request_id = check_sdk_http_metadata(metadata);
                let response = &o["SdkResponseMetadata"];
                assert_eq!(response.as_object().map(|r| r.len()), Some(1), "{response}");
                if let Some(id) = request_id {
                    assert_eq!(response["RequestId"], json!(id), "the request id is the header's");
                }
                o.insert("SdkHttpMetadata".into(), json!("<SdkHttpMetadata>"));
                o.insert("SdkResponseMetadata".into(), json!({"RequestId": "<request_id>"}));
            }
            for key in ["StartDate", "StopDate"] {
                if let Some(date) = o.get_mut(key) {
                    assert!(date.is_number(), "{key} is epoch milliseconds: {date}");
                    *date = json!("<date>");
                }
            }
            o.values_mut().for_each(|v| replace_values(v, placeholders));
        }
        _ => {}
    }
}

/// Checks `SdkHttpMetadata` as AWS records it (`AllHttpHeaders`: every header with all
/// its values; `HttpHeaders`: each one's first value; `HttpStatusCode` 200, a
/// `Content-Type` and `Content-Length`); returns the `x-amzn-RequestId` header if any.
pub fn check_sdk_http_metadata(m: &Value) -> Option<String> {
    assert_eq!(keys(m), sorted(&["AllHttpHeaders", "HttpHeaders", "HttpStatusCode"]), "{m}");
    assert_eq!(m["HttpStatusCode"], json!(200), "{m}");
    let all = m["AllHttpHeaders"].as_object().unwrap();
    let first = m["HttpHeaders"].as_object().unwrap();
    assert_eq!(all.len(), first.len(), "{m}");
    for (name, values) in all {
        assert_eq!(values.as_array().and_then(|v| v.first()), first.get(name), "{name} in {m}");
    }
    for name in ["Content-Type", "Content-Length"] {
        assert!(first.contains_key(name), "{name} in {m}");
    }
    let content_type = first["Content-Type"].as_str().unwrap();
    assert!(content_type.starts_with("application/"), "{m}");
    first.get("x-amzn-RequestId").and_then(Value::as_str).map(str::to_owned)
}

/// The expected history, built event by event with ids and previous ids as AWS numbers
/// them (a state's first event follows the previous state's last).
#[derive(Default)]
pub struct History {
    pub events: Vec<Value>,
    /// The id of the last event of the state before (a state's entry follows it).
    last: i64,
}

impl History {
    pub fn event(&mut self, kind: &str, key: &str, details: Value) {
        self.push(kind, Some((key, details)));
    }

    /// An event with no details (`LambdaFunctionStarted`).
    pub fn bare(&mut self, kind: &str) {
        self.push(kind, None);
    }

    fn push(&mut self, kind: &str, details: Option<(&str, Value)>) {
        let id = self.events.len() as i64 + 1;
        let previous = if kind == "ExecutionStarted" { 0 } else { self.last };
        let mut event = json!({"id": id, "previousEventId": previous, "type": kind});
        if let Some((key, details)) = details {
            event[key] = details;
        }
        self.events.push(event);
        self.last = id;
    }

    pub fn execution_started(&mut self, input: &Value, role_arn: &str) {
        self.event(
            "ExecutionStarted",
            "executionStartedEventDetails",
            json!({"input": input, "inputDetails": {"truncated": false}, "roleArn": role_arn}),
        );
    }

    pub fn execution_succeeded(&mut self, output: &Value) {
        self.event(
            "ExecutionSucceeded",
            "executionSucceededEventDetails",
            json!({"output": output, "outputDetails": {"truncated": false}}),
        );
    }

    /// `LambdaFunctionScheduled` for a bare function ARN: the state's input, the ARN,
    /// and `timeoutInSeconds` when the state has `TimeoutSeconds`.
    pub fn lambda_scheduled(&mut self, resource: &str, input: &Value, timeout: Option<u64>) {
        let mut d =
            json!({"input": input, "inputDetails": {"truncated": false}, "resource": resource});
        if let Some(t) = timeout {
            d["timeoutInSeconds"] = json!(t);
        }
        self.event("LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", d);
    }

    pub fn entered(&mut self, state_type: &str, name: &str, input: &Value) {
        // The first state's entry follows no event: AWS numbers it 0.
        if self.events.len() == 1 {
            self.last = 0;
        }
        self.event(
            &format!("{state_type}StateEntered"),
            "stateEnteredEventDetails",
            json!({"input": input, "inputDetails": {"truncated": false}, "name": name}),
        );
    }

    pub fn exited(&mut self, state_type: &str, name: &str, output: &Value) {
        self.event(
            &format!("{state_type}StateExited"),
            "stateExitedEventDetails",
            json!({"name": name, "output": output, "outputDetails": {"truncated": false}}),
        );
    }

    pub fn scheduled(
        &mut self,
        resource_type: &str,
        resource: &str,
        parameters: Value,
        extra: Value,
    ) {
        let mut d = json!({"parameters": parameters, "region": "us-east-1",
            "resource": resource, "resourceType": resource_type});
        d.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.event("TaskScheduled", "taskScheduledEventDetails", d);
    }

    pub fn started(&mut self, resource_type: &str, resource: &str) {
        self.event(
            "TaskStarted",
            "taskStartedEventDetails",
            json!({"resource": resource, "resourceType": resource_type}),
        );
    }

    pub fn submitted(&mut self, resource_type: &str, resource: &str, output: Value) {
        self.event("TaskSubmitted", "taskSubmittedEventDetails", json!({"output": output,
            "outputDetails": {"truncated": false}, "resource": resource, "resourceType": resource_type}));
    }

    pub fn succeeded(&mut self, resource_type: &str, resource: &str, output: Value) {
        self.event("TaskSucceeded", "taskSucceededEventDetails", json!({"output": output,
            "outputDetails": {"truncated": false}, "resource": resource, "resourceType": resource_type}));
    }
}

/// Asserts that `history` (as GetExecutionHistory returns it) is `expected` once
/// normalized: first the list of event types, then each event exactly.
#[track_caller]
pub fn assert_history(history: &[Value], placeholders: &[(&str, &str)], expected: &History) {
    let actual: Vec<Value> = history.iter().map(|e| normalized(e, placeholders)).collect();
    let types = |events: &[Value]| -> Vec<String> {
        events.iter().map(|e| e["type"].as_str().unwrap_or("?").to_owned()).collect()
    };
    assert_eq!(types(&actual), types(&expected.events), "the event types in order");
    for (got, want) in actual.iter().zip(&expected.events) {
        assert_eq!(got, want, "event {}", want["id"]);
    }
}
