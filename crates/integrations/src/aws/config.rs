//! Where each service is called and with which environment: the endpoint resolution
//! the AWS SDKs do, plus AWS Step Functions Local's variables and Stepwise's own flags.
//!
//! Precedence, first match wins:
//! 1. an endpoint given to `stepwise serve --aws-endpoint SERVICE=URL` (or a config file),
//! 2. `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_DYNAMODB`, `…_SECRETS_MANAGER`, …),
//! 3. `AWS_ENDPOINT_URL`,
//! 4. Step Functions Local's variables (`LAMBDA_ENDPOINT`, `SQS_ENDPOINT`, …),
//! 5. the real endpoint of the region, `https://<prefix>.<region>.amazonaws.com`.
//!
//! The environment is read once, when the configuration is built, so that a server's
//! behaviour does not change under it and tests can give an environment of their own.
use std::collections::{BTreeMap, HashMap};

use super::service::Service;

/// What the AWS integrations need to know before their first call.
#[derive(Debug, Clone, Default)]
pub struct AwsConfig {
    /// Endpoints set explicitly (flags, config file): they win over the environment.
    endpoints: BTreeMap<Service, String>,
    /// The environment the configuration was built with.
    env: HashMap<String, String>,
}

/// Where one call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port][/base]`, without a trailing slash.
    pub url: String,
    /// Whether anything configured it (flag or environment); `false` for AWS's own
    /// endpoint of the region.
    pub overridden: bool,
}

impl AwsConfig {
    /// A configuration reading the process environment.
    pub fn from_env() -> AwsConfig {
        AwsConfig::with_env(std::env::vars())
    }

    /// A configuration with the given environment instead of the process's.
    pub fn with_env(vars: impl IntoIterator<Item = (String, String)>) -> AwsConfig {
        AwsConfig { endpoints: BTreeMap::new(), env: vars.into_iter().collect() }
    }

    /// Sets `service`'s endpoint, above every environment variable.
    pub fn set_endpoint(&mut self, service: Service, url: impl Into<String>) {
        self.endpoints.insert(service, trim(url.into()));
    }

    /// Applies a `SERVICE=URL` flag (`sqs=http://127.0.0.1:5000`); `SERVICE` is a
    /// service name as `aws-sdk:` resources spell it, or `events`/`states`.
    pub fn apply_endpoint_flag(&mut self, flag: &str) -> Result<(), String> {
        let (name, url) = flag.split_once('=').ok_or_else(|| {
            format!("'{flag}' is not SERVICE=URL (e.g. sqs=http://127.0.0.1:5000)")
        })?;
        let service = Service::from_key(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = Service::ALL.iter().map(|s| s.key()).collect();
            format!("unknown service '{name}' in --aws-endpoint (known: {})", known.join(", "))
        })?;
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("the endpoint of {name} must be an http(s) URL, not '{url}'"));
        }
        self.set_endpoint(service, url);
        Ok(())
    }

    /// An environment variable as the configuration saw it (empty counts as unset).
    pub(crate) fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// Where `service` is called for `region`.
    pub fn endpoint(&self, service: Service, region: &str) -> Endpoint {
        let configured = self
            .endpoints
            .get(&service)
            .cloned()
            .or_else(|| {
                self.var(&format!("AWS_ENDPOINT_URL_{}", service.endpoint_env_suffix()))
                    .map(str::to_owned)
            })
            .or_else(|| self.var("AWS_ENDPOINT_URL").map(str::to_owned))
            .or_else(|| {
                service.step_functions_local_env().and_then(|v| self.var(v)).map(str::to_owned)
            });
        match configured {
            Some(url) => Endpoint { url: trim(url), overridden: true },
            None => Endpoint { url: aws_endpoint(service, region), overridden: false },
        }
    }
}

/// AWS's own endpoint of `service` in `region` (China's regions have their own domain).
pub fn aws_endpoint(service: Service, region: &str) -> String {
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("https://{}.{region}.{domain}", service.endpoint_prefix())
}

fn trim(url: String) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> AwsConfig {
        AwsConfig::with_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn precedence_flag_then_service_then_global_then_sfn_local() {
        let mut c = env(&[
            ("AWS_ENDPOINT_URL_SQS", "http://sqs-env:1/"),
            ("AWS_ENDPOINT_URL", "http://global:2"),
            ("SQS_ENDPOINT", "http://sfn-local:3"),
            ("LAMBDA_ENDPOINT", "http://sfn-local-lambda:4"),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://sm:5"),
            ("AWS_ENDPOINT_URL_S3", "http://s3-env:7"),
        ]);
        assert_eq!(c.endpoint(Service::S3, "us-east-1").url, "http://s3-env:7");
        assert_eq!(c.endpoint(Service::Sqs, "us-east-1").url, "http://sqs-env:1");
        assert_eq!(c.endpoint(Service::DynamoDb, "us-east-1").url, "http://global:2");
        assert_eq!(c.endpoint(Service::SecretsManager, "us-east-1").url, "http://sm:5");
        c.apply_endpoint_flag("sqs=http://flag:6").unwrap();
        assert_eq!(c.endpoint(Service::Sqs, "us-east-1").url, "http://flag:6");

        let local = env(&[("LAMBDA_ENDPOINT", "http://sfn-local-lambda:4")]);
        assert_eq!(local.endpoint(Service::Lambda, "us-east-1").url, "http://sfn-local-lambda:4");
        let real = local.endpoint(Service::EventBridge, "eu-west-1");
        assert_eq!(
            real,
            Endpoint { url: "https://events.eu-west-1.amazonaws.com".into(), overridden: false }
        );
        assert_eq!(
            aws_endpoint(Service::Sqs, "cn-north-1"),
            "https://sqs.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn flags_are_checked() {
        let mut c = AwsConfig::default();
        assert!(c.apply_endpoint_flag("nosuch=http://x").unwrap_err().contains("unknown service"));
        assert!(c.apply_endpoint_flag("sqs").is_err());
        assert!(c.apply_endpoint_flag("sqs=ftp://x").is_err());
        c.apply_endpoint_flag("events=http://127.0.0.1:9").unwrap();
        assert_eq!(c.endpoint(Service::EventBridge, "us-east-1").url, "http://127.0.0.1:9");
        c.apply_endpoint_flag("s3=http://127.0.0.1:8").unwrap();
        assert_eq!(c.endpoint(Service::S3, "eu-west-1").url, "http://127.0.0.1:8");
        assert_eq!(aws_endpoint(Service::S3, "eu-west-1"), "https://s3.eu-west-1.amazonaws.com");
    }
}
