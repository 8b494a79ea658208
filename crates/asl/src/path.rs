//! JSONPath as the States Language uses it: `Path`s and reference paths.
//!
//! OWNER: data-language helper. Contract (other modules rely on it):
//! - `Path::parse` accepts every path AWS accepts (`$`, `$.a.b`, `$['a']`, `$[0]`, `$[*]`,
//!   `$..a`, `$[1:3]`, `$[?(@.x > 1)]`, `$.a.length()`, `$$.Execution.Id`, `$var.x`) and
//!   rejects the rest with a message.
//! - `select` evaluates against an [`Env`]: `$` → input, `$$` → context, `$name` → variable.
//!   It returns `None` when nothing matches (callers turn that into AWS's error), a single
//!   value for a definite path and an array for an indefinite one.
//! - `ResultPath` uses [`Path::assign`] (reference paths only).
//!
//! AWS evaluates paths with Jayway JsonPath, so this module follows Jayway where the
//! JSONPath "standard" is vague: a path is *definite* when it has only child names and
//! single indexes (negative indexes count from the end), and a definite path yields the
//! node itself rather than a one-element list. Indefinite paths (wildcards, slices,
//! unions, filters, `..`) always yield an array, possibly empty.
//!
//! A path is parsed once into a compact list of segments; evaluation walks borrowed
//! values and clones only what it returns.
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use crate::Env;

mod filter;

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: Box<str>,
    root: Root,
    segs: Box<[Seg]>,
    definite: bool,
    reference: bool,
}

/// What a path starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's input (or effective input, depending on the field).
    Input,
    /// `$$`: the Context object.
    Context,
    /// `$name`: a workflow variable.
    Var(Box<str>),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    /// `.name` or `['name']`.
    Child(Box<str>),
    /// `[3]` or `[-1]`.
    Index(i64),
    /// `['a','b']`: iterates when inside a path, merges into one object as the last step
    /// (Jayway's behaviour).
    Names(Box<[Box<str>]>),
    /// `[0,2]`.
    Indexes(Box<[i64]>),
    /// `*` or `[*]`.
    Wildcard,
    /// `[start:end:step]`.
    Slice(Option<i64>, Option<i64>, i64),
    /// `[?(…)]`.
    Filter(Box<filter::Expr>),
    /// `..x`: apply `x` to the node and all its descendants.
    Scan(Box<Seg>),
    /// `.length()`: only as the last step.
    Length,
}

/// Why a path was rejected at definition time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathError(pub String);

impl Path {
    /// Parses a path; `Err` carries the reason.
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let mut p = Parser::new(text);
        let root = p.root()?;
        let segs = p.segments(false)?;
        if p.pos < p.src.len() {
            return Err(p.unexpected());
        }
        if let Some(i) = segs.iter().position(|s| *s == Seg::Length) {
            if i + 1 != segs.len() {
                return Err(PathError(format!(
                    "Invalid JSONPath '{text}': length() must be the last step"
                )));
            }
        }
        let reference = segs.iter().all(|s| matches!(s, Seg::Child(_) | Seg::Index(_)));
        let definite = match segs.split_last() {
            None => true,
            Some((last, init)) => {
                init.iter().all(|s| matches!(s, Seg::Child(_) | Seg::Index(_)))
                    && matches!(last, Seg::Child(_) | Seg::Index(_) | Seg::Names(_) | Seg::Length)
            }
        };
        Ok(Path { text: text.into(), root, segs: segs.into(), definite, reference })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the path starts from (`$`, `$$` or a variable).
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// True when the path selects at most one node (no wildcard, filter, slice, union, `..`).
    ///
    /// These are the spec's "Reference Paths": only child names and array indexes.
    pub fn is_reference(&self) -> bool {
        self.reference
    }

