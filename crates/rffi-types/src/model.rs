//! The interned type graph: ids, the kinds of types, records and enums.

use crate::prim::Prim;
use rffi_parse::RecordKind;

/// A type of one [`Types`](crate::Types) registry, or a shared one that
/// every registry knows ([`is_shared`](TypeId::is_shared)). Equal ids of one
/// registry are equal types; so are equal shared ids of any registries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub(crate) u32);

/// The tag bit of shared ids.
pub(crate) const SHARED: u32 = 1 << 31;

impl TypeId {
    /// The position of the type among its registry's own types, or among
    /// the shared types for a shared id; dense, from 0 in each.
    pub fn index(self) -> usize {
        (self.0 & !SHARED) as usize
    }

    /// Whether the type depends on no declaration (`int`, `char *[4]`,
    /// `void(*)(int)`): then its id is the same in every registry of the
    /// process (see `shared.rs`).
    #[inline]
    pub fn is_shared(self) -> bool {
        self.0 & SHARED != 0
    }
}

/// A struct or union of a registry; its layout may arrive later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub(crate) u32);

/// An enum of a registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub(crate) u32);

/// What a type is. Typedefs are transparent and have no kind of their own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Void,
    Prim(Prim),
    Pointer(TypeId),
    /// An array; `None` is an array of unknown length (`int[]`).
    Array(TypeId, Option<usize>),
    Record(RecordId),
    Enum(EnumId),
    /// A function type (not a pointer to one).
    Function(FuncType),
}

/// The signature of a function type. Array parameters are already adjusted to
/// pointers and function parameters to function pointers, as C does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    pub ret: TypeId,
    pub params: Vec<TypeId>,
    pub variadic: bool,
}

/// A struct or union. `layout` is `None` while it is opaque.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    /// How cffi names it: `struct point`, a typedef name for an anonymous
    /// record (`anon_t`), or `struct $1` for one with neither.
    pub name: String,
    /// The tag, if it has one.
    pub tag: Option<String>,
    pub layout: Option<RecordLayout>,
}

/// The computed layout of a complete struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordLayout {
    pub size: usize,
    pub align: usize,
    /// Direct members in declaration order; anonymous struct/union members have
    /// the name `""`, unnamed bitfields are left out.
    pub fields: Vec<Field>,
    /// True when the last member is a flexible array (`int data[];`).
    pub flexible: bool,
}

/// One member of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: TypeId,
    /// Byte offset; for a bitfield, the byte holding its first bit.
    pub offset: usize,
    pub bits: Option<BitField>,
}

/// Where a bitfield sits: bits `[offset * 8 + shift, offset * 8 + shift + width)`
/// of the record, bit 0 the least significant bit of byte 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitField {
    pub shift: u32,
    pub width: u32,
}

/// An enum and its enumerators in declaration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDef {
    /// `enum color`, a typedef name for an anonymous enum, or `enum $1`.
    pub name: String,
    pub tag: Option<String>,
    /// `None` while only declared (`enum e;`).
    pub variants: Option<Vec<(String, i128)>>,
    /// The integer type GCC picks for it.
    pub base: Prim,
}
