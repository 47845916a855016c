//! `struct` and `union` specifiers to [`RecordDecl`], members included.

use lang_c::ast::{StructDeclaration, StructField, StructKind, StructType};
use lang_c::span::Node;

use crate::ast::{BaseType, Field, RecordDecl, RecordKind, TypeExpr};
use crate::attrs::merge;
use crate::context::{Conv, Result};
use crate::declarator::declare;
use crate::expr::expr;
use crate::specifiers::qualifier_specs;

/// A struct or union reference, opaque declaration or definition.
pub(crate) fn record(conv: &Conv, s: &Node<StructType>) -> Result<RecordDecl> {
    let st = &s.node;
    if st.identifier.is_none() && st.declarations.is_none() {
        return Err(conv.error(s.span, "expected a struct or union name or body"));
    }
    let kind = match st.kind.node {
        StructKind::Struct => RecordKind::Struct,
        StructKind::Union => RecordKind::Union,
    };
    let fields = match &st.declarations {
        Some(decls) => Some(fields(conv, decls)?),
        None => None,
    };
    let attrs = conv
        .record_attrs
        .get(&conv.offset(s.span))
        .cloned()
        .unwrap_or_default();
    Ok(RecordDecl {
        kind,
        name: st.identifier.as_ref().map(|i| i.node.name.clone()),
        fields,
        attrs,
        pos: conv.pos(s.span),
    })
}

fn fields(conv: &Conv, decls: &[Node<StructDeclaration>]) -> Result<Vec<Field>> {
    let mut out = Vec::new();
    for decl in decls {
        match &decl.node {
            StructDeclaration::Field(f) => member(conv, f, &mut out)?,
            StructDeclaration::StaticAssert(_) => {
                return Err(conv.error(decl.span, "_Static_assert is not supported in cdef"))
            }
        }
    }
    Ok(out)
}

/// One member declaration, which may declare several fields (`int x, y:3;`).
fn member(conv: &Conv, f: &Node<StructField>, out: &mut Vec<Field>) -> Result<()> {
    let specs = qualifier_specs(conv, &f.node.specifiers, f.span)?;
    if f.node.declarators.is_empty() {
        if !matches!(specs.base, BaseType::Record(_)) {
            return Err(conv.error(f.span, "member declares nothing"));
        }
        out.push(Field {
            name: None,
            ty: TypeExpr::Base(specs.base),
            bits: None,
            attrs: specs.attrs,
            pos: conv.pos(f.span),
        });
        return Ok(());
    }
    for sd in &f.node.declarators {
        let base = TypeExpr::Base(specs.base.clone());
        let mut attrs = specs.attrs.clone();
        let (name, ty, span) = match &sd.node.declarator {
            Some(d) => {
                let declared = declare(conv, base, specs.is_const, d)?;
                merge(&mut attrs, &declared.attrs);
                let (name, span) = declared.name.map_or((None, sd.span), |(n, s)| (Some(n), s));
                (name, declared.ty, span)
            }
            None => (None, base, sd.span),
        };
        let bits = sd
            .node
            .bit_width
            .as_ref()
            .map(|b| expr(conv, b))
            .transpose()?;
        out.push(Field {
            name,
            ty,
            bits,
            attrs,
            pos: conv.pos(span),
        });
    }
    Ok(())
}
