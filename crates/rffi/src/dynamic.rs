//! Dynamic calls: checked [`Value`]s in, a value of the declared type out,
//! through prepared handles ([`DynFunction`]) or by name.

use std::ffi::c_void;
use std::sync::Arc;

use rffi_call::memory::Value as Raw;
use rffi_call::safe::BoundFn;
use rffi_call::{CallPlan, Frame, Regs, Returned, Scalar};
use rffi_types::{variadic_promotion, Prim, Type, TypeId, Types};

use crate::context::Ffi;
use crate::error::{Error, Result};
use crate::value::{from_c, Arg, Conv, Stored, StructValue, Value};

/// Proof that an `unsafe fn` of this crate was called: made only there.
pub(crate) struct Vouched(pub(crate) ());

/// How a call's result is read, worked out once.
#[derive(Clone, Debug)]
enum Reader {
    Void,
    Scalar(Conv),
    Bytes(crate::context::CType, usize),
}

impl Reader {
    fn of(ffi: &Ffi, types: &Types, ty: TypeId) -> Result<Reader> {
        if matches!(types.get(ty), Type::Void) {
            return Ok(Reader::Void);
        }
        let conv = Conv::of(types, ty);
        if conv.scalar().is_some() {
            return Ok(Reader::Scalar(conv));
        }
        Ok(Reader::Bytes(ffi.ctype(ty), types.size_of(ty)?))
    }

    fn read(&self, result: &mut Frame) -> Result<Value> {
        Ok(match self {
            Reader::Void => Value::Void,
            Reader::Scalar(conv) => {
                let s = conv.scalar().unwrap_or(rffi_call::Scalar::Pointer);
                from_c(conv, result.get(0, s)?)
            }
            Reader::Bytes(ty, size) => Value::Struct(StructValue {
                ty: *ty,
                bytes: result.get_bytes(0, *size)?,
            }),
        })
    }
}

/// A function of a library prepared for dynamic calls, from
/// [`Library::prepare`](crate::Library::prepare): its declaration, plan and
/// conversions are worked out once, so a call converts the values, jumps
/// and reads the result, with no lookup by name and no lock.
///
/// Cloning is cheap; a `DynFunction` keeps its library loaded and may be
/// sent to and shared between threads.
#[derive(Clone)]
pub struct DynFunction {
    ffi: Ffi,
    bound: Arc<BoundFn>,
    fn_type: TypeId,
    name: Arc<str>,
    params: Arc<[Conv]>,
    reader: Reader,
}

impl std::fmt::Debug for DynFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl DynFunction {
    pub(crate) fn new(
        ffi: Ffi,
        bound: Arc<BoundFn>,
        fn_type: TypeId,
        name: &str,
    ) -> Result<DynFunction> {
        let types = ffi.types();
        let plan = bound.plan();
        let params = plan.args()[..plan.fixed_args()]
            .iter()
            .map(|a| Conv::of(&types, a.ty))
            .collect();
        let reader = Reader::of(&ffi, &types, plan.ret())?;
        drop(types);
        Ok(DynFunction {
            ffi,
            bound,
            fn_type,
            name: name.into(),
            params,
            reader,
        })
    }

    /// Calls the function with dynamic values, as
    /// [`Library::call`](crate::Library::call) does.
    pub fn call(&self, args: &[Value]) -> Result<Value> {
        self.dispatch(args, None)
    }

