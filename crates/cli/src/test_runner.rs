//! `stepwise test`: runs a folder of test cases in-process and reports like a test runner.
//!
//! A test case is a file named `*.test.yaml`, `*.test.yml` or `*.test.json` (so definitions
//! and mock configurations can sit beside them); see the README for the fields.
use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;
use stepwise_engine::mock::{MockResponse, TaskMocks};

use crate::local::{self, RunResult, RunSpec};
use crate::mock_config::{MockConfig, ResponseSeq};

/// Options of `stepwise test`.
#[derive(Debug, Clone, clap::Args)]
pub struct TestOptions {
    /// A folder searched recursively for `*.test.{yaml,yml,json}` files, or one such file.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Writes a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Runs Waits, backoffs and timeouts in real time instead of virtual time.
    #[arg(long)]
    pub real_time: bool,
    /// Seed for States.UUID and States.MathRandom (not honoured yet: the engine draws its own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Cases run at the same time (default: the number of CPUs).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Runs only the cases whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
}

/// A test case file, as read.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its name (`name`, or the file path).
    pub name: String,
    /// The file.
    pub file: PathBuf,
    spec: Result<CaseSpec, String>,
}

#[derive(Debug, Clone)]
struct CaseSpec {
    definition: PathBuf,
    input: String,
    machine_name: String,
    test_case: Option<String>,
    mocks: Option<Arc<CaseMocks>>,
    expect: Expect,
}

#[derive(Debug, Clone, Default)]
struct Expect {
    status: String,
    output: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
    path: Option<Vec<String>>,
}

/// The mocked states of one case: a test case of a mock configuration, overlaid by inline mocks.
#[derive(Debug, Default)]
struct CaseMocks(BTreeMap<String, ResponseSeq>);

impl TaskMocks for CaseMocks {
    fn response(&self, _: &str, _: &str, state: &str, invocation: u32) -> Option<MockResponse> {
        self.0.get(state)?.get(invocation)
    }
    fn has_test_case(&self, _: &str, _: &str) -> bool {
        true
    }
}

/// How one case went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case's name.
    pub name: String,
    /// Its file.
    pub file: PathBuf,
    /// How long it took.
    pub elapsed: Duration,
    /// `None` when it passed; otherwise the readable failure.
    pub failure: Option<String>,
    /// The case could not run at all (bad file, invalid definition).
    pub error: bool,
}

/// Finds the case files under `path`, sorted.
pub fn discover(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fn is_case(p: &Path) -> bool {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".test.yaml") || name.ends_with(".test.yml") || name.ends_with(".test.json")
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let p = entry?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if is_case(&p) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_owned());
    } else {
        walk(path, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// Files read once per run (definitions, mock configurations), by path.
#[derive(Default)]
struct Files {
    configs: HashMap<PathBuf, Arc<MockConfig>>,
}

fn load_case(file: &Path, files: &mut Files) -> Case {
    let fallback = file.display().to_string();
    match read_case(file, files) {
        Ok((name, spec)) => {
            Case { name: name.unwrap_or(fallback), file: file.to_owned(), spec: Ok(spec) }
        }
        Err(e) => Case { name: fallback, file: file.to_owned(), spec: Err(format!("{e:#}")) },
    }
}

fn read_case(file: &Path, files: &mut Files) -> anyhow::Result<(Option<String>, CaseSpec)> {
    let doc = local::read_document(file)?;
    let obj = doc.as_object().ok_or_else(|| anyhow!("{}: expected an object", file.display()))?;
    const FIELDS: &[&str] = &[
        "name",
        "definition",
        "input",
        "inputFile",
        "mockConfig",
        "stateMachine",
        "testCase",
        "mocks",
        "expect",
    ];
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        bail!("unknown field {unknown:?} (fields: {})", FIELDS.join(", "));
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let string = |key: &str| -> anyhow::Result<Option<String>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => bail!("{key}: expected a string"),
        }
    };
    let name = string("name")?;
    let definition = dir
        .join(string("definition")?.ok_or_else(|| anyhow!("definition: required (a file path)"))?);
    let input = match (obj.get("input"), string("inputFile")?) {
        (Some(_), Some(_)) => bail!("give input or inputFile, not both"),
        (Some(v), None) => v.to_string(),
        (None, Some(f)) => local::read_document(&dir.join(f))?.to_string(),
        (None, None) => "{}".into(),
    };
    let mut machine_name = string("stateMachine")?;
    let test_case = string("testCase")?;
    let mut states = BTreeMap::new();
    let mut mocked = false;
    match (string("mockConfig")?, &test_case) {
        (Some(path), Some(case)) => {
            let path = dir.join(path);
            let config = match files.configs.get(&path) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(MockConfig::load(&path)?);
                    files.configs.insert(path.clone(), c.clone());
                    c
                }
            };
            let machine = match &machine_name {
                Some(m) => m.clone(),
                None => config.only_machine().map(str::to_owned).ok_or_else(|| {
                    anyhow!("stateMachine: required, {} configures several", path.display())
                })?,
            };
            let cases = config
                .state_machines
                .get(&machine)
                .ok_or_else(|| anyhow!("state machine {machine:?} is not in {}", path.display()))?;
            let case_states = cases
                .get(case)
                .ok_or_else(|| anyhow!("test case {case:?} is not in {}", path.display()))?;
            states.extend(case_states.clone());
            machine_name = Some(machine);
            mocked = true;
        }
        (Some(_), None) => bail!("mockConfig needs testCase"),
        (None, Some(_)) if obj.get("mocks").is_none() => bail!("testCase needs mockConfig"),
        _ => {}
    }
    match obj.get("mocks") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (state, v) in m {
                states.insert(state.clone(), ResponseSeq::from_json(v, &format!("mocks.{state}"))?);
            }
            mocked = true;
        }
        Some(_) => bail!("mocks: expected an object (state name → response)"),
    }
    let expect = read_expect(obj.get("expect"))?;
    let machine_name = machine_name.unwrap_or_else(|| local::machine_name_for(&definition));
    Ok((
        name,
        CaseSpec {
            definition,
            input,
            machine_name,
            test_case: if mocked {
                Some(test_case.unwrap_or_else(|| "inline".into()))
            } else {
                None
            },
            mocks: mocked.then(|| Arc::new(CaseMocks(states))),
            expect,
        },
    ))
}

