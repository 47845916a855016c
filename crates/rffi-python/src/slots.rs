//! Raw CPython slots for the two hottest reads of cdata: a struct member
//! (`s.weight`, `tp_getattro`) and an array or pointer item (`a[50]`,
//! `mp_subscript`).
//!
//! pyo3's slots run through a trampoline (GIL bookkeeping in a thread-local,
//! a panic guard, argument conversion) that costs more than the read itself.
//! At import the module puts these functions in the `CData` type's slots and
//! keeps pyo3's: each handles the common case directly (a member found by
//! its interned name, an exact `int` index within bounds, with the facts of
//! the type from `fastread`) and hands everything else to pyo3's slot
//! unchanged, so every other case and every error message stays as
//! `cdata.rs` defines it. The checks of that path are kept: released memory
//! and the NULL page are refused by `CData::refuse_null` with its error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::cdata::{CData, Origin};
use crate::registry::Shape;

/// pyo3's slots, which the raw ones fall back to.
static PYO3_GETATTRO: OnceLock<ffi::getattrofunc> = OnceLock::new();
static PYO3_SUBSCRIPT: OnceLock<ffi::binaryfunc> = OnceLock::new();

/// Puts the raw slots in the `CData` type, keeping pyo3's for the rest.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let ty = py.get_type::<CData>();
    let tp = ty.as_type_ptr();
    // SAFETY: at import, with the GIL held: `tp` is the live heap type of
    // CData; its mapping methods live in the heap type object itself. The
    // slots are replaced by functions of the same signatures, and
    // PyType_Modified invalidates CPython's caches of the type.
    unsafe {
        let mapping = (*tp).tp_as_mapping;
        let (Some(getattro), false) = ((*tp).tp_getattro, mapping.is_null()) else {
            return Err(PyRuntimeError::new_err(
                "cdata type without attribute slots",
            ));
        };
        let Some(subscript) = (*mapping).mp_subscript else {
            return Err(PyRuntimeError::new_err("cdata type without __getitem__"));
        };
        // A second initialization of the module finds the raw slots already
        // there: pyo3's were saved the first time.
        if !std::ptr::fn_addr_eq(getattro, cdata_getattro as ffi::getattrofunc) {
            let _ = PYO3_GETATTRO.set(getattro);
            (*tp).tp_getattro = Some(cdata_getattro);
        }
        if !std::ptr::fn_addr_eq(subscript, cdata_subscript as ffi::binaryfunc) {
            let _ = PYO3_SUBSCRIPT.set(subscript);
            (*mapping).mp_subscript = Some(cdata_subscript);
        }
        ffi::PyType_Modified(tp);
    }
    Ok(())
}

/// A panic caught in a raw slot becomes a Python exception.
fn panicked(what: &str) -> *mut ffi::PyObject {
    // SAFETY: the slots run with the GIL held.
    let py = unsafe { Python::assume_attached() };
    pyo3::panic::PanicException::new_err(format!("rffi panicked during {what}")).restore(py);
    std::ptr::null_mut()
}

/// `tp_getattro` of cdata: members of a struct or union (or of the one a
/// pointer points to) directly, anything else through pyo3's slot.
unsafe extern "C" fn cdata_getattro(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live object and a live name, with the GIL held.
    let fast = catch_unwind(AssertUnwindSafe(|| unsafe { member(obj, name) }));
    match fast {
        Ok(Some(result)) => result,
        Ok(None) => match PYO3_GETATTRO.get() {
            // SAFETY: pyo3's own slot for this type, with the same arguments.
            Some(slot) => unsafe { slot(obj, name) },
            None => panicked("an attribute lookup"),
        },
        Err(_) => panicked("an attribute lookup"),
    }
}

