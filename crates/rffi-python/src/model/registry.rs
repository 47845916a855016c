//! The state one FFI shares with its ctypes, cdata and libraries: the type
//! model, one ctype object per type, one call plan per function type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use pyo3::prelude::*;
use rffi_call::{CallPlan, TypeContext};
use rffi_types::{Type, TypeId, Types};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use crate::base::errors::{FFIError, IntoPyResult};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use rffi_types::Symbol;

pub use rffi_types::{shape_of, Shape};

/// What the hot paths ask of a type, cached once it can no longer change.
#[derive(Clone, Copy, Debug)]
struct Info {
    shape: Shape,
    /// Size and alignment, when the size is known.
    layout: Option<(usize, usize)>,
}

pub use crate::model::read_facts::{FieldIndex, IndexedField};

pub struct Registry {
    /// The declarations and the call plans made from them.
    types: TypeContext,
    /// One ctype object per type, made by `classes::ctype`.
    ctypes: Mutex<HashMap<TypeId, Py<PyAny>>>,
    /// Per type id, read without locking (an append-only vector of cells).
    /// Only final facts are stored: a type's shape never changes, and its
    /// size only from unknown to known.
    infos: boxcar::Vec<OnceLock<Info>>,
    /// Serializes growing `infos` to cover a new type id.
    grow: Mutex<()>,
    fields: ArcSwap<FxHashMap<TypeId, Arc<FieldIndex>>>,
    /// What the fast member and item paths (`glue::fast_slots`) need per
    /// type, built on first use.
    pub(crate) reads: crate::model::read_facts::ReadCache,
    /// Set when the FFI comes from the tables of a cffi out-of-line module
    /// (`classes::outofline`): what differs from an FFI made by `cdef`.
    pub(crate) outofline: OnceLock<OutOfLine>,
    /// The nodes its cdata point to (`model::node`).
    pub(crate) nodes: crate::model::node::NodeTable,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Registry {
    pub fn new() -> Arc<Registry> {
        Arc::new(Registry {
            types: TypeContext::new(),
            ctypes: Mutex::new(HashMap::new()),
            infos: boxcar::Vec::new(),
            grow: Mutex::new(()),
            fields: ArcSwap::from_pointee(FxHashMap::default()),
            reads: crate::model::read_facts::ReadCache::default(),
            outofline: OnceLock::new(),
            nodes: Default::default(),
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
        self.types.with(f)
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
        if understood(other, self, id) {
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

    /// The ctype object of `id` made earlier, if any (`classes::ctype`
    /// makes them).
    pub fn cached_ctype(&self, py: Python<'_>, id: TypeId) -> Option<Py<PyAny>> {
        lock(&self.ctypes).get(&id).map(|c| c.clone_ref(py))
    }

    /// Keeps `obj` as the ctype object of `id`, unless one was kept
    /// meanwhile: the one kept.
    pub fn keep_ctype(&self, py: Python<'_>, id: TypeId, obj: Py<PyAny>) -> Py<PyAny> {
        lock(&self.ctypes).entry(id).or_insert(obj).clone_ref(py)
    }

    /// The call plan of a function (pointer) type, built on first use.
    pub fn plan(&self, id: TypeId) -> PyResult<Arc<CallPlan>> {
        self.types.plan(id).py()
    }

    /// The call plan of a variadic function type with these promoted extra
    /// argument types, built on first use.
    pub fn variadic_plan(&self, id: TypeId, extra: &[TypeId]) -> PyResult<Arc<CallPlan>> {
        self.types.variadic_plan(id, extra).py()
    }

    /// Forgets cached plans, after `cdef(override=True)` may have changed types.
    pub fn forget_plans(&self) {
        self.types.forget_plans();
    }
}

/// What an FFI made from tables keeps beside its declarations.
pub struct OutOfLine {
    /// The FFIs of `_includes`, asked for integer constants this one lacks.
    pub included: Vec<Arc<Registry>>,
    /// `ffi.list_types()`: cffi lists the names of the tables, as they are there.
    pub list_types: (Vec<String>, Vec<String>, Vec<String>),
}

impl crate::model::read_facts::Facts for Registry {
    fn field_index(&self, rec: TypeId) -> Option<Arc<FieldIndex>> {
        Registry::field_index(self, rec)
    }

    fn shape(&self, id: TypeId) -> Shape {
        Registry::shape(self, id)
    }

    fn size_of(&self, id: TypeId) -> Option<usize> {
        Registry::size_of(self, id)
    }

    fn final_info(&self, id: TypeId) -> Option<(Shape, Option<usize>)> {
        Registry::final_info(self, id)
    }
}

/// `ffi.include(other)` replays `other`'s `cdef`s, which an FFI made from tables
/// has none of; cffi's `include` refuses such an FFI too (it is no `cffi.FFI`).
pub fn refuse_include(other: &Registry) -> PyResult<()> {
    match other.outofline.get() {
        Some(_) => Err(PyTypeError::new_err(
            "ffi.include() cannot take an FFI made from the tables of an out-of-line module",
        )),
        None => Ok(()),
    }
}

/// Deeper than this, cffi reports a loop of includes.
const MAX_INCLUDE_DEPTH: u32 = 100;

/// The value of an integer constant of an included FFI, as cffi's
/// `ffi_fetch_int_constant` looks it up: `None` when no include has the name, an
/// error when one has it as a function or variable, which only its own library gives.
pub fn included_constant(reg: &Registry, name: &str) -> PyResult<Option<i128>> {
    search(reg, name, 0)
}

fn search(reg: &Registry, name: &str, depth: u32) -> PyResult<Option<i128>> {
    let Some(state) = reg.outofline.get() else {
        return Ok(None);
    };
    if depth > MAX_INCLUDE_DEPTH {
        return Err(PyRuntimeError::new_err(
            "recursion overflow in ffi.include() delegations",
        ));
    }
    for other in &state.included {
        match other.with(|t| t.symbol(name).cloned()) {
            Some(Symbol::Constant(v)) => return Ok(Some(v)),
            Some(_) => {
                return Err(FFIError::new_err(format!(
                    "function, global variable or non-integer constant '{name}' must be \
                     fetched from its original 'lib' object"
                )))
            }
            None => {
                if let Some(v) = search(other, name, depth + 1)? {
                    return Ok(Some(v));
                }
            }
        }
    }
    Ok(None)
}

// The types every FFI shares (see `rffi_types`'s `shared.rs`): one
// registry of the process, the base, keeps their ctype objects, so
// `FFI().typeof("int") is FFI().typeof("int")`, as in cffi; a shared id
// means the same type in every registry.

static BASE: OnceLock<Arc<Registry>> = OnceLock::new();

/// The registry that keeps what is made once for every shared type.
pub fn base() -> &'static Arc<Registry> {
    BASE.get_or_init(Registry::new)
}

/// The base, when `id` is shared and `reg` is not the base: where `reg`
/// gets the ctype object of `id`.
#[inline]
pub fn elsewhere(reg: &Registry, id: TypeId) -> Option<&'static Arc<Registry>> {
    if !id.is_shared() {
        return None;
    }
    let base = base();
    (!std::ptr::eq(reg, &**base)).then_some(base)
}

/// Whether the id `id`, given by `from`, means the same type in `to`:
/// always for a shared type, else only in the registry that made it.
#[inline]
pub fn understood(from: &Registry, to: &Registry, id: TypeId) -> bool {
    id.is_shared() || std::ptr::eq(from, to)
}
