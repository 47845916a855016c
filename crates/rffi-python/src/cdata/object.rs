//! A cdata as a Python object: the `#[repr(C)]` object struct of the CData
//! type, made and read here; the type itself (its spec and slots) is made
//! in `glue::cdata_type`.

use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::PyTypeInfo;

use crate::cdata::value::{CData, Extras};
use crate::memory::owner::Owner;
use crate::model::registry::NodeRef;

/// A CData object as CPython sees it: 48 bytes (pymalloc's 48-byte class),
/// and up to 16 bytes of a small `ffi.new` after it (`new_inline`).
#[repr(C)]
pub struct CDataObject {
    pub(crate) ob_base: ffi::PyObject,
    /// The weak-reference list (`__weaklistoffset__`).
    pub(crate) weaklist: *mut ffi::PyObject,
    pub(crate) value: CData,
}

/// A CData object of a function pointer: the vectorcall entry follows
/// (`__vectorcalloffset__`), which calls without an argument tuple.
#[repr(C)]
pub struct FuncObject {
    pub(crate) cdata: CDataObject,
    pub(crate) vectorcall: Option<ffi::vectorcallfunc>,
}

const _: () = assert!(std::mem::size_of::<CDataObject>() == 48);

// Where an owner of the `Object` kind finds the node, the owner word and
// the bytes of the object that holds its bytes (`memory::owner`).
const _: () = {
    use crate::memory::owner::object_layout as at;
    let value = std::mem::offset_of!(CDataObject, value);
    assert!(value + std::mem::offset_of!(CData, head) == at::NODE);
    assert!(value + std::mem::offset_of!(CData, owner) == at::OWNER);
    assert!(std::mem::size_of::<CDataObject>() == at::BYTES);
};

/// The three types of cdata objects, made once at import by
/// `glue::cdata_type::create`: the base (`ffi.CData`), which most cdata
/// are, and two subtypes of it that Python code cannot extend further.
pub struct Types {
    /// Holds no Python object: not tracked by the garbage collector, so a
    /// cdata costs no GC header (a pointer, a value, memory of `ffi.new`).
    pub base: *mut ffi::PyTypeObject,
    /// A function pointer that holds no Python object: a `FuncObject`,
    /// with the vectorcall entry.
    pub func: *mut ffi::PyTypeObject,
    /// A cdata whose owner holds Python objects (`ffi.gc`, `ffi.callback`,
    /// `ffi.new_handle`, `ffi.from_buffer`, an allocator's memory): tracked
    /// by the garbage collector, with traverse, clear and finalize slots.
    pub gc: *mut ffi::PyTypeObject,
}

static BASE: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(std::ptr::null_mut());
static FUNC: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(std::ptr::null_mut());
static GC: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(std::ptr::null_mut());

/// The vectorcall entry of function cdata (`calls::entry`), set with the
/// types (NULL before): a plain load when a cdata is made.
static ENTRY: AtomicPtr<std::ffi::c_void> = AtomicPtr::new(std::ptr::null_mut());

/// Records the CData types and the vectorcall entry of function cdata; the
/// types' maker calls it once, before any cdata is made.
pub fn set_types(types: Types, entry: ffi::vectorcallfunc) {
    ENTRY.store(entry as *mut std::ffi::c_void, Ordering::Release);
    FUNC.store(types.func, Ordering::Release);
    GC.store(types.gc, Ordering::Release);
    BASE.store(types.base, Ordering::Release);
}

/// The CData base type object (NULL before the module's import made it; no
/// cdata exists before then).
#[inline]
pub fn type_ptr() -> *mut ffi::PyTypeObject {
    BASE.load(Ordering::Relaxed)
}

/// Whether `tp` is one of the three cdata types.
///
/// # Safety
/// `tp` is a live type object.
#[inline(always)]
pub unsafe fn is_cdata_type(tp: *mut ffi::PyTypeObject) -> bool {
    let base = type_ptr();
    // SAFETY: `tp` is live, per the contract. Only rffi's two subtypes have
    // the base as their base: Python code cannot subclass it
    // (`glue::cdata_type` takes `Py_TPFLAGS_BASETYPE` back once they exist).
    tp == base || unsafe { (*tp).tp_base } == base
}

// SAFETY: the type object is made once at import, before any CData value
// can become a Python object, and lives as long as the process (the static
// holds a reference); its instances are `CDataObject`s.
unsafe impl PyTypeInfo for CData {
    #[inline]
    fn type_object_raw(_py: Python<'_>) -> *mut ffi::PyTypeObject {
        type_ptr()
    }
}

/// The Rust value of a CData object: what pyo3's `get` gives for its own
/// frozen classes.
pub trait CDataGet {
    fn cdata(&self) -> &CData;
}

/// The value inside a CData object.
///
/// # Safety
/// `obj` is a live CData object; the reference must not outlive it.
#[inline(always)]
pub unsafe fn value_of<'a>(obj: *mut ffi::PyObject) -> &'a CData {
    // SAFETY: per the contract, `obj` is a `CDataObject`.
    unsafe { &(*(obj as *const CDataObject)).value }
}

impl CDataGet for Bound<'_, CData> {
    #[inline(always)]
    fn cdata(&self) -> &CData {
        // SAFETY: a `Bound<CData>` is a live CData object (checked when it
        // was cast), kept alive by the borrow of `self`.
        unsafe { value_of(self.as_ptr()) }
    }
}

impl CDataGet for Borrowed<'_, '_, CData> {
    #[inline(always)]
    fn cdata(&self) -> &CData {
        // SAFETY: as for `Bound`.
        unsafe { value_of(self.as_ptr()) }
    }
}

