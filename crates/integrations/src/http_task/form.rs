//! URL-encoding of JSON values, for form bodies (`Transform.RequestBodyEncoding:
//! URL_ENCODED`) and query strings.
//!
//! Objects nest as `key[child]`; arrays follow `RequestEncodingOptions.ArrayFormat`.
//! Every key and value is percent-encoded as RFC 3986 asks (a space is `%20`, brackets
//! are `%5B`/`%5D`), as in the request AWS documents:
//! `description=Monthly%20subscription&metadata%5Border_details%5D=monthly%20report%20data`.
//! Empty arrays and objects add nothing, `null` is an empty value.
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// How arrays are written (`RequestEncodingOptions.ArrayFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ArrayFormat {
    /// `array[0]=a&array[1]=b` (AWS's default).
    #[default]
    Indices,
    /// `array=a&array=b`.
    Repeat,
    /// `array=a,b` (the comma is a value's character, so it is encoded: `a%2Cb`).
    Commas,
    /// `array[]=a&array[]=b`.
    Brackets,
}

impl ArrayFormat {
    /// The format named `name` as AWS spells it.
    pub(crate) fn parse(name: &str) -> Option<ArrayFormat> {
        Some(match name {
            "INDICES" => ArrayFormat::Indices,
            "REPEAT" => ArrayFormat::Repeat,
            "COMMAS" => ArrayFormat::Commas,
            "BRACKETS" => ArrayFormat::Brackets,
            _ => return None,
        })
    }
}

/// RFC 3986's unreserved characters stay as they are; everything else is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `value` (an object, or an array whose indices become the keys) as
/// `key=value&…`, keys in the value's order.
pub(crate) fn encode(value: &Value, format: ArrayFormat) -> String {
    let mut pairs = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                flatten(key.clone(), child, format, &mut pairs);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(i.to_string(), child, format, &mut pairs);
            }
        }
        _ => {}
    }
    pairs.iter().map(|(k, v)| format!("{}={}", escape(k), escape(v))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes one key or value.
pub(crate) fn escape(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

fn flatten(key: String, value: &Value, format: ArrayFormat, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (child_key, child) in map {
                flatten(format!("{key}[{child_key}]"), child, format, pairs);
            }
        }
        Value::Array(items) if format == ArrayFormat::Commas && items.iter().all(is_scalar) => {
            if !items.is_empty() {
                let joined: Vec<String> = items.iter().map(scalar).collect();
                pairs.push((key, joined.join(",")));
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let child_key = match format {
                    // Arrays of objects have no comma form; indices keep them apart.
                    ArrayFormat::Indices | ArrayFormat::Commas => format!("{key}[{i}]"),
                    ArrayFormat::Brackets => format!("{key}[]"),
                    ArrayFormat::Repeat => key.clone(),
                };
                flatten(child_key, child, format, pairs);
            }
        }
        _ => pairs.push((key, scalar(value))),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

/// A scalar as text: strings as they are, numbers and booleans as JSON writes them,
/// `null` as nothing.
pub(crate) fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[track_caller]
    fn check(value: Value, format: ArrayFormat, expected: &str) {
        assert_eq!(encode(&value, format), expected);
    }

    #[test]
    fn the_array_formats_aws_documents() {
        let array = json!({"array": ["a", "b", "c", "d"]});
        check(
            array.clone(),
            ArrayFormat::Indices,
            "array%5B0%5D=a&array%5B1%5D=b&array%5B2%5D=c&array%5B3%5D=d",
        );
        check(array.clone(), ArrayFormat::Repeat, "array=a&array=b&array=c&array=d");
        check(array.clone(), ArrayFormat::Commas, "array=a%2Cb%2Cc%2Cd");
        check(
            array,
            ArrayFormat::Brackets,
            "array%5B%5D=a&array%5B%5D=b&array%5B%5D=c&array%5B%5D=d",
        );
    }

    #[test]
    fn the_invoice_example_of_aws() {
        let body = json!({
            "description": "Monthly subscription",
            "metadata": {"order_details": "monthly report data"},
            "customer": "1234567890"
        });
        check(
            body,
            ArrayFormat::Indices,
            "description=Monthly%20subscription&metadata%5Border_details%5D=monthly%20report%20data&customer=1234567890",
        );
    }

    #[test]
    fn scalars_nesting_and_empty_values() {
        check(
            json!({"n": 1.5, "t": true, "z": null, "e": [], "o": {}, "u": "é&=", "a": [{"k": 1}]}),
            ArrayFormat::Commas,
            "n=1.5&t=true&z=&u=%C3%A9%26%3D&a%5B0%5D%5Bk%5D=1",
        );
        check(json!({"a": [[1, 2]]}), ArrayFormat::Brackets, "a%5B%5D%5B%5D=1&a%5B%5D%5B%5D=2");
        check(json!({"a": [{"k": 1}, {"k": 2}]}), ArrayFormat::Repeat, "a%5Bk%5D=1&a%5Bk%5D=2");
        check(json!(["x", "y"]), ArrayFormat::Indices, "0=x&1=y");
        check(json!("text"), ArrayFormat::Indices, "");
    }

    #[test]
    fn unreserved_characters_stay() {
        assert_eq!(escape("aZ09-._~ /+"), "aZ09-._~%20%2F%2B");
    }
}
