//! `ffi.new` and `ffi.cast` as plain METH_FASTCALL methods.
//!
//! For `ffi.cast("int *", 0)` pyo3 spends more than the cast itself on the
//! method call (argument parsing, thread-local bookkeeping). At import, the
//! two methods of `FFI` are replaced by functions that take positional
//! arguments straight from CPython's array, and make their result with
//! [`cdata_type::new`](crate::cdata_type::new). Calls with keywords or a wrong number
//! of arguments go to pyo3's methods, kept aside, so their errors stay
//! pyo3's; either way the same Rust code (`Ffi::new_cdata`, `Ffi::cast`)
//! does the work.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::ffi::Ffi;

struct Fast {
    /// pyo3's `FFI.new` and `FFI.cast`, for the calls the fast functions pass on.
    new: Py<PyAny>,
    cast: Py<PyAny>,
}

static FAST: OnceLock<Fast> = OnceLock::new();

/// Replaces `FFI.new` and `FFI.cast`; run once, at import.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let ty = py.get_type::<Ffi>();
    let tp = ty.as_type_ptr();
    // SAFETY: `tp` is the live FFI type; its `tp_dict` is its attribute dict,
    // a borrowed reference kept alive by the type.
    let dict = unsafe { Borrowed::from_ptr(py, (*tp).tp_dict) };
    let dict = dict.cast::<PyDict>()?;
    let general = |name: &str| -> PyResult<Py<PyAny>> {
        dict.get_item(name)?
            .map(Bound::unbind)
            .ok_or_else(|| PyRuntimeError::new_err(format!("FFI has no method {name}")))
    };
    let fast = Fast {
        new: general("new")?,
        cast: general("cast")?,
    };
    if FAST.set(fast).is_err() {
        return Ok(()); // installed by an earlier import
    }
    let methods: [(&str, ffi::PyCFunctionFastWithKeywords); 2] =
        [("new", fast_new), ("cast", fast_cast)];
    for (name, function) in methods {
        let signature: Option<String> = general(name)?
            .bind(py)
            .getattr("__text_signature__")?
            .extract()?;
        // CPython reads the signature from the first lines of the doc.
        let doc = match signature {
            Some(s) => format!("{name}{s}\n--\n\n"),
            None => String::new(),
        };
        let leak = |s: String| -> PyResult<*const c_char> {
            let c = CString::new(s).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            Ok(Box::leak(c.into_boxed_c_str()).as_ptr())
        };
        // The method table must outlive the type: it is leaked, once per process.
        let def: &'static mut ffi::PyMethodDef = Box::leak(Box::new(ffi::PyMethodDef {
            ml_name: leak(name.to_string())?,
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFastWithKeywords: function,
            },
            ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
            ml_doc: leak(doc)?,
        }));
        // SAFETY: `tp` is a live type and `def` a static method table of the
        // flags it declares; the result is a new reference or NULL with an
        // exception set.
        let descr =
            unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewMethod(tp, def as *mut _))? };
        dict.set_item(name, descr)?;
    }
    // SAFETY: the type's dict changed behind its back: CPython's method
    // caches are told, as `type.__setattr__` would.
    unsafe { ffi::PyType_Modified(tp) };
    Ok(())
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
    /// The number of positional arguments, when it is in `range` and no
    /// keywords were given.
    fn positional(&self, range: std::ops::RangeInclusive<usize>) -> Option<usize> {
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

    /// Passes the call on to pyo3's method (`which` of those kept) unchanged.
    #[cold]
    fn forward(
        &self,
        py: Python<'_>,
        which: impl FnOnce(&Fast) -> &Py<PyAny>,
    ) -> PyResult<*mut ffi::PyObject> {
        let fast = FAST
            .get()
            .ok_or_else(|| PyRuntimeError::new_err("rffi is not initialized"))?;
        let general = which(fast);
        let nargs = usize::try_from(self.nargs).unwrap_or(0);
        let nkw = if self.kwnames.is_null() {
            0
        } else {
            // SAFETY: `kwnames` is a tuple when not NULL, per the protocol.
            usize::try_from(unsafe { ffi::PyTuple_GET_SIZE(self.kwnames) }).unwrap_or(0)
        };
        let mut all = Vec::with_capacity(1 + nargs + nkw);
        all.push(self.slf);
        // SAFETY: `args` holds the `nargs` positional arguments followed by
        // the values of the `nkw` keywords, per the protocol.
        all.extend((0..nargs + nkw).map(|i| unsafe { *self.args.add(i) }));
        // SAFETY: every pointer is a live object borrowed for this call and
        // `general` is a method descriptor taking the object as its first
        // argument; the result is a new reference or NULL with an exception.
        let result = unsafe {
            ffi::PyObject_Vectorcall(general.as_ptr(), all.as_ptr(), nargs + 1, self.kwnames)
        };
        if result.is_null() {
            Err(PyErr::fetch(py))
        } else {
            Ok(result)
        }
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
        let (Some(_), Some(cdecl)) = (call.positional(1..=2), call.arg(py, 0)) else {
            return call.forward(py, |f| &f.new);
        };
        let ffi = call.this(py);
        let init = call.arg(py, 1);
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
        let (Some(_), Some(cdecl), Some(source)) =
            (call.positional(2..=2), call.arg(py, 0), call.arg(py, 1))
        else {
            return call.forward(py, |f| &f.cast);
        };
        let ffi = call.this(py);
        let cdata = ffi.get().cast(&cdecl, &source)?;
        Ok(cdata.into_ptr())
    })
}
