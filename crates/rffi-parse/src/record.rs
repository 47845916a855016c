//! `struct` and `union` specifiers to [`RecordDecl`], members included.

use lang_c::ast::{StructDeclaration, StructField, StructKind, StructType};
use lang_c::span::Node;

use crate::ast::{BaseType, DotsKind, Expr, Field, RecordDecl, RecordKind, TypeExpr};
use crate::attrs::merge;
use crate::context::{Conv, Result};
use crate::declarator::declare;
use crate::expr::expr;
use crate::specifiers::{qualifier_specs, Specs};

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
    let mut partial = false;
    let fields = match &st.declarations {
        Some(decls) => Some(fields(conv, decls, &mut partial)?),
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
        partial,
        pos: conv.pos(s.span),
    })
}

/// The members of a body; `partial` is set by cffi's `...;` and `[...]`.
fn fields(
    conv: &Conv,
    decls: &[Node<StructDeclaration>],
    partial: &mut bool,
) -> Result<Vec<Field>> {
    let mut out = Vec::new();
    for decl in decls {
        match &decl.node {
            StructDeclaration::Field(f) => {
                let specs = qualifier_specs(conv, &f.node.specifiers, f.span)?;
                if specs.base == BaseType::Dots(DotsKind::Opaque) && f.node.declarators.is_empty() {
                    *partial = true;
                    continue;
                }
                member(conv, f, specs, &mut out)?;
                *partial |= out.iter().any(|f| has_dots_length(&f.ty));
            }
            StructDeclaration::StaticAssert(_) => {
                return Err(conv.error(decl.span, "_Static_assert is not supported in cdef"))
            }
        }
    }
    Ok(out)
}

/// One member declaration, which may declare several fields (`int x, y:3;`).
/// Whether `ty` is an array whose length (or an inner array's) is `...`.
fn has_dots_length(ty: &TypeExpr) -> bool {
    match ty {
        TypeExpr::Array(_, Some(Expr::Dots)) => true,
        TypeExpr::Array(item, _) => has_dots_length(item),
        _ => false,
    }
}

fn member(conv: &Conv, f: &Node<StructField>, specs: Specs, out: &mut Vec<Field>) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::test_support::*;

    fn record_of(source: &str) -> RecordDecl {
        match one(source) {
            Decl::Tag {
                base: BaseType::Record(r),
                ..
            } => *r,
            other => panic!("{other:?}"),
        }
    }

    fn field(name: Option<&str>, ty: TypeExpr, bits: Option<u64>, pos: Pos) -> Field {
        Field {
            name: name.map(Into::into),
            ty,
            bits: bits.map(int),
            attrs: Attrs::default(),
            pos,
        }
    }

    #[test]
    fn definitions_with_several_declarators_per_member() {
        let r = record_of("struct point {\n  int x, *y;\n  char name[8];\n};");
        assert_eq!(
            (r.kind, r.name.as_deref(), r.pos),
            (RecordKind::Struct, Some("point"), pos(1, 1))
        );
        assert_eq!(
            r.fields.unwrap(),
            vec![
                field(Some("x"), prim("int"), None, pos(2, 7)),
                field(Some("y"), ptr(prim("int")), None, pos(2, 11)),
                field(Some("name"), arr(prim("char"), Some(8)), None, pos(3, 8)),
            ]
        );
    }

    #[test]
    fn opaque_and_empty_records() {
        let r = record_of("struct ctx;");
        assert_eq!((r.name.as_deref(), r.fields), (Some("ctx"), None));
        let r = record_of("union u {};");
        assert_eq!((r.kind, r.fields), (RecordKind::Union, Some(vec![])));
    }

    #[test]
    fn bitfields_named_and_unnamed() {
        let r = record_of("struct f { unsigned a : 3; int : 0; int b:1; };");
        let fields = r.fields.unwrap();
        assert_eq!(
            fields[0],
            field(Some("a"), prim("unsigned int"), Some(3), pos(1, 21))
        );
        assert_eq!(
            (fields[1].name.as_deref(), &fields[1].bits),
            (None, &Some(int(0)))
        );
        assert_eq!(fields[2].bits, Some(int(1)));
    }

    #[test]
    fn anonymous_members_and_nested_definitions() {
        let r = record_of("struct o { union { int i; float f; }; struct in { int a; } named; };");
        let fields = r.fields.unwrap();
        assert_eq!(fields[0].name, None);
        let TypeExpr::Base(BaseType::Record(anon)) = &fields[0].ty else {
            panic!()
        };
        assert_eq!((anon.kind, anon.name.as_deref()), (RecordKind::Union, None));
        assert_eq!(anon.fields.as_ref().unwrap().len(), 2);
        let TypeExpr::Base(BaseType::Record(nested)) = &fields[1].ty else {
            panic!()
        };
        assert_eq!(nested.name.as_deref(), Some("in"));
        assert!(nested.fields.is_some());
    }

    #[test]
    fn flexible_array_members() {
        let r = record_of("struct buf { int len; int data[]; };");
        assert_eq!(r.fields.unwrap()[1].ty, arr(prim("int"), None));
    }

    #[test]
    fn packed_and_aligned_attributes_in_every_place() {
        let packed = Attrs {
            packed: true,
            aligned: None,
        };
        for src in [
            "struct __attribute__((packed)) s { int a; };",
            "struct s { int a; } __attribute__((packed));",
            "struct __attribute__((__packed__)) s { int a; };",
        ] {
            assert_eq!(record_of(src).attrs, packed, "{src}");
        }
        let r = record_of("struct __attribute__((packed, aligned(8))) s { int a; };");
        assert_eq!(
            r.attrs,
            Attrs {
                packed: true,
                aligned: Some(Some(int(8)))
            }
        );
        let r = record_of(
            "struct s { int a __attribute__((aligned(16))); __attribute__((aligned)) char b; };",
        );
        let fields = r.fields.unwrap();
        assert_eq!(fields[0].attrs.aligned, Some(Some(int(16))));
        assert_eq!(fields[1].attrs.aligned, Some(None));
        let r = record_of("struct s { int d __attribute__((deprecated, unused)); };");
        assert_eq!(r.fields.unwrap()[0].attrs, Attrs::default());
    }

    #[test]
    fn attributes_in_typedefs_go_to_the_record() {
        let Decl::Typedef { ty, .. } =
            one("typedef struct { char c; } __attribute__((packed)) p_t;")
        else {
            panic!()
        };
        let TypeExpr::Base(BaseType::Record(r)) = ty else {
            panic!()
        };
        assert!(r.attrs.packed);
    }
}
