//! Arbitrary text as a JSONata expression (`Expr::compile`, then `evaluate` against a fixed
//! input and `$states` binding, with tight limits): no panic, no stack overflow, no hang.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stepwise_jsonata::{Expr, Limits};

fn doc() -> &'static (Value, Map<String, Value>) {
    static DOC: OnceLock<(Value, Map<String, Value>)> = OnceLock::new();
    DOC.get_or_init(|| {
        let input = json!({
            "orders": [
                {"id": "a", "price": 12.5, "qty": 2, "tags": ["x", "y"]},
                {"id": "b", "price": 3, "qty": 1, "when": "2024-11-22T10:00:00Z"},
                {"id": "c", "price": null, "nested": {"deep": [1, [2, [3]]]}}
            ],
            "text": "Hello, World",
            "n": -1.5e3
        });
        let mut bindings = Map::new();
        bindings.insert(
            "states".into(),
            json!({"input": input, "context": {"Execution": {"Id": "e"}}}),
        );
        bindings.insert("count".into(), json!(3));
        (input, bindings)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(expr) = Expr::compile(text) else { return };
    let (input, bindings) = doc();
    // Short limits keep runaway expressions (`[1..1e7]`, unbounded recursion) inside
    // libFuzzer's -timeout; a built-in on a huge string may still overrun the clock.
    let limits = Limits { max_depth: 500, timeout: Duration::from_millis(200) };
    let _ = expr.evaluate(input, bindings, &limits);
});
