//! The library object `ffi.dlopen` returns: names resolve against the FFI's
//! declarations when first used, so `cdef` after `dlopen` works.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyAttributeError, PyOSError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use rffi_call::Library;
use rffi_types::{Symbol, TypeId};

use crate::base::errors::IntoPyResult;
use crate::cdata::value::CData;
use crate::convert::value as convert;
use crate::memory::owner::{Finalizer, Memory, Owner};
use crate::model::registry::{Registry, Shape};

/// An opened library shared by the `Lib` object and every cdata that points
/// into it, so it stays loaded while any of them lives.
pub struct Handle(pub Mutex<Library>);

/// Functions and constants, once resolved, go into the instance `__dict__`,
/// where Python's own attribute lookup finds them without calling back here.
#[pyclass(name = "Lib", module = "rffi", frozen, dict, weakref)]
pub struct Lib {
    /// The FFI that opened it, kept alive by it as in cffi (set once, by
    /// `dlopen`).
    ffi: std::sync::OnceLock<Py<PyAny>>,
    reg: Arc<Registry>,
    handle: Arc<Handle>,
    /// What cdata pointing into the library hold: it keeps `handle`.
    owner: Owner,
    name: String,
    /// Set by `dlclose`: lookups through this `Lib` fail from then on, even
    /// while function cdata fetched earlier keep the library mapped.
    closed: AtomicBool,
}

impl Lib {
    /// Opens `name` as cffi's `dlopen` does: a path, `None` for the process,
    /// or a short name such as `"m"` found the way ctypes finds libraries.
    pub fn open(
        py: Python<'_>,
        reg: &Arc<Registry>,
        name: Option<&str>,
        flags: i32,
    ) -> PyResult<Lib> {
        if name == Some("") {
            // dlopen("") would open the main program; cffi looks the name up and fails.
            return Err(PyOSError::new_err(
                "ctypes.util.find_library() did not manage to locate a library called ''",
            ));
        }
        // SAFETY: loading runs the library's initialisers; the program chose
        // the library, as with cffi's dlopen.
        let lib = match unsafe { Library::open(name, flags) } {
            Ok(lib) => lib,
            Err(first) => {
                let found = match name {
                    Some(n) if !n.contains('/') => find_library(py, n)?,
                    _ => None,
                };
                match found {
                    // SAFETY: as above, for the file ctypes found.
                    Some(path) => unsafe { Library::open(Some(&path), flags) }.py()?,
                    // cffi: a short name that ctypes cannot find is reported alone.
                    None if name.is_some_and(|n| !n.contains('/')) => {
                        return Err(PyOSError::new_err(format!(
                            "ctypes.util.find_library() did not manage to locate a library called '{}'",
                            name.unwrap_or("<None>")
                        )))
                    }
                    None => {
                        return Err(PyOSError::new_err(format!(
                            "{first}.  Additionally, ctypes.util.find_library() did not manage to locate a library called '{}'",
                            name.unwrap_or("<None>")
                        )))
                    }
                }
            }
        };
        Ok(Lib::of(reg, lib, name.unwrap_or("<None>").to_string()))
    }

    fn of(reg: &Arc<Registry>, lib: Library, name: String) -> Lib {
        let handle = Arc::new(Handle(Mutex::new(lib)));
        Lib {
            ffi: std::sync::OnceLock::new(),
            reg: reg.clone(),
            name,
            owner: Owner::keep(handle.clone()),
            handle,
            closed: AtomicBool::new(false),
        }
    }

    /// `ffi.dlopen(handle)`: a library already opened by a `dlopen` call
    /// through C, given as its `void *` handle. As in cffi, it is closed
    /// only by `ffi.dlclose`, never when the `Lib` goes.
    pub fn from_handle(reg: &Arc<Registry>, handle: &CData) -> PyResult<Lib> {
        let is_void_ptr = match handle.shape() {
            Shape::Pointer { item } => handle.reg.shape(item) == Shape::Void,
            _ => false,
        };
        if !is_void_ptr {
            return Err(PyTypeError::new_err(format!(
                "dlopen() takes a file name or 'void *' handle, not '{}'",
                handle.reg.cname(handle.ty)
            )));
        }
        if handle.addr == 0 {
            return Err(PyRuntimeError::new_err("cannot call dlopen(NULL)"));
        }
        // SAFETY: a `void *` the program got from dlopen, as cffi trusts it;
        // it is never closed here unless the program asks (ffi.dlclose).
        let lib = unsafe { Library::from_handle(handle.addr as *mut std::ffi::c_void) };
        let name = lib.name().to_string();
        Ok(Lib::of(reg, lib, name))
    }

    /// Keeps `ffi`, the FFI that opened this library, alive with it.
    pub fn set_ffi(&self, ffi: Py<PyAny>) {
        let _ = self.ffi.set(ffi);
    }

    fn address(&self, name: &str) -> PyResult<usize> {
        if self.closed.load(Ordering::Acquire) {
            return Err(rffi_call::CallError::Closed(self.name.clone())).py();
        }
        let lib = self.handle.0.lock().unwrap_or_else(|e| e.into_inner());
        Ok(lib.symbol(name).py()? as usize)
    }

    fn owner(&self) -> Owner {
        self.owner.clone()
    }

