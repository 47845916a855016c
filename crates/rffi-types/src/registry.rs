//! The registry: interning of types and the queries on them.

use std::collections::HashMap;

use indexmap::IndexMap;
use rffi_parse::RecordKind;

use crate::error::{ErrorKind, Result, TypeError};
use crate::layout::Member;
use crate::model::*;
use crate::prim::Prim;
use crate::target;

/// A declared name that is not a type: what `lib.<name>` finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A function; the id is of its function type.
    Function(TypeId),
    /// A global variable; `is_const` when the object itself is const.
    Variable { ty: TypeId, is_const: bool },
    /// An enumerator or a `#define`.
    Constant(i128),
}

/// All types and declarations of one FFI: the state that `cdef` builds up.
#[derive(Clone, Debug)]
pub struct Types {
    types: Vec<Type>,
    /// How many pointer, array and function levels each type has.
    depths: Vec<usize>,
    interned: HashMap<Type, TypeId>,
    pub(crate) records: Vec<Record>,
    pub(crate) enums: Vec<EnumDef>,
    pub(crate) typedefs: IndexMap<String, TypeId>,
    pub(crate) record_tags: HashMap<(RecordKind, String), RecordId>,
    pub(crate) enum_tags: HashMap<String, EnumId>,
    pub(crate) symbols: IndexMap<String, Symbol>,
    pub(crate) type_strings: HashMap<String, TypeId>,
    pub(crate) anonymous_count: u32,
    pub(crate) active: crate::declare::Active,
    /// cffi's dialect: what cannot be used, and the warnings of the last cdef.
    pub(crate) dialect: crate::unfinished::DialectState,
    /// How deeply records nest inside each complete record (see [`Types::nesting`]).
    record_nesting: HashMap<RecordId, usize>,
}

impl Default for Types {
    fn default() -> Self {
        Types::new()
    }
}

impl Types {
    /// The deepest type a declaration or type string may make. C requires
    /// compilers to handle 12 levels; no real header comes near this.
    pub const MAX_DEPTH: usize = 256;

    pub fn new() -> Types {
        Types {
            types: Vec::new(),
            depths: Vec::new(),
            interned: HashMap::new(),
            records: Vec::new(),
            enums: Vec::new(),
            typedefs: IndexMap::new(),
            record_tags: HashMap::new(),
            enum_tags: HashMap::new(),
            symbols: IndexMap::new(),
            type_strings: HashMap::new(),
            anonymous_count: 0,
            active: Default::default(),
            dialect: Default::default(),
            record_nesting: HashMap::new(),
        }
    }

    /// The id of `ty`, the same for the same type every time.
    pub fn intern(&mut self, ty: Type) -> TypeId {
        if crate::shared::is_builtin(&ty) {
            if let Some(id) = crate::shared::intern(&ty, self.depth_of(&ty)) {
                return id;
            }
        }
        if let Some(&id) = self.interned.get(&ty) {
            return id;
        }
        let id = TypeId(self.types.len() as u32);
        self.depths.push(self.depth_of(&ty));
        self.types.push(ty.clone());
        self.interned.insert(ty, id);
        id
    }

    fn depth_of(&self, ty: &Type) -> usize {
        match ty {
            Type::Pointer(inner) | Type::Array(inner, _) => self.depth(*inner) + 1,
            Type::Function(f) => {
                let parts = f.params.iter().chain([&f.ret]);
                1 + parts.map(|&p| self.depth(p)).max().unwrap_or(0)
            }
            Type::Void | Type::Prim(_) | Type::Record(_) | Type::Enum(_) => 0,
        }
    }

    /// How many pointer, array and function levels `id` has (`int **` has
    /// 2); declarations never make it more than [`Types::MAX_DEPTH`], so
    /// code that walks a type recursively may recurse this deep.
    pub fn depth(&self, id: TypeId) -> usize {
        if id.is_shared() {
            return crate::shared::depth(id);
        }
        self.depths[id.index()]
    }

    /// How many levels of records and arrays a value of `id` holds inside
    /// itself: 0 for scalars and pointers, 1 for a struct of scalars, more
    /// for members that are records or arrays in turn. Declarations never make
    /// it more than [`Types::MAX_DEPTH`], so code that walks a value member by
    /// member may recurse this deep.
    pub fn nesting(&self, id: TypeId) -> usize {
        let mut levels = 0;
        let mut ty = id;
        loop {
            match self.get(ty) {
                Type::Array(item, _) => {
                    levels += 1;
                    ty = *item;
                }
                Type::Record(r) => {
                    return levels + self.record_nesting.get(r).copied().unwrap_or(0)
                }
                _ => return levels,
            }
        }
    }

