//! Call C libraries from Rust with declarations written as C text, chosen at
//! run time, without a C compiler.
//!
//! This is the Rust face of rffi. Declarations use the dialect of cffi's
//! `cdef` (the Python side of rffi accepts the same text): give them to an
//! [`Ffi`], open a [`Library`], and call its functions either dynamically
//! with [`Value`]s, through prepared [`DynFunction`]s, or through typed
//! [`Function`] handles checked once against a Rust signature (and
//! [`VariadicFunction`]s, whose fixed part is typed). C memory of
//! declared types is a [`CData`]; `#[repr(C)]` Rust structs declared with
//! [`c_struct!`] pass by value through typed handles; Rust closures become
//! C function pointers as [`Callback`]s. Everything that can fail returns an
//! [`Error`] that says what and where.
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
//! ")?;
//! // SAFETY: libm and the process's libc are sound to load, and the
//! // declarations above are the C library's own.
//! let libm = unsafe { ffi.dlopen("m") }?;
//! let libc = unsafe { ffi.dlopen_process() }?;
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
//! // Or as a `#[repr(C)]` Rust struct, checked once against the declared
//! // layout and then passed directly.
//! rffi::c_struct! { struct DivT { quot: i32, rem: i32 } }
//! let div = libc.function::<(i32, i32), DivT>("div")?;
//! let DivT { quot, rem } = div.call((17, 5));
//! assert_eq!((quot, rem), (3, 2));
//!
//! // A function that takes pointers is called with `unsafe`: Rust buffers
//! // and C strings are lent to C for the call, and variadic arguments are
//! // promoted as C promotes them.
//! let mut buf = [0u8; 32];
//! // SAFETY: snprintf writes at most 32 bytes to `buf`, and the format asks
//! // for an int and a double, which follow it.
//! let n = unsafe {
//!     libc.call_unchecked(
//!         "snprintf",
//!         &[(&mut buf[..]).into(), 32u64.into(), c"%d|%.1f".into(), 42.into(), 2.5.into()],
//!     )
//! }?;
//! assert_eq!(n, Value::I32(6));
//! assert_eq!(&buf[..7], b"42|2.5\0");
//! # Ok::<(), rffi::Error>(())
//! ```
//!
//! # Safety model
//!
//! Rust cannot check C code. rffi asks its user to vouch for C in two
//! places, both `unsafe fn`s, and checks everything else:
//!
//! 1. **Opening a library** ([`Ffi::dlopen`], [`Ffi::dlopen_process`],
//!    [`Ffi::dlopen_with`]): loading runs the library's initialisers, and
//!    the `Ffi`'s declarations of its symbols are trusted to be true: the
//!    type of each function, the type (so the size) and constness of each
//!    variable, and that each function is sound to call with any values of
//!    its parameter types that hold no pointer. (This is libloading's
//!    `Library::new` and `get`, dlopen2's `load`.)
//! 2. **Handing C a pointer** ([`Library::call_unchecked`],
//!    [`DynFunction::call_unchecked`], [`Function::call_unchecked`],
//!    [`Library::global_unchecked`]): what C does with an address is known
//!    only from its documentation, so the caller vouches that the memory is
//!    valid for what C reads and writes, for as long as C keeps it. That
//!    includes a [`Callback`]'s pointer, which C must not call after the
//!    `Callback` is dropped ([`Callback::leak`] keeps one forever). (This is
//!    libffi-rs's `Cif::call`.) [`Arg`] lends `&CStr`, slices, `&mut`
//!    out-parameters, [`CData`] and callbacks with a lifetime, so they are
//!    borrowed until the call returns.
//!
//! The rest of the API is safe: with both vouches true, no safe code can
//! cause undefined behaviour. Concretely, a safe call ([`Library::call`],
//! [`DynFunction::call`], [`Function::call`]) passes no pointer at all: a
//! function with a pointer parameter (or a struct by value holding one)
//! is refused with [`Error::PassesPointers`], and a typed handle's `call`
//! does not compile with raw pointer arguments:
//!
//! ```compile_fail
//! let ffi = rffi::Ffi::new();
//! ffi.cdef("size_t strlen(const char *);").unwrap();
//! let libc = unsafe { ffi.dlopen_process() }.unwrap();
//! let strlen = libc.function::<(*const u8,), usize>("strlen").unwrap();
//! strlen.call((0x10 as *const u8,)); // only `unsafe { strlen.call_unchecked(..) }`
//! ```
//!
//! [`CData`] memory is bounds-checked on every access and freed only when
//! its last handle goes; library globals keep their library loaded, refuse
//! writes when declared `const`, and refuse pointer writes unless opened
//! with [`Library::global_unchecked`]. Typed handles and callbacks only
//! exist for Rust signatures that pass exactly as their C declarations do.
//! Raw pointers that C returns are plain values: this crate never
//! dereferences a pointer it did not allocate or look up itself. A panic in
//! a callback never unwinds into C; it reaches the Rust code that called
//! into C (see [`Callback`]). Handles that a [`Library`] gave out keep it
//! mapped after [`Library::close`], so no call reaches unloaded code.
//!
//! # Threads
//!
//! [`Ffi`], [`Library`], [`Function`], [`DynFunction`], [`Callback`],
//! [`CType`], [`Value`] and [`Error`] are `Send` and `Sync`. [`CData`] is
//! neither (its clones share memory that they access without locks), and
//! neither is [`LocalCallback`] (it runs a closure that may not be `Send`,
//! on its own thread only).
//!
//! # Performance
//!
//! A typed [`Function`] is checked once at lookup and then called through a
//! Rust function pointer of the checked type: it costs what a direct call
//! costs (a few ns), also with `#[repr(C)]` structs by value. A prepared
//! [`DynFunction`] converts its checked values with conversions worked out
//! once and calls through libffi; [`Library::call`] first looks the
//! function up by name. `crates/rffi/benches/call.rs` compares them with a
//! direct call and with libffi's prepared `Cif`.

// `unsafe` here only marks the trust points above (`unsafe fn`) and
// forwards their callers' word to rffi-call; each item that does is
// `#[allow(unsafe_code)]` with a SAFETY note.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod callback;
mod context;
mod dynamic;
mod error;
mod function;
mod hint;
mod library;
mod memory;
mod search;
mod value;
mod variadic;

pub use callback::{Callback, LocalCallback};
pub use context::{CType, Ffi, TypeName};
pub use dynamic::DynFunction;
pub use error::{Error, Result};
pub use function::Function;
pub use library::{Library, OpenFlags};
pub use memory::CData;
pub use rffi_call::c_struct;
pub use rffi_call::safe::take_callback_panic;
pub use rffi_call::safe::{
    CArgs, CResult, CScalar, CStruct, PointerFree, RustKind, SafeResult, StructField, StructLayout,
};
pub use rffi_types::{CdefOptions, ErrorKind};
pub use value::{Arg, StructValue, Value};
pub use variadic::VariadicFunction;

/// The `errno` that the last dynamic call ([`Library::call`]) on this thread
/// left, saved right after the call as cffi does.
pub fn errno() -> i32 {
    rffi_call::errno::saved()
}

/// The README's example runs as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
