//! Calling a C function pointer cdata from Python.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use rffi_call::{CallPlan, Direct, Frame, Reg, Regs, Returned};
use rffi_types::TypeId;
use std::sync::Arc;

use crate::base::switches::force_libffi;
use crate::cdata::object::CDataGet;
use crate::cdata::value::CData;
use crate::convert::value::{self as convert, Keep};
use crate::model::call_site::CallSite;
use crate::model::call_site::{mark_void_pointers, FastSig};
use crate::model::registry::Shape;

/// A pointer that crosses into the thread that runs without the GIL.
struct SendPtr<T>(T);
// SAFETY: the pointed-to frames live on the calling thread's stack for the
// whole call, and nothing else touches them while the GIL is released.
unsafe impl<T> Send for SendPtr<T> {}

/// The call site of a function pointer cdata, cached in it after the first call.
fn site_of(f: &CData) -> PyResult<&Arc<CallSite>> {
    if let Some(p) = f.plan().get() {
        return Ok(p);
    }
    let is_function = f.reg.with(|t| t.function(f.ty).is_some());
    if !is_function {
        return Err(PyTypeError::new_err(format!(
            "cdata '{}' is not callable",
            f.reg.cname(f.ty)
        )));
    }
    let plan = f.reg.plan(f.ty)?;
    let args: Box<[Shape]> = plan.args().iter().map(|a| f.reg.shape(a.ty)).collect();
    let ret = f.reg.shape(plan.ret());
    let fast = match (
        plan.direct(),
        force_libffi() || !crate::base::switches::fast_paths(),
    ) {
        (Some(direct), false) => FastSig::new(direct, &args, ret).map(|mut sig| {
            mark_void_pointers(&mut sig, |item| f.reg.shape(item) == Shape::Void);
            sig
        }),
        _ => None,
    };
    let site = Arc::new(CallSite {
        args,
        ret,
        fast,
        plan,
    });
    Ok(f.plan().get_or_init(|| site))
}

/// The positional arguments of a call: the array of a vectorcall (a
/// `tp_call` with a tuple reaches here through `PyVectorcall_Call`), read
/// without copying.
#[derive(Clone, Copy)]
pub struct Args<'a, 'py> {
    py: Python<'py>,
    items: &'a [*mut pyo3::ffi::PyObject],
}

impl<'a, 'py> Args<'a, 'py> {
    /// # Safety
    /// Every pointer must be a live object for the whole call.
    pub unsafe fn array(py: Python<'py>, items: &'a [*mut pyo3::ffi::PyObject]) -> Self {
        Args { py, items }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn iter(self) -> impl Iterator<Item = Borrowed<'a, 'py, PyAny>> {
        // SAFETY: `Args::array`'s contract: live objects for the call.
        self.items
            .iter()
            .map(move |&item| unsafe { Borrowed::from_ptr(self.py, item) })
    }
}

/// Calls with positional arguments (the general path of the vectorcall entry).
pub fn call_with(py: Python<'_>, f: &CData, args: Args<'_, '_>) -> PyResult<Py<PyAny>> {
    let reg = &f.reg;
    let site = site_of(f)?;
    f.live()?;
    let fixed_plan = &site.plan;
    if f.addr == 0 {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "cannot call null pointer pointer from cdata '{}'",
            reg.cname(f.ty)
        )));
    }
    let n = args.len();
    let fixed = fixed_plan.fixed_args();
    let variadic = fixed_plan.is_variadic();
    if n < fixed || (n > fixed && !variadic) {
        let at_least = if variadic { "at least " } else { "" };
        return Err(PyTypeError::new_err(format!(
            "'{}' expects {at_least}{fixed} arguments, got {n}",
            reg.cname(f.ty)
        )));
    }
    if let (Some(direct), false) = (fixed_plan.direct(), force_libffi()) {
        return call_direct(py, f, site, direct, args);
    }
    let variadic_plan;
    let plan: &CallPlan = if variadic {
        let extra = variadic_types(f, args, fixed)?;
        variadic_plan = reg.variadic_plan(f.ty, &extra)?;
        &variadic_plan
    } else {
        fixed_plan
    };
    let mut frame = plan.frame();
    let mut keep = Keep::default();
    let base = frame.as_mut_ptr() as usize;
    for (slot, arg) in plan.args().iter().zip(args.iter()) {
        // SAFETY: the plan lays out `frame` (alive here) with a slot of
        // `slot.ty`'s size at `slot.offset`.
        unsafe { convert::write_arg(py, reg, slot.ty, base + slot.offset, &arg, &mut keep)? };
    }
    let mut result = plan.result_buffer();
    let code = SendPtr(f.addr as *const std::ffi::c_void);
    let frames = SendPtr((&mut frame as *mut Frame, &mut result as *mut Frame));
    crate::base::gil::call_in_c(py, move || {
        let (code, frames) = (code, frames);
        // SAFETY: the function's type is the cdata's declared type, from which
        // the plan was built; the frame holds converted arguments (and the
        // temporaries they point to live in `keep` until after the call).
        unsafe { plan.call(code.0, &mut *frames.0 .0, &mut *frames.0 .1) }
    });
    drop(keep);
    if plan.ret_is_void() {
        return Ok(py.None());
    }
    let owner = crate::memory::owner::Owner::none();
    let ret = plan.ret();
    let addr = result.as_mut_ptr() as usize;
    if let Shape::Record { .. } = reg.shape(ret) {
        // SAFETY: the plan's result buffer (alive here) holds the record the
        // call returned, of type `ret`.
        return unsafe { CData::owned_copy(reg, ret, addr)? }.into_py_any(py);
    }
    // SAFETY: the plan's result buffer (alive here) holds the call's result
    // of type `ret`, a scalar or a pointer (C returns no arrays), which is
    // read here and not kept.
    unsafe { convert::read(py, reg, ret, addr, &owner) }
}

