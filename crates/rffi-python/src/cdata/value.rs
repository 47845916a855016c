//! cdata: a C value seen from Python, as (ctype, address, owner).
//!
//! For pointers and function pointers `addr` is the pointer's value; for
//! arrays and records it is where their bytes start; for primitive values it
//! is a small owned cell holding the value.

use std::sync::Arc;

use pyo3::exceptions::{PyAttributeError, PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PySlice;
use pyo3::IntoPyObjectExt;
use rffi_call::{memory, Value};
use rffi_types::TypeId;

use crate::memory::owner::{Kind, Memory, Owner};
use crate::model::registry::{node, node_shaped, Node, NodeRef, PlanCell};
use crate::model::registry::{IndexedField, Registry, Shape};
use rffi_call::ShapeScalar;

/// Addresses below this are never mapped (Linux keeps at least the first page
/// unmapped): reading or writing there is a NULL dereference, refused with an
/// exception where C (and cffi) would crash.
const NULL_PAGE: usize = 4096;

/// Runs `write`, which converts Python values and stores them into the
/// memory of `owner` at an address taken before: the conversion runs Python
/// code (`__index__`, `__iter__`...) that may `ffi.release` that memory.
/// As during a C call, a release meanwhile leaves the bytes in place until
/// the write is done; the write then reports the release.
pub(crate) fn writing_into<R>(owner: &Owner, write: impl FnOnce() -> PyResult<R>) -> PyResult<R> {
    owner.check_live()?;
    let guarded = owner.call_guarded();
    if let Some(m) = guarded {
        m.enter_call();
    }
    let result = write();
    let live = owner.check_live();
    if let Some(m) = guarded {
        m.exit_call();
    }
    live?;
    result
}

/// The index of `key` as cffi takes it (`__index__`, not floats or cdata).
pub(crate) fn index_of(key: &Bound<'_, PyAny>) -> PyResult<isize> {
    key.extract::<isize>().map_err(|e| {
        if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(key.py()) {
            PyIndexError::new_err("cannot fit 'int' into an index-sized integer")
        } else {
            e
        }
    })
}

pub use crate::model::registry::Origin;

/// What few cdata need, set when they are made and kept out of line so
/// that the common cdata (a pointer, a value, a small `ffi.new`) stays small.
#[derive(Default)]
pub struct Extras {
    /// The number of items of an array whose type has no length (`int[]`).
    pub len: Option<usize>,
    /// `ffi.from_buffer`: the exporter's type (named only when a repr asks:
    /// naming it costs more than the rest of the call).
    pub from: Option<Py<pyo3::types::PyType>>,
    /// `ffi.callback`: the repr of the Python function it calls.
    pub callback: Option<String>,
}

impl Extras {
    /// Whether these hold a Python object (the exporter type of
    /// `ffi.from_buffer`), which the garbage collector must see.
    #[inline]
    pub fn holds_python(&self) -> bool {
        self.from.is_some()
    }
}

/// A node and extras, boxed together for a cdata that has extras: a copy of
/// the node first (so that a head finds its node the same way with or
/// without extras, with no branch), then the reference to the registry's
/// node that keeps the registry (and the copy's `reg`) alive, then the
/// extras.
#[repr(C)]
struct Ext {
    node: Node,
    keep: NodeRef,
    extras: Extras,
}

/// The first word of a cdata: its node (a `NodeRef`), or, low bit set, a
/// box ([`Ext`]) starting with a copy of its node, then its [`Extras`].
pub struct Head(usize);

// SAFETY: a `Head` owns a `NodeRef` or a `Box<Ext>`, both `Send + Sync`
// (a node and `Extras` hold only `Send + Sync` data), and nothing in it
// changes after it is made.
unsafe impl Send for Head {}
// SAFETY: as above.
unsafe impl Sync for Head {}

const EXT: usize = 1;

impl Head {
    #[inline(always)]
    fn plain(node: NodeRef) -> Head {
        Head(node.into_raw() as usize)
    }

    fn with_extras(keep: NodeRef, extras: Extras) -> Head {
        let ext = Box::new(Ext {
            node: keep.copy(),
            keep,
            extras,
        });
        Head(Box::into_raw(ext) as usize | EXT)
    }

    #[inline(always)]
    fn ext(&self) -> Option<&Ext> {
        // SAFETY: with the low bit set the word is a `Box<Ext>` this head
        // owns, alive as long as `self`.
        (self.0 & EXT != 0).then(|| unsafe { &*((self.0 & !EXT) as *const Ext) })
    }

    #[inline(always)]
    fn node(&self) -> &Node {
        // SAFETY: with the low bit clear the word is a `NodeRef` this head
        // owns (`NodeRef::into_raw`); with it set, a `Box<Ext>` it owns,
        // which starts with a node (`repr(C)`). Either lives as long as
        // `self`.
        unsafe { &*((self.0 & !EXT) as *const Node) }
    }

    /// The node, as a counted reference of its own (the registry's node,
    /// not an extras box's copy).
    fn node_ref(&self) -> NodeRef {
        match self.ext() {
            Some(ext) => ext.keep.clone(),
            // SAFETY: as in `node`: the word is a live `NodeRef`, which is
            // cloned without being taken.
            None => unsafe { NodeRef::clone_raw(self.0 as *const Node) },
        }
    }
}

impl Drop for Head {
    fn drop(&mut self) {
        if self.0 & EXT != 0 {
            // SAFETY: the box this head owns, dropped once.
            drop(unsafe { Box::from_raw((self.0 & !EXT) as *mut Ext) });
        } else {
            // SAFETY: the `NodeRef` this head owns, given back once.
            drop(unsafe { NodeRef::from_raw(self.0 as *const Node) });
        }
    }
}

/// The value of a cdata object (see `cdata::object` for the object itself).
/// Three words: what its type and origin say is in its node (reached by
/// `Deref`: `c.reg`, `c.ty`, `c.shape`, `c.origin`, `c.releasable`).
#[repr(C)]
pub struct CData {
    pub head: Head,
    /// See the module's comment. For a primitive type this must be a cell
    /// that `owner` keeps, holding a value of the type: `scalar_value` reads
    /// it with no check (only `CData::value` and `ffi.gc` make such cdata).
    pub addr: usize,
    pub owner: Owner,
}

const _: () = assert!(std::mem::size_of::<CData>() == 24);

impl std::ops::Deref for CData {
    type Target = Node;

    #[inline(always)]
    fn deref(&self) -> &Node {
        self.head.node()
    }
}

impl CData {
    pub fn plain(reg: &Arc<Registry>, ty: TypeId, addr: usize, owner: Owner) -> CData {
        CData::made(node(reg, ty, Origin::Plain, false), addr, owner)
    }

    /// [`plain`](Self::plain) when the caller already knows the shape.
    #[inline]
    pub fn shaped(
        reg: &Arc<Registry>,
        ty: TypeId,
        shape: Shape,
        addr: usize,
        owner: Owner,
    ) -> CData {
        CData::made(
            node_shaped(reg, ty, shape, Origin::Plain, false),
            addr,
            owner,
        )
    }

    /// A cdata of `node` at `addr`, kept alive by `owner`, with no extras.
    #[inline]
    pub fn made(node: NodeRef, addr: usize, owner: Owner) -> CData {
        CData {
            head: Head::plain(node),
            addr,
            owner,
        }
    }

    /// A cdata of `node` at `addr`, kept alive by `owner`, with `extras`.
    pub fn made_with(node: NodeRef, addr: usize, owner: Owner, extras: Extras) -> CData {
        CData {
            head: Head::with_extras(node, extras),
            addr,
            owner,
        }
    }

    /// The extras of this cdata, if it has some.
    #[inline(always)]
    pub fn extras(&self) -> Option<&Extras> {
        self.head.ext().map(|e| &e.extras)
    }

    /// The node of this cdata, as a counted reference of its own.
    #[inline]
    pub fn node_ref(&self) -> NodeRef {
        self.head.node_ref()
    }

    /// This cdata with another origin (and releasability): the same type,
    /// address and owner (and no extras).
    #[inline]
    pub fn with_origin(self, origin: Origin, releasable: bool) -> CData {
        let node = node_shaped(&self.reg, self.ty, self.shape, origin, releasable);
        CData::made(node, self.addr, self.owner)
    }

    /// This cdata, which has no extras yet, with `len` recorded as its
    /// number of items (an array whose type has no length).
    #[inline]
    pub fn with_len(self, len: Option<usize>) -> CData {
        match len {
            Some(_) => {
                let extras = Extras {
                    len,
                    ..Extras::default()
                };
                CData::made_with(self.node_ref(), self.addr, self.owner, extras)
            }
            None => self,
        }
    }

    /// The number of items recorded for an array whose type has no length.
    #[inline]
    pub fn array_len(&self) -> Option<usize> {
        self.extras().and_then(|e| e.len)
    }

    /// Where a function pointer keeps its call plan: in its node, shared by
    /// every cdata of its type.
    #[inline]
    pub fn plan(&self) -> &PlanCell {
        &self.node().plan
    }

    #[inline(always)]
    fn node(&self) -> &Node {
        self.head.node()
    }

    /// The bytes its memory holds, for cdata that own memory from `ffi.new`.
    pub fn owned_size(&self) -> usize {
        match self.owner.kind() {
            Kind::Memory(m) => m.size(),
            Kind::Object(_) => self.owner.span().map_or(0, |(_, size)| size),
            Kind::None => 0,
        }
    }

    /// A primitive cdata holding `v` in its own cell.
    pub fn value(reg: &Arc<Registry>, ty: TypeId, v: Value) -> PyResult<CData> {
        let (shape, layout) = reg.shape_layout(ty);
        let scalar = shape.scalar().ok_or_else(|| {
            PyTypeError::new_err(format!("cannot cast to ctype '{}'", reg.cname(ty)))
        })?;
        if let Shape::Pointer { .. } = shape {
            let Value::Pointer(p) = v else {
                return Err(PyTypeError::new_err("a pointer value is required"));
            };
            return Ok(CData::shaped(reg, ty, shape, p, Owner::none()));
        }
        // 16 bytes hold any scalar; aligned as the type (small cells are
        // kept inline in their `Memory`).
        let mem = Memory::zeroed(16, layout.map_or(16, |(_, align)| align))?;
        // SAFETY: the cell has 16 bytes, enough for any scalar.
        unsafe { memory::write(mem.addr() as *mut u8, scalar, v) };
        Ok(CData::made(
            node_shaped(reg, ty, shape, Origin::Value, false),
            mem.addr(),
            Owner::memory(mem),
        ))
    }

    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }

    pub(crate) fn cname(&self) -> String {
        self.reg.cname(self.ty)
    }

    /// The address a pointer initialized from this cdata gets; refused once
    /// the memory it points into was released.
    pub fn pointer_target(&self) -> PyResult<usize> {
        self.live()?;
        Ok(self.addr)
    }

    /// Refuses use of a cdata whose memory `ffi.release` let go. Every path
    /// that reads or writes through the address checks this first.
    #[inline]
    pub fn live(&self) -> PyResult<()> {
        self.owner.check_live()
    }

    /// The primitive value of a value cdata, read from its cell.
    pub(crate) fn scalar_value(&self) -> Option<Value> {
        let shape = self.shape();
        if !shape.is_primitive() {
            return None;
        }
        let s = shape.scalar()?;
        // SAFETY: a cdata of a primitive type is made only by `CData::value`,
        // whose `addr` is a 16-byte cell of its own memory holding a value of
        // the type, kept by `owner` (never released: such a cdata is not
        // releasable), or by `ffi.gc` of one (`lifetime::gc`), whose owner
        // keeps the original cdata, and so its cell, even after a release.
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
    pub(crate) fn items(&self) -> Option<(TypeId, usize, Option<usize>)> {
        match self.shape() {
            Shape::Array { item, len } => {
                let size = self.reg.size_of(item).unwrap_or(0);
                Some((item, size, len.or(self.array_len())))
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

    /// [`byte_size`](Self::byte_size), or `None` for a pointer to items of
    /// unknown size (`void *`, an opaque struct).
    pub fn byte_size_known(&self) -> Option<usize> {
        match self.items() {
            Some((_, 0, None)) => None,
            _ => Some(self.byte_size()),
        }
    }

    /// Refuses access to memory at `addr` when it lies in the NULL page.
    /// Also refuses released memory: every dereference passes here.
    /// Inlined into the read paths; the message is built out of line.
    #[inline(always)]
    pub fn refuse_null(&self, addr: usize) -> PyResult<()> {
        self.live()?;
        if self.addr < NULL_PAGE || addr < NULL_PAGE {
            return Err(self.null_error());
        }
        Ok(())
    }

    #[cold]
    pub(crate) fn null_error(&self) -> PyErr {
        PyRuntimeError::new_err(format!(
            "cannot dereference a NULL pointer: cdata '{}' at 0x{:x}",
            self.cname(),
            self.addr
        ))
    }

    /// The address of item `i`, checked against the array's length.
    pub(crate) fn item_addr(&self, i: isize) -> PyResult<(TypeId, usize)> {
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
        if len.is_none() && i != 0 && self.indexed_by_zero_only() {
            return Err(PyIndexError::new_err(format!(
                "cdata '{}' can only be indexed by 0",
                self.cname()
            )));
        }
        let addr = self.addr.wrapping_add_signed(i.wrapping_mul(size as isize));
        self.refuse_null(addr)?;
        // Also for arrays: `ffi.cast("int[10]", p)` may be longer than what
        // `p` points into.
        self.refuse_outside(addr, size)?;
        Ok((item, addr))
    }

    /// As cffi: a pointer from `ffi.new` or an allocator points to one item,
    /// and only index 0 reaches it.
    #[inline]
    pub fn indexed_by_zero_only(&self) -> bool {
        self.releasable
            && self.origin != Origin::Buffer
            && matches!(self.shape(), Shape::Pointer { .. })
            && self.owner.span().is_some()
    }

    /// Refuses `len` bytes at `addr` that lie outside the memory this cdata
    /// points into, when its owner knows that memory's extent (`ffi.new`,
    /// an allocator, `ffi.from_buffer`): `(p + 1)[0]`, `p[1:2]` or `q.x`
    /// beyond it would read or write what C may use for something else.
    #[inline]
    pub fn refuse_outside(&self, addr: usize, len: usize) -> PyResult<()> {
        if self.owner.covers(addr, len) {
            Ok(())
        } else {
            Err(self.outside_error(addr, len))
        }
    }

    #[cold]
    pub(crate) fn outside_error(&self, addr: usize, len: usize) -> PyErr {
        let (start, size) = self.owner.span().unwrap_or((0, 0));
        PyIndexError::new_err(format!(
            "cdata '{}': the {len} bytes at 0x{addr:x} lie outside the {size} bytes at 0x{start:x} that its memory holds",
            self.cname()
        ))
    }

    pub(crate) fn slice_bounds(
        &self,
        slice: &Bound<'_, PySlice>,
    ) -> PyResult<(TypeId, usize, usize)> {
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
        let start =
            get("start")?.ok_or_else(|| PyIndexError::new_err("slice start must be specified"))?;
        let stop =
            get("stop")?.ok_or_else(|| PyIndexError::new_err("slice stop must be specified"))?;
        if start < 0 || stop < 0 {
            return Err(PyIndexError::new_err("negative index"));
        }
        if start > stop {
            return Err(PyIndexError::new_err("slice start > stop"));
        }
        if let Some(n) = len {
            if stop as usize > n {
                return Err(PyIndexError::new_err(format!(
                    "index too large (expected {stop} <= {n})"
                )));
            }
        }
        let begin = self.addr.wrapping_add(start as usize * size);
        if stop > start {
            self.refuse_null(begin)?;
            self.refuse_outside(begin, (stop - start) as usize * size)?;
        }
        Ok((item, begin, (stop - start) as usize))
    }

    /// The record a field access goes to: the struct itself or the one a
    /// pointer points to.
    pub(crate) fn record_for_fields(&self) -> Option<(TypeId, usize)> {
        match self.shape() {
            Shape::Record { .. } => Some((self.ty, self.addr)),
            Shape::Pointer { item } => match self.reg.shape(item) {
                Shape::Record { .. } => Some((item, self.addr)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Runs `f` on the member `name` of this struct (or of the struct this
    /// points to) and the address of that struct.
    pub(crate) fn with_field<R>(
        &self,
        name: &str,
        write: bool,
        f: impl FnOnce(usize, &IndexedField) -> PyResult<R>,
    ) -> PyResult<R> {
        let Some((rec, base)) = self.record_for_fields() else {
            return Err(PyAttributeError::new_err(format!(
                "cdata '{}' has no attribute '{name}'",
                self.cname()
            )));
        };
        // Only asked for when the owner's extent is known: a pointer from C
        // has nothing to check against.
        let through_pointer =
            matches!(self.shape(), Shape::Pointer { .. }) && self.owner.span().is_some();
        let found = self.reg.with_field(rec, name, |field| match field {
            Some(field) => {
                self.refuse_null(base)?;
                // Only the bytes of this member: as in cffi, `p.x` of a struct
                // longer than the memory behind `p` (a header cast over a short
                // buffer) works when `x` itself lies within that memory.
                if through_pointer {
                    self.refuse_outside(base + field.field.offset, self.member_extent(field))?;
                }
                f(base, field)
            }
            None => Err(self.no_field(name)),
        });
        found.unwrap_or_else(|()| {
            // As cffi: an AttributeError, so that hasattr() and getattr() with a
            // default see no such member.
            if let Some(err) = self.opaque_error(rec, write) {
                return Err(err);
            }
            let err = self.reg.with(|t| t.field(rec, name).err());
            Err(err.map_or_else(|| self.no_field(name), crate::base::errors::type_error))
        })
    }

    /// The bytes from a member's offset that reading or writing it touches:
    /// those holding its bits for a bitfield, none for a `T d[]` (what is
    /// read through it is checked then), else the size of its type.
    pub(crate) fn member_extent(&self, field: &IndexedField) -> usize {
        match field.field.bits {
            Some(bf) => (bf.shift + bf.width).div_ceil(8) as usize,
            // Scalars carry their size in the shape: no type lookup on the
            // member-write path.
            None => match field.shape {
                Shape::Int { size, .. }
                | Shape::Float { size }
                | Shape::WideChar { size }
                | Shape::Complex { size } => size as usize,
                Shape::Bool | Shape::Char => 1,
                _ => self.reg.size_of(field.field.ty).unwrap_or(0),
            },
        }
    }

    /// cffi's AttributeError for the members of a struct or union it only
    /// knows by name, `None` when `rec` is complete.
    pub(crate) fn opaque_error(&self, rec: TypeId, write: bool) -> Option<PyErr> {
        self.reg.with(|t| t.record_layout(rec).is_none()).then(|| {
            PyAttributeError::new_err(format!(
                "cdata '{}' points to an opaque type: cannot {} fields",
                self.cname(),
                if write { "write" } else { "read" }
            ))
        })
    }

    pub(crate) fn no_field(&self, name: &str) -> PyErr {
        PyAttributeError::new_err(format!("cdata '{}' has no field '{name}'", self.cname()))
    }

    /// `p + delta`: pointers and arrays move by items; `void *` by bytes.
    pub fn pointer_arith(&self, py: Python<'_>, delta: isize) -> PyResult<Py<PyAny>> {
        let Some((item, size, _)) = self.items() else {
            return Err(PyTypeError::new_err(format!(
                "cannot add a cdata '{}' and a number",
                self.cname()
            )));
        };
        let size = match (size, self.reg.shape(item)) {
            (0, Shape::Void) => 1,
            (0, _) => {
                return Err(PyTypeError::new_err(format!(
                    "ctype '{}' points to items of unknown size",
                    self.cname()
                )))
            }
            (n, _) => n,
        };
        let ptr_ty = self.reg.with(|t| t.pointer_to(item));
        let addr = self
            .addr
            .wrapping_add_signed(delta.wrapping_mul(size as isize));
        CData::plain(&self.reg, ptr_ty, addr, self.owner.clone()).into_py_any(py)
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

    /// `p - q` in items, as cffi: `p` a pointer, `q` a pointer of the same
    /// type or an array of its items.
    pub(crate) fn pointer_difference(&self, o: &CData) -> PyResult<isize> {
        let theirs = match o.shape() {
            Shape::Array { item, .. } => self.reg.with(|t| t.pointer_to(item)),
            _ => o.ty,
        };
        let item = match self.shape() {
            Shape::Pointer { item } if theirs == self.ty => Some(item),
            _ => None,
        };
        let size = item.and_then(|i| match (self.reg.size_of(i), self.reg.shape(i)) {
            (Some(n), _) if n > 0 => Some(n),
            (_, Shape::Void) => Some(1),
            _ => None,
        });
        let Some(size) = size else {
            return Err(PyTypeError::new_err(format!(
                "cannot subtract cdata '{}' and cdata '{}'",
                self.cname(),
                self.reg.cname(theirs)
            )));
        };
        let diff = (self.addr as isize).wrapping_sub(o.addr as isize);
        if diff % size as isize != 0 {
            return Err(PyValueError::new_err("pointer subtraction: the distance between the two pointers is not a multiple of the item size"));
        }
        Ok(diff / size as isize)
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

impl CData {
    /// A new owning cdata holding a copy of the value of type `ty` at `src`
    /// (struct results of calls).
    ///
    /// # Safety
    /// `src` starts the readable bytes of a complete value of type `ty`
    /// (`size_of(ty)` of them, any alignment).
    pub unsafe fn owned_copy(reg: &Arc<Registry>, ty: TypeId, src: usize) -> PyResult<CData> {
        let (size, align) = reg
            .with(|t| t.size_align(ty))
            .map_err(crate::base::errors::type_error)?;
        let mem = Memory::zeroed(size, align)?;
        // SAFETY: `src` holds a value of `ty`, `size` readable bytes, per this
        // function's contract, and `mem` is new, so they do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(src as *const u8, mem.addr() as *mut u8, size) };
        Ok(new_owned(reg, ty, reg.shape(ty), mem, None, Origin::Owning))
    }
}

/// The cdata `ffi.new` returns: type `ty` (of shape `shape`) over `mem`,
/// which has `len` items if its array type has no length.
#[inline]
pub fn new_owned(
    reg: &Arc<Registry>,
    ty: TypeId,
    shape: Shape,
    mem: Arc<Memory>,
    len: Option<usize>,
    origin: Origin,
) -> CData {
    let node = node_shaped(reg, ty, shape, origin, true);
    let addr = mem.addr();
    match len {
        Some(_) => CData::made_with(
            node,
            addr,
            Owner::memory(mem),
            Extras {
                len,
                ..Extras::default()
            },
        ),
        None => CData::made(node, addr, Owner::memory(mem)),
    }
}
