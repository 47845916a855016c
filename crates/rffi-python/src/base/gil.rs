//! When a call into C lets go of the GIL.
//!
//! Releasing the GIL around a call lets other Python threads run while C
//! works, and lets C call back into Python from threads it starts while the
//! call waits for them. Releasing and taking it back costs about 40 ns, a
//! third of a whole call, so rffi releases it only when some thread could
//! use it:
//! - another thread state exists in this interpreter, or another
//!   interpreter exists (a Python thread that could run meanwhile);
//! - this process ever made an rffi callback (C might call it from a thread
//!   of its own while the call waits for that thread);
//! - `RFFI_RELEASE_GIL=always` is set in the environment.
//!
//! A Python thread starts with its thread state made by the thread that
//! starts it, so in a program with a single thread state no Python thread
//! is waiting for the GIL, and none can start during the call except from
//! a callback. What this cannot see is a C thread calling into Python
//! through another module's callbacks (ctypes, cffi) while the rffi call
//! waits for it: such programs set `RFFI_RELEASE_GIL=always`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;

/// Set once the first rffi callback is made; never cleared, since C may
/// keep a callback's pointer longer than Python keeps the cdata.
static CALLBACKS: AtomicBool = AtomicBool::new(false);

/// Records that a callback exists: from now on every call releases the GIL.
pub fn callbacks_exist() {
    CALLBACKS.store(true, Ordering::Relaxed);
}

/// `RFFI_RELEASE_GIL=always`: release around every call, as cffi does.
fn always() -> bool {
    static ALWAYS: OnceLock<bool> = OnceLock::new();
    *ALWAYS.get_or_init(|| std::env::var("RFFI_RELEASE_GIL").is_ok_and(|v| v == "always"))
}

/// Whether a call now should release the GIL (see the module comment).
#[inline]
pub fn must_release(_py: Python<'_>) -> bool {
    if CALLBACKS.load(Ordering::Relaxed) || always() {
        return true;
    }
    // SAFETY: the `Python` token says this thread holds the GIL, so it has a
    // current thread state and interpreter; these functions only read the
    // runtime's lists of interpreters and thread states.
    unsafe {
        let me = ffi::PyThreadState_Get();
        let interp = ffi::PyThreadState_GetInterpreter(me);
        ffi::PyInterpreterState_ThreadHead(interp) != me
            || !ffi::PyThreadState_Next(me).is_null()
            || ffi::PyInterpreterState_Head() != interp
            || !ffi::PyInterpreterState_Next(interp).is_null()
    }
}

/// Runs `call` (C code that touches no Python object) with the GIL released
/// when [`must_release`] says so, and taken back afterwards.
#[inline]
pub fn call_in_c<R: Send>(py: Python<'_>, call: impl FnOnce() -> R + Send) -> R {
    if must_release(py) {
        py.detach(call)
    } else {
        call()
    }
}

/// Runs `f` on a thread that holds the GIL, telling pyo3 so when it can
/// (then Python objects dropped in `f` are released at once). At
/// interpreter exit pyo3 cannot attach: `f` then runs all the same (the
/// GIL is held), and pyo3 keeps what it drops for later.
pub fn attached<R>(f: impl FnOnce(Python<'_>) -> R) -> R {
    let mut f = Some(f);
    if let Some(r) = Python::try_attach(|py| (f.take().expect("not yet run"))(py)) {
        return r;
    }
    // SAFETY: slots and deallocators run with the GIL held.
    let py = unsafe { Python::assume_attached() };
    match f.take() {
        Some(f) => f(py),
        None => unreachable!("try_attach returned None after running"),
    }
}
