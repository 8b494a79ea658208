//! Intrinsic functions (`States.Format`, `States.Array`, …): parse and evaluate.
//!
//! OWNER: data-language helper. Contract: `Call::parse` at definition time, `Call::eval` at
//! run time with AWS's `States.IntrinsicFailure` causes. `States.UUID` and `States.MathRandom`
//! need randomness: it comes from `Env::seed`, so this crate stays pure.
//!
//! Syntax: `States.Name(arg, …)` where an argument is a string literal in single quotes
//! (escapes `\'`, `\{`, `\}`, `\\`), a number, `true`, `false`, `null`, a path (`$.x`, `$$.x`,
//! `$var`) or another call (at most 10 levels of nesting, as AWS allows).
use serde_json::{Number, Value};

use crate::error::names::INTRINSIC_FAILURE;
use crate::path::{compact, Path};
use crate::{Env, Fault};

mod functions;

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    text: Box<str>,
    node: Node,
}

/// One call inside the tree; `id` numbers calls in the text so that two `States.UUID()`
/// in one expression draw different values from the same seed.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    func: Func,
    args: Box<[Arg]>,
    id: u32,
    /// For `States.Format` with a literal template: the template split at its `{}`.
    format: Option<Box<[Piece]>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Lit(Value),
    Path(Path),
    Call(Box<Node>),
}

/// A piece of a `States.Format` template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(Box<str>),
    Hole,
}

/// The intrinsic functions AWS provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

const FUNCS: [(&str, Func, usize, usize); 18] = [
    ("States.Format", Func::Format, 1, usize::MAX),
    ("States.StringToJson", Func::StringToJson, 1, 1),
    ("States.JsonToString", Func::JsonToString, 1, 1),
    ("States.Array", Func::Array, 0, usize::MAX),
    ("States.ArrayPartition", Func::ArrayPartition, 2, 2),
    ("States.ArrayContains", Func::ArrayContains, 2, 2),
    ("States.ArrayRange", Func::ArrayRange, 3, 3),
    ("States.ArrayGetItem", Func::ArrayGetItem, 2, 2),
    ("States.ArrayLength", Func::ArrayLength, 1, 1),
    ("States.ArrayUnique", Func::ArrayUnique, 1, 1),
    ("States.Base64Encode", Func::Base64Encode, 1, 1),
    ("States.Base64Decode", Func::Base64Decode, 1, 1),
    ("States.Hash", Func::Hash, 2, 2),
    ("States.JsonMerge", Func::JsonMerge, 3, 3),
    ("States.MathRandom", Func::MathRandom, 2, 3),
    ("States.MathAdd", Func::MathAdd, 2, 2),
    ("States.StringSplit", Func::StringSplit, 2, 2),
    ("States.UUID", Func::Uuid, 0, 0),
];

/// AWS allows at most this many nested calls in one field.
const MAX_NESTING: usize = 10;

impl Func {
    fn name(self) -> &'static str {
        FUNCS.iter().find(|f| f.1 == self).map_or("States.?", |f| f.0)
    }
}

impl Call {
    /// Parses `States.Xxx(args…)`; `Err` is the definition-time reason.
    pub fn parse(text: &str) -> Result<Call, String> {
        let mut p = Parser { src: text, b: text.as_bytes(), pos: 0, next_id: 0 };
        p.skip_ws();
        let node = p.call(1)?;
        p.skip_ws();
        if p.pos != p.b.len() {
            return Err(p.err("unexpected text after the closing parenthesis"));
        }
        Ok(Call { text: text.into(), node })
    }

    /// True when `text` looks like an intrinsic call rather than a path (starts with `States.`).
    pub fn looks_like_call(text: &str) -> bool {
        text.trim_start().starts_with("States.")
    }

    /// The call as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Evaluates the call.
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, Fault> {
        self.eval_field(env, None)
    }

