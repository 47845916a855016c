//! Turns lang-c's set of expected tokens into a short human message.

use std::collections::HashSet;

use crate::error::ParseError;
use crate::keywords::is_keyword;
use crate::lexer::{Kind, Token};
use crate::position::SourceText;
use crate::refuse::find_kr_list;
use crate::syntax::SyntaxFailure;

/// Punctuation that usually explains an error best, in the order to show it.
const CLOSERS: &[&str] = &[";", ")", "]", "}", ",", "=", "{", "(", "[", ":", "..."];

/// Tokens that only show up when lang-c wanted the rest of an expression.
const OPERATORS: &[&str] = &["+", "-", "<<", "&&", "==", "?", "->"];

/// The error for a text lang-c refused: a K&R declaration if that is what the
/// text holds, else what lang-c expected at the failure.
pub(crate) fn syntax_error(
    src: &SourceText,
    text: &str,
    tokens: &[Token],
    failure: &SyntaxFailure,
    is_typename: &dyn Fn(&str) -> bool,
) -> ParseError {
    if let Some(kr) = find_kr_list(text, tokens, is_typename) {
        return src.error(kr.offset, kr.message);
    }
    let next = tokens.iter().find(|t| t.end > failure.offset);
    let found = next
        .filter(|t| t.kind == Kind::Ident && t.start == failure.offset)
        .map(|t| t.text(text))
        .filter(|word| !is_keyword(word));
    let message = describe(&failure.expected, found);
    match next {
        None => src.error(
            failure.offset,
            format!("unexpected end of input: {message}"),
        ),
        Some(_) => src.error(failure.offset, message),
    }
}

/// Describes what lang-c expected; `found` is the identifier at the error, if any.
pub(crate) fn describe(expected: &HashSet<&'static str>, found: Option<&str>) -> String {
    let has = |t: &str| expected.contains(t);
    let starts_name = has("identifier") || has("[_a-zA-Z]");
    if has("~") || has("!") {
        return "expected an expression".into();
    }
    if starts_name && has("*") && has("(") {
        return "expected a declarator".into();
    }
    if let (Some(name), true) = (found, has("<typedef_name>")) {
        return format!("unknown type name \"{name}\"");
    }
    list(expected)
}

fn list(expected: &HashSet<&'static str>) -> String {
    let mut shown: Vec<String> = CLOSERS
        .iter()
        .filter(|t| expected.contains(*t))
        .map(|t| format!("'{t}'"))
        .collect();
    if expected.contains("<typedef_name>") {
        shown.push("a type name".into());
    }
    if OPERATORS.iter().any(|t| expected.contains(t)) {
        shown.push("an operator".into());
    }
    shown.truncate(8);
    match shown.len() {
        0 => "unexpected text".into(),
        1 => format!("expected {}", shown[0]),
        n => format!("expected {} or {}", shown[..n - 1].join(", "), shown[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&'static str]) -> HashSet<&'static str> {
        items.iter().copied().collect()
    }

    #[test]
    fn declarator_sets_say_declarator() {
        let s = set(&["*", ",", "identifier", "[_a-zA-Z]", ")", "[", "("]);
        assert_eq!(describe(&s, None), "expected a declarator");
    }

    #[test]
    fn expression_sets_say_expression() {
        let s = set(&["!", "~", "-", "(", "[_a-zA-Z]", "*"]);
        assert_eq!(describe(&s, None), "expected an expression");
    }

    #[test]
    fn unknown_identifiers_where_a_type_belongs() {
        let s = set(&["", "<typedef_name>", "#"]);
        assert_eq!(describe(&s, Some("foo_t")), "unknown type name \"foo_t\"");
    }

    #[test]
    fn other_sets_list_a_few_tokens() {
        let s = set(&["{", "(", "=", "<typedef_name>", ",", ";", "asm", "["]);
        assert_eq!(
            describe(&s, None),
            "expected ';', ',', '=', '{', '(', '[' or a type name"
        );
        assert_eq!(describe(&set(&[")"]), None), "expected ')'");
        assert_eq!(
            describe(&set(&["]", "+", "<<"]), None),
            "expected ']' or an operator"
        );
    }
}
