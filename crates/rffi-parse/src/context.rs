//! What every conversion from lang-c's tree needs: the user's text and where
//! lang-c's offsets point into it.

use std::collections::HashMap;

use lang_c::span::Span;

use crate::ast::{Attrs, Pos};
use crate::dialect::Dialect;
use crate::error::ParseError;
use crate::position::SourceText;
use crate::syntax::Origin;

/// Conversion results: errors carry the user's position.
pub(crate) type Result<T> = std::result::Result<T, ParseError>;

/// The context of one conversion from lang-c's tree to [`crate::ast`].
pub(crate) struct Conv<'a> {
    pub(crate) src: &'a SourceText<'a>,
    pub(crate) origin: Origin,
    /// Attributes written right after a `struct`/`union` keyword, which lang-c
    /// cannot parse there; keyed by the keyword's offset in the user's text.
    pub(crate) record_attrs: &'a HashMap<usize, Attrs>,
    /// cffi's dialect found in the text (`...` markers, `extern "Python"`).
    pub(crate) dialect: &'a Dialect,
}

impl Conv<'_> {
    /// The offset in the user's text where `span` starts.
    pub(crate) fn offset(&self, span: Span) -> usize {
        self.origin.span_start(span)
    }

    pub(crate) fn pos(&self, span: Span) -> Pos {
        self.src.pos(self.offset(span))
    }

    /// Whether `span` starts at a marker that stands for a `...`.
    pub(crate) fn is_dots(&self, span: Span) -> bool {
        self.dialect.dots.contains(&self.offset(span))
    }

    pub(crate) fn error(&self, span: Span, message: impl Into<String>) -> ParseError {
        self.src.error(self.offset(span), message)
    }
}
