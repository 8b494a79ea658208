//! AWS's additions and refusals, one case per call.

use serde_json::{json, Map, Value};
use stepwise_jsonata::{Bindings, Error, Expr, Limits};

fn eval(expr: &str) -> Result<Option<Value>, Error> {
    Expr::compile(expr)?.evaluate(&json!({"text": "hello"}), &Map::new(), &Limits::default())
}

fn give(expr: &str, expected: Value) {
    assert_eq!(eval(expr).unwrap(), Some(expected), "{expr}");
}

fn fail(expr: &str, code: &str) {
    match eval(expr) {
        Err(e) => assert_eq!(e.code, code, "{expr}: {e}"),
        Ok(v) => panic!("{expr}: expected {code}, got {v:?}"),
    }
}

#[test]
fn partition() {
    give("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)", json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]]));
    give("$partition([0, 1, 2, 3], 3)", json!([[0, 1, 2], [3]]));
    // AWS-recorded (LocalStack snapshot test_array_partition): one chunk stays nested.
    give("$partition([0], 5)", json!([[0]]));
    give("$partition([0, 1], 2)", json!([[0, 1]]));
    give("$partition([], 2)", json!([]));
    assert_eq!(eval("$partition(nothing, 2)").unwrap(), None);
    fail("$partition([1], 0)", "D3901");
    fail("$partition([1], 1.5)", "D3901");
    fail("$partition([1], 'a')", "T0410");
    fail("$partition([1])", "T0410");
}

#[test]
fn range() {
    give("$range(0, 10, 2)", json!([0, 2, 4, 6, 8, 10]));
    // AWS-recorded (LocalStack snapshot test_array_range).
    give("$range(0, 9, 3)", json!([0, 3, 6, 9]));
    give("$range(0, 10, 3)", json!([0, 3, 6, 9]));
    give("$range(1, 9, 2)", json!([1, 3, 5, 7, 9]));
    give("$range(1, 9, 9)", json!(1));
    give("$range(10, 0, -5)", json!([10, 5, 0]));
    give("$range(5, 0, 1)", json!([]));
    fail("$range(0, 10, 0)", "D3901");
    fail("$range(0, 1e9, 1)", "D2014");
    fail("$range('a', 1, 1)", "T0410");
    fail("$range(0, 1)", "T0410");
}

#[test]
fn hash() {
    give("$hash('hello', 'MD5')", json!("5d41402abc4b2a76b9719d911017c592"));
    give("$hash(text, 'SHA-1')", json!("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"));
    give(
        "$hash('hello', 'SHA-256')",
        json!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    );
    give(
        "$hash('hello', 'SHA-384')",
        json!("59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"),
    );
    give(
        "$hash('hello', 'SHA-512')",
        json!("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"),
    );
    fail("$hash('hello', 'SHA-3')", "D3902");
    fail("$hash(1, 'MD5')", "T0410");
    assert_eq!(eval("$hash(nothing, 'MD5')").unwrap(), None);
}

#[test]
fn random_with_a_seed_is_java_util_random() {
    // The value AWS gives for `$random(42)`: `new java.util.Random(42).nextDouble()`.
    give("$random(42)", json!(0.7275636800328681));
    give("$random(42) = $random(42)", json!(true));
    // `new java.util.Random(0).nextDouble()` and `new java.util.Random(1).nextDouble()`.
    give("$random(0)", json!(0.730967787376657));
    give("$random(1)", json!(0.7308781907032909));
    // Checked with jshell: `new java.util.Random(-1).nextDouble()`, `new Random((long) 1e18)`.
    give("$random(-1)", json!(0.26894263088050496));
    give("$random(1e18)", json!(0.9962568778907609));
    fail("$random('x')", "T0410");
}

#[test]
fn random_without_a_seed() {
    let Some(Value::Number(n)) = eval("$random()").unwrap() else { panic!("not a number") };
    let n = n.as_f64().unwrap();
    assert!((0.0..1.0).contains(&n));
}

#[test]
fn uuid_is_version_4() {
    let Some(Value::String(a)) = eval("$uuid()").unwrap() else { panic!("not a string") };
    let Some(Value::String(b)) = eval("$uuid()").unwrap() else { panic!("not a string") };
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert!("89ab".contains(&a[19..20]));
    assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    fail("$uuid(1)", "T0410");
}

#[test]
fn parse() {
    // AWS-recorded (LocalStack snapshot test_parse).
    give("$parse('-0')", json!(0));
    give("$parse('1.1')", json!(1.1));
    give("$parse('\"HelloWorld\"')", json!("HelloWorld"));
    give("$parse('[1, 2, \"HelloWorld\"]')", json!([1, 2, "HelloWorld"]));
    give("$parse('{\"Arg1\": 1, \"Arg2\": []}')", json!({"Arg1": 1, "Arg2": []}));
    give("$parse('{\"a\": [1]}').a", json!([1]));
    fail("$parse('{')", "D3901");
    fail("$parse(1)", "T0410");
}

#[test]
fn later_syntax_and_eval_are_refused_at_compile_time() {
    for text in [
        "a ?? b",
        "a ?: b",
        "($x := 1; $x ?? 2)",
        "[a ?: 1]",
        "$eval('1')",
        "$map([1], $eval)",
        "x.($eval)",
    ] {
        let e = Expr::compile(text).unwrap_err();
        assert_eq!(e.code, Error::UNSUPPORTED, "{text}");
    }
    // The characters themselves are fine elsewhere: strings, conditionals, signatures.
    give("'a ?? b ?: c'", json!("a ?? b ?: c"));
    give("true ? 1 : 2", json!(1));
    give("function($a, $b)<s?:s>{ $a }('x')", json!("x"));
}

