//! The object `ffi.new_allocator()` returns: called like `ffi.new`, with
//! the allocation and free functions it was given.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::cdata::value::CData;
use crate::classes::allocator::{new, Alloc};
use crate::classes::ffi_class::Ffi;

/// What `ffi.new_allocator()` returns: called like `ffi.new`.
#[pyclass(name = "Allocator", module = "rffi", frozen)]
pub struct Allocator {
    ffi: Py<Ffi>,
    how: Alloc,
}

impl Allocator {
    pub fn make(
        ffi: Py<Ffi>,
        alloc: Option<&Bound<'_, PyAny>>,
        free: Option<&Bound<'_, PyAny>>,
        clear: bool,
    ) -> PyResult<Allocator> {
        let alloc = alloc.filter(|a| !a.is_none());
        let free = free.filter(|f| !f.is_none());
        let how = match (alloc, free) {
            (None, Some(_)) => {
                return Err(PyTypeError::new_err("cannot pass 'free' without 'alloc'"))
            }
            (None, None) => Alloc::Default { clear },
            (Some(a), f) => Alloc::Python {
                alloc: a.clone().unbind(),
                free: f.map(|f| f.clone().unbind()),
                clear,
            },
        };
        Ok(Allocator { ffi, how })
    }
}

#[pymethods]
impl Allocator {
    /// `alloc` and `free` may refer back to the allocator (a closure, a
    /// method of an object holding it): the collector sees them, as it sees
    /// what cffi's allocator holds.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.ffi)?;
        if let Alloc::Python { alloc, free, .. } = &self.how {
            visit.call(alloc)?;
            visit.call(free)?;
        }
        Ok(())
    }

    #[pyo3(signature = (cdecl, init = None))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        cdecl: &Bound<'py, PyAny>,
        init: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, CData>> {
        let ffi = self.ffi.get();
        let (ty, shape) = ffi.resolve_shaped(cdecl)?;
        new(py, ffi.registry(), ty, shape, init, &self.how)
    }
}
