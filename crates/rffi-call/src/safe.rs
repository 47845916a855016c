//! Safe entry points over the raw machinery, for crates that may not use
//! `unsafe` (the `rffi` facade).
//!
//! # Where trust is placed
//!
//! Calling C cannot be proven safe by Rust: what a C function does is only
//! known from its declaration, and what it does with a pointer only from its
//! documentation. This module makes those two trust decisions `unsafe fn`s
//! and checks everything else:
//!
//! - [`BoundFn::new`] and [`Region::symbol`] are `unsafe`: the caller vouches
//!   that the C declaration (the [`CallPlan`] or the declared size) matches
//!   the symbol.
//! - A call that hands C a pointer (a pointer argument, or a struct by value
//!   with a pointer member) is `unsafe` ([`BoundFn::call_unchecked`],
//!   [`TypedFn::call_unchecked`]): the caller vouches that C only uses the
//!   memory behind it as far and as long as it is valid. Calls without
//!   pointers ([`BoundFn::call`], [`TypedFn::call`] for [`PointerFree`]
//!   arguments) are safe.
//! - Everything after that is checked here: frames are big enough for their
//!   plan, memory accesses stay inside their [`Region`], and typed handles
//!   ([`TypedFn`], [`typed_callback`]) only exist for Rust signatures whose
//!   types travel exactly as the declared C types do. A panic in a typed
//!   callback is caught before it reaches C and handed to the Rust caller of
//!   the C function (see [`take_callback_panic`]).

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ffi::{c_void, CStr};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

use rffi_types::{BitField, PrimClass, Type, TypeId, Types};

