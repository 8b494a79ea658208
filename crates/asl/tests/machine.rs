//! Machine-level tests: definition → diagnostics, and definition + input → outcome.
use serde_json::{json, Value};
use stepwise_asl::definition::error_message;
use stepwise_asl::machine::GraphId;
use stepwise_asl::step::fill_entered_event_id;
use stepwise_asl::{Entered, Env, ErrorDecision, Fault, Machine, Outcome, StateId, WaitUntil};

fn machine(def: &Value) -> Machine {
    let v = Machine::parse(&def.to_string());
    match v.machine {
        Some(m) => m,
        None => panic!("invalid: {:?}", v.diagnostics),
    }
}

fn env<'a>(input: &'a Value, ctx: &'a Value, vars: &'a serde_json::Map<String, Value>) -> Env<'a> {
    Env { input, context: ctx, vars, seed: 1 }
}

fn fill(mut f: Fault) -> Fault {
    fill_entered_event_id(&mut f, 2);
    f
}

/// Runs a machine of Pass/Choice/Succeed/Fail/Wait/Task states (a Task's result is
/// `{"task": parameters}`) from its start; returns the output or the fault (event id #2).
fn run(def: Value, input: Value) -> Result<Value, Fault> {
    let m = machine(&def);
    let ctx = json!({"Execution": {"Input": input.clone()}});
    let vars = serde_json::Map::new();
    let mut id = m.start_state();
    let mut input = input;
    for _ in 0..100 {
        let e = env(&input, &ctx, &vars);
        let outcome = match m.enter(id, &e) {
            Entered::Done(o) => o,
            Entered::Wait(_) => m.complete(id, &e, Value::Null).map_err(fill)?,
            Entered::Task { parameters, .. } => {
                m.complete(id, &e, json!({"task": parameters})).map_err(fill)?
            }
            Entered::Failed(f) => {
                let f = fill(f);
                match m.on_error(id, &e, &f, &[], 0.0) {
                    ErrorDecision::Catch { next, output, assigned } => {
                        Outcome::Next { next, output, assigned }
                    }
                    _ => return Err(f),
                }
            }
            other => panic!("unexpected {other:?}"),
        };
        match outcome {
            Outcome::Next { next, output, .. } => {
                id = next;
                input = output;
            }
            Outcome::End { output, .. } => return Ok(output),
            Outcome::Fail(f) => return Err(f),
        }
    }
    panic!("too many steps")
}

fn check(def: Value, input: Value, expected: Value) {
    assert_eq!(
        run(def.clone(), input).unwrap_or_else(|f| panic!("{def}: {f:?}")),
        expected,
        "{def}"
    );
}

fn check_fault(def: Value, input: Value, error: &str, cause: &str) {
    let f = run(def.clone(), input).expect_err("expected a failure");
    assert_eq!((f.error.as_str(), f.cause.as_str()), (error, cause), "{def}");
}

/// A one-state machine.
fn single(state: Value) -> Value {
    json!({"StartAt": "A", "States": {"A": state}})
}

/// (code, message, location) of each diagnostic.
fn diags(text: &str) -> Vec<(String, String, String)> {
    let v = Machine::parse(text);
    assert_eq!(
        v.machine.is_none(),
        v.diagnostics.iter().any(|d| d.severity == stepwise_asl::Severity::Error)
    );
    v.diagnostics.into_iter().map(|d| (d.code, d.message, d.location)).collect()
}

fn check_diag(def: Value, expected: &[(&str, &str, &str)]) {
    let got = diags(&def.to_string());
    let want: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(got, want, "{def}");
}

const SVF: &str = "SCHEMA_VALIDATION_FAILED";
const MTT: &str = "MISSING_TRANSITION_TARGET";
const LAMBDA: &str = "arn:aws:states:::lambda:invoke";

