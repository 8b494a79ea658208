//! Where and why JSON text is malformed, in the words of Jackson, the parser AWS runs.
//!
//! serde_json finds the same faults, but names them in its own terms and sometimes at
//! another place (a definition missing its last braces is reported at the last token
//! read, not at the end of the input). This scanner walks the text the way Jackson's
//! `ReaderBasedJsonParser` does and stops at the first fault with Jackson's message and
//! its position: the line, and the column just past the character that showed the fault
//! (UTF-16 units, as Java counts). It is run only on text serde_json refused.
//!
//! AWS's recorded answers (`Unrecognized token 'not': was expecting …`, `Unexpected
//! character (''' (code 39)): was expecting double-quote to start field name`) are
//! Jackson's; the others follow Jackson 2's wording.

/// The first fault: Jackson's message (without the trailing ` at [Source: …]`), and the
/// 1-based line and column it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Where a value or container started: for `expected close marker … (start marker at …)`.
#[derive(Debug, Clone, Copy)]
struct Mark {
    line: usize,
    column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

impl Kind {
    fn desc(self) -> &'static str {
        match self {
            Kind::Object => "Object",
            Kind::Array => "Array",
        }
    }
}

const VALID_TOKENS: &str =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/// Scans `text`; `None` when Jackson would read it (serde_json may still refuse it:
/// trailing content, nesting deeper than it allows).
pub(crate) fn first_fault(text: &str) -> Option<Fault> {
    Scanner::new(text).document().err()
}

/// Jackson's location: `[Source: (String)"…"; line: 1, column: 4]` (the text cut at 500
/// characters, as Jackson cuts it).
pub(crate) fn source(text: &str, line: usize, column: usize) -> String {
    const MAX: usize = 500;
    let n = text.chars().count();
    let shown: String = text.chars().take(MAX).collect();
    let more = if n > MAX { format!("[truncated {} chars]", n - MAX) } else { String::new() };
    format!("[Source: (String)\"{shown}\"{more}; line: {line}, column: {column}]")
}

struct Scanner<'a> {
    text: &'a str,
    chars: Vec<char>,
    /// Index of the next character.
    pos: usize,
    line: usize,
    /// UTF-16 offset of the current line's start, and of `pos`.
    row_start: usize,
    offset: usize,
    stack: Vec<(Kind, Mark)>,
}

