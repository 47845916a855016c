//! What keeps the memory of a cdata alive, and how it is let go.
//!
//! Every cdata that can be `ffi.release`d (from `ffi.new`, an allocator,
//! `ffi.gc` or `ffi.from_buffer`) owns an `Arc<Memory>`, and so does every
//! cdata derived from it (`p + 1`, `p[0]`, a field view, a slice). Releasing
//! sets one flag in that shared `Memory`; each access to the bytes loads the
//! flag first (`CData::live`), so a released cdata and all its derived views
//! raise `ValueError` instead of touching freed memory. The check is an enum
//! match and one atomic load.

use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;

/// Memory a cdata refers to and how it is freed: once, on `ffi.release` or
/// when the last cdata using it goes, whichever comes first.
pub struct Memory {
    ptr: *mut u8,
    size: usize,
    released: AtomicBool,
    free: Free,
}

/// How the bytes of a `Memory` are let go.
enum Free {
    /// rffi's own allocation, with the layout it was made with.
    Heap(Layout),
    /// Python code decides: a destructor or an allocator's `free`, called
    /// with an object, or just the object dropped (a buffer hold).
    Python(Mutex<Finalizer>),
}

/// `func(arg)` run once when the memory is let go; `arg` alone is dropped
/// when there is no `func`.
pub struct Finalizer {
    pub func: Option<Py<PyAny>>,
    pub arg: Option<Py<PyAny>>,
    /// Keep `arg` until the `Memory` itself goes, rather than dropping it on
    /// release: `ffi.gc` cdata may still be read (their address, a value
    /// cell) through the original object after the destructor ran.
    pub keep_arg: bool,
    /// Shown when `func` raises while the memory is dropped, as cffi does.
    pub what: &'static str,
}

// SAFETY: `Memory` owns its allocation exclusively (or, for `Free::Python`,
// only records an address owned by a Python object it holds); the pointer is
// freed once, guarded by the `released` flag, and reads and writes through it
// happen under the GIL after checking that flag.
unsafe impl Send for Memory {}
// SAFETY: as above: shared references never free or move the allocation
// except through `release`, which the atomic flag makes happen once.
unsafe impl Sync for Memory {}

fn alloc_error(size: usize) -> PyErr {
    PyMemoryError::new_err(format!("cannot allocate {size} bytes"))
}

impl Memory {
    /// `size` zeroed bytes aligned to `align` (at least 16, like malloc).
    pub fn zeroed(size: usize, align: usize) -> PyResult<Arc<Memory>> {
        Memory::heap(size, align, true)
    }

    /// `size` bytes aligned to `align`, zeroed if `zero`.
    pub fn heap(size: usize, align: usize, zero: bool) -> PyResult<Arc<Memory>> {
        let layout =
            Layout::from_size_align(size.max(1), align.max(16)).map_err(|_| alloc_error(size))?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe {
            if zero {
                alloc_zeroed(layout)
            } else {
                alloc(layout)
            }
        };
        if ptr.is_null() {
            return Err(alloc_error(size));
        }
        Ok(Arc::new(Memory {
            ptr,
            size,
            released: AtomicBool::new(false),
            free: Free::Heap(layout),
        }))
    }

    /// `size` bytes at `addr` that Python objects own; `finalizer` lets them go.
    pub fn foreign(addr: usize, size: usize, finalizer: Finalizer) -> Arc<Memory> {
        Arc::new(Memory {
            ptr: addr as *mut u8,
            size,
            released: AtomicBool::new(false),
            free: Free::Python(Mutex::new(finalizer)),
        })
    }

    pub fn addr(&self) -> usize {
        self.ptr as usize
    }

    /// The size asked for (the allocation may be larger).
    pub fn size(&self) -> usize {
        self.size
    }

    #[inline]
    pub fn is_released(&self) -> bool {
        self.released.load(Ordering::Acquire)
    }

    /// Lets the memory go now. Does nothing the second time, as cffi; an
    /// exception raised by a Python finalizer is returned.
    pub fn release(&self, py: Python<'_>) -> PyResult<()> {
        if self.released.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match &self.free {
            // SAFETY: `ptr` came from the global allocator with this layout,
            // and the flag just swapped guarantees this runs once.
            Free::Heap(layout) => unsafe { dealloc(self.ptr, *layout) },
            Free::Python(fin) => {
                let (func, arg) = {
                    let mut f = fin.lock().unwrap_or_else(|e| e.into_inner());
                    let arg = if f.keep_arg {
                        f.arg.as_ref().map(|a| a.clone_ref(py))
                    } else {
                        f.arg.take()
                    };
                    (f.func.take(), arg)
                };
                if let Some(func) = func {
                    let arg = arg.unwrap_or_else(|| py.None());
                    func.bind(py).call1((arg,))?;
                }
            }
        }
        Ok(())
    }

    /// Forgets the finalizer without running it (`ffi.gc(p, None)`).
    pub fn detach(&self) {
        if let Free::Python(fin) = &self.free {
            fin.lock().unwrap_or_else(|e| e.into_inner()).func = None;
        }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        match &self.free {
            Free::Heap(layout) => {
                if !self.released.load(Ordering::Acquire) {
                    // SAFETY: `ptr` came from the global allocator with this
                    // layout, and it was not released, so it is freed only here.
                    unsafe { dealloc(self.ptr, *layout) }
                }
            }
            Free::Python(fin) => {
                let what = fin.lock().map(|f| f.what).unwrap_or("ffi.gc");
                // At interpreter shutdown nothing can run any more: the
                // finalizer is skipped and what it holds is leaked.
                Python::try_attach(|py| {
                    if let Err(e) = self.release(py) {
                        let func = fin
                            .lock()
                            .ok()
                            .and_then(|f| f.arg.as_ref().map(|a| a.clone_ref(py)));
                        report_unraisable(py, e, what, func);
                    }
                    // Drop `arg` (a kept original cdata) with the GIL held.
                    let kept = fin.lock().ok().and_then(|mut f| f.arg.take());
                    drop(kept);
                });
            }
        }
    }
}

/// Reports an exception raised by a finalizer nobody waits for, as cffi:
/// "Exception ignored from callback for ffi.gc <cdata ...>".
fn report_unraisable(py: Python<'_>, err: PyErr, what: &str, arg: Option<Py<PyAny>>) {
    let shown = arg
        .and_then(|a| a.bind(py).repr().ok().map(|r| r.to_string()))
        .unwrap_or_default();
    let header = format!("Exception ignored from callback for {what} {shown}");
    let reported = (|| -> PyResult<()> {
        let sys = py.import("sys")?;
        sys.getattr("stderr")?
            .call_method1("write", (format!("{header}:\n"),))?;
        Ok(())
    })();
    if reported.is_err() {
        return;
    }
    err.display(py);
}

/// The owner a cdata holds on to.
#[derive(Clone)]
pub enum Owner {
    /// Nothing: a raw pointer, a cast, memory C owns.
    None,
    /// Memory from `ffi.new`, an allocator, `ffi.gc` or `ffi.from_buffer`:
    /// what `ffi.release` lets go.
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

    /// Refuses access to memory that `ffi.release` let go.
    #[inline]
    pub fn check_live(&self) -> PyResult<()> {
        match self {
            Owner::Memory(m) if m.is_released() => Err(PyValueError::new_err(
                "cdata was released (ffi.release() or 'with'): its memory cannot be used any more",
            )),
            _ => Ok(()),
        }
    }
}
