//! cdata: a C value seen from Python, as (ctype, address, owner).
//!
//! For pointers and function pointers `addr` is the pointer's value; for
//! arrays and records it is where their bytes start; for primitive values it
//! is a small owned cell holding the value.

use std::sync::Arc;

use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyAttributeError, PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice, PyTuple};
use pyo3::IntoPyObjectExt;
use rffi_call::{memory, Value};
use rffi_types::TypeId;

use crate::convert;
use crate::owner::{Memory, Owner};
use crate::registry::{Registry, Shape};

/// How a cdata came to be, which decides its repr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A pointer, an array view, a function: shows the address.
    Plain,
    /// A primitive value (`ffi.cast("int", 5)`): shows the value.
    Value,
    /// Memory from `ffi.new`: shows how many bytes it owns.
    Owning(usize),
    /// A struct reached through a pointer or a field: `'struct p &'`.
    Reference,
    /// A slice `p[a:b]`.
    Sliced,
    /// `ffi.from_buffer`: the length and the exporter's type name.
    Buffer { len: usize, from: String },
    /// `ffi.callback`: the repr of the Python function it calls.
    Callback(String),
    /// `ffi.new_handle`: the repr of the object it stands for.
    Handle(String),
}

#[pyclass(name = "CData", module = "rffi", frozen, weakref)]
pub struct CData {
    pub reg: Arc<Registry>,
    pub ty: TypeId,
    pub addr: usize,
    pub owner: Owner,
    /// The number of items of an array whose type has no length (`int[]`).
    pub len: Option<usize>,
    pub origin: Origin,
    /// The call plan of a function pointer, found on its first call so
    /// later calls neither lock nor hash.
    pub plan: std::sync::OnceLock<Arc<rffi_call::CallPlan>>,
}

impl CData {
    pub fn plain(reg: &Arc<Registry>, ty: TypeId, addr: usize, owner: Owner) -> CData {
        CData {
            reg: reg.clone(),
            ty,
            addr,
            owner,
            len: None,
            origin: Origin::Plain,
            plan: std::sync::OnceLock::new(),
        }
    }

    /// A primitive cdata holding `v` in its own cell.
    pub fn value(reg: &Arc<Registry>, ty: TypeId, v: Value) -> PyResult<CData> {
        let shape = reg.shape(ty);
        let scalar = shape.scalar().ok_or_else(|| {
            PyTypeError::new_err(format!("cannot cast to ctype '{}'", reg.cname(ty)))
        })?;
        if let Shape::Pointer { .. } = shape {
            let Value::Pointer(p) = v else {
                return Err(PyTypeError::new_err("a pointer value is required"));
            };
            return Ok(CData::plain(reg, ty, p, Owner::None));
        }
        let mem = Memory::zeroed(16, 16)?;
        // SAFETY: the cell has 16 bytes, enough for any scalar.
        unsafe { memory::write(mem.addr() as *mut u8, scalar, v) };
        Ok(CData {
            addr: mem.addr(),
            owner: Owner::Memory(mem),
            origin: Origin::Value,
            ..CData::plain(reg, ty, 0, Owner::None)
        })
    }

    pub fn shape(&self) -> Shape {
        self.reg.shape(self.ty)
    }

    fn cname(&self) -> String {
        self.reg.cname(self.ty)
    }

    /// The address a pointer initialized from this cdata gets.
    pub fn pointer_target(&self) -> usize {
        self.addr
    }

    /// The primitive value of a value cdata, read from its cell.
    fn scalar_value(&self) -> Option<Value> {
        let shape = self.shape();
        if !shape.is_primitive() {
            return None;
        }
        let s = shape.scalar()?;
        // SAFETY: primitive cdata own a cell holding a value of their type.
        Some(unsafe { memory::read(self.addr as *const u8, s) })
    }

