//! The primitive types cffi knows, with the target's sizes.

use crate::target as t;

/// How values of a primitive convert: what a Python or Rust value of it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrimClass {
    /// An integer; `signed` tells how to read it.
    Int { signed: bool },
    /// `char`: a one-byte character (bytes of length 1 in Python).
    Char,
    /// `wchar_t`, `char16_t`, `char32_t`: a text character.
    WideChar { signed: bool },
    /// `_Bool`.
    Bool,
    /// `float` and `double`.
    Float,
    /// `long double`, wider than any Rust float.
    LongDouble,
    /// `float _Complex` and `double _Complex`; the size is two parts.
    Complex,
}

/// Everything known about one primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrimInfo {
    /// The spelling cffi uses in `cname` and reprs.
    pub name: &'static str,
    pub size: usize,
    pub align: usize,
    pub class: PrimClass,
}

/// A primitive type: an index into the table of this target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prim(u8);

const fn int(name: &'static str, (size, align): (usize, usize), signed: bool) -> PrimInfo {
    PrimInfo {
        name,
        size,
        align,
        class: PrimClass::Int { signed },
    }
}

const fn other(name: &'static str, (size, align): (usize, usize), class: PrimClass) -> PrimInfo {
    PrimInfo {
        name,
        size,
        align,
        class,
    }
}

const B1: (usize, usize) = (1, 1);
const B2: (usize, usize) = (2, 2);
const B4: (usize, usize) = (4, 4);
const B8: (usize, usize) = (8, 8);

static TABLE: &[PrimInfo] = &[
    other("char", B1, PrimClass::Char),
    int("signed char", B1, true),
    int("unsigned char", B1, false),
    int("short", t::SHORT, true),
    int("unsigned short", t::SHORT, false),
    int("int", t::INT, true),
    int("unsigned int", t::INT, false),
    int("long", t::LONG, true),
    int("unsigned long", t::LONG, false),
    int("long long", t::LONG_LONG, true),
    int("unsigned long long", t::LONG_LONG, false),
    other("float", t::FLOAT, PrimClass::Float),
    other("double", t::DOUBLE, PrimClass::Float),
    other("long double", t::LONG_DOUBLE, PrimClass::LongDouble),
    other("_Bool", B1, PrimClass::Bool),
    other(
        "float _Complex",
        (2 * t::FLOAT.0, t::FLOAT.1),
        PrimClass::Complex,
    ),
    other(
        "double _Complex",
        (2 * t::DOUBLE.0, t::DOUBLE.1),
        PrimClass::Complex,
    ),
    other(
        "wchar_t",
        (t::WCHAR.0, t::WCHAR.1),
        PrimClass::WideChar { signed: t::WCHAR.2 },
    ),
    other("char16_t", B2, PrimClass::WideChar { signed: false }),
    other("char32_t", B4, PrimClass::WideChar { signed: false }),
    int("int8_t", B1, true),
    int("uint8_t", B1, false),
    int("int16_t", B2, true),
    int("uint16_t", B2, false),
    int("int32_t", B4, true),
    int("uint32_t", B4, false),
    int("int64_t", B8, true),
    int("uint64_t", B8, false),
    int("int_least8_t", B1, true),
    int("uint_least8_t", B1, false),
    int("int_least16_t", B2, true),
    int("uint_least16_t", B2, false),
    int("int_least32_t", B4, true),
    int("uint_least32_t", B4, false),
    int("int_least64_t", B8, true),
    int("uint_least64_t", B8, false),
    int("int_fast8_t", B1, true),
    int("uint_fast8_t", B1, false),
    int("int_fast16_t", t::FAST16, true),
    int("uint_fast16_t", t::FAST16, false),
    int("int_fast32_t", t::FAST32, true),
    int("uint_fast32_t", t::FAST32, false),
    int("int_fast64_t", B8, true),
    int("uint_fast64_t", B8, false),
    int("intptr_t", t::POINTER, true),
    int("uintptr_t", t::POINTER, false),
    int("intmax_t", t::LONG_LONG, true),
    int("uintmax_t", t::LONG_LONG, false),
    int("ptrdiff_t", t::POINTER, true),
    int("size_t", t::POINTER, false),
    int("ssize_t", t::POINTER, true),
];

impl Prim {
    pub const CHAR: Prim = Prim(0);
    pub const INT: Prim = Prim(5);
    pub const UINT: Prim = Prim(6);
    pub const LONG: Prim = Prim(7);
    pub const ULONG: Prim = Prim(8);
    pub const DOUBLE: Prim = Prim(12);
    pub const BOOL: Prim = Prim(14);

    /// The primitive spelled `name`: a keyword spelling from
    /// [`rffi_parse::KEYWORD_PRIMITIVES`] or a builtin name such as `size_t`.
    /// `bool` is `_Bool`.
    pub fn from_name(name: &str) -> Option<Prim> {
        let name = if name == "bool" { "_Bool" } else { name };
        TABLE
            .iter()
            .position(|p| p.name == name)
            .map(|i| Prim(i as u8))
    }

    pub fn info(self) -> &'static PrimInfo {
        &TABLE[self.0 as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn size(self) -> usize {
        self.info().size
    }

    pub fn align(self) -> usize {
        self.info().align
    }

    pub fn class(self) -> PrimClass {
        self.info().class
    }

    /// True for the types that hold integers in C arithmetic, including
    /// `char`, `_Bool` and the wide characters.
    pub fn is_integer(self) -> bool {
        !matches!(
            self.class(),
            PrimClass::Float | PrimClass::LongDouble | PrimClass::Complex
        )
    }

    /// Whether an integer type reads as signed (`char` by the target's rule).
    pub fn is_signed(self) -> bool {
        match self.class() {
            PrimClass::Int { signed } | PrimClass::WideChar { signed } => signed,
            PrimClass::Char => t::CHAR_IS_SIGNED,
            PrimClass::Bool => false,
            _ => true,
        }
    }

    /// All primitives of the target.
    pub fn all() -> impl Iterator<Item = Prim> {
        (0..TABLE.len()).map(|i| Prim(i as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_constants_point_at_their_rows() {
        assert_eq!(Prim::CHAR.name(), "char");
        assert_eq!(Prim::INT.name(), "int");
        assert_eq!(Prim::UINT.name(), "unsigned int");
        assert_eq!(Prim::LONG.name(), "long");
        assert_eq!(Prim::ULONG.name(), "unsigned long");
        assert_eq!(Prim::DOUBLE.name(), "double");
        assert_eq!(Prim::BOOL.name(), "_Bool");
    }

    #[test]
    fn every_spelling_the_parser_produces_is_a_primitive() {
        for name in rffi_parse::KEYWORD_PRIMITIVES {
            assert!(Prim::from_name(name).is_some(), "{name}");
        }
        for name in rffi_parse::BUILTIN_TYPE_NAMES {
            assert!(Prim::from_name(name).is_some() || *name == "FILE", "{name}");
        }
    }

    #[test]
    fn sizes_follow_the_target() {
        assert_eq!(Prim::from_name("size_t").unwrap().size(), t::POINTER.0);
        assert_eq!(Prim::from_name("long").unwrap().size(), t::LONG.0);
        assert_eq!(Prim::from_name("bool"), Prim::from_name("_Bool"));
        assert!(!Prim::from_name("uint16_t").unwrap().is_signed());
        assert!(Prim::from_name("int64_t").unwrap().is_signed());
        assert!(!Prim::from_name("double").unwrap().is_integer());
    }
}