#[test]
fn valid_definitions() {
    for def in [
        single(json!({"Type": "Pass", "End": true})),
        json!({"Comment": "c", "Version": "1.0", "TimeoutSeconds": 10, "QueryLanguage": "JSONPath", "StartAt": "A",
               "States": {"A": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5,
                                "HeartbeatSeconds": 2, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "FULL", "MaxDelaySeconds": 3},
                                {"ErrorEquals": ["States.ALL"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}], "Next": "W"},
                          "W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "P"},
                          "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}], "Next": "M"},
                          "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ToleratedFailurePercentage": 50,
                                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Y", "States": {"Y": {"Type": "Pass", "End": true}}},
                                "End": true},
                          "F": {"Type": "Fail", "Error": "E", "CausePath": "$.c"}}}),
    ] {
        let v = Machine::parse(&def.to_string());
        assert!(v.diagnostics.is_empty(), "{:?}", v.diagnostics);
        assert!(v.machine.is_some());
    }
}

#[test]
fn validation_diagnostics() {
    check_diag(json!({}), &[(SVF, "These fields are required: [States, StartAt]", "/")]);
    check_diag(
        json!({"States": {"A": {"Type": "Pass", "End": true}}}),
        &[(SVF, "These fields are required: [StartAt]", "/")],
    );
    check_diag(
        json!({"StartAt": "A", "Coment": "x", "States": {"A": {"Type": "Pass", "End": true}}}),
        &[(SVF, "Field 'Coment' is not supported", "/")],
    );
    check_diag(single(json!({"Type": "Nope", "End": true})), &[(
        SVF,
        "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
        "/States/A/Type",
    )]);
    check_diag(
        single(json!({"End": true})),
        &[(SVF, "These fields are required: [Type]", "/States/A")],
    );
    check_diag(
        single(json!({"Type": "Pass", "Next": ""})),
        &[(SVF, "The field \"Next\" should be non-empty", "/States/A")],
    );
    check_diag(
        single(json!({"Type": "Pass", "End": true, "TimeoutSeconds": 3})),
        &[(SVF, "Field 'TimeoutSeconds' is not supported", "/States/A")],
    );
    check_diag(single(json!({"Type": "Pass", "End": true, "Output": 3})), &[(
        SVF,
        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage",
        "/States/A",
    )]);
    check_diag(
        single(json!({"Type": "Pass", "End": true, "Retry": []})),
        &[(SVF, "Field 'Retry' is not supported", "/States/A")],
    );
    check_diag(
        json!({"StartAt": "pass1", "States": {"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": {"Type": "Pass", "End": true}}}),
        &[
            (MTT, "Missing 'Next' target: pass3", "/States/pass1/Next"),
            (MTT, "State \"pass2\" is not reachable.", "/States/pass2"),
        ],
    );
    check_diag(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "NOPE"}}}),
        &[
            (MTT, "Missing 'Next' target: NOPE", "/States/A/Next"),
            ("MISSING_END_STATE", "Workflow has no terminal state", ""),
        ],
    );
    check_diag(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"},
                "C": {"Type": "Pass", "End": true}}}),
        &[(MTT, "State \"C\" is not reachable.", "/States/C")],
    );
    check_diag(
        json!({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}),
        &[(MTT, "Missing 'Next' target: X", "/StartAt")],
    );
    check_diag(
        single(json!({"Type": "Pass"})),
        &[(SVF, "There should be exactly one of the following fields: [Next, End]", "/States/A")],
    );
    check_diag(
        single(json!({"Type": "Pass", "End": true, "Next": "A"})),
        &[(SVF, "There should only be one of the following fields: [Next, End]", "/States/A")],
    );
    check_diag(
        single(json!({"Type": "Succeed", "End": true})),
        &[(SVF, "Field 'End' is not supported", "/States/A")],
    );
    check_diag(
        single(json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true})),
        &[(SVF, "There should only be one of the following fields: [Seconds, Timestamp, SecondsPath, TimestampPath]", "/States/A")],
    );
    check_diag(
        single(json!({"Type": "Wait", "Timestamp": "2016-12-05 21:29:29Z", "End": true})),
        &[(SVF, "String does not match RFC3339 timestamp", "/States/A/Timestamp")],
    );
    check_diag(
        single(json!({"Type": "Fail", "Error": "x", "ErrorPath": "$.e"})),
        &[(
            SVF,
            "There should only be one of the following fields: [Error, ErrorPath]",
            "/States/A",
        )],
    );
    check_diag(
        single(json!({"Type": "Parallel", "Branches": [], "End": true})),
        &[(SVF, "Value cannot be empty", "/States/A/Branches")],
    );
    check_diag(
        single(json!({"Type": "Task", "Resource": LAMBDA, "End": true,
                      "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"], "IntervalSeconds": 0, "BackoffRate": 0.5,
                                "MaxAttempts": -1, "JitterStrategy": "HALF"}]})),
        &[
            (
                SVF,
                "The 'States.ALL' error must appear in the last element of the array",
                "/States/A/Retry[0]",
            ),
            (
                SVF,
                "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
                "/States/A/Retry[1]/JitterStrategy",
            ),
            (SVF, "Minimum value is 1", "/States/A/Retry[1]/IntervalSeconds"),
            (SVF, "Minimum value is 0", "/States/A/Retry[1]/MaxAttempts"),
            (SVF, "Minimum value is 1.0", "/States/A/Retry[1]/BackoffRate"),
        ],
    );
    check_diag(
        single(
            json!({"Type": "Task", "Resource": LAMBDA, "End": true, "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "Z"}]}),
        ),
        &[
            (
                SVF,
                "Error name 'States.ALL' must be the only element in 'ErrorEquals'",
                "/States/A/Catch[0]/ErrorEquals",
            ),
            (MTT, "Missing 'Next' target: Z", "/States/A/Catch[0]/Next"),
        ],
    );
    check_diag(
        single(json!({"Type": "Task", "Resource": LAMBDA, "End": true, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"})),
        &[(SVF, "There should only be one of the following fields: [TimeoutSeconds, TimeoutSecondsPath]", "/States/A")],
    );
    check_diag(
        single(
            json!({"Type": "Task", "Resource": LAMBDA, "End": true, "TimeoutSeconds": 5, "HeartbeatSeconds": 5}),
        ),
        &[(
            SVF,
            "HeartbeatSeconds must be smaller than TimeoutSeconds",
            "/States/A/HeartbeatSeconds",
        )],
    );
    check_diag(
        single(json!({"Type": "Map", "End": true, "ToleratedFailurePercentage": 101,
                      "ItemProcessor": {"QueryLanguage": "JSONPath", "StartAt": "B", "States": {"B": {"Type": "Succeed"}}}})),
        &[
            (SVF, "Field 'QueryLanguage' is not supported", "/States/A/ItemProcessor"),
            (SVF, "Maximum value is 100.0", "/States/A/ToleratedFailurePercentage"),
        ],
    );
    // Nested graphs cannot reach outer states.
    check_diag(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "P"}}}]}}}),
        &[
            (MTT, "Missing 'Next' target: P", "/States/P/Branches[0]/States/B/Next"),
            ("MISSING_END_STATE", "Workflow has no terminal state", ""),
        ],
    );
    check_diag(
        single(json!({"Type": "Pass", "End": true, "ResultPath": "$.a[*]"})),
        &[(SVF, "Value is not a Reference Path", "/States/A/ResultPath")],
    );
}

