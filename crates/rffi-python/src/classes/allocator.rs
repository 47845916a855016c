//! `ffi.new` and `ffi.new_allocator()`: C memory for a new cdata, from rffi's
//! own heap or from Python-supplied `alloc`/`free` functions.

use std::sync::Arc;

use pyo3::exceptions::{PyMemoryError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString, PyTuple};
use rffi_types::{Type, TypeId};

use crate::base::errors::IntoPyResult;
use crate::cdata::object::CDataGet;
use crate::cdata::value::{new_owned, CData, Origin};
use crate::convert::value as convert;
use crate::memory::owner::{Finalizer, Memory};
use crate::model::registry::{node_shaped, NodeRef};
use crate::model::registry::{Registry, Shape};

/// Where the memory of a new cdata comes from.
pub enum Alloc {
    /// rffi's heap, zeroed if `clear`.
    Default { clear: bool },
    /// `alloc(size)` returns a cdata pointer; `free(that cdata)`, if given,
    /// runs when the new cdata is released or collected.
    Python {
        alloc: Py<PyAny>,
        free: Option<Py<PyAny>>,
        clear: bool,
    },
}

impl Alloc {
    /// `size` bytes aligned to `align`, with whatever frees them.
    fn obtain(&self, py: Python<'_>, size: usize, align: usize) -> PyResult<Arc<Memory>> {
        let (alloc, free, clear) = match self {
            Alloc::Default { clear } => return Memory::heap(size, align, *clear),
            Alloc::Python { alloc, free, clear } => (alloc, free, *clear),
        };
        let got = alloc.bind(py).call1((size,))?;
        let addr = match got.cast::<CData>() {
            Ok(c)
                if matches!(
                    c.cdata().shape(),
                    Shape::Pointer { .. } | Shape::Array { .. }
                ) =>
            {
                let c = c.cdata();
                // A cdata whose memory is known to be smaller than asked
                // would be written (and used) beyond its end.
                let room = match c.shape() {
                    Shape::Array { .. } => Some(c.byte_size()),
                    _ => c.owner.room_from(c.addr),
                };
                if let Some(room) = room.filter(|&r| r < size) {
                    return Err(PyValueError::new_err(format!(
                        "alloc() returned a cdata of {room} bytes where {size} were asked for"
                    )));
                }
                c.pointer_target()?
            }
            Ok(c) => {
                return Err(PyTypeError::new_err(format!(
                    "alloc() must return a cdata pointer, not '{}'",
                    c.cdata().reg.cname(c.cdata().ty)
                )))
            }
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "alloc() must return a cdata object (got {})",
                    got.get_type().name()?
                )))
            }
        };
        if addr == 0 {
            return Err(PyMemoryError::new_err("alloc() returned NULL"));
        }
        if clear {
            // SAFETY: alloc() promised `size` bytes at `addr` for this cdata.
            unsafe { std::ptr::write_bytes(addr as *mut u8, 0, size) };
        }
        let finalizer = Finalizer {
            func: free.as_ref().map(|f| f.clone_ref(py)),
            arg: Some(got.unbind()),
            keep_arg: false,
            what: "ffi.new_allocator()",
        };
        Ok(Memory::foreign(addr, size, true, finalizer))
    }
}

/// A new cdata of pointer or array type `ty` (of shape `shape`), its memory
/// from `how`, initialized from `init` as cffi's `ffi.new`.
pub fn new<'py>(
    py: Python<'py>,
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    init: Option<&Bound<'py, PyAny>>,
    how: &Alloc,
) -> PyResult<Bound<'py, CData>> {
    if let Alloc::Default { .. } = how {
        let node = node_shaped(reg, ty, shape, Origin::Owning, true);
        if node.inline != 0 {
            if let Some(c) = new_inline(py, reg, node, init)? {
                return Ok(c);
            }
        }
    }
    let (mem, len) = allocate(py, reg, ty, shape, init, how)?;
    // cffi shows memory from a custom allocator by its address.
    let origin = match how {
        Alloc::Default { .. } => Origin::Owning,
        Alloc::Python { .. } => Origin::Plain,
    };
    crate::cdata::object::new_with(py, || new_owned(reg, ty, shape, mem, len, origin))
}

/// [`new`] of a few bytes, kept inside the cdata object (see
/// `cdata::object::new_inline`): `None` when `init` needs more bytes than
/// the type has (a struct's flexible array member).
fn new_inline<'py>(
    py: Python<'py>,
    reg: &Arc<Registry>,
    node: NodeRef,
    init: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, CData>>> {
    let init = init.filter(|i| !i.is_none());
    let (shape, ty) = (node.shape, node.ty);
    if let (Shape::Pointer { item }, Some(init)) = (shape, init) {
        if flexible_size(reg, item, init)?.is_some() {
            return Ok(None);
        }
    }
    let c = crate::cdata::object::new_inline(py, node)?;
    if let Some(init) = init {
        let (addr, size) = (c.cdata().addr, c.cdata().owned_size());
        match shape {
            // SAFETY: the object `c`, held here, has `size` bytes at
            // `addr`, one `item` (whose size `size` is).
            Shape::Pointer { item } => unsafe {
                convert::write_within(py, reg, item, addr, init, Some(addr + size))?
            },
            // SAFETY: as above: the whole array, of a known length.
            _ => unsafe { convert::write(py, reg, ty, addr, init)? },
        }
    }
    Ok(Some(c))
}

