//! An FFI made from the tables of a cffi out-of-line module, what
//! `_cffi_backend.FFI(name, _version=…, _types=…, …)` builds in cffi. The Python
//! side (`rffi/_outofline.py`) checks the arguments as cffi does; the tables are
//! declared by `rffi_types::outofline`.

use std::sync::Arc;

use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rffi_types::outofline::{OutOfLineError, OutOfLineErrorKind, RawTables, Tables};
use rffi_types::TypeError;

use crate::base::errors::{type_error, FFIError};
use crate::classes::ffi_class::Ffi;
use crate::model::registry::Registry;

fn py_error(e: OutOfLineError) -> PyErr {
    match e.kind {
        OutOfLineErrorKind::Ffi => FFIError::new_err(e.message),
        OutOfLineErrorKind::NotImplemented => PyNotImplementedError::new_err(e.message),
        OutOfLineErrorKind::Runtime => PyRuntimeError::new_err(e.message),
        OutOfLineErrorKind::Malformed => {
            PyValueError::new_err(format!("not a table that cffi writes: {}", e.message))
        }
        OutOfLineErrorKind::Type(kind) => type_error(TypeError::new(kind, e.message)),
    }
}

pub use crate::model::registry::OutOfLine;

/// A new FFI declaring what the tables describe. `globals` are (entry, value)
/// pairs with the value already reduced as cffi reduces it; `includes` are the
/// FFIs of `_includes`.
#[pyfunction]
#[pyo3(name = "_ffi_from_tables")]
pub fn ffi_from_tables(
    py: Python<'_>,
    types: &Bound<'_, PyBytes>,
    globals: Vec<(Bound<'_, PyBytes>, i128)>,
    struct_unions: Vec<Vec<Bound<'_, PyBytes>>>,
    enums: Vec<Bound<'_, PyBytes>>,
    typenames: Vec<Bound<'_, PyBytes>>,
    includes: Vec<Bound<'_, PyAny>>,
) -> PyResult<Py<Ffi>> {
    let raw = RawTables {
        types: types.as_bytes(),
        globals: globals.iter().map(|(b, v)| (b.as_bytes(), *v)).collect(),
        struct_unions: struct_unions
            .iter()
            .map(|entry| entry.iter().map(|b| b.as_bytes()).collect())
            .collect(),
        enums: enums.iter().map(|b| b.as_bytes()).collect(),
        typenames: typenames.iter().map(|b| b.as_bytes()).collect(),
    };
    let tables = Tables::decode(&raw).map_err(py_error)?;
    let included = includes
        .iter()
        .map(|x| {
            x.cast::<Ffi>()
                .map(|f| f.get().registry().clone())
                .map_err(|_| {
                    PyTypeError::new_err(format!(
                        "_includes must hold rffi.FFI objects, not '{}'",
                        x.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })
        })
        .collect::<PyResult<Vec<Arc<Registry>>>>()?;
    let included_types: Vec<rffi_types::Types> =
        included.iter().map(|r| r.with(|t| t.clone())).collect();
    let refs: Vec<&rffi_types::Types> = included_types.iter().collect();
    let ffi = Ffi::py_new(py)?;
    ffi.registry()
        .with(|t| t.declare_tables(&tables, &refs))
        .map_err(py_error)?;
    let mut list_types = (Vec::new(), Vec::new(), Vec::new());
    list_types.0 = tables.typenames.iter().map(|t| t.name.clone()).collect();
    for s in tables
        .struct_unions
        .iter()
        .filter(|s| !s.name.starts_with('$'))
    {
        match s.flags & rffi_types::outofline::F_UNION {
            0 => list_types.1.push(s.name.clone()),
            _ => list_types.2.push(s.name.clone()),
        }
    }
    let _ = ffi.registry().outofline.set(OutOfLine {
        included,
        list_types,
    });
    Py::new(py, ffi)
}