#[test]
fn invalid_json_and_error_message() {
    let d = diags("not a definition");
    assert_eq!(d[0].0, "INVALID_JSON_DESCRIPTION");
    assert_eq!(d[0].2, "[Source: (String)\"not a definition\"; line: 1, column: 4]");
    assert_eq!(
        diags(""),
        vec![(SVF.into(), "Definition must be a valid JSON object".into(), String::new())]
    );
    let v = Machine::parse(
        r#"{"StartAt":"pass1","States":{"pass1":{"Type":"Pass","Next":"pass3"},"pass2":{"Type":"Pass","End":true}}}"#,
    );
    assert_eq!(
        error_message(&v.diagnostics),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2'"
    );
    let v = Machine::parse(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}"#,
    );
    assert_eq!(
        error_message(&v.diagnostics),
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"
    );
}

#[test]
fn never_panics() {
    let samples = [
        "",
        "{",
        "null",
        "[]",
        "1",
        "\"x\"",
        r#"{"StartAt":1,"States":[]}"#,
        r#"{"StartAt":"A","States":{}}"#,
        r#"{"StartAt":"A","States":{"A":1}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":1}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Map","End":true,"ItemProcessor":1}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Map","End":true,"Iterator":{"StartAt":"B","States":{"B":{"Type":"Map","End":true,"Iterator":{}}}}}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[1,{},{"Next":1}],"Default":[]}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":1,"Retry":[1,{"ErrorEquals":[1]}],"Catch":{},"TimeoutSeconds":1e300,"HeartbeatSecondsPath":5,"End":"yes"}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":-1,"Next":"A"}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Fail","ErrorPath":7,"CausePath":"nope"}}}"#,
        r#"{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[1,{},{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}],"End":true}}}"#,
    ];
    for s in samples {
        let v = Machine::parse(s);
        assert!(v.machine.is_none() && !v.diagnostics.is_empty(), "{s}");
    }
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":[1,2]},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Succeed"}}}"#;
    for i in 0..def.len() {
        let _ = Machine::parse(&def[..i]);
    }
}

