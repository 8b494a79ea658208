//! The functions AWS Step Functions adds to JSONata, each the replacement of an intrinsic
//! of JSONPath states:
//!
//! | function | like | result |
//! |---|---|---|
//! | `$partition(array, size)` | `States.ArrayPartition` | the array cut into arrays of `size` items, the last one shorter |
//! | `$range(start, end, step)` | `States.ArrayRange` | `start`, `start + step`, … up to and including `end`; one item is returned as that item, as AWS does |
//! | `$hash(value, algorithm)` | `States.Hash` | lowercase hex digest of the string; `MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512` |
//! | `$random([seed])` | `States.MathRandom` | a number in [0, 1); with a seed, the first `nextDouble()` of `java.util.Random(seed)` |
//! | `$uuid()` | `States.UUID` | a random version 4 UUID |
//! | `$parse(string)` | `States.StringToJson` | the JSON text parsed |
//!
//! A wrong argument type or count is `T0410`, as a JSONata signature mismatch is. AWS's texts
//! for the other failures are not known; the codes `D3900`–`D3902` are Stepwise's own.

use jsonata_core::evaluator::{Evaluator, EvaluatorError};
use jsonata_core::value::JValue;
use sha1::Digest as _;

type Result = std::result::Result<JValue, EvaluatorError>;
type Function = fn(&[JValue]) -> Result;

/// Longest `$range`, the same bound JSONata puts on `[a..b]` (D2014).
const MAX_RANGE: f64 = 10_000_000.0;

/// Registers the AWS functions among `names` (the names the expression refers to) on
/// `evaluator`, replaces `$random` with the seedable one and disables `$eval` (already
/// refused by `Expr::compile`; this is the second lock). A function can only be reached by
/// its name, so the others are left out.
pub(crate) fn register(evaluator: &mut Evaluator, names: &[String]) {
    let added: [(&str, Function); 5] = [
        ("partition", partition),
        ("range", range),
        ("hash", hash),
        ("uuid", uuid),
        ("parse", parse),
    ];
    let named = |name: &str| names.binary_search_by(|n| n.as_str().cmp(name)).is_ok();
    for (name, f) in added {
        if named(name) {
            evaluator.register_fn(name, f).expect("not a JSONata built-in");
        }
    }
    if named("random") {
        evaluator.register_fn_override("random", random).expect("$random may be overridden");
    }
    if named("eval") {
        evaluator
            .register_fn_override("eval", |_: &[JValue]| -> Result {
                Err(error("D3900", "The $eval function is not supported".to_string()))
            })
            .expect("$eval may be overridden");
    }
}

fn error(code: &str, message: String) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {message}"))
}

fn signature(function: &str, argument: usize) -> EvaluatorError {
    error(
        "T0410",
        format!("Argument {argument} of function {function} does not match function signature"),
    )
}

fn arity(
    function: &str,
    args: &[JValue],
    min: usize,
    max: usize,
) -> std::result::Result<(), EvaluatorError> {
    if args.len() < min || args.len() > max {
        return Err(signature(function, args.len().min(max) + 1));
    }
    Ok(())
}

fn number_arg(
    function: &str,
    args: &[JValue],
    index: usize,
) -> std::result::Result<f64, EvaluatorError> {
    match &args[index] {
        JValue::Number(n) => Ok(*n),
        _ => Err(signature(function, index + 1)),
    }
}

