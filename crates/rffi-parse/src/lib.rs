//! C declaration text (cffi's `cdef` dialect) to declarations with source positions.
//!
//! This is the first layer of rffi: it knows C syntax and nothing else. It
//! turns the text a user gives to `cdef` into a list of [`Decl`]s, and a type
//! string such as `"int(*)(double)"` into a [`TypeExpr`]. It computes no
//! sizes and resolves no names; constant expressions stay unevaluated
//! ([`Expr`]) because they may name enumerators declared in an earlier cdef.
//! `rffi-types` builds on this to give every type its layout.
//!
//! The grammar is lang-c's. Around it, this crate removes comments, takes out
//! `#define NAME <integer>` lines (every other directive is refused), refuses
//! what cdef does not accept (function bodies, K&R parameter lists), keeps
//! lang-c away from inputs nested deep enough to exhaust its stack, and maps
//! every error back to a line and column of the user's text.
//!
//! ```
//! use rffi_parse::{parse_cdef, parse_type, BaseType, Decl, Param, TypeExpr};
//!
//! let no_typedefs = |_: &str| false;
//! let decls = parse_cdef(
//!     "#define LIMIT 0x10UL\n\
//!      typedef struct point { int x, y; } point_t;\n\
//!      double norm(const point_t *p, ...);",
//!     &no_typedefs,
//! )?;
//! assert_eq!(decls.len(), 3);
//! let Decl::Function { name, ty, pos } = &decls[2] else { panic!() };
//! assert_eq!((name.as_str(), pos.line, pos.column), ("norm", 3, 8));
//! let TypeExpr::Function { params, variadic, .. } = ty else { panic!() };
//! assert!(*variadic);
//! assert_eq!(
//!     params[0],
//!     Param {
//!         name: Some("p".into()),
//!         ty: TypeExpr::Pointer(Box::new(TypeExpr::Base(BaseType::Named("point_t".into())))),
//!     }
//! );
//!
//! // Earlier cdefs' typedefs are passed in by the caller.
//! let ty = parse_type("point_t *[2]", &|name| name == "point_t")?;
//! assert!(matches!(ty, TypeExpr::Array(_, Some(_))));
//!
//! let err = parse_cdef("int f(int;", &no_typedefs).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "cannot parse \"int f(int;\" at line 1, column 10: expected a declarator"
//! );
//! # Ok::<(), rffi_parse::ParseError>(())
//! ```

#![forbid(unsafe_code)]

pub mod ast;
mod attrs;
mod cdef;
mod comments;
mod context;
mod declarator;
mod define;
mod dialect;
mod directive;
mod enumeration;
mod error;
mod expected;
mod expr;
mod guard;
mod keywords;
mod lexer;
mod literal;
mod position;
mod primitive;
mod record;
mod refuse;
mod specifiers;
mod syntax;
mod tag_attrs;
#[cfg(test)]
mod test_support;
mod typename;

pub use ast::*;
pub use error::ParseError;
#[doc(hidden)]
pub use syntax::LANG_C_PANICS;

/// Parses one cdef source. `is_typename` answers for identifiers declared as
/// typedefs by earlier sources (the [`BUILTIN_TYPE_NAMES`] are always type names).
///
/// Declarations come back in source order, `#define`s included. Empty or
/// comment-only text gives an empty list.
pub fn parse_cdef(
    source: &str,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<Vec<Decl>, ParseError> {
    cdef::parse_source(source, is_typename)
}

/// Parses a type string as given to `ffi.new`, `ffi.cast` or `ffi.typeof`.
pub fn parse_type(
    source: &str,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<TypeExpr, ParseError> {
    typename::parse_type_string(source, is_typename)
}
