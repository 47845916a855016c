//! `ffi.callback`: Python callables as C function pointers.
//!
//! A callback's per-call work is kept to what C→Python needs: everything that
//! depends only on the signature (how each argument becomes a Python object,
//! how the result goes back) is chosen once, at `ffi.callback` time. A call
//! then takes the GIL with `PyGILState_Ensure` (which also works on threads C
//! started), converts the arguments with their precomputed converters, calls
//! the function through vectorcall with the arguments on the stack, and
//! writes the result. Anything unusual (an exception, a result that is not an
//! exact int or float, records, `long double`...) takes the general path of
//! `convert`, with cffi's rules and messages.

use crate::model::registry::node;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use pyo3::IntoPyObjectExt;
use rffi_call::{CallPlan, Callback};
use rffi_types::{Type, TypeId};

use crate::base::errors::IntoPyResult;
use crate::cdata::value::{CData, Extras, Origin};
use crate::convert::scalar;
use crate::convert::value as convert;
use crate::memory::owner::{Memory, Owner};
use crate::model::read_facts::{kind_of, Kind};
use crate::model::registry::{Registry, Shape};

/// A Python exception is set (the interpreter's error indicator holds it).
struct Raised;

/// Where the exception of a failed callback came from, which cffi's report
/// tells apart.
#[derive(Clone, Copy)]
enum Stage {
    /// Converting the arguments or running the function.
    Call,
    /// Converting the function's result back to C.
    Result,
}

impl Stage {
    /// What cffi adds to `"Exception ignored from cffi callback <function>"`.
    fn suffix(self) -> &'static str {
        match self {
            Stage::Call => "",
            Stage::Result => ", trying to convert the result back to C",
        }
    }
}

/// Restores `err` as the current exception, for the raw paths that report
/// errors through the indicator.
fn raise(py: Python<'_>, err: PyErr) -> Raised {
    err.restore(py);
    Raised
}

/// How one C argument becomes a Python object, chosen by its type.
enum ArgConv {
    /// Integers and enums up to 64 bits, `_Bool`, `char`, `float` and
    /// `double`: made by the one scalar conversion (`convert::scalar`).
    Scalar(Kind),
    /// Pointers: a cdata with no owner. The object is reused by the next
    /// call when nothing kept it (see [`Spare`]).
    Pointer {
        ty: TypeId,
        shape: Shape,
        spare: Spare,
    },
    /// Everything else (records, `long double`, wide chars, complex):
    /// `convert::read`.
    General { ty: TypeId, shape: Shape },
}

impl ArgConv {
    fn of(reg: &Registry, ty: TypeId, layout: Option<Layout>) -> ArgConv {
        if !crate::base::switches::fast_paths() {
            return ArgConv::General {
                ty,
                shape: reg.shape(ty),
            };
        }
        match reg.shape(ty) {
            shape @ (Shape::Int { .. } | Shape::Bool | Shape::Char | Shape::Float { .. })
                if kind_of(shape) != Kind::Other =>
            {
                ArgConv::Scalar(kind_of(shape))
            }
            shape @ Shape::Pointer { .. } => ArgConv::Pointer {
                ty,
                shape,
                spare: Spare {
                    slot: AtomicPtr::new(null_mut()),
                    layout,
                },
            },
            shape => ArgConv::General { ty, shape },
        }
    }

    /// A new reference to the Python value of the C value at `p`.
    ///
    /// # Safety
    /// The GIL is held and `p` points to a value of this argument's type.
    unsafe fn to_python(
        &self,
        py: Python<'_>,
        reg: &Arc<Registry>,
        p: *const u8,
    ) -> Result<*mut ffi::PyObject, Raised> {
        // SAFETY: (all arms) per this function's contract, `p` holds a value
        // of the argument's C type, and the GIL is held for the CPython
        // constructors.
        let obj = unsafe {
            match *self {
                // Unaligned reads: libffi gives no alignment promise for
                // small arguments, and `load` reads any alignment.
                ArgConv::Scalar(kind) => scalar::load(kind, p as usize),
                ArgConv::Pointer {
                    ty,
                    shape,
                    ref spare,
                } => {
                    let target = p.cast::<usize>().read_unaligned();
                    return spare.cdata(py, target, |addr| {
                        CData::shaped(reg, ty, shape, addr, Owner::none())
                    });
                }
                ArgConv::General { ty, shape } => {
                    return Python::attach(|py| {
                        // `p` holds the argument, per this function's
                        // contract. A record argument is copied into memory
                        // of its own: libffi's copy is gone once the callback
                        // returns, and a cdata kept from the call (cffi's
                        // points there) would then read and write a dead
                        // stack frame.
                        let value = match shape {
                            Shape::Record { .. } => CData::owned_copy(reg, ty, p as usize)
                                .and_then(|c| {
                                    let c = c.with_origin(Origin::Reference, false);
                                    c.into_py_any(py)
                                }),
                            _ => {
                                convert::read_shaped(py, reg, ty, shape, p as usize, &Owner::none())
                            }
                        };
                        value.map(Py::into_ptr).map_err(|e| raise(py, e))
                    });
                }
            }
        };
        if obj.is_null() {
            Err(Raised)
        } else {
            Ok(obj)
        }
    }

