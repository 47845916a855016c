//! The two switches of the fast paths, read once from the environment, and
//! what the test suite asks to see that the fast paths are in use.
//!
//! - `RFFI_FORCE_LIBFFI=1`: every C call goes through libffi, not the
//!   direct register invoker.
//! - `RFFI_NO_FAST_PATHS=1`: every fast read, write, conversion and call
//!   path is off (member and item reads and writes, the call's argument and
//!   result conversions, callback conversions and reused arguments, the
//!   positional shortcut of `ffi.new` and `ffi.cast`): the general path
//!   does everything, so the test suite run this way checks it alone.
//!
//! [`fast_path_taken`] runs one operation through its fast path only and
//! says whether that path took it, so a test fails when a fast path stops
//! applying where it should.

use std::sync::OnceLock;

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether C calls must go through libffi (`RFFI_FORCE_LIBFFI`).
pub fn force_libffi() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE.get_or_init(|| env_flag("RFFI_FORCE_LIBFFI"))
}

/// Whether the fast paths are on (`RFFI_NO_FAST_PATHS` unset).
#[inline(always)]
pub fn fast_paths() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| !env_flag("RFFI_NO_FAST_PATHS"))
}

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
            "getattr" => object(crate::hot::member_read(obj.as_ptr(), key_ptr()?)),
            "getitem" => object(crate::hot::item_read(obj.as_ptr(), key_ptr()?)),
            "setattr" => status(crate::hot::member_write(
                obj.as_ptr(),
                key_ptr()?,
                value_ptr()?,
            )),
            "setitem" => status(crate::hot::item_write(
                obj.as_ptr(),
                key_ptr()?,
                value_ptr()?,
            )),
            "call" => {
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
                object(crate::vectorcall::fast_call(obj.as_ptr(), &items))
            }
            _ => Err(PyValueError::new_err(format!("unknown operation {op:?}"))),
        }
    }
}
