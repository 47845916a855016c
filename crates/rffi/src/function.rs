//! Calling functions: typed handles, and dynamic calls with [`Value`]s.

use std::ffi::c_void;

use rffi_call::safe::{BoundFn, CArgs, CResult, TypedFn};
use rffi_call::Scalar;
use rffi_types::{Type, TypeId, Types};

use crate::context::Ffi;
use crate::error::{Error, Result};
use crate::value::{from_c, to_c, Stored, StructValue, Value};

/// A C function checked once against a Rust signature `fn(A) -> R`, from
/// [`Library::function`](crate::Library::function).
///
/// A call goes straight through a Rust function pointer of that type: no
/// lookups, no allocation, no locks. `errno` is not saved; read
/// `std::io::Error::last_os_error()` right after the call when needed.
pub struct Function<A, R> {
    inner: TypedFn<A, R>,
}

impl<A, R> Clone for Function<A, R> {
    fn clone(&self) -> Self {
        Function {
            inner: self.inner.clone(),
        }
    }
}

impl<A, R> std::fmt::Debug for Function<A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function").finish_non_exhaustive()
    }
}

impl<A: CArgs, R: CResult> Function<A, R> {
    pub(crate) fn new(inner: TypedFn<A, R>) -> Function<A, R> {
        Function { inner }
    }

    /// Calls the function with a tuple of arguments.
    #[inline]
    pub fn call(&self, args: A) -> R {
        self.inner.call(args)
    }

    /// The function's address, for passing it to C as a function pointer.
    pub fn as_ptr(&self) -> *const c_void {
        self.inner.addr()
    }
}

/// How to read a call's result, worked out while the types are locked.
enum ResultReader {
    Void,
    Scalar(TypeId, Scalar),
    Bytes(TypeId, usize),
}

/// The type a variadic argument travels as, after C's default promotions.
fn promoted_type(ffi: &Ffi, v: &Value, place: &dyn Fn() -> String) -> Result<TypeId> {
    let p = ffi.promoted();
    Ok(match v {
        Value::Bool(_)
        | Value::I8(_)
        | Value::U8(_)
        | Value::I16(_)
        | Value::U16(_)
        | Value::I32(_) => p.int,
        Value::U32(_) => p.uint,
        Value::I64(_) => p.long,
        Value::U64(_) => p.ulong,
        Value::F32(_) | Value::F64(_) => p.double,
        Value::LongDouble(_) => p.long_double,
        Value::Complex32(..) => p.float_complex,
        Value::Complex64(..) => p.double_complex,
        Value::Pointer(_) => p.pointer,
        Value::Struct(s) => ffi.own(s.ty)?,
        Value::Void => {
            return Err(Error::WrongType {
                place: place(),
                ctype: "...".into(),
                got: "Void".into(),
            })
        }
    })
}

fn result_reader(types: &Types, ty: TypeId) -> Result<ResultReader> {
    if matches!(types.get(ty), Type::Void) {
        return Ok(ResultReader::Void);
    }
    match Scalar::of(types, ty) {
        Some(s) => Ok(ResultReader::Scalar(ty, s)),
        None => Ok(ResultReader::Bytes(ty, types.size_of(ty)?)),
    }
}

/// Checks and converts `args`, calls `bound`, and reads its result.
pub(crate) fn call_dynamic(
    ffi: &Ffi,
    bound: &BoundFn,
    fn_type: TypeId,
    name: &str,
    args: &[Value],
) -> Result<Value> {
    let types = ffi.types();
    let fixed = bound.plan().fixed_args();
    let variadic = bound.plan().is_variadic();
    if args.len() < fixed || (!variadic && args.len() != fixed) {
        return Err(Error::ArgumentCount {
            function: name.to_string(),
            expected: fixed,
            got: args.len(),
        });
    }
    let place = |i: usize| move || format!("argument {} of {name}()", i + 1);
    let variadic_bound;
    let bound = if args.len() > fixed {
        let extra = args[fixed..]
            .iter()
            .enumerate()
            .map(|(i, v)| promoted_type(ffi, v, &place(fixed + i)))
            .collect::<Result<Vec<_>>>()?;
        let plan = ffi.plan(&types, fn_type, &extra)?;
        variadic_bound = bound.with_variadic_plan(plan)?;
        &variadic_bound
    } else {
        bound
    };
    let plan = bound.plan();
    let mut frame = plan.frame();
    for (i, (slot, v)) in plan.args().iter().zip(args).enumerate() {
        match to_c(&types, ffi.id(), slot.ty, v, &place(i))? {
            Stored::Scalar(s, raw) => frame.put(slot.offset, s, raw)?,
            Stored::Bytes(bytes) => frame.put_bytes(slot.offset, bytes)?,
        }
    }
    let reader = result_reader(&types, plan.ret())?;
    // A callback run by this call may use the Ffi: the types stay unlocked.
    drop(types);
    let mut result = plan.result_buffer();
    bound.call(&mut frame, &mut result)?;
    Ok(match reader {
        ResultReader::Void => Value::Void,
        ResultReader::Scalar(ty, s) => {
            let raw = result.get(0, s)?;
            from_c(&ffi.types(), ty, s, raw)
        }
        ResultReader::Bytes(ty, size) => Value::Struct(StructValue {
            ty: ffi.ctype(ty),
            bytes: result.get_bytes(0, size)?,
        }),
    })
}
