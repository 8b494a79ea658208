//! `stepwise validate`: AWS's diagnostics (`ValidateStateMachineDefinition`), each pointing
//! at the line and column of the file it is about.
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use stepwise_asl::{Machine, Severity};

/// Options of `stepwise validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateOptions {
    /// Definition files (JSON, or YAML by extension `.yaml`/`.yml`).
    #[arg(required = true)]
    pub definitions: Vec<PathBuf>,
    /// Prints the diagnostics as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One finding, located in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `ERROR` or `WARNING`.
    pub severity: &'static str,
    /// AWS's code.
    pub code: String,
    /// AWS's message.
    pub message: String,
    /// The JSON pointer AWS gives (empty when none).
    pub location: String,
    /// 1-based line and column in the file, when known.
    pub position: Option<(usize, usize)>,
}

/// Validates one file's text.
pub fn check(path: &Path, text: &str) -> Vec<Finding> {
    let yaml = crate::local::is_yaml(path);
    let json_text = if yaml {
        match serde_yaml_ng::from_str::<Value>(text) {
            Ok(v) => v.to_string(),
            Err(e) => {
                return vec![Finding {
                    severity: "ERROR",
                    code: "INVALID_YAML".into(),
                    message: e.to_string(),
                    location: String::new(),
                    position: e.location().map(|l| (l.line(), l.column())),
                }]
            }
        }
    } else {
        text.to_owned()
    };
    let validation = Machine::parse(&json_text);
    validation
        .diagnostics
        .into_iter()
        .map(|d| {
            let position = if d.location.starts_with('/') {
                let segments = pointer_segments(&d.location);
                if yaml {
                    yaml_position(text, &segments)
                } else {
                    json_position(text, &segments)
                }
            } else if !yaml {
                jackson_position(&d.message).or_else(|| jackson_position(&d.location))
            } else {
                None
            };
            Finding {
                severity: match d.severity {
                    Severity::Error => "ERROR",
                    Severity::Warning => "WARNING",
                },
                code: d.code,
                message: d.message,
                location: d.location,
                position,
            }
        })
        .collect()
}

/// Runs; returns whether no file has an error.
pub fn run(options: &ValidateOptions) -> bool {
    let mut ok = true;
    let mut all = Vec::new();
    for path in &options.definitions {
        let findings = match std::fs::read_to_string(path) {
            Ok(text) => check(path, &text),
            Err(e) => vec![Finding {
                severity: "ERROR",
                code: "CANNOT_READ".into(),
                message: e.to_string(),
                location: String::new(),
                position: None,
            }],
        };
        ok &= !findings.iter().any(|f| f.severity == "ERROR");
        if options.json {
            all.push(json!({
                "file": path.display().to_string(),
                "result": if findings.iter().any(|f| f.severity == "ERROR") { "FAIL" } else { "OK" },
                "diagnostics": findings.iter().map(|f| json!({
                    "severity": f.severity,
                    "code": f.code,
                    "message": f.message,
                    "location": (!f.location.is_empty()).then_some(&f.location),
                    "line": f.position.map(|p| p.0),
                    "column": f.position.map(|p| p.1),
                })).collect::<Vec<_>>(),
            }));
            continue;
        }
        if findings.is_empty() {
            println!("{}: OK", path.display());
        }
        for f in &findings {
            println!("{}", report_line(path, f));
        }
    }
    if options.json {
        println!("{}", serde_json::to_string_pretty(&Value::Array(all)).unwrap_or_default());
    }
    ok
}

/// One step of a pointer: a member name, or an array index.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// `/States/C/Choices[0]/Next` (AWS's style) or `/States/C/Choices/0/Next` → segments.
pub fn pointer_segments(pointer: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for raw in pointer.split('/').skip(1) {
        let part = raw.replace("~1", "/").replace("~0", "~");
        let mut key = part.as_str();
        let mut indexes = Vec::new();
        while let Some(open) = key.rfind('[') {
            let Some(idx) = key[open + 1..].strip_suffix(']').and_then(|n| n.parse().ok()) else {
                break;
            };
            indexes.push(idx);
            key = &key[..open];
        }
        // A bare number stays a key; the locators read it as an index on an array.
        if !key.is_empty() || indexes.is_empty() {
            out.push(Segment::Key(key.to_owned()));
        }
        out.extend(indexes.into_iter().rev().map(Segment::Index));
    }
    out
}

