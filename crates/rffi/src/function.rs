//! Calling functions: typed handles, prepared dynamic handles, and dynamic
//! calls with [`Value`]s.

use std::ffi::c_void;
use std::sync::Arc;

use rffi_call::memory::Value as Raw;
use rffi_call::safe::{BoundFn, CArgs, CResult, PointerFree, SafeResult, TypedFn};
use rffi_call::{CallPlan, Frame, Regs, Returned, Scalar};
use rffi_types::{variadic_promotion, Prim, Type, TypeId, Types};

use crate::context::Ffi;
use crate::error::{Error, Result};
use crate::value::{from_c, Arg, Conv, Stored, StructValue, Value};

/// A C function checked once against a Rust signature `fn(A) -> R`, from
/// [`Library::function`](crate::Library::function).
///
/// A call goes straight through a Rust function pointer of that type: no
/// lookups, no allocation, no locks. `errno` is not saved; read
/// `std::io::Error::last_os_error()` right after the call when needed.
///
/// [`call`](Function::call) is safe when no argument is a pointer;
/// [`call_unchecked`](Function::call_unchecked) takes raw pointers and is
/// `unsafe`:
///
/// ```compile_fail
/// let ffi = rffi::Ffi::new();
/// ffi.cdef("size_t strlen(const char *);").unwrap();
/// let libc = unsafe { ffi.dlopen_process() }.unwrap();
/// let strlen = libc.function::<(*const u8,), usize>("strlen").unwrap();
/// strlen.call((0x10 as *const u8,)); // a raw pointer: only call_unchecked
/// ```
///
/// ```
/// let ffi = rffi::Ffi::new();
/// ffi.cdef("size_t strlen(const char *);")?;
/// // SAFETY: the process exports libc's strlen, declared as C declares it.
/// let libc = unsafe { ffi.dlopen_process() }?;
/// let strlen = libc.function::<(*const u8,), usize>("strlen")?;
/// // SAFETY: a NUL-terminated string, alive during the call.
/// assert_eq!(unsafe { strlen.call_unchecked((c"four".as_ptr().cast(),)) }, 4);
/// # Ok::<(), rffi::Error>(())
/// ```
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

    /// Calls the function with a tuple of arguments that hold no pointers.
    ///
    /// A panic of a Rust [`Callback`](crate::Callback) that C ran during the
    /// call continues here once C has returned (C itself saw a zero result).
    #[inline]
    pub fn call(&self, args: A) -> R
    where
        A: PointerFree,
        R: SafeResult,
    {
        self.inner.call(args)
    }

    /// Calls the function with any arguments, raw pointers included, or a
    /// result that borrows C memory (`Option<&'static CStr>`).
    ///
    /// # Safety
    /// Every pointer argument must be valid for what the function does with
    /// it: C may read and write the memory behind it as far as its contract
    /// says (a buffer as long as the size passed beside it, a string up to
    /// its NUL), for as long as it keeps the pointer; a
    /// [`Callback`](crate::Callback)'s pointer must outlive every call C
    /// makes of it, and pointers a callback returns to C must be valid for
    /// what C does with them. A string result must stay valid for as long as it is
    /// used (`'static`: static storage, such as `zlibVersion()`'s).
    #[inline]
    #[allow(unsafe_code)]
    pub unsafe fn call_unchecked(&self, args: A) -> R {
        // SAFETY: passed on to this function's caller.
        unsafe { self.inner.call_unchecked(args) }
    }

    /// The function's address, for passing it to C as a function pointer.
    pub fn as_ptr(&self) -> *const c_void {
        self.inner.addr()
    }
}

/// Why no Rust signature matches a C function type, when that is so.
pub(crate) fn why_no_signature(types: &Types, plan: &CallPlan) -> Option<String> {
    if plan.is_variadic() {
        return Some(
            "a variadic function has no Rust signature: type its fixed part with \
             Library::variadic, or call it with Library::call or a DynFunction"
                .into(),
        );
    }
    let by_value = plan.args()[..plan.fixed_args()]
        .iter()
        .map(|a| a.ty)
        .chain((!plan.ret_is_void()).then(|| plan.ret()))
        .find(|&t| matches!(types.get(t), Type::Record(_)));
    by_value.map(|t| {
        format!(
            "'{}' is passed by value: use a #[repr(C)] struct through rffi::c_struct!, or a dynamic call",
            types.cname(t)
        )
    })
}

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

