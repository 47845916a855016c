//! Typed handles: functions called through a Rust function pointer of a
//! checked type, and variadic functions whose fixed part is typed.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::sync::Arc;

use rffi_types::Types;

use super::panic::{resume_callback_panic, CALLBACK_PANICKED};
use super::signature::{c_signature, check_signature, rust_signature, RustKind};
use super::{BoundFn, CArgs, CResult, Checked, PointerFree, SafeError, SafeResult};
use crate::plan::Frame;
use crate::Library;

/// A function called directly through a Rust function pointer of a checked
/// type: no frame, no libffi, no allocation.
pub struct TypedFn<A, R> {
    checked: Checked,
    _library: Arc<Library>,
    _signature: PhantomData<fn(A) -> R>,
}

// SAFETY: the address is code kept loaded by `_library`, never mutated.
unsafe impl<A, R> Send for TypedFn<A, R> {}
// SAFETY: as above.
unsafe impl<A, R> Sync for TypedFn<A, R> {}

impl<A, R> Clone for TypedFn<A, R> {
    fn clone(&self) -> Self {
        TypedFn {
            checked: Checked {
                addr: self.checked.addr,
            },
            _library: self._library.clone(),
            _signature: PhantomData,
        }
    }
}

impl<A: CArgs, R: CResult> TypedFn<A, R> {
    /// The function of `bound` as a Rust `fn(A) -> R`, if that signature
    /// matches its declaration (see [`check_signature`]).
    pub fn new(types: &Types, bound: &BoundFn) -> Result<TypedFn<A, R>, SafeError> {
        check_signature::<A, R>(types, &bound.plan)?;
        Ok(TypedFn {
            checked: Checked { addr: bound.addr },
            _library: bound.library.clone(),
            _signature: PhantomData,
        })
    }

    /// Calls the function. `errno` is left as C set it (not saved). A
    /// panic of a typed callback that the function ran continues here, in
    /// the caller, once C has returned.
    #[inline(always)]
    pub fn call(&self, args: A) -> R
    where
        A: PointerFree,
        R: SafeResult,
    {
        // SAFETY: no argument is a pointer; the declaration was vouched for
        // when the function was bound.
        unsafe { self.call_unchecked(args) }
    }

    /// [`call`](Self::call) with any arguments, raw pointers included.
    ///
    /// # Safety
    /// Every pointer argument must be valid for what the function does with
    /// it: C may read and write the memory it points to as far as the
    /// function's contract says, and for as long as it keeps the pointer. A
    /// string result (`Option<&'static CStr>`) must be NULL or a
    /// NUL-terminated string that stays valid and unchanged for `'static`.
    #[inline(always)]
    pub unsafe fn call_unchecked(&self, args: A) -> R {
        let r = args.call_with(&self.checked);
        if CALLBACK_PANICKED.get() {
            resume_callback_panic();
        }
        r
    }

    /// The function's address.
    pub fn addr(&self) -> *const c_void {
        self.checked.addr.as_ptr()
    }
}

/// A variadic function whose fixed parameters and result are typed as
/// `fn(A, ...) -> R`; the extra arguments of each call are written to a
/// frame of a plan for them ([`BoundFn::with_variadic_plan`]).
pub struct TypedVariadic<A, R> {
    bound: Arc<BoundFn>,
    _signature: PhantomData<fn(A) -> R>,
}

impl<A, R> Clone for TypedVariadic<A, R> {
    fn clone(&self) -> Self {
        TypedVariadic {
            bound: self.bound.clone(),
            _signature: PhantomData,
        }
    }
}

impl<A: CArgs, R: CResult> TypedVariadic<A, R> {
    /// The variadic function of `bound` typed as `fn(A, ...) -> R`, if `A`
    /// passes exactly as its fixed parameters and `R` as its result.
    pub fn new(types: &Types, bound: Arc<BoundFn>) -> Result<TypedVariadic<A, R>, SafeError> {
        let plan = &bound.plan;
        let fixed = &plan.args()[..plan.fixed_args()];
        let params_match = fixed.len() == A::KINDS.len()
            && fixed
                .iter()
                .zip(A::KINDS)
                .all(|(slot, kind)| kind.matches(types, slot.ty));
        let ret_matches = match R::KIND {
            None => plan.ret_is_void(),
            Some(kind) => kind.matches(types, plan.ret()),
        };
        if !(plan.is_variadic() && params_match && ret_matches) {
            let rust = rust_signature::<A, R>().replacen(')', ", ...)", 1);
            return Err(SafeError::Signature {
                rust,
                c: c_signature(types, plan),
            });
        }
        Ok(TypedVariadic {
            bound,
            _signature: PhantomData,
        })
    }

    /// The function with its declared (fixed) plan.
    pub fn bound(&self) -> &Arc<BoundFn> {
        &self.bound
    }

    /// Calls `call`, a plan of this function for one list of extra
    /// arguments, already in `frame` at their slots, with `fixed` written
    /// to the slots of the fixed parameters; reads the result as `R`.
    ///
    /// # Safety
    /// As for [`BoundFn::call_unchecked`]; a string result as for
    /// [`TypedFn::call_unchecked`].
    pub unsafe fn call_unchecked(
        &self,
        call: &BoundFn,
        fixed: A,
        frame: &mut Frame,
        result: &mut Frame,
    ) -> Result<R, SafeError> {
        if call.addr != self.bound.addr || call.plan.fixed_args() != A::KINDS.len() {
            return Err(SafeError::Mismatch(
                "the plan is not a call of this function".into(),
            ));
        }
        fixed.write_frame(call.plan.args(), frame)?;
        // SAFETY: passed on to this function's caller.
        unsafe { call.call_unchecked(frame, result) }?;
        if result.capacity() < size_of::<R::Raw>().max(8) {
            return Err(SafeError::Mismatch("result buffer too small".into()));
        }
        // libffi widens integer results narrower than a register to one;
        // their bytes come last on a big-endian target.
        let size = size_of::<R::Raw>();
        let narrow = matches!(R::KIND, Some(RustKind::Int { .. } | RustKind::Bool)) && size < 8;
        let at = if cfg!(target_endian = "big") && narrow {
            8 - size
        } else {
            0
        };
        // SAFETY: the result buffer (at least 16 bytes, checked above to
        // hold R::Raw) holds the C result of the checked type at `at`; the
        // caller vouches for a string result.
        Ok(unsafe { R::from_raw(std::ptr::read_unaligned(result.as_mut_ptr().add(at).cast())) })
    }
}