    /// The integer of an integer-like cdata (ints, chars, bools, enums, and
    /// pointers, whose value is their address); `None` for other cdata.
    pub fn integer_value(&self) -> PyResult<Option<i128>> {
        Ok(match (self.shape(), self.scalar_value()) {
            (Shape::Pointer { .. }, _) => Some(self.addr as i128),
            (_, Some(Value::Int(i))) => Some(i),
            _ => None,
        })
    }

    /// The number of a float cdata.
    pub fn float_value(&self) -> PyResult<Option<f64>> {
        Ok(match self.scalar_value() {
            Some(Value::Float(f)) => Some(f),
            _ => None,
        })
    }

    pub fn complex_value(&self) -> PyResult<Option<(f64, f64)>> {
        Ok(match self.scalar_value() {
            Some(Value::Complex(re, im)) => Some((re, im)),
            Some(Value::Float(f)) => Some((f, 0.0)),
            _ => None,
        })
    }

    /// Item type, item size and number of items, for arrays and pointers.
    fn items(&self) -> Option<(TypeId, usize, Option<usize>)> {
        match self.shape() {
            Shape::Array { item, len } => {
                let size = self.reg.size_of(item).unwrap_or(0);
                Some((item, size, len.or(self.len)))
            }
            Shape::Pointer { item } => Some((item, self.reg.size_of(item).unwrap_or(0), None)),
            _ => None,
        }
    }

    /// Bytes covered: the whole array or record, or the pointed-to item.
    pub fn byte_size(&self) -> usize {
        match self.items() {
            Some((_, size, Some(n))) => size * n,
            Some((_, size, None)) => size,
            None => self.reg.size_of(self.ty).unwrap_or(0),
        }
    }

    /// The address of item `i`, checked against the array's length.
    fn item_addr(&self, i: isize) -> PyResult<(TypeId, usize)> {
        let Some((item, size, len)) = self.items() else {
            return Err(PyTypeError::new_err(format!(
                "cdata of type '{}' cannot be indexed",
                self.cname()
            )));
        };
        if size == 0 {
            return Err(PyTypeError::new_err(format!(
                "cdata '{}' points to items of unknown size",
                self.cname()
            )));
        }
        if let Some(n) = len {
            if i < 0 {
                return Err(PyIndexError::new_err("negative index"));
            }
            if i as usize >= n {
                return Err(PyIndexError::new_err(format!(
                    "index too large for cdata '{}' (expected {i} < {n})",
                    self.cname()
                )));
            }
        }
        Ok((item, self.addr.wrapping_add_signed(i * size as isize)))
    }

    fn slice_bounds(&self, slice: &Bound<'_, PySlice>) -> PyResult<(TypeId, usize, usize)> {
        let get = |name: &str| -> PyResult<Option<isize>> {
            let v = slice.getattr(name)?;
            if v.is_none() {
                Ok(None)
            } else {
                v.extract().map(Some)
            }
        };
        if get("step")?.is_some() {
            return Err(PyIndexError::new_err("slice with step not supported"));
        }
        let (item, size, len) = self.items().ok_or_else(|| {
            PyTypeError::new_err(format!(
                "cdata of type '{}' cannot be indexed",
                self.cname()
            ))
        })?;
        let start = match get("start")? {
            Some(s) => s,
            None if len.is_some() => 0,
            None => return Err(PyIndexError::new_err("slice start must be specified")),
        };
        let stop = match (get("stop")?, len) {
            (Some(s), _) => s,
            (None, Some(n)) => n as isize,
            (None, None) => return Err(PyIndexError::new_err("slice stop must be specified")),
        };
        if start < 0 || stop < 0 {
            return Err(PyIndexError::new_err("negative index"));
        }
        if start > stop {
            return Err(PyIndexError::new_err(format!(
                "slice start > stop ({start} > {stop})"
            )));
        }
        if let Some(n) = len {
            if stop as usize > n {
                return Err(PyIndexError::new_err(format!(
                    "index too large (expected {stop} <= {n})"
                )));
            }
        }
        Ok((
            item,
            self.addr + start as usize * size,
            (stop - start) as usize,
        ))
    }

