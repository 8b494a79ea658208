//! Filter expressions, `[?(@.price < 10 && @.tags)]`, with Jayway's semantics.
//!
//! Comparing values of different types is false (except `!=`, which is its negation);
//! `<`, `<=`, `>`, `>=` compare numbers with numbers and strings with strings.
use std::cmp::Ordering;

use serde_json::Value;

use super::{num_cmp, resolve, Parser, PathError, Seg};

/// A parsed filter predicate.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A bare path: true when it matches something.
    Exists(Operand),
    Cmp(Operand, Op, Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    /// `@…`: relative to the element under test.
    Rel(Box<[Seg]>),
    /// `$…`: relative to the document root.
    Abs(Box<[Seg]>),
    Lit(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Nin,
    SubsetOf,
    AnyOf,
    NoneOf,
    Size,
    Empty,
}

impl Expr {
    pub(super) fn test(&self, node: &Value, root: &Value) -> bool {
        match self {
            Expr::Or(a, b) => a.test(node, root) || b.test(node, root),
            Expr::And(a, b) => a.test(node, root) && b.test(node, root),
            Expr::Not(e) => !e.test(node, root),
            Expr::Exists(o) => o.eval(node, root).is_some(),
            Expr::Cmp(l, op, r) => {
                let (l, r) = (l.eval(node, root), r.eval(node, root));
                match (l, r) {
                    (Some(l), Some(r)) => compare(&l, *op, &r),
                    _ => *op == Op::Ne,
                }
            }
        }
    }
}

impl Operand {
    fn eval<'v>(&'v self, node: &'v Value, root: &'v Value) -> Option<std::borrow::Cow<'v, Value>> {
        match self {
            Operand::Rel(segs) => resolve(segs, node, root),
            Operand::Abs(segs) => resolve(segs, root, root),
            Operand::Lit(v) => Some(std::borrow::Cow::Borrowed(v)),
        }
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        // Jayway compares a number with a numeric string by value.
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            s.trim().parse::<f64>().ok().zip(x.as_f64()).is_some_and(|(a, b)| a == b)
        }
        _ => a == b,
    }
}

fn compare(l: &Value, op: Op, r: &Value) -> bool {
    let ord = || match (l, r) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        Op::Eq => loose_eq(l, r),
        Op::Ne => !loose_eq(l, r),
        Op::Lt => ord() == Some(Ordering::Less),
        Op::Le => matches!(ord(), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => ord() == Some(Ordering::Greater),
        Op::Ge => matches!(ord(), Some(Ordering::Greater | Ordering::Equal)),
        Op::In => r.as_array().is_some_and(|a| a.iter().any(|x| loose_eq(l, x))),
        Op::Nin => r.as_array().is_some_and(|a| !a.iter().any(|x| loose_eq(l, x))),
        Op::SubsetOf => match (l, r) {
            (Value::Array(a), Value::Array(b)) => {
                a.iter().all(|x| b.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        Op::AnyOf => match (l, r) {
            (Value::Array(a), Value::Array(b)) => {
                a.iter().any(|x| b.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        Op::NoneOf => match (l, r) {
            (Value::Array(a), Value::Array(b)) => {
                !a.iter().any(|x| b.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        Op::Size => {
            let n = match l {
                Value::Array(a) => a.len(),
                Value::String(s) => s.chars().count(),
                _ => return false,
            };
            r.as_u64() == Some(n as u64)
        }
        Op::Empty => {
            let empty = match l {
                Value::Array(a) => a.is_empty(),
                Value::String(s) => s.is_empty(),
                _ => return false,
            };
            r.as_bool() == Some(empty)
        }
    }
}

impl Parser<'_> {
    pub(super) fn filter_expr(&mut self) -> Result<Expr, PathError> {
        let mut left = self.filter_and()?;
        loop {
            self.skip_ws();
            if self.b[self.pos..].starts_with(b"||") {
                self.pos += 2;
                let right = self.filter_and()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_and(&mut self) -> Result<Expr, PathError> {
        let mut left = self.filter_unary()?;
        loop {
            self.skip_ws();
            if self.b[self.pos..].starts_with(b"&&") {
                self.pos += 2;
                let right = self.filter_unary()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_unary(&mut self) -> Result<Expr, PathError> {
        self.skip_ws();
        match self.peek() {
            Some(b'!') if self.peek_at(1) != Some(b'=') => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.filter_unary()?)))
            }
            Some(b'(') => {
                self.pos += 1;
                let e = self.filter_expr()?;
                self.expect(b')')?;
                Ok(e)
            }
            _ => {
                let left = self.operand()?;
                self.skip_ws();
                let Some(op) = self.op()? else {
                    return match left {
                        Operand::Lit(_) => Err(self.err("a filter needs a comparison or a path")),
                        path => Ok(Expr::Exists(path)),
                    };
                };
                let right = self.operand()?;
                Ok(Expr::Cmp(left, op, right))
            }
        }
    }

    fn op(&mut self) -> Result<Option<Op>, PathError> {
        const SYMBOLS: [(&[u8], Op); 7] = [
            (b"==", Op::Eq),
            (b"!=", Op::Ne),
            (b"<=", Op::Le),
            (b">=", Op::Ge),
            (b"<", Op::Lt),
            (b">", Op::Gt),
            (b"=", Op::Eq),
        ];
        let rest = &self.b[self.pos..];
        if rest.starts_with(b"=~") {
            return Err(self.err("regular expression filters (=~) are not supported"));
        }
        for (sym, op) in SYMBOLS {
            if rest.starts_with(sym) {
                self.pos += sym.len();
                return Ok(Some(op));
            }
        }
        const WORDS: [(&str, Op); 8] = [
            ("subsetof", Op::SubsetOf),
            ("anyof", Op::AnyOf),
            ("noneof", Op::NoneOf),
            ("size", Op::Size),
            ("empty", Op::Empty),
            ("nin", Op::Nin),
            ("in", Op::In),
            ("contains", Op::In),
        ];
        for (word, op) in WORDS {
            let w = word.as_bytes();
            if rest.len() > w.len()
                && rest[..w.len()].eq_ignore_ascii_case(w)
                && !rest[w.len()].is_ascii_alphanumeric()
            {
                self.pos += w.len();
                if word == "contains" {
                    return Err(self.err("the 'contains' filter operator is not supported"));
                }
                return Ok(Some(op));
            }
        }
        Ok(None)
    }

    fn operand(&mut self) -> Result<Operand, PathError> {
        self.skip_ws();
        match self.peek() {
            Some(b'@') => {
                self.pos += 1;
                Ok(Operand::Rel(self.segments(true)?.into()))
            }
            Some(b'$') => {
                self.pos += 1;
                Ok(Operand::Abs(self.segments(true)?.into()))
            }
            Some(b'\'' | b'"') => Ok(Operand::Lit(Value::String(self.quoted()?))),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        break;
                    }
                    match self.operand()? {
                        Operand::Lit(v) => items.push(v),
                        _ => return Err(self.err("only literals are allowed in a filter list")),
                    }
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {}
                        _ => return Err(self.unexpected()),
                    }
                }
                Ok(Operand::Lit(Value::Array(items)))
            }
            _ => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                {
                    self.pos += 1;
                }
                let word = &self.src[start..self.pos];
                let v = match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    "" => return Err(self.unexpected()),
                    w => serde_json::from_str::<serde_json::Number>(w)
                        .map(Value::Number)
                        .map_err(|_| self.err(&format!("invalid literal '{w}'")))?,
                };
                Ok(Operand::Lit(v))
            }
        }
    }
}
