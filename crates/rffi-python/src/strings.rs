//! `ffi.string` and `ffi.unpack`.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use rffi_call::{memory, Scalar, Value};

use crate::cdata::{CData, Origin};
use crate::convert;
use crate::registry::Shape;

fn items(c: &CData) -> Option<(rffi_types::TypeId, Shape, Option<usize>)> {
    match c.shape() {
        Shape::Pointer { item } => Some((item, c.reg.shape(item), None)),
        Shape::Array { item, len } => Some((item, c.reg.shape(item), len.or(c.array_len()))),
        _ => None,
    }
}

/// Reads code units of `size` bytes from `addr` until a zero or `limit`.
fn units_until_nul(addr: usize, size: u8, limit: Option<usize>) -> Vec<u32> {
    let scalar = Scalar::Int {
        size,
        signed: false,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while limit.is_none_or(|l| i < l) {
        // SAFETY: C strings are read up to their NUL, or within the array's length.
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
        PyBytes::new(py, &bytes).call_method1("decode", (codec, "surrogatepass"))
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
    let limit = match (len, limit_from_max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match item_shape {
        Shape::Char | Shape::Int { size: 1, .. } | Shape::Bool => {
            let start = c.addr as *const u8;
            // SAFETY: C strings are read up to their NUL, or within the
            // array's length (or maxlen) when there is one.
            let bytes = unsafe {
                let n = memory::c_string_len(start, limit);
                std::slice::from_raw_parts(start, n)
            };
            PyBytes::new(py, bytes).into_py_any(py)
        }
        Shape::WideChar { size } => {
            let units = units_until_nul(c.addr, size, limit);
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
    let Some((item, item_shape, _)) = items(c) else {
        return Err(PyTypeError::new_err(format!(
            "expected a pointer or array, got '{}'",
            c.reg.cname(c.ty)
        )));
    };
    let Ok(length) = usize::try_from(length) else {
        return Err(PyValueError::new_err("'length' cannot be negative"));
    };
    if c.reg.size_of(item).unwrap_or(0) == 0 {
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
    match item_shape {
        Shape::Char => {
            // SAFETY: the caller asks for `length` bytes from this pointer, as in C.
            let bytes = unsafe { memory::read_bytes(c.addr as *const u8, length) };
            PyBytes::new(py, &bytes).into_py_any(py)
        }
        Shape::WideChar { size } => {
            let scalar = Scalar::Int {
                size,
                signed: false,
            };
            let units: Vec<u32> = (0..length)
                .map(|i| {
                    // SAFETY: as above, `length` items from this pointer.
                    match unsafe { memory::read((c.addr + i * size as usize) as *const u8, scalar) }
                    {
                        Value::Int(u) => u as u32,
                        _ => 0,
                    }
                })
                .collect();
            decode_wide(&units, size).into_py_any(py)
        }
        _ => {
            let size = c.reg.size_of(item).unwrap_or(0);
            let list = convert::read_items(py, &c.reg, item, c.addr, size, length, &c.owner)?;
            list.into_py_any(py)
        }
    }
}
