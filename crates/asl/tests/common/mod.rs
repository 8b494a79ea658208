//! The test driver shared by the asl integration tests: it plays the engine, so whole
//! workflows run without one. Tasks echo `{"Payload": <parameters>}` (a resource ending in
//! `:fail` fails with `Boom`), `assigned` is applied after each state (and logged), and Map
//! iterations and Parallel branches get a copy of the variables (the rule in `Outcome`'s docs).
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use stepwise_asl::step::fill_entered_event_id;
use stepwise_asl::{Entered, Env, ErrorDecision, Fault, Machine, Outcome, StateId, WaitUntil};

pub type Vars = Map<String, Value>;

/// A run's record.
pub struct Run<'m> {
    pub m: &'m Machine,
    pub ctx: Value,
    /// `(state name, assigned variables)` for each state that assigned some, in order.
    pub log: Vec<(String, Value)>,
    pub waits: Vec<WaitUntil>,
    /// `(parameters, TimeoutSeconds, HeartbeatSeconds)` of each task.
    pub tasks: Vec<(Value, Option<u64>, Option<u64>)>,
    pub maps: Vec<(u32, Option<f64>, Option<u64>)>,
}

impl Run<'_> {
    /// Runs one graph from `start` with its own variables `vars`.
    pub fn graph(&mut self, start: StateId, input: Value, vars: &mut Vars) -> Result<Value, Fault> {
        let (mut id, mut input) = (start, input);
        for _ in 0..100 {
            let st = self.m.state(id);
            let e = Env { input: &input, context: &self.ctx, vars, seed: 1 };
            let done = match self.m.enter(id, &e) {
                Entered::Done(o) => Ok(o),
                Entered::Wait(w) => {
                    self.waits.push(w);
                    self.m.complete(id, &e, Value::Null)
                }
                Entered::Task { resource, parameters, timeout_seconds, heartbeat_seconds } => {
                    self.tasks.push((parameters.clone(), timeout_seconds, heartbeat_seconds));
                    if resource.ends_with(":fail") {
                        Err(Fault::new("Boom", "it broke"))
                    } else {
                        self.m.complete(id, &e, json!({"Payload": parameters}))
                    }
                }
                Entered::Parallel(branches) => {
                    let mut outs = Vec::new();
                    for (b, i) in branches {
                        outs.push(self.graph(b, i, &mut vars.clone())?);
                    }
                    let e = Env { input: &input, context: &self.ctx, vars, seed: 1 };
                    self.m.complete(id, &e, Value::Array(outs))
                }
                Entered::Map {
                    start,
                    items,
                    max_concurrency,
                    tolerated_failure_percentage,
                    tolerated_failure_count,
                    ..
                } => {
                    self.maps.push((
                        max_concurrency,
                        tolerated_failure_percentage,
                        tolerated_failure_count,
                    ));
                    let mut outs = Vec::new();
                    for i in items {
                        outs.push(self.graph(start, i, &mut vars.clone())?);
                    }
                    let e = Env { input: &input, context: &self.ctx, vars, seed: 1 };
                    self.m.complete(id, &e, Value::Array(outs))
                }
                Entered::Failed(f) => Err(f),
            };
            let outcome = match done {
                Ok(o) => o,
                Err(mut f) => {
                    fill_entered_event_id(&mut f, 2);
                    let e = Env { input: &input, context: &self.ctx, vars, seed: 1 };
                    match self.m.on_error(id, &e, &f, &vec![0; st.retrier_count()], 0.0) {
                        ErrorDecision::Catch { next, output, assigned } => {
                            Outcome::Next { next, output, assigned }
                        }
                        _ => return Err(f),
                    }
                }
            };
            let (next, output, assigned) = match outcome {
                Outcome::Next { next, output, assigned } => (Some(next), output, assigned),
                Outcome::End { output, assigned } => (None, output, assigned),
                Outcome::Fail(mut f) => {
                    fill_entered_event_id(&mut f, 2);
                    return Err(f);
                }
            };
            if let Some(a) = assigned {
                self.log.push((st.name().to_owned(), Value::Object(a.clone())));
                vars.extend(a);
            }
            match next {
                Some(n) => (id, input) = (n, output),
                None => return Ok(output),
            }
        }
        panic!("too many steps")
    }
}

/// Runs `def` on `input` (fault causes cite event id #2): the result and the run's record.
pub fn run(def: &Value, input: Value) -> (Result<Value, Fault>, Run<'static>) {
    let v = Machine::parse(&def.to_string());
    let m: &'static Machine = match v.machine {
        Some(m) => Box::leak(Box::new(m)),
        None => panic!("invalid: {:?}\n{def}", v.diagnostics),
    };
    let ctx = json!({"Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm:ex", "Input": input.clone()}});
    let mut r =
        Run { m, ctx, log: Vec::new(), waits: Vec::new(), tasks: Vec::new(), maps: Vec::new() };
    let res = r.graph(m.start_state(), input, &mut Vars::new());
    (res, r)
}
