//! What the test suite asks to see that the fast paths are in use:
//! [`_fast_path_taken`] runs one operation through its fast path only and
//! says whether that path took it, so a test fails when a fast path stops
//! applying where it should; [`_switches`] gives the two switches.

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::base::switches::{fast_paths, force_libffi};

/// The switches as the extension read them.
#[pyfunction]
pub fn _switches() -> (bool, bool) {
    (fast_paths(), force_libffi())
}

/// Runs `op` on `obj` through its fast path alone: `(True, result)` when
/// the fast path took it, `(False, None)` when it would have left it to the
/// general path (which is then not run). `op` is one of `"getattr"` (with
/// `key` a member name), `"setattr"` (with `key` and `value`), `"getitem"`
/// (with `key` an index), `"setitem"` (with `key` and `value`), `"call"`
/// (with `value` a tuple of arguments).
#[pyfunction]
#[pyo3(signature = (op, obj, key=None, value=None))]
pub fn _fast_path_taken(
    py: Python<'_>,
    op: &str,
    obj: &Bound<'_, PyAny>,
    key: Option<&Bound<'_, PyAny>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<(bool, Py<PyAny>)> {
    let key_ptr = key.map_or(std::ptr::null_mut(), |k| k.as_ptr());
    let value_ptr = value.map_or(std::ptr::null_mut(), |v| v.as_ptr());
    let need = |p: *mut ffi::PyObject, what: &str| {
        if p.is_null() {
            Err(PyValueError::new_err(format!("{op} needs {what}")))
        } else {
            Ok(p)
        }
    };
    let object = |r: Option<*mut ffi::PyObject>| -> PyResult<(bool, Py<PyAny>)> {
        match r {
            // SAFETY: a new reference, or NULL with an exception set.
            Some(p) => Ok((
                true,
                unsafe { Bound::from_owned_ptr_or_err(py, p)? }.unbind(),
            )),
            None => Ok((false, py.None())),
        }
    };
    let status = |r: Option<std::ffi::c_int>| -> PyResult<(bool, Py<PyAny>)> {
        match r {
            Some(0) => Ok((true, py.None())),
            Some(_) => Err(PyErr::fetch(py)),
            None => Ok((false, py.None())),
        }
    };
    let key_ptr = || need(key_ptr, "a key");
    let value_ptr = || need(value_ptr, "a value");
    // SAFETY: (all arms) the GIL is held and every pointer is a live object
    // borrowed for this call (the Bounds above hold them).
    unsafe {
        match op {
            "getattr" => object(crate::glue::fast_slots::member_read(
                obj.as_ptr(),
                key_ptr()?,
            )),
            "getitem" => object(crate::glue::fast_slots::item_read(obj.as_ptr(), key_ptr()?)),
            "setattr" => status(crate::glue::fast_slots::member_write(
                obj.as_ptr(),
                key_ptr()?,
                value_ptr()?,
            )),
            "setitem" => status(crate::glue::fast_slots::item_write(
                obj.as_ptr(),
                key_ptr()?,
                value_ptr()?,
            )),
            "call" => {
                // `fast_call` is given cdata only (its slots' callers are).
                if crate::cdata::object::cdata_ref(obj.as_ptr()).is_none() {
                    return object(None);
                }
                let args = value
                    .map(|v| v.cast::<pyo3::types::PyTuple>())
                    .transpose()?;
                let items: Vec<*mut ffi::PyObject> = args
                    .iter()
                    .flat_map(|t| t.iter())
                    .map(|a| a.as_ptr())
                    .collect();
                // Keeps the arguments alive while the raw pointers are used.
                let _held = args;
                object(crate::calls::entry::fast_call(obj.as_ptr(), &items))
            }
            _ => Err(PyValueError::new_err(format!("unknown operation {op:?}"))),
        }
    }
}

/// How the callback `cdata` converts its arguments and result (see
/// `calls::callback::conversions`); `None` for any other object.
#[pyfunction]
pub fn _callback_conversions(
    cdata: &Bound<'_, PyAny>,
) -> Option<(Vec<&'static str>, &'static str)> {
    let c = cdata.cast::<crate::cdata::value::CData>().ok()?;
    crate::calls::callback::conversions(crate::cdata::object::CDataGet::cdata(c))
}