/// A call through registers, for scalar signatures: arguments convert
/// straight into the register image, with no frame and no libffi.
fn call_direct(
    py: Python<'_>,
    f: &CData,
    site: &CallSite,
    direct: &Direct,
    args: Args<'_, '_>,
) -> PyResult<Py<PyAny>> {
    let reg = &f.reg;
    let plan = &site.plan;
    let mut regs = Regs::default();
    let mut keep = Keep::default();
    let slots = plan.args().iter().zip(direct.args()).zip(site.args.iter());
    for (((slot, r), shape), arg) in slots.zip(args.iter()) {
        match *r {
            Reg::F64(_) | Reg::F32(_) => regs.set_float(*r, convert::to_float_arg(&arg)?),
            Reg::Int { size, signed, .. } => {
                let v = match (shape, convert::small_int(&arg)) {
                    (Shape::Int { .. }, Some(v)) => {
                        convert::check_range(reg, slot.ty, v, size, signed)?;
                        v
                    }
                    _ => convert::arg_as_int(py, reg, slot.ty, &arg, &mut keep)?,
                };
                regs.set_int(*r, v);
            }
        }
    }
    let code = SendPtr(f.addr as *const std::ffi::c_void);
    let image = SendPtr(&regs as *const Regs);
    let returned = crate::base::gil::call_in_c(py, move || {
        let (code, image) = (code, image);
        // SAFETY: the plan was built from the cdata's declared type, which is
        // non-variadic and scalar (that is what `direct` checked), and `keep`
        // holds whatever pointer arguments point to until after the call.
        unsafe { direct.call(code.0, &*image.0) }
    });
    drop(keep);
    result_of(py, f, returned)
}

/// The Python value of a direct call's result.
pub fn result_of(py: Python<'_>, f: &CData, returned: Returned) -> PyResult<Py<PyAny>> {
    let site = site_of(f)?;
    match returned {
        Returned::Void => Ok(py.None()),
        Returned::Int(i) => match (site.ret, i64::try_from(i)) {
            (Shape::Int { is_enum: false, .. }, Ok(small)) => small.into_py_any(py),
            _ => convert::int_result(py, &f.reg, site.plan.ret(), i),
        },
        Returned::Float(x) => x.into_py_any(py),
    }
}

/// The C types of the arguments in the variadic part: they must be cdata,
/// promoted as C promotes them (`rffi_types::variadic_promotion`: float to
/// double, small integers to int, arrays to pointers).
fn variadic_types(f: &CData, args: Args<'_, '_>, fixed: usize) -> PyResult<Vec<TypeId>> {
    let reg = &f.reg;
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate().skip(fixed) {
        let Ok(c) = arg.cast::<CData>() else {
            let name = arg.get_type().name()?.to_string();
            return Err(PyTypeError::new_err(format!(
                "argument {} passed in the variadic part needs to be a cdata object (got {name})",
                i + 1
            )));
        };
        // A cdata of another FFI names its type in that FFI's registry: a
        // pointer there travels as any pointer does, anything else as the
        // type of the same name here.
        let c = c.cdata();
        let ty = match c.shape() {
            Shape::Pointer { .. } | Shape::Array { .. }
                if !crate::model::registry::understood(&c.reg, reg, c.ty) =>
            {
                reg.parse("void *")?
            }
            _ => reg.translate(&c.reg, c.ty)?,
        };
        // C's default argument promotions, as rffi-types states them.
        let promoted = reg
            .with(|t| rffi_types::variadic_promotion(t, ty))
            .map_err(crate::base::errors::type_error)?;
        out.push(promoted);
    }
    Ok(out)
}
