//! What keeps the memory of a cdata alive, and how it is let go.
//!
//! Every cdata that can be `ffi.release`d (from `ffi.new`, an allocator,
//! `ffi.gc` or `ffi.from_buffer`) owns an `Arc<Memory>`, and so does every
//! cdata derived from it (`p + 1`, `p[0]`, a field view, a slice). Releasing
//! sets one flag in that shared `Memory`; each access to the bytes loads the
//! flag first (`CData::live`), so a released cdata and all its derived views
//! raise `ValueError` instead of touching freed memory. The check is an enum
//! match and one atomic load.
//!
//! Small allocations (`ffi.new("int *")`, the cell of `ffi.cast("double", x)`)
//! keep their bytes inside the `Memory`: one allocation for the header and the
//! bytes. Releasing those only sets the flag; the bytes go with the `Memory`.
//!
//! A C call given a pointer into a `Memory` counts itself in it for the
//! call's length (see `State`): `ffi.release` meanwhile, from a callback or
//! another thread, refuses Python access at once and leaves the bytes to the
//! last such call to free when it returns. The owner also knows how far its
//! bytes reach (`Memory::span`), and item, member and slice access through
//! any cdata derived from it stays within them.
//!
//! Cdata that point into what something else owns (an opened library, a
//! callback's code, a Python object) hold a `Memory` of the kind `Kept`,
//! which keeps that owner alive and is never released: so an `Owner` is one
//! pointer, whatever it holds.

use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;

/// Memory a cdata refers to and how it is freed: once, on `ffi.release` or
/// when the last cdata using it goes, whichever comes first; or what owns
/// the memory, kept alive.
pub struct Memory(Bytes);

/// The most bytes kept inside a `Memory`, and their alignment.
const INLINE_SIZE: usize = 16;
const INLINE_ALIGN: usize = std::mem::align_of::<u64>();

/// Where the bytes of a `Memory` are, and how they are let go; each kind
/// with the flag `release` sets. Three words: with its `Arc` counts a small
/// `ffi.new` is one 40-byte allocation.
enum Bytes {
    /// Up to `INLINE_SIZE` bytes held in the `Memory` itself.
    Inline {
        state: State,
        size: u8,
        cell: UnsafeCell<[u64; INLINE_SIZE / 8]>,
    },
    /// rffi's own allocation of `size` bytes (at least one, see
    /// [`heap_layout`]) aligned to `1 << align_log2`.
    Heap {
        state: State,
        align_log2: u8,
        ptr: *mut u8,
        size: usize,
    },
    /// Python code decides: a destructor or an allocator's `free`, called
    /// with an object, or just the object dropped (a buffer hold).
    Foreign {
        state: State,
        ptr: *mut u8,
        rest: Box<Foreign>,
    },
    /// What owns the bytes, kept alive: never released. `python` when it
    /// holds Python objects (which the garbage collector must see).
    Kept {
        state: State,
        python: bool,
        _owner: Box<dyn std::any::Any + Send + Sync>,
    },
}

const _: () = assert!(std::mem::size_of::<Memory>() <= 3 * std::mem::size_of::<usize>());

/// What foreign memory needs beyond its address.
struct Foreign {
    size: usize,
    /// Whether `size` is the whole extent of the memory (an allocator's, a
    /// Python buffer's) rather than a guess (`ffi.gc` of a pointer into
    /// memory C sized).
    bounded: bool,
    finalizer: Mutex<Finalizer>,
}

/// The life of a `Memory` in one atomic word: whether Python let it go
/// (`RELEASED`, what `CData::live` checks), whether its bytes were let go
/// (`FREED`), and how many C calls running now were given a pointer into
/// it (counted in units of `IN_CALL`). `ffi.release` during such a call
/// (from a callback the call runs, or from another thread) sets `RELEASED`
/// at once but leaves the bytes to the last of those calls to return.
/// Every change is one read-modify-write of the word, so exactly one of
/// `release`, the last `exit_call` and `drop` frees the bytes.
#[derive(Default)]
struct State(AtomicU32);

const RELEASED: u32 = 1;
const FREED: u32 = 2;
const IN_CALL: u32 = 4;

impl State {
    #[inline(always)]
    fn is_released(&self) -> bool {
        self.0.load(Ordering::Acquire) & RELEASED != 0
    }

