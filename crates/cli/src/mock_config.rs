//! AWS Step Functions Local's mock configuration file (`MockConfigFile.json`), read as
//! Step Functions Local reads it, and served to the engine as [`TaskMocks`].
//!
//! ```json
//! { "StateMachines": { "<name>": { "TestCases": { "<case>": { "<state>": "<response>" } } } },
//!   "MockedResponses": { "<response>": { "0": { "Return": {…} },
//!                                        "1-2": { "Throw": { "Error": "…", "Cause": "…" } } } } }
//! ```
//!
//! Invocations are counted from 0 per state and execution; `"1-2"` covers the second and
//! third. An invocation past the last one listed repeats the last response.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;
use stepwise_engine::mock::{MockResponse, TaskMocks};

/// The responses of one mocked response name, by invocation range (inclusive, sorted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseSeq(Vec<(u32, u32, MockResponse)>);

impl ResponseSeq {
    /// The response for the `invocation`-th call (0-based); past the end, the last one.
    pub fn get(&self, invocation: u32) -> Option<MockResponse> {
        self.0
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&invocation))
            .or_else(|| self.0.last())
            .map(|(_, _, r)| r.clone())
    }

    /// Reads a `MockedResponses` entry: `{ "0": {…}, "1-2": {…} }`. As a shorthand for
    /// inline mocks, a single `{ "Return": … }` / `{ "Throw": … }` answers every invocation.
    pub fn from_json(value: &Value, what: &str) -> anyhow::Result<ResponseSeq> {
        let obj = value.as_object().ok_or_else(|| anyhow!("{what}: expected an object"))?;
        if obj.contains_key("Return") || obj.contains_key("Throw") {
            return Ok(ResponseSeq(vec![(0, u32::MAX, response(value, what)?)]));
        }
        let mut seq = Vec::new();
        for (key, v) in obj {
            let (from, to) = parse_range(key).ok_or_else(|| {
                anyhow!("{what}: invalid invocation key {key:?} (expected \"0\" or \"1-2\")")
            })?;
            seq.push((from, to, response(v, &format!("{what}.{key}"))?));
        }
        if seq.is_empty() {
            bail!("{what}: no responses");
        }
        seq.sort_by_key(|(from, _, _)| *from);
        for pair in seq.windows(2) {
            if pair[1].0 <= pair[0].1 {
                bail!("{what}: invocation ranges overlap");
            }
        }
        Ok(ResponseSeq(seq))
    }
}

fn parse_range(key: &str) -> Option<(u32, u32)> {
    let (a, b) = match key.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (key.trim(), key.trim()),
    };
    let (a, b) = (a.parse().ok()?, b.parse().ok()?);
    (a <= b).then_some((a, b))
}

fn response(value: &Value, what: &str) -> anyhow::Result<MockResponse> {
    let obj = value.as_object().ok_or_else(|| anyhow!("{what}: expected an object"))?;
    match (obj.get("Return"), obj.get("Throw")) {
        (Some(ret), None) => Ok(MockResponse::Return(ret.clone())),
        (None, Some(Value::Object(t))) => {
            let field = |name: &str| match t.get(name) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(anyhow!("{what}.Throw.{name}: expected a string")),
            };
            Ok(MockResponse::Throw { error: field("Error")?, cause: field("Cause")? })
        }
        (None, Some(_)) => bail!("{what}.Throw: expected an object with Error and Cause"),
        _ => bail!("{what}: expected exactly one of Return or Throw"),
    }
}

/// A parsed mock configuration file.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// State machine name → test case → state name → responses.
    pub state_machines: BTreeMap<String, BTreeMap<String, BTreeMap<String, ResponseSeq>>>,
}

impl MockConfig {
    /// Reads a file (JSON, or YAML by extension).
    pub fn load(path: &Path) -> anyhow::Result<MockConfig> {
        let value = crate::local::read_document(path)?;
        MockConfig::from_json(&value)
            .with_context(|| format!("mock configuration {}", path.display()))
    }

