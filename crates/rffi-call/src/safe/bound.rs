//! A library's function bound to the plan of its declared type: the trust
//! point of calls, and the checked calls through libffi or registers.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use super::panic::take_callback_panic;
use super::{panic_message, SafeError};
use crate::plan::{CallPlan, Frame};
use crate::Library;

/// A function of a library together with the plan of its declared type.
pub struct BoundFn {
    pub(super) plan: Arc<CallPlan>,
    pub(super) addr: NonNull<c_void>,
    pub(super) library: Arc<Library>,
}

// SAFETY: the address is code, which never moves or changes while `library`
// keeps it loaded; the plan is Send + Sync.
unsafe impl Send for BoundFn {}
// SAFETY: as above; nothing is mutated after creation.
unsafe impl Sync for BoundFn {}

impl std::fmt::Debug for BoundFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundFn")
            .field("addr", &self.addr)
            .field("library", &self.library.name())
            .finish()
    }
}

fn frame_size(plan: &CallPlan) -> usize {
    plan.args()
        .iter()
        .map(|s| s.offset + s.size)
        .max()
        .unwrap_or(0)
}

impl BoundFn {
    /// The function `name` of `library`, to be called as `plan` describes.
    ///
    /// # Safety
    /// The plan (built from the user's C declaration) must be the function's
    /// real type, and calling the function with any values of its non-pointer
    /// parameter types must be sound.
    pub unsafe fn new(
        library: Arc<Library>,
        name: &str,
        plan: Arc<CallPlan>,
    ) -> Result<BoundFn, SafeError> {
        let addr = library.symbol(name)?;
        let addr = NonNull::new(addr)
            .ok_or_else(|| SafeError::Mismatch(format!("symbol '{name}' has a null address")))?;
        Ok(BoundFn {
            plan,
            addr,
            library,
        })
    }

    /// The same variadic function with a plan for one list of extra
    /// arguments; the plan must share this one's fixed parameters.
    pub fn with_variadic_plan(&self, plan: Arc<CallPlan>) -> Result<BoundFn, SafeError> {
        let fixed = self.plan.fixed_args();
        let same_fixed = self.plan.is_variadic()
            && plan.is_variadic()
            && plan.fixed_args() == fixed
            && plan.ret() == self.plan.ret()
            && self.plan.args()[..fixed]
                .iter()
                .zip(&plan.args()[..fixed])
                .all(|(a, b)| a.ty == b.ty);
        if !same_fixed {
            return Err(SafeError::Mismatch(
                "the plan is not a variadic call of this function".into(),
            ));
        }
        Ok(BoundFn {
            plan,
            addr: self.addr,
            library: self.library.clone(),
        })
    }

    /// The plan of the declared type.
    pub fn plan(&self) -> &CallPlan {
        &self.plan
    }

    /// The function's address.
    pub fn addr(&self) -> *const c_void {
        self.addr.as_ptr()
    }

    /// Calls the function with the arguments in `frame` (written at the
    /// plan's slots with [`Frame::put`]), leaving the result in `result`.
    /// `errno` is restored before and saved after, see [`crate::errno`].
    ///
    /// Refused with [`SafeError::PassesPointers`] if the plan passes a
    /// pointer: use [`call_unchecked`](Self::call_unchecked) for those.
    pub fn call(&self, frame: &mut Frame, result: &mut Frame) -> Result<(), SafeError> {
        if self.plan.passes_pointers() {
            return Err(SafeError::PassesPointers);
        }
        // SAFETY: no argument is or holds a pointer; `new` vouched for the rest.
        unsafe { self.call_unchecked(frame, result) }
    }

    /// [`call`](Self::call) for any plan, pointers included.
    ///
    /// # Safety
    /// Every pointer in `frame` must be valid for what the function does with
    /// it (reads and writes within the memory it points to, for as long as C
    /// uses it; a callback's code kept alive while C may call it).
    pub unsafe fn call_unchecked(
        &self,
        frame: &mut Frame,
        result: &mut Frame,
    ) -> Result<(), SafeError> {
        let need = frame_size(&self.plan);
        if frame.capacity() < need {
            return Err(SafeError::Mismatch(format!(
                "frame of {} bytes for arguments of {need}",
                frame.capacity()
            )));
        }
        if result.capacity() < self.plan.result_size().max(16) {
            return Err(SafeError::Mismatch("result buffer too small".into()));
        }
        // SAFETY: `new` is the trust point for the function's type, this
        // function's caller for its pointers; the frame holds every argument
        // slot, and any bytes there are values of the C scalar and record
        // types libffi passes; the result buffer is as large as
        // result_buffer() makes it.
        unsafe { self.plan.call(self.addr.as_ptr(), frame, result) };
        match take_callback_panic() {
            Some(p) => Err(SafeError::CallbackPanicked(panic_message(&*p))),
            None => Ok(()),
        }
    }
}

impl BoundFn {
    /// Calls the function through registers, without libffi, when its plan
    /// has a [`Direct`](crate::Direct) layout (`None` otherwise), with the
    /// arguments in `regs` at the layout's registers. Refused with
    /// [`SafeError::PassesPointers`] if the plan passes a pointer.
    pub fn call_direct(&self, regs: &crate::Regs) -> Option<Result<crate::Returned, SafeError>> {
        if self.plan.passes_pointers() {
            return Some(Err(SafeError::PassesPointers));
        }
        // SAFETY: no argument is a pointer; `new` vouched for the rest.
        unsafe { self.call_direct_unchecked(regs) }
    }

    /// [`call_direct`](Self::call_direct) for any plan, pointers included.
    ///
    /// # Safety
    /// As for [`call_unchecked`](Self::call_unchecked), for the pointers in
    /// `regs`.
    pub unsafe fn call_direct_unchecked(
        &self,
        regs: &crate::Regs,
    ) -> Option<Result<crate::Returned, SafeError>> {
        let direct = self.plan.direct()?;
        // SAFETY: the plan is the function's type (vouched by `new`), and
        // `direct` is its register layout; the caller vouches for pointers.
        let r = unsafe { direct.call(self.addr.as_ptr(), regs) };
        Some(match take_callback_panic() {
            Some(p) => Err(SafeError::CallbackPanicked(panic_message(&*p))),
            None => Ok(r),
        })
    }
}
