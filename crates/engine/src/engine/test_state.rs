//! TestState: one state run on its own, with no execution created. The state goes through
//! the interpreter's own `enter`/`complete`/`on_error` (their inspected forms record the data
//! after each step), and a Task calls its registered integration as an execution's would,
//! unless the request mocks its outcome.
mod request;

use std::sync::Arc;

use serde_json::{json, Map, Value};
use stepwise_asl::{Entered, Env, ErrorDecision, Fault, Inspection, Outcome, StateId, StateKind};

pub use request::{
    InspectionLevel, TestMock, TestStateConfiguration, TestStateRequest, SINGLE_STATE_NAME,
};

use super::dispatch::{ServiceCall, ServiceResource};
use super::Engine;
use crate::error::{Error, Result};

/// How the tested state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// It produced its output.
    Succeeded,
    /// It failed and nothing handles the error.
    Failed,
    /// It failed and a retrier would retry it.
    Retriable,
    /// It failed and a catcher handles the error.
    CaughtError,
}

impl TestStatus {
    /// AWS's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// How a failure was handled (`inspectionData.errorDetails`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorDetails {
    /// The `Catch` entry that handles it.
    pub catch_index: Option<usize>,
    /// The `Retry` entry that matches it.
    pub retry_index: Option<usize>,
    /// The backoff before the retry, when there is one.
    pub retry_backoff_interval_seconds: Option<u64>,
}

/// What DEBUG and TRACE report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InspectionData {
    /// The state's input.
    pub input: Value,
    /// The data after each step.
    pub steps: Inspection,
    /// A Map state's resolved settings.
    pub max_concurrency: Option<u32>,
    /// A Map state's `ToleratedFailureCount`.
    pub tolerated_failure_count: Option<u64>,
    /// A Map state's `ToleratedFailurePercentage`.
    pub tolerated_failure_percentage: Option<f64>,
    /// How an error was handled.
    pub error_details: Option<ErrorDetails>,
    /// The variables after the state (absent when there are none).
    pub variables: Option<Map<String, Value>>,
}

/// TestState's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStateResult {
    /// How the state ended.
    pub status: TestStatus,
    /// Its output (JSON text), when it has one.
    pub output: Option<String>,
    /// The error it raised.
    pub error: Option<String>,
    /// The error's cause.
    pub cause: Option<String>,
    /// The state it goes to next.
    pub next_state: Option<String>,
    /// DEBUG and TRACE only.
    pub inspection: Option<InspectionData>,
}

/// TestState gives up on a service call after AWS's limit for the whole operation.
const CALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// One tested state's run, carrying what the answer reports.
struct Run<'a> {
    machine: &'a stepwise_asl::Machine,
    id: StateId,
    input: Value,
    context: Value,
    vars: Map<String, Value>,
    seed: u64,
    /// Retries already made (`stateConfiguration.retrierRetryCount`).
    retries_made: u32,
    data: InspectionData,
}

