//! Safe entry points over the raw machinery, for crates that may not use
//! `unsafe` (the `rffi` facade).
//!
//! # Where trust is placed
//!
//! Calling C cannot be proven safe by Rust: what a C function does is only
//! known from its declaration, and what it does with a pointer only from its
//! documentation. This module makes those two trust decisions `unsafe fn`s
//! and checks everything else:
//!
//! - [`BoundFn::new`] and [`Region::symbol`] are `unsafe`: the caller vouches
//!   that the C declaration (the [`CallPlan`](crate::CallPlan) or the declared size) matches
//!   the symbol.
//! - A call that hands C a pointer (a pointer argument, or a struct by value
//!   with a pointer member) is `unsafe` ([`BoundFn::call_unchecked`],
//!   [`TypedFn::call_unchecked`]): the caller vouches that C only uses the
//!   memory behind it as far and as long as it is valid. Calls without
//!   pointers ([`BoundFn::call`], [`TypedFn::call`] for [`PointerFree`]
//!   arguments) are safe.
//! - Everything after that is checked here: frames are big enough for their
//!   plan, memory accesses stay inside their [`Region`], and typed handles
//!   ([`TypedFn`], [`typed_callback`]) only exist for Rust signatures whose
//!   types travel exactly as the declared C types do. A panic in a typed
//!   callback is caught before it reaches C and handed to the Rust caller of
//!   the C function (see [`take_callback_panic`]).

mod bound;
mod callback;
mod panic;
mod region;
mod signature;
mod typed;

pub use bound::BoundFn;
pub use callback::{typed_callback, typed_local_callback, LocalCallback};
pub use panic::{panic_message, take_callback_panic};
pub use region::Region;
pub use signature::{
    c_signature, check_signature, rust_signature, CArgs, CResult, CScalar, CStruct, Checked,
    PointerFree, RustKind, SafeResult, StructField, StructLayout,
};
pub use typed::{TypedFn, TypedVariadic};

use crate::error::CallError;

/// What the checked operations refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SafeError {
    /// An access past the end of a region or frame.
    #[error("access of {len} bytes at offset {offset} is outside a block of {size} bytes")]
    OutOfBounds {
        offset: usize,
        len: usize,
        size: usize,
    },
    /// A write to memory declared `const`.
    #[error("the memory is read-only (declared const)")]
    ReadOnly,
    /// A Rust signature that does not travel as the C function type does.
    #[error("the Rust signature {rust} does not match the C type {c}")]
    Signature { rust: String, c: String },
    /// A frame, plan or layout that does not fit the call.
    #[error("{0}")]
    Mismatch(String),
    /// A safe call of a function that takes pointers.
    #[error("the call passes pointers to C, which only an unsafe call can vouch for")]
    PassesPointers,
    /// A callback run during the call panicked; the message of the panic.
    #[error("a callback panicked: {0}")]
    CallbackPanicked(String),
    /// A library or plan error.
    #[error(transparent)]
    Call(#[from] CallError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Value;
    use crate::{CallPlan, Library, Scalar};
    use rffi_types::Types;
    use rffi_types::{CdefOptions, Symbol};
    use std::sync::Arc;

    fn setup(decl: &str, name: &str) -> (Types, BoundFn) {
        let mut types = Types::new();
        types.cdef(decl, &CdefOptions::default()).unwrap();
        let Some(Symbol::Function(f)) = types.symbol(name).cloned() else {
            panic!()
        };
        let plan = Arc::new(CallPlan::new(&types, f).unwrap());
        // SAFETY: libm's initialisers are sound.
        let lib = Arc::new(unsafe { Library::open(Some("libm.so.6"), 0) }.unwrap());
        // SAFETY: the tests declare libm's functions with their real types.
        let bound = unsafe { BoundFn::new(lib, name, plan) }.unwrap();
        (types, bound)
    }

    #[test]
    fn regions_refuse_out_of_bounds_access() {
        let r = Region::alloc(8, 8).unwrap();
        r.write(4, Scalar::F32, Value::Float(1.5)).unwrap();
        assert_eq!(r.read(4, Scalar::F32).unwrap(), Value::Float(1.5));
        assert!(matches!(
            r.read(5, Scalar::F32),
            Err(SafeError::OutOfBounds {
                offset: 5,
                len: 4,
                size: 8
            })
        ));
        assert!(r.write_bytes(usize::MAX, &[1]).is_err());
    }

    #[test]
    fn typed_functions_are_checked_then_called_directly() {
        let (types, bound) = setup("double cos(double);", "cos");
        let cos = TypedFn::<(f64,), f64>::new(&types, &bound).unwrap();
        assert_eq!(cos.call((0.0,)), 1.0);
        let err = TypedFn::<(f32,), f64>::new(&types, &bound).err().unwrap();
        assert_eq!(
            err.to_string(),
            "the Rust signature fn(f32) -> f64 does not match the C type double(double)"
        );
    }

    #[test]
    fn safe_calls_refuse_plans_that_pass_pointers() {
        let (_, bound) = setup("double frexp(double, int *);", "frexp");
        assert!(bound.plan().passes_pointers());
        let mut frame = bound.plan().frame();
        let mut result = bound.plan().result_buffer();
        assert_eq!(
            bound.call(&mut frame, &mut result),
            Err(SafeError::PassesPointers)
        );
    }

    #[test]
    fn a_panic_in_a_typed_callback_reaches_the_caller_once() {
        let mut types = Types::new();
        let ty = types.parse_type("int(*)(int)").unwrap();
        let plan = Arc::new(CallPlan::new(&types, ty).unwrap());
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = runs.clone();
        let cb = typed_callback(&types, plan, move |(x,): (i32,)| -> i32 {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if x > 1 {
                panic!("too big: {x}");
            }
            x
        })
        .unwrap();
        let f: extern "C" fn(i32) -> i32 =
            // SAFETY: the callback's code has the C type int(*)(int).
            unsafe { std::mem::transmute(cb.code()) };
        assert_eq!(f(1), 1);
        assert_eq!(f(5), 0);
        assert_eq!(f(1), 0, "not run again until the panic is taken");
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 2);
        let payload = take_callback_panic().unwrap();
        assert_eq!(panic_message(&*payload), "too big: 5");
        assert!(take_callback_panic().is_none());
        assert_eq!(f(1), 1);
    }

    #[test]
    fn frames_are_checked_against_the_plan() {
        let (_, bound) = setup("double cos(double);", "cos");
        let mut frame = bound.plan().frame();
        let mut result = bound.plan().result_buffer();
        frame
            .put(
                bound.plan().args()[0].offset,
                Scalar::F64,
                Value::Float(0.0),
            )
            .unwrap();
        bound.call(&mut frame, &mut result).unwrap();
        assert_eq!(result.get(0, Scalar::F64).unwrap(), Value::Float(1.0));
    }
}
