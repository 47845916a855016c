//! Blocks of C memory and call frames, with every access bounds-checked.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use rffi_types::BitField;

use super::SafeError;
use crate::memory::{self, Value};
use crate::plan::Frame;
use crate::{Library, Scalar};

pub(super) fn bounds(offset: usize, len: usize, size: usize) -> Result<(), SafeError> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(SafeError::OutOfBounds { offset, len, size }),
    }
}

fn bit_span(bf: BitField) -> usize {
    (bf.shift + bf.width).div_ceil(8) as usize
}

enum Owner {
    Heap(Layout),
    Library(#[allow(dead_code)] Arc<Library>),
}

/// A block of C memory with bounds-checked access: an owned allocation
/// (freed on drop) or a library's global variable (kept open while this lives).
///
/// Reads and writes copy through raw pointers; no Rust reference into the
/// block is ever handed out, because C may write to it through a pointer at
/// any time. A region is `Send` but not `Sync`: writes go through `&self`.
pub struct Region {
    ptr: NonNull<u8>,
    size: usize,
    writable: bool,
    owner: Owner,
}

// SAFETY: a region owns its allocation (or keeps its library loaded); moving
// it to another thread moves that ownership with it. It is not Sync, so no
// two threads access it through `&self` at once.
unsafe impl Send for Region {}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region")
            .field("addr", &self.ptr)
            .field("size", &self.size)
            .field("writable", &self.writable)
            .finish()
    }
}

impl Region {
    /// `size` zeroed bytes aligned to `align` (a power of two).
    pub fn alloc(size: usize, align: usize) -> Result<Region, SafeError> {
        let layout = Layout::from_size_align(size.max(1), align.max(1))
            .map_err(|e| SafeError::Mismatch(format!("cannot allocate {size} bytes: {e}")))?;
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        Ok(Region {
            ptr,
            size,
            writable: true,
            owner: Owner::Heap(layout),
        })
    }

    /// The global variable `name` of `library`, taken to be `size` bytes long.
    /// `writable` is false for objects declared `const`, which usually live
    /// in read-only pages.
    ///
    /// # Safety
    /// The symbol must be a variable of at least `size` bytes that stays
    /// valid while `library` is loaded, writable if `writable` is true, and
    /// any bytes written to it must be valid for the library (a pointer
    /// written there is handed to C).
    pub unsafe fn symbol(
        library: Arc<Library>,
        name: &str,
        size: usize,
        writable: bool,
    ) -> Result<Region, SafeError> {
        let addr = library.symbol(name)?;
        let ptr = NonNull::new(addr.cast::<u8>())
            .ok_or_else(|| SafeError::Mismatch(format!("symbol '{name}' has a null address")))?;
        Ok(Region {
            ptr,
            size,
            writable,
            owner: Owner::Library(library),
        })
    }

    /// The size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether writes are allowed.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// The address of the first byte, to pass to C.
    pub fn addr(&self) -> *mut c_void {
        self.ptr.as_ptr().cast()
    }

    fn at(&self, offset: usize, len: usize) -> Result<*mut u8, SafeError> {
        bounds(offset, len, self.size)?;
        // SAFETY: offset + len <= size, so the result stays inside the block.
        Ok(unsafe { self.ptr.as_ptr().add(offset) })
    }

    fn at_mut(&self, offset: usize, len: usize) -> Result<*mut u8, SafeError> {
        if !self.writable {
            return Err(SafeError::ReadOnly);
        }
        self.at(offset, len)
    }

    /// Reads a scalar at `offset`.
    pub fn read(&self, offset: usize, s: Scalar) -> Result<Value, SafeError> {
        let p = self.at(offset, memory::scalar_size(s))?;
        // SAFETY: the scalar's bytes lie inside the live block.
        Ok(unsafe { memory::read(p, s) })
    }

    /// Writes a scalar at `offset`, converting as a C assignment does.
    pub fn write(&self, offset: usize, s: Scalar, v: Value) -> Result<(), SafeError> {
        let p = self.at_mut(offset, memory::scalar_size(s))?;
        // SAFETY: the scalar's bytes lie inside the live, writable block.
        unsafe { memory::write(p, s, v) };
        Ok(())
    }