    /// Evaluates the call for the payload-template field `field` (e.g. `id.$`), which AWS
    /// names in the cause when a path argument matches nothing.
    pub fn eval_field(&self, env: &Env<'_>, field: Option<&str>) -> Result<Value, Fault> {
        self.node.eval(env, field)
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The `States.Runtime` fault AWS raises when a path in a payload template matches nothing.
pub(crate) fn path_not_found(path: &Path, field: Option<&str>, env: &Env<'_>) -> Fault {
    let input = compact(env.input);
    match field {
        Some(field) => Fault::runtime(format!(
            "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{input}'"
        )),
        None => Fault::runtime(format!("The JSONPath '{path}' could not be found in the input '{input}'")),
    }
}

fn failure(func: Func, msg: impl std::fmt::Display) -> Fault {
    Fault::new(INTRINSIC_FAILURE, format!("Invalid arguments in {}: {msg}", func.name()))
}

impl Node {
    fn eval(&self, env: &Env<'_>, field: Option<&str>) -> Result<Value, Fault> {
        let mut args = Vec::with_capacity(self.args.len());
        for arg in self.args.iter() {
            args.push(match arg {
                Arg::Lit(v) => v.clone(),
                Arg::Path(p) => p.select(env).ok_or_else(|| path_not_found(p, field, env))?,
                Arg::Call(n) => n.eval(env, field)?,
            });
        }
        functions::apply(self, args, env)
    }
}

/// Formats a number the way Java's `Double.toString`/`Long.toString` do, which is what
/// AWS's `States.Format` produces (`1.0` stays `1.0`, `1e21` becomes `1.0E21`).
pub(crate) fn java_number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let x = n.as_f64().unwrap_or(f64::NAN);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let ax = x.abs();
    if (1e-3..1e7).contains(&ax) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = if mant.contains('.') { mant.to_owned() } else { format!("{mant}.0") };
        format!("{mant}E{exp}")
    }
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    next_id: u32,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("Invalid intrinsic function call '{}': {what} (at position {})", self.src, self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn call(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_NESTING {
            return Err(
                self.err(&format!("intrinsic functions can be nested at most {MAX_NESTING} deep"))
            );
        }
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'.' || c == b'_')
        {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        let Some(&(_, func, min, max)) = FUNCS.iter().find(|f| f.0 == name) else {
            return Err(format!(
                "Invalid intrinsic function call '{}': unknown function '{name}'",
                self.src
            ));
        };
        let id = self.next_id;
        self.next_id += 1;
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(self.err("expected '('"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        let mut format = None;
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let arg = if self.peek() == Some(b'\'') {
                    let (value, pieces) = self.string()?;
                    if func == Func::Format && args.is_empty() {
                        format = Some(pieces.into_boxed_slice());
                    }
                    Arg::Lit(Value::String(value))
                } else {
                    self.arg(depth)?
                };
                args.push(arg);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ')'")),
                }
            }
        }
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(format!(
                "Invalid intrinsic function call '{}': {name} takes {expected} argument(s) but got {}",
                self.src,
                args.len()
            ));
        }
        if func == Func::Format {
            match args.first() {
                Some(Arg::Lit(Value::String(_))) | Some(Arg::Path(_)) | Some(Arg::Call(_)) => {}
                _ => return Err(format!("Invalid intrinsic function call '{}': the first argument of States.Format must be a string", self.src)),
            }
            // The number of placeholders is checked only at run time: AWS's own documentation
            // shows a template whose `{}` count differs from its arguments, so we do not
            // reject such a definition up front.
        }
        Ok(Node { func, args: args.into(), id, format })
    }

    /// A single-quoted literal: the value and, for `States.Format`, its pieces (escaped
    /// braces are text, `{}` is a hole).
    fn string(&mut self) -> Result<(String, Vec<Piece>), String> {
        self.pos += 1;
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = self.src[self.pos..].char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('\'' | '{' | '}' | '\\'))) => {
                        value.push(e);
                        text.push(e);
                    }
                    Some((_, e)) => {
                        self.pos += i;
                        return Err(self
                            .err(&format!("invalid escape sequence '\\{e}' in a string literal")));
                    }
                    None => break,
                },
                '\'' => {
                    self.pos += i + 1;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(text.into()));
                    }
                    return Ok((value, pieces));
                }
                '{' if matches!(chars.peek(), Some((_, '}'))) => {
                    chars.next();
                    value.push_str("{}");
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text).into()));
                    }
                    pieces.push(Piece::Hole);
                }
                c => {
                    value.push(c);
                    text.push(c);
                }
            }
        }
        self.pos = self.b.len();
        Err(self.err("unterminated string literal"))
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, String> {
        match self.peek() {
            Some(b'$') => {
                // A path runs to the next ',' or ')' outside brackets, parentheses and quotes.
                let start = self.pos;
                let mut depth_b = 0usize;
                let mut quote: Option<u8> = None;
                while let Some(c) = self.peek() {
                    match (quote, c) {
                        (Some(_), b'\\') => self.pos += 1,
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, b'\'' | b'"') if depth_b > 0 => quote = Some(c),
                        (None, b'[' | b'(') => depth_b += 1,
                        (None, b']' | b')') if depth_b > 0 => depth_b -= 1,
                        (None, b',' | b')') => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                let text = self.src[start..self.pos.min(self.b.len())].trim_end();
                Path::parse(text)
                    .map(Arg::Path)
                    .map_err(|e| format!("Invalid intrinsic function call '{}': {e}", self.src))
            }
            Some(b'S') if self.src[self.pos..].starts_with("States.") => {
                Ok(Arg::Call(Box::new(self.call(depth + 1)?)))
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.pos += 1;
                }
                let text = &self.src[start..self.pos];
                serde_json::from_str::<Number>(text)
                    .map(|n| Arg::Lit(Value::Number(n)))
                    .map_err(|_| self.err(&format!("invalid number '{text}'")))
            }
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    let rest = &self.b[self.pos..];
                    if rest.starts_with(word.as_bytes())
                        && !rest
                            .get(word.len())
                            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    {
                        self.pos += word.len();
                        return Ok(Arg::Lit(v));
                    }
                }
                Err(self
                    .err("expected a string, number, boolean, null, path or intrinsic function"))
            }
        }
    }
}

/// Renders a value inside `States.Format` the way AWS does: strings raw, objects as
/// `{k=v, …}`, arrays as `[a, b]`, numbers like Java.
fn format_value(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Number(n) => out.push_str(&java_number(n)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                format_value(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                format_value(x, out);
            }
            out.push('}');
        }
    }
}

/// Splits a format string that came from a path at run time.
fn pieces_at_runtime(s: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('{' | '}' | '\\' | '\'')) => {
                text.push(chars.next().unwrap_or('\\'))
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text).into()));
                }
                pieces.push(Piece::Hole);
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text.into()));
    }
    pieces
}

#[cfg(test)]
mod tests;
