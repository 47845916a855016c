//! Dynamic C values, and their conversion to and from the bytes of C types.

use std::ffi::{c_void, CStr};
use std::fmt;
use std::marker::PhantomData;

use rffi_call::memory::Value as Raw;
use rffi_call::Scalar;
use rffi_types::{PrimClass, Type, TypeId, Types};
use std::sync::Arc;

use crate::context::CType;
use crate::error::{Error, Result};
use crate::memory::CData;

/// A C value of any type, for [`Library::call`](crate::Library::call) and
/// [`CData::get`]/[`CData::set`].
///
/// Results come back as the variant of the declared type (an `int` as
/// [`Value::I32`], an `enum` as its integer type, `long double` narrowed to
/// `f64`). Arguments are converted as C converts them where no information is
/// lost: any integer variant that fits the parameter's range, integers to
/// floating parameters, `f32` and `f64` to either floating type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// The result of a `void` function.
    Void,
    /// `_Bool`.
    Bool(bool),
    /// `signed char`, `int8_t`, and `char` where it is signed.
    I8(i8),
    /// `unsigned char`, `uint8_t`, and `char` where it is unsigned.
    U8(u8),
    /// `short`, `int16_t`.
    I16(i16),
    /// `unsigned short`, `uint16_t`, `char16_t`.
    U16(u16),
    /// `int`, `int32_t`, most enums, `wchar_t` on Linux x86-64.
    I32(i32),
    /// `unsigned int`, `uint32_t`, `char32_t`, enums without negative values.
    U32(u32),
    /// `long`, `long long`, `int64_t`, `ssize_t`, `intptr_t`.
    I64(i64),
    /// `unsigned long`, `size_t`, `uint64_t`, `uintptr_t`.
    U64(u64),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
    /// `long double`, narrowed to the precision of `f64`.
    LongDouble(f64),
    /// `float _Complex`: real and imaginary parts.
    Complex32(f32, f32),
    /// `double _Complex`: real and imaginary parts.
    Complex64(f64, f64),
    /// Any pointer, function pointers included. Passing a pointer is safe;
    /// what C does with it is what its declaration promises.
    Pointer(*mut c_void),
    /// A struct or union by value.
    Struct(StructValue),
}

// SAFETY: the only field that is not Send and Sync is the raw pointer of
// `Value::Pointer`, which is an address and nothing more: this crate never
// dereferences it, and code that does needs `unsafe` of its own, where
// threads are its concern as for any raw pointer.
#[allow(unsafe_code)]
unsafe impl Send for Value {}
// SAFETY: as above; a `&Value` only reads the address.
#[allow(unsafe_code)]
unsafe impl Sync for Value {}

/// The bytes of a struct or union value, with its type.
///
/// Struct results of calls arrive as these; to make one, fill C memory of the
/// type and take its value: `ffi.alloc("struct point")?` then `.field(..)?.set(..)`
/// and `.get()?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructValue {
    pub(crate) ty: CType,
    pub(crate) bytes: Vec<u8>,
}

impl StructValue {
    /// The struct or union type.
    pub fn ctype(&self) -> CType {
        self.ty
    }

    /// The value's bytes, in C layout.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Value {
    /// The value of any integer variant (and `Bool`) as `i128`.
    pub fn as_int(&self) -> Option<i128> {
        Some(match *self {
            Value::Bool(v) => v as i128,
            Value::I8(v) => v.into(),
            Value::U8(v) => v.into(),
            Value::I16(v) => v.into(),
            Value::U16(v) => v.into(),
            Value::I32(v) => v.into(),
            Value::U32(v) => v.into(),
            Value::I64(v) => v.into(),
            Value::U64(v) => v.into(),
            _ => return None,
        })
    }