    /// Lets go of the argument object `obj` made by [`to_python`](Self::to_python).
    ///
    /// # Safety
    /// The GIL is held and `obj` is the reference `to_python` returned.
    unsafe fn release(&self, obj: *mut ffi::PyObject) {
        if let ArgConv::Pointer { spare, .. } = self {
            // SAFETY: per this function's contract.
            unsafe { spare.put_back(obj) };
        } else {
            // SAFETY: `obj` is an owned reference and the GIL is held.
            unsafe { ffi::Py_DECREF(obj) };
        }
    }
}

/// Where the parts a spare needs sit in a `CData` Python object.
#[derive(Clone, Copy)]
struct Layout {
    /// The offset of the Rust value.
    contents: usize,
    /// The offset of the weak reference list.
    weaklist: usize,
}

/// The layout of CData objects (`cdata::object`).
fn layout() -> Option<Layout> {
    crate::cdata::object::value_and_weaklist()
        .map(|(contents, weaklist)| Layout { contents, weaklist })
}

/// A pointer argument's cdata object from an earlier call that nothing else
/// refers to, kept to be used again instead of allocating a new one.
///
/// After a call, the argument object is kept when its reference count is 1
/// (only the callback holds it) and no weak reference to it exists: then
/// Python code cannot see it again (short of digging it out of
/// `gc.get_objects()`, which the same check before reuse catches), so
/// changing its address is the same as making a new object, without the
/// allocation, pyo3's construction path, the registry's reference count going
/// up and down, and the deallocation.
/// A function that keeps its argument (stores it, or a traceback holds it)
/// leaves its refcount above 1 and the object is simply dropped. Taking and
/// putting back are atomic swaps, so a callback running on several threads,
/// or re-entered, never shares one object.
///
/// Each argument has its own spare, only ever holding cdata that argument
/// made with `CData::shaped(reg, ty, shape, addr, Owner::none())`: they differ
/// in `addr` alone (see [`retarget`]).
///
/// Why a reference count of 1 is a sound uniqueness test here, CPython 3.14
/// included. Since 3.14 the interpreter pushes some locals onto its operand
/// stack as *borrowed* references (`LOAD_FAST_BORROW`), which do not count:
/// an object that a C function receives as an argument may show a count of
/// 1 while the caller's frame still uses it, so "`Py_REFCNT(arg) == 1` means
/// the argument is a temporary I may reuse" (numpy's elision of temporaries)
/// broke, and CPython added `PyUnstable_Object_IsUniqueReferencedTemporary`
/// for that question (gh-133164). The test here asks a different question:
/// the object is one this module made, and the count is taken on a strong
/// reference this module owns (the argument array of the call, later the
/// slot). A borrowed stack reference always borrows from a strong reference
/// that outlives it (a local of the running frame, which holds a counted
/// reference: a Python function's parameters are new references, taken when
/// its frame is set up and given back when the frame is cleared), so while
/// the count is 1 and that one count is ours, nothing else can refer to the
/// object, borrowed or not. The test runs only when no Python frame that
/// received the object is running: after `PyObject_Vectorcall` returned
/// (a frame kept by a traceback, `sys._getframe()` or a generator holds its
/// locals as counted references), and again when the slot is taken, before
/// the object is handed out. This is the question CPython's
/// `PyUnstable_Object_IsUniquelyReferenced` (3.14) answers, and on builds
/// with the GIL that function is this same comparison.
///
/// This relies on the GIL: `retarget` writes to the object's contents, which
/// is sound while the GIL (held through `PyGILState_Ensure`) keeps other
/// threads out. On a free-threaded build (3.13t, 3.14t) the count is split
/// between the owning thread and the others and is not a uniqueness test
/// by itself; there spares would have to use
/// `PyUnstable_Object_IsUniquelyReferenced` or be turned off.
struct Spare {
    slot: AtomicPtr<ffi::PyObject>,
    /// `None` disables spares.
    layout: Option<Layout>,
}