type Scan<T> = Result<T, Fault>;

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            text,
            chars: text.chars().collect(),
            pos: 0,
            line: 1,
            row_start: 0,
            offset: 0,
            stack: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Takes the next character (lines are counted outside strings only, as Jackson does).
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        self.offset += c.len_utf16();
        Some(c)
    }

    /// Jackson's current location: one past the last character taken.
    fn here(&self) -> Mark {
        Mark { line: self.line, column: self.offset - self.row_start + 1 }
    }

    fn fail<T>(&self, message: String) -> Scan<T> {
        let Mark { line, column } = self.here();
        Err(Fault { message, line, column })
    }

    /// Skips whitespace; the next significant character, taken, or `None` at the end.
    fn next_significant(&mut self) -> Scan<Option<char>> {
        while let Some(c) = self.bump() {
            match c {
                ' ' | '\t' => {}
                '\n' => self.new_line(),
                '\r' => {
                    if self.peek() == Some('\n') {
                        self.bump();
                    }
                    self.new_line();
                }
                c if (c as u32) < 0x20 => {
                    return self.fail(format!(
                        "Illegal character ({}): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                        char_desc(c)
                    ))
                }
                _ => return Ok(Some(c)),
            }
        }
        Ok(None)
    }

    fn new_line(&mut self) {
        self.line += 1;
        self.row_start = self.offset;
    }

    fn document(&mut self) -> Scan<()> {
        let Some(c) = self.next_significant()? else { return Ok(()) };
        self.value(c)?;
        while !self.stack.is_empty() {
            self.after_value()?;
        }
        Ok(())
    }

    /// After a value inside a container: a comma and the next entry, or the close.
    fn after_value(&mut self) -> Scan<()> {
        let (kind, _) = *self.stack.last().expect("inside a container");
        let Some(c) = self.next_significant()? else { return self.end_in_container() };
        match c {
            ']' | '}' => self.close(c),
            ',' => {
                let Some(c) = self.next_significant()? else {
                    return self.fail(format!(
                        "Unexpected end-of-input within/between {} entries",
                        kind.desc()
                    ));
                };
                match kind {
                    Kind::Object => self.field(c),
                    Kind::Array => self.value(c),
                }
            }
            _ => self
                .unexpected(c, &format!("was expecting comma to separate {} entries", kind.desc())),
        }
    }

    fn end_in_container(&self) -> Scan<()> {
        let (kind, start) = *self.stack.last().expect("inside a container");
        self.fail(format!(
            "Unexpected end-of-input: expected close marker for {} (start marker at {})",
            kind.desc(),
            source(self.text, start.line, start.column)
        ))
    }

    fn close(&mut self, c: char) -> Scan<()> {
        let (kind, start) = *self.stack.last().expect("inside a container");
        let expected = match kind {
            Kind::Object => '}',
            Kind::Array => ']',
        };
        if c != expected {
            return self.fail(format!(
                "Unexpected close marker '{c}': expected '{expected}' (for {} starting at {})",
                kind.desc(),
                source(self.text, start.line, start.column)
            ));
        }
        self.stack.pop();
        Ok(())
    }

    /// A field of an object, its first character `c` taken: name, colon, value.
    fn field(&mut self, c: char) -> Scan<()> {
        if c != '"' {
            return self.unexpected(c, "was expecting double-quote to start field name");
        }
        self.string(true)?;
        let c = match self.next_significant()? {
            Some(':') => self.next_significant()?,
            Some(c) => {
                return self.unexpected(c, "was expecting a colon to separate field name and value")
            }
            None => None,
        };
        match c {
            Some(c) => self.value(c),
            None => self.fail("Unexpected end-of-input within/between Object entries".into()),
        }
    }

    /// A value, its first character `c` taken. A container is opened (and, when empty,
    /// closed); its entries are read by `after_value`.
    fn value(&mut self, c: char) -> Scan<()> {
        let start = Mark { line: self.line, column: self.offset - self.row_start };
        match c {
            '{' | '[' => {
                let kind = if c == '{' { Kind::Object } else { Kind::Array };
                self.stack.push((kind, start));
                let Some(next) = self.next_significant()? else { return self.end_in_container() };
                match (kind, next) {
                    // An empty container, or a close marker of the other kind.
                    (_, ']' | '}') => self.close(next),
                    (Kind::Object, c) => self.field(c),
                    (Kind::Array, c) => self.value(c),
                }
            }
            '"' => self.string(false),
            '-' | '0'..='9' => self.number(c),
            't' => self.literal("true"),
            'f' => self.literal("false"),
            'n' => self.literal("null"),
            ']' | '}' | ',' => {
                if c == ']' && !matches!(self.stack.last(), Some((Kind::Array, _))) {
                    return self.unexpected(c, &format!("expected a valid value {VALID_TOKENS}"));
                }
                self.unexpected(c, "expected a value")
            }
            c if is_identifier_start(c) => self.invalid_token(c.to_string()),
            c => self.unexpected(c, &format!("expected a valid value {VALID_TOKENS}")),
        }
    }

    fn literal(&mut self, word: &str) -> Scan<()> {
        let mut matched = String::from(&word[..1]);
        for expected in word.chars().skip(1) {
            match self.peek() {
                Some(c) if c == expected => {
                    self.bump();
                    matched.push(c);
                }
                _ => return self.invalid_token(matched),
            }
        }
        match self.peek() {
            Some(c) if is_identifier_part(c) => self.invalid_token(matched),
            _ => Ok(()),
        }
    }

    /// `Unrecognized token 'tru': …`: the token is read to its end first.
    fn invalid_token(&mut self, mut token: String) -> Scan<()> {
        while let Some(c) = self.peek().filter(|c| is_identifier_part(*c)) {
            self.bump();
            token.push(c);
        }
        self.fail(format!("Unrecognized token '{token}': was expecting {VALID_TOKENS}"))
    }

    fn string(&mut self, name: bool) -> Scan<()> {
        loop {
            let Some(c) = self.bump() else {
                return self.fail(if name {
                    "Unexpected end-of-input in field name".into()
                } else {
                    "Unexpected end-of-input: was expecting closing quote for a string value".into()
                });
            };
            match c {
                '"' => return Ok(()),
                '\\' => self.escape()?,
                c if (c as u32) < 0x20 => {
                    let what = if name { "name" } else { "string value" };
                    return self.fail(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in {what}",
                        char_desc(c)
                    ));
                }
                _ => {}
            }
        }
    }

    fn escape(&mut self) -> Scan<()> {
        let Some(c) = self.bump() else {
            return self.fail("Unexpected end-of-input in character escape sequence".into());
        };
        match c {
            '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => Ok(()),
            'u' => {
                for _ in 0..4 {
                    match self.bump() {
                        Some(h) if h.is_ascii_hexdigit() => {}
                        Some(h) => {
                            return self.unexpected(
                                h,
                                "expected a hex-digit for character escape sequence",
                            )
                        }
                        None => {
                            return self.fail(
                                "Unexpected end-of-input in character escape sequence".into(),
                            )
                        }
                    }
                }
                Ok(())
            }
            c => self.fail(format!("Unrecognized character escape {}", char_desc(c))),
        }
    }

    fn number(&mut self, first: char) -> Scan<()> {
        let mut c = Some(first);
        if first == '-' {
            c = self.bump();
            match c {
                Some(d) if d.is_ascii_digit() => {}
                Some(d) => {
                    return self.fail(format!(
                        "Unexpected character ({}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
                        char_desc(d)
                    ))
                }
                None => return self.fail("Unexpected end-of-input in a Number value".into()),
            }
        }
        if c == Some('0') && self.peek().is_some_and(|d| d.is_ascii_digit()) {
            self.bump();
            return self.fail("Invalid numeric value: Leading zeroes not allowed".into());
        }
        self.digits();
        if self.peek() == Some('.') {
            self.bump();
            self.required_digit("Decimal point not followed by a digit")?;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            self.required_digit("Exponent indicator not followed by a digit")?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|d| d.is_ascii_digit()) {
            self.bump();
        }
    }

    fn required_digit(&mut self, why: &str) -> Scan<()> {
        match self.bump() {
            Some(d) if d.is_ascii_digit() => {
                self.digits();
                Ok(())
            }
            Some(d) => self
                .fail(format!("Unexpected character ({}) in numeric value: {why}", char_desc(d))),
            None => self.fail("Unexpected end-of-input in a Number value".into()),
        }
    }

    fn unexpected<T>(&self, c: char, comment: &str) -> Scan<T> {
        self.fail(format!("Unexpected character ({}): {comment}", char_desc(c)))
    }
}

/// Jackson's `_getCharDesc`: `'x' (code 120)`, `(CTRL-CHAR, code 10)`.
fn char_desc(c: char) -> String {
    let code = c as u32;
    if c.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

/// Java's `Character.isJavaIdentifierStart`, near enough: letters, `$`, `_`.
fn is_identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '$' || c == '_'
}

/// Java's `Character.isJavaIdentifierPart`, near enough: also digits.
fn is_identifier_part(c: char) -> bool {
    is_identifier_start(c) || c.is_numeric()
}
