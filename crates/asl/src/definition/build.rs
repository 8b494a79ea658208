//! Walks the definition's JSON, reports diagnostics and builds the [`Machine`].
use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::messages as m;
use crate::choice::Rule;
use crate::jsonata::{is_expression, JTemplate};
use crate::machine::{
    Body, Diagnostic, GraphId, Io, Ja, JaChoice, Machine, MapSpec, Num, PathSpec, Severity, State,
    StateId, StateKind, Text, Transition, WaitSpec,
};
use crate::path::Path;
use crate::retry::{Catcher, Retrier};
use crate::template::Template;

type Obj = Map<String, Value>;

/// Placeholder id for a transition that failed to resolve (the machine is then not built).
const UNRESOLVED: StateId = StateId(u32::MAX);

const TOP_FIELDS: &[&str] =
    &["Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"];
const BRANCH_FIELDS: &[&str] = &["Comment", "StartAt", "States"];
const PROCESSOR_FIELDS: &[&str] = &["Comment", "StartAt", "States", "ProcessorConfig"];
const JSONATA_ONLY: &[&str] = &["Output", "Arguments", "Items"];
/// Fields a JSONata state may not have (AWS: `The QueryLanguage is set to 'JSONata', but field
/// 'X' is only supported for the 'JSONPath' QueryLanguage`).
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Result",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "ItemsPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
];
/// The fields of a JSONata state that may hold expressions.
const JSONATA_FIELDS: &[&str] = &[
    "Arguments",
    "Output",
    "Assign",
    "Items",
    "ItemSelector",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "Error",
    "Cause",
    "MaxConcurrency",
    "ToleratedFailurePercentage",
    "ToleratedFailureCount",
];
/// Fields whose whole value is a JSONata template (any JSON, expressions nested anywhere);
/// the others of [`JSONATA_FIELDS`] are expressions only when written as `{% … %}`.
const JSONATA_TEMPLATES: &[&str] = &["Arguments", "Output", "Assign", "Items", "ItemSelector"];

/// The fields a JSONata state of `kind` accepts.
fn jsonata_fields_of(kind: StateKind) -> Vec<&'static str> {
    let mut out: Vec<&'static str> =
        fields_of(kind).iter().copied().filter(|f| !JSONPATH_ONLY.contains(f)).collect();
    if kind != StateKind::Fail {
        out.push("Output");
    }
    if matches!(kind, StateKind::Task | StateKind::Parallel) {
        out.push("Arguments");
    }
    if kind == StateKind::Map {
        out.push("Items");
    }
    out
}
const TYPES: &[&str] = &["Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map"];
const WAIT_FIELDS: &[&str] = &["Seconds", "Timestamp", "SecondsPath", "TimestampPath"];
/// The largest value AWS accepts for most integer fields.
const MAX_INT: i64 = 99_999_999;
/// AWS's limit on a state name's length.
const MAX_NAME_LEN: usize = 80;

fn fields_of(kind: StateKind) -> &'static [&'static str] {
    match kind {
        StateKind::Pass => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "Result",
            "Assign",
        ],
        StateKind::Task => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Resource",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
        ],
        StateKind::Choice => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "InputPath",
            "OutputPath",
            "Choices",
            "Default",
            "Assign",
        ],
        StateKind::Wait => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
            "Assign",
        ],
        StateKind::Succeed => &["Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"],
        StateKind::Fail => {
            &["Type", "Comment", "QueryLanguage", "Error", "ErrorPath", "Cause", "CausePath"]
        }
        StateKind::Parallel => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "Branches",
            "Assign",
        ],
        StateKind::Map => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ItemSelector",
            "ResultSelector",
            "Retry",
            "Catch",
            "Iterator",
            "ItemProcessor",
            "ItemsPath",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "Assign",
        ],
    }
}

/// `loc` for a diagnostic about the object at `loc` itself (`/` for the top level).
fn root(loc: &str) -> &str {
    if loc.is_empty() {
        "/"
    } else {
        loc
    }
}

fn at(loc: &str, field: &str) -> String {
    format!("{loc}/{field}")
}

/// A conservative syntactic check for a reference path (a path to a single node).
pub(crate) fn looks_like_reference(s: &str) -> bool {
    if !(s == "$" || s.starts_with("$.") || s.starts_with("$[")) {
        return false;
    }
    let fancy = s.contains('*')
        || s.contains("..")
        || s.contains("[?")
        || s.contains("(@")
        || s.ends_with("()");
    !fancy && !bracket_has(s, &[':', ','])
}

/// A reference path rooted at a workflow variable: `$name`, `$name.field`, `$name[0]`.
/// AWS accepts these wherever a `…Path` field takes a reference path.
pub(crate) fn is_variable_reference(s: &str) -> bool {
    let starts_like_var =
        s.len() > 1 && matches!(s.as_bytes()[1], b'a'..=b'z' | b'A'..=b'Z' | b'_');
    starts_like_var
        && Path::parse(s)
            .is_ok_and(|p| matches!(p.root(), crate::path::Root::Var(_)) && p.is_reference())
}

fn bracket_has(s: &str, chars: &[char]) -> bool {
    let mut depth = 0;
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth -= 1,
            (None, c) if depth > 0 && chars.contains(&c) => return true,
            _ => {}
        }
    }
    false
}

