//! Keeping `jsonata-core` away from the inputs that make it panic.
//!
//! Fuzzing and reading its source found panics (string slicing inside a character, integer
//! overflow, a `chrono` bound, allocations of absurd sizes) in three places, all on input
//! no real expression needs:
//!
//! - a function signature holding a non-ASCII character (`function($a)<nӌ:n>{…}`), at
//!   compile time: [`check_signatures`] refuses it first;
//! - the picture strings of `$fromMillis`, `$now`, `$toMillis` (date/time) and
//!   `$formatInteger`, `$parseInteger` (integer pictures), and `$formatNumber`'s options;
//! - the timestamps `$toMillis` parses with a picture, and timezone offsets.
//!
//! For the second and third, every call of those built-ins goes through a host function that
//! checks the arguments and then runs the real built-in in a nested evaluation. Call sites
//! (`$fromMillis(x, p)`) are rewritten at compile time into a hidden host function that also
//! receives the context item (`$`), so the built-ins' implicit context argument
//! (`when.$toMillis()`) keeps working; a reference (`$map(xs, $fromMillis)`) reaches the same
//! check through an override of the built-in's name.
//!
//! What jsonata-js 2.0.6 reports with a JSONata code gets that code (`D3132` for an unknown
//! component specifier). Where jsonata-js throws a plain JavaScript error (a `RangeError` for
//! a string too long, an invalid code point) or prints `NaN`, the call fails with this
//! crate's code [`LIMIT`] (`D3903`).

use jsonata_core::ast::{AstNode, BinaryOp};
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError};
use jsonata_core::parser::{Lexer, Token};
use jsonata_core::value::JValue;

use crate::Error;

/// The code of a call refused because `jsonata-core` cannot carry it out safely.
pub(crate) const LIMIT: &str = "D3903";

/// Widest integer field a date/time picture may ask for (`[D,2000]` pads to 2,000 digits).
const MAX_WIDTH: usize = 1_000;

/// The built-ins whose arguments are checked.
pub(crate) const GUARDED: [&str; 6] =
    ["fromMillis", "now", "toMillis", "formatInteger", "parseInteger", "formatNumber"];

/// The hidden host function a call site of `name` is rewritten to: it takes the context item
/// first. `#` cannot occur in a JSONata variable name, so no expression can call it.
pub(crate) fn with_context(name: &str) -> String {
    format!("{name}#context")
}

// ── Compile time ────────────────────────────────────────────────────────────────────────

