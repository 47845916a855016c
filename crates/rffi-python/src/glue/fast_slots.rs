//! The fast paths of the CData slots (`glue::cdata_type`): a struct member
//! (`s.weight`, `s.weight = 1.5`) and an array or pointer item (`a[50]`,
//! `a[50] = 7`) of a common scalar, read or written without the general
//! path's conversions.
//!
//! Each handles the common case directly (a member found by its interned
//! name, an exact `int` index within bounds, an exact `int` or `float`
//! value, with the facts of the type from `model::read_facts`) and answers `None` for
//! everything else, which the general path of `glue::cdata_ops` then does with its
//! errors. The checks of that path are kept: released memory and the NULL
//! page are refused by `CData::refuse_null` with its error, and memory
//! bounds by the owner.

use std::ffi::c_int;

use pyo3::ffi;
use pyo3::prelude::*;

use crate::cdata::value::{CData, Origin};
use crate::model::read_facts::{FastField, ItemRead};
use crate::model::registry::Node;
use crate::model::registry::{Registry, Shape};

/// Where a checked place is: the cdata, the fast facts of what is there,
/// and its address (live, outside the NULL page, within known bounds).
type Place<'a, F> = (&'a CData, &'a F, usize);

/// What a lookup decided: `None` for the general path, `Some(Err)` for an
/// error the general path would raise the same way.
type Found<'a, F> = Option<PyResult<Place<'a, F>>>;

/// The member `name` of the cdata `obj`, when the fast path applies.
///
/// # Safety
/// `obj` and `name` are live objects borrowed for the lifetime `'a`; the
/// GIL is held.
#[inline(always)]
unsafe fn member<'a>(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> Found<'a, FastField> {
    if !crate::base::switches::fast_paths() {
        return None;
    }
    // SAFETY: both live, per the caller.
    let this = unsafe { crate::cdata::object::cdata_ref(obj) }?;
    let node: &Node = this;
    // As `CData::record_for_fields`: the struct itself, or the one pointed to.
    let (rec, through_pointer) = match node.shape {
        Shape::Record { .. } => (node.ty, false),
        Shape::Pointer { item } => (item, true),
        _ => return None,
    };
    // Only the interned names the table holds match: anything else (a str
    // subclass, a name built at run time, a missing member) goes the general way.
    let reg: &Registry = &node.reg;
    let table = reg.reads.fields_in(py, reg, rec, &node.reads)?;
    let field = table.find(name)?;
    let base = this.addr;
    // A pointer moved beyond its memory: the general path raises.
    if through_pointer && !this.owner.covers(base, table.size) {
        return None;
    }
    Some(this.refuse_null(base).map(|()| (this, field, base)))
}

/// The item `key` of the cdata `obj`, when the fast path applies; `read`
/// when it is for a read (which makes an owning struct for `p[0]` of a
/// `new`ed struct pointer, left to the general path).
///
/// # Safety
/// `obj` and `key` are live objects borrowed for the lifetime `'a`; the GIL
/// is held.
#[inline(always)]
unsafe fn item<'a>(
    obj: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
    read: bool,
) -> Found<'a, ItemRead> {
    if !crate::base::switches::fast_paths() {
        return None;
    }
    // SAFETY: `key` is live, per the caller. Only exact ints: bools, other
    // int subclasses and `__index__` objects go the general way.
    if unsafe { ffi::PyLong_CheckExact(key) } == 0 {
        return None;
    }
    // SAFETY: both live, per the caller.
    let this = unsafe { crate::cdata::object::cdata_ref(obj) }?;
    let node: &Node = this;
    // As `CData::items`: a pointer has no length; an array its own or the
    // one it was made with.
    let (item, len) = match node.shape {
        Shape::Array { item, len } => (item, len.or_else(|| this.array_len())),
        Shape::Pointer { item } => (item, None),
        _ => return None,
    };
    let reg: &Registry = &node.reg;
    let facts = reg.reads.item_in(reg, item, &node.reads)?;
    // SAFETY: `key` is an int; on overflow the error is cleared and the
    // general path raises its own.
    let i = unsafe { ffi::PyLong_AsSsize_t(key) };
    if i == -1 {
        // SAFETY: the GIL is held; an error set here was set by the conversion.
        let failed = unsafe { !ffi::PyErr_Occurred().is_null() };
        if failed {
            // SAFETY: as above.
            unsafe { ffi::PyErr_Clear() };
            return None;
        }
    }
    if let Some(n) = len {
        if i < 0 || i as usize >= n {
            return None;
        }
    } else if i != 0 && node.releasable && this.indexed_by_zero_only() {
        // A pointer from `ffi.new`: the general path raises cffi's error.
        return None;
    }
    // cffi shows the struct a `new`ed pointer points to as owning: the
    // general path makes that cdata.
    if read
        && i == 0
        && matches!(facts.shape, Shape::Record { .. })
        && matches!(node.origin, Origin::Owning)
        && matches!(node.shape, Shape::Pointer { .. })
    {
        return None;
    }
    let addr = this
        .addr
        .wrapping_add_signed(i.wrapping_mul(facts.size as isize));
    if let Err(e) = this.refuse_null(addr) {
        return Some(Err(e));
    }
    // A pointer moved beyond its memory (or an array cast longer than it):
    // the general path raises.
    if !this.owner.covers(addr, facts.size) {
        return None;
    }
    Some(Ok((this, facts, addr)))
}

