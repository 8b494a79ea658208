//! Choice rules: compile the `Choices` array's rules, evaluate them against input.
//!
//! OWNER: data-language helper. Contract: `Rule::compile(value, location)` returns the rule or
//! a list of definition diagnostics; `Rule::matches(env)` evaluates it (`Err` is a runtime
//! fault, e.g. an invalid `…Path` operand). `Next` is read by the machine builder, not here.
//!
//! Semantics follow AWS: a comparison whose operand has another type is false; a
//! `Variable` (or `…Path` operand) that matches nothing is a `States.Runtime` fault, except
//! for `IsPresent`.
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::path::{num_cmp, Path};
use crate::{Env, Fault};

/// A compiled boolean rule (without its `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    cond: Cond,
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    And(Box<[Cond]>),
    Or(Box<[Cond]>),
    Not(Box<Cond>),
    Test { var: Path, test: Test },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Lit(Value),
    Time(DateTime<FixedOffset>),
    Path(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Is {
    Present,
    Null,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Compare(Kind, CmpOp, Operand),
    /// `StringMatches`: the pattern's bytes, `None` for an unescaped `*`.
    Matches(Box<[Option<u8>]>),
    Is(Is, bool),
}

/// Every comparison operator, with its kind, comparison and whether it takes a path.
const OPERATORS: [(&str, Kind, CmpOp, bool); 32] = {
    use CmpOp::*;
    use Kind::*;
    [
        ("StringEquals", String, Eq, false),
        ("StringEqualsPath", String, Eq, true),
        ("StringLessThan", String, Lt, false),
        ("StringLessThanPath", String, Lt, true),
        ("StringGreaterThan", String, Gt, false),
        ("StringGreaterThanPath", String, Gt, true),
        ("StringLessThanEquals", String, Le, false),
        ("StringLessThanEqualsPath", String, Le, true),
        ("StringGreaterThanEquals", String, Ge, false),
        ("StringGreaterThanEqualsPath", String, Ge, true),
        ("NumericEquals", Numeric, Eq, false),
        ("NumericEqualsPath", Numeric, Eq, true),
        ("NumericLessThan", Numeric, Lt, false),
        ("NumericLessThanPath", Numeric, Lt, true),
        ("NumericGreaterThan", Numeric, Gt, false),
        ("NumericGreaterThanPath", Numeric, Gt, true),
        ("NumericLessThanEquals", Numeric, Le, false),
        ("NumericLessThanEqualsPath", Numeric, Le, true),
        ("NumericGreaterThanEquals", Numeric, Ge, false),
        ("NumericGreaterThanEqualsPath", Numeric, Ge, true),
        ("BooleanEquals", Boolean, Eq, false),
        ("BooleanEqualsPath", Boolean, Eq, true),
        ("TimestampEquals", Timestamp, Eq, false),
        ("TimestampEqualsPath", Timestamp, Eq, true),
        ("TimestampLessThan", Timestamp, Lt, false),
        ("TimestampLessThanPath", Timestamp, Lt, true),
        ("TimestampGreaterThan", Timestamp, Gt, false),
        ("TimestampGreaterThanPath", Timestamp, Gt, true),
        ("TimestampLessThanEquals", Timestamp, Le, false),
        ("TimestampLessThanEqualsPath", Timestamp, Le, true),
        ("TimestampGreaterThanEquals", Timestamp, Ge, false),
        ("TimestampGreaterThanEqualsPath", Timestamp, Ge, true),
    ]
};

const IS_TESTS: [(&str, Is); 6] = [
    ("IsPresent", Is::Present),
    ("IsNull", Is::Null),
    ("IsNumeric", Is::Numeric),
    ("IsString", Is::String),
    ("IsBoolean", Is::Boolean),
    ("IsTimestamp", Is::Timestamp),
];

const COMBINATORS: [&str; 3] = ["And", "Or", "Not"];

fn is_operator(k: &str) -> bool {
    k == "StringMatches" || OPERATORS.iter().any(|o| o.0 == k) || IS_TESTS.iter().any(|t| t.0 == k)
}

/// A definition problem: message and JSON-pointer location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The validation code, always `SCHEMA_VALIDATION_FAILED` here.
    pub code: &'static str,
    /// AWS-style message without the location.
    pub message: String,
    /// Where, e.g. `/States/C/Choices[0]/And[1]/StringEquals`.
    pub location: String,
}

