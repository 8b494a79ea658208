//! Inputs on which `jsonata-core` 2.2.13 panics (found by `fuzz/fuzz_targets/jsonata.rs` and
//! by reading its source), each kept away from it by `guard`: the expression fails with a
//! JSONata error or works, and nothing panics. The fuzz target aborts on any panic, caught or
//! not, so these must hold without `catch_unwind`'s help. Tests named `crash_<hash>` replay a
//! fuzzer artifact (`fuzz/seeds/jsonata/crash-<hash>.txt`).

use serde_json::{json, Map, Value};
use stepwise_jsonata::{Error, Expr, Limits};

fn input() -> Value {
    json!({"orders": [{"id": "a", "when": "2024-11-22T10:00:00Z", "n": 1732269600000_i64, "code": "12"}]})
}

fn eval(expr: &str) -> Result<Option<Value>, Error> {
    Expr::compile(expr)?.evaluate(&input(), &Map::new(), &Limits::default())
}

fn code(expr: &str) -> String {
    match eval(expr) {
        Err(e) => {
            assert_ne!(e.code, Error::INTERNAL, "{expr}: jsonata-core panicked: {e}");
            e.code
        }
        Ok(v) => panic!("{expr}: expected an error, got {v:?}"),
    }
}

fn give(expr: &str, want: Value) {
    assert_eq!(eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}")), Some(want), "{expr}");
}

#[test]
fn crash_644633fa_marker_starting_with_a_comma() {
    assert_eq!(code("$fromMillis(0, '[,D0=*o]')"), "D3132");
    assert_eq!(
        code("$fromMillis($toMillis(orders[0].when), \"[Y]0[M d1 ,57-'0 ][,D0=*o]\")"),
        "D3132"
    );
}

#[test]
fn crash_c4e16f48_marker_starting_with_a_comma_after_whitespace() {
    assert_eq!(code("$fromMillis($toMillis(orders[0].when), \"O[Yd2d #d][,  0]\")"), "D3132");
}

#[test]
fn crash_2ab9662e_signature_with_a_non_ascii_symbol() {
    assert_eq!(code("function($a, $a, $b)<n-nnӌ:n>{"), "S0401");
    assert_eq!(code("(function($a)<ӌ:n>{1})(2)"), "S0401");
    // Non-ASCII elsewhere is untouched: a field name, a string, a comparison.
    give("{'ӌ': 2}.ӌ < 3", json!(true));
    give("(function($a)<n:n>{$a & 'ӌ'})(2)", json!("2ӌ"));
}

#[test]
fn marker_with_a_non_ascii_component() {
    assert_eq!(code("$fromMillis(0, '[é]')"), "D3132");
    assert_eq!(code("$fromMillis(0, '[éx]')"), "D3132");
    assert_eq!(code("$toMillis('2024', '[é1]')"), "D3132");
}

#[test]
fn year_cut_to_more_than_18_digits() {
    // 10^n overflows 64 bits (and wraps to 0, a division by zero, from n = 64).
    assert_eq!(code("$fromMillis(0, '[Y,*-19]')"), "D3903");
    assert_eq!(code("$fromMillis(0, '[Y,*-64]')"), "D3903");
    assert_eq!(code("$fromMillis(0, '[Y0000000000000000000]')"), "D3903");
    give("$fromMillis(0, '[Y,*-18]')", json!("000000000000001970"));
    give("$fromMillis(0, '[Y,2-2]')", json!("70"));
}

#[test]
fn absurd_widths() {
    assert_eq!(code("$fromMillis(0, '[D,999999999999]')"), "D3903");
    assert_eq!(code("$fromMillis(0, '[Y,*-4294967297]')"), "D3903");
    give("$fromMillis(0, '[D,3]')", json!("001"));
    // A name's maximum width only truncates.
    give("$fromMillis(0, '[MNn,*-999999999999]')", json!("January"));
}

#[test]
fn timezone_offsets_out_of_range() {
    assert_eq!(code("$fromMillis(0, '[H]', '+99999999999999999')"), "D3903");
    assert_eq!(code("$now('[H]', '-99999999999999999')"), "D3903");
    give("$fromMillis(0, '[H01]:[m01]', '+0530')", json!("05:30"));
    // A timestamp beyond chrono's range fails as it does without a timezone, rather than
    // overflowing when the offset is added.
    let with = eval("$fromMillis(1e300, '[Y]', '+0100')").unwrap_err();
    let without = eval("$fromMillis(1e300, '[Y]')").unwrap_err();
    assert_eq!((with.code, with.message), (without.code, without.message));
}

