//! Calling a C function pointer cdata from Python.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::IntoPyObjectExt;
use rffi_call::{CallPlan, Frame};
use rffi_types::{Prim, PrimClass, Type, TypeId};
use std::sync::Arc;

use crate::cdata::CData;
use crate::convert::{self, Keep};
use crate::errors::IntoPyResult;
use crate::registry::Shape;

/// A pointer that crosses into the thread that runs without the GIL.
struct SendPtr<T>(T);
// SAFETY: the pointed-to frames live on the calling thread's stack for the
// whole call, and nothing else touches them while the GIL is released.
unsafe impl<T> Send for SendPtr<T> {}

/// The plan of a function pointer cdata, cached in it after the first call.
fn plan_of(f: &CData) -> PyResult<&Arc<CallPlan>> {
    if let Some(p) = f.plan.get() {
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
    Ok(f.plan.get_or_init(|| plan))
}

pub fn call(py: Python<'_>, f: &CData, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
    let reg = &f.reg;
    let fixed_plan = plan_of(f)?;
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
    let variadic_plan;
    let plan: &CallPlan = if variadic {
        let extra = variadic_types(f, args, fixed)?;
        variadic_plan = reg.with(|t| CallPlan::variadic(t, f.ty, &extra)).py()?;
        &variadic_plan
    } else {
        fixed_plan
    };
    let mut frame = plan.frame();
    let mut keep = Keep::default();
    let base = frame.as_mut_ptr() as usize;
    for (slot, arg) in plan.args().iter().zip(args.iter()) {
        convert::write_arg(py, reg, slot.ty, base + slot.offset, &arg, &mut keep)?;
    }
    let mut result = plan.result_buffer();
    let code = SendPtr(f.addr as *const std::ffi::c_void);
    let frames = SendPtr((&mut frame as *mut Frame, &mut result as *mut Frame));
    py.detach(move || {
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
    let owner = crate::owner::Owner::None;
    let ret = plan.ret();
    let addr = result.as_mut_ptr() as usize;
    if let Shape::Record { .. } = reg.shape(ret) {
        return CData::owned_copy(reg, ret, addr)?.into_py_any(py);
    }
    convert::read(py, reg, ret, addr, &owner)
}

/// The C types of the arguments in the variadic part: they must be cdata,
/// promoted as C promotes them (float to double, small integers to int).
fn variadic_types(f: &CData, args: &Bound<'_, PyTuple>, fixed: usize) -> PyResult<Vec<TypeId>> {
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
        let ty = c.get().ty;
        let promoted = reg.with(|t| match t.get(ty) {
            Type::Prim(p) if p.class() == PrimClass::Float && p.size() < 8 => {
                Some(t.prim(Prim::DOUBLE))
            }
            Type::Prim(p) if p.is_integer() && p.size() < Prim::INT.size() => {
                Some(t.prim(if p.is_signed() || p.size() < Prim::INT.size() {
                    Prim::INT
                } else {
                    Prim::UINT
                }))
            }
            Type::Array(item, _) => Some(t.pointer_to(*item)),
            _ => None,
        });
        out.push(promoted.unwrap_or(ty));
    }
    Ok(out)
}
