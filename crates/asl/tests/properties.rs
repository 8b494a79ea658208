//! Property tests of the data language and the interpreter through the public API:
//! `Path::assign`/`select`, static templates, `$`, retry backoff and total parsers.
//!
//! Run: `cargo test -p stepwise-asl --test properties` (`PROPTEST_CASES=N` for more cases).
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use stepwise_asl::intrinsics::Call;
use stepwise_asl::path::Path;
use stepwise_asl::retry::Retrier;
use stepwise_asl::template::Template;
use stepwise_asl::{Entered, Env, ErrorDecision, Fault, Machine};

fn with_env<T>(input: &Value, f: impl FnOnce(&Env<'_>) -> T) -> T {
    let ctx = json!({"Execution": {"Id": "arn:e"}});
    let vars = Map::new();
    f(&Env { input, context: &ctx, vars: &vars, seed: 5 })
}

/// Any JSON value (numbers as integers or finite floats), up to 4 levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((".{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys come from a small alphabet (so generated paths hit them), with
/// nested objects and arrays.
fn keyed_object() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,4}".prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("[a-d][a-d0-9_]{0,2}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map("[a-d][a-d0-9_]{0,2}", tree, 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Builds a reference path by walking `doc`: each choice picks an existing key or index (an
/// index written negatively half the time), or a fresh key; a walk stops at a scalar, and
/// after a fresh key only fresh keys follow (`assign` creates the missing objects).
fn walk(doc: &Value, choices: &[(u16, bool)]) -> String {
    let mut text = "$".to_owned();
    let mut cur = Some(doc);
    for (i, &(pick, bracket)) in choices.iter().enumerate() {
        let fresh = format!("new_{i}");
        let key = match cur {
            Some(Value::Object(m)) => {
                let n = m.len();
                let j = pick as usize % (n + 1);
                match m.iter().nth(j) {
                    Some((k, v)) => {
                        cur = Some(v);
                        k.clone()
                    }
                    None => {
                        cur = None;
                        fresh
                    }
                }
            }
            Some(Value::Array(a)) if !a.is_empty() => {
                let j = pick as usize % a.len();
                cur = Some(&a[j]);
                if bracket {
                    text.push_str(&format!("[{}]", j as i64 - a.len() as i64));
                } else {
                    text.push_str(&format!("[{j}]"));
                }
                continue;
            }
            Some(_) => break,
            None => fresh,
        };
        if bracket {
            text.push_str(&format!("['{key}']"));
        } else {
            text.push('.');
            text.push_str(&key);
        }
    }
    text
}

/// JSON without any key ending in `.$` (keys may still contain `$` and `.`).
fn static_json() -> impl Strategy<Value = Value> {
    let key = "[a-z$. ]{0,5}".prop_filter("no .$ suffix", |k: &String| !k.ends_with(".$"));
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z$.(){}']{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The longest single retry interval Step Functions waits (`retry.rs`).
const YEAR_SECS: u64 = 31_622_400;

/// A one-Task machine retrying every error with the given settings.
fn retry_machine(
    interval: u64,
    max_attempts: u32,
    rate: f64,
    max_delay: Option<u64>,
    full: bool,
) -> Machine {
    let mut retrier = json!({
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": interval,
        "MaxAttempts": max_attempts,
        "BackoffRate": rate,
        "JitterStrategy": if full { "FULL" } else { "NONE" },
    });
    if let Some(d) = max_delay {
        retrier["MaxDelaySeconds"] = json!(d);
    }
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:a",
        "Retry": [retrier], "End": true
    }}});
    let v = Machine::parse(&def.to_string());
    v.machine.unwrap_or_else(|| panic!("{def}: {:?}", v.diagnostics))
}

