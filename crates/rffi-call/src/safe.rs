//! Safe entry points over the raw machinery, for crates that may not use
//! `unsafe` (the `rffi` facade).
//!
//! # Where trust is placed
//!
//! Calling C cannot be proven safe by Rust: what a C function does is only
//! known from its declaration. This module makes that one trust decision
//! explicit and checks everything else:
//!
//! - [`BoundFn::new`] and [`Region::symbol`] take the caller's word that the
//!   C declaration (the [`CallPlan`] or the declared size) matches the symbol.
//!   A wrong declaration is undefined behaviour, as with any FFI.
//! - Pointers passed to C are plain numbers to Rust; C dereferencing them is
//!   C's behaviour, which the declaration describes. Keeping the memory they
//!   point to alive for as long as C uses it is the caller's part.
//! - Everything after that is checked here: frames are big enough for their
//!   plan, memory accesses stay inside their [`Region`], and typed handles
//!   ([`TypedFn`], [`typed_callback`]) only exist for Rust signatures whose
//!   types travel exactly as the declared C types do.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

use rffi_types::{BitField, PrimClass, Type, TypeId, Types};

use crate::error::CallError;
use crate::memory::{self, Value};
use crate::plan::{CallPlan, Frame};
use crate::{Callback, Library, Scalar};

/// What the checked operations refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SafeError {
    /// An access past the end of a region or frame.
    #[error("access of {len} bytes at offset {offset} is outside a block of {size} bytes")]
    OutOfBounds {
        offset: usize,
        len: usize,
        size: usize,
    },
    /// A write to memory declared `const`.
    #[error("the memory is read-only (declared const)")]
    ReadOnly,
    /// A Rust signature that does not travel as the C function type does.
    #[error("the Rust signature {rust} does not match the C type {c}")]
    Signature { rust: String, c: String },
    /// A frame, plan or layout that does not fit the call.
    #[error("{0}")]
    Mismatch(String),
    /// A library or plan error.
    #[error(transparent)]
    Call(#[from] CallError),
}

fn bounds(offset: usize, len: usize, size: usize) -> Result<(), SafeError> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(SafeError::OutOfBounds { offset, len, size }),
    }
}

fn bit_span(bf: BitField) -> usize {
    (bf.shift + bf.width).div_ceil(8) as usize
}

enum Owner {
    Heap(Layout),
    Library(#[allow(dead_code)] Arc<Library>),
}

/// A block of C memory with bounds-checked access: an owned allocation
/// (freed on drop) or a library's global variable (kept open while this lives).
///
/// Reads and writes copy through raw pointers; no Rust reference into the
/// block is ever handed out, because C may write to it through a pointer at
/// any time. A region is `Send` but not `Sync`: writes go through `&self`.
pub struct Region {
    ptr: NonNull<u8>,
    size: usize,
    writable: bool,
    owner: Owner,
}

// SAFETY: a region owns its allocation (or keeps its library loaded); moving
// it to another thread moves that ownership with it. It is not Sync, so no
// two threads access it through `&self` at once.
unsafe impl Send for Region {}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region")
            .field("addr", &self.ptr)
            .field("size", &self.size)
            .field("writable", &self.writable)
            .finish()
    }
}

impl Region {
    /// `size` zeroed bytes aligned to `align` (a power of two).
    pub fn alloc(size: usize, align: usize) -> Result<Region, SafeError> {
        let layout = Layout::from_size_align(size.max(1), align.max(1))
            .map_err(|e| SafeError::Mismatch(format!("cannot allocate {size} bytes: {e}")))?;
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        Ok(Region {
            ptr,
            size,
            writable: true,
            owner: Owner::Heap(layout),
        })
    }

