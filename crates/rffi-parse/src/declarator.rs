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
    let is_pointer = |p: &&Node<DerivedDeclarator>| matches!(p.node, DerivedDeclarator::Pointer(_));
    let pointers = d.derived.iter().filter(is_pointer);
    let suffixes = d.derived.iter().rev().filter(|p| !is_pointer(p));
    for part in pointers.chain(suffixes) {
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

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::test_support::*;

    #[test]
    fn pointer_to_array_and_array_of_pointers() {
        assert_eq!(decl_ty("int *a[3];"), arr(ptr(prim("int")), Some(3)));
        assert_eq!(decl_ty("int (*p)[5];"), ptr(arr(prim("int"), Some(5))));
        assert_eq!(
            decl_ty("int a[2][3];"),
            arr(arr(prim("int"), Some(3)), Some(2))
        );
        assert_eq!(decl_ty("char **pp;"), ptr(ptr(prim("char"))));
    }

    #[test]
    fn function_returning_pointer_to_array() {
        let want = ptr(func(
            ptr(arr(prim("int"), Some(3))),
            vec![prim("int")],
            false,
        ));
        assert_eq!(decl_ty("int (*(*f)(int))[3];"), want);
    }

    #[test]
    fn function_pointer_parameters_and_array_parameters_stay_as_written() {
        let cb = ptr(func(void(), vec![prim("int")], false));
        let want = TypeExpr::Function {
            ret: Box::new(prim("int")),
            params: vec![
                Param {
                    name: Some("cb".into()),
                    ty: cb,
                },
                Param {
                    name: Some("v".into()),
                    ty: arr(prim("double"), Some(4)),
                },
                Param {
                    name: None,
                    ty: arr(prim("int"), None),
                },
            ],
            variadic: false,
        };
        assert_eq!(decl_ty("int f(void (*cb)(int), double v[4], int[]);"), want);
    }

    #[test]
    fn void_and_empty_parameter_lists_give_no_params() {
        assert_eq!(decl_ty("int f(void);"), func(prim("int"), vec![], false));
        assert_eq!(decl_ty("int f();"), func(prim("int"), vec![], false));
        assert!(cdef_err("int f(void, int);").message.contains("void"));
    }

    #[test]
    fn variadic_functions() {
        let want = func(prim("int"), vec![ptr(prim("char"))], true);
        assert_eq!(decl_ty("int printf(const char *, ...);"), want);
    }

    #[test]
    fn function_returning_function_pointer() {
        let handler = ptr(func(void(), vec![prim("int")], false));
        let want = func(
            handler,
            vec![prim("int"), ptr(func(void(), vec![prim("int")], false))],
            false,
        );
        assert_eq!(decl_ty("void (*signal(int, void (*)(int)))(int);"), want);
    }

    #[test]
    fn kr_identifier_lists_are_refused() {
        let e = cdef_err("int f(a, b);");
        assert!(e.message.contains("K&R"), "{e}");
        assert_eq!((e.line, e.column), (1, 7));
        let e = cdef_err("int f(a) int a;");
        assert!(e.message.contains("K&R"), "{e}");
    }

    #[test]
    fn top_level_const_is_the_objects_own() {
        let is_const = |src: &str| match one(src) {
            Decl::Variable { is_const, .. } => is_const,
            other => panic!("{other:?}"),
        };
        assert!(is_const("const int x;"));
        assert!(is_const("char *const p;"));
        assert!(is_const("const int table[4];"));
        assert!(!is_const("const char *greeting;"));
        assert!(!is_const("int (*const *pp);"));
    }
}
