//! The general path of the CData slots (`glue::cdata_type`): what a cdata
//! does as a Python object — repr, truth, numbers, comparison and hash,
//! items and members, arithmetic, iteration — with every error cffi gives.
//! The fast paths of `glue::fast_slots` answer the common cases first.

use crate::model::registry::node;
use std::sync::Arc;

use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PySlice, PyString};
use pyo3::IntoPyObjectExt;
use rffi_call::Value;
use rffi_types::TypeId;

use crate::cdata::object::CDataGet;
use crate::cdata::value::{index_of, writing_into, CData, Origin};
use crate::convert::value as convert;
use crate::model::registry::{Registry, Shape};

impl CData {
    /// The Python value a primitive cdata compares and hashes as (cffi
    /// converts it, then lets Python compare); `None` for pointers, arrays,
    /// records and functions, which compare by address.
    fn comparable_value(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let shape = self.shape();
        if !shape.is_primitive() {
            return Ok(None);
        }
        if shape == Shape::LongDouble {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err(format!(
                "cannot use <cdata '{}'> in a comparison",
                self.cname()
            )));
        }
        let v = self.scalar_value().unwrap_or(Value::Int(0));
        convert::scalar_to_py(py, &self.reg, self.ty, shape, v).map(Some)
    }

    fn repr_value(&self, py: Python<'_>) -> PyResult<String> {
        let shape = self.shape();
        let v = self.scalar_value().unwrap_or(Value::Int(0));
        Ok(match (shape, v) {
            (Shape::LongDouble, Value::Float(f)) => format_long_double(f),
            (Shape::Int { is_enum: true, .. }, Value::Int(i)) => match self.enum_name(i) {
                Some(name) => format!("{i}: {name}"),
                None => i.to_string(),
            },
            _ => {
                let obj = convert::scalar_to_py(py, &self.reg, self.ty, shape, v)?;
                obj.bind(py).repr()?.to_string()
            }
        })
    }
}

