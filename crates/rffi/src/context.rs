//! The FFI context: declarations, types and the call plans made from them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLockReadGuard, RwLockWriteGuard};

use rffi_call::{CallPlan, TypeContext};
use std::ffi::OsStr;

use rffi_types::{CdefOptions, Symbol, TypeId, Types};

use crate::error::{Error, Result};
use crate::library::{Library, OpenFlags};
use crate::memory::CData;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A C type of one [`Ffi`], as returned by [`Ffi::type_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CType {
    pub(crate) ffi: u64,
    pub(crate) id: TypeId,
}

/// Something that names a C type of an [`Ffi`]: a type string such as
/// `"struct point *"`, or a [`CType`] of that `Ffi`.
pub trait TypeName {
    /// The type in `ffi`.
    fn resolve(&self, ffi: &Ffi) -> Result<TypeId>;
}

impl TypeName for &str {
    fn resolve(&self, ffi: &Ffi) -> Result<TypeId> {
        Ok(ffi.types_mut().parse_type(self)?)
    }
}

impl TypeName for CType {
    fn resolve(&self, ffi: &Ffi) -> Result<TypeId> {
        ffi.own(*self)
    }
}

struct Shared {
    id: u64,
    /// The declarations and the call plans made from them.
    types: TypeContext,
    /// The text given to `cdef`, for quoting declarations in errors.
    sources: Mutex<Vec<Arc<str>>>,
}

/// An FFI context: the C declarations given to [`cdef`](Ffi::cdef), and
/// the libraries, memory and callbacks that use them.
///
/// Cloning is cheap and shares the declarations; libraries opened from an
/// `Ffi` see declarations added after they were opened. An `Ffi` is `Send`
/// and `Sync`: its declarations sit behind a lock.
#[derive(Clone)]
pub struct Ffi {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Ffi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ffi").field("id", &self.shared.id).finish()
    }
}

impl Default for Ffi {
    fn default() -> Self {
        Ffi::new()
    }
}

impl Ffi {
    /// An empty context.
    pub fn new() -> Ffi {
        Ffi {
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                types: TypeContext::new(),
                sources: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Declares the functions, variables, types and constants of `source`,
    /// in the dialect of cffi's `cdef`. Errors give the line and column.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// let err = ffi.cdef("int f(int);\nint g(nosuchtype);").unwrap_err();
    /// assert!(err.to_string().contains("line 2"), "{err}");
    /// ```
    pub fn cdef(&self, source: &str) -> Result<()> {
        self.cdef_with(source, &CdefOptions::default())
    }

    /// [`cdef`](Ffi::cdef) with cffi's options: `packed`, `pack`, `override`.
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// let err = ffi.cdef("int g(foo_t x);").unwrap_err();
    /// assert!(err.to_string().ends_with("(unknown type name 'foo_t')"), "{err}");
    /// ```
    pub fn cdef_with(&self, source: &str, options: &CdefOptions) -> Result<()> {
        let mut types = self.types_mut();
        match types.cdef(source, options) {
            Ok(()) => {
                drop(types);
                let mut sources = self
                    .shared
                    .sources
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                sources.push(source.into());
                Ok(())
            }
            Err(mut e) => {
                if e.kind == rffi_types::ErrorKind::Parse {
                    let is_type = |w: &str| types.parse_type(w).is_ok();
                    if let Some(hint) = crate::hint::unknown_type(source, &e.message, is_type) {
                        e.message = format!("{} ({hint})", e.message);
                    }
                }
                Err(e.into())
            }
        }
    }

    /// The declaration of function `name` as the user wrote it, latest first.
    pub(crate) fn declaration_text(&self, name: &str) -> Option<String> {
        let sources = self
            .shared
            .sources
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sources
            .iter()
            .rev()
            .find_map(|s| crate::hint::declaration_text(s, name))
    }

    /// Opens a shared library whose symbols this `Ffi` declares: a path
    /// (`"./libfoo.so"`, a [`Path`](std::path::Path)), a file name found by
    /// the dynamic loader (`"libm.so.6"`), or a short name (`"m"`, tried as
    /// the platform names it: `libm.so` and then the versioned files of the
    /// usual directories on Linux, `libm.dylib` on macOS, `m.dll` and
    /// `libm.dll` on Windows).
    ///
    /// ```
    /// let ffi = rffi::Ffi::new();
    /// ffi.cdef("double cos(double);")?;
    /// // SAFETY: libm's initialisers are sound to run, and cos is declared
    /// // with its real type.
    /// let libm = unsafe { ffi.dlopen("m") }?;
    /// assert_eq!(libm.function::<(f64,), f64>("cos")?.call((0.0,)), 1.0);
    /// assert!(matches!(unsafe { ffi.dlopen("no_such_rffi_lib") }, Err(rffi::Error::Open { .. })));
    /// # Ok::<(), rffi::Error>(())
    /// ```
    ///
    /// # Safety
    /// This is where the program vouches for C code (see the
    /// [crate's safety model](crate#safety-model)):
    /// - loading the library runs its initialisers (and unloading its
    ///   finalisers), which must be sound to run;
    /// - every declaration of this `Ffi` that names one of the library's
    ///   symbols, now or after this call, must describe it: a function's
    ///   type, a variable's type (so its size) and constness;
    /// - every declared function must be sound to call with any values of
    ///   its parameter types that hold no pointer (calls with pointers are
    ///   vouched for one by one, with `call_unchecked`).
    #[allow(unsafe_code)]
    pub unsafe fn dlopen(&self, name: impl AsRef<OsStr>) -> Result<Library> {
        // SAFETY: passed on to this function's caller.
        unsafe { Library::open(self.clone(), Some(name.as_ref()), OpenFlags::default()) }
    }

    /// [`dlopen`](Ffi::dlopen) of the running process itself: the program
    /// and every library already loaded, such as the C library.
    ///
    /// # Safety
    /// As for [`dlopen`](Ffi::dlopen), for every symbol the process exports.
    #[allow(unsafe_code)]
    pub unsafe fn dlopen_process(&self) -> Result<Library> {
        // SAFETY: passed on to this function's caller.
        unsafe { Library::open(self.clone(), None, OpenFlags::default()) }
    }

    /// [`dlopen`](Ffi::dlopen) with flags (`RTLD_*` on Unix), `None` for the
    /// process.
    ///
    /// ```
    /// use rffi::OpenFlags;
    /// let ffi = rffi::Ffi::new();
    /// // SAFETY: nothing is declared; libm's initialisers are sound to run.
    /// let libm = unsafe { ffi.dlopen_with(Some("m".as_ref()), OpenFlags::LAZY | OpenFlags::LOCAL) }?;
    /// assert!(libm.name().contains('m'));
    /// # Ok::<(), rffi::Error>(())
    /// ```
    ///
    /// # Safety
    /// As for [`dlopen`](Ffi::dlopen).
    #[allow(unsafe_code)]
    pub unsafe fn dlopen_with(&self, name: Option<&OsStr>, flags: OpenFlags) -> Result<Library> {
        // SAFETY: passed on to this function's caller.
        unsafe { Library::open(self.clone(), name, flags) }
    }

    /// The type a type string names, for repeated use.
    pub fn type_of(&self, ty: &str) -> Result<CType> {
        let id = ty.resolve(self)?;
        Ok(self.ctype(id))
    }

    /// The C spelling of a type, as cffi writes it.
    pub fn cname(&self, ty: impl TypeName) -> Result<String> {
        let id = ty.resolve(self)?;
        Ok(self.types().cname(id))
    }

    /// `sizeof`.
    pub fn size_of(&self, ty: impl TypeName) -> Result<usize> {
        let id = ty.resolve(self)?;
        Ok(self.types().size_of(id)?)
    }

    /// `offsetof`, following a path of field names such as `"min.x"`.
    pub fn offset_of(&self, ty: impl TypeName, field: &str) -> Result<usize> {
        let id = ty.resolve(self)?;
        Ok(self.types().offset_of(id, field)?)
    }

    /// The value of an enumerator or integer `#define`.
    pub fn constant(&self, name: &str) -> Result<i128> {
        match self.types().symbol(name) {
            Some(Symbol::Constant(v)) => Ok(*v),
            _ => Err(Error::NotDeclared {
                name: name.to_string(),
                expected: "constant",
            }),
        }
    }

    /// Zeroed C memory for one value of `ty`, freed when the last
    /// [`CData`] of it is dropped.
    ///
    /// (This is cffi's `ffi.new`, renamed because `Ffi::new` makes the
    /// context. Unlike cffi, `"int *"` allocates a pointer, not an `int`.)
    pub fn alloc(&self, ty: impl TypeName) -> Result<CData> {
        let id = ty.resolve(self)?;
        CData::alloc(self.clone(), id)
    }

    /// Zeroed C memory for an array of `len` items of `item`.
    pub fn alloc_array(&self, item: impl TypeName, len: usize) -> Result<CData> {
        let item = item.resolve(self)?;
        let id = self.types_mut().array_of(item, Some(len));
        CData::alloc(self.clone(), id)
    }

    /// A NUL-terminated `char` array holding `text`, to pass as `const char *`.
    pub fn alloc_string(&self, text: &str) -> Result<CData> {
        let data = self.alloc_array("char", text.len() + 1)?;
        data.write_bytes(&[text.as_bytes(), &[0]].concat())?;
        Ok(data)
    }

    pub(crate) fn id(&self) -> u64 {
        self.shared.id
    }

    pub(crate) fn ctype(&self, id: TypeId) -> CType {
        CType {
            ffi: self.shared.id,
            id,
        }
    }

    /// The id of a type of this context.
    pub(crate) fn own(&self, ty: CType) -> Result<TypeId> {
        if ty.ffi == self.shared.id {
            Ok(ty.id)
        } else {
            Err(Error::ForeignType {
                what: "a type".into(),
            })
        }
    }

    pub(crate) fn types(&self) -> RwLockReadGuard<'_, Types> {
        self.shared.types.read()
    }

    pub(crate) fn types_mut(&self) -> RwLockWriteGuard<'_, Types> {
        self.shared.types.write()
    }

    /// The plan for a function type with these variadic extras, made once.
    /// The caller must not hold a guard of [`types`](Ffi::types) or
    /// [`types_mut`](Ffi::types_mut): building a plan locks the types.
    pub(crate) fn plan(&self, fn_type: TypeId, extra: &[TypeId]) -> Result<Arc<CallPlan>> {
        Ok(self.shared.types.variadic_plan(fn_type, extra)?)
    }
}
