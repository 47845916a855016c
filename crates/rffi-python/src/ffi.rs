//! The `FFI` class: cffi's ABI-mode entry point.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{
    PyAttributeError, PyOverflowError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, PyTypeInfo};
use rffi_types::{CdefOptions, Type, TypeId};

use crate::allocator::{Alloc, Allocator};
use crate::buffer::{self, Buffer};
use crate::cdata::{CData, Extras, Origin};
use crate::cdata_type::CDataGet;
use crate::ctype::CType;
use crate::errors::{CDefError, FFIError, IntoPyResult};
use crate::library::Lib;
use crate::owner::{Finalizer, Memory, Owner};
use crate::registry::{Registry, Shape};

#[pyclass(name = "FFI", module = "rffi", subclass, frozen, weakref)]
pub struct Ffi {
    reg: Arc<Registry>,
    null: Py<CData>,
    /// Type strings already resolved, keyed by the str object itself so the
    /// lookup uses the hash Python keeps in every str.
    type_strings: Py<PyDict>,
    /// Every `cdef` (and what `include` brought in), in order, so another
    /// FFI can `include` this one by declaring the same things.
    sources: Mutex<Vec<(String, CdefOptions)>>,
    /// `ffi.init_once`: tag -> (done, result or lock), as cffi keeps it.
    init_once: Py<PyDict>,
    /// The libraries `dlopen` returned: as in cffi, an FFI keeps its
    /// libraries alive and each library its FFI (a cycle the GC can see).
    libraries: Mutex<Vec<Py<Lib>>>,
}

impl Ffi {
    pub fn registry(&self) -> &Arc<Registry> {
        &self.reg
    }

    fn declare(&self, source: &str, options: &CdefOptions) -> PyResult<()> {
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
    fn open(&self, py: Python<'_>, name: Option<&Bound<'_, PyAny>>, flags: i32) -> PyResult<Lib> {
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
    fn ctype_of<'py>(&self, cdecl: &Bound<'py, PyAny>) -> PyResult<Bound<'py, CType>> {
        let c = self.ctype_or_function_of(cdecl)?;
        if cdecl.is_instance_of::<PyString>() && self.reg.shape(c.get().id) == Shape::Function {
            return Err(function_type_error(cdecl));
        }
        Ok(c)
    }

