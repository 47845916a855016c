//! ctype objects: one per type, with cffi's attributes.

use std::sync::Arc;

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3::IntoPyObjectExt;
use rffi_types::{RecordKind, Type, TypeId};

use crate::base::errors::IntoPyResult;
use crate::model::registry::Registry;

#[pyclass(name = "CType", module = "rffi", frozen, weakref)]
pub struct CType {
    pub reg: Arc<Registry>,
    pub id: TypeId,
    /// The type's shape, if it was final when this object was made (as
    /// `Registry::shape` keeps it): spares `ffi.new` and `ffi.cast` a lookup.
    pub shape: Option<crate::model::registry::Shape>,
}

/// A member of a struct or union, as `ctype.fields` lists it.
#[pyclass(name = "CField", module = "rffi", frozen)]
pub struct CField {
    #[pyo3(get)]
    offset: usize,
    #[pyo3(get, name = "type")]
    ty: Py<CType>,
    #[pyo3(get)]
    bitshift: i64,
    #[pyo3(get)]
    bitsize: i64,
    #[pyo3(get)]
    flags: i64,
}

impl CType {
    /// cffi's AttributeError for an attribute a kind of ctype lacks: just the name.
    fn no_attr(&self, name: &str) -> PyErr {
        PyAttributeError::new_err(name.to_string())
    }

    fn ctype(&self, py: Python<'_>, id: TypeId) -> PyResult<Py<CType>> {
        self.reg.ctype(py, id)
    }

    /// The function type of a function (pointer) ctype.
    fn signature(&self) -> Option<rffi_types::FuncType> {
        self.reg.with(|t| t.function(self.id).cloned())
    }
}

#[pymethods]
impl CType {
    fn __repr__(&self) -> String {
        format!("<ctype '{}'>", self.reg.cname(self.id))
    }

    #[getter]
    fn cname(&self) -> String {
        self.reg.cname(self.id)
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.reg.with(|t| match t.get(self.id) {
            Type::Void => "void",
            Type::Prim(_) => "primitive",
            Type::Pointer(p) if matches!(t.get(*p), Type::Function(_)) => "function",
            Type::Pointer(_) => "pointer",
            Type::Array(..) => "array",
            Type::Record(r) if t.record(*r).kind == RecordKind::Union => "union",
            Type::Record(_) => "struct",
            Type::Enum(_) => "enum",
            Type::Function(_) => "function",
        })
    }

    #[getter]
    fn item(&self, py: Python<'_>) -> PyResult<Py<CType>> {
        let item = self.reg.with(|t| match t.get(self.id) {
            Type::Pointer(i) if !matches!(t.get(*i), Type::Function(_)) => Some(*i),
            Type::Array(i, _) => Some(*i),
            _ => None,
        });
        self.ctype(py, item.ok_or_else(|| self.no_attr("item"))?)
    }

    #[getter]
    fn length(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.reg.with(|t| t.get(self.id).clone()) {
            Type::Array(_, Some(n)) => n.into_py_any(py),
            Type::Array(_, None) => Ok(py.None()),
            _ => Err(self.no_attr("length")),
        }
    }

    #[getter]
    fn fields(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let is_record = self.reg.with(|t| matches!(t.get(self.id), Type::Record(_)));
        if !is_record {
            return Err(self.no_attr("fields"));
        }
        let fields = self.reg.with(|t| {
            if t.record_layout(self.id).is_none() {
                return Ok(None);
            }
            t.flat_fields_in_lists(self.id).map(Some)
        });
        let Some(fields) = fields.py()? else {
            return Ok(py.None());
        };
        let list = PyList::empty(py);
        for (f, skipped) in fields {
            let (offset, bitshift, bitsize) = match f.bits {
                Some(b) => self.bitfield_unit(f.ty, f.offset, b),
                None => (f.offset, -1, -1),
            };
            let field = CField {
                offset,
                ty: self.ctype(py, f.ty)?,
                bitshift,
                bitsize,
                // cffi's BF_IGNORE_IN_CTOR: a list initializer passes over it.
                flags: i64::from(skipped),
            };
            list.append((f.name, Py::new(py, field)?))?;
        }
        list.into_py_any(py)
    }

