//! Struct and union layout by GCC's rules for the System V ABIs (x86-64,
//! aarch64): alignment, padding, bitfields, `packed`, `#pragma pack(N)` and
//! `aligned(N)`.
//!
//! Positions are counted in bits so that bitfields and ordinary members share
//! one cursor.

use rffi_parse::RecordKind;

use crate::error::{ErrorKind, Result, TypeError};
use crate::model::{BitField, Field, RecordLayout, Type, TypeId};
use crate::registry::Types;
use crate::target;

/// A member as declared, its type resolved.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// `None` for anonymous records and unnamed bitfields.
    pub name: Option<String>,
    pub ty: TypeId,
    pub bits: Option<usize>,
    /// `__attribute__((packed))` on the member.
    pub packed: bool,
    /// `__attribute__((aligned(N)))` on the member.
    pub aligned: Option<usize>,
}

/// What applies to the whole record.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Rules {
    /// `__attribute__((packed))` on the record.
    pub packed: bool,
    /// `__attribute__((aligned(N)))` on the record.
    pub aligned: Option<usize>,
    /// `#pragma pack(N)` (cffi's `pack=N`; `packed=True` is `pack=1`).
    pub pack: Option<usize>,
}

/// A position or length in bits. A record may be `MAX_OBJECT_SIZE` bytes
/// long, which is more bits than a `usize` counts.
type Bits = u128;

/// The end of the largest record the target can hold.
const MAX_BITS: Bits = target::MAX_OBJECT_SIZE as Bits * 8;

/// The state of laying out one record.
struct Cursor {
    union: bool,
    /// Next free bit (structs) or the largest end seen (unions); never past
    /// `MAX_BITS`.
    end: Bits,
    align: usize,
    fields: Vec<Field>,
}

fn bits(bytes: usize) -> Bits {
    bytes as Bits * 8
}

/// `v` rounded up to a multiple of `to`; `None` for `to == 0` or past `MAX_BITS`.
fn round_up(v: Bits, to: Bits) -> Option<Bits> {
    v.checked_next_multiple_of(to).filter(|&r| r <= MAX_BITS)
}

fn field_error(m: &Member, what: &str) -> TypeError {
    let name = m.name.as_deref().unwrap_or("<anonymous>");
    TypeError::new(ErrorKind::Declaration, format!("field '{name}' {what}"))
}

/// A member that leaves its record without a layout. cffi accepts such a
/// declaration and raises `TypeError` when the record is first used (it lays
/// records out lazily), so rffi keeps the fault and reports it on use, named
/// as the record is named then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The member's name; empty for an unnamed bitfield.
    field: String,
    what: FaultKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum FaultKind {
    /// A bitfield whose type is not an integer (`float x:1`).
    NotInteger(TypeId),
    /// A named bitfield of width zero (`char x:0`).
    NamedZero,
    /// A bitfield wider than its type (`char x:9`).
    TooWide(TypeId, usize),
    /// A member without a size: `void`, an opaque struct, `T[]` not at the end.
    UnknownSize(TypeId),
}

impl Fault {
    fn new(m: &Member, what: FaultKind) -> Fault {
        Fault {
            field: m.name.clone().unwrap_or_default(),
            what,
        }
    }

    /// cffi's `TypeError`, for the record named `record`.
    pub(crate) fn error(&self, types: &Types, record: &str) -> TypeError {
        let field = format!("{record}.{}", self.field);
        let message = match &self.what {
            FaultKind::NotInteger(ty) => format!(
                "field '{field}' declared as '{}' cannot be a bit field",
                types.cname(*ty)
            ),
            FaultKind::NamedZero => format!("field '{field}' is declared with :0"),
            FaultKind::TooWide(ty, width) => format!(
                "bit field '{field}' is declared '{}:{width}', which exceeds the width of the type",
                types.cname(*ty)
            ),
            FaultKind::UnknownSize(ty) => format!(
                "field '{field}' has ctype '{}' of unknown size",
                types.cname(*ty)
            ),
        };
        TypeError::new(ErrorKind::BadLayout, message)
    }
}

