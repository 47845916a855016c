//! Limits checked before lang-c runs. lang-c recurses once per nesting level
//! and per prefix operator, and a deep enough input overflows the stack (which
//! aborts the process: no `catch_unwind` can help). Declarator parts count
//! too: `int a[1][1]...` or `int f()()...` nests one type inside the next, and
//! everything after the parser walks types recursively. Real declarations
//! stay far below these limits.

use crate::lexer::{Kind, Token};

/// Deepest nesting of `(`, `[` and `{` accepted.
pub(crate) const MAX_NESTING: usize = 32;
/// Most operator characters, array suffixes (`[`) and parenthesised parts
/// (`(`) accepted in one item (between `;`, `,`, `{`, `}`).
pub(crate) const MAX_OPERATORS: usize = 256;

/// Why the text is refused, at a byte offset of the checked text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Refuses stray characters and nesting or operator runs beyond the limits.
pub(crate) fn check_limits(text: &str, tokens: &[Token]) -> Result<(), Refusal> {
    let mut depth = 0usize;
    let mut operators = 0usize;
    for token in tokens {
        let refuse = |message: String| Refusal {
            offset: token.start,
            message,
        };
        match token.kind {
            Kind::Stray => {
                let c = token.text(text);
                return Err(refuse(format!("unexpected character '{c}'")));
            }
            Kind::Punct => match token.text(text) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                _ => {}
            },
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err(refuse(format!(
                "nesting deeper than {MAX_NESTING} levels is not supported"
            )));
        }
        operators = count_operators(text, token, operators);
        if operators > MAX_OPERATORS {
            return Err(refuse(format!(
                "expression or declarator too long (more than {MAX_OPERATORS} operators, \
                 array suffixes and parentheses)"
            )));
        }
    }
    Ok(())
}

fn count_operators(text: &str, token: &Token, before: usize) -> usize {
    if token.kind != Kind::Punct {
        return before;
    }
    match token.text(text) {
        ";" | "," | "{" | "}" => 0,
        "[" | "(" => before + 1,
        p if "+-*/%<>&|^!~?:=".contains(p) => before + 1,
        _ => before,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn check(text: &str) -> Result<(), Refusal> {
        check_limits(text, &tokenize(text))
    }

    #[test]
    fn ordinary_declarations_pass() {
        assert_eq!(
            check("int (*(*f)(int))[3]; enum { A = -(1 << 3) };"),
            Ok(())
        );
    }

    #[test]
    fn deep_nesting_is_refused_where_it_gets_too_deep() {
        let text = format!("int a[{}1{}];", "(".repeat(40), ")".repeat(40));
        let err = check(&text).unwrap_err();
        // `[` is the first level, so the limit is crossed by the 32nd `(`.
        assert_eq!(err.offset, 6 + MAX_NESTING - 1);
        assert!(err.message.contains("nesting"));
    }

    #[test]
    fn long_operator_runs_are_refused_but_separators_reset_the_count() {
        assert!(check(&format!("int a[{}1];", "-".repeat(300))).is_err());
        assert_eq!(check(&"int *a;".repeat(300)), Ok(()));
    }

    #[test]
    fn long_declarator_suffix_chains_are_refused() {
        for text in [
            format!("int a{};", "[1]".repeat(300)),
            format!("int f{};", "()".repeat(300)),
            format!("int {}a;", "*".repeat(300)),
        ] {
            let err = check(&text).unwrap_err();
            assert!(err.message.contains("too long"), "{}", err.message);
        }
        assert_eq!(check(&format!("int a{};", "[1]".repeat(100))), Ok(()));
    }

    #[test]
    fn stray_characters_are_refused() {
        let err = check("int é;").unwrap_err();
        assert_eq!(
            err,
            Refusal {
                offset: 4,
                message: "unexpected character 'é'".into()
            }
        );
    }
}
