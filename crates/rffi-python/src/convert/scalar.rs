//! The one scalar conversion of the hot paths: a common scalar (integers
//! up to 64 bits, `float`, `double`, `_Bool`, `char`) read into a Python
//! object with CPython's constructors ([`load`]), and an exact `int` or
//! `float` read from a Python object ([`exact_int`], [`exact_u64`],
//! [`exact_float`]) and stored when it fits ([`store`]), with no conversion
//! machinery. Member and item reads and writes (`glue::fast_slots`), the
//! arguments of a call (`calls::fast_args`) and a callback's arguments and
//! result (`calls::callback`) all use it; what it declines (a subclass, a
//! value out of range, anything needing a message) goes to the general
//! rules of `convert::value`, which give cffi's results and errors.

use std::ffi::c_int;

use pyo3::ffi;
use pyo3::prelude::*;

use crate::cdata::value::CData;
use crate::model::read_facts::{FastField, ItemRead, Kind};

/// The Python value of the scalar of kind `kind` at `addr`, as
/// `convert::scalar_to_py` makes it; NULL with an exception set when
/// CPython cannot allocate it.
///
/// # Safety
/// The GIL is held, `kind` is not `Kind::Other`, and the bytes of the
/// scalar at `addr` are readable (any alignment).
#[inline]
pub unsafe fn load(kind: Kind, addr: usize) -> *mut ffi::PyObject {
    let p = addr as *const u8;
    // SAFETY: the caller guarantees the scalar's bytes are readable and the
    // GIL held; `read_unaligned` needs no alignment. The constructors return
    // a new reference or NULL with an exception set.
    unsafe {
        match kind {
            Kind::I8 => ffi::PyLong_FromLong(p.cast::<i8>().read_unaligned().into()),
            Kind::U8 => ffi::PyLong_FromLong(p.read_unaligned().into()),
            Kind::I16 => ffi::PyLong_FromLong(p.cast::<i16>().read_unaligned().into()),
            Kind::U16 => ffi::PyLong_FromLong(p.cast::<u16>().read_unaligned().into()),
            Kind::I32 => ffi::PyLong_FromLong(p.cast::<i32>().read_unaligned().into()),
            Kind::U32 => ffi::PyLong_FromLongLong(p.cast::<u32>().read_unaligned().into()),
            Kind::I64 => ffi::PyLong_FromLongLong(p.cast::<i64>().read_unaligned()),
            Kind::U64 => ffi::PyLong_FromUnsignedLongLong(p.cast::<u64>().read_unaligned()),
            Kind::F32 => ffi::PyFloat_FromDouble(p.cast::<f32>().read_unaligned().into()),
            Kind::F64 => ffi::PyFloat_FromDouble(p.cast::<f64>().read_unaligned()),
            Kind::Bool => ffi::PyBool_FromLong((p.read_unaligned() != 0).into()),
            Kind::Char => ffi::PyBytes_FromStringAndSize(p.cast(), 1),
            Kind::Other => std::ptr::null_mut(),
        }
    }
}

/// Turns a read's outcome into what a slot returns: a new reference, or
/// NULL with the exception set.
fn into_slot(py: Python<'_>, r: PyResult<Py<PyAny>>) -> *mut ffi::PyObject {
    match r {
        Ok(v) => v.into_ptr(),
        Err(e) => {
            e.restore(py);
            std::ptr::null_mut()
        }
    }
}

impl FastField {
    /// The member's value in the record at `base` of `this` (which the
    /// caller checked: live, not in the NULL page). A new reference, or
    /// NULL with an exception set.
    ///
    /// # Safety
    /// The GIL is held and the record's bytes at `base` are readable.
    #[inline]
    pub unsafe fn read(&self, py: Python<'_>, this: &CData, base: usize) -> *mut ffi::PyObject {
        if self.kind == Kind::Other {
            // SAFETY: the member's bytes in the record at `base` are
            // readable, per the caller; `this.owner` keeps them.
            let r = unsafe {
                crate::convert::value::read_field(
                    py,
                    &this.reg,
                    base,
                    &self.field,
                    self.shape,
                    &this.owner,
                    this.origin == crate::cdata::value::Origin::Owning,
                )
            };
            return into_slot(py, r);
        }
        // SAFETY: not a bitfield (those are `Other`): the member's bytes lie
        // in the record at `base`, readable per the caller.
        unsafe { load(self.kind, base.wrapping_add(self.field.offset)) }
    }
}

impl ItemRead {
    /// The item at `addr` of `this` (which the caller checked: live, not in
    /// the NULL page). A new reference, or NULL with an exception set.
    ///
    /// # Safety
    /// The GIL is held and the item's bytes at `addr` are readable.
    #[inline]
    pub unsafe fn read(&self, py: Python<'_>, this: &CData, addr: usize) -> *mut ffi::PyObject {
        if self.kind == Kind::Other {
            // SAFETY: the item's bytes at `addr` are readable, per the
            // caller; `this.owner` keeps them.
            let r = unsafe {
                crate::convert::value::read_shaped(
                    py,
                    &this.reg,
                    self.ty,
                    self.shape,
                    addr,
                    &this.owner,
                )
            };
            return into_slot(py, r);
        }
        // SAFETY: as the caller guarantees.
        unsafe { load(self.kind, addr) }
    }
}

