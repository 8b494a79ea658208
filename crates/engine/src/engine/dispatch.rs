//! Service integrations: the work a Task state asks of another service, done outside
//! the engine.
//!
//! A decision that calls a service records `TaskScheduled`/`TaskStarted` and yields an
//! effect. Once that decision is durable, the call goes to the [`Integration`] of its
//! resource type on a task of its own, holding no lock; its outcome comes back as a new
//! decision of the execution ([`Engine::answer_call`]), applied once: only while the
//! frame still waits for that very call. A restart repeats calls that had not answered
//! (their frame's snapshot says so), so a call runs at least once, as AWS documents.
//!
//! The engine never depends on an HTTP client: integrations that call the network live
//! outside it and are registered by resource type.
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use stepwise_asl::Fault;

use super::decide::Decision;
use super::Engine;
use crate::execution::FrameId;

mod sfn;

/// One call of a service integration.
#[derive(Debug, Clone)]
pub struct ServiceCall {
    /// The calling execution's ARN.
    pub execution: Arc<str>,
    pub(crate) frame: FrameId,
    pub(crate) generation: u64,
    /// The integration, as history names it (`aws-sdk:sfn`, `lambda`, …).
    pub resource_type: String,
    /// The API action (`sendTaskSuccess`, `invoke`, …).
    pub action: String,
    /// The state's evaluated Parameters/Arguments.
    pub parameters: Value,
}

/// The outcome of a call: the result the state receives, or the error it raises.
pub type CallResult = std::result::Result<Value, Fault>;

/// A call on its way.
pub type CallFuture = Pin<Box<dyn Future<Output = CallResult> + Send>>;

/// A service the engine can call from Task states.
pub trait Integration: Send + Sync + 'static {
    /// Makes `call`. It runs outside every engine lock and may take as long as the
    /// service does; the execution waits without holding anything up.
    fn call(&self, engine: &Engine, call: &ServiceCall) -> CallFuture;
}

/// Integrations by resource type.
pub(crate) struct Integrations {
    by_type: HashMap<String, Arc<dyn Integration>>,
}

impl Integrations {
    /// The integrations built into the engine: Step Functions' own API (`aws-sdk:sfn`).
    pub(crate) fn with_builtins() -> Self {
        let mut by_type: HashMap<String, Arc<dyn Integration>> = HashMap::new();
        by_type.insert("aws-sdk:sfn".into(), Arc::new(sfn::Sfn));
        Integrations { by_type }
    }
}

impl Engine {
    /// Makes `calls` once the decision that asked for them is durable (`durable`
    /// resolves then), each on a task of its own.
    pub(crate) fn dispatch(
        &self,
        calls: Vec<ServiceCall>,
        durable: tokio::sync::oneshot::Receiver<crate::Result<()>>,
    ) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!("service calls need a tokio runtime; {} not made", calls.len());
            return;
        };
        let engine = self.clone();
        runtime.spawn(async move {
            // A decision that did not reach the store never asked: its reload repeats the
            // call if the durable state still wants it.
            if !matches!(durable.await, Ok(Ok(()))) {
                return;
            }
            for call in calls {
                let engine = engine.clone();
                tokio::spawn(async move {
                    let outcome = match engine.inner.integrations.by_type.get(&call.resource_type) {
                        Some(integration) => integration.call(&engine, &call).await,
                        None => Err(Fault::runtime(format!(
                            "Stepwise does not support the resource type '{}' yet",
                            call.resource_type
                        ))),
                    };
                    engine.answer_call(&call, outcome);
                });
            }
        });
    }

    /// Feeds a call's outcome back to its execution, if the frame still waits for it.
    fn answer_call(&self, call: &ServiceCall, outcome: CallResult) {
        let Some(cell) = self.inner.registry.get(&call.execution) else { return };
        let Ok(mut slot) = self.lock_for_decision(&cell) else {
            // Being reloaded: the durable state repeats the call if it still waits.
            return;
        };
        let now = self.now();
        let Some(running) = slot.running() else { return };
        if !running.awaits_service(call.frame, call.generation) {
            return;
        }
        match outcome {
            Ok(output) => running.service_succeeded(call.frame, call.generation, output, now),
            Err(fault) => running.service_failed(call.frame, call.generation, fault, now),
        }
        let mut d = Decision::default();
        self.advance(&cell, &mut slot, now, &mut d);
        match self.finish(&cell, &mut slot, d) {
            Ok(ticket) => drop(ticket),
            Err(e) => tracing::error!("cannot commit {}: {e}", cell.key),
        }
    }
}
