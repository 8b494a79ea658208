//! `--auth sigv4`: every request must carry an AWS Signature Version 4 made with one of the
//! keys in `--access-keys`, in the `Authorization` header or as a presigned URL's
//! `X-Amz-*` query parameters. The key's account becomes the request's [`Caller`], so
//! resources of different keys' accounts are kept apart (`stepwise_api::caller`).
//!
//! The signing math (the derived key, the HMAC of the string to sign) is `aws-sigv4`'s, the
//! crate the AWS SDKs sign with; this module only rebuilds the canonical request from what
//! the client says it signed, and compares signatures in constant time.
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use stepwise_api::error::ApiError;
use stepwise_api::Caller;
use subtle::ConstantTimeEq;

/// How far a request's date may be from the server's clock, either way (AWS's JSON services
/// allow five minutes).
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);
/// The longest a presigned URL may be valid (`X-Amz-Expires`), seven days as in AWS.
const MAX_EXPIRES_SECS: u64 = 604_800;
/// The signing name of Step Functions in a credential scope.
const SERVICE: &str = "states";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Whether requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthMode {
    /// Every request is accepted, as AWS's local emulators do (the default).
    #[default]
    None,
    /// Every request must be signed (SigV4) with a key from `--access-keys`.
    Sigv4,
}

/// One secret key and the account it acts for.
#[derive(Clone)]
struct Key {
    secret: String,
    account: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("account", &self.account).finish_non_exhaustive()
    }
}

/// The access keys of `--access-keys`: `ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID` a line.
#[derive(Debug, Clone, Default)]
pub struct AccessKeys {
    keys: HashMap<String, Key>,
}

impl AccessKeys {
    /// Reads the file; blank lines and lines starting with `#` are skipped.
    pub fn load(path: &Path) -> anyhow::Result<AccessKeys> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the access keys in {}", path.display()))?;
        AccessKeys::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> anyhow::Result<AccessKeys> {
        let mut keys = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [id, secret, account] = fields[..] else {
                bail!("line {}: expected `ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID`", n + 1);
            };
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!("line {}: the account id {account:?} is not 12 digits", n + 1);
            }
            let key = Key { secret: secret.to_owned(), account: account.to_owned() };
            if keys.insert(id.to_owned(), key).is_some() {
                bail!("line {}: access key {id} is listed twice", n + 1);
            }
        }
        if keys.is_empty() {
            bail!("no access keys");
        }
        Ok(AccessKeys { keys })
    }
}

/// The authentication layer's state.
#[derive(Debug, Clone)]
pub struct Authenticator {
    keys: Arc<AccessKeys>,
    /// The largest body read to check its hash (bigger ones are refused by the size limit).
    max_body: usize,
}

impl Authenticator {
    /// An authenticator for `keys`, reading bodies of up to `max_body` bytes.
    pub fn new(keys: AccessKeys, max_body: usize) -> Authenticator {
        Authenticator { keys: Arc::new(keys), max_body }
    }
}

/// The middleware: verifies the request, then hands it on with its [`Caller`].
pub async fn layer(State(auth): State<Authenticator>, request: Request, next: Next) -> Response {
    // Liveness probes carry no credentials.
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, auth.max_body).await else {
        return crate::serve::limits::too_large(auth.max_body).into_response();
    };
    let signed =
        Signed { method: &parts.method, uri: &parts.uri, headers: &parts.headers, body: &body };
    match verify(&auth.keys, &signed, SystemTime::now()) {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(e) => {
            tracing::info!("refused {} {}: {}: {}", parts.method, parts.uri, e.aws_type, e.message);
            e.into_response()
        }
    }
}

/// What of a request its signature covers.
#[derive(Debug)]
pub struct Signed<'a> {
    /// The method.
    pub method: &'a Method,
    /// The URI as received (path and query).
    pub uri: &'a Uri,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

/// The fields of a signature, from the header or the query string.
struct Signature<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    /// When the request was signed (`X-Amz-Date`), `YYYYMMDD'T'HHMMSS'Z'`.
    amz_date: String,
    /// A presigned URL's validity (`X-Amz-Expires`); `None` for the header form.
    expires: Option<u64>,
    /// Whether the signature is in the query string.
    presigned: bool,
}