    /// True when the result is a single node rather than a list of matches (Jayway's
    /// "definite path"): reference paths, plus a trailing `length()` or `['a','b']`.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    fn root_value<'v>(&self, env: &Env<'v>) -> Option<&'v Value> {
        match &self.root {
            Root::Input => Some(env.input),
            Root::Context => Some(env.context),
            Root::Var(name) => env.vars.get(&**name),
        }
    }

    /// Evaluates the path; `None` when nothing matches.
    pub fn select(&self, env: &Env<'_>) -> Option<Value> {
        self.select_cow(env).map(Cow::into_owned)
    }

    /// [`select`](Self::select) without a copy where it can: a definite path that selects a
    /// node (not `length()` or a merge of names) borrows it from `env`.
    pub fn select_cow<'v>(&self, env: &Env<'v>) -> Option<Cow<'v, Value>> {
        let root = self.root_value(env)?;
        resolve(&self.segs, root, root)
    }

    /// Evaluates the path against an explicit value as `$` (ignoring the path's root).
    pub fn select_in(&self, value: &Value) -> Option<Value> {
        resolve(&self.segs, value, value).map(Cow::into_owned)
    }

    /// Like [`select`](Self::select), but explains a miss the way AWS (Jayway) does, e.g.
    /// `No results for path: $['x']` or `Missing property in path $['a']`. AWS prefixes
    /// this with `Invalid path '<path>' : ` for InputPath/OutputPath/ItemsPath failures.
    pub fn select_or_explain(&self, env: &Env<'_>) -> Result<Value, String> {
        let Some(root) = self.root_value(env) else {
            return Err(format!("No results for path: {}", self.normalized(0)));
        };
        if let Some(v) = resolve(&self.segs, root, root) {
            return Ok(v.into_owned());
        }
        // Only definite paths can miss; find the first step that failed.
        let mut cur = root;
        for (i, seg) in self.segs.iter().enumerate() {
            let last = i + 1 == self.segs.len();
            let next = match (seg, cur) {
                (Seg::Child(k), Value::Object(m)) => m.get(&**k),
                (Seg::Child(_), other) => {
                    return Err(format!(
                        "Expected to find an object with property {} in path {} but found '{}'. This is not a json object.",
                        seg_fragment(seg),
                        self.normalized(i),
                        type_name(other)
                    ));
                }
                (Seg::Index(n), Value::Array(a)) => norm_index(*n, a.len()).and_then(|j| a.get(j)),
                (Seg::Index(_), other) => {
                    return Err(format!(
                        "Filter: {} can only be applied to arrays. Current context is: {}",
                        seg_fragment(seg),
                        compact(other)
                    ));
                }
                _ => None,
            };
            match next {
                Some(v) => cur = v,
                None if last => {
                    return Err(format!("No results for path: {}", self.normalized(i + 1)))
                }
                None => return Err(format!("Missing property in path {}", self.normalized(i + 1))),
            }
        }
        Err(format!("No results for path: {}", self.normalized(self.segs.len())))
    }

    /// The first `n` steps in Jayway's normalized form, e.g. `$['a'][0]`.
    fn normalized(&self, n: usize) -> String {
        let mut s = match &self.root {
            Root::Input => "$".to_owned(),
            Root::Context => "$$".to_owned(),
            Root::Var(v) => format!("${v}"),
        };
        for seg in &self.segs[..n.min(self.segs.len())] {
            s.push_str(&seg_fragment(seg));
        }
        s
    }

    /// Sets `value` at this reference path inside `target` (ResultPath semantics: `$` replaces
    /// the whole target; missing objects are created). `Err` is the ResultPath failure cause.
    pub fn assign(&self, target: Value, value: Value) -> Result<Value, String> {
        if self.root != Root::Input || !self.reference {
            return Err(format!(
                "The path '{}' is not a valid reference path for ResultPath",
                self.text
            ));
        }
        let mut target = target;
        let mut value = Some(value);
        let mut failed: Option<&Seg> = None;
        {
            let mut cur = &mut target;
            let n = self.segs.len();
            for (i, seg) in self.segs.iter().enumerate() {
                let last = i + 1 == n;
                match seg {
                    Seg::Child(k) => {
                        let Value::Object(obj) = cur else {
                            failed = Some(seg);
                            break;
                        };
                        if last {
                            obj.insert(String::from(&**k), value.take().unwrap_or_default());
                            break;
                        }
                        cur = obj.entry(&**k).or_insert_with(|| Value::Object(Map::new()));
                    }
                    Seg::Index(ix) => {
                        let slot = match cur {
                            Value::Array(a) => {
                                let len = a.len();
                                norm_index(*ix, len).and_then(move |j| a.get_mut(j))
                            }
                            _ => None,
                        };
                        let Some(slot) = slot else {
                            failed = Some(seg);
                            break;
                        };
                        if last {
                            *slot = value.take().unwrap_or_default();
                            break;
                        }
                        cur = slot;
                    }
                    _ => unreachable!("reference paths hold only names and indexes"),
                }
            }
        }
        if let Some(seg) = failed {
            let step = match seg {
                Seg::Child(k) => k.to_string(),
                other => seg_fragment(other),
            };
            return Err(format!("Unable to apply step \"{step}\" to input {}", compact(&target)));
        }
        match value {
            // `$`: the result replaces the whole input.
            Some(v) => Ok(v),
            None => Ok(target),
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Path {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Path, PathError> {
        Path::parse(s)
    }
}

/// Compact JSON, as AWS prints values in cause texts.
pub(crate) fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn seg_fragment(seg: &Seg) -> String {
    match seg {
        Seg::Child(k) => format!("['{k}']"),
        Seg::Index(i) => format!("[{i}]"),
        Seg::Names(ns) => {
            let parts: Vec<String> = ns.iter().map(|n| format!("'{n}'")).collect();
            format!("[{}]", parts.join(", "))
        }
        Seg::Indexes(is) => {
            let parts: Vec<String> = is.iter().map(i64::to_string).collect();
            format!("[{}]", parts.join(","))
        }
        Seg::Wildcard => "[*]".to_owned(),
        Seg::Slice(a, b, _) => {
            let mut s = "[".to_owned();
            if let Some(a) = a {
                let _ = write!(s, "{a}");
            }
            s.push(':');
            if let Some(b) = b {
                let _ = write!(s, "{b}");
            }
            s.push(']');
            s
        }
        Seg::Filter(_) => "[?]".to_owned(),
        Seg::Scan(inner) => format!("..{}", seg_fragment(inner)),
        Seg::Length => ".length()".to_owned(),
    }
}

/// `m.get(k)`, by a scan rather than by hashing when `m` is small: keys are unique, so the
/// first equal key is the one, and comparing a few short keys costs less than SipHash.
#[inline]
fn child<'v>(m: &'v Map<String, Value>, k: &str) -> Option<&'v Value> {
    const SCAN_UP_TO: usize = 16;
    if m.len() <= SCAN_UP_TO {
        m.iter().find_map(|(key, v)| (key.as_str() == k).then_some(v))
    } else {
        m.get(k)
    }
}

