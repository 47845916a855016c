//! Shorthands for the unit tests.

use crate::ast::*;
use crate::ParseError;

pub(crate) fn cdef(source: &str) -> Vec<Decl> {
    crate::parse_cdef(source, &|n| n == "known_t").unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn cdef_err(source: &str) -> ParseError {
    match crate::parse_cdef(source, &|n| n == "known_t") {
        Ok(d) => panic!("expected an error for {source:?}, got {d:?}"),
        Err(e) => e,
    }
}

pub(crate) fn ty(source: &str) -> TypeExpr {
    crate::parse_type(source, &|n| n == "known_t").unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn ty_err(source: &str) -> ParseError {
    match crate::parse_type(source, &|n| n == "known_t") {
        Ok(t) => panic!("expected an error for {source:?}, got {t:?}"),
        Err(e) => e,
    }
}

/// The single declaration of `source`.
pub(crate) fn one(source: &str) -> Decl {
    let mut decls = cdef(source);
    assert_eq!(decls.len(), 1, "{decls:?}");
    decls.remove(0)
}

/// The type of the single declaration of `source`.
pub(crate) fn decl_ty(source: &str) -> TypeExpr {
    match one(source) {
        Decl::Function { ty, .. } | Decl::Variable { ty, .. } | Decl::Typedef { ty, .. } => ty,
        other => panic!("no type in {other:?}"),
    }
}

pub(crate) fn prim(name: &'static str) -> TypeExpr {
    TypeExpr::Base(BaseType::Primitive(name))
}

pub(crate) fn named(name: &str) -> TypeExpr {
    TypeExpr::Base(BaseType::Named(name.into()))
}

pub(crate) fn void() -> TypeExpr {
    TypeExpr::Base(BaseType::Void)
}

pub(crate) fn ptr(t: TypeExpr) -> TypeExpr {
    TypeExpr::Pointer(Box::new(t))
}

pub(crate) fn arr(t: TypeExpr, n: Option<u64>) -> TypeExpr {
    TypeExpr::Array(Box::new(t), n.map(int))
}

pub(crate) fn int(value: u64) -> Expr {
    Expr::Int {
        value,
        unsigned: false,
    }
}

pub(crate) fn func(ret: TypeExpr, params: Vec<TypeExpr>, variadic: bool) -> TypeExpr {
    let params = params
        .into_iter()
        .map(|ty| Param { name: None, ty })
        .collect();
    TypeExpr::Function {
        ret: Box::new(ret),
        params,
        variadic,
    }
}

pub(crate) fn pos(line: u32, column: u32) -> Pos {
    Pos { line, column }
}
