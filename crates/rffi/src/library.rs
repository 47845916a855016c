//! Opened libraries: calls by name, typed handles, globals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rffi_call::safe::{BoundFn, CArgs, CResult, SafeError, TypedFn};
use rffi_types::{Symbol, TypeId};

use crate::context::Ffi;
use crate::error::{Error, Result};
use crate::function::{call_dynamic, Function};
use crate::memory::CData;
use crate::value::Value;

/// A shared library opened by [`Ffi::dlopen`], whose symbols are used as the
/// `Ffi`'s declarations describe them.
///
/// The declarations are trusted: calling a function declared with the wrong
/// type, or passing a pointer that C then misuses, is undefined behaviour,
/// as with any FFI. Everything else (argument counts and types, memory
/// bounds, Rust signatures of typed handles) is checked.
pub struct Library {
    ffi: Ffi,
    lib: Arc<rffi_call::Library>,
    bound: Mutex<HashMap<String, (TypeId, Arc<BoundFn>)>>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("name", &self.lib.name())
            .finish()
    }
}

/// Where a short name such as `m` may be found as a versioned file.
const LIBRARY_DIRS: &[&str] = &[
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
    "/lib64",
    "/usr/lib64",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
];

/// `libNAME.so.N` files of the usual directories, highest version first.
fn versioned(short: &str) -> Vec<String> {
    let prefix = format!("lib{short}.so.");
    let mut found: Vec<String> = LIBRARY_DIRS
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.filter_map(|e| e.ok()))
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found
}

impl Library {
    pub(crate) fn open(ffi: Ffi, name: Option<&str>) -> Result<Library> {
        let lib = match name {
            None => rffi_call::Library::open(None, 0)?,
            Some(name) => match rffi_call::Library::open(Some(name), 0) {
                Ok(lib) => lib,
                Err(first) if !name.contains('/') && !name.contains(".so") => {
                    let candidates =
                        std::iter::once(format!("lib{name}.so")).chain(versioned(name));
                    candidates
                        .filter_map(|c| rffi_call::Library::open(Some(&c), 0).ok())
                        .next()
                        .ok_or(first)?
                }
                Err(e) => return Err(e.into()),
            },
        };
        Ok(Library {
            ffi,
            lib: Arc::new(lib),
            bound: Mutex::new(HashMap::new()),
        })
    }

    /// The name the library was opened with (`<None>` for the process).
    pub fn name(&self) -> &str {
        self.lib.name()
    }

    /// The declared function `name` bound to this library, made once.
    fn bound(&self, name: &str) -> Result<(TypeId, Arc<BoundFn>)> {
        let types = self.ffi.types();
        let Some(Symbol::Function(fn_type)) = types.symbol(name) else {
            return Err(Error::NotDeclared {
                name: name.to_string(),
                expected: "function",
            });
        };
        let fn_type = *fn_type;
        let mut bound = self.bound.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((ty, f)) = bound.get(name) {
            if *ty == fn_type {
                return Ok((fn_type, f.clone()));
            }
        }
        let plan = self.ffi.plan(&types, fn_type, &[])?;
        let f = Arc::new(BoundFn::new(self.lib.clone(), name, plan)?);
        bound.insert(name.to_string(), (fn_type, f.clone()));
        Ok((fn_type, f))
    }

    /// Calls the declared function `name` with dynamic values.
    ///
    /// Arguments are checked against the declaration: their number, and each
    /// value against its parameter's type (see [`Value`]). Extra arguments of
    /// a variadic function are promoted as C promotes them (`float` and
    /// `double` to `double`, small integers to `int`); `errno` is saved after
    /// the call, see [`errno`](crate::errno).
    ///
    /// ```
    /// use rffi::Value;
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double cos(double); long labs(long);")?;
    /// let libm = ffi.dlopen(Some("m"))?;
    /// assert_eq!(libm.call("cos", &[Value::F64(0.0)])?, Value::F64(1.0));
    /// assert_eq!(libm.call("labs", &[Value::I64(-3)])?, Value::I64(3));
    /// assert!(libm.call("cos", &[]).is_err());
    /// assert!(libm.call("labs", &[Value::F64(1.5)]).is_err());
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Value> {
        let (fn_type, bound) = self.bound(name)?;
        call_dynamic(&self.ffi, &bound, fn_type, name, args)
    }

    /// A typed handle on the declared function `name`, called as a Rust
    /// function `fn(A) -> R` with no per-call checks or allocation.
    ///
    /// `A` is a tuple of C-scalar Rust types (`i8`..`u64`, `isize`, `usize`,
    /// `f32`, `f64`, `bool` for `_Bool`, raw pointers for any C pointer) and
    /// `R` one of them or `()` for `void`. They must pass exactly as the
    /// declared C types do (same width and signedness), or the lookup fails
    /// with an error showing both signatures.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double sqrt(double);")?;
    /// let libm = ffi.dlopen(Some("libm.so.6"))?;
    /// let sqrt = libm.function::<(f64,), f64>("sqrt")?;
    /// assert_eq!(sqrt.call((2.0,)), std::f64::consts::SQRT_2);
    /// let err = libm.function::<(f32,), f32>("sqrt").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "'sqrt': the Rust signature fn(f32) -> f32 does not match the C declaration double(double)"
    /// );
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn function<A: CArgs, R: CResult>(&self, name: &str) -> Result<Function<A, R>> {
        let (_, bound) = self.bound(name)?;
        let types = self.ffi.types();
        match TypedFn::new(&types, &bound) {
            Ok(f) => Ok(Function::new(f)),
            Err(SafeError::Signature { rust, c }) => Err(Error::Signature {
                name: name.to_string(),
                rust,
                c,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The declared global variable `name`, to read and write in place.
    /// Variables declared `const` are read-only.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("extern char **environ;")?;
    /// let process = ffi.dlopen(None)?;
    /// let environ = process.global("environ")?;
    /// assert!(environ.get()?.as_ptr().is_some());
    /// # Ok::<(), rffi::Error>(())
    /// ```
    pub fn global(&self, name: &str) -> Result<CData> {
        CData::global(self.ffi.clone(), self.lib.clone(), name)
    }
}
