//! EventBridge connections, read from a local file.
//!
//! On AWS an HTTP Task names an EventBridge connection (`Authentication.ConnectionArn`)
//! that holds the credentials and the extra parameters of every request. Stepwise has no
//! EventBridge, so connections come from a JSON file whose entries have the shape of
//! EventBridge's `CreateConnection` request (`AuthorizationType`, `AuthParameters`), keyed
//! by connection ARN: what `aws events create-connection` was given can be pasted as is.
//!
//! ```json
//! {"Connections": {
//!   "arn:aws:events:us-east-1:123456789012:connection/stripe/1": {
//!     "AuthorizationType": "API_KEY",
//!     "AuthParameters": {
//!       "ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer sk_test"},
//!       "InvocationHttpParameters": {"HeaderParameters": [{"Key": "Stripe-Version", "Value": "2024-06-20"}]}
//!     }
//!   }
//! }}
//! ```
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a connections file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the connections file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not JSON of the expected shape.
    #[error("the connections file {path} is not valid: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and why.
        source: serde_json::Error,
    },
    /// A connection lacks what its authorization type needs.
    #[error("connection {arn}: {problem}")]
    Connection {
        /// The connection's ARN.
        arn: String,
        /// What is wrong.
        problem: String,
    },
}

/// The connections an HTTP Task may name, by ARN.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    by_arn: HashMap<String, Connection>,
    /// Where they came from, for the error naming a missing one.
    source: Option<PathBuf>,
}

/// One connection: how requests are authorized and what they carry besides.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub auth: Auth,
    /// `InvocationHttpParameters`: added to every request, winning over the task's own.
    pub invocation: HttpParameters,
}

/// A connection's authorization.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// `Authorization: Basic base64(username:password)`.
    Basic { username: String, password: String },
    /// A header named `name` with the key as its value.
    ApiKey { name: String, value: String },
    /// A bearer token from an OAuth client-credentials exchange.
    ClientCredentials(OAuthClient),
}

/// Where and how an OAuth connection gets its tokens.
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    pub endpoint: String,
    /// `GET`, `POST` or `PUT`.
    pub method: String,
    pub client_id: String,
    pub client_secret: String,
    /// `OAuthHttpParameters`: sent to the token endpoint.
    pub parameters: HttpParameters,
}

/// Header, query string and body parameters, in the file's order.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpParameters {
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Vec<(String, String)>,
}

impl Connections {
    /// No connections: every HTTP Task fails, naming its connection.
    pub fn none() -> Connections {
        Connections::default()
    }

    /// Reads the connections file at `path`.
    pub fn load(path: &Path) -> Result<Connections, LoadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
        let mut connections = Connections::parse(&text).map_err(|e| e.with_path(path))?;
        connections.source = Some(path.to_owned());
        Ok(connections)
    }

    /// Reads connections from the text of a connections file.
    pub fn parse(text: &str) -> Result<Connections, LoadError> {
        let file: wire::File = serde_json::from_str(text)
            .map_err(|source| LoadError::Parse { path: PathBuf::new(), source })?;
        let mut by_arn = HashMap::new();
        for (arn, entry) in file.connections {
            let connection = entry
                .resolve()
                .map_err(|problem| LoadError::Connection { arn: arn.clone(), problem })?;
            by_arn.insert(arn, connection);
        }
        Ok(Connections { by_arn, source: None })
    }

    /// How many connections there are.
    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }

    pub(crate) fn get(&self, arn: &str) -> Option<&Connection> {
        self.by_arn.get(arn)
    }

    /// Where a missing connection was looked for, for its error's cause.
    pub(crate) fn looked_in(&self) -> String {
        match &self.source {
            Some(path) => format!("it is not in the connections file {}", path.display()),
            None => "no connections file is configured (stepwise serve --connections FILE, or STEPWISE_CONNECTIONS)".into(),
        }
    }
}

impl LoadError {
    fn with_path(self, path: &Path) -> LoadError {
        match self {
            LoadError::Parse { source, .. } => LoadError::Parse { path: path.to_owned(), source },
            other => other,
        }
    }
}