/// cffi prints `long double` with C's `%LE`: six decimals and an exponent.
fn format_long_double(f: f64) -> String {
    if f.is_nan() {
        return "NAN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "INF" } else { "-INF" }.to_string();
    }
    let s = format!("{f:.6E}");
    match s.split_once('E') {
        Some((mant, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mant}E{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// What the slots of the CData type do on their general path.
impl CData {
    pub fn repr_text(&self, py: Python<'_>) -> PyResult<String> {
        let name = self.cname();
        let text = match &self.origin {
            Origin::Value => self.repr_value(py)?,
            Origin::Owning => format!("owning {} bytes", self.owned_size()),
            Origin::Sliced => format!("sliced length {}", self.array_len().unwrap_or(0)),
            Origin::Buffer => {
                let from = match self.extras().and_then(|e| e.from.as_ref()) {
                    Some(t) => t.bind(py).fully_qualified_name()?.to_string(),
                    None => "?".to_string(),
                };
                match (self.shape(), self.items()) {
                    (Shape::Array { .. }, Some((_, _, Some(len)))) => {
                        format!("buffer len {len} from '{from}' object")
                    }
                    _ => format!("buffer from '{from}' object"),
                }
            }
            Origin::Callback => format!(
                "calling {}",
                self.extras()
                    .and_then(|e| e.callback.as_deref())
                    .unwrap_or("?")
            ),
            Origin::Handle => format!(
                "handle to {}",
                crate::cdata::handle::describe(py, self.addr)?
            ),
            Origin::Reference => return Ok(format!("<cdata '{name} &' 0x{:x}>", self.addr)),
            Origin::Plain if self.addr == 0 => "NULL".to_string(),
            Origin::Plain => format!("0x{:x}", self.addr),
        };
        Ok(format!("<cdata '{name}' {text}>"))
    }

    pub fn truth(&self) -> bool {
        match self.scalar_value() {
            Some(Value::Int(i)) => i != 0,
            Some(Value::Float(f)) => f != 0.0,
            Some(Value::Complex(re, im)) => re != 0.0 || im != 0.0,
            Some(Value::Pointer(p)) => p != 0,
            None => self.addr != 0,
        }
    }

    pub fn int_value(&self) -> PyResult<i128> {
        match (self.shape(), self.scalar_value()) {
            (Shape::Pointer { .. }, _) | (_, None) => Err(PyTypeError::new_err(format!(
                "int() not supported on cdata '{}'",
                self.cname()
            ))),
            (_, Some(Value::Int(i))) => Ok(i),
            (_, Some(Value::Float(f))) => Ok(f as i128),
            (_, Some(_)) => Err(PyTypeError::new_err(format!(
                "int() not supported on cdata '{}'",
                self.cname()
            ))),
        }
    }

    pub fn float_number(&self) -> PyResult<f64> {
        match self.scalar_value() {
            Some(Value::Float(f)) => Ok(f),
            _ => Err(PyTypeError::new_err(format!(
                "float() not supported on cdata '{}'",
                self.cname()
            ))),
        }
    }

    pub fn complex<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyComplex>> {
        match self.complex_value()? {
            Some((re, im)) => Ok(pyo3::types::PyComplex::from_doubles(py, re, im)),
            None => Err(PyTypeError::new_err(format!(
                "complex() not supported on cdata '{}'",
                self.cname()
            ))),
        }
    }

    /// As cffi: a primitive hashes as its Python value, anything else as its address.
    pub fn hash_value(&self, py: Python<'_>) -> PyResult<isize> {
        match self.comparable_value(py) {
            Ok(Some(v)) => v.bind(py).hash(),
            _ => Ok(self.addr as isize),
        }
    }

    /// As cffi: pointers (and arrays, records, functions) compare by address
    /// with each other only; primitives compare as their Python values.
    pub fn compare(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let other_cdata = other.cast::<CData>().ok().map(|o| o.cdata());
        let mine = self.comparable_value(py)?;
        let theirs = match other_cdata {
            Some(o) => o.comparable_value(py)?,
            None => Some(other.clone().unbind()),
        };
        match (mine, theirs, other_cdata) {
            (None, None, Some(o)) => op.matches(self.addr.cmp(&o.addr)).into_py_any(py),
            (Some(a), Some(b), _) => Ok(a.bind(py).rich_compare(b.bind(py), op)?.unbind()),
            _ => Ok(py.NotImplemented()),
        }
    }

    pub fn get_item(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let (item, start, len) = self.slice_bounds(slice)?;
            let ty = self.reg.with(|t| t.array_of(item, None));
            return CData::made(
                node(&self.reg, ty, Origin::Sliced, false),
                start,
                self.owner.clone(),
            )
            .with_len(Some(len))
            .into_py_any(py);
        }
        let i = index_of(key)?;
        let (item, addr) = self.item_addr(i)?;
        if i == 0 {
            if let (Origin::Owning, Shape::Pointer { .. }, Shape::Record { .. }) =
                (self.origin, self.shape(), self.reg.shape(item))
            {
                // cffi: the struct a `new`ed pointer points to shows as owning.
                return CData::made(
                    node(&self.reg, item, Origin::Owning, false),
                    addr,
                    self.owner.clone(),
                )
                .into_py_any(py);
            }
        }
        // SAFETY: `item_addr` checked that this cdata is live, that `addr`
        // is outside the NULL page, within the array's length and within
        // the memory its owner holds when that is known (else it is C's
        // memory, as the pointer's type says); cdata made for array or record
        // items hold `self.owner`.
        unsafe { convert::read(py, &self.reg, item, addr, &self.owner) }
    }

    pub fn set_item(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let (item, start, len) = self.slice_bounds(slice)?;
            return writing_into(&self.owner, || {
                // SAFETY: `slice_bounds` checked the `len` items from `start`
                // (live, outside the NULL page, within the array's length and
                // the owner's memory when known); `writing_into` keeps that
                // memory in place while Python code runs in the conversion.
                unsafe { assign_slice(py, &self.reg, item, start, len, value) }
            });
        }
        let i = index_of(key)?;
        let (item, addr) = self.item_addr(i)?;
        writing_into(&self.owner, || {
            // SAFETY: `item_addr` checked the item at `addr` (live, outside
            // the NULL page, within the array's length and the owner's memory
            // when known); `writing_into` keeps that memory in place while
            // the conversion runs Python code; `end` is the owner's end.
            unsafe { convert::write_within(py, &self.reg, item, addr, value, self.owner.end()) }
        })
    }

    /// Fields first (as cffi does), then ordinary attributes such as methods.
    /// Taking over `__getattribute__` spares a struct field read the
    /// AttributeError that a `__getattr__` fallback would cost.
    pub fn getattribute(slf: &Bound<'_, Self>, name: &Bound<'_, PyString>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.cdata();
        if this.record_for_fields().is_some() {
            let key = name.to_str()?;
            if !key.starts_with("__") {
                return this.with_field(key, false, |base, f| {
                    // SAFETY: `with_field` checked that `this` is live, that
                    // the record at `base` is outside the NULL page and that
                    // the member's bytes lie in the owner's memory when that
                    // is known (else the record is C's, as the pointer's type
                    // says); `this.owner` keeps them.
                    unsafe {
                        convert::read_field(
                            py,
                            &this.reg,
                            base,
                            &f.field,
                            f.shape,
                            &this.owner,
                            this.origin == Origin::Owning,
                        )
                    }
                });
            }
        }
        // SAFETY: both pointers are live objects for the duration of the call;
        // the result is a new reference or NULL with an exception set.
        let found = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                pyo3::ffi::PyObject_GenericGetAttr(slf.as_ptr(), name.as_ptr()),
            )
        };
        found.map(Bound::unbind).map_err(|e| {
            if e.is_instance_of::<PyAttributeError>(py) {
                this.missing_attribute(&name.to_string_lossy())
            } else {
                e
            }
        })
    }

    /// cffi's error for an attribute that neither a member nor Python's
    /// lookup found.
    fn missing_attribute(&self, name: &str) -> PyErr {
        match self.record_for_fields() {
            Some((rec, _)) => self
                .opaque_error(rec, false)
                .unwrap_or_else(|| self.no_field(name)),
            None => PyAttributeError::new_err(format!(
                "cdata '{}' has no attribute '{name}'",
                self.cname()
            )),
        }
    }

    pub fn set_attribute(
        &self,
        py: Python<'_>,
        name: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.with_field(name, true, |base, f| {
            writing_into(&self.owner, || {
                // SAFETY: `with_field` checked the member (live, outside the
                // NULL page, its bytes in the owner's memory when known);
                // `writing_into` keeps that memory in place while the
                // conversion runs Python code; `end` is the owner's end.
                unsafe {
                    convert::write_field_within(
                        py,
                        &self.reg,
                        base,
                        &f.field,
                        value,
                        self.owner.end(),
                    )
                }
            })
        })
    }

    /// `del s.x`: as cffi, a member cannot be deleted.
    pub fn delete_attribute(&self, name: &str) -> PyResult<()> {
        self.with_field(name, false, |_, _| {
            Err(PyAttributeError::new_err("cannot delete struct field"))
        })
    }

    pub fn subtract(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(o) = other.cast::<CData>() {
            return self.pointer_difference(o.cdata())?.into_py_any(py);
        }
        let n: isize = other.extract()?;
        self.pointer_arith(py, n.wrapping_neg())
    }

    pub fn iterate(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let n = match self.items() {
            Some((_, _, Some(n))) => n,
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "cdata '{}' does not support iteration",
                    self.cname()
                )))
            }
        };
        let Some((item, size, _)) = self.items() else {
            return Err(PyTypeError::new_err("not iterable"));
        };
        if n > 0 {
            self.refuse_null(self.addr)?;
            self.refuse_outside(self.addr, n.saturating_mul(size))?;
        }
        // SAFETY: the `n` items were just checked (live, outside the NULL
        // page, within the owner's memory when known; `n` is the array's
        // length); cdata made for array or record items hold `self.owner`.
        let list =
            unsafe { convert::read_items(py, &self.reg, item, self.addr, size, n, &self.owner)? };
        Ok(list.call_method0("__iter__")?.unbind())
    }

    /// As cffi: the field names of a struct or union (or of the one a
    /// pointer points to); nothing for other cdata.
    pub fn field_names(&self) -> PyResult<Vec<String>> {
        let Some((rec, _)) = self.record_for_fields() else {
            return Ok(Vec::new());
        };
        let fields = self.reg.with(|t| t.flat_fields(rec));
        Ok(fields
            .map(|f| f.into_iter().map(|f| f.name).collect())
            .unwrap_or_default())
    }
}