/// The member `name` of the cdata `obj`, or `None` to let pyo3's slot decide.
///
/// # Safety
/// `obj` and `name` are live objects borrowed for the call; the GIL is held.
unsafe fn member(obj: *mut ffi::PyObject, name: *mut ffi::PyObject) -> Option<*mut ffi::PyObject> {
    // SAFETY: the GIL is held, per the caller.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: both live, per the caller.
    let this = unsafe { crate::fastcall::cdata_ref(obj) }?;
    // As `CData::record_for_fields`: the struct itself, or the one pointed to.
    let (rec, through_pointer) = match this.shape() {
        Shape::Record { .. } => (this.ty, false),
        Shape::Pointer { item } => (item, true),
        _ => return None,
    };
    // Only the interned names the table holds match: anything else (a str
    // subclass, a name built at run time, a missing member) goes the general way.
    let table = this.reg.reads.fields(py, &this.reg, rec)?;
    let field = table.find(name)?;
    let base = this.addr;
    // A pointer moved beyond its memory: the general path raises.
    if through_pointer && !this.owner.covers(base, table.size) {
        return None;
    }
    if let Err(e) = this.refuse_null(base) {
        e.restore(py);
        return Some(std::ptr::null_mut());
    }
    // SAFETY: the record at `base` is live and outside the NULL page (just
    // checked), the same precondition as the general path's read.
    Some(unsafe { field.read(py, this, base) })
}

/// `mp_subscript` of cdata: an exact `int` index of an array or pointer
/// directly, anything else through pyo3's slot.
unsafe extern "C" fn cdata_subscript(
    obj: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live object and a live key, with the GIL held.
    let fast = catch_unwind(AssertUnwindSafe(|| unsafe { item(obj, key) }));
    match fast {
        Ok(Some(result)) => result,
        Ok(None) => match PYO3_SUBSCRIPT.get() {
            // SAFETY: pyo3's own slot for this type, with the same arguments.
            Some(slot) => unsafe { slot(obj, key) },
            None => panicked("indexing"),
        },
        Err(_) => panicked("indexing"),
    }
}

/// The item `key` of the cdata `obj`, or `None` to let pyo3's slot decide.
///
/// # Safety
/// `obj` and `key` are live objects borrowed for the call; the GIL is held.
unsafe fn item(obj: *mut ffi::PyObject, key: *mut ffi::PyObject) -> Option<*mut ffi::PyObject> {
    // SAFETY: the GIL is held, per the caller.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: `key` is live, per the caller. Only exact ints: bools, other
    // int subclasses and `__index__` objects go the general way.
    if unsafe { ffi::PyLong_CheckExact(key) } == 0 {
        return None;
    }
    // SAFETY: both live, per the caller.
    let this = unsafe { crate::fastcall::cdata_ref(obj) }?;
    // As `CData::items`: a pointer has no length; an array its own or the
    // one it was made with.
    let (item, len) = match this.shape() {
        Shape::Array { item, len } => (item, len.or(this.array_len())),
        Shape::Pointer { item } => (item, None),
        _ => return None,
    };
    let read = this.reg.reads.item(&this.reg, item)?;
    // SAFETY: `key` is an int; on overflow the error is cleared and the
    // general path raises its own.
    let i = unsafe { ffi::PyLong_AsSsize_t(key) };
    if i == -1 {
        // SAFETY: the GIL is held; an error set here was set by the conversion.
        let failed = unsafe { !ffi::PyErr_Occurred().is_null() };
        if failed {
            // SAFETY: as above.
            unsafe { ffi::PyErr_Clear() };
            return None;
        }
    }
    if let Some(n) = len {
        if i < 0 || i as usize >= n {
            return None;
        }
    } else if i != 0 && this.indexed_by_zero_only() {
        // A pointer from `ffi.new`: the general path raises cffi's error.
        return None;
    }
    // cffi shows the struct a `new`ed pointer points to as owning: the
    // general path makes that cdata.
    if i == 0
        && matches!(read.shape, Shape::Record { .. })
        && matches!(this.origin, Origin::Owning)
        && matches!(this.shape(), Shape::Pointer { .. })
    {
        return None;
    }
    let addr = this
        .addr
        .wrapping_add_signed(i.wrapping_mul(read.size as isize));
    if let Err(e) = this.refuse_null(addr) {
        e.restore(py);
        return Some(std::ptr::null_mut());
    }
    // A pointer moved beyond its memory (or an array cast longer than it):
    // the general path raises.
    if !this.owner.covers(addr, read.size) {
        return None;
    }
    // SAFETY: the item is live and outside the NULL page (just checked) and
    // within the array's length when it has one, or within the memory its
    // owner holds when that is known: the general path's checks.
    Some(unsafe { read.read(py, this, addr) })
}