use crate::error::CallError;
use crate::memory::{self, Value};
use crate::plan::{ArgSlot, CallPlan, Frame};
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
    /// A safe call of a function that takes pointers.
    #[error("the call passes pointers to C, which only an unsafe call can vouch for")]
    PassesPointers,
    /// A callback run during the call panicked; the message of the panic.
    #[error("a callback panicked: {0}")]
    CallbackPanicked(String),
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
    /// `writable` is false for objects declared `const`, which usually live
    /// in read-only pages.
    ///
    /// # Safety
    /// The symbol must be a variable of at least `size` bytes that stays
    /// valid while `library` is loaded, writable if `writable` is true, and
    /// any bytes written to it must be valid for the library (a pointer
    /// written there is handed to C).
    pub unsafe fn symbol(
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

    /// Writes the bytes of a Rust value at `offset` (C reads them as the
    /// plan's type of the slot: any bytes are a value of a pointer-free
    /// type, and a plan with pointers needs an unsafe call).
    pub fn put_value<T: Copy>(&mut self, offset: usize, v: T) -> Result<(), SafeError> {
        let p = self.slot(offset, size_of::<T>())?;
        // SAFETY: the bytes lie inside the frame.
        unsafe { std::ptr::write_unaligned(p.cast::<T>(), v) };
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
    /// # Safety
    /// The plan (built from the user's C declaration) must be the function's
    /// real type, and calling the function with any values of its non-pointer
    /// parameter types must be sound.
    pub unsafe fn new(
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
    ///
    /// Refused with [`SafeError::PassesPointers`] if the plan passes a
    /// pointer: use [`call_unchecked`](Self::call_unchecked) for those.
    pub fn call(&self, frame: &mut Frame, result: &mut Frame) -> Result<(), SafeError> {
        if self.plan.passes_pointers() {
            return Err(SafeError::PassesPointers);
        }
        // SAFETY: no argument is or holds a pointer; `new` vouched for the rest.
        unsafe { self.call_unchecked(frame, result) }
    }

    /// [`call`](Self::call) for any plan, pointers included.
    ///
    /// # Safety
    /// Every pointer in `frame` must be valid for what the function does with
    /// it (reads and writes within the memory it points to, for as long as C
    /// uses it; a callback's code kept alive while C may call it).
    pub unsafe fn call_unchecked(
        &self,
        frame: &mut Frame,
        result: &mut Frame,
    ) -> Result<(), SafeError> {
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
        // SAFETY: `new` is the trust point for the function's type, this
        // function's caller for its pointers; the frame holds every argument
        // slot, and any bytes there are values of the C scalar and record
        // types libffi passes; the result buffer is as large as
        // result_buffer() makes it.
        unsafe { self.plan.call(self.addr.as_ptr(), frame, result) };
        match take_callback_panic() {
            Some(p) => Err(SafeError::CallbackPanicked(panic_message(&*p))),
            None => Ok(()),
        }
    }
}

impl BoundFn {
    /// Calls the function through registers, without libffi, when its plan
    /// has a [`Direct`](crate::Direct) layout (`None` otherwise), with the
    /// arguments in `regs` at the layout's registers. Refused with
    /// [`SafeError::PassesPointers`] if the plan passes a pointer.
    pub fn call_direct(&self, regs: &crate::Regs) -> Option<Result<crate::Returned, SafeError>> {
        if self.plan.passes_pointers() {
            return Some(Err(SafeError::PassesPointers));
        }
        // SAFETY: no argument is a pointer; `new` vouched for the rest.
        unsafe { self.call_direct_unchecked(regs) }
    }

    /// [`call_direct`](Self::call_direct) for any plan, pointers included.
    ///
    /// # Safety
    /// As for [`call_unchecked`](Self::call_unchecked), for the pointers in
    /// `regs`.
    pub unsafe fn call_direct_unchecked(
        &self,
        regs: &crate::Regs,
    ) -> Option<Result<crate::Returned, SafeError>> {
        let direct = self.plan.direct()?;
        // SAFETY: the plan is the function's type (vouched by `new`), and
        // `direct` is its register layout; the caller vouches for pointers.
        let r = unsafe { direct.call(self.addr.as_ptr(), regs) };
        Some(match take_callback_panic() {
            Some(p) => Err(SafeError::CallbackPanicked(panic_message(&*p))),
            None => Ok(r),
        })
    }
}

mod sealed {
    pub trait Scalar {}
    pub trait Args {}
    pub trait Result {}
    pub trait PointerFree {}
}

/// Argument tuples that hold no pointer: integers, floats, `bool`, and
/// [`CStruct`]s whose fields hold none. Typed calls with them are safe
/// ([`TypedFn::call`]); calls that pass raw pointers need
/// [`TypedFn::call_unchecked`].
///
/// ```compile_fail
/// # fn f(strlen: rffi_call::safe::TypedFn<(*const u8,), usize>) {
/// strlen.call((0x10 as *const u8,)); // a raw pointer: only `call_unchecked`
/// # }
/// ```
pub trait PointerFree: sealed::PointerFree {}

/// Results that a safe typed call may return: every [`CResult`] but those
/// that borrow C memory (`Option<&'static CStr>`), whose lifetime only the
/// caller of an unsafe call can vouch for. Raw pointers are plain values.
pub trait SafeResult: CResult {}

/// How a Rust type travels to and from C, for checking it against a C type.
#[derive(Clone, Copy, Debug)]
pub enum RustKind {
    Int {
        size: u8,
        signed: bool,
    },
    Bool,
    F32,
    F64,
    Pointer,
    /// A `char *` read as a C string.
    CString,
    /// A `#[repr(C)]` struct passed by value.
    Struct(fn() -> StructLayout),
}

impl RustKind {
    /// Whether a Rust value of this kind is passed and returned exactly as
    /// a C value of `ty`: same register class, width and, for integers,
    /// signedness (either for plain `char`). `bool` only matches `_Bool`;
    /// a struct matches a C struct of the same size, alignment, and fields
    /// at the same offsets that match one by one.
    pub fn matches(self, types: &Types, ty: TypeId) -> bool {
        if let RustKind::Struct(layout) = self {
            return struct_matches(&layout(), types, ty);
        }
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
            (RustKind::CString, Scalar::Pointer) => match types.get(ty) {
                Type::Pointer(item) => matches!(
                    types.get(*item),
                    Type::Prim(p) if p.size() == 1 && p.class() != PrimClass::Bool
                ),
                _ => false,
            },
            (RustKind::F32, Scalar::F32)
            | (RustKind::F64, Scalar::F64)
            | (RustKind::Pointer, Scalar::Pointer) => true,
            _ => false,
        }
    }
}

fn struct_matches(rust: &StructLayout, types: &Types, ty: TypeId) -> bool {
    let is_struct = match types.get(ty) {
        Type::Record(r) => types.record(*r).kind == rffi_types::RecordKind::Struct,
        _ => false,
    };
    let Some(c) = types.record_layout(ty).filter(|_| is_struct) else {
        return false;
    };
    c.size == rust.size
        && c.align == rust.align
        && !c.flexible
        && c.fields.len() == rust.fields.len()
        && c.fields.iter().zip(&rust.fields).all(|(cf, rf)| {
            cf.bits.is_none() && cf.offset == rf.offset && rf.kind.matches(types, cf.ty)
        })
}

/// A field of a [`CStruct`]: its name, offset and how its type travels.
#[derive(Clone, Copy, Debug)]
pub struct StructField {
    pub name: &'static str,
    pub offset: usize,
    pub kind: RustKind,
}

/// The layout of a [`CStruct`] as the Rust compiler made it.
#[derive(Clone, Debug)]
pub struct StructLayout {
    pub name: &'static str,
    pub size: usize,
    pub align: usize,
    pub fields: Vec<StructField>,
}

/// A `#[repr(C)]` Rust struct that passes by value to and from C, checked
/// against the C declaration of a struct once, when a typed handle or
/// callback is made: size, alignment, and every field's offset and type.
/// Implement it with the [`c_struct!`](crate::c_struct) macro, which reads
/// the layout from the compiler.
///
/// # Safety
/// `Self` must be `#[repr(C)]`, [`layout`](CStruct::layout) must describe it
/// (its size and alignment, and in declaration order each field's offset and
/// the [`CScalar::KIND`] of its type), and `Fields` must be the tuple of the
/// field types.
pub unsafe trait CStruct: Copy + 'static {
    /// The field types, as a tuple: a struct is [`PointerFree`] when they are.
    type Fields;
    /// The layout, read from the compiler.
    fn layout() -> StructLayout;
}

