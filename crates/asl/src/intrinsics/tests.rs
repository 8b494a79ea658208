use serde_json::{json, Map, Value};

use super::*;

fn input() -> Value {
    json!({
        "s": "a,b,,c", "n": 5, "f": 1.5, "arr": [1, 2, 2, 3, "x", "x"], "obj": {"a": 1, "b": {"c": 2}},
        "fmt": "x={} y={}", "b64": "RGF0YSB0byBlbmNvZGU=", "json": "{\"k\": [1, 2.5]}"
    })
}

fn run(expr: &str, seed: u64) -> Result<Value, Fault> {
    let input = input();
    let ctx =
        json!({"Execution": {"Name": "exec-1"}, "StateMachine": {"Name": "my-state-machine"}});
    let mut vars = Map::new();
    vars.insert("v".into(), json!([7, 8]));
    let env = Env { input: &input, context: &ctx, vars: &vars, seed };
    let call = Call::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    call.eval(&env)
}

/// One case: `expr` evaluates to `expected`.
fn check(expr: &str, expected: Value) {
    assert_eq!(run(expr, 1), Ok(expected), "{expr}");
}

/// One case: `expr` fails at run time with `States.IntrinsicFailure`.
fn check_fails(expr: &str) {
    match run(expr, 1) {
        Err(f) => assert_eq!(f.error, "States.IntrinsicFailure", "{expr}: {}", f.cause),
        Ok(v) => panic!("{expr} should fail, gave {v}"),
    }
}

#[test]
fn evaluates() {
    check("States.Array()", json!([]));
    check(
        "States.Array(1, 'two', true, null, $.n, $$.Execution.Name, $v[0])",
        json!([1, "two", true, null, 5, "exec-1", 7]),
    );
    check("States.Format('Hello {}!', 'World')", json!("Hello World!"));
    check(
        "States.Format('{} {} {} {} {}', 1, 1.0, $.obj, $.arr, null)",
        json!("1 1.0 {a=1, b={c=2}} [1, 2, 2, 3, x, x] null"),
    );
    check("States.Format('esc \\{\\} \\' \\\\ {}', 1)", json!("esc {} ' \\ 1"));
    check("States.Format($.fmt, 1, 'b')", json!("x=1 y=b"));
    check("States.StringToJson($.json)", json!({"k": [1, 2.5]}));
    check("States.StringToJson(' ')", json!(null));
    check("States.StringToJson('-0')", json!(0));
    check("States.JsonToString($.obj)", json!("{\"a\":1,\"b\":{\"c\":2}}"));
    check("States.ArrayPartition(States.Array(1,2,3,4,5), 2)", json!([[1, 2], [3, 4], [5]]));
    check("States.ArrayContains($.arr, 'x')", json!(true));
    check("States.ArrayContains($.arr, 9)", json!(false));
    check("States.ArrayRange(1, 9, 2)", json!([1, 3, 5, 7, 9]));
    check("States.ArrayRange(0, 10, 3)", json!([0, 3, 6, 9]));
    check("States.ArrayRange(5, 1, -2)", json!([5, 3, 1]));
    check("States.ArrayGetItem($.arr, 3)", json!(3));
    check("States.ArrayLength($.arr)", json!(6));
    check("States.ArrayUnique($.arr)", json!([1, 2, 3, "x"]));
    check("States.Base64Encode('Data to encode')", json!("RGF0YSB0byBlbmNvZGU="));
    check("States.Base64Decode($.b64)", json!("Data to encode"));
    check("States.Hash('input data', 'MD5')", json!("812f45842bc6d66ee14572ce20db8e86"));
    check("States.Hash('input data', 'SHA-1')", json!("aaff4a450a104cd177d28d18d74485e8cae074b7"));
    check(
        "States.Hash('input data', 'SHA-256')",
        json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
    );
    check(
        "States.Hash('input data', 'SHA-384')",
        json!("d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"),
    );
    check(
        "States.Hash('input data', 'SHA-512')",
        json!("6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"),
    );
    check(
        "States.JsonMerge(States.StringToJson('{\"a\": {\"a1\": 1}, \"b\": 2}'), $.obj, false)",
        json!({"a": 1, "b": {"c": 2}}),
    );
    check("States.MathAdd(1.49, 1.5)", json!(3));
    check("States.MathAdd(-1.5, -1.51)", json!(-3));
    check("States.MathAdd(-0.5, 0.5)", json!(1));
    check("States.MathAdd($.n, -10)", json!(-5));
    check("States.StringSplit($.s, ',')", json!(["a", "b", "c"]));
    check(
        "States.StringSplit('This.is+a,test=string', '.+,=')",
        json!(["This", "is", "a", "test", "string"]),
    );
    check(
        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
        json!("machine"),
    );
}

