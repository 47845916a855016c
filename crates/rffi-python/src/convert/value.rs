//! Python objects to C values in memory and back, with cffi's rules and messages.

use crate::model::registry::node_shaped;
use std::sync::Arc;

use pyo3::exceptions::{PyIndexError, PyKeyError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyComplex, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use rffi_call::{memory, Scalar, Value};
use rffi_types::{Type, TypeId};

use crate::base::errors::IntoPyResult;
use crate::cdata::object::CDataGet;
use crate::cdata::value::{CData, Origin};
use crate::memory::owner::{Memory, Owner};
use crate::model::registry::{Registry, Shape};
use rffi_call::ShapeScalar;

/// Temporaries a call argument needs while the call runs: lists turned into
/// arrays, bytes passed as `char *`.
#[derive(Default)]
pub struct Keep {
    pub memory: Vec<Arc<Memory>>,
    pub objects: Vec<Py<PyAny>>,
    /// Memory that pointer arguments point into: `ffi.release` of it while
    /// the call runs waits for the call to return (see `Memory::enter_call`).
    in_call: Vec<Arc<Memory>>,
}

impl Keep {
    /// Keeps the memory of `owner` from being freed until this is dropped,
    /// after the call.
    fn hold_for_call(&mut self, owner: &Owner) {
        if owner.call_guarded().is_some() {
            if let Some(m) = owner.memory_arc() {
                m.enter_call();
                self.in_call.push(m);
            }
        }
    }
}

impl Drop for Keep {
    fn drop(&mut self) {
        for m in self.in_call.drain(..) {
            m.exit_call();
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        return format!("cdata '{}'", c.reg.cname(c.ty));
    }
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn init_error(reg: &Registry, ty: TypeId, expected: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "initializer for ctype '{}' must be a {expected}, not {}",
        reg.cname(ty),
        type_name(obj)
    ))
}

/// The integer value of `obj` as cffi takes it for an integer type: Python
/// ints, integer and char cdata, and objects with `__int__`. Floats (Python
/// or cdata) are refused; other cdata refuse as `int()` refuses them.
pub fn to_integer(obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    if let Ok(i) = obj.cast::<PyInt>() {
        return i
            .extract::<i128>()
            .map_err(|_| PyOverflowError::new_err("int too big to convert"));
    }
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        if !matches!(c.shape(), Shape::Pointer { .. }) {
            if let Some(v) = c.integer_value()? {
                return Ok(v);
            }
            if c.float_value()?.is_some() {
                return Err(PyTypeError::new_err("an integer is required"));
            }
        }
        return Err(PyTypeError::new_err(format!(
            "int() not supported on cdata '{}'",
            c.reg.cname(c.ty)
        )));
    }
    if obj.is_instance_of::<PyFloat>() || !obj.hasattr("__int__")? {
        return Err(PyTypeError::new_err("an integer is required"));
    }
    to_integer(&obj.call_method0("__int__")?)
}

/// Checks that `v` fits an integer type of `size` bytes.
pub fn check_range(reg: &Registry, ty: TypeId, v: i128, size: u8, signed: bool) -> PyResult<()> {
    let bits = u32::from(size) * 8;
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if v < 0 && !signed {
        return Err(PyOverflowError::new_err(
            "can't convert negative number to unsigned",
        ));
    }
    if v < lo || v > hi {
        // cffi converts 8-byte integers with CPython's own routine.
        if size >= 8 {
            return Err(PyOverflowError::new_err("int too big to convert"));
        }
        return Err(PyOverflowError::new_err(format!(
            "integer {v} does not fit '{}'",
            reg.cname(ty)
        )));
    }
    Ok(())
}

fn to_float(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        return match c.float_value()? {
            Some(v) => Ok(v),
            None => Err(PyTypeError::new_err(format!(
                "float() not supported on cdata '{}'",
                c.reg.cname(c.ty)
            ))),
        };
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "must be real number, not {}",
            type_name(obj)
        )));
    }
    obj.extract::<f64>()
}

/// The code of a one-character `bytes` (or `char` cdata).
fn to_char(reg: &Registry, ty: TypeId, obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        if b.as_bytes().len() == 1 {
            return Ok(i128::from(b.as_bytes()[0]));
        }
    }
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        if c.reg.shape(c.ty) == Shape::Char {
            return c.integer_value().map(|v| v.unwrap_or(0));
        }
    }
    Err(init_error(reg, ty, "bytes of length 1", obj))
}