impl Engine {
    /// Runs the state `req` describes once and reports how it ended. No execution is created.
    pub async fn test_state(&self, req: TestStateRequest) -> Result<TestStateResult> {
        let target = request::target(&req.definition, req.state_name.as_deref())?;
        request::check(&req, &target)?;
        let input: Value = match &req.input {
            None => json!({}),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                Error::InvalidExecutionInput(format!("Invalid State input JSON: {e}"))
            })?,
        };
        let vars = match &req.variables {
            None => Map::new(),
            Some(text) => match serde_json::from_str(text) {
                Ok(Value::Object(m)) => m,
                _ => return Err(Error::Validation("Variables must be a JSON object".into())),
            },
        };
        let context = match &req.context {
            Some(text) => request::context(text, &target)?,
            None => self.test_context(&req, &target, &input),
        };
        let mut run = Run {
            machine: &target.machine,
            id: target.id,
            data: InspectionData { input: input.clone(), ..InspectionData::default() },
            input,
            context,
            vars,
            seed: self.now() as u64,
            retries_made: req.configuration.retrier_retry_count.unwrap_or(0),
        };
        let answer = self.run_state(&req, &target.raw, &mut run).await?;
        Ok(render(answer, run, req.inspection_level))
    }

    /// The Context object an Express execution of a machine made for this test would see.
    fn test_context(
        &self,
        req: &TestStateRequest,
        target: &request::Target,
        input: &Value,
    ) -> Value {
        let scope = self.scope_for_caller(req.region.as_deref(), req.account.as_deref());
        let (machine, execution) = (self.next_uuid(), self.next_uuid());
        let machine_arn = scope.state_machine_arn(&machine);
        let now = crate::execution::millis_to_iso(self.now());
        let mut state = json!({ "Name": SINGLE_STATE_NAME, "EnteredTime": now });
        let kind = target.machine.state(target.id).kind;
        if matches!(kind, StateKind::Task | StateKind::Parallel | StateKind::Map) {
            state["RetryCount"] = json!(req.configuration.retrier_retry_count.unwrap_or(0));
        }
        json!({
            "Execution": {
                "Id": format!("arn:aws:states:{}:{}:express:{machine}:{execution}", scope.region, scope.account),
                "Input": input,
                "Name": execution,
                "RoleArn": req.role_arn,
                "StartTime": now,
            },
            "StateMachine": { "Id": machine_arn, "Name": machine },
            "State": state,
        })
    }

    async fn run_state(
        &self,
        req: &TestStateRequest,
        target_raw: &Value,
        run: &mut Run<'_>,
    ) -> Result<Ending> {
        let kind = run.machine.state(run.id).kind;
        let mock = req.mock.as_ref();
        // A mocked Parallel state runs no branch: the mock is the branches' outputs.
        if kind == StateKind::Parallel {
            return Ok(match mock_outcome(mock) {
                Some(Ok(result)) => run.complete(result),
                Some(Err(fault)) => run.on_error(fault),
                None => Ending::Failed(Fault::runtime("A mock is required")),
            });
        }
        // A Map state with an ItemReader iterates over what the reader read: the request's
        // `mapItemReaderData` (no reader runs in a test), given where its items are read.
        let has_reader = kind == StateKind::Map && target_raw.get("ItemReader").is_some();
        let reader_items = match &req.configuration.map_item_reader_data {
            Some(text) if has_reader => {
                Some(serde_json::from_str::<Value>(text).map_err(|_| {
                    Error::Validation("The mapItemReaderData must be valid JSON".into())
                })?)
            }
            None if has_reader => Some(json!([])),
            _ => None,
        };
        let items_input = reader_items.as_ref().unwrap_or(&run.input);
        let env =
            Env { input: items_input, context: &run.context, vars: &run.vars, seed: run.seed };
        let entered = run.machine.enter_inspected(run.id, &env, &mut run.data.steps);
        Ok(match entered {
            Entered::Done(outcome) => Ending::Outcome(outcome),
            Entered::Failed(fault) => run.on_error(fault),
            Entered::Wait(_) => run.complete(Value::Null),
            Entered::Parallel(_) => Ending::Failed(Fault::runtime("A mock is required")),
            Entered::Map {
                items,
                max_concurrency,
                tolerated_failure_count,
                tolerated_failure_percentage,
                ..
            } => {
                run.data.max_concurrency = Some(max_concurrency);
                run.data.tolerated_failure_count = tolerated_failure_count;
                run.data.tolerated_failure_percentage = tolerated_failure_percentage;
                let failed = req.configuration.map_iteration_failure_count.unwrap_or(0) as usize;
                match mock_outcome(mock) {
                    Some(Err(fault)) => run.on_error(fault),
                    Some(Ok(result)) => {
                        let total = result.as_array().map_or(items.len(), Vec::len);
                        if exceeds(
                            failed,
                            total,
                            tolerated_failure_count,
                            tolerated_failure_percentage,
                        ) {
                            let fault = Fault::new(
                                "States.ExceedToleratedFailureThreshold",
                                "The specified tolerated failure threshold was exceeded",
                            );
                            run.on_error(fault)
                        } else {
                            run.complete(result)
                        }
                    }
                    None => Ending::Failed(Fault::runtime("A mock is required")),
                }
            }
            Entered::Task { resource, parameters, .. } => {
                let outcome = match mock_outcome(mock) {
                    Some(outcome) => outcome,
                    None => self.call_for_test(req, &resource, parameters).await,
                };
                match outcome {
                    Ok(result) => {
                        run.data.steps.result = Some(result.clone());
                        run.complete(result)
                    }
                    Err(fault) => run.on_error(fault),
                }
            }
        })
    }

    /// Calls the integration registered for `resource`, as an execution's Task would.
    async fn call_for_test(
        &self,
        req: &TestStateRequest,
        resource: &str,
        parameters: Value,
    ) -> std::result::Result<Value, Fault> {
        let Some(parsed) = ServiceResource::parse(resource) else {
            return Err(Fault::runtime(format!("Stepwise cannot test the resource '{resource}'")));
        };
        let Some(integration) = self.inner.integrations.get(&parsed.resource_type) else {
            return Err(Fault::runtime(format!(
                "Stepwise does not support the resource type '{}' yet",
                parsed.resource_type
            )));
        };
        // A bare function ARN is invoked with the state's input as the payload, and its
        // result is the payload alone, as in an execution (`execution/service.rs`).
        let legacy_lambda = parsed.legacy_lambda;
        let parameters = match legacy_lambda {
            true => serde_json::json!({ "FunctionName": resource, "Payload": parameters }),
            false => parameters,
        };
        let call = ServiceCall {
            execution: Arc::from("test-state"),
            frame: 0,
            generation: 0,
            resource_type: parsed.resource_type,
            action: parsed.action,
            pattern: parsed.pattern,
            region: self.scope_for(req.region.as_deref()).region,
            parameters,
        };
        let outcome = match tokio::time::timeout(CALL_LIMIT, integration.call(self, &call)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Fault::new("States.Timeout", "TestState ran for more than five minutes")),
        };
        match (legacy_lambda, outcome) {
            (true, Ok(Value::Object(mut answer))) => {
                Ok(answer.remove("Payload").unwrap_or(Value::Null))
            }
            (_, outcome) => outcome,
        }
    }
}

