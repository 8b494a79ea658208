//! What a TestState request asks, and the checks AWS makes before it runs anything:
//! the definition (one state, or a whole machine and a `stateName`), the mock, the
//! Context object and the state configuration, each refused with AWS's own words.
use serde_json::{Map, Value};
use stepwise_asl::{Machine, StateId, StateKind};

use crate::error::{Error, Result};

/// The name AWS gives a state tested on its own (its error paths read `/States/StateName/…`).
pub const SINGLE_STATE_NAME: &str = "StateName";

/// How much TestState reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InspectionLevel {
    /// The output, or the error.
    #[default]
    Info,
    /// Also the data after each step of input and output processing.
    Debug,
    /// Also the HTTP request and response of an HTTP Task.
    Trace,
}

/// A mocked outcome for the tested state.
#[derive(Debug, Clone, Default)]
pub struct TestMock {
    /// The result, as JSON text.
    pub result: Option<String>,
    /// The error raised instead: `(error, cause)`.
    pub error_output: Option<(Option<String>, Option<String>)>,
    /// `STRICT`, `PRESENT` or `NONE`: how the result is checked against the service's API.
    pub field_validation_mode: Option<String>,
}

/// `stateConfiguration`: where in its life the tested state is.
#[derive(Debug, Clone, Default)]
pub struct TestStateConfiguration {
    /// Retries already made by the retrier that matches the mocked error.
    pub retrier_retry_count: Option<u32>,
    /// The state inside a Map or Parallel that raised the mocked error.
    pub error_caused_by_state: Option<String>,
    /// How many Map iterations failed.
    pub map_iteration_failure_count: Option<u32>,
    /// What a Distributed Map's ItemReader read.
    pub map_item_reader_data: Option<String>,
}

/// A TestState request.
#[derive(Debug, Clone, Default)]
pub struct TestStateRequest {
    /// One state, or a whole state machine (then `state_name` picks the state).
    pub definition: String,
    /// The role the state would run with.
    pub role_arn: Option<String>,
    /// The state's input (JSON text, default `{}`).
    pub input: Option<String>,
    /// How much to report.
    pub inspection_level: InspectionLevel,
    /// Show the secrets of an HTTP Task's request and response.
    pub reveal_secrets: bool,
    /// Workflow variables visible to the state (a JSON object as text).
    pub variables: Option<String>,
    /// The state to test in a whole machine's definition.
    pub state_name: Option<String>,
    /// A mocked outcome.
    pub mock: Option<TestMock>,
    /// The Context object (JSON text); built as an execution's when absent.
    pub context: Option<String>,
    /// Where in its life the state is.
    pub configuration: TestStateConfiguration,
    /// The request's region.
    pub region: Option<String>,
    /// The caller's account (under `--auth sigv4`); the engine's default if absent.
    pub account: Option<String>,
}

/// The tested state in its machine.
pub(super) struct Target {
    pub machine: Machine,
    pub id: StateId,
    /// The state as written (for fields the machine does not keep, such as `ResultWriter`).
    pub raw: Value,
}

/// Parses the definition: a whole machine (`States` present) and the state `state_name` names
/// (default: its `StartAt`), or a single state, tested as `StateName` in a machine of its own
/// whose transitions lead to placeholder states.
pub(super) fn target(definition: &str, state_name: Option<&str>) -> Result<Target> {
    let invalid = || {
        let validation = Machine::parse(definition);
        Error::InvalidDefinition(stepwise_asl::definition::error_message(&validation.diagnostics))
    };
    let Ok(Value::Object(def)) = serde_json::from_str::<Value>(definition) else {
        return Err(invalid());
    };
    if def.contains_key("States") {
        let validation = Machine::parse(definition);
        let Some(machine) = validation.machine else { return Err(invalid()) };
        let name = match state_name {
            Some(n) => n.to_owned(),
            None => def.get("StartAt").and_then(Value::as_str).unwrap_or_default().to_owned(),
        };
        let id = machine
            .states()
            .find(|(_, s)| s.name == name)
            .map(|(id, _)| id)
            .ok_or_else(|| Error::Validation("State not found in definition".into()))?;
        let raw = find_raw(&Value::Object(def), &name).unwrap_or(Value::Null);
        return Ok(Target { machine, id, raw });
    }
    if state_name.is_some() {
        return Err(Error::Validation("State not found in definition".into()));
    }
    let raw = Value::Object(def);
    let wrapped = wrap(&raw);
    let validation = Machine::parse(&wrapped);
    let Some(machine) = validation.machine else {
        return Err(Error::InvalidDefinition(stepwise_asl::definition::error_message(
            &validation.diagnostics,
        )));
    };
    let id = machine.start_state();
    Ok(Target { machine, id, raw })
}

/// `{"StartAt": "StateName", "States": {"StateName": state, …}}` with a `Succeed` state for
/// every target the state names, so that the machine validates.
fn wrap(state: &Value) -> String {
    let mut states = Map::new();
    states.insert(SINGLE_STATE_NAME.into(), state.clone());
    let mut targets: Vec<&Value> = vec![&state["Next"], &state["Default"]];
    for key in ["Choices", "Catch"] {
        for rule in state.get(key).and_then(Value::as_array).into_iter().flatten() {
            targets.push(&rule["Next"]);
        }
    }
    for t in targets.into_iter().filter_map(Value::as_str) {
        if t != SINGLE_STATE_NAME {
            states.insert(t.to_owned(), serde_json::json!({ "Type": "Succeed" }));
        }
    }
    let mut machine = Map::new();
    machine.insert("StartAt".into(), Value::String(SINGLE_STATE_NAME.into()));
    machine.insert("States".into(), Value::Object(states));
    Value::Object(machine).to_string()
}

