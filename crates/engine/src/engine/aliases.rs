//! State machine aliases: `CreateStateMachineAlias`, `DescribeStateMachineAlias`,
//! `UpdateStateMachineAlias`, `DeleteStateMachineAlias`, `ListStateMachineAliases`, and
//! the weighted choice of a version when an execution starts on an alias.
//!
//! Aliases live in their machine's [`Versioning`](crate::model::Versioning) record beside
//! the versions they route to, so that a version is never deleted while an alias routes
//! to it (see `versions.rs`).
use super::versions::check_description;
use super::Engine;
use crate::arn::{self, Qualifier};
use crate::error::{Error, Result};
use crate::model::{AliasRecord, Route, Versioning};

/// AWS allows 100 aliases per state machine.
const MAX_ALIASES: usize = 100;

impl Engine {
    /// `CreateStateMachineAlias`: the machine is the one the routed versions belong to.
    /// Creating the same alias again (name, description and routes) answers the existing one.
    pub fn create_alias(
        &self,
        name: &str,
        description: Option<String>,
        routes: Vec<Route>,
    ) -> Result<AliasRecord> {
        arn::validate_alias_name(name)?;
        check_description(description.as_deref(), "description")?;
        let machine_arn = check_routes(&routes)?;
        let alias_arn = format!("{machine_arn}:{name}");
        let now = self.now();
        let alias = AliasRecord {
            arn: alias_arn.clone(),
            name: name.to_owned(),
            description,
            routes,
            creation_ms: now,
            update_ms: now,
        };
        let stored = self.store().update_versioning(&machine_arn, &mut |current| {
            let Some(current) = current else { return Err(not_found()) };
            check_versions_exist(current, &alias.routes)?;
            if let Some(existing) = current.aliases.iter().find(|a| a.name == alias.name) {
                if existing.description == alias.description && existing.routes == alias.routes {
                    return Ok(None);
                }
                return Err(Error::Conflict(
                    "Failed to create alias because an alias with the same name and a different routing configuration already exists.".into(),
                ));
            }
            if current.aliases.len() >= MAX_ALIASES {
                return Err(Error::ServiceQuotaExceeded(format!(
                    "Too many aliases of '{machine_arn}': at most {MAX_ALIASES} may exist"
                )));
            }
            let mut versioning = current.clone();
            versioning.aliases.push(alias.clone());
            Ok(Some(versioning))
        })?;
        stored
            .and_then(|v| v.aliases.into_iter().find(|a| a.arn == alias_arn))
            .ok_or_else(|| Error::Internal(format!("the alias {alias_arn} vanished")))
    }

    /// `DescribeStateMachineAlias`.
    pub fn describe_alias(&self, alias_arn: &str) -> Result<AliasRecord> {
        let machine_arn = alias_machine(alias_arn)?;
        self.store()
            .get_versioning(machine_arn)?
            .and_then(|v| v.aliases.into_iter().find(|a| a.arn == alias_arn))
            .ok_or_else(not_found)
    }

    /// `UpdateStateMachineAlias`: a new description, new routes, or both.
    pub fn update_alias(
        &self,
        alias_arn: &str,
        description: Option<String>,
        routes: Option<Vec<Route>>,
    ) -> Result<AliasRecord> {
        let machine_arn = alias_machine(alias_arn)?;
        if description.is_none() && routes.is_none() {
            return Err(Error::Validation(
                "Either the description or the routing configuration must be specified".into(),
            ));
        }
        check_description(description.as_deref(), "description")?;
        if let Some(routes) = &routes {
            if check_routes(routes)? != machine_arn {
                return Err(Error::Validation(format!(
                    "Routing configuration must contain versions of the state machine '{machine_arn}'"
                )));
            }
        }
        let now = self.now();
        let stored = self.store().update_versioning(machine_arn, &mut |current| {
            let Some(current) = current else { return Err(not_found()) };
            let mut versioning = current.clone();
            let alias =
                versioning.aliases.iter_mut().find(|a| a.arn == alias_arn).ok_or_else(not_found)?;
            if let Some(description) = &description {
                alias.description = Some(description.clone());
            }
            if let Some(routes) = &routes {
                check_versions_exist(current, routes)?;
                alias.routes = routes.clone();
            }
            alias.update_ms = now;
            Ok(Some(versioning))
        })?;
        stored
            .and_then(|v| v.aliases.into_iter().find(|a| a.arn == alias_arn))
            .ok_or_else(not_found)
    }

    /// `DeleteStateMachineAlias` (idempotent, as on AWS). The versions stay.
    pub fn delete_alias(&self, alias_arn: &str) -> Result<()> {
        let machine_arn = alias_machine(alias_arn)?;
        self.store().update_versioning(machine_arn, &mut |current| {
            let Some(current) = current else { return Ok(None) };
            if !current.aliases.iter().any(|a| a.arn == alias_arn) {
                return Ok(None);
            }
            let mut versioning = current.clone();
            versioning.aliases.retain(|a| a.arn != alias_arn);
            Ok(Some(versioning))
        })?;
        Ok(())
    }

    /// `ListStateMachineAliases`, oldest first.
    pub fn list_aliases(&self, machine_arn: &str) -> Result<Vec<AliasRecord>> {
        if arn::split_qualified(machine_arn)?.1.is_some() {
            return Err(Error::InvalidArn(format!("Invalid Arn: '{machine_arn}'")));
        }
        self.describe_state_machine(machine_arn)?;
        Ok(self.store().get_versioning(machine_arn)?.map(|v| v.aliases).unwrap_or_default())
    }

