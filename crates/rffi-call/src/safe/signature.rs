//! How Rust types travel to and from C, and the check of a Rust signature
//! against a declared C function type: scalars, `#[repr(C)]` structs
//! ([`c_struct!`](crate::c_struct)), string results, argument tuples.

use std::ffi::{c_void, CStr};
use std::ptr::NonNull;

use rffi_types::{PrimClass, Type, TypeId, Types};

use super::SafeError;
use crate::plan::{ArgSlot, CallPlan, Frame};
use crate::Scalar;

mod sealed {
    pub trait Scalar {}
    pub trait Args {}
    pub trait Result {}
    pub trait PointerFree {}
}

/// Argument tuples that hold no pointer: integers, floats, `bool`, and
/// [`CStruct`]s whose fields hold none. Typed calls with them are safe
/// ([`TypedFn::call`](super::TypedFn::call)); calls that pass raw pointers need
/// [`TypedFn::call_unchecked`](super::TypedFn::call_unchecked).
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
    /// value, for a string a valid one (see [`TypedFn::call_unchecked`](super::TypedFn::call_unchecked)).
    #[doc(hidden)]
    unsafe fn from_raw(raw: Self::Raw) -> Self;
    #[doc(hidden)]
    fn into_raw(self) -> Self::Raw;
}

/// Proof that an address was checked against a Rust signature; only this
/// module makes one, so the tuple methods below cannot be misused.
pub struct Checked {
    pub(super) addr: NonNull<c_void>,
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
    /// The arguments a callback was given.
    ///
    /// # Safety
    /// `args` has one pointer per parameter, each to a readable value of
    /// that parameter's C type (any alignment): what the trampoline of a
    /// callback whose plan was checked against `Self` passes. (The token
    /// proves nothing about `args`.)
    #[doc(hidden)]
    unsafe fn read_args(args: &[*const u8], token: &Checked) -> Self;
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