fn to_wide_char(reg: &Registry, ty: TypeId, size: u8, obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    // cffi's messages name wide characters by their size, not by `wchar_t`.
    let name = if size == 2 { "char16_t" } else { "char32_t" };
    let fail = |got: String| {
        PyTypeError::new_err(format!(
            "initializer for ctype '{name}' must be a unicode string of length 1, not {got}"
        ))
    };
    if let Ok(s) = obj.cast::<PyString>() {
        let points = wide_units(s, 4)?;
        if let [ch] = points[..] {
            if size == 2 && ch > 0xFFFF {
                return Err(fail("larger-than-0xFFFF character".into()));
            }
            return Ok(i128::from(ch));
        }
        let units = wide_units(s, size)?.len();
        return Err(fail(format!("unicode string of length {units}")));
    }
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        if matches!(c.reg.shape(c.ty), Shape::WideChar { .. }) {
            return c.integer_value().map(|v| v.unwrap_or(0));
        }
    }
    let _ = (reg, ty);
    Err(fail(type_name(obj)))
}

/// Writes the value of `obj` at `addr` as a C value of type `ty`, following
/// cffi's rules for initializers and assignments.
///
/// # Safety
/// `addr` is the start of writable memory holding (or meant to hold) a value
/// of type `ty` — its `size_of(ty)` bytes, any alignment — which stays
/// allocated until this returns, although converting `obj` runs Python code
/// (see `cdata::value::writing_into`, which keeps a released owner's bytes
/// in place meanwhile). An array type without a length is written with as
/// many items as `obj` has, so the caller guarantees room for them, which
/// `write_within` with `end` checks instead.
pub unsafe fn write(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    addr: usize,
    obj: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: the contract of `write` is `write_within`'s with no `end`.
    unsafe { write_within(py, reg, ty, addr, obj, None) }
}

/// [`write()`] into memory that ends at `end` when that is known: a
/// flexible array member (`int d[];`), whose type has no length, takes no
/// more items than fit before it.
///
/// # Safety
/// As for [`write()`], except that with `end` given the memory from `addr`
/// to `end` is what the caller guarantees for an array without a length (a
/// flexible array member at the end of a record, or such a record itself).
pub unsafe fn write_within(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    addr: usize,
    obj: &Bound<'_, PyAny>,
    end: Option<usize>,
) -> PyResult<()> {
    let shape = reg.shape(ty);
    let v = match shape {
        Shape::Int { size, signed, .. } => {
            let v = to_integer(obj)?;
            check_range(reg, ty, v, size, signed)?;
            Value::Int(v)
        }
        Shape::Bool => {
            let v = to_integer(obj)?;
            if !(0..=1).contains(&v) {
                return Err(PyOverflowError::new_err(format!(
                    "integer {v} does not fit '_Bool'"
                )));
            }
            Value::Int(v)
        }
        Shape::Char => Value::Int(to_char(reg, ty, obj)?),
        Shape::WideChar { size } => Value::Int(to_wide_char(reg, ty, size, obj)?),
        Shape::Float { .. } | Shape::LongDouble => Value::Float(to_float(obj)?),
        Shape::Complex { .. } => {
            let c: num_complex_like::C = num_complex_like::extract(obj)?;
            Value::Complex(c.0, c.1)
        }
        Shape::Pointer { .. } => Value::Pointer(pointer_value(reg, ty, obj)?),
        Shape::Array { item, len } => {
            // SAFETY: `addr` holds an array of type `ty`, with room up to
            // `end` when its type has no length, per this function's contract.
            return unsafe { write_array(py, reg, ty, (item, len), addr, obj, end) };
        }
        Shape::Record { union } => {
            // SAFETY: `addr` holds a record of type `ty`, per this function's
            // contract (and room up to `end` for its flexible array member).
            return unsafe { write_record(py, reg, ty, union, addr, obj, end) };
        }
        Shape::Void | Shape::Function => {
            return Err(PyTypeError::new_err(format!(
                "cannot initialize ctype '{}'",
                reg.cname(ty)
            )))
        }
    };
    // SAFETY: `addr` holds a value of `ty`, a scalar of this shape, writable,
    // per this function's contract.
    unsafe { write_scalar(addr as *mut u8, shape, v) };
    Ok(())
}

/// Stores the scalar `v` at `p` as a value of shape `shape` (nothing for a
/// shape that is not a scalar).
///
/// # Safety
/// `p` is the start of the writable bytes of a value of shape `shape` (any
/// alignment), allocated until this returns.
unsafe fn write_scalar(p: *mut u8, shape: Shape, v: Value) {
    if let Some(s) = shape.scalar() {
        // SAFETY: per this function's contract, the scalar's bytes at `p`
        // are writable.
        unsafe { memory::write(p, s, v) }
    }
}

mod num_complex_like {
    use super::*;
    pub struct C(pub f64, pub f64);
    pub fn extract(obj: &Bound<'_, PyAny>) -> PyResult<C> {
        if let Ok(c) = obj.cast::<PyComplex>() {
            return Ok(C(c.real(), c.imag()));
        }
        if let Ok(c) = obj.cast::<CData>() {
            if let Some((re, im)) = c.cdata().complex_value()? {
                return Ok(C(re, im));
            }
        }
        Ok(C(to_float(obj)?, 0.0))
    }
}

