//! Declaring decoded tables in a [`Types`]: cffi's `realize_c_type.c` and `cdlopen.c`,
//! done once for everything the tables name instead of lazily per use.
//!
//! Records and enums are made first, without members, so that types pointing at
//! them can be built in any order; a record is laid out when it is first needed by
//! value (as a member, an array item) or at the end.

use std::collections::HashMap;

use rffi_parse::RecordKind;

use super::import::{find_record, Imported};
use super::tables::{arg_of, op_of, EnumEntry, Global, Op, StructUnion, Tables};
use super::tables::{F_EXTERNAL, F_OPAQUE, F_PACKED, F_UNION};
use super::{OutOfLineError, OutOfLineErrorKind, Result};
use crate::error::{ErrorKind, TypeError};
use crate::layout::{Member, Rules};
use crate::model::*;
use crate::prim::Prim;
use crate::registry::{Symbol, Types};

/// cffi's primitive numbers (`cffi_opcode.py`), as rffi spells the primitives.
const PRIMITIVES: [&str; 52] = [
    "void",
    "_Bool",
    "char",
    "signed char",
    "unsigned char",
    "short",
    "unsigned short",
    "int",
    "unsigned int",
    "long",
    "unsigned long",
    "long long",
    "unsigned long long",
    "float",
    "double",
    "long double",
    "wchar_t",
    "int8_t",
    "uint8_t",
    "int16_t",
    "uint16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "intptr_t",
    "uintptr_t",
    "ptrdiff_t",
    "size_t",
    "ssize_t",
    "int_least8_t",
    "uint_least8_t",
    "int_least16_t",
    "uint_least16_t",
    "int_least32_t",
    "uint_least32_t",
    "int_least64_t",
    "uint_least64_t",
    "int_fast8_t",
    "uint_fast8_t",
    "int_fast16_t",
    "uint_fast16_t",
    "int_fast32_t",
    "uint_fast32_t",
    "int_fast64_t",
    "uint_fast64_t",
    "intmax_t",
    "uintmax_t",
    "float _Complex",
    "double _Complex",
    "char16_t",
    "char32_t",
];

/// As deep as cffi lets type building recurse.
const MAX_DEPTH: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    /// Declared with members not yet laid out.
    Pending,
    /// Being laid out: meeting it again means it contains itself.
    Busy,
    /// Laid out, or opaque, or taken from an include.
    Done,
}

struct Realizer<'a> {
    t: &'a mut Types,
    tables: &'a Tables,
    includes: &'a [&'a Types],
    /// The type of each slot of `_types`, once built.
    slots: Vec<Option<TypeId>>,
    records: Vec<Option<TypeId>>,
    progress: Vec<Progress>,
    /// The `_struct_unions` entry that lays out a record of this registry.
    entry_of: HashMap<RecordId, usize>,
    enums: Vec<Option<TypeId>>,
    globals: HashMap<&'a str, &'a Global>,
    imported: Imported,
    depth: u32,
}

fn ffi_error(message: impl Into<String>) -> OutOfLineError {
    OutOfLineError::ffi(message)
}

fn not_implemented(message: impl Into<String>) -> OutOfLineError {
    OutOfLineError::new(OutOfLineErrorKind::NotImplemented, message)
}

/// cffi's `_realize_name`: `tag` is `<keyword> tag`, `$name` an anonymous type named
/// `name` by a typedef, `$N` an anonymous type shown as `<keyword> $N`. Gives the
/// name and the tag.
fn realize_name(keyword: &str, name: &str) -> (String, Option<String>) {
    match name.strip_prefix('$') {
        Some(rest) if !rest.starts_with('$') && !rest.starts_with(|c: char| c.is_ascii_digit()) => {
            (rest.to_string(), None)
        }
        Some(_) => (format!("{keyword} {name}"), None),
        None => (format!("{keyword} {name}"), Some(name.to_string())),
    }
}

fn keyword(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Struct => "struct",
        RecordKind::Union => "union",
    }
}