/// Refuses a lambda signature that holds a non-ASCII character. `jsonata-core` slices the
/// signature text with character counts as byte offsets and panics on one; no type symbol
/// is non-ASCII. The signature is found with `jsonata-core`'s own lexer, as its parser reads
/// it: `function (` variables and commas `)` `<` … the matching `>`.
pub(crate) fn check_signatures(text: &str) -> Result<(), Error> {
    if text.is_ascii() {
        return Ok(());
    }
    let mut lexer = Lexer::new(text.to_string());
    let mut tokens = Vec::new();
    loop {
        match lexer.next_token() {
            Ok(Token::Eof) => break,
            Ok(token) => tokens.push(token),
            // The parser reports the lexer's error; no signature is read past it.
            Err(_) => break,
        }
    }
    let mut i = 0;
    while i < tokens.len() {
        if !matches!(tokens[i], Token::Function(_))
            || !matches!(tokens.get(i + 1), Some(Token::LeftParen))
        {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while matches!(tokens.get(j), Some(Token::Variable(_) | Token::Comma)) {
            j += 1;
        }
        if !matches!(tokens.get(j), Some(Token::RightParen))
            || !matches!(tokens.get(j + 1), Some(Token::LessThan))
        {
            i += 1;
            continue;
        }
        let mut depth = 1;
        let mut k = j + 2;
        while depth > 0 && k < tokens.len() {
            match &tokens[k] {
                Token::LessThan => depth += 1,
                Token::GreaterThan => depth -= 1,
                Token::Identifier(s) if !s.is_ascii() => {
                    return Err(Error::new(
                        "S0401",
                        format!("The function signature holds {s:?}, which is not a type symbol"),
                    ));
                }
                _ => {}
            }
            k += 1;
        }
        i = k;
    }
    Ok(())
}

/// Rewrites each call `$name(args)` of a [`GUARDED`] built-in into
/// `$name#context($, args)`, except where the call's meaning does not allow it: a partial
/// application (`$f(?, x)`), the right side of `~>` (which inserts its own first argument),
/// and names the expression binds itself (`$now := …`, a lambda parameter).
///
/// Returns every function and variable name the expression refers to afterwards, so that
/// only the host functions it can reach are registered.
pub(crate) fn route_calls(root: &mut AstNode) -> Vec<String> {
    let (bound, regexes) = bound_names(root);
    let mut names = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node {
            AstNode::Call { procedure, args } => {
                if matches!(**procedure, AstNode::Regex { .. }) {
                    wrap_subjects(args);
                    names.push(SUBJECT.to_string());
                }
                stack.push(procedure);
                stack.extend(args.iter_mut());
            }
            AstNode::Function { name, args, is_builtin } => {
                if regexes.iter().any(|r| r == name) {
                    wrap_subjects(args);
                    names.push(SUBJECT.to_string());
                    stack.extend(args.iter_mut());
                } else if *is_builtin
                    && GUARDED.contains(&name.as_str())
                    && !bound.iter().any(|b| b == name)
                    && !args.iter().any(|a| matches!(a, AstNode::Placeholder))
                {
                    *name = with_context(name);
                    args.insert(0, AstNode::Variable(String::new()));
                    stack.extend(args.iter_mut().skip(1));
                } else {
                    stack.extend(args.iter_mut());
                }
                names.push(name.clone());
            }
            AstNode::Variable(name) => names.push(name.clone()),
            AstNode::Binary { op: BinaryOp::ChainPipe, lhs, rhs } => {
                stack.push(lhs);
                match &mut **rhs {
                    AstNode::Function { args, .. } => stack.extend(args.iter_mut()),
                    other => stack.push(other),
                }
            }
            other => stack.extend(children(other)),
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The host function a regex's subject goes through, see [`wrap_subjects`].
pub(crate) const SUBJECT: &str = "#subject";

/// Calling a regex (`/a/(x)`) turns its argument into text; `jsonata-core` asserts that a
/// number it turns into text is finite, and `1/0` is not. jsonata-js writes `Infinity`,
/// `-Infinity` and `NaN` there, so the arguments of a call of a regex literal, or of a name
/// bound to one with `:=`, go through `SUBJECT`, which does that. (A regex passed in as a
/// lambda's argument and called there is not seen; the assertion only exists in debug
/// builds.)
fn wrap_subjects(args: &mut [AstNode]) {
    for arg in args {
        let inner = std::mem::replace(arg, AstNode::Null);
        *arg = AstNode::Function { name: SUBJECT.to_string(), args: vec![inner], is_builtin: true };
    }
}

/// `SUBJECT`: non-finite numbers (also inside arrays) as JavaScript writes them.
fn subject(value: &JValue) -> JValue {
    match value {
        JValue::Number(n) if n.is_nan() => JValue::from("NaN"),
        JValue::Number(n) if n.is_infinite() => {
            JValue::from(if *n > 0.0 { "Infinity" } else { "-Infinity" })
        }
        JValue::Array(items)
            if items.iter().any(|i| {
                matches!(i, JValue::Number(n) if !n.is_finite()) || matches!(i, JValue::Array(_))
            }) =>
        {
            JValue::array(items.iter().map(subject).collect())
        }
        other => other.clone(),
    }
}

/// Every variable name the expression binds (`:=` targets, lambda parameters, `@`/`#`
/// bindings), and those of them bound to a regex literal with `:=`.
fn bound_names(root: &mut AstNode) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut regexes = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node {
            AstNode::Binary {
                op: BinaryOp::ColonEqual | BinaryOp::FocusBind | BinaryOp::IndexBind,
                lhs,
                rhs,
            } => {
                if let (AstNode::Variable(name), AstNode::Regex { .. }) = (&**lhs, &**rhs) {
                    regexes.push(name.clone());
                }
                for side in [&**lhs, &**rhs] {
                    if let AstNode::Variable(name) = side {
                        names.push(name.clone());
                    }
                }
                stack.push(lhs);
                stack.push(rhs);
            }
            AstNode::Lambda { params, body, .. } => {
                names.extend(params.iter().cloned());
                stack.push(body);
            }
            other => stack.extend(children(other)),
        }
    }
    (names, regexes)
}

/// The direct children of a node, for the walks above and `check`'s. Every variant is
/// listed without a wildcard: a new one in an upgrade of `jsonata-core` must be looked at.
pub(crate) fn children(node: &mut AstNode) -> Vec<&mut AstNode> {
    use jsonata_core::ast::Stage;
    let mut out: Vec<&mut AstNode> = Vec::new();
    match node {
        AstNode::String(_)
        | AstNode::Name(_)
        | AstNode::Number(_)
        | AstNode::Boolean(_)
        | AstNode::Null
        | AstNode::Undefined
        | AstNode::Placeholder
        | AstNode::Regex { .. }
        | AstNode::ParentVariable(_)
        | AstNode::Wildcard
        | AstNode::Descendant
        | AstNode::Parent(_)
        | AstNode::Variable(_) => {}
        AstNode::Path { steps } => {
            for step in steps {
                out.push(&mut step.node);
                for stage in &mut step.stages {
                    match stage {
                        Stage::Filter(predicate) => out.push(predicate),
                        Stage::KeepArray | Stage::Index(_) => {}
                    }
                }
            }
        }
        AstNode::Binary { lhs, rhs, .. } => {
            out.push(lhs);
            out.push(rhs);
        }
        AstNode::Unary { operand, .. } => out.push(operand),
        AstNode::Function { args, .. } => out.extend(args.iter_mut()),
        AstNode::Call { procedure, args } => {
            out.push(procedure);
            out.extend(args.iter_mut());
        }
        AstNode::Lambda { body, .. } => out.push(body),
        AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
            out.extend(items.iter_mut())
        }
        AstNode::Object(pairs) => {
            for (key, value) in pairs {
                out.push(key);
                out.push(value);
            }
        }
        AstNode::ObjectTransform { input, pattern } => {
            out.push(input);
            for (key, value) in pattern {
                out.push(key);
                out.push(value);
            }
        }
        AstNode::Conditional { condition, then_branch, else_branch } => {
            out.push(condition);
            out.push(then_branch);
            if let Some(else_branch) = else_branch {
                out.push(else_branch);
            }
        }
        AstNode::FunctionApplication(inner) => out.push(inner),
        AstNode::Sort { input, terms } => {
            out.push(input);
            out.extend(terms.iter_mut().map(|(term, _)| term));
        }
        AstNode::Transform { location, update, delete } => {
            out.push(location);
            out.push(update);
            if let Some(delete) = delete {
                out.push(delete);
            }
        }
    }
    out
}