/// The address a pointer of type `ty` gets from `obj`: a compatible cdata
/// pointer or array.
pub fn pointer_value(reg: &Registry, ty: TypeId, obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let Ok(c) = obj.cast::<CData>() else {
        return Err(init_error(reg, ty, "cdata pointer", obj));
    };
    let c = c.cdata();
    let from = reg.translate(&c.reg, c.ty)?;
    match reg.with(|t| pointer_compatible(t, ty, from)) {
        PointerFit::Same => c.pointer_target(),
        PointerFit::NotPointer => Err(init_error(reg, ty, "pointer or array", obj)),
        PointerFit::FromChar => Err(PyTypeError::new_err(
            "implicit cast from 'char *' to a different pointer type: (check that the types are as you expect; use an explicit ffi.cast() if they are correct)",
        )),
        PointerFit::ToChar => Err(PyTypeError::new_err(
            "implicit cast to 'char *' from a different pointer type.(check that the types are as you expect; use an explicit ffi.cast() if they are correct)",
        )),
        PointerFit::Different => Err(init_error(reg, ty, "pointer to same type", obj)),
    }
}

/// How a cdata of one type fits a pointer of another, by cffi's rules.
enum PointerFit {
    /// The same pointer type, or `void *` on either side.
    Same,
    /// Not a pointer or array.
    NotPointer,
    /// `char *` given for another pointer type.
    FromChar,
    /// Another pointer type given for `char *`.
    ToChar,
    Different,
}

/// Whether a cdata of type `from` may initialize a pointer of type `to`:
/// arrays count as pointers to their items; `void *` goes with any pointer;
/// `char *` with pointers to other one-byte items.
fn pointer_compatible(t: &rffi_types::Types, to: TypeId, from: TypeId) -> PointerFit {
    let from_item = match t.get(from) {
        Type::Pointer(i) | Type::Array(i, _) => *i,
        _ => return PointerFit::NotPointer,
    };
    let Type::Pointer(to_item) = t.get(to) else {
        return PointerFit::Different;
    };
    let to_item = *to_item;
    let is_void = |id: TypeId| matches!(t.get(id), Type::Void);
    let is_char = |id: TypeId| matches!(t.get(id), Type::Prim(p) if *p == rffi_types::Prim::CHAR);
    let one_byte =
        |id: TypeId| !matches!(t.get(id), Type::Function(_)) && t.size_of(id).ok() == Some(1);
    if from_item == to_item || is_void(to_item) || is_void(from_item) {
        PointerFit::Same
    } else if is_char(to_item) || is_char(from_item) {
        if one_byte(to_item) && one_byte(from_item) {
            PointerFit::Same
        } else if is_char(to_item) {
            PointerFit::ToChar
        } else {
            PointerFit::FromChar
        }
    } else {
        PointerFit::Different
    }
}

