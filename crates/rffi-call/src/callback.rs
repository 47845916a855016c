//! Callbacks: C function pointers that run Rust code, built on libffi closures.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use libffi::low::{closure_alloc, closure_free, ffi_cif, ffi_closure, prep_closure, CodePtr};

use crate::error::CallError;
use crate::plan::CallPlan;
use crate::scalar::Scalar;

/// What a callback runs: the addresses of the arguments (one per parameter of
/// the plan, each holding a value of its type) and where to write the result.
pub type Handler = dyn Fn(&[*const u8], *mut u8) + Send + Sync;

struct Inner {
    plan: Arc<CallPlan>,
    handler: Box<Handler>,
    result: ResultKind,
}

/// How the handler's result reaches libffi, worked out once per callback.
#[derive(Clone, Copy)]
enum ResultKind {
    /// Larger than two registers: the handler writes libffi's buffer itself.
    Big,
    /// An integer narrower than a register: libffi wants it widened to 8 bytes.
    Widen { size: u8, signed: bool },
    /// Copied as it is (`size` bytes, at most 16).
    Copy(usize),
}

impl ResultKind {
    fn of(plan: &CallPlan) -> ResultKind {
        match plan.ret_scalar() {
            _ if plan.result_size() > 16 => ResultKind::Big,
            Some(Scalar::Int { size, signed }) if size < 8 => ResultKind::Widen { size, signed },
            _ => ResultKind::Copy(plan.result_size()),
        }
    }
}

/// A C function pointer that calls a Rust handler; valid while this lives.
pub struct Callback {
    closure: *mut ffi_closure,
    code: CodePtr,
    inner: Box<Inner>,
}

// SAFETY: the closure and its code are only freed in `drop`; the handler is
// `Send + Sync`, and libffi closures may be called from any thread.
unsafe impl Send for Callback {}
// SAFETY: as above; nothing in a Callback is mutated after creation.
unsafe impl Sync for Callback {}

impl Callback {
    /// A function pointer of the plan's type that runs `handler`. Variadic
    /// types cannot be callbacks.
    pub fn new(plan: Arc<CallPlan>, handler: Box<Handler>) -> Result<Callback, CallError> {
        let (closure, code) = closure_alloc();
        let result = ResultKind::of(&plan);
        let inner = Box::new(Inner {
            plan,
            handler,
            result,
        });
        // SAFETY: the closure was just allocated; the CIF and the user data
        // live in `inner`, which is boxed (a stable address) and outlives the
        // closure because `drop` frees the closure first.
        let prepared = unsafe {
            prep_closure(
                closure,
                inner.plan.raw_cif(),
                trampoline,
                &*inner as *const Inner,
                code,
            )
        };
        if prepared.is_err() {
            // SAFETY: the closure came from closure_alloc and is freed once.
            unsafe { closure_free(closure) };
            return Err(CallError::Libffi("callback".into()));
        }
        Ok(Callback {
            closure,
            code,
            inner,
        })
    }

    /// The C function pointer.
    pub fn code(&self) -> usize {
        self.code.as_ptr() as usize
    }

    pub fn plan(&self) -> &CallPlan {
        &self.inner.plan
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        // SAFETY: allocated by closure_alloc in `new`, freed only here.
        unsafe { closure_free(self.closure) }
    }
}

unsafe extern "C" fn trampoline(
    cif: &ffi_cif,
    result: &mut u64,
    args: *const *const c_void,
    inner: &Inner,
) {
    let n = cif.nargs as usize;
    let args: &[*const u8] = if n == 0 {
        &[]
    } else {
        // SAFETY: libffi passes one pointer per argument of the CIF.
        unsafe { std::slice::from_raw_parts(args.cast(), n) }
    };
    let mut out = [0u128; 1];
    let kind = inner.result;
    let target: *mut u8 = match kind {
        ResultKind::Big => (result as *mut u64).cast(),
        _ => out.as_mut_ptr().cast(),
    };
    // A panic must not unwind into C: the result stays zero instead.
    let _ = catch_unwind(AssertUnwindSafe(|| (inner.handler)(args, target)));
    let p = out.as_ptr().cast::<u8>();
    match kind {
        ResultKind::Big => {}
        // libffi wants integer results widened to a full register.
        ResultKind::Widen { size, signed } => {
            // SAFETY: `out` holds the handler's integer of `size` bytes.
            let wide: u64 = unsafe {
                match (size, signed) {
                    (1, true) => p.cast::<i8>().read() as i64 as u64,
                    (1, false) => u64::from(p.read()),
                    (2, true) => p.cast::<i16>().read_unaligned() as i64 as u64,
                    (2, false) => u64::from(p.cast::<u16>().read_unaligned()),
                    (_, true) => p.cast::<i32>().read_unaligned() as i64 as u64,
                    (_, false) => u64::from(p.cast::<u32>().read_unaligned()),
                }
            };
            *result = wide;
        }
        ResultKind::Copy(size) => {
            // SAFETY: libffi's result buffer holds at least the result type,
            // at most 16 bytes here, and `out` has 16.
            unsafe {
                std::ptr::copy_nonoverlapping(p, (result as *mut u64).cast::<u8>(), size.min(16))
            }
        }
    }
}
