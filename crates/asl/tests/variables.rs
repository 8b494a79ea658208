//! Workflow variables (`Assign`, JSONPath mode), checked against AWS's recordings
//! (LocalStack's `tests/aws/services/stepfunctions/v2/assign/*.snapshot.json`).
//!
//! The driver (`common`) plays the engine.
mod common;

use common::{Run, Vars};
use serde_json::{json, Value};
use stepwise_asl::{Env, ErrorDecision, Fault, Machine, WaitUntil};

fn machine(def: &Value) -> Machine {
    let v = Machine::parse(&def.to_string());
    match v.machine {
        Some(m) => m,
        None => panic!("invalid: {:?}", v.diagnostics),
    }
}

/// Runs `def` on `input`: the result, the assignments made, and the run's record.
fn run(def: &Value, input: Value) -> (Result<Value, Fault>, Vec<(String, Value)>, Run<'static>) {
    let (res, mut r) = common::run(def, input);
    let log = std::mem::take(&mut r.log);
    (res, log, r)
}

fn log(entries: &[(&str, Value)]) -> Vec<(String, Value)> {
    entries.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect()
}

/// One case: definition, input → output (or `Err((error, cause))`) and the assignments made.
struct Case {
    name: &'static str,
    def: Value,
    input: Value,
    expected: Result<Value, (&'static str, &'static str)>,
    assigned: Vec<(String, Value)>,
}

fn check(cases: Vec<Case>) {
    for c in cases {
        let (res, got_log, _) = run(&c.def, c.input.clone());
        let res = res.map_err(|f| (f.error, f.cause));
        let expected = c.expected.map_err(|(e, c)| (e.to_owned(), c.to_owned()));
        assert_eq!(res, expected, "{}: result", c.name);
        assert_eq!(got_log, c.assigned, "{}: assignments", c.name);
    }
}

fn pass_then(assign0: Value, state1: Value) -> Value {
    json!({"StartAt": "State0", "States": {
        "State0": {"Type": "Pass", "Assign": assign0, "Next": "State1"},
        "State1": state1}})
}

