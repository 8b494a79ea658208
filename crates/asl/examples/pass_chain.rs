//! Benchmark: the pure interpreter running a chain of Pass states, each with a
//! `Parameters` and `ResultPath` transform, on one thread.
//!
//! Run: `cargo run --release -p stepwise-asl --example pass_chain -- [STATES] [SECONDS]`
//! Prints state transitions per second (one `enter` = one transition).
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use stepwise_asl::{Entered, Env, Machine, Outcome};

fn definition(states: usize) -> String {
    let mut map = Map::new();
    for k in 0..states {
        let mut state = json!({
            "Type": "Pass",
            "Parameters": { "i.$": "$.i", "step": k },
            "ResultPath": format!("$.r{k}"),
        });
        if k + 1 == states {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", k + 1));
        }
        map.insert(format!("S{k}"), state);
    }
    json!({ "StartAt": "S0", "States": map }).to_string()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let states: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let machine = Machine::parse(&definition(states)).machine.expect("valid definition");
    let context =
        json!({ "Execution": { "Id": "arn:aws:states:us-east-1:123456789012:execution:m:e" } });
    let vars = Map::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut transitions, mut executions) = (0u64, 0u64);
    let start = Instant::now();
    while Instant::now() < deadline {
        for _ in 0..1000 {
            let mut input: Value = json!({ "i": executions });
            let mut state = machine.start_state();
            loop {
                let env = Env { input: &input, context: &context, vars: &vars, seed: executions };
                transitions += 1;
                match machine.enter(state, &env) {
                    Entered::Done(Outcome::Next { next, output, .. }) => {
                        state = next;
                        input = output;
                    }
                    Entered::Done(Outcome::End { .. }) => break,
                    other => panic!("unexpected {other:?}"),
                }
            }
            executions += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"states\":{states},\"executions\":{executions},\"transitions\":{transitions},\"elapsed_s\":{elapsed:.3},\"transitions_per_s\":{:.0},\"ns_per_transition\":{:.0}}}",
        transitions as f64 / elapsed,
        elapsed * 1e9 / transitions as f64
    );
}
