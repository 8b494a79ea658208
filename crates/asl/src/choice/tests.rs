use serde_json::{json, Map, Value};

use super::*;

fn input() -> Value {
    json!({
        "s": "hello", "n": 5, "f": 2.5, "t": true, "nil": null,
        "ts": "2012-10-09T19:00:55Z", "ts2": "2012-10-09T20:00:55+01:00", "later": "2012-10-09T19:00:56Z",
        "star": "a*b", "arr": [1, 2]
    })
}

/// One case: `rule` evaluated against `input()` gives `expected`.
fn check(rule: Value, expected: Result<bool, &str>) {
    let input = input();
    let ctx = json!({"Execution": {"Name": "x"}});
    let mut vars = Map::new();
    vars.insert("limit".into(), json!(3));
    let env = Env { input: &input, context: &ctx, vars: &vars, seed: 0 };
    let r =
        Rule::compile(&rule, "/States/C/Choices[0]").unwrap_or_else(|e| panic!("{rule}: {e:?}"));
    let got = r.matches(&env).map_err(|f| f.cause);
    assert_eq!(got, expected.map_err(str::to_owned), "{rule}");
}

#[test]
fn comparisons() {
    let t = |op: &str, var: &str, v: Value, expected: bool| {
        check(json!({"Variable": var, op: v}), Ok(expected))
    };
    t("StringEquals", "$.s", json!("hello"), true);
    t("StringEquals", "$.n", json!("5"), false);
    t("StringLessThan", "$.s", json!("help"), true);
    t("StringGreaterThan", "$.s", json!("hello"), false);
    t("StringGreaterThanEquals", "$.s", json!("hello"), true);
    t("StringLessThanEquals", "$.s", json!("a"), false);
    t("StringEqualsPath", "$.s", json!("$.s"), true);
    t("StringMatches", "$.s", json!("h*o"), true);
    t("StringMatches", "$.s", json!("*ll*"), true);
    t("StringMatches", "$.s", json!("h*x"), false);
    t("StringMatches", "$.star", json!("a\\*b"), true);
    t("StringMatches", "$.s", json!("a\\*b"), false);
    t("StringMatches", "$.n", json!("*"), false);
    t("NumericEquals", "$.n", json!(5), true);
    t("NumericEquals", "$.n", json!(5.0), true);
    t("NumericEquals", "$.s", json!(5), false);
    t("NumericLessThan", "$.f", json!(3), true);
    t("NumericGreaterThan", "$.f", json!(2.5), false);
    t("NumericGreaterThanEquals", "$.f", json!(2.5), true);
    t("NumericLessThanEquals", "$.n", json!(4), false);
    t("NumericGreaterThanPath", "$.n", json!("$limit"), true);
    t("NumericLessThanPath", "$.n", json!("$.f"), false);
    t("BooleanEquals", "$.t", json!(true), true);
    t("BooleanEquals", "$.t", json!(false), false);
    t("BooleanEquals", "$.n", json!(true), false);
    t("BooleanEqualsPath", "$.t", json!("$.t"), true);
    t("TimestampEquals", "$.ts", json!("2012-10-09T19:00:55Z"), true);
    t("TimestampEquals", "$.ts2", json!("2012-10-09T19:00:55Z"), true);
    t("TimestampLessThan", "$.ts", json!("2012-10-09T19:00:56Z"), true);
    t("TimestampGreaterThan", "$.ts", json!("2012-10-09T19:00:55.5Z"), false);
    t("TimestampGreaterThanEquals", "$.later", json!("2012-10-09T19:00:55Z"), true);
    t("TimestampLessThanEquals", "$.later", json!("2012-10-09T19:00:55Z"), false);
    t("TimestampEquals", "$.s", json!("2012-10-09T19:00:55Z"), false);
    t("TimestampLessThanPath", "$.ts", json!("$.later"), true);
    t("TimestampEqualsPath", "$.ts", json!("$.s"), false);
    t("IsPresent", "$.nil", json!(true), true);
    t("IsPresent", "$.missing", json!(false), true);
    t("IsPresent", "$.missing", json!(true), false);
    t("IsNull", "$.nil", json!(true), true);
    t("IsNull", "$.n", json!(false), true);
    t("IsNumeric", "$.f", json!(true), true);
    t("IsString", "$.s", json!(true), true);
    t("IsString", "$.n", json!(true), false);
    t("IsBoolean", "$.t", json!(true), true);
    t("IsTimestamp", "$.ts", json!(true), true);
    t("IsTimestamp", "$.s", json!(false), true);
    t("NumericEquals", "$$.Execution.Name", json!(1), false);
    t("NumericEquals", "$.arr.length()", json!(2), true);
}

