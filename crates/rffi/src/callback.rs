//! Rust closures as C function pointers.

use std::ffi::c_void;

use rffi_call::safe::{typed_callback, typed_local_callback, CArgs, CResult, SafeError};

use crate::context::Ffi;
use crate::error::{Error, Result};
use crate::value::Arg;

/// A C function pointer that runs a `Send + Sync` Rust closure, from
/// [`Ffi::callback`]. It may be called by C on any thread, and sent to and
/// shared between threads itself.
///
/// The pointer reaches C only through an `unsafe` call
/// ([`Library::call_unchecked`](crate::Library::call_unchecked) with
/// `(&callback).into()`, or a typed handle's `call_unchecked` with
/// [`as_ptr`](Callback::as_ptr)), whose caller vouches that C does not call
/// it after the `Callback` is dropped. A `Callback` that C keeps for the
/// rest of the program (`atexit`, a signal handler, a registry of the
/// library) is [`leak`](Callback::leak)ed, so that it is never freed.
///
/// A panic in the closure is caught before it can unwind into C. C gets a
/// zero result, the callback returns zero without running until the call
/// that led into C returns, and that call then reports the panic: a dynamic
/// call returns [`Error::CallbackPanicked`], a typed [`Function`](crate::Function)
/// call resumes the panic in its caller. On a thread that C made itself,
/// where no call of rffi's led into C, nothing takes the panic: take it with
/// [`take_callback_panic`](crate::take_callback_panic), or the callback keeps
/// returning zero on that thread.
pub struct Callback {
    inner: rffi_call::Callback,
}

/// A C function pointer that runs a Rust closure that need not be `Send`
/// or `Sync`, from [`Ffi::local_callback`]. It only runs on the thread that
/// made it, and stays there (it is neither `Send` nor `Sync`); called by C
/// on another thread, it returns zero without running. Otherwise as
/// [`Callback`].
pub struct LocalCallback {
    inner: rffi_call::safe::LocalCallback,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("addr", &self.as_ptr())
            .finish()
    }
}

impl std::fmt::Debug for LocalCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCallback")
            .field("addr", &self.as_ptr())
            .finish()
    }
}

impl Callback {
    /// The C function pointer, valid while this `Callback` lives.
    pub fn as_ptr(&self) -> *const c_void {
        std::ptr::with_exposed_provenance(self.inner.code())
    }

    /// Keeps the callback for the rest of the program: its pointer stays
    /// valid forever, for C that keeps it (`atexit`, handlers).
    pub fn leak(self) -> &'static Callback {
        Box::leak(Box::new(self))
    }
}

impl LocalCallback {
    /// The C function pointer, valid while this `LocalCallback` lives.
    pub fn as_ptr(&self) -> *const c_void {
        std::ptr::with_exposed_provenance(self.inner.code())
    }

    /// Keeps the callback for the rest of the program, as [`Callback::leak`].
    pub fn leak(self) -> &'static LocalCallback {
        Box::leak(Box::new(self))
    }
}

impl<'a> From<&'a Callback> for Arg<'a> {
    /// The C function pointer, lent for the call.
    fn from(cb: &'a Callback) -> Arg<'a> {
        Arg::lent(cb.as_ptr().cast_mut())
    }
}

impl<'a> From<&'a LocalCallback> for Arg<'a> {
    /// The C function pointer, lent for the call.
    fn from(cb: &'a LocalCallback) -> Arg<'a> {
        Arg::lent(cb.as_ptr().cast_mut())
    }
}

impl Ffi {
    /// A C function pointer of the C function type `ty` (such as
    /// `"int(*)(const void *, const void *)"`) that calls `f`.
    ///
    /// The Rust signature `fn(A) -> R` must pass exactly as the C type does,
    /// as for [`Library::function`](crate::Library::function).
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// let twice = ffi.callback("int(*)(int)", |(x,): (i32,)| 2 * x)?;
    /// assert!(!twice.as_ptr().is_null());
    /// // `long` is not `int`: refused with both signatures.
    /// assert!(ffi.callback("int(*)(int)", |(x,): (i64,)| x).is_err());
    /// // A callback can leave the thread that made it.
    /// let twice = std::thread::spawn(move || twice).join().unwrap();
    /// # drop(twice);
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn callback<A, R, F>(&self, ty: &str, f: F) -> Result<Callback>
    where
        A: CArgs,
        R: CResult,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        let inner = self.make_callback(ty, |types, plan| typed_callback(types, plan, f))?;
        Ok(Callback { inner })
    }

    /// A callback like [`callback`](Ffi::callback) whose closure need not be
    /// `Send` or `Sync`, so it can use the [`CData`](crate::CData) of this
    /// thread. It only runs on the thread that made it: called by C from
    /// another thread, it returns zero without running.
    ///
    /// ```
    /// use std::ffi::c_void;
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const void *, const void *));")?;
    /// let items = ffi.alloc_array("int", 4)?;
    /// for (i, v) in [30, 10, 40, 20].into_iter().enumerate() {
    ///     items.index(i)?.set(v)?;
    /// }
    /// let view = items.clone();
    /// let by_value = ffi.local_callback(
    ///     "int(*)(const void *, const void *)",
    ///     move |(a, b): (*const c_void, *const c_void)| {
    ///         // `at` finds the ints qsort points to inside `items`, checked.
    ///         let get = |p| view.at(p, "int").and_then(|d| d.get()).unwrap();
    ///         get(a).as_int().cmp(&get(b).as_int()) as i32
    ///     },
    /// )?;
    /// // SAFETY: the process exports libc's qsort, declared as C declares it.
    /// let libc = unsafe { ffi.dlopen_process() }?;
    /// // SAFETY: qsort sorts 4 items of 4 bytes inside `items` and calls
    /// // `by_value` only during the call.
    /// unsafe {
    ///     libc.call_unchecked("qsort", &[(&items).into(), 4u64.into(), 4u64.into(), (&by_value).into()])
    /// }?;
    /// let sorted: Vec<i128> = (0..4)
    ///     .map(|i| items.index(i)?.get().map(|v| v.as_int().unwrap()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(sorted, [10, 20, 30, 40]);
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn local_callback<A, R, F>(&self, ty: &str, f: F) -> Result<LocalCallback>
    where
        A: CArgs,
        R: CResult,
        F: Fn(A) -> R + 'static,
    {
        let inner = self.make_callback(ty, |types, plan| typed_local_callback(types, plan, f))?;
        Ok(LocalCallback { inner })
    }

    fn make_callback<T>(
        &self,
        ty: &str,
        make: impl FnOnce(
            &rffi_types::Types,
            std::sync::Arc<rffi_call::CallPlan>,
        ) -> std::result::Result<T, SafeError>,
    ) -> Result<T> {
        let id = self.types_mut().parse_type(ty)?;
        {
            let types = self.types();
            if types.function(id).is_none() {
                return Err(Error::Unsupported {
                    ctype: types.cname(id),
                    reason: "a callback needs a function type".into(),
                });
            }
        }
        let plan = self.plan(id, &[])?;
        let types = self.types();
        let why = crate::function::why_no_signature(&types, &plan);
        match make(&types, plan) {
            Ok(inner) => Ok(inner),
            Err(SafeError::Signature { rust, c }) => Err(Error::Signature {
                name: ty.to_string(),
                rust,
                c,
                reason: why,
            }),
            Err(e) => Err(e.into()),
        }
    }
}
