//! Reading the byte strings of an out-of-line module into plain tables.
//!
//! Every number in them is 4 bytes, big-endian. An op word is `(arg << 8) | op`, the arg
//! read as a signed number (`FF FF FF 0B` is op 11 with arg -1). Names run to the end of
//! their byte string or to a NUL byte, as cffi reads them as C strings.

use super::{OutOfLineError, Result};

/// The opcodes of cffi's type and global tables (`cffi_opcode.py`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op;

impl Op {
    pub const PRIMITIVE: u8 = 1;
    pub const POINTER: u8 = 3;
    pub const ARRAY: u8 = 5;
    pub const OPEN_ARRAY: u8 = 7;
    pub const STRUCT_UNION: u8 = 9;
    pub const ENUM: u8 = 11;
    pub const FUNCTION: u8 = 13;
    pub const FUNCTION_END: u8 = 15;
    pub const NOOP: u8 = 17;
    pub const BITFIELD: u8 = 19;
    pub const TYPENAME: u8 = 21;
    pub const CONSTANT_INT: u8 = 31;
    pub const GLOBAL_VAR: u8 = 33;
    pub const DLOPEN_FUNC: u8 = 35;
    pub const DLOPEN_CONST: u8 = 37;
}

/// Flags of a `_struct_unions` entry.
pub const F_UNION: u32 = 0x01;
pub const F_PACKED: u32 = 0x04;
pub const F_EXTERNAL: u32 = 0x08;
pub const F_OPAQUE: u32 = 0x10;

/// The tables as the module passes them, byte strings not yet read.
#[derive(Clone, Debug, Default)]
pub struct RawTables<'a> {
    pub types: &'a [u8],
    /// Pairs of an op word followed by the name, and the value that matters for
    /// integer constants only (already reduced as cffi reduces it, see [`Global::value`]).
    pub globals: Vec<(&'a [u8], i128)>,
    /// Per struct or union: its own entry, then one per field.
    pub struct_unions: Vec<Vec<&'a [u8]>>,
    pub enums: Vec<&'a [u8]>,
    pub typenames: Vec<&'a [u8]>,
}

/// A global: a function, variable, constant or enumerator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    pub name: String,
    pub op: u8,
    pub arg: i32,
    /// For `CONSTANT_INT` and `ENUM`: the value, a C `unsigned long long` when the
    /// module's number was positive and a `long long` otherwise.
    pub value: i128,
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldEntry {
    /// An anonymous member or an unnamed bitfield when empty.
    pub name: String,
    /// The index of the member's type.
    pub type_index: i32,
    /// The width of a bitfield.
    pub bits: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructUnion {
    /// `tag`, `$name` (an anonymous record named by a typedef) or `$N`.
    pub name: String,
    /// The index of its `STRUCT_UNION` op in the type table.
    pub type_index: i32,
    pub flags: u32,
    pub fields: Vec<FieldEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumEntry {
    pub name: String,
    pub type_index: i32,
    /// The primitive index of the integer type that holds it.
    pub prim: i32,
    /// Names only; the values are in the globals.
    pub enumerators: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typename {
    pub name: String,
    pub type_index: i32,
}

/// The decoded tables of one module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    /// The op words of `_types`.
    pub types: Vec<i32>,
    pub globals: Vec<Global>,
    pub struct_unions: Vec<StructUnion>,
    pub enums: Vec<EnumEntry>,
    pub typenames: Vec<Typename>,
}

/// The op of a word.
pub fn op_of(word: i32) -> u8 {
    (word & 0xFF) as u8
}

/// The arg of a word, shifted arithmetically as cffi's `_CFFI_GETARG`.
pub fn arg_of(word: i32) -> i32 {
    word >> 8
}

/// A reader over one byte string, naming the table in its errors.
struct Bytes<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Bytes<'a> {
    fn word(&mut self) -> Result<i32> {
        let Some((head, rest)) = self.data.split_first_chunk::<4>() else {
            return Err(OutOfLineError::malformed(format!(
                "an entry of {} is cut short",
                self.what
            )));
        };
        self.data = rest;
        Ok(i32::from_be_bytes(*head))
    }

    /// The bytes up to a NUL or the end; the NUL is consumed.
    fn name(&mut self) -> Result<String> {
        let end = self
            .data
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.data.len());
        let text = std::str::from_utf8(&self.data[..end]).map_err(|_| {
            OutOfLineError::malformed(format!("a name in {} is not UTF-8", self.what))
        })?;
        self.data = self.data.get(end + 1..).unwrap_or(&[]);
        Ok(text.to_string())
    }
}

