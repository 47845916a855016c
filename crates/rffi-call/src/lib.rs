//! Memory and calls for rffi: shared libraries, call plans over libffi, and
//! reading and writing C values at addresses.
//!
//! This crate is where rffi touches raw memory and jumps into C, so it is one
//! of the two crates allowed `unsafe`; each block says why it holds. A call
//! goes through a [`CallPlan`] built once per function type: the libffi call
//! description and the place of every argument in a frame.
//!
//! ```
//! use rffi_call::{CallPlan, Library, memory, Scalar, Value};
//! use rffi_types::{CdefOptions, Types};
//!
//! let mut types = Types::new();
//! types.cdef("double cos(double);", &CdefOptions::default()).unwrap();
//! let Some(rffi_types::Symbol::Function(cos_type)) = types.symbol("cos").cloned() else { panic!() };
//! let plan = CallPlan::new(&types, cos_type).unwrap();
//! // SAFETY: libm's initialisers are sound to run.
//! let libm = unsafe { Library::open(Some("libm.so.6"), 0) }.unwrap();
//! let cos = libm.symbol("cos").unwrap();
//! let mut frame = plan.frame();
//! let mut result = plan.result_buffer();
//! // SAFETY: `cos` is `double cos(double)`, as declared, and the frame holds a double.
//! let value = unsafe {
//!     let slot = frame.as_mut_ptr().add(plan.args()[0].offset);
//!     memory::write(slot, Scalar::F64, Value::Float(0.0));
//!     plan.call(cos, &mut frame, &mut result);
//!     memory::read(result.as_mut_ptr(), Scalar::F64)
//! };
//! assert_eq!(value, Value::Float(1.0));
//! ```

mod callback;
mod context;
mod direct;
pub mod errno;
mod error;
mod ffitype;
mod library;
pub mod longdouble;
pub mod memory;
mod plan;
pub mod safe;
mod scalar;
pub mod stdio;

pub use callback::{Callback, Handler};
pub use context::TypeContext;
pub use direct::{Direct, Reg, RegResult, Regs, Returned, FLOAT_REGS, INT_REGS};
pub use error::CallError;
pub use ffitype::Position;
pub use library::*;
pub use memory::Value;
pub use plan::{holds_pointer, ArgSlot, CallPlan, Frame};
pub use scalar::{Scalar, ShapeScalar};
