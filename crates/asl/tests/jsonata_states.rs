//! JSONata as a query language of states (`QueryLanguage: JSONata`), checked against AWS's
//! recordings (LocalStack's `tests/aws/services/stepfunctions/v2/{query_language,
//! evaluate_jsonata,arguments,outputdecl,states_variables,scenarios}`).
//!
//! The driver (`common`) plays the engine.
mod common;

use common::run;
use serde_json::{json, Value};
use stepwise_asl::jsonata::evaluation_location;
use stepwise_asl::{Fault, Machine, WaitUntil};

const QEE: &str = "States.QueryEvaluationError";

/// One row: name, definition, input → output or (error, cause).
type Case<'a> = (&'a str, Value, Value, Result<Value, (&'a str, &'a str)>);

/// Table: name, definition, input → output or (error, cause).
fn check(cases: Vec<Case<'_>>) {
    for (name, def, input, expected) in cases {
        let (res, _) = run(&def, input);
        let res = res.map_err(|f| (f.error, f.cause));
        let expected = expected.map_err(|(e, c)| (e.to_owned(), c.to_owned()));
        assert_eq!(res, expected, "{name}");
    }
}

/// A one-state JSONata machine.
fn one(state: Value) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "State0", "States": {"State0": state}})
}

fn prefix(state: &str, rest: &str) -> String {
    format!("An error occurred while executing the state '{state}' (entered at the event id #2). {rest}")
}

