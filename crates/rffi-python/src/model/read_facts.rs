//! What the fast member and item paths (`glue::fast_slots`) know of a type, found once per type
//! and then read without locking, hashing a Rust string or asking the type
//! model: a record's members keyed by the address of their interned Python
//! name, and an item type's shape and size.
//!
//! Only final facts are stored: the members of a complete record (the same
//! index `Facts::field_index` builds and never changes), and the shape
//! and size of a type once `Facts::final_info` says they are final. Until
//! then a lookup answers `None` and the read takes the general path.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, OnceLock};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use rffi_types::TypeId;

use rffi_types::Shape;
use rustc_hash::FxHashMap;

/// A member of a complete struct or union, found by name; anonymous members
/// are flattened and offsets are from the start of the record.
pub type FieldIndex = FxHashMap<String, IndexedField>;

/// A member with its type's shape, so reading it needs no other lookup.
pub struct IndexedField {
    pub field: rffi_types::Field,
    pub shape: Shape,
}

/// What the read facts are computed from: the type model of one FFI (the
/// registry, which keeps a [`ReadCache`] of its own).
pub trait Facts {
    /// The members of a complete record, by name.
    fn field_index(&self, rec: TypeId) -> Option<std::sync::Arc<FieldIndex>>;
    fn shape(&self, id: TypeId) -> Shape;
    fn size_of(&self, id: TypeId) -> Option<usize>;
    /// The shape and size of `id` once they are final.
    fn final_info(&self, id: TypeId) -> Option<(Shape, Option<usize>)>;
}

/// How a scalar is read into a Python object or written from one: the
/// common scalars directly with CPython's constructors and accessors
/// (`convert::scalar`), everything else through `convert::value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Bool,
    Char,
    /// Pointers, arrays, records, wide chars, complex, long double, bitfields.
    Other,
}

pub fn kind_of(shape: Shape) -> Kind {
    match shape {
        Shape::Int { size, signed, .. } => match (size, signed) {
            (1, true) => Kind::I8,
            (1, false) => Kind::U8,
            (2, true) => Kind::I16,
            (2, false) => Kind::U16,
            (4, true) => Kind::I32,
            (4, false) => Kind::U32,
            (8, true) => Kind::I64,
            (8, false) => Kind::U64,
            _ => Kind::Other,
        },
        Shape::Float { size: 4 } => Kind::F32,
        Shape::Float { size: 8 } => Kind::F64,
        Shape::Bool => Kind::Bool,
        Shape::Char => Kind::Char,
        _ => Kind::Other,
    }
}

/// A member of a complete record, ready to read.
pub struct FastField {
    pub(crate) field: rffi_types::Field,
    pub(crate) shape: Shape,
    pub(crate) kind: Kind,
}

/// The members of one record, found by the address of their interned name.
pub struct FieldTable {
    /// Open addressing on the name's address: (address, index in `fields`);
    /// address 0 marks an empty slot, and at least half the slots are empty.
    slots: Box<[(usize, usize)]>,
    mask: usize,
    /// The record's size: what a pointer to it must have room for.
    pub size: usize,
    fields: Vec<FastField>,
    /// Keeps the interned names alive, so their addresses stay theirs.
    _names: Vec<Py<PyString>>,
}

