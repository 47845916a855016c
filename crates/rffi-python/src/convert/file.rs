//! Python file objects passed where C wants a `FILE *`, as cffi allows: the
//! file is flushed, and C writes through an unbuffered stream on a duplicate
//! of its descriptor, made once and kept on the file object (as the capsule
//! `__cffi_FILE`, cffi's own name and format, so both libraries share it).

use std::ffi::c_void;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static IO_BASE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

const CAPSULE: &std::ffi::CStr = c"FILE";

/// Whether `obj` is a Python file (an `io` object).
pub fn is_file(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let io_base = IO_BASE.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        Ok(py
            .import("_io")?
            .getattr("_IOBase")?
            .cast_into::<PyType>()?
            .unbind())
    })?;
    obj.is_instance(io_base.bind(py))
}

/// The C stream of the Python file `obj`, made on first use.
pub fn stream_of(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    obj.call_method0("flush")?;
    if let Ok(capsule) = obj.getattr("__cffi_FILE") {
        // SAFETY: a live object; PyCapsule_GetPointer checks that it is a
        // capsule with this name and sets an exception otherwise.
        let p = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), CAPSULE.as_ptr()) };
        if p.is_null() {
            return Err(PyErr::fetch(obj.py()));
        }
        return Ok(p as usize);
    }
    let fd: i32 = obj.call_method0("fileno")?.extract()?;
    let mode: String = obj.getattr("mode")?.extract()?;
    let stream = rffi_call::stdio::open_dup(fd, &mode)?;
    // SAFETY: `stream` is a new stream; the capsule owns it from here and its
    // destructor closes it. On failure the capsule was not made: close it.
    let capsule = unsafe {
        let c = pyo3::ffi::PyCapsule_New(stream, CAPSULE.as_ptr(), Some(close_capsule));
        if c.is_null() {
            rffi_call::stdio::close(stream);
        }
        Bound::from_owned_ptr_or_err(obj.py(), c)?
    };
    obj.setattr("__cffi_FILE", capsule)?;
    Ok(stream as usize)
}

unsafe extern "C" fn close_capsule(capsule: *mut pyo3::ffi::PyObject) {
    // SAFETY: called by CPython with the capsule this module made.
    unsafe {
        let p: *mut c_void = pyo3::ffi::PyCapsule_GetPointer(capsule, CAPSULE.as_ptr());
        if p.is_null() {
            pyo3::ffi::PyErr_Clear();
        } else {
            rffi_call::stdio::close(p);
        }
    }
}
