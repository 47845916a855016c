//! Declaration specifiers (`static const unsigned long`, `struct s {...}`,
//! `__attribute__((packed))`) to a base type, storage class and attributes.

use lang_c::ast::{
    DeclarationSpecifier, Extension, SpecifierQualifier, StorageClassSpecifier, TypeQualifier,
    TypeSpecifier,
};
use lang_c::span::{Node, Span};

use crate::ast::{Attrs, BaseType, DotsKind};
use crate::attrs::{add_extensions, merge};
use crate::context::{Conv, Result};
use crate::dialect;
use crate::enumeration::enumeration;
use crate::primitive::Keywords;
use crate::record::record;

/// The storage class of a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Storage {
    Plain,
    Typedef,
    Extern,
    Static,
    /// Only meaningful on parameters, where it is ignored.
    Register,
}

/// What the specifiers of one declaration say.
pub(crate) struct Specs {
    pub(crate) base: BaseType,
    /// `const` among the specifiers (it applies to the base type).
    pub(crate) is_const: bool,
    pub(crate) storage: Storage,
    /// Attributes for what is declared; those after a record definition went
    /// to the record instead.
    pub(crate) attrs: Attrs,
}

#[derive(Default)]
struct Collected<'a> {
    types: Vec<&'a Node<TypeSpecifier>>,
    is_const: bool,
    storage: Vec<&'a Node<StorageClassSpecifier>>,
    extensions: Vec<&'a [Node<Extension>]>,
}

/// The specifiers of a declaration or parameter; `span` locates errors about
/// missing type specifiers.
pub(crate) fn declaration_specs(
    conv: &Conv,
    specs: &[Node<DeclarationSpecifier>],
    span: Span,
) -> Result<Specs> {
    let mut c = Collected::default();
    for spec in specs {
        match &spec.node {
            DeclarationSpecifier::StorageClass(s) => c.storage.push(s),
            DeclarationSpecifier::TypeSpecifier(t) => c.types.push(t),
            DeclarationSpecifier::TypeQualifier(q) => c.is_const |= q.node == TypeQualifier::Const,
            DeclarationSpecifier::Function(_) => {}
            // The dialect pass blanks `_Alignas(...)`, which cffi ignores.
            DeclarationSpecifier::Alignment(_) => {}
            DeclarationSpecifier::Extension(e) => c.extensions.push(e),
        }
    }
    finish(conv, c, span)
}

/// The specifiers of a struct member or a type name.
pub(crate) fn qualifier_specs(
    conv: &Conv,
    specs: &[Node<SpecifierQualifier>],
    span: Span,
) -> Result<Specs> {
    let mut c = Collected::default();
    for spec in specs {
        match &spec.node {
            SpecifierQualifier::TypeSpecifier(t) => c.types.push(t),
            SpecifierQualifier::TypeQualifier(q) => c.is_const |= q.node == TypeQualifier::Const,
            SpecifierQualifier::Extension(e) => c.extensions.push(e),
        }
    }
    finish(conv, c, span)
}

fn finish(conv: &Conv, c: Collected, span: Span) -> Result<Specs> {
    let storage = storage(conv, &c.storage)?;
    let mut base = base_type(conv, &c.types, span)?;
    let mut attrs = Attrs::default();
    for ext in &c.extensions {
        add_extensions(conv, &mut attrs, ext)?;
    }
    if let BaseType::Record(r) = &mut base {
        if r.fields.is_some() {
            merge(&mut r.attrs, &attrs);
            attrs = Attrs::default();
        }
    }
    Ok(Specs {
        base,
        is_const: c.is_const,
        storage,
        attrs,
    })
}

fn storage(conv: &Conv, specs: &[&Node<StorageClassSpecifier>]) -> Result<Storage> {
    let Some(first) = specs.first() else {
        return Ok(Storage::Plain);
    };
    if let Some(second) = specs.get(1) {
        return Err(conv.error(second.span, "more than one storage class"));
    }
    match first.node {
        StorageClassSpecifier::Typedef => Ok(Storage::Typedef),
        StorageClassSpecifier::Extern => Ok(Storage::Extern),
        StorageClassSpecifier::Static => Ok(Storage::Static),
        StorageClassSpecifier::Register => Ok(Storage::Register),
        StorageClassSpecifier::ThreadLocal => Err(conv.error(
            first.span,
            "thread-local variables are not supported in cdef",
        )),
        StorageClassSpecifier::Auto => {
            Err(conv.error(first.span, "'auto' is not supported in cdef"))
        }
    }
}

fn base_type(conv: &Conv, types: &[&Node<TypeSpecifier>], span: Span) -> Result<BaseType> {
    let mut keywords = Keywords::default();
    let others: Vec<_> = types.iter().filter(|t| !keywords.add(&t.node)).collect();
    match (types, others.as_slice()) {
        ([], _) => Err(conv.error(span, "missing type specifier")),
        ([only], [_]) => single(conv, only),
        (_, []) => keywords
            .canonical()
            .map(BaseType::Primitive)
            .ok_or_else(|| invalid_combination(conv, types)),
        _ => Err(invalid_combination(conv, types)),
    }
}

fn invalid_combination(conv: &Conv, types: &[&Node<TypeSpecifier>]) -> crate::ParseError {
    let start = conv.offset(types[0].span);
    let end = types
        .last()
        .map_or(start, |t| conv.origin.user_offset(t.span.end));
    let spelled = conv.src.text().get(start..end.max(start)).unwrap_or("");
    conv.error(
        types[0].span,
        format!("invalid combination of type specifiers \"{spelled}\""),
    )
}

fn single(conv: &Conv, spec: &Node<TypeSpecifier>) -> Result<BaseType> {
    match &spec.node {
        TypeSpecifier::Void => Ok(BaseType::Void),
        TypeSpecifier::Struct(s) => Ok(BaseType::Record(Box::new(record(conv, s)?))),
        TypeSpecifier::Enum(e) => Ok(BaseType::Enum(Box::new(enumeration(conv, e)?))),
        TypeSpecifier::TypedefName(id) if conv.is_dots(id.span) => {
            Ok(BaseType::Dots(match id.node.name.as_str() {
                dialect::INTEGER => DotsKind::Integer,
                dialect::FLOAT => DotsKind::Float,
                _ => DotsKind::Opaque,
            }))
        }
        TypeSpecifier::TypedefName(id) => Ok(BaseType::Named(id.node.name.clone())),
        TypeSpecifier::TypeOf(_) => Err(conv.error(spec.span, "typeof is not supported in cdef")),
        TypeSpecifier::Atomic(_) => Err(conv.error(spec.span, "_Atomic types are not supported")),
        _ => Err(conv.error(spec.span, "this type is not supported")),
    }
}
