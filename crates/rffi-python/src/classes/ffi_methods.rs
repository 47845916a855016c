//! `ffi.new` and `ffi.cast` as plain METH_FASTCALL methods.
//!
//! For `ffi.cast("int *", 0)` pyo3 spends more than the cast itself on the
//! method call (argument parsing, thread-local bookkeeping). The FFI class
//! declares these two methods itself (as class attributes holding method
//! descriptors made here, see `classes::ffi_api`): functions that take positional
//! arguments straight from CPython's array and make their result with
//! [`cdata::object::new`](crate::cdata::object::new). Keywords and wrong argument
//! counts are bound here too, with Python's errors; the same Rust code
//! (`Ffi::new_cdata`, `Ffi::cast`) does the work.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::classes::ffi_class::Ffi;

/// The two methods' tables; they must outlive the type, so they are
/// leaked, once per process.
static DEFS: OnceLock<[MethodDef; 2]> = OnceLock::new();

/// A method table, shared between threads (CPython only reads it).
struct MethodDef(ffi::PyMethodDef);

// SAFETY: the table holds pointers to static strings and a function; it is
// never written after it is made.
unsafe impl Send for MethodDef {}
// SAFETY: as above.
unsafe impl Sync for MethodDef {}

/// The method descriptor of `FFI.<name>` (`new` or `cast`) for the FFI type
/// `tp`: what the class declares under that name.
pub fn descriptor(py: Python<'_>, tp: *mut ffi::PyTypeObject, name: &str) -> PyResult<Py<PyAny>> {
    let defs = DEFS.get_or_init(|| {
        let def = |name: &'static std::ffi::CStr,
                   doc: &'static std::ffi::CStr,
                   f: ffi::PyCFunctionFastWithKeywords| {
            MethodDef(ffi::PyMethodDef {
                ml_name: name.as_ptr(),
                ml_meth: ffi::PyMethodDefPointer {
                    PyCFunctionFastWithKeywords: f,
                },
                ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
                ml_doc: doc.as_ptr(),
            })
        };
        [
            def(
                c"new",
                c"new($self, /, cdecl, init=None)\n--\n\nA new cdata of type `cdecl` (a pointer or an array), its memory zeroed or set from `init`.",
                fast_new,
            ),
            def(
                c"cast",
                c"cast($self, /, cdecl, source)\n--\n\n`source` (an integer, a float or a cdata) seen as a cdata of type `cdecl`.",
                fast_cast,
            ),
        ]
    });
    let def = defs
        .iter()
        .find(|d| {
            // SAFETY: `ml_name` is one of the static C strings above.
            unsafe { std::ffi::CStr::from_ptr(d.0.ml_name) }.to_bytes() == name.as_bytes()
        })
        .ok_or_else(|| PyRuntimeError::new_err(format!("FFI has no fast method {name}")))?;
    // SAFETY: `tp` is the live FFI type and `def` a static method table of
    // the flags it declares (CPython does not write to it); the result is a
    // new reference or NULL with an exception set.
    let descr = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyDescr_NewMethod(tp, std::ptr::addr_of!(def.0) as *mut _),
        )?
    };
    Ok(descr.unbind())
}