/// The file as written: EventBridge's names.
mod wire {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct File {
        #[serde(rename = "Connections")]
        pub connections: BTreeMap<String, Entry>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    pub(super) struct Entry {
        authorization_type: String,
        auth_parameters: AuthParameters,
        /// Accepted so that `create-connection` input pastes unchanged; not used.
        #[serde(default)]
        #[allow(dead_code)]
        name: Option<String>,
        #[serde(default)]
        #[allow(dead_code)]
        description: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct AuthParameters {
        basic_auth_parameters: Option<Basic>,
        api_key_auth_parameters: Option<ApiKey>,
        #[serde(rename = "OAuthParameters")]
        oauth_parameters: Option<OAuth>,
        invocation_http_parameters: Option<Parameters>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Basic {
        username: String,
        password: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct ApiKey {
        api_key_name: String,
        api_key_value: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct OAuth {
        authorization_endpoint: String,
        http_method: String,
        client_parameters: Client,
        #[serde(rename = "OAuthHttpParameters")]
        oauth_http_parameters: Option<Parameters>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Client {
        #[serde(rename = "ClientID")]
        client_id: String,
        #[serde(rename = "ClientSecret")]
        client_secret: String,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Parameters {
        #[serde(default)]
        header_parameters: Vec<Parameter>,
        #[serde(default)]
        query_string_parameters: Vec<Parameter>,
        #[serde(default)]
        body_parameters: Vec<Parameter>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Parameter {
        key: String,
        value: String,
        /// EventBridge's flag for what it masks in its answers; Stepwise shows none.
        #[serde(default)]
        #[allow(dead_code)]
        is_value_secret: bool,
    }

    impl Parameters {
        fn resolve(self) -> HttpParameters {
            let pairs = |list: Vec<Parameter>| list.into_iter().map(|p| (p.key, p.value)).collect();
            HttpParameters {
                headers: pairs(self.header_parameters),
                query: pairs(self.query_string_parameters),
                body: pairs(self.body_parameters),
            }
        }
    }

    impl Entry {
        pub(super) fn resolve(self) -> Result<Connection, String> {
            let p = self.auth_parameters;
            let auth = match self.authorization_type.as_str() {
                "BASIC" => {
                    let b = p.basic_auth_parameters.ok_or("BASIC needs AuthParameters.BasicAuthParameters")?;
                    Auth::Basic { username: b.username, password: b.password }
                }
                "API_KEY" => {
                    let k = p.api_key_auth_parameters.ok_or("API_KEY needs AuthParameters.ApiKeyAuthParameters")?;
                    if hyper::header::HeaderName::from_bytes(k.api_key_name.as_bytes()).is_err() {
                        return Err(format!("ApiKeyName '{}' is not a header name", k.api_key_name));
                    }
                    Auth::ApiKey { name: k.api_key_name, value: k.api_key_value }
                }
                "OAUTH_CLIENT_CREDENTIALS" => {
                    let o = p.oauth_parameters.ok_or("OAUTH_CLIENT_CREDENTIALS needs AuthParameters.OAuthParameters")?;
                    if !matches!(o.http_method.as_str(), "GET" | "POST" | "PUT") {
                        return Err(format!("OAuthParameters.HttpMethod must be GET, POST or PUT, not '{}'", o.http_method));
                    }
                    if o.authorization_endpoint.parse::<hyper::Uri>().map_or(true, |u| u.host().is_none()) {
                        return Err(format!("AuthorizationEndpoint '{}' is not a URL", o.authorization_endpoint));
                    }
                    Auth::ClientCredentials(OAuthClient {
                        endpoint: o.authorization_endpoint,
                        method: o.http_method,
                        client_id: o.client_parameters.client_id,
                        client_secret: o.client_parameters.client_secret,
                        parameters: o.oauth_http_parameters.unwrap_or_default().resolve(),
                    })
                }
                other => {
                    return Err(format!(
                        "AuthorizationType must be BASIC, API_KEY or OAUTH_CLIENT_CREDENTIALS, not '{other}'"
                    ))
                }
            };
            Ok(Connection {
                auth,
                invocation: p.invocation_http_parameters.unwrap_or_default().resolve(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_authorization_type() {
        let c = Connections::parse(
            r#"{"Connections": {
                "arn:b": {"AuthorizationType": "BASIC", "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}},
                "arn:k": {"AuthorizationType": "API_KEY", "AuthParameters": {
                    "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "v"},
                    "InvocationHttpParameters": {"HeaderParameters": [{"Key": "h", "Value": "1", "IsValueSecret": true}],
                                                 "BodyParameters": [{"Key": "b", "Value": "2"}]}}},
                "arn:o": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {"OAuthParameters": {
                    "AuthorizationEndpoint": "https://auth.example.com/token", "HttpMethod": "POST",
                    "ClientParameters": {"ClientID": "id", "ClientSecret": "s"},
                    "OAuthHttpParameters": {"BodyParameters": [{"Key": "audience", "Value": "api"}]}}}}
            }}"#,
        )
        .unwrap();
        assert_eq!(c.len(), 3);
        assert!(
            matches!(&c.get("arn:b").unwrap().auth, Auth::Basic { username, password } if username == "u" && password == "p")
        );
        let k = c.get("arn:k").unwrap();
        assert!(
            matches!(&k.auth, Auth::ApiKey { name, value } if name == "x-api-key" && value == "v")
        );
        assert_eq!(k.invocation.headers, vec![("h".to_owned(), "1".to_owned())]);
        assert_eq!(k.invocation.body, vec![("b".to_owned(), "2".to_owned())]);
        let Auth::ClientCredentials(o) = &c.get("arn:o").unwrap().auth else { panic!("OAuth") };
        assert_eq!((o.client_id.as_str(), o.method.as_str()), ("id", "POST"));
        assert_eq!(o.parameters.body, vec![("audience".to_owned(), "api".to_owned())]);
    }

    #[test]
    fn refuses_what_eventbridge_would() {
        let problem = |text: &str| Connections::parse(text).unwrap_err().to_string();
        assert_eq!(
            problem(
                r#"{"Connections": {"arn:x": {"AuthorizationType": "BASIC", "AuthParameters": {}}}}"#
            ),
            "connection arn:x: BASIC needs AuthParameters.BasicAuthParameters"
        );
        assert_eq!(
            problem(r#"{"Connections": {"arn:x": {"AuthorizationType": "DIGEST", "AuthParameters": {}}}}"#),
            "connection arn:x: AuthorizationType must be BASIC, API_KEY or OAUTH_CLIENT_CREDENTIALS, not 'DIGEST'"
        );
        assert!(problem(r#"{"Connections": {}, "Extra": 1}"#).contains("unknown field `Extra`"));
    }
}
