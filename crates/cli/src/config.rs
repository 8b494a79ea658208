//! `stepwise serve --config FILE`: serve's options from a TOML file.
//!
//! The file's keys are the flags' long names (`bind`, `data-dir`, `aws-endpoint`, …), so
//! a new flag is a new key without a second list to keep in step. Each value is handed
//! to clap as if it had been typed after the flags, but only for the options neither the
//! command line nor the environment set: a flag wins over its `STEPWISE_*` variable,
//! which wins over the file, which wins over the default. Values go through the flags'
//! own parsers, so a bad value in the file is refused with the same message as on the
//! command line, and a key that names no flag is refused by name.
use std::ffi::OsString;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use clap::parser::ValueSource;
use clap::{ArgMatches, Command, FromArgMatches};

/// The subcommand whose options a config file may hold.
const SUBCOMMAND: &str = "serve";
/// The option naming the file (not itself a key of the file).
const CONFIG_ARG: &str = "config";

/// Parses `args` into `P`; when `serve --config FILE` (or `STEPWISE_CONFIG`) names a
/// file, its keys fill the options the command line and the environment left unset.
///
/// A usage error is clap's (`Err(Usage)`, printed and exited by the caller as clap
/// would); a bad file is `Err(Config)`.
pub fn parse_with_config<P>(command: Command, args: Vec<OsString>) -> Result<P, ParseError>
where
    P: FromArgMatches,
{
    let matches = command.clone().try_get_matches_from(&args).map_err(ParseError::Usage)?;
    let Some(serve) = matches.subcommand_matches(SUBCOMMAND) else {
        return P::from_arg_matches(&matches).map_err(ParseError::Usage);
    };
    let Some(path) = serve.get_one::<std::path::PathBuf>(CONFIG_ARG).cloned() else {
        return P::from_arg_matches(&matches).map_err(ParseError::Usage);
    };
    let serve_command =
        command.find_subcommand(SUBCOMMAND).expect("the matches come from this command").clone();
    let extra = file_args(&serve_command, serve, &path).map_err(ParseError::Config)?;
    let mut merged = args;
    merged.extend(extra);
    let matches = command
        .try_get_matches_from(&merged)
        .map_err(|e| ParseError::Config(anyhow!("{}: {}", path.display(), first_line(&e))))?;
    P::from_arg_matches(&matches).map_err(ParseError::Usage)
}

/// Why parsing failed.
#[derive(Debug)]
pub enum ParseError {
    /// The command line itself (or `--help`, `--version`): clap prints and exits.
    Usage(clap::Error),
    /// The config file: unreadable, not TOML, an unknown key or a bad value.
    Config(anyhow::Error),
}

/// clap's message without its `Usage:` and `--help` lines, which are about the command
/// line rather than the file.
fn first_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    first.trim_start_matches("error: ").to_owned()
}

/// The flags the file adds: `--key=value` for each key whose option is still at its
/// default (or absent).
fn file_args(serve: &Command, matches: &ArgMatches, path: &Path) -> anyhow::Result<Vec<OsString>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{}: invalid TOML", path.display()))?;
    let mut out = Vec::new();
    for (key, value) in &table {
        let arg = serve
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()) && key != CONFIG_ARG)
            .ok_or_else(|| {
                anyhow!(
                    "{}: unknown key `{key}` (the keys are serve's flags: {})",
                    path.display(),
                    known_keys(serve).join(", ")
                )
            })?;
        let id = arg.get_id().as_str();
        if matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let takes_value = arg.get_num_args().is_none_or(|n| n.takes_values());
        for text in values(key, value).with_context(|| format!("{}", path.display()))? {
            if takes_value {
                out.push(OsString::from(format!("--{key}={text}")));
            } else if text == "true" {
                out.push(OsString::from(format!("--{key}")));
            } else if text != "false" {
                bail!("{}: `{key}` is a switch: true or false, not {text}", path.display());
            }
        }
    }
    Ok(out)
}

/// The flags a file may set, for the message refusing an unknown key.
fn known_keys(serve: &Command) -> Vec<String> {
    serve
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| *l != CONFIG_ARG && *l != "help")
        .map(str::to_owned)
        .collect()
}

/// A TOML value as the flag values it stands for: an array is the flag repeated, a
/// table (`[aws-endpoint]` `sqs = "…"`) is `KEY=VALUE` pairs.
fn values(key: &str, value: &toml::Value) -> anyhow::Result<Vec<String>> {
    Ok(match value {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Integer(n) => vec![n.to_string()],
        toml::Value::Float(f) => vec![f.to_string()],
        toml::Value::Boolean(b) => vec![b.to_string()],
        toml::Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    toml::Value::Array(_) | toml::Value::Table(_) => {
                        bail!("`{key}`: an array of plain values was expected")
                    }
                    other => out.extend(values(key, other)?),
                }
            }
            out
        }
        toml::Value::Table(entries) => {
            let mut out = Vec::new();
            for (name, item) in entries {
                match item {
                    toml::Value::Array(_) | toml::Value::Table(_) => {
                        bail!("`{key}.{name}`: a plain value was expected")
                    }
                    other => {
                        out.extend(values(key, other)?.into_iter().map(|v| format!("{name}={v}")))
                    }
                }
            }
            out
        }
        toml::Value::Datetime(_) => bail!("`{key}`: a date is not a value of any flag"),
    })
}
