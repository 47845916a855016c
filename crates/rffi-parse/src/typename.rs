//! Type names: the abstract types of casts and `sizeof`, and the type strings
//! given to `ffi.new`/`ffi.cast`, parsed inside a `sizeof(...)` wrapper.

use std::collections::HashMap;

use lang_c::ast::{Declaration, Expression, ExternalDeclaration, Initializer, TypeName};
use lang_c::span::Node;

use crate::ast::TypeExpr;
use crate::comments::strip_comments;
use crate::context::{Conv, Result};
use crate::declarator::declare;
use crate::dialect::{may_need_rewrite, rewrite, Dialect};
use crate::expected::syntax_error;
use crate::guard::{check_limits, Refusal};
use crate::keywords::is_keyword;
use crate::lexer::{tokenize, Kind, Token};
use crate::position::SourceText;
use crate::specifiers::qualifier_specs;
use crate::syntax::{is_type_name, parse_unit, Fragment};

const PREFIX: &str = "int __rffi_type_probe = sizeof(";
const SUFFIX: &str = ");";

/// A lang-c type name to a [`TypeExpr`].
pub(crate) fn type_name(conv: &Conv, t: &Node<TypeName>) -> Result<TypeExpr> {
    let specs = qualifier_specs(conv, &t.node.specifiers, t.span)?;
    let base = TypeExpr::Base(specs.base);
    match &t.node.declarator {
        None => Ok(base),
        Some(d) => Ok(declare(conv, base, specs.is_const, d)?.ty),
    }
}

/// Parses a whole type string.
pub(crate) fn parse_type_string(
    source: &str,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<TypeExpr> {
    let src = SourceText::new(source);
    let mut text = strip_comments(source).map_err(|e| src.error(e.0, "unterminated comment"))?;
    let refused = |r: Refusal| src.error(r.offset, r.message);
    let tokens = tokenize(&text);
    check_limits(&text, &tokens).map_err(refused)?;
    let (dialect, tokens) = if may_need_rewrite(&text) {
        let dialect = rewrite(&mut text, &tokens).map_err(refused)?;
        (dialect, tokenize(&text))
    } else {
        (Dialect::default(), tokens)
    };
    check_balanced(&text, &tokens).map_err(refused)?;
    if tokens.is_empty() {
        return Err(src.error(0, "expected a type"));
    }
    let typenames = |n: &str| dialect.is_marker_type(n) || is_type_name(n, is_typename);
    let first = tokens[0].text(&text);
    if tokens[0].kind == Kind::Ident && !is_keyword(first) && !typenames(first) {
        return Err(src.error(tokens[0].start, format!("unknown type name \"{first}\"")));
    }
    if let Some(name) = declarator_name(&text, &tokens, &typenames) {
        // cffi accepts a name in a type string (`char cb(char, char)`) and ignores it.
        text.replace_range(name.start..name.end, &" ".repeat(name.end - name.start));
    }
    let tokens = tokenize(&text);
    let fragment = Fragment {
        prefix: PREFIX,
        body: &text,
        suffix: SUFFIX,
        user_start: 0,
    };
    let (unit, origin) = parse_unit(&fragment, &tokens, &typenames)
        .map_err(|f| syntax_error(&src, &text, &tokens, &f, &typenames))?;
    let record_attrs = HashMap::new();
    let conv = Conv {
        src: &src,
        origin,
        record_attrs: &record_attrs,
        dialect: &dialect,
    };
    let probe = unit.0.last().and_then(|d| match &d.node {
        ExternalDeclaration::Declaration(decl) => sizeof_operand(decl),
        _ => None,
    });
    match probe {
        Some(Expression::SizeOfTy(s)) => type_name(&conv, &s.node.0),
        Some(Expression::SizeOfVal(v)) => Err(not_a_type(&src, &v.node.0.node, tokens[0].start)),
        _ => Err(src.error(tokens[0].start, "expected a type")),
    }
}

/// The declared name in a type string such as `char cb(char, char)` or
/// `int (*fp)(int)`: the first identifier that is neither a keyword, nor a
/// type name, nor a tag, nor inside brackets, a parameter list or the body of
/// an anonymous record (`struct { int a; } *`).
fn declarator_name(
    text: &str,
    tokens: &[Token],
    is_typename: &dyn Fn(&str) -> bool,
) -> Option<Token> {
    let plain = |t: &Token| {
        t.kind == Kind::Ident && !is_keyword(t.text(text)) && !is_typename(t.text(text))
    };
    // For each open bracket: whether it is a parameter list or an array length.
    let mut open: Vec<bool> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &tokens[p]);
        if t.is_punct(text, "(") {
            let params =
                prev.is_some_and(|p| plain(p) || p.is_punct(text, ")") || p.is_punct(text, "]"));
            open.push(params);
        } else if t.is_punct(text, "[") || t.is_punct(text, "{") {
            open.push(true);
        } else if t.is_punct(text, ")") || t.is_punct(text, "]") || t.is_punct(text, "}") {
            open.pop();
        } else if i > 0 && plain(t) && !open.iter().any(|&inner| inner) {
            let tag = prev.is_some_and(|p| matches!(p.text(text), "struct" | "union" | "enum"));
            if !tag {
                return Some(*t);
            }
        }
    }
    None
}

