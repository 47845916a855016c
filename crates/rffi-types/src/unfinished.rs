//! What cffi's dialect declares but ABI mode cannot use.
//!
//! cffi accepts `typedef ... t;`, `struct s { int x; ...; }`, `enum e { A, ... }`,
//! `int a[...]`, `typedef int... t;` and non-integer constants in any cdef, and
//! only refuses them when they are used, because in API mode a compiler fills
//! in what the `...` leaves out. rffi declares them the same way: the types
//! exist (so other declarations can name them), and every way in from the
//! outside ([`Types::parse_type`], [`Types::check_usable`],
//! [`Types::unusable_symbol`]) raises cffi's error for them.
//!
//! Records that cannot be laid out (`struct s { float x:1; };`) take the
//! same road: cffi lays a record out when it is first used, so it accepts
//! the declaration and raises `TypeError` then.
//!
//! ```
//! use rffi_types::{CdefOptions, ErrorKind, Types};
//!
//! let mut types = Types::new();
//! types.cdef(
//!     "typedef ... handle_t; handle_t *open_it(void);
//!      struct s { int x; ...; };
//!      enum e { A, B, ... };",
//!     &CdefOptions::default(),
//! )?;
//! let handle = types.parse_type("handle_t *")?;
//! assert_eq!(types.cname(handle), "handle_t *");
//! let opaque = types.parse_type("handle_t")?;
//! assert_eq!(types.size_of(opaque).unwrap_err().kind, ErrorKind::UnknownSize);
//! let e = types.parse_type("struct s *").unwrap_err();
//! assert_eq!((e.kind, e.message.as_str()), (ErrorKind::VerificationMissing, "struct s"));
//! let e = types.unusable_symbol("A").unwrap();
//! assert_eq!((e.kind, e.message.as_str()), (ErrorKind::VerificationMissing, "enum e"));
//! # Ok::<(), rffi_types::TypeError>(())
//! ```

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use rffi_parse::{DotsKind, Pos, RecordKind};

use crate::error::{ErrorKind, Result, TypeError};
use crate::layout::Fault;
use crate::model::{Record, RecordId, Type, TypeId};
use crate::registry::Types;

/// Why a type cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unfinished {
    /// A struct, union or enum with `...`: cffi's `VerificationMissing`,
    /// whose message is the type's name at the time of use.
    Partial,
    /// Any other error, fixed when declared.
    Error(TypeError),
    /// A struct or union that cannot be laid out: cffi's `TypeError`,
    /// naming the record as it is named at the time of use.
    Layout(Fault),
}

/// A declared name that `lib.<name>` refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// An enumerator of a partial enum: refused as the enum is.
    Of(TypeId),
    Error(TypeError),
}

/// The dialect's part of a registry.
#[derive(Clone, Debug, Default)]
pub(crate) struct DialectState {
    pub(crate) unfinished: HashMap<TypeId, Unfinished>,
    pub(crate) unusable: IndexMap<String, Unusable>,
    /// Struct, union and enum bodies declared by the current cdef, by
    /// position: `typedef struct {...} A, *B;` declares one body for both names.
    pub(crate) bodies: HashMap<(Pos, RecordKind, bool), TypeId>,
    /// The typedef being declared, which names `typedef ... *t;`'s struct.
    pub(crate) typedef: Option<String>,
    pub(crate) warnings: Vec<String>,
}

/// What cffi warns for a `#pragma` line, which it ignores.
pub(crate) const PRAGMA_WARNING: &str = "#pragma in cdef() are entirely ignored. They should \
be removed for now, otherwise your code might behave differently in a future version of CFFI \
if #pragma support gets added. Note that '#pragma pack' needs to be replaced with the 'packed' \
keyword argument to cdef().";