/// One finding as `file:line:column: SEVERITY CODE: message (at /json/pointer)`.
///
/// A JSON syntax error's message is AWS's (Jackson's) first line alone: its `at [Source:
/// (String)"<the whole file>"; …]` says again, at length, what `file:line:column` says.
pub fn report_line(path: &Path, f: &Finding) -> String {
    let at = match f.position {
        Some((line, col)) => format!("{}:{line}:{col}", path.display()),
        None => path.display().to_string(),
    };
    let pointer =
        if f.location.starts_with('/') { format!(" (at {})", f.location) } else { String::new() };
    format!("{at}: {} {}: {}{pointer}", f.severity, f.code, readable(&f.message))
}

/// A Jackson message without its source excerpts: the trailing `\n at [Source: …]` is
/// dropped and an inner one (`start marker at [Source: …; line: 1, column: 1]`) becomes
/// `line 1, column 1`.
fn readable(message: &str) -> String {
    let mut text = match message.find("\n at [Source: ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    };
    while let Some(start) = text.find("[Source: (String)\"") {
        let Some(line_at) = text[start..].rfind("; line: ").map(|i| start + i) else { break };
        let Some(end) = text[line_at..].find(']').map(|i| line_at + i) else { break };
        let position =
            text[line_at + 2..end].replace("line: ", "line ").replace("column: ", "column ");
        text.replace_range(start..=end, &position);
    }
    text
}

/// `line: 3, column: 7` in a Jackson-worded message (invalid JSON).
fn jackson_position(message: &str) -> Option<(usize, usize)> {
    let i = message.rfind("line: ")?;
    let rest = &message[i + 6..];
    let (line, rest) = rest.split_once(", column: ")?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, col.parse().ok()?))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where the pointer's target is in JSON text: the member's key (for a member) or the
/// element's value (for an array element); the deepest part found when the rest is missing.
pub fn json_position(text: &str, segments: &[Segment]) -> Option<(usize, usize)> {
    let s = JsonScan { b: text.as_bytes() };
    let mut value = s.ws(0);
    if value >= text.len() {
        return None;
    }
    let mut found = value;
    for seg in segments {
        let next = match (seg, s.b.get(value)) {
            (Segment::Key(k), Some(b'{')) => s.member(value, k),
            (Segment::Key(k), Some(b'[')) => {
                k.parse().ok().and_then(|i| s.element(value, i)).map(|v| (v, v))
            }
            (Segment::Index(i), Some(b'[')) => s.element(value, *i).map(|v| (v, v)),
            _ => None,
        };
        let Some((at, v)) = next else { break };
        found = at;
        value = v;
    }
    Some(line_col(text, found))
}

struct JsonScan<'a> {
    b: &'a [u8],
}

