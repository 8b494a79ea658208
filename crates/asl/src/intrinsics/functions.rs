//! The bodies of the intrinsic functions. Arguments arrive evaluated; argument counts were
//! checked when the call was parsed.
use base64::Engine as _;
use md5::Digest as _;
use serde_json::{Map, Number, Value};

use super::{failure, format_value, pieces_at_runtime, Func, Node, Piece};
use crate::path::compact;
use crate::{Env, Fault};

/// AWS's limit on the input of `States.Base64Encode`, `Base64Decode` and `Hash`.
const MAX_CHARS: usize = 10_000;
/// AWS's limit on the size of the array `States.ArrayRange` builds.
const MAX_RANGE: usize = 1000;

pub(super) fn apply(node: &Node, mut args: Vec<Value>, env: &Env<'_>) -> Result<Value, Fault> {
    let f = node.func;
    match f {
        Func::Array => Ok(Value::Array(args)),
        Func::Format => {
            let mut rest = args.drain(..);
            let first = rest.next().unwrap_or_default();
            let runtime;
            let pieces: &[Piece] = match &node.format {
                Some(p) => p,
                None => match &first {
                    Value::String(s) => {
                        runtime = pieces_at_runtime(s);
                        &runtime
                    }
                    other => {
                        return Err(failure(
                            f,
                            format!(
                                "the format string must be a string, but was {}",
                                compact(other)
                            ),
                        ))
                    }
                },
            };
            let values: Vec<Value> = rest.collect();
            let holes = pieces.iter().filter(|p| **p == Piece::Hole).count();
            if holes != values.len() {
                return Err(failure(
                    f,
                    format!("the format string has {holes} placeholder(s) but {} argument(s) were given", values.len()),
                ));
            }
            let mut out = String::new();
            let mut vals = values.iter();
            for p in pieces {
                match p {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Hole => format_value(vals.next().unwrap_or(&Value::Null), &mut out),
                }
            }
            Ok(Value::String(out))
        }
        Func::StringToJson => {
            let s = string(f, &args[0], "the argument")?;
            if s.trim().is_empty() {
                return Ok(Value::Null);
            }
            let v: Value = serde_json::from_str(s)
                .map_err(|e| failure(f, format!("the string could not be parsed as JSON: {e}")))?;
            // Jackson reads `-0` as the integer 0; serde_json as the float -0.0.
            if v.as_f64() == Some(0.0) && !s.contains(['.', 'e', 'E']) {
                return Ok(Value::from(0));
            }
            Ok(v)
        }
        Func::JsonToString => Ok(Value::String(compact(&args[0]))),
        Func::ArrayPartition => {
            let size = int(f, &args[1], "the chunk size")?;
            let a = array(f, &args[0], "the first argument")?;
            if size <= 0 {
                return Err(failure(
                    f,
                    format!("the chunk size must be a positive integer, but was {size}"),
                ));
            }
            Ok(Value::Array(a.chunks(size as usize).map(|c| Value::Array(c.to_vec())).collect()))
        }
        Func::ArrayContains => {
            let a = array(f, &args[0], "the first argument")?;
            Ok(Value::Bool(a.contains(&args[1])))
        }
        Func::ArrayRange => {
            let start = int(f, &args[0], "the start")?;
            let end = int(f, &args[1], "the end")?;
            let step = int(f, &args[2], "the step")?;
            if step == 0 {
                return Err(failure(f, "the step must not be 0"));
            }
            let count = if (step > 0 && start > end) || (step < 0 && start < end) {
                0
            } else {
                ((end as i128 - start as i128) / step as i128) as u128 + 1
            };
            if count > MAX_RANGE as u128 {
                return Err(failure(f, format!("the array cannot contain more than {MAX_RANGE} items, but would contain {count}")));
            }
            Ok(Value::Array((0..count as i64).map(|i| Value::from(start + i * step)).collect()))
        }
        Func::ArrayGetItem => {
            let index = match &args[1] {
                Value::Number(n) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
                other => {
                    return Err(failure(
                        f,
                        format!("the index must be an integer, but was {}", compact(other)),
                    ))
                }
            };
            let a = array(f, &args[0], "the first argument")?;
            if index < 0 || index as usize >= a.len() {
                return Err(failure(
                    f,
                    format!(
                        "the index {index} is out of bounds for an array of length {}",
                        a.len()
                    ),
                ));
            }
            Ok(args
                .swap_remove(0)
                .as_array_mut()
                .map(|a| a.swap_remove(index as usize))
                .unwrap_or_default())
        }
        Func::ArrayLength => Ok(Value::from(array(f, &args[0], "the argument")?.len())),
        Func::ArrayUnique => {
            let a = array(f, &args[0], "the argument")?;
            let mut out: Vec<Value> = Vec::with_capacity(a.len());
            for x in a {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        Func::Base64Encode => {
            let s = string(f, &args[0], "the argument")?;
            limit(f, s)?;
            Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(s)))
        }
        Func::Base64Decode => {
            let s = string(f, &args[0], "the argument")?;
            limit(f, s)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| failure(f, format!("the argument is not valid Base64: {e}")))?;
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Func::Hash => {
            let data = string(f, &args[0], "the data")?;
            limit(f, data)?;
            let alg = string(f, &args[1], "the algorithm")?;
            let digest: Vec<u8> = match alg {
                "MD5" => md5::Md5::digest(data).to_vec(),
                "SHA-1" => sha1::Sha1::digest(data).to_vec(),
                "SHA-256" => sha2::Sha256::digest(data).to_vec(),
                "SHA-384" => sha2::Sha384::digest(data).to_vec(),
                "SHA-512" => sha2::Sha512::digest(data).to_vec(),
                other => {
                    return Err(failure(
                        f,
                        format!("the hash algorithm '{other}' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
                    ))
                }
            };
            Ok(Value::String(hex(&digest)))
        }
        Func::JsonMerge => {
            if args[2] != Value::Bool(false) {
                return Err(failure(f, format!("the deep-merge flag must be false (only shallow merge is supported), but was {}", compact(&args[2]))));
            }
            let second = object(f, args.swap_remove(1), "the second argument")?;
            let mut first = object(f, args.swap_remove(0), "the first argument")?;
            for (k, v) in second {
                first.insert(k, v);
            }
            Ok(Value::Object(first))
        }
        Func::MathAdd => {
            let a = int32(f, &args[0], "the first argument")?;
            let b = int32(f, &args[1], "the second argument")?;
            Ok(Value::from(a + b))
        }
        Func::MathRandom => {
            let start = int32(f, &args[0], "the start")?;
            let end = int32(f, &args[1], "the end")?;
            let seed = match args.get(2) {
                Some(s) => int(f, s, "the seed")?,
                None => splitmix(env.seed ^ mix(node.id)) as i64,
            };
            if end <= start {
                return Err(failure(
                    f,
                    format!("the end ({end}) must be greater than the start ({start})"),
                ));
            }
            let bound = end - start;
            let mut rng = JavaRandom::new(seed);
            let r = if bound <= i32::MAX as i64 {
                rng.next_int(bound as i32) as i64
            } else {
                rng.next_long().rem_euclid(bound)
            };
            Ok(Value::from(start + r))
        }
        Func::StringSplit => {
            let s = string(f, &args[0], "the first argument")?;
            let delims = string(f, &args[1], "the delimiter")?;
            let parts: Vec<Value> = s
                .split(|c: char| delims.contains(c))
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_owned()))
                .collect();
            Ok(Value::Array(parts))
        }
        Func::Uuid => Ok(Value::String(uuid_v4(splitmix(env.seed ^ mix(node.id))))),
    }
}

