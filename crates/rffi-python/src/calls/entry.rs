//! The vectorcall entry of cdata: calls of library functions skip the
//! argument tuple that `tp_call` would build.
//!
//! Every function-pointer cdata that holds no Python object carries
//! [`cdata_vectorcall`] at the offset its type declares (`cdata::object`,
//! `glue::cdata_type`); other cdata reach [`call`] through `tp_call`, which
//! calls function pointers and refuses the rest with the general path's
//! errors.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::cdata::value::CData;

/// The fast path of `call::call_with`, when the cdata's call site has one.
///
/// # Safety
/// GIL held; `callable` is a live CData object (of any of the three types)
/// and `args` live objects.
#[inline]
pub unsafe fn fast_call(
    callable: *mut ffi::PyObject,
    args: &[*mut ffi::PyObject],
) -> Option<*mut ffi::PyObject> {
    if !crate::base::switches::fast_paths() {
        return None;
    }
    // SAFETY: the caller's contract: a cdata object, so no type check.
    let f = unsafe { crate::cdata::object::value_of(callable) };
    let site = f.plan().get()?;
    let (sig, direct) = site.fast()?;
    // SAFETY: the caller's contract; `sig` and `direct` are the site's.
    unsafe { crate::calls::fast_args::call(f, sig, direct, args) }
}

/// CPython calls this with the GIL held, the cdata as `callable` and the
/// positional arguments as an array.
pub unsafe extern "C" fn cdata_vectorcall(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: the protocol: `nargsf` encodes the count of `args`.
    let n = unsafe { ffi::PyVectorcall_NARGS(nargsf) } as usize;
    let raw: &[*mut ffi::PyObject] = if n == 0 {
        &[]
    } else {
        // SAFETY: `args` points to `n` live borrowed references.
        unsafe { std::slice::from_raw_parts(args, n) }
    };
    // SAFETY: `kwnames` is NULL or a tuple, per the vectorcall protocol.
    let keywords = !kwnames.is_null() && unsafe { ffi::PyTuple_GET_SIZE(kwnames) } > 0;
    // SAFETY: CPython's contract, as this function's.
    unsafe { call(callable, raw, keywords) }
}

/// Calls the cdata `callable` with the positional arguments `raw`
/// (refused when `keywords`): what the vectorcall entry and `tp_call` do.
///
/// # Safety
/// GIL held; `callable` is a live CData object and `raw` live objects, all
/// borrowed for the call.
#[inline(always)]
pub unsafe fn call(
    callable: *mut ffi::PyObject,
    raw: &[*mut ffi::PyObject],
    keywords: bool,
) -> *mut ffi::PyObject {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if !keywords {
            // SAFETY: `callable` is a CData instance, borrowed for this
            // call, as are the arguments (this function's contract).
            if let Some(result) = unsafe { fast_call(callable, raw) } {
                return result;
            }
        }
        // The general path, attached the pyo3 way so that the Python
        // objects it drops are released at once.
        crate::base::gil::attached(|py| {
            let result = if keywords {
                Err(PyTypeError::new_err(
                    "a cdata function cannot be called with keyword arguments",
                ))
            } else {
                // SAFETY: each pointer is a live object borrowed for this call.
                let items = unsafe { crate::calls::site::Args::array(py, raw) };
                // SAFETY: as above, `callable` is a CData instance, borrowed
                // for this call.
                let this = unsafe { Borrowed::from_ptr(py, callable).cast_unchecked::<CData>() };
                crate::calls::site::call_with(
                    py,
                    crate::cdata::object::CDataGet::cdata(&this),
                    items,
                )
            };
            match result {
                Ok(v) => v.into_ptr(),
                Err(e) => {
                    e.restore(py);
                    std::ptr::null_mut()
                }
            }
        })
    }));
    outcome.unwrap_or_else(|_| {
        // SAFETY: CPython holds the GIL while it runs a vectorcall.
        let py = unsafe { Python::assume_attached() };
        pyo3::panic::PanicException::new_err("rffi panicked during a call").restore(py);
        std::ptr::null_mut()
    })
}
