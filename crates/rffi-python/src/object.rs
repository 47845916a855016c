//! CData objects made and freed without pyo3's per-object machinery.
//!
//! pyo3 makes an object through `object.__new__` (with an empty argument
//! tuple) and frees it inside a trampoline that keeps thread-local books;
//! for a small cdata that is as much work as the rest of `ffi.cast`. A CData
//! object is the Python header, the Rust value and a weak-reference list,
//! the rest of which pyo3 zero-fills as `tp_alloc` does. At import,
//! [`install`] measures where the value sits, checks that an object made
//! here is byte for byte what pyo3 makes, and only then lets [`new`] allocate
//! with `tp_alloc` and move the value in, and replaces the type's
//! `tp_dealloc` with [`dealloc`], which frees cdata that hold no Python
//! object itself and hands the others to pyo3's.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::PyTypeInfo;

use crate::cdata::CData;
use crate::owner::Owner;
use crate::registry::Registry;

/// The CData type and the layout of its objects, once checked.
struct Layout {
    tp: *mut ffi::PyTypeObject,
    /// Where the value sits in an object.
    value: usize,
    /// Where the weak-reference list sits in an object.
    weaklist: usize,
    /// pyo3's `tp_dealloc`, for cdata that hold Python objects.
    pyo3_dealloc: ffi::destructor,
}

// SAFETY: the type object lives as long as the module, and is only used
// with the GIL held.
unsafe impl Send for Layout {}
// SAFETY: as above.
unsafe impl Sync for Layout {}

static LAYOUT: OnceLock<Layout> = OnceLock::new();

/// Checks the layout of CData objects and, if it is as expected, switches
/// [`new`] and the type's `tp_dealloc` to the direct paths. Run once, at import.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let tp = CData::type_object_raw(py);
    // SAFETY: at import, with the GIL: `tp` is the live CData type.
    unsafe { crate::cycles::install(tp) };
    let Some(layout) = measure(py, tp)? else {
        return Ok(()); // pyo3's layout is not the expected one: keep pyo3's paths
    };
    if LAYOUT.set(layout).is_ok() {
        // SAFETY: at import: `tp` is the live CData type, and `dealloc`
        // frees its instances as pyo3's `tp_dealloc` (which it calls for
        // some) does.
        unsafe {
            (*tp).tp_dealloc = Some(dealloc);
            ffi::PyType_Modified(tp);
        }
    }
    Ok(())
}

/// The layout of CData objects, if an object made by [`alloc`] matches one
/// pyo3 makes outside the object header and the value.
fn measure(py: Python<'_>, tp: *mut ffi::PyTypeObject) -> PyResult<Option<Layout>> {
    let reg = Registry::new();
    let void_ptr = reg.parse("void *")?;
    let probe = || CData::plain(&reg, void_ptr, 0, Owner::None);
    let theirs = Py::new(py, probe())?;
    let value = (theirs.get() as *const CData as usize).wrapping_sub(theirs.as_ptr() as usize);
    // SAFETY: `tp` is the live CData type.
    let (basic, weaklist, pyo3_dealloc) = unsafe {
        (
            (*tp).tp_basicsize as usize,
            (*tp).tp_weaklistoffset as usize,
            (*tp).tp_dealloc,
        )
    };
    let header = std::mem::size_of::<ffi::PyObject>();
    let (Some(end), Some(pyo3_dealloc)) = (
        value.checked_add(std::mem::size_of::<CData>()),
        pyo3_dealloc,
    ) else {
        return Ok(None);
    };
    let fits = header <= value && end <= basic;
    let last_word = basic.saturating_sub(std::mem::size_of::<usize>());
    if !fits || !(end..=last_word).contains(&weaklist) {
        return Ok(None);
    }
    // SAFETY: the value fits in the object at `value`, as just checked.
    let ours = unsafe { alloc(py, tp, value, probe)? };
    let rest = |obj: *mut ffi::PyObject| -> Vec<u8> {
        // SAFETY: `obj` is a live object of `basic` bytes; only the bytes
        // outside the header and the value are read, as plain bytes.
        let bytes = unsafe { std::slice::from_raw_parts(obj as *const u8, basic) };
        [&bytes[header..value], &bytes[end..]].concat()
    };
    let same = rest(theirs.as_ptr()) == rest(ours.as_ptr());
    Ok(same.then_some(Layout {
        tp,
        value,
        weaklist,
        pyo3_dealloc,
    }))
}

