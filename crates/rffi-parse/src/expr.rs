//! Constant expressions to [`Expr`], unevaluated.

use lang_c::ast::{
    BinaryOperator, BinaryOperatorExpression, Constant, Expression, UnaryOperator,
    UnaryOperatorExpression,
};
use lang_c::span::Node;

use crate::ast::{BinaryOp, Expr, UnaryOp};
use crate::context::{Conv, Result};
use crate::literal::{character, integer};
use crate::typename::type_name;

/// An integer constant expression as written.
pub(crate) fn expr(conv: &Conv, e: &Node<Expression>) -> Result<Expr> {
    match &e.node {
        Expression::Identifier(id) if conv.is_dots(id.span) => Ok(Expr::Dots),
        Expression::Identifier(id) => Ok(Expr::Ident(id.node.name.clone(), conv.pos(id.span))),
        Expression::Constant(c) => constant(conv, c),
        Expression::SizeOfTy(s) => Ok(Expr::SizeOf(Box::new(type_name(conv, &s.node.0)?))),
        Expression::AlignOf(a) => Ok(Expr::AlignOf(Box::new(type_name(conv, &a.node.0)?))),
        Expression::UnaryOperator(u) => unary(conv, u),
        Expression::BinaryOperator(b) => binary(conv, b),
        Expression::Cast(c) => Ok(Expr::Cast(
            Box::new(type_name(conv, &c.node.type_name)?),
            Box::new(expr(conv, &c.node.expression)?),
        )),
        Expression::Conditional(c) => Ok(Expr::Conditional(
            Box::new(expr(conv, &c.node.condition)?),
            Box::new(expr(conv, &c.node.then_expression)?),
            Box::new(expr(conv, &c.node.else_expression)?),
        )),
        Expression::SizeOfVal(_) => Err(conv.error(
            e.span,
            "only sizeof(type) is supported, not sizeof of an expression",
        )),
        _ => Err(conv.error(e.span, "expected an integer constant expression")),
    }
}

fn constant(conv: &Conv, c: &Node<Constant>) -> Result<Expr> {
    match &c.node {
        Constant::Integer(i) => match integer(i) {
            Some(value) => Ok(Expr::Int {
                value,
                unsigned: i.suffix.unsigned,
            }),
            None => Err(conv.error(c.span, "integer constant too large")),
        },
        Constant::Character(text) => character(text)
            .map(Expr::Char)
            .ok_or_else(|| conv.error(c.span, "unsupported character constant")),
        Constant::Float(_) => {
            Err(conv.error(c.span, "floating-point constants are not supported here"))
        }
    }
}

fn unary(conv: &Conv, u: &Node<UnaryOperatorExpression>) -> Result<Expr> {
    let op = match u.node.operator.node {
        UnaryOperator::Minus => UnaryOp::Neg,
        UnaryOperator::Plus => UnaryOp::Plus,
        UnaryOperator::Complement => UnaryOp::BitNot,
        UnaryOperator::Negate => UnaryOp::Not,
        _ => return Err(conv.error(u.span, "expected an integer constant expression")),
    };
    Ok(Expr::Unary(op, Box::new(expr(conv, &u.node.operand)?)))
}

fn binary(conv: &Conv, b: &Node<BinaryOperatorExpression>) -> Result<Expr> {
    let Some(op) = binary_op(&b.node.operator.node) else {
        return Err(conv.error(
            b.node.operator.span,
            "expected an integer constant expression",
        ));
    };
    Ok(Expr::Binary(
        op,
        Box::new(expr(conv, &b.node.lhs)?),
        Box::new(expr(conv, &b.node.rhs)?),
    ))
}

fn binary_op(op: &BinaryOperator) -> Option<BinaryOp> {
    use BinaryOperator as B;
    Some(match op {
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Rem,
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::ShiftLeft => BinaryOp::Shl,
        B::ShiftRight => BinaryOp::Shr,
        B::Less => BinaryOp::Lt,
        B::Greater => BinaryOp::Gt,
        B::LessOrEqual => BinaryOp::Le,
        B::GreaterOrEqual => BinaryOp::Ge,
        B::Equals => BinaryOp::Eq,
        B::NotEquals => BinaryOp::Ne,
        B::BitwiseAnd => BinaryOp::BitAnd,
        B::BitwiseXor => BinaryOp::BitXor,
        B::BitwiseOr => BinaryOp::BitOr,
        B::LogicalAnd => BinaryOp::And,
        B::LogicalOr => BinaryOp::Or,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::test_support::*;

    fn len_of(source: &str) -> Expr {
        match decl_ty(source) {
            TypeExpr::Array(_, Some(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn array_lengths_are_kept_unevaluated() {
        let e = len_of("int a[N * 2];");
        let n = Expr::Ident("N".into(), pos(1, 7));
        assert_eq!(
            e,
            Expr::Binary(BinaryOp::Mul, Box::new(n), Box::new(int(2)))
        );
        let e = len_of("int a[sizeof(int) / sizeof(known_t)];");
        let Expr::Binary(BinaryOp::Div, l, r) = e else {
            panic!()
        };
        assert_eq!(*l, Expr::SizeOf(Box::new(prim("int"))));
        assert_eq!(*r, Expr::SizeOf(Box::new(named("known_t"))));
    }

    #[test]
    fn unary_casts_conditionals_and_suffixes() {
        let e = len_of("int a[-(~0x10UL) ? (int)1 : !2];");
        let Expr::Conditional(c, t, f) = e else {
            panic!()
        };
        let hex = Expr::Int {
            value: 16,
            unsigned: true,
        };
        let not = Expr::Unary(UnaryOp::BitNot, Box::new(hex));
        assert_eq!(*c, Expr::Unary(UnaryOp::Neg, Box::new(not)));
        assert_eq!(*t, Expr::Cast(Box::new(prim("int")), Box::new(int(1))));
        assert_eq!(*f, Expr::Unary(UnaryOp::Not, Box::new(int(2))));
    }

    #[test]
    fn non_constant_expressions_are_refused() {
        assert!(cdef_err("int a[x = 1];").message.contains("constant"));
        assert!(cdef_err("int a[1.5];").message.contains("floating"));
        assert!(cdef_err("int a[sizeof x];").message.contains("sizeof"));
        assert!(cdef_err("int a[99999999999999999999];")
            .message
            .contains("too large"));
    }
}
