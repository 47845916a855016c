//! What the raw read slots (`slots.rs`) know of a type, found once per type
//! and then read without locking, hashing a Rust string or asking the type
//! model: a record's members keyed by the address of their interned Python
//! name, and an item type's shape and size.
//!
//! Only final facts are stored: the members of a complete record (the same
//! index `Registry::field_index` builds and never changes), and the shape
//! and size of a type once `Registry::final_info` says they are final. Until
//! then a lookup answers `None` and the read takes the general path.

use std::sync::{Mutex, OnceLock};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use rffi_types::TypeId;

use crate::cdata::CData;
use crate::registry::{Registry, Shape};

/// How a value is turned into a Python object: the common scalars directly
/// with CPython's constructors, everything else through `convert`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
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

fn kind_of(shape: Shape) -> Kind {
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

/// The Python value of the scalar of kind `kind` at `addr`, as
/// `convert::scalar_to_py` makes it; NULL with an exception set when
/// CPython cannot allocate it.
///
/// # Safety
/// The GIL is held, `kind` is not `Kind::Other`, and the bytes of the
/// scalar at `addr` are readable (any alignment).
#[inline]
unsafe fn load(kind: Kind, addr: usize) -> *mut ffi::PyObject {
    let p = addr as *const u8;
    // SAFETY: the caller guarantees the scalar's bytes are readable and the
    // GIL held; `read_unaligned` needs no alignment. The constructors return
    // a new reference or NULL with an exception set.
    unsafe {
        match kind {
            Kind::I8 => ffi::PyLong_FromLong(p.cast::<i8>().read_unaligned().into()),
            Kind::U8 => ffi::PyLong_FromLong(p.read_unaligned().into()),
            Kind::I16 => ffi::PyLong_FromLong(p.cast::<i16>().read_unaligned().into()),
            Kind::U16 => ffi::PyLong_FromLong(p.cast::<u16>().read_unaligned().into()),
            Kind::I32 => ffi::PyLong_FromLong(p.cast::<i32>().read_unaligned().into()),
            Kind::U32 => ffi::PyLong_FromLongLong(p.cast::<u32>().read_unaligned().into()),
            Kind::I64 => ffi::PyLong_FromLongLong(p.cast::<i64>().read_unaligned()),
            Kind::U64 => ffi::PyLong_FromUnsignedLongLong(p.cast::<u64>().read_unaligned()),
            Kind::F32 => ffi::PyFloat_FromDouble(p.cast::<f32>().read_unaligned().into()),
            Kind::F64 => ffi::PyFloat_FromDouble(p.cast::<f64>().read_unaligned()),
            Kind::Bool => ffi::PyBool_FromLong((p.read_unaligned() != 0).into()),
            Kind::Char => ffi::PyBytes_FromStringAndSize(p.cast(), 1),
            Kind::Other => std::ptr::null_mut(),
        }
    }
}

/// Turns a read's outcome into what a slot returns: a new reference, or
/// NULL with the exception set.
fn into_slot(py: Python<'_>, r: PyResult<Py<PyAny>>) -> *mut ffi::PyObject {
    match r {
        Ok(v) => v.into_ptr(),
        Err(e) => {
            e.restore(py);
            std::ptr::null_mut()
        }
    }
}

/// A member of a complete record, ready to read.
pub struct FastField {
    field: rffi_types::Field,
    shape: Shape,
    kind: Kind,
}

impl FastField {
    /// The member's value in the record at `base` of `this` (which the
    /// caller checked: live, not in the NULL page). A new reference, or
    /// NULL with an exception set.
    ///
    /// # Safety
    /// The GIL is held and the record's bytes at `base` are readable.
    #[inline]
    pub unsafe fn read(&self, py: Python<'_>, this: &CData, base: usize) -> *mut ffi::PyObject {
        if self.kind == Kind::Other {
            let r = crate::convert::read_field(
                py,
                &this.reg,
                base,
                &self.field,
                self.shape,
                &this.owner,
                this.origin == crate::cdata::Origin::Owning,
            );
            return into_slot(py, r);
        }
        // SAFETY: not a bitfield (those are `Other`): the member's bytes lie
        // in the record at `base`, readable per the caller.
        unsafe { load(self.kind, base.wrapping_add(self.field.offset)) }
    }
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
    fn new(py: Python<'_>, reg: &Registry, rec: TypeId) -> Option<FieldTable> {
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
    ty: TypeId,
    pub shape: Shape,
    pub size: usize,
    kind: Kind,
}

impl ItemRead {
    /// The item at `addr` of `this` (which the caller checked: live, not in
    /// the NULL page). A new reference, or NULL with an exception set.
    ///
    /// # Safety
    /// The GIL is held and the item's bytes at `addr` are readable.
    #[inline]
    pub unsafe fn read(&self, py: Python<'_>, this: &CData, addr: usize) -> *mut ffi::PyObject {
        if self.kind == Kind::Other {
            let r =
                crate::convert::read_shaped(py, &this.reg, self.ty, self.shape, addr, &this.owner);
            return into_slot(py, r);
        }
        // SAFETY: as the caller guarantees.
        unsafe { load(self.kind, addr) }
    }
}

/// Per type id, once decided: its members (when it is a complete record)
/// and what reading it as an item needs (when its size is final and known).
#[derive(Default)]
struct Entry {
    /// Boxed: most types are no record, and the vector has an entry per type id.
    fields: OnceLock<Option<Box<FieldTable>>>,
    item: OnceLock<Option<ItemRead>>,
}

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
        let cache = crate::shared::home_reads(self, id);
        match cache.entries.get(id.index()) {
            Some(e) => Some(e),
            None => cache.grow_to(id),
        }
    }

    #[cold]
    fn grow_to(&self, id: TypeId) -> Option<&Entry> {
        let _growing = self.grow.lock().unwrap_or_else(|e| e.into_inner());
        while self.entries.count() <= id.index() {
            self.entries.push(Entry::default());
        }
        self.entries.get(id.index())
    }

    /// The members of `rec` when it is a complete record; `None` for other
    /// types and for records not complete yet.
    #[inline]
    pub fn fields(&self, py: Python<'_>, reg: &Registry, rec: TypeId) -> Option<&FieldTable> {
        let entry = self.entry(rec)?;
        if let Some(decided) = entry.fields.get() {
            return decided.as_deref();
        }
        Self::decide_fields(py, reg, rec, entry)
    }

    #[cold]
    fn decide_fields<'a>(
        py: Python<'_>,
        reg: &Registry,
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

    /// The item facts of `item` when its size is final and not zero.
    #[inline]
    pub fn item(&self, reg: &Registry, item: TypeId) -> Option<&ItemRead> {
        let entry = self.entry(item)?;
        if let Some(decided) = entry.item.get() {
            return decided.as_ref();
        }
        Self::decide_item(reg, item, entry)
    }

    #[cold]
    fn decide_item<'a>(reg: &Registry, item: TypeId, entry: &'a Entry) -> Option<&'a ItemRead> {
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

