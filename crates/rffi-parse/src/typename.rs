//! Type names: the abstract types of casts and `sizeof`, and the type strings
//! given to `ffi.new`/`ffi.cast`, parsed inside a `sizeof(...)` wrapper.

use std::collections::HashMap;

use lang_c::ast::{Declaration, Expression, ExternalDeclaration, Initializer, TypeName};
use lang_c::span::Node;

use crate::ast::TypeExpr;
use crate::comments::strip_comments;
use crate::context::{Conv, Result};
use crate::declarator::declare;
use crate::expected::syntax_error;
use crate::guard::{check_limits, Refusal};
use crate::lexer::{tokenize, Token};
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
    let text = strip_comments(source).map_err(|e| src.error(e.0, "unterminated comment"))?;
    let tokens = tokenize(&text);
    let refused = |r: Refusal| src.error(r.offset, r.message);
    check_limits(&text, &tokens).map_err(refused)?;
    check_balanced(&text, &tokens).map_err(refused)?;
    if tokens.is_empty() {
        return Err(src.error(0, "expected a type"));
    }
    let typenames = |n: &str| is_type_name(n, is_typename);
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