    /// The global variable `name` of `library`, taken to be `size` bytes long.
    ///
    /// This is a trust point: `size` comes from the C declaration, and a
    /// declaration larger than the real object is undefined behaviour.
    /// `writable` is false for objects declared `const`, which usually live
    /// in read-only pages.
    pub fn symbol(
        library: Arc<Library>,
        name: &str,
        size: usize,
        writable: bool,
    ) -> Result<Region, SafeError> {
        let addr = library.symbol(name)?;
        let ptr = NonNull::new(addr.cast::<u8>())
            .ok_or_else(|| SafeError::Mismatch(format!("symbol '{name}' has a null address")))?;
        Ok(Region {
            ptr,
            size,
            writable,
            owner: Owner::Library(library),
        })
    }

    /// The size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether writes are allowed.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// The address of the first byte, to pass to C.
    pub fn addr(&self) -> *mut c_void {
        self.ptr.as_ptr().cast()
    }

    fn at(&self, offset: usize, len: usize) -> Result<*mut u8, SafeError> {
        bounds(offset, len, self.size)?;
        // SAFETY: offset + len <= size, so the result stays inside the block.
        Ok(unsafe { self.ptr.as_ptr().add(offset) })
    }

    fn at_mut(&self, offset: usize, len: usize) -> Result<*mut u8, SafeError> {
        if !self.writable {
            return Err(SafeError::ReadOnly);
        }
        self.at(offset, len)
    }

    /// Reads a scalar at `offset`.
    pub fn read(&self, offset: usize, s: Scalar) -> Result<Value, SafeError> {
        let p = self.at(offset, memory::scalar_size(s))?;
        // SAFETY: the scalar's bytes lie inside the live block.
        Ok(unsafe { memory::read(p, s) })
    }

    /// Writes a scalar at `offset`, converting as a C assignment does.
    pub fn write(&self, offset: usize, s: Scalar, v: Value) -> Result<(), SafeError> {
        let p = self.at_mut(offset, memory::scalar_size(s))?;
        // SAFETY: the scalar's bytes lie inside the live, writable block.
        unsafe { memory::write(p, s, v) };
        Ok(())
    }

    /// Reads a bitfield whose first byte is at `offset`.
    pub fn read_bits(&self, offset: usize, bf: BitField, signed: bool) -> Result<i128, SafeError> {
        self.at(offset, bit_span(bf))?;
        // SAFETY: the bytes holding the bitfield lie inside the block.
        Ok(unsafe { memory::read_bits(self.ptr.as_ptr(), offset, bf, signed) })
    }

    /// Writes a bitfield whose first byte is at `offset`, keeping its neighbours.
    pub fn write_bits(&self, offset: usize, bf: BitField, v: i128) -> Result<(), SafeError> {
        self.at_mut(offset, bit_span(bf))?;
        // SAFETY: the bytes holding the bitfield lie inside the writable block.
        unsafe { memory::write_bits(self.ptr.as_ptr(), offset, bf, v) };
        Ok(())
    }

    /// A copy of `len` bytes at `offset`.
    pub fn read_bytes(&self, offset: usize, len: usize) -> Result<Vec<u8>, SafeError> {
        let p = self.at(offset, len)?;
        // SAFETY: the range lies inside the block.
        Ok(unsafe { memory::read_bytes(p, len) })
    }

    /// Copies `bytes` to `offset`.
    pub fn write_bytes(&self, offset: usize, bytes: &[u8]) -> Result<(), SafeError> {
        let p = self.at_mut(offset, bytes.len())?;
        // SAFETY: the range lies inside the writable block, which no Rust
        // slice (such as `bytes`) can point into.
        unsafe { memory::write_bytes(p, bytes) };
        Ok(())
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Owner::Heap(layout) = self.owner {
            // SAFETY: allocated in `alloc` with this layout, freed only here.
            unsafe { dealloc(self.ptr.as_ptr(), layout) }
        }
    }
}

/// Bounds-checked access to a call's argument and result frames.
impl Frame {
    fn slot(&mut self, offset: usize, len: usize) -> Result<*mut u8, SafeError> {
        bounds(offset, len, self.capacity())?;
        // SAFETY: offset + len <= capacity, inside the frame's buffer.
        Ok(unsafe { self.as_mut_ptr().add(offset) })
    }

