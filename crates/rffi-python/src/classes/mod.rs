//! The Python classes made with pyo3: FFI, CType, Lib, buffer, allocator, out-of-line FFIs.

pub mod allocator;
pub mod allocator_class;
pub mod buffer;
pub mod ctype;
pub mod declared;
pub mod ffi_api;
pub mod ffi_class;
pub mod ffi_methods;
pub mod library;
pub mod outofline;
