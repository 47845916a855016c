//! The fast path of a call: scalar signatures whose arguments are exact
//! Python floats, exact ints that fit, or cdata pointers of the very type.
//!
//! Everything is decided when the call site is built (one converter per
//! argument, the register it fills, the range an integer must fit), so a
//! call reads each argument with CPython's own accessors, releases the GIL
//! with CPython's own functions and builds the result with CPython's own
//! constructors: no pyo3 conversion, no registry, no allocation. An
//! argument the fast path does not take (a subclass, a cdata of another
//! type, an int out of range, anything needing a message) sends the whole
//! call, before anything happened, to the general path in `calls::site`, which
//! gives the same result or cffi's error.

use pyo3::ffi;
use rffi_call::{Direct, Regs, Returned};
use rffi_types::TypeId;

use crate::cdata::value::CData;
use crate::convert::scalar;
use crate::memory::owner::Memory;
use crate::model::call_site::{FastArg, FastRet, FastSig};
use crate::model::registry::{Registry, Shape};

impl FastSig {
    /// Converts the arguments into `regs`; `false` when one of them is not
    /// for the fast path (nothing has happened then).
    ///
    /// # Safety
    /// The GIL is held and every pointer in `args` is a live object.
    #[inline]
    unsafe fn convert<'a>(
        &self,
        reg: &Registry,
        args: &[*mut ffi::PyObject],
        regs: &mut Regs,
        in_call: &mut InCall<'a>,
    ) -> bool {
        if args.len() != self.args.len() {
            return false;
        }
        for (arg, &obj) in self.args.iter().zip(args) {
            // SAFETY: the caller's contract: `obj` is a live object and the
            // GIL is held, which is all these readers need.
            let ok = unsafe {
                match *arg {
                    FastArg::F64(n) => scalar::exact_float(obj).map(|x| regs.floats[n] = x),
                    FastArg::F32(n) => scalar::exact_float(obj)
                        .map(|x| regs.floats[n] = f64::from_bits(u64::from((x as f32).to_bits()))),
                    FastArg::Int { n, min, max } => scalar::exact_int(obj)
                        .filter(|v| (min..=max).contains(v))
                        .map(|v| regs.ints[n] = v),
                    FastArg::Unsigned64(n) => {
                        scalar::exact_u64(obj).map(|v| regs.ints[n] = v as i64)
                    }
                    FastArg::Pointer { n, item, to_void } => {
                        read_pointer(obj, reg, item, to_void, in_call)
                            .map(|p| regs.ints[n] = p as i64)
                    }
                }
            };
            if ok.is_none() {
                return false;
            }
        }
        true
    }
}

/// The memory that pointer arguments point into, found while converting
/// them: `ffi.release` of it while the call runs frees it when the call
/// returns (see `Memory::enter_call`). Registers limit a direct call to a
/// few pointers.
pub struct InCall<'a> {
    mems: [Option<&'a Memory>; 6],
    n: usize,
}

impl<'a> InCall<'a> {
    fn new() -> Self {
        InCall {
            mems: [None; 6],
            n: 0,
        }
    }

    /// Adds `m`; `false` when there is no room (the call then takes the
    /// general path).
    #[inline]
    fn push(&mut self, m: &'a Memory) -> bool {
        match self.mems.get_mut(self.n) {
            Some(slot) => {
                *slot = Some(m);
                self.n += 1;
                true
            }
            None => false,
        }
    }

    /// Keeps the memory from being freed until [`exit`](Self::exit).
    #[inline(always)]
    fn enter(&self) {
        for m in self.mems.iter().take(self.n).flatten() {
            m.enter_call();
        }
    }

    /// The call returned: memory released meanwhile is freed now.
    #[inline(always)]
    fn exit(&self) {
        if self.n == 0 {
            return;
        }
        for m in self.mems.iter().take(self.n).flatten() {
            m.exit_call();
        }
    }
}

/// # Safety
/// GIL held, `obj` live.
#[inline]
unsafe fn read_pointer<'a>(
    obj: *mut ffi::PyObject,
    reg: &Registry,
    item: TypeId,
    to_void: bool,
    in_call: &mut InCall<'a>,
) -> Option<usize> {
    // SAFETY: the caller's contract; `cdata_ref` checks the exact type.
    let c = unsafe { cdata_ref(obj) }?;
    // Type ids compare only within one FFI's registry, or when shared.
    if !crate::model::registry::understood(&c.reg, reg, c.ty) {
        return None;
    }
    let from_item = match c.shape() {
        Shape::Pointer { item } | Shape::Array { item, .. } => item,
        _ => return None,
    };
    if from_item != item && !to_void {
        return None;
    }
    c.live().ok()?;
    if let Some(m) = c.owner.call_guarded() {
        if !in_call.push(m) {
            return None;
        }
    }
    Some(c.addr)
}

pub use crate::cdata::object::cdata_ref;

/// Calls `f` through the fast path: `None` when it does not apply (then
/// nothing happened), else the new reference of the result, or NULL with
/// an exception set.
///
/// # Safety
/// GIL held; `args` are live objects; `f` is a function cdata whose call
/// site has `sig` and `direct`.
pub unsafe fn call(
    f: &CData,
    sig: &FastSig,
    direct: &Direct,
    args: &[*mut ffi::PyObject],
) -> Option<*mut ffi::PyObject> {
    // SAFETY: the caller's contract: the GIL is held.
    let py = unsafe { pyo3::Python::assume_attached() };
    let mut regs = Regs::default();
    let mut in_call = InCall::new();
    // SAFETY: the caller's contract.
    if !unsafe { sig.convert(&f.reg, args, &mut regs, &mut in_call) } {
        return None;
    }
    if f.addr == 0 || f.live().is_err() {
        return None;
    }
    let code = f.addr;
    let regs = &regs;
    // Pointer arguments point into cdata that the caller's arguments keep
    // alive, and whose memory `in_call` keeps from being freed, until this
    // returns.
    in_call.enter();
    let returned = crate::base::gil::call_in_c(py, move || {
        // SAFETY: the function's C type is the one the call site was
        // built from, which `direct` checked to be non-variadic and
        // scalar; the arguments' memory is live (above). The closure
        // touches no Python object.
        unsafe { direct.call(code as *const std::ffi::c_void, regs) }
    });
    in_call.exit();
    // SAFETY: the GIL is held (again); these constructors return a new
    // reference or NULL with an exception set.
    Some(unsafe {
        match (sig.ret, returned) {
            (FastRet::None, _) | (_, Returned::Void) => {
                let none = ffi::Py_None();
                ffi::Py_IncRef(none);
                none
            }
            (FastRet::Float, Returned::Float(x)) => ffi::PyFloat_FromDouble(x),
            (FastRet::Int, Returned::Int(i)) => match i64::try_from(i) {
                Ok(v) => ffi::PyLong_FromLongLong(v),
                Err(_) => ffi::PyLong_FromUnsignedLongLong(i as u64),
            },
            (_, returned) => general_result(f, returned),
        }
    })
}

/// A result the fast constructors do not build, through the general reader.
fn general_result(f: &CData, returned: Returned) -> *mut ffi::PyObject {
    // SAFETY: called with the GIL held (from `call`).
    let py = unsafe { pyo3::Python::assume_attached() };
    let result = crate::calls::site::result_of(py, f, returned);
    match result {
        Ok(v) => v.into_ptr(),
        Err(e) => {
            e.restore(py);
            std::ptr::null_mut()
        }
    }
}