/// Declares a `#[repr(C)]` struct (deriving `Clone` and `Copy`) that
/// implements [`CStruct`], so that typed handles and callbacks pass it by
/// value. Fields are C scalars (`i32`, `f64`, raw pointers, ...) or other
/// such structs.
///
/// ```
/// rffi_call::c_struct! {
///     /// A point of the plugin's API.
///     #[derive(Debug, PartialEq)]
///     pub struct Vec2 { pub x: f64, pub y: f64 }
/// }
/// use rffi_call::safe::CStruct;
/// assert_eq!(Vec2::layout().size, 16);
/// assert_eq!(Vec2::layout().fields[1].offset, 8);
/// ```
#[macro_export]
macro_rules! c_struct {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy)]
        $vis struct $name { $($(#[$fmeta])* $fvis $field: $ty),* }

        // SAFETY: the struct is #[repr(C)] (above), and its layout comes
        // from the compiler: size_of, align_of, offset_of and each field
        // type's own KIND.
        unsafe impl $crate::safe::CStruct for $name {
            type Fields = ($($ty,)*);
            fn layout() -> $crate::safe::StructLayout {
                $crate::safe::StructLayout {
                    name: ::core::stringify!($name),
                    size: ::core::mem::size_of::<$name>(),
                    align: ::core::mem::align_of::<$name>(),
                    fields: ::std::vec![$($crate::safe::StructField {
                        name: ::core::stringify!($field),
                        offset: ::core::mem::offset_of!($name, $field),
                        kind: <$ty as $crate::safe::CScalar>::KIND,
                    }),*],
                }
            }
        }
    };
}

/// A Rust type that passes to and from C as one C value: the integers,
/// `f32`, `f64`, `bool`, raw pointers and [`CStruct`]s.
pub trait CScalar: Copy + 'static + sealed::Scalar {
    /// How it travels.
    const KIND: RustKind;
}

