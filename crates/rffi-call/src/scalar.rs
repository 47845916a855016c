//! The machine representation of a C value that fits a register class: what
//! the readers, writers and the call planner need to know of a type.

use rffi_types::{PrimClass, Type, TypeId, Types};

/// How a C value of a scalar type is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// Integers, enums, `char`, `_Bool` and the wide characters.
    Int {
        size: u8,
        signed: bool,
    },
    F32,
    F64,
    LongDouble,
    /// `float _Complex`.
    C32,
    /// `double _Complex`.
    C64,
    /// Any pointer, including function pointers.
    Pointer,
}

impl Scalar {
    /// The scalar representation of `id`, or `None` for void, arrays, records
    /// and function types.
    pub fn of(types: &Types, id: TypeId) -> Option<Scalar> {
        match types.get(id) {
            Type::Pointer(_) => Some(Scalar::Pointer),
            Type::Enum(_) => {
                let p = types.integer_prim(id)?;
                Some(Scalar::Int {
                    size: p.size() as u8,
                    signed: p.is_signed(),
                })
            }
            Type::Prim(p) => Some(match p.class() {
                PrimClass::Float if p.size() == 4 => Scalar::F32,
                PrimClass::Float => Scalar::F64,
                PrimClass::LongDouble => Scalar::LongDouble,
                PrimClass::Complex if p.size() == 8 => Scalar::C32,
                PrimClass::Complex => Scalar::C64,
                _ => Scalar::Int {
                    size: p.size() as u8,
                    signed: p.is_signed(),
                },
            }),
            _ => None,
        }
    }
}

/// The scalar representation of a shape (`None` for void, arrays, records
/// and functions).
pub trait ShapeScalar {
    fn scalar(self) -> Option<Scalar>;
}

impl ShapeScalar for rffi_types::Shape {
    fn scalar(self) -> Option<Scalar> {
        Some(match self {
            rffi_types::Shape::Int { size, signed, .. } => Scalar::Int { size, signed },
            rffi_types::Shape::Bool | rffi_types::Shape::Char => Scalar::Int {
                size: 1,
                signed: false,
            },
            rffi_types::Shape::WideChar { size } => Scalar::Int {
                size,
                signed: false,
            },
            rffi_types::Shape::Float { size: 4 } => Scalar::F32,
            rffi_types::Shape::Float { .. } => Scalar::F64,
            rffi_types::Shape::LongDouble => Scalar::LongDouble,
            rffi_types::Shape::Complex { size: 8 } => Scalar::C32,
            rffi_types::Shape::Complex { .. } => Scalar::C64,
            rffi_types::Shape::Pointer { .. } => Scalar::Pointer,
            _ => return None,
        })
    }
}
