//! C memory seen through C types: owned allocations and library globals.

use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;

use rffi_call::safe::Region;
use rffi_types::{BitField, Type, TypeId, Types};

use crate::context::{CType, Ffi, TypeName};
use crate::error::{Error, Result};
use crate::value::{from_c, Conv, Stored, StructValue, Value};

/// A place in C memory holding a value of a C type: what
/// [`Ffi::alloc`] returns, what [`Library::global`](crate::Library::global)
/// returns, and what [`field`](CData::field), [`index`](CData::index) and
/// [`cast`](CData::cast) derive from them.
///
/// Every `CData` keeps its memory alive: an allocation is freed when the last
/// `CData` of it is dropped, a global keeps its library loaded. Every access
/// is checked against the bounds of the memory.
///
/// There is no borrowed `&[u8]` view: C may write to the memory through a
/// pointer at any time, so bytes are copied out with
/// [`to_bytes`](CData::to_bytes) instead.
///
/// ```
/// let ffi = rffi::Ffi::new();
/// ffi.cdef("struct point { int x, y; };")?;
/// let p = ffi.alloc("struct point")?;
/// p.field("y")?.set(7)?;
/// assert_eq!(p.field("y")?.get()?, rffi::Value::I32(7));
/// assert_eq!(p.to_bytes()?, [0, 0, 0, 0, 7, 0, 0, 0]);
/// let ints = p.cast("int[2]")?;
/// assert_eq!(ints.index(1)?.get()?, rffi::Value::I32(7));
/// # Ok::<(), rffi::Error>(())
/// ```
///
/// A `CData` is neither `Send` nor `Sync`: its clones share one block of
/// memory that they read and write without locks, so they must stay on one
/// thread (copy the bytes out with [`to_bytes`](CData::to_bytes) to move a
/// value to another).
#[derive(Clone)]
pub struct CData {
    ffi: Ffi,
    region: Rc<Region>,
    ty: TypeId,
    offset: usize,
    bits: Option<BitField>,
    /// Set for a library global whose type holds a pointer, opened without
    /// [`Library::global_unchecked`](crate::Library::global_unchecked).
    pointer_guard: bool,
}

impl std::fmt::Debug for CData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CData")
            .field("ctype", &self.ffi.types().cname(self.ty))
            .field("addr", &self.as_ptr())
            .finish()
    }
}

impl CData {
    pub(crate) fn alloc(ffi: Ffi, ty: TypeId) -> Result<CData> {
        let (size, align) = ffi.types().size_align(ty)?;
        let region = Region::alloc(size, align)?;
        Ok(CData::whole(ffi, region, ty))
    }

    pub(crate) fn whole(ffi: Ffi, region: Region, ty: TypeId) -> CData {
        CData {
            ffi,
            region: Rc::new(region),
            ty,
            offset: 0,
            bits: None,
            pointer_guard: false,
        }
    }

    /// The global `name`; `pointers_vouched` when the caller of an unsafe fn
    /// vouched for pointers written to it.
    #[allow(unsafe_code)]
    pub(crate) fn global(
        ffi: Ffi,
        lib: Arc<rffi_call::Library>,
        name: &str,
        pointers_vouched: bool,
    ) -> Result<CData> {
        let (ty, is_const) = match ffi.types().symbol(name) {
            Some(rffi_types::Symbol::Variable { ty, is_const }) => (*ty, *is_const),
            _ => {
                return Err(Error::NotDeclared {
                    name: name.to_string(),
                    expected: "variable",
                })
            }
        };
        let size = ffi.types().size_of(ty)?;
        let holds_pointer = rffi_call::holds_pointer(&ffi.types(), ty);
        // SAFETY: the library was opened by an unsafe `Ffi::dlopen*`, whose
        // caller vouched that the declaration (type, so size, and constness)
        // describes the variable; pointers are only written to it when
        // `global_unchecked`'s caller vouched for them (`pointer_guard`).
        let region = unsafe { Region::symbol(lib, name, size, !is_const) }?;
        let mut data = CData::whole(ffi, region, ty);
        data.pointer_guard = holds_pointer && !pointers_vouched;
        Ok(data)
    }