/// Makes the spare `c` the pointer cdata of `addr`, as new.
///
/// A pointer cdata made by `CData::shaped(reg, ty, shape, addr, Owner::none())`
/// depends on `addr` only through the `addr` field: everything else comes from
/// the type (the head is its node: such a cdata has no extras). The
/// destructuring lists every field so that a change to `CData` fails to
/// compile here until that has been checked again.
fn retarget(c: &mut CData, addr: usize) {
    let CData {
        head: _,
        addr: a,
        owner: _,
    } = c;
    *a = addr;
}

impl Spare {
    /// A pointer cdata of `addr`: the spare one retargeted, or `fresh(addr)`.
    fn cdata(
        &self,
        py: Python<'_>,
        addr: usize,
        fresh: impl FnOnce(usize) -> CData,
    ) -> Result<*mut ffi::PyObject, Raised> {
        let Some(layout) = self.layout else {
            return new_cdata(py, fresh(addr));
        };
        let obj = self.slot.swap(null_mut(), Ordering::Acquire);
        // A spare is unreachable from Python code except through the cyclic
        // GC's introspection (`gc.get_objects()`), so it is checked again.
        // SAFETY: a spare is an owned reference to a live CData object.
        let reusable = !obj.is_null() && unsafe { unshared(obj, layout) };
        if !reusable {
            if !obj.is_null() {
                // SAFETY: an owned reference, the GIL is held.
                unsafe { ffi::Py_DECREF(obj) };
            }
            return new_cdata(py, fresh(addr));
        }
        // SAFETY: a spare is a CData object (made below) that only this slot
        // references (refcount 1, no weak references, checked just now), so
        // no reference to its contents exists and none is made meanwhile
        // (the GIL is held); `layout.contents` is where pyo3 keeps the
        // contents (inside an `UnsafeCell`), measured on a real CData, and
        // the pointer derives from the object's.
        let contents = unsafe { &mut *obj.cast::<u8>().add(layout.contents).cast::<CData>() };
        retarget(contents, addr);
        Ok(obj)
    }

