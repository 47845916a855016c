//! The CData types: rffi's own CPython types, declared up front with
//! `PyType_FromSpec`, as cffi declares its `CData_Type` and subtypes in C.
//!
//! An object is a `#[repr(C)]` [`CDataObject`]: the Python header, the
//! weak-reference list and the Rust [`CData`] value; a function pointer's
//! ([`FuncObject`]) has the vectorcall entry after it. The base type is not
//! a GC type; a function subtype adds the vectorcall entry, a GC subtype the
//! collector's slots (`cdata::object` says which cdata get which). Every slot
//! is declared in the specs (nothing is measured on probe objects or patched
//! into a type pyo3 made), and the types are immutable, so neither Python
//! code nor a pyo3 upgrade can change what the hot paths rely on.
//!
//! Each slot first tries its fast path, written against the object layout
//! here (`glue::fast_slots`: a member or item read or write of a common scalar, a call
//! through the direct invoker), and otherwise runs the general path of
//! `glue::cdata_ops` inside [`general`], which attaches the thread the pyo3 way (so
//! Python objects dropped there are released at once), catches panics and
//! turns errors into exceptions.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::basic::CompareOp;
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3::IntoPyObjectExt;

use crate::base::gil::attached;
use crate::cdata::object::{
    set_types, type_ptr, value_of, CDataGet, CDataObject, FuncObject, Types,
};
use crate::cdata::value::CData;
use crate::memory::owner::Kind;

/// What a slot returns on error.
trait SlotReturn: Copy {
    const ERROR: Self;
}

impl SlotReturn for *mut ffi::PyObject {
    const ERROR: Self = std::ptr::null_mut();
}

impl SlotReturn for c_int {
    const ERROR: Self = -1;
}

impl SlotReturn for isize {
    const ERROR: Self = -1;
}

/// Raises a `PanicException` for a panic caught in a slot.
fn panicked<R: SlotReturn>(what: &str) -> R {
    // SAFETY: slots run with the GIL held.
    let py = unsafe { Python::assume_attached() };
    pyo3::panic::PanicException::new_err(format!("rffi panicked during {what}")).restore(py);
    R::ERROR
}

/// Runs the general path of a slot: attached to the interpreter the pyo3
/// way, a panic caught, an error raised.
#[inline(never)]
fn general<R: SlotReturn>(what: &str, f: impl FnOnce(Python<'_>) -> PyResult<R>) -> R {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        attached(|py| match f(py) {
            Ok(v) => v,
            Err(e) => {
                e.restore(py);
                R::ERROR
            }
        })
    }));
    outcome.unwrap_or_else(|_| panicked(what))
}

/// Runs a fast path: `None` lets the general path decide; a panic is caught.
#[inline(always)]
fn fast<R: SlotReturn>(what: &str, f: impl FnOnce() -> Option<R>) -> Result<Option<R>, R> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| panicked(what))
}

/// The object a slot was given, as a `Bound<CData>` borrowed for the call.
///
/// # Safety
/// GIL held; `obj` is a live CData object borrowed for the call.
#[inline]
unsafe fn this<'a, 'py>(py: Python<'py>, obj: *mut ffi::PyObject) -> Borrowed<'a, 'py, CData> {
    // SAFETY: the caller's contract.
    unsafe { Borrowed::from_ptr(py, obj).cast_unchecked() }
}

/// A new reference from a result.
fn object<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> PyResult<*mut ffi::PyObject> {
    Ok(v.into_py_any(py)?.into_ptr())
}

unsafe extern "C" fn dealloc(obj: *mut ffi::PyObject) {
    // SAFETY: CPython calls this with the GIL held, for a CData object that
    // nothing references any more.
    unsafe {
        let tp = ffi::Py_TYPE(obj);
        let gc = ffi::PyType_IS_GC(tp) != 0;
        if gc {
            ffi::PyObject_GC_UnTrack(obj.cast());
        }
        let o = obj as *mut CDataObject;
        if !(*o).weaklist.is_null() {
            ffi::PyObject_ClearWeakRefs(obj);
        }
        let value = std::ptr::addr_of_mut!((*o).value);
        // An object holding its own bytes does not count itself; it was
        // allocated by `cdata::object::new_inline`.
        let inline = (*value).owner.forget_if_self(obj);
        let drop_value = || {
            if holds_python_objects(&*value) {
                // Python objects dropped here are released at once only if
                // pyo3 knows the thread is attached.
                attached(|_| std::ptr::drop_in_place(value));
            } else {
                std::ptr::drop_in_place(value);
            }
        };
        if catch_unwind(AssertUnwindSafe(drop_value)).is_err() {
            let py = Python::assume_attached();
            pyo3::panic::PanicException::new_err("rffi panicked freeing a cdata")
                .write_unraisable(py, None);
        }
        if gc {
            ffi::PyObject_GC_Del(obj.cast());
        } else if inline {
            ffi::PyMem_RawFree(obj.cast());
        } else {
            ffi::PyObject_Free(obj.cast());
        }
        ffi::Py_DECREF(tp.cast());
    }
}

