//! The `FFI` class: cffi's ABI-mode entry point.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::PyTypeInfo;
use rffi_types::{CdefOptions, Type, TypeId};

use crate::base::errors::{CDefError, IntoPyResult};
use crate::cdata::object::CDataGet;
use crate::cdata::value::CData;
use crate::classes::allocator::Alloc;
use crate::classes::ctype::CType;
use crate::classes::ctype::CTypes;
use crate::classes::library::Lib;
use crate::model::registry::{Registry, Shape};

#[pyclass(name = "FFI", module = "rffi", subclass, frozen, weakref)]
pub struct Ffi {
    pub(crate) reg: Arc<Registry>,
    pub(crate) null: Py<CData>,
    /// Type strings already resolved, keyed by the str object itself so the
    /// lookup uses the hash Python keeps in every str.
    pub(crate) type_strings: Py<PyDict>,
    /// Every `cdef` (and what `include` brought in), in order, so another
    /// FFI can `include` this one by declaring the same things.
    pub(crate) sources: Mutex<Vec<(String, CdefOptions)>>,
    /// `ffi.init_once`: tag -> (done, result or lock), as cffi keeps it.
    pub(crate) init_once: Py<PyDict>,
    /// The libraries `dlopen` returned: as in cffi, an FFI keeps its
    /// libraries alive and each library its FFI (a cycle the GC can see).
    pub(crate) libraries: Mutex<Vec<Py<Lib>>>,
}

impl Ffi {
    pub fn registry(&self) -> &Arc<Registry> {
        &self.reg
    }

    pub(crate) fn declare(&self, source: &str, options: &CdefOptions) -> PyResult<()> {
        let (result, warnings) = self
            .reg
            .with(|t| (t.cdef(source, options), t.take_warnings()));
        if !warnings.is_empty() {
            warn_all(&warnings)?;
        }
        if options.override_ {
            self.reg.forget_plans();
            Python::attach(|py| self.type_strings.bind(py).clear());
        }
        result.py()?;
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((source.to_string(), *options));
        Ok(())
    }

    /// The library `ffi.dlopen(name, flags)` opens: a path, a short name,
    /// `None` for the process, or a `void *` handle from C's dlopen.
    pub(crate) fn open(
        &self,
        py: Python<'_>,
        name: Option<&Bound<'_, PyAny>>,
        flags: i32,
    ) -> PyResult<Lib> {
        if let Some(handle) = name.and_then(|n| n.cast::<CData>().ok()) {
            return Lib::from_handle(&self.reg, handle.cdata());
        }
        let path = match name {
            None => None,
            Some(n) if n.is_none() => None,
            Some(n) => Some(
                n.call_method0("__fspath__")
                    .unwrap_or_else(|_| n.clone())
                    .extract::<String>()
                    .map_err(|_| {
                        PyTypeError::new_err("dlopen(name): name must be a file name, None, or an already-opened 'void *' handle")
                    })?,
            ),
        };
        Lib::open(py, &self.reg, path.as_deref(), flags)
    }

    /// The type named by a string or given as a ctype object.
    pub(crate) fn resolve(&self, cdecl: &Bound<'_, PyAny>) -> PyResult<TypeId> {
        Ok(self.ctype_of(cdecl)?.get().id)
    }