    /// Keeps `obj` as the spare if nothing else refers to it; drops it otherwise.
    ///
    /// # Safety
    /// The GIL is held and `obj` is an owned reference to a CData object.
    unsafe fn put_back(&self, obj: *mut ffi::PyObject) {
        if let Some(layout) = self.layout {
            // SAFETY: per this function's contract.
            if unsafe { unshared(obj, layout) }
                && self
                    .slot
                    .compare_exchange(null_mut(), obj, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
        }
        // SAFETY: an owned reference, the GIL is held.
        unsafe { ffi::Py_DECREF(obj) };
    }
}

/// A new CData object holding `value`, as a raw new reference.
fn new_cdata(py: Python<'_>, value: CData) -> Result<*mut ffi::PyObject, Raised> {
    crate::cdata::object::new(py, value)
        .map(Bound::into_ptr)
        .map_err(|e| raise(py, e))
}

/// Whether only the caller refers to `obj`: one reference, no weak ones.
/// (Why a count of 1 means that here, borrowed stack references of CPython
/// 3.14 notwithstanding: see [`Spare`].)
///
/// A count of 1 still proves this on CPython 3.14, whose operand stack borrows references
/// without counting them: a borrow is taken from a frame's local that holds a counted one, and
/// the argument array the callback was called with is rffi's own, so after the call every
/// other holder (a cell, a global, a suspended generator, a kept frame or traceback) counts
/// (`test_pointer_arguments_kept_in_every_way_keep_their_values`). Immortal objects (3.12+)
/// never reach here: CData objects are ordinary heap objects. On a free-threaded build the
/// count is split between threads and this check would be a race (rffi keeps the GIL there).
///
/// # Safety
/// The GIL is held and `obj` is a live CData object the caller owns a
/// reference to; `layout` is CData's.
unsafe fn unshared(obj: *mut ffi::PyObject, layout: Layout) -> bool {
    // SAFETY: per the contract, `obj` is live, and its weak reference list
    // sits at `layout.weaklist` (pyo3 sets `tp_weaklistoffset` from `weakref`).
    unsafe {
        ffi::Py_REFCNT(obj) == 1
            && obj
                .cast::<u8>()
                .add(layout.weaklist)
                .cast::<*mut ffi::PyObject>()
                .read()
                .is_null()
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        let obj = std::mem::replace(self.slot.get_mut(), null_mut());
        if obj.is_null() {
            return;
        }
        // At interpreter shutdown nothing can be freed any more: leaked.
        Python::try_attach(|_py| {
            // SAFETY: the slot owned this reference; the GIL is held.
            unsafe { ffi::Py_DECREF(obj) }
        });
    }
}

/// How the Python result goes back to C, chosen by the result type.
enum RetConv {
    Void,
    /// Integers and enums up to 64 bits, `float` and `double`: an exact
    /// `int` or `float` that fits goes straight in (`convert::scalar`).
    Scalar(Kind),
    /// Everything else, and whatever the scalar conversion declines.
    General,
}

impl RetConv {
    fn of(shape: Shape) -> RetConv {
        if !crate::base::switches::fast_paths() {
            return match shape {
                Shape::Void => RetConv::Void,
                _ => RetConv::General,
            };
        }
        match shape {
            Shape::Void => RetConv::Void,
            shape @ (Shape::Int { .. } | Shape::Float { .. }) if kind_of(shape) != Kind::Other => {
                RetConv::Scalar(kind_of(shape))
            }
            _ => RetConv::General,
        }
    }
}

/// Holds the GIL for the life of the guard: `PyGILState_Ensure` attaches the
/// calling thread, even one C started, and the release undoes exactly that.
///
/// On a thread Python has no thread state for (one C started), the first
/// callback makes one and keeps it for the thread's life, as cffi does:
/// otherwise every call would make and destroy one, which costs more than
/// the rest of the call. See [`KeptThreadState`].
struct Gil(ffi::PyGILState_STATE);

impl Gil {
    #[inline]
    fn ensure() -> Gil {
        // SAFETY: the interpreter is initialized (checked by the caller);
        // PyGILState_GetThisThreadState and PyGILState_Ensure may be called
        // from any thread, GIL held or not.
        unsafe {
            if ffi::PyGILState_GetThisThreadState().is_null() {
                let state = ffi::PyGILState_Ensure();
                KeptThreadState::keep();
                return Gil(state);
            }
            Gil(ffi::PyGILState_Ensure())
        }
    }
}

impl Drop for Gil {
    fn drop(&mut self) {
        // SAFETY: matches the PyGILState_Ensure that made this guard, on the
        // same thread (the guard is neither Send nor moved across threads).
        unsafe { ffi::PyGILState_Release(self.0) }
    }
}

/// The thread state `Gil::ensure` made for a C thread, kept until the
/// thread exits: one more `PyGILState_Ensure` holds it (its count never
/// drops to zero between calls), and the thread-local's destructor, run by
/// the C library when the thread exits, gives it back. Once Python began
/// shutting down (its `atexit` handlers ran) the destructor leaves the
/// thread state to the interpreter's own clean-up: taking the GIL then
/// could block the exiting thread.
struct KeptThreadState;

thread_local! {
    static KEPT: std::cell::Cell<Option<KeptThreadState>> = const { std::cell::Cell::new(None) };
}

/// Set by an `atexit` handler: Python is shutting down.
static SHUTTING_DOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl KeptThreadState {
    /// Keeps the thread state just made for this thread (the GIL is held).
    fn keep() {
        // SAFETY: the caller just attached this thread with
        // PyGILState_Ensure: the GIL is held and the thread state is this
        // thread's. The second Ensure only raises its count.
        unsafe { ffi::PyGILState_Ensure() };
        watch_shutdown();
        // A thread whose thread-locals are being destroyed cannot keep one:
        // then the extra count is given back at once.
        if KEPT.try_with(|k| k.set(Some(KeptThreadState))).is_err() {
            // SAFETY: undoes the Ensure above, with the GIL still held.
            unsafe { ffi::PyGILState_Release(ffi::PyGILState_STATE::PyGILState_LOCKED) };
        }
    }
}

impl Drop for KeptThreadState {
    fn drop(&mut self) {
        // SAFETY: Py_IsInitialized may be called at any time.
        if SHUTTING_DOWN.load(Ordering::Acquire) || unsafe { ffi::Py_IsInitialized() } == 0 {
            return;
        }
        // SAFETY: this thread's state is the one `keep` holds (count 1
        // while no callback runs, and none runs during thread exit). Ensure
        // takes the GIL (count 2); the first release drops the count kept by
        // `keep`, the second (of an Ensure that took the GIL) finds the count
        // at zero, clears and deletes the thread state and drops the GIL.
        unsafe {
            let state = ffi::PyGILState_Ensure();
            ffi::PyGILState_Release(ffi::PyGILState_STATE::PyGILState_LOCKED);
            ffi::PyGILState_Release(state);
        }
    }
}

/// Registers, once, the `atexit` handler that sets [`SHUTTING_DOWN`]. The
/// GIL is held.
fn watch_shutdown() {
    static WATCHED: std::sync::Once = std::sync::Once::new();
    WATCHED.call_once(|| {
        Python::attach(|py| {
            let registered = (|| -> PyResult<()> {
                let handler = PyCFunction::new_closure(py, None, None, |_, _| {
                    SHUTTING_DOWN.store(true, Ordering::Release);
                })?;
                py.import("atexit")?.call_method1("register", (handler,))?;
                Ok(())
            })();
            if registered.is_err() {
                // Without the handler, thread states are left to Python's clean-up.
                SHUTTING_DOWN.store(true, Ordering::Release);
            }
        })
    });
}

/// Arguments converted on the stack up to this many; more take a vector.
const INLINE_ARGS: usize = 8;

/// What the C side of a callback needs to call back into Python.
struct Target {
    reg: Arc<Registry>,
    func: Py<PyAny>,
    args: Vec<ArgConv>,
    ret: TypeId,
    ret_conv: RetConv,
    /// The size of the result, 0 for `void`.
    ret_size: usize,
    /// The result given to C when the Python function raised: `error`
    /// converted once, or zeroes.
    error: Option<Arc<Memory>>,
    onerror: Option<Py<PyAny>>,
}

impl Target {
    /// One call from C: the body of the libffi closure.
    ///
    /// # Safety
    /// As libffi calls a closure handler for this signature: `args` has one
    /// pointer per parameter, each to a readable value of its type, and
    /// `result` has writable room for a value of the result type (at least
    /// `ret_size` bytes), all valid until this returns.
    unsafe fn run(&self, args: &[*const u8], result: *mut u8) {
        // SAFETY: always safe to call.
        if unsafe { ffi::Py_IsInitialized() } == 0 {
            // Nothing can run once Python is gone: C gets the error value.
            // SAFETY: `result` has room for the result, per this function's
            // contract.
            unsafe { self.write_error_value(result) };
            return;
        }
        let _gil = Gil::ensure();
        // SAFETY: `_gil` holds the GIL until the end of this function. pyo3's
        // own attach count is not raised, so nothing below drops a `Py` (it
        // would be deferred): values are raw references or `Bound`s, and the
        // slow paths run inside `Python::attach`.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: the GIL is held; `args` and `result` are as `call` needs,
        // per this function's contract.
        if let Err(stage) = unsafe { self.call(py, args, result) } {
            Python::attach(|py| {
                let err = PyErr::fetch(py);
                // SAFETY: `result` has room for the result, per this
                // function's contract.
                unsafe { self.failed(py, err, stage, result) };
            });
        }
    }