/// `p[a:b] = values`: a list, tuple or array cdata of exactly `len` items.
///
/// # Safety
/// `start` starts `len` writable items of type `item`, allocated until this
/// returns although the conversion runs Python code (see `writing_into`).
unsafe fn assign_slice(
    py: Python<'_>,
    reg: &Arc<Registry>,
    item: TypeId,
    start: usize,
    len: usize,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let size = reg.size_of(item).unwrap_or(0);
    // As cffi: only an array of the same item type is copied as bytes; any
    // other cdata is iterated and its items converted (or refused) one by
    // one. (Copying `len * size` bytes from an array of smaller items would
    // read past its end.)
    let same_items = |c: &CData| match c.shape() {
        Shape::Array { item: theirs, .. } => reg.translate(&c.reg, theirs).ok() == Some(item),
        _ => false,
    };
    if let Some(c) = value.cast::<CData>().ok().filter(|c| same_items(c.cdata())) {
        let c = c.cdata();
        let n = c.length()?;
        if n != len {
            return Err(PyValueError::new_err(format!(
                "need a cdata of length {len}, got {n}"
            )));
        }
        c.live()?;
        c.refuse_outside(c.addr, len * size)?;
        // SAFETY: the destination holds `len` writable items, per this
        // function's contract; the source is a live array cdata of `len`
        // items of the same type, checked against its owner's memory when
        // that is known. `copy` allows the two to overlap.
        unsafe { std::ptr::copy(c.addr as *const u8, start as *mut u8, len * size) };
        return Ok(());
    }
    if let Ok(b) = value.cast::<pyo3::types::PyBytes>() {
        if size == 1 {
            let bytes = b.as_bytes();
            if bytes.len() != len {
                return Err(PyValueError::new_err(format!(
                    "need a string of length {len}, got {}",
                    bytes.len()
                )));
            }
            // SAFETY: the destination holds `len` writable one-byte items,
            // per this function's contract, and `bytes` has `len` bytes.
            // `copy` (memmove): the destination may be `ffi.from_buffer` of
            // this very bytes object.
            unsafe { std::ptr::copy(bytes.as_ptr(), start as *mut u8, len) };
            return Ok(());
        }
    }
    let items: Vec<Bound<'_, PyAny>> = value.try_iter()?.collect::<PyResult<_>>()?;
    if items.len() > len {
        return Err(PyValueError::new_err(format!(
            "got more than {len} values to unpack"
        )));
    }
    if items.len() < len {
        return Err(PyValueError::new_err(format!(
            "need {len} values to unpack, got {}",
            items.len()
        )));
    }
    for (i, it) in items.iter().enumerate() {
        // SAFETY: item `i < len` from `start`, per this function's contract.
        unsafe { convert::write(py, reg, item, start + i * size, it)? };
    }
    Ok(())
}
