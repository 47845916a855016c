//! The state one FFI shares with its ctypes, cdata and libraries: the type
//! model, one ctype object per type, one call plan per function type, and
//! the type nodes its cdata point to (the section "Type nodes" below).

use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use once_cell::race::OnceBox;
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

use crate::model::call_site::CallSite;
use crate::model::read_facts::EntryCell;
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
    /// The nodes its cdata point to (the section "Type nodes" below).
    pub(crate) nodes: NodeTable,
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

// ---- Type nodes ----
//
// Type nodes: what a cdata knows of its type and how it came to be, kept
// once per registry and pointed to from every cdata by one word.
//
// A cdata needs its registry, its type id, the type's shape, its origin
// (which decides its repr) and whether `ffi.release` may take it. Those
// five are the same for every cdata of one type made one way, so the
// registry keeps one [`Node`] per (type, origin, releasable) and a cdata
// holds a [`NodeRef`]: 8 bytes instead of 40, which is most of what makes
// a kept `ffi.new("int *")` as small as cffi's.
//
// A node lives inside its registry and goes with it; a `NodeRef` keeps
// the registry alive by counting itself in the registry's `Arc`, as the
// `Arc<Registry>` each cdata held before did. The node's own `reg` is an
// uncounted alias of that `Arc` (a node counting its registry would keep
// it alive for ever).

/// How a cdata came to be, which decides its repr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Origin {
    /// A pointer, an array view, a function: shows the address.
    Plain,
    /// A primitive value (`ffi.cast("int", 5)`): shows the value.
    Value,
    /// Memory from `ffi.new`: shows how many bytes its owner holds.
    Owning,
    /// A struct reached through a pointer or a field: `'struct p &'`.
    Reference,
    /// A slice `p[a:b]`.
    Sliced,
    /// `ffi.from_buffer`: shows the exporter's type.
    Buffer,
    /// `ffi.callback`: shows the Python function.
    Callback,
    /// `ffi.new_handle`: shows the repr of the object it stands for.
    Handle,
}

/// The number of origins, for the table of nodes.
const ORIGINS: usize = 8;

/// What every cdata of one type, made one way, shares.
pub struct Node {
    /// The registry the node lives in.
    pub reg: RegAlias,
    pub ty: TypeId,
    /// `reg.shape(ty)` when the node was made.
    pub shape: Shape,
    pub origin: Origin,
    /// Made by `ffi.new`, an allocator, `ffi.gc` or `ffi.from_buffer`: may
    /// be given to `ffi.release` and used with `with` (derived cdata may not).
    pub releasable: bool,
    /// A function pointer: its cdata are called (and get the type with the
    /// vectorcall entry, `cdata::object`).
    pub callable: bool,
    /// For the node of `ffi.new`'s cdata (`Origin::Owning`, releasable):
    /// the bytes one of them owns, when they are few enough to keep inside
    /// the cdata object (at most [`INLINE_MAX`], aligned to at most 16) and
    /// known; else 0.
    pub inline: u8,
    /// For a function pointer type: its call plan, found on the first call
    /// of any of its cdata, so later calls neither lock nor hash.
    pub plan: PlanCell,
    /// The read facts of what its cdata are read through (the item of a
    /// pointer or array, a record itself), for the fast member and item
    /// paths (`glue::fast_slots`).
    pub reads: EntryCell,
}

/// A call plan, set once: `get` and `get_or_init` as `OnceLock`'s, in one
/// word instead of two.
#[derive(Default)]
pub struct PlanCell(OnceBox<Arc<CallSite>>);

impl PlanCell {
    #[inline]
    pub fn get(&self) -> Option<&Arc<CallSite>> {
        self.0.get()
    }

    pub fn get_or_init(&self, f: impl FnOnce() -> Arc<CallSite>) -> &Arc<CallSite> {
        self.0.get_or_init(|| Box::new(f()))
    }
}

/// The most bytes of an `ffi.new` kept inside its cdata object: with the
/// 48 bytes of the object, up to 8 make one 64-byte malloc chunk, up to 16
/// one of 80 bytes, still smaller than a separate allocation.
pub const INLINE_MAX: usize = 16;

/// The registry of a node: an alias of its `Arc`, counted by each
/// `NodeRef` rather than by the node, and never dropped through the node.
/// It derefs to the `Arc` (so `clone` gives a counted `Arc`) and is not
/// itself `Clone`.
pub struct RegAlias(ManuallyDrop<Arc<Registry>>);

impl std::ops::Deref for RegAlias {
    type Target = Arc<Registry>;

    #[inline(always)]
    fn deref(&self) -> &Arc<Registry> {
        &self.0
    }
}

/// A counted pointer to a [`Node`]: the node's registry stays alive while
/// any `NodeRef` to one of its nodes does.
pub struct NodeRef(NonNull<Node>);

