//! The declarations of one FFI behind a lock, with the call plans made from
//! them: what the Rust facade's `Ffi` and the Python `FFI` both keep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rffi_types::{TypeId, Types};

use crate::{CallError, CallPlan};

/// The plans of one context: one per function type, and one per function
/// type and list of promoted extra argument types for variadic calls.
#[derive(Default)]
struct Plans {
    fixed: HashMap<TypeId, Arc<CallPlan>>,
    /// Keyed by function type, then by the extra types, so that a lookup
    /// borrows the caller's slice instead of building a key.
    variadic: HashMap<TypeId, HashMap<Box<[TypeId]>, Arc<CallPlan>>>,
}

/// A [`Types`] behind a read-write lock, and the [`CallPlan`]s built from it,
/// each made once.
///
/// The two locks are never held together, so neither waits on the other; a
/// plan already made is found without touching the types. Do not ask for a
/// plan while holding a guard of [`read`] or [`write`]: building one locks
/// the types.
///
/// ```
/// use rffi_call::TypeContext;
/// use rffi_types::{CdefOptions, Symbol};
///
/// let ctx = TypeContext::new();
/// ctx.write().cdef("int printf(const char *, ...);", &CdefOptions::default()).unwrap();
/// let Some(Symbol::Function(f)) = ctx.read().symbol("printf").cloned() else { panic!() };
/// let fixed = ctx.plan(f).unwrap();
/// assert!(fixed.is_variadic());
/// let double = ctx.write().parse_type("double").unwrap();
/// let one = ctx.variadic_plan(f, &[double]).unwrap();
/// assert_eq!(one.args().len(), 2);
/// assert!(std::sync::Arc::ptr_eq(&one, &ctx.variadic_plan(f, &[double]).unwrap()));
/// ```
///
/// [`read`]: TypeContext::read
/// [`write`]: TypeContext::write
#[derive(Default)]
pub struct TypeContext {
    types: RwLock<Types>,
    plans: Mutex<Plans>,
}

impl std::fmt::Debug for TypeContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeContext").finish_non_exhaustive()
    }
}

impl TypeContext {
    /// A context with no declarations.
    pub fn new() -> TypeContext {
        TypeContext::default()
    }