#[test]
fn assignments_per_state_type() {
    check(vec![
        Case {
            name: "BASE_EMPTY",
            def: json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Assign": {}, "End": true}}}),
            input: json!({"input_value": "v"}),
            expected: Ok(json!({"input_value": "v"})),
            assigned: log(&[("S", json!({}))]),
        },
        Case {
            name: "BASE_PATHS",
            def: json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "End": true, "Assign": {
                "str_path_root.$": "$", "str_path.$": "$.input_value",
                "str_contextpath.$": "$$.Execution.Id",
                "str_intrinsic_func.$": "States.Format('Format Func {}', $.input_value)"}}}}),
            input: json!({"input_value": "input_value_literal"}),
            expected: Ok(json!({"input_value": "input_value_literal"})),
            assigned: log(&[("S", json!({
                "str_path_root": {"input_value": "input_value_literal"},
                "str_path": "input_value_literal",
                "str_contextpath": "arn:aws:states:us-east-1:111111111111:execution:sm:ex",
                "str_intrinsic_func": "Format Func input_value_literal"}))]),
        },
        Case {
            name: "BASE_VAR (constants stay literal, then read back through $var)",
            def: pass_then(
                json!({"varname.$": "$.input_value", "constant_null": null, "constant_str_path": "$.no.such.path",
                       "constant_str_var": "$noSuchVar", "constant_str_intrinsic_func": "States.Format('{}', $varname)",
                       "constant_obj": {"lst": ["$varname", "$$", {"constant": 0}], "in_obj.$": "$.input_value"}}),
                json!({"Type": "Pass", "End": true, "Assign": {
                    "varname2": "varname2", "n.$": "$constant_null", "p.$": "$constant_str_path",
                    "v.$": "$constant_str_var", "f.$": "$constant_str_intrinsic_func",
                    "obj_access.$": "$constant_obj.lst", "name.$": "$varname"}}),
            ),
            input: json!({"input_value": "input_value_literal"}),
            expected: Ok(json!({"input_value": "input_value_literal"})),
            assigned: log(&[
                ("State0", json!({"varname": "input_value_literal", "constant_null": null, "constant_str_path": "$.no.such.path",
                    "constant_str_var": "$noSuchVar", "constant_str_intrinsic_func": "States.Format('{}', $varname)",
                    // Inside a value, `.$` keys are evaluated like in any payload template.
                    "constant_obj": {"lst": ["$varname", "$$", {"constant": 0}], "in_obj": "input_value_literal"}})),
                ("State1", json!({"varname2": "varname2", "n": null, "p": "$.no.such.path", "v": "$noSuchVar",
                    "f": "States.Format('{}', $varname)", "obj_access": ["$varname", "$$", {"constant": 0}],
                    "name": "input_value_literal"})),
            ]),
        },
        Case {
            name: "BASE_ASSIGN_FROM_PARAMETERS ($ is the Parameters result for Pass)",
            def: json!({"StartAt": "State0", "States": {
                "State0": {"Type": "Pass", "Parameters": {"input": "PENDING"}, "Assign": {"result.$": "$.input"}, "Next": "State1"},
                "State1": {"Type": "Pass", "Assign": {"result": "SUCCESS", "originalResult.$": "$.input"}, "End": true}}}),
            input: json!({}),
            expected: Ok(json!({"input": "PENDING"})),
            assigned: log(&[("State0", json!({"result": "PENDING"})), ("State1", json!({"result": "SUCCESS", "originalResult": "PENDING"}))]),
        },
        Case {
            name: "BASE_ASSIGN_FROM_RESULT ($ is Result, not the ResultPath-combined output)",
            def: json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Result": {"answer": 42}, "ResultPath": "$.r",
                "Assign": {"theAnswer.$": "$.answer"}, "End": true}}}),
            input: json!({}),
            expected: Ok(json!({"r": {"answer": 42}})),
            assigned: log(&[("S", json!({"theAnswer": 42}))]),
        },
        Case {
            name: "BASE_ASSIGN_IN_WAIT",
            def: json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "InputPath": "$.a",
                "Assign": {"foo": "oof", "a.$": "$"}, "End": true}}}),
            input: json!({"a": {"b": 1}}),
            expected: Ok(json!({"b": 1})),
            assigned: log(&[("W", json!({"foo": "oof", "a": {"b": 1}}))]),
        },
        Case {
            name: "Task: $ is the ResultSelector output; Parameters and TimeoutSecondsPath read variables",
            def: json!({"StartAt": "Pass", "States": {
                "Pass": {"Type": "Pass", "Assign": {"functionName.$": "$.FunctionName", "inputData": {"foo": "oof"}, "timeout": 300}, "Next": "Task"},
                "Task": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$timeout",
                    "Parameters": {"Payload.$": "$inputData", "FunctionName.$": "$functionName"},
                    "ResultSelector": {"p.$": "$.Payload.Payload"},
                    "Assign": {"result.$": "$.p", "old.$": "$timeout"}, "OutputPath": "$.p", "Next": "End"},
                "End": {"Type": "Pass", "Assign": {"previousResult.$": "$result", "timeout": 150}, "End": true}}}),
            input: json!({"FunctionName": "fn"}),
            expected: Ok(json!({"foo": "oof"})),
            assigned: log(&[
                ("Pass", json!({"functionName": "fn", "inputData": {"foo": "oof"}, "timeout": 300})),
                ("Task", json!({"result": {"foo": "oof"}, "old": 300})),
                ("End", json!({"previousResult": {"foo": "oof"}, "timeout": 150})),
            ]),
        },
        Case {
            name: "BASE_REFERENCE_IN_FAIL",
            def: pass_then(
                json!({"errorVar": "Exception", "causeVar": "An Exception was encountered"}),
                json!({"Type": "Fail", "CausePath": "$causeVar", "ErrorPath": "$errorVar"}),
            ),
            input: json!({}),
            expected: Err(("Exception", "An Exception was encountered")),
            assigned: log(&[("State0", json!({"errorVar": "Exception", "causeVar": "An Exception was encountered"}))]),
        },
        Case {
            name: "BASE_REFERENCE_IN_INPUTPATH",
            def: pass_then(json!({"theAnswer": 42}), json!({"Type": "Pass", "InputPath": "$theAnswer", "End": true})),
            input: json!({}),
            expected: Ok(json!(42)),
            assigned: log(&[("State0", json!({"theAnswer": 42}))]),
        },
        Case {
            name: "BASE_REFERENCE_IN_OUTPUTPATH",
            def: pass_then(json!({"theAnswer": 42}), json!({"Type": "Pass", "OutputPath": "$theAnswer", "End": true})),
            input: json!({}),
            expected: Ok(json!(42)),
            assigned: log(&[("State0", json!({"theAnswer": 42}))]),
        },
        Case {
            name: "BASE_REFERENCE_IN_PARAMETERS",
            def: json!({"StartAt": "State0", "States": {
                "State0": {"Type": "Pass", "Parameters": {"result": "$result"}, "Assign": {"result": "foobar"}, "Next": "State1"},
                "State1": {"Type": "Pass", "ResultPath": "$.result", "Parameters": {"result.$": "$result"}, "End": true}}}),
            input: json!({}),
            expected: Ok(json!({"result": {"result": "foobar"}})),
            assigned: log(&[("State0", json!({"result": "foobar"}))]),
        },
        Case {
            name: "BASE_REFERENCE_IN_INTRINSIC_FUNCTION",
            def: pass_then(
                json!({"json1": {"a": 1}, "json2": {"c": 3}, "value1": 5, "value2": 3, "name": "John", "csv": "a,b"}),
                json!({"Type": "Pass", "End": true, "Parameters": {
                    "merged.$": "States.JsonMerge($json1, $json2, false)", "sum.$": "States.MathAdd($value1, $value2)",
                    "f.$": "States.Format('Hello {}!', $name)", "split.$": "States.StringSplit($csv, ',')"}}),
            ),
            input: json!({}),
            expected: Ok(json!({"merged": {"a": 1, "c": 3}, "sum": 8, "f": "Hello John!", "split": ["a", "b"]})),
            assigned: log(&[("State0", json!({"json1": {"a": 1}, "json2": {"c": 3}, "value1": 5, "value2": 3, "name": "John", "csv": "a,b"}))]),
        },
    ]);
}

