//! Call C libraries from Rust with declarations written as C text, chosen at
//! run time, without a C compiler.
//!
//! This is the Rust face of rffi. Declarations use the dialect of cffi's
//! `cdef` (the Python side of rffi accepts the same text): give them to an
//! [`Ffi`], open a [`Library`], and call its functions either dynamically
//! with [`Value`]s or through typed [`Function`] handles checked once against
//! a Rust signature. C memory of declared types is a [`CData`]; Rust closures
//! become C function pointers as [`Callback`]s. Everything that can fail
//! returns an [`Error`] that says what and where.
//!
//! ```
//! use rffi::{Ffi, Value};
//!
//! let ffi = Ffi::new();
//! ffi.cdef("
//!     double cos(double);
//!     typedef struct { int quot; int rem; } div_t;
//!     div_t div(int, int);
//!     int snprintf(char *buf, size_t n, const char *fmt, ...);
//!     void qsort(void *base, size_t n, size_t size,
//!                int (*compare)(const void *, const void *));
//! ")?;
//! let libm = ffi.dlopen(Some("m"))?;
//! let libc = ffi.dlopen(None)?; // the process: libc is already loaded
//!
//! // Dynamic calls: checked values in, a value of the declared type out.
//! assert_eq!(libm.call("cos", &[Value::F64(0.0)])?, Value::F64(1.0));
//!
//! // Typed handles: checked once at lookup, then a direct call.
//! let cos = libm.function::<(f64,), f64>("cos")?;
//! assert_eq!(cos.call((0.0,)), 1.0);
//!
//! // Structs by value come back as bytes with their type; read them as C memory.
//! let qr = libc.call("div", &[Value::I32(17), Value::I32(5)])?;
//! let div_t = ffi.alloc("div_t")?;
//! div_t.set(qr)?;
//! assert_eq!(div_t.field("quot")?.get()?, Value::I32(3));
//! assert_eq!(div_t.field("rem")?.get()?, Value::I32(2));
//!
//! // Memory for C to fill, and variadic calls.
//! let buf = ffi.alloc_array("char", 32)?;
//! let fmt = ffi.alloc_string("%d|%.1f")?;
//! let n = libc.call(
//!     "snprintf",
//!     &[(&buf).into(), Value::U64(32), (&fmt).into(), Value::I32(42), Value::F64(2.5)],
//! )?;
//! assert_eq!(n, Value::I32(6));
//! assert_eq!(&buf.to_bytes()?[..7], b"42|2.5\0");
//!
//! // A closure as a C callback: sort C ints with a Rust comparator. `at` reads
//! // the items qsort points to, checked to lie inside `items`.
//! let items = ffi.alloc_array("int", 3)?;
//! for (i, v) in [3, 1, 2].into_iter().enumerate() {
//!     items.index(i)?.set(v)?;
//! }
//! let view = items.clone();
//! let compare = ffi.local_callback(
//!     "int(*)(const void *, const void *)",
//!     move |(a, b): (*const std::ffi::c_void, *const std::ffi::c_void)| {
//!         let get = |p| view.at(p, "int").and_then(|d| d.get()).unwrap().as_int();
//!         get(a).cmp(&get(b)) as i32
//!     },
//! )?;
//! libc.call(
//!     "qsort",
//!     &[(&items).into(), Value::U64(3), Value::U64(4), (&compare).into()],
//! )?;
//! assert_eq!(items.to_bytes()?, [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
//! # Ok::<(), rffi::Error>(())
//! ```
//!
//! # Performance
//!
//! A typed [`Function`] is checked once at lookup and then called through a
//! Rust function pointer of the checked type: it costs what a direct call
//! costs (about 3 ns for `nop(double, double, double)`). A dynamic
//! [`Library::call`] looks the declaration up, checks and converts every
//! value and goes through libffi (a few hundred ns). The comparison lives in
//! `crates/rffi-call/benches/call.rs`, because its baselines need `unsafe`.
//!
//! # Safety model
//!
//! The crate has no `unsafe` code and its API is safe to the extent that an
//! FFI can be: **the C declarations are trusted.** A function declared with
//! the wrong type, a global declared larger than it is, or a pointer passed
//! to C that C then uses beyond what it points to (or after the [`CData`] or
//! [`Callback`] behind it is dropped) is undefined behaviour, as in any FFI.
//! Everything else is checked and reported as an [`Error`]: argument counts
//! and types, integer ranges, memory bounds, writes to `const` globals, and
//! Rust signatures of typed handles and callbacks, which must match their C
//! declarations exactly. Panics in callbacks never unwind into C.
//!
//! Raw pointers are plain values here: C functions may return them and
//! accept them, but this crate never dereferences a pointer it did not
//! allocate or look up itself.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod callback;
mod context;
mod error;
mod function;
mod library;
mod memory;
mod value;

pub use callback::Callback;
pub use context::{CType, Ffi, TypeName};
pub use error::{Error, Result};
pub use function::Function;
pub use library::Library;
pub use memory::CData;
pub use rffi_call::safe::{CArgs, CResult, CScalar};
pub use rffi_types::{CdefOptions, ErrorKind};
pub use value::{StructValue, Value};

/// The `errno` that the last dynamic call ([`Library::call`]) on this thread
/// left, saved right after the call as cffi does.
pub fn errno() -> i32 {
    rffi_call::errno::saved()
}
