//! Python bindings of rffi, importable as `rffi._rffi`.
//!
//! This crate is deliberately thin: it converts between Python objects and the values of the
//! crates below it. For now it only exposes the version; the `FFI` class arrives later.

use pyo3::prelude::*;

/// The extension module `rffi._rffi`.
#[pymodule]
fn _rffi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
