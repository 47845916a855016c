//! A whole cdef source to declarations: comments and directives first, then
//! the pre-checks, then lang-c, then the conversion of each declaration.

use std::collections::HashSet;

use lang_c::ast::{Declaration, ExternalDeclaration, InitDeclarator, TranslationUnit};
use lang_c::span::Node;

use crate::ast::{BaseType, Decl, Pos, TypeExpr};
use crate::comments::strip_comments;
use crate::context::{Conv, Result};
use crate::declarator::declare;
use crate::define::define;
use crate::dialect::{may_need_rewrite, rewrite, Dialect};
use crate::directive::take_directives;
use crate::expected::syntax_error;
use crate::guard::{check_limits, Refusal};
use crate::lexer::tokenize;
use crate::position::SourceText;
use crate::refuse::find_function_body;
use crate::specifiers::{declaration_specs, Specs, Storage};
use crate::syntax::{is_type_name, parse_unit, Fragment};
use crate::tag_attrs::take_tag_attrs;

/// Parses a cdef source; see [`crate::parse_cdef`].
pub(crate) fn parse_source(source: &str, is_typename: &dyn Fn(&str) -> bool) -> Result<Vec<Decl>> {
    let src = SourceText::new(source);
    let refused = |r: Refusal| src.error(r.offset, r.message);
    let mut text = strip_comments(source).map_err(|e| src.error(e.0, "unterminated comment"))?;
    let directives = take_directives(&mut text).map_err(refused)?;
    let tokens = tokenize(&text);
    check_limits(&text, &tokens).map_err(refused)?;
    let (dialect, mut tokens) = if may_need_rewrite(&text) {
        let dialect = rewrite(&mut text, &tokens).map_err(refused)?;
        (dialect, tokenize(&text))
    } else {
        (Dialect::default(), tokens)
    };
    let typenames = |n: &str| dialect.is_marker_type(n) || is_type_name(n, is_typename);
    // Attributes go first: `struct __attribute__((x)) {` would look like a body.
    let record_attrs = take_tag_attrs(&src, &mut text, &mut tokens, &typenames)?;
    find_function_body(&text, &tokens).map_err(refused)?;
    let mut decls = Vec::new();
    if !tokens.is_empty() {
        let fragment = Fragment {
            prefix: "",
            body: &text,
            suffix: "",
            user_start: 0,
        };
        let (unit, origin) = parse_unit(&fragment, &tokens, &typenames)
            .map_err(|f| syntax_error(&src, &text, &tokens, &f, &typenames))?;
        let conv = Conv {
            src: &src,
            origin,
            record_attrs: &record_attrs,
            dialect: &dialect,
        };
        for ext in unit.0.iter().filter(|e| !origin.before_fragment(e.span)) {
            external(&conv, ext, &mut decls)?;
        }
        drop_in_background(unit, text.len());
    }
    let local: HashSet<&str> = decls.iter().filter_map(typedef_name).collect();
    let with_local = |n: &str| local.contains(n) || typenames(n);
    let defined = directives
        .defines
        .iter()
        .map(|d| define(&src, d, &with_local));
    let mut defined = defined.collect::<Result<Vec<_>>>()?;
    defined.extend(
        directives
            .pragmas
            .into_iter()
            .map(|(offset, text)| Decl::Pragma {
                text,
                pos: src.pos(offset),
            }),
    );
    Ok(merge_in_order(decls, defined))
}

/// Sources at least this long have their lang-c tree freed on another thread.
const BACKGROUND_DROP_BYTES: usize = 64 * 1024;

/// Freeing lang-c's tree of a large source takes a fifth of the parse time
/// (one allocation per node); the caller need not wait for it. Small trees,
/// or a failed spawn, are dropped here.
fn drop_in_background(unit: TranslationUnit, source_len: usize) {
    if source_len >= BACKGROUND_DROP_BYTES {
        let _ = std::thread::Builder::new()
            .name("rffi-parse-drop".into())
            .spawn(move || drop(unit));
    }
}

fn typedef_name(decl: &Decl) -> Option<&str> {
    match decl {
        Decl::Typedef { name, .. } => Some(name),
        _ => None,
    }
}

