//! Turning parsed declarations into types and symbols: `cdef` and type strings.

use rffi_parse::{Attrs, BaseType, Decl, EnumDecl, Expr, Pos, RecordDecl, RecordKind, TypeExpr};

use crate::error::{ErrorKind, Result, TypeError};
use crate::layout::{Member, Rules};
use crate::model::*;
use crate::prim::Prim;
use crate::registry::{Symbol, Types};
use crate::target;
use crate::unfinished::{misplaced_dots, Unfinished, Unusable, PRAGMA_WARNING};

/// Options of one `cdef` call, as cffi's `cdef(source, packed, pack, override)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CdefOptions {
    /// Every struct of this source is packed (the same as `pack: Some(1)`).
    pub packed: bool,
    /// `#pragma pack(N)` around the whole source.
    pub pack: Option<u32>,
    /// Later declarations replace earlier ones instead of being refused.
    pub override_: bool,
}

/// The options in force while one source is being declared.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Active {
    pack: Option<usize>,
    override_: bool,
    in_cdef: bool,
}

impl Active {
    /// Whether a cdef source is being declared (not a type string).
    pub(crate) fn in_cdef(&self) -> bool {
        self.in_cdef
    }
}

fn declaration_error(msg: impl Into<String>) -> TypeError {
    TypeError::new(ErrorKind::Declaration, msg)
}

fn redeclared(what: &str, name: &str) -> TypeError {
    TypeError::new(
        ErrorKind::Redeclaration,
        format!(
            "multiple declarations of {what} {name} (for interactive usage, try cdef(xx, override=True))"
        ),
    )
}

fn decl_pos(d: &Decl) -> Pos {
    match d {
        Decl::Function { pos, .. }
        | Decl::Variable { pos, .. }
        | Decl::Typedef { pos, .. }
        | Decl::Tag { pos, .. }
        | Decl::Define { pos, .. }
        | Decl::Constant { pos, .. }
        | Decl::ExternPython { pos, .. }
        | Decl::Pragma { pos, .. } => *pos,
    }
}

/// The name under which `FILE` is kept among record tags; no C tag can contain a space.
const FILE_TAG: &str = " FILE";

impl Types {
    /// Declares everything in `source`. Declarations before an error stay declared.
    pub fn cdef(&mut self, source: &str, options: &CdefOptions) -> Result<()> {
        let decls = rffi_parse::parse_cdef(source, &|name| self.typedefs.contains_key(name))?;
        let pack = if options.packed {
            Some(1)
        } else {
            options.pack.map(|p| p as usize)
        };
        if let Some(p) = pack {
            if !p.is_power_of_two() {
                return Err(TypeError::new(
                    ErrorKind::BadValue,
                    format!("pack={p} must be a power of two"),
                ));
            }
        }
        self.active = Active {
            pack,
            override_: options.override_,
            in_cdef: true,
        };
        self.dialect.bodies.clear();
        self.dialect.warnings.clear();
        if options.override_ {
            self.type_strings.clear();
        }
        let result = decls
            .iter()
            .try_for_each(|d| self.declare(d).map_err(|e| e.located(decl_pos(d), source)));
        self.active = Active::default();
        result
    }

    /// The type named by a type string such as `"int *"` or `"struct point[3]"`;
    /// parsed once per distinct string.
    pub fn parse_type(&mut self, source: &str) -> Result<TypeId> {
        if let Some(&id) = self.type_strings.get(source) {
            return Ok(id);
        }
        let expr = rffi_parse::parse_type(source, &|name| self.typedefs.contains_key(name))?;
        let id = self.resolve(&expr, None)?;
        self.check_usable(id)?;
        self.type_strings.insert(source.to_string(), id);
        Ok(id)
    }

