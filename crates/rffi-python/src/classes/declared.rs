//! What a cdef source declares, for `python -m rffi stubs` (python/rffi/_stubs.py).
//!
//! Stubs need facts the type model drops: the names of parameters and where each
//! declaration stands in the text. This reads them from the parser's declarations
//! and adds what the type model gives (each function's and variable's C type, each
//! constant's value) from a registry of its own, so nothing touches an FFI.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rffi_parse::{BaseType, Decl, EnumDecl, TypeExpr};
use rffi_types::{CdefOptions, Symbol, Types};

/// One declared name: `(kind, name, c_type, value, param_names, line, column)`.
/// `kind` is "function", "variable" or "constant"; `c_type` is the C type of a
/// function or variable, `value` that of a constant, `param_names` a
/// function's parameter names (`None` where a parameter has none).
type Declared = (
    &'static str,
    String,
    Option<String>,
    Option<i128>,
    Option<Vec<Option<String>>>,
    u32,
    u32,
);

/// The functions, global variables, `#define` constants and enumerators that
/// `source` declares, in source order. Raises `ValueError` with the parser's
/// or the type model's message for text `ffi.cdef` would refuse.
/// Private (`rffi._rffi._declarations`): `rffi.make_stubs` is the public entry.
#[pyfunction]
#[pyo3(name = "_declarations")]
pub fn declarations(source: &str) -> PyResult<Vec<Declared>> {
    let mut types = Types::new();
    types
        .cdef(source, &CdefOptions::default())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let decls = rffi_parse::parse_cdef(source, &|_| false)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut out = Vec::new();
    for decl in &decls {
        match decl {
            Decl::Function { name, ty, pos } => {
                let names = match ty {
                    TypeExpr::Function { params, .. } => {
                        params.iter().map(|p| p.name.clone()).collect()
                    }
                    _ => Vec::new(),
                };
                // As a pointer: `ffi.typeof` takes function pointer types only.
                let c_type = match types.symbol(name).cloned() {
                    Some(Symbol::Function(id)) => {
                        let ptr = types.pointer_to(id);
                        Some(types.cname(ptr))
                    }
                    _ => None,
                };
                out.push((
                    "function",
                    name.clone(),
                    c_type,
                    None,
                    Some(names),
                    pos.line,
                    pos.column,
                ));
                enumerators_in(ty, &types, &mut out);
            }
            Decl::Variable { name, ty, pos, .. } => {
                enumerators_in(ty, &types, &mut out);
                let c_type = match types.symbol(name) {
                    Some(Symbol::Variable { ty, .. }) => Some(types.cname(*ty)),
                    _ => None,
                };
                out.push((
                    "variable",
                    name.clone(),
                    c_type,
                    None,
                    None,
                    pos.line,
                    pos.column,
                ));
            }
            Decl::Define { name, pos, .. } => {
                if let Some(Symbol::Constant(v)) = types.symbol(name) {
                    out.push((
                        "constant",
                        name.clone(),
                        None,
                        Some(*v),
                        None,
                        pos.line,
                        pos.column,
                    ));
                }
            }
            Decl::Typedef { ty, .. } => enumerators_in(ty, &types, &mut out),
            Decl::Tag { base, .. } => enumerators_of_base(base, &types, &mut out),
            Decl::Constant { .. } | Decl::ExternPython { .. } | Decl::Pragma { .. } => {}
        }
    }
    Ok(out)
}

/// The enumerators of enums defined inside `ty`.
fn enumerators_in(ty: &TypeExpr, types: &Types, out: &mut Vec<Declared>) {
    match ty {
        TypeExpr::Base(base) => enumerators_of_base(base, types, out),
        TypeExpr::Pointer(inner) | TypeExpr::Array(inner, _) => enumerators_in(inner, types, out),
        TypeExpr::Function { ret, params, .. } => {
            enumerators_in(ret, types, out);
            for p in params {
                enumerators_in(&p.ty, types, out);
            }
        }
    }
}

fn enumerators_of_base(base: &BaseType, types: &Types, out: &mut Vec<Declared>) {
    match base {
        BaseType::Enum(e) => enumerators_of(e, types, out),
        BaseType::Record(r) => {
            for field in r.fields.iter().flatten() {
                enumerators_in(&field.ty, types, out);
            }
        }
        _ => {}
    }
}

fn enumerators_of(e: &EnumDecl, types: &Types, out: &mut Vec<Declared>) {
    for v in e.variants.iter().flatten() {
        if let Some(Symbol::Constant(value)) = types.symbol(&v.name) {
            out.push((
                "constant",
                v.name.clone(),
                None,
                Some(*value),
                None,
                v.pos.line,
                v.pos.column,
            ));
        }
    }
}