    /// Sets `RELEASED`; whether the bytes may be let go now (the first
    /// release, and no call running).
    fn release(&self) -> bool {
        let before = self.0.fetch_or(RELEASED, Ordering::AcqRel);
        before & RELEASED == 0 && before < IN_CALL
    }

    /// Claims the freeing of the bytes: true once only.
    fn claim_free(&self) -> bool {
        self.0.fetch_or(FREED, Ordering::AcqRel) & FREED == 0
    }

    #[inline]
    fn enter_call(&self) {
        self.0.fetch_add(IN_CALL, Ordering::AcqRel);
    }

    /// Whether this was the last running call of memory released meanwhile.
    #[inline]
    fn exit_call(&self) -> bool {
        let before = self.0.fetch_sub(IN_CALL, Ordering::AcqRel);
        before & RELEASED != 0 && before >> 2 == 1
    }
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

// SAFETY: `Memory` owns its allocation exclusively (or, for `Bytes::Foreign`,
// only records an address owned by a Python object it holds); the pointer is
// freed once, guarded by the `released` flag, and reads and writes through it
// (and through the inline cell, which is only reached by its address) happen
// under the GIL after checking that flag.
unsafe impl Send for Memory {}
// SAFETY: as above: shared references never free or move the allocation
// except through `release`, which the atomic flag makes happen once.
unsafe impl Sync for Memory {}

fn alloc_error(size: usize) -> PyErr {
    PyMemoryError::new_err(format!("cannot allocate {size} bytes"))
}

/// The layout `Bytes::Heap` allocates `size` bytes aligned to `align` with:
/// at least one byte, since the global allocator takes no empty layouts.
fn heap_layout(size: usize, align: usize) -> Option<Layout> {
    Layout::from_size_align(size.max(1), align).ok()
}

impl Memory {
    /// `size` zeroed bytes aligned to `align`.
    pub fn zeroed(size: usize, align: usize) -> PyResult<Arc<Memory>> {
        Memory::heap(size, align, true)
    }

    /// `size` bytes aligned to `align`, zeroed if `zero`. Small ones are kept
    /// inline (and always zeroed); others are aligned to at least 16, like malloc.
    pub fn heap(size: usize, align: usize, zero: bool) -> PyResult<Arc<Memory>> {
        if size <= INLINE_SIZE && align <= INLINE_ALIGN {
            return Ok(Memory::inline(size));
        }
        let align = align.max(16);
        let layout = heap_layout(size, align).ok_or_else(|| alloc_error(size))?;
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
        Ok(Arc::new(Memory(Bytes::Heap {
            state: State::default(),
            align_log2: align.trailing_zeros() as u8,
            ptr,
            size,
        })))
    }

    /// `size` (at most `INLINE_SIZE`) zeroed bytes inside the `Memory`.
    fn inline(size: usize) -> Arc<Memory> {
        Arc::new(Memory(Bytes::Inline {
            state: State::default(),
            size: size as u8,
            cell: UnsafeCell::new([0; INLINE_SIZE / 8]),
        }))
    }

    /// `size` bytes at `addr` that Python objects own; `finalizer` lets them
    /// go. `bounded` when nothing lies beyond those bytes that cdata of this
    /// memory may reach (an allocator's, a buffer's), rather than `size`
    /// being what one item covers (`ffi.gc`).
    pub fn foreign(addr: usize, size: usize, bounded: bool, finalizer: Finalizer) -> Arc<Memory> {
        Arc::new(Memory(Bytes::Foreign {
            state: State::default(),
            ptr: addr as *mut u8,
            rest: Box::new(Foreign {
                size,
                bounded,
                finalizer: Mutex::new(finalizer),
            }),
        }))
    }

    /// What owns some memory (an opened library, an object), kept alive;
    /// `python` when it holds Python objects.
    fn kept(value: impl std::any::Any + Send + Sync, python: bool) -> Arc<Memory> {
        Arc::new(Memory(Bytes::Kept {
            state: State::default(),
            python,
            _owner: Box::new(value),
        }))
    }

