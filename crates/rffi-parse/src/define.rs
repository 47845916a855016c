//! The value of a `#define NAME value` line, parsed by lang-c as the value of
//! an enumerator in a wrapper `enum { ... = value };`.

use std::collections::HashMap;

use lang_c::ast::{DeclarationSpecifier, Expression, ExternalDeclaration, TypeSpecifier};
use lang_c::span::Node;

use crate::ast::Decl;
use crate::context::{Conv, Result};
use crate::dialect::Dialect;
use crate::directive::{DefineText, ONLY_INTEGER};
use crate::expr::expr;
use crate::guard::check_limits;
use crate::lexer::{tokenize, Kind};
use crate::literal::simple_define_value;
use crate::position::SourceText;
use crate::syntax::{parse_unit, Fragment};

const PREFIX: &str = "enum { __rffi_define_value = ";
const SUFFIX: &str = " };";

/// The [`Decl::Define`] for one `#define` line.
pub(crate) fn define(
    src: &SourceText,
    d: &DefineText,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<Decl> {
    if let Some(value) = simple_define_value(&d.value) {
        return Ok(Decl::Define {
            name: d.name.clone(),
            value,
            pos: src.pos(d.name_offset),
        });
    }
    let tokens = tokenize(&d.value);
    let at = |offset: usize| d.value_offset + offset;
    check_limits(&d.value, &tokens).map_err(|r| src.error(at(r.offset), r.message))?;
    let escapes = tokens.iter().find(|t| {
        t.kind == Kind::Literal && t.text(&d.value).starts_with('"')
            || [";", "{", "}"].iter().any(|p| t.is_punct(&d.value, p))
    });
    if let Some(t) = escapes {
        return Err(src.error(at(t.start), ONLY_INTEGER));
    }
    let fragment = Fragment {
        prefix: PREFIX,
        body: &d.value,
        suffix: SUFFIX,
        user_start: d.value_offset,
    };
    let (unit, origin) = parse_unit(&fragment, &tokens, is_typename)
        .map_err(|f| src.error(f.offset, ONLY_INTEGER))?;
    let record_attrs = HashMap::new();
    let conv = Conv {
        src,
        origin,
        record_attrs: &record_attrs,
        dialect: &Dialect::default(),
    };
    let value = unit.0.last().and_then(enumerator_value);
    let Some(value) = value else {
        return Err(src.error(d.value_offset, ONLY_INTEGER));
    };
    Ok(Decl::Define {
        name: d.name.clone(),
        value: expr(&conv, value)?,
        pos: src.pos(d.name_offset),
    })
}

/// The value of the wrapper's single enumerator.
fn enumerator_value(ext: &Node<ExternalDeclaration>) -> Option<&Node<Expression>> {
    let ExternalDeclaration::Declaration(decl) = &ext.node else {
        return None;
    };
    let [spec] = decl.node.specifiers.as_slice() else {
        return None;
    };
    let DeclarationSpecifier::TypeSpecifier(ts) = &spec.node else {
        return None;
    };
    let TypeSpecifier::Enum(e) = &ts.node else {
        return None;
    };
    match e.node.enumerators.as_slice() {
        [only] => only.node.expression.as_deref(),
        _ => None,
    }
}
