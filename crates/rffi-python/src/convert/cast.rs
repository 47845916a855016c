//! `ffi.cast`: C's explicit conversions.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyComplex, PyFloat, PyString};
use rffi_call::Value;
use rffi_types::{truncate, TypeId};

use crate::cdata::object::CDataGet;
use crate::cdata::value::CData;
use crate::convert::value as convert;
use crate::memory::owner::Owner;
use crate::model::registry::{Registry, Shape};
use rffi_call::ShapeScalar;

/// What a value being cast carries.
enum Source {
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    /// A pointer or array cdata: its address, and what keeps it alive.
    Address(usize, Owner, TypeId),
}

/// The integer of a wide character cdata, as C converts it: `wchar_t` is a
/// signed type on most targets (`(long long)(wchar_t)-1` is -1), while cdata
/// hold all wide characters as unsigned units.
fn signed_wide_char(c: &CData, i: i128) -> i128 {
    let Shape::WideChar { size } = c.shape() else {
        return i;
    };
    let signed = c.reg.with(|t| {
        matches!(t.get(c.ty), rffi_types::Type::Prim(p)
            if matches!(p.class(), rffi_types::PrimClass::WideChar { signed: true }))
    });
    if signed {
        truncate(i, usize::from(size), true)
    } else {
        i
    }
}