/// The operand of `sizeof` in the wrapper's initializer.
fn sizeof_operand(decl: &Node<Declaration>) -> Option<&Expression> {
    let init = decl.node.declarators.first()?.node.initializer.as_ref()?;
    match &init.node {
        Initializer::Expression(e) => Some(&e.node),
        Initializer::List(_) => None,
    }
}

fn not_a_type(src: &SourceText, operand: &Expression, offset: usize) -> crate::ParseError {
    match operand {
        Expression::Identifier(id) => {
            src.error(offset, format!("unknown type name \"{}\"", id.node.name))
        }
        _ => src.error(offset, "expected a type"),
    }
}

/// Refuses a `)` or `]` with no opener, which could close the wrapper.
fn check_balanced(text: &str, tokens: &[Token]) -> std::result::Result<(), Refusal> {
    let mut depth = 0usize;
    for token in tokens {
        if token.is_punct(text, "(") || token.is_punct(text, "[") {
            depth += 1;
        } else if token.is_punct(text, ")") || token.is_punct(text, "]") {
            depth = depth.checked_sub(1).ok_or_else(|| Refusal {
                offset: token.start,
                message: format!("unbalanced '{}'", token.text(text)),
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::test_support::*;

    #[test]
    fn primitive_type_strings() {
        for (text, want) in [
            ("int", "int"),
            ("unsigned", "unsigned int"),
            ("long int", "long"),
            ("signed char", "signed char"),
            ("long long int", "long long"),
            ("float _Complex", "float _Complex"),
            ("_Bool", "_Bool"),
        ] {
            assert_eq!(ty(text), prim(want), "{text}");
        }
        assert_eq!(ty("void"), void());
        assert_eq!(ty("void *"), ptr(void()));
        assert_eq!(ty("const char *"), ptr(prim("char")));
    }

    #[test]
    fn derived_type_strings() {
        assert_eq!(ty("int *"), ptr(prim("int")));
        assert_eq!(ty("char *[3]"), arr(ptr(prim("char")), Some(3)));
        assert_eq!(ty("int[]"), arr(prim("int"), None));
        assert_eq!(ty("int[10][20]"), arr(arr(prim("int"), Some(20)), Some(10)));
        assert_eq!(ty("int(*)[5]"), ptr(arr(prim("int"), Some(5))));
        let f = func(prim("int"), vec![prim("int"), prim("double")], false);
        assert_eq!(ty("int(*)(int, double)"), ptr(f));
        assert_eq!(ty("void(*)(void)"), ptr(func(void(), vec![], false)));
        assert_eq!(ty("int(int)"), func(prim("int"), vec![prim("int")], false));
    }

    #[test]
    fn tagged_and_named_type_strings() {
        let TypeExpr::Pointer(inner) = ty("struct point *") else {
            panic!()
        };
        let TypeExpr::Base(BaseType::Record(r)) = *inner else {
            panic!()
        };
        assert_eq!(
            (r.kind, r.name.as_deref(), r.fields),
            (RecordKind::Struct, Some("point"), None)
        );
        let TypeExpr::Base(BaseType::Enum(e)) = ty("enum color") else {
            panic!()
        };
        assert_eq!((e.name.as_deref(), e.variants), (Some("color"), None));
        assert_eq!(ty("known_t *"), ptr(named("known_t")));
        assert_eq!(ty("size_t"), named("size_t"));
        assert_eq!(ty(" int /* comment */ * "), ptr(prim("int")));
    }

    #[test]
    fn bad_type_strings_are_errors_with_positions() {
        let e = ty_err("unknown_t *");
        assert_eq!(e.message, "unknown type name \"unknown_t\"");
        assert_eq!((e.line, e.column), (1, 1));
        assert_eq!(ty_err("").message, "expected a type");
        assert_eq!(
            ty_err("long char").message,
            "invalid combination of type specifiers \"long char\""
        );
        assert!(ty_err("unsigned float")
            .message
            .contains("invalid combination"));
        // cffi ignores a declarator name.
        assert_eq!(ty("int x"), prim("int"));
        assert!(ty_err("int x y").message.starts_with("expected"));
        let e = ty_err("int) + (1");
        assert_eq!((e.column, e.message.as_str()), (4, "unbalanced ')'"));
        let e = ty_err("int (*");
        assert!(e.message.starts_with("unexpected end of input"), "{e}");
        assert_eq!(e.column, 7);
    }
}

#[cfg(test)]
mod name_tests {
    use crate::test_support::*;

    #[test]
    fn declarator_names_in_type_strings_are_ignored() {
        assert_eq!(ty("char cb(char, char)"), ty("char(char, char)"));
        assert_eq!(ty("int (*fp)(int a)"), ty("int(*)(int a)"));
        assert_eq!(ty("int x[3]"), ty("int[3]"));
        assert_eq!(ty("struct s *p"), ty("struct s *"));
        assert_eq!(ty("known_t k"), ty("known_t"));
        // Member names of an anonymous record are not the declarator's name.
        assert_eq!(ty("struct { int a; } *p"), ty("struct { int a; } *"));
        assert!(matches!(
            ty("struct{int i[4];}*"),
            crate::ast::TypeExpr::Pointer(_)
        ));
        assert_eq!(ty("int(__stdcall *)(int)"), ty("int(*)(int)"));
        assert_eq!(
            ty_err("unknown_t *").message,
            "unknown type name \"unknown_t\""
        );
    }
}
