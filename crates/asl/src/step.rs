//! The interpreter: what happens when a state is entered, when its work completes
//! and when it fails. Pure functions of the machine, the state's input and the context.
//!
//! OWNER: machine helper. The engine drives these in this order:
//! `enter` → (Task/Wait/Parallel/Map: engine does the work) → `complete` or `on_error`.
//!
//! Input and output processing follows AWS exactly:
//! InputPath → Parameters → (the work) → ResultSelector → ResultPath → OutputPath.
//! Pass uses `Result` (or its effective input) as the result; Choice, Wait and Succeed apply
//! InputPath then OutputPath; Fail applies none of them.
//!
//! Runtime causes read like AWS's: `An error occurred while executing the state 'A' (entered
//! at the event id #2). Invalid path '$.x' : No results for path: $['x']`. This crate does not
//! know event ids, so causes carry [`ENTERED_EVENT_ID`] where the id goes; the engine replaces
//! it with [`fill_entered_event_id`] before recording or handling the fault.
mod inspect;
pub(crate) mod io;
mod ja;

use std::borrow::Cow;

use serde_json::Value;

use crate::choice::Rule;
use crate::machine::{Body, Num, PathSpec, State, Text, Transition, WaitSpec};
use crate::template::Template;
use crate::{Env, Fault, Machine, StateId};

/// A Choice rule with its `Next` and its own `Assign`.
type ChoiceRule = (Rule, StateId, Option<Template>);

use inspect::note;
pub use inspect::Inspection;
pub use io::{invalid_path_cause, json_text};

/// Stands for the entered-event id (with its `#`) in runtime causes.
pub const ENTERED_EVENT_ID: &str = "#{entered_event_id}";

/// The largest `TimeoutSeconds` or `HeartbeatSeconds` a Task may have: AWS's definition limit
/// (`Maximum value is 99999999`). Values resolved at run time (`TimeoutSecondsPath`, a JSONata
/// expression) are held to `1..=MAX_TASK_SECONDS` too, so whatever the input holds, a deadline
/// computed from them stays far from any integer overflow.
pub const MAX_TASK_SECONDS: u64 = 99_999_999;

/// Replaces [`ENTERED_EVENT_ID`] in `fault.cause` by `#<event_id>`.
pub fn fill_entered_event_id(fault: &mut Fault, event_id: u64) {
    if fault.cause.contains(ENTERED_EVENT_ID) {
        fault.cause = fault.cause.replace(ENTERED_EVENT_ID, &format!("#{event_id}"));
    }
}

/// What entering a state asks of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Entered {
    /// The state finished at once (Pass, Choice, Succeed, Fail).
    Done(Outcome),
    /// Run a task (activity or service integration) with its effective parameters.
    Task {
        /// The `Resource` ARN.
        resource: String,
        /// The effective input sent to the worker (after InputPath and Parameters).
        parameters: Value,
        /// `TimeoutSeconds` (or resolved `TimeoutSecondsPath`), if any: in `1..=`[`MAX_TASK_SECONDS`].
        timeout_seconds: Option<u64>,
        /// `HeartbeatSeconds` (or resolved `HeartbeatSecondsPath`), if any: in `1..=`[`MAX_TASK_SECONDS`].
        heartbeat_seconds: Option<u64>,
    },
    /// Wait, then call [`Machine::complete`] with `Value::Null` as the result.
    Wait(WaitUntil),
    /// Run each branch from its start state with the given input; then `complete`
    /// with the array of branch outputs.
    Parallel(Vec<(StateId, Value)>),
    /// Run the item processor once per item; then `complete` with the array of outputs.
    Map {
        /// The processor's start state.
        start: StateId,
        /// Each iteration's input (after ItemSelector).
        items: Vec<Value>,
        /// 0 means unbounded.
        max_concurrency: u32,
        /// `ToleratedFailurePercentage` (resolved), 0–100.
        tolerated_failure_percentage: Option<f64>,
        /// `ToleratedFailureCount` (resolved).
        tolerated_failure_count: Option<u64>,
        /// A Distributed Map's fault that AWS raises after `MapStateStarted`: its
        /// tolerated-failure fields did not resolve (the engine records the start, then fails).
        late_fault: Option<Fault>,
    },
    /// Input processing failed; the engine asks [`Machine::on_error`] what to do.
    Failed(Fault),
}

