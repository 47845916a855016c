//! The vectorcall entry of cdata: calls of library functions skip the
//! argument tuple that `tp_call` would build.
//!
//! pyo3 has no option for vectorcall on a class, so the module sets it up
//! once at import: every `CData` carries the entry point in a field, and the
//! type is told where that field sits in the object (`tp_vectorcall_offset`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;

use crate::cdata::CData;
use crate::owner::Owner;
use crate::registry::Registry;

/// What `CData::vectorcall` holds.
pub type Entry = Option<ffi::vectorcallfunc>;

/// The vectorcall function of every cdata.
pub const ENTRY: Entry = Some(cdata_vectorcall);

/// The `CData` type object, once `install` ran (NULL before).
static CDATA_TYPE: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(std::ptr::null_mut());

/// The `CData` type object, for exact type checks by pointer (NULL before
/// the module's import finished).
#[inline]
pub fn cdata_type() -> *mut ffi::PyTypeObject {
    CDATA_TYPE.load(Ordering::Relaxed)
}

/// Tells the `CData` type where its instances keep the entry point.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let reg = Registry::new();
    let probe_ty = reg.parse("void *")?;
    let probe = Py::new(py, CData::plain(&reg, probe_ty, 0, Owner::None))?;
    let object = probe.as_ptr() as usize;
    let field = std::ptr::addr_of!(probe.get().vectorcall) as usize;
    let offset = field
        .checked_sub(object)
        .ok_or_else(|| PyRuntimeError::new_err("cdata layout: entry before object"))?;
    let ty = py.get_type::<CData>();
    let tp = ty.as_type_ptr();
    // SAFETY: at import, before any CData is called: the type object is a
    // live heap type; the offset is that of the `vectorcall` field inside
    // every instance (all instances share one layout), which holds a valid
    // vectorcallfunc. PyType_Modified invalidates CPython's caches.
    unsafe {
        (*tp).tp_vectorcall_offset = offset as ffi::Py_ssize_t;
        (*tp).tp_flags |= ffi::Py_TPFLAGS_HAVE_VECTORCALL;
        ffi::PyType_Modified(tp);
    }
    // The type object lives as long as the module, which never unloads.
    CDATA_TYPE.store(tp, Ordering::Relaxed);
    Ok(())
}

/// The fast path of `call::call_with`, when the cdata's call site has one.
///
/// # Safety
/// GIL held; `callable` is a live CData and `args` live objects.
#[inline]
unsafe fn fast_path(
    callable: *mut ffi::PyObject,
    args: &[*mut ffi::PyObject],
) -> Option<*mut ffi::PyObject> {
    // SAFETY: the caller's contract.
    let f = unsafe { crate::fastcall::cdata_ref(callable) }?;
    let site = f.plan().get()?;
    let (sig, direct) = site.fast()?;
    // SAFETY: the caller's contract; `sig` and `direct` are the site's.
    unsafe { crate::fastcall::call(f, sig, direct, args) }
}

/// CPython calls this with the GIL held, the cdata as `callable` and the
/// positional arguments as an array.
unsafe extern "C" fn cdata_vectorcall(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: CPython holds the GIL while it runs a vectorcall.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: `kwnames` is NULL or a tuple, per the vectorcall protocol.
        if !kwnames.is_null() && unsafe { ffi::PyTuple_GET_SIZE(kwnames) } > 0 {
            let err =
                PyTypeError::new_err("a cdata function cannot be called with keyword arguments");
            err.restore(py);
            return std::ptr::null_mut();
        }
        // SAFETY: the protocol: `nargsf` encodes the count of `args`.
        let n = unsafe { ffi::PyVectorcall_NARGS(nargsf) } as usize;
        let raw: &[*mut ffi::PyObject] = if n == 0 {
            &[]
        } else {
            // SAFETY: `args` points to `n` live borrowed references.
            unsafe { std::slice::from_raw_parts(args, n) }
        };
        // SAFETY: the type's vectorcall slot is only installed on CData
        // (which cannot be subclassed), so `callable` is a CData instance,
        // borrowed for this call, as are the arguments.
        if let Some(result) = unsafe { fast_path(callable, raw) } {
            return result;
        }
        // SAFETY: each pointer is a live object borrowed for this call.
        let items = unsafe { crate::call::Args::array(py, raw) };
        // SAFETY: the type's vectorcall slot is only installed on CData, so
        // `callable` is a CData instance, borrowed for this call.
        let this = unsafe { Borrowed::from_ptr(py, callable) };
        let result = match this.cast::<CData>() {
            Ok(cdata) => crate::call::call_with(py, cdata.get(), items),
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(v) => v.into_ptr(),
            Err(e) => {
                e.restore(py);
                std::ptr::null_mut()
            }
        }
    }));
    outcome.unwrap_or_else(|_| {
        // SAFETY: as above, the GIL is held.
        let py = unsafe { Python::assume_attached() };
        pyo3::panic::PanicException::new_err("rffi panicked during a call").restore(py);
        std::ptr::null_mut()
    })
}