#[derive(Default)]
pub(crate) struct Builder<'v> {
    pub diags: Vec<Diagnostic>,
    /// Graph-level checks, run once the schema is known to be valid: (States, location, StartAt).
    deferred: Vec<(&'v Obj, String, Option<&'v str>)>,
    slots: Vec<Option<State>>,
    graph_starts: Vec<StateId>,
    all_names: HashSet<String>,
    /// The top-level `QueryLanguage` is JSONata.
    top_jsonata: bool,
    /// The state being built is a JSONata state.
    cur_jsonata: bool,
    /// The JSONata Choice rules of the state being built.
    ja_choices: Vec<JaChoice>,
}

/// What a state needs to know about its graph.
struct Graph<'a> {
    id: GraphId,
    ids: HashMap<&'a str, StateId>,
}

impl<'v> Builder<'v> {
    fn push(&mut self, code: &str, message: String, location: &str) {
        self.diags.push(Diagnostic {
            severity: Severity::Error,
            code: code.to_owned(),
            message,
            location: location.to_owned(),
        });
    }
    fn schema(&mut self, message: String, location: &str) {
        self.push(m::SCHEMA_VALIDATION_FAILED, message, location);
    }

    pub(crate) fn machine(&mut self, v: &'v Value) -> Option<Machine> {
        let obj = v.as_object()?;
        self.check_fields(obj, TOP_FIELDS, "/");
        match obj.get("QueryLanguage") {
            None => {}
            Some(Value::String(s)) if s == "JSONPath" => {}
            Some(Value::String(s)) if s == "JSONata" => self.top_jsonata = true,
            Some(_) => self.schema(
                m::one_of_values("QueryLanguage", &["JSONPath", "JSONata"]),
                "/QueryLanguage",
            ),
        }
        self.opt_string(obj, "Comment", "");
        self.opt_string(obj, "Version", "");
        let timeout = self.int(obj, "TimeoutSeconds", "", 1, MAX_INT);
        let start = self.graph(obj, "", TOP_FIELDS);
        // AWS reports graph-level problems (no terminal state, unreachable states) only for a
        // definition whose schema is valid.
        if !self.diags.iter().any(|d| d.code == m::SCHEMA_VALIDATION_FAILED) {
            for (states, loc, start) in std::mem::take(&mut self.deferred) {
                self.graph_checks(states, &loc, start);
            }
        }
        if self.diags.iter().any(|d| d.severity == Severity::Error) {
            return None;
        }
        let states: Option<Vec<State>> = std::mem::take(&mut self.slots).into_iter().collect();
        Some(Machine {
            states: states?,
            start: start?,
            timeout_seconds: timeout,
            graph_starts: std::mem::take(&mut self.graph_starts),
            comment: obj.get("Comment").and_then(Value::as_str).map(str::to_owned),
            reads_context: obj.iter().any(|(key, value)| mentions_context(key, value)),
        })
    }

