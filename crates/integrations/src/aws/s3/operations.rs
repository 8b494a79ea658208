//! The S3 actions Stepwise calls and where each of their parameters goes on the wire.
//! S3 is REST-XML: the bucket and key are the path, the other members are bound to
//! headers, the query or the body, as S3's API model binds them. A parameter not listed
//! here is refused by name rather than dropped, so a workflow never silently loses one.
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};
use stepwise_asl::Fault;

use crate::aws::config::Endpoint;
use crate::aws::protocol::CALL_DEADLINE;
use crate::aws::service::Service;
use crate::aws::transport::Request;

/// What an action's successful answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Members bound to headers only (putObject, deleteObject, createBucket).
    Headers(&'static [&'static str]),
    /// Header members, `Metadata` from `x-amz-meta-*`, and the object as `Body` (getObject).
    Object(&'static [&'static str]),
    /// An XML document (listObjects, listObjectsV2).
    Xml,
    /// Nothing (deleteBucket).
    Empty,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bind {
    Header(&'static str),
    Query(&'static str),
    /// `Metadata`: each entry as `x-amz-meta-<name>`.
    Metadata,
    /// `Body` of putObject: the value's JSON text, as Step Functions sends it.
    Body,
    /// createBucket's `CreateBucketConfiguration`, as an XML body.
    BucketConfiguration,
}

/// One S3 action.
#[derive(Debug)]
pub(crate) struct Operation {
    pub action: &'static str,
    method: &'static str,
    /// Whether the path names an object (`/bucket/key`) or the bucket (`/bucket`).
    object: bool,
    /// Query members every call carries (`list-type=2`).
    fixed_query: &'static [(&'static str, &'static str)],
    members: &'static [(&'static str, Bind)],
    pub answer: Answer,
}

/// Checksums and server-side encryption come back on every write and read of an object.
const GET_OBJECT_ANSWER: &[&str] = &[
    "AcceptRanges",
    "BucketKeyEnabled",
    "CacheControl",
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
    "ChecksumType",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentLength",
    "ContentRange",
    "ContentType",
    "DeleteMarker",
    "ETag",
    "Expiration",
    "LastModified",
    "MissingMeta",
    "ObjectLockLegalHoldStatus",
    "ObjectLockMode",
    "ObjectLockRetainUntilDate",
    "PartsCount",
    "ReplicationStatus",
    "RequestCharged",
    "Restore",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "SSEKMSKeyId",
    "ServerSideEncryption",
    "StorageClass",
    "TagCount",
    "VersionId",
    "WebsiteRedirectLocation",
];

const PUT_OBJECT_ANSWER: &[&str] = &[
    "BucketKeyEnabled",
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
    "ChecksumType",
    "ETag",
    "Expiration",
    "RequestCharged",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "SSEKMSEncryptionContext",
    "SSEKMSKeyId",
    "ServerSideEncryption",
    "Size",
    "VersionId",
];

const OWNER_AND_PAYER: [(&str, Bind); 2] = [
    ("ExpectedBucketOwner", Bind::Header("x-amz-expected-bucket-owner")),
    ("RequestPayer", Bind::Header("x-amz-request-payer")),
];