    fn declare(&mut self, d: &Decl) -> Result<()> {
        match d {
            Decl::Function { name, ty, .. } => {
                let id = self.resolve(ty, None)?;
                self.add_symbol(name, Symbol::Function(id), "function")
            }
            Decl::Variable {
                name, ty, is_const, ..
            } => {
                let id = self.resolve(ty, None)?;
                let symbol = match self.get(id) {
                    Type::Function(_) => Symbol::Function(id),
                    _ => Symbol::Variable {
                        ty: id,
                        is_const: *is_const,
                    },
                };
                self.add_symbol(name, symbol, "variable")
            }
            Decl::Typedef { name, ty, .. } => {
                self.dialect.typedef = Some(name.clone());
                let id = self.resolve(ty, Some(name));
                self.dialect.typedef = None;
                let id = id?;
                match self.typedefs.get(name) {
                    Some(&old) if old != id && !self.active.override_ => {
                        Err(redeclared("typedef", name))
                    }
                    _ => {
                        self.typedefs.insert(name.clone(), id);
                        Ok(())
                    }
                }
            }
            Decl::Tag { base, .. } => self.resolve_base(base, None).map(|_| ()),
            Decl::Define { name, value, .. } => {
                let v = self.eval(value)?;
                self.add_constant(name, v)
            }
            Decl::Constant { name, .. } => {
                if self.symbols.contains_key(name) && !self.active.override_ {
                    return Err(redeclared("constant", name));
                }
                self.add_unreadable_constant(name);
                Ok(())
            }
            // Only API mode can define these; cffi checks their types and
            // declares nothing else in ABI mode.
            Decl::ExternPython { ty, .. } => self.resolve(ty, None).map(|_| ()),
            Decl::Pragma { .. } => {
                self.dialect.warnings.push(PRAGMA_WARNING.to_string());
                Ok(())
            }
        }
    }

    fn add_symbol(&mut self, name: &str, symbol: Symbol, what: &str) -> Result<()> {
        if self.symbols.contains_key(name) && !self.active.override_ {
            return Err(redeclared(what, name));
        }
        self.symbols.insert(name.to_string(), symbol);
        Ok(())
    }

    fn add_constant(&mut self, name: &str, value: i128) -> Result<()> {
        match self.symbols.get(name) {
            Some(Symbol::Constant(v)) if *v == value => Ok(()),
            Some(_) if !self.active.override_ => Err(redeclared("constant", name)),
            _ => {
                self.symbols
                    .insert(name.to_string(), Symbol::Constant(value));
                Ok(())
            }
        }
    }

    /// The type of a syntactic type. `name_hint` names an anonymous struct,
    /// union or enum defined directly in a typedef, as cffi does.
    ///
    /// The recursion follows the syntax, which the parser keeps shallow; the
    /// result is refused when deeper than [`Types::MAX_DEPTH`], so that a
    /// chain of typedefs cannot build a type too deep to walk either.
    pub(crate) fn resolve(&mut self, ty: &TypeExpr, name_hint: Option<&str>) -> Result<TypeId> {
        let id = self.resolve_unchecked(ty, name_hint)?;
        if self.depth(id).max(self.nesting(id)) > Types::MAX_DEPTH {
            return Err(declaration_error(format!(
                "type nested more than {} levels deep (pointers, arrays, functions, records)",
                Types::MAX_DEPTH
            )));
        }
        Ok(id)
    }