#[test]
fn pass_states() {
    check(single(json!({"Type": "Pass", "End": true})), json!({"a": 1}), json!({"a": 1}));
    check(
        single(json!({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "End": true})),
        json!({"a": 1}),
        json!({"a": 1, "r": {"x": 1}}),
    );
    check(
        single(json!({"Type": "Pass", "Result": 5, "ResultPath": null, "End": true})),
        json!({"a": 1}),
        json!({"a": 1}),
    );
    check(
        single(
            json!({"Type": "Pass", "InputPath": "$.a", "Parameters": {"v.$": "$.b", "k": 1}, "ResultPath": "$.out",
                      "OutputPath": "$.out", "End": true}),
        ),
        json!({"a": {"b": 2}}),
        json!({"v": 2, "k": 1}),
    );
    check(
        single(json!({"Type": "Pass", "InputPath": null, "End": true})),
        json!({"a": 1}),
        json!({}),
    );
    check(
        single(json!({"Type": "Pass", "OutputPath": null, "End": true})),
        json!({"a": 1}),
        json!({}),
    );
    check_fault(
        single(json!({"Type": "Pass", "InputPath": "$.NoSuchInputPath", "End": true})),
        json!({}),
        "States.Runtime",
        "An error occurred while executing the state 'A' (entered at the event id #2). Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']",
    );
    check_fault(
        single(json!({"Type": "Pass", "OutputPath": "$.no.such.result.path", "End": true})),
        json!({}),
        "States.Runtime",
        "An error occurred while executing the state 'A' (entered at the event id #2). Invalid path '$.no.such.result.path' : Missing property in path $['no']",
    );
}

#[test]
fn choice_fail_succeed() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "One"}], "Default": "F"},
        "One": {"Type": "Succeed", "OutputPath": "$.x"},
        "F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "boom"}}});
    check(def.clone(), json!({"x": 1}), json!(1));
    check_fault(def.clone(), json!({"x": 2, "e": "Bad"}), "Bad", "boom");
    check_fault(
        def,
        json!({"x": 2}),
        "States.Runtime",
        "An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.e' specified for the field 'ErrorPath' could not be found in the input '{\"x\":2}'",
    );
    check_fault(
        json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "S"}]},
                                          "S": {"Type": "Succeed"}}}),
        json!({"x": 2}),
        // The spec's predefined error for a Choice with no match and no Default.
        "States.NoChoiceMatched",
        "No Matches!",
    );
}