// SAFETY: a `NodeRef` is a shared reference to an immutable `Node` plus one
// count of the registry's `Arc`, which is thread-safe; `Node` holds only
// `Send + Sync` data (the registry is both).
unsafe impl Send for NodeRef {}
// SAFETY: as above: nothing is reached through a `&NodeRef` but `&Node`.
unsafe impl Sync for NodeRef {}

impl NodeRef {
    /// A counted reference to `node`, which lives in its registry.
    fn new(node: &Node) -> NodeRef {
        // One more count of the registry, which the `Drop` of this takes back.
        std::mem::forget(Arc::clone(&*node.reg));
        NodeRef(NonNull::from(node))
    }

    /// A node like this one, owned by the caller (it holds no count of the
    /// registry: whoever keeps it keeps this reference too), with an empty
    /// call plan.
    pub fn copy(&self) -> Node {
        let n: &Node = self;
        Node {
            // SAFETY: an uncounted alias of the registry's `Arc`, as every
            // node's; the caller keeps `self`, which counts it, as long.
            reg: RegAlias(ManuallyDrop::new(unsafe {
                Arc::from_raw(Arc::as_ptr(&*n.reg))
            })),
            ty: n.ty,
            shape: n.shape,
            origin: n.origin,
            releasable: n.releasable,
            callable: n.callable,
            inline: n.inline,
            plan: PlanCell::default(),
            reads: EntryCell::default(),
        }
    }

    /// The node's address, the count kept (see [`from_raw`](Self::from_raw)).
    #[inline(always)]
    pub fn into_raw(self) -> *const Node {
        let p = self.0.as_ptr() as *const Node;
        std::mem::forget(self);
        p
    }

    /// The reference [`into_raw`](Self::into_raw) gave the address of.
    ///
    /// # Safety
    /// `p` came from `into_raw`, and its count is taken back once.
    #[inline(always)]
    pub unsafe fn from_raw(p: *const Node) -> NodeRef {
        // SAFETY: `into_raw` gave a non-null node address.
        NodeRef(unsafe { NonNull::new_unchecked(p as *mut Node) })
    }

    /// Another reference to the node of a reference `into_raw` gave, which
    /// stays as it is.
    ///
    /// # Safety
    /// `p` came from `into_raw` and its count is still held.
    #[inline]
    pub unsafe fn clone_raw(p: *const Node) -> NodeRef {
        // SAFETY: the node lives while that count is held.
        NodeRef::new(unsafe { &*p })
    }
}

impl std::ops::Deref for NodeRef {
    type Target = Node;

    #[inline(always)]
    fn deref(&self) -> &Node {
        // SAFETY: the node lives in its registry, which this reference keeps
        // alive (it holds one count of the registry's `Arc`), and nodes are
        // never moved or dropped before their registry (they are boxed).
        unsafe { self.0.as_ref() }
    }
}

impl Clone for NodeRef {
    #[inline]
    fn clone(&self) -> NodeRef {
        NodeRef::new(self)
    }
}

impl Drop for NodeRef {
    #[inline]
    fn drop(&mut self) {
        let reg = Arc::as_ptr(&*self.reg);
        // SAFETY: this reference holds one count of the registry's `Arc`
        // (taken in `new`), given back here once; nothing reaches the node
        // afterwards (the registry, and the node with it, may go now).
        unsafe { Arc::decrement_strong_count(reg) }
    }
}

/// The nodes of one type: one cell per (origin, releasable).
type Slot = [OnceBox<Node>; 2 * ORIGINS];

/// The size of a registry's table of recently used nodes.
const HOT: usize = 256;

/// The nodes of a registry, found without locking.
pub struct NodeTable {
    /// Recently found nodes, by a hash of (type, origin, releasable):
    /// most lookups end here, with a load and three comparisons.
    hot: Box<[AtomicPtr<Node>; HOT]>,
    /// Per type id of this registry.
    own: boxcar::Vec<Slot>,
    /// Per shared type id (`TypeId::is_shared`): this registry's nodes of
    /// the types every registry shares.
    shared: boxcar::Vec<Slot>,
    /// Serializes growing the two vectors.
    grow: Mutex<()>,
    /// Nodes made for a type whose shape changed after its node was kept
    /// (an enum declared without values, completed later): cdata made
    /// before keep the node they have, so it is kept here (boxed: a node
    /// never moves while `NodeRef`s point to it).
    #[allow(clippy::vec_box)]
    stale: Mutex<Vec<Box<Node>>>,
}

impl Default for NodeTable {
    fn default() -> NodeTable {
        NodeTable {
            hot: Box::new(std::array::from_fn(
                |_| AtomicPtr::new(std::ptr::null_mut()),
            )),
            own: boxcar::Vec::new(),
            shared: boxcar::Vec::new(),
            grow: Mutex::new(()),
            stale: Mutex::new(Vec::new()),
        }
    }
}