/// Why a record could not be laid out.
enum Refusal {
    /// Refused at once (a type too large, a member of function type).
    Now(TypeError),
    /// Accepted, refused on use.
    Fault(Fault),
}

type Placed<T> = std::result::Result<T, Refusal>;

impl From<TypeError> for Refusal {
    fn from(e: TypeError) -> Refusal {
        Refusal::Now(e)
    }
}

fn too_large(m: &Member) -> TypeError {
    let name = m.name.as_deref().unwrap_or("<anonymous>");
    TypeError::new(
        ErrorKind::TooLarge,
        format!(
            "field '{name}' does not fit: the type would be larger than {} bytes",
            target::MAX_OBJECT_SIZE
        ),
    )
}

/// GCC's `excess_unit_span`: would a bitfield of `width` bits at bit `pos`
/// touch more `align`-sized units than its type has?
fn spans_too_many_units(pos: Bits, width: Bits, align_bits: Bits, size_bits: Bits) -> bool {
    let within = pos % align_bits;
    (within + width).div_ceil(align_bits) > size_bits / align_bits
}

impl Types {
    /// The layout of a record named `name`, every fault an error.
    pub(crate) fn lay_out(
        &self,
        name: &str,
        kind: RecordKind,
        members: &[Member],
        rules: Rules,
    ) -> Result<RecordLayout> {
        self.lay_out_or_fault(kind, members, rules)?
            .map_err(|f| f.error(self, name))
    }

    /// The layout of a record; the inner error is a fault cffi reports only
    /// when the record is used.
    pub(crate) fn lay_out_or_fault(
        &self,
        kind: RecordKind,
        members: &[Member],
        rules: Rules,
    ) -> Result<std::result::Result<RecordLayout, Fault>> {
        match self.try_lay_out(kind, members, rules) {
            Ok(layout) => Ok(Ok(layout)),
            Err(Refusal::Fault(f)) => Ok(Err(f)),
            Err(Refusal::Now(e)) => Err(e),
        }
    }

    fn try_lay_out(
        &self,
        kind: RecordKind,
        members: &[Member],
        rules: Rules,
    ) -> Placed<RecordLayout> {
        let mut c = Cursor {
            union: kind == RecordKind::Union,
            end: 0,
            align: 1,
            fields: Vec::new(),
        };
        let mut flexible = false;
        for (i, m) in members.iter().enumerate() {
            let last = i + 1 == members.len();
            if let Type::Array(_, None) = self.get(m.ty) {
                if !last || c.union || m.bits.is_some() {
                    return Err(Refusal::Fault(Fault::new(m, FaultKind::UnknownSize(m.ty))));
                }
                flexible = true;
            }
            match m.bits {
                Some(width) => self.place_bitfield(&mut c, m, width, rules)?,
                None => self.place_member(&mut c, m, rules)?,
            }
        }
        let mut align = c.align;
        if let Some(a) = rules.aligned {
            align = align.max(a);
        }
        let too_large = || {
            TypeError::new(
                ErrorKind::TooLarge,
                format!(
                    "the type is too large: more than {} bytes",
                    target::MAX_OBJECT_SIZE
                ),
            )
        };
        let bytes = round_up(c.end.div_ceil(8) * 8, bits(align)).ok_or_else(too_large)? / 8;
        // cffi gives a record that would be empty (`struct { int a[0]; }`)
        // size 1, as C++ does, where GCC's C says 0.
        let size = usize::try_from(bytes).map_err(|_| too_large())?.max(1);
        Ok(RecordLayout {
            size,
            align,
            fields: c.fields,
            flexible,
        })
    }

    /// Size and alignment of a member's type; a flexible array counts as empty.
    fn member_size_align(&self, m: &Member) -> Placed<(usize, usize)> {
        if let Type::Array(_, None) = self.get(m.ty) {
            return Ok((0, self.item_align(m.ty)?));
        }
        self.size_align(m.ty)
            .map_err(|e| match (e.kind, self.get(m.ty)) {
                (ErrorKind::TooLarge, _) => Refusal::Now(e),
                // cffi cannot even render a member of function type.
                (_, Type::Function(_)) => Refusal::Now(field_error(
                    m,
                    &format!("has incomplete type '{}'", self.cname(m.ty)),
                )),
                _ => Refusal::Fault(Fault::new(m, FaultKind::UnknownSize(m.ty))),
            })
    }