    fn derived(&self, ty: TypeId, offset: usize, bits: Option<BitField>) -> CData {
        CData {
            ffi: self.ffi.clone(),
            region: self.region.clone(),
            ty,
            offset,
            bits,
            pointer_guard: self.pointer_guard,
        }
    }

    fn check_writable(&self) -> Result<()> {
        if self.pointer_guard {
            return Err(Error::ReadOnly {
                reason: "a library global holding pointers: writing it hands C a pointer; \
                         see Library::global_unchecked"
                    .into(),
            });
        }
        Ok(())
    }

    fn unsupported(&self, types: &Types, reason: impl Into<String>) -> Error {
        Error::Unsupported {
            ctype: types.cname(self.ty),
            reason: reason.into(),
        }
    }

    /// The C type.
    pub fn ctype(&self) -> CType {
        self.ffi.ctype(self.ty)
    }

    /// The address, to pass to C as a pointer. For a bitfield, the address
    /// of the byte holding its first bit.
    pub fn as_ptr(&self) -> *mut c_void {
        self.region
            .addr()
            .cast::<u8>()
            .wrapping_add(self.offset)
            .cast()
    }

    /// The member `name` of a struct or union (members of anonymous members
    /// included).
    pub fn field(&self, name: &str) -> Result<CData> {
        let types = self.ffi.types();
        if self.bits.is_some() || types.require_layout(self.ty).is_err() {
            return Err(self.unsupported(
                &types,
                format!("has no field '{name}' (not a struct or union)"),
            ));
        }
        let f = types
            .field(self.ty, name)
            .map_err(|_| self.unsupported(&types, format!("has no field '{name}'")))?;
        Ok(self.derived(f.ty, self.offset + f.offset, f.bits))
    }

    /// Item `index` of an array.
    pub fn index(&self, index: usize) -> Result<CData> {
        let types = self.ffi.types();
        let Type::Array(item, len) = *types.get(self.ty) else {
            return Err(self.unsupported(&types, "cannot be indexed (not an array)"));
        };
        let size = types.size_of(item)?;
        let in_range = len.is_some_and(|n| index < n);
        let offset = index
            .checked_mul(size)
            .and_then(|o| o.checked_add(self.offset));
        match offset {
            Some(offset) if in_range => Ok(self.derived(item, offset, None)),
            _ => Err(Error::Index {
                index,
                ctype: types.cname(self.ty),
            }),
        }
    }

    /// The number of items of an array; `None` for other types.
    pub fn array_len(&self) -> Option<usize> {
        match *self.ffi.types().get(self.ty) {
            Type::Array(_, len) => len,
            _ => None,
        }
    }

    /// The same memory seen as another type, which must fit in it.
    pub fn cast(&self, ty: impl TypeName) -> Result<CData> {
        let id = ty.resolve(&self.ffi)?;
        let types = self.ffi.types();
        let size = types.size_of(id)?;
        if self.bits.is_some() || self.offset + size > self.region.size() {
            return Err(self.unsupported(
                &types,
                format!("cannot be cast to '{}': not enough memory", types.cname(id)),
            ));
        }
        Ok(self.derived(id, self.offset, None))
    }

    /// The value of type `ty` at `addr`, which must lie inside this memory:
    /// how a callback reads what C points it to (such as the items `qsort`
    /// compares), checked instead of dereferencing a raw pointer.
    pub fn at(&self, addr: *const c_void, ty: impl TypeName) -> Result<CData> {
        let id = ty.resolve(&self.ffi)?;
        let types = self.ffi.types();
        let size = types.size_of(id)?;
        let base = self.region.addr().addr();
        let offset = addr.addr().wrapping_sub(base);
        if addr.addr() < base
            || offset
                .checked_add(size)
                .is_none_or(|end| end > self.region.size())
        {
            return Err(self.unsupported(
                &types,
                format!(
                    "address {addr:p} is not inside this memory (for '{}')",
                    types.cname(id)
                ),
            ));
        }
        Ok(self.derived(id, offset, None))
    }