/// Writes `obj` (bytes, str, a list or tuple, or an array cdata of type
/// `ty`) as the array of type `ty` (items `item`, `len` of them if known)
/// at `addr`.
///
/// # Safety
/// As for [`write_within`]: `addr` starts writable memory for an array of
/// type `ty` (up to `end`, if given, when `len` is `None`), allocated until
/// this returns.
unsafe fn write_array(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    (item, len): (TypeId, Option<usize>),
    addr: usize,
    obj: &Bound<'_, PyAny>,
    end: Option<usize>,
) -> PyResult<()> {
    let item_shape = reg.shape(item);
    let item_size = reg.size_of(item).unwrap_or(0);
    let room = match (len, end) {
        (Some(n), _) => n,
        (None, Some(end)) => end.saturating_sub(addr) / item_size.max(1),
        (None, None) => usize::MAX,
    };
    if let Ok(b) = obj.cast::<PyBytes>() {
        if matches!(item_shape, Shape::Char | Shape::Int { size: 1, .. }) {
            let bytes = b.as_bytes();
            if bytes.len() > room {
                return Err(PyIndexError::new_err(format!(
                    "initializer bytes is too long for '{}' (got {} characters)",
                    reg.cname(ty),
                    bytes.len()
                )));
            }
            // SAFETY: the array at `addr` has room for `room` one-byte items
            // (its length, or the bytes up to `end`), per this function's
            // contract, and `bytes` is no longer. `copy` (memmove), since
            // the array may be `ffi.from_buffer` of this very bytes object.
            unsafe { std::ptr::copy(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
            return Ok(());
        }
    }
    if let Ok(s) = obj.cast::<PyString>() {
        if let Shape::WideChar { size } = item_shape {
            let units = wide_units(s, size)?;
            if units.len() > room {
                return Err(PyIndexError::new_err(format!(
                    "initializer unicode string is too long for '{}' (got {} characters)",
                    reg.cname(ty),
                    units.len()
                )));
            }
            // SAFETY: the array at `addr` has room for `room` items of this
            // wide character type, per this function's contract, and there
            // are no more units than that.
            unsafe { write_units(addr, item_shape, item_size, &units) };
            return Ok(());
        }
    }
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        // A cdata of another FFI (one an out-of-line module includes) has the
        // same type when its C name names `ty` here; its id means nothing here.
        if reg.translate(&c.reg, c.ty).ok() == Some(ty) {
            c.live()?;
            let size = c.byte_size();
            c.refuse_outside(c.addr, size)?;
            // An array type without a length (`p.d = ffi.new("int[]", n)` for
            // a flexible array member) takes only the items that fit: C (and
            // cffi) would copy past the end of the record's memory.
            if size > room.saturating_mul(item_size) {
                return Err(PyIndexError::new_err(format!(
                    "initializer cdata is too long for '{}' (got {} items)",
                    reg.cname(ty),
                    size / item_size.max(1)
                )));
            }
            // SAFETY: the destination holds an array of type `ty`, per this
            // function's contract; the source is a live array cdata of the
            // same type whose `size` bytes were just checked against its
            // owner's extent where that is known (else they are C's array,
            // as the cdata's type says). `copy` allows them to overlap.
            unsafe { std::ptr::copy(c.addr as *const u8, addr as *mut u8, size) };
            return Ok(());
        }
    }
    let expected = match item_shape {
        Shape::Char | Shape::Bool | Shape::Int { size: 1, .. } => "bytes or list or tuple",
        Shape::WideChar { .. } => "unicode or list or tuple",
        _ => "list or tuple",
    };
    let items = sequence_items(obj).ok_or_else(|| init_error(reg, ty, expected, obj))?;
    if items.len() > room {
        return Err(PyIndexError::new_err(format!(
            "too many initializers for '{}' (got {})",
            reg.cname(ty),
            items.len()
        )));
    }
    for (i, it) in items.iter().enumerate() {
        // SAFETY: item `i < room` of the array at `addr`, which has room for
        // `room` items per this function's contract.
        unsafe { write(py, reg, item, addr + i * item_size, it)? };
    }
    Ok(())
}

/// Makes the pointer argument at `addr` point to `mem`, kept for the call.
///
/// # Safety
/// `addr` is the writable slot of a pointer (to `item`) argument.
unsafe fn pass_temporary(addr: usize, item: TypeId, mem: Arc<Memory>, keep: &mut Keep) {
    // SAFETY: per this function's contract.
    unsafe {
        write_scalar(
            addr as *mut u8,
            Shape::Pointer { item },
            Value::Pointer(mem.addr()),
        )
    };
    keep.memory.push(mem);
}

/// The `n` items of type `item` (each `size` bytes) from `addr`, as a list.
///
/// # Safety
/// `addr` starts `n` readable values of type `item`, `size` bytes apart,
/// in memory that `owner` keeps (or that outlives the cdata made for
/// array and record items, when `owner` is `Owner::none()`).
pub unsafe fn read_items<'py>(
    py: Python<'py>,
    reg: &Arc<Registry>,
    item: TypeId,
    addr: usize,
    size: usize,
    n: usize,
    owner: &Owner,
) -> PyResult<Bound<'py, PyList>> {
    let shape = reg.shape(item);
    let list = PyList::empty(py);
    for i in 0..n {
        // SAFETY: item `i < n` at `addr`, per this function's contract.
        let v = unsafe { read_shaped(py, reg, item, shape, addr + i * size, owner)? };
        list.append(v)?;
    }
    Ok(list)
}

/// Stores wide-character code units one after another from `addr`.
///
/// # Safety
/// `addr` starts writable room for `units.len()` values of the wide
/// character shape `shape`, each `unit_size` bytes.
unsafe fn write_units(addr: usize, shape: Shape, unit_size: usize, units: &[u32]) {
    for (i, u) in units.iter().enumerate() {
        // SAFETY: unit `i` lies in the room this function's contract gives.
        unsafe {
            write_scalar(
                (addr + i * unit_size) as *mut u8,
                shape,
                Value::Int(i128::from(*u)),
            )
        };
    }
}

