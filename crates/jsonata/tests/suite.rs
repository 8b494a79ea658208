//! The official JSONata 2.0.6 test suite (`/work/shared/jsonata-test-suite`, see its
//! SOURCE.md), every case. Prints `jsonata suite: N passed, M failed` and the failing cases;
//! fails below a 98 % pass rate. Without the suite directory it prints a loud SKIPPED line,
//! unless `CI=true`, where a missing suite is a failure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};
use stepwise_jsonata::{Expr, Limits};

const PASS_RATE: f64 = 0.98;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/jsonata-test-suite")
}

struct Case {
    id: String,
    /// The group directory, where an `expr-file` is.
    group: PathBuf,
    /// `Err` when the file is not JSON serde_json reads: a lone surrogate escape (`"\uD800"`),
    /// which no Rust string can hold.
    body: Result<Value, String>,
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let mut groups: Vec<_> = std::fs::read_dir(dir.join("groups"))
        .expect("groups/")
        .map(|e| e.expect("entry").path())
        .collect();
    groups.sort();
    let mut cases = Vec::new();
    for group in groups {
        let mut files: Vec<_> = std::fs::read_dir(&group)
            .expect("group dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("case file");
            let body: Value = match serde_json::from_str(&text) {
                Ok(body) => body,
                Err(e) => {
                    cases.push(Case {
                        id: name_of(&group, &file),
                        group: group.clone(),
                        body: Err(format!("unreadable case: {e}")),
                    });
                    continue;
                }
            };
            let name = name_of(&group, &file);
            match body {
                Value::Array(items) => {
                    cases.extend(items.into_iter().enumerate().map(|(i, body)| Case {
                        id: format!("{name}[{i}]"),
                        group: group.clone(),
                        body: Ok(body),
                    }))
                }
                body => cases.push(Case { id: name, group: group.clone(), body: Ok(body) }),
            }
        }
    }
    cases
}

fn name_of(group: &Path, file: &Path) -> String {
    format!(
        "{}/{}",
        group.file_name().unwrap().to_string_lossy(),
        file.file_stem().unwrap().to_string_lossy()
    )
}

/// Runs one case; `Err` says why it failed.
fn run(case: &Case, dir: &Path) -> Result<(), String> {
    let c = case.body.as_ref()?;
    let expr_text = match (c.get("expr"), c.get("expr-file")) {
        (Some(Value::String(text)), _) => text.clone(),
        (_, Some(Value::String(file))) => std::fs::read_to_string(case.group.join(file))
            .map_err(|e| format!("expr-file {file}: {e}"))?,
        _ => return Err("no expr".into()),
    };
    let input: Option<Value> = match (c.get("data"), c.get("dataset")) {
        (Some(data), _) => Some(data.clone()),
        (None, Some(Value::String(name))) => {
            let text = std::fs::read_to_string(dir.join("datasets").join(format!("{name}.json")))
                .map_err(|e| format!("dataset {name}: {e}"))?;
            Some(serde_json::from_str(&text).map_err(|e| format!("dataset {name}: {e}"))?)
        }
        _ => None,
    };
    let bindings: Map<String, Value> =
        c.get("bindings").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut limits = Limits::default();
    if let Some(ms) = c.get("timelimit").and_then(Value::as_u64) {
        limits.timeout = Duration::from_millis(ms);
    }
    if let Some(depth) = c.get("depth").and_then(Value::as_u64) {
        limits.max_depth = usize::try_from(depth).unwrap();
    }
    let outcome = Expr::compile(&expr_text)
        .and_then(|e| e.evaluate_input(input.as_ref(), &bindings, &limits));
    let code = c.get("code").or_else(|| c.get("error").and_then(|e| e.get("code")));
    if let Some(code) = code.and_then(Value::as_str) {
        return match outcome {
            Err(e) if e.code == code => Ok(()),
            Err(e) => Err(format!("expected error {code}, got {e}")),
            Ok(v) => Err(format!("expected error {code}, got {v:?}")),
        };
    }
    let got = outcome.map_err(|e| format!("error {e}"))?;
    if c.get("undefinedResult").and_then(Value::as_bool) == Some(true) {
        return match got {
            None => Ok(()),
            Some(v) => Err(format!("expected undefined, got {v}")),
        };
    }
    let Some(expected) = c.get("result") else {
        return Err("case has no result, undefinedResult or code".into());
    };
    match got {
        Some(v) if json_eq(&v, expected) => Ok(()),
        Some(v) => Err(format!("expected {expected}, got {v}")),
        None => Err(format!("expected {expected}, got undefined")),
    }
}

/// Deep equality where numbers compare as f64 (`1` = `1.0`), as JavaScript's deepEqual does.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn jsonata_2_0_6_suite() {
    let dir = suite_dir();
    if !dir.join("groups").is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the JSONata test suite is missing at {}",
            dir.display()
        );
        // Seen with --nocapture; cargo shows the build script's warning (build.rs) always.
        eprintln!("!!!!! SKIPPED: jsonata suite not found at {} !!!!!", dir.display());
        return;
    }
    let cases = load_cases(&dir);
    let mut failed = Vec::new();
    for case in &cases {
        // A panic in the evaluator is a failure of that case, not of the run.
        let result =
            std::panic::catch_unwind(|| run(case, &dir)).unwrap_or_else(|_| Err("panicked".into()));
        if let Err(why) = result {
            failed.push((case.id.clone(), why));
        }
    }
    for (id, why) in &failed {
        let why: String = why.chars().take(300).collect();
        println!("FAIL {id}: {why}");
    }
    let passed = cases.len() - failed.len();
    println!("jsonata suite: {passed} passed, {} failed", failed.len());
    #[allow(clippy::cast_precision_loss)]
    let rate = passed as f64 / cases.len() as f64;
    assert!(
        rate >= PASS_RATE,
        "{passed} of {} suite cases passed: {:.2} % is below {} %",
        cases.len(),
        rate * 100.0,
        PASS_RATE * 100.0
    );
    // How many cases the run covered (with --nocapture; a failure names it too).
    eprintln!("jsonata suite: {} cases run", cases.len());
}