/// Checks a request's signature; returns who sent it.
pub fn verify(
    keys: &AccessKeys,
    request: &Signed<'_>,
    now: SystemTime,
) -> Result<Caller, ApiError> {
    let query = query_pairs(request.uri.query().unwrap_or(""));
    let header = request.headers.get("authorization").map(|v| v.to_str().unwrap_or(""));
    let presigned = query.iter().any(|(k, _)| k == "X-Amz-Algorithm");
    let sig = match (header, presigned) {
        (Some(header), _) => from_header(header, request.headers)?,
        (None, true) => from_query(&query)?,
        (None, false) => {
            return Err(error(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token".into(),
            ))
        }
    };
    if sig.service != SERVICE {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    if !sig.amz_date.starts_with(sig.date) {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            sig.date,
            sig.amz_date.get(..8).unwrap_or(""),
            sig.amz_date
        )));
    }
    let signed_at = parse_amz_date(&sig.amz_date)?;
    check_time(signed_at, sig.expires, now)?;
    let Some(key) = keys.keys.get(sig.key_id) else {
        return Err(error(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into(),
        ));
    };
    if request.headers.contains_key("x-amz-security-token")
        || query.iter().any(|(k, _)| k == "X-Amz-Security-Token")
    {
        // The keys file has long-term keys only: no session token is one of ours.
        return Err(error(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into(),
        ));
    }
    let canonical = canonical_request(request, &query, &sig)?;
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{}/{}/{}/aws4_request\n{}",
        sig.amz_date,
        sig.date,
        sig.region,
        sig.service,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let signing_key =
        aws_sigv4::sign::v4::generate_signing_key(&key.secret, signed_at, sig.region, sig.service);
    let expected = aws_sigv4::sign::v4::calculate_signature(signing_key, string_to_sign.as_bytes());
    if !bool::from(expected.as_bytes().ct_eq(sig.signature.as_bytes())) {
        tracing::debug!("canonical request:\n{canonical}\nstring to sign:\n{string_to_sign}");
        return Err(invalid(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        ));
    }
    Ok(Caller { region: Some(sig.region.to_owned()), account: Some(key.account.clone()) })
}

/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn from_header<'a>(header: &'a str, headers: &'a HeaderMap) -> Result<Signature<'a>, ApiError> {
    let incomplete = |what: &str| {
        error(
            "IncompleteSignatureException",
            format!("Authorization header requires '{what}' parameter. Authorization={header}"),
        )
    };
    let Some(fields) = header.strip_prefix(ALGORITHM).filter(|f| f.starts_with(' ')) else {
        return Err(error(
            "IncompleteSignatureException",
            format!("Unsupported Authorization Type: the algorithm must be {ALGORITHM}. Authorization={header}"),
        ));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in fields.split(',') {
        let (name, value) = field.trim().split_once('=').unwrap_or((field.trim(), ""));
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let credential = credential.ok_or_else(|| incomplete("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| incomplete("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| incomplete("Signature"))?;
    let amz_date = match headers.get("x-amz-date").and_then(|v| v.to_str().ok()) {
        Some(date) => date.to_owned(),
        None => {
            return Err(error(
                "IncompleteSignatureException",
                format!("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}"),
            ))
        }
    };
    let (key_id, date, region, service) = scope(credential)?;
    Ok(Signature {
        key_id,
        date,
        region,
        service,
        signed_headers,
        signature,
        amz_date,
        expires: None,
        presigned: false,
    })
}

/// A presigned URL's `X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`,
/// `-SignedHeaders` and `-Signature`.
fn from_query(query: &[(String, String)]) -> Result<Signature<'_>, ApiError> {
    let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let require = |name: &'static str| {
        get(name).ok_or_else(|| {
            error(
                "IncompleteSignatureException",
                format!("AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."),
            )
        })
    };
    if require("X-Amz-Algorithm")? != ALGORITHM {
        return Err(error(
            "IncompleteSignatureException",
            format!("X-Amz-Algorithm only supports '{ALGORITHM}'"),
        ));
    }
    let credential = require("X-Amz-Credential")?;
    let amz_date = require("X-Amz-Date")?.to_owned();
    let signed_headers = require("X-Amz-SignedHeaders")?;
    let signature = require("X-Amz-Signature")?;
    let expires = match get("X-Amz-Expires") {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(secs) if secs <= MAX_EXPIRES_SECS => Some(secs),
            _ => {
                return Err(error(
                    "IncompleteSignatureException",
                    format!(
                        "X-Amz-Expires must be a number of seconds from 0 to {MAX_EXPIRES_SECS}"
                    ),
                ))
            }
        },
    };
    let (key_id, date, region, service) = scope(credential)?;
    Ok(Signature {
        key_id,
        date,
        region,
        service,
        signed_headers,
        signature,
        amz_date,
        expires,
        presigned: true,
    })
}

