//! Malformed definitions: AWS's `INVALID_JSON_DESCRIPTION` in Jackson's words, at the
//! line and column Jackson names (one past the character that showed the fault).
use stepwise_asl::Machine;

/// The one diagnostic for `text`: its message's first line, and the location.
fn fault(text: &str) -> (String, String) {
    let diags = Machine::parse(text).diagnostics;
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d.code, "INVALID_JSON_DESCRIPTION");
    let (first, rest) = d.message.split_once("\n at ").expect("Jackson's `\\n at [Source: …]`");
    assert_eq!(rest, d.location, "the message ends with the location");
    (first.to_owned(), d.location.clone())
}

fn source(text: &str, line: usize, column: usize) -> String {
    format!("[Source: (String)\"{text}\"; line: {line}, column: {column}]")
}

fn check(text: &str, message: &str, line: usize, column: usize) {
    let (got, location) = fault(text);
    assert_eq!(got, message, "for {text:?}");
    assert_eq!(location, source(text, line, column), "for {text:?}");
}

/// AWS's recorded answer (test_sfn_api_validation.snapshot.json), byte for byte.
#[test]
fn an_unrecognized_token_as_aws_recorded_it() {
    let d = &Machine::parse("not a definition").diagnostics[0];
    assert_eq!(
        d.message,
        "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]"
    );
    assert_eq!(d.location, "[Source: (String)\"not a definition\"; line: 1, column: 4]");
    check(
        "{\"a\": tru }",
        "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        1,
        10,
    );
    check(
        "{\"End\": trueish}",
        "Unrecognized token 'trueish': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        1,
        16,
    );
}

/// The case of the issue: the last two braces missing blames the end of the input and
/// names the object left open, not a valid `true`.
#[test]
fn missing_closing_braces_blame_the_end_of_input() {
    let text =
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"End\": true}";
    check(
        text,
        &format!(
            "Unexpected end-of-input: expected close marker for Object (start marker at {})",
            source(text, 3, 13)
        ),
        4,
        39,
    );
    let text = "{\"States\": [1, 2";
    check(
        text,
        &format!(
            "Unexpected end-of-input: expected close marker for Array (start marker at {})",
            source(text, 1, 12)
        ),
        1,
        17,
    );
    check("{\"StartAt\":", "Unexpected end-of-input within/between Object entries", 1, 12);
    check("[1,", "Unexpected end-of-input within/between Array entries", 1, 4);
    check(
        "{\"StartAt\": \"A",
        "Unexpected end-of-input: was expecting closing quote for a string value",
        1,
        15,
    );
    check("{\"Sta", "Unexpected end-of-input in field name", 1, 6);
}

#[test]
fn unexpected_characters_name_what_was_expected() {
    // Single quotes: AWS's wording, recorded for an execution input.
    check(
        "{'StartAt': 'A'}",
        "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
        1,
        3,
    );
    check(
        "{\"StartAt\": \"A\",}",
        "Unexpected character ('}' (code 125)): was expecting double-quote to start field name",
        1,
        18,
    );
    check(
        "{\"StartAt\": \"A\" \"States\": {}}",
        "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries",
        1,
        18,
    );
    check(
        "{\"a\": [1 2]}",
        "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries",
        1,
        11,
    );
    check(
        "{\"StartAt\" \"A\"}",
        "Unexpected character ('\"' (code 34)): was expecting a colon to separate field name and value",
        1,
        13,
    );
    check("{\"a\": [1,]}", "Unexpected character (']' (code 93)): expected a value", 1, 11);
    check(
        "{\"a\": @}",
        "Unexpected character ('@' (code 64)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        1,
        8,
    );
    let text = "{\"States\": [}";
    check(
        text,
        &format!(
            "Unexpected close marker '}}': expected ']' (for Array starting at {})",
            source(text, 1, 12)
        ),
        1,
        14,
    );
}

#[test]
fn strings_and_numbers() {
    check(
        "{\"StartAt\": \"A\nB\"}",
        "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value",
        1,
        16,
    );
    check("{\"StartAt\": \"\\q\"}", "Unrecognized character escape 'q' (code 113)", 1, 16);
    check(
        "{\"a\": \"\\u12g4\"}",
        "Unexpected character ('g' (code 103)): expected a hex-digit for character escape sequence",
        1,
        13,
    );
    check("{\"a\": 01}", "Invalid numeric value: Leading zeroes not allowed", 1, 9);
    check(
        "{\"a\": -x}",
        "Unexpected character ('x' (code 120)) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
        1,
        9,
    );
    check(
        "{\"a\": 1.}",
        "Unexpected character ('}' (code 125)) in numeric value: Decimal point not followed by a digit",
        1,
        10,
    );
    check(
        "{\"a\": 1e}",
        "Unexpected character ('}' (code 125)) in numeric value: Exponent indicator not followed by a digit",
        1,
        10,
    );
}

/// Where AWS's wording is not known (Jackson reads past the end of the first value),
/// the message says plainly what is wrong, and where.
#[test]
fn content_after_the_definition_is_said_plainly() {
    check("{}}", "Unexpected content after the end of the definition's JSON object", 1, 3);
    check(
        "{\"a\":\u{1}1}",
        "Illegal character ((CTRL-CHAR, code 1)): only regular white space (\\r, \\n, \\t) is allowed between tokens",
        1,
        7,
    );
}

/// Lines count from the newlines outside strings; columns in UTF-16 units, as Java's.
#[test]
fn positions_count_lines_and_utf16_columns() {
    check(
        "{\n\"Comment\": \"\u{1F600}\",\n  x",
        "Unexpected character ('x' (code 120)): was expecting double-quote to start field name",
        3,
        4,
    );
    check(
        "{\"Comment\": \"\u{1F600}\" x}",
        "Unexpected character ('x' (code 120)): was expecting comma to separate Object entries",
        1,
        19,
    );
}
