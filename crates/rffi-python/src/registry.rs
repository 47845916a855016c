//! The state one FFI shares with its ctypes, cdata and libraries: the type
//! model, one ctype object per type, one call plan per function type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use pyo3::prelude::*;
use rffi_call::{CallPlan, Scalar};
use rffi_types::{Prim, PrimClass, RecordKind, Type, TypeId, Types};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use crate::ctype::CType;
use crate::errors::IntoPyResult;

/// What conversions need to know of a type, read once under the lock so
/// that no lock is held while Python code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Void,
    Int {
        size: u8,
        signed: bool,
        is_enum: bool,
    },
    Bool,
    Char,
    WideChar {
        size: u8,
    },
    Float {
        size: u8,
    },
    LongDouble,
    Complex {
        size: u8,
    },
    Pointer {
        item: TypeId,
    },
    Array {
        item: TypeId,
        len: Option<usize>,
    },
    Record {
        union: bool,
    },
    Function,
}

impl Shape {
    pub fn scalar(self) -> Option<Scalar> {
        Some(match self {
            Shape::Int { size, signed, .. } => Scalar::Int { size, signed },
            Shape::Bool | Shape::Char => Scalar::Int {
                size: 1,
                signed: false,
            },
            Shape::WideChar { size } => Scalar::Int {
                size,
                signed: false,
            },
            Shape::Float { size: 4 } => Scalar::F32,
            Shape::Float { .. } => Scalar::F64,
            Shape::LongDouble => Scalar::LongDouble,
            Shape::Complex { size: 8 } => Scalar::C32,
            Shape::Complex { .. } => Scalar::C64,
            Shape::Pointer { .. } => Scalar::Pointer,
            _ => return None,
        })
    }

    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            Shape::Void
                | Shape::Pointer { .. }
                | Shape::Array { .. }
                | Shape::Record { .. }
                | Shape::Function
        )
    }
}

pub fn shape_of(types: &Types, id: TypeId) -> Shape {
    match types.get(id) {
        Type::Void => Shape::Void,
        Type::Prim(p) => prim_shape(*p),
        Type::Pointer(item) => Shape::Pointer { item: *item },
        Type::Array(item, len) => Shape::Array {
            item: *item,
            len: *len,
        },
        Type::Record(r) => Shape::Record {
            union: types.record(*r).kind == RecordKind::Union,
        },
        Type::Enum(_) => {
            let p = types.integer_prim(id).unwrap_or(Prim::UINT);
            Shape::Int {
                size: p.size() as u8,
                signed: p.is_signed(),
                is_enum: true,
            }
        }
        Type::Function(_) => Shape::Function,
    }
}

fn prim_shape(p: Prim) -> Shape {
    let size = p.size() as u8;
    match p.class() {
        PrimClass::Int { signed } => Shape::Int {
            size,
            signed,
            is_enum: false,
        },
        PrimClass::Char => Shape::Char,
        PrimClass::WideChar { .. } => Shape::WideChar { size },
        PrimClass::Bool => Shape::Bool,
        PrimClass::Float => Shape::Float { size },
        PrimClass::LongDouble => Shape::LongDouble,
        PrimClass::Complex => Shape::Complex { size },
    }
}

/// What the hot paths ask of a type, cached once it can no longer change.
#[derive(Clone, Copy, Debug)]
struct Info {
    shape: Shape,
    /// Size and alignment, when the size is known.
    layout: Option<(usize, usize)>,
}

/// A member of a complete struct or union, found by name; anonymous members
/// are flattened and offsets are from the start of the record.
pub type FieldIndex = FxHashMap<String, IndexedField>;

/// A member with its type's shape, so reading it needs no other lookup.
pub struct IndexedField {
    pub field: rffi_types::Field,
    pub shape: Shape,
}