/// Every action served, by its name in the resource (`getObject`).
pub(crate) const OPERATIONS: &[Operation] = &[
    Operation {
        action: "getObject",
        method: "GET",
        object: true,
        fixed_query: &[],
        members: &[
            OWNER_AND_PAYER[0],
            OWNER_AND_PAYER[1],
            ("VersionId", Bind::Query("versionId")),
            ("PartNumber", Bind::Query("partNumber")),
            ("Range", Bind::Header("range")),
            ("IfMatch", Bind::Header("if-match")),
            ("IfNoneMatch", Bind::Header("if-none-match")),
            ("IfModifiedSince", Bind::Header("if-modified-since")),
            ("IfUnmodifiedSince", Bind::Header("if-unmodified-since")),
            ("ChecksumMode", Bind::Header("x-amz-checksum-mode")),
            ("ResponseCacheControl", Bind::Query("response-cache-control")),
            ("ResponseContentDisposition", Bind::Query("response-content-disposition")),
            ("ResponseContentEncoding", Bind::Query("response-content-encoding")),
            ("ResponseContentLanguage", Bind::Query("response-content-language")),
            ("ResponseContentType", Bind::Query("response-content-type")),
            ("ResponseExpires", Bind::Query("response-expires")),
        ],
        answer: Answer::Object(GET_OBJECT_ANSWER),
    },
    Operation {
        action: "putObject",
        method: "PUT",
        object: true,
        fixed_query: &[],
        members: &[
            OWNER_AND_PAYER[0],
            OWNER_AND_PAYER[1],
            ("Body", Bind::Body),
            ("Metadata", Bind::Metadata),
            ("ACL", Bind::Header("x-amz-acl")),
            ("CacheControl", Bind::Header("cache-control")),
            ("ContentDisposition", Bind::Header("content-disposition")),
            ("ContentEncoding", Bind::Header("content-encoding")),
            ("ContentLanguage", Bind::Header("content-language")),
            ("ContentType", Bind::Header("content-type")),
            ("IfMatch", Bind::Header("if-match")),
            ("IfNoneMatch", Bind::Header("if-none-match")),
            ("ServerSideEncryption", Bind::Header("x-amz-server-side-encryption")),
            ("SSEKMSKeyId", Bind::Header("x-amz-server-side-encryption-aws-kms-key-id")),
            ("BucketKeyEnabled", Bind::Header("x-amz-server-side-encryption-bucket-key-enabled")),
            ("StorageClass", Bind::Header("x-amz-storage-class")),
            ("Tagging", Bind::Header("x-amz-tagging")),
            ("WebsiteRedirectLocation", Bind::Header("x-amz-website-redirect-location")),
            ("ObjectLockMode", Bind::Header("x-amz-object-lock-mode")),
            ("ObjectLockRetainUntilDate", Bind::Header("x-amz-object-lock-retain-until-date")),
            ("ObjectLockLegalHoldStatus", Bind::Header("x-amz-object-lock-legal-hold")),
        ],
        answer: Answer::Headers(PUT_OBJECT_ANSWER),
    },
    Operation {
        action: "deleteObject",
        method: "DELETE",
        object: true,
        fixed_query: &[],
        members: &[
            OWNER_AND_PAYER[0],
            OWNER_AND_PAYER[1],
            ("VersionId", Bind::Query("versionId")),
            ("MFA", Bind::Header("x-amz-mfa")),
            ("BypassGovernanceRetention", Bind::Header("x-amz-bypass-governance-retention")),
            ("IfMatch", Bind::Header("if-match")),
        ],
        answer: Answer::Headers(&["DeleteMarker", "RequestCharged", "VersionId"]),
    },
    Operation {
        action: "listObjectsV2",
        method: "GET",
        object: false,
        fixed_query: &[("list-type", "2")],
        members: &[
            OWNER_AND_PAYER[0],
            OWNER_AND_PAYER[1],
            ("Prefix", Bind::Query("prefix")),
            ("Delimiter", Bind::Query("delimiter")),
            ("MaxKeys", Bind::Query("max-keys")),
            ("ContinuationToken", Bind::Query("continuation-token")),
            ("StartAfter", Bind::Query("start-after")),
            ("FetchOwner", Bind::Query("fetch-owner")),
            ("EncodingType", Bind::Query("encoding-type")),
        ],
        answer: Answer::Xml,
    },
    Operation {
        action: "listObjects",
        method: "GET",
        object: false,
        fixed_query: &[],
        members: &[
            OWNER_AND_PAYER[0],
            OWNER_AND_PAYER[1],
            ("Prefix", Bind::Query("prefix")),
            ("Delimiter", Bind::Query("delimiter")),
            ("Marker", Bind::Query("marker")),
            ("MaxKeys", Bind::Query("max-keys")),
            ("EncodingType", Bind::Query("encoding-type")),
        ],
        answer: Answer::Xml,
    },
    Operation {
        action: "createBucket",
        method: "PUT",
        object: false,
        fixed_query: &[],
        members: &[
            ("ACL", Bind::Header("x-amz-acl")),
            ("CreateBucketConfiguration", Bind::BucketConfiguration),
            ("ObjectLockEnabledForBucket", Bind::Header("x-amz-bucket-object-lock-enabled")),
            ("ObjectOwnership", Bind::Header("x-amz-object-ownership")),
        ],
        answer: Answer::Headers(&["BucketArn", "Location"]),
    },
    Operation {
        action: "deleteBucket",
        method: "DELETE",
        object: false,
        fixed_query: &[],
        members: &[OWNER_AND_PAYER[0]],
        answer: Answer::Empty,
    },
];