    /// [`resolve`](Self::resolve), with the type's shape.
    pub(crate) fn resolve_shaped(&self, cdecl: &Bound<'_, PyAny>) -> PyResult<(TypeId, Shape)> {
        let py = cdecl.py();
        if let Ok(s) = cdecl.cast_exact::<PyString>() {
            // The common case, a type string seen before, without pyo3's
            // reference counting and type checks around the dict lookup.
            // SAFETY: the dict and the key are live; the result is NULL or a
            // reference borrowed from the dict, which keeps it while it is
            // read here (no Python code runs in between).
            let found = unsafe {
                pyo3::ffi::PyDict_GetItemWithError(self.type_strings.as_ptr(), s.as_ptr())
            };
            // SAFETY: as above; the value is compared with the CType type
            // (which has no subclasses) before it is read as one.
            if let Some(c) = unsafe { Borrowed::from_ptr_or_opt(py, found) } {
                // SAFETY: `found` is a live object (not NULL: just checked).
                if unsafe { pyo3::ffi::Py_TYPE(found) } == CType::type_object_raw(py) {
                    // SAFETY: just checked to be a CType.
                    let c = unsafe { c.cast_unchecked::<CType>() }.get();
                    let shape = c.shape.unwrap_or_else(|| self.reg.shape(c.id));
                    if shape == Shape::Function {
                        return Err(function_type_error(cdecl));
                    }
                    return Ok((c.id, shape));
                }
            }
        }
        let c = self.ctype_of(cdecl)?;
        let c = c.get();
        Ok((c.id, c.shape.unwrap_or_else(|| self.reg.shape(c.id))))
    }

    /// The ctype object named by a string or given. As in cffi, a string
    /// may not name a function type (`"int(int)"`) except for a callback.
    pub(crate) fn ctype_of<'py>(&self, cdecl: &Bound<'py, PyAny>) -> PyResult<Bound<'py, CType>> {
        let c = self.ctype_or_function_of(cdecl)?;
        if cdecl.is_instance_of::<PyString>() && self.reg.shape(c.get().id) == Shape::Function {
            return Err(function_type_error(cdecl));
        }
        Ok(c)
    }

    /// [`ctype_of`](Self::ctype_of), taking function types too.
    pub(crate) fn ctype_or_function_of<'py>(
        &self,
        cdecl: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, CType>> {
        if let Ok(s) = cdecl.cast::<PyString>() {
            let py = cdecl.py();
            let cache = self.type_strings.bind(py);
            if let Some(found) = cache.get_item(s)? {
                // Only ctype objects are stored.
                if let Ok(c) = found.cast_into::<CType>() {
                    return Ok(c);
                }
            }
            let id = self.reg.parse(&s.to_cow()?)?;
            let c = self.reg.ctype(py, id)?.into_bound(py);
            cache.set_item(s, &c)?;
            return Ok(c);
        }
        if let Ok(c) = cdecl.cast::<CType>() {
            let (reg, id) = (&c.get().reg, c.get().id);
            if crate::model::registry::understood(reg, &self.reg, id) {
                return Ok(c.clone());
            }
            let id = self.reg.translate(reg, id)?;
            return Ok(self.reg.ctype(cdecl.py(), id)?.into_bound(cdecl.py()));
        }
        Err(PyTypeError::new_err(format!(
            "expected a str or ctype object, got '{}'",
            cdecl.get_type().name()?
        )))
    }

    /// Refuses a type of another FFI: type ids mean something only in the
    /// registry that made them.
    pub(crate) fn same_ffi(&self, reg: &Arc<Registry>, id: TypeId, what: &str) -> PyResult<()> {
        if crate::model::registry::understood(reg, &self.reg, id) {
            return Ok(());
        }
        Err(PyTypeError::new_err(format!(
            "{what} '{}' belongs to another FFI instance; rffi cannot use it here",
            reg.cname(id)
        )))
    }

    /// A type from a string, a ctype or the type of a cdata.
    pub(crate) fn type_of_any(&self, x: &Bound<'_, PyAny>) -> PyResult<TypeId> {
        if let Ok(c) = x.cast::<CData>() {
            let c = c.cdata();
            return self.reg.translate(&c.reg, c.ty);
        }
        if x.is_instance_of::<PyString>() || x.is_instance_of::<CType>() {
            return self.resolve(x);
        }
        Err(PyTypeError::new_err("expected a 'cdata' or 'ctype' object"))
    }

    /// Argument 1 of `what` as a cdata, refused with CPython's wording.
    pub(crate) fn cdata_arg<'a, 'py>(
        x: &'a Bound<'py, PyAny>,
        what: &str,
    ) -> PyResult<&'a Bound<'py, CData>> {
        x.cast::<CData>().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} argument 1 must be rffi.CData, not {}",
                x.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })
    }

    /// Walks `fields` (names into records, integers into arrays) from `ty`,
    /// giving the final type and its offset.
    /// As cffi: a name needs a struct or union (or, first, a pointer to one);
    /// an integer needs an array or a pointer.
    pub(crate) fn walk(
        &self,
        mut ty: TypeId,
        fields: &Bound<'_, PyTuple>,
    ) -> PyResult<(TypeId, usize)> {
        let mut offset = 0usize;
        for (following, f) in fields.iter().enumerate() {
            if let Ok(name) = f.extract::<String>() {
                let field = self.reg.with(|t| {
                    let rec = match t.get(ty) {
                        Type::Pointer(item) if following == 0 => *item,
                        _ => ty,
                    };
                    match t.get(rec) {
                        Type::Record(_) => Some(t.field(rec, &name)),
                        _ => None,
                    }
                });
                let field = field.ok_or_else(|| {
                    PyTypeError::new_err(
                        "with a field name argument, expected a struct or union ctype",
                    )
                })?;
                let field = field.py()?;
                if field.bits.is_some() {
                    return Err(PyTypeError::new_err("not supported for bitfields"));
                }
                offset += field.offset;
                ty = field.ty;
            } else {
                let i: isize = f
                    .extract()
                    .map_err(|_| PyTypeError::new_err("field name or array index expected"))?;
                let (item, size) = self.reg.with(|t| match t.get(ty) {
                    Type::Array(item, _) | Type::Pointer(item) => {
                        (Some(*item), t.size_of(*item).unwrap_or(0))
                    }
                    _ => (None, 0),
                });
                let item = item.filter(|_| i >= 0).ok_or_else(|| {
                    PyTypeError::new_err(
                        "with an integer argument, expected an array ctype or a pointer to non-opaque",
                    )
                })?;
                let step = (i as usize).checked_mul(size).ok_or_else(|| {
                    PyOverflowError::new_err("array offset would overflow a Py_ssize_t")
                })?;
                offset = offset.wrapping_add(step);
                ty = item;
            }
        }
        Ok((ty, offset))
    }
}

