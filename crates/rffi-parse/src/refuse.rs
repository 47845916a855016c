//! Valid C that cdef refuses, found on tokens so the message can name the
//! construct instead of a grammar error: function bodies and K&R parameter lists.

use crate::guard::Refusal;
use crate::keywords::is_keyword;
use crate::lexer::{Kind, Token};

/// A top-level `{` right after a `)` opens a function body.
pub(crate) fn find_function_body(text: &str, tokens: &[Token]) -> Result<(), Refusal> {
    let mut depth = 0usize;
    for pair in tokens.windows(2) {
        let (prev, token) = (&pair[0], &pair[1]);
        if token.is_punct(text, "{") {
            if depth == 0 && prev.is_punct(text, ")") {
                return Err(Refusal {
                    offset: token.start,
                    message: "function definitions are not supported in cdef".into(),
                });
            }
            depth += 1;
        } else if token.is_punct(text, "}") {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

/// Finds `name(a, b) type ...`: an identifier list followed by declarations,
/// which is how K&R definitions start. `is_typename` keeps `f(size_t)` out.
pub(crate) fn find_kr_list(
    text: &str,
    tokens: &[Token],
    is_typename: &dyn Fn(&str) -> bool,
) -> Option<Refusal> {
    (1..tokens.len()).find_map(|i| {
        let end = kr_list_end(text, tokens, i, is_typename)?;
        let next = tokens.get(end + 1)?;
        let declares = next.kind == Kind::Ident && !next.text(text).starts_with("__attribute");
        declares.then(|| Refusal {
            offset: tokens[i + 1].start,
            message: kr_message(),
        })
    })
}

/// The message for K&R-style declarations.
pub(crate) fn kr_message() -> String {
    "K&R-style (identifier list) declarations are not supported; give parameter types".into()
}

/// If `tokens[open]` is the `(` of a plain identifier list after an
/// identifier, the index of its `)`.
fn kr_list_end(
    text: &str,
    tokens: &[Token],
    open: usize,
    is_typename: &dyn Fn(&str) -> bool,
) -> Option<usize> {
    let plain_name = |t: &Token| {
        t.kind == Kind::Ident && !is_keyword(t.text(text)) && !is_typename(t.text(text))
    };
    if !tokens[open].is_punct(text, "(") || !plain_name(&tokens[open - 1]) {
        return None;
    }
    let mut i = open + 1;
    loop {
        if !plain_name(tokens.get(i)?) {
            return None;
        }
        let sep = tokens.get(i + 1)?;
        if sep.is_punct(text, ")") {
            return Some(i + 1);
        }
        if !sep.is_punct(text, ",") {
            return None;
        }
        i += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn body(text: &str) -> Option<usize> {
        find_function_body(text, &tokenize(text))
            .err()
            .map(|r| r.offset)
    }

    fn kr(text: &str) -> Option<usize> {
        find_kr_list(text, &tokenize(text), &|n| n == "size_t").map(|r| r.offset)
    }

    #[test]
    fn function_bodies_are_found_but_struct_bodies_are_not() {
        assert_eq!(body("int f(void) { return 0; }"), Some(12));
        assert_eq!(body("struct s { int (*f)(void); };"), None);
        assert_eq!(body("typedef struct { int a; } t;"), None);
    }

    #[test]
    fn kr_lists_are_found_only_when_followed_by_declarations() {
        assert_eq!(kr("int f(a, b) int a; long b;"), Some(6));
        assert_eq!(kr("int f(size_t) int a;"), None);
        assert_eq!(kr("int f(a);"), None);
    }
}