    /// The record a field access goes to: the struct itself or the one a
    /// pointer points to.
    fn record_for_fields(&self) -> Option<(TypeId, usize)> {
        match self.shape() {
            Shape::Record { .. } => Some((self.ty, self.addr)),
            Shape::Pointer { item } => match self.reg.shape(item) {
                Shape::Record { .. } => Some((item, self.addr)),
                _ => None,
            },
            _ => None,
        }
    }

    fn field(&self, name: &str) -> PyResult<(usize, rffi_types::Field)> {
        let Some((rec, base)) = self.record_for_fields() else {
            return Err(PyAttributeError::new_err(format!(
                "cdata '{}' has no attribute '{name}'",
                self.cname()
            )));
        };
        if base == 0 {
            return Err(PyValueError::new_err(format!(
                "cannot access field '{name}' through a NULL pointer '{}'",
                self.cname()
            )));
        }
        let found = self.reg.with(|t| t.field(rec, name));
        match found {
            Ok(f) => Ok((base, f)),
            Err(e) if e.kind == rffi_types::ErrorKind::NoSuchField => {
                Err(PyAttributeError::new_err(format!(
                    "cdata '{}' has no field '{name}'",
                    self.cname()
                )))
            }
            Err(e) => Err(crate::errors::type_error(e)),
        }
    }

    fn pointer_arith(&self, py: Python<'_>, delta: isize) -> PyResult<Py<PyAny>> {
        let Some((item, size, _)) = self.items() else {
            return Ok(py.NotImplemented());
        };
        let ptr_ty = self.reg.with(|t| t.pointer_to(item));
        let addr = self
            .addr
            .wrapping_add_signed(delta.wrapping_mul(size as isize));
        CData::plain(&self.reg, ptr_ty, addr, self.owner.clone()).into_py_any(py)
    }