/// Parses an RFC 3339 timestamp as AWS accepts it: `T` between date and time, and a `Z`
/// or numeric offset (fractional seconds allowed).
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b.ends_with(b"z") {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

impl Rule {
    /// Compiles one rule; `location` is the JSON pointer used in diagnostics.
    ///
    /// Each error is `(message, location)`, the shape the machine builder consumes; every
    /// one has the code `SCHEMA_VALIDATION_FAILED`. [`Rule::compile_problems`] gives the same
    /// with the code spelled out.
    pub fn compile(raw: &Value, location: &str) -> Result<Rule, Vec<(String, String)>> {
        Rule::compile_problems(raw, location)
            .map_err(|ps| ps.into_iter().map(|p| (p.message, p.location)).collect())
    }

    /// Compiles one top-level rule (its `Next` and `Assign` already removed).
    pub fn compile_problems(raw: &Value, location: &str) -> Result<Rule, Vec<Problem>> {
        let mut problems = Vec::new();
        let cond = compile(raw, location, &mut problems);
        match cond {
            Some(cond) if problems.is_empty() => Ok(Rule { cond }),
            _ => Err(problems),
        }
    }

    /// True when the rule matches.
    pub fn matches(&self, env: &Env<'_>) -> Result<bool, Fault> {
        eval(&self.cond, env)
    }
}

fn problem(problems: &mut Vec<Problem>, message: impl Into<String>, location: String) {
    problems.push(Problem { code: "SCHEMA_VALIDATION_FAILED", message: message.into(), location });
}

fn compile(raw: &Value, loc: &str, problems: &mut Vec<Problem>) -> Option<Cond> {
    let Value::Object(obj) = raw else {
        problem(problems, "Expected value of type Object", loc.to_owned());
        return None;
    };
    let before = problems.len();
    for k in obj.keys() {
        let known = k == "Variable"
            || k == "Comment"
            || COMBINATORS.contains(&k.as_str())
            || is_operator(k);
        if !known {
            problem(problems, format!("Field '{k}' is not supported"), format!("{loc}/{k}"));
        }
    }
    let combinators: Vec<&str> =
        COMBINATORS.iter().copied().filter(|c| obj.contains_key(*c)).collect();
    let operators: Vec<&str> = obj.keys().map(String::as_str).filter(|k| is_operator(k)).collect();
    if combinators.len() + operators.len() != 1 {
        let mut all: Vec<&str> = combinators.clone();
        all.extend(&operators);
        let msg = if all.is_empty() {
            "A Choice Rule must have exactly one comparison operator or one of the following fields: [And, Or, Not]".to_owned()
        } else {
            format!("There should only be one of the following fields: [{}]", all.join(", "))
        };
        problem(problems, msg, loc.to_owned());
        return None;
    }
    if problems.len() > before {
        return None;
    }
    if let Some(&c) = combinators.first() {
        if obj.contains_key("Variable") {
            problem(problems, "Field 'Variable' is not supported", format!("{loc}/Variable"));
        }
        let v = &obj[c];
        let at = format!("{loc}/{c}");
        return if c == "Not" {
            compile(v, &at, problems).map(|x| Cond::Not(Box::new(x)))
        } else {
            let Value::Array(items) = v else {
                problem(problems, "Expected value of type Array", at);
                return None;
            };
            if items.is_empty() {
                problem(problems, "Value cannot be empty", at);
                return None;
            }
            let subs: Vec<Option<Cond>> = items
                .iter()
                .enumerate()
                .map(|(i, x)| compile(x, &format!("{at}[{i}]"), problems))
                .collect();
            let subs: Option<Vec<Cond>> = subs.into_iter().collect();
            let subs = subs?.into_boxed_slice();
            Some(if c == "And" { Cond::And(subs) } else { Cond::Or(subs) })
        };
    }
    let op = operators[0];
    let var = match obj.get("Variable") {
        None => {
            problem(problems, "These fields are required: [Variable]", loc.to_owned());
            None
        }
        Some(Value::String(s)) => match Path::parse(s) {
            Ok(p) => Some(p),
            Err(_) => {
                problem(
                    problems,
                    "The value for the field 'Variable' must be a valid JSONPath",
                    format!("{loc}/Variable"),
                );
                None
            }
        },
        Some(_) => {
            problem(
                problems,
                "The value for the field 'Variable' must be a valid JSONPath",
                format!("{loc}/Variable"),
            );
            None
        }
    };
    let test = compile_test(op, &obj[op], &format!("{loc}/{op}"), problems);
    Some(Cond::Test { var: var?, test: test? })
}

fn compile_test(op: &str, v: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<Test> {
    let expect = |problems: &mut Vec<Problem>, ty: &str| {
        problem(problems, format!("Expected value of type {ty}"), at.to_owned());
        None
    };
    if let Some(&(_, is)) = IS_TESTS.iter().find(|t| t.0 == op) {
        return match v {
            Value::Bool(b) => Some(Test::Is(is, *b)),
            _ => expect(problems, "Boolean"),
        };
    }
    if op == "StringMatches" {
        let Value::String(s) = v else { return expect(problems, "String") };
        return Some(Test::Matches(compile_pattern(s)));
    }
    let &(_, kind, cmp, is_path) = OPERATORS.iter().find(|o| o.0 == op)?;
    let operand = if is_path {
        match v.as_str().map(Path::parse) {
            Some(Ok(p)) => Operand::Path(p),
            _ => {
                problem(
                    problems,
                    format!("The value for the field '{op}' must be a valid JSONPath"),
                    at.to_owned(),
                );
                return None;
            }
        }
    } else {
        match (kind, v) {
            (Kind::String, Value::String(_))
            | (Kind::Numeric, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_)) => Operand::Lit(v.clone()),
            (Kind::Timestamp, Value::String(s)) => match parse_timestamp(s) {
                Some(t) => Operand::Time(t),
                None => {
                    problem(problems, "String does not match RFC3339 timestamp", at.to_owned());
                    return None;
                }
            },
            (Kind::String | Kind::Timestamp, _) => return expect(problems, "String"),
            (Kind::Numeric, _) => return expect(problems, "Number"),
            (Kind::Boolean, _) => return expect(problems, "Boolean"),
        }
    };
    Some(Test::Compare(kind, cmp, operand))
}

/// `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash.
fn compile_pattern(s: &str) -> Box<[Option<u8>]> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(c) = bytes.next() {
        match c {
            b'\\' => match bytes.next() {
                Some(e) => out.push(Some(e)),
                None => out.push(Some(b'\\')),
            },
            b'*' => {
                if out.last() != Some(&None) {
                    out.push(None);
                }
            }
            c => out.push(Some(c)),
        }
    }
    out.into_boxed_slice()
}

