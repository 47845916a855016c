//! `ffi.gc`, `ffi.release` and `with`: ending the life of C memory at a
//! chosen moment instead of when Python collects the cdata.

use crate::model::registry::node_shaped;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::cdata::object::CDataGet;
use crate::cdata::value::{CData, Extras, Origin};
use crate::memory::owner::{Finalizer, Memory, Owner};

const NOT_RELEASABLE: &str = "only 'cdata' object from ffi.new(), ffi.gc(), ffi.from_buffer() or ffi.new_allocator()() can be used with the 'with' keyword or ffi.release()";

fn cdata_arg<'a, 'py>(x: &'a Bound<'py, PyAny>, what: &str) -> PyResult<&'a Bound<'py, CData>> {
    x.cast::<CData>().map_err(|_| {
        let name = x
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        PyTypeError::new_err(format!("{what} argument 1 must be rffi.CData, not {name}"))
    })
}

/// `ffi.gc(cdata, destructor)`: a new cdata for the same C value that calls
/// `destructor(cdata)` once, when it is collected or released. With
/// `destructor=None`, removes the destructor of a cdata `ffi.gc` returned.
pub fn gc(cdata: &Bound<'_, PyAny>, destructor: &Bound<'_, PyAny>) -> PyResult<Option<CData>> {
    let c = cdata_arg(cdata, "gc()")?.cdata();
    if destructor.is_none() {
        return match (c.owner.as_memory(), c.releasable) {
            (Some(m), true) if m.is_from_gc() => {
                m.detach();
                Ok(None)
            }
            _ => Err(PyTypeError::new_err(
                "Can remove destructor only on a object previously returned by ffi.gc()",
            )),
        };
    }
    let finalizer = Finalizer {
        func: Some(destructor.clone().unbind()),
        arg: Some(cdata.clone().unbind()),
        keep_arg: true,
        what: "ffi.gc",
    };
    // The new cdata reaches what the original reaches: the memory its owner
    // holds when that is known, else one item (a pointer C gave).
    let mem = match c.owner.span() {
        Some((start, size)) => Memory::foreign(start, size, true, finalizer),
        None => Memory::foreign(c.addr, c.byte_size(), false, finalizer),
    };
    let origin = match c.origin {
        Origin::Value | Origin::Handle | Origin::Callback => c.origin,
        _ => Origin::Plain,
    };
    let node = node_shaped(&c.reg, c.ty, c.shape, origin, true);
    Ok(Some(match c.extras() {
        Some(e) => CData::made_with(
            node,
            c.addr,
            Owner::memory(mem),
            Extras {
                len: e.len,
                callback: e.callback.clone(),
                ..Extras::default()
            },
        ),
        None => CData::made(node, c.addr, Owner::memory(mem)),
    }))
}

/// `ffi.release(cdata)`: frees the memory of `ffi.new` (or runs the
/// destructor of `ffi.gc`, the allocator's `free`, or lets the buffer of
/// `ffi.from_buffer` go) now. Later use of it, or of any cdata derived from
/// it, raises `ValueError`.
pub fn release(py: Python<'_>, cdata: &Bound<'_, PyAny>) -> PyResult<()> {
    let c = cdata_arg(cdata, "release()")?.cdata();
    releasable(c)?;
    c.owner.release(py)
}

/// Refuses `with` and `ffi.release` on cdata that own nothing, as cffi.
pub fn releasable(c: &CData) -> PyResult<()> {
    if c.releasable {
        Ok(())
    } else {
        Err(PyValueError::new_err(NOT_RELEASABLE))
    }
}
