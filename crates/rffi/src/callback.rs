//! Rust closures as C function pointers.

use std::ffi::c_void;

use rffi_call::safe::{
    typed_callback, typed_local_callback, CArgs, CResult, LocalCallback, SafeError,
};

use crate::context::Ffi;
use crate::error::{Error, Result};
use crate::value::Value;

/// A C function pointer that runs a Rust closure, from [`Ffi::callback`] or
/// [`Ffi::local_callback`].
///
/// The pointer is valid while the `Callback` lives: keep it alive for as long
/// as C may call it. A panic in the closure is caught before it can unwind
/// into C; the C caller then receives a zero result. A `Callback` stays on
/// the thread that made it (it may own a closure that is not `Send`).
pub struct Callback {
    inner: Inner,
}

enum Inner {
    Shared(rffi_call::Callback),
    Local(LocalCallback),
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("addr", &self.as_ptr())
            .finish()
    }
}

impl Callback {
    /// The C function pointer, to pass to C.
    pub fn as_ptr(&self) -> *const c_void {
        let code = match &self.inner {
            Inner::Shared(c) => c.code(),
            Inner::Local(c) => c.code(),
        };
        std::ptr::with_exposed_provenance(code)
    }
}

impl From<&Callback> for Value {
    /// The C function pointer.
    fn from(cb: &Callback) -> Value {
        Value::Pointer(cb.as_ptr().cast_mut())
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
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn callback<A, R, F>(&self, ty: &str, f: F) -> Result<Callback>
    where
        A: CArgs,
        R: CResult,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.make_callback(ty, |types, plan| {
            typed_callback(types, plan, f).map(Inner::Shared)
        })
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
    /// let libc = ffi.dlopen(None)?;
    /// libc.call("qsort", &[(&items).into(), 4u64.into(), 4u64.into(), (&by_value).into()])?;
    /// let sorted: Vec<i128> = (0..4)
    ///     .map(|i| items.index(i)?.get().map(|v| v.as_int().unwrap()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(sorted, [10, 20, 30, 40]);
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn local_callback<A, R, F>(&self, ty: &str, f: F) -> Result<Callback>
    where
        A: CArgs,
        R: CResult,
        F: Fn(A) -> R + 'static,
    {
        self.make_callback(ty, |types, plan| {
            typed_local_callback(types, plan, f).map(Inner::Local)
        })
    }

    fn make_callback(
        &self,
        ty: &str,
        make: impl FnOnce(
            &rffi_types::Types,
            std::sync::Arc<rffi_call::CallPlan>,
        ) -> std::result::Result<Inner, SafeError>,
    ) -> Result<Callback> {
        let id = self.types_mut().parse_type(ty)?;
        let types = self.types();
        if types.function(id).is_none() {
            return Err(Error::Unsupported {
                ctype: types.cname(id),
                reason: "a callback needs a function type".into(),
            });
        }
        let plan = self.plan(&types, id, &[])?;
        match make(&types, plan) {
            Ok(inner) => Ok(Callback { inner }),
            Err(SafeError::Signature { rust, c }) => Err(Error::Signature {
                name: ty.to_string(),
                rust,
                c,
            }),
            Err(e) => Err(e.into()),
        }
    }
}