#[test]
fn random_and_uuid_are_seeded() {
    let u = run("States.UUID()", 42).unwrap();
    let s = u.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
    assert!("89ab".contains(&s[19..20]));
    assert_eq!(run("States.UUID()", 42).unwrap(), u);
    assert_ne!(run("States.UUID()", 43).unwrap(), u);
    // Two calls in one expression differ.
    let both = run("States.Array(States.UUID(), States.UUID())", 42).unwrap();
    assert_ne!(both[0], both[1]);
    for seed in 0..50 {
        let r = run("States.MathRandom(1, 10)", seed).unwrap().as_i64().unwrap();
        assert!((1..10).contains(&r));
    }
    let seeded = run("States.MathRandom(0, 1000, 7)", 1).unwrap();
    assert_eq!(run("States.MathRandom(0, 1000, 7)", 2).unwrap(), seeded);
}

#[test]
fn runtime_failures() {
    check_fails("States.ArrayGetItem($.arr, 6)");
    check_fails("States.ArrayGetItem($.n, 0)");
    check_fails("States.ArrayPartition($.arr, 0)");
    check_fails("States.ArrayRange(0, 2000, 1)");
    check_fails("States.ArrayRange(0, 10, 0)");
    check_fails("States.Hash('x', 'SHA-3')");
    check_fails("States.JsonMerge($.obj, $.obj, true)");
    check_fails("States.JsonMerge($.obj, $.arr, false)");
    check_fails("States.StringToJson('{nope')");
    check_fails("States.Base64Decode('!!!')");
    check_fails("States.MathAdd('1', 2)");
    check_fails("States.MathAdd(3000000000, 2)");
    check_fails("States.MathRandom(5, 5)");
    check_fails("States.Format($.fmt, 1)");
    check_fails("States.Format('{} {}', 1)");
    let missing = run("States.Array($.nope)", 1).unwrap_err();
    assert_eq!(missing.error, "States.Runtime");
    assert!(
        missing.cause.starts_with("The JSONPath '$.nope' could not be found in the input '{"),
        "{}",
        missing.cause
    );
}

#[test]
fn parse_errors() {
    for bad in [
        "States.Nope()",
        "States.Array(",
        "States.Format()",
        "States.UUID(1)",
        "States.MathRandom(1)",
        "States.StringToJson('a \\\" b')",
        "States.Array('unterminated)",
        "States.Array(1) x",
        "States.Array($.a b)",
        "States.Array(bogus)",
        "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array())))))))))))",
    ] {
        assert!(Call::parse(bad).is_err(), "{bad:?} should be rejected");
    }
    assert!(Call::parse("States.Array( 1 ,  $.a[?(@.x == 'a,b)')] , 'a,b)' )").is_ok());
}

#[test]
fn java_numbers() {
    for (n, s) in [
        (json!(1), "1"),
        (json!(1.0), "1.0"),
        (json!(1.1), "1.1"),
        (json!(1e7), "1.0E7"),
        (json!(1.5e-5), "1.5E-5"),
        (json!(-0.001), "-0.001"),
    ] {
        let Value::Number(n) = n else { unreachable!() };
        assert_eq!(java_number(&n), s);
    }
}