/// A string as code units of a wide character type: UTF-16 for 2 bytes
/// (a character above U+FFFF becomes a surrogate pair), code points for 4.
/// A Python str may hold lone surrogates, which Rust strings cannot: they
/// pass through as themselves, as in cffi.
pub fn wide_units(text: &Bound<'_, PyString>, size: u8) -> PyResult<Vec<u32>> {
    let (codec, width) = match (size, cfg!(target_endian = "little")) {
        (2, true) => ("utf-16-le", 2),
        (2, false) => ("utf-16-be", 2),
        (_, true) => ("utf-32-le", 4),
        (_, false) => ("utf-32-be", 4),
    };
    let encoded = text.call_method1("encode", (codec, "surrogatepass"))?;
    let bytes = encoded.cast::<PyBytes>()?.as_bytes();
    Ok(bytes
        .chunks_exact(width)
        .map(|c| match *c {
            [a, b] => u32::from(u16::from_ne_bytes([a, b])),
            [a, b, c, d] => u32::from_ne_bytes([a, b, c, d]),
            _ => 0,
        })
        .collect())
}

/// The Python str of one wide character: any code point up to U+10FFFF,
/// lone surrogates included, as cffi makes them.
pub fn wide_char_to_py(py: Python<'_>, unit: u32) -> PyResult<Py<PyAny>> {
    if unit > 0x10FFFF {
        return Err(PyValueError::new_err(format!(
            "character U+{unit:X} is not a valid unicode code point"
        )));
    }
    // SAFETY: the ordinal is at most 0x10FFFF, which PyUnicode_FromOrdinal
    // takes; it returns a new reference or NULL with an exception set.
    unsafe {
        Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyUnicode_FromOrdinal(unit as i32))
            .map(Bound::unbind)
    }
}

fn sequence_items<'py>(obj: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyAny>>> {
    if let Ok(l) = obj.cast::<PyList>() {
        return Some(l.iter().collect());
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return Some(t.iter().collect());
    }
    None
}

/// Writes `obj` (a record cdata of type `ty`, a list or tuple of the
/// members in order, or a dict of them by name) as the record of type `ty`
/// at `addr`.
///
/// # Safety
/// As for [`write_within`]: `addr` starts writable memory for a record of
/// type `ty` (and, for a flexible array member, up to `end` if given),
/// allocated until this returns.
unsafe fn write_record(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    union: bool,
    addr: usize,
    obj: &Bound<'_, PyAny>,
    end: Option<usize>,
) -> PyResult<()> {
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        // A cdata of another FFI (one an out-of-line module includes) has the
        // same type when its C name names `ty` here; its id means nothing here.
        if reg.translate(&c.reg, c.ty).ok() == Some(ty) {
            c.live()?;
            let size = reg.size_of(ty).unwrap_or(0);
            // SAFETY: the destination holds a record of type `ty`, per this
            // function's contract; the source is a live record cdata of the
            // same type, which the cdata layer checked (NULL page, owner's
            // extent) when it made it. `copy` allows them to overlap.
            unsafe { std::ptr::copy(c.addr as *const u8, addr as *mut u8, size) };
            return Ok(());
        }
    }
    // A list fills the fields in order, passing over those that share a
    // union with an earlier one (for a union, all but its first member);
    // a dict names any field.
    let _ = union;
    let fields = reg.with(|t| t.flat_fields_in_lists(ty)).py()?;
    if let Some(items) = sequence_items(obj) {
        let listed = fields.iter().filter(|(_, skipped)| !skipped);
        if items.len() > listed.clone().count() {
            return Err(PyValueError::new_err(format!(
                "too many initializers for '{}' (got {})",
                reg.cname(ty),
                items.len()
            )));
        }
        for ((f, _), it) in listed.zip(items.iter()) {
            // SAFETY: `f` is a member of the record `ty` at `addr`.
            unsafe { write_field_within(py, reg, addr, f, it, end)? };
        }
        return Ok(());
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let name: String = k.extract()?;
            let (f, _) = fields
                .iter()
                .find(|(f, _)| f.name == name)
                .ok_or_else(|| PyKeyError::new_err(name.clone()))?;
            // SAFETY: `f` is a member of the record `ty` at `addr`.
            unsafe { write_field_within(py, reg, addr, f, &v, end)? };
        }
        return Ok(());
    }
    Err(init_error(
        reg,
        ty,
        "list or tuple or dict or struct-cdata",
        obj,
    ))
}

