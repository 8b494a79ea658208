use serde_json::{json, Map, Value};

use super::*;

fn doc() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "a": {"b": [1, 2, 3], "c.d": "dotted", "n": null},
        "weird key": 1,
        "expensive": 10
    })
}

/// One case: `path` evaluated against `doc()` (and a small context and variables).
fn check(path: &str, expected: Option<Value>) {
    let input = doc();
    let ctx = json!({"Execution": {"Id": "arn:exec", "Input": {"x": 1}}});
    let mut vars = Map::new();
    vars.insert("v".into(), json!({"x": [10, 20]}));
    let env = Env { input: &input, context: &ctx, vars: &vars, seed: 0 };
    let p = Path::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(p.select(&env), expected, "path {path}");
}

#[test]
fn select_table() {
    check("$", Some(doc()));
    check("$.expensive", Some(json!(10)));
    check("$.a.b", Some(json!([1, 2, 3])));
    check("$.a.b[0]", Some(json!(1)));
    check("$.a.b[-1]", Some(json!(3)));
    check("$.a.b[5]", None);
    check("$['a']['b'][1]", Some(json!(2)));
    check("$[\"a\"].b[1]", Some(json!(2)));
    check("$.a['c.d']", Some(json!("dotted")));
    check("$['weird key']", Some(json!(1)));
    check("$.a.n", Some(json!(null)));
    check("$.missing", None);
    check("$.a.b.c", None);
    check("$.a.b[*]", Some(json!([1, 2, 3])));
    check("$.a.b[1:]", Some(json!([2, 3])));
    check("$.a.b[:2]", Some(json!([1, 2])));
    check("$.a.b[-2:]", Some(json!([2, 3])));
    check("$.a.b[0,2]", Some(json!([1, 3])));
    check("$.a.b[::2]", Some(json!([1, 3])));
    check("$.missing[*]", Some(json!([])));
    check(
        "$.store.book[*].author",
        Some(json!(["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"])),
    );
    check(
        "$..author",
        Some(json!(["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"])),
    );
    check("$.store..price", Some(json!([8.95, 12.99, 8.99, 22.99, 19.95])));
    check("$..book[2].title", Some(json!(["Moby Dick"])));
    check("$..book[-1].title", Some(json!(["LOTR"])));
    check("$.store.book[?(@.isbn)].title", Some(json!(["Moby Dick", "LOTR"])));
    check("$.store.book[?(!@.isbn)].title", Some(json!(["Sayings", "Sword"])));
    check("$.store.book[?(@.price < 10)].title", Some(json!(["Sayings", "Moby Dick"])));
    check("$.store.book[?(@.price > $.expensive)].title", Some(json!(["Sword", "LOTR"])));
    check(
        "$.store.book[?(@.category == 'fiction' && @.price < 20)].title",
        Some(json!(["Sword", "Moby Dick"])),
    );
    check(
        "$.store.book[?(@.price < 9 || @.price > 20)].title",
        Some(json!(["Sayings", "Moby Dick", "LOTR"])),
    );
    check("$.store.book[?(@.author in ['Nigel Rees'])].price", Some(json!([8.95])));
    check("$.store.book[?(@.nope == 1)]", Some(json!([])));
    check("$.store.book.length()", Some(json!(4)));
    check("$.store.book[*].length()", Some(json!(4)));
    check("$['expensive','nope','weird key']", Some(json!({"expensive": 10, "weird key": 1})));
    check("$.store.bicycle.*", Some(json!(["red", 19.95])));
    check("$$.Execution.Id", Some(json!("arn:exec")));
    check("$$", Some(json!({"Execution": {"Id": "arn:exec", "Input": {"x": 1}}})));
    check("$v", Some(json!({"x": [10, 20]})));
    check("$v.x[1]", Some(json!(20)));
    check("$nope", None);
}