// ── Evaluation time ─────────────────────────────────────────────────────────────────────

/// Registers, for each [`GUARDED`] built-in the expression names, the checking host function
/// under the built-in's name (for references) and under [`with_context`] (for call sites).
pub(crate) fn register(evaluator: &mut Evaluator, name: &'static str) {
    evaluator
        .register_fn_override(name, move |args: &[JValue]| guarded(name, None, args))
        .expect("the guarded built-ins are not compiled ones");
    evaluator
        .register_fn(with_context(name), move |args: &[JValue]| {
            let (context, args) = args.split_first().expect("the rewrite passes the context");
            guarded(name, Some(context), args)
        })
        .expect("a name with # is no built-in");
}

/// Registers [`SUBJECT`].
pub(crate) fn register_subject(evaluator: &mut Evaluator) {
    evaluator
        .register_fn(SUBJECT, |args: &[JValue]| Ok(args.first().map_or(JValue::Undefined, subject)))
        .expect("a name with # is no built-in");
}

fn guarded(
    name: &str,
    context: Option<&JValue>,
    args: &[JValue],
) -> Result<JValue, EvaluatorError> {
    let args = check(name, context, args)?;
    delegate(name, context, &args)
}

/// Runs the real built-in `$name(args)` with `context` as its input, in an evaluator with no
/// host functions.
fn delegate(
    name: &str,
    context: Option<&JValue>,
    args: &[JValue],
) -> Result<JValue, EvaluatorError> {
    let mut bindings = Context::new();
    let mut params = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let var = format!("a{i}");
        // An undefined argument stays one: jsonata-core tells `$f(x, undefined)` from `$f(x)`
        // by the argument's value, as jsonata-js does.
        bindings.bind(var.clone(), arg.clone());
        params.push(AstNode::Variable(var));
    }
    let mut evaluator = Evaluator::with_context(bindings);
    let call = AstNode::Function { name: name.to_string(), args: params, is_builtin: true };
    evaluator.evaluate(&call, context.unwrap_or(&JValue::Undefined))
}

