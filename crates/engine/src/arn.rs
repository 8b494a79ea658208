//! ARNs of AWS's form, and the naming rules AWS applies to resource names.
use crate::error::{Error, Result};

/// The region and account every ARN is minted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// e.g. `us-east-1`.
    pub region: String,
    /// A 12-digit account id.
    pub account: String,
}

impl Default for Scope {
    fn default() -> Self {
        Scope { region: "us-east-1".into(), account: "123456789012".into() }
    }
}

impl Scope {
    /// `arn:aws:states:<region>:<account>:stateMachine:<name>`
    pub fn state_machine_arn(&self, name: &str) -> String {
        format!("arn:aws:states:{}:{}:stateMachine:{name}", self.region, self.account)
    }
    /// `arn:aws:states:<region>:<account>:activity:<name>`
    pub fn activity_arn(&self, name: &str) -> String {
        format!("arn:aws:states:{}:{}:activity:{name}", self.region, self.account)
    }
}

/// The kinds of resource a Step Functions ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `stateMachine`
    StateMachine,
    /// `execution`
    Execution,
    /// `activity`
    Activity,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::StateMachine => "stateMachine",
            Kind::Execution => "execution",
            Kind::Activity => "activity",
        }
    }
}

/// A parsed `arn:aws:states:…` ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    /// The region field.
    pub region: &'a str,
    /// The account field.
    pub account: &'a str,
    /// The resource kind.
    pub kind: Kind,
    /// `name` (state machine, activity) or `machine:name` (execution).
    pub resource: &'a str,
}

/// Parses `text` as an ARN of `kind`; anything else is `InvalidArn` with AWS's message.
pub fn parse(text: &str, kind: Kind) -> Result<Arn<'_>> {
    // AWS names the resource type it refused, lowercased (an Express execution's ARN
    // given to DescribeExecution: `...: express`).
    let invalid = |ty: &str| {
        Error::InvalidArn(format!(
            "Invalid Arn: 'Resource type not valid in this context: {}'",
            ty.to_lowercase()
        ))
    };
    let bad = || Error::InvalidArn(format!("Invalid Arn: '{text}'"));
    if !text.starts_with("arn:") {
        return Err(Error::InvalidArn(format!("Invalid Arn: 'Invalid ARN prefix: {text}'")));
    }
    let mut parts = text.splitn(7, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("states"),
        Some(region),
        Some(account),
        Some(ty),
        Some(resource),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return Err(bad());
    };
    if !partition.starts_with("aws")
        || region.is_empty()
        || account.is_empty()
        || resource.is_empty()
    {
        return Err(bad());
    }
    if ty != kind.as_str() {
        return Err(invalid(ty));
    }
    let parts = resource.split(':').count();
    let ok = match kind {
        Kind::StateMachine | Kind::Activity => parts == 1,
        Kind::Execution => parts == 2,
    };
    if !ok {
        return Err(bad());
    }
    Ok(Arn { region, account, kind, resource })
}

/// What follows a state machine's ARN in a qualified one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier<'a> {
    /// `…:stateMachine:<name>:<n>`: a version.
    Version(u64),
    /// `…:stateMachine:<name>:<alias>`: an alias (alias names are never all digits).
    Alias(&'a str),
}

/// Splits a state machine ARN into the unqualified machine ARN and its qualifier, if any
/// (`…:stateMachine:<name>:<version or alias>`). Anything else is `InvalidArn`, as [`parse`]
/// answers.
pub fn split_qualified(text: &str) -> Result<(&str, Option<Qualifier<'_>>)> {
    let fields: Vec<&str> = text.splitn(8, ':').collect();
    if fields.len() < 8 {
        parse(text, Kind::StateMachine)?;
        return Ok((text, None));
    }
    let qualifier = fields[7];
    let machine = &text[..text.len() - qualifier.len() - 1];
    parse(machine, Kind::StateMachine)
        .map_err(|_| Error::InvalidArn(format!("Invalid Arn: '{text}'")))?;
    if qualifier.is_empty() || qualifier.contains(':') {
        return Err(Error::InvalidArn(format!("Invalid Arn: '{text}'")));
    }
    let qualifier = if qualifier.bytes().all(|b| b.is_ascii_digit()) {
        match qualifier.parse::<u64>() {
            Ok(n) => Qualifier::Version(n),
            Err(_) => return Err(Error::InvalidArn(format!("Invalid Arn: '{text}'"))),
        }
    } else {
        Qualifier::Alias(qualifier)
    };
    Ok((machine, Some(qualifier)))
}