    /// Records the nesting of a record being completed with `members`;
    /// refused past [`Types::MAX_DEPTH`] (a chain of records, each holding
    /// the previous one, would otherwise be too deep to walk).
    pub(crate) fn set_record_nesting(&mut self, rid: RecordId, members: &[Member]) -> Result<()> {
        let inner = members.iter().map(|m| self.nesting(m.ty)).max();
        let nesting = 1 + inner.unwrap_or(0);
        if nesting > Types::MAX_DEPTH {
            return Err(TypeError::new(
                ErrorKind::Declaration,
                format!("records nested more than {} levels deep", Types::MAX_DEPTH),
            ));
        }
        self.record_nesting.insert(rid, nesting);
        Ok(())
    }

    pub fn get(&self, id: TypeId) -> &Type {
        if id.is_shared() {
            return crate::shared::get(id);
        }
        &self.types[id.index()]
    }

    pub fn void(&mut self) -> TypeId {
        self.intern(Type::Void)
    }

    pub fn prim(&mut self, p: Prim) -> TypeId {
        self.intern(Type::Prim(p))
    }

    pub fn pointer_to(&mut self, id: TypeId) -> TypeId {
        self.intern(Type::Pointer(id))
    }

    pub fn array_of(&mut self, id: TypeId, len: Option<usize>) -> TypeId {
        self.intern(Type::Array(id, len))
    }

    pub fn record(&self, id: RecordId) -> &Record {
        &self.records[id.0 as usize]
    }

    pub fn enum_def(&self, id: EnumId) -> &EnumDef {
        &self.enums[id.0 as usize]
    }

    /// The layout of a struct or union type; `None` for other types and opaque ones.
    pub fn record_layout(&self, id: TypeId) -> Option<&RecordLayout> {
        match self.get(id) {
            Type::Record(r) => self.record(*r).layout.as_ref(),
            _ => None,
        }
    }

    /// The type a typedef names, if declared.
    pub fn typedef(&self, name: &str) -> Option<TypeId> {
        self.typedefs.get(name).copied()
    }

    /// Typedef names in declaration order.
    pub fn typedef_names(&self) -> impl Iterator<Item = &str> {
        self.typedefs.keys().map(String::as_str)
    }

