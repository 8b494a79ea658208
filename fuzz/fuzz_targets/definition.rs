//! Arbitrary bytes as a state machine definition: `Machine::parse` must never panic, and a
//! machine it accepts must run a bounded number of steps from its start state without
//! panicking either (the engine's side is simulated: tasks return a fixed result, waits end at
//! once, Parallel/Map complete with their inputs, faults go through `on_error`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stepwise_asl::definition::error_message;
use stepwise_asl::step::fill_entered_event_id;
use stepwise_asl::{Entered, Env, ErrorDecision, Machine, Outcome, StateId};

/// Steps followed per graph before giving up (loops are legal in ASL).
const MAX_STEPS: usize = 24;
/// Nesting of Parallel branches / Map processors explored.
const MAX_DEPTH: usize = 3;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let v = Machine::parse(text);
    let _ = error_message(&v.diagnostics);
    let Some(m) = v.machine else { return };
    // Exercise the accessors the engine uses.
    let _ = (m.timeout_seconds(), m.comment(), m.len());
    for (_, st) in m.states() {
        let _ = (st.name(), st.kind().as_str(), st.is_end(), st.next(), st.resource());
        let _ = (st.credentials(), st.branches(), st.processor(), st.label(), st.assign());
        let _ = (st.is_distributed_map(), st.retrier_count(), m.graph_start(st.graph()));
    }
    let input = json!({
        "a": 1, "s": "text", "b": true, "n": null, "f": 2.5,
        "arr": [1, 2, 3, {"x": "y"}], "obj": {"k": [true, false], "ts": "2024-01-01T00:00:00Z"},
        "items": [{"id": 1}, {"id": 2}], "secs": 3
    });
    let ctx = json!({"Execution": {"Id": "arn:e", "Input": input.clone()}, "State": {"Name": "S"}});
    let mut vars = Map::new();
    vars.insert("v".into(), json!({"k": 1}));
    run(&m, m.start_state(), input, &ctx, vars, 0);
});

/// Runs one graph (the top level, a branch or an iteration) with its own copy of the variables.
fn run(
    m: &Machine,
    start: StateId,
    input: Value,
    ctx: &Value,
    mut vars: Map<String, Value>,
    depth: usize,
) {
    let mut id = start;
    let mut input = input;
    for step in 0..MAX_STEPS {
        let env = Env { input: &input, context: ctx, vars: &vars, seed: step as u64 };
        let outcome = match m.enter(id, &env) {
            Entered::Done(o) => Ok(o),
            Entered::Task { parameters, .. } => {
                m.complete(id, &env, json!({"task": parameters, "n": 1}))
            }
            Entered::Wait(_) => m.complete(id, &env, Value::Null),
            Entered::Parallel(branches) => {
                let mut outs = Vec::new();
                for (b, bin) in branches.into_iter().take(4) {
                    if depth < MAX_DEPTH {
                        run(m, b, bin.clone(), ctx, vars.clone(), depth + 1);
                    }
                    outs.push(bin);
                }
                m.complete(id, &env, Value::Array(outs))
            }
            Entered::Map { start, items, .. } => {
                if depth < MAX_DEPTH {
                    for it in items.iter().take(3) {
                        run(m, start, it.clone(), ctx, vars.clone(), depth + 1);
                    }
                }
                m.complete(id, &env, Value::Array(items))
            }
            Entered::Failed(f) => Err(f),
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(mut f) => {
                fill_entered_event_id(&mut f, 2);
                let attempts = vec![1; m.state(id).retrier_count()];
                match m.on_error(id, &env, &f, &attempts, 0.5) {
                    ErrorDecision::Catch { next, output, assigned } => {
                        Outcome::Next { next, output, assigned }
                    }
                    ErrorDecision::Retry { .. } | ErrorDecision::Fail => return,
                }
            }
        };
        match outcome {
            Outcome::Next { next, output, assigned } => {
                vars.extend(assigned.unwrap_or_default());
                id = next;
                input = output;
            }
            Outcome::End { .. } | Outcome::Fail(_) => return,
        }
    }
}