impl CDataGet for Py<CData> {
    #[inline(always)]
    fn cdata(&self) -> &CData {
        // SAFETY: a `Py<CData>` holds a reference to a live CData object.
        unsafe { value_of(self.as_ptr()) }
    }
}

/// Where the Rust value and the weak-reference list sit in a CData object,
/// for callbacks that reuse their pointer arguments (`None` when the fast
/// paths are off: no reuse).
pub fn value_and_weaklist() -> Option<(usize, usize)> {
    crate::base::switches::fast_paths().then_some((
        std::mem::offset_of!(CDataObject, value),
        std::mem::offset_of!(CDataObject, weaklist),
    ))
}

/// The `CData` behind `obj` when it is one.
///
/// # Safety
/// GIL held, `obj` live; the reference must not outlive `obj`.
#[inline(always)]
pub unsafe fn cdata_ref<'a>(obj: *mut ffi::PyObject) -> Option<&'a CData> {
    // SAFETY: the caller's contract; the cdata types cannot be subclassed
    // by Python code, so this check is the whole check and makes the cast
    // sound.
    unsafe { is_cdata_type(ffi::Py_TYPE(obj)).then(|| value_of(obj)) }
}

impl<'py> IntoPyObject<'py> for CData {
    type Target = CData;
    type Output = Bound<'py, CData>;
    type Error = PyErr;

    #[inline]
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, CData>> {
        new(py, self)
    }
}

/// A new Python object holding `value`, of the cdata type its owner and
/// type call for.
#[inline]
pub fn new(py: Python<'_>, value: CData) -> PyResult<Bound<'_, CData>> {
    let (tp, func) =
        if value.owner.holds_python() || value.extras().is_some_and(Extras::holds_python) {
            (GC.load(Ordering::Relaxed), false)
        } else if value.callable {
            (FUNC.load(Ordering::Relaxed), true)
        } else {
            (type_ptr(), false)
        };
    if tp.is_null() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "the rffi extension is not initialized",
        ));
    }
    // SAFETY: `tp` is one of the cdata types, whose `tp_alloc` (CPython's
    // generic one) returns a zeroed object of `tp_basicsize` bytes (a
    // `FuncObject` for `FUNC`), GC-tracked for `GC`, or NULL with an
    // exception set. The value is moved in before anything can see the
    // object: nothing runs between the allocation and the write (the
    // collector's traversal could otherwise meet a zeroed value).
    unsafe {
        let obj = ffi::PyType_GenericAlloc(tp, 0);
        if obj.is_null() {
            return Err(PyErr::fetch(py));
        }
        let o = obj as *mut CDataObject;
        if func {
            let entry = ENTRY.load(Ordering::Relaxed);
            // A non-NULL entry is the `vectorcallfunc` `set_types` stored.
            let entry = (!entry.is_null())
                .then(|| std::mem::transmute::<*mut std::ffi::c_void, ffi::vectorcallfunc>(entry));
            std::ptr::addr_of_mut!((*(obj as *mut FuncObject)).vectorcall).write(entry);
        }
        std::ptr::addr_of_mut!((*o).value).write(value);
        Ok(Bound::from_owned_ptr(py, obj).cast_into_unchecked())
    }
}

/// A new cdata of `node` (an `ffi.new` node whose `inline` is not 0) that
/// holds its `node.inline` bytes, zeroed, after its own fields: one
/// allocation, with no `Memory`. Its owner is the object itself; cdata
/// derived from it hold a reference to it.
pub fn new_inline(py: Python<'_>, node: NodeRef) -> PyResult<Bound<'_, CData>> {
    let tp = type_ptr();
    let size = usize::from(node.inline);
    if tp.is_null() || size == 0 || node.callable {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "rffi: no cdata can hold these bytes inside it",
        ));
    }
    let total = std::mem::size_of::<CDataObject>() + size;
    // SAFETY: `tp` is the base cdata type, which is not a GC type: an
    // object of it may be longer than `tp_basicsize`, allocated here and
    // initialized with `PyObject_Init` (which sets its type, taking a
    // reference, and its count), as CPython's own allocator would. The
    // block comes from the C allocator (`PyMem_RawMalloc`), not pymalloc:
    // 52 bytes for `int *` are one 64-byte malloc chunk, as cffi's are,
    // without pymalloc's pool headers, so a million cost what cffi's do.
    // The deallocator frees it the same way (its owner says it holds its
    // bytes). malloc aligns the block to 16 (`max_align_t` on the 64-bit
    // systems rffi supports), so the bytes at offset 48 are aligned to 16,
    // enough for `inline` (see `Node::inline`). Every field is written
    // before anything can see the object.
    unsafe {
        let obj = ffi::PyMem_RawMalloc(total) as *mut ffi::PyObject;
        if obj.is_null() {
            return Err(pyo3::exceptions::PyMemoryError::new_err(format!(
                "cannot allocate {total} bytes"
            )));
        }
        ffi::PyObject_Init(obj, tp);
        let o = obj as *mut CDataObject;
        let bytes = (obj as *mut u8).add(std::mem::size_of::<CDataObject>());
        std::ptr::write_bytes(bytes, 0, size);
        std::ptr::addr_of_mut!((*o).weaklist).write(std::ptr::null_mut());
        let value = CData::made(node, bytes as usize, Owner::own_bytes(obj));
        std::ptr::addr_of_mut!((*o).value).write(value);
        Ok(Bound::from_owned_ptr(py, obj).cast_into_unchecked())
    }
}

/// [`new`], with the value made by `make` (kept for the call sites that
/// assemble it in place; the value is made before the object).
#[inline(always)]
pub fn new_with(py: Python<'_>, make: impl FnOnce() -> CData) -> PyResult<Bound<'_, CData>> {
    new(py, make())
}
