//! C declaration text (cffi's `cdef` dialect) to declarations with source positions.
pub mod ast;
mod error;

pub use ast::*;
pub use error::ParseError;

/// Parses one cdef source. `is_typename` answers for identifiers declared as
/// typedefs by earlier sources (the [`BUILTIN_TYPE_NAMES`] are always type names).
pub fn parse_cdef(
    source: &str,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<Vec<Decl>, ParseError> {
    let _ = (source, is_typename);
    Err(ParseError {
        source_snippet: String::new(),
        line: 1,
        column: 1,
        line_text: String::new(),
        message: "not written yet".into(),
    })
}

/// Parses a type string as given to `ffi.new`, `ffi.cast` or `ffi.typeof`.
pub fn parse_type(
    source: &str,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<TypeExpr, ParseError> {
    let _ = (source, is_typename);
    Err(ParseError {
        source_snippet: String::new(),
        line: 1,
        column: 1,
        line_text: String::new(),
        message: "not written yet".into(),
    })
}
