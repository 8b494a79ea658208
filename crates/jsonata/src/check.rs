//! Refusing at compile time what AWS's JSONata 2.0.6 does not have: the `??` and `?:`
//! operators (added in JSONata 2.1, accepted by the 2.2 parser underneath) and `$eval`
//! (removed by AWS).

use jsonata_core::ast::{AstNode, BinaryOp};

use crate::guard::children;
use crate::Error;

/// Walks the whole tree (with a stack of its own, so a deep tree cannot overflow the native
/// one) and refuses the first unsupported construct. The walk is `guard::children`, which
/// lists every variant without a wildcard, so a new variant in an upgrade of
/// `jsonata-core` must be looked at there.
pub(crate) fn refuse_unsupported(root: &mut AstNode) -> Result<(), Error> {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &*node {
            AstNode::Variable(name) | AstNode::Function { name, .. } => refuse_eval(name)?,
            AstNode::Binary { op, .. } => {
                let operator = match op {
                    BinaryOp::Coalesce => Some("??"),
                    BinaryOp::Default => Some("?:"),
                    _ => None,
                };
                if let Some(operator) = operator {
                    return Err(Error::new(
                        Error::UNSUPPORTED,
                        format!("The {operator} operator is not supported by JSONata 2.0.6"),
                    ));
                }
            }
            _ => {}
        }
        stack.extend(children(node));
    }
    Ok(())
}

/// `$eval`, called or referenced (a reference could be called later), is refused. A
/// variable the expression itself binds to that name is refused too, which keeps the rule
/// a plain one about the name.
fn refuse_eval(name: &str) -> Result<(), Error> {
    if name == "eval" {
        return Err(Error::new(Error::UNSUPPORTED, "The $eval function is not supported"));
    }
    Ok(())
}