#[test]
fn wait_states() {
    let w = |spec: Value| {
        let mut s = json!({"Type": "Wait", "End": true});
        s.as_object_mut().unwrap().extend(spec.as_object().unwrap().clone());
        single(s)
    };
    let ctx = json!({});
    let vars = serde_json::Map::new();
    let m = machine(&w(json!({"SecondsPath": "$.s"})));
    let input = json!({"s": 3});
    assert_eq!(
        m.enter(StateId(0), &env(&input, &ctx, &vars)),
        Entered::Wait(WaitUntil::Seconds(3))
    );
    let m = machine(&w(json!({"TimestampPath": "$.t"})));
    let input = json!({"t": "1970-01-01T00:00:01Z"});
    assert_eq!(
        m.enter(StateId(0), &env(&input, &ctx, &vars)),
        Entered::Wait(WaitUntil::TimestampMillis(1000))
    );
    let prefix = "An error occurred while executing the state 'A' (entered at the event id #2). ";
    for (input, cause) in [
        (json!({}), "The SecondsPath parameter does not reference an input value: $.s"),
        (json!({"s": -1}), "The SecondsPath parameter references a negative value: $.s == -1"),
        (
            json!({"s": 1.5}),
            "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5",
        ),
    ] {
        check_fault(
            w(json!({"SecondsPath": "$.s"})),
            input,
            "States.Runtime",
            &format!("{prefix}{cause}"),
        );
    }
    check_fault(
        w(json!({"TimestampPath": "$.t"})),
        json!({"t": "2016-12-05 21:29:29Z"}),
        "States.Runtime",
        &format!("{prefix}The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == 2016-12-05 21:29:29Z"),
    );
    check(w(json!({"Seconds": 0, "OutputPath": "$.a"})), json!({"a": 7}), json!(7));
}

#[test]
fn task_io_and_errors() {
    let task = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "InputPath": "$.in", "Parameters": {"p.$": "$.v"},
              "ResultSelector": {"r.$": "$.task"}, "ResultPath": "$.res", "OutputPath": "$.res", "End": true,
              "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 2, "BackoffRate": 3}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}]},
        "H": {"Type": "Pass", "End": true}}});
    check(task.clone(), json!({"in": {"v": 5}}), json!({"r": {"p": 5}}));
    let m = machine(&task);
    let ctx = json!({});
    let vars = serde_json::Map::new();
    let input = json!({"in": {"v": 5}});
    let e = env(&input, &ctx, &vars);
    match m.enter(StateId(0), &e) {
        Entered::Task { resource, parameters, .. } => {
            assert_eq!(resource, LAMBDA);
            assert_eq!(parameters, json!({"p": 5}));
        }
        other => panic!("{other:?}"),
    }
    let flaky = Fault::new("Flaky", "c");
    assert_eq!(
        m.on_error(StateId(0), &e, &flaky, &[0], 0.0),
        ErrorDecision::Retry { retrier: 0, delay_ms: 2000 }
    );
    assert_eq!(
        m.on_error(StateId(0), &e, &flaky, &[1], 0.0),
        ErrorDecision::Retry { retrier: 0, delay_ms: 6000 }
    );
    assert_eq!(
        m.on_error(StateId(0), &e, &flaky, &[2], 0.0),
        ErrorDecision::Catch {
            next: StateId(1),
            output: json!({"in": {"v": 5}, "err": {"Error": "Flaky", "Cause": "c"}}),
            assigned: None
        }
    );
    // States.ALL does not catch States.Runtime.
    assert_eq!(m.on_error(StateId(0), &e, &Fault::runtime("x"), &[0], 0.0), ErrorDecision::Fail);
    check_fault(
        single(json!({"Type": "Task", "Resource": LAMBDA, "TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath", "End": true})),
        json!({}),
        "States.Runtime",
        "An error occurred while executing the state 'A' (entered at the event id #2). Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']",
    );
}

