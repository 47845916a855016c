//! Running lang-c's grammar on a piece of the user's text.
//!
//! lang-c 0.15 exposes only `driver::parse_preprocessed`, which starts from a
//! fresh symbol table, so type names known from earlier `cdef`s are declared by
//! a prelude of `typedef int NAME;` put in front of the text. Offsets in lang-c's
//! answer are mapped back to the user's text through an [`Origin`].

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use lang_c::ast::TranslationUnit;
use lang_c::driver::{parse_preprocessed, Config, Flavor};
use lang_c::span::Span;

use crate::ast::BUILTIN_TYPE_NAMES;
use crate::keywords::is_keyword;
use crate::lexer::{Kind, Token};

/// How often lang-c panicked and the panic was turned into an error. The
/// pre-checks are meant to keep this at zero; the no-panic tests assert it.
#[doc(hidden)]
pub static LANG_C_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Where a fragment of the user's text sits inside the text given to lang-c.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    /// Offset in lang-c's input where the user's fragment starts.
    shift: usize,
    /// Offset of the fragment in the user's text, and its length.
    user_start: usize,
    user_len: usize,
}

impl Origin {
    /// The user offset of a lang-c offset; offsets in wrapper text are clamped
    /// to the fragment's ends.
    pub(crate) fn user_offset(&self, offset: usize) -> usize {
        self.user_start + offset.saturating_sub(self.shift).min(self.user_len)
    }

    /// Whether `span` lies in the text put before the user's fragment.
    pub(crate) fn before_fragment(&self, span: Span) -> bool {
        !span.is_none() && span.end <= self.shift
    }

    pub(crate) fn span_start(&self, span: Span) -> usize {
        self.user_offset(if span.is_none() { 0 } else { span.start })
    }
}

/// The pieces of text handed to lang-c: `prefix` and `suffix` are wrapper text
/// around `body`, which lies at `user_start` in the user's text.
pub(crate) struct Fragment<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) body: &'a str,
    pub(crate) suffix: &'a str,
    pub(crate) user_start: usize,
}

/// lang-c refused the text: at `offset` (user's text), wanting `expected`.
pub(crate) struct SyntaxFailure {
    pub(crate) offset: usize,
    pub(crate) expected: HashSet<&'static str>,
}

/// Parses `fragment` as a translation unit, with every identifier of `tokens`
/// (the body's tokens) that `is_typename` accepts declared as a type name.
pub(crate) fn parse_unit(
    fragment: &Fragment<'_>,
    tokens: &[Token],
    is_typename: &dyn Fn(&str) -> bool,
) -> Result<(TranslationUnit, Origin), SyntaxFailure> {
    let prelude = prelude(fragment.body, tokens, is_typename);
    let input = [
        prelude.as_str(),
        fragment.prefix,
        fragment.body,
        fragment.suffix,
    ]
    .concat();
    let origin = Origin {
        shift: prelude.len() + fragment.prefix.len(),
        user_start: fragment.user_start,
        user_len: fragment.body.len(),
    };
    match run_guarded(input) {
        Ok(unit) => Ok((unit, origin)),
        Err(Some(e)) => Err(SyntaxFailure {
            offset: origin.user_offset(e.offset),
            expected: e.expected,
        }),
        Err(None) => Err(SyntaxFailure {
            offset: fragment.user_start,
            expected: HashSet::new(),
        }),
    }
}

/// Whether `name` is a type name: a builtin or one `is_typename` knows.
pub(crate) fn is_type_name(name: &str, is_typename: &dyn Fn(&str) -> bool) -> bool {
    BUILTIN_TYPE_NAMES.contains(&name) || is_typename(name)
}

fn prelude(body: &str, tokens: &[Token], is_typename: &dyn Fn(&str) -> bool) -> String {
    let mut seen = HashSet::new();
    let mut prelude = String::new();
    for token in tokens.iter().filter(|t| t.kind == Kind::Ident) {
        let name = token.text(body);
        if seen.insert(name) && !is_keyword(name) && is_type_name(name, is_typename) {
            prelude.push_str("typedef int ");
            prelude.push_str(name);
            prelude.push(';');
        }
    }
    prelude
}

/// Runs lang-c; a panic inside it becomes `Err(None)`. The pre-checks should
/// make this fallback unreachable: it is a last resort, counted in
/// [`LANG_C_PANICS`].
fn run_guarded(input: String) -> Result<TranslationUnit, Option<lang_c::driver::SyntaxError>> {
    let config = Config {
        cpp_command: String::new(),
        cpp_options: Vec::new(),
        flavor: Flavor::GnuC11,
    };
    match catch_unwind(AssertUnwindSafe(|| parse_preprocessed(&config, input))) {
        Ok(Ok(parse)) => Ok(parse.unit),
        Ok(Err(e)) => Err(Some(e)),
        Err(_) => {
            LANG_C_PANICS.fetch_add(1, Ordering::Relaxed);
            Err(None)
        }
    }
}