/// Wildcard matching with single-star backtracking: linear for typical patterns.
/// Matching bytes is safe for UTF-8 because a literal can only match at a character boundary.
fn glob(pat: &[Option<u8>], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match pat.get(p) {
            Some(Some(c)) if *c == s[i] => {
                p += 1;
                i += 1;
            }
            Some(None) => {
                star = Some((p, i));
                p += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(Option::is_none)
}

fn invalid_path(p: &Path) -> Fault {
    Fault::runtime(format!(
        "Invalid path '{p}': The choice state's condition path references an invalid value."
    ))
}

fn eval(cond: &Cond, env: &Env<'_>) -> Result<bool, Fault> {
    match cond {
        Cond::And(cs) => {
            for c in cs.iter() {
                if !eval(c, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Cond::Or(cs) => {
            for c in cs.iter() {
                if eval(c, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Cond::Not(c) => Ok(!eval(c, env)?),
        Cond::Test { var, test } => {
            let value = var.select_cow(env);
            if let Test::Is(Is::Present, expected) = test {
                return Ok(value.is_some() == *expected);
            }
            let Some(value) = value else { return Err(invalid_path(var)) };
            test_value(test, &value, env)
        }
    }
}

fn test_value(test: &Test, v: &Value, env: &Env<'_>) -> Result<bool, Fault> {
    Ok(match test {
        Test::Is(is, expected) => {
            let holds = match is {
                Is::Present => true,
                Is::Null => v.is_null(),
                Is::Numeric => v.is_number(),
                Is::String => v.is_string(),
                Is::Boolean => v.is_boolean(),
                Is::Timestamp => v.as_str().and_then(parse_timestamp).is_some(),
            };
            holds == *expected
        }
        Test::Matches(pat) => v.as_str().is_some_and(|s| glob(pat, s.as_bytes())),
        Test::Compare(kind, op, operand) => {
            let fetched;
            let rhs: Result<&Value, DateTime<FixedOffset>> = match operand {
                Operand::Lit(x) => Ok(x),
                Operand::Time(t) => Err(*t),
                Operand::Path(p) => {
                    fetched = p.select_cow(env).ok_or_else(|| invalid_path(p))?;
                    Ok(&fetched)
                }
            };
            let ord = match (kind, v, rhs) {
                (Kind::String, Value::String(a), Ok(Value::String(b))) => {
                    Some(a.as_str().cmp(b.as_str()))
                }
                (Kind::Numeric, Value::Number(a), Ok(Value::Number(b))) => num_cmp(a, b),
                (Kind::Boolean, Value::Bool(a), Ok(Value::Bool(b))) => {
                    (a == b).then_some(Ordering::Equal)
                }
                (Kind::Timestamp, Value::String(a), rhs) => {
                    let b = match rhs {
                        Err(t) => Some(t),
                        Ok(Value::String(b)) => parse_timestamp(b),
                        Ok(_) => None,
                    };
                    parse_timestamp(a).zip(b).map(|(a, b)| a.cmp(&b))
                }
                _ => None,
            };
            ord.is_some_and(|o| op.holds(o))
        }
    })
}

#[cfg(test)]
mod tests;