impl Ffi {
    /// `ffi.new(cdecl, init)` (the method itself is in `classes::ffi_methods`).
    pub(crate) fn new_cdata<'py>(
        &self,
        py: Python<'py>,
        cdecl: &Bound<'py, PyAny>,
        init: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, CData>> {
        let (ty, shape) = self.resolve_shaped(cdecl)?;
        let how = Alloc::Default { clear: true };
        crate::classes::allocator::new(py, &self.reg, ty, shape, init, &how)
    }

    /// `ffi.cast(cdecl, source)` (the method itself is in `classes::ffi_methods`).
    pub(crate) fn cast<'py>(
        &self,
        cdecl: &Bound<'py, PyAny>,
        source: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, CData>> {
        let (ty, shape) = self.resolve_shaped(cdecl)?;
        if shape == Shape::Function && cdecl.is_instance_of::<PyString>() {
            // cffi reads a function type named by a string as a mistake for a pointer.
            return Err(CDefError::new_err(format!(
                "the type '{}' is a function type, not a pointer-to-function type",
                cdecl.cast::<PyString>()?.to_cow()?
            )));
        }
        crate::convert::cast::cast_object(&self.reg, ty, shape, source)
    }
}

/// cffi's refusal of a type string that names a function type where a
/// value type is needed.
pub(crate) fn function_type_error(cdecl: &Bound<'_, PyAny>) -> PyErr {
    let text = cdecl.str().map(|s| s.to_string()).unwrap_or_default();
    CDefError::new_err(format!(
        "the type '{text}' is a function type, not a pointer-to-function type"
    ))
}
/// Emits cffi's cdef warnings (`#pragma` lines) as `UserWarning`s.
pub(crate) fn warn_all(warnings: &[String]) -> PyResult<()> {
    Python::attach(|py| {
        let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
        for w in warnings {
            let text = std::ffi::CString::new(w.as_str()).unwrap_or_default();
            PyErr::warn(py, &category, &text, 2)?;
        }
        Ok(())
    })
}
