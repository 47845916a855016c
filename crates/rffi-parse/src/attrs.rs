//! GCC attributes to [`Attrs`]: `packed` and `aligned` are kept,
//! every other attribute is accepted and ignored.

use lang_c::ast::Extension;
use lang_c::span::Node;

use crate::ast::{Attrs, Expr};
use crate::context::{Conv, Result};
use crate::expr::expr;

/// Adds the attributes among `extensions` to `attrs`.
pub(crate) fn add_extensions(
    conv: &Conv,
    attrs: &mut Attrs,
    extensions: &[Node<Extension>],
) -> Result<()> {
    for ext in extensions {
        if let Extension::Attribute(attr) = &ext.node {
            match attr.name.node.trim_matches('_') {
                "packed" => attrs.packed = true,
                "aligned" => attrs.aligned = Some(aligned_arg(conv, &attr.arguments, ext.span)?),
                _ => {}
            }
        }
    }
    Ok(())
}

fn aligned_arg(
    conv: &Conv,
    args: &[Node<lang_c::ast::Expression>],
    span: lang_c::span::Span,
) -> Result<Option<Expr>> {
    match args {
        [] => Ok(None),
        [arg] => Ok(Some(expr(conv, arg)?)),
        _ => Err(conv.error(span, "aligned takes at most one argument")),
    }
}

/// Merges `extra` into `attrs`; the later `aligned` wins.
pub(crate) fn merge(attrs: &mut Attrs, extra: &Attrs) {
    attrs.packed |= extra.packed;
    if extra.aligned.is_some() {
        attrs.aligned.clone_from(&extra.aligned);
    }
}