    /// Writes a scalar at `offset`.
    pub fn put(&mut self, offset: usize, s: Scalar, v: Value) -> Result<(), SafeError> {
        let p = self.slot(offset, memory::scalar_size(s))?;
        // SAFETY: the bytes lie inside the frame.
        unsafe { memory::write(p, s, v) };
        Ok(())
    }

    /// Copies `bytes` to `offset`.
    pub fn put_bytes(&mut self, offset: usize, bytes: &[u8]) -> Result<(), SafeError> {
        let p = self.slot(offset, bytes.len())?;
        // SAFETY: the bytes lie inside the frame, which `bytes` cannot alias
        // (the frame is borrowed mutably).
        unsafe { memory::write_bytes(p, bytes) };
        Ok(())
    }

    /// Reads a scalar at `offset`.
    pub fn get(&mut self, offset: usize, s: Scalar) -> Result<Value, SafeError> {
        let p = self.slot(offset, memory::scalar_size(s))?;
        // SAFETY: the bytes lie inside the frame.
        Ok(unsafe { memory::read(p, s) })
    }

    /// A copy of `len` bytes at `offset`.
    pub fn get_bytes(&mut self, offset: usize, len: usize) -> Result<Vec<u8>, SafeError> {
        let p = self.slot(offset, len)?;
        // SAFETY: the bytes lie inside the frame.
        Ok(unsafe { memory::read_bytes(p, len) })
    }
}

/// A function of a library together with the plan of its declared type.
pub struct BoundFn {
    plan: Arc<CallPlan>,
    addr: NonNull<c_void>,
    library: Arc<Library>,
}

// SAFETY: the address is code, which never moves or changes while `library`
// keeps it loaded; the plan is Send + Sync.
unsafe impl Send for BoundFn {}
// SAFETY: as above; nothing is mutated after creation.
unsafe impl Sync for BoundFn {}

impl std::fmt::Debug for BoundFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundFn")
            .field("addr", &self.addr)
            .field("library", &self.library.name())
            .finish()
    }
}

fn frame_size(plan: &CallPlan) -> usize {
    plan.args()
        .iter()
        .map(|s| s.offset + s.size)
        .max()
        .unwrap_or(0)
}

impl BoundFn {
    /// The function `name` of `library`, to be called as `plan` describes.
    ///
    /// This is the trust point of calls: the plan (built from the user's C
    /// declaration) is taken to be the function's real type. A wrong
    /// declaration is undefined behaviour, as with any FFI.
    pub fn new(
        library: Arc<Library>,
        name: &str,
        plan: Arc<CallPlan>,
    ) -> Result<BoundFn, SafeError> {
        let addr = library.symbol(name)?;
        let addr = NonNull::new(addr)
            .ok_or_else(|| SafeError::Mismatch(format!("symbol '{name}' has a null address")))?;
        Ok(BoundFn {
            plan,
            addr,
            library,
        })
    }

    /// The same variadic function with a plan for one list of extra
    /// arguments; the plan must share this one's fixed parameters.
    pub fn with_variadic_plan(&self, plan: Arc<CallPlan>) -> Result<BoundFn, SafeError> {
        let fixed = self.plan.fixed_args();
        let same_fixed = self.plan.is_variadic()
            && plan.is_variadic()
            && plan.fixed_args() == fixed
            && plan.ret() == self.plan.ret()
            && self.plan.args()[..fixed]
                .iter()
                .zip(&plan.args()[..fixed])
                .all(|(a, b)| a.ty == b.ty);
        if !same_fixed {
            return Err(SafeError::Mismatch(
                "the plan is not a variadic call of this function".into(),
            ));
        }
        Ok(BoundFn {
            plan,
            addr: self.addr,
            library: self.library.clone(),
        })
    }

    /// The plan of the declared type.
    pub fn plan(&self) -> &CallPlan {
        &self.plan
    }

    /// The function's address.
    pub fn addr(&self) -> *const c_void {
        self.addr.as_ptr()
    }

