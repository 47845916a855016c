//! `ffi.string` and `ffi.unpack`.

use pyo3::exceptions::{PyIndexError, PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use rffi_call::{memory, Scalar, Value};

use crate::cdata::value::{CData, Origin};
use crate::convert::value as convert;
use crate::model::registry::Shape;

fn items(c: &CData) -> Option<(rffi_types::TypeId, Shape, Option<usize>)> {
    match c.shape() {
        Shape::Pointer { item } => Some((item, c.reg.shape(item), None)),
        Shape::Array { item, len } => Some((item, c.reg.shape(item), len.or(c.array_len()))),
        _ => None,
    }
}

/// Reads code units of `size` bytes from `addr` until a zero or `limit`.
///
/// # Safety
/// The units from `addr` are readable up to the first zero unit, or up to
/// `limit` units when that comes first.
unsafe fn units_until_nul(addr: usize, size: u8, limit: Option<usize>) -> Vec<u32> {
    let scalar = Scalar::Int {
        size,
        signed: false,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while limit.is_none_or(|l| i < l) {
        // SAFETY: unit `i` comes before the first zero unit and before
        // `limit`, so it is readable per this function's contract.
        let Value::Int(u) =
            (unsafe { memory::read((addr + i * size as usize) as *const u8, scalar) })
        else {
            break;
        };
        if u == 0 {
            break;
        }
        out.push(u as u32);
        i += 1;
    }
    out
}

/// Wide-character code units on their way to a Python str, made by
/// `into_py_any` as cffi makes it: UTF-16 surrogate pairs of 2-byte units
/// join into one character; lone surrogates (and, of 4-byte units,
/// surrogate pairs too) stay as they are, which a Rust `String` cannot hold.
struct WideText<'a> {
    units: &'a [u32],
    size: u8,
}

fn decode_wide(units: &[u32], size: u8) -> WideText<'_> {
    WideText { units, size }
}

impl<'py> IntoPyObject<'py> for WideText<'_> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let units = self.units;
        if self.size != 2 {
            if let Some(bad) = units.iter().find(|&&u| u > 0x10FFFF) {
                return Err(PyValueError::new_err(format!(
                    "character U+{bad:X} is not a valid unicode code point"
                )));
            }
            // SAFETY: `units` holds `units.len()` code points, none above
            // U+10FFFF; the result is a new reference or NULL with an exception.
            return unsafe {
                Bound::from_owned_ptr_or_err(
                    py,
                    pyo3::ffi::PyUnicode_FromKindAndData(
                        pyo3::ffi::PyUnicode_4BYTE_KIND as i32,
                        units.as_ptr().cast(),
                        units.len() as isize,
                    ),
                )
            };
        }
        let bytes: Vec<u8> = units
            .iter()
            .flat_map(|&u| (u as u16).to_ne_bytes())
            .collect();
        let codec = if cfg!(target_endian = "little") {
            "utf-16-le"
        } else {
            "utf-16-be"
        };
        crate::convert::strings::new_bytes(py, &bytes)?
            .call_method1("decode", (codec, "surrogatepass"))
    }
}

