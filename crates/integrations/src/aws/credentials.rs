//! Credentials from the standard sources, in the SDKs' order: the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the shared
//! files (`~/.aws/credentials`, then `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE`
//! and `AWS_CONFIG_FILE`) for the profile `AWS_PROFILE` names (`default` otherwise).
//!
//! Only static keys are read: a profile that assumes a role, runs a process or uses
//! SSO is not followed (its calls go unsigned and the service says so).
use std::path::PathBuf;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::config::AwsConfig;

/// Static keys, as SigV4 needs them.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("Keys").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Reads the chain once and again every few minutes, so rotated files are picked up
/// without a file read per call.
#[derive(Debug)]
pub(crate) struct CredentialCache {
    cached: Mutex<Option<(Instant, Option<Keys>)>>,
}

const REFRESH: Duration = Duration::from_secs(300);

impl CredentialCache {
    pub(crate) fn new() -> Self {
        CredentialCache { cached: Mutex::new(None) }
    }

    pub(crate) fn get(&self, config: &AwsConfig) -> Option<Keys> {
        let mut cached = self.cached.lock();
        if let Some((at, keys)) = cached.as_ref() {
            if at.elapsed() < REFRESH {
                return keys.clone();
            }
        }
        let keys = resolve(config);
        *cached = Some((Instant::now(), keys.clone()));
        keys
    }
}

/// The first credentials the chain finds.
pub fn resolve(config: &AwsConfig) -> Option<Keys> {
    from_env(config).or_else(|| from_files(config))
}

fn from_env(config: &AwsConfig) -> Option<Keys> {
    Some(Keys {
        access_key_id: config.var("AWS_ACCESS_KEY_ID")?.to_owned(),
        secret_access_key: config.var("AWS_SECRET_ACCESS_KEY")?.to_owned(),
        session_token: config.var("AWS_SESSION_TOKEN").map(str::to_owned),
    })
}

fn from_files(config: &AwsConfig) -> Option<Keys> {
    let profile = config.var("AWS_PROFILE").unwrap_or("default");
    let home = config.var("HOME").or_else(|| config.var("USERPROFILE")).map(PathBuf::from);
    let path = |var: &str, name: &str| {
        config
            .var(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    if let Some(text) = path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        if let Some(keys) = keys_in(&text, profile) {
            return Some(keys);
        }
    }
    // The config file names profiles `[profile NAME]`, except `[default]`.
    let section =
        if profile == "default" { "default".to_owned() } else { format!("profile {profile}") };
    let text = std::fs::read_to_string(path("AWS_CONFIG_FILE", "config")?).ok()?;
    keys_in(&text, &section)
}

/// The keys of `[section]` in an INI file as the AWS files write it.
fn keys_in(text: &str, section: &str) -> Option<Keys> {
    let mut current = None::<String>;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        if current.as_deref() != Some(section) {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let value = value.trim().to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "aws_access_key_id" => id = Some(value),
            "aws_secret_access_key" => secret = Some(value),
            "aws_session_token" => token = Some(value),
            _ => {}
        }
    }
    Some(Keys { access_key_id: id?, secret_access_key: secret?, session_token: token })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> AwsConfig {
        AwsConfig::with_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn environment_first() {
        let c = config(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET"),
            ("AWS_SESSION_TOKEN", "TOKEN"),
        ]);
        let keys = resolve(&c).unwrap();
        assert_eq!(keys.access_key_id, "AKID");
        assert_eq!(keys.session_token.as_deref(), Some("TOKEN"));
        assert!(!format!("{keys:?}").contains("SECRET"));
    }

    #[test]
    fn shared_files_by_profile() {
        let dir = std::env::temp_dir().join(format!("stepwise-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let creds = dir.join("credentials");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n# a comment\n[work]\naws_access_key_id=W\naws_secret_access_key=WS\naws_session_token=WT\n",
        )
        .unwrap();
        let conf = dir.join("config");
        std::fs::write(&conf, "[profile other]\nregion = eu-west-1\naws_access_key_id = O\naws_secret_access_key = OS\n").unwrap();
        let files = |profile: &str| {
            config(&[
                ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
                ("AWS_CONFIG_FILE", conf.to_str().unwrap()),
                ("AWS_PROFILE", profile),
            ])
        };
        assert_eq!(resolve(&files("default")).unwrap().access_key_id, "D");
        let work = resolve(&files("work")).unwrap();
        assert_eq!((work.access_key_id.as_str(), work.session_token.as_deref()), ("W", Some("WT")));
        assert_eq!(resolve(&files("other")).unwrap().secret_access_key, "OS");
        assert_eq!(resolve(&files("missing")), None);
        let home = config(&[("HOME", dir.to_str().unwrap())]);
        assert_eq!(resolve(&home), None, "HOME/.aws does not exist here");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