    #[getter]
    fn args(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let sig = self.signature().ok_or_else(|| self.no_attr("args"))?;
        let items = sig
            .params
            .iter()
            .map(|p| self.ctype(py, *p))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)?.into_py_any(py)
    }

    #[getter]
    fn result(&self, py: Python<'_>) -> PyResult<Py<CType>> {
        let sig = self.signature().ok_or_else(|| self.no_attr("result"))?;
        self.ctype(py, sig.ret)
    }

    #[getter]
    fn ellipsis(&self) -> PyResult<bool> {
        Ok(self
            .signature()
            .ok_or_else(|| self.no_attr("ellipsis"))?
            .variadic)
    }

    /// cffi's `FFI_DEFAULT_ABI` value on this target.
    #[getter]
    fn abi(&self) -> PyResult<i64> {
        self.signature().ok_or_else(|| self.no_attr("abi"))?;
        Ok(libffi_default_abi())
    }

    #[getter]
    fn elements(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let d = PyDict::new(py);
        for (name, v) in self.enum_variants()? {
            d.set_item(v, name)?;
        }
        d.into_py_any(py)
    }

    #[getter]
    fn relements(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let d = PyDict::new(py);
        for (name, v) in self.enum_variants()? {
            d.set_item(name, v)?;
        }
        d.into_py_any(py)
    }
}

impl CType {
    /// cffi shows a bitfield as the offset of the aligned storage unit of its
    /// declared type, and its shift within that unit.
    fn bitfield_unit(
        &self,
        ty: TypeId,
        offset: usize,
        b: rffi_types::BitField,
    ) -> (usize, i64, i64) {
        let bit = offset * 8 + b.shift as usize;
        let unit = self.reg.size_of(ty).unwrap_or(1).max(1);
        let start = bit / (unit * 8) * unit;
        if bit + b.width as usize > (start + unit) * 8 {
            // Straddles units (packed records): keep the byte view.
            return (offset, i64::from(b.shift), i64::from(b.width));
        }
        (start, (bit - start * 8) as i64, i64::from(b.width))
    }

    fn enum_variants(&self) -> PyResult<Vec<(String, i128)>> {
        self.reg
            .with(|t| match t.get(self.id) {
                Type::Enum(e) => Some(t.enum_def(*e).variants.clone().unwrap_or_default()),
                _ => None,
            })
            .ok_or_else(|| self.no_attr("elements"))
    }
}

fn libffi_default_abi() -> i64 {
    // x86-64 System V is FFI_UNIX64 = 2 in libffi; cffi reports the same.
    if cfg!(target_arch = "x86_64") {
        2
    } else {
        1
    }
}

/// The one ctype object of a type of a registry, made on first use and
/// kept in the registry (which holds no Python classes of its own).
pub trait CTypes {
    /// The one ctype object of `id`.
    fn ctype(self: &Arc<Self>, py: Python<'_>, id: TypeId) -> PyResult<Py<CType>>;
}

impl CTypes for Registry {
    /// The one ctype object of `id`.
    fn ctype(self: &Arc<Self>, py: Python<'_>, id: TypeId) -> PyResult<Py<CType>> {
        if let Some(base) = crate::model::registry::elsewhere(self, id) {
            return base.ctype(py, id);
        }
        if let Some(c) = self.cached_ctype(py, id) {
            return Ok(c.into_bound(py).cast_into::<CType>()?.unbind());
        }
        // As cffi, once per FFI: an enum declared without values
        // (`enum foo;`) is taken as an unsigned int, and the user is told.
        let opaque_enum = self.with(|t| match t.get(id) {
            Type::Enum(e) => t.enum_def(*e).variants.is_none(),
            _ => false,
        });
        if opaque_enum {
            let msg = format!(
                "'{}' has no values explicitly defined; guessing that it is equivalent to 'unsigned int'",
                self.cname(id)
            );
            let c_msg = std::ffi::CString::new(msg).unwrap_or_default();
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyUserWarning>(),
                &c_msg,
                1,
            )?;
        }
        let obj = Py::new(
            py,
            CType {
                reg: self.clone(),
                id,
                shape: self.final_info(id).map(|(shape, _)| shape),
            },
        )?;
        let kept = self.keep_ctype(py, id, obj.into_any());
        Ok(kept.into_bound(py).cast_into::<CType>()?.unbind())
    }
}