/// Raises `e` in the form a slot returns.
fn raise<R>(py: Python<'_>, e: PyErr, error: R) -> Option<R> {
    e.restore(py);
    Some(error)
}

/// `s.name` of the cdata `obj`, or `None` to let the general path decide.
///
/// # Safety
/// `obj` and `name` are live objects borrowed for the call; the GIL is held.
#[inline(always)]
pub unsafe fn member_read(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> Option<*mut ffi::PyObject> {
    // SAFETY: the GIL is held, per the caller.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: per the caller.
    match unsafe { member(py, obj, name) }? {
        // SAFETY: the record at `base` is live and outside the NULL page
        // (checked), the same precondition as the general path's read.
        Ok((this, field, base)) => Some(unsafe { field.read(py, this, base) }),
        Err(e) => raise(py, e, std::ptr::null_mut()),
    }
}

/// `s.name = value` of the cdata `obj`: 0 once written, or `None` to let
/// the general path decide.
///
/// # Safety
/// `obj`, `name` and `value` are live objects borrowed for the call; the
/// GIL is held.
#[inline(always)]
pub unsafe fn member_write(
    obj: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> Option<c_int> {
    // SAFETY: the GIL is held, per the caller.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: per the caller.
    match unsafe { member(py, obj, name) }? {
        // SAFETY: as in `member_read`; storing an exact int or float runs no
        // Python code, so the memory cannot be released meanwhile.
        Ok((_, field, base)) => unsafe { field.store(base, value) }.map(|()| 0),
        Err(e) => raise(py, e, -1),
    }
}

/// `p[key]` of the cdata `obj`, or `None` to let the general path decide.
///
/// # Safety
/// `obj` and `key` are live objects borrowed for the call; the GIL is held.
#[inline(always)]
pub unsafe fn item_read(
    obj: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
) -> Option<*mut ffi::PyObject> {
    // SAFETY: the GIL is held, per the caller.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: per the caller.
    match unsafe { item(obj, key, true) }? {
        // SAFETY: the item is live, outside the NULL page and within known
        // bounds (checked): the general path's checks.
        Ok((this, facts, addr)) => Some(unsafe { facts.read(py, this, addr) }),
        Err(e) => raise(py, e, std::ptr::null_mut()),
    }
}

/// `p[key] = value` of the cdata `obj`: 0 once written, or `None` to let
/// the general path decide.
///
/// # Safety
/// `obj`, `key` and `value` are live objects borrowed for the call; the GIL
/// is held.
#[inline(always)]
pub unsafe fn item_write(
    obj: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> Option<c_int> {
    // SAFETY: the GIL is held, per the caller.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: per the caller.
    match unsafe { item(obj, key, false) }? {
        // SAFETY: as in `item_read`; storing an exact int or float runs no
        // Python code, so the memory cannot be released meanwhile.
        Ok((_, facts, addr)) => unsafe { facts.store(addr, value) }.map(|()| 0),
        Err(e) => raise(py, e, -1),
    }
}