#[test]
fn combinators_and_faults() {
    check(
        json!({"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.s", "StringEquals": "hello"}]}),
        Ok(true),
    );
    check(
        json!({"Or": [{"Variable": "$.n", "NumericEquals": 4}, {"Variable": "$.s", "StringEquals": "nope"}]}),
        Ok(false),
    );
    check(json!({"Not": {"Variable": "$.n", "NumericEquals": 4}}), Ok(true));
    check(
        json!({"And": [{"Not": {"Variable": "$.t", "BooleanEquals": false}}, {"Or": [{"Variable": "$.missing", "IsPresent": true}, {"Variable": "$.f", "NumericGreaterThan": 2}]}]}),
        Ok(true),
    );
    check(json!({"Variable": "$.missing", "StringEquals": "x"}), Err("Invalid path '$.missing': The choice state's condition path references an invalid value."));
    check(
        json!({"Variable": "$.n", "NumericEqualsPath": "$.nope"}),
        Err(
            "Invalid path '$.nope': The choice state's condition path references an invalid value.",
        ),
    );
    // Short-circuit: the failing branch is never evaluated.
    check(
        json!({"Or": [{"Variable": "$.t", "BooleanEquals": true}, {"Variable": "$.missing", "StringEquals": "x"}]}),
        Ok(true),
    );
}

#[test]
fn compile_errors() {
    let bad = |rule: Value, message: &str, location: &str| {
        let errs = Rule::compile(&rule, "/L").unwrap_err();
        assert!(errs.contains(&(message.to_owned(), location.to_owned())), "{rule}: {errs:?}");
    };
    bad(json!({"Variable": "$.x"}), "A Choice Rule must have exactly one comparison operator or one of the following fields: [And, Or, Not]", "/L");
    bad(json!({"StringEquals": "x"}), "These fields are required: [Variable]", "/L");
    bad(
        json!({"Variable": "x", "StringEquals": "x"}),
        "The value for the field 'Variable' must be a valid JSONPath",
        "/L/Variable",
    );
    bad(
        json!({"Variable": "$.x", "StringEquals": 1}),
        "Expected value of type String",
        "/L/StringEquals",
    );
    bad(
        json!({"Variable": "$.x", "NumericEquals": "1"}),
        "Expected value of type Number",
        "/L/NumericEquals",
    );
    bad(
        json!({"Variable": "$.x", "BooleanEquals": 1}),
        "Expected value of type Boolean",
        "/L/BooleanEquals",
    );
    bad(json!({"Variable": "$.x", "IsNull": "yes"}), "Expected value of type Boolean", "/L/IsNull");
    bad(
        json!({"Variable": "$.x", "TimestampEquals": "2016-12-05 21:29:29Z"}),
        "String does not match RFC3339 timestamp",
        "/L/TimestampEquals",
    );
    bad(
        json!({"Variable": "$.x", "TimestampEquals": "2016-12-05T21:29:29"}),
        "String does not match RFC3339 timestamp",
        "/L/TimestampEquals",
    );
    bad(
        json!({"Variable": "$.x", "StringEqualsPath": "nope"}),
        "The value for the field 'StringEqualsPath' must be a valid JSONPath",
        "/L/StringEqualsPath",
    );
    bad(
        json!({"Variable": "$.x", "StringEquals": "a", "NumericEquals": 1}),
        "There should only be one of the following fields: [StringEquals, NumericEquals]",
        "/L",
    );
    bad(
        json!({"Variable": "$.x", "StringEqual": "a"}),
        "Field 'StringEqual' is not supported",
        "/L/StringEqual",
    );
    bad(json!({"And": []}), "Value cannot be empty", "/L/And");
    bad(json!({"And": {}}), "Expected value of type Array", "/L/And");
    bad(
        json!({"And": [{"Variable": "$.x", "StringEquals": 1}]}),
        "Expected value of type String",
        "/L/And[0]/StringEquals",
    );
    bad(
        json!({"Not": {"Variable": "$.x"}, "Variable": "$.y"}),
        "Field 'Variable' is not supported",
        "/L/Variable",
    );
    assert!(Rule::compile(&json!({"Variable": "$.x", "StringEquals": "a", "Comment": "c"}), "/L")
        .is_ok());
}

#[test]
fn glob_matching() {
    for (pat, s, m) in [
        ("*", "", true),
        ("*", "anything", true),
        ("a*", "abc", true),
        ("*c", "abc", true),
        ("a*c*e", "abcde", true),
        ("a*c*e", "abcdf", false),
        ("log-*.txt", "log-2024.txt", true),
        ("log-*.txt", "log-2024.txt.bak", false),
        ("\\\\*", "\\x", true),
        ("é*ü", "éaü", true),
        ("", "", true),
        ("", "a", false),
    ] {
        assert_eq!(glob(&compile_pattern(pat), s.as_bytes()), m, "{pat} ~ {s}");
    }
}