/// The smaller of two bounds, either of which may be unknown.
#[inline]
fn min_known(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub fn string(py: Python<'_>, c: &CData, maxlen: isize) -> PyResult<Py<PyAny>> {
    let limit_from_max = (maxlen >= 0).then_some(maxlen as usize);
    if matches!(c.origin, Origin::Value) {
        let v = c.integer_value()?;
        return match (c.shape(), v) {
            (Shape::Char, Some(b)) => PyBytes::new(py, &[b as u8]).into_py_any(py),
            (Shape::WideChar { size }, Some(u)) => decode_wide(&[u as u32], size).into_py_any(py),
            (Shape::Int { is_enum: true, .. }, Some(i)) => match c.enum_name(i) {
                Some(n) => n.into_py_any(py),
                None => i.to_string().into_py_any(py),
            },
            _ => Err(unexpected(c)),
        };
    }
    let Some((_, item_shape, len)) = items(c) else {
        return Err(unexpected(c));
    };
    let is_text = matches!(
        item_shape,
        Shape::Char | Shape::Int { size: 1, .. } | Shape::Bool | Shape::WideChar { .. }
    );
    if !is_text {
        return Err(unexpected(c));
    }
    if c.addr == 0 {
        return Err(PyRuntimeError::new_err(format!(
            "cannot use string() on <cdata '{}' NULL>",
            c.reg.cname(c.ty)
        )));
    }
    c.refuse_null(c.addr)?;
    // Neither past the array's length nor past the memory its owner holds.
    // (Spelled out rather than as an iterator over the three: `ffi.string`
    // of 100 bytes took about 90 instructions more that way.)
    let room = c.owner.room_from(c.addr).map(|r| match item_shape {
        Shape::WideChar { size } => r / usize::from(size),
        _ => r,
    });
    let limit = min_known(min_known(len, limit_from_max), room);
    match item_shape {
        Shape::Char | Shape::Int { size: 1, .. } | Shape::Bool => {
            let start = c.addr as *const u8;
            // SAFETY: C strings are read up to their NUL, or within the
            // array's length (or maxlen) when there is one.
            let bytes = unsafe {
                let n = memory::c_string_len(start, limit);
                std::slice::from_raw_parts(start, n)
            };
            crate::convert::strings::new_bytes(py, bytes)?.into_py_any(py)
        }
        Shape::WideChar { size } => {
            // SAFETY: `c` is live and not in the NULL page (checked above);
            // `limit` keeps the read within the array's length and within
            // the memory its owner holds when that is known; otherwise it is
            // C's string, read up to its NUL as cffi reads it.
            let units = unsafe { units_until_nul(c.addr, size, limit) };
            decode_wide(&units, size).into_py_any(py)
        }
        _ => Err(unexpected(c)),
    }
}

fn unexpected(c: &CData) -> PyErr {
    PyTypeError::new_err(format!(
        "string(): unexpected cdata '{}' argument",
        c.reg.cname(c.ty)
    ))
}

pub fn unpack(py: Python<'_>, c: &CData, length: isize) -> PyResult<Py<PyAny>> {
    let Some((item, item_shape, len)) = items(c) else {
        return Err(PyTypeError::new_err(format!(
            "expected a pointer or array, got '{}'",
            c.reg.cname(c.ty)
        )));
    };
    let Ok(length) = usize::try_from(length) else {
        return Err(PyValueError::new_err("'length' cannot be negative"));
    };
    let size = c.reg.size_of(item).unwrap_or(0);
    if size == 0 {
        let ptr = c.reg.with(|t| t.pointer_to(item));
        return Err(PyValueError::new_err(format!(
            "'{}' points to items of unknown size",
            c.reg.cname(ptr)
        )));
    }
    if c.addr == 0 {
        return Err(PyRuntimeError::new_err(format!(
            "cannot use unpack() on <cdata '{}' NULL>",
            c.reg.cname(c.ty)
        )));
    }
    if length > 0 {
        c.refuse_null(c.addr)?;
    }
    // As cffi, the result is made first: a length no memory can hold is a
    // MemoryError. Then the items are read, but never past the array's
    // length or the memory its owner holds, where cffi would read on.
    let within = |n: usize| -> PyResult<()> {
        let fits = len.is_none_or(|l| n <= l)
            && n.checked_mul(size)
                .is_some_and(|bytes| c.owner.covers(c.addr, bytes));
        if fits {
            Ok(())
        } else {
            Err(PyIndexError::new_err(format!(
                "unpack(): {n} items from cdata '{}' reach beyond the memory it points into ({} items)",
                c.reg.cname(c.ty),
                len.or_else(|| c.owner.room_from(c.addr).map(|r| r / size)).unwrap_or(0)
            )))
        }
    };
    match item_shape {
        Shape::Char => {
            let bytes = PyBytes::new_with(py, length, |buf| {
                within(length)?;
                // SAFETY: `length` bytes from this pointer: within its memory
                // when that is known (just checked), as the caller asks in C.
                unsafe {
                    std::ptr::copy_nonoverlapping(c.addr as *const u8, buf.as_mut_ptr(), length)
                };
                Ok(())
            })?;
            bytes.into_py_any(py)
        }
        Shape::WideChar { size } => {
            let mut units: Vec<u32> = Vec::new();
            units
                .try_reserve_exact(length)
                .map_err(|_| PyMemoryError::new_err(()))?;
            within(length)?;
            let scalar = Scalar::Int {
                size,
                signed: false,
            };
            units.extend((0..length).map(|i| {
                // SAFETY: as above, `length` items from this pointer.
                match unsafe { memory::read((c.addr + i * size as usize) as *const u8, scalar) } {
                    Value::Int(u) => u as u32,
                    _ => 0,
                }
            }));
            decode_wide(&units, size).into_py_any(py)
        }
        _ => {
            let list = new_list(py, length)?;
            within(length)?;
            let shape = c.reg.shape(item);
            for i in 0..length {
                // SAFETY: item `i < length` of `c`, which is live and not in
                // the NULL page; `within` checked `length` items against the
                // array's length and its owner's memory (else they are C's,
                // as the caller says); the cdata made for array or record
                // items hold `c.owner`.
                let v = unsafe {
                    convert::read_shaped(py, &c.reg, item, shape, c.addr + i * size, &c.owner)?
                };
                // SAFETY: `i` is below the list's length; its slot is empty,
                // and the reference is given to the list.
                unsafe { pyo3::ffi::PyList_SET_ITEM(list.as_ptr(), i as isize, v.into_ptr()) };
            }
            Ok(list.unbind())
        }
    }
}

/// A list of `n` empty slots, to be filled in order; MemoryError when
/// Python cannot allocate it, as for cffi.
fn new_list(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyAny>> {
    let n = isize::try_from(n).map_err(|_| PyMemoryError::new_err(()))?;
    // SAFETY: a new reference or NULL with an exception set. A list whose
    // slots are still NULL may be dropped: its deallocation skips them.
    unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyList_New(n)) }
}

/// A bytes object holding a copy of `data`; MemoryError when Python cannot
/// allocate it (pyo3's `PyBytes::new` panics then).
pub fn new_bytes<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    // SAFETY: `data` is valid for `data.len()` bytes (a slice never holds
    // more than isize::MAX); CPython copies them into a new object or
    // returns NULL with an exception set.
    let obj = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyBytes_FromStringAndSize(data.as_ptr().cast(), data.len() as isize),
        )?
    };
    // SAFETY: PyBytes_FromStringAndSize returns a bytes object.
    Ok(unsafe { obj.cast_into_unchecked() })
}