    /// Converts the arguments, calls the function and stores its result; on
    /// failure the exception is set and the stage it came from returned.
    ///
    /// # Safety
    /// The GIL is held; `args` has one pointer per parameter, each to a value
    /// of its type; `result` has room for the result type.
    unsafe fn call(
        &self,
        py: Python<'_>,
        args: &[*const u8],
        result: *mut u8,
    ) -> Result<(), Stage> {
        let n = self.args.len();
        // Slot 0 stays free for PY_VECTORCALL_ARGUMENTS_OFFSET.
        let mut inline = [null_mut::<ffi::PyObject>(); INLINE_ARGS + 1];
        let mut heap = Vec::new();
        let slots: &mut [*mut ffi::PyObject] = if n <= INLINE_ARGS {
            &mut inline[..n + 1]
        } else {
            heap.resize(n + 1, null_mut());
            &mut heap
        };
        let mut made = 0;
        let mut outcome = Ok(());
        for (conv, p) in self.args.iter().zip(args) {
            // SAFETY: per this function's contract.
            match unsafe { conv.to_python(py, &self.reg, *p) } {
                Ok(obj) => {
                    slots[made + 1] = obj;
                    made += 1;
                }
                Err(Raised) => {
                    outcome = Err(Stage::Call);
                    break;
                }
            }
        }
        if outcome.is_ok() {
            // SAFETY: `slots[1..]` holds `n` live references and slot 0 may
            // be used by the callee (PY_VECTORCALL_ARGUMENTS_OFFSET); the
            // function object is alive as long as `self`.
            let value = unsafe {
                ffi::PyObject_Vectorcall(
                    self.func.as_ptr(),
                    slots.as_ptr().add(1),
                    n | ffi::PY_VECTORCALL_ARGUMENTS_OFFSET,
                    null_mut(),
                )
            };
            outcome = if value.is_null() {
                Err(Stage::Call)
            } else {
                // SAFETY: `value` is a new reference, handed to the Bound,
                // which drops it; the GIL is held.
                let value = unsafe { Bound::from_owned_ptr(py, value) };
                // SAFETY: per this function's contract.
                unsafe { self.store_fast(&value, result) }.map_err(|Raised| Stage::Result)
            };
        }
        for (conv, obj) in self.args.iter().zip(&slots[1..made + 1]) {
            // SAFETY: each is the reference `to_python` made, the GIL is held.
            unsafe { conv.release(*obj) };
        }
        outcome
    }