    /// The declarations, shared with other readers. A panic of an earlier
    /// holder does not poison them: `Types` stays consistent between calls.
    #[inline]
    pub fn read(&self) -> RwLockReadGuard<'_, Types> {
        self.types.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The declarations, for `cdef` and for parsing type strings (which
    /// interns the types they name).
    #[inline]
    pub fn write(&self) -> RwLockWriteGuard<'_, Types> {
        self.types.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the declarations, locked for writing while it runs.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut Types) -> R) -> R {
        f(&mut self.write())
    }

    fn plans(&self) -> MutexGuard<'_, Plans> {
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The plan of a function type (or a pointer to one) for its declared
    /// parameters, built on first use.
    pub fn plan(&self, fn_type: TypeId) -> Result<Arc<CallPlan>, CallError> {
        if let Some(plan) = self.plans().fixed.get(&fn_type) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(CallPlan::new(&self.read(), fn_type)?);
        Ok(self.plans().fixed.entry(fn_type).or_insert(plan).clone())
    }

    /// The plan of one call of a variadic function type with these extra
    /// argument types (already promoted: `double`, not `float`), built on
    /// first use. With no extra arguments it is [`plan`](TypeContext::plan).
    pub fn variadic_plan(
        &self,
        fn_type: TypeId,
        extra: &[TypeId],
    ) -> Result<Arc<CallPlan>, CallError> {
        if extra.is_empty() {
            return self.plan(fn_type);
        }
        let cached = |plans: &Plans| plans.variadic.get(&fn_type)?.get(extra).cloned();
        if let Some(plan) = cached(&self.plans()) {
            return Ok(plan);
        }
        let plan = Arc::new(CallPlan::variadic(&self.read(), fn_type, extra)?);
        let mut plans = self.plans();
        let by_extra = plans.variadic.entry(fn_type).or_default();
        Ok(by_extra.entry(extra.into()).or_insert(plan).clone())
    }

    /// Forgets every plan, after `cdef(override=True)` may have changed
    /// types that plans were built from.
    pub fn forget_plans(&self) {
        let mut plans = self.plans();
        plans.fixed.clear();
        plans.variadic.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rffi_types::{CdefOptions, Symbol};

    fn declared(ctx: &TypeContext, source: &str, name: &str) -> TypeId {
        ctx.write().cdef(source, &CdefOptions::default()).unwrap();
        match ctx.read().symbol(name) {
            Some(Symbol::Function(f)) => *f,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn a_fixed_plan_is_built_once() {
        let ctx = TypeContext::new();
        let f = declared(&ctx, "double f(int, double);", "f");
        let plan = ctx.plan(f).unwrap();
        assert_eq!(plan.args().len(), 2);
        assert!(!plan.is_variadic());
        assert!(Arc::ptr_eq(&plan, &ctx.plan(f).unwrap()));
    }

    #[test]
    fn a_function_pointer_type_has_the_plan_of_its_function() {
        let ctx = TypeContext::new();
        let ptr = ctx.write().parse_type("int(*)(char, long)").unwrap();
        let plan = ctx.plan(ptr).unwrap();
        assert_eq!(plan.fixed_args(), 2);
    }

    #[test]
    fn variadic_plans_are_kept_per_list_of_extra_types() {
        let ctx = TypeContext::new();
        let f = declared(&ctx, "int f(int, ...);", "f");
        let (int, double) = {
            let mut t = ctx.write();
            (
                t.parse_type("int").unwrap(),
                t.parse_type("double").unwrap(),
            )
        };
        let a = ctx.variadic_plan(f, &[int, double]).unwrap();
        let b = ctx.variadic_plan(f, &[double, int]).unwrap();
        assert_eq!(a.args().len(), 3);
        assert_eq!(a.fixed_args(), 1);
        assert_eq!(a.args()[1].ty, int);
        assert_eq!(b.args()[1].ty, double);
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(
            &a,
            &ctx.variadic_plan(f, &[int, double]).unwrap()
        ));
        // No extra argument: the fixed plan itself.
        assert!(Arc::ptr_eq(
            &ctx.variadic_plan(f, &[]).unwrap(),
            &ctx.plan(f).unwrap()
        ));
    }

    #[test]
    fn an_error_is_not_cached() {
        let ctx = TypeContext::new();
        let int = ctx.write().parse_type("int").unwrap();
        assert!(ctx.plan(int).is_err());
        assert!(ctx.plan(int).is_err());
        let f = declared(&ctx, "int f(int, ...);", "f");
        let void = ctx.write().parse_type("void").unwrap();
        assert!(ctx.variadic_plan(f, &[void]).is_err());
    }

    #[test]
    fn forgetting_plans_builds_them_anew() {
        let ctx = TypeContext::new();
        let f = declared(&ctx, "int f(int, ...);", "f");
        let int = ctx.write().parse_type("int").unwrap();
        let fixed = ctx.plan(f).unwrap();
        let extra = ctx.variadic_plan(f, &[int]).unwrap();
        ctx.forget_plans();
        assert!(!Arc::ptr_eq(&fixed, &ctx.plan(f).unwrap()));
        assert!(!Arc::ptr_eq(&extra, &ctx.variadic_plan(f, &[int]).unwrap()));
    }

    #[test]
    fn a_panic_while_locked_does_not_poison_the_declarations() {
        let ctx = TypeContext::new();
        let f = declared(&ctx, "int f(int);", "f");
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ctx.with(|_| panic!("inside"));
        }));
        assert!(caught.is_err());
        assert!(ctx.plan(f).is_ok());
        assert!(ctx.with(|t| t.parse_type("long").is_ok()));
    }

    #[test]
    fn threads_share_one_plan() {
        let ctx = Arc::new(TypeContext::new());
        let f = declared(&ctx, "int f(int, ...);", "f");
        let int = ctx.write().parse_type("int").unwrap();
        let plans: Vec<Arc<CallPlan>> = (0..4)
            .map(|_| {
                let ctx = ctx.clone();
                std::thread::spawn(move || ctx.variadic_plan(f, &[int]).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert!(plans.iter().all(|p| Arc::ptr_eq(p, &plans[0])));
    }
}