    /// Calls the function with the arguments in `frame` (written at the
    /// plan's slots with [`Frame::put`]), leaving the result in `result`.
    /// `errno` is restored before and saved after, see [`crate::errno`].
    pub fn call(&self, frame: &mut Frame, result: &mut Frame) -> Result<(), SafeError> {
        let need = frame_size(&self.plan);
        if frame.capacity() < need {
            return Err(SafeError::Mismatch(format!(
                "frame of {} bytes for arguments of {need}",
                frame.capacity()
            )));
        }
        if result.capacity() < self.plan.result_size().max(16) {
            return Err(SafeError::Mismatch("result buffer too small".into()));
        }
        // SAFETY: `new` is the trust point for the function's type; the
        // frame holds every argument slot, and any bytes there are values of
        // the C scalar and record types libffi passes; the result buffer is
        // as large as result_buffer() makes it.
        unsafe { self.plan.call(self.addr.as_ptr(), frame, result) };
        Ok(())
    }
}

mod sealed {
    pub trait Scalar {}
    pub trait Args {}
    pub trait Result {}
}

/// How a Rust type travels to and from C, for checking it against a C type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RustKind {
    Int { size: u8, signed: bool },
    Bool,
    F32,
    F64,
    Pointer,
}

impl RustKind {
    /// Whether a Rust value of this kind is passed and returned exactly as
    /// a C value of `ty`: same register class, width and, for integers,
    /// signedness (either for plain `char`). `bool` only matches `_Bool`.
    pub fn matches(self, types: &Types, ty: TypeId) -> bool {
        let Some(scalar) = Scalar::of(types, ty) else {
            return false;
        };
        let class = match types.get(ty) {
            Type::Prim(p) => Some(p.class()),
            _ => None,
        };
        match (self, scalar) {
            (RustKind::Bool, _) => class == Some(PrimClass::Bool),
            _ if class == Some(PrimClass::Bool) => false,
            (
                RustKind::Int { size, signed },
                Scalar::Int {
                    size: cs,
                    signed: cz,
                },
            ) => size == cs && (signed == cz || class == Some(PrimClass::Char)),
            (RustKind::F32, Scalar::F32)
            | (RustKind::F64, Scalar::F64)
            | (RustKind::Pointer, Scalar::Pointer) => true,
            _ => false,
        }
    }
}

/// A Rust type that is a C scalar: the integers, `f32`, `f64`, `bool` and
/// raw pointers.
pub trait CScalar: Copy + 'static + sealed::Scalar {
    /// How it travels.
    const KIND: RustKind;
}

/// A Rust type a C function can return: a [`CScalar`] or `()` for `void`.
pub trait CResult: 'static + sealed::Result {
    /// `None` for `()`.
    const KIND: Option<RustKind>;
}

/// Proof that an address was checked against a Rust signature; only this
/// module makes one, so the tuple methods below cannot be misused.
pub struct Checked {
    addr: NonNull<c_void>,
}

/// A tuple of [`CScalar`]s: the parameters of a typed function or callback.
pub trait CArgs: 'static + sealed::Args {
    /// How each parameter travels.
    const KINDS: &'static [RustKind];
    /// The Rust names of the parameter types.
    fn names() -> Vec<&'static str>;
    #[doc(hidden)]
    fn call_with<R: CResult>(self, f: &Checked) -> R;
    /// The arguments a callback was given.
    ///
    /// # Safety
    /// `args` has one pointer per parameter, each to a readable value of
    /// that parameter's C type (any alignment): what the trampoline of a
    /// callback whose plan was checked against `Self` passes.
    #[doc(hidden)]
    unsafe fn read_args(args: &[*const u8], token: &Checked) -> Self;
}

macro_rules! scalars {
    ($($t:ty => $kind:expr),* $(,)?) => {$(
        impl sealed::Scalar for $t {}
        impl sealed::Result for $t {}
        impl CScalar for $t {
            const KIND: RustKind = $kind;
        }
        impl CResult for $t {
            const KIND: Option<RustKind> = Some($kind);
        }
    )*};
}