/// `AKID/YYYYMMDD/region/service/aws4_request`.
fn scope(credential: &str) -> Result<(&str, &str, &str, &str), ApiError> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts[..] {
        [key, date, region, service, "aws4_request"]
            if !key.is_empty() && date.len() == 8 && !region.is_empty() =>
        {
            Ok((key, date, region, service))
        }
        _ => Err(error(
            "IncompleteSignatureException",
            format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"),
        )),
    }
}

fn parse_amz_date(amz_date: &str) -> Result<SystemTime, ApiError> {
    let parsed = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| {
            error(
                "IncompleteSignatureException",
                format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"),
            )
        })?;
    let secs = parsed.and_utc().timestamp();
    let secs = u64::try_from(secs)
        .map_err(|_| invalid(format!("Signature date {amz_date} is before 1970")))?;
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// A header signature is good five minutes either side of its date; a presigned URL from its
/// date (less five minutes) until its date plus `X-Amz-Expires`.
fn check_time(
    signed_at: SystemTime,
    expires: Option<u64>,
    now: SystemTime,
) -> Result<(), ApiError> {
    let fmt = |t: SystemTime| {
        chrono::DateTime::<chrono::Utc>::from(t).format("%Y%m%dT%H%M%SZ").to_string()
    };
    let earliest = now - MAX_SKEW;
    let latest = now + MAX_SKEW;
    let valid_until = match expires {
        Some(secs) => signed_at + Duration::from_secs(secs),
        None => signed_at,
    };
    if expires.is_some() && valid_until < now {
        return Err(invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - {} sec.)",
            fmt(signed_at),
            fmt(now - Duration::from_secs(expires.unwrap_or(0))),
            fmt(now),
            expires.unwrap_or(0)
        )));
    }
    if expires.is_none() && valid_until < earliest {
        return Err(invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - 5 min.)",
            fmt(signed_at),
            fmt(earliest),
            fmt(now)
        )));
    }
    if signed_at > latest {
        return Err(invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            fmt(signed_at),
            fmt(latest),
            fmt(now)
        )));
    }
    Ok(())
}

/// The canonical request, as the client built it from what it declares signed.
fn canonical_request(
    request: &Signed<'_>,
    query: &[(String, String)],
    sig: &Signature<'_>,
) -> Result<String, ApiError> {
    let names: Vec<&str> = sig.signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.".into()));
    }
    let mut headers = String::new();
    for name in &names {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| !(sig.presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    // Services other than S3 sign the path encoded once more (each segment).
    let path: Vec<String> = request.uri.path().split('/').map(encode).collect();
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        path.join("/"),
        query.join("&"),
        headers,
        sig.signed_headers,
        hex(&Sha256::digest(request.body))
    ))
}

/// The query string's pairs, percent-decoded (`+` stays `+`, as SigV4 reads it).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

/// RFC 3986 encoding: everything but the unreserved characters.
const SIGV4_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_SET).to_string()
}

fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn error(aws_type: &'static str, message: String) -> ApiError {
    ApiError { aws_type, message, status: StatusCode::BAD_REQUEST }
}

fn invalid(message: String) -> ApiError {
    error("InvalidSignatureException", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_file_maps_keys_to_accounts() {
        let keys =
            AccessKeys::parse("# comment\n\nAKID1 secret1 111111111111\nAKID2 s2 222222222222\n")
                .unwrap();
        assert_eq!(keys.keys["AKID2"].account, "222222222222");
        assert!(AccessKeys::parse("AKID1 secret1 12345").is_err(), "a short account id");
        assert!(AccessKeys::parse("AKID1 secret1").is_err(), "a missing field");
        assert!(AccessKeys::parse("A s 111111111111\nA t 111111111111").is_err(), "twice");
        assert!(AccessKeys::parse("# nothing\n").is_err(), "no keys");
    }

    #[test]
    fn times_outside_the_window_are_refused() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let at = |offset: i64| {
            if offset >= 0 {
                now + Duration::from_secs(offset as u64)
            } else {
                now - Duration::from_secs((-offset) as u64)
            }
        };
        assert!(check_time(at(-299), None, now).is_ok());
        assert!(check_time(at(299), None, now).is_ok());
        let old = check_time(at(-301), None, now).unwrap_err();
        assert!(old.message.starts_with("Signature expired: "), "{}", old.message);
        let future = check_time(at(301), None, now).unwrap_err();
        assert!(future.message.starts_with("Signature not yet current: "), "{}", future.message);
        // A presigned URL lives for its X-Amz-Expires.
        assert!(check_time(at(-3000), Some(3600), now).is_ok());
        assert!(check_time(at(-3601), Some(3600), now).is_err());
    }
}