    /// The version a start on an alias runs: each route gets its weight in percent of the
    /// starts, drawn from the engine's seeded generator (so a fixed `--seed` repeats the
    /// same choices).
    pub(super) fn route(&self, routes: &[Route]) -> String {
        let draw = self.next_draw() % 100;
        let mut below = 0u64;
        for route in routes {
            below += u64::from(route.weight);
            if draw < below {
                return route.version_arn.clone();
            }
        }
        routes.last().map(|r| r.version_arn.clone()).unwrap_or_default()
    }

    /// The next number of the generator behind [`Engine::next_uuid`].
    fn next_draw(&self) -> u64 {
        let mut seed = self.inner.uuid_seed.lock();
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // The high bits of a power-of-two LCG are the random ones.
        *seed >> 33
    }
}

/// The machine an alias ARN belongs to; anything but an alias ARN is `InvalidArn`.
fn alias_machine(alias_arn: &str) -> Result<&str> {
    match arn::split_qualified(alias_arn)? {
        (machine_arn, Some(Qualifier::Alias(_))) => Ok(machine_arn),
        _ => Err(Error::InvalidArn(format!("Invalid Arn: '{alias_arn}'"))),
    }
}

/// Checks a routing configuration as AWS does, in AWS's order (its size, each weight, the
/// ARNs being versions, distinct, of one machine, the weights' sum), and returns the machine
/// the versions belong to.
fn check_routes(routes: &[Route]) -> Result<String> {
    let invalid = |constraint: &str, value: &str, at: &str| {
        Error::Validation(format!(
            "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {constraint}"
        ))
    };
    let listed = |items: Vec<String>| format!("[{}]", items.join(", "));
    if routes.is_empty() {
        return Err(invalid(
            "Member must have length greater than or equal to 1",
            "[]",
            "routingConfiguration",
        ));
    }
    if routes.len() > 2 {
        let shown = listed(
            routes
                .iter()
                .map(|r| {
                    format!(
                        "RoutingConfigurationListItem(stateMachineVersionArn={}, weight={})",
                        r.version_arn, r.weight
                    )
                })
                .collect(),
        );
        return Err(invalid(
            "Member must have length less than or equal to 2",
            &shown,
            "routingConfiguration",
        ));
    }
    for (i, route) in routes.iter().enumerate() {
        if route.weight > 100 {
            return Err(invalid(
                "Member must have value less than or equal to 100",
                &route.weight.to_string(),
                &format!("routingConfiguration.{}.member.weight", i + 1),
            ));
        }
    }
    let arns = || listed(routes.iter().map(|r| r.version_arn.clone()).collect());
    let mut machines = Vec::with_capacity(routes.len());
    for route in routes {
        match arn::split_qualified(&route.version_arn) {
            Ok((machine, Some(Qualifier::Version(_)))) => machines.push(machine.to_owned()),
            _ => {
                return Err(Error::Validation(format!(
                    "Routing configuration must contain state machine version ARNs. Received: {}",
                    arns()
                )))
            }
        }
    }
    if routes.len() == 2 && routes[0].version_arn == routes[1].version_arn {
        return Err(Error::Validation(format!(
            "Routing configuration must contain distinct state machine version ARNs. Received: {}",
            arns()
        )));
    }
    if machines.iter().any(|m| *m != machines[0]) {
        return Err(Error::Validation(format!(
            "Routing configuration must contain state machine version ARNs of the same state machine. Received: {}",
            arns()
        )));
    }
    let sum: u32 = routes.iter().map(|r| u32::from(r.weight)).sum();
    if sum != 100 {
        let weights = listed(routes.iter().map(|r| r.weight.to_string()).collect());
        return Err(Error::Validation(format!(
            "Sum of routing configuration weights must equal 100. Received: {weights}"
        )));
    }
    Ok(machines.swap_remove(0))
}

/// Every routed version must exist (a deleted machine has none): `ResourceNotFound`, the
/// error AWS lists for these operations.
fn check_versions_exist(versioning: &Versioning, routes: &[Route]) -> Result<()> {
    if routes.iter().all(|r| versioning.versions.iter().any(|v| v.arn == r.version_arn)) {
        return Ok(());
    }
    Err(not_found())
}

/// AWS's answer for an alias (or a routed version) that does not exist.
fn not_found() -> Error {
    Error::ResourceNotFound("Request references a resource that does not exist.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(arn: &str, weight: u8) -> Route {
        Route { version_arn: arn.into(), weight }
    }

    const V1: &str = "arn:aws:states:us-east-1:1:stateMachine:m:1";
    const V2: &str = "arn:aws:states:us-east-1:1:stateMachine:m:2";

    #[test]
    fn routes_are_checked_in_aws_order() {
        assert_eq!(
            check_routes(&[route(V1, 100)]).unwrap(),
            "arn:aws:states:us-east-1:1:stateMachine:m"
        );
        let message = |routes: &[Route]| check_routes(routes).unwrap_err().message();
        assert!(message(&[]).contains("greater than or equal to 1"));
        assert!(message(&[route(V1, 50), route(V2, 30), route(V1, 20)])
            .contains("Member must have length less than or equal to 2"));
        assert!(message(&[route(V1, 101)]).contains("'routingConfiguration.1.member.weight'"));
        assert!(message(&[route("arn:aws:states:us-east-1:1:stateMachine:m", 70), route(V2, 30)])
            .starts_with("Routing configuration must contain state machine version ARNs"));
        assert!(message(&[route(V1, 50), route(V1, 50)]).contains("distinct"));
        assert!(message(&[
            route(V1, 50),
            route("arn:aws:states:us-east-1:1:stateMachine:n:1", 50)
        ])
        .contains("same state machine"));
        assert_eq!(
            message(&[route(V1, 70), route(V2, 29)]),
            "Sum of routing configuration weights must equal 100. Received: [70, 29]"
        );
    }
}