/// AWS's pattern for alias names, `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`, and their
/// length (1–80), with AWS's `ValidationException` messages.
pub fn validate_alias_name(name: &str) -> Result<()> {
    let rule = |constraint: &str| {
        Error::Validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: {constraint}"
        ))
    };
    if name.is_empty() {
        return Err(rule("Member must have length greater than or equal to 1"));
    }
    if name.chars().count() > 80 {
        return Err(rule("Member must have length less than or equal to 80"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let has_non_digit =
        name.chars().any(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '-' | '.'));
    if !name.chars().all(allowed) || !has_non_digit {
        return Err(rule(
            "Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$",
        ));
    }
    Ok(())
}

/// Checks a resource name against AWS's rules (1–80 characters; no whitespace,
/// brackets, wildcards, special or control characters).
pub fn validate_name(name: &str) -> Result<()> {
    let invalid = || Error::InvalidName(format!("Invalid Name: '{name}'"));
    let len = name.chars().count();
    if len == 0 || len > 80 {
        return Err(invalid());
    }
    const FORBIDDEN: &str = " <>{}[]?*\"#%\\^|~`$&,;:/";
    // `char::is_control` covers U+0000–U+001F and U+007F–U+009F, as AWS's rules do.
    if name.chars().any(|c| FORBIDDEN.contains(c) || c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_machine_arns() {
        let a = parse("arn:aws:states:us-east-1:123456789012:stateMachine:M", Kind::StateMachine)
            .unwrap();
        assert_eq!((a.region, a.account, a.resource), ("us-east-1", "123456789012", "M"));
        assert!(
            parse("arn:aws:states:us-east-1:123456789012:activity:M", Kind::StateMachine).is_err()
        );
        assert!(parse("not-an-arn", Kind::StateMachine).is_err());
        assert!(parse("arn:aws:states:us-east-1:1:execution:M:e", Kind::Execution).is_ok());
        assert!(parse("arn:aws:states:us-east-1:1:execution:M", Kind::Execution).is_err());
    }

    #[test]
    fn splits_qualified_machine_arns() {
        let m = "arn:aws:states:us-east-1:1:stateMachine:M";
        assert_eq!(split_qualified(m).unwrap(), (m, None));
        assert_eq!(split_qualified(&format!("{m}:3")).unwrap(), (m, Some(Qualifier::Version(3))));
        assert_eq!(
            split_qualified(&format!("{m}:prod")).unwrap(),
            (m, Some(Qualifier::Alias("prod")))
        );
        assert!(split_qualified(&format!("{m}:")).is_err());
        assert!(split_qualified(&format!("{m}:a:b")).is_err());
        assert!(split_qualified("arn:aws:states:us-east-1:1:activity:A:1").is_err());
        assert!(split_qualified("invalid_arn").is_err());
    }

    #[test]
    fn alias_names_follow_aws_rules() {
        for good in ["a", "Alias-1", "1.2", "_", &"x".repeat(80)] {
            assert!(validate_alias_name(good).is_ok(), "{good}");
        }
        for bad in ["", "123", "INVALID ALIAS", "!INVALID", "ALIAS@", &"A".repeat(81)] {
            assert!(validate_alias_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_follow_aws_rules() {
        for good in ["a", "My-Machine_1", &"x".repeat(80)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a*b", "a:b", "a/b", "a\u{7}", &"x".repeat(81)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
