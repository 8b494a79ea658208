//! Paging of the list operations: `maxResults` and `nextToken`.
//!
//! A token is `sw1-<offset in lowercase hex>`, the offset of the page's first item.
//! The server mints one only for an offset inside the listing, so any other token is not one
//! of ours and answers `InvalidToken`, as AWS does: text that is not in the canonical form
//! (signs, leading zeros, upper case, too many digits), offset zero, or an offset at or past
//! the end of the listing.
//! Offsets are bounded by [`MAX_OFFSET`] before any arithmetic, so no crafted token can
//! overflow `offset + maxResults`.
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::request::Params;

/// The largest offset a token may carry: far more items than any listing holds, and small
/// enough that adding a page size to it cannot overflow a `usize`, even on 32-bit targets.
pub const MAX_OFFSET: usize = u32::MAX as usize / 2;

/// The largest `maxResults` AWS accepts.
const MAX_RESULTS: u64 = 1000;

/// The page a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The offset of the first item (0 without a token).
    pub start: usize,
    /// The page size (`maxResults`: 0 or absent → the operation's default).
    pub max: usize,
    /// Whether the request carried a `nextToken` (then the page must not be empty).
    pub resumed: bool,
}

impl Bounds {
    /// Reads `maxResults` and `nextToken` for the listing `key` (`"executions"`, `"events"`, …).
    pub fn read(p: &Params, default: u64, key: &str) -> Result<Bounds, ApiError> {
        // AWS bounds the token's length per operation: 3096 for executions and history, 1024 elsewhere.
        let token_limit = if matches!(key, "executions" | "events") { 3096 } else { 1024 };
        let token = p.opt_str("nextToken")?;
        if let Some(token) = token {
            if token.len() > token_limit {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{token}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to {token_limit}"
                )));
            }
        }
        let max = match max_results(p)? {
            None | Some(0) => default,
            Some(n) => n,
        };
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let start = match token {
            None => 0,
            Some(token) => decode(token).ok_or_else(invalid_token)?,
        };
        Ok(Bounds { start, max, resumed: token.is_some() })
    }

    /// The page of `items` asked for, and the offset of the next page if more follow.
    /// A token pointing at or past the end is not one the server minted for this listing.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> Result<(&'a [T], Option<usize>), ApiError> {
        if self.resumed && self.start >= items.len() {
            return Err(invalid_token());
        }
        let end = self.start.saturating_add(self.max).min(items.len());
        let page = items.get(self.start..end).unwrap_or_default();
        Ok((page, (end < items.len()).then_some(end)))
    }

    /// Checks a page read from the store at [`Bounds::start`] (`more`: whether items follow)
    /// and returns the offset of the next page, if any.
    pub fn next_after(&self, len: usize, more: bool) -> Result<Option<usize>, ApiError> {
        if self.resumed && len == 0 {
            return Err(invalid_token());
        }
        Ok(more.then(|| self.start.saturating_add(len)))
    }
}

/// `maxResults`: an integer in `0..=1000`, with AWS's messages outside it.
fn max_results(p: &Params) -> Result<Option<u64>, ApiError> {
    let out_of_range = |shown: &dyn std::fmt::Display, rule: &str| {
        ApiError::validation(format!(
            "1 validation error detected: Value '{shown}' at 'maxResults' failed to satisfy constraint: Member must have value {rule}"
        ))
    };
    let negative = match p.opt_value("maxResults") {
        Some(Value::Number(n)) => n.as_i64().filter(|n| *n < 0),
        Some(Value::String(s)) => s.parse::<i64>().ok().filter(|n| *n < 0),
        _ => None,
    };
    if let Some(n) = negative {
        return Err(out_of_range(&n, "greater than or equal to 0"));
    }
    match p.opt_u64("maxResults")? {
        Some(n) if n > MAX_RESULTS => {
            Err(out_of_range(&n, &format!("less than or equal to {MAX_RESULTS}")))
        }
        n => Ok(n),
    }
}

/// `{ key: [...], nextToken }`; `next` is the offset the next page starts at.
pub fn render<T>(
    key: &str,
    items: &[T],
    next: Option<usize>,
    render: impl Fn(&T) -> Value,
) -> Value {
    let mut out = json!({ key: items.iter().map(render).collect::<Vec<_>>() });
    if let Some(next) = next {
        out["nextToken"] = json!(encode(next));
    }
    out
}

/// AWS's answer to a token it did not mint.
fn invalid_token() -> ApiError {
    ApiError {
        aws_type: "InvalidToken",
        message: "Invalid Token: 'Invalid token'".to_owned(),
        status: StatusCode::BAD_REQUEST,
    }
}

fn encode(offset: usize) -> String {
    format!("sw1-{offset:x}")
}

/// The offset a token names, if the token is one [`encode`] could have written for an offset
/// in `1..=MAX_OFFSET`.
fn decode(token: &str) -> Option<usize> {
    let hex = token.strip_prefix("sw1-")?;
    // `from_str_radix` alone would take a sign, upper case and leading zeros, and a token
    // too long for a `usize` is not ours either: only the canonical text is.
    let canonical = !hex.is_empty()
        && hex.len() <= 16
        && !hex.starts_with('0')
        && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !canonical {
        return None;
    }
    let offset = usize::from_str_radix(hex, 16).ok()?;
    (offset <= MAX_OFFSET).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for offset in [1, 100, 0xabc, MAX_OFFSET] {
            assert_eq!(decode(&encode(offset)), Some(offset), "{offset}");
        }
    }

    #[test]
    fn only_canonical_tokens_in_range_decode() {
        let max_plus_one = encode(MAX_OFFSET + 1);
        let bad = [
            "",
            "sw1-",
            "sw1-0",
            "sw1-00a",
            "sw1-+a",
            "sw1--1",
            "sw1-A",
            "sw1- a",
            "sw1-ffffffffffffffff",
            "sw1-10000000000000000",
            "sw1-fffffffffffffffffffffffffffffffffff",
            "sw2-1",
            "garbage",
            max_plus_one.as_str(),
        ];
        for token in bad {
            assert_eq!(decode(token), None, "{token:?}");
        }
    }

    #[test]
    fn pages_never_overflow() {
        let items: Vec<u32> = (0..10).collect();
        let b = Bounds { start: MAX_OFFSET, max: usize::MAX, resumed: true };
        assert_eq!(b.slice(&items).unwrap_err().aws_type, "InvalidToken");
        assert_eq!(b.next_after(0, false).unwrap_err().aws_type, "InvalidToken");
        assert_eq!(b.next_after(1000, true).unwrap(), Some(MAX_OFFSET + 1000));
        let b = Bounds { start: 8, max: usize::MAX, resumed: true };
        assert_eq!(b.slice(&items).unwrap(), (&items[8..], None));
        let b = Bounds { start: 0, max: 3, resumed: false };
        assert_eq!(b.slice(&items).unwrap(), (&items[..3], Some(3)));
        let empty: [u32; 0] = [];
        assert_eq!(b.slice(&empty).unwrap(), (&empty[..], None));
    }
}
