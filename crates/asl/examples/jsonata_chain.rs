//! Benchmark: the pure interpreter running a chain of JSONata states on one thread, each
//! evaluating four `{% %}` expressions against an input of 20 small objects and two workflow
//! variables.
//!
//! - `pass`: Pass states with `Assign` (one expression) and `Output` (three), all in the one
//!   phase of `enter`.
//! - `task`: Task states with `Arguments` (two expressions) at `enter`, and `Assign` and
//!   `Output` (one each, reading `$states.result`) at `complete`, the worker's result being
//!   the arguments.
//!
//! Run: `cargo run --release -p stepwise-asl --example jsonata_chain -- [STATES] [SECONDS] [pass|task]`
//! Prints states per second (a Pass is one `enter`; a Task is one `enter` and one `complete`).
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use stepwise_asl::{Entered, Env, Machine, Outcome};

fn definition(states: usize, task: bool) -> String {
    let mut map = Map::new();
    for k in 0..states {
        let mut state = if task {
            json!({
                "Type": "Task",
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:work",
                "Arguments": {
                    "n": "{% $states.input.i %}",
                    "items": "{% $states.input.items[price > 2] %}",
                },
                "Assign": { "total": "{% $total + $states.result.n %}" },
                "Output": {
                    "i": "{% $states.result.n + 1 %}",
                    "items": "{% $states.input.items %}",
                },
            })
        } else {
            json!({
                "Type": "Pass",
                "Assign": { "total": "{% $total + $states.input.i %}" },
                "Output": {
                    "i": "{% $states.input.i + 1 %}",
                    "items": "{% $states.input.items %}",
                    "last": "{% $total & ' ' & $name %}",
                },
            })
        };
        if k + 1 == states {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", k + 1));
        }
        map.insert(format!("S{k}"), state);
    }
    json!({ "QueryLanguage": "JSONata", "StartAt": "S0", "States": map }).to_string()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let states: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let task = match args.next().as_deref() {
        None | Some("pass") => false,
        Some("task") => true,
        Some(other) => panic!("unknown mode {other:?}: pass or task"),
    };
    let machine = Machine::parse(&definition(states, task)).machine.expect("valid definition");
    let context =
        json!({ "Execution": { "Id": "arn:aws:states:us-east-1:123456789012:execution:m:e" } });
    let items: Vec<Value> = (0..20)
        .map(|k| json!({ "id": format!("item-{k}"), "price": k % 5, "tags": ["a", "b"] }))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut entered, mut executions) = (0u64, 0u64);
    let start = Instant::now();
    while Instant::now() < deadline {
        for _ in 0..100 {
            let mut vars = Map::new();
            vars.insert("total".to_owned(), json!(0));
            vars.insert("name".to_owned(), json!("bench"));
            let mut input: Value = json!({ "i": executions, "items": items });
            let mut state = machine.start_state();
            loop {
                let env = Env { input: &input, context: &context, vars: &vars, seed: executions };
                entered += 1;
                let outcome = match machine.enter(state, &env) {
                    Entered::Done(o) => o,
                    Entered::Task { parameters, .. } => {
                        machine.complete(state, &env, parameters).expect("complete")
                    }
                    other => panic!("unexpected {other:?}"),
                };
                let (next, output, assigned) = match outcome {
                    Outcome::Next { next, output, assigned } => (Some(next), output, assigned),
                    Outcome::End { output, assigned } => (None, output, assigned),
                    Outcome::Fail(f) => panic!("failed: {f:?}"),
                };
                vars.extend(assigned.into_iter().flatten());
                input = output;
                match next {
                    Some(n) => state = n,
                    None => break,
                }
            }
            executions += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"{}\",\"states\":{states},\"executions\":{executions},\"states_run\":{entered},\"elapsed_s\":{elapsed:.3},\"states_per_s\":{:.0},\"ns_per_state\":{:.0}}}",
        if task { "task" } else { "pass" },
        entered as f64 / elapsed,
        elapsed * 1e9 / entered as f64
    );
}