    /// Whether this holds Python objects, which may refer back to the cdata
    /// holding it: a finalizer or buffer hold of foreign memory, a kept object.
    pub fn holds_python(&self) -> bool {
        matches!(
            self.0,
            Bytes::Foreign { .. } | Bytes::Kept { python: true, .. }
        )
    }

    /// Where the bytes are (0 for kept owners). For inline bytes that is
    /// inside this `Memory`, which stays put: it is only ever reached
    /// behind its `Arc`.
    #[inline]
    pub fn addr(&self) -> usize {
        match &self.0 {
            Bytes::Inline { cell, .. } => cell.get() as usize,
            Bytes::Heap { ptr, .. } | Bytes::Foreign { ptr, .. } => *ptr as usize,
            Bytes::Kept { .. } => 0,
        }
    }

    /// The size asked for (the allocation may be larger).
    pub fn size(&self) -> usize {
        match &self.0 {
            Bytes::Inline { size, .. } => usize::from(*size),
            Bytes::Heap { size, .. } => *size,
            Bytes::Foreign { rest, .. } => rest.size,
            Bytes::Kept { .. } => 0,
        }
    }

    /// The bytes cdata of this memory may reach, `(start, size)`, when they
    /// are known: rffi's own allocations, an allocator's, a Python buffer.
    #[inline(always)]
    pub fn span(&self) -> Option<(usize, usize)> {
        match &self.0 {
            Bytes::Inline { cell, size, .. } => Some((cell.get() as usize, usize::from(*size))),
            Bytes::Heap { ptr, size, .. } => Some((*ptr as usize, *size)),
            Bytes::Foreign { ptr, rest, .. } if rest.bounded => Some((*ptr as usize, rest.size)),
            Bytes::Foreign { .. } | Bytes::Kept { .. } => None,
        }
    }

    /// Whether this keeps an owner alive (which may hold Python objects)
    /// rather than memory of its own.
    pub fn is_kept(&self) -> bool {
        matches!(self.0, Bytes::Kept { .. })
    }

    #[inline(always)]
    fn state(&self) -> &State {
        match &self.0 {
            Bytes::Inline { state, .. }
            | Bytes::Heap { state, .. }
            | Bytes::Foreign { state, .. }
            | Bytes::Kept { state, .. } => state,
        }
    }

    #[inline(always)]
    pub fn is_released(&self) -> bool {
        self.state().is_released()
    }

    /// Lets the memory go now, or when the last C call given a pointer into
    /// it returns. Does nothing the second time, as cffi; an exception raised
    /// by a Python finalizer is returned.
    pub fn release(&self, py: Python<'_>) -> PyResult<()> {
        if self.state().release() {
            self.let_go(py)?;
        }
        Ok(())
    }

    /// Records that a C call now running was given a pointer into this
    /// memory (which is live): [`release`](Self::release) waits for it.
    #[inline(always)]
    pub fn enter_call(&self) {
        self.state().enter_call();
    }

    /// The call [`enter_call`](Self::enter_call) recorded returned: lets the
    /// memory go if it was released meanwhile and no other call uses it.
    #[inline(always)]
    pub fn exit_call(&self) {
        if self.state().exit_call() {
            self.let_go_deferred();
        }
    }

    #[cold]
    fn let_go_deferred(&self) {
        crate::base::gil::attached(|py| {
            if let Err(e) = self.let_go(py) {
                let what = self.what();
                report_unraisable(py, e, what, None);
            }
        });
    }

    fn what(&self) -> &'static str {
        match &self.0 {
            Bytes::Foreign { rest, .. } => {
                rest.finalizer.lock().map(|f| f.what).unwrap_or("ffi.gc")
            }
            _ => "ffi.release",
        }
    }