/// A Rust type a C function can return: a [`CScalar`], `()` for `void`, or
/// `Option<&'static CStr>` for a `char *` read as a C string (`None` for
/// `NULL`).
pub trait CResult: 'static + sealed::Result {
    /// `None` for `()`.
    const KIND: Option<RustKind>;
    #[doc(hidden)]
    type Raw: Copy;
    /// # Safety
    /// `raw` is what a call vouched for returned: for a [`SafeResult`] any
    /// value, for a string a valid one (see [`TypedFn::call_unchecked`]).
    #[doc(hidden)]
    unsafe fn from_raw(raw: Self::Raw) -> Self;
    #[doc(hidden)]
    fn into_raw(self) -> Self::Raw;
}

/// Proof that an address was checked against a Rust signature; only this
/// module makes one, so the tuple methods below cannot be misused.
pub struct Checked {
    addr: NonNull<c_void>,
}

/// A tuple of [`CScalar`]s (up to 16): the parameters of a typed function
/// or callback.
pub trait CArgs: 'static + sealed::Args {
    /// How each parameter travels.
    const KINDS: &'static [RustKind];
    /// The Rust names of the parameter types.
    fn names() -> Vec<&'static str>;
    #[doc(hidden)]
    fn call_with<R: CResult>(self, f: &Checked) -> R;
    #[doc(hidden)]
    fn read_args(args: &[*const u8], token: &Checked) -> Self;
    /// Writes the arguments at the first slots of `slots` in `frame`.
    #[doc(hidden)]
    fn write_frame(self, slots: &[ArgSlot], frame: &mut Frame) -> Result<(), SafeError>;
}

macro_rules! scalars {
    ($($t:ty => $kind:expr),* $(,)?) => {$(
        impl sealed::PointerFree for $t {}
        impl PointerFree for $t {}
        impl sealed::Scalar for $t {}
        impl CScalar for $t {
            const KIND: RustKind = $kind;
        }
        plain_result!([] $t);
    )*};
}