#[test]
fn evaluation_before_assignment() {
    check(vec![
        Case {
            name: "BASE_EVALUATION_ORDER_PASS_STATE (OutputPath sees the old value)",
            def: json!({"StartAt": "State0", "States": {
                "State0": {"Type": "Pass", "Result": {"theQuestion": "Q?"}, "Assign": {"question.$": "$.theQuestion", "answer": 42}, "Next": "State1"},
                "State1": {"Type": "Pass", "InputPath": "$answer", "ResultPath": "$.theAnswer", "OutputPath": "$answer",
                    "Assign": {"answer": "<omitted>"}, "End": true}}}),
            input: json!({}),
            expected: Ok(json!(42)),
            assigned: log(&[("State0", json!({"question": "Q?", "answer": 42})), ("State1", json!({"answer": "<omitted>"}))]),
        },
        Case {
            name: "within one Assign, every expression reads the values from before the state",
            def: pass_then(
                json!({"a": 1, "b": 2}),
                json!({"Type": "Pass", "Assign": {"a.$": "$b", "b.$": "$a", "c.$": "States.MathAdd($a, $b)"}, "End": true}),
            ),
            input: json!({}),
            expected: Ok(json!({})),
            assigned: log(&[("State0", json!({"a": 1, "b": 2})), ("State1", json!({"a": 2, "b": 1, "c": 3}))]),
        },
        Case {
            name: "a variable assigned in State0 is not visible to State0's own Assign",
            def: json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$x"}, "End": true}}}),
            input: json!({}),
            expected: Err((
                "States.Runtime",
                "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$x' specified for the field 'y.$' could not be found in the input '{}'",
            )),
            assigned: vec![],
        },
    ]);
}

