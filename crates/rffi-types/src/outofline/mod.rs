//! cffi's out-of-line ABI modules: the tables that `ffibuilder.set_source("_name", None)`
//! writes into a generated Python module, decoded into a [`Types`](crate::Types).
//!
//! Such a module calls `_cffi_backend.FFI('_name', _version=0x2601, _types=b'…',
//! _globals=(…), _struct_unions=(…), _enums=(…), _typenames=(…), _includes=(…))`. The
//! tables describe the declarations of the `cdef` the module was built from, already
//! resolved by cffi into numbered types: [`tables`] reads the byte strings into
//! [`Tables`], and [`Types::declare_tables`](crate::Types::declare_tables) turns those into
//! rffi's records, enums, typedefs and symbols. Nothing is computed by the module: struct
//! layouts are laid out here by the same rules as `cdef`, as cffi does in ABI mode.
//!
//! ```
//! use rffi_types::outofline::{RawTables, Tables};
//! use rffi_types::Types;
//!
//! // `typedef struct point { int x, y; } point_t; int norm(point_t *);`
//! let raw = RawTables {
//!     // 0: int(struct point *), 1: its parameter, 2: its end, 3: int, 4: struct point
//!     types: b"\x00\x00\x03\x0D\x00\x00\x04\x03\x00\x00\x00\x0F\x00\x00\x07\x01\x00\x00\x00\x09",
//!     globals: vec![(&b"\x00\x00\x00\x23norm"[..], 0)],
//!     struct_unions: vec![vec![
//!         &b"\x00\x00\x00\x04\x00\x00\x00\x02point"[..],
//!         &b"\x00\x00\x03\x11x"[..],
//!         &b"\x00\x00\x03\x11y"[..],
//!     ]],
//!     typenames: vec![&b"\x00\x00\x00\x04point_t"[..]],
//!     ..RawTables::default()
//! };
//! let mut types = Types::new();
//! types.declare_tables(&Tables::decode(&raw)?, &[])?;
//! let point = types.parse_type("point_t")?;
//! assert_eq!(types.cname(point), "struct point");
//! assert_eq!(types.offset_of(point, "y")?, 4);
//! let Some(rffi_types::Symbol::Function(norm)) = types.symbol("norm").cloned() else { panic!() };
//! assert_eq!(types.cname(norm), "int(struct point *)");
//! # Ok::<(), rffi_types::outofline::OutOfLineError>(())
//! ```

mod import;
mod realize;
pub mod tables;

pub use tables::{
    EnumEntry, FieldEntry, Global, Op, RawTables, StructUnion, Tables, Typename, F_EXTERNAL,
    F_OPAQUE, F_PACKED, F_UNION,
};

use crate::error::TypeError;

/// The versions of the table format cffi's `_cffi_backend.FFI` accepts.
pub const VERSIONS: std::ops::RangeInclusive<i64> = 0x2601..=0x28FF;

/// Which exception cffi raises for a problem with the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfLineErrorKind {
    /// `ffi.error` (cffi's FFIError).
    Ffi,
    /// `NotImplementedError`: an opcode or primitive cffi does not know.
    NotImplemented,
    /// `RuntimeError`: type building recursing without end.
    Runtime,
    /// The tables are not what cffi writes (cut short, an index out of range): cffi
    /// would read outside them; rffi refuses them with a `ValueError`.
    Malformed,
    /// An error of the type model while declaring (unknown size, bad layout...).
    Type(crate::ErrorKind),
}

/// An error found while decoding or declaring out-of-line tables.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OutOfLineError {
    pub kind: OutOfLineErrorKind,
    pub message: String,
}

impl OutOfLineError {
    pub fn new(kind: OutOfLineErrorKind, message: impl Into<String>) -> OutOfLineError {
        OutOfLineError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> OutOfLineError {
        OutOfLineError::new(OutOfLineErrorKind::Malformed, message)
    }

    pub(crate) fn ffi(message: impl Into<String>) -> OutOfLineError {
        OutOfLineError::new(OutOfLineErrorKind::Ffi, message)
    }
}

impl From<TypeError> for OutOfLineError {
    fn from(e: TypeError) -> OutOfLineError {
        OutOfLineError::new(OutOfLineErrorKind::Type(e.kind), e.message)
    }
}

pub type Result<T> = std::result::Result<T, OutOfLineError>;