/// Whether dropping `c` may release a Python object: the owners of most
/// cdata (none, memory) and the registry, while its FFI lives, hold none.
fn holds_python_objects(c: &CData) -> bool {
    // Dropping an object's owner gives back a reference to a cdata object.
    let owner = match c.owner.kind() {
        Kind::None => false,
        Kind::Memory(m) => m.is_kept(),
        Kind::Object(_) => true,
    };
    owner || c.extras().is_some() || std::sync::Arc::strong_count(&c.reg) == 1
}

unsafe extern "C" fn repr(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    general("repr", |py| {
        // SAFETY: CPython passes a live CData object, with the GIL held.
        let c = unsafe { this(py, obj) };
        object(py, c.cdata().repr_text(py)?)
    })
}

unsafe extern "C" fn hash(obj: *mut ffi::PyObject) -> ffi::Py_hash_t {
    general("hash", |py| {
        // SAFETY: as in `repr`.
        let h = unsafe { this(py, obj) }.cdata().hash_value(py)?;
        // -1 means an error to CPython.
        Ok(if h == -1 { -2 } else { h })
    })
}

unsafe extern "C" fn richcompare(
    obj: *mut ffi::PyObject,
    other: *mut ffi::PyObject,
    op: c_int,
) -> *mut ffi::PyObject {
    general("a comparison", |py| {
        // SAFETY: as in `repr`; `other` is live and borrowed for the call.
        let (c, other) = unsafe { (this(py, obj), Borrowed::from_ptr(py, other)) };
        let op = match op {
            ffi::Py_LT => CompareOp::Lt,
            ffi::Py_LE => CompareOp::Le,
            ffi::Py_EQ => CompareOp::Eq,
            ffi::Py_NE => CompareOp::Ne,
            ffi::Py_GT => CompareOp::Gt,
            _ => CompareOp::Ge,
        };
        Ok(c.cdata().compare(py, &other, op)?.into_ptr())
    })
}

unsafe extern "C" fn getattro(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live CData object and a live name, with the
    // GIL held.
    match fast("an attribute lookup", || unsafe {
        crate::glue::fast_slots::member_read(obj, name)
    }) {
        Ok(Some(r)) | Err(r) => return r,
        Ok(None) => {}
    }
    general("an attribute lookup", |py| {
        // SAFETY: as above.
        let (c, name) = unsafe { (this(py, obj), Borrowed::from_ptr(py, name)) };
        let name = name.cast::<PyString>().map_err(PyErr::from)?;
        Ok(CData::getattribute(&c, &name)?.into_ptr())
    })
}