/// Percent-encoding of a key in the path: everything but RFC 3986's unreserved
/// characters and the `/` that S3 keys use as separators.
const KEY: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');
/// Percent-encoding of a path segment or query value: everything but the unreserved.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

impl Operation {
    /// The action named `action`, if Stepwise calls it.
    pub(crate) fn named(action: &str) -> Option<&'static Operation> {
        OPERATIONS.iter().find(|o| o.action == action)
    }

    fn resource(&self) -> String {
        format!("arn:aws:states:::aws-sdk:s3:{}", self.action)
    }

    /// The request for `parameters` (the state's evaluated Parameters) to `endpoint`, path-style.
    pub(crate) fn request(
        &self,
        parameters: &Map<String, Value>,
        region: &str,
        endpoint: Endpoint,
    ) -> Result<Request, Fault> {
        let bucket = self.required(parameters, "Bucket")?;
        let mut path = format!("/{}", utf8_percent_encode(bucket, STRICT));
        if self.object {
            let key = self.required(parameters, "Key")?;
            path.push('/');
            path.extend(utf8_percent_encode(key, KEY));
        }
        let mut query: Vec<(String, String)> =
            self.fixed_query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut body = Vec::new();
        for (name, value) in parameters {
            if name == "Bucket" || (self.object && name == "Key") || value.is_null() {
                continue;
            }
            let bind = self
                .members
                .iter()
                .find(|(m, _)| *m == name.as_str())
                .map(|(_, b)| *b)
                .ok_or_else(|| {
                    Fault::runtime(format!(
                        "Stepwise does not pass the parameter '{name}' of {} yet",
                        self.resource()
                    ))
                })?;
            match bind {
                Bind::Header(header) => headers.push((header.to_owned(), self.text(name, value)?)),
                Bind::Query(q) => query.push((q.to_owned(), self.text(name, value)?)),
                Bind::Metadata => {
                    let Value::Object(entries) = value else {
                        return Err(self.invalid(name, "an object of strings"));
                    };
                    for (k, v) in entries {
                        let header = format!("x-amz-meta-{}", k.to_ascii_lowercase());
                        headers.push((header, self.text(name, v)?));
                    }
                }
                Bind::Body => body = serde_json::to_vec(value).unwrap_or_default(),
                Bind::BucketConfiguration => body = self.bucket_configuration(value)?,
            }
        }
        if self.action == "putObject" {
            if !headers.iter().any(|(h, _)| h == "content-type") {
                headers.push(("content-type".into(), "text/plain; charset=UTF-8".into()));
            }
            // The SDK for Java v2 sends a CRC32 of every upload; S3 answers it back as
            // `ChecksumCRC32`, as AWS's records show.
            headers.push(("x-amz-sdk-checksum-algorithm".into(), "CRC32".into()));
            headers.push(("x-amz-checksum-crc32".into(), crc32_base64(&body)));
        }
        if !query.is_empty() {
            let pairs: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, STRICT)))
                .collect();
            path.push('?');
            path.push_str(&pairs.join("&"));
        }
        Ok(Request {
            service: Service::S3,
            region: region.to_owned(),
            endpoint,
            method: self.method,
            path,
            headers,
            body,
            deadline: CALL_DEADLINE,
        })
    }

    fn required<'a>(&self, p: &'a Map<String, Value>, name: &str) -> Result<&'a str, Fault> {
        crate::aws::protocol::required_str(p, name, &self.resource())
    }

    /// A scalar parameter as header or query text.
    fn text(&self, name: &str, value: &Value) -> Result<String, Fault> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.invalid(name, "a string, number or boolean")),
        }
    }

    fn invalid(&self, name: &str, expected: &str) -> Fault {
        Fault::runtime(format!("The parameter '{name}' of {} must be {expected}", self.resource()))
    }

    /// `{"LocationConstraint": "eu-west-1"}` as S3's XML.
    fn bucket_configuration(&self, value: &Value) -> Result<Vec<u8>, Fault> {
        let Value::Object(members) = value else {
            return Err(self.invalid("CreateBucketConfiguration", "an object"));
        };
        let mut xml = String::from(
            r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
        );
        for (name, v) in members {
            if name != "LocationConstraint" {
                return Err(Fault::runtime(format!(
                    "Stepwise does not pass the parameter 'CreateBucketConfiguration.{name}' of {} yet",
                    self.resource()
                )));
            }
            let text = self.text("CreateBucketConfiguration.LocationConstraint", v)?;
            xml.push_str(&format!(
                "<LocationConstraint>{}</LocationConstraint>",
                quick_xml::escape::escape(text.as_str())
            ));
        }
        xml.push_str("</CreateBucketConfiguration>");
        Ok(xml.into_bytes())
    }
}