fn choice_def() -> Value {
    json!({"StartAt": "CheckInputState", "States": {
        "CheckInputState": {"Type": "Choice",
            "Choices": [
                {"Variable": "$.input_value", "IsPresent": false, "Assign": {"status": "UNKNOWN"}, "Next": "FinalState"},
                {"Variable": "$.input_value", "NumericEquals": 42, "Assign": {"status": "CORRECT"}, "Next": "FinalState"}],
            "Assign": {"status": "INCORRECT", "guess.$": "$.input_value"},
            "Default": "FinalState"},
        "FinalState": {"Type": "Pass", "Parameters": {"result.$": "$status"}, "End": true}}})
}

#[test]
fn choice_rule_assign() {
    check(vec![
        Case {
            name: "BASE_ASSIGN_IN_CHOICE CORRECT (string '42': Default, state-level Assign)",
            def: choice_def(),
            input: json!({"input_value": "42"}),
            expected: Ok(json!({"result": "INCORRECT"})),
            assigned: log(&[("CheckInputState", json!({"status": "INCORRECT", "guess": "42"}))]),
        },
        Case {
            name: "BASE_ASSIGN_IN_CHOICE INCORRECT",
            def: choice_def(),
            input: json!({"input_value": "0"}),
            expected: Ok(json!({"result": "INCORRECT"})),
            assigned: log(&[("CheckInputState", json!({"status": "INCORRECT", "guess": "0"}))]),
        },
        Case {
            name: "a matching rule assigns its own Assign only",
            def: choice_def(),
            input: json!({"input_value": 42}),
            expected: Ok(json!({"result": "CORRECT"})),
            assigned: log(&[("CheckInputState", json!({"status": "CORRECT"}))]),
        },
        Case {
            name: "first rule (IsPresent false)",
            def: choice_def(),
            input: json!({}),
            expected: Ok(json!({"result": "UNKNOWN"})),
            assigned: log(&[("CheckInputState", json!({"status": "UNKNOWN"}))]),
        },
        Case {
            name: "BASE_REFERENCE_IN_CHOICE (variables in Variable and StringEqualsPath)",
            def: json!({"StartAt": "Setup", "States": {
                "Setup": {"Type": "Pass", "Assign": {"guess": "the_guess", "answer": "the_answer"}, "Next": "CheckAnswer"},
                "CheckAnswer": {"Type": "Choice", "Choices": [{"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "CorrectAnswer"}],
                    "Default": "WrongAnswer"},
                "CorrectAnswer": {"Type": "Pass", "Result": {"state": "CORRECT"}, "End": true},
                "WrongAnswer": {"Type": "Pass", "Assign": {"guess.$": "$answer"}, "Result": {"state": "WRONG"}, "Next": "CheckAnswer"}}}),
            input: json!({}),
            expected: Ok(json!({"state": "CORRECT"})),
            assigned: log(&[
                ("Setup", json!({"guess": "the_guess", "answer": "the_answer"})),
                ("WrongAnswer", json!({"guess": "the_answer"})),
            ]),
        },
    ]);
}

#[test]
fn catch_assign() {
    let def = json!({"StartAt": "Task", "States": {
        "Task": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:fail",
            "Assign": {"result": "SUCCESS"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                       "Assign": {"result.$": "$", "error.$": "$.Error", "before.$": "$x"}, "Next": "fallback"}],
            "End": true},
        "fallback": {"Type": "Pass", "End": true}}});
    let m = machine(&def);
    let input = json!({"in": 1});
    let ctx = json!({});
    let mut vars = Vars::new();
    vars.insert("x".into(), json!("old"));
    let e = Env { input: &input, context: &ctx, vars: &vars, seed: 1 };
    let d = m.on_error(m.start_state(), &e, &Fault::new("Boom", "it broke"), &[], 0.0);
    let ErrorDecision::Catch { output, assigned, .. } = d else { panic!("{d:?}") };
    assert_eq!(output, json!({"in": 1, "err": {"Error": "Boom", "Cause": "it broke"}}));
    assert_eq!(
        Value::Object(assigned.unwrap()),
        json!({"result": {"Error": "Boom", "Cause": "it broke"}, "error": "Boom", "before": "old"})
    );
    // Without the catcher's Assign: nothing assigned (the state's own Assign does not apply).
    let def2 = json!({"StartAt": "Task", "States": {
        "Task": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:fail", "Assign": {"result": "SUCCESS"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "fallback"}], "End": true},
        "fallback": {"Type": "Pass", "End": true}}});
    let (res, assigned, _) = run(&def2, json!({}));
    assert_eq!(res.unwrap(), json!({"Error": "Boom", "Cause": "it broke"}));
    assert_eq!(assigned, vec![]);
}