#[test]
fn parallel_and_map() {
    let m = machine(&json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Parameters": {"x.$": "$.a"}, "ResultSelector": {"first.$": "$[0]"}, "ResultPath": "$.p", "Next": "M",
              "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
                           {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": true}}}]},
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3, "ToleratedFailureCount": 1,
              "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "a.$": "$.a"},
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}));
    let ctx = json!({"Execution": {}});
    let vars = serde_json::Map::new();
    let input = json!({"a": 1, "items": ["x", "y"]});
    let e = env(&input, &ctx, &vars);
    let p = m.find(GraphId(0), "P").unwrap();
    let mid = m.find(GraphId(0), "M").unwrap();
    let Entered::Parallel(branches) = m.enter(p, &e) else { panic!() };
    assert_eq!(
        branches.iter().map(|b| b.1.clone()).collect::<Vec<_>>(),
        vec![json!({"x": 1}), json!({"x": 1})]
    );
    assert!(branches.iter().all(|(id, _)| m.state(*id).graph() != m.state(p).graph()));
    let out = m.complete(p, &e, json!([{"x": 1}, {"x": 1}])).unwrap();
    assert_eq!(
        out,
        Outcome::Next {
            next: mid,
            output: json!({"a": 1, "items": ["x", "y"], "p": {"first": {"x": 1}}}),
            assigned: None
        }
    );
    match m.enter(mid, &e) {
        Entered::Map { items, max_concurrency, tolerated_failure_count, .. } => {
            assert_eq!(
                items,
                vec![json!({"i": 0, "v": "x", "a": 1}), json!({"i": 1, "v": "y", "a": 1})]
            );
            assert_eq!((max_concurrency, tolerated_failure_count), (3, Some(1)));
        }
        other => panic!("{other:?}"),
    }
    let bad = json!({"a": 1, "items": {"k": 1}});
    let Entered::Failed(f) = m.enter(mid, &env(&bad, &ctx, &vars)) else { panic!() };
    assert_eq!(
        fill(f).cause,
        "An error occurred while executing the state 'M' (entered at the event id #2). Reference path \"$.items\" must point to array."
    );
    assert!(m.state(mid).is_end());
}