#[test]
fn parse_errors() {
    for bad in [
        "",
        "a.b",
        "$.",
        "$..",
        "$[",
        "$['a'",
        "$[a]",
        "$.a b",
        "$.length().x",
        "$.a.foo()",
        "$[?(@.a =~ /x/)]",
    ] {
        assert!(Path::parse(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn reference_and_definite() {
    for (p, reference, definite) in [
        ("$", true, true),
        ("$.a.b[0]", true, true),
        ("$$.Execution.Id", true, true),
        ("$v.x", true, true),
        ("$.a[*]", false, false),
        ("$..a", false, false),
        ("$.a[0:1]", false, false),
        ("$.a[0,1]", false, false),
        ("$.a[?(@.x)]", false, false),
        ("$.a.length()", false, true),
    ] {
        let path = Path::parse(p).unwrap();
        assert_eq!((path.is_reference(), path.is_definite()), (reference, definite), "{p}");
    }
}

#[test]
fn assign_table() {
    let set = |p: &str, target: Value, v: Value| Path::parse(p).unwrap().assign(target, v);
    assert_eq!(set("$", json!({"a": 1}), json!(2)), Ok(json!(2)));
    assert_eq!(set("$.r", json!({"a": 1}), json!(2)), Ok(json!({"a": 1, "r": 2})));
    assert_eq!(set("$.a", json!({"a": 1}), json!(2)), Ok(json!({"a": 2})));
    assert_eq!(set("$.x.y.z", json!({}), json!(true)), Ok(json!({"x": {"y": {"z": true}}})));
    assert_eq!(set("$.a[1]", json!({"a": [1, 2]}), json!(9)), Ok(json!({"a": [1, 9]})));
    assert_eq!(
        set("$.a.b", json!({"a": 1}), json!(2)),
        Err("Unable to apply step \"b\" to input {\"a\":1}".to_owned())
    );
    assert_eq!(
        set("$.a", json!([1]), json!(2)),
        Err("Unable to apply step \"a\" to input [1]".to_owned())
    );
    assert!(set("$.a[*]", json!({}), json!(1)).is_err());
    assert!(set("$$.a", json!({}), json!(1)).is_err());
}

#[test]
fn explain_misses() {
    let input = json!({"a": {"b": 1}});
    let ctx = json!({});
    let vars = Map::new();
    let env = Env { input: &input, context: &ctx, vars: &vars, seed: 0 };
    let explain = |p: &str| Path::parse(p).unwrap().select_or_explain(&env);
    assert_eq!(
        explain("$.NoSuchOutputPath"),
        Err("No results for path: $['NoSuchOutputPath']".into())
    );
    assert_eq!(explain("$.no.such.result.path"), Err("Missing property in path $['no']".into()));
    assert_eq!(explain("$.a.b"), Ok(json!(1)));
}

mod props {
    use proptest::prelude::*;
    use serde_json::{json, Map, Value};

    use super::super::*;

    fn key() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_]{0,5}"
    }

    proptest! {
        /// Assigning at a reference path and selecting it back gives the assigned value.
        #[test]
        fn assign_then_select(keys in proptest::collection::vec(key(), 1..5), v in any::<i64>(), base in "[A-Z]{1,4}") {
            let text = format!("$.{}", keys.join("."));
            let p = Path::parse(&text).unwrap();
            let target = json!({ base.clone(): 1 });
            let out = p.assign(target, json!(v)).unwrap();
            let vars = Map::new();
            let ctx = Value::Null;
            let env = Env { input: &out, context: &ctx, vars: &vars, seed: 0 };
            prop_assert_eq!(p.select(&env), Some(json!(v)));
            prop_assert_eq!(out.get(&base), Some(&json!(1)));
        }

        /// Parsing never panics.
        #[test]
        fn parse_total(s in "\\$[a-z.\\[\\]'*?@()<>=0-9:,-]{0,12}") {
            let _ = Path::parse(&s);
        }
    }
}

/// A name step finds the same node in a small object (scanned) and a large one (hashed).
#[test]
fn child_in_small_and_large_objects() {
    for n in [0usize, 1, 15, 16, 17, 40] {
        let obj: Map<String, Value> = (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
        let input = Value::Object(obj);
        let (ctx, vars) = (json!({}), Map::new());
        let env = Env { input: &input, context: &ctx, vars: &vars, seed: 0 };
        for i in 0..n + 2 {
            let p = Path::parse(&format!("$.k{i}")).unwrap();
            let expected = (i < n).then(|| json!(i));
            assert_eq!(p.select(&env), expected, "$.k{i} in {n} keys");
            assert_eq!(p.select_cow(&env).map(Cow::into_owned), expected);
        }
        let all = Path::parse("$..k0").unwrap();
        assert_eq!(
            all.select(&env),
            Some(Value::Array((n > 0).then(|| json!(0)).into_iter().collect()))
        );
    }
}
