//! Benchmark: the pure interpreter running a chain of Pass (or Choice) states on one thread,
//! driven the way the engine drives it (`Machine::enter_taking`, the state's input lent
//! mutably and replaced by its output).
//!
//! Run: `cargo run --release -p stepwise-asl --example pass_chain -- [STATES] [SECONDS] [FIELDS] [EXECUTIONS]`
//!
//! - `STATES` (10): the length of the chain; one execution runs it from `S0` to the end.
//! - `SECONDS` (3): how long to run.
//! - `FIELDS` (`params`): `default`, Pass states with no fields but `Next`/`End` (every path is
//!   the default `$`); `params`, each state with `"Parameters": {"i.$": "$.i", "step": k}` and
//!   `"ResultPath": "$.r<k>"` (so the input grows by one field per state); `choice`, every
//!   state but the last a Choice state whose one rule (`$.i` `NumericLessThan` 0) does not
//!   match, so it goes to its `Default`, the next state (the last is a default Pass state).
//! - `EXECUTIONS`: run exactly this many executions instead of for `SECONDS` (for
//!   instruction counts under `valgrind --tool=callgrind`).
//!
//! Prints state transitions per second (one `enter_taking` = one transition). Each execution
//! starts from a fresh input `{"i": n}`; the Context object is a small constant.
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use stepwise_asl::{Entered, Env, Machine, Outcome};

#[derive(Clone, Copy, PartialEq)]
enum Fields {
    Default,
    Params,
    Choice,
}

fn definition(states: usize, fields: Fields) -> String {
    let mut map = Map::new();
    for k in 0..states {
        let next = format!("S{}", k + 1);
        if fields == Fields::Choice && k + 1 < states {
            let rule = json!({ "Variable": "$.i", "NumericLessThan": 0, "Next": next });
            let choice = json!({ "Type": "Choice", "Choices": [rule], "Default": next });
            map.insert(format!("S{k}"), choice);
            continue;
        }
        let mut state = json!({ "Type": "Pass" });
        if fields == Fields::Params {
            state["Parameters"] = json!({ "i.$": "$.i", "step": k });
            state["ResultPath"] = json!(format!("$.r{k}"));
        }
        if k + 1 == states {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(next);
        }
        map.insert(format!("S{k}"), state);
    }
    json!({ "StartAt": "S0", "States": map }).to_string()
}

/// Runs one execution of the chain; returns its transitions.
fn run_once(machine: &Machine, context: &Value, vars: &Map<String, Value>, n: u64) -> u64 {
    let mut input: Value = json!({ "i": n });
    let mut state = machine.start_state();
    let mut transitions = 0;
    loop {
        let env = Env { input: &Value::Null, context, vars, seed: n };
        transitions += 1;
        match machine.enter_taking(state, &mut input, env) {
            Entered::Done(Outcome::Next { next, output, .. }) => {
                state = next;
                input = output;
            }
            Entered::Done(Outcome::End { output, .. }) => {
                std::hint::black_box(output);
                return transitions;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let states: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let fields = args.next().unwrap_or_else(|| "params".to_owned());
    let fixed: Option<u64> = args.next().and_then(|a| a.parse().ok());
    let kind = match fields.as_str() {
        "params" => Fields::Params,
        "default" => Fields::Default,
        "choice" => Fields::Choice,
        other => panic!("FIELDS is `default`, `params` or `choice`, not {other:?}"),
    };
    let machine = Machine::parse(&definition(states, kind)).machine.expect("valid definition");
    let context = json!({
        "Execution": { "Id": "arn:aws:states:us-east-1:123456789012:execution:m:e" },
        "State": { "Name": "S0", "EnteredTime": "2024-01-01T00:00:00.000Z" },
    });
    let vars = Map::new();
    let (mut transitions, mut executions) = (0u64, 0u64);
    let start = Instant::now();
    match fixed {
        Some(n) => {
            for _ in 0..n {
                transitions += run_once(&machine, &context, &vars, executions);
                executions += 1;
            }
        }
        None => {
            let deadline = start + Duration::from_secs(seconds);
            while Instant::now() < deadline {
                for _ in 0..1000 {
                    transitions += run_once(&machine, &context, &vars, executions);
                    executions += 1;
                }
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"states\":{states},\"fields\":\"{fields}\",\"executions\":{executions},\"transitions\":{transitions},\"elapsed_s\":{elapsed:.3},\"transitions_per_s\":{:.0},\"ns_per_transition\":{:.0}}}",
        transitions as f64 / elapsed,
        elapsed * 1e9 / transitions as f64
    );
}