fn slot_of(addr: usize, mask: usize) -> usize {
    ((addr >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) & mask
}

impl FieldTable {
    fn new(py: Python<'_>, reg: &impl Facts, rec: TypeId) -> Option<FieldTable> {
        let index = reg.field_index(rec)?;
        // Names starting with "__" are left to the general path, which
        // gives them to Python's attribute lookup before any member.
        let members: Vec<_> = index
            .iter()
            .filter(|(name, _)| !name.starts_with("__"))
            .collect();
        let size = (members.len() * 2).max(4).next_power_of_two();
        let mask = size - 1;
        let mut slots = vec![(0usize, 0usize); size].into_boxed_slice();
        let mut fields = Vec::with_capacity(members.len());
        let mut names = Vec::with_capacity(members.len());
        for (name, f) in members {
            let interned = PyString::intern(py, name).unbind();
            let addr = interned.as_ptr() as usize;
            let mut i = slot_of(addr, mask);
            while slots.get(i).is_some_and(|s| s.0 != 0) {
                i = (i + 1) & mask;
            }
            if let Some(s) = slots.get_mut(i) {
                *s = (addr, fields.len());
            }
            let kind = match f.field.bits {
                Some(_) => Kind::Other,
                None => kind_of(f.shape),
            };
            fields.push(FastField {
                field: f.field.clone(),
                shape: f.shape,
                kind,
            });
            names.push(interned);
        }
        Some(FieldTable {
            slots,
            mask,
            size: reg.size_of(rec).unwrap_or(0),
            fields,
            _names: names,
        })
    }

    /// The member whose interned name is the str object at `name`; `None`
    /// for any other object, including an equal str that is not the
    /// interned one (the general path finds those).
    #[inline]
    pub fn find(&self, name: *mut ffi::PyObject) -> Option<&FastField> {
        let addr = name as usize;
        let mut i = slot_of(addr, self.mask);
        loop {
            let (k, at) = *self.slots.get(i)?;
            if k == addr {
                return self.fields.get(at);
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// An item type of known, non-zero size: what indexing an array or pointer needs.
pub struct ItemRead {
    pub(crate) ty: TypeId,
    pub shape: Shape,
    pub size: usize,
    pub(crate) kind: Kind,
}

/// Per type id, once decided: its members (when it is a complete record)
/// and what reading it as an item needs (when its size is final and known).
#[derive(Default)]
pub struct Entry {
    /// Boxed: most types are no record, and the vector has an entry per type id.
    fields: OnceLock<Option<Box<FieldTable>>>,
    item: OnceLock<Option<ItemRead>>,
}

/// Where a type node keeps the read-facts entry of the type its cdata are
/// read through (the item of a pointer or array, a record itself), found on
/// first use: later reads go straight to it. Entries never move (they sit
/// in an append-only vector) and live as long as the registry holding the
/// node, or for the process (shared types).
#[derive(Default)]
pub struct EntryCell(AtomicPtr<Entry>);

/// The read facts of every type of one registry, read without locking (an
/// append-only vector of cells indexed by type id).
#[derive(Default)]
pub struct ReadCache {
    entries: boxcar::Vec<Entry>,
    /// Serializes growing `entries` to cover a new type id.
    grow: Mutex<()>,
}

impl ReadCache {
    pub const fn new() -> ReadCache {
        ReadCache {
            entries: boxcar::Vec::new(),
            grow: Mutex::new(()),
        }
    }

    #[inline]
    fn entry(&self, id: TypeId) -> Option<&Entry> {
        let cache = home_reads(self, id);
        match cache.entries.get(id.index()) {
            Some(e) => Some(e),
            None => cache.grow_to(id),
        }
    }

    /// The entry of `id`, kept in `cell` (which must always be asked for
    /// the same `id` of this cache's registry).
    #[inline(always)]
    fn entry_in<'a>(&'a self, id: TypeId, cell: &EntryCell) -> Option<&'a Entry> {
        let p = cell.0.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: `p` was stored below from an entry of `id` in this
            // cache (or the shared one), which never moves or goes while
            // the registry lives; the cell lives in a node of this registry.
            return Some(unsafe { &*p });
        }
        let e = self.entry(id)?;
        cell.0
            .store(e as *const Entry as *mut Entry, Ordering::Release);
        Some(e)
    }

    /// The members of `rec` when it is a complete record (`None` for other
    /// types and for records not complete yet), with the entry kept in `cell`.
    #[inline(always)]
    pub fn fields_in(
        &self,
        py: Python<'_>,
        reg: &impl Facts,
        rec: TypeId,
        cell: &EntryCell,
    ) -> Option<&FieldTable> {
        let entry = self.entry_in(rec, cell)?;
        if let Some(decided) = entry.fields.get() {
            return decided.as_deref();
        }
        Self::decide_fields(py, reg, rec, entry)
    }

    /// The item facts of `item` when its size is final and not zero, with
    /// the entry kept in `cell`.
    #[inline(always)]
    pub fn item_in(&self, reg: &impl Facts, item: TypeId, cell: &EntryCell) -> Option<&ItemRead> {
        let entry = self.entry_in(item, cell)?;
        if let Some(decided) = entry.item.get() {
            return decided.as_ref();
        }
        Self::decide_item(reg, item, entry)
    }

    #[cold]
    fn grow_to(&self, id: TypeId) -> Option<&Entry> {
        let _growing = self.grow.lock().unwrap_or_else(|e| e.into_inner());
        while self.entries.count() <= id.index() {
            self.entries.push(Entry::default());
        }
        self.entries.get(id.index())
    }

    #[cold]
    fn decide_fields<'a>(
        py: Python<'_>,
        reg: &impl Facts,
        rec: TypeId,
        entry: &'a Entry,
    ) -> Option<&'a FieldTable> {
        if !matches!(reg.shape(rec), Shape::Record { .. }) {
            let _ = entry.fields.set(None);
            return None;
        }
        // An incomplete record may be completed later: nothing is stored.
        let table = FieldTable::new(py, reg, rec)?;
        let _ = entry.fields.set(Some(Box::new(table)));
        entry.fields.get()?.as_deref()
    }

    #[cold]
    fn decide_item<'a>(reg: &impl Facts, item: TypeId, entry: &'a Entry) -> Option<&'a ItemRead> {
        // Not final yet (an incomplete struct, an enum without values):
        // nothing is stored.
        let (shape, size) = reg.final_info(item)?;
        let read = match size {
            Some(size) if size > 0 => Some(ItemRead {
                ty: item,
                shape,
                size,
                kind: kind_of(shape),
            }),
            _ => None,
        };
        let _ = entry.item.set(read);
        entry.item.get()?.as_ref()
    }
}

/// The read facts of the shared types, which every registry reads.
static READS: ReadCache = ReadCache::new();

/// Where `reads`, a registry's read cache, keeps `id`: with the other
/// shared types for a shared id, else in `reads`.
#[inline]
pub fn home_reads(reads: &ReadCache, id: TypeId) -> &ReadCache {
    if id.is_shared() {
        &READS
    } else {
        reads
    }
}