/// Allocates an object of type `tp` and moves the value `make` gives in at
/// `offset` (made in place, once the object exists).
///
/// # Safety
/// `tp` is the CData type and a CData fits in its objects at `offset`.
#[inline(always)]
unsafe fn alloc(
    py: Python<'_>,
    tp: *mut ffi::PyTypeObject,
    offset: usize,
    make: impl FnOnce() -> CData,
) -> PyResult<Bound<'_, CData>> {
    // SAFETY: `tp` is the CData type, whose `tp_alloc` (inherited from
    // `object`) returns a zeroed, tracked object, or NULL with an exception.
    let obj = unsafe {
        let alloc = (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
        alloc(tp, 0)
    };
    if obj.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: the object has room for a CData at `offset` and nothing has
    // read it yet: the value is moved in once, as pyo3 does, and the object
    // owns it from then on.
    unsafe {
        std::ptr::write((obj as *mut u8).add(offset) as *mut CData, make());
        Ok(Bound::from_owned_ptr(py, obj).cast_into_unchecked())
    }
}

/// Where the Rust value and the weak-reference list sit in a CData object,
/// once [`install`] checked the layout (`None` if it kept pyo3's paths).
pub fn value_and_weaklist() -> Option<(usize, usize)> {
    LAYOUT.get().map(|l| (l.value, l.weaklist))
}

/// A new Python object holding `value`.
#[inline]
pub fn new(py: Python<'_>, value: CData) -> PyResult<Bound<'_, CData>> {
    new_with(py, || value)
}

/// A new Python object holding the value `make` gives, which it makes in
/// place. `make` should only assemble the value (it runs with the object
/// half made).
#[inline(always)]
pub fn new_with(py: Python<'_>, make: impl FnOnce() -> CData) -> PyResult<Bound<'_, CData>> {
    match LAYOUT.get() {
        // SAFETY: the layout was measured on, and checked against, an object
        // pyo3 made of this very type.
        Some(l) => unsafe { alloc(py, l.tp, l.value, make) },
        None => Bound::new(py, make()),
    }
}

/// Whether dropping `c` may release a Python object, which pyo3 must see
/// happen with its books kept (or it defers the release); the owners of
/// most cdata (none, memory) and the registry, while its FFI lives, hold
/// none.
fn holds_python_objects(c: &CData) -> bool {
    let owner = match &c.owner {
        Owner::None => false,
        Owner::Memory(m) => m.is_kept(),
    };
    owner || c.extras.get().is_some() || Arc::strong_count(&c.reg) == 1
}

/// The `tp_dealloc` of CData.
///
/// # Safety
/// Called by CPython, with the GIL, for a CData object nothing references.
unsafe extern "C" fn dealloc(obj: *mut ffi::PyObject) {
    let Some(l) = LAYOUT.get() else {
        return; // not reached: installed only with a layout
    };
    // SAFETY: CPython calls this with the GIL held, for an object of the
    // CData type (which has no subclasses) that nothing references any
    // more; the layout says where its value and weak-reference list are.
    unsafe {
        let value = (obj as *mut u8).add(l.value) as *mut CData;
        if holds_python_objects(&*value) {
            return (l.pyo3_dealloc)(obj);
        }
        ffi::PyObject_GC_UnTrack(obj.cast());
        if !(*((obj as *mut u8).add(l.weaklist) as *mut *mut ffi::PyObject)).is_null() {
            ffi::PyObject_ClearWeakRefs(obj);
        }
        if catch_unwind(AssertUnwindSafe(|| std::ptr::drop_in_place(value))).is_err() {
            let py = Python::assume_attached();
            pyo3::panic::PanicException::new_err("rffi panicked freeing a cdata")
                .write_unraisable(py, None);
        }
        let tp = ffi::Py_TYPE(obj);
        match (*tp).tp_free {
            Some(free) => free(obj.cast()),
            None => ffi::PyObject_GC_Del(obj.cast()),
        }
        ffi::Py_DECREF(tp.cast());
    }
}
