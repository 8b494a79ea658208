//! Refusing at compile time what AWS's JSONata 2.0.6 does not have: the `??` and `?:`
//! operators (added in JSONata 2.1, accepted by the 2.2 parser underneath) and `$eval`
//! (removed by AWS).

use jsonata_core::ast::{AstNode, BinaryOp, Stage};

use crate::Error;

/// Walks the whole tree (with a stack of its own, so a deep tree cannot overflow the native
/// one) and refuses the first unsupported construct. Every variant is listed without a
/// wildcard, so a new variant in an upgrade of `jsonata-core` must be looked at here.
pub(crate) fn refuse_unsupported(root: &AstNode) -> Result<(), Error> {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node {
            AstNode::String(_)
            | AstNode::Name(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Placeholder
            | AstNode::Regex { .. }
            | AstNode::ParentVariable(_)
            | AstNode::Wildcard
            | AstNode::Descendant
            | AstNode::Parent(_) => {}
            AstNode::Variable(name) => refuse_eval(name)?,
            AstNode::Path { steps } => {
                for step in steps {
                    stack.push(&step.node);
                    for stage in &step.stages {
                        match stage {
                            Stage::Filter(predicate) => stack.push(predicate),
                            Stage::KeepArray | Stage::Index(_) => {}
                        }
                    }
                }
            }
            AstNode::Binary { op, lhs, rhs } => {
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
                stack.push(lhs);
                stack.push(rhs);
            }
            AstNode::Unary { operand, .. } => stack.push(operand),
            AstNode::Function { name, args, .. } => {
                refuse_eval(name)?;
                stack.extend(args);
            }
            AstNode::Call { procedure, args } => {
                stack.push(procedure);
                stack.extend(args);
            }
            AstNode::Lambda { body, .. } => stack.push(body),
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                stack.extend(items)
            }
            AstNode::Object(pairs) => {
                for (key, value) in pairs {
                    stack.push(key);
                    stack.push(value);
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                stack.push(input);
                for (key, value) in pattern {
                    stack.push(key);
                    stack.push(value);
                }
            }
            AstNode::Conditional { condition, then_branch, else_branch } => {
                stack.push(condition);
                stack.push(then_branch);
                if let Some(else_branch) = else_branch {
                    stack.push(else_branch);
                }
            }
            AstNode::FunctionApplication(inner) => stack.push(inner),
            AstNode::Sort { input, terms } => {
                stack.push(input);
                stack.extend(terms.iter().map(|(term, _)| term));
            }
            AstNode::Transform { location, update, delete } => {
                stack.push(location);
                stack.push(update);
                if let Some(delete) = delete {
                    stack.push(delete);
                }
            }
        }
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