    /// The value of `F32`, `F64` and `LongDouble` as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) | Value::LongDouble(v) => Some(v),
            _ => None,
        }
    }

    /// The address of a `Pointer`.
    pub fn as_ptr(&self) -> Option<*mut c_void> {
        match *self {
            Value::Pointer(p) => Some(p),
            _ => None,
        }
    }

    /// The bytes and type of a `Struct`.
    pub fn as_struct(&self) -> Option<&StructValue> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    /// Integers in decimal, floats in Rust's shortest round-trip form,
    /// pointers in hex, complex numbers as `re+imj`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Void => f.write_str("void"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::F32(v) => write!(f, "{v}"),
            Value::F64(v) | Value::LongDouble(v) => write!(f, "{v}"),
            Value::Complex32(re, im) => write!(f, "{re}{im:+}j"),
            Value::Complex64(re, im) => write!(f, "{re}{im:+}j"),
            Value::Pointer(p) => write!(f, "{:p}", *p),
            Value::Struct(s) => write!(f, "<struct of {} bytes>", s.bytes.len()),
            other => write!(f, "{}", other.as_int().unwrap_or_default()),
        }
    }
}

macro_rules! from_rust {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v)
            }
        }
    )*};
}

from_rust! {
    bool => Bool, i8 => I8, u8 => U8, i16 => I16, u16 => U16, i32 => I32, u32 => U32,
    i64 => I64, u64 => U64, f32 => F32, f64 => F64, *mut c_void => Pointer,
    StructValue => Struct,
}

impl From<*const c_void> for Value {
    fn from(p: *const c_void) -> Value {
        Value::Pointer(p.cast_mut())
    }
}

/// An argument of [`Library::call_unchecked`](crate::Library::call_unchecked):
/// a [`Value`], or memory lent to C for the call. The lifetime `'a` keeps
/// what is lent (a `&CStr`, a slice, a [`CData`], a [`Callback`](crate::Callback))
/// alive and borrowed until the call returns; `&mut` slices and scalars are
/// lent for C to write to.
///
/// ```
/// use std::ffi::CStr;
/// let ffi = rffi::Ffi::new();
/// ffi.cdef("int snprintf(char *buf, size_t n, const char *fmt, ...);")?;
/// // SAFETY: the process exports libc's snprintf, declared as C declares it.
/// let libc = unsafe { ffi.dlopen_process() }?;
/// let mut buf = [0u8; 16];
/// let n = buf.len() as u64;
/// // SAFETY: snprintf writes at most `n` bytes to `buf` and reads `fmt`,
/// // a C string, and an int for its `%d`.
/// unsafe {
///     libc.call_unchecked("snprintf", &[(&mut buf[..]).into(), n.into(), c"<%d>".into(), 42.into()])
/// }?;
/// assert_eq!(CStr::from_bytes_until_nul(&buf).unwrap(), c"<42>");
/// # Ok::<(), rffi::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Arg<'a> {
    value: Value,
    _lent: PhantomData<&'a mut [u8]>,
}

impl Arg<'_> {
    /// The value passed: for lent memory, a [`Value::Pointer`] to it.
    pub fn value(&self) -> &Value {
        &self.value
    }

    pub(crate) fn lent(p: *mut c_void) -> Self {
        Arg {
            value: Value::Pointer(p),
            _lent: PhantomData,
        }
    }
}

impl From<Value> for Arg<'_> {
    fn from(value: Value) -> Self {
        Arg {
            value,
            _lent: PhantomData,
        }
    }
}

impl<'a> From<&'a CStr> for Arg<'a> {
    /// The string's first byte, NUL-terminated: a `const char *`.
    fn from(s: &'a CStr) -> Self {
        Arg::lent(s.as_ptr().cast_mut().cast())
    }
}

impl<'a> From<&'a CData> for Arg<'a> {
    /// A pointer to the memory.
    fn from(data: &'a CData) -> Self {
        Arg::lent(data.as_ptr())
    }
}

impl AsRef<Value> for Value {
    fn as_ref(&self) -> &Value {
        self
    }
}

impl AsRef<Value> for Arg<'_> {
    fn as_ref(&self) -> &Value {
        &self.value
    }
}