/// Writes one member of the record at `base`, bitfields included, into
/// memory that ends at `end` when that is known (see [`write_within`]).
///
/// # Safety
/// `base` starts a record of which `f` is a member, and the bytes of that
/// member (its bits' bytes for a bitfield) are writable (and readable, for
/// a bitfield) and allocated until this returns; a member `T d[]` is
/// written as [`write_within`] writes it, up to `end` when given.
pub unsafe fn write_field_within(
    py: Python<'_>,
    reg: &Arc<Registry>,
    base: usize,
    f: &rffi_types::Field,
    obj: &Bound<'_, PyAny>,
    end: Option<usize>,
) -> PyResult<()> {
    match f.bits {
        // SAFETY: the member's bytes at `base + f.offset`, per this
        // function's contract.
        None => unsafe { write_within(py, reg, f.ty, base + f.offset, obj, end) },
        Some(bf) => {
            let v = to_integer(obj)?;
            let signed = reg
                .shape(f.ty)
                .scalar()
                .is_some_and(|s| matches!(s, Scalar::Int { signed: true, .. }));
            let w = bf.width;
            // As cffi: a signed one-bit field also takes 1 (which reads back
            // as -1), the value C compilers store there without complaint.
            let (lo, hi) = if signed {
                (-(1i128 << (w - 1)), ((1i128 << (w - 1)) - 1).max(1))
            } else {
                (0, (1i128 << w) - 1)
            };
            if v < lo || v > hi {
                return Err(PyOverflowError::new_err(format!(
                    "value {v} outside the range allowed by the bit field width: {lo} <= x <= {hi}"
                )));
            }
            // SAFETY: the bytes of this bitfield of the record at `base` are
            // readable and writable, per this function's contract.
            unsafe { memory::write_bits(base as *mut u8, f.offset, bf, v) };
            Ok(())
        }
    }
}

/// Reads the member `f` (of type shape `shape`) of the record at `base` that
/// `owner` keeps alive; `from_new` when the record is what `ffi.new` made.
///
/// # Safety
/// `base` starts a record of which `f` is a member, the bytes of that member
/// (its bits' bytes for a bitfield) are readable, and `owner` keeps them (a
/// cdata made for an array or record member holds `owner`; with
/// `Owner::none()` the memory must outlive it, as C's memory does).
pub unsafe fn read_field(
    py: Python<'_>,
    reg: &Arc<Registry>,
    base: usize,
    f: &rffi_types::Field,
    shape: Shape,
    owner: &Owner,
    from_new: bool,
) -> PyResult<Py<PyAny>> {
    match f.bits {
        None => match shape {
            Shape::Array { item, len: None } => {
                read_open_array(py, reg, base, f.offset, item, owner, from_new)
            }
            Shape::Array { item, len: Some(0) } => {
                let ty = reg.with(|t| t.pointer_to(item));
                CData::plain(reg, ty, base + f.offset, owner.clone()).into_py_any(py)
            }
            // SAFETY: the member's bytes at `base + f.offset`, kept by
            // `owner`, per this function's contract.
            _ => unsafe { read_shaped(py, reg, f.ty, shape, base + f.offset, owner) },
        },
        Some(bf) => {
            let signed = matches!(shape.scalar(), Some(Scalar::Int { signed: true, .. }));
            // SAFETY: the bytes of this bitfield of the record at `base` are
            // readable, per this function's contract.
            let v = unsafe { memory::read_bits(base as *const u8, f.offset, bf, signed) };
            // As cffi: a `_Bool` or `char` bitfield reads as an int.
            if matches!(shape, Shape::Bool | Shape::Char) {
                return v.into_py_any(py);
            }
            scalar_to_py(py, reg, f.ty, shape, Value::Int(v))
        }
    }
}

/// A member declared `T d[]`, as cffi reads it: a `T[]` of the items that
/// fit in the memory of the struct that `ffi.new` made (`from_new`, memory
/// that starts at `base`), else a `T *`, whose items nothing checks (as a
/// member declared `T d[0]` always reads).
fn read_open_array(
    py: Python<'_>,
    reg: &Arc<Registry>,
    base: usize,
    offset: usize,
    item: TypeId,
    owner: &Owner,
    from_new: bool,
) -> PyResult<Py<PyAny>> {
    let addr = base + offset;
    let item_size = reg.size_of(item).unwrap_or(0);
    if let (Some((start, size)), true) = (owner.span(), from_new) {
        if start == base && size >= offset && item_size > 0 {
            let n = (size - offset) / item_size;
            let ty = reg.with(|t| t.array_of(item, None));
            return CData::plain(reg, ty, addr, owner.clone())
                .with_len(Some(n))
                .into_py_any(py);
        }
    }
    let ty = reg.with(|t| t.pointer_to(item));
    CData::plain(reg, ty, addr, owner.clone()).into_py_any(py)
}

/// The Python value of the C value of type `ty` at `addr`: a number, bytes or
/// str for primitives, a cdata for pointers, arrays and records.
///
/// # Safety
/// For a primitive or pointer type, `addr` starts the readable bytes of a
/// value of type `ty` (any alignment). For an array or record, nothing is
/// read here, but the cdata made holds `addr` and `owner`: `owner` keeps
/// the memory at `addr` (or, with `Owner::none()`, it is C's memory, which
/// outlives the cdata as cffi assumes).
pub unsafe fn read(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    addr: usize,
    owner: &Owner,
) -> PyResult<Py<PyAny>> {
    // SAFETY: the same contract, with the shape of `ty`.
    unsafe { read_shaped(py, reg, ty, reg.shape(ty), addr, owner) }
}