    fn place_member(&self, c: &mut Cursor, m: &Member, rules: Rules) -> Placed<()> {
        let (size, type_align) = self.member_size_align(m)?;
        // A packed member gets exactly the alignment it asks for, or none;
        // packing wins even over an aligned type (GCC's `old_user_align`).
        let mut align = match (rules.packed || m.packed, m.aligned) {
            (true, Some(a)) => a,
            (true, None) => 1,
            (false, Some(a)) => type_align.max(a),
            (false, None) => type_align,
        };
        if let Some(p) = rules.pack {
            align = align.min(p);
        }
        let start = if c.union {
            0
        } else {
            round_up(c.end, bits(align)).ok_or_else(|| too_large(m))?
        };
        let end = start + bits(size);
        if end > MAX_BITS {
            return Err(too_large(m).into());
        }
        c.align = c.align.max(align);
        c.fields.push(Field {
            name: m.name.clone().unwrap_or_default(),
            ty: m.ty,
            offset: byte_of(start),
            bits: None,
        });
        c.advance(end);
        Ok(())
    }

    fn place_bitfield(&self, c: &mut Cursor, m: &Member, width: usize, rules: Rules) -> Placed<()> {
        // cffi's order: the size, then the type, then the width.
        let (size, align) = self.member_size_align(m)?;
        let fault = |what| Err(Refusal::Fault(Fault::new(m, what)));
        if self.integer_prim(m.ty).is_none() {
            return fault(FaultKind::NotInteger(m.ty));
        }
        let (size_bits, align_bits, width_bits) = (bits(size), bits(align), width as Bits);
        if width_bits > size_bits {
            return fault(FaultKind::TooWide(m.ty, width));
        }
        let width = width_bits;
        if width == 0 {
            if m.name.is_some() {
                return fault(FaultKind::NamedZero);
            }
            // A zero-width bitfield moves the next member to a unit boundary of
            // its type; neither `packed` nor `pack` changes that.
            if !c.union {
                c.end = round_up(c.end, align_bits).ok_or_else(|| too_large(m))?;
            }
            return Ok(());
        }
        let packed = rules.packed || m.packed;
        let mut start = if c.union { 0 } else { c.end };
        if let Some(a) = m.aligned {
            start = round_up(start, bits(a)).ok_or_else(|| too_large(m))?;
            c.align = c.align.max(a);
        }
        if rules.pack.is_none()
            && !packed
            && spans_too_many_units(start, width, align_bits, size_bits)
        {
            start = round_up(start, align_bits).ok_or_else(|| too_large(m))?;
        }
        let end = start + width;
        if end > MAX_BITS {
            return Err(too_large(m).into());
        }
        if let Some(name) = &m.name {
            // Only named bitfields give the record their type's alignment.
            let field_align = match rules.pack {
                Some(p) => align.min(p),
                None if packed => 1,
                None => align,
            };
            c.align = c.align.max(field_align);
            c.fields.push(Field {
                name: name.clone(),
                ty: m.ty,
                offset: byte_of(start),
                bits: Some(BitField {
                    shift: (start % 8) as u32,
                    width: width as u32,
                }),
            });
        }
        c.advance(end);
        Ok(())
    }
}

/// The byte holding bit `pos`; lossless because positions stay within `MAX_BITS`.
fn byte_of(pos: Bits) -> usize {
    (pos / 8) as usize
}

impl Cursor {
    fn advance(&mut self, end: Bits) {
        self.end = if self.union { self.end.max(end) } else { end };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_span() {
        // int (32 bits) at bit 30, 4 wide: crosses into the next int.
        assert!(spans_too_many_units(30, 4, 32, 32));
        assert!(!spans_too_many_units(28, 4, 32, 32));
        // long long aligned to 4 (i386) may span two 4-byte units.
        assert!(!spans_too_many_units(16, 40, 32, 64));
        assert!(spans_too_many_units(16, 60, 32, 64));
    }
}