/// The shared frame of the fast methods: the GIL is held (CPython calls
/// them), errors become a set exception and NULL, a panic an exception.
fn entry(body: impl FnOnce(Python<'_>) -> PyResult<*mut ffi::PyObject>) -> *mut ffi::PyObject {
    // SAFETY: CPython holds the GIL while it runs a method.
    let py = unsafe { Python::assume_attached() };
    let outcome = catch_unwind(AssertUnwindSafe(|| match body(py) {
        Ok(obj) => obj,
        Err(e) => {
            e.restore(py);
            std::ptr::null_mut()
        }
    }));
    outcome.unwrap_or_else(|_| {
        pyo3::panic::PanicException::new_err("rffi panicked in a method").restore(py);
        std::ptr::null_mut()
    })
}

/// The arguments of a METH_FASTCALL call, as CPython passes them.
struct Call {
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
}

impl Call {
    /// The number of positional arguments, when it is in `range`, no
    /// keywords were given and the fast paths are on: then the arguments
    /// are taken as they are, without binding them to names.
    fn shortcut(&self, range: std::ops::RangeInclusive<usize>) -> Option<usize> {
        if !crate::base::switches::fast_paths() {
            return None;
        }
        let n = usize::try_from(self.nargs).ok()?;
        (self.kwnames.is_null() && range.contains(&n)).then_some(n)
    }

    /// The `FFI` the method was called on.
    fn this<'a, 'py>(&self, py: Python<'py>) -> Borrowed<'a, 'py, Ffi> {
        // SAFETY: per the METH_FASTCALL protocol `slf` is the live object the
        // method was called on, valid for the call; the method descriptor
        // was made for the FFI type, and CPython checks that `slf` is an
        // instance of it before calling.
        unsafe { Borrowed::from_ptr(py, self.slf).cast_unchecked() }
    }

    /// Positional argument `i`, if there is one.
    fn arg<'a, 'py>(&self, py: Python<'py>, i: usize) -> Option<Borrowed<'a, 'py, PyAny>> {
        if i >= usize::try_from(self.nargs).ok()? {
            return None;
        }
        // SAFETY: `args` holds `nargs` live borrowed references, valid for the call.
        Some(unsafe { Borrowed::from_ptr(py, *self.args.add(i)) })
    }

    /// The arguments bound to the parameters `names` (the first `required`
    /// of them required), positional or by keyword, with Python's errors
    /// for a call that does not fit.
    #[cold]
    fn bind<'a, 'py, const N: usize>(
        &self,
        py: Python<'py>,
        method: &str,
        names: [&str; N],
        required: usize,
    ) -> PyResult<[Option<Borrowed<'a, 'py, PyAny>>; N]> {
        let nargs = usize::try_from(self.nargs).unwrap_or(0);
        if nargs > N {
            let takes = if required == N {
                format!("{N}")
            } else {
                format!("from {required} to {N}")
            };
            return Err(PyTypeError::new_err(format!(
                "FFI.{method}() takes {takes} positional arguments but {nargs} were given"
            )));
        }
        let mut bound: [Option<Borrowed<'a, 'py, PyAny>>; N] = [None; N];
        for (i, slot) in bound.iter_mut().enumerate().take(nargs) {
            *slot = self.arg(py, i);
        }
        if !self.kwnames.is_null() {
            // SAFETY: `kwnames` is a tuple of str when not NULL, per the
            // protocol, borrowed for the call.
            let kwnames = unsafe { Borrowed::from_ptr(py, self.kwnames) };
            let kwnames = kwnames.cast::<PyTuple>().map_err(PyErr::from)?;
            for (k, key) in kwnames.iter().enumerate() {
                let key: String = key.extract()?;
                let Some(at) = names.iter().position(|n| *n == key) else {
                    return Err(PyTypeError::new_err(format!(
                        "FFI.{method}() got an unexpected keyword argument '{key}'"
                    )));
                };
                if bound[at].is_some() {
                    return Err(PyTypeError::new_err(format!(
                        "FFI.{method}() got multiple values for argument '{key}'"
                    )));
                }
                // SAFETY: the keywords' values follow the `nargs` positional
                // arguments in `args`, one per name, live for the call.
                bound[at] = Some(unsafe { Borrowed::from_ptr(py, *self.args.add(nargs + k)) });
            }
        }
        let missing: Vec<String> = (0..required)
            .filter(|&i| bound[i].is_none())
            .map(|i| format!("'{}'", names[i]))
            .collect();
        if !missing.is_empty() {
            let s = if missing.len() == 1 { "" } else { "s" };
            return Err(PyTypeError::new_err(format!(
                "FFI.{method}() missing {} required argument{s}: {}",
                missing.len(),
                missing.join(" and ")
            )));
        }
        Ok(bound)
    }
}

/// `ffi.new(cdecl, init=None)`.
///
/// # Safety
/// Called by CPython, with the GIL, as a METH_FASTCALL | METH_KEYWORDS method of FFI.
unsafe extern "C" fn fast_new(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let call = Call {
        slf,
        args,
        nargs,
        kwnames,
    };
    entry(|py| {
        let (cdecl, init) = match (call.shortcut(1..=2), call.arg(py, 0)) {
            (Some(_), Some(cdecl)) => (cdecl, call.arg(py, 1)),
            _ => match call.bind(py, "new", ["cdecl", "init"], 1)? {
                [Some(cdecl), init] => (cdecl, init.filter(|i| !i.is_none())),
                _ => return Err(PyTypeError::new_err("FFI.new() needs a cdecl")),
            },
        };
        let ffi = call.this(py);
        let cdata = ffi.get().new_cdata(py, &cdecl, init.as_deref())?;
        Ok(cdata.into_ptr())
    })
}

/// `ffi.cast(cdecl, source)`.
///
/// # Safety
/// As [`fast_new`].
unsafe extern "C" fn fast_cast(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let call = Call {
        slf,
        args,
        nargs,
        kwnames,
    };
    entry(|py| {
        let (cdecl, source) = match (call.shortcut(2..=2), call.arg(py, 0), call.arg(py, 1)) {
            (Some(_), Some(cdecl), Some(source)) => (cdecl, source),
            _ => match call.bind(py, "cast", ["cdecl", "source"], 2)? {
                [Some(cdecl), Some(source)] => (cdecl, source),
                _ => {
                    return Err(PyTypeError::new_err(
                        "FFI.cast() needs a cdecl and a source",
                    ))
                }
            },
        };
        let ffi = call.this(py);
        let cdata = ffi.get().cast(&cdecl, &source)?;
        Ok(cdata.into_ptr())
    })
}