    fn resolve_unchecked(&mut self, ty: &TypeExpr, name_hint: Option<&str>) -> Result<TypeId> {
        match ty {
            TypeExpr::Base(b) => self.resolve_base(b, name_hint),
            TypeExpr::Pointer(inner) => {
                let inner = self.resolve(inner, None)?;
                Ok(self.pointer_to(inner))
            }
            TypeExpr::Array(item, len) => self.resolve_array(item, len.as_ref()),
            TypeExpr::Function {
                ret,
                params,
                variadic,
            } => {
                let ret = self.resolve(ret, None)?;
                if matches!(self.get(ret), Type::Array(..) | Type::Function(_)) {
                    // cffi raises TypeError ("invalid result type") here.
                    return Err(TypeError::new(
                        ErrorKind::Unsupported,
                        format!("a function cannot return '{}'", self.cname(ret)),
                    ));
                }
                let params = params
                    .iter()
                    .map(|p| {
                        self.resolve_param(&p.ty)
                            .or_else(|e| self.array_param_of_incomplete(&p.ty, e))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(self.intern(Type::Function(FuncType {
                    ret,
                    params,
                    variadic: *variadic,
                })))
            }
        }
    }

    fn resolve_array(&mut self, item: &TypeExpr, len: Option<&Expr>) -> Result<TypeId> {
        let item = self.resolve(item, None)?;
        if let Some(Expr::Dots) = len {
            let hint = self.dialect.typedef.clone();
            return self.dots_array(item, hint.as_deref());
        }
        if self.dialect.unfinished.contains_key(&item) {
            // `int a[5][...]`: as unusable as its items.
            return Ok(item);
        }
        if self.size_of(item).is_err() {
            if let Type::Function(_) = self.get(item) {
                return Err(declaration_error(format!(
                    "an array cannot hold functions ('{}'); use pointers to functions",
                    self.cname(item)
                )));
            }
            return Err(TypeError::new(
                ErrorKind::UnknownSize,
                format!("array item of unknown size: '{}'", self.cname(item)),
            ));
        }
        let len = match len {
            Some(e) => Some(self.eval_count(e, "array length")?),
            None => None,
        };
        let id = self.array_of(item, len);
        self.size_of(id).map(|_| id).or_else(|e| match len {
            None => Ok(id),
            Some(_) => Err(e),
        })
    }

    /// An array parameter is a pointer, whose items need no size yet:
    /// `void f(struct later[])` before `struct later` is complete. `e` is
    /// why it could not be made an array; other errors stand.
    fn array_param_of_incomplete(&mut self, ty: &TypeExpr, e: TypeError) -> Result<TypeId> {
        match ty {
            TypeExpr::Array(item, _) if e.kind == ErrorKind::UnknownSize => {
                let item = self.resolve(item, None)?;
                Ok(self.pointer_to(item))
            }
            _ => Err(e),
        }
    }

    /// C adjusts array parameters to pointers and function parameters to
    /// function pointers.
    fn resolve_param(&mut self, ty: &TypeExpr) -> Result<TypeId> {
        if let TypeExpr::Array(_, Some(Expr::Dots)) = ty {
            return Err(misplaced_dots());
        }
        let id = self.resolve(ty, None)?;
        Ok(match self.get(id).clone() {
            Type::Array(item, _) => self.pointer_to(item),
            Type::Function(_) => self.pointer_to(id),
            Type::Void => return Err(declaration_error("a parameter cannot have type 'void'")),
            _ => id,
        })
    }

    fn resolve_base(&mut self, base: &BaseType, name_hint: Option<&str>) -> Result<TypeId> {
        match base {
            BaseType::Void => Ok(self.void()),
            BaseType::Primitive(name) => self.builtin(name),
            BaseType::Named(name) => match self.typedefs.get(name) {
                Some(&id) => Ok(id),
                None => self.builtin(name),
            },
            BaseType::Record(r) => self.declare_record(r, name_hint),
            BaseType::Enum(e) => self.declare_enum(e, name_hint),
            BaseType::Dots(kind) => Ok(self.dots_type(*kind, name_hint)),
        }
    }

    fn builtin(&mut self, name: &str) -> Result<TypeId> {
        if name == "FILE" {
            let rid = self.record_by_tag(RecordKind::Struct, FILE_TAG, "FILE");
            return Ok(self.intern(Type::Record(rid)));
        }
        match Prim::from_name(name) {
            Some(p) => Ok(self.prim(p)),
            None => Err(declaration_error(format!("unknown identifier '{name}'"))),
        }
    }

    fn record_by_tag(&mut self, kind: RecordKind, tag: &str, name: &str) -> RecordId {
        if let Some(&rid) = self.record_tags.get(&(kind, tag.to_string())) {
            return rid;
        }
        let rid = RecordId(self.records.len() as u32);
        self.records.push(Record {
            kind,
            name: name.to_string(),
            tag: Some(tag.to_string()),
            layout: None,
        });
        self.record_tags.insert((kind, tag.to_string()), rid);
        rid
    }

    fn anonymous_name(&mut self, keyword: &str, hint: Option<&str>) -> String {
        match hint {
            Some(h) => h.to_string(),
            None => {
                self.anonymous_count += 1;
                format!("{keyword} ${}", self.anonymous_count)
            }
        }
    }

    fn declare_record(&mut self, r: &RecordDecl, name_hint: Option<&str>) -> Result<TypeId> {
        let keyword = match r.kind {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        };
        // `typedef struct {...} A, *B;` repeats the body in every declarator:
        // it is one struct, named (as cffi does) by the first declarator only.
        let body_key = (r.pos, r.kind, false);
        if r.fields.is_some() {
            if let Some(&id) = self.dialect.bodies.get(&body_key) {
                return Ok(id);
            }
        }
        let rid = match &r.name {
            Some(tag) => {
                let full = format!("{keyword} {tag}");
                let rid = self.record_by_tag(r.kind, tag, &full);
                // cffi names a tagged struct or union after the first typedef
                // that names it directly (`typedef struct p p_t;` shows as
                // 'p_t'); enums keep their tag.
                if let Some(h) = name_hint {
                    let record = &mut self.records[rid.0 as usize];
                    if record.name == full {
                        record.name = h.to_string();
                    }
                }
                rid
            }
            None => {
                let rid = RecordId(self.records.len() as u32);
                let name = self.anonymous_name(keyword, name_hint);
                self.records.push(Record {
                    kind: r.kind,
                    name,
                    tag: None,
                    layout: None,
                });
                rid
            }
        };
        if let Some(fields) = &r.fields {
            let id = self.intern(Type::Record(rid));
            let record = &self.records[rid.0 as usize];
            // As in cffi, `override` replaces names, not struct bodies.
            if record.layout.is_some() || self.dialect.unfinished.contains_key(&id) {
                let name = match &record.tag {
                    Some(tag) => format!("{keyword} {tag}"),
                    None => record.name.clone(),
                };
                return Err(declaration_error(format!(
                    "duplicate declaration of {name}"
                )));
            }
            let members = fields
                .iter()
                .map(|f| {
                    Ok(Member {
                        name: f.name.clone(),
                        ty: self
                            .resolve(&f.ty, None)
                            .map_err(|e| e.in_field(f.name.as_deref()))?,
                        bits: match &f.bits {
                            Some(b) => Some(self.eval_count(b, "bitfield width")?),
                            None => None,
                        },
                        packed: f.attrs.packed,
                        aligned: self.eval_aligned(&f.attrs)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            self.dialect.bodies.insert(body_key, id);
            let types: Vec<TypeId> = members.iter().map(|m| m.ty).collect();
            let unfinished = match r.partial {
                true => Some(Unfinished::Partial),
                false => self.unfinished_member(&types),
            };
            if let Some(u) = unfinished {
                // Only a compiler can lay it out; cffi refuses it when used.
                self.mark_unfinished(id, u);
                return Ok(id);
            }
            let rules = Rules {
                packed: r.attrs.packed,
                aligned: self.eval_aligned(&r.attrs)?,
                pack: self.active.pack,
            };
            match self.lay_out_or_fault(r.kind, &members, rules)? {
                Ok(layout) => {
                    self.set_record_nesting(rid, &members)?;
                    self.records[rid.0 as usize].layout = Some(layout);
                }
                // cffi lays records out when first used, and refuses them then.
                Err(fault) => self.mark_unfinished(id, Unfinished::Layout(fault)),
            }
        }
        Ok(self.intern(Type::Record(rid)))
    }

    /// `aligned(N)` as GCC takes it: 0 is ignored (GCC warns), other values
    /// must be powers of two up to GCC's maximum.
    fn eval_aligned(&mut self, attrs: &Attrs) -> Result<Option<usize>> {
        match &attrs.aligned {
            None => Ok(None),
            Some(None) => Ok(Some(target::MAX_ALIGN)),
            Some(Some(e)) => match self.eval(e)? {
                0 => Ok(None),
                a if a < 0 || a.count_ones() != 1 => Err(declaration_error(format!(
                    "requested alignment {a} is not a positive power of 2"
                ))),
                a if a > target::MAX_ALIGN_ATTRIBUTE as i128 => Err(declaration_error(format!(
                    "requested alignment {a} exceeds maximum {}",
                    target::MAX_ALIGN_ATTRIBUTE
                ))),
                a => Ok(Some(a as usize)),
            },
        }
    }

    fn declare_enum(&mut self, e: &EnumDecl, name_hint: Option<&str>) -> Result<TypeId> {
        let body_key = (e.pos, RecordKind::Struct, true);
        if e.variants.is_some() {
            if let Some(&id) = self.dialect.bodies.get(&body_key) {
                return Ok(id);
            }
        }
        let existing = e.name.as_ref().and_then(|t| self.enum_tags.get(t).copied());
        let eid = match existing {
            Some(eid) => eid,
            None => {
                let eid = EnumId(self.enums.len() as u32);
                // cffi names an enum after the typedef that first mentions
                // it (`typedef enum _E {...} E;` is 'E'); one declared before
                // a typedef keeps its tag.
                let name = match (&e.name, name_hint) {
                    (Some(_), Some(hint)) => hint.to_string(),
                    (Some(tag), None) => format!("enum {tag}"),
                    (None, _) => self.anonymous_name("enum", name_hint),
                };
                self.enums.push(EnumDef {
                    name,
                    tag: e.name.clone(),
                    variants: None,
                    base: Prim::UINT,
                });
                if let Some(tag) = &e.name {
                    self.enum_tags.insert(tag.clone(), eid);
                }
                eid
            }
        };
        if let Some(variants) = &e.variants {
            if existing.is_some() && self.enums[eid.0 as usize].variants.is_none() {
                return Err(TypeError::new(
                    ErrorKind::NotImplemented,
                    format!(
                        "enum {}: the '{{}}' declaration should appear on the first time the enum is mentioned, not later",
                        e.name.as_deref().unwrap_or_default()
                    ),
                ));
            }
            if self.enums[eid.0 as usize].variants.is_some() {
                return Err(declaration_error(format!(
                    "duplicate declaration of {}",
                    self.enums[eid.0 as usize].name
                )));
            }
            let id = self.intern(Type::Enum(eid));
            self.dialect.bodies.insert(body_key, id);
            if e.partial {
                self.mark_unfinished(id, Unfinished::Partial);
            }
            let mut values = Vec::with_capacity(variants.len());
            let mut next = 0i128;
            for v in variants {
                let value = match &v.value {
                    Some(x) => self.eval(x)?,
                    None => next,
                };
                next = value.saturating_add(1);
                if e.partial {
                    // cffi lists them in dir(lib) and refuses to read them.
                    self.add_unusable(&v.name, Unusable::Of(id));
                } else {
                    self.add_constant(&v.name, value)?;
                }
                values.push((v.name.clone(), value));
            }
            let base = enum_base(values.iter().map(|(_, v)| *v)).ok_or_else(|| {
                declaration_error(format!(
                    "{} values don't all fit into either 'long' or 'unsigned long'",
                    self.enums[eid.0 as usize].name
                ))
            })?;
            let def = &mut self.enums[eid.0 as usize];
            def.base = base;
            def.variants = Some(values);
        }
        Ok(self.intern(Type::Enum(eid)))
    }
}

/// The integer type GCC gives an enum with these values; `None` when neither
/// `long` nor `unsigned long` holds them all (cffi refuses the enum).
fn enum_base(values: impl Iterator<Item = i128>) -> Option<Prim> {
    let (mut lo, mut hi) = (0i128, 0i128);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let fits = |p: Prim| {
        let bits = p.size() as u32 * 8;
        let (min, max) = if p.is_signed() {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        };
        min <= lo && hi <= max
    };
    let candidates = if lo < 0 {
        [Prim::INT, Prim::LONG]
    } else {
        [Prim::UINT, Prim::ULONG]
    };
    candidates.into_iter().find(|&p| fits(p))
}