/// Fragments a random definition is made of, so that parsing reaches validation.
fn definition_text() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        prop::sample::select(vec![
            "\"StartAt\"",
            "\"States\"",
            "\"Type\"",
            "\"Pass\"",
            "\"Task\"",
            "\"Choice\"",
            "\"Wait\"",
            "\"Succeed\"",
            "\"Fail\"",
            "\"Parallel\"",
            "\"Map\"",
            "\"Next\"",
            "\"End\"",
            "true",
            "null",
            "\"A\"",
            "\"B\"",
            "\"Branches\"",
            "\"ItemProcessor\"",
            "\"Choices\"",
            "\"Variable\"",
            "\"$.x\"",
            "\"x.$\"",
            "\"Parameters\"",
            "\"ResultPath\"",
            "\"Retry\"",
            "\"Catch\"",
            "\"ErrorEquals\"",
            "\"States.ALL\"",
            "\"Assign\"",
            "\"Seconds\"",
            "1",
            "-1",
            "1e400",
            "\"Resource\"",
            "\"arn:aws:states:::lambda:invoke\"",
            "\"States.Format('{}', $.x)\"",
        ])
        .prop_map(str::to_owned),
        ".{0,3}",
    ];
    proptest::collection::vec(frag, 0..40).prop_map(|v| v.concat())
}

