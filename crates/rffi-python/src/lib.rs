//! Python bindings of rffi, built by maturin as the extension module `rffi._rffi`.
//!
//! A thin layer: it converts between Python objects and C values and maps
//! errors to the exceptions cffi raises. Types, layouts and calls live in
//! `rffi-types` and `rffi-call`.
//!
//! The modules sit in folders whose imports only go down, in this order:
//! `base` (errors, the GIL, the switches) → `model` (the registry of one
//! FFI, shapes, read facts, call sites) → `memory` (owners) → `cdata` (the
//! value and object of a cdata) → `convert` (Python values to C and back)
//! → `calls` (C calls, callbacks) → `classes` (the pyo3 classes) → `glue`
//! (the CData type's spec and slots, the FFI fast methods) → this file.

use pyo3::prelude::*;

mod base;
mod calls;
mod cdata;
mod classes;
mod convert;
mod glue;
mod memory;
mod model;

// pyo3 0.30 declares a module free-threading safe unless told otherwise; rffi is not checked
// to be (docs/design.md, "Free-threaded CPython"), so a free-threaded interpreter turns its
// GIL back on when it imports rffi.
#[pymodule(gil_used = true)]
fn _rffi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    base::switches::read_environment();
    // First: the FFI class names the CData type among its attributes.
    glue::cdata_type::create(m)?;
    m.add_class::<classes::ffi_class::Ffi>()?;
    m.add_class::<classes::ctype::CType>()?;
    m.add_class::<classes::ctype::CField>()?;
    m.add_class::<classes::library::Lib>()?;
    m.add_class::<classes::buffer::Buffer>()?;
    m.add_class::<classes::allocator_class::Allocator>()?;
    m.add_function(wrap_pyfunction!(classes::outofline::ffi_from_tables, m)?)?;
    m.add_function(wrap_pyfunction!(glue::introspect::_switches, m)?)?;
    m.add_function(wrap_pyfunction!(glue::introspect::_fast_path_taken, m)?)?;
    m.add_function(wrap_pyfunction!(
        glue::introspect::_callback_conversions,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(classes::declared::declarations, m)?)?;
    m.add("FFIError", py.get_type::<base::errors::FFIError>())?;
    m.add("CDefError", py.get_type::<base::errors::CDefError>())?;
    m.add(
        "VerificationMissing",
        py.get_type::<base::errors::VerificationMissing>(),
    )?;
    m.add("error", py.get_type::<base::errors::FFIError>())?;
    for (name, value) in rtld_flags() {
        m.add(name, value)?;
    }
    Ok(())
}

/// The `RTLD_*` flags of `dlopen`, exported as cffi does.
pub fn rtld_flags() -> [(&'static str, i32); 7] {
    use rffi_call as c;
    [
        ("RTLD_LAZY", c::RTLD_LAZY),
        ("RTLD_NOW", c::RTLD_NOW),
        ("RTLD_GLOBAL", c::RTLD_GLOBAL),
        ("RTLD_LOCAL", c::RTLD_LOCAL),
        ("RTLD_NODELETE", c::RTLD_NODELETE),
        ("RTLD_NOLOAD", c::RTLD_NOLOAD),
        ("RTLD_DEEPBIND", c::RTLD_DEEPBIND),
    ]
}