fn limit(message: String) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{LIMIT}: {message}"))
}

fn coded(code: &str, message: String) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {message}"))
}

/// The arguments to pass on (a timezone may be dropped, see [`check_timezone`]), or the error.
fn check(
    name: &str,
    context: Option<&JValue>,
    args: &[JValue],
) -> Result<Vec<JValue>, EvaluatorError> {
    let mut args = args.to_vec();
    // Where the context stands in for the first argument (signature `<x-…>`), the picture
    // moves up one place. jsonata-js inserts the context when the first argument's type
    // does not fit the first parameter.
    let number_first =
        |args: &[JValue]| matches!(args.first(), Some(JValue::Number(_) | JValue::Undefined));
    let string_first =
        |args: &[JValue]| matches!(args.first(), Some(JValue::String(_) | JValue::Undefined));
    let str_at = |args: &[JValue], i: usize| match args.get(i) {
        Some(JValue::String(s)) => Some(s.to_string()),
        _ => None,
    };
    match name {
        "fromMillis" => {
            // `<n-s?s?:s>`: without a leading number the context is the timestamp.
            let shift = usize::from(!number_first(&args));
            if let Some(picture) = str_at(&args, 1 - shift) {
                check_date_picture(&picture, None)?;
            }
            let millis = match (shift, args.first(), context) {
                (0, Some(JValue::Number(n)), _) | (1, _, Some(JValue::Number(n))) => Some(*n),
                _ => None,
            };
            let tz_index = 2 - shift;
            if let Some(tz) = str_at(&args, tz_index) {
                if check_timezone(&tz, millis)? == Timezone::Drop {
                    args.truncate(tz_index);
                }
            }
        }
        "now" => {
            if let Some(picture) = str_at(&args, 0) {
                check_date_picture(&picture, None)?;
            }
            if let Some(tz) = str_at(&args, 1) {
                check_timezone(&tz, None)?;
            }
        }
        "toMillis" => {
            let (timestamp, picture) = if string_first(&args) {
                (str_at(&args, 0), str_at(&args, 1))
            } else {
                (None, None)
            };
            // `<s-s?:n>`: the context stands in only for a missing timestamp, and then there
            // is no picture.
            if let (Some(timestamp), Some(picture)) = (timestamp, picture) {
                check_date_picture(&picture, Some(&timestamp))?;
            }
        }
        "formatInteger" | "parseInteger" => {
            let explicit =
                if name == "formatInteger" { number_first(&args) } else { string_first(&args) };
            let (value, picture) = if explicit && args.len() >= 2 {
                (args.first().cloned(), str_at(&args, 1))
            } else {
                (context.cloned(), str_at(&args, 0))
            };
            if let Some(picture) = picture {
                let format = IntegerPicture::analyse(&picture);
                match (name, value) {
                    ("formatInteger", Some(JValue::Number(n))) => format.check_format(n)?,
                    ("parseInteger", Some(JValue::String(s))) => format.check_parse(&s)?,
                    _ => {}
                }
            }
        }
        "formatNumber" => {
            for arg in &args {
                if let JValue::Object(options) = arg {
                    if let Some(JValue::String(s)) = options.get("decimal-separator") {
                        if s.chars().next().is_some_and(|c| !c.is_ascii()) {
                            return Err(limit(format!(
                                "$formatNumber: a decimal separator outside ASCII ({s:?}) is not supported"
                            )));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(args)
}

#[derive(Debug, PartialEq, Eq)]
enum Timezone {
    Keep,
    /// The timestamp is out of range anyway: the built-in fails on it without the offset
    /// (which would overflow the addition).
    Drop,
}

/// `$fromMillis`/`$now`'s timezone: jsonata-core reads a leading integer (`+0530` is 530)
/// and shifts the time by it in 64-bit milliseconds.
fn check_timezone(tz: &str, millis: Option<f64>) -> Result<Timezone, EvaluatorError> {
    let t = tz.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    let magnitude = digits[..len].trim_start_matches('0').len();
    if magnitude > 12 {
        return Err(limit(format!("The timezone offset {tz:?} is out of range")));
    }
    // chrono's range is ±262,143 years (about ±8.3e15 ms).
    Ok(if millis.is_some_and(|m| m.abs() > 1e16) { Timezone::Drop } else { Timezone::Keep })
}

// ── Pictures ────────────────────────────────────────────────────────────────────────────

/// The decimal digit families XPath allows (their zero digits), as `jsonata-core` lists them.
const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primary {
    /// Digits of the family starting at `zero`.
    Decimal {
        zero: u32,
        mandatory: usize,
        optional: usize,
    },
    Letters,
    Roman,
    Words,
    /// Anything else; `jsonata-core` raises D3130 or D3131 for it itself.
    Other,
}

/// An integer picture (`0001`, `#,##0`, `I`, `w`, `a`, with `;o`), read as `jsonata-core`
/// reads it.
#[derive(Debug, Clone, Copy)]
struct IntegerPicture {
    primary: Primary,
    ordinal: bool,
}

impl IntegerPicture {
    fn analyse(picture: &str) -> IntegerPicture {
        let (primary, modifier) = match picture.rfind(';') {
            Some(i) => (&picture[..i], Some(&picture[i + 1..])),
            None => (picture, None),
        };
        let ordinal = modifier.is_some_and(|m| m.starts_with('o'));
        let primary = match primary {
            "A" | "a" => Primary::Letters,
            "I" | "i" => Primary::Roman,
            "W" | "Ww" | "w" => Primary::Words,
            _ => {
                let (mut zero, mut mandatory, mut optional) = (None, 0, 0);
                for c in primary.chars() {
                    let cp = c as u32;
                    if let Some(&group) =
                        DECIMAL_GROUPS.iter().find(|&&g| (g..=g + 9).contains(&cp))
                    {
                        if zero.is_some_and(|z| z != group) {
                            return IntegerPicture { primary: Primary::Other, ordinal };
                        }
                        zero = Some(group);
                        mandatory += 1;
                    } else if c == '#' {
                        optional += 1;
                    }
                }
                match zero {
                    Some(zero) => Primary::Decimal { zero, mandatory, optional },
                    None => Primary::Other,
                }
            }
        };
        IntegerPicture { primary, ordinal }
    }

    /// `$formatInteger`: roman numerals of a huge number are a huge string (jsonata-js
    /// overflows its call stack on `$formatInteger(1e18, 'I')`).
    fn check_format(self, value: f64) -> Result<(), EvaluatorError> {
        if self.primary == Primary::Roman && value.abs() >= 1e9 {
            return Err(limit(format!(
                "$formatInteger: {value} is too large to write in roman numerals"
            )));
        }
        Ok(())
    }

    /// `$parseInteger`: letters past 64-bit range, and digits of another family that the
    /// conversion to ASCII would turn into invalid code points (jsonata-js throws
    /// `Invalid code point`).
    fn check_parse(self, value: &str) -> Result<(), EvaluatorError> {
        match self.primary {
            Primary::Letters => {
                // The value in 128 bits: letters[i] counts (c - 'a' + 1) * 26^i.
                let mut total: i128 = 0;
                let mut weight: i128 = 1;
                for c in value.chars().rev() {
                    total += (i128::from(u32::from(c)) - i128::from(u32::from('A')) + 1) * weight;
                    weight *= 26;
                    if weight > i128::from(i64::MAX) || total.abs() > i128::from(i64::MAX) / 2 {
                        return Err(limit(format!(
                            "$parseInteger: {value:?} is out of range for a letters picture"
                        )));
                    }
                }
            }
            Primary::Decimal { zero, .. } => {
                if self.ordinal && value.len() >= 2 && !value.is_char_boundary(value.len() - 2) {
                    return Err(limit(format!(
                        "$parseInteger: {value:?} does not end in an ordinal suffix"
                    )));
                }
                if zero != 0x30 {
                    let body = if self.ordinal && value.len() >= 2 {
                        &value[..value.len() - 2]
                    } else {
                        value
                    };
                    if let Some(c) = body.chars().find(|&c| !maps_to_digit_range(c, zero)) {
                        return Err(limit(format!(
                            "$parseInteger: {c:?} is not a digit of the picture's digit family"
                        )));
                    }
                }
            }
            Primary::Roman | Primary::Words | Primary::Other => {}
        }
        Ok(())
    }
}

/// Whether `jsonata-core` can shift `c` from the family starting at `zero` to ASCII
/// (`c - zero + '0'`) without going below zero or into the surrogates.
fn maps_to_digit_range(c: char, zero: u32) -> bool {
    let cp = c as u32;
    cp >= zero && char::from_u32(cp - zero + 0x30).is_some()
}

/// One `[…]` marker of a date/time picture, as far as the checks need it.
struct Marker {
    component: char,
    integer: Option<IntegerPicture>,
}

/// Checks a date/time picture (and, for `$toMillis`, the timestamp parsed with it) for what
/// `jsonata-core` cannot handle. Anything it reports itself (no closing bracket, an empty
/// marker, an unknown component without a modifier) is left to it.
fn check_date_picture(picture: &str, timestamp: Option<&str>) -> Result<(), EvaluatorError> {
    let chars: Vec<char> = picture.chars().collect();
    let mut markers = Vec::new();
    let mut pos = 0;
    while pos < chars.len() {
        if chars[pos] != '[' {
            pos += 1;
            continue;
        }
        if chars.get(pos + 1) == Some(&'[') {
            pos += 2;
            continue;
        }
        let Some(close) = chars[pos..].iter().position(|&c| c == ']').map(|i| pos + i) else {
            return Ok(());
        };
        let marker: String = chars[pos + 1..close].iter().filter(|c| !c.is_whitespace()).collect();
        pos = close + 1;
        let Some(component) = marker.chars().next() else {
            return Ok(());
        };
        let comma = marker.rfind(',');
        // jsonata-core slices the modifier from byte 1: a component that is not one ASCII
        // character, or a lone leading comma, is sliced inside a character or backwards.
        if !component.is_ascii() || comma == Some(0) {
            return Err(coded(
                "D3132",
                format!("Unknown component specifier {component} in date/time picture string"),
            ));
        }
        let (modifier, width) = match comma {
            Some(i) => (&marker[1..i], Some(&marker[i + 1..])),
            None => (&marker[1..], None),
        };
        let parse_width =
            |s: &str| if s.is_empty() || s == "*" { None } else { s.parse::<usize>().ok() };
        let (min, max) = match width {
            Some(w) => match w.find('-') {
                Some(d) => (parse_width(&w[..d]), parse_width(&w[d + 1..])),
                None => (parse_width(w), None),
            },
            None => (None, None),
        };
        let modifier_chars: Vec<char> = modifier.chars().collect();
        let presentation: String = match modifier_chars.split_last() {
            None => match default_presentation(component) {
                Some(p) => p.to_string(),
                None => return Ok(()),
            },
            Some((last, rest)) if !rest.is_empty() && "atco".contains(*last) => {
                format!("{};{last}", rest.iter().collect::<String>())
            }
            Some(_) => modifier.to_string(),
        };
        let names = presentation.starts_with(['n', 'N']);
        let integer = if !names && "YMDdFWwXxHhmsf".contains(component) {
            let format = IntegerPicture::analyse(&presentation);
            let digits = match format.primary {
                Primary::Decimal { mandatory, optional, .. } => Some((mandatory, optional)),
                _ => None,
            };
            let too_wide = |w: Option<usize>| w.is_some_and(|w| w > MAX_WIDTH);
            if too_wide(min) || (component == 'Y' && too_wide(max)) {
                return Err(limit(format!(
                    "The width of [{marker}] is more than {MAX_WIDTH} characters"
                )));
            }
            if component == 'Y' {
                // The year is cut to its last n digits with 10^n in 64 bits.
                #[allow(clippy::cast_possible_truncation)]
                let n = match max {
                    Some(max) => Some(max as u32 as usize),
                    None => digits.map(|(m, o)| m.max(min.unwrap_or(0)) + o).filter(|&w| w >= 2),
                };
                if n.is_some_and(|n| n > 18) {
                    return Err(limit(format!(
                        "The year in [{marker}] asks for more than 18 digits"
                    )));
                }
            }
            Some(format)
        } else {
            None
        };
        markers.push(Marker { component, integer });
    }
    match timestamp {
        Some(timestamp) => check_timestamp(&markers, timestamp),
        None => Ok(()),
    }
}

fn default_presentation(component: char) -> Option<&'static str> {
    Some(match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

/// `$toMillis(timestamp, picture)`: the values `jsonata-core` would read from the timestamp
/// and overflow on. The exact captures depend on its matcher; these bounds hold for any of
/// them (a component's digits are a part of one run of digits, its letters of one run of
/// letters).
fn check_timestamp(markers: &[Marker], timestamp: &str) -> Result<(), EvaluatorError> {
    let refuse =
        |what: &str| Err(limit(format!("$toMillis: {what} in {timestamp:?} is out of range")));
    let longest = |f: fn(&char) -> bool| {
        timestamp
            .chars()
            .fold(
                (0usize, 0usize),
                |(best, run), c| if f(&c) { (best.max(run + 1), run + 1) } else { (best, 0) },
            )
            .0
    };
    let letters = longest(char::is_ascii_alphabetic);
    let lower = timestamp.to_ascii_lowercase();
    let has = |c: char| markers.iter().any(|m| m.component == c);
    for marker in markers {
        let Some(integer) = marker.integer else { continue };
        match integer.primary {
            Primary::Decimal { zero, .. } if zero != 0x30 => {
                // The matcher reads ASCII digits and shifts them down by the family's zero.
                return Err(limit(format!(
                    "$toMillis: [{}] with digits other than 0-9 cannot be parsed",
                    marker.component
                )));
            }
            // letters[i] * 26^i in 64 bits; a day of the year in chrono's range.
            Primary::Letters if letters >= 14 || (marker.component == 'd' && letters >= 7) => {
                return refuse("a value in letters");
            }
            Primary::Words
                if (marker.component == 'd'
                    && (lower.contains("billion") || lower.contains("trillion")))
                    || (marker.component == 'h' && lower.contains("trillion")) =>
            {
                return refuse("a value in words");
            }
            _ => {}
        }
    }
    // Digits: a day of the year past chrono's range (1.07e11 days), an hour that overflows
    // when 12 is added for pm, a timezone offset that overflows when turned into minutes.
    // A run of digits holding several fixed-width components (`[Y0001][d001][H01]`) is
    // counted only when it could be the one component.
    let runs: Vec<(usize, Option<char>)> = {
        let mut runs = Vec::new();
        let mut before = None;
        let mut run = 0;
        for c in timestamp.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() {
                run += 1;
            } else {
                if run > 0 {
                    runs.push((run, before));
                }
                run = 0;
                before = Some(c);
            }
        }
        runs
    };
    let day_width = markers
        .iter()
        .position(|m| m.component == 'd')
        .and_then(|i| markers.get(i + 1).filter(|next| next.integer.is_some()).map(|_| ()));
    if has('d') && day_width.is_none() && runs.iter().any(|&(n, _)| n >= 12) {
        return refuse("the day of the year");
    }
    if has('h') && runs.iter().any(|&(n, _)| n >= 19) {
        return refuse("the hour");
    }
    if (has('Z') || has('z'))
        && runs.iter().any(|&(n, before)| n >= 13 && before.is_some_and(|c| !c.is_alphanumeric()))
    {
        return refuse("the timezone offset");
    }
    Ok(())
}
