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

use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use rffi_call::{CallPlan, Callback};
use rffi_types::{Type, TypeId};

use crate::cdata::{CData, Extras, Origin};
use crate::convert;
use crate::errors::IntoPyResult;
use crate::owner::{Memory, Owner};
use crate::registry::{Registry, Shape};

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
    /// Integers and enums: a Python int.
    Int { size: u8, signed: bool },
    /// `_Bool`: `True` or `False`.
    Bool,
    /// `char`: a `bytes` of length 1.
    Char,
    /// `float` (4) or `double` (8): a Python float.
    Float { size: u8 },
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
        if !crate::switches::fast_paths() {
            return ArgConv::General {
                ty,
                shape: reg.shape(ty),
            };
        }
        match reg.shape(ty) {
            Shape::Int { size, signed, .. } if size <= 8 => ArgConv::Int { size, signed },
            Shape::Bool => ArgConv::Bool,
            Shape::Char => ArgConv::Char,
            Shape::Float { size } if size == 4 || size == 8 => ArgConv::Float { size },
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
        // of the argument's C type, read here by its size (unaligned: libffi
        // gives no alignment promise for small arguments), and the GIL is
        // held for the CPython constructors.
        let obj = unsafe {
            match *self {
                ArgConv::Int { size, signed: true } => ffi::PyLong_FromLongLong(match size {
                    1 => i64::from(p.cast::<i8>().read()),
                    2 => i64::from(p.cast::<i16>().read_unaligned()),
                    4 => i64::from(p.cast::<i32>().read_unaligned()),
                    _ => p.cast::<i64>().read_unaligned(),
                }),
                ArgConv::Int {
                    size,
                    signed: false,
                } => ffi::PyLong_FromUnsignedLongLong(match size {
                    1 => u64::from(p.read()),
                    2 => u64::from(p.cast::<u16>().read_unaligned()),
                    4 => u64::from(p.cast::<u32>().read_unaligned()),
                    _ => p.cast::<u64>().read_unaligned(),
                }),
                ArgConv::Bool => ffi::PyBool_FromLong(std::ffi::c_long::from(p.read() != 0)),
                ArgConv::Char => ffi::PyBytes_FromStringAndSize(p.cast(), 1),
                ArgConv::Float { size: 4 } => {
                    ffi::PyFloat_FromDouble(f64::from(p.cast::<f32>().read_unaligned()))
                }
                ArgConv::Float { .. } => ffi::PyFloat_FromDouble(p.cast::<f64>().read_unaligned()),
                ArgConv::Pointer {
                    ty,
                    shape,
                    ref spare,
                } => {
                    let target = p.cast::<usize>().read_unaligned();
                    return spare.cdata(py, target, |addr| {
                        CData::shaped(reg, ty, shape, addr, Owner::None)
                    });
                }
                ArgConv::General { ty, shape } => {
                    return Python::attach(|py| {
                        convert::read_shaped(py, reg, ty, shape, p as usize, &Owner::None)
                            .map(Py::into_ptr)
                            .map_err(|e| raise(py, e))
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

/// The layout of CData objects (`cdata_type.rs`).
fn layout() -> Option<Layout> {
    crate::cdata_type::value_and_weaklist()
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
/// made with `CData::shaped(reg, ty, shape, addr, Owner::None)`: they differ
/// in `addr` alone (see [`retarget`]).
struct Spare {
    slot: AtomicPtr<ffi::PyObject>,
    /// `None` disables spares.
    layout: Option<Layout>,
}

/// Makes the spare `c` the pointer cdata of `addr`, as new.
///
/// A pointer cdata made by `CData::shaped(reg, ty, shape, addr, Owner::None)`
/// depends on `addr` only through the `addr` field: everything else comes from
/// the type (`extras`, which only a function pointer's call site cached on
/// its first call fills here, too). The destructuring lists every field so that a change to `CData`
/// fails to compile here until that has been checked again.
fn retarget(c: &mut CData, addr: usize) {
    let CData {
        reg: _,
        ty: _,
        addr: a,
        owner: _,
        origin: _,
        extras: _,
        shape: _,
        releasable: _,
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
    crate::cdata_type::new(py, value)
        .map(Bound::into_ptr)
        .map_err(|e| raise(py, e))
}

/// Whether only the caller refers to `obj`: one reference, no weak ones.
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
    /// Integers and enums: exact ints that fit go straight in.
    Int {
        size: u8,
        signed: bool,
    },
    /// `float` or `double`: exact floats go straight in.
    Float {
        size: u8,
    },
    /// Everything else, and whatever the fast paths above do not take.
    General,
}

impl RetConv {
    fn of(shape: Shape) -> RetConv {
        if !crate::switches::fast_paths() {
            return match shape {
                Shape::Void => RetConv::Void,
                _ => RetConv::General,
            };
        }
        match shape {
            Shape::Void => RetConv::Void,
            Shape::Int { size, signed, .. } if size <= 8 => RetConv::Int { size, signed },
            Shape::Float { size } if size == 4 || size == 8 => RetConv::Float { size },
            _ => RetConv::General,
        }
    }
}

/// Whether `v` fits an integer of `size` bytes (cffi's range check; values
/// that do not fit go the general way, which raises its OverflowError).
fn int_fits(v: i64, size: u8, signed: bool) -> bool {
    if size >= 8 {
        return signed || v >= 0;
    }
    let bits = u32::from(size) * 8;
    if signed {
        let half = 1i64 << (bits - 1);
        (-half..half).contains(&v)
    } else {
        (0..1i64 << bits).contains(&v)
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
    fn run(&self, args: &[*const u8], result: *mut u8) {
        // SAFETY: always safe to call.
        if unsafe { ffi::Py_IsInitialized() } == 0 {
            // Nothing can run once Python is gone: C gets the error value.
            self.write_error_value(result);
            return;
        }
        let _gil = Gil::ensure();
        // SAFETY: `_gil` holds the GIL until the end of this function. pyo3's
        // own attach count is not raised, so nothing below drops a `Py` (it
        // would be deferred): values are raw references or `Bound`s, and the
        // slow paths run inside `Python::attach`.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: the GIL is held and libffi passed one pointer per parameter.
        if let Err(stage) = unsafe { self.call(py, args, result) } {
            Python::attach(|py| {
                let err = PyErr::fetch(py);
                self.failed(py, err, stage, result);
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
            RetConv::Int { size, signed } => {
                // SAFETY: `obj` is a live object and the GIL is held; an
                // exact int converts without raising (an overflow is only
                // flagged), and `result` has `size` bytes.
                unsafe {
                    if ffi::PyLong_CheckExact(obj) != 0 {
                        let mut overflow = 0;
                        let v = ffi::PyLong_AsLongAndOverflow(obj, &mut overflow);
                        if overflow == 0 && int_fits(v, size, signed) {
                            match size {
                                1 => result.write(v as u8),
                                2 => result.cast::<u16>().write_unaligned(v as u16),
                                4 => result.cast::<u32>().write_unaligned(v as u32),
                                _ => result.cast::<i64>().write_unaligned(v),
                            }
                            return Ok(());
                        }
                    }
                }
            }
            RetConv::Float { size } => {
                // SAFETY: as above; `PyFloat_AS_DOUBLE` reads an exact float.
                unsafe {
                    if ffi::PyFloat_CheckExact(obj) != 0 {
                        let v = ffi::PyFloat_AS_DOUBLE(obj);
                        if size == 4 {
                            result.cast::<f32>().write_unaligned(v as f32);
                        } else {
                            result.cast::<f64>().write_unaligned(v);
                        }
                        return Ok(());
                    }
                }
            }
            RetConv::Void | RetConv::General => {}
        }
        Python::attach(|py| self.store(py, value, result).map_err(|e| raise(py, e)))
    }

    /// The general conversion of a result (or of what `onerror` returned).
    fn store(&self, py: Python<'_>, value: &Bound<'_, PyAny>, result: *mut u8) -> PyResult<()> {
        if matches!(self.ret_conv, RetConv::Void) {
            if value.is_none() {
                return Ok(());
            }
            return Err(PyTypeError::new_err(
                "callback with the return type 'void' must return None",
            ));
        }
        convert::write(py, &self.reg, self.ret, result as usize, value)
    }

    /// cffi's behaviour when the Python side raised: give C the `error`
    /// value and report the exception, or hand it to `onerror`, whose result
    /// (unless None) is given to C instead. When `onerror` fails too, both
    /// exceptions are reported, the second as raised while handling the first.
    fn failed(&self, py: Python<'_>, err: PyErr, stage: Stage, result: *mut u8) {
        self.write_error_value(result);
        let Some(onerror) = &self.onerror else {
            self.report(py, err, stage);
            return;
        };
        let args = (err.get_type(py), err.value(py).clone(), err.traceback(py));
        let second = match onerror.bind(py).call1(args) {
            Ok(v) if !v.is_none() => self.store(py, &v, result).err(),
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

    fn write_error_value(&self, result: *mut u8) {
        let size = self.ret_size;
        match &self.error {
            // SAFETY: the result buffer holds a value of the result type,
            // `size` bytes, and the error cell was made for that type.
            Some(mem) => unsafe {
                std::ptr::copy_nonoverlapping(mem.addr() as *const u8, result, size)
            },
            // SAFETY: as above.
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
            convert::write(py, reg, sig.ret, mem.addr(), e)?;
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
    let callback =
        Callback::new(plan, Box::new(move |args, result| runs.run(args, result))).py()?;
    let code = callback.code();
    let callback = Held {
        _callback: callback,
        target,
    };
    Ok(CData {
        origin: Origin::Callback,
        extras: Extras {
            callback: Some(func.repr()?.to_string()),
            ..Extras::default()
        }
        .into(),
        ..CData::plain(reg, ptr_ty, code, Owner::keep(callback))
    })
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
pub fn traverse(c: &CData, visit: &crate::cycles::Visit) -> Result<(), std::ffi::c_int> {
    let Owner::Memory(m) = &c.owner else {
        return Ok(());
    };
    if Arc::strong_count(m) != 1 {
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