/// The engine skips building the Context object for machines that cannot read it, so
/// every way of reading it must be seen.
#[test]
fn reads_context_sees_every_way_to_the_context_object() {
    let reads = |definition: &str| {
        Machine::parse(definition).machine.expect("a valid definition").reads_context()
    };
    let pass = |fields: &str| {
        format!(
            r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Pass", {fields} "End": true}}}}}}"#
        )
    };
    assert!(!reads(&pass(r#""Parameters": {"i.$": "$.i"}, "ResultPath": "$.r","#)));
    assert!(reads(&pass(r#""Parameters": {"id.$": "$$.Execution.Id"},"#)));
    assert!(reads(&pass(r#""Parameters": {"s.$": "States.Format('{}', $$.State.Name)"},"#)));
    // An escaped dollar is still a dollar once the JSON is parsed.
    assert!(reads(&pass(r#""Parameters": {"id.$": "\u0024$.Execution.Id"},"#)));
    assert!(reads(&pass(r#""InputPath": "$$.Execution.Input","#)));
    assert!(reads(&pass(
        r#""QueryLanguage": "JSONata", "Output": "{% $states.context.Execution.Id %}","#
    )));
    let map = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemSelector": {"index.$": "$$.Map.Item.Index"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}"#;
    assert!(reads(map));
}

/// `enter_taking` is `enter` without a copy: same outcome for every kind of Pass and
/// Choice, and a state that may need its input again (a Task, for its Retry and Catch)
/// keeps it, as does a Choice that fails before choosing.
#[test]
fn enter_taking_matches_enter() {
    let input = json!({"a": {"b": 1}, "list": [1, 2, 3]});
    let ctx = json!({"Execution": {"Id": "e"}});
    let mut vars = serde_json::Map::new();
    vars.insert("v".into(), json!(7));
    let rule = |r: Value| {
        let mut r = r;
        r["Next"] = json!("N");
        r
    };
    let passes = [
        json!({"Type": "Pass", "End": true}),
        json!({"Type": "Pass", "Next": "N"}),
        json!({"Type": "Pass", "ResultPath": null, "End": true}),
        json!({"Type": "Pass", "ResultPath": "$.copy", "End": true}),
        json!({"Type": "Pass", "ResultPath": "$.a.b.c", "End": true}),
        json!({"Type": "Pass", "OutputPath": "$.a", "End": true}),
        json!({"Type": "Pass", "OutputPath": "$.nope", "End": true}),
        json!({"Type": "Pass", "InputPath": null, "End": true}),
        json!({"Type": "Pass", "InputPath": "$.nope", "End": true}),
        json!({"Type": "Pass", "InputPath": "$.list[1]", "ResultPath": "$.one", "End": true}),
        json!({"Type": "Pass", "Assign": {"all.$": "$", "w.$": "$v"}, "End": true}),
        json!({"Type": "Pass", "Result": 1, "InputPath": "$.nope", "End": true}),
        json!({"Type": "Pass", "Parameters": {"n.$": "$.nope"}, "End": true}),
        json!({"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id", "s": 1}, "ResultPath": "$.p", "OutputPath": "$.p", "End": true}),
        json!({"Type": "Pass", "ResultPath": "$.r", "Parameters": {"x.$": "$.a.b"}, "End": true}),
        json!({"Type": "Pass", "ResultPath": null, "Result": 5, "End": true}),
        json!({"Type": "Pass", "Result": {"k": "v"}, "OutputPath": "$.k", "End": true}),
        json!({"Type": "Pass", "InputPath": "$.a", "ResultPath": "$.c", "End": true}),
        json!({"Type": "Pass", "ResultPath": "$.list.x", "End": true}),
        json!({"Type": "Pass", "Assign": {"v.$": "$.a"}, "ResultPath": "$.r", "End": true}),
        json!({"Type": "Task", "Resource": "arn:aws:states:us-east-1:1:activity:a", "End": true}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.a.b", "NumericEquals": 1}))]}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.a.b", "NumericEquals": 2}))], "Default": "N"}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.a.b", "NumericEquals": 2}))]}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.nope", "NumericEquals": 2}))], "Default": "N"}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.list", "IsPresent": true, "Assign": {"x.$": "$.a"}}))], "Assign": {"y": 1}, "OutputPath": "$.list"}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.b", "IsPresent": true}))], "Default": "N", "Assign": {"y.$": "$.a.b"}}),
        json!({"Type": "Choice", "Choices": [rule(json!({"Variable": "$.b", "IsPresent": true}))], "Default": "N", "OutputPath": "$.nope"}),
        json!({"Type": "Choice", "InputPath": "$.a", "Choices": [rule(json!({"Variable": "$.b", "NumericEquals": 1}))], "OutputPath": "$.b"}),
        json!({"Type": "Choice", "InputPath": "$$.Execution", "Choices": [rule(json!({"Variable": "$.Id", "StringEquals": "e"}))]}),
    ];
    for state in passes {
        let mut states = json!({"S": state});
        if state.to_string().contains(r#""N""#) {
            states["N"] = json!({"Type": "Succeed"});
        }
        let m = machine(&json!({"StartAt": "S", "States": states}));
        let expected = format!("{:?}", m.enter(m.start_state(), &env(&input, &ctx, &vars)));
        let mut lent = input.clone();
        let scope = env(&Value::Null, &ctx, &vars);
        let got = format!("{:?}", m.enter_taking(m.start_state(), &mut lent, scope));
        assert_eq!(got, expected, "{state}");
        if state["Type"] == "Task" {
            assert_eq!(lent, input, "a Task keeps its input");
        }
        if state["Type"] == "Choice" && expected.starts_with("Failed") && lent != Value::Null {
            assert_eq!(lent, input, "a Choice that fails keeps its input or takes it whole");
        }
    }
}