    fn check_fields(&mut self, obj: &Obj, allowed: &[&str], loc: &str) {
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                let msg = if self.cur_jsonata && JSONPATH_ONLY.contains(&key.as_str()) {
                    m::jsonpath_only(key)
                } else if !self.cur_jsonata && JSONATA_ONLY.contains(&key.as_str()) {
                    m::jsonata_only(key)
                } else {
                    m::not_supported(key)
                };
                self.schema(msg, root(loc));
            }
        }
    }

    /// Validates one graph (`StartAt` + `States`) at `loc` and builds its states.
    fn graph(&mut self, obj: &'v Obj, loc: &str, allowed: &[&str]) -> Option<StateId> {
        let gid = GraphId(self.graph_starts.len() as u32);
        self.graph_starts.push(UNRESOLVED);
        if !std::ptr::eq(allowed, TOP_FIELDS) {
            self.check_fields(obj, allowed, loc);
        }
        let missing: Vec<&str> =
            ["States", "StartAt"].into_iter().filter(|k| !obj.contains_key(*k)).collect();
        if !missing.is_empty() {
            self.schema(m::required(&missing), root(loc));
        }
        let start_name = match obj.get("StartAt") {
            Some(Value::String(s)) if s.is_empty() => {
                self.schema(m::non_empty("StartAt"), root(loc));
                None
            }
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.schema(m::expected_type("String"), &at(loc, "StartAt"));
                None
            }
            None => None,
        };
        let states = match obj.get("States") {
            Some(Value::Object(s)) => s,
            Some(_) => {
                self.schema(m::expected_type("Object"), &at(loc, "States"));
                return None;
            }
            None => return None,
        };
        if states.is_empty() {
            self.schema(m::EMPTY.into(), &at(loc, "States"));
            return None;
        }
        let mut graph = Graph { id: gid, ids: HashMap::with_capacity(states.len()) };
        for name in states.keys() {
            let id = StateId(self.slots.len() as u32);
            self.slots.push(None);
            graph.ids.insert(name.as_str(), id);
            let sloc = format!("{loc}/States/{name}");
            if !self.all_names.insert(name.clone()) {
                self.push(m::DUPLICATE_STATE_NAME, m::duplicate_state(name), &sloc);
            }
            if name.chars().count() > MAX_NAME_LEN {
                self.push(m::INVALID_STATE_NAME, m::NAME_TOO_LONG.into(), &sloc);
            }
        }
        let start = start_name.and_then(|s| {
            let id = graph.ids.get(s).copied();
            if id.is_none() {
                self.push(m::MISSING_TRANSITION_TARGET, m::missing_target(s), &at(loc, "StartAt"));
            }
            id
        });
        for (name, sv) in states {
            let sloc = format!("{loc}/States/{name}");
            let state = self.state(name, sv, &sloc, &graph);
            self.slots[graph.ids[name.as_str()].0 as usize] = state;
        }
        self.deferred.push((states, loc.to_owned(), start_name.filter(|_| start.is_some())));
        if let Some(s) = start {
            self.graph_starts[gid.0 as usize] = s;
        }
        start
    }

    /// Terminal-state and reachability checks on the raw JSON of one graph.
    fn graph_checks(&mut self, states: &'v Obj, loc: &str, start: Option<&str>) {
        let terminal = states.values().any(|s| {
            s.get("End") == Some(&Value::Bool(true))
                || matches!(s.get("Type").and_then(Value::as_str), Some("Succeed" | "Fail"))
        });
        if !terminal {
            self.push(m::MISSING_END_STATE, m::NO_TERMINAL_STATE.into(), "");
            return;
        }
        let Some(start) = start else { return };
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue = VecDeque::from([start]);
        seen.insert(start);
        while let Some(name) = queue.pop_front() {
            let Some(s) = states.get(name) else { continue };
            let mut targets: Vec<&str> = Vec::new();
            for key in ["Next", "Default"] {
                targets.extend(s.get(key).and_then(Value::as_str));
            }
            for key in ["Choices", "Catch"] {
                if let Some(Value::Array(items)) = s.get(key) {
                    targets
                        .extend(items.iter().filter_map(|c| c.get("Next").and_then(Value::as_str)));
                }
            }
            for t in targets {
                if states.contains_key(t) && seen.insert(t) {
                    queue.push_back(t);
                }
            }
        }
        for name in states.keys() {
            if !seen.contains(name.as_str()) {
                self.push(
                    m::MISSING_TRANSITION_TARGET,
                    m::unreachable(name),
                    &format!("{loc}/States/{name}"),
                );
            }
        }
    }

    fn state(&mut self, name: &str, v: &'v Value, loc: &str, graph: &Graph<'_>) -> Option<State> {
        let Some(obj) = v.as_object() else {
            self.schema(m::expected_type("Object"), loc);
            return None;
        };
        let kind = match obj.get("Type") {
            None => {
                self.schema(m::required(&["Type"]), loc);
                return None;
            }
            Some(t) => match t.as_str().and_then(StateKind::from_type) {
                Some(k) => k,
                None => {
                    self.schema(m::one_of_values("Type", TYPES), &at(loc, "Type"));
                    return None;
                }
            },
        };
        let jsonata = match obj.get("QueryLanguage") {
            None => self.top_jsonata,
            Some(Value::String(s)) if s == "JSONPath" => {
                if self.top_jsonata {
                    self.schema(m::QUERY_LANGUAGE_DOWNGRADE.into(), loc);
                }
                false
            }
            Some(Value::String(s)) if s == "JSONata" => true,
            Some(_) => {
                self.schema(
                    m::one_of_values("QueryLanguage", &["JSONPath", "JSONata"]),
                    &at(loc, "QueryLanguage"),
                );
                self.top_jsonata
            }
        };
        let saved = std::mem::replace(&mut self.cur_jsonata, jsonata);
        let state = self.state_body(name, obj, kind, loc, graph);
        self.cur_jsonata = saved;
        state
    }

    fn state_body(
        &mut self,
        name: &str,
        obj: &'v Obj,
        kind: StateKind,
        loc: &str,
        graph: &Graph<'_>,
    ) -> Option<State> {
        let jsonata = self.cur_jsonata;
        let allowed = if jsonata { jsonata_fields_of(kind) } else { fields_of(kind).to_vec() };
        self.check_fields(obj, &allowed, loc);
        self.opt_string(obj, "Comment", loc);
        let transition = match kind {
            StateKind::Choice | StateKind::Succeed | StateKind::Fail => Transition::None,
            _ => self.transition(obj, loc, graph),
        };
        let mut io = self.io(obj, loc);
        let (retry, catch) = match kind {
            StateKind::Task | StateKind::Parallel | StateKind::Map => {
                (self.retry(obj, loc), self.catch(obj, loc, graph))
            }
            _ => (Vec::new(), Vec::new()),
        };
        let body = match kind {
            StateKind::Pass => Body::Pass { result: obj.get("Result").cloned() },
            StateKind::Task => self.task(obj, loc)?,
            StateKind::Choice => self.choice(obj, loc, graph)?,
            StateKind::Wait => Body::Wait(self.wait(obj, loc)?),
            StateKind::Succeed => Body::Succeed,
            StateKind::Fail => self.fail(obj, loc),
            StateKind::Parallel => self.parallel(obj, loc)?,
            StateKind::Map => {
                // In a Map state, `Parameters` is the legacy name of `ItemSelector`.
                let legacy = io.parameters.take();
                self.map(obj, loc, legacy)?
            }
        };
        let assign = self.assign(obj, loc);
        let assign_raw = obj.get("Assign").cloned();
        let ja = if jsonata {
            let mut ja = Ja { fields: Vec::new(), choices: std::mem::take(&mut self.ja_choices) };
            for &field in JSONATA_FIELDS {
                let Some(v) = obj.get(field) else { continue };
                if !allowed.contains(&field) || (field == "Assign" && !v.is_object()) {
                    continue;
                }
                let is_expr = matches!(v, Value::String(s) if is_expression(s));
                if !is_expr && !JSONATA_TEMPLATES.contains(&field) {
                    continue;
                }
                if let Some(t) = self.ja_template(v, field, loc) {
                    ja.fields.push((field, t));
                }
            }
            Some(Box::new(ja))
        } else {
            None
        };
        Some(State {
            name: name.to_owned(),
            kind,
            graph: graph.id,
            io,
            transition,
            retry,
            catch,
            body,
            assign,
            assign_raw,
            ja,
        })
    }

    /// Compiles a JSONata field value; an expression that does not parse is AWS's
    /// `INVALID_JSONATA_EXPRESSION` at the field (`/States/A/Output/v`).
    fn ja_template(&mut self, v: &Value, field: &str, loc: &str) -> Option<JTemplate> {
        match JTemplate::compile(v, field) {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(m::INVALID_JSONATA_EXPRESSION, e.message, &at(loc, &e.field));
                None
            }
        }
    }

    fn transition(&mut self, obj: &Obj, loc: &str, graph: &Graph<'_>) -> Transition {
        let end = match obj.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.schema(m::expected_type("Boolean"), &at(loc, "End"));
                false
            }
        };
        match (obj.get("Next"), end) {
            (Some(_), true) => {
                self.schema(m::only_one_of(&["Next", "End"]), loc);
                Transition::End
            }
            (None, false) => {
                self.schema(m::exactly_one_of(&["Next", "End"]), loc);
                Transition::End
            }
            (None, true) => Transition::End,
            (Some(n), false) => {
                Transition::Next(self.target(n, "Next", &at(loc, "Next"), loc, graph))
            }
        }
    }

    /// Resolves a transition target (`Next`, `Default`, a catcher's or rule's `Next`).
    fn target(
        &mut self,
        v: &Value,
        field: &str,
        field_loc: &str,
        owner_loc: &str,
        graph: &Graph<'_>,
    ) -> StateId {
        match v {
            Value::String(s) if s.is_empty() => {
                self.schema(m::non_empty(field), owner_loc);
                UNRESOLVED
            }
            Value::String(s) => match graph.ids.get(s.as_str()) {
                Some(id) => *id,
                None => {
                    self.push(m::MISSING_TRANSITION_TARGET, m::missing_target(s), field_loc);
                    UNRESOLVED
                }
            },
            _ => {
                self.schema(m::expected_type("String"), field_loc);
                UNRESOLVED
            }
        }
    }

    fn io(&mut self, obj: &Obj, loc: &str) -> Io {
        Io {
            input_path: self.path_spec(obj, "InputPath", loc, false),
            output_path: self.path_spec(obj, "OutputPath", loc, false),
            result_path: self.path_spec(obj, "ResultPath", loc, true),
            parameters: self.template(obj, "Parameters", loc),
            result_selector: self.template(obj, "ResultSelector", loc),
        }
    }

    fn path_spec(&mut self, obj: &Obj, key: &str, loc: &str, reference: bool) -> PathSpec {
        match obj.get(key) {
            None => PathSpec::Whole,
            Some(Value::Null) => PathSpec::Null,
            Some(Value::String(s)) if s == "$" => PathSpec::Whole,
            Some(Value::String(s)) => {
                if reference && !looks_like_reference(s) {
                    self.schema(m::NOT_REFERENCE_PATH.into(), &at(loc, key));
                    return PathSpec::Whole;
                }
                match self.path(s, key, loc) {
                    Some(p) => PathSpec::Path(p),
                    None => PathSpec::Whole,
                }
            }
            Some(_) => {
                self.schema(m::expected_type("String"), &at(loc, key));
                PathSpec::Whole
            }
        }
    }

    fn path(&mut self, s: &str, key: &str, loc: &str) -> Option<Path> {
        if !s.starts_with('$') {
            self.schema(m::invalid_path(key), &at(loc, key));
            return None;
        }
        match Path::parse(s) {
            Ok(p) => Some(p),
            Err(_) => {
                self.schema(m::invalid_path(key), &at(loc, key));
                None
            }
        }
    }

    /// A `…Path` field that must be a reference path; `None` when absent or invalid.
    fn ref_path(&mut self, obj: &Obj, key: &str, loc: &str) -> Option<Path> {
        match obj.get(key)? {
            Value::String(s)
                if looks_like_reference(s) || s.starts_with("$$.") || is_variable_reference(s) =>
            {
                self.path(s, key, loc)
            }
            Value::String(_) => {
                self.schema(m::NOT_REFERENCE_PATH.into(), &at(loc, key));
                None
            }
            _ => {
                self.schema(m::expected_type("String"), &at(loc, key));
                None
            }
        }
    }

    /// `Assign` (of a state, a catcher or a Choice rule): an object whose values are payload
    /// templates; `"name.$"` keys take a path or an intrinsic function.
    fn assign(&mut self, obj: &Obj, loc: &str) -> Option<Template> {
        let raw = obj.get("Assign")?;
        if !raw.is_object() {
            self.schema(m::expected_type("Object"), &at(loc, "Assign"));
            return None;
        }
        self.template(obj, "Assign", loc)
    }

    fn template(&mut self, obj: &Obj, key: &str, loc: &str) -> Option<Template> {
        if self.cur_jsonata {
            return None;
        }
        let raw = obj.get(key)?;
        match Template::compile(raw) {
            Ok(t) => Some(t),
            Err(msg) => {
                self.schema(msg, &at(loc, key));
                None
            }
        }
    }

    fn opt_string<'o>(&mut self, obj: &'o Obj, key: &str, loc: &str) -> Option<&'o str> {
        match obj.get(key)? {
            Value::String(s) => Some(s),
            _ => {
                self.schema(m::expected_type("String"), &at(loc, key));
                None
            }
        }
    }

    /// True when `key` holds a JSONata expression in a JSONata state (compiled into `Ja`).
    fn is_ja_expr(&self, obj: &Obj, key: &str) -> bool {
        self.cur_jsonata && matches!(obj.get(key), Some(Value::String(s)) if is_expression(s))
    }

    fn int(&mut self, obj: &Obj, key: &str, loc: &str, min: i64, max: i64) -> Option<u64> {
        if self.is_ja_expr(obj, key) {
            return None;
        }
        let v = obj.get(key)?;
        let Some(n) = v.as_i64().or_else(|| v.as_u64().map(|_| i64::MAX)) else {
            self.schema(m::expected_type("Integer"), &at(loc, key));
            return None;
        };
        if n < min {
            self.schema(m::minimum(&min.to_string()), &at(loc, key));
            None
        } else if n > max {
            self.schema(m::maximum(&max.to_string()), &at(loc, key));
            None
        } else {
            Some(n as u64)
        }
    }

    fn float(
        &mut self,
        obj: &Obj,
        key: &str,
        loc: &str,
        min: f64,
        max: Option<f64>,
    ) -> Option<f64> {
        if self.is_ja_expr(obj, key) {
            return None;
        }
        let v = obj.get(key)?;
        let Some(n) = v.as_f64() else {
            self.schema(m::expected_type("Number"), &at(loc, key));
            return None;
        };
        if n < min {
            self.schema(m::minimum(&format!("{min:.1}")), &at(loc, key));
            None
        } else if max.is_some_and(|x| n > x) {
            self.schema(m::maximum(&format!("{:.1}", max.unwrap_or_default())), &at(loc, key));
            None
        } else {
            Some(n)
        }
    }

    /// Reports when more than one of `keys` is present; returns how many are.
    fn exclusive(&mut self, obj: &Obj, keys: &[&str], loc: &str) -> usize {
        let n = keys.iter().filter(|k| obj.contains_key(**k)).count();
        if n > 1 {
            self.schema(m::only_one_of(keys), loc);
        }
        n
    }

    fn error_equals(&mut self, obj: &Obj, loc: &str) -> Vec<String> {
        let Some(v) = obj.get("ErrorEquals") else { return Vec::new() };
        let eloc = at(loc, "ErrorEquals");
        let Some(items) = v.as_array() else {
            self.schema(m::expected_type("Array"), &eloc);
            return Vec::new();
        };
        if items.is_empty() {
            self.schema(m::EMPTY.into(), &eloc);
        }
        let mut names = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => names.push(s.to_owned()),
                None => self.schema(m::expected_type("String"), &format!("{eloc}[{i}]")),
            }
        }
        if names.len() > 1 && names.iter().any(|n| n == crate::error::names::ALL) {
            self.schema(m::STATES_ALL_ALONE.into(), &eloc);
        }
        names
    }

    /// Shared checks of `Retry`/`Catch` arrays: returns each element with its location.
    fn handlers<'o>(&mut self, obj: &'o Obj, key: &str, loc: &str) -> Vec<(&'o Obj, String)> {
        let Some(v) = obj.get(key) else { return Vec::new() };
        let Some(items) = v.as_array() else {
            self.schema(m::expected_type("Array"), &at(loc, key));
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let iloc = format!("{loc}/{key}[{i}]");
            let Some(o) = item.as_object() else {
                self.schema(m::expected_type("Object"), &iloc);
                continue;
            };
            let has_all = o
                .get("ErrorEquals")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|n| n.as_str() == Some(crate::error::names::ALL)));
            if has_all && i + 1 != items.len() {
                self.schema(m::STATES_ALL_LAST.into(), &iloc);
            }
            out.push((o, iloc));
        }
        out
    }

    fn retry(&mut self, obj: &Obj, loc: &str) -> Vec<Retrier> {
        let mut out = Vec::new();
        for (o, rloc) in self.handlers(obj, "Retry", loc) {
            self.check_fields(
                o,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
                &rloc,
            );
            if !o.contains_key("ErrorEquals") {
                self.schema(m::required(&["ErrorEquals"]), &rloc);
            }
            let d = Retrier::default();
            let full_jitter = match o.get("JitterStrategy") {
                None => false,
                Some(v) if v == "FULL" => true,
                Some(v) if v == "NONE" => false,
                Some(_) => {
                    self.schema(
                        m::one_of_values("JitterStrategy", &["FULL", "NONE"]),
                        &at(&rloc, "JitterStrategy"),
                    );
                    false
                }
            };
            out.push(Retrier {
                error_equals: self.error_equals(o, &rloc),
                interval_seconds: self
                    .int(o, "IntervalSeconds", &rloc, 1, MAX_INT)
                    .unwrap_or(d.interval_seconds),
                max_attempts: self
                    .int(o, "MaxAttempts", &rloc, 0, MAX_INT)
                    .map_or(d.max_attempts, |n| n as u32),
                backoff_rate: self
                    .float(o, "BackoffRate", &rloc, 1.0, None)
                    .unwrap_or(d.backoff_rate),
                max_delay_seconds: self.int(o, "MaxDelaySeconds", &rloc, 1, 31_622_400),
                full_jitter,
            });
        }
        out
    }

    fn catch(&mut self, obj: &Obj, loc: &str, graph: &Graph<'_>) -> Vec<Catcher> {
        let mut out = Vec::new();
        for (o, cloc) in self.handlers(obj, "Catch", loc) {
            let jsonata = self.cur_jsonata;
            let fields: &[&str] = if jsonata {
                &["ErrorEquals", "Next", "Output", "Assign", "Comment"]
            } else {
                &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
            };
            self.check_fields(o, fields, &cloc);
            let missing: Vec<&str> =
                ["ErrorEquals", "Next"].into_iter().filter(|k| !o.contains_key(*k)).collect();
            if !missing.is_empty() {
                self.schema(m::required(&missing), &cloc);
            }
            let error_equals = self.error_equals(o, &cloc);
            let next = match o.get("Next") {
                Some(n) => self.target(n, "Next", &at(&cloc, "Next"), &cloc, graph),
                None => UNRESOLVED,
            };
            let result_path = self.path_spec(o, "ResultPath", &cloc, true);
            let assign = self.assign(o, &cloc);
            let (mut ja_output, mut ja_assign) = (None, None);
            if jsonata {
                ja_output = o.get("Output").and_then(|v| self.ja_template(v, "Output", &cloc));
                ja_assign = o
                    .get("Assign")
                    .filter(|v| v.is_object())
                    .and_then(|v| self.ja_template(v, "Assign", &cloc));
            }
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                assign,
                ja_output,
                ja_assign,
                jsonata,
            });
        }
        out
    }

    fn seconds(&mut self, obj: &Obj, key: &str, loc: &str) -> Option<Num<u64>> {
        let pkey = format!("{key}Path");
        self.exclusive(obj, &[key, &pkey], loc);
        if obj.contains_key(key) {
            self.int(obj, key, loc, 1, MAX_INT).map(Num::Fixed)
        } else {
            self.ref_path(obj, &pkey, loc).map(Num::Path)
        }
    }

    fn task(&mut self, obj: &Obj, loc: &str) -> Option<Body> {
        let resource = match obj.get("Resource") {
            None => {
                self.schema(m::required(&["Resource"]), loc);
                String::new()
            }
            Some(Value::String(r)) => {
                let parts: Vec<&str> = r.split(':').collect();
                if parts.len() < 6 || parts[0] != "arn" {
                    self.schema(m::invalid_resource(r), &at(loc, "Resource"));
                }
                r.clone()
            }
            Some(_) => {
                self.schema(m::expected_type("String"), &at(loc, "Resource"));
                String::new()
            }
        };
        let timeout = self.seconds(obj, "TimeoutSeconds", loc);
        let heartbeat = self.seconds(obj, "HeartbeatSeconds", loc);
        if let (Some(Num::Fixed(t)), Some(Num::Fixed(h))) = (&timeout, &heartbeat) {
            if h >= t {
                self.schema(m::HEARTBEAT_TOO_LARGE.into(), &at(loc, "HeartbeatSeconds"));
            }
        }
        let credentials = obj.get("Credentials").cloned();
        match &credentials {
            None => {}
            Some(Value::Object(c)) if c.contains_key("RoleArn") || c.contains_key("RoleArn.$") => {}
            Some(Value::Object(_)) => {
                self.schema(
                    "The field 'RoleArn' is required but was missing".into(),
                    &at(loc, "Credentials"),
                );
            }
            Some(_) => self.schema(m::expected_type("Object"), &at(loc, "Credentials")),
        }
        Some(Body::Task { resource, timeout, heartbeat, credentials })
    }

    fn choice(&mut self, obj: &Obj, loc: &str, graph: &Graph<'_>) -> Option<Body> {
        let default =
            obj.get("Default").map(|d| self.target(d, "Default", &at(loc, "Default"), loc, graph));
        let Some(v) = obj.get("Choices") else {
            self.schema(m::required(&["Choices"]), loc);
            return None;
        };
        let Some(items) = v.as_array() else {
            self.schema(m::expected_type("Array"), &at(loc, "Choices"));
            return None;
        };
        if items.is_empty() {
            self.schema(m::EMPTY.into(), &at(loc, "Choices"));
        }
        let mut choices = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let rloc = format!("{loc}/Choices[{i}]");
            let Some(o) = item.as_object() else {
                self.schema(m::expected_type("Object"), &rloc);
                continue;
            };
            let next = match o.get("Next") {
                Some(n) => self.target(n, "Next", &at(&rloc, "Next"), &rloc, graph),
                None => {
                    self.schema(m::required(&["Next"]), &rloc);
                    UNRESOLVED
                }
            };
            let assign = self.assign(o, &rloc);
            if self.cur_jsonata {
                self.check_fields(o, &["Condition", "Next", "Output", "Assign", "Comment"], &rloc);
                let condition = match o.get("Condition") {
                    None => {
                        self.schema(m::required(&["Condition"]), &rloc);
                        None
                    }
                    Some(v @ (Value::Bool(_) | Value::String(_))) => {
                        self.ja_template(v, "Condition", &rloc)
                    }
                    Some(_) => {
                        self.schema(m::expected_type("Boolean"), &at(&rloc, "Condition"));
                        None
                    }
                };
                let output = o.get("Output").and_then(|v| self.ja_template(v, "Output", &rloc));
                let assign = o
                    .get("Assign")
                    .filter(|v| v.is_object())
                    .and_then(|v| self.ja_template(v, "Assign", &rloc));
                if let Some(condition) = condition {
                    self.ja_choices.push(JaChoice { condition, next, output, assign });
                }
                continue;
            }
            let mut raw = o.clone();
            raw.remove("Next");
            raw.remove("Assign");
            match Rule::compile(&Value::Object(raw), &rloc) {
                Ok(rule) => choices.push((rule, next, assign)),
                Err(errs) => {
                    for (a, b) in errs {
                        // The contract gives (message, location); accept either order.
                        let (msg, l) =
                            if a.starts_with('/') && !b.starts_with('/') { (b, a) } else { (a, b) };
                        let l = if l.is_empty() { rloc.clone() } else { l };
                        self.schema(msg, &l);
                    }
                }
            }
        }
        Some(Body::Choice { choices, default })
    }

    fn wait(&mut self, obj: &Obj, loc: &str) -> Option<WaitSpec> {
        let n = WAIT_FIELDS.iter().filter(|k| obj.contains_key(**k)).count();
        if n > 1 {
            self.schema(m::only_one_of(WAIT_FIELDS), loc);
            return None;
        }
        if n == 0 {
            self.schema(m::exactly_one_of(WAIT_FIELDS), loc);
            return None;
        }
        if self.is_ja_expr(obj, "Seconds") || self.is_ja_expr(obj, "Timestamp") {
            // Evaluated at run time (`Ja`).
            return Some(WaitSpec::Seconds(0));
        }
        if obj.contains_key("Seconds") {
            return self.int(obj, "Seconds", loc, 0, MAX_INT).map(WaitSpec::Seconds);
        }
        if let Some(v) = obj.get("Timestamp") {
            let Some(s) = v.as_str() else {
                self.schema(m::expected_type("String"), &at(loc, "Timestamp"));
                return None;
            };
            return match parse_timestamp(s) {
                Some(ms) => Some(WaitSpec::TimestampMillis(ms)),
                None => {
                    self.schema(m::NOT_RFC3339.into(), &at(loc, "Timestamp"));
                    None
                }
            };
        }
        if obj.contains_key("SecondsPath") {
            return self.ref_path(obj, "SecondsPath", loc).map(WaitSpec::SecondsPath);
        }
        self.ref_path(obj, "TimestampPath", loc).map(WaitSpec::TimestampPath)
    }

    fn fail(&mut self, obj: &Obj, loc: &str) -> Body {
        let text = |b: &mut Self, key: &str| -> Option<Text> {
            let pkey = format!("{key}Path");
            b.exclusive(obj, &[key, &pkey], loc);
            if let Some(s) = b.opt_string(obj, key, loc) {
                return Some(Text::Fixed(s.to_owned()));
            }
            let p = b.opt_string(obj, &pkey, loc)?.to_owned();
            if p.starts_with("States.") {
                return match crate::intrinsics::Call::parse(&p) {
                    Ok(call) => Some(Text::Intrinsic(call)),
                    Err(reason) => {
                        b.schema(reason, &at(loc, &pkey));
                        None
                    }
                };
            }
            b.path(&p, &pkey, loc).map(Text::Path)
        };
        let error = text(self, "Error");
        let cause = text(self, "Cause");
        Body::Fail { error, cause }
    }

    fn parallel(&mut self, obj: &'v Obj, loc: &str) -> Option<Body> {
        let Some(v) = obj.get("Branches") else {
            self.schema(m::required(&["Branches"]), loc);
            return None;
        };
        let Some(items) = v.as_array() else {
            self.schema(m::expected_type("Array"), &at(loc, "Branches"));
            return None;
        };
        if items.is_empty() {
            self.schema(m::EMPTY.into(), &at(loc, "Branches"));
            return None;
        }
        let mut branches = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let bloc = format!("{loc}/Branches[{i}]");
            let Some(o) = item.as_object() else {
                self.schema(m::expected_type("Object"), &bloc);
                continue;
            };
            branches.extend(self.graph(o, &bloc, BRANCH_FIELDS));
        }
        Some(Body::Parallel { branches })
    }

    fn map(
        &mut self,
        obj: &'v Obj,
        loc: &str,
        legacy_parameters: Option<Template>,
    ) -> Option<Body> {
        let key = match (obj.contains_key("ItemProcessor"), obj.contains_key("Iterator")) {
            (true, true) => {
                self.schema(m::only_one_of(&["ItemProcessor", "Iterator"]), loc);
                return None;
            }
            (false, false) => {
                self.schema(m::exactly_one_of(&["ItemProcessor", "Iterator"]), loc);
                return None;
            }
            (true, false) => "ItemProcessor",
            (false, true) => "Iterator",
        };
        let ploc = at(loc, key);
        let Some(proc_obj) = obj.get(key).and_then(Value::as_object) else {
            self.schema(m::expected_type("Object"), &ploc);
            return None;
        };
        let mut distributed = false;
        if let Some(cfg) = proc_obj.get("ProcessorConfig") {
            let cloc = at(&ploc, "ProcessorConfig");
            match cfg.as_object() {
                Some(c) => {
                    self.check_fields(c, &["Mode", "ExecutionType"], &cloc);
                    match c.get("Mode").map(|v| v.as_str()) {
                        None | Some(Some("INLINE")) => {}
                        Some(Some("DISTRIBUTED")) => distributed = true,
                        Some(_) => self.schema(
                            m::one_of_values("Mode", &["INLINE", "DISTRIBUTED"]),
                            &at(&cloc, "Mode"),
                        ),
                    }
                    match c.get("ExecutionType").map(|v| v.as_str()) {
                        None | Some(Some("STANDARD" | "EXPRESS")) => {}
                        Some(_) => self.schema(
                            m::one_of_values("ExecutionType", &["STANDARD", "EXPRESS"]),
                            &at(&cloc, "ExecutionType"),
                        ),
                    }
                }
                None => self.schema(m::expected_type("Object"), &cloc),
            }
        }
        let start = self.graph(proc_obj, &ploc, PROCESSOR_FIELDS);
        let items_path = self.path_spec(obj, "ItemsPath", loc, false);
        let selector = self.template(obj, "ItemSelector", loc);
        if selector.is_some() && obj.contains_key("Parameters") {
            self.schema(m::only_one_of(&["ItemSelector", "Parameters"]), loc);
        }
        let item_selector = selector.or(legacy_parameters);
        self.exclusive(obj, &["MaxConcurrency", "MaxConcurrencyPath"], loc);
        let max_concurrency = match self.int(obj, "MaxConcurrency", loc, 0, MAX_INT) {
            Some(n) => Num::Fixed(u32::try_from(n).unwrap_or(u32::MAX)),
            None => self.ref_path(obj, "MaxConcurrencyPath", loc).map_or(Num::Fixed(0), Num::Path),
        };
        self.exclusive(obj, &["ToleratedFailurePercentage", "ToleratedFailurePercentagePath"], loc);
        let tolerated_failure_percentage = self
            .float(obj, "ToleratedFailurePercentage", loc, 0.0, Some(100.0))
            .map(Num::Fixed)
            .or_else(|| self.ref_path(obj, "ToleratedFailurePercentagePath", loc).map(Num::Path));
        self.exclusive(obj, &["ToleratedFailureCount", "ToleratedFailureCountPath"], loc);
        let tolerated_failure_count = self
            .int(obj, "ToleratedFailureCount", loc, 0, MAX_INT)
            .map(Num::Fixed)
            .or_else(|| self.ref_path(obj, "ToleratedFailureCountPath", loc).map(Num::Path));
        let label = self.opt_string(obj, "Label", loc).map(str::to_owned);
        if let Some(problem) = label.as_deref().and_then(m::label_problem) {
            self.push(m::VALUE_ERROR, problem, &at(loc, "Label"));
        }
        Some(Body::Map(Box::new(MapSpec {
            start: start?,
            items_path,
            item_selector,
            max_concurrency,
            tolerated_failure_percentage,
            tolerated_failure_count,
            distributed,
            label,
            unsupported: ["ItemReader", "ItemBatcher", "ResultWriter"]
                .into_iter()
                .find(|field| obj.contains_key(*field)),
        })))
    }
}

/// Parses an RFC 3339 timestamp (AWS: ISO-8601 extended offset date-time) to epoch millis.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    // RFC 3339 requires the `T` separator and an offset; chrono also accepts a space.
    if s.len() < 11 || !matches!(s.as_bytes()[10], b'T' | b't') {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp_millis())
}

/// Whether a field may read the Context object: JSONPath reaches it only through a path
/// or intrinsic argument that starts with `$$`, JSONata only inside `{% %}` (where
/// `$states.context` lives). Keys count too (`"Id.$": "$$.Execution.Id"` has it in the
/// value, but a key is cheap to check and keeps the test conservative).
fn mentions_context(key: &str, value: &Value) -> bool {
    let marks = |s: &str| s.contains("$$") || s.contains("{%") || s.contains("$states");
    marks(key)
        || match value {
            Value::String(s) => marks(s),
            Value::Array(items) => items.iter().any(|v| mentions_context("", v)),
            Value::Object(fields) => fields.iter().any(|(k, v)| mentions_context(k, v)),
            _ => false,
        }
}