macro_rules! lend {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Arg<'_> {
            fn from(v: $t) -> Self {
                Value::from(v).into()
            }
        }
        impl<'a> From<&'a [$t]> for Arg<'a> {
            /// A pointer to the first item, for C to read.
            fn from(items: &'a [$t]) -> Self {
                Arg::lent(items.as_ptr().cast_mut().cast())
            }
        }
        impl<'a> From<&'a mut [$t]> for Arg<'a> {
            /// A pointer to the first item, for C to read and write.
            fn from(items: &'a mut [$t]) -> Self {
                Arg::lent(items.as_mut_ptr().cast())
            }
        }
        impl<'a> From<&'a mut $t> for Arg<'a> {
            /// A pointer to the value, for C to write (an out parameter).
            fn from(item: &'a mut $t) -> Self {
                Arg::lent(std::ptr::from_mut(item).cast())
            }
        }
    )*};
}

lend!(bool, i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

impl From<*mut c_void> for Arg<'_> {
    fn from(p: *mut c_void) -> Self {
        Value::Pointer(p).into()
    }
}

impl From<*const c_void> for Arg<'_> {
    fn from(p: *const c_void) -> Self {
        Value::Pointer(p.cast_mut()).into()
    }
}

impl From<StructValue> for Arg<'_> {
    fn from(v: StructValue) -> Self {
        Value::Struct(v).into()
    }
}

/// A value ready to be stored as a C type.
pub(crate) enum Stored<'a> {
    Scalar(Scalar, Raw),
    Bytes(&'a [u8]),
}

fn int_range(size: u8, signed: bool) -> (i128, i128) {
    let bits = u32::from(size) * 8;
    if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// What storing a value as one C type takes, worked out once per type (a
/// prepared function keeps one per parameter): no type lookups per value.
#[derive(Clone, Debug)]
pub(crate) struct Conv {
    kind: ConvKind,
    ty: TypeId,
    /// The C spelling, for errors.
    cname: Arc<str>,
}

#[derive(Clone, Debug)]
enum ConvKind {
    Int {
        s: Scalar,
        lo: i128,
        hi: i128,
        is_bool: bool,
    },
    Float(Scalar),
    Complex(Scalar),
    Pointer,
    Record {
        size: Option<usize>,
    },
    Other,
}

impl Conv {
    pub(crate) fn of(types: &Types, ty: TypeId) -> Conv {
        let class = match types.get(ty) {
            Type::Prim(p) => Some(p.class()),
            _ => None,
        };
        let kind = match Scalar::of(types, ty) {
            Some(s @ Scalar::Int { size, signed }) => {
                let (lo, hi) = match class {
                    Some(PrimClass::Bool) => (0, 1),
                    Some(PrimClass::Char) => (-128, 255),
                    _ => int_range(size, signed),
                };
                ConvKind::Int {
                    s,
                    lo,
                    hi,
                    is_bool: class == Some(PrimClass::Bool),
                }
            }
            Some(s @ (Scalar::F32 | Scalar::F64 | Scalar::LongDouble)) => ConvKind::Float(s),
            Some(s @ (Scalar::C32 | Scalar::C64)) => ConvKind::Complex(s),
            Some(Scalar::Pointer) => ConvKind::Pointer,
            None if matches!(types.get(ty), Type::Record(_)) => ConvKind::Record {
                size: types.size_of(ty).ok(),
            },
            None => ConvKind::Other,
        };
        Conv {
            kind,
            ty,
            cname: types.cname(ty).into(),
        }
    }

    /// How the type is stored when it is a scalar.
    pub(crate) fn scalar(&self) -> Option<Scalar> {
        match self.kind {
            ConvKind::Int { s, .. } | ConvKind::Float(s) | ConvKind::Complex(s) => Some(s),
            ConvKind::Pointer => Some(Scalar::Pointer),
            ConvKind::Record { .. } | ConvKind::Other => None,
        }
    }

    /// Checks `v` against the type and gives what to store. `place` names
    /// the destination for errors; `ffi` is the id of the context.
    pub(crate) fn store<'a>(
        &self,
        ffi: u64,
        v: &'a Value,
        place: &dyn Fn() -> String,
    ) -> Result<Stored<'a>> {
        let wrong = || Error::WrongType {
            place: place(),
            ctype: self.cname.to_string(),
            got: format!("{v:?}"),
        };
        let stored = match self.kind {
            ConvKind::Int { s, lo, hi, .. } => {
                let i = v.as_int().ok_or_else(wrong)?;
                if i < lo || i > hi {
                    return Err(Error::Overflow {
                        place: place(),
                        ctype: self.cname.to_string(),
                        value: i.to_string(),
                    });
                }
                return Ok(Stored::Scalar(s, Raw::Int(i)));
            }
            ConvKind::Float(s) => {
                let f = match v.as_f64() {
                    Some(f) => f,
                    None => v.as_int().ok_or_else(wrong)? as f64,
                };
                return Ok(Stored::Scalar(s, Raw::Float(f)));
            }
            ConvKind::Complex(s) => {
                let (re, im) = match *v {
                    Value::Complex32(re, im) => (re.into(), im.into()),
                    Value::Complex64(re, im) => (re, im),
                    _ => (v.as_f64().ok_or_else(wrong)?, 0.0),
                };
                Stored::Scalar(s, Raw::Complex(re, im))
            }
            ConvKind::Pointer => {
                let p = v.as_ptr().ok_or_else(wrong)?;
                Stored::Scalar(Scalar::Pointer, Raw::Pointer(p.expose_provenance()))
            }
            ConvKind::Record { size } => {
                let Value::Struct(sv) = v else {
                    return Err(wrong());
                };
                if sv.ty.ffi != ffi {
                    return Err(Error::ForeignType { what: place() });
                }
                if sv.ty.id != self.ty || Some(sv.bytes.len()) != size {
                    return Err(wrong());
                }
                return Ok(Stored::Bytes(&sv.bytes));
            }
            ConvKind::Other => {
                return Err(Error::Unsupported {
                    ctype: self.cname.to_string(),
                    reason: format!("{} has no value that can be stored", place()),
                })
            }
        };
        Ok(stored)
    }
}

