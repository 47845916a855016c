//! The FFI context: declarations, types and the call plans made from them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rffi_call::CallPlan;
use rffi_types::{CdefOptions, Prim, Symbol, TypeId, Types};

use crate::error::{Error, Result};
use crate::library::Library;
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

/// The types the variadic part of a call is promoted to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Promoted {
    pub int: TypeId,
    pub uint: TypeId,
    pub long: TypeId,
    pub ulong: TypeId,
    pub double: TypeId,
    pub long_double: TypeId,
    pub float_complex: TypeId,
    pub double_complex: TypeId,
    pub pointer: TypeId,
}

type PlanKey = (TypeId, Vec<TypeId>);

struct Shared {
    id: u64,
    types: RwLock<Types>,
    plans: Mutex<HashMap<PlanKey, Arc<CallPlan>>>,
    promoted: Promoted,
}

/// An FFI context: the C declarations given to [`cdef`](Ffi::cdef), and
/// the libraries, memory and callbacks that use them.
///
/// Cloning is cheap and shares the declarations; libraries opened from an
/// `Ffi` see declarations added after they were opened.
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

fn prim(types: &mut Types, name: &str) -> TypeId {
    let p = Prim::from_name(name).unwrap_or(Prim::INT);
    types.prim(p)
}

impl Ffi {
    /// An empty context.
    pub fn new() -> Ffi {
        let mut types = Types::new();
        let void = types.void();
        let promoted = Promoted {
            int: prim(&mut types, "int"),
            uint: prim(&mut types, "unsigned int"),
            long: prim(&mut types, "long"),
            ulong: prim(&mut types, "unsigned long"),
            double: prim(&mut types, "double"),
            long_double: prim(&mut types, "long double"),
            float_complex: prim(&mut types, "float _Complex"),
            double_complex: prim(&mut types, "double _Complex"),
            pointer: types.pointer_to(void),
        };
        Ffi {
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                types: RwLock::new(types),
                plans: Mutex::new(HashMap::new()),
                promoted,
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
    pub fn cdef_with(&self, source: &str, options: &CdefOptions) -> Result<()> {
        Ok(self.types_mut().cdef(source, options)?)
    }

    /// Opens a shared library: a path (`"./libfoo.so"`), a file name found
    /// by the dynamic loader (`"libm.so.6"`), a short name (`"m"`, tried as
    /// `libm.so` and then as the versioned files of the usual library
    /// directories), or `None` for the running process itself.
    pub fn dlopen(&self, name: Option<&str>) -> Result<Library> {
        Library::open(self.clone(), name)
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
            Err(Error::ForeignType)
        }
    }

    pub(crate) fn promoted(&self) -> Promoted {
        self.shared.promoted
    }

    pub(crate) fn types(&self) -> RwLockReadGuard<'_, Types> {
        self.shared
            .types
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn types_mut(&self) -> RwLockWriteGuard<'_, Types> {
        self.shared
            .types
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The plan for a function type with these variadic extras, made once.
    pub(crate) fn plan(
        &self,
        types: &Types,
        fn_type: TypeId,
        extra: &[TypeId],
    ) -> Result<Arc<CallPlan>> {
        let mut plans = self
            .shared
            .plans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (fn_type, extra.to_vec());
        if let Some(plan) = plans.get(&key) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(if extra.is_empty() {
            CallPlan::new(types, fn_type)?
        } else {
            CallPlan::variadic(types, fn_type, extra)?
        });
        plans.insert(key, plan.clone());
        Ok(plan)
    }
}