    fn compare_key(&self) -> Option<CompareKey> {
        match self.shape() {
            Shape::Pointer { .. }
            | Shape::Array { .. }
            | Shape::Record { .. }
            | Shape::Function => Some(CompareKey::Addr(self.addr)),
            _ => match self.scalar_value()? {
                Value::Int(i) => Some(CompareKey::Int(i)),
                Value::Float(f) => Some(CompareKey::Float(f)),
                _ => None,
            },
        }
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

    pub fn enum_name(&self, v: i128) -> Option<String> {
        self.reg.with(|t| match t.get(self.ty) {
            rffi_types::Type::Enum(e) => t
                .enum_def(*e)
                .variants
                .as_ref()?
                .iter()
                .find(|(_, x)| *x == v)
                .map(|(n, _)| n.clone()),
            _ => None,
        })
    }

    /// The number of items, for `len()` and iteration.
    pub fn length(&self) -> PyResult<usize> {
        match self.items() {
            Some((_, _, Some(n))) => Ok(n),
            _ => Err(PyTypeError::new_err(format!(
                "cdata of type '{}' has no len()",
                self.cname()
            ))),
        }
    }
}

#[derive(PartialEq, PartialOrd)]
enum CompareKey {
    Addr(usize),
    Int(i128),
    Float(f64),
}

/// cffi prints `long double` with C's `%LE`: six decimals and an exponent.
fn format_long_double(f: f64) -> String {
    if !f.is_finite() {
        return format!("{f}");
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

#[pymethods]
impl CData {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let name = self.cname();
        let text = match &self.origin {
            Origin::Value => self.repr_value(py)?,
            Origin::Owning(n) => format!("owning {n} bytes"),
            Origin::Sliced => format!("sliced length {}", self.len.unwrap_or(0)),
            Origin::Buffer { len, from } => format!("buffer len {len} from '{from}' object"),
            Origin::Callback(func) => format!("calling {func}"),
            Origin::Handle(obj) => format!("handle to {obj}"),
            Origin::Reference => return Ok(format!("<cdata '{name} &' 0x{:x}>", self.addr)),
            Origin::Plain if self.addr == 0 => "NULL".to_string(),
            Origin::Plain => format!("0x{:x}", self.addr),
        };
        Ok(format!("<cdata '{name}' {text}>"))
    }

    fn __bool__(&self) -> bool {
        match self.scalar_value() {
            Some(Value::Int(i)) => i != 0,
            Some(Value::Float(f)) => f != 0.0,
            Some(Value::Complex(re, im)) => re != 0.0 || im != 0.0,
            Some(Value::Pointer(p)) => p != 0,
            None => self.addr != 0,
        }
    }

    fn __int__(&self) -> PyResult<i128> {
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

    fn __index__(&self) -> PyResult<i128> {
        match self.scalar_value() {
            Some(Value::Int(i)) if !matches!(self.shape(), Shape::Pointer { .. }) => Ok(i),
            _ => Err(PyTypeError::new_err(format!(
                "cdata '{}' cannot be interpreted as an integer",
                self.cname()
            ))),
        }
    }

    fn __float__(&self) -> PyResult<f64> {
        match self.scalar_value() {
            Some(Value::Float(f)) => Ok(f),
            _ => Err(PyTypeError::new_err(format!(
                "float() not supported on cdata '{}'",
                self.cname()
            ))),
        }
    }

    fn __complex__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyComplex>> {
        match self.complex_value()? {
            Some((re, im)) => Ok(pyo3::types::PyComplex::from_doubles(py, re, im)),
            None => Err(PyTypeError::new_err(format!(
                "complex() not supported on cdata '{}'",
                self.cname()
            ))),
        }
    }

    fn __len__(&self) -> PyResult<usize> {
        self.length()
    }

    fn __hash__(&self) -> isize {
        match self.compare_key() {
            Some(CompareKey::Int(i)) => i as isize,
            Some(CompareKey::Float(f)) => f.to_bits() as isize,
            _ => self.addr as isize,
        }
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let mine = self.compare_key();
        let theirs = match other.cast::<CData>() {
            Ok(o) => o.get().compare_key(),
            Err(_) => match mine {
                Some(CompareKey::Int(_)) => other.extract::<i128>().ok().map(CompareKey::Int),
                Some(CompareKey::Float(_)) => other.extract::<f64>().ok().map(CompareKey::Float),
                _ => None,
            },
        };
        let (Some(a), Some(b)) = (mine, theirs) else {
            return Ok(match op {
                CompareOp::Eq => false.into_py_any(py)?,
                CompareOp::Ne => true.into_py_any(py)?,
                _ => py.NotImplemented(),
            });
        };
        let same_kind = std::mem::discriminant(&a) == std::mem::discriminant(&b);
        if !same_kind {
            return Ok(match op {
                CompareOp::Eq => false.into_py_any(py)?,
                CompareOp::Ne => true.into_py_any(py)?,
                _ => py.NotImplemented(),
            });
        }
        op.matches(a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Less))
            .into_py_any(py)
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let (item, start, len) = self.slice_bounds(slice)?;
            let ty = self.reg.with(|t| t.array_of(item, None));
            return CData {
                len: Some(len),
                origin: Origin::Sliced,
                ..CData::plain(&self.reg, ty, start, self.owner.clone())
            }
            .into_py_any(py);
        }
        let i: isize = convert::to_integer(key)?
            .try_into()
            .map_err(|_| PyIndexError::new_err("index out of range"))?;
        let (item, addr) = self.item_addr(i)?;
        if i == 0 {
            if let (Origin::Owning(n), Shape::Pointer { .. }, Shape::Record { .. }) =
                (&self.origin, self.shape(), self.reg.shape(item))
            {
                // cffi: the struct a `new`ed pointer points to shows as owning.
                return CData {
                    origin: Origin::Owning(*n),
                    ..CData::plain(&self.reg, item, addr, self.owner.clone())
                }
                .into_py_any(py);
            }
        }
        convert::read(py, &self.reg, item, addr, &self.owner)
    }

    fn __setitem__(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let (item, start, len) = self.slice_bounds(slice)?;
            return assign_slice(py, &self.reg, item, start, len, value);
        }
        let i: isize = convert::to_integer(key)?
            .try_into()
            .map_err(|_| PyIndexError::new_err("index out of range"))?;
        let (item, addr) = self.item_addr(i)?;
        convert::write(py, &self.reg, item, addr, value)
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let (base, f) = self.field(name)?;
        convert::read_field(py, &self.reg, base, &f, &self.owner)
    }

