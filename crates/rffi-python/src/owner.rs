//! What keeps the memory of a cdata alive.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::sync::Arc;

use pyo3::exceptions::PyMemoryError;
use pyo3::prelude::*;

/// Zero-filled memory allocated for `ffi.new` and primitive cdata, freed once
/// when the last cdata using it goes.
pub struct Memory {
    ptr: *mut u8,
    layout: Layout,
    size: usize,
}

// SAFETY: `Memory` owns its allocation exclusively; the pointer is only freed
// in `drop`, and reads and writes through it happen under the GIL.
unsafe impl Send for Memory {}
// SAFETY: as above: shared references never free or move the allocation.
unsafe impl Sync for Memory {}

impl Memory {
    /// `size` zeroed bytes aligned to `align` (at least 16, like malloc).
    pub fn zeroed(size: usize, align: usize) -> PyResult<Arc<Memory>> {
        let layout = Layout::from_size_align(size.max(1), align.max(16))
            .map_err(|_| PyMemoryError::new_err(format!("cannot allocate {size} bytes")))?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        if ptr.is_null() {
            return Err(PyMemoryError::new_err(format!(
                "cannot allocate {size} bytes"
            )));
        }
        Ok(Arc::new(Memory { ptr, layout, size }))
    }

    pub fn addr(&self) -> usize {
        self.ptr as usize
    }

    /// The size asked for (the allocation may be larger).
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `alloc_zeroed` with this layout and is freed only here.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

/// The owner a cdata holds on to.
#[derive(Clone)]
pub enum Owner {
    /// Nothing: a raw pointer, a cast, memory C owns.
    None,
    /// Memory from `ffi.new`.
    Memory(Arc<Memory>),
    /// A Python object: the exporter of a buffer, a parent cdata.
    Object(Arc<Py<PyAny>>),
    /// A Rust value, such as an opened library whose code or data is referenced.
    Shared(Arc<dyn std::any::Any + Send + Sync>),
}

impl Owner {
    pub fn object(obj: Py<PyAny>) -> Owner {
        Owner::Object(Arc::new(obj))
    }
}
