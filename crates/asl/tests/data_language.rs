//! The data language through the public API: paths, templates, intrinsics and Choice rules
//! working together, with cases taken from AWS's documentation and recorded executions.
use serde_json::{json, Map, Value};
use stepwise_asl::choice::Rule;
use stepwise_asl::intrinsics::Call;
use stepwise_asl::path::Path;
use stepwise_asl::template::Template;
use stepwise_asl::Env;

fn with_env<T>(input: &Value, f: impl FnOnce(&Env<'_>) -> T) -> T {
    let ctx = json!({
        "Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:m:e", "Name": "e", "Input": input},
        "StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:my-machine", "Name": "my-machine"},
        "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00Z"}
    });
    let mut vars = Map::new();
    vars.insert("threshold".into(), json!(10));
    f(&Env { input, context: &ctx, vars: &vars, seed: 11 })
}

/// One case: `template` rendered against `input` gives `expected`.
fn check_template(template: Value, input: Value, expected: Value) {
    let t = Template::compile(&template).unwrap_or_else(|e| panic!("{template}: {e}"));
    let got = with_env(&input, |env| t.render(env));
    assert_eq!(got, Ok(expected), "{template}");
}

#[test]
fn aws_documentation_examples() {
    // Parameters example from the States Language spec.
    check_template(
        json!({"flagged": true, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"}}),
        json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}),
        json!({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]}}),
    );
    // The nesting example of the intrinsics page (which has a third `{}` too many).
    check_template(
        json!({"myArn.$": "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))"}),
        json!({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/my-recipe.v1/1.0.0"}}),
        json!({"myArn": "1.0"}),
    );
    check_template(
        json!({"merged.$": "States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), $$.Execution.Input.input_field, false)"}),
        json!({"input_field": {"constant_input_field": "constant_value"}}),
        json!({"merged": {"constant_in_literal": "false", "constant_input_field": "constant_value"}}),
    );
    check_template(
        json!({"greeting.$": "States.Format('Hello, my name is {}.', $.name)", "n.$": "$threshold", "sm.$": "$$.StateMachine.Name"}),
        json!({"name": "Arnav"}),
        json!({"greeting": "Hello, my name is Arnav.", "n": 10, "sm": "my-machine"}),
    );
}

#[test]
fn result_path_then_choice() {
    let input = json!({"order": {"total": 12}});
    let result_path = Path::parse("$.taskresult.detail").unwrap();
    let output = result_path.assign(input, json!({"ok": true})).unwrap();
    assert_eq!(output, json!({"order": {"total": 12}, "taskresult": {"detail": {"ok": true}}}));
    let rule = Rule::compile(
        &json!({"And": [
            {"Variable": "$.taskresult.detail.ok", "BooleanEquals": true},
            {"Variable": "$.order.total", "NumericGreaterThanPath": "$threshold"}
        ]}),
        "/States/C/Choices[0]",
    )
    .unwrap();
    assert_eq!(with_env(&output, |env| rule.matches(env)), Ok(true));
}

#[test]
fn intrinsics_from_recorded_executions() {
    let eval =
        |expr: &str, input: Value| with_env(&input, |env| Call::parse(expr).unwrap().eval(env));
    assert_eq!(
        eval(
            "States.Format('Formatting arguments fst={} and snd={}.', $.fst, $.snd)",
            json!({"fst": {"Arg1": 1, "Arg2": []}, "snd": 1.1})
        ),
        Ok(json!("Formatting arguments fst={Arg1=1, Arg2=[]} and snd=1.1."))
    );
    assert_eq!(
        eval("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)", json!({})),
        Ok(json!("my"))
    );
    assert_eq!(
        eval("States.StringSplit('split on T and \nnew line', 'T\n')", json!({})),
        Ok(json!(["split on ", " and ", "new line"]))
    );
    assert_eq!(eval("States.MathAdd($.a, $.b)", json!({"a": -1.5, "b": 0})), Ok(json!(-1)));
    assert_eq!(
        eval(
            "States.ArrayUnique($)",
            json!([null, null, true, 1, 1, 1.1, [], [], {"a": 1}, {"a": 1}])
        ),
        Ok(json!([null, true, 1, 1.1, [], {"a": 1}]))
    );
}