#[test]
fn map_and_parallel_scopes() {
    check(vec![
        Case {
            name: "BASE_SCOPE_MAP (ItemsPath from a variable, inner reads outer)",
            def: json!({"StartAt": "State0", "States": {
                "State0": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2, 3]}, "Next": "State1"},
                "State1": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrency": 1,
                    "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Assign": {"innerX.$": "$x"}, "End": true}}},
                    "Next": "State2"},
                "State2": {"Type": "Pass", "Assign": {"final.$": "$x"}, "End": true}}}),
            input: json!({"input_value": "v"}),
            expected: Ok(json!([1, 2, 3])),
            assigned: log(&[
                ("State0", json!({"x": 42, "items": [1, 2, 3]})),
                ("Inner", json!({"innerX": 42})),
                ("Inner", json!({"innerX": 42})),
                ("Inner", json!({"innerX": 42})),
                ("State2", json!({"final": 42})),
            ]),
        },
        Case {
            name: "an iteration's variables are not visible after the Map",
            def: json!({"StartAt": "M", "States": {
                "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}},
                      "Assign": {"count.$": "States.ArrayLength($)"}, "Next": "After"},
                "After": {"Type": "Pass", "Assign": {"y.$": "$inner"}, "End": true}}}),
            input: json!([1]),
            expected: Err((
                "States.Runtime",
                "An error occurred while executing the state 'After' (entered at the event id #2). The JSONPath '$inner' specified for the field 'y.$' could not be found in the input '[1]'",
            )),
            assigned: log(&[("I", json!({"inner": 1})), ("M", json!({"count": 1}))]),
        },
        Case {
            name: "BASE_SCOPE_PARALLEL",
            def: json!({"StartAt": "State0", "States": {
                "State0": {"Type": "Pass", "Assign": {"x": 42}, "Next": "State1"},
                "State1": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "Branch1", "States": {"Branch1": {"Type": "Pass", "Assign": {"innerX.$": "$x", "value.$": "$"}, "End": true}}},
                    {"StartAt": "Branch21", "States": {"Branch21": {"Type": "Pass", "Assign": {"innerX.$": "$x", "value.$": "$"}, "End": true}}}]}}}),
            input: json!({}),
            expected: Ok(json!([{}, {}])),
            assigned: log(&[
                ("State0", json!({"x": 42})),
                ("Branch1", json!({"innerX": 42, "value": {}})),
                ("Branch21", json!({"innerX": 42, "value": {}})),
            ]),
        },
        Case {
            name: "BASE_REFERENCE_IN_ITERATOR_OUTER_SCOPE (nested Maps read every outer scope)",
            def: json!({"StartAt": "Input", "States": {
                "Input": {"Type": "Pass", "Result": [[9, 44, 6], [82, 25, 76]], "Assign": {"bias": 4.3}, "Next": "IterateLevels"},
                "IterateLevels": {"Type": "Map", "MaxConcurrency": 1, "End": true, "ItemProcessor": {"StartAt": "AssignCurrentVector", "States": {
                    "AssignCurrentVector": {"Type": "Pass", "Assign": {"xCurrent.$": "$[0]", "yCurrent.$": "$[1]", "zCurrent.$": "$[2]"}, "Next": "Calculate"},
                    "Calculate": {"Type": "Map", "MaxConcurrency": 1, "End": true, "ItemsPath": "$[0:1]", "ItemProcessor": {"StartAt": "Summate", "States": {
                        "Summate": {"Type": "Pass", "End": true, "Assign": {
                            "Sum.$": "States.MathAdd(States.MathAdd(States.MathAdd($yCurrent, $xCurrent), $zCurrent), $bias)"}}}}}}}}}}),
            input: json!({}),
            expected: Ok(json!([[9], [82]])),
            assigned: log(&[
                ("Input", json!({"bias": 4.3})),
                ("AssignCurrentVector", json!({"xCurrent": 9, "yCurrent": 44, "zCurrent": 6})),
                ("Summate", json!({"Sum": 63})),
                ("AssignCurrentVector", json!({"xCurrent": 82, "yCurrent": 25, "zCurrent": 76})),
                ("Summate", json!({"Sum": 187})),
            ]),
        },
        Case {
            name: "MAP_STATE_REFERENCE_IN_INTRINSIC_FUNCTION (ItemSelector and inner Parameters)",
            def: json!({"StartAt": "Start", "States": {
                "Start": {"Type": "Pass", "Assign": {"AnswerTemplate": "It's {}!", "Question": "Who?"}, "Result": ["Pikachu"], "Next": "Map"},
                "Map": {"Type": "Map", "ItemSelector": {"AnnouncePokemon.$": "States.Format($AnswerTemplate, $$.Map.Item.Value)", "lit": "$bucket"},
                    "ItemProcessor": {"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": true,
                        "Parameters": {"Question.$": "$Question", "Answer.$": "$.AnnouncePokemon", "lit.$": "$.lit"}}}},
                    "End": true}}}),
            input: json!({}),
            expected: Ok(json!([{"Question": "Who?", "Answer": "It's Pikachu!", "lit": "$bucket"}])),
            assigned: log(&[("Start", json!({"AnswerTemplate": "It's {}!", "Question": "Who?"}))]),
        },
    ]);
}