    /// Stores the function's result: exact ints and floats directly, the rest
    /// by the general rules.
    ///
    /// # Safety
    /// `result` has room for the result type; the GIL is held.
    unsafe fn store_fast(&self, value: &Bound<'_, PyAny>, result: *mut u8) -> Result<(), Raised> {
        let obj = value.as_ptr();
        match self.ret_conv {
            // SAFETY: `obj` is a live object.
            RetConv::Void if unsafe { ffi::Py_IsNone(obj) } != 0 => return Ok(()),
            RetConv::Scalar(kind) => {
                // SAFETY: `obj` is a live object, the GIL is held and
                // `result` has room for the result.
                if unsafe { scalar::store(kind, result as usize, obj) }.is_some() {
                    return Ok(());
                }
            }
            RetConv::Void | RetConv::General => {}
        }
        Python::attach(|py| {
            // SAFETY: `result` has room for the result, per this function's
            // contract.
            unsafe { self.store(py, value, result) }.map_err(|e| raise(py, e))
        })
    }

    /// The general conversion of a result (or of what `onerror` returned).
    ///
    /// # Safety
    /// `result` has writable room for a value of the result type, valid
    /// until this returns (libffi's result buffer during the call).
    unsafe fn store(
        &self,
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        result: *mut u8,
    ) -> PyResult<()> {
        if matches!(self.ret_conv, RetConv::Void) {
            if value.is_none() {
                return Ok(());
            }
            return Err(PyTypeError::new_err(
                "callback with the return type 'void' must return None",
            ));
        }
        // SAFETY: `result` has room for a value of `self.ret`, per this
        // function's contract; libffi keeps it while the callback runs.
        unsafe { convert::write(py, &self.reg, self.ret, result as usize, value) }
    }