/// [`read`] when the caller already knows the type's shape.
///
/// # Safety
/// As for [`read`]; `shape` is the shape of `ty`.
pub unsafe fn read_shaped(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    addr: usize,
    owner: &Owner,
) -> PyResult<Py<PyAny>> {
    match shape {
        Shape::Pointer { .. } => {
            // SAFETY: `addr` holds a readable pointer, per this function's
            // contract.
            let Value::Pointer(target) =
                (unsafe { memory::read(addr as *const u8, Scalar::Pointer) })
            else {
                unreachable!("pointers read as pointers")
            };
            CData::shaped(reg, ty, shape, target, Owner::none()).into_py_any(py)
        }
        Shape::Array { .. } => CData::shaped(reg, ty, shape, addr, owner.clone()).into_py_any(py),
        Shape::Record { .. } => CData::made(
            node_shaped(reg, ty, shape, Origin::Reference, false),
            addr,
            owner.clone(),
        )
        .into_py_any(py),
        Shape::Void | Shape::Function => Err(PyTypeError::new_err(format!(
            "cannot read a value of ctype '{}'",
            reg.cname(ty)
        ))),
        _ => {
            let s = shape.scalar().expect("primitive shapes are scalars");
            // SAFETY: `addr` holds a readable value of this primitive type,
            // per this function's contract.
            let v = unsafe { memory::read(addr as *const u8, s) };
            scalar_to_py(py, reg, ty, shape, v)
        }
    }
}

/// A Python int, through the 64-bit constructors when the value fits them
/// (CPython's arbitrary-width path is several times slower).
pub fn int_to_py(py: Python<'_>, i: i128) -> PyResult<Py<PyAny>> {
    if let Ok(small) = i64::try_from(i) {
        small.into_py_any(py)
    } else if let Ok(big) = u64::try_from(i) {
        big.into_py_any(py)
    } else {
        i.into_py_any(py)
    }
}

/// A primitive C value as Python: `long double` stays a cdata, as in cffi.
pub fn scalar_to_py(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    v: Value,
) -> PyResult<Py<PyAny>> {
    match (shape, v) {
        (Shape::Bool, Value::Int(i)) => (i != 0).into_py_any(py),
        (Shape::Char, Value::Int(i)) => PyBytes::new(py, &[i as u8]).into_py_any(py),
        (Shape::WideChar { .. }, Value::Int(i)) => wide_char_to_py(py, i as u32),
        (Shape::LongDouble, _) => CData::value(reg, ty, v)?.into_py_any(py),
        (_, Value::Int(i)) => int_to_py(py, i),
        (_, Value::Float(f)) => f.into_py_any(py),
        (_, Value::Complex(re, im)) => PyComplex::from_doubles(py, re, im).into_py_any(py),
        (_, Value::Pointer(p)) => p.into_py_any(py),
    }
}

use pyo3::IntoPyObjectExt;

