//! Arbitrary text as a JSONPath (`Path::parse` + `select`/`select_or_explain`/`assign`) and as
//! an intrinsic function call (`Call::parse` + `eval`) against a fixed document: no panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stepwise_asl::intrinsics::Call;
use stepwise_asl::path::Path;
use stepwise_asl::template::Template;
use stepwise_asl::Env;

struct Doc {
    input: Value,
    ctx: Value,
    vars: Map<String, Value>,
}

fn doc() -> &'static Doc {
    static DOC: OnceLock<Doc> = OnceLock::new();
    DOC.get_or_init(|| {
        let input = json!({
            "store": {
                "book": [
                    {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                    {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99, "isbn": "0-553"},
                    {"category": "fiction", "price": -1, "tags": ["a", "b", "a"]}
                ],
                "bicycle": {"color": "red", "price": 19.95}
            },
            "n": 3, "neg": -7, "big": 1.0e300, "s": "héllo, wörld", "b64": "aGVsbG8=",
            "json": "{\"x\": [1, 2]}", "empty": {}, "none": null, "t": true,
            "arr": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "nested": [[1, [2, [3]]], {"a": {"a": {"a": 1}}}]
        });
        let ctx = json!({"Execution": {"Id": "arn:e", "Input": input.clone()}, "Map": {"Item": {"Index": 0}}});
        let mut vars = Map::new();
        vars.insert("v".into(), json!({"k": [1, 2], "s": "x"}));
        vars.insert("num".into(), json!(10));
        Doc { input, ctx, vars }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let d = doc();
    let env = Env { input: &d.input, context: &d.ctx, vars: &d.vars, seed: data.len() as u64 };
    if let Ok(p) = Path::parse(text) {
        let _ = (p.is_reference(), p.is_definite(), p.to_string());
        let _ = p.select(&env);
        let _ = p.select_or_explain(&env);
        let _ = p.select_in(&d.input);
        if p.is_reference() {
            let _ = p.assign(d.input.clone(), json!({"assigned": 1}));
        }
    }
    if let Ok(c) = Call::parse(text) {
        let _ = c.to_string();
        let _ = c.eval(&env);
        let _ = c.eval_field(&env, Some("f.$"));
    }
    // Both again through a payload template, which picks path or call by the text.
    if let Ok(t) = Template::compile(&json!({"x.$": text, "lit": [1]})) {
        let _ = t.render(&env);
    }
});
