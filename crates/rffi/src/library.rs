//! Opened libraries: calls by name, typed and prepared handles, globals.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::sync::{Arc, Mutex};

use rffi_call::safe::{BoundFn, CArgs, CResult, SafeError, TypedFn, TypedVariadic};
use rffi_types::{Symbol, TypeId};

use crate::context::Ffi;
use crate::dynamic::DynFunction;
use crate::error::{Error, Result};
use crate::function::Function;
use crate::memory::CData;
use crate::search;
use crate::value::{Arg, Value};
use crate::variadic::VariadicFunction;

/// How [`Ffi::dlopen_with`](crate::Ffi::dlopen_with) opens a library: the
/// `RTLD_*` flags of `dlopen` on Unix (combine them with `|`). On Windows
/// they are all 0, the default of `LoadLibraryExW`, whose own flags
/// [`from_bits`](OpenFlags::from_bits) takes. The default is
/// [`OpenFlags::NOW`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpenFlags(i32);

impl OpenFlags {
    /// `RTLD_NOW`: resolve every symbol at load time.
    pub const NOW: OpenFlags = OpenFlags(rffi_call::RTLD_NOW);
    /// `RTLD_LAZY`: resolve functions when first called.
    pub const LAZY: OpenFlags = OpenFlags(rffi_call::RTLD_LAZY);
    /// `RTLD_GLOBAL`: the library's symbols serve libraries loaded later.
    pub const GLOBAL: OpenFlags = OpenFlags(rffi_call::RTLD_GLOBAL);
    /// `RTLD_LOCAL` (the default): they do not.
    pub const LOCAL: OpenFlags = OpenFlags(rffi_call::RTLD_LOCAL);
    /// `RTLD_NODELETE`: never unload, even when closed.
    pub const NODELETE: OpenFlags = OpenFlags(rffi_call::RTLD_NODELETE);
    /// `RTLD_NOLOAD`: only succeed if the library is already loaded.
    pub const NOLOAD: OpenFlags = OpenFlags(rffi_call::RTLD_NOLOAD);
}

impl OpenFlags {
    /// Flags given as the system's number (`libc::RTLD_DEEPBIND`, ...).
    pub const fn from_bits(bits: i32) -> OpenFlags {
        OpenFlags(bits)
    }

    /// The system's number.
    pub const fn bits(self) -> i32 {
        self.0
    }
}

impl Default for OpenFlags {
    fn default() -> Self {
        OpenFlags::NOW
    }
}

impl std::ops::BitOr for OpenFlags {
    type Output = OpenFlags;
    fn bitor(self, other: OpenFlags) -> OpenFlags {
        OpenFlags(self.0 | other.0)
    }
}

/// A shared library opened by [`Ffi::dlopen`](crate::Ffi::dlopen), whose
/// symbols are used as the `Ffi`'s declarations describe them.
///
/// Functions without pointer parameters are called safely with
/// [`call`](Library::call) or typed [`Function`]s; functions that take
/// pointers need [`call_unchecked`](Library::call_unchecked) or
/// [`Function::call_unchecked`], where the caller vouches for what C does
/// with them (see the [crate's safety model](crate#safety-model)).
///
/// `Library` is `Send` and `Sync`: calls and lookups may come from any
/// thread.
pub struct Library {
    ffi: Ffi,
    lib: Arc<rffi_call::Library>,
    /// Functions prepared by name, for `call`: remade when a later `cdef`
    /// (with `override`) gives a name another type.
    prepared: Mutex<HashMap<String, (TypeId, Arc<DynFunction>)>>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("name", &self.lib.name())
            .finish()
    }
}

/// Which of a library's symbols is wanted, for errors.
fn missing(e: &Error) -> bool {
    matches!(e, Error::NoSymbol { .. })
}