impl Types {
    /// An error if `id`, or a type it reaches (pointed-to types, array items,
    /// parameters, members), is one cffi's dialect left for a compiler to finish.
    pub fn check_usable(&self, id: TypeId) -> Result<()> {
        if self.dialect.unfinished.is_empty() {
            return Ok(());
        }
        let mut seen = HashSet::new();
        let mut todo = vec![id];
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(u) = self.dialect.unfinished.get(&id) {
                return Err(self.unfinished_error(id, u));
            }
            match self.get(id) {
                Type::Pointer(inner) | Type::Array(inner, _) => todo.push(*inner),
                Type::Function(f) => {
                    todo.push(f.ret);
                    todo.extend(&f.params);
                }
                Type::Record(_) => {
                    if let Some(layout) = self.record_layout(id) {
                        todo.extend(layout.fields.iter().map(|f| f.ty));
                    }
                }
                Type::Void | Type::Prim(_) | Type::Enum(_) => {}
            }
        }
        Ok(())
    }

    fn unfinished_error(&self, id: TypeId, u: &Unfinished) -> TypeError {
        match u {
            Unfinished::Partial => TypeError::new(ErrorKind::VerificationMissing, self.cname(id)),
            Unfinished::Error(e) => e.clone(),
            Unfinished::Layout(f) => f.error(self, &self.cname(id)),
        }
    }

    /// The error for a declared name that cannot be read from a `dlopen()`
    /// library: a non-integer constant, an enumerator of a partial enum.
    pub fn unusable_symbol(&self, name: &str) -> Option<TypeError> {
        Some(match self.dialect.unusable.get(name)? {
            Unusable::Of(id) => self.check_usable(*id).err()?,
            Unusable::Error(e) => e.clone(),
        })
    }

    /// The names [`Types::unusable_symbol`] refuses, in declaration order
    /// (`dir(lib)` lists them, as cffi's does).
    pub fn unusable_names(&self) -> impl Iterator<Item = &str> {
        self.dialect.unusable.keys().map(String::as_str)
    }

    /// The warnings of the last `cdef` (cffi's `UserWarning`s), emptied.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.dialect.warnings)
    }

    pub(crate) fn mark_unfinished(&mut self, id: TypeId, u: Unfinished) {
        self.dialect.unfinished.insert(id, u);
    }

    pub(crate) fn add_unusable(&mut self, name: &str, u: Unusable) {
        self.symbols.shift_remove(name);
        self.dialect.unusable.insert(name.to_string(), u);
    }

    /// A non-integer constant (`static const double x = 1.5;`).
    pub(crate) fn add_unreadable_constant(&mut self, name: &str) {
        let e = TypeError::new(
            ErrorKind::NotImplemented,
            format!("non-integer constant '{name}' cannot be accessed from a dlopen() library"),
        );
        self.add_unusable(name, Unusable::Error(e));
    }

    /// The type of a `...` base: `typedef ... t;` is an opaque struct named
    /// `t` (`typedef ... *t;` points to one named `struct $$t`);
    /// `typedef int... t;` is a type that cannot be used at all.
    pub(crate) fn dots_type(&mut self, kind: DotsKind, name_hint: Option<&str>) -> TypeId {
        let typedef = self.dialect.typedef.clone().unwrap_or_default();
        let name = match (kind, name_hint) {
            (DotsKind::Opaque, Some(h)) => h.to_string(),
            (DotsKind::Opaque, None) => format!("struct $${typedef}"),
            (_, hint) => hint.unwrap_or(&typedef).to_string(),
        };
        let id = self.fresh_record(name.clone());
        let what = match kind {
            DotsKind::Opaque => return id,
            DotsKind::Integer => "integer",
            DotsKind::Float => "float",
        };
        let e = TypeError::new(
            ErrorKind::NotImplemented,
            format!("{what} type '{name}' can only be used after compilation"),
        );
        self.mark_unfinished(id, Unfinished::Error(e));
        id
    }

    /// The type of `T[...]`: usable nowhere in ABI mode. In a parameter or a
    /// type string cffi refuses it at once.
    pub(crate) fn dots_array(&mut self, item: TypeId, name_hint: Option<&str>) -> Result<TypeId> {
        if !self.active.in_cdef() {
            // cffi parses a type string as the second line of a wrapper.
            let mut e = misplaced_dots();
            e.message = format!(":2: {}", e.message);
            return Err(e);
        }
        let length = match name_hint {
            Some(h) => format!("_cffi_array_len(*({h} *)0)"),
            None => "/*...*/".to_string(),
        };
        let rendered = self.cname_with(item, &format!("[{length}]"));
        let id = self.fresh_record(rendered.clone());
        let e = TypeError::new(
            ErrorKind::Declaration,
            format!("cannot render the type <{rendered}>: unknown length"),
        );
        self.mark_unfinished(id, Unfinished::Error(e));
        Ok(id)
    }

    /// A new opaque struct with no tag, standing for a type only a compiler knows.
    fn fresh_record(&mut self, name: String) -> TypeId {
        let rid = RecordId(self.records.len() as u32);
        self.records.push(Record {
            kind: RecordKind::Struct,
            name,
            tag: None,
            layout: None,
        });
        self.intern(Type::Record(rid))
    }

    /// The first member type that cannot be used, for a record being laid
    /// out: a record holding one cannot be used either.
    pub(crate) fn unfinished_member(&self, member_types: &[TypeId]) -> Option<Unfinished> {
        member_types
            .iter()
            .find_map(|&ty| self.check_usable(ty).err())
            .map(Unfinished::Error)
    }
}

/// cffi's error for `[...]` outside a declaration a compiler would see.
pub(crate) fn misplaced_dots() -> TypeError {
    TypeError::new(
        ErrorKind::Misplaced,
        "unsupported '[...]' here, cannot derive the actual array length in this context",
    )
}