fn mix(id: u32) -> u64 {
    (u64::from(id) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// SplitMix64: a tiny, well-mixed hash used to derive values from the engine's seed.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A version-4 UUID whose random bits come from `seed`.
pub(crate) fn uuid_v4(seed: u64) -> String {
    let hi = splitmix(seed);
    let lo = splitmix(hi ^ seed.rotate_left(17));
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hi.to_be_bytes());
    b[8..].copy_from_slice(&lo.to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// `java.util.Random`, so that a seeded `States.MathRandom` is reproducible like AWS's
/// (which runs on the JVM).
struct JavaRandom(u64);

impl JavaRandom {
    const MULT: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    fn new(seed: i64) -> Self {
        JavaRandom((seed as u64 ^ Self::MULT) & Self::MASK)
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.0 = (self.0.wrapping_mul(Self::MULT).wrapping_add(0xB)) & Self::MASK;
        (self.0 >> (48 - bits)) as i64 as i32
    }

    fn next_int(&mut self, bound: i32) -> i32 {
        if bound & bound.wrapping_neg() == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }

    fn next_long(&mut self) -> i64 {
        (i64::from(self.next(32)) << 32).wrapping_add(i64::from(self.next(32)))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn string<'v>(f: Func, v: &'v Value, what: &str) -> Result<&'v str, Fault> {
    v.as_str().ok_or_else(|| failure(f, format!("{what} must be a string, but was {}", compact(v))))
}

fn array<'v>(f: Func, v: &'v Value, what: &str) -> Result<&'v Vec<Value>, Fault> {
    v.as_array()
        .ok_or_else(|| failure(f, format!("{what} must be an array, but was {}", compact(v))))
}

fn object(f: Func, v: Value, what: &str) -> Result<Map<String, Value>, Fault> {
    match v {
        Value::Object(m) => Ok(m),
        other => {
            Err(failure(f, format!("{what} must be a JSON object, but was {}", compact(&other))))
        }
    }
}

fn limit(f: Func, s: &str) -> Result<(), Fault> {
    let n = s.chars().count();
    if n > MAX_CHARS {
        return Err(failure(
            f,
            format!("the input can contain at most {MAX_CHARS} characters, but contained {n}"),
        ));
    }
    Ok(())
}

/// An integer argument; decimals are rounded half up, as Java's `Math.round` does.
fn int(f: Func, v: &Value, what: &str) -> Result<i64, Fault> {
    let bad = || failure(f, format!("{what} must be an integer, but was {}", compact(v)));
    match v {
        Value::Number(n) => number_to_int(n).ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn number_to_int(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let x = n.as_f64()?;
    let r = (x + 0.5).floor();
    (r.is_finite() && r >= i64::MIN as f64 && r <= i64::MAX as f64).then_some(r as i64)
}

/// An integer argument within Java's `int` range, as `States.MathAdd` and `MathRandom` need.
fn int32(f: Func, v: &Value, what: &str) -> Result<i64, Fault> {
    let i = int(f, v, what)?;
    if i < i64::from(i32::MIN) || i > i64::from(i32::MAX) {
        return Err(failure(
            f,
            format!("{what} must be between {} and {}, but was {i}", i32::MIN, i32::MAX),
        ));
    }
    Ok(i)
}