fn read_expect(v: Option<&Value>) -> anyhow::Result<Expect> {
    let empty = serde_json::Map::new();
    let obj = match v {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => bail!("expect: expected an object"),
    };
    const FIELDS: &[&str] = &["status", "output", "error", "cause", "path"];
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        bail!("expect: unknown field {unknown:?} (fields: {})", FIELDS.join(", "));
    }
    let text = |key: &str| -> anyhow::Result<Option<String>> {
        match obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => bail!("expect.{key}: expected a string"),
        }
    };
    let error = text("error")?;
    let cause = text("cause")?;
    let status = match text("status")? {
        Some(s) => {
            let upper = s.to_ascii_uppercase();
            if stepwise_engine::model::ExecutionStatus::parse(&upper).is_none() {
                bail!("expect.status: {s:?} is not SUCCEEDED, FAILED, TIMED_OUT or ABORTED");
            }
            upper
        }
        None if error.is_some() || cause.is_some() => "FAILED".into(),
        None => "SUCCEEDED".into(),
    };
    let path = match obj.get("path") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| anyhow!("expect.path: expected a list of state names"))?,
        ),
        Some(_) => bail!("expect.path: expected a list of state names"),
    };
    Ok(Expect { status, output: obj.get("output").cloned(), error, cause, path })
}