/// The [`Value`] of a scalar of the type of `conv` read as `raw`.
pub(crate) fn from_c(conv: &Conv, raw: Raw) -> Value {
    let is_bool = matches!(conv.kind, ConvKind::Int { is_bool: true, .. });
    let s = conv.scalar().unwrap_or(Scalar::Pointer);
    match (s, raw) {
        (Scalar::Int { .. }, Raw::Int(i)) if is_bool => Value::Bool(i != 0),
        (Scalar::Int { size, signed }, Raw::Int(i)) => match (size, signed) {
            (1, true) => Value::I8(i as i8),
            (1, false) => Value::U8(i as u8),
            (2, true) => Value::I16(i as i16),
            (2, false) => Value::U16(i as u16),
            (4, true) => Value::I32(i as i32),
            (4, false) => Value::U32(i as u32),
            (_, true) => Value::I64(i as i64),
            (_, false) => Value::U64(i as u64),
        },
        (Scalar::F32, Raw::Float(f)) => Value::F32(f as f32),
        (Scalar::LongDouble, Raw::Float(f)) => Value::LongDouble(f),
        (Scalar::C32, Raw::Complex(re, im)) => Value::Complex32(re as f32, im as f32),
        (Scalar::C64, Raw::Complex(re, im)) => Value::Complex64(re, im),
        (_, Raw::Float(f)) => Value::F64(f),
        (_, Raw::Pointer(p)) => Value::Pointer(std::ptr::with_exposed_provenance_mut(p)),
        (_, Raw::Int(i)) => Value::I64(i as i64),
        (_, Raw::Complex(re, im)) => Value::Complex64(re, im),
    }
}