#[test]
fn paths_from_variables() {
    // BASE_REFERENCE_IN_WAIT
    let (res, _, r) = run(
        &json!({"StartAt": "Start", "States": {
            "Start": {"Type": "Pass", "Assign": {"waitTime": 3, "startAt": "2024-11-06T09:42:03Z"}, "Next": "W1"},
            "W1": {"Type": "Wait", "SecondsPath": "$waitTime", "Next": "W2"},
            "W2": {"Type": "Wait", "TimestampPath": "$startAt", "End": true}}}),
        json!({}),
    );
    assert_eq!(res.unwrap(), json!({}));
    assert_eq!(r.waits, vec![WaitUntil::Seconds(3), WaitUntil::TimestampMillis(1_730_886_123_000)]);

    // MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH / TOLERATED_FAILURE_PATH: string values parse.
    let (res, _, r) = run(
        &json!({"StartAt": "Start", "States": {
            "Start": {"Type": "Pass", "Assign": {"maxConcurrency": "1", "pct": "1", "count": "1"}, "Result": {"Values": [1, 2, 3]}, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrencyPath": "$maxConcurrency",
                "ToleratedFailurePercentagePath": "$pct", "ToleratedFailureCountPath": "$count",
                "ItemProcessor": {"StartAt": "H", "States": {"H": {"Type": "Pass", "End": true}}}, "End": true}}}),
        json!({}),
    );
    assert_eq!(res.unwrap(), json!([1, 2, 3]));
    assert_eq!(r.maps, vec![(1, Some(1.0), Some(1))]);

    // Task TimeoutSecondsPath / HeartbeatSecondsPath from variables.
    let (_, _, r) = run(
        &json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Assign": {"t": 300, "h": 60, "job": {"d": 1}}, "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$t", "HeartbeatSecondsPath": "$h",
                  "Parameters": {"data.$": "$job"}, "End": true}}}),
        json!({}),
    );
    assert_eq!(r.tasks, vec![(json!({"data": {"d": 1}}), Some(300), Some(60))]);
}