/// Merges two lists that are each in source order.
fn merge_in_order(decls: Vec<Decl>, defines: Vec<Decl>) -> Vec<Decl> {
    if defines.is_empty() {
        return decls;
    }
    let mut all: Vec<Decl> = decls.into_iter().chain(defines).collect();
    all.sort_by_key(|d| {
        let p = decl_pos(d);
        (p.line, p.column)
    });
    all
}

fn decl_pos(decl: &Decl) -> Pos {
    match decl {
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

fn external(conv: &Conv, ext: &Node<ExternalDeclaration>, out: &mut Vec<Decl>) -> Result<()> {
    match &ext.node {
        ExternalDeclaration::Declaration(d) => declaration(conv, d, out),
        ExternalDeclaration::FunctionDefinition(_) => {
            Err(conv.error(ext.span, "function definitions are not supported in cdef"))
        }
        ExternalDeclaration::StaticAssert(_) => {
            Err(conv.error(ext.span, "_Static_assert is not supported in cdef"))
        }
    }
}

fn declaration(conv: &Conv, d: &Node<Declaration>, out: &mut Vec<Decl>) -> Result<()> {
    let specs = declaration_specs(conv, &d.node.specifiers, d.span)?;
    if specs.storage == Storage::Register {
        return Err(conv.error(d.span, "'register' is not allowed at file scope"));
    }
    if d.node.declarators.is_empty() {
        out.push(tag_only(conv, d, specs)?);
        return Ok(());
    }
    let extern_python = conv.dialect.in_extern_python(conv.offset(d.span));
    for init in &d.node.declarators {
        let decl = declared(conv, &specs, init)?;
        out.push(if extern_python {
            python_side(conv, init, decl)?
        } else {
            decl
        });
    }
    Ok(())
}

/// A declaration inside `extern "Python"`: functions become
/// [`Decl::ExternPython`], typedefs stay, anything else is refused as cffi does.
fn python_side(conv: &Conv, init: &Node<InitDeclarator>, decl: Decl) -> Result<Decl> {
    match decl {
        Decl::Function { name, ty, pos } => Ok(Decl::ExternPython { name, ty, pos }),
        Decl::Typedef { .. } => Ok(decl),
        _ => Err(conv.error(
            init.span,
            "cannot declare constants or variables with 'extern \"Python\"'",
        )),
    }
}

/// A declaration without declarators, which must name or define a tag.
fn tag_only(conv: &Conv, d: &Node<Declaration>, specs: Specs) -> Result<Decl> {
    if specs.storage == Storage::Typedef {
        return Err(conv.error(d.span, "typedef declares no name"));
    }
    let pos = match &specs.base {
        BaseType::Record(r) => r.pos,
        BaseType::Enum(e) => e.pos,
        _ => return Err(conv.error(d.span, "declaration declares nothing")),
    };
    Ok(Decl::Tag {
        base: specs.base,
        pos,
    })
}

fn declared(conv: &Conv, specs: &Specs, init: &Node<InitDeclarator>) -> Result<Decl> {
    let base = TypeExpr::Base(specs.base.clone());
    let declared = declare(conv, base, specs.is_const, &init.node.declarator)?;
    let Some((name, span)) = declared.name else {
        return Err(conv.error(init.span, "expected a name"));
    };
    if specs.storage == Storage::Typedef
        && (declared.attrs.aligned.is_some() || specs.attrs.aligned.is_some())
    {
        // GCC gives the typedef that alignment; rffi would lay out its uses
        // without it (and never evaluate its argument), so it is refused.
        return Err(conv.error(
            span,
            "__attribute__((aligned)) on a typedef is not supported: put it on the struct, union or member",
        ));
    }
    let pos = conv.pos(span);
    let ty = declared.ty;
    if let Some(i) = &init.node.initializer {
        return constant_with_value(conv, name, &ty, declared.is_const, i, pos);
    }
    Ok(match (specs.storage, &ty) {
        (Storage::Typedef, _) => Decl::Typedef { name, ty, pos },
        (_, TypeExpr::Function { .. }) => Decl::Function { name, ty, pos },
        _ => Decl::Variable {
            name,
            ty,
            is_const: declared.is_const,
            pos,
        },
    })
}

/// A declaration with an initializer, which cffi reads as it does:
/// `static const int K = 3;` (or any integer-typed `K = <literal>`) is an
/// integer constant; another const object (`static const double x = 1.5;`) is
/// a constant only a compiler could give; anything else is a variable whose
/// initializer is ignored (`static const char *s = "x";`).
fn constant_with_value(
    conv: &Conv,
    name: String,
    ty: &TypeExpr,
    is_const: bool,
    init: &Node<lang_c::ast::Initializer>,
    pos: crate::ast::Pos,
) -> Result<Decl> {
    let integer_base = match ty {
        TypeExpr::Base(BaseType::Primitive(p)) => !is_floating(p),
        TypeExpr::Base(BaseType::Named(_) | BaseType::Enum(_)) => true,
        _ => false,
    };
    let value = match &init.node {
        lang_c::ast::Initializer::Expression(e) if integer_base => crate::expr::expr(conv, e).ok(),
        _ => None,
    };
    match value {
        Some(value) if is_const || is_literal(&value) => Ok(Decl::Define { name, value, pos }),
        _ if is_const && !matches!(ty, TypeExpr::Array(..)) => Ok(Decl::Constant { name, pos }),
        _ => Ok(Decl::Variable {
            name,
            ty: ty.clone(),
            is_const,
            pos,
        }),
    }
}

fn is_floating(primitive: &str) -> bool {
    [
        "float",
        "double",
        "long double",
        "float _Complex",
        "double _Complex",
    ]
    .contains(&primitive)
}

/// An integer literal, possibly negated: what cffi takes as the value of a
/// non-const integer declaration (`int j = 5;`).
fn is_literal(value: &crate::ast::Expr) -> bool {
    use crate::ast::{Expr, UnaryOp};
    match value {
        Expr::Int { .. } => true,
        Expr::Unary(UnaryOp::Neg | UnaryOp::Plus, inner) => matches!(**inner, Expr::Int { .. }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::test_support::*;

    fn record(ty: &TypeExpr) -> &RecordDecl {
        match ty {
            TypeExpr::Base(BaseType::Record(r)) => r,
            TypeExpr::Pointer(inner) => record(inner),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_and_comment_only_sources() {
        assert_eq!(cdef(""), vec![]);
        assert_eq!(cdef("  \n\t\n"), vec![]);
        assert_eq!(cdef("/* nothing */ // here\n"), vec![]);
    }

    #[test]
    fn functions_and_globals() {
        let decls = cdef("extern int counter;\ndouble gains[4];\nconst char *greeting;\nstatic int hidden;\nint f(int);");
        let want = vec![
            Decl::Variable {
                name: "counter".into(),
                ty: prim("int"),
                is_const: false,
                pos: pos(1, 12),
            },
            Decl::Variable {
                name: "gains".into(),
                ty: arr(prim("double"), Some(4)),
                is_const: false,
                pos: pos(2, 8),
            },
            Decl::Variable {
                name: "greeting".into(),
                ty: ptr(prim("char")),
                is_const: false,
                pos: pos(3, 13),
            },
            Decl::Variable {
                name: "hidden".into(),
                ty: prim("int"),
                is_const: false,
                pos: pos(4, 12),
            },
            Decl::Function {
                name: "f".into(),
                ty: func(prim("int"), vec![prim("int")], false),
                pos: pos(5, 5),
            },
        ];
        assert_eq!(decls, want);
    }

    #[test]
    fn several_declarators_give_several_decls() {
        let decls = cdef("int a, *b;");
        assert_eq!(decls.len(), 2);
        assert!(
            matches!(&decls[1], Decl::Variable { name, ty, .. } if name == "b" && *ty == ptr(prim("int")))
        );
        let decls = cdef("typedef struct s { int x; } S, *PS;");
        let [Decl::Typedef {
            name: s, ty: s_ty, ..
        }, Decl::Typedef {
            name: ps,
            ty: ps_ty,
            ..
        }] = decls.as_slice()
        else {
            panic!("{decls:?}")
        };
        assert_eq!((s.as_str(), ps.as_str()), ("S", "PS"));
        assert!(record(s_ty).fields.is_some());
        assert!(matches!(ps_ty, TypeExpr::Pointer(_)));
    }

    #[test]
    fn typedefs_of_anonymous_structs_and_function_pointers() {
        let Decl::Typedef { name, ty, .. } = one("typedef struct { int a; } anon_t;") else {
            panic!()
        };
        let r = record(&ty);
        assert_eq!(
            (
                name.as_str(),
                r.name.as_deref(),
                r.fields.as_ref().map(Vec::len)
            ),
            ("anon_t", None, Some(1))
        );
        let Decl::Typedef { ty, .. } = one("typedef int (*cmp_t)(const void *, const void *);")
        else {
            panic!()
        };
        assert_eq!(
            ty,
            ptr(func(prim("int"), vec![ptr(void()), ptr(void())], false))
        );
    }

    #[test]
    fn typedefs_are_type_names_for_the_rest_of_the_source() {
        let decls = cdef("typedef unsigned long word;\nword w;\nvoid g(word, known_t *, size_t);");
        assert_eq!(decls.len(), 3);
        assert!(matches!(&decls[1], Decl::Variable { ty, .. } if *ty == named("word")));
        let Decl::Function {
            ty: TypeExpr::Function { params, .. },
            ..
        } = &decls[2]
        else {
            panic!()
        };
        assert_eq!(params[1].ty, ptr(named("known_t")));
        assert_eq!(params[2].ty, named("size_t"));
    }

    #[test]
    fn tag_only_declarations() {
        let decls = cdef("struct ctx;\nstruct p { int x; };\nenum e { A };\nunion u;");
        assert_eq!(decls.len(), 4);
        assert!(decls.iter().all(|d| matches!(d, Decl::Tag { .. })));
        assert_eq!(
            decls[2],
            Decl::Tag {
                base: BaseType::Enum(Box::new(EnumDecl {
                    name: Some("e".into()),
                    variants: Some(vec![Enumerator {
                        name: "A".into(),
                        value: None,
                        pos: pos(3, 10)
                    }]),
                    partial: false,
                    pos: pos(3, 1),
                })),
                pos: pos(3, 1),
            }
        );
    }

    #[test]
    fn qualifiers_and_gnu_spellings_are_accepted() {
        let t = func(void(), vec![ptr(prim("char")), ptr(prim("int"))], false);
        assert_eq!(
            decl_ty("void f(char *restrict, volatile int *__restrict__);"),
            t
        );
        assert_eq!(
            decl_ty("__extension__ extern __inline int g(void);"),
            func(prim("int"), vec![], false)
        );
        assert_eq!(
            decl_ty("inline static __inline__ int h(void);"),
            func(prim("int"), vec![], false)
        );
        let TypeExpr::Function { params, .. } = decl_ty("void k(int *__restrict p);") else {
            panic!()
        };
        assert_eq!(
            params,
            vec![Param {
                name: Some("p".into()),
                ty: ptr(prim("int"))
            }]
        );
    }

    #[test]
    fn defines_are_integer_constants_in_source_order() {
        let decls = cdef("#define A 10\nint x;\n#define B (-3)\n#define M (1 << 4)\n#define C 0x10UL\n#define O 017ll\n");
        let names: Vec<_> = decls
            .iter()
            .map(|d| match d {
                Decl::Define { name, .. } | Decl::Variable { name, .. } => name.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(names, ["A", "x", "B", "M", "C", "O"]);
        let value = |i: usize| match &decls[i] {
            Decl::Define { value, .. } => value.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(value(0), int(10));
        assert_eq!(value(2), Expr::Unary(UnaryOp::Neg, Box::new(int(3))));
        assert_eq!(
            value(3),
            Expr::Binary(BinaryOp::Shl, Box::new(int(1)), Box::new(int(4)))
        );
        assert_eq!(
            value(4),
            Expr::Int {
                value: 16,
                unsigned: true
            }
        );
        assert_eq!(value(5), int(15));
        assert!(matches!(&decls[2], Decl::Define { pos: p, .. } if *p == pos(3, 9)));
    }

    #[test]
    fn bad_defines_are_refused_with_cffis_message() {
        for src in [
            "#define S \"text\"",
            "#define F(x) x",
            "#define E",
            "#define D 1.5e3",
            "#define X 1 }; int y; enum { Z = 2",
        ] {
            let e = cdef_err(src);
            assert!(
                e.message.contains("#define NAME") || e.message.contains("floating"),
                "{src}: {e}"
            );
        }
    }

    #[test]
    fn directives_and_bodies_are_refused_at_their_position() {
        let e = cdef_err("int a;\n#include <stdio.h>\n");
        assert_eq!(
            (e.line, e.column, e.line_text.as_str()),
            (2, 2, "#include <stdio.h>")
        );
        assert!(cdef_err("#ifdef X\nint a;\n#endif")
            .message
            .contains("#ifdef"));
        assert!(cdef_err("#if 1\n#endif").message.contains("#if"));
        let e = cdef_err("int f(void)\n{ return 0; }");
        assert_eq!(e.message, "function definitions are not supported in cdef");
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn syntax_errors_carry_position_and_line() {
        let e = cdef_err("int f(int;");
        assert_eq!(
            e.to_string(),
            "cannot parse \"int f(int;\" at line 1, column 10: expected a declarator"
        );
        // lang-c reads a missing `;` as the start of a K&R definition, so the
        // error shows up at the end of the next declaration.
        let e = cdef_err("int a;\nint b\nint c;");
        assert_eq!((e.line, e.column, e.line_text.as_str()), (3, 7, "int c;"));
        let e = cdef_err("int a;\nstruct s { int x }\n;");
        assert_eq!((e.line, e.column), (2, 18));
        assert!(
            e.to_string().starts_with(
                "cannot parse \"struct s { int x }\" at line 2, column 18: expected ';'"
            ),
            "{e}"
        );
        let e = cdef_err("struct s { int a; ");
        assert!(e.message.starts_with("unexpected end of input"), "{e}");
        let e = cdef_err("foo_t x;");
        assert_eq!(e.message, "unknown type name \"foo_t\"");
        assert!(cdef_err("long char c;").message.contains("\"long char\""));
        assert!(cdef_err("unsigned float c;")
            .message
            .contains("invalid combination"));
        assert!(cdef_err("int x /* open")
            .message
            .contains("unterminated comment"));
        match &cdef("static const int K = 3 << 2;")[..] {
            [Decl::Define { name, value, .. }] => {
                assert_eq!(name, "K");
                assert!(matches!(value, Expr::Binary(BinaryOp::Shl, ..)));
            }
            other => panic!("{other:?}"),
        }
        assert!(cdef_err("typedef int;").message.contains("no name"));
    }
}

#[cfg(test)]
mod dialect_tests {
    use crate::ast::*;
    use crate::test_support::*;

    fn typedef_ty(src: &str) -> TypeExpr {
        match one(src) {
            Decl::Typedef { ty, .. } => ty,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn typedef_dots_are_types_only_a_compiler_knows() {
        let opaque = TypeExpr::Base(BaseType::Dots(DotsKind::Opaque));
        assert_eq!(typedef_ty("typedef ... foo_t;"), opaque);
        assert_eq!(typedef_ty("typedef ... *foo_p;"), ptr(opaque));
        let int = TypeExpr::Base(BaseType::Dots(DotsKind::Integer));
        assert_eq!(typedef_ty("typedef unsigned long... u_t;"), int);
        assert_eq!(typedef_ty("typedef int... i_t;"), int);
        let float = TypeExpr::Base(BaseType::Dots(DotsKind::Float));
        assert_eq!(typedef_ty("typedef double... d_t;"), float);
        // A user's identifier spelled like a marker stays a plain name.
        let decls = cdef("typedef ... t; __D x;");
        assert!(matches!(&decls[1], Decl::Variable { ty, .. } if *ty == named("__D")));
    }

    #[test]
    fn partial_structs_and_enums() {
        let Decl::Tag {
            base: BaseType::Record(r),
            ..
        } = one("struct s { int x; ...; };")
        else {
            panic!()
        };
        assert!(r.partial);
        assert_eq!(r.fields.as_ref().map(Vec::len), Some(1));
        let Decl::Tag {
            base: BaseType::Record(r),
            ..
        } = one("struct s { int a[...]; };")
        else {
            panic!()
        };
        assert!(r.partial);
        let Decl::Tag {
            base: BaseType::Record(r),
            ..
        } = one("struct s { int x; };")
        else {
            panic!()
        };
        assert!(!r.partial);
        let Decl::Tag {
            base: BaseType::Enum(e),
            ..
        } = one("enum e { A, B, ... };")
        else {
            panic!()
        };
        assert!(e.partial);
        assert_eq!(e.variants.as_ref().map(Vec::len), Some(2));
        let Decl::Typedef { ty, .. } = one("typedef enum { ... } e_t;") else {
            panic!()
        };
        assert!(
            matches!(ty, TypeExpr::Base(BaseType::Enum(e)) if e.partial && e.variants == Some(vec![]))
        );
    }

    #[test]
    fn dots_array_lengths_and_defines() {
        assert_eq!(
            decl_ty("int a[...];"),
            TypeExpr::Array(Box::new(prim("int")), Some(Expr::Dots))
        );
        assert_eq!(cdef("#define FOO ...\n#define BAR 1").len(), 1);
    }

    #[test]
    fn extern_python_functions_are_set_apart() {
        let decls = cdef("extern \"Python\" int cb(int);\nextern \"Python+C\" { void a(void); typedef int t; }\nint f(void);");
        let kinds: Vec<_> = decls
            .iter()
            .map(|d| match d {
                Decl::ExternPython { name, .. } => format!("py {name}"),
                Decl::Typedef { name, .. } => format!("typedef {name}"),
                Decl::Function { name, .. } => format!("fn {name}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["py cb", "py a", "typedef t", "fn f"]);
        let e = cdef_err("extern \"Python\" { int x; }");
        assert_eq!(
            e.message,
            "cannot declare constants or variables with 'extern \"Python\"'"
        );
    }

    #[test]
    fn calling_conventions_pragmas_and_alignas_are_ignored() {
        assert_eq!(
            decl_ty("int __stdcall f(int (WINAPI *)(int));"),
            decl_ty("int f(int (*)(int));")
        );
        assert_eq!(
            decl_ty("int __cdecl g(void);"),
            func(prim("int"), vec![], false)
        );
        let decls = cdef("#pragma pack(1)\nstruct s { char c; _Alignas(16) int x; };");
        assert!(
            matches!(&decls[0], Decl::Pragma { text, pos: p } if text == "#pragma pack(1)" && *p == pos(1, 1))
        );
        let Decl::Tag {
            base: BaseType::Record(r),
            ..
        } = &decls[1]
        else {
            panic!()
        };
        assert_eq!(r.fields.as_ref().unwrap()[1].attrs, Attrs::default());
    }

    #[test]
    fn initializers_follow_cffi() {
        let kind = |src: &str| match one(src) {
            Decl::Define { .. } => "define",
            Decl::Constant { .. } => "constant",
            Decl::Variable { .. } => "variable",
            other => panic!("{other:?}"),
        };
        assert_eq!(kind("static const float x = 42.5;"), "constant");
        assert_eq!(kind("static const long l = 1.5;"), "constant");
        assert_eq!(kind("static char *const p = 0;"), "constant");
        assert_eq!(kind("static const int k = 1 << 2;"), "define");
        assert_eq!(kind("int j = -5;"), "define");
        assert_eq!(kind("int j = 1 + 2;"), "variable");
        assert_eq!(kind("static const char *s = \"hi\";"), "variable");
        assert_eq!(kind("static const double d[2] = {1, 2};"), "variable");
    }

    #[test]
    fn aligned_on_a_typedef_is_refused() {
        for src in [
            "typedef _Bool t __attribute__((aligned(sizeof(struct nope))));",
            "typedef int t __attribute__((aligned(8)));",
            "__attribute__((aligned(8))) typedef int t;",
            "typedef struct { char c; } t __attribute__((aligned(8)));",
        ] {
            let err = cdef_err(src);
            assert!(
                err.message.contains("on a typedef"),
                "{src}: {}",
                err.message
            );
        }
        // On the record itself it is honoured; a variable's is ignored.
        assert_eq!(
            cdef("typedef struct { char c; } __attribute__((aligned(8))) t;").len(),
            1
        );
        assert_eq!(cdef("int x __attribute__((aligned(8)));").len(), 1);
    }
}
