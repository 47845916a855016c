//! Typed handles: C functions called as Rust functions of a checked type.

use std::ffi::c_void;

use rffi_call::safe::{CArgs, CResult, PointerFree, SafeResult, TypedFn};
use rffi_call::CallPlan;
use rffi_types::{Type, Types};

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