const fn int(size: usize, signed: bool) -> RustKind {
    RustKind::Int {
        size: size as u8,
        signed,
    }
}

scalars! {
    i8 => int(1, true), u8 => int(1, false),
    i16 => int(2, true), u16 => int(2, false),
    i32 => int(4, true), u32 => int(4, false),
    i64 => int(8, true), u64 => int(8, false),
    isize => int(size_of::<isize>(), true), usize => int(size_of::<usize>(), false),
    f32 => RustKind::F32, f64 => RustKind::F64, bool => RustKind::Bool,
}

impl<T: 'static> sealed::Scalar for *const T {}
impl<T: 'static> sealed::Result for *const T {}
impl<T: 'static> sealed::Scalar for *mut T {}
impl<T: 'static> sealed::Result for *mut T {}
// Raw pointers are only numbers to Rust; the C side is trusted to use them
// as its declaration says.
impl<T: 'static> CScalar for *const T {
    const KIND: RustKind = RustKind::Pointer;
}
impl<T: 'static> CScalar for *mut T {
    const KIND: RustKind = RustKind::Pointer;
}
impl<T: 'static> CResult for *const T {
    const KIND: Option<RustKind> = Some(RustKind::Pointer);
}
impl<T: 'static> CResult for *mut T {
    const KIND: Option<RustKind> = Some(RustKind::Pointer);
}
impl sealed::Result for () {}
impl CResult for () {
    const KIND: Option<RustKind> = None;
}

macro_rules! tuples {
    ($($name:ident $idx:tt),*) => {
        impl<$($name: CScalar),*> sealed::Args for ($($name,)*) {}
        impl<$($name: CScalar),*> CArgs for ($($name,)*) {
            const KINDS: &'static [RustKind] = &[$($name::KIND),*];

            fn names() -> Vec<&'static str> {
                vec![$(std::any::type_name::<$name>()),*]
            }

            #[inline(always)]
            fn call_with<R: CResult>(self, f: &Checked) -> R {
                // SAFETY: a `Checked` only exists for an address whose C
                // declaration was matched against exactly these parameter and
                // result types (`check_signature`), so this is its real type.
                let fun = unsafe {
                    std::mem::transmute::<*const c_void, extern "C" fn($($name),*) -> R>(
                        f.addr.as_ptr(),
                    )
                };
                fun($(self.$idx),*)
            }

            #[allow(unused_variables, unused_unsafe, clippy::unused_unit)]
            unsafe fn read_args(args: &[*const u8], _: &Checked) -> Self {
                // SAFETY: per this function's contract, one pointer per
                // parameter, each to a value of the parameter's C type (maybe
                // unaligned for us).
                unsafe { ($(std::ptr::read_unaligned(args[$idx].cast::<$name>()),)*) }
            }
        }
    };
}

tuples!();
tuples!(A 0);
tuples!(A 0, B 1);
tuples!(A 0, B 1, C 2);
tuples!(A 0, B 1, C 2, D 3);
tuples!(A 0, B 1, C 2, D 3, E 4);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// `fn(f64, i32) -> f64` for a Rust signature.
pub fn rust_signature<A: CArgs, R: CResult>() -> String {
    let ret = match R::KIND {
        None => String::new(),
        Some(_) => format!(" -> {}", std::any::type_name::<R>()),
    };
    format!("fn({}){ret}", A::names().join(", "))
}

/// `double(double, int)` for the C type a plan was made for.
pub fn c_signature(types: &Types, plan: &CallPlan) -> String {
    let params: Vec<String> = plan.args()[..plan.fixed_args()]
        .iter()
        .map(|a| types.cname(a.ty))
        .collect();
    let mut params = params.join(", ");
    if plan.is_variadic() {
        params.push_str(if params.is_empty() { "..." } else { ", ..." });
    }
    format!("{}({params})", types.cname(plan.ret()))
}