/// When a Wait state ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    /// This many seconds after the state is entered.
    Seconds(u64),
    /// At this instant, in milliseconds since the Unix epoch.
    TimestampMillis(i64),
}

/// How a state ended.
///
/// # Workflow variables (`Assign`)
///
/// `assigned` holds the variables the state assigns, in definition order, or `None` when the
/// state (or the matched Choice rule, or the catcher) has no `Assign`. Every expression of the
/// state, its `Assign` included, read the variables from *before* the state (`Env::vars`); the
/// engine applies `assigned` only once the state has exited: it inserts (overwrites) each entry
/// into the variables of the frame that ran the state, and records them as the
/// `assignedVariables` of the `…StateExited` event (each value serialized as JSON text).
///
/// Scoping, which the engine owns through its frames (AWS's rules for nested workflows):
/// - A Map iteration or Parallel branch starts with a **copy** of the variables visible to the
///   Map/Parallel state when it was entered: inner states read outer variables.
/// - Assignments made inside an iteration or branch change only that iteration's/branch's copy:
///   they are never visible to sibling iterations/branches, nor to the outer graph once the
///   Map/Parallel state completes (return data with the state's output instead). The outer
///   variables stay as they were when the Map/Parallel state was entered, and the
///   Map/Parallel state's own `Assign` (evaluated in [`Machine::complete`]) is applied to them.
/// - A Map/Parallel state's `ItemSelector`/`Parameters`/`ItemsPath`/`…Path` fields read the
///   outer variables, as any field does.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Continue at `next` with `output`.
    Next {
        /// The next state.
        next: StateId,
        /// The state's output (the next state's input).
        output: Value,
        /// The variables the state assigns (see [`Outcome`]).
        assigned: Option<serde_json::Map<String, Value>>,
    },
    /// The graph (execution, branch or iteration) ends with `output`.
    End {
        /// The final output.
        output: Value,
        /// The variables the state assigns (see [`Outcome`]).
        assigned: Option<serde_json::Map<String, Value>>,
    },
    /// A Fail state: the graph ends in failure (not catchable within the same graph).
    Fail(Fault),
}

/// What to do about a fault raised in a state.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorDecision {
    /// Retry the state after `delay_ms`, counting an attempt against retrier `retrier`.
    Retry {
        /// Index of the matching Retry entry.
        retrier: usize,
        /// Backoff delay in milliseconds.
        delay_ms: u64,
    },
    /// Caught: continue at `next` with `output` (the Catch's ResultPath applied).
    Catch {
        /// The catcher's `Next`.
        next: StateId,
        /// The state output.
        output: Value,
        /// The catcher's `Assign`, evaluated with `$` = `{"Error", "Cause"}` (the state's own
        /// `Assign` is not applied when a catcher handles the error).
        assigned: Option<serde_json::Map<String, Value>>,
    },
    /// Not handled: the fault propagates (fails the branch or execution).
    Fail,
}

impl Machine {
    /// Enters state `id`; `env.input` is the state's raw input.
    pub fn enter(&self, id: StateId, env: &Env<'_>) -> Entered {
        match self.enter_with(self.state(id), env, &mut None) {
            Ok(e) => e,
            Err(f) => Entered::Failed(f),
        }
    }

    /// [`Machine::enter`] with the raw input lent mutably: a JSONPath Pass or Choice state,
    /// which cannot need its input again (neither has Retry or Catch), takes it and builds its
    /// output from it in place rather than from a copy, leaving `null` (once its input
    /// processing has succeeded; a Choice whose rules fail leaves it). Any other state
    /// leaves `input` as it was. The result is the same as `enter`'s.
    pub fn enter_taking(&self, id: StateId, input: &mut Value, scope: Env<'_>) -> Entered {
        let st = self.state(id);
        let done = match (&st.body, &st.ja) {
            (Body::Pass { result }, None) => pass_taking(st, result.as_ref(), input, scope),
            (Body::Choice { choices, default }, None)
                if matches!(st.io.input_path, PathSpec::Whole) =>
            {
                choice_taking(st, choices, *default, input, scope)
            }
            _ => return self.enter(id, &scope.with_input(input)),
        };
        match done {
            Ok(outcome) => Entered::Done(outcome),
            Err(f) => Entered::Failed(f),
        }
    }

