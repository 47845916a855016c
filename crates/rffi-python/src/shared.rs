//! The types every FFI shares: one ctype object per process for each type
//! that depends on no declaration, as cffi has.
//!
//! `rffi_types` gives such a type (`int`, `char *`, `int[5]`,
//! `void(*)(int)`) the same shared [`TypeId`] in every registry. This module
//! keeps their ctype objects in one registry of the process, the base (so
//! `FFI().typeof("int") is FFI().typeof("int")`), and their read facts in one
//! cache (as `registry.rs` keeps their shapes and sizes). Each FFI's registry
//! sends a shared id there; its own caches hold only its own ids, whose dense
//! indexes would clash with the shared ones.
//!
//! A ctype of a shared type names the base as its registry, and a cdata
//! keeps the registry of the FFI that made it; either way a shared id means
//! the same type to every registry, so the paths that would translate a
//! type of another FFI by name (`Registry::translate`) take it as it is.

use std::sync::{Arc, OnceLock};

use rffi_types::TypeId;

use crate::fastread::ReadCache;
use crate::registry::Registry;

static BASE: OnceLock<Arc<Registry>> = OnceLock::new();

/// The registry that keeps what is made once for every shared type.
pub fn base() -> &'static Arc<Registry> {
    BASE.get_or_init(Registry::new)
}

/// The base, when `id` is shared and `reg` is not the base: where `reg`
/// gets the ctype object of `id`.
#[inline]
pub fn elsewhere(reg: &Registry, id: TypeId) -> Option<&'static Arc<Registry>> {
    if !id.is_shared() {
        return None;
    }
    let base = base();
    (!std::ptr::eq(reg, &**base)).then_some(base)
}

/// Whether the id `id`, given by `from`, means the same type in `to`:
/// always for a shared type, else only in the registry that made it.
#[inline]
pub fn understood(from: &Registry, to: &Registry, id: TypeId) -> bool {
    id.is_shared() || std::ptr::eq(from, to)
}

/// The read facts of the shared types, which every registry reads.
static READS: ReadCache = ReadCache::new();

/// Where `reads`, a registry's read cache, keeps `id`: with the other
/// shared types for a shared id, else in `reads`.
#[inline]
pub fn home_reads(reads: &ReadCache, id: TypeId) -> &ReadCache {
    if id.is_shared() {
        &READS
    } else {
        reads
    }
}