impl Tables {
    /// Reads the byte strings. Only their form is checked here; what they refer to
    /// is checked when they are declared.
    pub fn decode(raw: &RawTables<'_>) -> Result<Tables> {
        let mut types = Bytes {
            data: raw.types,
            what: "_types",
        };
        let mut words = Vec::with_capacity(raw.types.len() / 4);
        // cffi ignores a trailing part shorter than a word.
        while types.data.len() >= 4 {
            words.push(types.word()?);
        }
        Ok(Tables {
            types: words,
            globals: raw
                .globals
                .iter()
                .map(|(b, value)| decode_global(b, *value))
                .collect::<Result<_>>()?,
            struct_unions: raw
                .struct_unions
                .iter()
                .map(|entry| decode_struct_union(entry))
                .collect::<Result<_>>()?,
            enums: raw
                .enums
                .iter()
                .map(|b| decode_enum(b))
                .collect::<Result<_>>()?,
            typenames: raw
                .typenames
                .iter()
                .map(|b| {
                    let mut r = Bytes {
                        data: b,
                        what: "_typenames",
                    };
                    Ok(Typename {
                        type_index: r.word()?,
                        name: r.name()?,
                    })
                })
                .collect::<Result<_>>()?,
        })
    }
}

fn decode_global(b: &[u8], value: i128) -> Result<Global> {
    let mut r = Bytes {
        data: b,
        what: "_globals",
    };
    let word = r.word()?;
    Ok(Global {
        op: op_of(word),
        arg: arg_of(word),
        name: r.name()?,
        value,
    })
}

fn decode_struct_union(entry: &[&[u8]]) -> Result<StructUnion> {
    let what = "_struct_unions";
    let Some((head, fields)) = entry.split_first() else {
        return Err(OutOfLineError::malformed(format!(
            "an entry of {what} is empty"
        )));
    };
    let mut r = Bytes { data: head, what };
    let type_index = r.word()?;
    let flags = r.word()? as u32;
    let name = r.name()?;
    let fields = fields
        .iter()
        .map(|f| {
            let mut r = Bytes { data: f, what };
            let word = r.word()?;
            let bits = match op_of(word) {
                super::Op::NOOP => None,
                super::Op::BITFIELD => Some(r.word()? as u32),
                op => {
                    return Err(OutOfLineError::new(
                        super::OutOfLineErrorKind::NotImplemented,
                        format!("field op={op}"),
                    ))
                }
            };
            Ok(FieldEntry {
                type_index: arg_of(word),
                bits,
                name: r.name()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if flags & (F_OPAQUE | F_EXTERNAL) != 0 && !fields.is_empty() {
        return Err(OutOfLineError::malformed(format!(
            "the opaque or external '{name}' of {what} has fields"
        )));
    }
    Ok(StructUnion {
        name,
        type_index,
        flags,
        fields,
    })
}

fn decode_enum(b: &[u8]) -> Result<EnumEntry> {
    let mut r = Bytes {
        data: b,
        what: "_enums",
    };
    let type_index = r.word()?;
    let prim = r.word()?;
    let name = r.name()?;
    let list = r.name()?;
    let enumerators = if list.is_empty() {
        Vec::new()
    } else {
        list.split(',').map(str::to_string).collect()
    };
    Ok(EnumEntry {
        name,
        type_index,
        prim,
        enumerators,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_big_endian_with_a_signed_arg() {
        let raw = RawTables {
            types: b"\xFF\xFF\xFF\x0B\x00\x00\x01\x0D\x00\x00\x00",
            ..RawTables::default()
        };
        let t = Tables::decode(&raw).unwrap();
        assert_eq!(t.types.len(), 2);
        assert_eq!((op_of(t.types[0]), arg_of(t.types[0])), (11, -1));
        assert_eq!((op_of(t.types[1]), arg_of(t.types[1])), (13, 1));
    }

    #[test]
    fn entries_of_each_table() {
        let raw = RawTables {
            globals: vec![(&b"\xFF\xFF\xFF\x1FBIG"[..], u64::MAX as i128)],
            struct_unions: vec![vec![
                &b"\x00\x00\x00\x0D\x00\x00\x00\x00$anon_t"[..],
                &b"\x00\x00\x01\x11a"[..],
                &b"\x00\x00\x16\x11"[..],
                &b"\x00\x00\x17\x13\x00\x00\x00\x03d"[..],
            ]],
            enums: vec![&b"\x00\x00\x00\x10\x00\x00\x00\x15color\x00RED,GREEN"[..]],
            typenames: vec![&b"\x00\x00\x00\x0Canon_t"[..]],
            ..RawTables::default()
        };
        let t = Tables::decode(&raw).unwrap();
        assert_eq!(t.globals[0].name, "BIG");
        assert_eq!(t.globals[0].op, Op::CONSTANT_INT);
        let s = &t.struct_unions[0];
        assert_eq!((s.name.as_str(), s.type_index, s.flags), ("$anon_t", 13, 0));
        assert_eq!(s.fields[1].name, "");
        assert_eq!(s.fields[1].type_index, 0x16);
        assert_eq!(s.fields[2].bits, Some(3));
        assert_eq!(t.enums[0].name, "color");
        assert_eq!(t.enums[0].prim, 0x15);
        assert_eq!(t.enums[0].enumerators, ["RED", "GREEN"]);
        assert_eq!(t.typenames[0].name, "anon_t");
    }

    #[test]
    fn short_entries_are_refused() {
        let raw = RawTables {
            typenames: vec![&b"\x00\x00"[..]],
            ..RawTables::default()
        };
        let e = Tables::decode(&raw).unwrap_err();
        assert_eq!(e.kind, super::super::OutOfLineErrorKind::Malformed);
    }
}
