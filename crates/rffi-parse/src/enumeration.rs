//! `enum` specifiers to [`EnumDecl`].

use lang_c::ast::EnumType;
use lang_c::span::Node;

use crate::ast::{EnumDecl, Enumerator};
use crate::context::{Conv, Result};
use crate::expr::expr;

/// An enum reference (`enum color`) or definition (`enum color { RED = 1 }`).
pub(crate) fn enumeration(conv: &Conv, e: &Node<EnumType>) -> Result<EnumDecl> {
    let variants = if e.node.enumerators.is_empty() {
        None
    } else {
        let list = e.node.enumerators.iter().map(|v| {
            Ok(Enumerator {
                name: v.node.identifier.node.name.clone(),
                value: v
                    .node
                    .expression
                    .as_ref()
                    .map(|x| expr(conv, x))
                    .transpose()?,
                pos: conv.pos(v.node.identifier.span),
            })
        });
        Some(list.collect::<Result<Vec<_>>>()?)
    };
    if e.node.identifier.is_none() && variants.is_none() {
        return Err(conv.error(e.span, "expected an enum name or body"));
    }
    Ok(EnumDecl {
        name: e.node.identifier.as_ref().map(|i| i.node.name.clone()),
        variants,
        pos: conv.pos(e.span),
    })
}