/// Whether `failed` of `total` iterations exceed what the Map state tolerates.
/// A Map state that tolerates nothing explicitly is not checked (AWS's recordings: such a
/// state succeeds whatever `mapIterationFailureCount` says).
fn exceeds(failed: usize, total: usize, count: Option<u64>, percentage: Option<f64>) -> bool {
    if failed == 0 || (count.is_none() && percentage.is_none()) {
        return false;
    }
    let by_count = count.is_none_or(|c| failed as u64 > c);
    let by_percentage =
        percentage.is_none_or(|p| total == 0 || (failed as f64) * 100.0 / (total as f64) > p);
    by_count && by_percentage
}

/// The mocked outcome: the result parsed (checked at validation), or the error.
fn mock_outcome(mock: Option<&TestMock>) -> Option<std::result::Result<Value, Fault>> {
    let mock = mock?;
    if let Some((error, cause)) = &mock.error_output {
        return Some(Err(Fault::new(
            error.clone().unwrap_or_default(),
            cause.clone().unwrap_or_default(),
        )));
    }
    let text = mock.result.as_deref()?;
    Some(Ok(serde_json::from_str(text).unwrap_or(Value::Null)))
}

/// How the run ended, before rendering.
enum Ending {
    Outcome(Outcome),
    Failed(Fault),
    Retry(Fault),
    Caught { fault: Fault, next: StateId, output: Value, assigned: Option<Map<String, Value>> },
}