#[test]
fn outputs_and_arguments() {
    let undefined = |field: &str| {
        prefix(
            "State0",
            &format!("The JSONata expression '$doesNotExist' specified for the field '{field}' returned nothing (undefined)."),
        )
    };
    let (u_out, u_out_r, u_args, u_args_f, u_assign) = (
        undefined("Output"),
        undefined("Output/result"),
        undefined("Arguments"),
        undefined("Arguments/FunctionName"),
        undefined("Assign/result"),
    );
    let task = "arn:aws:states:::lambda:invoke";
    check(vec![
        ("pass default output is input", one(json!({"Type": "Pass", "End": true})), json!({"a": 1}), Ok(json!({"a": 1}))),
        (
            "pass output literal and nested expressions",
            one(json!({"Type": "Pass", "End": true, "Output": {"lit": "$.a", "sum": "{% $states.input.a + 1 %}", "arr": [1, "{% $number('2') %}", 3]}})),
            json!({"a": 1}),
            Ok(json!({"lit": "$.a", "sum": 2, "arr": [1, 2, 3]})),
        ),
        ("pass output any value", one(json!({"Type": "Pass", "End": true, "Output": "{% [1, 'x', true] %}"})), json!({}), Ok(json!([1, "x", true]))),
        ("pass output string literal", one(json!({"Type": "Pass", "End": true, "Output": "plain"})), json!({}), Ok(json!("plain"))),
        ("regex", one(json!({"Type": "Pass", "End": true, "Output": r#"{% $contains("hello$world", /^hello\$/) %}"#})), json!({}), Ok(json!(true))),
        ("context", one(json!({"Type": "Pass", "End": true, "Output": "{% $states.context.Execution.Input.k %}"})), json!({"k": "v"}), Ok(json!("v"))),
        ("undefined output", one(json!({"Type": "Pass", "End": true, "Output": "{% $doesNotExist %}"})), json!({}), Err((QEE, &u_out))),
        ("undefined nested output", one(json!({"Type": "Pass", "End": true, "Output": {"result": "{% $doesNotExist %}"}})), json!({}), Err((QEE, &u_out_r))),
        ("undefined assign", one(json!({"Type": "Pass", "End": true, "Assign": {"result": "{% $doesNotExist %}"}})), json!({}), Err((QEE, &u_assign))),
        ("undefined arguments", one(json!({"Type": "Task", "Resource": task, "End": true, "Arguments": "{% $doesNotExist %}"})), json!({}), Err((QEE, &u_args))),
        ("undefined nested arguments", one(json!({"Type": "Task", "Resource": task, "End": true, "Arguments": {"FunctionName": "{% $doesNotExist %}"}})), json!({}), Err((QEE, &u_args_f))),
        ("task default output is the result", one(json!({"Type": "Task", "Resource": task, "End": true, "Arguments": {"x": "{% $states.input.v %}"}})), json!({"v": 7}), Ok(json!({"Payload": {"x": 7}}))),
        ("task without arguments sends the input", one(json!({"Type": "Task", "Resource": task, "End": true})), json!({"v": 7}), Ok(json!({"Payload": {"v": 7}}))),
        (
            "task output with result and input",
            one(json!({"Type": "Task", "Resource": task, "End": true, "Arguments": {"x": 1}, "Output": {"in": "{% $states.input %}", "r": "{% $states.result.Payload.x %}"}})),
            json!({"v": 7}),
            Ok(json!({"in": {"v": 7}, "r": 1})),
        ),
        (
            "function result is not JSON",
            one(json!({"Type": "Pass", "End": true, "Output": "{% function($x){$x} %}"})),
            json!({}),
            Err((QEE, &prefix("State0", "The JSONata expression 'function($x){$x}' specified for the field 'Output' returned an unsupported result type."))),
        ),
        (
            "evaluation error",
            one(json!({"Type": "Pass", "End": true, "Output": {"FunctionResult": "{% $randomSeeded($states.input.fst) %}"}})),
            json!({"fst": 1}),
            Err((QEE, &prefix("State0", "The JSONata expression '$randomSeeded($states.input.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"))),
        ),
    ]);
}

#[test]
fn variables_and_mixed_languages() {
    let task = "arn:aws:states:::lambda:invoke";
    // query_language/jsonpath_to_jsonata_dataflow.json5
    let dataflow = json!({
        "StartAt": "StateJsonPath",
        "States": {
            "StateJsonPath": {
                "QueryLanguage": "JSONPath", "Type": "Pass",
                "Result": {"riddle": "What?"},
                "Assign": {"answer": 42, "inputData.$": "$"},
                "ResultPath": "$.enigma.mystery", "Next": "StateJsonata"
            },
            "StateJsonata": {
                "QueryLanguage": "JSONata", "Type": "Task", "Resource": task,
                "Arguments": {"FunctionName": "{% $states.input.functionName %}", "Payload": {"theQuestion": "{% $states.input.enigma.mystery.riddle %}", "theAnswer": "{% $answer %}"}},
                "Assign": {"answer": "<omitted>", "message": "{% $states.result %}"},
                "Output": {"result": "{% $states.result.Payload.Payload %}", "answerBefore": "{% $answer %}"},
                "Next": "Last"
            },
            "Last": {"Type": "Pass", "End": true, "Parameters": {"answer.$": "$answer", "fn.$": "$message.Payload.FunctionName", "r.$": "$.result"}}
        }
    });
    check(vec![(
        "jsonpath to jsonata dataflow, evaluation before assignment",
        dataflow,
        json!({"functionName": "f"}),
        Ok(
            json!({"answer": "<omitted>", "fn": "f", "r": {"theQuestion": "What?", "theAnswer": 42}}),
        ),
    )]);
}

#[test]
fn choice_wait_fail_map_parallel() {
    // outputdecl/choice_condition_jsonata.json5
    let choice = json!({
        "QueryLanguage": "JSONata", "StartAt": "ChoiceState",
        "States": {
            "ChoiceState": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.condition %}", "Next": "ConditionTrue", "Output": "Condition Output block", "Assign": {"x": 1}}],
                "Default": "DefaultState", "Output": "Default Output block"
            },
            "ConditionTrue": {"Type": "Pass", "End": true, "Output": {"in": "{% $states.input %}", "x": "{% $x %}"}},
            "DefaultState": {"Type": "Fail", "Error": "{% 'E' & $states.input %}", "Cause": "Condition is false"}
        }
    });
    let map = json!({
        "QueryLanguage": "JSONata", "StartAt": "M",
        "States": {"M": {
            "Type": "Map", "Items": "{% $states.input.items %}", "MaxConcurrency": "{% $variable := 1 %}",
            "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}", "k": "{% $states.input.k %}"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "Output": "{% $states.result.v %}",
            "End": true
        }}
    });
    let items_fail = |lit: &str| {
        one(
            json!({"Type": "Map", "Items": format!("{{% {lit} %}}"), "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}),
        )
    };
    let items_cause = |lit: &str, ty: &str, v: &str| {
        prefix("State0", &format!("The JSONata expression '{lit}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{ty}' for value: {v}"))
    };
    let (c1, c2, c3) = (
        items_cause("'string'", "string", "\"string\""),
        items_cause("{'foo': 'bar'}", "object", "{\"foo\":\"bar\"}"),
        items_cause("null", "null", "null"),
    );
    let parallel = one(json!({
        "Type": "Parallel", "Arguments": {"n": "{% $states.input.n * 2 %}"}, "End": true,
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true, "Output": "{% $states.input.n %}"}}}],
        "Output": "{% $sum($states.result) %}"
    }));
    let wait = one(
        json!({"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": true, "Output": "{% 'waited' %}"}),
    );
    check(vec![
        (
            "choice rule output",
            choice.clone(),
            json!({"condition": true}),
            Ok(json!({"in": "Condition Output block", "x": 1})),
        ),
        (
            "choice default to fail",
            choice,
            json!({"condition": false}),
            Err(("EDefault Output block", "Condition is false")),
        ),
        ("map", map, json!({"items": ["a", "b"], "k": 9}), Ok(json!(["a", "b"]))),
        ("map items string", items_fail("'string'"), json!({}), Err((QEE, &c1))),
        ("map items object", items_fail("{'foo': 'bar'}"), json!({}), Err((QEE, &c2))),
        ("map items null", items_fail("null"), json!({}), Err((QEE, &c3))),
        (
            "map items literal",
            one(
                json!({"Type": "Map", "Items": [1, "{% 1 + 1 %}"], "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}),
            ),
            json!({}),
            Ok(json!([1, 2])),
        ),
        ("parallel", parallel, json!({"n": 3}), Ok(json!(6))),
        ("wait", wait.clone(), json!({"s": 5}), Ok(json!("waited"))),
    ]);
    let (_, r) = run(&wait, json!({"s": 5}));
    assert_eq!(r.waits, vec![WaitUntil::Seconds(5)]);
    let task = one(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30, "HeartbeatSeconds": "{% $variable := 1 %}", "End": true}),
    );
    let (_, r) = run(&task, json!({}));
    assert_eq!(r.tasks[0].1, Some(30));
    assert_eq!(r.tasks[0].2, Some(1));
}