proptest! {
    /// (a) `assign` at a reference path, then `select` of the same path, gives the value; the
    /// rest of the document is unchanged (checked by assigning back what was there).
    #[test]
    fn assign_then_select(
        doc in keyed_object(),
        choices in proptest::collection::vec((any::<u16>(), any::<bool>()), 0..6),
        value in any_json(),
    ) {
        let text = walk(&doc, &choices);
        let path = Path::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert!(path.is_reference(), "{}", text);
        let before = path.select_in(&doc);
        let out = path.assign(doc.clone(), value.clone()).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(with_env(&out, |env| path.select(env)), Some(value.clone()), "{}", text);
        prop_assert_eq!(path.select_in(&out), Some(value), "{}", text);
        // Putting the old value back restores the document where the path existed.
        if let Some(old) = before {
            prop_assert_eq!(path.assign(out, old).unwrap(), doc, "{}", text);
        }
    }

    /// (b) A payload template without `.$` keys is static and renders to itself.
    #[test]
    fn static_template_renders_to_itself(raw in static_json(), input in any_json()) {
        let t = Template::compile(&raw).map_err(TestCaseError::fail)?;
        prop_assert!(t.is_static());
        prop_assert_eq!(with_env(&input, |env| t.render(env)), Ok(raw));
    }

    /// (c) `$` selects the whole input, as a definite path, by every selection entry point.
    #[test]
    fn dollar_selects_whole_input(input in any_json()) {
        let p = Path::parse("$").unwrap();
        prop_assert!(p.is_reference() && p.is_definite());
        prop_assert_eq!(with_env(&input, |env| p.select(env)), Some(input.clone()));
        prop_assert_eq!(with_env(&input, |env| p.select_or_explain(env)), Ok(input.clone()));
        prop_assert_eq!(p.select_in(&input), Some(input.clone()));
        // ResultPath `$` replaces the whole input.
        prop_assert_eq!(p.assign(json!({"old": 1}), input.clone()), Ok(input));
    }

    /// (d) Retry through `Machine::on_error`: with `BackoffRate` ≥ 1 the delay never decreases
    /// from one attempt to the next, never exceeds `MaxDelaySeconds`, full jitter only shortens
    /// it, and once `MaxAttempts` retries are made the error is not retried.
    #[test]
    fn retry_backoff_monotone_and_capped(
        interval in prop_oneof![1u64..10, 1u64..=99_999_999],
        max_attempts in prop_oneof![0u32..8, 0u32..=99_999_999],
        rate in prop_oneof![Just(1.0f64), 1.0f64..3.0, 1.0f64..1e6],
        max_delay in proptest::option::of(prop_oneof![1u64..100, 1u64..=31_622_400]),
        jitter in 0.0f64..1.0,
        start in prop_oneof![0u32..4, any::<u32>()],
    ) {
        let plain = retry_machine(interval, max_attempts, rate, max_delay, false);
        let jittered = retry_machine(interval, max_attempts, rate, max_delay, true);
        let id = plain.start_state();
        let fault = Fault::new("Some.Error", "boom");
        let input = json!({});
        // Step Functions caps a single retry interval at one year.
        let cap_ms = max_delay.unwrap_or(YEAR_SECS).min(YEAR_SECS) * 1000;
        let mut prev = 0u64;
        for attempt in start..start.saturating_add(40) {
            let (d, j) = with_env(&input, |env| {
                (
                    plain.on_error(id, env, &fault, &[attempt], jitter),
                    jittered.on_error(id, env, &fault, &[attempt], jitter),
                )
            });
            if attempt >= max_attempts {
                prop_assert_eq!(d, ErrorDecision::Fail);
                prop_assert_eq!(j, ErrorDecision::Fail);
                continue;
            }
            let ErrorDecision::Retry { retrier: 0, delay_ms } = d else {
                return Err(TestCaseError::fail(format!("attempt {attempt}: {d:?}")));
            };
            let ErrorDecision::Retry { retrier: 0, delay_ms: jittered_ms } = j else {
                return Err(TestCaseError::fail(format!("attempt {attempt}: {j:?}")));
            };
            prop_assert!(delay_ms >= prev, "attempt {}: {} < {}", attempt, delay_ms, prev);
            prop_assert!(delay_ms <= cap_ms, "attempt {}: {} > {}", attempt, delay_ms, cap_ms);
            prop_assert!(delay_ms >= interval.min(cap_ms / 1000) * 1000);
            prop_assert!(jittered_ms <= delay_ms, "jitter {}: {} > {}", jitter, jittered_ms, delay_ms);
            prev = delay_ms;
        }
        // The first retry waits exactly IntervalSeconds (capped).
        if max_attempts > 0 {
            let first = with_env(&input, |env| plain.on_error(id, env, &fault, &[0], jitter));
            let want = interval.min(cap_ms / 1000) * 1000;
            prop_assert_eq!(first, ErrorDecision::Retry { retrier: 0, delay_ms: want });
        }
    }

    /// (d') The same properties straight on `Retrier::delay_ms`, over the whole `u32` range.
    #[test]
    fn retrier_delay_monotone(
        interval in 1u64..=99_999_999,
        rate in prop_oneof![Just(1.0f64), 1.0f64..4.0, 1.0f64..1e300],
        max_delay in proptest::option::of(1u64..=31_622_400),
        a in any::<u32>(),
        b in any::<u32>(),
    ) {
        let r = Retrier { interval_seconds: interval, backoff_rate: rate, max_delay_seconds: max_delay, ..Retrier::default() };
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(r.delay_ms(lo, 0.0) <= r.delay_ms(hi, 0.0));
        prop_assert!(r.delay_ms(hi, 0.0) <= max_delay.unwrap_or(YEAR_SECS) * 1000);
        prop_assert!(r.delay_ms(lo, 0.0) >= interval.min(max_delay.unwrap_or(YEAR_SECS)).min(YEAR_SECS) * 1000);
    }

    /// (e) Parsers never panic: definitions from arbitrary text and from ASL fragments, paths
    /// and intrinsic calls; an accepted machine can be entered at its start state.
    #[test]
    fn parse_never_panics(raw in ".{0,64}", def in definition_text()) {
        for text in [&raw, &def] {
            let v = Machine::parse(text);
            prop_assert!(v.machine.is_none() || v.diagnostics.iter().all(|d| d.severity != stepwise_asl::Severity::Error));
            if let Some(m) = v.machine {
                let input = json!({"x": 1});
                let _: Entered = with_env(&input, |env| m.enter(m.start_state(), env));
            }
            let _ = Path::parse(text);
            let _ = Call::parse(text);
        }
    }

    /// (e') Path and intrinsic syntax specifically: parse, then evaluate what parses.
    #[test]
    fn path_and_call_parse_never_panic(
        p in "\\$[a-z.\\[\\]'*?@()<>=!&|0-9:, -]{0,16}",
        c in "States\\.(Format|Array|ArrayRange|ArrayGetItem|MathAdd|StringSplit|Hash|JsonMerge)\\(['$a-z0-9., ()\\\\{}-]{0,20}\\)",
    ) {
        let input = json!({"a": [1, 2, {"b": "c"}], "s": "x,y", "n": 3});
        if let Ok(path) = Path::parse(&p) {
            let _ = with_env(&input, |env| (path.select(env), path.select_or_explain(env)));
        }
        if let Ok(call) = Call::parse(&c) {
            let _ = with_env(&input, |env| call.eval(env));
        }
    }
}
