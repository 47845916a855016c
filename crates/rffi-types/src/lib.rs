//! The C type model of rffi: interned types, the primitives of the target,
//! struct and union layout by GCC's rules, enums, function types and the
//! canonical C spelling of every type.
//!
//! This crate is pure data: it turns the declarations of [`rffi_parse`] into
//! types with sizes and offsets, and never touches memory. Everything cffi's
//! `cdef` accepts in ABI mode can be declared; types are then named by strings
//! as in `ffi.new("struct point *")`.
//!
//! ```
//! use rffi_types::{CdefOptions, Types};
//!
//! let mut types = Types::new();
//! types.cdef(
//!     "struct point { char tag; double x, y; };
//!      typedef struct { unsigned a : 3, b : 7; } flags_t;
//!      enum color { RED, GREEN = 5, BLUE };
//!      int draw(struct point *p, enum color c);",
//!     &CdefOptions::default(),
//! )?;
//! let point = types.parse_type("struct point")?;
//! assert_eq!(types.size_of(point)?, 24);
//! assert_eq!(types.offset_of(point, "x")?, 8);
//! let flags = types.parse_type("flags_t")?;
//! assert_eq!(types.size_of(flags)?, 4);
//! assert_eq!(types.constant("BLUE"), Some(6));
//! let draw = types.parse_type("int(*)(struct point *, enum color)")?;
//! assert_eq!(types.cname(draw), "int(*)(struct point *, enum color)");
//! # Ok::<(), rffi_types::TypeError>(())
//! ```

mod cname;
mod consteval;
mod declare;
mod error;
mod layout;
mod model;
pub mod outofline;
mod prim;
mod registry;
mod shape;
mod shared;
pub mod target;
mod unfinished;
mod variadic;

pub use consteval::truncate;
pub use declare::CdefOptions;
pub use error::{ErrorKind, Result, TypeError};
pub use model::{
    BitField, EnumDef, EnumId, Field, FuncType, Record, RecordId, RecordLayout, Type, TypeId,
};
pub use prim::{Prim, PrimClass, PrimInfo};
pub use registry::{Symbol, Types};
pub use rffi_parse::RecordKind;
pub use shape::{shape_of, Shape};
pub use variadic::variadic_promotion;