/// Definition-time checks: `$var` reference paths are accepted wherever AWS takes a
/// reference path; `Assign` must be an object of valid templates.
#[test]
fn validation() {
    let single = |state: Value| json!({"StartAt": "A", "States": {"A": state}}).to_string();
    let valid = [
        json!({"Type": "Wait", "SecondsPath": "$v", "End": true}),
        json!({"Type": "Wait", "TimestampPath": "$v.when", "End": true}),
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$t", "HeartbeatSecondsPath": "$h", "End": true}),
        json!({"Type": "Map", "ItemsPath": "$items", "MaxConcurrencyPath": "$m", "ToleratedFailurePercentagePath": "$p",
               "ToleratedFailureCountPath": "$c", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}),
        json!({"Type": "Fail", "ErrorPath": "$e", "CausePath": "$c.text"}),
        json!({"Type": "Pass", "InputPath": "$v", "OutputPath": "$w[0]", "Assign": {"a.$": "$v", "b": {"c.$": "$$.Execution.Id"}}, "End": true}),
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
               "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"e.$": "$.Error"}, "Next": "A"}]}),
        json!({"Type": "Choice", "Choices": [{"Variable": "$v", "BooleanEquals": true, "Assign": {"x": 1}, "Next": "A"}], "Default": "B"}),
    ];
    for state in valid {
        let mut def: Value = serde_json::from_str(&single(state.clone())).unwrap();
        def["States"]["B"] = json!({"Type": "Succeed"});
        if state["Type"] != "Choice" {
            def["States"].as_object_mut().unwrap().remove("B");
        }
        let v = Machine::parse(&def.to_string());
        assert!(v.machine.is_some(), "{state}: {:?}", v.diagnostics);
    }
    let invalid = [
        (json!({"Type": "Pass", "Assign": 5, "End": true}), "Expected value of type Object", "/States/A/Assign"),
        (
            json!({"Type": "Pass", "Assign": {"x.$": "nope"}, "End": true}),
            "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call",
            "/States/A/Assign",
        ),
        (json!({"Type": "Wait", "SecondsPath": "$v[*]", "End": true}), "Value is not a Reference Path", "/States/A/SecondsPath"),
        (json!({"Type": "Pass", "ResultPath": "$v", "End": true}), "Value is not a Reference Path", "/States/A/ResultPath"),
    ];
    for (state, message, location) in invalid {
        let v = Machine::parse(&single(state.clone()));
        assert!(v.machine.is_none(), "{state}");
        assert!(
            v.diagnostics.iter().any(|d| d.message == message && d.location == location),
            "{state}: {:?}",
            v.diagnostics
        );
    }
}

#[test]
fn assign_errors() {
    check(vec![
        Case {
            name: "a missing input path in Assign",
            def: json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Assign": {"x.$": "$.missing"}, "End": true}}}),
            input: json!({"a": 1}),
            expected: Err((
                "States.Runtime",
                "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'",
            )),
            assigned: vec![],
        },
        Case {
            name: "an undefined variable in Parameters fails at run time (no definition-time check)",
            def: json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Parameters": {"x.$": "$doesNotExist"}, "End": true}}}),
            input: json!({}),
            expected: Err((
                "States.Runtime",
                "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$doesNotExist' specified for the field 'x.$' could not be found in the input '{}'",
            )),
            assigned: vec![],
        },
        Case {
            name: "a failing intrinsic in a Choice rule's Assign",
            def: json!({"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "D",
                      "Assign": {"x.$": "States.ArrayGetItem($.a, 5)"}}], "Default": "D"},
                "D": {"Type": "Succeed"}}}),
            input: json!({"a": [1]}),
            expected: Err((
                "States.IntrinsicFailure",
                "An error occurred while executing the state 'C' (entered at the event id #2). Invalid arguments in States.ArrayGetItem: the index 5 is out of bounds for an array of length 1",
            )),
            assigned: vec![],
        },
        Case {
            name: "a Task's Assign error is caught like any runtime error? No: States.Runtime is not caught by States.ALL",
            def: json!({"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Assign": {"x.$": "$.nope"},
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "D"}], "End": true},
                "D": {"Type": "Succeed"}}}),
            input: json!({}),
            expected: Err((
                "States.Runtime",
                "An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{\"Payload\":{}}'",
            )),
            assigned: vec![],
        },
    ]);
}