    /// Reads the file's JSON value.
    pub fn from_json(value: &Value) -> anyhow::Result<MockConfig> {
        let root = value.as_object().ok_or_else(|| anyhow!("expected a JSON object"))?;
        let empty = serde_json::Map::new();
        let responses = match root.get("MockedResponses") {
            Some(Value::Object(m)) => m,
            None => &empty,
            Some(_) => bail!("MockedResponses: expected an object"),
        };
        let mut parsed = BTreeMap::new();
        for (name, v) in responses {
            parsed.insert(
                name.clone(),
                ResponseSeq::from_json(v, &format!("MockedResponses.{name}"))?,
            );
        }
        let mut state_machines = BTreeMap::new();
        let machines = match root.get("StateMachines") {
            Some(Value::Object(m)) => m,
            None => &empty,
            Some(_) => bail!("StateMachines: expected an object"),
        };
        for (machine, body) in machines {
            let at = format!("StateMachines.{machine}");
            let cases = body
                .get("TestCases")
                .and_then(Value::as_object)
                .ok_or_else(|| anyhow!("{at}: expected TestCases, an object"))?;
            let mut out = BTreeMap::new();
            for (case, states) in cases {
                let at = format!("{at}.TestCases.{case}");
                let states =
                    states.as_object().ok_or_else(|| anyhow!("{at}: expected an object"))?;
                let mut mocked = BTreeMap::new();
                for (state, name) in states {
                    let name = name
                        .as_str()
                        .ok_or_else(|| anyhow!("{at}.{state}: expected a mocked response name"))?;
                    let seq = parsed.get(name).ok_or_else(|| {
                        anyhow!("{at}.{state}: mocked response {name:?} is not in MockedResponses")
                    })?;
                    mocked.insert(state.clone(), seq.clone());
                }
                out.insert(case.clone(), mocked);
            }
            state_machines.insert(machine.clone(), out);
        }
        Ok(MockConfig { state_machines })
    }

    /// The one state machine the file configures, if it names exactly one.
    pub fn only_machine(&self) -> Option<&str> {
        match self.state_machines.len() {
            1 => self.state_machines.keys().next().map(String::as_str),
            _ => None,
        }
    }
}

impl TaskMocks for MockConfig {
    fn response(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        invocation: u32,
    ) -> Option<MockResponse> {
        self.state_machines.get(state_machine)?.get(test_case)?.get(state)?.get(invocation)
    }

    fn has_test_case(&self, state_machine: &str, test_case: &str) -> bool {
        self.state_machines.get(state_machine).is_some_and(|c| c.contains_key(test_case))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_aws_example_and_answers_per_invocation() {
        let config = MockConfig::from_json(&json!({
            "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"}}}},
            "MockedResponses": {
                "MockedSQSSuccess": {"0": {"Return": {"MessageId": "m"}}},
                "MockedLambdaRetry": {
                    "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
                    "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
                    "3": {"Return": {"StatusCode": 200}}}}
        }))
        .unwrap();
        let m = |i| config.response("LambdaSQSIntegration", "RetryPath", "LambdaState", i);
        assert!(
            matches!(m(0), Some(MockResponse::Throw { error, .. }) if error == "Lambda.ResourceNotReadyException")
        );
        assert!(
            matches!(m(2), Some(MockResponse::Throw { error, .. }) if error == "Lambda.TimeoutException")
        );
        assert_eq!(m(3), Some(MockResponse::Return(json!({"StatusCode": 200}))));
        assert_eq!(m(9), Some(MockResponse::Return(json!({"StatusCode": 200}))));
        assert!(config.has_test_case("LambdaSQSIntegration", "RetryPath"));
        assert!(!config.has_test_case("LambdaSQSIntegration", "Nope"));
        assert_eq!(config.response("LambdaSQSIntegration", "RetryPath", "Other", 0), None);
    }

    #[test]
    fn unknown_response_name_is_an_error() {
        let err = MockConfig::from_json(&json!({
            "StateMachines": {"M": {"TestCases": {"C": {"S": "Missing"}}}}, "MockedResponses": {}
        }))
        .unwrap_err();
        assert!(err.to_string().contains("\"Missing\" is not in MockedResponses"), "{err}");
    }
}