impl Types {
    /// Declares everything the tables of an out-of-line module describe. `includes`
    /// are the registries of the FFIs the module includes (`_includes`), where its
    /// external structs and unions are found. On error nothing is declared.
    pub fn declare_tables(&mut self, tables: &Tables, includes: &[&Types]) -> Result<()> {
        let mut work = self.clone();
        Realizer {
            slots: vec![None; tables.types.len()],
            records: vec![None; tables.struct_unions.len()],
            progress: vec![Progress::Done; tables.struct_unions.len()],
            entry_of: HashMap::new(),
            enums: vec![None; tables.enums.len()],
            globals: tables
                .globals
                .iter()
                .map(|g| (g.name.as_str(), g))
                .collect(),
            imported: Imported::default(),
            depth: 0,
            t: &mut work,
            tables,
            includes,
        }
        .run()?;
        work.type_strings.clear();
        *self = work;
        Ok(())
    }
}

impl Realizer<'_> {
    fn run(&mut self) -> Result<()> {
        for i in 0..self.tables.enums.len() {
            self.enum_type(i as i32)?;
        }
        for i in 0..self.tables.struct_unions.len() {
            self.record_type(i as i32)?;
        }
        for i in 0..self.tables.struct_unions.len() {
            self.complete(i)?;
        }
        let tables = self.tables;
        for tn in &tables.typenames {
            let id = self.realize(tn.type_index)?;
            self.t.typedefs.insert(tn.name.clone(), id);
        }
        for g in &tables.globals {
            let symbol = self.symbol(g)?;
            self.t.symbols.insert(g.name.clone(), symbol);
        }
        let numbered = tables
            .struct_unions
            .iter()
            .map(|s| s.name.as_str())
            .chain(tables.enums.iter().map(|e| e.name.as_str()))
            .filter_map(|n| n.strip_prefix('$')?.parse::<u32>().ok());
        if let Some(n) = numbered.max() {
            self.t.anonymous_count = self.t.anonymous_count.max(n);
        }
        Ok(())
    }

    fn word(&self, index: i32) -> Result<i32> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.tables.types.get(i).copied())
            .ok_or_else(|| {
                OutOfLineError::malformed(format!("type index {index} is outside _types"))
            })
    }

    /// The type of one slot of `_types`.
    fn realize(&mut self, index: i32) -> Result<TypeId> {
        let word = self.word(index)?;
        if let Some(id) = self.slots[index as usize] {
            return Ok(id);
        }
        if self.depth >= MAX_DEPTH {
            return Err(OutOfLineError::new(
                OutOfLineErrorKind::Runtime,
                "type-building recursion too deep or infinite.  This is known to occur e.g. \
                 in ``struct s { void(*callable)(struct s); }''.  Please report if you get \
                 this error and really need support for your case.",
            ));
        }
        self.depth += 1;
        let built = self.realize_now(index, word);
        self.depth -= 1;
        let id = built?;
        self.slots[index as usize] = Some(id);
        Ok(id)
    }

    fn realize_now(&mut self, index: i32, word: i32) -> Result<TypeId> {
        let arg = arg_of(word);
        match op_of(word) {
            Op::PRIMITIVE => self.primitive(arg),
            Op::POINTER => {
                let to = self.realize(arg)?;
                Ok(self.t.pointer_to(to))
            }
            Op::ARRAY => {
                let len = self.word(index + 1)?;
                let item = self.item(arg)?;
                // cffi makes an array of negative length an open one.
                let id = self.t.array_of(item, usize::try_from(len).ok());
                self.t
                    .size_align(id)
                    .map(|_| id)
                    .or_else(|e| match len < 0 {
                        true => Ok(id),
                        false => Err(e.into()),
                    })
            }
            Op::OPEN_ARRAY => {
                let item = self.item(arg)?;
                Ok(self.t.array_of(item, None))
            }
            Op::STRUCT_UNION => self.record_type(arg),
            Op::ENUM => self.enum_type(arg),
            Op::FUNCTION => self.function(index, arg),
            Op::NOOP => self.realize(arg),
            Op::TYPENAME => {
                let target = usize::try_from(arg)
                    .ok()
                    .and_then(|i| self.tables.typenames.get(i))
                    .ok_or_else(|| {
                        OutOfLineError::malformed(format!(
                            "typename index {arg} is outside _typenames"
                        ))
                    })?
                    .type_index;
                self.realize(target)
            }
            op => Err(not_implemented(format!("op={op}"))),
        }
    }

    /// A slot that must be a type with a value, not a function type.
    fn value_type(&mut self, index: i32) -> Result<TypeId> {
        let id = self.realize(index)?;
        if let Type::Function(_) = self.t.get(id) {
            return Err(ffi_error(format!(
                "the type '{}' is a function type, not a pointer-to-function type",
                self.t.cname(id)
            )));
        }
        Ok(id)
    }

    /// An array item: a complete type of known size.
    fn item(&mut self, index: i32) -> Result<TypeId> {
        let item = self.value_type(index)?;
        self.complete_type(item)?;
        if self.t.size_of(item).is_err() {
            return Err(TypeError::new(
                ErrorKind::UnknownSize,
                format!("array item of unknown size: '{}'", self.t.cname(item)),
            )
            .into());
        }
        Ok(item)
    }

    fn primitive(&mut self, number: i32) -> Result<TypeId> {
        let found = usize::try_from(number).ok().and_then(|i| PRIMITIVES.get(i));
        match (number, found) {
            (0, _) => Ok(self.t.void()),
            (_, Some(name)) => match Prim::from_name(name) {
                Some(p) => Ok(self.t.prim(p)),
                None => Err(not_implemented(format!("prim={number}"))),
            },
            (-1, _) => Err(ffi_error(
                "primitive integer type with an unexpected size (or not an integer type at all)",
            )),
            (-2, _) => Err(ffi_error(
                "primitive floating-point type with an unexpected size (or not a float type at all)",
            )),
            (-3, _) => Err(ffi_error(
                "primitive floating-point type is 'long double', not supported for now with the \
                 syntax 'typedef double... xxx;'",
            )),
            _ => Err(not_implemented(format!("prim={number}"))),
        }
    }

    /// A `FUNCTION` op at `index`: the parameters follow it up to `FUNCTION_END`.
    fn function(&mut self, index: i32, ret: i32) -> Result<TypeId> {
        let ret = self.value_type(ret)?;
        if let Type::Array(..) = self.t.get(ret) {
            return Err(TypeError::new(
                ErrorKind::Declaration,
                format!("a function cannot return '{}'", self.t.cname(ret)),
            )
            .into());
        }
        let mut params = Vec::new();
        let mut at = index + 1;
        let end = loop {
            let word = self.word(at)?;
            if op_of(word) == Op::FUNCTION_END {
                break arg_of(word);
            }
            let p = self.value_type(at)?;
            params.push(match self.t.get(p) {
                Type::Array(item, _) => self.t.pointer_to(*item),
                Type::Void => {
                    return Err(TypeError::new(
                        ErrorKind::Declaration,
                        "a parameter cannot have type 'void'",
                    )
                    .into())
                }
                _ => p,
            });
            at += 1;
        };
        // Bit 1 is stdcall, which only means something on 32-bit Windows.
        let abi = end & 0xFE;
        if abi != 0 && abi != 2 {
            return Err(ffi_error(format!("abi number {abi} not supported")));
        }
        Ok(self.t.intern(Type::Function(FuncType {
            ret,
            params,
            variadic: end & 1 != 0,
        })))
    }

    fn struct_union(tables: &Tables, index: i32) -> Result<&StructUnion> {
        usize::try_from(index)
            .ok()
            .and_then(|i| tables.struct_unions.get(i))
            .ok_or_else(|| {
                OutOfLineError::malformed(format!("struct index {index} is outside _struct_unions"))
            })
    }

    /// The record of a `_struct_unions` entry (`-1` is `FILE`), declared without
    /// its members on first use.
    fn record_type(&mut self, index: i32) -> Result<TypeId> {
        if index == -1 {
            return Ok(self.t.parse_type("FILE")?);
        }
        let s = Self::struct_union(self.tables, index)?;
        let i = index as usize;
        if let Some(id) = self.records[i] {
            return Ok(id);
        }
        let kind = match s.flags & F_UNION {
            0 => RecordKind::Struct,
            _ => RecordKind::Union,
        };
        let id = if s.flags & F_EXTERNAL != 0 {
            self.external(s, kind)?
        } else {
            let (name, tag) = realize_name(keyword(kind), &s.name);
            if name == "struct _IO_FILE" {
                // cffi's FILE, which `struct _IO_FILE` names too.
                let file = self.t.parse_type("FILE")?;
                if let Type::Record(rid) = *self.t.get(file) {
                    self.t
                        .record_tags
                        .insert((kind, "_IO_FILE".to_string()), rid);
                }
                file
            } else {
                let rid = self.declare_record(kind, name, tag);
                if s.flags & F_OPAQUE == 0 {
                    self.progress[i] = Progress::Pending;
                    self.entry_of.insert(rid, i);
                }
                self.t.intern(Type::Record(rid))
            }
        };
        self.records[i] = Some(id);
        Ok(id)
    }

    fn declare_record(&mut self, kind: RecordKind, name: String, tag: Option<String>) -> RecordId {
        if let Some(tag) = &tag {
            if let Some(&rid) = self.t.record_tags.get(&(kind, tag.clone())) {
                return rid;
            }
        }
        let rid = RecordId(self.t.records.len() as u32);
        if let Some(tag) = &tag {
            self.t.record_tags.insert((kind, tag.clone()), rid);
        }
        self.t.records.push(Record {
            kind,
            name,
            tag,
            layout: None,
        });
        rid
    }

    /// A struct or union the module shares with one of its includes.
    fn external(&mut self, s: &StructUnion, kind: RecordKind) -> Result<TypeId> {
        let word = keyword(kind);
        for (key, from) in self.includes.iter().enumerate() {
            let Some(rid) = find_record(from, kind, &s.name) else {
                continue;
            };
            if s.flags & F_OPAQUE == 0 && from.record(rid).layout.is_none() {
                return Err(not_implemented(format!(
                    "'{word} {name}' is opaque in the ffi.include(), but no longer in the ffi \
                     doing the include (workaround: don't use ffi.include() but duplicate the \
                     declarations of everything using {word} {name})",
                    name = s.name
                )));
            }
            let mine = self.t.import_record(from, key, rid, &mut self.imported);
            return Ok(self.t.intern(Type::Record(mine)));
        }
        Err(ffi_error(format!(
            "'{word} {}' should come from ffi.include() but was not found",
            s.name
        )))
    }

    /// Lays out a record of this module if it is one still waiting for it.
    fn complete_type(&mut self, id: TypeId) -> Result<()> {
        if let Type::Record(rid) = self.t.get(id) {
            if let Some(&i) = self.entry_of.get(rid) {
                self.complete(i)?;
            }
        }
        Ok(())
    }

    fn complete(&mut self, i: usize) -> Result<()> {
        let tables = self.tables;
        let s = &tables.struct_unions[i];
        match self.progress[i] {
            Progress::Done => return Ok(()),
            Progress::Busy => {
                return Err(TypeError::new(
                    ErrorKind::Declaration,
                    format!(
                        "'{}' contains itself",
                        realize_name(
                            if s.flags & F_UNION != 0 {
                                "union"
                            } else {
                                "struct"
                            },
                            &s.name
                        )
                        .0
                    ),
                )
                .into())
            }
            Progress::Pending => {}
        }
        self.progress[i] = Progress::Busy;
        let id = self.records[i].ok_or_else(|| {
            OutOfLineError::malformed(format!("struct '{}' was not declared", s.name))
        })?;
        let Type::Record(rid) = *self.t.get(id) else {
            return Err(OutOfLineError::malformed(format!(
                "'{}' is not a record",
                s.name
            )));
        };
        if self.t.record(rid).layout.is_none() {
            let mut members = Vec::with_capacity(s.fields.len());
            for f in &s.fields {
                let ty = self.value_type(f.type_index)?;
                self.complete_type(ty)?;
                members.push(Member {
                    name: (!f.name.is_empty()).then(|| f.name.clone()),
                    ty,
                    bits: f.bits.map(|b| b as usize),
                    packed: false,
                    aligned: None,
                });
            }
            let rules = Rules {
                packed: false,
                aligned: None,
                // cffi's packed flag, as `cdef(packed=True)`.
                pack: (s.flags & F_PACKED != 0).then_some(1),
            };
            let kind = self.t.record(rid).kind;
            let layout = self.t.lay_out(&s.name, kind, &members, rules)?;
            self.t.records[rid.0 as usize].layout = Some(layout);
        }
        self.progress[i] = Progress::Done;
        Ok(())
    }

    fn enum_entry(tables: &Tables, index: i32) -> Result<&EnumEntry> {
        usize::try_from(index)
            .ok()
            .and_then(|i| tables.enums.get(i))
            .ok_or_else(|| {
                OutOfLineError::malformed(format!("enum index {index} is outside _enums"))
            })
    }

    fn enum_type(&mut self, index: i32) -> Result<TypeId> {
        let e = Self::enum_entry(self.tables, index)?;
        if let Some(id) = self.enums[index as usize] {
            return Ok(id);
        }
        let base_id = self.primitive(e.prim)?;
        let base = match self.t.get(base_id) {
            Type::Prim(p) if p.is_integer() => *p,
            _ => {
                return Err(ffi_error(format!(
                    "enum '{}' has a base type that is not an integer",
                    e.name
                )))
            }
        };
        let values = e
            .enumerators
            .iter()
            .map(|n| match self.globals.get(n.as_str()) {
                Some(g) if g.op == Op::ENUM => Ok((n.clone(), g.value)),
                _ => Err(OutOfLineError::malformed(format!(
                    "the enumerator '{n}' of '{}' is not among the globals",
                    e.name
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        let (name, tag) = realize_name("enum", &e.name);
        let existing = tag.as_ref().and_then(|t| self.t.enum_tags.get(t).copied());
        let eid = match existing {
            Some(eid) => eid,
            None => {
                let eid = EnumId(self.t.enums.len() as u32);
                if let Some(tag) = &tag {
                    self.t.enum_tags.insert(tag.clone(), eid);
                }
                self.t.enums.push(EnumDef {
                    name,
                    tag,
                    variants: Some(values),
                    base,
                });
                eid
            }
        };
        let id = self.t.intern(Type::Enum(eid));
        self.enums[index as usize] = Some(id);
        Ok(id)
    }

    fn symbol(&mut self, g: &Global) -> Result<Symbol> {
        Ok(match g.op {
            Op::DLOPEN_FUNC => {
                let ty = self.realize(g.arg)?;
                if !matches!(self.t.get(ty), Type::Function(_)) {
                    return Err(OutOfLineError::malformed(format!(
                        "the function '{}' has the type '{}'",
                        g.name,
                        self.t.cname(ty)
                    )));
                }
                Symbol::Function(ty)
            }
            Op::GLOBAL_VAR | Op::DLOPEN_CONST => {
                let ty = self.realize(g.arg)?;
                self.complete_type(ty)?;
                match self.t.get(ty) {
                    Type::Function(_) => Symbol::Function(ty),
                    _ => Symbol::Variable {
                        ty,
                        is_const: g.op == Op::DLOPEN_CONST,
                    },
                }
            }
            Op::CONSTANT_INT | Op::ENUM => Symbol::Constant(g.value),
            op => {
                return Err(not_implemented(format!(
                    "'{}' has op={op}, which only cffi's compiled (API mode) modules use",
                    g.name
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_cffi_realizes_them() {
        assert_eq!(
            realize_name("struct", "SF_INFO"),
            ("struct SF_INFO".into(), Some("SF_INFO".into()))
        );
        assert_eq!(realize_name("struct", "$anon_t"), ("anon_t".into(), None));
        assert_eq!(realize_name("union", "$1"), ("union $1".into(), None));
        assert_eq!(realize_name("enum", "$$x"), ("enum $$x".into(), None));
    }

    #[test]
    fn every_primitive_number_names_an_rffi_primitive() {
        for name in &PRIMITIVES[1..] {
            assert!(Prim::from_name(name).is_some(), "{name}");
        }
    }
}