/// Checks that the Rust signature `fn(A) -> R` passes and returns exactly as
/// the (non-variadic) C type of `plan` does.
pub fn check_signature<A: CArgs, R: CResult>(
    types: &Types,
    plan: &CallPlan,
) -> Result<(), SafeError> {
    let params_match = plan.args().len() == A::KINDS.len()
        && plan
            .args()
            .iter()
            .zip(A::KINDS)
            .all(|(slot, kind)| kind.matches(types, slot.ty));
    let ret_matches = match R::KIND {
        None => plan.ret_is_void(),
        Some(kind) => kind.matches(types, plan.ret()),
    };
    if !plan.is_variadic() && params_match && ret_matches {
        Ok(())
    } else {
        Err(SafeError::Signature {
            rust: rust_signature::<A, R>(),
            c: c_signature(types, plan),
        })
    }
}

/// A function called directly through a Rust function pointer of a checked
/// type: no frame, no libffi, no allocation.
pub struct TypedFn<A, R> {
    checked: Checked,
    _library: Arc<Library>,
    _signature: PhantomData<fn(A) -> R>,
}

// SAFETY: the address is code kept loaded by `_library`, never mutated.
unsafe impl<A, R> Send for TypedFn<A, R> {}
// SAFETY: as above.
unsafe impl<A, R> Sync for TypedFn<A, R> {}

impl<A, R> Clone for TypedFn<A, R> {
    fn clone(&self) -> Self {
        TypedFn {
            checked: Checked {
                addr: self.checked.addr,
            },
            _library: self._library.clone(),
            _signature: PhantomData,
        }
    }
}

impl<A: CArgs, R: CResult> TypedFn<A, R> {
    /// The function of `bound` as a Rust `fn(A) -> R`, if that signature
    /// matches its declaration (see [`check_signature`]).
    pub fn new(types: &Types, bound: &BoundFn) -> Result<TypedFn<A, R>, SafeError> {
        check_signature::<A, R>(types, &bound.plan)?;
        Ok(TypedFn {
            checked: Checked { addr: bound.addr },
            _library: bound.library.clone(),
            _signature: PhantomData,
        })
    }

    /// Calls the function. `errno` is left as C set it (not saved).
    #[inline(always)]
    pub fn call(&self, args: A) -> R {
        args.call_with(&self.checked)
    }

    /// The function's address.
    pub fn addr(&self) -> *const c_void {
        self.checked.addr.as_ptr()
    }
}

/// The handler that reads the arguments of `fn(A) -> R`, runs `f` and
/// writes its result; only for plans checked against that signature.
fn handler<A: CArgs, R: CResult>(f: impl Fn(A) -> R) -> impl Fn(&[*const u8], *mut u8) {
    move |args: &[*const u8], ret: *mut u8| {
        let token = Checked {
            addr: NonNull::dangling(),
        };
        // SAFETY: this closure runs only as the handler of a callback whose
        // plan was checked against `fn(A) -> R` (`typed_callback` and
        // `typed_local_callback` check it before making one), and
        // its trampoline passes one pointer per parameter, each to a value
        // of the parameter's C type.
        let r = f(unsafe { A::read_args(args, &token) });
        // SAFETY: the trampoline gives a result buffer of at least 16 bytes
        // (or libffi's, as large as the result type), and R is the declared
        // result type, at most 8 bytes here.
        unsafe { std::ptr::write_unaligned(ret.cast::<R>(), r) };
    }
}

/// A C function pointer of `plan`'s type that runs `f`, if `fn(A) -> R`
/// matches that type. A panic in `f` is caught before it reaches C; the C
/// caller then sees a zero result.
pub fn typed_callback<A, R, F>(
    types: &Types,
    plan: Arc<CallPlan>,
    f: F,
) -> Result<Callback, SafeError>
where
    A: CArgs,
    R: CResult,
    F: Fn(A) -> R + Send + Sync + 'static,
{
    check_signature::<A, R>(types, &plan)?;
    Ok(Callback::new(plan, Box::new(handler(f)))?)
}