pub struct Registry {
    types: Mutex<Types>,
    ctypes: Mutex<HashMap<TypeId, Py<CType>>>,
    plans: Mutex<HashMap<TypeId, Arc<CallPlan>>>,
    /// Per type id, read without locking (an append-only vector of cells).
    /// Only final facts are stored: a type's shape never changes, and its
    /// size only from unknown to known.
    infos: boxcar::Vec<OnceLock<Info>>,
    /// Serializes growing `infos` to cover a new type id.
    grow: Mutex<()>,
    fields: ArcSwap<FxHashMap<TypeId, Arc<FieldIndex>>>,
    /// What the raw read slots (`slots.rs`) need per type, built on first use.
    pub(crate) reads: crate::fastread::ReadCache,
    /// Set when the FFI comes from the tables of a cffi out-of-line module
    /// (`outofline.rs`): what differs from an FFI made by `cdef`.
    pub(crate) outofline: OnceLock<crate::outofline::OutOfLine>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Registry {
    pub fn new() -> Arc<Registry> {
        Arc::new(Registry {
            types: Mutex::new(Types::new()),
            ctypes: Mutex::new(HashMap::new()),
            plans: Mutex::new(HashMap::new()),
            infos: boxcar::Vec::new(),
            grow: Mutex::new(()),
            fields: ArcSwap::from_pointee(FxHashMap::default()),
            reads: crate::fastread::ReadCache::default(),
            outofline: OnceLock::new(),
        })
    }

    /// Where the info of `id` is kept: with the other shared types for a
    /// shared id (every registry reads those), else here.
    #[inline]
    fn infos_of(&self, id: TypeId) -> (&boxcar::Vec<OnceLock<Info>>, &Mutex<()>) {
        static SHARED: (boxcar::Vec<OnceLock<Info>>, Mutex<()>) =
            (boxcar::Vec::new(), Mutex::new(()));
        match id.is_shared() {
            true => (&SHARED.0, &SHARED.1),
            false => (&self.infos, &self.grow),
        }
    }

    #[inline]
    fn info(&self, id: TypeId) -> Info {
        match self.infos_of(id).0.get(id.index()).and_then(OnceLock::get) {
            Some(info) => *info,
            None => self.first_info(id),
        }
    }

    #[cold]
    fn first_info(&self, id: TypeId) -> Info {
        let (infos, grow) = self.infos_of(id);
        if let Some(info) = infos.get(id.index()).and_then(OnceLock::get) {
            return *info;
        }
        let (info, final_) = self.with(|t| {
            let shape = shape_of(t, id);
            let layout = t.size_align(id).ok();
            // An enum declared without its values may get another base later.
            let open_enum = matches!(t.get(id), Type::Enum(e) if t.enum_def(*e).variants.is_none());
            // An array of unknown length never gets a size, whatever its items.
            let never_sized = matches!(
                shape,
                Shape::Void | Shape::Function | Shape::Array { len: None, .. }
            );
            let final_ = !open_enum && (layout.is_some() || never_sized);
            (Info { shape, layout }, final_)
        });
        if final_ {
            let _growing = lock(grow);
            while infos.count() <= id.index() {
                infos.push(OnceLock::new());
            }
            if let Some(cell) = infos.get(id.index()) {
                let _ = cell.set(info);
            }
        }
        info
    }

    /// The shape and size of `id` when they are final (never to change
    /// again), `None` while they may still change.
    pub fn final_info(&self, id: TypeId) -> Option<(Shape, Option<usize>)> {
        self.info(id);
        let info = self
            .infos_of(id)
            .0
            .get(id.index())
            .and_then(OnceLock::get)?;
        Some((info.shape, info.layout.map(|(size, _)| size)))
    }

    /// Runs `f` on the member `name` of a complete record (`None` if it has
    /// no such member); `Err(())` when the record is not complete.
    pub fn with_field<R>(
        &self,
        id: TypeId,
        name: &str,
        f: impl FnOnce(Option<&IndexedField>) -> R,
    ) -> Result<R, ()> {
        if let Some(index) = self.fields.load().get(&id) {
            return Ok(f(index.get(name)));
        }
        match self.field_index(id) {
            Some(index) => Ok(f(index.get(name))),
            None => Err(()),
        }
    }

    /// The members of a complete record by name, built once per record.
    pub fn field_index(&self, id: TypeId) -> Option<Arc<FieldIndex>> {
        if let Some(index) = self.fields.load().get(&id) {
            return Some(index.clone());
        }
        let flat = self.with(|t| t.flat_fields(id).ok())?;
        let index: Arc<FieldIndex> = Arc::new(
            flat.into_iter()
                .map(|field| {
                    let shape = self.shape(field.ty);
                    (field.name.clone(), IndexedField { field, shape })
                })
                .collect(),
        );
        self.fields.rcu(|old| {
            let mut m = FxHashMap::clone(old);
            m.insert(id, index.clone());
            m
        });
        Some(index)
    }

    /// Runs `f` on the type model. `f` must not call into Python.
    pub fn with<R>(&self, f: impl FnOnce(&mut Types) -> R) -> R {
        f(&mut lock(&self.types))
    }

    pub fn parse(&self, cdecl: &str) -> PyResult<TypeId> {
        self.with(|t| t.parse_type(cdecl)).py()
    }

    pub fn shape(&self, id: TypeId) -> Shape {
        self.info(id).shape
    }

    /// The type of this registry that `id` of `other` (another FFI's) names:
    /// the same type spelled by its C name, as cffi shares types between FFI
    /// instances. A type the name does not reach here (an anonymous struct, a
    /// typedef this FFI lacks) is an error, never another registry's id.
    pub fn translate(&self, other: &Registry, id: TypeId) -> PyResult<TypeId> {
        if crate::shared::understood(other, self, id) {
            return Ok(id);
        }
        let name = other.cname(id);
        self.parse(&name).map_err(|e| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "the type '{name}' of another FFI instance is unknown to this one ({e})"
            ))
        })
    }

    pub fn cname(&self, id: TypeId) -> String {
        self.with(|t| t.cname(id))
    }

    pub fn size_of(&self, id: TypeId) -> Option<usize> {
        self.info(id).layout.map(|(size, _)| size)
    }

    /// The shape of a type, with its size and alignment when its size is
    /// known: what `ffi.new` asks of an item type, in one lookup.
    pub fn shape_layout(&self, id: TypeId) -> (Shape, Option<(usize, usize)>) {
        let info = self.info(id);
        (info.shape, info.layout)
    }

    /// The one ctype object of `id`.
    pub fn ctype(self: &Arc<Self>, py: Python<'_>, id: TypeId) -> PyResult<Py<CType>> {
        if let Some(base) = crate::shared::elsewhere(self, id) {
            return base.ctype(py, id);
        }
        if let Some(c) = lock(&self.ctypes).get(&id) {
            return Ok(c.clone_ref(py));
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
        Ok(lock(&self.ctypes).entry(id).or_insert(obj).clone_ref(py))
    }

    /// The call plan of a function (pointer) type, built on first use.
    pub fn plan(&self, id: TypeId) -> PyResult<Arc<CallPlan>> {
        if let Some(p) = lock(&self.plans).get(&id) {
            return Ok(p.clone());
        }
        let plan = Arc::new(self.with(|t| CallPlan::new(t, id)).py()?);
        lock(&self.plans).insert(id, plan.clone());
        Ok(plan)
    }

    /// Forgets cached plans, after `cdef(override=True)` may have changed types.
    pub fn forget_plans(&self) {
        lock(&self.plans).clear();
    }
}
