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
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use stepwise_asl::Fault;

use super::decide::Decision;
use super::Engine;
use crate::execution::FrameId;

mod sfn;
mod states;

/// One call of a service integration.
#[derive(Debug, Clone)]
pub struct ServiceCall {
    /// The calling execution's ARN.
    pub execution: Arc<str>,
    pub(crate) frame: FrameId,
    pub(crate) generation: u64,
    /// The integration, as history names it (`aws-sdk:sfn`, `lambda`, `sqs`, …).
    pub resource_type: String,
    /// The API action, without the pattern's suffix (`sendTaskSuccess`, `invoke`, …).
    pub action: String,
    /// How the Task waits for the service (the resource ARN's suffix).
    pub pattern: Pattern,
    /// The region of the calling state machine: where the service is called unless the
    /// parameters name another (a function ARN, a queue URL).
    pub region: String,
    /// The state's evaluated Parameters/Arguments.
    pub parameters: Value,
}

/// How a Task waits for its service: the suffix of its resource ARN
/// (AWS's "service integration patterns").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Pattern {
    /// No suffix: the call's response is the result.
    #[default]
    RequestResponse,
    /// `.sync`: the call starts a job and the result is the job's end.
    Sync,
    /// `.sync:2`: as `.sync`, with the job's output parsed as JSON.
    Sync2,
    /// `.waitForTaskToken`: the call hands `$$.Task.Token` to someone who answers with
    /// `SendTaskSuccess`/`SendTaskFailure`.
    WaitForTaskToken,
}

impl Pattern {
    /// The suffix history appends to the action (`sendMessage.waitForTaskToken`).
    pub fn suffix(self) -> &'static str {
        match self {
            Pattern::RequestResponse => "",
            Pattern::Sync => ".sync",
            Pattern::Sync2 => ".sync:2",
            Pattern::WaitForTaskToken => ".waitForTaskToken",
        }
    }
}

/// A service Task resource ARN taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceResource {
    /// `lambda`, `sqs`, `aws-sdk:dynamodb`, `states`, `http`, …
    pub resource_type: String,
    /// `invoke`, `sendMessage`, `getItem`, …
    pub action: String,
    pub pattern: Pattern,
    /// A bare Lambda function ARN (`arn:aws:lambda:…:function:…`), which AWS records
    /// with the `LambdaFunction*` events.
    pub legacy_lambda: bool,
}

impl ServiceResource {
    /// Parses `arn:<partition>:states:::<service>:<action>[.<pattern>]` or a Lambda
    /// function ARN; `None` for anything else (an activity, a malformed ARN).
    pub(crate) fn parse(resource: &str) -> Option<ServiceResource> {
        let mut parts = resource.splitn(6, ':');
        let (arn, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
        if arn != "arn" {
            return None;
        }
        if service == "lambda" {
            let rest: Vec<&str> = parts.collect();
            if rest.len() == 3 && rest[2].starts_with("function:") {
                return Some(ServiceResource {
                    resource_type: "lambda".into(),
                    action: "invoke".into(),
                    pattern: Pattern::RequestResponse,
                    legacy_lambda: true,
                });
            }
            return None;
        }
        if service != "states" {
            return None;
        }
        let (region, account, tail) = (parts.next()?, parts.next()?, parts.next()?);
        if !region.is_empty() || !account.is_empty() {
            return None;
        }
        let (tail, pattern) = if let Some(t) = tail.strip_suffix(".waitForTaskToken") {
            (t, Pattern::WaitForTaskToken)
        } else if let Some(t) = tail.strip_suffix(".sync:2") {
            (t, Pattern::Sync2)
        } else if let Some(t) = tail.strip_suffix(".sync") {
            (t, Pattern::Sync)
        } else {
            (tail, Pattern::RequestResponse)
        };
        let (resource_type, action) = tail.rsplit_once(':')?;
        if resource_type.is_empty() || action.is_empty() || resource_type == "activity" {
            return None;
        }
        Some(ServiceResource {
            resource_type: resource_type.into(),
            action: action.into(),
            pattern,
            legacy_lambda: false,
        })
    }

    /// The action as history records it: with the pattern's suffix.
    pub(crate) fn history_name(&self) -> String {
        format!("{}{}", self.action, self.pattern.suffix())
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pattern::RequestResponse => "request-response",
            Pattern::Sync => "sync",
            Pattern::Sync2 => "sync:2",
            Pattern::WaitForTaskToken => "waitForTaskToken",
        })
    }
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
    by_type: parking_lot::RwLock<HashMap<String, Arc<dyn Integration>>>,
}

impl Integrations {
    /// The integrations built into the engine (Step Functions' own API, `aws-sdk:sfn`,
    /// and nested executions, `states`)
    /// and `extra`, which may replace them.
    pub(crate) fn with_builtins(extra: Vec<(String, Arc<dyn Integration>)>) -> Self {
        let mut by_type: HashMap<String, Arc<dyn Integration>> = HashMap::new();
        by_type.insert("aws-sdk:sfn".into(), Arc::new(sfn::Sfn));
        by_type.insert("states".into(), Arc::new(states::States));
        by_type.extend(extra);
        Integrations { by_type: parking_lot::RwLock::new(by_type) }
    }

    pub(crate) fn get(&self, resource_type: &str) -> Option<Arc<dyn Integration>> {
        self.by_type.read().get(resource_type).cloned()
    }

    pub(crate) fn has(&self, resource_type: &str) -> bool {
        self.by_type.read().contains_key(resource_type)
    }
}

impl Engine {
    /// Registers `integration` for Task resources of `resource_type` (`lambda`, `sqs`,
    /// `aws-sdk:dynamodb`, …), replacing any before it. Resources with no integration
    /// fail their Task with `States.Runtime`, naming the resource.
    pub fn register_integration(&self, resource_type: &str, integration: Arc<dyn Integration>) {
        self.inner.integrations.by_type.write().insert(resource_type.to_owned(), integration);
    }

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
                    let outcome = match engine.inner.integrations.get(&call.resource_type) {
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