    /// Enters `st`, recording the steps of input processing into `ins` when there is one.
    fn enter_with(
        &self,
        st: &State,
        env: &Env<'_>,
        ins: &mut Option<&mut Inspection>,
    ) -> Result<Entered, Fault> {
        if let Some(j) = &st.ja {
            return ja::enter(st, j, env, ins);
        }
        Ok(match &st.body {
            Body::Pass { result } => {
                let result = match result {
                    Some(r) => {
                        note(ins, |i| &mut i.result, r);
                        r.clone()
                    }
                    None => io::effective_input(st, env, ins)?,
                };
                Entered::Done(io::finish(st, env, result, ins)?)
            }
            Body::Task { resource, timeout, heartbeat, .. } => Entered::Task {
                resource: resource.clone(),
                timeout_seconds: resolve_seconds(st, env, timeout.as_ref(), "TimeoutSecondsPath")?,
                heartbeat_seconds: resolve_seconds(
                    st,
                    env,
                    heartbeat.as_ref(),
                    "HeartbeatSecondsPath",
                )?,
                parameters: io::effective_input(st, env, ins)?,
            },
            Body::Choice { choices, default } => {
                let input = io::input_path(st, env)?;
                note(ins, |i| &mut i.after_input_path, &input);
                let (next, assigned) = choose(st, choices, *default, env, &input)?;
                let output = io::output_path(st, env, input.into_owned())?;
                Entered::Done(Outcome::Next { next, output, assigned })
            }
            Body::Wait(spec) => {
                let input = io::input_path(st, env)?;
                note(ins, |i| &mut i.after_input_path, &input);
                Entered::Wait(wait_until(st, &env.with_input(&input), spec)?)
            }
            Body::Succeed => {
                let input = io::input_path(st, env)?;
                note(ins, |i| &mut i.after_input_path, &input);
                let assigned = io::assign(st, st.assign.as_ref(), env, &input)?;
                Entered::Done(Outcome::End {
                    output: io::output_path(st, env, input.into_owned())?,
                    assigned,
                })
            }
            Body::Fail { error, cause } => {
                // A Fail state applies no InputPath; AWS reports its input as the step's value.
                note(ins, |i| &mut i.after_input_path, env.input);
                let error = fail_text(st, env, error.as_ref(), "ErrorPath")?;
                let cause = fail_text(st, env, cause.as_ref(), "CausePath")?;
                Entered::Done(Outcome::Fail(Fault::new(error, cause)))
            }
            Body::Parallel { branches } => {
                let input = io::effective_input(st, env, ins)?;
                let mut out = Vec::with_capacity(branches.len());
                if let Some((last, rest)) = branches.split_last() {
                    out.extend(rest.iter().map(|b| (*b, input.clone())));
                    out.push((*last, input));
                }
                Entered::Parallel(out)
            }
            Body::Map(spec) => io::enter_map(st, env, spec, ins)?,
        })
    }

    /// Completes state `id` with the work's `result`; `env.input` is the state's raw input.
    /// Applies ResultSelector → ResultPath → OutputPath.
    pub fn complete(&self, id: StateId, env: &Env<'_>, result: Value) -> Result<Outcome, Fault> {
        self.complete_with(id, env, result, &mut None)
    }

    /// Completes state `id`, recording the steps of output processing into `ins`.
    fn complete_with(
        &self,
        id: StateId,
        env: &Env<'_>,
        result: Value,
        ins: &mut Option<&mut Inspection>,
    ) -> Result<Outcome, Fault> {
        let st = self.state(id);
        if let Some(j) = &st.ja {
            return ja::complete(st, j, env, result);
        }
        match &st.body {
            Body::Task { .. } | Body::Parallel { .. } | Body::Map(_) => {
                let result = match &st.io.result_selector {
                    Some(t) => t.render(&env.with_input(&result)).map_err(|f| io::prefix(st, f))?,
                    None => result,
                };
                io::finish(st, env, result, ins)
            }
            Body::Pass { .. } => io::finish(st, env, result, ins),
            Body::Wait(_) => {
                let input = io::input_path(st, env)?;
                let assigned = io::assign(st, st.assign.as_ref(), env, &input)?;
                let output = io::output_path(st, env, input.into_owned())?;
                Ok(io::transition(st, output, assigned))
            }
            Body::Choice { .. } | Body::Succeed | Body::Fail { .. } => {
                match self.enter_with(st, env, ins)? {
                    Entered::Done(o) => Ok(o),
                    _ => Ok(io::transition(st, result, None)),
                }
            }
        }
    }

