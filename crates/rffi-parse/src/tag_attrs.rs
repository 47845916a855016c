//! Attributes written right after `struct`/`union` (`struct __attribute__((packed)) s {...}`).
//! lang-c's grammar does not accept them there, so they are blanked out of the
//! text before lang-c runs, parsed on their own, and handed to the record
//! conversion keyed by the offset of their keyword.

use std::collections::HashMap;
use std::ops::Range;

use lang_c::ast::{DeclarationSpecifier, ExternalDeclaration};

use crate::ast::Attrs;
use crate::attrs::add_extensions;
use crate::context::{Conv, Result};
use crate::lexer::{tokenize, Token};
use crate::position::SourceText;
use crate::syntax::{parse_unit, Fragment};

const PREFIX: &str = "int __rffi_attr_probe ";
const SUFFIX: &str = ";";

/// Takes the attributes after every `struct`/`union` keyword out of `text`
/// (and `tokens`) and returns them by keyword offset.
pub(crate) fn take_tag_attrs(
    src: &SourceText,
    text: &mut String,
    tokens: &mut Vec<Token>,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<HashMap<usize, Attrs>> {
    let mut found = HashMap::new();
    let mut blanked = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let word = token.text(text);
        if word != "struct" && word != "union" {
            continue;
        }
        if let Some(range) = attribute_run(text, &tokens[i + 1..]) {
            let attrs = parse_attrs(src, &text[range.clone()], range.start, is_typename)?;
            found.insert(token.start, attrs);
            blanked.push(range);
        }
    }
    for range in &blanked {
        let spaces: String = text[range.clone()]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        text.replace_range(range.clone(), &spaces);
        tokens.retain(|t| !range.contains(&t.start));
    }
    Ok(found)
}

/// The range of consecutive `__attribute__((...))` at the start of `tokens`.
fn attribute_run(text: &str, tokens: &[Token]) -> Option<Range<usize>> {
    let mut i = 0;
    while tokens
        .get(i)
        .is_some_and(|t| t.text(text).starts_with("__attribute"))
    {
        i = closing_paren(text, tokens, i + 1)? + 1;
    }
    (i > 0).then(|| tokens[0].start..tokens[i - 1].end)
}

/// The index of the `)` closing the `(` at `open`.
fn closing_paren(text: &str, tokens: &[Token], open: usize) -> Option<usize> {
    if !tokens.get(open)?.is_punct(text, "(") {
        return None;
    }
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct(text, "(") {
            depth += 1;
        } else if t.is_punct(text, ")") {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

fn parse_attrs(
    src: &SourceText,
    body: &str,
    start: usize,
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<Attrs> {
    let tokens = tokenize(body);
    let fragment = Fragment {
        prefix: PREFIX,
        body,
        suffix: SUFFIX,
        user_start: start,
    };
    let (unit, origin) = parse_unit(&fragment, &tokens, is_typename)
        .map_err(|f| src.error(f.offset, "cannot parse this attribute"))?;
    let record_attrs = HashMap::new();
    let conv = Conv {
        src,
        origin,
        record_attrs: &record_attrs,
        dialect: &crate::dialect::Dialect::default(),
    };
    let mut attrs = Attrs::default();
    if let Some(ExternalDeclaration::Declaration(decl)) = unit.0.last().map(|d| &d.node) {
        for spec in &decl.node.specifiers {
            if let DeclarationSpecifier::Extension(ext) = &spec.node {
                add_extensions(&conv, &mut attrs, ext)?;
            }
        }
        for init in &decl.node.declarators {
            add_extensions(&conv, &mut attrs, &init.node.declarator.node.extensions)?;
        }
    }
    Ok(attrs)
}