    /// [`ctype_of`](Self::ctype_of), taking function types too.
    fn ctype_or_function_of<'py>(&self, cdecl: &Bound<'py, PyAny>) -> PyResult<Bound<'py, CType>> {
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
            if crate::shared::understood(reg, &self.reg, id) {
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
    fn same_ffi(&self, reg: &Arc<Registry>, id: TypeId, what: &str) -> PyResult<()> {
        if crate::shared::understood(reg, &self.reg, id) {
            return Ok(());
        }
        Err(PyTypeError::new_err(format!(
            "{what} '{}' belongs to another FFI instance; rffi cannot use it here",
            reg.cname(id)
        )))
    }

    /// A type from a string, a ctype or the type of a cdata.
    fn type_of_any(&self, x: &Bound<'_, PyAny>) -> PyResult<TypeId> {
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
    fn cdata_arg<'a, 'py>(x: &'a Bound<'py, PyAny>, what: &str) -> PyResult<&'a Bound<'py, CData>> {
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
    fn walk(&self, mut ty: TypeId, fields: &Bound<'_, PyTuple>) -> PyResult<(TypeId, usize)> {
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

#[pymethods]
impl Ffi {
    #[new]
    pub(crate) fn py_new(py: Python<'_>) -> PyResult<Ffi> {
        let reg = Registry::new();
        let void_ptr = reg.parse("void *")?;
        let null =
            crate::cdata_type::new(py, CData::plain(&reg, void_ptr, 0, Owner::None))?.unbind();
        Ok(Ffi {
            reg,
            null,
            type_strings: PyDict::new(py).unbind(),
            sources: Mutex::new(Vec::new()),
            init_once: PyDict::new(py).unbind(),
            libraries: Mutex::new(Vec::new()),
        })
    }

    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.init_once)?;
        // Never wait in the GC: a lock held elsewhere means a dlopen in
        // progress, and the next collection sees the list.
        if let Ok(libraries) = self.libraries.try_lock() {
            for lib in libraries.iter() {
                visit.call(lib)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let libraries =
            std::mem::take(&mut *self.libraries.lock().unwrap_or_else(|e| e.into_inner()));
        drop(libraries);
    }

    #[classattr]
    fn error(py: Python<'_>) -> Py<PyAny> {
        py.get_type::<FFIError>().into_any().unbind()
    }

    #[classattr]
    #[pyo3(name = "CData")]
    fn cdata_class(py: Python<'_>) -> Py<PyAny> {
        py.get_type::<CData>().into_any().unbind()
    }

    /// `ffi.new(cdecl, init=None)`: a METH_FASTCALL method of the class's own.
    #[classattr]
    #[pyo3(name = "new")]
    fn new_method(py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::ffi_fastcall::descriptor(py, py.get_type::<Ffi>().as_type_ptr(), "new")
    }

    /// `ffi.cast(cdecl, source)`: as `new`.
    #[classattr]
    #[pyo3(name = "cast")]
    fn cast_method(py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::ffi_fastcall::descriptor(py, py.get_type::<Ffi>().as_type_ptr(), "cast")
    }

    /// `ffi.buffer(cdata, size=-1)` makes a buffer: cffi's `ffi.buffer` is
    /// the class itself (`type(ffi.buffer(p)) is ffi.buffer`).
    #[classattr]
    fn buffer(py: Python<'_>) -> Py<PyAny> {
        py.get_type::<Buffer>().into_any().unbind()
    }

    #[classattr]
    #[pyo3(name = "CType")]
    fn ctype_class(py: Python<'_>) -> Py<PyAny> {
        py.get_type::<CType>().into_any().unbind()
    }

    #[classattr]
    const RTLD_LAZY: i32 = rffi_call::RTLD_LAZY;
    #[classattr]
    const RTLD_NOW: i32 = rffi_call::RTLD_NOW;
    #[classattr]
    const RTLD_GLOBAL: i32 = rffi_call::RTLD_GLOBAL;
    #[classattr]
    const RTLD_LOCAL: i32 = rffi_call::RTLD_LOCAL;
    #[classattr]
    const RTLD_NODELETE: i32 = rffi_call::RTLD_NODELETE;
    #[classattr]
    const RTLD_NOLOAD: i32 = rffi_call::RTLD_NOLOAD;
    #[classattr]
    const RTLD_DEEPBIND: i32 = rffi_call::RTLD_DEEPBIND;

    #[getter(NULL)]
    fn null(&self, py: Python<'_>) -> Py<CData> {
        self.null.clone_ref(py)
    }

    /// `ffi.callback(cdecl, python_callable=None, error=None, onerror=None)`;
    /// without a callable it returns a decorator.
    #[pyo3(signature = (cdecl, python_callable = None, error = None, onerror = None))]
    fn callback(
        &self,
        py: Python<'_>,
        cdecl: &Bound<'_, PyAny>,
        python_callable: Option<&Bound<'_, PyAny>>,
        error: Option<&Bound<'_, PyAny>>,
        onerror: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let ty = self.ctype_or_function_of(cdecl)?.get().id;
        crate::gil::callbacks_exist();
        match python_callable.filter(|f| !f.is_none()) {
            Some(f) => crate::callback::make(py, &self.reg, ty, f, error, onerror)?.into_py_any(py),
            None => crate::callback::decorator(
                py,
                self.reg.clone(),
                ty,
                error.map(|e| e.clone().unbind()),
                onerror.map(|e| e.clone().unbind()),
            ),
        }
    }

    /// A `void *` that stands for `obj` while the returned cdata lives.
    fn new_handle(&self, x: &Bound<'_, PyAny>) -> PyResult<CData> {
        crate::handle::new_handle(&self.reg, x)
    }

    /// The object behind a pointer from `new_handle`; raises for anything else.
    #[pyo3(name = "from_handle")]
    fn object_of_handle(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::handle::from_handle(py, x)
    }

    #[pyo3(
        signature = (csource, r#override = false, packed = None, pack = None),
        text_signature = "($self, csource, override=False, packed=False, pack=None)"
    )]
    fn cdef(
        &self,
        csource: &Bound<'_, PyAny>,
        r#override: bool,
        packed: Option<&Bound<'_, PyAny>>,
        pack: Option<u32>,
    ) -> PyResult<()> {
        // As cffi: any false value, or True (1); `pack` gives other values.
        let packed = match packed {
            Some(p) if p.is_truthy()? => {
                if !p.eq(true)? {
                    return Err(PyValueError::new_err(
                        "'packed' should be False or True; use 'pack' to give another value",
                    ));
                }
                if pack.is_some_and(|n| n != 0) {
                    return Err(PyValueError::new_err(
                        "cannot give both 'pack' and 'packed'",
                    ));
                }
                true
            }
            _ => false,
        };
        let csource = csource
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("cdef() argument must be a string"))?
            .to_cow()?;
        let csource = csource.as_ref();
        let options = CdefOptions {
            packed,
            pack,
            override_: r#override,
        };
        self.declare(csource, &options)
    }

    /// `extern "Python"` functions need a compiled module: in ABI mode cffi
    /// refuses this whatever the arguments.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn def_extern(
        &self,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        Err(PyValueError::new_err(
            "ffi.def_extern() is only available on API-mode FFI objects",
        ))
    }

    /// Declares here everything `other` declared (cffi's `include`), so its
    /// types can be used in this FFI's `cdef`s.
    fn include(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = other.cast::<Ffi>().map_err(|_| {
            PyTypeError::new_err(format!(
                "ffi.include() expects an argument that is also of type rffi.FFI, not '{}'",
                other
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        if std::ptr::eq(other.get(), self) {
            return Err(PyValueError::new_err("an FFI cannot include itself"));
        }
        crate::outofline::refuse_include(other.get().registry())?;
        let theirs = other
            .get()
            .sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (source, options) in &theirs {
            self.declare(source, options)?;
        }
        Ok(())
    }

    /// `(typedef names, struct names, union names)`, each sorted, as cffi.
    fn list_types(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        if let Some(o) = self.reg.outofline.get() {
            return o.list_types.clone();
        }
        let (mut typedefs, mut structs, mut unions) = self.reg.with(|t| {
            let typedefs: Vec<String> = t.typedef_names().map(str::to_string).collect();
            let (mut structs, mut unions) = (Vec::new(), Vec::new());
            for r in t.records() {
                let Some(tag) = &r.tag else { continue };
                // `FILE` is kept under a tag no C source can spell; cffi lists it nowhere.
                if tag.starts_with(' ') {
                    continue;
                }
                match r.kind {
                    rffi_types::RecordKind::Struct => structs.push(tag.clone()),
                    rffi_types::RecordKind::Union => unions.push(tag.clone()),
                }
            }
            (typedefs, structs, unions)
        });
        for names in [&mut typedefs, &mut structs, &mut unions] {
            names.sort();
            names.dedup();
        }
        (typedefs, structs, unions)
    }

    /// The value of an enumerator or an integer `#define`.
    fn integer_const(&self, name: &str) -> PyResult<i128> {
        let own = self.reg.with(|t| t.constant(name));
        own.map_or_else(
            || crate::outofline::included_constant(&self.reg, name),
            |v| Ok(Some(v)),
        )?
        .ok_or_else(|| PyAttributeError::new_err(format!("integer constant '{name}' not found")))
    }

    /// Calls `func()` the first time for `tag` and returns its result then
    /// and on every later call with that tag; concurrent first calls wait
    /// for the one that runs `func`. Written as cffi's, over a dict.
    fn init_once(
        &self,
        py: Python<'_>,
        func: &Bound<'_, PyAny>,
        tag: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let cache = self.init_once.bind(py);
        let entry = match cache.get_item(tag)? {
            Some(e) => e,
            None => {
                let lock = py.import("threading")?.call_method0("Lock")?;
                cache.call_method1("setdefault", (tag, (false, lock)))?
            }
        };
        let (done, value): (bool, Bound<'_, PyAny>) = entry.extract()?;
        if done {
            return Ok(value.unbind());
        }
        let lock = value;
        lock.call_method0("acquire")?;
        let outcome = (|| -> PyResult<Py<PyAny>> {
            if let Some(e) = cache.get_item(tag)? {
                let (done, value): (bool, Bound<'_, PyAny>) = e.extract()?;
                if done {
                    return Ok(value.unbind());
                }
            }
            let result = func.call0()?;
            cache.set_item(tag, (true, &result))?;
            Ok(result.unbind())
        })();
        lock.call_method0("release")?;
        outcome
    }

    /// A cdata for the same C value that calls `destructor(cdata)` once,
    /// when collected or released; `destructor=None` removes the destructor
    /// of a cdata `gc` returned. `size` is accepted for cffi compatibility.
    #[pyo3(signature = (cdata, destructor, size = 0))]
    fn gc(
        &self,
        cdata: &Bound<'_, PyAny>,
        destructor: &Bound<'_, PyAny>,
        size: isize,
    ) -> PyResult<Option<CData>> {
        let _ = size;
        crate::lifetime::gc(cdata, destructor)
    }

    /// `ffi.ufunc(func)`: the scalar C function `func` as a numpy ufunc (rffi only).
    #[pyo3(signature = (func, name = None, doc = None))]
    fn ufunc(
        &self,
        py: Python<'_>,
        func: &Bound<'_, PyAny>,
        name: Option<&str>,
        doc: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        crate::ufunc::make(py, func, name, doc)
    }

    /// Lets the memory of `cdata` go now; using it afterwards raises ValueError.
    fn release(&self, py: Python<'_>, cdata: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::lifetime::release(py, cdata)
    }

    /// An object called like `ffi.new` whose memory comes from `alloc(size)`
    /// and goes back through `free(cdata)`.
    #[pyo3(signature = (alloc = None, free = None, should_clear_after_alloc = true))]
    fn new_allocator(
        slf: &Bound<'_, Self>,
        alloc: Option<&Bound<'_, PyAny>>,
        free: Option<&Bound<'_, PyAny>>,
        should_clear_after_alloc: bool,
    ) -> PyResult<Allocator> {
        Allocator::make(slf.clone().unbind(), alloc, free, should_clear_after_alloc)
    }

    #[pyo3(signature = (name, flags = 0))]
    fn dlopen(
        slf: &Bound<'_, Self>,
        name: Option<&Bound<'_, PyAny>>,
        flags: i32,
    ) -> PyResult<Py<Lib>> {
        let py = slf.py();
        let lib = Py::new(py, slf.get().open(py, name, flags)?)?;
        lib.get().set_ffi(slf.clone().into_any().unbind());
        slf.get()
            .libraries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(lib.clone_ref(py));
        Ok(lib)
    }

    fn dlclose(&self, lib: &Bound<'_, Lib>) -> PyResult<()> {
        Lib::close(lib)?;
        // Closed, it need not live as long as this FFI: it goes (and its
        // library is unmapped) when the program drops it and what it fetched.
        let forgotten = {
            let mut libraries = self.libraries.lock().unwrap_or_else(|e| e.into_inner());
            let at = libraries.iter().position(|l| l.as_ptr() == lib.as_ptr());
            at.map(|i| libraries.remove(i))
        };
        drop(forgotten);
        Ok(())
    }

    #[pyo3(name = "from_buffer", signature = (cdecl, python_buffer = None, require_writable = false))]
    fn cdata_from_buffer(
        &self,
        py: Python<'_>,
        cdecl: &Bound<'_, PyAny>,
        python_buffer: Option<&Bound<'_, PyAny>>,
        require_writable: bool,
    ) -> PyResult<CData> {
        let (ty, obj) = match python_buffer {
            Some(obj) => (self.resolve(cdecl)?, obj.clone()),
            None => (self.reg.parse("char[]")?, cdecl.clone()),
        };
        if obj.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "from_buffer() cannot return the address of a unicode object",
            ));
        }
        let (item, len) = match self.reg.shape(ty) {
            Shape::Array { item, len } => (item, len),
            Shape::Pointer { .. } => {
                let (addr, bytes, hold) = buffer::hold(py, &obj, require_writable)?;
                return Ok(CData {
                    origin: Origin::Buffer,
                    releasable: true,
                    extras: Extras {
                        from: Some(obj.get_type().unbind()),
                        ..Extras::default()
                    }
                    .into(),
                    ..CData::plain(&self.reg, ty, addr, buffer_owner(addr, bytes, hold))
                });
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "expected a pointer or array ctype, got '{}'",
                    self.reg.cname(ty)
                )))
            }
        };
        let (addr, bytes, hold) = buffer::hold(py, &obj, require_writable)?;
        let item_size = self.reg.size_of(item).unwrap_or(1).max(1);
        let n = match len {
            Some(n) if n * item_size > bytes => {
                return Err(PyValueError::new_err(format!(
                    "buffer is too small ({bytes} bytes) for '{}' ({} bytes)",
                    self.reg.cname(ty),
                    n * item_size
                )))
            }
            Some(n) => n,
            None => bytes / item_size,
        };
        Ok(CData {
            origin: Origin::Buffer,
            releasable: true,
            extras: Extras {
                len: if len.is_none() { Some(n) } else { None },
                from: Some(obj.get_type().unbind()),
                ..Extras::default()
            }
            .into(),
            ..CData::plain(&self.reg, ty, addr, buffer_owner(addr, bytes, hold))
        })
    }

    #[pyo3(signature = (cdata, maxlen = -1))]
    fn string(
        &self,
        py: Python<'_>,
        cdata: &Bound<'_, PyAny>,
        maxlen: isize,
    ) -> PyResult<Py<PyAny>> {
        let c = Self::cdata_arg(cdata, "string()")?.cdata();
        crate::strings::string(py, c, maxlen)
    }

    fn unpack(
        &self,
        py: Python<'_>,
        cdata: &Bound<'_, PyAny>,
        length: isize,
    ) -> PyResult<Py<PyAny>> {
        let c = Self::cdata_arg(cdata, "unpack()")?.cdata();
        crate::strings::unpack(py, c, length)
    }

    fn sizeof(&self, cdecl: &Bound<'_, PyAny>) -> PyResult<usize> {
        let x = cdecl;
        if let Ok(c) = x.cast::<CData>() {
            let c = c.cdata();
            match (c.shape(), &c.origin) {
                (Shape::Array { .. }, _) => return Ok(c.byte_size()),
                // A struct with a flexible array member owns what `new` gave it.
                (Shape::Record { .. }, Origin::Owning) => return Ok(c.owned_size()),
                _ => {}
            }
        }
        let ty = self.type_of_any(x)?;
        self.reg.with(|t| t.size_of(ty)).py()
    }

    fn alignof(&self, cdecl: &Bound<'_, PyAny>) -> PyResult<usize> {
        let ty = self.type_of_any(cdecl)?;
        self.reg.with(|t| t.align_of(ty)).map_err(|e| match e.kind {
            rffi_types::ErrorKind::UnknownSize => PyValueError::new_err(format!(
                "ctype '{}' is of unknown alignment",
                self.reg.cname(ty)
            )),
            _ => crate::errors::type_error(e),
        })
    }

    #[pyo3(signature = (cdecl, *fields))]
    fn offsetof(&self, cdecl: &Bound<'_, PyAny>, fields: &Bound<'_, PyTuple>) -> PyResult<usize> {
        let ty = self.resolve(cdecl)?;
        Ok(self.walk(ty, fields)?.1)
    }

    #[pyo3(name = "typeof")]
    fn type_of(&self, py: Python<'_>, cdecl: &Bound<'_, PyAny>) -> PyResult<Py<CType>> {
        let x = cdecl;
        if let Ok(c) = x.cast::<CData>() {
            // Its own registry's: the cdata may come from another FFI.
            let c = c.cdata();
            return c.reg.ctype(py, c.ty);
        }
        if let Ok(s) = x.cast::<PyString>() {
            let ty = self.reg.parse(&s.to_cow()?)?;
            if self.reg.shape(ty) == Shape::Function {
                return Err(CDefError::new_err(format!(
                    "the type '{}' is a function type, not a pointer-to-function type",
                    s.to_cow()?
                )));
            }
            return self.reg.ctype(py, ty);
        }
        if x.is_instance_of::<CType>() {
            return Ok(x.cast::<CType>()?.clone().unbind());
        }
        Err(PyTypeError::new_err(x.get_type().repr()?.to_string()))
    }

    #[pyo3(signature = (cdata, *fields_or_indexes))]
    fn addressof(
        &self,
        py: Python<'_>,
        cdata: &Bound<'_, PyAny>,
        fields_or_indexes: &Bound<'_, PyTuple>,
    ) -> PyResult<Py<PyAny>> {
        if let Ok(lib) = cdata.cast::<Lib>() {
            let name: String = fields_or_indexes.get_item(0)?.extract()?;
            return lib.get().symbol_pointer(py, &name);
        }
        let c = cdata
            .cast::<CData>()
            .map_err(|_| PyTypeError::new_err("expected a 'cdata' object"))?
            .cdata();
        self.same_ffi(&c.reg, c.ty, "cdata")?;
        if !matches!(
            c.shape(),
            Shape::Record { .. } | Shape::Array { .. } | Shape::Pointer { .. }
        ) {
            return Err(PyTypeError::new_err(
                "expected a cdata struct/union/array/pointer object",
            ));
        }
        // As cffi: a pointer has no address of its own to give (only its
        // items and members do).
        if fields_or_indexes.is_empty() && matches!(c.shape(), Shape::Pointer { .. }) {
            return Err(PyTypeError::new_err("addressof(pointer)"));
        }
        let (ty, offset) = self.walk(c.ty, fields_or_indexes)?;
        let ptr = self.reg.with(|t| t.pointer_to(ty));
        CData::plain(&self.reg, ptr, c.addr + offset, c.owner.clone()).into_py_any(py)
    }

    #[pyo3(signature = (cdecl, replace_with = ""))]
    fn getctype(&self, cdecl: &Bound<'_, PyAny>, replace_with: &str) -> PyResult<String> {
        let ty = self.resolve(cdecl)?;
        Ok(self.reg.with(|t| t.cname_with(ty, replace_with)))
    }

    #[getter]
    fn get_errno(&self) -> i32 {
        rffi_call::errno::saved()
    }

    #[setter]
    fn set_errno(&self, value: i32) {
        rffi_call::errno::set_saved(value)
    }

    fn memmove(
        &self,
        py: Python<'_>,
        dest: &Bound<'_, PyAny>,
        src: &Bound<'_, PyAny>,
        n: usize,
    ) -> PyResult<()> {
        let (d, dlen, _dh) = raw_region(py, dest, true)?;
        let (s, slen, _sh) = raw_region(py, src, false)?;
        // Taking the source's buffer may have run Python code that released
        // the destination (or the source itself, for a cdata).
        for obj in [dest, src] {
            if let Ok(c) = obj.cast::<CData>() {
                c.cdata().live()?;
            }
        }
        if dlen.is_some_and(|l| n > l) || slen.is_some_and(|l| n > l) {
            return Err(PyValueError::new_err(format!(
                "memmove() of {n} bytes is larger than a buffer"
            )));
        }
        if n > 0 && (d == 0 || s == 0) {
            return Err(PyRuntimeError::new_err("memmove() with a NULL pointer"));
        }
        // SAFETY: both regions are at least `n` bytes when their size is known;
        // raw pointers are trusted as in C, but never NULL here.
        unsafe { std::ptr::copy(s as *const u8, d as *mut u8, n) };
        Ok(())
    }
}

/// cffi's refusal of a type string that names a function type where a
/// value type is needed.
fn function_type_error(cdecl: &Bound<'_, PyAny>) -> PyErr {
    let text = cdecl.str().map(|s| s.to_string()).unwrap_or_default();
    CDefError::new_err(format!(
        "the type '{text}' is a function type, not a pointer-to-function type"
    ))
}

/// The address and (if known) size of a cdata or a Python buffer for memmove.
fn raw_region(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    writable: bool,
) -> PyResult<(usize, Option<usize>, Option<Py<buffer::BufferHold>>)> {
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        c.live()?;
        let room = c.owner.room_from(c.addr);
        let len = match (c.shape(), room) {
            (Shape::Array { .. }, Some(room)) => Some(c.byte_size().min(room)),
            (Shape::Array { .. }, None) => Some(c.byte_size()),
            _ => room,
        };
        return Ok((c.addr, len, None));
    }
    let (addr, len, hold) = buffer::hold(py, obj, writable)?;
    Ok((addr, Some(len), Some(hold)))
}