impl NodeTable {
    /// The slot of `id`, the vector grown to hold it if needed.
    fn slot(&self, id: TypeId) -> &Slot {
        let v = match id.is_shared() {
            true => &self.shared,
            false => &self.own,
        };
        if let Some(slot) = v.get(id.index()) {
            return slot;
        }
        let _growing = lock(&self.grow);
        while v.count() <= id.index() {
            v.push(Slot::default());
        }
        &v[id.index()]
    }
}

/// Where the node of (origin, releasable) sits among a type's nodes.
#[inline(always)]
fn slot_key(origin: Origin, releasable: bool) -> usize {
    origin as usize * 2 + usize::from(releasable)
}

/// The node of `ty` made the way `origin` and `releasable` say, in `reg`.
pub fn node(reg: &Arc<Registry>, ty: TypeId, origin: Origin, releasable: bool) -> NodeRef {
    node_shaped(reg, ty, reg.shape(ty), origin, releasable)
}

/// [`node`] when the caller knows the shape of `ty` (`reg.shape(ty)`).
#[inline]
pub fn node_shaped(
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    origin: Origin,
    releasable: bool,
) -> NodeRef {
    let hot = &reg.nodes.hot
        [(ty.index().wrapping_mul(2 * ORIGINS) + slot_key(origin, releasable)) & (HOT - 1)];
    let p = hot.load(Ordering::Acquire);
    // An enum's shape may change (one declared without values, completed
    // later): its nodes are always checked against the shape.
    if !p.is_null() && !matches!(shape, Shape::Int { is_enum: true, .. }) {
        // SAFETY: the hot table holds only nodes of this registry, which
        // live as long as it does (`reg` keeps it alive here).
        let n = unsafe { &*p };
        if n.ty == ty && n.origin == origin && n.releasable == releasable {
            return NodeRef::new(n);
        }
    }
    let found = node_found(reg, ty, shape, origin, releasable);
    hot.store(&*found as *const Node as *mut Node, Ordering::Release);
    found
}

/// [`node_shaped`] past the hot table: the node of the table of nodes.
#[inline(never)]
fn node_found(
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    origin: Origin,
    releasable: bool,
) -> NodeRef {
    let table = &reg.nodes;
    let cell = &table.slot(ty)[slot_key(origin, releasable)];
    let make = || {
        let callable = match shape {
            Shape::Pointer { item } => reg.shape(item) == Shape::Function,
            Shape::Function => true,
            _ => false,
        };
        let inline = match (origin, releasable) {
            (Origin::Owning, true) => inline_size(reg, ty, shape),
            _ => 0,
        };
        Box::new(Node {
            // SAFETY: `reg` is a live `Arc`; the alias is never dropped (it
            // is `ManuallyDrop`) and is only used while a `NodeRef` holds a
            // count of the same `Arc`, or while the registry holding the
            // node is alive.
            reg: RegAlias(ManuallyDrop::new(unsafe {
                Arc::from_raw(Arc::as_ptr(reg))
            })),
            ty,
            shape,
            origin,
            releasable,
            callable,
            inline,
            plan: PlanCell::default(),
            reads: EntryCell::default(),
        })
    };
    let kept = cell.get_or_init(make);
    if kept.shape == shape {
        return NodeRef::new(kept);
    }
    // The shape changed since the node was kept: a node of its own, kept
    // for as long as the registry (made once per shape).
    let mut stale = lock(&table.stale);
    let same = |n: &Node| {
        n.ty == ty && n.shape == shape && n.origin == origin && n.releasable == releasable
    };
    if let Some(found) = stale.iter().find(|n| same(n)) {
        return NodeRef::new(found);
    }
    stale.push(make());
    let made = stale.last().map(|b| NodeRef::new(b));
    drop(stale);
    made.unwrap_or_else(|| NodeRef::new(kept))
}

/// The bytes `ffi.new` of `ty` owns when they can be kept inside the cdata
/// object (see [`Node::inline`]): the item a pointer type points to, or a
/// whole array with a length; 0 otherwise.
fn inline_size(reg: &Registry, ty: TypeId, shape: Shape) -> u8 {
    // Only a size that can no longer change (see `Registry::final_info`).
    let fixed = |id: TypeId| reg.final_info(id).and_then(|_| reg.shape_layout(id).1);
    let layout = match shape {
        Shape::Pointer { item } if reg.shape(item) != Shape::Function => fixed(item),
        Shape::Array { len: Some(_), .. } => fixed(ty),
        _ => None,
    };
    match layout {
        Some((size, align)) if size > 0 && size <= INLINE_MAX && align <= 16 => size as u8,
        _ => 0,
    }
}

const _: () = assert!(std::mem::size_of::<NodeRef>() == 8);