/// The memory of [`new`], initialized, and its number of items when the
/// array type has no length.
fn allocate(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    init: Option<&Bound<'_, PyAny>>,
    how: &Alloc,
) -> PyResult<(Arc<Memory>, Option<usize>)> {
    let init = init.filter(|i| !i.is_none());
    let (mem, len) = match shape {
        Shape::Pointer { item } => match reg.shape_layout(item) {
            (Shape::Function, _) => return Err(not_pointer_or_array(reg, ty)),
            (_, Some((size, align))) => (new_item(py, reg, item, size, align, init, how)?, None),
            (_, None) => {
                return Err(PyTypeError::new_err(format!(
                    "cannot instantiate ctype '{}' of unknown size",
                    reg.cname(item)
                )))
            }
        },
        Shape::Array { item, len } => {
            let n = match (len, init) {
                (Some(n), _) => n,
                (None, Some(init)) => array_length_for(reg, item, init)?,
                (None, None) => {
                    return Err(PyTypeError::new_err(
                        "expected new array length or list/tuple/str, not NoneType",
                    ))
                }
            };
            let (size, align) = match reg.shape_layout(item).1 {
                Some(layout) => layout,
                None => reg.with(|t| t.size_align(item)).py()?,
            };
            let total = size
                .checked_mul(n)
                .filter(|&t| t <= isize::MAX as usize)
                .ok_or_else(|| {
                    PyOverflowError::new_err("array size would overflow a Py_ssize_t")
                })?;
            let mem = how.obtain(py, total, align)?;
            // An int is the length of a `T[]` (which it sized above); for an
            // array with a length it is a wrong initializer, refused by the
            // write as in cffi.
            if let Some(init) = init.filter(|i| len.is_some() || !i.is_instance_of::<PyInt>()) {
                let sized = reg.with(|t| t.array_of(item, Some(n)));
                // SAFETY: `mem`, just obtained and held here, has `total`
                // bytes, the size of `sized` (`n` items of `size` bytes).
                unsafe { convert::write(py, reg, sized, mem.addr(), init)? };
            }
            (mem, if len.is_none() { Some(n) } else { None })
        }
        _ => return Err(not_pointer_or_array(reg, ty)),
    };
    Ok((mem, len))
}

/// The memory of `ffi.new("T *", init)`: one `item` of `size` bytes
/// (more for a struct whose flexible array member `init` sets).
fn new_item(
    py: Python<'_>,
    reg: &Arc<Registry>,
    item: TypeId,
    size: usize,
    align: usize,
    init: Option<&Bound<'_, PyAny>>,
    how: &Alloc,
) -> PyResult<Arc<Memory>> {
    let Some(init) = init else {
        return how.obtain(py, size, align);
    };
    let flexible = flexible_size(reg, item, init)?;
    let mem = how.obtain(py, flexible.as_ref().map_or(size, |f| f.size), align)?;
    // A length alone for the flexible member only sizes it: the items stay
    // zero, so it is left out of what is written.
    let init = match flexible.and_then(|f| f.length_only) {
        Some(trimmed) => trimmed,
        None => init.clone(),
    };
    let end = mem.addr() + mem.size();
    // SAFETY: `mem`, just obtained and held here, has room for one `item`
    // (sized for the flexible array member `init` sets), and `end` is its end.
    unsafe { convert::write_within(py, reg, item, mem.addr(), &init, Some(end))? };
    Ok(mem)
}

fn not_pointer_or_array(reg: &Registry, ty: TypeId) -> PyErr {
    PyTypeError::new_err(format!(
        "expected a pointer or array ctype, got '{}'",
        reg.cname(ty)
    ))
}