    /// What cdata of the global variable of type `ty` at `addr` hold: the
    /// library, and for an array of known length also the extent of the
    /// array, so that `ffi.unpack`, `ffi.buffer`, `ffi.string`, indexes and
    /// `memmove` through it stop at its end as they stop at the end of
    /// memory from `ffi.new`.
    fn global_owner(&self, py: Python<'_>, ty: TypeId, addr: usize) -> PyResult<Owner> {
        let size = match (self.reg.shape(ty), self.reg.size_of(ty)) {
            (Shape::Array { .. }, Some(size)) if addr != 0 => size,
            _ => return Ok(self.owner()),
        };
        // The bounded memory keeps the library through a cdata that holds it.
        let keeper =
            crate::cdata::object::new(py, CData::plain(&self.reg, ty, addr, self.owner()))?
                .unbind();
        Ok(Owner::memory(Memory::foreign(
            addr,
            size,
            true,
            Finalizer {
                func: None,
                arg: Some(keeper.into_any()),
                keep_arg: true,
                what: "global variable",
            },
        )))
    }

    /// `dlclose`: forgets what was resolved and closes the library. If
    /// function or global cdata fetched from it still live, they hold the
    /// library and it is unmapped only when the last of them goes, so
    /// calling them stays safe (cffi would jump into unmapped memory).
    pub fn close(slf: &Bound<'_, Self>) -> PyResult<()> {
        slf.getattr("__dict__")?.call_method0("clear")?;
        let me = slf.get();
        // Closing twice is allowed and does nothing, as in cffi.
        if me.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if me.owner.users() > 1 {
            return Ok(());
        }
        let mut lib = me.handle.0.lock().unwrap_or_else(|e| e.into_inner());
        if lib.is_closed() {
            return Ok(());
        }
        lib.close().py()
    }

    /// The address of a declared global variable or function, for `ffi.addressof(lib, name)`.
    pub fn symbol_pointer(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let sym = self.reg.with(|t| t.symbol(name).cloned());
        let ty = match sym {
            Some(Symbol::Function(ty)) => ty,
            Some(Symbol::Variable { ty, .. }) => ty,
            _ => return Err(PyAttributeError::new_err(name.to_string())),
        };
        let addr = self.address(name)?;
        let owner = self.global_owner(py, ty, addr)?;
        if let Shape::Array { .. } = self.reg.shape(ty) {
            // As cffi: the address of a global array is the array itself.
            // SAFETY: nothing is read for an array; the cdata made holds
            // `owner`, which keeps the library mapped.
            return unsafe { convert::read(py, &self.reg, ty, addr, &owner) };
        }
        let ptr = self.reg.with(|t| t.pointer_to(ty));
        CData::plain(&self.reg, ptr, addr, owner).into_py_any(py)
    }
}

fn find_library(py: Python<'_>, name: &str) -> PyResult<Option<String>> {
    let util = py.import("ctypes.util")?;
    let found = util.call_method1("find_library", (name,))?;
    found.extract()
}

#[pymethods]
impl Lib {
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Some(ffi) = self.ffi.get() {
            visit.call(ffi)?;
        }
        Ok(())
    }

    fn __getattr__(slf: &Bound<'_, Self>, name: &str) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let sym = this.reg.with(|t| t.symbol(name).cloned());
        // cffi's dialect declares names and types only API mode can use.
        let unusable = this.reg.with(|t| match &sym {
            None => t.unusable_symbol(name).map(Err).unwrap_or(Ok(())),
            Some(Symbol::Variable { ty, .. } | Symbol::Function(ty)) => t.check_usable(*ty),
            Some(Symbol::Constant(_)) => Ok(()),
        });
        unusable.py()?;
        let cached = match sym {
            None => match crate::model::registry::included_constant(&this.reg, name)? {
                Some(v) => v.into_py_any(py)?,
                None => return Err(PyAttributeError::new_err(name.to_string())),
            },
            Some(Symbol::Variable { ty, .. }) => {
                let addr = this.address(name)?;
                let owner = this.global_owner(py, ty, addr)?;
                // SAFETY: `addr` is the library's symbol for this variable,
                // which holds a value of `ty` as the cdef declares (the
                // declaration is trusted, as in cffi); the library stays
                // mapped while this runs (the `Lib` holds it, with the GIL
                // held and no Python code run by a read) and after, through
                // `owner` in the cdata made for an array or record.
                return unsafe { convert::read(py, &this.reg, ty, addr, &owner) };
            }
            Some(Symbol::Constant(v)) => v.into_py_any(py)?,
            Some(Symbol::Function(ty)) => {
                let addr = this.address(name)?;
                let ptr = this.reg.with(|t| t.pointer_to(ty));
                CData::plain(&this.reg, ptr, addr, this.owner()).into_py_any(py)?
            }
        };
        slf.getattr("__dict__")?.set_item(name, &cached)?;
        Ok(cached)
    }

    fn __setattr__(&self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let sym = self.reg.with(|t| t.symbol(name).cloned());
        match sym {
            Some(Symbol::Variable {
                ty,
                is_const: false,
            }) => {
                let addr = self.address(name)?;
                // Converting `value` runs Python code, which may `ffi.dlclose`
                // this library: a second user of its owner makes that close
                // wait (see `Lib::close`) until this write is done.
                let _mapped = self.owner();
                // SAFETY: `addr` is the library's symbol for this variable,
                // which holds a writable value of `ty` as the cdef declares
                // (trusted, as in cffi); `_mapped` keeps the library mapped.
                unsafe { convert::write(py, &self.reg, ty, addr, value) }
            }
            Some(_) => Err(PyAttributeError::new_err(format!(
                "cannot write to function or constant '{name}'"
            ))),
            None => Err(PyAttributeError::new_err(name.to_string())),
        }
    }

    fn __dir__(&self) -> Vec<String> {
        let mut names: Vec<String> = self.reg.with(|t| {
            let declared = t.symbols().map(|(n, _)| n.to_string());
            declared
                .chain(t.unusable_names().map(str::to_string))
                .collect()
        });
        names.sort();
        names
    }

    fn __repr__(&self) -> String {
        format!("<rffi.Lib object for '{}'>", self.name)
    }
}