    /// Decides about `fault` raised in state `id`. `attempts[i]` is how many retries retrier
    /// `i` has made so far in this state; `jitter` is a number in [0, 1) from the engine.
    pub fn on_error(
        &self,
        id: StateId,
        env: &Env<'_>,
        fault: &Fault,
        attempts: &[u32],
        jitter: f64,
    ) -> ErrorDecision {
        let st = self.state(id);
        if let Some((retrier, delay_ms)) =
            crate::retry::decide_retry(&st.retry, &fault.error, attempts, jitter)
        {
            return ErrorDecision::Retry { retrier, delay_ms };
        }
        let Some(c) = crate::retry::find_catcher(&st.catch, &fault.error) else {
            return ErrorDecision::Fail;
        };
        let mut err = serde_json::Map::with_capacity(2);
        err.insert("Error".to_owned(), Value::String(fault.error.clone()));
        err.insert("Cause".to_owned(), Value::String(fault.cause.clone()));
        let err = Value::Object(err);
        if c.jsonata {
            return ja::catch(st, c, env, err);
        }
        // A catcher whose Assign or ResultPath fails does not handle the error.
        let Ok(assigned) = io::assign(st, c.assign.as_ref(), env, &err) else {
            return ErrorDecision::Fail;
        };
        match io::result_path(st, &c.result_path, Cow::Borrowed(env.input), err) {
            Ok(output) => ErrorDecision::Catch { next: c.next(), output, assigned },
            Err(_) => ErrorDecision::Fail,
        }
    }
}

/// A JSONPath Pass state entered with its raw input lent (see [`Machine::enter_taking`]).
fn pass_taking(
    st: &State,
    result: Option<&Value>,
    input: &mut Value,
    scope: Env<'_>,
) -> Result<Outcome, Fault> {
    static NO_INPUT: Value = Value::Null;
    let env = scope.with_input(&NO_INPUT);
    let result = match result {
        Some(r) => r.clone(),
        // The effective input is the raw input itself: no copy of it.
        None if st.io.parameters.is_none() && matches!(st.io.input_path, PathSpec::Whole) => {
            return io::finish_passing(st, &env, std::mem::take(input));
        }
        None => io::effective_input(st, &scope.with_input(input), &mut None)?,
    };
    io::finish_taking(st, &env, std::mem::take(input), result)
}

/// A JSONPath Choice state with the default `InputPath`, entered with its raw input lent
/// (see [`Machine::enter_taking`]): the input is taken only once a rule (or `Default`) was
/// chosen and the `Assign` evaluated.
fn choice_taking(
    st: &State,
    choices: &[ChoiceRule],
    default: Option<StateId>,
    input: &mut Value,
    scope: Env<'_>,
) -> Result<Outcome, Fault> {
    let (next, assigned) = choose(st, choices, default, &scope.with_input(input), input)?;
    static NO_INPUT: Value = Value::Null;
    let output = io::output_path(st, &scope.with_input(&NO_INPUT), std::mem::take(input))?;
    Ok(Outcome::Next { next, output, assigned })
}

/// The Choice rule that matches `input` (the input after `InputPath`), or `Default`: the
/// next state and the variables assigned. `env.input` is the raw input.
fn choose(
    st: &State,
    choices: &[ChoiceRule],
    default: Option<StateId>,
    env: &Env<'_>,
    input: &Value,
) -> Result<(StateId, Option<serde_json::Map<String, Value>>), Fault> {
    let scope = env.with_input(input);
    let mut matched = None;
    for (rule, target, assign) in choices {
        if rule.matches(&scope).map_err(|f| io::prefix(st, f))? {
            matched = Some((*target, assign.as_ref()));
            break;
        }
    }
    // A matching rule assigns its own `Assign`; the state-level `Assign` applies
    // when no rule matches and `Default` is taken (AWS's recordings, LocalStack).
    let (next, assign) = match (matched, default) {
        (Some(m), _) => m,
        (None, Some(d)) => (d, st.assign.as_ref()),
        // The spec's predefined error for a Choice without a match or Default.
        (None, None) => {
            return Err(Fault::new(crate::error::names::NO_CHOICE_MATCHED, NO_CHOICE_MATCHED))
        }
    };
    Ok((next, io::assign(st, assign, env, input)?))
}