/// CRC-32 (IEEE 802.3, as zlib computes it) of `data`, big-endian, in base64: the
/// `x-amz-checksum-crc32` header.
fn crc32_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    base64::engine::general_purpose::STANDARD.encode((!crc).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint() -> Endpoint {
        Endpoint { url: "http://127.0.0.1:9".into(), overridden: true }
    }

    #[test]
    fn checksums_match_the_ones_aws_recorded() {
        // test_s3_put_object: the bodies' JSON texts and the ChecksumCRC32 AWS answered.
        assert_eq!(crc32_base64(br#""text data""#), "KUmHvQ==");
        assert_eq!(crc32_base64(br#"{"Dict":"Value"}"#), "hnEfWw==");
        assert_eq!(crc32_base64(b"false"), "K81oMA==");
        assert_eq!(crc32_base64(b"0"), "9NvfIQ==");
    }

    #[test]
    fn requests_are_path_style_with_bound_members() {
        let put = Operation::named("putObject").unwrap();
        let p = json!({"Bucket": "b", "Key": "dir/a b+c.json", "Body": "text data",
            "Metadata": {"Owner": "me"}, "Tagging": "k=v"});
        let r = put.request(p.as_object().unwrap(), "us-east-1", endpoint()).unwrap();
        assert_eq!((r.method, r.path.as_str()), ("PUT", "/b/dir/a%20b%2Bc.json"));
        assert_eq!(r.body, br#""text data""#);
        let header = |n: &str| r.headers.iter().find(|(h, _)| h == n).map(|(_, v)| v.as_str());
        assert_eq!(header("x-amz-meta-owner"), Some("me"));
        assert_eq!(header("x-amz-tagging"), Some("k=v"));
        assert_eq!(header("content-type"), Some("text/plain; charset=UTF-8"));
        assert_eq!(header("x-amz-checksum-crc32"), Some("KUmHvQ=="));

        let list = Operation::named("listObjectsV2").unwrap();
        let p = json!({"Bucket": "b", "Prefix": "a/", "MaxKeys": 2});
        let r = list.request(p.as_object().unwrap(), "us-east-1", endpoint()).unwrap();
        assert_eq!(r.path, "/b?list-type=2&prefix=a%2F&max-keys=2");

        let unknown = json!({"Bucket": "b", "Key": "k", "Nope": 1});
        let fault = Operation::named("getObject")
            .unwrap()
            .request(unknown.as_object().unwrap(), "us-east-1", endpoint())
            .unwrap_err();
        assert_eq!(fault.error, "States.Runtime");
        assert!(fault.cause.contains("'Nope'"), "{}", fault.cause);
        assert!(Operation::named("selectObjectContent").is_none());
    }

    #[test]
    fn bucket_configuration_is_xml() {
        let create = Operation::named("createBucket").unwrap();
        let p = json!({"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}});
        let r = create.request(p.as_object().unwrap(), "eu-west-1", endpoint()).unwrap();
        assert_eq!(r.path, "/b");
        assert!(String::from_utf8(r.body)
            .unwrap()
            .contains("<LocationConstraint>eu-west-1</LocationConstraint>"));
    }
}