    /// Reads a bitfield whose first byte is at `offset`.
    pub fn read_bits(&self, offset: usize, bf: BitField, signed: bool) -> Result<i128, SafeError> {
        self.at(offset, bit_span(bf))?;
        // SAFETY: the bytes holding the bitfield lie inside the block.
        Ok(unsafe { memory::read_bits(self.ptr.as_ptr(), offset, bf, signed) })
    }

    /// Writes a bitfield whose first byte is at `offset`, keeping its neighbours.
    pub fn write_bits(&self, offset: usize, bf: BitField, v: i128) -> Result<(), SafeError> {
        self.at_mut(offset, bit_span(bf))?;
        // SAFETY: the bytes holding the bitfield lie inside the writable block.
        unsafe { memory::write_bits(self.ptr.as_ptr(), offset, bf, v) };
        Ok(())
    }

    /// A copy of `len` bytes at `offset`.
    pub fn read_bytes(&self, offset: usize, len: usize) -> Result<Vec<u8>, SafeError> {
        let p = self.at(offset, len)?;
        // SAFETY: the range lies inside the block.
        Ok(unsafe { memory::read_bytes(p, len) })
    }

    /// Copies `bytes` to `offset`.
    pub fn write_bytes(&self, offset: usize, bytes: &[u8]) -> Result<(), SafeError> {
        let p = self.at_mut(offset, bytes.len())?;
        // SAFETY: the range lies inside the writable block, which no Rust
        // slice (such as `bytes`) can point into.
        unsafe { memory::write_bytes(p, bytes) };
        Ok(())
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Owner::Heap(layout) = self.owner {
            // SAFETY: allocated in `alloc` with this layout, freed only here.
            unsafe { dealloc(self.ptr.as_ptr(), layout) }
        }
    }
}

/// Bounds-checked access to a call's argument and result frames.
impl Frame {
    fn slot(&mut self, offset: usize, len: usize) -> Result<*mut u8, SafeError> {
        bounds(offset, len, self.capacity())?;
        // SAFETY: offset + len <= capacity, inside the frame's buffer.
        Ok(unsafe { self.as_mut_ptr().add(offset) })
    }

    /// Writes a scalar at `offset`.
    pub fn put(&mut self, offset: usize, s: Scalar, v: Value) -> Result<(), SafeError> {
        let p = self.slot(offset, memory::scalar_size(s))?;
        // SAFETY: the bytes lie inside the frame.
        unsafe { memory::write(p, s, v) };
        Ok(())
    }

    /// Writes the bytes of a Rust value at `offset` (C reads them as the
    /// plan's type of the slot: any bytes are a value of a pointer-free
    /// type, and a plan with pointers needs an unsafe call).
    pub fn put_value<T: Copy>(&mut self, offset: usize, v: T) -> Result<(), SafeError> {
        let p = self.slot(offset, size_of::<T>())?;
        // SAFETY: the bytes lie inside the frame.
        unsafe { std::ptr::write_unaligned(p.cast::<T>(), v) };
        Ok(())
    }

    /// Copies `bytes` to `offset`.
    pub fn put_bytes(&mut self, offset: usize, bytes: &[u8]) -> Result<(), SafeError> {
        let p = self.slot(offset, bytes.len())?;
        // SAFETY: the bytes lie inside the frame, which `bytes` cannot alias
        // (the frame is borrowed mutably).
        unsafe { memory::write_bytes(p, bytes) };
        Ok(())
    }

    /// Reads a scalar at `offset`.
    pub fn get(&mut self, offset: usize, s: Scalar) -> Result<Value, SafeError> {
        let p = self.slot(offset, memory::scalar_size(s))?;
        // SAFETY: the bytes lie inside the frame.
        Ok(unsafe { memory::read(p, s) })
    }

    /// A copy of `len` bytes at `offset`.
    pub fn get_bytes(&mut self, offset: usize, len: usize) -> Result<Vec<u8>, SafeError> {
        let p = self.slot(offset, len)?;
        // SAFETY: the bytes lie inside the frame.
        Ok(unsafe { memory::read_bytes(p, len) })
    }
}