/// Resolves an array index that may count from the end.
fn norm_index(i: i64, len: usize) -> Option<usize> {
    let j = if i < 0 { len as i64 + i } else { i };
    if j >= 0 && (j as usize) < len {
        Some(j as usize)
    } else {
        None
    }
}

/// Evaluates steps from `start`; `root` is what `$` means inside filters.
fn resolve<'v>(segs: &[Seg], start: &'v Value, root: &'v Value) -> Option<Cow<'v, Value>> {
    let (body, tail) = match segs.split_last() {
        Some((last @ (Seg::Length | Seg::Names(_)), init)) => (init, Some(last)),
        _ => (segs, None),
    };
    let definite = body.iter().all(|s| matches!(s, Seg::Child(_) | Seg::Index(_)));
    if definite {
        let mut cur = start;
        for seg in body {
            cur = match (seg, cur) {
                (Seg::Child(k), Value::Object(m)) => child(m, k)?,
                (Seg::Index(i), Value::Array(a)) => a.get(norm_index(*i, a.len())?)?,
                _ => return None,
            };
        }
        return match tail {
            None => Some(Cow::Borrowed(cur)),
            Some(Seg::Length) => length(cur).map(Cow::Owned),
            Some(Seg::Names(ns)) => merge_names(ns, cur).map(Cow::Owned),
            Some(_) => unreachable!(),
        };
    }
    let mut cur = vec![start];
    let mut next = Vec::new();
    for seg in body {
        for v in cur.drain(..) {
            apply(seg, v, root, &mut next);
        }
        std::mem::swap(&mut cur, &mut next);
    }
    Some(Cow::Owned(match tail {
        None => Value::Array(cur.into_iter().cloned().collect()),
        Some(Seg::Length) => Value::from(cur.len()),
        Some(Seg::Names(ns)) => {
            Value::Array(cur.into_iter().filter_map(|v| merge_names(ns, v)).collect())
        }
        Some(_) => unreachable!(),
    }))
}

fn length(v: &Value) -> Option<Value> {
    match v {
        Value::Array(a) => Some(a.len().into()),
        Value::Object(m) => Some(m.len().into()),
        Value::String(s) => Some(s.chars().count().into()),
        _ => None,
    }
}