    /// Calls the function with arguments that may lend C memory, as
    /// [`Library::call_unchecked`](crate::Library::call_unchecked) does.
    ///
    /// # Safety
    /// As for [`Library::call_unchecked`](crate::Library::call_unchecked).
    #[allow(unsafe_code)]
    pub unsafe fn call_unchecked(&self, args: &[Arg<'_>]) -> Result<Value> {
        self.dispatch(args, Some(Vouched(())))
    }

    fn dispatch<T: AsRef<Value>>(&self, args: &[T], vouched: Option<Vouched>) -> Result<Value> {
        if self.bound.plan().is_variadic() {
            return call_dynamic(
                &self.ffi,
                &self.bound,
                self.fn_type,
                &self.name,
                args,
                vouched,
            );
        }
        check_count(&self.name, self.bound.plan(), args.len())?;
        let plan = self.bound.plan();
        if let Some(direct) = plan.direct() {
            return self.dispatch_direct(direct, args, vouched);
        }
        let mut frame = plan.frame();
        for (i, ((slot, conv), v)) in plan.args().iter().zip(&*self.params).zip(args).enumerate() {
            let place = || place_of(&self.name, i);
            store(
                &mut frame,
                slot.offset,
                conv.store(self.ffi.id(), v.as_ref(), &place)?,
            )?;
        }
        let mut result = plan.result_buffer();
        invoke(&self.bound, &self.name, &mut frame, &mut result, vouched)?;
        self.reader.read(&mut result)
    }

    /// A call through registers, without libffi: for scalar signatures.
    #[allow(unsafe_code)]
    fn dispatch_direct<T: AsRef<Value>>(
        &self,
        direct: &rffi_call::Direct,
        args: &[T],
        vouched: Option<Vouched>,
    ) -> Result<Value> {
        let mut regs = Regs::default();
        let slots = direct.args().iter().zip(&*self.params).zip(args);
        for (i, ((&reg, conv), v)) in slots.enumerate() {
            let place = || place_of(&self.name, i);
            match conv.store(self.ffi.id(), v.as_ref(), &place)? {
                Stored::Scalar(_, Raw::Int(x)) => regs.set_int(reg, x),
                Stored::Scalar(_, Raw::Pointer(p)) => regs.set_int(reg, p as i128),
                Stored::Scalar(_, Raw::Float(x)) => regs.set_float(reg, x),
                Stored::Scalar(_, Raw::Complex(..)) | Stored::Bytes(_) => {
                    unreachable!("a direct layout has only integer and float registers")
                }
            }
        }
        let returned = match vouched {
            None => self.bound.call_direct(&regs),
            // SAFETY: `Vouched` is only made by this crate's unsafe fns,
            // whose callers vouch for every pointer.
            Some(Vouched(())) => unsafe { self.bound.call_direct_unchecked(&regs) },
        };
        let returned = match returned {
            Some(r) => r.map_err(|e| self.named(e.into()))?,
            None => unreachable!("the plan has a direct layout"),
        };
        Ok(match (&self.reader, returned) {
            (Reader::Scalar(conv), Returned::Int(x)) if conv.scalar() == Some(Scalar::Pointer) => {
                from_c(conv, Raw::Pointer(x as usize))
            }
            (Reader::Scalar(conv), Returned::Int(x)) => from_c(conv, Raw::Int(x)),
            (Reader::Scalar(conv), Returned::Float(x)) => from_c(conv, Raw::Float(x)),
            _ => Value::Void,
        })
    }

    /// An error of a call, with this function's name where it has one.
    fn named(&self, e: Error) -> Error {
        match e {
            Error::PassesPointers { .. } => Error::PassesPointers {
                function: self.name.to_string(),
            },
            other => other,
        }
    }

    /// The function's address.
    pub fn as_ptr(&self) -> *const c_void {
        self.bound.addr()
    }

    pub(crate) fn bound(&self) -> &Arc<BoundFn> {
        &self.bound
    }
}

pub(crate) fn place_of(name: &str, i: usize) -> String {
    format!("argument {} of {name}()", i + 1)
}

fn check_count(name: &str, plan: &CallPlan, got: usize) -> Result<()> {
    let fixed = plan.fixed_args();
    let variadic = plan.is_variadic();
    if got < fixed || (!variadic && got != fixed) {
        return Err(Error::ArgumentCount {
            function: name.to_string(),
            expected: fixed,
            variadic,
            got,
        });
    }
    Ok(())
}

pub(crate) fn store(frame: &mut Frame, offset: usize, stored: Stored<'_>) -> Result<()> {
    match stored {
        Stored::Scalar(s, raw) => frame.put(offset, s, raw)?,
        Stored::Bytes(bytes) => frame.put_bytes(offset, bytes)?,
    }
    Ok(())
}

/// Calls `bound`: safely when it passes no pointer, through the unchecked
/// call when an `unsafe fn` of this crate vouched for them.
#[allow(unsafe_code)]
fn invoke(
    bound: &BoundFn,
    name: &str,
    frame: &mut Frame,
    result: &mut Frame,
    vouched: Option<Vouched>,
) -> Result<()> {
    match vouched {
        None if bound.plan().passes_pointers() => Err(Error::PassesPointers {
            function: name.to_string(),
        }),
        None => Ok(bound.call(frame, result)?),
        // SAFETY: `Vouched` is only made by this crate's unsafe fns
        // (`call_unchecked`), whose callers vouch for every pointer.
        Some(Vouched(())) => Ok(unsafe { bound.call_unchecked(frame, result) }?),
    }
}

/// The natural C type of a variadic value before C's promotions.
fn natural_type(ffi: &Ffi, types: &mut Types, v: &Value, place: &str) -> Result<TypeId> {
    let prim =
        |types: &mut Types, name: &str| Ok(types.prim(Prim::from_name(name).unwrap_or(Prim::INT)));
    match v {
        Value::Bool(_) => prim(types, "_Bool"),
        Value::I8(_) => prim(types, "int8_t"),
        Value::U8(_) => prim(types, "uint8_t"),
        Value::I16(_) => prim(types, "int16_t"),
        Value::U16(_) => prim(types, "uint16_t"),
        Value::I32(_) => prim(types, "int32_t"),
        Value::U32(_) => prim(types, "uint32_t"),
        Value::I64(_) => prim(types, "int64_t"),
        Value::U64(_) => prim(types, "uint64_t"),
        Value::F32(_) => prim(types, "float"),
        Value::F64(_) => prim(types, "double"),
        Value::LongDouble(_) => prim(types, "long double"),
        Value::Complex32(..) => prim(types, "float _Complex"),
        Value::Complex64(..) => prim(types, "double _Complex"),
        Value::Pointer(_) => {
            let void = types.void();
            Ok(types.pointer_to(void))
        }
        Value::Struct(s) => ffi.own(s.ty).map_err(|_| Error::ForeignType {
            what: place.to_string(),
        }),
        Value::Void => Err(Error::WrongType {
            place: place.to_string(),
            ctype: "...".into(),
            got: "Void".into(),
        }),
    }
}

/// Checks and converts `args`, calls `bound`, and reads its result.
pub(crate) fn call_dynamic<T: AsRef<Value>>(
    ffi: &Ffi,
    bound: &BoundFn,
    fn_type: TypeId,
    name: &str,
    args: &[T],
    vouched: Option<Vouched>,
) -> Result<Value> {
    check_count(name, bound.plan(), args.len())?;
    let fixed = bound.plan().fixed_args();
    let variadic_bound;
    let bound = if args.len() > fixed {
        let extra = promoted_types(ffi, name, fixed, &args[fixed..])?;
        let plan = ffi.plan(fn_type, &extra)?;
        variadic_bound = bound.with_variadic_plan(plan)?;
        &variadic_bound
    } else {
        bound
    };
    let types = ffi.types();
    let plan = bound.plan();
    let mut frame = plan.frame();
    for (i, (slot, v)) in plan.args().iter().zip(args).enumerate() {
        let conv = Conv::of(&types, slot.ty);
        let place = || place_of(name, i);
        store(
            &mut frame,
            slot.offset,
            conv.store(ffi.id(), v.as_ref(), &place)?,
        )?;
    }
    let reader = Reader::of(ffi, &types, plan.ret())?;
    // A callback run by this call may use the Ffi: the types stay unlocked.
    drop(types);
    let mut result = plan.result_buffer();
    invoke(bound, name, &mut frame, &mut result, vouched)?;
    reader.read(&mut result)
}

/// The types the extra arguments of a variadic call travel as: each value's
/// natural C type after C's default promotions.
pub(crate) fn promoted_types<T: AsRef<Value>>(
    ffi: &Ffi,
    name: &str,
    fixed: usize,
    extra: &[T],
) -> Result<Vec<TypeId>> {
    let mut types = ffi.types_mut();
    extra
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let place = place_of(name, fixed + i);
            let ty = natural_type(ffi, &mut types, v.as_ref(), &place)?;
            variadic_promotion(&mut types, ty).map_err(|e| Error::WrongType {
                place,
                ctype: "...".into(),
                got: e.message,
            })
        })
        .collect()
}
