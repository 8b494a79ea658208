//! The alias operations: `CreateStateMachineAlias`, `DescribeStateMachineAlias`,
//! `UpdateStateMachineAlias`, `DeleteStateMachineAlias`, `ListStateMachineAliases`.
use serde_json::{json, Value};
use stepwise_engine::model::{AliasRecord, Route};
use stepwise_engine::Engine;

use crate::error::ApiError;
use crate::page::{self, Bounds};
use crate::request::Params;
use crate::wire;

type Reply = Result<Value, ApiError>;

/// Runs one of the alias operations.
pub fn dispatch(engine: &Engine, op: &str, p: &Params) -> Reply {
    match op {
        "CreateStateMachineAlias" => {
            let routes = read_routes(p)?.ok_or_else(|| {
                ApiError::validation("1 validation error detected: Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null")
            })?;
            let alias = engine.create_alias(
                p.str("name")?,
                p.opt_str("description")?.map(str::to_owned),
                routes,
            )?;
            Ok(json!({
                "stateMachineAliasArn": alias.arn,
                "creationDate": wire::date(alias.creation_ms),
            }))
        }
        "DescribeStateMachineAlias" => {
            Ok(describe(&engine.describe_alias(p.str("stateMachineAliasArn")?)?))
        }
        "UpdateStateMachineAlias" => {
            let alias = engine.update_alias(
                p.str("stateMachineAliasArn")?,
                p.opt_str("description")?.map(str::to_owned),
                read_routes(p)?,
            )?;
            Ok(json!({ "updateDate": wire::date(alias.update_ms) }))
        }
        "DeleteStateMachineAlias" => {
            engine.delete_alias(p.str("stateMachineAliasArn")?)?;
            Ok(json!({}))
        }
        "ListStateMachineAliases" => {
            let aliases = engine.list_aliases(p.str("stateMachineArn")?)?;
            let key = "stateMachineAliases";
            let (slice, next) = Bounds::read(p, 100, key)?.slice(&aliases)?;
            Ok(page::render(
                key,
                slice,
                next,
                |a| json!({ "stateMachineAliasArn": a.arn, "creationDate": wire::date(a.creation_ms) }),
            ))
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

/// `DescribeStateMachineAlias`'s response.
fn describe(alias: &AliasRecord) -> Value {
    let mut out = json!({
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "routingConfiguration": alias.routes.iter().map(|r| {
            json!({ "stateMachineVersionArn": r.version_arn, "weight": r.weight })
        }).collect::<Vec<_>>(),
        "creationDate": wire::date(alias.creation_ms),
        "updateDate": wire::date(alias.update_ms),
    });
    if let Some(description) = &alias.description {
        out["description"] = json!(description);
    }
    out
}

/// `routingConfiguration`, if given. Weights outside 0..=100 are refused here with AWS's
/// messages (a list longer than two is the engine's to refuse first).
fn read_routes(p: &Params) -> Result<Option<Vec<Route>>, ApiError> {
    let Some(value) = p.opt_value("routingConfiguration") else { return Ok(None) };
    let Value::Array(items) = value else {
        return Err(ApiError::validation("Value at 'routingConfiguration' must be a list"));
    };
    let mut routes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let version_arn = item
            .get("stateMachineVersionArn")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value null at 'routingConfiguration.{}.member.stateMachineVersionArn' failed to satisfy constraint: Member must not be null",
                    i + 1
                ))
            })?;
        let weight = item.get("weight").and_then(Value::as_i64).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at 'routingConfiguration.{}.member.weight' failed to satisfy constraint: Member must not be null",
                i + 1
            ))
        })?;
        let rule = |constraint: &str| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{weight}' at 'routingConfiguration.{}.member.weight' failed to satisfy constraint: {constraint}",
                i + 1
            ))
        };
        if weight < 0 {
            return Err(rule("Member must have value greater than or equal to 0"));
        }
        if weight > 100 && items.len() <= 2 {
            return Err(rule("Member must have value less than or equal to 100"));
        }
        let weight = u8::try_from(weight).unwrap_or(u8::MAX);
        routes.push(Route { version_arn: version_arn.to_owned(), weight });
    }
    Ok(Some(routes))
}