impl Run<'_> {
    fn env(&self) -> Env<'_> {
        Env { input: &self.input, context: &self.context, vars: &self.vars, seed: self.seed }
    }

    fn complete(&mut self, result: Value) -> Ending {
        let env =
            Env { input: &self.input, context: &self.context, vars: &self.vars, seed: self.seed };
        match self.machine.complete_inspected(self.id, &env, result, &mut self.data.steps) {
            Ok(outcome) => Ending::Outcome(outcome),
            Err(fault) => self.on_error(fault),
        }
    }

    /// Retry, Catch or fail, as an execution would decide; retries already made come from
    /// `stateConfiguration.retrierRetryCount`.
    fn on_error(&mut self, mut fault: Fault) -> Ending {
        strip_state_prefix(&mut fault);
        let st = self.machine.state(self.id);
        let attempts = vec![self.retries_made; st.retrier_count()];
        let retry_index = self.machine.retry_index(self.id, &fault.error);
        let mut details = ErrorDetails { retry_index, ..ErrorDetails::default() };
        let decision = self.machine.on_error(self.id, &self.env(), &fault, &attempts, 0.0);
        let ending = match decision {
            ErrorDecision::Retry { retrier, delay_ms } => {
                details.retry_index = Some(retrier);
                details.retry_backoff_interval_seconds = Some(delay_ms / 1000);
                Ending::Retry(fault)
            }
            ErrorDecision::Catch { next, output, assigned } => {
                details.catch_index = self.machine.catch_index(self.id, &fault.error);
                Ending::Caught { fault, next, output, assigned }
            }
            ErrorDecision::Fail => Ending::Failed(fault),
        };
        if details != ErrorDetails::default() {
            self.data.error_details = Some(details);
        }
        ending
    }
}

/// TestState reports runtime causes without the execution's `An error occurred while
/// executing the state …` prefix (there is no execution, and no event id).
fn strip_state_prefix(fault: &mut Fault) {
    const PREFIX: &str = "An error occurred while executing the state '";
    if let Some(rest) = fault.cause.strip_prefix(PREFIX) {
        if let Some(at) = rest.find(stepwise_asl::step::ENTERED_EVENT_ID) {
            let tail = &rest[at + stepwise_asl::step::ENTERED_EVENT_ID.len()..];
            fault.cause = tail.strip_prefix("). ").unwrap_or(tail).to_owned();
        }
    }
}

fn render(ending: Ending, run: Run<'_>, level: InspectionLevel) -> TestStateResult {
    let name = |id: StateId| run.machine.state(id).name.clone();
    let text = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let mut vars = run.vars.clone();
    let mut answer = TestStateResult {
        status: TestStatus::Succeeded,
        output: None,
        error: None,
        cause: None,
        next_state: None,
        inspection: None,
    };
    let mut assign = |assigned: Option<Map<String, Value>>| {
        if let Some(a) = assigned {
            vars.extend(a);
        }
    };
    match ending {
        Ending::Outcome(Outcome::Next { next, output, assigned }) => {
            assign(assigned);
            answer.next_state = Some(name(next));
            answer.output = Some(text(&output));
        }
        Ending::Outcome(Outcome::End { output, assigned }) => {
            assign(assigned);
            answer.output = Some(text(&output));
        }
        Ending::Outcome(Outcome::Fail(fault)) | Ending::Failed(fault) => {
            answer.status = TestStatus::Failed;
            answer.error = Some(fault.error);
            answer.cause = Some(fault.cause);
        }
        Ending::Retry(fault) => {
            answer.status = TestStatus::Retriable;
            answer.error = Some(fault.error);
            answer.cause = Some(fault.cause);
        }
        Ending::Caught { fault, next, output, assigned } => {
            assign(assigned);
            answer.status = TestStatus::CaughtError;
            answer.error = Some(fault.error);
            answer.cause = Some(fault.cause);
            answer.next_state = Some(name(next));
            answer.output = Some(text(&output));
        }
    }
    if level != InspectionLevel::Info {
        let mut data = run.data;
        data.variables = (!vars.is_empty()).then_some(vars);
        answer.inspection = Some(data);
    }
    answer
}