/// Compares a run with what was expected; `None` when everything matches.
fn compare(expect: &Expect, actual: &RunResult) -> Option<String> {
    let mut out = String::new();
    let status = actual.status.as_str();
    if expect.status != status {
        out.push_str(&format!("  status: expected {}, got {status}\n", expect.status));
        if let Some(e) = &actual.error {
            out.push_str(&format!("    error: {e}\n"));
        }
        if let Some(c) = &actual.cause {
            out.push_str(&format!("    cause: {c}\n"));
        }
    }
    for (what, want, got) in
        [("error", &expect.error, &actual.error), ("cause", &expect.cause, &actual.cause)]
    {
        if let Some(want) = want {
            if Some(want) != got.as_ref() {
                out.push_str(&format!(
                    "  {what}: expected {want:?}, got {}\n",
                    got.as_ref().map_or("none".into(), |g| format!("{g:?}"))
                ));
            }
        }
    }
    if let Some(want) = &expect.output {
        let got: Option<Value> = actual
            .output
            .as_deref()
            .map(|o| serde_json::from_str(o).unwrap_or(Value::String(o.into())));
        if got.as_ref() != Some(want) {
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
            let got_text = got.as_ref().map_or("(no output)".into(), pretty);
            out.push_str("  output differs (- expected, + actual):\n");
            out.push_str(&diff(&pretty(want), &got_text));
        }
    }
    if let Some(want) = &expect.path {
        let got = actual.path();
        if &got != want {
            out.push_str("  path differs (- expected, + actual):\n");
            out.push_str(&diff(&want.join("\n"), &got.join("\n")));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A line diff (longest common subsequence), `-` expected and `+` actual, indented.
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] =
                if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push_str(&format!("      {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("    - {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("    + {}\n", b[j]));
            j += 1;
        }
    }
    out
}

async fn run_case(
    case: Case,
    real_time: bool,
    seed: Option<u64>,
    definitions: Arc<HashMap<PathBuf, Result<String, String>>>,
) -> Outcome {
    let started = Instant::now();
    let result: Result<Option<String>, String> = async {
        let spec = case.spec.clone()?;
        let definition = definitions
            .get(&spec.definition)
            .cloned()
            .unwrap_or_else(|| Err(format!("{} was not read", spec.definition.display())))?;
        let run = RunSpec {
            definition,
            input: spec.input,
            machine_name: spec.machine_name,
            mocks: spec
                .test_case
                .map(|case| (spec.mocks.clone().unwrap_or_default() as Arc<dyn TaskMocks>, case)),
            real_time,
            seed,
        };
        let result = local::run(run).await.map_err(|e| format!("{e:#}"))?;
        Ok(compare(&spec.expect, &result))
    }
    .await;
    let (failure, error) = match result {
        Ok(f) => (f, false),
        Err(e) => (Some(format!("  error: {e}\n")), true),
    };
    Outcome { name: case.name, file: case.file, elapsed: started.elapsed(), failure, error }
}

/// Runs; returns whether every case passed.
pub async fn run(options: TestOptions) -> anyhow::Result<bool> {
    let started = Instant::now();
    let mut files = Files::default();
    let mut cases: Vec<Case> =
        discover(&options.path)?.iter().map(|f| load_case(f, &mut files)).collect();
    if let Some(filter) = &options.filter {
        cases.retain(|c| c.name.contains(filter.as_str()));
    }
    if cases.is_empty() {
        bail!("no test cases (*.test.yaml, *.test.yml, *.test.json) in {}", options.path.display());
    }
    let mut definitions = HashMap::new();
    for case in &cases {
        if let Ok(spec) = &case.spec {
            definitions.entry(spec.definition.clone()).or_insert_with(|| {
                local::definition_text(&spec.definition).map_err(|e| format!("{e:#}"))
            });
        }
    }
    let definitions = Arc::new(definitions);
    let total = cases.len();
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let tty = std::io::stderr().is_terminal();
    println!("running {total} test case{}", if total == 1 { "" } else { "s" });
    let mut outcomes: Vec<Option<Outcome>> = vec![None; total];
    let mut set = tokio::task::JoinSet::new();
    let mut pending = cases.into_iter().enumerate();
    let (mut done, mut failed) = (0usize, 0usize);
    loop {
        while set.len() < jobs {
            let Some((i, case)) = pending.next() else { break };
            let defs = definitions.clone();
            let (real_time, seed) = (options.real_time, options.seed);
            set.spawn(async move { (i, run_case(case, real_time, seed, defs).await) });
        }
        let Some(joined) = set.join_next().await else { break };
        let (i, outcome) = joined.context("a test case panicked")?;
        done += 1;
        if outcome.failure.is_some() {
            failed += 1;
        }
        if tty {
            let width = 30;
            let filled = done * width / total;
            eprint!(
                "\r[{}{}] {done}/{total}  {} passed, {failed} failed",
                "=".repeat(filled),
                " ".repeat(width - filled),
                done - failed
            );
            let _ = std::io::stderr().flush();
        } else {
            let mark = if outcome.failure.is_some() { "FAIL" } else { "ok  " };
            println!("{mark} {} ({} ms)", outcome.name, outcome.elapsed.as_millis());
        }
        outcomes[i] = Some(outcome);
    }
    if tty {
        eprintln!();
    }
    let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    if !failures.is_empty() {
        println!("\nfailures:");
        for o in &failures {
            println!("\n--- {} ({})", o.name, o.file.display());
            print!("{}", o.failure.as_deref().unwrap_or_default());
        }
        println!();
    }
    let rate = total as f64 / elapsed.as_secs_f64().max(1e-9);
    println!(
        "test result: {}. {} passed; {} failed; finished in {:.2}s ({rate:.0} cases/s)",
        if failures.is_empty() { "ok" } else { "FAILED" },
        total - failures.len(),
        failures.len(),
        elapsed.as_secs_f64()
    );
    if let Some(path) = &options.junit {
        std::fs::write(path, junit(&outcomes, elapsed))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(failures.is_empty())
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The JUnit XML report.
pub fn junit(outcomes: &[Outcome], elapsed: Duration) -> String {
    let failures = outcomes.iter().filter(|o| o.failure.is_some() && !o.error).count();
    let errors = outcomes.iter().filter(|o| o.error).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"stepwise\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">\n",
        outcomes.len(),
        elapsed.as_secs_f64()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"stepwise test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">\n",
        outcomes.len(),
        elapsed.as_secs_f64()
    ));
    for o in outcomes {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
            xml_escape(&o.name),
            xml_escape(&o.file.display().to_string()),
            o.elapsed.as_secs_f64()
        ));
        match &o.failure {
            None => out.push_str("/>\n"),
            Some(text) => {
                let tag = if o.error { "error" } else { "failure" };
                let first = text.lines().next().unwrap_or("").trim();
                out.push_str(&format!(
                    ">\n      <{tag} message=\"{}\">{}</{tag}>\n    </testcase>\n",
                    xml_escape(first),
                    xml_escape(text)
                ));
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn diff_marks_changed_lines() {
        let d = diff("{\n  \"a\": 1,\n  \"b\": 2\n}", "{\n  \"a\": 1,\n  \"b\": 3\n}");
        assert_eq!(d, "      {\n        \"a\": 1,\n    -   \"b\": 2\n    +   \"b\": 3\n      }\n");
    }
}