/// Cause detail for a Choice state where no rule matched and there is no `Default`.
/// AWS documents the error name (`States.NoChoiceMatched` is "reserved", the error is
/// reported as `States.Runtime`); the wording of the cause is not verified.
pub const NO_CHOICE_MATCHED: &str = "No Matches!";

/// A Task's `TimeoutSeconds`/`HeartbeatSeconds`, resolving its `…Path` form against the input.
/// The cause is the one AWS gives for a value that is not an integer; AWS's wording for an
/// integer out of range is not recorded, so it gets the same cause.
fn resolve_seconds(
    st: &State,
    env: &Env<'_>,
    spec: Option<&Num<u64>>,
    field: &str,
) -> Result<Option<u64>, Fault> {
    match spec {
        None => Ok(None),
        Some(Num::Fixed(n)) => Ok(Some(*n)),
        Some(Num::Path(p)) => {
            let v = p
                .select(env)
                .ok_or_else(|| io::runtime(st, invalid_path_cause(p.as_str(), env.input)))?;
            // Zero, negative, fractional and too large values all fail alike: the path must
            // select a positive integer no larger than the definition's own limit.
            match v.as_u64() {
                Some(n) if (1..=MAX_TASK_SECONDS).contains(&n) => Ok(Some(n)),
                _ => Err(io::runtime(
                    st,
                    format!(
                        "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                        json_text(&v),
                        p.as_str()
                    ),
                )),
            }
        }
    }
}

fn wait_until(st: &State, env: &Env<'_>, spec: &WaitSpec) -> Result<WaitUntil, Fault> {
    match spec {
        WaitSpec::Seconds(s) => Ok(WaitUntil::Seconds(*s)),
        WaitSpec::TimestampMillis(ms) => Ok(WaitUntil::TimestampMillis(*ms)),
        WaitSpec::SecondsPath(p) => {
            let path = p.as_str();
            let v = p.select(env).ok_or_else(|| {
                io::runtime(
                    st,
                    format!("The SecondsPath parameter does not reference an input value: {path}"),
                )
            })?;
            let shown = json_text(&v);
            if let Some(n) = v.as_u64() {
                return Ok(WaitUntil::Seconds(n));
            }
            if v.as_i64().is_some() {
                return Err(io::runtime(
                    st,
                    format!(
                        "The SecondsPath parameter references a negative value: {path} == {shown}"
                    ),
                ));
            }
            Err(io::runtime(
                st,
                format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {path} == {shown}"
                ),
            ))
        }
        WaitSpec::TimestampPath(p) => {
            let path = p.as_str();
            let v = p.select(env).ok_or_else(|| {
                io::runtime(
                    st,
                    format!(
                        "The TimestampPath parameter does not reference an input value: {path}"
                    ),
                )
            })?;
            match v.as_str().and_then(crate::definition::parse_timestamp) {
                Some(ms) => Ok(WaitUntil::TimestampMillis(ms)),
                None => Err(io::runtime(
                    st,
                    format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {path} == {}",
                        json_text(&v)
                    ),
                )),
            }
        }
    }
}

fn fail_text(st: &State, env: &Env<'_>, spec: Option<&Text>, field: &str) -> Result<String, Fault> {
    match spec {
        None => Ok(String::new()),
        Some(Text::Fixed(s)) => Ok(s.clone()),
        Some(Text::Intrinsic(call)) => match call.eval(env)? {
            Value::String(s) => Ok(s),
            v => Ok(v.to_string()),
        },
        Some(Text::Path(p)) => match p.select(env) {
            Some(Value::String(s)) => Ok(s),
            Some(v) => Ok(v.to_string()),
            None => Err(io::runtime(
                st,
                format!(
                    "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                    p.as_str(),
                    env.input
                ),
            )),
        },
    }
}

/// Where a state goes once it has its output.
pub(crate) fn next_of(st: &State) -> Option<StateId> {
    match st.transition {
        Transition::Next(n) => Some(n),
        _ => None,
    }
}