fn merge_names(ns: &[Box<str>], v: &Value) -> Option<Value> {
    let Value::Object(m) = v else { return None };
    let mut out = Map::new();
    for n in ns {
        if let Some(x) = m.get(&**n) {
            out.insert(String::from(&**n), x.clone());
        }
    }
    Some(Value::Object(out))
}

fn apply<'v>(seg: &Seg, v: &'v Value, root: &'v Value, out: &mut Vec<&'v Value>) {
    match seg {
        Seg::Child(k) => {
            if let Some(x) = v.as_object().and_then(|m| child(m, k)) {
                out.push(x);
            }
        }
        Seg::Index(i) => {
            if let Value::Array(a) = v {
                if let Some(x) = norm_index(*i, a.len()).and_then(|j| a.get(j)) {
                    out.push(x);
                }
            }
        }
        Seg::Names(ns) => {
            if let Value::Object(m) = v {
                out.extend(ns.iter().filter_map(|n| m.get(&**n)));
            }
        }
        Seg::Indexes(is) => {
            if let Value::Array(a) = v {
                out.extend(
                    is.iter().filter_map(|i| norm_index(*i, a.len()).and_then(|j| a.get(j))),
                );
            }
        }
        Seg::Wildcard => match v {
            Value::Array(a) => out.extend(a.iter()),
            Value::Object(m) => out.extend(m.values()),
            _ => {}
        },
        Seg::Slice(start, end, step) => {
            if let Value::Array(a) = v {
                let len = a.len() as i64;
                let clamp = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let s = start.map_or(0, clamp);
                let e = end.map_or(len, clamp);
                let mut i = s;
                while i < e {
                    out.push(&a[i as usize]);
                    // A step past i64::MAX ends the slice (fuzz: `$[-1::9223372036854775807]`).
                    let Some(n) = i.checked_add(*step) else { break };
                    i = n;
                }
            }
        }
        Seg::Filter(expr) => match v {
            Value::Array(a) => out.extend(a.iter().filter(|x| expr.test(x, root))),
            Value::Object(_) if expr.test(v, root) => out.push(v),
            _ => {}
        },
        Seg::Scan(inner) => scan(inner, v, root, out),
        Seg::Length => {}
    }
}

fn scan<'v>(inner: &Seg, v: &'v Value, root: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(m) => {
            apply(inner, v, root, out);
            for x in m.values() {
                scan(inner, x, root, out);
            }
        }
        Value::Array(a) => {
            // Jayway applies a name step only to objects, but index, wildcard, slice and
            // filter steps to arrays too.
            if !matches!(inner, Seg::Child(_) | Seg::Names(_)) {
                apply(inner, v, root, out);
            }
            for x in a {
                scan(inner, x, root, out);
            }
        }
        _ => {}
    }
}