/// Stores `obj` as the scalar of kind `kind` at `addr` when `obj` is an
/// exact `int` or `float` that the kind takes as it is (an `int` within the
/// integer's range, a `float` for a floating kind): `Some(())` once stored,
/// `None` (nothing written, no exception) for every other case, which the
/// general conversion then handles with its errors.
///
/// # Safety
/// The GIL is held, `obj` is live, and the scalar's bytes at `addr` are
/// writable (any alignment).
#[inline]
pub unsafe fn store(kind: Kind, addr: usize, obj: *mut ffi::PyObject) -> Option<()> {
    let p = addr as *mut u8;
    // SAFETY: (all arms) `obj` is live and the GIL held, per the caller, as
    // the readers need; the scalar's bytes are writable (any alignment),
    // and each value is stored only when it fits the kind.
    unsafe {
        match kind {
            Kind::F64 => p.cast::<f64>().write_unaligned(exact_float(obj)?),
            Kind::F32 => p.cast::<f32>().write_unaligned(exact_float(obj)? as f32),
            Kind::I8 => p
                .cast::<i8>()
                .write_unaligned(i8::try_from(exact_int(obj)?).ok()?),
            Kind::U8 => p.write_unaligned(u8::try_from(exact_int(obj)?).ok()?),
            Kind::I16 => p
                .cast::<i16>()
                .write_unaligned(i16::try_from(exact_int(obj)?).ok()?),
            Kind::U16 => p
                .cast::<u16>()
                .write_unaligned(u16::try_from(exact_int(obj)?).ok()?),
            Kind::I32 => p
                .cast::<i32>()
                .write_unaligned(i32::try_from(exact_int(obj)?).ok()?),
            Kind::U32 => p
                .cast::<u32>()
                .write_unaligned(u32::try_from(exact_int(obj)?).ok()?),
            Kind::I64 => p.cast::<i64>().write_unaligned(exact_int(obj)?),
            Kind::U64 => p.cast::<u64>().write_unaligned(exact_u64(obj)?),
            Kind::Bool | Kind::Char | Kind::Other => return None,
        }
    }
    Some(())
}

impl FastField {
    /// Stores `obj` in the member of the record at `base` when it is a
    /// common scalar taking `obj` as it is (see [`store`]); `None` leaves it
    /// to the general path.
    ///
    /// # Safety
    /// The GIL is held, `obj` is live and the record's bytes at `base` are
    /// writable.
    #[inline]
    pub unsafe fn store(&self, base: usize, obj: *mut ffi::PyObject) -> Option<()> {
        if self.kind == Kind::Other {
            return None;
        }
        // SAFETY: not a bitfield: the member's bytes lie in the record.
        unsafe { store(self.kind, base.wrapping_add(self.field.offset), obj) }
    }
}

impl ItemRead {
    /// Stores `obj` in the item at `addr` when it is a common scalar taking
    /// `obj` as it is; `None` leaves it to the general path.
    ///
    /// # Safety
    /// The GIL is held, `obj` is live and the item's bytes are writable.
    #[inline]
    pub unsafe fn store(&self, addr: usize, obj: *mut ffi::PyObject) -> Option<()> {
        // SAFETY: as the caller guarantees.
        unsafe { store(self.kind, addr, obj) }
    }
}

/// The value of an exact `float` (not a subclass, not an `int`); `None`
/// for anything else.
///
/// # Safety
/// GIL held, `obj` live.
#[inline]
pub unsafe fn exact_float(obj: *mut ffi::PyObject) -> Option<f64> {
    // SAFETY: the caller's contract.
    unsafe {
        if ffi::Py_TYPE(obj) == std::ptr::addr_of_mut!(ffi::PyFloat_Type) {
            Some(ffi::PyFloat_AS_DOUBLE(obj))
        } else {
            None
        }
    }
}

/// The value of an exact `int` that fits 64 signed bits; `None` for
/// anything else (no exception is left set).
///
/// # Safety
/// GIL held, `obj` live.
#[inline]
pub unsafe fn exact_int(obj: *mut ffi::PyObject) -> Option<i64> {
    // SAFETY: the caller's contract; `PyLong_AsLongLongAndOverflow` on an
    // exact int sets no exception when it reports overflow.
    unsafe {
        if ffi::Py_TYPE(obj) != std::ptr::addr_of_mut!(ffi::PyLong_Type) {
            return None;
        }
        let mut overflow: c_int = 0;
        let v = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
        (overflow == 0).then_some(v)
    }
}

/// The value of an exact `int` from 0 to `u64::MAX`; `None` for
/// anything else (no exception is left set).
///
/// # Safety
/// GIL held, `obj` live.
#[inline]
pub unsafe fn exact_u64(obj: *mut ffi::PyObject) -> Option<u64> {
    // SAFETY: the caller's contract. A negative or too large int makes
    // `PyLong_AsUnsignedLongLong` set an exception, which is cleared: the
    // general path then raises cffi's own.
    unsafe {
        if ffi::Py_TYPE(obj) != std::ptr::addr_of_mut!(ffi::PyLong_Type) {
            return None;
        }
        if let Some(v) = exact_int(obj) {
            return u64::try_from(v).ok();
        }
        let v = ffi::PyLong_AsUnsignedLongLong(obj);
        if v == u64::MAX && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        Some(v)
    }
}
