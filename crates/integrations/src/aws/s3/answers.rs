//! S3's answers as Step Functions shows them: members bound to headers (typed: numbers,
//! booleans, dates as the SDK for Java prints an `Instant`), `Body` as text, XML
//! documents as objects, and errors named after the SDK for Java v2's exceptions
//! (`S3.NoSuchKeyException`, with `Extended Request ID:` in the cause).
use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use stepwise_asl::Fault;

use super::operations::Answer;
use crate::aws::errors::with_exception_suffix;
use crate::aws::service::Service;
use crate::aws::transport::Reply;
use crate::aws::xml::{self, Element};

/// How a member's text becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Boolean,
    /// An HTTP date in a header (`Wed, 21 Oct 2015 07:28:00 GMT`).
    HttpDate,
    /// ISO 8601, in XML and a few headers.
    IsoDate,
}

/// The header each header-bound member of an answer is read from.
const HEADER_MEMBERS: &[(&str, &str, Kind)] = &[
    ("AcceptRanges", "accept-ranges", Kind::Text),
    ("BucketArn", "x-amz-bucket-arn", Kind::Text),
    ("BucketKeyEnabled", "x-amz-server-side-encryption-bucket-key-enabled", Kind::Boolean),
    ("CacheControl", "cache-control", Kind::Text),
    ("ChecksumCRC32", "x-amz-checksum-crc32", Kind::Text),
    ("ChecksumCRC32C", "x-amz-checksum-crc32c", Kind::Text),
    ("ChecksumCRC64NVME", "x-amz-checksum-crc64nvme", Kind::Text),
    ("ChecksumSHA1", "x-amz-checksum-sha1", Kind::Text),
    ("ChecksumSHA256", "x-amz-checksum-sha256", Kind::Text),
    ("ChecksumType", "x-amz-checksum-type", Kind::Text),
    ("ContentDisposition", "content-disposition", Kind::Text),
    ("ContentEncoding", "content-encoding", Kind::Text),
    ("ContentLanguage", "content-language", Kind::Text),
    ("ContentLength", "content-length", Kind::Integer),
    ("ContentRange", "content-range", Kind::Text),
    ("ContentType", "content-type", Kind::Text),
    ("DeleteMarker", "x-amz-delete-marker", Kind::Boolean),
    ("ETag", "etag", Kind::Text),
    ("Expiration", "x-amz-expiration", Kind::Text),
    ("LastModified", "last-modified", Kind::HttpDate),
    ("Location", "location", Kind::Text),
    ("MissingMeta", "x-amz-missing-meta", Kind::Integer),
    ("ObjectLockLegalHoldStatus", "x-amz-object-lock-legal-hold", Kind::Text),
    ("ObjectLockMode", "x-amz-object-lock-mode", Kind::Text),
    ("ObjectLockRetainUntilDate", "x-amz-object-lock-retain-until-date", Kind::IsoDate),
    ("PartsCount", "x-amz-mp-parts-count", Kind::Integer),
    ("ReplicationStatus", "x-amz-replication-status", Kind::Text),
    ("RequestCharged", "x-amz-request-charged", Kind::Text),
    ("Restore", "x-amz-restore", Kind::Text),
    ("SSECustomerAlgorithm", "x-amz-server-side-encryption-customer-algorithm", Kind::Text),
    ("SSECustomerKeyMD5", "x-amz-server-side-encryption-customer-key-md5", Kind::Text),
    ("SSEKMSEncryptionContext", "x-amz-server-side-encryption-context", Kind::Text),
    ("SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id", Kind::Text),
    ("ServerSideEncryption", "x-amz-server-side-encryption", Kind::Text),
    ("Size", "x-amz-object-size", Kind::Integer),
    ("StorageClass", "x-amz-storage-class", Kind::Text),
    ("TagCount", "x-amz-tagging-count", Kind::Integer),
    ("VersionId", "x-amz-version-id", Kind::Text),
    ("WebsiteRedirectLocation", "x-amz-website-redirect-location", Kind::Text),
];