/// `$partition(array, size)`.
pub fn partition(args: &[JValue]) -> Result {
    arity("partition", args, 2, 2)?;
    let items: Vec<JValue> = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(items) => items.iter().cloned().collect(),
        other => vec![other.clone()],
    };
    let size = number_arg("partition", args, 1)?;
    if !(size >= 1.0 && size.fract() == 0.0) {
        return Err(error(
            "D3901",
            format!("The chunk size of $partition must be a positive integer, not {size}"),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let size = size.min(usize::MAX as f64) as usize;
    Ok(JValue::array(items.chunks(size).map(|chunk| JValue::array(chunk.to_vec())).collect()))
}

/// `$range(start, end, step)`.
pub fn range(args: &[JValue]) -> Result {
    arity("range", args, 3, 3)?;
    let start = number_arg("range", args, 0)?;
    let end = number_arg("range", args, 1)?;
    let step = number_arg("range", args, 2)?;
    if step == 0.0 {
        return Err(error("D3901", "The step of $range must not be 0".to_string()));
    }
    let steps = ((end - start) / step).floor();
    if steps < 0.0 {
        return Ok(JValue::array(Vec::new()));
    }
    if steps + 1.0 > MAX_RANGE {
        return Err(error(
            "D2014",
            format!("The size of the sequence allocated by $range must not exceed 1e7; here it would be {}", steps + 1.0),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let items = (0..=steps as u64).map(|i| JValue::Number(start + i as f64 * step)).collect();
    Ok(JValue::sequence(items))
}

/// `$hash(value, algorithm)`.
pub fn hash(args: &[JValue]) -> Result {
    arity("hash", args, 2, 2)?;
    let value = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::String(s) => s.as_bytes(),
        _ => return Err(signature("hash", 1)),
    };
    let JValue::String(algorithm) = &args[1] else {
        return Err(signature("hash", 2));
    };
    let digest: Vec<u8> = match &**algorithm {
        "MD5" => md5::Md5::digest(value).to_vec(),
        "SHA-1" => sha1::Sha1::digest(value).to_vec(),
        "SHA-256" => sha2::Sha256::digest(value).to_vec(),
        "SHA-384" => sha2::Sha384::digest(value).to_vec(),
        "SHA-512" => sha2::Sha512::digest(value).to_vec(),
        other => {
            return Err(error(
                "D3902",
                format!(
                "The hash algorithm {other:?} is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            ),
            ))
        }
    };
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(JValue::from(hex))
}

/// `$random([seed])`.
pub fn random(args: &[JValue]) -> Result {
    arity("random", args, 0, 1)?;
    match args.first() {
        None | Some(JValue::Undefined) => Ok(JValue::Number(rand::random::<f64>())),
        Some(JValue::Number(seed)) => {
            // Java's `(long) seed`: truncation toward zero, saturating, NaN to 0 (as Rust's `as`).
            #[allow(clippy::cast_possible_truncation)]
            let seed = *seed as i64;
            Ok(JValue::Number(JavaRandom::new(seed).next_double()))
        }
        Some(_) => Err(signature("random", 1)),
    }
}

/// `$uuid()`.
pub fn uuid(args: &[JValue]) -> Result {
    arity("uuid", args, 0, 0)?;
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(JValue::from(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}

/// `$parse(string)`.
pub fn parse(args: &[JValue]) -> Result {
    arity("parse", args, 1, 1)?;
    match &args[0] {
        JValue::Undefined => Ok(JValue::Undefined),
        JValue::String(text) => serde_json::from_str::<serde_json::Value>(text)
            .map(JValue::from)
            .map_err(|e| error("D3901", format!("$parse: the string is not JSON: {e}"))),
        _ => Err(signature("parse", 1)),
    }
}

/// `java.util.Random`: a 48-bit linear congruential generator, exactly as the JDK specifies it.
#[derive(Debug, Clone)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    /// `new Random(seed)`.
    pub fn new(seed: i64) -> Self {
        #[allow(clippy::cast_sign_loss)]
        let seed = (seed as u64 ^ Self::MULTIPLIER) & Self::MASK;
        JavaRandom { seed }
    }

    fn next(&mut self, bits: u32) -> u64 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        self.seed >> (48 - bits)
    }

    /// `nextDouble()`: 53 random bits scaled to [0, 1).
    pub fn next_double(&mut self) -> f64 {
        let high = self.next(26);
        let low = self.next(27);
        #[allow(clippy::cast_precision_loss)]
        let bits = ((high << 27) + low) as f64;
        bits * (1.0 / (1u64 << 53) as f64)
    }
}