/// A closure that only runs on the thread that made it.
struct OnThread<F> {
    f: F,
    thread: std::thread::ThreadId,
}

// SAFETY: `f` is only called on `thread` (checked before every call), and
// it is dropped there too: its only owner is a LocalCallback, which is
// neither Send nor Sync.
unsafe impl<F> Send for OnThread<F> {}
// SAFETY: as above; no other thread ever touches `f`.
unsafe impl<F> Sync for OnThread<F> {}

/// A callback whose closure may capture values that are not `Send` or
/// `Sync` (such as C memory handles), because it only runs on the thread
/// that made it. Called from another thread, it returns zero without running.
pub struct LocalCallback {
    inner: Callback,
    _not_send: PhantomData<*const ()>,
}

impl LocalCallback {
    /// The C function pointer.
    pub fn code(&self) -> usize {
        self.inner.code()
    }
}

/// [`typed_callback`] for closures that are not `Send` or `Sync`.
pub fn typed_local_callback<A, R, F>(
    types: &Types,
    plan: Arc<CallPlan>,
    f: F,
) -> Result<LocalCallback, SafeError>
where
    A: CArgs,
    R: CResult,
    F: Fn(A) -> R + 'static,
{
    check_signature::<A, R>(types, &plan)?;
    let bound = OnThread {
        f: handler(f),
        thread: std::thread::current().id(),
    };
    // The closure captures `bound` whole (not its fields), so that the
    // Send and Sync of OnThread apply.
    let run = move |args: &[*const u8], ret: *mut u8| {
        let bound = &bound;
        if std::thread::current().id() == bound.thread {
            (bound.f)(args, ret);
        }
    };
    Ok(LocalCallback {
        inner: Callback::new(plan, Box::new(run))?,
        _not_send: PhantomData,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rffi_types::{CdefOptions, Symbol};

    fn setup(decl: &str, name: &str) -> (Types, BoundFn) {
        let mut types = Types::new();
        types.cdef(decl, &CdefOptions::default()).unwrap();
        let Some(Symbol::Function(f)) = types.symbol(name).cloned() else {
            panic!()
        };
        let plan = Arc::new(CallPlan::new(&types, f).unwrap());
        let lib = Arc::new(Library::open(Some("libm.so.6"), 0).unwrap());
        let bound = BoundFn::new(lib, name, plan).unwrap();
        (types, bound)
    }

    #[test]
    fn regions_refuse_out_of_bounds_access() {
        let r = Region::alloc(8, 8).unwrap();
        r.write(4, Scalar::F32, Value::Float(1.5)).unwrap();
        assert_eq!(r.read(4, Scalar::F32).unwrap(), Value::Float(1.5));
        assert!(matches!(
            r.read(5, Scalar::F32),
            Err(SafeError::OutOfBounds {
                offset: 5,
                len: 4,
                size: 8
            })
        ));
        assert!(r.write_bytes(usize::MAX, &[1]).is_err());
    }

    #[test]
    fn typed_functions_are_checked_then_called_directly() {
        let (types, bound) = setup("double cos(double);", "cos");
        let cos = TypedFn::<(f64,), f64>::new(&types, &bound).unwrap();
        assert_eq!(cos.call((0.0,)), 1.0);
        let err = TypedFn::<(f32,), f64>::new(&types, &bound).err().unwrap();
        assert_eq!(
            err.to_string(),
            "the Rust signature fn(f32) -> f64 does not match the C type double(double)"
        );
    }

    #[test]
    fn frames_are_checked_against_the_plan() {
        let (_, bound) = setup("double cos(double);", "cos");
        let mut frame = bound.plan().frame();
        let mut result = bound.plan().result_buffer();
        frame
            .put(
                bound.plan().args()[0].offset,
                Scalar::F64,
                Value::Float(0.0),
            )
            .unwrap();
        bound.call(&mut frame, &mut result).unwrap();
        assert_eq!(result.get(0, Scalar::F64).unwrap(), Value::Float(1.0));
    }
}