    /// Frees the bytes (or runs the finalizer), once.
    fn let_go(&self, py: Python<'_>) -> PyResult<()> {
        if !self.state().claim_free() {
            return Ok(());
        }
        match &self.0 {
            // Nothing reaches the bytes once released; they go with
            // `self`. (Kept owners are not released: their cdata are not
            // releasable.)
            Bytes::Inline { .. } | Bytes::Kept { .. } => {}
            Bytes::Heap { .. } => self.free_heap(),
            Bytes::Foreign { rest, .. } => {
                let (func, arg) = {
                    let mut f = rest.finalizer.lock().unwrap_or_else(|e| e.into_inner());
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

    /// Frees rffi's own allocation; called once, by whoever claimed `FREED`.
    fn free_heap(&self) {
        if let Bytes::Heap {
            align_log2,
            ptr,
            size,
            ..
        } = &self.0
        {
            if let Some(layout) = heap_layout(*size, 1 << align_log2) {
                // SAFETY: `ptr` came from the global allocator with this
                // layout (the same size and alignment gave it), and the
                // caller claimed the `FREED` bit, so this runs once.
                unsafe { dealloc(*ptr, layout) }
            }
        }
    }

    /// Whether `ffi.gc` made this (its finalizer is a destructor).
    pub fn is_from_gc(&self) -> bool {
        match &self.0 {
            Bytes::Foreign { rest, .. } => rest
                .finalizer
                .lock()
                .map(|f| f.what == "ffi.gc")
                .unwrap_or(false),
            _ => false,
        }
    }

    /// The owner this keeps alive, if it is a `T`.
    pub fn kept_as<T: std::any::Any>(&self) -> Option<&T> {
        match &self.0 {
            Bytes::Kept { _owner, .. } => _owner.downcast_ref::<T>(),
            _ => None,
        }
    }

    /// Forgets the finalizer without running it (`ffi.gc(p, None)`).
    pub fn detach(&self) {
        if let Bytes::Foreign { rest, .. } = &self.0 {
            let func = rest
                .finalizer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .func
                .take();
            // Dropped outside the lock: freeing it may run Python code,
            // even a collection that traverses this memory.
            drop(func);
        }
    }

    /// Shows the garbage collector the Python objects this memory holds:
    /// the destructor or `free` of foreign memory and its argument (the
    /// original cdata, the buffer hold), or a kept object. Only for the
    /// sole user of the memory: only then are they its own references.
    pub fn traverse(&self, visit: &crate::base::gc::Visit) -> Result<(), std::ffi::c_int> {
        match &self.0 {
            Bytes::Foreign { rest, .. } => {
                // Never wait in the collector: the lock is only held for a
                // moment, and the next collection sees the objects.
                if let Ok(f) = rest.finalizer.try_lock() {
                    visit.call(&f.func)?;
                    visit.call(&f.arg)?;
                }
            }
            Bytes::Kept { _owner, .. } => {
                if let Some(obj) = _owner.downcast_ref::<Py<PyAny>>() {
                    visit.call(obj)?;
                }
            }
            Bytes::Inline { .. } | Bytes::Heap { .. } => {}
        }
        Ok(())
    }

    /// Whether letting this memory go calls Python code (a destructor of
    /// `ffi.gc`, an allocator's `free`) that has not run yet.
    pub fn has_pending_finalizer(&self) -> bool {
        match &self.0 {
            Bytes::Foreign { rest, .. } => rest
                .finalizer
                .try_lock()
                .map(|f| f.func.is_some())
                .unwrap_or(false),
            _ => false,
        }
    }

    /// Releases foreign memory for the garbage collector, which found its
    /// only cdata in unreachable garbage: runs the destructor (or `free`, or
    /// lets the buffer go) once, as collecting the cdata would, reporting
    /// an exception it raises. Later use of the cdata raises `ValueError`;
    /// an `ffi.gc` cdata keeps its original until it goes itself, so
    /// nothing it reaches is freed under it.
    pub fn release_collected(&self, py: Python<'_>) {
        let Bytes::Foreign { rest, .. } = &self.0 else {
            return;
        };
        if !self.state().release() {
            return;
        }
        if let Err(e) = self.let_go(py) {
            let what = self.what();
            let arg = rest
                .finalizer
                .lock()
                .ok()
                .and_then(|f| f.arg.as_ref().map(|a| a.clone_ref(py)));
            report_unraisable(py, e, what, arg);
        }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        match &self.0 {
            Bytes::Inline { .. } | Bytes::Kept { .. } => {}
            Bytes::Heap { state, .. } => {
                if state.claim_free() {
                    self.free_heap();
                }
            }
            Bytes::Foreign { rest, .. } => {
                let finalizer = &rest.finalizer;
                let what = finalizer.lock().map(|f| f.what).unwrap_or("ffi.gc");
                // At interpreter shutdown nothing can run any more: the
                // finalizer is skipped and what it holds is leaked.
                Python::try_attach(|py| {
                    self.state().release();
                    if let Err(e) = self.let_go(py) {
                        let func = finalizer
                            .lock()
                            .ok()
                            .and_then(|f| f.arg.as_ref().map(|a| a.clone_ref(py)));
                        report_unraisable(py, e, what, func);
                    }
                    // Drop `arg` (a kept original cdata) with the GIL held.
                    let kept = finalizer.lock().ok().and_then(|mut f| f.arg.take());
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

/// Where an owning cdata object keeps what its `Object` owners read, as
/// offsets into the object (`cdata::object` checks them against its
/// layout): the node pointer, the owner word, and the bytes.
pub mod object_layout {
    pub const NODE: usize = 24;
    pub const OWNER: usize = 40;
    pub const BYTES: usize = 48;
}

/// What an [`Owner`] is, seen from outside.
pub enum Kind<'a> {
    /// Nothing: a raw pointer, a cast, memory C owns.
    None,
    /// Memory from `ffi.new`, an allocator, `ffi.gc` or `ffi.from_buffer`
    /// (what `ffi.release` lets go), or what owns the memory (see
    /// [`Owner::keep`]).
    Memory(&'a Memory),
    /// A cdata object that holds its bytes after its own fields (a small
    /// `ffi.new`): the owner of that object itself (not counted: an object
    /// does not keep itself alive), or of the cdata derived from it (a
    /// counted reference).
    Object(*mut pyo3::ffi::PyObject),
}

/// The owner a cdata holds on to: one word.
///
/// - 0: nothing;
/// - an `Arc<Memory>` (from `Arc::into_raw`), low bit clear;
/// - a cdata object with its bytes inside (see [`Kind::Object`]), low bit
///   set. In that object's own owner word, bit 1 records that
///   `ffi.release` let the bytes go (they stay until the object goes;
///   nothing reads them after). The object keeps its node at
///   [`object_layout::NODE`], this word at [`object_layout::OWNER`] and
///   its bytes at [`object_layout::BYTES`], as many as the node's `inline`.
///
/// The word is atomic only for that bit; the rest never changes.
pub struct Owner(AtomicUsize);

const OBJECT: usize = 1;
const RELEASED_BIT: usize = 2;
const TAGS: usize = OBJECT | RELEASED_BIT;

impl Default for Owner {
    fn default() -> Owner {
        Owner::none()
    }
}

impl Owner {
    /// No owner.
    #[inline(always)]
    pub const fn none() -> Owner {
        Owner(AtomicUsize::new(0))
    }

    /// An owner holding `m`.
    #[inline]
    pub fn memory(m: Arc<Memory>) -> Owner {
        Owner(AtomicUsize::new(Arc::into_raw(m) as usize))
    }

    /// The owner of a cdata object whose bytes are inside it: the object
    /// itself, not counted.
    ///
    /// # Safety
    /// `obj` is a cdata object being made with its bytes after its fields
    /// (see the type's comment), and this owner goes into that object's
    /// value: its deallocator forgets it rather than dropping it
    /// ([`Owner::forget_if_self`]).
    pub unsafe fn own_bytes(obj: *mut pyo3::ffi::PyObject) -> Owner {
        Owner(AtomicUsize::new(obj as usize | OBJECT))
    }

    #[inline(always)]
    fn word(&self) -> usize {
        self.0.load(Ordering::Relaxed) & !RELEASED_BIT
    }

    #[inline(always)]
    pub fn kind(&self) -> Kind<'_> {
        let w = self.word();
        if w == 0 {
            Kind::None
        } else if w & OBJECT == 0 {
            // SAFETY: a word with the low bit clear is an `Arc<Memory>`
            // this owner holds a count of, so the `Memory` lives as long
            // as `self`.
            Kind::Memory(unsafe { &*(w as *const Memory) })
        } else {
            Kind::Object((w & !TAGS) as *mut pyo3::ffi::PyObject)
        }
    }

    /// The memory this holds, if it holds some.
    #[inline(always)]
    pub fn as_memory(&self) -> Option<&Memory> {
        match self.kind() {
            Kind::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// Another count of the memory this holds, if it holds some.
    pub fn memory_arc(&self) -> Option<Arc<Memory>> {
        let m = self.as_memory()?;
        // SAFETY: `m` came from `Arc::into_raw` and this owner holds a
        // count of it: one more is taken and given to the new `Arc`.
        unsafe {
            Arc::increment_strong_count(m);
            Some(Arc::from_raw(m))
        }
    }

    /// How many owners share the memory this holds (0 for other owners).
    pub fn memory_users(&self) -> usize {
        match self.as_memory() {
            // SAFETY: as in `memory_arc`; the `Arc` made here is not dropped.
            Some(m) => Arc::strong_count(&std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(m) })),
            None => 0,
        }
    }

    /// The owner word of the object whose bytes an `Object` owner holds.
    ///
    /// # Safety
    /// `obj` is the object of this owner's `Kind::Object`.
    #[inline(always)]
    unsafe fn object_word<'a>(obj: *mut pyo3::ffi::PyObject) -> &'a AtomicUsize {
        // SAFETY: the object is alive (this owner is it, or counts it) and
        // keeps its owner word at `OWNER`, per the type's comment.
        unsafe { &*((obj as *const u8).add(object_layout::OWNER) as *const AtomicUsize) }
    }

    /// The bytes of the object of an `Object` owner: where, how many.
    ///
    /// # Safety
    /// As [`object_word`](Self::object_word).
    #[inline(always)]
    unsafe fn object_span(obj: *mut pyo3::ffi::PyObject) -> (usize, usize) {
        // SAFETY: as in `object_word`: the object keeps its node pointer at
        // `NODE` (a live `NodeRef`: an object holding its bytes has no
        // extras, so its head is the node itself) and `inline` bytes at
        // `BYTES`.
        unsafe {
            let node = *((obj as *const u8).add(object_layout::NODE)
                as *const *const crate::model::registry::Node);
            (
                obj as usize + object_layout::BYTES,
                usize::from((*node).inline),
            )
        }
    }

    /// Lets the memory of a releasable cdata go now (see [`Memory::release`];
    /// an object's bytes are only marked let go: they go with the object).
    pub fn release(&self, py: Python<'_>) -> PyResult<()> {
        match self.kind() {
            Kind::Memory(m) => m.release(py),
            Kind::Object(obj) => {
                // SAFETY: `obj` is this owner's object.
                let word = unsafe { Owner::object_word(obj) };
                word.fetch_or(RELEASED_BIT, Ordering::Release);
                Ok(())
            }
            Kind::None => Ok(()),
        }
    }

    /// In the deallocator of a cdata object: forgets this owner, without
    /// dropping it, when it is the object's own uncounted owner of its
    /// bytes; whether it was.
    pub fn forget_if_self(&mut self, obj: *mut pyo3::ffi::PyObject) -> bool {
        match self.kind() {
            Kind::Object(o) if o == obj => {
                *self.0.get_mut() = 0;
                true
            }
            _ => false,
        }
    }

    /// An owner that keeps `obj` alive: the exporter of a buffer, a parent cdata.
    pub fn object(obj: Py<PyAny>) -> Owner {
        Owner::keep_python(obj)
    }

    /// An owner that keeps `value`, which holds no Python object, alive: an
    /// opened library.
    pub fn keep(value: impl std::any::Any + Send + Sync) -> Owner {
        Owner::memory(Memory::kept(value, false))
    }

    /// An owner that keeps `value`, which holds Python objects, alive: a
    /// callback's code and function, a handle's entry.
    pub fn keep_python(value: impl std::any::Any + Send + Sync) -> Owner {
        Owner::memory(Memory::kept(value, true))
    }

    /// Whether this holds Python objects (see [`Memory::holds_python`]):
    /// a cdata holding it must be seen by the garbage collector. (An object
    /// holding its bytes holds no Python object.)
    #[inline]
    pub fn holds_python(&self) -> bool {
        self.as_memory().is_some_and(Memory::holds_python)
    }

    /// How many cdata (and others) share the memory of this owner.
    pub fn users(&self) -> usize {
        self.memory_users()
    }

    /// The bytes cdata of this owner may reach, when known (see
    /// [`Memory::span`]; an object's are all its bytes).
    #[inline(always)]
    pub fn span(&self) -> Option<(usize, usize)> {
        match self.kind() {
            Kind::Memory(m) => m.span(),
            // SAFETY: `obj` is this owner's object.
            Kind::Object(obj) => Some(unsafe { Owner::object_span(obj) }),
            Kind::None => None,
        }
    }

    /// Whether `len` bytes at `addr` lie within the bytes of this owner, or
    /// their extent is not known.
    #[inline(always)]
    pub fn covers(&self, addr: usize, len: usize) -> bool {
        match self.span() {
            Some((start, size)) => addr >= start && len <= size && addr - start <= size - len,
            None => true,
        }
    }

    /// Where the bytes of this owner end, when known.
    #[inline]
    pub fn end(&self) -> Option<usize> {
        self.span().map(|(start, size)| start + size)
    }

    /// The bytes from `addr` to the end of this owner's, when known.
    #[inline]
    pub fn room_from(&self, addr: usize) -> Option<usize> {
        let (start, size) = self.span()?;
        Some(if addr >= start {
            (start + size).saturating_sub(addr)
        } else {
            0
        })
    }

    /// The memory a C call given a pointer into it must keep from being
    /// freed until it returns (see [`Memory::enter_call`]): rffi's heap and
    /// foreign memory. Inline bytes go with their `Memory` or object, which
    /// the call's arguments keep, and kept owners are never released.
    #[inline]
    pub fn call_guarded(&self) -> Option<&Memory> {
        match self.kind() {
            Kind::Memory(m) if matches!(m.0, Bytes::Heap { .. } | Bytes::Foreign { .. }) => Some(m),
            _ => None,
        }
    }

    /// Whether `ffi.release` let the memory of this owner go.
    #[inline(always)]
    pub fn is_released(&self) -> bool {
        match self.kind() {
            Kind::Memory(m) => m.is_released(),
            Kind::Object(obj) => {
                // SAFETY: `obj` is this owner's object.
                let word = unsafe { Owner::object_word(obj) };
                word.load(Ordering::Acquire) & RELEASED_BIT != 0
            }
            Kind::None => false,
        }
    }

    /// Refuses access to memory that `ffi.release` let go.
    #[inline(always)]
    pub fn check_live(&self) -> PyResult<()> {
        if self.is_released() {
            return Err(released_error());
        }
        Ok(())
    }
}

#[cold]
fn released_error() -> PyErr {
    PyValueError::new_err(
        "cdata was released (ffi.release() or 'with'): its memory cannot be used any more",
    )
}

impl Clone for Owner {
    /// Another owner of the same: one more count of the memory or object.
    /// Cloning an object's owner needs the GIL, as every cdata operation
    /// has it (it is taken if not).
    fn clone(&self) -> Owner {
        match self.kind() {
            Kind::None => Owner::none(),
            Kind::Memory(m) => {
                // SAFETY: `m` came from `Arc::into_raw` and this owner holds
                // a count of it; the new owner holds the one taken here.
                unsafe { Arc::increment_strong_count(m) };
                Owner(AtomicUsize::new(m as *const Memory as usize))
            }
            Kind::Object(obj) => {
                // SAFETY: `obj` is a live object (this owner is it or counts
                // it); its count changes with the GIL held.
                crate::base::gil::attached(|_| unsafe { pyo3::ffi::Py_IncRef(obj) });
                Owner(AtomicUsize::new(obj as usize | OBJECT))
            }
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let w = *self.0.get_mut() & !RELEASED_BIT;
        if w == 0 {
            return;
        }
        if w & OBJECT == 0 {
            // SAFETY: the count this owner held, given back once.
            drop(unsafe { Arc::from_raw(w as *const Memory) });
        } else {
            let obj = (w & !TAGS) as *mut pyo3::ffi::PyObject;
            // SAFETY: a counted reference to a live object (an uncounted
            // one, the object's own, was forgotten by its deallocator);
            // `Py` is a transparent pointer, and dropping it gives the
            // count back now with the GIL or later without.
            drop(unsafe {
                std::mem::transmute::<std::ptr::NonNull<pyo3::ffi::PyObject>, Py<PyAny>>(
                    std::ptr::NonNull::new_unchecked(obj),
                )
            });
        }
    }
}