/// Stores `obj` as the scalar of kind `kind` at `addr` when `obj` is an
/// exact `int` or `float` that the kind takes as it is (an `int` within the
/// integer's range, a `float` for a floating kind): `Some(())` once stored,
/// `None` (nothing written, no exception) for every other case, which the
/// general conversion then handles with its errors.
///
/// # Safety
/// The GIL is held, `obj` is live, and the scalar's bytes at `addr` are
/// writable (any alignment).
#[inline]
unsafe fn store(kind: Kind, addr: usize, obj: *mut ffi::PyObject) -> Option<()> {
    let p = addr as *mut u8;
    // SAFETY: `obj` is live and the GIL held, per the caller.
    let (is_int, is_float) = unsafe {
        (
            ffi::PyLong_CheckExact(obj) != 0,
            ffi::PyFloat_CheckExact(obj) != 0,
        )
    };
    if is_float {
        // SAFETY: `obj` is an exact float.
        let v = unsafe { ffi::PyFloat_AS_DOUBLE(obj) };
        // SAFETY: the scalar's bytes are writable, per the caller.
        unsafe {
            match kind {
                Kind::F64 => p.cast::<f64>().write_unaligned(v),
                Kind::F32 => p.cast::<f32>().write_unaligned(v as f32),
                _ => return None,
            }
        }
        return Some(());
    }
    if !is_int {
        return None;
    }
    let mut overflow: std::ffi::c_int = 0;
    // SAFETY: `obj` is an exact int; no Python code runs for it.
    let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow) };
    if overflow != 0 {
        return None; // past 64 bits: the general path raises, or takes a u64
    }
    if v == -1 {
        // SAFETY: the GIL is held.
        if unsafe { !ffi::PyErr_Occurred().is_null() } {
            // SAFETY: as above; the general path raises its own error.
            unsafe { ffi::PyErr_Clear() };
            return None;
        }
    }
    // SAFETY: the scalar's bytes are writable, per the caller; each value
    // is stored only when it fits the kind.
    unsafe {
        match kind {
            Kind::I8 => p.cast::<i8>().write_unaligned(i8::try_from(v).ok()?),
            Kind::U8 => p.write_unaligned(u8::try_from(v).ok()?),
            Kind::I16 => p.cast::<i16>().write_unaligned(i16::try_from(v).ok()?),
            Kind::U16 => p.cast::<u16>().write_unaligned(u16::try_from(v).ok()?),
            Kind::I32 => p.cast::<i32>().write_unaligned(i32::try_from(v).ok()?),
            Kind::U32 => p.cast::<u32>().write_unaligned(u32::try_from(v).ok()?),
            Kind::I64 => p.cast::<i64>().write_unaligned(v),
            Kind::U64 => p.cast::<u64>().write_unaligned(u64::try_from(v).ok()?),
            _ => return None,
        }
    }
    Some(())
}

impl FastField {
    /// Stores `obj` in the member of the record at `base` when it is a
    /// common scalar taking `obj` as it is (see [`store`]); `None` leaves it
    /// to the general path.
    ///
    /// # Safety
    /// The GIL is held, `obj` is live and the record's bytes at `base` are
    /// writable.
    #[inline]
    pub unsafe fn store(&self, base: usize, obj: *mut ffi::PyObject) -> Option<()> {
        if self.kind == Kind::Other {
            return None;
        }
        // SAFETY: not a bitfield: the member's bytes lie in the record.
        unsafe { store(self.kind, base.wrapping_add(self.field.offset), obj) }
    }
}

impl ItemRead {
    /// Stores `obj` in the item at `addr` when it is a common scalar taking
    /// `obj` as it is; `None` leaves it to the general path.
    ///
    /// # Safety
    /// The GIL is held, `obj` is live and the item's bytes are writable.
    #[inline]
    pub unsafe fn store(&self, addr: usize, obj: *mut ffi::PyObject) -> Option<()> {
        // SAFETY: as the caller guarantees.
        unsafe { store(self.kind, addr, obj) }
    }
}
