//! Python bindings of rffi, built by maturin as the extension module `rffi._rffi`.
//!
//! A thin layer: it converts between Python objects and C values and maps
//! errors to the exceptions cffi raises. Types, layouts and calls live in
//! `rffi-types` and `rffi-call`.

use pyo3::prelude::*;

mod allocator;
mod buffer;
mod call;
mod callback;
mod cast;
mod cdata;
mod cdata_type;
mod convert;
mod ctype;
mod cycles;
mod errors;
mod fastcall;
mod fastread;
mod ffi;
mod ffi_fastcall;
mod file;
mod gil;
mod handle;
mod hot;
mod library;
mod lifetime;
mod outofline;
mod owner;
mod registry;
mod strings;
mod switches;
mod vectorcall;

// pyo3 0.30 declares a module free-threading safe unless told otherwise; rffi is not checked
// to be (docs/design.md, "Free-threaded CPython"), so a free-threaded interpreter turns its
// GIL back on when it imports rffi.
#[pymodule(gil_used = true)]
fn _rffi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // First: the FFI class names the CData type among its attributes.
    cdata_type::create(m)?;
    m.add_class::<ffi::Ffi>()?;
    m.add_class::<ctype::CType>()?;
    m.add_class::<ctype::CField>()?;
    m.add_class::<library::Lib>()?;
    m.add_class::<buffer::Buffer>()?;
    m.add_class::<allocator::Allocator>()?;
    m.add_function(wrap_pyfunction!(outofline::ffi_from_tables, m)?)?;
    m.add_function(wrap_pyfunction!(switches::_switches, m)?)?;
    m.add_function(wrap_pyfunction!(switches::_fast_path_taken, m)?)?;
    m.add("FFIError", py.get_type::<errors::FFIError>())?;
    m.add("CDefError", py.get_type::<errors::CDefError>())?;
    m.add(
        "VerificationMissing",
        py.get_type::<errors::VerificationMissing>(),
    )?;
    m.add("error", py.get_type::<errors::FFIError>())?;
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