/// Elements of the list answers that repeat (flattened lists in S3's model).
const XML_LISTS: &[&str] = &["Contents", "CommonPrefixes", "ChecksumAlgorithm"];
/// Elements of the list answers that are not text.
const XML_KINDS: &[(&str, Kind)] = &[
    ("IsTruncated", Kind::Boolean),
    ("IsRestoreInProgress", Kind::Boolean),
    ("MaxKeys", Kind::Integer),
    ("KeyCount", Kind::Integer),
    ("Size", Kind::Integer),
    ("LastModified", Kind::IsoDate),
    ("RestoreExpiryDate", Kind::IsoDate),
];
/// Members S3 URL-encodes when asked to (`EncodingType: url`); the SDK decodes them.
const URL_ENCODED: &[&str] = &["Key", "Prefix", "Delimiter", "Marker", "NextMarker", "StartAfter"];

/// A successful answer as the Task's result.
pub(crate) fn render(answer: Answer, reply: &Reply) -> Result<Value, Fault> {
    match answer {
        Answer::Empty => Ok(Value::Object(Map::new())),
        Answer::Headers(members) => Ok(Value::Object(header_members(members, reply))),
        Answer::Object(members) => {
            let mut out = header_members(members, reply);
            out.insert("Metadata".into(), Value::Object(metadata(reply)));
            sort(&mut out);
            // The object's content comes last, after the members in order, as AWS records it.
            out.insert("Body".into(), Value::String(String::from_utf8_lossy(&reply.body).into()));
            Ok(Value::Object(out))
        }
        Answer::Xml => {
            let text = String::from_utf8_lossy(&reply.body);
            let root = xml::parse(&text).map_err(|e| {
                Fault::new(
                    "S3.SdkClientException",
                    format!("Unable to unmarshall response ({e}). Response Code: {}", reply.status),
                )
            })?;
            let url_encoded = root.child("EncodingType").is_some_and(|e| e.text == "url");
            Ok(structure(&root, url_encoded))
        }
    }
}

fn header_members(members: &[&str], reply: &Reply) -> Map<String, Value> {
    let mut out = Map::new();
    for (member, header, kind) in HEADER_MEMBERS {
        if !members.contains(member) {
            continue;
        }
        if let Some(text) = reply.header(header) {
            out.insert((*member).to_owned(), typed(text, *kind));
        }
    }
    sort(&mut out);
    out
}

/// `x-amz-meta-<name>` headers, by name.
fn metadata(reply: &Reply) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in &reply.headers {
        if let Some(key) = name.as_str().strip_prefix("x-amz-meta-") {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            out.insert(key.to_owned(), Value::String(value));
        }
    }
    sort(&mut out);
    out
}

/// An element with children as an object, members in alphabetical order.
fn structure(element: &Element, url_encoded: bool) -> Value {
    let mut out = Map::new();
    for child in &element.children {
        let value = if child.children.is_empty() {
            let kind = XML_KINDS.iter().find(|(n, _)| *n == child.name).map_or(Kind::Text, |k| k.1);
            if url_encoded && URL_ENCODED.contains(&child.name.as_str()) {
                // As the SDK for Java's URL decoding: `+` is a space.
                let text = child.text.replace('+', " ");
                Value::String(percent_decode_str(&text).decode_utf8_lossy().into_owned())
            } else {
                typed(&child.text, kind)
            }
        } else {
            structure(child, url_encoded)
        };
        if XML_LISTS.contains(&child.name.as_str()) {
            let list = out.entry(child.name.clone()).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                items.push(value);
            }
        } else {
            out.insert(child.name.clone(), value);
        }
    }
    sort(&mut out);
    Value::Object(out)
}

