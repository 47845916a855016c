//! The Python API of `FFI`: the methods and attributes a program calls.

use crate::model::registry::node;
use std::sync::Mutex;

use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use rffi_types::CdefOptions;

use crate::base::errors::{CDefError, FFIError, IntoPyResult};
use crate::cdata::object::CDataGet;
use crate::cdata::value::{CData, Extras, Origin};
use crate::classes::allocator_class::Allocator;
use crate::classes::buffer::{self, Buffer};
use crate::classes::ctype::CType;
use crate::classes::ctype::CTypes;
use crate::classes::ffi_class::Ffi;
use crate::classes::library::Lib;
use crate::memory::owner::{Finalizer, Memory, Owner};
use crate::model::registry::{Registry, Shape};

#[pymethods]
impl Ffi {
    #[new]
    pub(crate) fn py_new(py: Python<'_>) -> PyResult<Ffi> {
        let reg = Registry::new();
        let void_ptr = reg.parse("void *")?;
        let null =
            crate::cdata::object::new(py, CData::plain(&reg, void_ptr, 0, Owner::none()))?.unbind();
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
        crate::classes::ffi_methods::descriptor(py, py.get_type::<Ffi>().as_type_ptr(), "new")
    }

    /// `ffi.cast(cdecl, source)`: as `new`.
    #[classattr]
    #[pyo3(name = "cast")]
    fn cast_method(py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::classes::ffi_methods::descriptor(py, py.get_type::<Ffi>().as_type_ptr(), "cast")
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
        crate::base::gil::callbacks_exist();
        match python_callable.filter(|f| !f.is_none()) {
            Some(f) => {
                crate::calls::callback::make(py, &self.reg, ty, f, error, onerror)?.into_py_any(py)
            }
            None => crate::calls::callback::decorator(
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
        crate::cdata::handle::new_handle(&self.reg, x)
    }

    /// The object behind a pointer from `new_handle`; raises for anything else.
    #[pyo3(name = "from_handle")]
    fn object_of_handle(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::cdata::handle::from_handle(py, x)
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
        crate::model::registry::refuse_include(other.get().registry())?;
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
            || crate::model::registry::included_constant(&self.reg, name),
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
        crate::cdata::lifetime::gc(cdata, destructor)
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
        crate::calls::ufunc::make(py, func, name, doc)
    }

    /// Lets the memory of `cdata` go now; using it afterwards raises ValueError.
    fn release(&self, py: Python<'_>, cdata: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::cdata::lifetime::release(py, cdata)
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
                return Ok(CData::made_with(
                    node(&self.reg, ty, Origin::Buffer, true),
                    addr,
                    buffer_owner(addr, bytes, hold),
                    Extras {
                        from: Some(obj.get_type().unbind()),
                        ..Extras::default()
                    },
                ));
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
        Ok(CData::made_with(
            node(&self.reg, ty, Origin::Buffer, true),
            addr,
            buffer_owner(addr, bytes, hold),
            Extras {
                len: if len.is_none() { Some(n) } else { None },
                from: Some(obj.get_type().unbind()),
                ..Extras::default()
            },
        ))
    }

    #[pyo3(signature = (cdata, maxlen = -1))]
    fn string(
        &self,
        py: Python<'_>,
        cdata: &Bound<'_, PyAny>,
        maxlen: isize,
    ) -> PyResult<Py<PyAny>> {
        let c = Self::cdata_arg(cdata, "string()")?.cdata();
        crate::convert::strings::string(py, c, maxlen)
    }

    fn unpack(
        &self,
        py: Python<'_>,
        cdata: &Bound<'_, PyAny>,
        length: isize,
    ) -> PyResult<Py<PyAny>> {
        let c = Self::cdata_arg(cdata, "unpack()")?.cdata();
        crate::convert::strings::unpack(py, c, length)
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
            _ => crate::base::errors::type_error(e),
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
    Owner::memory(Memory::foreign(
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
