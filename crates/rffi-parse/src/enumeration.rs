//! `enum` specifiers to [`EnumDecl`].

use lang_c::ast::EnumType;
use lang_c::span::Node;

use crate::ast::{EnumDecl, Enumerator};
use crate::context::{Conv, Result};
use crate::expr::expr;

/// An enum reference (`enum color`) or definition (`enum color { RED = 1 }`).
pub(crate) fn enumeration(conv: &Conv, e: &Node<EnumType>) -> Result<EnumDecl> {
    let mut enumerators = e.node.enumerators.as_slice();
    // cffi's `enum e { A, B, ... }`: more enumerators than declared.
    let partial = enumerators
        .last()
        .is_some_and(|v| conv.is_dots(v.node.identifier.span));
    if partial {
        enumerators = &enumerators[..enumerators.len() - 1];
    }
    let variants = if enumerators.is_empty() && !partial {
        None
    } else {
        let list = enumerators.iter().map(|v| {
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
        partial,
        pos: conv.pos(e.span),
    })
}

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::test_support::*;

    #[test]
    fn implicit_explicit_and_expression_values() {
        let Decl::Tag {
            base: BaseType::Enum(e),
            pos: p,
        } = one("enum color { RED, GREEN = 1 << 3, BLUE = GREEN + 1, Z = 'z' };")
        else {
            panic!()
        };
        assert_eq!((e.name.as_deref(), p), (Some("color"), pos(1, 1)));
        let v = e.variants.unwrap();
        assert_eq!(
            (v[0].name.as_str(), &v[0].value, v[0].pos),
            ("RED", &None, pos(1, 14))
        );
        let shl = Expr::Binary(BinaryOp::Shl, Box::new(int(1)), Box::new(int(3)));
        assert_eq!(v[1].value, Some(shl));
        let green = Expr::Ident("GREEN".into(), pos(1, 42));
        assert_eq!(
            v[2].value,
            Some(Expr::Binary(
                BinaryOp::Add,
                Box::new(green),
                Box::new(int(1))
            ))
        );
        assert_eq!(v[3].value, Some(Expr::Char(122)));
    }

    #[test]
    fn enum_references() {
        let Decl::Variable {
            ty: TypeExpr::Base(BaseType::Enum(e)),
            ..
        } = one("enum color c;")
        else {
            panic!()
        };
        assert_eq!((e.name.as_deref(), e.variants), (Some("color"), None));
    }
}
