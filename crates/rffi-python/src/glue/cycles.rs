//! Reference cycles through cdata, for Python's cyclic garbage collector.
//!
//! A cdata can hold Python objects that may refer back to it: the object
//! of `ffi.new_handle(o)`, the destructor of `ffi.gc` (and the original
//! cdata it is given), an allocator's `free` and the cdata `alloc` gave,
//! the exporter of `ffi.from_buffer`, the function of `ffi.callback`. As
//! cffi does, such a cdata shows them to the collector (`tp_traverse`), runs
//! a pending destructor when the collector finds it in unreachable garbage
//! (`tp_finalize`, before anything is cleared, as cffi's `ffi.gc` cdata do),
//! and lets go what it holds when the collector breaks the cycle
//! (`tp_clear`).
//!
//! What a cdata holds lives in its owner (`Owner::Memory`), which derived
//! cdata (`p + 1`, a cast, `p[0]` of a struct pointer) share. The objects
//! are the references of the owner, not of any one cdata, so only a cdata
//! that alone holds its owner shows or touches them; a cycle through a
//! derived cdata is left to the other objects in it, or uncollected.
//!
//! Plain cdata (a pointer, a number, memory from `ffi.new`) hold no Python
//! object: they are of the base CData type, which the collector does not
//! track (no GC header). Only cdata whose owner holds Python objects are of
//! the GC subtype whose slots these are (`cdata::object::new` chooses).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::ffi;
use pyo3::prelude::*;

use crate::cdata::value::CData;
use crate::memory::owner::Memory;

/// The memory of `c` when no other cdata (or buffer, or running call)
/// shares it.
fn sole_memory(c: &CData) -> Option<&Memory> {
    c.owner.as_memory().filter(|_| c.owner.memory_users() == 1)
}

/// `tp_traverse` of a cdata.
pub fn traverse(c: &CData, visit: &crate::base::gc::Visit) -> Result<(), std::ffi::c_int> {
    // The exporter type of a `from_buffer` cdata is its own reference.
    if let Some(from) = c.extras().and_then(|e| e.from.as_ref()) {
        visit.call(from)?;
    }
    let Some(m) = sole_memory(c) else {
        return Ok(());
    };
    m.traverse(visit)?;
    crate::cdata::handle::traverse(m, visit)?;
    crate::calls::callback::traverse(c, visit)
}

/// `tp_clear` of a cdata: the collector breaks a cycle through it. Foreign
/// memory is released (its destructor runs now if `tp_finalize` has not run
/// it, a buffer is let go), so later use raises `ValueError` rather than
/// reach memory let go; a handle stands for `None` from then on, as in cffi.
/// A callback keeps its function: the function and its closure are cleared
/// by the collector themselves.
pub fn clear(c: &CData) {
    let Some(m) = sole_memory(c) else {
        return;
    };
    crate::base::gil::attached(|py| {
        m.release_collected(py);
        crate::cdata::handle::clear(py, m);
    });
}

/// `tp_finalize` of the CData type, which the collector calls once for a
/// cdata found in unreachable garbage, before any object is cleared: an
/// `ffi.gc` destructor (or an allocator's `free`) runs then, with the
/// objects it may use still whole, as in cffi. Nothing else is done here:
/// the cdata may still be resurrected.
///
/// # Safety
/// Called by CPython, with the GIL held, for a live object of the CData type.
pub unsafe extern "C" fn finalize(obj: *mut ffi::PyObject) {
    let run = || {
        // SAFETY: per this function's contract, the GIL is held and `obj`
        // is a live object; the reference is borrowed for the call.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: as above.
        let obj = unsafe { Bound::from_borrowed_ptr(py, obj) };
        let Ok(c) = obj.cast::<CData>() else {
            return;
        };
        if let Some(m) = sole_memory(crate::cdata::object::CDataGet::cdata(c)) {
            if m.has_pending_finalizer() {
                m.release_collected(py);
            }
        }
    };
    if catch_unwind(AssertUnwindSafe(run)).is_err() {
        // SAFETY: the GIL is held (see above).
        let py = unsafe { Python::assume_attached() };
        pyo3::panic::PanicException::new_err("rffi panicked finalizing a cdata")
            .write_unraisable(py, None);
    }
}
