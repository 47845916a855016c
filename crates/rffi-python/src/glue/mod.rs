//! The C-API glue: the CData type spec and its slots, the FFI fast methods, GC support.

pub mod cdata_ops;
pub mod cdata_type;
pub mod cycles;
pub mod fast_slots;
pub mod introspect;
