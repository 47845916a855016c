//! Type nodes: what a cdata knows of its type and how it came to be, kept
//! once per registry and pointed to from every cdata by one word.
//!
//! A cdata needs its registry, its type id, the type's shape, its origin
//! (which decides its repr) and whether `ffi.release` may take it. Those
//! five are the same for every cdata of one type made one way, so the
//! registry keeps one [`Node`] per (type, origin, releasable) and a cdata
//! holds a [`NodeRef`]: 8 bytes instead of 40, which is most of what makes
//! a kept `ffi.new("int *")` as small as cffi's.
//!
//! A node lives inside its registry and goes with it; a `NodeRef` keeps
//! the registry alive by counting itself in the registry's `Arc`, as the
//! `Arc<Registry>` each cdata held before did. The node's own `reg` is an
//! uncounted alias of that `Arc` (a node counting its registry would keep
//! it alive for ever).

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use once_cell::race::OnceBox;
use rffi_types::{Shape, TypeId};

use crate::model::call_site::CallSite;
use crate::model::registry::Registry;

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

/// The nodes of a registry, found without locking.
#[derive(Default)]
pub struct NodeTable {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
    let table = &reg.nodes;
    let cell = &table.slot(ty)[origin as usize * 2 + usize::from(releasable)];
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
