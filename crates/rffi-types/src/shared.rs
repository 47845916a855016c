//! Types that depend on no declaration, shared by every registry of the
//! process.
//!
//! `int`, `char *`, `double[4]` and `int(*)(int, ...)` mean the same in every
//! FFI, and cffi gives them one ctype object per process
//! (`FFI().typeof("int") is FFI().typeof("int")`). rffi gives them one
//! [`TypeId`] per process: [`Types::intern`](crate::Types::intern) keeps
//! such a type here instead of in its own registry, so the id is understood
//! by every registry, and a value of one FFI can be used by another without
//! looking its type up by name. A type that reaches a struct, union or enum
//! (even through a pointer) belongs to the registry that declared it, as in
//! cffi, where `struct foo` of two FFIs are two types.
//!
//! The ids of shared types carry a tag bit ([`TypeId::is_shared`]); their
//! [`TypeId::index`] counts the shared types from 0, as a registry's own
//! ids count its own. Shared types live as long as the process.
//!
//! ```
//! use rffi_types::{CdefOptions, Types};
//!
//! let mut a = Types::new();
//! let mut b = Types::new();
//! a.cdef("typedef int my_t; struct foo { int x; };", &CdefOptions::default())?;
//! b.cdef("struct foo { int x; };", &CdefOptions::default())?;
//! let p = a.parse_type("my_t *[3]")?;
//! assert!(p.is_shared());
//! assert_eq!(p, b.parse_type("int *[3]")?);
//! assert_eq!(b.cname(p), "int *[3]");
//! let foo = a.parse_type("struct foo *")?;
//! assert!(!foo.is_shared());
//! # Ok::<(), rffi_types::TypeError>(())
//! ```

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use crate::model::{Type, TypeId, SHARED};

/// The shared types with their depths, in order of their index; only ever appended to.
static ARENA: boxcar::Vec<(Type, usize)> = boxcar::Vec::new();

/// The id of each shared type; held while a type is appended, so that
/// indexes follow the order of the arena.
static INTERNED: LazyLock<Mutex<HashMap<Type, TypeId>>> = LazyLock::new(Default::default);

/// Whether `ty` depends on no declaration: `void`, a primitive, or a pointer,
/// array or function made only of such types.
pub(crate) fn is_builtin(ty: &Type) -> bool {
    match ty {
        Type::Void | Type::Prim(_) => true,
        Type::Pointer(inner) | Type::Array(inner, _) => inner.is_shared(),
        Type::Function(f) => f.ret.is_shared() && f.params.iter().all(|p| p.is_shared()),
        Type::Record(_) | Type::Enum(_) => false,
    }
}

/// The shared id of a type [`is_builtin`] accepts, `depth` levels deep;
/// `None` once the shared ids are used up (the caller keeps it as its own).
pub(crate) fn intern(ty: &Type, depth: usize) -> Option<TypeId> {
    let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&id) = interned.get(ty) {
        return Some(id);
    }
    if ARENA.count() >= SHARED as usize {
        return None;
    }
    let index = ARENA.push((ty.clone(), depth));
    let id = TypeId(SHARED | index as u32);
    interned.insert(ty.clone(), id);
    Some(id)
}

/// The shared type `id` (one [`intern`] gave).
pub(crate) fn get(id: TypeId) -> &'static Type {
    &ARENA[id.index()].0
}

pub(crate) fn depth(id: TypeId) -> usize {
    ARENA[id.index()].1
}

#[cfg(test)]
mod tests {
    use crate::{Prim, Type, Types};

    #[test]
    fn builtin_types_have_one_id_in_every_registry() {
        let mut a = Types::new();
        let mut b = Types::new();
        let int_a = a.prim(Prim::INT);
        let ptr_b = b.parse_type("int *").unwrap();
        assert_eq!(b.get(ptr_b), &Type::Pointer(int_a));
        assert_eq!(a.parse_type("int*").unwrap(), ptr_b);
        assert_eq!(a.depth(ptr_b), 1);
        let f = a.parse_type("void(*)(int, char *, ...)").unwrap();
        assert!(f.is_shared());
        assert_eq!(f, b.parse_type("void (*)(int, char*, ...)").unwrap());
    }

    #[test]
    fn declared_types_stay_in_their_registry() {
        let mut a = Types::new();
        let mut b = Types::new();
        let options = Default::default();
        a.cdef("struct s { int x; }; enum e { E0 };", &options)
            .unwrap();
        b.cdef("struct s { int x; };", &options).unwrap();
        for name in ["struct s", "struct s *", "enum e[2]", "int(*)(struct s *)"] {
            assert!(!a.parse_type(name).unwrap().is_shared(), "{name}");
        }
        // Both registries number their own types from 0.
        assert_eq!(a.parse_type("struct s").unwrap().index(), 0);
        assert_eq!(b.parse_type("struct s").unwrap().index(), 0);
        // The pointer inside a declared type is still shared.
        let f = a.parse_type("int(*)(struct s *, int *)").unwrap();
        let param = a.function(f).unwrap().params[1];
        assert_eq!(param, b.parse_type("int *").unwrap());
    }
}
