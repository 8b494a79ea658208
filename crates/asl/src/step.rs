//! The interpreter: what happens when a state is entered, when its work completes
//! and when it fails. Pure functions of the machine, the state's input and the context.
//!
//! OWNER: machine helper. The engine drives these in this order:
//! `enter` → (Task/Wait/Parallel/Map: engine does the work) → `complete` or `on_error`.
use serde_json::Value;

use crate::{Env, Fault, Machine, StateId};

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
        /// `TimeoutSeconds` (or resolved `TimeoutSecondsPath`), if any.
        timeout_seconds: Option<u64>,
        /// `HeartbeatSeconds` (or resolved `HeartbeatSecondsPath`), if any.
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
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Continue at `next` with `output`.
    Next {
        /// The next state.
        next: StateId,
        /// The state's output (the next state's input).
        output: Value,
    },
    /// The graph (execution, branch or iteration) ends with `output`.
    End {
        /// The final output.
        output: Value,
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
    },
    /// Not handled: the fault propagates (fails the branch or execution).
    Fail,
}

impl Machine {
    /// Enters state `id`; `env.input` is the state's raw input.
    pub fn enter(&self, id: StateId, env: &Env<'_>) -> Entered {
        let _ = (id, env);
        unimplemented!("step::enter")
    }
    /// Completes state `id` with the work's `result`; `env.input` is the state's raw input.
    /// Applies ResultSelector → ResultPath → OutputPath.
    pub fn complete(&self, id: StateId, env: &Env<'_>, result: Value) -> Result<Outcome, Fault> {
        let _ = (id, env, result);
        unimplemented!("step::complete")
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
        let _ = (id, env, fault, attempts, jitter);
        unimplemented!("step::on_error")
    }
}