    /// The value: a scalar, or a [`StructValue`] for a struct or union.
    pub fn get(&self) -> Result<Value> {
        let types = self.ffi.types();
        if let Some(bf) = self.bits {
            let signed = types.integer_prim(self.ty).is_some_and(|p| p.is_signed());
            let raw = self.region.read_bits(self.offset, bf, signed)?;
            let conv = Conv::of(&types, self.ty);
            return Ok(from_c(&conv, rffi_call::Value::Int(raw)));
        }
        let conv = Conv::of(&types, self.ty);
        if let Some(s) = conv.scalar() {
            let raw = self.region.read(self.offset, s)?;
            return Ok(from_c(&conv, raw));
        }
        match types.get(self.ty) {
            Type::Record(_) => {
                let size = types.size_of(self.ty)?;
                Ok(Value::Struct(StructValue {
                    ty: self.ctype(),
                    bytes: self.region.read_bytes(self.offset, size)?,
                }))
            }
            _ => Err(self.unsupported(&types, "has no single value (use index or to_bytes)")),
        }
    }

    /// Stores a value, checked against the type as a call argument is.
    pub fn set(&self, value: impl Into<Value>) -> Result<()> {
        let value = value.into();
        self.check_writable()?;
        let types = self.ffi.types();
        let place = || "assignment".to_string();
        if let Some(bf) = self.bits {
            let v = value.as_int().ok_or_else(|| Error::WrongType {
                place: place(),
                ctype: types.cname(self.ty),
                got: format!("{value:?}"),
            })?;
            let signed = types.integer_prim(self.ty).is_some_and(|p| p.is_signed());
            let (lo, hi) = if signed {
                (-(1i128 << (bf.width - 1)), (1i128 << (bf.width - 1)) - 1)
            } else {
                (0, (1i128 << bf.width) - 1)
            };
            if v < lo || v > hi {
                return Err(Error::Overflow {
                    place: format!("bitfield of {} bits", bf.width),
                    ctype: types.cname(self.ty),
                    value: v.to_string(),
                });
            }
            return Ok(self.region.write_bits(self.offset, bf, v)?);
        }
        match Conv::of(&types, self.ty).store(self.ffi.id(), &value, &place)? {
            Stored::Scalar(s, raw) => self.region.write(self.offset, s, raw)?,
            Stored::Bytes(bytes) => self.region.write_bytes(self.offset, bytes)?,
        }
        Ok(())
    }

    /// A copy of the bytes of the value.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let types = self.ffi.types();
        if self.bits.is_some() {
            return Err(self.unsupported(&types, "a bitfield has no bytes of its own"));
        }
        let size = types.size_of(self.ty)?;
        Ok(self.region.read_bytes(self.offset, size)?)
    }

    /// The bytes of the value up to its first NUL (all of them if it has
    /// none), as cffi's `ffi.string` reads a `char` array: for text that C
    /// wrote into memory of this crate.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// let buf = ffi.alloc_array("char", 8)?;
    /// buf.write_bytes(b"abc\0def\0")?;
    /// assert_eq!(buf.to_cstring()?.as_bytes(), b"abc");
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn to_cstring(&self) -> Result<std::ffi::CString> {
        let mut bytes = self.to_bytes()?;
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            bytes.truncate(nul);
        }
        Ok(std::ffi::CString::new(bytes).unwrap_or_default())
    }

    /// Overwrites the value with `bytes`, which must be exactly its size.
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        self.check_writable()?;
        let types = self.ffi.types();
        let size = types.size_of(self.ty)?;
        if self.bits.is_some() || bytes.len() != size {
            return Err(self.unsupported(
                &types,
                format!("{} bytes given for a value of {size}", bytes.len()),
            ));
        }
        Ok(self.region.write_bytes(self.offset, bytes)?)
    }
}