fn array_length_for(reg: &Registry, item: TypeId, init: &Bound<'_, PyAny>) -> PyResult<usize> {
    if let Ok(n) = init.cast::<PyInt>() {
        let n: isize = n.extract().map_err(|_| {
            PyOverflowError::new_err("cannot fit 'int' into an index-sized integer")
        })?;
        if n < 0 {
            return Err(PyValueError::new_err("negative array length"));
        }
        return Ok(n as usize);
    }
    if let Ok(b) = init.cast::<PyBytes>() {
        return Ok(b.as_bytes().len() + 1);
    }
    if let Ok(s) = init.cast::<PyString>() {
        let item_shape = reg.shape(item);
        if let Shape::WideChar { size } = item_shape {
            return Ok(convert::wide_units(s, size)?.len() + 1);
        }
        let expected = match item_shape {
            Shape::Char | Shape::Int { size: 1, .. } => "bytes or list or tuple",
            _ => "list or tuple",
        };
        let array = reg.with(|t| t.array_of(item, None));
        return Err(PyTypeError::new_err(format!(
            "initializer for ctype '{}' must be a {expected}, not str",
            reg.cname(array)
        )));
    }
    if let Ok(l) = init.cast::<PyList>() {
        return Ok(l.len());
    }
    if let Ok(t) = init.cast::<PyTuple>() {
        return Ok(t.len());
    }
    Err(PyTypeError::new_err(format!(
        "expected new array length or list/tuple/str, not {}",
        init.get_type().name()?
    )))
}

/// The bytes `ffi.new` gives a struct whose last member is a flexible array
/// (`int d[];`) when `init` sets that member: enough for its items, as cffi.
struct Flexible<'py> {
    /// Bytes to allocate.
    size: usize,
    /// When the member's initializer is a length: `init` without it.
    length_only: Option<Bound<'py, PyAny>>,
}

fn flexible_size<'py>(
    reg: &Registry,
    ty: TypeId,
    init: &Bound<'py, PyAny>,
) -> PyResult<Option<Flexible<'py>>> {
    let Some((needed, length_only)) = flexible_tail(reg, ty, init, 0, true)? else {
        return Ok(None);
    };
    Ok(Some(Flexible {
        size: needed.max(reg.size_of(ty).unwrap_or(0)),
        length_only,
    }))
}

/// The bytes a struct at offset `base` needs for the flexible array that ends
/// it, found through a last member that is itself such a struct
/// (`struct bar { int n; struct foo tail; }`), as cffi sizes them; with
/// `init` less the array's initializer when that is a length (only `top`,
/// where `init` is the whole initializer).
fn flexible_tail<'py>(
    reg: &Registry,
    ty: TypeId,
    init: &Bound<'py, PyAny>,
    base: usize,
    top: bool,
) -> PyResult<Option<(usize, Option<Bound<'py, PyAny>>)>> {
    enum Tail {
        Array(TypeId),
        Record(TypeId),
    }
    let last = reg.with(|t| {
        let layout = t.record_layout(ty)?;
        let flexible = layout.flexible;
        let fields = t.flat_fields_in_lists(ty).ok()?;
        // Its place in a list initializer, which passes over union members.
        let n = fields.iter().filter(|(_, skipped)| !skipped).count();
        let (last, _) = fields.into_iter().last()?;
        let tail = match t.get(last.ty) {
            Type::Array(item, None) if flexible => Tail::Array(*item),
            Type::Record(_) => Tail::Record(last.ty),
            _ => return None,
        };
        Some((n, last.name, last.offset, tail))
    });
    let Some((n, name, offset, tail)) = last else {
        return Ok(None);
    };
    let value = if let Ok(d) = init.cast::<pyo3::types::PyDict>() {
        d.get_item(&name)?
    } else if let Ok(l) = init.cast::<PyList>() {
        l.get_item(n - 1).ok()
    } else if let Ok(t) = init.cast::<PyTuple>() {
        t.get_item(n - 1).ok()
    } else {
        None
    };
    let Some(value) = value else {
        return Ok(None);
    };
    let item = match tail {
        Tail::Array(item) => item,
        Tail::Record(rec) => {
            let inner = flexible_tail(reg, rec, &value, base + offset, false)?;
            return Ok(inner.map(|(needed, _)| (needed, None)));
        }
    };
    if !top && value.is_instance_of::<PyInt>() {
        // A length for a nested array: cffi sizes it only at the top level.
        return Ok(None);
    }
    let count = array_length_for(reg, item, &value)?;
    let item_size = reg.size_of(item).unwrap_or(0);
    let needed = count
        .checked_mul(item_size)
        .and_then(|b| b.checked_add(base + offset))
        .filter(|&t| t <= isize::MAX as usize)
        .ok_or_else(|| PyOverflowError::new_err("array size would overflow a Py_ssize_t"))?;
    let length_only = if value.is_instance_of::<PyInt>() {
        Some(without_member(init, &name, n)?)
    } else {
        None
    };
    Ok(Some((needed, length_only)))
}

/// `init` without the initializer of member `name`, the `n`th and last.
fn without_member<'py>(
    init: &Bound<'py, PyAny>,
    name: &str,
    n: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(d) = init.cast::<pyo3::types::PyDict>() {
        let copy = d.copy()?;
        copy.del_item(name)?;
        return Ok(copy.into_any());
    }
    init.get_item(pyo3::types::PySlice::new(init.py(), 0, n as isize - 1, 1))
}