fn place_of(name: &str, i: usize) -> String {
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

fn store(frame: &mut Frame, offset: usize, stored: Stored<'_>) -> Result<()> {
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
        let plan = ffi.plan(&ffi.types(), fn_type, &extra)?;
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

/// A variadic C function whose fixed parameters and result are typed,
/// `fn(A, ...) -> R`, from [`Library::variadic`](crate::Library::variadic):
/// the fixed part is checked once against the declaration and passed as
/// Rust values; the extra arguments of each call are dynamic, promoted as C
/// promotes them.
///
/// ```
/// use std::ffi::c_char;
/// let ffi = rffi::Ffi::new();
/// ffi.cdef("int snprintf(char *str, size_t size, const char *format, ...);")?;
/// // SAFETY: the process has libc; snprintf is declared as stdio.h does.
/// let libc = unsafe { ffi.dlopen_process() }?;
/// let snprintf = libc.variadic::<(*mut c_char, usize, *const c_char), i32>("snprintf")?;
/// let mut buf = [0 as c_char; 16];
/// // SAFETY: snprintf writes at most 16 bytes to `buf`, and the format asks
/// // for the two ints that follow.
/// let n = unsafe {
///     snprintf.call_unchecked((buf.as_mut_ptr(), 16, c"%d-%d".as_ptr()), &[4.into(), 2.into()])
/// }?;
/// assert_eq!(n, 3);
/// # Ok::<(), rffi::Error>(())
/// ```
pub struct VariadicFunction<A, R> {
    ffi: Ffi,
    typed: rffi_call::safe::TypedVariadic<A, R>,
    fn_type: TypeId,
    name: Arc<str>,
}

impl<A, R> Clone for VariadicFunction<A, R> {
    fn clone(&self) -> Self {
        VariadicFunction {
            ffi: self.ffi.clone(),
            typed: self.typed.clone(),
            fn_type: self.fn_type,
            name: self.name.clone(),
        }
    }
}

impl<A, R> std::fmt::Debug for VariadicFunction<A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariadicFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<A: CArgs, R: CResult> VariadicFunction<A, R> {
    pub(crate) fn new(
        ffi: Ffi,
        typed: rffi_call::safe::TypedVariadic<A, R>,
        fn_type: TypeId,
        name: &str,
    ) -> Self {
        VariadicFunction {
            ffi,
            typed,
            fn_type,
            name: name.into(),
        }
    }

    /// Calls the function with its fixed arguments and extra values, when
    /// neither holds a pointer (refused with [`Error::PassesPointers`]).
    pub fn call(&self, fixed: A, extra: &[Value]) -> Result<R>
    where
        A: PointerFree,
        R: SafeResult,
    {
        self.dispatch(fixed, extra, None)
    }

    /// Calls the function with its fixed arguments and extra arguments that
    /// may lend C memory.
    ///
    /// # Safety
    /// As for [`Function::call_unchecked`], for the fixed and the extra
    /// arguments (the format string of a `printf` must ask for exactly the
    /// extra arguments given).
    #[allow(unsafe_code)]
    pub unsafe fn call_unchecked(&self, fixed: A, extra: &[Arg<'_>]) -> Result<R> {
        self.dispatch(fixed, extra, Some(Vouched(())))
    }

    #[allow(unsafe_code)]
    fn dispatch<T: AsRef<Value>>(
        &self,
        fixed: A,
        extra: &[T],
        vouched: Option<Vouched>,
    ) -> Result<R> {
        let n = self.typed.bound().plan().fixed_args();
        let types = promoted_types(&self.ffi, &self.name, n, extra)?;
        let plan = self.ffi.plan(&self.ffi.types(), self.fn_type, &types)?;
        let call = self.typed.bound().with_variadic_plan(plan)?;
        if vouched.is_none() && call.plan().passes_pointers() {
            return Err(Error::PassesPointers {
                function: self.name.to_string(),
            });
        }
        let mut frame = call.plan().frame();
        {
            let types = self.ffi.types();
            for (i, (slot, v)) in call.plan().args()[n..].iter().zip(extra).enumerate() {
                let conv = Conv::of(&types, slot.ty);
                let place = || place_of(&self.name, n + i);
                store(
                    &mut frame,
                    slot.offset,
                    conv.store(self.ffi.id(), v.as_ref(), &place)?,
                )?;
            }
        }
        let mut result = call.plan().result_buffer();
        // SAFETY: without `Vouched` the plan passes no pointer (checked
        // above); with it, the caller of `call_unchecked` vouched for them.
        Ok(unsafe {
            self.typed
                .call_unchecked(&call, fixed, &mut frame, &mut result)
        }?)
    }
}

/// The types the extra arguments of a variadic call travel as: each value's
/// natural C type after C's default promotions.
fn promoted_types<T: AsRef<Value>>(
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