unsafe extern "C" fn setattro(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> c_int {
    if !value.is_null() {
        // SAFETY: as in `getattro`; `value` is live and borrowed.
        match fast("an attribute assignment", || unsafe {
            crate::glue::fast_slots::member_write(obj, name, value)
        }) {
            Ok(Some(r)) | Err(r) => return r,
            Ok(None) => {}
        }
    }
    general("an attribute assignment", |py| {
        // SAFETY: as above.
        let (c, name) = unsafe { (this(py, obj), Borrowed::from_ptr(py, name)) };
        let name = name.cast::<PyString>().map_err(PyErr::from)?;
        if value.is_null() {
            c.cdata().delete_attribute(name.to_str()?)?;
        } else {
            // SAFETY: `value` is live and borrowed for the call.
            let value = unsafe { Borrowed::from_ptr(py, value) };
            c.cdata().set_attribute(py, name.to_str()?, &value)?;
        }
        Ok(0)
    })
}

unsafe extern "C" fn subscript(
    obj: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live CData object and a live key, with the
    // GIL held.
    match fast("indexing", || unsafe {
        crate::glue::fast_slots::item_read(obj, key)
    }) {
        Ok(Some(r)) | Err(r) => return r,
        Ok(None) => {}
    }
    general("indexing", |py| {
        // SAFETY: as above.
        let (c, key) = unsafe { (this(py, obj), Borrowed::from_ptr(py, key)) };
        Ok(c.cdata().get_item(py, &key)?.into_ptr())
    })
}

unsafe extern "C" fn ass_subscript(
    obj: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> c_int {
    if !value.is_null() {
        // SAFETY: as in `subscript`; `value` is live and borrowed.
        match fast("an item assignment", || unsafe {
            crate::glue::fast_slots::item_write(obj, key, value)
        }) {
            Ok(Some(r)) | Err(r) => return r,
            Ok(None) => {}
        }
    }
    general("an item assignment", |py| {
        // SAFETY: as above.
        let (c, key) = unsafe { (this(py, obj), Borrowed::from_ptr(py, key)) };
        if value.is_null() {
            return Err(PyTypeError::new_err(
                "'del x[n]' not supported for cdata objects",
            ));
        }
        // SAFETY: `value` is live and borrowed for the call.
        let value = unsafe { Borrowed::from_ptr(py, value) };
        c.cdata().set_item(py, &key, &value)?;
        Ok(0)
    })
}

unsafe extern "C" fn length(obj: *mut ffi::PyObject) -> ffi::Py_ssize_t {
    general("len()", |py| {
        // SAFETY: as in `repr`.
        let n = unsafe { this(py, obj) }.cdata().length()?;
        isize::try_from(n).map_err(|_| pyo3::exceptions::PyOverflowError::new_err("length"))
    })
}

unsafe extern "C" fn iter(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    general("iteration", |py| {
        // SAFETY: as in `repr`.
        Ok(unsafe { this(py, obj) }.cdata().iterate(py)?.into_ptr())
    })
}

unsafe extern "C" fn nb_bool(obj: *mut ffi::PyObject) -> c_int {
    general("bool()", |py| {
        // SAFETY: as in `repr`.
        Ok(c_int::from(unsafe { this(py, obj) }.cdata().truth()))
    })
}

unsafe extern "C" fn nb_int(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    general("int()", |py| {
        // SAFETY: as in `repr`.
        object(py, unsafe { this(py, obj) }.cdata().int_value()?)
    })
}

unsafe extern "C" fn nb_float(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    general("float()", |py| {
        // SAFETY: as in `repr`.
        object(py, unsafe { this(py, obj) }.cdata().float_number()?)
    })
}

/// `a + b` with a cdata on either side (`p + 1`, `1 + p`).
unsafe extern "C" fn nb_add(a: *mut ffi::PyObject, b: *mut ffi::PyObject) -> *mut ffi::PyObject {
    general("an addition", |py| {
        // SAFETY: CPython passes two live objects, one of them a CData.
        let (a, b) = unsafe { (Borrowed::from_ptr(py, a), Borrowed::from_ptr(py, b)) };
        let (c, n) = match a.cast::<CData>() {
            Ok(c) => (c, b),
            Err(_) => match b.cast::<CData>() {
                Ok(c) => (c, a),
                Err(_) => return Ok(py.NotImplemented().into_ptr()),
            },
        };
        // As cffi: anything but an integer raises the conversion's error.
        let n: isize = n.extract()?;
        Ok(c.cdata().pointer_arith(py, n)?.into_ptr())
    })
}

/// `p - n` and `p - q`; nothing minus a cdata.
unsafe extern "C" fn nb_subtract(
    a: *mut ffi::PyObject,
    b: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    general("a subtraction", |py| {
        // SAFETY: CPython passes two live objects, one of them a CData.
        let (a, b) = unsafe { (Borrowed::from_ptr(py, a), Borrowed::from_ptr(py, b)) };
        let Ok(c) = a.cast::<CData>() else {
            return Ok(py.NotImplemented().into_ptr());
        };
        Ok(c.cdata().subtract(py, &b)?.into_ptr())
    })
}

/// `tp_call` of cdata without the vectorcall entry (all but function
/// pointers that hold no Python object): the entry's work, from a tuple.
unsafe extern "C" fn call(
    obj: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live CData object, a tuple and NULL or a
    // dict, with the GIL held.
    unsafe {
        let keywords = !kwargs.is_null() && ffi::PyDict_Size(kwargs) > 0;
        let n = ffi::PyTuple_GET_SIZE(args);
        let items: Vec<*mut ffi::PyObject> =
            (0..n).map(|i| ffi::PyTuple_GET_ITEM(args, i)).collect();
        crate::calls::entry::call(obj, &items, keywords)
    }
}

unsafe extern "C" fn traverse(
    obj: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // No attaching here: CPython forbids running Python code during a
    // traversal. A panic is not expected, and cannot be raised from here.
    let run = || {
        // SAFETY: CPython passes a live CData object, with the GIL held.
        let c = unsafe { value_of(obj) };
        crate::glue::cycles::traverse(c, &crate::base::gc::Visit::new(visit, arg))
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(())) => 0,
        Ok(Err(code)) => code,
        Err(_) => 0,
    }
}

unsafe extern "C" fn clear(obj: *mut ffi::PyObject) -> c_int {
    general("a garbage collection", |_py| {
        // SAFETY: CPython passes a live CData object, with the GIL held.
        crate::glue::cycles::clear(unsafe { value_of(obj) });
        Ok(0)
    })
}

unsafe extern "C" fn finalize(obj: *mut ffi::PyObject) {
    // SAFETY: CPython passes a live CData object, with the GIL held.
    unsafe { crate::glue::cycles::finalize(obj) }
}

unsafe extern "C" fn method_complex(
    obj: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    general("complex()", |py| {
        // SAFETY: a method of CData, called on a live CData object.
        Ok(unsafe { this(py, obj) }.cdata().complex(py)?.into_ptr())
    })
}

unsafe extern "C" fn method_enter(
    obj: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    general("__enter__", |py| {
        // SAFETY: as in `method_complex`.
        let c = unsafe { this(py, obj) };
        crate::cdata::lifetime::releasable(c.cdata())?;
        Ok(c.to_owned().into_ptr())
    })
}

unsafe extern "C" fn method_exit(
    obj: *mut ffi::PyObject,
    _args: *mut *mut ffi::PyObject,
    _nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    general("__exit__", |py| {
        // SAFETY: as in `method_complex`.
        let c = unsafe { this(py, obj) };
        crate::cdata::lifetime::release(py, c.as_any())?;
        object(py, false)
    })
}

unsafe extern "C" fn method_dir(
    obj: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    general("dir()", |py| {
        // SAFETY: as in `method_complex`.
        object(py, unsafe { this(py, obj) }.cdata().field_names()?)
    })
}

/// A NUL-terminated string literal as a C string pointer.
macro_rules! cstr {
    ($s:literal) => {
        concat!($s, "\0").as_ptr() as *const c_char
    };
}

/// Makes the CData type and adds it to the module; run once, at import.
pub fn create(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    if !type_ptr().is_null() {
        // A second initialization of the module (a sub-interpreter is not
        // supported): the type made the first time serves.
        // SAFETY: the static holds a reference to the live type.
        let ty = unsafe { Bound::from_borrowed_ptr(py, type_ptr().cast()) };
        return module.add("CData", ty);
    }
    // The tables must outlive the type: they are leaked, once per process.
    let methods: &'static mut [ffi::PyMethodDef] = Box::leak(Box::new([
        ffi::PyMethodDef {
            ml_name: cstr!("__complex__"),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: method_complex,
            },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: std::ptr::null(),
        },
        ffi::PyMethodDef {
            ml_name: cstr!("__enter__"),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: method_enter,
            },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: std::ptr::null(),
        },
        ffi::PyMethodDef {
            ml_name: cstr!("__exit__"),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFast: method_exit,
            },
            ml_flags: ffi::METH_FASTCALL,
            ml_doc: std::ptr::null(),
        },
        ffi::PyMethodDef {
            ml_name: cstr!("__dir__"),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: method_dir,
            },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: std::ptr::null(),
        },
        ffi::PyMethodDef::zeroed(),
    ]));
    let member = |name: *const c_char, offset: usize| ffi::PyMemberDef {
        name,
        type_code: ffi::Py_T_PYSSIZET,
        offset: offset as ffi::Py_ssize_t,
        flags: ffi::Py_READONLY,
        doc: std::ptr::null(),
    };
    let end = || member(std::ptr::null(), 0);
    let members: &'static mut [ffi::PyMemberDef] = Box::leak(Box::new([
        member(
            cstr!("__weaklistoffset__"),
            std::mem::offset_of!(CDataObject, weaklist),
        ),
        end(),
    ]));
    let func_members: &'static mut [ffi::PyMemberDef] = Box::leak(Box::new([
        member(
            cstr!("__vectorcalloffset__"),
            std::mem::offset_of!(FuncObject, vectorcall),
        ),
        end(),
    ]));
    let slot = |slot: c_int, pfunc: *mut c_void| ffi::PyType_Slot { slot, pfunc };
    let base_slots: &'static mut [ffi::PyType_Slot] = Box::leak(Box::new([
        slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
        slot(ffi::Py_tp_repr, repr as *mut c_void),
        slot(ffi::Py_tp_hash, hash as *mut c_void),
        slot(ffi::Py_tp_richcompare, richcompare as *mut c_void),
        slot(ffi::Py_tp_getattro, getattro as *mut c_void),
        slot(ffi::Py_tp_setattro, setattro as *mut c_void),
        slot(ffi::Py_tp_iter, iter as *mut c_void),
        slot(ffi::Py_tp_call, call as *mut c_void),
        slot(ffi::Py_tp_methods, methods.as_mut_ptr().cast()),
        slot(ffi::Py_tp_members, members.as_mut_ptr().cast()),
        slot(ffi::Py_nb_bool, nb_bool as *mut c_void),
        slot(ffi::Py_nb_int, nb_int as *mut c_void),
        slot(ffi::Py_nb_float, nb_float as *mut c_void),
        slot(ffi::Py_nb_add, nb_add as *mut c_void),
        slot(ffi::Py_nb_subtract, nb_subtract as *mut c_void),
        slot(ffi::Py_mp_length, length as *mut c_void),
        slot(ffi::Py_mp_subscript, subscript as *mut c_void),
        slot(ffi::Py_mp_ass_subscript, ass_subscript as *mut c_void),
        slot(0, std::ptr::null_mut()),
    ]));
    // The subtypes inherit every other slot from the base.
    let func_slots: &'static mut [ffi::PyType_Slot] = Box::leak(Box::new([
        slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
        slot(ffi::Py_tp_call, ffi::PyVectorcall_Call as *mut c_void),
        slot(ffi::Py_tp_members, func_members.as_mut_ptr().cast()),
        slot(0, std::ptr::null_mut()),
    ]));
    let gc_slots: &'static mut [ffi::PyType_Slot] = Box::leak(Box::new([
        slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
        slot(ffi::Py_tp_traverse, traverse as *mut c_void),
        slot(ffi::Py_tp_clear, clear as *mut c_void),
        slot(ffi::Py_tp_finalize, finalize as *mut c_void),
        slot(0, std::ptr::null_mut()),
    ]));
    let common = ffi::Py_TPFLAGS_DEFAULT
        | ffi::Py_TPFLAGS_IMMUTABLETYPE
        | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION;
    let spec = |basicsize: usize, flags: u64, slots: &'static mut [ffi::PyType_Slot]| {
        let spec: &'static mut ffi::PyType_Spec = Box::leak(Box::new(ffi::PyType_Spec {
            // One name for the three: `type(p).__name__` is "CData" for any cdata.
            name: cstr!("rffi.CData"),
            basicsize: basicsize as c_int,
            itemsize: 0,
            flags: (common | flags) as _,
            slots: slots.as_mut_ptr(),
        }));
        spec as *mut ffi::PyType_Spec
    };
    let base_spec = spec(
        std::mem::size_of::<CDataObject>(),
        ffi::Py_TPFLAGS_BASETYPE,
        base_slots,
    );
    let func_spec = spec(
        std::mem::size_of::<FuncObject>(),
        ffi::Py_TPFLAGS_HAVE_VECTORCALL,
        func_slots,
    );
    let gc_spec = spec(
        std::mem::size_of::<CDataObject>(),
        ffi::Py_TPFLAGS_HAVE_GC,
        gc_slots,
    );
    // SAFETY: the specs and their tables are static and well formed (each
    // table ends with a zeroed entry); each call returns a new reference to
    // a type object, or NULL with an exception set. The subtypes are made
    // while the base allows subclassing; then it no longer does, so that
    // Python code cannot make a type of its own with this layout (the
    // cdata checks of `cdata::object` rely on it). The base is rffi's own
    // heap type, not shared by anything yet.
    let (base, func, gc) = unsafe {
        let base = Bound::from_owned_ptr_or_err(py, ffi::PyType_FromSpec(base_spec))?;
        let func = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyType_FromSpecWithBases(func_spec, base.as_ptr()),
        )?;
        let gc = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyType_FromSpecWithBases(gc_spec, base.as_ptr()),
        )?;
        let tp = base.as_ptr() as *mut ffi::PyTypeObject;
        (*tp).tp_flags &= !ffi::Py_TPFLAGS_BASETYPE;
        ffi::PyType_Modified(tp);
        (base, func, gc)
    };
    // The statics keep the references the calls returned: the types live
    // as long as the process.
    set_types(
        Types {
            base: base.clone().into_ptr().cast(),
            func: func.into_ptr().cast(),
            gc: gc.into_ptr().cast(),
        },
        crate::calls::entry::cdata_vectorcall,
    );
    module.add("CData", base)
}