impl JsonScan<'_> {
    fn ws(&self, mut i: usize) -> usize {
        while i < self.b.len() && self.b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }
    /// The end of the string starting at `i` (on its opening quote).
    fn string_end(&self, mut i: usize) -> usize {
        i += 1;
        while i < self.b.len() {
            match self.b[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        i
    }
    /// The end of the value starting at `i`.
    fn skip(&self, i: usize) -> usize {
        match self.b.get(i) {
            Some(b'"') => self.string_end(i),
            Some(b'{') | Some(b'[') => {
                let mut depth = 0usize;
                let mut j = i;
                while j < self.b.len() {
                    match self.b[j] {
                        b'"' => {
                            j = self.string_end(j);
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return j + 1;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                j
            }
            _ => {
                let mut j = i;
                while j < self.b.len()
                    && !matches!(self.b[j], b',' | b'}' | b']')
                    && !self.b[j].is_ascii_whitespace()
                {
                    j += 1;
                }
                j
            }
        }
    }
    /// The member `key` of the object at `i`: (key position, value position).
    fn member(&self, i: usize, key: &str) -> Option<(usize, usize)> {
        let mut j = self.ws(i + 1);
        while self.b.get(j) == Some(&b'"') {
            let end = self.string_end(j);
            let name: String = serde_json::from_slice(&self.b[j..end]).ok()?;
            let colon = self.ws(end);
            if self.b.get(colon) != Some(&b':') {
                return None;
            }
            let value = self.ws(colon + 1);
            if name == key {
                return Some((j, value));
            }
            j = self.ws(self.skip(value));
            if self.b.get(j) != Some(&b',') {
                return None;
            }
            j = self.ws(j + 1);
        }
        None
    }
    /// The `index`-th element of the array at `i`.
    fn element(&self, i: usize, index: usize) -> Option<usize> {
        let mut j = self.ws(i + 1);
        if self.b.get(j) == Some(&b']') {
            return None;
        }
        for _ in 0..index {
            j = self.ws(self.skip(j));
            if self.b.get(j) != Some(&b',') {
                return None;
            }
            j = self.ws(j + 1);
        }
        Some(j)
    }
}

/// Where the pointer's target is in YAML text (block style): the line of the key, or of
/// the `- ` of an array element; the deepest part found when the rest is missing.
pub fn yaml_position(text: &str, segments: &[Segment]) -> Option<(usize, usize)> {
    // Logical entries: (line, column, content); `- a: 1` is a dash entry and an `a: 1` entry.
    let mut entries: Vec<(usize, usize, &str)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut col = line.len() - line.trim_start().len();
        let mut rest = line.trim_start();
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with("---") {
            continue;
        }
        while rest == "-" || rest.starts_with("- ") {
            entries.push((n + 1, col, "-"));
            let after = rest[1..].trim_start();
            col += rest.len() - after.len();
            rest = after;
        }
        if !rest.is_empty() {
            entries.push((n + 1, col, rest));
        }
    }
    let mut cursor: Option<usize> = None; // the entry of the current node
    let mut scope: isize = -1; // its column: children are deeper
    let mut found = None;
    for seg in segments {
        let start = cursor.map_or(0, |c| c + 1);
        let mut min_col: Option<usize> = None;
        let mut hit = None;
        let mut count = 0;
        for (k, &(_, col, content)) in entries.iter().enumerate().skip(start) {
            let is_dash = content == "-";
            let inside = (col as isize) > scope || (is_dash && col as isize == scope);
            if !inside {
                break;
            }
            let level = *min_col.get_or_insert(col);
            if col != level {
                continue;
            }
            match seg {
                Segment::Key(key) if !is_dash && yaml_key(content) == Some(key.as_str()) => {
                    hit = Some(k);
                    break;
                }
                Segment::Index(i) if is_dash => {
                    if count == *i {
                        hit = Some(k);
                        break;
                    }
                    count += 1;
                }
                Segment::Key(key) if is_dash => {
                    if key.parse::<usize>().ok() == Some(count) {
                        hit = Some(k);
                        break;
                    }
                    count += 1;
                }
                _ => {}
            }
        }
        let Some(k) = hit else { break };
        cursor = Some(k);
        scope = entries[k].1 as isize;
        found = Some((entries[k].0, entries[k].1 + 1));
    }
    found.or(Some((1, 1)))
}

/// The key of a `key: value` line, unquoted.
fn yaml_key(content: &str) -> Option<&str> {
    let content = content.trim_end();
    if let Some(q @ ('"' | '\'')) = content.chars().next() {
        let end = content[1..].find(q)? + 1;
        let rest = content[end + 1..].trim_start();
        return (rest.starts_with(':')).then_some(&content[1..end]);
    }
    let i = content.find(": ").or_else(|| content.ends_with(':').then(|| content.len() - 1))?;
    Some(content[..i].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_pointer_to_line_column() {
        let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Choice\",\n      \"Choices\": [\n        {\"Next\": \"B\"},\n        {\"Variable\": \"$.x\", \"Next\": \"Z\"}\n      ]}\n  }\n}";
        let at = |p: &str| json_position(text, &pointer_segments(p));
        assert_eq!(at("/States/A"), Some((4, 5)));
        assert_eq!(at("/States/A/Choices[1]/Next"), Some((7, 29)));
        assert_eq!(at("/States/A/Choices/0"), Some((6, 9)));
        assert_eq!(at("/States/A/Missing"), Some((4, 5)));
    }

    #[test]
    fn yaml_pointer_to_line() {
        let text = "StartAt: A\nStates:\n  A:\n    Type: Choice\n    Choices:\n      - Variable: $.x\n        Next: B\n      - Next: C\n";
        let at = |p: &str| yaml_position(text, &pointer_segments(p));
        assert_eq!(at("/States/A/Type"), Some((4, 5)));
        assert_eq!(at("/States/A/Choices[1]/Next"), Some((8, 9)));
        assert_eq!(at("/States/A/Choices[0]/Next"), Some((7, 9)));
    }
}