#[test]
fn catch_error_output() {
    // states_variables/task_catch_error_output.json5 (with a failing resource)
    let def = json!({
        "StartAt": "Task",
        "States": {
            "Task": {
                "Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:fail",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {"stateInput": "{% $states.input %}", "stateError": "{% $states.errorOutput %}"}, "Assign": {"e": "{% $states.errorOutput.Error %}"}, "Next": "Fallback"}],
                "Output": {"stateResult": "{% $states.result %}"},
                "Next": "Finish"
            },
            "Fallback": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"error": "{% $states.input %}", "e": "{% $e %}"}, "End": true},
            "Finish": {"Type": "Pass", "End": true}
        }
    });
    check(vec![(
        "catch output and assign",
        def,
        json!({"in": 1}),
        Ok(
            json!({"error": {"stateInput": {"in": 1}, "stateError": {"Error": "Boom", "Cause": "it broke"}}, "e": "Boom"}),
        ),
    )]);
    let f = Fault::new(QEE, prefix("Fallback", "The JSONata expression '$stateError' specified for the field 'Output/error' returned nothing (undefined)."));
    assert_eq!(evaluation_location(&f), Some("Output/error"));
    assert_eq!(evaluation_location(&Fault::new("States.Runtime", "x")), None);
}

#[test]
fn definition_diagnostics() {
    // name, definition → (code, message, location) of each diagnostic.
    type Diagnostics<'a> = Vec<(&'a str, &'a str, &'a str)>;
    let cases: Vec<(&str, Value, Diagnostics<'_>)> = vec![
        (
            "downgrade",
            json!({"QueryLanguage": "JSONata", "StartAt": "Pass", "States": {"Pass": {"QueryLanguage": "JSONPath", "Type": "Pass", "End": true}}}),
            vec![("SCHEMA_VALIDATION_FAILED", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", "/States/Pass")],
        ),
        (
            "jsonpath field in a jsonata state",
            one(json!({"Type": "Pass", "InputPath": "$.a", "End": true})),
            vec![("SCHEMA_VALIDATION_FAILED", "The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage", "/States/State0")],
        ),
        (
            "jsonata field in a jsonpath state",
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": 1, "End": true}}}),
            vec![("SCHEMA_VALIDATION_FAILED", "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage", "/States/A")],
        ),
        (
            "invalid expression",
            one(json!({"Type": "Pass", "Output": {"v": "{% 1 + %}"}, "End": true})),
            vec![("INVALID_JSONATA_EXPRESSION", "", "/States/State0/Output/v")],
        ),
        (
            "eval refused",
            one(json!({"Type": "Pass", "Output": "{% $eval('1') %}", "End": true})),
            vec![("INVALID_JSONATA_EXPRESSION", "", "/States/State0/Output")],
        ),
    ];
    for (name, def, expected) in cases {
        let v = Machine::parse(&def.to_string());
        assert!(v.machine.is_none(), "{name}");
        let got: Vec<(String, String, String)> = v
            .diagnostics
            .iter()
            .map(|d| (d.code.clone(), d.message.clone(), d.location.clone()))
            .collect();
        assert_eq!(got.len(), expected.len(), "{name}: {got:?}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.0, e.0, "{name}");
            if !e.1.is_empty() {
                assert_eq!(g.1, e.1, "{name}");
            }
            assert_eq!(g.2, e.2, "{name}");
        }
    }
    // Valid: JSONPath top level with a JSONata state; literal numbers and expressions.
    for ok in [
        json!({"StartAt": "A", "States": {"A": {"QueryLanguage": "JSONata", "Type": "Pass", "End": true}}}),
        one(json!({"Type": "Wait", "Timestamp": "{% $now() %}", "End": true})),
        one(
            json!({"Type": "Map", "MaxConcurrency": 1, "ToleratedFailureCount": "{% 1 %}", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}),
        ),
    ] {
        let v = Machine::parse(&ok.to_string());
        assert!(v.machine.is_some(), "{ok}: {:?}", v.diagnostics);
    }
}

/// The expressions of one phase (`enter`, `complete`, a catcher) share one scope: each sees
/// `$states` with exactly the fields of its phase, in AWS's order, the variables from before
/// the state, and (in a Map's `ItemSelector`) its own item's context, while the fields
/// evaluated after `ItemSelector` see the state's context again.
#[test]
fn one_scope_per_phase() {
    let def = json!({
        "QueryLanguage": "JSONata", "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemSelector": {
                    "keys": "{% $keys($states) %}",
                    "v": "{% $states.context.Map.Item.Value %}",
                    "i": "{% $states.context.Map.Item.Index %}",
                    "x": "{% $x %}"
                },
                "MaxConcurrency": "{% $exists($states.context.Map) ? 7 : 3 %}",
                "ToleratedFailureCount": "{% $count($keys($states.context)) %}",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                "Assign": {"x": "{% $x + 10 %}", "enterKeys": "{% $keys($states) %}"},
                "Output": {"keys": "{% $keys($states) %}", "r": "{% $states.result %}", "x": "{% $x %}"},
                "Next": "T"
            },
            "T": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:fail",
                "Arguments": {"keys": "{% $keys($states) %}", "x": "{% $x %}"},
                "Catch": [{
                    "ErrorEquals": ["States.ALL"], "Next": "Done",
                    "Assign": {"x": "{% $x + 100 %}"},
                    "Output": {"keys": "{% $keys($states) %}", "e": "{% $states.errorOutput.Error %}", "x": "{% $x %}", "m": "{% $states.input.x %}"}
                }],
                "End": true
            },
            "Done": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "x": "{% $x %}", "keys": "{% $keys($states) %}"}, "End": true}
        }
    });
    let (res, r) = run(&def, json!({"items": ["a", "b", "c"]}));
    let map_out = json!({
        "keys": ["input", "context", "result"],
        "r": [
            {"keys": ["input", "context"], "v": "a", "i": 0, "x": 1},
            {"keys": ["input", "context"], "v": "b", "i": 1, "x": 1},
            {"keys": ["input", "context"], "v": "c", "i": 2, "x": 1}
        ],
        "x": 1
    });
    assert_eq!(
        res.unwrap(),
        json!({
            "in": {"keys": ["input", "context", "errorOutput"], "e": "Boom", "x": 11, "m": map_out["x"]},
            "x": 111,
            "keys": ["input", "context"]
        })
    );
    // MaxConcurrency and ToleratedFailureCount, evaluated after the items, saw no `Map` in
    // the context (whose only field is `Execution`).
    assert_eq!(r.maps, vec![(3, None, Some(1))]);
    assert_eq!(r.tasks[0].0, json!({"keys": ["input", "context"], "x": 11}));
    assert_eq!(
        r.log[1],
        ("M".to_owned(), json!({"x": 11, "enterKeys": ["input", "context", "result"]}))
    );
}

/// A failing expression after others of its phase succeeded still names its own field.
#[test]
fn later_expression_of_a_phase_fails() {
    let def = one(json!({
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"a": "{% $states.input.a %}", "b": "{% $states.input.b %}"},
        "Assign": {"ok": "{% $states.result.Payload.a %}"},
        "Output": {"a": "{% $states.result.Payload.a %}", "c": "{% $states.result.Payload.c %}"},
        "End": true
    }));
    let cause = |field: &str, expr: &str| {
        prefix(
            "State0",
            &format!("The JSONata expression '{expr}' specified for the field '{field}' returned nothing (undefined)."),
        )
    };
    let (c1, c2) =
        (cause("Arguments/b", "$states.input.b"), cause("Output/c", "$states.result.Payload.c"));
    check(vec![
        ("arguments", def.clone(), json!({"a": 1}), Err((QEE, &c1))),
        ("output", def, json!({"a": 1, "b": 2}), Err((QEE, &c2))),
    ]);
}