/// What `obj` carries, for a cast to the type named `target`.
fn source(obj: &Bound<'_, PyAny>, target: &dyn Fn() -> String) -> PyResult<Source> {
    if let Some(i) = crate::convert::value::small_int(obj) {
        return Ok(Source::Int(i));
    }
    if let Ok(c) = obj.cast::<CData>() {
        let c = c.cdata();
        return Ok(match c.shape() {
            Shape::Pointer { .. } | Shape::Array { .. } | Shape::Function => {
                c.live()?;
                Source::Address(c.addr, c.owner.clone(), c.ty)
            }
            _ => match (c.integer_value()?, c.complex_value()?) {
                (Some(i), _) => Source::Int(signed_wide_char(c, i)),
                (None, Some((re, 0.0))) => Source::Float(re),
                (None, Some((re, im))) => Source::Complex(re, im),
                _ => {
                    return Err(PyTypeError::new_err(format!(
                        "cannot cast cdata '{}'",
                        c.reg.cname(c.ty)
                    )))
                }
            },
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Source::Float(f.value()));
    }
    if let Ok(c) = obj.cast::<PyComplex>() {
        return Ok(Source::Complex(c.real(), c.imag()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        if let [byte] = b.as_bytes() {
            return Ok(Source::Int(i128::from(*byte)));
        }
        return Err(PyTypeError::new_err(
            "initializer for ctype 'char' must be a bytes of length 1, not bytes",
        ));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        // Code points, lone surrogates included.
        let points = convert::wide_units(s, 4)?;
        if let [ch] = points[..] {
            return Ok(Source::Int(i128::from(ch)));
        }
        return Err(PyTypeError::new_err(format!(
            "cannot cast unicode string of length {} to ctype '{}'",
            points.len(),
            target()
        )));
    }
    match convert::to_integer(obj) {
        Ok(i) => Ok(Source::Int(i)),
        Err(_) if obj.is_instance_of::<pyo3::types::PyInt>() => {
            // Beyond i128: only the low bits matter to any C integer.
            let low: u128 = obj.call_method1("__and__", (u128::MAX,))?.extract()?;
            Ok(Source::Int(low as i128))
        }
        Err(e) => Err(e),
    }
}

/// The low 128 bits of the integer part of `f`, as cffi gets it through
/// Python's `int()`: NaN and infinities raise as `int()` does.
fn float_bits(py: Python<'_>, f: f64) -> PyResult<i128> {
    let whole = PyFloat::new(py, f).call_method0("__int__")?;
    let low: u128 = whole.call_method1("__and__", (u128::MAX,))?.extract()?;
    Ok(low as i128)
}

/// `ffi.cast` to `ty` (of shape `shape`), as a new object.
pub fn cast_object<'py>(
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, CData>> {
    let py = value.py();
    // The commonest cast, an int to a pointer (`ffi.cast("T *", 0)`), needs nothing more.
    if let (Shape::Pointer { .. }, Some(i)) = (shape, convert::small_int(value)) {
        let addr = truncate(i, std::mem::size_of::<usize>(), false) as usize;
        return crate::cdata::object::new_with(py, || {
            CData::shaped(reg, ty, shape, addr, Owner::none())
        });
    }
    crate::cdata::object::new(py, cast(reg, ty, shape, value)?)
}

/// `ffi.cast` to `ty` (of shape `shape`).
#[inline(never)]
pub fn cast(
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    value: &Bound<'_, PyAny>,
) -> PyResult<CData> {
    let py = value.py();
    // As cffi: `ffi.cast("FILE *", f)` of a Python file gives its C stream.
    if let Shape::Pointer { item } = shape {
        if !value.is_instance_of::<CData>()
            && matches!(reg.shape(item), Shape::Record { .. })
            && reg.cname(item) == "FILE"
            && crate::convert::file::is_file(value)?
        {
            let stream = crate::convert::file::stream_of(value)?;
            return Ok(CData::shaped(reg, ty, shape, stream, Owner::none()));
        }
    }
    // The name is only for error messages: spelling it costs more than the cast.
    let src = source(value, &|| reg.cname(ty))?;
    let cannot = |from: &str| {
        PyTypeError::new_err(format!("cannot cast {from} to ctype '{}'", reg.cname(ty)))
    };
    match shape {
        Shape::Pointer { .. } | Shape::Array { .. } => {
            let (addr, owner) = match src {
                Source::Int(i) => (
                    truncate(i, std::mem::size_of::<usize>(), false) as usize,
                    Owner::none(),
                ),
                Source::Float(f) => (
                    truncate(float_bits(py, f)?, std::mem::size_of::<usize>(), false) as usize,
                    Owner::none(),
                ),
                Source::Address(a, owner, _) => (a, owner),
                Source::Complex(..) => return Err(cannot("complex")),
            };
            Ok(CData::shaped(reg, ty, shape, addr, owner))
        }
        Shape::Int { .. } | Shape::Char | Shape::WideChar { .. } | Shape::Bool => {
            let v = match src {
                Source::Int(i) => i,
                Source::Float(f) if shape == Shape::Bool => i128::from(f != 0.0),
                Source::Float(f) => float_bits(py, f)?,
                Source::Address(a, ..) => a as i128,
                // cffi asks complex numbers for an integer, which they refuse.
                Source::Complex(..) => return Err(PyTypeError::new_err("an integer is required")),
            };
            let v = match shape {
                Shape::Bool => i128::from(v != 0),
                _ => {
                    let s = shape.scalar().expect("integers are scalars");
                    let (size, signed) = match s {
                        rffi_call::Scalar::Int { size, signed } => (size as usize, signed),
                        _ => (8, true),
                    };
                    truncate(v, size, signed)
                }
            };
            CData::value(reg, ty, Value::Int(v))
        }
        Shape::Float { .. } | Shape::LongDouble => match src {
            Source::Int(i) => CData::value(reg, ty, Value::Float(i as f64)),
            Source::Float(f) => CData::value(reg, ty, Value::Float(f)),
            Source::Address(_, _, from) => Err(PyTypeError::new_err(format!(
                "cannot cast ctype '{}' to ctype '{}'",
                reg.cname(from),
                reg.cname(ty)
            ))),
            Source::Complex(..) => Err(cannot("complex")),
        },
        Shape::Complex { .. } => match src {
            Source::Int(i) => CData::value(reg, ty, Value::Complex(i as f64, 0.0)),
            Source::Float(f) => CData::value(reg, ty, Value::Complex(f, 0.0)),
            Source::Complex(re, im) => CData::value(reg, ty, Value::Complex(re, im)),
            Source::Address(..) => Err(cannot("a pointer")),
        },
        Shape::Void | Shape::Record { .. } | Shape::Function => Err(PyTypeError::new_err(format!(
            "cannot cast to ctype '{}'",
            reg.cname(ty)
        ))),
    }
}