impl Library {
    /// Opens `name` (see [`Ffi::dlopen`](crate::Ffi::dlopen)): as given
    /// first, then by the platform's naming rules for a short name.
    ///
    /// # Safety
    /// As for [`Ffi::dlopen`](crate::Ffi::dlopen), for every file tried.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn open(ffi: Ffi, name: Option<&OsStr>, flags: OpenFlags) -> Result<Library> {
        let flags = flags.bits();
        // SAFETY: passed on to this function's caller (`Ffi::dlopen*`).
        let open = |path: Option<&OsStr>| unsafe { rffi_call::Library::open_os(path, flags) };
        let lib = match name {
            None => open(None)?,
            Some(name) => match open(Some(name)) {
                Ok(lib) => lib,
                Err(first) => search::candidates(name)
                    .into_iter()
                    .find_map(|c| open(Some(c.as_ref())).ok())
                    .ok_or(first)?,
            },
        };
        Ok(Library {
            ffi,
            lib: Arc::new(lib),
            prepared: Mutex::new(HashMap::new()),
        })
    }

    /// The name the library was opened with (`<None>` for the process).
    pub fn name(&self) -> &str {
        self.lib.name()
    }

    /// The declared function `name` of this library, prepared once per
    /// declared type.
    fn prepared(&self, name: &str) -> Result<Arc<DynFunction>> {
        let fn_type = {
            let types = self.ffi.types();
            match types.symbol(name) {
                Some(Symbol::Function(fn_type)) => *fn_type,
                _ => {
                    return Err(Error::NotDeclared {
                        name: name.to_string(),
                        expected: "function",
                    })
                }
            }
        };
        let mut prepared = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((ty, f)) = prepared.get(name) {
            if *ty == fn_type {
                return Ok(f.clone());
            }
        }
        let bound = self.bind(name, fn_type)?;
        let f = Arc::new(DynFunction::new(self.ffi.clone(), bound, fn_type, name)?);
        prepared.insert(name.to_string(), (fn_type, f.clone()));
        Ok(f)
    }

    /// The function `name` of the declared type `fn_type`, bound to this library.
    #[allow(unsafe_code)]
    fn bind(&self, name: &str, fn_type: TypeId) -> Result<Arc<BoundFn>> {
        let plan = self.ffi.plan(fn_type, &[])?;
        // SAFETY: this library was opened by `Ffi::dlopen*`, an unsafe fn
        // whose caller vouched that the Ffi's declarations describe it.
        Ok(Arc::new(unsafe {
            BoundFn::new(self.lib.clone(), name, plan)
        }?))
    }

    /// A prepared handle on the declared function `name`, for dynamic calls
    /// without the lookup by name that [`call`](Library::call) makes each
    /// time.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double pow(double, double);")?;
    /// // SAFETY: libm's pow is declared as libm defines it.
    /// let libm = unsafe { ffi.dlopen("m") }?;
    /// let pow = libm.prepare("pow")?;
    /// assert_eq!(pow.call(&[2.0.into(), 10.0.into()])?, rffi::Value::F64(1024.0));
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn prepare(&self, name: &str) -> Result<DynFunction> {
        self.prepared(name).map(|f| (*f).clone())
    }

    /// [`prepare`](Library::prepare), or `None` when the library does not
    /// export `name` (a function that only some versions of it have).
    pub fn prepare_optional(&self, name: &str) -> Result<Option<DynFunction>> {
        match self.prepare(name) {
            Err(e) if missing(&e) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Calls the declared function `name` with dynamic values.
    ///
    /// Arguments are checked against the declaration: their number, and each
    /// value against its parameter's type (see [`Value`]). Extra arguments of
    /// a variadic function are promoted as C promotes them (`float` to
    /// `double`, small integers to `int`); `errno` is saved after the call,
    /// see [`errno`](crate::errno). A function that takes pointers is refused
    /// with [`Error::PassesPointers`]: call it with
    /// [`call_unchecked`](Library::call_unchecked).
    ///
    /// ```
    /// use rffi::Value;
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double cos(double); long labs(long); double frexp(double, int *);")?;
    /// // SAFETY: libm's functions are declared as libm defines them.
    /// let libm = unsafe { ffi.dlopen("m") }?;
    /// assert_eq!(libm.call("cos", &[Value::F64(0.0)])?, Value::F64(1.0));
    /// assert_eq!(libm.call("labs", &[Value::I64(-3)])?, Value::I64(3));
    /// assert_eq!(libm.call("cos", &[]).unwrap_err().to_string(), "cos() takes 1 argument, 0 given");
    /// assert!(libm.call("labs", &[Value::F64(1.5)]).is_err());
    /// assert!(matches!(
    ///     libm.call("frexp", &[Value::F64(1.0), Value::Pointer(std::ptr::null_mut())]),
    ///     Err(rffi::Error::PassesPointers { .. })
    /// ));
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Value> {
        self.prepared(name)?.call(args)
    }

    /// [`call`](Library::call) for functions that take pointers: the
    /// arguments may lend C memory ([`Arg`] from `&CStr`, slices, `&mut`
    /// out-parameters, [`CData`], [`Callback`](crate::Callback)), borrowed
    /// until the call returns.
    ///
    /// # Safety
    /// C may use every pointer argument as the function's contract says:
    /// the memory behind it must be valid for what C reads and writes
    /// through it (a buffer as long as the size passed beside it, a string
    /// NUL-terminated), and for as long as C keeps the pointer (past the
    /// call only if the memory, or the [`Callback`](crate::Callback), lives
    /// that long). Raw [`Value::Pointer`]s must point where C may use them,
    /// and so must the pointers a callback returns to C.
    #[allow(unsafe_code)]
    pub unsafe fn call_unchecked(&self, name: &str, args: &[Arg<'_>]) -> Result<Value> {
        // SAFETY: passed on to this function's caller.
        unsafe { self.prepared(name)?.call_unchecked(args) }
    }

    /// A typed handle on the declared function `name`, called as a Rust
    /// function `fn(A) -> R` with no per-call checks or allocation.
    ///
    /// `A` is a tuple of C-scalar Rust types (`i8`..`u64`, `isize`, `usize`,
    /// `f32`, `f64`, `bool` for `_Bool`, raw pointers for any C pointer) and
    /// `R` one of them, `()` for `void`, or `Option<&'static CStr>` for a
    /// string result. They must pass exactly as the declared C types do (same
    /// width and signedness), or the lookup fails with an error showing both
    /// signatures. [`Function::call`] is safe for arguments without pointers;
    /// with pointers, use [`Function::call_unchecked`].
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double sqrt(double); int printf(const char *, ...);")?;
    /// // SAFETY: libm's sqrt is declared as libm defines it.
    /// let libm = unsafe { ffi.dlopen("m") }?;
    /// let sqrt = libm.function::<(f64,), f64>("sqrt")?;
    /// assert_eq!(sqrt.call((2.0,)), std::f64::consts::SQRT_2);
    /// let err = libm.function::<(f32,), f32>("sqrt").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "'sqrt': the Rust signature fn(f32) -> f32 does not match the C declaration double sqrt(double)"
    /// );
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn function<A: CArgs, R: CResult>(&self, name: &str) -> Result<Function<A, R>> {
        let bound = self.prepared(name)?.bound().clone();
        let types = self.ffi.types();
        match TypedFn::new(&types, &bound) {
            Ok(f) => Ok(Function::new(f)),
            Err(SafeError::Signature { rust, c }) => Err(Error::Signature {
                name: name.to_string(),
                rust,
                c: self.ffi.declaration_text(name).unwrap_or(c),
                reason: crate::function::why_no_signature(&types, bound.plan()),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// A handle on the declared variadic function `name` whose fixed
    /// parameters and result are typed, `fn(A, ...) -> R`, checked once as
    /// for [`function`](Library::function); see [`VariadicFunction`].
    pub fn variadic<A: CArgs, R: CResult>(&self, name: &str) -> Result<VariadicFunction<A, R>> {
        let bound = self.prepared(name)?.bound().clone();
        let types = self.ffi.types();
        let fn_type = match types.symbol(name) {
            Some(Symbol::Function(t)) => *t,
            _ => unreachable!("prepared above as a function"),
        };
        match TypedVariadic::new(&types, bound) {
            Ok(f) => Ok(VariadicFunction::new(self.ffi.clone(), f, fn_type, name)),
            Err(SafeError::Signature { rust, c }) => Err(Error::Signature {
                name: name.to_string(),
                rust,
                c: self.ffi.declaration_text(name).unwrap_or(c),
                reason: None,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// [`function`](Library::function), or `None` when the library does not
    /// export `name`, as dlopen2's optional symbols.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double cos(double); double cos_of_rffi(double);")?;
    /// // SAFETY: libm's cos is declared as libm defines it.
    /// let libm = unsafe { ffi.dlopen("m") }?;
    /// assert!(libm.function_optional::<(f64,), f64>("cos")?.is_some());
    /// assert!(libm.function_optional::<(f64,), f64>("cos_of_rffi")?.is_none());
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn function_optional<A: CArgs, R: CResult>(
        &self,
        name: &str,
    ) -> Result<Option<Function<A, R>>> {
        match self.function(name) {
            Err(e) if missing(&e) => Ok(None),
            other => other.map(Some),
        }
    }

    /// The declared global variable `name`, to read and write in place.
    /// Variables declared `const` are read-only, and so are variables whose
    /// type holds a pointer (writing one hands C a pointer: see
    /// [`global_unchecked`](Library::global_unchecked)).
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("extern char **environ;")?;
    /// // SAFETY: the process exports environ as declared.
    /// let process = unsafe { ffi.dlopen_process() }?;
    /// let environ = process.global("environ")?;
    /// assert!(environ.get()?.as_ptr().is_some());
    /// assert!(matches!(environ.set(std::ptr::null_mut()), Err(rffi::Error::ReadOnly { .. })));
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn global(&self, name: &str) -> Result<CData> {
        CData::global(self.ffi.clone(), self.lib.clone(), name, false)
    }

    /// [`global`](Library::global) with writes of pointers allowed.
    ///
    /// # Safety
    /// Every pointer written to the variable must be valid for what the
    /// library does with it, for as long as it may use it.
    #[allow(unsafe_code)]
    pub unsafe fn global_unchecked(&self, name: &str) -> Result<CData> {
        CData::global(self.ffi.clone(), self.lib.clone(), name, true)
    }

    /// [`global`](Library::global), or `None` when the library does not
    /// export `name`.
    pub fn global_optional(&self, name: &str) -> Result<Option<CData>> {
        match self.global(name) {
            Err(e) if missing(&e) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Closes the library. Handles taken from it ([`Function`],
    /// [`DynFunction`], [`CData`] of its globals) keep it mapped: it is
    /// unloaded (`dlclose`) when the last of them goes, so none can call
    /// into unloaded code. The error is `dlclose`'s, when this was the last.
    pub fn close(self) -> Result<()> {
        match Arc::try_unwrap(self.lib) {
            Ok(mut lib) => lib.close().map_err(Error::from),
            Err(_) => Ok(()),
        }
    }
}