    /// A declared function, variable or constant.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.get(name)
    }

    /// Every declared function, variable and constant, in declaration order.
    pub fn symbols(&self) -> impl Iterator<Item = (&str, &Symbol)> {
        self.symbols.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The value of an enumerator or `#define`.
    pub fn constant(&self, name: &str) -> Option<i128> {
        match self.symbols.get(name) {
            Some(Symbol::Constant(v)) => Some(*v),
            _ => None,
        }
    }

    /// Records and enums with a tag or name, for `ffi.list_types()`.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }

    pub fn enums(&self) -> impl Iterator<Item = &EnumDef> {
        self.enums.iter()
    }

    /// `sizeof`; an error for void, functions, opaque records and `T[]`.
    pub fn size_of(&self, id: TypeId) -> Result<usize> {
        self.size_align(id).map(|(s, _)| s)
    }

    /// `_Alignof`; an error where the size is unknown.
    pub fn align_of(&self, id: TypeId) -> Result<usize> {
        self.size_align(id).map(|(_, a)| a)
    }

    /// Size and alignment together.
    pub fn size_align(&self, id: TypeId) -> Result<(usize, usize)> {
        let unknown = || {
            TypeError::new(
                ErrorKind::UnknownSize,
                format!("ctype '{}' is of unknown size", self.cname(id)),
            )
        };
        match self.get(id) {
            Type::Void | Type::Function(_) => Err(unknown()),
            Type::Prim(p) => Ok((p.size(), p.align())),
            Type::Pointer(_) => Ok(target::POINTER),
            Type::Array(_, None) => Err(unknown()),
            Type::Array(item, Some(n)) => {
                let (s, a) = self.size_align(*item)?;
                let total = s
                    .checked_mul(*n)
                    .filter(|&t| t <= target::MAX_OBJECT_SIZE)
                    .ok_or_else(|| {
                        TypeError::new(
                            ErrorKind::TooLarge,
                            format!(
                                "ctype '{}' is too large: more than {} bytes",
                                self.cname(id),
                                target::MAX_OBJECT_SIZE
                            ),
                        )
                    })?;
                Ok((total, a))
            }
            Type::Record(r) => self
                .record(*r)
                .layout
                .as_ref()
                .map(|l| (l.size, l.align))
                .ok_or_else(unknown),
            Type::Enum(e) => {
                let p = self.enum_def(*e).base;
                Ok((p.size(), p.align()))
            }
        }
    }

    /// The alignment of the items of an array, known even for `T[]`.
    pub fn item_align(&self, id: TypeId) -> Result<usize> {
        match self.get(id) {
            Type::Array(item, _) => self.item_align(*item),
            _ => self.align_of(id),
        }
    }

    /// The byte offset of a member, following a path of names (`"a.b"`) through
    /// nested and anonymous members.
    pub fn offset_of(&self, id: TypeId, path: &str) -> Result<usize> {
        let mut ty = id;
        let mut offset = 0;
        for name in path.split('.') {
            let field = self.field(ty, name)?;
            if field.bits.is_some() {
                return Err(TypeError::new(
                    ErrorKind::Unsupported,
                    "not supported for bitfields",
                ));
            }
            offset += field.offset;
            ty = field.ty;
        }
        Ok(offset)
    }

    /// A member found by name, looking inside anonymous members too; its
    /// offset is from the start of `id`.
    pub fn field(&self, id: TypeId, name: &str) -> Result<Field> {
        self.find_field(self.require_layout(id)?, name)
            .ok_or_else(|| TypeError::new(ErrorKind::NoSuchField, format!("'{name}'")))
    }

    /// The layout of a complete struct or union, or the error saying why there is none.
    pub fn require_layout(&self, id: TypeId) -> Result<&RecordLayout> {
        self.record_layout(id).ok_or_else(|| {
            let what = match self.get(id) {
                Type::Record(_) => "is opaque",
                _ => "is not a struct or union",
            };
            TypeError::new(
                ErrorKind::Unsupported,
                format!("ctype '{}' {what}", self.cname(id)),
            )
        })
    }

    fn find_field(&self, layout: &RecordLayout, name: &str) -> Option<Field> {
        for f in &layout.fields {
            if f.name == name {
                return Some(f.clone());
            }
            if f.name.is_empty() {
                if let Some(inner) = self.record_layout(f.ty) {
                    if let Some(mut found) = self.find_field(inner, name) {
                        found.offset += f.offset;
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// The members of a struct or union with anonymous members flattened into
    /// their parent, offsets from the start of `id` (what cffi's `fields` lists).
    pub fn flat_fields(&self, id: TypeId) -> Result<Vec<Field>> {
        let layout = self.require_layout(id)?;
        let mut out = Vec::new();
        self.flatten_into(layout, 0, &mut out);
        Ok(out)
    }

    fn flatten_into(&self, layout: &RecordLayout, base: usize, out: &mut Vec<Field>) {
        for f in &layout.fields {
            match (f.name.is_empty(), self.record_layout(f.ty)) {
                (true, Some(inner)) => self.flatten_into(inner, base + f.offset, out),
                _ => out.push(Field {
                    offset: base + f.offset,
                    ..f.clone()
                }),
            }
        }
    }

    /// [`flat_fields`](Self::flat_fields), each with whether a list
    /// initializer passes over it, as in cffi: every member of a union after
    /// the first, with everything such a member holds. `[1, 2]` for
    /// `union { struct { int a, b; }; int c; }` sets `a` and `b`.
    pub fn flat_fields_in_lists(&self, id: TypeId) -> Result<Vec<(Field, bool)>> {
        let layout = self.require_layout(id)?;
        let mut out = Vec::new();
        self.flatten_marked(id, layout, 0, false, &mut out);
        Ok(out)
    }

    fn flatten_marked(
        &self,
        id: TypeId,
        layout: &RecordLayout,
        base: usize,
        skipped: bool,
        out: &mut Vec<(Field, bool)>,
    ) {
        let union =
            matches!(self.get(id), Type::Record(r) if self.record(*r).kind == RecordKind::Union);
        for (i, f) in layout.fields.iter().enumerate() {
            let skip = skipped || (union && i > 0);
            match (f.name.is_empty(), self.record_layout(f.ty)) {
                (true, Some(inner)) => self.flatten_marked(f.ty, inner, base + f.offset, skip, out),
                _ => out.push((
                    Field {
                        offset: base + f.offset,
                        ..f.clone()
                    },
                    skip,
                )),
            }
        }
    }

    /// The direct members of a struct or union as declared (anonymous members
    /// named `""`).
    pub fn fields(&self, id: TypeId) -> Result<Vec<Field>> {
        Ok(self.require_layout(id)?.fields.clone())
    }

    /// The function signature of a function type or a pointer to one.
    pub fn function(&self, id: TypeId) -> Option<&FuncType> {
        match self.get(id) {
            Type::Function(f) => Some(f),
            Type::Pointer(p) => match self.get(*p) {
                Type::Function(f) => Some(f),
                _ => None,
            },
            _ => None,
        }
    }

    /// The integer type that holds values of `id`: itself for integer
    /// primitives, the base of an enum. `None` for other types.
    pub fn integer_prim(&self, id: TypeId) -> Option<Prim> {
        match self.get(id) {
            Type::Prim(p) if p.is_integer() => Some(*p),
            Type::Enum(e) => Some(self.enum_def(*e).base),
            _ => None,
        }
    }
}
