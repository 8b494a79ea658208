//! JSON text as TestState writes it: AWS separates items with `, ` and keys from values
//! with `: ` in `output` and `inspectionData` (recorded: `[1, 1, 1]`,
//! `[{"branch1": "result"}]`), where executions write compact JSON.
use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::Value;

struct Spaced;

impl Formatter for Spaced {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// `value` as AWS's TestState writes it.
pub fn spaced(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Spaced);
    // Writing a `Value` to memory cannot fail.
    let _ = value.serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::spaced;
    use serde_json::json;

    #[test]
    fn separators_have_a_space() {
        assert_eq!(spaced(&json!([1, 1, 1])), "[1, 1, 1]");
        assert_eq!(
            spaced(&json!({"a": [{"b": 1}, "x"], "c": {}})),
            r#"{"a": [{"b": 1}, "x"], "c": {}}"#
        );
        assert_eq!(spaced(&json!("s")), r#""s""#);
    }
}