/// Compares two JSON numbers exactly when both are integers.
pub(crate) fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// A hand-written recursive-descent parser over the path text.
struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser { src, b: src.as_bytes(), pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    fn err(&self, what: &str) -> PathError {
        PathError(format!("Invalid JSONPath '{}': {what} at position {}", self.src, self.pos))
    }

    fn unexpected(&self) -> PathError {
        match self.src[self.pos..].chars().next() {
            Some(c) => self.err(&format!("unexpected character '{c}'")),
            None => self.err("unexpected end of path"),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), PathError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", c as char)))
        }
    }

    fn root(&mut self) -> Result<Root, PathError> {
        if self.peek() != Some(b'$') {
            return Err(PathError(format!(
                "Invalid JSONPath '{}': a path must start with '$'",
                self.src
            )));
        }
        self.pos += 1;
        if self.peek() == Some(b'$') {
            self.pos += 1;
            return Ok(Root::Context);
        }
        if matches!(self.peek(), Some(c) if c.is_ascii_alphabetic() || c == b'_') {
            let start = self.pos;
            while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
                self.pos += 1;
            }
            return Ok(Root::Var(self.src[start..self.pos].into()));
        }
        Ok(Root::Input)
    }

    /// Parses steps until the text ends, or (inside a filter) until a non-step character.
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Seg>, PathError> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.peek_at(1) == Some(b'.') => {
                    self.pos += 2;
                    let inner = match self.peek() {
                        Some(b'[') => self.bracket()?,
                        Some(b'*') => {
                            self.pos += 1;
                            Seg::Wildcard
                        }
                        _ => Seg::Child(self.name(in_filter)?.into()),
                    };
                    segs.push(Seg::Scan(Box::new(inner)));
                }
                Some(b'.') => {
                    self.pos += 1;
                    if self.peek() == Some(b'*') {
                        self.pos += 1;
                        segs.push(Seg::Wildcard);
                        continue;
                    }
                    let name = self.name(in_filter)?;
                    if self.peek() == Some(b'(') {
                        self.pos += 1;
                        self.expect(b')')?;
                        match name {
                            "length" | "size" => segs.push(Seg::Length),
                            other => {
                                return Err(self.err(&format!("unsupported function '{other}()'")))
                            }
                        }
                    } else {
                        segs.push(Seg::Child(name.into()));
                    }
                }
                Some(b'[') => segs.push(self.bracket()?),
                None => return Ok(segs),
                Some(_) if in_filter => return Ok(segs),
                Some(_) => return Err(self.unexpected()),
            }
        }
    }

    fn name(&mut self, in_filter: bool) -> Result<&'a str, PathError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let stop =
                matches!(c, b'.' | b'[' | b'(' | b')' | b' ' | b'\t' | b'\n' | b',' | b'\'' | b'"')
                    || (in_filter && matches!(c, b'=' | b'<' | b'>' | b'!' | b'&' | b'|' | b']'));
            if stop {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(if self.pos >= self.b.len() {
                self.err("expected a name")
            } else {
                self.unexpected()
            });
        }
        Ok(&self.src[start..self.pos])
    }

    fn bracket(&mut self) -> Result<Seg, PathError> {
        self.pos += 1; // '['
        self.skip_ws();
        let seg = match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                Seg::Wildcard
            }
            Some(b'?') => {
                self.pos += 1;
                self.expect(b'(')?;
                let e = self.filter_expr()?;
                self.expect(b')')?;
                Seg::Filter(Box::new(e))
            }
            Some(b'\'' | b'"') => {
                let mut names = vec![self.quoted()?];
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b',') {
                        break;
                    }
                    self.pos += 1;
                    self.skip_ws();
                    names.push(self.quoted()?);
                }
                if names.len() == 1 {
                    Seg::Child(names.pop().unwrap_or_default().into())
                } else {
                    Seg::Names(names.into_iter().map(Into::into).collect())
                }
            }
            Some(c) if c == b'-' || c == b':' || c.is_ascii_digit() => self.indexes_or_slice()?,
            _ => return Err(self.unexpected()),
        };
        self.expect(b']')?;
        Ok(seg)
    }

    fn quoted(&mut self) -> Result<String, PathError> {
        let Some(q @ (b'\'' | b'"')) = self.peek() else {
            return Err(self.err("expected a quoted name"));
        };
        self.pos += 1;
        let mut s = String::new();
        let mut chars = self.src[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => s.push('\n'),
                    Some((_, 't')) => s.push('\t'),
                    Some((_, e)) => s.push(e),
                    None => break,
                },
                c if c as u32 == q as u32 => {
                    self.pos += i + 1;
                    return Ok(s);
                }
                c => s.push(c),
            }
        }
        self.pos = self.b.len();
        Err(self.err("unterminated quoted name"))
    }

    fn int(&mut self) -> Result<Option<i64>, PathError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| self.err(&format!("invalid index '{text}'")))
    }

    fn indexes_or_slice(&mut self) -> Result<Seg, PathError> {
        let first = self.int()?;
        self.skip_ws();
        if self.peek() == Some(b':') {
            self.pos += 1;
            let end = self.int()?;
            self.skip_ws();
            let mut step = 1;
            if self.peek() == Some(b':') {
                self.pos += 1;
                step = self.int()?.unwrap_or(1);
                if step <= 0 {
                    return Err(self.err("slice step must be positive"));
                }
            }
            return Ok(Seg::Slice(first, end, step));
        }
        let Some(first) = first else { return Err(self.unexpected()) };
        let mut all = vec![first];
        loop {
            self.skip_ws();
            if self.peek() != Some(b',') {
                break;
            }
            self.pos += 1;
            match self.int()? {
                Some(i) => all.push(i),
                None => return Err(self.unexpected()),
            }
        }
        Ok(if all.len() == 1 { Seg::Index(first) } else { Seg::Indexes(all.into()) })
    }
}

#[cfg(test)]
mod tests;