#[test]
fn parsing_digits_of_another_family() {
    assert_eq!(code("$toMillis('2024', '[Y٠٠٠٠]')"), "D3903");
    assert_eq!(code("$parseInteger('12', '٠٠')"), "D3903");
    give("$parseInteger('١٢', '٠٠')", json!(12));
    give("$formatInteger(12, '٠٠')", json!("١٢"));
}

#[test]
fn parsing_an_ordinal_that_ends_inside_a_character() {
    assert_eq!(code("$parseInteger('é1', '0;o')"), "D3903");
    give("$parseInteger('21st', '0;o')", json!(21));
}

#[test]
fn parsing_letters_past_64_bits() {
    assert_eq!(code("$parseInteger('AAAAAAAAAAAAAAAAAAA', 'A')"), "D3903");
    give("$parseInteger('AB', 'A')", json!(28));
}

#[test]
fn parsing_a_day_of_the_year_past_chronos_range() {
    assert_eq!(code("$toMillis('2024-99999999999999', '[Y]-[d]')"), "D3903");
    assert_eq!(code("$toMillis('2024-ZZZZZZZZ', '[Y]-[dA]')"), "D3903");
    give("$toMillis('2024-032', '[Y]-[d]')", json!(1706745600000_i64));
    // Adjacent fixed-width fields make one long run of digits, which is no reason to refuse
    // (jsonata-js and jsonata-core both fail this one with D3136 for another reason).
    assert_eq!(
        code("$toMillis('2024-032120000000', '[Y0001]-[d001][H01][m01][s01][f001]')"),
        "D3136"
    );
}

#[test]
fn parsing_hours_and_timezones_past_64_bits() {
    assert_eq!(code("$toMillis('9999999999999999999 pm', '[h] [P]')"), "D3903");
    assert_eq!(code("$toMillis('2024 +999999999999999999', '[Y] [Z]')"), "D3903");
    give("$toMillis('2024-01-01 12 pm', '[Y]-[M]-[D] [h] [P]')", json!(1704110400000_i64));
    give(
        "$toMillis('2024-01-01T00:00:00+01:00', '[Y]-[M]-[D]T[H]:[m]:[s][Z01:01]')",
        json!(1704063600000_i64),
    );
}

#[test]
fn roman_numerals_of_huge_numbers() {
    assert_eq!(code("$formatInteger(1e18, 'I')"), "D3903");
    give("$formatInteger(1984, 'I')", json!("MCMLXXXIV"));
}

#[test]
fn decimal_separator_outside_ascii() {
    assert_eq!(code("$formatNumber(1.5, '0é0', {'decimal-separator': 'é'})"), "D3903");
    give(
        "$formatNumber(1234.5, '#.##0,00', {'decimal-separator': ',', 'grouping-separator': '.'})",
        json!("1.234,50"),
    );
}

#[test]
fn the_context_argument_still_works() {
    // Call sites are rewritten to pass `$` to the check; the built-ins' implicit context
    // argument must see the same item.
    give("orders.when.$toMillis()", json!(1732269600000_i64));
    give("orders.n.$fromMillis()", json!("2024-11-22T10:00:00.000Z"));
    give("orders.n.$fromMillis('[Y]')", json!("2024"));
    give("(3).$formatInteger('w')", json!("three"));
    give("orders.code.$parseInteger('00')", json!(12));
    give("(1234.5).$formatNumber('#,##0.0')", json!("1,234.5"));
    // ~> inserts its own first argument.
    give("1234.5 ~> $formatNumber('#,##0.0')", json!("1,234.5"));
    // References and partial applications reach the same built-ins.
    give("$map([1, 2], $formatInteger(?, 'I'))", json!(["I", "II"]));
    give("($f := $fromMillis; $f(0, '[Y]'))", json!("1970"));
    assert_eq!(code("($f := $fromMillis; $f(0, '[,]'))"), "D3132");
    // A binding of the built-in's name is the expression's own function.
    give("($formatInteger := function($n, $p){ 'mine' }; $formatInteger(1, 'I'))", json!("mine"));
}

#[test]
fn crash_c22bb4c0_regex_called_on_infinity() {
    // jsonata-core asserts (in debug builds) that a number it writes as a regex's subject is
    // finite; jsonata-js writes Infinity.
    give("/I/(1/0).match", json!("I"));
    give("/-I/(-1/0).match", json!("-I"));
    assert_eq!(eval("/a/(1/0)").unwrap(), None);
    give("($r := /fin/; $r(1/0).match)", json!("fin"));
    give("/1/(10).match", json!("1"));
}
