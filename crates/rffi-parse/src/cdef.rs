//! A whole cdef source to declarations: comments and directives first, then
//! the pre-checks, then lang-c, then the conversion of each declaration.

use std::collections::HashSet;

use lang_c::ast::{Declaration, ExternalDeclaration, InitDeclarator};
use lang_c::span::Node;

use crate::ast::{BaseType, Decl, Pos, TypeExpr};
use crate::comments::strip_comments;
use crate::context::{Conv, Result};
use crate::declarator::declare;
use crate::define::define;
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
    let defines = take_directives(&mut text).map_err(refused)?;
    let mut tokens = tokenize(&text);
    check_limits(&text, &tokens).map_err(refused)?;
    find_function_body(&text, &tokens).map_err(refused)?;
    let typenames = |n: &str| is_type_name(n, is_typename);
    let record_attrs = take_tag_attrs(&src, &mut text, &mut tokens, &typenames)?;
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
        };
        for ext in unit.0.iter().filter(|e| !origin.before_fragment(e.span)) {
            external(&conv, ext, &mut decls)?;
        }
    }
    let local: HashSet<&str> = decls.iter().filter_map(typedef_name).collect();
    let with_local = |n: &str| local.contains(n) || typenames(n);
    let defined = defines.iter().map(|d| define(&src, d, &with_local));
    let defined = defined.collect::<Result<Vec<_>>>()?;
    Ok(merge_in_order(decls, defined))
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
        | Decl::Define { pos, .. } => *pos,
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
    for init in &d.node.declarators {
        out.push(declared(conv, &specs, init)?);
    }
    Ok(())
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
    if let Some(i) = &init.node.initializer {
        return Err(conv.error(i.span, "initializers are not supported in cdef"));
    }
    let base = TypeExpr::Base(specs.base.clone());
    let declared = declare(conv, base, specs.is_const, &init.node.declarator)?;
    let Some((name, span)) = declared.name else {
        return Err(conv.error(init.span, "expected a name"));
    };
    let pos = conv.pos(span);
    let ty = declared.ty;
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
