//! `ffi.callback`: Python callables as C function pointers.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use rffi_call::{CallPlan, Callback};
use rffi_types::{Type, TypeId};

use crate::cdata::{CData, Extras, Origin};
use crate::convert;
use crate::errors::IntoPyResult;
use crate::owner::{Memory, Owner};
use crate::registry::{Registry, Shape};

/// What the C side of a callback needs to call back into Python.
struct Target {
    reg: Arc<Registry>,
    func: Py<PyAny>,
    params: Vec<TypeId>,
    ret: TypeId,
    /// The result given to C when the Python function raised: `error`
    /// converted once, or zeroes.
    error: Option<Arc<Memory>>,
    onerror: Option<Py<PyAny>>,
}

impl Target {
    fn run(&self, args: &[*const u8], result: *mut u8) {
        Python::attach(|py| {
            let outcome = self.call(py, args, result);
            if let Err(err) = outcome {
                self.failed(py, err, result);
            }
        });
    }

    fn call(&self, py: Python<'_>, args: &[*const u8], result: *mut u8) -> PyResult<()> {
        let values = self
            .params
            .iter()
            .zip(args)
            .map(|(ty, p)| convert::read(py, &self.reg, *ty, *p as usize, &Owner::None))
            .collect::<PyResult<Vec<_>>>()?;
        let value = self.func.bind(py).call1(PyTuple::new(py, values)?)?;
        self.store(py, &value, result)
    }

    fn store(&self, py: Python<'_>, value: &Bound<'_, PyAny>, result: *mut u8) -> PyResult<()> {
        if self.reg.shape(self.ret) == Shape::Void {
            return Ok(());
        }
        convert::write(py, &self.reg, self.ret, result as usize, value)
    }

    /// cffi's behaviour when the Python side raised: report the exception
    /// (or hand it to `onerror`) and give C the `error` value.
    fn failed(&self, py: Python<'_>, err: PyErr, result: *mut u8) {
        self.write_error_value(result);
        if let Some(onerror) = &self.onerror {
            let args = (err.get_type(py), err.value(py).clone(), err.traceback(py));
            match onerror.bind(py).call1(args) {
                Ok(v) if !v.is_none() => {
                    if let Err(e) = self.store(py, &v, result) {
                        self.report(py, e);
                    }
                }
                Ok(_) => {}
                Err(e) => self.report(py, e),
            }
            return;
        }
        self.report(py, err);
    }

    /// Reports the exception as cffi does: through `sys.unraisablehook` with
    /// the message "Exception ignored from cffi callback <function ...>", so
    /// the default hook prints that line and the traceback on stderr.
    fn report(&self, py: Python<'_>, err: PyErr) {
        let func = self.func.bind(py);
        let header = match func.repr() {
            Ok(r) => format!("Exception ignored from cffi callback {r}"),
            Err(_) => "Exception ignored from cffi callback".to_string(),
        };
        if report_through_hook(py, &err, &header).is_err() {
            err.display(py);
        }
    }

    fn write_error_value(&self, result: *mut u8) {
        let size = self.reg.size_of(self.ret).unwrap_or(0);
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
        Some(e) => {
            let (size, align) = reg.with(|t| t.size_align(sig.ret)).py()?;
            let mem = Memory::zeroed(size, align)?;
            convert::write(py, reg, sig.ret, mem.addr(), e)?;
            Some(mem)
        }
        None => None,
    };
    let plan: Arc<CallPlan> = reg.plan(ptr_ty)?;
    let target = Target {
        reg: reg.clone(),
        func: func.clone().unbind(),
        params: sig.params.clone(),
        ret: sig.ret,
        error,
        onerror: onerror.map(|o| o.clone().unbind()),
    };
    let callback =
        Callback::new(plan, Box::new(move |args, result| target.run(args, result))).py()?;
    let code = callback.code();
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