    /// cffi's behaviour when the Python side raised: give C the `error`
    /// value and report the exception, or hand it to `onerror`, whose result
    /// (unless None) is given to C instead. When `onerror` fails too, both
    /// exceptions are reported, the second as raised while handling the first.
    ///
    /// # Safety
    /// As for [`store`](Self::store).
    unsafe fn failed(&self, py: Python<'_>, err: PyErr, stage: Stage, result: *mut u8) {
        // SAFETY: per this function's contract.
        unsafe { self.write_error_value(result) };
        let Some(onerror) = &self.onerror else {
            self.report(py, err, stage);
            return;
        };
        let args = (err.get_type(py), err.value(py).clone(), err.traceback(py));
        let second = match onerror.bind(py).call1(args) {
            // SAFETY: per this function's contract.
            Ok(v) if !v.is_none() => unsafe { self.store(py, &v, result) }.err(),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        if let Some(second) = second {
            self.report(py, err, stage);
            report_unraisable(
                py,
                second,
                "Exception ignored during handling of the above exception by 'onerror'",
            );
        }
    }

    /// Reports the exception as cffi does: through `sys.unraisablehook` with
    /// the message "Exception ignored from cffi callback <function ...>", so
    /// the default hook prints that line and the traceback on stderr.
    fn report(&self, py: Python<'_>, err: PyErr, stage: Stage) {
        let func = self.func.bind(py);
        let suffix = stage.suffix();
        let header = match func.repr() {
            Ok(r) => format!("Exception ignored from cffi callback {r}{suffix}"),
            Err(_) => format!("Exception ignored from cffi callback{suffix}"),
        };
        report_unraisable(py, err, &header);
    }

    /// Gives C the result for a call that failed: `error`, or zeroes.
    ///
    /// # Safety
    /// `result` has `ret_size` writable bytes.
    unsafe fn write_error_value(&self, result: *mut u8) {
        let size = self.ret_size;
        match &self.error {
            // SAFETY: `result` has `size` writable bytes, per this function's
            // contract; the error cell was made for the result type (`size`
            // bytes) and is our own memory, apart from libffi's buffer.
            Some(mem) => unsafe {
                std::ptr::copy_nonoverlapping(mem.addr() as *const u8, result, size)
            },
            // SAFETY: `result` has `size` writable bytes, per this function's
            // contract.
            None => unsafe { std::ptr::write_bytes(result, 0, size) },
        }
    }
}

/// Reports `err` through `sys.unraisablehook` as CPython's
/// `PyErr_WriteUnraisable` would, with `header` as the message. As there, an
/// exception without a traceback (one raised by a conversion, not by Python
/// code) gets one from the Python frame running, if any.
fn report_unraisable(py: Python<'_>, err: PyErr, header: &str) {
    let err = if err.traceback(py).is_none() {
        err.restore(py);
        // SAFETY: the GIL is held; PyEval_GetFrame returns a borrowed frame
        // or NULL, and PyTraceBack_Here adds that frame to the exception
        // just restored as the current one.
        unsafe {
            let frame = ffi::PyEval_GetFrame();
            if !frame.is_null() {
                ffi::PyTraceBack_Here(frame);
            }
        }
        PyErr::fetch(py)
    } else {
        err
    };
    if report_through_hook(py, &err, header).is_err() {
        err.display(py);
    }
}

fn report_through_hook(py: Python<'_>, err: &PyErr, header: &str) -> PyResult<()> {
    let sys = py.import("sys")?;
    let hook = sys.getattr("unraisablehook")?;
    if hook.is(&sys.getattr("__unraisablehook__")?) {
        // The default hook only accepts its own argument type: print as it would.
        sys.getattr("stderr")?
            .call_method1("write", (format!("{header}:\n"),))?;
        err.display(py);
        return Ok(());
    }
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("exc_type", err.get_type(py))?;
    kwargs.set_item("exc_value", err.value(py))?;
    kwargs.set_item("exc_traceback", err.traceback(py))?;
    kwargs.set_item("err_msg", header)?;
    kwargs.set_item("object", py.None())?;
    let args = py
        .import("types")?
        .getattr("SimpleNamespace")?
        .call((), Some(&kwargs))?;
    hook.call1((args,))?;
    Ok(())
}

/// Makes the callback cdata for `func` with the function type `ty` (a
/// function type or a pointer to one).
pub fn make(
    py: Python<'_>,
    reg: &Arc<Registry>,
    ty: TypeId,
    func: &Bound<'_, PyAny>,
    error: Option<&Bound<'_, PyAny>>,
    onerror: Option<&Bound<'_, PyAny>>,
) -> PyResult<CData> {
    if !func.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "expected a callable object, not {}",
            func.get_type().name()?
        )));
    }
    if let Some(o) = onerror.filter(|o| !o.is_callable()) {
        return Err(PyTypeError::new_err(format!(
            "expected a callable object for 'onerror', not {}",
            o.get_type().name()?
        )));
    }
    let (ptr_ty, sig) = reg.with(|t| {
        let fn_ty = match t.get(ty) {
            Type::Pointer(inner) => *inner,
            _ => ty,
        };
        (t.pointer_to(fn_ty), t.function(fn_ty).cloned())
    });
    let Some(sig) = sig else {
        return Err(PyTypeError::new_err(format!(
            "expected a function ctype, got '{}'",
            reg.cname(ty)
        )));
    };
    if sig.variadic {
        return Err(PyTypeError::new_err(format!(
            "a callback cannot be variadic: '{}'",
            reg.cname(ptr_ty)
        )));
    }
    let error = match error.filter(|e| !e.is_none()) {
        // cffi converts `error` as a result, which for void must be None.
        Some(_) if reg.shape(sig.ret) == Shape::Void => {
            return Err(PyTypeError::new_err(
                "callback with the return type 'void' must return None",
            ))
        }
        Some(e) => {
            let (size, align) = reg.with(|t| t.size_align(sig.ret)).py()?;
            let mem = Memory::zeroed(size, align)?;
            // SAFETY: `mem`, new and held here, has the result type's size.
            unsafe { convert::write(py, reg, sig.ret, mem.addr(), e)? };
            Some(mem)
        }
        None => None,
    };
    let plan: Arc<CallPlan> = reg.plan(ptr_ty)?;
    // Where calls retarget spare pointer arguments, if they can.
    let layout = layout();
    let ret_shape = reg.shape(sig.ret);
    let target = Target {
        reg: reg.clone(),
        func: func.clone().unbind(),
        args: sig
            .params
            .iter()
            .map(|ty| ArgConv::of(reg, *ty, layout))
            .collect(),
        ret: sig.ret,
        ret_conv: RetConv::of(ret_shape),
        ret_size: if ret_shape == Shape::Void {
            0
        } else {
            reg.size_of(sig.ret).unwrap_or(0)
        },
        error,
        onerror: onerror.map(|o| o.clone().unbind()),
    };
    let target = Arc::new(target);
    let runs = target.clone();
    // SAFETY: rffi-call runs this handler only from the
    // libffi closure it made with `plan`, the plan of this signature, which
    // passes one pointer per parameter to its value and `result` with room
    // for the result (`ret_size` bytes, at least a register's worth).
    let handler = move |args: &[*const u8], result: *mut u8| unsafe { runs.run(args, result) };
    let callback = Callback::new(plan, Box::new(handler)).py()?;
    let code = callback.code();
    let callback = Held {
        _callback: callback,
        target,
    };
    Ok(CData::made_with(
        node(reg, ptr_ty, Origin::Callback, false),
        code,
        Owner::keep_python(callback),
        Extras {
            callback: Some(func.repr()?.to_string()),
            ..Extras::default()
        },
    ))
}

