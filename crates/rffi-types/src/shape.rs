//! Shapes: what the layers above need to know of a type to convert or call
//! it, in one small value.

use crate::{Prim, PrimClass, RecordKind, Type, TypeId, Types};

/// The classification of a type that conversions and calls work from: its
/// kind, and for scalars their size and signedness. Computed once per type
/// (the Python layer caches it lock-free), so that no lock is held while
/// Python code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Void,
    Int {
        size: u8,
        signed: bool,
        is_enum: bool,
    },
    Bool,
    Char,
    WideChar {
        size: u8,
    },
    Float {
        size: u8,
    },
    LongDouble,
    Complex {
        size: u8,
    },
    Pointer {
        item: TypeId,
    },
    Array {
        item: TypeId,
        len: Option<usize>,
    },
    Record {
        union: bool,
    },
    Function,
}

impl Shape {
    /// Whether values of this shape are primitives as cffi counts them
    /// (not void, pointers, arrays, records or functions).
    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            Shape::Void
                | Shape::Pointer { .. }
                | Shape::Array { .. }
                | Shape::Record { .. }
                | Shape::Function
        )
    }
}

/// The shape of `id` in `types`.
pub fn shape_of(types: &Types, id: TypeId) -> Shape {
    match types.get(id) {
        Type::Void => Shape::Void,
        Type::Prim(p) => prim_shape(*p),
        Type::Pointer(item) => Shape::Pointer { item: *item },
        Type::Array(item, len) => Shape::Array {
            item: *item,
            len: *len,
        },
        Type::Record(r) => Shape::Record {
            union: types.record(*r).kind == RecordKind::Union,
        },
        Type::Enum(_) => {
            let p = types.integer_prim(id).unwrap_or(Prim::UINT);
            Shape::Int {
                size: p.size() as u8,
                signed: p.is_signed(),
                is_enum: true,
            }
        }
        Type::Function(_) => Shape::Function,
    }
}

fn prim_shape(p: Prim) -> Shape {
    let size = p.size() as u8;
    match p.class() {
        PrimClass::Int { signed } => Shape::Int {
            size,
            signed,
            is_enum: false,
        },
        PrimClass::Char => Shape::Char,
        PrimClass::WideChar { .. } => Shape::WideChar { size },
        PrimClass::Bool => Shape::Bool,
        PrimClass::Float => Shape::Float { size },
        PrimClass::LongDouble => Shape::LongDouble,
        PrimClass::Complex => Shape::Complex { size },
    }
}
