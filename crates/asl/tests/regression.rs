//! Regression tests for crashes found by fuzzing (`fuzz/`): each is named after the crash and
//! keeps the input that triggered it.
use serde_json::json;
use stepwise_asl::path::Path;
use stepwise_asl::Env;

/// fuzz `path`, crash-92600ab646969114abac7f2bde36b7fe7519a8b1: a slice whose step is
/// `i64::MAX` overflowed the index ("attempt to add with overflow" in `path::apply`) once the
/// first element was taken. The slice now ends there, as any step past the end does.
#[test]
fn crash_92600ab6_slice_step_overflow() {
    let input = json!({"store": {"book": [1, 2, 3]}, "arr": [0, 1, 2, 3, 4]});
    let (ctx, vars) = (json!({}), serde_json::Map::new());
    let env = Env { input: &input, context: &ctx, vars: &vars, seed: 0 };
    // The fuzzer's input, newlines included.
    let p = Path::parse("$.store.book[-1:\n\n:9223372036854775807]").unwrap();
    assert_eq!(p.select(&env), Some(json!([3])));
    for (text, expected) in [
        ("$.arr[0::9223372036854775807]", json!([0])),
        ("$.arr[1:5:9223372036854775807]", json!([1])),
        ("$.arr[-9223372036854775808::9223372036854775807]", json!([0])),
        ("$.arr[3:9223372036854775807:9223372036854775806]", json!([3])),
        ("$..arr[4::9223372036854775807]", json!([4])),
    ] {
        let p = Path::parse(text).unwrap();
        assert_eq!(p.select(&env), Some(expected), "{text}");
    }
}