    fn __setattr__(&self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let (base, f) = self.field(name)?;
        convert::write_field(py, &self.reg, base, &f, value)
    }

    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match other.extract::<isize>() {
            Ok(n) => self.pointer_arith(py, n),
            Err(_) => Ok(py.NotImplemented()),
        }
    }

    fn __radd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.__add__(py, other)
    }

    fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(o) = other.cast::<CData>() {
            let o = o.get();
            let (Some((a, size, _)), Some((b, _, _))) = (self.items(), o.items()) else {
                return Ok(py.NotImplemented());
            };
            if a != b {
                return Err(PyTypeError::new_err(format!(
                    "cannot subtract cdata '{}' and cdata '{}'",
                    self.cname(),
                    o.reg.cname(o.ty)
                )));
            }
            let diff = self.addr as isize - o.addr as isize;
            return (diff / size.max(1) as isize).into_py_any(py);
        }
        match other.extract::<isize>() {
            Ok(n) => self.pointer_arith(py, -n),
            Err(_) => Ok(py.NotImplemented()),
        }
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let n = match self.items() {
            Some((_, _, Some(n))) => n,
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "cdata '{}' does not support iteration",
                    self.cname()
                )))
            }
        };
        let (item, size, _) = self.items().expect("arrays have items");
        let list = PyList::empty(py);
        for i in 0..n {
            list.append(convert::read(
                py,
                &self.reg,
                item,
                self.addr + i * size,
                &self.owner,
            )?)?;
        }
        Ok(list.call_method0("__iter__")?.unbind())
    }

    #[pyo3(signature = (*args))]
    fn __call__(slf: &Bound<'_, Self>, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        crate::call::call(slf.py(), slf.get(), args)
    }
}

/// `p[a:b] = values`: a list, tuple or array cdata of exactly `len` items.
fn assign_slice(
    py: Python<'_>,
    reg: &Arc<Registry>,
    item: TypeId,
    start: usize,
    len: usize,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let size = reg.size_of(item).unwrap_or(0);
    if let Ok(c) = value.cast::<CData>() {
        let c = c.get();
        let n = c.length()?;
        if n != len {
            return Err(PyValueError::new_err(format!(
                "need a cdata of length {len}, got {n}"
            )));
        }
        // SAFETY: both ranges hold `len` items of the same size.
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
            // SAFETY: the slice covers `len` one-byte items.
            unsafe { memory::write_bytes(start as *mut u8, bytes) };
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
        convert::write(py, reg, item, start + i * size, it)?;
    }
    Ok(())
}

impl CData {
    /// A new owning cdata holding a copy of the value of type `ty` at `src`
    /// (struct results of calls).
    pub fn owned_copy(reg: &Arc<Registry>, ty: TypeId, src: usize) -> PyResult<CData> {
        let (size, align) = reg
            .with(|t| t.size_align(ty))
            .map_err(crate::errors::type_error)?;
        let mem = Memory::zeroed(size, align)?;
        // SAFETY: `src` holds a value of `ty`, `size` bytes, and `mem` is new.
        unsafe { std::ptr::copy_nonoverlapping(src as *const u8, mem.addr() as *mut u8, size) };
        Ok(new_owned(reg, ty, mem, None))
    }
}

pub fn new_owned(reg: &Arc<Registry>, ty: TypeId, mem: Arc<Memory>, len: Option<usize>) -> CData {
    CData {
        len,
        origin: Origin::Owning(mem.size()),
        ..CData::plain(reg, ty, mem.addr(), Owner::Memory(mem))
    }
}