/// A result that travels as itself; generics in brackets.
macro_rules! plain_result {
    ([$($gen:tt)*] $t:ty) => {
        impl<$($gen)*> sealed::Result for $t {}
        impl<$($gen)*> SafeResult for $t {}
        impl<$($gen)*> CResult for $t {
            const KIND: Option<RustKind> = Some(<$t as CScalar>::KIND);
            type Raw = $t;
            #[inline(always)]
            unsafe fn from_raw(raw: $t) -> $t {
                raw
            }
            #[inline(always)]
            fn into_raw(self) -> $t {
                self
            }
        }
    };
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
impl<T: 'static> sealed::Scalar for *mut T {}
// Raw pointers are only numbers to Rust; the C side is trusted to use them
// as its declaration says.
impl<T: 'static> CScalar for *const T {
    const KIND: RustKind = RustKind::Pointer;
}
impl<T: 'static> CScalar for *mut T {
    const KIND: RustKind = RustKind::Pointer;
}
plain_result!([T: 'static] *const T);
plain_result!([T: 'static] *mut T);

impl<T: CStruct> sealed::Scalar for T {}
impl<T: CStruct> CScalar for T {
    const KIND: RustKind = RustKind::Struct(T::layout);
}
impl<T: CStruct> sealed::PointerFree for T where T::Fields: PointerFree {}
impl<T: CStruct> PointerFree for T where T::Fields: PointerFree {}
plain_result!([T: CStruct] T);

impl sealed::Result for () {}
impl SafeResult for () {}
impl CResult for () {
    const KIND: Option<RustKind> = None;
    type Raw = ();
    unsafe fn from_raw(_: ()) {}
    fn into_raw(self) {}
}

impl sealed::Result for Option<&'static CStr> {}
impl CResult for Option<&'static CStr> {
    const KIND: Option<RustKind> = Some(RustKind::CString);
    type Raw = *const std::ffi::c_char;
    #[inline]
    unsafe fn from_raw(raw: *const std::ffi::c_char) -> Self {
        // SAFETY: this function's contract: a non-null result is a
        // NUL-terminated string that lives for 'static.
        (!raw.is_null()).then(|| unsafe { CStr::from_ptr(raw) })
    }
    fn into_raw(self) -> *const std::ffi::c_char {
        self.map_or(std::ptr::null(), CStr::as_ptr)
    }
}

macro_rules! tuples {
    ($($name:ident $idx:tt),*) => {
        impl<$($name: CScalar),*> sealed::Args for ($($name,)*) {}
        impl<$($name: CScalar + PointerFree),*> sealed::PointerFree for ($($name,)*) {}
        impl<$($name: CScalar + PointerFree),*> PointerFree for ($($name,)*) {}
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
                    std::mem::transmute::<*const c_void, extern "C" fn($($name),*) -> R::Raw>(
                        f.addr.as_ptr(),
                    )
                };
                // SAFETY: `call_with` runs only for `TypedFn::call` (a
                // SafeResult, whose from_raw takes any value) and
                // `TypedFn::call_unchecked`, whose caller vouches for R.
                unsafe { R::from_raw(fun($(self.$idx),*)) }
            }

            #[allow(unused_variables)]
            fn write_frame(self, slots: &[ArgSlot], frame: &mut Frame) -> Result<(), SafeError> {
                if slots.len() < Self::KINDS.len() {
                    return Err(SafeError::Mismatch("fewer slots than arguments".into()));
                }
                $(frame.put_value(slots[$idx].offset, self.$idx)?;)*
                Ok(())
            }

            #[allow(unused_variables, unused_unsafe, clippy::unused_unit)]
            fn read_args(args: &[*const u8], _: &Checked) -> Self {
                // SAFETY: the callback's plan was checked against these types
                // and libffi passes one pointer per parameter, each to a value
                // of the parameter's C type (maybe unaligned for us).
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
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

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

    /// Calls the function. `errno` is left as C set it (not saved). A
    /// panic of a typed callback that the function ran continues here, in
    /// the caller, once C has returned.
    #[inline(always)]
    pub fn call(&self, args: A) -> R
    where
        A: PointerFree,
        R: SafeResult,
    {
        // SAFETY: no argument is a pointer; the declaration was vouched for
        // when the function was bound.
        unsafe { self.call_unchecked(args) }
    }

    /// [`call`](Self::call) with any arguments, raw pointers included.
    ///
    /// # Safety
    /// Every pointer argument must be valid for what the function does with
    /// it: C may read and write the memory it points to as far as the
    /// function's contract says, and for as long as it keeps the pointer. A
    /// string result (`Option<&'static CStr>`) must be NULL or a
    /// NUL-terminated string that stays valid and unchanged for `'static`.
    #[inline(always)]
    pub unsafe fn call_unchecked(&self, args: A) -> R {
        let r = args.call_with(&self.checked);
        if CALLBACK_PANICKED.get() {
            resume_callback_panic();
        }
        r
    }

    /// The function's address.
    pub fn addr(&self) -> *const c_void {
        self.checked.addr.as_ptr()
    }
}

thread_local! {
    /// Whether [`PANIC`] holds a payload: read after every typed call.
    static CALLBACK_PANICKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The first panic of a typed callback on this thread not yet handed to
    /// the Rust code that called into C.
    static PANIC: std::cell::RefCell<Option<Box<dyn std::any::Any + Send>>> =
        const { std::cell::RefCell::new(None) };
}

/// The payload of a panic that a typed callback raised on this thread since
/// the last call of this function, if any. Calls through [`BoundFn`] and
/// [`TypedFn`] take it themselves right after C returns; until it is taken,
/// typed callbacks on this thread return zero without running, so that a
/// callback C calls many times (`qsort`'s comparator) panics once.
pub fn take_callback_panic() -> Option<Box<dyn std::any::Any + Send>> {
    if !CALLBACK_PANICKED.get() {
        return None;
    }
    CALLBACK_PANICKED.set(false);
    PANIC.with_borrow_mut(Option::take)
}

#[cold]
fn resume_callback_panic() {
    if let Some(p) = take_callback_panic() {
        std::panic::resume_unwind(p);
    }
}

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_string()
    }
}

/// A variadic function whose fixed parameters and result are typed as
/// `fn(A, ...) -> R`; the extra arguments of each call are written to a
/// frame of a plan for them ([`BoundFn::with_variadic_plan`]).
pub struct TypedVariadic<A, R> {
    bound: Arc<BoundFn>,
    _signature: PhantomData<fn(A) -> R>,
}

impl<A, R> Clone for TypedVariadic<A, R> {
    fn clone(&self) -> Self {
        TypedVariadic {
            bound: self.bound.clone(),
            _signature: PhantomData,
        }
    }
}

impl<A: CArgs, R: CResult> TypedVariadic<A, R> {
    /// The variadic function of `bound` typed as `fn(A, ...) -> R`, if `A`
    /// passes exactly as its fixed parameters and `R` as its result.
    pub fn new(types: &Types, bound: Arc<BoundFn>) -> Result<TypedVariadic<A, R>, SafeError> {
        let plan = &bound.plan;
        let fixed = &plan.args()[..plan.fixed_args()];
        let params_match = fixed.len() == A::KINDS.len()
            && fixed
                .iter()
                .zip(A::KINDS)
                .all(|(slot, kind)| kind.matches(types, slot.ty));
        let ret_matches = match R::KIND {
            None => plan.ret_is_void(),
            Some(kind) => kind.matches(types, plan.ret()),
        };
        if !(plan.is_variadic() && params_match && ret_matches) {
            let rust = rust_signature::<A, R>().replacen(')', ", ...)", 1);
            return Err(SafeError::Signature {
                rust,
                c: c_signature(types, plan),
            });
        }
        Ok(TypedVariadic {
            bound,
            _signature: PhantomData,
        })
    }

    /// The function with its declared (fixed) plan.
    pub fn bound(&self) -> &Arc<BoundFn> {
        &self.bound
    }

    /// Calls `call`, a plan of this function for one list of extra
    /// arguments, already in `frame` at their slots, with `fixed` written
    /// to the slots of the fixed parameters; reads the result as `R`.
    ///
    /// # Safety
    /// As for [`BoundFn::call_unchecked`]; a string result as for
    /// [`TypedFn::call_unchecked`].
    pub unsafe fn call_unchecked(
        &self,
        call: &BoundFn,
        fixed: A,
        frame: &mut Frame,
        result: &mut Frame,
    ) -> Result<R, SafeError> {
        if call.addr != self.bound.addr || call.plan.fixed_args() != A::KINDS.len() {
            return Err(SafeError::Mismatch(
                "the plan is not a call of this function".into(),
            ));
        }
        fixed.write_frame(call.plan.args(), frame)?;
        // SAFETY: passed on to this function's caller.
        unsafe { call.call_unchecked(frame, result) }?;
        if result.capacity() < size_of::<R::Raw>().max(8) {
            return Err(SafeError::Mismatch("result buffer too small".into()));
        }
        // libffi widens integer results narrower than a register to one;
        // their bytes come last on a big-endian target.
        let size = size_of::<R::Raw>();
        let narrow = matches!(R::KIND, Some(RustKind::Int { .. } | RustKind::Bool)) && size < 8;
        let at = if cfg!(target_endian = "big") && narrow {
            8 - size
        } else {
            0
        };
        // SAFETY: the result buffer (at least 16 bytes, checked above to
        // hold R::Raw) holds the C result of the checked type at `at`; the
        // caller vouches for a string result.
        Ok(unsafe { R::from_raw(std::ptr::read_unaligned(result.as_mut_ptr().add(at).cast())) })
    }
}

/// The handler that reads the arguments of `fn(A) -> R`, runs `f` and
/// writes its result; only for plans checked against that signature. A
/// panic is kept for the caller (see [`take_callback_panic`]) and C sees a
/// zero result.
fn handler<A: CArgs, R: CResult>(f: impl Fn(A) -> R) -> impl Fn(&[*const u8], *mut u8) {
    move |args: &[*const u8], ret: *mut u8| {
        if CALLBACK_PANICKED.get() {
            return;
        }
        let token = Checked {
            addr: NonNull::dangling(),
        };
        let run = std::panic::AssertUnwindSafe(|| f(A::read_args(args, &token)));
        let r = match std::panic::catch_unwind(run) {
            Ok(r) => r,
            Err(payload) => {
                PANIC.with_borrow_mut(|p| *p = Some(payload));
                CALLBACK_PANICKED.set(true);
                return;
            }
        };
        // SAFETY: the trampoline gives a result buffer of at least 16 bytes
        // (or libffi's, as large as the result type), and R is the declared
        // result type, at most 8 bytes here.
        unsafe { std::ptr::write_unaligned(ret.cast::<R::Raw>(), r.into_raw()) };
    }
}

/// A C function pointer of `plan`'s type that runs `f`, if `fn(A) -> R`
/// matches that type. A panic in `f` is caught before it reaches C; the C
/// caller then sees a zero result, and the Rust code that called into C
/// gets the panic (see [`take_callback_panic`]).
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
        // SAFETY: libm's initialisers are sound.
        let lib = Arc::new(unsafe { Library::open(Some("libm.so.6"), 0) }.unwrap());
        // SAFETY: the tests declare libm's functions with their real types.
        let bound = unsafe { BoundFn::new(lib, name, plan) }.unwrap();
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
    fn safe_calls_refuse_plans_that_pass_pointers() {
        let (_, bound) = setup("double frexp(double, int *);", "frexp");
        assert!(bound.plan().passes_pointers());
        let mut frame = bound.plan().frame();
        let mut result = bound.plan().result_buffer();
        assert_eq!(
            bound.call(&mut frame, &mut result),
            Err(SafeError::PassesPointers)
        );
    }

    #[test]
    fn a_panic_in_a_typed_callback_reaches_the_caller_once() {
        let mut types = Types::new();
        let ty = types.parse_type("int(*)(int)").unwrap();
        let plan = Arc::new(CallPlan::new(&types, ty).unwrap());
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = runs.clone();
        let cb = typed_callback(&types, plan, move |(x,): (i32,)| -> i32 {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if x > 1 {
                panic!("too big: {x}");
            }
            x
        })
        .unwrap();
        let f: extern "C" fn(i32) -> i32 =
            // SAFETY: the callback's code has the C type int(*)(int).
            unsafe { std::mem::transmute(cb.code()) };
        assert_eq!(f(1), 1);
        assert_eq!(f(5), 0);
        assert_eq!(f(1), 0, "not run again until the panic is taken");
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 2);
        let payload = take_callback_panic().unwrap();
        assert_eq!(panic_message(&*payload), "too big: 5");
        assert!(take_callback_panic().is_none());
        assert_eq!(f(1), 1);
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
