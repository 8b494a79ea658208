//! A Task's timeout and heartbeat taken from the input (`TimeoutSecondsPath`,
//! `HeartbeatSecondsPath`, JSONata `{% … %}`): whatever the input holds, the interpreter hands
//! the engine either a value in `1..=MAX_TASK_SECONDS` or a fault, never a number whose deadline
//! could overflow.
mod common;

use common::run;
use serde_json::{json, Value};
use stepwise_asl::step::MAX_TASK_SECONDS;

const LAMBDA: &str = "arn:aws:states:::lambda:invoke";

fn prefix(rest: &str) -> String {
    format!("An error occurred while executing the state 'T' (entered at the event id #2). {rest}")
}

/// A one-Task JSONPath machine reading its timeout from `$.t` and its heartbeat from `$.h`.
fn jsonpath() -> Value {
    json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA,
        "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h", "End": true}}})
}

/// A one-Task JSONata machine whose timeout and heartbeat are expressions over the input.
fn jsonata() -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": LAMBDA, "TimeoutSeconds": "{% $states.input.t %}",
        "HeartbeatSeconds": "{% $states.input.h %}", "End": true}}})
}

/// Runs `def` on `{"t": t, "h": 1}`: the task's `(timeout, heartbeat)` or `(error, cause)`.
fn timeout_of(def: &Value, t: Value) -> Result<(Option<u64>, Option<u64>), (String, String)> {
    let (res, r) = run(def, json!({"t": t, "h": 1}));
    match res {
        Ok(_) => Ok((r.tasks[0].1, r.tasks[0].2)),
        Err(f) => Err((f.error, f.cause)),
    }
}

#[test]
fn jsonpath_values_in_range_are_taken() {
    for n in [2, 300, MAX_TASK_SECONDS] {
        assert_eq!(timeout_of(&jsonpath(), json!(n)), Ok((Some(n), Some(1))), "{n}");
    }
}

#[test]
fn jsonpath_values_out_of_range_are_runtime_faults() {
    let cases = [
        (json!(0), "0"),
        (json!(-1), "-1"),
        (json!(i64::MIN), "-9223372036854775808"),
        (json!(MAX_TASK_SECONDS + 1), "100000000"),
        (json!(u64::MAX), "18446744073709551615"),
        (json!(u64::MAX - 1), "18446744073709551614"),
        (json!(1.5), "1.5"),
        (json!(1e300), "1e+300"),
        (json!("300"), "300"),
        (json!(null), "null"),
        (json!([5]), "[5]"),
    ];
    for (t, shown) in cases {
        let cause = prefix(&format!(
            "The TimeoutSecondsPath field refers to value \"{shown}\" which is not a valid integer: $.t"
        ));
        assert_eq!(
            timeout_of(&jsonpath(), t.clone()),
            Err(("States.Runtime".into(), cause)),
            "{t}"
        );
    }
    // The heartbeat is held to the same range.
    let (res, _) = run(&jsonpath(), json!({"t": 10, "h": u64::MAX}));
    let f = res.unwrap_err();
    assert_eq!(f.error, "States.Runtime");
    assert_eq!(
        f.cause,
        prefix(
            "The HeartbeatSecondsPath field refers to value \"18446744073709551615\" which is not a valid integer: $.h"
        )
    );
}

#[test]
fn jsonata_values_in_range_are_taken() {
    for t in [json!(2), json!(300.0), json!(MAX_TASK_SECONDS)] {
        let n = t.as_f64().unwrap() as u64;
        assert_eq!(timeout_of(&jsonata(), t.clone()), Ok((Some(n), Some(1))), "{t}");
    }
}

#[test]
fn jsonata_integers_out_of_range_are_runtime_faults() {
    let cases = [
        (json!(0), "0"),
        (json!(-1), "-1"),
        (json!(MAX_TASK_SECONDS + 1), "100000000"),
        (json!(u64::MAX), "1.8446744073709552e+19"),
        (json!(1e300), "1e+300"),
    ];
    for (t, shown) in cases {
        let cause = prefix(&format!(
            "The value of the field 'TimeoutSeconds' must be a positive integer no greater than 99999999, but was: {shown}"
        ));
        assert_eq!(timeout_of(&jsonata(), t.clone()), Err(("States.Runtime".into(), cause)), "{t}");
    }
}

#[test]
fn jsonata_non_integers_are_query_evaluation_errors() {
    for t in [json!(1.5), json!("300"), json!([5])] {
        let (error, cause) = timeout_of(&jsonata(), t.clone()).unwrap_err();
        assert_eq!(error, "States.QueryEvaluationError", "{t}");
        assert!(cause.contains("Expected 'integer'"), "{t}: {cause}");
    }
}