/// What a callback cdata keeps alive: the C entry point and, again, the
/// Python side it calls, so the garbage collector can see the function.
struct Held {
    /// Kept for its `Drop`, which frees the C entry point.
    _callback: Callback,
    target: Arc<Target>,
}

/// `tp_traverse` of a cdata: a callback's function (and `onerror`) may
/// refer back to the callback cdata (a closure that keeps it), a cycle that
/// only the garbage collector can free. Only a cdata that alone holds its
/// callback visits them, since only then are they its own references; one
/// sharing it (a cast of it) leaves the cycle uncollected, as before.
pub fn traverse(c: &CData, visit: &crate::base::gc::Visit) -> Result<(), std::ffi::c_int> {
    let Some(m) = c.owner.as_memory() else {
        return Ok(());
    };
    if c.owner.memory_users() != 1 {
        return Ok(());
    }
    let Some(held) = m.kept_as::<Held>() else {
        return Ok(());
    };
    // The closure and `held` share the target, and nothing else does.
    if Arc::strong_count(&held.target) != 2 {
        return Ok(());
    }
    visit.call(&held.target.func)?;
    if let Some(onerror) = &held.target.onerror {
        visit.call(onerror)?;
    }
    Ok(())
}

/// `ffi.callback(cdecl)` without a function: a decorator.
pub fn decorator(
    py: Python<'_>,
    reg: Arc<Registry>,
    ty: TypeId,
    error: Option<Py<PyAny>>,
    onerror: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let f = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _kw: Option<&Bound<'_, PyDict>>| {
            let py = args.py();
            let func = args.get_item(0)?;
            let error = error.as_ref().map(|e| e.bind(py).clone());
            let onerror = onerror.as_ref().map(|e| e.bind(py).clone());
            make(py, &reg, ty, &func, error.as_ref(), onerror.as_ref())
        },
    )?;
    Ok(f.into_any().unbind())
}

/// How the callback `c` converts its arguments and its result, by name
/// (`"scalar"`, `"pointer"`, `"general"`, `"void"`): what
/// `_rffi._callback_conversions` shows the tests, so they fail when the
/// fast conversions stop being chosen. `None` for a cdata that is not a
/// callback rffi made.
pub fn conversions(c: &CData) -> Option<(Vec<&'static str>, &'static str)> {
    let m = c.owner.as_memory()?;
    let held = m.kept_as::<Held>()?;
    let args = held
        .target
        .args
        .iter()
        .map(|a| match a {
            ArgConv::Scalar(_) => "scalar",
            ArgConv::Pointer { spare, .. } if spare.layout.is_some() => "pointer (reused)",
            ArgConv::Pointer { .. } => "pointer",
            ArgConv::General { .. } => "general",
        })
        .collect();
    let ret = match held.target.ret_conv {
        RetConv::Void => "void",
        RetConv::Scalar(_) => "scalar",
        RetConv::General => "general",
    };
    Some((args, ret))
}
