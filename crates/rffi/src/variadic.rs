//! Variadic functions whose fixed part is typed: `fn(A, ...) -> R`.

use std::sync::Arc;

use rffi_call::safe::{CArgs, CResult, PointerFree, SafeResult, TypedVariadic};
use rffi_types::TypeId;

use crate::context::Ffi;
use crate::dynamic::{place_of, promoted_types, store, Vouched};
use crate::error::{Error, Result};
use crate::value::{Arg, Conv, Value};

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
    typed: TypedVariadic<A, R>,
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
    pub(crate) fn new(ffi: Ffi, typed: TypedVariadic<A, R>, fn_type: TypeId, name: &str) -> Self {
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
    /// As for [`Function::call_unchecked`](crate::Function::call_unchecked),
    /// for the fixed and the extra arguments (the format string of a
    /// `printf` must ask for exactly the extra arguments given).
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
        let plan = self.ffi.plan(self.fn_type, &types)?;
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