/// Writes a call argument: like [`write()`], plus what only calls accept:
/// `bytes` for `char *`, and a list or tuple for `T *` (a temporary array).
///
/// # Safety
/// `addr` is the writable slot of an argument of type `ty` (its size, any
/// alignment), such as one in a call's argument frame, allocated until this
/// returns.
pub unsafe fn write_arg(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    addr: usize,
    obj: &Bound<'_, PyAny>,
    keep: &mut Keep,
) -> PyResult<()> {
    let Shape::Pointer { item } = reg.shape(ty) else {
        // SAFETY: `addr` holds a `ty`, per this function's contract.
        return unsafe { write(py, reg, ty, addr, obj) };
    };
    if let Ok(c) = obj.cast::<CData>() {
        // SAFETY: `addr` holds a `ty`, per this function's contract.
        unsafe { write(py, reg, ty, addr, obj)? };
        keep.hold_for_call(&c.cdata().owner);
        return Ok(());
    }
    let item_shape = reg.shape(item);
    if matches!(item_shape, Shape::Record { .. })
        && reg.cname(item) == "FILE"
        && crate::convert::file::is_file(obj)?
    {
        let stream = crate::convert::file::stream_of(obj)?;
        // SAFETY: `addr` holds a pointer `ty`, per this function's contract.
        unsafe {
            write_scalar(
                addr as *mut u8,
                Shape::Pointer { item },
                Value::Pointer(stream),
            )
        };
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        if matches!(
            item_shape,
            Shape::Char | Shape::Int { size: 1, .. } | Shape::Void
        ) {
            let target = b.as_bytes().as_ptr() as usize;
            keep.objects.push(obj.clone().unbind());
            // SAFETY: `addr` holds a pointer `ty`, per this function's contract.
            unsafe {
                write_scalar(
                    addr as *mut u8,
                    Shape::Pointer { item },
                    Value::Pointer(target),
                )
            };
            return Ok(());
        }
    }
    if let Some(items) = sequence_items(obj) {
        // As cffi: no temporary array of items of unknown size (`void`, `T[]`).
        let Some(item_size) = reg.size_of(item).filter(|_| item_shape != Shape::Void) else {
            return Err(init_error(reg, ty, "cdata pointer", obj));
        };
        let align = reg.with(|t| t.align_of(item)).unwrap_or(1);
        let mem = Memory::zeroed(item_size * items.len(), align)?;
        let end = mem.addr() + mem.size();
        for (i, it) in items.iter().enumerate() {
            // SAFETY: item `i` of the new temporary array, which `mem` (held
            // here) keeps; `end` bounds an item type without a length (`T[]`,
            // or a record ending in one), whose size counts as 0.
            unsafe { write_within(py, reg, item, mem.addr() + i * item_size, it, Some(end))? };
        }
        // SAFETY: `addr` holds a pointer `ty`, per this function's contract.
        unsafe { pass_temporary(addr, item, mem, keep) };
        return Ok(());
    }
    if let (Ok(text), Shape::WideChar { size }) = (obj.cast::<PyString>(), item_shape) {
        let mut units = wide_units(text, size)?;
        units.push(0);
        let mem = Memory::zeroed(units.len() * size as usize, size as usize)?;
        // SAFETY: `mem` was just made with room for every unit.
        unsafe { write_units(mem.addr(), item_shape, size as usize, &units) };
        // SAFETY: `addr` holds a pointer `ty`, per this function's contract.
        unsafe { pass_temporary(addr, item, mem, keep) };
        return Ok(());
    }
    if obj.is_instance_of::<PyString>() {
        let expected = match item_shape {
            Shape::Char | Shape::Int { size: 1, .. } => "bytes or list or tuple",
            _ => "list or tuple",
        };
        return Err(init_error(reg, ty, expected, obj));
    }
    // SAFETY: `addr` holds a `ty`, per this function's contract.
    unsafe { write(py, reg, ty, addr, obj) }
}

/// An exact Python `int` that fits 64 bits, read with nothing else checked;
/// `None` for anything else (which then takes the general path).
pub fn small_int(obj: &Bound<'_, PyAny>) -> Option<i128> {
    if !obj.is_exact_instance_of::<PyInt>() {
        return None;
    }
    let mut overflow = 0;
    // SAFETY: `obj` is a live int; beyond a C long the call sets `overflow`
    // rather than raising, and an int raises nothing else.
    let v = unsafe { pyo3::ffi::PyLong_AsLongAndOverflow(obj.as_ptr(), &mut overflow) };
    if overflow != 0 || (v == -1 && PyErr::take(obj.py()).is_some()) {
        return None;
    }
    Some(i128::from(v))
}

/// A float argument: exact floats directly, everything else by the rules
/// of [`write()`].
pub fn to_float_arg(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    match obj.cast_exact::<PyFloat>() {
        Ok(f) => Ok(f.value()),
        Err(_) => to_float(obj),
    }
}

/// An integer-class argument (any integer, char, bool, enum or pointer
/// type) converted by the rules of [`write_arg`], as the integer a register
/// would carry.
pub fn arg_as_int(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    obj: &Bound<'_, PyAny>,
    keep: &mut Keep,
) -> PyResult<i128> {
    let mut cell = [0u128; 1];
    let addr = cell.as_mut_ptr() as usize;
    if let (Shape::Int { size, signed, .. }, Some(v)) = (reg.shape(ty), small_int(obj)) {
        check_range(reg, ty, v, size, signed)?;
        return Ok(v);
    }
    // SAFETY: `cell`, 16 bytes on this stack frame, has room for any
    // integer-class scalar (the types this function is given).
    unsafe { write_arg(py, reg, ty, addr, obj, keep)? };
    let scalar = reg.shape(ty).scalar().unwrap_or(Scalar::Pointer);
    // SAFETY: `cell` holds the 16 bytes just written for this scalar.
    match unsafe { memory::read(addr as *const u8, scalar) } {
        Value::Int(i) => Ok(i),
        Value::Pointer(p) => Ok(p as i128),
        _ => Ok(0),
    }
}

/// The Python value of an integer-class result that came back in a register.
pub fn int_result(py: Python<'_>, reg: &Arc<Registry>, ty: TypeId, v: i128) -> PyResult<Py<PyAny>> {
    match reg.shape(ty) {
        Shape::Int { is_enum: false, .. } => v.into_py_any(py),
        Shape::Pointer { .. } => CData::plain(reg, ty, v as usize, Owner::none()).into_py_any(py),
        shape => scalar_to_py(py, reg, ty, shape, Value::Int(v)),
    }
}