/// The state named `name` anywhere in a machine's definition (branches and processors too).
fn find_raw(def: &Value, name: &str) -> Option<Value> {
    let states = def.get("States")?.as_object()?;
    if let Some(s) = states.get(name) {
        return Some(s.clone());
    }
    states.values().find_map(|s| {
        let inner = s.get("Branches").and_then(Value::as_array).into_iter().flatten();
        inner
            .chain(s.get("ItemProcessor").or_else(|| s.get("Iterator")))
            .find_map(|g| find_raw(g, name))
    })
}

/// The checks of the mock and the configuration against the state's type.
pub(super) fn check(req: &TestStateRequest, target: &Target) -> Result<()> {
    let st = target.machine.state(target.id);
    let kind = st.kind;
    let v = |m: &str| Err(Error::Validation(m.to_owned()));
    if let Some(mock) = &req.mock {
        if mock.result.is_some() && mock.error_output.is_some() {
            return v(
                "A test mock should have only one of the following fields: [result, errorOutput].",
            );
        }
        if req.reveal_secrets {
            return v("TestState does not support RevealSecrets when a mock is specified.");
        }
        if !matches!(kind, StateKind::Task | StateKind::Map | StateKind::Parallel) {
            return v(&format!(
                "State type '{}' is not supported when a mock is specified",
                kind.as_str()
            ));
        }
        if let Some(text) = &mock.result {
            let Ok(result) = serde_json::from_str::<Value>(text) else {
                return v("Mocked result must be valid JSON");
            };
            match kind {
                StateKind::Map
                    if target.raw.get("ResultWriter").is_some() && !result.is_object() =>
                {
                    return v("Mocked result must be a JSON object.");
                }
                StateKind::Map if target.raw.get("ResultWriter").is_some() => {}
                StateKind::Map | StateKind::Parallel => {
                    let Some(items) = result.as_array() else {
                        return v("Mocked result must be an array.");
                    };
                    if kind == StateKind::Parallel && items.len() != st.branches().len() {
                        return v("Mocked result must contain the same number of items as number of Parallel branches.");
                    }
                    let failures = req.configuration.map_iteration_failure_count.unwrap_or(0);
                    if kind == StateKind::Map && failures as usize > items.len() {
                        return v("Map iteration failure count must be less than or equal to the number of Map iterations");
                    }
                }
                _ => {}
            }
        }
    } else {
        if matches!(kind, StateKind::Map | StateKind::Parallel) {
            return Err(Error::InvalidDefinition(
                "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]".into(),
            ));
        }
        if req.configuration.map_iteration_failure_count.is_some() {
            return v(
                "TestState does not support MapIterationFailureCount when a mock is not specified.",
            );
        }
        if kind == StateKind::Task {
            if req.role_arn.is_none() {
                return v("RoleArn must be specified when testing a Task state");
            }
            let resource = st.resource().unwrap_or_default();
            if resource.contains(":activity:")
                || resource.ends_with(".sync")
                || resource.ends_with(".sync:2")
                || resource.ends_with(".waitForTaskToken")
            {
                return v("TestState does not support Activity tasks, .sync or .waitForTaskToken service integration patterns when a mock is not specified.");
            }
        }
    }
    Ok(())
}

/// Reads the Context object given with the request, with AWS's checks: known fields only,
/// no `Map`, a `Task` only for a `.sync` or `.waitForTaskToken` Task.
pub(super) fn context(text: &str, target: &Target) -> Result<Value> {
    let bad = |m: &str| Error::Validation(format!("Invalid Context object provided: {m}"));
    let value: Value = serde_json::from_str(text).map_err(|_| bad("it must be a JSON object"))?;
    let Some(top) = value.as_object() else { return Err(bad("it must be a JSON object")) };
    let allowed: &[(&str, &[&str])] = &[
        (
            "Execution",
            &["Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount", "RedriveTime"],
        ),
        ("State", &["EnteredTime", "Name", "RetryCount"]),
        ("StateMachine", &["Id", "Name"]),
        ("Task", &["Token"]),
    ];
    for (key, inner) in top {
        if key == "Map" {
            return Err(bad("'Map' field is not supported when mocking a Context object"));
        }
        let Some((_, fields)) = allowed.iter().find(|(k, _)| k == key) else {
            return Err(bad(&format!("Field '{key}' is not allowed")));
        };
        let Some(obj) = inner.as_object() else {
            return Err(bad(&format!("{key} must be an object")));
        };
        for (field, v) in obj {
            if !fields.contains(&field.as_str()) {
                return Err(bad(&format!("Field '{field}' is not allowed")));
            }
            let string_field = !matches!(field.as_str(), "Input" | "RetryCount" | "RedriveCount");
            if string_field && !v.is_string() && !v.is_null() {
                return Err(bad(&format!("{key}.{field} must be a string")));
            }
        }
    }
    if top.contains_key("Task") {
        let resource = target.machine.state(target.id).resource().unwrap_or_default();
        let callback = resource.ends_with(".sync")
            || resource.ends_with(".sync:2")
            || resource.ends_with(".waitForTaskToken");
        if !callback {
            return Err(bad("Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"));
        }
    }
    Ok(value)
}
