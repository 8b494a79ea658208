//! Evaluations per second of a typical Step Functions expression on a 100-order input.
//!
//! `cargo run --release -p stepwise-jsonata --example bench [seconds]`; compare with
//! `crates/jsonata/bench/jsonata-js.mjs` (jsonata-js 2.0.6 on Node) on the same machine.
//! Two figures: [`Expr::evaluate`], which converts the JSON bindings on every call, and
//! [`Expr::evaluate_with`] on [`Bindings`] converted once.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use stepwise_jsonata::{Bindings, Expr, Limits};

const EXPR: &str = r#"$states.input.orders[price > 10].{ "id": id, "total": price * qty }"#;

/// Runs `eval` in batches of 100 for `seconds`; evaluations per second.
fn rate(seconds: f64, mut eval: impl FnMut()) -> (f64, u64, f64) {
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..100 {
            eval();
        }
        n += 100;
    }
    let elapsed = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = n as f64 / elapsed;
    (rate, n, elapsed)
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let orders: Vec<Value> = (0..100)
        .map(|i| json!({"id": format!("order-{i}"), "price": i % 20, "qty": i % 7 + 1}))
        .collect();
    let mut bindings = Map::new();
    bindings.insert("states".into(), json!({"input": {"orders": orders}}));
    let expr = Expr::compile(EXPR).expect("compiles");
    let limits = Limits::default();
    let input = json!({});

    let first = expr.evaluate(&input, &bindings, &limits).expect("evaluates").expect("defined");
    let matched = first.as_array().map_or(0, Vec::len);

    // `evaluate`: the JSON bindings are converted on every call.
    let (r, n, elapsed) = rate(seconds, || {
        std::hint::black_box(expr.evaluate(&input, &bindings, &limits).expect("evaluates"));
    });
    println!("stepwise-jsonata evaluate:      {r:.0} evaluations/s ({n} in {elapsed:.2} s; {matched} of 100 orders selected)");

    // `evaluate_with`: `$states` converted once, as jsonata-js is handed a JavaScript object.
    let prepared = Bindings::new(&bindings);
    let (r, n, elapsed) = rate(seconds, || {
        std::hint::black_box(
            expr.evaluate_with(Some(&input), &prepared, &limits).expect("evaluates"),
        );
    });
    println!("stepwise-jsonata evaluate_with: {r:.0} evaluations/s ({n} in {elapsed:.2} s; {matched} of 100 orders selected)");
}