#[test]
fn results_that_are_not_json() {
    fail("function($x){ $x }", Error::NOT_JSON);
    fail("{'f': $uppercase}", Error::NOT_JSON);
    fail("/ab/", Error::NOT_JSON);
    assert_eq!(eval("nothing").unwrap(), None);
    // Undefined inside a result is dropped, as JSON.stringify does.
    give("{'a': nothing, 'b': 1}", json!({"b": 1}));
}

#[test]
fn bindings_and_limits() {
    let mut bindings = Map::new();
    bindings.insert("states".into(), json!({"input": {"n": 2}}));
    let expr = Expr::compile("$states.input.n * 3").unwrap();
    assert_eq!(expr.evaluate(&json!({}), &bindings, &Limits::default()).unwrap(), Some(json!(6)));

    let deep =
        Expr::compile("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))").unwrap();
    let shallow = Limits { max_depth: 100, ..Limits::default() };
    assert_eq!(deep.evaluate(&json!(null), &Map::new(), &shallow).unwrap_err().code, "U1001");

    let forever = Expr::compile("($f := function(){ $f() }; $f())").unwrap();
    let quick = Limits { timeout: std::time::Duration::from_millis(50), ..Limits::default() };
    assert_eq!(forever.evaluate(&json!(null), &Map::new(), &quick).unwrap_err().code, "U1001");
}

#[test]
fn prepared_bindings() {
    let mut map = Map::new();
    map.insert("states".into(), json!({"input": {"n": 2}}));
    map.insert("k".into(), json!(10));
    let expr = Expr::compile("$states.input.n * $k").unwrap();
    let mut bindings = Bindings::new(&map);
    let limits = Limits::default();
    assert_eq!(expr.evaluate_with(None, &bindings, &limits).unwrap(), Some(json!(20)));
    // One set of bindings serves many evaluations; insert replaces a binding.
    bindings.insert("k", &json!(3));
    assert_eq!(expr.evaluate_with(None, &bindings, &limits).unwrap(), Some(json!(6)));
    bindings.insert("m", &json!(1));
    let sum = Expr::compile("$k + $m").unwrap();
    assert_eq!(sum.evaluate_with(Some(&json!({})), &bindings, &limits).unwrap(), Some(json!(4)));

    // The timeout holds for evaluations that follow each other on a thread, and for one
    // running while another, longer one is armed on another thread.
    let forever = Expr::compile("($f := function(){ $f() }; $f())").unwrap();
    let quick = Limits { timeout: std::time::Duration::from_millis(50), ..Limits::default() };
    let slow = std::thread::spawn(|| {
        let forever = Expr::compile("($f := function(){ $f() }; $f())").unwrap();
        let limits = Limits { timeout: std::time::Duration::from_millis(400), ..Limits::default() };
        let start = std::time::Instant::now();
        let e = forever.evaluate_with(None, &Bindings::default(), &limits).unwrap_err();
        (e, start.elapsed())
    });
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let e = forever.evaluate_with(None, &bindings, &quick).unwrap_err();
        assert_eq!(e.code, "U1001", "{e}");
        assert!(e.message.contains("50 milliseconds"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_millis(350), "{:?}", start.elapsed());
    }
    let (e, elapsed) = slow.join().unwrap();
    assert_eq!(e.code, "U1001", "{e}");
    assert!(elapsed >= std::time::Duration::from_millis(390), "{elapsed:?}");
}

#[test]
fn object_bindings_built_from_parts() {
    let limits = Limits::default();
    let keys = Expr::compile("$keys($states)").unwrap();
    let whole = Expr::compile("$states").unwrap();
    let mut map = Map::new();
    map.insert("states".into(), json!("a variable of that name"));
    map.insert("v".into(), json!(1));
    let mut b = Bindings::new(&map);
    // insert_object replaces the binding; the fields keep their order.
    b.insert_object("states", [("input", &json!({"n": 2})), ("context", &json!({"c": 1}))]);
    assert_eq!(keys.evaluate_with(None, &b, &limits).unwrap(), Some(json!(["input", "context"])));
    // A copy shares the values; a field set on it leaves the original alone.
    let mut copy = b.clone();
    copy.insert_field("states", "context", &json!({"c": 2}));
    copy.insert_field("states", "result", &json!([true]));
    assert_eq!(
        whole.evaluate_with(None, &copy, &limits).unwrap(),
        Some(json!({"input": {"n": 2}, "context": {"c": 2}, "result": [true]}))
    );
    assert_eq!(
        whole.evaluate_with(None, &b, &limits).unwrap(),
        Some(json!({"input": {"n": 2}, "context": {"c": 1}}))
    );
    // Setting a field again after an evaluation (the values are no longer shared with it).
    for i in 0..3 {
        b.insert_field("states", "context", &json!({"c": i}));
        let c = Expr::compile("$states.context.c + $v").unwrap();
        assert_eq!(c.evaluate_with(None, &b, &limits).unwrap(), Some(json!(i + 1)));
    }
    // On an unbound name or a non-object, the binding becomes a one-field object.
    b.insert_field("v", "x", &json!(5));
    b.insert_field("w", "y", &json!(6));
    let sum = Expr::compile("$v.x + $w.y").unwrap();
    assert_eq!(sum.evaluate_with(None, &b, &limits).unwrap(), Some(json!(11)));
}