fn typed(text: &str, kind: Kind) -> Value {
    let text = text.trim();
    let parsed = match kind {
        Kind::Text => None,
        Kind::Integer => text.parse::<i64>().ok().map(Value::from),
        Kind::Boolean => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Kind::HttpDate => DateTime::parse_from_rfc2822(text).ok().map(|d| instant(d.to_utc())),
        Kind::IsoDate => DateTime::parse_from_rfc3339(text).ok().map(|d| instant(d.to_utc())),
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// A date as Java's `Instant.toString()` prints it: `2024-05-01T12:00:00Z`, with only
/// as many fraction digits as it needs.
fn instant(date: DateTime<Utc>) -> Value {
    Value::String(date.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn sort(map: &mut Map<String, Value>) {
    let mut all: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    map.extend(all);
}

/// An error answer as the SDK for Java v2 raises it: `S3.<Code>Exception` for the errors
/// S3's model declares, `S3.S3Exception` for the rest.
pub(crate) fn fault(reply: &Reply) -> Fault {
    let text = String::from_utf8_lossy(&reply.body);
    let code = xml::text_of(&text, "Code").unwrap_or_else(|| status_code_name(reply.status));
    let message = xml::text_of(&text, "Message").unwrap_or_default();
    let request_id = reply
        .header("x-amz-request-id")
        .map(str::to_owned)
        .or_else(|| xml::text_of(&text, "RequestId"))
        .unwrap_or_default();
    let extended = reply
        .header("x-amz-id-2")
        .map(str::to_owned)
        .or_else(|| xml::text_of(&text, "HostId"))
        .filter(|e| !e.is_empty());
    let class = match Service::S3.modeled(&code) {
        Some(shape) => with_exception_suffix(shape),
        None => "S3Exception".to_owned(),
    };
    let mut cause =
        format!("{message} (Service: S3, Status Code: {}, Request ID: {request_id}", reply.status);
    if let Some(extended) = extended {
        cause.push_str(&format!(", Extended Request ID: {extended}"));
    }
    cause.push(')');
    Fault::new(format!("S3.{class}"), cause)
}

/// An error with no XML body (a HEAD request's): the SDKs name it after the status.
fn status_code_name(status: u16) -> String {
    match status {
        404 => "NotFound".into(),
        403 => "Forbidden".into(),
        400 => "BadRequest".into(),
        other => format!("Http{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply::for_test(status, headers, body)
    }

    #[test]
    fn get_object_as_aws_records_it() {
        let r = reply(
            200,
            &[
                ("accept-ranges", "bytes"),
                ("content-length", "9"),
                ("content-type", "binary/octet-stream"),
                ("etag", "\"332eec544317a6d340b8e77da7fe54ad\""),
                ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("x-amz-server-side-encryption", "AES256"),
                ("x-amz-request-id", "R"),
                ("date", "Wed, 21 Oct 2015 07:28:01 GMT"),
            ],
            "text data",
        );
        let get = super::super::operations::Operation::named("getObject").unwrap();
        let out = render(get.answer, &r).unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            json!({"AcceptRanges": "bytes", "ContentLength": 9, "ContentType": "binary/octet-stream",
                "ETag": "\"332eec544317a6d340b8e77da7fe54ad\"", "LastModified": "2015-10-21T07:28:00Z",
                "Metadata": {}, "ServerSideEncryption": "AES256", "Body": "text data"})
            .to_string()
        );
    }

    #[test]
    fn list_answers_are_typed_objects() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>a%20b</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents><EncodingType>url</EncodingType></ListBucketResult>"#;
        let out = render(Answer::Xml, &reply(200, &[], doc)).unwrap();
        assert_eq!(
            out,
            json!({"Contents": [{"ETag": "\"x\"", "Key": "a b", "LastModified": "2024-01-02T03:04:05Z",
                "Size": 12, "StorageClass": "STANDARD"}], "EncodingType": "url", "IsTruncated": false,
                "KeyCount": 1, "MaxKeys": 1000, "Name": "b", "Prefix": ""})
        );
        assert_eq!(out.as_object().unwrap().keys().next().map(String::as_str), Some("Contents"));
    }

    #[test]
    fn errors_by_name_with_extended_request_id() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>R1</RequestId><HostId>H1</HostId></Error>";
        let f = fault(&reply(404, &[], body));
        assert_eq!(f.error, "S3.NoSuchKeyException");
        assert_eq!(
            f.cause,
            "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: R1, Extended Request ID: H1)"
        );
        let denied = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        let f = fault(&reply(403, &[("x-amz-request-id", "R2"), ("x-amz-id-2", "H2")], denied));
        assert_eq!(f.error, "S3.S3Exception");
        assert_eq!(
            f.cause,
            "Access Denied (Service: S3, Status Code: 403, Request ID: R2, Extended Request ID: H2)"
        );
    }
}
