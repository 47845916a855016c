//! Declarators (`*p`, `a[3]`, `(*f)(int)`) applied to a base type.
//!
//! lang-c gives a declarator as a name (or a nested declarator) plus a list of
//! derived parts: the pointers written before the name, in order, then the
//! array and function suffixes written after it. In C the suffixes bind
//! tighter than the pointers and the rightmost suffix is closest to the base
//! type, so the type is built inside out: pointers first, then suffixes from
//! last to first, then the nested declarator with all of that as its base.

use lang_c::ast::{
    ArraySize, Declarator, DeclaratorKind, DerivedDeclarator, Ellipsis, FunctionDeclarator,
    ParameterDeclaration, PointerQualifier, TypeQualifier,
};
use lang_c::span::{Node, Span};

use crate::ast::{Attrs, BaseType, Param, TypeExpr};
use crate::attrs::add_extensions;
use crate::context::{Conv, Result};
use crate::expr::expr;
use crate::refuse::kr_message;
use crate::specifiers::{declaration_specs, Storage};

/// A declarator applied: the declared name with its span, the type, whether
/// the declared object itself is const, and the declarator's attributes.
pub(crate) struct Declared {
    pub(crate) name: Option<(String, Span)>,
    pub(crate) ty: TypeExpr,
    pub(crate) is_const: bool,
    pub(crate) attrs: Attrs,
}

/// Applies `declarator` to `base`; `base_const` is `const` in the specifiers.
pub(crate) fn declare(
    conv: &Conv,
    base: TypeExpr,
    base_const: bool,
    declarator: &Node<Declarator>,
) -> Result<Declared> {
    let mut out = Declared {
        name: None,
        ty: base,
        is_const: base_const,
        attrs: Attrs::default(),
    };
    apply(conv, &mut out, declarator)?;
    Ok(out)
}

fn apply(conv: &Conv, out: &mut Declared, declarator: &Node<Declarator>) -> Result<()> {
    let d = &declarator.node;
    add_extensions(conv, &mut out.attrs, &d.extensions)?;
    let (pointers, suffixes): (Vec<_>, Vec<_>) = d
        .derived
        .iter()
        .partition(|p| matches!(p.node, DerivedDeclarator::Pointer(_)));
    for part in pointers.iter().chain(suffixes.iter().rev()) {
        derive(conv, out, part)?;
    }
    match &d.kind.node {
        DeclaratorKind::Abstract => Ok(()),
        DeclaratorKind::Identifier(id) => {
            out.name = Some((id.node.name.clone(), id.span));
            Ok(())
        }
        DeclaratorKind::Declarator(inner) => apply(conv, out, inner),
    }
}

fn derive(conv: &Conv, out: &mut Declared, part: &Node<DerivedDeclarator>) -> Result<()> {
    let inner = Box::new(std::mem::replace(
        &mut out.ty,
        TypeExpr::Base(BaseType::Void),
    ));
    out.ty = match &part.node {
        DerivedDeclarator::Pointer(quals) => {
            out.is_const = quals.iter().any(is_const_qualifier);
            TypeExpr::Pointer(inner)
        }
        DerivedDeclarator::Array(array) => {
            let len = match &array.node.size {
                ArraySize::Unknown => None,
                ArraySize::VariableExpression(e) | ArraySize::StaticExpression(e) => {
                    Some(expr(conv, e)?)
                }
                ArraySize::VariableUnknown => {
                    return Err(conv.error(part.span, "variable-length arrays are not supported"))
                }
            };
            TypeExpr::Array(inner, len)
        }
        DerivedDeclarator::Function(f) => {
            out.is_const = false;
            function(conv, inner, &f.node)?
        }
        DerivedDeclarator::KRFunction(names) => match names.first() {
            None => TypeExpr::Function {
                ret: inner,
                params: Vec::new(),
                variadic: false,
            },
            Some(first) => return Err(conv.error(first.span, kr_message())),
        },
        DerivedDeclarator::Block(_) => {
            return Err(conv.error(part.span, "blocks are not supported"))
        }
    };
    Ok(())
}

fn is_const_qualifier(q: &Node<PointerQualifier>) -> bool {
    matches!(&q.node, PointerQualifier::TypeQualifier(t) if t.node == TypeQualifier::Const)
}

fn function(conv: &Conv, ret: Box<TypeExpr>, f: &FunctionDeclarator) -> Result<TypeExpr> {
    let mut params = f
        .parameters
        .iter()
        .map(|p| param(conv, p))
        .collect::<Result<Vec<_>>>()?;
    if is_void_list(&params) {
        params.clear();
    } else if let Some(i) = params
        .iter()
        .position(|p| p.ty == TypeExpr::Base(BaseType::Void))
    {
        let span = f.parameters[i].span;
        return Err(conv.error(span, "'void' must be the only parameter"));
    }
    Ok(TypeExpr::Function {
        ret,
        params,
        variadic: f.ellipsis == Ellipsis::Some,
    })
}

fn is_void_list(params: &[Param]) -> bool {
    matches!(
        params,
        [Param {
            name: None,
            ty: TypeExpr::Base(BaseType::Void)
        }]
    )
}

fn param(conv: &Conv, p: &Node<ParameterDeclaration>) -> Result<Param> {
    let specs = declaration_specs(conv, &p.node.specifiers, p.span)?;
    if !matches!(specs.storage, Storage::Plain | Storage::Register) {
        return Err(conv.error(p.span, "parameters cannot have a storage class"));
    }
    let base = TypeExpr::Base(specs.base);
    let Some(declarator) = &p.node.declarator else {
        return Ok(Param {
            name: None,
            ty: base,
        });
    };
    let declared = declare(conv, base, specs.is_const, declarator)?;
    Ok(Param {
        name: declared.name.map(|(n, _)| n),
        ty: declared.ty,
    })
}