/// The owner of a `from_buffer` cdata: releasing it lets the Python buffer go.
fn buffer_owner(addr: usize, len: usize, hold: Py<buffer::BufferHold>) -> Owner {
    Owner::Memory(Memory::foreign(
        addr,
        len,
        true,
        Finalizer {
            func: None,
            arg: Some(hold.into_any()),
            keep_arg: false,
            what: "ffi.from_buffer()",
        },
    ))
}

/// Emits cffi's cdef warnings (`#pragma` lines) as `UserWarning`s.
fn warn_all(warnings: &[String]) -> PyResult<()> {
    Python::attach(|py| {
        let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
        for w in warnings {
            let text = std::ffi::CString::new(w.as_str()).unwrap_or_default();
            PyErr::warn(py, &category, &text, 2)?;
        }
        Ok(())
    })
}

impl Ffi {
    /// `ffi.new(cdecl, init)` (the method itself is in `ffi_fastcall.rs`).
    pub(crate) fn new_cdata<'py>(
        &self,
        py: Python<'py>,
        cdecl: &Bound<'py, PyAny>,
        init: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, CData>> {
        let (ty, shape) = self.resolve_shaped(cdecl)?;
        let how = Alloc::Default { clear: true };
        crate::allocator::new(py, &self.reg, ty, shape, init, &how)
    }

    /// `ffi.cast(cdecl, source)` (the method itself is in `ffi_fastcall.rs`).
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
        crate::cast::cast_object(&self.reg, ty, shape, source)
    }
}
