//! Typed callbacks: Rust closures as C function pointers of a checked type,
//! shared between threads or kept on one.

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

use rffi_types::Types;

use super::panic::{CALLBACK_PANICKED, PANIC};
use super::signature::check_signature;
use super::{CArgs, CResult, Checked, SafeError};
use crate::plan::CallPlan;
use crate::Callback;

/// The handler that reads the arguments of `fn(A) -> R`, runs `f` and
/// writes its result; only for plans checked against that signature. A
/// panic is kept for the caller (see [`take_callback_panic`]) and C sees a
/// zero result.
fn handler<A: CArgs, R: CResult>(f: impl Fn(A) -> R) -> impl Fn(&[*const u8], *mut u8) {
    move |args: &[*const u8], ret: *mut u8| {
        if CALLBACK_PANICKED.get() {
            return;
        }
        let token = Checked {
            addr: NonNull::dangling(),
        };
        // SAFETY: this closure runs only as the handler of a callback whose
        // plan was checked against `fn(A) -> R` (`typed_callback` and
        // `typed_local_callback` check it before making one), and its
        // trampoline passes one pointer per parameter, each to a value of
        // the parameter's C type.
        let read = || unsafe { A::read_args(args, &token) };
        let run = std::panic::AssertUnwindSafe(|| f(read()));
        let r = match std::panic::catch_unwind(run) {
            Ok(r) => r,
            Err(payload) => {
                PANIC.with_borrow_mut(|p| *p = Some(payload));
                CALLBACK_PANICKED.set(true);
                return;
            }
        };
        // SAFETY: the trampoline gives a result buffer of at least 16 bytes
        // (or libffi's, as large as the result type), and R is the declared
        // result type, at most 8 bytes here.
        unsafe { std::ptr::write_unaligned(ret.cast::<R::Raw>(), r.into_raw()) };
    }
}

/// A C function pointer of `plan`'s type that runs `f`, if `fn(A) -> R`
/// matches that type. A panic in `f` is caught before it reaches C; the C
/// caller then sees a zero result, and the Rust code that called into C
/// gets the panic (see [`take_callback_panic`](super::take_callback_panic)).
pub fn typed_callback<A, R, F>(
    types: &Types,
    plan: Arc<CallPlan>,
    f: F,
) -> Result<Callback, SafeError>
where
    A: CArgs,
    R: CResult,
    F: Fn(A) -> R + Send + Sync + 'static,
{
    check_signature::<A, R>(types, &plan)?;
    Ok(Callback::new(plan, Box::new(handler(f)))?)
}

/// A closure that only runs on the thread that made it.
struct OnThread<F> {
    f: F,
    thread: std::thread::ThreadId,
}

// SAFETY: `f` is only called on `thread` (checked before every call), and
// it is dropped there too: its only owner is a LocalCallback, which is
// neither Send nor Sync.
unsafe impl<F> Send for OnThread<F> {}
// SAFETY: as above; no other thread ever touches `f`.
unsafe impl<F> Sync for OnThread<F> {}

/// A callback whose closure may capture values that are not `Send` or
/// `Sync` (such as C memory handles), because it only runs on the thread
/// that made it. Called from another thread, it returns zero without running.
pub struct LocalCallback {
    inner: Callback,
    _not_send: PhantomData<*const ()>,
}

impl LocalCallback {
    /// The C function pointer.
    pub fn code(&self) -> usize {
        self.inner.code()
    }
}

/// [`typed_callback`] for closures that are not `Send` or `Sync`.
pub fn typed_local_callback<A, R, F>(
    types: &Types,
    plan: Arc<CallPlan>,
    f: F,
) -> Result<LocalCallback, SafeError>
where
    A: CArgs,
    R: CResult,
    F: Fn(A) -> R + 'static,
{
    check_signature::<A, R>(types, &plan)?;
    let bound = OnThread {
        f: handler(f),
        thread: std::thread::current().id(),
    };
    // The closure captures `bound` whole (not its fields), so that the
    // Send and Sync of OnThread apply.
    let run = move |args: &[*const u8], ret: *mut u8| {
        let bound = &bound;
        if std::thread::current().id() == bound.thread {
            (bound.f)(args, ret);
        }
    };
    Ok(LocalCallback {
        inner: Callback::new(plan, Box::new(run))?,
        _not_send: PhantomData,
    })
}
