//! The cyclic garbage collector's side of the objects rffi holds.

use pyo3::ffi;
use pyo3::prelude::*;

/// The collector's visitor, as `tp_traverse` is given it: each object a
/// cdata holds is shown to it; a non-zero answer stops the traversal.
pub struct Visit {
    visit: ffi::visitproc,
    arg: *mut std::ffi::c_void,
}

impl Visit {
    /// The visitor CPython passed to `tp_traverse`.
    pub fn new(visit: ffi::visitproc, arg: *mut std::ffi::c_void) -> Visit {
        Visit { visit, arg }
    }

    /// Shows `obj` to the collector (nothing for `None`).
    pub fn call<'a, T: 'a>(
        &self,
        obj: impl Into<Option<&'a Py<T>>>,
    ) -> Result<(), std::ffi::c_int> {
        let Some(obj) = obj.into() else {
            return Ok(());
        };
        // SAFETY: `visit` and `arg` are what CPython gave `tp_traverse`,
        // which is running; `obj` is a live object the cdata holds.
        match unsafe { (self.visit)(obj.as_ptr(), self.arg) } {
            0 => Ok(()),
            code => Err(code),
        }
    }
}
